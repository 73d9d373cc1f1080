package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

// BenchmarkListProjects measures GET /v1/teams/{id}/projects (20 projects)
// through the Handler — bearer-token authentication, routing, JSON — against
// calling Admin.ListProjects directly, alternating the two in one loop so
// that both see the same machine load. It reports the ratio.
func BenchmarkListProjects(b *testing.B) {
	s := newServer(b, nil, nil)
	f := newFixture(b, s)
	for i := range 19 {
		f.root.Do("POST", "/v1/teams/"+f.team.ID+"/projects", map[string]any{"name": fmt.Sprintf("P%d", i), "sourceType": "local",
			"sourceConfig": map[string]string{"path": apitest.ProjectPath}}).Must(b, 201, nil)
	}
	me, err := s.Admin.AuthenticateToken(context.Background(), f.root.Token)
	if err != nil {
		b.Fatal(err)
	}
	ctx := admin.WithPrincipal(context.Background(), me)
	path := "/v1/teams/" + f.team.ID + "/projects"
	var direct, handler time.Duration
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		l, err := s.Admin.ListProjects(ctx, f.team.ID, admin.Page{})
		t1 := time.Now()
		rec := serve(s.h, "GET", path, f.root.Token)
		t2 := time.Now()
		if err != nil || len(l.Items) != 20 || rec.Code != 200 {
			b.Fatalf("direct: %v; handler: %d", err, rec.Code)
		}
		direct += t1.Sub(t0)
		handler += t2.Sub(t1)
	}
	b.ReportMetric(float64(direct.Nanoseconds())/float64(b.N), "direct-ns/op")
	b.ReportMetric(float64(handler.Nanoseconds())/float64(b.N), "handler-ns/op")
	b.ReportMetric(float64(handler)/float64(direct), "handler/direct")
}

// fanOut opens subs WebSockets on one build, appends lines one at a time,
// and returns, for every line and subscriber, the time from the append to
// the subscriber decoding it. Every subscriber must get every line, in
// order. The subscribers decode only what they check (type, seq, time),
// into buffers they reuse, so that the figure is the server's more than
// the test clients'.
func fanOut(tb testing.TB, subs, lines int) []time.Duration {
	s := newServer(tb, nil, nil)
	f := newFixture(tb, s)
	var build admin.Build
	f.root.Do("POST", "/v1/deployments/"+f.prod.ID+"/deploy", nil).Must(tb, 202, &build)
	url := wsURL(s, "/v1/builds/"+build.ID+"/logs/ws")
	var delivered atomic.Int64 // by every subscriber, of every line
	allGot := make(chan struct{}, 1)
	following := make(chan struct{}, subs) // a subscriber got its first (status) message
	errs := make(chan error, subs)
	lats := make([][]time.Duration, subs)
	for i := range subs {
		c, _, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{
			HTTPHeader: http.Header{"Authorization": {"Bearer " + f.root.Token}}})
		if err != nil {
			tb.Fatalf("subscriber %d: %v", i, err)
		}
		tb.Cleanup(func() { c.CloseNow() })
		lats[i] = make([]time.Duration, 0, lines)
		go func() {
			var buf bytes.Buffer
			next, ready := int64(0), false
			for {
				_, r, err := c.Reader(context.Background())
				if err != nil {
					return
				}
				buf.Reset()
				if _, err := buf.ReadFrom(r); err != nil {
					return
				}
				var m struct {
					Type string    `json:"type"`
					Seq  int64     `json:"seq"`
					Time time.Time `json:"time"`
				}
				if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
					errs <- err
					return
				}
				if m.Type != httpapi.MessageLog {
					if !ready {
						ready = true
						following <- struct{}{}
					}
					continue
				}
				if m.Seq != next {
					errs <- fmt.Errorf("subscriber got seq %d, want %d", m.Seq, next)
					return
				}
				next++
				lats[i] = append(lats[i], time.Since(m.Time))
				if delivered.Add(1)%int64(subs) == 0 {
					allGot <- struct{}{}
				}
			}
		}()
	}
	for range subs {
		select {
		case <-following:
		case <-time.After(30 * time.Second):
			tb.Fatal("a subscriber got no status message")
		}
	}
	for i := range lines {
		if err := s.Stack.Logs.Append(context.Background(), build.ID, admin.LogLine{Time: time.Now(), Phase: "build",
			Text: fmt.Sprintf("line %d of the fan-out", i)}); err != nil {
			tb.Fatal(err)
		}
		select {
		case <-allGot:
		case err := <-errs:
			tb.Fatal(err)
		case <-time.After(30 * time.Second):
			tb.Fatalf("line %d did not reach every subscriber", i)
		}
	}
	return slices.Concat(lats...)
}

func percentile(lat []time.Duration, p float64) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

// TestWebSocketFanOut: 1,000 subscribers of one build each get every line,
// in order. It records the append-to-client latency over every delivery as
// a figure (no threshold: the machine is shared). 100 lines, so that the
// p99 is not simply the slowest line's; 20 under the race detector, which
// slows the fan-out 5-10× (the figure says so): scripts/test.sh runs this
// test once more without it, for the figure a user would see.
func TestWebSocketFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 WebSockets")
	}
	lines, note := 100, ""
	if raceDetector {
		lines, note = 20, " (race detector)"
	}
	lat := fanOut(t, 1000, lines)
	testenv.Figure(t, "1000 WebSocket subscribers × %d lines, append→client%s: p50 %v, p99 %v, max %v", lines, note,
		percentile(lat, 0.5).Round(time.Microsecond*100), percentile(lat, 0.99).Round(time.Microsecond*100), percentile(lat, 1).Round(time.Microsecond*100))
}

// BenchmarkWebSocketFanOut appends b.N lines to a build followed by 1,000
// WebSocket clients, one line at a time, and reports the append-to-client
// latency percentiles over every delivery.
func BenchmarkWebSocketFanOut(b *testing.B) {
	lat := fanOut(b, 1000, b.N)
	b.ReportMetric(float64(percentile(lat, 0.5).Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(percentile(lat, 0.99).Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}
