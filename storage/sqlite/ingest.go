package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const checkpointCols = `id, project_id, deployment_id, build_id, kind, fingerprint, fingerprint_bytes, offset_bytes, lines,
	quarantined, last_error, archived_path, archived_at, created_at, updated_at, version`

func scanCheckpoint(sc scanner) (*admin.IngestCheckpoint, error) {
	var c admin.IngestCheckpoint
	var created, updated int64
	var archived sql.NullInt64
	if err := sc.Scan(&c.ID, &c.ProjectID, &c.DeploymentID, &c.BuildID, &c.Kind, &c.Fingerprint, &c.FingerprintBytes,
		&c.Offset, &c.Lines, &c.Quarantined, &c.LastError, &c.ArchivedPath, &archived, &created, &updated,
		&c.Version); err != nil {
		return nil, err
	}
	c.ArchivedAt, c.CreatedAt, c.UpdatedAt = fromMicrosPtr(archived), fromMicros(created), fromMicros(updated)
	return &c, nil
}

// CreateCheckpoint stores a new ingestion checkpoint; ErrAlreadyExists when
// its id is taken.
func (s *Store) CreateCheckpoint(ctx context.Context, c *admin.IngestCheckpoint) error {
	_, err := s.exec(ctx, fmt.Sprintf("create checkpoint %q", c.ID),
		`INSERT INTO ingest_checkpoints (`+checkpointCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.ProjectID, c.DeploymentID, c.BuildID, c.Kind, c.Fingerprint, c.FingerprintBytes, c.Offset, c.Lines,
		c.Quarantined, c.LastError, c.ArchivedPath, microsPtr(c.ArchivedAt), micros(c.CreatedAt), micros(c.UpdatedAt),
		c.Version)
	return err
}

// GetCheckpoint returns the checkpoint with the id.
func (s *Store) GetCheckpoint(ctx context.Context, id string) (*admin.IngestCheckpoint, error) {
	return getOne(ctx, s, fmt.Sprintf("get checkpoint %q", id), scanCheckpoint,
		`SELECT `+checkpointCols+` FROM ingest_checkpoints WHERE id = ?`, id)
}

// ListCheckpoints lists checkpoints by id, narrowed by f.
func (s *Store) ListCheckpoints(ctx context.Context, f admin.CheckpointFilter, page admin.Page) ([]*admin.IngestCheckpoint, error) {
	var q selectPage
	if f.ProjectID != "" {
		q.filter(`project_id = ?`, f.ProjectID)
	}
	if f.BuildID != "" {
		q.filter(`build_id = ?`, f.BuildID)
	}
	if f.Unarchived {
		q.filter(`archived_at IS NULL`)
	}
	if !f.ArchivedBefore.IsZero() {
		q.filter(`archived_at < ?`, micros(f.ArchivedBefore))
	}
	query, args := q.sql(checkpointCols, "ingest_checkpoints", "id", page)
	return getMany(ctx, s, "list checkpoints", scanCheckpoint, query, args...)
}

// UpdateCheckpoint writes every field but the id, its owners, the kind and
// CreatedAt if c.Version is the stored version.
func (s *Store) UpdateCheckpoint(ctx context.Context, c *admin.IngestCheckpoint) error {
	op := fmt.Sprintf("update checkpoint %q", c.ID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE ingest_checkpoints SET fingerprint = ?, fingerprint_bytes = ?, offset_bytes = ?, lines = ?,
			 quarantined = ?, last_error = ?, archived_path = ?, archived_at = ?, updated_at = ?, version = version + 1
			 WHERE id = ? AND version = ?`,
			[]any{c.Fingerprint, c.FingerprintBytes, c.Offset, c.Lines, c.Quarantined, c.LastError, c.ArchivedPath,
				microsPtr(c.ArchivedAt), micros(c.UpdatedAt), c.ID, c.Version},
			`SELECT 1 FROM ingest_checkpoints WHERE id = ?`, c.ID)
	})
	if err == nil {
		c.Version++
	}
	return err
}

// DeleteCheckpoint removes the checkpoint.
func (s *Store) DeleteCheckpoint(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete checkpoint %q", id)
	res, err := s.exec(ctx, op, `DELETE FROM ingest_checkpoints WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return deleted(s, op, res)
}
