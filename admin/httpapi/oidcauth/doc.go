// Package oidcauth adds single sign-on with an OpenID Connect provider
// (Okta, Entra ID, Google Workspace, Keycloak, Dex, …) to the HTTP API of
// package httpapi, built on github.com/coreos/go-oidc/v3 and
// golang.org/x/oauth2. It needs a license that includes admin.FeatureSSO
// (enterprise and above).
//
// It gives two things:
//
//   - an httpapi.Authenticator that accepts OIDC ID tokens as bearer
//     credentials, verified against the provider's keys (signature,
//     issuer, audience = the client id, expiry) and mapped to the platform
//     user with the token's verified e-mail;
//   - the browser login routes GET /v1/auth/oidc/login and
//     GET /v1/auth/oidc/callback (the authorization-code flow with state,
//     nonce and PKCE S256). The callback issues a short-lived API token
//     (Options.TokenTTL, 8 h by default) rather than a session cookie: the
//     API then has one kind of credential, bearer tokens, and no cookie that
//     would need CSRF protection. The token reaches the browser in the URL
//     fragment of Options.PostLoginRedirect (never sent to a server), or as
//     JSON without it.
//
// examples/sso is a server with both, and pages of its own that finish
// the browser flow (they read the token from the fragment and call the API
// with it).
//
// # Configuration
//
//	o, err := oidcauth.New(ctx, a, "https://login.example.com", "mastra-admin", &oidcauth.Options{
//		ClientSecret:      os.Getenv("OIDC_CLIENT_SECRET"),
//		RedirectURL:       "https://admin.example.com/v1/auth/oidc/callback",
//		PostLoginRedirect: "https://console.example.com/signed-in",
//		AllowedDomains:    []string{"example.com"},
//		AutoProvision:     true,
//		CookieKey:         key32, // the same on every instance
//	})
//	h, err := httpapi.New(a, &httpapi.Options{
//		Authenticators: []httpapi.Authenticator{httpapi.TokenAuthenticator(a), o},
//		Routes:         o.Routes(),
//	})
//
// Users are matched by e-mail (lower case). Unknown e-mails are refused
// unless AutoProvision is set, which creates an ordinary user (in no team,
// not a platform admin) through the system principal; team membership is
// then granted in the platform as for any user. E-mails the provider has not
// verified are refused unless AllowUnverifiedEmail is set.
//
// The login state (state, nonce, PKCE verifier) travels to the callback in
// an AES-GCM encrypted, HttpOnly, SameSite=Lax cookie that lives ten
// minutes and is cleared by the callback, so any instance with the same
// CookieKey can finish a login.
//
// # Errors
//
// New fails with admin.ErrLicense without the SSO feature, with
// admin.ErrInvalidArgument for bad options, and with the provider's error
// when discovery fails. Refused sign-ins are admin.ErrUnauthenticated (401)
// with the reason (expired token, unverified e-mail, unknown user, domain
// not allowed); a login that cannot be finished (missing or expired cookie,
// state mismatch) is a 400 telling the user to start again. No token or
// secret is ever logged.
package oidcauth
