package local_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
)

// FuzzServeRequests writes arbitrary bytes to a connection of Serve, in
// front of a backend that echoes what it receives, then half-closes it.
// Serve never crashes nor hangs: within a few seconds it answers with
// well-formed HTTP/1.1 responses and closes the connection; the backend's
// echoes show only the router's X-Forwarded-For; and a normal request on a
// new connection is still answered afterwards.
func FuzzServeRequests(f *testing.F) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusTeapot)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "len": len(b), "xff": r.Header["X-Forwarded-For"]})
	}))
	f.Cleanup(backend.Close)
	r, err := local.New(&local.Options{ShutdownTimeout: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = r.Close() })
	if err := r.SetRoute(f.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: backend.Listener.Addr().String()}); err != nil {
		f.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		f.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, l) }()
	f.Cleanup(func() {
		cancel()
		<-done
	})
	addr := l.Addr().String()

	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"GET /proj/production/x?y=1 HTTP/1.1\r\nHost: localhost\r\n\r\nGET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 5\r\n\r\nhello",
		"POST / HTTP/1.1\r\nHost: proj.localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: proj.localhost\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 100\r\n\r\nshort",
		"POST / HTTP/1.1\r\nHost: proj.localhost\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok",
		"GET / HTTP/1.0\r\n\r\n",
		"GET http://proj.localhost/abs HTTP/1.1\r\nHost: other\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: proj.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"GET / HTTP/1.1\nHost: proj.localhost\n\n",
		"GET / HTTP/1.1\r\nHost: proj.localhost\r\nX-A: a\r\n b\r\n\r\n",
		"CONNECT proj.localhost:443 HTTP/1.1\r\nHost: proj.localhost:443\r\n\r\n",
		"OPTIONS * HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"\r\n\r\nGET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		if _, err := io.WriteString(c, input); err != nil && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Fatalf("write: %v", err)
		}
		_ = c.(*net.TCPConn).CloseWrite()
		out, err := io.ReadAll(c)
		if err != nil && !isReset(err) {
			t.Fatalf("Serve neither answered nor closed the connection: %v (read %q)", err, out)
		}
		// Every answer is a well-formed response.
		br := bufio.NewReader(strings.NewReader(string(out)))
		answers := 0
		for br.Buffered() > 0 || answers == 0 {
			if _, err := br.Peek(1); err != nil {
				break
			}
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatalf("answer %d is not HTTP: %v (all: %q)", answers, err, out)
			}
			if resp.StatusCode == http.StatusSwitchingProtocols {
				break // an upgrade the backend refused is not followed here
			}
			body, err := io.ReadAll(resp.Body)
			if err != nil && resp.StatusCode < 300 {
				// A cut answer is the server's way to say the body failed.
				break
			}
			if resp.StatusCode == http.StatusOK && strings.HasPrefix(string(body), "{") {
				var echo struct{ XFF []string }
				if json.Unmarshal(body, &echo) == nil && (len(echo.XFF) != 1 || echo.XFF[0] != "127.0.0.1") {
					t.Errorf("the backend saw X-Forwarded-For %q; want only the router's 127.0.0.1", echo.XFF)
				}
			}
			answers++
		}
		// Serve still answers.
		c2, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c2.Close()
		_ = c2.SetDeadline(time.Now().Add(15 * time.Second))
		_, _ = io.WriteString(c2, "GET /alive HTTP/1.1\r\nHost: proj.localhost\r\nConnection: close\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c2), nil)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("after the input, a normal request got %v, %v", resp, err)
		}
	})
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}
