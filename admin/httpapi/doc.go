// Package httpapi is the HTTP API of an *admin.Admin: REST under /v1 and a
// WebSocket for live build logs, as one http.Handler that any Go server or
// router mounts — net/http, chi, gin, echo (see examples/). It has no router
// dependency: routes are Go 1.22 http.ServeMux patterns, kept in one route
// table that the served OpenAPI document (GET /v1/openapi.json, .yaml) and
// the tests are checked against.
//
//	h, err := httpapi.New(a, &httpapi.Options{AllowedOrigins: []string{"https://console.example.com"}})
//	...
//	defer h.Close()                                   // ends WebSocket streams
//	mux.Handle("/", h)                                // at the root, or under a prefix:
//	mux.Handle("/admin/", http.StripPrefix("/admin", h))
//
// Every business rule (validation, RBAC, license, audit) stays in the
// Admin: a handler decodes, calls one Admin method with the caller's
// principal in the context, and encodes.
//
// # Walk-through
//
// The README's section "The HTTP API, step by step" is the walk-through,
// kept in one place: a shell script that creates a team, a project from
// the local source, env vars and a deploy with curl, follows the build log
// over the WebSocket, and calls the deployed server through the router.
// examples/quickstart's TestREADMEWalkThrough runs it as the README shows
// it, against the quickstart and a real Mastra build.
//
// The quickstart makes the platform's first user and keeps their token in
// its data directory. A server with no user yet (the nethttp, chi, gin and
// echo examples) takes one POST /v1/bootstrap, which creates the first
// user and answers with an API token, shown once:
//
//	curl -s localhost:3001/v1/bootstrap -H 'content-type: application/json' \
//	     -d '{"email":"me@example.com","name":"Me"}'
//	# {"user":{…},"token":{…},"secret":"mat_…"}
//
// From a browser, which cannot set headers on a WebSocket, pass the token as
// a subprotocol (the server answers with "mastra-admin.v1" and never echoes
// the token), or, as a last resort, as ?access_token= (query strings end up
// in proxy logs):
//
//	new WebSocket(`wss://admin.example.com/v1/builds/${id}/logs/ws?from=${lastSeq + 1}`,
//	              ["mastra-admin.v1", "bearer." + token])
//
// # The WebSocket stream
//
// GET /v1/builds/{id}/logs/ws?from=N sends JSON text messages (see
// StreamMessage): a "status" message with the build and its deployment
// first; "log" messages for the lines from seq N on, those already held and
// then each new one as it is written; a "status" message, with the
// deployment read again, whenever the build's status changes (read every
// Options.StatusPollInterval, one poll per build shared by all its
// followers, since the Admin offers no status events); and, once the build
// has ended and its whole log was sent, an "end" message with the final
// build and deployment (running at its public URL after a successful
// deploy) and a normal closure (1000 "build ended"). Every log message
// carries its seq, so a client that reconnects with from=lastSeq+1 misses
// and repeats nothing. A client whose send buffer (Options.WebSocketBuffer
// messages) stays full for half of Options.WriteTimeout is closed with
// 1008 "too slow"; each follower reads the log cache at its own pace, so a
// slow client slows nothing else. Closing the Handler closes streams with
// 1001. The upgrade is done by the Handler itself through http.Hijacker, on
// the ResponseWriter the server or framework passed in, which is what makes
// it work behind every router.
//
// # Authentication
//
// Every route but the public ones (bootstrap, the OpenAPI document, SSO
// login) needs a bearer credential; Options.Authenticators are asked in
// order, by default TokenAuthenticator (the Admin's API tokens). Package
// oidcauth adds OpenID Connect ID tokens and the browser login flow. A
// request without credentials is refused with 401 before any work, with
// WWW-Authenticate: Bearer realm="mastra-admin" (and error="invalid_token"
// when a credential was sent and refused). POST /v1/bootstrap works only
// while the platform has no user; expose a fresh server only after it was
// bootstrapped, or bootstrap it from code.
//
// # Errors
//
// Every error is {"error":{"code":…,"message":…,"field":…}}, mapped from
// the admin sentinels in one place:
//
//	400 invalid_argument   malformed request: JSON syntax, wrong type, unknown field, trailing data,
//	                       bad query or path parameter, non-canonical path (., .., encoded / or \)
//	413 too_large          body over Options.MaxBodyBytes (1 MiB)
//	415 unsupported_media_type  a body that is not application/json
//	422 invalid_argument   a value the Admin refused (admin.ErrInvalidArgument; field names it)
//	401 unauthenticated    no or bad credential
//	403 forbidden          the principal lacks the permission (admin.ErrForbidden)
//	402 license            the license does not allow it (admin.ErrLicense): 402 rather than 403,
//	                       so that clients can tell "upgrade the license" from "ask for a role"
//	404 not_found, 405 method_not_allowed (with Allow), 409 already_exists / conflict
//	501 not_supported      the server lacks the provider (no runner, source type, encryption keys)
//	503 unavailable        the Admin or Handler is closed
//	500 internal           anything else, admin.ErrIntegrity included: a generic message and a
//	                       requestId; the detail is logged under that id
//
// Bodies are decoded strictly and size-limited; unknown query parameters
// are refused too. Listings take ?limit=&cursor=&order= and answer
// {"items":[…],"next":"…"} with items always an array and next absent on
// the last page. Values sent in (env vars, tokens) are never echoed in
// errors or logged; the access log has the path without its query string.
//
// # CORS
//
// Options.AllowedOrigins lists the browser origins that may call the API
// (with credentials); "*" allows any origin without credentials. Preflights
// from other origins are refused with 403; Vary: Origin is always set.
// WebSocket upgrades from a browser must come from the server's own origin
// or an allowed one.
package httpapi
