package admin

import (
	"context"
	"errors"
)

// Preview states reported to a PreviewReporter.
const (
	// PreviewBuilding: a build of the preview is queued or in flight.
	PreviewBuilding = "building"
	// PreviewAwaitingApproval: a fork's head commit waits for a team
	// member's ApprovePreview.
	PreviewAwaitingApproval = "awaiting-approval"
	// PreviewReady: the newest build succeeded and the URL serves it.
	PreviewReady = "ready"
	// PreviewFailed: the newest build failed (Build.Error says why).
	PreviewFailed = "failed"
	// PreviewCancelled: the newest build was cancelled.
	PreviewCancelled = "cancelled"
	// PreviewClosed: the pull request closed; the preview is torn down.
	PreviewClosed = "closed"
)

// PreviewEvent is one change of a platform-made preview, for the pull
// request's page.
type PreviewEvent struct {
	// Repo is the repository's full name (owner/name).
	Repo       string
	Project    *Project
	Deployment *Deployment
	Preview    *Preview
	// State is one of the Preview* states above.
	State string
	// URL is the preview's public URL.
	URL string
	// BuildID is the preview's newest build: the one building, ready,
	// failed or cancelled; Build is that build (nil for the other states).
	BuildID string
	Build   *Build
}

// PreviewReporter tells a pull request what its preview is doing
// (source/github's Reporter: one sticky comment, a commit status, a GitHub
// Deployment and its status, a check run with an App). The preview worker
// calls ReportPreview once for each state a pull-request preview reaches:
// building, awaiting approval, its build's end (ready, failed, cancelled)
// and closed. The state reported is recorded (Preview.Reported), so a
// change made while no admin ran (a build that ended as its admin
// stopped) is reported by the next one; a failed report is tried again
// each round, except a closed preview's, whose teardown does not wait.
// Its error is logged.
type PreviewReporter interface {
	ReportPreview(ctx context.Context, ev PreviewEvent) error
}

// WithPreviewReporter sets who reports previews back to pull requests.
func WithPreviewReporter(r PreviewReporter) Option {
	return func(c *config) error { c.hooks.reporter = r; return nil }
}

// previewState is what pr is now, with its newest build for the states
// that name one; "" when there is nothing to say (no build yet).
func (a *Admin) previewState(ctx context.Context, pr *Preview) (string, *Build, error) {
	switch {
	case pr.ClosedAt != nil:
		return PreviewClosed, nil, nil
	case pr.AwaitingApproval():
		return PreviewAwaitingApproval, nil, nil
	}
	list, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: pr.DeploymentID}, Page{Limit: 1, Desc: true})
	if err != nil || len(list) == 0 {
		return "", nil, err
	}
	b := list[0]
	if b.CompletedAt == nil { // an ending build is settled once CompletedAt is set
		return PreviewBuilding, b, nil
	}
	switch b.Status {
	case BuildSucceeded:
		return PreviewReady, b, nil
	case BuildFailed:
		return PreviewFailed, b, nil
	case BuildCancelled:
		return PreviewCancelled, b, nil
	}
	return PreviewBuilding, b, nil
}

// reportPreview tells the reporter, when there is one, the state of a
// pull-request preview when it is not the one last reported, and records
// it (Preview.Reported; pr's version moves on).
func (a *Admin) reportPreview(ctx context.Context, ps PreviewStore, pr *Preview) {
	r := a.hooks.reporter
	if r == nil || pr.Number == 0 || pr.Repo == "" {
		return
	}
	state, b, err := a.previewState(ctx, pr)
	if err != nil {
		a.logger.WarnContext(ctx, "read a preview's state to report it", "deployment", pr.DeploymentID, "err", err)
		return
	}
	key := state
	switch {
	case b != nil:
		key += ":" + b.ID
	case state == PreviewAwaitingApproval:
		key += ":" + pr.HeadSHA
	}
	if state == "" || key == pr.Reported {
		return
	}
	d, err := a.store.GetDeployment(ctx, pr.DeploymentID)
	if err != nil {
		if !errors.Is(err, ErrNotFound) {
			a.logger.WarnContext(ctx, "read a preview's deployment to report it", "deployment", pr.DeploymentID, "err", err)
		}
		return
	}
	p, err := a.store.GetProject(ctx, pr.ProjectID)
	if err != nil {
		a.logger.WarnContext(ctx, "read a preview's project to report it", "deployment", pr.DeploymentID, "err", err)
		return
	}
	ev := PreviewEvent{Repo: pr.Repo, Project: p, Deployment: d, Preview: pr, State: state, URL: d.PublicURL, Build: b}
	if b != nil {
		ev.BuildID = b.ID
	}
	if err := r.ReportPreview(ctx, ev); err != nil {
		a.logger.WarnContext(ctx, "report a preview to its pull request", "deployment", d.ID, "state", state, "err", err)
		return
	}
	pr.Reported = key
	if err := ps.UpdatePreview(ctx, pr); err != nil && ctx.Err() == nil {
		// Changed meanwhile: looked at, and maybe reported, again next round.
		a.logger.InfoContext(ctx, "record a preview's reported state", "deployment", d.ID, "state", state, "err", err)
	}
}
