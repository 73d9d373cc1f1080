package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

func (e *hookEnv) waitBuild(t *testing.T, id string) *admin.Build {
	t.Helper()
	return waitFor(t, 2*time.Minute, "build "+id+" to end", func() (*admin.Build, bool) {
		b, err := e.a.GetBuild(e.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return b, b.Status.Terminal() && b.CompletedAt != nil
	})
}

// echo asks the server behind host, through the router, for its /echo.
func (e *hookEnv) echo(t *testing.T, host string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://"+host+"/echo", nil)
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, req)
	var out map[string]any
	if rec.Code == http.StatusOK {
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatal(err)
		}
	}
	return rec.Code, out
}

// TestWebhookEndToEnd: push → build of that commit → served; PR opened →
// the preview answers through the router from a build of the PR's head;
// synchronize → a new build replaces it; closed → route gone, server
// stopped. Previews get the project's preview env vars over its others,
// production never; a fork's approved preview runs without any env var.
func TestWebhookEndToEnd(t *testing.T) {
	e := newHookEnv(t, true)
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{"OPENAI_API_KEY": "sk-secret",
		"API_URL": "https://api.example.com"}))
	must[[]admin.EnvVarInfo](t)(e.a.SetPreviewEnvVars(e.ctx, e.project.ID, map[string]string{
		"API_URL": "https://staging.example.com", "PREVIEW_ONLY": "yes"}))
	second := e.repo.Commit(t, "main", map[string]string{"README.md": "v2\n"}, "second\n\nwith a body")
	start := time.Now()
	res, _ := e.deliver(t, "push", e.pushPayload("main", second))
	b := e.waitBuild(t, res.Actions[0].BuildID)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("push build %s: %s", b.Status, b.Error)
	}
	t.Logf("push to served production: %v", time.Since(start).Round(time.Millisecond))
	if b.Commit != second || b.CommitAuthor != "Test Author <author@example.com>" || b.CommitMessage != "second\n\nwith a body" {
		t.Errorf("build records commit %q by %q: %q", b.Commit, b.CommitAuthor, b.CommitMessage)
	}
	host := e.project.Slug + ".localhost"
	code, out := e.echo(t, host)
	if code != http.StatusOK || !strings.Contains(out["cwd"].(string), b.ID) {
		t.Fatalf("production through the router: %d %v, want build %s", code, out, b.ID)
	}
	if env, _ := out["env"].(map[string]any); env["API_URL"] != "https://api.example.com" || env["PREVIEW_ONLY"] != nil {
		t.Errorf("production's env: API_URL %v, PREVIEW_ONLY %v; want the project's, and no preview var", env["API_URL"], env["PREVIEW_ONLY"])
	}

	head := e.repo.Commit(t, "feature/tool", map[string]string{"tool.ts": "1\n"}, "tool")
	start = time.Now()
	res, _ = e.deliver(t, "pull_request", e.prPayload("opened", 5, "feature/tool", head, "octo/agents"))
	pb := e.waitBuild(t, res.Actions[0].BuildID)
	if pb.Status != admin.BuildSucceeded || pb.Commit != head {
		t.Fatalf("preview build %s of %q: %s", pb.Status, pb.Commit, pb.Error)
	}
	t.Logf("PR opened to served preview: %v", time.Since(start).Round(time.Millisecond))
	phost := "pr-5--" + e.project.Slug + ".localhost"
	code, out = e.echo(t, phost)
	if code != http.StatusOK || !strings.Contains(out["cwd"].(string), pb.ID) {
		t.Fatalf("preview through the router: %d %v, want build %s", code, out, pb.ID)
	}
	if env, _ := out["env"].(map[string]any); env["OPENAI_API_KEY"] != "sk-secret" || env["API_URL"] != "https://staging.example.com" ||
		env["PREVIEW_ONLY"] != "yes" {
		t.Errorf("a same-repository preview's env: OPENAI_API_KEY %v, API_URL %v, PREVIEW_ONLY %v; want the project's key and its preview vars",
			env["OPENAI_API_KEY"], env["API_URL"], env["PREVIEW_ONLY"])
	}

	head2 := e.repo.Commit(t, "feature/tool", map[string]string{"tool.ts": "2\n"}, "tool 2")
	res, _ = e.deliver(t, "pull_request", e.prPayload("synchronize", 5, "feature/tool", head2, "octo/agents"))
	pb2 := e.waitBuild(t, res.Actions[0].BuildID)
	if pb2.Status != admin.BuildSucceeded || pb2.Commit != head2 {
		t.Fatalf("synchronize build %s of %q: %s", pb2.Status, pb2.Commit, pb2.Error)
	}
	if code, out := e.echo(t, phost); code != http.StatusOK || !strings.Contains(out["cwd"].(string), pb2.ID) {
		t.Fatalf("after synchronize the preview serves %d %v, want build %s", code, out, pb2.ID)
	}
	d, err := e.deployment(t, "pr-5")
	if err != nil {
		t.Fatal(err)
	}
	if live := must[admin.List[*admin.RunningServer]](t)(e.a.ListServers(e.ctx, d.ID, admin.Page{})); countLive(live.Items) != 1 {
		t.Errorf("after synchronize %d servers are live, want the new one only", countLive(live.Items))
	}

	res, _ = e.deliver(t, "pull_request", e.prPayload("closed", 5, "feature/tool", head2, "octo/agents"))
	if res.Actions[0].Action != "teardown" {
		t.Fatalf("closed: %+v", res.Actions)
	}
	// The teardown is queued; the preview worker does it.
	waitFor(t, time.Minute, "the closed preview to stop answering", func() (bool, bool) {
		code, _ := e.echo(t, phost)
		return true, code != http.StatusOK
	})
	waitFor(t, time.Minute, "the preview to be gone", func() (bool, bool) {
		_, err := e.deployment(t, "pr-5")
		return true, errors.Is(err, admin.ErrNotFound)
	})
	servers, err := e.store.ListServers(context.Background(), admin.ServerFilter{DeploymentID: d.ID}, admin.Page{})
	if err != nil || countLive(servers) != 0 {
		t.Errorf("servers of the closed preview: %v %v", servers, err)
	}
	if code, _ := e.echo(t, host); code != http.StatusOK {
		t.Errorf("production stopped answering after a preview's teardown: %d", code)
	}

	// A fork: approved, built and served without the project's secrets.
	fork := e.repo.Commit(t, "fork", map[string]string{"f.ts": "1\n"}, "fork")
	res, _ = e.deliver(t, "pull_request", e.prPayload("opened", 6, "patch-1", fork, "mallory/agents"))
	if res.Actions[0].Action != "await-approval" {
		t.Fatalf("fork: %+v", res.Actions)
	}
	fb := e.waitBuild(t, must[*admin.Build](t)(e.a.ApprovePreview(e.ctx, res.Actions[0].DeploymentID, fork)).ID)
	if fb.Status != admin.BuildSucceeded {
		t.Fatalf("fork build %s: %s", fb.Status, fb.Error)
	}
	code, out = e.echo(t, "pr-6--"+e.project.Slug+".localhost")
	if code != http.StatusOK {
		t.Fatalf("fork preview: %d", code)
	}
	if env, _ := out["env"].(map[string]any); env["OPENAI_API_KEY"] != nil || env["API_URL"] != nil || env["PREVIEW_ONLY"] != nil {
		t.Errorf("a fork's preview got the project's env vars: %v", env)
	}
}

