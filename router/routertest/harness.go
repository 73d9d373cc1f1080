package routertest

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// testTimeout bounds each test. A proxy that buffers a stream makes the
// streaming tests wait for a piece that never comes: they fail at this
// deadline instead of hanging.
const testTimeout = 30 * time.Second

// harness is one test's router, the loopback server in front of it, and a
// client that sends every request to that server whatever the URL's host,
// so that URLs can carry the host names under test.
type harness struct {
	t      *testing.T
	ctx    context.Context
	router admin.Router
	addr   string // the router's loopback address, an IP:port
	client *http.Client
}

func newHarness(t *testing.T, newRouter func(t *testing.T) (admin.Router, http.Handler)) *harness {
	t.Helper()
	r, handler := newRouter(t)
	t.Cleanup(func() {
		if err := r.Close(); err != nil && !errors.Is(err, admin.ErrClosed) {
			t.Errorf("Close: %v", err)
		}
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	addr := srv.Listener.Addr().String()
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		},
		DisableCompression:  true,
		MaxIdleConnsPerHost: 64,
	}
	t.Cleanup(transport.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	t.Cleanup(cancel)
	return &harness{t: t, ctx: ctx, router: r, addr: addr, client: &http.Client{Transport: transport}}
}

// set stores r, failing the test on error.
func (h *harness) set(r admin.Route) {
	h.t.Helper()
	if err := h.router.SetRoute(h.ctx, r); err != nil {
		h.t.Fatalf("SetRoute(%+v): %v", r, err)
	}
}

// routes lists the routes sorted by DeploymentID, failing the test on error.
func (h *harness) routes() []admin.Route {
	h.t.Helper()
	rs, err := h.router.Routes(h.ctx)
	if err != nil {
		h.t.Fatalf("Routes: %v", err)
	}
	return sortRoutes(rs)
}

// publicHost is the host[:port] of r's PublicURL, checked to be a
// host-style URL.
func (h *harness) publicHost(r admin.Route) string {
	h.t.Helper()
	raw := h.router.PublicURL(r)
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || strings.Trim(u.Path, "/") != "" {
		h.t.Fatalf("PublicURL(%+v) = %q: want an http(s) URL with a host name and no path", r, raw)
	}
	return u.Host
}

// domain is the base domain the router puts host names under, found from a
// production route's PublicURL.
func (h *harness) domain(prod admin.Route) string {
	h.t.Helper()
	host := h.publicHost(prod)
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		host = host[:i]
	}
	domain, ok := strings.CutPrefix(host, prod.ProjectSlug+".")
	if !ok || domain == "" {
		h.t.Fatalf("PublicURL(%+v) has host %q: want %s.{domain}", prod, host, prod.ProjectSlug)
	}
	return domain
}

// hostURL is an http URL for r's public host name and pathQuery.
func (h *harness) hostURL(r admin.Route, pathQuery string) string {
	h.t.Helper()
	return "http://" + h.publicHost(r) + pathQuery
}

// pathURL is an http URL for the router's own IP address, which selects
// path routing.
func (h *harness) pathURL(pathQuery string) string {
	return "http://" + h.addr + pathQuery
}

// response is a finished response.
type response struct {
	status int
	header http.Header
	body   string
}

