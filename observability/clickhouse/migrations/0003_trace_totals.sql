-- Trace totals: per trace, what a trace list filters and sorts by (span
-- count, error, tokens, costs, models), kept as aggregate states that a
-- materialized view adds to at every insert into mastra_spans, in the same
-- statement, so that a list sorted by cost or filtered by status or model
-- over a month reads one row per trace and month instead of every span.
-- copies counts the span rows added and span_ids the distinct ids: a
-- trace whose copies equal its span ids holds each span once and its sums
-- are its totals. A span inserted again (or counted twice: a span inserted
-- while this migration copies the stored ones) makes copies exceed ids;
-- uniq, far cheaper than uniqExact, is enough: up to 65,536 rows it
-- keeps every value's hash and never counts more ids than there are (a
-- collision only sends a trace to the exact path below); a trace of more
-- rows always takes that path;
-- such a trace is totalled from the newest copy of each of its spans in
-- mastra_spans instead, so a re-inserted span never counts twice nor
-- leaves its old values in a total. Rows of one trace and month merge in
-- the background; queries merge the states of a trace with GROUP BY (no
-- FINAL). model is cast to String (LowCardinality on newer servers) so the
-- state's type is the same on every server.
CREATE TABLE IF NOT EXISTS mastra_trace_totals (
    project_id  String,
    trace_id    String,
    start_date  Date,
    copies      AggregateFunction(count),
    span_ids    AggregateFunction(uniq, String),
    errs        AggregateFunction(max, UInt8),
    tin         AggregateFunction(sum, Int64),
    tout        AggregateFunction(sum, Int64),
    tcr         AggregateFunction(sum, Int64),
    tcw         AggregateFunction(sum, Int64),
    trs         AggregateFunction(sum, Int64),
    costs       AggregateFunction(groupArrayIf, Float64, UInt8),
    models      AggregateFunction(groupUniqArray, String)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMM(start_date)
ORDER BY (project_id, trace_id)
{{- if .RetentionDays}}
TTL start_date + toIntervalDay({{.RetentionDays}})
{{- end}};

CREATE MATERIALIZED VIEW IF NOT EXISTS mastra_trace_totals_mv TO mastra_trace_totals AS
SELECT project_id, trace_id, start_date, countState() AS copies, uniqState(span_id) AS span_ids, maxState(is_error) AS errs,
    sumState(input_tokens) AS tin, sumState(output_tokens) AS tout, sumState(cache_read_tokens) AS tcr,
    sumState(cache_write_tokens) AS tcw, sumState(reasoning_tokens) AS trs,
    groupArrayIfState(assumeNotNull(cost_usd), isNotNull(cost_usd)) AS costs, groupUniqArrayState(CAST(model AS String)) AS models
FROM mastra_spans GROUP BY project_id, trace_id, start_date;

INSERT INTO mastra_trace_totals (project_id, trace_id, start_date, copies, span_ids, errs, tin, tout, tcr, tcw, trs, costs, models)
SELECT project_id, trace_id, start_date, countState(), uniqState(span_id), maxState(is_error),
    sumState(input_tokens), sumState(output_tokens), sumState(cache_read_tokens), sumState(cache_write_tokens), sumState(reasoning_tokens),
    groupArrayIfState(assumeNotNull(cost_usd), isNotNull(cost_usd)), groupUniqArrayState(CAST(model AS String))
FROM mastra_spans GROUP BY project_id, trace_id, start_date;
