package admin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// RestartPolicy says how the Admin restarts a deployment's server that
// crashed (exited on its own, or failed its health checks), from the
// artifact of the build it ran.
//
// The first restart after a crash is immediate. When the restarted server
// crashes again before it ran for StableAfter, it is a crash loop: each
// further restart waits twice as long as the one before, starting at
// FirstDelay, up to MaxDelay. A failed start counts as a crash. Once a
// restarted server ran for StableAfter, or a new build took over, its next
// crash starts again at an immediate restart. Every crash and restart is
// audited (server.crash, server.restart) with the attempt number and the
// wait in the event's detail and metadata ("attempt", "delay").
//
// The loop is tracked in the memory of the admin process that restarts the
// server: an admin restart starts it afresh.
type RestartPolicy struct {
	// FirstDelay is the wait before the second restart of a loop.
	FirstDelay time.Duration
	// MaxDelay caps the wait between restarts.
	MaxDelay time.Duration
	// StableAfter is how long a restarted server must run for its next
	// crash to start a new loop.
	StableAfter time.Duration
}

// DefaultRestartPolicy restarts at once, then after 1 s, 2 s, 4 s … up to
// 5 minutes, and forgets a loop once a server ran for 10 minutes (the
// kubelet's CrashLoopBackOff uses the same cap and reset).
var DefaultRestartPolicy = RestartPolicy{FirstDelay: time.Second, MaxDelay: 5 * time.Minute, StableAfter: 10 * time.Minute}

