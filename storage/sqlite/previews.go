package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

var _ admin.PreviewStore = (*Store)(nil)

// RecordDelivery stores a webhook delivery; ErrAlreadyExists for a
// redelivery.
func (s *Store) RecordDelivery(ctx context.Context, d *admin.WebhookDelivery) error {
	_, err := s.exec(ctx, fmt.Sprintf("record webhook delivery %q", d.ID),
		`INSERT INTO webhook_deliveries (id, provider, event, received_at) VALUES (?, ?, ?, ?)`,
		d.ID, d.Provider, d.Event, micros(d.ReceivedAt))
	return err
}

// DeleteDeliveriesBefore forgets deliveries received before t.
func (s *Store) DeleteDeliveriesBefore(ctx context.Context, t time.Time) (int, error) {
	res, err := s.exec(ctx, "delete old webhook deliveries", `DELETE FROM webhook_deliveries WHERE received_at < ?`, micros(t))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// DeleteDelivery forgets one delivery.
func (s *Store) DeleteDelivery(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete webhook delivery %q", id)
	res, err := s.exec(ctx, op, `DELETE FROM webhook_deliveries WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return s.fail(op, err)
	} else if n == 0 {
		return notFound(op)
	}
	return nil
}

const previewCols = `deployment_id, project_id, number, branch, head_sha, head_repo, fork, approved_sha,
	closed_at, repo, reported, created_at, updated_at, version`

func scanPreview(sc scanner) (*admin.Preview, error) {
	var p admin.Preview
	var created, updated int64
	var closed sql.NullInt64
	if err := sc.Scan(&p.DeploymentID, &p.ProjectID, &p.Number, &p.Branch, &p.HeadSHA, &p.HeadRepo, &p.Fork,
		&p.ApprovedSHA, &closed, &p.Repo, &p.Reported, &created, &updated, &p.Version); err != nil {
		return nil, err
	}
	p.CreatedAt, p.UpdatedAt, p.ClosedAt = fromMicros(created), fromMicros(updated), fromMicrosPtr(closed)
	return &p, nil
}

// CreatePreview stores a preview record.
func (s *Store) CreatePreview(ctx context.Context, p *admin.Preview) error {
	_, err := s.exec(ctx, fmt.Sprintf("create preview %q", p.DeploymentID),
		`INSERT INTO previews (`+previewCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.DeploymentID, p.ProjectID, p.Number, p.Branch, p.HeadSHA, p.HeadRepo, p.Fork, p.ApprovedSHA,
		microsPtr(p.ClosedAt), p.Repo, p.Reported, micros(p.CreatedAt), micros(p.UpdatedAt), p.Version)
	return err
}

// GetPreview returns the preview record of a deployment.
func (s *Store) GetPreview(ctx context.Context, deploymentID string) (*admin.Preview, error) {
	return getOne(ctx, s, fmt.Sprintf("get preview %q", deploymentID), scanPreview,
		`SELECT `+previewCols+` FROM previews WHERE deployment_id = ?`, deploymentID)
}

// ListPreviews lists a project's previews (all with "") by deployment id.
func (s *Store) ListPreviews(ctx context.Context, projectID string, page admin.Page) ([]*admin.Preview, error) {
	var q selectPage
	q.filterIf(`project_id = ?`, projectID)
	query, args := q.sql(previewCols, "previews", "deployment_id", page)
	return getMany(ctx, s, "list previews", scanPreview, query, args...)
}

// UpdatePreview writes a preview's mutable fields if p.Version is the
// stored version.
func (s *Store) UpdatePreview(ctx context.Context, p *admin.Preview) error {
	op := fmt.Sprintf("update preview %q", p.DeploymentID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE previews SET number = ?, branch = ?, head_sha = ?, head_repo = ?, fork = ?, approved_sha = ?,
			 closed_at = ?, repo = ?, reported = ?, updated_at = ?, version = version + 1 WHERE deployment_id = ? AND version = ?`,
			[]any{p.Number, p.Branch, p.HeadSHA, p.HeadRepo, p.Fork, p.ApprovedSHA, microsPtr(p.ClosedAt), p.Repo, p.Reported,
				micros(p.UpdatedAt), p.DeploymentID, p.Version},
			`SELECT 1 FROM previews WHERE deployment_id = ?`, p.DeploymentID)
	})
	if err == nil {
		p.Version++
	}
	return err
}

// RecordPullRequest stores a pull request's state unless the stored one
// is newer (see admin.PreviewStore), in one statement.
func (s *Store) RecordPullRequest(ctx context.Context, st *admin.PullRequestState) (bool, error) {
	res, err := s.exec(ctx, fmt.Sprintf("record pull request %d of project %q", st.Number, st.ProjectID),
		`INSERT INTO pull_requests (project_id, number, open, head_sha, event_at) VALUES (?, ?, ?, ?, ?)
		 ON CONFLICT (project_id, number) DO UPDATE SET open = excluded.open, head_sha = excluded.head_sha,
		 event_at = excluded.event_at
		 WHERE excluded.event_at > pull_requests.event_at
		    OR (excluded.event_at = pull_requests.event_at AND (pull_requests.open = 1 OR excluded.open = 0))`,
		st.ProjectID, st.Number, st.Open, st.HeadSHA, micros(st.EventAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n > 0, err
}
