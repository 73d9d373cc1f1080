package admin

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// NewDeployment is the input of CreateDeployment.
type NewDeployment struct {
	// Type is staging or preview (every project has its production
	// deployment from the start).
	Type   DeploymentType `json:"type"`
	Branch string         `json:"branch"`
	// Slug is optional: "staging" for staging, for previews derived from the
	// branch (a branch "pr-456" or "feature/login" gives "pr-456",
	// "feature-login").
	Slug string `json:"slug,omitempty"`
}

// DeploymentUpdate changes a deployment; nil fields stay as they are.
type DeploymentUpdate struct {
	Branch *string `json:"branch,omitempty"`
}

func (a *Admin) newDeployment(p *Project, t DeploymentType, branch, slug string, now time.Time) *Deployment {
	d := &Deployment{ID: NewID(prefixDeployment, now), ProjectID: p.ID, Type: t, Branch: branch, Slug: slug,
		Status: DeploymentPending, EnvVarOverrides: []EnvVar{}, CreatedAt: now, UpdatedAt: now, Version: 1}
	if a.router != nil {
		d.PublicURL = a.router.PublicURL(Route{DeploymentID: d.ID, ProjectSlug: p.Slug,
			DeploymentSlug: slug, Production: t == DeploymentProduction})
	}
	return d
}

