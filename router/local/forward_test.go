package local_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"net/textproto"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
	"github.com/mastra-admin/mastra-admin-go/router/routertest"
)

// These tests cover the router's own HTTP/1.1 proxy path (the default, no
// Options.Transport) beyond the routertest rules: hop-by-hop headers,
// trailers, kept-alive connections the server closed, a client that goes
// away, malformed answers, bodies of every framing, 1xx responses.

// TestConformanceCustomTransport runs the suite through
// httputil.ReverseProxy, which a custom Options.Transport selects.
func TestConformanceCustomTransport(t *testing.T) {
	routertest.Run(t, func(t *testing.T) (admin.Router, http.Handler) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		t.Cleanup(tr.CloseIdleConnections)
		r, err := local.New(&local.Options{Transport: tr})
		if err != nil {
			t.Fatal(err)
		}
		return r, r
	})
}

// front serves a router with one production route "proj" to target and
// returns the router and a client whose requests all reach it.
func front(t *testing.T, target string, opts *local.Options) (*local.Router, *httptest.Server) {
	t.Helper()
	r := newRouter(t, opts)
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: target}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	return r, srv
}

// send sends req to srv with Host proj.localhost and returns the response
// with its body read.
func send(t *testing.T, srv *httptest.Server, req *http.Request) (*http.Response, string) {
	t.Helper()
	req.Host = "proj.localhost"
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return resp, string(body)
}

func newRequest(t *testing.T, method, url string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

// rawBackend accepts connections on loopback and hands each to serve; it
// returns its address.
func rawBackend(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		_ = l.Close()
		wg.Wait()
	})
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	return l.Addr().String()
}

func TestProxyHopByHopHeaders(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Connection", "X-Hop")
		h.Set("X-Hop", "secret")
		h.Set("Keep-Alive", "timeout=5")
		h["X-End"] = []string{"a", "b"}
		_ = json.NewEncoder(w).Encode(map[string]any{"host": r.Host, "header": r.Header})
	}))
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)

	req := newRequest(t, http.MethodGet, srv.URL+"/x", nil)
	req.Header = http.Header{
		"Connection":          {"X-Secret"},
		"X-Secret":            {"dropped"},
		"Proxy-Authorization": {"Basic dropped"},
		"Te":                  {"trailers, deflate"},
		"X-Forwarded-Prefix":  {"/spoofed"},
		"X-Forwarded-Port":    {"1"},
		"Forwarded":           {"for=6.6.6.6"},
		"X-Multi":             {"one", "two"},
	}
	resp, body := send(t, srv, req)
	var seen struct {
		Host   string
		Header http.Header
	}
	if err := json.Unmarshal([]byte(body), &seen); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if seen.Host != backend.Listener.Addr().String() {
		t.Errorf("backend saw Host %q; want its own address", seen.Host)
	}
	for _, k := range []string{"X-Secret", "Proxy-Authorization", "Connection", "Forwarded", "X-Forwarded-Port", "X-Forwarded-Prefix", "User-Agent"} {
		if v, ok := seen.Header[k]; ok && !(k == "User-Agent" && v[0] != "") {
			t.Errorf("backend saw %s: %q", k, v)
		}
	}
	if got := seen.Header["Te"]; len(got) != 1 || got[0] != "trailers" {
		t.Errorf("backend saw Te %q; want [trailers]", got)
	}
	if got := seen.Header["X-Multi"]; len(got) != 2 || got[0] != "one" || got[1] != "two" {
		t.Errorf("backend saw X-Multi %q; want [one two]", got)
	}
	for _, k := range []string{"X-Hop", "Keep-Alive"} {
		if v, ok := resp.Header[k]; ok {
			t.Errorf("client saw %s: %q", k, v)
		}
	}
	if got := resp.Header["X-End"]; len(got) != 2 || got[1] != "b" {
		t.Errorf("client saw X-End %q; want [a b]", got)
	}
}

func TestProxyTrailers(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, "body")
		w.Header().Set("X-Sum", "42")
		w.Header().Set(http.TrailerPrefix+"X-Late", "late")
	}))
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)
	resp, body := send(t, srv, newRequest(t, http.MethodGet, srv.URL+"/", nil))
	if body != "body" || resp.Trailer.Get("X-Sum") != "42" || resp.Trailer.Get("X-Late") != "late" {
		t.Errorf("body %q, trailers %v; want body, X-Sum 42 and X-Late late", body, resp.Trailer)
	}
}

