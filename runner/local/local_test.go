//go:build linux

package local_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/bundler"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

func harness() runnertest.Harness {
	return runnertest.Harness{
		Processes: true,
		NewRunner: func(t *testing.T, cfg runnertest.Config) admin.Runner {
			return newRunner(t, cfg, nil)
		},
	}
}

// newRunner makes a runner from a suite Config, with more options set by
// edit.
func newRunner(t *testing.T, cfg runnertest.Config, edit func(*local.Options)) *local.Runner {
	t.Helper()
	o := &local.Options{
		BuildMode: local.BuildPlain, CacheDir: cfg.CacheDir, Host: cfg.Host, PortMin: cfg.PortMin, PortMax: cfg.PortMax,
		HealthTimeout: cfg.HealthTimeout, StopGrace: cfg.StopGrace,
	}
	if edit != nil {
		edit(o)
	}
	r, err := local.New(o)
	if err != nil {
		t.Fatalf("local.New: %v", err)
	}
	return r
}

func TestConformance(t *testing.T) {
	runnertest.Run(t, harness())
}

// fakeBuild writes the fake project into a fresh build directory and
// builds it.
func fakeBuild(t *testing.T, r *local.Runner, env map[string]string) (*admin.Artifact, *logLines, error) {
	t.Helper()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := runnertest.WriteFakeProject(src); err != nil {
		t.Fatal(err)
	}
	var log logLines
	a, err := r.Build(context.Background(), admin.BuildSpec{Dir: dir, SourceDir: src, Env: env}, log.add)
	return a, &log, err
}

// logLines records a LogFunc's lines.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) add(phase, stream, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, "["+phase+"] "+stream+": "+text)
}

func (l *logLines) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func TestDependencyCacheReusesInstalls(t *testing.T) {
	cache := t.TempDir()
	noOutputs := func(o *local.Options) { o.OutputCacheSize = -1 } // else the second build skips the install
	r := newRunner(t, runnertest.Config{CacheDir: cache}, noOutputs)
	defer r.Close()

	_, first, err := fakeBuild(t, r, nil)
	if err != nil {
		t.Fatalf("first build: %v\n%s", err, first)
	}
	if !first.has("$ ") || !first.has(" ci ") || !first.has("saved node_modules to the dependency cache") {
		t.Errorf("first build did not run npm ci and save the tree:\n%s", first)
	}
	a, second, err := fakeBuild(t, r, nil)
	if err != nil {
		t.Fatalf("second build: %v\n%s", err, second)
	}
	if !second.has("restored node_modules from the dependency cache") || second.has(" ci ") {
		t.Errorf("second build did not restore the tree instead of running npm ci:\n%s", second)
	}
	// The restored tree shares its files with the cache (hard links).
	entries, _ := filepath.Glob(filepath.Join(cache, "deps", "*", "node_modules", "mastra", "cli.js"))
	if len(entries) != 1 {
		t.Fatalf("cache entries: %v, want one", entries)
	}
	cached, _ := os.Stat(entries[0])
	restored, err := os.Stat(filepath.Join(a.Dir, "node_modules", "mastra", "cli.js"))
	if err != nil || !os.SameFile(cached, restored) {
		t.Errorf("restored cli.js is not a hard link of the cached one: %v", err)
	}

	// With the cache off, every build installs.
	off := newRunner(t, runnertest.Config{CacheDir: cache}, func(o *local.Options) { noOutputs(o); o.DepsCacheSize = -1 })
	defer off.Close()
	_, third, err := fakeBuild(t, off, nil)
	if err != nil {
		t.Fatalf("build with the cache off: %v\n%s", err, third)
	}
	if third.has("restored node_modules") || !third.has(" ci ") {
		t.Errorf("build with DepsCacheSize -1 used the cache:\n%s", third)
	}
}