func (h *harness) do(method, rawURL string, header http.Header, body io.Reader) response {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.ctx, method, rawURL, body)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatalf("%s %s: read body: %v", method, rawURL, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (h *harness) get(rawURL string) response {
	h.t.Helper()
	return h.do(http.MethodGet, rawURL, nil, nil)
}

// getEcho sends GET rawURL and decodes the backend's echo, failing the test
// unless the answer is a 200 from a test backend.
func (h *harness) getEcho(rawURL string) echo {
	h.t.Helper()
	resp := h.get(rawURL)
	return h.decodeEcho("GET "+rawURL, resp)
}

func (h *harness) decodeEcho(what string, resp response) echo {
	h.t.Helper()
	if resp.status != http.StatusOK {
		h.t.Fatalf("%s: status %d, body %q; want 200 from a backend", what, resp.status, resp.body)
	}
	var e echo
	if err := json.Unmarshal([]byte(resp.body), &e); err != nil || e.Backend == "" {
		h.t.Fatalf("%s: body %q is not a backend's echo (%v)", what, resp.body, err)
	}
	return e
}

// wantStatus checks a router error: the status, a Retry-After of whole
// seconds for 503, and the texts the body must and must not hold.
func (h *harness) wantStatus(what string, resp response, status int, contains, notContains []string) {
	h.t.Helper()
	if resp.status != status {
		h.t.Errorf("%s: status %d, body %q; want %d", what, resp.status, resp.body, status)
		return
	}
	if status == http.StatusServiceUnavailable {
		ra := resp.header.Get("Retry-After")
		if n, err := strconv.Atoi(ra); err != nil || n <= 0 {
			h.t.Errorf("%s: Retry-After %q; want a positive number of seconds", what, ra)
		}
	}
	for _, s := range contains {
		if !strings.Contains(resp.body, s) {
			h.t.Errorf("%s: body %q does not name %q", what, resp.body, s)
		}
	}
	for _, s := range notContains {
		if strings.Contains(resp.body, s) {
			h.t.Errorf("%s: body %q reveals %q", what, resp.body, s)
		}
	}
}

// echo is what a backend answers to any path without a special meaning.
type echo struct {
	Backend        string `json:"backend"`
	Method         string `json:"method"`
	Path           string `json:"path"`
	RawPath        string `json:"rawPath"`
	RawQuery       string `json:"rawQuery"`
	Header         string `json:"header"` // X-Routertest
	ForwardedHost  string `json:"forwardedHost"`
	ForwardedProto string `json:"forwardedProto"`
	ForwardedFor   string `json:"forwardedFor"`
}

// uploadResult is a backend's answer to POST /upload.
type uploadResult struct {
	Backend string `json:"backend"`
	Size    int64  `json:"size"`
	SHA256  string `json:"sha256"`
}

// uploadHead is how much of an upload the backend reads before it signals
// uploadStarted.
const uploadHead = 64 << 10

// backend is a loopback server standing for a deployed Mastra server.
//
//   - /sse and /chunked stream a first piece, then wait for release before
//     sending the second;
//   - /ws echoes WebSocket messages prefixed with the backend's name;
//   - /upload reads uploadHead bytes, closes uploadStarted, and answers the
//     size and SHA-256 of the whole body;
//   - /status/{code} answers that status with header X-Backend;
//   - anything else answers an echo of the request.
type backend struct {
	name          string
	srv           *httptest.Server
	release       chan struct{}
	uploadStarted chan struct{}
}

func newBackend(t *testing.T, name string) *backend {
	t.Helper()
	b := &backend{name: name, release: make(chan struct{}), uploadStarted: make(chan struct{})}
	b.srv = httptest.NewServer(http.HandlerFunc(b.serve))
	t.Cleanup(b.srv.Close)
	return b
}

// target is the backend's host:port, for Route.Target.
func (b *backend) target() string { return b.srv.Listener.Addr().String() }

func (b *backend) serve(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/sse":
		w.Header().Set("Content-Type", "text/event-stream")
		b.stream(w, r, "data: one\n\n", "data: two\n\n")
	case r.URL.Path == "/chunked":
		w.Header().Set("Content-Type", "text/plain")
		b.stream(w, r, "part-1\n", "part-2\n")
	case r.URL.Path == "/ws":
		b.websocketEcho(w, r)
	case r.URL.Path == "/upload":
		b.upload(w, r)
	case strings.HasPrefix(r.URL.Path, "/status/"):
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil || code < 200 || code > 599 {
			code = http.StatusBadRequest
		}
		w.Header().Set("X-Backend", b.name)
		w.WriteHeader(code)
		_, _ = io.WriteString(w, "from "+b.name)
	default:
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(echo{
			Backend:        b.name,
			Method:         r.Method,
			Path:           r.URL.Path,
			RawPath:        r.URL.RawPath,
			RawQuery:       r.URL.RawQuery,
			Header:         r.Header.Get("X-Routertest"),
			ForwardedHost:  r.Header.Get("X-Forwarded-Host"),
			ForwardedProto: r.Header.Get("X-Forwarded-Proto"),
			ForwardedFor:   r.Header.Get("X-Forwarded-For"),
		})
	}
}

func (b *backend) stream(w http.ResponseWriter, r *http.Request, first, second string) {
	rc := http.NewResponseController(w)
	_, _ = io.WriteString(w, first)
	if rc.Flush() != nil {
		return
	}
	select {
	case <-b.release:
	case <-r.Context().Done():
		return
	}
	_, _ = io.WriteString(w, second)
	_ = rc.Flush()
}

func (b *backend) websocketEcho(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	for {
		typ, data, err := c.Read(r.Context())
		if err != nil {
			return
		}
		if err := c.Write(r.Context(), typ, append([]byte(b.name+":"), data...)); err != nil {
			return
		}
	}
}

func (b *backend) upload(w http.ResponseWriter, r *http.Request) {
	hash := sha256.New()
	n, err := io.CopyN(hash, r.Body, uploadHead)
	if err != nil {
		http.Error(w, "short upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	close(b.uploadStarted)
	rest, err := io.Copy(hash, r.Body)
	if err != nil {
		http.Error(w, "upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(uploadResult{Backend: b.name, Size: n + rest, SHA256: hex.EncodeToString(hash.Sum(nil))})
}

// openStream sends GET rawURL and returns the response, failing the test
// unless it is a 200.
func (h *harness) openStream(rawURL string) (*http.Response, *bufio.Reader) {
	h.t.Helper()
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	resp, err := h.client.Do(req)
	if err != nil {
		h.t.Fatalf("GET %s: %v (a proxy that holds back streamed responses never sends the first piece)", rawURL, err)
	}
	h.t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		h.t.Fatalf("GET %s: status %d, body %q", rawURL, resp.StatusCode, b)
	}
	return resp, bufio.NewReader(resp.Body)
}

// readUntil reads lines until one equals want; it fails the test when the
// stream ends or the test's deadline passes first.
func (h *harness) readUntil(what string, r *bufio.Reader, want string) {
	h.t.Helper()
	for {
		line, err := r.ReadString('\n')
		if strings.TrimRight(line, "\n") == want {
			return
		}
		if err != nil {
			h.t.Fatalf("%s: stream ended before %q arrived (%v); a proxy that buffers responses fails here", what, want, err)
		}
	}
}
