package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const teamCols = `id, name, slug, created_at, updated_at, version`

func scanTeam(sc scanner) (*admin.Team, error) {
	var t admin.Team
	var created, updated int64
	if err := sc.Scan(&t.ID, &t.Name, &t.Slug, &created, &updated, &t.Version); err != nil {
		return nil, err
	}
	t.CreatedAt, t.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &t, nil
}

const insertTeam = `INSERT INTO teams (` + teamCols + `) VALUES (?, ?, ?, ?, ?, ?)`

func teamArgs(t *admin.Team) []any {
	return []any{t.ID, t.Name, t.Slug, micros(t.CreatedAt), micros(t.UpdatedAt), t.Version}
}

// CreateTeam stores a new team.
func (s *Store) CreateTeam(ctx context.Context, t *admin.Team) error {
	_, err := s.exec(ctx, fmt.Sprintf("create team %q", t.ID), insertTeam, teamArgs(t)...)
	return err
}

// GetTeam returns the team with the id.
func (s *Store) GetTeam(ctx context.Context, id string) (*admin.Team, error) {
	return getOne(ctx, s, fmt.Sprintf("get team %q", id), scanTeam,
		`SELECT `+teamCols+` FROM teams WHERE id = ?`, id)
}

// GetTeamBySlug returns the team with the slug.
func (s *Store) GetTeamBySlug(ctx context.Context, slug string) (*admin.Team, error) {
	return getOne(ctx, s, fmt.Sprintf("get team by slug %q", slug), scanTeam,
		`SELECT `+teamCols+` FROM teams WHERE slug = ?`, slug)
}

// ListTeams lists all teams, or with userID set the teams the user is a
// member of, by id.
func (s *Store) ListTeams(ctx context.Context, userID string, page admin.Page) ([]*admin.Team, error) {
	var q selectPage
	if userID != "" {
		q.filter(`id IN (SELECT team_id FROM team_members WHERE user_id = ?)`, userID)
	}
	query, args := q.sql(teamCols, "teams", "id", page)
	return getMany(ctx, s, "list teams", scanTeam, query, args...)
}

// CountTeams counts all teams.
func (s *Store) CountTeams(ctx context.Context) (int, error) {
	return s.count(ctx, "count teams", `SELECT count(*) FROM teams`)
}

// UpdateTeam writes the team's name, slug and UpdatedAt if t.Version is the
// stored version.
func (s *Store) UpdateTeam(ctx context.Context, t *admin.Team) error {
	op := fmt.Sprintf("update team %q", t.ID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE teams SET name = ?, slug = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			[]any{t.Name, t.Slug, micros(t.UpdatedAt), t.ID, t.Version},
			`SELECT 1 FROM teams WHERE id = ?`, t.ID)
	})
	if err == nil {
		t.Version++
	}
	return err
}

