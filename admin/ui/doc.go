// Package ui is the browser dashboard of MastraAdmin: an http.Handler,
// mounted next to the HTTP API (package httpapi) in any router, that lets
// platform admins, team leads and developers do in a browser what the API
// does.
//
//	api, _ := httpapi.New(a, nil)
//	dash, _ := ui.NewHandler(a, &ui.Options{Prefix: "/ui"})
//	mux.Handle("/v1/", api)
//	mux.Handle("/ui/", dash)
//
// # What it is made of
//
// Pages are rendered on the server with html/template; htmx (the npm
// package htmx.org, version HTMXVersion, vendored with its licence) refreshes
// the live parts (deployment and build statuses, the build queue), and a
// small plain script runs the widgets: the live build log (server-sent
// events with ANSI colours, pause, search and download), confirmations,
// the dark-mode toggle and the single sign-on landing page. Every asset is
// embedded with go:embed: a clean checkout builds with go build, with no
// JavaScript build step and nothing loaded from a CDN.
//
// # Pages
//
// Team switcher and overview; a new project from the picker of every
// configured Source (local, git, GitHub: each lists its projects; one that
// cannot, such as GitHub unreachable, says why and leaves the others
// usable); a project's deployments and its previews (the pull-request and
// branch previews the platform made: number, branch, status, URL, age;
// approve a fork's head commit, tear down); a deployment (status, URL through the
// router, server, builds, env-var overrides; deploy, redeploy, cancel,
// rollback to a chosen build, promote a staging or preview build to
// production, stop, delete, each confirmed); a build with
// its live log; env vars (names only: values are write-only); members and
// roles, and the team's settings (rename, delete); API tokens (a new
// token's value shown once); the team's build queue; the audit log with
// filters; for platform admins, users (make or revoke platform admin,
// delete) and licence and usage.
// With an observability store that answers queries
// (admin.WithObservabilityStore): a project's traces with filters, a
// trace's waterfall with a span panel (input, output, tokens, cost,
// error), logs search with a live tail, and metrics charts drawn on the
// server in SVG (runs, errors, latency percentiles, tokens and cost by
// model).
//
// The header's refresh control sets how often the live parts poll: the
// dashboard's default (Options.RefreshInterval), 5 s, 30 s or off,
// remembered per browser in a cookie. Options.ReadOnly makes a dashboard
// that shows everything and changes nothing: no page has a control that
// changes anything, whatever the user's role, and every change posted
// anyway is refused (403); signing in and out still work.
//
// # Mounting under a prefix
//
// Options.Prefix is where the dashboard lives ("/ui"; "" for the root).
// Every URL it writes starts with it, its cookie is scoped to it, and it
// accepts requests with the prefix still on the path (net/http's
// mux.Handle("/ui/", h), chi's r.Mount("/ui", h), gin's
// r.Any("/ui/*path", gin.WrapH(h)), echo's e.Any("/ui/*", echo.WrapHandler(h)))
// as well as requests whose prefix was stripped (http.StripPrefix).
//
// # Signing in, sessions and CSRF
//
// Users sign in with an API token (admin.Admin.CreateToken; the
// quickstart writes one to .mastra/api-token), verified by the same
// httpapi.Authenticator the API uses (Options.Authenticators), or with
// single sign-on: set Options.SSOLoginURL to oidcauth's login route and
// oidcauth's PostLoginRedirect to {Prefix}/auth/sso. Each sign-in gets
// an API token of its own, named "dashboard session" (SessionTokenName;
// for single sign-on, the token oidcauth minted for it), kept with the
// pasted credential in an AES-256-GCM sealed, HttpOnly, SameSite=Lax
// cookie (key: Options.CookieKey). Both are authenticated again on every
// request, so a revoked or expired token ends the session at once.
// Sign-out revokes the session's token in the Admin's Storage: a copy of
// the cookie is refused afterwards, after restarts too and by every
// dashboard sharing that Storage, while the pasted token itself stays
// valid. Revoking a "dashboard session" token on the API tokens page
// signs that session out. Every
// state-changing request must carry the session's CSRF token (a hidden
// form field, or the X-CSRF-Token header that htmx sends) and must not
// come from another origin (net/http's CrossOriginProtection); sign-in
// makes a new CSRF token.
//
// # Permissions
//
// The dashboard calls the Admin's methods as the signed-in principal
// (admin.WithPrincipal): the Admin's RBAC decides, and the dashboard never
// grants anything itself. Pages hide the controls the user's role does not
// allow (a viewer sees no button that changes anything); a request made
// anyway is refused by the Admin and shown as an error.
//
// # Security headers
//
// Every response carries a Content-Security-Policy that allows only the
// dashboard's own scripts, styles and connections (no inline script, no
// eval, no framing), X-Content-Type-Options: nosniff, X-Frame-Options:
// DENY and Referrer-Policy: same-origin. Token values are shown once, in
// the response that created them, and never logged.
//
// # Errors
//
// NewHandler fails with admin.ErrInvalidArgument for a nil Admin or bad
// Options. Pages answer the Admin's errors with their status (404, 403,
// 409, 422 with the message next to the form field it names) and internal
// errors with 500 and an error id that the log line carries.
package ui
