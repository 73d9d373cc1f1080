// Package sourcetest is the conformance suite every admin.Source passes.
//
// # Running the suite
//
// An adapter runs it from a short test, giving a Harness that makes a fresh
// Source per test and adds fixture projects to it:
//
//	func TestConformance(t *testing.T) {
//		sourcetest.Run(t, sourcetest.Harness{
//			New: func(t *testing.T) (admin.Source, sourcetest.AddFunc) {
//				root := t.TempDir()
//				src, err := local.New(root, nil)
//				if err != nil {
//					t.Fatal(err)
//				}
//				return src, func(t *testing.T, dir string, files sourcetest.Files) map[string]string {
//					sourcetest.WriteFiles(t, filepath.Join(root, dir), files)
//					return map[string]string{"path": dir}
//				}
//			},
//		})
//	}
//
// A git source would write the files into a working tree, commit them and
// return a config naming the repository (and subdirectory).
//
// # What it checks
//
// ListProjects finds exactly the Mastra projects added (not directories that
// lack package.json, the @mastra/core dependency or the entry file) with
// their name, type, config, package manager and @mastra/core range.
// Validate accepts their configs and refuses, with admin.ErrInvalidArgument,
// a nil or empty config, the config of a non-Mastra directory, and any valid
// config with one value replaced by a traversal ("../../etc", "/etc", …).
// GetProjectPath copies every file byte for byte with its executable bit
// and relative symbolic links inside the project, leaves out node_modules,
// .git and .mastra at any depth, gives independent copies (changing one
// changes neither the others nor the source), accepts an existing empty
// targetDir, refuses a non-empty one (admin.ErrConflict), refuses a link
// pointing outside the project (admin.ErrInvalidArgument), and on every
// error, including an unknown ref or a cancelled context, leaves targetDir
// absent or empty. Copies run concurrently, so run the suite with -race.
package sourcetest

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// File is one entry of a fixture project.
type File struct {
	// Data is the file's content.
	Data string
	// Mode holds the permission bits; 0 means 0o644. Every source must keep
	// the executable bit; sources that can keep more (local) check the rest
	// in their own tests.
	Mode fs.FileMode
	// Link, when set, makes the entry a symbolic link with this target; Data
	// and Mode are then ignored.
	Link string
}

// Files maps slash-separated paths, relative to a project, to entries.
type Files map[string]File

// AddFunc adds a project made of files at dir (a slash-separated relative
// path naming the project within the source, e.g. "team/agent") to the
// Source it came with, and returns the config addressing it. It fails t on
// error.
type AddFunc func(t *testing.T, dir string, files Files) map[string]string

// Harness connects the suite to one Source implementation.
type Harness struct {
	// New returns a Source holding no project, isolated from every other
	// test, and the function that adds projects to it.
	New func(t *testing.T) (admin.Source, AddFunc)
	// InvalidConfigs, optional, returns more configs Validate and
	// GetProjectPath must refuse with admin.ErrInvalidArgument, given the
	// valid config of an added project.
	InvalidConfigs func(valid map[string]string) []map[string]string
}

// MastraProject returns the files of a minimal Mastra project named name
// that depends on @mastra/core coreRange.
func MastraProject(name, coreRange string) Files {
	return Files{
		"package.json":        {Data: fmt.Sprintf(`{"name": %q, "type": "module", "dependencies": {"@mastra/core": %q}}`+"\n", name, coreRange)},
		"src/mastra/index.ts": {Data: "import { Mastra } from '@mastra/core';\n\nexport const mastra = new Mastra({});\n"},
	}
}

