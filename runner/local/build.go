//go:build linux

package local

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/bundler"
)

// Entry is the server entry point a build writes, relative to the project
// directory: `mastra build`'s and the AdminBundler's.
const Entry = ".mastra/output/index.mjs"

// bundle turns the installed project in dir into the server at Entry, as
// Options.BuildMode says: with the AdminBundler (instrumented for the
// admin's observability) or with `mastra build`. record, when set, is
// where the running command's process group is recorded for ReapBuild.
func (r *Runner) bundle(ctx context.Context, ids telemetryIDs, dir string, node nodeBin, env []string, record string, log *syncLog) error {
	if r.opts.BuildMode == BuildPlain {
		cli := filepath.Join(dir, "node_modules", ".bin", "mastra")
		if _, err := os.Stat(cli); err != nil {
			return fmt.Errorf("local: build: the mastra CLI is not installed (%s is missing): add the \"mastra\" package to devDependencies", cli)
		}
		return r.run(ctx, cmd{phase: "build", path: cli, args: []string{"build"}, dir: dir, env: env, record: record}, log)
	}
	opts := bundler.Options{
		ProjectDir:   dir,
		BuildDir:     filepath.Dir(dir),
		ProjectID:    ids.project,
		DeploymentID: ids.deployment,
		BuildID:      ids.build,
		Mode:         bundler.Faithful,
		Node:         node.path,
		Env:          env,
		Log:          func(stream, text string) { log.line("build", stream, text) },
	}
	if r.opts.BuildMode == BuildFast {
		opts.Mode = bundler.Fast
	}
	if record != "" {
		opts.ProcessStarted = func(pid int, cmdline string) func() {
			return r.recorder(record, cmdline, func(err error) {
				log.line("build", "", "could not record the process group for a later cleanup: "+err.Error())
			})(pid)
		}
	}
	if _, err := bundler.Build(ctx, opts); err != nil {
		return fmt.Errorf("local: build: %w", err)
	}
	return nil
}