func countLive(s []*admin.RunningServer) int {
	n := 0
	for _, x := range s {
		if x.Status == admin.ServerRunning || x.Status == admin.ServerStarting {
			n++
		}
	}
	return n
}

// TestPreviewTTL: a preview without a new commit for its TTL is torn down
// by the preview worker; production and a preview made by hand stay.
func TestPreviewTTL(t *testing.T) {
	e := newHookEnv(t, true, admin.WithPreviews(admin.PreviewOptions{PullRequests: true, TTL: time.Millisecond}))
	hand := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "main", Slug: "by-hand"}))
	head := e.repo.Commit(t, "stale", map[string]string{"s.ts": "1\n"}, "stale")
	res, _ := e.deliver(t, "pull_request", e.prPayload("opened", 8, "stale", head, "octo/agents"))
	if res.Actions[0].Action != "deploy" {
		t.Fatalf("opened: %+v", res.Actions)
	}
	waitFor(t, time.Minute, "the stale preview to be torn down", func() (bool, bool) {
		_, err := e.deployment(t, "pr-8")
		return true, errors.Is(err, admin.ErrNotFound)
	})
	for _, id := range []string{hand.ID, e.prod.ID} {
		if _, err := e.store.GetDeployment(context.Background(), id); err != nil {
			t.Errorf("deployment %s, not made from a webhook, was removed: %v", id, err)
		}
	}
}

