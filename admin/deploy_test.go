package admin_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	filelocal "github.com/mastra-admin/mastra-admin-go/filestore/local"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
	logredis "github.com/mastra-admin/mastra-admin-go/logcache/redis"
	routerlocal "github.com/mastra-admin/mastra-admin-go/router/local"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
	sourcelocal "github.com/mastra-admin/mastra-admin-go/source/local"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// These tests drive the orchestrator through real adapters: SQLite, local
// files, the memory log cache, the local source, the local runner (npm and
// node processes) and the local router. The project is runnertest's fake
// Mastra project, which npm installs and builds offline in about a second;
// the real Mastra build is covered by runner/local's tests and the
// quickstart's end-to-end test.

// stack is the set of providers of one admin process, on state kept in dir.
type stack struct {
	dir    string // the admin's state: database, files, builds
	router *routerlocal.Router
	runner *runnerlocal.Runner
	logs   *memory.Cache
	files  *filelocal.Store
	store  admin.Storage
}

// ports hands each test its own port range so that parallel packages do
// not collide.
var nextPort atomic.Int32

func portRange() (int, int) {
	base := 4400 + int(nextPort.Add(1)%40)*10
	return base, base + 9
}

// openStack opens the providers of one admin process on the state in dir.
func openStack(dir string, health time.Duration) (*stack, error) {
	lo, hi := portRange()
	return openStackPorts(dir, health, lo, hi)
}

// openStackPorts is openStack with the runner's ports lo–hi.
func openStackPorts(dir string, health time.Duration, lo, hi int) (*stack, error) {
	s, err := openProviders(dir, health, lo, hi)
	if err != nil {
		return nil, err
	}
	if s.store, err = sqlite.Open(filepath.Join(dir, "admin.db"), nil); err != nil {
		return nil, err
	}
	return s, nil
}

// openProviders opens the providers of a stack but its Storage, its
// runner on ports lo–hi.
func openProviders(dir string, health time.Duration, lo, hi int) (*stack, error) {
	files, err := filelocal.New(filepath.Join(dir, "files"), nil)
	if err != nil {
		return nil, err
	}
	logs, err := memory.New(nil)
	if err != nil {
		return nil, err
	}
	runner, err := runnerlocal.New(&runnerlocal.Options{BuildMode: runnerlocal.BuildPlain, CacheDir: testCache(),
		PortMin: lo, PortMax: hi, HealthTimeout: health, StopGrace: 3 * time.Second})
	if err != nil {
		return nil, err
	}
	router, err := routerlocal.New(nil)
	if err != nil {
		return nil, err
	}
	return &stack{dir: dir, router: router, runner: runner, logs: logs, files: files}, nil
}

// options configures an Admin with the stack's providers but its Storage,
// and the local source on projects.
func (s *stack) options(projects string) ([]admin.Option, error) {
	src, err := sourcelocal.New(projects, nil)
	if err != nil {
		return nil, err
	}
	return []admin.Option{admin.WithFileStorage(s.files), admin.WithBuildLogCache(s.logs),
		admin.WithSource(src), admin.WithRunner(s.runner), admin.WithRouter(s.router),
		admin.WithBuildDir(filepath.Join(s.dir, "builds"))}, nil
}

// admin returns a new Admin on the stack, with the local source on
// projects.
func (s *stack) admin(projects string, extra ...admin.Option) (*admin.Admin, error) {
	opts, err := s.options(projects)
	if err != nil {
		return nil, err
	}
	return admin.New(append(append(opts, admin.WithStorage(s.store), admin.WithInstanceID("test"),
		admin.WithIntervals(50*time.Millisecond, 200*time.Millisecond), admin.WithClock(time.Now),
		admin.WithEncryptionKeys("k1", map[string][]byte{"k1": testKey})), extra...)...)
}

// storeSucceededBuild stores a successful build of d whose artifact is kept
// under buildRoot, as the build workers leave one, so that it can be rolled
// back to.
func storeSucceededBuild(t *testing.T, store admin.Storage, buildRoot string, d *admin.Deployment) *admin.Build {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Microsecond)
	b := &admin.Build{ID: admin.NewID("bld", now), DeploymentID: d.ID, ProjectID: d.ProjectID, Trigger: admin.TriggerManual,
		Status: admin.BuildSucceeded, QueuedAt: now, StartedAt: &now, CompletedAt: &now, UpdatedAt: now, Version: 1}
	if err := store.CreateBuild(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	entry := filepath.Join(buildRoot, b.ID, "src", admin.DefaultArtifactEntry)
	if err := os.MkdirAll(filepath.Dir(entry), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(entry, []byte("// artifact\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return b
}

// newProvidedEnv is an env whose Admin has every provider, on the fake
// project, but is not started: deploys only queue. It returns the local
// source's config of the fake project and the build directory.
func newProvidedEnv(t *testing.T, extra ...admin.Option) (*env, map[string]string, string) {
	t.Helper()
	projects := t.TempDir()
	if err := runnertest.WriteFakeProject(filepath.Join(projects, "app")); err != nil {
		t.Fatal(err)
	}
	lo, hi := portRange()
	s, err := openProviders(t.TempDir(), 20*time.Second, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := s.options(projects)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, append(opts, extra...)...)
	found := must[[]admin.ProjectSource](t)(e.a.DiscoverProjects(e.sys, admin.SourceLocal))
	if len(found) != 1 {
		t.Fatalf("discovered %d projects, want the fake one", len(found))
	}
	return e, found[0].Config, filepath.Join(s.dir, "builds")
}

// newAdmin opens a stack on dir and an Admin on it, failing t on error.
func newAdmin(t *testing.T, dir, projects string, health time.Duration, extra ...admin.Option) (*stack, *admin.Admin) {
	t.Helper()
	s, err := openStack(dir, health)
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.admin(projects, extra...)
	if err != nil {
		t.Fatal(err)
	}
	return s, a
}

// deployEnv is a started Admin with one team and the fake project.
type deployEnv struct {
	*stack
	a        *admin.Admin
	ctx      context.Context
	project  *admin.Project
	prod     *admin.Deployment
	projects string
}

func newDeployEnv(t *testing.T, extra ...admin.Option) *deployEnv {
	return newDeployEnvHealth(t, 20*time.Second, extra...)
}

func newDeployEnvHealth(t *testing.T, health time.Duration, extra ...admin.Option) *deployEnv {
	t.Helper()
	return setUpDeployEnv(t, health, true, extra...)
}

// newQueueEnv is a deployEnv whose Admin is not started: deploys queue
// builds that no worker picks up, so calls that queue, cancel or stop run
// without building anything.
func newQueueEnv(t *testing.T, extra ...admin.Option) *deployEnv {
	t.Helper()
	return setUpDeployEnv(t, 20*time.Second, false, extra...)
}

func setUpDeployEnv(t *testing.T, health time.Duration, start bool, extra ...admin.Option) *deployEnv {
	t.Helper()
	projects := t.TempDir()
	if err := runnertest.WriteFakeProject(filepath.Join(projects, "app")); err != nil {
		t.Fatal(err)
	}
	s, a := newAdmin(t, t.TempDir(), projects, health, extra...)
	t.Cleanup(func() { stopAllServers(t, s.dir) })
	t.Cleanup(func() { a.Close() })
	ctx := context.Background()
	if start {
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
	}
	root := must[*admin.User](t)(a.Bootstrap(ctx, admin.NewUser{Email: "root@example.com", Name: "Root"}))
	ctx = as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	found := must[[]admin.ProjectSource](t)(a.DiscoverProjects(ctx, admin.SourceLocal))
	if len(found) != 1 {
		t.Fatalf("discovered %d projects, want the fake one", len(found))
	}
	p := must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: "App", SourceType: admin.SourceLocal, SourceConfig: found[0].Config}))
	deps := must[admin.List[*admin.Deployment]](t)(a.ListDeployments(ctx, p.ID, admin.Page{}))
	return &deployEnv{stack: s, a: a, ctx: ctx, project: p, prod: deps.Items[0], projects: projects}
}

