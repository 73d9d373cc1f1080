package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/migrations"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

// Options configures a Store. The zero value (or nil) gives the defaults.
type Options struct {
	// BusyTimeout is how long a statement waits for a lock another process
	// holds on the database file before failing. Default: 5s.
	BusyTimeout time.Duration
	// Now is the clock the default query windows end at. Default: time.Now.
	Now func() time.Time
}

// DefaultBusyTimeout is Options.BusyTimeout's default.
const DefaultBusyTimeout = 5 * time.Second

// Store is an admin.ObservabilityStore and admin.ObservabilityQuerier in
// one SQLite database file. It is safe for concurrent use: statements go
// through one connection, one at a time.
type Store struct {
	db     *sql.DB
	now    func() time.Time
	closed atomic.Bool
}

var (
	_ admin.ObservabilityStore   = (*Store)(nil)
	_ admin.ObservabilityQuerier = (*Store)(nil)
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Open opens (creating it when missing) the database file at path and
// applies the schema migrations it lacks. path names a file; in-memory
// databases and URIs are refused.
func Open(path string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	switch {
	case path == "":
		return nil, fmt.Errorf("observability/sqlite: open: %w", &admin.ValidationError{Field: "path", Reason: "must not be empty"})
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("observability/sqlite: open: %w", &admin.ValidationError{Field: "path", Reason: fmt.Sprintf("%q must be a file path", path)})
	case opts.BusyTimeout < 0:
		return nil, fmt.Errorf("observability/sqlite: open: %w", &admin.ValidationError{Field: "BusyTimeout", Reason: "must not be negative"})
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("observability/sqlite: open %s: %w", path, err)
	}
	busy := opts.BusyTimeout
	if busy == 0 {
		busy = DefaultBusyTimeout
	}
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + url.Values{
		"_pragma": {fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()), "journal_mode(WAL)", "synchronous(NORMAL)"},
		"_txlock": {"immediate"},
	}.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("observability/sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	s := &Store{db: db, now: opts.Now}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.migrate(context.Background()); err != nil {
		db.Close()
		return nil, fmt.Errorf("observability/sqlite: open %s: %w", path, err)
	}
	return s, nil
}

// Close closes the database; every method then fails with admin.ErrClosed.
// Closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.db.Close()
}

// SchemaVersion is the schema version this package writes: the number of
// its embedded migrations.
func SchemaVersion() int {
	ms, err := migrations.Load(migrationFiles, "migrations", true)
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the migrations (migrations/NNNN_name.sql, in order) the
// database lacks, in one transaction, recorded in obs_schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := migrations.Load(migrationFiles, "migrations", true)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS obs_schema_migrations (
			version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ns INTEGER NOT NULL) STRICT`); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM obs_schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("migrate: the database's schema version %d is newer than this program's %d: upgrade the program", current, len(ms))
		}
		for _, m := range ms[current:] {
			if _, err := tx.ExecContext(ctx, m.Body); err != nil {
				return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO obs_schema_migrations VALUES (?, ?, ?)`, m.Version, m.Name+".sql", time.Now().UnixNano()); err != nil {
				return fmt.Errorf("migrate: record %s: %w", m.Name, err)
			}
		}
		return nil
	})
}

// tx runs fn in a write transaction, committed when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// fail wraps err for op, as admin.ErrClosed once the store is closed.
func (s *Store) fail(op string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("observability/sqlite: %s: %w", op, admin.ErrClosed)
	}
	return fmt.Errorf("observability/sqlite: %s: %w", op, err)
}

func invalid(field, reason string) error {
	return &admin.ValidationError{Field: field, Reason: reason}
}

