// Package local is an in-process admin.Router: a reverse proxy, built on
// net/http/httputil.ReverseProxy, that sends each request to the deployed
// Mastra server its host name or path names.
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
// headers are dropped, since nothing behind them can be trusted. Server-sent
// events and responses of unknown length are flushed after every write, so
// streams reach the client as they are produced (a small response of known
// length goes out in one write; see Options.FlushInterval); request bodies
// are streamed too;
// WebSocket and other protocol upgrades pass through. Backend connections
// are kept alive and reused (Options.Transport; the default keeps up to 512
// idle connections per server and never uses an environment proxy).
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
// in any other way. Bodies name the deployment and project, never the
// server's address, which is logged instead. As with any ReverseProxy, a
// failure after the response has started aborts the response
// (http.ErrAbortHandler), which net/http servers handle.
//
// # Serving
//
// Router is an http.Handler, so an embedder can mount it on any listener
// or mux. ListenAndServe (default address ":3100") and Serve run a server
// with sensible timeouts that shuts down gracefully when the context is
// done: new connections stop, requests in flight get Options.ShutdownTimeout
// to finish, then what is left (long streams, WebSockets) is cut. Close
// stops such servers at once.
//
// # Performance
//
// BenchmarkProxy (go test -bench Proxy) and bench/wrk.sh compare requests
// through the router with requests sent straight to the same loopback
// backend in the same run and report the ratio.
package local
