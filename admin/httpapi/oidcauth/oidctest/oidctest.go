// Package oidctest is an OpenID Connect provider in-process, for tests of
// single sign-on: discovery, a JWKS, an authorization endpoint that signs in
// a chosen user at once (no login page), and a token endpoint that checks
// the client, the redirect URI and PKCE (S256) and issues RS256-signed ID
// tokens.
//
//	p := oidctest.New(t, "client-id", "client-secret") // closed when the test ends
//	p.SetUser(oidctest.User{Subject: "u1", Email: "dev@example.com", EmailVerified: true})
//	o, err := oidcauth.New(ctx, a, p.Issuer(), "client-id", &oidcauth.Options{ClientSecret: "client-secret", …})
//	raw := p.IDToken(oidctest.User{…}) // a bearer ID token
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// User is who signs in, as the ID token's claims say.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// Provider is a running OpenID Connect provider.
type Provider struct {
	t            testing.TB // nil outside a test
	srv          *httptest.Server
	clientID     string
	clientSecret string
	signer       jose.Signer
	keys         jose.JSONWebKeySet

	mu    sync.Mutex
	user  User
	codes map[string]grant
	// Requests counts the calls of each endpoint path.
	requests map[string]int
}

// grant is an authorization code waiting for the token endpoint.
type grant struct {
	redirectURI, nonce, challenge string
	user                          User
	expires                       time.Time
}

// New starts a provider that knows one client; it stops when the test
// ends.
func New(t testing.TB, clientID, clientSecret string) *Provider {
	t.Helper()
	p, err := Start(clientID, clientSecret)
	if err != nil {
		t.Fatal(err)
	}
	p.t = t
	t.Cleanup(p.Close)
	return p
}

// Start starts a provider outside a test (examples); Close stops it.
func Start(clientID, clientSecret string) (*Provider, error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	const kid = "oidctest-1"
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, err
	}
	p := &Provider{clientID: clientID, clientSecret: clientSecret, signer: signer, codes: map[string]grant{},
		requests: map[string]int{},
		keys:     jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: kid, Algorithm: "RS256", Use: "sig"}}}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	mux.HandleFunc("GET /jwks", p.jwks)
	mux.HandleFunc("GET /authorize", p.authorize)
	mux.HandleFunc("POST /token", p.token)
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests[r.URL.Path]++
		p.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	return p, nil
}

// Close stops the provider.
func (p *Provider) Close() { p.srv.Close() }

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.srv.URL }

// SetUser chooses who signs in at the authorization endpoint from now on.
func (p *Provider) SetUser(u User) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.user = u
}

// Requests returns how many times each endpoint path was called.
func (p *Provider) Requests() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.requests)
}

// IDToken returns an ID token for the provider's client, valid for an
// hour, with the user's claims and extra ones (which win).
func (p *Provider) IDToken(u User, extra map[string]any) string {
	s, err := p.idToken(u, extra)
	if err != nil && p.t != nil {
		p.t.Fatal(err)
	}
	return s
}

// Sign signs any claims with the provider's key. A signing failure fails
// the test (or, outside one, gives "").
func (p *Provider) Sign(claims map[string]any) string {
	s, err := p.sign(claims)
	if err != nil && p.t != nil {
		p.t.Fatal(err)
	}
	return s
}

func (p *Provider) sign(claims map[string]any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := p.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// idToken is IDToken for the server's goroutines, which must not fail the
// test.
func (p *Provider) idToken(u User, extra map[string]any) (string, error) {
	now := time.Now()
	claims := map[string]any{"iss": p.Issuer(), "sub": u.Subject, "aud": p.clientID, "iat": now.Unix(),
		"exp": now.Add(time.Hour).Unix(), "email": u.Email, "email_verified": u.EmailVerified}
	if u.Name != "" {
		claims["name"] = u.Name
	}
	maps.Copy(claims, extra)
	return p.sign(claims)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (p *Provider) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                p.Issuer(),
		"authorization_endpoint":                p.Issuer() + "/authorize",
		"token_endpoint":                        p.Issuer() + "/token",
		"jwks_uri":                              p.Issuer() + "/jwks",
		"response_types_supported":              []string{"code"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{"openid", "email", "profile"},
	})
}

func (p *Provider) jwks(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, p.keys) }

func randomString() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// authorize signs the chosen user in at once and sends the browser back
// with a code, as a provider does after its login page.
func (p *Provider) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || redirect.Scheme == "" {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" {
		back.Set("error", "invalid_request")
		back.Set("error_description", "PKCE with S256 is required")
	} else {
		code := randomString()
		p.mu.Lock()
		p.codes[code] = grant{redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"),
			user: p.user, expires: time.Now().Add(time.Minute)}
		p.mu.Unlock()
		back.Set("code", code)
	}
	redirect.RawQuery = back.Encode()
	http.Redirect(w, r, redirect.String(), http.StatusFound)
}

// token exchanges a code for tokens, once, checking the client, the
// redirect URI and the PKCE verifier.
func (p *Provider) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request"})
		return
	}
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if subtle.ConstantTimeCompare([]byte(id), []byte(p.clientID)) != 1 ||
		subtle.ConstantTimeCompare([]byte(secret), []byte(p.clientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	code := r.PostForm.Get("code")
	p.mu.Lock()
	g, found := p.codes[code]
	delete(p.codes, code)
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if r.PostForm.Get("grant_type") != "authorization_code" || !found || time.Now().After(g.expires) ||
		g.redirectURI != r.PostForm.Get("redirect_uri") || base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
		return
	}
	extra := map[string]any{}
	if g.nonce != "" {
		extra["nonce"] = g.nonce
	}
	idt, err := p.idToken(g.user, extra)
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": randomString(), "token_type": "Bearer", "expires_in": 3600,
		"id_token": idt})
}
