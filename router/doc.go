// Package router holds what every admin.Router adapter shares: the public
// names of a route and the checks on a route's fields.
//
// # Routing names
//
// A route is reachable two ways:
//
//   - by host name: a production route at {project}.{baseDomain}, a staging or
//     preview route at {deployment}--{project}.{baseDomain}
//     (pr-456--job-matching-agent.indeed.internal); HostLabel gives the first
//     label. Slugs never contain "--", so the two forms cannot collide.
//   - by path, for setups without wildcard DNS: /{project}/{deployment}/...,
//     where production's deployment slug is "production"; PathPrefix gives
//     the prefix, which the adapter strips before forwarding.
//
// ValidateRoute checks a route before an adapter stores it, so that every
// adapter rejects the same input with the same *admin.ValidationError.
//
// # Adapters
//
//   - router/local: an in-process reverse proxy (net/http/httputil) that is
//     also an http.Handler.
//
// Package router/routertest is the conformance suite each adapter runs; its
// documentation explains how to write a new adapter.
package router
