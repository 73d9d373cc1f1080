package admin

import (
	"context"
	"encoding/json"
	"io"
	"iter"
	"time"
)

// FileInfo describes one stored file.
type FileInfo struct {
	Path    string    `json:"path"`
	Size    int64     `json:"size"`
	ModTime time.Time `json:"modTime"`
}

// FileStorage stores files by key: build logs, observability JSONL files.
// Keys are relative slash-separated paths checked by CheckFilePath; an
// adapter rejects any other key with ErrInvalidArgument before touching its
// backend. Content is streamed both ways, never held whole in memory. A
// store may refuse to hold both "a" and "a/b" (ErrConflict).
// filestoretest.Run checks every rule.
type FileStorage interface {
	// Write stores everything read from r under path, replacing any file
	// there. Readers see the old content or the new, never a part.
	Write(ctx context.Context, path string, r io.Reader) error
	// Read opens the file; ErrNotFound when it does not exist. The returned
	// reader reads under ctx.
	Read(ctx context.Context, path string) (io.ReadCloser, error)
	// Exists reports whether a file is stored under path.
	Exists(ctx context.Context, path string) (bool, error)
	// List returns the files whose path starts with prefix ("" for all),
	// at any depth, sorted by path in byte order. The prefix is a plain
	// string prefix: "builds/b1" also matches "builds/b10/x"; end it with
	// "/" for a folder.
	List(ctx context.Context, prefix string) ([]FileInfo, error)
	// Delete removes the file; ErrNotFound when it does not exist.
	Delete(ctx context.Context, path string) error
	// Move renames from to to, replacing to; ErrNotFound when from does not
	// exist. Moving a file onto itself keeps it. Not atomic on object stores
	// (copy, then delete).
	Move(ctx context.Context, from, to string) error
	// Close is idempotent; later calls return ErrClosed. It does not close a
	// client passed to the adapter.
	Close() error
}

// LogLine is one line of a build's log.
type LogLine struct {
	// Seq is the line's 0-based position in the build's log, assigned by the
	// BuildLogCache on Append.
	Seq  int64     `json:"seq"`
	Time time.Time `json:"time"`
	// Phase is the build step that wrote the line: copy, install, build,
	// start, health, or admin for the platform's own messages.
	Phase string `json:"phase,omitempty"`
	// Stream is stdout or stderr for process output, empty otherwise.
	Stream string `json:"stream,omitempty"`
	Text   string `json:"text"`
	// Dropped, when positive, marks a synthetic line standing for the
	// Dropped lines before it that the cache's per-build cap discarded.
	Dropped int64 `json:"dropped,omitempty"`
}

// BuildLogCache holds the log lines of builds in flight so that any number of
// readers can follow them live, and writes each finished log to FileStorage.
// Build ids are checked with CheckBuildID; phases are at most 32 bytes of
// letters, digits, '.', '_' and '-'; Stream is "", "stdout" or "stderr".
// Bad input gives ErrInvalidArgument and stores nothing; calls after Close
// give ErrClosed. logcachetest.Run checks every rule.
type BuildLogCache interface {
	// Append adds lines to the build's log in order, assigning each its Seq
	// (the caller's Seq is ignored). Lines longer than the cache's line cap
	// are truncated. When the build holds more lines than the per-build cap,
	// the oldest are dropped. A zero Time is set to the time of the Append.
	// Append after Finish fails with ErrConflict.
	Append(ctx context.Context, buildID string, lines ...LogLine) error
	// Lines returns up to limit (0: all) retained lines from Seq from on.
	// When lines from `from` on were dropped, the first line returned is a
	// marker (Dropped > 0: how many lines from `from` on were dropped) whose
	// Seq is the last dropped line's; it counts toward limit. The lines of an
	// unknown build are none.
	Lines(ctx context.Context, buildID string, from int64, limit int) ([]LogLine, error)
	// Follow yields the lines from Seq from on, first those already held,
	// then each new one as it is appended, in order and without gaps or
	// duplicates (a marker stands for dropped lines, as with Lines). It ends
	// after the last line once Finish was called for the build, when ctx is
	// done, or after yielding a backend error. Followers in other processes
	// see the same lines where the cache is shared (Redis).
	Follow(ctx context.Context, buildID string, from int64) iter.Seq2[LogLine, error]
	// Finish records that the build's log is complete: followers end after
	// the last line.
	Finish(ctx context.Context, buildID string) error
	// Flush writes the retained lines to fs as BuildLogPath(buildID), in
	// FormatLogLine form (WriteBuildLog with AllLines), and returns that
	// path. It fails with ErrNotFound when the cache holds nothing for the
	// build, so a cleared build never overwrites its flushed log.
	Flush(ctx context.Context, buildID string, fs FileStorage) (string, error)
	// Clear forgets the build's lines and ends its followers; a later Append
	// starts again at Seq 0.
	Clear(ctx context.Context, buildID string) error
	Close() error
}