// TestProxyServerClosedKeptAliveConnection stands for a server that closes
// idle keep-alive connections (Node.js does after 5 s): a GET is sent
// again on a new connection, a POST is never sent on a closed one, and
// none is sent twice.
func TestProxyServerClosedKeptAliveConnection(t *testing.T) {
	serverClosedKeptAlive(t, func(t *testing.T, addr string) func(method, body string) (int, string) {
		_, srv := front(t, addr, nil)
		return func(method, body string) (int, string) {
			resp, got := send(t, srv, newRequest(t, method, srv.URL+"/", strings.NewReader(body)))
			return resp.StatusCode, got
		}
	})
}

// serverClosedKeptAlive runs TestProxyServerClosedKeptAliveConnection with
// a router in front of addr that start returns a way to send requests to.
func serverClosedKeptAlive(t *testing.T, start func(t *testing.T, addr string) func(method, body string) (int, string)) {
	var (
		mu       sync.Mutex
		received []string
		closed   = make(chan struct{}, 16)
	)
	addr := rawBackend(t, func(c net.Conn) {
		defer func() { closed <- struct{}{} }()
		req, err := http.ReadRequest(bufio.NewReader(c))
		if err != nil {
			return
		}
		body, _ := io.ReadAll(req.Body)
		mu.Lock()
		received = append(received, req.Method+" "+string(body))
		mu.Unlock()
		// A keep-alive answer, then the connection closes.
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
		_ = c.Close()
	})
	do := start(t, addr)
	var want []string
	for i := range 6 {
		method, body := http.MethodGet, ""
		if i%2 == 1 {
			method, body = http.MethodPost, fmt.Sprintf("post-%d", i)
		}
		want = append(want, method+" "+body)
		if status, got := do(method, body); status != http.StatusOK || got != "ok" {
			t.Fatalf("request %d (%s): %d %q; want 200 ok", i, method, status, got)
		}
		<-closed // the server has closed the connection the router keeps
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(received, "|") != strings.Join(want, "|") {
		t.Errorf("backend received %q; want each request once: %q", received, want)
	}
}

func TestProxyClientGoneCancelsServerRequest(t *testing.T) {
	started, cancelled := make(chan struct{}), make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-r.Context().Done()
		close(cancelled)
	}))
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)
	ctx, cancel := context.WithCancel(t.Context())
	req := newRequest(t, http.MethodGet, srv.URL+"/slow", nil).WithContext(ctx)
	req.Host = "proj.localhost"
	errc := make(chan error, 1)
	go func() {
		resp, err := srv.Client().Do(req)
		if err == nil {
			resp.Body.Close()
		}
		errc <- err
	}()
	<-started
	cancel()
	select {
	case <-cancelled:
	case <-time.After(20 * time.Second):
		t.Fatal("the server's request was not cancelled after the client went away")
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("client: %v; want context.Canceled", err)
	}
}

func TestProxyMalformedAnswers(t *testing.T) {
	for name, answer := range map[string]string{
		"not HTTP":             "SSH-2.0-OpenSSH\r\n\r\n",
		"conflicting lengths":  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
		"bad status":           "HTTP/1.1 2x0 OK\r\n\r\n",
		"headers over 1 MiB":   "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", 1<<20+10) + "\r\n\r\n",
		"101 without upgrade":  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
		"closed before answer": "",
	} {
		t.Run(name, func(t *testing.T) {
			addr := rawBackend(t, func(c net.Conn) {
				if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
					_, _ = io.WriteString(c, answer)
				}
			})
			_, srv := front(t, addr, nil)
			resp, body := send(t, srv, newRequest(t, http.MethodGet, srv.URL+"/", nil))
			_, port, _ := net.SplitHostPort(addr)
			if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, `deployment "production" of project "proj"`) || strings.Contains(body, port) {
				t.Errorf("%d %q; want 502 naming the deployment, not the address", resp.StatusCode, body)
			}
		})
	}
}

func TestProxyBodyCutShort(t *testing.T) {
	addr := rawBackend(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part")
		}
	})
	_, srv := front(t, addr, nil)
	req := newRequest(t, http.MethodGet, srv.URL+"/", nil)
	req.Host = "proj.localhost"
	resp, err := srv.Client().Do(req)
	if err != nil {
		return // cut before its headers left the router
	}
	defer resp.Body.Close()
	if b, err := io.ReadAll(resp.Body); err == nil {
		t.Errorf("a response cut by the server arrived whole: %q", b)
	}
}

func TestProxyCloseDelimitedBody(t *testing.T) {
	addr := rawBackend(t, func(c net.Conn) {
		if _, err := http.ReadRequest(bufio.NewReader(c)); err == nil {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")
		}
	})
	_, srv := front(t, addr, nil)
	for range 2 { // the second on a new connection
		resp, body := send(t, srv, newRequest(t, http.MethodGet, srv.URL+"/", nil))
		if resp.StatusCode != http.StatusOK || body != "until the end" {
			t.Errorf("%d %q; want 200 until the end", resp.StatusCode, body)
		}
	}
}

