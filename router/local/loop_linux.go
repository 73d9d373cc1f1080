//go:build linux

package local

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// The event loops serve the common requests without a goroutine per
// connection and without net/http's parsers: each loop runs on one locked
// thread, waits on its own epoll set for its client connections and their
// server connections (pooled per loop), reads on readiness, parses heads
// in place (fastparse.go), and writes each request and answer with one
// system call. A request or answer it does not fully understand is handed
// to the server loop (server.go) with every byte already read: before the
// request is sent, the client connection as it is; after, the client and
// server connections and the request, whose answer the server loop reads
// (see resumed). The connection is then the server loop's for good.

// Timings of the event loops.
const (
	// loopTick is how often a loop looks for expired deadlines, idle
	// server connections and route changes.
	loopTick = 250 * time.Millisecond
	// maxClientBuffer bounds what a loop reads ahead of a client: a
	// request head and body it forwards, or what it hands over.
	maxClientBuffer = maxFastHead + maxBufferedBody
	// readChunk is the least room a read is given.
	readChunk = 4 << 10
	// heldWait is how long a loop waits for events before it gives its P
	// up (see wait).
	heldWait = 300 * time.Microsecond
)

// sysEpollPwait2 is epoll_pwait2's number, the same on every
// architecture (Linux 5.11).
const sysEpollPwait2 = 441

// loops are a server's event loops.
type loops struct {
	all  []*loop
	next atomic.Uint32
}

// startLoops starts the event loops (see loopCount) when the router uses
// its own client and Options.NoEventLoop is not set; on failure (no epoll)
// the server loop serves everything.
func (s *server) startLoops() {
	if !s.rt.ownsTransport || s.rt.noEventLoop {
		return
	}
	ls := &loops{}
	for range loopCount() {
		l, err := newLoop(s)
		if err != nil {
			s.rt.log.Warn("no event loop: every request goes through the server loop", "error", err)
			for _, l := range ls.all {
				l.closeFDs()
			}
			return
		}
		ls.all = append(ls.all, l)
	}
	s.loops = ls
	s.active.Add(len(ls.all))
	for _, l := range ls.all {
		go l.run()
	}
}

// loopCount is how many event loops Serve runs: one per GOMAXPROCS but
// one, and at least one. Each loop holds a P while it waits a little for
// events (see wait), so one P is left to the rest of the program (the
// server loop, the accept loop, an embedding admin), which then never
// waits for a loop to give its P up; and while that P is idle the
// scheduler has no reason to take the loops' Ps away from them as they
// wait. On 2 CPUs that is one loop, which also spends less CPU time per
// request than two there (two find fewer events per wake-up).
func loopCount() int {
	return max(1, runtime.GOMAXPROCS(0)-1)
}

// take gives a new client connection to a loop, which then owns a
// duplicate of its descriptor; it reports false when c stays with the
// caller.
func (ls *loops) take(c *net.TCPConn) bool {
	ip, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil || !isFieldValue(ip) {
		ip = ""
	}
	raw, err := c.SyscallConn()
	if err != nil {
		return false
	}
	fd := -1
	if cerr := raw.Control(func(s uintptr) {
		fd, err = dupCloexec(int(s))
	}); cerr != nil || err != nil {
		return false
	}
	l := ls.all[ls.next.Add(1)%uint32(len(ls.all))]
	l.mu.Lock()
	if l.dead {
		l.mu.Unlock()
		_ = syscall.Close(fd)
		return false
	}
	l.incoming = append(l.incoming, newClient{fd: fd, ip: ip})
	_, _ = syscall.Write(l.wakeW, []byte{0})
	l.mu.Unlock()
	_ = c.Close() // the duplicate keeps the connection open
	return true
}

// signal asks the loops to close their idle connections (shutdown).
func (ls *loops) signal() {
	if ls == nil {
		return
	}
	for _, l := range ls.all {
		l.wake()
	}
}

// cut makes the loops close every connection and stop.
func (ls *loops) cut() {
	if ls == nil {
		return
	}
	for _, l := range ls.all {
		l.cutReq.Store(true)
		l.wake()
	}
}

func dupCloexec(fd int) (int, error) {
	nfd, _, errno := syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), syscall.F_DUPFD_CLOEXEC, 0)
	if errno != 0 {
		return -1, errno
	}
	return int(nfd), nil
}

