package admin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// logSweepHorizon is how far back, after Start, the maintenance worker
// looks for ended builds whose logs to clear from the log cache: logs of
// builds that ended earlier are left to the cache's own expiry
// (logcache/redis: TTL, 24 h by default; logcache/memory forgets all on
// restart).
const logSweepHorizon = 24 * time.Hour

// buildSweepEvery is how often, by the admin's clock, the maintenance
// worker looks through the build directory.
const buildSweepEvery = time.Minute

// sweep is the maintenance worker's housekeeping, done each round (tests
// rely on the order: a round's logs are cleared after its directories
// were swept).
func (a *Admin) sweep(ctx context.Context) {
	a.expireLeases(ctx)
	a.sweepBuildDirs(ctx)
	a.retryFlushes(ctx)
	a.clearLogs(ctx)
}

// retryFlushes flushes again the logs of the builds this admin ended while
// the FileStorage (or the log cache) failed, until each succeeds.
func (a *Admin) retryFlushes(ctx context.Context) {
	a.orch.mu.Lock()
	ids := make([]string, 0, len(a.orch.unflush))
	for id := range a.orch.unflush {
		ids = append(ids, id)
	}
	a.orch.mu.Unlock()
	for _, id := range ids {
		b, err := a.store.GetBuild(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound): // gone, with its log
		case err != nil:
			a.logger.WarnContext(ctx, "get build to flush its log", "build", id, "err", err)
			continue
		case b.CompletedAt == nil:
			// Its end is being recorded (finishBuild asks for the retry
			// just before), or recording it failed and the build's lease
			// will end it: flushed once it is complete.
			continue
		case !a.flushLog(ctx, b):
			continue
		}
		a.orch.mu.Lock()
		delete(a.orch.unflush, id)
		a.orch.mu.Unlock()
	}
}

// flushLog writes an ended build's log to FileStorage when no flush has
// succeeded yet (its LogPath is empty) and records where. It reports
// whether the log cache may let go of the build's log: flushed now or
// before, or nothing held to flush.
func (a *Admin) flushLog(ctx context.Context, b *Build) bool {
	if b.LogPath != "" {
		return true
	}
	// Lines and the end mark too may have failed to reach the cache: its
	// followers wait for them.
	if err := a.drainLog(ctx, b.ID); err != nil {
		return false
	}
	if err := a.logs.Finish(ctx, b.ID); err != nil {
		a.logger.WarnContext(ctx, "finish build log", "build", b.ID, "err", err)
		return false
	}
	path, err := a.logs.Flush(ctx, b.ID, a.files)
	if errors.Is(err, ErrNotFound) {
		return true // nothing held: nothing to lose
	}
	if err != nil {
		a.logger.WarnContext(ctx, "flush build log again", "build", b.ID, "err", err)
		return false
	}
	if err := a.updateBuild(ctx, b, func(b *Build) error { b.LogPath = path; return nil }); err != nil {
		a.logger.WarnContext(ctx, "record flushed build log", "build", b.ID, "err", err)
		return false
	}
	a.logger.InfoContext(ctx, "flushed build log after an earlier failure", "build", b.ID, "path", path)
	return true
}

