package clickhouse

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{
		"18.16.1":    {18, 16, 1},
		"25.8.3.1":   {25, 8, 3},
		" 22.2 ":     {22, 2, 0},
		"24.3.1.2-x": {24, 3, 1},
	} {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "18", "a.b", "18.x.1", "-1.2"} {
		if v, err := ParseVersion(in); err == nil {
			t.Errorf("ParseVersion(%q) = %v, want an error", in, v)
		}
	}
}

func TestFeaturesOf(t *testing.T) {
	for in, want := range map[string]Features{
		"18.16.1": {},
		"20.2.1":  {},
		"20.3.1":  {LowCardinality: true, Codecs: true, SkipIndexes: true, TTL: true},
		"22.1.9":  {LowCardinality: true, Codecs: true, SkipIndexes: true, TTL: true},
		"22.2.1":  {LowCardinality: true, Codecs: true, SkipIndexes: true, TTL: true, DedupTokens: true},
		"25.8.3":  {LowCardinality: true, Codecs: true, SkipIndexes: true, TTL: true, DedupTokens: true},
	} {
		v, err := ParseVersion(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := FeaturesOf(v); got != want {
			t.Errorf("FeaturesOf(%s) = %+v, want %+v", in, got, want)
		}
	}
}

// ddl renders every migration for a server version.
func ddl(t *testing.T, version string, retentionDays int) string {
	t.Helper()
	v, err := ParseVersion(version)
	if err != nil {
		t.Fatal(err)
	}
	f := FeaturesOf(v)
	f.RetentionDays = retentionDays
	stmts, err := DDL(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range stmts {
		if strings.TrimSpace(st) == "" || strings.HasSuffix(st, ";") {
			t.Errorf("statement %q is empty or keeps its ';'", st)
		}
	}
	return strings.Join(stmts, ";\n")
}

// TestDDLOld: on 18.16 the schema keeps to the common subset (what runs
// here is checked for real by every other test).
func TestDDLOld(t *testing.T) {
	sql := ddl(t, "18.16.1", 0)
	for _, absent := range []string{"LowCardinality", "CODEC", "INDEX", "TTL", "SETTINGS", "{{", "}}"} {
		if strings.Contains(sql, absent) {
			t.Errorf("18.16 DDL contains %q:\n%s", absent, sql)
		}
	}
	for _, present := range []string{"ENGINE = ReplacingMergeTree(version)", "PARTITION BY toYYYYMM(start_date)",
		"ORDER BY (project_id, trace_id, span_id)", "ORDER BY (project_id, deployment_id, ts_ns, id)",
		"span_type          String,", "start_ns           Int64,",
		"ORDER BY (project_id, start_date, start_ns, trace_id, span_id)", "CREATE MATERIALIZED VIEW IF NOT EXISTS mastra_roots_mv TO mastra_roots"} {
		if !strings.Contains(sql, present) {
			t.Errorf("18.16 DDL lacks %q:\n%s", present, sql)
		}
	}
}

// TestDDLNew: a current server gets every feature.
func TestDDLNew(t *testing.T) {
	sql := ddl(t, "25.8.3.1", 30)
	for _, present := range []string{
		"span_type          LowCardinality(String),",
		"model              LowCardinality(String),",
		"level         LowCardinality(String),",
		"start_ns           Int64 CODEC(Delta, ZSTD),",
		"attributes         String CODEC(ZSTD),",
		"INDEX idx_start start_ns TYPE minmax GRANULARITY 4",
		"INDEX idx_deployment deployment_id TYPE bloom_filter GRANULARITY 4",
		"INDEX idx_message lower(message) TYPE ngrambf_v1(3, 8192, 3, 0) GRANULARITY 4",
		"TTL start_date + toIntervalDay(30)",
		"TTL log_date + toIntervalDay(30)",
		"SETTINGS non_replicated_deduplication_window = 1000",
	} {
		if !strings.Contains(sql, present) {
			t.Errorf("25.8 DDL lacks %q:\n%s", present, sql)
		}
	}
	if strings.Contains(ddl(t, "25.8.3.1", 0), "TTL") {
		t.Error("DDL without retention has a TTL")
	}
	// The clauses come in the order CREATE TABLE requires.
	for _, table := range strings.Split(sql, ";\n")[:2] {
		last := -1
		for _, clause := range []string{"ENGINE =", "PARTITION BY", "ORDER BY", "TTL", "SETTINGS"} {
			i := strings.Index(table, clause)
			if i < last {
				t.Errorf("%s out of order in:\n%s", clause, table)
			}
			last = i
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	ms, err := loadMigrations(migrationFiles)
	if err != nil || len(ms) == 0 || ms[0].Version != 1 {
		t.Fatalf("embedded migrations = %+v, %v", ms, err)
	}
	bad := migration{Name: "bad", Body: "CREATE {{nosuchfunc}}"}
	if _, err := bad.statements(Features{}); err == nil {
		t.Error("a migration with a broken template rendered")
	}
	two := migration{Name: "two", Body: "-- a comment;\nCREATE TABLE a (x String) ENGINE = Memory;\n\nCREATE TABLE b\n(x String) ENGINE = Memory"}
	st, err := two.statements(Features{})
	if err != nil || len(st) != 2 || st[1] != "CREATE TABLE b\n(x String) ENGINE = Memory" {
		t.Errorf("statements = %q, %v", st, err)
	}
}

func TestRetentionDays(t *testing.T) {
	for d, want := range map[int64]int{0: 0, 1: 1, int64(24 * 3600e9): 1, int64(24*3600e9) + 1: 2} {
		if got := retentionDays(time.Duration(d)); got != want {
			t.Errorf("retentionDays(%d) = %d, want %d", d, got, want)
		}
	}
}

// TestRootsBackfill: migrations 0002 and 0003 copy the root spans and the
// trace totals of the spans stored before them into mastra_roots and
// mastra_trace_totals, so the trace lists of an upgraded database show
// them, with their totals.
func TestRootsBackfill(t *testing.T) {
	ctx := context.Background()
	conn := testenv.ClickHouse(t)
	v, err := serverVersion(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	// The database as the first migration left it, with a trace in it.
	first, err := ms[0].statements(FeaturesOf(v))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range append([]string{createMigrationsTable}, first...) {
		if err := conn.Exec(ctx, st); err != nil {
			t.Fatal(err)
		}
	}
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+MigrationsTable+" (version, name, applied_at)")
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Append(uint32(1), ms[0].Name, time.Now().UTC().Truncate(time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	b, err = conn.PrepareBatch(ctx, "INSERT INTO mastra_spans ("+spanColumns+")")
	if err != nil {
		t.Fatal(err)
	}
	cost := 0.5
	for _, sp := range []struct {
		id, parent string
		root       uint8
		cost       *float64
	}{{"root", "", 1, nil}, {"child", "root", 0, &cost}} {
		if err := b.Append("prj_1", "dep_1", "bld_1", "tr_1", sp.id, sp.parent, "span "+sp.id, "workflow_run", "workflow", "wf", "wf",
			sp.root, start.UnixNano(), start.Add(time.Second).UnixNano(), int64(time.Second), uint8(0), "", "", "",
			int64(0), int64(0), int64(0), int64(0), int64(0), sp.cost, "", uint64(1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Send(); err != nil {
		t.Fatal(err)
	}

	s, err := New(ctx, conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_1", From: start, To: start.Add(time.Hour)})
	if err != nil || len(p.Traces) != 1 || p.Traces[0].TraceID != "tr_1" || p.Traces[0].SpanCount != 2 || p.Traces[0].RootName != "span root" {
		t.Fatalf("traces after the upgrade: %+v, %v; want tr_1 with 2 spans", p.Traces, err)
	}
	p, err = s.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_1", From: start, To: start.Add(time.Hour), Sort: admin.TraceSortCost})
	if err != nil || len(p.Traces) != 1 || p.Traces[0].SpanCount != 2 || p.Traces[0].CostUSD == nil || *p.Traces[0].CostUSD != cost {
		t.Fatalf("traces by cost after the upgrade: %+v, %v; want tr_1 with 2 spans costing %v", p.Traces, err, cost)
	}
}
