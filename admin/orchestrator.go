package admin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// The build orchestrator. Builds are queued in Storage (Deploy) and claimed
// by workers (Storage.ClaimBuild is atomic across processes), so the queue
// survives restarts and several admin servers can share it. A claimed build
// runs: copy the source → Runner.Build → Runner.Start (healthy) → switch
// the route → stop the previous server. A failure at any step leaves the
// previous server serving.
//
// Recovery (Start): queued builds simply wait for the workers. Builds this
// instance had claimed when it died are marked failed ("the admin restarted
// during the build"), not retried: their half-run steps (a partial install,
// a server that may have started) are not safe to resume, and a retry would
// surprise the user who asked for one build; they redeploy when they want.
// Servers recorded as running are re-attached when their process is still
// the same one; the routes of live servers are restored; dead ones are
// restarted from their build's artifact by the restart policy.
//
// Leases: the worker running a build renews its lease (the build's
// UpdatedAt) while it runs. A build whose lease is older than buildLease
// belongs to an admin that died and may never start again: the first
// admin whose maintenance worker sees it takes it over and fails it, so its
// deployment is not blocked for good. A build stays in flight, keeping its
// deployment's next build waiting, until its worker set CompletedAt.
//
// Crashes: a Runner that is an ExitNotifier reports a server's exit at
// once; the maintenance worker also checks every running server each
// health interval and counts one that fails unhealthyAfter checks in a row
// (a server that hangs) as crashed. Either way the server is marked
// crashed, audited (server.crash), and restarted by the RestartPolicy.
//
// Outages of the services: a build rides out a Storage outage shorter than
// half its lease (outage.go); build log lines the log cache refuses wait in
// the admin and go in order once it is back (logretry.go); a log whose
// flush failed stays in the cache and is flushed again by the maintenance
// worker before anything clears it (sweep.go). TestOutage* cover each.

// orchestrator is the Admin's background machinery.
type orchestrator struct {
	wake     chan struct{}
	stop     context.CancelFunc
	wg       sync.WaitGroup
	mu       sync.Mutex
	inflight map[string]context.CancelCauseFunc // build id → cancel
	failures map[string]int                     // server id → consecutive failed health checks
	loops    map[string]*crashLoop              // deployment id → its crash loop
	exits    chan ServerExit                    // crashes an ExitNotifier reported
	unflush  map[string]bool                    // ended builds whose log flush failed (retryFlushes)
	pending  map[string]*pendingLog             // build id → lines the log cache refused (logretry.go)

	// Used by the maintenance worker only.
	logsClearedTo  time.Time // logs of builds completed until then are cleared
	nextBuildSweep time.Time // when sweepBuildDirs looks through the build directory again
}

var errCancelled = errors.New("build cancelled")

// Start recovers state and starts the build workers, the maintenance
// worker, the preview worker (previewWorker: queued preview teardowns,
// the reconciler and TTL, reports to pull requests) and, when configured,
// the ingestion worker (see
// WithTelemetryDecoder). It returns once recovery is done; the workers
// run until Close.
func (a *Admin) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	if a.started {
		return fmt.Errorf("admin: already started: %w", ErrConflict)
	}
	if err := a.requireDeployProviders(); err != nil {
		return fmt.Errorf("admin: start: %w", err)
	}
	if err := os.MkdirAll(a.buildRoot, 0o755); err != nil {
		return fmt.Errorf("admin: build dir: %w", err)
	}
	a.orch = orchestrator{wake: make(chan struct{}, a.workers), inflight: map[string]context.CancelCauseFunc{},
		failures: map[string]int{}, loops: map[string]*crashLoop{}, exits: make(chan ServerExit, 64),
		unflush: map[string]bool{}}
	if n, ok := a.runner.(ExitNotifier); ok {
		// Before recovery, which reattaches servers: their exits wait in
		// the channel for the maintenance worker.
		n.NotifyExits(a.notifyExit)
	}
	sys := WithPrincipal(ctx, SystemPrincipal())
	if err := a.recoverBuilds(sys); err != nil {
		return fmt.Errorf("admin: recover builds: %w", err)
	}
	if err := a.recoverServers(sys); err != nil {
		return fmt.Errorf("admin: recover servers: %w", err)
	}
	a.reapBuildDirs(sys)
	wctx, cancel := context.WithCancel(WithPrincipal(context.WithoutCancel(ctx), SystemPrincipal()))
	a.orch.stop = cancel
	for i := range a.workers {
		a.orch.wg.Go(func() { a.buildWorker(wctx, a.instanceID+"/"+strconv.Itoa(i)) })
	}
	a.orch.wg.Go(func() { a.maintenanceWorker(wctx) })
	a.orch.wg.Go(func() { a.previewWorker(wctx) })
	a.startIngest(wctx)
	a.started = true
	return nil
}