// DeleteTeam removes the team and its memberships, unless it has projects.
func (s *Store) DeleteTeam(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete team %q", id)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		var projects int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM projects WHERE team_id = ?`, id).Scan(&projects); err != nil {
			return s.fail(op, err)
		}
		if projects > 0 {
			return conflict(op, fmt.Sprintf("the team still has %d project(s)", projects))
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM teams WHERE id = ?`, id)
		if err != nil {
			return s.fail(op, err)
		}
		return deleted(s, op, res)
	})
}

const memberCols = `team_id, user_id, role, created_at, updated_at, version`

func scanMember(sc scanner) (*admin.TeamMember, error) {
	var m admin.TeamMember
	var created, updated int64
	if err := sc.Scan(&m.TeamID, &m.UserID, &m.Role, &created, &updated, &m.Version); err != nil {
		return nil, err
	}
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &m, nil
}

const insertMember = `INSERT INTO team_members (` + memberCols + `) VALUES (?, ?, ?, ?, ?, ?)`

func memberArgs(m *admin.TeamMember) []any {
	return []any{m.TeamID, m.UserID, string(m.Role), micros(m.CreatedAt), micros(m.UpdatedAt), m.Version}
}

// CreateTeamWithOwner creates the team and its first owner in one
// transaction: both or neither.
func (s *Store) CreateTeamWithOwner(ctx context.Context, t *admin.Team, owner *admin.TeamMember) error {
	op := fmt.Sprintf("create team %q with owner %q", t.ID, owner.UserID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, insertTeam, teamArgs(t)...); err != nil {
			return s.fail(op, err)
		}
		if _, err := tx.ExecContext(ctx, insertMember, memberArgs(owner)...); err != nil {
			return s.fail(op, err)
		}
		return nil
	})
}

// AddMember stores a new membership.
func (s *Store) AddMember(ctx context.Context, m *admin.TeamMember) error {
	_, err := s.exec(ctx, fmt.Sprintf("add member %q to team %q", m.UserID, m.TeamID), insertMember, memberArgs(m)...)
	return err
}

// GetMember returns the user's membership of the team.
func (s *Store) GetMember(ctx context.Context, teamID, userID string) (*admin.TeamMember, error) {
	return getOne(ctx, s, fmt.Sprintf("get member %q of team %q", userID, teamID), scanMember,
		`SELECT `+memberCols+` FROM team_members WHERE team_id = ? AND user_id = ?`, teamID, userID)
}

// ListMembers lists a team's members by user id.
func (s *Store) ListMembers(ctx context.Context, teamID string, page admin.Page) ([]*admin.TeamMember, error) {
	var q selectPage
	q.filter(`team_id = ?`, teamID)
	query, args := q.sql(memberCols, "team_members", "user_id", page)
	return getMany(ctx, s, fmt.Sprintf("list members of team %q", teamID), scanMember, query, args...)
}

// UpdateMember changes a member's role if m.Version is the stored version,
// unless that demotes the team's last owner.
func (s *Store) UpdateMember(ctx context.Context, m *admin.TeamMember) error {
	op := fmt.Sprintf("update member %q of team %q", m.UserID, m.TeamID)
	err := s.write(ctx, op, func(tx *sql.Tx) error {
		wasOwner, err := isOwner(ctx, tx, m.TeamID, m.UserID)
		if err != nil {
			return s.fail(op, err)
		}
		if err := update(ctx, s, tx, op,
			`UPDATE team_members SET role = ?, updated_at = ?, version = version + 1
			 WHERE team_id = ? AND user_id = ? AND version = ?`,
			[]any{string(m.Role), micros(m.UpdatedAt), m.TeamID, m.UserID, m.Version},
			`SELECT 1 FROM team_members WHERE team_id = ? AND user_id = ?`, m.TeamID, m.UserID); err != nil {
			return err
		}
		if wasOwner && m.Role != admin.RoleOwner {
			return s.keepsAnOwner(ctx, tx, op, m.TeamID)
		}
		return nil
	})
	if err == nil {
		m.Version++
	}
	return err
}

// RemoveMember deletes a membership, unless it is the team's last owner's.
func (s *Store) RemoveMember(ctx context.Context, teamID, userID string) error {
	op := fmt.Sprintf("remove member %q from team %q", userID, teamID)
	return s.write(ctx, op, func(tx *sql.Tx) error {
		wasOwner, err := isOwner(ctx, tx, teamID, userID)
		if err != nil {
			return s.fail(op, err)
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM team_members WHERE team_id = ? AND user_id = ?`, teamID, userID)
		if err != nil {
			return s.fail(op, err)
		}
		if err := deleted(s, op, res); err != nil {
			return err
		}
		if wasOwner {
			return s.keepsAnOwner(ctx, tx, op, teamID)
		}
		return nil
	})
}

// isOwner reports whether the user is an owner of the team.
func isOwner(ctx context.Context, tx *sql.Tx, teamID, userID string) (bool, error) {
	var role string
	err := tx.QueryRowContext(ctx, `SELECT role FROM team_members WHERE team_id = ? AND user_id = ?`, teamID, userID).Scan(&role)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return role == string(admin.RoleOwner), err
}

// keepsAnOwner returns ErrConflict, for the transaction to roll back, when
// the team has no owner left.
func (s *Store) keepsAnOwner(ctx context.Context, tx *sql.Tx, op, teamID string) error {
	var owners int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM team_members WHERE team_id = ? AND role = 'owner'`, teamID).Scan(&owners); err != nil {
		return s.fail(op, err)
	}
	if owners == 0 {
		return conflict(op, "it would leave the team without an owner")
	}
	return nil
}