// stopAllServers stops every server a test left running in the admin state
// at dir, so that no node process outlives the test. It opens its own store
// handle: the admins' are closed by then.
func stopAllServers(t *testing.T, dir string) {
	store, err := sqlite.Open(filepath.Join(dir, "admin.db"), nil)
	if err != nil {
		t.Errorf("open store: %v", err)
		return
	}
	defer store.Close()
	r, err := runnerlocal.New(&runnerlocal.Options{BuildMode: runnerlocal.BuildPlain, CacheDir: testCache()})
	if err != nil {
		t.Error(err)
		return
	}
	defer r.Close()
	servers, err := store.ListServers(context.Background(), admin.ServerFilter{}, admin.Page{})
	if err != nil {
		t.Errorf("list servers: %v", err)
		return
	}
	for _, srv := range servers {
		if ok, err := r.Reattach(context.Background(), srv); err == nil && ok {
			if err := r.Stop(context.Background(), srv); err != nil {
				t.Errorf("stop server %d: %v", srv.PID, err)
			}
		}
	}
}

// testCache is the runner cache of the tests: MASTRA_ADMIN_TEST_RUNNER_CACHE,
// else ("") the runner's default, so that the test script's cold mode (a
// fresh XDG_CACHE_HOME) reaches every test.
func testCache() string { return os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE") }

func alive(pid int) bool { return syscall.Kill(pid, 0) == nil }

// deploy deploys the production deployment and waits for the build to
// end.
func (e *deployEnv) deploy(t *testing.T) *admin.Build {
	t.Helper()
	return e.waitBuild(t, must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID)).ID)
}

// deployOK is deploy, failing t unless the build succeeded.
func (e *deployEnv) deployOK(t *testing.T) *admin.Build {
	t.Helper()
	b := e.deploy(t)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build %s: %s\n%s", b.Status, b.Error, e.logText(t, b.ID))
	}
	return b
}

