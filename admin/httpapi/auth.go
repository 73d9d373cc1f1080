package httpapi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Authenticator finds who makes a request. It returns an error wrapping
// admin.ErrUnauthenticated when the request carries no credentials it
// understands (wrap ErrNoCredentials then, so that another Authenticator
// may try) or when they are invalid. Any other error (a storage failure)
// ends the request with 500.
type Authenticator interface {
	Authenticate(r *http.Request) (admin.Principal, error)
}

// AuthenticatorFunc adapts a function to the Authenticator interface.
type AuthenticatorFunc func(r *http.Request) (admin.Principal, error)

// Authenticate calls f(r).
func (f AuthenticatorFunc) Authenticate(r *http.Request) (admin.Principal, error) { return f(r) }

// ErrNoCredentials is what an Authenticator returns when the request carries
// nothing it understands. It wraps admin.ErrUnauthenticated.
var ErrNoCredentials = fmt.Errorf("authentication required: send Authorization: Bearer <token>: %w", admin.ErrUnauthenticated)

// Subprotocol is the WebSocket subprotocol the API speaks. Browsers, which
// cannot set headers on a WebSocket, send their token as a second offered
// subprotocol "bearer.<token>" next to this one; the server selects this
// one and never echoes the token.
const Subprotocol = "mastra-admin.v1"

const subprotocolTokenPrefix = "bearer."

// BearerToken returns the bearer credential of r: the Authorization: Bearer
// header; on a WebSocket upgrade also a Sec-WebSocket-Protocol entry
// "bearer.<token>" or the access_token query parameter. It returns "" when
// there is none.
func BearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	if !isWebSocketUpgrade(r) {
		return ""
	}
	for _, h := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(h, ",") {
			if tok, ok := strings.CutPrefix(strings.TrimSpace(p), subprotocolTokenPrefix); ok {
				return tok
			}
		}
	}
	return r.URL.Query().Get("access_token")
}

func isWebSocketUpgrade(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// TokenAuthenticator authenticates the Admin's API tokens (secrets starting
// with admin.TokenPrefix) sent as bearer credentials. It is the default
// Authenticator.
func TokenAuthenticator(a *admin.Admin) Authenticator {
	return AuthenticatorFunc(func(r *http.Request) (admin.Principal, error) {
		tok := BearerToken(r)
		if !strings.HasPrefix(tok, admin.TokenPrefix) {
			return admin.Principal{}, ErrNoCredentials
		}
		return a.AuthenticateToken(r.Context(), tok)
	})
}

// authenticate asks each Authenticator in turn. The first principal wins;
// the first error other than ErrNoCredentials is the answer when none
// succeeds.
func (h *Handler) authenticate(r *http.Request) (admin.Principal, error) {
	var failed error
	for _, au := range h.auth {
		p, err := au.Authenticate(r)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, admin.ErrUnauthenticated) {
			return admin.Principal{}, err
		}
		if failed == nil && !errors.Is(err, ErrNoCredentials) {
			failed = err
		}
	}
	if failed != nil {
		return admin.Principal{}, failed
	}
	return admin.Principal{}, ErrNoCredentials
}
