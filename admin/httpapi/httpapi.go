package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Defaults of Options.
const (
	DefaultMaxBodyBytes       = 1 << 20
	DefaultStatusPollInterval = 500 * time.Millisecond
	DefaultWebSocketBuffer    = 256
	DefaultWriteTimeout       = 10 * time.Second
)

// Options configure a Handler. The zero value (or nil) means the defaults.
type Options struct {
	// Authenticators find the principal of a request, asked in order.
	// Default: TokenAuthenticator(a) (bearer API tokens). To add single
	// sign-on, list both: {TokenAuthenticator(a), oidcAuthenticator}.
	Authenticators []Authenticator
	// AllowedOrigins are the browser origins ("https://console.example.com")
	// that may call the API cross-origin, with credentials. "*" allows any
	// origin, without credentials. Default: none (same-origin only).
	AllowedOrigins []string
	// MaxBodyBytes bounds request bodies (413 beyond). Default 1 MiB.
	MaxBodyBytes int64
	// Logger receives one line per request (method, route, path without
	// query, status, duration, user, request id) and internal errors.
	// Default: discard.
	Logger *slog.Logger
	// Routes are served next to the API's own, through the same
	// authentication, CORS and error mapping (oidcauth's login routes).
	Routes []Route
	// StatusPollInterval is how often a build followed over a WebSocket is
	// read for status changes (one poll per build, shared by its
	// followers). Default 500 ms.
	StatusPollInterval time.Duration
	// WebSocketBuffer is how many messages may wait for one WebSocket
	// client. A client whose buffer stays full for half of WriteTimeout is
	// too slow: it is disconnected with status 1008 "too slow". A client
	// catching up on a long log fills it only briefly: the log is read
	// from the cache at each client's own pace, so nothing else ever
	// waits for a client. Default 256.
	WebSocketBuffer int
	// WriteTimeout bounds one WebSocket message write. Default 10 s.
	WriteTimeout time.Duration
}

// Handler serves the REST and WebSocket API of an Admin. It is an
// http.Handler that any router can mount; it owns WebSocket upgrades
// itself (through http.Hijacker), so they work behind net/http, chi, gin
// and echo alike.
type Handler struct {
	a          *admin.Admin
	log        *slog.Logger
	auth       []Authenticator
	maxBody    int64
	cors       cors
	routeTable []Route
	mux        *http.ServeMux
	allow      map[string][]string // path pattern → methods
	paths      *http.ServeMux      // path-only patterns, to tell 405 from 404
	openapi    openAPIDoc

	pollEvery    time.Duration
	wsBuffer     int
	writeTimeout time.Duration
	endGrace     time.Duration
	watches      watchers

	closing   context.Context
	stop      context.CancelFunc
	streams   sync.WaitGroup
	closeOnce sync.Once
}

// New returns the API Handler of a.
func New(a *admin.Admin, opts *Options) (*Handler, error) {
	if a == nil {
		return nil, fmt.Errorf("httpapi: %w", &admin.ValidationError{Field: "admin", Reason: "must not be nil"})
	}
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.MaxBodyBytes < 0 || o.StatusPollInterval < 0 || o.WebSocketBuffer < 0 || o.WriteTimeout < 0 {
		return nil, fmt.Errorf("httpapi: %w", &admin.ValidationError{Field: "options",
			Reason: "MaxBodyBytes, StatusPollInterval, WebSocketBuffer and WriteTimeout must not be negative"})
	}
	c, err := newCORS(o.AllowedOrigins)
	if err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	h := &Handler{
		a:            a,
		log:          o.Logger,
		auth:         o.Authenticators,
		maxBody:      cmpOr(o.MaxBodyBytes, DefaultMaxBodyBytes),
		cors:         c,
		pollEvery:    cmpOr(o.StatusPollInterval, DefaultStatusPollInterval),
		wsBuffer:     cmpOr(o.WebSocketBuffer, DefaultWebSocketBuffer),
		writeTimeout: cmpOr(o.WriteTimeout, DefaultWriteTimeout),
		endGrace:     15 * time.Second,
		mux:          http.NewServeMux(),
		paths:        http.NewServeMux(),
		allow:        map[string][]string{},
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = h.log.With("component", "httpapi")
	if len(h.auth) == 0 {
		h.auth = []Authenticator{TokenAuthenticator(a)}
	}
	if h.openapi, err = loadOpenAPI(); err != nil {
		return nil, fmt.Errorf("httpapi: %w", err)
	}
	h.closing, h.stop = context.WithCancel(context.Background())
	h.watches.m = map[string]*watch{}
	h.routeTable = append(append(h.routes(), h.webhookRoutes()...), o.Routes...)
	for _, rt := range h.routeTable {
		if err := h.register(rt); err != nil {
			return nil, fmt.Errorf("httpapi: route %s %s: %w", rt.Method, rt.Pattern, err)
		}
	}
	h.mux.HandleFunc("/", h.notFound)
	return h, nil
}

func cmpOr[T int | int64 | time.Duration](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// register adds a route to the mux. ServeMux panics on a bad or
// conflicting pattern; that is turned into an error here.
func (h *Handler) register(rt Route) (err error) {
	if rt.Handle == nil || rt.Method == "" || !strings.HasPrefix(rt.Pattern, "/") {
		return errors.New("a route needs a method, a path starting with / and a handler")
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%v", p)
		}
	}()
	h.mux.Handle(rt.Method+" "+rt.Pattern, h.endpoint(rt))
	if _, seen := h.allow[rt.Pattern]; !seen {
		h.paths.Handle(rt.Pattern, http.NotFoundHandler())
	}
	h.allow[rt.Pattern] = append(h.allow[rt.Pattern], rt.Method)
	return nil
}

// Routes returns the route table: every operation the Handler serves.
func (h *Handler) Routes() []Route { return slices.Clone(h.routeTable) }

// Close ends the open WebSocket streams (status 1001 "going away") and
// waits for them. Requests served later fail with 503. Close does not
// close the Admin.
func (h *Handler) Close() error {
	h.closeOnce.Do(func() {
		h.stop()
		h.streams.Wait()
	})
	return nil
}

// requestInfo travels in the request context for the access log.
type requestInfo struct {
	id     string
	route  string
	userID string
}

type requestInfoKey struct{}

func info(r *http.Request) *requestInfo {
	if ri, ok := r.Context().Value(requestInfoKey{}).(*requestInfo); ok {
		return ri
	}
	return &requestInfo{}
}

// ServeHTTP answers CORS preflights, refuses non-canonical paths, routes the
// request and logs it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	ri := &requestInfo{id: newRequestID()}
	r = r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, ri))
	rec := &recorder{ResponseWriter: w}
	rec.Header().Set("X-Request-Id", ri.id)
	switch {
	case h.cors.handle(rec, r):
	case h.closing.Err() != nil:
		h.writeError(rec, r, fmt.Errorf("httpapi: %w", admin.ErrClosed))
	default:
		if err := checkPath(r.URL); err != nil {
			h.writeError(rec, r, err)
			break
		}
		h.mux.ServeHTTP(rec, r)
	}
	status := rec.status
	if rec.hijacked {
		status = http.StatusSwitchingProtocols
	}
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String("method", r.Method), slog.String("route", ri.route), slog.String("path", r.URL.Path),
		slog.Int("status", status), slog.Duration("duration", time.Since(start)),
		slog.String("user", ri.userID), slog.String("requestId", ri.id))
}

