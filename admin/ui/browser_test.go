package ui_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	"github.com/mastra-admin/mastra-admin-go/admin/ui"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	obssqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// The package's tests share one headless Chromium (started by the first
// test that needs it, closed by TestMain); each test opens its own tab.
var browser struct {
	once   sync.Once
	ctx    context.Context
	cancel context.CancelFunc
	err    error
	out    apitest.Buffer // the browser's own output, shown on failure
	took   time.Duration
}

// controls records, for the whole package run, every control (a
// data-control name) the pages showed and every one a test drove: when
// the whole package runs, TestMain fails if a control was shown and never
// driven, so a new button without a test fails CI.
var controls = struct {
	mu      sync.Mutex
	seen    map[string]string // name → a page that showed it
	driven  map[string]bool
	unnamed []string // controls without a data-control name, with their page
}{seen: map[string]string{}, driven: map[string]bool{}}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if code == 0 && flag.Lookup("test.run").Value.String() == "" && flag.Lookup("test.skip").Value.String() == "" &&
		!testing.Short() {
		if msg := undriven(); msg != "" {
			fmt.Fprintln(os.Stderr, msg)
			code = 1
		}
	}
	os.Exit(code)
}

// undriven says which controls were shown but never driven, or unnamed.
func undriven() string {
	controls.mu.Lock()
	defer controls.mu.Unlock()
	if len(controls.seen) == 0 {
		return "" // no browser test ran (no Chromium, skipped)
	}
	var msgs []string
	for name, where := range controls.seen {
		if !controls.driven[name] {
			msgs = append(msgs, fmt.Sprintf("control %q (seen on %s) is driven by no test", name, where))
		}
	}
	for _, u := range controls.unnamed {
		msgs = append(msgs, "a control without a data-control name: "+u)
	}
	slices.Sort(msgs)
	if len(msgs) == 0 {
		return ""
	}
	return "FAIL: every button, link with an action and form of the dashboard must be driven by a test:\n  " +
		strings.Join(msgs, "\n  ")
}

