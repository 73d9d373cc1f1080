package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const projectCols = `id, team_id, name, slug, source_type, source_config, default_branch, env_vars, created_at, updated_at, version`

func scanProject(sc scanner) (*admin.Project, error) {
	var p admin.Project
	var cfg, vars string
	var created, updated int64
	if err := sc.Scan(&p.ID, &p.TeamID, &p.Name, &p.Slug, &p.SourceType, &cfg, &p.DefaultBranch, &vars,
		&created, &updated, &p.Version); err != nil {
		return nil, err
	}
	var err error
	if p.SourceConfig, err = decodeMap("source_config", cfg); err != nil {
		return nil, fmt.Errorf("project %q: %w", p.ID, err)
	}
	if p.EnvVars, err = decodeEnvVars("env_vars", vars); err != nil {
		return nil, fmt.Errorf("project %q: %w", p.ID, err)
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &p, nil
}

// projectJSON encodes the project's JSON columns.
func projectJSON(p *admin.Project) (cfg, vars string, err error) {
	if cfg, err = encodeMap(p.SourceConfig); err != nil {
		return "", "", fmt.Errorf("encode source config: %w", err)
	}
	if vars, err = encodeEnvVars(p.EnvVars); err != nil {
		return "", "", fmt.Errorf("encode env vars: %w", err)
	}
	return cfg, vars, nil
}

// CreateProject stores a new project.
func (s *Store) CreateProject(ctx context.Context, p *admin.Project) error {
	op := fmt.Sprintf("create project %q", p.ID)
	cfg, vars, err := projectJSON(p)
	if err != nil {
		return s.fail(op, err)
	}
	_, err = s.exec(ctx, op, `INSERT INTO projects (`+projectCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.TeamID, p.Name, p.Slug, string(p.SourceType), cfg, p.DefaultBranch, vars,
		micros(p.CreatedAt), micros(p.UpdatedAt), p.Version)
	return err
}

// GetProject returns the project with the id.
func (s *Store) GetProject(ctx context.Context, id string) (*admin.Project, error) {
	return getOne(ctx, s, fmt.Sprintf("get project %q", id), scanProject,
		`SELECT `+projectCols+` FROM projects WHERE id = ?`, id)
}

// GetProjectBySlug returns the project with the slug.
func (s *Store) GetProjectBySlug(ctx context.Context, slug string) (*admin.Project, error) {
	return getOne(ctx, s, fmt.Sprintf("get project by slug %q", slug), scanProject,
		`SELECT `+projectCols+` FROM projects WHERE slug = ?`, slug)
}

// ListProjects lists projects by id, all or one team's.
func (s *Store) ListProjects(ctx context.Context, f admin.ProjectFilter, page admin.Page) ([]*admin.Project, error) {
	var q selectPage
	if f.TeamID != "" {
		q.filter(`team_id = ?`, f.TeamID)
	}
	query, args := q.sql(projectCols, "projects", "id", page)
	return getMany(ctx, s, "list projects", scanProject, query, args...)
}

// CountProjects counts all projects, or one team's.
func (s *Store) CountProjects(ctx context.Context, teamID string) (int, error) {
	if teamID == "" {
		return s.count(ctx, "count projects", `SELECT count(*) FROM projects`)
	}
	return s.count(ctx, fmt.Sprintf("count projects of team %q", teamID), `SELECT count(*) FROM projects WHERE team_id = ?`, teamID)
}

// UpdateProject writes every field but the id, team and CreatedAt if
// p.Version is the stored version.
func (s *Store) UpdateProject(ctx context.Context, p *admin.Project) error {
	op := fmt.Sprintf("update project %q", p.ID)
	cfg, vars, err := projectJSON(p)
	if err != nil {
		return s.fail(op, err)
	}
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE projects SET name = ?, slug = ?, source_type = ?, source_config = ?, default_branch = ?,
			 env_vars = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			[]any{p.Name, p.Slug, string(p.SourceType), cfg, p.DefaultBranch, vars, micros(p.UpdatedAt), p.ID, p.Version},
			`SELECT 1 FROM projects WHERE id = ?`, p.ID)
	})
	if err == nil {
		p.Version++
	}
	return err
}

