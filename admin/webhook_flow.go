package admin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultMaxPreviews is the default cap on one project's open previews.
const DefaultMaxPreviews = 10

// PreviewOptions is the platform's preview policy (WithPreviews).
type PreviewOptions struct {
	// PullRequests makes a preview pr-{N} for each open pull request.
	PullRequests bool
	// Branches makes a preview for each pushed branch that no deployment
	// builds (not the default branch).
	Branches bool
	// MaxPerProject caps one project's open previews; DefaultMaxPreviews
	// when 0. A preview over the cap is not made (the delivery says so).
	MaxPerProject int
	// DeliveryRetention is how long delivery ids are kept to recognise
	// redeliveries; DefaultDeliveryRetention when 0, at least 3 days.
	DeliveryRetention time.Duration
	// TTL, when positive, tears down a preview whose pull request or
	// branch saw no new commit for that long (a new commit brings it back).
	// Only previews the platform made are ever torn down.
	TTL time.Duration
	// ReconcileInterval is how often previews are compared with their
	// repositories (sources with RefState): those whose pull request
	// closed or whose branch went without a webhook saying so are torn
	// down. DefaultReconcileInterval when 0.
	ReconcileInterval time.Duration
}

// webhookConfig is the webhook part of an Admin's configuration.
type webhookConfig struct {
	secrets     map[string][]byte
	previews    PreviewOptions
	previewsSet bool
	reporter    PreviewReporter
	state       *reconcileState // made by New
}

// WithWebhookSecret sets the secret that signs provider's deliveries
// (WebhookGitHub or WebhookGitea). Without one, that provider's
// deliveries are refused; an empty secret is refused here.
func WithWebhookSecret(provider string, secret []byte) Option {
	return func(c *config) error {
		if provider != WebhookGitHub && provider != WebhookGitea {
			return invalid("webhook provider", "%q is not one of %s, %s", provider, WebhookGitHub, WebhookGitea)
		}
		if len(secret) == 0 {
			return invalid("webhook secret", "the %s webhook secret must not be empty", provider)
		}
		if c.hooks.secrets == nil {
			c.hooks.secrets = map[string][]byte{}
		}
		c.hooks.secrets[provider] = append([]byte(nil), secret...)
		return nil
	}
}

// WithPreviews sets the preview policy. Without it, pull requests get
// previews, branches do not, and the cap is DefaultMaxPreviews.
func WithPreviews(o PreviewOptions) Option {
	return func(c *config) error {
		if o.MaxPerProject < 0 || o.TTL < 0 {
			return invalid("PreviewOptions", "MaxPerProject and TTL must not be negative")
		}
		if o.DeliveryRetention != 0 && o.DeliveryRetention < 72*time.Hour {
			return invalid("DeliveryRetention", "must be at least 3 days (GitHub redelivers for 3 days)")
		}
		c.hooks.previews, c.hooks.previewsSet = o, true
		return nil
	}
}

func (a *Admin) previewOptions() PreviewOptions {
	o := a.hooks.previews
	if !a.hooks.previewsSet {
		o.PullRequests = true
	}
	if o.MaxPerProject == 0 {
		o.MaxPerProject = DefaultMaxPreviews
	}
	if o.DeliveryRetention == 0 {
		o.DeliveryRetention = DefaultDeliveryRetention
	}
	if o.ReconcileInterval <= 0 {
		o.ReconcileInterval = DefaultReconcileInterval
	}
	return o
}

// WebhookRequest is one delivery as received.
type WebhookRequest struct {
	// Provider is WebhookGitHub or WebhookGitea.
	Provider string
	// Event, DeliveryID and Signature are the provider's event, delivery
	// and signature headers.
	Event      string
	DeliveryID string
	Signature  string
	// Body is the raw body, exactly as signed.
	Body []byte
}

// WebhookAction is what a delivery did to one project.
type WebhookAction struct {
	ProjectID    string `json:"projectId"`
	DeploymentID string `json:"deploymentId,omitempty"`
	// Action is deploy, teardown, await-approval or skipped.
	Action  string `json:"action"`
	BuildID string `json:"buildId,omitempty"`
	// Reason says why a project was skipped or what failed.
	Reason string `json:"reason,omitempty"`
}

