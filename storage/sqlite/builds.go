package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const buildCols = `id, deployment_id, project_id, trigger, status, ref, source_build_id, log_path, error, claimed_by,
	queued_at, started_at, completed_at, updated_at, version, commit_sha, commit_author, commit_message`

func scanBuild(sc scanner) (*admin.Build, error) {
	var b admin.Build
	var queued, updated int64
	var started, completed sql.NullInt64
	if err := sc.Scan(&b.ID, &b.DeploymentID, &b.ProjectID, &b.Trigger, &b.Status, &b.Ref, &b.SourceBuildID,
		&b.LogPath, &b.Error, &b.ClaimedBy, &queued, &started, &completed, &updated, &b.Version,
		&b.Commit, &b.CommitAuthor, &b.CommitMessage); err != nil {
		return nil, err
	}
	b.QueuedAt, b.UpdatedAt = fromMicros(queued), fromMicros(updated)
	b.StartedAt, b.CompletedAt = fromMicrosPtr(started), fromMicrosPtr(completed)
	return &b, nil
}

// CreateBuild stores a new build; a queued one joins the build queue.
func (s *Store) CreateBuild(ctx context.Context, b *admin.Build) error {
	_, err := s.exec(ctx, fmt.Sprintf("create build %q", b.ID),
		`INSERT INTO builds (`+buildCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		b.ID, b.DeploymentID, b.ProjectID, string(b.Trigger), string(b.Status), b.Ref, b.SourceBuildID, b.LogPath,
		b.Error, b.ClaimedBy, micros(b.QueuedAt), microsPtr(b.StartedAt), microsPtr(b.CompletedAt),
		micros(b.UpdatedAt), b.Version, b.Commit, b.CommitAuthor, b.CommitMessage)
	return err
}

// GetBuild returns the build with the id.
func (s *Store) GetBuild(ctx context.Context, id string) (*admin.Build, error) {
	return getOne(ctx, s, fmt.Sprintf("get build %q", id), scanBuild,
		`SELECT `+buildCols+` FROM builds WHERE id = ?`, id)
}

// ListBuilds lists builds by id, narrowed by f.
func (s *Store) ListBuilds(ctx context.Context, f admin.BuildFilter, page admin.Page) ([]*admin.Build, error) {
	var q selectPage
	if f.DeploymentID != "" {
		q.filter(`deployment_id = ?`, f.DeploymentID)
	}
	if f.ProjectID != "" {
		q.filter(`project_id = ?`, f.ProjectID)
	}
	in(&q, "status", f.Statuses)
	if f.InFlight {
		q.filter(inFlight("builds"))
	}
	if !f.CompletedAfter.IsZero() {
		q.filter(`completed_at > ?`, micros(f.CompletedAfter))
	}
	query, args := q.sql(buildCols, "builds", "id", page)
	return getMany(ctx, s, "list builds", scanBuild, query, args...)
}

