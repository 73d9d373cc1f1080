package clickhouse

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"strings"
	"text/template"
	"time"

	"github.com/mastra-admin/mastra-admin-go/internal/migrations"
)

// MigrationsTable records the applied migrations, one row per version.
const MigrationsTable = "mastra_schema_migrations"

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migration is one numbered file, such as migrations/0001_init.sql: a
// text/template rendered with the server's Features into statements
// separated by ";" at the end of a line.
type migration migrations.File

// loadMigrations reads the migrations/*.sql files of fsys in version order.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	files, err := migrations.Load(fsys, "migrations", false)
	ms := make([]migration, len(files))
	for i, f := range files {
		ms[i] = migration(f)
	}
	return ms, err
}

func (m migration) statements(f Features) ([]string, error) {
	t, err := template.New(m.Name).Funcs(template.FuncMap{
		// lc is the type of a low-cardinality string column.
		"lc": func() string {
			if f.LowCardinality {
				return "LowCardinality(String)"
			}
			return "String"
		},
		// codec is a column's compression codec, where codecs exist.
		"codec": func(c string) string {
			if f.Codecs {
				return " CODEC(" + c + ")"
			}
			return ""
		},
	}).Option("missingkey=error").Parse(m.Body)
	if err != nil {
		return nil, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	var b strings.Builder
	if err := t.Execute(&b, f); err != nil {
		return nil, fmt.Errorf("migration %s: %w", m.Name, err)
	}
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(b.String(), "\n") {
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "--") {
			continue
		}
		cur.WriteString(strings.TrimRight(line, " \t"))
		cur.WriteByte('\n')
		if strings.HasSuffix(trimmed, ";") {
			out = append(out, strings.TrimSuffix(strings.TrimSpace(cur.String()), ";"))
			cur.Reset()
		}
	}
	if rest := strings.TrimSpace(cur.String()); rest != "" {
		out = append(out, rest)
	}
	return out, nil
}

// DDL returns the statements every migration runs on a server with
// features f, in order: what New applies, for review or for applying by
// hand.
func DDL(f Features) ([]string, error) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return nil, err
	}
	var all []string
	for _, m := range ms {
		st, err := m.statements(f)
		if err != nil {
			return nil, err
		}
		all = append(all, st...)
	}
	return all, nil
}

// SchemaVersion is the schema version this package's code expects: the
// number of its newest migration.
func SchemaVersion() uint32 {
	ms, err := loadMigrations(migrationFiles)
	if err != nil || len(ms) == 0 {
		return 0
	}
	return uint32(ms[len(ms)-1].Version)
}

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS ` + MigrationsTable + ` (
    version    UInt32,
    name       String,
    applied_at DateTime
) ENGINE = ReplacingMergeTree ORDER BY version`

// migrate applies the migrations not yet recorded in MigrationsTable.
// ClickHouse has neither transactions nor locks: every statement of a
// migration is idempotent (CREATE … IF NOT EXISTS), so two admin servers
// starting at once both succeed, and a migration cut short is applied
// again in full on the next start.
func (s *Store) migrate(ctx context.Context) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return fmt.Errorf("clickhouse: migrate: %w", err)
	}
	if err := s.conn.Exec(ctx, createMigrationsTable); err != nil {
		return fmt.Errorf("clickhouse: migrate: create %s: %w", MigrationsTable, err)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return fmt.Errorf("clickhouse: migrate: %w", err)
	}
	for _, m := range ms {
		if applied[uint32(m.Version)] {
			continue
		}
		stmts, err := m.statements(s.features)
		if err != nil {
			return fmt.Errorf("clickhouse: migrate: %w", err)
		}
		for _, st := range stmts {
			if err := s.conn.Exec(ctx, st); err != nil {
				return fmt.Errorf("clickhouse: migrate: apply %s: %w", m.Name, err)
			}
		}
		b, err := s.conn.PrepareBatch(ctx, "INSERT INTO "+MigrationsTable+" (version, name, applied_at)")
		if err == nil {
			if err = b.Append(uint32(m.Version), m.Name, time.Now().UTC().Truncate(time.Second)); err == nil {
				err = b.Send()
			} else {
				_ = b.Abort()
			}
		}
		if err != nil {
			return fmt.Errorf("clickhouse: migrate: record %s: %w", m.Name, err)
		}
		s.log.Info("applied migration", "version", m.Version, "name", m.Name)
	}
	return nil
}

// appliedVersions reads the versions recorded in MigrationsTable.
func (s *Store) appliedVersions(ctx context.Context) (map[uint32]bool, error) {
	rows, err := s.conn.Query(ctx, "SELECT DISTINCT version FROM "+MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	applied := map[uint32]bool{}
	for rows.Next() {
		var v uint32
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read %s: %w", MigrationsTable, err)
	}
	return applied, nil
}

// checkSchema returns an error unless every migration has been applied.
func (s *Store) checkSchema(ctx context.Context) error {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		return err
	}
	var n uint64
	if err := s.conn.QueryRow(ctx, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = ?", MigrationsTable).Scan(&n); err != nil {
		return fmt.Errorf("look for %s: %w", MigrationsTable, err)
	}
	if n == 0 {
		return fmt.Errorf("schema is not migrated (no %s table): leave Options.SkipMigrate unset once", MigrationsTable)
	}
	applied, err := s.appliedVersions(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if !applied[uint32(m.Version)] {
			return fmt.Errorf("schema lacks migration %s: leave Options.SkipMigrate unset once", m.Name)
		}
	}
	return nil
}
