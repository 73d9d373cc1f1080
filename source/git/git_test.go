package git_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source/git"
	"github.com/mastra-admin/mastra-admin-go/source/git/gittest"
	"github.com/mastra-admin/mastra-admin-go/source/sourcetest"
)

const token = "ghs_t0ken-for-tests-9f8e7d"

// tokenCreds gives the server's token as GitHub tokens are given.
func tokenCreds(tok string) git.CredentialsFunc {
	return func(context.Context, string) (git.Credentials, error) {
		return git.Credentials{Username: gittest.Username, Password: tok}, nil
	}
}

func newSource(t *testing.T, opts git.Options) *git.Source {
	t.Helper()
	if opts.CacheDir == "" {
		opts.CacheDir = t.TempDir()
	}
	opts.AllowHTTP = true
	s, err := git.New(&opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		New: func(t *testing.T) (admin.Source, sourcetest.AddFunc) {
			srv := gittest.NewServer(t, token)
			repo := srv.NewRepo(t, "projects")
			src := newSource(t, git.Options{Repositories: []string{repo.URL}, Credentials: tokenCreds(token)})
			var mu sync.Mutex
			return src, func(t *testing.T, dir string, files sourcetest.Files) map[string]string {
				mu.Lock()
				defer mu.Unlock()
				sourcetest.WriteFiles(t, filepath.Join(repo.WorkDir(), filepath.FromSlash(dir)), files)
				repo.CommitAll(t, "main", "add "+dir)
				return map[string]string{git.ConfigURL: repo.URL, git.ConfigPath: dir}
			}
		},
		InvalidConfigs: func(valid map[string]string) []map[string]string {
			with := func(k, v string) map[string]string {
				c := map[string]string{git.ConfigURL: valid[git.ConfigURL], git.ConfigPath: valid[git.ConfigPath]}
				c[k] = v
				return c
			}
			u := strings.TrimPrefix(valid[git.ConfigURL], "http://")
			return []map[string]string{
				with(git.ConfigURL, "file:///etc"),
				with(git.ConfigURL, "ext::sh -c touch% /tmp/pwned"),
				with(git.ConfigURL, "ssh://git@example.com/x.git"),
				with(git.ConfigURL, "git@example.com:x.git"),
				with(git.ConfigURL, "http://user:pass@"+u),
				with(git.ConfigURL, valid[git.ConfigURL]+"?x=1"),
				with(git.ConfigURL, valid[git.ConfigURL]+"#frag"),
				with(git.ConfigURL, "http://"+u+"/../other.git"),
				with(git.ConfigURL, ""),
				with(git.ConfigPath, ""),
				with(git.ConfigPath, `a\b`),
				with("branch", "main"),
				{git.ConfigPath: "app"},
			}
		},
	})
}

// project is a minimal Mastra project's files as the gittest helpers take
// them.
func project(name, marker string) map[string]string {
	files := map[string]string{}
	for k, v := range sourcetest.MastraProject(name, "^1.0.0") {
		files[k] = v.Data
	}
	files["marker.txt"] = marker
	return files
}

