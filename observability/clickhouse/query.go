package clickhouse

import (
	"context"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

// The admin.ObservabilityQuerier methods share these rules: a time range
// defaulting to the last admin.DefaultTelemetryWindow, a page size up to
// admin.MaxTelemetryLimit and an opaque cursor.

func invalid(field, reason string) error {
	return &admin.ValidationError{Field: field, Reason: reason}
}

// bounds is a time range [from, to) in Unix nanoseconds, with the UTC days
// of its ends: every query bounds both the nanosecond column and the
// partitioning Date column, so months outside the range are never read.
type bounds struct {
	from, to         int64
	fromDay, lastDay string
}

// window applies the default range (To now, From To minus
// admin.DefaultTelemetryWindow) and checks it.
func (s *Store) window(from, to time.Time) (bounds, error) {
	from, to, err := observability.QueryWindow(from, to, s.now())
	if err != nil {
		return bounds{}, err
	}
	return bounds{from: from.UnixNano(), to: to.UnixNano(), fromDay: dayOf(from.UnixNano()), lastDay: dayOf(to.UnixNano())}, nil
}

// dayOf is the UTC day of a time in Unix nanoseconds, as toDate reads it.
func dayOf(ns int64) string { return time.Unix(0, ns).UTC().Format(time.DateOnly) }

// cond is the condition of rows in w on a nanosecond column and its Date
// column, with its arguments.
func (w bounds) cond(nsCol, dateCol string) (string, []any) {
	return dateCol + " >= toDate(?) AND " + dateCol + " <= toDate(?) AND " + nsCol + " >= ? AND " + nsCol + " < ?",
		[]any{w.fromDay, w.lastDay, w.from, w.to}
}

// defaultMaxQuerySize is the server's default max_query_size (256 KiB),
// less room for the settings and the protocol.
const defaultMaxQuerySize = 200 << 10

// query runs a read. Its arguments are bound into the statement's text
// (the only binding old servers know), and they carry the caller's
// strings (a text filter, ids, a cursor): when they may make it longer
// than the server's default max_query_size, which would refuse it as a
// syntax error, the query asks for a larger one (replacing the settings
// of ctx for that query).
func (s *Store) query(ctx context.Context, stmt string, args ...any) (driver.Rows, error) {
	size := len(stmt)
	for _, a := range args {
		if str, ok := a.(string); ok {
			size += 2*len(str) + 2 // every byte escaped, and the quotes
		} else {
			size += 64
		}
	}
	if size > defaultMaxQuerySize {
		ctx = clickhouse.Context(ctx, clickhouse.WithSettings(clickhouse.Settings{"max_query_size": 2*size + 1<<20}))
	}
	return s.conn.Query(ctx, stmt, args...)
}
