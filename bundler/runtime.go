package bundler

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// runtimeFS holds the JavaScript the bundler writes into a project copy:
// common.mjs (JSONL files, records), one instrumentation module and one
// wrapper entry per generation, and build.mjs (the faithful build script).
// They are real source files, kept beside this package in runtime/.
//
//go:embed runtime/*.mjs
var runtimeFS embed.FS

// workDir is what writeWorkDir wrote.
type workDir struct {
	dir   string // ProjectDir/WorkDir
	entry string // the wrapper entry (entry.mjs)
	build string // the faithful build script (build.mjs)
}

// writeWorkDir recreates ProjectDir/WorkDir with the generation's wrapper
// entry (entry.mjs), its runtime (runtime/), the build script and
// config.mjs: one line exporting cfg as JSON, the only generated code.
func writeWorkDir(projectDir string, gen *generation, cfg runtimeConfig) (workDir, error) {
	w := workDir{dir: filepath.Join(projectDir, WorkDir)}
	w.entry = filepath.Join(w.dir, "entry.mjs")
	w.build = filepath.Join(w.dir, "build.mjs")
	if err := os.RemoveAll(w.dir); err != nil {
		return w, fmt.Errorf("bundler: %w", err)
	}
	if err := os.MkdirAll(filepath.Join(w.dir, "runtime"), 0o755); err != nil {
		return w, fmt.Errorf("bundler: %w", err)
	}
	js, err := json.Marshal(cfg) // escapes <, >, &, U+2028 and U+2029: safe in JS source
	if err != nil {
		return w, fmt.Errorf("bundler: config: %w", err)
	}
	files := []struct{ from, to string }{
		{"common.mjs", filepath.Join("runtime", "common.mjs")},
		{gen.runtimeFile(), filepath.Join("runtime", gen.runtimeFile())},
		{gen.entryFile(), "entry.mjs"},
		{"build.mjs", "build.mjs"},
	}
	for _, f := range files {
		b, err := runtimeFS.ReadFile("runtime/" + f.from)
		if err != nil {
			return w, fmt.Errorf("bundler: runtime file %s: %w", f.from, err)
		}
		if err := os.WriteFile(filepath.Join(w.dir, f.to), b, 0o644); err != nil {
			return w, fmt.Errorf("bundler: %w", err)
		}
	}
	config := "// Written by MastraAdmin's bundler for this build.\nexport const config = " + string(js) + ";\n"
	if err := os.WriteFile(filepath.Join(w.dir, "config.mjs"), []byte(config), 0o644); err != nil {
		return w, fmt.Errorf("bundler: %w", err)
	}
	return w, nil
}
