package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) { s.mu.Lock(); defer s.mu.Unlock(); return s.b.Write(p) }
func (s *syncBuffer) String() string              { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// TestQuickstartDeploysTheSampleProject is the README's first command end
// to end, for real: it discovers examples/sample-project (a Mastra 1.x
// project), installs it with npm (provisioning Node 22 when the machine's
// is older), builds it with the mastra CLI, starts it, and runs its
// workflow through the reverse proxy. A second run on the same state
// redeploys it. Minutes on a cold machine; the npm, Node and dependency
// caches under ~/.cache/mastra-admin make later runs faster.
func TestQuickstartDeploysTheSampleProject(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	proxyAddr := l.Addr().String()
	l.Close()
	t.Setenv("MASTRA_ADMIN_DATA", t.TempDir())
	t.Setenv("PROJECTS_DIR", "..")
	t.Setenv("PROXY_ADDR", proxyAddr)
	only := "sample-agent"
	t.Cleanup(func() {
		if err := run(context.Background(), mode{stop: true, only: only, out: io.Discard}); err != nil {
			t.Errorf("stop the deployed servers: %v", err)
		}
	})

	// First run: deploy and serve until the workflow answers through the
	// proxy.
	out := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- run(ctx, mode{only: only, out: out}) }()
	result := runWorkflow(t, proxyAddr, done, out)
	cold := time.Since(start)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("quickstart: %v\n%s", err, out)
	}
	if result.Status != "success" || result.Result.Words != 5 || result.Result.Lines != 2 {
		t.Fatalf("workflow result %+v", result)
	}
	for _, want := range []string{"[copy   ]", "[install]", "[build  ]", "[start  ]", "[health ]", "is live at http://sample-agent.localhost:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("quickstart output lacks %q", want)
		}
	}

	// Second run on the same state: the same team and project, a new build.
	out2 := &syncBuffer{}
	start = time.Now()
	if err := run(context.Background(), mode{once: true, only: only, out: out2}); err != nil {
		t.Fatalf("second run: %v\n%s", err, out2)
	}
	warm := time.Since(start)
	if strings.Count(out2.String(), "==> deploying") != 1 || !strings.Contains(out2.String(), "is live") {
		t.Fatalf("second run output:\n%s", out2)
	}
	t.Logf("first deploy to a workflow answer: %v; redeploy on the same state: %v (%.2fx)", cold.Round(time.Millisecond),
		warm.Round(time.Millisecond), warm.Seconds()/cold.Seconds())
}

type workflowRun struct {
	Status string `json:"status"`
	Result struct {
		Words   int    `json:"words"`
		Lines   int    `json:"lines"`
		Summary string `json:"summary"`
	} `json:"result"`
}

// runWorkflow polls the sample project's workflow through the proxy until it
// answers, the quickstart fails, or ten minutes pass.
func runWorkflow(t *testing.T, proxyAddr string, done <-chan error, out *syncBuffer) workflowRun {
	t.Helper()
	url := fmt.Sprintf("http://%s/api/workflows/textStats/start-async", proxyAddr)
	body := `{"inputData":{"text":"hello mastra admin\nsecond line"}}`
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		select {
		case err := <-done:
			t.Fatalf("quickstart ended before serving: %v\n%s", err, out)
		default:
		}
		req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
		req.Host = "sample-agent.localhost" // host routing, as curl to sample-agent.localhost would
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				var r workflowRun
				if err := json.Unmarshal(b, &r); err != nil {
					t.Fatalf("workflow answer %s: %v", b, err)
				}
				return r
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("the workflow did not answer through the proxy in time\n%s", out)
	return workflowRun{}
}
