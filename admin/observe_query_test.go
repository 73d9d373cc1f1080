package admin_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	obsqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
)

// The Admin's observability queries over the embedded store; who may call
// them is in TestPermissionMatrix.

func openObs(t *testing.T) *obsqlite.Store {
	t.Helper()
	obs, err := obsqlite.Open(filepath.Join(t.TempDir(), "obs.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { obs.Close() })
	return obs
}

// queryEnv is an Admin with the embedded observability store and two
// projects of one team, as the platform admin.
func queryEnv(t *testing.T, opts ...admin.Option) (e *env, obs *obsqlite.Store, p, q *admin.Project) {
	t.Helper()
	obs = openObs(t)
	e, source, _ := newProvidedEnv(t, append([]admin.Option{admin.WithObservabilityStore(obs)}, opts...)...)
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	p = must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal, SourceConfig: source}))
	q = must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Q", SourceType: admin.SourceLocal, SourceConfig: source}))
	return e, obs, p, q
}

func TestObservabilityQueries(t *testing.T) {
	e, obs, p, q := queryEnv(t)
	ctx := as(e.root.ID)
	at := time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	cost := 0.25
	span := func(project, trace, id, parent string) admin.Span {
		return admin.Span{TraceID: trace, SpanID: id, ParentSpanID: parent, Name: id, Type: "agent_run", IsRoot: parent == "",
			ProjectID: project, DeploymentID: "d", BuildID: "b", StartTime: at, EndTime: at.Add(time.Second)}
	}
	gen := span(p.ID, "tp", "gen", "root")
	gen.Type, gen.Model, gen.InputTokens, gen.OutputTokens, gen.CostUSD = "model_generation", "gpt-4o-mini", 100, 20, &cost
	if err := obs.InsertSpans(context.Background(), []admin.Span{span(p.ID, "tp", "root", ""), gen, span(q.ID, "tq", "root", "")}); err != nil {
		t.Fatal(err)
	}
	if err := obs.InsertLogs(context.Background(), []admin.LogRecord{{ID: "l1", Time: at, Level: "warn", Message: "Disk nearly full",
		ProjectID: p.ID, DeploymentID: "d", BuildID: "b", TraceID: "tp"}}); err != nil {
		t.Fatal(err)
	}
	from, to := at.Add(-time.Hour), at.Add(time.Hour)

	page := must[admin.TracePage](t)(e.a.ListTraces(ctx, admin.TraceQuery{ProjectID: p.ID, From: from, To: to}))
	if len(page.Traces) != 1 || page.Traces[0].TraceID != "tp" || page.Traces[0].SpanCount != 2 || page.Traces[0].InputTokens != 100 ||
		page.Traces[0].CostUSD == nil || *page.Traces[0].CostUSD != cost {
		t.Fatalf("ListTraces(P) = %+v, want trace tp with 2 spans, 100 input tokens and its cost", page)
	}
	spans := must[[]admin.Span](t)(e.a.GetTrace(ctx, admin.TraceGet{ProjectID: p.ID, TraceID: "tp", From: from, To: to}))
	if len(spans) != 2 {
		t.Fatalf("GetTrace(tp) = %d spans, want 2", len(spans))
	}
	// Another project's trace is not reached through this one.
	if _, err := e.a.GetTrace(ctx, admin.TraceGet{ProjectID: p.ID, TraceID: "tq", From: from, To: to}); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("GetTrace of Q's trace through P = %v, want ErrNotFound", err)
	}
	logs := must[admin.LogPage](t)(e.a.SearchLogs(ctx, admin.LogQuery{ProjectID: p.ID, From: from, To: to, Text: "disk", Level: "warn"}))
	if len(logs.Logs) != 1 || logs.Logs[0].ID != "l1" {
		t.Fatalf("SearchLogs(disk) = %+v, want l1", logs)
	}
	m := must[admin.Metrics](t)(e.a.Metrics(ctx, admin.MetricsQuery{ProjectID: p.ID, From: from, To: to}))
	if len(m.Entities) != 1 || m.Entities[0].Runs != 1 || len(m.Models) != 1 || m.Models[0].Calls != 1 || m.Models[0].OutputTokens != 20 {
		t.Fatalf("Metrics(P) = %+v, want one run and one model call", m)
	}

	// The store's validation reaches the caller with the field named.
	var ve *admin.ValidationError
	if _, err := e.a.ListTraces(ctx, admin.TraceQuery{ProjectID: p.ID, Sort: "size"}); !errors.As(err, &ve) || ve.Field != "Sort" {
		t.Fatalf("ListTraces(Sort: size) = %v, want a ValidationError on Sort", err)
	}
	if _, err := e.a.SearchLogs(ctx, admin.LogQuery{}); !errors.As(err, &ve) || ve.Field != "ProjectID" {
		t.Fatalf("SearchLogs without a project = %v, want a ValidationError on ProjectID", err)
	}
	if _, err := e.a.Metrics(ctx, admin.MetricsQuery{ProjectID: "prj_missing"}); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("Metrics of a missing project = %v, want ErrNotFound", err)
	}
}

