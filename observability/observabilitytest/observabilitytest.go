// Package observabilitytest is the conformance suite of the observability
// stores: Run checks that a store keeps every promise of
// admin.ObservabilityStore and admin.ObservabilityQuerier.
package observabilitytest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Store is what the suite tests: a store that keeps and answers.
type Store interface {
	admin.ObservabilityStore
	admin.ObservabilityQuerier
}

// Run runs the suite. newStore returns a new, empty store for each subtest;
// the suite closes it (closing twice must be harmless, so newStore may
// also register a Close with t.Cleanup).
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	tests := []struct {
		name string
		fn   func(*testing.T, Store)
	}{
		{"TraceTree", testTraceTree},
		{"Idempotent", testIdempotent},
		{"TraceFilters", testTraceFilters},
		{"TraceSorts", testTraceSorts},
		{"TracePages", testTracePages},
		{"TraceTotals", testTraceTotals},
		{"DefaultWindow", testDefaultWindow},
		{"Logs", testLogs},
		{"LogPages", testLogPages},
		{"Metrics", testMetrics},
		{"UnknownCost", testUnknownCost},
		{"BadQueries", testBadQueries},
		{"BadInserts", testBadInserts},
		{"Closed", testClosed},
		{"LargeAttributes", testLargeAttributes},
		{"Projects", testProjects},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// t0 is the suite's time origin: a whole hour, far from any default window.
var t0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// all is a range covering every span and log the tests write around t0.
func all(project string) admin.TraceQuery {
	return admin.TraceQuery{ProjectID: project, From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour), Limit: admin.MaxTelemetryLimit}
}

func ptr(f float64) *float64 { return &f }

// span returns a span of project "prj_a", deployment "dep_1", build "bld_1".
func span(trace, id, parent string, start time.Time, dur time.Duration) admin.Span {
	return admin.Span{ProjectID: "prj_a", DeploymentID: "dep_1", BuildID: "bld_1", TraceID: trace, SpanID: id, ParentSpanID: parent,
		Name: "span " + id, Type: "workflow_step", StartTime: start, EndTime: start.Add(dur), IsRoot: parent == "",
		Attributes: []byte(`{"k":"` + id + `"}`)}
}

// root returns a root span of an entity.
func root(trace string, start time.Time, dur time.Duration, etype, ename string) admin.Span {
	s := span(trace, trace+"-root", "", start, dur)
	s.Type, s.EntityType, s.EntityID, s.EntityName = etype+"_run", etype, ename+"-id", ename
	return s
}

// call returns a model call span under a trace's root.
func call(trace, id string, start time.Time, model string, in, out int64, cost *float64) admin.Span {
	s := span(trace, id, trace+"-root", start, 100*time.Millisecond)
	s.Type, s.Model, s.Provider, s.InputTokens, s.OutputTokens, s.CostUSD = "model_generation", model, "openai", in, out, cost
	return s
}

func insertSpans(t *testing.T, s Store, spans ...admin.Span) {
	t.Helper()
	if err := s.InsertSpans(context.Background(), spans); err != nil {
		t.Fatalf("InsertSpans: %v", err)
	}
}

func insertLogs(t *testing.T, s Store, logs ...admin.LogRecord) {
	t.Helper()
	if err := s.InsertLogs(context.Background(), logs); err != nil {
		t.Fatalf("InsertLogs: %v", err)
	}
}

func list(t *testing.T, s Store, q admin.TraceQuery) admin.TracePage {
	t.Helper()
	p, err := s.ListTraces(context.Background(), q)
	if err != nil {
		t.Fatalf("ListTraces(%+v): %v", q, err)
	}
	return p
}

func ids(p admin.TracePage) string {
	var out []string
	for _, tr := range p.Traces {
		out = append(out, tr.TraceID)
	}
	return strings.Join(out, ",")
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func costString(c *float64) string {
	if c == nil {
		return "nil"
	}
	return fmt.Sprint(*c)
}

func sameCost(got, want *float64) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return near(*got, *want)
}

// checkSpan compares every field of a stored span with what was inserted.
func checkSpan(t *testing.T, got, want admin.Span) {
	t.Helper()
	if got.TraceID != want.TraceID || got.SpanID != want.SpanID || got.ParentSpanID != want.ParentSpanID || got.Name != want.Name ||
		got.Type != want.Type || got.ProjectID != want.ProjectID || got.DeploymentID != want.DeploymentID || got.BuildID != want.BuildID ||
		!got.StartTime.Equal(want.StartTime) || !got.EndTime.Equal(want.EndTime) || string(got.Attributes) != string(want.Attributes) ||
		got.Error != want.Error || got.EntityType != want.EntityType || got.EntityID != want.EntityID || got.EntityName != want.EntityName ||
		got.IsRoot != want.IsRoot || got.Model != want.Model || got.Provider != want.Provider || got.InputTokens != want.InputTokens ||
		got.OutputTokens != want.OutputTokens || got.CacheReadTokens != want.CacheReadTokens || got.CacheWriteTokens != want.CacheWriteTokens ||
		got.ReasoningTokens != want.ReasoningTokens || !sameCost(got.CostUSD, want.CostUSD) {
		t.Errorf("span %s:\n got %+v (cost %s)\nwant %+v (cost %s)", want.SpanID, got, costString(got.CostUSD), want, costString(want.CostUSD))
	}
}

func getTrace(t *testing.T, s Store, project, trace string) []admin.Span {
	t.Helper()
	spans, err := s.GetTrace(context.Background(), admin.TraceGet{ProjectID: project, TraceID: trace, From: t0.Add(-24 * time.Hour), To: t0.Add(24 * time.Hour)})
	if err != nil {
		t.Fatalf("GetTrace(%s): %v", trace, err)
	}
	return spans
}

