package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// server is the HTTP/1.1 server loop Serve runs: one goroutine per client
// connection, requests parsed by http.ReadRequest, responses written
// straight to the connection's buffer. Unlike net/http's server it starts
// no goroutine per request: a client that goes away during a request is
// noticed by a read started only when the request has taken longer than
// watchDelay, and by the next write.
type server struct {
	rt      *Router
	l       net.Listener
	baseCtx context.Context // cancelled when what is left must be cut
	// config describes the server's settings to code that looks for a
	// net/http server in a request's context (http.ServerContextKey):
	// httputil.ReverseProxy and forward abort a cut response with a panic
	// only under a server that recovers it, which they tell by this key.
	config *http.Server

	// loops are the event loops that serve plain requests themselves
	// (Linux; see loop_linux.go), nil when requests are all served here.
	loops *loops

	mu       sync.Mutex
	conns    map[*srvConn]struct{}
	active   sync.WaitGroup // connection goroutines and event loops
	shutting atomic.Bool
	closed   atomic.Bool
}

// Connection states.
const (
	stateIdle int32 = iota
	stateActive
	stateClosed
	stateHijacked
)

// Limits of client connections.
const (
	// maxRequestHeaderBytes bounds a request line and headers, as
	// net/http's DefaultMaxHeaderBytes does.
	maxRequestHeaderBytes = 1<<20 + 4096
	// watchDelay is how long a request runs before a read on its client
	// connection watches for the client going away.
	watchDelay = 50 * time.Millisecond
	// maxDrainBytes is how much of a request body the handler left unread
	// is read to keep the connection; beyond it the connection closes.
	maxDrainBytes = 256 << 10
	// rstAvoidanceDelay is how long a connection closing with request
	// bytes unread stays half-open, as in net/http.
	rstAvoidanceDelay = 500 * time.Millisecond
)

// srvConn is one client connection.
type srvConn struct {
	s      *server
	c      net.Conn
	br     *bufio.Reader // reads through limit
	bw     *bufio.Writer
	limit  int64 // bytes reads may return; see Read
	remote string
	ctx    context.Context // cancelled when the client is gone or the server cuts connections
	cancel context.CancelFunc
	state  atomic.Int32

	watchMu  sync.Mutex
	watching chan struct{} // closed when the watching read returns; nil when none runs
	watch    *time.Timer
	stopped  bool   // no watching read may start
	request  uint64 // counts requests; a watch armed for an earlier one is ignored

	// unread is set when the connection closes with request bytes unread:
	// closing it at once could make the kernel reset it before the client
	// has read the answer.
	unread bool
}

// Read reads from the client, at most limit bytes in all.
func (sc *srvConn) Read(p []byte) (int, error) {
	if sc.limit <= 0 {
		return 0, errRequestHeaderTooLarge
	}
	if int64(len(p)) > sc.limit {
		p = p[:sc.limit]
	}
	n, err := sc.c.Read(p)
	sc.limit -= int64(n)
	return n, err
}

var errRequestHeaderTooLarge = errors.New("request headers too large")

