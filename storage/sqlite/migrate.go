package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/internal/migrations"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// loadMigrations returns the embedded migrations, versions 1, 2, 3, ...
// without gaps.
func loadMigrations() ([]migrations.File, error) {
	return migrations.Load(migrationFiles, "migrations", true)
}

// SchemaVersion is the schema version this package writes: the number of
// its embedded migrations.
func SchemaVersion() int {
	ms, err := loadMigrations()
	if err != nil {
		return 0
	}
	return len(ms)
}

// migrate applies the migrations the database lacks, all in one
// transaction, and records each in schema_migrations. A database whose
// schema is newer than this package knows is refused rather than guessed at.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return s.write(ctx, "migrate", func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`); err != nil {
			return fmt.Errorf("migrate: create schema_migrations: %w", err)
		}
		var current int
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
			return fmt.Errorf("migrate: read the schema version: %w", err)
		}
		if current > len(ms) {
			return fmt.Errorf("migrate: the database's schema version %d is newer than this program's %d: upgrade the program", current, len(ms))
		}
		for _, m := range ms[current:] {
			if _, err := tx.ExecContext(ctx, m.Body); err != nil {
				return fmt.Errorf("migrate: apply %s: %w", m.Name, err)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.Version, m.Name+".sql", micros(time.Now())); err != nil {
				return fmt.Errorf("migrate: record %s: %w", m.Name, err)
			}
			s.log.Info("applied schema migration", "version", m.Version, "name", m.Name)
		}
		return nil
	})
}
