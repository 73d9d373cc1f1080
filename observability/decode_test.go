package observability_test

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/observability"
)

// TestDecoder: a span line becomes an admin.Span, a log line an
// admin.LogRecord whose ID is LogID of its file and offset, and a bad line
// an error.
func TestDecoder(t *testing.T) {
	decode := observability.Decoder(nil)
	span := `{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t","spanId":"s","name":"n","type":"workflow_run","startTime":"2026-12-01T10:00:00.000Z","endTime":"2026-12-01T10:00:01.000Z"}`
	s, l, err := decode([]byte(span), "spans/a.jsonl", 0)
	if err != nil || l != nil || s == nil || s.TraceID != "t" || s.SpanID != "s" || s.ProjectID != "p" {
		t.Errorf("span line: %+v, %+v, %v; want the span", s, l, err)
	}
	log := `{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"2026-12-01T10:00:00.000Z","level":"info","message":"m"}`
	s, l, err = decode([]byte(log), "logs/a.jsonl", 42)
	if err != nil || s != nil || l == nil || l.Message != "m" || l.ID != observability.LogID("logs/a.jsonl", 42) {
		t.Errorf("log line: %+v, %+v, %v; want the line with LogID(file, 42)", s, l, err)
	}
	if _, l2, _ := decode([]byte(log), "logs/a.jsonl", 43); l2 == nil || l2.ID == l.ID {
		t.Errorf("the same line at another offset got the same id")
	}
	if s, l, err := decode([]byte(`{"schemaVersion":2}`), "spans/a.jsonl", 0); err == nil || s != nil || l != nil {
		t.Errorf("bad line: %+v, %+v, %v; want an error only", s, l, err)
	}
}

// TestDecoderOwnsValues: what Decoder returns holds no byte of the line it
// was given, which the ingestion worker's line reader reuses: a span's
// attributes and a log line's data stay the same once the line is
// overwritten.
func TestDecoderOwnsValues(t *testing.T) {
	decode := observability.Decoder(nil)
	for _, line := range []string{
		`{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t","spanId":"s","name":"n","type":"workflow_run","startTime":"2026-12-01T10:00:00.000Z","endTime":"2026-12-01T10:00:01.000Z","attributes":{"a":"x"},"input":[1],"output":"o","metadata":{"m":2}}`,
		`{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"2026-12-01T10:00:00.000Z","level":"info","message":"m","data":{"k":"v"}}`,
		`{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"2026-12-01T10:00:00.000Z","level":"info","message":"m","data":[1,2],"logger":"app"}`,
	} {
		buf := []byte(line)
		s, l, err := decode(buf, "a.jsonl", 0)
		if err != nil {
			t.Fatal(err)
		}
		var before string
		if s != nil {
			before = string(s.Attributes)
		} else {
			before = string(l.Data)
		}
		for i := range buf {
			buf[i] = 'X'
		}
		var after string
		if s != nil {
			after = string(s.Attributes)
		} else {
			after = string(l.Data)
		}
		if after != before || before == "" {
			t.Errorf("%s: values %q became %q when the line was overwritten", line, before, after)
		}
	}
}
