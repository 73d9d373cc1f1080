package oidcauth_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth/oidctest"
)

const clientID, clientSecret = "mastra-admin", "s3cr3t-client"

// sso is the API with single sign-on, served by httptest, and its provider.
type sso struct {
	env *apitest.Env
	p   *oidctest.Provider
	o   *oidcauth.OIDC
	h   *httpapi.Handler
	url string
	dev *admin.User // a user known to the platform
}

func newSSO(t *testing.T, opts oidcauth.Options) *sso {
	t.Helper()
	s := &sso{env: apitest.New(t, nil), p: oidctest.New(t, clientID, clientSecret)}
	var h http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	s.url = srv.URL
	opts.ClientSecret = clientSecret
	opts.RedirectURL = srv.URL + oidcauth.CallbackPath
	opts.Logger = s.env.Logger
	var err error
	if s.o, err = oidcauth.New(context.Background(), s.env.Admin, s.p.Issuer(), clientID, &opts); err != nil {
		t.Fatal(err)
	}
	s.h, err = httpapi.New(s.env.Admin, &httpapi.Options{Logger: s.env.Logger, Routes: s.o.Routes(),
		Authenticators: []httpapi.Authenticator{httpapi.TokenAuthenticator(s.env.Admin), s.o}})
	if err != nil {
		t.Fatal(err)
	}
	h = s.h
	if s.dev, err = s.env.Admin.CreateUser(apitest.System(), admin.NewUser{Email: "dev@example.com", Name: "Dev"}); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *sso) client(t *testing.T, token string) *apitest.Client {
	return &apitest.Client{T: t, URL: s.url, Token: token}
}

var devUser = oidctest.User{Subject: "okta|1", Email: "Dev@Example.com", EmailVerified: true, Name: "Dev"}

