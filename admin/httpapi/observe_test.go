package httpapi_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// observedProject is a server with a project, and the platform admin's
// client and token.
func observedProject(t *testing.T) (*server, *apitest.Client, string, admin.Project) {
	t.Helper()
	s := newServer(t, nil, nil)
	root, boot := s.anon.Bootstrap("root@example.com")
	var team admin.Team
	root.Do("POST", "/v1/teams", map[string]string{"name": "Obs"}).Must(t, 201, &team)
	var p admin.Project
	root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Agents", "sourceType": "local",
		"sourceConfig": map[string]string{"path": apitest.ProjectPath}}).Must(t, 201, &p)
	return s, root, boot.Secret, p
}

// TestObservabilityRoutes reads spans and logs stored in the embedded
// observability store (where ingestion puts them) through the API: the
// trace list with filters and sorts, one trace, the log search, the
// metrics, the ingestion's health, and bad parameters refused naming
// themselves. Who may call each route is in TestRBAC.
func TestObservabilityRoutes(t *testing.T) {
	s, root, _, p := observedProject(t)

	at := time.Now().UTC().Add(-time.Hour).Truncate(time.Millisecond)
	cost := 0.002
	spans := []admin.Span{
		{TraceID: "ta", SpanID: "root", Name: "agent run", Type: "agent_run", IsRoot: true, EntityType: "agent", EntityName: "helper",
			StartTime: at, EndTime: at.Add(3 * time.Second)},
		{TraceID: "ta", SpanID: "gen", ParentSpanID: "root", Name: "llm", Type: "model_generation", Model: "gpt-4o-mini",
			InputTokens: 1000, OutputTokens: 200, CostUSD: &cost, StartTime: at.Add(time.Second), EndTime: at.Add(2 * time.Second)},
		{TraceID: "tb", SpanID: "root", Name: "workflow run", Type: "workflow_run", IsRoot: true, EntityType: "workflow", EntityName: "stats",
			Error: "step failed", StartTime: at.Add(time.Minute), EndTime: at.Add(time.Minute + 500*time.Millisecond)},
	}
	for i := range spans {
		spans[i].ProjectID, spans[i].DeploymentID, spans[i].BuildID = p.ID, "dep_1", "bld_1"
	}
	obs := s.Stack.Observability
	if err := obs.InsertSpans(context.Background(), spans); err != nil {
		t.Fatal(err)
	}
	if err := obs.InsertLogs(context.Background(), []admin.LogRecord{
		{ID: "l1", Time: at, Level: "info", Message: "Agent started", ProjectID: p.ID, DeploymentID: "dep_1", BuildID: "bld_1", TraceID: "ta"},
		{ID: "l2", Time: at.Add(time.Minute), Level: "error", Message: "Step FAILED: timeout", ProjectID: p.ID, DeploymentID: "dep_1", BuildID: "bld_1", TraceID: "tb"},
	}); err != nil {
		t.Fatal(err)
	}
	base := "/v1/projects/" + p.ID

	var traces httpapi.TraceList
	root.Do("GET", base+"/traces", nil).Must(t, 200, &traces)
	if len(traces.Traces) != 2 || traces.Traces[0].TraceID != "tb" || traces.Traces[1].TraceID != "ta" {
		t.Fatalf("traces = %+v, want tb then ta (newest first)", traces)
	}
	ta := traces.Traces[1]
	if ta.SpanCount != 2 || ta.InputTokens != 1000 || ta.OutputTokens != 200 || ta.CostUSD == nil || *ta.CostUSD != cost ||
		ta.DurationMs != 3000 || ta.RootName != "agent run" || ta.EntityName != "helper" || ta.Error {
		t.Fatalf("trace ta = %+v", ta)
	}
	if tb := traces.Traces[0]; !tb.Error || tb.CostUSD != nil {
		t.Fatalf("trace tb = %+v, want an error and no cost", tb)
	}
	for query, want := range map[string]string{
		"?status=error":        "tb",
		"?sort=duration":       "ta,tb",
		"?sort=cost":           "ta,tb",
		"?model=gpt-4o-mini":   "ta",
		"?minDurationMs=1000":  "ta",
		"?entityType=workflow": "tb",
		"?limit=1":             "tb",
		"?from=" + url.QueryEscape(at.Add(30*time.Second).Format(time.RFC3339Nano)): "tb",
	} {
		var got httpapi.TraceList
		root.Do("GET", base+"/traces"+query, nil).Must(t, 200, &got)
		var ids []string
		for _, tr := range got.Traces {
			ids = append(ids, tr.TraceID)
		}
		if strings.Join(ids, ",") != want {
			t.Errorf("traces%s = %v, want %s", query, ids, want)
		}
		if query == "?limit=1" {
			var next httpapi.TraceList
			root.Do("GET", base+"/traces?limit=1&cursor="+url.QueryEscape(got.Next), nil).Must(t, 200, &next)
			if got.Next == "" || len(next.Traces) != 1 || next.Traces[0].TraceID != "ta" || next.Next != "" {
				t.Errorf("second page after %q = %+v, want ta and the end", got.Next, next)
			}
		}
	}

	var trace httpapi.Trace
	root.Do("GET", base+"/traces/ta", nil).Must(t, 200, &trace)
	if len(trace.Spans) != 2 || trace.Spans[0].SpanID != "root" || trace.Spans[1].ParentSpanID != "root" || trace.Spans[1].InputTokens != 1000 {
		t.Fatalf("trace = %+v", trace)
	}
	if r := root.Do("GET", base+"/traces/nope", nil); r.Status != 404 {
		t.Fatalf("missing trace: %d %s", r.Status, r.Body)
	}

	var logs httpapi.LogList
	root.Do("GET", base+"/logs?text=failed&level=warn", nil).Must(t, 200, &logs)
	if len(logs.Logs) != 1 || logs.Logs[0].ID != "l2" {
		t.Fatalf("logs = %+v, want l2", logs)
	}
	root.Do("GET", base+"/logs?traceId=ta", nil).Must(t, 200, &logs)
	if len(logs.Logs) != 1 || logs.Logs[0].ID != "l1" {
		t.Fatalf("logs of ta = %+v, want l1", logs)
	}

	var m httpapi.MetricsBody
	root.Do("GET", base+"/metrics?bucket=24h&from="+url.QueryEscape(at.Add(-time.Hour).Format(time.RFC3339)), nil).Must(t, 200, &m)
	runs, errs := 0, 0
	for _, e := range m.Entities {
		runs, errs = runs+e.Runs, errs+e.Errors
	}
	if m.BucketSeconds != 86400 || runs != 2 || errs != 1 || len(m.Models) == 0 || m.Models[0].Model != "gpt-4o-mini" ||
		m.Models[0].InputTokens != 1000 {
		t.Fatalf("metrics = %+v", m)
	}

	var health httpapi.IngestHealthBody
	root.Do("GET", "/v1/observability/health", nil).Must(t, 200, &health)

	for _, c := range []struct{ path, field string }{
		{base + "/traces?sort=size", "Sort"},
		{base + "/traces?status=maybe", "Status"},
		{base + "/traces?from=yesterday", "from"},
		{base + "/traces?minDurationMs=-1", "minDurationMs"},
		{base + "/traces?limit=100000", "limit"},
		{base + "/traces?cursor=garbage", "Cursor"},
		{base + "/traces?deployment=..%2Fx", "deployment"},
		{base + "/traces?colour=red", "colour"},
		{base + "/logs?level=loud", "Level"},
		{base + "/logs?text=" + strings.Repeat("x", 2000), "text"},
		{base + "/metrics?bucket=1ms", "Bucket"},
		{base + "/metrics?bucket=soon", "bucket"},
	} {
		r := root.Do("GET", c.path, nil)
		if r.Status != 400 && r.Status != 422 {
			t.Errorf("GET %s: %d %s, want 400 or 422", c.path, r.Status, r.Body)
			continue
		}
		if e := r.Err(t); e.Field != c.field {
			t.Errorf("GET %s: field %q (%s), want %q", c.path, e.Field, e.Message, c.field)
		}
	}
}

