package admin

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// NewProject is the input of CreateProject.
type NewProject struct {
	Name string `json:"name"`
	// Slug is optional; by default it is derived from Name and made unique.
	Slug         string            `json:"slug,omitempty"`
	SourceType   SourceType        `json:"sourceType"`
	SourceConfig map[string]string `json:"sourceConfig"`
	// DefaultBranch is the production branch; "main" by default.
	DefaultBranch string `json:"defaultBranch,omitempty"`
	// EnvVars are set (sealed) at creation.
	EnvVars map[string]string `json:"envVars,omitempty"`
}

// ProjectUpdate changes a project; nil fields stay as they are. Slugs never
// change.
type ProjectUpdate struct {
	Name          *string           `json:"name,omitempty"`
	SourceConfig  map[string]string `json:"sourceConfig,omitempty"`
	DefaultBranch *string           `json:"defaultBranch,omitempty"`
}

func validateSourceConfig(cfg map[string]string) error {
	if len(cfg) > MaxSourceConfigKeys {
		return invalid("sourceConfig", "at most %d keys", MaxSourceConfigKeys)
	}
	for k, v := range cfg {
		if k == "" || len(k) > 64 {
			return invalid("sourceConfig", "keys must be 1-64 characters")
		}
		if len(v) > MaxSourceConfigValue {
			return invalid("sourceConfig", "value of %q is longer than %d bytes", k, MaxSourceConfigValue)
		}
	}
	return nil
}

// checkSource asks the Source of type t to validate cfg. An Admin with no
// Source at all (one that only keeps records) stores configs as given.
func (a *Admin) checkSource(ctx context.Context, t SourceType, cfg map[string]string) error {
	if len(a.sources) == 0 {
		return nil
	}
	src, err := a.sourceOf(t)
	if err != nil {
		return err
	}
	return src.Validate(ctx, cfg)
}

func (a *Admin) sourceOf(t SourceType) (Source, error) {
	src, ok := a.sources[t]
	if !ok {
		return nil, fmt.Errorf("no Source of type %s is configured (admin.WithSource): %w", t, ErrNotSupported)
	}
	return src, nil
}

