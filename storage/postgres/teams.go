package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const teamColumns = `id, name, slug, created_at, updated_at, version`

func scanTeam(row pgx.CollectableRow) (*admin.Team, error) {
	var t admin.Team
	if err := row.Scan(&t.ID, &t.Name, &t.Slug, &t.CreatedAt, &t.UpdatedAt, &t.Version); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = utc(t.CreatedAt), utc(t.UpdatedAt)
	return &t, nil
}

const insertTeam = `INSERT INTO mastra_admin_teams (` + teamColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`

func teamArgs(t *admin.Team) []any {
	return []any{t.ID, t.Name, t.Slug, t.CreatedAt, t.UpdatedAt, t.Version}
}

// CreateTeam stores t; ErrAlreadyExists when its id or slug is taken.
func (s *Store) CreateTeam(ctx context.Context, t *admin.Team) error {
	return s.insert(ctx, fmt.Sprintf("create team %q", t.ID), insertTeam, teamArgs(t)...)
}

// GetTeam returns the team with id; ErrNotFound when there is none.
func (s *Store) GetTeam(ctx context.Context, id string) (*admin.Team, error) {
	return getOne(ctx, s, fmt.Sprintf("get team %q", id), scanTeam,
		`SELECT `+teamColumns+` FROM mastra_admin_teams WHERE id = $1`, id)
}

// GetTeamBySlug returns the team with slug; ErrNotFound when there is none.
func (s *Store) GetTeamBySlug(ctx context.Context, slug string) (*admin.Team, error) {
	return getOne(ctx, s, fmt.Sprintf("get team by slug %q", slug), scanTeam,
		`SELECT `+teamColumns+` FROM mastra_admin_teams WHERE slug = $1`, slug)
}

// ListTeams lists teams by id: all of them, or with userID set those the
// user is a member of.
func (s *Store) ListTeams(ctx context.Context, userID string, page admin.Page) ([]*admin.Team, error) {
	var q query
	q.whereIf(`id IN (SELECT team_id FROM mastra_admin_team_members WHERE user_id = %s)`, userID)
	sql := q.sql(`SELECT `+teamColumns+` FROM mastra_admin_teams`, "id", page)
	return list(ctx, s, "list teams", scanTeam, sql, q.args...)
}

// CountTeams counts all teams.
func (s *Store) CountTeams(ctx context.Context) (int, error) {
	return s.count(ctx, "count teams", `SELECT count(*) FROM mastra_admin_teams`)
}

// count runs a SELECT count(*).
func (s *Store) count(ctx context.Context, op, sql string, args ...any) (int, error) {
	db, err := s.db()
	if err != nil {
		return 0, wrap(op, err)
	}
	var n int64
	if err := db.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
		return 0, wrap(op, err)
	}
	return int(n), nil
}

// UpdateTeam writes t's name, slug and UpdatedAt when the stored version is
// t.Version, then increments t.Version.
func (s *Store) UpdateTeam(ctx context.Context, t *admin.Team) error {
	err := s.update(ctx, fmt.Sprintf("update team %q", t.ID),
		`UPDATE mastra_admin_teams SET name = $2, slug = $3, updated_at = $4, version = version + 1
		 WHERE id = $1 AND version = $5`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_teams WHERE id = $1)`, 1,
		t.ID, t.Name, t.Slug, t.UpdatedAt, t.Version)
	if err != nil {
		return err
	}
	t.Version++
	return nil
}

// DeleteTeam removes the team and its memberships; ErrConflict, deleting
// nothing, while it has projects (the projects' foreign key restricts it).
func (s *Store) DeleteTeam(ctx context.Context, id string) error {
	return s.remove(ctx, fmt.Sprintf("delete team %q", id), `DELETE FROM mastra_admin_teams WHERE id = $1`, id)
}

// CreateTeamWithOwner stores t and its first member in one transaction.
func (s *Store) CreateTeamWithOwner(ctx context.Context, t *admin.Team, owner *admin.TeamMember) error {
	op := fmt.Sprintf("create team %q with owner %q", t.ID, owner.UserID)
	if owner.TeamID != t.ID {
		return wrap(op, &admin.ValidationError{Field: "teamId", Reason: fmt.Sprintf("owner's team %q is not the new team %q", owner.TeamID, t.ID)})
	}
	if owner.Role != admin.RoleOwner {
		return wrap(op, &admin.ValidationError{Field: "role", Reason: fmt.Sprintf("the first member must be an owner, got %q", owner.Role)})
	}
	return wrap(op, s.inTx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, insertTeam, teamArgs(t)...); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, insertMember, memberArgs(owner)...)
		return err
	}))
}

const memberColumns = `team_id, user_id, role, created_at, updated_at, version`

const insertMember = `INSERT INTO mastra_admin_team_members (` + memberColumns + `) VALUES ($1, $2, $3, $4, $5, $6)`

