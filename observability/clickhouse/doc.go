// Package clickhouse is an admin.ObservabilityStore on ClickHouse, built on
// clickhouse-go/v2 over the native protocol: the store for the spans and
// logs of many deployed servers.
//
// # Configuration
//
// The caller opens the connection (addresses, credentials, TLS, pool size,
// compression) and passes it to New, which keeps it but never closes it.
// The tables live in the connection's default database:
//
//	conn, err := clickhouse.Open(&clickhouse.Options{ // github.com/ClickHouse/clickhouse-go/v2
//		Addr: []string{"127.0.0.1:9000"},
//		Auth: clickhouse.Auth{Database: "mastra", Username: "default"},
//	})
//	...
//	defer conn.Close()
//	store, err := chstore.New(ctx, conn, &chstore.Options{Logger: logger})
//	...
//	a, err := admin.New(admin.WithObservabilityStore(store), …)
//
// A URL works too: clickhouse.ParseDSN("clickhouse://user:pass@host:9000/mastra").
// Use the native protocol (port 9000, or 9440 with TLS): the driver's HTTP
// protocol does not speak to old servers.
//
// Options (nil means defaults):
//
//   - Logger: the server version and features found, applied migrations,
//     failed inserts; discarded by default.
//   - Retention: delete rows older than this (whole days, by the row's own
//     date) with a table TTL. Servers without TTL (before 20.3) refuse it
//     with admin.ErrNotSupported: there, drop old monthly partitions
//     (ALTER TABLE mastra_spans DROP PARTITION 202401). It is set when the
//     tables are created; change it later with ALTER TABLE … MODIFY TTL.
//   - SkipMigrate: check that every migration has been applied instead of
//     applying the missing ones.
//
// # Supported servers
//
// Every ClickHouse from 18.16 (the oldest tested: Debian's package, what
// this project's tests run against) to current releases (the driver's own
// minimum is 25.8; it logs "unsupported clickhouse version" on older
// servers and works with the care taken here). New reads SELECT version()
// and builds one schema from the subset every such server understands,
// adding what newer servers offer (see Features and FeaturesOf; DDL shows
// the statements for any version):
//
//   - 18.16 to 20.2: the common subset only: String, Int64, UInt64, UInt8,
//     Date columns, ReplacingMergeTree, monthly partitions. Reads and
//     writes are the same on every version.
//   - 20.3 and newer: LowCardinality(String) for span type, entity type,
//     model, provider and log level; codecs (Delta or DoubleDelta + ZSTD on
//     times, ZSTD on JSON text); skip indexes (minmax on span start,
//     bloom_filter on deployment and log trace ids, ngrambf_v1 on
//     lower(message), which serves SearchLogs' text filter); a TTL when Options.Retention is set.
//   - 22.2 and newer: every insert carries insert_deduplication_token (a
//     hash of the batch's content) and the tables set
//     non_replicated_deduplication_window, so a retried batch is dropped at
//     once rather than replaced at the next merge.
//
// The features are fixed when the tables are created: a server upgraded
// later keeps working with the tables it has.
//
// # Schema
//
// Two ReplacingMergeTree(version) tables; version is the insert time in
// nanoseconds, so the copy inserted last wins:
//
//   - mastra_spans: ORDER BY (project_id, trace_id, span_id), so a span
//     inserted again replaces itself; PARTITION BY the month of the span's
//     own start (never the ingest time: duplicates only collapse inside a
//     partition). Times are Int64 nanoseconds plus a MATERIALIZED Date.
//     The typed fields of admin.Span (entity, root, model, provider, token
//     counts, a Nullable cost) are columns of their own, stored as given
//     (observability.Span.ToAdmin extracts them at ingest); Attributes are
//     kept whole as JSON text.
//   - mastra_logs: ORDER BY (project_id, deployment_id, ts_ns, id), where id
//     (LogID) is the record's ID, or a hash of the whole record when it has
//     none, so a line inserted again replaces itself; PARTITION BY month of the line's own time.
//
// Queries never show a duplicate and use no FINAL: they pick the newest
// copy with ORDER BY version DESC LIMIT 1 BY, inside the project and time
// range given (partitions outside it are skipped). Besides the
// admin.ObservabilityStore methods, the Store offers:
//
//   - Traces: a trace list page, newest first: the page's root spans in
//     the range first, then the totals (span count, error, tokens) of those
//     traces only, read by primary key. Totals are always recomputed from
//     the de-duplicated spans, never summed at insert.
//   - SearchLogs: QueryLogs with a level and a case-insensitive text
//     filter (lower(message) LIKE, wildcards escaped), inside a required
//     time range.
//   - Metrics: runs, errors and latency percentiles (quantiles(0.5, 0.95,
//     0.99), available on every supported version) per entity, and tokens
//     per model, over time buckets.
//
// Measured on 2 shared cores with ClickHouse 18.16 and 1,000,000 spans
// stored (traces of 10 spans over 30 days, BenchmarkQueries): a trace list
// page of the last day 18 ms, a trace tree 4.6 ms (281 ms and 27 ms on the
// first query right after the insert, before the server merged the
// parts). BenchmarkIngest, 1,000,000 spans, two runs: InsertSpans
// 33,800 and 50,300 rows/s against clickhouse-client's 24,700 and 34,700
// in the same runs (1.37× and 1.45×).
//
// # Migrations
//
// The schema is a sequence of numbered files embedded in the binary
// (migrations/0001_init.sql, …), text/templates rendered with the server's
// Features. Applied versions are recorded in mastra_schema_migrations
// (MigrationsTable). ClickHouse has no transactions or locks, so every
// statement is idempotent (CREATE TABLE IF NOT EXISTS): admin servers that
// start together all succeed, and a migration cut short runs again in full.
//
// # Inserts
//
// InsertSpans and InsertLogs send one batch each (PrepareBatch with an
// explicit column list; never INSERT … VALUES, which hangs on old
// servers). Invalid rows fail the call with admin.ErrInvalidArgument before
// anything is sent. A batch that fails is aborted, and the driver closes
// its connection rather than returning it to the pool: a native connection
// left in the middle of an insert is refused by the server afterwards. The
// whole batch can simply be retried: rows replace themselves.
//
// # Errors
//
// Errors name the operation ("clickhouse: insert 5000 spans: …") and wrap
// the cause with %w: admin.ErrInvalidArgument (with an
// *admin.ValidationError naming the field) for bad input, admin.ErrClosed
// after Close, admin.ErrNotSupported for Retention on a server without
// TTL, and the driver's *clickhouse.Exception or the context's error
// otherwise.
//
// # Tests and benchmarks
//
// Set MASTRA_ADMIN_TEST_CLICKHOUSE_URL (scripts/clickhouse.sh installs and
// starts a server on loopback and prints it, e.g.
// clickhouse://127.0.0.1:9000); each test gets a database of its own.
// BenchmarkIngest compares InsertSpans with clickhouse-client importing
// the same rows as JSONEachRow, in the same run, and reports the ratio;
// BenchmarkQueries times a trace list page and a trace tree with
// MASTRA_ADMIN_BENCH_SPANS spans stored (default 20000).
package clickhouse