// tab opens a new tab of the shared browser, closed when t ends. It
// accepts every confirmation dialog (the tests confirm what they click).
func tab(t *testing.T) context.Context {
	t.Helper()
	path := testenv.Chromium(t)
	started := false
	browser.once.Do(func() {
		started = true
		opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]), chromedp.ExecPath(path), chromedp.NoSandbox,
			chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-background-networking", true), chromedp.WindowSize(1280, 900),
			chromedp.CombinedOutput(&browser.out))
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(alloc)
		browser.ctx, browser.cancel = ctx, func() { cancel(); cancelAlloc() }
		// A cold Chromium on a loaded 2-core machine takes 15-25 s.
		start := time.Now()
		up := make(chan error, 1)
		go func() { up <- chromedp.Do(ctx) }()
		select {
		case browser.err = <-up:
		case <-time.After(90 * time.Second):
			browser.err = errors.New("chromium did not start within 90 s")
		}
		browser.took = time.Since(start)
	})
	if browser.err != nil {
		t.Fatalf("start chromium (%s): %v\n%s", path, browser.err, browser.out.String())
	}
	if started {
		t.Logf("chromium (%s) started in %v", path, browser.took.Round(time.Millisecond))
	}
	ctx, cancel := chromedp.NewContext(browser.ctx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 10*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("open a tab: %v", err)
	}
	// Every page records what the Content-Security-Policy blocked and the
	// script errors it had; see() fails the test on any.
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
	  window.__uiProblems = [];
	  document.addEventListener("securitypolicyviolation", e =>
	    window.__uiProblems.push("CSP blocked " + e.violatedDirective + " " + e.blockedURI));
	  window.addEventListener("error", e => window.__uiProblems.push("script error: " + e.message));`}); err != nil {
		t.Fatalf("install the problem recorder: %v", err)
	}
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			go func() {
				_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	}()
	return ctx
}

// env is an Admin on the embedded defaults, starting builds, with the
// fake Mastra project at apitest.ProjectPath, its router serving the
// deployments on a loopback port, and the API (/v1/) and the dashboard
// (/ui/) served side by side.
type env struct {
	a      *admin.Admin
	st     *embedded.Stack
	obs    *obssqlite.Store // the Admin's observability store (the Admin closes it)
	dash   *ui.Handler
	srv    *httptest.Server
	ui     string // the dashboard's base URL, http://127.0.0.1:N/ui
	prefix string
	router string // the router's base URL (deployments by Host header)
}

func newEnv(t *testing.T, prefix string) *env {
	t.Helper()
	return newEnvWith(t, prefix, nil)
}

// newEnvWith is newEnv with the API's and the dashboard's options made by
// configure, which gets the Admin and the server's base URL.
func newEnvWith(t *testing.T, prefix string, configure func(a *admin.Admin, base string) (*httpapi.Options, *ui.Options)) *env {
	t.Helper()
	projects := t.TempDir()
	if err := runnertest.WriteFakeProject(filepath.Join(projects, apitest.ProjectPath)); err != nil {
		t.Fatal(err)
	}
	// The fake project stands in for Mastra: a plain build.
	return openEnv(t, prefix, projects, &runnerlocal.Options{BuildMode: runnerlocal.BuildPlain}, configure)
}

// openEnv is newEnvWith over the projects under projects, built and run
// by a local runner with runner's options; extra are added to the Admin's
// options.
func openEnv(t *testing.T, prefix, projects string, runner *runnerlocal.Options,
	configure func(a *admin.Admin, base string) (*httpapi.Options, *ui.Options), extra ...admin.Option) *env {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lic, _ := apitest.EnterpriseLicense(t)
	obs, err := obssqlite.Open(filepath.Join(t.TempDir(), "observability.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "data"), &embedded.Options{
		ProjectsDir: projects, ProxyPort: ln.Addr().(*net.TCPAddr).Port,
		AdminOptions: append([]admin.Option{lic, admin.WithIntervals(100*time.Millisecond, time.Hour), admin.WithObservabilityStore(obs)}, extra...),
		Runner:       runner})
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, stopRouter := context.WithCancel(context.Background())
	routed := make(chan error, 1)
	go func() { routed <- st.Router.Serve(ctx, ln) }()
	srvLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + srvLn.Addr().String()
	var apiOpts *httpapi.Options
	uiOpts := &ui.Options{}
	if configure != nil {
		apiOpts, uiOpts = configure(st.Admin, base)
	}
	uiOpts.Prefix, uiOpts.RefreshInterval = prefix, 250*time.Millisecond
	api, err := httpapi.New(st.Admin, apiOpts)
	if err != nil {
		t.Fatal(err)
	}
	dash, err := ui.NewHandler(st.Admin, uiOpts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v1/", api)
	if prefix == "" {
		mux.Handle("/", dash)
	} else {
		mux.Handle(prefix+"/", dash)
	}
	srv := httptest.NewUnstartedServer(mux)
	srv.Listener.Close()
	srv.Listener = srvLn
	srv.Start()
	t.Cleanup(func() {
		dash.(*ui.Handler).Close()
		api.Close()
		srv.Close()
		stopRouter()
		if err := <-routed; err != nil {
			t.Errorf("router: %v", err)
		}
		stopServers(t, st)
		if err := st.Close(); err != nil {
			t.Errorf("close the admin: %v", err)
		}
	})
	return &env{a: st.Admin, st: st, obs: obs, dash: dash.(*ui.Handler), srv: srv, ui: srv.URL + prefix, prefix: prefix,
		router: "http://" + ln.Addr().String()}
}

// stopServers stops the deployments that still have a server, so that a
// test that failed midway leaves no server process behind (the admin keeps
// them running across its restarts by design).
func stopServers(t *testing.T, st *embedded.Stack) {
	t.Helper()
	live, err := st.Store.ListServers(context.Background(), admin.ServerFilter{Statuses: []admin.ServerStatus{
		admin.ServerStarting, admin.ServerRunning, admin.ServerCrashed}}, admin.Page{})
	if err != nil {
		t.Errorf("list the servers left: %v", err)
		return
	}
	stopped := map[string]bool{}
	for _, s := range live {
		if !stopped[s.DeploymentID] {
			stopped[s.DeploymentID] = true
			if err := st.Admin.StopDeployment(apitest.System(), s.DeploymentID); err != nil && !errors.Is(err, admin.ErrNotFound) {
				t.Errorf("stop deployment %s: %v", s.DeploymentID, err)
			}
		}
	}
}

// user makes a user (the first one through Bootstrap, a platform admin)
// and an API token of theirs.
func (e *env) user(t *testing.T, email string) (*admin.User, string) {
	t.Helper()
	ctx := context.Background()
	u, err := e.a.Bootstrap(ctx, admin.NewUser{Email: email, Name: strings.Split(email, "@")[0]})
	if errors.Is(err, admin.ErrConflict) {
		u, err = e.a.CreateUser(apitest.System(), admin.NewUser{Email: email, Name: strings.Split(email, "@")[0]})
	}
	if err != nil {
		t.Fatal(err)
	}
	_, secret, err := e.a.CreateToken(apitest.As(u.ID), admin.NewToken{Name: "browser"})
	if err != nil {
		t.Fatal(err)
	}
	return u, secret
}

// project makes, as the caller of ctx, a team and in it a project of the
// local source at path (apitest.ProjectPath: the fake project).
func (e *env) project(t *testing.T, ctx context.Context, team, project, path string) (*admin.Team, *admin.Project) {
	t.Helper()
	tm, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: team})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.a.CreateProject(ctx, tm.ID, admin.NewProject{Name: project, SourceType: admin.SourceLocal,
		SourceConfig: map[string]string{"path": path}})
	if err != nil {
		t.Fatal(err)
	}
	return tm, p
}

// run runs chromedp actions, failing t with what the page showed.
func run(t *testing.T, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		fail(t, ctx, what, err)
	}
}

// stepTimeout bounds one step of a browser test (a page load, a wait for
// an element), so that a page that never shows what a test waits for
// fails the test with what it shows instead.
const stepTimeout = 90 * time.Second

// get runs one chromedp action that returns a value.
func get[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		fail(t, ctx, what, err)
	}
	return v
}

// fail fails t with what the tab shows.
func fail(t *testing.T, ctx context.Context, what string, err error) {
	t.Helper()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(sctx, chromedp.Location())
	body, _ := chromedp.Run(sctx, chromedp.Text(chromedp.CSS("body")))
	if len(body) > 3000 {
		body = body[:3000] + "…"
	}
	t.Fatalf("%s: %v\npage %s:\n%s", what, err, loc, body)
}

// visit opens a dashboard page and records its controls.
func visit(t *testing.T, ctx context.Context, url, waitFor string) {
	t.Helper()
	run(t, ctx, "open "+url, chromedp.Navigate(url))
	waitVisible(t, ctx, waitFor)
	see(t, ctx)
}

// see records the controls of the current page: every button, input a
// user works with, link with an action, and form (which must hold a named
// button, unless it is the sign-on page's form that its script posts).
func see(t *testing.T, ctx context.Context) {
	t.Helper()
	const js = `(() => {
	  const problems = window.__uiProblems || [];
	  const named = [...document.querySelectorAll('[data-control]')].map(e => e.getAttribute('data-control'));
	  const unnamed = [...document.querySelectorAll('button:not([data-control]), input[type=submit], a[download]:not([data-control])')]
	    .map(e => e.outerHTML.slice(0, 120));
	  for (const f of document.querySelectorAll('form:not(#sso-form)')) {
	    if (!f.querySelector('button[data-control]')) unnamed.push('form without a named button: ' + f.outerHTML.slice(0, 120));
	  }
	  return {named, unnamed, problems, where: location.pathname};
	})()`
	found := get(t, ctx, "list controls", chromedp.Evaluate[struct {
		Named    []string `json:"named"`
		Unnamed  []string `json:"unnamed"`
		Problems []string `json:"problems"`
		Where    string   `json:"where"`
	}](js))
	for _, p := range found.Problems {
		t.Errorf("%s: %s", found.Where, p)
	}
	controls.mu.Lock()
	defer controls.mu.Unlock()
	for _, n := range found.Named {
		if _, ok := controls.seen[n]; !ok {
			controls.seen[n] = found.Where
		}
	}
	for _, u := range found.Unnamed {
		controls.unnamed = append(controls.unnamed, found.Where+": "+u)
	}
}

// drive marks a control as driven by a test.
func drive(name string) {
	controls.mu.Lock()
	controls.driven[name] = true
	controls.mu.Unlock()
}

// press clicks the control name inside scope (a CSS selector, "" for the
// page), which loads a new page (a form post, a link), records it as
// driven, and waits for the new page to show waitFor.
func press(t *testing.T, ctx context.Context, scope, name, waitFor string) {
	t.Helper()
	sel := control(scope, name)
	run(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__uiOldPage = true`))
	click(t, ctx, sel)
	js := fmt.Sprintf(`!window.__uiOldPage && document.readyState === "complete" && !!document.querySelector(%q)`, waitFor)
	poll(t, ctx, "after "+sel+", wait for "+waitFor, js)
	waitVisible(t, ctx, waitFor)
	see(t, ctx)
}

