package clickhouse

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/ext"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

// rootCols are the columns of a trace list row taken from its root span.
const rootCols = "trace_id, span_id, deployment_id, build_id, name, span_type, entity_type, entity_id, entity_name, start_ns, duration_ns"

// exactUniq is the number of values up to which uniq keeps each one's
// hash, so that it never counts more distinct values than there are.
const exactUniq = "65536"

// totals returns the statement totalling the project's traces in set (a
// table name or a subquery, with the arguments setArgs), with its
// arguments and the context to run it with: span count, error, tokens, the
// number of spans with a known cost, the cost (summed in ascending order,
// so every query gets the same float for the same spans, which keeps a
// cost cursor exact), and whether a span has the model asked for (0
// without one). Totals cover every span of the trace, whatever its start,
// each span counted once as its newest copy. ctx carries the external
// tables set may name.
//
// They are read from mastra_trace_totals (migration 0003), one row per
// trace and month, merged here. A trace whose span rows are as many as its
// span ids holds one copy of each span: its merged sums are its totals
// (span ids are counted with uniq, exact up to exactUniq rows: a trace of
// more rows takes the slow path below). The other traces (a span inserted
// again: few) are looked up first; when there are any, they are totalled
// from mastra_spans, by primary key, reduced to the newest copy of each
// span first (the newest copy's fields taken as one tuple: argMax skips
// NULL arguments; a tuple is never NULL). A span inserted again between
// the two reads leaves its trace out of that one answer (neither read
// takes it); it is never counted twice.
func (s *Store) totals(ctx context.Context, projectID, model, set string, setArgs []any) (string, []any, context.Context, error) {
	inSet := "project_id = ? AND trace_id IN " + set
	inSetArgs := append([]any{projectID}, setArgs...)
	rows, err := s.query(ctx, `SELECT trace_id FROM mastra_trace_totals WHERE `+inSet+`
		GROUP BY trace_id HAVING (countMerge(copies) AS n) != uniqMerge(span_ids) OR n > `+exactUniq, inSetArgs...)
	if err != nil {
		return "", nil, nil, fmt.Errorf("totals: %w", err)
	}
	var dirty []string
	err = eachRow(rows, func() error {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		dirty = append(dirty, id)
		return nil
	})
	if err != nil {
		return "", nil, nil, fmt.Errorf("totals: %w", err)
	}
	hasModel, args := "toUInt8(0)", []any{}
	if model != "" {
		hasModel, args = "has(groupUniqArrayMerge(models), ?)", []any{model}
	}
	stmt := `SELECT trace_id, n, errs, tin, tout, tcr, tcw, trs, toUInt64(length(costs)) AS known, arraySum(costs) AS cost, has_model FROM (
		SELECT trace_id, countMerge(copies) AS n, uniqMerge(span_ids) AS u, maxMerge(errs) AS errs, sumMerge(tin) AS tin,
			sumMerge(tout) AS tout, sumMerge(tcr) AS tcr, sumMerge(tcw) AS tcw, sumMerge(trs) AS trs,
			arraySort(groupArrayIfMerge(costs)) AS costs, ` + hasModel + ` AS has_model
		FROM mastra_trace_totals WHERE ` + inSet + ` GROUP BY trace_id)
	WHERE n = u AND n <= ` + exactUniq
	args = append(args, inSetArgs...)
	if len(dirty) == 0 {
		return stmt, args, ctx, nil
	}
	// The ids go as an external table: any number of them fits in the
	// server's max_query_size.
	dirtyTable, err := idTable("dirty_traces", dirty)
	if err != nil {
		return "", nil, nil, err
	}
	stmt += `
	UNION ALL
	SELECT trace_id, count() AS n, max(is_error) AS errs, sum(input_tokens) AS tin, sum(output_tokens) AS tout,
		sum(cache_read_tokens) AS tcr, sum(cache_write_tokens) AS tcw, sum(reasoning_tokens) AS trs, count(cost_usd) AS known,
		arraySum(arraySort(groupArray(cost_usd))) AS cost, max(model = ?) AS has_model FROM (
		SELECT trace_id, t.1 AS is_error, t.2 AS input_tokens, t.3 AS output_tokens, t.4 AS cache_read_tokens, t.5 AS cache_write_tokens,
			t.6 AS reasoning_tokens, t.7 AS cost_usd, t.8 AS model
		FROM (SELECT trace_id, argMax((is_error, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens,
			cost_usd, model), version) AS t
		FROM mastra_spans WHERE project_id = ? AND trace_id IN dirty_traces
		GROUP BY trace_id, span_id))
	GROUP BY trace_id`
	args = append(args, model, projectID)
	return stmt, args, clickhouse.Context(ctx, clickhouse.WithExternalTable(dirtyTable)), nil
}

