package sqlite_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability/sqlite"
)

func Example() {
	dir, err := os.MkdirTemp("", "obs")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := sqlite.Open(filepath.Join(dir, "observability.db"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	ctx := context.Background()
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	cost := 0.0012
	spans := []admin.Span{
		{ProjectID: "prj_1", TraceID: "t1", SpanID: "root", Name: "agent run: 'support'", Type: "agent_run", IsRoot: true,
			EntityType: "agent", EntityName: "support", StartTime: start, EndTime: start.Add(1500 * time.Millisecond)},
		{ProjectID: "prj_1", TraceID: "t1", SpanID: "gen", ParentSpanID: "root", Name: "llm: 'gpt-4o-mini'", Type: "model_generation",
			Model: "gpt-4o-mini", InputTokens: 1200, OutputTokens: 300, CostUSD: &cost,
			StartTime: start.Add(100 * time.Millisecond), EndTime: start.Add(1400 * time.Millisecond)},
	}
	// Inserting twice stores each span once.
	for i := 0; i < 2; i++ {
		if err := s.InsertSpans(ctx, spans); err != nil {
			log.Fatal(err)
		}
	}
	page, err := s.ListTraces(ctx, admin.TraceQuery{ProjectID: "prj_1", From: start.Add(-time.Hour), To: start.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	for _, t := range page.Traces {
		fmt.Printf("%s %s/%s %v spans=%d tokens=%d+%d cost=$%.4f\n", t.TraceID, t.EntityType, t.EntityName, t.Duration,
			t.SpanCount, t.InputTokens, t.OutputTokens, *t.CostUSD)
	}
	tree, err := s.GetTrace(ctx, admin.TraceGet{ProjectID: "prj_1", TraceID: "t1", From: start.Add(-time.Hour), To: start.Add(time.Hour)})
	if err != nil {
		log.Fatal(err)
	}
	for _, sp := range tree {
		fmt.Printf("%s parent=%q %s\n", sp.SpanID, sp.ParentSpanID, sp.Name)
	}
	// Output:
	// t1 agent/support 1.5s spans=2 tokens=1200+300 cost=$0.0012
	// root parent="" agent run: 'support'
	// gen parent="root" llm: 'gpt-4o-mini'
}
