//go:build linux

package bundler_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/bundler"
	"github.com/mastra-admin/mastra-admin-go/observability"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// The real tests build the fixtures under testdata with the real npm,
// @mastra/deployer and esbuild, run the servers, and read what they wrote
// with the observability reader. Minutes on a cold machine (Node 22
// provisioning, npm ci); caches under ~/.cache/mastra-admin keep reruns
// warm.

var ids = struct{ project, deployment, build string }{"proj_test", "dep_test", "build_test"}

func buildOpts(src, buildDir, node string, mode bundler.Mode, log func(string, string)) bundler.Options {
	return bundler.Options{
		ProjectDir:   src,
		BuildDir:     buildDir,
		ProjectID:    ids.project,
		DeploymentID: ids.deployment,
		BuildID:      ids.build,
		Mode:         mode,
		Node:         node,
		Log:          log,
	}
}

// buildLog collects Build's output for failure messages.
type buildLog struct{ lines []string }

func (l *buildLog) fn(stream, line string) { l.lines = append(l.lines, "["+stream+"] "+line) }
func (l *buildLog) String() string         { return strings.Join(l.lines, "\n") }

// notes returns Build's own lines (commands, choices, timings).
func (l *buildLog) notes() string {
	var out []string
	for _, s := range l.lines {
		if strings.HasPrefix(s, "[] ") {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

// TestRealV1 builds the Mastra 1.x fixture (its own logger, its own
// server.port, no @mastra/observability) faithfully and fast, and checks
// each server: our port wins, /health answers, a workflow run writes span
// lines with the right parent/child ids and log lines with its trace id,
// and the project's logger still gets its lines.
func TestRealV1(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real Mastra project (minutes); the test script runs it")
	}
	node := node22(t)
	buildDir := t.TempDir()
	src := prepareFixture(t, "v1", node, buildDir)
	// The copy's node_modules is hard-linked to the test's dependency cache,
	// as the runner's is to its own: adding @mastra/observability must not
	// write through the links.
	copyLock := filepath.Join(src, "node_modules", ".package-lock.json")
	cachedLock := linkedCacheFile(t, copyLock)
	before, err := os.ReadFile(cachedLock)
	if err != nil {
		t.Fatal(err)
	}

	for _, mode := range []bundler.Mode{bundler.Faithful, bundler.Fast} {
		t.Run(mode.String(), func(t *testing.T) {
			obsDir := filepath.Join(buildDir, mode.String())
			var log buildLog
			began := time.Now()
			entry, err := bundler.Build(context.Background(), buildOpts(src, obsDir, node, mode, log.fn))
			if err != nil {
				t.Fatalf("Build: %v\n%s", err, &log)
			}
			t.Logf("%s build: %s\n%s", mode, time.Since(began).Round(time.Millisecond), log.notes())
			if entry != ".mastra/output/index.mjs" {
				t.Errorf("entry = %q", entry)
			}
			s := startServer(t, node, src, entry)
			if c, err := net.DialTimeout("tcp", "127.0.0.1:4999", time.Second); err == nil {
				c.Close()
				t.Errorf("something listens on the project's server.port 4999: the admin's PORT must win")
			}
			got := runWorkflow(t, s, "textStats", map[string]any{"text": "hello mastra admin"})
			if got["summary"] != "3 words, 18 characters" {
				t.Errorf("workflow result = %v", got)
			}
			s.stop(t)
			if out := s.output(); !strings.Contains(out, "FIXTURE-LOGGER info fixture summarize step") {
				t.Errorf("the project's own logger did not get the step's line; server output:\n%s", out)
			}
			tel := runnertest.ReadTelemetry(t, obsDir)
			run := workflowRun(t, tel)
			var found bool
			for _, l := range tel.Logs {
				if l.Message == "fixture summarize step" {
					found = true
					if step := run.Step("summarize"); step == nil || l.TraceID != run.Run.TraceID || l.SpanID != step.SpanID {
						t.Errorf("step log: trace %q span %q; want the trace and span of the summarize step:\n%s", l.TraceID, l.SpanID, tel)
					}
					if l.Level != observability.LevelInfo || string(l.Data) != `{"words":3}` {
						t.Errorf("step log: level %q data %s", l.Level, l.Data)
					}
				}
			}
			if !found {
				t.Errorf("no log line for the summarize step:\n%s", tel)
			}
		})
	}

	if b, _ := os.ReadFile(cachedLock); string(b) != string(before) {
		t.Errorf("the cached (hard-linked) node_modules/.package-lock.json was changed by the build")
	}
	if fi1, err1 := os.Stat(copyLock); err1 == nil {
		if fi2, err2 := os.Stat(cachedLock); err2 == nil && os.SameFile(fi1, fi2) {
			t.Errorf("the copy's .package-lock.json is still a hard link to the cache")
		}
	}
}

// linkedCacheFile returns the file of the test's dependency cache that
// path is a hard link to.
func linkedCacheFile(t *testing.T, path string) string {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	rel, _ := filepath.Rel(filepath.Dir(filepath.Dir(path)), path) // node_modules/...
	entries, _ := filepath.Glob(filepath.Join(cacheDir(t), "bundler-test", "*", rel))
	for _, e := range entries {
		if efi, err := os.Stat(e); err == nil && os.SameFile(efi, fi) {
			return e
		}
	}
	t.Fatalf("%s is not linked to the test's dependency cache", path)
	return ""
}

// TestRealV0 builds the Mastra 0.24 fixture (no logger, server or
// observability config) on Node 20 and checks its spans and logs.
func TestRealV0(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a real Mastra project (minutes); the test script runs it")
	}
	node := systemNode(t, 20)
	buildDir := t.TempDir()
	src := prepareFixture(t, "v0", node, buildDir)
	var log buildLog
	began := time.Now()
	entry, err := bundler.Build(context.Background(), buildOpts(src, buildDir, node, bundler.Faithful, log.fn))
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, &log)
	}
	t.Logf("faithful build: %s\n%s", time.Since(began).Round(time.Millisecond), log.notes())
	s := startServer(t, node, src, entry)
	got := runWorkflow(t, s, "textStats", map[string]any{"text": "hello mastra admin"})
	if got["summary"] != "3 words, 18 characters" {
		t.Errorf("workflow result = %v", got)
	}
	s.stop(t)
	tel := runnertest.ReadTelemetry(t, buildDir)
	workflowRun(t, tel)
	var found bool
	for _, l := range tel.Logs {
		if l.Message == "fixture summarize step" && l.Level == observability.LevelWarn {
			found = true
		}
	}
	if !found {
		t.Errorf("no log line for the summarize step:\n%s", tel)
	}
	if out := s.output(); !strings.Contains(out, "fixture summarize step") {
		t.Errorf("Mastra's default logger no longer prints; server output:\n%s", out)
	}
}

