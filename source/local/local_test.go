package local_test

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source/local"
	"github.com/mastra-admin/mastra-admin-go/source/sourcetest"
)

func TestConformance(t *testing.T) {
	sourcetest.Run(t, sourcetest.Harness{
		New: func(t *testing.T) (admin.Source, sourcetest.AddFunc) {
			src, add := newSource(t, nil)
			return src, add
		},
		InvalidConfigs: func(valid map[string]string) []map[string]string {
			return []map[string]string{
				{"path": valid["path"], "branch": "main"},
				{"Path": valid["path"]},
				{"path": `app\..\..`},
				{"path": "does-not-exist"},
				{"path": "app/package.json"},
				{"path": strings.Repeat("a/", admin.MaxSourceConfigValue)},
			}
		},
	})
}

// newSource returns a Source over a fresh projects directory and the
// function that adds projects to it.
func newSource(t *testing.T, opts *local.Options) (*local.Source, sourcetest.AddFunc) {
	t.Helper()
	root := t.TempDir()
	src, err := local.New(root, opts)
	if err != nil {
		t.Fatal(err)
	}
	return src, func(t *testing.T, dir string, files sourcetest.Files) map[string]string {
		t.Helper()
		sourcetest.WriteFiles(t, filepath.Join(root, filepath.FromSlash(dir)), files)
		return map[string]string{"path": dir}
	}
}

func mastra(name string) sourcetest.Files { return sourcetest.MastraProject(name, "^1.71.0") }

// wantValidation fails t unless err is an *admin.ValidationError for field
// whose message contains all of parts.
func wantValidation(t *testing.T, err error, field string, parts ...string) {
	t.Helper()
	ve, ok := errors.AsType[*admin.ValidationError](err)
	if !ok || !errors.Is(err, admin.ErrInvalidArgument) {
		t.Fatalf("error = %v, want an *admin.ValidationError wrapping admin.ErrInvalidArgument", err)
	}
	if ve.Field != field {
		t.Errorf("error %q names field %q, want %q", err, ve.Field, field)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not say %q", err, p)
		}
	}
}

func TestValidatePaths(t *testing.T) {
	src, add := newSource(t, nil)
	root := src.Root()
	add(t, "app", mastra("app"))
	add(t, "team/nested", mastra("nested"))
	outside := t.TempDir()
	sourcetest.WriteFiles(t, outside, mastra("secret"))
	for link, target := range map[string]string{
		"escape":      outside,                        // absolute, outside
		"escape-rel":  "../" + filepath.Base(outside), // relative, outside (sibling temp dir)
		"inside-abs":  filepath.Join(root, "app"),     // absolute, inside
		"inside-rel":  "team/nested",                  // relative, inside
		"team/up-one": "../app",                       // relative, inside
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Join(outside, ".."), filepath.Join(root, "escape-parent")); err != nil {
		t.Fatal(err)
	}

	for _, ok := range []string{"app", "team/nested", "./app", "team/../app", "inside-abs", "inside-rel", "team/up-one"} {
		if err := src.Validate(t.Context(), map[string]string{"path": ok}); err != nil {
			t.Errorf("Validate(%q): %v", ok, err)
		}
	}
	for _, c := range []struct {
		path, field string
		says        []string
	}{
		{"../../etc", "path", []string{"must stay inside the projects directory"}},
		{"..", "path", []string{"must stay inside"}},
		{"app/../../etc", "path", []string{"must stay inside"}},
		{"/etc", "path", []string{"must be relative", "not absolute"}},
		{filepath.Join(root, "app"), "path", []string{"not absolute"}},
		{"escape", "path", []string{"resolves outside the projects directory"}},
		{"escape-rel", "path", []string{"resolves outside"}},
		{"escape-parent/" + filepath.Base(outside), "path", []string{"resolves outside"}},
		{"", "path", []string{"is required"}},
		{"app\x00", "path", []string{"NUL"}},
		{`app\x`, "path", []string{"separator"}},
		{"nope", "path", []string{`"nope" does not exist`}},
		{"team", "path", []string{`"team" is not a Mastra project: no package.json`}},
		{"app/package.json", "path", []string{"cannot be opened as a directory"}},
	} {
		err := src.Validate(t.Context(), map[string]string{"path": c.path})
		t.Run(c.path, func(t *testing.T) { wantValidation(t, err, c.field, c.says...) })
	}
	err := src.Validate(t.Context(), map[string]string{"path": "app", "repo": "x"})
	wantValidation(t, err, "config", `unknown key "repo"`)
	wantValidation(t, src.Validate(t.Context(), nil), "path", "is required")
}

