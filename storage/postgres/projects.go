package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const projectColumns = `id, team_id, name, slug, source_type, source_config, default_branch, env_vars, created_at, updated_at, version`

func scanProject(row pgx.CollectableRow) (*admin.Project, error) {
	var (
		p                   admin.Project
		sourceConfig, envVs []byte
		err                 error
	)
	if err := row.Scan(&p.ID, &p.TeamID, &p.Name, &p.Slug, &p.SourceType, &sourceConfig, &p.DefaultBranch,
		&envVs, &p.CreatedAt, &p.UpdatedAt, &p.Version); err != nil {
		return nil, err
	}
	if p.SourceConfig, err = decodeMap(sourceConfig); err != nil {
		return nil, fmt.Errorf("project %q source config: %w", p.ID, err)
	}
	if p.EnvVars, err = decodeEnvVars(envVs); err != nil {
		return nil, fmt.Errorf("project %q: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = utc(p.CreatedAt), utc(p.UpdatedAt)
	return &p, nil
}

// projectJSON encodes a project's JSON columns.
func projectJSON(p *admin.Project) (sourceConfig, envVars []byte, err error) {
	if sourceConfig, err = encodeMap(p.SourceConfig); err != nil {
		return nil, nil, err
	}
	if envVars, err = encodeEnvVars(p.EnvVars); err != nil {
		return nil, nil, err
	}
	return sourceConfig, envVars, nil
}

// CreateProject stores p; ErrAlreadyExists when its id or slug is taken,
// ErrConflict when its team does not exist.
func (s *Store) CreateProject(ctx context.Context, p *admin.Project) error {
	op := fmt.Sprintf("create project %q", p.ID)
	sourceConfig, envVars, err := projectJSON(p)
	if err != nil {
		return wrap(op, err)
	}
	return s.insert(ctx, op,
		`INSERT INTO mastra_admin_projects (`+projectColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		p.ID, p.TeamID, p.Name, p.Slug, p.SourceType, sourceConfig, p.DefaultBranch, envVars, p.CreatedAt, p.UpdatedAt, p.Version)
}

// GetProject returns the project with id; ErrNotFound when there is none.
func (s *Store) GetProject(ctx context.Context, id string) (*admin.Project, error) {
	return getOne(ctx, s, fmt.Sprintf("get project %q", id), scanProject,
		`SELECT `+projectColumns+` FROM mastra_admin_projects WHERE id = $1`, id)
}

// GetProjectBySlug returns the project with slug; ErrNotFound when there is
// none.
func (s *Store) GetProjectBySlug(ctx context.Context, slug string) (*admin.Project, error) {
	return getOne(ctx, s, fmt.Sprintf("get project by slug %q", slug), scanProject,
		`SELECT `+projectColumns+` FROM mastra_admin_projects WHERE slug = $1`, slug)
}

// ListProjects lists projects by id, all or one team's.
func (s *Store) ListProjects(ctx context.Context, f admin.ProjectFilter, page admin.Page) ([]*admin.Project, error) {
	var q query
	q.whereIf(`team_id = %s`, f.TeamID)
	sql := q.sql(`SELECT `+projectColumns+` FROM mastra_admin_projects`, "id", page)
	return list(ctx, s, "list projects", scanProject, sql, q.args...)
}

// CountProjects counts all projects, or one team's with teamID set.
func (s *Store) CountProjects(ctx context.Context, teamID string) (int, error) {
	var q query
	q.whereIf(`team_id = %s`, teamID)
	return s.count(ctx, "count projects", `SELECT count(*) FROM mastra_admin_projects`+q.whereClause(), q.args...)
}

// UpdateProject writes p's mutable fields (all but ID, TeamID and
// CreatedAt) when the stored version is p.Version, then increments
// p.Version.
func (s *Store) UpdateProject(ctx context.Context, p *admin.Project) error {
	op := fmt.Sprintf("update project %q", p.ID)
	sourceConfig, envVars, err := projectJSON(p)
	if err != nil {
		return wrap(op, err)
	}
	err = s.update(ctx, op,
		`UPDATE mastra_admin_projects SET name = $2, slug = $3, source_type = $4, source_config = $5,
		 default_branch = $6, env_vars = $7, updated_at = $8, version = version + 1
		 WHERE id = $1 AND version = $9`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_projects WHERE id = $1)`, 1,
		p.ID, p.Name, p.Slug, p.SourceType, sourceConfig, p.DefaultBranch, envVars, p.UpdatedAt, p.Version)
	if err != nil {
		return err
	}
	p.Version++
	return nil
}

// DeleteProject removes the project; its deployments, their builds and
// server records go with it (ON DELETE CASCADE).
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	return s.remove(ctx, fmt.Sprintf("delete project %q", id), `DELETE FROM mastra_admin_projects WHERE id = $1`, id)
}
