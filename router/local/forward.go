package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// maxBufferedBody is the largest request body of known length that is read
// whole before the request is sent: it goes out with the headers in one
// write and can be sent again on a new connection when a kept-alive one
// turns out closed. Longer bodies, and bodies of unknown length, are
// streamed while the response is read.
const maxBufferedBody = 64 << 10

// errBadRequest marks request errors that are the client's fault.
var errBadRequest = errors.New("bad request")

// forward sends req to e's server over a pooled HTTP/1.1 connection and
// copies the response to w. path is the escaped path to send (the route's
// prefix already removed); prefix is that prefix for a path-routed
// request, "" for a host-routed one.
//
// This is the router's own proxy path for everything but protocol
// upgrades: one goroutine per request (two while a streamed request body
// is sent), no copy of the request, headers written straight from the
// client's request to the connection's buffer.
func (rt *Router) forward(w http.ResponseWriter, req *http.Request, e *entry, path, prefix string) {
	ctx := req.Context()
	var body []byte // a buffered request body
	streamed := false
	switch {
	case req.Body == nil || req.Body == http.NoBody || req.ContentLength == 0:
	case req.ContentLength > 0 && req.ContentLength <= maxBufferedBody:
		bp := rt.bodies.Get().(*[]byte)
		defer rt.bodies.Put(bp)
		body = (*bp)[:req.ContentLength]
		if _, err := io.ReadFull(req.Body, body); err != nil {
			rt.requestError(w, req, e, fmt.Errorf("read request body: %w", err))
			return
		}
	default:
		streamed = true
	}
	t := target{path: path, query: req.URL.RawQuery, prefix: prefix}
	if t.path == "" {
		t.path = "/"
	}
	if t.query != "" {
		t.query = cleanQuery(t.query)
	}
	replayable := !streamed && (body == nil && isIdempotent(req.Method) || hasIdempotencyKey(req.Header))

	for attempt := 0; ; attempt++ {
		var c *upConn
		var err error
		if attempt == 0 {
			c, err = e.up.get(ctx)
			if err == nil && c.reused && !replayable && !c.alive() {
				// A request that must not be sent twice, on a connection
				// the server has closed: a new one.
				_ = c.conn.Close()
				c, err = e.up.dial(ctx)
			}
		} else {
			c, err = e.up.dial(ctx)
		}
		if err != nil {
			rt.proxyError(w, req, e, err)
			return
		}
		x := exchange{rt: rt, c: c, w: w, req: req, e: e}
		err = x.run(t, body, streamed)
		if err == nil {
			return
		}
		var nr noResponseError
		if attempt == 0 && c.reused && replayable && errors.As(err, &nr) && ctx.Err() == nil {
			continue // the server closed the kept-alive connection: once more on a new one
		}
		if errors.Is(err, errBadRequest) {
			rt.requestError(w, req, e, err)
		} else {
			rt.proxyError(w, req, e, err)
		}
		return
	}
}

// exchange is one request and response over one connection.
type exchange struct {
	rt   *Router
	c    *upConn
	w    http.ResponseWriter
	req  *http.Request
	e    *entry
	sent chan error // the streamed body's writer's result; nil once it is known to be done
	// resumed is set when the event loop has sent the request already:
	// only the response is read.
	resumed bool
}

// run sends the request and copies the response. It returns an error when
// no response came, which the caller answers; once the response has
// started, failures abort it (http.ErrAbortHandler). The connection goes
// back to the pool when the exchange ended cleanly, else it is closed.
func (x *exchange) run(t target, body []byte, streamed bool) error {
	reusable := false
	// A client that goes away cuts the exchange: the connection's deadline
	// passes and it is not reused.
	stop := func() bool { return true }
	if x.req.Context().Done() != nil {
		stop = context.AfterFunc(x.req.Context(), func() { _ = x.c.conn.SetDeadline(aLongTimeAgo) })
	}
	defer func() {
		if stop() && reusable && x.bodySent() {
			x.e.up.put(x.c)
			return
		}
		_ = x.c.conn.Close()
		// The writer of a streamed body stops at its next write to the
		// closed connection. Under Serve it is stopped now, even while it
		// waits for the client's next bytes, and waited for; under another
		// server, as with httputil.ReverseProxy, it may finish after the
		// handler returns, touching only the request body.
		if a, ok := x.req.Body.(interface{ abort() }); ok && x.sent != nil {
			a.abort()
			<-x.sent
		}
	}()

	resp, err := x.roundTrip(t, body, streamed)
	if err != nil {
		return err
	}
	reusable = x.rt.copyResponse(x.w, x.req, resp, x.c.br.Buffered()) && !resp.Close &&
		x.c.br.Buffered() == 0 // else the server sent more than its answer
	return nil
}

