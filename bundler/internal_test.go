package bundler

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDetectCoreVersion(t *testing.T) {
	const (
		installed = "node_modules/@mastra/core/package.json"
		lock      = "package-lock.json"
		manifest  = "package.json"
	)
	tests := []struct {
		name       string
		files      map[string]string
		version    string
		source     string
		errContain string
	}{
		{"installed wins", map[string]string{
			installed: `{"version":"1.71.0"}`,
			lock:      `{"packages":{"node_modules/@mastra/core":{"version":"1.60.0"}}}`,
			manifest:  `{"dependencies":{"@mastra/core":"^1.50.0"}}`,
		}, "1.71.0", SourceInstalled, ""},
		{"lockfile v3", map[string]string{
			lock:     `{"lockfileVersion":3,"packages":{"":{},"node_modules/@mastra/core":{"version":"0.24.9"}}}`,
			manifest: `{"dependencies":{"@mastra/core":"^0.20.0"}}`,
		}, "0.24.9", "package-lock.json", ""},
		{"lockfile v1", map[string]string{
			lock: `{"lockfileVersion":1,"dependencies":{"@mastra/core":{"version":"0.18.1"}}}`,
		}, "0.18.1", "package-lock.json", ""},
		{"shrinkwrap", map[string]string{
			"npm-shrinkwrap.json": `{"packages":{"node_modules/@mastra/core":{"version":"1.20.0"}}}`,
		}, "1.20.0", "npm-shrinkwrap.json", ""},
		{"lockfile without core falls back to the range", map[string]string{
			lock:     `{"packages":{"node_modules/zod":{"version":"4.0.0"}}}`,
			manifest: `{"dependencies":{"@mastra/core":"~1.30.2"}}`,
		}, "1.30.2", `package.json range "~1.30.2"`, ""},
		{"dev dependency range", map[string]string{
			manifest: `{"devDependencies":{"@mastra/core":">=1.2 <2"}}`,
		}, "1.2.0", `package.json range ">=1.2 <2"`, ""},
		{"no core", map[string]string{manifest: `{"dependencies":{"zod":"^4"}}`}, "", "", "not installed, locked or declared"},
		{"no package.json", map[string]string{}, "", "", "no package.json"},
		{"dist-tag", map[string]string{manifest: `{"dependencies":{"@mastra/core":"latest"}}`}, "", "", `"latest"`},
		{"corrupt installed package.json", map[string]string{installed: `{"version":`}, "", "", "not valid JSON"},
		{"installed version not semver", map[string]string{installed: `{"version":"banana"}`}, "", "", `"banana"`},
		{"corrupt lockfile", map[string]string{lock: `[`}, "", "", "package-lock.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFiles(t, dir, tt.files)
			v, source, err := DetectCoreVersion(dir)
			if tt.errContain != "" {
				if err == nil || !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.errContain) {
					t.Fatalf("err = %v; want ErrInvalidArgument containing %q", err, tt.errContain)
				}
				return
			}
			if err != nil || v.String() != tt.version || source != tt.source {
				t.Fatalf("= %v, %q, %v; want %s, %q", v, source, err, tt.version, tt.source)
			}
		})
	}
}

func TestRangeFloor(t *testing.T) {
	tests := []struct{ r, want string }{
		{"^1.71.0", "1.71.0"},
		{"~0.24.9", "0.24.9"},
		{"1.20.0", "1.20.0"},
		{"=1.20.0", "1.20.0"},
		{"v1.2.3", "1.2.3"},
		{">=1.2 <2", "1.2.0"},
		{">= 1.2.0, < 2", "1.2.0"},
		{">1.2.3", "1.2.4"},
		{"1.x", "1.0.0"},
		{"1", "1.0.0"},
		{"1.2.*", "1.2.0"},
		{"<2.0.0", "0.0.0"},
		{"^2.0.0 || ^1.5.0", "1.5.0"},
		{"1.2.3 - 1.4.0", "1.2.3"},
		{"^1.0.0-beta.2", "1.0.0-beta.2"},
		{"", ""},
		{"*", ""},
		{"latest", ""},
		{"npm:@mastra/core@1.0.0", ""},
		{"file:../core", ""},
		{"github:mastra-ai/mastra", ""},
		{">2 <1", ""},
	}
	for _, tt := range tests {
		v, err := RangeFloor(tt.r)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("RangeFloor(%q) = %v; want an error", tt.r, v)
		case tt.want != "" && (err != nil || v.String() != tt.want):
			t.Errorf("RangeFloor(%q) = %v, %v; want %s", tt.r, v, err, tt.want)
		}
	}
}

