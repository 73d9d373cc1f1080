//go:build linux

package local_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestRealMastraSampleProject builds examples/sample-project with the real
// npm and mastra CLI twice (the second build reuses the installed
// dependencies), serves it, and runs its workflow. It is the one slow test
// of the package: minutes on a cold machine, where it provisions Node 22
// from npm. Caches live in ~/.cache/mastra-admin (or
// MASTRA_ADMIN_TEST_RUNNER_CACHE) so reruns are warm.
func TestRealMastraSampleProject(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real Mastra project (minutes); the test script runs it")
	}
	t.Parallel()
	p := runnertest.RealProject{
		Dir:      filepath.Join("..", "..", "examples", "sample-project"),
		CacheDir: os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE"),
		Workflow: "textStats",
		Input:    map[string]any{"text": "hello mastra admin\nsecond line"},
		Want:     map[string]any{"words": 5, "characters": 30, "lines": 2, "summary": "5 words, 30 characters, 2 lines"},
	}
	first := runnertest.RunReal(t, harness(), p)
	t.Logf("first build: %s (%s); start to healthy: %s\n%s", first.Build, installPath(first.Log), first.Start, notes(first.Log))
	second := runnertest.RunReal(t, harness(), p)
	t.Logf("second build: %s (%s); start to healthy: %s\n%s", second.Build, installPath(second.Log), second.Start, notes(second.Log))
	if installPath(second.Log) != "dependency cache" {
		t.Errorf("the second build of the same lockfile did not reuse the installed dependencies; its install lines:\n%s",
			phaseLines(second.Log, "install"))
	}
}

// installPath tells how a build got its dependencies.
func installPath(log []admin.LogLine) string {
	for _, l := range log {
		if l.Phase == "install" && strings.HasPrefix(l.Text, "restored node_modules from the dependency cache") {
			return "dependency cache"
		}
	}
	return "npm ci"
}

func phaseLines(log []admin.LogLine, phase string) string {
	var b strings.Builder
	for _, l := range log {
		if l.Phase == phase {
			b.WriteString(admin.FormatLogLine(l) + "\n")
		}
	}
	return b.String()
}

// notes returns the runner's own lines (commands run, timings) and the
// mastra CLI's progress lines.
func notes(log []admin.LogLine) string {
	var b strings.Builder
	for _, l := range log {
		if l.Stream == "" || l.Phase == "build" && strings.Contains(l.Text, "(Mastra CLI)") {
			b.WriteString(admin.FormatLogLine(l) + "\n")
		}
	}
	return b.String()
}
