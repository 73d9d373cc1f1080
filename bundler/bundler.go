package bundler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Mode chooses how the server is bundled.
type Mode int

const (
	// Faithful (the default) bundles with the project's own
	// @mastra/deployer exactly as `mastra build` does (the user's bundler
	// options, tool discovery, an output folder with its own
	// node_modules), with the admin's wrapper entry. About as slow as
	// `mastra build`.
	Faithful Mode = iota
	// Fast bundles the wrapper entry and the project's source with esbuild,
	// keeping every package external: a fraction of a second, but the
	// server then needs the project's node_modules at run time, the
	// project's bundler options are ignored, and tools are served only
	// when registered on the Mastra instance (the tools folder is not
	// scanned).
	Fast
)

func (m Mode) String() string {
	switch m {
	case Faithful:
		return "faithful"
	case Fast:
		return "fast"
	}
	return fmt.Sprintf("Mode(%d)", int(m))
}

// WorkDir is the folder of the project copy where Build writes the wrapper
// entry, its runtime and the build script. It is recreated by every Build.
const WorkDir = ".mastra-admin"

// Defaults used when the matching Options field is zero.
const (
	DefaultLogLevel     = "info"
	DefaultMaxFileBytes = 16 << 20
	DefaultMaxFileAge   = 5 * time.Minute
)

// Options configures one Build.
type Options struct {
	// ProjectDir is the build's copy of the project (package.json at its
	// root), its dependencies installed. Required, absolute. Build writes
	// inside it only: WorkDir, the output folder, and packages the runtime
	// needs (installed with npm --no-save; the lockfile and package.json
	// are left alone). Never pass the user's own checkout.
	ProjectDir string
	// OutDir is the output folder (`mastra build`'s .mastra): the server
	// entry is OutDir/output/index.mjs. It must be inside ProjectDir.
	// Default ProjectDir/.mastra.
	OutDir string
	// BuildDir is where the running server writes BuildDir/observability/
	// {spans,logs}/*.jsonl. Absolute. Default ProjectDir. The runner's
	// build directory (the parent of the project copy, where server.log
	// lives) is the intended value: outside the tree `mastra build`
	// rewrites. A server can be pointed elsewhere at start with the
	// MASTRA_ADMIN_OBSERVABILITY_DIR environment variable (and given other
	// ids with MASTRA_ADMIN_PROJECT_ID, _DEPLOYMENT_ID, _BUILD_ID).
	BuildDir string
	// ProjectID, DeploymentID and BuildID are written into every record.
	// Required: 1 to admin.MaxIDLength letters, digits, '.', '_' or '-'.
	ProjectID, DeploymentID, BuildID string
	// Mode is Faithful (default) or Fast.
	Mode Mode
	// Node is the node binary that runs the build script and npm. Default:
	// node on the PATH of Env.
	Node string
	// Env is the environment of the commands Build runs, as "KEY=value"
	// (exec.Cmd.Env form); nil means this process's PATH, HOME, locale,
	// proxy, CA-certificate and npm registry/cache variables, nothing else.
	// Build adds MASTRA_TELEMETRY_DISABLED=1 and puts Node's folder first
	// in PATH. npm settings such as npm_config_cache are taken from here.
	Env []string
	// Log receives every output line of the commands Build runs (stream
	// "stdout" or "stderr") and Build's own notes (stream ""). It is never
	// called concurrently. Nil discards.
	Log func(stream, line string)
	// LogLevel is the lowest level the server writes to its log files:
	// debug, info, warn or error. The project's own logger keeps its own
	// level. Default info.
	LogLevel string
	// MaxFileBytes and MaxFileAge rotate the JSONL files: a new file is
	// started when the next lines would take the current one past
	// MaxFileBytes, or once it is MaxFileAge old. Defaults 16 MiB and 5 min.
	MaxFileBytes int64
	MaxFileAge   time.Duration
	// ProcessStarted, when set, is called as each command Build runs
	// starts, with its pid, which is also the id of the process group the
	// command runs in, and its command line; the function it returns, when
	// not nil, is called once the command and its group ended. A runner
	// uses it to record the group, so that it can end the command should
	// the runner's own process die mid-build.
	ProcessStarted func(pgid int, cmdline string) (ended func())
}

