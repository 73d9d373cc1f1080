// Package clickhouse is an admin.ObservabilityStore and
// admin.ObservabilityQuerier on ClickHouse, built on clickhouse-go/v2 over
// the native protocol: the store for the spans and logs of many deployed
// servers, and the answers to the API's trace, log and metrics queries. It
// passes observabilitytest.Run, the suite the embedded store
// (observability/sqlite) passes too.
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
//     lower(message)); a TTL when Options.Retention is set. SearchLogs'
//     text filter does not use the ngram index: it folds case for every
//     letter, not ASCII only as lower() does, and reads the messages of
//     its time range.
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
// Three ReplacingMergeTree(version) tables and a summary; version is the insert time in
// nanoseconds, made strictly increasing by each Store (so the later of two
// copies in one batch wins too): the copy inserted last wins.
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
//     none, so a line inserted again replaces itself; PARTITION BY month of
//     the line's own time.
//   - mastra_roots (migration 0002): the root spans' list fields, ORDER BY
//     (project_id, start_date, start_ns, trace_id, span_id), so a time
//     range reads the roots of that range only (mastra_spans, ordered by
//     trace, is read by month). A materialized view fills it in the same
//     INSERT as mastra_spans; the migration copies the roots stored before
//     it once.
//   - mastra_trace_totals (migration 0003): per trace and month of its
//     spans' starts, AggregatingMergeTree states of the totals a trace list
//     filters and sorts by: span rows, distinct span ids, error, the five
//     token counts, the known costs, the models. A materialized view adds
//     each INSERT's spans in the same statement; the migration totals the
//     spans stored before it. Nothing is ever subtracted: a trace whose
//     span rows outnumber its span ids (a span inserted again, or counted
//     by both the view and the migration's copy) is totalled from the
//     newest copy of each of its spans instead, so a re-inserted span never
//     counts twice nor leaves a stale value in a total; such traces stay
//     on that slower path (they are the few that were ever re-inserted).
//
// # Queries
//
// The admin.ObservabilityQuerier methods keep every rule of its doc
// comments: a range defaulting to the last admin.DefaultTelemetryWindow
// (ending at Options.Now), pages of up to admin.MaxTelemetryLimit with
// opaque cursors (base64 JSON of the last row's sort key and id, tied to
// its order), and admin.ErrInvalidArgument with an *admin.ValidationError
// naming the query's field for a bad query.
//
//   - ListTraces: the root spans of the range, from mastra_roots (newest
//     copy of the root of each trace), filtered on the root's fields, with
//     their traces' totals from mastra_trace_totals (merged by trace).
//     Sorted by time or duration without a Status or Model filter, the page
//     is chosen among the roots first and only its traces are totalled, by
//     primary key; otherwise every trace of the range is totalled (one
//     summary row per trace and month, not its spans) and joined to its
//     root. Totals cover every span of the trace, whatever its start, each
//     span counted once. Costs are summed in ascending order, so the same
//     spans always give the same float, and a cost cursor keeps the float's
//     IEEE 754 bits (rebuilt by the server with reinterpretAsFloat64): the
//     next page compares exactly, and pages neither skip nor repeat a
//     trace among equal costs. Unknown costs (no span with a cost) are nil
//     and sort after every known one.
//   - GetTrace: the trace's spans in the range, by primary key, by start
//     then span id; admin.ErrNotFound when there is none.
//   - SearchLogs: newest first, ties by id. It reads a window at the top of
//     its range first (15 minutes, then eight times wider until a page is
//     full or the range is covered), so a page of recent lines does not
//     read a week of them. Level keeps that level and the more severe ones
//     (a line of an unknown level counts as info, as in the embedded
//     store); Text is matched with positionCaseInsensitiveUTF8, so %, _ and
//     \ are ordinary characters and non-ASCII letters match in any case.
//   - Metrics: runs, errors and p50/p95/p99 of the root spans' durations per
//     entity, and calls, tokens and cost per model (spans with a model and
//     tokens), per bucket aligned on the Unix epoch. Percentiles are exact
//     and interpolated linearly between the two nearest durations, as the
//     embedded store computes them (the server sorts each bucket's
//     durations: memory grows with the runs of one bucket and entity).
//
// No query ever shows a span or a line twice, and none uses FINAL: each
// reads the rows of its project and time range (the Date column skips the
// months outside it) and keeps the newest copy of each span or line
// (ORDER BY version DESC LIMIT 1 BY, or argMax by version), then applies
// the filters to that copy, so a replaced field is never matched by its
// old value. Trace totals read first whether a trace holds more rows than
// span ids: only such traces (a span inserted again) pay for the
// reduction to the newest copies of their spans.
//
// What the store assumes: a span's StartTime, its IsRoot and whether it
// has a Model, and a log line's Time, are the same in every copy of it.
// They are in practice (a copy is the same line read again; a Mastra
// server writes a span once, when it ends), and the schema depends on it
// already (rows are partitioned by their own month, and copies only merge
// inside one partition). The queries use it to read only the root spans,
// the model spans, the rows of the range or the lines after a cursor
// before telling copies apart, which divides their work by the spans of a
// trace or the length of the table. A span re-inserted with another start,
// root flag or no model, or a line with another time, would leave its old
// copy visible to the queries that read by those values.
//
// Besides, QuerySpans and QueryLogs (admin.ObservabilityStore) return the
// spans and lines of a range, oldest first, up to MaxLimit.
//
// # Performance
//
// BenchmarkQueries with 1,000,000 spans (100,000 traces of 10 spans) and
// 1,000,000 log lines over 30 days, on ClickHouse 18.16, on 2 cores shared
// with other builds (load average 25 to 35: absolute times are several
// times what an idle server gives; the ratios of one run are the figures
// to read). Per query, in ms, then as a multiple of SELECT count() over
// the same range and of the same query on the embedded SQLite store:
//
//	query                               ms      × count()  × SQLite
//	ListTraces, last day, by time       160     4.2        71  (SQLite 2.3 ms: an index on root starts)
//	ListTraces, 30 days, by cost        20,700  164        2.1
//	ListTraces, 30 days, errors only    18,400  88         1.6
//	GetTrace (30-day range)             136     11         0.038
//	Metrics, last day, hourly           149     1.2        0.68
//	Metrics, 30 days, hourly            2,220   29         0.33
//	SearchLogs, last week, first page   103     1.6        124 (SQLite 0.8 ms)
//	SearchLogs, last week, rare text    1,450   15         16
//
// An earlier run before mastra_roots (load average 16 to 22) gave, for the
// first six: 262, 10,700, 11,800, 33, 66 and 752 ms (2.5, 63, 51, 5.3, 4.8
// and 15 × count(); 141,
// 2.1, 2.5, 0.026, 0.64 and 0.39 × SQLite).
//
// The trace lists after mastra_trace_totals (migration 0003): the same
// benchmark's first three queries (go test -bench Queries/TraceList,
// MASTRA_ADMIN_BENCH_SPANS=1000000) on this code and on the code before
// it, run the same way on the same machine, one after the other; runs 3
// and C are means of 3 queries (-benchtime 3x), the others single ones.
// Per query: ms, × count(), × SQLite:
//
//	run (load average)   last day, by time     30 days, by cost        30 days, errors only
//	before 1 (15-17)     276     2.2   117     15,505  8.0   0.98      21,657  57    1.30
//	before 2 (8-9)       213     6.6   59      6,146   31.5  1.27      4,198   43.2  0.77
//	before 3 (6-8)       50      2.0   23      3,455   55.0  1.38      3,513   60.8  1.36
//	after A (11-12)      141     6.8   57      1,603   13.4  0.34      1,020   16.1  0.41
//	after B (6-10)       1,141   14.7  174     4,651   71.9  1.14      2,174   20.6  0.37
//	after C (6-8)        69      2.2   27      999     19.0  0.41      2,044   12.3  0.32
//
// Against the SQLite store measured in the same loop, the 30-day lists
// went from 1.0-1.4× its time to 0.3-0.4× (run B's list by cost, 1.1×,
// ran while the server merged the million rows just loaded: its first
// query, the day's list, took ten times its usual time too). The day's
// list pays one more round trip (the lookup of re-inserted traces). A
// list sorted by cost or filtered by status or model still merges the
// totals of every trace of its range (one row per trace and month, not
// its spans) and joins them to the range's roots.
//
// # Ingestion speed
//
// scripts/bench-ingest.sh (admin's TestIngestThroughput) measures the
// product's pipeline: the admin's ingestion worker reading four closed
// files of Mastra span lines (about 700 bytes each), decoding them
// (observability.Decoder) and inserting them with InsertSpans, timed from
// Admin.Start until every file's checkpoint is committed to its end (a
// batch is committed once the store acknowledged it: its rows are then
// visible); against clickhouse-client importing the same rows, as the
// decoder made them, from one JSONEachRow file in one INSERT, into a copy
// of the schema with the same two views, in the same rounds
// (clickhousetest). 100,000 spans a round, 2 cores shared with other
// work; worker/client ratio of rows/s, before (batches of 5,000 decoded
// by encoding/json and inserted one after the other) and after, run one
// after the other:
//
//	run (load)                 before                        after
//	A, 2 rounds ×2 (2-5)       0.51×, 0.46×                  0.71×, 0.74× (pipelined worker and scanner only)
//	B, 2 rounds ×2 (9-14)      0.45×, 0.39×                  0.97×, 1.00×
//	C, 2 rounds ×2 (8-20)      0.50×, 0.17×                  0.63×, 0.81×
//	D, the script, 3 rounds    0.43× (14,037 / 32,797 rows/s)   0.61× (31,100 / 50,891 rows/s)
//
// (Run D: load 9-12 before, 7-11 after; into the SQLite store, 12,881 and
// 19,263 rows/s.) That pass made the worker decode the next batch while
// the store inserts the previous one, the decoder scan lines by hand
// (about a third of encoding/json's time), and InsertSpans send blocks of
// insertBlockRows reusing the driver's buffers.
//
// Then (issue 9's second pass), the same script, the commit before and
// after run one after the other, 3 rounds each; worker/client ratio
// (worker's rows/s):
//
//	load      before                           after
//	3-5       0.94× (53,271)                   1.05× (63,534)
//	3-4       0.68× (37,726)                   0.94× (51,834)
//	7-11      0.60× (23,419, an hour earlier)  0.93× (23,445)
//
// What changed: the worker decodes each chunk of lines (up to 1,024) on
// both cores; after a round's first batch, batches fill up to full (32
// MiB of lines, about 48,000 of these spans) or 1 s instead of leaving at
// every insert's end, so 100,000 backlogged spans go in 3 INSERTs instead
// of 4-6 (each writes a part per table and partition and makes more
// merges later: an INSERT of 5,000 spans takes 0.1-0.2 s); the
// decoder converts span lines straight from the scanned fields without
// validating their JSON values twice; InsertSpans checks JSON with
// observability/internal/jsonvalid (about a sixth of json.Valid's time).
// In a CPU profile the worker's Go CPU per 100,000 spans went from about
// 1.1-1.5 s to 0.8-1.0 s (the test's own checkpoint polling, a fifth of
// it, now looks every 10 ms instead of 2).
//
// Then (issue 9's third pass), on a quiet machine, the same script with
// 3 rounds: worker/client ratio 1.27×, 1.29×, 1.20× (80,667-85,732 rows/s;
// clickhouse-client 65,239-67,327), where the second pass's code measured
// 1.08× and 1.19× on the same machine (2 rounds each). What changed:
//
//   - Rows are sent in the table's sorting-key order (keyOrder). The
//     client's file holds the rows in trace order, sorted already, and the
//     server skips the sort of a sorted block; the worker's batches mix
//     four files, so the server sorted each block and copied every column
//     to reorder it: per 100,000 spans the server's CPU for the worker's
//     inserts was 1.15-1.30 s, 0.89-0.92 s once sorted (system.query_log,
//     OSCPUVirtualTimeMicroseconds), as for the client's one INSERT.
//   - Two batches are inserted at once (admin's ingestInFlight): one
//     INSERT is one server thread, so with one at a time a backlog's last
//     batch ran alone on one core while the reader waited.
//   - Blocks of 4,096 rows instead of 8,192 (see insertBlockRows).
//   - The script waits for the server's merges of earlier inserts before
//     each timed import, worker or client (clickhousetest.WaitMerges):
//     they had fallen, by chance, on either side (the client's rate varied
//     from 56,000 to 66,000 rows/s between runs).
//
// The machine's two cores are the limit now: per 100,000 spans the
// worker's Go CPU is about 1.0 s (decoding 0.3 s, laying out and encoding
// the columns 0.3 s, the collector 0.1 s) and the server's 0.9 s: the
// 1.1-1.2 s the worker takes is about a fifth above the 0.95 s of two
// cores kept busy throughout (the last INSERT still runs alone for a few
// hundred milliseconds). Tried and
// dropped in this pass: batches of 16 MiB, two or three in flight (each
// INSERT costs the server about 40 ms of CPU whatever its size: slower);
// splitting a large batch in two concurrent INSERTs (no faster); interning
// the decoder's repeated strings (half the allocations per span, no
// faster). With GOGC=400 the worker was about a tenth faster (fewer
// collections of its batches): a process embedding the admin may set it.
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
// servers), laid out in typed column slices appended to the batch
// insertBlockRows rows at a time, each block sent before the next is
// appended (the driver's buffers are reused instead of grown to the whole
// batch; the server gathers the blocks of one INSERT into the same parts);
// the deduplication token, on servers that take one, is hashed in the same
// pass. Invalid rows fail the call with admin.ErrInvalidArgument before
// anything is sent. A batch that fails is aborted, and the driver closes
// its connection rather than returning it to the pool: a native connection
// left in the middle of an insert is refused by the server afterwards. The
// whole batch can simply be retried: rows replace themselves.
//
// # Errors
//
// Errors name the operation ("clickhouse: insert 5000 spans: …") and wrap
// the cause with %w: admin.ErrInvalidArgument (with an
// *admin.ValidationError naming the field) for bad input, admin.ErrNotFound
// for a trace without spans in the range, admin.ErrClosed after Close,
// admin.ErrNotSupported for Retention on a server without TTL, and the
// driver's *clickhouse.Exception, a network error or the context's error
// otherwise. A server that cannot be reached fails each call with such an
// error and nothing else: the pool dials again on the next call, so the
// same Store works again once the server is back (TestUnreachable cuts a
// connection in the middle of a batch through a TCP forwarder: nothing of
// that batch is stored, and the batch inserted again later is stored
// whole).
//
// # Tests and benchmarks
//
// Set MASTRA_ADMIN_TEST_CLICKHOUSE_URL (scripts/clickhouse.sh installs and
// starts a server on loopback and prints it, e.g.
// clickhouse://127.0.0.1:9000); each test gets a database of its own.
// BenchmarkIngest compares InsertSpans with clickhouse-client importing
// the same rows as JSONEachRow, in the same run, and reports the ratios
// (the baseline is package clickhousetest); scripts/bench-ingest.sh does
// the same for the whole pipeline (admin's TestIngestThroughput: the
// ingestion worker from Mastra's JSONL files), with the embedded store's
// rate beside;
// BenchmarkQueries stores MASTRA_ADMIN_BENCH_SPANS spans (default 20000)
// in this store and in the embedded SQLite store and times ListTraces,
// GetTrace and Metrics against two baselines measured in the same loop: a
// SELECT count() of the rows of the query's range on the same server, and
// the same query on SQLite. TestUnreachable runs the store through an
// in-test TCP forwarder it cuts and restores, so the shared test server
// keeps running.
package clickhouse