// bodySent reports whether the streamed request body, if any, was sent
// whole, without waiting for it.
func (x *exchange) bodySent() bool {
	if x.sent == nil {
		return true
	}
	select {
	case err := <-x.sent:
		if err == nil {
			x.sent = nil
			return true
		}
		x.sent <- err // for the deferred wait
		return false
	default:
		return false
	}
}

// noResponseError is a failure before the first byte of a response.
type noResponseError struct{ err error }

func (e noResponseError) Error() string { return "no response: " + e.err.Error() }
func (e noResponseError) Unwrap() error { return e.err }

// roundTrip writes the request and reads the response headers, passing
// 1xx responses other than 100 Continue on to the client.
func (x *exchange) roundTrip(t target, body []byte, streamed bool) (*http.Response, error) {
	c := x.c
	if !x.resumed { // else the event loop has sent it
		if err := writeHead(c, x.req, x.e.route.Target, t, len(body), streamed); err != nil {
			return nil, err
		}
		if streamed {
			x.sent = make(chan error, 1)
			go func() { x.sent <- c.writeBody(x.req) }()
		} else {
			_, _ = c.bw.Write(body)
			if err := c.bw.Flush(); err != nil {
				return nil, noResponseError{err}
			}
		}
	}

	c.limit = maxResponseHeaderBytes
	for informational := 0; ; informational++ {
		if _, err := c.br.Peek(1); err != nil {
			return nil, noResponseError{err}
		}
		resp, err := http.ReadResponse(c.br, x.req)
		if err != nil {
			return nil, fmt.Errorf("read response: %w", err)
		}
		switch {
		case resp.StatusCode == http.StatusSwitchingProtocols:
			return nil, errors.New("101 Switching Protocols answered to a request without Upgrade")
		case resp.StatusCode >= 200:
			c.limit = 1<<63 - 1
			return resp, nil
		case informational >= 5:
			return nil, errors.New("more than 5 1xx responses")
		case resp.StatusCode != http.StatusContinue: // 100 answers an Expect, which is never sent
			// 103 Early Hints and the like go to the client as they come.
			h := x.w.Header()
			copyResponseHeader(h, resp.Header)
			x.w.WriteHeader(resp.StatusCode)
			clear(h)
		}
	}
}

// target is what the request line and X-Forwarded-Prefix name: the
// escaped path, the query and the route's path prefix.
type target struct{ path, query, prefix string }