// serve accepts connections until the listener fails or closes.
func (s *server) serve() error {
	var backoff time.Duration
	for {
		c, err := s.l.Accept()
		if err != nil {
			// Out of file descriptors and the like: wait and try again, as
			// net/http does.
			var temp interface{ Temporary() bool }
			if errors.As(err, &temp) && temp.Temporary() && !s.shutting.Load() {
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.rt.log.Warn("accept failed; retrying", "error", err, "in", backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		tc, ok := c.(*net.TCPConn)
		if ok {
			_ = tc.SetKeepAlive(true)
			_ = tc.SetKeepAlivePeriod(3 * time.Minute)
			if s.loops != nil && s.loops.take(tc) {
				continue
			}
		}
		s.start(c, nil, true)
	}
}

// start serves c in a goroutine of its own, the resumed request first
// when res is set. With fresh set (a new connection) it closes c instead
// once the server is shutting down.
func (s *server) start(c net.Conn, res *resumed, fresh bool) {
	sc := &srvConn{s: s, c: c, remote: c.RemoteAddr().String(), limit: 1<<63 - 1}
	sc.ctx, sc.cancel = context.WithCancel(s.baseCtx)
	sc.ctx = context.WithValue(sc.ctx, http.ServerContextKey, s.config)
	sc.br = bufio.NewReaderSize(sc, connBufferSize)
	sc.bw = bufio.NewWriterSize(c, connBufferSize)
	s.mu.Lock()
	if fresh && s.shutting.Load() || s.closed.Load() {
		s.mu.Unlock()
		_ = c.Close()
		if res != nil && res.up != nil {
			_ = res.up.conn.Close()
		}
		return
	}
	s.conns[sc] = struct{}{}
	s.active.Add(1)
	s.mu.Unlock()
	go sc.serve(res)
}

// closeIdle closes the connections waiting for a request.
func (s *server) closeIdle() {
	s.loops.signal()
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc := range s.conns {
		if sc.state.CompareAndSwap(stateIdle, stateClosed) {
			_ = sc.c.Close()
		}
	}
}

// closeAll closes every connection, hijacked ones too.
func (s *server) closeAll() {
	s.loops.cut()
	s.mu.Lock()
	defer s.mu.Unlock()
	for sc := range s.conns {
		sc.state.Store(stateClosed)
		_ = sc.c.Close()
		sc.cancel()
	}
}

// serve reads requests and answers them until the connection ends,
// starting with res, a request the event loop began, when it is set.
func (sc *srvConn) serve(res *resumed) {
	s := sc.s
	defer func() {
		sc.cancel()
		if sc.state.Load() != stateHijacked {
			if tc, ok := sc.c.(interface{ CloseWrite() error }); ok && sc.unread && !s.shutting.Load() {
				// As net/http does: end our side, give the client time to
				// read the answer, then close.
				_ = tc.CloseWrite()
				time.Sleep(rstAvoidanceDelay)
			}
			_ = sc.c.Close()
		}
		s.mu.Lock()
		delete(s.conns, sc)
		s.mu.Unlock()
		s.active.Done()
	}()
	if res != nil {
		sc.state.Store(stateActive)
		req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(res.head)))
		if err != nil { // cannot happen: the loop parsed it
			s.rt.log.Error("event loop handed over a request net/http cannot read", "error", err)
			_ = res.up.conn.Close()
			return
		}
		req.Body = http.NoBody // sent already
		if !sc.handle(req, func(w http.ResponseWriter, req *http.Request) { s.rt.resume(w, req, res) }) {
			return
		}
	}
	for {
		if !sc.state.CompareAndSwap(stateActive, stateIdle) && sc.state.Load() != stateIdle {
			return
		}
		if s.shutting.Load() {
			return
		}
		if sc.br.Buffered() == 0 {
			_ = sc.c.SetReadDeadline(time.Now().Add(idleTimeout))
			if _, err := sc.br.Peek(1); err != nil {
				return
			}
		}
		if !sc.state.CompareAndSwap(stateIdle, stateActive) {
			return // closed while idle
		}
		_ = sc.c.SetReadDeadline(time.Now().Add(readHeaderTimeout))
		sc.limit = maxRequestHeaderBytes
		req, err := http.ReadRequest(sc.br)
		sc.limit = 1<<63 - 1
		if err != nil {
			sc.badRequest(err)
			return
		}
		_ = sc.c.SetReadDeadline(time.Time{})
		if code, msg := checkRequest(req); code != 0 {
			sc.writeRaw(code, msg)
			return
		}
		if !sc.handle(req, s.rt.ServeHTTP) {
			return
		}
	}
}

// badRequest answers a request that could not be parsed, as net/http does.
func (sc *srvConn) badRequest(err error) {
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.As(err, &ne):
		// The client went away or was too slow: nobody to answer.
	case errors.Is(err, errRequestHeaderTooLarge):
		sc.writeRaw(http.StatusRequestHeaderFieldsTooLarge, "request headers too large")
		sc.unread = true // the rest of the headers
	case strings.Contains(err.Error(), "unsupported transfer encoding"):
		sc.writeRaw(http.StatusNotImplemented, "unsupported transfer encoding")
	default:
		sc.writeRaw(http.StatusBadRequest, "malformed request")
	}
}

