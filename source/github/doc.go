// Package github is an admin.Source serving Mastra projects from the
// GitHub repositories a GitHub App installation or a personal access token
// reaches, on github.com or GitHub Enterprise Server.
//
// A project's config is {"repo": "owner/name", "path": "apps/agent"} (path
// optional). Checkouts go through source/git (shallow fetches into a
// flocked mirror cache, the commit verified and recorded), authenticated
// with the installation token, minted by ghinstallation and refreshed
// before it expires, or the personal token: as "x-access-token" Basic
// auth in a header scoped to the git host, never in a URL.
//
// # Configuration
//
// Options.App (App ID, installation ID, PEM private key) or Options.Token
// (a fine-grained or classic personal token, the fallback). For GitHub
// Enterprise Server set BaseURL to the REST API
// (https://ghe.example.com/api/v3/); clones then go to its host, or to
// GitURL. ListRepositories lists what the credentials reach, for the
// source picker; ListProjects lists the Mastra projects of each of them,
// as source/git does (several at once, unmoved default branches from
// memory).
//
// Webhooks from GitHub reach projects of this source by the repository's
// full name (admin.ReceiveWebhook).
//
// # Reporting previews
//
// NewReporter gives an admin.PreviewReporter (admin.WithPreviewReporter):
// the admin's preview worker tells it each state of a pull request's
// preview, from the build's stored outcome, and it writes one sticky
// comment (found by CommentMarker and the bot's login, edited each time),
// a commit status on the built commit (pending, then success with the
// preview URL, failure, or error when cancelled), a GitHub Deployment per
// build in environment preview/pr-{N} (in_progress, then success with the
// environment URL, or failure; every one marked inactive once the pull
// request closed) and, as an App, a check run per build (GitHub refuses
// check runs to personal tokens). The permissions needed: pull requests or
// issues (write) for the comment, commit statuses, deployments and, for an
// App, checks.
//
// The Reporter is also an admin.BranchReporter: each build a push deploys
// to a deployment that follows a branch (production, staging, a branch
// preview) is reported on the commit it built, with a commit status named
// "{BranchStatusPrefix}/{deployment slug}" (mastra-admin/production by
// default), as an App a check run of that name, and a GitHub Deployment in
// the environment named by the deployment's slug (production marked as
// GitHub's production environment, not transient).
//
// # Errors
//
// A config it cannot use gives an *admin.ValidationError naming "repo",
// "path" or "config"; the API answering 401 or 403 gives
// admin.ErrForbidden, 404 admin.ErrNotFound; checkouts fail as in
// source/git.
package github
