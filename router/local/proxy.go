package local

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/router"
)

// entry is one route with the proxies that serve it.
type entry struct {
	route  admin.Route
	prefix string // router.PathPrefix(route)
	// byHost and byPath forward host-routed and path-routed requests
	// through httputil.ReverseProxy: protocol upgrades, and every request
	// when Options.Transport is set. Both are nil while the route has no
	// Target.
	byHost, byPath *httputil.ReverseProxy
	// up is the pool of connections to the Target that the router's own
	// proxy path (forward) uses; nil when Options.Transport is set or the
	// route has no Target.
	up *upstream
}

// newEntry builds the proxies of route r. Call with rt.mu held.
func (rt *Router) newEntry(r admin.Route) *entry {
	e := &entry{route: r, prefix: router.PathPrefix(r)}
	if r.Target == "" {
		return e
	}
	if rt.ownsTransport {
		e.up = rt.upstreams.get(r.Target)
	}
	target := &url.URL{Scheme: "http", Host: r.Target}
	proxy := func(rewrite func(*httputil.ProxyRequest)) *httputil.ReverseProxy {
		return &httputil.ReverseProxy{
			Rewrite: func(pr *httputil.ProxyRequest) {
				pr.SetURL(target) // also sends the target as Host
				pr.SetXForwarded()
				if rewrite != nil {
					rewrite(pr)
				}
			},
			Transport:     rt.transport,
			FlushInterval: rt.flush,
			ErrorLog:      rt.errorLog,
			BufferPool:    &rt.buffers,
			ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
				rt.proxyError(w, req, e, err)
			},
		}
	}
	e.byHost = proxy(nil)
	e.byPath = proxy(func(pr *httputil.ProxyRequest) {
		pr.Out.Header.Set("X-Forwarded-Prefix", e.prefix)
	})
	return e
}

// ServeHTTP forwards req to the server of the deployment it names.
//
// A request whose host (port and trailing dot removed, any case) is a
// subdomain of the base domain is routed by host name: {project} for
// production, {deployment}--{project} otherwise. Any other request (the base
// domain itself, an IP address, a foreign name) is routed by path:
// /{project}/{deployment}/rest is sent to the deployment as /rest with the
// query unchanged, and X-Forwarded-Prefix tells the server the prefix.
//
// Unknown names get 404; a deployment without a server, or whose server
// refuses connections, gets 503 with Retry-After; any other failure to get
// an answer gets 502. Error bodies name the host, path or deployment, never
// the server's address. The proxy sets X-Forwarded-For, -Host and -Proto
// itself and drops the client's own, which it cannot trust. Response bodies
// are streamed (server-sent events arrive event by event) and protocol
// upgrades such as WebSocket pass through.
func (rt *Router) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if rt.closed.Load() {
		rt.writeError(w, req, http.StatusServiceUnavailable, "the router is closed")
		return
	}
	if req.Method == http.MethodConnect {
		rt.writeError(w, req, http.StatusMethodNotAllowed, "CONNECT is not supported")
		return
	}
	t := rt.table.Load()
	host := canonicalHost(req.Host)
	if label, ok := rt.hostLabel(host); ok {
		e := t.byHost[label]
		switch {
		case e == nil:
			rt.writeError(w, req, http.StatusNotFound, fmt.Sprintf("no deployment is routed at host %q", clip(host)))
		case e.byHost == nil:
			rt.writeError(w, req, http.StatusServiceUnavailable, noServer(e))
		case e.up == nil || isUpgrade(req.Header):
			e.byHost.ServeHTTP(w, req)
		default:
			rt.forward(w, req, e, req.URL.EscapedPath(), "")
		}
		return
	}

	escaped := req.URL.EscapedPath()
	var e *entry
	if project, deployment, ok := splitRoutePath(escaped); ok {
		e = t.lookupPath(project, deployment)
	}
	switch {
	case e == nil:
		rt.writeError(w, req, http.StatusNotFound, fmt.Sprintf(
			"no deployment is routed at path %q: paths start with /{project}/{deployment}/", clip(escaped)))
	case e.byPath == nil:
		rt.writeError(w, req, http.StatusServiceUnavailable, noServer(e))
	case e.up == nil || isUpgrade(req.Header):
		e.byPath.ServeHTTP(w, stripPrefix(req, e.prefix, escaped))
	default:
		rt.forward(w, req, e, escaped[len(e.prefix):], e.prefix)
	}
}

// stripPrefix returns a shallow copy of req without the path prefix, which
// splitRoutePath found literally at the start of escaped. The prefix holds
// only characters that are never escaped, so it starts the decoded path too.
func stripPrefix(req *http.Request, prefix, escaped string) *http.Request {
	out := new(http.Request)
	*out = *req
	u := new(url.URL)
	*u = *req.URL
	u.Path = req.URL.Path[len(prefix):]
	if u.Path == "" {
		u.Path = "/"
	}
	u.RawPath = ""
	if req.URL.RawPath != "" {
		u.RawPath = escaped[len(prefix):]
	}
	out.URL = u
	return out
}

