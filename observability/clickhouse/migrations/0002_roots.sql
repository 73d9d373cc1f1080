-- Root spans, ordered by time: what trace lists and run metrics read, so
-- that a time range reads the roots of that range only (mastra_spans is
-- ordered by trace, so a range reads whole months of it). Filled by a
-- materialized view at every insert into mastra_spans, in the same
-- statement; the rows already stored are copied once. A copy made twice
-- (a span inserted while this migration runs) is a row with the same
-- version: queries keep one, merges drop the other. start_date is a plain
-- column (18.16 refuses a MATERIALIZED one in a view's target), copied
-- from the span's.
CREATE TABLE IF NOT EXISTS mastra_roots (
    project_id    String,
    deployment_id String,
    build_id      String,
    trace_id      String,
    span_id       String,
    name          String,
    span_type     {{lc}},
    entity_type   {{lc}},
    entity_id     String,
    entity_name   String,
    start_ns      Int64{{codec "Delta, ZSTD"}},
    duration_ns   Int64,
    start_date    Date,
    is_error      UInt8,
    version       UInt64
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_date)
ORDER BY (project_id, start_date, start_ns, trace_id, span_id)
{{- if .RetentionDays}}
TTL start_date + toIntervalDay({{.RetentionDays}})
{{- end}};

CREATE MATERIALIZED VIEW IF NOT EXISTS mastra_roots_mv TO mastra_roots AS
SELECT project_id, deployment_id, build_id, trace_id, span_id, name, span_type, entity_type, entity_id, entity_name,
    start_ns, duration_ns, start_date, is_error, version
FROM mastra_spans WHERE is_root = 1;

INSERT INTO mastra_roots (project_id, deployment_id, build_id, trace_id, span_id, name, span_type, entity_type, entity_id,
    entity_name, start_ns, duration_ns, start_date, is_error, version)
SELECT project_id, deployment_id, build_id, trace_id, span_id, name, span_type, entity_type, entity_id, entity_name,
    start_ns, duration_ns, start_date, is_error, version
FROM mastra_spans WHERE is_root = 1;
