package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/observability"
	chstore "github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
	"github.com/mastra-admin/mastra-admin-go/observability/clickhouse/clickhousetest"
	obsqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
)

// TestIngestClickHouseDown ingests into the real ClickHouse store through a
// FaultProxy, cut from the start: every insert fails (the connections are
// reset, as when the server restarts or the network drops), the servers
// keep writing meanwhile, the files stay, and the health says why. Once
// the proxy forwards again, everything reaches ClickHouse: each span and
// line exactly once, as many as the files hold. (The shared ClickHouse
// server is not stopped: other test packages use it at the same time.)
func TestIngestClickHouseDown(t *testing.T) {
	direct := testenv.ClickHouse(t)
	ctx := context.Background()
	var db string
	if err := direct.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	opt, err := clickhouse.ParseDSN(testenv.ClickHouseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewFaultProxy(t, opt.Addr[0])
	opt.Addr, opt.Auth.Database = []string{proxy.Addr()}, db
	conn, err := clickhouse.Open(opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	ch, err := chstore.New(ctx, conn, nil)
	if err != nil {
		t.Fatal(err)
	}

	e := newIngestEnv(t, admin.WithObservabilityStore(ch))
	spans := e.newFile(t, "spans", "20261201T100000000Z_ch.jsonl")
	logs := e.newFile(t, "logs", "20261201T100000000Z_ch.jsonl")
	spans.write(lines(3000, func(i int) string { return spanLine(e.build, "ch", i) }))
	logs.write(lines(4000, func(i int) string { return logLine(e.build, "ch", i) }))
	proxy.Cut()
	down := time.Now()
	e.start(t)
	e.waitCheckpoint(t, spans.name, "the store's error", func(cp *admin.IngestCheckpoint) bool { return cp.LastError != "" })
	// Still failing a few seconds (several retries) later.
	waitFor(t, time.Minute, "the worker to fail again 3 s into the outage", func() (bool, bool) {
		h := must[admin.IngestHealth](t)(e.a.IngestHealth(e.ctx))
		return true, h.LastErrorAt != nil && h.LastErrorAt.Sub(down) > 3*time.Second
	})
	// The servers write on while ClickHouse is away.
	spans.write(lines(2000, func(i int) string { return spanLine(e.build, "ch", 3000+i) }))
	logs.write(lines(2000, func(i int) string { return logLine(e.build, "ch", 4000+i) }))
	spans.close()
	logs.close()
	h := must[admin.IngestHealth](t)(e.a.IngestHealth(e.ctx))
	if h.LastError == "" || h.PendingBytes == 0 {
		t.Errorf("health while ClickHouse is away: %+v, want its error and bytes pending", h)
	}
	if cp := e.checkpoint(t, logs.name); cp != nil && (cp.Offset != 0 || cp.ArchivedAt != nil) {
		t.Fatalf("while ClickHouse is away: %+v, want nothing committed", cp)
	}

	proxy.Restore()
	up := time.Now()
	for name, want := range map[string]int64{spans.name: 5000, logs.name: 6000} {
		cp := waitFor(t, 2*time.Minute, name+" archived", func() (*admin.IngestCheckpoint, bool) {
			cp := e.checkpoint(t, name)
			return cp, cp != nil && cp.ArchivedAt != nil && cp.Offset > 0
		})
		if cp.Lines != want || cp.Quarantined != 0 {
			t.Errorf("%s: %d lines, %d quarantined; want %d and 0", name, cp.Lines, cp.Quarantined, want)
		}
	}
	// Counted in ClickHouse itself: distinct keys (what every query sees)
	// and rows (copies not yet merged away included).
	var spanKeys, spanRows, logKeys, logRows uint64
	if err := direct.QueryRow(ctx, "SELECT uniqExact(trace_id, span_id), count() FROM mastra_spans WHERE project_id = ?",
		e.build.ProjectID).Scan(&spanKeys, &spanRows); err != nil {
		t.Fatal(err)
	}
	if err := direct.QueryRow(ctx, "SELECT uniqExact(id), count() FROM mastra_logs WHERE project_id = ?",
		e.build.ProjectID).Scan(&logKeys, &logRows); err != nil {
		t.Fatal(err)
	}
	if spanKeys != 5000 || logKeys != 6000 {
		t.Fatalf("ClickHouse holds %d spans and %d log lines; the files hold 5000 and 6000", spanKeys, logKeys)
	}
	page := must[admin.LogPage](t)(ch.SearchLogs(ctx, admin.LogQuery{ProjectID: e.build.ProjectID, Text: "line ch 4999",
		From: telemetryEpoch.Add(-time.Hour), To: telemetryEpoch.Add(time.Hour)}))
	if len(page.Logs) != 1 {
		t.Errorf("a line written while ClickHouse was away, searched: %d found, want 1", len(page.Logs))
	}
	testenv.Figure(t, "ClickHouse away %.1fs; caught up %.1fs after it came back: 5000 spans (%d rows), 6000 lines (%d rows), each once",
		up.Sub(down).Seconds(), time.Since(up).Seconds(), spanRows, logRows)
}

// envIngestBench, set to a number of spans, makes TestIngestThroughput
// run (scripts/bench-ingest.sh); envIngestRounds sets its rounds (3).
const (
	envIngestBench  = "MASTRA_ADMIN_BENCH_INGEST"
	envIngestRounds = "MASTRA_ADMIN_BENCH_ROUNDS"
)

// TestIngestThroughput measures the product's ingestion pipeline: the
// ingestion worker (started by Admin.Start) reading four closed JSONL
// files of MASTRA_ADMIN_BENCH_INGEST spans as Mastra servers write them,
// decoding them with observability.Decoder and inserting them into the
// ClickHouse store, timed from Start until every file's checkpoint is
// committed to its end (a batch is committed only once the store
// acknowledged it: the rows are then visible). The baseline, in the same
// rounds: clickhouse-client importing the same rows (as the decoder made
// them) from one JSONEachRow file in one INSERT, into a copy of the
// schema with the same materialized views, and into the spans table
// alone (clickhousetest). The same files through the worker into the
// embedded SQLite store are timed beside. Each timed part starts once the
// server's merges of the inserts before it ended (quiet). It prints
// rows/s and ratios and checks only that ClickHouse holds every span; it
// is a measurement, run only when asked.
func TestIngestThroughput(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv(envIngestBench))
	if n <= 0 {
		t.Skipf("a measurement: set %s to a number of spans (scripts/bench-ingest.sh)", envIngestBench)
	}
	rounds := 3
	if v := os.Getenv(envIngestRounds); v != "" {
		if rounds, _ = strconv.Atoi(v); rounds <= 0 {
			t.Fatalf("%s=%q: want a positive number of rounds", envIngestRounds, v)
		}
	}
	ctx := context.Background()
	conn := testenv.ClickHouse(t)
	ch, err := chstore.New(ctx, conn, nil)
	if err != nil {
		t.Fatal(err)
	}
	var db string
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	clickhousetest.DropTablesAtCleanup(t, conn)
	client, err := clickhousetest.NewClient(testenv.ClickHouseURL(t), db)
	if err != nil {
		t.Fatal(err)
	}
	ddl, err := chstore.DDL(ch.Features())
	if err != nil {
		t.Fatal(err)
	}
	if err := clickhousetest.CreateClientTables(ctx, conn, ddl); err != nil {
		t.Fatal(err)
	}
	var worker, lite, clientTime, bareTime time.Duration
	for r := range rounds {
		// A store of its own each round: closing the round's Admin closes it.
		ch, err := chstore.New(ctx, conn, &chstore.Options{SkipMigrate: true})
		if err != nil {
			t.Fatal(err)
		}
		e := newIngestEnv(t, admin.WithObservabilityStore(ch))
		names, file := writeMastraFiles(t, e, n)
		quiet(t, conn)
		worker += ingestTimed(t, e, names)
		var stored uint64
		if err := conn.QueryRow(ctx, "SELECT uniqExact(trace_id, span_id) FROM mastra_spans WHERE project_id = ?", e.build.ProjectID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		if stored != uint64(n) {
			t.Fatalf("round %d: ClickHouse holds %d spans of the project; the files hold %d", r, stored, n)
		}
		for _, c := range []struct {
			table string
			sum   *time.Duration
		}{{clickhousetest.ClientTable, &clientTime}, {clickhousetest.ClientBareTable, &bareTime}} {
			quiet(t, conn)
			d, err := client.Import(ctx, c.table, file)
			if err != nil {
				t.Fatal(err)
			}
			*c.sum += d
		}
		obs, err := obsqlite.Open(filepath.Join(t.TempDir(), "obs.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		e = newIngestEnv(t, admin.WithObservabilityStore(obs))
		names, _ = writeMastraFiles(t, e, n)
		lite += ingestTimed(t, e, names)
		obs.Close()
		t.Logf("round %d: worker → ClickHouse %.0f rows/s, clickhouse-client %.0f rows/s (same schema), ratio %.2f so far",
			r, float64(n*(r+1))/worker.Seconds(), float64(n*(r+1))/clientTime.Seconds(), clientTime.Seconds()/worker.Seconds())
	}
	rows := float64(n * rounds)
	rate := func(d time.Duration) float64 { return rows / d.Seconds() }
	testenv.Figure(t, "%d spans × %d rounds: ingestion worker (files → Decoder → ClickHouse) %.0f rows/s; clickhouse-client JSONEachRow %.0f rows/s "+
		"into the same schema (ratio %.2f×), %.0f rows/s into the table alone (%.2f×); the worker into the embedded SQLite store %.0f rows/s",
		n, rounds, rate(worker), rate(clientTime), rate(worker)/rate(clientTime), rate(bareTime), rate(worker)/rate(bareTime), rate(lite))
}

// quiet waits for the server's merges of the inserts before
// (clickhousetest.WaitMerges).
func quiet(t *testing.T, conn driver.Conn) {
	t.Helper()
	if err := clickhousetest.WaitMerges(context.Background(), conn); err != nil {
		t.Fatal(err)
	}
}

// writeMastraFiles writes n spans into four closed files of e's build, as
// Mastra servers write them (traces of 10 spans over the 30 days before
// now: a workflow run, its steps, one model generation with usage, about
// 600 bytes a line), and the rows the decoder makes of them as a
// JSONEachRow file for clickhouse-client; it returns the files' names and
// that file's path.
func writeMastraFiles(t *testing.T, e *ingestEnv, n int) ([]string, string) {
	t.Helper()
	var names []string
	var files []*jsonlFile
	for i := range 4 {
		f := e.newFile(t, "spans", fmt.Sprintf("20261201T10000%d000Z_bench.jsonl", i))
		files, names = append(files, f), append(names, f.name)
	}
	end := time.Now().UTC()
	traces := (n + 9) / 10
	step := 30 * 24 * time.Hour / time.Duration(traces)
	var sb strings.Builder
	rows := make([]admin.Span, 0, n)
	for i := range n {
		tr, k := i/10, i%10
		start := end.Add(-time.Duration(traces-tr) * step).Add(time.Duration(k) * time.Millisecond)
		rec := observability.Span{SchemaVersion: observability.SchemaVersion, Kind: observability.KindSpan, ProjectID: e.build.ProjectID,
			DeploymentID: e.build.DeploymentID, BuildID: e.build.ID, TraceID: fmt.Sprintf("%032x", tr+1), SpanID: fmt.Sprintf("%016x", i+1),
			Name: fmt.Sprintf("workflow step %d", k), Type: "workflow_step", EntityType: "workflow", EntityID: "weatherWorkflow",
			EntityName: "weather-workflow", StartTime: start, EndTime: start.Add(time.Duration(10+k) * time.Millisecond), CoreVersion: "1.71.0",
			Attributes: json.RawMessage(`{"stepId":"fetch-weather","status":"success"}`),
			Input:      json.RawMessage(`{"city":"Lisbon","days":3}`),
			Output:     json.RawMessage(`{"forecast":"sunny with a light breeze from the north west","max":24,"min":15}`)}
		switch k {
		case 0:
			rec.Type, rec.Name, rec.IsRootSpan, rec.EndTime = "workflow_run", "workflow run weather-workflow", true, start.Add(time.Second)
		case 5:
			rec.Type, rec.EntityType, rec.EntityID, rec.EntityName = "model_generation", "agent", "", "weather-agent"
			rec.Attributes = json.RawMessage(`{"model":"gpt-4o-mini","provider":"openai","usage":{"inputTokens":412,"outputTokens":96,"inputDetails":{"cacheRead":128}}}`)
			rec.Input, rec.Output = json.RawMessage(`{"messages":[{"role":"user","content":"weather?"}]}`), nil
		}
		if k > 0 {
			rec.ParentSpanID = fmt.Sprintf("%016x", i-k+1)
		}
		line, err := json.Marshal(rec)
		if err != nil {
			t.Fatal(err)
		}
		sp, _, err := decode(line, names[tr%4], 0)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, *sp)
		sb.Reset()
		sb.Write(line)
		sb.WriteByte('\n')
		files[tr%4].write(sb.String())
	}
	for _, f := range files {
		f.close()
	}
	file := filepath.Join(t.TempDir(), "rows.json")
	if err := clickhousetest.WriteJSONEachRow(file, rows, uint64(time.Now().UnixNano())); err != nil {
		t.Fatal(err)
	}
	return names, file
}

// ingestTimed starts e's Admin and returns the time until every named
// file's checkpoint is committed to the file's end. It looks every 10 ms:
// at most that much late, and without taking from the worker the CPU
// that reading the checkpoints more often would (at every 2 ms, a fifth
// of the worker's own).
func ingestTimed(t *testing.T, e *ingestEnv, names []string) time.Duration {
	t.Helper()
	sizes := make([]int64, len(names))
	for i, name := range names {
		fi, err := os.Stat(filepath.Join(e.dir, "builds", e.build.ID, "observability", name))
		if err != nil {
			t.Fatal(err)
		}
		sizes[i] = fi.Size()
	}
	start := time.Now()
	e.start(t)
	deadline := start.Add(10 * time.Minute)
	for i := 0; i < len(names); {
		cp := e.checkpoint(t, names[i])
		if cp != nil && cp.Offset == sizes[i] {
			i++
			continue
		}
		if cp != nil && cp.LastError != "" {
			t.Fatalf("%s: %s", names[i], cp.LastError)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ingested after 10 minutes", names[i])
		}
		time.Sleep(10 * time.Millisecond)
	}
	d := time.Since(start)
	if err := e.a.Close(); err != nil { // no worker left to compete with the next round
		t.Fatal(err)
	}
	return d
}