// loop is one event loop.
type loop struct {
	s            *server
	rt           *Router
	ep           int
	wakeR, wakeW int // a pipe that wakes the loop

	mu       sync.Mutex // guards incoming, dead and writes to wakeW
	incoming []newClient
	dead     bool
	cutReq   atomic.Bool

	// Owned by the loop's goroutine:
	fds      []fdRef // by descriptor
	gen      uint32  // registration count, which tells stale events apart
	clients  []*lclient
	pools    map[string]*lpool
	table    *table // the route table the pools were last pruned for
	heldWait bool   // epoll_pwait2 is there (see wait)
	buf      []byte // response body reads
	now      int64  // time of the last wake-up, in ns
	nextTick int64
}

type newClient struct {
	fd int
	ip string
}

// fdRef is what a descriptor of the loop is.
type fdRef struct {
	gen uint32
	c   *lclient
	u   *lupstream
}

// lclient is a client connection of a loop.
type lclient struct {
	fd       int
	ip       string // for X-Forwarded-For
	idx      int    // in loop.clients
	events   uint32
	in       []byte // read, not yet handled; starts with the current request
	out      []byte // to write to the client
	deadline int64  // ns; 0: none
	req      []byte // the current request as sent to the server
	busy     bool   // x is in flight
	gone     bool   // the client ended its side while a request ran
	closing  bool   // close once out is written
	x        lexchange
}

// lexchange is a request in flight.
type lexchange struct {
	e          *entry
	up         *lupstream
	reqLen     int // bytes of the client's in it takes
	replayable bool
	retried    bool
	close      bool // the answer closes the client connection
	started    int64
	headDone   bool
	remaining  int64 // body bytes still to relay
	upClose    bool  // the server connection carries no other request
}

// lupstream is a connection of a loop to a deployed server.
type lupstream struct {
	fd         int
	pool       *lpool
	events     uint32
	in         []byte // the answer's head as read so far
	out        []byte // request bytes not written yet
	connecting bool
	reused     bool
	idleAt     int64
	c          *lclient // the client whose request it carries; nil when idle
}

// lpool is a loop's idle connections to one server address.
type lpool struct {
	addr string
	sa   syscall.Sockaddr
	idle []*lupstream // most recently used last
}

func newLoop(s *server) (*loop, error) {
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_NONBLOCK|syscall.O_CLOEXEC); err != nil {
		_ = syscall.Close(ep)
		return nil, fmt.Errorf("pipe2: %w", err)
	}
	l := &loop{s: s, rt: s.rt, ep: ep, wakeR: p[0], wakeW: p[1], pools: map[string]*lpool{}, buf: make([]byte, 64<<10), heldWait: true}
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, l.wakeR, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.wakeR)}); err != nil {
		l.closeFDs()
		return nil, fmt.Errorf("epoll_ctl: %w", err)
	}
	return l, nil
}

func (l *loop) closeFDs() {
	_ = syscall.Close(l.ep)
	_ = syscall.Close(l.wakeR)
	_ = syscall.Close(l.wakeW)
}

// wake interrupts the loop's wait, unless it has stopped: its pipe's
// descriptors may then belong to another connection.
func (l *loop) wake() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.dead {
		_, _ = syscall.Write(l.wakeW, []byte{0})
	}
}

// run is the loop's goroutine.
func (l *loop) run() {
	runtime.LockOSThread()
	defer l.s.active.Done()
	defer runtime.UnlockOSThread()
	defer l.stop()
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := l.wait(events)
		if err != nil && err != syscall.EINTR {
			l.rt.log.Error("event loop stopped: its connections are closed", "error", err)
			return
		}
		l.now = time.Now().UnixNano()
		for _, ev := range events[:max(n, 0)] {
			fd := int(ev.Fd)
			if fd == l.wakeR {
				l.woken()
				continue
			}
			if fd >= len(l.fds) || l.fds[fd].gen != uint32(ev.Pad) {
				continue // closed earlier in this batch
			}
			switch ref := l.fds[fd]; {
			case ref.c != nil:
				l.clientEvent(ref.c, ev.Events)
			case ref.u != nil:
				l.upstreamEvent(ref.u, ev.Events)
			}
		}
		if l.cutReq.Load() {
			return
		}
		if l.now >= l.nextTick {
			l.tick()
			l.nextTick = l.now + int64(loopTick)
		}
		if l.s.shutting.Load() && len(l.clients) == 0 {
			return
		}
	}
}

