package ui_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth/oidctest"
	"github.com/mastra-admin/mastra-admin-go/admin/ui"
)

// TestViewerSeesNoMutatingControl walks every page of a team as a viewer,
// in Chromium, and finds no control that changes anything (only sign-out,
// the theme, the team switcher and the log viewer's own tools); a deploy
// posted anyway, with the page's CSRF token, is refused by the Admin.
func TestViewerSeesNoMutatingControl(t *testing.T) {
	e := newEnv(t, "/ui")
	root, _ := e.user(t, "root@example.com")
	viewer, token := e.user(t, "viewer@example.com")
	sys := apitest.As(root.ID)
	team, p := e.project(t, sys, "Readers", "Watched", apitest.ProjectPath)
	if _, err := e.a.AddMember(sys, team.ID, viewer.ID, admin.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.SetEnvVars(sys, p.ID, map[string]string{"SECRET": "v"}); err != nil {
		t.Fatal(err)
	}
	prod, b := deployProduction(t, e, sys, p.ID)

	ctx := tab(t)
	signIn(t, ctx, e, token)
	allowed := map[string]bool{"logout": true, "theme-toggle": true, "team-switcher": true, "log-pause": true,
		"log-search": true, "log-download": true, "env-link": true, "audit-filter": true, "audit-older": true,
		"create-team": true, "create-token": true, "revoke-token": true, "refresh-interval": true}
	walkWithoutChanges(t, ctx, e, allowed, []pageWait{
		{"/teams/" + team.ID, "#projects"},
		{"/projects/" + p.ID, "#deployments"},
		{"/projects/" + p.ID + "/env", "#env-vars"},
		{"/deployments/" + prod.ID, "#summary"},
		{"/builds/" + b.ID, "#build-status"},
		{"/teams/" + team.ID + "/members", "#members"},
		{"/teams/" + team.ID + "/queue", "#queue"},
	})
	// The server refuses anyway: a deploy posted from the viewer's page
	// with its valid CSRF token.
	if status := postFromPage(t, ctx, e.prefix+"/deployments/"+prod.ID+"/deploy", ""); status != http.StatusForbidden {
		t.Fatalf("a viewer's deploy answered %d, want 403", status)
	}
	// The audit log is not the viewer's either.
	visit(t, ctx, e.ui+"/teams/"+team.ID+"/audit", "#page-error")
}

// pageWait is a page of the dashboard and what shows it has loaded.
type pageWait struct{ path, wait string }

// walkWithoutChanges visits the pages and fails t on a control not in
// allowed, or a form posting anywhere but to sign-out.
func walkWithoutChanges(t *testing.T, ctx context.Context, e *env, allowed map[string]bool, pages []pageWait) {
	t.Helper()
	for _, page := range pages {
		visit(t, ctx, e.ui+page.path, page.wait)
		found := get(t, ctx, "controls", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('[data-control]')].map(e => e.getAttribute('data-control'))`))
		for _, c := range found {
			if !allowed[c] {
				t.Errorf("the control %q is on %s", c, page.path)
			}
		}
		forms := get(t, ctx, "forms", chromedp.Evaluate[[]string](
			`[...document.querySelectorAll('form[method=post]')].map(f => f.getAttribute('action'))`))
		for _, f := range forms {
			if !strings.HasSuffix(f, "/logout") {
				t.Errorf("a form posting to %s is on %s", f, page.path)
			}
		}
	}
}

// postFromPage posts body (form-encoded, the page's CSRF token added) to
// path from the page the tab shows, and returns the status.
func postFromPage(t *testing.T, ctx context.Context, path, body string) int {
	t.Helper()
	return get(t, ctx, "post to "+path, chromedp.Evaluate[int](`(async () => {
	  const csrf = document.querySelector('input[name=csrf]').value;
	  const r = await fetch(`+strconv.Quote(path)+`, {method: 'POST',
	    headers: {'Content-Type': 'application/x-www-form-urlencoded'}, body: 'csrf=' + encodeURIComponent(csrf) + '&' + `+strconv.Quote(body)+`});
	  return r.status;
	})()`, func(p *runtime.EvaluateParams) { p.AwaitPromise = new(true) }))
}

// TestCSRF posts without the session's CSRF token, with another
// session's, and from another origin: each is refused with 403 and
// changes nothing; the same post with the token succeeds.
func TestCSRF(t *testing.T) {
	e := newEnv(t, "/ui")
	u, token := e.user(t, "root@example.com")
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	csrf := func(page string) string {
		t.Helper()
		resp, err := c.Get(e.ui + page)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
		if m == nil {
			t.Fatalf("no CSRF token on %s (%d): %s", page, resp.StatusCode, b)
		}
		return string(m[1])
	}
	post := func(path string, form url.Values, header http.Header) int {
		t.Helper()
		req, _ := http.NewRequest("POST", e.ui+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range header {
			req.Header[k] = v
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	// Sign-in itself needs the anonymous session's token.
	tok := csrf("/login")
	if got := post("/login", url.Values{"token": {token}}, nil); got != http.StatusForbidden {
		t.Fatalf("sign-in without a CSRF token: %d", got)
	}
	if got := post("/login", url.Values{"token": {token}, "csrf": {tok}}, nil); got != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", got)
	}
	tok = csrf("/teams")
	for name, tc := range map[string]struct {
		form   url.Values
		header http.Header
	}{
		"no token":     {url.Values{"name": {"Evil"}}, nil},
		"wrong token":  {url.Values{"name": {"Evil"}, "csrf": {"x" + tok}}, nil},
		"cross-origin": {url.Values{"name": {"Evil"}, "csrf": {tok}}, http.Header{"Origin": {"http://evil.example"}, "Sec-Fetch-Site": {"cross-site"}}},
	} {
		if got := post("/teams", tc.form, tc.header); got != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", name, got)
		}
	}
	if l, _ := e.a.ListTeams(apitest.As(u.ID), admin.Page{}); len(l.Items) != 0 {
		t.Fatalf("a refused post created %d teams", len(l.Items))
	}
	if got := post("/teams", url.Values{"name": {"Fine"}, "csrf": {tok}}, nil); got != http.StatusSeeOther {
		t.Fatalf("a post with the token: %d", got)
	}
	// Revoking the token ends the session at the next request.
	toks, _ := e.a.ListTokens(apitest.As(u.ID), admin.Page{})
	if err := e.a.RevokeToken(apitest.As(u.ID), toks.Items[0].ID); err != nil {
		t.Fatal(err)
	}
	resp, err := c.Get(e.ui + "/teams")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, e.prefix+"/login") {
		t.Fatalf("after the revocation: %d %s", resp.StatusCode, loc)
	}
}

// TestSecurityHeaders checks the headers of a page and of an asset, and
// that the vendored htmx is served.
func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t, "/admin/ui")
	for _, path := range []string{"/login", "/static/htmx-2.0.11.min.js"} {
		resp, err := http.Get(e.ui + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") || !strings.Contains(csp, "frame-ancestors 'none'") {
			t.Errorf("%s: CSP %q", path, csp)
		}
		if resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: no nosniff", path)
		}
		if path == "/login" {
			for _, want := range []string{`href="/admin/ui/static/app.css"`, `src="/admin/ui/static/htmx-2.0.11.min.js"`, `action="/admin/ui/login"`} {
				if !strings.Contains(string(b), want) {
					t.Errorf("the sign-in page under /admin/ui lacks %s", want)
				}
			}
			ck := resp.Header.Get("Set-Cookie")
			if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") || !strings.Contains(ck, "Path=/admin/ui/") {
				t.Errorf("session cookie %q", ck)
			}
		} else if !strings.Contains(string(b), "htmx") {
			t.Errorf("%s is not htmx", path)
		}
	}
}

// TestPlatformAdminPages signs in as a platform admin, who alone sees the
// licence and usage page and the platform-wide audit log.
func TestPlatformAdminPages(t *testing.T) {
	e := newEnv(t, "")
	_, token := e.user(t, "root@example.com")
	ctx := tab(t)
	visit(t, ctx, e.ui+"/login", "#token")
	screenshot(t, ctx, "login")
	signIn(t, ctx, e, token)
	visit(t, ctx, e.ui+"/license", "#license-tier")
	if got := text(t, ctx, "#license-tier"); got != string(admin.TierEnterprise) {
		t.Fatalf("tier %q", got)
	}
	waitText(t, ctx, `#usage tr[data-kind="Users"]`, "1")
	screenshot(t, ctx, "license")
	visit(t, ctx, e.ui+"/audit", "#audit")
	waitText(t, ctx, "#audit", "token.create")
	screenshot(t, ctx, "platform-audit")
	visit(t, ctx, e.ui+"/projects/prj_missing", "#page-error")
	screenshot(t, ctx, "not-found")
}

// TestSingleSignOn signs in through an OpenID Connect provider: the
// sign-in page's SSO button, the provider, oidcauth's callback, and the
// dashboard's landing page that turns the token in the URL fragment into
// a session.
func TestSingleSignOn(t *testing.T) {
	provider := oidctest.New(t, "dashboard", "secret")
	e := newEnvWith(t, "/ui", func(a *admin.Admin, base string) (*httpapi.Options, *ui.Options) {
		o, err := oidcauth.New(context.Background(), a, provider.Issuer(), "dashboard", &oidcauth.Options{
			ClientSecret: "secret", RedirectURL: base + oidcauth.CallbackPath, PostLoginRedirect: base + "/ui/auth/sso"})
		if err != nil {
			t.Fatal(err)
		}
		return &httpapi.Options{Authenticators: []httpapi.Authenticator{httpapi.TokenAuthenticator(a), o}, Routes: o.Routes()},
			&ui.Options{SSOLoginURL: oidcauth.LoginPath, Authenticators: []httpapi.Authenticator{httpapi.TokenAuthenticator(a), o}}
	})
	u, _ := e.user(t, "sso@example.com")
	provider.SetUser(oidctest.User{Subject: "s1", Email: u.Email, EmailVerified: true, Name: "SSO User"})
	ctx := tab(t)
	visit(t, ctx, e.ui+"/login", `[data-control="sso"]`)
	drive("sso-form") // the landing page's form, posted by its script
	press(t, ctx, "", "sso", `[data-control="logout"]`)
	if got := text(t, ctx, ".who"); got != u.Email {
		t.Fatalf("signed in as %q, want %s", got, u.Email)
	}
	loc := get(t, ctx, "location", chromedp.Location())
	if strings.Contains(loc, "access_token") {
		t.Fatalf("the token stayed in the URL: %s", loc)
	}
	// Sign-out revokes the token oidcauth minted for this sign-in: the
	// session cookie, copied before, is refused afterwards.
	got, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{e.ui + "/"}})
	if err != nil {
		t.Fatal(err)
	}
	cookies := got.Cookies
	press(t, ctx, "", "logout", "#token")
	replay := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequest(http.MethodGet, e.ui+"/teams", nil)
	for _, c := range cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	resp, err := replay.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "/login") {
		t.Fatalf("the signed-out SSO cookie replayed: %d %s, want a redirect to the sign-in page", resp.StatusCode, loc)
	}
	toks, err := e.a.ListTokens(apitest.As(u.ID), admin.Page{Limit: admin.MaxPageLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range toks.Items {
		if strings.HasPrefix(tok.Name, "sso ") && tok.RevokedAt == nil {
			t.Errorf("the SSO sign-in's token %s is not revoked after sign-out", tok.ID)
		}
	}
	// The landing page without a token says so.
	visit(t, ctx, e.ui+"/auth/sso", "#sso-missing")
}

// TestSignOutEndsSession copies a session cookie, signs out, and replays
// the copy: it is refused (sign-out revoked the session's own token, in
// Storage), while the pasted token stays valid for the API; revoking the
// session's token on the API tokens page ends another session the same
// way.
func TestSignOutEndsSession(t *testing.T) {
	e := newEnv(t, "/ui")
	u, token := e.user(t, "root@example.com")
	s := signedIn(t, e, token)
	base, _ := url.Parse(e.ui + "/")
	copied := s.c.Jar.Cookies(base)
	replay := func() (int, string) {
		t.Helper()
		jar, _ := cookiejar.New(nil)
		jar.SetCookies(base, copied)
		other := &session{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: s.c.CheckRedirect}}
		resp, err := other.c.Get(e.ui + "/teams")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header.Get("Location")
	}
	if st, loc := replay(); st != http.StatusOK {
		t.Fatalf("the copied cookie before sign-out: %d %s, want 200", st, loc)
	}
	if st, _ := s.post("/logout", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", st)
	}
	if st, loc := replay(); st != http.StatusSeeOther || !strings.Contains(loc, "/login") {
		t.Fatalf("the copied cookie after sign-out: %d %s, want a redirect to the sign-in page", st, loc)
	}
	if _, err := e.a.AuthenticateToken(context.Background(), token); err != nil {
		t.Fatalf("sign-out revoked the pasted token: %v", err)
	}
	// Two sessions: revoking one's token from the other signs it out.
	s1, s2 := signedIn(t, e, token), signedIn(t, e, token)
	toks, err := e.a.ListTokens(apitest.As(u.ID), admin.Page{Limit: admin.MaxPageLimit, Desc: true})
	if err != nil {
		t.Fatal(err)
	}
	var live []*admin.APIToken
	for _, tok := range toks.Items {
		if tok.Name == ui.SessionTokenName && tok.RevokedAt == nil {
			live = append(live, tok)
		}
	}
	if len(live) != 2 {
		t.Fatalf("%d live session tokens, want 2", len(live))
	}
	if st, _ := s2.post("/tokens/"+live[1].ID+"/revoke", url.Values{}); st != http.StatusSeeOther {
		t.Fatalf("revoke the first session's token: %d", st)
	}
	if st, _ := s1.get("/teams"); st != http.StatusSeeOther {
		t.Fatalf("the session whose token was revoked: %d, want a redirect to the sign-in page", st)
	}
	if st, _ := s2.get("/teams"); st != http.StatusOK {
		t.Fatalf("the other session: %d, want 200", st)
	}
}