func testTraceTree(t *testing.T, s Store) {
	r := root("tr1", t0, 2*time.Second, "agent", "support")
	a := span("tr1", "a", r.SpanID, t0.Add(100*time.Millisecond), time.Second)
	b := call("tr1", "b", t0.Add(200*time.Millisecond), "gpt-4o", 1000, 200, ptr(0.0045))
	b.ParentSpanID, b.CacheReadTokens, b.CacheWriteTokens, b.ReasoningTokens = "a", 300, 20, 50
	c := span("tr1", "c", "a", t0.Add(200*time.Millisecond), 500*time.Millisecond)
	c.Error = "tool failed"
	other := root("tr2", t0.Add(time.Minute), time.Second, "workflow", "wf")
	insertSpans(t, s, c, r, other, b, a)

	got := getTrace(t, s, "prj_a", "tr1")
	want := []admin.Span{r, a, b, c} // by start, then span id
	if len(got) != len(want) {
		t.Fatalf("GetTrace returned %d spans; want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		checkSpan(t, got[i], want[i])
	}
	if _, err := s.GetTrace(context.Background(), admin.TraceGet{ProjectID: "prj_a", TraceID: "nope", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("GetTrace of a missing trace: %v; want ErrNotFound", err)
	}
	// The span range bounds the trace's spans.
	if spans, err := s.GetTrace(context.Background(), admin.TraceGet{ProjectID: "prj_a", TraceID: "tr1", From: t0.Add(150 * time.Millisecond), To: t0.Add(time.Hour)}); err != nil || len(spans) != 2 {
		t.Errorf("GetTrace from t0+150ms: %d spans, %v; want b and c", len(spans), err)
	}

	p := list(t, s, all("prj_a"))
	if ids(p) != "tr2,tr1" || p.NextCursor != "" {
		t.Fatalf("ListTraces = %s (next %q); want tr2,tr1", ids(p), p.NextCursor)
	}
	tr := p.Traces[1]
	if tr.RootName != r.Name || tr.RootType != "agent_run" || tr.EntityType != "agent" || tr.EntityID != "support-id" || tr.EntityName != "support" ||
		!tr.Start.Equal(t0) || tr.Duration != 2*time.Second || tr.SpanCount != 4 || !tr.Error || tr.DeploymentID != "dep_1" || tr.BuildID != "bld_1" ||
		tr.InputTokens != 1000 || tr.OutputTokens != 200 || tr.CacheReadTokens != 300 || tr.CacheWriteTokens != 20 || tr.ReasoningTokens != 50 ||
		!sameCost(tr.CostUSD, ptr(0.0045)) {
		t.Errorf("summary of tr1 = %+v (cost %s)", tr, costString(tr.CostUSD))
	}
	if tr := p.Traces[0]; tr.SpanCount != 1 || tr.Error || tr.InputTokens != 0 || tr.CostUSD != nil {
		t.Errorf("summary of tr2 = %+v (cost %s)", tr, costString(tr.CostUSD))
	}
}

// mixed writes three traces with model calls and their logs, and returns
// the logs.
func mixed(t *testing.T, s Store) []admin.LogRecord {
	insertSpans(t, s,
		root("x1", t0, time.Second, "agent", "a"), call("x1", "x1c1", t0, "gpt-4o", 100, 10, ptr(0.5)), call("x1", "x1c2", t0, "gpt-4o", 50, 5, ptr(0.25)),
		root("x2", t0.Add(time.Minute), 3*time.Second, "agent", "a"), call("x2", "x2c1", t0.Add(time.Minute), "mock", 7, 3, nil),
		root("x3", t0.Add(2*time.Minute), 2*time.Second, "workflow", "w"))
	var logs []admin.LogRecord
	for i := 0; i < 5; i++ {
		logs = append(logs, admin.LogRecord{ID: fmt.Sprintf("l%d", i), ProjectID: "prj_a", DeploymentID: "dep_1", BuildID: "bld_1",
			Time: t0.Add(time.Duration(i) * time.Second), Level: "info", Message: fmt.Sprintf("line %d", i), TraceID: "x1", Data: []byte(`{"i":1}`)})
	}
	insertLogs(t, s, logs...)
	return logs
}

type counts struct {
	traces, spans, logs, runs, calls int
	in, out                          int64
	cost                             string
}

func countAll(t *testing.T, s Store) counts {
	t.Helper()
	var c counts
	p := list(t, s, all("prj_a"))
	c.traces = len(p.Traces)
	for _, tr := range p.Traces {
		c.spans += tr.SpanCount
		c.in += tr.InputTokens
		c.out += tr.OutputTokens
	}
	lp, err := s.SearchLogs(context.Background(), admin.LogQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Limit: admin.MaxTelemetryLimit})
	if err != nil {
		t.Fatal(err)
	}
	c.logs = len(lp.Logs)
	m, err := s.Metrics(context.Background(), admin.MetricsQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	var cost float64
	for _, e := range m.Entities {
		c.runs += e.Runs
	}
	for _, mm := range m.Models {
		c.calls += mm.Calls
		if mm.CostUSD != nil {
			cost += *mm.CostUSD
		}
	}
	c.cost = fmt.Sprintf("%.6f", cost)
	return c
}

func testIdempotent(t *testing.T, s Store) {
	logs := mixed(t, s)
	before := countAll(t, s)
	want := counts{traces: 3, spans: 6, logs: 5, runs: 3, calls: 3, in: 157, out: 18, cost: "0.750000"}
	if before != want {
		t.Fatalf("counts = %+v; want %+v", before, want)
	}
	// The same rows again, in other batches and orders.
	mixed(t, s)
	insertLogs(t, s, logs[3], logs[1])
	insertSpans(t, s, call("x1", "x1c2", t0, "gpt-4o", 50, 5, ptr(0.25)))
	if after := countAll(t, s); after != want {
		t.Errorf("after re-inserting: %+v; want %+v", after, want)
	}
	if spans := getTrace(t, s, "prj_a", "x1"); len(spans) != 3 {
		t.Errorf("trace x1 has %d spans after re-inserting; want 3", len(spans))
	}
	// A re-inserted span or line replaces the stored one.
	changed := call("x1", "x1c2", t0, "gpt-4o", 60, 5, ptr(0.3))
	insertSpans(t, s, changed)
	l := logs[2]
	l.Message = "line 2 again"
	insertLogs(t, s, l)
	want.in, want.cost = 167, "0.800000"
	if after := countAll(t, s); after != want {
		t.Errorf("after replacing: %+v; want %+v", after, want)
	}
	lp, err := s.SearchLogs(context.Background(), admin.LogQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Text: "again"})
	if err != nil || len(lp.Logs) != 1 || lp.Logs[0].ID != "l2" {
		t.Errorf("replaced line: %+v, %v", lp.Logs, err)
	}
	// Given twice in one batch, out of the order of the other rows (a
	// store may reorder a batch): the copy given last wins.
	insertSpans(t, s, call("x1", "x1c2", t0, "gpt-4o", 90, 5, ptr(0.9)), call("x1", "x1c1", t0, "gpt-4o", 100, 10, ptr(0.5)), changed)
	stale := l
	stale.Message = "line 2 stale"
	insertLogs(t, s, stale, logs[4], logs[0], l)
	if after := countAll(t, s); after != want {
		t.Errorf("after a batch giving a span twice: %+v; want %+v", after, want)
	}
	lp, err = s.SearchLogs(context.Background(), admin.LogQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Text: "line 2"})
	if err != nil || len(lp.Logs) != 1 || lp.Logs[0].Message != "line 2 again" {
		t.Errorf("a line given twice in one batch: %+v, %v; want the copy given last", lp.Logs, err)
	}
}