// idTable is an external table of one String column, trace_id, holding
// ids.
func idTable(name string, ids []string) (*ext.Table, error) {
	t, err := ext.NewTable(name, ext.Column("trace_id", "String"))
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if err := t.Append(id); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// ListTraces implements admin.ObservabilityQuerier. The root spans of the
// range are read first (newest copy of each, one root per trace); when
// neither Status, Model nor the cost order needs the totals, the page is
// chosen among them and only its traces are totalled, by primary key;
// otherwise every trace of the range is totalled and joined.
func (s *Store) ListTraces(ctx context.Context, q admin.TraceQuery) (admin.TracePage, error) {
	page, err := s.listTraces(ctx, q)
	if err != nil {
		return admin.TracePage{}, s.fail("list traces", err)
	}
	return page, nil
}

func (s *Store) listTraces(ctx context.Context, q admin.TraceQuery) (admin.TracePage, error) {
	if err := s.check(); err != nil {
		return admin.TracePage{}, err
	}
	if q.ProjectID == "" {
		return admin.TracePage{}, invalid("ProjectID", "is required")
	}
	w, err := s.window(q.From, q.To)
	if err != nil {
		return admin.TracePage{}, err
	}
	limit, err := observability.PageLimit(q.Limit)
	if err != nil {
		return admin.TracePage{}, err
	}
	sortBy, err := observability.TraceListSort(q)
	if err != nil {
		return admin.TracePage{}, err
	}
	var keyCol string
	switch sortBy {
	case admin.TraceSortTime:
		keyCol = "start_ns"
	case admin.TraceSortDuration:
		keyCol = "duration_ns"
	}
	cur, err := observability.DecodeCursor(q.Cursor, string(sortBy))
	if err != nil {
		return admin.TracePage{}, err
	}

	// The roots of the range (mastra_roots, ordered by start: only the
	// range is read), the newest copy of the trace's root (of the last
	// inserted root, should a trace have several), then the filters on its
	// fields. Filters apply to the newest copy only; a span's start and
	// IsRoot are the same in every copy of it (see the package doc).
	rangeCond, rangeArgs := w.cond("start_ns", "start_date")
	roots := `SELECT ` + rootCols + ` FROM mastra_roots WHERE project_id = ? AND ` + rangeCond + `
		ORDER BY version DESC LIMIT 1 BY trace_id`
	rootArgs := append([]any{q.ProjectID}, rangeArgs...)
	// The traces of the range, for the totals: every copy of a root has
	// the same trace id, so no copy needs to be told apart.
	traceSet := `(SELECT trace_id FROM mastra_roots WHERE project_id = ? AND ` + rangeCond + `)`
	traceSetArgs := append([]any{q.ProjectID}, rangeArgs...)
	filters := []string{"duration_ns >= ?"}
	filterArgs := []any{q.MinDuration.Nanoseconds()}
	for _, f := range []struct{ col, v string }{{"deployment_id", q.DeploymentID}, {"build_id", q.BuildID},
		{"entity_type", q.EntityType}, {"entity_name", q.EntityName}} {
		if f.v != "" {
			filters = append(filters, f.col+" = ?")
			filterArgs = append(filterArgs, f.v)
		}
	}
	roots = `SELECT * FROM (` + roots + `) WHERE ` + strings.Join(filters, " AND ")
	rootArgs = append(rootArgs, filterArgs...)

	var page admin.TracePage
	if q.Status == "" && q.Model == "" && sortBy != admin.TraceSortCost {
		page.Traces, err = s.rootsPage(ctx, q, roots, rootArgs, keyCol, cur, limit)
	} else {
		page.Traces, err = s.totalledPage(ctx, q, roots, rootArgs, traceSet, traceSetArgs, keyCol, cur, limit)
	}
	if err != nil {
		return admin.TracePage{}, err
	}
	if len(page.Traces) > limit {
		page.Traces = page.Traces[:limit]
		last := page.Traces[limit-1]
		page.NextCursor = observability.TraceCursor(sortBy, last).Encode()
	}
	return page, nil
}

// rootsPage picks the page (limit+1 rows, to tell whether more follow)
// among the roots by time or duration, then totals its traces only.
func (s *Store) rootsPage(ctx context.Context, q admin.TraceQuery, roots string, args []any, keyCol string, cur *observability.Cursor, limit int) ([]admin.TraceSummary, error) {
	stmt := `SELECT ` + rootCols + ` FROM (` + roots + `)`
	if cur != nil {
		stmt += ` WHERE (` + keyCol + ` < ? OR (` + keyCol + ` = ? AND trace_id > ?))`
		args = append(args, cur.Key, cur.Key, cur.ID)
	}
	stmt += ` ORDER BY ` + keyCol + ` DESC, trace_id LIMIT ?`
	rows, err := s.query(ctx, stmt, append(args, limit+1)...)
	if err != nil {
		return nil, err
	}
	var out []admin.TraceSummary
	index := map[string]int{}
	var ids []string
	err = eachRow(rows, func() error {
		t, err := scanRoot(rows)
		if err != nil {
			return err
		}
		index[t.TraceID] = len(out)
		ids = append(ids, t.TraceID)
		out = append(out, t)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	// The page's trace ids go as an external table, not in the statement:
	// ids of any length never push it past the server's max_query_size.
	pageTable, err := idTable("page_traces", ids)
	if err != nil {
		return nil, err
	}
	ctx = clickhouse.Context(ctx, clickhouse.WithExternalTable(pageTable))
	stmt, args, ctx, err = s.totals(ctx, q.ProjectID, q.Model, "page_traces", nil)
	if err != nil {
		return nil, err
	}
	rows, err = s.query(ctx, stmt, args...)
	if err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	err = eachRow(rows, func() error {
		var id string
		var t admin.TraceSummary
		var hasModel uint8
		if err := scanTotals(rows, &id, &t, &hasModel); err != nil {
			return err
		}
		if i, ok := index[id]; ok {
			setTotals(&out[i], &t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("totals: %w", err)
	}
	return out, nil
}

// totalledPage totals every trace of the roots, then filters by status
// and model and orders by any key, cost included.
func (s *Store) totalledPage(ctx context.Context, q admin.TraceQuery, roots string, rootArgs []any, traceSet string, traceSetArgs []any,
	keyCol string, cur *observability.Cursor, limit int) ([]admin.TraceSummary, error) {
	var where []string
	var whereArgs []any
	switch q.Status {
	case admin.TraceStatusOK:
		where = append(where, "errs = 0")
	case admin.TraceStatusError:
		where = append(where, "errs = 1")
	}
	if q.Model != "" {
		where = append(where, "has_model = 1")
	}
	// The cost cursor's float comes back from its bits, exactly.
	const costArg = "reinterpretAsFloat64(reinterpretAsString(toUInt64(?)))"
	order := keyCol + " DESC, trace_id"
	if keyCol == "" {
		order = "known = 0, cost DESC, trace_id"
	}
	if cur != nil {
		switch {
		case keyCol != "":
			where = append(where, "("+keyCol+" < ? OR ("+keyCol+" = ? AND trace_id > ?))")
			whereArgs = append(whereArgs, cur.Key, cur.Key, cur.ID)
		case cur.NoCost:
			where = append(where, "(known = 0 AND trace_id > ?)")
			whereArgs = append(whereArgs, cur.ID)
		default:
			where = append(where, "(known = 0 OR cost < "+costArg+" OR (cost = "+costArg+" AND trace_id > ?))")
			whereArgs = append(whereArgs, cur.CostBits, cur.CostBits, cur.ID)
		}
	}
	totals, totalsArgs, ctx, err := s.totals(ctx, q.ProjectID, q.Model, traceSet, traceSetArgs)
	if err != nil {
		return nil, err
	}
	stmt := `SELECT ` + rootCols + `, n, errs, tin, tout, tcr, tcw, trs, known, cost FROM (` + roots + `)
		ANY INNER JOIN (` + totals + `) USING trace_id`
	args := append(append([]any{}, rootArgs...), totalsArgs...)
	if len(where) > 0 {
		stmt += ` WHERE ` + strings.Join(where, " AND ")
		args = append(args, whereArgs...)
	}
	stmt += ` ORDER BY ` + order + ` LIMIT ?`
	rows, err := s.query(ctx, stmt, append(args, limit+1)...)
	if err != nil {
		return nil, err
	}
	var out []admin.TraceSummary
	err = eachRow(rows, func() error {
		var t admin.TraceSummary
		var rootID string
		var start, dur int64
		var n, known uint64
		var errs uint8
		var cost float64
		if err := rows.Scan(&t.TraceID, &rootID, &t.DeploymentID, &t.BuildID, &t.RootName, &t.RootType, &t.EntityType, &t.EntityID,
			&t.EntityName, &start, &dur, &n, &errs, &t.InputTokens, &t.OutputTokens, &t.CacheReadTokens, &t.CacheWriteTokens,
			&t.ReasoningTokens, &known, &cost); err != nil {
			return err
		}
		t.Start, t.Duration, t.SpanCount, t.Error = time.Unix(0, start).UTC(), time.Duration(dur), int(n), errs == 1
		if known > 0 {
			t.CostUSD = &cost
		}
		out = append(out, t)
		return nil
	})
	return out, err
}

func scanRoot(rows driver.Rows) (admin.TraceSummary, error) {
	var t admin.TraceSummary
	var rootID string
	var start, dur int64
	err := rows.Scan(&t.TraceID, &rootID, &t.DeploymentID, &t.BuildID, &t.RootName, &t.RootType, &t.EntityType, &t.EntityID,
		&t.EntityName, &start, &dur)
	t.Start, t.Duration = time.Unix(0, start).UTC(), time.Duration(dur)
	return t, err
}

// scanTotals reads a row of totals into t's totals.
func scanTotals(rows driver.Rows, id *string, t *admin.TraceSummary, hasModel *uint8) error {
	var n, known uint64
	var errs uint8
	var cost float64
	if err := rows.Scan(id, &n, &errs, &t.InputTokens, &t.OutputTokens, &t.CacheReadTokens, &t.CacheWriteTokens,
		&t.ReasoningTokens, &known, &cost, hasModel); err != nil {
		return err
	}
	t.SpanCount, t.Error = int(n), errs == 1
	if known > 0 {
		t.CostUSD = &cost
	}
	return nil
}

// setTotals copies the totals of t into dst.
func setTotals(dst, t *admin.TraceSummary) {
	dst.SpanCount, dst.Error, dst.CostUSD = t.SpanCount, t.Error, t.CostUSD
	dst.InputTokens, dst.OutputTokens, dst.CacheReadTokens = t.InputTokens, t.OutputTokens, t.CacheReadTokens
	dst.CacheWriteTokens, dst.ReasoningTokens = t.CacheWriteTokens, t.ReasoningTokens
}

// GetTrace implements admin.ObservabilityQuerier: the trace's spans are
// read by primary key inside the time range, newest copy of each.
func (s *Store) GetTrace(ctx context.Context, q admin.TraceGet) ([]admin.Span, error) {
	spans, err := s.getTrace(ctx, q)
	if err != nil {
		return nil, s.fail("get trace", err)
	}
	return spans, nil
}

func (s *Store) getTrace(ctx context.Context, q admin.TraceGet) ([]admin.Span, error) {
	if err := s.check(); err != nil {
		return nil, err
	}
	switch {
	case q.ProjectID == "":
		return nil, invalid("ProjectID", "is required")
	case q.TraceID == "":
		return nil, invalid("TraceID", "is required")
	}
	w, err := s.window(q.From, q.To)
	if err != nil {
		return nil, err
	}
	rangeCond, rangeArgs := w.cond("start_ns", "start_date")
	rows, err := s.query(ctx, `SELECT `+spanReadCols+` FROM (SELECT `+spanReadCols+` FROM mastra_spans
		WHERE project_id = ? AND trace_id = ? AND `+rangeCond+` ORDER BY version DESC LIMIT 1 BY span_id)
		ORDER BY start_ns, span_id`, append([]any{q.ProjectID, q.TraceID}, rangeArgs...)...)
	if err != nil {
		return nil, err
	}
	spans, err := scanSpans(rows)
	if err != nil {
		return nil, err
	}
	if len(spans) == 0 {
		return nil, fmt.Errorf("trace %q: %w", q.TraceID, admin.ErrNotFound)
	}
	return spans, nil
}

// eachRow calls fn for every row, then closes rows.
func eachRow(rows driver.Rows, fn func() error) error {
	defer rows.Close()
	for rows.Next() {
		if err := fn(); err != nil {
			return err
		}
	}
	return errors.Join(rows.Err(), rows.Close())
}
