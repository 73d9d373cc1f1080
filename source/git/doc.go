// Package git is an admin.Source serving Mastra projects from git
// repositories over HTTP(S), with the git command-line tool.
//
// A project's config is {"url": "https://host/owner/repo.git", "path":
// "apps/agent"} (path optional: the repository's root). A build's ref is a
// branch, a tag, a full commit id, or a full ref name such as
// refs/pull/42/head; "" is the default branch.
//
// # How a build's code is fetched
//
// Each repository has a bare mirror in Options.CacheDir, locked with
// flock(2) so that goroutines and processes sharing the cache take turns.
// Under the lock the ref is fetched shallowly (--depth=1) into the mirror,
// checked out into a temporary work tree (submodules too, shallow and
// recursive; LFS files through git-lfs when it is installed), and the
// commit checked out is verified against the one fetched. The project is
// then copied into the build's directory exactly as source/local copies
// (node_modules, .git and .mastra left out, executable bits kept, symbolic
// links leading out of the project refused) and the work tree removed.
// GetProjectRevision (admin.RevisionSource) also returns the commit id,
// author and message, which the Admin records on the Build.
//
// # Listing projects
//
// ListProjects (the source picker) lists the projects on the default
// branch of each of Options.Repositories, four repositories at a time
// (ListProjectsOfEach). The projects found at a commit are remembered in
// memory: listing a repository whose default branch has not moved since
// costs one git ls-remote, not a fetch, a checkout and a scan.
//
// git is the real command-line tool and not a Go reimplementation: it
// speaks every server's protocol versions, streams packs to disk instead
// of holding them in memory, and runs git-lfs and submodules.
//
// # Security
//
// Repository URLs are https (http only with Options.AllowHTTP), without
// credentials, query or fragment, optionally limited to AllowedHosts. The
// credentials of Options.Credentials reach git as an "Authorization:
// Basic" header configured for the repository's scheme and host only (a
// submodule on another host never receives it), through the environment
// (GIT_CONFIG_COUNT and friends) rather than a -c argument, so that they
// appear neither in a URL, nor in the process list, nor in a log line or
// error (errors are scrubbed of them too). git runs with
// GIT_TERMINAL_PROMPT=0, no system or user configuration, no hooks, only
// the http(s) transports (no file://, ssh or ext:: submodules), and a
// timeout per command (Options.Timeout).
//
// # Errors
//
// A config it cannot use gives an *admin.ValidationError naming the key
// ("url", "path", "config"), a bad ref one naming "ref"
// (admin.ErrInvalidArgument); a ref the repository lacks gives
// admin.ErrNotFound; a non-empty target directory admin.ErrConflict; a
// cancelled context context.Canceled. A failed git command's error names
// the command and its last output lines.
//
// # Testing
//
// Package gittest runs a real git server in the test process
// (git-http-backend through net/http/cgi, behind Basic auth).
package git