// stopWorkers ends the workers and waits for them; builds in flight are
// cancelled and marked failed. Servers keep running.
func (a *Admin) stopWorkers() {
	if a.orch.stop == nil {
		return
	}
	a.orch.mu.Lock()
	for _, cancel := range a.orch.inflight {
		cancel(errors.New("the admin is shutting down"))
	}
	a.orch.mu.Unlock()
	a.orch.stop()
	a.orch.wg.Wait()
}

func (a *Admin) wakeWorkers() {
	select {
	case a.orch.wake <- struct{}{}:
	default:
	}
}

func (a *Admin) cancelInflight(buildID string) {
	a.orch.mu.Lock()
	defer a.orch.mu.Unlock()
	if cancel, ok := a.orch.inflight[buildID]; ok {
		cancel(errCancelled)
	}
}

func (a *Admin) buildWorker(ctx context.Context, workerID string) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		b, err := a.store.ClaimBuild(ctx, workerID, a.clock())
		switch {
		case err == nil:
			a.runBuild(ctx, b)
			continue
		case ctx.Err() != nil:
			return
		case !errors.Is(err, ErrNotFound):
			a.logger.ErrorContext(ctx, "claim build", "worker", workerID, "err", err)
		}
		timer.Reset(a.pollInterval)
		select {
		case <-ctx.Done():
			return
		case <-a.orch.wake:
		case <-timer.C:
		}
	}
}

// logTo returns the LogFunc that appends a build's lines to the log cache.
func (a *Admin) logTo(ctx context.Context, buildID string) LogFunc {
	return func(phase, stream, text string) {
		a.appendLog(ctx, buildID, LogLine{Time: a.clock(), Phase: phase, Stream: stream, Text: text})
	}
}

// runBuild runs one claimed build to its end and records the outcome.
func (a *Admin) runBuild(ctx context.Context, b *Build) {
	ctx = rideOut(ctx) // a short Storage outage does not fail the build (outage.go)
	bctx, cancel := context.WithCancelCause(ctx)
	bctx, cancelTimeout := context.WithTimeoutCause(bctx, a.buildTimeout,
		fmt.Errorf("the build timed out after %v", a.buildTimeout))
	defer cancelTimeout()
	a.orch.mu.Lock()
	a.orch.inflight[b.ID] = cancel
	a.orch.mu.Unlock()
	var watcher sync.WaitGroup
	defer func() {
		a.orch.mu.Lock()
		delete(a.orch.inflight, b.ID)
		a.orch.mu.Unlock()
		cancel(nil)
		watcher.Wait()
	}()
	// Copied now: the run rewrites *b as the build moves on.
	id, claimedBy := b.ID, b.ClaimedBy
	watcher.Go(func() { a.watchBuild(bctx, id, claimedBy, cancel) })

	logf := a.logTo(context.WithoutCancel(ctx), b.ID)
	logf("admin", "", fmt.Sprintf("build %s claimed by %s", b.ID, b.ClaimedBy))
	err := a.execute(bctx, b, logf)
	if err != nil && bctx.Err() != nil {
		err = context.Cause(bctx)
	}
	a.finishBuild(context.WithoutCancel(ctx), b, err, logf)
}

// errLeaseLost stops a lease renewal: the build was completed or taken
// over meanwhile.
var errLeaseLost = errors.New("build lease lost")