// checkRequest applies the rules net/http's server adds to ReadRequest's:
// HTTP/1.x only, a valid Host on HTTP/1.1, header names and values without
// forbidden bytes, an Expect it can meet.
func checkRequest(req *http.Request) (int, string) {
	if req.ProtoMajor != 1 {
		return http.StatusHTTPVersionNotSupported, "unsupported protocol version"
	}
	// ReadRequest has refused several Host headers and moved the one to
	// req.Host (the request-target's host wins, as RFC 9112 says).
	switch {
	case req.ProtoAtLeast(1, 1) && req.Host == "" && req.Method != http.MethodConnect:
		return http.StatusBadRequest, "missing required Host header"
	case !isHost(req.Host):
		return http.StatusBadRequest, "malformed Host header"
	}
	for k, vv := range req.Header {
		if !isToken(k) {
			return http.StatusBadRequest, "invalid header name"
		}
		for _, v := range vv {
			if !isFieldValue(v) {
				return http.StatusBadRequest, "invalid header value"
			}
		}
	}
	if e := req.Header["Expect"]; len(e) > 0 && !(len(e) == 1 && strings.EqualFold(e[0], "100-continue") && req.ProtoAtLeast(1, 1)) {
		return http.StatusExpectationFailed, "unsupported Expect"
	}
	return 0, ""
}

// isHost reports whether h can be a Host header: the bytes of a host name,
// an IP address (IPv6 in brackets) and a port.
func isHost(h string) bool {
	for i := 0; i < len(h); i++ {
		c := h[i]
		if c >= 0x80 || !hostChars[c] {
			return false
		}
	}
	return true
}

var hostChars = func() (t [128]bool) {
	for c := range 128 {
		t[c] = tokenChars[c]
	}
	for _, c := range "[]:" {
		t[c] = true
	}
	return t
}()

// writeRaw answers an error before any handler ran and closes the
// connection, as net/http does for requests it cannot read.
func (sc *srvConn) writeRaw(code int, msg string) {
	body := strconv.Itoa(code) + " " + http.StatusText(code) + ": " + msg
	_ = sc.c.SetWriteDeadline(time.Now().Add(readHeaderTimeout))
	_, _ = fmt.Fprintf(sc.bw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		code, http.StatusText(code), len(body), body)
	_ = sc.bw.Flush()
}

// handle runs serve (the router) on req and finishes the response; it
// reports whether the connection can read another request.
func (sc *srvConn) handle(req *http.Request, serve http.HandlerFunc) (keep bool) {
	req.RemoteAddr = sc.remote
	req = req.WithContext(sc.ctx)
	w := &response{sc: sc, req: req, header: make(http.Header, 8), contentLength: -1}
	sc.watchMu.Lock()
	n := sc.request
	sc.watchMu.Unlock()
	var body *requestBody
	if req.Body != http.NoBody {
		body = &requestBody{ReadCloser: req.Body, w: w, n: n}
		body.expect.Store(len(req.Header["Expect"]) > 0)
		req.Body = body
	} else {
		sc.startWatch(n)
	}
	delete(req.Header, "Expect")
	defer func() {
		sc.stopWatch(true)
		if v := recover(); v != nil {
			if v != http.ErrAbortHandler {
				sc.s.rt.log.Error("panic serving a request", "method", req.Method, "path", req.URL.Path, "panic", v)
			}
			keep = false
		}
	}()
	serve(w, req)
	sc.stopWatch(true)
	if w.hijacked {
		return false
	}
	if !w.finish() || req.Close || w.closeAfter || sc.ctx.Err() != nil {
		return false
	}
	if body != nil && (body.expect.Load() || body.aborted.Load()) {
		// The client still waits for 100 Continue, or the rest of its body
		// was refused.
		sc.unread = body.aborted.Load()
		return false
	}
	// What the handler left of the body is read, up to a limit, so that
	// the next request starts where it should.
	if body != nil && !body.eof.Load() {
		n, err := io.CopyN(io.Discard, body.ReadCloser, maxDrainBytes+1)
		if n > maxDrainBytes || err != io.EOF {
			sc.unread = true
			return false
		}
	}
	return true
}