// runtimeConfig is the object the wrapper's config.mjs exports.
type runtimeConfig struct {
	ProjectID        string `json:"projectId"`
	DeploymentID     string `json:"deploymentId"`
	BuildID          string `json:"buildId"`
	ObservabilityDir string `json:"observabilityDir"`
	CoreVersion      string `json:"coreVersion"`
	Generation       string `json:"generation"`
	Mode             string `json:"mode"`
	LogLevel         string `json:"logLevel"`
	MaxFileBytes     int64  `json:"maxFileBytes"`
	MaxFileAgeMs     int64  `json:"maxFileAgeMs"`
}

// Build instruments and bundles the Mastra project in opts.ProjectDir and
// returns the server entry to run with node, relative to ProjectDir
// (".mastra/output/index.mjs" by default), for admin.Artifact.Entry. The
// server it produces writes spans and logs as JSONL under
// BuildDir/observability (see package observability), forwards logs to
// the project's own logger, listens on PORT and MASTRA_HOST whatever the
// project's server config says, and answers GET /health.
//
// It detects the project's @mastra/core version (DetectCoreVersion) and
// fails with an *UnsupportedVersionError (admin.ErrNotSupported) when no
// generation covers it: a build is never left uninstrumented. Invalid
// options give an *admin.ValidationError (admin.ErrInvalidArgument); a
// failed command gives a *CommandError.
func Build(ctx context.Context, opts Options) (string, error) {
	o, err := opts.withDefaults()
	if err != nil {
		return "", fmt.Errorf("bundler: build: %w", err)
	}
	log := &syncLog{fn: o.Log}
	version, source, err := DetectCoreVersion(o.ProjectDir)
	if err != nil {
		return "", err
	}
	gen, err := generationFor(version, source)
	if err != nil {
		return "", err
	}
	mastraEntry, err := findMastraEntry(o.ProjectDir)
	if err != nil {
		return "", err
	}
	log.note(fmt.Sprintf("@mastra/core %s (from %s): instrumenting with the %s generation; %s build", version, source, gen.name, o.Mode))
	r := &runner{node: o.Node, env: o.Env, log: log, started: o.ProcessStarted}

	start := time.Now()
	if err := r.ensureDeps(ctx, o.ProjectDir, gen, version); err != nil {
		return "", err
	}
	if len(gen.deps) > 0 {
		log.note(fmt.Sprintf("runtime dependencies ready in %s", time.Since(start).Round(time.Millisecond)))
	}

	cfg := runtimeConfig{
		ProjectID:        o.ProjectID,
		DeploymentID:     o.DeploymentID,
		BuildID:          o.BuildID,
		ObservabilityDir: filepath.Join(o.BuildDir, "observability"),
		CoreVersion:      version.String(),
		Generation:       gen.name,
		Mode:             o.Mode.String(),
		LogLevel:         o.LogLevel,
		MaxFileBytes:     o.MaxFileBytes,
		MaxFileAgeMs:     o.MaxFileAge.Milliseconds(),
	}
	work, err := writeWorkDir(o.ProjectDir, gen, cfg)
	if err != nil {
		return "", err
	}

	start = time.Now()
	outFile := filepath.Join(o.OutDir, "output", "index.mjs")
	switch o.Mode {
	case Fast:
		err = buildFast(o.ProjectDir, work, mastraEntry, outFile)
	default:
		err = r.buildFaithful(ctx, o.ProjectDir, work, mastraEntry, o.OutDir)
	}
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(outFile)
	if err != nil || fi.Size() == 0 {
		return "", fmt.Errorf("bundler: build: the %s build wrote no %s", o.Mode, outFile)
	}
	entry, _ := filepath.Rel(o.ProjectDir, outFile)
	log.note(fmt.Sprintf("%s build of %s done in %s", o.Mode, entry, time.Since(start).Round(time.Millisecond)))
	return filepath.ToSlash(entry), nil
}

