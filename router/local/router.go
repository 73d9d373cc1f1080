package local

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router"
)

// Defaults for Options.
const (
	DefaultBaseDomain      = "localhost"
	DefaultPublicScheme    = "http"
	DefaultPublicPort      = 3100
	DefaultAddr            = ":3100"
	DefaultRetryAfter      = 5 * time.Second
	DefaultShutdownTimeout = 10 * time.Second
)

// Options configures a Router. The zero value (or nil) gives the defaults.
type Options struct {
	// BaseDomain is the domain under which deployments get host names:
	// {project}.{BaseDomain} and {deployment}--{project}.{BaseDomain}.
	// Default "localhost" (names under it resolve to loopback in browsers
	// and curl without any DNS set-up). Matched case-insensitively.
	BaseDomain string
	// PublicScheme is the scheme of public URLs: "http" (default) or
	// "https" when TLS is terminated in front of the router.
	PublicScheme string
	// PublicPort is the port of public URLs. Default 3100; left out of the
	// URL when it is the scheme's default (80 for http, 443 for https).
	PublicPort int
	// PathURLs makes PublicURL return path-routed URLs
	// ({scheme}://{BaseDomain}[:port]/{project}/{deployment}/) instead of
	// host names, for set-ups without wildcard DNS.
	PathURLs bool
	// RetryAfter is the Retry-After sent with a 503 when a deployment has no
	// server or its server refuses connections. Default 5s.
	RetryAfter time.Duration
	// FlushInterval is how often bodies of responses with a known length
	// are flushed to the client while they are copied. Server-sent events
	// and responses of unknown length (chunked streams) are always flushed
	// after every write, whatever the setting. Zero (the default) flushes a
	// known-length response when the buffer fills and at its end, which
	// sends a small response in one write; negative flushes after every
	// write, headers first, which costs a second write per response.
	FlushInterval time.Duration
	// ShutdownTimeout bounds the graceful part of Serve's shutdown; streams
	// and WebSocket connections still open after it are cut. Default 10s.
	ShutdownTimeout time.Duration
	// Transport, when set, sends every request to the deployed servers
	// through httputil.ReverseProxy with it (for TLS to the servers, or
	// tracing). Default: the router's own HTTP/1.1 client (see Proxying in
	// the package documentation), with a clone of http.DefaultTransport
	// without environment proxies or transparent compression for protocol
	// upgrades.
	Transport http.RoundTripper
	// NoEventLoop makes Serve read every request with net/http's parser in
	// a goroutine per connection. By default, on Linux and with the
	// router's own client (no Transport), Serve's event loops forward the
	// common requests themselves, which takes about half the CPU time per
	// request, and hand everything else to that server loop; see Serving
	// in the package documentation.
	NoEventLoop bool
	// Logger receives routing changes and proxy errors. Default: discard.
	Logger *slog.Logger
}

// Router is a reverse proxy that routes requests to deployed servers by
// host name or path prefix. It implements admin.Router and http.Handler;
// route changes are atomic and safe while requests are being served.
type Router struct {
	baseDomain    string
	urlPrefix     string // scheme "://"
	urlPort       string // ":3100", or "" for the scheme's default port
	pathURLs      bool
	retryAfter    string
	flush         time.Duration
	shutdown      time.Duration
	transport     http.RoundTripper
	ownsTransport bool
	noEventLoop   bool
	log           *slog.Logger
	errorLog      *log.Logger
	buffers       bufferPool
	bodies        sync.Pool // *[]byte of maxBufferedBody, for request bodies read whole
	upstreams     upstreams // connection pools of the router's own proxy path

	mu      sync.Mutex // serialises route changes and the server set
	table   atomic.Pointer[table]
	closed  atomic.Bool
	servers map[*server]struct{}
}

var (
	_ admin.Router = (*Router)(nil)
	_ http.Handler = (*Router)(nil)
)

