// Package local is an in-process admin.Router: a reverse proxy that sends
// each request to the deployed Mastra server its host name or path names.
//
// # Use
//
//	r, err := local.New(&local.Options{BaseDomain: "apps.example.internal"})
//	...
//	go r.ListenAndServe(ctx, ":3100") // or mount r (an http.Handler) on any server
//	err = r.SetRoute(ctx, admin.Route{DeploymentID: d.ID, ProjectSlug: "job-matching-agent",
//		DeploymentSlug: "pr-456", Target: "127.0.0.1:4101"})
//	url := r.PublicURL(route) // http://pr-456--job-matching-agent.apps.example.internal:3100
//
// # Routing
//
// A request whose Host (any case, port and trailing dot ignored) is a
// subdomain of the base domain is routed by host name:
// {project}.{baseDomain} reaches the project's production route,
// {deployment}--{project}.{baseDomain} its staging or preview route. Every
// other request — the base domain itself (plain http://localhost:3100), an
// IP address, any foreign name — is routed by path: /{project}/{deployment}/rest
// reaches that route's server as /rest, with the query and the path's
// escaping unchanged and X-Forwarded-Prefix set to /{project}/{deployment}.
// Path routing always uses the deployment slug, "production" for production.
// Path segments are matched exactly (slugs are lower case).
//
// The route table is immutable: SetRoute and RemoveRoute build a new one
// and publish it with one atomic store, so a request is routed by the table
// before a change or after it, never by a mix, and requests in flight finish
// on the server they started on. A route that would take another
// deployment's host name or path is refused with admin.ErrAlreadyExists.
//
// # Proxying
//
// The server sees its own host:port as Host, and X-Forwarded-For, -Host and
// -Proto describing the client; the client's own X-Forwarded-* and Forwarded
// headers are dropped, since nothing behind them can be trusted, and so are
// hop-by-hop headers (Connection and the headers it names, Keep-Alive,
// Proxy-*, TE but "trailers", Transfer-Encoding, Upgrade) both ways.
// Server-sent events and responses of unknown length are flushed after
// every write, so streams reach the client as they are produced (a small
// response of known length goes out in one write; see
// Options.FlushInterval); trailers and 1xx responses (103 Early Hints) pass
// through. Request bodies of known length up to 64 KiB are read whole
// before the request is sent; longer ones and chunked ones are streamed
// while the response comes back. WebSocket and other protocol upgrades pass
// through. A client that goes away cancels its request to the server.
//
// Requests go out on the router's own HTTP/1.1 client: per server address,
// a pool of up to 512 idle keep-alive connections (closed after 90 s idle,
// when no route leads to the address any more, and on Close), each used by
// one request at a time in the goroutine that serves it, with the request's
// headers written straight from the client's request to the connection.
// A server may close a kept-alive connection at any time (Node.js does
// after 5 s idle): a GET, HEAD, OPTIONS or TRACE without a body, or a
// request with an Idempotency-Key, that finds its connection closed
// before any answer is sent again once on a new connection; any other
// request first checks that its pooled connection is still open, so it is
// never sent twice. Protocol upgrades go through httputil.ReverseProxy, and
// so does every request when Options.Transport is set. The event loops of
// Serve (see Serving) keep pools of their own, under the same rules.
//
// # Errors
//
// Route changes return errors wrapping admin sentinels: ErrInvalidArgument
// (a *admin.ValidationError naming the field; see router.ValidateRoute),
// ErrAlreadyExists, ErrNotFound from RemoveRoute, ErrClosed after Close.
//
// Requests get the router's own errors as text/plain (JSON when the client
// accepts application/json): 404 for a host or path with no route, naming
// it; 503 with Retry-After (Options.RetryAfter) when the deployment has no
// server yet or its server refuses connections; 502 when the server fails
// in any other way, or answers what is not HTTP/1.x (headers over 1 MiB,
// conflicting lengths, 101 to a request without Upgrade); 400 when a
// request handed to ServeHTTP cannot be written safely (a header with CR or
// LF, a body shorter than its Content-Length). Bodies name the deployment
// and project, never the server's address, which is logged instead. A
// failure after the response has started aborts the response
// (http.ErrAbortHandler, which net/http servers handle), so that the client
// sees it cut, never complete.
//
// # Serving
//
// Router is an http.Handler, so an embedder can mount it on any listener
// or mux. ListenAndServe (default address ":3100") and Serve run the
// router's own HTTP/1.1 server: requests are parsed by net/http's parser
// and held to net/http's server rules (one valid Host, no control bytes in
// headers, 1 MiB of headers in 10 s, 2 min idle, only the chunked transfer
// coding, 100-continue), with one goroutine per connection and none per
// request; a client that goes away is noticed by a read started once a
// request has run for 50 ms, and by the next write. HTTP/2 is not offered
// (terminate it in front, or mount the router on an http.Server). The
// server shuts down gracefully when the context is done: new connections
// stop, requests in flight get Options.ShutdownTimeout to finish, then what
// is left (long streams, WebSockets) is cut. Close stops it at once.
//
// On Linux, unless Options.NoEventLoop is set or Options.Transport is,
// Serve also runs one event loop per GOMAXPROCS but one (at least one,
// leaving a P to the rest of the program), each on its own thread
// with its own epoll set and its own pool of connections to the deployed
// servers. Every new TCP connection goes to a loop, which serves the
// common requests itself: no goroutine per connection, heads parsed in
// place, one read and one write per request on each side. It takes the
// requests it reads exactly as net/http would and forwards exactly as
// above (routing, X-Forwarded-*, hop-by-hop headers, query cleaning, Host,
// sending again a GET that finds its kept-alive connection closed), and
// nothing else: HTTP/1.1 GET, POST, PUT, PATCH, DELETE and OPTIONS with an
// origin-form target, no body or a Content-Length one of up to 64 KiB, one
// Host, heads under 16 KiB of printable ASCII with no folding or bare LF;
// answers of HTTP/1.1 with a Content-Length, status 200-599 but 204 and
// 304, no Transfer-Encoding, Trailer or Upgrade. Anything else, and every
// answer the router makes itself (404, 503, 400...), goes to the server
// loop above with every byte read so far: a request not yet sent with the
// client connection; a request whose answer needs more (chunked, unframed,
// 1xx, a malformed head, a server that failed to answer) with both
// connections, the server loop then reading the answer. Server-sent events
// over chunked answers, WebSocket, streamed uploads, 100-continue, HTTP/1.0
// and HEAD therefore behave as described above. A connection handed over
// stays with the server loop. The trade-off: two ways of serving to keep
// in step (FuzzEventLoop sends arbitrary bytes to both and compares the
// answers) for about half the CPU time per plain request; NoEventLoop
// turns the loops off.
//
// # Performance
//
// bench/wrk.sh runs a tiny Go backend and the router as two processes on
// loopback, starts nginx (1 worker, keep-alive upstream) in front of the
// same backend when it is installed, and loads each with wrk in turn,
// several rounds; it prints requests/s, latency and the CPU time each proxy
// spends per request, and the router ÷ nginx and router ÷ direct ratios.
// BenchmarkProxy (go test -bench Proxy) compares, in one process, requests
// sent straight to a backend with the same requests through Serve, through
// the router mounted on a net/http server, and through
// httputil.ReverseProxy.
//
// bench/wrk.sh's columns: nginx (1 worker); router (Serve, event loops on);
// router1 (the same with GOMAXPROCS=1: one loop, one thread, as nginx's
// one worker); srvloop (Serve with NoEventLoop: every request read by
// net/http's parser in a goroutine per connection, the router as it was
// before the event loops); bound (benchserver -role bound: one epoll loop
// relaying heads and Content-Length answers with no routing and no checks,
// not a proxy but the least one can do). Five runs on a 2-CPU virtual
// machine shared with other builds (3 rounds of 5 s, wrk -t2, 64-byte
// answers, nginx 1.22; req/s swing by up to 2× between rounds with the
// load, CPU time per request less), ratios of the means of req/s, CPU per
// request as the means over the rounds:
//
//	at 32 connections     load   router   router1  srvloop  bound   CPU µs: nginx router router1 srvloop
//	run 1 (before)        17-12  0.76×    0.72×    -        1.25×          23.6   43.9    44.3    -
//	run 2                  2     1.29×    1.12×    -        1.28×          24.4   25.6    22.8    -
//	run 3                 10-11  0.96×    1.14×    0.79×    1.08×          27.3   31.9    27.5   47.7
//	run 4                 11-12  1.20×    1.12×    0.75×    1.15×          30.2   31.7    25.1   49.1
//	run 5                 16-11  0.95×    0.88×    0.69×    1.03×          23.4   27.5    25.1   41.2
//
// (by round, router ÷ nginx: run 2 1.16-1.67×, run 3 0.75-1.16×, run 4
// 0.94-1.76×, run 5 0.86-1.01×; at 4 connections, of the means: run 2
// 0.77×, run 3 1.08×, run 4 0.92×, run 5 0.94×.) So with its event loops
// the router is level with nginx at 32 connections on this machine (0.95×
// to 1.29× of the means, as the bound's 1.03× to 1.28×: the noise of a
// shared machine), where it reached 0.64-0.76× before (srvloop, the same
// in the same runs: 0.69-0.79×): its CPU time per request falls from
// 41-49 µs to 26-32 µs, nginx's being 23-30 µs, router1's 23-28 µs. The
// router spends a little more than router1 because two loops on two CPUs
// each find fewer events per wake-up. At 4 connections, where every
// request costs its own wake-ups, it is at 0.8-1.1× nginx.
//
// After the loops began to wait for events as a raw system call before
// an ordinary one and left one P to the rest of the program (sysmon had
// taken 16-19% of the router's CPU time taking the waiting loops' Ps away
// and back), a run of 3 rounds of 3 s at load 2-3: router ÷ nginx
// 1.10-1.16× by round at 32 connections (CPU per request 23.4 µs against
// nginx's 29.0 µs), 0.95-1.04× at 4.
//
// What limits it now is the kernel: in a CPU profile of the router under
// wrk, 85% of its time is in read, write and epoll_wait (one read and one
// write per request on each side, as nginx and the bound do); parsing,
// routing and header rules take about 5%. Going further would take fewer
// system calls (io_uring, or several answers per write when a client
// pipelines), not a faster parser. Before the event loops the extra 13-17
// µs per request were the goroutine per connection (parked and woken by
// the netpoller twice per request, with futex wake-ups between threads)
// and net/http's parsers and allocations, with the same system calls
// (counted with strace -c).
package local
