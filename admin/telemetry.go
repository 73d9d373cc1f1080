package admin

import (
	"context"
	"io"
	"time"
)

// Kinds of observability file: the folder a deployed server writes each
// under ({buildDir}/observability/{kind}/).
const (
	TelemetrySpans = "spans"
	TelemetryLogs  = "logs"
)

// TelemetryFile is one JSONL file of spans or logs a deployed server wrote
// (format: package observability).
type TelemetryFile struct {
	// Name identifies the file among its artifact's files, stably across
	// calls and restarts: "{kind}/{file name}".
	Name string `json:"name"`
	// Kind is TelemetrySpans or TelemetryLogs.
	Kind    string    `json:"kind"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
	// Closed reports that no server writes the file any more: every byte it
	// will ever hold is there.
	Closed bool `json:"closed"`
}

// TelemetrySource is an optional Runner capability: a Runner whose servers
// write observability files where the admin can read them implements it,
// and the ingestion worker (see WithObservabilityStore) reads every
// deployment's spans and logs through it.
type TelemetrySource interface {
	// TelemetryFiles lists the observability files of the servers started
	// from artifact, sorted by Name; none when the artifact is gone.
	TelemetryFiles(ctx context.Context, artifact Artifact) ([]TelemetryFile, error)
	// OpenTelemetryFile opens the named file positioned at offset;
	// ErrNotFound when it does not exist.
	OpenTelemetryFile(ctx context.Context, artifact Artifact, name string, offset int64) (io.ReadCloser, error)
	// RemoveTelemetryFile deletes a closed file once it was archived;
	// ErrNotFound when it does not exist.
	RemoveTelemetryFile(ctx context.Context, artifact Artifact, name string) error
}

// IngestCheckpoint records how much of one observability file reached the
// observability store: everything before Offset, never more.
type IngestCheckpoint struct {
	// ID is "{buildId}/{file name}" (TelemetryFile.Name), unique and
	// stable.
	ID           string `json:"id"`
	ProjectID    string `json:"projectId"`
	DeploymentID string `json:"deploymentId"`
	BuildID      string `json:"buildId"`
	// Kind is TelemetrySpans or TelemetryLogs.
	Kind string `json:"kind"`
	// Fingerprint is the hex SHA-256 of the file's first FingerprintBytes
	// bytes (at most 1 KiB): another value means the file was replaced.
	Fingerprint      string `json:"fingerprint"`
	FingerprintBytes int64  `json:"fingerprintBytes"`
	// Offset is the committed byte offset: the end of the last line the
	// store acknowledged or that was quarantined.
	Offset int64 `json:"offset"`
	// Lines counts the records ingested and Quarantined the lines set
	// aside as malformed.
	Lines       int64 `json:"lines"`
	Quarantined int64 `json:"quarantined"`
	// LastError is the last failure met ingesting the file, cleared on
	// success.
	LastError string `json:"lastError,omitempty"`
	// ArchivedPath is the FileStorage key the file was moved to once fully
	// ingested, and ArchivedAt when; empty and nil before.
	ArchivedPath string     `json:"archivedPath,omitempty"`
	ArchivedAt   *time.Time `json:"archivedAt,omitempty"`
	CreatedAt    time.Time  `json:"createdAt"`
	UpdatedAt    time.Time  `json:"updatedAt"`
	Version      int64      `json:"version"`
}

// IngestHealth describes the ingestion of observability files.
type IngestHealth struct {
	// Running reports that the ingestion worker runs in this admin process.
	Running bool `json:"running"`
	// Files counts the files not yet archived, PendingBytes the bytes of
	// them not yet ingested.
	Files        int   `json:"files"`
	PendingBytes int64 `json:"pendingBytes"`
	// Lag is the age of the oldest byte not yet ingested (from the
	// modification time of the file holding it); 0 when none waits.
	Lag time.Duration `json:"lag"`
	// Lines and Quarantined sum the checkpoints' counts.
	Lines       int64 `json:"lines"`
	Quarantined int64 `json:"quarantined"`
	// LastError is the last failure of the worker in this process, with
	// its time; LastSuccess the last round that ended without one.
	LastError   string     `json:"lastError,omitempty"`
	LastErrorAt *time.Time `json:"lastErrorAt,omitempty"`
	LastSuccess *time.Time `json:"lastSuccess,omitempty"`
}