// TestReconcilerTearsDownWhatLostItsRef: a branch deleted without a
// webhook (a lost delivery) takes its preview with it at the next
// reconcile; a hand-made preview of a missing branch and a PR preview (git
// cannot tell open PRs) stay.
func TestReconcilerTearsDownWhatLostItsRef(t *testing.T) {
	e := newHookEnv(t, true, admin.WithPreviews(admin.PreviewOptions{PullRequests: true, Branches: true, ReconcileInterval: time.Millisecond}))
	hand := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "ghost"}))
	head := e.repo.Commit(t, "feature/gone", map[string]string{"g.ts": "1\n"}, "g")
	res, _ := e.deliver(t, "push", e.pushPayload("feature/gone", head))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
		t.Fatalf("push: %+v", res.Actions)
	}
	branchPreview := res.Actions[0].DeploymentID
	res, _ = e.deliver(t, "pull_request", e.prPayload("opened", 30, "feature/gone", head, "octo/agents"))
	prPreview := res.Actions[0].DeploymentID
	e.repo.DeleteRef(t, "refs/heads/feature/gone")
	waitFor(t, time.Minute, "the branch preview to be torn down", func() (bool, bool) {
		_, err := e.store.GetDeployment(context.Background(), branchPreview)
		return true, errors.Is(err, admin.ErrNotFound)
	})
	for _, id := range []string{hand.ID, prPreview, e.prod.ID} {
		if _, err := e.store.GetDeployment(context.Background(), id); err != nil {
			t.Errorf("deployment %s was removed by the reconciler: %v", id, err)
		}
	}
}

// reported waits until r has reported state for build (or, with build "",
// for the pull request n) and returns that event.
func (r *recordingReporter) reported(t *testing.T, n int, state, build string) admin.PreviewEvent {
	t.Helper()
	return waitFor(t, 2*time.Minute, fmt.Sprintf("PR %d reported %s (build %q)", n, state, build), func() (admin.PreviewEvent, bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, ev := range r.events {
			if ev.Preview.Number == n && ev.State == state && (build == "" || ev.BuildID == build) {
				return ev, true
			}
		}
		return admin.PreviewEvent{}, false
	})
}

// states lists the states r reported for pull request n, in order.
func (r *recordingReporter) states(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.events {
		if ev.Preview.Number == n {
			out = append(out, ev.State+":"+ev.BuildID)
		}
	}
	return out
}

// TestWebhookReportsBuildEnd: the pull request hears how each build of its
// preview ends, from the build's stored outcome: ready with the URL that
// serves it, then failed for a commit whose build fails; each state once.
func TestWebhookReportsBuildEnd(t *testing.T) {
	rep := &recordingReporter{}
	e := newHookEnv(t, true, admin.WithPreviewReporter(rep))
	head := e.repo.Commit(t, "feature/end", map[string]string{"end.ts": "1\n"}, "end 1")
	res, _ := e.deliver(t, "pull_request", e.prPayload("opened", 50, "feature/end", head, "octo/agents"))
	b := e.waitBuild(t, res.Actions[0].BuildID)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("preview build %s: %s", b.Status, b.Error)
	}
	ready := rep.reported(t, 50, admin.PreviewReady, b.ID)
	if code, _ := e.echo(t, "pr-50--"+e.project.Slug+".localhost"); code != http.StatusOK ||
		!strings.Contains(ready.URL, "pr-50--") || ready.Build.Status != admin.BuildSucceeded || ready.Repo != "octo/agents" {
		t.Errorf("ready report %+v while the preview answers %d", ready, code)
	}

	// This preview's builds fail from now on (a per-preview override).
	must[[]admin.EnvVarInfo](t)(e.a.SetDeploymentEnvVars(e.ctx, b.DeploymentID, map[string]string{runnertest.FakeBuildFail: "1"}))
	head2 := e.repo.Commit(t, "feature/end", map[string]string{"end.ts": "2\n"}, "end 2")
	res, _ = e.deliver(t, "pull_request", e.prPayload("synchronize", 50, "feature/end", head2, "octo/agents"))
	b2 := e.waitBuild(t, res.Actions[0].BuildID)
	if b2.Status != admin.BuildFailed {
		t.Fatalf("a build that should fail: %s", b2.Status)
	}
	failed := rep.reported(t, 50, admin.PreviewFailed, b2.ID)
	if failed.Build.Error == "" || failed.Preview.HeadSHA != head2 {
		t.Errorf("failed report %+v, want the build's error and head %s", failed, head2)
	}
	got := strings.Join(rep.states(50), " ")
	want := strings.Join([]string{"building:" + b.ID, "ready:" + b.ID, "building:" + b2.ID, "failed:" + b2.ID}, " ")
	if got != want {
		t.Errorf("reported %s, want %s", got, want)
	}
}