// withDefaults validates opts and fills in defaults.
func (opts Options) withDefaults() (Options, error) {
	o := opts
	if o.ProjectDir == "" || !filepath.IsAbs(o.ProjectDir) {
		return o, &admin.ValidationError{Field: "ProjectDir", Reason: fmt.Sprintf("%q must be an absolute path", o.ProjectDir)}
	}
	o.ProjectDir = filepath.Clean(o.ProjectDir)
	if fi, err := os.Stat(o.ProjectDir); err != nil || !fi.IsDir() {
		return o, &admin.ValidationError{Field: "ProjectDir", Reason: fmt.Sprintf("%q is not a directory", o.ProjectDir)}
	}
	for _, f := range []struct{ name, v string }{{"ProjectID", o.ProjectID}, {"DeploymentID", o.DeploymentID}, {"BuildID", o.BuildID}} {
		if err := checkID(f.name, f.v); err != nil {
			return o, err
		}
	}
	if o.Mode != Faithful && o.Mode != Fast {
		return o, &admin.ValidationError{Field: "Mode", Reason: fmt.Sprintf("unknown mode %d", int(o.Mode))}
	}
	if o.OutDir == "" {
		o.OutDir = filepath.Join(o.ProjectDir, ".mastra")
	}
	o.OutDir = filepath.Clean(o.OutDir)
	if rel, err := filepath.Rel(o.ProjectDir, o.OutDir); !filepath.IsAbs(o.OutDir) || err != nil || !filepath.IsLocal(rel) || rel == "." ||
		rel == WorkDir || strings.HasPrefix(rel, WorkDir+string(filepath.Separator)) || rel == "src" || rel == "node_modules" {
		return o, &admin.ValidationError{Field: "OutDir", Reason: fmt.Sprintf("%q must be an absolute folder inside ProjectDir (not ProjectDir itself, %s, src or node_modules)", o.OutDir, WorkDir)}
	}
	if o.BuildDir == "" {
		o.BuildDir = o.ProjectDir
	}
	if !filepath.IsAbs(o.BuildDir) {
		return o, &admin.ValidationError{Field: "BuildDir", Reason: fmt.Sprintf("%q must be an absolute path", o.BuildDir)}
	}
	o.BuildDir = filepath.Clean(o.BuildDir)
	switch o.LogLevel {
	case "":
		o.LogLevel = DefaultLogLevel
	case "debug", "info", "warn", "error":
	default:
		return o, &admin.ValidationError{Field: "LogLevel", Reason: fmt.Sprintf("%q is not debug, info, warn or error", o.LogLevel)}
	}
	switch {
	case o.MaxFileBytes == 0:
		o.MaxFileBytes = DefaultMaxFileBytes
	case o.MaxFileBytes < 4<<10:
		return o, &admin.ValidationError{Field: "MaxFileBytes", Reason: "must be at least 4 KiB"}
	}
	switch {
	case o.MaxFileAge == 0:
		o.MaxFileAge = DefaultMaxFileAge
	case o.MaxFileAge < time.Second:
		return o, &admin.ValidationError{Field: "MaxFileAge", Reason: "must be at least 1s"}
	}
	env, node, err := commandEnv(o.Env, o.Node)
	if err != nil {
		return o, err
	}
	o.Env, o.Node = env, node
	return o, nil
}

// checkID accepts what admin.CheckBuildID accepts, naming field.
func checkID(field, id string) error {
	if err := admin.CheckBuildID(id); err != nil {
		reason := err.Error()
		if ve, ok := err.(*admin.ValidationError); ok {
			reason = ve.Reason
		}
		return &admin.ValidationError{Field: field, Reason: reason}
	}
	return nil
}

// findMastraEntry finds src/mastra/index.{ts,js,…}, the module exporting
// the project's Mastra instance, as the mastra CLI does.
func findMastraEntry(projectDir string) (string, error) {
	for _, name := range []string{"index.ts", "index.js", "index.mts", "index.mjs", "index.tsx", "index.jsx"} {
		p := filepath.Join(projectDir, "src", "mastra", name)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	return "", fmt.Errorf("bundler: build: %w", &admin.ValidationError{Field: "ProjectDir",
		Reason: "no src/mastra/index.ts (or .js) exporting the Mastra instance"})
}
