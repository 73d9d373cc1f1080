package clickhouse

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/observability/clickhouse/clickhousetest"
	obsqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
)

// EnvBenchSpans sets how many spans the benchmarks insert and store
// (default 20000, so CI stays fast; the figures in doc.go used 1000000).
const EnvBenchSpans = "MASTRA_ADMIN_BENCH_SPANS"

func benchSpanCount(b *testing.B) int {
	v := os.Getenv(EnvBenchSpans)
	if v == "" {
		return 20000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 10 {
		b.Fatalf("%s=%q: want a whole number of spans, at least 10", EnvBenchSpans, v)
	}
	return n
}

// benchSpans returns n spans of about 560 bytes, in traces of 10 spans
// (a workflow run, steps, a model generation with usage) spread over the
// 30 days before end.
func benchSpans(n int, end time.Time) []admin.Span {
	spans := make([]admin.Span, n)
	traces := (n + 9) / 10
	step := 30 * 24 * time.Hour / time.Duration(traces)
	for i := range spans {
		tr, k := i/10, i%10
		start := end.Add(-time.Duration(traces-tr) * step).Add(time.Duration(k) * time.Millisecond)
		sp := admin.Span{
			TraceID:      fmt.Sprintf("%032x", tr+1),
			SpanID:       fmt.Sprintf("%016x", i+1),
			Name:         fmt.Sprintf("workflow step %d", k),
			Type:         "workflow_step",
			ProjectID:    "prj_bench",
			DeploymentID: fmt.Sprintf("dep_%d", tr%4),
			BuildID:      "bld_0123456789",
			StartTime:    start,
			EndTime:      start.Add(time.Duration(10+k) * time.Millisecond),
			Attributes: json.RawMessage(`{"entityType":"workflow","entityId":"weatherWorkflow","entityName":"weather-workflow",` +
				`"attributes":{"stepId":"fetch-weather","status":"success"},"input":{"city":"Lisbon","days":3},` +
				`"output":{"forecast":"sunny with a light breeze from the north west","max":24,"min":15},"coreVersion":"1.71.0"}`),
		}
		switch k {
		case 0:
			sp.Type, sp.Name = "workflow_run", "workflow run weather-workflow"
			sp.EndTime = start.Add(time.Second)
			sp.IsRoot = true
		case 5:
			sp.Type = "model_generation"
			sp.Attributes = json.RawMessage(`{"entityType":"agent","entityName":"weather-agent","attributes":{"model":"gpt-4o-mini","provider":"openai",` +
				`"usage":{"inputTokens":412,"outputTokens":96,"inputDetails":{"cacheRead":128}}},"input":{"messages":[{"role":"user","content":"weather?"}]}}`)
			sp.EntityType, sp.EntityName, sp.Model, sp.Provider = "agent", "weather-agent", "gpt-4o-mini", "openai"
			sp.InputTokens, sp.OutputTokens, sp.CacheReadTokens = 412, 96, 128
			cost := 0.0001194
			sp.CostUSD = &cost
		}
		if k != 5 {
			sp.EntityType, sp.EntityID, sp.EntityName = "workflow", "weatherWorkflow", "weather-workflow"
		}
		if k > 0 {
			sp.ParentSpanID = fmt.Sprintf("%016x", i-k+1)
		}
		spans[i] = sp
	}
	return spans
}

func benchStore(b *testing.B) (*Store, string) {
	b.Helper()
	conn := testenv.ClickHouse(b)
	ctx := context.Background()
	s, err := New(ctx, conn, nil)
	if err != nil {
		b.Fatal(err)
	}
	var db string
	if err := conn.QueryRow(ctx, "SELECT currentDatabase()").Scan(&db); err != nil {
		b.Fatal(err)
	}
	clickhousetest.DropTablesAtCleanup(b, conn)
	return s, db
}

// insertAll inserts spans in batches of 5000, as the ingestion worker does.
func insertAll(b *testing.B, s *Store, spans []admin.Span) {
	b.Helper()
	for i := 0; i < len(spans); i += 5000 {
		if err := s.InsertSpans(context.Background(), spans[i:min(i+5000, len(spans))]); err != nil {
			b.Fatal(err)
		}
	}
}

// baseline returns clickhouse-client on the store's database, with its
// tables created (clickhousetest.CreateClientTables).
func baseline(b *testing.B, s *Store, db string) *clickhousetest.Client {
	b.Helper()
	client, err := clickhousetest.NewClient(testenv.ClickHouseURL(b), db)
	if errors.Is(err, clickhousetest.ErrNoClient) {
		b.Skip(err)
	}
	if err != nil {
		b.Fatal(err)
	}
	ddl, err := DDL(s.features)
	if err != nil {
		b.Fatal(err)
	}
	if err := clickhousetest.CreateClientTables(context.Background(), s.conn, ddl); err != nil {
		b.Fatal(err)
	}
	return client
}

// imported runs client.Import of file into table and returns its time.
func imported(b *testing.B, client *clickhousetest.Client, table, file string) time.Duration {
	b.Helper()
	d, err := client.Import(context.Background(), table, file)
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// ingestRates reports the rows/s of the store and of the two client
// imports, and their ratios: "ratio" against the client importing into
// the same schema (views included), "ratio-bare" against the table alone.
func ingestRates(b *testing.B, what string, rows int, store, client, bare time.Duration) {
	r := float64(rows)
	storeRate, clientRate, bareRate := r/store.Seconds(), r/client.Seconds(), r/bare.Seconds()
	b.ReportMetric(storeRate, "store-rows/s")
	b.ReportMetric(clientRate, "client-rows/s")
	b.ReportMetric(bareRate, "client-bare-rows/s")
	b.ReportMetric(storeRate/clientRate, "ratio")
	b.ReportMetric(storeRate/bareRate, "ratio-bare")
	b.Logf("%d rows: %s %.0f rows/s; clickhouse-client JSONEachRow %.0f rows/s into the same schema (%.2f×), %.0f rows/s into the table alone (%.2f×)",
		rows, what, storeRate, clientRate, storeRate/clientRate, bareRate, storeRate/bareRate)
}

// BenchmarkIngest compares InsertSpans (batches of 5000, the ingestion
// worker's, and the whole set in one call) with clickhouse-client
// importing the same rows as JSONEachRow (one file, one INSERT), in the
// same loop, and reports the rates and their ratios (store / client).
func BenchmarkIngest(b *testing.B) {
	s, db := benchStore(b)
	client := baseline(b, s, db)
	n := benchSpanCount(b)
	spans := benchSpans(n, time.Now())
	file := b.TempDir() + "/spans.jsonl"
	if err := clickhousetest.WriteJSONEachRow(file, spans, uint64(time.Now().UnixNano())); err != nil {
		b.Fatal(err)
	}
	var batched, whole, clientTime, bareTime time.Duration
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		insertAll(b, s, spans)
		batched += time.Since(t)
		t = time.Now()
		if err := s.InsertSpans(context.Background(), spans); err != nil {
			b.Fatal(err)
		}
		whole += time.Since(t)
		clientTime += imported(b, client, clickhousetest.ClientTable, file)
		bareTime += imported(b, client, clickhousetest.ClientBareTable, file)
	}
	b.StopTimer()
	ingestRates(b, "InsertSpans, batches of 5000", n*b.N, batched, clientTime, bareTime)
	r := float64(n * b.N)
	b.ReportMetric(r/whole.Seconds()/(r/clientTime.Seconds()), "ratio-one-batch")
	b.Logf("%d rows: InsertSpans, one batch: %.0f rows/s (%.2f× the client into the same schema)", n*b.N, r/whole.Seconds(), clientTime.Seconds()/whole.Seconds())
}

// BenchmarkQueries stores MASTRA_ADMIN_BENCH_SPANS spans (traces of 10
// spans over 30 days) and as many log lines in the store and in the
// embedded SQLite store, then
// times each query against two baselines measured in the same run and
// loop: a plain SELECT count() of the rows the query's range covers (the
// least any query of that range costs the server: what the ratio
// "x-count" compares with), and the same query on the SQLite store
// ("x-sqlite", above 1 when ClickHouse is slower).
func BenchmarkQueries(b *testing.B) {
	s, _ := benchStore(b)
	n := benchSpanCount(b)
	end := time.Now().UTC()
	spans := benchSpans(n, end)
	t := time.Now()
	insertAll(b, s, spans)
	b.Logf("stored %d spans in ClickHouse in %s", n, time.Since(t).Round(time.Millisecond))
	lite, err := obsqlite.Open(b.TempDir()+"/obs.db", nil)
	if err != nil {
		b.Fatal(err)
	}
	defer lite.Close()
	t = time.Now()
	for i := 0; i < len(spans); i += 5000 {
		if err := lite.InsertSpans(context.Background(), spans[i:min(i+5000, len(spans))]); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("stored %d spans in SQLite in %s", n, time.Since(t).Round(time.Millisecond))
	// As many log lines, over the same 30 days; one in 1000 says "timeout".
	logs := benchLogs(n, end)
	for i := 0; i < len(logs); i += 5000 {
		batch := logs[i:min(i+5000, len(logs))]
		if err := s.InsertLogs(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
		if err := lite.InsertLogs(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}

	ctx := context.Background()
	day, month := end.Add(-24*time.Hour), end.Add(-31*24*time.Hour)
	count := func(from time.Time, trace string) func() error {
		return func() error {
			var n uint64
			q := "SELECT count() FROM mastra_spans WHERE project_id = 'prj_bench' AND start_ns >= ? AND start_ns < ?"
			args := []any{from.UnixNano(), end.Add(time.Hour).UnixNano()}
			if trace != "" {
				q += " AND trace_id = ?"
				args = append(args, trace)
			}
			return s.conn.QueryRow(ctx, q, args...).Scan(&n)
		}
	}
	countLogs := func(from time.Time) func() error {
		return func() error {
			var n uint64
			return s.conn.QueryRow(ctx, "SELECT count() FROM mastra_logs WHERE project_id = 'prj_bench' AND ts_ns >= ? AND ts_ns < ?",
				from.UnixNano(), end.Add(time.Hour).UnixNano()).Scan(&n)
		}
	}
	week := end.Add(-7 * 24 * time.Hour)
	traces := (n + 9) / 10
	traceID := func(i int) string { return fmt.Sprintf("%032x", i%traces+1) }
	type querier interface {
		admin.ObservabilityQuerier
	}
	for _, bc := range []struct {
		name     string
		run      func(q querier, i int) error
		baseline func(i int) func() error
	}{
		{"TraceListDay", func(q querier, _ int) error {
			p, err := q.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_bench", From: day, To: end.Add(time.Hour)})
			return nonEmpty(len(p.Traces), err)
		}, func(int) func() error { return count(day, "") }},
		{"TraceListMonthByCost", func(q querier, _ int) error {
			p, err := q.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_bench", From: month, To: end.Add(time.Hour), Sort: admin.TraceSortCost})
			return nonEmpty(len(p.Traces), err)
		}, func(int) func() error { return count(month, "") }},
		{"TraceListMonthErrors", func(q querier, _ int) error {
			_, err := q.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_bench", From: month, To: end.Add(time.Hour), Status: admin.TraceStatusError})
			return err
		}, func(int) func() error { return count(month, "") }},
		{"GetTrace", func(q querier, i int) error {
			sp, err := q.GetTrace(ctx, admin.TraceGet{ProjectID: "prj_bench", TraceID: traceID(i), From: month, To: end.Add(time.Hour)})
			return nonEmpty(len(sp), err)
		}, func(i int) func() error { return count(month, traceID(i)) }},
		{"MetricsDay", func(q querier, _ int) error {
			m, err := q.Metrics(ctx, admin.MetricsQuery{ProjectID: "prj_bench", From: day, To: end.Add(time.Hour)})
			return nonEmpty(len(m.Entities), err)
		}, func(int) func() error { return count(day, "") }},
		{"SearchLogsWeek", func(q querier, _ int) error {
			p, err := q.SearchLogs(ctx, admin.LogQuery{ProjectID: "prj_bench", From: week, To: end.Add(time.Hour)})
			return nonEmpty(len(p.Logs), err)
		}, func(int) func() error { return countLogs(week) }},
		{"SearchLogsWeekText", func(q querier, _ int) error {
			p, err := q.SearchLogs(ctx, admin.LogQuery{ProjectID: "prj_bench", From: week, To: end.Add(time.Hour), Text: "TIMEOUT"})
			return nonEmpty(len(p.Logs), err)
		}, func(int) func() error { return countLogs(week) }},
		{"MetricsMonth", func(q querier, _ int) error {
			m, err := q.Metrics(ctx, admin.MetricsQuery{ProjectID: "prj_bench", From: month, To: end.Add(time.Hour)})
			return nonEmpty(len(m.Entities), err)
		}, func(int) func() error { return count(month, "") }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var store, base, sq time.Duration
			for i := range b.N {
				t := time.Now()
				if err := bc.run(s, i); err != nil {
					b.Fatal(err)
				}
				store += time.Since(t)
				t = time.Now()
				if err := bc.baseline(i)(); err != nil {
					b.Fatal(err)
				}
				base += time.Since(t)
				t = time.Now()
				if err := bc.run(lite, i); err != nil {
					b.Fatal(err)
				}
				sq += time.Since(t)
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(b.N) }
			b.ReportMetric(per(store), "ms/query")
			b.ReportMetric(per(base), "ms/count")
			b.ReportMetric(per(sq), "ms/sqlite")
			b.ReportMetric(float64(store)/float64(base), "x-count")
			b.ReportMetric(float64(store)/float64(sq), "x-sqlite")
			b.Logf("%d spans: %s %.2f ms; SELECT count() of its range %.2f ms (%.1fx); SQLite %.2f ms (ClickHouse %.2fx of it)",
				n, bc.name, per(store), per(base), float64(store)/float64(base), per(sq), float64(store)/float64(sq))
		})
	}
}

// benchLogs returns n log lines of about 200 bytes spread over the 30
// days before end; one in 1000 reports a timeout.
func benchLogs(n int, end time.Time) []admin.LogRecord {
	logs := make([]admin.LogRecord, n)
	step := 30 * 24 * time.Hour / time.Duration(n)
	for i := range logs {
		msg := fmt.Sprintf("step fetch-weather finished in %d ms for Lisbon", i%500)
		if i%1000 == 0 {
			msg = "upstream weather API: request timeout after 30000 ms"
		}
		logs[i] = admin.LogRecord{ID: fmt.Sprintf("logs/server.jsonl:%d", i*200), ProjectID: "prj_bench", DeploymentID: fmt.Sprintf("dep_%d", i%4),
			BuildID: "bld_0123456789", Time: end.Add(-time.Duration(n-i) * step), Level: []string{"debug", "info", "info", "warn"}[i%4],
			Message: msg, TraceID: fmt.Sprintf("%032x", i/10+1), Data: json.RawMessage(`{"runId":"` + strconv.Itoa(i) + `"}`)}
	}
	return logs
}

// nonEmpty turns an empty result into an error: a benchmark of a query
// that finds nothing measures nothing.
func nonEmpty(n int, err error) error {
	if err == nil && n == 0 {
		return errors.New("the query found nothing")
	}
	return err
}