// TestOutputCache builds the fake project again in a fresh copy: the
// output of the first build is reused (install and build skipped) and
// serves; a changed source file or build environment builds anew.
func TestOutputCache(t *testing.T) {
	cfg := testConfig(t)
	cache := cfg.CacheDir
	r := newRunner(t, cfg, nil)
	defer r.Close()
	_, first, err := fakeBuild(t, r, nil)
	if err != nil || !first.has("saved the build output to the build output cache") {
		t.Fatalf("first build: %v\n%s", err, first)
	}
	a, second, err := fakeBuild(t, r, nil)
	if err != nil {
		t.Fatalf("second build: %v\n%s", err, second)
	}
	if !second.has("reusing the build output of an identical earlier build") || second.has("$ ") {
		t.Errorf("second build ran commands instead of reusing the output:\n%s", second)
	}
	// The bundle is a private copy; the output's node_modules is shared.
	entry, _ := os.Stat(filepath.Join(a.Dir, local.Entry))
	runtime, _ := os.Stat(filepath.Join(a.Dir, ".mastra", "output", "node_modules", "fake-runtime", "index.mjs"))
	cachedEntry, _ := filepath.Glob(filepath.Join(cache, "outputs", "*", "output", "index.mjs"))
	cachedRuntime, _ := filepath.Glob(filepath.Join(cache, "outputs", "*", "output", "node_modules", "fake-runtime", "index.mjs"))
	if len(cachedEntry) != 1 || len(cachedRuntime) != 1 {
		t.Fatalf("cache entries: %v %v", cachedEntry, cachedRuntime)
	}
	ce, _ := os.Stat(cachedEntry[0])
	cr, _ := os.Stat(cachedRuntime[0])
	if entry == nil || runtime == nil || os.SameFile(entry, ce) || !os.SameFile(runtime, cr) {
		t.Errorf("want the entry copied and the output's node_modules hard-linked")
	}
	srv, err := r.Start(context.Background(), admin.StartSpec{Artifact: *a}, nil)
	if err != nil {
		t.Fatalf("start the reused output: %v", err)
	}
	defer r.Stop(context.Background(), srv)
	if echo, err := runnertest.GetEcho(context.Background(), srv); err != nil || echo.Runtime != "fake-runtime" {
		t.Errorf("the reused output's server: %+v, %v", echo, err)
	}

	_, third, err := fakeBuild(t, r, map[string]string{"FAKE_BUILD_FLAVOR": "other"})
	if err != nil || third.has("reusing the build output") || !third.has("saved the build output") {
		t.Errorf("a build with another environment reused an output: %v\n%s", err, third)
	}
}

func TestProjectsWithInstallScriptsAreNotCached(t *testing.T) {
	r := newRunner(t, runnertest.Config{CacheDir: t.TempDir()}, nil)
	defer r.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := runnertest.WriteFakeProject(src); err != nil {
		t.Fatal(err)
	}
	editPackageJSON(t, src, func(m map[string]any) {
		m["scripts"] = map[string]any{"postinstall": "node -e \"require('fs').writeFileSync('generated.txt', 'x')\""}
	})
	for i := range 2 {
		var log logLines
		if _, err := r.Build(context.Background(), admin.BuildSpec{Dir: dir, SourceDir: src}, log.add); err != nil {
			t.Fatalf("build %d: %v\n%s", i, err, &log)
		}
		if !log.has(`dependency cache not used: package.json has a "postinstall" script`) || log.has("restored node_modules") {
			t.Errorf("build %d: want the cache skipped because of the postinstall script:\n%s", i, &log)
		}
		if err := os.Remove(filepath.Join(src, "generated.txt")); err != nil {
			t.Errorf("build %d: the postinstall script did not run: %v", i, err)
		}
	}
}