func testTraceFilters(t *testing.T, s Store) {
	mixed(t, s)
	e := root("x4", t0.Add(3*time.Minute), 500*time.Millisecond, "agent", "b")
	e.DeploymentID, e.BuildID, e.Error = "dep_2", "bld_2", "boom"
	insertSpans(t, s, e)
	for _, tc := range []struct {
		name string
		mod  func(*admin.TraceQuery)
		want string
	}{
		{"all", func(*admin.TraceQuery) {}, "x4,x3,x2,x1"},
		{"from", func(q *admin.TraceQuery) { q.From = t0.Add(time.Minute) }, "x4,x3,x2"},
		{"to exclusive", func(q *admin.TraceQuery) { q.To = t0.Add(2 * time.Minute) }, "x2,x1"},
		{"deployment", func(q *admin.TraceQuery) { q.DeploymentID = "dep_2" }, "x4"},
		{"build", func(q *admin.TraceQuery) { q.BuildID = "bld_1" }, "x3,x2,x1"},
		{"entity type", func(q *admin.TraceQuery) { q.EntityType = "agent" }, "x4,x2,x1"},
		{"entity name", func(q *admin.TraceQuery) { q.EntityName = "w" }, "x3"},
		{"entity type and name", func(q *admin.TraceQuery) { q.EntityType, q.EntityName = "agent", "a" }, "x2,x1"},
		{"error", func(q *admin.TraceQuery) { q.Status = admin.TraceStatusError }, "x4"},
		{"ok", func(q *admin.TraceQuery) { q.Status = admin.TraceStatusOK }, "x3,x2,x1"},
		{"min duration", func(q *admin.TraceQuery) { q.MinDuration = 2 * time.Second }, "x3,x2"},
		{"model", func(q *admin.TraceQuery) { q.Model = "gpt-4o" }, "x1"},
		{"model none", func(q *admin.TraceQuery) { q.Model = "gpt-5" }, ""},
		{"combined", func(q *admin.TraceQuery) { q.EntityType, q.MinDuration = "agent", 2*time.Second }, "x2"},
	} {
		q := all("prj_a")
		tc.mod(&q)
		if got := ids(list(t, s, q)); got != tc.want {
			t.Errorf("%s: traces %q; want %q", tc.name, got, tc.want)
		}
	}
	// A child's error makes its trace an error trace.
	c := span("x3", "x3c", "x3-root", t0.Add(2*time.Minute), time.Millisecond)
	c.Error = "step failed"
	insertSpans(t, s, c)
	q := all("prj_a")
	q.Status = admin.TraceStatusError
	if got := ids(list(t, s, q)); got != "x4,x3" {
		t.Errorf("error traces after a failed child: %q; want x4,x3", got)
	}
}

func testTraceSorts(t *testing.T, s Store) {
	mixed(t, s)
	for _, tc := range []struct {
		sort admin.TraceSort
		want string
	}{
		{"", "x3,x2,x1"},
		{admin.TraceSortTime, "x3,x2,x1"},
		{admin.TraceSortDuration, "x2,x3,x1"},
		{admin.TraceSortCost, "x1,x2,x3"}, // x1 costs 0.75; x2 and x3 have none, by trace id
	} {
		q := all("prj_a")
		q.Sort = tc.sort
		if got := ids(list(t, s, q)); got != tc.want {
			t.Errorf("sort %q: %q; want %q", tc.sort, got, tc.want)
		}
	}
}

// testTraceTotals: a trace's totals follow the spans added to it later
// (a late child, an error arriving after the root) and a span inserted
// again with other values (cost, tokens, model), counting it once as its
// newest copy, in every order and filter of the list.
func testTraceTotals(t *testing.T, s Store) {
	type total struct {
		spans   int
		in, out int64
		cost    string
		err     bool
	}
	check := func(step string, want map[string]total, byCost, errs, ok, model string) {
		t.Helper()
		for _, sort := range []admin.TraceSort{admin.TraceSortTime, admin.TraceSortDuration, admin.TraceSortCost} {
			q := all("prj_a")
			q.Sort = sort
			p := list(t, s, q)
			if len(p.Traces) != len(want) {
				t.Errorf("%s, by %s: traces %q; want %d", step, sort, ids(p), len(want))
			}
			for _, tr := range p.Traces {
				got := total{tr.SpanCount, tr.InputTokens, tr.OutputTokens, costString(tr.CostUSD), tr.Error}
				if got != want[tr.TraceID] {
					t.Errorf("%s, by %s: %s totals %+v; want %+v", step, sort, tr.TraceID, got, want[tr.TraceID])
				}
			}
			if sort == admin.TraceSortCost && ids(p) != byCost {
				t.Errorf("%s: by cost %q; want %q", step, ids(p), byCost)
			}
		}
		for _, f := range []struct {
			name string
			mod  func(*admin.TraceQuery)
			want string
		}{
			{"errors", func(q *admin.TraceQuery) { q.Status = admin.TraceStatusError }, errs},
			{"ok", func(q *admin.TraceQuery) { q.Status = admin.TraceStatusOK }, ok},
			{"model gpt-4o", func(q *admin.TraceQuery) { q.Model = "gpt-4o" }, model},
		} {
			q := all("prj_a")
			f.mod(&q)
			if got := ids(list(t, s, q)); got != f.want {
				t.Errorf("%s, %s: %q; want %q", step, f.name, got, f.want)
			}
		}
	}
	insertSpans(t, s, root("y1", t0, time.Second, "agent", "a"), call("y1", "y1c", t0, "gpt-4o", 100, 10, ptr(0.5)),
		root("y2", t0.Add(time.Minute), 2*time.Second, "agent", "a"), call("y2", "y2c", t0.Add(time.Minute), "mock", 20, 2, ptr(0.25)))
	check("first batch", map[string]total{"y1": {2, 100, 10, "0.5", false}, "y2": {2, 20, 2, "0.25", false}},
		"y1,y2", "", "y2,y1", "y1")

	// A child that arrives in a later batch, with a cost.
	insertSpans(t, s, call("y2", "y2late", t0.Add(time.Minute+time.Second), "gpt-4o", 30, 3, ptr(0.5)))
	check("late child", map[string]total{"y1": {2, 100, 10, "0.5", false}, "y2": {3, 50, 5, "0.75", false}},
		"y2,y1", "", "y2,y1", "y2,y1")

	// y1's call inserted again with a lower cost, other tokens and another
	// model: counted once, with its new values (twice, to be sure).
	changed := call("y1", "y1c", t0, "gpt-4.1", 40, 4, ptr(0.125))
	insertSpans(t, s, changed)
	insertSpans(t, s, changed)
	check("re-inserted", map[string]total{"y1": {2, 40, 4, "0.125", false}, "y2": {3, 50, 5, "0.75", false}},
		"y2,y1", "", "y2,y1", "y2")

	// An error arriving after the trace was listed as ok, in a batch that
	// also repeats a stored span.
	failed := span("y1", "y1fail", "y1-root", t0.Add(500*time.Millisecond), time.Millisecond)
	failed.Error = "tool failed"
	insertSpans(t, s, failed, changed)
	check("late error", map[string]total{"y1": {3, 40, 4, "0.125", true}, "y2": {3, 50, 5, "0.75", false}},
		"y2,y1", "y1", "y2", "y2")
}

