package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const tokenCols = `id, user_id, team_id, name, hash, prefix, expires_at, revoked_at, last_used_at, created_at, version`

func scanToken(sc scanner) (*admin.APIToken, error) {
	var t admin.APIToken
	var created int64
	var expires, revoked, used sql.NullInt64
	if err := sc.Scan(&t.ID, &t.UserID, &t.TeamID, &t.Name, &t.Hash, &t.Prefix, &expires, &revoked, &used,
		&created, &t.Version); err != nil {
		return nil, err
	}
	t.CreatedAt = fromMicros(created)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = fromMicrosPtr(expires), fromMicrosPtr(revoked), fromMicrosPtr(used)
	return &t, nil
}

// CreateToken stores a new API token (its hash, never the secret).
func (s *Store) CreateToken(ctx context.Context, t *admin.APIToken) error {
	_, err := s.exec(ctx, fmt.Sprintf("create token %q", t.ID),
		`INSERT INTO api_tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		t.ID, t.UserID, t.TeamID, t.Name, t.Hash, t.Prefix, microsPtr(t.ExpiresAt), microsPtr(t.RevokedAt),
		microsPtr(t.LastUsedAt), micros(t.CreatedAt), t.Version)
	return err
}

// GetToken returns the token with the id.
func (s *Store) GetToken(ctx context.Context, id string) (*admin.APIToken, error) {
	return getOne(ctx, s, fmt.Sprintf("get token %q", id), scanToken,
		`SELECT `+tokenCols+` FROM api_tokens WHERE id = ?`, id)
}

// GetTokenByHash returns the token with the hash. The hash is not repeated
// in the error: it is a credential's fingerprint.
func (s *Store) GetTokenByHash(ctx context.Context, hash string) (*admin.APIToken, error) {
	return getOne(ctx, s, "get token by hash", scanToken,
		`SELECT `+tokenCols+` FROM api_tokens WHERE hash = ?`, hash)
}

// ListTokens lists a user's tokens by id.
func (s *Store) ListTokens(ctx context.Context, userID string, page admin.Page) ([]*admin.APIToken, error) {
	var q selectPage
	q.filterIf(`user_id = ?`, userID)
	query, args := q.sql(tokenCols, "api_tokens", "id", page)
	return getMany(ctx, s, fmt.Sprintf("list tokens of user %q", userID), scanToken, query, args...)
}

// UpdateToken writes the token's name and times if t.Version is the stored
// version. Its id, user, team scope, hash, prefix and CreatedAt never change:
// a different scope or secret is a new token.
func (s *Store) UpdateToken(ctx context.Context, t *admin.APIToken) error {
	op := fmt.Sprintf("update token %q", t.ID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE api_tokens SET name = ?, expires_at = ?, revoked_at = ?, last_used_at = ?,
			 version = version + 1 WHERE id = ? AND version = ?`,
			[]any{t.Name, microsPtr(t.ExpiresAt), microsPtr(t.RevokedAt), microsPtr(t.LastUsedAt),
				t.ID, t.Version},
			`SELECT 1 FROM api_tokens WHERE id = ?`, t.ID)
	})
	if err == nil {
		t.Version++
	}
	return err
}

// DeleteToken removes the token.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete token %q", id)
	res, err := s.exec(ctx, op, `DELETE FROM api_tokens WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return deleted(s, op, res)
}

const auditCols = `id, time, actor_id, action, target_type, target_id, team_id, outcome, metadata`

func scanAudit(sc scanner) (*admin.AuditEvent, error) {
	var e admin.AuditEvent
	var at int64
	var md string
	if err := sc.Scan(&e.ID, &at, &e.ActorID, &e.Action, &e.TargetType, &e.TargetID, &e.TeamID, &e.Outcome, &md); err != nil {
		return nil, err
	}
	var err error
	if e.Metadata, err = decodeMap("metadata", md); err != nil {
		return nil, fmt.Errorf("audit event %q: %w", e.ID, err)
	}
	e.Time = fromMicros(at)
	return &e, nil
}

// AppendAudit appends an event to the audit log.
func (s *Store) AppendAudit(ctx context.Context, e *admin.AuditEvent) error {
	op := fmt.Sprintf("append audit event %q", e.ID)
	md, err := encodeMap(e.Metadata)
	if err != nil {
		return s.fail(op, fmt.Errorf("encode metadata: %w", err))
	}
	_, err = s.exec(ctx, op, `INSERT INTO audit_events (`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ID, micros(e.Time), e.ActorID, e.Action, e.TargetType, e.TargetID, e.TeamID, string(e.Outcome), md)
	return err
}

// ListAudit lists audit events by id, narrowed by f.
func (s *Store) ListAudit(ctx context.Context, f admin.AuditFilter, page admin.Page) ([]*admin.AuditEvent, error) {
	var q selectPage
	for _, c := range []struct{ col, v string }{
		{"team_id", f.TeamID}, {"actor_id", f.ActorID}, {"target_id", f.TargetID}, {"action", f.Action},
	} {
		if c.v != "" {
			q.filter(c.col+" = ?", c.v)
		}
	}
	query, args := q.sql(auditCols, "audit_events", "id", page)
	return getMany(ctx, s, "list audit events", scanAudit, query, args...)
}
