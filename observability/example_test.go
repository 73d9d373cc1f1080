package observability_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

// ExampleReadFile reads a spans file that holds a valid span, a corrupt
// line and an unfinished last line.
func ExampleReadFile() {
	file := `{"schemaVersion":1,"kind":"span","projectId":"p1","deploymentId":"d1","buildId":"b1","traceId":"a1","spanId":"b2","name":"workflow run: 'text-stats'","type":"workflow_run","startTime":"2026-01-02T03:04:05.000Z","endTime":"2026-01-02T03:04:05.120Z","isRootSpan":true}
{"schemaVersion":1,"kind":"span","projectId":
{"schemaVersion":1,"kind":"log","projectId":"p1","deploymen`
	st, err := observability.ReadFile(strings.NewReader(file), func(r observability.Record) error {
		s := r.Span.ToAdmin()
		fmt.Printf("line %d: %s %q took %s\n", r.Line, s.Type, s.Name, s.EndTime.Sub(s.StartTime))
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, bad := range st.Bad {
		fmt.Println("bad", bad.Line, bad.Reason[:17])
	}
	fmt.Printf("resume at byte %d; %d bytes unfinished\n", st.Offset, st.Incomplete)
	// Output:
	// line 1: workflow_run "workflow run: 'text-stats'" took 120ms
	// bad 2 not a JSON object
	// resume at byte 313; 59 bytes unfinished
}

// ExampleTraceListSort checks a trace list's filters as a store does
// before querying.
func ExampleTraceListSort() {
	sort, err := observability.TraceListSort(admin.TraceQuery{ProjectID: "p1", Status: admin.TraceStatusError})
	fmt.Println(sort, err)
	_, err = observability.TraceListSort(admin.TraceQuery{ProjectID: "p1", Sort: "name"})
	fmt.Println(err)
	// Output:
	// time <nil>
	// invalid Sort: must be time, duration or cost
}

// ExampleMinSeverity turns a log search's Level into the least severity
// it keeps.
func ExampleMinSeverity() {
	sev, err := observability.MinSeverity(observability.LevelWarn)
	fmt.Println(sev, err, observability.Severity(observability.LevelError) >= sev, observability.Severity(observability.LevelInfo) >= sev)
	// Output:
	// 2 <nil> true false
}

// ExampleMetricsBucket checks a metrics query's bucket over its range and
// places a time in its bucket.
func ExampleMetricsBucket() {
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	to := from.Add(24 * time.Hour)
	b, err := observability.MetricsBucket(0, from.UnixNano(), to.UnixNano())
	fmt.Println(time.Duration(b), err)
	at := from.Add(90 * time.Minute).UnixNano()
	fmt.Println(time.Unix(0, observability.FloorDiv(at, b)*b).UTC().Format(time.TimeOnly))
	// Output:
	// 1h0m0s <nil>
	// 01:00:00
}
