//go:build linux

package bundler

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/observability"
)

// These tests run runtime/common.mjs (the JSONL writer shared by every
// generation) under the node on PATH and read its files with the
// observability reader.

// nodeScript writes common.mjs and script into a temp folder and returns
// the command running the script with the given arguments.
func nodeScript(t *testing.T, script string, args ...string) *exec.Cmd {
	t.Helper()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	dir := t.TempDir()
	common, err := runtimeFS.ReadFile("runtime/common.mjs")
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, dir, map[string]string{"common.mjs": string(common), "script.mjs": script})
	return exec.Command(node, append([]string{filepath.Join(dir, "script.mjs")}, args...)...)
}

const scriptHead = `import { logRecord, openSinks, resolveConfig, spanRecord } from './common.mjs';
const config = resolveConfig({ projectId: 'p', deploymentId: 'd', buildId: 'b', coreVersion: '9.9.9',
  observabilityDir: process.argv[2], maxFileBytes: Number(process.argv[3] || 16777216),
  flushIntervalMs: Number(process.argv[4] || 200), maxFieldBytes: 1024 });
const sinks = openSinks(config);
`

func readDir(t *testing.T, dir string) (spans []*observability.Span, logs []*observability.LogRecord, files []string) {
	t.Helper()
	for _, kind := range []string{"spans", "logs"} {
		paths, _ := filepath.Glob(filepath.Join(dir, kind, "*.jsonl"))
		for _, p := range paths {
			files = append(files, p)
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			st, err := observability.ReadFile(f, func(r observability.Record) error {
				if r.Span != nil {
					spans = append(spans, r.Span)
				} else {
					logs = append(logs, r.Log)
				}
				return nil
			})
			f.Close()
			if err != nil || st.BadLines != 0 || st.Incomplete != 0 {
				t.Errorf("%s: %v, bad %v, incomplete %d", p, err, st.Bad, st.Incomplete)
			}
		}
	}
	return spans, logs, files
}

// Records are whole lines, files rotate by size, awkward values are made
// safe, and everything buffered is written by process.exit.
func TestRuntimeWriter(t *testing.T) {
	out := t.TempDir()
	cmd := nodeScript(t, scriptHead+`
for (let i = 0; i < 200; i++) {
  sinks.logs.write(logRecord(config, 'info', 'line ' + i, [{ i, pad: 'x'.repeat(100) }],
    i % 2 ? { traceId: 't', spanId: 's' + i } : undefined, 'mine'));
}
const circular = { big: 12345678901234567890n, err: new Error('inner') };
circular.self = circular;
sinks.spans.write(spanRecord(config, { id: 's1', traceId: 't1', name: 'run', type: 'workflow_run',
  startTime: new Date(1000), endTime: new Date(1005), input: circular, output: 'y'.repeat(5000),
  errorInfo: { message: 'boom', category: 'USER' }, isRootSpan: true, fn: () => 1 }));
sinks.spans.write(spanRecord(config, { id: 's2', traceId: 't1', parentSpanId: 's1', name: 'step',
  type: 'workflow_step', startTime: new Date(1001), endTime: new Date(1000) }));
sinks.logs.write(logRecord(config, 'error', new Error('as message'), ['a', 1], undefined, undefined));
process.exit(0);
`, out, "4096")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, b)
	}
	spans, logs, files := readDir(t, out)
	if len(logs) != 201 || len(spans) != 2 {
		t.Fatalf("%d logs, %d spans; want 201, 2", len(logs), len(spans))
	}
	var logFiles int
	for _, f := range files {
		fi, _ := os.Stat(f)
		if strings.Contains(f, "/logs/") {
			logFiles++
			if fi.Size() > 4096 {
				t.Errorf("%s is %d bytes, over MaxFileBytes", f, fi.Size())
			}
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v; want 0600", f, fi.Mode().Perm())
		}
	}
	if logFiles < 10 {
		t.Errorf("%d log files; want rotation by size into many", logFiles)
	}
	if l := logs[1]; l.Message != "line 1" || l.TraceID != "t" || l.SpanID != "s1" || l.Logger != "mine" || l.CoreVersion != "9.9.9" || l.ProjectID != "p" {
		t.Errorf("log 1 = %+v", l)
	}
	if l := logs[0]; l.TraceID != "" || l.SpanID != "" {
		t.Errorf("log 0 outside a span has trace ids: %+v", l)
	}
	last := logs[200]
	if last.Message != "as message" || last.Level != "error" || string(last.Data) != `{"args":["a",1]}` {
		t.Errorf("last log = %+v data %s", last, last.Data)
	}
	run := spans[0]
	var input map[string]any
	_ = json.Unmarshal(run.Input, &input)
	if input["self"] != "[Circular]" || input["big"] != "12345678901234567890" || input["err"].(map[string]any)["message"] != "inner" {
		t.Errorf("input = %s", run.Input)
	}
	var output struct {
		Truncated bool   `json:"truncated"`
		Bytes     int    `json:"bytes"`
		Preview   string `json:"preview"`
	}
	if json.Unmarshal(run.Output, &output) != nil || !output.Truncated || output.Bytes != 5002 || len(output.Preview) != 1024 {
		t.Errorf("output = %.80s…", run.Output)
	}
	if run.Error == nil || run.Error.Message != "boom" || run.Error.Category != "USER" || !run.IsRootSpan || run.EndTime.Sub(run.StartTime) != 5*time.Millisecond {
		t.Errorf("run span = %+v", run)
	}
	if step := spans[1]; step.ParentSpanID != "s1" || step.EndTime.Before(step.StartTime) {
		t.Errorf("step span = %+v (an end before the start must be clamped)", step)
	}
}

