package bundler

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
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

// formatVersion names the way Build lays out and configures a server; bump
// it with any change to Build that changes its output other than through
// the runtime files (whose content Fingerprint covers).
const formatVersion = "mastra-admin bundler output 1"

// Fingerprint identifies what this version of the bundler produces: it
// changes whenever the injected runtime, the build script, the defaults
// or the output layout change. A runner that caches build outputs keys
// them with it (beside the project's inputs and the Mode), so that an
// output made by another version is never reused. The ids and the
// observability folder are not part of an output's identity: the server
// takes them from its environment (ServerEnv).
var Fingerprint = sync.OnceValue(func() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s %d %d\n", formatVersion, DefaultLogLevel, DefaultMaxFileBytes, DefaultMaxFileAge)
	entries, _ := fs.ReadDir(runtimeFS, "runtime") // sorted by name
	for _, e := range entries {
		b, _ := runtimeFS.ReadFile("runtime/" + e.Name()) // embedded: cannot fail
		fmt.Fprintf(h, "%s %d\n", e.Name(), len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
})

// The environment variables a built server reads at start, which win over
// the values built in (see ServerEnv).
const (
	EnvObservabilityDir = "MASTRA_ADMIN_OBSERVABILITY_DIR"
	EnvProjectID        = "MASTRA_ADMIN_PROJECT_ID"
	EnvDeploymentID     = "MASTRA_ADMIN_DEPLOYMENT_ID"
	EnvBuildID          = "MASTRA_ADMIN_BUILD_ID"
)

// ServerEnv returns the environment that points a built server at
// buildDir/observability and makes it write the given ids into its
// records, whatever was built in: a runner that starts an output made by
// another build (an output cache, a rollback) sets it. Empty ids are left
// out.
func ServerEnv(buildDir, projectID, deploymentID, buildID string) map[string]string {
	env := map[string]string{EnvObservabilityDir: filepath.Join(buildDir, "observability")}
	for k, v := range map[string]string{EnvProjectID: projectID, EnvDeploymentID: deploymentID, EnvBuildID: buildID} {
		if v != "" {
			env[k] = v
		}
	}
	return env
}
