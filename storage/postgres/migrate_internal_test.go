package postgres

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatalf("the embedded migrations: %v", err)
	}
	if len(ms) == 0 || ms[0].version != 1 || ms[0].name != "0001_init" {
		t.Fatalf("embedded migrations start with %+v, want version 1 named 0001_init", ms)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].version <= ms[i-1].version {
			t.Errorf("migrations out of order: %s after %s", ms[i].name, ms[i-1].name)
		}
	}

	sql := &fstest.MapFile{Data: []byte("SELECT 1")}
	for name, fsys := range map[string]fstest.MapFS{
		"no number":      {"migrations/init.sql": sql},
		"zero":           {"migrations/0000_init.sql": sql},
		"negative":       {"migrations/-1_init.sql": sql},
		"shared version": {"migrations/0002_a.sql": sql, "migrations/2_b.sql": sql},
		"number only":    {"migrations/0003.sql": sql},
		"not a number":   {"migrations/x1_init.sql": sql},
	} {
		if ms, err := loadMigrations(fsys); err == nil {
			t.Errorf("%s: loadMigrations accepted %v", name, ms)
		}
	}
	ms, err = loadMigrations(fstest.MapFS{"migrations/10_b.sql": sql, "migrations/9_a.sql": sql, "migrations/README": sql})
	if err != nil || len(ms) != 2 || ms[0].version != 9 || ms[1].version != 10 {
		t.Errorf("loadMigrations = %+v, %v; want versions 9 then 10 (numeric order, .sql files only)", ms, err)
	}
}

// TestFailedMigrationChangesNothing: a failing migration rolls back the
// ones applied before it in the same run, and records none.
func TestFailedMigrationChangesNothing(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	ms := []migration{
		{version: 1, name: "0001_ok", sql: "CREATE TABLE first_table (id int)"},
		{version: 2, name: "0002_broken", sql: "CREATE TABLE second_table (id no_such_type)"},
	}
	err := apply(ctx, pool, discard, ms)
	if err == nil || !strings.Contains(err.Error(), "0002_broken") {
		t.Fatalf("apply with a broken migration: err = %v, want an error naming it", err)
	}
	var tables int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		t.Errorf("after a failed migration the schema has %d tables, want none", tables)
	}

	// With the broken one fixed, both apply; a third run applies only what
	// is new.
	ms[1].sql = "CREATE TABLE second_table (id int)"
	if err := apply(ctx, pool, discard, ms); err != nil {
		t.Fatalf("apply: %v", err)
	}
	ms = append(ms, migration{version: 3, name: "0003_more", sql: "CREATE TABLE third_table (id int)"})
	if err := apply(ctx, pool, discard, ms); err != nil {
		t.Fatalf("apply of a new migration: %v", err)
	}
	var recorded []int64
	rows, err := pool.Query(ctx, "SELECT version FROM "+MigrationsTable+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(recorded) != 3 || recorded[0] != 1 || recorded[2] != 3 {
		t.Errorf("recorded versions %v, want [1 2 3]", recorded)
	}
}
