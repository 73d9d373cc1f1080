package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Options configures a Store. The zero value (or nil) means defaults.
type Options struct {
	// Logger receives the store's few log lines (applied migrations). The
	// default discards them.
	Logger *slog.Logger
	// SkipMigrate makes New check that the schema is up to date instead of
	// migrating it, for deployments that run Migrate as a separate step or
	// whose database role may not change the schema.
	SkipMigrate bool
}

// Store is an admin.Storage on PostgreSQL. It is safe for concurrent use, by
// several goroutines and by several processes sharing one database.
type Store struct {
	pool   *pgxpool.Pool
	closed atomic.Bool
}

var _ admin.Storage = (*Store)(nil)

var discard = slog.New(slog.DiscardHandler)

// New returns a Store on pool. Unless opts.SkipMigrate is set it first
// migrates the schema (see Migrate); with it, it returns an error when the
// schema is not up to date. The pool stays the caller's: Close does not
// close it.
func New(ctx context.Context, pool *pgxpool.Pool, opts *Options) (*Store, error) {
	if pool == nil {
		return nil, fmt.Errorf("postgres: new: %w", &admin.ValidationError{Field: "pool", Reason: "is required"})
	}
	if opts == nil {
		opts = &Options{}
	}
	log := opts.Logger
	if log == nil {
		log = discard
	}
	if opts.SkipMigrate {
		if err := checkSchema(ctx, pool); err != nil {
			return nil, fmt.Errorf("postgres: new: %w", err)
		}
	} else if err := migrate(ctx, pool, log.With("component", "storage/postgres")); err != nil {
		return nil, err
	}
	return &Store{pool: pool}, nil
}

// Close marks the store closed: later calls return admin.ErrClosed. It does
// not close the pool, which belongs to the caller. It is safe to call more
// than once.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// querier is what both a pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// db returns the pool, or ErrClosed once the store is closed.
func (s *Store) db() (querier, error) {
	if s.closed.Load() {
		return nil, admin.ErrClosed
	}
	return s.pool, nil
}

// inTx runs fn in a transaction, committed when fn returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if s.closed.Load() {
		return admin.ErrClosed
	}
	return pgx.BeginFunc(ctx, s.pool, fn)
}

// SQLSTATE codes mapped to admin sentinels.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeNotNullViolation    = "23502"
	classDataException      = "22" // bad encoding, NUL bytes, out of range values
)

// wrap names the operation and maps err to an admin sentinel: no rows to
// ErrNotFound, a unique violation to ErrAlreadyExists, a foreign-key
// violation to ErrConflict, a check or data error to ErrInvalidArgument.
// The PostgreSQL error stays reachable with errors.As.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("postgres: %s: %w", op, admin.ErrNotFound)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		var sentinel error
		switch {
		case pgErr.Code == codeUniqueViolation:
			sentinel = admin.ErrAlreadyExists
		case pgErr.Code == codeForeignKeyViolation:
			sentinel = admin.ErrConflict
		case pgErr.Code == codeCheckViolation, pgErr.Code == codeNotNullViolation,
			strings.HasPrefix(pgErr.Code, classDataException):
			sentinel = admin.ErrInvalidArgument
		}
		if sentinel != nil {
			return fmt.Errorf("postgres: %s: %w (%w)", op, sentinel, err)
		}
	}
	return fmt.Errorf("postgres: %s: %w", op, err)
}

// getOne runs a query expected to return one row and scans it.
func getOne[T any](ctx context.Context, s *Store, op string, scan pgx.RowToFunc[*T], sql string, args ...any) (*T, error) {
	db, err := s.db()
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	v, err := pgx.CollectExactlyOneRow(rows, scan)
	if err != nil {
		return nil, wrap(op, err)
	}
	return v, nil
}

// list runs a query and scans every row; the result is never nil.
func list[T any](ctx context.Context, s *Store, op string, scan pgx.RowToFunc[*T], sql string, args ...any) ([]*T, error) {
	db, err := s.db()
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, wrap(op, err)
	}
	vs, err := pgx.CollectRows(rows, scan)
	if err != nil {
		return nil, wrap(op, err)
	}
	if vs == nil {
		vs = []*T{}
	}
	return vs, nil
}

// exec runs a statement.
func (s *Store) exec(ctx context.Context, op string, sql string, args ...any) (pgconn.CommandTag, error) {
	db, err := s.db()
	if err != nil {
		return pgconn.CommandTag{}, wrap(op, err)
	}
	tag, err := db.Exec(ctx, sql, args...)
	return tag, wrap(op, err)
}

// insert runs an INSERT.
func (s *Store) insert(ctx context.Context, op string, sql string, args ...any) error {
	_, err := s.exec(ctx, op, sql, args...)
	return err
}

// remove runs a DELETE expected to remove one row: ErrNotFound when it
// removes none.
func (s *Store) remove(ctx context.Context, op string, sql string, args ...any) error {
	tag, err := s.exec(ctx, op, sql, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 0 {
		return wrap(op, admin.ErrNotFound)
	}
	return nil
}

// update runs an optimistic UPDATE whose WHERE clause matches the row's key
// and the version the caller read. When it changes nothing, existsSQL (which
// takes the same leading key arguments, keyArgs of them) tells ErrNotFound
// from ErrConflict.
func (s *Store) update(ctx context.Context, op string, sql, existsSQL string, keyArgs int, args ...any) error {
	tag, err := s.exec(ctx, op, sql, args...)
	if err != nil {
		return err
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	return s.missOrConflict(ctx, s.pool, op, existsSQL, args[:keyArgs]...)
}

// missOrConflict explains an optimistic update that matched no row.
func (s *Store) missOrConflict(ctx context.Context, q querier, op, existsSQL string, keyArgs ...any) error {
	var exists bool
	if err := q.QueryRow(ctx, existsSQL, keyArgs...).Scan(&exists); err != nil {
		return wrap(op, err)
	}
	if !exists {
		return wrap(op, admin.ErrNotFound)
	}
	return wrap(op, fmt.Errorf("stale version: %w", admin.ErrConflict))
}

// query builds a SELECT's WHERE, ORDER BY and LIMIT clauses with numbered
// parameters.
type query struct {
	conds []string
	args  []any
}

// arg adds a parameter and returns its placeholder.
func (q *query) arg(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// where adds a condition; cond contains one %s for v's placeholder.
func (q *query) where(cond string, v any) {
	q.conds = append(q.conds, fmt.Sprintf(cond, q.arg(v)))
}

// whereIf adds a condition when v is not the zero string.
func (q *query) whereIf(cond, v string) {
	if v != "" {
		q.where(cond, v)
	}
}

// sql returns base followed by the conditions, the page's cursor, ORDER BY
// key and LIMIT.
func (q *query) sql(base, key string, p admin.Page) string {
	order := "ASC"
	if p.Desc {
		order = "DESC"
	}
	if p.After != "" {
		if p.Desc {
			q.where(key+" < %s", p.After)
		} else {
			q.where(key+" > %s", p.After)
		}
	}
	sql := base + q.whereClause() + " ORDER BY " + key + " " + order
	if p.Limit > 0 {
		sql += " LIMIT " + q.arg(int64(p.Limit))
	}
	return sql
}

// whereClause returns " WHERE cond AND …", or "" without conditions.
func (q *query) whereClause() string {
	if len(q.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(q.conds, " AND ")
}

// utc returns t in UTC.
func utc(t time.Time) time.Time { return t.UTC() }

// utcPtr returns *t in UTC, or nil.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}
