package local_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
	"github.com/mastra-admin/mastra-admin-go/router/routertest"
)

// These tests cover Serve's own HTTP/1.1 server: what reaches the router
// through it, and what it refuses or answers itself.

// served runs r.Serve with one production route "proj" to target and
// returns the router's address.
func served(t *testing.T, target string) (*local.Router, string) {
	t.Helper()
	return servedWith(t, target, nil)
}

// exchange writes raw to a new connection to addr and returns everything
// the server sends until it closes the connection or 10 s pass.
func exchange(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
	out, _ := io.ReadAll(c)
	return string(out)
}

// echoServer answers every request with a JSON echo of it.
func echoServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(map[string]any{"method": r.Method, "path": r.URL.Path, "query": r.URL.RawQuery,
			"host": r.Host, "body": string(b), "xff": r.Header.Get("X-Forwarded-For"), "xfh": r.Header.Get("X-Forwarded-Host"),
			"prefix": r.Header.Get("X-Forwarded-Prefix"), "te": r.TransferEncoding})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestServeRefusesBadRequests(t *testing.T) {
	var hits atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(backend.Close)
	_, addr := served(t, backend.Listener.Addr().String())
	for name, tc := range map[string]struct{ raw, status string }{
		"garbage":                 {"HELLO\r\n\r\n", "400"},
		"no Host on HTTP/1.1":     {"GET / HTTP/1.1\r\n\r\n", "400"},
		"two Host headers":        {"GET / HTTP/1.1\r\nHost: proj.localhost\r\nHost: other\r\n\r\n", "400"},
		"bad Host":                {"GET / HTTP/1.1\r\nHost: proj.localhost/x\r\n\r\n", "400"},
		"HTTP/2":                  {"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "505"},
		"header too large":        {"GET / HTTP/1.1\r\nHost: proj.localhost\r\nX-Big: " + strings.Repeat("a", 1<<20+8192) + "\r\n\r\n", "431"},
		"unknown transfer coding": {"POST / HTTP/1.1\r\nHost: proj.localhost\r\nTransfer-Encoding: gzip\r\n\r\n", "501"},
		"bad chunked":             {"POST / HTTP/1.1\r\nHost: proj.localhost\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", "501"},
		"two lengths":             {"POST / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400"},
		"bad length":              {"POST / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: -1\r\n\r\n", "400"},
		"control byte in value":   {"GET / HTTP/1.1\r\nHost: proj.localhost\r\nX-A: a\x01b\r\n\r\n", "400"},
		"space before colon":      {"GET / HTTP/1.1\r\nHost: proj.localhost\r\nX-A : b\r\n\r\n", "400"},
		"folded header":           {"GET / HTTP/1.1\r\nHost: proj.localhost\r\n X-A: b\r\n\r\n", "400"},
		"expect other":            {"GET / HTTP/1.1\r\nHost: proj.localhost\r\nExpect: something\r\n\r\n", "417"},
	} {
		out := exchange(t, addr, tc.raw)
		if !strings.HasPrefix(out, "HTTP/1.1 "+tc.status+" ") || !strings.Contains(out, "Connection: close") {
			t.Errorf("%s: answer %.80q; want %s and the connection closed", name, out, tc.status)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the backend got %d requests; want none", n)
	}
}

func TestServeKeepAliveAndPipelining(t *testing.T) {
	backend := echoServer(t)
	_, addr := served(t, backend.Listener.Addr().String())
	// Two requests in one write, the second with a body; then one asking to
	// close: three answers in order on one connection, which then closes.
	out := exchange(t, addr, "GET /a?x=1 HTTP/1.1\r\nHost: proj.localhost\r\n\r\n"+
		"POST /b HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 5\r\n\r\nhello"+
		"GET /c HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(strings.NewReader(out))
	for i, want := range []string{`"path":"/a"`, `"body":"hello"`, `mastra-admin router: no deployment is routed at path "/c"`} {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("answer %d: %v (all: %q)", i, err, out)
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil || !strings.Contains(string(b), want) {
			t.Errorf("answer %d: %d %q, %v; want it to hold %s", i, resp.StatusCode, b, err, want)
		}
	}
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Errorf("after the answers: %q", rest)
	}
}

func TestServeHTTP10(t *testing.T) {
	addr := rawBackend(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
		}
	})
	_, front := served(t, addr)
	// HTTP/1.0 has no chunked coding: the body ends with the connection.
	out := exchange(t, front, "GET / HTTP/1.0\r\nHost: proj.localhost\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK\r\n") || !strings.HasSuffix(out, "\r\n\r\nhello") || strings.Contains(out, "chunked") {
		t.Errorf("HTTP/1.0 answer %q; want a body ended by the close", out)
	}
	// No Host on HTTP/1.0: path routing.
	if out := exchange(t, front, "GET /proj/production/ HTTP/1.0\r\n\r\n"); !strings.HasSuffix(out, "hello") {
		t.Errorf("HTTP/1.0 without Host: %q", out)
	}
}

