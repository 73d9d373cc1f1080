package routertest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Run checks that the routers made by newRouter follow the admin.Router
// contract; see the package documentation for what it covers. newRouter
// returns a new router with no routes and the handler that serves its
// traffic; Run closes the router when the test ends.
func Run(t *testing.T, newRouter func(t *testing.T) (admin.Router, http.Handler)) {
	t.Helper()
	tests := []struct {
		name string
		fn   func(t *testing.T, h *harness)
	}{
		{"HostRouting", testHostRouting},
		{"HostCaseAndPort", testHostCaseAndPort},
		{"PathRouting", testPathRouting},
		{"NotFound", testNotFound},
		{"NoTarget", testNoTarget},
		{"DeadBackend", testDeadBackend},
		{"BackendAnswersPassThrough", testBackendAnswers},
		{"SetRouteReplaces", testSetRouteReplaces},
		{"RemoveRoute", testRemoveRoute},
		{"Routes", testRoutes},
		{"InvalidRoutes", testInvalidRoutes},
		{"ValidTargets", testValidTargets},
		{"NameConflicts", testNameConflicts},
		{"ConcurrentSetRoute", testConcurrentSetRoute},
		{"ServerSentEvents", testServerSentEvents},
		{"ChunkedStreaming", testChunkedStreaming},
		{"RequestBodyStreaming", testRequestBodyStreaming},
		{"WebSocket", testWebSocket},
		{"AtomicSwitchUnderLoad", testAtomicSwitch},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, newHarness(t, newRouter))
		})
	}
}

// The routes most tests use: one project with production, staging and a
// preview, and another project's production.
func prodRoute(target string) admin.Route {
	return admin.Route{DeploymentID: "dep_prod", ProjectSlug: "shop-agent", DeploymentSlug: "production", Production: true, Target: target}
}

func stagingRoute(target string) admin.Route {
	return admin.Route{DeploymentID: "dep_staging", ProjectSlug: "shop-agent", DeploymentSlug: "staging", Target: target}
}

func previewRoute(target string) admin.Route {
	return admin.Route{DeploymentID: "dep_pr456", ProjectSlug: "shop-agent", DeploymentSlug: "pr-456", Target: target}
}

func otherRoute(target string) admin.Route {
	return admin.Route{DeploymentID: "dep_other", ProjectSlug: "other-agent", DeploymentSlug: "production", Production: true, Target: target}
}

func sortRoutes(rs []admin.Route) []admin.Route {
	rs = slices.Clone(rs)
	slices.SortFunc(rs, func(a, b admin.Route) int { return strings.Compare(a.DeploymentID, b.DeploymentID) })
	return rs
}

func testHostRouting(t *testing.T, h *harness) {
	routes := map[string]admin.Route{
		"prod":    prodRoute(newBackend(t, "prod").target()),
		"staging": stagingRoute(newBackend(t, "staging").target()),
		"preview": previewRoute(newBackend(t, "preview").target()),
		"other":   otherRoute(newBackend(t, "other").target()),
	}
	for _, r := range routes {
		h.set(r)
	}
	domain := h.domain(routes["prod"])
	for name, r := range routes {
		host := h.publicHost(r)
		wantHost := r.ProjectSlug + "." + domain
		if !r.Production {
			wantHost = r.DeploymentSlug + "--" + wantHost
		}
		if hostname, _, _ := strings.Cut(host, ":"); hostname != wantHost {
			t.Errorf("%s: PublicURL host %q; want %q", name, hostname, wantHost)
		}
		e := h.getEcho(h.hostURL(r, "/api/agents?x=1&y=two%20words"))
		want := echo{Backend: name, Method: "GET", Path: "/api/agents", RawQuery: "x=1&y=two%20words",
			ForwardedHost: host, ForwardedProto: "http", ForwardedFor: e.ForwardedFor}
		if e != want {
			t.Errorf("%s: backend saw %+v; want %+v", name, e, want)
		}
		if !strings.Contains(e.ForwardedFor, "127.0.0.1") {
			t.Errorf("%s: X-Forwarded-For %q does not hold the client address 127.0.0.1", name, e.ForwardedFor)
		}
	}
}

