package runnertest

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/observability"
)

// Telemetry is what an instrumented server (package bundler) wrote under
// {buildDir}/observability: its span and log records, in file order.
type Telemetry struct {
	Spans []*observability.Span
	Logs  []*observability.LogRecord
}

// ReadTelemetry reads every JSONL file under buildDir/observability/spans
// and .../logs with the observability reader, failing t on a file that
// cannot be read or holds a bad or unfinished line (a stopped server has
// flushed whole lines only).
func ReadTelemetry(t testing.TB, buildDir string) Telemetry {
	t.Helper()
	var tel Telemetry
	for _, kind := range []string{"spans", "logs"} {
		paths, err := filepath.Glob(filepath.Join(buildDir, "observability", kind, "*.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		sort.Strings(paths)
		for _, p := range paths {
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			st, err := observability.ReadFile(f, func(r observability.Record) error {
				if r.Span != nil {
					tel.Spans = append(tel.Spans, r.Span)
				} else {
					tel.Logs = append(tel.Logs, r.Log)
				}
				return nil
			})
			f.Close()
			if err != nil || st.BadLines > 0 || st.Incomplete > 0 {
				t.Errorf("%s: err %v, %d bad lines %v, %d unfinished bytes", p, err, st.BadLines, st.Bad, st.Incomplete)
			}
		}
	}
	return tel
}

// String lists the records, one line each, for failure messages.
func (tel Telemetry) String() string {
	var b strings.Builder
	for _, s := range tel.Spans {
		fmt.Fprintf(&b, "span %s/%s parent=%q %s %q ids=%s/%s/%s\n", s.TraceID, s.SpanID, s.ParentSpanID, s.Type, s.Name,
			s.ProjectID, s.DeploymentID, s.BuildID)
	}
	for _, l := range tel.Logs {
		fmt.Fprintf(&b, "log %s %q trace=%s span=%s ids=%s/%s/%s\n", l.Level, l.Message, l.TraceID, l.SpanID,
			l.ProjectID, l.DeploymentID, l.BuildID)
	}
	return b.String()
}

// TracedRun is one workflow run found in Telemetry: its root
// workflow_run span and the workflow_step spans of its trace.
type TracedRun struct {
	Run   *observability.Span
	Steps []*observability.Span
}

// Step returns the run's step whose name contains sub, or nil.
func (w TracedRun) Step(sub string) *observability.Span {
	for _, s := range w.Steps {
		if strings.Contains(s.Name, sub) {
			return s
		}
	}
	return nil
}

// WorkflowRuns returns the workflow runs recorded in tel, in file order.
func (tel Telemetry) WorkflowRuns() []TracedRun {
	var runs []TracedRun
	for _, s := range tel.Spans {
		if s.Type == "workflow_run" && s.ParentSpanID == "" {
			runs = append(runs, TracedRun{Run: s})
		}
	}
	for i := range runs {
		for _, s := range tel.Spans {
			if s.Type == "workflow_step" && s.TraceID == runs[i].Run.TraceID {
				runs[i].Steps = append(runs[i].Steps, s)
			}
		}
	}
	return runs
}

// IDs are the project, deployment and build ids an instrumented server
// writes into each record.
type IDs struct{ Project, Deployment, Build string }

// CheckWorkflowRun checks a run of a workflow of steps steps: each step's
// parent is the run, and every span of its trace and every log line
// logged in it carries ids.
func CheckWorkflowRun(t testing.TB, tel Telemetry, w TracedRun, steps int, ids IDs) {
	t.Helper()
	if len(w.Steps) != steps {
		t.Errorf("run %s has %d step spans, want %d:\n%s", w.Run.SpanID, len(w.Steps), steps, tel)
	}
	for _, s := range w.Steps {
		if s.ParentSpanID != w.Run.SpanID {
			t.Errorf("step span %q has parent %q; want the run %q", s.Name, s.ParentSpanID, w.Run.SpanID)
		}
	}
	for _, s := range tel.Spans {
		if s.TraceID == w.Run.TraceID && (IDs{s.ProjectID, s.DeploymentID, s.BuildID}) != ids {
			t.Errorf("span %s %q carries ids %s/%s/%s; want %+v", s.SpanID, s.Name, s.ProjectID, s.DeploymentID, s.BuildID, ids)
		}
	}
	for _, l := range tel.Logs {
		if l.TraceID == w.Run.TraceID && (IDs{l.ProjectID, l.DeploymentID, l.BuildID}) != ids {
			t.Errorf("log %q carries ids %s/%s/%s; want %+v", l.Message, l.ProjectID, l.DeploymentID, l.BuildID, ids)
		}
	}
}
