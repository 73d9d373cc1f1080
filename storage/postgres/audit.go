package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const auditColumns = `id, time, actor_id, action, target_type, target_id, team_id, outcome, metadata`

func scanAudit(row pgx.CollectableRow) (*admin.AuditEvent, error) {
	var (
		e        admin.AuditEvent
		metadata []byte
		err      error
	)
	if err := row.Scan(&e.ID, &e.Time, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID, &e.TeamID, &e.Outcome,
		&metadata); err != nil {
		return nil, err
	}
	if e.Metadata, err = decodeMap(metadata); err != nil {
		return nil, fmt.Errorf("audit event %q metadata: %w", e.ID, err)
	}
	e.Time = utc(e.Time)
	return &e, nil
}

// AppendAudit stores e; ErrAlreadyExists when its id is taken.
func (s *Store) AppendAudit(ctx context.Context, e *admin.AuditEvent) error {
	op := fmt.Sprintf("append audit event %q", e.ID)
	metadata, err := encodeMap(e.Metadata)
	if err != nil {
		return wrap(op, err)
	}
	return s.insert(ctx, op,
		`INSERT INTO mastra_admin_audit_events (`+auditColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		e.ID, e.Time, e.ActorID, e.Action, e.TargetType, e.TargetID, e.TeamID, e.Outcome, metadata)
}

// ListAudit lists audit events by id, narrowed by f.
func (s *Store) ListAudit(ctx context.Context, f admin.AuditFilter, page admin.Page) ([]*admin.AuditEvent, error) {
	var q query
	q.whereIf(`team_id = %s`, f.TeamID)
	q.whereIf(`actor_id = %s`, f.ActorID)
	q.whereIf(`target_id = %s`, f.TargetID)
	q.whereIf(`action = %s`, f.Action)
	sql := q.sql(`SELECT `+auditColumns+` FROM mastra_admin_audit_events`, "id", page)
	return list(ctx, s, "list audit events", scanAudit, sql, q.args...)
}
