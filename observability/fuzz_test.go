package observability_test

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/observability"
)

const (
	fuzzSpanLine = `{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t1","spanId":"s2","parentSpanId":"s1","name":"step","type":"workflow_step","startTime":"2026-01-02T03:04:05.006Z","endTime":"2026-01-02T03:04:05.010Z","attributes":{"status":"success"},"input":{"text":"x"},"output":{"n":1},"tags":["t"]}`
	fuzzLogLine  = `{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"2026-01-02T03:04:05.007Z","level":"info","message":"hello","data":{"words":3},"traceId":"t1","spanId":"s2"}`
)

// FuzzParseLine: ParseLine never panics, and a line is either exactly one
// record that passes Validate, or an error with nothing returned.
func FuzzParseLine(f *testing.F) {
	for _, s := range []string{
		fuzzSpanLine, fuzzLogLine, fuzzSpanLine + "\r\n", "", "{}", "null", "[]",
		`{"schemaVersion":1}`, `{"schemaVersion":1,"kind":"span"}`, `{"schemaVersion":2,"kind":"log"}`,
		`{"schemaVersion":1.5,"kind":"log"}`, `{"schemaVersion":1,"kind":"log","kind":"span"}`,
		`{"schemaVersion":1,"kind":"log","projectId":"p","deploymentId":"d","buildId":"b","time":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		rec, err := observability.ParseLine(line)
		if err != nil {
			if !reflect.DeepEqual(rec, observability.Record{}) {
				t.Fatalf("rejected line %q returned a record %+v", line, rec)
			}
			return
		}
		checkRecord(t, line, rec)
	})
}

func checkRecord(t *testing.T, line []byte, rec observability.Record) {
	t.Helper()
	switch {
	case rec.Span != nil && rec.Log == nil:
		if err := rec.Span.Validate(); err != nil {
			t.Fatalf("accepted span %q does not validate: %v", line, err)
		}
	case rec.Log != nil && rec.Span == nil:
		if err := rec.Log.Validate(); err != nil {
			t.Fatalf("accepted log %q does not validate: %v", line, err)
		}
	default:
		t.Fatalf("accepted line %q gave span %v and log %v, want exactly one", line, rec.Span, rec.Log)
	}
}

// FuzzRead: Read never panics; every complete line is blank, one valid
// record or one reported bad line; records and bad lines carry the offset of
// their line's start and match ParseLine on that line; Offset and
// Incomplete split the input at a line start; a callback that fails leaves
// Offset at the start of the line it failed on.
func FuzzRead(f *testing.F) {
	f.Add([]byte(fuzzSpanLine+"\n"+fuzzLogLine+"\n"), uint8(0))
	f.Add([]byte(fuzzSpanLine+"\r\n\n  \nnot json\n"+fuzzLogLine), uint8(1))
	f.Add([]byte("\n\n{\"schemaVersion\":1}\n"+fuzzLogLine+"\n"+fuzzSpanLine+"\n"), uint8(2))
	f.Add([]byte(fuzzLogLine+"\n"+fuzzLogLine[:40]), uint8(0))
	f.Add([]byte(""), uint8(0))
	f.Add([]byte("\r"), uint8(0))
	f.Add(bytes.Repeat([]byte("x"), 300), uint8(0))
	f.Add([]byte(fuzzSpanLine+fuzzSpanLine+"\n"+fuzzLogLine+"\n"), uint8(0))
	const maxLine = 400 // below fuzzSpanLine's length doubled, above each alone
	f.Fuzz(func(t *testing.T, data []byte, failAt uint8) {
		var recs []observability.Record
		st, err := observability.Read(bytes.NewReader(data), &observability.ReadOptions{MaxLineBytes: maxLine, MaxBadLines: 1000},
			func(r observability.Record) error { recs = append(recs, r); return nil })
		if err != nil {
			t.Fatalf("Read of an in-memory input failed: %v", err)
		}
		atStart := func(off int64) bool { return off == 0 || off <= int64(len(data)) && data[off-1] == '\n' }
		if !atStart(st.Offset) || st.Offset+st.Incomplete != int64(len(data)) {
			t.Fatalf("Offset %d + Incomplete %d do not split %d bytes at a line start", st.Offset, st.Incomplete, len(data))
		}
		if bytes.IndexByte(data[st.Offset:], '\n') >= 0 {
			t.Fatalf("the incomplete tail %q holds a newline", data[st.Offset:])
		}
		if want := bytes.Count(data, []byte("\n")); st.Lines != want {
			t.Fatalf("Lines = %d, want %d", st.Lines, want)
		}
		if st.Spans+st.Logs != len(recs) || st.BadLines != len(st.Bad) {
			t.Fatalf("stats %+v do not match %d records", st, len(recs))
		}
		lineAt := func(off int64) []byte {
			rest := data[off:]
			return rest[:bytes.IndexByte(rest, '\n')]
		}
		seen := map[int64]bool{}
		for _, r := range recs {
			if !atStart(r.Offset) || r.Offset >= st.Offset || seen[r.Offset] {
				t.Fatalf("record at offset %d: not a fresh line start before %d", r.Offset, st.Offset)
			}
			seen[r.Offset] = true
			line := lineAt(r.Offset)
			checkRecord(t, line, r)
			again, err := observability.ParseLine(line)
			if err != nil {
				t.Fatalf("Read accepted line %q that ParseLine rejects: %v", line, err)
			}
			again.Line, again.Offset = r.Line, r.Offset
			if !reflect.DeepEqual(again, r) {
				t.Fatalf("Read and ParseLine disagree on %q", line)
			}
		}
		for _, b := range st.Bad {
			if !atStart(b.Offset) || b.Offset >= st.Offset || seen[b.Offset] {
				t.Fatalf("bad line at offset %d: not a fresh line start before %d", b.Offset, st.Offset)
			}
			seen[b.Offset] = true
			if line := lineAt(b.Offset); len(bytes.TrimRight(line, "\r\n")) <= maxLine {
				if _, err := observability.ParseLine(line); err == nil {
					t.Fatalf("Read rejected line %q (%s) that ParseLine accepts", line, b.Reason)
				}
			}
		}
		// Every non-blank complete line was either a record or a bad line.
		for off := int64(0); off < st.Offset; {
			line := lineAt(off)
			if len(bytes.TrimSpace(line)) > 0 && !seen[off] {
				t.Fatalf("line %q at %d was neither a record nor a bad line", line, off)
			}
			off += int64(len(line)) + 1
		}
		// A failing callback stops on its record, whose line is not consumed.
		if len(recs) == 0 {
			return
		}
		k := int(failAt) % len(recs)
		stop := errors.New("stop")
		calls := 0
		st2, err := observability.Read(bytes.NewReader(data), &observability.ReadOptions{MaxLineBytes: maxLine},
			func(observability.Record) error {
				if calls == k {
					return stop
				}
				calls++
				return nil
			})
		if !errors.Is(err, stop) || st2.Offset != recs[k].Offset || st2.Spans+st2.Logs != k {
			t.Fatalf("callback failing on record %d: err %v, offset %d (want %d), %d records counted",
				k, err, st2.Offset, recs[k].Offset, st2.Spans+st2.Logs)
		}
	})
}

// FuzzDecoder: the ingestion worker's Decoder, whose span lines take a
// path of their own (converted straight from the scanned fields), agrees
// with ParseLine then ToAdmin: the same error or none, the same span or
// log record.
func FuzzDecoder(f *testing.F) {
	for _, s := range []string{
		fuzzSpanLine, fuzzLogLine, fuzzSpanLine + "\r\n", "", "{}", `{"schemaVersion":1,"kind":"span"}`,
		`{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t","spanId":"s","name":"n","type":"model_generation","startTime":"2026-01-02T03:04:05Z","endTime":"2026-01-02T03:04:06Z","attributes":{"model":"gpt-4o-mini","usage":{"inputTokens":10,"outputTokens":2}},"input":{"a":[1, 2]},"output":"<b>"}`,
		`{"schemaVersion":1,"kind":"span","projectId":"p","deploymentId":"d","buildId":"b","traceId":"t","spanId":"s","name":"n","startTime":"2026-01-02T03:04:06Z","endTime":"2026-01-02T03:04:05Z"}`,
	} {
		f.Add([]byte(s))
	}
	decode := observability.Decoder(nil)
	f.Fuzz(func(t *testing.T, line []byte) {
		span, log, err := decode(bytes.Clone(line), "spans/a.jsonl", 7)
		rec, want := observability.ParseLine(line)
		if (err == nil) != (want == nil) || err != nil && err.Error() != want.Error() {
			t.Fatalf("%q: Decoder's error %v, ParseLine's %v", line, err, want)
		}
		if err != nil {
			return
		}
		switch {
		case rec.Span != nil:
			if w := rec.Span.ToAdmin(); log != nil || !reflect.DeepEqual(span, &w) {
				t.Fatalf("%q: Decoder gave %+v, %+v; want %+v", line, span, log, w)
			}
		default:
			w := rec.Log.ToAdmin()
			w.ID = observability.LogID("spans/a.jsonl", 7)
			if span != nil || !reflect.DeepEqual(log, &w) {
				t.Fatalf("%q: Decoder gave %+v, %+v; want %+v", line, span, log, w)
			}
		}
	})
}
