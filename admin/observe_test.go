package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestRealDeploysAreObserved deploys the AdminBundler's two fixtures, a
// Mastra 1.x project (its own logger, its own server.port) and a Mastra
// 0.24 project, each with its lockfile, through the admin with the real
// local runner (npm, the AdminBundler's faithful build, node) and router.
// It runs each project's workflow through the router and finds, in the
// build's observability folder, the spans of the run and its steps and the
// log line of a step, all with the admin's project, deployment and build
// ids. Then the admin stops while the servers run: a run made with no
// admin alive is still recorded, and a new admin adopts the servers. Minutes
// on a cold machine; the caches under ~/.cache/mastra-admin (the runner's
// default, or MASTRA_ADMIN_TEST_RUNNER_CACHE) keep reruns warm.
func TestRealDeploysAreObserved(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real Mastra projects (minutes); the test script runs it")
	}
	dir := t.TempDir()
	open := func() (*stack, *admin.Admin, *httptest.Server) {
		s, err := openStack(dir, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		// The fixtures are real Mastra projects: the default, instrumenting
		// build, with the shared caches.
		s.runner.Close()
		lo, hi := portRange()
		if s.runner, err = runnerlocal.New(&runnerlocal.Options{CacheDir: os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE"),
			PortMin: lo, PortMax: hi, HealthTimeout: 2 * time.Minute, StopGrace: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		a, err := s.admin(filepath.Join("..", "bundler", "testdata"), admin.WithBuildTimeout(15*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s, a, httptest.NewServer(s.router)
	}
	t.Cleanup(func() { stopAllServers(t, dir) })
	s, a, proxy := open()
	ctx := context.Background()
	root := must[*admin.User](t)(a.Bootstrap(ctx, admin.NewUser{Email: "root@example.com", Name: "Root"}))
	ctx = as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "Observed"}))

	type fixture struct {
		path string
		// tracedLogs: Mastra 1.x records the active span of a log call.
		tracedLogs bool
		p          *admin.Project
		d          *admin.Deployment
		b          *admin.Build
	}
	fixtures := []*fixture{{path: "v1", tracedLogs: true}, {path: "v0"}}
	for _, f := range fixtures {
		f.p = must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Fixture " + f.path,
			SourceType: admin.SourceLocal, SourceConfig: map[string]string{"path": f.path}}))
		f.d = must[admin.List[*admin.Deployment]](t)(a.ListDeployments(ctx, f.p.ID, admin.Page{})).Items[0]
		f.b = must[*admin.Build](t)(a.Deploy(ctx, f.d.ID))
	}
	for _, f := range fixtures {
		f.b = waitFor(t, 15*time.Minute, "build "+f.b.ID, func() (*admin.Build, bool) {
			b := must[*admin.Build](t)(a.GetBuild(ctx, f.b.ID))
			return b, b.Status.Terminal() && b.CompletedAt != nil
		})
		if f.b.Status != admin.BuildSucceeded {
			t.Fatalf("%s: build %s: %s\n%s", f.path, f.b.Status, f.b.Error, buildLog(t, a, ctx, f.b.ID))
		}
	}

	// check runs the project's workflow through url (the router, or the
	// server itself) and finds the run's records among want runs.
	check := func(f *fixture, url string, wantRuns int) {
		t.Helper()
		host := f.p.Slug + ".localhost"
		got := startWorkflow(t, url, host, map[string]any{"text": "hello mastra admin"})
		if got["summary"] != "3 words, 18 characters" {
			t.Errorf("%s: workflow result %v", f.path, got)
		}
		buildDir := filepath.Join(dir, "builds", f.b.ID)
		var tel runnertest.Telemetry
		var runs []runnertest.TracedRun
		waitFor(t, 10*time.Second, f.path+"'s spans to be flushed", func() (bool, bool) {
			tel = runnertest.ReadTelemetry(t, buildDir)
			runs = tel.WorkflowRuns()
			return true, len(runs) >= wantRuns && countLogs(tel, "fixture summarize step") >= wantRuns
		})
		if len(runs) != wantRuns {
			t.Fatalf("%s: %d workflow runs recorded, want %d:\n%s", f.path, len(runs), wantRuns, tel)
		}
		run := runs[wantRuns-1]
		runnertest.CheckWorkflowRun(t, tel, run, 2, runnertest.IDs{Project: f.p.ID, Deployment: f.d.ID, Build: f.b.ID})
		step := run.Step("summarize")
		var found bool
		for _, l := range tel.Logs {
			if l.Message != "fixture summarize step" || (l.ProjectID != f.p.ID || l.DeploymentID != f.d.ID || l.BuildID != f.b.ID) {
				continue
			}
			if !f.tracedLogs || step != nil && l.TraceID == run.Run.TraceID && l.SpanID == step.SpanID {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no log line of the summarize step (with its trace, on 1.x):\n%s", f.path, tel)
		}
	}
	for _, f := range fixtures {
		check(f, proxy.URL, 1)
	}

	// The 1.x fixture's own logger still prints, and its server.port 4999
	// lost to the runner's port.
	v1 := fixtures[0]
	servers := must[[]*admin.RunningServer](t)(s.store.ListServers(context.Background(),
		admin.ServerFilter{DeploymentID: v1.d.ID, Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
	if len(servers) != 1 || servers[0].Port == 4999 {
		t.Fatalf("v1 servers: %+v", servers)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "builds", v1.b.ID, "server.log"))
	if !strings.Contains(string(out), "FIXTURE-LOGGER info fixture summarize step") {
		t.Errorf("the project's own logger did not get the step's line; server.log:\n%s", out)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:4999", time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on the project's server.port 4999")
	}

	// The admin goes away; the servers run on and keep recording.
	proxy.Close()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	direct := "http://" + net.JoinHostPort(servers[0].Host, strconv.Itoa(servers[0].Port))
	check(v1, direct, 2)

	// A new admin adopts the same server (no rebuild, no second process)
	// and routes to it again.
	s2, a2, proxy2 := open()
	defer a2.Close()
	defer proxy2.Close()
	waitFor(t, time.Minute, "the new admin to route to the adopted server", func() (bool, bool) {
		req, _ := http.NewRequest(http.MethodGet, proxy2.URL+"/health", nil)
		req.Host = v1.p.Slug + ".localhost"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, false
		}
		resp.Body.Close()
		return true, resp.StatusCode == http.StatusOK
	})
	after := must[[]*admin.RunningServer](t)(s2.store.ListServers(context.Background(),
		admin.ServerFilter{DeploymentID: v1.d.ID, Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
	if len(after) != 1 || after[0].PID != servers[0].PID {
		t.Fatalf("after the restart: %+v; want the server with pid %d adopted", after, servers[0].PID)
	}
	check(v1, proxy2.URL, 3)
}

// startWorkflow runs the textStats workflow at url with the Host header
// host and returns its result.
func startWorkflow(t *testing.T, url, host string, input any) map[string]any {
	t.Helper()
	run, err := runnertest.RunWorkflow(context.Background(), url, host, "textStats", input)
	var result map[string]any
	if err != nil || run.Status != "success" || json.Unmarshal(run.Result, &result) != nil {
		t.Fatalf("run textStats at %s (Host %s): %v, %+v", url, host, err, run)
	}
	return result
}

func countLogs(tel runnertest.Telemetry, message string) int {
	n := 0
	for _, l := range tel.Logs {
		if l.Message == message {
			n++
		}
	}
	return n
}

// buildLog is a build's whole log, for failure messages.
func buildLog(t *testing.T, a *admin.Admin, ctx context.Context, id string) string {
	t.Helper()
	lines, err := a.FollowBuildLogs(ctx, id, 0)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	var b strings.Builder
	for l, err := range lines {
		if err != nil {
			break
		}
		b.WriteString(admin.FormatLogLine(l) + "\n")
	}
	return b.String()
}