// wait waits for events of the loop's epoll set. It first waits up to
// heldWait as a raw system call, keeping the thread's P (the thread
// sleeps; it does not spin): under load events come sooner than that, and
// a wait the scheduler sees as a system call that lasts makes sysmon take
// the P away, hand it to another thread and back, and wake every 20 µs
// instead of backing off, which took a sixth to a fifth of the router's
// CPU time under wrk. Only when nothing comes in heldWait does the loop
// wait as an ordinary system call, which gives the P up to the rest of
// the program when it needs it. A signal (the scheduler preempting the
// loop, which it does every 10 ms to a goroutine that never parks, or
// stopping the world) ends the raw wait at once.
func (l *loop) wait(events []syscall.EpollEvent) (int, error) {
	if l.heldWait {
		ts := syscall.NsecToTimespec(int64(heldWait))
		n, _, errno := syscall.RawSyscall6(sysEpollPwait2, uintptr(l.ep), uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)),
			uintptr(unsafe.Pointer(&ts)), 0, 0)
		switch errno {
		case 0:
			if n > 0 {
				return int(n), nil
			}
		case syscall.EINTR: // a signal, such as the scheduler's preemption
			return 0, nil
		case syscall.ENOSYS: // before Linux 5.11
			l.heldWait = false
		}
	}
	return syscall.EpollWait(l.ep, events, int(loopTick/time.Millisecond))
}

// stop closes every connection of the loop.
func (l *loop) stop() {
	l.mu.Lock()
	l.dead = true
	incoming := l.incoming
	l.incoming = nil
	l.mu.Unlock()
	for _, nc := range incoming {
		_ = syscall.Close(nc.fd)
	}
	for len(l.clients) > 0 {
		l.closeClient(l.clients[len(l.clients)-1])
	}
	for _, p := range l.pools {
		for _, u := range p.idle {
			l.closeFD(u.fd)
		}
	}
	l.pools = nil
	l.mu.Lock()
	l.closeFDs()
	l.mu.Unlock()
}

// woken takes the new connections and, when the server shuts down, closes
// the idle ones.
func (l *loop) woken() {
	var b [64]byte
	for {
		if n, _ := syscall.Read(l.wakeR, b[:]); n < len(b) {
			break
		}
	}
	l.mu.Lock()
	incoming := l.incoming
	l.incoming = nil
	l.mu.Unlock()
	for _, nc := range incoming {
		c := &lclient{fd: nc.fd, ip: nc.ip, idx: len(l.clients), deadline: l.now + int64(idleTimeout)}
		if l.s.shutting.Load() || l.register(nc.fd, syscall.EPOLLIN, fdRef{c: c}) != nil {
			_ = syscall.Close(nc.fd)
			continue
		}
		c.events = syscall.EPOLLIN
		l.clients = append(l.clients, c)
	}
	if l.s.shutting.Load() {
		l.closeIdle()
	}
}

// closeIdle closes, when the server shuts down, the clients between
// requests and makes the others close after their answer.
func (l *loop) closeIdle() {
	for i := len(l.clients) - 1; i >= 0; i-- { // closing swaps the last one in
		c := l.clients[i]
		switch {
		case c.busy:
			c.x.close = true
		case len(c.out) > 0:
			c.closing = true
		case len(c.in) == 0:
			l.closeClient(c)
		}
	}
}

// tick closes what has waited too long and the server connections no
// route leads to any more.
func (l *loop) tick() {
	for i := len(l.clients) - 1; i >= 0; i-- { // closing swaps the last one in
		c := l.clients[i]
		switch {
		case c.busy && c.gone && l.now-c.x.started >= int64(watchDelay):
			l.closeClient(c) // gone: the server's request is cut
		case !c.busy && c.deadline != 0 && l.now >= c.deadline:
			l.closeClient(c) // idle or too slow with its head
		}
	}
	if t := l.rt.table.Load(); t != l.table {
		used := make(map[string]bool, len(t.byID))
		for _, e := range t.byID {
			used[e.route.Target] = true
		}
		for addr, p := range l.pools {
			if !used[addr] {
				for _, u := range p.idle {
					l.closeFD(u.fd)
				}
				delete(l.pools, addr)
			}
		}
		l.table = t
	}
	for _, p := range l.pools {
		expired := 0
		for expired < len(p.idle) && l.now-p.idle[expired].idleAt >= int64(upstreamIdleTimeout) {
			l.closeFD(p.idle[expired].fd)
			expired++
		}
		p.idle = append(p.idle[:0], p.idle[expired:]...)
	}
	if l.s.shutting.Load() {
		l.closeIdle()
	}
}

