package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
	"github.com/mastra-admin/mastra-admin-go/router/routertest"
)

func TestConformance(t *testing.T) {
	routertest.Run(t, func(t *testing.T) (admin.Router, http.Handler) {
		r, err := local.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		return r, r
	})
}

// TestConformanceCustomDomain runs the suite with a multi-label base domain
// in mixed case, public URLs on https:443, flushes after every write and a
// logger.
func TestConformanceCustomDomain(t *testing.T) {
	routertest.Run(t, func(t *testing.T) (admin.Router, http.Handler) {
		r, err := local.New(&local.Options{
			BaseDomain: "Apps.Example.Internal.", PublicScheme: "https", PublicPort: 443, FlushInterval: -1,
			Logger: slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r, r
	})
}

func newRouter(t *testing.T, opts *local.Options) *local.Router {
	t.Helper()
	r, err := local.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestNewRejectsBadOptions(t *testing.T) {
	for name, o := range map[string]local.Options{
		"domain with port":     {BaseDomain: "localhost:3100"},
		"domain is an IP":      {BaseDomain: "127.0.0.1"},
		"domain is an IPv6":    {BaseDomain: "[::1]"},
		"domain with space":    {BaseDomain: "my domain"},
		"domain empty label":   {BaseDomain: "a..b"},
		"domain with slash":    {BaseDomain: "example.com/x"},
		"domain with _":        {BaseDomain: "my_domain.com"},
		"scheme ftp":           {PublicScheme: "ftp"},
		"port negative":        {PublicPort: -1},
		"port too big":         {PublicPort: 65536},
		"negative retry-after": {RetryAfter: -time.Second},
		"negative shutdown":    {ShutdownTimeout: -time.Second},
	} {
		r, err := local.New(&o)
		var ve *admin.ValidationError
		if !errors.Is(err, admin.ErrInvalidArgument) || !errors.As(err, &ve) || r != nil {
			t.Errorf("%s: New(%+v) = %v, %v; want a ValidationError", name, o, r, err)
		}
	}
}

func TestPublicURL(t *testing.T) {
	prod := admin.Route{DeploymentID: "d1", ProjectSlug: "job-matching-agent", DeploymentSlug: "production", Production: true}
	preview := admin.Route{DeploymentID: "d2", ProjectSlug: "job-matching-agent", DeploymentSlug: "pr-456"}
	for _, tc := range []struct {
		name      string
		opts      *local.Options
		prod, pre string
	}{
		{"defaults", nil, "http://job-matching-agent.localhost:3100", "http://pr-456--job-matching-agent.localhost:3100"},
		{"https on 443", &local.Options{BaseDomain: "indeed.internal", PublicScheme: "https", PublicPort: 443},
			"https://job-matching-agent.indeed.internal", "https://pr-456--job-matching-agent.indeed.internal"},
		{"http on 80", &local.Options{BaseDomain: "INDEED.internal.", PublicPort: 80},
			"http://job-matching-agent.indeed.internal", "http://pr-456--job-matching-agent.indeed.internal"},
		{"http on 443 keeps the port", &local.Options{PublicPort: 443},
			"http://job-matching-agent.localhost:443", "http://pr-456--job-matching-agent.localhost:443"},
		{"path URLs", &local.Options{PathURLs: true},
			"http://localhost:3100/job-matching-agent/production/", "http://localhost:3100/job-matching-agent/pr-456/"},
	} {
		r := newRouter(t, tc.opts)
		if got := r.PublicURL(prod); got != tc.prod {
			t.Errorf("%s: PublicURL(production) = %q; want %q", tc.name, got, tc.prod)
		}
		if got := r.PublicURL(preview); got != tc.pre {
			t.Errorf("%s: PublicURL(preview) = %q; want %q", tc.name, got, tc.pre)
		}
	}
}

// echoBackend answers every request with a JSON echo of what it received.
func echoBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{
			"host":   r.Host,
			"path":   r.URL.Path,
			"xff":    r.Header.Get("X-Forwarded-For"),
			"xfh":    r.Header.Get("X-Forwarded-Host"),
			"xfp":    r.Header.Get("X-Forwarded-Proto"),
			"prefix": r.Header.Get("X-Forwarded-Prefix"),
			"fwd":    r.Header.Get("Forwarded"),
		})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func serve(t *testing.T, r *local.Router, req *http.Request) (*http.Response, map[string]string) {
	t.Helper()
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, req)
	resp := rec.Result()
	var echo map[string]string
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&echo); err != nil {
			t.Fatalf("%s %s: %v", req.Host, req.URL, err)
		}
	}
	return resp, echo
}