func readMarker(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "marker.txt"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRefs(t *testing.T) {
	srv := gittest.NewServer(t, token)
	repo := srv.NewRepo(t, "agent")
	mainSHA := repo.Commit(t, "main", project("agent", "main-1"), "first\n\nbody line")
	gittest.Git(t, repo.WorkDir(), "tag", "v1.0.0")
	gittest.Git(t, repo.WorkDir(), "tag", "--annotate", "--message", "release", "v1.0.1")
	gittest.Git(t, repo.WorkDir(), "push", "--quiet", "origin", "v1.0.0", "v1.0.1")
	featSHA := repo.Commit(t, "feature/login", map[string]string{"marker.txt": "feature"}, "feature work")
	// A pull request's head: on no branch, reachable only from its PR ref.
	repo.Checkout(t, "pr-work")
	prSHA := repo.Commit(t, "pr-work", map[string]string{"marker.txt": "pull-7"}, "pr commit")
	repo.UpdateRef(t, "refs/pull/7/head", prSHA)
	repo.DeleteRef(t, "refs/heads/pr-work")
	repo.Checkout(t, "main")
	mainSHA2 := repo.Commit(t, "main", map[string]string{"marker.txt": "main-2"}, "second")

	src := newSource(t, git.Options{Credentials: tokenCreds(token)})
	cfg := map[string]string{git.ConfigURL: repo.URL}
	for _, c := range []struct {
		ref, marker, commit string
	}{
		{"", "main-2", mainSHA2},
		{"main", "main-2", mainSHA2},
		{"feature/login", "feature", featSHA},
		{"v1.0.0", "main-1", mainSHA},
		{"v1.0.1", "main-1", mainSHA},
		{mainSHA, "main-1", mainSHA},
		{"refs/pull/7/head", "pull-7", prSHA},
		{prSHA, "pull-7", prSHA}, // a commit on no branch
	} {
		t.Run(strings.ReplaceAll(c.ref, "/", "_"), func(t *testing.T) {
			dir, rev, err := src.GetProjectRevision(t.Context(), cfg, c.ref, filepath.Join(t.TempDir(), "src"))
			if err != nil {
				t.Fatal(err)
			}
			if got := readMarker(t, dir); got != c.marker {
				t.Errorf("ref %q checked out marker %q, want %q", c.ref, got, c.marker)
			}
			if rev.Commit != c.commit {
				t.Errorf("ref %q: Revision.Commit = %s, want %s", c.ref, rev.Commit, c.commit)
			}
			if rev.Author != "Test Author <author@example.com>" || rev.Time.IsZero() || rev.Message == "" {
				t.Errorf("ref %q: Revision = %+v, want the author, time and message", c.ref, rev)
			}
		})
	}
	_, rev, err := src.GetProjectRevision(t.Context(), cfg, mainSHA, filepath.Join(t.TempDir(), "src"))
	if err != nil {
		t.Fatal(err)
	}
	if rev.Message != "first\n\nbody line" {
		t.Errorf("message = %q, want the whole message", rev.Message)
	}

	for _, ref := range []string{"no-such-branch", "refs/pull/8/head", strings.Repeat("ab", 20)} {
		target := filepath.Join(t.TempDir(), "src")
		_, err := src.GetProjectPath(t.Context(), cfg, ref, target)
		if !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("ref %q = %v, want admin.ErrNotFound", ref, err)
		} else if !strings.Contains(err.Error(), ref) {
			t.Errorf("error %q does not name the ref %q", err, ref)
		}
	}
	for _, ref := range []string{"--upload-pack=touch /tmp/x", "main..x", "a b", "x:y", "refs/heads/x.lock", "-x"} {
		_, err := src.GetProjectPath(t.Context(), cfg, ref, filepath.Join(t.TempDir(), "src"))
		if !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("ref %q = %v, want admin.ErrInvalidArgument", ref, err)
		}
	}
}

