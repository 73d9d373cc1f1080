package github

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	gh "github.com/google/go-github/v88/github"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// CommentMarker is the hidden marker of the platform's sticky comment on
// a pull request. A comment is the platform's only when it carries the
// marker and was written by the bot's own login (anyone can paste the
// marker).
const CommentMarker = "<!-- mastra-admin:preview -->"

// DefaultStatusContext is the context of the commit statuses set.
const DefaultStatusContext = "mastra-admin/preview"

// ReporterOptions configures a Reporter.
type ReporterOptions struct {
	// BotLogin is the login comments are written as: required with an App
	// ("{app-slug}[bot]"); with a personal token, the token's user when
	// empty.
	BotLogin string
	// StatusContext names the commit statuses of previews;
	// DefaultStatusContext when empty.
	StatusContext string
	// BranchStatusPrefix starts the name of the commit statuses (and, with
	// an App, the check runs) of the builds of deployments that follow a
	// branch: "{prefix}/{deployment slug}", e.g. mastra-admin/production.
	// DefaultBranchStatusPrefix when empty.
	BranchStatusPrefix string
}

// DefaultBranchStatusPrefix starts the context of branch builds' commit
// statuses.
const DefaultBranchStatusPrefix = "mastra-admin"

// Reporter reports previews back to their pull requests: one sticky
// comment edited on each change, a commit status on the head commit, a
// GitHub Deployment (environment preview/pr-{N}) per build with its end
// and the preview's URL, marked inactive on teardown, and with an App a
// check run. It implements admin.PreviewReporter.
type Reporter struct {
	s      *Source
	ctx    string
	branch string // BranchStatusPrefix
	mu     sync.Mutex
	bot    string
}

var (
	_ admin.PreviewReporter = (*Reporter)(nil)
	_ admin.BranchReporter  = (*Reporter)(nil)
)

// NewReporter returns the Reporter of s. With an App, opts.BotLogin is
// required.
func (s *Source) NewReporter(opts *ReporterOptions) (*Reporter, error) {
	if opts == nil {
		opts = &ReporterOptions{}
	}
	if s.appMode && opts.BotLogin == "" {
		return nil, fmt.Errorf("source/github: %w", &admin.ValidationError{Field: "BotLogin",
			Reason: "is required with an App: its bot's login, {app-slug}[bot]"})
	}
	r := &Reporter{s: s, ctx: cmp.Or(opts.StatusContext, DefaultStatusContext),
		branch: cmp.Or(opts.BranchStatusPrefix, DefaultBranchStatusPrefix), bot: opts.BotLogin}
	return r, nil
}

// botLogin is the login the source writes as.
func (r *Reporter) botLogin(ctx context.Context) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.bot != "" {
		return r.bot, nil
	}
	u, _, err := r.s.client.Users.Get(ctx, "")
	if err != nil {
		return "", fmt.Errorf("source/github: who is the token's user: %w", mapError(err))
	}
	r.bot = u.GetLogin()
	return r.bot, nil
}