// splitRoutePath parses /{project}/{deployment}[/...] from an escaped path.
func splitRoutePath(p string) (project, deployment string, ok bool) {
	rest, ok := strings.CutPrefix(p, "/")
	if !ok {
		return "", "", false
	}
	project, rest, ok = strings.Cut(rest, "/")
	if !ok || project == "" {
		return "", "", false
	}
	deployment, _, _ = strings.Cut(rest, "/")
	return project, deployment, deployment != ""
}

// canonicalHost removes the port and a trailing dot and folds to lower case.
func canonicalHost(h string) string {
	if strings.HasPrefix(h, "[") { // [IPv6]:port
		if end := strings.IndexByte(h, ']'); end > 0 {
			h = h[1:end]
		}
	} else if i := strings.LastIndexByte(h, ':'); i >= 0 && strings.IndexByte(h, ':') == i {
		h = h[:i]
	}
	return strings.ToLower(strings.TrimSuffix(h, "."))
}

// hostLabel returns the part of host before ".{baseDomain}", if host is a
// subdomain of the base domain.
func (rt *Router) hostLabel(host string) (string, bool) {
	n := len(host) - len(rt.baseDomain) - 1
	if n <= 0 || host[n] != '.' || host[n+1:] != rt.baseDomain {
		return "", false
	}
	return host[:n], true
}

func (rt *Router) proxyError(w http.ResponseWriter, req *http.Request, e *entry, err error) {
	log := rt.log.With("deploymentId", e.route.DeploymentID, "target", e.route.Target, "method", req.Method,
		"path", req.URL.Path, "error", err)
	var opErr *net.OpError
	switch {
	case req.Context().Err() != nil:
		log.Debug("request ended before the deployment answered")
		rt.writeError(w, req, http.StatusBadGateway, fmt.Sprintf("the request ended before %s answered", describe(e)))
	case errors.As(err, &opErr) && opErr.Op == "dial":
		log.Warn("deployment refuses connections")
		rt.writeError(w, req, http.StatusServiceUnavailable, fmt.Sprintf("%s is not accepting connections; retry later", describe(e)))
	default:
		log.Warn("deployment failed to answer")
		rt.writeError(w, req, http.StatusBadGateway, fmt.Sprintf("%s failed to answer", describe(e)))
	}
}

// requestError answers 400 to a request the router cannot send on: a body
// that ends before its Content-Length, a header that cannot be written.
func (rt *Router) requestError(w http.ResponseWriter, req *http.Request, e *entry, err error) {
	rt.log.Debug("bad request", "deploymentId", e.route.DeploymentID, "method", req.Method, "path", req.URL.Path, "error", err)
	if req.Context().Err() != nil {
		rt.writeError(w, req, http.StatusBadRequest, "the request ended before it was sent")
		return
	}
	rt.writeError(w, req, http.StatusBadRequest, fmt.Sprintf("the request to %s cannot be sent: %v", describe(e), err))
}

func noServer(e *entry) string {
	return describe(e) + " has no running server yet; retry later"
}

func describe(e *entry) string {
	return fmt.Sprintf("deployment %q of project %q", e.route.DeploymentSlug, e.route.ProjectSlug)
}

// clip shortens client-supplied text before it is echoed in an error.
func clip(s string) string {
	const max = 200
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}

// writeError answers with the router's own error: plain text, or JSON
// ({"error": "...", "status": 404}) when the client accepts JSON. 503s carry
// Retry-After.
func (rt *Router) writeError(w http.ResponseWriter, req *http.Request, status int, msg string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", rt.retryAfter)
	}
	if strings.Contains(req.Header.Get("Accept"), "application/json") {
		body, _ := json.Marshal(struct {
			Error  string `json:"error"`
			Status int    `json:"status"`
		}{msg, status}) // cannot fail: a string and an int
		h.Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(append(body, '\n'))
		return
	}
	h.Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = fmt.Fprintf(w, "mastra-admin router: %s\n", msg)
}

// bufferPool recycles the 32 KiB buffers ReverseProxy copies bodies with.
type bufferPool struct{ pool sync.Pool }

const bufferSize = 32 << 10

func (b *bufferPool) Get() []byte {
	if p, ok := b.pool.Get().(*[]byte); ok {
		return *p
	}
	return make([]byte, bufferSize)
}

func (b *bufferPool) Put(buf []byte) {
	if cap(buf) == bufferSize {
		buf = buf[:bufferSize]
		b.pool.Put(&buf)
	}
}