func TestBearerIDToken(t *testing.T) {
	s := newSSO(t, oidcauth.Options{AllowedDomains: []string{"example.com"}})
	var me admin.User
	s.client(t, s.p.IDToken(devUser, nil)).Do("GET", "/v1/me", nil).Must(t, 200, &me)
	if me.ID != s.dev.ID {
		t.Fatalf("signed in as %s, want %s", me.ID, s.dev.ID)
	}
	other := oidctest.New(t, clientID, clientSecret) // same client, other keys and issuer
	past := time.Now().Add(-2 * time.Hour).Unix()
	tampered := s.p.IDToken(devUser, nil)
	tampered = tampered[:len(tampered)-4] + "AAAA"
	cases := []struct {
		name, token, msg string
	}{
		{"expired", s.p.IDToken(devUser, map[string]any{"exp": past, "iat": past - 60}), "expired"},
		{"other audience", s.p.IDToken(devUser, map[string]any{"aud": "someone-else"}), "audience"},
		{"other issuer's keys", other.IDToken(devUser, nil), "invalid ID token"},
		{"claimed issuer, other keys", other.IDToken(devUser, map[string]any{"iss": s.p.Issuer()}), "invalid ID token"},
		{"tampered signature", tampered, "invalid ID token"},
		{"unsigned", "eyJhbGciOiJub25lIn0." + strings.Split(tampered, ".")[1] + ".", "invalid ID token"},
		{"unverified e-mail", s.p.IDToken(oidctest.User{Subject: "2", Email: "dev@example.com"}, nil), "not verified"},
		{"no e-mail", s.p.IDToken(oidctest.User{Subject: "3", EmailVerified: true}, nil), "no email claim"},
		{"unknown user", s.p.IDToken(oidctest.User{Subject: "4", Email: "new@example.com", EmailVerified: true}, nil), "no platform user"},
		{"other domain", s.p.IDToken(oidctest.User{Subject: "5", Email: "dev@evil.example", EmailVerified: true}, nil), "domain"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.client(t, c.token).Do("GET", "/v1/me", nil)
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if e := r.Err(t); e.Code != "unauthenticated" || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("error %+v, want a message with %q", e, c.msg)
			}
		})
	}
	// API tokens still work next to ID tokens.
	_, secret, err := s.env.Admin.CreateToken(apitest.As(s.dev.ID), admin.NewToken{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	s.client(t, secret).Do("GET", "/v1/me", nil).Must(t, 200, nil)
	if users, _ := s.env.Admin.ListUsers(apitest.System(), admin.Page{}); len(users.Items) != 1 {
		t.Fatalf("%d users: a refused sign-in provisioned someone", len(users.Items))
	}
}

func TestAutoProvision(t *testing.T) {
	s := newSSO(t, oidcauth.Options{AutoProvision: true})
	newcomer := oidctest.User{Subject: "9", Email: "newcomer@example.com", EmailVerified: true, Name: "New Comer"}
	var first, second admin.User
	s.client(t, s.p.IDToken(newcomer, nil)).Do("GET", "/v1/me", nil).Must(t, 200, &first)
	s.client(t, s.p.IDToken(newcomer, nil)).Do("GET", "/v1/me", nil).Must(t, 200, &second)
	if first.ID != second.ID || first.Email != "newcomer@example.com" || first.Name != "New Comer" || first.PlatformAdmin {
		t.Fatalf("provisioned %+v then %+v", first, second)
	}
	// A provisioned user is in no team.
	r := s.client(t, s.p.IDToken(newcomer, nil)).Do("GET", "/v1/teams", nil).Must(t, 200, nil)
	if !strings.Contains(string(r.Body), `"items":[]`) {
		t.Fatalf("teams of a new user: %s", r.Body)
	}
}

// browser follows the login flow as a browser does: cookies kept,
// redirects stepped through one by one.
func browser(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestLoginFlow(t *testing.T) {
	s := newSSO(t, oidcauth.Options{})
	s.p.SetUser(devUser)
	b := browser(t)
	login := get(t, b, s.url+oidcauth.LoginPath)
	if login.StatusCode != http.StatusFound {
		t.Fatalf("login: %d", login.StatusCode)
	}
	authz, _ := url.Parse(login.Header.Get("Location"))
	q := authz.Query()
	if !strings.HasPrefix(authz.String(), s.p.Issuer()+"/authorize") || q.Get("code_challenge_method") != "S256" ||
		q.Get("nonce") == "" || q.Get("state") == "" || q.Get("redirect_uri") != s.url+oidcauth.CallbackPath {
		t.Fatalf("authorize URL %s", authz)
	}
	var cookie *http.Cookie
	for _, c := range login.Cookies() {
		cookie = c
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || strings.Contains(cookie.Value, q.Get("state")) {
		t.Fatalf("login cookie %+v", cookie)
	}
	back := get(t, b, authz.String()) // the provider signs the user in
	callback := back.Header.Get("Location")
	resp := get(t, b, callback)
	if resp.StatusCode != 200 {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	var body apitest.NewToken
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.User.ID != s.dev.ID || body.Token.ExpiresAt.Sub(time.Now()) > oidcauth.DefaultTokenTTL {
		t.Fatalf("callback gave %+v", body)
	}
	var me admin.User
	s.client(t, body.Secret).Do("GET", "/v1/me", nil).Must(t, 200, &me)

	// The callback works once: replaying it (the cookie is gone) fails.
	if r := get(t, b, callback); r.StatusCode != 400 {
		t.Fatalf("replayed callback: %d", r.StatusCode)
	}
	// A callback with another browser's state, or none, fails.
	b2 := browser(t)
	get(t, b2, s.url+oidcauth.LoginPath)
	u, _ := url.Parse(callback)
	for _, state := range []string{"forged", ""} {
		qq := u.Query()
		qq.Set("state", state)
		u.RawQuery = qq.Encode()
		if r := get(t, b2, u.String()); r.StatusCode != 400 {
			t.Fatalf("callback with state %q: %d", state, r.StatusCode)
		}
	}
	// No login started: no cookie.
	if r := get(t, browser(t), callback); r.StatusCode != 400 {
		t.Fatalf("callback without a login: %d", r.StatusCode)
	}
	if strings.Contains(s.env.Logs.String(), body.Secret) || strings.Contains(s.env.Logs.String(), clientSecret) {
		t.Fatal("a secret reached the logs")
	}
}

func TestLoginRedirectsWithFragment(t *testing.T) {
	s := newSSO(t, oidcauth.Options{PostLoginRedirect: "https://console.example.com/signed-in"})
	s.p.SetUser(devUser)
	b := browser(t)
	authz := get(t, b, s.url+oidcauth.LoginPath).Header.Get("Location")
	resp := get(t, b, get(t, b, authz).Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %d", resp.StatusCode)
	}
	to, _ := url.Parse(resp.Header.Get("Location"))
	frag, _ := url.ParseQuery(to.Fragment)
	if to.Host != "console.example.com" || to.RawQuery != "" || frag.Get("token_type") != "Bearer" || frag.Get("expires_in") != "28800" {
		t.Fatalf("redirect to %s", to)
	}
	s.client(t, frag.Get("access_token")).Do("GET", "/v1/me", nil).Must(t, 200, nil)
}

func TestLoginRefusedByProvider(t *testing.T) {
	s := newSSO(t, oidcauth.Options{})
	s.p.SetUser(oidctest.User{Subject: "x", Email: "stranger@example.com", EmailVerified: true})
	b := browser(t)
	authz := get(t, b, s.url+oidcauth.LoginPath).Header.Get("Location")
	resp := get(t, b, get(t, b, authz).Header.Get("Location"))
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("callback for an unknown user: %d", resp.StatusCode)
	}
}

func TestNeedsSSOLicense(t *testing.T) {
	env := apitest.New(t, &apitest.Config{Development: true})
	p := oidctest.New(t, clientID, clientSecret)
	_, err := oidcauth.New(context.Background(), env.Admin, p.Issuer(), clientID, nil)
	var le *admin.LicenseError
	if !errors.Is(err, admin.ErrLicense) || !errors.As(err, &le) || !strings.Contains(le.Reason, "sso") {
		t.Fatalf("New without an SSO license: %v", err)
	}
	if n := p.Requests()["/.well-known/openid-configuration"]; n != 0 {
		t.Fatalf("the provider was contacted %d times", n)
	}
}

func TestBadOptions(t *testing.T) {
	env := apitest.New(t, nil)
	p := oidctest.New(t, clientID, clientSecret)
	for name, o := range map[string]oidcauth.Options{
		"short cookie key":  {CookieKey: []byte("short")},
		"relative redirect": {RedirectURL: "/v1/auth/oidc/callback"},
		"fragment":          {PostLoginRedirect: "https://x.example.com/#a"},
		"tiny ttl":          {TokenTTL: time.Second},
		"bad domain":        {AllowedDomains: []string{"@example.com"}},
	} {
		if _, err := oidcauth.New(context.Background(), env.Admin, p.Issuer(), clientID, &o); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := oidcauth.New(context.Background(), env.Admin, "http://127.0.0.1:1", clientID, nil); err == nil {
		t.Error("an unreachable issuer was accepted")
	}
}

// TestOpenAPIDocumentsRoutes: the login routes are in the API's OpenAPI
// document, marked as provided by this package.
func TestOpenAPIDocumentsRoutes(t *testing.T) {
	s := newSSO(t, oidcauth.Options{})
	r := s.client(t, "").Do("GET", "/v1/openapi.json", nil).Must(t, 200, nil)
	type operation struct {
		Summary    string `json:"summary"`
		Access     string `json:"x-access"`
		ProvidedBy string `json:"x-provided-by"`
	}
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil {
		t.Fatal(err)
	}
	ops := map[string]operation{}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method, raw := range item {
			var op operation
			if method == "parameters" || json.Unmarshal(raw, &op) != nil {
				continue
			}
			key := strings.ToUpper(method) + " " + path
			ops[key] = op
			if op.ProvidedBy == "oidcauth" {
				documented[key] = true
			}
		}
	}
	for _, rt := range s.o.Routes() {
		key := rt.Method + " " + rt.Pattern
		op := ops[key]
		if !documented[key] || op.Summary != rt.Summary || op.Access != rt.Access.String() {
			t.Errorf("route %s: documented %v as %+v", key, documented[key], op)
		}
		delete(documented, key)
	}
	for key := range documented {
		t.Errorf("the document has %s, which oidcauth does not serve", key)
	}
}