// ProjectSource describes a project a Source can offer.
type ProjectSource struct {
	Name string     `json:"name"`
	Type SourceType `json:"type"`
	// Config is what to store as Project.SourceConfig to use this source.
	Config map[string]string `json:"config"`
	// PackageManager is npm, pnpm, yarn or bun (from the lockfile).
	PackageManager string `json:"packageManager,omitempty"`
	// CoreRange is the declared @mastra/core version range.
	CoreRange string `json:"coreRange,omitempty"`
}

// Source finds projects and copies their code for a build. A Source that
// holds resources (clone caches) may implement io.Closer; the Admin closes
// it.
type Source interface {
	Type() SourceType
	// ListProjects lists the projects this source can offer.
	ListProjects(ctx context.Context) ([]ProjectSource, error)
	// Validate checks that config names a project the source can reach.
	Validate(ctx context.Context, config map[string]string) error
	// GetProjectPath copies the project at ref (a branch, tag or commit; ""
	// for the source's current content) into targetDir, which it creates,
	// and returns the directory holding package.json. It never builds in
	// place. A source without versions (SourceLocal) returns ErrNotSupported
	// for any ref but ""; the Admin passes "" for local projects.
	GetProjectPath(ctx context.Context, config map[string]string, ref, targetDir string) (string, error)
}

// BuildSpec is what a Runner needs to build one Build.
type BuildSpec struct {
	Build      *Build
	Project    *Project
	Deployment *Deployment
	// Dir is the build's own directory ({tmp}/mastra/builds/{buildId}); the
	// source has been copied to SourceDir inside it.
	Dir       string
	SourceDir string
	// Env holds the decrypted env vars for build steps.
	Env map[string]string
}

// Artifact is a Runner's build output, kept for starts and rollbacks.
type Artifact struct {
	Dir   string `json:"dir"`
	Entry string `json:"entry"` // e.g. .mastra/output/index.mjs
}

// LogFunc receives each build output line as it is written.
type LogFunc func(phase, stream, text string)

// StartSpec is what a Runner needs to start a server.
type StartSpec struct {
	Build      *Build
	Deployment *Deployment
	Artifact   Artifact
	// Env holds the decrypted env vars and overrides.
	Env map[string]string
}

// Runner builds projects and runs their servers.
type Runner interface {
	// Build installs dependencies and builds spec into an Artifact, sending
	// every output line to log.
	Build(ctx context.Context, spec BuildSpec, log LogFunc) (*Artifact, error)
	// Start starts a server and returns once it answers its health check.
	Start(ctx context.Context, spec StartSpec, log LogFunc) (*RunningServer, error)
	// Stop stops the server and everything it started.
	Stop(ctx context.Context, s *RunningServer) error
	// Health checks the server once.
	Health(ctx context.Context, s *RunningServer) (HealthStatus, error)
	// Reattach adopts a server recorded by an earlier process; it reports
	// false when that server is no longer alive.
	Reattach(ctx context.Context, s *RunningServer) (bool, error)
	Close() error
}