// WriteFiles writes files under dir, creating directories as needed, and
// sets each file's mode exactly (the umask does not apply).
func WriteFiles(t testing.TB, dir string, files Files) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(files)) {
		f := files[name]
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if f.Link != "" {
			if err := os.Symlink(f.Link, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		mode := f.Mode
		if mode == 0 {
			mode = 0o644
		}
		if err := os.WriteFile(p, []byte(f.Data), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
	}
}

// ReadTree returns every file and symbolic link under dir (not following
// links), with full permission bits; directories appear only through what
// they hold.
func ReadTree(t testing.TB, dir string) Files {
	t.Helper()
	out := Files{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		switch {
		case d.IsDir():
			return nil
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			out[rel] = File{Link: filepath.ToSlash(target)}
		case d.Type().IsRegular():
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			out[rel] = File{Data: string(data), Mode: info.Mode().Perm()}
		default:
			out[rel] = File{Data: "<special file " + d.Type().String() + ">"}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("read tree %s: %v", dir, err)
	}
	return out
}

// Run runs the conformance suite against the Source that h makes.
func Run(t *testing.T, h Harness) {
	if h.New == nil {
		t.Fatal("sourcetest: Harness.New is required")
	}
	s := &suite{h: h}
	t.Run("Type", s.testType)
	t.Run("ListProjects", s.testListProjects)
	t.Run("ListProjectsEmpty", s.testListProjectsEmpty)
	t.Run("Validate", s.testValidate)
	t.Run("InvalidConfig", s.testInvalidConfig)
	t.Run("Copy", s.testCopy)
	t.Run("CopiesAreIndependent", s.testIndependent)
	t.Run("ConcurrentCopies", s.testConcurrent)
	t.Run("EmptyTargetDirExists", s.testEmptyTarget)
	t.Run("TargetDirNotEmpty", s.testTargetNotEmpty)
	t.Run("UnknownRef", s.testUnknownRef)
	t.Run("ContextCancelled", s.testCancelled)
	t.Run("LinkOutsideProject", s.testLinkOutside)
}

type suite struct{ h Harness }

// excluded are what every copy leaves out.
var excluded = []string{"node_modules", ".git", ".mastra"}

// richProject is a project with everything a copy must keep, and some
// things it must leave out.
func richProject(name string) Files {
	binary := make([]byte, 0, 512)
	for i := range 512 {
		binary = append(binary, byte(i))
	}
	f := MastraProject(name, "^1.71.0")
	for k, v := range (Files{
		"package-lock.json":                  {Data: "{}\n"},
		".env.example":                       {Data: "OPENAI_API_KEY=\n"},
		".gitignore":                         {Data: "node_modules\n.mastra\n"},
		"README.md":                          {Data: ""},
		"bin/run.sh":                         {Data: "#!/bin/sh\necho run\n", Mode: 0o755},
		"src/mastra/tools/weather.ts":        {Data: "export const weather = 1;\n"},
		"src/mastra/agents/a b/ünïcode.ts":   {Data: "export {};\n"},
		"assets/blob.bin":                    {Data: string(binary)},
		"deep/a/b/c/d/e/f/g.txt":             {Data: "deep\n"},
		"src/mastra/tools/current.ts":        {Link: "weather.ts"},
		"docs/readme-link.md":                {Link: "../README.md"},
		"node_modules/left-pad/index.js":     {Data: "module.exports = 1;\n"},
		".git/HEAD":                          {Data: "ref: refs/heads/main\n"},
		".mastra/output/index.mjs":           {Data: "built\n"},
		"src/mastra/node_modules/x/index.js": {Data: "nested\n"},
	}) {
		f[k] = v
	}
	return f
}

// expectedCopy is what a copy of files holds.
func expectedCopy(files Files) Files {
	out := Files{}
	for name, f := range files {
		if !isExcluded(name) {
			out[name] = f
		}
	}
	return out
}

func isExcluded(name string) bool {
	for seg := range strings.SplitSeq(name, "/") {
		if slices.Contains(excluded, seg) {
			return true
		}
	}
	return false
}

// checkCopy fails t unless dir holds exactly want: same paths, contents,
// executable bits and link targets.
func checkCopy(t *testing.T, dir string, want Files) {
	t.Helper()
	got := ReadTree(t, dir)
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		g, ok := got[name]
		switch {
		case !ok:
			t.Errorf("copy lacks %s", name)
		case w.Link != "":
			if g.Link != w.Link {
				t.Errorf("copy of link %s: target %q, want %q", name, g.Link, w.Link)
			}
		case g.Link != "":
			t.Errorf("copy of %s is a link to %q, want a regular file", name, g.Link)
		case g.Data != w.Data:
			t.Errorf("copy of %s differs: %d bytes, want %d", name, len(g.Data), len(w.Data))
		case isExec(g.Mode) != isExec(w.Mode):
			t.Errorf("copy of %s has mode %v, want the executable bit of %v", name, g.Mode, modeOrDefault(w.Mode))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[name]; !ok {
			t.Errorf("copy holds %s, which it should not", name)
		}
	}
}

func isExec(m fs.FileMode) bool { return modeOrDefault(m)&0o100 != 0 }

func modeOrDefault(m fs.FileMode) fs.FileMode {
	if m == 0 {
		return 0o644
	}
	return m
}

// checkNoCopy fails t unless dir is absent or empty.
func checkNoCopy(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return
	}
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	if len(entries) > 0 {
		t.Errorf("after a failed copy %s holds %d entries (first %q), want none", dir, len(entries), entries[0].Name())
	}
}

// copyProject copies cfg into a new directory and returns where
// package.json is.
func copyProject(t *testing.T, src admin.Source, cfg map[string]string) string {
	t.Helper()
	target := filepath.Join(t.TempDir(), "copy")
	dir, err := src.GetProjectPath(t.Context(), cfg, "", target)
	if err != nil {
		t.Fatalf("GetProjectPath(%v): %v", cfg, err)
	}
	if rel, err := filepath.Rel(target, dir); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		t.Fatalf("GetProjectPath returned %q, outside targetDir %q", dir, target)
	}
	return dir
}

func (s *suite) testType(t *testing.T) {
	src, _ := s.h.New(t)
	if !src.Type().Valid() {
		t.Errorf("Type() = %q, not a defined admin.SourceType", src.Type())
	}
}

func (s *suite) testListProjectsEmpty(t *testing.T) {
	src, _ := s.h.New(t)
	got, err := src.ListProjects(t.Context())
	if err != nil {
		t.Fatalf("ListProjects on an empty source: %v", err)
	}
	if len(got) != 0 {
		t.Errorf("ListProjects on an empty source = %v, want none", got)
	}
}

func (s *suite) testListProjects(t *testing.T) {
	src, add := s.h.New(t)
	withFile := func(f Files, name string, file File) Files { f[name] = file; return f }
	want := map[string]admin.ProjectSource{} // by config, in fmt form
	addWant := func(dir, name, pm, core string, files Files) {
		cfg := add(t, dir, files)
		want[fmt.Sprint(cfg)] = admin.ProjectSource{Name: name, Type: src.Type(), Config: cfg, PackageManager: pm, CoreRange: core}
	}
	addWant("alpha", "alpha-agent", "npm", "^1.71.0", withFile(MastraProject("alpha-agent", "^1.71.0"), "package-lock.json", File{Data: "{}"}))
	addWant("beta", "@acme/beta", "pnpm", "0.24.9", withFile(MastraProject("@acme/beta", "0.24.9"), "pnpm-lock.yaml", File{Data: "lockfileVersion: '9.0'\n"}))
	addWant("gamma", "gamma", "yarn", ">=1.0.0 <2", withFile(MastraProject("gamma", ">=1.0.0 <2"), "yarn.lock", File{Data: "# yarn\n"}))
	addWant("delta", "delta", "bun", "latest", withFile(MastraProject("delta", "latest"), "bun.lock", File{Data: "{}"}))
	dev := Files{
		"package.json":         {Data: `{"name": "epsilon", "devDependencies": {"@mastra/core": "^1.0.0"}}`},
		"src/mastra/index.mjs": {Data: "export const mastra = {};\n"},
	}
	addWant("epsilon", "epsilon", "npm", "^1.0.0", dev)

	// Directories that are not Mastra projects.
	add(t, "plain-node", Files{"package.json": {Data: `{"name": "plain", "dependencies": {"express": "^5.0.0"}}`}, "src/mastra/index.ts": {Data: "x"}})
	add(t, "no-entry", Files{"package.json": {Data: `{"name": "no-entry", "dependencies": {"@mastra/core": "^1.0.0"}}`}, "src/index.ts": {Data: "x"}})
	add(t, "no-package-json", Files{"src/mastra/index.ts": {Data: "x"}})

	got, err := src.ListProjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, p := range got {
		key := fmt.Sprint(p.Config)
		w, ok := want[key]
		if !ok {
			t.Errorf("ListProjects returned %+v, which is not one of the Mastra projects added", p)
			continue
		}
		if seen[key] {
			t.Errorf("ListProjects returned %v twice", p.Config)
		}
		seen[key] = true
		if p.Name != w.Name || p.Type != w.Type || p.PackageManager != w.PackageManager || p.CoreRange != w.CoreRange {
			t.Errorf("ListProjects returned %+v, want %+v", p, w)
		}
		if err := src.Validate(t.Context(), p.Config); err != nil {
			t.Errorf("Validate(%v) of a listed project: %v", p.Config, err)
		}
	}
	if len(seen) != len(want) {
		t.Errorf("ListProjects found %d of the %d Mastra projects: %+v", len(seen), len(want), got)
	}
	again, err := src.ListProjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(again) != fmt.Sprint(got) {
		t.Errorf("ListProjects is not stable:\n%v\n%v", got, again)
	}
}

func (s *suite) testValidate(t *testing.T) {
	src, add := s.h.New(t)
	cfg := add(t, "app", MastraProject("app", "^1.71.0"))
	if err := src.Validate(t.Context(), cfg); err != nil {
		t.Errorf("Validate(%v) of a Mastra project: %v", cfg, err)
	}
	for _, c := range []struct {
		dir   string
		files Files
	}{
		{"plain-node", Files{"package.json": {Data: `{"name": "plain"}`}, "src/mastra/index.ts": {Data: "x"}}},
		{"no-entry", Files{"package.json": {Data: `{"dependencies": {"@mastra/core": "1.0.0"}}`}}},
		{"no-package-json", Files{"src/mastra/index.ts": {Data: "x"}}},
		{"broken-json", Files{"package.json": {Data: `{"dependencies": {"@mastra/core": `}, "src/mastra/index.ts": {Data: "x"}}},
	} {
		bad := add(t, c.dir, c.files)
		err := src.Validate(t.Context(), bad)
		if !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Validate(%v) of a non-Mastra directory = %v, want admin.ErrInvalidArgument", bad, err)
		}
	}
}

