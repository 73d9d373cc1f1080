package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const userColumns = `id, email, name, platform_admin, created_at, updated_at, version`

func scanUser(row pgx.CollectableRow) (*admin.User, error) {
	var u admin.User
	if err := row.Scan(&u.ID, &u.Email, &u.Name, &u.PlatformAdmin, &u.CreatedAt, &u.UpdatedAt, &u.Version); err != nil {
		return nil, err
	}
	u.CreatedAt, u.UpdatedAt = utc(u.CreatedAt), utc(u.UpdatedAt)
	return &u, nil
}

// CreateUser stores u; ErrAlreadyExists when its id or email is taken.
func (s *Store) CreateUser(ctx context.Context, u *admin.User) error {
	return s.insert(ctx, fmt.Sprintf("create user %q", u.ID),
		`INSERT INTO mastra_admin_users (`+userColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		u.ID, u.Email, u.Name, u.PlatformAdmin, u.CreatedAt, u.UpdatedAt, u.Version)
}

// GetUser returns the user with id; ErrNotFound when there is none.
func (s *Store) GetUser(ctx context.Context, id string) (*admin.User, error) {
	return getOne(ctx, s, fmt.Sprintf("get user %q", id), scanUser,
		`SELECT `+userColumns+` FROM mastra_admin_users WHERE id = $1`, id)
}

// GetUserByEmail returns the user with email; ErrNotFound when there is none.
func (s *Store) GetUserByEmail(ctx context.Context, email string) (*admin.User, error) {
	return getOne(ctx, s, fmt.Sprintf("get user by email %q", email), scanUser,
		`SELECT `+userColumns+` FROM mastra_admin_users WHERE email = $1`, email)
}

// ListUsers lists users by id.
func (s *Store) ListUsers(ctx context.Context, page admin.Page) ([]*admin.User, error) {
	var q query
	sql := q.sql(`SELECT `+userColumns+` FROM mastra_admin_users`, "id", page)
	return list(ctx, s, "list users", scanUser, sql, q.args...)
}

// UpdateUser writes u's email, name, platform-admin flag and UpdatedAt when
// the stored version is u.Version, then increments u.Version.
func (s *Store) UpdateUser(ctx context.Context, u *admin.User) error {
	err := s.update(ctx, fmt.Sprintf("update user %q", u.ID),
		`UPDATE mastra_admin_users SET email = $2, name = $3, platform_admin = $4, updated_at = $5, version = version + 1
		 WHERE id = $1 AND version = $6`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_users WHERE id = $1)`, 1,
		u.ID, u.Email, u.Name, u.PlatformAdmin, u.UpdatedAt, u.Version)
	if err != nil {
		return err
	}
	u.Version++
	return nil
}

// DeleteUser removes the user with their memberships and tokens (by cascade)
// unless they are the last owner of a team. It locks the user row first, so
// that no membership can be added meanwhile, then the teams they own, so
// that no other owner can leave meanwhile.
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete user %q", id)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM mastra_admin_users WHERE id = $1 FOR UPDATE`, id).Scan(&one); err != nil {
			return err // pgx.ErrNoRows: wrap makes it ErrNotFound
		}
		rows, err := tx.Query(ctx,
			`SELECT t.id FROM mastra_admin_teams t
			 WHERE t.id IN (SELECT team_id FROM mastra_admin_team_members WHERE user_id = $1 AND role = $2)
			 ORDER BY t.id FOR NO KEY UPDATE`, id, admin.RoleOwner)
		if err != nil {
			return err
		}
		owned, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		if len(owned) > 0 {
			var lonely string
			err := tx.QueryRow(ctx,
				`SELECT team_id FROM mastra_admin_team_members
				 WHERE team_id = ANY($1) AND role = $2
				 GROUP BY team_id HAVING count(*) FILTER (WHERE user_id <> $3) = 0
				 ORDER BY team_id LIMIT 1`, owned, admin.RoleOwner, id).Scan(&lonely)
			switch {
			case err == nil:
				return fmt.Errorf("user is the last owner of team %q: %w", lonely, admin.ErrConflict)
			case !errors.Is(err, pgx.ErrNoRows):
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM mastra_admin_users WHERE id = $1`, id)
		return err
	})
	return wrap(op, err)
}