func testHostCaseAndPort(t *testing.T, h *harness) {
	prod, preview := prodRoute(newBackend(t, "prod").target()), previewRoute(newBackend(t, "preview").target())
	h.set(prod)
	h.set(preview)
	domain := h.domain(prod)
	for _, tc := range []struct{ host, want string }{
		{strings.ToUpper(h.publicHost(prod)), "prod"},
		{"Shop-Agent." + strings.ToUpper(domain), "prod"},
		{"shop-agent." + domain + ":8080", "prod"},
		{strings.ToUpper(h.publicHost(preview)), "preview"},
		{"PR-456--shop-agent." + domain + ":1", "preview"},
	} {
		if e := h.getEcho("http://" + tc.host + "/x"); e.Backend != tc.want || e.Path != "/x" {
			t.Errorf("host %q reached %q at %q; want %q at /x", tc.host, e.Backend, e.Path, tc.want)
		}
	}
}

func testPathRouting(t *testing.T, h *harness) {
	prod, preview := prodRoute(newBackend(t, "prod").target()), previewRoute(newBackend(t, "preview").target())
	h.set(prod)
	h.set(preview)
	domain := h.domain(prod)
	for _, host := range []string{h.addr, domain} { // an IP address, and the base domain itself
		for _, tc := range []struct {
			path                       string
			backend, wantPath, wantRaw string
			wantQuery                  string
		}{
			{"/shop-agent/production/api/agents?x=1", "prod", "/api/agents", "", "x=1"},
			{"/shop-agent/pr-456/a/b%2Fc?q=a%20b&r", "preview", "/a/b/c", "/a/b%2Fc", "q=a%20b&r"},
			{"/shop-agent/pr-456/", "preview", "/", "", ""},
			{"/shop-agent/pr-456", "preview", "/", "", ""},
			{"/shop-agent/production//double", "prod", "//double", "", ""},
		} {
			rawURL := "http://" + host + tc.path
			e := h.getEcho(rawURL)
			if e.Backend != tc.backend || e.Path != tc.wantPath || e.RawPath != tc.wantRaw || e.RawQuery != tc.wantQuery {
				t.Errorf("GET %s: backend %q saw path %q (raw %q) query %q; want %q, %q (raw %q), %q",
					rawURL, e.Backend, e.Path, e.RawPath, e.RawQuery, tc.backend, tc.wantPath, tc.wantRaw, tc.wantQuery)
			}
			if e.ForwardedHost != host {
				t.Errorf("GET %s: X-Forwarded-Host %q; want %q", rawURL, e.ForwardedHost, host)
			}
		}
		for _, p := range []string{
			"/", "/shop-agent", "/shop-agent/", "/shop-agent/pr-4567/x", "/shop-agent/staging/x",
			"/other-agent/production/x", "/SHOP-AGENT/production/x", "/pr-456/shop-agent/x",
			"/shop-agent%2Fpr-456/x",
		} {
			h.wantStatus("GET "+host+p, h.get("http://"+host+p), http.StatusNotFound, nil, nil)
		}
	}
}

func testNotFound(t *testing.T, h *harness) {
	prod := prodRoute(newBackend(t, "prod").target())
	h.set(prod)
	domain := h.domain(prod)
	for _, host := range []string{
		"nope." + domain,
		"pr-1--shop-agent." + domain, // a deployment the project does not have
		"production--shop-agent." + domain,
		"a.shop-agent." + domain,
	} {
		h.wantStatus("host "+host, h.get("http://"+host+"/api"), http.StatusNotFound, []string{host}, nil)
	}
	p := "/nope/production/api"
	h.wantStatus("path "+p, h.get(h.pathURL(p)), http.StatusNotFound, []string{p}, nil)
}

