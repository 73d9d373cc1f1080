package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/oidcauth/oidctest"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

const clientID, clientSecret = "mastra-admin", "client-s3cret"

var dev = oidctest.User{Subject: "00u1", Email: "dev@example.com", EmailVerified: true, Name: "Dev"}

// serve runs the example against an in-process OpenID Connect provider on
// a free loopback port until the test ends, and returns its URL and the
// provider.
func serve(t *testing.T) (string, *oidctest.Provider) {
	t.Helper()
	idp := oidctest.New(t, clientID, clientSecret)
	lic, _ := apitest.EnterpriseLicense(t)
	projects := t.TempDir()
	if err := runnertest.WriteFakeProject(filepath.Join(projects, apitest.ProjectPath)); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String() // the public URL must be known before the server listens
	l.Close()
	cfg := embedded.Config{Addr: addr, ProjectsDir: projects, DataDir: filepath.Join(t.TempDir(), "data"),
		AdminOptions: []admin.Option{lic},
		Runner:       &runnerlocal.Options{BuildMode: runnerlocal.BuildPlain}} // the fake project stands in for Mastra
	s := sso{issuer: idp.Issuer(), clientID: clientID, clientSecret: clientSecret, publicURL: "http://" + addr + "/",
		domains: []string{"example.com"}, autoProvision: true}
	ctx, cancel := context.WithCancel(context.Background())
	ready, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- run(ctx, cfg, s, func(a string) { ready <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the server stopped with %v", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("the server did not start: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the server did not start within a minute")
	}
	return "http://" + addr, idp
}

// get fetches u without following redirects, as a browser with cookies,
// and returns the response and its body.
func get(t *testing.T, b *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := b.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(body)
}

// TestServe walks the API with a token (REST, a deploy and its WebSocket),
// then signs in through the browser flow, and with an ID token.
func TestServe(t *testing.T) {
	base, idp := serve(t)
	apitest.Smoke(t, base)

	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	idp.SetUser(dev)
	if resp, body := get(t, b, base+"/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `href="`+oidcauth.LoginPath+`"`) {
		t.Fatalf("home page: %d\n%s", resp.StatusCode, body)
	}
	login, _ := get(t, b, base+oidcauth.LoginPath)
	if login.StatusCode != http.StatusFound || !strings.HasPrefix(login.Header.Get("Location"), idp.Issuer()) {
		t.Fatalf("login: %d to %s", login.StatusCode, login.Header.Get("Location"))
	}
	back, _ := get(t, b, login.Header.Get("Location")) // the provider signs the user in
	callback, _ := get(t, b, back.Header.Get("Location"))
	to, err := url.Parse(callback.Header.Get("Location"))
	if err != nil || callback.StatusCode != http.StatusSeeOther || to.Path != "/signed-in" {
		t.Fatalf("callback: %d to %s", callback.StatusCode, callback.Header.Get("Location"))
	}
	frag, err := url.ParseQuery(to.Fragment)
	if err != nil || frag.Get("access_token") == "" {
		t.Fatalf("the callback's redirect has no token in its fragment: %s", to)
	}
	page, body := get(t, b, base+to.Path)
	if page.StatusCode != http.StatusOK || !strings.Contains(body, `src="/signed-in.js"`) {
		t.Fatalf("signed-in page: %d\n%s", page.StatusCode, body)
	}
	if resp, js := get(t, b, base+"/signed-in.js"); resp.StatusCode != http.StatusOK || !strings.Contains(js, `fetch("/v1/me"`) {
		t.Fatalf("signed-in script: %d\n%s", resp.StatusCode, js)
	}
	var me admin.User
	(&apitest.Client{T: t, URL: base, Token: frag.Get("access_token")}).Do("GET", "/v1/me", nil).Must(t, http.StatusOK, &me)
	if me.Email != dev.Email {
		t.Fatalf("signed in as %q, want %q", me.Email, dev.Email)
	}
	(&apitest.Client{T: t, URL: base, Token: idp.IDToken(dev, nil)}).Do("GET", "/v1/me", nil).Must(t, http.StatusOK, nil)
	stranger := oidctest.User{Subject: "00u2", Email: "eve@elsewhere.example", EmailVerified: true}
	if r := (&apitest.Client{T: t, URL: base, Token: idp.IDToken(stranger, nil)}).Do("GET", "/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("an ID token from a domain not allowed: %d", r.Status)
	}
}

// TestConfigErrors: what is missing is named.
func TestConfigErrors(t *testing.T) {
	err := run(context.Background(), embedded.Config{}, sso{clientID: clientID}, nil)
	if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "-issuer") {
		t.Errorf("run without -issuer = %v", err)
	}
	if _, err := license("", ""); err == nil || !strings.Contains(err.Error(), "MASTRA_ADMIN_LICENSE") {
		t.Errorf("license without a key = %v", err)
	}
	if _, err := license("mlic1.x", "not-a-key"); !errors.Is(err, admin.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "MASTRA_ADMIN_LICENSE_PUBLIC_KEY") {
		t.Errorf("license with a bad public key = %v", err)
	}
	pub, priv, err := admin.GenerateLicenseKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	key, err := admin.SignLicense(priv, admin.License{Customer: "sso", Tier: admin.TierEnterprise,
		IssuedAt: time.Now().Add(-time.Hour), ExpiresAt: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := license(key, admin.FormatLicensePublicKey(pub)); err != nil {
		t.Errorf("license with a signed key: %v", err)
	}
}
