// Package apitest helps test code that serves or calls the HTTP API: an
// Admin on the embedded defaults in a temporary directory with a Mastra
// project to deploy, an enterprise license, logs captured as JSON, and a
// small client that speaks the API's JSON.
//
// It is for tests (it takes a testing.TB and fails it); it talks to real
// adapters and real HTTP servers, never to mocks.
package apitest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// ProjectPath is the source config path of the Mastra project every Env
// has: {"path": ProjectPath} for the local source.
const ProjectPath = "demo"

// Config configures New. The zero value (or nil) means the defaults.
type Config struct {
	// Start starts the Admin's build workers; by default builds stay
	// queued.
	Start bool
	// AdminOptions are added to the Admin's (after the license).
	AdminOptions []admin.Option
	// Development runs without a license (admin.DevelopmentLicense)
	// instead of an unlimited enterprise one.
	Development bool
}

// Env is an Admin on the embedded defaults, closed when the test ends.
type Env struct {
	Stack *embedded.Stack
	Admin *admin.Admin
	// ProjectsDir holds one Mastra project, at ProjectPath (runnertest's
	// fake project: it builds in about a second without the network).
	ProjectsDir string
	// Logs holds what every part logged, as JSON lines; Logger writes
	// there.
	Logs       *Buffer
	Logger     *slog.Logger
	LicenseKey string
}

// New builds an Env in t's temporary directory.
func New(t testing.TB, cfg *Config) *Env {
	t.Helper()
	var c Config
	if cfg != nil {
		c = *cfg
	}
	e := &Env{ProjectsDir: t.TempDir(), Logs: &Buffer{}}
	e.Logger = slog.New(slog.NewJSONHandler(e.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if err := runnertest.WriteFakeProject(filepath.Join(e.ProjectsDir, ProjectPath)); err != nil {
		t.Fatal(err)
	}
	var opts []admin.Option
	if !c.Development {
		var lic admin.Option
		lic, e.LicenseKey = EnterpriseLicense(t)
		opts = append(opts, lic)
	}
	opts = append(opts, admin.WithIntervals(100*time.Millisecond, time.Hour))
	opts = append(opts, c.AdminOptions...)
	st, err := embedded.Open(context.Background(), filepath.Join(t.TempDir(), "data"), &embedded.Options{
		ProjectsDir: e.ProjectsDir, Logger: e.Logger, AdminOptions: opts, NoStart: !c.Start,
		Runner: &runnerlocal.Options{BuildMode: runnerlocal.BuildPlain}}) // the fake project stands in for Mastra
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := st.Close(); err != nil {
			t.Errorf("close the admin: %v", err)
		}
	})
	e.Stack, e.Admin = st, st.Admin
	return e
}

// EnterpriseLicense returns the option that installs an enterprise license
// without limits (single sign-on included), signed with a key made for the
// test, and the license key.
func EnterpriseLicense(t testing.TB) (admin.Option, string) {
	t.Helper()
	pub, priv, err := admin.GenerateLicenseKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	key, err := admin.SignLicense(priv, admin.License{Customer: "apitest", Tier: admin.TierEnterprise,
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(365 * 24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	return admin.WithLicense(key, ed25519.PublicKey(pub)), key
}

// System returns a context acting as the system principal.
func System() context.Context {
	return admin.WithPrincipal(context.Background(), admin.SystemPrincipal())
}

// As returns a context acting as the user.
func As(userID string) context.Context {
	return admin.WithPrincipal(context.Background(), admin.Principal{UserID: userID})
}

// Buffer is a bytes.Buffer safe for concurrent writers (log handlers).
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

// String returns everything written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Client calls the API at URL as the bearer of Token ("" for none).
type Client struct {
	T     testing.TB
	URL   string
	Token string
	// HTTP defaults to http.DefaultClient.
	HTTP *http.Client
	// Seen collects every response body, for tests that look for leaks.
	Seen *Buffer
}

// Response is an answer of the API, read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends a request. body is sent as is when it is a string or []byte,
// as JSON otherwise, and not at all when nil; a body sets Content-Type:
// application/json.
func (c *Client) Do(method, path string, body any) *Response {
	c.T.Helper()
	return c.DoWith(method, path, body, nil)
}

// DoWith is Do with extra request headers.
func (c *Client) DoWith(method, path string, body any, header http.Header) *Response {
	c.T.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.T.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.URL+path, rd)
	if err != nil {
		c.T.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	hc := c.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		c.T.Fatalf("%s %s: read body: %v", method, path, err)
	}
	if c.Seen != nil {
		fmt.Fprintf(c.Seen, "%s %s -> %d\n%s\n", method, path, resp.StatusCode, out)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

// As returns a copy of c that sends token.
func (c *Client) As(token string) *Client {
	cc := *c
	cc.Token = token
	return &cc
}

// Must fails the test unless the response has status want, and decodes
// the body into v when v is not nil.
func (r *Response) Must(t testing.TB, want int, v any) *Response {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d; body: %s", r.Status, want, r.Body)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			t.Fatalf("decode %s: %v", r.Body, err)
		}
	}
	return r
}

// Err decodes an error response.
func (r *Response) Err(t testing.TB) httpapi.ErrorBody {
	t.Helper()
	var e struct {
		Error httpapi.ErrorBody `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &e); err != nil || e.Error.Code == "" {
		t.Fatalf("not an error body (status %d): %s", r.Status, r.Body)
	}
	return e.Error
}

// NewToken is the answer to POST /v1/bootstrap and POST /v1/tokens.
type NewToken struct {
	User   *admin.User     `json:"user"`
	Token  *admin.APIToken `json:"token"`
	Secret string          `json:"secret"`
}

// Bootstrap creates the platform's first user through the API and returns
// a client acting as them.
func (c *Client) Bootstrap(email string) (*Client, NewToken) {
	c.T.Helper()
	var nt NewToken
	c.Do("POST", "/v1/bootstrap", map[string]string{"email": email, "name": "Platform Admin"}).Must(c.T, http.StatusCreated, &nt)
	return c.As(nt.Secret), nt
}