func testNoTarget(t *testing.T, h *harness) {
	for _, r := range []admin.Route{prodRoute(""), previewRoute("")} {
		h.set(r)
		h.wantStatus("host "+h.publicHost(r), h.get(h.hostURL(r, "/api")), http.StatusServiceUnavailable, nil, nil)
		p := "/" + r.ProjectSlug + "/" + r.DeploymentSlug + "/api"
		h.wantStatus("path "+p, h.get(h.pathURL(p)), http.StatusServiceUnavailable, nil, nil)
	}
}

// deadTarget returns a loopback address on which nothing listens.
func deadTarget(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

func testDeadBackend(t *testing.T, h *harness) {
	dead := deadTarget(t)
	r := previewRoute(dead)
	h.set(r)
	_, port, _ := net.SplitHostPort(dead)
	hidden := []string{dead, ":" + port}
	h.wantStatus("host", h.get(h.hostURL(r, "/api")), http.StatusServiceUnavailable, nil, hidden)
	h.wantStatus("path", h.get(h.pathURL("/shop-agent/pr-456/api")), http.StatusServiceUnavailable, nil, hidden)

	// The route comes back as soon as its target answers.
	h.set(previewRoute(newBackend(t, "preview").target()))
	if e := h.getEcho(h.hostURL(r, "/api")); e.Backend != "preview" {
		t.Errorf("after a new target: reached %q; want preview", e.Backend)
	}
}

func testBackendAnswers(t *testing.T, h *harness) {
	r := prodRoute(newBackend(t, "prod").target())
	h.set(r)
	// The backend's own errors reach the client unchanged.
	for _, code := range []int{http.StatusNotFound, http.StatusTeapot, http.StatusServiceUnavailable, http.StatusBadGateway} {
		resp := h.get(h.hostURL(r, fmt.Sprintf("/status/%d", code)))
		if resp.status != code || resp.header.Get("X-Backend") != "prod" || resp.body != "from prod" {
			t.Errorf("backend status %d: got %d, X-Backend %q, body %q", code, resp.status, resp.header.Get("X-Backend"), resp.body)
		}
	}
	// Methods and request headers pass through.
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		resp := h.do(method, h.hostURL(r, "/api/x"), http.Header{"X-Routertest": {"v-" + method}}, strings.NewReader("{}"))
		e := h.decodeEcho(method, resp)
		if e.Method != method || e.Header != "v-"+method {
			t.Errorf("%s: backend saw method %q, X-Routertest %q", method, e.Method, e.Header)
		}
	}
}

func testSetRouteReplaces(t *testing.T, h *harness) {
	a, b := newBackend(t, "a"), newBackend(t, "b")
	r := previewRoute(a.target())
	h.set(r)
	if e := h.getEcho(h.hostURL(r, "/")); e.Backend != "a" {
		t.Fatalf("reached %q; want a", e.Backend)
	}
	r.Target = b.target()
	h.set(r)
	if e := h.getEcho(h.hostURL(r, "/")); e.Backend != "b" {
		t.Errorf("after SetRoute to b: reached %q", e.Backend)
	}
	if got := h.routes(); !reflect.DeepEqual(got, []admin.Route{r}) {
		t.Errorf("Routes = %+v; want only %+v", got, r)
	}

	// A new slug moves the route: the old names are free again.
	old := r
	r.DeploymentSlug = "pr-457"
	h.set(r)
	h.wantStatus("old host", h.get(h.hostURL(old, "/")), http.StatusNotFound, nil, nil)
	h.wantStatus("old path", h.get(h.pathURL("/shop-agent/pr-456/")), http.StatusNotFound, nil, nil)
	if e := h.getEcho(h.hostURL(r, "/")); e.Backend != "b" {
		t.Errorf("new host reached %q; want b", e.Backend)
	}
	if e := h.getEcho(h.pathURL("/shop-agent/pr-457/")); e.Backend != "b" {
		t.Errorf("new path reached %q; want b", e.Backend)
	}

	// Taking the target away and giving it back.
	r.Target = ""
	h.set(r)
	h.wantStatus("no target", h.get(h.hostURL(r, "/")), http.StatusServiceUnavailable, nil, nil)
	r.Target = a.target()
	h.set(r)
	if e := h.getEcho(h.hostURL(r, "/")); e.Backend != "a" {
		t.Errorf("target restored: reached %q; want a", e.Backend)
	}
}