// SIGTERM flushes buffered lines; with no other handler the process then
// exits as SIGTERM would (143); with one (Mastra's), that handler decides.
func TestRuntimeSignalFlush(t *testing.T) {
	for _, tt := range []struct {
		name     string
		extra    string
		wantCode int
	}{
		{"alone", "", 128 + int(syscall.SIGTERM)},
		{"with the server's handler", "process.on('SIGTERM', () => setTimeout(() => process.exit(7), 20));", 7},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out := t.TempDir()
			cmd := nodeScript(t, scriptHead+`
for (let i = 0; i < 3; i++) sinks.logs.write(logRecord(config, 'warn', 'buffered ' + i, [], undefined));
`+tt.extra+`
setInterval(() => {}, 1000);
process.stdout.write('ready\n');
`, out, "", "600000")
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer cmd.Process.Kill()
			if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "ready\n" {
				t.Fatalf("script said %q, %v", line, err)
			}
			if _, logs, _ := readDir(t, out); len(logs) != 0 {
				t.Fatalf("%d lines written before the flush interval", len(logs))
			}
			_ = cmd.Process.Signal(syscall.SIGTERM)
			err = cmd.Wait()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if code != tt.wantCode {
				t.Errorf("exit code %d (%v); want %d", code, err, tt.wantCode)
			}
			if _, logs, _ := readDir(t, out); len(logs) != 3 {
				t.Errorf("%d lines after SIGTERM; want 3", len(logs))
			}
		})
	}
}

// A folder that cannot be written loses lines but never the server.
func TestRuntimeUnwritableDir(t *testing.T) {
	blocker := filepath.Join(t.TempDir(), "file")
	writeFiles(t, filepath.Dir(blocker), map[string]string{"file": "not a folder"})
	cmd := nodeScript(t, scriptHead+`
for (let i = 0; i < 3; i++) { sinks.logs.write(logRecord(config, 'info', 'x', [], undefined)); sinks.logs.flush(); }
process.stdout.write('dropped ' + sinks.logs.dropped + '\n');
`, blocker)
	b, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, b)
	}
	if s := string(b); strings.Count(s, "[mastra-admin] could not write") != 1 || !strings.Contains(s, "dropped 3") {
		t.Errorf("output %q: want one error report and 3 dropped lines", s)
	}
}

// Start-time variables win over the build-time config, for a build output
// reused by another build.
func TestRuntimeEnvOverrides(t *testing.T) {
	built, started := t.TempDir(), t.TempDir()
	cmd := nodeScript(t, scriptHead+`
sinks.logs.write(logRecord(config, 'info', 'hello', [], undefined));
process.exit(0);
`, built)
	cmd.Env = append(os.Environ(), "MASTRA_ADMIN_OBSERVABILITY_DIR="+started, "MASTRA_ADMIN_PROJECT_ID=p2",
		"MASTRA_ADMIN_DEPLOYMENT_ID=d2", "MASTRA_ADMIN_BUILD_ID=b2")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("node: %v\n%s", err, b)
	}
	if _, logs, _ := readDir(t, built); len(logs) != 0 {
		t.Errorf("%d lines in the build-time folder", len(logs))
	}
	_, logs, _ := readDir(t, started)
	if len(logs) != 1 || logs[0].ProjectID != "p2" || logs[0].DeploymentID != "d2" || logs[0].BuildID != "b2" {
		t.Errorf("logs = %+v", logs)
	}
}