func TestGenerationFor(t *testing.T) {
	tests := []struct{ version, want string }{
		{"1.71.0", "v1"},
		{"1.20.0", "v1"},
		{"1.99.3", "v1"},
		{"1.21.0-alpha.3", "v1"},
		{"0.24.9", "v0"},
		{"0.18.0", "v0"},
		{"0.24.10-alpha.1", "v0"},
		{"1.19.0", ""}, // no registerExporter
		{"1.0.0", ""},  // idem
		{"0.17.1", ""}, // another CLI entry
		{"0.13.2", ""}, // no AI tracing in the Mastra config
		{"0.1.0", ""},  // long gone
		{"2.0.0", ""},  // not yet known
		{"1.0.0-beta.5", ""},
	}
	for _, tt := range tests {
		g, err := generationFor(semver.MustParse(tt.version), "test")
		if tt.want == "" {
			var uv *UnsupportedVersionError
			if !errors.As(err, &uv) || !errors.Is(err, admin.ErrNotSupported) || !strings.Contains(err.Error(), ">=1.20.0") {
				t.Errorf("%s: err = %v; want an UnsupportedVersionError naming the ranges", tt.version, err)
			}
			continue
		}
		if err != nil || g.name != tt.want {
			t.Errorf("%s: generation %v, %v; want %s", tt.version, g, err, tt.want)
		}
	}
	// Every generation's runtime files exist.
	for _, g := range generations {
		for _, f := range []string{g.runtimeFile(), g.entryFile()} {
			if _, err := runtimeFS.ReadFile("runtime/" + f); err != nil {
				t.Errorf("generation %s: %v", g.name, err)
			}
		}
	}
}

func TestNewestAdmitting(t *testing.T) {
	core := semver.MustParse("1.71.0")
	tests := []struct{ name, out, want string }{
		{"array", `[{"version":"1.0.0","peerDependencies":{"@mastra/core":">=1.0.0-0 <2.0.0-0"}},
			{"version":"1.17.9","peerDependencies":{"@mastra/core":">=1.16.0-0 <2.0.0-0"}},
			{"version":"1.18.0","peerDependencies":{"@mastra/core":">=1.72.0-0 <2.0.0-0"}},
			{"version":"1.19.0-alpha.1","peerDependencies":{"@mastra/core":">=1.0.0-0 <2.0.0-0"}},
			{"version":"1.5.0"}]`, "1.17.9"},
		{"single object", `{"version":"1.3.0","peerDependencies":{"@mastra/core":"^1.1.0"}}`, "1.3.0"},
		{"none admits", `[{"version":"1.0.0","peerDependencies":{"@mastra/core":">=1.80.0"}}]`, ""},
		{"not json", `npm error`, ""},
	}
	for _, tt := range tests {
		v, err := newestAdmitting(strings.NewReader(tt.out), core)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s: = %v; want an error", tt.name, v)
			}
			continue
		}
		if err != nil || v.String() != tt.want {
			t.Errorf("%s: = %v, %v; want %s", tt.name, v, err, tt.want)
		}
	}
}