// BuildReaper is an optional Runner capability: a Runner whose build steps
// are processes implements it so that, after an admin restart, the
// processes of a build interrupted by the restart are ended (they would
// otherwise run on as orphans). dir is the build's BuildSpec.Dir.
type BuildReaper interface {
	ReapBuild(ctx context.Context, dir string) error
}

// LicensedRunner is an optional Runner capability: a Runner that is a
// licensed feature (such as FeatureKubernetesRunner) names it, and New
// fails with ErrLicense when the license does not allow that feature.
type LicensedRunner interface {
	LicenseFeature() string
}

// ServerExit reports that a server exited without being stopped: a crash.
type ServerExit struct {
	// Server is the server as the Runner knew it: the RunningServer its
	// Start returned (before the Admin gave it an ID) or the one passed to
	// Reattach. The Admin finds its record by DeploymentID, PID and Handle.
	Server RunningServer
	// ExitCode is the process's exit status, or -1 when it is unknown or a
	// signal ended the process.
	ExitCode int
	// Signal names the signal that ended the process, when known.
	Signal string
}

// ExitNotifier is an optional Runner capability: a Runner that learns at
// once when a server it started or reattached exits without Stop
// implements it. Admin.Start registers a callback through NotifyExits, so
// that a crash triggers the restart policy at once instead of after
// failed health checks (which still catch a server that hangs). The Runner
// calls fn once per such exit, on a goroutine of its own, never after its
// Close has returned; fn does not block.
type ExitNotifier interface {
	NotifyExits(fn func(ServerExit))
}

// Route maps a deployment's public names to a server.
type Route struct {
	DeploymentID   string `json:"deploymentId"`
	ProjectSlug    string `json:"projectSlug"`
	DeploymentSlug string `json:"deploymentSlug"`
	// Production routes {project}.{baseDomain}; others
	// {deployment}--{project}.{baseDomain}.
	Production bool `json:"production"`
	// Target is the server's host:port; empty while no healthy server exists
	// (requests get 503).
	Target string `json:"target,omitempty"`
}

// Router exposes deployments through host and path routing. Requests whose
// Host is not a subdomain of the base domain are routed by path,
// /{project}/{deployment}/…. routertest.Run checks every rule.
type Router interface {
	// SetRoute adds or replaces the route of r.DeploymentID atomically. It
	// fails with ErrInvalidArgument for an invalid route and ErrAlreadyExists
	// when r's host name or path belongs to another deployment; neither
	// changes the routes.
	SetRoute(ctx context.Context, r Route) error
	// RemoveRoute removes a deployment's route; ErrNotFound when absent.
	RemoveRoute(ctx context.Context, deploymentID string) error
	// Routes returns every route, sorted by DeploymentID.
	Routes(ctx context.Context) ([]Route, error)
	// PublicURL is the URL users reach the route at.
	PublicURL(r Route) string
	// Close stops routing; SetRoute, RemoveRoute and Routes then fail with
	// ErrClosed.
	Close() error
}

// Span is one finished span of a deployed server, as ingested. The typed
// fields after Error are extracted from the server's record at ingest
// (observability.Span.ToAdmin) so stores can filter and aggregate them
// without parsing Attributes; a store keeps every field as given.
type Span struct {
	TraceID      string          `json:"traceId"`
	SpanID       string          `json:"spanId"`
	ParentSpanID string          `json:"parentSpanId,omitempty"`
	Name         string          `json:"name"`
	Type         string          `json:"type"`
	ProjectID    string          `json:"projectId"`
	DeploymentID string          `json:"deploymentId"`
	BuildID      string          `json:"buildId"`
	StartTime    time.Time       `json:"startTime"`
	EndTime      time.Time       `json:"endTime"`
	Attributes   json.RawMessage `json:"attributes,omitempty"`
	Error        string          `json:"error,omitempty"`

	// EntityType, EntityID and EntityName name the agent, workflow or tool
	// the span belongs to, when the server said.
	EntityType string `json:"entityType,omitempty"`
	EntityID   string `json:"entityId,omitempty"`
	EntityName string `json:"entityName,omitempty"`
	// IsRoot is true for the span that starts its trace (no parent).
	IsRoot bool `json:"isRoot,omitempty"`
	// Model and Provider are the model a model span called, when known.
	Model    string `json:"model,omitempty"`
	Provider string `json:"provider,omitempty"`
	// The token counts of one model call. Only the span that stands for the
	// call (model_generation) carries them, so summing a trace's spans
	// counts each call once. CacheReadTokens and CacheWriteTokens are part
	// of InputTokens; ReasoningTokens are part of OutputTokens.
	InputTokens      int64 `json:"inputTokens,omitempty"`
	OutputTokens     int64 `json:"outputTokens,omitempty"`
	CacheReadTokens  int64 `json:"cacheReadTokens,omitempty"`
	CacheWriteTokens int64 `json:"cacheWriteTokens,omitempty"`
	ReasoningTokens  int64 `json:"reasoningTokens,omitempty"`
	// CostUSD is the price of the call's tokens in US dollars; nil when
	// unknown (no tokens, or a model without a price), never 0 for that.
	CostUSD *float64 `json:"costUsd,omitempty"`
}

