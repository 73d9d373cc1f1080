package oidcauth

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
)

// Defaults of Options.
const (
	DefaultTokenTTL = 8 * time.Hour
	loginTTL        = 10 * time.Minute
	cookieName      = "mastra_admin_oidc"
	cacheTTL        = 5 * time.Minute
	cacheMax        = 10000
)

// Routes' paths.
const (
	LoginPath    = "/v1/auth/oidc/login"
	CallbackPath = "/v1/auth/oidc/callback"
)

// Options configure an OIDC. The zero value (or nil) means the defaults.
type Options struct {
	// ClientSecret authenticates the client at the token endpoint; empty
	// for a public client (PKCE is always used).
	ClientSecret string
	// RedirectURL is the absolute URL of the callback route as the
	// provider calls it (registered there), e.g.
	// https://admin.example.com/v1/auth/oidc/callback. Required by the
	// login routes; bearer ID tokens work without it.
	RedirectURL string
	// Scopes asked at login. Default: openid, email, profile.
	Scopes []string
	// AutoProvision creates a platform user (not a platform admin, in no
	// team) for a verified e-mail that has none yet. Default: unknown
	// e-mails are refused.
	AutoProvision bool
	// AllowedDomains, when set, are the only e-mail domains that may sign
	// in (example.com allows a@example.com, not a@sub.example.com).
	AllowedDomains []string
	// AllowUnverifiedEmail accepts ID tokens whose email_verified claim is
	// false or missing. Default: refused, since an unverified e-mail
	// proves nothing.
	AllowUnverifiedEmail bool
	// TokenTTL is the life of the API token the callback issues. Default
	// 8 hours.
	TokenTTL time.Duration
	// PostLoginRedirect, when set, is where the callback sends the browser,
	// with the token in the URL fragment
	// (#access_token=…&token_type=Bearer&expires_in=…), which browsers never
	// send to servers. Default: the callback answers JSON.
	PostLoginRedirect string
	// CookieKey (32 bytes) encrypts the short-lived cookie that carries
	// the login's state, nonce and PKCE verifier to the callback. Default:
	// a random key per process; set the same key on every instance behind
	// one load balancer.
	CookieKey []byte
	// HTTPClient talks to the provider. Default: http.DefaultClient.
	HTTPClient *http.Client
	// Logger receives refused sign-ins (without tokens). Default: discard.
	Logger *slog.Logger
}

// OIDC authenticates users with an OpenID Connect provider: bearer ID
// tokens (Authenticate) and the browser login flow (Routes).
type OIDC struct {
	a        *admin.Admin
	verifier *oidc.IDTokenVerifier
	oauth    oauth2.Config
	client   *http.Client
	opts     Options
	aead     cipher.AEAD
	secure   bool
	log      *slog.Logger
	mu       sync.Mutex
	byEmail  map[string]cachedUser
}

type cachedUser struct {
	id      string
	expires time.Time
}

var _ httpapi.Authenticator = (*OIDC)(nil)

