package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestWithDashboard checks the quickstart's routing: the API under /v1/,
// the dashboard at every other path.
func TestWithDashboard(t *testing.T) {
	named := func(name string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, name) })
	}
	srv := httptest.NewServer(withDashboard(named("dashboard"))(named("api")))
	defer srv.Close()
	for path, want := range map[string]string{"/": "dashboard", "/teams/t_1": "dashboard", "/static/app.css": "dashboard",
		"/v1/me": "api", "/v1/teams": "api"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != want {
			t.Errorf("%s went to %q, want %q", path, b, want)
		}
	}
}
