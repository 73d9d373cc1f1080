-- Spans: one row per (project, trace, span) once merged; a re-inserted span
-- replaces itself (highest version wins). Partitioned by the month of the
-- span's own start, so duplicates always meet in one partition.
CREATE TABLE IF NOT EXISTS mastra_spans (
    project_id         String,
    deployment_id      String,
    build_id           String,
    trace_id           String,
    span_id            String,
    parent_span_id     String,
    name               String,
    span_type          {{lc}},
    entity_type        {{lc}},
    entity_id          String,
    entity_name        String,
    is_root            UInt8,
    start_ns           Int64{{codec "Delta, ZSTD"}},
    end_ns             Int64{{codec "Delta, ZSTD"}},
    duration_ns        Int64,
    start_date         Date MATERIALIZED toDate(intDiv(start_ns, 86400000000000)),
    is_error           UInt8,
    error              String{{codec "ZSTD"}},
    model              {{lc}},
    provider           {{lc}},
    input_tokens       Int64,
    output_tokens      Int64,
    cache_read_tokens  Int64,
    cache_write_tokens Int64,
    reasoning_tokens   Int64,
    cost_usd           Nullable(Float64),
    attributes         String{{codec "ZSTD"}},
    version            UInt64
{{- if .SkipIndexes}},
    INDEX idx_start start_ns TYPE minmax GRANULARITY 4,
    INDEX idx_deployment deployment_id TYPE bloom_filter GRANULARITY 4
{{- end}}
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(start_date)
ORDER BY (project_id, trace_id, span_id)
{{- if .RetentionDays}}
TTL start_date + toIntervalDay({{.RetentionDays}})
{{- end}}
{{- if .DedupTokens}}
SETTINGS non_replicated_deduplication_window = 1000
{{- end}};

-- Log lines: id is deterministic (a hash of the whole record), so a
-- re-inserted line replaces itself.
CREATE TABLE IF NOT EXISTS mastra_logs (
    project_id    String,
    deployment_id String,
    build_id      String,
    ts_ns         Int64{{codec "DoubleDelta, ZSTD"}},
    log_date      Date MATERIALIZED toDate(intDiv(ts_ns, 86400000000000)),
    id            String,
    level         {{lc}},
    message       String{{codec "ZSTD"}},
    trace_id      String,
    span_id       String,
    data          String{{codec "ZSTD"}},
    version       UInt64
{{- if .SkipIndexes}},
    INDEX idx_trace trace_id TYPE bloom_filter GRANULARITY 4,
    INDEX idx_message lower(message) TYPE ngrambf_v1(3, 8192, 3, 0) GRANULARITY 4
{{- end}}
) ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(log_date)
ORDER BY (project_id, deployment_id, ts_ns, id)
{{- if .RetentionDays}}
TTL log_date + toIntervalDay({{.RetentionDays}})
{{- end}}
{{- if .DedupTokens}}
SETTINGS non_replicated_deduplication_window = 1000
{{- end}};