// waitBuild polls until the build has ended (CompletedAt is set once the
// worker has settled it) and returns it.
func (e *deployEnv) waitBuild(t *testing.T, id string) *admin.Build {
	t.Helper()
	return waitFor(t, 2*time.Minute, "build "+id+" to end", func() (*admin.Build, bool) {
		b, err := e.a.GetBuild(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return b, b.Status.Terminal() && b.CompletedAt != nil
	})
}

func waitFor[T any](t *testing.T, limit time.Duration, what string, check func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		v, ok := check()
		if ok {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// get sends a request through the router as a client of host would.
func (e *deployEnv) get(host, path string) (int, string) {
	req := httptest.NewRequest(http.MethodGet, "http://"+host+path, nil)
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func (e *deployEnv) logText(t *testing.T, buildID string) string {
	t.Helper()
	lines, err := e.a.FollowBuildLogs(e.ctx, buildID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for l, err := range lines {
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("[" + l.Phase + "] " + l.Text + "\n")
	}
	return b.String()
}

// heldText is what the log cache holds of a build now, without waiting.
func (e *deployEnv) heldText(t *testing.T, buildID string) string {
	t.Helper()
	var b strings.Builder
	for _, l := range must[[]admin.LogLine](t)(e.logs.Lines(context.Background(), buildID, 0, 0)) {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

func (e *deployEnv) liveServers(t *testing.T) []*admin.RunningServer {
	t.Helper()
	return must[[]*admin.RunningServer](t)(e.store.ListServers(context.Background(),
		admin.ServerFilter{DeploymentID: e.prod.ID, Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
}

func TestDeployServesThroughTheRouter(t *testing.T) {
	e := newDeployEnv(t)
	b := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	if b.Status != admin.BuildQueued {
		t.Fatalf("Deploy returned a %s build, want queued", b.Status)
	}
	b = e.waitBuild(t, b.ID)
	log := e.logText(t, b.ID)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build %s: %s\n%s", b.Status, b.Error, log)
	}
	for _, phase := range []string{"[copy]", "[install]", "[build]", "[start]", "[admin] build succeeded"} {
		if !strings.Contains(log, phase) {
			t.Errorf("build log has no %s line:\n%s", phase, log)
		}
	}
	// By host and by path, through the router.
	for _, c := range []struct{ host, path string }{{"app.localhost", "/health"}, {"localhost", "/app/production/health"}} {
		if code, body := e.get(c.host, c.path); code != http.StatusOK {
			t.Errorf("GET %s%s through the router = %d %s", c.host, c.path, code, body)
		}
	}
	d := must[*admin.Deployment](t)(e.a.GetDeployment(e.ctx, e.prod.ID))
	if d.Status != admin.DeploymentRunning || d.CurrentBuildID != b.ID || d.PublicURL == "" {
		t.Fatalf("deployment after deploy: %+v", d)
	}
	if servers := e.liveServers(t); len(servers) != 1 || servers[0].BuildID != b.ID || !alive(servers[0].PID) {
		t.Fatalf("running servers: %+v", servers)
	}
	// The log was flushed to file storage; once the cache lets go, it is
	// read from there.
	if b.LogPath != admin.BuildLogPath(b.ID) {
		t.Fatalf("log path %q", b.LogPath)
	}
	if err := e.logs.Clear(context.Background(), b.ID); err != nil {
		t.Fatal(err)
	}
	if stored := e.logText(t, b.ID); stored != log {
		t.Fatalf("stored log differs from the live one:\n%s\n---\n%s", stored, log)
	}
	// A build directory of its own; the project itself untouched.
	if _, err := os.Stat(filepath.Join(e.dir, "builds", b.ID, "src", admin.DefaultArtifactEntry)); err != nil {
		t.Fatalf("artifact: %v", err)
	}
	if _, err := os.Stat(filepath.Join(e.projects, "app", "node_modules")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the project was built in place: %v", err)
	}
}

func TestRedeployHasNoDowntime(t *testing.T) {
	e := newDeployEnv(t)
	e.deployOK(t)
	old := e.liveServers(t)[0]

	// A steady stream of requests through the router during the redeploy.
	var ok, bad atomic.Int64
	var failures sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if code, body := e.get("app.localhost", "/health"); code == http.StatusOK {
					ok.Add(1)
				} else {
					bad.Add(1)
					failures.Store(code, body)
				}
			}
		})
	}
	second := e.deploy(t)
	// Keep going a little after the switch.
	waitFor(t, 10*time.Second, "requests after the switch", func() (int64, bool) { n := ok.Load(); return n, n > 200 })
	close(stop)
	wg.Wait()
	if second.Status != admin.BuildSucceeded {
		t.Fatalf("second build %s: %s", second.Status, second.Error)
	}
	if bad.Load() > 0 {
		failures.Range(func(k, v any) bool { t.Errorf("status %v: %v", k, v); return true })
		t.Fatalf("%d of %d requests failed during the redeploy", bad.Load(), bad.Load()+ok.Load())
	}
	live := e.liveServers(t)
	if len(live) != 1 || live[0].BuildID != second.ID || live[0].PID == old.PID {
		t.Fatalf("after redeploy, running servers %+v (old pid %d)", live, old.PID)
	}
	waitFor(t, 10*time.Second, "the old server to exit", func() (bool, bool) { return true, !alive(old.PID) })
	t.Logf("%d requests, none failed, during the switch", ok.Load())
}

func TestFailedBuildKeepsTheOldServer(t *testing.T) {
	e := newDeployEnv(t)
	first := e.deployOK(t)
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{runnertest.FakeBuildFail: "1"}))
	b := e.deploy(t)
	if b.Status != admin.BuildFailed || b.Error == "" {
		t.Fatalf("build %s (%q)", b.Status, b.Error)
	}
	// The tool's own error reached the flushed build.log (the admin's
	// "build failed" line alone would not tell it).
	rc, err := e.files.Read(context.Background(), b.LogPath)
	if err != nil {
		t.Fatalf("read the flushed log %q: %v", b.LogPath, err)
	}
	flushed, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !strings.Contains(string(flushed), "stderr: fake mastra: build failed on purpose") {
		t.Fatalf("build.log (%v) lacks the build tool's error:\n%s", err, flushed)
	}
	if code, _ := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("the old server stopped serving: %d", code)
	}
	d := must[*admin.Deployment](t)(e.a.GetDeployment(e.ctx, e.prod.ID))
	if d.Status != admin.DeploymentRunning || d.CurrentBuildID != first.ID {
		t.Fatalf("deployment after a failed build: %s, current %s", d.Status, d.CurrentBuildID)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "builds", b.ID, "src", "package.json")); err != nil {
		t.Fatalf("the failed build's directory is not kept for inspection: %v", err)
	}
}

func TestFailedBuildDirectoriesAreSwept(t *testing.T) {
	var clk offsetClock
	e := newDeployEnv(t, admin.WithClock(clk.now), admin.WithFailedBuildRetention(time.Hour))
	ok := e.deploy(t)
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{runnertest.FakeBuildFail: "1"}))
	failed := e.deploy(t)
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{runnertest.FakeBuildHang: "1"}))
	cancelled := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	waitFor(t, time.Minute, "the build to hang", func() (bool, bool) { return true, strings.Contains(e.heldText(t, cancelled.ID), "pid=") })
	if err := e.a.CancelBuild(e.ctx, cancelled.ID); err != nil {
		t.Fatal(err)
	}
	cancelled = e.waitBuild(t, cancelled.ID)
	if ok.Status != admin.BuildSucceeded || failed.Status != admin.BuildFailed || cancelled.Status != admin.BuildCancelled {
		t.Fatalf("builds %s, %s, %s; want succeeded, failed, cancelled", ok.Status, failed.Status, cancelled.Status)
	}
	kept := func(id string) bool {
		_, err := os.Stat(filepath.Join(e.dir, "builds", id))
		return err == nil
	}
	// sweeps waits for a maintenance round after now: the one that clears
	// the logs of the builds (which ended more than 10 minutes before),
	// right after sweeping the build directory.
	sweeps := func() {
		waitFor(t, 10*time.Second, "a maintenance round", func() (bool, bool) {
			return true, e.heldText(t, failed.ID) == "" && e.heldText(t, cancelled.ID) == ""
		})
	}
	clk.advance(30 * time.Minute)
	sweeps()
	for _, b := range []*admin.Build{ok, failed, cancelled} {
		if !kept(b.ID) {
			t.Fatalf("the directory of the %s build was removed within its retention", b.Status)
		}
	}
	clk.advance(31 * time.Minute)
	waitFor(t, 10*time.Second, "the failed and cancelled builds' directories to go", func() (bool, bool) {
		return true, !kept(failed.ID) && !kept(cancelled.ID)
	})
	if !kept(ok.ID) {
		t.Fatal("the serving build's directory was removed")
	}
}

func TestUnhealthyServerKeepsTheOldServer(t *testing.T) {
	e := newDeployEnvHealth(t, 3*time.Second)
	first := e.deployOK(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	must[[]admin.EnvVarInfo](t)(e.a.SetDeploymentEnvVars(e.ctx, e.prod.ID, map[string]string{
		runnertest.FakeNeverHealthy: "1", runnertest.FakePIDFile: pidFile}))
	b := e.deploy(t)
	if b.Status != admin.BuildFailed || !strings.Contains(b.Error, "healthy") {
		t.Fatalf("build %s: %q", b.Status, b.Error)
	}
	if code, _ := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("the old server stopped serving: %d", code)
	}
	if live := e.liveServers(t); len(live) != 1 || live[0].BuildID != first.ID {
		t.Fatalf("running servers %+v", live)
	}
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatalf("the unhealthy server never started: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil || alive(pid) {
		t.Fatalf("the unhealthy server (pid %d) was not stopped", pid)
	}
}