func TestTokenHeader(t *testing.T) {
	srv := gittest.NewServer(t, token)
	repo := srv.NewRepo(t, "private")
	repo.Commit(t, "main", project("private", "x"), "first")

	src := newSource(t, git.Options{Credentials: tokenCreds(token)})
	cfg := map[string]string{git.ConfigURL: repo.URL}
	if _, err := src.GetProjectPath(t.Context(), cfg, "main", filepath.Join(t.TempDir(), "src")); err != nil {
		t.Fatal(err)
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(gittest.Username+":"+token))
	var authorized int
	for _, r := range srv.Requests() {
		if strings.Contains(r.URL, token) || strings.Contains(r.URL, gittest.Username) {
			t.Errorf("request URL %q carries credentials", r.URL)
		}
		if r.Authorization == basic {
			authorized++
		}
	}
	if authorized == 0 {
		t.Errorf("no request carried the token header; requests: %+v", srv.Requests())
	}

	t.Run("WrongToken", func(t *testing.T) {
		bad := newSource(t, git.Options{Credentials: tokenCreds("wrong-token-1234")})
		target := filepath.Join(t.TempDir(), "src")
		_, err := bad.GetProjectPath(t.Context(), cfg, "main", target)
		if err == nil {
			t.Fatal("a wrong token fetched the repository")
		}
		if strings.Contains(err.Error(), "wrong-token-1234") || strings.Contains(err.Error(),
			base64.StdEncoding.EncodeToString([]byte(gittest.Username+":wrong-token-1234"))) {
			t.Errorf("error carries the token: %v", err)
		}
		if !strings.Contains(err.Error(), "main") {
			t.Errorf("error %q does not say what was fetched", err)
		}
		if _, err := os.Stat(target); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("a failed fetch left %s behind", target)
		}
	})
	t.Run("NoToken", func(t *testing.T) {
		anon := newSource(t, git.Options{})
		if _, err := anon.GetProjectPath(t.Context(), cfg, "main", filepath.Join(t.TempDir(), "src")); err == nil {
			t.Fatal("no token fetched a private repository")
		}
	})
	t.Run("ScopedToHost", func(t *testing.T) {
		// A submodule on another host (another port) never gets the token
		// given for the repository's own host.
		other := gittest.NewServer(t, "")
		lib := other.NewRepo(t, "lib")
		lib.Commit(t, "main", map[string]string{"lib.ts": "x\n"}, "lib")
		gittest.Git(t, repo.WorkDir(), "-c", "protocol.file.allow=always", "submodule", "add", "--quiet", lib.Dir, "lib")
		gittest.Git(t, repo.WorkDir(), "config", "--file", ".gitmodules", "submodule.lib.url", lib.URL)
		repo.CommitAll(t, "main", "add lib")
		dir, err := src.GetProjectPath(t.Context(), cfg, "", filepath.Join(t.TempDir(), "src"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(dir, "lib", "lib.ts")); err != nil {
			t.Fatal(err)
		}
		if len(other.Requests()) == 0 {
			t.Fatal("the submodule's server saw no request")
		}
		for _, r := range other.Requests() {
			if r.Authorization != "" {
				t.Errorf("another host got an Authorization header: %+v", r)
			}
		}
	})
}

func TestSubmodules(t *testing.T) {
	srv := gittest.NewServer(t, token)
	lib := srv.NewRepo(t, "lib")
	libSHA := lib.Commit(t, "main", map[string]string{"lib.ts": "export const lib = 1;\n"}, "lib")
	app := srv.NewRepo(t, "app")
	app.Commit(t, "main", project("app", "app"), "app")
	// A relative submodule URL, resolved against the app's URL as on GitHub.
	gittest.Git(t, app.WorkDir(), "-c", "protocol.file.allow=always", "submodule", "add", "--quiet", lib.Dir, "vendor/lib")
	gittest.Git(t, app.WorkDir(), "config", "--file", ".gitmodules", "submodule.vendor/lib.url", "../lib.git")
	app.CommitAll(t, "main", "add lib")

	src := newSource(t, git.Options{Credentials: tokenCreds(token)})
	dir, err := src.GetProjectPath(t.Context(), map[string]string{git.ConfigURL: app.URL}, "", filepath.Join(t.TempDir(), "src"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "vendor/lib/lib.ts")); err != nil || string(b) != "export const lib = 1;\n" {
		t.Errorf("submodule file: %q, %v", b, err)
	}
	_ = libSHA
	off := newSource(t, git.Options{Credentials: tokenCreds(token), NoSubmodules: true})
	dir, err = off.GetProjectPath(t.Context(), map[string]string{git.ConfigURL: app.URL}, "", filepath.Join(t.TempDir(), "src"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "vendor/lib/lib.ts")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("NoSubmodules checked the submodule out: %v", err)
	}
}

