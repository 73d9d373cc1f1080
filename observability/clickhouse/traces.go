package clickhouse

import (
	"context"
	"fmt"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Traces lists the traces of q.ProjectID whose root span started in
// [q.From, q.To) (of q.DeploymentID when set), newest first, at most
// q.Limit (DefaultLimit when 0). A trace appears once its root span is
// stored. It reads the page's root spans in the time range first, then the
// totals of those traces only, by primary key; both steps pick the newest
// copy of each span with LIMIT 1 BY, without FINAL.
func (s *Store) Traces(ctx context.Context, q admin.TelemetryQuery) ([]admin.TraceSummary, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("clickhouse: list traces: %w", err)
	}
	limit, err := checkQuery(q)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: list traces: %w", err)
	}
	var w where
	w.add("project_id = ?", q.ProjectID)
	w.add("is_root = 1")
	if q.TraceID != "" {
		w.add("trace_id = ?", q.TraceID)
	}
	if q.DeploymentID != "" {
		w.add("deployment_id = ?", q.DeploymentID)
	}
	w.timeRange(q, "start_ns", "start_date")
	const rootCols = "trace_id, span_id, deployment_id, name, span_type, entity_type, entity_name, start_ns, duration_ns"
	rows, err := s.conn.Query(ctx, "SELECT "+rootCols+" FROM (SELECT "+rootCols+" FROM mastra_spans WHERE "+w.String()+
		" ORDER BY version DESC LIMIT 1 BY trace_id, span_id) ORDER BY start_ns DESC, trace_id LIMIT 1 BY trace_id LIMIT ?",
		append(w.args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: list traces: %w", err)
	}
	var out []admin.TraceSummary
	index := map[string]int{}
	var ids []any
	for rows.Next() {
		var t admin.TraceSummary
		var rootID string
		var start, dur int64
		if err := rows.Scan(&t.TraceID, &rootID, &t.DeploymentID, &t.RootName, &t.RootType, &t.EntityType, &t.EntityName, &start, &dur); err != nil {
			rows.Close()
			return nil, fmt.Errorf("clickhouse: list traces: %w", err)
		}
		t.Start, t.Duration = time.Unix(0, start).UTC(), time.Duration(dur)
		index[t.TraceID] = len(out)
		ids = append(ids, t.TraceID)
		out = append(out, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: list traces: %w", err)
	}
	if len(ids) == 0 {
		return out, nil
	}
	totals, err := s.conn.Query(ctx, `SELECT trace_id, count(), max(is_error), sum(input_tokens), sum(output_tokens) FROM (
		SELECT trace_id, span_id, is_error, input_tokens, output_tokens FROM mastra_spans
		WHERE project_id = ? AND trace_id IN ?
		ORDER BY version DESC LIMIT 1 BY trace_id, span_id) GROUP BY trace_id`, q.ProjectID, clickhouse.GroupSet{Value: ids})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: list traces: totals: %w", err)
	}
	defer totals.Close()
	for totals.Next() {
		var id string
		var n uint64
		var isErr uint8
		var in, outTok int64
		if err := totals.Scan(&id, &n, &isErr, &in, &outTok); err != nil {
			return nil, fmt.Errorf("clickhouse: list traces: totals: %w", err)
		}
		if i, ok := index[id]; ok {
			out[i].SpanCount, out[i].Error, out[i].InputTokens, out[i].OutputTokens = int(n), isErr == 1, in, outTok
		}
	}
	if err := totals.Err(); err != nil {
		return nil, fmt.Errorf("clickhouse: list traces: totals: %w", err)
	}
	return out, nil
}