// InsertSpans stores spans, replacing any stored span of the same
// (ProjectID, TraceID, SpanID), in one transaction.
func (s *Store) InsertSpans(ctx context.Context, spans []admin.Span) error {
	if s.closed.Load() {
		return s.fail("insert spans", admin.ErrClosed)
	}
	for i := range spans {
		if err := validSpan(i, &spans[i]); err != nil {
			return s.fail("insert spans", err)
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO obs_spans VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range spans {
			sp := &spans[i]
			var cost any
			if sp.CostUSD != nil {
				cost = *sp.CostUSD
			}
			var attrs any
			if len(sp.Attributes) > 0 {
				attrs = string(sp.Attributes)
			}
			if _, err := st.ExecContext(ctx, sp.ProjectID, sp.TraceID, sp.SpanID, sp.ParentSpanID, sp.Name, sp.Type,
				sp.DeploymentID, sp.BuildID, sp.StartTime.UnixNano(), sp.EndTime.UnixNano(), sp.EndTime.Sub(sp.StartTime).Nanoseconds(),
				sp.IsRoot, sp.Error, sp.EntityType, sp.EntityID, sp.EntityName, sp.Model, sp.Provider,
				sp.InputTokens, sp.OutputTokens, sp.CacheReadTokens, sp.CacheWriteTokens, sp.ReasoningTokens, cost, attrs); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail("insert spans", err)
	}
	return nil
}

func validSpan(i int, sp *admin.Span) error {
	at := func(f string) string { return "Spans[" + strconv.Itoa(i) + "]." + f }
	switch {
	case sp.ProjectID == "":
		return invalid(at("ProjectID"), "must not be empty")
	case sp.TraceID == "":
		return invalid(at("TraceID"), "must not be empty")
	case sp.SpanID == "":
		return invalid(at("SpanID"), "must not be empty")
	case sp.StartTime.IsZero():
		return invalid(at("StartTime"), "must be set")
	case sp.EndTime.IsZero():
		return invalid(at("EndTime"), "must be set")
	case sp.EndTime.Before(sp.StartTime):
		return invalid(at("EndTime"), "is before StartTime")
	}
	return nil
}

// InsertLogs stores log lines, replacing any stored line of the same
// (ProjectID, ID), in one transaction. A line without an ID gets a hash of
// its fields.
func (s *Store) InsertLogs(ctx context.Context, logs []admin.LogRecord) error {
	if s.closed.Load() {
		return s.fail("insert logs", admin.ErrClosed)
	}
	for i := range logs {
		at := func(f string) string { return "Logs[" + strconv.Itoa(i) + "]." + f }
		switch {
		case logs[i].ProjectID == "":
			return s.fail("insert logs", invalid(at("ProjectID"), "must not be empty"))
		case logs[i].Time.IsZero():
			return s.fail("insert logs", invalid(at("Time"), "must be set"))
		}
	}
	err := s.tx(ctx, func(tx *sql.Tx) error {
		st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO obs_logs VALUES (?,?,?,?,?,?,?,?,?,?,?,?)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range logs {
			l := &logs[i]
			id := l.ID
			if id == "" {
				id = contentID(l)
			}
			sev := observability.Severity(l.Level)
			var data any
			if len(l.Data) > 0 {
				data = string(l.Data)
			}
			if _, err := st.ExecContext(ctx, l.ProjectID, id, l.Time.UnixNano(), l.Level, sev, l.Message, strings.ToLower(l.Message),
				l.DeploymentID, l.BuildID, l.TraceID, l.SpanID, data); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return s.fail("insert logs", err)
	}
	return nil
}

// contentID is the id of a log line without one: a hash of its fields.
func contentID(l *admin.LogRecord) string {
	h := sha256.New()
	for _, f := range []string{l.DeploymentID, l.BuildID, l.Level, l.Message, l.TraceID, l.SpanID, string(l.Data),
		strconv.FormatInt(l.Time.UnixNano(), 10)} {
		h.Write([]byte(strconv.Itoa(len(f))))
		h.Write([]byte{':'})
		h.Write([]byte(f))
	}
	return "h" + hex.EncodeToString(h.Sum(nil)[:16])
}

// window applies the default time range and checks it.
func (s *Store) window(from, to time.Time) (int64, int64, error) {
	from, to, err := observability.QueryWindow(from, to, s.now())
	return from.UnixNano(), to.UnixNano(), err
}

const spanCols = `project_id, trace_id, span_id, parent_span_id, name, span_type, deployment_id, build_id, start_ns, end_ns,
	is_root, error, entity_type, entity_id, entity_name, model, provider, input_tokens, output_tokens, cache_read_tokens,
	cache_write_tokens, reasoning_tokens, cost_usd, attributes`

func scanSpan(rows *sql.Rows) (admin.Span, error) {
	var sp admin.Span
	var start, end int64
	var cost sql.NullFloat64
	var attrs sql.NullString
	err := rows.Scan(&sp.ProjectID, &sp.TraceID, &sp.SpanID, &sp.ParentSpanID, &sp.Name, &sp.Type, &sp.DeploymentID, &sp.BuildID,
		&start, &end, &sp.IsRoot, &sp.Error, &sp.EntityType, &sp.EntityID, &sp.EntityName, &sp.Model, &sp.Provider,
		&sp.InputTokens, &sp.OutputTokens, &sp.CacheReadTokens, &sp.CacheWriteTokens, &sp.ReasoningTokens, &cost, &attrs)
	sp.StartTime, sp.EndTime = time.Unix(0, start).UTC(), time.Unix(0, end).UTC()
	if cost.Valid {
		c := cost.Float64
		sp.CostUSD = &c
	}
	if attrs.Valid {
		sp.Attributes = []byte(attrs.String)
	}
	return sp, err
}

// QuerySpans returns q.ProjectID's spans that started in [q.From, q.To)
// (of q.DeploymentID and q.TraceID when set), by StartTime then SpanID, at
// most q.Limit.
func (s *Store) QuerySpans(ctx context.Context, q admin.TelemetryQuery) ([]admin.Span, error) {
	if s.closed.Load() {
		return nil, s.fail("query spans", admin.ErrClosed)
	}
	if q.ProjectID == "" {
		return nil, s.fail("query spans", invalid("ProjectID", "is required"))
	}
	from, to, err := s.window(q.From, q.To)
	if err != nil {
		return nil, s.fail("query spans", err)
	}
	limit, err := observability.PageLimit(q.Limit)
	if err != nil {
		return nil, s.fail("query spans", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+spanCols+` FROM obs_spans WHERE project_id = ? AND start_ns >= ? AND start_ns < ?
		AND (? = '' OR deployment_id = ?) AND (? = '' OR trace_id = ?) ORDER BY start_ns, span_id LIMIT ?`,
		q.ProjectID, from, to, q.DeploymentID, q.DeploymentID, q.TraceID, q.TraceID, limit)
	if err != nil {
		return nil, s.fail("query spans", err)
	}
	return collectSpans(rows, func(err error) error { return s.fail("query spans", err) })
}

func collectSpans(rows *sql.Rows, fail func(error) error) ([]admin.Span, error) {
	defer rows.Close()
	var out []admin.Span
	for rows.Next() {
		sp, err := scanSpan(rows)
		if err != nil {
			return nil, fail(err)
		}
		out = append(out, sp)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(err)
	}
	return out, nil
}

// QueryLogs returns q.ProjectID's log lines of [q.From, q.To) (of
// q.DeploymentID and q.TraceID when set), oldest first, at most q.Limit.
func (s *Store) QueryLogs(ctx context.Context, q admin.TelemetryQuery) ([]admin.LogRecord, error) {
	if s.closed.Load() {
		return nil, s.fail("query logs", admin.ErrClosed)
	}
	if q.ProjectID == "" {
		return nil, s.fail("query logs", invalid("ProjectID", "is required"))
	}
	from, to, err := s.window(q.From, q.To)
	if err != nil {
		return nil, s.fail("query logs", err)
	}
	limit, err := observability.PageLimit(q.Limit)
	if err != nil {
		return nil, s.fail("query logs", err)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+logCols+` FROM obs_logs WHERE project_id = ? AND ts_ns >= ? AND ts_ns < ?
		AND (? = '' OR deployment_id = ?) AND (? = '' OR trace_id = ?) ORDER BY ts_ns, id LIMIT ?`,
		q.ProjectID, from, to, q.DeploymentID, q.DeploymentID, q.TraceID, q.TraceID, limit)
	if err != nil {
		return nil, s.fail("query logs", err)
	}
	return collectLogs(rows, func(err error) error { return s.fail("query logs", err) })
}

const logCols = `project_id, id, ts_ns, level, message, deployment_id, build_id, trace_id, span_id, data`

func collectLogs(rows *sql.Rows, fail func(error) error) ([]admin.LogRecord, error) {
	defer rows.Close()
	var out []admin.LogRecord
	for rows.Next() {
		var l admin.LogRecord
		var ts int64
		var data sql.NullString
		if err := rows.Scan(&l.ProjectID, &l.ID, &ts, &l.Level, &l.Message, &l.DeploymentID, &l.BuildID, &l.TraceID, &l.SpanID, &data); err != nil {
			return nil, fail(err)
		}
		l.Time = time.Unix(0, ts).UTC()
		if data.Valid {
			l.Data = []byte(data.String)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		return nil, fail(err)
	}
	return out, nil
}
