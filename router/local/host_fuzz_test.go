package local_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
)

// FuzzHostAndPath sends requests with arbitrary Host headers and request
// targets through a router with two routes of project "proj" (production
// and staging). The router never panics nor answers 500; a request reaches
// a deployment only when its host is that deployment's subdomain of the
// base domain, or its path starts with /proj/{deployment}, and then the
// server sees the rest of the path, starting with "/"; every other answer
// is the router's own JSON error.
func FuzzHostAndPath(f *testing.F) {
	backends := map[string]*httptest.Server{}
	rt, err := local.New(nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = rt.Close() })
	for _, dep := range []string{"production", "staging"} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-Deployment", dep)
			w.Header().Set("X-Path", strconv.Quote(r.URL.Path)) // header values lose surrounding spaces
		}))
		f.Cleanup(srv.Close)
		backends[dep] = srv
		if err := rt.SetRoute(f.Context(), admin.Route{DeploymentID: "d-" + dep, ProjectSlug: "proj", DeploymentSlug: dep,
			Production: dep == "production", Target: srv.Listener.Addr().String()}); err != nil {
			f.Fatal(err)
		}
	}
	// Host labels: production answers at the project's own label.
	labels := map[string]string{"proj": "production", "staging--proj": "staging"}

	for _, s := range [][2]string{
		{"proj.localhost", "/"}, {"PROJ.LocalHost.:3100", "/x?y=1"}, {"staging--proj.localhost", "/a/b"},
		{"localhost", "/proj/production/"}, {"", "/proj/staging"}, {"[::1]:3100", "/proj/production/a%2Fb"},
		{"proj.localhost.evil.com", "/"}, {".localhost", "/"}, {"a:b:c", "/proj/production/../../x"},
		{"x", "/proj//production/"}, {"x", "//proj/production/"}, {"x", "/proj/%70roduction/"}, {"[", "/proj/staging/%2e%2e/"},
		{"proj.localhost\x00", "/"}, {"x", "*"}, {"x", "http://proj.localhost/"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, host, target string) {
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return // the HTTP server answers 400 before any handler
		}
		req := &http.Request{Method: http.MethodGet, URL: u, Host: host, RequestURI: target, Proto: "HTTP/1.1",
			ProtoMajor: 1, ProtoMinor: 1, Header: http.Header{"Accept": {"application/json"}}, RemoteAddr: "192.0.2.1:1234"}
		req = req.WithContext(t.Context())
		rec := httptest.NewRecorder()
		rt.ServeHTTP(rec, req)
		dep := rec.Header().Get("X-Deployment")
		if dep == "" {
			var e struct {
				Error  string
				Status int
			}
			if rec.Code < 400 || rec.Code == 500 || json.Unmarshal(rec.Body.Bytes(), &e) != nil || e.Error == "" {
				t.Fatalf("Host %q target %q: %d %q, want the router's JSON error", host, target, rec.Code, rec.Body)
			}
			return
		}
		// By host: the host, less a port and a trailing dot, is
		// {label}.localhost in any case.
		h := strings.ToLower(host)
		for label, d := range labels {
			if d != dep {
				continue
			}
			if rest, ok := strings.CutPrefix(h, label+".localhost"); ok {
				if rest = strings.TrimPrefix(rest, "."); rest == "" || rest[0] == ':' && !strings.Contains(rest[1:], ":") {
					return
				}
			}
		}
		// By path: the escaped path starts with /proj/{deployment}, and the
		// server sees what follows.
		esc, prefix := u.EscapedPath(), "/proj/"+dep
		if esc != prefix && !strings.HasPrefix(esc, prefix+"/") {
			t.Fatalf("Host %q target %q reached %s by neither host nor path", host, target, dep)
		}
		want := strings.TrimPrefix(u.Path, prefix)
		if want == "" {
			want = "/"
		}
		if got, _ := strconv.Unquote(rec.Header().Get("X-Path")); got != want || !strings.HasPrefix(got, "/") {
			t.Fatalf("Host %q target %q: %s saw path %q, want %q", host, target, dep, got, want)
		}
	})
}