func TestServeChunkedAndHead(t *testing.T) {
	addr := rawBackend(t, func(c net.Conn) {
		br := bufio.NewReader(c)
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			if req.Method == http.MethodHead {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n")
				continue
			}
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n")
		}
	})
	_, front := served(t, addr)
	out := exchange(t, front, "HEAD / HTTP/1.1\r\nHost: proj.localhost\r\n\r\nGET / HTTP/1.1\r\nHost: proj.localhost\r\nConnection: close\r\n\r\n")
	br := bufio.NewReader(strings.NewReader(out))
	head, err := http.ReadResponse(br, &http.Request{Method: http.MethodHead})
	if err != nil || head.ContentLength != 11 {
		t.Fatalf("HEAD: %v, %+v (all: %q)", err, head, out)
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET: %v (all: %q)", err, out)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil || string(b) != "hello world" || resp.Trailer.Get("X-Sum") != "11" || resp.TransferEncoding == nil {
		t.Errorf("GET: %q, %v, trailers %v, coding %v; want hello world chunked with X-Sum 11", b, err, resp.Trailer, resp.TransferEncoding)
	}
}

func TestServeExpectContinue(t *testing.T) {
	backend := echoServer(t)
	_, addr := served(t, backend.Listener.Addr().String())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, _ = io.WriteString(c, "POST /up HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n")
	br := bufio.NewReader(c)
	line, err := br.ReadString('\n')
	if err != nil || line != "HTTP/1.1 100 Continue\r\n" {
		t.Fatalf("before the body: %q, %v; want 100 Continue", line, err)
	}
	_, _ = br.ReadString('\n')
	_, _ = io.WriteString(c, "data")
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), `"body":"data"`) {
		t.Errorf("answer %q; want the echo of data", b)
	}
}