// New returns a Router with no routes. A nil opts gives the defaults; an
// invalid option gives an error wrapping admin.ErrInvalidArgument.
func New(opts *Options) (*Router, error) {
	if opts == nil {
		opts = &Options{}
	}
	o := *opts
	o.BaseDomain = strings.TrimSuffix(strings.ToLower(cmp.Or(o.BaseDomain, DefaultBaseDomain)), ".")
	o.PublicScheme = strings.ToLower(cmp.Or(o.PublicScheme, DefaultPublicScheme))
	o.PublicPort = cmp.Or(o.PublicPort, DefaultPublicPort)
	o.RetryAfter = cmp.Or(o.RetryAfter, DefaultRetryAfter)
	o.ShutdownTimeout = cmp.Or(o.ShutdownTimeout, DefaultShutdownTimeout)
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("router/local: new: %w", err)
	}
	rt := &Router{
		baseDomain:  o.BaseDomain,
		urlPrefix:   o.PublicScheme + "://",
		pathURLs:    o.PathURLs,
		retryAfter:  strconv.Itoa(int((o.RetryAfter + time.Second - 1) / time.Second)),
		flush:       o.FlushInterval,
		shutdown:    o.ShutdownTimeout,
		transport:   o.Transport,
		noEventLoop: o.NoEventLoop,
		log:         cmp.Or(o.Logger, slog.New(slog.DiscardHandler)).With("component", "router/local"),
		servers:     map[*server]struct{}{},
	}
	if !(o.PublicScheme == "http" && o.PublicPort == 80 || o.PublicScheme == "https" && o.PublicPort == 443) {
		rt.urlPort = ":" + strconv.Itoa(o.PublicPort)
	}
	if rt.transport == nil {
		rt.transport, rt.ownsTransport = newTransport(), true
	}
	rt.errorLog = slog.NewLogLogger(rt.log.Handler(), slog.LevelWarn)
	rt.bodies.New = func() any { b := make([]byte, maxBufferedBody); return &b }
	rt.table.Store(emptyTable())
	return rt, nil
}

func (o *Options) validate() error {
	var addrErr error
	if _, err := netip.ParseAddr(strings.Trim(o.BaseDomain, "[]")); err == nil {
		addrErr = errors.New("is an IP address; host routing needs a domain name")
	}
	switch {
	case strings.Contains(o.BaseDomain, ":"):
		return invalid("baseDomain", "%q must be a domain name without a port (set PublicPort for the port)", o.BaseDomain)
	case addrErr != nil:
		return invalid("baseDomain", "%q %v", o.BaseDomain, addrErr)
	case len(o.BaseDomain) > 253 || !isDNSName(o.BaseDomain):
		return invalid("baseDomain", "%q must be a domain name such as localhost or apps.example.com", o.BaseDomain)
	case o.PublicScheme != "http" && o.PublicScheme != "https":
		return invalid("publicScheme", "%q must be http or https", o.PublicScheme)
	case o.PublicPort < 1 || o.PublicPort > 65535:
		return invalid("publicPort", "%d must be from 1 to 65535", o.PublicPort)
	case o.RetryAfter < 0:
		return invalid("retryAfter", "%v must not be negative", o.RetryAfter)
	case o.ShutdownTimeout < 0:
		return invalid("shutdownTimeout", "%v must not be negative", o.ShutdownTimeout)
	}
	return nil
}

