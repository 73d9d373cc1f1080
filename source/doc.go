// Package source holds what every project Source shares: recognising a
// Mastra project from its files (Inspect), and the rules a Source follows.
//
// A Source (admin.Source) finds projects and copies their code into a build
// directory. First-party sources live in sub-packages: source/local reads
// projects from a directory on the admin server's machine; git and GitHub
// sources are planned. source/sourcetest is the conformance suite every
// Source passes.
//
// # What a Mastra project is
//
// A directory is a Mastra project when it holds a package.json that depends
// on @mastra/core (in "dependencies" or "devDependencies") and an entry file
// src/mastra/index.ts, index.js or index.mjs. Inspect checks exactly that and
// reports the package name, the declared @mastra/core range and the package
// manager: the "packageManager" field of package.json when it names npm,
// pnpm, yarn or bun, else the lockfile (bun.lock or bun.lockb: bun;
// pnpm-lock.yaml: pnpm; yarn.lock: yarn; package-lock.json or
// npm-shrinkwrap.json: npm, looked for in that order), else npm.
//
// # Errors
//
// Inspect returns a *NotProjectError saying what is missing ("no
// package.json", "package.json does not depend on @mastra/core", "no
// src/mastra/index.ts|js|mjs") or broken (a package.json that is not valid
// JSON or is larger than MaxPackageJSONSize). It wraps
// admin.ErrInvalidArgument, and the underlying cause when there is one.
//
// # Writing a Source
//
// A Source adapter is a package exporting New(required args, *Options)
// (*Source, error), with `var _ admin.Source = (*Source)(nil)`. It must:
//
//   - reject a config it cannot use with an *admin.ValidationError naming
//     the config key, before touching anything (admin.ErrInvalidArgument);
//   - never let a config address anything outside what it serves (no path
//     traversal, no symbolic link leading out);
//   - copy into targetDir, never build in place; refuse a targetDir that
//     already holds files (admin.ErrConflict); leave no partial copy behind
//     on any error, including a cancelled context;
//   - leave node_modules, .git and .mastra out of the copy, keep the
//     executable bit, and refuse symbolic links that point outside the
//     project;
//   - use Inspect to recognise projects, so every source agrees on what a
//     Mastra project is.
//
// Run the conformance suite from a three-line test:
//
//	func TestConformance(t *testing.T) {
//		sourcetest.Run(t, sourcetest.Harness{New: newHarness})
//	}
//
// where newHarness returns a fresh Source and a function that adds a project
// to it (see sourcetest.Harness).
package source
