package admin_test

import (
	"context"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	chstore "github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
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