func testRemoveRoute(t *testing.T, h *harness) {
	prod, preview := prodRoute(newBackend(t, "prod").target()), previewRoute(newBackend(t, "preview").target())
	h.set(prod)
	h.set(preview)
	if err := h.router.RemoveRoute(h.ctx, preview.DeploymentID); err != nil {
		t.Fatalf("RemoveRoute: %v", err)
	}
	h.wantStatus("removed host", h.get(h.hostURL(preview, "/")), http.StatusNotFound, nil, nil)
	h.wantStatus("removed path", h.get(h.pathURL("/shop-agent/pr-456/")), http.StatusNotFound, nil, nil)
	if e := h.getEcho(h.hostURL(prod, "/")); e.Backend != "prod" {
		t.Errorf("other route reached %q; want prod", e.Backend)
	}
	for _, id := range []string{preview.DeploymentID, "dep_never_set", ""} {
		if err := h.router.RemoveRoute(h.ctx, id); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("RemoveRoute(%q) = %v; want ErrNotFound", id, err)
		}
	}
	if got := h.routes(); !reflect.DeepEqual(got, []admin.Route{prod}) {
		t.Errorf("Routes = %+v; want only %+v", got, prod)
	}
}

func testRoutes(t *testing.T, h *harness) {
	if got := h.routes(); len(got) != 0 {
		t.Fatalf("a new router has routes %+v", got)
	}
	want := []admin.Route{prodRoute("127.0.0.1:4101"), stagingRoute(""), previewRoute("[::1]:4102"), otherRoute("localhost:4103")}
	for _, r := range want {
		h.set(r)
	}
	if got := h.routes(); !reflect.DeepEqual(got, sortRoutes(want)) {
		t.Errorf("Routes = %+v; want %+v", got, sortRoutes(want))
	}
}

func testInvalidRoutes(t *testing.T, h *harness) {
	good := prodRoute(newBackend(t, "prod").target())
	h.set(good)
	before := h.routes()
	route := func(change func(*admin.Route)) admin.Route {
		r := previewRoute("127.0.0.1:4100")
		change(&r)
		return r
	}
	replacing := func(change func(*admin.Route)) admin.Route { // the good route, spoilt
		r := good
		change(&r)
		return r
	}
	cases := map[string]admin.Route{
		"empty deployment id":        route(func(r *admin.Route) { r.DeploymentID = "" }),
		"deployment id with newline": route(func(r *admin.Route) { r.DeploymentID = "dep\n1" }),
		"deployment id with space":   route(func(r *admin.Route) { r.DeploymentID = "dep 1" }),
		"deployment id with slash":   route(func(r *admin.Route) { r.DeploymentID = "../dep" }),
		"deployment id too long":     route(func(r *admin.Route) { r.DeploymentID = strings.Repeat("d", 200) }),
		"empty project slug":         route(func(r *admin.Route) { r.ProjectSlug = "" }),
		"upper-case project slug":    route(func(r *admin.Route) { r.ProjectSlug = "Shop-Agent" }),
		"project slug with --":       route(func(r *admin.Route) { r.ProjectSlug = "shop--agent" }),
		"project slug with dot":      route(func(r *admin.Route) { r.ProjectSlug = "shop.agent" }),
		"project slug with slash":    route(func(r *admin.Route) { r.ProjectSlug = "shop/agent" }),
		"project slug too long":      route(func(r *admin.Route) { r.ProjectSlug = strings.Repeat("p", 64) }),
		"empty deployment slug":      route(func(r *admin.Route) { r.DeploymentSlug = "" }),
		"deployment slug with _":     route(func(r *admin.Route) { r.DeploymentSlug = "pr_456" }),
		"deployment slug leading -":  route(func(r *admin.Route) { r.DeploymentSlug = "-pr" }),
		"host label over 63": route(func(r *admin.Route) {
			r.DeploymentSlug, r.ProjectSlug = strings.Repeat("d", 40), strings.Repeat("p", 30)
		}),
		"target without port":         route(func(r *admin.Route) { r.Target = "127.0.0.1" }),
		"target with empty port":      route(func(r *admin.Route) { r.Target = "127.0.0.1:" }),
		"target without host":         route(func(r *admin.Route) { r.Target = ":4100" }),
		"target port 0":               route(func(r *admin.Route) { r.Target = "127.0.0.1:0" }),
		"target port 65536":           route(func(r *admin.Route) { r.Target = "127.0.0.1:65536" }),
		"target port by name":         route(func(r *admin.Route) { r.Target = "127.0.0.1:http" }),
		"target port signed":          route(func(r *admin.Route) { r.Target = "127.0.0.1:+80" }),
		"target with scheme":          route(func(r *admin.Route) { r.Target = "http://127.0.0.1:4100" }),
		"target with path":            route(func(r *admin.Route) { r.Target = "127.0.0.1:4100/api" }),
		"target with user":            route(func(r *admin.Route) { r.Target = "user@127.0.0.1:4100" }),
		"target ipv6 without bracket": route(func(r *admin.Route) { r.Target = "::1:4100" }),
		"target with space":           route(func(r *admin.Route) { r.Target = "127.0.0.1:4100 " }),
		"target host with space":      route(func(r *admin.Route) { r.Target = "bad host:4100" }),
		"target ipv4 in brackets":     route(func(r *admin.Route) { r.Target = "[127.0.0.1]:4100" }),
		"replacing with bad target":   replacing(func(r *admin.Route) { r.Target = "127.0.0.1" }),
		"replacing with bad slug":     replacing(func(r *admin.Route) { r.ProjectSlug = "Shop" }),
	}
	for name, r := range cases {
		if err := h.router.SetRoute(h.ctx, r); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: SetRoute(%+v) = %v; want ErrInvalidArgument", name, r, err)
		}
	}
	if got := h.routes(); !reflect.DeepEqual(got, before) {
		t.Errorf("invalid routes changed Routes to %+v; want %+v", got, before)
	}
	if e := h.getEcho(h.hostURL(good, "/")); e.Backend != "prod" {
		t.Errorf("after invalid routes: reached %q; want prod", e.Backend)
	}
}

