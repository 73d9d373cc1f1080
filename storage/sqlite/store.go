package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Options configures a Store. The zero value (or nil) gives the defaults.
type Options struct {
	// Logger receives the adapter's few log lines (migrations applied).
	// Default: discard.
	Logger *slog.Logger
	// BusyTimeout is how long a statement waits for a lock another process
	// holds on the database file before failing. Default: 5s.
	BusyTimeout time.Duration
	// MaxReaders is the most connections reading at once. Default: 4.
	MaxReaders int
}

// Default option values.
const (
	DefaultBusyTimeout = 5 * time.Second
	DefaultMaxReaders  = 4
)

// Store is an admin.Storage in one SQLite database file. It is safe for
// concurrent use: writes go through a single connection, one transaction at
// a time, while up to Options.MaxReaders connections read in parallel (WAL
// mode lets readers and the writer proceed together).
type Store struct {
	w      *sql.DB // one connection: every write transaction
	r      *sql.DB // read-only connections
	log    *slog.Logger
	closed atomic.Bool
}

// Open opens (creating it when missing) the database file at path, applies
// the schema migrations it lacks, and returns a Store. path names a file; an
// in-memory database (":memory:") is refused, because each connection would
// see a database of its own.
func Open(path string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	switch {
	case path == "":
		return nil, fmt.Errorf("sqlite: open: %w", &admin.ValidationError{Field: "path", Reason: "must not be empty"})
	case path == ":memory:" || strings.HasPrefix(path, "file:"):
		return nil, fmt.Errorf("sqlite: open: %w", &admin.ValidationError{Field: "path",
			Reason: fmt.Sprintf("%q must be a file path (in-memory databases and URIs are not supported: every connection must see the same file)", path)})
	case opts.BusyTimeout < 0:
		return nil, fmt.Errorf("sqlite: open: %w", &admin.ValidationError{Field: "BusyTimeout", Reason: "must not be negative"})
	case opts.MaxReaders < 0:
		return nil, fmt.Errorf("sqlite: open: %w", &admin.ValidationError{Field: "MaxReaders", Reason: "must not be negative"})
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	busy := opts.BusyTimeout
	if busy == 0 {
		busy = DefaultBusyTimeout
	}
	readers := opts.MaxReaders
	if readers == 0 {
		readers = DefaultMaxReaders
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}

	// A URI file name, so that any character in the path is safe.
	dsn := "file:" + (&url.URL{Path: abs}).EscapedPath() + "?" + url.Values{
		"_pragma": {
			fmt.Sprintf("busy_timeout(%d)", busy.Milliseconds()),
			"foreign_keys(1)",
			"journal_mode(WAL)",
			"synchronous(NORMAL)",
		},
		"_txlock": {"immediate"},
	}.Encode()

	w, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{w: w, log: log.With("component", "storage/sqlite")}
	// Migrate before the readers open: their query_only connections cannot
	// switch the file to WAL mode.
	if err := s.migrate(context.Background()); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	r.SetMaxOpenConns(readers)
	r.SetMaxIdleConns(readers)
	s.r = r
	return s, nil
}

// Close closes the database. Calls after Close return admin.ErrClosed.
// Closing twice is harmless.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// Compile-time check that Store implements the contract.
var _ admin.Storage = (*Store)(nil)

// fail wraps err for the operation op (such as `get user "usr_1"`), mapping
// SQLite constraint errors to the admin sentinels.
func (s *Store) fail(op string, err error) error {
	if s.closed.Load() {
		return fmt.Errorf("sqlite: %s: %w", op, admin.ErrClosed)
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return fmt.Errorf("sqlite: %s: %w (%w)", op, admin.ErrAlreadyExists, err)
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return fmt.Errorf("sqlite: %s: a referenced object does not exist or is still referenced: %w (%w)", op, admin.ErrConflict, err)
		}
	}
	return fmt.Errorf("sqlite: %s: %w", op, err)
}

// notFound is the error for an addressed object that does not exist.
func notFound(op string) error {
	return fmt.Errorf("sqlite: %s: %w", op, admin.ErrNotFound)
}

// conflict is the error for a change the stored state refuses.
func conflict(op, why string) error {
	return fmt.Errorf("sqlite: %s: %s: %w", op, why, admin.ErrConflict)
}

// write runs fn in a write transaction on the writer connection.
func (s *Store) write(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if s.closed.Load() {
		return fmt.Errorf("sqlite: %s: %w", op, admin.ErrClosed)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return s.fail(op, err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.fail(op, err)
	}
	return nil
}

// exec runs one writing statement outside an explicit transaction.
func (s *Store) exec(ctx context.Context, op, query string, args ...any) (sql.Result, error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("sqlite: %s: %w", op, admin.ErrClosed)
	}
	res, err := s.w.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	return res, nil
}

// getOne reads one row with scan; ErrNotFound when there is none.
func getOne[T any](ctx context.Context, s *Store, op string, scan func(scanner) (*T, error), query string, args ...any) (*T, error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("sqlite: %s: %w", op, admin.ErrClosed)
	}
	v, err := scan(s.r.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(op)
	}
	if err != nil {
		return nil, s.fail(op, err)
	}
	return v, nil
}