// New discovers the provider at issuer (its /.well-known/openid-configuration)
// and returns an OIDC for the client clientID. The license must include
// single sign-on (admin.FeatureSSO): otherwise New fails with an
// admin.ErrLicense error.
func New(ctx context.Context, a *admin.Admin, issuer, clientID string, opts *Options) (*OIDC, error) {
	if a == nil || issuer == "" || clientID == "" {
		return nil, fmt.Errorf("oidcauth: %w", &admin.ValidationError{Field: "issuer", Reason: "the Admin, issuer and client id are required"})
	}
	lic := a.License()
	if err := lic.Allows(admin.FeatureSSO); err != nil {
		return nil, fmt.Errorf("oidcauth: %w", err)
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.TokenTTL == 0 {
		o.TokenTTL = DefaultTokenTTL
	}
	if o.TokenTTL < time.Minute || o.TokenTTL > admin.MaxTokenLifetime {
		return nil, fmt.Errorf("oidcauth: %w", &admin.ValidationError{Field: "TokenTTL", Reason: "must be between 1 minute and the API token maximum"})
	}
	if len(o.Scopes) == 0 {
		o.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	if o.HTTPClient == nil {
		o.HTTPClient = http.DefaultClient
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range o.AllowedDomains {
		if d == "" || strings.ContainsAny(d, "@/ ") {
			return nil, fmt.Errorf("oidcauth: %w", &admin.ValidationError{Field: "AllowedDomains", Reason: strconv.Quote(d) + " is not a domain"})
		}
	}
	for field, u := range map[string]string{"RedirectURL": o.RedirectURL, "PostLoginRedirect": o.PostLoginRedirect} {
		if u == "" {
			continue
		}
		if p, err := url.Parse(u); err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.Fragment != "" {
			return nil, fmt.Errorf("oidcauth: %w", &admin.ValidationError{Field: field, Reason: "must be an absolute http(s) URL without a fragment"})
		}
	}
	key := o.CookieKey
	if key == nil {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("oidcauth: %w", &admin.ValidationError{Field: "CookieKey", Reason: "must be 32 bytes"})
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("oidcauth: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("oidcauth: %w", err)
	}
	pctx := oidc.ClientContext(ctx, o.HTTPClient)
	provider, err := oidc.NewProvider(pctx, issuer)
	if err != nil {
		return nil, fmt.Errorf("oidcauth: discover %s: %w", issuer, err)
	}
	return &OIDC{
		a:        a,
		verifier: provider.Verifier(&oidc.Config{ClientID: clientID}),
		oauth: oauth2.Config{ClientID: clientID, ClientSecret: o.ClientSecret, Endpoint: provider.Endpoint(),
			RedirectURL: o.RedirectURL, Scopes: o.Scopes},
		client:  o.HTTPClient,
		opts:    o,
		aead:    aead,
		secure:  strings.HasPrefix(o.RedirectURL, "https://"),
		log:     o.Logger.With("component", "oidcauth"),
		byEmail: map[string]cachedUser{},
	}, nil
}

// claims are the ID token claims the OIDC reads.
type claims struct {
	Email         string `json:"email"`
	EmailVerified *bool  `json:"email_verified"`
	Name          string `json:"name"`
}

// looksLikeJWT tells an ID token (three base64url parts) from other bearer
// credentials, such as API tokens, which are someone else's to check.
func looksLikeJWT(s string) bool {
	return strings.HasPrefix(s, "eyJ") && strings.Count(s, ".") == 2 && len(s) < 16<<10
}

// unauthenticated is a refused sign-in: logged, and answered 401.
func (o *OIDC) unauthenticated(ctx context.Context, reason string) error {
	o.log.InfoContext(ctx, "sign-in refused", "reason", reason)
	return fmt.Errorf("oidc: %s: %w", reason, admin.ErrUnauthenticated)
}

// Authenticate verifies a bearer ID token (signature, issuer, audience =
// the client id, expiry) and returns the platform user its e-mail names.
// Requests without an ID token get httpapi.ErrNoCredentials.
func (o *OIDC) Authenticate(r *http.Request) (admin.Principal, error) {
	raw := httpapi.BearerToken(r)
	if !looksLikeJWT(raw) {
		return admin.Principal{}, httpapi.ErrNoCredentials
	}
	ctx := oidc.ClientContext(r.Context(), o.client)
	idt, err := o.verifier.Verify(ctx, raw)
	if err != nil {
		return admin.Principal{}, o.unauthenticated(ctx, "invalid ID token: "+err.Error())
	}
	u, err := o.user(ctx, idt)
	if err != nil {
		return admin.Principal{}, err
	}
	return admin.Principal{UserID: u}, nil
}

// user maps a verified ID token to a platform user id, provisioning one
// when allowed.
func (o *OIDC) user(ctx context.Context, idt *oidc.IDToken) (string, error) {
	lic := o.a.License()
	if err := lic.Allows(admin.FeatureSSO); err != nil {
		return "", fmt.Errorf("oidcauth: %w", err)
	}
	var c claims
	if err := idt.Claims(&c); err != nil {
		return "", o.unauthenticated(ctx, "the ID token's claims are malformed")
	}
	email := strings.ToLower(strings.TrimSpace(c.Email))
	switch {
	case email == "":
		return "", o.unauthenticated(ctx, "the ID token has no email claim (ask for the email scope)")
	case !o.opts.AllowUnverifiedEmail && (c.EmailVerified == nil || !*c.EmailVerified):
		return "", o.unauthenticated(ctx, "the provider has not verified the e-mail "+email)
	case !o.domainAllowed(email):
		return "", o.unauthenticated(ctx, "the e-mail domain of "+email+" may not sign in")
	}
	if id, err := o.lookup(ctx, email); err == nil || !errors.Is(err, admin.ErrNotFound) {
		return id, err
	}
	if !o.opts.AutoProvision {
		return "", o.unauthenticated(ctx, "no platform user has the e-mail "+email+"; ask a platform admin to add you")
	}
	name := strings.TrimSpace(c.Name)
	if name == "" || len([]rune(name)) > admin.MaxNameLength {
		name, _, _ = strings.Cut(email, "@")
	}
	sys := admin.WithPrincipal(ctx, admin.SystemPrincipal())
	u, err := o.a.CreateUser(sys, admin.NewUser{Email: email, Name: name})
	if errors.Is(err, admin.ErrAlreadyExists) { // made meanwhile by another request
		return o.lookup(ctx, email)
	}
	if err != nil {
		return "", fmt.Errorf("oidcauth: provision %s: %w", email, err)
	}
	o.log.InfoContext(ctx, "user provisioned", "user", u.ID)
	o.remember(email, u.ID)
	return u.ID, nil
}

func (o *OIDC) domainAllowed(email string) bool {
	if len(o.opts.AllowedDomains) == 0 {
		return true
	}
	_, domain, _ := strings.Cut(email, "@")
	for _, d := range o.opts.AllowedDomains {
		if strings.EqualFold(domain, d) {
			return true
		}
	}
	return false
}

// lookup finds the user with the e-mail, from a short-lived cache or by
// walking the user list (the Admin has no look-up by e-mail).
func (o *OIDC) lookup(ctx context.Context, email string) (string, error) {
	now := time.Now()
	o.mu.Lock()
	c, ok := o.byEmail[email]
	o.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.id, nil
	}
	sys := admin.WithPrincipal(ctx, admin.SystemPrincipal())
	after := ""
	for {
		l, err := o.a.ListUsers(sys, admin.Page{Limit: admin.MaxPageLimit, After: after})
		if err != nil {
			return "", fmt.Errorf("oidcauth: find user %s: %w", email, err)
		}
		for _, u := range l.Items {
			if u.Email == email {
				o.remember(email, u.ID)
				return u.ID, nil
			}
		}
		if l.Next == "" {
			return "", fmt.Errorf("oidcauth: user %s: %w", email, admin.ErrNotFound)
		}
		after = l.Next
	}
}

func (o *OIDC) remember(email, id string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.byEmail) >= cacheMax {
		clear(o.byEmail)
	}
	o.byEmail[email] = cachedUser{id: id, expires: time.Now().Add(cacheTTL)}
}

// Routes are the browser login routes, to add to the API with
// httpapi.Options.Routes: GET /v1/auth/oidc/login and
// GET /v1/auth/oidc/callback.
func (o *OIDC) Routes() []httpapi.Route {
	return []httpapi.Route{
		{Method: "GET", Pattern: LoginPath, Summary: "Start single sign-on with the OpenID Connect provider",
			Access: httpapi.AccessPublic, Handle: o.login},
		{Method: "GET", Pattern: CallbackPath, Summary: "Finish single sign-on and issue a short-lived API token",
			Access: httpapi.AccessPublic, Handle: o.callback},
	}
}

// loginState travels from the login to the callback in an encrypted,
// HttpOnly cookie.
type loginState struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Expires  int64  `json:"e"`
}

func random() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

func (o *OIDC) seal(st loginState) string {
	plain, _ := json.Marshal(st)
	nonce := make([]byte, o.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return base64.RawURLEncoding.EncodeToString(o.aead.Seal(nonce, nonce, plain, []byte(cookieName)))
}

func (o *OIDC) open(v string) (loginState, bool) {
	var st loginState
	raw, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(raw) < o.aead.NonceSize() {
		return st, false
	}
	plain, err := o.aead.Open(nil, raw[:o.aead.NonceSize()], raw[o.aead.NonceSize():], []byte(cookieName))
	if err != nil || json.Unmarshal(plain, &st) != nil {
		return st, false
	}
	return st, true
}

func (o *OIDC) cookie(value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: cookieName, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: o.secure, SameSite: http.SameSiteLaxMode}
}

func badLogin(status int, code, msg string) error {
	return &httpapi.Error{Status: status, Code: code, Message: msg}
}

func (o *OIDC) login(w http.ResponseWriter, r *http.Request) error {
	if o.opts.RedirectURL == "" {
		return fmt.Errorf("oidcauth: the login routes need Options.RedirectURL: %w", admin.ErrNotSupported)
	}
	lic := o.a.License()
	if err := lic.Allows(admin.FeatureSSO); err != nil {
		return fmt.Errorf("oidcauth: %w", err)
	}
	st := loginState{State: random(), Nonce: random(), Verifier: oauth2.GenerateVerifier(),
		Expires: time.Now().Add(loginTTL).Unix()}
	http.SetCookie(w, o.cookie(o.seal(st), int(loginTTL.Seconds())))
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, o.oauth.AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier)), http.StatusFound)
	return nil
}