// pageAll lists q page by page with the given page size.
func pageAll(t *testing.T, s Store, q admin.TraceQuery, size int) []string {
	t.Helper()
	q.Limit = size
	var out []string
	for n := 0; ; n++ {
		p := list(t, s, q)
		if len(p.Traces) > size {
			t.Fatalf("page of %d traces; limit %d", len(p.Traces), size)
		}
		for _, tr := range p.Traces {
			out = append(out, tr.TraceID)
		}
		if p.NextCursor == "" {
			return out
		}
		if n > 100 {
			t.Fatal("more than 100 pages")
		}
		q.Cursor = p.NextCursor
	}
}

func testTracePages(t *testing.T, s Store) {
	// 23 traces: groups share a start, a duration and a cost, so the pages
	// must break ties by trace id.
	var spans []admin.Span
	for i := 0; i < 23; i++ {
		tr := fmt.Sprintf("p%02d", i)
		spans = append(spans, root(tr, t0.Add(time.Duration(i/4)*time.Second), time.Duration(i%3)*time.Second, "agent", "a"))
		if i%5 != 0 {
			spans = append(spans, call(tr, tr+"c", t0, "gpt-4o", 10, 1, ptr(float64(i%4))))
		}
	}
	insertSpans(t, s, spans...)
	for _, sortBy := range []admin.TraceSort{admin.TraceSortTime, admin.TraceSortDuration, admin.TraceSortCost} {
		q := all("prj_a")
		q.Sort = sortBy
		whole := ids(list(t, s, q))
		if n := strings.Count(whole, ",") + 1; n != 23 {
			t.Fatalf("sort %s: %d traces in one page; want 23", sortBy, n)
		}
		for _, size := range []int{1, 2, 4, 5, 22, 23} {
			if got := strings.Join(pageAll(t, s, q, size), ","); got != whole {
				t.Errorf("sort %s, pages of %d:\n got %s\nwant %s", sortBy, size, got, whole)
			}
		}
	}
	// The whole order of the time sort: newest first, ties by trace id.
	q := all("prj_a")
	if got, want := ids(list(t, s, q)), "p20,p21,p22,p16,p17,p18,p19,p12,p13,p14,p15,p08,p09,p10,p11,p04,p05,p06,p07,p00,p01,p02,p03"; got != want {
		t.Errorf("time order:\n got %s\nwant %s", got, want)
	}
	// A page of exactly the remaining rows ends the list.
	q.Limit = 23
	if p := list(t, s, q); p.NextCursor != "" {
		t.Errorf("a full last page has a next cursor %q", p.NextCursor)
	}
	// A cursor of one sort is refused by another.
	q.Limit, q.Sort = 2, admin.TraceSortTime
	p := list(t, s, q)
	q.Sort, q.Cursor = admin.TraceSortDuration, p.NextCursor
	if _, err := s.ListTraces(context.Background(), q); !isField(err, "Cursor") {
		t.Errorf("time cursor with the duration sort: %v; want ErrInvalidArgument on Cursor", err)
	}
}

func testDefaultWindow(t *testing.T, s Store) {
	now := time.Now().UTC().Truncate(time.Millisecond)
	recent := root("recent", now.Add(-time.Hour), time.Second, "agent", "a")
	old := root("old", now.Add(-admin.DefaultTelemetryWindow-time.Hour), time.Second, "agent", "a")
	insertSpans(t, s, recent, old)
	insertLogs(t, s, admin.LogRecord{ID: "new", ProjectID: "prj_a", Time: now.Add(-time.Hour), Level: "info", Message: "new"},
		admin.LogRecord{ID: "old", ProjectID: "prj_a", Time: now.Add(-admin.DefaultTelemetryWindow - time.Hour), Level: "info", Message: "old"})
	if got := ids(list(t, s, admin.TraceQuery{ProjectID: "prj_a"})); got != "recent" {
		t.Errorf("default window traces: %q; want recent", got)
	}
	if got := ids(list(t, s, admin.TraceQuery{ProjectID: "prj_a", From: now.Add(-admin.DefaultTelemetryWindow - 2*time.Hour)})); got != "recent,old" {
		t.Errorf("traces from before the window: %q; want recent,old", got)
	}
	lp, err := s.SearchLogs(context.Background(), admin.LogQuery{ProjectID: "prj_a"})
	if err != nil || len(lp.Logs) != 1 || lp.Logs[0].ID != "new" {
		t.Errorf("default window logs: %+v, %v; want new", lp.Logs, err)
	}
	if _, err := s.GetTrace(context.Background(), admin.TraceGet{ProjectID: "prj_a", TraceID: "old"}); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("GetTrace of a trace before the default window: %v; want ErrNotFound", err)
	}
	if spans, err := s.GetTrace(context.Background(), admin.TraceGet{ProjectID: "prj_a", TraceID: "recent"}); err != nil || len(spans) != 1 {
		t.Errorf("GetTrace in the default window: %d spans, %v", len(spans), err)
	}
}

