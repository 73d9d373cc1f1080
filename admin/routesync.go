package admin

import (
	"context"
	"errors"
	"net"
	"strconv"
	"time"
)

// routeSyncEvery is how often each admin brings its Router in line with
// Storage.
const routeSyncEvery = 500 * time.Millisecond

// routeSyncWorker keeps this admin's Router in line with Storage, so that
// with several admin servers on one Storage every one routes every
// deployment, wherever it was deployed: a deployment with a running server
// is routed to its newest one, a deployment whose route this Router holds
// but that has no running server any more gets a route without a target
// (503), and the route of a deployment that no longer exists is removed.
//
// A change is applied only when two rounds in a row (half a second apart)
// call for it, so a change always reaches every admin within about a
// second, and a round that read Storage just before this admin switched a
// route itself (a deploy in flight here) never switches it back: the next
// round reads the switch and finds nothing to do.
func (a *Admin) routeSyncWorker(ctx context.Context) {
	t := time.NewTicker(routeSyncEvery)
	defer t.Stop()
	pending := map[string]*Route{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			next, err := a.syncRoutes(ctx, pending)
			if err != nil {
				if ctx.Err() == nil {
					a.logger.WarnContext(ctx, "sync routes with storage", "err", err)
				}
				continue
			}
			pending = next
		}
	}
}

// syncRoutes computes the routes Storage calls for, applies those that the
// previous round (pending) called for too, and returns the changes it saw
// for the first time. A nil *Route stands for a removal.
func (a *Admin) syncRoutes(ctx context.Context, pending map[string]*Route) (map[string]*Route, error) {
	current, err := a.router.Routes(ctx)
	if err != nil {
		return nil, err
	}
	servers, err := a.store.ListServers(ctx, ServerFilter{Statuses: []ServerStatus{ServerRunning}}, Page{})
	if err != nil {
		return nil, err
	}
	deployments, err := a.store.ListDeployments(ctx, "", Page{})
	if err != nil {
		return nil, err
	}
	projects, err := a.store.ListProjects(ctx, ProjectFilter{}, Page{})
	if err != nil {
		return nil, err
	}
	projectsByID := map[string]*Project{}
	for _, p := range projects {
		projectsByID[p.ID] = p
	}
	deps := map[string]*Deployment{}
	for _, d := range deployments {
		deps[d.ID] = d
	}
	newest := map[string]*RunningServer{}
	for _, s := range servers {
		if n := newest[s.DeploymentID]; n == nil || s.StartedAt.After(n.StartedAt) {
			newest[s.DeploymentID] = s
		}
	}
	want := map[string]*Route{}
	for id, s := range newest {
		d, p := deps[id], (*Project)(nil)
		if d != nil {
			p = projectsByID[d.ProjectID]
		}
		if p == nil {
			continue // deleted meanwhile
		}
		r := a.route(p, d, net.JoinHostPort(s.Host, strconv.Itoa(s.Port)))
		want[id] = &r
	}
	have := map[string]Route{}
	for _, r := range current {
		have[r.DeploymentID] = r
		if _, ok := want[r.DeploymentID]; ok {
			continue
		}
		d := deps[r.DeploymentID]
		if d == nil || projectsByID[d.ProjectID] == nil {
			want[r.DeploymentID] = nil // the deployment is gone
			continue
		}
		idle := a.route(projectsByID[d.ProjectID], d, "")
		want[r.DeploymentID] = &idle
	}
	next := map[string]*Route{}
	var errs []error
	for id, w := range want {
		h, routed := have[id]
		if w == nil && !routed || w != nil && routed && h == *w {
			continue // in line
		}
		if p, ok := pending[id]; !ok || !sameRoute(p, w) {
			next[id] = w // first seen: applied if the next round agrees
			continue
		}
		var err error
		if w == nil {
			err = a.router.RemoveRoute(ctx, id)
			if errors.Is(err, ErrNotFound) {
				err = nil
			}
		} else {
			err = a.router.SetRoute(ctx, *w)
		}
		if err != nil {
			errs = append(errs, err)
		} else {
			a.logger.DebugContext(ctx, "route synced with storage", "deployment", id, "removed", w == nil)
		}
	}
	return next, errors.Join(errs...)
}

func sameRoute(a, b *Route) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}
