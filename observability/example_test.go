package observability_test

import (
	"fmt"
	"strings"

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
