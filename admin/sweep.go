package admin

import (
	"context"
	"errors"
	"os"
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
	a.sweepBuildDirs(ctx)
	a.clearLogs(ctx)
}

// sweepBuildDirs removes from this admin's build directory the folders of
// failed and cancelled builds that ended keepFailed ago or more. Folders
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
		if (b.Status == BuildFailed || b.Status == BuildCancelled) && b.CompletedAt != nil && now.Sub(*b.CompletedAt) >= a.keepFailed {
			a.removeBuildDir(ctx, b.ID)
		}
	}
}

// clearLogs clears from the log cache the logs of builds completed more
// than logRetention ago, whichever admin ran them; their build.log stays in
// FileStorage, where FollowBuildLogs reads them from. Each round looks at
// the builds completed since the previous round's cut-off (after Start,
// within logSweepHorizon), so the logs of builds that ended before an admin
// restart are cleared too.
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
		if err := a.logs.Clear(ctx, b.ID); err != nil {
			a.logger.WarnContext(ctx, "clear build log", "build", b.ID, "err", err)
			return // the next round tries again from since
		}
	}
	a.orch.logsClearedTo = cutoff
}