// Build installs the project's dependencies in spec.SourceDir and runs
// `mastra build` there. Output lines reach log as they are written, with
// phase "install" or "build" and stream "stdout" or "stderr"; the runner's
// own notes have an empty stream. log is never called concurrently.
func (r *Runner) Build(ctx context.Context, spec admin.BuildSpec, logFn admin.LogFunc) (*admin.Artifact, error) {
	if err := r.checkOpen("build"); err != nil {
		return nil, err
	}
	dir, err := projectDir("SourceDir", spec.SourceDir)
	if err != nil {
		return nil, fmt.Errorf("local: build: %w", err)
	}
	if spec.Dir != "" {
		buildDir, err := projectDir("Dir", spec.Dir)
		if err != nil {
			return nil, fmt.Errorf("local: build: %w", err)
		}
		if !insideDir(buildDir, dir) {
			return nil, fmt.Errorf("local: build: %w", &admin.ValidationError{Field: "SourceDir",
				Reason: fmt.Sprintf("%q is not inside the build directory %q", dir, spec.Dir)})
		}
	}
	if err := checkEnv("Env", spec.Env); err != nil {
		return nil, fmt.Errorf("local: build: %w", err)
	}
	log := &syncLog{fn: logFn}
	var instrument telemetryIDs
	if r.opts.BuildMode != BuildPlain {
		if instrument, err = telemetryIDsOf(spec.Project, spec.Deployment, spec.Build); err != nil {
			return nil, fmt.Errorf("local: build: %w", err)
		}
		// An unsupported Mastra fails now, not after a long install.
		if err := bundler.CheckProject(dir); err != nil {
			log.line("build", "", err.Error())
			return nil, fmt.Errorf("local: build: %w", err)
		}
	}
	var m manifest
	pkgJSON, err := readJSON(filepath.Join(dir, "package.json"), &m)
	if err != nil {
		return nil, fmt.Errorf("local: build: %w", &admin.ValidationError{Field: "SourceDir", Reason: err.Error()})
	}
	if r.opts.BuildTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.opts.BuildTimeout)
		defer cancel()
	}

	need, err := projectNode(dir, &m)
	if err != nil {
		return nil, fmt.Errorf("local: build: %w", &admin.ValidationError{Field: "SourceDir", Reason: err.Error()})
	}
	node, err := r.selectNode(ctx, need, log, "install")
	if err != nil {
		return nil, err
	}
	log.line("install", "", fmt.Sprintf("using Node v%s (%s); the project needs %s", node.version, node.path, need))
	env := r.environ(node.dir(), spec.Env, map[string]string{
		"MASTRA_TELEMETRY_DISABLED": "1",
		// Also reach the npm install that mastra build runs in its output.
		"npm_config_cache":           filepath.Join(r.opts.CacheDir, "npm"),
		"npm_config_prefer_offline":  "true",
		"npm_config_audit":           "false",
		"npm_config_fund":            "false",
		"npm_config_update_notifier": "false",
		"npm_config_progress":        "false",
	})

	plan, err := r.planInstall(ctx, dir, pkgJSON, &m, node, env, log)
	if err != nil {
		return nil, err
	}
	if spec.Dir != "" {
		plan.cmd.record = filepath.Join(spec.Dir, recordFile)
	}
	output := filepath.Join(dir, filepath.FromSlash(".mastra/output"))
	outKey := r.planOutput(dir, spec.Dir, plan, env, log)
	if outKey != "" {
		start := time.Now()
		ok, err := r.outputs.restore(outKey, output)
		switch {
		case ok && isFile(filepath.Join(dir, Entry)):
			log.line("build", "", fmt.Sprintf("reusing the build output of an identical earlier build (key %s): same source, lockfile, Node, npm and build environment; install and build skipped (restored in %s)",
				outKey, time.Since(start).Round(time.Millisecond)))
			return &admin.Artifact{Dir: dir, Entry: Entry}, nil
		case ok:
			log.line("build", "", fmt.Sprintf("build output cache entry %s has no %s; building", outKey, Entry))
			_ = os.RemoveAll(filepath.Join(r.outputs.root, outKey))
		case err != nil:
			log.line("build", "", fmt.Sprintf("build output cache entry %s not usable, building: %v", outKey, err))
		default:
			log.line("build", "", fmt.Sprintf("no earlier build with the same inputs (build output cache key %s): installing and building", outKey))
		}
	}

	start := time.Now()
	if err := r.install(ctx, dir, plan, log); err != nil {
		return nil, err
	}
	log.line("install", "", fmt.Sprintf("dependencies ready in %s", time.Since(start).Round(time.Millisecond)))

	start = time.Now()
	if err := r.bundle(ctx, instrument, dir, node, env, plan.cmd.record, log); err != nil {
		return nil, err
	}
	if !isFile(filepath.Join(dir, Entry)) {
		return nil, fmt.Errorf("local: build: the %s build succeeded but wrote no %s", r.opts.BuildMode, Entry)
	}
	log.line("build", "", fmt.Sprintf("built %s in %s", Entry, time.Since(start).Round(time.Millisecond)))
	if outKey != "" {
		if err := r.outputs.save(outKey, output); err != nil {
			log.line("build", "", "could not save the build output to the build output cache: "+err.Error())
		} else {
			log.line("build", "", fmt.Sprintf("saved the build output to the build output cache (key %s)", outKey))
		}
	}
	return &admin.Artifact{Dir: dir, Entry: Entry}, nil
}

