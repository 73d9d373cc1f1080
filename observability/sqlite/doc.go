// Package sqlite is the embedded observability store: an
// admin.ObservabilityStore and admin.ObservabilityQuerier in one SQLite
// database file, on the pure-Go modernc.org/sqlite driver, for the
// quickstart and small installs (no service to run).
//
// # Schema
//
// The schema is embedded (migrations/NNNN_name.sql) and versioned in the
// obs_schema_migrations table; Open applies what a database lacks, in one
// transaction, and refuses a database newer than the program. Spans live
// in obs_spans, keyed (project_id, trace_id, span_id), with the typed
// columns of admin.Span (entity, root, model, provider, tokens, cost) and
// the attributes as JSON text; logs in obs_logs, keyed (project_id, id).
// Inserts are INSERT OR REPLACE on those keys, one transaction per batch,
// so a re-inserted span or line replaces itself and a batch is stored whole
// or not at all.
//
// # Queries
//
// A trace list reads the root spans of the range through the index
// (project_id, is_root, start_ns) and the totals of their traces by primary
// key; a trace's spans come by primary key; logs through (project_id,
// ts_ns, id), with the text matched against a lower-cased copy of the
// message (strings.ToLower, stored at insert). Cursors are opaque
// (base64 JSON of the last row's sort key and id). Metrics computes exact
// percentiles, interpolated linearly.
//
// # Performance
//
// Statements go through one connection. BenchmarkInsertSpans reports
// rows/s; BenchmarkListTraces and BenchmarkGetTrace measure queries over
// MASTRA_ADMIN_BENCH_SPANS stored spans (default 20,000; 10 spans a
// trace, one trace a second). Measured with 1,000,000 spans on a shared
// 2-core machine: inserts 31,000 rows/s in batches of 5,000 (33,000-43,000
// while filling); a trace list page (50 traces) of the newest hour 4.9 ms,
// of the whole 28 hours by time 2.0 ms; by cost over the whole 28 hours
// 4.0 s (a cost order totals every trace of the range first: narrow the
// range); a trace of 10 spans 0.18 ms.
package sqlite
