// Package routertest is the conformance suite for admin.Router adapters.
//
// # Running the suite
//
// An adapter's tests call Run with a function that returns a new, empty
// router and the http.Handler that serves its traffic (for an in-process
// proxy, the router itself):
//
//	func TestConformance(t *testing.T) {
//		routertest.Run(t, func(t *testing.T) (admin.Router, http.Handler) {
//			r, err := local.New(nil)
//			if err != nil {
//				t.Fatal(err)
//			}
//			return r, r
//		})
//	}
//
// Run serves the handler with net/http/httptest on loopback, starts its own
// backends there, and closes each router when its test ends. Every test gets
// a fresh router and runs in parallel with the others.
//
// # Writing an adapter
//
// An adapter implements admin.Router. What the suite checks:
//
//   - Names: PublicURL returns a host-style URL, {project}.{domain} for a
//     production route and {deployment}--{project}.{domain} otherwise (the
//     suite finds the adapter's domain from it); requests with that host,
//     in any case and with any port, reach the route's Target.
//   - Path routing: a request whose Host is an IP address is routed by path;
//     /{project}/{deployment}/rest reaches the Target as /rest, query and
//     escaping unchanged. Production's deployment slug is part of the path.
//   - Errors: unknown names get 404 with a body naming the host or path; a
//     route without Target, or whose Target refuses connections, gets 503
//     with a Retry-After in seconds, and the body never shows the Target.
//   - Headers: X-Forwarded-Host is the host the client asked for,
//     X-Forwarded-Proto its scheme, X-Forwarded-For its address.
//   - Changes: SetRoute adds or replaces by DeploymentID; RemoveRoute
//     removes, or fails with admin.ErrNotFound; Routes lists every route;
//     invalid routes (router.ValidateRoute) fail with admin.ErrInvalidArgument
//     and a route taking another deployment's host or path fails with
//     admin.ErrAlreadyExists, both leaving the routes unchanged; route
//     switches under concurrent load lose no request.
//   - Streaming: server-sent events and chunked responses arrive piece by
//     piece (each test waits for the first piece before the backend sends
//     the next: a buffering proxy makes it time out), request bodies are
//     streamed to the backend, and WebSocket connections pass through.
//   - Close: after Close, SetRoute and Routes fail with admin.ErrClosed.
//
// The package router has ValidateRoute, HostLabel and PathPrefix for an
// adapter to share.
package routertest
