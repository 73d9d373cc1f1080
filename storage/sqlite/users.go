package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const userCols = `id, email, name, platform_admin, created_at, updated_at, version`

func scanUser(sc scanner) (*admin.User, error) {
	var u admin.User
	var created, updated int64
	if err := sc.Scan(&u.ID, &u.Email, &u.Name, &u.PlatformAdmin, &created, &updated, &u.Version); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &u, nil
}

// CreateUser stores a new user.
func (s *Store) CreateUser(ctx context.Context, u *admin.User) error {
	_, err := s.exec(ctx, fmt.Sprintf("create user %q", u.ID),
		`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.Email, u.Name, u.PlatformAdmin, micros(u.CreatedAt), micros(u.UpdatedAt), u.Version)
	return err
}

// GetUser returns the user with the id.
func (s *Store) GetUser(ctx context.Context, id string) (*admin.User, error) {
	return getOne(ctx, s, fmt.Sprintf("get user %q", id), scanUser,
		`SELECT `+userCols+` FROM users WHERE id = ?`, id)
}

// GetUserByEmail returns the user with the email address.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*admin.User, error) {
	return getOne(ctx, s, fmt.Sprintf("get user by email %q", email), scanUser,
		`SELECT `+userCols+` FROM users WHERE email = ?`, email)
}

// ListUsers lists users by id.
func (s *Store) ListUsers(ctx context.Context, page admin.Page) ([]*admin.User, error) {
	var q selectPage
	query, args := q.sql(userCols, "users", "id", page)
	return getMany(ctx, s, "list users", scanUser, query, args...)
}

// UpdateUser writes the user's email, name, platform-admin flag and
// UpdatedAt if u.Version is the stored version.
func (s *Store) UpdateUser(ctx context.Context, u *admin.User) error {
	op := fmt.Sprintf("update user %q", u.ID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE users SET email = ?, name = ?, platform_admin = ?, updated_at = ?, version = version + 1
			 WHERE id = ? AND version = ?`,
			[]any{u.Email, u.Name, u.PlatformAdmin, micros(u.UpdatedAt), u.ID, u.Version},
			`SELECT 1 FROM users WHERE id = ?`, u.ID)
	})
	if err == nil {
		u.Version++
	}
	return err
}

// DeleteUser removes the user with their memberships and API tokens, unless
// they are the last owner of a team.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete user %q", id)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		var team string
		err := tx.QueryRowContext(ctx, `
			SELECT m.team_id FROM team_members m
			WHERE m.user_id = ? AND m.role = 'owner' AND NOT EXISTS (
				SELECT 1 FROM team_members o
				WHERE o.team_id = m.team_id AND o.role = 'owner' AND o.user_id <> m.user_id)
			ORDER BY m.team_id LIMIT 1`, id).Scan(&team)
		switch {
		case err == nil:
			return conflict(op, fmt.Sprintf("the user is the last owner of team %q", team))
		case !errors.Is(err, sql.ErrNoRows):
			return s.fail(op, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE id = ?`, id)
		if err != nil {
			return s.fail(op, err)
		}
		return deleted(s, op, res)
	})
}

// deleted turns a DELETE that matched no row into ErrNotFound.
func deleted(s *Store, op string, res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return s.fail(op, err)
	}
	if n == 0 {
		return notFound(op)
	}
	return nil
}