func searchIDs(t *testing.T, s Store, q admin.LogQuery) string {
	t.Helper()
	p, err := s.SearchLogs(context.Background(), q)
	if err != nil {
		t.Fatalf("SearchLogs(%+v): %v", q, err)
	}
	var out []string
	for _, l := range p.Logs {
		out = append(out, l.ID)
	}
	return strings.Join(out, ",")
}

func testLogs(t *testing.T, s Store) {
	mk := func(id string, sec int, level, msg, trace, dep string) admin.LogRecord {
		return admin.LogRecord{ID: id, ProjectID: "prj_a", DeploymentID: dep, BuildID: "bld_1", Time: t0.Add(time.Duration(sec) * time.Second),
			Level: level, Message: msg, TraceID: trace, SpanID: "s-" + id, Data: []byte(`{"id":"` + id + `"}`)}
	}
	logs := []admin.LogRecord{
		mk("a", 0, "debug", "Connecting to DB", "", "dep_1"),
		mk("b", 1, "info", "User LOGGED in", "t1", "dep_1"),
		mk("c", 2, "warn", "slow query: 100% of budget_used", "t1", "dep_2"),
		mk("d", 3, "error", "Query failed: Étape échouée", "t2", "dep_2"),
		mk("e", 4, "info", "logged out", "", "dep_1"),
	}
	insertLogs(t, s, logs...)
	base := admin.LogQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}
	for _, tc := range []struct {
		name string
		mod  func(*admin.LogQuery)
		want string
	}{
		{"all, newest first", func(*admin.LogQuery) {}, "e,d,c,b,a"},
		{"from", func(q *admin.LogQuery) { q.From = t0.Add(2 * time.Second) }, "e,d,c"},
		{"to exclusive", func(q *admin.LogQuery) { q.To = t0.Add(2 * time.Second) }, "b,a"},
		{"level debug", func(q *admin.LogQuery) { q.Level = "debug" }, "e,d,c,b,a"},
		{"level info", func(q *admin.LogQuery) { q.Level = "info" }, "e,d,c,b"},
		{"level warn", func(q *admin.LogQuery) { q.Level = "warn" }, "d,c"},
		{"level error", func(q *admin.LogQuery) { q.Level = "error" }, "d"},
		{"text, any case", func(q *admin.LogQuery) { q.Text = "logged" }, "e,b"},
		{"text upper", func(q *admin.LogQuery) { q.Text = "QUERY" }, "d,c"},
		{"text with %", func(q *admin.LogQuery) { q.Text = "100%" }, "c"},
		{"text with _", func(q *admin.LogQuery) { q.Text = "t_u" }, "c"},
		{"% is literal", func(q *admin.LogQuery) { q.Text = "%" }, "c"},
		{"_ is literal", func(q *admin.LogQuery) { q.Text = "in_" }, ""},
		{"non-ASCII", func(q *admin.LogQuery) { q.Text = "échouée" }, "d"},
		{"trace", func(q *admin.LogQuery) { q.TraceID = "t1" }, "c,b"},
		{"deployment", func(q *admin.LogQuery) { q.DeploymentID = "dep_2" }, "d,c"},
		{"combined", func(q *admin.LogQuery) { q.Level, q.DeploymentID, q.Text = "warn", "dep_2", "query" }, "d,c"},
	} {
		q := base
		tc.mod(&q)
		if got := searchIDs(t, s, q); got != tc.want {
			t.Errorf("%s: %q; want %q", tc.name, got, tc.want)
		}
	}
	// Every field round-trips.
	p, err := s.SearchLogs(context.Background(), admin.LogQuery{ProjectID: "prj_a", From: t0, To: t0.Add(time.Second)})
	if err != nil || len(p.Logs) != 1 {
		t.Fatalf("one line: %+v, %v", p.Logs, err)
	}
	got, want := p.Logs[0], logs[0]
	if got.ID != want.ID || !got.Time.Equal(want.Time) || got.Level != want.Level || got.Message != want.Message || got.ProjectID != want.ProjectID ||
		got.DeploymentID != want.DeploymentID || got.BuildID != want.BuildID || got.TraceID != want.TraceID || got.SpanID != want.SpanID ||
		string(got.Data) != string(want.Data) {
		t.Errorf("log line:\n got %+v\nwant %+v", got, want)
	}
}

func testLogPages(t *testing.T, s Store) {
	// 17 lines, several at the same instant.
	var logs []admin.LogRecord
	for i := 0; i < 17; i++ {
		logs = append(logs, admin.LogRecord{ID: fmt.Sprintf("id%02d", i), ProjectID: "prj_a", Time: t0.Add(time.Duration(i/3) * time.Millisecond),
			Level: "info", Message: "m"})
	}
	insertLogs(t, s, logs...)
	q := admin.LogQuery{ProjectID: "prj_a", From: t0, To: t0.Add(time.Hour), Limit: admin.MaxTelemetryLimit}
	whole := searchIDs(t, s, q)
	if want := "id15,id16,id12,id13,id14,id09,id10,id11,id06,id07,id08,id03,id04,id05,id00,id01,id02"; whole != want {
		t.Fatalf("order:\n got %s\nwant %s", whole, want)
	}
	for _, size := range []int{1, 2, 3, 16, 17} {
		q.Limit, q.Cursor = size, ""
		var got []string
		for n := 0; ; n++ {
			p, err := s.SearchLogs(context.Background(), q)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Logs) > size {
				t.Fatalf("page of %d lines; limit %d", len(p.Logs), size)
			}
			for _, l := range p.Logs {
				got = append(got, l.ID)
			}
			if p.NextCursor == "" || n > 100 {
				break
			}
			q.Cursor = p.NextCursor
		}
		if strings.Join(got, ",") != whole {
			t.Errorf("pages of %d:\n got %s\nwant %s", size, strings.Join(got, ","), whole)
		}
	}
}

