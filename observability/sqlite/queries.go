package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

// ListTraces implements admin.ObservabilityQuerier: the root spans in range
// are filtered and joined with their trace's totals (by primary key), in
// one statement.
func (s *Store) ListTraces(ctx context.Context, q admin.TraceQuery) (admin.TracePage, error) {
	const op = "list traces"
	if s.closed.Load() {
		return admin.TracePage{}, s.fail(op, admin.ErrClosed)
	}
	if q.ProjectID == "" {
		return admin.TracePage{}, s.fail(op, invalid("ProjectID", "is required"))
	}
	from, to, err := s.window(q.From, q.To)
	if err != nil {
		return admin.TracePage{}, s.fail(op, err)
	}
	limit, err := observability.PageLimit(q.Limit)
	if err != nil {
		return admin.TracePage{}, s.fail(op, err)
	}
	sortBy, err := observability.TraceListSort(q)
	if err != nil {
		return admin.TracePage{}, s.fail(op, err)
	}
	keyExpr := "t.cost"
	switch sortBy {
	case admin.TraceSortTime:
		keyExpr = "r.start_ns"
	case admin.TraceSortDuration:
		keyExpr = "r.duration_ns"
	}
	cur, err := observability.DecodeCursor(q.Cursor, string(sortBy))
	if err != nil {
		return admin.TracePage{}, s.fail(op, err)
	}

	where := []string{"r.project_id = ?", "r.is_root = 1", "r.start_ns >= ?", "r.start_ns < ?", "r.duration_ns >= ?"}
	args := []any{q.ProjectID, from, to, q.MinDuration.Nanoseconds()}
	for _, f := range []struct{ col, v string }{{"r.deployment_id", q.DeploymentID}, {"r.build_id", q.BuildID},
		{"r.entity_type", q.EntityType}, {"r.entity_name", q.EntityName}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	switch q.Status {
	case admin.TraceStatusOK:
		where = append(where, "t.errors = 0")
	case admin.TraceStatusError:
		where = append(where, "t.errors > 0")
	}
	if q.Model != "" {
		where = append(where, "t.models > 0")
	}
	order := keyExpr + " DESC, r.trace_id"
	if cur != nil {
		switch {
		case sortBy != admin.TraceSortCost:
			where = append(where, "("+keyExpr+" < ? OR ("+keyExpr+" = ? AND r.trace_id > ?))")
			args = append(args, cur.Key, cur.Key, cur.ID)
		case cur.NoCost:
			where = append(where, "(t.cost IS NULL AND r.trace_id > ?)")
			args = append(args, cur.ID)
		default:
			where = append(where, "(t.cost IS NULL OR t.cost < ? OR (t.cost = ? AND r.trace_id > ?))")
			args = append(args, cur.Cost(), cur.Cost(), cur.ID)
		}
	}
	if sortBy == admin.TraceSortCost {
		order = "t.cost IS NULL, " + order
	}
	// The totals are those of every span of the trace, whatever its start.
	// When no condition or order needs them, the page of root spans is
	// chosen first and only its traces are totalled.
	const cols = `r.trace_id, r.deployment_id, r.build_id, r.name, r.span_type, r.entity_type, r.entity_id, r.entity_name,
		r.start_ns, r.duration_ns, t.n, t.errors, t.i, t.o, t.cr, t.cw, t.rs, t.cost`
	const totals = `SELECT trace_id, count(*) AS n, sum(error != '') AS errors, sum(input_tokens) AS i, sum(output_tokens) AS o,
			sum(cache_read_tokens) AS cr, sum(cache_write_tokens) AS cw, sum(reasoning_tokens) AS rs, sum(cost_usd) AS cost,
			sum(model = ?) AS models
		FROM obs_spans WHERE project_id = ? AND trace_id IN `
	var stmt string
	if q.Status == "" && q.Model == "" && sortBy != admin.TraceSortCost {
		stmt = `WITH r AS (SELECT * FROM obs_spans r WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ?)
		SELECT ` + cols + ` FROM r JOIN (` + totals + `(SELECT trace_id FROM r) GROUP BY trace_id) t ON t.trace_id = r.trace_id
		ORDER BY ` + order
		args = append(args, limit+1, q.Model, q.ProjectID)
	} else {
		stmt = `SELECT ` + cols + ` FROM obs_spans r JOIN (` + totals + `(
			SELECT trace_id FROM obs_spans WHERE project_id = ? AND is_root = 1 AND start_ns >= ? AND start_ns < ?)
		GROUP BY trace_id) t ON t.trace_id = r.trace_id
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + order + ` LIMIT ?`
		args = append([]any{q.Model, q.ProjectID, q.ProjectID, from, to}, args...)
		args = append(args, limit+1)
	}
	rows, err := s.db.QueryContext(ctx, stmt, args...)
	if err != nil {
		return admin.TracePage{}, s.fail(op, err)
	}
	defer rows.Close()
	var page admin.TracePage
	for rows.Next() {
		var t admin.TraceSummary
		var start, dur int64
		var errs int
		var cost sql.NullFloat64
		if err := rows.Scan(&t.TraceID, &t.DeploymentID, &t.BuildID, &t.RootName, &t.RootType, &t.EntityType, &t.EntityID, &t.EntityName,
			&start, &dur, &t.SpanCount, &errs, &t.InputTokens, &t.OutputTokens, &t.CacheReadTokens, &t.CacheWriteTokens,
			&t.ReasoningTokens, &cost); err != nil {
			return admin.TracePage{}, s.fail(op, err)
		}
		t.Start, t.Duration, t.Error = time.Unix(0, start).UTC(), time.Duration(dur), errs > 0
		if cost.Valid {
			c := cost.Float64
			t.CostUSD = &c
		}
		page.Traces = append(page.Traces, t)
	}
	if err := rows.Err(); err != nil {
		return admin.TracePage{}, s.fail(op, err)
	}
	if len(page.Traces) > limit {
		page.Traces = page.Traces[:limit]
		last := page.Traces[limit-1]
		page.NextCursor = observability.TraceCursor(sortBy, last).Encode()
	}
	return page, nil
}

// GetTrace implements admin.ObservabilityQuerier.
func (s *Store) GetTrace(ctx context.Context, q admin.TraceGet) ([]admin.Span, error) {
	const op = "get trace"
	if s.closed.Load() {
		return nil, s.fail(op, admin.ErrClosed)
	}
	switch {
	case q.ProjectID == "":
		return nil, s.fail(op, invalid("ProjectID", "is required"))
	case q.TraceID == "":
		return nil, s.fail(op, invalid("TraceID", "is required"))
	}
	from, to, err := s.window(q.From, q.To)
	if err != nil {
		return nil, s.fail(op, err)
	}
	rows, err := s.db.QueryContext(ctx, getTraceSQL, q.ProjectID, q.TraceID, from, to)
	if err != nil {
		return nil, s.fail(op, err)
	}
	spans, err := collectSpans(rows, func(err error) error { return s.fail(op, err) })
	if err != nil {
		return nil, err
	}
	if len(spans) == 0 {
		return nil, s.fail(op, fmt.Errorf("trace %q: %w", q.TraceID, admin.ErrNotFound))
	}
	return spans, nil
}

// SearchLogs implements admin.ObservabilityQuerier. Text is matched against
// the message lowered with strings.ToLower at insert.
func (s *Store) SearchLogs(ctx context.Context, q admin.LogQuery) (admin.LogPage, error) {
	const op = "search logs"
	if s.closed.Load() {
		return admin.LogPage{}, s.fail(op, admin.ErrClosed)
	}
	if q.ProjectID == "" {
		return admin.LogPage{}, s.fail(op, invalid("ProjectID", "is required"))
	}
	from, to, err := s.window(q.From, q.To)
	if err != nil {
		return admin.LogPage{}, s.fail(op, err)
	}
	limit, err := observability.PageLimit(q.Limit)
	if err != nil {
		return admin.LogPage{}, s.fail(op, err)
	}
	sev, err := observability.MinSeverity(q.Level)
	if err != nil {
		return admin.LogPage{}, s.fail(op, err)
	}
	cur, err := observability.DecodeCursor(q.Cursor, observability.LogsSort)
	if err != nil {
		return admin.LogPage{}, s.fail(op, err)
	}
	where := []string{"project_id = ?", "ts_ns >= ?", "ts_ns < ?", "severity >= ?"}
	args := []any{q.ProjectID, from, to, sev}
	if q.Text != "" {
		where = append(where, "instr(message_fold, ?) > 0")
		args = append(args, strings.ToLower(q.Text))
	}
	for _, f := range []struct{ col, v string }{{"trace_id", q.TraceID}, {"deployment_id", q.DeploymentID}} {
		if f.v != "" {
			where = append(where, f.col+" = ?")
			args = append(args, f.v)
		}
	}
	if cur != nil {
		where = append(where, "(ts_ns < ? OR (ts_ns = ? AND id > ?))")
		args = append(args, cur.Key, cur.Key, cur.ID)
	}
	args = append(args, limit+1)
	rows, err := s.db.QueryContext(ctx, `SELECT `+logCols+` FROM obs_logs WHERE `+strings.Join(where, " AND ")+
		` ORDER BY ts_ns DESC, id LIMIT ?`, args...)
	if err != nil {
		return admin.LogPage{}, s.fail(op, err)
	}
	logs, err := collectLogs(rows, func(err error) error { return s.fail(op, err) })
	if err != nil {
		return admin.LogPage{}, err
	}
	page := admin.LogPage{Logs: logs}
	if len(logs) > limit {
		page.Logs = logs[:limit]
		last := page.Logs[limit-1]
		page.NextCursor = observability.LogCursor(last).Encode()
	}
	return page, nil
}

// Metrics implements admin.ObservabilityQuerier; percentiles are exact,
// interpolated linearly.
func (s *Store) Metrics(ctx context.Context, q admin.MetricsQuery) (admin.Metrics, error) {
	const op = "metrics"
	if s.closed.Load() {
		return admin.Metrics{}, s.fail(op, admin.ErrClosed)
	}
	if q.ProjectID == "" {
		return admin.Metrics{}, s.fail(op, invalid("ProjectID", "is required"))
	}
	from, to, err := s.window(q.From, q.To)
	if err != nil {
		return admin.Metrics{}, s.fail(op, err)
	}
	b, err := observability.MetricsBucket(q.Bucket, from, to)
	if err != nil {
		return admin.Metrics{}, s.fail(op, err)
	}
	var out admin.Metrics

	type entityKey struct {
		bucket     int64
		etype, ent string
	}
	runs := map[entityKey]*admin.EntityMetrics{}
	durs := map[entityKey][]time.Duration{}
	rows, err := s.db.QueryContext(ctx, `SELECT start_ns, entity_type, entity_name, duration_ns, error != '' FROM obs_spans
		WHERE project_id = ? AND is_root = 1 AND start_ns >= ? AND start_ns < ? AND (? = '' OR deployment_id = ?)`,
		q.ProjectID, from, to, q.DeploymentID, q.DeploymentID)
	if err != nil {
		return admin.Metrics{}, s.fail(op, err)
	}
	err = eachRow(rows, func() error {
		var start, dur int64
		var k entityKey
		var failed bool
		if err := rows.Scan(&start, &k.etype, &k.ent, &dur, &failed); err != nil {
			return err
		}
		k.bucket = observability.FloorDiv(start, b) * b
		m := runs[k]
		if m == nil {
			m = &admin.EntityMetrics{Bucket: time.Unix(0, k.bucket).UTC(), EntityType: k.etype, EntityName: k.ent}
			runs[k] = m
		}
		m.Runs++
		if failed {
			m.Errors++
		}
		durs[k] = append(durs[k], time.Duration(dur))
		return nil
	})
	if err != nil {
		return admin.Metrics{}, s.fail(op, err)
	}
	for k, m := range runs {
		d := durs[k]
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		m.P50, m.P95, m.P99 = percentile(d, 0.50), percentile(d, 0.95), percentile(d, 0.99)
		out.Entities = append(out.Entities, *m)
	}
	sort.Slice(out.Entities, func(i, j int) bool {
		a, c := out.Entities[i], out.Entities[j]
		if !a.Bucket.Equal(c.Bucket) {
			return a.Bucket.Before(c.Bucket)
		}
		if a.EntityType != c.EntityType {
			return a.EntityType < c.EntityType
		}
		return a.EntityName < c.EntityName
	})

	rows, err = s.db.QueryContext(ctx, `SELECT (start_ns - (((start_ns % ?) + ?) % ?)) AS b, model, count(*), sum(input_tokens),
		sum(output_tokens), sum(cache_read_tokens), sum(cache_write_tokens), sum(reasoning_tokens), sum(cost_usd)
		FROM obs_spans WHERE project_id = ? AND start_ns >= ? AND start_ns < ? AND (? = '' OR deployment_id = ?)
		AND model != '' AND (input_tokens > 0 OR output_tokens > 0)
		GROUP BY b, model ORDER BY b, model`, b, b, b, q.ProjectID, from, to, q.DeploymentID, q.DeploymentID)
	if err != nil {
		return admin.Metrics{}, s.fail(op, err)
	}
	err = eachRow(rows, func() error {
		var m admin.ModelMetrics
		var bk int64
		var cost sql.NullFloat64
		if err := rows.Scan(&bk, &m.Model, &m.Calls, &m.InputTokens, &m.OutputTokens, &m.CacheReadTokens, &m.CacheWriteTokens,
			&m.ReasoningTokens, &cost); err != nil {
			return err
		}
		m.Bucket = time.Unix(0, bk).UTC()
		if cost.Valid {
			c := cost.Float64
			m.CostUSD = &c
		}
		out.Models = append(out.Models, m)
		return nil
	})
	if err != nil {
		return admin.Metrics{}, s.fail(op, err)
	}
	return out, nil
}

func eachRow(rows *sql.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}

// percentile interpolates linearly between d[⌊q(n-1)⌋] and d[⌈q(n-1)⌉] of
// the sorted durations d.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	pos := q * float64(len(d)-1)
	lo, hi := int(math.Floor(pos)), int(math.Ceil(pos))
	return d[lo] + time.Duration(math.Round(float64(d[hi]-d[lo])*(pos-float64(lo))))
}

// getTraceSQL reads one trace's spans. The unary + keeps the planner on the
// primary key (project, trace): on the start_ns index it would scan the
// whole time range (seconds at 1M spans; TestGetTracePlan).
const getTraceSQL = `SELECT ` + spanCols + ` FROM obs_spans WHERE project_id = ? AND trace_id = ?
	AND +start_ns >= ? AND +start_ns < ? ORDER BY +start_ns, span_id`
