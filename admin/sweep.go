package admin

import (
	"context"
	"time"
)

// logSweepHorizon is how far back, after Start, the maintenance worker
// looks for ended builds whose logs to clear from the log cache: logs of
// builds that ended earlier are left to the cache's own expiry
// (logcache/redis: TTL, 24 h by default; logcache/memory forgets all on
// restart).
const logSweepHorizon = 24 * time.Hour

// sweep is the maintenance worker's housekeeping, done each round.
func (a *Admin) sweep(ctx context.Context) {
	a.clearLogs(ctx)
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
