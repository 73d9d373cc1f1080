package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
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
// order.
func fanOut(tb testing.TB, subs, lines int) []time.Duration {
	s := newServer(tb, nil, nil)
	f := newFixture(tb, s)
	var build admin.Build
	f.root.Do("POST", "/v1/deployments/"+f.prod.ID+"/deploy", nil).Must(tb, 202, &build)
	url := wsURL(s, "/v1/builds/"+build.ID+"/logs/ws")
	got := make(chan time.Duration, subs)
	errs := make(chan error, subs)
	conns := make([]*websocket.Conn, subs)
	for i := range conns {
		c, _, err := websocket.Dial(context.Background(), url, &websocket.DialOptions{
			HTTPHeader: http.Header{"Authorization": {"Bearer " + f.root.Token}}})
		if err != nil {
			tb.Fatalf("subscriber %d: %v", i, err)
		}
		conns[i] = c
		tb.Cleanup(func() { c.CloseNow() })
		go func() {
			next := int64(0)
			for {
				_, data, err := c.Read(context.Background())
				if err != nil {
					return
				}
				var m httpapi.StreamMessage
				if err := json.Unmarshal(data, &m); err != nil {
					errs <- err
					return
				}
				if m.Type != httpapi.MessageLog {
					continue
				}
				if m.Seq != next {
					errs <- fmt.Errorf("subscriber got seq %d, want %d", m.Seq, next)
					return
				}
				next++
				got <- time.Since(m.Time)
			}
		}()
	}
	lat := make([]time.Duration, 0, subs*lines)
	for i := range lines {
		if err := s.Stack.Logs.Append(context.Background(), build.ID, admin.LogLine{Time: time.Now(), Phase: "build",
			Text: fmt.Sprintf("line %d of the fan-out", i)}); err != nil {
			tb.Fatal(err)
		}
		for range subs {
			select {
			case d := <-got:
				lat = append(lat, d)
			case err := <-errs:
				tb.Fatal(err)
			case <-time.After(30 * time.Second):
				tb.Fatalf("line %d did not reach every subscriber", i)
			}
		}
	}
	return lat
}

func percentile(lat []time.Duration, p float64) time.Duration {
	s := slices.Clone(lat)
	slices.Sort(s)
	return s[int(float64(len(s)-1)*p)]
}

// TestWebSocketFanOut: 1,000 subscribers of one build each get every line,
// in order. It logs the append-to-client latency (no threshold: the
// machine is shared).
func TestWebSocketFanOut(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 WebSockets")
	}
	lat := fanOut(t, 1000, 20)
	testenv.Figure(t, "1000 subscribers × 20 lines: p50 %v, p99 %v, max %v", percentile(lat, 0.5), percentile(lat, 0.99), percentile(lat, 1))
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
