package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestRealWorkflowTrace deploys a real Mastra 1.x project (the fixture
// bundler/testdata/v1, built with the instrumenting build: one real
// build, 40-90 s with warm npm caches), runs its textStats workflow
// through the router, waits until the run's spans are ingested into the
// embedded observability store, and then, in Chromium, opens the
// project's traces, clicks the run, sees the waterfall with the
// workflow's step spans and opens a step's span panel.
func TestRealWorkflowTrace(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real Mastra project (a minute or more); the test script runs it")
	}
	fixtures, err := filepath.Abs(filepath.Join("..", "..", "bundler", "testdata"))
	if err != nil {
		t.Fatal(err)
	}
	e := openEnv(t, "/ui", fixtures, &runnerlocal.Options{CacheDir: os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE"),
		HealthTimeout: 2 * time.Minute, StopGrace: 10 * time.Second}, nil)
	root, token := e.user(t, "root@example.com")
	sys := apitest.As(root.ID)
	_, p := e.project(t, sys, "Real", "Text stats", "v1")
	prod, b := deployProduction(t, e, sys, p.ID)
	b = waitUntil(t, 15*time.Minute, "build "+b.ID, func() (*admin.Build, bool) {
		got, err := e.a.GetBuild(sys, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got, got.Status.Terminal()
	})
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("the build %s: %s (%s)", b.ID, b.Status, b.Error)
	}
	waitUntil(t, 3*time.Minute, "production running", func() (bool, bool) {
		d, err := e.a.GetDeployment(sys, prod.ID)
		if err != nil {
			t.Fatal(err)
		}
		return true, d.Status == admin.DeploymentRunning
	})

	run, err := runnertest.RunWorkflow(context.Background(), e.router, p.Slug+".localhost", "textStats",
		map[string]any{"text": "hello mastra admin"})
	if err != nil || run.Status != "success" {
		t.Fatalf("run textStats through the router: %v %+v", err, run)
	}
	trace := waitUntil(t, 3*time.Minute, "the workflow run's trace to be ingested", func() (admin.TraceSummary, bool) {
		page, err := e.a.ListTraces(sys, admin.TraceQuery{ProjectID: p.ID})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range page.Traces {
			if tr.RootType == "workflow_run" {
				return tr, true
			}
		}
		return admin.TraceSummary{}, false
	})
	spans, err := e.a.GetTrace(sys, admin.TraceGet{ProjectID: p.ID, TraceID: trace.TraceID})
	if err != nil {
		t.Fatal(err)
	}
	var steps []admin.Span
	for _, sp := range spans {
		if sp.Type == "workflow_step" {
			steps = append(steps, sp)
		}
	}
	if len(steps) < 2 {
		t.Fatalf("the trace has %d step spans, want the workflow's 2 or more: %+v", len(steps), spans)
	}

	ctx := tab(t)
	signIn(t, ctx, e, token)
	row := `#traces tr[data-trace="` + trace.TraceID + `"]`
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/traces", row)
	if got := text(t, ctx, row); !strings.Contains(got, "workflow_run") {
		t.Fatalf("the trace's row says %q, want a workflow_run", got)
	}
	click(t, ctx, row+" a")
	for _, sp := range steps {
		waitVisible(t, ctx, `#waterfall [data-span="`+sp.SpanID+`"]`)
	}
	see(t, ctx)
	for _, name := range []string{"word-count", "summarize"} {
		if got := text(t, ctx, "#waterfall"); !strings.Contains(got, name) {
			t.Fatalf("the waterfall does not name the step %s:\n%s", name, got)
		}
	}
	last := steps[len(steps)-1]
	drive("span")
	click(t, ctx, `[data-control="span"][data-span="`+last.SpanID+`"]`)
	waitText(t, ctx, "#span-name", last.Name)
	screenshot(t, ctx, "real-trace")
}

// waitUntil asks check until it reports done, at most for limit (a real
// build on a loaded machine), and returns its last value.
func waitUntil[T any](t *testing.T, limit time.Duration, what string, check func() (T, bool)) T {
	t.Helper()
	deadline := time.Now().Add(limit)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		v, done := check()
		if done {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not done after %v", what, limit)
		}
		<-tick.C
	}
}
