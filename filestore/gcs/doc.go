// Package gcs is the admin.FileStorage adapter for Google Cloud Storage,
// built on cloud.google.com/go/storage.
//
// # Configuration
//
// The caller builds the client, and keeps owning it:
//
//	client, err := storage.NewClient(ctx)
//	store, err := gcs.New(client, "my-bucket", &gcs.Options{Prefix: "mastra-admin"})
//
// The bucket must exist. Options:
//
//   - Prefix: the folder of the bucket the store owns. Path p is the object
//     Prefix/p; List sees only objects under Prefix/. "team-a" never sees
//     "team-ab/...", but a store on "team" sees "team/a/..." of a store on
//     "team/a": give stores prefixes that do not nest.
//   - ChunkSize (default 16 MiB, the client library's default; a multiple
//     of 256 KiB): a Write is a resumable upload sent one chunk per
//     request, and holds one chunk in memory. The reader is never read
//     whole. Smaller chunks use less memory and more requests.
//   - Logger: debug messages (skipped objects). Default: discard.
//
// # Semantics
//
// An object appears whole when its upload is finalized, so readers never see
// a part; a Write whose reader fails or whose context ends cancels its
// upload and leaves the old object. Read streams the object under the
// caller's context and keeps to the generation it opened, even if the object
// is replaced meanwhile.
//
// List skips objects whose names are not valid paths (folder placeholders
// ending in "/", names with empty segments), which no method could address.
// Move copies server side (a rewrite, which the client repeats for large
// objects), then deletes the source: not atomic, for a moment both objects
// exist, and when the delete fails the error says that the copy was made.
//
// # Errors
//
// Errors name the operation and the path ("gcs: read \"a\": ...") and wrap
// admin.ErrInvalidArgument (a *admin.ValidationError) for a bad key or
// option, admin.ErrNotFound for a missing object (storage.ErrObjectNotExist
// or a 404), admin.ErrClosed after Close, and the context's error when it
// ended. The client's error stays in the chain for errors.As. A missing
// bucket is storage.ErrBucketNotExist for List; Read and Exists cannot tell
// it from a missing object, because the client reports every 404 of an
// object request as storage.ErrObjectNotExist.
//
// # Tests
//
// The tests speak HTTP to github.com/fsouza/fake-gcs-server (JSON API for
// writes and listings, XML API for reads, as the client does with Google).
// The conformance suite runs it in a child process, because the fake keeps
// every object in memory and would hide the suite's check that the adapter
// itself never holds a whole file. The fake recomputes an upload's checksums
// over all data received at each chunk, which makes the suite's 64 MiB
// upload its slowest step.
package gcs
