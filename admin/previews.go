package admin

import (
	"context"
	"time"
)

// WebhookDelivery records one accepted webhook delivery, so that a
// redelivery (same provider and delivery id) is recognised and ignored.
type WebhookDelivery struct {
	// ID is "{provider}:{delivery id}", e.g. "github:72d3162e-…".
	ID         string    `json:"id"`
	Provider   string    `json:"provider"`
	Event      string    `json:"event"`
	ReceivedAt time.Time `json:"receivedAt"`
}

// Preview is what the platform knows of a preview deployment it made from
// a pull request or a branch. Only deployments with a Preview record are
// ever torn down by webhooks and the reconciler: a preview made by hand is
// left alone.
type Preview struct {
	// DeploymentID is the preview deployment's id (the record's key).
	DeploymentID string `json:"deploymentId"`
	ProjectID    string `json:"projectId"`
	// Repo is the full name (owner/name) of the project's repository, as
	// the webhooks name it: where the pull request is reported.
	Repo string `json:"repo,omitempty"`
	// Number is the pull request's number; 0 for a branch preview.
	Number int `json:"number,omitempty"`
	// Branch is the head branch (the PR's head ref, or the branch).
	Branch string `json:"branch"`
	// HeadSHA is the newest head commit seen.
	HeadSHA string `json:"headSha"`
	// HeadRepo is the full name (owner/name) of the repository the head
	// lives in: another one than the project's for a fork.
	HeadRepo string `json:"headRepo,omitempty"`
	// Fork marks a pull request from another repository: it is built only
	// once a team member approves its head commit (ApprovedSHA), and never
	// with the project's secrets.
	Fork bool `json:"fork,omitempty"`
	// ApprovedSHA is the head commit a team member approved (forks only).
	ApprovedSHA string `json:"approvedSha,omitempty"`
	// ClosedAt is when the pull request closed or the branch went: the
	// preview's teardown is queued, and the preview worker does it.
	ClosedAt *time.Time `json:"closedAt,omitempty"`
	// Reported is the last state the preview worker told the
	// PreviewReporter ("{state}:{build id}", or "closed"): a state is
	// reported once, whichever admin process sees it first, and one that
	// changed while no admin ran is reported after a restart.
	Reported  string    `json:"reported,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// AwaitingApproval reports whether the preview is a fork pull request
// whose newest head commit no team member approved yet.
func (p *Preview) AwaitingApproval() bool { return p.Fork && p.ApprovedSHA != p.HeadSHA }

// PullRequestState is the newest known state of one pull request of a
// project, kept apart from its preview (which may not exist yet, or any
// more) so that an event older than it is recognised and ignored: GitHub
// does not promise to deliver a pull request's events in order.
type PullRequestState struct {
	ProjectID string `json:"projectId"`
	Number    int    `json:"number"`
	// Open is false once the pull request closed.
	Open bool `json:"open"`
	// HeadSHA is its head commit at that event.
	HeadSHA string `json:"headSha"`
	// EventAt is when the pull request changed, as the event says
	// (pull_request.updated_at).
	EventAt time.Time `json:"eventAt"`
}

// PreviewStore is an optional Storage capability (storage/sqlite and
// storage/postgres have it) that webhooks and previews need. Create, Get
// and Update follow the rules of Storage; a Preview goes with its
// deployment (DeleteDeployment, DeleteProject).
type PreviewStore interface {
	// RecordDelivery stores d; ErrAlreadyExists when its ID was recorded
	// before (a redelivery).
	RecordDelivery(ctx context.Context, d *WebhookDelivery) error
	// DeleteDeliveriesBefore forgets deliveries received before t and
	// returns how many.
	DeleteDeliveriesBefore(ctx context.Context, t time.Time) (int, error)
	// DeleteDelivery forgets one delivery (one whose work failed, so that
	// a redelivery does it); ErrNotFound when it is not recorded.
	DeleteDelivery(ctx context.Context, id string) error
	// CreatePreview stores p; ErrAlreadyExists when its deployment has one,
	// ErrConflict when the deployment or project does not exist.
	CreatePreview(ctx context.Context, p *Preview) error
	GetPreview(ctx context.Context, deploymentID string) (*Preview, error)
	// ListPreviews lists a project's previews (every project's with ""),
	// ordered by DeploymentID.
	ListPreviews(ctx context.Context, projectID string, page Page) ([]*Preview, error)
	UpdatePreview(ctx context.Context, p *Preview) error
	// RecordPullRequest stores s as its pull request's state unless the
	// stored one is newer, and reports whether it stored s. The stored
	// state is newer when its EventAt is after s's, or the same with the
	// stored state closed and s open (a pull request opened and closed
	// within a second is closed). The state goes with its project.
	RecordPullRequest(ctx context.Context, s *PullRequestState) (bool, error)
}

// EnvScopePreview is the env scope of a project's preview env vars: every
// preview deployment gets them over the project's vars of the same name
// (as Vercel's "Preview" environment), and its own overrides
// (SetDeploymentEnvVars) over both. Production and staging never see
// them; a fork's pull-request preview gets no env vars at all.
const EnvScopePreview = "preview"

// SetPreviewEnvVars sets (adds or replaces) project env vars that only
// preview deployments get, e.g. a staging API endpoint or a test key in
// place of production's. Values are sealed as SetEnvVars's and never
// returned.
func (a *Admin) SetPreviewEnvVars(ctx context.Context, projectID string, values map[string]string) ([]EnvVarInfo, error) {
	return a.setProjectEnv(ctx, projectID, EnvScopePreview, values)
}

// ListPreviewEnvVars lists the names and metadata of a project's preview
// env vars, never values.
func (a *Admin) ListPreviewEnvVars(ctx context.Context, projectID string) ([]EnvVarInfo, error) {
	return a.listProjectEnv(ctx, projectID, EnvScopePreview)
}

// DeletePreviewEnvVar removes a project's preview env var; the previews
// then get the project's var of that name, if any.
func (a *Admin) DeletePreviewEnvVar(ctx context.Context, projectID, name string) error {
	return a.deleteProjectEnv(ctx, projectID, EnvScopePreview, name)
}
