package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/migrations"
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

// loadMigrations reads the embedded migrations in version order.
func loadMigrations(fsys fs.FS) ([]migrations.File, error) {
	return migrations.Load(fsys, "migrations", false)
}

// SchemaVersion is the schema version this package's code expects: the
// number of its newest migration.
func SchemaVersion() int64 {
	ms, err := loadMigrations(migrationFiles)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].Version
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
func apply(ctx context.Context, pool *pgxpool.Pool, log *slog.Logger, ms []migrations.File) error {
	if pool == nil {
		return fmt.Errorf("postgres: migrate: %w", &admin.ValidationError{Field: "pool", Reason: "is required"})
	}
	var done []migrations.File
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
			if applied[m.Version] {
				continue
			}
			if _, err := tx.Exec(ctx, m.Body); err != nil {
				return fmt.Errorf("apply %s: %w", m.Name, err)
			}
			if _, err := tx.Exec(ctx, "INSERT INTO "+MigrationsTable+" (version, name) VALUES ($1, $2)", m.Version, m.Name); err != nil {
				return fmt.Errorf("record %s: %w", m.Name, err)
			}
			done = append(done, m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	for _, m := range done {
		log.Info("applied migration", "version", m.Version, "name", m.Name)
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
		if !applied[m.Version] {
			return fmt.Errorf("schema lacks migration %s: run postgres.Migrate or leave Options.SkipMigrate unset", m.Name)
		}
	}
	return nil
}
