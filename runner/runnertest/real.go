package runnertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// RealProject is a real Mastra project for RunReal: built with the real
// package manager and mastra CLI, then served and called over HTTP.
type RealProject struct {
	// Dir is the project (package.json at its root). It is copied, without
	// node_modules and .mastra, into a build directory first.
	Dir string
	// CacheDir is the runner's cache directory; "" means its default, so
	// that reruns reuse provisioned Node, the npm cache and installed
	// dependencies.
	CacheDir string
	// Workflow is the key of a workflow to run (POST
	// /api/workflows/{Workflow}/start-async).
	Workflow string
	// Input is the workflow's inputData.
	Input any
	// Want is the workflow's expected result, compared as JSON.
	Want any
}

// RealResult is what RunReal measured.
type RealResult struct {
	Build time.Duration // Build, install included
	Start time.Duration // Start until healthy
	Log   []admin.LogLine
	// Dir is the build directory (BuildSpec.Dir), kept until the test
	// ends: an instrumented server wrote its telemetry under
	// Dir/observability (ReadTelemetry).
	Dir string
	// IDs are the ids of the project, deployment and build RunReal made
	// for the build, new for each call.
	IDs IDs
}

// RunReal builds p with a runner from h, starts the server, checks
// GET /health and the workflow's result, and stops it. It fails t on any
// mismatch. A real build takes minutes on a cold machine (Node provisioning,
// npm install, mastra build); keep it to one test.
func RunReal(t *testing.T, h Harness, p RealProject) RealResult {
	t.Helper()
	build := t.TempDir()
	src := filepath.Join(build, "src")
	if err := copyProject(p.Dir, src); err != nil {
		t.Fatalf("copy %s: %v", p.Dir, err)
	}
	min, max := portBlock(t, 5)
	cfg := Config{CacheDir: p.CacheDir, Host: "127.0.0.1", PortMin: min, PortMax: max,
		HealthTimeout: 2 * time.Minute, StopGrace: 10 * time.Second}
	r := h.NewRunner(t, cfg)
	defer r.Close()
	ctx := context.Background()
	now := time.Now()
	p1 := &admin.Project{ID: admin.NewID("prj", now), Slug: "real"}
	d := &admin.Deployment{ID: admin.NewID("dep", now), ProjectID: p1.ID, Type: admin.DeploymentProduction, Slug: "production"}
	b := &admin.Build{ID: admin.NewID("bld", now), DeploymentID: d.ID}
	res := RealResult{Dir: build, IDs: IDs{p1.ID, d.ID, b.ID}}

	var log logRecorder
	began := time.Now()
	a, err := r.Build(ctx, admin.BuildSpec{Build: b, Project: p1, Deployment: d, Dir: build, SourceDir: src}, log.fn)
	res.Build = time.Since(began)
	res.Log = log.all()
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, &log)
	}
	// A runner that reuses an earlier build's output may skip installing
	// and building, but says so in a build line.
	if log.find("build", "", "") < 0 {
		t.Errorf("want build lines in the log:\n%s", &log)
	}

	began = time.Now()
	srv, err := r.Start(ctx, admin.StartSpec{Build: b, Deployment: d, Artifact: *a}, log.fn)
	res.Start = time.Since(began)
	res.Log = log.all()
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, &log)
	}
	stopped := false
	defer func() {
		if !stopped {
			_ = r.Stop(ctx, srv)
		}
	}()
	if hs, err := r.Health(ctx, srv); err != nil || hs != admin.HealthHealthy {
		t.Errorf("Health = %q, %v; want healthy", hs, err)
	}

	var workflows map[string]json.RawMessage
	if err := call(ctx, "GET", srv, "/api/workflows", &workflows); err != nil {
		t.Fatal(err)
	}
	if _, ok := workflows[p.Workflow]; !ok {
		t.Fatalf("GET /api/workflows has no %q: %s", p.Workflow, keys(workflows))
	}
	run, err := RunWorkflow(ctx, ServerURL(srv), "", p.Workflow, p.Input)
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != "success" || !jsonEqual(run.Result, p.Want) {
		t.Errorf("workflow %s: status %q, result %s; want success, %v", p.Workflow, run.Status, run.Result, mustJSON(p.Want))
	}

	if err := r.Stop(ctx, srv); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	stopped = true
	if hs, _ := r.Health(ctx, srv); hs != admin.HealthUnhealthy {
		t.Errorf("Health after Stop = %q; want unhealthy", hs)
	}
	if h.Processes && processAlive(srv.PID) {
		t.Errorf("server pid %d alive after Stop", srv.PID)
	}
	return res
}

// copyProject copies a project tree, leaving out installed dependencies
// and build output.
func copyProject(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(from, path)
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".mastra") {
			return filepath.SkipDir
		}
		target := filepath.Join(to, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, b, 0o644)
		}
		return nil
	})
}

func jsonEqual(got json.RawMessage, want any) bool {
	var g, w any
	if json.Unmarshal(got, &g) != nil || json.Unmarshal(mustJSON(want), &w) != nil {
		return false
	}
	return reflect.DeepEqual(g, w)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		return []byte(fmt.Sprintf("%q", err))
	}
	return b
}

func keys(m map[string]json.RawMessage) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}