func TestValidateReasons(t *testing.T) {
	src, add := newSource(t, nil)
	index := sourcetest.File{Data: "export const mastra = 1;\n"}
	for _, c := range []struct {
		files sourcetest.Files
		want  string
	}{
		{sourcetest.Files{"src/mastra/index.ts": index}, "no package.json"},
		{sourcetest.Files{"package.json": {Data: `{"dependencies": {"mastra": "1.31.0"}}`}, "src/mastra/index.ts": index},
			"package.json does not depend on @mastra/core"},
		{sourcetest.Files{"package.json": {Data: `{"dependencies": {"@mastra/core": "1.0.0"}}`}, "src/index.ts": index},
			"no src/mastra/index.ts|js|mjs"},
		{sourcetest.Files{"package.json": {Data: `{"dependencies": {"@mastra/core": "1.0.0"}}`}, "src/mastra/index.ts/x": index},
			"no src/mastra/index.ts|js|mjs"}, // a directory named index.ts
		{sourcetest.Files{"package.json": {Data: `{"dependencies": ["@mastra/core"]}`}, "src/mastra/index.ts": index},
			"package.json is not valid"},
		{sourcetest.Files{"package.json": {Data: `{"name": "x"`}, "src/mastra/index.ts": index}, "package.json is not valid"},
		{sourcetest.Files{"package.json": {Data: `{"name":"` + strings.Repeat("x", 1<<20) + `"}`}, "src/mastra/index.ts": index},
			"package.json is larger than"},
	} {
		t.Run(c.want, func(t *testing.T) {
			dir := strings.NewReplacer(" ", "-", "|", "-", "/", "-").Replace(t.Name())
			cfg := add(t, dir, c.files)
			wantValidation(t, src.Validate(t.Context(), cfg), "path", "is not a Mastra project: "+c.want)
		})
	}
	for _, entry := range []string{"index.ts", "index.js", "index.mjs"} {
		cfg := add(t, "entry-"+entry, sourcetest.Files{
			"package.json":            {Data: `{"devDependencies": {"@mastra/core": "0.24.9"}}`},
			"src/mastra/" + entry:     index,
			"src/mastra/other/idx.ts": index,
		})
		if err := src.Validate(t.Context(), cfg); err != nil {
			t.Errorf("Validate with src/mastra/%s: %v", entry, err)
		}
	}
}

func TestGetProjectPathRefNotSupported(t *testing.T) {
	src, add := newSource(t, nil)
	cfg := add(t, "app", mastra("app"))
	target := filepath.Join(t.TempDir(), "copy")
	_, err := src.GetProjectPath(t.Context(), cfg, "main", target)
	if !errors.Is(err, admin.ErrNotSupported) || !strings.Contains(err.Error(), `ref "main"`) {
		t.Errorf("GetProjectPath with ref main = %v, want admin.ErrNotSupported naming the ref", err)
	}
	if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("target exists after a refused copy (%v)", err)
	}
}