// WebhookResult is what ReceiveWebhook did.
type WebhookResult struct {
	// Duplicate is true for a redelivery: nothing was done.
	Duplicate bool            `json:"duplicate,omitempty"`
	Event     *WebhookEvent   `json:"event,omitempty"`
	Actions   []WebhookAction `json:"actions"`
}

// ReceiveWebhook verifies a delivery's signature (ErrUnauthenticated when
// no secret is configured for the provider, the header is missing or it
// does not match), records its delivery id (a redelivery does nothing),
// and acts on it for every git project of the repository: a push deploys
// the deployments that build the branch (production: the default branch;
// staging: its branch; branch previews), a deleted branch queues the
// teardown of the branch preview the platform made, a pull request opened,
// reopened or synchronized builds preview pr-{N} from its head commit (the
// newest commit wins: older builds are cancelled), and a closed one's
// teardown is queued. A pull request event older than one already acted on
// (by the pull request's updated_at: GitHub does not deliver in order) is
// skipped, so a close that overtook its open leaves no preview behind.
// Pull requests from forks wait for a team member's ApprovePreview and
// never get the project's env vars. The work is durable once it returns:
// builds are queued, and teardowns recorded (Preview.ClosedAt), in
// Storage; the preview worker (see Start) takes previews down and reports
// them to their pull requests, here or, after a crash, in the next admin
// process. The Storage must be a PreviewStore.
func (a *Admin) ReceiveWebhook(ctx context.Context, r WebhookRequest) (*WebhookResult, error) {
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	if len(r.Body) > MaxWebhookBody {
		return nil, invalid("body", "larger than %d bytes", MaxWebhookBody)
	}
	if err := VerifyWebhookSignature(r.Provider, a.hooks.secrets[r.Provider], r.Body, r.Signature); err != nil {
		return nil, err
	}
	if r.DeliveryID == "" || len(r.DeliveryID) > 128 || strings.ContainsFunc(r.DeliveryID, func(c rune) bool { return c <= ' ' || c > '~' }) {
		return nil, invalid("delivery", "the delivery id header is missing or not 1-128 printable ASCII characters")
	}
	ev, err := ParseWebhook(r.Event, r.Body)
	if err != nil {
		return nil, err
	}
	ps, ok := a.store.(PreviewStore)
	if !ok {
		return nil, fmt.Errorf("webhooks need a Storage with the PreviewStore capability: %w", ErrNotSupported)
	}
	ctx = WithPrincipal(ctx, SystemPrincipal())
	res := &WebhookResult{Event: ev, Actions: []WebhookAction{}}
	if ev.Kind == EventIgnored {
		return res, nil
	}
	d := &WebhookDelivery{ID: r.Provider + ":" + r.DeliveryID, Provider: r.Provider, Event: r.Event, ReceivedAt: a.clock()}
	if err := ps.RecordDelivery(ctx, d); errors.Is(err, ErrAlreadyExists) {
		res.Duplicate = true
		return res, nil
	} else if err != nil {
		return nil, err
	}
	projects, err := a.projectsOfRepo(ctx, r.Provider, ev)
	if err != nil {
		// Nothing was done: let a redelivery try again.
		if derr := ps.DeleteDelivery(context.WithoutCancel(ctx), d.ID); derr != nil {
			a.logger.WarnContext(ctx, "forget a failed webhook delivery", "delivery", d.ID, "err", derr)
		}
		return nil, err
	}
	for _, p := range projects {
		var acts []WebhookAction
		switch ev.Kind {
		case EventPush:
			acts = a.onPush(ctx, ps, p, ev)
		case EventBranchDeleted:
			acts = a.onBranchDeleted(ctx, ps, p, ev)
		case EventPullRequestUpdated:
			acts = a.onPullRequest(ctx, ps, p, ev)
		case EventPullRequestClosed:
			acts = a.onPullRequestClosed(ctx, ps, p, ev)
		}
		for _, act := range acts {
			if act.Action == "failed" {
				a.logger.WarnContext(ctx, "webhook action failed", "delivery", d.ID, "project", p.ID,
					"deployment", act.DeploymentID, "err", act.Reason)
			}
		}
		res.Actions = append(res.Actions, acts...)
	}
	a.wakePreviews()
	return res, nil
}