// TestServeStreams checks through Serve what routertest checks through
// ServeHTTP: routing with X-Forwarded-*, server-sent events as they come,
// request bodies streamed, WebSocket.
func TestServeStreams(t *testing.T) {
	release := make(chan struct{})
	headRead := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/sse":
			w.Header().Set("Content-Type", "text/event-stream")
			_, _ = io.WriteString(w, "data: one\n\n")
			_ = http.NewResponseController(w).Flush()
			<-release
			_, _ = io.WriteString(w, "data: two\n\n")
		case "/upload":
			head := make([]byte, 4)
			_, _ = io.ReadFull(r.Body, head)
			close(headRead)
			rest, _ := io.ReadAll(r.Body)
			fmt.Fprintf(w, "%s%s", head, rest)
		case "/ws":
			c, err := websocket.Accept(w, r, nil)
			if err != nil {
				return
			}
			defer c.CloseNow()
			typ, msg, err := c.Read(r.Context())
			if err == nil {
				_ = c.Write(r.Context(), typ, append([]byte("echo:"), msg...))
			}
		default:
			_, _ = fmt.Fprintf(w, "%s %s xff=%s xfh=%s prefix=%s", r.Host, r.URL.RequestURI(), r.Header.Get("X-Forwarded-For"),
				r.Header.Get("X-Forwarded-Host"), r.Header.Get("X-Forwarded-Prefix"))
		}
	}))
	t.Cleanup(backend.Close)
	target := backend.Listener.Addr().String()
	_, addr := served(t, target)
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}}}
	t.Cleanup(client.CloseIdleConnections)
	get := func(url string) string {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return string(b)
	}
	if got, want := get("http://proj.localhost:3100/a%2Fb?q=1"), target+" /a%2Fb?q=1 xff=127.0.0.1 xfh=proj.localhost:3100 prefix="; got != want {
		t.Errorf("host routed: %q; want %q", got, want)
	}
	if got, want := get("http://localhost:3100/proj/production/x"), target+" /x xff=127.0.0.1 xfh=localhost:3100 prefix=/proj/production"; got != want {
		t.Errorf("path routed: %q; want %q", got, want)
	}

	resp, err := client.Get("http://proj.localhost/sse")
	if err != nil {
		t.Fatal(err)
	}
	sse := bufio.NewReader(resp.Body)
	if line, err := sse.ReadString('\n'); err != nil || line != "data: one\n" {
		t.Fatalf("first event: %q, %v", line, err)
	}
	close(release)
	rest, err := io.ReadAll(sse)
	resp.Body.Close()
	if err != nil || string(rest) != "\ndata: two\n\n" {
		t.Errorf("rest of the stream: %q, %v", rest, err)
	}

	pr, pw := io.Pipe()
	go func() {
		_, _ = io.WriteString(pw, "head")
		<-headRead // the server has the head before the rest is sent
		_, _ = io.WriteString(pw, "-rest")
		_ = pw.Close()
	}()
	resp, err = client.Post("http://proj.localhost/upload", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(b) != "head-rest" {
		t.Errorf("upload: %q; want head-rest", b)
	}

	ws, _, err := websocket.Dial(t.Context(), "ws://proj.localhost/ws", &websocket.DialOptions{HTTPClient: client})
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	if err := ws.Write(t.Context(), websocket.MessageText, []byte("hi")); err != nil {
		t.Fatal(err)
	}
	if _, msg, err := ws.Read(t.Context()); err != nil || string(msg) != "echo:hi" {
		t.Errorf("WebSocket: %q, %v; want echo:hi", msg, err)
	}
}

// TestServeClientGoneCancels: a client that closes its connection while
// the server is still working cancels the server's request.
func TestServeClientGoneCancels(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(cancelled)
	}))
	t.Cleanup(backend.Close)
	_, addr := served(t, backend.Listener.Addr().String())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(c, "GET /slow HTTP/1.1\r\nHost: proj.localhost\r\n\r\n")
	<-started
	_ = c.Close()
	select {
	case <-cancelled:
	case <-time.After(20 * time.Second):
		t.Fatal("the server's request was not cancelled after the client went away")
	}
}

// flakyListener fails its first Accept with a temporary error, as a real
// listener does when the process is out of file descriptors (which a test
// cannot cause without starving the whole test binary).
type flakyListener struct {
	net.Listener
	failed atomic.Bool
}

type temporaryError struct{}

func (temporaryError) Error() string   { return "accept: too many open files" }
func (temporaryError) Temporary() bool { return true }
func (temporaryError) Timeout() bool   { return false }

func (l *flakyListener) Accept() (net.Conn, error) {
	if !l.failed.Swap(true) {
		return nil, temporaryError{}
	}
	return l.Listener.Accept()
}

func TestServeRetriesTemporaryAcceptErrors(t *testing.T) {
	backend := echoServer(t)
	r := newRouter(t, nil)
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: backend.Listener.Addr().String()}); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, &flakyListener{Listener: l}) }()
	out := exchange(t, l.Addr().String(), "GET /after HTTP/1.1\r\nHost: proj.localhost\r\nConnection: close\r\n\r\n")
	if !strings.HasPrefix(out, "HTTP/1.1 200 OK") || !strings.Contains(out, `"path":"/after"`) {
		t.Errorf("after a temporary accept error: %q", out)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Serve: %v", err)
	}
}