func editPackageJSON(t *testing.T, dir string, edit func(map[string]any)) {
	t.Helper()
	path := filepath.Join(dir, "package.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestNodeSelection(t *testing.T) {
	cache := t.TempDir()
	t.Run("engines nothing satisfies", func(t *testing.T) {
		r := newRunner(t, runnertest.Config{CacheDir: cache}, nil)
		defer r.Close()
		dir := t.TempDir()
		if err := runnertest.WriteFakeProject(dir); err != nil {
			t.Fatal(err)
		}
		editPackageJSON(t, dir, func(m map[string]any) { m["engines"] = map[string]any{"node": ">=99"} })
		var log logLines
		_, err := r.Build(context.Background(), admin.BuildSpec{SourceDir: dir}, log.add)
		if err == nil || !strings.Contains(err.Error(), `engines.node ">=99"`) || !strings.Contains(err.Error(), "NodePath") {
			t.Errorf("got %v; want an error naming engines.node and NodePath", err)
		}
		if log.has("provisioning") {
			t.Errorf("provisioned a Node that cannot satisfy the project:\n%s", &log)
		}
	})
	t.Run("engines not a range", func(t *testing.T) {
		r := newRunner(t, runnertest.Config{CacheDir: cache}, nil)
		defer r.Close()
		dir := t.TempDir()
		if err := runnertest.WriteFakeProject(dir); err != nil {
			t.Fatal(err)
		}
		editPackageJSON(t, dir, func(m map[string]any) { m["engines"] = map[string]any{"node": "lts/iron"} })
		_, err := r.Build(context.Background(), admin.BuildSpec{SourceDir: dir}, nil)
		if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "lts/iron") {
			t.Errorf("got %v; want ErrInvalidArgument naming the range", err)
		}
	})
	t.Run("explicit NodePath", func(t *testing.T) {
		node, err := exec.LookPath("node")
		if err != nil {
			t.Fatal(err)
		}
		// A symlink stands for an operator's own Node installation.
		link := filepath.Join(t.TempDir(), "node")
		if err := os.Symlink(node, link); err != nil {
			t.Fatal(err)
		}
		r := newRunner(t, runnertest.Config{CacheDir: cache}, func(o *local.Options) { o.NodePath = link })
		defer r.Close()
		a, log, err := fakeBuild(t, r, nil)
		if err != nil {
			t.Fatalf("%v\n%s", err, log)
		}
		if !log.has("(" + link + ")") {
			t.Errorf("build did not use NodePath %s:\n%s", link, log)
		}
		cfg := runnertest.Config{CacheDir: cache, Host: "127.0.0.1", PortMin: 4100, PortMax: 4199}
		r2 := newRunner(t, cfg, func(o *local.Options) { o.NodePath = link })
		defer r2.Close()
		srv, err := r2.Start(context.Background(), admin.StartSpec{Artifact: *a}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r2.Stop(context.Background(), srv)
		exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", srv.PID))
		if want, _ := filepath.EvalSymlinks(node); err != nil || exe != want {
			t.Errorf("server runs %q (%v), want %s", exe, err, want)
		}
	})
}

func TestMissingPackageManager(t *testing.T) {
	// A PATH with node and npm only.
	bin := t.TempDir()
	for _, name := range []string{"node", "npm"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(bin, name)); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PATH", bin)
	r := newRunner(t, runnertest.Config{CacheDir: t.TempDir()}, nil)
	defer r.Close()
	for _, tc := range []struct{ name, lockfile, pm string }{
		{"pnpm lockfile", "pnpm-lock.yaml", "pnpm"},
		{"yarn lockfile", "yarn.lock", "yarn"},
		{"packageManager field", "", "bun"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := runnertest.WriteFakeProject(dir); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, "package-lock.json")); err != nil {
				t.Fatal(err)
			}
			if tc.lockfile != "" {
				if err := os.WriteFile(filepath.Join(dir, tc.lockfile), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			} else {
				editPackageJSON(t, dir, func(m map[string]any) { m["packageManager"] = tc.pm + "@1.0.0" })
			}
			_, err := r.Build(context.Background(), admin.BuildSpec{SourceDir: dir}, nil)
			if !errors.Is(err, admin.ErrNotSupported) || !strings.Contains(err.Error(), tc.pm) {
				t.Errorf("got %v; want ErrNotSupported naming %s", err, tc.pm)
			}
			if _, err := os.Stat(filepath.Join(dir, "node_modules")); !os.IsNotExist(err) {
				t.Errorf("a refused build installed something: %v", err)
			}
		})
	}
}

