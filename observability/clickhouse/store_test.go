package clickhouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
	"github.com/mastra-admin/mastra-admin-go/observability/observabilitytest"
)

// newStore returns a Store on a fresh database of the test server.
func newStore(t testing.TB) *clickhouse.Store {
	t.Helper()
	s, err := clickhouse.New(context.Background(), testenv.ClickHouse(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var t0 = time.Date(2026, 3, 31, 23, 59, 59, 123456789, time.UTC)

func span(trace, id, parent string, start time.Time, d time.Duration) admin.Span {
	return admin.Span{
		TraceID: trace, SpanID: id, ParentSpanID: parent, Name: "span " + id, Type: "workflow_step",
		ProjectID: "prj_1", DeploymentID: "dep_1", BuildID: "bld_1",
		StartTime: start, EndTime: start.Add(d),
		Attributes: json.RawMessage(`{"attributes":{"stepId":"` + id + `"}}`),
		IsRoot:     parent == "",
	}
}

func TestSpansRoundTripAndReplace(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	root := span("tr_1", "sp_1", "", t0, 3*time.Second) // crosses into April: another partition than its children
	child := span("tr_1", "sp_2", "sp_1", t0.Add(time.Second), time.Second)
	child.Error = "boom"
	other := span("tr_2", "sp_1", "", t0.Add(-time.Hour), time.Millisecond)
	if err := s.InsertSpans(ctx, []admin.Span{root, child, other}); err != nil {
		t.Fatal(err)
	}
	// The same spans again, and a new copy of the root: still three spans,
	// the root as inserted last.
	root2 := root
	root2.Name = "root, renamed"
	for _, batch := range [][]admin.Span{{root, child, other}, {root2}} {
		if err := s.InsertSpans(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_1"})
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.Span{other, root2, child}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("QuerySpans =\n%+v\nwant\n%+v", got, want)
	}

	tree, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_1", TraceID: "tr_1"})
	if err != nil || len(tree) != 2 || tree[0].SpanID != "sp_1" || tree[1].ParentSpanID != "sp_1" {
		t.Fatalf("trace tr_1 = %+v, %v; want its two spans, root first", tree, err)
	}
	// [From, To): From inclusive, To exclusive.
	ranged, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_1", From: t0, To: child.StartTime})
	if err != nil || len(ranged) != 1 || ranged[0].SpanID != "sp_1" || ranged[0].TraceID != "tr_1" {
		t.Fatalf("spans in [t0, t0+1s) = %+v, %v; want the root of tr_1 only", ranged, err)
	}
	limited, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_1", Limit: 1})
	if err != nil || len(limited) != 1 {
		t.Fatalf("Limit 1 gave %d spans, %v", len(limited), err)
	}
	none, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_2"})
	if err != nil || len(none) != 0 {
		t.Fatalf("another project's spans = %+v, %v; want none", none, err)
	}
	none, err = s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_1", DeploymentID: "dep_2"})
	if err != nil || len(none) != 0 {
		t.Fatalf("another deployment's spans = %+v, %v; want none", none, err)
	}
}

// TestTypedColumns: every typed field is kept as given, a nil cost stays
// nil.
func TestTypedColumns(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	gen := span("tr_1", "gen", "", t0, time.Second)
	gen.Type, gen.EntityType, gen.EntityID, gen.EntityName = "model_generation", "agent", "weatherAgent", "weather"
	gen.Model, gen.Provider = "gpt-4o-mini", "openai"
	gen.InputTokens, gen.OutputTokens, gen.CacheReadTokens, gen.CacheWriteTokens, gen.ReasoningTokens = 10, 5, 3, 1, 2
	cost := 0.00123
	gen.CostUSD = &cost
	step := span("tr_1", "step", "gen", t0, time.Second)
	step.Type = "model_step"
	if err := s.InsertSpans(ctx, []admin.Span{gen, step}); err != nil {
		t.Fatal(err)
	}
	got, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_1", TraceID: "tr_1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []admin.Span{gen, step}; !reflect.DeepEqual(got, want) {
		t.Fatalf("QuerySpans =\n%+v\nwant\n%+v", got, want)
	}
	bad := gen
	bad.OutputTokens = -1
	if err := s.InsertSpans(ctx, []admin.Span{bad}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("negative tokens: %v, want ErrInvalidArgument", err)
	}
}

func TestLogsRoundTripAndReplace(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	l1 := admin.LogRecord{Time: t0, Level: "info", Message: "step ran", ProjectID: "prj_1", DeploymentID: "dep_1",
		BuildID: "bld_1", TraceID: "tr_1", SpanID: "sp_2", Data: json.RawMessage(`{"n":1}`)}
	l2 := l1
	l2.Time = t0.Add(time.Nanosecond)
	l2.Level, l2.TraceID, l2.SpanID, l2.Data = "error", "", "", nil
	for range 2 {
		if err := s.InsertLogs(ctx, []admin.LogRecord{l2, l1}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.QueryLogs(ctx, admin.TelemetryQuery{ProjectID: "prj_1"})
	if err != nil {
		t.Fatal(err)
	}
	// Without an ID the store derives one from the fields (LogID).
	w1, w2 := l1, l2
	w1.ID, w2.ID = clickhouse.LogID(&l1), clickhouse.LogID(&l2)
	if want := []admin.LogRecord{w1, w2}; !reflect.DeepEqual(got, want) {
		t.Fatalf("QueryLogs =\n%+v\nwant\n%+v", got, want)
	}
	byTrace, err := s.QueryLogs(ctx, admin.TelemetryQuery{ProjectID: "prj_1", TraceID: "tr_1", From: t0, To: t0.Add(time.Second)})
	if err != nil || len(byTrace) != 1 || byTrace[0].Message != "step ran" {
		t.Fatalf("logs of tr_1 = %+v, %v", byTrace, err)
	}
	// A line with an ID, inserted again with other fields: the newest copy.
	l3 := admin.LogRecord{ID: "bld_1/logs/a.jsonl:120", Time: t0.Add(time.Minute), Level: "warn", Message: "first",
		ProjectID: "prj_2", DeploymentID: "dep_1", BuildID: "bld_1"}
	l3b := l3
	l3b.Message = "second"
	for _, batch := range [][]admin.LogRecord{{l3}, {l3b}} {
		if err := s.InsertLogs(ctx, batch); err != nil {
			t.Fatal(err)
		}
	}
	got, err = s.QueryLogs(ctx, admin.TelemetryQuery{ProjectID: "prj_2"})
	if err != nil || !reflect.DeepEqual(got, []admin.LogRecord{l3b}) {
		t.Fatalf("line inserted twice under one ID = %+v, %v; want the second copy only", got, err)
	}
}

func TestBadInput(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	good := span("tr", "sp", "", t0, time.Second)
	for name, mutate := range map[string]func(*admin.Span){
		"no project":     func(s *admin.Span) { s.ProjectID = "" },
		"no trace":       func(s *admin.Span) { s.TraceID = "" },
		"no span id":     func(s *admin.Span) { s.SpanID = "" },
		"no start":       func(s *admin.Span) { s.StartTime = time.Time{} },
		"no end":         func(s *admin.Span) { s.EndTime = time.Time{} },
		"end first":      func(s *admin.Span) { s.EndTime = s.StartTime.Add(-time.Second) },
		"bad attributes": func(s *admin.Span) { s.Attributes = json.RawMessage(`{"a":`) },
	} {
		bad := good
		mutate(&bad)
		if err := s.InsertSpans(ctx, []admin.Span{good, bad}); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: InsertSpans = %v, want ErrInvalidArgument", name, err)
		}
	}
	if err := s.InsertLogs(ctx, []admin.LogRecord{{ProjectID: "p"}}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("log without time: %v, want ErrInvalidArgument", err)
	}
	if err := s.InsertLogs(ctx, []admin.LogRecord{{ProjectID: "p", Time: t0, Data: json.RawMessage("{")}}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("log with invalid data: %v, want ErrInvalidArgument", err)
	}
	got, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_1"})
	if err != nil || len(got) != 0 {
		t.Fatalf("after rejected batches: %+v, %v; want nothing stored", got, err)
	}
	for name, q := range map[string]admin.TelemetryQuery{
		"no project":     {},
		"negative limit": {ProjectID: "p", Limit: -1},
		"huge limit":     {ProjectID: "p", Limit: clickhouse.MaxLimit + 1},
		"empty range":    {ProjectID: "p", From: t0, To: t0},
	} {
		if _, err := s.QuerySpans(ctx, q); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("QuerySpans %s: %v, want ErrInvalidArgument", name, err)
		}
		if _, err := s.QueryLogs(ctx, q); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("QueryLogs %s: %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := clickhouse.New(ctx, nil, nil); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("New(nil conn) = %v, want ErrInvalidArgument", err)
	}
}

// TestInsertAfterFailedInsert: an insert cut short (its context cancelled)
// does not leave a broken connection behind for the next one.
func TestInsertAfterFailedInsert(t *testing.T) {
	s := newStore(t)
	spans := make([]admin.Span, 20000)
	for i := range spans {
		spans[i] = span("tr", fmt.Sprintf("sp_%05d", i), "", t0, time.Millisecond)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.InsertSpans(ctx, spans); err == nil {
		t.Fatal("InsertSpans with a cancelled context succeeded")
	}
	// A deadline that may expire in the middle of sending the batch (or
	// not, on a fast machine: only what follows is checked).
	ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
	_ = s.InsertSpans(ctx, spans)
	cancel()
	for i := range 3 {
		if err := s.InsertSpans(context.Background(), spans[:100]); err != nil {
			t.Fatalf("insert %d after the failed one: %v", i, err)
		}
	}
	got, err := s.QuerySpans(context.Background(), admin.TelemetryQuery{ProjectID: "prj_1"})
	if err != nil || len(got) != 100 {
		t.Fatalf("got %d spans, %v; want 100", len(got), err)
	}
}

func TestMigrateTwiceAndSkipMigrate(t *testing.T) {
	ctx := context.Background()
	conn := testenv.ClickHouse(t)
	if _, err := clickhouse.New(ctx, conn, &clickhouse.Options{SkipMigrate: true}); err == nil {
		t.Fatal("New with SkipMigrate on an empty database succeeded")
	}
	for range 2 {
		if _, err := clickhouse.New(ctx, conn, nil); err != nil {
			t.Fatal(err)
		}
	}
	s, err := clickhouse.New(ctx, conn, &clickhouse.Options{SkipMigrate: true})
	if err != nil {
		t.Fatalf("SkipMigrate on a migrated database: %v", err)
	}
	var n uint64
	if err := conn.QueryRow(ctx, "SELECT count() FROM "+clickhouse.MigrationsTable+" FINAL").Scan(&n); err != nil || n != uint64(clickhouse.SchemaVersion()) {
		t.Fatalf("%s holds %d rows, %v; want %d", clickhouse.MigrationsTable, n, err, clickhouse.SchemaVersion())
	}
	if s.ServerVersion().Major == 0 {
		t.Errorf("ServerVersion = %v", s.ServerVersion())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "p"}); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("QuerySpans after Close = %v, want ErrClosed", err)
	}
	if err := s.InsertLogs(ctx, nil); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("InsertLogs after Close = %v, want ErrClosed", err)
	}
}

// TestRetentionNeedsTTL: on a server without TTL, Retention is refused.
func TestRetentionNeedsTTL(t *testing.T) {
	conn := testenv.ClickHouse(t)
	s, err := clickhouse.New(context.Background(), conn, &clickhouse.Options{Retention: 30 * 24 * time.Hour})
	probe, perr := clickhouse.New(context.Background(), conn, nil)
	if perr != nil {
		t.Fatal(perr)
	}
	if probe.Features().TTL {
		if err != nil {
			t.Fatalf("Retention on %v: %v", probe.ServerVersion(), err)
		}
		s.Close()
		return
	}
	if !errors.Is(err, admin.ErrNotSupported) {
		t.Fatalf("Retention on %v = %v, want ErrNotSupported", probe.ServerVersion(), err)
	}
}

func TestConformance(t *testing.T) {
	observabilitytest.Run(t, func(t *testing.T) observabilitytest.Store { return newStore(t) })
}

// TestLastCopyInBatchWins: a span or line twice in one batch is stored as
// its later copy, as if the copies came in two batches.
func TestLastCopyInBatchWins(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	first := span("tr_1", "sp_1", "", t0, time.Second)
	second := first
	second.Name = "second copy"
	if err := s.InsertSpans(ctx, []admin.Span{first, second}); err != nil {
		t.Fatal(err)
	}
	l1 := admin.LogRecord{ID: "f:0", ProjectID: "prj_1", Time: t0, Level: "info", Message: "first copy"}
	l2 := l1
	l2.Message = "second copy"
	if err := s.InsertLogs(ctx, []admin.LogRecord{l1, l2}); err != nil {
		t.Fatal(err)
	}
	spans, err := s.GetTrace(ctx, admin.TraceGet{ProjectID: "prj_1", TraceID: "tr_1", From: t0, To: t0.Add(time.Hour)})
	if err != nil || len(spans) != 1 || spans[0].Name != "second copy" {
		t.Errorf("trace = %+v, %v; want the second copy only", spans, err)
	}
	p, err := s.SearchLogs(ctx, admin.LogQuery{ProjectID: "prj_1", From: t0, To: t0.Add(time.Hour)})
	if err != nil || len(p.Logs) != 1 || p.Logs[0].Message != "second copy" {
		t.Errorf("logs = %+v, %v; want the second copy only", p.Logs, err)
	}
}

// TestReplacedValuesNotMatched: once a span or line is replaced, its old
// values match no filter and count in no total, whichever way the query
// reads (the page of roots first, or every trace totalled), while the
// server has not merged the copies yet.
func TestReplacedValuesNotMatched(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	root := span("tr_1", "root", "", t0, time.Second)
	root.DeploymentID = "dep_old"
	gen := span("tr_1", "gen", "root", t0, time.Millisecond)
	gen.Model, gen.InputTokens, gen.Error = "old-model", 100, "failed"
	cost := 1.5
	gen.CostUSD = &cost
	other := span("tr_2", "root", "", t0.Add(time.Second), time.Second)
	line := admin.LogRecord{ID: "f:0", ProjectID: "prj_1", Time: t0, Level: "error", Message: "old text", TraceID: "tr_1"}
	if err := s.InsertSpans(ctx, []admin.Span{root, gen, other}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertLogs(ctx, []admin.LogRecord{line}); err != nil {
		t.Fatal(err)
	}
	root.DeploymentID = "dep_new"
	gen.Model, gen.InputTokens, gen.Error, gen.CostUSD = "new-model", 7, "", nil
	line.Level, line.Message = "info", "new text"
	if err := s.InsertSpans(ctx, []admin.Span{root, gen}); err != nil {
		t.Fatal(err)
	}
	if err := s.InsertLogs(ctx, []admin.LogRecord{line}); err != nil {
		t.Fatal(err)
	}
	base := admin.TraceQuery{ProjectID: "prj_1", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		mod  func(*admin.TraceQuery)
		want string
	}{
		{"old deployment", func(q *admin.TraceQuery) { q.DeploymentID = "dep_old" }, ""},
		{"new deployment", func(q *admin.TraceQuery) { q.DeploymentID = "dep_new" }, "tr_1"},
		{"old model", func(q *admin.TraceQuery) { q.Model = "old-model" }, ""},
		{"new model", func(q *admin.TraceQuery) { q.Model = "new-model" }, "tr_1"},
		{"old error", func(q *admin.TraceQuery) { q.Status = admin.TraceStatusError }, ""},
		{"ok", func(q *admin.TraceQuery) { q.Status = admin.TraceStatusOK }, "tr_2,tr_1"},
		{"by cost", func(q *admin.TraceQuery) { q.Sort = admin.TraceSortCost }, "tr_1,tr_2"},
	} {
		q := base
		tc.mod(&q)
		p, err := s.ListTraces(ctx, q)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var got []string
		for _, tr := range p.Traces {
			got = append(got, tr.TraceID)
			if tr.TraceID == "tr_1" && (tr.SpanCount != 2 || tr.InputTokens != 7 || tr.CostUSD != nil || tr.Error || tr.DeploymentID != "dep_new") {
				t.Errorf("%s: tr_1 = %+v; want the new copies' totals", tc.name, tr)
			}
		}
		if strings.Join(got, ",") != tc.want {
			t.Errorf("%s: traces %q; want %q", tc.name, strings.Join(got, ","), tc.want)
		}
	}
	m, err := s.Metrics(ctx, admin.MetricsQuery{ProjectID: "prj_1", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if err != nil || len(m.Models) != 1 || m.Models[0].Model != "new-model" || m.Models[0].InputTokens != 7 || m.Models[0].CostUSD != nil {
		t.Errorf("model metrics = %+v, %v; want new-model's 7 tokens, no cost", m.Models, err)
	}
	for _, lq := range []admin.LogQuery{{Text: "old"}, {Level: "error"}} {
		lq.ProjectID, lq.From, lq.To = "prj_1", t0.Add(-time.Hour), t0.Add(time.Hour)
		if p, err := s.SearchLogs(ctx, lq); err != nil || len(p.Logs) != 0 {
			t.Errorf("SearchLogs(%+v) = %+v, %v; want nothing", lq, p.Logs, err)
		}
	}
}

// TestLongValues: ids and filters of any length reach the server whole (a
// statement longer than its default max_query_size would be refused).
func TestLongValues(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var spans []admin.Span
	for i := range 30 {
		id := fmt.Sprintf("%02d", i) + strings.Repeat("t", 20<<10)
		spans = append(spans, span(id, "root", "", t0.Add(time.Duration(i%3)*time.Second), time.Second))
	}
	if err := s.InsertSpans(ctx, spans); err != nil {
		t.Fatal(err)
	}
	for _, q := range []admin.TraceQuery{{Limit: 30}, {Limit: 7}, {Limit: 7, Status: admin.TraceStatusOK}} {
		q.ProjectID, q.From, q.To = "prj_1", t0.Add(-time.Hour), t0.Add(time.Hour)
		seen := 0
		for {
			p, err := s.ListTraces(ctx, q)
			if err != nil {
				t.Fatalf("ListTraces(limit %d, status %q): %v", q.Limit, q.Status, err)
			}
			for _, tr := range p.Traces {
				if tr.SpanCount != 1 {
					t.Errorf("trace %.2s…: %d spans", tr.TraceID, tr.SpanCount)
				}
			}
			seen += len(p.Traces)
			if p.NextCursor == "" {
				break
			}
			q.Cursor = p.NextCursor
		}
		if seen != 30 {
			t.Errorf("limit %d, status %q: %d traces; want 30", q.Limit, q.Status, seen)
		}
	}
	if sp, err := s.GetTrace(ctx, admin.TraceGet{ProjectID: "prj_1", TraceID: spans[0].TraceID, From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}); err != nil || len(sp) != 1 {
		t.Errorf("GetTrace of a 20 KiB id: %d spans, %v", len(sp), err)
	}
	p, err := s.SearchLogs(ctx, admin.LogQuery{ProjectID: "prj_1", Text: strings.Repeat("é'\\", 100<<10), From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if err != nil || len(p.Logs) != 0 {
		t.Errorf("SearchLogs with a 500 KiB text: %+v, %v", p.Logs, err)
	}
}

// TestLogWindows: SearchLogs reads the newest lines first and widens its
// window until a page is full; pages through lines spread over five days,
// with and without a filter that few lines match, still list every line
// once, newest first, also when copies of a line await a merge.
func TestLogWindows(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	var logs []admin.LogRecord
	for i := range 120 {
		msg := "plain"
		if i%13 == 0 {
			msg = "a NEEDLE here"
		}
		// Pairs at the same instant, every 116 minutes.
		logs = append(logs, admin.LogRecord{ID: fmt.Sprintf("l%03d", i), ProjectID: "prj_1", Time: t0.Add(-time.Duration(i/2) * 116 * time.Minute),
			Level: "info", Message: msg})
	}
	for range 2 { // two copies of every line
		if err := s.InsertLogs(ctx, logs); err != nil {
			t.Fatal(err)
		}
	}
	for _, text := range []string{"", "needle"} {
		var want []string
		for i := 0; i < len(logs); i += 2 { // newest first; equal times by id
			for _, l := range logs[i : i+2] {
				if text == "" || l.Message != "plain" {
					want = append(want, l.ID)
				}
			}
		}
		for _, size := range []int{1, 7, 1000} {
			q := admin.LogQuery{ProjectID: "prj_1", From: t0.Add(-7 * 24 * time.Hour), To: t0.Add(time.Hour), Text: text, Limit: size}
			var got []string
			for n := 0; ; n++ {
				p, err := s.SearchLogs(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				for _, l := range p.Logs {
					got = append(got, l.ID)
				}
				if p.NextCursor == "" || n > 200 {
					break
				}
				q.Cursor = p.NextCursor
			}
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("text %q, pages of %d:\n got %v\nwant %v", text, size, got, want)
			}
		}
	}
}

// TestLargeTraceTotals: a trace of more spans than uniq counts exactly
// (65,536) is totalled from its spans, each once, in every list; its
// spans arrive in several batches, one of them inserted twice.
func TestLargeTraceTotals(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	const n = 70000
	spans := make([]admin.Span, n)
	for i := range spans {
		parent := "sp_0"
		if i == 0 {
			parent = ""
		}
		spans[i] = span("tr_big", fmt.Sprintf("sp_%d", i), parent, t0, time.Millisecond)
		spans[i].InputTokens = 1
		cost := 0.5
		spans[i].CostUSD = &cost
	}
	for i := 0; i < n; i += 20000 {
		if err := s.InsertSpans(ctx, spans[i:min(i+20000, n)]); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.InsertSpans(ctx, spans[:20000]); err != nil {
		t.Fatal(err)
	}
	for _, q := range []admin.TraceQuery{{Sort: admin.TraceSortCost}, {Status: admin.TraceStatusOK}, {}} {
		q.ProjectID, q.From, q.To = "prj_1", t0.Add(-time.Hour), t0.Add(time.Hour)
		p, err := s.ListTraces(ctx, q)
		if err != nil || len(p.Traces) != 1 {
			t.Fatalf("ListTraces(%+v) = %+v, %v", q, p.Traces, err)
		}
		tr := p.Traces[0]
		if tr.SpanCount != n || tr.InputTokens != n || tr.CostUSD == nil || *tr.CostUSD != n*0.5 {
			t.Errorf("ListTraces(%+v): %d spans, %d input tokens, cost %v; want %d, %d, %v", q, tr.SpanCount, tr.InputTokens, tr.CostUSD, n, n, n*0.5)
		}
	}
}