// getMany reads every row of a query with scan.
func getMany[T any](ctx context.Context, s *Store, op string, scan func(scanner) (*T, error), query string, args ...any) ([]*T, error) {
	if s.closed.Load() {
		return nil, fmt.Errorf("sqlite: %s: %w", op, admin.ErrClosed)
	}
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, s.fail(op, err)
	}
	defer rows.Close()
	var out []*T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, s.fail(op, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, s.fail(op, err)
	}
	return out, nil
}

// count runs a SELECT count(*) query.
func (s *Store) count(ctx context.Context, op, query string, args ...any) (int, error) {
	if s.closed.Load() {
		return 0, fmt.Errorf("sqlite: %s: %w", op, admin.ErrClosed)
	}
	var n int
	if err := s.r.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
		return 0, s.fail(op, err)
	}
	return n, nil
}

// update runs in tx a versioned UPDATE statement, "... WHERE <key> AND
// version = ?", which changes one row or none. When none, it asks exists
// (a query on the key) whether the row is gone (ErrNotFound) or its version
// differs (ErrConflict).
func update(ctx context.Context, s *Store, tx *sql.Tx, op, query string, args []any, exists string, key ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return s.fail(op, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return s.fail(op, err)
	}
	if n == 1 {
		return nil
	}
	var one int
	err = tx.QueryRowContext(ctx, exists, key...).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return notFound(op)
	}
	if err != nil {
		return s.fail(op, err)
	}
	return conflict(op, "the stored version differs from the one given (reload and retry)")
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// selectPage is a SELECT with filters, ordered and paged by one column.
type selectPage struct {
	where []string
	args  []any
}

// filter adds a condition with its arguments.
func (q *selectPage) filter(cond string, args ...any) {
	q.where = append(q.where, cond)
	q.args = append(q.args, args...)
}

// filterIf adds "cond" with value v unless v is empty: an empty parent id
// in a listing lists every parent's rows.
func (q *selectPage) filterIf(cond, v string) {
	if v != "" {
		q.filter(cond, v)
	}
}

// in adds "col IN (?, ...)" for a non-empty list of values.
func in[T ~string](q *selectPage, col string, values []T) {
	if len(values) == 0 {
		return
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(values)), ", ")
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = string(v)
	}
	q.filter(col+" IN ("+marks+")", args...)
}

// sql returns the statement "SELECT cols FROM from WHERE ... ORDER BY key
// LIMIT n" for page p and its arguments.
func (q *selectPage) sql(cols, from, key string, p admin.Page) (string, []any) {
	where, args := q.where, q.args
	dir := "ASC"
	if p.Desc {
		dir = "DESC"
	}
	if p.After != "" {
		cmp := " > ?"
		if p.Desc {
			cmp = " < ?"
		}
		where = append(where[:len(where):len(where)], key+cmp)
		args = append(args[:len(args):len(args)], p.After)
	}
	var b strings.Builder
	b.WriteString("SELECT " + cols + " FROM " + from)
	if len(where) > 0 {
		b.WriteString(" WHERE " + strings.Join(where, " AND "))
	}
	b.WriteString(" ORDER BY " + key + " " + dir)
	if p.Limit > 0 {
		b.WriteString(" LIMIT ?")
		args = append(args, p.Limit)
	}
	return b.String(), args
}

// Times are stored as microseconds since the Unix epoch, UTC.

func micros(t time.Time) int64 { return t.UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func microsPtr(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMicro(), Valid: true}
}

func fromMicrosPtr(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

// encodeEnvVars encodes env vars as a JSON array (never null), times in UTC.
func encodeEnvVars(vars []admin.EnvVar) (string, error) {
	out := make([]admin.EnvVar, len(vars))
	for i, v := range vars {
		out[i] = v
		out[i].UpdatedAt = v.UpdatedAt.UTC()
	}
	b, err := json.Marshal(out)
	return string(b), err
}

// decodeEnvVars decodes what encodeEnvVars wrote; never nil.
func decodeEnvVars(col, s string) ([]admin.EnvVar, error) {
	var vars []admin.EnvVar
	if err := json.Unmarshal([]byte(s), &vars); err != nil {
		return nil, fmt.Errorf("column %s is not a JSON array of env vars: %w", col, err)
	}
	if vars == nil {
		vars = []admin.EnvVar{}
	}
	for i := range vars {
		vars[i].UpdatedAt = vars[i].UpdatedAt.UTC()
	}
	return vars, nil
}

// encodeMap encodes a string map as a JSON object (never null).
func encodeMap(m map[string]string) (string, error) {
	if m == nil {
		return "{}", nil
	}
	b, err := json.Marshal(m)
	return string(b), err
}

// decodeMap decodes what encodeMap wrote; never nil.
func decodeMap(col, s string) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, fmt.Errorf("column %s is not a JSON object of strings: %w", col, err)
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}
