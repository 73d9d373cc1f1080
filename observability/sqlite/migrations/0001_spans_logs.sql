CREATE TABLE obs_spans (
	project_id         TEXT NOT NULL,
	trace_id           TEXT NOT NULL,
	span_id            TEXT NOT NULL,
	parent_span_id     TEXT NOT NULL,
	name               TEXT NOT NULL,
	span_type          TEXT NOT NULL,
	deployment_id      TEXT NOT NULL,
	build_id           TEXT NOT NULL,
	start_ns           INTEGER NOT NULL,
	end_ns             INTEGER NOT NULL,
	duration_ns        INTEGER NOT NULL,
	is_root            INTEGER NOT NULL,
	error              TEXT NOT NULL,
	entity_type        TEXT NOT NULL,
	entity_id          TEXT NOT NULL,
	entity_name        TEXT NOT NULL,
	model              TEXT NOT NULL,
	provider           TEXT NOT NULL,
	input_tokens       INTEGER NOT NULL,
	output_tokens      INTEGER NOT NULL,
	cache_read_tokens  INTEGER NOT NULL,
	cache_write_tokens INTEGER NOT NULL,
	reasoning_tokens   INTEGER NOT NULL,
	cost_usd           REAL,
	attributes         TEXT,
	PRIMARY KEY (project_id, trace_id, span_id)
) STRICT;
CREATE INDEX obs_spans_roots ON obs_spans (project_id, is_root, start_ns);
CREATE INDEX obs_spans_start ON obs_spans (project_id, start_ns);

CREATE TABLE obs_logs (
	project_id    TEXT NOT NULL,
	id            TEXT NOT NULL,
	ts_ns         INTEGER NOT NULL,
	level         TEXT NOT NULL,
	severity      INTEGER NOT NULL,
	message       TEXT NOT NULL,
	message_fold  TEXT NOT NULL,
	deployment_id TEXT NOT NULL,
	build_id      TEXT NOT NULL,
	trace_id      TEXT NOT NULL,
	span_id       TEXT NOT NULL,
	data          TEXT,
	PRIMARY KEY (project_id, id)
) STRICT;
CREATE INDEX obs_logs_time ON obs_logs (project_id, ts_ns, id);
CREATE INDEX obs_logs_trace ON obs_logs (project_id, trace_id, ts_ns);
