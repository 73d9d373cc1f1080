package observability

import (
	"bytes"
	"encoding/json"
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

// scanSeeds are lines for the scanner's fuzz targets: the writer's own,
// and what it must hand to encoding/json (escapes, keys in another case,
// repeated keys, members of the wrong type, nulls, odd numbers, deep
// nesting).
var scanSeeds = []string{
	`{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t1","spanId":"s2","parentSpanId":"s1","name":"step","type":"model_generation","entityType":"agent","entityId":"a","entityName":"A","startTime":"2026-01-02T03:04:05.006Z","endTime":"2026-01-02T03:04:05.010Z","isRootSpan":false,"isEvent":true,"attributes":{"model":"gpt-4o","provider":"openai","usage":{"inputTokens":3,"outputTokens":1.5,"inputDetails":{"cacheRead":2},"outputDetails":{"reasoning":1}}},"metadata":{"k":[1,2,{"x":null}]},"input":{"text":"a <b> & c"},"output":"plain","tags":["t","u"],"error":{"message":"m","id":"E1","details":{"a":1}},"coreVersion":"1.0.0"}`,
	`{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"2026-01-02T03:04:05.007Z","level":"info","message":"héllo \"q\" \u00e9\ud83d\ude00","data":{"words":3},"traceId":"t1","spanId":"s2","logger":"app","coreVersion":"1.0.0"}`,
	` { "schemaVersion" : 1 , "kind" : "span" , "attributes" : { "usage" : null , "model" : null } , "tags" : [ ] , "error" : null } `,
	`{"SchemaVersion":1,"kind":"span"}`, `{"schemaVersion":1,"schemaVersion":1}`, `{"kind":"span","kind":"log"}`,
	`{"schemaVersion":1.0}`, `{"schemaVersion":-0}`, `{"schemaVersion":99999999999999999999}`, `{"schemaVersion":"1"}`,
	`{"name":5}`, `{"isRootSpan":"true"}`, `{"isEvent":null,"startTime":null,"time":5}`, `{"tags":[null,"a"]}`, `{"tags":[1]}`,
	`{"error":{"Message":"m"}}`, `{"error":[]}`, `{"k\u0069nd":"span"}`, "{\"kind\":\"sp\xffan\"}", "{\"x\":\"\x01\"}",
	`{"a":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}`, `{"a":1e400,"b":-0.5E+3,"c":01}`, `{"a":1.}`, `{"a":"\x"}`, `{}`, `{} x`,
	`{"attributes":{"usage":{"promptTokens":1e400}}}`, `{"attributes":{"Usage":{}}}`, `{"attributes":{"usage":{"inputDetails":{"reasoning":1,"cacheRead":null}}}}`,
	`{"attributes":"x"}`, `{"attributes":[1]}`, `{"attributes":{"model":"m","model":"n"}}`, "{\"input\":{\"a\": 1,\n\"b\":\"\xe2\x80\xa8\"}}",
}

// FuzzScanLine: when scanLine decodes a line, json.Unmarshal decodes it
// without error into the same anyLine.
func FuzzScanLine(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, ref anyLine
		if !scanLine(line, &fast, len(line)%2 == 0) { // aliased or copied: the same values
			return
		}
		if err := json.Unmarshal(line, &ref); err != nil {
			t.Fatalf("line %q: scanned, but json.Unmarshal fails: %v", line, err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("line %q:\nscanned %+v\njson    %+v", line, fast, ref)
		}
	})
}

// FuzzScanModelAttrs: when scanModelAttrs decodes an attributes value,
// json.Unmarshal decodes it without error into the same modelAttrs.
func FuzzScanModelAttrs(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
		var m map[string]json.RawMessage
		if json.Unmarshal([]byte(s), &m) == nil && m["attributes"] != nil {
			f.Add([]byte(m["attributes"]))
		}
	}
	f.Fuzz(func(t *testing.T, attrs []byte) {
		var fast, ref modelAttrs
		if !scanModelAttrs(attrs, &fast) {
			return
		}
		if err := json.Unmarshal(attrs, &ref); err != nil {
			t.Fatalf("attributes %q: scanned, but json.Unmarshal fails: %v", attrs, err)
		}
		if !reflect.DeepEqual(fast, ref) {
			t.Fatalf("attributes %q:\nscanned %+v\njson    %+v", attrs, fast, ref)
		}
	})
}

