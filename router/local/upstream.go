package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"time"
)

// Limits of the connections to deployed servers.
const (
	// maxIdlePerServer is how many idle keep-alive connections are kept
	// per server address.
	maxIdlePerServer = 512
	// upstreamIdleTimeout closes a connection that carried no request for
	// this long.
	upstreamIdleTimeout = 90 * time.Second
	// dialTimeout bounds the TCP connect to a server.
	dialTimeout = 10 * time.Second
	// maxResponseHeaderBytes bounds the status line and headers of a
	// server's response, so that a server cannot make the router buffer
	// without end.
	maxResponseHeaderBytes = 1 << 20
	// connBufferSize is the size of each connection's read and write
	// buffers.
	connBufferSize = 4 << 10
)

// errResponseHeaderTooLarge is returned when a server's response headers
// exceed maxResponseHeaderBytes.
var errResponseHeaderTooLarge = fmt.Errorf("response headers exceed %d bytes", maxResponseHeaderBytes)

// upstream is the pool of keep-alive HTTP/1.1 connections to one server
// address, shared by every route whose Target is that address. A
// connection is used by one request at a time, in the goroutine that
// serves it: no goroutine per connection, no hand-off per request.
type upstream struct {
	addr   string
	dialer net.Dialer

	mu      sync.Mutex
	idle    []*upConn // most recently used last
	reaper  *time.Timer
	closed  bool // the router is closed: no new connections
	retired bool // no route leads here: no idle connections kept
}

func newUpstream(addr string) *upstream {
	return &upstream{addr: addr, dialer: net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}}
}

// upConn is one connection to a server with its buffers.
type upConn struct {
	conn   net.Conn
	br     *bufio.Reader // reads through limit
	bw     *bufio.Writer
	limit  int64     // bytes the next reads may return; see Read
	reused bool      // it carried a request before this one
	idleAt time.Time // when it was put back in the pool
}

// Read reads from the connection, at most limit bytes in all: the response
// headers are read under maxResponseHeaderBytes, the body without a limit.
func (c *upConn) Read(p []byte) (int, error) {
	if c.limit <= 0 {
		return 0, errResponseHeaderTooLarge
	}
	if int64(len(p)) > c.limit {
		p = p[:c.limit]
	}
	n, err := c.conn.Read(p)
	c.limit -= int64(n)
	return n, err
}

// get returns an idle connection, most recently used first, or a new one.
func (u *upstream) get(ctx context.Context) (*upConn, error) {
	u.mu.Lock()
	for n := len(u.idle); n > 0; n = len(u.idle) {
		c := u.idle[n-1]
		u.idle[n-1] = nil
		u.idle = u.idle[:n-1]
		if time.Since(c.idleAt) < upstreamIdleTimeout {
			u.mu.Unlock()
			c.reused = true
			return c, nil
		}
		_ = c.conn.Close()
	}
	closed := u.closed
	u.mu.Unlock()
	if closed {
		return nil, errRouterClosed
	}
	return u.dial(ctx)
}

// errRouterClosed is the error of a request that needs a new connection
// after Close.
var errRouterClosed = errors.New("the router is closed")

// dial opens a new connection to the server.
func (u *upstream) dial(ctx context.Context) (*upConn, error) {
	conn, err := u.dialer.DialContext(ctx, "tcp", u.addr)
	if err != nil {
		return nil, err
	}
	c := &upConn{conn: conn, bw: bufio.NewWriterSize(conn, connBufferSize)}
	c.br = bufio.NewReaderSize(c, connBufferSize)
	return c, nil
}

// put returns a connection whose last response was read to its end to the
// pool, or closes it when the pool is full or closed.
func (u *upstream) put(c *upConn) {
	c.idleAt = time.Now()
	if pc, ok := c.conn.(*prefixConn); ok && len(pc.pre) > 0 {
		_ = c.conn.Close() // the server sent more than its answer
		return
	}
	u.mu.Lock()
	if u.closed || u.retired || len(u.idle) >= maxIdlePerServer {
		u.mu.Unlock()
		_ = c.conn.Close()
		return
	}
	u.idle = append(u.idle, c)
	if u.reaper == nil {
		u.reaper = time.AfterFunc(upstreamIdleTimeout, u.reap)
	}
	u.mu.Unlock()
}

// reap closes the connections idle for upstreamIdleTimeout and runs again
// while some remain idle.
func (u *upstream) reap() {
	u.mu.Lock()
	defer u.mu.Unlock()
	expired := 0
	for expired < len(u.idle) && time.Since(u.idle[expired].idleAt) >= upstreamIdleTimeout {
		_ = u.idle[expired].conn.Close()
		expired++
	}
	u.idle = append(u.idle[:0], u.idle[expired:]...)
	clear(u.idle[len(u.idle):cap(u.idle)])
	if len(u.idle) == 0 {
		u.reaper = nil
		return
	}
	u.reaper.Reset(upstreamIdleTimeout - time.Since(u.idle[0].idleAt))
}

// close closes the idle connections, and connections in use when their
// request ends. With final set (the router closes) no new ones are opened;
// without it (no route uses the address any more) the pool still serves
// the requests routed before the change.
func (u *upstream) close(final bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.closed = u.closed || final
	u.retired = true
	for _, c := range u.idle {
		_ = c.conn.Close()
	}
	u.idle = nil
	if u.reaper != nil {
		u.reaper.Stop()
		u.reaper = nil
	}
}

// alive reports whether an idle connection still looks usable: the server
// has neither closed it nor sent anything unasked. It costs one system
// call, so it is used only before requests that must not be sent twice.
func (c *upConn) alive() bool {
	if c.br.Buffered() > 0 {
		return false
	}
	sc, ok := c.conn.(syscall.Conn)
	if !ok {
		return true // cannot tell
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	alive := false
	if err := raw.Read(func(fd uintptr) bool {
		alive = peekAlive(fd)
		return true // never wait
	}); err != nil {
		return false
	}
	return alive
}

// aLongTimeAgo is a deadline in the past, which makes blocked reads and
// writes on a connection return at once.
var aLongTimeAgo = time.Unix(1, 0)

// upstreams maps server addresses to their pools.
type upstreams struct {
	mu     sync.Mutex
	byAddr map[string]*upstream
}

// get returns the pool for addr, created on first use.
func (us *upstreams) get(addr string) *upstream {
	us.mu.Lock()
	defer us.mu.Unlock()
	u := us.byAddr[addr]
	if u == nil {
		if us.byAddr == nil {
			us.byAddr = map[string]*upstream{}
		}
		u = newUpstream(addr)
		us.byAddr[addr] = u
	}
	return u
}

// close closes every pool's idle connections and keeps new ones from
// being opened.
func (us *upstreams) close() {
	us.mu.Lock()
	defer us.mu.Unlock()
	for _, u := range us.byAddr {
		u.close(true)
	}
}

// prune drops the pools of addresses that no route of t uses, closing
// their idle connections.
func (us *upstreams) prune(t *table) {
	used := make(map[string]bool, len(t.byID))
	for _, e := range t.byID {
		used[e.route.Target] = true
	}
	us.mu.Lock()
	defer us.mu.Unlock()
	for addr, u := range us.byAddr {
		if !used[addr] {
			u.close(false)
			delete(us.byAddr, addr)
		}
	}
}
