package admin

import "context"

// Preview states reported to a PreviewReporter.
const (
	PreviewBuilding         = "building"
	PreviewAwaitingApproval = "awaiting-approval"
	PreviewClosed           = "closed"
)

// PreviewEvent is one change of a platform-made preview, for the pull
// request's page.
type PreviewEvent struct {
	// Repo is the repository's full name (owner/name).
	Repo       string
	Project    *Project
	Deployment *Deployment
	Preview    *Preview
	// State is PreviewBuilding, PreviewAwaitingApproval or PreviewClosed.
	State string
	// URL is the preview's public URL.
	URL string
	// BuildID is the build queued, for PreviewBuilding.
	BuildID string
}

// PreviewReporter tells a pull request what its preview is doing
// (source/github's Reporter: one sticky comment, a commit status, a GitHub
// Deployment marked inactive on teardown). ReportPreview is called after
// the webhook's work is stored; its error is logged, never returned to
// the webhook's sender.
type PreviewReporter interface {
	ReportPreview(ctx context.Context, ev PreviewEvent) error
}

// WithPreviewReporter sets who reports previews back to pull requests.
func WithPreviewReporter(r PreviewReporter) Option {
	return func(c *config) error { c.hooks.reporter = r; return nil }
}

// reportPreview tells the reporter, when there is one, about a PR preview.
func (a *Admin) reportPreview(ctx context.Context, ev *WebhookEvent, p *Project, d *Deployment, pr *Preview, act WebhookAction) {
	r := a.hooks.reporter
	if r == nil || pr == nil || pr.Number == 0 {
		return
	}
	state := map[string]string{"deploy": PreviewBuilding, "await-approval": PreviewAwaitingApproval, "teardown": PreviewClosed}[act.Action]
	if state == "" {
		return
	}
	e := PreviewEvent{Repo: ev.RepoFullName, Project: p, Deployment: d, Preview: pr, State: state, URL: d.PublicURL, BuildID: act.BuildID}
	if err := r.ReportPreview(ctx, e); err != nil {
		a.logger.WarnContext(ctx, "report a preview to its pull request", "deployment", d.ID, "state", state, "err", err)
	}
}
