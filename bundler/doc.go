// Package bundler is MastraAdmin's AdminBundler: it builds a Mastra project
// into a server that reports its spans and logs to files the admin ingests,
// without the project configuring anything.
//
//	entry, err := bundler.Build(ctx, bundler.Options{
//		ProjectDir: "/tmp/mastra/builds/b_1/src", // a copy, dependencies installed
//		BuildDir:   "/tmp/mastra/builds/b_1",     // observability/ goes here
//		ProjectID: p.ID, DeploymentID: d.ID, BuildID: b.ID,
//		Node: nodePath, Env: env, Log: logFn,
//	})
//	// run: PORT=4100 MASTRA_HOST=127.0.0.1 node {ProjectDir}/{entry}
//
// # What the built server does
//
// The wrapper entry imports the project's Mastra instance and, before the
// server starts:
//
//   - registers a FileExporter that writes one JSONL line per finished span
//     to BuildDir/observability/spans/, on the project's own observability
//     when it has some (every instance), else on one the wrapper creates
//     (with Mastra's SensitiveDataFilter);
//   - sets a FileLogger that writes one JSONL line per log call (at
//     Options.LogLevel or above) to BuildDir/observability/logs/, with the
//     trace and span ids of the active span (Mastra 1.x), and forwards
//     every call to the logger the project had, which keeps its output;
//   - forces the server onto PORT and MASTRA_HOST (a server.port in the
//     project's code does not win);
//
// then starts the server as `mastra build`'s entry does. GET /health
// answers {"success":true} (Mastra's own route). The record format, file
// naming and rotation are described in package observability. The files
// are flushed on exit, SIGTERM and SIGINT; a SIGKILL loses at most the
// last 200 ms.
//
// # Mastra versions
//
// Build reads the project's @mastra/core version (DetectCoreVersion:
// installed package, then lockfile, then the floor of the declared range)
// and picks the generation covering it: v1 for >= 1.20.0 < 2
// (Mastra.registerExporter, @mastra/observability, resolveTraceFields) and
// v0 for >= 0.18.0 < 1 (AI tracing's exporter registry). Any other version
// fails with an *UnsupportedVersionError naming the supported ranges
// (SupportedVersions): a build is never silently left uninstrumented. Why
// the bounds are where they are is written beside each generation
// (generation_v1.go, generation_v0.go). Adding a generation is one Go file
// declaring it, one line in the generations list, and its two runtime
// files.
//
// The v1 runtime imports @mastra/observability. When the project lacks it,
// Build installs, into the project copy only, the newest release whose
// peerDependencies admit the project's @mastra/core, with
// `npm install --no-save` (package.json and package-lock.json stay as
// they are; about 1 s with a warm npm cache). node_modules/.package-lock.json,
// which npm rewrites in place, is first replaced by a private copy, so a
// node_modules hard-linked from a dependency cache (runner/local's) is
// never written through. Projects installed with pnpm, yarn or bun must
// declare @mastra/observability themselves (admin.ErrNotSupported
// otherwise).
//
// # Modes
//
// Faithful (default) runs runtime/build.mjs with node: a subclass of
// Bundler from the project's own @mastra/deployer/bundler, driven as the
// mastra CLI drives its BuildBundler (prepare, tool discovery, _bundle
// with the CLI's defaults such as externals: true on 1.x), with the
// wrapper entry in place of the CLI's. The project's bundler options,
// dependency analysis, the output's package.json and its own npm install
// in .mastra/output are the deployer's. Not reproduced from the CLI: the
// file-based agents of projects without src/mastra/index.ts, the separate
// worker entry, and the build manifest.
//
// Fast bundles the wrapper entry and the project's TypeScript with
// esbuild's Go API in a fraction of a second, leaving every package
// external: the server then resolves packages from ProjectDir/node_modules
// at run time (keep the copy), the project's bundler options are ignored,
// and tools are served only when registered on the Mastra instance.
//
// Both write OutDir/output/index.mjs (".mastra/output/index.mjs" by
// default) and return it relative to ProjectDir.
//
// # Files written
//
// Everything goes into the project copy: WorkDir (.mastra-admin/: the
// wrapper entry, config.mjs, the runtime modules and the build script,
// recreated by each Build), OutDir, and missing runtime packages in
// node_modules. The JavaScript is kept as real files under runtime/ in
// this package and embedded; the only generated code is config.mjs, one
// line exporting the build's ids, output folder and limits as JSON.
//
// At start, these environment variables win over what was built in:
// MASTRA_ADMIN_OBSERVABILITY_DIR, MASTRA_ADMIN_PROJECT_ID,
// MASTRA_ADMIN_DEPLOYMENT_ID and MASTRA_ADMIN_BUILD_ID. A runner that
// reuses one build's output for another (an output cache) or moves it must
// set them.
//
// # Configuration
//
// See Options. Defaults: Faithful, OutDir ProjectDir/.mastra, BuildDir
// ProjectDir, LogLevel info, files rotated at 16 MiB or 5 minutes, Node
// from PATH, and when Env is nil only PATH, HOME, locale, proxy,
// CA-certificate and npm registry variables of this process.
//
// # Errors
//
// Invalid options and projects (no package.json, no src/mastra/index.ts,
// no way to tell the @mastra/core version) give an *admin.ValidationError
// (admin.ErrInvalidArgument) before anything is written; an unsupported
// version gives an *UnsupportedVersionError (admin.ErrNotSupported); a
// failed npm or build command gives a *CommandError with its last output
// lines (it wraps context.Canceled when ctx was cancelled, which kills the
// command's process group).
//
// # Timings
//
// BenchmarkRealBuild runs plain `mastra build`, the faithful build and the
// fast build in turn on the 1.x test fixture (Mastra core 1.71, CLI 1.31,
// Node 22, dependencies installed, npm cache warm) and reports the ratios.
// Measured on two shared cores: on a quiet machine `mastra build` 34.0 s,
// faithful 40.5 s (1.19x), fast 0.59 s (0.017x); under a load average of
// 5–10, 68.9 s, 82.5 s (1.20x) and 1.48 s (0.021x). The faithful build's
// extra time is finding and adding @mastra/observability (about 2 s with a
// warm npm cache) and bundling the wrapper's runtime; like `mastra build`,
// most of it is the deployer's dependency analysis and its npm install in
// the output folder, which the fast build skips entirely (its server
// resolves packages from the project's node_modules instead).
package bundler
