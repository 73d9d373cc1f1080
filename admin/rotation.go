package admin

import (
	"context"
	"fmt"
)

// ResealEnvVars re-seals, under the active key, every env var and override
// sealed with an older key, and returns how many values it re-sealed. Run it
// after making a new key active; once it returns, the old key may be removed
// from the configuration. Only platform admins may.
func (a *Admin) ResealEnvVars(ctx context.Context) (n int, err error) {
	o := a.begin("env.reseal", "platform", "", "")
	defer func() {
		o.ev.Metadata["resealed"] = fmt.Sprint(n)
		o.end(ctx, err)
	}()
	if _, err := a.requirePlatformAdmin(ctx); err != nil {
		return 0, err
	}
	if a.keyring == nil {
		return 0, errNoKeys
	}
	after := ""
	for {
		projects, err := a.store.ListProjects(ctx, ProjectFilter{}, Page{Limit: 100, After: after})
		if err != nil {
			return n, err
		}
		for _, p := range projects {
			m, err := a.resealProject(ctx, p.ID)
			n += m
			if err != nil {
				return n, err
			}
		}
		if len(projects) < 100 {
			return n, nil
		}
		after = projects[len(projects)-1].ID
	}
}

// reseal returns vars of owner with every value not sealed under the
// active key opened and sealed again, and how many it changed.
func (a *Admin) reseal(owner string, vars []EnvVar) ([]EnvVar, int, error) {
	n := 0
	out := make([]EnvVar, len(vars))
	for i, v := range vars {
		out[i] = v
		if !a.keyring.NeedsReseal(v) {
			continue
		}
		plain, err := a.keyring.Open(sealScope(owner, v.Scope), v)
		if err != nil {
			return nil, 0, err
		}
		if out[i], err = a.keyring.Seal(sealScope(owner, v.Scope), v.Name, plain, v.UpdatedAt); err != nil {
			return nil, 0, err
		}
		out[i].Scope = v.Scope
		n++
	}
	return out, n, nil
}

func (a *Admin) resealProject(ctx context.Context, projectID string) (int, error) {
	total := 0
	err := retryConflict(ctx, func() error {
		p, err := a.store.GetProject(ctx, projectID)
		if err != nil {
			return err
		}
		vars, n, err := a.reseal(p.ID, p.EnvVars)
		if err != nil || n == 0 {
			return err
		}
		p.EnvVars = vars
		if err := a.store.UpdateProject(ctx, p); err != nil {
			return err
		}
		total += n
		return nil
	})
	if err != nil {
		return total, err
	}
	deps, err := a.store.ListDeployments(ctx, projectID, Page{})
	if err != nil {
		return total, err
	}
	for _, d := range deps {
		err := retryConflict(ctx, func() error {
			d, err := a.store.GetDeployment(ctx, d.ID)
			if err != nil {
				return err
			}
			vars, n, err := a.reseal(d.ID, d.EnvVarOverrides)
			if err != nil || n == 0 {
				return err
			}
			d.EnvVarOverrides = vars
			if err := a.store.UpdateDeployment(ctx, d); err != nil {
				return err
			}
			total += n
			return nil
		})
		if err != nil {
			return total, err
		}
	}
	return total, nil
}