// writeHead writes the request line and headers to c's buffer: the
// client's end-to-end headers, Host set to the server's address, and the
// router's X-Forwarded-* headers. body is the length of a buffered body;
// a streamed one is announced by its Content-Length when known, else sent
// chunked.
func writeHead(c *upConn, req *http.Request, host string, t target, body int, streamed bool) error {
	if !isToken(req.Method) {
		return fmt.Errorf("%w: invalid method %q", errBadRequest, clip(req.Method))
	}
	if !isPrintable(t.path) || t.query != "" && !isPrintable(t.query) {
		return fmt.Errorf("%w: invalid request target %q", errBadRequest, clip(t.path+"?"+t.query))
	}
	bw := c.bw
	bw.WriteString(req.Method)
	bw.WriteByte(' ')
	bw.WriteString(t.path)
	if t.query != "" {
		bw.WriteByte('?')
		bw.WriteString(t.query)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(host)
	bw.WriteString("\r\n")
	connection := req.Header["Connection"]
	for k, vv := range req.Header {
		if !isToken(k) {
			return fmt.Errorf("%w: invalid header name %q", errBadRequest, clip(k))
		}
		if dropRequestHeader(k) || len(connection) > 0 && listed(connection, k) {
			continue
		}
		for _, v := range vv {
			if !isFieldValue(v) {
				return fmt.Errorf("%w: invalid value of header %s", errBadRequest, k)
			}
			bw.WriteString(k)
			bw.WriteString(": ")
			bw.WriteString(v)
			bw.WriteString("\r\n")
		}
	}
	if ip, _, err := net.SplitHostPort(req.RemoteAddr); err == nil && isFieldValue(ip) {
		bw.WriteString("X-Forwarded-For: ")
		bw.WriteString(ip)
		bw.WriteString("\r\n")
	}
	if !isFieldValue(req.Host) {
		return fmt.Errorf("%w: invalid Host %q", errBadRequest, clip(req.Host))
	}
	if req.Host != "" {
		bw.WriteString("X-Forwarded-Host: ")
		bw.WriteString(req.Host)
		bw.WriteString("\r\n")
	}
	if req.TLS != nil {
		bw.WriteString("X-Forwarded-Proto: https\r\n")
	} else {
		bw.WriteString("X-Forwarded-Proto: http\r\n")
	}
	if t.prefix != "" {
		bw.WriteString("X-Forwarded-Prefix: ")
		bw.WriteString(t.prefix)
		bw.WriteString("\r\n")
	}
	if te := req.Header["Te"]; len(te) > 0 && hasToken(te, "trailers") {
		bw.WriteString("Te: trailers\r\n")
	}
	switch {
	case streamed && req.ContentLength > 0:
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.FormatInt(req.ContentLength, 10))
		bw.WriteString("\r\n")
	case streamed:
		bw.WriteString("Transfer-Encoding: chunked\r\n")
		if len(req.Trailer) > 0 {
			bw.WriteString("Trailer: ")
			first := true
			for k := range req.Trailer {
				if !isToken(k) {
					return fmt.Errorf("%w: invalid trailer name %q", errBadRequest, clip(k))
				}
				if !first {
					bw.WriteString(", ")
				}
				bw.WriteString(k)
				first = false
			}
			bw.WriteString("\r\n")
		}
	case body > 0 || req.Method == http.MethodPost || req.Method == http.MethodPut || req.Method == http.MethodPatch:
		bw.WriteString("Content-Length: ")
		bw.WriteString(strconv.Itoa(body))
		bw.WriteString("\r\n")
	}
	_, err := bw.WriteString("\r\n")
	return err
}

// writeBody streams req's body to the server, flushing every piece as it
// comes from the client: with its Content-Length when known, else chunked,
// with the client's trailers.
func (c *upConn) writeBody(req *http.Request) error {
	bw := c.bw
	if err := bw.Flush(); err != nil { // the headers go first
		return err
	}
	chunked := req.ContentLength < 0
	bp := streamBuffers.Get().(*[]byte)
	defer streamBuffers.Put(bp)
	buf := *bp
	var written int64
	for {
		n, rerr := req.Body.Read(buf)
		if n > 0 {
			written += int64(n)
			if chunked {
				bw.WriteString(strconv.FormatInt(int64(n), 16))
				bw.WriteString("\r\n")
			}
			bw.Write(buf[:n])
			if chunked {
				bw.WriteString("\r\n")
			}
			if err := bw.Flush(); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			_ = c.conn.SetDeadline(aLongTimeAgo) // the response cannot be complete: stop reading it
			return fmt.Errorf("read request body: %w", rerr)
		}
	}
	if !chunked {
		if written != req.ContentLength {
			_ = c.conn.SetDeadline(aLongTimeAgo)
			return fmt.Errorf("request body of %d bytes, announced %d", written, req.ContentLength)
		}
		return nil
	}
	bw.WriteString("0\r\n")
	for k, vv := range req.Trailer {
		for _, v := range vv {
			if isToken(k) && isFieldValue(v) {
				bw.WriteString(k)
				bw.WriteString(": ")
				bw.WriteString(v)
				bw.WriteString("\r\n")
			}
		}
	}
	bw.WriteString("\r\n")
	return bw.Flush()
}

// streamBuffers are the buffers streamed request bodies are copied with.
var streamBuffers = sync.Pool{New: func() any { b := make([]byte, bufferSize); return &b }}