// pressHere clicks a control that acts on the page without leaving it,
// records it as driven, and waits for waitFor when it is set.
func pressHere(t *testing.T, ctx context.Context, scope, name, waitFor string) {
	t.Helper()
	sel := control(scope, name)
	click(t, ctx, sel)
	if waitFor != "" {
		waitVisible(t, ctx, waitFor)
	}
}

// waitVisible waits until an element sel matches is rendered. It asks the
// page each time, so parts that htmx replaces meanwhile do not fail it.
func waitVisible(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	poll(t, ctx, "wait for "+sel, fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.getClientRects().length > 0; })()`, sel))
}

// click clicks the element sel matches with the mouse. Parts of pages
// that htmx refreshes may be replaced between finding the element and
// clicking it; the click is then tried again on the new element.
func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		err := chromedp.Do(sctx, chromedp.WaitVisible(chromedp.CSS(sel)), chromedp.Click(chromedp.CSS(sel)))
		cancel()
		if err == nil {
			return
		}
		if attempt == 5 || !strings.Contains(err.Error(), "Could not find node") && !strings.Contains(err.Error(), "not attached") {
			fail(t, ctx, "press "+sel, err)
		}
	}
}

// control is the selector of the control name in scope, recorded as
// driven.
func control(scope, name string) string {
	drive(name)
	sel := `[data-control="` + name + `"]`
	if scope != "" {
		sel = scope + " " + sel
	}
	return sel
}

// signIn signs in with token through the sign-in page.
func signIn(t *testing.T, ctx context.Context, e *env, token string) {
	t.Helper()
	visit(t, ctx, e.ui+"/login", "#token")
	run(t, ctx, "type the token", chromedp.SendKeys(chromedp.CSS("#token"), token))
	press(t, ctx, "", "login", `[data-control="logout"]`)
}

// screenshot writes the page, light and dark, to the test's artifact
// directory (go test -artifacts keeps them).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := t.ArtifactDir()
	for _, theme := range []string{"light", "dark"} {
		run(t, ctx, "theme "+theme, chromedp.Evaluate[chromedp.Void](`document.documentElement.setAttribute('data-theme', '`+theme+`')`))
		png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100)) // 100: PNG
		if err := os.WriteFile(filepath.Join(dir, name+"-"+theme+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, "theme back", chromedp.Evaluate[chromedp.Void](`document.documentElement.removeAttribute('data-theme')`))
}

// text returns the text of the first element sel matches.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, "read "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// waitText waits until the element sel matches contains want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const e = document.querySelector(%q); return !!e && e.textContent.includes(%q); })()`, sel, want)
	poll(t, ctx, fmt.Sprintf("wait for %q in %s", want, sel), js)
}

// poll waits until the expression js is true in the tab, across page
// loads (a poll in a page that navigates away is started again in the
// next one), until the tab's context ends.
func poll(t *testing.T, ctx context.Context, what, js string) {
	t.Helper()
	for {
		_, err := chromedp.Run(ctx, chromedp.Poll[bool](js, chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(3*time.Minute))) // a build on a loaded machine
		if err == nil {
			return
		}
		if ctx.Err() != nil || !strings.Contains(err.Error(), "navigated") && !strings.Contains(err.Error(), "context") {
			fail(t, ctx, what, err)
		}
	}
}

// setValue sets the value of the form field sel matches, as a user
// choosing or clearing it would (an input event follows).
func setValue(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
	  const e = document.querySelector(%q);
	  if (!e) throw new Error("no element matches " + %q);
	  e.value = %q;
	  e.dispatchEvent(new Event("input", {bubbles: true}));
	  e.dispatchEvent(new Event("change", {bubbles: true}));
	})()`, sel, sel, value))
}