// CreateDeployment adds a staging or preview deployment to a project.
// It needs a license in force; previews need one that includes preview
// deployments.
func (a *Admin) CreateDeployment(ctx context.Context, projectID string, in NewDeployment) (d *Deployment, err error) {
	o := a.begin("deployment.create", "deployment", "", "")
	o.ev.Metadata["project"] = projectID
	defer func() { o.end(ctx, err) }()
	p, err := a.projectFor(ctx, projectID, PermDeploymentManage)
	if err != nil {
		return nil, err
	}
	o.ev.TeamID = p.TeamID
	switch in.Type {
	case DeploymentStaging:
		if err := a.licenseInForce(); err != nil {
			return nil, err
		}
	case DeploymentPreview:
		if err := a.checkFeature(FeaturePreviewDeployments); err != nil {
			return nil, err
		}
	case DeploymentProduction:
		return nil, invalid("type", "every project has exactly one production deployment, made with the project")
	default:
		return nil, invalid("type", "%q is not one of staging, preview", in.Type)
	}
	if err := validateBranch(in.Branch); err != nil {
		return nil, err
	}
	fallback := "staging"
	if in.Type == DeploymentPreview {
		fallback = Slugify(strings.ReplaceAll(in.Branch, "/", "-"), "preview")
	}
	if in.Slug == "production" {
		return nil, invalid("slug", "\"production\" is reserved for the production deployment")
	}
	d = a.newDeployment(p, in.Type, in.Branch, "", a.clock())
	o.ev.TargetID = d.ID
	err = createWithSlug(in.Slug, fallback, fallback, func(slug string) error {
		if err := ValidateHostLabel(slug, p.Slug); err != nil {
			return err
		}
		d.Slug = slug
		if a.router != nil {
			d.PublicURL = a.router.PublicURL(Route{DeploymentID: d.ID, ProjectSlug: p.Slug, DeploymentSlug: slug})
		}
		return a.store.CreateDeployment(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// deploymentFor loads a deployment and its project and checks perm.
func (a *Admin) deploymentFor(ctx context.Context, id string, perm Permission) (*Deployment, *Project, error) {
	d, err := a.store.GetDeployment(ctx, id)
	if err != nil {
		if _, werr := a.whoami(ctx); werr != nil {
			return nil, nil, werr
		}
		return nil, nil, err
	}
	p, err := a.projectFor(ctx, d.ProjectID, perm)
	if err != nil {
		return nil, nil, err
	}
	return d, p, nil
}

// GetDeployment returns a deployment.
func (a *Admin) GetDeployment(ctx context.Context, id string) (*Deployment, error) {
	d, _, err := a.deploymentFor(ctx, id, PermProjectRead)
	return d, err
}

// ListDeployments lists a project's deployments.
func (a *Admin) ListDeployments(ctx context.Context, projectID string, page Page) (List[*Deployment], error) {
	if _, err := a.projectFor(ctx, projectID, PermProjectRead); err != nil {
		return List[*Deployment]{}, err
	}
	return paginate(page, func(pg Page) ([]*Deployment, error) { return a.store.ListDeployments(ctx, projectID, pg) },
		func(d *Deployment) string { return d.ID })
}

// UpdateDeployment changes a deployment's branch.
func (a *Admin) UpdateDeployment(ctx context.Context, id string, up DeploymentUpdate) (d *Deployment, err error) {
	o := a.begin("deployment.update", "deployment", id, "")
	defer func() { o.end(ctx, err) }()
	if up.Branch != nil {
		if err := validateBranch(*up.Branch); err != nil {
			return nil, err
		}
	}
	return d, retryConflict(ctx, func() error {
		var p *Project
		if d, p, err = a.deploymentFor(ctx, id, PermDeploymentManage); err != nil {
			return err
		}
		o.ev.TeamID = p.TeamID
		if up.Branch != nil {
			d.Branch = *up.Branch
		}
		d.UpdatedAt = a.clock()
		return a.store.UpdateDeployment(ctx, d)
	})
}

// DeleteDeployment deletes a staging or preview deployment with its builds.
// The production deployment goes only with its project. It fails with
// ErrConflict while a build is queued or in flight or a server runs.
func (a *Admin) DeleteDeployment(ctx context.Context, id string) (err error) {
	o := a.begin("deployment.delete", "deployment", id, "")
	defer func() { o.end(ctx, err) }()
	d, p, err := a.deploymentFor(ctx, id, PermDeploymentManage)
	if err != nil {
		return err
	}
	o.ev.TeamID = p.TeamID
	if d.Type == DeploymentProduction {
		return fmt.Errorf("the production deployment is deleted with its project: %w", ErrConflict)
	}
	if err := a.checkIdle(ctx, d); err != nil {
		return err
	}
	return a.store.DeleteDeployment(ctx, id)
}

// SetDeploymentEnvVars sets env var overrides of one deployment; they win
// over the project's env vars of the same name.
func (a *Admin) SetDeploymentEnvVars(ctx context.Context, deploymentID string, values map[string]string) (vars []EnvVarInfo, err error) {
	o := a.begin("env.set", "deployment", deploymentID, "")
	o.ev.Metadata["names"] = joinNames(values)
	defer func() { o.end(ctx, err) }()
	var d *Deployment
	err = retryConflict(ctx, func() error {
		var p *Project
		if d, p, err = a.deploymentFor(ctx, deploymentID, PermEnvWrite); err != nil {
			return err
		}
		o.ev.TeamID = p.TeamID
		if d.EnvVarOverrides, err = a.sealAll(d.ID, d.EnvVarOverrides, values); err != nil {
			return err
		}
		d.UpdatedAt = a.clock()
		return a.store.UpdateDeployment(ctx, d)
	})
	if err != nil {
		return nil, err
	}
	return envInfos(d.EnvVarOverrides, ""), nil
}

// ListDeploymentEnvVars lists a deployment's overrides, never values.
func (a *Admin) ListDeploymentEnvVars(ctx context.Context, deploymentID string) ([]EnvVarInfo, error) {
	d, _, err := a.deploymentFor(ctx, deploymentID, PermProjectRead)
	if err != nil {
		return nil, err
	}
	return envInfos(d.EnvVarOverrides, ""), nil
}

// DeleteDeploymentEnvVar removes a deployment's override.
func (a *Admin) DeleteDeploymentEnvVar(ctx context.Context, deploymentID, name string) (err error) {
	o := a.begin("env.delete", "deployment", deploymentID, "")
	o.ev.Metadata["names"] = name
	defer func() { o.end(ctx, err) }()
	return retryConflict(ctx, func() error {
		d, p, err := a.deploymentFor(ctx, deploymentID, PermEnvWrite)
		if err != nil {
			return err
		}
		o.ev.TeamID = p.TeamID
		if d.EnvVarOverrides, err = removeVar(d.EnvVarOverrides, "", name); err != nil {
			return err
		}
		d.UpdatedAt = a.clock()
		return a.store.UpdateDeployment(ctx, d)
	})
}