// LogRecord is one log line of a deployed server, as ingested.
type LogRecord struct {
	// ID identifies the line within its project, deterministically (the
	// same line read again has the same ID: observability.LogID derives it
	// from the file and the line's byte offset), so a store keeping the
	// newest record per ID never holds a line twice. Empty when the
	// producer has none.
	ID           string          `json:"id,omitempty"`
	Time         time.Time       `json:"time"`
	Level        string          `json:"level"`
	Message      string          `json:"message"`
	ProjectID    string          `json:"projectId"`
	DeploymentID string          `json:"deploymentId"`
	BuildID      string          `json:"buildId"`
	TraceID      string          `json:"traceId,omitempty"`
	SpanID       string          `json:"spanId,omitempty"`
	Data         json.RawMessage `json:"data,omitempty"`
}

// TelemetryQuery selects spans or logs of one project in a time range.
type TelemetryQuery struct {
	ProjectID    string
	DeploymentID string
	TraceID      string
	From, To     time.Time
	Limit        int
}

// ObservabilityStore keeps the spans and logs of deployed servers: what the
// ingestion worker writes to. Stores that also answer the API's queries
// implement ObservabilityQuerier.
type ObservabilityStore interface {
	// InsertSpans stores spans idempotently: a span is keyed by
	// (ProjectID, TraceID, SpanID), and inserting a key again replaces the
	// stored span, so no query ever sees it twice. A span without those
	// ids, StartTime or EndTime, or ending before it starts, fails the call
	// with ErrInvalidArgument (a *ValidationError naming the field) before
	// anything of the batch is stored. The caller reuses spans (and the
	// memory its fields point into) once InsertSpans returns: a store
	// copies what it keeps.
	InsertSpans(ctx context.Context, spans []Span) error
	// InsertLogs stores log lines idempotently: a line is keyed by
	// (ProjectID, ID) — the store derives a deterministic ID from the
	// record's fields when ID is empty — and inserting a key again replaces
	// the stored line. A line without ProjectID or Time fails the call with
	// ErrInvalidArgument before anything of the batch is stored. As with
	// InsertSpans, the caller reuses logs once InsertLogs returns.
	InsertLogs(ctx context.Context, logs []LogRecord) error
	// QuerySpans returns q.ProjectID's spans that started in [q.From, q.To)
	// (of q.DeploymentID and q.TraceID when set).
	QuerySpans(ctx context.Context, q TelemetryQuery) ([]Span, error)
	// QueryLogs returns q.ProjectID's log lines of [q.From, q.To) (of
	// q.DeploymentID and q.TraceID when set).
	QueryLogs(ctx context.Context, q TelemetryQuery) ([]LogRecord, error)
	// Close releases the store; every method then fails with ErrClosed.
	Close() error
}

