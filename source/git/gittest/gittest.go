package gittest

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

// Username is the user name the server expects with its token, as GitHub
// does for tokens.
const Username = "x-access-token"

// Backend finds git-http-backend: MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND, then
// git's exec path. It skips t (fails it when services are required) when
// there is none.
func Backend(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND"); p != "" {
		return p
	}
	out, err := exec.Command("git", "--exec-path").Output()
	if err == nil {
		p := filepath.Join(strings.TrimSpace(string(out)), "git-http-backend")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	testenv.Unavailable(t, "git-http-backend", "MASTRA_ADMIN_TEST_GIT_HTTP_BACKEND", "git and its git-http-backend are not installed")
	return ""
}

// LFS finds git-lfs: MASTRA_ADMIN_TEST_GIT_LFS, then PATH. It skips t
// (fails it when services are required) when there is none.
func LFS(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("MASTRA_ADMIN_TEST_GIT_LFS"); p != "" {
		return p
	}
	if p, err := exec.LookPath("git-lfs"); err == nil {
		return p
	}
	testenv.Unavailable(t, "git-lfs", "MASTRA_ADMIN_TEST_GIT_LFS", "git-lfs is not installed")
	return ""
}

// Request is what the server saw of one request.
type Request struct {
	Method, URL string
	// Authorization is the request's Authorization header.
	Authorization string
}

// Server is an in-process git server over HTTP.
type Server struct {
	// URL is the server's base URL; repositories are at URL/{name}.git.
	URL   string
	root  string
	token string

	mu       sync.Mutex
	requests []Request
	lfs      map[string][]byte // LFS objects by sha256 oid
}

// NewServer starts a server that asks for Basic auth with user Username
// and password token (no auth when token is empty), closed with t.
func NewServer(t testing.TB, token string) *Server {
	t.Helper()
	backend := Backend(t)
	s := &Server{root: t.TempDir(), token: token, lfs: map[string][]byte{}}
	h := &cgi.Handler{Path: backend, Env: []string{"GIT_PROJECT_ROOT=" + s.root, "GIT_HTTP_EXPORT_ALL=1"}}
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(Username+":"+token))
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests = append(s.requests, Request{Method: r.Method, URL: r.URL.String(), Authorization: r.Header.Get("Authorization")})
		s.mu.Unlock()
		if token != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte(want)) != 1 {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		switch {
		case strings.HasSuffix(r.URL.Path, ".git/info/lfs/objects/batch"):
			s.lfsBatch(w, r)
		case strings.HasPrefix(r.URL.Path, lfsObjects):
			s.lfsObject(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// Requests returns the requests the server saw, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Repo is a bare repository the server serves, with a working clone to
// commit through.
type Repo struct {
	// URL is the repository's URL on the server.
	URL string
	// Dir is the bare repository's directory.
	Dir  string
	work string
}

// NewRepo makes an empty bare repository name.git (whose default branch is
// main) that allows fetching any commit reachable from a ref by its id, as
// GitHub does.
func (s *Server) NewRepo(t testing.TB, name string) *Repo {
	t.Helper()
	r := &Repo{URL: s.URL + "/" + name + ".git", Dir: filepath.Join(s.root, name+".git"), work: t.TempDir()}
	Git(t, s.root, "init", "--quiet", "--bare", "--initial-branch=main", r.Dir)
	Git(t, r.Dir, "config", "uploadpack.allowReachableSHA1InWant", "true")
	Git(t, r.Dir, "config", "http.receivepack", "true")
	Git(t, r.work, "init", "--quiet", "--initial-branch=main")
	Git(t, r.work, "remote", "add", "origin", r.Dir)
	return r
}

// Git runs git with args in dir, isolated from the user's configuration,
// and returns its trimmed output; it fails t on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+os.DevNull, "LC_ALL=C",
		"GIT_AUTHOR_NAME=Test Author", "GIT_AUTHOR_EMAIL=author@example.com",
		"GIT_COMMITTER_NAME=Test Committer", "GIT_COMMITTER_EMAIL=committer@example.com",
		"GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z",
		"GIT_ALLOW_PROTOCOL=file")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %s (in %s): %v\n%s", strings.Join(args, " "), dir, err, out)
	}
	return strings.TrimSpace(string(out))
}

// WorkDir is the working clone commits are made in.
func (r *Repo) WorkDir() string { return r.work }

// Checkout switches the working clone to branch, creating it from the
// current commit when it does not exist.
func (r *Repo) Checkout(t testing.TB, branch string) {
	t.Helper()
	Git(t, r.work, "checkout", "--quiet", "-B", branch)
}