// projectsOfRepo lists the projects of the event's repository: git
// projects by their URL, GitHub projects (for GitHub deliveries) by their
// repository's full name.
func (a *Admin) projectsOfRepo(ctx context.Context, provider string, ev *WebhookEvent) ([]*Project, error) {
	keys := map[string]bool{}
	for _, u := range ev.RepoURLs {
		if k := RepoKey(u); k != "" {
			keys[k] = true
		}
	}
	var out []*Project
	page := Page{Limit: 500}
	for {
		ps, err := a.store.ListProjects(ctx, ProjectFilter{}, page)
		if err != nil {
			return nil, err
		}
		for _, p := range ps {
			switch p.SourceType {
			case SourceLocal:
				continue
			case SourceGitHub:
				if provider == WebhookGitHub && strings.EqualFold(p.SourceConfig["repo"], ev.RepoFullName) {
					out = append(out, p)
				}
				continue
			}
			if keys[RepoKey(p.SourceConfig["url"])] {
				out = append(out, p)
			}
		}
		if len(ps) < page.Limit {
			return out, nil
		}
		page.After = ps[len(ps)-1].ID
	}
}

// deploymentsOf lists every deployment of a project.
func (a *Admin) deploymentsOf(ctx context.Context, projectID string) ([]*Deployment, error) {
	return a.store.ListDeployments(ctx, projectID, Page{})
}

// isPullRequestPreview reports whether d builds a pull request's head.
func isPullRequestPreview(d *Deployment) bool {
	return d.Type == DeploymentPreview && strings.HasPrefix(d.Branch, "refs/pull/")
}

func failed(p *Project, d *Deployment, err error) WebhookAction {
	act := WebhookAction{ProjectID: p.ID, Action: "failed", Reason: err.Error()}
	if d != nil {
		act.DeploymentID = d.ID
	}
	return act
}

// deployAt queues a build of d at commit and cancels d's older builds in
// flight: the newest commit wins.
func (a *Admin) deployAt(ctx context.Context, p *Project, d *Deployment, commit string) WebhookAction {
	b, err := a.enqueueRef(ctx, "deployment.deploy", d.ID, TriggerWebhook, commit, nil)
	if err != nil {
		return failed(p, d, err)
	}
	inflight, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: d.ID,
		Statuses: []BuildStatus{BuildBuilding, BuildDeploying}}, Page{})
	if err == nil {
		for _, old := range inflight {
			if old.ID < b.ID {
				if err := a.CancelBuild(ctx, old.ID); err != nil && !errors.Is(err, ErrConflict) {
					a.logger.WarnContext(ctx, "cancel a superseded build", "build", old.ID, "err", err)
				}
			}
		}
	}
	return WebhookAction{ProjectID: p.ID, DeploymentID: d.ID, Action: "deploy", BuildID: b.ID}
}

func (a *Admin) onPush(ctx context.Context, ps PreviewStore, p *Project, ev *WebhookEvent) []WebhookAction {
	deps, err := a.deploymentsOf(ctx, p.ID)
	if err != nil {
		return []WebhookAction{failed(p, nil, err)}
	}
	var acts []WebhookAction
	for _, d := range deps {
		if d.Branch != ev.Branch || isPullRequestPreview(d) {
			continue
		}
		if pr, err := ps.GetPreview(ctx, d.ID); err == nil {
			pr.HeadSHA, pr.ClosedAt, pr.UpdatedAt = ev.Commit, nil, a.clock()
			if err := ps.UpdatePreview(ctx, pr); err != nil {
				acts = append(acts, failed(p, d, err))
				continue
			}
		}
		acts = append(acts, a.deployBranch(ctx, p, d, ev))
	}
	if len(acts) > 0 || !a.previewOptions().Branches {
		return acts
	}
	if ev.Branch == p.DefaultBranch || ev.Branch == ev.DefaultBranch {
		return []WebhookAction{{ProjectID: p.ID, Action: "skipped", Reason: "no deployment builds the default branch " + ev.Branch}}
	}
	d, _, act := a.newPreview(ctx, ps, p, NewDeployment{Type: DeploymentPreview, Branch: ev.Branch},
		&Preview{Repo: ev.RepoFullName, Branch: ev.Branch, HeadSHA: ev.Commit, HeadRepo: ev.RepoFullName})
	if d == nil {
		return []WebhookAction{act}
	}
	return []WebhookAction{a.deployBranch(ctx, p, d, ev)}
}