// session is a signed-in HTTP client of the dashboard (no browser), with
// the session's CSRF token.
type session struct {
	t    *testing.T
	e    *env
	c    *http.Client
	csrf string
}

func signedIn(t *testing.T, e *env, token string) *session {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	s := &session{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, body := s.get("/login")
	s.csrf = csrfOf(t, body)
	if st, _ := s.post("/login", url.Values{"token": {token}}); st != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", st)
	}
	_, body = s.get("/teams")
	s.csrf = csrfOf(t, body)
	return s
}

func csrfOf(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF token in %s", body)
	}
	return m[1]
}

func (s *session) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.c.Get(s.e.ui + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// post sends the form with the session's CSRF token.
func (s *session) post(path string, form url.Values) (int, string) {
	s.t.Helper()
	form.Set("csrf", s.csrf)
	resp, err := s.c.PostForm(s.e.ui+path, form)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestBadInput sends bad input through the forms: each answer shows the
// core's message next to the field (422), changes nothing, and a form
// larger than MaxFormBytes is refused with 413.
func TestBadInput(t *testing.T) {
	e := newEnv(t, "/ui")
	u, token := e.user(t, "root@example.com")
	s := signedIn(t, e, token)
	as := apitest.As(u.ID)
	team, err := e.a.CreateTeam(as, admin.NewTeam{Name: "Inputs"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.a.CreateProject(as, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal,
		SourceConfig: map[string]string{"path": apitest.ProjectPath}})
	if err != nil {
		t.Fatal(err)
	}
	fieldError := regexp.MustCompile(`class="field-error" role="alert">([^<]+)<`)
	for _, tc := range []struct {
		name, path string
		form       url.Values
		want       string
	}{
		{"empty team name", "/teams", url.Values{"name": {""}}, "must not be empty"},
		{"long team name", "/teams", url.Values{"name": {strings.Repeat("x", admin.MaxNameLength+1)}}, "at most 100 characters"},
		{"bad team slug", "/teams", url.Values{"name": {"A"}, "slug": {"-bad-"}}, "DNS label"},
		{"bad project slug", "/teams/" + team.ID + "/projects", url.Values{"name": {"Q"}, "slug": {"UPPER"}, "source": {"local?path=" + apitest.ProjectPath}}, "DNS label"},
		{"unknown source path", "/teams/" + team.ID + "/projects", url.Values{"name": {"Q"}, "source": {"local?path=../etc"}}, "inside the projects directory"},
		{"malformed source", "/teams/" + team.ID + "/projects", url.Values{"name": {"Q"}, "source": {"ftp?path=x"}}, "choose one of the projects"},
		{"unconfigured source", "/teams/" + team.ID + "/projects", url.Values{"name": {"Q"}, "source": {"github?repo=o/r"}}, "github"},
		{"bad env name", "/projects/" + p.ID + "/env", url.Values{"name": {"1X"}, "value": {"v"}}, "name"},
		{"oversized env value", "/projects/" + p.ID + "/env", url.Values{"name": {"BIG"}, "value": {strings.Repeat("v", admin.MaxEnvVarValueLength+1)}}, "at most"},
		{"bad role", "/teams/" + team.ID + "/members", url.Values{"user": {u.ID}, "role": {"king"}}, "is not one of"},
		{"bad token lifetime", "/tokens", url.Values{"name": {"t"}, "days": {"0"}}, "days"},
	} {
		status, body := s.post(tc.path, tc.form)
		m := fieldError.FindStringSubmatch(body)
		if status != http.StatusUnprocessableEntity || m == nil || !strings.Contains(m[1], tc.want) {
			got := ""
			if m != nil {
				got = m[1]
			}
			t.Errorf("%s: status %d, field error %q, want 422 with %q", tc.name, status, got, tc.want)
		}
	}
	if l, _ := e.a.ListTeams(as, admin.Page{}); len(l.Items) != 1 {
		t.Errorf("bad input created teams: %d", len(l.Items))
	}
	if vars, _ := e.a.ListEnvVars(as, p.ID); len(vars) != 0 {
		t.Errorf("bad input set env vars: %v", vars)
	}
	if status, body := s.post("/teams", url.Values{"name": {strings.Repeat("x", ui.MaxFormBytes)}}); status != http.StatusRequestEntityTooLarge {
		t.Errorf("a form over 1 MiB: %d, want 413: %.300s", status, body[strings.Index(body, "<main>"):])
	}
	// Unknown pages and objects are 404 pages, not errors.
	for _, path := range []string{"/nowhere", "/projects/prj_nope", "/builds/bld_nope"} {
		if status, _ := s.get(path); status != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", path, status)
		}
	}
}

// TestSignInRedirect: after sign-in the dashboard goes back to the page
// asked for, and never to another site.
func TestSignInRedirect(t *testing.T) {
	e := newEnv(t, "/ui")
	_, token := e.user(t, "root@example.com")
	for next, want := range map[string]string{
		"/teams?x=1": "/ui/teams?x=1", "//evil.example/": "/ui/", "/\\evil.example": "/ui/", "https://evil.example/": "/ui/",
		"/\t/evil.example": "/ui/", "/%2F%2Fevil.example": "/ui/%2F%2Fevil.example", "": "/ui/",
	} {
		jar, _ := cookiejar.New(nil)
		s := &session{t: t, e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		_, body := s.get("/login")
		s.csrf = csrfOf(t, body)
		form := url.Values{"token": {token}, "csrf": {s.csrf}, "next": {next}}
		resp, err := s.c.PostForm(e.ui+"/login", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("next=%q: %d to %q, want %q", next, resp.StatusCode, got, want)
		}
	}
}

// TestCSPEnforced checks, in Chromium, that the dashboard's policy blocks
// an inline script and an image from another origin (what an injected
// tag would try), and that the tests' problem recorder sees it.
func TestCSPEnforced(t *testing.T) {
	e := newEnv(t, "/ui")
	ctx := tab(t)
	run(t, ctx, "open the sign-in page", chromedp.Navigate(e.ui+"/login"), chromedp.WaitVisible(chromedp.CSS("#token")))
	run(t, ctx, "inject", chromedp.Evaluate[chromedp.Void](`(() => {
	  const s = document.createElement("script"); s.textContent = "window.__ran = true"; document.body.appendChild(s);
	  const i = document.createElement("img"); i.src = "http://evil.example/pixel.png"; document.body.appendChild(i);
	})()`))
	poll(t, ctx, "two violations", `window.__uiProblems.length >= 2`)
	problems := get(t, ctx, "problems", chromedp.Evaluate[[]string](`window.__uiProblems`))
	joined := strings.Join(problems, "\n")
	if !strings.Contains(joined, "script-src") || !strings.Contains(joined, "img-src") {
		t.Fatalf("violations: %v", problems)
	}
	if ran := get(t, ctx, "ran", chromedp.Evaluate[bool](`window.__ran === true`)); ran {
		t.Fatal("the inline script ran")
	}
}

// TestCloseEndsStreams: Close ends the live streams (a log tail here) so
// that a server's shutdown is not held up, and refuses new ones with 503;
// pages still work.
func TestCloseEndsStreams(t *testing.T) {
	e := newEnv(t, "/ui")
	u, token := e.user(t, "root@example.com")
	team, err := e.a.CreateTeam(apitest.As(u.ID), admin.NewTeam{Name: "Streams"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.a.CreateProject(apitest.As(u.ID), team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal,
		SourceConfig: map[string]string{"path": apitest.ProjectPath}})
	if err != nil {
		t.Fatal(err)
	}
	s := signedIn(t, e, token)
	resp, err := s.c.Get(e.ui + "/projects/" + p.ID + "/logs/stream")
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("the tail answered %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	ended := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, resp.Body)
		ended <- err
	}()
	if err := e.dash.Close(); err != nil { // returns once the stream has ended
		t.Fatal(err)
	}
	if err := <-ended; err != nil {
		t.Fatalf("the stream ended with %v", err)
	}
	resp.Body.Close()
	if status, _ := s.get("/projects/" + p.ID + "/logs/stream"); status != http.StatusServiceUnavailable {
		t.Fatalf("a stream after Close: %d, want 503", status)
	}
	if status, _ := s.get("/projects/" + p.ID); status != http.StatusOK {
		t.Fatalf("a page after Close: %d", status)
	}
}
