// Package local is the admin.Source for projects in a directory on the admin
// server's machine (PROJECTS_DIR).
//
//	src, err := local.New(os.Getenv("PROJECTS_DIR"), &local.Options{Logger: logger})
//	a, err := admin.New(admin.WithSource(src), ...)
//
// # Projects
//
// ListProjects looks up to Options.MaxDepth levels below the projects
// directory for Mastra projects (see package source: a package.json
// depending on @mastra/core and src/mastra/index.ts|js|mjs). It does not
// follow symbolic links, skips dot directories, node_modules and the other
// skipped names, and does not look inside a project it found. Each project's
// config is {"path": "its/path"}, slash-separated and relative to the
// projects directory ("." when the projects directory is itself a project).
// A malformed package.json is skipped with a warning on Options.Logger.
//
// Validate accepts a config whose only key is "path", naming a Mastra project
// that lies inside the projects directory once symbolic links are resolved:
// "../x", "/etc" or a link leading outside are refused.
//
// # Copies
//
// GetProjectPath copies the project into the build's target directory and
// returns it; builds never run in the projects directory. Files and
// directories are opened through os.Root, so nothing outside the project can
// be read even if the tree changes during the copy. What is left out, what
// is kept (permission bits, modification times, symbolic links inside the
// project) and what is refused is listed on Source.GetProjectPath. Times of
// symbolic links themselves are not kept.
//
// The local source has no versions: GetProjectPath accepts only ref "" and
// copies the directory as it is at that moment. A caller building a branch
// must use a git source.
//
// # Configuration
//
// Options (nil means defaults): MaxFiles (20,000 entries per copy),
// MaxBytes (512 MiB per copy), MaxDepth (3 levels of discovery), Skip (more
// names to leave out), Logger (default: discard).
//
// # Errors
//
//   - *admin.ValidationError (admin.ErrInvalidArgument): a bad config
//     (field "path" or "config"), a directory that is not a Mastra project
//     (the reason says what is missing), a targetDir that overlaps the
//     project (field "targetDir");
//   - admin.ErrInvalidArgument: a symbolic link leading outside the project,
//     MaxFiles or MaxBytes exceeded (the message names the link or limit);
//   - admin.ErrConflict: targetDir exists and is not an empty directory;
//   - admin.ErrNotSupported: a non-empty ref;
//   - context.Canceled or context.DeadlineExceeded when ctx ends mid-copy.
//
// Why not a copy library: the copy must count entries and bytes against the
// limits, stop on ctx, refuse links leading out of the project and stay
// inside os.Root on both sides; none of the common Go copy packages
// (otiai10/copy, os.CopyFS) does all of that, and each would need wrapping
// larger than the copy itself.
package local