// invalidConfigs derives configs that every source must refuse from a valid
// one.
func (s *suite) invalidConfigs(valid map[string]string) []map[string]string {
	out := []map[string]string{nil, {}}
	for k := range valid {
		for _, v := range []string{"../../etc", "/etc", "x/../../../etc", "..", "app\x00"} {
			c := maps.Clone(valid)
			c[k] = v
			out = append(out, c)
		}
	}
	if s.h.InvalidConfigs != nil {
		out = append(out, s.h.InvalidConfigs(valid)...)
	}
	return out
}

func (s *suite) testInvalidConfig(t *testing.T) {
	src, add := s.h.New(t)
	valid := add(t, "app", MastraProject("app", "^1.71.0"))
	for _, cfg := range s.invalidConfigs(valid) {
		err := src.Validate(t.Context(), cfg)
		if !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Validate(%q) = %v, want admin.ErrInvalidArgument", cfg, err)
		} else if err.Error() == admin.ErrInvalidArgument.Error() {
			t.Errorf("Validate(%q) = %q: the error must say what is wrong", cfg, err)
		}
		target := filepath.Join(t.TempDir(), "copy")
		if _, err := src.GetProjectPath(t.Context(), cfg, "", target); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("GetProjectPath(%q) = %v, want admin.ErrInvalidArgument", cfg, err)
		}
		checkNoCopy(t, target)
	}
}

