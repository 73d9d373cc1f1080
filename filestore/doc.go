// Package filestore holds the admin.FileStorage adapters, where build logs
// and observability files are kept, and their conformance suite:
//
//   - filestore/local: a directory on the local file system (the default);
//   - filestore/s3: Amazon S3 and S3-compatible services (aws-sdk-go-v2);
//   - filestore/gcs: Google Cloud Storage (cloud.google.com/go/storage);
//   - filestore/filestoretest: the suite every adapter passes.
//
// All adapters share one model: a key is a relative slash-separated path
// (admin.CheckFilePath), checked before anything is touched; List takes a
// plain string prefix ("builds/b1" matches "builds/b10/x" too; end it with
// "/" to mean a folder) and returns files at any depth sorted by path; a
// Write becomes visible whole or not at all; content streams both ways with
// bounded buffers. Each adapter's package documentation says how it maps
// this model onto its backend and where it falls short (Move is a copy and
// a delete on object stores; a file system cannot hold both "a" and "a/b").
package filestore