// TestProxyReusesConnections checks that answers without a body (HEAD,
// 204, 304) and with one leave the connection ready for the next request.
func TestProxyReusesConnections(t *testing.T) {
	var conns atomic.Int32
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/204":
			w.WriteHeader(http.StatusNoContent)
		case "/304":
			w.WriteHeader(http.StatusNotModified)
		default:
			w.Header().Set("Content-Length", "5")
			_, _ = io.WriteString(w, "hello")
		}
	}))
	backend.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	backend.Start()
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)
	for _, tc := range []struct {
		method, path string
		status       int
		body, length string
	}{
		{http.MethodHead, "/", 200, "", "5"},
		{http.MethodGet, "/204", 204, "", ""},
		{http.MethodGet, "/304", 304, "", ""},
		{http.MethodGet, "/", 200, "hello", "5"},
		{http.MethodHead, "/", 200, "", "5"},
	} {
		resp, body := send(t, srv, newRequest(t, tc.method, srv.URL+tc.path, nil))
		if resp.StatusCode != tc.status || body != tc.body || resp.Header.Get("Content-Length") != tc.length {
			t.Errorf("%s %s: %d %q Content-Length %q; want %d %q %q", tc.method, tc.path, resp.StatusCode, body,
				resp.Header.Get("Content-Length"), tc.status, tc.body, tc.length)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("the backend saw %d connections for 5 requests in a row; want 1", n)
	}
}

func TestProxyRequestBodies(t *testing.T) {
	type seen struct {
		Method, Body, Expect, Trailer string
		Length                        int64
		Chunked                       bool
	}
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_ = json.NewEncoder(w).Encode(seen{Method: r.Method, Body: string(b), Expect: r.Header.Get("Expect"),
			Trailer: r.Trailer.Get("X-Check"), Length: r.ContentLength, Chunked: len(r.TransferEncoding) > 0})
	}))
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)
	large := strings.Repeat("0123456789", 20<<10) // 200 KiB: streamed with its length

	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		want   seen
		header string
	}{
		{"small POST", func() *http.Request {
			return newRequest(t, http.MethodPost, srv.URL+"/", strings.NewReader(`{"a":1}`))
		}, seen{Method: "POST", Body: `{"a":1}`, Length: 7}, ""},
		{"empty POST", func() *http.Request {
			return newRequest(t, http.MethodPost, srv.URL+"/", http.NoBody)
		}, seen{Method: "POST", Length: 0}, ""},
		{"large PUT", func() *http.Request {
			return newRequest(t, http.MethodPut, srv.URL+"/", strings.NewReader(large))
		}, seen{Method: "PUT", Body: large, Length: int64(len(large))}, ""},
		{"chunked with trailer", func() *http.Request {
			req := newRequest(t, http.MethodPost, srv.URL+"/", io.MultiReader(strings.NewReader("chunk-1,"), strings.NewReader("chunk-2")))
			req.ContentLength = -1
			req.Trailer = http.Header{"X-Check": {"sum"}}
			return req
		}, seen{Method: "POST", Body: "chunk-1,chunk-2", Length: -1, Chunked: true, Trailer: "sum"}, ""},
		{"expect 100-continue", func() *http.Request {
			req := newRequest(t, http.MethodPost, srv.URL+"/", strings.NewReader("after continue"))
			req.Header.Set("Expect", "100-continue")
			return req
		}, seen{Method: "POST", Body: "after continue", Length: 14}, ""},
	} {
		resp, body := send(t, srv, tc.req())
		var got seen
		if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("%s: %d %.100q (%v)", tc.name, resp.StatusCode, body, err)
			continue
		}
		if got != tc.want {
			t.Errorf("%s: backend saw %+.100v; want %+.100v", tc.name, got, tc.want)
		}
	}
}

func TestProxyEarlyHints(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Link", "</app.css>; rel=preload")
		w.WriteHeader(http.StatusEarlyHints)
		w.Header().Del("Link")
		_, _ = io.WriteString(w, "page")
	}))
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)
	var hints []string
	trace := &httptrace.ClientTrace{Got1xxResponse: func(code int, h textproto.MIMEHeader) error {
		hints = append(hints, fmt.Sprintf("%d %s", code, h.Get("Link")))
		return nil
	}}
	req := newRequest(t, http.MethodGet, srv.URL+"/", nil)
	req = req.WithContext(httptrace.WithClientTrace(req.Context(), trace))
	resp, body := send(t, srv, req)
	if resp.StatusCode != http.StatusOK || body != "page" || len(hints) != 1 || hints[0] != "103 </app.css>; rel=preload" {
		t.Errorf("%d %q, 1xx %q; want 200 page after 103 with the Link", resp.StatusCode, body, hints)
	}
	if resp.Header.Get("Link") != "" {
		t.Errorf("the final response carries the 103's Link %q", resp.Header.Get("Link"))
	}
}

