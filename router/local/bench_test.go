package local_test

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
)

// BenchmarkProxy measures requests through the router against the same
// requests sent straight to the backend, in the same run with the same
// client: the router's own server and proxy path (Serve), its proxy path
// mounted on a net/http server (Router), and httputil.ReverseProxy on a
// net/http server (ReverseProxy, what a custom Options.Transport selects).
// Each reports its cost as x-direct (its ns/op ÷ direct ns/op) and
// added-p99-µs next to both latency distributions.
//
//	go test -run '^$' -bench Proxy -benchtime 3s ./router/local/
func BenchmarkProxy(b *testing.B) {
	payload := []byte(`{"success":true,"agents":["job-matcher","posting-assistant"]}`)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(payload)
	}))
	defer backend.Close()
	route := admin.Route{DeploymentID: "dep_bench", ProjectSlug: "bench", DeploymentSlug: "production",
		Production: true, Target: backend.Listener.Addr().String()}
	newFront := func(opts *local.Options) *httptest.Server {
		r, err := local.New(opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = r.Close() })
		if err := r.SetRoute(b.Context(), route); err != nil {
			b.Fatal(err)
		}
		front := httptest.NewServer(r)
		b.Cleanup(front.Close)
		return front
	}
	own := newFront(nil)
	served, err := local.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer served.Close()
	if err := served.SetRoute(b.Context(), route); err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = served.Serve(b.Context(), l) }()
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.MaxIdleConnsPerHost = 512
	defer transport.CloseIdleConnections()
	viaReverseProxy := newFront(&local.Options{Transport: transport})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}}
	defer client.CloseIdleConnections()

	var direct result
	b.Run("Direct", func(b *testing.B) {
		direct = load(b, client, backend.URL+"/api/agents", "")
	})
	for name, url := range map[string]string{"Serve": "http://" + l.Addr().String(), "Router": own.URL, "ReverseProxy": viaReverseProxy.URL} {
		b.Run(name, func(b *testing.B) {
			routed := load(b, client, url+"/api/agents", "bench.localhost:3100")
			if direct.nsPerOp > 0 {
				b.ReportMetric(routed.nsPerOp/direct.nsPerOp, "x-direct")
				b.ReportMetric(direct.nsPerOp, "direct-ns/op")
				b.ReportMetric(float64(routed.p99-direct.p99)/1e3, "added-p99-µs")
			}
		})
	}
}

type result struct {
	nsPerOp  float64
	p50, p99 time.Duration
}

// load sends b.N GET requests from 4×GOMAXPROCS goroutines and reports
// their latency percentiles.
func load(b *testing.B, client *http.Client, url, host string) result {
	var (
		mu  sync.Mutex
		all []time.Duration
	)
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		lat := make([]time.Duration, 0, 4096)
		for pb.Next() {
			req, err := http.NewRequestWithContext(b.Context(), http.MethodGet, url, nil)
			if err != nil {
				b.Error(err)
				return
			}
			req.Host = host
			start := time.Now()
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			lat = append(lat, time.Since(start))
			if err != nil || resp.StatusCode != http.StatusOK {
				b.Errorf("GET %s: status %d, %v", url, resp.StatusCode, err)
				return
			}
		}
		mu.Lock()
		all = append(all, lat...)
		mu.Unlock()
	})
	b.StopTimer()
	res := result{nsPerOp: float64(b.Elapsed().Nanoseconds()) / float64(b.N)}
	if len(all) > 0 {
		slices.Sort(all)
		res.p50, res.p99 = all[len(all)/2], all[len(all)*99/100]
		b.ReportMetric(float64(res.p50)/1e3, "p50-µs")
		b.ReportMetric(float64(res.p99)/1e3, "p99-µs")
	}
	return res
}