// copyResponse writes resp to w and reports whether its body was read to
// the end with nothing lost, so that the connection can carry another
// request. After the headers are sent, a failure aborts the response
// (http.ErrAbortHandler) when w belongs to a net/http server.
//
// buffered is how many bytes of the body have already been read from the
// server: when there are none, a streamed response's headers are flushed at
// once, else they go out with the first bytes.
func (rt *Router) copyResponse(w http.ResponseWriter, req *http.Request, resp *http.Response, buffered int) bool {
	h := w.Header()
	copyResponseHeader(h, resp.Header)
	if _, ok := h["Content-Type"]; !ok {
		h["Content-Type"] = nil // no type sniffing: the client sees what the server sent
	}
	announced := len(resp.Trailer)
	if announced > 0 {
		names := make([]string, 0, announced)
		for k := range resp.Trailer {
			names = append(names, k)
		}
		h["Trailer"] = []string{strings.Join(names, ", ")}
	}
	w.WriteHeader(resp.StatusCode)

	flush := rt.flush
	if resp.ContentLength < 0 || isEventStream(resp.Header["Content-Type"]) {
		flush = -1
	}
	var out io.Writer = w
	var rc *http.ResponseController
	switch {
	case flush < 0:
		rc = http.NewResponseController(w)
		if buffered == 0 && resp.Body != http.NoBody {
			_ = rc.Flush()
		}
		out = flushWriter{w, rc}
	case flush > 0:
		lw := &latencyWriter{dst: w, flush: http.NewResponseController(w).Flush, latency: flush}
		defer lw.stop()
		out = lw
	}

	bp := rt.buffers.Get()
	defer rt.buffers.Put(bp)
	for {
		n, rerr := resp.Body.Read(bp)
		if n > 0 {
			if _, werr := out.Write(bp[:n]); werr != nil {
				rt.abort(req, fmt.Errorf("write response body: %w", werr))
				return false
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			rt.abort(req, fmt.Errorf("read response body: %w", rerr))
			return false
		}
	}
	if len(resp.Trailer) > 0 {
		// Chunked, even for a short body, so that the trailers go out.
		_ = http.NewResponseController(w).Flush()
		for k, vv := range resp.Trailer {
			if len(resp.Trailer) != announced { // some came unannounced
				k = http.TrailerPrefix + k
			}
			h[k] = vv
		}
	}
	return true
}

// abort ends a response that has started and cannot be finished: the
// client must see it cut, not complete. Outside a net/http server (a
// recorder in a test) it only logs.
func (rt *Router) abort(req *http.Request, err error) {
	if req.Context().Value(http.ServerContextKey) == nil {
		rt.log.Warn("response cut short", "method", req.Method, "path", req.URL.Path, "error", err)
		return
	}
	rt.log.Debug("response cut short", "method", req.Method, "path", req.URL.Path, "error", err)
	panic(http.ErrAbortHandler)
}

// flushWriter flushes after every write.
type flushWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (f flushWriter) Write(p []byte) (int, error) {
	n, err := f.w.Write(p)
	if err == nil {
		err = f.rc.Flush()
	}
	return n, err
}

// latencyWriter flushes what was written at most latency after it was
// written (Options.FlushInterval > 0).
type latencyWriter struct {
	dst     io.Writer
	flush   func() error
	latency time.Duration

	mu      sync.Mutex // guards t, pending and the writes and flushes to dst
	t       *time.Timer
	pending bool
}

func (l *latencyWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, err := l.dst.Write(p)
	if l.pending {
		return n, err
	}
	if l.t == nil {
		l.t = time.AfterFunc(l.latency, l.delayedFlush)
	} else {
		l.t.Reset(l.latency)
	}
	l.pending = true
	return n, err
}

func (l *latencyWriter) delayedFlush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending {
		_ = l.flush()
		l.pending = false
	}
}

func (l *latencyWriter) stop() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.pending = false
	if l.t != nil {
		l.t.Stop()
	}
}

