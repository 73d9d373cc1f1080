package jsonvalid

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
)

var cases = []string{
	``, ` `, `{}`, `[]`, ` {} `, `{`, `}`, `[`, `]`, `{]`, `[}`, `{"a":1}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{1:2}`,
	`[1,2,3]`, `[1,,2]`, `[1 2]`, `[,]`, `"x"`, `"x`, `"\u00e9\n\"\\\/\b\f\r\t"`, `"\x"`, `"\u12"`, `"\u12g4"`, "\"a\tb\"",
	"\"\x7f\xff\"", `true`, `tru`, `false`, `null`, `nul`, `nullx`, `0`, `-0`, `01`, `-`, `1.`, `1.5`, `.5`, `1e5`, `1E+5`,
	`1e-5`, `1e`, `1e+`, `-1.25e-10`, `1 2`, `{"a":[{"b":null}],"c":{"d":[true,false]}}`, `{"a":{"b":{}}`, `[[[]]]`, `[[]`,
	"{\n\t\"a\" : [ 1 , 2 ] \r\n}", `{"a":1}x`, `{"a":"b"}}`, `[1]]`, `"\ud800"`, `{"":""}`,
	strings.Repeat(`[`, 10000) + strings.Repeat(`]`, 10000), strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10001),
	strings.Repeat(`{"a":`, 10000) + `1` + strings.Repeat(`}`, 10000),
}

func TestValid(t *testing.T) {
	for _, c := range cases {
		if got, want := Valid([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("Valid(%.40q) = %v, json.Valid says %v", c, got, want)
		}
	}
}

func FuzzValid(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%.80q) = %v, json.Valid says %v", b, got, want)
		}
	})
}

// BenchmarkValid times Valid on a span's attributes as the ingestion
// worker stores them, with json.Valid in the same loop ("x-json": Valid's
// time as a multiple of json.Valid's).
func BenchmarkValid(b *testing.B) {
	v := []byte(`{"attributes":{"stepId":"fetch-weather","status":"success"},"input":{"city":"Lisbon","days":3},` +
		`"output":{"forecast":"sunny with a light breeze from the north west","max":24,"min":15},"entityType":"workflow",` +
		`"entityId":"weatherWorkflow","entityName":"weather-workflow","coreVersion":"1.71.0"}`)
	var fast, std time.Duration
	for b.Loop() {
		t := time.Now()
		if !Valid(v) {
			b.Fatal("invalid")
		}
		fast += time.Since(t)
		t = time.Now()
		if !json.Valid(v) {
			b.Fatal("invalid")
		}
		std += time.Since(t)
	}
	b.ReportMetric(float64(fast)/float64(std), "x-json")
}