// DeleteProject removes the project with its deployments, builds and server
// records (foreign keys cascade).
func (s *Store) DeleteProject(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete project %q", id)
	res, err := s.exec(ctx, op, `DELETE FROM projects WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return deleted(s, op, res)
}

const deploymentCols = `id, project_id, type, branch, slug, status, current_build_id, public_url, env_var_overrides, created_at, updated_at, version`

func scanDeployment(sc scanner) (*admin.Deployment, error) {
	var d admin.Deployment
	var vars string
	var created, updated int64
	if err := sc.Scan(&d.ID, &d.ProjectID, &d.Type, &d.Branch, &d.Slug, &d.Status, &d.CurrentBuildID, &d.PublicURL,
		&vars, &created, &updated, &d.Version); err != nil {
		return nil, err
	}
	var err error
	if d.EnvVarOverrides, err = decodeEnvVars("env_var_overrides", vars); err != nil {
		return nil, fmt.Errorf("deployment %q: %w", d.ID, err)
	}
	d.CreatedAt, d.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &d, nil
}

// CreateDeployment stores a new deployment.
func (s *Store) CreateDeployment(ctx context.Context, d *admin.Deployment) error {
	op := fmt.Sprintf("create deployment %q", d.ID)
	vars, err := encodeEnvVars(d.EnvVarOverrides)
	if err != nil {
		return s.fail(op, fmt.Errorf("encode env var overrides: %w", err))
	}
	_, err = s.exec(ctx, op, `INSERT INTO deployments (`+deploymentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		d.ID, d.ProjectID, string(d.Type), d.Branch, d.Slug, string(d.Status), d.CurrentBuildID, d.PublicURL, vars,
		micros(d.CreatedAt), micros(d.UpdatedAt), d.Version)
	return err
}

// GetDeployment returns the deployment with the id.
func (s *Store) GetDeployment(ctx context.Context, id string) (*admin.Deployment, error) {
	return getOne(ctx, s, fmt.Sprintf("get deployment %q", id), scanDeployment,
		`SELECT `+deploymentCols+` FROM deployments WHERE id = ?`, id)
}

// GetDeploymentBySlug returns the project's deployment with the slug.
func (s *Store) GetDeploymentBySlug(ctx context.Context, projectID, slug string) (*admin.Deployment, error) {
	return getOne(ctx, s, fmt.Sprintf("get deployment %q of project %q", slug, projectID), scanDeployment,
		`SELECT `+deploymentCols+` FROM deployments WHERE project_id = ? AND slug = ?`, projectID, slug)
}

// ListDeployments lists a project's deployments by id.
func (s *Store) ListDeployments(ctx context.Context, projectID string, page admin.Page) ([]*admin.Deployment, error) {
	var q selectPage
	q.filterIf(`project_id = ?`, projectID)
	query, args := q.sql(deploymentCols, "deployments", "id", page)
	return getMany(ctx, s, fmt.Sprintf("list deployments of project %q", projectID), scanDeployment, query, args...)
}

// UpdateDeployment writes every field but the id, project and CreatedAt if
// d.Version is the stored version.
func (s *Store) UpdateDeployment(ctx context.Context, d *admin.Deployment) error {
	op := fmt.Sprintf("update deployment %q", d.ID)
	vars, err := encodeEnvVars(d.EnvVarOverrides)
	if err != nil {
		return s.fail(op, fmt.Errorf("encode env var overrides: %w", err))
	}
	err = s.write(ctx, op, func(tx *sql.Tx) error {
		return update(ctx, s, tx, op,
			`UPDATE deployments SET type = ?, branch = ?, slug = ?, status = ?, current_build_id = ?, public_url = ?,
			 env_var_overrides = ?, updated_at = ?, version = version + 1 WHERE id = ? AND version = ?`,
			[]any{string(d.Type), d.Branch, d.Slug, string(d.Status), d.CurrentBuildID, d.PublicURL, vars,
				micros(d.UpdatedAt), d.ID, d.Version},
			`SELECT 1 FROM deployments WHERE id = ?`, d.ID)
	})
	if err == nil {
		d.Version++
	}
	return err
}

// DeleteDeployment removes the deployment with its builds and server
// records (foreign keys cascade).
func (s *Store) DeleteDeployment(ctx context.Context, id string) error {
	op := fmt.Sprintf("delete deployment %q", id)
	res, err := s.exec(ctx, op, `DELETE FROM deployments WHERE id = ?`, id)
	if err != nil {
		return err
	}
	return deleted(s, op, res)
}