// delay is the wait before restart attempt n (1 for the first).
func (p RestartPolicy) delay(n int) time.Duration {
	if n <= 1 {
		return 0
	}
	d := p.FirstDelay
	for i := 2; i < n && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// crashLoop is the restart state of a deployment whose server crashed.
type crashLoop struct {
	buildID   string        // the build whose servers crash
	attempt   int           // the restart attempt due next (1 for the first)
	delay     time.Duration // the wait before it
	next      time.Time     // when it is due
	restarted time.Time     // when a restarted server last took over
}

// loopLocked returns the crash loop of s's deployment and build at now: a
// new one when there is none, or when the server restarted last ran for
// StableAfter. a.orch.mu is held.
func (a *Admin) loopLocked(s *RunningServer, now time.Time) *crashLoop {
	l := a.orch.loops[s.DeploymentID]
	if l == nil || l.buildID != s.BuildID || !l.restarted.IsZero() && now.Sub(l.restarted) >= a.restart.StableAfter {
		l = &crashLoop{buildID: s.BuildID}
		a.orch.loops[s.DeploymentID] = l
	}
	return l
}

// scheduleRestart records a crash of s, or a failed restart of it, at now
// and returns the restart attempt due next and its wait.
func (a *Admin) scheduleRestart(s *RunningServer, now time.Time) (int, time.Duration) {
	a.orch.mu.Lock()
	defer a.orch.mu.Unlock()
	l := a.loopLocked(s, now)
	l.attempt++
	l.delay = a.restart.delay(l.attempt)
	l.next = now.Add(l.delay)
	return l.attempt, l.delay
}

// restartDue returns the restart of s due next: its attempt number, its
// wait and when it is due. A server an earlier admin process marked
// crashed gets its first attempt now.
func (a *Admin) restartDue(s *RunningServer) (int, time.Duration, time.Time) {
	l := a.loopOf(s)
	if l == nil {
		now := a.clock()
		n, wait := a.scheduleRestart(s, now)
		return n, wait, now.Add(wait)
	}
	a.orch.mu.Lock()
	defer a.orch.mu.Unlock()
	return l.attempt, l.delay, l.next
}

// loopOf returns the crash loop of s's deployment when it is s's build's.
func (a *Admin) loopOf(s *RunningServer) *crashLoop {
	a.orch.mu.Lock()
	defer a.orch.mu.Unlock()
	if l := a.orch.loops[s.DeploymentID]; l != nil && l.buildID == s.BuildID {
		return l
	}
	return nil
}

// markCrashed records that a server died (detail says how), schedules its
// restart and audits both. s is the record as the caller read it: when its
// status changed since (another admin found the crash first and may be
// restarting it), nothing is recorded and the error is errServerMoved.
func (a *Admin) markCrashed(ctx context.Context, s *RunningServer, detail string) error {
	a.orch.mu.Lock()
	delete(a.orch.failures, s.ID)
	a.orch.mu.Unlock()
	if err := a.moveServer(ctx, s, s.Status, ServerCrashed); err != nil {
		return err
	}
	n, wait := a.scheduleRestart(s, a.clock())
	a.audit(ctx, "server.crash", s, fmt.Sprintf("%s; restart attempt %d in %s", detail, n, wait),
		"attempt", strconv.Itoa(n), "delay", wait.String())
	return nil
}

// crashed marks a server crashed and restarts it when the policy allows
// it now.
func (a *Admin) crashed(ctx context.Context, s *RunningServer, detail string) {
	if err := a.markCrashed(ctx, s, detail); errors.Is(err, errServerMoved) {
		a.logger.DebugContext(ctx, "crash already handled", "server", s.ID, "err", err)
		return
	} else if err != nil {
		a.logger.ErrorContext(ctx, "mark server crashed", "server", s.ID, "err", err)
		return
	}
	a.maybeRestart(ctx, s)
}

// maybeRestart restarts a crashed server that is still its deployment's
// current one, from its build's artifact, once its restart is due.
func (a *Admin) maybeRestart(ctx context.Context, s *RunningServer) {
	d, err := a.store.GetDeployment(ctx, s.DeploymentID)
	if err != nil {
		return
	}
	if d.CurrentBuildID != s.BuildID || d.Status == DeploymentStopped {
		if l := a.loopOf(s); l != nil {
			a.orch.mu.Lock()
			delete(a.orch.loops, d.ID)
			a.orch.mu.Unlock()
		}
		return
	}
	attempt, wait, due := a.restartDue(s)
	if a.clock().Before(due) {
		return
	}
	// A server of the same build already took over (an admin restarted it
	// and died before retiring this record): retire it.
	live, err := a.store.ListServers(ctx, ServerFilter{DeploymentID: d.ID, Statuses: []ServerStatus{ServerRunning}}, Page{})
	if err != nil {
		return
	}
	for _, o := range live {
		if o.BuildID == s.BuildID && o.ID != s.ID {
			if err := a.setServerStatus(ctx, s, ServerStopped); err != nil {
				a.logger.WarnContext(ctx, "retire a crashed server already replaced", "server", s.ID, "err", err)
			}
			return
		}
	}
	b, err := a.store.GetBuild(ctx, s.BuildID)
	if err != nil {
		return
	}
	srcBuild := b.ArtifactBuildID()
	art := Artifact{Dir: filepath.Join(a.buildDir(srcBuild), "src"), Entry: DefaultArtifactEntry}
	if _, err := os.Stat(filepath.Join(art.Dir, art.Entry)); err != nil {
		a.logger.ErrorContext(ctx, "cannot restart: artifact gone", "server", s.ID, "build", srcBuild)
		return
	}
	p, err := a.store.GetProject(ctx, d.ProjectID)
	if err != nil {
		return
	}
	env, err := a.runtimeEnv(p, d)
	if err != nil {
		a.logger.ErrorContext(ctx, "cannot restart: env", "server", s.ID, "err", err)
		return
	}
	if !a.claimRestart(ctx, s) {
		return
	}
	logf := func(phase, stream, text string) {
		a.logger.DebugContext(ctx, text, "server", s.ID, "phase", phase, "stream", stream)
	}
	srv, err := a.runner.Start(ctx, StartSpec{Build: b, Deployment: d, Artifact: art, Env: env}, logf)
	if err != nil {
		if err := a.setServerStatus(ctx, s, ServerCrashed); err != nil {
			a.logger.ErrorContext(ctx, "release a failed restart", "server", s.ID, "err", err)
		}
		n, next := a.scheduleRestart(s, a.clock())
		a.audit(ctx, "server.restart", s, fmt.Sprintf("attempt %d failed: %v; restart attempt %d in %s", attempt, err, n, next),
			"attempt", strconv.Itoa(attempt), "delay", wait.String())
		return
	}
	if l := a.loopOf(s); l != nil {
		a.orch.mu.Lock()
		l.restarted = a.clock()
		a.orch.mu.Unlock()
	}
	if err := a.setServerStatus(ctx, s, ServerStopped); err != nil {
		a.logger.WarnContext(ctx, "retire crashed server", "server", s.ID, "err", err)
	}
	if err := a.promote(ctx, p, d, b, srv, logf, false); err != nil {
		a.logger.ErrorContext(ctx, "switch to restarted server", "deployment", d.ID, "err", err)
		return
	}
	a.audit(ctx, "server.restart", srv, fmt.Sprintf("attempt %d, after %s: replaces crashed server %s", attempt, wait, s.ID),
		"attempt", strconv.Itoa(attempt), "delay", wait.String())
}

// RestartClaimTimeout is how long a restart claimed by an admin process
// (the crashed server's record marked starting, see claimRestart) may take
// before any admin takes the claimer for dead and the server for crashed
// again. It is longer than any runner's start and health wait.
const RestartClaimTimeout = 10 * time.Minute

// claimRestart makes this admin process the one that restarts crashed
// server s: the record changes from crashed to starting only if nobody
// changed it since s was read (the store's version check), so that of the
// admins that found the crash (several on one machine, sharing its state)
// exactly one starts a new server. It reports whether the claim is this
// process's. The claimer marks the record stopped once the new server took
// over, or crashed again when the start failed; a claim left by an admin
// that died is recovered at the next Start of an admin (the record is
// found dead), or by any admin's health checks after
// RestartClaimTimeout.
func (a *Admin) claimRestart(ctx context.Context, s *RunningServer) bool {
	claimed := *s
	claimed.Status, claimed.UpdatedAt = ServerStarting, a.clock()
	err := a.store.UpdateServer(ctx, &claimed)
	if err != nil {
		if !errors.Is(err, ErrConflict) && !errors.Is(err, ErrNotFound) {
			a.logger.ErrorContext(ctx, "claim a restart", "server", s.ID, "err", err)
		}
		return false // another admin claimed it, or it changed
	}
	*s = claimed
	return true
}

// staleClaim reports whether s is a restart claim older than
// RestartClaimTimeout.
func (a *Admin) staleClaim(s *RunningServer) bool {
	return s.Status == ServerStarting && a.clock().Sub(s.UpdatedAt) > RestartClaimTimeout
}