// TestConformanceServe runs the routertest suite through Serve, with the
// router's own proxy path and with httputil.ReverseProxy (a custom
// Transport). The suite mounts a handler on its own test server; this one
// hands each connection over to Serve: it writes the request line and
// headers net/http parsed (the only part it cannot pass on as it came),
// then copies the bytes both ways untouched, the body in its own framing
// and later requests included.
func TestConformanceServe(t *testing.T) {
	t.Run("Own", func(t *testing.T) { conformanceServe(t, func(*testing.T) *local.Options { return nil }) })
	t.Run("CustomTransport", func(t *testing.T) {
		conformanceServe(t, func(t *testing.T) *local.Options {
			tr := http.DefaultTransport.(*http.Transport).Clone()
			t.Cleanup(tr.CloseIdleConnections)
			return &local.Options{Transport: tr}
		})
	})
}

func conformanceServe(t *testing.T, opts func(*testing.T) *local.Options) {
	routertest.Run(t, func(t *testing.T) (admin.Router, http.Handler) {
		r, err := local.New(opts(t))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		addr, done := startServe(t, ctx, r)
		t.Cleanup(func() {
			cancel()
			<-done
		})
		return r, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			up, err := net.Dial("tcp", addr)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer up.Close()
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			defer conn.Close()
			head := bufio.NewWriter(up)
			fmt.Fprintf(head, "%s %s %s\r\nHost: %s\r\n", req.Method, req.RequestURI, req.Proto, req.Host)
			if len(req.TransferEncoding) > 0 {
				fmt.Fprintf(head, "Transfer-Encoding: %s\r\n", strings.Join(req.TransferEncoding, ", "))
			}
			_ = req.Header.Write(head)
			_, _ = head.WriteString("\r\n")
			if head.Flush() != nil {
				return
			}
			go func() {
				_, _ = io.Copy(up, brw)
				_ = up.(*net.TCPConn).CloseWrite()
			}()
			_, _ = io.Copy(conn, up)
		})
	})
}

// TestServeUploadRefusedWhileClientWaits: a server answers before reading
// a body whose client then sends nothing more; the answer still reaches the
// client, and the connection closes.
func TestServeUploadRefusedWhileClientWaits(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	t.Cleanup(backend.Close)
	_, addr := served(t, backend.Listener.Addr().String())
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	_, _ = io.WriteString(c, "POST /upload HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 1000000\r\n\r\n"+strings.Repeat("x", 100<<10))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no answer while the client waits: %v", err)
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || string(b) != "too large\n" {
		t.Errorf("%d %q; want the server's 413", resp.StatusCode, b)
	}
	if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
		t.Errorf("after the answer: %q, %v; want the connection closed", rest, err)
	}
}

// TestServeExpectContinueStreamed sends a large body (streamed by the
// router while it reads the answer) after 100 Continue, through Go's
// client, to a server that answers before it has read all of it and to one
// that reads it all.
func TestServeExpectContinueStreamed(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/early" {
			http.Error(w, "no", http.StatusForbidden)
			return
		}
		n, _ := io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, n)
	}))
	t.Cleanup(backend.Close)
	_, addr := served(t, backend.Listener.Addr().String())
	client := &http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}
	t.Cleanup(client.CloseIdleConnections)
	body := strings.Repeat("x", 1<<20)
	for path, want := range map[string]string{"/all": "1048576", "/early": "no\n"} {
		req := newRequest(t, http.MethodPost, "http://"+addr+path, strings.NewReader(body))
		req.Host = "proj.localhost"
		req.Header.Set("Expect", "100-continue")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Errorf("%s: %d %q; want %q", path, resp.StatusCode, b, want)
		}
	}
}