// deployBranch deploys the pushed commit to d, which follows the pushed
// branch, and has its builds reported to the repository from then on.
func (a *Admin) deployBranch(ctx context.Context, p *Project, d *Deployment, ev *WebhookEvent) WebhookAction {
	act := a.deployAt(ctx, p, d, ev.Commit)
	if act.Action == "deploy" {
		a.trackBranch(ctx, d, ev.RepoFullName)
	}
	return act
}

// newPreview makes a preview deployment and its Preview record, within the
// project's cap and the license.
func (a *Admin) newPreview(ctx context.Context, ps PreviewStore, p *Project, in NewDeployment, pr *Preview) (*Deployment, *Preview, WebhookAction) {
	open := 0
	for page := (Page{Limit: 500}); ; {
		list, err := ps.ListPreviews(ctx, p.ID, page)
		if err != nil {
			return nil, nil, failed(p, nil, err)
		}
		for _, x := range list {
			if x.ClosedAt == nil {
				open++
			}
		}
		if len(list) < page.Limit {
			break
		}
		page.After = list[len(list)-1].DeploymentID
	}
	if max := a.previewOptions().MaxPerProject; open >= max {
		return nil, nil, WebhookAction{ProjectID: p.ID, Action: "skipped",
			Reason: fmt.Sprintf("the project has %d open previews, its cap", max)}
	}
	d, err := a.CreateDeployment(ctx, p.ID, in)
	if err != nil {
		return nil, nil, failed(p, nil, err)
	}
	now := a.clock()
	pr.DeploymentID, pr.ProjectID, pr.CreatedAt, pr.UpdatedAt, pr.Version = d.ID, p.ID, now, now, 1
	if err := ps.CreatePreview(ctx, pr); err != nil {
		if derr := a.store.DeleteDeployment(context.WithoutCancel(ctx), d.ID); derr != nil {
			a.logger.ErrorContext(ctx, "undo preview deployment", "deployment", d.ID, "err", derr)
		}
		return nil, nil, failed(p, nil, err)
	}
	return d, pr, WebhookAction{}
}

func (a *Admin) onBranchDeleted(ctx context.Context, ps PreviewStore, p *Project, ev *WebhookEvent) []WebhookAction {
	deps, err := a.deploymentsOf(ctx, p.ID)
	if err != nil {
		return []WebhookAction{failed(p, nil, err)}
	}
	var acts []WebhookAction
	for _, d := range deps {
		if d.Type != DeploymentPreview || d.Branch != ev.Branch || isPullRequestPreview(d) {
			continue
		}
		pr, err := ps.GetPreview(ctx, d.ID)
		if errors.Is(err, ErrNotFound) {
			acts = append(acts, WebhookAction{ProjectID: p.ID, DeploymentID: d.ID, Action: "skipped",
				Reason: "preview " + d.Slug + " was made by hand, not by the platform"})
			continue
		}
		if err != nil {
			acts = append(acts, failed(p, d, err))
			continue
		}
		acts = append(acts, a.teardown(ctx, ps, p, d, pr))
	}
	return acts
}

func pullSlug(n int) string { return fmt.Sprintf("pr-%d", n) }