// register adds fd to the epoll set.
func (l *loop) register(fd int, events uint32, ref fdRef) error {
	l.gen++
	ref.gen = l.gen
	for fd >= len(l.fds) {
		l.fds = append(l.fds, fdRef{})
	}
	l.fds[fd] = ref
	err := syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: events, Fd: int32(fd), Pad: int32(ref.gen)})
	if err != nil {
		l.fds[fd] = fdRef{}
	}
	return err
}

// setEvents changes what the loop waits for on fd.
func (l *loop) setEvents(fd int, have *uint32, want uint32) {
	if *have == want {
		return
	}
	*have = want
	_ = syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_MOD, fd, &syscall.EpollEvent{Events: want, Fd: int32(fd), Pad: int32(l.fds[fd].gen)})
}

// closeFD forgets fd and closes it, which takes it out of the epoll set.
func (l *loop) closeFD(fd int) {
	l.fds[fd] = fdRef{}
	_ = syscall.Close(fd)
}

// release takes fd out of the loop and returns it as a *net.TCPConn.
func (l *loop) release(fd int) (*net.TCPConn, error) {
	_ = syscall.EpollCtl(l.ep, syscall.EPOLL_CTL_DEL, fd, nil)
	l.fds[fd] = fdRef{}
	f := os.NewFile(uintptr(fd), "")
	c, err := net.FileConn(f)
	_ = f.Close()
	if err != nil {
		return nil, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		_ = c.Close()
		return nil, errors.New("not a TCP connection")
	}
	return tc, nil
}

func (l *loop) removeClient(c *lclient) {
	last := l.clients[len(l.clients)-1]
	l.clients[c.idx] = last
	last.idx = c.idx
	l.clients[len(l.clients)-1] = nil
	l.clients = l.clients[:len(l.clients)-1]
}

// closeClient closes c and the server connection of its request, if any.
func (l *loop) closeClient(c *lclient) {
	if c.busy && c.x.up != nil {
		l.closeFD(c.x.up.fd)
	}
	l.removeClient(c)
	l.closeFD(c.fd)
}

// handOff gives c, its request not sent, to the server loop, or with res
// set a request the loop sent (then c.in still starts with it).
func (l *loop) handOff(c *lclient, res *resumed) {
	l.removeClient(c)
	pre := c.in
	if res != nil {
		res.head = c.in[:c.x.reqLen]
		pre = c.in[c.x.reqLen:]
	}
	tc, err := l.release(c.fd)
	if err != nil {
		_ = syscall.Close(c.fd)
		if res != nil && res.up != nil {
			_ = res.up.conn.Close()
		}
		l.rt.log.Warn("event loop could not hand a connection over", "error", err)
		return
	}
	var conn net.Conn = tc
	if len(pre) > 0 {
		conn = &prefixConn{TCPConn: tc, pre: pre}
	}
	l.s.start(conn, res, false)
}

// handOver gives c's request in flight to the server loop with its server
// connection, which has sent what the loop cannot relay.
func (l *loop) handOver(c *lclient) {
	u := c.x.up
	tc, err := l.release(u.fd)
	if err != nil {
		l.closeFD(u.fd)
		l.handOff(c, &resumed{e: c.x.e, err: err})
		return
	}
	var conn net.Conn = tc
	if len(u.in) > 0 {
		conn = &prefixConn{TCPConn: tc, pre: u.in}
	}
	up := &upConn{conn: conn, bw: bufio.NewWriterSize(conn, connBufferSize), reused: u.reused}
	up.br = bufio.NewReaderSize(up, connBufferSize)
	c.x.up = nil
	l.handOff(c, &resumed{e: c.x.e, up: up})
}

// clientEvent handles readiness of a client connection.
func (l *loop) clientEvent(c *lclient, ev uint32) {
	if ev&(syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
		l.closeClient(c)
		return
	}
	if ev&syscall.EPOLLOUT != 0 && !l.flushClient(c) {
		return
	}
	if ev&syscall.EPOLLIN != 0 {
		l.readClient(c)
	}
}