// Commit switches the working clone to branch (creating it from the
// current commit when new), writes files (slash paths; "" content deletes
// the file), commits everything with message, pushes the branch and
// returns the commit id.
func (r *Repo) Commit(t testing.TB, branch string, files map[string]string, message string) string {
	t.Helper()
	r.Checkout(t, branch)
	for name, data := range files {
		p := filepath.Join(r.work, filepath.FromSlash(name))
		if data == "" {
			if err := os.Remove(p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return r.CommitAll(t, branch, message)
}

// CommitAll commits everything in the working clone (as it is) on the
// current branch with message, pushes it as branch and returns the commit
// id.
func (r *Repo) CommitAll(t testing.TB, branch, message string) string {
	t.Helper()
	Git(t, r.work, "add", "--all")
	Git(t, r.work, "commit", "--quiet", "--allow-empty", "--message", message)
	Git(t, r.work, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/"+branch)
	return Git(t, r.work, "rev-parse", "HEAD")
}

// UpdateRef points ref (e.g. refs/pull/7/head) at commit in the bare
// repository.
func (r *Repo) UpdateRef(t testing.TB, ref, commit string) {
	t.Helper()
	Git(t, r.Dir, "update-ref", ref, commit)
}

// DeleteRef removes ref (e.g. refs/heads/feature) from the bare repository.
func (r *Repo) DeleteRef(t testing.TB, ref string) {
	t.Helper()
	Git(t, r.Dir, "update-ref", "-d", ref)
}

// The Git LFS API, enough for git-lfs's basic transfers: the batch
// endpoint of each repository ({repo}.git/info/lfs/objects/batch), and
// the objects it points to (lfsObjects{oid}), downloaded with GET and
// uploaded with PUT, behind the same Basic auth as git.
const lfsObjects = "/lfs/objects/"

const lfsMediaType = "application/vnd.git-lfs+json"

type lfsPointer struct {
	OID  string `json:"oid"`
	Size int64  `json:"size"`
}

// AddLFSObject stores data as an LFS object and returns the pointer file
// to commit in its place (with a .gitattributes line such as
// "*.bin filter=lfs diff=lfs merge=lfs -text").
func (s *Server) AddLFSObject(data []byte) string {
	sum := sha256.Sum256(data)
	oid := hex.EncodeToString(sum[:])
	s.mu.Lock()
	s.lfs[oid] = slices.Clone(data)
	s.mu.Unlock()
	return fmt.Sprintf("version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize %d\n", oid, len(data))
}

// LFSObject returns the LFS object oid, when the server holds it.
func (s *Server) LFSObject(oid string) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.lfs[oid]
	return b, ok
}

func (s *Server) lfsBatch(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Operation string       `json:"operation"`
		Objects   []lfsPointer `json:"objects"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil ||
		(req.Operation != "download" && req.Operation != "upload") {
		http.Error(w, `{"message":"a batch request is a POST of {operation, objects}"}`, http.StatusUnprocessableEntity)
		return
	}
	type action struct {
		Href      string `json:"href"`
		ExpiresIn int    `json:"expires_in"`
	}
	type object struct {
		lfsPointer
		Authenticated bool              `json:"authenticated,omitempty"`
		Actions       map[string]action `json:"actions,omitempty"`
		Error         *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error,omitempty"`
	}
	out := make([]object, 0, len(req.Objects))
	for _, o := range req.Objects {
		obj := object{lfsPointer: o}
		data, have := s.LFSObject(o.OID)
		switch {
		case req.Operation == "upload" && have:
			// Held already: nothing to send.
		case req.Operation == "upload" || (have && int64(len(data)) == o.Size):
			obj.Authenticated = true
			obj.Actions = map[string]action{req.Operation: {Href: s.URL + lfsObjects + o.OID, ExpiresIn: 3600}}
		default:
			obj.Error = &struct {
				Code    int    `json:"code"`
				Message string `json:"message"`
			}{http.StatusNotFound, "object does not exist"}
		}
		out = append(out, obj)
	}
	w.Header().Set("Content-Type", lfsMediaType)
	json.NewEncoder(w).Encode(map[string]any{"transfer": "basic", "objects": out})
}

func (s *Server) lfsObject(w http.ResponseWriter, r *http.Request) {
	oid := strings.TrimPrefix(r.URL.Path, lfsObjects)
	switch r.Method {
	case http.MethodGet:
		data, ok := s.LFSObject(oid)
		if !ok {
			http.Error(w, "no such object", http.StatusNotFound)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(data)
	case http.MethodPut:
		data, err := io.ReadAll(r.Body)
		sum := sha256.Sum256(data)
		if err != nil || hex.EncodeToString(sum[:]) != oid {
			http.Error(w, "the object does not match its oid", http.StatusUnprocessableEntity)
			return
		}
		s.mu.Lock()
		s.lfs[oid] = data
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	default:
		http.Error(w, "GET or PUT", http.StatusMethodNotAllowed)
	}
}
