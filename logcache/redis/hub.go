package redis

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// subscribeTimeout bounds the wait for Redis to confirm the subscription.
const subscribeTimeout = 10 * time.Second

// hub owns a Cache's one subscription to the events channel and wakes the
// followers of the builds named in each event.
type hub struct {
	client  goredis.UniversalClient
	channel string
	log     *slog.Logger

	startMu sync.Mutex // held while subscribing
	ps      *goredis.PubSub
	stopped chan struct{} // closed when run returns

	mu      sync.Mutex
	closed  bool
	waiters map[string]*waiter
}

// waiter is what the followers of one build in this process wait on.
type waiter struct {
	ch     chan struct{} // closed and replaced on every event for the build
	refs   int
	clears uint64 // clear events seen
}

func newHub(client goredis.UniversalClient, channel string, log *slog.Logger) *hub {
	return &hub{client: client, channel: channel, log: log, stopped: make(chan struct{}), waiters: make(map[string]*waiter)}
}

// start subscribes once, waiting for Redis to confirm: from then on every
// event published reaches run, so a follower that reads after joining misses
// nothing.
func (h *hub) start(ctx context.Context) error {
	h.startMu.Lock()
	defer h.startMu.Unlock()
	if h.ps != nil {
		return nil
	}
	h.mu.Lock()
	closed := h.closed
	h.mu.Unlock()
	if closed {
		return admin.ErrClosed
	}
	ps := h.client.Subscribe(ctx) // no channel yet: no I/O
	if err := ps.Subscribe(ctx, h.channel); err != nil {
		ps.Close()
		return fmt.Errorf("subscribe to %s: %w", h.channel, err)
	}
	msg, err := ps.ReceiveTimeout(ctx, subscribeTimeout)
	if err != nil {
		ps.Close()
		return fmt.Errorf("subscribe to %s: %w", h.channel, err)
	}
	if _, ok := msg.(*goredis.Subscription); !ok {
		ps.Close()
		return fmt.Errorf("subscribe to %s: unexpected reply %T", h.channel, msg)
	}
	h.ps = ps
	go h.run(ps.ChannelWithSubscriptions())
	return nil
}

func (h *hub) run(events <-chan any) {
	defer close(h.stopped)
	for ev := range events {
		switch ev := ev.(type) {
		case *goredis.Message:
			if len(ev.Payload) < 2 {
				continue
			}
			h.mu.Lock()
			if w := h.waiters[ev.Payload[1:]]; w != nil {
				if ev.Payload[0] == eventClear {
					w.clears++
				}
				w.wake()
			}
			h.mu.Unlock()
		case *goredis.Subscription:
			// Subscribed again after a lost connection: events may have been
			// missed, so every follower reads again.
			h.log.Debug("resubscribed to build log events; waking every follower", "channel", h.channel)
			h.wakeAll()
		}
	}
}

func (w *waiter) wake() {
	close(w.ch)
	w.ch = make(chan struct{})
}

func (h *hub) wakeAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, w := range h.waiters {
		w.wake()
	}
}

// join registers a follower of buildID and returns its waiter and the
// waiter's clear count.
func (h *hub) join(ctx context.Context, buildID string) (*waiter, uint64, error) {
	if err := h.start(ctx); err != nil {
		return nil, 0, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, 0, admin.ErrClosed
	}
	w := h.waiters[buildID]
	if w == nil {
		w = &waiter{ch: make(chan struct{})}
		h.waiters[buildID] = w
	}
	w.refs++
	return w, w.clears, nil
}

func (h *hub) leave(buildID string, w *waiter) {
	h.mu.Lock()
	defer h.mu.Unlock()
	w.refs--
	if w.refs == 0 && h.waiters[buildID] == w {
		delete(h.waiters, buildID)
	}
}

func (h *hub) changed(w *waiter) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return w.ch
}

func (h *hub) clears(w *waiter) uint64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return w.clears
}

// close ends the subscription and wakes every follower.
func (h *hub) close() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.wakeAll()
	h.startMu.Lock()
	ps := h.ps
	h.startMu.Unlock()
	if ps != nil {
		ps.Close()
		<-h.stopped
	}
}