// startWatch arms a read of the client connection after watchDelay, which
// cancels the connection's context when the client goes away. It is only
// used once the body of request number n has been read, so that nothing
// else reads the connection meanwhile; once that request is over (a body
// reader of a custom Transport may outlive it) it does nothing.
func (sc *srvConn) startWatch(n uint64) {
	sc.watchMu.Lock()
	defer sc.watchMu.Unlock()
	if n != sc.request {
		return
	}
	sc.stopped = false
	if sc.watch == nil {
		sc.watch = time.AfterFunc(watchDelay, sc.watchRead)
	} else {
		sc.watch.Reset(watchDelay)
	}
}

func (sc *srvConn) watchRead() {
	sc.watchMu.Lock()
	if sc.watching != nil || sc.stopped {
		sc.watchMu.Unlock()
		return
	}
	done := make(chan struct{})
	sc.watching = done
	sc.watchMu.Unlock()
	defer close(done)
	if _, err := sc.br.Peek(1); err != nil {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			sc.cancel() // the client is gone
		}
	}
}

// stopWatch stops the watch and waits for a watching read to return; the
// read's bytes, a next request, stay in the buffer. With end set, the
// current request is over: nothing may arm a watch for it any more.
func (sc *srvConn) stopWatch(end bool) {
	sc.watchMu.Lock()
	sc.stopped = true
	if end {
		sc.request++
	}
	if sc.watch != nil {
		sc.watch.Stop()
	}
	done := sc.watching
	sc.watchMu.Unlock()
	if done == nil {
		return
	}
	_ = sc.c.SetReadDeadline(aLongTimeAgo)
	<-done
	_ = sc.c.SetReadDeadline(time.Time{})
	sc.watchMu.Lock()
	sc.watching = nil
	sc.watchMu.Unlock()
}

// requestBody sends 100 Continue before the first read when the client
// expects it, and starts the watch once the body is read.
type requestBody struct {
	io.ReadCloser
	w       *response
	n       uint64      // the request's number on its connection
	expect  atomic.Bool // the client waits for 100 Continue
	eof     atomic.Bool // read to its end
	aborted atomic.Bool // abort was called: the connection closes after the response
}

// abort makes a read of the body that waits for the client return at once
// with an error, and the connection close after the response: the router
// stops sending a body the server no longer wants.
func (b *requestBody) abort() {
	if !b.eof.Load() {
		b.aborted.Store(true)
		_ = b.w.sc.c.SetReadDeadline(aLongTimeAgo)
	}
}

func (b *requestBody) Read(p []byte) (int, error) {
	if b.expect.Load() {
		// Under the response's lock: a streamed body is read by another
		// goroutine than the one writing the response.
		w := b.w
		w.mu.Lock()
		if b.expect.Swap(false) && !w.wroteHeader && !w.hijacked {
			_, _ = w.sc.bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
			w.fail(w.sc.bw.Flush())
		}
		err := w.failed
		w.mu.Unlock()
		if err != nil {
			return 0, err
		}
	}
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.eof.Swap(true) {
		b.w.sc.startWatch(b.n)
	}
	return n, err
}