func TestHostParsing(t *testing.T) {
	backend := echoBackend(t)
	r := newRouter(t, nil)
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: backend.Listener.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		host, path string
		status     int
	}{
		{"proj.localhost", "/", 200},
		{"PROJ.LocalHost.:3100", "/", 200}, // case and trailing dot
		{"proj.localhost.", "/", 200},
		{"a.proj.localhost", "/proj/production/", 404}, // host routing wins for subdomains
		{"localhost", "/proj/production/", 200},        // the base domain itself: path routing
		{"LOCALHOST:3100", "/proj/production/", 200},
		{"127.0.0.1:3100", "/proj/production/", 200},
		{"[::1]:3100", "/proj/production/", 200},
		{"[::1]", "/proj/production/", 200},
		{"", "/proj/production/", 200},            // no Host (HTTP/1.0): path routing
		{"mylocalhost", "/proj/production/", 200}, // a name that merely ends like the domain
		{"proj.mylocalhost", "/", 404},            // not a subdomain: path routing, and / is no route
		{"proj.localhost.evil.com", "/", 404},     // the domain must be the suffix
		{".localhost", "/", 404},
	} {
		req := httptest.NewRequest(http.MethodGet, "http://x"+tc.path, nil)
		req.Host = tc.host
		if resp, _ := serve(t, r, req); resp.StatusCode != tc.status {
			t.Errorf("Host %q path %q: status %d; want %d", tc.host, tc.path, resp.StatusCode, tc.status)
		}
	}
}

func TestForwardedHeaders(t *testing.T) {
	backend := echoBackend(t)
	r := newRouter(t, nil)
	target := backend.Listener.Addr().String()
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "pr-1", Target: target}); err != nil {
		t.Fatal(err)
	}
	spoofed := http.Header{
		"X-Forwarded-For":   {"6.6.6.6"},
		"X-Forwarded-Host":  {"evil.example"},
		"X-Forwarded-Proto": {"https"},
		"Forwarded":         {"for=6.6.6.6"},
	}
	for _, tc := range []struct{ host, path, prefix string }{
		{"pr-1--proj.localhost:3100", "/a", ""},
		{"localhost:3100", "/proj/pr-1/a", "/proj/pr-1"},
	} {
		req := httptest.NewRequest(http.MethodGet, "http://x"+tc.path, nil)
		req.Host = tc.host
		req.RemoteAddr = "10.1.2.3:5555"
		for k, v := range spoofed {
			req.Header[k] = v
		}
		resp, echo := serve(t, r, req)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s%s: status %d", tc.host, tc.path, resp.StatusCode)
		}
		want := map[string]string{"host": target, "path": "/a", "xff": "10.1.2.3", "xfh": tc.host, "xfp": "http", "prefix": tc.prefix, "fwd": ""}
		for k, v := range want {
			if echo[k] != v {
				t.Errorf("%s%s: backend saw %s = %q; want %q", tc.host, tc.path, k, echo[k], v)
			}
		}
	}
}

