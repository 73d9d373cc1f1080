package admin

import (
	"context"
	"errors"
	"strconv"
	"sync"
)

// maxPendingLines bounds the lines of one build held in memory while the
// log cache refuses them (Redis down): beyond it the oldest go, counted in a
// marker line.
const maxPendingLines = 10_000

// pendingLog holds, in order, the lines of one build that the log cache
// has not taken yet. mu is held across each Append so that the build's
// lines reach the cache in the order they were written.
type pendingLog struct {
	mu      sync.Mutex
	lines   []LogLine
	dropped int64
}

// pendingOf returns the pending lines of a build, made on first use.
func (a *Admin) pendingOf(buildID string) *pendingLog {
	a.orch.mu.Lock()
	defer a.orch.mu.Unlock()
	if a.orch.pending == nil {
		a.orch.pending = map[string]*pendingLog{}
	}
	p := a.orch.pending[buildID]
	if p == nil {
		p = &pendingLog{}
		a.orch.pending[buildID] = p
	}
	return p
}

// appendLog appends a build's line to the log cache after the lines the
// cache refused before. While the cache fails (an outage), the lines wait
// in memory and go with the next append or drainLog; lines the cache
// refuses for what they are (ErrInvalidArgument, or ErrConflict once the log
// is finished) are dropped with a warning.
func (a *Admin) appendLog(ctx context.Context, buildID string, l LogLine) {
	p := a.pendingOf(buildID)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, l)
	if n := len(p.lines) - maxPendingLines; n > 0 {
		p.lines, p.dropped = p.lines[n:], p.dropped+int64(n)
	}
	a.sendPending(ctx, buildID, p)
}

// drainLog sends a build's pending lines to the log cache and forgets the
// build; it fails while the cache does, keeping them.
func (a *Admin) drainLog(ctx context.Context, buildID string) error {
	p := a.pendingOf(buildID)
	p.mu.Lock()
	err := a.sendPending(ctx, buildID, p)
	p.mu.Unlock()
	if err == nil {
		a.orch.mu.Lock()
		if a.orch.pending[buildID] == p {
			delete(a.orch.pending, buildID)
		}
		a.orch.mu.Unlock()
	}
	return err
}

// sendPending appends p's lines in one call; p.mu is held.
func (a *Admin) sendPending(ctx context.Context, buildID string, p *pendingLog) error {
	if len(p.lines) == 0 {
		return nil
	}
	lines := p.lines
	if p.dropped > 0 {
		lines = append([]LogLine{{Time: lines[0].Time, Phase: "admin",
			Text: "[" + strconv.FormatInt(p.dropped, 10) + " lines dropped while the build log cache was unavailable]"}}, lines...)
	}
	err := a.logs.Append(ctx, buildID, lines...)
	switch {
	case err == nil:
	case errors.Is(err, ErrInvalidArgument) && len(lines) > 1:
		for i, l := range lines { // drop only the lines refused
			err := a.logs.Append(ctx, buildID, l)
			switch {
			case errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrConflict):
				a.logger.WarnContext(ctx, "build log line refused by the log cache; dropped", "build", buildID, "err", err)
			case err != nil:
				return err // the cache failed meanwhile: what was sent is in, the rest waits
			}
			if i == 0 && p.dropped > 0 {
				p.dropped = 0 // the marker
			} else {
				p.lines = p.lines[1:]
			}
		}
	case errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrConflict):
		a.logger.WarnContext(ctx, "build log lines refused by the log cache; dropped", "build", buildID, "lines", len(lines), "err", err)
	default:
		if len(p.lines) == 1 { // once per outage and build, not per line
			a.logger.WarnContext(ctx, "append build log; lines kept until the log cache is back", "build", buildID, "err", err)
		}
		return err
	}
	p.lines, p.dropped = nil, 0
	return nil
}