// TestSharedCache has two Sources (as two admin processes would) share one
// cache directory and fetch different refs of one repository at once.
func TestSharedCache(t *testing.T) {
	srv := gittest.NewServer(t, token)
	repo := srv.NewRepo(t, "shared")
	refs := map[string]string{}
	for _, b := range []string{"main", "a", "b", "c"} {
		repo.Checkout(t, "main")
		refs[b] = repo.Commit(t, b, project("shared", b), "on "+b)
	}
	cache := t.TempDir()
	srcs := []*git.Source{
		newSource(t, git.Options{CacheDir: cache, Credentials: tokenCreds(token)}),
		newSource(t, git.Options{CacheDir: cache, Credentials: tokenCreds(token)}),
	}
	cfg := map[string]string{git.ConfigURL: repo.URL}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := range 8 {
		b := []string{"main", "a", "b", "c"}[i%4]
		wg.Go(func() {
			dir, rev, err := srcs[i%2].GetProjectRevision(t.Context(), cfg, b, filepath.Join(t.TempDir(), "src"))
			switch {
			case err != nil:
				errs <- err
			case rev.Commit != refs[b]:
				errs <- errors.New("branch " + b + " gave commit " + rev.Commit)
			default:
				if got, _ := os.ReadFile(filepath.Join(dir, "marker.txt")); string(got) != b {
					errs <- errors.New("branch " + b + " gave marker " + string(got))
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// The checkouts are gone: only the mirror and its lock stay.
	work, err := os.ReadDir(filepath.Join(cache, "work"))
	if err != nil || len(work) != 0 {
		t.Errorf("temporary checkouts left in the cache: %v %v", work, err)
	}
}

func TestNewOptions(t *testing.T) {
	for name, o := range map[string]git.Options{
		"negative timeout": {Timeout: -1},
		"bad repository":   {Repositories: []string{"file:///etc"}},
		"missing git":      {GitPath: "/nonexistent/git"},
	} {
		t.Run(name, func(t *testing.T) {
			o.CacheDir = t.TempDir()
			if _, err := git.New(&o); err == nil {
				t.Errorf("New(%+v) succeeded", o)
			}
		})
	}
	// https only unless AllowHTTP.
	s, err := git.New(&git.Options{CacheDir: t.TempDir(), AllowedHosts: []string{"git.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"http://git.example.com/a.git", "https://other.example.com/a.git"} {
		err := s.Validate(t.Context(), map[string]string{git.ConfigURL: u})
		if ve, ok := errors.AsType[*admin.ValidationError](err); !ok || ve.Field != git.ConfigURL {
			t.Errorf("Validate(%s) = %v, want a ValidationError on %q", u, err, git.ConfigURL)
		}
	}
}

// TestLFS: a file tracked by Git LFS is checked out with its content,
// fetched by git-lfs from the LFS server (gittest's batch API) behind the
// same Basic auth, the token in a header only: never in a request URL, an
// argument (it reaches git and git-lfs through the environment's config)
// or the source's log.
func TestLFS(t *testing.T) {
	lfs := gittest.LFS(t)
	srv := gittest.NewServer(t, token)
	repo := srv.NewRepo(t, "weights")
	model := []byte(strings.Repeat("model weights \x00\x01\x02 ", 4096))
	files := project("weights", "x")
	files[".gitattributes"] = "*.bin filter=lfs diff=lfs merge=lfs -text\n"
	files["data/model.bin"] = srv.AddLFSObject(model)
	repo.Commit(t, "main", files, "an LFS file")

	var log strings.Builder
	gitPath, lfsPath, argvLog := argvWrappers(t, lfs)
	src := newSource(t, git.Options{Credentials: tokenCreds(token), GitPath: gitPath, GitLFSPath: lfsPath,
		Logger: slog.New(slog.NewTextHandler(&syncWriter{w: &log}, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	dir, err := src.GetProjectPath(t.Context(), map[string]string{git.ConfigURL: repo.URL}, "main", filepath.Join(t.TempDir(), "src"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "data", "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, model) {
		t.Fatalf("data/model.bin holds %d bytes (%.60q), want the LFS object's %d", len(got), got, len(model))
	}
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte(gittest.Username+":"+token))
	var batch, download int
	for _, r := range srv.Requests() {
		if strings.Contains(r.URL, token) || strings.Contains(r.URL, gittest.Username) {
			t.Errorf("request URL %q carries credentials", r.URL)
		}
		switch {
		case strings.HasSuffix(r.URL, "/info/lfs/objects/batch"):
			batch++
			if r.Authorization != basic {
				t.Errorf("the LFS batch request was sent with Authorization %q, want the token's Basic header", r.Authorization)
			}
		case strings.HasPrefix(r.URL, "/lfs/objects/"):
			download++
			if r.Authorization != basic {
				t.Errorf("the LFS object request was sent with Authorization %q, want the token's Basic header", r.Authorization)
			}
		}
	}
	if batch == 0 || download == 0 {
		t.Errorf("git-lfs made %d batch and %d object requests, want both; requests: %+v", batch, download, srv.Requests())
	}
	if strings.Contains(log.String(), token) || strings.Contains(log.String(), base64.StdEncoding.EncodeToString([]byte(gittest.Username+":"+token))) {
		t.Errorf("the source's log carries the token:\n%s", log.String())
	}
	// No argument of git or git-lfs holds the token: they get it from
	// GIT_CONFIG_* variables of their environment.
	argv, err := os.ReadFile(argvLog)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(argv), "lfs: filter-process") {
		t.Errorf("git-lfs never ran as the checkout's filter; command lines:\n%s", argv)
	}
	if strings.Contains(string(argv), token) {
		t.Errorf("a command line carries the token:\n%s", argv)
	}
}

// argvWrappers writes scripts that append their command line to argvLog,
// prefixed with name, and run git and git-lfs.
func argvWrappers(t *testing.T, lfs string) (gitPath, lfsPath, argvLog string) {
	t.Helper()
	dir := t.TempDir()
	argvLog = filepath.Join(dir, "argv.log")
	real, err := exec.LookPath("git")
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct{ name, path, real string }{{"git", filepath.Join(dir, "git"), real}, {"lfs", filepath.Join(dir, "git-lfs"), lfs}} {
		script := fmt.Sprintf("#!/bin/sh\nprintf '%%s: %%s\\n' %s \"$*\" >> %s\nexec %s \"$@\"\n", w.name, strconv.Quote(argvLog), strconv.Quote(w.real))
		if err := os.WriteFile(w.path, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "git"), filepath.Join(dir, "git-lfs"), argvLog
}

// syncWriter serialises writes to w.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// in puts a project's files under dir.
func in(dir string, files map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range files {
		out[dir+"/"+k] = v
	}
	return out
}

// TestListProjectsRemembered: a repository whose default branch has not
// moved is listed from memory (its mirror, removed, is not made again), one
// that moved is fetched and scanned again, and ListProjects keeps the order
// of Options.Repositories while listing several at once.
func TestListProjectsRemembered(t *testing.T) {
	srv := gittest.NewServer(t, token)
	var repos []*gittest.Repo
	var urls []string
	for i := range 6 {
		r := srv.NewRepo(t, fmt.Sprintf("repo%d", i))
		r.Commit(t, "main", in("agent", project(fmt.Sprintf("agent-%d", i), "1")), "first")
		repos, urls = append(repos, r), append(urls, r.URL)
	}
	empty := srv.NewRepo(t, "empty")
	cache := t.TempDir()
	src := newSource(t, git.Options{CacheDir: cache, Credentials: tokenCreds(token),
		Repositories: append(slices.Clone(urls), empty.URL)})
	names := func() []string {
		t.Helper()
		found, err := src.ListProjects(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range found {
			out = append(out, p.Name+" "+p.Config[git.ConfigURL]+" "+p.Config[git.ConfigPath])
		}
		return out
	}
	var want []string
	for i, u := range urls {
		want = append(want, fmt.Sprintf("agent-%d %s agent", i, u))
	}
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("first listing:\n got %q\nwant %q", got, want)
	}

	mirrors := filepath.Join(cache, "mirrors")
	if err := os.RemoveAll(mirrors); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(mirrors, 0o700); err != nil {
		t.Fatal(err)
	}
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("second listing:\n got %q\nwant %q", got, want)
	}
	if m, _ := os.ReadDir(mirrors); len(m) != 0 {
		t.Fatalf("unchanged repositories were fetched again: %d mirror entries", len(m))
	}

	repos[2].Commit(t, "main", in("tools", project("tools-2", "1")), "second project")
	want = slices.Insert(want, 3, fmt.Sprintf("tools-2 %s tools", urls[2]))
	if got := names(); !slices.Equal(got, want) {
		t.Fatalf("after a push:\n got %q\nwant %q", got, want)
	}
	if m, _ := os.ReadDir(mirrors); len(m) == 0 {
		t.Fatal("the moved repository was not fetched")
	}
}

// BenchmarkListProjects lists 8 repositories (one project each) through
// git's HTTP backend: first with nothing remembered (a new Source and cache
// each time: fetch, checkout and scan of every repository), then with
// every default branch unmoved (one ls-remote each), and reports the
// ratio.
func BenchmarkListProjects(b *testing.B) {
	srv := gittest.NewServer(b, token)
	var urls []string
	for i := range 8 {
		r := srv.NewRepo(b, fmt.Sprintf("repo%d", i))
		r.Commit(b, "main", project(fmt.Sprintf("agent-%d", i), "1"), "first")
		urls = append(urls, r.URL)
	}
	opts := func() *git.Options {
		return &git.Options{CacheDir: b.TempDir(), AllowHTTP: true, Credentials: tokenCreds(token), Repositories: urls}
	}
	list := func(s *git.Source) {
		found, err := s.ListProjects(b.Context())
		if err != nil || len(found) != len(urls) {
			b.Fatalf("ListProjects = %d projects, %v", len(found), err)
		}
	}
	var cold, warm time.Duration
	warmSrc, err := git.New(opts())
	if err != nil {
		b.Fatal(err)
	}
	list(warmSrc)
	for b.Loop() {
		s, err := git.New(opts())
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		list(s)
		t1 := time.Now()
		list(warmSrc)
		cold, warm = cold+t1.Sub(t0), warm+time.Since(t1)
	}
	b.ReportMetric(float64(cold.Milliseconds())/float64(b.N), "fetch-ms/op")
	b.ReportMetric(float64(warm.Milliseconds())/float64(b.N), "remembered-ms/op")
	b.ReportMetric(float64(cold)/float64(warm), "speedup")
	b.ReportMetric(0, "ns/op")
}

// TestStaleGitLocks: a git killed in the middle of a fetch (its Admin
// closed) leaves lock files in the shared mirror; the next checkout
// removes them under the mirror's lock instead of failing on "File
// exists".
func TestStaleGitLocks(t *testing.T) {
	srv := gittest.NewServer(t, token)
	repo := srv.NewRepo(t, "stale")
	first := repo.Commit(t, "main", project("stale", "one"), "one")
	cache := t.TempDir()
	src := newSource(t, git.Options{CacheDir: cache, Credentials: tokenCreds(token)})
	cfg := map[string]string{git.ConfigURL: repo.URL}
	if _, rev, err := src.GetProjectRevision(t.Context(), cfg, "main", filepath.Join(t.TempDir(), "src")); err != nil || rev.Commit != first {
		t.Fatalf("first checkout: %+v, %v", rev, err)
	}
	mirrors, err := filepath.Glob(filepath.Join(cache, "mirrors", "*.git"))
	if err != nil || len(mirrors) != 1 {
		t.Fatalf("mirrors %v, %v: want one", mirrors, err)
	}
	for _, name := range []string{"shallow.lock", "packed-refs.lock", "refs/mastra/fetched.lock"} {
		if err := os.WriteFile(filepath.Join(mirrors[0], name), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	second := repo.Commit(t, "main", map[string]string{"marker.txt": "two"}, "two")
	dir, rev, err := src.GetProjectRevision(t.Context(), cfg, "main", filepath.Join(t.TempDir(), "src"))
	if err != nil {
		t.Fatalf("checkout with a killed fetch's lock files left: %v", err)
	}
	if rev.Commit != second || readMarker(t, dir) != "two" {
		t.Errorf("checkout gave %s, marker %q; want %s, two", rev.Commit, readMarker(t, dir), second)
	}
}
