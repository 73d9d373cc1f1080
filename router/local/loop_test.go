package local_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router/local"
)

// These tests run Serve both ways: with its event loops (the default on
// Linux), which forward plain requests themselves and hand the rest to
// the server loop, and with Options.NoEventLoop, where the server loop
// reads everything. Both must give the same answers.

// serveModes runs f with the options of each way of serving.
func serveModes(t *testing.T, f func(t *testing.T, opts *local.Options)) {
	t.Run("EventLoop", func(t *testing.T) { f(t, &local.Options{}) })
	t.Run("ServerLoop", func(t *testing.T) { f(t, &local.Options{NoEventLoop: true}) })
}

// servedWith runs r.Serve with options and one production route "proj"
// to target and returns the router and its address.
func servedWith(t *testing.T, target string, opts *local.Options) (*local.Router, string) {
	t.Helper()
	r := newRouter(t, opts)
	if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
		Production: true, Target: target}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	addr, done := startServe(t, ctx, r)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return r, addr
}

// TestServeAnswerFramings sends one request after another on one client
// connection, each answered in another way: a length (which the event
// loop relays), chunked with trailers, 103 Early Hints, no length, more
// bytes than the length, Connection: close, a malformed head, a cut body,
// no answer, a large body (which the client reads slowly), and checks what
// the client gets of each, the hop-by-hop headers left out.
func TestServeAnswerFramings(t *testing.T) {
	serveModes(t, func(t *testing.T, opts *local.Options) {
		big := strings.Repeat("0123456789abcdef", 1<<18) // 4 MiB
		addr := rawBackend(t, func(c net.Conn) {
			br := bufio.NewReader(c)
			for {
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				var answer string
				switch req.URL.Path {
				case "/length":
					answer = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nKeep-Alive: timeout=5\r\nConnection: keep-alive\r\nX-Mine: 1\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\n\r\nhello"
				case "/chunked":
					answer = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n5\r\nhello\r\n0\r\nX-Sum: 5\r\n\r\n"
				case "/hints":
					answer = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
				case "/extra":
					// Bytes after the body: the connection must not carry
					// another request.
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 500 Stray\r\n\r\n")
					return
				case "/close":
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nbye")
					return
				case "/unframed":
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n\r\nuntil the end")
					return
				case "/malformed":
					_, _ = io.WriteString(c, "HTTP/1.1 2x0 OK\r\n\r\n")
					return
				case "/none":
					return
				case "/big":
					answer = "HTTP/1.1 200 OK\r\nContent-Length: " + fmt.Sprint(len(big)) + "\r\n\r\n" + big
				case "/cut":
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")
					return
				}
				if _, err := io.WriteString(c, answer); err != nil {
					return
				}
			}
		})
		_, front := servedWith(t, addr, opts)
		dial := func() (net.Conn, *bufio.Reader) {
			c, err := net.Dial("tcp", front)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			return c, bufio.NewReader(c)
		}
		// Each group on a connection of its own: the event loop relays the
		// first group itself, and hands each other connection over to the
		// server loop at its first answer.
		for _, group := range [][]string{
			{"/length", "/extra", "/length", "/close", "/length", "/big", "/length", "/chunked", "/length"},
			{"/hints", "/length"}, {"/unframed", "/length"}, {"/malformed", "/length"}, {"/none", "/length"},
		} {
			c, br := dial()
			for i, path := range group {
				if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: proj.localhost\r\n\r\n"); err != nil {
					t.Fatalf("%s: write: %v", path, err)
				}
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("%s: %v", path, err)
				}
				if path == "/big" {
					time.Sleep(100 * time.Millisecond) // a slow client: the router must wait for it
				}
				if path == "/hints" {
					if resp.StatusCode != http.StatusEarlyHints || resp.Header.Get("Link") != "</a.css>" {
						t.Errorf("%s: %d %v; want 103 with its Link", path, resp.StatusCode, resp.Header)
					}
					if resp, err = http.ReadResponse(br, nil); err != nil {
						t.Fatalf("%s: %v", path, err)
					}
				}
				b, err := io.ReadAll(resp.Body)
				body := string(b)
				want, wantStatus := map[string]string{"/length": "hello", "/chunked": "hello", "/hints": "ok", "/extra": "ok",
					"/close": "bye", "/unframed": "until the end", "/big": big}[path], http.StatusOK
				if path == "/malformed" || path == "/none" {
					want, wantStatus = "mastra-admin router: deployment \"production\" of project \"proj\" failed to answer\n", http.StatusBadGateway
				}
				if err != nil || resp.StatusCode != wantStatus || body != want {
					t.Errorf("%d %s: %d %.60q, %v; want %d %.60q", i, path, resp.StatusCode, body, err, wantStatus, want)
				}
				if path == "/length" {
					if h := resp.Header; h.Get("Keep-Alive") != "" || h.Get("X-Mine") != "1" || h.Get("Date") != "Mon, 01 Jan 2024 00:00:00 GMT" || h.Get("Connection") != "" {
						t.Errorf("%s: headers %v; want X-Mine and the server's Date, no Keep-Alive or Connection", path, h)
					}
				}
				if path == "/chunked" && resp.Trailer.Get("X-Sum") != "5" {
					t.Errorf("%s: trailers %v; want X-Sum 5", path, resp.Trailer)
				}
			}
		}
		// A cut body reaches the client cut (or not at all), and the
		// connection closes.
		c, br := dial()
		_, _ = io.WriteString(c, "GET /cut HTTP/1.1\r\nHost: proj.localhost\r\n\r\n")
		if resp, err := http.ReadResponse(br, nil); err == nil {
			if b, err := io.ReadAll(resp.Body); err == nil {
				t.Errorf("/cut: %d %q read whole; want it cut", resp.StatusCode, b)
			}
		}
		if n, err := br.ReadByte(); err == nil {
			t.Errorf("/cut: the connection goes on (%q); want it closed", n)
		}
	})
}

