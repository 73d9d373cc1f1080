package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// cors applies the allowed-origins policy: listed origins get CORS headers
// with credentials; "*" lets any origin read responses, without
// credentials; other origins get no CORS headers, so browsers refuse to
// hand them the response.
type cors struct {
	origins map[string]bool // canonical "scheme://host[:port]"
	any     bool
}

const (
	corsMethods = "GET, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type"
	corsMaxAge  = 600 // seconds
)

func newCORS(allowed []string) (cors, error) {
	c := cors{origins: map[string]bool{}}
	for _, o := range allowed {
		if o == "*" {
			c.any = true
			continue
		}
		canon, ok := canonicalOrigin(o)
		if !ok {
			return c, &admin.ValidationError{Field: "AllowedOrigins",
				Reason: strconv.Quote(o) + ` is not an origin such as "https://console.example.com" (scheme and host, no path)`}
		}
		c.origins[canon] = true
	}
	return c, nil
}

// canonicalOrigin lower-cases an origin and checks that it has a scheme and
// a host and nothing else.
func canonicalOrigin(o string) (string, bool) {
	u, err := url.Parse(o)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", false
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), true
}

// allowed reports whether origin may read responses, and with credentials.
func (c cors) allowed(origin string) (ok, credentials bool) {
	if canon, valid := canonicalOrigin(origin); valid && c.origins[canon] {
		return true, true
	}
	return c.any, false
}

// handle sets the CORS headers of a response and answers preflight
// requests; it reports whether it answered.
func (c cors) handle(w http.ResponseWriter, r *http.Request) bool {
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	if origin == "" {
		return false
	}
	ok, creds := c.allowed(origin)
	if preflight {
		h.Add("Vary", "Access-Control-Request-Method")
		h.Add("Vary", "Access-Control-Request-Headers")
		if !ok {
			writeErrorBody(w, http.StatusForbidden, ErrorBody{Code: CodeForbidden,
				Message: "origin " + strconv.Quote(clip(origin)) + " may not call this API (see Options.AllowedOrigins)"})
			return true
		}
	}
	if !ok {
		return false
	}
	if creds {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Credentials", "true")
	} else {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	if !preflight {
		h.Set("Access-Control-Expose-Headers", "Location, X-Request-Id, WWW-Authenticate")
		return false
	}
	h.Set("Access-Control-Allow-Methods", corsMethods)
	h.Set("Access-Control-Allow-Headers", corsHeaders)
	h.Set("Access-Control-Max-Age", strconv.Itoa(corsMaxAge))
	w.WriteHeader(http.StatusNoContent)
	return true
}

// websocketOrigin reports whether a WebSocket upgrade from origin may
// proceed: no Origin (not a browser), the server's own host, or an allowed
// origin. Browsers do not apply CORS to WebSockets, so the server must.
func (c cors) websocketOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if ok, _ := c.allowed(origin); ok {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
