package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// The Admin offers no build-status events, so the status of a followed
// build is polled: one poll loop per build, shared by all its followers,
// running while at least one follows.

// watchers are the poll loops by build id.
type watchers struct {
	mu sync.Mutex
	m  map[string]*watch
}

// buildState is what a stream reports of a build: the build and its
// deployment, read together. A state read by the poll is shared by all the
// build's followers, which share its encoded messages too.
type buildState struct {
	build       *admin.Build
	dep         *admin.Deployment
	status, end encodedOnce
}

// encodedOnce is a message encoded by the first stream that sends it.
type encodedOnce struct {
	once sync.Once
	data []byte
	err  error
}

// encoded returns the message of type typ (MessageStatus or MessageEnd)
// carrying st, encoded once.
func (st *buildState) encoded(typ string) ([]byte, error) {
	e := &st.status
	if typ == MessageEnd {
		e = &st.end
	}
	e.once.Do(func() { e.data, e.err = json.Marshal(st.message(typ)) })
	return e.data, e.err
}

// message returns a message of type typ carrying the state; a nil state
// (a deleted build) carries nothing.
func (st *buildState) message(typ string) StreamMessage {
	m := StreamMessage{Type: typ}
	if st != nil {
		m.Build, m.Deployment = st.build, st.dep
	}
	return m
}

// watch is one build's poll loop and its subscribers. Each subscriber has
// a channel of capacity 1 that always holds the latest change not yet
// read; nil means the build was deleted. Its subscribers share the
// encoding of the build's log messages (lines).
type watch struct {
	subs  map[chan *buildState]struct{}
	last  *buildState
	gone  bool
	stop  context.CancelFunc
	lines encodedLines
}

// encodedRing is how many of a build's latest log messages a watch keeps
// encoded: followers close behind one another (all live ones) encode each
// message once between them.
const encodedRing = 1024

// encodedLines caches the WebSocket messages of a build's log lines by
// sequence number, so that a line followed by many clients is encoded once,
// not once per client. Its followers all read it at once when a line is
// appended, so a slot is an atomic pointer, not a lock they would queue on.
type encodedLines struct {
	slots [encodedRing]atomic.Pointer[encodedLine]
}

type encodedLine struct {
	line admin.LogLine
	data []byte
}

// message returns the log message of l, encoded by encode unless a
// message of the very same line is cached.
func (e *encodedLines) message(l *admin.LogLine, encode func() ([]byte, error)) ([]byte, error) {
	slot := &e.slots[uint64(l.Seq)%encodedRing]
	if cached := slot.Load(); cached != nil && sameLine(&cached.line, l) {
		return cached.data, nil
	}
	data, err := encode()
	if err != nil {
		return nil, err
	}
	slot.Store(&encodedLine{line: *l, data: data})
	return data, nil
}

func sameLine(a, b *admin.LogLine) bool {
	return a.Seq == b.Seq && a.Dropped == b.Dropped && a.Time.Equal(b.Time) && a.Phase == b.Phase &&
		a.Stream == b.Stream && a.Text == b.Text
}

// subscribe follows the changes of a build from the state st. It returns
// the build's watch (for its shared encodings), the channel of changes,
// and the function that ends the subscription.
func (h *Handler) subscribe(st *buildState) (*watch, <-chan *buildState, func()) {
	b := st.build
	ch := make(chan *buildState, 1)
	ws := &h.watches
	ws.mu.Lock()
	defer ws.mu.Unlock()
	w := ws.m[b.ID]
	if w == nil {
		ctx, stop := context.WithCancel(h.closing)
		w = &watch{subs: map[chan *buildState]struct{}{}, last: st, stop: stop}
		ws.m[b.ID] = w
		go h.poll(ctx, b.ID, w)
	}
	w.subs[ch] = struct{}{}
	switch {
	case w.gone:
		ch <- nil
	case w.last.build.Version > b.Version:
		ch <- w.last
	}
	return w, ch, func() {
		ws.mu.Lock()
		defer ws.mu.Unlock()
		delete(w.subs, ch)
		if len(w.subs) == 0 {
			w.stop()
			delete(ws.m, b.ID)
		}
	}
}

// poll reads the build every pollEvery and tells the subscribers of each
// change, with the deployment read again, until the build has ended for
// good or nobody listens.
func (h *Handler) poll(ctx context.Context, id string, w *watch) {
	sys := admin.WithPrincipal(ctx, admin.SystemPrincipal())
	t := time.NewTicker(h.pollEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		b, err := h.a.GetBuild(sys, id)
		if err != nil && !errors.Is(err, admin.ErrNotFound) {
			h.log.DebugContext(ctx, "poll build status", "build", id, "err", err)
			continue
		}
		prev := w.last // poll is its only writer
		var st *buildState
		if b != nil {
			if b.Version == prev.build.Version {
				continue
			}
			st = &buildState{build: b, dep: prev.dep}
			if d, err := h.a.GetDeployment(sys, b.DeploymentID); err == nil {
				st.dep = d
			} else {
				h.log.DebugContext(ctx, "poll deployment status", "deployment", b.DeploymentID, "err", err)
			}
		}
		h.watches.mu.Lock()
		if st == nil {
			w.gone = true
		} else {
			w.last = st
		}
		for ch := range w.subs {
			select {
			case ch <- st:
			default: // replace the unread change with this newer one
				select {
				case <-ch:
				default:
				}
				ch <- st
			}
		}
		h.watches.mu.Unlock()
		if b == nil || b.Status.Terminal() && b.CompletedAt != nil {
			return // nothing changes any more
		}
	}
}

// logEnds decides, for a build whose status is cur, whether to stop
// waiting for its log to end: at once when the build ended without ever
// starting (no worker will finish its log) or was deleted (cur nil);
// after the grace period when it ended after starting (the worker
// finishes the log right after; the grace covers a worker that died).
// grace holds the timer between calls.
func (h *Handler) logEnds(cur *admin.Build, grace *<-chan time.Time) bool {
	if cur == nil || cur.Status.Terminal() && cur.StartedAt == nil {
		return true
	}
	if cur.Status.Terminal() && *grace == nil {
		*grace = time.After(h.endGrace)
	}
	return false
}