func TestCopyLinks(t *testing.T) {
	src, add := newSource(t, nil)
	root := src.Root()
	files := mastra("links")
	files["lib/util.ts"] = sourcetest.File{Data: "export const u = 1;\n"}
	files["lib/sibling.ts"] = sourcetest.File{Link: "util.ts"}
	files["lib/dir-link"] = sourcetest.File{Link: "../src"}
	files["lib/dangling.ts"] = sourcetest.File{Link: "missing.ts"}
	files["lib/abs.ts"] = sourcetest.File{Link: filepath.Join(root, "links", "lib", "util.ts")}
	files["lib/via-root.ts"] = sourcetest.File{Link: "../../links/lib/util.ts"} // leaves and re-enters the project
	files["lib/loop-a"] = sourcetest.File{Link: "loop-b"}
	files["lib/loop-b"] = sourcetest.File{Link: "loop-a"}
	cfg := add(t, "links", files)
	dir := filepath.Join(t.TempDir(), "copy")
	if _, err := src.GetProjectPath(t.Context(), cfg, "", dir); err != nil {
		t.Fatal(err)
	}
	got := sourcetest.ReadTree(t, dir)
	for name, want := range map[string]string{
		"lib/sibling.ts":  "util.ts",
		"lib/dir-link":    "../src",
		"lib/dangling.ts": "missing.ts",
		"lib/abs.ts":      "util.ts", // absolute made relative
		"lib/via-root.ts": "util.ts",
		"lib/loop-a":      "loop-b",
	} {
		if got[name].Link != want {
			t.Errorf("copy of link %s = %+v, want a link to %q", name, got[name], want)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "lib", "abs.ts"))
	if err != nil || string(data) != "export const u = 1;\n" {
		t.Errorf("reading through the copied link: %q, %v", data, err)
	}
	// The copy's links lead into the copy, not back to the project.
	if err := os.WriteFile(filepath.Join(dir, "lib", "abs.ts"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(filepath.Join(root, "links", "lib", "util.ts")); string(data) != "export const u = 1;\n" {
		t.Errorf("writing through a copied link changed the project: %q", data)
	}
}

func TestCopyRefusesLinksOutside(t *testing.T) {
	for name, link := range map[string]string{
		"etc-passwd":      "/etc/passwd",
		"relative-escape": "../../../../../../../../../etc/passwd",
		"sibling-project": "../../other/package.json",
		// "loop" points at the project root, so loop/.. is the projects
		// directory: the text looks inside, the system resolves outside.
		"through-link": "loop/../other/package.json",
	} {
		t.Run(name, func(t *testing.T) {
			src, add := newSource(t, nil)
			add(t, "other", mastra("other"))
			files := mastra("app")
			files["src/loop"] = sourcetest.File{Link: ".."}
			files["src/a-first.ts"] = sourcetest.File{Data: "copied before the link\n"}
			files["src/z-link"] = sourcetest.File{Link: link}
			if name == "through-link" {
				files["loop"] = sourcetest.File{Link: "."}
				delete(files, "src/z-link")
				files["z-link"] = sourcetest.File{Link: link}
			}
			cfg := add(t, "app", files)
			target := t.TempDir() // exists: it must be left empty, not removed
			_, err := src.GetProjectPath(t.Context(), cfg, "", target)
			if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "z-link points outside the project") {
				t.Fatalf("copy with a link to %s = %v, want admin.ErrInvalidArgument naming the link", link, err)
			}
			entries, err := os.ReadDir(target)
			if err != nil || len(entries) != 0 {
				t.Errorf("after a refused copy the existing target holds %v (%v), want it empty", entries, err)
			}
		})
	}
}

func TestCopyLimits(t *testing.T) {
	files := mastra("big")
	for _, n := range []string{"a", "b", "c", "d", "e", "f"} {
		files["src/"+n+".ts"] = sourcetest.File{Data: strings.Repeat(n, 100)}
	}
	// Entries: package.json, src, src/mastra, src/mastra/index.ts and six
	// files: 10; file bytes: 600 + the two MastraProject files.
	for _, c := range []struct {
		name string
		opts local.Options
		want string
	}{
		{"MaxFiles", local.Options{MaxFiles: 9}, "more than 9 files, directories and links (the limit, Options.MaxFiles)"},
		{"MaxBytes", local.Options{MaxBytes: 500}, "more than 500 bytes of files (the limit, Options.MaxBytes), reached at src/"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, add := newSource(t, &c.opts)
			cfg := add(t, "big", files)
			target := filepath.Join(t.TempDir(), "copy")
			_, err := src.GetProjectPath(t.Context(), cfg, "", target)
			if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("copy over the limit = %v, want admin.ErrInvalidArgument saying %q", err, c.want)
			}
			if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("partial copy left at %s (%v)", target, err)
			}
		})
	}
	t.Run("AtTheLimits", func(t *testing.T) {
		size := int64(0)
		for _, f := range files {
			size += int64(len(f.Data))
		}
		src, add := newSource(t, &local.Options{MaxFiles: 10, MaxBytes: size})
		cfg := add(t, "big", files)
		if _, err := src.GetProjectPath(t.Context(), cfg, "", filepath.Join(t.TempDir(), "copy")); err != nil {
			t.Errorf("copy exactly at the limits: %v", err)
		}
	})
}

// countdownCtx reports itself cancelled once Err has been asked n times.
type countdownCtx struct {
	context.Context
	left atomic.Int64
}

