package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const buildColumns = `id, deployment_id, project_id, trigger, status, ref, source_build_id, log_path, error, claimed_by,
	queued_at, started_at, completed_at, updated_at, version, commit_sha, commit_author, commit_message`

func scanBuild(row pgx.CollectableRow) (*admin.Build, error) {
	var b admin.Build
	if err := row.Scan(&b.ID, &b.DeploymentID, &b.ProjectID, &b.Trigger, &b.Status, &b.Ref, &b.SourceBuildID,
		&b.LogPath, &b.Error, &b.ClaimedBy, &b.QueuedAt, &b.StartedAt, &b.CompletedAt, &b.UpdatedAt, &b.Version,
		&b.Commit, &b.CommitAuthor, &b.CommitMessage); err != nil {
		return nil, err
	}
	b.QueuedAt, b.UpdatedAt = utc(b.QueuedAt), utc(b.UpdatedAt)
	b.StartedAt, b.CompletedAt = utcPtr(b.StartedAt), utcPtr(b.CompletedAt)
	return &b, nil
}

// CreateBuild stores b; ErrAlreadyExists when its id is taken, ErrConflict
// when its deployment or project does not exist.
func (s *Store) CreateBuild(ctx context.Context, b *admin.Build) error {
	return s.insert(ctx, fmt.Sprintf("create build %q", b.ID),
		`INSERT INTO mastra_admin_builds (`+buildColumns+`)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		b.ID, b.DeploymentID, b.ProjectID, b.Trigger, b.Status, b.Ref, b.SourceBuildID, b.LogPath, b.Error, b.ClaimedBy,
		b.QueuedAt, b.StartedAt, b.CompletedAt, b.UpdatedAt, b.Version, b.Commit, b.CommitAuthor, b.CommitMessage)
}

// GetBuild returns the build with id; ErrNotFound when there is none.
func (s *Store) GetBuild(ctx context.Context, id string) (*admin.Build, error) {
	return getOne(ctx, s, fmt.Sprintf("get build %q", id), scanBuild,
		`SELECT `+buildColumns+` FROM mastra_admin_builds WHERE id = $1`, id)
}

// ListBuilds lists builds by id, narrowed by f.
func (s *Store) ListBuilds(ctx context.Context, f admin.BuildFilter, page admin.Page) ([]*admin.Build, error) {
	var q query
	q.whereIf(`deployment_id = %s`, f.DeploymentID)
	q.whereIf(`project_id = %s`, f.ProjectID)
	if len(f.Statuses) > 0 {
		q.where(`status = ANY(%s)`, textArray(f.Statuses))
	}
	if f.InFlight {
		q.conds = append(q.conds, inFlight("mastra_admin_builds"))
	}
	if !f.CompletedAfter.IsZero() {
		q.where(`completed_at > %s`, f.CompletedAfter)
	}
	sql := q.sql(`SELECT `+buildColumns+` FROM mastra_admin_builds`, "id", page)
	return list(ctx, s, "list builds", scanBuild, sql, q.args...)
}

// UpdateBuild writes b's mutable fields (all but ID, DeploymentID and
// ProjectID) when the stored version is b.Version, then increments
// b.Version.
func (s *Store) UpdateBuild(ctx context.Context, b *admin.Build) error {
	err := s.update(ctx, fmt.Sprintf("update build %q", b.ID),
		`UPDATE mastra_admin_builds SET trigger = $2, status = $3, ref = $4, source_build_id = $5, log_path = $6,
		 error = $7, claimed_by = $8, queued_at = $9, started_at = $10, completed_at = $11, updated_at = $12,
		 version = version + 1, commit_sha = $14, commit_author = $15, commit_message = $16
		 WHERE id = $1 AND version = $13`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_builds WHERE id = $1)`, 1,
		b.ID, b.Trigger, b.Status, b.Ref, b.SourceBuildID, b.LogPath, b.Error, b.ClaimedBy,
		b.QueuedAt, b.StartedAt, b.CompletedAt, b.UpdatedAt, b.Version, b.Commit, b.CommitAuthor, b.CommitMessage)
	if err != nil {
		return err
	}
	b.Version++
	return nil
}