// isDNSName reports whether s is dot-separated labels of a-z, 0-9 and '-'
// (lower case: the caller folds it), each 1-63 characters, neither starting
// nor ending with '-'.
func isDNSName(s string) bool {
	for label := range strings.SplitSeq(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			if c := label[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

// newTransport is http.DefaultTransport tuned for a reverse proxy in front
// of a few local servers: many idle keep-alive connections per server, no
// proxy from the environment, and bodies passed through as they are.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	t.MaxIdleConns = 4096
	t.MaxIdleConnsPerHost = 512
	t.IdleConnTimeout = 90 * time.Second
	t.DisableCompression = true
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	return t
}

// SetRoute adds r, or replaces the route of r.DeploymentID, in one atomic
// step: every request is routed by the table before or after the change.
// An invalid route gives an error wrapping admin.ErrInvalidArgument; a route
// whose host name or path is already another deployment's gives one
// wrapping admin.ErrAlreadyExists. Neither changes the table.
func (rt *Router) SetRoute(ctx context.Context, r admin.Route) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("router/local: set route: %w", err)
	}
	if err := router.ValidateRoute(r); err != nil {
		return fmt.Errorf("router/local: set route %q: %w", r.DeploymentID, err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed.Load() {
		return fmt.Errorf("router/local: set route %q: %w", r.DeploymentID, admin.ErrClosed)
	}
	next, err := rt.table.Load().with(rt.newEntry(r))
	if err != nil {
		rt.upstreams.prune(rt.table.Load())
		return fmt.Errorf("router/local: set route %q: %w", r.DeploymentID, err)
	}
	rt.table.Store(next)
	rt.upstreams.prune(next)
	rt.log.Debug("route set", "deploymentId", r.DeploymentID, "host", router.HostLabel(r)+"."+rt.baseDomain,
		"path", router.PathPrefix(r), "target", r.Target)
	return nil
}

// RemoveRoute removes the deployment's route; requests for its names get
// 404 from then on. It returns an error wrapping admin.ErrNotFound when the
// deployment has no route.
func (rt *Router) RemoveRoute(ctx context.Context, deploymentID string) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("router/local: remove route: %w", err)
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed.Load() {
		return fmt.Errorf("router/local: remove route %q: %w", deploymentID, admin.ErrClosed)
	}
	next, ok := rt.table.Load().without(deploymentID)
	if !ok {
		return fmt.Errorf("router/local: remove route %q: %w", deploymentID, admin.ErrNotFound)
	}
	rt.table.Store(next)
	rt.upstreams.prune(next)
	rt.log.Debug("route removed", "deploymentId", deploymentID)
	return nil
}

// Routes returns every route, sorted by DeploymentID.
func (rt *Router) Routes(ctx context.Context) ([]admin.Route, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("router/local: routes: %w", err)
	}
	if rt.closed.Load() {
		return nil, fmt.Errorf("router/local: routes: %w", admin.ErrClosed)
	}
	t := rt.table.Load()
	out := make([]admin.Route, 0, len(t.byID))
	for _, e := range t.byID {
		out = append(out, e.route)
	}
	slices.SortFunc(out, func(a, b admin.Route) int { return strings.Compare(a.DeploymentID, b.DeploymentID) })
	return out, nil
}

// PublicURL is the URL users reach r at, without a trailing slash:
// "http://job-matching-agent.localhost:3100" for a production route,
// "http://pr-456--job-matching-agent.localhost:3100" for others. With
// Options.PathURLs it is "http://localhost:3100/job-matching-agent/production/".
func (rt *Router) PublicURL(r admin.Route) string {
	if rt.pathURLs {
		return rt.urlPrefix + rt.baseDomain + rt.urlPort + router.PathPrefix(r) + "/"
	}
	return rt.urlPrefix + router.HostLabel(r) + "." + rt.baseDomain + rt.urlPort
}

// Close stops the router: route changes fail with admin.ErrClosed, requests
// get 503, servers started by Serve stop at once and idle connections to
// deployed servers are closed. Close is idempotent.
func (rt *Router) Close() error {
	rt.mu.Lock()
	if rt.closed.Swap(true) {
		rt.mu.Unlock()
		return nil
	}
	servers := slices.Collect(maps.Keys(rt.servers))
	rt.mu.Unlock()
	var errs []error
	for _, s := range servers {
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
	}
	if rt.ownsTransport {
		rt.transport.(*http.Transport).CloseIdleConnections()
		rt.upstreams.close()
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("router/local: close: %w", err)
	}
	return nil
}

func invalid(field, format string, args ...any) error {
	return &admin.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}