func testValidTargets(t *testing.T, h *harness) {
	for _, target := range []string{"", "127.0.0.1:4100", "[::1]:4100", "localhost:65535", "mastra-shop.apps.svc.cluster.local:80"} {
		r := previewRoute(target)
		if err := h.router.SetRoute(h.ctx, r); err != nil {
			t.Errorf("SetRoute with Target %q: %v", target, err)
		}
	}
	maxLabel := admin.Route{DeploymentID: "dep_long", ProjectSlug: strings.Repeat("p", 30), DeploymentSlug: strings.Repeat("d", 31)}
	if err := h.router.SetRoute(h.ctx, maxLabel); err != nil {
		t.Errorf("SetRoute with a 63-character host label: %v", err)
	}
}

func testNameConflicts(t *testing.T, h *harness) {
	prod, preview := prodRoute(newBackend(t, "prod").target()), previewRoute(newBackend(t, "preview").target())
	h.set(prod)
	h.set(preview)
	before := h.routes()
	for name, r := range map[string]admin.Route{
		"second production of a project": {DeploymentID: "dep_x", ProjectSlug: "shop-agent", DeploymentSlug: "live", Production: true, Target: "127.0.0.1:4100"},
		"same preview slug":              {DeploymentID: "dep_x", ProjectSlug: "shop-agent", DeploymentSlug: "pr-456", Target: "127.0.0.1:4100"},
		"production's path":              {DeploymentID: "dep_x", ProjectSlug: "shop-agent", DeploymentSlug: "production", Target: "127.0.0.1:4100"},
		"moving onto another's name":     {DeploymentID: preview.DeploymentID, ProjectSlug: "shop-agent", DeploymentSlug: "production", Production: true},
	} {
		if err := h.router.SetRoute(h.ctx, r); !errors.Is(err, admin.ErrAlreadyExists) {
			t.Errorf("%s: SetRoute(%+v) = %v; want ErrAlreadyExists", name, r, err)
		}
	}
	if got := h.routes(); !reflect.DeepEqual(got, before) {
		t.Errorf("refused routes changed Routes to %+v; want %+v", got, before)
	}
	for _, r := range []admin.Route{prod, preview} {
		if e := h.getEcho(h.hostURL(r, "/")); e.Backend != map[bool]string{true: "prod", false: "preview"}[r.Production] {
			t.Errorf("after refused routes, %s reached %q", r.DeploymentID, e.Backend)
		}
	}
	// Once the preview is removed, another deployment may take its names.
	if err := h.router.RemoveRoute(h.ctx, preview.DeploymentID); err != nil {
		t.Fatal(err)
	}
	taker := preview
	taker.DeploymentID = "dep_x"
	h.set(taker)
	if e := h.getEcho(h.hostURL(taker, "/")); e.Backend != "preview" {
		t.Errorf("freed name reached %q; want preview", e.Backend)
	}
}

