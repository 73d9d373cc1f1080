package observability

import (
	"fmt"
	"reflect"
	"testing"
	"time"
)

// FuzzParseLineOnePass: the one-pass decoding of parseLine gives what the
// two-pass reference (parseLineSlow) gives, record and error message, for
// every line.
func FuzzParseLineOnePass(f *testing.F) {
	span := `{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t1","spanId":"s2","parentSpanId":"s1","name":"step","type":"model_generation","startTime":"2026-01-02T03:04:05.006Z","endTime":"2026-01-02T03:04:05.010Z","attributes":{"model":"gpt-4o","usage":{"inputTokens":3}},"input":{"text":"x"},"output":{"n":1},"tags":["t"],"error":{"message":"m"},"coreVersion":"1.0.0"}`
	log := `{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"2026-01-02T03:04:05.007Z","level":"info","message":"hello","data":{"words":3},"traceId":"t1","spanId":"s2","logger":"app","coreVersion":"1.0.0"}`
	for _, s := range []string{
		span, log, "", "{}", "null", "[]", `"x"`, `{"schemaVersion":"1","kind":"span"}`, `{"schemaVersion":1,"kind":"span"}`,
		`{"schemaVersion":2,"kind":"log"}`, `{"schemaVersion":1,"kind":"log","kind":"span"}`, `{"kind":"log"}`,
		`{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"x"}`,
		span[:len(span)-1] + `,"time":"never","level":5}`, log[:len(log)-1] + `,"startTime":"never","name":5}`,
		span[:len(span)-1] + `,"data":{"a":1}}`, log[:len(log)-1] + `,"attributes":[1]}`, `{"schemaVersion":1,"kind":"metric"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		fast, ferr := parseLine(line)
		slow, serr := parseLineSlow(line)
		if fmt.Sprint(ferr) != fmt.Sprint(serr) || !reflect.DeepEqual(fast, slow) {
			t.Fatalf("line %q:\none pass  %+v, %v\ntwo passes %+v, %v", line, fast, ferr, slow, serr)
		}
	})
}

// BenchmarkDecode times decoding one span line as the ingestion worker
// does (Decoder: parse, validate, convert, price) and the parse alone,
// one pass against the two-pass reference in the same loop
// ("x-two-pass": the one pass's time as a multiple of the two passes').
func BenchmarkDecode(b *testing.B) {
	line := []byte(`{"schemaVersion":1,"kind":"span","projectId":"prj_bench","deploymentId":"dep_1","buildId":"bld_0123456789",` +
		`"traceId":"0000000000000000000000000000002a","spanId":"00000000000001a5","parentSpanId":"00000000000001a0","name":"workflow step 5",` +
		`"type":"model_generation","entityType":"agent","entityName":"weather-agent","startTime":"2026-11-20T10:00:00.005Z",` +
		`"endTime":"2026-11-20T10:00:00.020Z","attributes":{"model":"gpt-4o-mini","provider":"openai","usage":{"inputTokens":412,` +
		`"outputTokens":96,"inputDetails":{"cacheRead":128}}},"input":{"messages":[{"role":"user","content":"weather?"}]},"coreVersion":"1.71.0"}`)
	decode := Decoder(nil)
	var one, two, full time.Duration
	for b.Loop() {
		t := time.Now()
		if _, err := parseLine(line); err != nil {
			b.Fatal(err)
		}
		one += time.Since(t)
		t = time.Now()
		if _, err := parseLineSlow(line); err != nil {
			b.Fatal(err)
		}
		two += time.Since(t)
		t = time.Now()
		if _, _, err := decode(line, "spans/a.jsonl", 0); err != nil {
			b.Fatal(err)
		}
		full += time.Since(t)
	}
	per := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 / float64(b.N) }
	b.ReportMetric(per(full), "µs/decode")
	b.ReportMetric(per(one), "µs/parse")
	b.ReportMetric(per(two), "µs/parse-two-pass")
	b.ReportMetric(float64(one)/float64(two), "x-two-pass")
}
