package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// recoverBuilds fails the builds this instance had in flight when it died
// (and settles those that had ended but were not completed yet). Their
// processes are ended afterwards, by reapBuildDirs, once recoverServers has
// re-attached the servers that were handed over.
func (a *Admin) recoverBuilds(ctx context.Context) error {
	active, err := a.store.ListBuilds(ctx, BuildFilter{InFlight: true}, Page{})
	if err != nil {
		return err
	}
	for _, b := range active {
		if !strings.HasPrefix(b.ClaimedBy, a.instanceID+"/") {
			continue // another admin server's build
		}
		logf := a.logTo(ctx, b.ID)
		logf("admin", "", "the admin restarted during this build; it is marked failed (redeploy to build again)")
		a.finishBuild(ctx, b, errors.New("the admin restarted during the build"), logf)
		a.logger.InfoContext(ctx, "failed interrupted build", "build", b.ID)
	}
	return nil
}

// recoverServers re-attaches live servers and restores their routes; a
// server found dead is marked crashed, and the maintenance worker restarts
// it by the restart policy.
func (a *Admin) recoverServers(ctx context.Context) error {
	servers, err := a.store.ListServers(ctx, ServerFilter{Statuses: []ServerStatus{ServerStarting, ServerRunning, ServerStopping}}, Page{})
	if err != nil {
		return err
	}
	for _, s := range servers {
		d, err := a.store.GetDeployment(ctx, s.DeploymentID)
		if err != nil {
			return err
		}
		alive, err := a.runner.Reattach(ctx, s)
		if err != nil {
			return fmt.Errorf("reattach server %s: %w", s.ID, err)
		}
		current := s.BuildID == d.CurrentBuildID && s.Status != ServerStopping
		switch {
		case alive && current:
			if err := a.restoreRoute(ctx, d, s); err != nil {
				return err
			}
			a.logger.InfoContext(ctx, "re-attached server", "server", s.ID, "pid", s.PID)
		case alive:
			// The admin died between starting a replacement and stopping
			// this one: finish the switch.
			if err := a.runner.Stop(ctx, s); err != nil {
				return fmt.Errorf("stop superseded server %s: %w", s.ID, err)
			}
			if err := a.setServerStatus(ctx, s, ServerStopped); err != nil {
				return err
			}
		default:
			if err := a.markCrashed(ctx, s, "found dead when the admin started"); err != nil && !errors.Is(err, errServerMoved) {
				return err
			}
		}
	}
	return nil
}

// reapBuildDirs asks a BuildReaper runner to end what a dead admin process
// left running from each build directory: the commands of builds it was
// running, and servers it started but never recorded (it died while they
// started, or between their start and their record, in a deploy, a
// rollback or a restart). It runs after recoverServers, so that every
// server on record is the runner's by then and stays.
func (a *Admin) reapBuildDirs(ctx context.Context) {
	r, ok := a.runner.(BuildReaper)
	if !ok {
		return
	}
	entries, err := os.ReadDir(a.buildRoot)
	if err != nil {
		a.logger.ErrorContext(ctx, "list build directories to reap", "err", err)
		return
	}
	for _, e := range entries {
		if !e.IsDir() || CheckBuildID(e.Name()) != nil {
			continue
		}
		if err := r.ReapBuild(ctx, filepath.Join(a.buildRoot, e.Name())); err != nil {
			a.logger.ErrorContext(ctx, "reap build directory", "dir", e.Name(), "err", err)
		}
	}
}

func (a *Admin) restoreRoute(ctx context.Context, d *Deployment, s *RunningServer) error {
	p, err := a.store.GetProject(ctx, d.ProjectID)
	if err != nil {
		return err
	}
	return a.router.SetRoute(ctx, a.route(p, d, net.JoinHostPort(s.Host, strconv.Itoa(s.Port))))
}

// audit records a system event about a server, with more metadata as
// key, value pairs.
func (a *Admin) audit(ctx context.Context, action string, s *RunningServer, detail string, meta ...string) {
	o := a.begin(action, "server", s.ID, "")
	o.ev.Metadata["deployment"], o.ev.Metadata["build"], o.ev.Metadata["detail"] = s.DeploymentID, s.BuildID, detail
	for i := 0; i+1 < len(meta); i += 2 {
		o.ev.Metadata[meta[i]] = meta[i+1]
	}
	o.end(ctx, nil)
}

