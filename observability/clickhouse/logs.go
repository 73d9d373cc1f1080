package clickhouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
	"github.com/mastra-admin/mastra-admin-go/observability/internal/jsonvalid"
)

const logColumns = "project_id, deployment_id, build_id, ts_ns, id, level, message, trace_id, span_id, data, version"

// LogID is the id a log record is stored under: its ID when set, else a
// hash of all its fields, so the same line inserted twice has one id and
// replaces itself.
func LogID(l *admin.LogRecord) string {
	if l.ID != "" {
		return l.ID
	}
	h := sha256.New()
	hashFields(h, l.ProjectID, l.DeploymentID, l.BuildID, l.Level, l.Message, l.TraceID, l.SpanID, string(l.Data))
	hashInts(h, l.Time.UnixNano())
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func validLog(i int, l *admin.LogRecord) error {
	field := ""
	switch {
	case l.ProjectID == "":
		field = "ProjectID"
	case l.Time.IsZero():
		field = "Time"
	case len(l.Data) > 0 && !jsonvalid.Valid(l.Data):
		return &admin.ValidationError{Field: fmt.Sprintf("logs[%d].Data", i), Reason: "is not valid JSON"}
	}
	if field != "" {
		return &admin.ValidationError{Field: fmt.Sprintf("logs[%d].%s", i, field), Reason: "is required"}
	}
	return nil
}

// InsertLogs stores log records in one batch. A record inserted again
// (identical in every field, see LogID) replaces the earlier copy. Invalid
// records fail the whole call with admin.ErrInvalidArgument before
// anything is sent.
func (s *Store) InsertLogs(ctx context.Context, logs []admin.LogRecord) error {
	if err := s.check(); err != nil {
		return fmt.Errorf("clickhouse: insert logs: %w", err)
	}
	for i := range logs {
		if err := validLog(i, &logs[i]); err != nil {
			return fmt.Errorf("clickhouse: insert logs: %w", err)
		}
	}
	if len(logs) == 0 {
		return nil
	}
	n := len(logs)
	version := s.versions(n)
	tok := s.tokenHash()
	project, deployment, build, ids, level, msg, trace, span, data := make([]string, n), make([]string, n), make([]string, n),
		make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	ts, versions := make([]int64, n), make([]uint64, n)
	logIDs := make([]string, n) // in the order given
	for i := range logs {
		logIDs[i] = LogID(&logs[i])
	}
	// In the table's order (see keyOrder): project, deployment, time, id.
	order := keyOrder(n, func(a, b int) int {
		x, y := &logs[a], &logs[b]
		if c := strings.Compare(x.ProjectID, y.ProjectID); c != 0 {
			return c
		}
		if c := strings.Compare(x.DeploymentID, y.DeploymentID); c != 0 {
			return c
		}
		if c := x.Time.Compare(y.Time); c != 0 {
			return c
		}
		return strings.Compare(logIDs[a], logIDs[b])
	})
	for i := range logs {
		j := order(i) // row i is log line j
		l := &logs[j]
		ids[i] = logIDs[j]
		if tok != nil {
			hashFields(tok, ids[i])
		}
		project[i], deployment[i], build[i], ts[i], level[i], msg[i] = l.ProjectID, l.DeploymentID, l.BuildID, l.Time.UnixNano(), l.Level, l.Message
		trace[i], span[i], data[i], versions[i] = l.TraceID, l.SpanID, string(l.Data), version+uint64(j)
	}
	// In the order of logColumns.
	err := s.insert(ctx, "mastra_logs", logColumns, tok, n, []any{project, deployment, build, ts, ids, level, msg, trace, span, data, versions})
	if err != nil {
		return fmt.Errorf("clickhouse: insert %d logs: %w", len(logs), err)
	}
	return nil
}

// QueryLogs returns the log records of q.ProjectID logged in [q.From, q.To)
// (either bound may be zero: open), of q.DeploymentID and q.TraceID when
// set, oldest first, at most q.Limit (DefaultLimit when 0). Each record
// appears once.
func (s *Store) QueryLogs(ctx context.Context, q admin.TelemetryQuery) ([]admin.LogRecord, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("clickhouse: query logs: %w", err)
	}
	out, err := s.queryLogs(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: query logs: %w", err)
	}
	return out, nil
}

// queryLogs runs QueryLogs.
func (s *Store) queryLogs(ctx context.Context, q admin.TelemetryQuery) ([]admin.LogRecord, error) {
	limit, err := checkQuery(q)
	if err != nil {
		return nil, err
	}
	var w where
	w.add("project_id = ?", q.ProjectID)
	if q.DeploymentID != "" {
		w.add("deployment_id = ?", q.DeploymentID)
	}
	if q.TraceID != "" {
		w.add("trace_id = ?", q.TraceID)
	}
	w.timeRange(q, "ts_ns", "log_date")
	query := "SELECT " + logReadCols + " FROM (SELECT " + logReadCols + " FROM mastra_logs WHERE " + w.String() +
		" ORDER BY version DESC LIMIT 1 BY id) ORDER BY ts_ns, id LIMIT ?"
	rows, err := s.query(ctx, query, append(w.args, limit)...)
	if err != nil {
		return nil, err
	}
	return scanLogs(rows)
}

// logReadCols are the columns scanLogs reads.
const logReadCols = "project_id, deployment_id, build_id, ts_ns, id, level, message, trace_id, span_id, data"