// UpdateBuild writes every field but the id, deployment and project if
// b.Version is the stored version.
func (s *Store) UpdateBuild(ctx context.Context, b *admin.Build) error {
	op := fmt.Sprintf("update build %q", b.ID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE builds SET trigger = ?, status = ?, ref = ?, source_build_id = ?, log_path = ?, error = ?,
			 claimed_by = ?, queued_at = ?, started_at = ?, completed_at = ?, updated_at = ?, version = version + 1,
			 commit_sha = ?, commit_author = ?, commit_message = ?
			 WHERE id = ? AND version = ?`,
			[]any{string(b.Trigger), string(b.Status), b.Ref, b.SourceBuildID, b.LogPath, b.Error, b.ClaimedBy,
				micros(b.QueuedAt), microsPtr(b.StartedAt), microsPtr(b.CompletedAt), micros(b.UpdatedAt),
				b.Commit, b.CommitAuthor, b.CommitMessage, b.ID, b.Version},
			`SELECT 1 FROM builds WHERE id = ?`, b.ID)
	})
	if err == nil {
		b.Version++
	}
	return err
}

// inFlight is the condition that the builds row named table is in flight
// (see admin.BuildStore): claimed and not yet completed.
func inFlight(table string) string {
	return fmt.Sprintf(`(%[1]s.completed_at IS NULL AND (%[1]s.status IN ('building', 'deploying')
		OR (%[1]s.status IN ('succeeded', 'failed', 'cancelled') AND %[1]s.started_at IS NOT NULL)))`, table)
}

// ClaimBuild takes the oldest queued build (by QueuedAt, then id) whose
// deployment has no build in flight, in one statement: SQLite runs one
// writer at a time, so two claimers never see the same build.
func (s *Store) ClaimBuild(ctx context.Context, workerID string, now time.Time) (*admin.Build, error) {
	op := fmt.Sprintf("claim a build for %q", workerID)
	var b *admin.Build
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		var err error
		b, err = scanBuild(tx.QueryRowContext(ctx, `
			UPDATE builds SET status = 'building', started_at = ?1, updated_at = ?1, claimed_by = ?2, version = version + 1
			WHERE id = (
				SELECT q.id FROM builds q
				WHERE q.status = 'queued' AND NOT EXISTS (
					SELECT 1 FROM builds a
					WHERE a.deployment_id = q.deployment_id AND `+inFlight("a")+`)
				ORDER BY q.queued_at, q.id
				LIMIT 1)
			RETURNING `+buildCols, micros(now), workerID))
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("sqlite: %s: no queued build can start: %w", op, admin.ErrNotFound)
		}
		if err != nil {
			return s.fail(op, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

const serverCols = `id, deployment_id, build_id, host, port, pid, handle, status, health, started_at, stopped_at,
	last_health_at, updated_at, version`

func scanServer(sc scanner) (*admin.RunningServer, error) {
	var v admin.RunningServer
	var started, updated int64
	var stopped, health sql.NullInt64
	if err := sc.Scan(&v.ID, &v.DeploymentID, &v.BuildID, &v.Host, &v.Port, &v.PID, &v.Handle, &v.Status, &v.Health,
		&started, &stopped, &health, &updated, &v.Version); err != nil {
		return nil, err
	}
	v.StartedAt, v.UpdatedAt = fromMicros(started), fromMicros(updated)
	v.StoppedAt, v.LastHealthAt = fromMicrosPtr(stopped), fromMicrosPtr(health)
	return &v, nil
}

// CreateServer stores a new running-server record.
func (s *Store) CreateServer(ctx context.Context, v *admin.RunningServer) error {
	_, err := s.exec(ctx, fmt.Sprintf("create server %q", v.ID),
		`INSERT INTO servers (`+serverCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.ID, v.DeploymentID, v.BuildID, v.Host, v.Port, v.PID, v.Handle, string(v.Status), string(v.Health),
		micros(v.StartedAt), microsPtr(v.StoppedAt), microsPtr(v.LastHealthAt), micros(v.UpdatedAt), v.Version)
	return err
}

// GetServer returns the server record with the id.
func (s *Store) GetServer(ctx context.Context, id string) (*admin.RunningServer, error) {
	return getOne(ctx, s, fmt.Sprintf("get server %q", id), scanServer,
		`SELECT `+serverCols+` FROM servers WHERE id = ?`, id)
}

// ListServers lists server records by id, narrowed by f.
func (s *Store) ListServers(ctx context.Context, f admin.ServerFilter, page admin.Page) ([]*admin.RunningServer, error) {
	var q selectPage
	if f.DeploymentID != "" {
		q.filter(`deployment_id = ?`, f.DeploymentID)
	}
	if f.BuildID != "" {
		q.filter(`build_id = ?`, f.BuildID)
	}
	in(&q, "status", f.Statuses)
	query, args := q.sql(serverCols, "servers", "id", page)
	return getMany(ctx, s, "list servers", scanServer, query, args...)
}

// UpdateServer writes every field but the id, deployment and build if
// v.Version is the stored version.
func (s *Store) UpdateServer(ctx context.Context, v *admin.RunningServer) error {
	op := fmt.Sprintf("update server %q", v.ID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE servers SET host = ?, port = ?, pid = ?, handle = ?, status = ?, health = ?, started_at = ?,
			 stopped_at = ?, last_health_at = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			[]any{v.Host, v.Port, v.PID, v.Handle, string(v.Status), string(v.Health), micros(v.StartedAt),
				microsPtr(v.StoppedAt), microsPtr(v.LastHealthAt), micros(v.UpdatedAt), v.ID, v.Version},
			`SELECT 1 FROM servers WHERE id = ?`, v.ID)
	})
	if err == nil {
		v.Version++
	}
	return err
}