// maintenanceWorker handles the crashes the Runner reports as they come
// and, at Start and then each health interval, checks running servers,
// restarts crashed ones, and sweeps. It starts the route sync
// (routeSyncWorker) beside it.
func (a *Admin) maintenanceWorker(ctx context.Context) {
	a.orch.wg.Go(func() { a.routeSyncWorker(ctx) })
	round := func() {
		a.checkServers(ctx)
		a.sweep(ctx)
	}
	round()
	t := time.NewTicker(a.healthInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ex := <-a.orch.exits:
			a.serverExited(ctx, ex)
		case <-t.C:
			round()
		}
	}
}

// notifyExit is the Admin's ExitNotifier callback: it hands the crash to
// the maintenance worker without blocking the Runner. Should the worker be
// that far behind, the health checks find the server dead instead.
func (a *Admin) notifyExit(ex ServerExit) {
	select {
	case a.orch.exits <- ex:
	default:
		a.logger.Warn("too many server exits queued; the health checks will find this one", "pid", ex.Server.PID)
	}
}

// serverExited marks the server a Runner reported dead crashed and applies
// the restart policy.
func (a *Admin) serverExited(ctx context.Context, ex ServerExit) {
	live, err := a.store.ListServers(ctx, ServerFilter{DeploymentID: ex.Server.DeploymentID,
		Statuses: []ServerStatus{ServerStarting, ServerRunning}}, Page{})
	if err != nil {
		a.logger.ErrorContext(ctx, "list servers", "err", err)
		return
	}
	how := fmt.Sprintf("exited with status %d", ex.ExitCode)
	switch {
	case ex.Signal != "":
		how = "was killed by a signal (" + ex.Signal + ")"
	case ex.ExitCode < 0:
		how = "exited"
	}
	for _, s := range live {
		if s.PID == ex.Server.PID && s.Handle == ex.Server.Handle {
			a.crashed(ctx, s, "the server "+how)
			return
		}
	}
}

// unhealthyAfter is how many failed checks in a row make a server crashed.
const unhealthyAfter = 3

func (a *Admin) checkServers(ctx context.Context) {
	servers, err := a.store.ListServers(ctx, ServerFilter{Statuses: []ServerStatus{ServerStarting, ServerRunning, ServerCrashed}}, Page{})
	if err != nil {
		a.logger.ErrorContext(ctx, "list servers", "err", err)
		return
	}
	for _, s := range servers {
		if ctx.Err() != nil {
			return
		}
		switch {
		case s.Status == ServerCrashed:
			a.maybeRestart(ctx, s)
			continue
		case a.staleClaim(s):
			if err := a.runner.Stop(ctx, s); err != nil { // nothing of it may linger
				a.logger.ErrorContext(ctx, "stop a server whose restart was abandoned", "server", s.ID, "err", err)
			}
			a.crashed(ctx, s, fmt.Sprintf("its restart, claimed %s ago, never finished (the admin that claimed it died)",
				a.clock().Sub(s.UpdatedAt).Round(time.Second)))
			continue
		case s.Status == ServerStarting:
			continue // being restarted by an admin
		}
		h, err := a.runner.Health(ctx, s)
		a.orch.mu.Lock()
		if h == HealthHealthy && err == nil {
			delete(a.orch.failures, s.ID)
		} else {
			a.orch.failures[s.ID]++
		}
		failed := a.orch.failures[s.ID]
		a.orch.mu.Unlock()
		if failed == 0 {
			a.recordHealth(ctx, s)
			continue
		}
		if failed < unhealthyAfter {
			continue
		}
		// Make sure nothing of it lingers, then mark it crashed.
		if err := a.runner.Stop(ctx, s); err != nil {
			a.logger.ErrorContext(ctx, "stop unhealthy server", "server", s.ID, "err", err)
		}
		a.crashed(ctx, s, fmt.Sprintf("%d failed health checks in a row", unhealthyAfter))
	}
}

func (a *Admin) recordHealth(ctx context.Context, s *RunningServer) {
	now := a.clock()
	s.Health, s.LastHealthAt, s.UpdatedAt = HealthHealthy, &now, now
	if err := a.store.UpdateServer(ctx, s); err != nil && !errors.Is(err, ErrConflict) {
		a.logger.WarnContext(ctx, "record health", "server", s.ID, "err", err)
	}
}