// CreateProject creates a project in a team, with its production
// deployment (slug "production", on the default branch).
func (a *Admin) CreateProject(ctx context.Context, teamID string, in NewProject) (p *Project, err error) {
	o := a.begin("project.create", "project", "", teamID)
	if len(in.EnvVars) > 0 {
		o.ev.Metadata["envVars"] = joinNames(in.EnvVars)
	}
	defer func() { o.end(ctx, err) }()
	if _, _, err := a.authorize(ctx, teamID, PermProjectCreate); err != nil {
		return nil, err
	}
	name, err := validateName("name", in.Name)
	if err != nil {
		return nil, err
	}
	if !in.SourceType.Valid() {
		return nil, invalid("sourceType", "%q is not one of local, git, github", in.SourceType)
	}
	if err := validateSourceConfig(in.SourceConfig); err != nil {
		return nil, err
	}
	if in.DefaultBranch == "" {
		in.DefaultBranch = "main"
	}
	if err := validateBranch(in.DefaultBranch); err != nil {
		return nil, err
	}
	if err := a.checkSource(ctx, in.SourceType, in.SourceConfig); err != nil {
		return nil, err
	}
	now := a.clock()
	p = &Project{ID: NewID(prefixProject, now), TeamID: teamID, Name: name, SourceType: in.SourceType,
		SourceConfig: maps.Clone(in.SourceConfig), DefaultBranch: in.DefaultBranch,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if p.SourceConfig == nil {
		p.SourceConfig = map[string]string{}
	}
	if p.EnvVars, err = a.sealAll(p.ID, nil, in.EnvVars); err != nil {
		return nil, err
	}
	o.ev.TargetID = p.ID
	n, err := a.store.CountProjects(ctx, "")
	if err != nil {
		return nil, err
	}
	if err := a.checkLimit(LimitProjects, n); err != nil {
		return nil, err
	}
	err = createWithSlug(in.Slug, name, "project", func(slug string) error {
		p.Slug = slug
		return a.store.CreateProject(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	prod := a.newDeployment(p, DeploymentProduction, p.DefaultBranch, "production", now)
	if err := a.store.CreateDeployment(ctx, prod); err != nil {
		// Undo, so that no project exists without its production deployment.
		if derr := a.store.DeleteProject(context.WithoutCancel(ctx), p.ID); derr != nil {
			a.logger.ErrorContext(ctx, "undo project creation", "project", p.ID, "err", derr)
		}
		return nil, fmt.Errorf("create production deployment: %w", err)
	}
	return p, nil
}

// projectFor loads a project and checks perm in its team.
func (a *Admin) projectFor(ctx context.Context, id string, perm Permission) (*Project, error) {
	p, err := a.store.GetProject(ctx, id)
	if err != nil {
		if _, werr := a.whoami(ctx); werr != nil {
			return nil, werr // do not tell the unauthenticated what exists
		}
		return nil, err
	}
	if _, _, err := a.authorize(ctx, p.TeamID, perm); err != nil {
		return nil, err
	}
	return p, nil
}

// GetProject returns a project.
func (a *Admin) GetProject(ctx context.Context, id string) (*Project, error) {
	return a.projectFor(ctx, id, PermProjectRead)
}

// ListProjects lists a team's projects.
func (a *Admin) ListProjects(ctx context.Context, teamID string, page Page) (List[*Project], error) {
	if _, _, err := a.authorize(ctx, teamID, PermProjectRead); err != nil {
		return List[*Project]{}, err
	}
	return paginate(page, func(pg Page) ([]*Project, error) {
		return a.store.ListProjects(ctx, ProjectFilter{TeamID: teamID}, pg)
	}, func(p *Project) string { return p.ID })
}

// DiscoverProjects lists the projects the Source of type t can offer, for a
// source picker.
func (a *Admin) DiscoverProjects(ctx context.Context, t SourceType) ([]ProjectSource, error) {
	if _, err := a.whoami(ctx); err != nil {
		return nil, err
	}
	src, err := a.sourceOf(t)
	if err != nil {
		return nil, err
	}
	return src.ListProjects(ctx)
}

// UpdateProject changes a project's name, source config or default branch.
func (a *Admin) UpdateProject(ctx context.Context, id string, up ProjectUpdate) (p *Project, err error) {
	o := a.begin("project.update", "project", id, "")
	defer func() { o.end(ctx, err) }()
	var name string
	if up.Name != nil {
		if name, err = validateName("name", *up.Name); err != nil {
			return nil, err
		}
	}
	if up.DefaultBranch != nil {
		if err := validateBranch(*up.DefaultBranch); err != nil {
			return nil, err
		}
	}
	if err := validateSourceConfig(up.SourceConfig); err != nil {
		return nil, err
	}
	return p, retryConflict(ctx, func() error {
		if p, err = a.projectFor(ctx, id, PermProjectUpdate); err != nil {
			return err
		}
		o.ev.TeamID = p.TeamID
		if up.Name != nil {
			p.Name = name
		}
		if up.DefaultBranch != nil {
			p.DefaultBranch = *up.DefaultBranch
		}
		if up.SourceConfig != nil {
			if err := a.checkSource(ctx, p.SourceType, up.SourceConfig); err != nil {
				return err
			}
			p.SourceConfig = maps.Clone(up.SourceConfig)
		}
		p.UpdatedAt = a.clock()
		return a.store.UpdateProject(ctx, p)
	})
}

// DeleteProject deletes a project with its deployments and builds. It fails
// with ErrConflict while any deployment has a build in flight or queued, or
// a server that is not stopped.
func (a *Admin) DeleteProject(ctx context.Context, id string) (err error) {
	o := a.begin("project.delete", "project", id, "")
	defer func() { o.end(ctx, err) }()
	p, err := a.projectFor(ctx, id, PermProjectDelete)
	if err != nil {
		return err
	}
	o.ev.TeamID = p.TeamID
	deps, err := a.store.ListDeployments(ctx, id, Page{})
	if err != nil {
		return err
	}
	for _, d := range deps {
		if err := a.checkIdle(ctx, d); err != nil {
			return err
		}
	}
	return a.store.DeleteProject(ctx, id)
}

// checkIdle returns ErrConflict when a deployment has a queued or active
// build or a live server.
func (a *Admin) checkIdle(ctx context.Context, d *Deployment) error {
	builds, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: d.ID,
		Statuses: []BuildStatus{BuildQueued, BuildBuilding, BuildDeploying}}, Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(builds) > 0 {
		return fmt.Errorf("deployment %s has build %s %s; cancel it first: %w", d.Slug, builds[0].ID, builds[0].Status, ErrConflict)
	}
	servers, err := a.store.ListServers(ctx, ServerFilter{DeploymentID: d.ID,
		Statuses: []ServerStatus{ServerStarting, ServerRunning, ServerStopping}}, Page{Limit: 1})
	if err != nil {
		return err
	}
	if len(servers) > 0 {
		return fmt.Errorf("deployment %s has a running server; stop it first: %w", d.Slug, ErrConflict)
	}
	return nil
}

// errNoKeys explains why env vars cannot be set.
var errNoKeys = fmt.Errorf("encryption keys: none configured (admin.WithEncryptionKeys): %w", ErrNotSupported)

// sealAll seals values into vars (a copy), replacing vars of the same name
// and no Scope. owner binds each sealed value to its owner.
func (a *Admin) sealAll(owner string, vars []EnvVar, values map[string]string) ([]EnvVar, error) {
	return a.sealScoped(owner, "", vars, values)
}

// sealScope is what a sealed value of owner (a project or deployment id)
// in env scope is bound to: a preview-scoped value does not open as the
// var of every deployment.
func sealScope(owner, scope string) string {
	if scope == "" {
		return owner
	}
	return owner + "#" + scope
}

// sealScoped seals values into vars (a copy) in env scope, replacing the
// vars of the same name and scope.
func (a *Admin) sealScoped(owner, scope string, vars []EnvVar, values map[string]string) ([]EnvVar, error) {
	out := make([]EnvVar, 0, len(vars)+len(values))
	for _, v := range vars {
		if _, replaced := values[v.Name]; !replaced || v.Scope != scope {
			out = append(out, v)
		}
	}
	if len(values) == 0 {
		return out, nil
	}
	if a.keyring == nil {
		return nil, errNoKeys
	}
	now := a.clock()
	for _, name := range sortedKeys(values) {
		if err := ValidateEnvVarName(name); err != nil {
			return nil, err
		}
		if err := validateEnvVarValue(name, values[name]); err != nil {
			return nil, err
		}
		sealed, err := a.keyring.Seal(sealScope(owner, scope), name, values[name], now)
		if err != nil {
			return nil, err
		}
		sealed.Scope = scope
		out = append(out, sealed)
	}
	if len(out) > MaxEnvVars {
		return nil, invalid("envVars", "at most %d env vars are allowed, got %d", MaxEnvVars, len(out))
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// envInfos describes the vars of env scope.
func envInfos(vars []EnvVar, scope string) []EnvVarInfo {
	out := make([]EnvVarInfo, 0, len(vars))
	for _, v := range vars {
		if v.Scope == scope {
			out = append(out, EnvVarInfo{Name: v.Name, Scope: v.Scope, KeyID: v.KeyID, UpdatedAt: v.UpdatedAt})
		}
	}
	return out
}

// removeVar removes the var name of env scope.
func removeVar(vars []EnvVar, scope, name string) ([]EnvVar, error) {
	for i, v := range vars {
		if v.Name == name && v.Scope == scope {
			return append(vars[:i:i], vars[i+1:]...), nil
		}
	}
	return nil, fmt.Errorf("env var %s: %w", name, ErrNotFound)
}

// SetEnvVars sets (adds or replaces) project env vars, of every
// deployment. Values are sealed before they reach Storage and are never
// returned.
func (a *Admin) SetEnvVars(ctx context.Context, projectID string, values map[string]string) ([]EnvVarInfo, error) {
	return a.setProjectEnv(ctx, projectID, "", values)
}

// ListEnvVars lists a project's env var names and metadata, never values:
// those of every deployment (ListPreviewEnvVars: the previews' own).
func (a *Admin) ListEnvVars(ctx context.Context, projectID string) ([]EnvVarInfo, error) {
	return a.listProjectEnv(ctx, projectID, "")
}

// DeleteEnvVar removes a project env var of every deployment.
func (a *Admin) DeleteEnvVar(ctx context.Context, projectID, name string) error {
	return a.deleteProjectEnv(ctx, projectID, "", name)
}

// setProjectEnv sets project env vars of env scope.
func (a *Admin) setProjectEnv(ctx context.Context, projectID, scope string, values map[string]string) (vars []EnvVarInfo, err error) {
	o := a.begin("env.set", "project", projectID, "")
	o.ev.Metadata["names"] = joinNames(values)
	if scope != "" {
		o.ev.Metadata["scope"] = scope
	}
	defer func() { o.end(ctx, err) }()
	var p *Project
	err = retryConflict(ctx, func() error {
		if p, err = a.projectFor(ctx, projectID, PermEnvWrite); err != nil {
			return err
		}
		o.ev.TeamID = p.TeamID
		if p.EnvVars, err = a.sealScoped(p.ID, scope, p.EnvVars, values); err != nil {
			return err
		}
		p.UpdatedAt = a.clock()
		return a.store.UpdateProject(ctx, p)
	})
	if err != nil {
		return nil, err
	}
	return envInfos(p.EnvVars, scope), nil
}

// listProjectEnv lists the project env vars of env scope.
func (a *Admin) listProjectEnv(ctx context.Context, projectID, scope string) ([]EnvVarInfo, error) {
	p, err := a.projectFor(ctx, projectID, PermProjectRead)
	if err != nil {
		return nil, err
	}
	return envInfos(p.EnvVars, scope), nil
}

// deleteProjectEnv removes a project env var of env scope.
func (a *Admin) deleteProjectEnv(ctx context.Context, projectID, scope, name string) (err error) {
	o := a.begin("env.delete", "project", projectID, "")
	o.ev.Metadata["names"] = name
	if scope != "" {
		o.ev.Metadata["scope"] = scope
	}
	defer func() { o.end(ctx, err) }()
	return retryConflict(ctx, func() error {
		p, err := a.projectFor(ctx, projectID, PermEnvWrite)
		if err != nil {
			return err
		}
		o.ev.TeamID = p.TeamID
		if p.EnvVars, err = removeVar(p.EnvVars, scope, name); err != nil {
			return err
		}
		p.UpdatedAt = a.clock()
		return a.store.UpdateProject(ctx, p)
	})
}

// joinNames lists env var names for audit metadata (never values).
func joinNames(values map[string]string) string { return strings.Join(sortedKeys(values), ",") }