// watchBuild holds the lease of a build that worker claimedBy runs, until
// ctx ends: it renews the lease (the build's UpdatedAt) once a quarter of
// it has passed, and cancels the run when the build was cancelled through
// Storage (perhaps by another admin server) or taken over by an admin that
// found its lease expired (expireLeases).
func (a *Admin) watchBuild(ctx context.Context, buildID, claimedBy string, cancel context.CancelCauseFunc) {
	t := time.NewTicker(min(a.pollInterval, a.buildLease/4))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := a.store.GetBuild(ctx, buildID)
		switch {
		case err != nil:
			continue
		case b.ClaimedBy != claimedBy:
			cancel(fmt.Errorf("the build was taken over by %s: %s", b.ClaimedBy, b.Error))
			return
		case b.Status == BuildCancelled:
			cancel(errCancelled)
			return
		case a.clock().Sub(b.UpdatedAt) < a.buildLease/4:
			continue
		}
		err = a.updateBuild(ctx, b, func(b *Build) error {
			if b.ClaimedBy != claimedBy || b.CompletedAt != nil {
				return errLeaseLost
			}
			return nil // updateBuild sets UpdatedAt
		})
		if err != nil && !errors.Is(err, errLeaseLost) && ctx.Err() == nil {
			a.logger.WarnContext(ctx, "renew build lease", "build", buildID, "err", err)
		}
	}
}

// execute does the work of a build; it returns nil once the new server
// serves the deployment's route.
func (a *Admin) execute(ctx context.Context, b *Build, logf LogFunc) error {
	var d *Deployment
	var p *Project
	err := a.storeCall(ctx, func() (err error) { d, err = a.store.GetDeployment(ctx, b.DeploymentID); return err })
	if err != nil {
		return err
	}
	if err := a.storeCall(ctx, func() (err error) { p, err = a.store.GetProject(ctx, d.ProjectID); return err }); err != nil {
		return err
	}
	if err := a.setDeploymentStatus(ctx, d.ID, DeploymentBuilding, nil); err != nil {
		return err
	}
	env, err := a.runtimeEnv(p, d)
	if err != nil {
		return err
	}
	if env, err = a.forkSafeEnv(ctx, d, env, logf); err != nil {
		return err
	}
	dir := a.buildDir(b.ID)
	var art *Artifact
	switch {
	case b.Trigger == TriggerPromote && b.SourceBuildID != "":
		if art, err = a.promoteArtifact(b, dir, logf); err != nil {
			return err
		}
	case b.SourceBuildID != "":
		art = &Artifact{Dir: filepath.Join(a.buildDir(b.SourceBuildID), "src"), Entry: DefaultArtifactEntry}
		logf("admin", "", "rolling back to the artifact of build "+b.SourceBuildID)
	default:
		src, err := a.sourceOf(p.SourceType)
		if err != nil {
			return err
		}
		logf("copy", "", "copying the project source")
		srcDir, err := a.copySource(ctx, src, p, b, filepath.Join(dir, "src"), logf)
		if err != nil {
			return fmt.Errorf("copy source: %w", err)
		}
		spec := BuildSpec{Build: b, Project: p, Deployment: d, Dir: dir, SourceDir: srcDir, Env: env}
		if art, err = a.runner.Build(ctx, spec, logf); err != nil {
			return err
		}
	}
	err = a.updateBuild(ctx, b, func(b *Build) error {
		if b.Status == BuildCancelled { // by CancelBuild, perhaps in another admin
			return errCancelled
		}
		b.Status = BuildDeploying
		return nil
	})
	if err != nil {
		return err
	}
	logf("start", "", "starting the server")
	srv, err := a.runner.Start(ctx, StartSpec{Build: b, Deployment: d, Artifact: *art, Env: env}, logf)
	if err != nil {
		return err
	}
	return a.promote(ctx, p, d, b, srv, logf, true)
}