// ReportPreview updates the pull request of ev: the sticky comment
// always; the commit status of the head commit (pending while building or
// awaiting approval, then success with the URL, failure, or error when
// cancelled); the GitHub Deployment of the build (in_progress when it
// starts, then success with the environment URL, or failure), every one
// of the pull request's deployments marked inactive once it closed; and,
// with an App, a check run of the head commit (in progress, then
// completed: success, failure or cancelled).
func (r *Reporter) ReportPreview(ctx context.Context, ev admin.PreviewEvent) error {
	owner, name, ok := strings.Cut(ev.Repo, "/")
	if !ok || ev.Preview == nil || ev.Preview.Number <= 0 {
		return fmt.Errorf("source/github: report: %q and its pull request: %w", ev.Repo, admin.ErrInvalidArgument)
	}
	pr, sha := ev.Preview.Number, ev.Preview.HeadSHA
	if ev.Build != nil && ev.Build.Commit != "" {
		sha = ev.Build.Commit // the commit the build checked out
	}
	env := fmt.Sprintf("preview/pr-%d", pr)
	// state: the commit status; deploy: the Deployment status; check, with
	// conclusion when completed: the check run.
	var body, state, desc, deploy, check, conclusion string
	switch ev.State {
	case admin.PreviewBuilding:
		body = fmt.Sprintf("**Preview** of `%s`: building, it will be at %s", short(sha), ev.URL)
		state, desc, deploy, check = "pending", "building the preview", "in_progress", "in_progress"
	case admin.PreviewAwaitingApproval:
		body = fmt.Sprintf("**Preview** of `%s`: this pull request comes from a fork; a team member must approve this commit before it is built (without the project's secrets).", short(sha))
		state, desc = "pending", "waiting for a team member's approval"
	case admin.PreviewReady:
		body = fmt.Sprintf("**Preview** of `%s`: ready at %s", short(sha), ev.URL)
		state, desc, deploy, check, conclusion = "success", "the preview is live", "success", "completed", "success"
	case admin.PreviewFailed:
		why := "the build failed"
		if ev.Build != nil && ev.Build.Error != "" {
			why, _, _ = strings.Cut(ev.Build.Error, "\n")
		}
		body = fmt.Sprintf("**Preview** of `%s`: the build failed: %s", short(sha), why)
		state, desc, deploy, check, conclusion = "failure", "the preview's build failed", "failure", "completed", "failure"
	case admin.PreviewCancelled:
		body = fmt.Sprintf("**Preview** of `%s`: the build was cancelled.", short(sha))
		state, desc, deploy, check, conclusion = "error", "the preview's build was cancelled", "error", "completed", "cancelled"
	case admin.PreviewClosed:
		body = "**Preview** removed: the pull request is closed."
	default:
		return fmt.Errorf("source/github: report: unknown state %q: %w", ev.State, admin.ErrInvalidArgument)
	}
	if err := r.stickyComment(ctx, owner, name, pr, CommentMarker+"\n"+body); err != nil {
		return err
	}
	if state != "" && sha != "" {
		st := gh.RepoStatus{State: &state, Description: &desc, Context: &r.ctx}
		if ev.URL != "" {
			st.TargetURL = &ev.URL
		}
		if _, _, err := r.s.client.Repositories.CreateStatus(ctx, owner, name, sha, st); err != nil {
			return fmt.Errorf("source/github: commit status: %w", mapError(err))
		}
	}
	if deploy != "" && sha != "" {
		if err := r.deploymentStatus(ctx, owner, name, env, sha, deploy, ev.URL, true); err != nil {
			return err
		}
	}
	if check != "" && sha != "" && r.s.isApp() {
		if err := r.checkRun(ctx, owner, name, r.ctx, "Preview", sha, check, conclusion, desc, ev.URL); err != nil {
			return err
		}
	}
	if ev.State == admin.PreviewClosed {
		list, _, err := r.s.client.Repositories.ListDeployments(ctx, owner, name, &gh.DeploymentsListOptions{Environment: env})
		if err != nil {
			return fmt.Errorf("source/github: list deployments: %w", mapError(err))
		}
		inactive := "inactive"
		for _, d := range list {
			if _, _, err := r.s.client.Repositories.CreateDeploymentStatus(ctx, owner, name, d.GetID(),
				&gh.DeploymentStatusRequest{State: &inactive}); err != nil {
				return fmt.Errorf("source/github: mark deployment inactive: %w", mapError(err))
			}
		}
	}
	return nil
}

// deploymentStatus sets the status of the GitHub Deployment of sha in env
// (transient: a preview's, gone once it closes): a new Deployment when a
// build starts (in_progress), else the newest one of sha (made now if the
// start was never reported).
func (r *Reporter) deploymentStatus(ctx context.Context, owner, name, env, sha, state, url string, transient bool) error {
	var id int64
	if state != "in_progress" {
		list, _, err := r.s.client.Repositories.ListDeployments(ctx, owner, name,
			&gh.DeploymentsListOptions{SHA: sha, Environment: env, ListOptions: gh.ListOptions{PerPage: 1}})
		if err != nil {
			return fmt.Errorf("source/github: list deployments: %w", mapError(err))
		}
		if len(list) > 0 {
			id = list[0].GetID() // newest first
		}
	}
	if id == 0 {
		f, prod := false, env == "production"
		d, _, err := r.s.client.Repositories.CreateDeployment(ctx, owner, name, &gh.DeploymentRequest{Ref: &sha,
			Environment: &env, AutoMerge: &f, RequiredContexts: &[]string{}, TransientEnvironment: &transient,
			ProductionEnvironment: &prod})
		if err != nil {
			return fmt.Errorf("source/github: create deployment: %w", mapError(err))
		}
		id = d.GetID()
	}
	req := &gh.DeploymentStatusRequest{State: &state}
	if url != "" && state != "failure" && state != "error" {
		req.EnvironmentURL = &url
	}
	if _, _, err := r.s.client.Repositories.CreateDeploymentStatus(ctx, owner, name, id, req); err != nil {
		return fmt.Errorf("source/github: deployment status: %w", mapError(err))
	}
	return nil
}