func TestCancelAndSupersede(t *testing.T) {
	e := newDeployEnv(t)
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{runnertest.FakeBuildHang: "1"}))
	first := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	waitFor(t, time.Minute, "the first build to start", func() (*admin.Build, bool) {
		b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, first.ID))
		return b, b.Status == admin.BuildBuilding && strings.Contains(e.heldText(t, first.ID), "pid=")
	})
	second := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	third := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	if b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, second.ID)); b.Status != admin.BuildCancelled || !strings.Contains(b.Error, third.ID) {
		t.Fatalf("the older queued build is %s (%q), want cancelled as superseded by %s", b.Status, b.Error, third.ID)
	}
	if err := e.a.CancelBuild(e.ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if b := e.waitBuild(t, first.ID); b.Status != admin.BuildCancelled {
		t.Fatalf("cancelled build ended %s: %s", b.Status, b.Error)
	}
	if err := e.a.CancelBuild(e.ctx, first.ID); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("cancelling an ended build = %v, want ErrConflict", err)
	}
	// The third now runs (and hangs); cancel it too.
	waitFor(t, time.Minute, "the third build to start", func() (*admin.Build, bool) {
		b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, third.ID))
		return b, b.Status == admin.BuildBuilding
	})
	if err := e.a.CancelBuild(e.ctx, third.ID); err != nil {
		t.Fatal(err)
	}
	if b := e.waitBuild(t, third.ID); b.Status != admin.BuildCancelled {
		t.Fatalf("third build ended %s", b.Status)
	}
	d := must[*admin.Deployment](t)(e.a.GetDeployment(e.ctx, e.prod.ID))
	if d.Status != admin.DeploymentFailed {
		t.Fatalf("a deployment that never served is %s after cancels, want failed", d.Status)
	}
}

func TestBuildWorkersLimitBuildsAtOnce(t *testing.T) {
	e := newDeployEnv(t, admin.WithBuildWorkers(2))
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{runnertest.FakeBuildHang: "1"}))
	deps := []*admin.Deployment{e.prod,
		must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"})),
		must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "pr-1"}))}
	var ids []string
	for _, d := range deps {
		ids = append(ids, must[*admin.Build](t)(e.a.Deploy(e.ctx, d.ID)).ID)
	}
	// hanging lists the builds whose (hanging) build step runs, and the
	// status of each build.
	hanging := func() ([]string, map[admin.BuildStatus]int) {
		var hung []string
		count := map[admin.BuildStatus]int{}
		for _, id := range ids {
			b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, id))
			count[b.Status]++
			if b.Status == admin.BuildBuilding && strings.Contains(e.heldText(t, id), "pid=") {
				hung = append(hung, id)
			}
		}
		return hung, count
	}
	running := waitFor(t, 2*time.Minute, "two builds to hang in their build step", func() ([]string, bool) {
		h, _ := hanging()
		return h, len(h) == 2
	})
	// Both workers are taken: the third build waits, long after it could
	// have been claimed.
	if _, count := hanging(); count[admin.BuildBuilding] != 2 || count[admin.BuildQueued] != 1 {
		t.Fatalf("builds by status %v, want 2 building and 1 queued", count)
	}
	// A free worker takes it.
	if err := e.a.CancelBuild(e.ctx, running[0]); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 2*time.Minute, "the queued build to hang in its build step", func() ([]string, bool) {
		h, count := hanging()
		return h, len(h) == 2 && count[admin.BuildCancelled] == 1 && !slices.Contains(h, running[0])
	})
	for _, id := range ids {
		if b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, id)); b.Status == admin.BuildBuilding {
			if err := e.a.CancelBuild(e.ctx, id); err != nil {
				t.Fatal(err)
			}
			e.waitBuild(t, id)
		}
	}
}

// peer returns another Admin on e's state, as another admin server sharing
// its Storage would be; it is not started.
func (e *deployEnv) peer(t *testing.T, extra ...admin.Option) *admin.Admin {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(e.dir, "admin.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := admin.New(append([]admin.Option{admin.WithStorage(store), admin.WithInstanceID("peer"),
		admin.WithEncryptionKeys("k1", map[string][]byte{"k1": testKey})}, extra...)...)
	if err != nil {
		store.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	return a
}

func TestCancelledBuildNeverServes(t *testing.T) {
	// The cancel reaches the build's worker through Storage only, as from
	// another admin server, and late: the queue poll, which also watches
	// for cancels, is slow.
	e := newDeployEnv(t, admin.WithIntervals(time.Hour, 200*time.Millisecond))
	e.deployOK(t)
	gate, pidFile := filepath.Join(t.TempDir(), "healthy"), filepath.Join(t.TempDir(), "pid")
	must[[]admin.EnvVarInfo](t)(e.a.SetDeploymentEnvVars(e.ctx, e.prod.ID, map[string]string{
		runnertest.FakeHealthyWhen: gate, runnertest.FakePIDFile: pidFile}))
	b := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	pid := waitFor(t, time.Minute, "the new server to start", func() (int, bool) {
		raw, err := os.ReadFile(pidFile)
		pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
		return pid, err == nil && pid > 0
	})
	if got := must[*admin.Build](t)(e.a.GetBuild(e.ctx, b.ID)); got.Status != admin.BuildDeploying {
		t.Fatalf("build %s while its server starts, want deploying", got.Status)
	}
	if err := e.peer(t).CancelBuild(e.ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	next := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	// The server becomes healthy after the cancel: it must not take over.
	if err := os.WriteFile(gate, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b = e.waitBuild(t, b.ID)
	if b.Status != admin.BuildCancelled {
		t.Fatalf("the cancelled build ended %s: %s", b.Status, b.Error)
	}
	for _, s := range must[[]*admin.RunningServer](t)(e.store.ListServers(context.Background(), admin.ServerFilter{BuildID: b.ID}, admin.Page{})) {
		if s.Status != admin.ServerStopped {
			t.Errorf("a server of the cancelled build is %s", s.Status)
		}
	}
	waitFor(t, 10*time.Second, "the cancelled build's server to exit", func() (bool, bool) { return true, !alive(pid) })
	// The next build of the deployment waited until the cancelled one was
	// settled, then served.
	next = e.waitBuild(t, next.ID)
	if next.Status != admin.BuildSucceeded {
		t.Fatalf("the next build %s: %s", next.Status, next.Error)
	}
	if next.StartedAt.Before(*b.CompletedAt) {
		t.Fatalf("the next build started at %v, before the cancelled build was completed at %v", next.StartedAt, b.CompletedAt)
	}
	if live := e.liveServers(t); len(live) != 1 || live[0].BuildID != next.ID {
		t.Fatalf("running servers %+v, want the next build's", live)
	}
	if d := must[*admin.Deployment](t)(e.a.GetDeployment(e.ctx, e.prod.ID)); d.CurrentBuildID != next.ID {
		t.Fatalf("current build %s, want %s", d.CurrentBuildID, next.ID)
	}
}

func TestRollbackRestartsAnEarlierArtifact(t *testing.T) {
	e := newDeployEnv(t)
	first := e.deploy(t)
	second := e.deploy(t)
	if first.Status != admin.BuildSucceeded || second.Status != admin.BuildSucceeded {
		t.Fatalf("builds: %s %s", first.Status, second.Status)
	}
	rb := e.waitBuild(t, must[*admin.Build](t)(e.a.Rollback(e.ctx, e.prod.ID, first.ID)).ID)
	log := e.logText(t, rb.ID)
	if rb.Status != admin.BuildSucceeded || rb.SourceBuildID != first.ID || strings.Contains(log, "[install]") {
		t.Fatalf("rollback %s from %s:\n%s", rb.Status, rb.SourceBuildID, log)
	}
	if code, _ := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("after rollback: %d", code)
	}
	if live := e.liveServers(t); len(live) != 1 || live[0].BuildID != rb.ID {
		t.Fatalf("running servers after rollback: %+v", live)
	}
	// A failed build leaves nothing to roll back to.
	if _, err := e.a.Rollback(e.ctx, e.prod.ID, "bld_nope"); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("rollback to an unknown build = %v", err)
	}
}