func TestErrorBodies(t *testing.T) {
	r := newRouter(t, &local.Options{RetryAfter: 1500 * time.Millisecond})
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "pr-1"}); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("a", 5000)
	for _, tc := range []struct {
		name, host, path, accept string
		status                   int
		body                     string
	}{
		{"unknown host", "nope.localhost", "/", "", 404, `mastra-admin router: no deployment is routed at host "nope.localhost"` + "\n"},
		{"unknown path", "localhost", "/x/y/z", "", 404, `mastra-admin router: no deployment is routed at path "/x/y/z": paths start with /{project}/{deployment}/` + "\n"},
		{"markup is quoted", "localhost", "/<script>/x", "", 404, `mastra-admin router: no deployment is routed at path "/%3Cscript%3E/x": paths start with /{project}/{deployment}/` + "\n"},
		{"long path is clipped", "localhost", "/" + long, "", 404, `mastra-admin router: no deployment is routed at path "/` + long[:199] + `...": paths start with /{project}/{deployment}/` + "\n"},
		{"no server", "pr-1--proj.localhost", "/", "", 503, `mastra-admin router: deployment "pr-1" of project "proj" has no running server yet; retry later` + "\n"},
		{"connect", "proj.localhost", "", "", 405, "mastra-admin router: CONNECT is not supported\n"},
		{"json", "nope.localhost", "/", "application/json, text/plain", 404, `{"error":"no deployment is routed at host \"nope.localhost\"","status":404}` + "\n"},
	} {
		method := http.MethodGet
		if tc.name == "connect" {
			method = http.MethodConnect
		}
		req := httptest.NewRequest(method, "http://x"+tc.path, nil)
		req.Host = tc.host
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != tc.status || rec.Body.String() != tc.body {
			t.Errorf("%s: %d %q; want %d %q", tc.name, rec.Code, rec.Body.String(), tc.status, tc.body)
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s: X-Content-Type-Options %q; want nosniff", tc.name, got)
		}
		if tc.status == 503 && rec.Header().Get("Retry-After") != "2" {
			t.Errorf("%s: Retry-After %q; want 2 (1.5s rounded up)", tc.name, rec.Header().Get("Retry-After"))
		}
	}
}

func TestClosedRouterAnswers503(t *testing.T) {
	backend := echoBackend(t)
	r := newRouter(t, nil)
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: backend.Listener.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	req := httptest.NewRequest(http.MethodGet, "http://proj.localhost/", nil)
	if resp, _ := serve(t, r, req); resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Close: status %d; want 503", resp.StatusCode)
	}
}

// streamingBackend starts a response and keeps it open until the request
// ends; started receives a value once the headers are out.
func streamingBackend(t *testing.T) (*httptest.Server, chan struct{}) {
	t.Helper()
	started := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: hi\n\n")
		_ = http.NewResponseController(w).Flush()
		started <- struct{}{}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, started
}

// startServe runs r.Serve on a loopback listener and returns its address
// and Serve's result.
func startServe(t *testing.T, ctx context.Context, r *local.Router) (string, chan error) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, l) }()
	return l.Addr().String(), done
}

func openStream(t *testing.T, addr string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+addr+"/proj/production/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("stream: status %d", resp.StatusCode)
	}
	return resp
}

func TestServeShutsDownOnContext(t *testing.T) {
	backend, started := streamingBackend(t)
	r := newRouter(t, &local.Options{ShutdownTimeout: 50 * time.Millisecond})
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: backend.Listener.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	addr, done := startServe(t, ctx, r)
	resp := openStream(t, addr)
	<-started
	cancel()
	// The stream outlives the graceful period, so Serve cuts it and returns.
	if ok, _ := ended(resp.Body); !ok {
		t.Fatal("the stream is still open after the shutdown timeout")
	}
	if err := <-done; err != nil {
		t.Errorf("Serve after ctx done = %v; want nil", err)
	}
	if _, err := net.Dial("tcp", addr); err == nil {
		t.Error("the listener still accepts connections after Serve returned")
	}
}

func TestServeStopsOnClose(t *testing.T) {
	backend, started := streamingBackend(t)
	r := newRouter(t, nil)
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: backend.Listener.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	addr, done := startServe(t, t.Context(), r)
	resp := openStream(t, addr)
	<-started
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Serve after Close = %v; want ErrClosed", err)
	}
	if ok, err := ended(resp.Body); !ok || err == nil {
		t.Errorf("after Close the stream ended: %v, error %v; want it cut with an error", ok, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Serve(t.Context(), l); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Serve on a closed router = %v; want ErrClosed", err)
	}
}

func TestListenAndServe(t *testing.T) {
	r := newRouter(t, nil)
	if err := r.ListenAndServe(t.Context(), "256.0.0.1:1"); err == nil || !strings.Contains(err.Error(), "256.0.0.1:1") {
		t.Errorf("ListenAndServe on a bad address = %v; want an error naming it", err)
	}
}

// ended reports whether reading body to its end finishes (cleanly or cut)
// within a generous deadline.
func ended(body io.Reader) (bool, error) {
	done := make(chan error, 1)
	go func() {
		_, err := io.ReadAll(body)
		done <- err
	}()
	select {
	case err := <-done:
		return true, err
	case <-time.After(30 * time.Second):
		return false, nil
	}
}