// TestProxyRefusesUnsendableRequests covers requests an embedder builds by
// hand and passes to ServeHTTP: what cannot be written safely gets 400 and
// reaches no server.
func TestProxyRefusesUnsendableRequests(t *testing.T) {
	var hits atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	t.Cleanup(backend.Close)
	r, _ := front(t, backend.Listener.Addr().String(), nil)
	for name, change := range map[string]func(*http.Request){
		"header value with CRLF": func(req *http.Request) { req.Header.Set("X-A", "v\r\nInjected: 1") },
		"header name with space": func(req *http.Request) { req.Header["X A"] = []string{"v"} },
		"method with space":      func(req *http.Request) { req.Method = "GET /evil" },
		"query with newline":     func(req *http.Request) { req.URL.RawQuery = "a=1\nb" },
		"short body": func(req *http.Request) {
			req.Method, req.Body, req.ContentLength = http.MethodPost, io.NopCloser(strings.NewReader("abc")), 10
		},
	} {
		req := httptest.NewRequest(http.MethodGet, "http://proj.localhost/x", nil)
		change(req)
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, req)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("%s: status %d %q; want 400", name, rec.Code, rec.Body.String())
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the backend got %d requests; want none", n)
	}
}

func TestProxyCleansQuery(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.URL.RawQuery)
	}))
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)
	for query, want := range map[string]string{
		"q=a%20b&r":   "q=a%20b&r", // as sent
		"a=1;b=2&c=3": "c=3",       // semicolons: re-encoded without the pair servers split differently
		"x=1&y=%zz":   "x=1",       // a bad escape
	} {
		if _, got := send(t, srv, newRequest(t, http.MethodGet, srv.URL+"/?"+query, nil)); got != want {
			t.Errorf("query %q reached the server as %q; want %q", query, got, want)
		}
	}
}

func TestProxyFlushInterval(t *testing.T) {
	release := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "10")
		_, _ = io.WriteString(w, "first")
		_ = http.NewResponseController(w).Flush()
		<-release
		_, _ = io.WriteString(w, "-last")
	}))
	t.Cleanup(backend.Close)
	t.Cleanup(func() {
		select {
		case <-release:
		default:
			close(release)
		}
	})
	_, srv := front(t, backend.Listener.Addr().String(), &local.Options{FlushInterval: 10 * time.Millisecond})
	req := newRequest(t, http.MethodGet, srv.URL+"/", nil)
	req.Host = "proj.localhost"
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	first := make([]byte, 5)
	if _, err := io.ReadFull(resp.Body, first); err != nil || string(first) != "first" {
		t.Fatalf("first part %q, %v", first, err)
	}
	close(release)
	if rest, err := io.ReadAll(resp.Body); err != nil || string(rest) != "-last" {
		t.Errorf("rest %q, %v; want -last", rest, err)
	}
}

// TestIdleConnectionsClosed checks that the router lets go of a server's
// kept-alive connections when no route leads there any more, and of all
// of them when it closes.
func TestIdleConnectionsClosed(t *testing.T) {
	var open atomic.Int32
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	backend.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	backend.Start()
	t.Cleanup(backend.Close)
	waitOpen := func(want int32, what string) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); open.Load() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the backend has %d open connections; want %d", what, open.Load(), want)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}

	r, srv := front(t, backend.Listener.Addr().String(), nil)
	send(t, srv, newRequest(t, http.MethodGet, srv.URL+"/", nil))
	waitOpen(1, "after a request")
	if err := r.RemoveRoute(t.Context(), "d1"); err != nil {
		t.Fatal(err)
	}
	waitOpen(0, "after RemoveRoute")

	r2, srv2 := front(t, backend.Listener.Addr().String(), nil)
	send(t, srv2, newRequest(t, http.MethodGet, srv2.URL+"/", nil))
	waitOpen(1, "after a request to a second router")
	if err := r2.Close(); err != nil {
		t.Fatal(err)
	}
	waitOpen(0, "after Close")
}

// TestProxyStreamedUploadAnsweredEarly: a server that answers before it has
// read a large body must not leave the router stuck writing it.
func TestProxyStreamedUploadAnsweredEarly(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Connection", "close")
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
	}))
	t.Cleanup(backend.Close)
	_, srv := front(t, backend.Listener.Addr().String(), nil)
	body := bytes.Repeat([]byte("x"), 16<<20)
	resp, got := send(t, srv, newRequest(t, http.MethodPost, srv.URL+"/upload", bytes.NewReader(body)))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || got != "too large\n" {
		t.Errorf("%d %q; want the server's 413", resp.StatusCode, got)
	}
}