// planOutput returns the build output cache key of the build, or "" when
// the cache is off or the build cannot be cached (the reason is logged).
// Only builds whose dependencies are cacheable are: an install that is not
// exactly reproducible from the lockfile makes an output that is not
// either.
func (r *Runner) planOutput(dir, buildDir string, plan installPlan, env []string, log *syncLog) string {
	if r.outputs == nil {
		return ""
	}
	if r.opts.BuildMode == BuildFast {
		log.line("build", "", "build output cache not used: a fast build's output needs the project's node_modules, and takes a fraction of a second")
		return ""
	}
	if plan.depsKey == "" {
		log.line("build", "", "build output cache not used: "+plan.why)
		return ""
	}
	skip := []string{filepath.Join(dir, "node_modules"), filepath.Join(dir, ".mastra")}
	if buildDir != "" {
		skip = append(skip, filepath.Join(filepath.Clean(buildDir), filepath.Dir(recordFile)))
	}
	tree, err := treeHash(dir, skip...)
	if err != nil {
		log.line("build", "", "build output cache not used: hash the source: "+err.Error())
		return ""
	}
	return outputKey(r.secret, outputVersion(r.opts.BuildMode), plan.depsKey, tree, env)
}

// telemetryIDs are the project, deployment and build ids an instrumented server
// writes into every span and log record.
type telemetryIDs struct{ project, deployment, build string }

// telemetryIDsOf returns the ids of an instrumented build: every one is needed.
func telemetryIDsOf(p *admin.Project, d *admin.Deployment, b *admin.Build) (telemetryIDs, error) {
	switch {
	case p == nil || p.ID == "":
		return telemetryIDs{}, &admin.ValidationError{Field: "Project", Reason: "required to instrument the server (BuildPlain builds without)"}
	case d == nil || d.ID == "":
		return telemetryIDs{}, &admin.ValidationError{Field: "Deployment", Reason: "required to instrument the server (BuildPlain builds without)"}
	case b == nil || b.ID == "":
		return telemetryIDs{}, &admin.ValidationError{Field: "Build", Reason: "required to instrument the server (BuildPlain builds without)"}
	}
	return telemetryIDs{p.ID, d.ID, b.ID}, nil
}

// projectDir checks that dir is an absolute path to a directory and returns
// it cleaned.
func projectDir(field, dir string) (string, error) {
	if dir == "" {
		return "", &admin.ValidationError{Field: field, Reason: "must not be empty"}
	}
	if !filepath.IsAbs(dir) {
		return "", &admin.ValidationError{Field: field, Reason: fmt.Sprintf("%q must be an absolute path", dir)}
	}
	dir = filepath.Clean(dir)
	fi, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", &admin.ValidationError{Field: field, Reason: fmt.Sprintf("%q does not exist", dir)}
		}
		return "", err
	}
	if !fi.IsDir() {
		return "", &admin.ValidationError{Field: field, Reason: fmt.Sprintf("%q is not a directory", dir)}
	}
	return dir, nil
}

// insideDir reports whether path is inside dir, both existing absolute
// paths, once symbolic links are resolved on both sides (a build directory
// reached through a link holds the source a Source returns resolved).
func insideDir(dir, path string) bool {
	d, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return false
	}
	p, err := filepath.EvalSymlinks(path)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(d, p)
	return err == nil && filepath.IsLocal(rel)
}

// packageManager returns the project's package manager: Corepack's
// packageManager field when set, else the one whose lockfile is present,
// else npm.
func packageManager(dir string, m *manifest) string {
	if name, _, _ := strings.Cut(m.PackageManager, "@"); name != "" {
		return name
	}
	for _, l := range []struct{ file, pm string }{
		{"package-lock.json", "npm"}, {"npm-shrinkwrap.json", "npm"}, {"pnpm-lock.yaml", "pnpm"},
		{"yarn.lock", "yarn"}, {"bun.lock", "bun"}, {"bun.lockb", "bun"},
	} {
		if isFile(filepath.Join(dir, l.file)) {
			return l.pm
		}
	}
	return "npm"
}

// tool finds a package manager's executable: beside the chosen node first
// (a full Node distribution ships npm there), else on PATH.
func tool(name string, node nodeBin) (string, error) {
	if p := filepath.Join(node.dir(), name); isFile(p) {
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("local: install: the project uses %s, which is not on PATH: install it (for example with `corepack enable %s`): %w", name, name, admin.ErrNotSupported)
	}
	return p, nil
}