func (l *loop) readClient(c *lclient) {
	if cap(c.in)-len(c.in) < readChunk {
		c.in = append(make([]byte, 0, max(2*cap(c.in), readChunk)), c.in...)
	}
	n, err := rawRead(c.fd, c.in[len(c.in):cap(c.in)])
	if err == syscall.EAGAIN {
		return
	}
	if n <= 0 {
		if err == nil && c.busy {
			// The client ended its side: if the answer takes longer than
			// watchDelay, tick cuts the request, as the server loop does.
			c.gone = true
			l.setEvents(c.fd, &c.events, c.events&^syscall.EPOLLIN)
			return
		}
		l.closeClient(c)
		return
	}
	c.in = c.in[:len(c.in)+n]
	if c.busy || len(c.out) > 0 {
		if len(c.in) >= maxClientBuffer {
			l.setEvents(c.fd, &c.events, c.events&^syscall.EPOLLIN)
		}
		return
	}
	l.next(c)
}

// next starts the request at the start of c.in, if it is complete.
func (l *loop) next(c *lclient) {
	if len(c.in) == 0 {
		if c.gone || c.closing {
			l.closeClient(c)
			return
		}
		c.deadline = l.now + int64(idleTimeout)
		return
	}
	if l.s.shutting.Load() {
		l.closeClient(c) // as the server loop: no request is read any more
		return
	}
	var r fastRequest
	switch parseFastRequest(c.in, &r) {
	case fastMore:
		if c.gone {
			l.closeClient(c)
			return
		}
		switch {
		case r.headLen > 0:
			c.deadline = 0 // a body: as the server loop, no limit once the head is in
		case c.deadline == 0 || c.deadline > l.now+int64(readHeaderTimeout):
			c.deadline = l.now + int64(readHeaderTimeout)
		}
		l.setEvents(c.fd, &c.events, syscall.EPOLLIN)
		return
	case fastHandOff:
		l.handOff(c, nil)
		return
	}
	e, path, prefix := l.route(&r)
	if e == nil {
		l.handOff(c, nil) // answered by the router: 404, 503, ...
		return
	}
	p := l.pool(e.route.Target)
	if p == nil {
		l.handOff(c, nil) // a host name: the server loop's client resolves it
		return
	}
	body := c.in[r.headLen : r.headLen+r.bodyLen]
	c.req = appendForwardedRequest(c.req[:0], &r, e.route.Target, c.ip, path, prefix, body)
	c.x = lexchange{e: e, reqLen: r.headLen + r.bodyLen, started: l.now,
		replayable: r.bodyLen == 0 && isIdempotent(unsafeString(r.method)) || r.idemKey,
		close:      r.close || l.s.shutting.Load()}
	u, err := l.get(p, c.x.replayable)
	if err != nil {
		l.handOff(c, nil) // the server loop dials again and answers 503 or 502
		return
	}
	c.busy, c.deadline = true, 0
	l.send(c, u)
}

// route finds the route of r as ServeHTTP does; it returns nil when the
// router must answer (no route, no server, closed), and the path to send.
func (l *loop) route(r *fastRequest) (e *entry, path []byte, prefix string) {
	if l.rt.closed.Load() {
		return nil, nil, ""
	}
	t := l.rt.table.Load()
	host := canonicalHost(unsafeString(r.host))
	if label, ok := l.rt.hostLabel(host); ok {
		if e = t.byHost[label]; e == nil || e.up == nil {
			return nil, nil, ""
		}
		return e, r.path, ""
	}
	project, deployment, ok := splitRoutePath(unsafeString(r.path))
	if !ok {
		return nil, nil, ""
	}
	if e = t.lookupPath(project, deployment); e == nil || e.up == nil {
		return nil, nil, ""
	}
	return e, r.path[len(e.prefix):], e.prefix
}

// pool returns the loop's pool for addr, nil when addr is not an IP
// address and port.
func (l *loop) pool(addr string) *lpool {
	if p := l.pools[addr]; p != nil {
		return p
	}
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return nil
	}
	var sa syscall.Sockaddr
	if a := ap.Addr().Unmap(); a.Is4() {
		sa = &syscall.SockaddrInet4{Addr: a.As4(), Port: int(ap.Port())}
	} else if a.Zone() == "" {
		sa = &syscall.SockaddrInet6{Addr: a.As16(), Port: int(ap.Port())}
	} else {
		return nil
	}
	p := &lpool{addr: addr, sa: sa}
	l.pools[addr] = p
	return p
}