// restart closes e's admin and starts another on the same state, reporting
// to rep, in its place.
func (e *hookEnv) restart(t *testing.T, rep *recordingReporter) {
	t.Helper()
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := openStack(e.dir, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	a, err := admin.New(e.options(s, admin.WithPreviewReporter(rep))...)
	if err != nil {
		t.Fatal(err)
	}
	e.stack, e.a = s, a
	t.Cleanup(func() { a.Close() })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// TestPreviewWorkSurvivesRestart: what an admin queued and stopped before
// doing is done by the next one on the same Storage: a closed pull
// request's teardown, and the report of a build's end (the build was
// queued, and its start reported, by the first admin).
func TestPreviewWorkSurvivesRestart(t *testing.T) {
	first := &recordingReporter{}
	e := newHookEnv(t, false, admin.WithPreviewReporter(first))
	keep := e.repo.Commit(t, "feature/keep", map[string]string{"k.ts": "1\n"}, "keep")
	gone := e.repo.Commit(t, "feature/gone", map[string]string{"g.ts": "1\n"}, "gone")
	res, _ := e.deliver(t, "pull_request", e.prPayload("opened", 60, "feature/keep", keep, "octo/agents"))
	build := res.Actions[0].BuildID
	res, _ = e.deliver(t, "pull_request", e.prPayload("opened", 61, "feature/gone", gone, "octo/agents"))
	closedID := res.Actions[0].DeploymentID
	e.round()
	first.reported(t, 60, admin.PreviewBuilding, build)
	res, _ = e.deliver(t, "pull_request", e.prPayload("closed", 61, "feature/gone", gone, "octo/agents"))
	if res.Actions[0].Action != "teardown" {
		t.Fatalf("closed: %+v", res.Actions)
	}
	if _, err := e.store.GetDeployment(context.Background(), closedID); err != nil {
		t.Fatalf("the closed preview is gone before any worker ran: %v", err)
	}
	second := &recordingReporter{}
	e.restart(t, second) // the first stops before its worker's round
	waitFor(t, 2*time.Minute, "the second admin to tear down the closed preview", func() (bool, bool) {
		_, err := e.store.GetDeployment(context.Background(), closedID)
		return true, errors.Is(err, admin.ErrNotFound)
	})
	second.reported(t, 61, admin.PreviewClosed, "")
	if b := e.waitBuild(t, build); b.Status != admin.BuildSucceeded {
		t.Fatalf("PR 60's build, run by the second admin: %s: %s", b.Status, b.Error)
	}
	second.reported(t, 60, admin.PreviewReady, build)
	if got := strings.Join(second.states(60), " "); got != "ready:"+build {
		t.Errorf("the second admin reported %s for PR 60, want only its build's end (its start was reported)", got)
	}
}

// branchReported waits until r has reported state for build of a
// deployment that follows a branch, and returns that event.
func (r *recordingReporter) branchReported(t *testing.T, state, build string) admin.BranchBuildEvent {
	t.Helper()
	return waitFor(t, 2*time.Minute, fmt.Sprintf("build %s reported %s", build, state), func() (admin.BranchBuildEvent, bool) {
		r.mu.Lock()
		defer r.mu.Unlock()
		for _, ev := range r.branch {
			if ev.State == state && ev.Build.ID == build {
				return ev, true
			}
		}
		return admin.BranchBuildEvent{}, false
	})
}

// branchStates lists the states r reported of branch builds, in order.
func (r *recordingReporter) branchStates() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, ev := range r.branch {
		out = append(out, ev.State+":"+ev.Build.ID)
	}
	return strings.Join(out, " ")
}

// TestBranchBuildsReported: the builds a push deploys to production are
// reported to the repository on the commit they built, each state once:
// the start by the admin that received the push, the end by the next
// admin on the same Storage (the first stopped before it), then a failing
// build's start and end.
func TestBranchBuildsReported(t *testing.T) {
	first := &recordingReporter{}
	e := newHookEnv(t, false, admin.WithPreviewReporter(first))
	head := e.repo.Commit(t, "main", map[string]string{"b.ts": "1\n"}, "b 1")
	res, _ := e.deliver(t, "push", e.pushPayload("main", head))
	b1 := res.Actions[0].BuildID
	e.round()
	e.round() // nothing changed: nothing reported again
	if got := first.branchStates(); got != "building:"+b1 {
		t.Fatalf("the first admin reported %q, want the start of %s once", got, b1)
	}
	second := &recordingReporter{}
	e.restart(t, second)
	ready := second.branchReported(t, admin.PreviewReady, b1)
	if ready.Repo != "octo/agents" || ready.Deployment.ID != e.prod.ID || ready.Build.Commit != head ||
		ready.URL != e.prod.PublicURL || ready.Build.Status != admin.BuildSucceeded {
		t.Errorf("ready report %+v; want octo/agents, production, commit %s, URL %s", ready, head, e.prod.PublicURL)
	}

	must[[]admin.EnvVarInfo](t)(e.a.SetDeploymentEnvVars(e.ctx, e.prod.ID, map[string]string{runnertest.FakeBuildFail: "1"}))
	head2 := e.repo.Commit(t, "main", map[string]string{"b.ts": "2\n"}, "b 2")
	res, _ = e.deliver(t, "push", e.pushPayload("main", head2))
	b2 := res.Actions[0].BuildID
	if failed := second.branchReported(t, admin.PreviewFailed, b2); failed.Build.Commit != head2 || failed.Build.Error == "" {
		t.Errorf("failed report %+v, want commit %s and the build's error", failed, head2)
	}
	// The start is reported unless the build ended before the worker's
	// next round.
	if got, want := strings.Replace(second.branchStates(), " building:"+b2, "", 1), "ready:"+b1+" failed:"+b2; got != want {
		t.Errorf("the second admin reported %q, want %q with, or without, building:%s between", second.branchStates(), want, b2)
	}
	if len(first.events)+len(second.events) != 0 {
		t.Errorf("pushes reported as pull-request previews: %+v %+v", first.events, second.events)
	}
}

// TestWebhookRealMastraProject: the webhook flow with a real Mastra 1.x
// project (bundler/testdata/v1, with its lockfile) in the repository,
// built by the real local runner (npm, the AdminBundler's build, node):
// push → a build of that commit → its workflow answers through the
// router; pull request opened → the preview answers through the router
// with the PR's code (a changed workflow result) while production keeps
// its own; closed → route gone, server stopped, the closing reported to
// the pull request. Two real builds; the times from delivery to served
// are recorded (testenv.Figure). Minutes on a cold machine; the runner's
// caches (MASTRA_ADMIN_TEST_RUNNER_CACHE) keep reruns warm.
func TestWebhookRealMastraProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real Mastra project twice (minutes); the test script runs it")
	}
	fixture := filepath.Join("..", "bundler", "testdata", "v1")
	files := []string{"package.json", "package-lock.json", "src/mastra/index.ts"}
	copyFixture := func(dir string) error {
		for _, f := range files {
			b, err := os.ReadFile(filepath.Join(fixture, filepath.FromSlash(f)))
			if err != nil {
				return err
			}
			dst := filepath.Join(dir, filepath.FromSlash(f))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				return err
			}
		}
		return nil
	}
	realRunner := func(s *stack) *runnerlocal.Runner {
		lo, hi := portRange()
		r, err := runnerlocal.New(&runnerlocal.Options{CacheDir: os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE"),
			PortMin: lo, PortMax: hi, HealthTimeout: 2 * time.Minute, StopGrace: 10 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	rep := &recordingReporter{}
	e := newHookEnvWith(t, true, copyFixture, realRunner, admin.WithBuildTimeout(15*time.Minute), admin.WithPreviewReporter(rep))
	proxy := httptest.NewServer(e.router)
	defer proxy.Close()
	waitReal := func(id string) *admin.Build {
		t.Helper()
		b := waitFor(t, 15*time.Minute, "build "+id+" to end", func() (*admin.Build, bool) {
			b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, id))
			return b, b.Status.Terminal() && b.CompletedAt != nil
		})
		if b.Status != admin.BuildSucceeded {
			t.Fatalf("build %s: %s: %s\n%s", id, b.Status, b.Error, buildLog(t, e.a, e.ctx, id))
		}
		return b
	}
	input := map[string]any{"text": "hello mastra admin"}

	main := e.first
	start := time.Now()
	res, _ := e.deliver(t, "push", e.pushPayload("main", main))
	b := waitReal(res.Actions[0].BuildID)
	host := e.project.Slug + ".localhost"
	if got := startWorkflow(t, proxy.URL, host, input); got["summary"] != "3 words, 18 characters" {
		t.Fatalf("production's workflow answered %v", got)
	}
	testenv.Figure(t, "real Mastra 1.x project: push to served production %v (build %v)", time.Since(start).Round(time.Second),
		b.CompletedAt.Sub(*b.StartedAt).Round(time.Second))
	if b.Commit != main {
		t.Errorf("production built %s, want the pushed %s", b.Commit, main)
	}

	index := filepath.Join(e.repo.WorkDir(), "src", "mastra", "index.ts")
	src, err := os.ReadFile(index)
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(src), " characters`", " characters, from the pull request`", 1)
	if changed == string(src) {
		t.Fatal("the fixture's workflow summary was not found to change")
	}
	prHead := e.repo.Commit(t, "feature/summary", map[string]string{"src/mastra/index.ts": changed}, "say where the summary comes from")
	start = time.Now()
	res, _ = e.deliver(t, "pull_request", e.prPayload("opened", 7, "feature/summary", prHead, "octo/agents"))
	pb := waitReal(res.Actions[0].BuildID)
	phost := "pr-7--" + e.project.Slug + ".localhost"
	if got := startWorkflow(t, proxy.URL, phost, input); got["summary"] != "3 words, 18 characters, from the pull request" {
		t.Fatalf("the preview's workflow answered %v, want the PR's code", got)
	}
	testenv.Figure(t, "real Mastra 1.x project: PR opened to served preview %v (build %v)", time.Since(start).Round(time.Second),
		pb.CompletedAt.Sub(*pb.StartedAt).Round(time.Second))
	if pb.Commit != prHead {
		t.Errorf("the preview built %s, want the PR's head %s", pb.Commit, prHead)
	}
	if got := startWorkflow(t, proxy.URL, host, input); got["summary"] != "3 words, 18 characters" {
		t.Errorf("production answered %v after the preview was built", got)
	}
	ready := rep.reported(t, 7, admin.PreviewReady, pb.ID)
	if !strings.Contains(ready.URL, "pr-7--") {
		t.Errorf("ready report %+v", ready)
	}

	res, _ = e.deliver(t, "pull_request", e.prPayload("closed", 7, "feature/summary", prHead, "octo/agents"))
	if res.Actions[0].Action != "teardown" {
		t.Fatalf("closed: %+v", res.Actions)
	}
	waitFor(t, 2*time.Minute, "the closed preview to be gone", func() (bool, bool) {
		_, err := e.deployment(t, "pr-7")
		return true, errors.Is(err, admin.ErrNotFound)
	})
	if code, _ := e.echo(t, phost); code == http.StatusOK {
		t.Error("the closed preview still answers through the router")
	}
	servers, err := e.store.ListServers(context.Background(), admin.ServerFilter{DeploymentID: pb.DeploymentID}, admin.Page{})
	if err != nil || countLive(servers) != 0 {
		t.Errorf("servers of the closed preview: %v %v", servers, err)
	}
	rep.reported(t, 7, admin.PreviewClosed, "")
	if got := startWorkflow(t, proxy.URL, host, input); got["summary"] != "3 words, 18 characters" {
		t.Errorf("production answered %v after the preview's teardown", got)
	}
}
