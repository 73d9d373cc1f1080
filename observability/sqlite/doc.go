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
// rows/s; BenchmarkListTraces and BenchmarkGetTrace measure a query over
// MASTRA_ADMIN_BENCH_SPANS stored spans (default 20,000). Measured on a
// 2-core shared machine: see the README's benchmark section.
package sqlite