func TestOptionsValidation(t *testing.T) {
	notExec := filepath.Join(t.TempDir(), "node")
	if err := os.WriteFile(notExec, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		opts  local.Options
		field string
	}{
		{"PortMin above PortMax", local.Options{PortMin: 5000, PortMax: 4000}, "PortMin"},
		{"port out of range", local.Options{PortMin: 1, PortMax: 70000}, "PortMin"},
		{"negative port", local.Options{PortMin: -1, PortMax: 10}, "PortMin"},
		{"Host not an address", local.Options{Host: "example.com"}, "Host"},
		{"NodePath not executable", local.Options{NodePath: notExec}, "NodePath"},
		{"NodePath missing", local.Options{NodePath: "/nonexistent/node"}, "NodePath"},
		{"NodeVersion not a version", local.Options{NodeVersion: "lts"}, "NodeVersion"},
		{"negative HealthTimeout", local.Options{HealthTimeout: -time.Second}, "HealthTimeout"},
		{"Env name", local.Options{Env: map[string]string{"BAD-NAME": "x"}}, "Env"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.CacheDir = t.TempDir()
			_, err := local.New(&tc.opts)
			var ve *admin.ValidationError
			if !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("got %v; want a ValidationError for %s", err, tc.field)
			}
		})
	}
	t.Run("defaults", func(t *testing.T) {
		t.Setenv("XDG_CACHE_HOME", t.TempDir())
		r, err := local.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if want := filepath.Join(os.Getenv("XDG_CACHE_HOME"), "mastra-admin"); r.CacheDir() != want {
			t.Errorf("CacheDir = %s, want %s", r.CacheDir(), want)
		}
	})
}

// TestUnsupportedMastraFailsFirst: an instrumenting build of a project
// whose @mastra/core no bundler generation covers (the fake project's
// 1.0.0-fake) fails with the bundler's clear error before anything is
// installed; so does one that lacks the ids the records need.
func TestUnsupportedMastraFailsFirst(t *testing.T) {
	r := newRunner(t, runnertest.Config{CacheDir: t.TempDir()}, func(o *local.Options) { o.BuildMode = local.BuildFaithful })
	defer r.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := runnertest.WriteFakeProject(src); err != nil {
		t.Fatal(err)
	}
	spec := admin.BuildSpec{Dir: dir, SourceDir: src, Project: &admin.Project{ID: "prj_1"},
		Deployment: &admin.Deployment{ID: "dep_1", ProjectID: "prj_1"}, Build: &admin.Build{ID: "bld_1"}}
	var log logLines
	_, err := r.Build(context.Background(), spec, log.add)
	var uv *bundler.UnsupportedVersionError
	if !errors.As(err, &uv) || !errors.Is(err, admin.ErrNotSupported) || !strings.Contains(err.Error(), ">=1.20.0") {
		t.Fatalf("Build = %v; want an *UnsupportedVersionError naming the supported ranges", err)
	}
	if log.has("$ ") || !log.has("is not supported") {
		t.Errorf("want the error in the log and no command run:\n%s", &log)
	}
	if _, err := os.Stat(filepath.Join(src, "node_modules")); !os.IsNotExist(err) {
		t.Errorf("dependencies were installed: %v", err)
	}

	spec.Build = nil
	if _, err := r.Build(context.Background(), spec, nil); !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "Build") {
		t.Errorf("Build without a Build = %v; want ErrInvalidArgument naming Build", err)
	}
}
