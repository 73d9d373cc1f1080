package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
)

// FaultProxy is a TCP forwarder for tests that stands between a client and
// a shared server (PostgreSQL, Redis, an HTTP file store) and can be cut and
// restored. From the client's side a cut looks like a restart of the
// server: every open connection is reset, and new connections are reset as
// soon as they are accepted (or, with Hold, left waiting without an answer,
// as behind a network partition) until Restore. The server itself is never
// touched, so other tests sharing it are not disturbed.
type FaultProxy struct {
	l      net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	hold  bool
	open  map[net.Conn]struct{} // both sides of every forwarded connection
	held  []net.Conn            // accepted during a held cut, forwarded on Restore
	conns int                   // connections accepted so far
	wg    sync.WaitGroup
}

// NewFaultProxy starts a proxy on a loopback port forwarding to target
// (host:port); it is closed when the test ends.
func NewFaultProxy(t testing.TB, target string) *FaultProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: fault proxy: listen: %v", err)
	}
	p := &FaultProxy{l: l, target: target, open: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

// Addr is the host:port clients dial instead of the target.
func (p *FaultProxy) Addr() string { return p.l.Addr().String() }

// Accepted reports how many connections the proxy accepted so far.
func (p *FaultProxy) Accepted() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.conns
}

// Cut resets every open connection and every new one until Restore.
func (p *FaultProxy) Cut() { p.cutWith(false) }

// Hold resets every open connection and leaves new ones unanswered (no
// byte forwarded either way) until Restore, which then forwards them.
func (p *FaultProxy) Hold() { p.cutWith(true) }

func (p *FaultProxy) cutWith(hold bool) {
	p.mu.Lock()
	p.cut, p.hold = true, hold
	open := p.open
	p.open = map[net.Conn]struct{}{}
	p.mu.Unlock()
	for c := range open {
		reset(c)
	}
}

// Restore forwards new connections again (and those held since Hold).
func (p *FaultProxy) Restore() {
	p.mu.Lock()
	p.cut, p.hold = false, false
	held := p.held
	p.held = nil
	p.mu.Unlock()
	for _, c := range held {
		p.forward(c)
	}
}

// reset closes c with an RST rather than a FIN, as a crashed server's
// kernel would answer.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

func (p *FaultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		p.conns++
		cut, hold := p.cut, p.hold
		if cut && hold {
			p.held = append(p.held, c)
		}
		p.mu.Unlock()
		switch {
		case cut && hold:
		case cut:
			reset(c)
		default:
			p.forward(c)
		}
	}
}

// forward connects c to the target and copies both ways until either side
// ends or a cut resets them.
func (p *FaultProxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		reset(c)
		return
	}
	p.mu.Lock()
	if p.cut { // cut while dialling
		p.mu.Unlock()
		reset(c)
		reset(s)
		return
	}
	p.open[c], p.open[s] = struct{}{}, struct{}{}
	p.mu.Unlock()
	done := func() {
		p.mu.Lock()
		delete(p.open, c)
		delete(p.open, s)
		p.mu.Unlock()
		_ = c.Close()
		_ = s.Close()
	}
	var once sync.Once
	var mu sync.Mutex
	ended := 0
	p.wg.Add(2)
	for _, pair := range [][2]net.Conn{{s, c}, {c, s}} {
		go func() {
			defer p.wg.Done()
			_, err := io.Copy(pair[0], pair[1])
			if tc, ok := pair[0].(*net.TCPConn); ok && err == nil {
				// A clean end one way: pass the FIN on and let the other
				// direction finish.
				_ = tc.CloseWrite()
				mu.Lock()
				ended++
				both := ended == 2
				mu.Unlock()
				if !both {
					return
				}
			}
			once.Do(done)
		}()
	}
}

func (p *FaultProxy) close() {
	_ = p.l.Close()
	p.mu.Lock()
	p.cut = true
	open, held := p.open, p.held
	p.open, p.held = map[net.Conn]struct{}{}, nil
	p.mu.Unlock()
	for c := range open {
		reset(c)
	}
	for _, c := range held {
		reset(c)
	}
	p.wg.Wait()
}