// get returns an idle connection of p, most recently used first, or a new
// one. A request that must not be sent twice gets a pooled connection only
// when the server has not closed it.
func (l *loop) get(p *lpool, replayable bool) (*lupstream, error) {
	for n := len(p.idle); n > 0; n = len(p.idle) {
		u := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		if l.now-u.idleAt < int64(upstreamIdleTimeout) && (replayable || peekAlive(uintptr(u.fd))) {
			u.reused = true
			return u, nil
		}
		l.closeFD(u.fd)
	}
	return l.dial(p)
}

// dial starts a connection to p's address.
func (l *loop) dial(p *lpool) (*lupstream, error) {
	family := syscall.AF_INET
	if _, ok := p.sa.(*syscall.SockaddrInet6); ok {
		family = syscall.AF_INET6
	}
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1)
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, 30)
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, 30)
	err = syscall.Connect(fd, p.sa)
	u := &lupstream{fd: fd, pool: p, connecting: err == syscall.EINPROGRESS, events: syscall.EPOLLIN}
	if err != nil && !u.connecting {
		_ = syscall.Close(fd)
		return nil, err
	}
	if u.connecting {
		u.events |= syscall.EPOLLOUT
	}
	if err := l.register(fd, u.events, fdRef{u: u}); err != nil {
		_ = syscall.Close(fd)
		return nil, err
	}
	return u, nil
}

// send writes c's request on u.
func (l *loop) send(c *lclient, u *lupstream) {
	u.c, c.x.up = c, u
	u.out = c.req
	if !u.connecting {
		l.flushUpstream(u)
	}
}

// flushUpstream writes what is left of the request.
func (l *loop) flushUpstream(u *lupstream) {
	n, err := rawWrite(u.fd, u.out)
	if err != nil && err != syscall.EAGAIN {
		l.noAnswer(u.c, err)
		return
	}
	u.out = u.out[max(n, 0):]
	want := u.events &^ syscall.EPOLLOUT
	if len(u.out) > 0 {
		want |= syscall.EPOLLOUT
	}
	l.setEvents(u.fd, &u.events, want)
}

// upstreamEvent handles readiness of a server connection.
func (l *loop) upstreamEvent(u *lupstream, ev uint32) {
	c := u.c
	if c == nil { // idle: the server closed it or sent what nobody asked for
		p := u.pool
		for i, v := range p.idle {
			if v == u {
				p.idle = append(p.idle[:i], p.idle[i+1:]...)
				break
			}
		}
		l.closeFD(u.fd)
		return
	}
	if u.connecting {
		soErr, err := syscall.GetsockoptInt(u.fd, syscall.SOL_SOCKET, syscall.SO_ERROR)
		if err != nil || soErr != 0 {
			// Nothing was sent: the server loop dials again and answers.
			l.closeFD(u.fd)
			c.busy, c.x = false, lexchange{}
			l.handOff(c, nil)
			return
		}
		u.connecting = false
		l.flushUpstream(u)
		if u.c != c || !c.busy {
			return
		}
	}
	if ev&syscall.EPOLLOUT != 0 && len(u.out) > 0 {
		l.flushUpstream(u)
		if u.c != c || !c.busy {
			return
		}
	}
	if ev&(syscall.EPOLLIN|syscall.EPOLLERR|syscall.EPOLLHUP) != 0 {
		if c.x.headDone {
			l.relayBody(c, u)
		} else {
			l.readHead(c, u)
		}
	}
}

// readHead reads the answer's head and relays it with what came of the
// body, or hands the request over when the answer needs the server loop.
func (l *loop) readHead(c *lclient, u *lupstream) {
	if cap(u.in)-len(u.in) < readChunk {
		u.in = append(make([]byte, 0, max(2*cap(u.in), readChunk)), u.in...)
	}
	n, err := rawRead(u.fd, u.in[len(u.in):cap(u.in)])
	if err == syscall.EAGAIN {
		return
	}
	if n <= 0 {
		if err == nil {
			err = io.EOF
		}
		if len(u.in) == 0 {
			l.noAnswer(c, err)
		} else {
			l.handOver(c) // a cut head: the server loop answers 502
		}
		return
	}
	u.in = u.in[:len(u.in)+n]
	var r fastResponse
	switch parseFastResponse(u.in, &r) {
	case fastMore:
		return
	case fastHandOff:
		l.handOver(c)
		return
	}
	x := &c.x
	x.headDone, x.upClose = true, r.close
	c.out = appendClientResponse(c.out, &r, x.close)
	body := u.in[r.headLen:]
	if int64(len(body)) > r.length {
		body, x.upClose = body[:r.length], true // more than the answer: not reusable
	}
	c.out = append(c.out, body...)
	x.remaining = r.length - int64(len(body))
	u.in = u.in[:0]
	if !l.flushClient(c) {
		return
	}
	if x.remaining == 0 {
		l.finish(c)
	}
}

