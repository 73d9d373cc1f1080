package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// walkThroughHeading is the README section whose first sh block is the
// API walk-through.
const walkThroughHeading = "## The HTTP API, step by step"

// readmeBlock returns the first ```sh block after the heading in the
// README at path.
func readmeBlock(t *testing.T, path, heading string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("%s has no section %q", path, heading)
	}
	_, block, ok := strings.Cut(section, "\n```sh\n")
	if !ok {
		t.Fatalf("the section %q of %s has no sh block", heading, path)
	}
	block, _, ok = strings.Cut(block, "\n```\n")
	if !ok {
		t.Fatalf("the sh block of %q in %s does not end", heading, path)
	}
	return block + "\n"
}

// TestREADMEWalkThrough runs the README's API walk-through, the block
// exactly as the README shows it, with bash (-e -u -o pipefail) against the
// quickstart, for real: curl creates a team, a project from
// examples/sample-project, env vars, and a deploy; examples/wsfollow
// follows the build log over the WebSocket; the real npm and mastra build
// runs; and the deployed server's workflow answers through the router.
// Minutes on a cold machine, about one with warm caches under
// ~/.cache/mastra-admin.
func TestREADMEWalkThrough(t *testing.T) {
	script := readmeBlock(t, "../../README.md", walkThroughHeading)
	setEnv(t)
	q := start(t, mode{only: "sample-agent"})
	api := q.apiURL(t)

	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-u", "-o", "pipefail", "-c", script)
	cmd.Dir = "../.." // the README's commands run from the repository's root
	cmd.Env = append(os.Environ(), "MASTRA_ADMIN_URL="+api)
	var out apitest.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = 10 * time.Second
	if err := cmd.Run(); err != nil {
		t.Fatalf("the walk-through failed: %v\n%s\nquickstart:\n%s", err, out.String(), q.out)
	}

	var logs, ends int
	var status, run string
	var trace httpapi.Trace
	var stepLogs httpapi.LogList
	var metrics httpapi.MetricsBody
	sc := bufio.NewScanner(strings.NewReader(out.String()))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, `{"type":"log"`):
			logs++
		case strings.HasPrefix(line, `{"type":"end"`):
			ends++
			if !strings.Contains(line, `"status":"succeeded"`) {
				t.Errorf("the build did not succeed: %s", line)
			}
		case line == "succeeded" || line == "failed" || line == "cancelled":
			status = line
		case strings.HasPrefix(line, `{"traceId":`):
			decodeLine(t, line, &trace)
		case strings.HasPrefix(line, `{"logs":`):
			decodeLine(t, line, &stepLogs)
		case strings.HasPrefix(line, `{"bucketSeconds":`):
			decodeLine(t, line, &metrics)
		case strings.Contains(line, `"result":`) && run == "":
			run = line
		}
	}
	if logs == 0 || ends != 1 || status != "succeeded" {
		t.Errorf("WebSocket: %d log lines, %d end messages; build status %q\n%s", logs, ends, status, out.String())
	}
	if strings.Contains(out.String(), "sk-your-key-here") {
		t.Errorf("an env var's value came back from the API:\n%s", out.String())
	}
	var result workflowRun
	if err := json.Unmarshal([]byte(run), &result); err != nil {
		t.Fatalf("no answer of the workflow (%q): %v\n%s", run, err, out.String())
	}
	if result.Status != "success" || result.Result.Words != 5 || result.Result.Lines != 2 {
		t.Fatalf("workflow result %+v", result)
	}
	// The run's trace: a root span and its steps, each step's parent in
	// the trace; the step's log line; one run in the metrics.
	parents := map[string]bool{}
	for _, sp := range trace.Spans {
		parents[sp.SpanID] = true
	}
	steps := 0
	for _, sp := range trace.Spans {
		if sp.ParentSpanID != "" && parents[sp.ParentSpanID] {
			steps++
		}
	}
	if len(trace.Spans) < 3 || steps != len(trace.Spans)-1 {
		t.Errorf("trace %s: %d spans, %d with their parent in the trace; want a root and 2 steps or more\n%s",
			trace.TraceID, len(trace.Spans), steps, out.String())
	}
	if len(stepLogs.Logs) != 1 || stepLogs.Logs[0].Message != "text summarized" {
		t.Errorf("log search: %+v, want the step's line", stepLogs)
	}
	runs := 0
	for _, e := range metrics.Entities {
		runs += e.Runs
	}
	if metrics.BucketSeconds != 300 || runs != 1 {
		t.Errorf("metrics: %+v, want one run in 5-minute buckets", metrics)
	}
	t.Logf("walk-through: %d log lines streamed; the workflow answered %q through the router; its trace has %d spans",
		logs, result.Result.Summary, len(trace.Spans))
}

// decodeLine decodes one JSON answer of the walk-through.
func decodeLine(t *testing.T, line string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(line), v); err != nil {
		t.Errorf("answer %q: %v", line, err)
	}
}