func testMetrics(t *testing.T, s Store) {
	// Bucket 1 (t0 .. t0+1h): agent "a" runs of 10, 20, 30, 40 ms and
	// 1 s, the 40 ms one failed; workflow "w" one run of 5 ms. Bucket 2
	// (t0+1h ..): agent "a" one run of 7 ms.
	var spans []admin.Span
	for i, ms := range []int{30, 10, 1000, 40, 20} {
		r := root(fmt.Sprintf("m%d", i), t0.Add(time.Duration(i)*time.Minute), time.Duration(ms)*time.Millisecond, "agent", "a")
		if ms == 40 {
			r.Error = "failed"
		}
		spans = append(spans, r)
	}
	spans = append(spans, root("w0", t0.Add(30*time.Minute), 5*time.Millisecond, "workflow", "w"),
		root("m9", t0.Add(90*time.Minute), 7*time.Millisecond, "agent", "a"))
	// Model calls: two of gpt-4o in bucket 1 (one without a cost), one of
	// mock (no cost) in bucket 1, one of gpt-4o in bucket 2. A step span
	// with a model but no tokens is not a call.
	c1 := call("m0", "c1", t0.Add(time.Second), "gpt-4o", 1000, 100, ptr(0.2))
	c1.CacheReadTokens, c1.CacheWriteTokens, c1.ReasoningTokens = 400, 10, 30
	c2 := call("m1", "c2", t0.Add(time.Minute), "gpt-4o", 500, 50, nil)
	c3 := call("m2", "c3", t0.Add(2*time.Minute), "mock", 3, 4, nil)
	c4 := call("m9", "c4", t0.Add(90*time.Minute), "gpt-4o", 10, 1, ptr(0.01))
	step := span("m0", "step", "m0-root", t0.Add(time.Second), time.Millisecond)
	step.Type, step.Model = "model_step", "gpt-4o"
	spans = append(spans, c1, c2, c3, c4, step)
	// Outside the range: ignored.
	spans = append(spans, root("late", t0.Add(3*time.Hour), time.Second, "agent", "a"))
	insertSpans(t, s, spans...)

	m, err := s.Metrics(context.Background(), admin.MetricsQuery{ProjectID: "prj_a", From: t0, To: t0.Add(2 * time.Hour), Bucket: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entities) != 3 {
		t.Fatalf("entities = %+v; want 3 rows", m.Entities)
	}
	ms := func(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }
	// Runs of a in bucket 1 sorted: 10 20 30 40 1000 (n=5).
	// p50: q(n-1)=2 → 30 ms. p95: 3.8 → between 40 and 1000. p99: 3.96 → between 40 and 1000.
	checkEntity(t, m.Entities[0], admin.EntityMetrics{Bucket: t0, EntityType: "agent", EntityName: "a", Runs: 5, Errors: 1},
		[3][2]time.Duration{{ms(30), ms(30)}, {ms(40), ms(1000)}, {ms(40), ms(1000)}})
	if r := m.Entities[0].ErrorRate(); r != 0.2 {
		t.Errorf("error rate = %v; want 0.2", r)
	}
	checkEntity(t, m.Entities[1], admin.EntityMetrics{Bucket: t0, EntityType: "workflow", EntityName: "w", Runs: 1},
		[3][2]time.Duration{{ms(5), ms(5)}, {ms(5), ms(5)}, {ms(5), ms(5)}})
	checkEntity(t, m.Entities[2], admin.EntityMetrics{Bucket: t0.Add(time.Hour), EntityType: "agent", EntityName: "a", Runs: 1},
		[3][2]time.Duration{{ms(7), ms(7)}, {ms(7), ms(7)}, {ms(7), ms(7)}})

	want := []admin.ModelMetrics{
		{Bucket: t0, Model: "gpt-4o", Calls: 2, InputTokens: 1500, OutputTokens: 150, CacheReadTokens: 400, CacheWriteTokens: 10, ReasoningTokens: 30, CostUSD: ptr(0.2)},
		{Bucket: t0, Model: "mock", Calls: 1, InputTokens: 3, OutputTokens: 4},
		{Bucket: t0.Add(time.Hour), Model: "gpt-4o", Calls: 1, InputTokens: 10, OutputTokens: 1, CostUSD: ptr(0.01)},
	}
	if len(m.Models) != len(want) {
		t.Fatalf("models = %+v; want %+v", m.Models, want)
	}
	for i, w := range want {
		g := m.Models[i]
		if !g.Bucket.Equal(w.Bucket) || g.Model != w.Model || g.Calls != w.Calls || g.InputTokens != w.InputTokens || g.OutputTokens != w.OutputTokens ||
			g.CacheReadTokens != w.CacheReadTokens || g.CacheWriteTokens != w.CacheWriteTokens || g.ReasoningTokens != w.ReasoningTokens || !sameCost(g.CostUSD, w.CostUSD) {
			t.Errorf("models[%d] = %+v (cost %s); want %+v (cost %s)", i, g, costString(g.CostUSD), w, costString(w.CostUSD))
		}
	}

	// One bucket over everything; a deployment filter.
	m, err = s.Metrics(context.Background(), admin.MetricsQuery{ProjectID: "prj_a", From: t0, To: t0.Add(2 * time.Hour), Bucket: 2 * time.Hour})
	if err != nil || len(m.Entities) != 2 || m.Entities[0].Runs != 6 || len(m.Models) != 2 || m.Models[0].Calls != 3 || !sameCost(m.Models[0].CostUSD, ptr(0.21)) {
		t.Errorf("one bucket: %+v, %v", m, err)
	}
	m, err = s.Metrics(context.Background(), admin.MetricsQuery{ProjectID: "prj_a", From: t0, To: t0.Add(2 * time.Hour), DeploymentID: "dep_9"})
	if err != nil || len(m.Entities) != 0 || len(m.Models) != 0 {
		t.Errorf("another deployment: %+v, %v", m, err)
	}
	// Buckets are aligned on the epoch, whatever From is.
	m, err = s.Metrics(context.Background(), admin.MetricsQuery{ProjectID: "prj_a", From: t0.Add(30 * time.Minute), To: t0.Add(2 * time.Hour), Bucket: time.Hour})
	if err != nil || len(m.Entities) != 2 || !m.Entities[0].Bucket.Equal(t0) || m.Entities[0].EntityName != "w" || !m.Entities[1].Bucket.Equal(t0.Add(time.Hour)) {
		t.Errorf("aligned buckets: %+v, %v", m.Entities, err)
	}
}

func checkEntity(t *testing.T, got, want admin.EntityMetrics, pct [3][2]time.Duration) {
	t.Helper()
	if !got.Bucket.Equal(want.Bucket) || got.EntityType != want.EntityType || got.EntityName != want.EntityName || got.Runs != want.Runs || got.Errors != want.Errors {
		t.Errorf("entity = %+v; want %+v", got, want)
	}
	for i, p := range []time.Duration{got.P50, got.P95, got.P99} {
		if p < pct[i][0] || p > pct[i][1] {
			t.Errorf("%s %s: percentile %d = %v; want in [%v, %v]", got.EntityType, got.EntityName, i, p, pct[i][0], pct[i][1])
		}
	}
}

func testUnknownCost(t *testing.T, s Store) {
	insertSpans(t, s, root("u", t0, time.Second, "agent", "a"), call("u", "u1", t0, "mock", 5, 5, nil),
		root("z", t0.Add(time.Minute), time.Second, "agent", "a"), call("z", "z1", t0.Add(time.Minute), "gpt-4o", 5, 5, ptr(0)))
	p := list(t, s, all("prj_a"))
	if len(p.Traces) != 2 || p.Traces[1].TraceID != "u" || p.Traces[1].CostUSD != nil || p.Traces[1].InputTokens != 5 {
		t.Fatalf("unknown cost trace: %+v", p.Traces)
	}
	// A known price of 0 is a cost of 0, not an unknown one.
	if c := p.Traces[0].CostUSD; c == nil || *c != 0 {
		t.Errorf("zero cost = %s; want 0", costString(c))
	}
	spans := getTrace(t, s, "prj_a", "u")
	if len(spans) != 2 || spans[1].CostUSD != nil {
		t.Errorf("span of an unknown model has cost %s", costString(spans[1].CostUSD))
	}
}

func isField(err error, field string) bool {
	var v *admin.ValidationError
	return errors.Is(err, admin.ErrInvalidArgument) && errors.As(err, &v) && v.Field == field
}

func testBadQueries(t *testing.T, s Store) {
	ctx := context.Background()
	mixed(t, s)
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	for _, tc := range []struct {
		name, field string
		q           admin.TraceQuery
	}{
		{"no project", "ProjectID", admin.TraceQuery{From: from, To: to}},
		{"to before from", "To", admin.TraceQuery{ProjectID: "prj_a", From: to, To: from}},
		{"bad cursor", "Cursor", admin.TraceQuery{ProjectID: "prj_a", From: from, To: to, Cursor: "not a cursor"}},
		{"bad sort", "Sort", admin.TraceQuery{ProjectID: "prj_a", From: from, To: to, Sort: "name"}},
		{"bad status", "Status", admin.TraceQuery{ProjectID: "prj_a", From: from, To: to, Status: "failed"}},
		{"negative limit", "Limit", admin.TraceQuery{ProjectID: "prj_a", From: from, To: to, Limit: -1}},
		{"huge limit", "Limit", admin.TraceQuery{ProjectID: "prj_a", From: from, To: to, Limit: admin.MaxTelemetryLimit + 1}},
		{"negative min duration", "MinDuration", admin.TraceQuery{ProjectID: "prj_a", From: from, To: to, MinDuration: -time.Second}},
	} {
		if _, err := s.ListTraces(ctx, tc.q); !isField(err, tc.field) {
			t.Errorf("ListTraces %s: %v; want ErrInvalidArgument on %s", tc.name, err, tc.field)
		}
	}
	for _, tc := range []struct {
		name, field string
		q           admin.LogQuery
	}{
		{"no project", "ProjectID", admin.LogQuery{From: from, To: to}},
		{"to before from", "To", admin.LogQuery{ProjectID: "prj_a", From: to, To: from}},
		{"bad cursor", "Cursor", admin.LogQuery{ProjectID: "prj_a", From: from, To: to, Cursor: "%%%"}},
		{"bad level", "Level", admin.LogQuery{ProjectID: "prj_a", From: from, To: to, Level: "fatal"}},
		{"huge limit", "Limit", admin.LogQuery{ProjectID: "prj_a", From: from, To: to, Limit: admin.MaxTelemetryLimit + 1}},
	} {
		if _, err := s.SearchLogs(ctx, tc.q); !isField(err, tc.field) {
			t.Errorf("SearchLogs %s: %v; want ErrInvalidArgument on %s", tc.name, err, tc.field)
		}
	}
	for _, tc := range []struct {
		name, field string
		q           admin.MetricsQuery
	}{
		{"no project", "ProjectID", admin.MetricsQuery{From: from, To: to}},
		{"to before from", "To", admin.MetricsQuery{ProjectID: "prj_a", From: to, To: from}},
		{"negative bucket", "Bucket", admin.MetricsQuery{ProjectID: "prj_a", From: from, To: to, Bucket: -time.Hour}},
		{"fractional bucket", "Bucket", admin.MetricsQuery{ProjectID: "prj_a", From: from, To: to, Bucket: 1500 * time.Millisecond}},
		{"too many buckets", "Bucket", admin.MetricsQuery{ProjectID: "prj_a", From: from, To: from.Add(admin.MaxMetricsBuckets*time.Second + time.Second), Bucket: time.Second}},
	} {
		if _, err := s.Metrics(ctx, tc.q); !isField(err, tc.field) {
			t.Errorf("Metrics %s: %v; want ErrInvalidArgument on %s", tc.name, err, tc.field)
		}
	}
	for _, tc := range []struct {
		name, field string
		q           admin.TraceGet
	}{
		{"no project", "ProjectID", admin.TraceGet{TraceID: "x1", From: from, To: to}},
		{"no trace", "TraceID", admin.TraceGet{ProjectID: "prj_a", From: from, To: to}},
		{"to before from", "To", admin.TraceGet{ProjectID: "prj_a", TraceID: "x1", From: to, To: from}},
	} {
		if _, err := s.GetTrace(ctx, tc.q); !isField(err, tc.field) {
			t.Errorf("GetTrace %s: %v; want ErrInvalidArgument on %s", tc.name, err, tc.field)
		}
	}
	// Exactly MaxMetricsBuckets buckets is allowed.
	if _, err := s.Metrics(ctx, admin.MetricsQuery{ProjectID: "prj_a", From: t0, To: t0.Add(admin.MaxMetricsBuckets * time.Second), Bucket: time.Second}); err != nil {
		t.Errorf("Metrics over MaxMetricsBuckets buckets: %v", err)
	}
}

func testBadInserts(t *testing.T, s Store) {
	good := root("g", t0, time.Second, "agent", "a")
	for _, tc := range []struct {
		name string
		mod  func(*admin.Span)
	}{
		{"no project", func(s *admin.Span) { s.ProjectID = "" }},
		{"no trace", func(s *admin.Span) { s.TraceID = "" }},
		{"no span", func(s *admin.Span) { s.SpanID = "" }},
		{"no start", func(s *admin.Span) { s.StartTime = time.Time{} }},
		{"no end", func(s *admin.Span) { s.EndTime = time.Time{} }},
		{"end before start", func(s *admin.Span) { s.EndTime = s.StartTime.Add(-time.Second) }},
	} {
		bad := root("b", t0, time.Second, "agent", "a")
		tc.mod(&bad)
		if err := s.InsertSpans(context.Background(), []admin.Span{good, bad}); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("InsertSpans %s: %v; want ErrInvalidArgument", tc.name, err)
		}
	}
	goodLog := admin.LogRecord{ID: "ok", ProjectID: "prj_a", Time: t0, Level: "info", Message: "m"}
	for _, bad := range []admin.LogRecord{{ID: "x", Time: t0, Level: "info"}, {ID: "y", ProjectID: "prj_a", Level: "info"}} {
		if err := s.InsertLogs(context.Background(), []admin.LogRecord{goodLog, bad}); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("InsertLogs %+v: %v; want ErrInvalidArgument", bad, err)
		}
	}
	if p := list(t, s, all("prj_a")); len(p.Traces) != 0 {
		t.Errorf("a refused batch stored %s", ids(p))
	}
	if got := searchIDs(t, s, admin.LogQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}); got != "" {
		t.Errorf("a refused batch stored logs %s", got)
	}
}

