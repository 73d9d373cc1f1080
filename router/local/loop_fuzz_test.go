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
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
)

// FuzzEventLoop writes the same arbitrary bytes to Serve with its event
// loops and to Serve with Options.NoEventLoop (net/http's parser for every
// request), both in front of one backend that echoes what it receives
// (method, target, Host, every header, body) and answers some paths
// chunked, as a stream or with Connection: close; then it half-closes
// both connections. The two must give the same answers: the same status
// codes and bodies, so the same header rules, for as many answers as both
// gave (a client ending its side races the server; which of the two sees
// it first is not the point). Neither may crash or hang, and once the
// inputs are done and both servers stop, the process has the file
// descriptors and goroutines it had before.
func FuzzEventLoop(f *testing.F) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusTeapot)
			return
		}
		switch {
		case strings.HasPrefix(r.URL.Path, "/chunked"):
			_, _ = io.WriteString(w, "part one,")
			_ = http.NewResponseController(w).Flush()
		case strings.HasPrefix(r.URL.Path, "/close"):
			w.Header().Set("Connection", "close")
		case strings.HasPrefix(r.URL.Path, "/events"):
			w.Header().Set("Content-Type", "text/event-stream")
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "uri": r.RequestURI, "host": r.Host,
			"header": r.Header, "body": string(b), "te": r.TransferEncoding, "close": r.Close})
	}))
	f.Cleanup(backend.Close)

	fds0, goroutines0 := -1, runtime.NumGoroutine()
	if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
		fds0 = len(entries)
	}
	var addrs [2]string
	var stops [2]func()
	for i, opts := range []*local.Options{{}, {NoEventLoop: true}} {
		opts.ShutdownTimeout = time.Second
		r, err := local.New(opts)
		if err != nil {
			f.Fatal(err)
		}
		for _, route := range []admin.Route{
			{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production", Production: true, Target: backend.Listener.Addr().String()},
			{DeploymentID: "d2", ProjectSlug: "proj", DeploymentSlug: "pr-1", Target: backend.Listener.Addr().String()},
			{DeploymentID: "d3", ProjectSlug: "idle", DeploymentSlug: "production", Production: true},
		} {
			if err := r.SetRoute(f.Context(), route); err != nil {
				f.Fatal(err)
			}
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			f.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Serve(ctx, l) }()
		addrs[i] = l.Addr().String()
		stops[i] = func() {
			cancel()
			<-done
			_ = r.Close()
		}
	}
	f.Cleanup(func() {
		for _, stop := range stops {
			stop()
		}
		backend.Close()
		for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			fds := fds0
			if entries, err := os.ReadDir("/proc/self/fd"); err == nil {
				fds = len(entries)
			}
			goroutines := runtime.NumGoroutine()
			if fds <= fds0 && goroutines <= goroutines0 {
				return
			}
			if time.Now().After(deadline) {
				f.Errorf("after the inputs: %d file descriptors and %d goroutines; want at most %d and %d as before",
					fds, goroutines, fds0, goroutines0)
				return
			}
		}
	})

	for _, seed := range []string{
		"GET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"GET /proj/pr-1/x?y=1&z=%41 HTTP/1.1\r\nHost: localhost:3100\r\nX-Forwarded-For: 1.2.3.4\r\nForwarded: for=x\r\n\r\nGET /chunked HTTP/1.1\r\nHost: pr-1--proj.localhost\r\n\r\n",
		"POST /close HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhelloGET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"PUT /events HTTP/1.1\r\nHost: PROJ.localhost.\r\nTE: trailers\r\nKeep-Alive: 1\r\nx-custom:  a b \r\nX-Custom: c\r\n\r\n",
		"DELETE /a;b=c/%2F HTTP/1.1\r\nHost: proj.localhost\r\nConnection: close\r\n\r\nGET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: idle.localhost\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n",
		"OPTIONS /x?a;b HTTP/1.1\r\nHost: proj.localhost\r\nIdempotency-Key: 1\r\nContent-Length: 0\r\n\r\n",
		"PATCH / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
		"GET /a|b HTTP/1.1\r\nHost: proj.localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		"POST / HTTP/1.1\r\nHost: proj.localhost\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: proj.localhost\r\nX-A: \x80\r\n\r\n",
		"HEAD / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
		"GET / HTTP/1.0\r\nHost: proj.localhost\r\n\r\n",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, input string) {
		var answers [2][]string
		for i, addr := range addrs {
			answers[i] = fuzzAnswers(t, addr, input)
		}
		for i := range min(len(answers[0]), len(answers[1])) {
			if answers[0][i] != answers[1][i] {
				t.Fatalf("answer %d differs:\nevent loop:  %q\nserver loop: %q", i, answers[0][i], answers[1][i])
			}
		}
	})
}

// fuzzAnswers writes input to Serve at addr, half-closes the connection
// and returns the status and body of every whole answer.
func fuzzAnswers(t *testing.T, addr, input string) []string {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := io.WriteString(c, input); err != nil && !isReset(err) {
		t.Fatalf("write: %v", err)
	}
	_ = c.(*net.TCPConn).CloseWrite()
	out, err := io.ReadAll(c)
	if err != nil && !isReset(err) {
		t.Fatalf("Serve neither answered nor closed the connection: %v (read %q)", err, out)
	}
	var answers []string
	br := bufio.NewReader(strings.NewReader(string(out)))
	for {
		if _, err := br.Peek(1); err != nil {
			return answers
		}
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d is not HTTP: %v (all: %q)", len(answers), err, out)
		}
		body, err := io.ReadAll(resp.Body)
		if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("answer %d: %v", len(answers), err)
		}
		if err != nil || resp.StatusCode == http.StatusSwitchingProtocols {
			return answers
		}
		answers = append(answers, resp.Status+" "+string(body))
	}
}
