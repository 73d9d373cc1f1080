// Command chi serves the MastraAdmin HTTP API from a chi router, on the
// embedded defaults (SQLite, local files and builds in a data directory;
// the Mastra projects of -projects):
//
//	go run ./examples/chi -addr :3001 -projects ./examples
//
// The API is an http.Handler, mounted with r.Mount; chi passes the path
// unchanged, so the API's /v1/… routes match as they are. Middleware that
// wraps the ResponseWriter must keep http.Hijacker reachable (chi's own
// do, through Unwrap) for the WebSocket routes.
//
// The browser dashboard (package ui) is mounted under /ui beside the
// API: sign in there with an API token (POST /v1/bootstrap makes the
// first user and their token).
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/mastra-admin/mastra-admin-go/examples/internal/dashboard"
)

func main() {
	if err := dashboard.Command(os.Args[1:], mount); err != nil {
		fmt.Fprintln(os.Stderr, "chi:", err)
		os.Exit(1)
	}
}

// mount puts the API and the dashboard into the application's router.
func mount(api, dash http.Handler) http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.Recoverer, middleware.RequestID)
	r.Get("/healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	r.Mount("/v1", api)
	r.Mount(dashboard.Prefix, dash)
	return r
}