// breakServer deploys, sends sig to the deployment's server, and returns
// the build, that server, and the one the admin restarted in its place
// from the same build.
func (e *deployEnv) breakServer(t *testing.T, sig syscall.Signal) (b *admin.Build, old, fresh *admin.RunningServer) {
	t.Helper()
	b = e.deployOK(t)
	old = e.liveServers(t)[0]
	if err := syscall.Kill(old.PID, sig); err != nil {
		t.Fatal(err)
	}
	fresh = e.replacement(t, old)
	if fresh.BuildID != b.ID || !alive(fresh.PID) {
		t.Fatalf("restarted server %+v", fresh)
	}
	return b, old, fresh
}

// replacement waits until the admin audited the first restart of the
// deployment's server (it does once the new server took over: recorded,
// then routed) and returns the one live server, which is not old.
func (e *deployEnv) replacement(t *testing.T, old *admin.RunningServer) *admin.RunningServer {
	t.Helper()
	e.nthEvent(t, "server.restart", 1)
	live := e.liveServers(t)
	if len(live) != 1 || live[0].ID == old.ID {
		t.Fatalf("live servers after the restart of %s: %+v, want one other", old.ID, live)
	}
	return live[0]
}

func TestHungServerIsRestarted(t *testing.T) {
	e := newDeployEnv(t)
	// A stopped process does not exit: only its health checks fail.
	_, old, _ := e.breakServer(t, syscall.SIGSTOP)
	if code, _ := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("after restart: %d", code)
	}
	if alive(old.PID) {
		t.Fatalf("the hung server (pid %d) still runs", old.PID)
	}
	if events := e.serverEvents(t); strings.Join(events, ",") != "server.crash: 3 failed health checks in a row; restart attempt 1 in 0s,server.restart: attempt 1, after 0s: replaces crashed server "+old.ID {
		t.Fatalf("server audit events %q", events)
	}
}

// serverEvents returns the server.* audit events, oldest first, as
// "action: detail", once the first server.restart was recorded (after the
// restarted server, which the callers saw first).
func (e *deployEnv) serverEvents(t *testing.T) []string {
	t.Helper()
	e.nthEvent(t, "server.restart", 1)
	var out []string
	for _, ev := range e.serverAudit(t) {
		out = append(out, ev.Action+": "+ev.Metadata["detail"])
	}
	return out
}

func TestCrashIsHandledAtOnce(t *testing.T) {
	// Health checks run once, at Start: only the runner's exit
	// notification can tell the admin of the crash.
	e := newDeployEnv(t, admin.WithIntervals(50*time.Millisecond, time.Hour))
	_, old, _ := e.breakServer(t, syscall.SIGKILL)
	if got := must[*admin.RunningServer](t)(e.store.GetServer(context.Background(), old.ID)); got.Status != admin.ServerStopped {
		t.Errorf("the crashed server's record is %s, want stopped once replaced", got.Status)
	}
	events := e.serverEvents(t)
	if len(events) != 2 || events[0] != "server.crash: the server was killed by a signal (killed); restart attempt 1 in 0s" ||
		!strings.HasPrefix(events[1], "server.restart: ") {
		t.Fatalf("server audit events %q", events)
	}
}

// serverAudit returns the server.* audit events, oldest first.
func (e *deployEnv) serverAudit(t *testing.T) []*admin.AuditEvent {
	t.Helper()
	events := must[admin.List[*admin.AuditEvent]](t)(e.a.ListAudit(e.ctx, admin.AuditFilter{}, admin.Page{}))
	var out []*admin.AuditEvent
	for _, ev := range events.Items {
		if strings.HasPrefix(ev.Action, "server.") {
			out = append(out, ev)
		}
	}
	return out
}

// nthEvent waits for the n-th (1-based) server audit event with action
// and returns it.
func (e *deployEnv) nthEvent(t *testing.T, action string, n int) *admin.AuditEvent {
	t.Helper()
	return waitFor(t, time.Minute, fmt.Sprintf("%s event %d", action, n), func() (*admin.AuditEvent, bool) {
		seen := 0
		for _, ev := range e.serverAudit(t) {
			if ev.Action == action {
				if seen++; seen == n {
					return ev, true
				}
			}
		}
		return nil, false
	})
}