func testClosed(t *testing.T, s Store) {
	ctx := context.Background()
	mixed(t, s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	from, to := t0.Add(-time.Hour), t0.Add(time.Hour)
	errs := map[string]error{
		"InsertSpans": s.InsertSpans(ctx, []admin.Span{root("c", t0, time.Second, "agent", "a")}),
		"InsertLogs":  s.InsertLogs(ctx, []admin.LogRecord{{ID: "c", ProjectID: "prj_a", Time: t0, Level: "info"}}),
	}
	_, errs["ListTraces"] = s.ListTraces(ctx, all("prj_a"))
	_, errs["GetTrace"] = s.GetTrace(ctx, admin.TraceGet{ProjectID: "prj_a", TraceID: "x1", From: from, To: to})
	_, errs["SearchLogs"] = s.SearchLogs(ctx, admin.LogQuery{ProjectID: "prj_a", From: from, To: to})
	_, errs["Metrics"] = s.Metrics(ctx, admin.MetricsQuery{ProjectID: "prj_a", From: from, To: to})
	_, errs["QuerySpans"] = s.QuerySpans(ctx, admin.TelemetryQuery{ProjectID: "prj_a", From: from, To: to})
	_, errs["QueryLogs"] = s.QueryLogs(ctx, admin.TelemetryQuery{ProjectID: "prj_a", From: from, To: to})
	for name, err := range errs {
		if !errors.Is(err, admin.ErrClosed) {
			t.Errorf("%s after Close: %v; want ErrClosed", name, err)
		}
	}
}

func testLargeAttributes(t *testing.T, s Store) {
	big := `{"text":"` + strings.Repeat("ü€x\\n\\\"", 200_000) + `","nested":{"a":[1,2,{"b":null}]}}`
	r := root("big", t0, time.Second, "agent", "a")
	r.Attributes = []byte(big)
	data := `{"blob":"` + strings.Repeat("y", 1<<20) + `"}`
	insertSpans(t, s, r)
	insertLogs(t, s, admin.LogRecord{ID: "big", ProjectID: "prj_a", Time: t0, Level: "info", Message: strings.Repeat("m", 100_000), Data: []byte(data)})
	spans := getTrace(t, s, "prj_a", "big")
	if len(spans) != 1 || string(spans[0].Attributes) != big {
		t.Errorf("a %d-byte attributes value came back as %d bytes", len(big), len(spans[0].Attributes))
	}
	p, err := s.SearchLogs(context.Background(), admin.LogQuery{ProjectID: "prj_a", From: t0, To: t0.Add(time.Second)})
	if err != nil || len(p.Logs) != 1 || string(p.Logs[0].Data) != data || len(p.Logs[0].Message) != 100_000 {
		t.Errorf("large log line did not round-trip: %d lines, %v", len(p.Logs), err)
	}
}

func testProjects(t *testing.T, s Store) {
	mixed(t, s)
	// Project b reuses project a's trace, span and log ids.
	b := root("x1", t0, 5*time.Second, "agent", "other")
	b.ProjectID = "prj_b"
	bc := call("x1", "x1c1", t0, "gpt-4o", 1, 1, ptr(9))
	bc.ProjectID = "prj_b"
	insertSpans(t, s, b, bc)
	insertLogs(t, s, admin.LogRecord{ID: "l0", ProjectID: "prj_b", Time: t0, Level: "error", Message: "b's line"})

	if got := ids(list(t, s, all("prj_b"))); got != "x1" {
		t.Errorf("project b traces: %q; want x1", got)
	}
	pa := list(t, s, all("prj_a"))
	if ids(pa) != "x3,x2,x1" || pa.Traces[2].SpanCount != 3 || pa.Traces[2].EntityName != "a" || !sameCost(pa.Traces[2].CostUSD, ptr(0.75)) {
		t.Errorf("project a after project b's inserts: %+v", pa.Traces)
	}
	if spans := getTrace(t, s, "prj_b", "x1"); len(spans) != 2 || spans[0].EntityName != "other" {
		t.Errorf("project b's trace: %+v", spans)
	}
	if got := searchIDs(t, s, admin.LogQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Level: "error"}); got != "" {
		t.Errorf("project a sees error lines %q", got)
	}
	if got := searchIDs(t, s, admin.LogQuery{ProjectID: "prj_b", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)}); got != "l0" {
		t.Errorf("project b lines: %q; want l0", got)
	}
	if l := searchIDs(t, s, admin.LogQuery{ProjectID: "prj_a", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Text: "line 0"}); l != "l0" {
		t.Errorf("project a's l0 after project b's: %q", l)
	}
	m, err := s.Metrics(context.Background(), admin.MetricsQuery{ProjectID: "prj_b", From: t0.Add(-time.Hour), To: t0.Add(time.Hour)})
	if err != nil || len(m.Entities) != 1 || m.Entities[0].Runs != 1 || len(m.Models) != 1 || m.Models[0].InputTokens != 1 {
		t.Errorf("project b metrics: %+v, %v", m, err)
	}
}