// TestLogTail follows a project's log lines over the WebSocket: lines
// stored after it opened arrive once each, oldest first, with the filters
// applied; a plain GET is told to upgrade.
func TestLogTail(t *testing.T) {
	s, root, token, p := observedProject(t)
	path := "/v1/projects/" + p.ID + "/logs/ws"
	if r := root.Do("GET", path, nil); r.Status != http.StatusUpgradeRequired {
		t.Fatalf("plain GET of the tail: %d %s, want 426", r.Status, r.Body)
	}
	c := dial(t, s, path+"?level=warn", token)
	now := time.Now().UTC()
	line := func(id, level string, d time.Duration) admin.LogRecord {
		return admin.LogRecord{ID: id, Time: now.Add(d), Level: level, Message: id, ProjectID: p.ID, DeploymentID: "d", BuildID: "b"}
	}
	if err := s.Stack.Observability.InsertLogs(context.Background(), []admin.LogRecord{
		line("w2", "warn", 2*time.Second), line("i1", "info", time.Second), line("e1", "error", time.Second)}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, want := range []string{"e1", "w2"} {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var m httpapi.TailMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "log" || m.Log == nil || m.Log.ID != want {
			t.Fatalf("tail sent %s, want line %s", data, want)
		}
	}
	c.Close(websocket.StatusNormalClosure, "")
}