func (a *Admin) onPullRequest(ctx context.Context, ps PreviewStore, p *Project, ev *WebhookEvent) []WebhookAction {
	if !a.previewOptions().PullRequests {
		return []WebhookAction{{ProjectID: p.ID, Action: "skipped", Reason: "pull request previews are off"}}
	}
	if act, ok := a.newestPullEvent(ctx, ps, p, ev); !ok {
		return []WebhookAction{act}
	}
	d, err := a.store.GetDeploymentBySlug(ctx, p.ID, pullSlug(ev.Number))
	var pr *Preview
	switch {
	case errors.Is(err, ErrNotFound):
		var act WebhookAction
		d, pr, act = a.newPreview(ctx, ps, p,
			NewDeployment{Type: DeploymentPreview, Branch: fmt.Sprintf("refs/pull/%d/head", ev.Number), Slug: pullSlug(ev.Number)},
			&Preview{Repo: ev.RepoFullName, Number: ev.Number, Branch: ev.Branch, HeadSHA: ev.Commit, HeadRepo: ev.HeadRepo, Fork: ev.Fork})
		if d == nil {
			return []WebhookAction{act}
		}
	case err != nil:
		return []WebhookAction{failed(p, nil, err)}
	default:
		if pr, err = ps.GetPreview(ctx, d.ID); errors.Is(err, ErrNotFound) {
			return []WebhookAction{{ProjectID: p.ID, DeploymentID: d.ID, Action: "skipped",
				Reason: "deployment " + d.Slug + " was made by hand, not by the platform"}}
		} else if err != nil {
			return []WebhookAction{failed(p, d, err)}
		}
		pr.Repo, pr.Branch, pr.HeadSHA, pr.HeadRepo, pr.ClosedAt, pr.UpdatedAt = ev.RepoFullName, ev.Branch, ev.Commit, ev.HeadRepo, nil, a.clock()
		// Once a fork, always a fork: a head repository renamed to look
		// like the base does not earn trust.
		pr.Fork = pr.Fork || ev.Fork
		if err := ps.UpdatePreview(ctx, pr); err != nil {
			return []WebhookAction{failed(p, d, err)}
		}
	}
	act := WebhookAction{ProjectID: p.ID, DeploymentID: d.ID, Action: "await-approval",
		Reason: fmt.Sprintf("pull request #%d comes from fork %s: a team member must approve commit %s", ev.Number, ev.HeadRepo, ev.Commit)}
	if !pr.AwaitingApproval() {
		act = a.deployAt(ctx, p, d, ev.Commit)
	}
	return []WebhookAction{act}
}

// newestPullEvent records ev as the newest state of its pull request in
// p; when a newer event of it was acted on already, it reports false and
// the skip.
func (a *Admin) newestPullEvent(ctx context.Context, ps PreviewStore, p *Project, ev *WebhookEvent) (WebhookAction, bool) {
	at := ev.At
	if at.IsZero() {
		at = a.clock() // the payload does not say: the order of arrival
	}
	ok, err := ps.RecordPullRequest(ctx, &PullRequestState{ProjectID: p.ID, Number: ev.Number,
		Open: ev.Kind == EventPullRequestUpdated, HeadSHA: ev.Commit, EventAt: at})
	if err != nil {
		return failed(p, nil, err), false
	}
	if !ok {
		return WebhookAction{ProjectID: p.ID, Action: "skipped", Reason: fmt.Sprintf(
			"pull request #%d changed after this event (of %s): a newer one was acted on", ev.Number, at.Format(time.RFC3339))}, false
	}
	return WebhookAction{}, true
}

func (a *Admin) onPullRequestClosed(ctx context.Context, ps PreviewStore, p *Project, ev *WebhookEvent) []WebhookAction {
	if act, ok := a.newestPullEvent(ctx, ps, p, ev); !ok {
		return []WebhookAction{act}
	}
	d, err := a.store.GetDeploymentBySlug(ctx, p.ID, pullSlug(ev.Number))
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return []WebhookAction{failed(p, nil, err)}
	}
	pr, err := ps.GetPreview(ctx, d.ID)
	if errors.Is(err, ErrNotFound) {
		return []WebhookAction{{ProjectID: p.ID, DeploymentID: d.ID, Action: "skipped",
			Reason: "deployment " + d.Slug + " was made by hand, not by the platform"}}
	}
	if err != nil {
		return []WebhookAction{failed(p, d, err)}
	}
	return []WebhookAction{a.teardown(ctx, ps, p, d, pr)}
}

// teardown queues the preview's teardown: it marks the preview closed in
// Storage, and the preview worker (sweepPreviews) cancels its builds,
// takes its route down, stops its servers and deletes the deployment.
func (a *Admin) teardown(ctx context.Context, ps PreviewStore, p *Project, d *Deployment, pr *Preview) WebhookAction {
	if pr.ClosedAt == nil {
		now := a.clock()
		pr.ClosedAt, pr.UpdatedAt = &now, now
		if err := ps.UpdatePreview(ctx, pr); err != nil {
			return failed(p, d, err)
		}
	}
	return WebhookAction{ProjectID: p.ID, DeploymentID: d.ID, Action: "teardown", Reason: "queued: the preview worker takes it down"}
}