// promote records a healthy new server, switches the route to it, and stops
// the deployment's previous servers. With commit, b is a deploying build:
// it is marked succeeded once the route points at the new server, and from
// then on it can no longer be cancelled. A build cancelled before that
// (perhaps through another admin) never serves: the route goes back to the
// previous server, the new one is stopped, and promote returns errCancelled.
func (a *Admin) promote(ctx context.Context, p *Project, d *Deployment, b *Build, srv *RunningServer, logf LogFunc, commit bool) error {
	ctx = context.WithoutCancel(ctx) // a healthy server is switched to unless the build was cancelled
	var prev []*RunningServer
	err := a.storeCall(ctx, func() (err error) {
		prev, err = a.store.ListServers(ctx, ServerFilter{DeploymentID: d.ID, Statuses: []ServerStatus{ServerRunning}}, Page{Desc: true, Limit: 1})
		return err
	})
	if err != nil {
		a.stopQuietly(ctx, srv)
		return err
	}
	now := a.clock()
	srv.ID, srv.DeploymentID, srv.BuildID = NewID(prefixServer, now), d.ID, b.ID
	srv.Status, srv.Health, srv.StartedAt, srv.UpdatedAt, srv.Version = ServerRunning, HealthHealthy, now, now, 1
	if err := a.storeCall(ctx, func() error { return a.store.CreateServer(ctx, srv) }); err != nil {
		a.stopQuietly(ctx, srv)
		return err
	}
	target := net.JoinHostPort(srv.Host, strconv.Itoa(srv.Port))
	if err := a.router.SetRoute(ctx, a.route(p, d, target)); err != nil {
		a.retire(ctx, srv)
		return fmt.Errorf("switch route: %w", err)
	}
	if commit {
		err := a.updateBuild(ctx, b, func(b *Build) error {
			switch b.Status {
			case BuildDeploying:
				b.Status = BuildSucceeded
				return nil
			case BuildCancelled:
				return errCancelled
			}
			return fmt.Errorf("the build was marked %s meanwhile: %s", b.Status, b.Error)
		})
		if err != nil {
			back := ""
			if len(prev) > 0 {
				back = net.JoinHostPort(prev[0].Host, strconv.Itoa(prev[0].Port))
			}
			if rerr := a.router.SetRoute(ctx, a.route(p, d, back)); rerr != nil {
				err = errors.Join(err, fmt.Errorf("switch the route back: %w", rerr))
			}
			a.retire(ctx, srv)
			return err
		}
	}
	logf("admin", "", "serving at "+a.router.PublicURL(a.route(p, d, target)))
	if err := a.stopServers(ctx, d.ID, srv.ID); err != nil {
		logf("admin", "", "stopping the previous server: "+err.Error())
	}
	return a.setDeploymentStatus(ctx, d.ID, DeploymentRunning, func(d *Deployment) { d.CurrentBuildID = b.ID })
}

// pruneArtifacts removes the build directories of a deployment's successful
// builds beyond the newest keepArtifacts, except those a live server runs
// from (a rollback build runs from its source build's directory).
func (a *Admin) pruneArtifacts(ctx context.Context, deploymentID string) {
	builds, err := a.store.ListBuilds(ctx, BuildFilter{DeploymentID: deploymentID, Statuses: []BuildStatus{BuildSucceeded}}, Page{Desc: true})
	if err != nil {
		a.logger.WarnContext(ctx, "list builds to prune", "deployment", deploymentID, "err", err)
		return
	}
	live, err := a.store.ListServers(ctx, ServerFilter{DeploymentID: deploymentID,
		Statuses: []ServerStatus{ServerStarting, ServerRunning, ServerStopping, ServerCrashed}}, Page{})
	if err != nil {
		a.logger.WarnContext(ctx, "list servers to prune", "deployment", deploymentID, "err", err)
		return
	}
	inUse := map[string]bool{}
	for _, s := range live {
		inUse[s.BuildID] = true
	}
	kept := 0
	for _, b := range builds {
		if id := b.ArtifactBuildID(); id != b.ID {
			inUse[id] = inUse[id] || inUse[b.ID]
			continue // a rollback has no directory of its own
		}
		if kept < a.keepArtifacts || inUse[b.ID] {
			kept++
			continue
		}
		a.removeBuildDir(ctx, b.ID)
	}
}

// finishBuild records a build's outcome, settles the deployment, flushes
// the log and, last, sets CompletedAt: a build with CompletedAt set is
// wholly settled. The status is final before the log ends, so a follower
// who sees the end reads it.
func (a *Admin) finishBuild(ctx context.Context, b *Build, runErr error, logf LogFunc) {
	status, msg := BuildSucceeded, ""
	switch {
	case errors.Is(runErr, errCancelled):
		status, msg = BuildCancelled, runErr.Error()
	case runErr != nil:
		status, msg = BuildFailed, runErr.Error()
	}
	err := a.updateBuild(ctx, b, func(b *Build) error {
		if !b.Status.Terminal() { // CancelBuild, or promote, may have ended it already
			b.Status, b.Error = status, msg
		}
		return nil
	})
	if err != nil {
		a.logger.ErrorContext(ctx, "record build outcome", "build", b.ID, "err", err)
	}
	switch {
	case runErr == nil:
		logf("admin", "", "build succeeded")
	case b.Status == BuildSucceeded: // its server serves: what failed after the switch does not undo it
		logf("admin", "", "build succeeded, then: "+msg)
	default:
		logf("admin", "", "build "+string(status)+": "+msg)
	}
	if b.Status == BuildSucceeded {
		a.pruneArtifacts(ctx, b.DeploymentID)
	} else {
		a.settleAfterFailure(ctx, b.DeploymentID) // its directory stays for inspection (sweepBuildDirs)
	}
	logPath, err := "", a.drainLog(ctx, b.ID) // lines held while the log cache was down, before the end mark
	if err == nil {
		if err := a.logs.Finish(ctx, b.ID); err != nil {
			a.logger.WarnContext(ctx, "finish build log", "build", b.ID, "err", err)
		}
		logPath, err = a.logs.Flush(ctx, b.ID, a.files)
	}
	if err != nil {
		// The log stays in the cache; the maintenance worker flushes it
		// later (retryFlushes) and clears it only once flushed.
		a.logger.ErrorContext(ctx, "flush build log; the maintenance worker retries", "build", b.ID, "err", err)
		a.orch.mu.Lock()
		a.orch.unflush[b.ID] = true
		a.orch.mu.Unlock()
	}
	err = a.updateBuild(ctx, b, func(b *Build) error {
		now := a.clock()
		b.CompletedAt, b.LogPath = &now, logPath
		return nil
	})
	if err != nil {
		a.logger.ErrorContext(ctx, "record build end", "build", b.ID, "err", err)
	}
	a.wakePreviews() // a preview's build end is reported to its pull request
}

