package observability_test

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

func modelSpan(typ, parent, attrs string) *observability.Span {
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &observability.Span{SchemaVersion: 1, Kind: "span", ProjectID: "p", DeploymentID: "d", BuildID: "b",
		TraceID: "t", SpanID: "s", ParentSpanID: parent, Name: "n", Type: typ, StartTime: t0, EndTime: t0.Add(time.Second),
		Attributes: json.RawMessage(attrs)}
}

func costOf(s admin.Span) float64 {
	if s.CostUSD == nil {
		return math.NaN()
	}
	return *s.CostUSD
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-12 }

func TestToAdminTypedColumns(t *testing.T) {
	const usage1x = `{"model":"gpt-4o-mini","provider":"openai.chat","usage":{"inputTokens":1000,"outputTokens":200,` +
		`"inputDetails":{"cacheRead":400,"cacheWrite":0},"outputDetails":{"reasoning":50}}}`
	gen := modelSpan("model_generation", "a", usage1x)
	gen.EntityType, gen.EntityID, gen.EntityName = "agent", "ag", "Agent"
	a := gen.ToAdmin()
	if a.Model != "gpt-4o-mini" || a.Provider != "openai.chat" || a.InputTokens != 1000 || a.OutputTokens != 200 ||
		a.CacheReadTokens != 400 || a.CacheWriteTokens != 0 || a.ReasoningTokens != 50 || a.IsRoot ||
		a.EntityType != "agent" || a.EntityID != "ag" || a.EntityName != "Agent" {
		t.Errorf("model_generation = %+v", a)
	}
	// gpt-4o-mini: 0.15 input, 0.60 output, 0.075 cache read per million.
	if want := (600*0.15 + 400*0.075 + 200*0.60) / 1e6; !near(costOf(a), want) {
		t.Errorf("cost = %v; want %v", costOf(a), want)
	}

	// The same usage repeated on the step, inference and agent spans is not counted again.
	for _, typ := range []string{"model_step", "model_inference", "agent_run"} {
		a := modelSpan(typ, "", usage1x).ToAdmin()
		if a.InputTokens != 0 || a.OutputTokens != 0 || a.CacheReadTokens != 0 || a.ReasoningTokens != 0 || a.CostUSD != nil {
			t.Errorf("%s carries usage: %+v", typ, a)
		}
		if a.Model != "gpt-4o-mini" || !a.IsRoot {
			t.Errorf("%s: model %q root %v", typ, a.Model, a.IsRoot)
		}
	}

	// Mastra 0.x: llm_generation, promptTokens/completionTokens, responseModel.
	old := modelSpan("llm_generation", "a", `{"responseModel":"claude-sonnet-4-5-20250929","usage":{"promptTokens":10,"completionTokens":20}}`).ToAdmin()
	if old.Model != "claude-sonnet-4-5-20250929" || old.InputTokens != 10 || old.OutputTokens != 20 {
		t.Errorf("0.x span = %+v", old)
	}
	if want := (10*3.0 + 20*15.0) / 1e6; !near(costOf(old), want) {
		t.Errorf("0.x cost = %v; want %v", costOf(old), want)
	}

	// Unknown model: tokens kept, no cost (not zero).
	unk := modelSpan("model_generation", "a", `{"model":"mock-model-id","usage":{"inputTokens":3,"outputTokens":10}}`).ToAdmin()
	if unk.InputTokens != 3 || unk.OutputTokens != 10 || unk.CostUSD != nil {
		t.Errorf("unknown model = %+v", unk)
	}
	// Wrong types and non-object attributes leave the typed fields empty.
	for _, attrs := range []string{`[1]`, `{"model":5}`, `{"usage":{"inputTokens":"x"}}`, `"s"`} {
		a := modelSpan("model_generation", "a", attrs).ToAdmin()
		if a.Model != "" || a.InputTokens != 0 || a.CostUSD != nil {
			t.Errorf("attributes %s gave %+v", attrs, a)
		}
	}
}

func TestPrices(t *testing.T) {
	p := observability.DefaultPrices()
	for model, want := range map[string]float64{
		"gpt-4o": 2.50, "gpt-4o-mini": 0.15, "openai/gpt-4o-mini": 0.15, "gpt-4o-2024-08-06": 2.50,
		"gpt-4o-mini-2024-07-18": 0.15, "claude-sonnet-4-20250514": 3, "anthropic/claude-opus-4-1-20250805": 15,
	} {
		if got, ok := p.Lookup(model); !ok || got.Input != want {
			t.Errorf("Lookup(%q) = %+v, %v; want input %v", model, got, ok, want)
		}
	}
	for _, model := range []string{"", "gpt-4", "mock-model-id", "gpt-4ox"} {
		if got, ok := p.Lookup(model); ok {
			t.Errorf("Lookup(%q) = %+v; want none", model, got)
		}
	}

	// An operator's table: override one model, add another; cache writes
	// without their own price cost the input price.
	p["gpt-4o"] = observability.Price{Input: 1, Output: 2}
	p["my-model"] = observability.Price{Input: 4, Output: 8, CacheRead: 1}
	s := admin.Span{Model: "gpt-4o", InputTokens: 1_000_000, OutputTokens: 500_000}
	if c := p.Cost(&s); c == nil || !near(*c, 2) {
		t.Errorf("overridden gpt-4o cost = %v", c)
	}
	s = admin.Span{Model: "my-model", InputTokens: 300, CacheReadTokens: 100, CacheWriteTokens: 100, OutputTokens: 10}
	if c, want := p.Cost(&s), (100*4.0+100*1+100*4+10*8)/1e6; c == nil || !near(*c, want) {
		t.Errorf("my-model cost = %v; want %v", c, want)
	}
	if c := p.Cost(&admin.Span{Model: "my-model"}); c != nil {
		t.Errorf("cost without tokens = %v; want nil", *c)
	}
	gen := modelSpan("model_generation", "a", `{"model":"my-model","usage":{"inputTokens":1000000}}`)
	if a := gen.ToAdminWithPrices(p); !near(costOf(a), 4) {
		t.Errorf("ToAdminWithPrices cost = %v", costOf(a))
	}
	if a := gen.ToAdmin(); a.CostUSD != nil {
		t.Errorf("default table priced my-model: %v", *a.CostUSD)
	}
	if observability.DefaultPrices()["gpt-4o"].Input != 2.50 {
		t.Error("changing a copy changed the default table")
	}
}

func TestLogID(t *testing.T) {
	a, b := observability.LogID("logs/1.jsonl", 120), observability.LogID("logs/1.jsonl", 120)
	if a != b || len(a) != 32 {
		t.Errorf("ids %q %q", a, b)
	}
	seen := map[string]bool{}
	for _, f := range []string{"logs/1.jsonl", "logs/2.jsonl", "logs/1.jsonl1"} {
		for _, off := range []int64{0, 1, 20, 120} {
			id := observability.LogID(f, off)
			if seen[id] {
				t.Errorf("id of %s@%d repeats", f, off)
			}
			seen[id] = true
		}
	}
}