// loginBody answers a callback without PostLoginRedirect.
type loginBody struct {
	User   *admin.User     `json:"user"`
	Token  *admin.APIToken `json:"token"`
	Secret string          `json:"secret"`
}

func (o *OIDC) callback(w http.ResponseWriter, r *http.Request) error {
	if o.opts.RedirectURL == "" {
		return fmt.Errorf("oidcauth: the login routes need Options.RedirectURL: %w", admin.ErrNotSupported)
	}
	q := r.URL.Query()
	restart := "start again at " + LoginPath
	c, err := r.Cookie(cookieName)
	if err != nil {
		return badLogin(http.StatusBadRequest, httpapi.CodeInvalidArgument, "no sign-in is in progress in this browser (its cookie is missing or expired); "+restart)
	}
	http.SetCookie(w, o.cookie("", -1)) // one callback per login
	st, ok := o.open(c.Value)
	switch {
	case !ok:
		return badLogin(http.StatusBadRequest, httpapi.CodeInvalidArgument, "the sign-in cookie is not valid; "+restart)
	case time.Now().Unix() > st.Expires:
		return badLogin(http.StatusBadRequest, httpapi.CodeInvalidArgument, "the sign-in took too long; "+restart)
	case subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(st.State)) != 1:
		return badLogin(http.StatusBadRequest, httpapi.CodeInvalidArgument, "the sign-in state does not match this browser's; "+restart)
	case q.Get("error") != "":
		return o.unauthenticated(r.Context(), "the provider refused the sign-in ("+sanitize(q.Get("error"))+")")
	case q.Get("code") == "":
		return badLogin(http.StatusBadRequest, httpapi.CodeInvalidArgument, "the callback has no code; "+restart)
	}
	ctx := context.WithValue(r.Context(), oauth2.HTTPClient, o.client)
	tok, err := o.oauth.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(st.Verifier))
	if err != nil {
		return o.unauthenticated(ctx, "the provider did not accept the code")
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return o.unauthenticated(ctx, "the provider sent no ID token (is the openid scope allowed?)")
	}
	idt, err := o.verifier.Verify(oidc.ClientContext(ctx, o.client), raw)
	if err != nil {
		return o.unauthenticated(ctx, "invalid ID token: "+err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		return o.unauthenticated(ctx, "the ID token's nonce does not match the sign-in's")
	}
	userID, err := o.user(ctx, idt)
	if err != nil {
		return err
	}
	as := admin.WithPrincipal(r.Context(), admin.Principal{UserID: userID})
	u, err := o.a.Me(as)
	if err != nil {
		return err
	}
	apiTok, secret, err := o.a.CreateToken(as, admin.NewToken{Name: "sso " + time.Now().UTC().Format("2006-01-02 15:04"), TTL: o.opts.TokenTTL})
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if o.opts.PostLoginRedirect != "" {
		frag := url.Values{"access_token": {secret}, "token_type": {"Bearer"},
			"expires_in": {strconv.Itoa(int(o.opts.TokenTTL.Seconds()))}}
		http.Redirect(w, r, o.opts.PostLoginRedirect+"#"+frag.Encode(), http.StatusSeeOther)
		return nil
	}
	httpapi.WriteJSON(w, http.StatusOK, loginBody{User: u, Token: apiTok, Secret: secret})
	return nil
}

// sanitize keeps an OAuth error code readable and harmless in a message.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r == '_' {
			return r
		}
		return -1
	}, s)
	if len(s) > 40 {
		s = s[:40]
	}
	return s
}
