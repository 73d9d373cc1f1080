package sqlite_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability/sqlite"
)

// benchSpans is how many spans the query benchmarks store:
// MASTRA_ADMIN_BENCH_SPANS, default 20,000 (CI stays fast; the issue's
// figure is 1,000,000).
func benchSpans(b *testing.B) int {
	if v := os.Getenv("MASTRA_ADMIN_BENCH_SPANS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 10 {
			b.Fatalf("MASTRA_ADMIN_BENCH_SPANS=%q: want a number ≥ 10", v)
		}
		return n
	}
	return 20000
}

var benchStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// benchTrace returns trace i's 10 spans: a root, 8 steps and a model call,
// one trace a second.
func benchTrace(i int) []admin.Span {
	tr := fmt.Sprintf("%032x", i)
	start := benchStart.Add(time.Duration(i) * time.Second)
	attrs := []byte(`{"status":"success","input":{"text":"hello world, a message of some length"}}`)
	out := []admin.Span{{ProjectID: "prj_1", DeploymentID: "dep_1", BuildID: "bld_1", TraceID: tr, SpanID: "root", Name: "agent run",
		Type: "agent_run", IsRoot: true, EntityType: "agent", EntityName: "support", StartTime: start, EndTime: start.Add(900 * time.Millisecond), Attributes: attrs}}
	for j := 0; j < 8; j++ {
		out = append(out, admin.Span{ProjectID: "prj_1", DeploymentID: "dep_1", BuildID: "bld_1", TraceID: tr, SpanID: fmt.Sprintf("s%d", j),
			ParentSpanID: "root", Name: "step", Type: "workflow_step", StartTime: start.Add(time.Duration(j) * time.Millisecond),
			EndTime: start.Add(time.Duration(j+50) * time.Millisecond), Attributes: attrs})
	}
	cost := 0.001
	out = append(out, admin.Span{ProjectID: "prj_1", DeploymentID: "dep_1", BuildID: "bld_1", TraceID: tr, SpanID: "gen", ParentSpanID: "root",
		Name: "llm", Type: "model_generation", Model: "gpt-4o-mini", InputTokens: 500, OutputTokens: 100, CostUSD: &cost,
		StartTime: start.Add(100 * time.Millisecond), EndTime: start.Add(800 * time.Millisecond), Attributes: attrs})
	return out
}

// BenchmarkInsertSpans inserts batches of 5,000 spans (the ingestion
// worker's batch size) and reports rows/s.
func BenchmarkInsertSpans(b *testing.B) {
	s := open(b)
	ctx := context.Background()
	var batch []admin.Span
	for i := 0; len(batch) < 5000; i++ {
		batch = append(batch, benchTrace(i)...)
	}
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		for i := range batch {
			batch[i].TraceID = fmt.Sprintf("%08x%s", n, batch[i].TraceID[8:])
		}
		if err := s.InsertSpans(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "rows/s")
}

// filled returns a store holding benchSpans spans (10 per trace).
func filled(b *testing.B) (*sqlite.Store, int) {
	s := open(b)
	total := benchSpans(b)
	traces := total / 10
	ctx := context.Background()
	began := time.Now()
	var batch []admin.Span
	for i := 0; i < traces; i++ {
		batch = append(batch, benchTrace(i)...)
		if len(batch) >= 5000 || i == traces-1 {
			if err := s.InsertSpans(ctx, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("stored %d spans in %v (%.0f rows/s)", traces*10, time.Since(began), float64(traces*10)/time.Since(began).Seconds())
	return s, traces
}

func BenchmarkListTraces(b *testing.B) {
	s, traces := filled(b)
	ctx := context.Background()
	end := benchStart.Add(time.Duration(traces) * time.Second)
	for _, bc := range []struct {
		name string
		q    admin.TraceQuery
	}{
		{"newest-hour", admin.TraceQuery{ProjectID: "prj_1", From: end.Add(-time.Hour), To: end}},
		{"all-by-time", admin.TraceQuery{ProjectID: "prj_1", From: benchStart, To: end}},
		{"all-by-cost", admin.TraceQuery{ProjectID: "prj_1", From: benchStart, To: end, Sort: admin.TraceSortCost}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for n := 0; n < b.N; n++ {
				p, err := s.ListTraces(ctx, bc.q)
				if err != nil || len(p.Traces) == 0 {
					b.Fatal(len(p.Traces), err)
				}
			}
		})
	}
}

func BenchmarkGetTrace(b *testing.B) {
	s, traces := filled(b)
	ctx := context.Background()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		i := n % traces
		spans, err := s.GetTrace(ctx, admin.TraceGet{ProjectID: "prj_1", TraceID: fmt.Sprintf("%032x", i),
			From: benchStart.Add(time.Duration(i) * time.Second), To: benchStart.Add(time.Duration(i+1) * time.Second)})
		if err != nil || len(spans) != 10 {
			b.Fatal(len(spans), err)
		}
	}
}