// storeOnly hides a store's query methods.
type storeOnly struct{ admin.ObservabilityStore }

func TestObservabilityQueriesNeedAQuerier(t *testing.T) {
	for name, opts := range map[string][]admin.Option{
		"no store":           nil,
		"a store that can't": {admin.WithObservabilityStore(storeOnly{openObs(t)})},
	} {
		t.Run(name, func(t *testing.T) {
			e, _, _ := newProvidedEnv(t, opts...)
			ctx := as(e.root.ID)
			calls := map[string]func() error{
				"ListTraces": func() error { _, err := e.a.ListTraces(ctx, admin.TraceQuery{ProjectID: "p"}); return err },
				"GetTrace":   func() error { _, err := e.a.GetTrace(ctx, admin.TraceGet{ProjectID: "p", TraceID: "t"}); return err },
				"SearchLogs": func() error { _, err := e.a.SearchLogs(ctx, admin.LogQuery{ProjectID: "p"}); return err },
				"Metrics":    func() error { _, err := e.a.Metrics(ctx, admin.MetricsQuery{ProjectID: "p"}); return err },
				"FollowLogs": func() error {
					for _, err := range e.a.FollowLogs(ctx, admin.LogQuery{ProjectID: "p"}) {
						return err
					}
					return nil
				},
			}
			for call, fn := range calls {
				if err := fn(); !errors.Is(err, admin.ErrNotSupported) {
					t.Errorf("%s = %v, want ErrNotSupported", call, err)
				}
			}
		})
	}
}

// TestFollowLogs tails a project's lines as they are stored: oldest first,
// each once, a line stored late (its time before lines already sent) too,
// never another project's line; the sequence ends when its ctx does.
func TestFollowLogs(t *testing.T) {
	e, obs, p, q := queryEnv(t)
	at := time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	line := func(project string, n int, offset time.Duration) admin.LogRecord {
		return admin.LogRecord{ID: fmt.Sprintf("l%d", n), Time: at.Add(offset), Level: "info", Message: fmt.Sprintf("line %d", n),
			ProjectID: project, DeploymentID: "d", BuildID: "b"}
	}
	insert := func(lines ...admin.LogRecord) {
		t.Helper()
		if err := obs.InsertLogs(context.Background(), lines); err != nil {
			t.Fatal(err)
		}
	}
	insert(line(p.ID, 2, 2*time.Second), line(p.ID, 1, time.Second), line(p.ID, 0, -time.Second), line(q.ID, 9, time.Second))

	ctx, cancel := context.WithCancel(as(e.root.ID))
	defer cancel()
	got := make(chan string)
	ended := make(chan error, 1)
	go func() {
		var last error
		for l, err := range e.a.FollowLogs(ctx, admin.LogQuery{ProjectID: p.ID, From: at}) {
			if err != nil {
				last = err
				break
			}
			got <- l.ID
		}
		ended <- last
	}()
	want := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			select {
			case g := <-got:
				if g != id {
					t.Fatalf("FollowLogs sent %s, want %s", g, id)
				}
			case err := <-ended:
				t.Fatalf("FollowLogs ended (%v) before %s", err, id)
			}
		}
	}
	want("l1", "l2") // l0 is before From, l9 is Q's
	// A newer line, and a late one older than l2 but within the lookback.
	insert(line(p.ID, 4, 4*time.Second), line(p.ID, 3, 1500*time.Millisecond))
	want("l3", "l4")
	// The same lines stored again (a re-ingested batch) are not sent again.
	insert(line(p.ID, 3, 1500*time.Millisecond), line(p.ID, 4, 4*time.Second), line(p.ID, 5, 5*time.Second))
	want("l5")
	cancel()
	select {
	case id := <-got:
		t.Fatalf("FollowLogs sent %s again or after its end", id)
	case err := <-ended:
		if err != nil {
			t.Fatalf("FollowLogs ended with %v after its ctx was canceled, want no error", err)
		}
	}
}