// privateFile replaces a hard link by a copy, so that npm rewriting the
// file in place leaves the other links (a dependency cache) alone.
func TestPrivateFile(t *testing.T) {
	dir := t.TempDir()
	cached := filepath.Join(dir, "cache.json")
	linked := filepath.Join(dir, "copy.json")
	writeFiles(t, dir, map[string]string{"cache.json": "original"})
	if err := os.Link(cached, linked); err != nil {
		t.Skipf("no hard links here: %v", err)
	}
	if err := privateFile(linked); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(linked, []byte("rewritten by npm"), 0o644); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(cached); string(b) != "original" {
		t.Errorf("the cached file changed to %q", b)
	}
	if err := privateFile(filepath.Join(dir, "missing")); err != nil {
		t.Errorf("missing file: %v", err)
	}
}

// Invalid options are refused before anything is read or written.
func TestBuildRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"package.json": `{"dependencies":{"@mastra/core":"^1.71.0"}}`})
	node := filepath.Join(dir, "package.json") // any file: never run
	good := Options{ProjectDir: dir, ProjectID: "p", DeploymentID: "d", BuildID: "b", Node: node}
	tests := []struct {
		field string
		edit  func(*Options)
	}{
		{"ProjectDir", func(o *Options) { o.ProjectDir = "relative/dir" }},
		{"ProjectDir", func(o *Options) { o.ProjectDir = filepath.Join(dir, "missing") }},
		{"ProjectID", func(o *Options) { o.ProjectID = "" }},
		{"DeploymentID", func(o *Options) { o.DeploymentID = `d"; process.exit(1); "` }},
		{"BuildID", func(o *Options) { o.BuildID = "../../etc" }},
		{"Mode", func(o *Options) { o.Mode = Mode(7) }},
		{"OutDir", func(o *Options) { o.OutDir = t.TempDir() }},
		{"OutDir", func(o *Options) { o.OutDir = dir }},
		{"OutDir", func(o *Options) { o.OutDir = filepath.Join(dir, WorkDir) }},
		{"BuildDir", func(o *Options) { o.BuildDir = "observability" }},
		{"LogLevel", func(o *Options) { o.LogLevel = "trace" }},
		{"MaxFileBytes", func(o *Options) { o.MaxFileBytes = 10 }},
		{"MaxFileAge", func(o *Options) { o.MaxFileAge = 1 }},
		{"Node", func(o *Options) { o.Node = filepath.Join(dir, "no-node") }},
	}
	for _, tt := range tests {
		o := good
		tt.edit(&o)
		_, err := Build(context.Background(), o)
		var ve *admin.ValidationError
		if !errors.As(err, &ve) || ve.Field != tt.field || !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: err = %v; want a ValidationError for %s", tt.field, err, tt.field)
		}
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("Build wrote into the project: %v", entries)
	}
}

// The config is the only generated code: one JSON line, whatever the
// paths hold.
func TestWriteWorkDir(t *testing.T) {
	dir := t.TempDir()
	cfg := runtimeConfig{ProjectID: "p", DeploymentID: "d", BuildID: "b",
		ObservabilityDir: "/tmp/odd\"dir\n</script>\u2028", CoreVersion: "1.71.0", Generation: "v1", LogLevel: "info"}
	w, err := writeWorkDir(dir, generationV1, cfg)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(w.dir, "config.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	last := lines[len(lines)-1]
	if len(lines) != 2 || !strings.HasPrefix(last, "export const config = {") || strings.Contains(last, "\u2028") || strings.Contains(last, "</script>") {
		t.Errorf("config.mjs = %q", b)
	}
	for _, f := range []string{"entry.mjs", "build.mjs", "runtime/common.mjs", "runtime/v1.mjs"} {
		if !isFile(filepath.Join(w.dir, f)) {
			t.Errorf("%s not written", f)
		}
	}
	if isFile(filepath.Join(w.dir, "runtime", "v0.mjs")) {
		t.Errorf("another generation's runtime was written")
	}
	entry, _ := os.ReadFile(w.entry)
	if !strings.Contains(string(entry), "from './runtime/v1.mjs'") {
		t.Errorf("entry.mjs is not the v1 entry")
	}
}