// endpoint wraps a route's HandlerFunc: authentication (unless public),
// the principal in the context, and error mapping.
func (h *Handler) endpoint(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		ri.route = rt.Method + " " + rt.Pattern
		if rt.Access != AccessPublic {
			p, err := h.authenticate(r)
			if err != nil {
				if errors.Is(err, admin.ErrUnauthenticated) && !errors.Is(err, ErrNoCredentials) {
					w.Header().Set("WWW-Authenticate", `Bearer realm="mastra-admin", error="invalid_token"`)
				}
				h.writeError(w, r, err)
				return
			}
			ri.userID = p.UserID
			if p.IsSystem() {
				ri.userID = "system"
			}
			r = r.WithContext(admin.WithPrincipal(r.Context(), p))
		}
		if err := rt.Handle(w, r); err != nil {
			h.writeError(w, r, err)
		}
	})
}

// writeError answers with err's status and body. Internal errors are
// logged with the request id and answered without their details.
func (h *Handler) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, body, internal := classify(err)
	ri := info(r)
	if internal {
		h.log.ErrorContext(r.Context(), "internal error", "requestId", ri.id, "route", ri.route, "err", err)
		body.Message = "internal error; the server log has the details under this request id"
		body.RequestID = ri.id
	}
	if rec, ok := w.(*recorder); ok && rec.status != 0 {
		return // the response has started (a stream); the log line above must do
	}
	writeErrorBody(w, status, body)
}

// notFound answers requests no route matches: 405 with Allow when the path
// exists with other methods, else 404.
func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) {
	if _, pattern := h.paths.Handler(r); pattern != "" {
		methods := h.allow[pattern]
		w.Header().Set("Allow", strings.Join(methods, ", "))
		h.writeError(w, r, &Error{Status: http.StatusMethodNotAllowed, Code: CodeMethodNotAllowed,
			Message: fmt.Sprintf("%s is not allowed on %s; allowed: %s", r.Method, pattern, strings.Join(methods, ", "))})
		return
	}
	h.writeError(w, r, &Error{Status: http.StatusNotFound, Code: CodeNotFound,
		Message: fmt.Sprintf("no operation at %s %s", r.Method, clip(r.URL.Path))})
}

// checkPath refuses paths that are not canonical: empty, "." or ".."
// segments, and segments that decode to a slash, backslash or control
// character. ServeMux would redirect or unescape such paths; an API
// answers 400 instead.
func checkPath(u *url.URL) error {
	p := u.EscapedPath()
	if !strings.HasPrefix(p, "/") {
		return badRequest("path", "the path must start with /")
	}
	segs := strings.Split(p[1:], "/")
	for i, s := range segs {
		if s == "" && i < len(segs)-1 {
			return badRequest("path", "the path must not contain empty segments (//)")
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return badRequest("path", "the path has a malformed escape in %q", clip(s))
		}
		if d == "." || d == ".." {
			return badRequest("path", "the path must not contain . or .. segments")
		}
		if strings.ContainsFunc(d, func(r rune) bool { return r == '/' || r == '\\' || unicode.IsControl(r) }) {
			return badRequest("path", "the path segment %q must not hold an encoded slash, backslash or control character", clip(s))
		}
	}
	return nil
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder notes the status written, for the access log, and whether the
// connection was hijacked. Unwrap lets http.ResponseController and the
// WebSocket upgrade reach the server's ResponseWriter (Flusher, Hijacker).
type recorder struct {
	http.ResponseWriter
	status   int
	hijacked bool
}

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap returns the wrapped ResponseWriter.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
