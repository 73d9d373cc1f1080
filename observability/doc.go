// Package observability defines the JSONL records deployed Mastra servers
// write for MastraAdmin, and a reader for them. The records are produced by
// the FileExporter and FileLogger that package bundler injects into every
// server it builds; ingestion (an observability store such as ClickHouse)
// consumes them. This file is the one description of the format.
//
// # Files
//
// A server writes under {buildDir}/observability/:
//
//	spans/{stamp}_{uuid}.jsonl   one line per finished span
//	logs/{stamp}_{uuid}.jsonl    one line per log call
//
// {stamp} is the UTC creation time as 20260125T174501123Z (so names sort by
// time) and {uuid} a random UUID: every server process writes its own files
// and never appends to another's. A file is started on the first line,
// then rotated when the next lines would take it past a size limit
// (default 16 MiB) or once it is older than an age limit (default 5 min);
// a rotated file is never written again. Lines are UTF-8 JSON objects
// ending in "\n", appended whole: the writer buffers for up to 200 ms and
// writes complete lines only, and flushes on exit, SIGTERM and SIGINT. A
// reader can therefore see, at most, an unfinished last line without its
// "\n"; Read leaves it unread, and an ingester that checkpoints
// Stats.Offset resumes exactly there.
//
// # Records (schemaVersion 1)
//
// Every line has these fields:
//
//	schemaVersion  1
//	kind           "span" or "log"
//	projectId, deploymentId, buildId   the admin's ids, fixed at build time
//	coreVersion    the @mastra/core version the server was built with
//
// A span line (Span) adds: traceId, spanId, parentSpanId (absent on a
// trace's root), name, type (Mastra's span type: workflow_run,
// workflow_step, agent_run, tool_call, model_generation, …), entityType,
// entityId, entityName, startTime and endTime (RFC 3339 with
// milliseconds, UTC), isRootSpan, isEvent, attributes, metadata, input,
// output (JSON values as Mastra recorded them), tags, and error
// {message, id, domain, category, details} when the span failed. Spans
// are written when they end; a span and its children share traceId, and a
// child's parentSpanId is its parent's spanId.
//
// A log line (LogRecord) adds: time, level (debug, info, warn, error),
// message, data (the structured arguments of the call: the object when one
// object was passed, else {"args":[…]}), traceId and spanId of the span
// active when the line was logged (Mastra 1.x; absent outside a span and
// on 0.x), and logger (the name of the project's logger).
//
// Large values are cut: attributes, metadata, input, output, error details
// and log data bigger than 64 KiB of JSON become
// {"truncated":true,"bytes":N,"preview":"…"}. Unknown fields are ignored
// by this reader, so later writers may add fields without a new
// schemaVersion; removing or changing a field needs one.
//
// # Reading
//
// Read (and ReadFile, with defaults) calls a function for every valid
// record and reports each bad line (not JSON, another schemaVersion, a
// missing id, a line over the length limit) with its number, byte offset
// and reason, without failing the rest.
//
// Lines are decoded by a hand-written scanner that validates them as
// strictly as encoding/json and fills the same fields, three times as fast
// (BenchmarkDecode); whatever it would have to interpret rather than copy
// (escaped strings aside, which it hands to encoding/json one by one: keys
// matching a field only case-insensitively, repeated fields, members of
// the wrong type) makes the whole line go through encoding/json instead,
// whose result is the reference. Fuzz targets check that the two agree.
//
// # Conversion
//
// ToAdmin converts records to the admin's admin.Span and admin.LogRecord,
// extracting the typed fields stores filter and aggregate on: entity, root,
// model and provider, and the tokens of a model call — on its
// model_generation span only (llm_generation on Mastra 0.x), with 0.x's
// promptTokens/completionTokens as fallbacks — so each call counts once.
// Cost comes from a Prices table (USD per million input, output,
// cache-read and cache-write tokens): DefaultPrices for ToAdmin, an
// operator's table for ToAdminWithPrices; a model without a price has no
// cost (nil), not a cost of 0. LogID gives a log line its deterministic id
// from its file and byte offset.
//
// # Queries
//
// For the stores that implement admin.ObservabilityQuerier
// (observability/clickhouse, observability/sqlite), the rules every one
// applies the same way: QueryWindow (default time range), PageLimit (page
// size), TraceListSort (a trace list's Sort, Status and MinDuration, and
// its default order), MinSeverity and Severity (log levels),
// MetricsBucket and FloorDiv (metrics buckets), and Cursor (opaque page
// positions). A bad query is an *admin.ValidationError naming its field.
//
// # Errors
//
// Read returns an error only when the underlying reader fails (wrapped,
// with the line number) or when the callback does (returned as is, with
// Stats.Offset at the start of the rejected line). Bad lines are data, not
// errors: see Stats.Bad.
package observability