// response is the http.ResponseWriter of the server loop: the status line
// and headers go to the connection's buffer at WriteHeader, bodies of
// unknown length are sent chunked (HTTP/1.0: until the connection closes).
type response struct {
	mu            sync.Mutex // held while writing to the connection, which a body reader may do (100 Continue)
	sc            *srvConn
	req           *http.Request
	header        http.Header
	wroteHeader   bool
	noBody        bool // HEAD, 204, 304
	chunked       bool
	closeAfter    bool
	contentLength int64 // -1 when unknown
	written       int64
	hijacked      bool
	failed        error
}

var (
	_ http.ResponseWriter = (*response)(nil)
	_ http.Flusher        = (*response)(nil)
	_ http.Hijacker       = (*response)(nil)
)

func (w *response) Header() http.Header { return w.header }

func (w *response) WriteHeader(code int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writeHeader(code)
}

func (w *response) writeHeader(code int) {
	if w.wroteHeader || w.hijacked {
		return
	}
	if code < 100 || code > 999 {
		panic(fmt.Sprintf("invalid WriteHeader code %v", code))
	}
	bw := w.sc.bw
	if code < 200 && code != http.StatusSwitchingProtocols {
		w.writeStatus(code)
		w.writeFields(false)
		bw.WriteString("\r\n")
		w.fail(bw.Flush())
		return
	}
	w.wroteHeader = true
	w.noBody = w.req.Method == http.MethodHead || code == http.StatusNoContent || code == http.StatusNotModified || code < 200
	if cl := w.header["Content-Length"]; len(cl) == 1 {
		if n, err := strconv.ParseInt(cl[0], 10, 64); err == nil && n >= 0 {
			w.contentLength = n
		} else {
			delete(w.header, "Content-Length")
		}
	} else if len(cl) > 1 {
		delete(w.header, "Content-Length")
	}
	switch {
	case w.noBody || w.contentLength >= 0:
	case w.req.ProtoAtLeast(1, 1):
		w.chunked = true
	default:
		w.closeAfter = true // HTTP/1.0: the body ends with the connection
	}
	if w.req.Close || w.sc.s.shutting.Load() {
		w.closeAfter = true
	}
	w.writeStatus(code)
	w.writeFields(false)
	if _, ok := w.header["Date"]; !ok {
		bw.WriteString("Date: ")
		bw.WriteString(httpDate())
		bw.WriteString("\r\n")
	}
	if w.chunked {
		bw.WriteString("Transfer-Encoding: chunked\r\n")
	}
	switch {
	case w.closeAfter:
		bw.WriteString("Connection: close\r\n")
	case !w.req.ProtoAtLeast(1, 1):
		bw.WriteString("Connection: keep-alive\r\n")
	}
	bw.WriteString("\r\n")
}

func (w *response) writeStatus(code int) {
	bw := w.sc.bw
	bw.WriteString("HTTP/1.1 ")
	bw.WriteString(strconv.Itoa(code))
	bw.WriteByte(' ')
	bw.WriteString(statusText(code))
	bw.WriteString("\r\n")
}

// statusText is the reason phrase the server writes for code.
func statusText(code int) string {
	if text := http.StatusText(code); text != "" {
		return text
	}
	return "status code " + strconv.Itoa(code)
}