// scanLogs reads rows of logReadCols, then closes rows.
func scanLogs(rows driver.Rows) ([]admin.LogRecord, error) {
	var out []admin.LogRecord
	err := eachRow(rows, func() error {
		var l admin.LogRecord
		var ts int64
		var data string
		if err := rows.Scan(&l.ProjectID, &l.DeploymentID, &l.BuildID, &ts, &l.ID, &l.Level, &l.Message,
			&l.TraceID, &l.SpanID, &data); err != nil {
			return err
		}
		l.Time = time.Unix(0, ts).UTC()
		if data != "" {
			l.Data = json.RawMessage(data)
		}
		out = append(out, l)
		return nil
	})
	return out, err
}

// firstLogWindow is the time window SearchLogs reads first, at the top of
// its range; from maxLogWindow (18 years) on, it reads the whole range.
const (
	firstLogWindow = 15 * time.Minute
	maxLogWindow   = 1 << 59
)

// levelCond is the condition on level of the lines at least as severe as
// min (checked by observability.MinSeverity). A line of another level
// counts as info (as in the embedded store).
func levelCond(min string) (string, error) {
	sev, err := observability.MinSeverity(min)
	return []string{"", "level != 'debug'", "level IN ('warn', 'error')", "level = 'error'"}[sev], err
}

// SearchLogs implements admin.ObservabilityQuerier. The lines of the
// range (after the cursor) are read and reduced to the newest copy of each
// first; the filters then apply to that copy. Text is matched with
// positionCaseInsensitiveUTF8, so %, _ and \ are plain characters.
func (s *Store) SearchLogs(ctx context.Context, q admin.LogQuery) (admin.LogPage, error) {
	page, err := s.searchLogs(ctx, q)
	if err != nil {
		return admin.LogPage{}, s.fail("search logs", err)
	}
	return page, nil
}

func (s *Store) searchLogs(ctx context.Context, q admin.LogQuery) (admin.LogPage, error) {
	if err := s.check(); err != nil {
		return admin.LogPage{}, err
	}
	if q.ProjectID == "" {
		return admin.LogPage{}, invalid("ProjectID", "is required")
	}
	w, err := s.window(q.From, q.To)
	if err != nil {
		return admin.LogPage{}, err
	}
	limit, err := observability.PageLimit(q.Limit)
	if err != nil {
		return admin.LogPage{}, err
	}
	level, err := levelCond(q.Level)
	if err != nil {
		return admin.LogPage{}, err
	}
	cur, err := observability.DecodeCursor(q.Cursor, observability.LogsSort)
	if err != nil {
		return admin.LogPage{}, err
	}
	var outer []string
	var outerArgs []any
	if level != "" {
		outer = append(outer, level)
	}
	if q.Text != "" {
		outer = append(outer, "positionCaseInsensitiveUTF8(message, ?) > 0")
		outerArgs = append(outerArgs, q.Text)
	}
	for _, f := range []struct{ col, v string }{{"trace_id", q.TraceID}, {"deployment_id", q.DeploymentID}} {
		if f.v != "" {
			outer = append(outer, f.col+" = ?")
			outerArgs = append(outerArgs, f.v)
		}
	}
	top := w.to
	if cur != nil {
		// A line's time is the same in every copy: what is after the
		// cursor in time can be left unread.
		top = min(top, cur.Key+1)
		outer = append(outer, "(ts_ns < ? OR (ts_ns = ? AND id > ?))")
		outerArgs = append(outerArgs, cur.Key, cur.Key, cur.ID)
	}
	stmt := "SELECT " + logReadCols + " FROM (SELECT " + logReadCols + " FROM mastra_logs WHERE project_id = ? AND %s" +
		" ORDER BY version DESC LIMIT 1 BY id)"
	if len(outer) > 0 {
		stmt += " WHERE " + strings.Join(outer, " AND ")
	}
	stmt += " ORDER BY ts_ns DESC, id LIMIT ?"
	// The newest lines are read first: a window ending at the top of the
	// range, widened eightfold until it holds a full page or the whole
	// range. Every line of a window is reduced to its newest copy before
	// the filters, so the cost of a page follows the lines of the window,
	// not of the range; since the window holds every line newer than its
	// start, a full page from it is the page of the whole range.
	var logs []admin.LogRecord
	for width := int64(firstLogWindow); ; width *= 8 {
		win := bounds{from: w.from, to: top}
		if width < maxLogWindow && top-width > w.from {
			win.from = top - width
		}
		win.fromDay, win.lastDay = dayOf(win.from), dayOf(win.to)
		rangeCond, rangeArgs := win.cond("ts_ns", "log_date")
		args := append(append([]any{q.ProjectID}, rangeArgs...), outerArgs...)
		rows, err := s.query(ctx, fmt.Sprintf(stmt, rangeCond), append(args, limit+1)...)
		if err != nil {
			return admin.LogPage{}, err
		}
		if logs, err = scanLogs(rows); err != nil {
			return admin.LogPage{}, err
		}
		if len(logs) > limit || win.from == w.from {
			break
		}
	}
	page := admin.LogPage{Logs: logs}
	if len(logs) > limit {
		page.Logs = logs[:limit]
		last := page.Logs[limit-1]
		page.NextCursor = observability.LogCursor(last).Encode()
	}
	return page, nil
}