func (c *countdownCtx) Err() error {
	if c.left.Add(-1) < 0 {
		return context.Canceled
	}
	return nil
}

func TestCopyCancelledMidway(t *testing.T) {
	src, add := newSource(t, nil)
	files := mastra("slow")
	for _, n := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		files["src/"+n+"/file.ts"] = sourcetest.File{Data: n}
	}
	cfg := add(t, "slow", files)
	for _, after := range []int64{3, 8, 15} {
		ctx := &countdownCtx{Context: t.Context()}
		ctx.left.Store(after)
		target := filepath.Join(t.TempDir(), "copy")
		_, err := src.GetProjectPath(ctx, cfg, "", target)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("copy cancelled after %d checks = %v, want context.Canceled", after, err)
		}
		if _, err := os.Lstat(target); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("cancelled after %d checks: partial copy left (%v)", after, err)
		}
	}
}

func TestCopyKeepsModesAndTimes(t *testing.T) {
	src, add := newSource(t, nil)
	files := mastra("modes")
	files["bin/run.sh"] = sourcetest.File{Data: "#!/bin/sh\n", Mode: 0o755}
	files["secret.key"] = sourcetest.File{Data: "k", Mode: 0o600}
	files["readonly.txt"] = sourcetest.File{Data: "r", Mode: 0o444}
	files["group.txt"] = sourcetest.File{Data: "g", Mode: 0o664}
	cfg := add(t, "modes", files)
	proj := filepath.Join(src.Root(), "modes")
	if err := os.Chmod(filepath.Join(proj, "bin"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(proj, "src"), 0o500); err != nil { // read-only directory
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(filepath.Join(proj, "src"), 0o755) })
	stamp := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	for i, name := range []string{"bin/run.sh", "secret.key", "src/mastra/index.ts", "src/mastra", "bin", "src"} {
		ts := stamp.Add(time.Duration(i) * time.Hour)
		if err := os.Chtimes(filepath.Join(proj, name), ts, ts); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "copy")
	if _, err := src.GetProjectPath(t.Context(), cfg, "", dir); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]fs.FileMode{
		"bin/run.sh": 0o755, "secret.key": 0o600, "readonly.txt": 0o444, "group.txt": 0o664,
		"bin": 0o750 | fs.ModeDir, "src": 0o700 | fs.ModeDir, // owner rwx added
	} {
		st, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != want {
			t.Errorf("copy of %s has mode %v, want %v", name, st.Mode(), want)
		}
	}
	for _, name := range []string{"bin/run.sh", "secret.key", "src/mastra/index.ts", "src/mastra", "bin", "src", "readonly.txt"} {
		a, err := os.Lstat(filepath.Join(proj, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.Lstat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !a.ModTime().Equal(b.ModTime()) {
			t.Errorf("copy of %s modified %v, want %v", name, b.ModTime(), a.ModTime())
		}
	}
}

func TestCopySkips(t *testing.T) {
	src, add := newSource(t, &local.Options{Skip: []string{"tmp", "secret.env"}})
	files := mastra("skips")
	keep := sourcetest.Files{}
	for k, v := range files {
		keep[k] = v
	}
	for _, name := range []string{"dist/index.js", ".output/x", ".turbo/log", ".next/x", "coverage/lcov.info",
		".cache/x", "src/dist/x.js", "tmp/scratch", "secret.env", "node_modules", "src/.git"} {
		files[name] = sourcetest.File{Data: "skipped\n"}
	}
	files["distribution/keep.txt"] = sourcetest.File{Data: "kept\n"}
	files["src/env.ts"] = sourcetest.File{Data: "kept\n"}
	keep["distribution/keep.txt"] = files["distribution/keep.txt"]
	keep["src/env.ts"] = files["src/env.ts"]
	cfg := add(t, "skips", files)
	// A socket is left out too.
	ln, err := net.Listen("unix", filepath.Join(src.Root(), "skips", "s.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	dir := filepath.Join(t.TempDir(), "copy")
	if _, err := src.GetProjectPath(t.Context(), cfg, "", dir); err != nil {
		t.Fatal(err)
	}
	got := sourcetest.ReadTree(t, dir)
	if len(got) != len(keep) {
		t.Errorf("copy holds %d entries, want %d: %v", len(got), len(keep), keysOf(got))
	}
	for name, f := range keep {
		if got[name].Data != f.Data {
			t.Errorf("copy of %s = %q, want %q", name, got[name].Data, f.Data)
		}
	}
}

func keysOf(f sourcetest.Files) []string {
	var out []string
	for k := range f {
		out = append(out, k)
	}
	return out
}

func TestTargetDirOverlap(t *testing.T) {
	src, add := newSource(t, nil)
	cfg := add(t, "app", mastra("app"))
	proj := filepath.Join(src.Root(), "app")
	linkIntoProject := filepath.Join(t.TempDir(), "into")
	if err := os.Symlink(proj, linkIntoProject); err != nil {
		t.Fatal(err)
	}
	for name, target := range map[string]string{
		"inside":           filepath.Join(proj, "build"),
		"project itself":   proj,
		"deep inside":      filepath.Join(proj, "src", "mastra", "copy"),
		"contains project": filepath.Dir(proj),
		"through a link":   filepath.Join(linkIntoProject, "copy"),
	} {
		before := sourcetest.ReadTree(t, proj)
		_, err := src.GetProjectPath(t.Context(), cfg, "", target)
		t.Run(name, func(t *testing.T) { wantValidation(t, err, "targetDir", "a copy must go elsewhere") })
		if after := sourcetest.ReadTree(t, proj); len(after) != len(before) {
			t.Errorf("%s: a refused copy changed the project: %v", name, keysOf(after))
		}
	}
	_, err := src.GetProjectPath(t.Context(), cfg, "", "")
	wantValidation(t, err, "targetDir", "is required")
}

func TestRelativeTargetDir(t *testing.T) {
	src, add := newSource(t, nil)
	cfg := add(t, "app", mastra("app"))
	t.Chdir(t.TempDir())
	dir, err := src.GetProjectPath(t.Context(), cfg, "", "build/src")
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(dir) || filepath.Base(dir) != "src" {
		t.Errorf("GetProjectPath returned %q, want the absolute targetDir", dir)
	}
	if _, err := os.Stat(filepath.Join(dir, "package.json")); err != nil {
		t.Error(err)
	}
}

func TestListProjectsDiscovery(t *testing.T) {
	src, add := newSource(t, nil)
	root := src.Root()
	add(t, "one", mastra("one"))
	add(t, "a/two", mastra("two"))
	add(t, "a/b/three", mastra("three"))
	add(t, "a/b/c/four", mastra("four"))          // too deep by default
	add(t, "one/examples/inner", mastra("inner")) // inside a project
	add(t, "x/node_modules/dep", mastra("dep"))   // dependencies
	add(t, ".hidden/five", mastra("five"))        // dot directory
	add(t, "x/dist/built", mastra("built"))       // build output
	add(t, "x/unnamed", sourcetest.Files{         // no name: the directory's
		"package.json":        {Data: `{"dependencies": {"@mastra/core": "^1.0.0"}}`},
		"src/mastra/index.js": {Data: "x"},
	})
	if err := os.Symlink(filepath.Join(root, "a"), filepath.Join(root, "linked")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "stray-file"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	check := func(src *local.Source, want ...string) {
		t.Helper()
		got, err := src.ListProjects(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var paths []string
		for _, p := range got {
			paths = append(paths, p.Config["path"]+"="+p.Name)
		}
		if strings.Join(paths, " ") != strings.Join(want, " ") {
			t.Errorf("ListProjects = %v, want %v", paths, want)
		}
	}
	check(src, "a/b/three=three", "a/two=two", "one=one", "x/unnamed=unnamed")
	deep, err := local.New(root, &local.Options{MaxDepth: 4, Skip: []string{"x"}})
	if err != nil {
		t.Fatal(err)
	}
	check(deep, "a/b/c/four=four", "a/b/three=three", "a/two=two", "one=one")
	shallow, err := local.New(root, &local.Options{MaxDepth: 1})
	if err != nil {
		t.Fatal(err)
	}
	check(shallow, "one=one")
	self, err := local.New(filepath.Join(root, "one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	check(self, ".=one")
	if _, err := self.GetProjectPath(t.Context(), map[string]string{"path": "."}, "", filepath.Join(t.TempDir(), "c")); err != nil {
		t.Errorf("copy of the projects directory itself: %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := src.ListProjects(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("ListProjects with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestListProjectsMalformedPackageJSON(t *testing.T) {
	var logs bytes.Buffer
	src, add := newSource(t, &local.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	add(t, "good", mastra("good"))
	add(t, "broken", sourcetest.Files{"package.json": {Data: `{"name": "broken",`}, "src/mastra/index.ts": {Data: "x"}})
	add(t, "plain", sourcetest.Files{"package.json": {Data: `{"name": "plain"}`}})
	got, err := src.ListProjects(t.Context())
	if err != nil {
		t.Fatalf("a malformed package.json must not fail the listing: %v", err)
	}
	if len(got) != 1 || got[0].Config["path"] != "good" {
		t.Errorf("ListProjects = %+v, want only good", got)
	}
	out := logs.String()
	if !strings.Contains(out, "level=WARN") || !strings.Contains(out, "path=broken") || !strings.Contains(out, "package.json is not valid") {
		t.Errorf("no warning naming broken/package.json in the log:\n%s", out)
	}
	if strings.Contains(out, "path=plain") {
		t.Errorf("a valid non-Mastra package.json was warned about:\n%s", out)
	}
}

func TestPackageManagerDetection(t *testing.T) {
	pkg := func(extra string) sourcetest.File {
		return sourcetest.File{Data: `{"name": "p", ` + extra + `"dependencies": {"@mastra/core": "^1.0.0"}}`}
	}
	lock := sourcetest.File{Data: "lock\n"}
	for _, c := range []struct {
		name  string
		files sourcetest.Files
		want  string
	}{
		{"none", sourcetest.Files{}, "npm"},
		{"package-lock", sourcetest.Files{"package-lock.json": lock}, "npm"},
		{"shrinkwrap", sourcetest.Files{"npm-shrinkwrap.json": lock}, "npm"},
		{"pnpm-lock", sourcetest.Files{"pnpm-lock.yaml": lock}, "pnpm"},
		{"yarn-lock", sourcetest.Files{"yarn.lock": lock}, "yarn"},
		{"bun-lockb", sourcetest.Files{"bun.lockb": lock}, "bun"},
		{"bun-lock", sourcetest.Files{"bun.lock": lock}, "bun"},
		{"pnpm-and-npm-locks", sourcetest.Files{"pnpm-lock.yaml": lock, "package-lock.json": lock}, "pnpm"},
		{"field", sourcetest.Files{"package.json": pkg(`"packageManager": "yarn@4.1.0",`)}, "yarn"},
		{"field-beats-lock", sourcetest.Files{"package.json": pkg(`"packageManager": "pnpm@9.12.0+sha512.abc",`), "package-lock.json": lock}, "pnpm"},
		{"unknown-field", sourcetest.Files{"package.json": pkg(`"packageManager": "deno@2.0.0",`), "bun.lock": lock}, "bun"},
		{"lock-dir-ignored", sourcetest.Files{"yarn.lock/x": lock}, "npm"},
	} {
		t.Run(c.name, func(t *testing.T) {
			src, add := newSource(t, nil)
			files := mastra("p")
			for k, v := range c.files {
				files[k] = v
			}
			add(t, "p", files)
			got, err := src.ListProjects(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].PackageManager != c.want {
				t.Errorf("ListProjects = %+v, want one project with package manager %s", got, c.want)
			}
		})
	}
}

func TestNew(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		root string
		opts *local.Options
	}{
		"empty root":      {"", nil},
		"missing root":    {filepath.Join(t.TempDir(), "missing"), nil},
		"root is a file":  {file, nil},
		"negative limit":  {t.TempDir(), &local.Options{MaxFiles: -1}},
		"negative depth":  {t.TempDir(), &local.Options{MaxDepth: -1}},
		"skip with slash": {t.TempDir(), &local.Options{Skip: []string{"a/b"}}},
		"skip dot-dot":    {t.TempDir(), &local.Options{Skip: []string{".."}}},
	} {
		if _, err := local.New(c.root, c.opts); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: New = %v, want admin.ErrInvalidArgument", name, err)
		}
	}
	// The root is made absolute with links resolved.
	real := t.TempDir()
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	src, err := local.New(link, nil)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(real); src.Root() != want {
		t.Errorf("Root() = %q, want %q", src.Root(), want)
	}
	if src.Type() != admin.SourceLocal {
		t.Errorf("Type() = %q", src.Type())
	}
}
