package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const tokenColumns = `id, user_id, team_id, name, hash, prefix, expires_at, revoked_at, last_used_at, created_at, version`

func scanToken(row pgx.CollectableRow) (*admin.APIToken, error) {
	var t admin.APIToken
	if err := row.Scan(&t.ID, &t.UserID, &t.TeamID, &t.Name, &t.Hash, &t.Prefix, &t.ExpiresAt, &t.RevokedAt,
		&t.LastUsedAt, &t.CreatedAt, &t.Version); err != nil {
		return nil, err
	}
	t.CreatedAt = utc(t.CreatedAt)
	t.ExpiresAt, t.RevokedAt, t.LastUsedAt = utcPtr(t.ExpiresAt), utcPtr(t.RevokedAt), utcPtr(t.LastUsedAt)
	return &t, nil
}

// CreateToken stores t; ErrAlreadyExists when its id or hash is taken,
// ErrConflict when its user does not exist.
func (s *Store) CreateToken(ctx context.Context, t *admin.APIToken) error {
	return s.insert(ctx, fmt.Sprintf("create token %q", t.ID),
		`INSERT INTO mastra_admin_api_tokens (`+tokenColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		t.ID, t.UserID, t.TeamID, t.Name, t.Hash, t.Prefix, t.ExpiresAt, t.RevokedAt, t.LastUsedAt, t.CreatedAt, t.Version)
}

// GetToken returns the token with id; ErrNotFound when there is none.
func (s *Store) GetToken(ctx context.Context, id string) (*admin.APIToken, error) {
	return getOne(ctx, s, fmt.Sprintf("get token %q", id), scanToken,
		`SELECT `+tokenColumns+` FROM mastra_admin_api_tokens WHERE id = $1`, id)
}

// GetTokenByHash returns the token with hash; ErrNotFound when there is
// none. The hash is not repeated in the error.
func (s *Store) GetTokenByHash(ctx context.Context, hash string) (*admin.APIToken, error) {
	return getOne(ctx, s, "get token by hash", scanToken,
		`SELECT `+tokenColumns+` FROM mastra_admin_api_tokens WHERE hash = $1`, hash)
}

// ListTokens lists a user's tokens by id (every user's with userID empty).
func (s *Store) ListTokens(ctx context.Context, userID string, page admin.Page) ([]*admin.APIToken, error) {
	var q query
	q.whereIf(`user_id = %s`, userID)
	sql := q.sql(`SELECT `+tokenColumns+` FROM mastra_admin_api_tokens`, "id", page)
	return list(ctx, s, fmt.Sprintf("list tokens of user %q", userID), scanToken, sql, q.args...)
}

// UpdateToken writes t's mutable fields (name, hash, prefix, expiry,
// revocation, last use) when the stored version is t.Version, then
// increments t.Version.
func (s *Store) UpdateToken(ctx context.Context, t *admin.APIToken) error {
	err := s.update(ctx, fmt.Sprintf("update token %q", t.ID),
		`UPDATE mastra_admin_api_tokens SET name = $2, hash = $3, prefix = $4, expires_at = $5, revoked_at = $6,
		 last_used_at = $7, version = version + 1
		 WHERE id = $1 AND version = $8`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_api_tokens WHERE id = $1)`, 1,
		t.ID, t.Name, t.Hash, t.Prefix, t.ExpiresAt, t.RevokedAt, t.LastUsedAt, t.Version)
	if err != nil {
		return err
	}
	t.Version++
	return nil
}

// DeleteToken removes the token; ErrNotFound when there is none.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	return s.remove(ctx, fmt.Sprintf("delete token %q", id), `DELETE FROM mastra_admin_api_tokens WHERE id = $1`, id)
}
