package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/observability"
	chstore "github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
	obsqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestRealDeploysAreObserved deploys the AdminBundler's two fixtures, a
// Mastra 1.x project (its own logger, its own server.port) and a Mastra
// 0.24 project, each with its lockfile, through the admin with the real
// local runner (npm, the AdminBundler's faithful build, node) and router.
// It runs each project's workflow through the router and finds, in the
// build's observability folder, the spans of the run and its steps and the
// log line of a step, all with the admin's project, deployment and build
// ids. Then the admin stops while the servers run: a run made with no
// admin alive is still recorded, and a new admin adopts the servers.
// Throughout, the ingestion worker puts the spans and lines into the
// embedded store and into ClickHouse at once (teeStore), and the Admin's
// queries answer them: each workflow run's trace with its steps, parent
// ids and the platform's ids, the step's log line, and a real agent run on
// a mock model (no network) with its tokens and cost in the trace list and
// the metrics; ClickHouse answers the same, and nothing is doubled by the
// restart. Minutes on a cold machine; the caches under
// ~/.cache/mastra-admin (the runner's default, or
// MASTRA_ADMIN_TEST_RUNNER_CACHE) keep reruns warm.
func TestRealDeploysAreObserved(t *testing.T) {
	if testing.Short() {
		t.Skip("builds real Mastra projects (minutes); the test script runs it")
	}
	dir := t.TempDir()
	chConn := testenv.ClickHouse(t)
	var ch *chstore.Store // the ClickHouse side of the current admin's tee
	open := func() (*stack, *admin.Admin, *httptest.Server) {
		s, err := openStack(dir, 2*time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		embedded, err := obsqlite.Open(filepath.Join(dir, "observability.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		if ch, err = chstore.New(context.Background(), chConn, nil); err != nil {
			t.Fatal(err)
		}
		// The fixtures are real Mastra projects: the default, instrumenting
		// build, with the shared caches.
		s.runner.Close()
		lo, hi := portRange()
		if s.runner, err = runnerlocal.New(&runnerlocal.Options{CacheDir: os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE"),
			PortMin: lo, PortMax: hi, HealthTimeout: 2 * time.Minute, StopGrace: 10 * time.Second}); err != nil {
			t.Fatal(err)
		}
		a, err := s.admin(filepath.Join("..", "bundler", "testdata"), admin.WithBuildTimeout(15*time.Minute),
			admin.WithObservabilityStore(&teeStore{embedded, ch}),
			admin.WithTelemetryDecoder(observability.Decoder(observability.DefaultPrices())))
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		return s, a, httptest.NewServer(s.router)
	}
	t.Cleanup(func() { stopAllServers(t, dir) })
	s, a, proxy := open()
	ctx := context.Background()
	root := must[*admin.User](t)(a.Bootstrap(ctx, admin.NewUser{Email: "root@example.com", Name: "Root"}))
	ctx = as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "Observed"}))

	type fixture struct {
		path string
		// tracedLogs: Mastra 1.x records the active span of a log call.
		tracedLogs bool
		p          *admin.Project
		d          *admin.Deployment
		b          *admin.Build
	}
	fixtures := []*fixture{{path: "v1", tracedLogs: true}, {path: "v0"}}
	for _, f := range fixtures {
		f.p = must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Fixture " + f.path,
			SourceType: admin.SourceLocal, SourceConfig: map[string]string{"path": f.path}}))
		f.d = must[admin.List[*admin.Deployment]](t)(a.ListDeployments(ctx, f.p.ID, admin.Page{})).Items[0]
		f.b = must[*admin.Build](t)(a.Deploy(ctx, f.d.ID))
	}
	for _, f := range fixtures {
		f.b = waitFor(t, 15*time.Minute, "build "+f.b.ID, func() (*admin.Build, bool) {
			b := must[*admin.Build](t)(a.GetBuild(ctx, f.b.ID))
			return b, b.Status.Terminal() && b.CompletedAt != nil
		})
		if f.b.Status != admin.BuildSucceeded {
			t.Fatalf("%s: build %s: %s\n%s", f.path, f.b.Status, f.b.Error, buildLog(t, a, ctx, f.b.ID))
		}
	}

	// check runs the project's workflow through url (the router, or the
	// server itself) and finds the run's records among want runs.
	check := func(f *fixture, url string, wantRuns int) {
		t.Helper()
		host := f.p.Slug + ".localhost"
		got := startWorkflow(t, url, host, map[string]any{"text": "hello mastra admin"})
		if got["summary"] != "3 words, 18 characters" {
			t.Errorf("%s: workflow result %v", f.path, got)
		}
		buildDir := filepath.Join(dir, "builds", f.b.ID)
		var tel runnertest.Telemetry
		var runs []runnertest.TracedRun
		waitFor(t, 10*time.Second, f.path+"'s spans to be flushed", func() (bool, bool) {
			tel = runnertest.ReadTelemetry(t, buildDir)
			runs = tel.WorkflowRuns()
			return true, len(runs) >= wantRuns && countLogs(tel, "fixture summarize step") >= wantRuns
		})
		if len(runs) != wantRuns {
			t.Fatalf("%s: %d workflow runs recorded, want %d:\n%s", f.path, len(runs), wantRuns, tel)
		}
		run := runs[wantRuns-1]
		runnertest.CheckWorkflowRun(t, tel, run, 2, runnertest.IDs{Project: f.p.ID, Deployment: f.d.ID, Build: f.b.ID})
		step := run.Step("summarize")
		var found bool
		for _, l := range tel.Logs {
			if l.Message != "fixture summarize step" || (l.ProjectID != f.p.ID || l.DeploymentID != f.d.ID || l.BuildID != f.b.ID) {
				continue
			}
			if !f.tracedLogs || step != nil && l.TraceID == run.Run.TraceID && l.SpanID == step.SpanID {
				found = true
			}
		}
		if !found {
			t.Errorf("%s: no log line of the summarize step (with its trace, on 1.x):\n%s", f.path, tel)
		}
	}
	for _, f := range fixtures {
		check(f, proxy.URL, 1)
	}

	// queried finds, through the Admin (the embedded store) and in
	// ClickHouse, want workflow runs of f, the newest one with its steps
	// and its step's log line, as check found them in the files.
	queried := func(a *admin.Admin, f *fixture, want int) {
		t.Helper()
		q := admin.TraceQuery{ProjectID: f.p.ID, DeploymentID: f.d.ID}
		var page admin.TracePage
		waitFor(t, 2*time.Minute, fmt.Sprintf("%s: %d workflow traces ingested", f.path, want), func() (bool, bool) {
			page = must[admin.TracePage](t)(a.ListTraces(ctx, q))
			return true, len(workflowTraces(page)) >= want && len(must[admin.LogPage](t)(a.SearchLogs(ctx,
				admin.LogQuery{ProjectID: f.p.ID, Text: "fixture summarize step"})).Logs) >= want
		})
		runs := workflowTraces(page)
		if len(runs) != want {
			t.Fatalf("%s: %d workflow traces, want %d: %+v", f.path, len(runs), want, page.Traces)
		}
		newest := runs[0]
		spans := must[[]admin.Span](t)(a.GetTrace(ctx, admin.TraceGet{ProjectID: f.p.ID, TraceID: newest.TraceID}))
		byID := map[string]admin.Span{}
		for _, sp := range spans {
			byID[sp.SpanID] = sp
		}
		steps := 0
		for _, sp := range spans {
			if sp.ProjectID != f.p.ID || sp.DeploymentID != f.d.ID || sp.BuildID != f.b.ID {
				t.Errorf("%s: span %s has ids %s/%s/%s", f.path, sp.Name, sp.ProjectID, sp.DeploymentID, sp.BuildID)
			}
			if sp.Type == "workflow_step" {
				if _, ok := byID[sp.ParentSpanID]; !ok {
					t.Errorf("%s: step span %s's parent %q is not in the trace", f.path, sp.Name, sp.ParentSpanID)
				}
				steps++
			}
		}
		if steps < 2 || newest.SpanCount != len(spans) {
			t.Errorf("%s: trace %s: %d steps of %d spans (summary: %d spans), want 2 steps or more", f.path, newest.TraceID,
				steps, len(spans), newest.SpanCount)
		}
		logs := must[admin.LogPage](t)(a.SearchLogs(ctx, admin.LogQuery{ProjectID: f.p.ID, Text: "fixture summarize step"}))
		if len(logs.Logs) != want || f.tracedLogs && logs.Logs[0].TraceID != newest.TraceID {
			t.Errorf("%s: step log lines %+v, want %d, the newest in trace %s", f.path, logs.Logs, want, newest.TraceID)
		}
		// ClickHouse holds the same, once each.
		chPage := must[admin.TracePage](t)(ch.ListTraces(ctx, q))
		if got, wantIDs := traceIDs(chPage), traceIDs(page); got != wantIDs {
			t.Errorf("%s: ClickHouse lists traces %s, the embedded store %s", f.path, got, wantIDs)
		}
		chLogs := must[admin.LogPage](t)(ch.SearchLogs(ctx, admin.LogQuery{ProjectID: f.p.ID, Text: "fixture summarize step"}))
		if len(chLogs.Logs) != want {
			t.Errorf("%s: ClickHouse has %d step log lines, want %d", f.path, len(chLogs.Logs), want)
		}
	}
	for _, f := range fixtures {
		queried(a, f, 1)
	}

	// A real agent run on the mock model: one model call of 12 input and 7
	// output tokens on gpt-4o-mini, priced.
	v1 := fixtures[0]
	if text := generate(t, proxy.URL, v1.p.Slug+".localhost", "mockAgent", "How many words?"); text != "Three words here." {
		t.Fatalf("mockAgent answered %q", text)
	}
	price, _ := observability.DefaultPrices().Lookup("gpt-4o-mini")
	wantCost := (12*price.Input + 7*price.Output) / 1e6
	for name, s := range map[string]admin.ObservabilityQuerier{"the Admin": queryAs{a}, "ClickHouse": ch} {
		var agentRun admin.TraceSummary
		waitFor(t, 2*time.Minute, name+": the agent's trace", func() (bool, bool) {
			for _, tr := range must[admin.TracePage](t)(s.ListTraces(ctx, admin.TraceQuery{ProjectID: v1.p.ID, Model: "gpt-4o-mini"})).Traces {
				agentRun = tr
				return true, true
			}
			return false, false
		})
		if agentRun.RootType != "agent_run" || agentRun.InputTokens != 12 || agentRun.OutputTokens != 7 || agentRun.CostUSD == nil ||
			fmt.Sprintf("%.9f", *agentRun.CostUSD) != fmt.Sprintf("%.9f", wantCost) {
			t.Errorf("%s: agent trace %+v, want agent_run with 12/7 tokens costing %.9f", name, agentRun, wantCost)
		}
		m := must[admin.Metrics](t)(s.Metrics(ctx, admin.MetricsQuery{ProjectID: v1.p.ID, From: time.Now().Add(-time.Hour)}))
		calls, in, out := 0, int64(0), int64(0)
		for _, mm := range m.Models {
			if mm.Model == "gpt-4o-mini" {
				calls, in, out = calls+mm.Calls, in+mm.InputTokens, out+mm.OutputTokens
			}
		}
		if calls != 1 || in != 12 || out != 7 {
			t.Errorf("%s: gpt-4o-mini metrics %d calls, %d/%d tokens, want 1 call of 12/7: %+v", name, calls, in, out, m.Models)
		}
	}

	// The 1.x fixture's own logger still prints, and its server.port 4999
	// lost to the runner's port.
	servers := must[[]*admin.RunningServer](t)(s.store.ListServers(context.Background(),
		admin.ServerFilter{DeploymentID: v1.d.ID, Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
	if len(servers) != 1 || servers[0].Port == 4999 {
		t.Fatalf("v1 servers: %+v", servers)
	}
	out, _ := os.ReadFile(filepath.Join(dir, "builds", v1.b.ID, "server.log"))
	if !strings.Contains(string(out), "FIXTURE-LOGGER info fixture summarize step") {
		t.Errorf("the project's own logger did not get the step's line; server.log:\n%s", out)
	}
	if c, err := net.DialTimeout("tcp", "127.0.0.1:4999", time.Second); err == nil {
		c.Close()
		t.Errorf("something listens on the project's server.port 4999")
	}

	// The admin goes away; the servers run on and keep recording.
	proxy.Close()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	direct := "http://" + net.JoinHostPort(servers[0].Host, strconv.Itoa(servers[0].Port))
	check(v1, direct, 2)

	// A new admin adopts the same server (no rebuild, no second process)
	// and routes to it again.
	s2, a2, proxy2 := open()
	defer a2.Close()
	defer proxy2.Close()
	waitFor(t, time.Minute, "the new admin to route to the adopted server", func() (bool, bool) {
		req, _ := http.NewRequest(http.MethodGet, proxy2.URL+"/health", nil)
		req.Host = v1.p.Slug + ".localhost"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, false
		}
		resp.Body.Close()
		return true, resp.StatusCode == http.StatusOK
	})
	after := must[[]*admin.RunningServer](t)(s2.store.ListServers(context.Background(),
		admin.ServerFilter{DeploymentID: v1.d.ID, Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
	if len(after) != 1 || after[0].PID != servers[0].PID {
		t.Fatalf("after the restart: %+v; want the server with pid %d adopted", after, servers[0].PID)
	}
	check(v1, proxy2.URL, 3)
	// The run made while no admin was alive is ingested by the new one;
	// the files read again after the restart double nothing.
	queried(a2, v1, 3)
	queried(a2, fixtures[1], 1)
}

// workflowTraces keeps a page's workflow runs.
func workflowTraces(p admin.TracePage) []admin.TraceSummary {
	var runs []admin.TraceSummary
	for _, tr := range p.Traces {
		if tr.RootType == "workflow_run" {
			runs = append(runs, tr)
		}
	}
	return runs
}

// traceIDs lists a page's trace ids with their span counts.
func traceIDs(p admin.TracePage) string {
	var b strings.Builder
	for _, tr := range p.Traces {
		fmt.Fprintf(&b, "%s(%d) ", tr.TraceID, tr.SpanCount)
	}
	return b.String()
}

// generate asks agent, through url with Host host, to answer prompt, and
// returns its text.
func generate(t *testing.T, url, host, agent, prompt string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"messages": []map[string]string{{"role": "user", "content": prompt}}})
	req, err := http.NewRequest(http.MethodPost, url+"/api/agents/"+agent+"/generate", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Text string `json:"text"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &out) != nil {
		t.Fatalf("generate with %s: %s %s", agent, resp.Status, raw)
	}
	return out.Text
}

// queryAs asks the Admin's queries as the system principal, as an
// ObservabilityQuerier.
type queryAs struct{ a *admin.Admin }

func (q queryAs) ctx(ctx context.Context) context.Context {
	return admin.WithPrincipal(ctx, admin.SystemPrincipal())
}
func (q queryAs) ListTraces(ctx context.Context, tq admin.TraceQuery) (admin.TracePage, error) {
	return q.a.ListTraces(q.ctx(ctx), tq)
}
func (q queryAs) GetTrace(ctx context.Context, g admin.TraceGet) ([]admin.Span, error) {
	return q.a.GetTrace(q.ctx(ctx), g)
}
func (q queryAs) SearchLogs(ctx context.Context, lq admin.LogQuery) (admin.LogPage, error) {
	return q.a.SearchLogs(q.ctx(ctx), lq)
}
func (q queryAs) Metrics(ctx context.Context, mq admin.MetricsQuery) (admin.Metrics, error) {
	return q.a.Metrics(q.ctx(ctx), mq)
}

// teeStore stores every span and line in two stores (the embedded one and
// ClickHouse), so that one ingestion feeds both; it answers queries from
// the first.
type teeStore struct {
	*obsqlite.Store
	second admin.ObservabilityStore
}

func (s *teeStore) InsertSpans(ctx context.Context, spans []admin.Span) error {
	if err := s.Store.InsertSpans(ctx, spans); err != nil {
		return err
	}
	return s.second.InsertSpans(ctx, spans)
}

func (s *teeStore) InsertLogs(ctx context.Context, logs []admin.LogRecord) error {
	if err := s.Store.InsertLogs(ctx, logs); err != nil {
		return err
	}
	return s.second.InsertLogs(ctx, logs)
}

func (s *teeStore) Close() error {
	return errors.Join(s.Store.Close(), s.second.Close())
}

// startWorkflow runs the textStats workflow at url with the Host header
// host and returns its result.
func startWorkflow(t *testing.T, url, host string, input any) map[string]any {
	t.Helper()
	run, err := runnertest.RunWorkflow(context.Background(), url, host, "textStats", input)
	var result map[string]any
	if err != nil || run.Status != "success" || json.Unmarshal(run.Result, &result) != nil {
		t.Fatalf("run textStats at %s (Host %s): %v, %+v", url, host, err, run)
	}
	return result
}

func countLogs(tel runnertest.Telemetry, message string) int {
	n := 0
	for _, l := range tel.Logs {
		if l.Message == message {
			n++
		}
	}
	return n
}

// buildLog is a build's whole log, for failure messages.
func buildLog(t *testing.T, a *admin.Admin, ctx context.Context, id string) string {
	t.Helper()
	lines, err := a.FollowBuildLogs(ctx, id, 0)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	var b strings.Builder
	for l, err := range lines {
		if err != nil {
			break
		}
		b.WriteString(admin.FormatLogLine(l) + "\n")
	}
	return b.String()
}