// dismantle cancels d's builds, removes its route, stops its servers and
// deletes it once idle (ErrConflict from checkIdle leaves it for later).
func (a *Admin) dismantle(ctx context.Context, d *Deployment) error {
	builds, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: d.ID,
		Statuses: []BuildStatus{BuildQueued, BuildBuilding, BuildDeploying}}, Page{})
	if err != nil {
		return err
	}
	for _, b := range builds {
		if err := a.CancelBuild(ctx, b.ID); err != nil && !errors.Is(err, ErrConflict) {
			return err
		}
	}
	if a.router != nil {
		if err := a.router.RemoveRoute(ctx, d.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if a.runner != nil {
		if err := a.stopServers(ctx, d.ID, ""); err != nil {
			return err
		}
	}
	if err := a.DeleteDeployment(ctx, d.ID); err != nil && !errors.Is(err, ErrConflict) && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// previewWorker does the previews' work that webhooks, the reconciler and
// the TTL queue in Storage (sweepPreviews): at Start, when woken (a
// webhook was acted on, a build ended, a fork's commit was approved), and
// each health interval, for what other admin processes queued or ended.
// Since its work is read from Storage, what one admin queued and could not
// finish before it stopped is finished by the next.
func (a *Admin) previewWorker(ctx context.Context) {
	t := time.NewTicker(a.healthInterval)
	defer t.Stop()
	for {
		a.sweepPreviews(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-a.hooks.state.wake:
		}
	}
}

// wakePreviews asks the preview worker for a round.
func (a *Admin) wakePreviews() {
	select {
	case a.hooks.state.wake <- struct{}{}:
	default: // a round is asked for already
	}
}

// sweepPreviews, the preview worker's round, reports each build of a
// branch's deployment whose state changed to its repository
// (reportBranches), tears down previews past their TTL and closed ones
// (deleting a deployment once its cancelled builds have settled), reports
// each pull-request preview whose state changed to its pull request
// (reportPreview), and forgets delivery ids past their retention.
func (a *Admin) sweepPreviews(ctx context.Context) {
	ps, ok := a.store.(PreviewStore)
	if !ok {
		return
	}
	ctx = WithPrincipal(ctx, SystemPrincipal())
	a.reportBranches(ctx)
	if _, err := ps.DeleteDeliveriesBefore(ctx, a.clock().Add(-a.previewOptions().DeliveryRetention)); err != nil && ctx.Err() == nil {
		a.logger.WarnContext(ctx, "forget old webhook deliveries", "err", err)
	}
	for page := (Page{Limit: 500}); ; {
		list, err := ps.ListPreviews(ctx, "", page)
		if err != nil {
			if ctx.Err() == nil {
				a.logger.WarnContext(ctx, "list previews", "err", err)
			}
			return
		}
		a.reconcilePreviews(ctx, ps, list)
		ttl := a.previewOptions().TTL
		for _, pr := range list {
			if pr.ClosedAt == nil && ttl > 0 && a.clock().Sub(pr.UpdatedAt) > ttl {
				now := a.clock()
				pr.ClosedAt, pr.UpdatedAt = &now, now
				if err := ps.UpdatePreview(ctx, pr); err != nil {
					continue // changed meanwhile: looked at again next round
				}
				a.logger.InfoContext(ctx, "preview past its TTL", "deployment", pr.DeploymentID, "ttl", ttl)
			}
			// Reported before the teardown: the Preview goes with its
			// deployment. While another admin's report of it is in
			// flight, the teardown waits a round, so that the closed
			// state is reported after that one.
			if a.reportPreview(ctx, ps, pr) || pr.ClosedAt == nil {
				continue
			}
			d, err := a.store.GetDeployment(ctx, pr.DeploymentID)
			if err != nil {
				continue
			}
			if err := a.dismantle(ctx, d); err != nil && ctx.Err() == nil {
				a.logger.WarnContext(ctx, "tear down a closed preview", "deployment", d.ID, "err", err)
			}
		}
		if len(list) < page.Limit {
			return
		}
		page.After = list[len(list)-1].DeploymentID
	}
}

// previewRef is the ref a build of d builds, given the ref asked for (""
// for the deployment's branch). A fork's pull-request preview builds only
// the commit a team member approved.
func (a *Admin) previewRef(ctx context.Context, d *Deployment, ref string) (string, error) {
	if ref == "" {
		ref = d.Branch
	}
	if d.Type != DeploymentPreview {
		return ref, nil
	}
	ps, ok := a.store.(PreviewStore)
	if !ok {
		return ref, nil
	}
	pr, err := ps.GetPreview(ctx, d.ID)
	if errors.Is(err, ErrNotFound) {
		return ref, nil
	}
	if err != nil {
		return "", err
	}
	if !pr.Fork {
		return ref, nil
	}
	if pr.AwaitingApproval() || pr.ApprovedSHA == "" {
		return "", fmt.Errorf("preview %s builds a fork's pull request: a team member must approve commit %s first: %w",
			d.Slug, pr.HeadSHA, ErrConflict)
	}
	if ref != d.Branch && ref != pr.ApprovedSHA {
		return "", fmt.Errorf("preview %s may only build the approved commit %s: %w", d.Slug, pr.ApprovedSHA, ErrConflict)
	}
	return pr.ApprovedSHA, nil
}

// forkSafeEnv drops every env var of a build of a fork's pull request:
// code from outside the team never sees the project's secrets.
func (a *Admin) forkSafeEnv(ctx context.Context, d *Deployment, env map[string]string, logf LogFunc) (map[string]string, error) {
	if d.Type != DeploymentPreview {
		return env, nil
	}
	ps, ok := a.store.(PreviewStore)
	if !ok {
		return env, nil
	}
	pr, err := ps.GetPreview(ctx, d.ID)
	if errors.Is(err, ErrNotFound) {
		return env, nil
	}
	if err != nil {
		return nil, err
	}
	if pr.Fork {
		if len(env) > 0 {
			logf("admin", "", fmt.Sprintf("pull request from fork %s: built and run without the project's %d env vars", pr.HeadRepo, len(env)))
		}
		return map[string]string{}, nil
	}
	return env, nil
}

// ApprovePreview lets a fork's pull-request preview build commit, its
// current head, and queues that build. It needs the deploy permission on
// the project (a team member). It fails with ErrConflict when commit is
// not the head any more (approve the new head) or the pull request is
// closed, and with ErrInvalidArgument for a deployment that is not a
// fork's pull-request preview.
func (a *Admin) ApprovePreview(ctx context.Context, deploymentID, commit string) (b *Build, err error) {
	o := a.begin("preview.approve", "deployment", deploymentID, "")
	o.ev.Metadata["commit"] = commit
	defer func() { o.end(ctx, err) }()
	d, p, err := a.deploymentFor(ctx, deploymentID, PermDeploy)
	if err != nil {
		return nil, err
	}
	o.ev.TeamID = p.TeamID
	if !isCommitID(commit) {
		return nil, invalid("commit", "%q is not a full commit id", commit)
	}
	ps, ok := a.store.(PreviewStore)
	if !ok {
		return nil, fmt.Errorf("previews need a Storage with the PreviewStore capability: %w", ErrNotSupported)
	}
	err = retryConflict(ctx, func() error {
		pr, err := ps.GetPreview(ctx, d.ID)
		if errors.Is(err, ErrNotFound) {
			return invalid("deployment", "%s is not a pull-request preview made by the platform", d.Slug)
		}
		if err != nil {
			return err
		}
		switch {
		case !pr.Fork:
			return invalid("deployment", "%s does not come from a fork and needs no approval", d.Slug)
		case pr.ClosedAt != nil:
			return fmt.Errorf("pull request #%d is closed: %w", pr.Number, ErrConflict)
		case pr.HeadSHA != commit:
			return fmt.Errorf("the head of pull request #%d is now %s, not %s; review and approve that: %w",
				pr.Number, pr.HeadSHA, commit, ErrConflict)
		}
		pr.ApprovedSHA, pr.UpdatedAt = commit, a.clock()
		return ps.UpdatePreview(ctx, pr)
	})
	if err != nil {
		return nil, err
	}
	defer a.wakePreviews()
	return a.enqueueRef(ctx, "deployment.deploy", d.ID, TriggerManual, commit, nil)
}

// GetPreview returns what the platform knows of a preview deployment it
// made; ErrNotFound for any other deployment.
func (a *Admin) GetPreview(ctx context.Context, deploymentID string) (*Preview, error) {
	d, _, err := a.deploymentFor(ctx, deploymentID, PermProjectRead)
	if err != nil {
		return nil, err
	}
	ps, ok := a.store.(PreviewStore)
	if !ok {
		return nil, fmt.Errorf("previews need a Storage with the PreviewStore capability: %w", ErrNotSupported)
	}
	return ps.GetPreview(ctx, d.ID)
}
