// Package runnertest is the conformance suite for admin.Runner
// implementations, plus the fake Mastra project it builds.
//
// # Running the suite
//
// A runner passes the suite from a three-line test:
//
//	func TestConformance(t *testing.T) {
//		runnertest.Run(t, runnertest.Harness{Processes: true, NewRunner: newRunner})
//	}
//
// where newRunner maps a Config (cache directory, host, port range, health
// timeout, stop grace) onto the runner's own options. Run needs node and npm
// on PATH and no network: it builds the project written by
// WriteFakeProject, a small npm project whose only dependency is a "mastra"
// package from a local tarball, pinned by its integrity hash in
// package-lock.json. Its `mastra build` writes a fake server (a few lines of
// JavaScript for node) that honours PORT and MASTRA_HOST, answers
// GET /health and GET /echo (its pid, a child's pid, its working directory
// and environment), and can be told through Fake* variables to fail its
// build, hang, crash, never become healthy, ignore SIGTERM, or start a
// child process. The whole suite takes 15–30 s.
//
// It checks that Build streams lines with their phases while the build
// runs, honours cancellation, and reports real npm and build failures with
// the tool's message in both the log and the error; that Start gives
// concurrent servers distinct ports, passes env vars while keeping PORT and
// MASTRA_HOST its own, skips ports held by other programs, reports an
// exhausted range as admin.ErrConflict, and kills a server that never
// becomes healthy or fails fast when it crashes; that Stop ends the server
// and its children (in its process group or not), escalates to SIGKILL, and
// is idempotent; that Reattach adopts a live server after the runner that
// started it was closed (an admin restart) and refuses dead servers and
// reused pids without touching the process; and that bad input fails with
// admin.ErrInvalidArgument and changes nothing. Checks that need servers to
// be local processes run only when Harness.Processes is set.
//
// # Real projects
//
// RunReal builds a real Mastra project with the real npm and mastra CLI,
// serves it, runs one of its workflows over HTTP and compares the result.
// It takes minutes on a cold machine. runner/local runs it on
// examples/sample-project in TestRealMastraSampleProject.
//
// # Writing a runner
//
// Implement admin.Runner: Build(ctx, spec, log) installs and builds
// spec.SourceDir, sending every output line to log as it comes; Start
// starts the artifact on a free port and returns once GET /health answers
// 200; Stop ends the server and everything it started, and returns nil for
// a server that is already gone; Health checks once; Reattach adopts a
// server recorded by an earlier process and reports false when it is gone;
// Close releases the runner without stopping servers. Wrap
// admin.ErrInvalidArgument, admin.ErrConflict (no free port) and
// admin.ErrClosed as the suite expects, then run the suite.
package runnertest