func (s *suite) testCopy(t *testing.T) {
	src, add := s.h.New(t)
	files := richProject("rich")
	cfg := add(t, "rich", files)
	dir := copyProject(t, src, cfg)
	checkCopy(t, dir, expectedCopy(files))
}

func (s *suite) testIndependent(t *testing.T) {
	src, add := s.h.New(t)
	files := richProject("indep")
	cfg := add(t, "indep", files)
	want := expectedCopy(files)
	one := copyProject(t, src, cfg)
	two := copyProject(t, src, cfg)
	if one == two {
		t.Fatalf("two copies returned the same directory %s", one)
	}
	// Change the first copy every way a build could.
	if err := os.WriteFile(filepath.Join(one, "package.json"), []byte(`{"changed": true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(one, "bin", "run.sh"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(one, "README.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(one, "src/mastra/tools/current.ts"), []byte("through the link\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	WriteFiles(t, one, Files{"node_modules/new/index.js": {Data: "installed\n"}, ".mastra/output/index.mjs": {Data: "built\n"}})

	checkCopy(t, two, want)
	checkCopy(t, copyProject(t, src, cfg), want) // the source is unchanged
}

func (s *suite) testConcurrent(t *testing.T) {
	src, add := s.h.New(t)
	files := richProject("conc")
	cfg := add(t, "conc", files)
	const n = 4
	dirs := make([]string, n)
	errs := make([]error, n)
	base := t.TempDir()
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			dirs[i], errs[i] = src.GetProjectPath(t.Context(), cfg, "", filepath.Join(base, fmt.Sprint(i)))
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("concurrent copy %d: %v", i, errs[i])
			continue
		}
		checkCopy(t, dirs[i], expectedCopy(files))
	}
}

func (s *suite) testEmptyTarget(t *testing.T) {
	src, add := s.h.New(t)
	files := MastraProject("empty-target", "^1.71.0")
	cfg := add(t, "app", files)
	target := t.TempDir() // exists, empty
	dir, err := src.GetProjectPath(t.Context(), cfg, "", target)
	if err != nil {
		t.Fatalf("GetProjectPath into an existing empty directory: %v", err)
	}
	checkCopy(t, dir, files)
}

func (s *suite) testTargetNotEmpty(t *testing.T) {
	src, add := s.h.New(t)
	cfg := add(t, "app", MastraProject("app", "^1.71.0"))
	target := t.TempDir()
	keep := Files{"keep.txt": {Data: "mine\n"}}
	WriteFiles(t, target, keep)
	_, err := src.GetProjectPath(t.Context(), cfg, "", target)
	if !errors.Is(err, admin.ErrConflict) {
		t.Errorf("GetProjectPath into a non-empty directory = %v, want admin.ErrConflict", err)
	}
	got := ReadTree(t, target)
	if len(got) != 1 || got["keep.txt"].Data != "mine\n" {
		t.Errorf("a refused copy changed the target: %v", got)
	}
	// A file where the directory should be.
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := src.GetProjectPath(t.Context(), cfg, "", file); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("GetProjectPath into a file = %v, want admin.ErrConflict", err)
	}
}

func (s *suite) testUnknownRef(t *testing.T) {
	src, add := s.h.New(t)
	cfg := add(t, "app", MastraProject("app", "^1.71.0"))
	target := filepath.Join(t.TempDir(), "copy")
	if _, err := src.GetProjectPath(t.Context(), cfg, "no-such-ref-3f9a1c", target); err == nil {
		t.Error("GetProjectPath with a ref the source does not have succeeded")
	}
	checkNoCopy(t, target)
}

func (s *suite) testCancelled(t *testing.T) {
	src, add := s.h.New(t)
	cfg := add(t, "app", richProject("app"))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	target := filepath.Join(t.TempDir(), "copy")
	if _, err := src.GetProjectPath(ctx, cfg, "", target); !errors.Is(err, context.Canceled) {
		t.Errorf("GetProjectPath with a cancelled context = %v, want context.Canceled", err)
	}
	checkNoCopy(t, target)
}

func (s *suite) testLinkOutside(t *testing.T) {
	for name, link := range map[string]string{
		"absolute":          "/etc/passwd",
		"relative":          "../../../../../../../../etc/passwd",
		"relative-dangling": "../../outside.txt",
	} {
		t.Run(name, func(t *testing.T) {
			src, add := s.h.New(t)
			files := MastraProject("app", "^1.71.0")
			files["src/secrets"] = File{Link: link}
			cfg := add(t, "app", files)
			target := filepath.Join(t.TempDir(), "copy")
			_, err := src.GetProjectPath(t.Context(), cfg, "", target)
			if !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("copying a project with a link to %s = %v, want admin.ErrInvalidArgument", link, err)
			} else if !strings.Contains(err.Error(), "src/secrets") {
				t.Errorf("error %q does not name the link src/secrets", err)
			}
			checkNoCopy(t, target)
		})
	}
}