func memberArgs(m *admin.TeamMember) []any {
	return []any{m.TeamID, m.UserID, m.Role, m.CreatedAt, m.UpdatedAt, m.Version}
}

func scanMember(row pgx.CollectableRow) (*admin.TeamMember, error) {
	var m admin.TeamMember
	if err := row.Scan(&m.TeamID, &m.UserID, &m.Role, &m.CreatedAt, &m.UpdatedAt, &m.Version); err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = utc(m.CreatedAt), utc(m.UpdatedAt)
	return &m, nil
}

// AddMember stores m; ErrAlreadyExists when the user is already a member,
// ErrConflict when the team or the user does not exist.
func (s *Store) AddMember(ctx context.Context, m *admin.TeamMember) error {
	return s.insert(ctx, fmt.Sprintf("add member %q to team %q", m.UserID, m.TeamID), insertMember, memberArgs(m)...)
}

// GetMember returns a membership; ErrNotFound when there is none.
func (s *Store) GetMember(ctx context.Context, teamID, userID string) (*admin.TeamMember, error) {
	return getOne(ctx, s, fmt.Sprintf("get member %q of team %q", userID, teamID), scanMember,
		`SELECT `+memberColumns+` FROM mastra_admin_team_members WHERE team_id = $1 AND user_id = $2`, teamID, userID)
}

// ListMembers lists a team's members by user id.
func (s *Store) ListMembers(ctx context.Context, teamID string, page admin.Page) ([]*admin.TeamMember, error) {
	var q query
	q.where(`team_id = %s`, teamID)
	sql := q.sql(`SELECT `+memberColumns+` FROM mastra_admin_team_members`, "user_id", page)
	return list(ctx, s, fmt.Sprintf("list members of team %q", teamID), scanMember, sql, q.args...)
}

// UpdateMember writes m's role and UpdatedAt when the stored version is
// m.Version, then increments m.Version. It locks the team row, so that
// membership changes of one team run one at a time, and returns ErrConflict
// when the change would leave the team without an owner.
func (s *Store) UpdateMember(ctx context.Context, m *admin.TeamMember) error {
	op := fmt.Sprintf("update member %q of team %q", m.UserID, m.TeamID)
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		current, err := lockMember(ctx, tx, m.TeamID, m.UserID)
		if err != nil {
			return err
		}
		if current.Version != m.Version {
			return fmt.Errorf("stale version: %w", admin.ErrConflict)
		}
		if current.Role == admin.RoleOwner && m.Role != admin.RoleOwner {
			if err := requireOtherOwner(ctx, tx, m.TeamID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx,
			`UPDATE mastra_admin_team_members SET role = $3, updated_at = $4, version = version + 1
			 WHERE team_id = $1 AND user_id = $2`, m.TeamID, m.UserID, m.Role, m.UpdatedAt)
		return err
	})
	if err != nil {
		return wrap(op, err)
	}
	m.Version++
	return nil
}

// RemoveMember deletes a membership; ErrConflict when it is the team's last
// owner. It locks the team row as UpdateMember does.
func (s *Store) RemoveMember(ctx context.Context, teamID, userID string) error {
	op := fmt.Sprintf("remove member %q from team %q", userID, teamID)
	return wrap(op, s.inTx(ctx, func(tx pgx.Tx) error {
		current, err := lockMember(ctx, tx, teamID, userID)
		if err != nil {
			return err
		}
		if current.Role == admin.RoleOwner {
			if err := requireOtherOwner(ctx, tx, teamID); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `DELETE FROM mastra_admin_team_members WHERE team_id = $1 AND user_id = $2`, teamID, userID)
		return err
	}))
}

// lockMember locks the team row (FOR NO KEY UPDATE: it serialises
// membership changes of the team without blocking inserts that reference
// it), then reads the membership. Both missing give pgx.ErrNoRows.
func lockMember(ctx context.Context, tx pgx.Tx, teamID, userID string) (*admin.TeamMember, error) {
	var one int
	if err := tx.QueryRow(ctx, `SELECT 1 FROM mastra_admin_teams WHERE id = $1 FOR NO KEY UPDATE`, teamID).Scan(&one); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+memberColumns+` FROM mastra_admin_team_members WHERE team_id = $1 AND user_id = $2`, teamID, userID)
	if err != nil {
		return nil, err
	}
	return pgx.CollectExactlyOneRow(rows, scanMember)
}

// requireOtherOwner returns ErrConflict unless the team has two owners or
// more (the one about to go and another). The caller holds the team lock.
func requireOtherOwner(ctx context.Context, tx pgx.Tx, teamID string) error {
	var owners int64
	if err := tx.QueryRow(ctx, `SELECT count(*) FROM mastra_admin_team_members WHERE team_id = $1 AND role = $2`,
		teamID, admin.RoleOwner).Scan(&owners); err != nil {
		return err
	}
	if owners < 2 {
		return fmt.Errorf("team %q would have no owner: %w", teamID, admin.ErrConflict)
	}
	return nil
}