// Bounds of the observability queries.
const (
	// DefaultTelemetryWindow is the time range a query covers when the
	// caller gives no From (To defaults to now).
	DefaultTelemetryWindow = 7 * 24 * time.Hour
	// DefaultTelemetryLimit is the page size when a query's Limit is 0.
	DefaultTelemetryLimit = 50
	// MaxTelemetryLimit is the largest page a query may ask for.
	MaxTelemetryLimit = 1000
	// DefaultMetricsBucket is the bucket width when MetricsQuery.Bucket is 0.
	DefaultMetricsBucket = time.Hour
	// MaxMetricsBuckets bounds how many buckets one Metrics call may span.
	MaxMetricsBuckets = 10000
)

// TraceSort orders a trace list; every order is descending (newest,
// longest, most expensive first), ties broken by ascending TraceID.
type TraceSort string

// The trace orders. Under TraceSortCost, traces without a known cost come
// after every trace with one.
const (
	TraceSortTime     TraceSort = "time"
	TraceSortDuration TraceSort = "duration"
	TraceSortCost     TraceSort = "cost"
)

// TraceStatus filters a trace list by outcome.
type TraceStatus string

// The trace outcomes: a trace is in error when any of its spans has a
// non-empty Error, ok otherwise.
const (
	TraceStatusOK    TraceStatus = "ok"
	TraceStatusError TraceStatus = "error"
)

// TraceQuery selects traces of one project. A trace is listed once its root
// span (IsRoot) is stored; its time is the root span's StartTime.
type TraceQuery struct {
	// ProjectID is required.
	ProjectID string
	// From and To bound the root span's start: [From, To). A zero To is
	// now; a zero From is To - DefaultTelemetryWindow.
	From, To time.Time
	// DeploymentID and BuildID, when set, keep the traces whose root span
	// has them.
	DeploymentID, BuildID string
	// EntityType and EntityName, when set, keep the traces whose root span
	// has them.
	EntityType, EntityName string
	// Status, when set, keeps the ok or the error traces.
	Status TraceStatus
	// MinDuration keeps the traces whose root span lasted at least that.
	MinDuration time.Duration
	// Model, when set, keeps the traces with a span of that Model.
	Model string
	// Sort is TraceSortTime when empty.
	Sort TraceSort
	// Limit is the page size: DefaultTelemetryLimit when 0, at most
	// MaxTelemetryLimit.
	Limit int
	// Cursor is empty for the first page, else the NextCursor of the page
	// before, returned for the same query: pages then neither skip nor
	// repeat a trace, even among traces of equal sort keys.
	Cursor string
}

// TraceSummary is one row of a trace list: its root span's fields and
// totals over every span of the trace, each counted once.
type TraceSummary struct {
	TraceID      string
	DeploymentID string
	BuildID      string
	// RootName and RootType are the root span's Name and Type; the entity
	// fields are the root span's.
	RootName   string
	RootType   string
	EntityType string
	EntityID   string
	EntityName string
	Start      time.Time
	Duration   time.Duration // the root span's
	SpanCount  int
	// Error is true when any span of the trace has an Error.
	Error bool
	// The token sums of the trace's spans.
	InputTokens      int64
	OutputTokens     int64
	CacheReadTokens  int64
	CacheWriteTokens int64
	ReasoningTokens  int64
	// CostUSD is the sum of the spans' known costs; nil when no span has a
	// cost.
	CostUSD *float64
}

// TracePage is one page of a trace list.
type TracePage struct {
	Traces []TraceSummary
	// NextCursor continues the list; empty on the last page.
	NextCursor string
}

// TraceGet addresses one trace.
type TraceGet struct {
	// ProjectID and TraceID are required.
	ProjectID, TraceID string
	// From and To bound the spans' StartTime: [From, To), with the same
	// defaults as TraceQuery (pass the root's start from the list to reach
	// an older trace).
	From, To time.Time
}