// writeFields writes the header (or, with trailers set, the trailer)
// fields of w.header, leaving out those no client may be sent.
func (w *response) writeFields(trailers bool) {
	bw := w.sc.bw
	declared := w.header["Trailer"]
	for k, vv := range w.header {
		name := k
		if isTrailer := strings.HasPrefix(k, http.TrailerPrefix) || hasToken(declared, k); isTrailer != trailers {
			continue
		}
		if trailers {
			name = strings.TrimPrefix(k, http.TrailerPrefix)
		} else if k == "Connection" || k == "Transfer-Encoding" || k == "Keep-Alive" {
			continue // the server's own
		}
		if !isToken(name) {
			continue
		}
		for _, v := range vv {
			if !isFieldValue(v) {
				continue
			}
			bw.WriteString(name)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
}

func (w *response) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hijacked {
		return 0, http.ErrHijacked
	}
	if !w.wroteHeader {
		w.writeHeader(http.StatusOK)
	}
	if w.failed != nil {
		return 0, w.failed
	}
	if w.noBody || len(p) == 0 {
		return len(p), nil
	}
	if w.contentLength >= 0 && w.written+int64(len(p)) > w.contentLength {
		return 0, http.ErrContentLength
	}
	w.written += int64(len(p))
	bw := w.sc.bw
	if w.chunked {
		bw.WriteString(strconv.FormatInt(int64(len(p)), 16))
		bw.WriteString("\r\n")
	}
	n, err := bw.Write(p)
	if w.chunked && err == nil {
		_, err = bw.WriteString("\r\n")
	}
	w.fail(err)
	return n, err
}

// FlushError sends what is buffered to the client.
func (w *response) FlushError() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hijacked {
		return http.ErrHijacked
	}
	if !w.wroteHeader {
		w.writeHeader(http.StatusOK)
	}
	if w.failed != nil {
		return w.failed
	}
	err := w.sc.bw.Flush()
	w.fail(err)
	return err
}

// Flush sends what is buffered to the client.
func (w *response) Flush() { _ = w.FlushError() }

func (w *response) fail(err error) {
	if err != nil && w.failed == nil {
		w.failed = err
		w.closeAfter = true
	}
}

// Hijack hands the connection to the handler (protocol upgrades).
func (w *response) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.hijacked {
		return nil, nil, http.ErrHijacked
	}
	if w.wroteHeader {
		return nil, nil, errors.New("hijack after the response started")
	}
	w.sc.stopWatch(false)
	if !w.sc.state.CompareAndSwap(stateActive, stateHijacked) {
		return nil, nil, errors.New("the connection is closing")
	}
	w.hijacked = true
	return w.sc.c, bufio.NewReadWriter(w.sc.br, w.sc.bw), nil
}

// finish ends the response and reports whether it went out whole.
func (w *response) finish() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.wroteHeader {
		w.writeHeader(http.StatusOK)
	}
	if w.failed != nil {
		return false
	}
	if w.chunked {
		bw := w.sc.bw
		bw.WriteString("0\r\n")
		w.writeFields(true)
		bw.WriteString("\r\n")
	}
	if w.contentLength >= 0 && !w.noBody && w.written != w.contentLength {
		w.closeAfter = true // the client cannot tell where this response ends
	}
	if err := w.sc.bw.Flush(); err != nil {
		return false
	}
	return !w.closeAfter
}

// httpDate is the current time as a Date header, computed once a second.
func httpDate() string {
	now := time.Now().Unix()
	if d := cachedDate.Load(); d != nil && d.unix == now {
		return d.text
	}
	d := &dateText{unix: now, text: time.Unix(now, 0).UTC().Format(http.TimeFormat)}
	cachedDate.Store(d)
	return d.text
}

type dateText struct {
	unix int64
	text string
}

var cachedDate atomic.Pointer[dateText]

// prefixConn is a connection the event loop hands over with bytes it has
// read from it already: reads return those first.
type prefixConn struct {
	*net.TCPConn
	pre []byte
}

func (c *prefixConn) Read(p []byte) (int, error) {
	if len(c.pre) == 0 {
		return c.TCPConn.Read(p)
	}
	n := copy(p, c.pre)
	c.pre = c.pre[n:]
	return n, nil
}

// resumed is a request the event loop sent to a deployed server and hands
// over with its answer, which needs more than the loop does (a chunked or
// unframed body, 1xx, trailers, a malformed head), or with the error that
// kept the answer from coming.
type resumed struct {
	head []byte  // the request as the client sent it, head and body
	e    *entry  // its route
	up   *upConn // the server connection, what the loop read of it first; nil with err
	err  error   // a failure before any answer
}