func TestCrashLoopBacksOff(t *testing.T) {
	var clk offsetClock
	policy := admin.RestartPolicy{FirstDelay: time.Minute, MaxDelay: 4 * time.Minute, StableAfter: time.Hour}
	e := newDeployEnv(t, admin.WithClock(clk.now), admin.WithRestartPolicy(policy))
	// Every server of the deployment crashes a second after it is up.
	must[[]admin.EnvVarInfo](t)(e.a.SetDeploymentEnvVars(e.ctx, e.prod.ID, map[string]string{runnertest.FakeExitAfter: "1000"}))
	e.deployOK(t)
	wantDelays := []time.Duration{0, time.Minute, 2 * time.Minute, 4 * time.Minute, 4 * time.Minute}
	var restarts []time.Time
	for i, want := range wantDelays {
		crash := e.nthEvent(t, "server.crash", i+1)
		if got := crash.Metadata["attempt"]; got != strconv.Itoa(i+1) {
			t.Fatalf("crash %d schedules restart attempt %s, want %d (%s)", i+1, got, i+1, crash.Metadata["detail"])
		}
		delay, err := time.ParseDuration(crash.Metadata["delay"])
		if err != nil || delay != want {
			t.Fatalf("crash %d: restart in %q, want %v (%s)", i+1, crash.Metadata["delay"], want, crash.Metadata["detail"])
		}
		if i == len(wantDelays)-1 {
			// The next server stays up.
			if err := e.a.DeleteDeploymentEnvVar(e.ctx, e.prod.ID, runnertest.FakeExitAfter); err != nil {
				t.Fatal(err)
			}
		}
		clk.advance(delay) // the restart is due now
		restart := e.nthEvent(t, "server.restart", i+1)
		if restart.Time.Before(crash.Time.Add(delay)) {
			t.Fatalf("restart %d at %v, before its due time %v", i+1, restart.Time, crash.Time.Add(delay))
		}
		restarts = append(restarts, restart.Time)
	}
	// The gaps between restarts grow while the delay doubles, then stay at
	// the cap.
	for i := 2; i < len(restarts); i++ {
		prev, gap := restarts[i-1].Sub(restarts[i-2]), restarts[i].Sub(restarts[i-1])
		if wantDelays[i] > wantDelays[i-1] && gap <= prev {
			t.Errorf("gap before restart %d is %v, not longer than the one before (%v)", i+1, gap, prev)
		}
		if gap < wantDelays[i] {
			t.Errorf("gap before restart %d is %v, shorter than its delay %v", i+1, gap, wantDelays[i])
		}
	}
	// Once a server ran for StableAfter, its crash starts a new loop: an
	// immediate first restart.
	srv := waitFor(t, time.Minute, "the restarted server", func() (*admin.RunningServer, bool) {
		live := e.liveServers(t)
		return firstOr(live), len(live) == 1
	})
	clk.advance(policy.StableAfter)
	if err := syscall.Kill(srv.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	crash := e.nthEvent(t, "server.crash", len(wantDelays)+1)
	if crash.Metadata["attempt"] != "1" || crash.Metadata["delay"] != "0s" {
		t.Fatalf("a crash after a stable run: %s", crash.Metadata["detail"])
	}
	e.nthEvent(t, "server.restart", len(wantDelays)+1)
}

func firstOr[T any](s []*T) *T {
	if len(s) == 0 {
		return nil
	}
	return s[0]
}

func TestRestartReattachesServers(t *testing.T) {
	e := newDeployEnv(t)
	b := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	followed := e.logText(t, b.ID) // live, from the queued build to its end
	b = e.waitBuild(t, b.ID)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build %s: %s", b.Status, b.Error)
	}
	srv := e.liveServers(t)[0]
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	if !alive(srv.PID) {
		t.Fatal("closing the admin stopped its server")
	}
	// A new admin process on the same state: same server, same route.
	s2, a2 := newAdmin(t, e.dir, e.projects, 20*time.Second)
	defer a2.Close()
	if err := a2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.stack, e.a = s2, a2
	if code, body := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("after the admin restarted: %d %s", code, body)
	}
	if live := e.liveServers(t); len(live) != 1 || live[0].PID != srv.PID {
		t.Fatalf("servers after restart %+v, want the same pid %d", live, srv.PID)
	}
	// The new process's log cache holds nothing: the log comes from
	// build.log, as it was followed live.
	if stored := e.logText(t, b.ID); stored != followed {
		t.Fatalf("the log after the restart differs from the one followed live:\n%s\n---\n%s", stored, followed)
	}
	if !strings.Contains(followed, "[admin] build succeeded") {
		t.Fatalf("the log followed live does not reach the build's end:\n%s", followed)
	}
}

func TestServerFoundDeadIsRestarted(t *testing.T) {
	e := newDeployEnv(t)
	b := e.deployOK(t)
	srv := e.liveServers(t)[0]
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	// The server dies while no admin runs.
	if err := syscall.Kill(srv.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the server to die", func() (bool, bool) { return true, !alive(srv.PID) })
	restarted(t, e)
	if fresh := e.replacement(t, srv); fresh.BuildID != b.ID || !alive(fresh.PID) {
		t.Fatalf("restarted server %+v", fresh)
	}
	if code, body := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("after the restart: %d %s", code, body)
	}
	want := []string{"server.crash: found dead when the admin started; restart attempt 1 in 0s",
		"server.restart: attempt 1, after 0s: replaces crashed server " + srv.ID}
	if events := e.serverEvents(t); strings.Join(events, "\n") != strings.Join(want, "\n") {
		t.Fatalf("server audit events %q, want %q", events, want)
	}
	if got := must[*admin.RunningServer](t)(e.store.GetServer(context.Background(), srv.ID)); got.Status != admin.ServerStopped {
		t.Fatalf("the dead server's record is %s, want stopped once replaced", got.Status)
	}
}