// isHopHeader reports whether the canonical header name k is a hop-by-hop
// header (RFC 9110 section 7.6.1, and the older ones), which a proxy does
// not forward.
func isHopHeader(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te",
		"Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// dropRequestHeader reports whether the client's header k is not sent to
// the server: hop-by-hop headers, the ones the router writes itself (Host,
// Content-Length, X-Forwarded-*, Forwarded) and Expect (the router reads
// the body itself, which makes net/http send the client its 100 Continue).
func dropRequestHeader(k string) bool {
	k = textproto.CanonicalMIMEHeaderKey(k) // k itself when canonical, as net/http servers make it
	switch k {
	case "Host", "Content-Length", "Forwarded", "Expect":
		return true
	}
	return isHopHeader(k) || strings.HasPrefix(k, "X-Forwarded-")
}

// copyResponseHeader copies the server's end-to-end headers to dst.
func copyResponseHeader(dst, src http.Header) {
	connection := src["Connection"]
	for k, vv := range src {
		if isHopHeader(k) || len(connection) > 0 && listed(connection, k) {
			continue
		}
		dst[k] = vv
	}
}

// listed reports whether the Connection header values name header k.
func listed(connection []string, k string) bool {
	for _, v := range connection {
		for token := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(textproto.TrimString(token), k) {
				return true
			}
		}
	}
	return false
}

// hasToken reports whether the comma-separated values hold token, in any
// case, with or without parameters.
func hasToken(values []string, token string) bool {
	for _, v := range values {
		for t := range strings.SplitSeq(v, ",") {
			t, _, _ = strings.Cut(t, ";")
			if strings.EqualFold(textproto.TrimString(t), token) {
				return true
			}
		}
	}
	return false
}

// isUpgrade reports whether req asks to switch protocols (WebSocket).
func isUpgrade(h http.Header) bool {
	c := h["Connection"]
	return len(c) > 0 && hasToken(c, "upgrade")
}

func isEventStream(contentType []string) bool {
	if len(contentType) == 0 {
		return false
	}
	v := contentType[0]
	if !strings.HasPrefix(strings.ToLower(strings.TrimSpace(v)), "text/event-stream") {
		return false
	}
	t, _, err := mime.ParseMediaType(v)
	return err == nil && t == "text/event-stream"
}

// isIdempotent reports whether a request of this method may be sent twice
// (RFC 9110 section 9.2.2), when it has no body.
func isIdempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

func hasIdempotencyKey(h http.Header) bool {
	return len(h["Idempotency-Key"]) > 0 || len(h["X-Idempotency-Key"]) > 0
}

// isToken reports whether s is a non-empty RFC 9110 token (methods, header
// names).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 || !tokenChars[c] {
			return false
		}
	}
	return true
}

var tokenChars = func() (t [128]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		t[c], t[c-'a'+'A'] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		t[c] = true
	}
	return t
}()

// isFieldValue reports whether s can be sent as a header value: no control
// bytes but tab (CR and LF would end the header), as net/http requires.
func isFieldValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' && c != '\t' || c == 0x7f {
			return false
		}
	}
	return true
}

// isPrintable reports whether s holds only visible ASCII, as a
// request-target must.
func isPrintable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// cleanQuery returns the client's query, re-encoded when it holds what
// servers parse differently (semicolons, bad escapes, 10,000 parameters or
// more), as httputil.ReverseProxy does.
func cleanQuery(s string) string {
	reencode := func(s string) string {
		v, _ := url.ParseQuery(s)
		return v.Encode()
	}
	if strings.Count(s, "&") >= 10000 {
		return reencode(s)
	}
	for i := 0; i < len(s); {
		switch s[i] {
		case ';':
			return reencode(s)
		case '%':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return reencode(s)
			}
			i += 3
		default:
			i++
		}
	}
	return s
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// resume finishes a request the event loop sent and handed over (see
// resumed): it reads the answer and copies it to w, as forward does, or
// answers the failure that kept it from coming.
func (rt *Router) resume(w http.ResponseWriter, req *http.Request, res *resumed) {
	if res.err != nil {
		rt.proxyError(w, req, res.e, res.err)
		return
	}
	x := exchange{rt: rt, c: res.up, w: w, req: req, e: res.e, resumed: true}
	if err := x.run(target{}, nil, false); err != nil {
		rt.proxyError(w, req, res.e, err)
	}
}
