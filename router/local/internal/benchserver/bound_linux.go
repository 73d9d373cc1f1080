package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"runtime"
	"strconv"
	"syscall"
)

// runBound runs -role bound: not a proxy anyone should use, but a measure of
// what the least a Go proxy can do costs on this machine, so that wrk.sh
// can show how far an event loop could take the router. One thread runs an
// epoll loop (level-triggered, one read per readiness, as nginx reads) over
// the client connections and one upstream connection pinned to each; it
// reads a request head, adds X-Forwarded-* as the nginx configuration of
// wrk.sh does, writes it to the backend, reads the answer's head and its
// Content-Length body and writes them back. It parses nothing else: no
// routing, no request bodies, no chunked or unframed answers, no
// timeouts; a connection that sends what it cannot handle is closed.
func runBound(ctx context.Context, backend string) error {
	if backend == "" {
		return errors.New("-role bound needs -backend host:port")
	}
	ap, err := netip.ParseAddrPort(backend)
	if err != nil || !ap.Addr().Is4() {
		return fmt.Errorf("-backend %q: want an IPv4 address and port", backend)
	}
	up := &syscall.SockaddrInet4{Addr: ap.Addr().As4(), Port: int(ap.Port())}
	runtime.LockOSThread()

	lfd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(lfd)
	if err := syscall.Bind(lfd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	if err := syscall.Listen(lfd, 1024); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	sa, err := syscall.Getsockname(lfd)
	if err != nil {
		return fmt.Errorf("getsockname: %w", err)
	}
	ep, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return fmt.Errorf("epoll: %w", err)
	}
	defer syscall.Close(ep)
	if err := syscall.EpollCtl(ep, syscall.EPOLL_CTL_ADD, lfd, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(lfd)}); err != nil {
		return fmt.Errorf("epoll_ctl: %w", err)
	}
	fmt.Printf("routed http://127.0.0.1:%d/api/agents bench.localhost\n", sa.(*syscall.SockaddrInet4).Port)

	b := &bound{ep: ep, up: up, conns: map[int]*boundConn{}, buf: make([]byte, 64<<10)}
	defer b.closeAll()
	events := make([]syscall.EpollEvent, 256)
	for ctx.Err() == nil {
		n, err := syscall.EpollWait(ep, events, 200)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("epoll_wait: %w", err)
		}
		for _, ev := range events[:n] {
			if fd := int(ev.Fd); fd == lfd {
				b.accept(lfd)
			} else if c := b.conns[fd]; c != nil {
				b.readable(c, fd)
			}
		}
	}
	return nil
}

// bound is the loop's state.
type bound struct {
	ep    int
	up    *syscall.SockaddrInet4
	conns map[int]*boundConn // by client and by upstream fd
	buf   []byte
}

// boundConn is a client connection and its upstream connection (0 until
// the first request).
type boundConn struct {
	client, upstream int
	in, out          []byte // what the client and the backend sent, not yet handled
	req              []byte
	waiting          bool // a request is at the backend
}

func (b *bound) accept(lfd int) {
	for {
		fd, _, err := syscall.Accept4(lfd, syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
		if err != nil {
			return
		}
		_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		if b.add(fd) != nil {
			_ = syscall.Close(fd)
			continue
		}
		b.conns[fd] = &boundConn{client: fd}
	}
}

func (b *bound) add(fd int) error {
	return syscall.EpollCtl(b.ep, syscall.EPOLL_CTL_ADD, fd, &syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP, Fd: int32(fd)})
}

func (b *bound) close(c *boundConn) {
	for _, fd := range []int{c.client, c.upstream} {
		if fd > 0 {
			delete(b.conns, fd)
			_ = syscall.Close(fd)
		}
	}
}

func (b *bound) closeAll() {
	for _, c := range b.conns {
		b.close(c)
	}
}

// readable reads once from fd, one of c's connections, and moves what is
// complete on.
func (b *bound) readable(c *boundConn, fd int) {
	n, err := syscall.Read(fd, b.buf)
	if errors.Is(err, syscall.EAGAIN) {
		return
	}
	if n <= 0 {
		b.close(c)
		return
	}
	if fd == c.client {
		c.in = append(c.in, b.buf[:n]...)
	} else {
		c.out = append(c.out, b.buf[:n]...)
	}
	if !b.relay(c) {
		b.close(c)
	}
}

// relay answers the client when the backend's answer is whole, then sends
// the next request when one is whole; it reports false when the
// connections must close.
func (b *bound) relay(c *boundConn) bool {
	if c.waiting {
		end := bytes.Index(c.out, crlfcrlf)
		if end < 0 {
			return true
		}
		length, ok := contentLength(c.out[:end+2])
		if !ok {
			return false
		}
		whole := end + 4 + length
		if len(c.out) < whole {
			return true
		}
		if !writeAll(c.client, c.out[:whole]) {
			return false
		}
		c.out = c.out[:copy(c.out, c.out[whole:])]
		c.waiting = false
	}
	end := bytes.Index(c.in, crlfcrlf)
	if end < 0 {
		return true
	}
	if _, ok := field(c.in[:end+2], "content-length:"); ok {
		return false // a request body
	}
	if _, ok := field(c.in[:end+2], "transfer-encoding:"); ok {
		return false // a request body
	}
	c.req = append(append(c.req[:0], c.in[:end+2]...), forwarded...)
	c.in = c.in[:copy(c.in, c.in[end+4:])]
	if c.upstream == 0 {
		fd, err := b.dial()
		if err != nil {
			return false
		}
		c.upstream = fd
		b.conns[fd] = c
	}
	c.waiting = true
	return writeAll(c.upstream, c.req)
}

var (
	crlfcrlf  = []byte("\r\n\r\n")
	forwarded = []byte("X-Forwarded-For: 127.0.0.1\r\nX-Forwarded-Host: bench.localhost\r\nX-Forwarded-Proto: http\r\n\r\n")
)

// dial connects to the backend (blocking: once per client connection) and
// adds the connection to the loop.
func (b *bound) dial() (int, error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return 0, err
	}
	if err = syscall.Connect(fd, b.up); err == nil {
		err = syscall.SetNonblock(fd, true)
	}
	if err == nil {
		_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		err = b.add(fd)
	}
	if err != nil {
		_ = syscall.Close(fd)
		return 0, err
	}
	return fd, nil
}

// writeAll writes p whole; a short write (a full socket buffer, which
// small answers on loopback do not meet) fails.
func writeAll(fd int, p []byte) bool {
	n, err := syscall.Write(fd, p)
	return err == nil && n == len(p)
}

// contentLength reads the Content-Length of a head ending in CRLF.
func contentLength(head []byte) (int, bool) {
	v, ok := field(head, "content-length:")
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(string(v))
	return n, err == nil && n >= 0
}

// field finds the value of the field name (lower case, with its colon) in a
// head ending in CRLF, ignoring case.
func field(head []byte, name string) ([]byte, bool) {
	for line := range bytes.SplitSeq(head, []byte("\r\n")) {
		if len(line) >= len(name) && bytes.EqualFold(line[:len(name)], []byte(name)) {
			return bytes.TrimSpace(line[len(name):]), true
		}
	}
	return nil, false
}
