package observability

import (
	"fmt"
	"reflect"
	"testing"
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
