package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const deploymentColumns = `id, project_id, type, branch, slug, status, current_build_id, public_url, env_var_overrides, created_at, updated_at, version`

func scanDeployment(row pgx.CollectableRow) (*admin.Deployment, error) {
	var (
		d         admin.Deployment
		overrides []byte
		err       error
	)
	if err := row.Scan(&d.ID, &d.ProjectID, &d.Type, &d.Branch, &d.Slug, &d.Status, &d.CurrentBuildID, &d.PublicURL,
		&overrides, &d.CreatedAt, &d.UpdatedAt, &d.Version); err != nil {
		return nil, err
	}
	if d.EnvVarOverrides, err = decodeEnvVars(overrides); err != nil {
		return nil, fmt.Errorf("deployment %q: %w", d.ID, err)
	}
	d.CreatedAt, d.UpdatedAt = utc(d.CreatedAt), utc(d.UpdatedAt)
	return &d, nil
}

// CreateDeployment stores d; ErrAlreadyExists when its id or its slug within
// the project is taken, ErrConflict when its project does not exist.
func (s *Store) CreateDeployment(ctx context.Context, d *admin.Deployment) error {
	op := fmt.Sprintf("create deployment %q", d.ID)
	overrides, err := encodeEnvVars(d.EnvVarOverrides)
	if err != nil {
		return wrap(op, err)
	}
	return s.insert(ctx, op,
		`INSERT INTO mastra_admin_deployments (`+deploymentColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		d.ID, d.ProjectID, d.Type, d.Branch, d.Slug, d.Status, d.CurrentBuildID, d.PublicURL, overrides,
		d.CreatedAt, d.UpdatedAt, d.Version)
}

// GetDeployment returns the deployment with id; ErrNotFound when there is
// none.
func (s *Store) GetDeployment(ctx context.Context, id string) (*admin.Deployment, error) {
	return getOne(ctx, s, fmt.Sprintf("get deployment %q", id), scanDeployment,
		`SELECT `+deploymentColumns+` FROM mastra_admin_deployments WHERE id = $1`, id)
}

// GetDeploymentBySlug returns the project's deployment with slug;
// ErrNotFound when there is none.
func (s *Store) GetDeploymentBySlug(ctx context.Context, projectID, slug string) (*admin.Deployment, error) {
	return getOne(ctx, s, fmt.Sprintf("get deployment %q of project %q", slug, projectID), scanDeployment,
		`SELECT `+deploymentColumns+` FROM mastra_admin_deployments WHERE project_id = $1 AND slug = $2`, projectID, slug)
}

// ListDeployments lists a project's deployments by id (every project's with
// projectID empty).
func (s *Store) ListDeployments(ctx context.Context, projectID string, page admin.Page) ([]*admin.Deployment, error) {
	var q query
	q.whereIf(`project_id = %s`, projectID)
	sql := q.sql(`SELECT `+deploymentColumns+` FROM mastra_admin_deployments`, "id", page)
	return list(ctx, s, fmt.Sprintf("list deployments of project %q", projectID), scanDeployment, sql, q.args...)
}

// UpdateDeployment writes d's mutable fields (all but ID, ProjectID and
// CreatedAt) when the stored version is d.Version, then increments
// d.Version.
func (s *Store) UpdateDeployment(ctx context.Context, d *admin.Deployment) error {
	op := fmt.Sprintf("update deployment %q", d.ID)
	overrides, err := encodeEnvVars(d.EnvVarOverrides)
	if err != nil {
		return wrap(op, err)
	}
	err = s.update(ctx, op,
		`UPDATE mastra_admin_deployments SET type = $2, branch = $3, slug = $4, status = $5, current_build_id = $6,
		 public_url = $7, env_var_overrides = $8, updated_at = $9, version = version + 1
		 WHERE id = $1 AND version = $10`,
		`SELECT EXISTS (SELECT 1 FROM mastra_admin_deployments WHERE id = $1)`, 1,
		d.ID, d.Type, d.Branch, d.Slug, d.Status, d.CurrentBuildID, d.PublicURL, overrides, d.UpdatedAt, d.Version)
	if err != nil {
		return err
	}
	d.Version++
	return nil
}

// DeleteDeployment removes the deployment with its builds and server
// records (ON DELETE CASCADE).
func (s *Store) DeleteDeployment(ctx context.Context, id string) error {
	return s.remove(ctx, fmt.Sprintf("delete deployment %q", id), `DELETE FROM mastra_admin_deployments WHERE id = $1`, id)
}