// FuzzSpanExtra: spanExtra.marshal gives what json.Marshal gives (nil when
// that fails or gives {}), for the values of any line that decodes.
func FuzzSpanExtra(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s), "", false)
	}
	f.Add([]byte(`{"attributes":{"a":1},"input":[1, 2]}`), "x<y", true)
	f.Add([]byte(`{"output":"\u2028","entityName":"\u00e9"}`), "", false)
	f.Fuzz(func(t *testing.T, line []byte, core string, event bool) {
		var a anyLine
		if json.Unmarshal(line, &a) != nil {
			// Not one value: give it as the attributes, which a Span
			// built by hand may hold.
			a = anyLine{Span: Span{Attributes: line}}
		}
		e := spanExtra{nonNull(a.Attributes), nonNull(a.Metadata), nonNull(a.Input), nonNull(a.Output), a.EntityType, a.EntityID,
			a.EntityName, a.Tags, a.IsEvent || event, a.Error, a.CoreVersion + core}
		got := e.marshal(false)
		want, err := json.Marshal(e)
		if err != nil || string(want) == "{}" {
			want = nil
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%+v:\nmarshal      %s\njson.Marshal %s", e, got, want)
		}
		// Told that its values are valid, when they are, it agrees too.
		for _, v := range []json.RawMessage{e.Attributes, e.Metadata, e.Input, e.Output} {
			if len(v) > 0 && !json.Valid(v) {
				return
			}
		}
		if got := e.marshal(true); !bytes.Equal(got, want) {
			t.Fatalf("%+v, valid:\nmarshal      %s\njson.Marshal %s", e, got, want)
		}
	})
}

// BenchmarkDecode times decoding one span line as the ingestion worker
// does (Decoder: parse, validate, convert, price) and the parse alone:
// parseLine (scanLine) against its encoding/json form (parseLineJSON) and
// the two-pass reference (parseLineSlow), in the same loop ("x-json" and
// "x-two-pass": parseLine's time as a multiple of theirs).
func BenchmarkDecode(b *testing.B) {
	line := []byte(`{"schemaVersion":1,"kind":"span","projectId":"prj_bench","deploymentId":"dep_1","buildId":"bld_0123456789",` +
		`"traceId":"0000000000000000000000000000002a","spanId":"00000000000001a5","parentSpanId":"00000000000001a0","name":"workflow step 5",` +
		`"type":"model_generation","entityType":"agent","entityName":"weather-agent","startTime":"2026-11-20T10:00:00.005Z",` +
		`"endTime":"2026-11-20T10:00:00.020Z","attributes":{"model":"gpt-4o-mini","provider":"openai","usage":{"inputTokens":412,` +
		`"outputTokens":96,"inputDetails":{"cacheRead":128}}},"input":{"messages":[{"role":"user","content":"weather?"}]},"coreVersion":"1.71.0"}`)
	decode := Decoder(nil)
	var scan, js, two, full time.Duration
	for b.Loop() {
		t := time.Now()
		if _, err := parseLine(line); err != nil {
			b.Fatal(err)
		}
		scan += time.Since(t)
		t = time.Now()
		if _, err := parseLineJSON(line); err != nil {
			b.Fatal(err)
		}
		js += time.Since(t)
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
	b.ReportMetric(per(scan), "µs/parse")
	b.ReportMetric(per(js), "µs/parse-json")
	b.ReportMetric(per(two), "µs/parse-two-pass")
	b.ReportMetric(float64(scan)/float64(js), "x-json")
	b.ReportMetric(float64(scan)/float64(two), "x-two-pass")
}
