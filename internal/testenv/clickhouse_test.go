package testenv

import (
	"context"
	"strings"
	"testing"

	"github.com/ClickHouse/clickhouse-go/v2"
)

// TestClickHouse: the connection's default database is a fresh one named by
// Name, and it is gone once the test that asked for it has ended.
func TestClickHouse(t *testing.T) {
	ctx := context.Background()
	var db string
	t.Run("database", func(t *testing.T) {
		conn := ClickHouse(t)
		if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(db, "t_") {
			t.Fatalf("currentDatabase() = %q, want a name from Name()", db)
		}
		if err := conn.Exec(ctx, "CREATE TABLE x (a String) ENGINE = Memory"); err != nil {
			t.Fatalf("create a table in the test database: %v", err)
		}
	})
	opt, err := clickhouse.ParseDSN(ClickHouseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, err := clickhouse.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM system.databases WHERE name = ?", db).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("database %s still exists after its test ended", db)
	}
}
