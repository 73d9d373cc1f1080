package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

var _ admin.PreviewStore = (*Store)(nil)

// RecordDelivery stores a webhook delivery; ErrAlreadyExists for a
// redelivery.
func (s *Store) RecordDelivery(ctx context.Context, d *admin.WebhookDelivery) error {
	return s.insert(ctx, fmt.Sprintf("record webhook delivery %q", d.ID),
		`INSERT INTO mastra_admin_webhook_deliveries (id, provider, event, received_at) VALUES ($1, $2, $3, $4)`,
		d.ID, d.Provider, d.Event, d.ReceivedAt)
}

// DeleteDeliveriesBefore forgets deliveries received before t.
func (s *Store) DeleteDeliveriesBefore(ctx context.Context, t time.Time) (int, error) {
	tag, err := s.exec(ctx, "delete old webhook deliveries",
		`DELETE FROM mastra_admin_webhook_deliveries WHERE received_at < $1`, t)
	if err != nil {
		return 0, err
	}
	return int(tag.RowsAffected()), nil
}

// DeleteDelivery forgets one delivery.
func (s *Store) DeleteDelivery(ctx context.Context, id string) error {
	return s.remove(ctx, fmt.Sprintf("delete webhook delivery %q", id),
		`DELETE FROM mastra_admin_webhook_deliveries WHERE id = $1`, id)
}

const previewColumns = `deployment_id, project_id, number, branch, head_sha, head_repo, fork, approved_sha,
	closed_at, repo, reported, created_at, updated_at, version`

func scanPreview(row pgx.CollectableRow) (*admin.Preview, error) {
	var p admin.Preview
	if err := row.Scan(&p.DeploymentID, &p.ProjectID, &p.Number, &p.Branch, &p.HeadSHA, &p.HeadRepo, &p.Fork,
		&p.ApprovedSHA, &p.ClosedAt, &p.Repo, &p.Reported, &p.CreatedAt, &p.UpdatedAt, &p.Version); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt, p.ClosedAt = utc(p.CreatedAt), utc(p.UpdatedAt), utcPtr(p.ClosedAt)
	return &p, nil
}

// CreatePreview stores a preview record.
func (s *Store) CreatePreview(ctx context.Context, p *admin.Preview) error {
	return s.insert(ctx, fmt.Sprintf("create preview %q", p.DeploymentID),
		`INSERT INTO mastra_admin_previews (`+previewColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		p.DeploymentID, p.ProjectID, p.Number, p.Branch, p.HeadSHA, p.HeadRepo, p.Fork, p.ApprovedSHA,
		p.ClosedAt, p.Repo, p.Reported, p.CreatedAt, p.UpdatedAt, p.Version)
}

// GetPreview returns the preview record of a deployment.
func (s *Store) GetPreview(ctx context.Context, deploymentID string) (*admin.Preview, error) {
	return getOne(ctx, s, fmt.Sprintf("get preview %q", deploymentID), scanPreview,
		`SELECT `+previewColumns+` FROM mastra_admin_previews WHERE deployment_id = $1`, deploymentID)
}

// ListPreviews lists a project's previews (all with "") by deployment id.
func (s *Store) ListPreviews(ctx context.Context, projectID string, page admin.Page) ([]*admin.Preview, error) {
	var q query
	q.whereIf(`project_id = %s`, projectID)
	sql := q.sql(`SELECT `+previewColumns+` FROM mastra_admin_previews`, "deployment_id", page)
	return list(ctx, s, "list previews", scanPreview, sql, q.args...)
}

// UpdatePreview writes a preview's mutable fields if p.Version is the
// stored version.
func (s *Store) UpdatePreview(ctx context.Context, p *admin.Preview) error {
	err := s.update(ctx, fmt.Sprintf("update preview %q", p.DeploymentID),
		`UPDATE mastra_admin_previews SET number = $2, branch = $3, head_sha = $4, head_repo = $5, fork = $6,
		 approved_sha = $7, updated_at = $8, version = version + 1, closed_at = $10, reported = $11, repo = $12
		 WHERE deployment_id = $1 AND version = $9`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_previews WHERE deployment_id = $1)`, 1,
		p.DeploymentID, p.Number, p.Branch, p.HeadSHA, p.HeadRepo, p.Fork, p.ApprovedSHA, p.UpdatedAt, p.Version,
		p.ClosedAt, p.Reported, p.Repo)
	if err != nil {
		return err
	}
	p.Version++
	return nil
}

// RecordPullRequest stores a pull request's state unless the stored one
// is newer (see admin.PreviewStore), in one statement.
func (s *Store) RecordPullRequest(ctx context.Context, st *admin.PullRequestState) (bool, error) {
	tag, err := s.exec(ctx, fmt.Sprintf("record pull request %d of project %q", st.Number, st.ProjectID),
		`INSERT INTO mastra_admin_pull_requests AS p (project_id, number, open, head_sha, event_at)
		 VALUES ($1, $2, $3, $4, $5)
		 ON CONFLICT (project_id, number) DO UPDATE SET open = excluded.open, head_sha = excluded.head_sha,
		 event_at = excluded.event_at
		 WHERE excluded.event_at > p.event_at OR (excluded.event_at = p.event_at AND (p.open OR NOT excluded.open))`,
		st.ProjectID, st.Number, st.Open, st.HeadSHA, st.EventAt)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() > 0, nil
}