// TestServeServerClosedKeptAliveConnection is
// TestProxyServerClosedKeptAliveConnection through Serve, the requests on
// one client connection.
func TestServeServerClosedKeptAliveConnection(t *testing.T) {
	serveModes(t, func(t *testing.T, opts *local.Options) {
		serverClosedKeptAlive(t, func(t *testing.T, addr string) func(method, body string) (int, string) {
			_, front := servedWith(t, addr, opts)
			c, err := net.Dial("tcp", front)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = c.Close() })
			_ = c.SetDeadline(time.Now().Add(30 * time.Second))
			br := bufio.NewReader(c)
			return func(method, body string) (int, string) {
				_, _ = fmt.Fprintf(c, "%s / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: %d\r\n\r\n%s", method, len(body), body)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
		})
	})
}

// TestServeForwardedHeaders: what the server sees of a request with
// hop-by-hop headers, forged X-Forwarded-* and Forwarded, TE, a body and
// a query, host routed and path routed, through each way of serving.
func TestServeForwardedHeaders(t *testing.T) {
	serveModes(t, func(t *testing.T, opts *local.Options) {
		backend := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			b, _ := io.ReadAll(r.Body)
			var names []string
			for k, v := range r.Header {
				names = append(names, k+"="+strings.Join(v, ","))
			}
			fmt.Fprintf(w, "%s %s %s cl=%d body=%s %v", r.Method, r.Host, r.RequestURI, r.ContentLength, b, sortedStrings(names))
		})
		srv := newHTTPServer(t, backend)
		_, front := servedWith(t, srv, opts)
		for _, tc := range []struct{ raw, want string }{
			{"GET /a/b?x=1;y=2 HTTP/1.1\r\nHost: Proj.Localhost:3100\r\nConnection: keep-alive\r\nKeep-Alive: 5\r\nX-Forwarded-For: 6.6.6.6\r\n" +
				"x-forwarded-host: evil\r\nForwarded: for=6.6.6.6\r\nTE: trailers, deflate\r\nProxy-Connection: x\r\nX-Multi: 1\r\nx-multi: 2\r\n\r\n",
				"GET " + srv + " /a/b cl=0 body= [Te=trailers X-Forwarded-For=127.0.0.1 X-Forwarded-Host=Proj.Localhost:3100 X-Forwarded-Proto=http X-Multi=1,2]"},
			{"POST /proj/production/p%2Fq HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nIdempotency-Key: k\r\n\r\nabc",
				"POST " + srv + " /p%2Fq cl=3 body=abc [Content-Length=3 Idempotency-Key=k X-Forwarded-For=127.0.0.1 X-Forwarded-Host=localhost X-Forwarded-Prefix=/proj/production X-Forwarded-Proto=http]"},
			{"DELETE /proj/production HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
				"DELETE " + srv + " / cl=0 body= [X-Forwarded-For=127.0.0.1 X-Forwarded-Host=localhost X-Forwarded-Prefix=/proj/production X-Forwarded-Proto=http]"},
		} {
			out := exchange(t, front, tc.raw+"GET /x HTTP/1.1\r\nHost: proj.localhost\r\nConnection: close\r\n\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(strings.NewReader(out)), nil)
			if err != nil {
				t.Fatalf("%q: %v (all: %q)", tc.raw, err, out)
			}
			b, _ := io.ReadAll(resp.Body)
			if string(b) != tc.want {
				t.Errorf("server saw\n%s\nwant\n%s", b, tc.want)
			}
		}
	})
}