// expireLeases fails the builds in flight, claimed by any admin process,
// whose lease (see watchBuild) is older than buildLease: their admin died,
// or lost its Storage, mid-build. The build is taken over first (ClaimedBy
// set to this instance, in an update that checks the lease is still
// stale), so that a worker that was only slow stops when it sees it.
func (a *Admin) expireLeases(ctx context.Context) {
	inflight, err := a.store.ListBuilds(ctx, BuildFilter{InFlight: true}, Page{})
	if err != nil {
		a.logger.WarnContext(ctx, "list builds in flight", "err", err)
		return
	}
	for _, b := range inflight {
		now := a.clock()
		silent := now.Sub(b.UpdatedAt)
		if silent < a.buildLease {
			continue
		}
		a.orch.mu.Lock()
		_, mine := a.orch.inflight[b.ID]
		a.orch.mu.Unlock()
		if mine {
			continue // this admin's worker runs it: alive, its renewals failed only with Storage
		}
		claimedBy, instance := b.ClaimedBy, b.ClaimedBy
		if i := strings.LastIndex(claimedBy, "/"); i > 0 {
			instance = claimedBy[:i] // worker ids are {instance}/{n}
		}
		reason := fmt.Errorf("admin instance %q (worker %s) stopped renewing the lease of this build %s ago and is taken for dead; admin instance %q failed the build",
			instance, claimedBy, silent.Round(time.Second), a.instanceID)
		if instance == a.instanceID {
			// Not running here (mine above): this admin's worker ended it
			// but could not record that, Storage being down.
			reason = fmt.Errorf("admin instance %q could not record the end of this build (its Storage failed; the build log says why it ended) and its lease expired %s ago; the build is failed",
				instance, silent.Round(time.Second))
		}
		err := a.updateBuild(ctx, b, func(b *Build) error {
			if b.ClaimedBy != claimedBy || b.CompletedAt != nil || now.Sub(b.UpdatedAt) < a.buildLease {
				return errLeaseLost // renewed or settled meanwhile
			}
			b.ClaimedBy = a.instanceID + "/lease"
			if !b.Status.Terminal() {
				b.Status, b.Error = BuildFailed, reason.Error()
			}
			return nil
		})
		if errors.Is(err, errLeaseLost) {
			continue
		}
		if err != nil {
			a.logger.WarnContext(ctx, "take over a build whose lease expired", "build", b.ID, "err", err)
			continue
		}
		if r, ok := a.runner.(BuildReaper); ok {
			if err := r.ReapBuild(ctx, a.buildDir(b.ID)); err != nil {
				a.logger.WarnContext(ctx, "reap a build whose lease expired", "build", b.ID, "err", err)
			}
		}
		a.finishBuild(ctx, b, reason, a.logTo(ctx, b.ID))
		a.logger.WarnContext(ctx, "failed a build whose lease expired", "build", b.ID, "instance", instance)
	}
}

// sweepBuildDirs looks through this admin's build directory at the
// folders of failed and cancelled builds: it ends what such a build left
// running (BuildReaper; an admin that died mid-build and whose lease
// another admin expired finds its orphans here when it starts again) and
// removes the folders of those that ended keepFailed ago or more, once the
// ingestion worker archived their observability files. Folders
// of builds that Storage does not know (another admin's, sharing the
// directory) are left alone.
func (a *Admin) sweepBuildDirs(ctx context.Context) {
	now := a.clock()
	if now.Before(a.orch.nextBuildSweep) {
		return
	}
	a.orch.nextBuildSweep = now.Add(buildSweepEvery)
	entries, err := os.ReadDir(a.buildRoot)
	if err != nil {
		a.logger.WarnContext(ctx, "read the build directory", "err", err)
		return
	}
	reaper, _ := a.runner.(BuildReaper)
	for _, e := range entries {
		if !e.IsDir() || CheckBuildID(e.Name()) != nil {
			continue
		}
		b, err := a.store.GetBuild(ctx, e.Name())
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				a.logger.WarnContext(ctx, "get build", "build", e.Name(), "err", err)
			}
			continue
		}
		if b.Status != BuildFailed && b.Status != BuildCancelled || b.CompletedAt == nil {
			continue
		}
		if reaper != nil {
			if err := reaper.ReapBuild(ctx, a.buildDir(b.ID)); err != nil {
				a.logger.WarnContext(ctx, "reap an ended build", "build", b.ID, "err", err)
				continue
			}
		}
		if now.Sub(*b.CompletedAt) >= a.keepFailed {
			a.removeBuildDir(ctx, b.ID)
		}
	}
}

// clearLogs clears from the log cache the logs of builds completed more
// than logRetention ago, whichever admin ran them; their build.log stays in
// FileStorage, where FollowBuildLogs reads them from. Each round looks at
// the builds completed since the previous round's cut-off (after Start,
// within logSweepHorizon), so the logs of builds that ended before an admin
// restart are cleared too. A log whose flush failed (LogPath empty) is
// flushed first and kept until that succeeds.
func (a *Admin) clearLogs(ctx context.Context) {
	cutoff := a.clock().Add(-a.logRetention)
	since := a.orch.logsClearedTo
	if since.IsZero() {
		since = cutoff.Add(-logSweepHorizon)
	}
	ended, err := a.store.ListBuilds(ctx, BuildFilter{CompletedAfter: since}, Page{})
	if err != nil {
		a.logger.WarnContext(ctx, "list ended builds", "err", err)
		return
	}
	for _, b := range ended {
		if b.CompletedAt.After(cutoff) {
			continue // a later round
		}
		if !a.flushLog(ctx, b) {
			return // never cleared before flushed: the next round tries again from since
		}
		if err := a.logs.Clear(ctx, b.ID); err != nil {
			a.logger.WarnContext(ctx, "clear build log", "build", b.ID, "err", err)
			return // the next round tries again from since
		}
	}
	a.orch.logsClearedTo = cutoff
}
