package ui_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// TestObservability drives the traces list (filters, pages), a trace's
// waterfall and its span panel, the logs search with its live tail, and
// the metrics charts, in Chromium. The spans and logs are written to the
// Admin's real observability store (observability/sqlite) as the
// ingestion worker would write them: the fake project the other tests
// deploy has no instrumentation.
func TestObservability(t *testing.T) {
	e := newEnv(t, "/ui")
	owner, token := e.user(t, "owner@example.com")
	as := apitest.As(owner.ID)
	_, p := e.project(t, as, "Observers", "Weather", apitest.ProjectPath)
	prod := production(t, e, p.ID)
	now := time.Now().UTC().Truncate(time.Millisecond)
	a0, b0 := now.Add(-10*time.Minute), now.Add(-5*time.Minute)
	cost := 0.00012
	span := func(trace, id, parent, name, typ string, start time.Time, from, to time.Duration) admin.Span {
		return admin.Span{TraceID: trace, SpanID: id, ParentSpanID: parent, Name: name, Type: typ, ProjectID: p.ID,
			DeploymentID: prod.ID, BuildID: "bld_x", StartTime: start.Add(from), EndTime: start.Add(to), IsRoot: parent == ""}
	}
	rootA := span("trace-a", "a1", "", "weatherAgent run", "agent_run", a0, 0, 1200*time.Millisecond)
	rootA.EntityType, rootA.EntityName = "agent", "weatherAgent"
	model := span("trace-a", "a2", "a1", "llm call", "model_generation", a0, 100*time.Millisecond, 900*time.Millisecond)
	model.Model, model.Provider, model.InputTokens, model.OutputTokens, model.CostUSD = "gpt-4o-mini", "openai", 120, 45, &cost
	model.Attributes = json.RawMessage(`{"input":{"messages":[{"role":"user","content":"What is the weather in Paris?"}]},"output":{"text":"Sunny, 21°C"},"temperature":0.2}`)
	tool := span("trace-a", "a3", "a1", "getWeather", "tool_call", a0, 900*time.Millisecond, 1100*time.Millisecond)
	rootB := span("trace-b", "b1", "", "textStats run", "workflow_run", b0, 0, 300*time.Millisecond)
	rootB.EntityType, rootB.EntityName = "workflow", "textStats"
	step := span("trace-b", "b2", "b1", "count step", "workflow_step", b0, 10*time.Millisecond, 250*time.Millisecond)
	step.Error = "boom: the step failed"
	rootB.Error = "step count step failed"
	if err := e.obs.InsertSpans(context.Background(), []admin.Span{rootA, model, tool, rootB, step}); err != nil {
		t.Fatal(err)
	}
	logLine := func(id, level, msg, trace string, at time.Time) admin.LogRecord {
		return admin.LogRecord{ID: id, Time: at, Level: level, Message: msg, ProjectID: p.ID, DeploymentID: prod.ID,
			BuildID: "bld_x", TraceID: trace}
	}
	if err := e.obs.InsertLogs(context.Background(), []admin.LogRecord{
		logLine("l1", "info", "agent started", "trace-a", a0.Add(time.Millisecond)),
		logLine("l2", "error", "step failed: boom", "trace-b", b0.Add(200*time.Millisecond)),
		logLine("l3", "debug", "cache warm", "", b0.Add(time.Second)),
	}); err != nil {
		t.Fatal(err)
	}

	ctx := tab(t)
	signIn(t, ctx, e, token)

	// Traces: both, then the failed one only, then a page of one.
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/traces", `#traces tr[data-trace="trace-b"]`)
	if n := get(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#traces tbody tr[data-trace]').length`)); n != 2 {
		t.Fatalf("%d traces listed, want 2", n)
	}
	run(t, ctx, "only errors", setValue("#traces-status", "error"))
	press(t, ctx, "", "traces-filter", "#traces")
	if n := get(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#traces tbody tr[data-trace]').length`)); n != 1 ||
		!strings.Contains(text(t, ctx, "#traces tbody"), "textStats") {
		t.Fatalf("the error filter shows %d traces: %s", n, text(t, ctx, "#traces tbody"))
	}
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/traces?limit=1", `#traces tr[data-trace="trace-b"]`)
	press(t, ctx, "", "traces-next", `#traces tr[data-trace="trace-a"]`)
	if n := get(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#traces tbody tr[data-trace]').length`)); n != 1 {
		t.Fatalf("the next page has %d traces: its link lost limit=1", n)
	}
	screenshot(t, ctx, "traces")

	// The waterfall: spans under their parents; the model span's panel.
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/traces/trace-a", `#waterfall [data-span="a2"]`)
	order := get(t, ctx, "span order", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#waterfall [data-span]')].map(b => b.dataset.span)`))
	if strings.Join(order, ",") != "a1,a2,a3" {
		t.Fatalf("waterfall order %v", order)
	}
	drive("span")
	run(t, ctx, "open the model span", chromedp.Click(chromedp.CSS(`[data-control="span"][data-span="a2"]`)),
		chromedp.WaitVisible(chromedp.CSS("#span-tokens")))
	if got := text(t, ctx, "#span-tokens"); !strings.Contains(got, "120 in / 45 out") {
		t.Fatalf("tokens %q", got)
	}
	for sel, want := range map[string]string{"#span-cost": "$0.000120", "#span-input": "What is the weather in Paris?", "#span-output": "Sunny"} {
		if got := text(t, ctx, sel); !strings.Contains(got, want) {
			t.Fatalf("%s = %q, want %q", sel, got, want)
		}
	}
	screenshot(t, ctx, "trace")
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/traces/trace-b", `#waterfall [data-span="b2"]`)
	run(t, ctx, "open the failed span", chromedp.Click(chromedp.CSS(`[data-control="span"][data-span="b2"]`)),
		chromedp.WaitVisible(chromedp.CSS("#span-error")))
	waitText(t, ctx, "#span-error", "boom")

	// A deployment's runtime logs: the logs page narrowed to it.
	visit(t, ctx, e.ui+"/deployments/"+prod.ID, "#deployment-logs")
	run(t, ctx, "open its logs", chromedp.Click(chromedp.CSS("#deployment-logs")),
		chromedp.WaitVisible(chromedp.CSS("#logs")))
	if v := get(t, ctx, "the filter", chromedp.Value(chromedp.CSS(`form input[name="deployment"]`))); v != prod.ID {
		t.Fatalf("the logs page is not narrowed to the deployment: %q", v)
	}
	waitText(t, ctx, "#logs tbody", "agent started")

	// Logs: search, pages, and the live tail receiving a new line.
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/logs", "#logs")
	run(t, ctx, "search", chromedp.SendKeys(chromedp.CSS("#logs-text"), "BOOM"))
	press(t, ctx, "", "logs-filter", "#logs")
	if got := text(t, ctx, "#logs tbody"); !strings.Contains(got, "step failed: boom") || strings.Contains(got, "agent started") {
		t.Fatalf("search for boom shows %q", got)
	}
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/logs?limit=1", "#logs")
	press(t, ctx, "", "logs-older", "#logs")
	if got := text(t, ctx, "#logs tbody"); !strings.Contains(got, "step failed: boom") || strings.Contains(got, "agent started") {
		t.Fatalf("the second page of one line: %q", got)
	}
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/logs", "#logs")
	pressHere(t, ctx, "", "logs-tail", `#logs-tail[aria-pressed="true"]`)
	waitText(t, ctx, "#logs-tail-state", "live")
	if err := e.obs.InsertLogs(context.Background(), []admin.LogRecord{
		logLine("l4", "warn", "a fresh line, tailed", "", time.Now().UTC())}); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#logs tbody tr.tailed", "a fresh line, tailed")
	screenshot(t, ctx, "logs")

	// Metrics: server-drawn SVG; every range.
	visit(t, ctx, e.ui+"/projects/"+p.ID+"/metrics", `svg.chart rect.bar0`)
	if got := text(t, ctx, `#models tr[data-model="gpt-4o-mini"]`); !strings.Contains(got, "120 / 45") || !strings.Contains(got, "$0.0001") {
		t.Fatalf("the model row: %q", got)
	}
	if n := get(t, ctx, "latency charts", chromedp.Evaluate[int](`document.querySelectorAll('svg.chart polyline').length`)); n != 6 {
		t.Fatalf("%d latency lines, want 3 for each of the 2 entities", n)
	}
	screenshot(t, ctx, "metrics")
	press(t, ctx, "", "metrics-range-1h", "svg.chart")
	press(t, ctx, "", "metrics-range-7d", "svg.chart")
	press(t, ctx, "", "metrics-range-24h", "svg.chart rect.bar1")
}