// settleAfterFailure leaves a deployment running when its server still
// serves, failed otherwise.
func (a *Admin) settleAfterFailure(ctx context.Context, deploymentID string) {
	live, err := a.store.ListServers(ctx, ServerFilter{DeploymentID: deploymentID, Statuses: []ServerStatus{ServerRunning}}, Page{Limit: 1})
	if err != nil {
		a.logger.ErrorContext(ctx, "list servers", "deployment", deploymentID, "err", err)
		return
	}
	status := DeploymentFailed
	if len(live) > 0 {
		status = DeploymentRunning
	}
	if err := a.setDeploymentStatus(ctx, deploymentID, status, nil); err != nil {
		a.logger.ErrorContext(ctx, "settle deployment", "deployment", deploymentID, "err", err)
	}
}

// removeBuildDir removes a build's directory, unless it still holds
// observability files the ingestion worker has not archived: a later sweep
// or prune removes it once they are.
func (a *Admin) removeBuildDir(ctx context.Context, buildID string) {
	if a.holdsTelemetry(buildID) {
		a.logger.InfoContext(ctx, "build dir kept until its observability files are ingested", "build", buildID)
		return
	}
	if err := os.RemoveAll(a.buildDir(buildID)); err != nil {
		a.logger.WarnContext(ctx, "remove build dir", "build", buildID, "err", err)
	}
}

// updateBuild applies change to the stored build (re-reading on version
// conflicts) and copies the result into b. change may refuse with an error.
func (a *Admin) updateBuild(ctx context.Context, b *Build, change func(*Build) error) error {
	return retryConflict(ctx, func() error {
		var cur *Build
		err := a.storeCall(ctx, func() (err error) { cur, err = a.store.GetBuild(ctx, b.ID); return err })
		if err != nil {
			return err
		}
		before := cur.Status
		if err := change(cur); err != nil {
			return err
		}
		if cur.Status != before && !before.CanTransition(cur.Status) {
			return transitionError("build", cur.ID, before, cur.Status)
		}
		cur.UpdatedAt = a.clock()
		if err := a.storeCall(ctx, func() error { return a.store.UpdateBuild(ctx, cur) }); err != nil {
			return err
		}
		*b = *cur
		return nil
	})
}

// setDeploymentStatus moves a deployment to status (when allowed) and
// applies extra changes.
func (a *Admin) setDeploymentStatus(ctx context.Context, id string, status DeploymentStatus, extra func(*Deployment)) error {
	return retryConflict(ctx, func() error {
		var d *Deployment
		err := a.storeCall(ctx, func() (err error) { d, err = a.store.GetDeployment(ctx, id); return err })
		if err != nil {
			return err
		}
		if d.Status != status && !d.Status.CanTransition(status) {
			return transitionError("deployment", d.ID, d.Status, status)
		}
		d.Status, d.UpdatedAt = status, a.clock()
		if extra != nil {
			extra(d)
		}
		return a.storeCall(ctx, func() error { return a.store.UpdateDeployment(ctx, d) })
	})
}

