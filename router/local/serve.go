package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Server timeouts. Reads and writes as a whole are not bounded, since
// streams and uploads may last as long as they need.
const (
	// readHeaderTimeout bounds how long a client may take to send its
	// request headers, so that slow clients cannot hold connections for free.
	readHeaderTimeout = 10 * time.Second
	// idleTimeout closes keep-alive connections that carry no request.
	idleTimeout = 2 * time.Minute
)

// ListenAndServe listens on addr (DefaultAddr, ":3100", when empty) and
// serves the router there until ctx is done or the router is closed; see
// Serve.
func (rt *Router) ListenAndServe(ctx context.Context, addr string) error {
	addr = cmp.Or(addr, DefaultAddr)
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("router/local: listen on %s: %w", addr, err)
	}
	return rt.Serve(ctx, l)
}

// Serve serves the router on l, which it closes, until ctx is done or the
// router is closed. It runs the router's own HTTP/1.1 server (requests
// parsed by net/http's parser, one goroutine per connection and none per
// request; HTTP/2 is not offered), with the same limits as net/http's
// defaults: 1 MiB of request headers, 10 s to send them, 2 min idle. On
// Linux, TCP connections go to its event loops first, which forward plain
// requests themselves (see Serving in the package documentation and
// Options.NoEventLoop).
//
// When ctx is done Serve stops accepting connections, lets requests in
// flight finish for up to Options.ShutdownTimeout, then cuts what is left
// (long streams, WebSocket connections) and returns nil. When the router is
// closed it stops at once and returns an error wrapping admin.ErrClosed.
func (rt *Router) Serve(ctx context.Context, l net.Listener) error {
	// Requests, and so hijacked WebSocket connections, live in connCtx:
	// cancelling it after the graceful period ends what is left.
	connCtx, cancelConns := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelConns()
	srv := &server{rt: rt, l: l, baseCtx: connCtx, conns: map[*srvConn]struct{}{}, config: &http.Server{
		Handler: rt, ReadHeaderTimeout: readHeaderTimeout, IdleTimeout: idleTimeout, ErrorLog: rt.errorLog,
		MaxHeaderBytes: maxRequestHeaderBytes - 4096,
	}}
	rt.mu.Lock()
	if rt.closed.Load() {
		rt.mu.Unlock()
		_ = l.Close()
		return fmt.Errorf("router/local: serve: %w", admin.ErrClosed)
	}
	rt.servers[srv] = struct{}{}
	srv.startLoops()
	rt.mu.Unlock()
	defer func() {
		rt.mu.Lock()
		delete(rt.servers, srv)
		rt.mu.Unlock()
	}()

	rt.log.Info("serving", "addr", l.Addr().String())
	served := make(chan error, 1)
	go func() { served <- srv.serve() }()
	select {
	case err := <-served:
		srv.shutting.Store(true)
		cancelConns()
		srv.closeAll()
		srv.active.Wait()
		if srv.closed.Load() {
			return fmt.Errorf("router/local: serve: %w", admin.ErrClosed)
		}
		return fmt.Errorf("router/local: serve: %w", err)
	case <-ctx.Done():
	}

	srv.shutting.Store(true)
	_ = l.Close()
	<-served
	srv.closeIdle()
	finished := make(chan struct{})
	go func() {
		srv.active.Wait()
		close(finished)
	}()
	grace := time.NewTimer(rt.shutdown)
	defer grace.Stop()
	select {
	case <-finished:
	case <-grace.C:
		rt.log.Warn("graceful shutdown cut short: requests still running", "timeout", rt.shutdown)
	}
	cancelConns()
	srv.closeAll()
	<-finished
	rt.log.Info("stopped serving", "addr", l.Addr().String())
	return nil
}

// close stops the server at once: the listener and every connection close.
func (s *server) close() error {
	s.closed.Store(true)
	s.shutting.Store(true)
	err := s.l.Close()
	s.closeAll()
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}
