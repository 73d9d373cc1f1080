package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// MigrationLockKey is the PostgreSQL advisory lock key Migrate holds while
// it migrates: the bytes "mastra" followed by 0x0001. Advisory locks are
// database-wide, so concurrent Migrate calls on one database run one after
// the other, whatever their search_path.
const MigrationLockKey int64 = 0x6d61737472610001

// MigrationsTable records the applied migrations, one row per version.
const MigrationsTable = "mastra_admin_schema_migrations"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered SQL file, such as migrations/0001_init.sql.
type migration struct {
	version int64
	name    string
	sql     string
}

// loadMigrations reads the migrations/*.sql files of fsys in version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, ok := strings.Cut(base, "_")
		version, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil || version <= 0 {
			return nil, fmt.Errorf("migration %s: name must start with a positive number and '_'", base)
		}
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: version, name: strings.TrimSuffix(base, ".sql"), sql: string(body)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share version %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// SchemaVersion is the schema version this package's code expects: the
// number of its newest migration.
func SchemaVersion() int64 {
	ms, err := loadMigrations(migrationFiles)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// Migrate brings the schema reached through the pool's search_path up to
// date. It runs in one transaction that first takes the advisory lock
// MigrationLockKey (pg_advisory_xact_lock), so two processes starting at once
// apply each migration exactly once, and a failed migration leaves the schema
// as it was. It is safe to call on an up-to-date schema.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return migrate(ctx, pool, discard)
}

func migrate(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	return apply(ctx, pool, log, ms)
}

// apply applies the migrations of ms not yet recorded, all in one
// transaction under the advisory lock.
func apply(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, ms []migration) error {
	if pool == nil {
		return fmt.Errorf("postgres: migrate: %w", &admin.ValidationError{Field: "pool", Reason: "is required"})
	}
	var done []migration
	err := pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", MigrationLockKey); err != nil {
			return fmt.Errorf("take advisory lock %d: %w", MigrationLockKey, err)
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+MigrationsTable+` (
			version    bigint PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL DEFAULT now()
		)`); err != nil {
			return fmt.Errorf("create %s: %w", MigrationsTable, err)
		}
		applied, err := appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return fmt.Errorf("apply %s: %w", m.name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+MigrationsTable+" (version, name) VALUES ($1, $2)", m.version, m.name); err != nil {
				return fmt.Errorf("record %s: %w", m.name, err)
			}
			done = append(done, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, m := range done {
		log.Info("applied migration", "version", m.version, "name", m.name)
	}
	return nil
}

// appliedVersions reads the versions recorded in MigrationsTable.
func appliedVersions(ctx context.Context, q querier) (map[int64]bool, error) {
	rows, err := q.Query(ctx, "SELECT version FROM "+MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	applied := make(map[int64]bool, len(versions))
	for _, v := range versions {
		applied[v] = true
	}
	return applied, nil
}

// checkSchema returns an error unless every migration has been applied; New
// calls it with Options.SkipMigrate.
func checkSchema(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", MigrationsTable).Scan(&exists); err != nil {
		return fmt.Errorf("look for %s: %w", MigrationsTable, err)
	}
	if !exists {
		return fmt.Errorf("schema is not migrated (no %s table): run postgres.Migrate or leave Options.SkipMigrate unset", MigrationsTable)
	}
	applied, err := appliedVersions(ctx, pool)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !applied[m.version] {
			return fmt.Errorf("schema lacks migration %s: run postgres.Migrate or leave Options.SkipMigrate unset", m.name)
		}
	}
	return nil
}
