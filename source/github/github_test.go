package github_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source/git"
	"github.com/mastra-admin/mastra-admin-go/source/git/gittest"
	"github.com/mastra-admin/mastra-admin-go/source/github"
	"github.com/mastra-admin/mastra-admin-go/source/sourcetest"
)

// No real GitHub is reachable here: fakeAPI speaks the REST endpoints this
// source uses (installation access tokens, installation and user
// repository listings), under an Enterprise-style /api/v3/ prefix, and
// the repositories are served by a real git server (gittest).

const installToken = "ghs_installation-token-123"

type fakeAPI struct {
	*httptest.Server
	key   *rsa.PrivateKey
	pat   string
	repos []string
	mu    sync.Mutex
	mints int
}

func newFakeAPI(t *testing.T, pat string, repos ...string) *fakeAPI {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeAPI{key: key, pat: pat, repos: repos}
	f.Server = httptest.NewServer(http.StripPrefix("/api/v3", http.HandlerFunc(f.serve)))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) keyPEM() []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(f.key)})
}

// validJWT checks an App JWT's RS256 signature with the App's public key.
func (f *fakeAPI) validJWT(auth string) bool {
	tok, ok := strings.CutPrefix(auth, "Bearer ")
	parts := strings.Split(tok, ".")
	if !ok || len(parts) != 3 {
		return false
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return false
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	return rsa.VerifyPKCS1v15(&f.key.PublicKey, crypto.SHA256, sum[:], sig) == nil
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	auth := r.Header.Get("Authorization")
	page := r.URL.Query().Get("page")
	list := func() []map[string]any {
		// Two pages: the first repository, then the rest.
		var out []map[string]any
		for i, name := range f.repos {
			if (page == "" || page == "1") == (i == 0) {
				out = append(out, map[string]any{"full_name": name, "default_branch": "main", "private": true})
			}
		}
		if page == "" || page == "1" {
			w.Header().Set("Link", fmt.Sprintf(`<%s/api/v3%s?page=2>; rel="next"`, f.URL, r.URL.Path))
		}
		return out
	}
	switch {
	case r.Method == "POST" && r.URL.Path == "/app/installations/42/access_tokens":
		if !f.validJWT(auth) {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		f.mu.Lock()
		f.mints++
		f.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(map[string]any{"token": installToken, "expires_at": "2099-01-01T00:00:00Z"})
	case r.Method == "GET" && r.URL.Path == "/installation/repositories":
		if auth != "token "+installToken {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"total_count": len(f.repos), "repositories": list()})
	case r.Method == "GET" && r.URL.Path == "/repos/acme/agents/pulls":
		if auth != "token "+installToken || r.URL.Query().Get("state") != "open" {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode([]map[string]any{{"number": 3, "state": "open"}, {"number": 8, "state": "open"}})
	case r.Method == "GET" && r.URL.Path == "/user/repos":
		if auth != "Bearer "+f.pat {
			http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
			return
		}
		json.NewEncoder(w).Encode(list())
	default:
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
	}
}

func fakeProject(name string) map[string]string {
	files := map[string]string{}
	for k, v := range sourcetest.MastraProject(name, "^1.0.0") {
		files[k] = v.Data
	}
	return files
}

func TestAppInstallation(t *testing.T) {
	gs := gittest.NewServer(t, installToken)
	agents := gs.NewRepo(t, "acme/agents")
	head := agents.Commit(t, "main", fakeProject("agents"), "first")
	gs.NewRepo(t, "acme/empty")
	api := newFakeAPI(t, "", "acme/agents", "acme/empty")
	src, err := github.New(&github.Options{
		App:     &github.App{AppID: 7, InstallationID: 42, PrivateKey: api.keyPEM()},
		BaseURL: api.URL + "/api/v3/", GitURL: gs.URL + "/",
		Git: git.Options{CacheDir: t.TempDir(), AllowHTTP: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	repos, err := src.ListRepositories(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 2 || repos[0].FullName != "acme/agents" || repos[1].FullName != "acme/empty" || repos[0].CloneURL != agents.URL {
		t.Fatalf("ListRepositories = %+v", repos)
	}
	found, err := src.ListProjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].Type != admin.SourceGitHub || found[0].Config[github.ConfigRepo] != "acme/agents" {
		t.Fatalf("ListProjects = %+v", found)
	}
	cfg := map[string]string{github.ConfigRepo: "acme/agents"}
	if err := src.Validate(t.Context(), cfg); err != nil {
		t.Fatal(err)
	}
	dir, rev, err := src.GetProjectRevision(t.Context(), cfg, "main", filepath.Join(t.TempDir(), "src"))
	if err != nil {
		t.Fatal(err)
	}
	if rev.Commit != head {
		t.Errorf("commit %s, want %s", rev.Commit, head)
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Error(err)
	}
	agents.Commit(t, "feature/x", map[string]string{"x.ts": "1\n"}, "x")
	rs, err := src.RefState(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Branches) != 2 || !rs.Branches["main"] || !rs.Branches["feature/x"] || len(rs.OpenPulls) != 2 || !rs.OpenPulls[3] || !rs.OpenPulls[8] {
		t.Errorf("RefState = %+v", rs)
	}
	// The installation token is minted once and reused while valid.
	if api.mints != 1 {
		t.Errorf("installation token minted %d times, want 1", api.mints)
	}
	for _, bad := range []map[string]string{{github.ConfigRepo: "../etc"}, {github.ConfigRepo: "acme"},
		{github.ConfigRepo: "acme/agents", "url": "https://evil.example/x.git"}, {github.ConfigRepo: "a/b/c"}, nil} {
		if err := src.Validate(t.Context(), bad); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Validate(%v) = %v, want ErrInvalidArgument", bad, err)
		}
	}
}

func TestPersonalToken(t *testing.T) {
	api := newFakeAPI(t, "ghp_personal", "alice/bot", "alice/agents")
	src, err := github.New(&github.Options{Token: "ghp_personal", BaseURL: api.URL + "/api/v3/",
		Git: git.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	repos, err := src.ListRepositories(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(repos) != 2 || repos[0].FullName != "alice/agents" || !strings.HasPrefix(repos[0].CloneURL, api.URL+"/alice/") {
		t.Fatalf("ListRepositories = %+v", repos)
	}
	wrong, err := github.New(&github.Options{Token: "ghp_wrong", BaseURL: api.URL + "/api/v3/", Git: git.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.ListRepositories(context.Background()); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("a wrong token: %v, want ErrForbidden", err)
	}
	for name, o := range map[string]github.Options{
		"no credentials": {},
		"both":           {Token: "x", App: &github.App{AppID: 1, InstallationID: 2, PrivateKey: api.keyPEM()}},
		"bad key":        {App: &github.App{AppID: 1, InstallationID: 2, PrivateKey: []byte("not a key")}},
		"bad base URL":   {Token: "x", BaseURL: "ftp://ghe"},
	} {
		o.Git.CacheDir = t.TempDir()
		if _, err := github.New(&o); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
}