// installPlan is how a build gets its dependencies.
type installPlan struct {
	cmd cmd
	// depsKey is the dependency cache key; "" when the install cannot be
	// reused (why says why).
	depsKey, why string
}

// planInstall chooses the project's package manager and its install
// command, and works out the dependency cache key when the install is
// cacheable (npm ci) and a cache is on.
func (r *Runner) planInstall(ctx context.Context, dir string, pkgJSON []byte, m *manifest, node nodeBin, env []string, log *syncLog) (installPlan, error) {
	pm := packageManager(dir, m)
	bin, err := tool(pm, node)
	if err != nil {
		return installPlan{}, err
	}
	c := cmd{phase: "install", path: bin, dir: dir, env: env}
	hasLock := func(f string) bool { return isFile(filepath.Join(dir, f)) }
	switch pm {
	case "npm":
		verb := "install"
		if hasLock("package-lock.json") || hasLock("npm-shrinkwrap.json") {
			verb = "ci"
		}
		c.args = []string{verb, "--include=dev", "--no-audit", "--no-fund", "--prefer-offline",
			"--cache", filepath.Join(r.opts.CacheDir, "npm")}
	case "pnpm":
		c.args = []string{"install"}
		if hasLock("pnpm-lock.yaml") {
			c.args = append(c.args, "--frozen-lockfile")
		}
	case "yarn":
		c.args = []string{"install"}
		switch {
		case hasLock("yarn.lock") && hasLock(".yarnrc.yml"): // Yarn 2+
			c.args = append(c.args, "--immutable")
		case hasLock("yarn.lock"):
			c.args = append(c.args, "--frozen-lockfile")
		}
	case "bun":
		c.args = []string{"install", "--frozen-lockfile"}
	default:
		return installPlan{}, fmt.Errorf("local: install: unknown package manager %q in package.json packageManager: %w",
			m.PackageManager, &admin.ValidationError{Field: "packageManager", Reason: "must be npm, pnpm, yarn or bun"})
	}

	plan := installPlan{cmd: c}
	switch {
	case r.deps == nil && r.outputs == nil:
		plan.why = "caches are off"
	case pm != "npm" || c.args[0] != "ci":
		plan.why = fmt.Sprintf("only npm installs from a lockfile are cached, and this project uses %s %s", pm, c.args[0])
	default:
		npmVersion, err := r.toolVersion(ctx, bin, env)
		if err != nil {
			plan.why = err.Error()
		} else {
			plan.depsKey, plan.why = depsKey(dir, pkgJSON, m, node.version.String(), npmVersion)
		}
	}
	return plan, nil
}

// install installs the project's dependencies: from the dependency cache
// when an identical install was done before, else with the project's
// package manager (npm ci when there is a lockfile).
func (r *Runner) install(ctx context.Context, dir string, plan installPlan, log *syncLog) error {
	key := plan.depsKey
	if r.deps == nil {
		key = ""
	} else if key == "" {
		log.line("install", "", "dependency cache not used: "+plan.why)
	}
	nodeModules := filepath.Join(dir, "node_modules")
	if key != "" {
		ok, err := r.deps.restore(key, nodeModules)
		switch {
		case ok:
			log.line("install", "", fmt.Sprintf("restored node_modules from the dependency cache (key %s): same lockfile, Node and npm as an earlier install", key))
			return nil
		case err != nil:
			log.line("install", "", fmt.Sprintf("dependency cache entry %s not usable, installing: %v", key, err))
		}
	}
	if err := r.run(ctx, plan.cmd, log); err != nil {
		return err
	}
	if key != "" {
		if err := r.deps.save(key, nodeModules); err != nil {
			log.line("install", "", "could not save node_modules to the dependency cache: "+err.Error())
		} else {
			log.line("install", "", fmt.Sprintf("saved node_modules to the dependency cache (key %s)", key))
		}
	}
	return nil
}

// toolVersion runs `{bin} --version` with env.
func (r *Runner) toolVersion(ctx context.Context, bin string, env []string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, "--version")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", bin, err)
	}
	return strings.TrimSpace(string(out)), nil
}