// route is the Route of a deployment to target ("" for no server).
func (a *Admin) route(p *Project, d *Deployment, target string) Route {
	return Route{DeploymentID: d.ID, ProjectSlug: p.Slug, DeploymentSlug: d.Slug,
		Production: d.Type == DeploymentProduction, Target: target}
}

// stopServers stops every live server of a deployment except keep.
func (a *Admin) stopServers(ctx context.Context, deploymentID, keep string) error {
	live, err := a.store.ListServers(ctx, ServerFilter{DeploymentID: deploymentID,
		Statuses: []ServerStatus{ServerStarting, ServerRunning, ServerCrashed}}, Page{})
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range live {
		if s.ID == keep {
			continue
		}
		// Recorded first: the admin whose runner started the server (with
		// several admin servers, perhaps another) then takes its exit for
		// a stop, not a crash to restart.
		if s.Status != ServerCrashed {
			if err := a.setServerStatus(ctx, s, ServerStopping); err != nil {
				errs = append(errs, fmt.Errorf("stop server %s: %w", s.ID, err))
				continue
			}
		}
		if err := a.runner.Stop(ctx, s); err != nil {
			errs = append(errs, fmt.Errorf("stop server %s: %w", s.ID, err))
			continue
		}
		errs = append(errs, a.setServerStatus(ctx, s, ServerStopped))
	}
	return errors.Join(errs...)
}

// stopQuietly stops a server that never went into service.
func (a *Admin) stopQuietly(ctx context.Context, s *RunningServer) {
	if err := a.runner.Stop(ctx, s); err != nil {
		a.logger.ErrorContext(ctx, "stop server", "pid", s.PID, "err", err)
	}
}

// retire stops a recorded server that is not to serve and records it
// stopped.
func (a *Admin) retire(ctx context.Context, s *RunningServer) {
	a.stopQuietly(ctx, s)
	if err := a.setServerStatus(ctx, s, ServerStopped); err != nil {
		a.logger.ErrorContext(ctx, "record server stopped", "server", s.ID, "err", err)
	}
}

func (a *Admin) setServerStatus(ctx context.Context, s *RunningServer, status ServerStatus) error {
	return a.moveServer(ctx, s, "", status)
}

// errServerMoved: a server's record is no longer in the status its caller
// saw, because another admin process acted on it first.
var errServerMoved = errors.New("the server's record was changed by another admin")

// moveServer changes s's record to status and copies the stored record
// into s. When from is not empty the change happens only while the stored
// record is still in from, else it returns errServerMoved: what a caller
// decided on a record it read earlier (a crash found by health checks) is
// not applied over what another admin did since (its restart's claim).
func (a *Admin) moveServer(ctx context.Context, s *RunningServer, from, status ServerStatus) error {
	return retryConflict(ctx, func() error {
		cur, err := a.store.GetServer(ctx, s.ID)
		if err != nil {
			return err
		}
		if from != "" && cur.Status != from {
			return fmt.Errorf("server %s is %s, not %s: %w", s.ID, cur.Status, from, errServerMoved)
		}
		if cur.Status == status {
			return nil
		}
		if !cur.Status.CanTransition(status) {
			return transitionError("server", cur.ID, cur.Status, status)
		}
		now := a.clock()
		cur.Status, cur.UpdatedAt = status, now
		if status == ServerStopped || status == ServerCrashed {
			cur.StoppedAt = &now
		}
		if err := a.store.UpdateServer(ctx, cur); err != nil {
			return err
		}
		*s = *cur
		return nil
	})
}

// runtimeEnv opens a deployment's env: the project's vars, for a preview
// the project's preview-scoped vars over them, and the deployment's
// overrides on top. Only the Runner receives it.
func (a *Admin) runtimeEnv(p *Project, d *Deployment) (map[string]string, error) {
	env := make(map[string]string, len(p.EnvVars)+len(d.EnvVarOverrides))
	for _, set := range []struct {
		owner, scope string
		vars         []EnvVar
	}{{p.ID, "", p.EnvVars}, {p.ID, EnvScopePreview, p.EnvVars}, {d.ID, "", d.EnvVarOverrides}} {
		if set.scope == EnvScopePreview && d.Type != DeploymentPreview {
			continue
		}
		for _, v := range set.vars {
			if v.Scope != set.scope {
				continue
			}
			plain, err := a.keyring.Open(sealScope(set.owner, v.Scope), v)
			if err != nil {
				return nil, err
			}
			env[v.Name] = plain
		}
	}
	return env, nil
}
