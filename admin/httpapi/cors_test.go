package httpapi_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

func TestCORS(t *testing.T) {
	env := apitest.New(t, nil)
	listed, err := httpapi.New(env.Admin, &httpapi.Options{AllowedOrigins: []string{"https://Console.Example.com", "http://localhost:5173"}})
	if err != nil {
		t.Fatal(err)
	}
	anyOrigin, err := httpapi.New(env.Admin, &httpapi.Options{AllowedOrigins: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	preflight := func(h http.Handler, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("OPTIONS", "/v1/teams", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "authorization, content-type")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	get := func(h http.Handler, origin string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("GET", "/v1/openapi.json", nil)
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	cases := []struct {
		name        string
		rec         *httptest.ResponseRecorder
		status      int
		allowOrigin string
		credentials string
	}{
		{"preflight, listed origin", preflight(listed, "https://console.example.com"), 204, "https://console.example.com", "true"},
		{"preflight, listed dev origin", preflight(listed, "http://localhost:5173"), 204, "http://localhost:5173", "true"},
		{"preflight, other port", preflight(listed, "http://localhost:3000"), 403, "", ""},
		{"preflight, other origin", preflight(listed, "https://evil.example.com"), 403, "", ""},
		{"preflight, any origin", preflight(anyOrigin, "https://evil.example.com"), 204, "*", ""},
		{"request, listed origin", get(listed, "https://console.example.com"), 200, "https://console.example.com", "true"},
		{"request, other origin", get(listed, "https://evil.example.com"), 200, "", ""},
		{"request, any origin", get(anyOrigin, "https://evil.example.com"), 200, "*", ""},
		{"request, no origin", get(listed, ""), 200, "", ""},
	}
	for _, c := range cases {
		h := c.rec.Header()
		if c.rec.Code != c.status || h.Get("Access-Control-Allow-Origin") != c.allowOrigin ||
			h.Get("Access-Control-Allow-Credentials") != c.credentials {
			t.Errorf("%s: status %d, allow-origin %q, credentials %q", c.name, c.rec.Code,
				h.Get("Access-Control-Allow-Origin"), h.Get("Access-Control-Allow-Credentials"))
		}
		if !slices.Contains(h.Values("Vary"), "Origin") {
			t.Errorf("%s: Vary = %v, want Origin", c.name, h.Values("Vary"))
		}
		if c.status == 204 && (h.Get("Access-Control-Allow-Methods") == "" || h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type") {
			t.Errorf("%s: allow-methods %q, allow-headers %q", c.name, h.Get("Access-Control-Allow-Methods"), h.Get("Access-Control-Allow-Headers"))
		}
	}
	for _, bad := range []string{"console.example.com", "https://console.example.com/app", "ftp://x", "https://"} {
		if _, err := httpapi.New(env.Admin, &httpapi.Options{AllowedOrigins: []string{bad}}); err == nil {
			t.Errorf("AllowedOrigins %q was accepted", bad)
		}
	}
}
