// Package filestoretest is the conformance suite for admin.FileStorage.
//
// Every FileStorage adapter runs it from a three-line test:
//
//	func TestConformance(t *testing.T) {
//		filestoretest.Run(t, func(t *testing.T) admin.FileStorage { return newEmptyStore(t) })
//	}
//
// # What the suite checks
//
//   - Write, Read, Exists, Delete and Move of files at any depth, including
//     empty files and names with spaces, unicode and URL-special characters
//     ("%", "+", "?", "#", ";").
//   - Read, Delete and Move of a missing file return admin.ErrNotFound; a
//     "directory" (the path of a folder holding files) is not a file.
//   - Write replaces a file whole; Move replaces its target, creates whatever
//     folders the target needs, and moving a file onto itself keeps it.
//   - List(prefix) returns the files whose path starts with prefix as a plain
//     string, at any depth, sorted by path in byte order (the order of S3 and
//     GCS listings), with their sizes. "" lists everything. "builds/b1" lists
//     "builds/b1/x" and "builds/b10/y"; "builds/b1/" lists only the first.
//   - Every key that admin.CheckFilePath rejects ("", "../x", "/abs", "a//b",
//     "a/./b", "a\\b", NUL, invalid UTF-8, more than 1024 bytes), and every
//     prefix admin.CheckFilePrefix rejects, fails with a *admin.ValidationError
//     (errors.Is admin.ErrInvalidArgument) on every method before anything is
//     touched: the reader given to Write is not read and the stored files do
//     not change.
//   - Writers racing on one key leave one whole version, and readers racing
//     with them see one whole version, never a mix.
//   - A Write whose reader fails, or whose context is cancelled before or
//     during the copy, returns that error (errors.Is works) and leaves the
//     previous content in place; a cancelled context fails every method.
//   - A file of 64 MiB and more, written from a generated reader and read back
//     as a stream, arrives intact (SHA-256), and the process never holds it:
//     the live heap, measured after a forced garbage collection every 8 MiB
//     while the file flows in each direction, stays below 32 MiB above where
//     it started. A store may buffer a few parts or chunks, not the file.
//   - Close is idempotent, and every method of a closed store returns
//     admin.ErrClosed.
//
// # Writing an adapter
//
// Call admin.CheckFilePath (admin.CheckFilePrefix for List) first in every
// method and return its error wrapped with %w. Map the backend's "no such
// object" to admin.ErrNotFound. Stream both ways with bounded buffers, make
// a Write visible only once complete, and stop a Write when its context is
// done. Then pass newStore to Run, returning a new, empty store each call
// (its own directory, bucket or key prefix); Run closes each store when its
// test ends.
//
// The memory check measures this process: a backend that keeps objects in
// the test process (an in-process fake server) must run elsewhere, for
// example in a child process, while the suite runs.
package filestoretest