// inFlight is the condition that the build row named table is in flight
// (see admin.BuildStore): claimed and not yet completed.
func inFlight(table string) string {
	return fmt.Sprintf(`(%[1]s.completed_at IS NULL AND (%[1]s.status IN ('building', 'deploying')
		OR (%[1]s.status IN ('succeeded', 'failed', 'cancelled') AND %[1]s.started_at IS NOT NULL)))`, table)
}

// claimCandidate picks the oldest queued build that is the oldest queued
// build of its deployment, whose deployment has no build in flight and is not
// in $1, and locks both the build and its deployment row. Rows that other
// transactions hold locked are skipped: a build another claimer is taking, a
// deployment another claimer is claiming for.
var claimCandidate = `
SELECT b.id, b.deployment_id
FROM mastra_admin_builds b JOIN mastra_admin_deployments d ON d.id = b.deployment_id
WHERE b.status = 'queued'
  AND b.deployment_id <> ALL($1::text[])
  AND NOT EXISTS (SELECT 1 FROM mastra_admin_builds a
                  WHERE a.deployment_id = b.deployment_id AND ` + inFlight("a") + `)
  AND NOT EXISTS (SELECT 1 FROM mastra_admin_builds o
                  WHERE o.deployment_id = b.deployment_id AND o.status = 'queued'
                    AND (o.queued_at, o.id) < (b.queued_at, b.id))
ORDER BY b.queued_at, b.id
LIMIT 1
FOR UPDATE OF b SKIP LOCKED
FOR NO KEY UPDATE OF d SKIP LOCKED`

// claimUpdate claims build $1 of deployment $2 unless, in this statement's
// snapshot, which is taken after claimCandidate locked the deployment row
// and so sees every claim committed for it, the deployment has a build in
// flight or an older queued one.
var claimUpdate = `
UPDATE mastra_admin_builds SET status = 'building', started_at = $3, claimed_by = $4, updated_at = $3,
       version = version + 1
WHERE id = $1
  AND NOT EXISTS (SELECT 1 FROM mastra_admin_builds a
                  WHERE a.deployment_id = $2 AND a.id <> $1
                    AND (` + inFlight("a") + `
                         OR (a.status = 'queued' AND (a.queued_at, a.id) <
                             (SELECT queued_at, id FROM mastra_admin_builds WHERE id = $1))))
RETURNING ` + buildColumns

// ClaimBuild takes the oldest claimable queued build, sets it to building
// with StartedAt = now and ClaimedBy = workerID, and returns it; ErrNotFound
// when nothing can be claimed.
//
// In one transaction it locks a candidate build and its deployment row
// (FOR UPDATE / FOR NO KEY UPDATE, SKIP LOCKED, so that concurrent claimers
// spread over different builds and deployments), then claims the build in a
// statement that checks again that the deployment has no build in flight. That
// statement sees every claim committed before the deployment lock was
// taken, so claims on one deployment run one at a time and two builds of a
// deployment never become active together, in one process or several. A
// deployment whose row someone else holds locked is passed over for this
// call.
func (s *Store) ClaimBuild(ctx context.Context, workerID string, now time.Time) (*admin.Build, error) {
	var claimed *admin.Build
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		passed := []string{} // deployments found busy
		for {
			var buildID, deploymentID string
			if err := tx.QueryRow(ctx, claimCandidate, passed).Scan(&buildID, &deploymentID); err != nil {
				return err // pgx.ErrNoRows: nothing to claim
			}
			rows, err := tx.Query(ctx, claimUpdate, buildID, deploymentID, now, workerID)
			if err != nil {
				return err
			}
			claimed, err = pgx.CollectExactlyOneRow(rows, scanBuild)
			if errors.Is(err, pgx.ErrNoRows) {
				passed = append(passed, deploymentID)
				continue
			}
			return err
		}
	})
	if err != nil {
		return nil, wrap(fmt.Sprintf("claim build for worker %q", workerID), err)
	}
	return claimed, nil
}

// textArray converts a slice of string-based values for a text[] parameter.
func textArray[S ~string](vs []S) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}
