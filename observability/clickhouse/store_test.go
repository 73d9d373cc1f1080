package clickhouse_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
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

func TestTraces(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	root := span("tr_1", "sp_1", "", t0, 3*time.Second)
	root.EntityType, root.EntityName = "workflow", "wf"
	gen := span("tr_1", "sp_2", "sp_1", t0.Add(time.Second), time.Second)
	gen.Type, gen.Model, gen.InputTokens, gen.OutputTokens = "model_generation", "m", 10, 4
	gen.Error = "boom"
	older := span("tr_2", "sp_1", "", t0.Add(-time.Hour), time.Millisecond)
	orphan := span("tr_3", "sp_9", "sp_8", t0, time.Millisecond) // no root yet
	// Everything twice: nothing counted twice.
	for range 2 {
		if err := s.InsertSpans(ctx, []admin.Span{root, gen, older, orphan}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Traces(ctx, admin.TelemetryQuery{ProjectID: "prj_1", From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	want := []admin.TraceSummary{
		{TraceID: "tr_1", DeploymentID: "dep_1", RootName: "span sp_1", RootType: "workflow_step", EntityType: "workflow", EntityName: "wf",
			Start: t0, Duration: 3 * time.Second, SpanCount: 2, Error: true, InputTokens: 10, OutputTokens: 4},
		{TraceID: "tr_2", DeploymentID: "dep_1", RootName: "span sp_1", RootType: "workflow_step",
			Start: t0.Add(-time.Hour), Duration: time.Millisecond, SpanCount: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Traces =\n%+v\nwant\n%+v", got, want)
	}
	page, err := s.Traces(ctx, admin.TelemetryQuery{ProjectID: "prj_1", Limit: 1})
	if err != nil || len(page) != 1 || page[0].TraceID != "tr_1" {
		t.Fatalf("first page of 1 = %+v, %v; want tr_1", page, err)
	}
	if _, err := s.Traces(ctx, admin.TelemetryQuery{}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("Traces without a project: %v, want ErrInvalidArgument", err)
	}
}

func TestMetrics(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	hour := t0.Truncate(time.Hour)
	var spans []admin.Span
	for i := range 4 { // four runs of one workflow in the first hour, 1 to 4 s long; the last fails
		root := span(fmt.Sprintf("tr_%d", i), "root", "", hour.Add(time.Duration(i)*time.Minute), time.Duration(i+1)*time.Second)
		root.EntityType, root.EntityName = "workflow", "wf"
		if i == 3 {
			root.Error = "boom"
		}
		gen := span(root.TraceID, "gen", "root", root.StartTime, time.Second)
		gen.Type, gen.Model, gen.InputTokens, gen.OutputTokens, gen.CacheReadTokens = "model_generation", "m1", 100, 10, 5
		step := span(root.TraceID, "step", "gen", root.StartTime, time.Second)
		step.Type = "model_step"
		spans = append(spans, root, gen, step)
	}
	late := span("tr_late", "root", "", hour.Add(90*time.Minute), time.Second)
	spans = append(spans, late)
	for range 2 { // twice: nothing counted twice
		if err := s.InsertSpans(ctx, spans); err != nil {
			t.Fatal(err)
		}
	}
	runs, models, err := s.Metrics(ctx, admin.TelemetryQuery{ProjectID: "prj_1", From: hour, To: hour.Add(2 * time.Hour)}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 {
		t.Fatalf("runs = %+v, want two rows (wf in the first hour, the untyped run in the second)", runs)
	}
	wf := runs[0]
	if !wf.Bucket.Equal(hour) || wf.EntityName != "wf" || wf.Runs != 4 || wf.Errors != 1 ||
		wf.P50 < time.Second || wf.P50 > 4*time.Second || wf.P99 < wf.P95 || wf.P95 < wf.P50 || wf.P99 > 4*time.Second {
		t.Errorf("first hour = %+v", wf)
	}
	if r := runs[1]; !r.Bucket.Equal(hour.Add(time.Hour)) || r.Runs != 1 || r.P50 != time.Second {
		t.Errorf("second hour = %+v", r)
	}
	want := []clickhouse.ModelMetrics{{Bucket: hour, Model: "m1", Calls: 4, InputTokens: 400, OutputTokens: 40, CacheReadTokens: 20}}
	if !reflect.DeepEqual(models, want) {
		t.Errorf("models = %+v, want %+v", models, want)
	}
	for name, tc := range map[string]struct {
		q admin.TelemetryQuery
		b time.Duration
	}{
		"no range":     {admin.TelemetryQuery{ProjectID: "prj_1"}, time.Hour},
		"zero bucket":  {admin.TelemetryQuery{ProjectID: "prj_1", From: hour, To: hour.Add(time.Hour)}, 0},
		"many buckets": {admin.TelemetryQuery{ProjectID: "prj_1", From: hour, To: hour.Add(365 * 24 * time.Hour)}, time.Second},
	} {
		if _, _, err := s.Metrics(ctx, tc.q, tc.b); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: %v, want ErrInvalidArgument", name, err)
		}
	}
}

func TestSearchLogs(t *testing.T) {
	ctx := context.Background()
	s := newStore(t)
	mk := func(d time.Duration, level, msg string) admin.LogRecord {
		return admin.LogRecord{Time: t0.Add(d), Level: level, Message: msg, ProjectID: "prj_1", DeploymentID: "dep_1", BuildID: "bld_1"}
	}
	logs := []admin.LogRecord{mk(0, "info", "Fetching WEATHER for Lisbon"), mk(time.Second, "error", "weather API timed out"),
		mk(2*time.Second, "info", `done 100% of step_1 in C:\tmp`), mk(48*time.Hour, "error", "weather again, outside the range")}
	for range 2 {
		if err := s.InsertLogs(ctx, logs); err != nil {
			t.Fatal(err)
		}
	}
	q := admin.TelemetryQuery{ProjectID: "prj_1", From: t0, To: t0.Add(time.Hour)}
	for _, tc := range []struct {
		f    clickhouse.LogFilter
		want []string
	}{
		{clickhouse.LogFilter{}, []string{logs[0].Message, logs[1].Message, logs[2].Message}},
		{clickhouse.LogFilter{Text: "weather"}, []string{logs[0].Message, logs[1].Message}},
		{clickhouse.LogFilter{Text: "weather", Level: "error"}, []string{logs[1].Message}},
		{clickhouse.LogFilter{Text: "snow"}, nil},
		{clickhouse.LogFilter{Text: "100% OF STEP_1"}, []string{logs[2].Message}},
		{clickhouse.LogFilter{Text: `c:\tmp`}, []string{logs[2].Message}},
		{clickhouse.LogFilter{Text: "0_"}, nil}, // "_" is not a wildcard
		{clickhouse.LogFilter{Text: "%"}, []string{logs[2].Message}},
	} {
		got, err := s.SearchLogs(ctx, q, tc.f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs []string
		for _, l := range got {
			msgs = append(msgs, l.Message)
		}
		if !reflect.DeepEqual(msgs, tc.want) {
			t.Errorf("SearchLogs(%+v) = %q, want %q", tc.f, msgs, tc.want)
		}
	}
	if _, err := s.SearchLogs(ctx, admin.TelemetryQuery{ProjectID: "prj_1"}, clickhouse.LogFilter{Text: "x"}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("SearchLogs without a range: %v, want ErrInvalidArgument", err)
	}
	if _, err := s.SearchLogs(ctx, q, clickhouse.LogFilter{Level: "fatal"}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("SearchLogs with level fatal: %v, want ErrInvalidArgument", err)
	}
}