func TestEndedBuildLogsLeaveTheCache(t *testing.T) {
	client, prefix := testenv.Redis(t)
	cache := func() *logredis.Cache {
		c, err := logredis.New(client, &logredis.Options{Prefix: prefix})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	held := func(c *logredis.Cache, id string) bool {
		return len(must[[]admin.LogLine](t)(c.Lines(context.Background(), id, 0, 1))) > 0
	}
	var clk offsetClock
	first := cache()
	e := newDeployEnv(t, admin.WithClock(clk.now), admin.WithBuildLogCache(first))
	b := e.deploy(t)
	live := e.logText(t, b.ID)
	if !held(first, b.ID) {
		t.Fatal("the log cache does not hold the log of a build that just ended")
	}
	// Once the build ended longer ago than the retention (10 minutes),
	// the cache lets go of its log; FollowBuildLogs reads build.log.
	clk.advance(11 * time.Minute)
	waitFor(t, 10*time.Second, "the log to leave the cache", func() (bool, bool) { return true, !held(first, b.ID) })
	if stored := e.logText(t, b.ID); stored != live {
		t.Fatalf("the stored log differs from the live one:\n%s\n---\n%s", stored, live)
	}
	// A build that ends just before its admin closes: the next admin
	// process, on the same cache, clears its log in time.
	b = e.deploy(t)
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	second := cache()
	if !held(second, b.ID) {
		t.Fatal("the log cache does not hold the log of a build that just ended")
	}
	restarted(t, e, admin.WithClock(clk.now), admin.WithBuildLogCache(second))
	clk.advance(11 * time.Minute)
	waitFor(t, 10*time.Second, "the log to leave the cache after a restart", func() (bool, bool) { return true, !held(second, b.ID) })
}

func TestPortRangeExhausted(t *testing.T) {
	e := newDeployEnv(t)
	if err := e.a.Close(); err != nil { // a second admin, whose runner has no free port, takes over
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	s, err := openStack(e.dir, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if s.runner, err = runnerlocal.New(&runnerlocal.Options{BuildMode: runnerlocal.BuildPlain, CacheDir: testCache(), PortMin: port, PortMax: port}); err != nil {
		t.Fatal(err)
	}
	a, err := s.admin(e.projects)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.stack, e.a = s, a
	b := e.waitBuild(t, must[*admin.Build](t)(a.Deploy(e.ctx, e.prod.ID)).ID)
	if b.Status != admin.BuildFailed || !strings.Contains(b.Error, "no free port") {
		t.Fatalf("build %s: %q, want failed for no free port", b.Status, b.Error)
	}
}

func TestNotAMastraProjectIsRefused(t *testing.T) {
	e := newDeployEnv(t)
	dir := filepath.Join(e.projects, "plain")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"name":"plain","dependencies":{"express":"^4"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	team := must[admin.List[*admin.Team]](t)(e.a.ListTeams(e.ctx, admin.Page{})).Items[0]
	for _, path := range []string{"plain", "../../etc", "/etc", "missing"} {
		_, err := e.a.CreateProject(e.ctx, team.ID, admin.NewProject{Name: "X", SourceType: admin.SourceLocal,
			SourceConfig: map[string]string{"path": path}})
		if !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("project at %q = %v, want ErrInvalidArgument", path, err)
		}
	}
	if _, err := e.a.CreateProject(e.ctx, team.ID, admin.NewProject{Name: "X", SourceType: admin.SourceGitHub}); !errors.Is(err, admin.ErrNotSupported) {
		t.Errorf("a github project with only a local source = %v, want ErrNotSupported", err)
	}
}

func TestOldArtifactsArePruned(t *testing.T) {
	e := newDeployEnv(t, admin.WithArtifactRetention(2))
	var ids []string
	for range 3 {
		b := e.deployOK(t)
		ids = append(ids, b.ID)
	}
	for i, id := range ids {
		_, err := os.Stat(filepath.Join(e.dir, "builds", id))
		if kept := err == nil; kept != (i > 0) {
			t.Errorf("build %d's directory kept=%v (err %v), want only the newest 2", i, kept, err)
		}
	}
	if _, err := e.a.Rollback(e.ctx, e.prod.ID, ids[0]); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("rollback to a pruned build = %v, want ErrConflict", err)
	}
	if _, err := e.a.Rollback(e.ctx, e.prod.ID, ids[1]); err != nil {
		t.Fatalf("rollback to a kept build: %v", err)
	}
}

func TestBuildTimeout(t *testing.T) {
	e := newDeployEnv(t, admin.WithBuildTimeout(2*time.Second))
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{runnertest.FakeBuildHang: "1"}))
	b := e.deploy(t)
	if b.Status != admin.BuildFailed || !strings.Contains(b.Error, "timed out after 2s") {
		t.Fatalf("a hanging build ended %s: %q", b.Status, b.Error)
	}
}

// TestBuildsHiddenFromTheUnauthenticated checks that a caller without a
// valid principal gets ErrUnauthenticated from every call that takes a build
// id, whether the build exists or not: no call lets it probe ids.
func TestBuildsHiddenFromTheUnauthenticated(t *testing.T) {
	e := newQueueEnv(t)
	queued := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	calls := map[string]func(ctx context.Context, id string) error{
		"GetBuild":    func(ctx context.Context, id string) error { _, err := e.a.GetBuild(ctx, id); return err },
		"CancelBuild": func(ctx context.Context, id string) error { return e.a.CancelBuild(ctx, id) },
		"FollowBuildLogs": func(ctx context.Context, id string) error {
			_, err := e.a.FollowBuildLogs(ctx, id, 0)
			return err
		},
	}
	callers := map[string]context.Context{"anonymous": context.Background(), "a deleted user": as("usr_gone")}
	for name, call := range calls {
		for who, ctx := range callers {
			for _, id := range []string{queued.ID, "bld_nope"} {
				if err := call(ctx, id); !errors.Is(err, admin.ErrUnauthenticated) {
					t.Errorf("%s(%s) as %s = %v, want ErrUnauthenticated", name, id, who, err)
				}
			}
		}
	}
	if b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, queued.ID)); b.Status != admin.BuildQueued {
		t.Fatalf("the build is %s after refused calls, want queued", b.Status)
	}
}

// TestRollbackToAnotherDeploymentsBuild checks that rolling back to a build
// of another deployment answers as for a build that does not exist.
func TestRollbackToAnotherDeploymentsBuild(t *testing.T) {
	e := newQueueEnv(t)
	staging := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
	theirs := must[*admin.Build](t)(e.a.Deploy(e.ctx, staging.ID))
	for _, id := range []string{theirs.ID, "bld_nope"} {
		if _, err := e.a.Rollback(e.ctx, e.prod.ID, id); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("Rollback to %s = %v, want ErrNotFound", id, err)
		}
	}
	if l := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, e.prod.ID, admin.Page{})); len(l.Items) != 0 {
		t.Fatalf("refused rollbacks queued %d builds", len(l.Items))
	}
}

// shiftedClock is the real clock moved forward by a settable offset, for
// tests whose builds need time to pass and which jump past a date.
type shiftedClock struct{ offset atomic.Int64 }

func (c *shiftedClock) now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// TestExpiredLicenseStillStops checks that once the license expires, a
// deployment that serves keeps serving, new deploys and rollbacks are
// refused, and the deployment can still be stopped and deleted.
func TestExpiredLicenseStillStops(t *testing.T) {
	clk := &shiftedClock{}
	expires := time.Now().Add(time.Hour)
	e := newDeployEnv(t, admin.WithLicense(signedLicense(t, admin.Limits{}, expires)), admin.WithClock(clk.now))
	first := e.deployOK(t)
	clk.offset.Store(int64(2 * time.Hour))

	if _, err := e.a.Deploy(e.ctx, e.prod.ID); !errors.Is(err, admin.ErrLicense) || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("Deploy after expiry = %v, want ErrLicense saying it expired", err)
	}
	if _, err := e.a.Rollback(e.ctx, e.prod.ID, first.ID); !errors.Is(err, admin.ErrLicense) {
		t.Fatalf("Rollback after expiry = %v, want ErrLicense", err)
	}
	if l := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, e.prod.ID, admin.Page{})); len(l.Items) != 1 {
		t.Fatalf("%d builds after refused deploys, want 1", len(l.Items))
	}
	if code, _ := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("the running server stopped serving when the license expired: %d", code)
	}
	if err := e.a.StopDeployment(e.ctx, e.prod.ID); err != nil {
		t.Fatalf("StopDeployment after expiry: %v", err)
	}
	if live := e.liveServers(t); len(live) != 0 {
		t.Fatalf("%d servers live after stop", len(live))
	}
	if err := e.a.DeleteProject(e.ctx, e.project.ID); err != nil {
		t.Fatalf("DeleteProject after expiry: %v", err)
	}
}

