package ui

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
)

// Defaults of Options.
const (
	DefaultSessionTTL      = 12 * time.Hour
	DefaultRefreshInterval = 2 * time.Second
	// MaxFormBytes bounds a form post (413 beyond).
	MaxFormBytes = 1 << 20
)

// HTMXVersion is the version of the vendored htmx (npm package htmx.org).
const HTMXVersion = "2.0.11"

// Options configure the dashboard. The zero value (or nil) means the
// defaults.
type Options struct {
	// Prefix is the path the dashboard is mounted under, such as "/ui"
	// (no trailing slash); "" mounts it at the root. Every URL the
	// dashboard writes starts with it. The handler accepts requests with
	// the prefix still on the path (mux.Handle("/ui/", h), chi's Mount,
	// gin and echo wildcard routes) and requests whose prefix a router has
	// already stripped (http.StripPrefix).
	Prefix string
	// Authenticators verify the credential a user signs in with, asked in
	// order as the API asks them (the credential is presented as a bearer
	// token). Default: httpapi.TokenAuthenticator(a), API tokens. Add an
	// *oidcauth.OIDC to accept OpenID Connect ID tokens as well.
	Authenticators []httpapi.Authenticator
	// SSOLoginURL, when set, is where the sign-in page's "Sign in with
	// SSO" button sends the browser: the login route of oidcauth as the
	// browser reaches it (for example "/v1/auth/oidc/login"). Set oidcauth's
	// PostLoginRedirect to the dashboard's {Prefix}/auth/sso page, which
	// turns the token in the URL fragment into a dashboard session.
	SSOLoginURL string
	// CookieKey (32 bytes) encrypts and authenticates the session cookie.
	// Default: a random key per handler, so sessions end when the process
	// restarts; give every instance behind one load balancer the same key.
	CookieKey []byte
	// SessionTTL is how long a session lasts (never longer than the
	// credential it was made from). Default 12 hours.
	SessionTTL time.Duration
	// SecureCookies marks the cookies Secure even on plain-HTTP requests
	// (behind a TLS-terminating proxy). Requests that arrive over TLS
	// always get Secure cookies.
	SecureCookies bool
	// RefreshInterval is how often live parts of a page (deployment and
	// build statuses, the build queue) refresh. Default 2 seconds.
	RefreshInterval time.Duration
	// ReadOnly renders every page without a control that changes
	// anything, whatever the user's role, and refuses every change posted
	// anyway (403); signing in and out still work. For a wall display or
	// an auditors' instance.
	ReadOnly bool
	// Logger receives internal errors (never a credential). Default:
	// discard.
	Logger *slog.Logger
}