// checkRun makes a check run named check (the status context) of sha
// when a build starts (in_progress), and completes the newest one of sha
// at its end (made now if the start was never reported). Apps only:
// GitHub refuses check runs to personal tokens.
func (r *Reporter) checkRun(ctx context.Context, owner, name, check, title, sha, status, conclusion, summary, url string) error {
	out := &gh.CheckRunOutput{Title: &title, Summary: &summary}
	var details *string
	if url != "" {
		details = &url
	}
	var concl *string
	var done *gh.Timestamp
	if conclusion != "" {
		concl, done = &conclusion, &gh.Timestamp{Time: time.Now()}
	}
	var runs *gh.ListCheckRunsResults
	if status != "in_progress" {
		var err error
		latest := "latest"
		runs, _, err = r.s.client.Checks.ListCheckRunsForRef(ctx, owner, name, sha, &gh.ListCheckRunsOptions{CheckName: &check, Filter: &latest})
		if err != nil {
			return fmt.Errorf("source/github: list check runs: %w", mapError(err))
		}
	}
	if runs != nil && len(runs.CheckRuns) > 0 {
		if _, _, err := r.s.client.Checks.UpdateCheckRun(ctx, owner, name, runs.CheckRuns[0].GetID(), gh.UpdateCheckRunOptions{
			Name: check, DetailsURL: details, Status: &status, Conclusion: concl, CompletedAt: done, Output: out}); err != nil {
			return fmt.Errorf("source/github: update check run: %w", mapError(err))
		}
		return nil
	}
	if _, _, err := r.s.client.Checks.CreateCheckRun(ctx, owner, name, gh.CreateCheckRunOptions{
		Name: check, HeadSHA: sha, DetailsURL: details, Status: &status, Conclusion: concl, CompletedAt: done, Output: out}); err != nil {
		return fmt.Errorf("source/github: create check run: %w", mapError(err))
	}
	return nil
}

// ReportBranchBuild reports a build of a deployment that follows a branch
// on the commit it built: a commit status named
// "{BranchStatusPrefix}/{deployment slug}" (pending while building, then
// success with the deployment's URL, failure, or error when cancelled), a
// GitHub Deployment in the environment named by the deployment's slug
// (production is marked as GitHub's production environment) with its
// status, and, with an App, a check run of the same name. A build without
// a commit (a source without versions) is not reported.
func (r *Reporter) ReportBranchBuild(ctx context.Context, ev admin.BranchBuildEvent) error {
	owner, name, ok := strings.Cut(ev.Repo, "/")
	if !ok || ev.Build == nil || ev.Deployment == nil {
		return fmt.Errorf("source/github: report: %q and its build: %w", ev.Repo, admin.ErrInvalidArgument)
	}
	sha, env := ev.Build.Commit, ev.Deployment.Slug
	if sha == "" {
		return nil
	}
	check := r.branch + "/" + env
	var state, desc, deploy, status, conclusion string
	switch ev.State {
	case admin.PreviewBuilding:
		state, desc, deploy, status = "pending", "building "+env, "in_progress", "in_progress"
	case admin.PreviewReady:
		state, desc, deploy, status, conclusion = "success", env+" serves this commit", "success", "completed", "success"
	case admin.PreviewFailed:
		state, desc, deploy, status, conclusion = "failure", "the build for "+env+" failed", "failure", "completed", "failure"
		if ev.Build.Error != "" {
			why, _, _ := strings.Cut(ev.Build.Error, "\n")
			desc += ": " + why
		}
	case admin.PreviewCancelled:
		state, desc, deploy, status, conclusion = "error", "the build for "+env+" was cancelled", "error", "completed", "cancelled"
	default:
		return fmt.Errorf("source/github: report: unknown build state %q: %w", ev.State, admin.ErrInvalidArgument)
	}
	desc = truncate(desc, 140) // GitHub's limit on a status description
	st := gh.RepoStatus{State: &state, Description: &desc, Context: &check}
	if ev.URL != "" {
		st.TargetURL = &ev.URL
	}
	if _, _, err := r.s.client.Repositories.CreateStatus(ctx, owner, name, sha, st); err != nil {
		return fmt.Errorf("source/github: commit status: %w", mapError(err))
	}
	if err := r.deploymentStatus(ctx, owner, name, env, sha, deploy, ev.URL, false); err != nil {
		return err
	}
	if r.s.isApp() {
		return r.checkRun(ctx, owner, name, check, "Deploy to "+env, sha, status, conclusion, desc, ev.URL)
	}
	return nil
}

// truncate cuts s to at most n bytes, at a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// stickyComment edits the bot's marked comment, or writes it.
func (r *Reporter) stickyComment(ctx context.Context, owner, name string, pr int, body string) error {
	bot, err := r.botLogin(ctx)
	if err != nil {
		return err
	}
	opt := &gh.IssueListCommentsOptions{ListOptions: gh.ListOptions{PerPage: 100}}
	for {
		list, resp, err := r.s.client.Issues.ListComments(ctx, owner, name, pr, opt)
		if err != nil {
			return fmt.Errorf("source/github: list comments: %w", mapError(err))
		}
		for _, c := range list {
			if strings.Contains(c.GetBody(), CommentMarker) && strings.EqualFold(c.GetUser().GetLogin(), bot) {
				if _, _, err := r.s.client.Issues.EditComment(ctx, owner, name, c.GetID(), &gh.IssueComment{Body: &body}); err != nil {
					return fmt.Errorf("source/github: edit comment: %w", mapError(err))
				}
				return nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			break
		}
		opt.Page = resp.NextPage
	}
	if _, _, err := r.s.client.Issues.CreateComment(ctx, owner, name, pr, &gh.IssueComment{Body: &body}); err != nil {
		return fmt.Errorf("source/github: comment: %w", mapError(err))
	}
	return nil
}

func short(sha string) string {
	if len(sha) > 7 {
		return sha[:7]
	}
	return sha
}