// TestRunningServerLimit deploys under a license that allows one running
// server: a second deployment's first deploy is refused and queues nothing,
// while the deployment that holds the server may redeploy, and once it is
// stopped the other may deploy.
func TestRunningServerLimit(t *testing.T) {
	e := newDeployEnv(t, admin.WithLicense(signedLicense(t, admin.Limits{RunningServers: 1}, time.Time{})))
	e.deployOK(t)
	staging := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
	_, err := e.a.Deploy(e.ctx, staging.ID)
	var le *admin.LicenseError
	if !errors.As(err, &le) || !errors.Is(err, admin.ErrLicense) || !strings.Contains(err.Error(), "at most 1 running servers") {
		t.Fatalf("a second deployment's deploy = %v, want a LicenseError about running servers", err)
	}
	if l := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, staging.ID, admin.Page{})); len(l.Items) != 0 {
		t.Fatalf("the refused deploy queued %d builds", len(l.Items))
	}
	e.deployOK(t)
	if err := e.a.StopDeployment(e.ctx, e.prod.ID); err != nil {
		t.Fatal(err)
	}
	if b := e.waitBuild(t, must[*admin.Build](t)(e.a.Deploy(e.ctx, staging.ID)).ID); b.Status != admin.BuildSucceeded {
		t.Fatalf("deploy once the server is stopped: %s %s", b.Status, b.Error)
	}
}

// TestPromoteCopiesAnotherDeploymentsArtifact promotes staging's build to
// production: no install or build, production serves it from a copy of its
// own (node_modules hard-linked, other files copied), with the promoted
// build's commit fields, and keeps serving (a crash restarts it) after
// staging's artifact is gone. Promotions the rules refuse queue nothing.
func TestPromoteCopiesAnotherDeploymentsArtifact(t *testing.T) {
	e := newDeployEnv(t)
	buildRoot := filepath.Join(e.dir, "builds")
	staging := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
	tested := e.waitBuild(t, must[*admin.Build](t)(e.a.Deploy(e.ctx, staging.ID)).ID)
	if tested.Status != admin.BuildSucceeded {
		t.Fatalf("staging build %s: %s", tested.Status, tested.Error)
	}
	stagingSrc := filepath.Join(buildRoot, tested.ID, "src")
	dep := filepath.Join(stagingSrc, "node_modules", "promoted-dep", "index.js")
	if err := os.MkdirAll(filepath.Dir(dep), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dep, []byte("module.exports = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// Refused: production's own build (a rollback), another project's, an
	// unknown one, and a build that did not succeed.
	own := e.deployOK(t)
	other := must[*admin.Project](t)(e.a.CreateProject(e.ctx, e.project.TeamID, admin.NewProject{Name: "Other",
		SourceType: admin.SourceLocal, SourceConfig: e.project.SourceConfig}))
	otherProd := must[admin.List[*admin.Deployment]](t)(e.a.ListDeployments(e.ctx, other.ID, admin.Page{})).Items[0]
	if _, err := e.a.Promote(e.ctx, e.prod.ID, own.ID); !errors.As(err, new(*admin.ValidationError)) {
		t.Errorf("Promote of production's own build = %v, want a ValidationError", err)
	}
	if _, err := e.a.Promote(e.ctx, otherProd.ID, tested.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("Promote to another project = %v, want ErrNotFound", err)
	}
	if _, err := e.a.Promote(e.ctx, e.prod.ID, "bld_nope"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("Promote of an unknown build = %v, want ErrNotFound", err)
	}
	if l := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, e.prod.ID, admin.Page{})); len(l.Items) != 1 {
		t.Fatalf("refused promotions queued builds: %d builds, want 1", len(l.Items))
	}

	pb := e.waitBuild(t, must[*admin.Build](t)(e.a.Promote(e.ctx, e.prod.ID, tested.ID)).ID)
	log := e.logText(t, pb.ID)
	if pb.Status != admin.BuildSucceeded || pb.Trigger != admin.TriggerPromote || pb.SourceBuildID != tested.ID ||
		strings.Contains(log, "[install]") || !strings.Contains(log, "promoting the artifact of build "+tested.ID) {
		t.Fatalf("promotion %s (trigger %s, from %s):\n%s", pb.Status, pb.Trigger, pb.SourceBuildID, log)
	}
	if pb.Commit != tested.Commit || pb.Ref != tested.Ref {
		t.Errorf("promotion records commit %q ref %q, want the promoted build's %q %q", pb.Commit, pb.Ref, tested.Commit, tested.Ref)
	}
	ownSrc := filepath.Join(buildRoot, pb.ID, "src")
	sameFile := func(rel string) bool {
		t.Helper()
		a, err := os.Stat(filepath.Join(stagingSrc, rel))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.Stat(filepath.Join(ownSrc, rel))
		if err != nil {
			t.Fatal(err)
		}
		return os.SameFile(a, b)
	}
	if sameFile(admin.DefaultArtifactEntry) {
		t.Error("the promoted entry is the staging file itself, not a copy")
	}
	if !sameFile("node_modules/promoted-dep/index.js") {
		t.Error("a file under node_modules was copied, not linked")
	}
	if live := e.liveServers(t); len(live) != 1 || live[0].BuildID != pb.ID {
		t.Fatalf("production's servers after the promotion: %+v", live)
	}

	// Staging's artifact goes (pruned, say): production restarts from its own.
	if err := os.RemoveAll(filepath.Join(buildRoot, tested.ID)); err != nil {
		t.Fatal(err)
	}
	old := e.liveServers(t)[0]
	if err := syscall.Kill(old.PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if fresh := e.replacement(t, old); fresh.BuildID != pb.ID {
		t.Fatalf("restarted server runs build %s, want %s", fresh.BuildID, pb.ID)
	}
	if code, _ := e.get("app.localhost", "/health"); code != http.StatusOK {
		t.Fatalf("production after staging's artifact went: %d", code)
	}
	// Rolling production back to the promotion later deploys its copy.
	e.deployOK(t)
	rb := e.waitBuild(t, must[*admin.Build](t)(e.a.Rollback(e.ctx, e.prod.ID, pb.ID)).ID)
	if rb.Status != admin.BuildSucceeded || rb.SourceBuildID != pb.ID {
		t.Fatalf("rollback to the promotion: %s from %s: %s", rb.Status, rb.SourceBuildID, rb.Error)
	}
}
