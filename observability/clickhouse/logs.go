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
	case len(l.Data) > 0 && !json.Valid(l.Data):
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
	version := uint64(time.Now().UnixNano())
	tok := sha256.New()
	err := s.insert(ctx, "mastra_logs", logColumns, tok, len(logs), func(b driver.Batch) error {
		for i := range logs {
			l := &logs[i]
			id := LogID(l)
			hashFields(tok, id)
			if err := b.Append(l.ProjectID, l.DeploymentID, l.BuildID, l.Time.UnixNano(), id, l.Level, l.Message,
				l.TraceID, l.SpanID, string(l.Data), version); err != nil {
				return err
			}
		}
		return nil
	})
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
	out, err := s.queryLogs(ctx, q, where{})
	if err != nil {
		return nil, fmt.Errorf("clickhouse: query logs: %w", err)
	}
	return out, nil
}

// queryLogs runs QueryLogs with the extra conditions of extra.
func (s *Store) queryLogs(ctx context.Context, q admin.TelemetryQuery, extra where) ([]admin.LogRecord, error) {
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
	w.conds = append(w.conds, extra.conds...)
	w.args = append(w.args, extra.args...)
	const cols = "project_id, deployment_id, build_id, ts_ns, id, level, message, trace_id, span_id, data"
	query := "SELECT " + cols + " FROM (SELECT " + cols + " FROM mastra_logs WHERE " + w.String() +
		" ORDER BY version DESC LIMIT 1 BY id) ORDER BY ts_ns, id LIMIT ?"
	rows, err := s.conn.Query(ctx, query, append(w.args, limit)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []admin.LogRecord
	for rows.Next() {
		var l admin.LogRecord
		var ts int64
		var data string
		if err := rows.Scan(&l.ProjectID, &l.DeploymentID, &l.BuildID, &ts, &l.ID, &l.Level, &l.Message,
			&l.TraceID, &l.SpanID, &data); err != nil {
			return nil, err
		}
		l.Time = time.Unix(0, ts).UTC()
		if data != "" {
			l.Data = json.RawMessage(data)
		}
		out = append(out, l)
	}
	return out, rows.Err()
}

// likeEscaper escapes LIKE's wildcards and its escape character.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// LogFilter narrows SearchLogs beyond the TelemetryQuery.
type LogFilter struct {
	// Level keeps lines of this level only ("debug", "info", "warn",
	// "error"); empty keeps all.
	Level string
	// Text keeps lines whose message contains it, ignoring case (ASCII
	// letters only, as ClickHouse's lower); empty keeps all.
	Text string
}

// SearchLogs is QueryLogs with a level and a text filter. The time range
// is required: text search scans the messages of every line in it.
func (s *Store) SearchLogs(ctx context.Context, q admin.TelemetryQuery, f LogFilter) ([]admin.LogRecord, error) {
	if err := s.check(); err != nil {
		return nil, fmt.Errorf("clickhouse: search logs: %w", err)
	}
	if q.From.IsZero() || q.To.IsZero() {
		return nil, fmt.Errorf("clickhouse: search logs: %w", &admin.ValidationError{Field: "From", Reason: "and To are required"})
	}
	switch f.Level {
	case "", "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("clickhouse: search logs: %w", &admin.ValidationError{Field: "Level", Reason: fmt.Sprintf("%q is not debug, info, warn or error", f.Level)})
	}
	var extra where
	if f.Level != "" {
		extra.add("level = ?", f.Level)
	}
	if f.Text != "" {
		// lower(message) LIKE: what the ngram index on lower(message)
		// (20.3+) serves; the same result everywhere.
		extra.add("lower(message) LIKE ?", "%"+likeEscaper.Replace(strings.ToLower(f.Text))+"%")
	}
	out, err := s.queryLogs(ctx, q, extra)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: search logs: %w", err)
	}
	return out, nil
}
