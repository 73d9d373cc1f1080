package postgres

import (
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/internal/migrations"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatalf("the embedded migrations: %v", err)
	}
	if len(ms) == 0 || ms[0].Version != 1 || ms[0].Name != "0001_init" {
		t.Fatalf("embedded migrations start with %+v, want version 1 named 0001_init", ms)
	}
	for i := 1; i < len(ms); i++ {
		if ms[i].Version <= ms[i-1].Version {
			t.Errorf("migrations out of order: %s after %s", ms[i].Name, ms[i-1].Name)
		}
	}

}

// TestFailedMigrationChangesNothing: a failing migration rolls back the
// ones applied before it in the same run, and records none.
func TestFailedMigrationChangesNothing(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	ms := []migrations.File{
		{Version: 1, Name: "0001_ok", Body: "CREATE TABLE first_table (id int)"},
		{Version: 2, Name: "0002_broken", Body: "CREATE TABLE second_table (id no_such_type)"},
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
	ms[1].Body = "CREATE TABLE second_table (id int)"
	if err := apply(ctx, pool, discard, ms); err != nil {
		t.Fatalf("apply: %v", err)
	}
	ms = append(ms, migrations.File{Version: 3, Name: "0003_more", Body: "CREATE TABLE third_table (id int)"})
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