// workflowRun finds the one textStats run (two steps) in tel and checks
// that its records carry the build's ids.
func workflowRun(t *testing.T, tel runnertest.Telemetry) runnertest.TracedRun {
	t.Helper()
	runs := tel.WorkflowRuns()
	if len(runs) != 1 {
		t.Fatalf("%d workflow runs recorded, want 1:\n%s", len(runs), tel)
	}
	runnertest.CheckWorkflowRun(t, tel, runs[0], 2, runnertest.IDs{Project: ids.project, Deployment: ids.deployment, Build: ids.build})
	return runs[0]
}

// TestRealUnsupportedVersion: a project declaring @mastra/core 0.1.0 is
// refused before anything is written.
func TestRealUnsupportedVersion(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "package.json"), []byte(`{"dependencies":{"@mastra/core":"0.1.0"}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	node := systemNodeAny(t)
	_, err := bundler.Build(context.Background(), buildOpts(dir, dir, node, bundler.Faithful, nil))
	uv, ok := errorsAs[*bundler.UnsupportedVersionError](err)
	if !ok || !errors.Is(err, admin.ErrNotSupported) {
		t.Fatalf("Build = %v; want an *UnsupportedVersionError wrapping admin.ErrNotSupported", err)
	}
	if uv.Version.String() != "0.1.0" || !strings.Contains(err.Error(), ">=1.20.0") || !strings.Contains(err.Error(), ">=0.18.0") {
		t.Errorf("error %q should name the version and the supported ranges", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("Build wrote into the project: %v", entries)
	}
}

// systemNodeAny returns the node on PATH, whatever its version.
func systemNodeAny(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	return p
}