// relayBody copies body bytes from the server to the client.
func (l *loop) relayBody(c *lclient, u *lupstream) {
	x := &c.x
	n, err := rawRead(u.fd, l.buf[:min(int64(len(l.buf)), x.remaining+1)])
	if err == syscall.EAGAIN {
		return
	}
	if n <= 0 {
		l.closeClient(c) // cut: the client must not see it complete
		return
	}
	if int64(n) > x.remaining {
		n, x.upClose = int(x.remaining), true
	}
	x.remaining -= int64(n)
	c.out = append(c.out, l.buf[:n]...)
	if !l.flushClient(c) {
		return
	}
	if x.remaining == 0 {
		l.finish(c)
	}
}

// noAnswer handles a server connection that failed before the answer
// began: a request that may be sent twice, on a kept-alive connection,
// goes once more on a new one; otherwise the server loop answers 502.
func (l *loop) noAnswer(c *lclient, err error) {
	u := c.x.up
	l.closeFD(u.fd)
	c.x.up = nil
	if u.reused && c.x.replayable && !c.x.retried {
		c.x.retried = true
		if nu, derr := l.dial(u.pool); derr == nil {
			l.send(c, nu)
			return
		}
	}
	l.handOff(c, &resumed{e: c.x.e, err: noResponseError{err}})
}

// flushClient writes what is pending to the client; with the answer
// waiting to be written it stops reading the server. It reports false
// when the client is gone (and closed).
func (l *loop) flushClient(c *lclient) bool {
	if len(c.out) > 0 {
		n, err := rawWrite(c.fd, c.out)
		if err != nil && err != syscall.EAGAIN {
			l.closeClient(c)
			return false
		}
		n = max(n, 0)
		c.out = c.out[:copy(c.out, c.out[n:])]
	}
	pending := len(c.out) > 0
	want := c.events &^ syscall.EPOLLOUT
	if pending {
		want |= syscall.EPOLLOUT
	}
	l.setEvents(c.fd, &c.events, want)
	if c.busy && c.x.headDone && c.x.up != nil {
		u := c.x.up
		want := u.events | syscall.EPOLLIN
		if pending {
			want &^= syscall.EPOLLIN
		}
		l.setEvents(u.fd, &u.events, want)
	}
	if !pending && !c.busy {
		if c.closing {
			l.closeClient(c)
			return false
		}
		if !c.gone {
			l.setEvents(c.fd, &c.events, syscall.EPOLLIN)
		}
		l.next(c)
		return c.live(l)
	}
	return true
}

// live reports whether c is still one of l's connections.
func (c *lclient) live(l *loop) bool {
	return c.idx < len(l.clients) && l.clients[c.idx] == c
}

// finish ends the exchange whose answer is all in c.out: the server
// connection goes back to the pool, and the next request starts once the
// answer is written.
func (l *loop) finish(c *lclient) {
	x := &c.x
	u := x.up
	if x.upClose || l.s.shutting.Load() {
		l.closeFD(u.fd)
	} else {
		u.c, u.idleAt, u.out = nil, l.now, nil
		l.setEvents(u.fd, &u.events, syscall.EPOLLIN)
		if p := l.pools[u.pool.addr]; p == u.pool && len(p.idle) < maxIdlePerServer {
			p.idle = append(p.idle, u)
		} else {
			l.closeFD(u.fd)
		}
	}
	c.in = c.in[:copy(c.in, c.in[x.reqLen:])]
	c.closing = c.closing || x.close
	c.busy, c.x = false, lexchange{}
	l.flushClient(c)
}

// rawRead and rawWrite read and write a non-blocking socket: they never
// block, so they skip the scheduler's system call bookkeeping.
func rawRead(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}

func rawWrite(fd int, p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n, _, errno := syscall.RawSyscall(syscall.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)))
	if errno != 0 {
		return -1, errno
	}
	return int(n), nil
}
