package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const checkpointColumns = `id, project_id, deployment_id, build_id, kind, fingerprint, fingerprint_bytes, offset_bytes,
	lines, quarantined, last_error, archived_path, archived_at, created_at, updated_at, version`

func scanCheckpoint(row pgx.CollectableRow) (*admin.IngestCheckpoint, error) {
	var c admin.IngestCheckpoint
	if err := row.Scan(&c.ID, &c.ProjectID, &c.DeploymentID, &c.BuildID, &c.Kind, &c.Fingerprint, &c.FingerprintBytes,
		&c.Offset, &c.Lines, &c.Quarantined, &c.LastError, &c.ArchivedPath, &c.ArchivedAt, &c.CreatedAt, &c.UpdatedAt,
		&c.Version); err != nil {
		return nil, err
	}
	c.CreatedAt, c.UpdatedAt, c.ArchivedAt = utc(c.CreatedAt), utc(c.UpdatedAt), utcPtr(c.ArchivedAt)
	return &c, nil
}

// CreateCheckpoint stores c; ErrAlreadyExists when its id is taken.
func (s *Store) CreateCheckpoint(ctx context.Context, c *admin.IngestCheckpoint) error {
	return s.insert(ctx, fmt.Sprintf("create checkpoint %q", c.ID),
		`INSERT INTO mastra_admin_ingest_checkpoints (`+checkpointColumns+`)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		c.ID, c.ProjectID, c.DeploymentID, c.BuildID, c.Kind, c.Fingerprint, c.FingerprintBytes, c.Offset, c.Lines,
		c.Quarantined, c.LastError, c.ArchivedPath, c.ArchivedAt, c.CreatedAt, c.UpdatedAt, c.Version)
}

// GetCheckpoint returns the checkpoint with id; ErrNotFound when there is
// none.
func (s *Store) GetCheckpoint(ctx context.Context, id string) (*admin.IngestCheckpoint, error) {
	return getOne(ctx, s, fmt.Sprintf("get checkpoint %q", id), scanCheckpoint,
		`SELECT `+checkpointColumns+` FROM mastra_admin_ingest_checkpoints WHERE id = $1`, id)
}

// ListCheckpoints lists checkpoints by id, narrowed by f.
func (s *Store) ListCheckpoints(ctx context.Context, f admin.CheckpointFilter, page admin.Page) ([]*admin.IngestCheckpoint, error) {
	var q query
	q.whereIf(`project_id = %s`, f.ProjectID)
	q.whereIf(`build_id = %s`, f.BuildID)
	if f.Unarchived {
		q.conds = append(q.conds, `archived_at IS NULL`)
	}
	if !f.ArchivedBefore.IsZero() {
		q.where(`archived_at < %s`, f.ArchivedBefore)
	}
	sql := q.sql(`SELECT `+checkpointColumns+` FROM mastra_admin_ingest_checkpoints`, "id", page)
	return list(ctx, s, "list checkpoints", scanCheckpoint, sql, q.args...)
}

// UpdateCheckpoint writes c's mutable fields (all but ID, its owners, Kind
// and CreatedAt) when the stored version is c.Version, then increments
// c.Version.
func (s *Store) UpdateCheckpoint(ctx context.Context, c *admin.IngestCheckpoint) error {
	err := s.update(ctx, fmt.Sprintf("update checkpoint %q", c.ID),
		`UPDATE mastra_admin_ingest_checkpoints SET fingerprint = $2, fingerprint_bytes = $3, offset_bytes = $4,
		 lines = $5, quarantined = $6, last_error = $7, archived_path = $8, archived_at = $9, updated_at = $10,
		 version = version + 1
		 WHERE id = $1 AND version = $11`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_ingest_checkpoints WHERE id = $1)`, 1,
		c.ID, c.Fingerprint, c.FingerprintBytes, c.Offset, c.Lines, c.Quarantined, c.LastError, c.ArchivedPath,
		c.ArchivedAt, c.UpdatedAt, c.Version)
	if err != nil {
		return err
	}
	c.Version++
	return nil
}

// DeleteCheckpoint removes the checkpoint; ErrNotFound when there is none.
func (s *Store) DeleteCheckpoint(ctx context.Context, id string) error {
	return s.remove(ctx, fmt.Sprintf("delete checkpoint %q", id),
		`DELETE FROM mastra_admin_ingest_checkpoints WHERE id = $1`, id)
}
