package ui

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"time"
)

// cookieName is the session cookie. It is HttpOnly, SameSite=Lax, scoped
// to the dashboard's prefix, and its value is sealed (AES-256-GCM): the
// browser can neither read nor forge it.
const cookieName = "mastra_admin_ui"

// csrfField is the form field (and csrfHeader the header, for htmx
// requests) that must carry the session's CSRF token on every
// state-changing request.
const (
	csrfField  = "csrf"
	csrfHeader = "X-CSRF-Token"
)

// session is what the cookie holds. A session without a token is
// anonymous: it carries only the CSRF token that the sign-in form needs.
//
// Every sign-in gets its own API token (Token, TokenID), which sign-out
// revokes in the Admin's Storage: a copy of the cookie taken before
// sign-out is refused afterwards, by every instance sharing the Storage,
// across restarts. Secrets never reach a page, a log line or a URL.
type session struct {
	// Token is the session's API token: minted by the dashboard at
	// sign-in, or the token oidcauth minted for this sign-in (SSO).
	Token   string `json:"s,omitempty"`
	TokenID string `json:"i,omitempty"`
	// Credential is what the user pasted (an API token, or an ID token
	// when an OIDC authenticator is configured), authenticated again on
	// every request so that revoking it ends the session too; empty for
	// a single sign-on, whose token is Token.
	Credential string `json:"t,omitempty"`
	CSRF       string `json:"c"`
	Expires    int64  `json:"e"`
}

// sealer seals and opens cookie values.
type sealer struct{ aead cipher.AEAD }

func newSealer(key []byte) (sealer, error) {
	if len(key) != 32 {
		return sealer{}, errors.New("CookieKey must be 32 bytes")
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return sealer{}, err
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		return sealer{}, err
	}
	return sealer{aead: g}, nil
}

func (s sealer) seal(v session) string {
	plain, _ := json.Marshal(v) // a struct of strings and an int: never fails
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(s.aead.Seal(nonce, nonce, plain, []byte(cookieName)))
}

func (s sealer) open(v string) (session, bool) {
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return session{}, false
	}
	n := s.aead.NonceSize()
	plain, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(cookieName))
	if err != nil {
		return session{}, false
	}
	var out session
	if json.Unmarshal(plain, &out) != nil || out.CSRF == "" {
		return session{}, false
	}
	return out, true
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// readSession returns the request's session, or a new anonymous one (ok
// false) when it has none that is valid and unexpired.
func (h *Handler) readSession(r *http.Request) (session, bool) {
	if c, err := r.Cookie(cookieName); err == nil {
		if s, ok := h.cookies.open(c.Value); ok && time.Now().Unix() < s.Expires {
			return s, true
		}
	}
	return session{CSRF: randomToken(), Expires: time.Now().Add(h.ttl).Unix()}, false
}

// writeSession sets the session cookie.
func (h *Handler) writeSession(w http.ResponseWriter, r *http.Request, s session) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: h.cookies.seal(s), Path: h.cookiePath(),
		Expires: time.Unix(s.Expires, 0), HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.secure || r.TLS != nil})
}

// clearSession removes the session cookie.
func (h *Handler) clearSession(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: h.cookiePath(), MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: h.secure || r.TLS != nil})
}

func (h *Handler) cookiePath() string { return h.prefix + "/" }

// checkCSRF reports whether r carries the session's CSRF token in the
// form field or the header. The form must have been parsed.
func checkCSRF(r *http.Request, s session) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostForm.Get(csrfField)
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.CSRF)) == 1
}