// LogQuery selects log lines of one project.
type LogQuery struct {
	// ProjectID is required.
	ProjectID string
	// From and To bound the line's Time: [From, To), with the same defaults
	// as TraceQuery.
	From, To time.Time
	// Level, when set (debug, info, warn or error), keeps the lines of that
	// level or a more severe one.
	Level string
	// Text, when set, keeps the lines whose Message contains it, compared
	// case-insensitively (Unicode simple folding); %, _ and \ have no special
	// meaning.
	Text string
	// TraceID and DeploymentID, when set, keep the lines that have them.
	TraceID, DeploymentID string
	// Limit and Cursor page as in TraceQuery.
	Limit  int
	Cursor string
}

// LogPage is one page of log lines, newest first (ties by ascending ID).
type LogPage struct {
	Logs []LogRecord
	// NextCursor continues the list; empty on the last page.
	NextCursor string
}

// MetricsQuery selects what Metrics aggregates.
type MetricsQuery struct {
	// ProjectID is required.
	ProjectID string
	// From and To bound the spans' StartTime: [From, To), with the same
	// defaults as TraceQuery.
	From, To time.Time
	// DeploymentID, when set, keeps that deployment's spans.
	DeploymentID string
	// Bucket is the width of a time bucket, a whole number of seconds;
	// DefaultMetricsBucket when 0. Buckets are aligned on the Unix epoch,
	// and [From, To) may touch at most MaxMetricsBuckets of them.
	Bucket time.Duration
}

// EntityMetrics are the runs (root spans) of one entity in one bucket.
type EntityMetrics struct {
	Bucket     time.Time // the bucket's start, UTC
	EntityType string
	EntityName string
	Runs       int
	// Errors counts the runs whose root span has an Error.
	Errors int
	// P50, P95 and P99 are percentiles of the runs' root span durations:
	// percentile q of n sorted durations d lies in [d[⌊q(n-1)⌋],
	// d[⌈q(n-1)⌉]] (exact stores interpolate linearly between them).
	P50, P95, P99 time.Duration
}

// ErrorRate is Errors / Runs (0 without runs).
func (m EntityMetrics) ErrorRate() float64 {
	if m.Runs == 0 {
		return 0
	}
	return float64(m.Errors) / float64(m.Runs)
}

// ModelMetrics are the model calls of one model in one bucket: the spans
// with a Model and a non-zero InputTokens or OutputTokens.
type ModelMetrics struct {
	Bucket           time.Time // the bucket's start, UTC
	Model            string
	Calls            int
	InputTokens      int64
	OutputTokens     int64
	CacheReadTokens  int64
	CacheWriteTokens int64
	ReasoningTokens  int64
	// CostUSD is the sum of the calls' known costs; nil when none has one.
	CostUSD *float64
}

// Metrics are a project's aggregates over time buckets.
type Metrics struct {
	// Entities, sorted by Bucket, EntityType, EntityName; buckets without
	// runs are left out.
	Entities []EntityMetrics
	// Models, sorted by Bucket, Model; buckets without calls left out.
	Models []ModelMetrics
}

// ObservabilityQuerier answers the API's observability queries over what an
// ObservabilityStore stored. Every method fails with ErrInvalidArgument (a
// *ValidationError naming the query's field: "ProjectID", "To" when before
// From, "Limit", "Cursor", "Sort", "Status", "Level", "MinDuration",
// "Bucket", "TraceID") for a bad query, and with ErrClosed after Close.
// observabilitytest.Run checks every rule.
type ObservabilityQuerier interface {
	// ListTraces returns one page of the traces q selects, in q.Sort order.
	ListTraces(ctx context.Context, q TraceQuery) (TracePage, error)
	// GetTrace returns every span of the trace that started in [q.From,
	// q.To), sorted by StartTime then SpanID, each with its ParentSpanID;
	// ErrNotFound when there is none.
	GetTrace(ctx context.Context, q TraceGet) ([]Span, error)
	// SearchLogs returns one page of the log lines q selects, newest first.
	SearchLogs(ctx context.Context, q LogQuery) (LogPage, error)
	// Metrics aggregates the spans q selects: runs, errors and latency
	// percentiles per root entity, and tokens and cost per model, each per
	// bucket of the span's StartTime. Each span counts once.
	Metrics(ctx context.Context, q MetricsQuery) (Metrics, error)
}
