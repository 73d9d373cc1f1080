//go:build linux

package local_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestRealMastraSampleProject builds examples/sample-project with the real
// npm and the AdminBundler (faithful mode: the project's own
// @mastra/deployer) twice, serves it, runs its workflow, and reads the
// spans and logs the server wrote. The first build makes its output for
// real: the test's build output cache starts empty (Node, the npm cache and
// the dependency cache are the shared ones under ~/.cache/mastra-admin, or
// MASTRA_ADMIN_TEST_RUNNER_CACHE, so reruns are warm). The second build of
// the unchanged project reuses that output, and its server must still
// write its own build's ids: they come from the environment at start.
// Minutes on a cold machine, where it provisions Node 22 from npm.
func TestRealMastraSampleProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real Mastra project (minutes); the test script runs it")
	}
	t.Parallel()
	cache := privateOutputs(t, os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE"))
	h := runnertest.Harness{Processes: true, NewRunner: func(t *testing.T, cfg runnertest.Config) admin.Runner {
		cfg.CacheDir = cache
		return newRunner(t, cfg, func(o *local.Options) { o.BuildMode = local.BuildFaithful })
	}}
	p := runnertest.RealProject{
		Dir:      filepath.Join("..", "..", "examples", "sample-project"),
		Workflow: "textStats",
		Input:    map[string]any{"text": "hello mastra admin\nsecond line"},
		Want:     map[string]any{"words": 5, "characters": 30, "lines": 2, "summary": "5 words, 30 characters, 2 lines"},
	}
	for i, want := range []string{"saved the build output", "reusing the build output"} {
		res := runnertest.RunReal(t, h, p)
		t.Logf("build %d: %s; start to healthy: %s\n%s", i+1, res.Build, res.Start, notes(res.Log))
		if !hasLine(res.Log, want) {
			t.Errorf("build %d: no %q line in its log", i+1, want)
		}
		if i == 0 && !hasLine(res.Log, "instrumenting with the v1 generation") {
			t.Errorf("the first build did not go through the AdminBundler")
		}
		tel := runnertest.ReadTelemetry(t, res.Dir)
		runs := tel.WorkflowRuns()
		if len(runs) != 1 {
			t.Fatalf("build %d: %d workflow runs recorded, want 1:\n%s", i+1, len(runs), tel)
		}
		runnertest.CheckWorkflowRun(t, tel, runs[0], 2, res.IDs)
		step := runs[0].Step("summarize")
		logged := false
		for _, l := range tel.Logs {
			if l.Message == "text summarized" {
				logged = step != nil && l.TraceID == runs[0].Run.TraceID && l.SpanID == step.SpanID
			}
		}
		if !logged {
			t.Errorf("build %d: no \"text summarized\" log line in the summarize step's span:\n%s", i+1, tel)
		}
	}
}

// privateOutputs returns a runner cache folder that shares Node, the npm
// cache and the dependency cache of shared ("" for the runner's default)
// but has a build output cache of its own, empty.
func privateOutputs(t *testing.T, shared string) string {
	t.Helper()
	r, err := local.New(&local.Options{CacheDir: shared})
	if err != nil {
		t.Fatal(err)
	}
	shared = r.CacheDir()
	r.Close()
	dir := t.TempDir()
	for _, sub := range []string{"node", "npm", "deps"} {
		if err := os.Symlink(filepath.Join(shared, sub), filepath.Join(dir, sub)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func hasLine(log []admin.LogLine, sub string) bool {
	for _, l := range log {
		if strings.Contains(l.Text, sub) {
			return true
		}
	}
	return false
}

// notes returns the runner's own lines (commands run, timings, cache use)
// and the bundler's notes.
func notes(log []admin.LogLine) string {
	var b strings.Builder
	for _, l := range log {
		if l.Stream == "" {
			b.WriteString(admin.FormatLogLine(l) + "\n")
		}
	}
	return b.String()
}
