// Package runstate is the bookkeeping every admin.Runner of this module
// shares: whether it is closed (each method then fails with
// admin.ErrClosed) and the callbacks of the optional admin.ExitNotifier
// capability, which must never be called after Close has returned.
package runstate

import (
	"fmt"
	"slices"
	"sync"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// State is a runner's open or closed state and its exit callbacks. The
// zero value is not usable: call New. It is safe for concurrent use.
type State struct {
	prefix string

	mu     sync.Mutex
	closed bool
	notify []func(admin.ServerExit)
	calls  sync.WaitGroup // Exited calls in flight
}

// New returns an open State whose errors start with prefix (the runner's
// package name: "local", "kubernetes").
func New(prefix string) *State { return &State{prefix: prefix} }

// Check returns nil while the runner is open, then an error wrapping
// admin.ErrClosed that names op ("start", "stop", …).
func (s *State) Check(op string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return fmt.Errorf("%s: %s: %w", s.prefix, op, admin.ErrClosed)
	}
	return nil
}

// Closed reports whether Close was called.
func (s *State) Closed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// NotifyExits registers fn, to be called by Exited: a runner's
// admin.ExitNotifier method forwards to it. A nil fn is ignored.
func (s *State) NotifyExits(fn func(admin.ServerExit)) {
	if fn == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify = append(s.notify, fn)
}

// Notifying reports whether a function was registered with NotifyExits
// (a runner need not watch its servers otherwise).
func (s *State) Notifying() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.notify) > 0
}

// Exited calls first (when not nil) and then every function registered
// with NotifyExits, on the caller's goroutine, unless the runner is
// closed; it reports whether it called them. Close waits for the calls in
// flight, so none happens after Close returned.
func (s *State) Exited(ex admin.ServerExit, first func()) bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	fns := slices.Clone(s.notify)
	s.calls.Add(1)
	s.mu.Unlock()
	defer s.calls.Done()
	if first != nil {
		first()
	}
	for _, fn := range fns {
		fn(ex)
	}
	return true
}

// Close marks the runner closed and waits for the Exited calls in flight.
// It reports whether this call closed it (false when it was already
// closed: Close is idempotent).
func (s *State) Close() bool {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return false
	}
	s.closed = true
	s.mu.Unlock()
	s.calls.Wait()
	return true
}