// newHTTPServer serves h on loopback and returns its address.
func newHTTPServer(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.Listener.Addr().String()
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}

// TestServeLeaksNothing: many clients come and go, in every way a
// connection can end (requests answered by the event loop, handed over
// before and after the server's answer, refused, cut by the client in the
// middle of a request or of a head, pipelined, idle); once they are gone
// and no route leads to the server any more, the process has the file
// descriptors and goroutines it had before, while Serve still runs, and
// again after it stops.
func TestServeLeaksNothing(t *testing.T) {
	if _, err := os.ReadDir("/proc/self/fd"); err != nil {
		t.Skip("no /proc/self/fd to count file descriptors")
	}
	serveModes(t, func(t *testing.T, opts *local.Options) {
		r := newRouter(t, opts)
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		fds0, goroutines0 := openFDs(t), runtime.NumGoroutine()
		front, done := startServe(t, ctx, r)
		// Serve has its listener and two goroutines (Serve's and the
		// accepting one), and each event loop a goroutine, an epoll set and
		// a pipe; there is one loop per GOMAXPROCS but one, at least one.
		loops := max(1, runtime.GOMAXPROCS(0)-1)
		if opts.NoEventLoop {
			loops = 0
		}
		serveFDs, serveGoroutines := 1+3*loops, 2+loops

		slow := make(chan struct{})
		backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			switch req.URL.Path {
			case "/slow":
				select {
				case <-slow:
				case <-req.Context().Done():
				}
			case "/stream":
				w.Header().Set("Content-Type", "text/event-stream")
				_, _ = io.WriteString(w, "data: 1\n\n")
			}
			_, _ = io.Copy(io.Discard, req.Body)
			_, _ = io.WriteString(w, "ok")
		}))
		if err := r.SetRoute(t.Context(), admin.Route{DeploymentID: "d1", ProjectSlug: "proj", DeploymentSlug: "production",
			Production: true, Target: backend.Listener.Addr().String()}); err != nil {
			t.Fatal(err)
		}
		inputs := []string{
			"GET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\nGET /a HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: proj.localhost\r\nContent-Length: 3\r\n\r\nabc",
			"GET /stream HTTP/1.1\r\nHost: proj.localhost\r\n\r\nGET / HTTP/1.1\r\nHost: proj.localhost\r\n\r\n",
			"POST / HTTP/1.1\r\nHost: proj.localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
			"GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n",
			"GARBAGE\r\n\r\n",
			"GET /slow HTTP/1.1\r\nHost: proj.localhost\r\n\r\n", // cut by the client while the server works
			"GET / HTTP/1.1\r\nHost: proj.lo",                    // cut in the middle of the head
			"",                                                   // idle
		}
		var wg sync.WaitGroup
		for i := range 300 {
			wg.Go(func() {
				c, err := net.Dial("tcp", front)
				if err != nil {
					t.Error(err)
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(30 * time.Second))
				in := inputs[i%len(inputs)]
				_, _ = io.WriteString(c, in)
				if !strings.Contains(in, "/slow") && (strings.HasSuffix(in, "\r\n\r\n") || strings.HasSuffix(in, "abc")) {
					_, _ = c.Read(make([]byte, 4096)) // an answer has begun
				}
			})
		}
		wg.Wait()
		close(slow)
		if err := r.RemoveRoute(t.Context(), "d1"); err != nil {
			t.Fatal(err)
		}
		backend.Close()
		waitBaseline := func(when string, wantFDs, wantGoroutines int) {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				fds, goroutines := openFDs(t), runtime.NumGoroutine()
				if fds <= wantFDs && goroutines <= wantGoroutines { // fewer: what earlier tests left has ended
					return
				}
				if time.Now().After(deadline) {
					buf := make([]byte, 1<<20)
					t.Fatalf("%s: %d file descriptors and %d goroutines; want at most %d and %d\n%s",
						when, fds, goroutines, wantFDs, wantGoroutines, buf[:runtime.Stack(buf, true)])
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
		waitBaseline("clients gone, Serve running", fds0+serveFDs, goroutines0+serveGoroutines)
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		waitBaseline("Serve stopped", fds0, goroutines0)
	})
}

// openFDs counts the process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}
