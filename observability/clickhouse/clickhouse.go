package clickhouse

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Options configures a Store. The zero value (or nil) means defaults.
type Options struct {
	// Logger receives the store's few log lines (the server version and
	// the features used, applied migrations, reopened connections). The
	// default discards them.
	Logger *slog.Logger
	// Retention, when positive, makes the server delete spans and logs
	// older than it (a table TTL on the row's own day, whole days). It
	// needs a server with TTL (20.3 or newer): on an older one New fails
	// with admin.ErrNotSupported; drop old monthly partitions there
	// instead. It is fixed when the tables are created.
	Retention time.Duration
	// SkipMigrate makes New check that every migration has been applied
	// instead of applying the missing ones.
	SkipMigrate bool
	// Now is the clock the queries' default time ranges end at. Default:
	// time.Now.
	Now func() time.Time
}

// Store is an admin.ObservabilityStore and admin.ObservabilityQuerier on
// ClickHouse, over the native protocol. It is safe for concurrent use.
type Store struct {
	conn     driver.Conn
	log      *slog.Logger
	now      func() time.Time
	version  Version
	features Features
	closed   atomic.Bool
	// lastVersion is the highest row version this store has handed out.
	lastVersion atomic.Uint64
}

var (
	_ admin.ObservabilityStore   = (*Store)(nil)
	_ admin.ObservabilityQuerier = (*Store)(nil)
)

var discard = slog.New(slog.DiscardHandler)

// New returns a Store on conn, a connection (pool) opened with
// clickhouse.Open on the native protocol, whose default database holds the
// tables. It reads the server's version, then migrates the schema (see
// Migrate) unless opts.SkipMigrate is set. conn stays the caller's: Close
// does not close it.
func New(ctx context.Context, conn driver.Conn, opts *Options) (*Store, error) {
	if conn == nil {
		return nil, fmt.Errorf("clickhouse: new: %w", &admin.ValidationError{Field: "conn", Reason: "is required"})
	}
	if opts == nil {
		opts = &Options{}
	}
	if opts.Retention < 0 {
		return nil, fmt.Errorf("clickhouse: new: %w", &admin.ValidationError{Field: "Retention", Reason: "must not be negative"})
	}
	log := opts.Logger
	if log == nil {
		log = discard
	}
	log = log.With("component", "observability/clickhouse")
	v, err := serverVersion(ctx, conn)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: new: %w", err)
	}
	f := FeaturesOf(v)
	if opts.Retention > 0 && !f.TTL {
		return nil, fmt.Errorf("clickhouse: new: Retention needs TTL, which ClickHouse %s lacks (20.3 or newer has it; drop old monthly partitions instead): %w", v, admin.ErrNotSupported)
	}
	f.RetentionDays = retentionDays(opts.Retention)
	log.Info("connected", "server_version", v.String(), "features", f.String())
	s := &Store{conn: conn, log: log, now: opts.Now, version: v, features: f}
	if s.now == nil {
		s.now = time.Now
	}
	if opts.SkipMigrate {
		if err := s.checkSchema(ctx); err != nil {
			return nil, fmt.Errorf("clickhouse: new: %w", err)
		}
	} else if err := s.migrate(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// retentionDays rounds d up to whole days; 0 keeps everything.
func retentionDays(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + 24*time.Hour - 1) / (24 * time.Hour))
}

// ServerVersion is the version of the server the store talks to, as read by
// New.
func (s *Store) ServerVersion() Version { return s.version }

// Features are the optional server features the store's schema uses.
func (s *Store) Features() Features { return s.features }

// Close marks the store closed: later calls return admin.ErrClosed. It does
// not close the connection, which belongs to the caller. It is safe to call
// more than once.
func (s *Store) Close() error {
	s.closed.Store(true)
	return nil
}

// versions reserves n row versions and returns the first: base, base+1,
// …, base+n-1. A version is the insert time in nanoseconds, made strictly
// greater than every version this store handed out before, so that of two
// copies of a row the one inserted last wins, also within one batch and
// when two batches start in the same nanosecond.
func (s *Store) versions(n int) uint64 {
	for {
		last := s.lastVersion.Load()
		base := max(uint64(time.Now().UnixNano()), last+1)
		if s.lastVersion.CompareAndSwap(last, base+uint64(n)-1) {
			return base
		}
	}
}

// fail wraps err, the error of operation op.
func (s *Store) fail(op string, err error) error {
	return fmt.Errorf("clickhouse: %s: %w", op, err)
}

func (s *Store) check() error {
	if s.closed.Load() {
		return admin.ErrClosed
	}
	return nil
}

// Version is a ClickHouse server version, such as 18.16.1 or 25.8.3.1.
type Version struct {
	Major, Minor, Patch int
}

// ParseVersion reads a version as SELECT version() returns it
// ("18.16.1", "25.8.3.1"); parts after the third are ignored.
func ParseVersion(s string) (Version, error) {
	parts := strings.Split(strings.TrimSpace(s), ".")
	if len(parts) < 2 {
		return Version{}, fmt.Errorf("server version %q is not MAJOR.MINOR[.PATCH…]", s)
	}
	var nums [3]int
	for i := 0; i < 3 && i < len(parts); i++ {
		n, err := strconv.Atoi(parts[i])
		if err != nil || n < 0 {
			return Version{}, fmt.Errorf("server version %q is not MAJOR.MINOR[.PATCH…]", s)
		}
		nums[i] = n
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}, nil
}

// AtLeast reports whether v is major.minor or newer.
func (v Version) AtLeast(major, minor int) bool {
	return v.Major > major || v.Major == major && v.Minor >= minor
}

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

func serverVersion(ctx context.Context, conn driver.Conn) (Version, error) {
	var raw string
	if err := conn.QueryRow(ctx, "SELECT version()").Scan(&raw); err != nil {
		return Version{}, fmt.Errorf("read server version: %w", err)
	}
	return ParseVersion(raw)
}

// Features lists what the schema uses beyond the subset every supported
// server has (18.16 and newer).
type Features struct {
	// LowCardinality columns for low-cardinality strings (span type,
	// entity type, model, provider, level): 20.3+.
	LowCardinality bool
	// Codecs: Delta/DoubleDelta + ZSTD on times, ZSTD on JSON text: 20.3+.
	Codecs bool
	// SkipIndexes: minmax on times, bloom_filter on ids, tokenbf on log
	// text: 20.3+.
	SkipIndexes bool
	// TTL: a table TTL when Options.Retention is set: 20.3+.
	TTL bool
	// DedupTokens: insert_deduplication_token on every batch, with the
	// table setting non_replicated_deduplication_window, so a retried
	// batch is dropped at once instead of waiting for a merge: 22.2+.
	DedupTokens bool
	// RetentionDays is Options.Retention in whole days (0: keep all).
	RetentionDays int
}

// FeaturesOf returns the features the store uses on a server of version v.
func FeaturesOf(v Version) Features {
	modern := v.AtLeast(20, 3)
	return Features{
		LowCardinality: modern,
		Codecs:         modern,
		SkipIndexes:    modern,
		TTL:            modern,
		DedupTokens:    v.AtLeast(22, 2),
	}
}

func (f Features) String() string {
	var on []string
	for _, x := range []struct {
		name string
		on   bool
	}{{"LowCardinality", f.LowCardinality}, {"codecs", f.Codecs}, {"skip indexes", f.SkipIndexes}, {"TTL", f.TTL}, {"insert dedup tokens", f.DedupTokens}} {
		if x.on {
			on = append(on, x.name)
		}
	}
	if len(on) == 0 {
		return "none (common subset)"
	}
	return strings.Join(on, ", ")
}
