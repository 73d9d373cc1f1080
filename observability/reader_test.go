package observability_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/mastra-admin/mastra-admin-go/observability"
)

const (
	spanLine = `{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t1","spanId":"s2","parentSpanId":"s1","name":"workflow step: 'a'","type":"workflow_step","startTime":"2026-01-02T03:04:05.006Z","endTime":"2026-01-02T03:04:05.010Z","attributes":{"status":"success"},"input":{"text":"x"},"output":{"n":1},"metadata":{"runId":"r"},"entityType":"workflow_step","entityId":"a","entityName":"wf","tags":["t"],"coreVersion":"1.71.0"}`
	logLine  = `{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"2026-01-02T03:04:05.007Z","level":"info","message":"hello","data":{"words":3},"traceId":"t1","spanId":"s2","logger":"mine","coreVersion":"1.71.0"}`
)

func collect(t *testing.T, input string) ([]observability.Record, observability.Stats) {
	t.Helper()
	var recs []observability.Record
	st, err := observability.ReadFile(strings.NewReader(input), func(r observability.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil {
		t.Fatalf("ReadFile: %v", err)
	}
	return recs, st
}

func TestReadValid(t *testing.T) {
	input := spanLine + "\n" + logLine + "\r\n\n"
	recs, st := collect(t, input)
	if len(recs) != 2 || st.Spans != 1 || st.Logs != 1 || st.Lines != 3 || st.BadLines != 0 {
		t.Fatalf("records %d, stats %+v", len(recs), st)
	}
	if st.Offset != int64(len(input)) || st.Incomplete != 0 {
		t.Errorf("Offset %d Incomplete %d; want %d, 0", st.Offset, st.Incomplete, len(input))
	}
	s := recs[0].Span
	if s == nil || s.TraceID != "t1" || s.SpanID != "s2" || s.ParentSpanID != "s1" || s.Type != "workflow_step" ||
		s.EndTime.Sub(s.StartTime) != 4*time.Millisecond || string(s.Output) != `{"n":1}` || recs[0].Line != 1 || recs[0].Offset != 0 {
		t.Errorf("span = %+v (line %d offset %d)", s, recs[0].Line, recs[0].Offset)
	}
	l := recs[1].Log
	if l == nil || l.Message != "hello" || l.Level != "info" || l.TraceID != "t1" || string(l.Data) != `{"words":3}` ||
		recs[1].Line != 2 || recs[1].Offset != int64(len(spanLine)+1) {
		t.Errorf("log = %+v (line %d offset %d)", l, recs[1].Line, recs[1].Offset)
	}
}

// Bad lines are reported with their number and reason, and the lines
// after them are still read.
func TestReadBadLines(t *testing.T) {
	bad := []struct{ line, reason string }{
		{`{"schemaVersion":1,"kind":"span","projectId":"p"`, "not a JSON object"},
		{`not json`, "not a JSON object"},
		{`{"kind":"span"}`, "schemaVersion is missing"},
		{strings.Replace(spanLine, `"schemaVersion":1`, `"schemaVersion":2`, 1), "unsupported schemaVersion 2"},
		{strings.Replace(spanLine, `"kind":"span"`, `"kind":"metric"`, 1), `unknown kind "metric"`},
		{strings.Replace(spanLine, `"traceId":"t1",`, ``, 1), "traceId is empty"},
		{strings.Replace(spanLine, `"projectId":"p"`, `"projectId":""`, 1), "projectId is empty"},
		{strings.Replace(spanLine, `"endTime":"2026-01-02T03:04:05.010Z"`, `"endTime":"2026-01-02T03:04:04Z"`, 1), "is before startTime"},
		{strings.Replace(spanLine, `"startTime":"2026-01-02T03:04:05.006Z"`, `"startTime":"yesterday"`, 1), "bad span"},
		{strings.Replace(spanLine, `"parentSpanId":"s1"`, `"parentSpanId":"s2"`, 1), "its own parent"},
		{strings.Replace(logLine, `"level":"info"`, `"level":"fatal"`, 1), `level "fatal"`},
		{strings.Replace(logLine, `"traceId":"t1",`, ``, 1), "spanId s2 without a traceId"},
		{strings.Replace(logLine, `"kind":"log"`, `"kind":"span"`, 1), "bad span"},
		{spanLine + `{}`, "not a JSON object"},
	}
	var b strings.Builder
	for _, c := range bad {
		b.WriteString(spanLine + "\n")
		b.WriteString(c.line + "\n")
	}
	b.WriteString(logLine + "\n")
	recs, st := collect(t, b.String())
	if len(recs) != len(bad)+1 || st.BadLines != len(bad) || len(st.Bad) != len(bad) {
		t.Fatalf("records %d, bad %d (%v); want %d and %d", len(recs), st.BadLines, st.Bad, len(bad)+1, len(bad))
	}
	for i, c := range bad {
		e := st.Bad[i]
		if e.Line != 2*i+2 || !strings.Contains(e.Reason, c.reason) {
			t.Errorf("bad line %d: got line %d reason %q; want line %d reason containing %q", i, e.Line, e.Reason, 2*i+2, c.reason)
		}
		if !strings.Contains(e.Error(), fmt.Sprintf("line %d", e.Line)) {
			t.Errorf("LineError.Error() = %q", e.Error())
		}
	}
}

// A final line without "\n" is unfinished: not consumed, not an error, and
// an ingester resuming at Offset reads it once it is complete.
func TestReadIncompleteAndResume(t *testing.T) {
	full := spanLine + "\n" + logLine + "\n"
	partial := full[:len(spanLine)+1+len(logLine)/2]
	recs, st := collect(t, partial)
	if len(recs) != 1 || st.Offset != int64(len(spanLine)+1) || st.Incomplete != int64(len(logLine)/2) || st.BadLines != 0 {
		t.Fatalf("partial: records %d, stats %+v", len(recs), st)
	}
	rest, st2 := collect(t, full[st.Offset:])
	if len(rest) != 1 || rest[0].Log == nil || st.Offset+st2.Offset != int64(len(full)) || st2.Incomplete != 0 {
		t.Fatalf("resumed: records %d, stats %+v", len(rest), st2)
	}
	// Every byte boundary: records read so far plus records after resuming
	// equal the whole file, never more, never less.
	for cut := 0; cut <= len(full); cut++ {
		a, sa := collect(t, full[:cut])
		b, _ := collect(t, full[sa.Offset:])
		if len(a)+len(b) != 2 {
			t.Fatalf("cut at %d: %d + %d records", cut, len(a), len(b))
		}
	}
}

func TestReadLongLine(t *testing.T) {
	long := `{"schemaVersion":1,"kind":"log","message":"` + strings.Repeat("x", 300<<10) + `"}`
	input := long + "\n" + logLine + "\n" + long // the last one unfinished
	var recs []observability.Record
	st, err := observability.Read(iotest.OneByteReader(strings.NewReader(input)), &observability.ReadOptions{MaxLineBytes: 100 << 10}, func(r observability.Record) error {
		recs = append(recs, r)
		return nil
	})
	if err != nil || len(recs) != 1 || st.BadLines != 1 || !strings.Contains(st.Bad[0].Reason, "longer than") ||
		st.Offset != int64(len(long)+1+len(logLine)+1) || st.Incomplete != int64(len(long)) {
		t.Fatalf("err %v records %d stats %+v", err, len(recs), st)
	}
}

// When fn fails, reading stops and Offset points at the rejected line, so
// that it is read again after a resume.
func TestReadCallbackError(t *testing.T) {
	input := spanLine + "\n" + logLine + "\n"
	boom := errors.New("store down")
	st, err := observability.ReadFile(strings.NewReader(input), func(r observability.Record) error {
		if r.Log != nil {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || st.Offset != int64(len(spanLine)+1) || st.Spans != 1 || st.Logs != 0 {
		t.Fatalf("err %v stats %+v", err, st)
	}
}

func TestReadIOError(t *testing.T) {
	r := io.MultiReader(strings.NewReader(spanLine+"\n"), iotest.ErrReader(errors.New("disk gone")))
	st, err := observability.ReadFile(r, func(observability.Record) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "disk gone") || st.Spans != 1 {
		t.Fatalf("err %v stats %+v", err, st)
	}
}

func TestMaxBadLines(t *testing.T) {
	input := strings.Repeat("garbage\n", 10)
	st, err := observability.Read(strings.NewReader(input), &observability.ReadOptions{MaxBadLines: 3}, func(observability.Record) error { return nil })
	if err != nil || st.BadLines != 10 || len(st.Bad) != 3 {
		t.Fatalf("err %v stats %+v", err, st)
	}
}

func TestToAdmin(t *testing.T) {
	rec, err := observability.ParseLine([]byte(spanLine))
	if err != nil {
		t.Fatal(err)
	}
	s := rec.Span
	s.Error = &observability.SpanError{Message: "boom", Category: "USER"}
	a := s.ToAdmin()
	if a.TraceID != "t1" || a.SpanID != "s2" || a.ParentSpanID != "s1" || a.ProjectID != "p" || a.DeploymentID != "d" ||
		a.BuildID != "b" || a.Name != s.Name || a.Type != s.Type || !a.StartTime.Equal(s.StartTime) || !a.EndTime.Equal(s.EndTime) || a.Error != "boom" {
		t.Errorf("admin span = %+v", a)
	}
	var extra map[string]json.RawMessage
	if err := json.Unmarshal(a.Attributes, &extra); err != nil {
		t.Fatalf("attributes %s: %v", a.Attributes, err)
	}
	for k, want := range map[string]string{"attributes": `{"status":"success"}`, "input": `{"text":"x"}`, "output": `{"n":1}`,
		"metadata": `{"runId":"r"}`, "entityName": `"wf"`, "tags": `["t"]`, "coreVersion": `"1.71.0"`} {
		if got := string(extra[k]); got != want {
			t.Errorf("attributes[%s] = %s; want %s", k, got, want)
		}
	}

	rec, err = observability.ParseLine([]byte(logLine))
	if err != nil {
		t.Fatal(err)
	}
	l := rec.Log.ToAdmin()
	if l.Message != "hello" || l.Level != "info" || l.TraceID != "t1" || l.SpanID != "s2" || l.ProjectID != "p" || !bytes.Contains(l.Data, []byte(`"_logger":"mine"`)) ||
		!bytes.Contains(l.Data, []byte(`"words":3`)) {
		t.Errorf("admin log = %+v data %s", l, l.Data)
	}
	// Data that is not an object is kept as it is.
	rec.Log.Data = json.RawMessage(`[1,2]`)
	if d := rec.Log.ToAdmin().Data; string(d) != `[1,2]` {
		t.Errorf("array data became %s", d)
	}
}
