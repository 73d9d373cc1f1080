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
// Serve also runs one event loop per GOMAXPROCS, each on its own thread
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
// Figures from one run of bench/wrk.sh (3 rounds of 5 s, wrk -t2 -c32,
// 64-byte responses, nginx 1.22) on a 2-CPU virtual machine shared with
// other engineers' builds (load average 25 to 28, so throughput swings by
// 2× between rounds; CPU per request is steadier), with the router as it
// was before its own server and client ("before": httputil.ReverseProxy
// behind net/http's server) in the same run:
//
//	                          req/s, 3 rounds    CPU per request
//	backend directly          12,955-25,049      20-32 µs (the backend's)
//	nginx, 1 worker            9,106-18,160      23-32 µs
//	router                     8,077-11,581      44-54 µs
//	router, GOMAXPROCS=1       6,960-12,971      46-52 µs
//	router before              3,966-5,853       80-91 µs
//
// router ÷ nginx: 0.64-0.89× by round (0.72× of the means), up from
// 0.22-0.64× (0.34×) before; at 4 connections 0.57-0.72×. A second run
// (load average 24 to 36) gave 0.63-0.88× (0.71×), before 0.46-0.56×
// (0.51×), with 40-41 µs of CPU per request against nginx's 25-30 µs and
// 60-69 µs before. (The 0.62× measured earlier on a quiet machine had the
// router and the backend in one process, sharing its threads.)
//
// So the router does not reach nginx. Its own server and client cut its
// CPU time per request by about 40% (no request copy, no header map
// copies, no goroutine per request, no hand-offs between Transport's read
// and write loops). In its CPU profile about half of what is left is
// system calls, then net/http's parsers (request and response: about 15
// of the 24 allocations a request makes) and the scheduler.
//
// bench/wrk.sh's bound column tells which part matters: benchserver -role
// bound, one epoll loop on one thread that relays request heads and
// Content-Length answers with no routing and no checks (not a proxy, the
// least one can do). Three runs (load average 15 to 22; at 32 connections,
// CPU per request as means over 3 rounds):
//
//	                 router ÷ nginx    bound ÷ nginx    CPU µs: nginx  router  bound
//	run 1            0.54-0.83×        0.71-1.20×             25.3    41.8    23.1
//	run 2            0.56-0.77×        0.96-1.15×             29.6    44.2    25.9
//	run 3            0.65-0.75×        0.81-1.04×             27.0    40.3    24.0
//
// (of the means: router 0.64×, 0.65×, 0.71×; bound 0.89×, 1.05×, 0.95×; at
// 4 connections router 0.76-0.86×, bound 0.93-1.05×). Counted with strace
// -c, the bound and the router both make one read and one write per
// request on each side (the router 0.3 more reads that find nothing); the
// bound spends a little less than nginx (0.88-0.91×), the router 1.5-1.65×
// as much. So the system calls are not the difference: the router's extra
// 13-17 µs per request are its goroutine per connection (parked and woken
// by the netpoller twice per request, with futex wake-ups between threads)
// and net/http's parsers and allocations. Reaching nginx takes an
// event-loop path for plain requests (reads on readiness, heads parsed in
// place, upstream connections in the same loop) that hands bodies,
// upgrades and streams to the current server: the event loops of Serve
// (see Serving). The figures above are from before them.
package local