func testConcurrentSetRoute(t *testing.T, h *harness) {
	const n = 32
	b := newBackend(t, "b")
	var wg sync.WaitGroup
	want := make([]admin.Route, n)
	for i := range n {
		want[i] = admin.Route{DeploymentID: fmt.Sprintf("dep_%02d", i), ProjectSlug: fmt.Sprintf("project-%02d", i),
			DeploymentSlug: "production", Production: true, Target: b.target()}
		wg.Go(func() {
			if err := h.router.SetRoute(h.ctx, want[i]); err != nil {
				t.Errorf("SetRoute %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	if got := h.routes(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after %d concurrent SetRoute calls, Routes has %d routes; want %d", n, len(got), n)
	}
	for _, r := range want {
		if e := h.getEcho(h.hostURL(r, "/")); e.Backend != "b" {
			t.Errorf("%s reached %q", r.ProjectSlug, e.Backend)
		}
	}
}

func testServerSentEvents(t *testing.T, h *harness) {
	b := newBackend(t, "preview")
	r := previewRoute(b.target())
	h.set(r)
	resp, body := h.openStream(h.hostURL(r, "/sse"))
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type %q; want text/event-stream", ct)
	}
	// The backend sends "two" only after the client has read "one".
	h.readUntil("SSE", body, "data: one")
	close(b.release)
	h.readUntil("SSE", body, "data: two")
}

func testChunkedStreaming(t *testing.T, h *harness) {
	b := newBackend(t, "prod")
	h.set(prodRoute(b.target()))
	_, body := h.openStream(h.pathURL("/shop-agent/production/chunked"))
	h.readUntil("chunked", body, "part-1")
	close(b.release)
	h.readUntil("chunked", body, "part-2")
	if rest, err := io.ReadAll(body); err != nil || len(rest) != 0 {
		t.Errorf("after the last part: %q, %v; want a clean end", rest, err)
	}
}

func testRequestBodyStreaming(t *testing.T, h *harness) {
	const size = 8 << 20
	b := newBackend(t, "preview")
	r := previewRoute(b.target())
	h.set(r)

	rng := rand.NewChaCha8([32]byte{1})
	hash := sha256.New()
	pr, pw := io.Pipe()
	go func() {
		buf := make([]byte, uploadHead)
		written := 0
		for written < size {
			_, _ = rng.Read(buf)
			hash.Write(buf)
			if _, err := pw.Write(buf); err != nil {
				return
			}
			written += len(buf)
			if written == uploadHead { // nothing more until the backend has the head
				select {
				case <-b.uploadStarted:
				case <-h.ctx.Done():
					pw.CloseWithError(fmt.Errorf("the backend never received the first %d bytes: the proxy buffers request bodies", uploadHead))
					return
				}
			}
		}
		pw.Close()
	}()
	resp := h.do(http.MethodPost, h.hostURL(r, "/upload"), http.Header{"Content-Type": {"application/octet-stream"}}, pr)
	if resp.status != http.StatusOK {
		t.Fatalf("upload: status %d, body %q", resp.status, resp.body)
	}
	var got uploadResult
	if err := json.Unmarshal([]byte(resp.body), &got); err != nil {
		t.Fatalf("upload answer %q: %v", resp.body, err)
	}
	want := uploadResult{Backend: "preview", Size: size, SHA256: hex.EncodeToString(hash.Sum(nil))}
	if got != want {
		t.Errorf("backend received %+v; want %+v", got, want)
	}
}

func testWebSocket(t *testing.T, h *harness) {
	prod := prodRoute(newBackend(t, "prod").target())
	h.set(prod)
	for _, u := range []string{
		"ws://" + h.publicHost(prod) + "/ws",
		"ws://" + h.addr + "/shop-agent/production/ws",
	} {
		c, _, err := websocket.Dial(h.ctx, u, &websocket.DialOptions{HTTPClient: h.client})
		if err != nil {
			t.Fatalf("dial %s: %v", u, err)
		}
		c.SetReadLimit(1 << 20)
		for i, msg := range []string{"hello", strings.Repeat("x", 100<<10), "bye"} {
			if err := c.Write(h.ctx, websocket.MessageText, []byte(msg)); err != nil {
				t.Fatalf("%s: write %d: %v", u, i, err)
			}
			typ, got, err := c.Read(h.ctx)
			if err != nil {
				t.Fatalf("%s: read %d: %v", u, i, err)
			}
			if typ != websocket.MessageText || string(got) != "prod:"+msg {
				t.Errorf("%s: message %d came back as %v %.40q; want prod:%.30q", u, i, typ, got, msg)
			}
		}
		if err := c.Close(websocket.StatusNormalClosure, "done"); err != nil {
			t.Errorf("%s: close: %v", u, err)
		}
	}
}

func testAtomicSwitch(t *testing.T, h *harness) {
	const (
		workers = 8
		flips   = 100
	)
	a, b := newBackend(t, "a"), newBackend(t, "b")
	r := previewRoute(a.target())
	h.set(r)
	urls := []string{h.hostURL(r, "/load"), h.pathURL("/shop-agent/pr-456/load")}

	var requests, failures atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			u := urls[w%len(urls)]
			for {
				select {
				case <-stop:
					return
				default:
				}
				requests.Add(1)
				if err := h.fetchBackend(u, "a", "b"); err != nil {
					if failures.Add(1) <= 5 {
						t.Errorf("worker %d: %v", w, err)
					}
				}
			}
		})
	}
	targets := []string{a.target(), b.target()}
	for i := range flips {
		r.Target = targets[(i+1)%2]
		if err := h.router.SetRoute(h.ctx, r); err != nil {
			t.Errorf("flip %d: %v", i, err)
			break
		}
		// A request sent after SetRoute returned goes to the new target.
		want := []string{"a", "b"}[(i+1)%2]
		if err := h.fetchBackend(urls[i%2], want); err != nil {
			t.Errorf("right after flip %d: %v", i, err)
		}
	}
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d requests failed during %d route switches", n, requests.Load(), flips)
	}
	if requests.Load() == 0 {
		t.Error("no request was sent during the route switches")
	}
}

// fetchBackend sends GET u and checks the answer is a 200 echo from one of
// the named backends.
func (h *harness) fetchBackend(u string, backends ...string) error {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("GET %s: read body: %w", u, err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, body %q", u, resp.StatusCode, body)
	}
	var e echo
	if err := json.Unmarshal(body, &e); err != nil || !slices.Contains(backends, e.Backend) {
		return fmt.Errorf("GET %s: body %q; want an echo from %v", u, body, backends)
	}
	return nil
}

func testClose(t *testing.T, h *harness) {
	h.set(prodRoute("127.0.0.1:4100"))
	if err := h.router.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := h.router.SetRoute(h.ctx, previewRoute("127.0.0.1:4101")); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("SetRoute after Close = %v; want ErrClosed", err)
	}
	if err := h.router.RemoveRoute(h.ctx, "dep_prod"); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("RemoveRoute after Close = %v; want ErrClosed", err)
	}
	if _, err := h.router.Routes(h.ctx); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Routes after Close = %v; want ErrClosed", err)
	}
}