// Handler serves the dashboard of an Admin: server-rendered pages, the
// live build log, and the embedded assets. It is safe for concurrent use.
type Handler struct {
	a       *admin.Admin
	prefix  string
	auth    []httpapi.Authenticator
	sso     string
	ttl     time.Duration
	refresh time.Duration
	secure  bool
	ro      bool
	log     *slog.Logger
	cookies sealer
	pages   map[string]*template.Template
	static  http.Handler
	mux     *http.ServeMux
	cop     *http.CrossOriginProtection

	closing     context.Context
	stopStreams context.CancelFunc
	mu          sync.Mutex // orders stream starts before Close's wait
	streams     sync.WaitGroup
	closeOnce   sync.Once
}

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// NewHandler returns the dashboard of a as an http.Handler (a *Handler,
// whose Close ends the live streams it serves).
func NewHandler(a *admin.Admin, opts *Options) (http.Handler, error) {
	if a == nil {
		return nil, fmt.Errorf("ui: %w", &admin.ValidationError{Field: "admin", Reason: "must not be nil"})
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Prefix != "" && (!strings.HasPrefix(o.Prefix, "/") || strings.HasSuffix(o.Prefix, "/") ||
		strings.ContainsAny(o.Prefix, "?#%\\\"'<> ")) {
		return nil, fmt.Errorf("ui: %w", &admin.ValidationError{Field: "prefix",
			Reason: fmt.Sprintf("%q must start with / and not end with one, without ?, #, %%, quotes, spaces or backslashes", o.Prefix)})
	}
	if o.SessionTTL < 0 || o.RefreshInterval < 0 {
		return nil, fmt.Errorf("ui: %w", &admin.ValidationError{Field: "options", Reason: "SessionTTL and RefreshInterval must not be negative"})
	}
	key := o.CookieKey
	if key == nil {
		key = make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("ui: cookie key: %w", err)
		}
	}
	s, err := newSealer(key)
	if err != nil {
		return nil, fmt.Errorf("ui: %w", err)
	}
	h := &Handler{a: a, prefix: o.Prefix, auth: o.Authenticators, sso: o.SSOLoginURL, ttl: o.SessionTTL,
		refresh: o.RefreshInterval, secure: o.SecureCookies, ro: o.ReadOnly, log: o.Logger, cookies: s, mux: http.NewServeMux(),
		cop: http.NewCrossOriginProtection()}
	if h.ttl == 0 {
		h.ttl = DefaultSessionTTL
	}
	if h.refresh == 0 {
		h.refresh = DefaultRefreshInterval
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = h.log.With("component", "ui")
	if len(h.auth) == 0 {
		h.auth = []httpapi.Authenticator{httpapi.TokenAuthenticator(a)}
	}
	if h.pages, err = parsePages(h.funcs()); err != nil {
		return nil, fmt.Errorf("ui: templates: %w", err)
	}
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		return nil, fmt.Errorf("ui: assets: %w", err)
	}
	h.static = http.StripPrefix("/static/", http.FileServerFS(sub))
	h.closing, h.stopStreams = context.WithCancel(context.Background())
	h.routes()
	return h, nil
}

// Close ends the live streams (build logs) the handler serves and waits
// for them, so that http.Server.Shutdown is not held up by them. Pages
// still work afterwards; new streams are refused (503). Close does not close the
// Admin.
func (h *Handler) Close() error {
	h.closeOnce.Do(func() {
		h.mu.Lock()
		h.stopStreams()
		h.mu.Unlock()
		h.streams.Wait()
	})
	return nil
}

// startStream counts a live stream that Close waits for; it fails with
// admin.ErrClosed once Close has begun.
func (h *Handler) startStream() (done func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing.Err() != nil {
		return nil, fmt.Errorf("ui: the dashboard is shutting down: %w", admin.ErrClosed)
	}
	h.streams.Add(1)
	return h.streams.Done, nil
}

// contentSecurityPolicy allows the dashboard's own scripts, styles and
// connections only: no inline script or style, no eval, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// ServeHTTP strips the prefix, sets the security headers, refuses
// cross-origin changes and routes the request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.prefix != "" {
		switch p := r.URL.Path; {
		case p == h.prefix:
			http.Redirect(w, r, h.prefix+"/", http.StatusMovedPermanently)
			return
		case strings.HasPrefix(p, h.prefix+"/"):
			r2 := new(http.Request)
			*r2 = *r
			u := *r.URL
			u.Path = p[len(h.prefix):]
			u.RawPath = ""
			r2.URL = &u
			r = r2
		}
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", contentSecurityPolicy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "same-origin")
	if err := h.cop.Check(r); err != nil {
		http.Error(w, "cross-origin request refused: the dashboard accepts changes only from its own pages", http.StatusForbidden)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// url returns the dashboard URL of path (which starts with /).
func (h *Handler) url(path string) string { return h.prefix + path }

// statusOf maps an Admin error to an HTTP status.
func statusOf(err error) int {
	switch {
	case errors.Is(err, admin.ErrUnauthenticated):
		return http.StatusUnauthorized
	case errors.Is(err, admin.ErrForbidden):
		return http.StatusForbidden
	case errors.Is(err, admin.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, admin.ErrInvalidArgument):
		return http.StatusUnprocessableEntity
	case errors.Is(err, admin.ErrAlreadyExists), errors.Is(err, admin.ErrConflict):
		return http.StatusConflict
	case errors.Is(err, admin.ErrLicense):
		return http.StatusPaymentRequired
	case errors.Is(err, admin.ErrNotSupported):
		return http.StatusNotImplemented
	case errors.Is(err, admin.ErrClosed):
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

var _ http.Handler = (*Handler)(nil)
