// Package s3 is the admin.FileStorage adapter for Amazon S3 and
// S3-compatible services (MinIO, Ceph, R2, ...), built on aws-sdk-go-v2.
//
// # Configuration
//
// The caller builds the client, and keeps owning it:
//
//	cfg, err := config.LoadDefaultConfig(ctx)
//	client := awss3.NewFromConfig(cfg)
//	store, err := s3.New(client, "my-bucket", &s3.Options{Prefix: "mastra-admin"})
//
// For a service other than AWS, set the client's BaseEndpoint, and usually
// UsePathStyle. The bucket must exist. Options:
//
//   - Prefix: the folder of the bucket the store owns. Path p is the object
//     Prefix/p; List sees only objects under Prefix/. "team-a" never sees
//     "team-ab/...", but a store on "team" sees "team/a/..." of a store on
//     "team/a": give stores prefixes that do not nest.
//   - PartSize (default 5 MiB, the S3 minimum) and Concurrency (default 2):
//     a file of less than PartSize bytes goes up with one PutObject, a larger
//     one as a multipart upload of PartSize parts, Concurrency at a time,
//     through the SDK's transfer manager. The reader is never read whole: a
//     Write holds at most (Concurrency+2) × PartSize bytes, 20 MiB by
//     default. S3 allows 10,000 parts, so the default part size caps a file
//     at about 48 GiB; raise PartSize for more.
//   - Logger: debug messages (skipped keys). Default: discard.
//
// # Semantics
//
// Objects appear whole when their upload completes, so readers never see a
// part. A multipart upload whose reader fails or whose context ends is
// aborted, on a fresh 30-second context, so that no parts are left to be
// billed. Read streams the object's body under the caller's context.
//
// List pages through ListObjectsV2 and asks for URL-encoded keys, so keys
// holding characters XML cannot carry come back intact; it skips keys that
// are not valid paths (folder markers ending in "/", keys with empty
// segments), which no method could address.
//
// Delete first checks that the object exists (HeadObject), because S3
// deletes a missing key without complaint; two racing Deletes may both
// succeed. Move is CopyObject then DeleteObject: not atomic, for a moment
// both objects exist, and when the delete fails the error says that the
// copy was made. CopyObject is limited to objects of 5 GiB.
//
// # Errors
//
// Errors name the operation and the path ("s3: read \"a\": ...") and wrap
// admin.ErrInvalidArgument (a *admin.ValidationError) for a bad key or
// option, admin.ErrNotFound for a missing object (any 404 except
// NoSuchBucket), admin.ErrClosed after Close, and the context's error when
// it ended. The SDK's error stays in the chain for errors.As.
//
// # Tests
//
// The tests speak HTTP to github.com/johannesboyne/gofakes3 with its memory
// backend. The conformance suite runs it in a child process, because the
// fake keeps every object and part in memory and would hide the suite's
// check that the adapter itself never holds a whole file. gofakes3 ignores
// ListObjectsV2's encoding-type, which the adapter handles (it decodes keys
// only when the response says they are encoded).
package s3
