// Command nethttp serves the MastraAdmin HTTP API with the standard
// library's http.ServeMux, on the embedded defaults (SQLite, local files and
// builds in a data directory; the Mastra projects of -projects):
//
//	go run ./examples/nethttp -addr :3001 -projects ./examples
//
// The API is an http.Handler: this example mounts it at the root of a
// ServeMux next to the application's own routes. To serve it under a
// prefix, strip it: mux.Handle("/admin/", http.StripPrefix("/admin", api)).
// The deployments are served by the reverse proxy on -proxy (:3100).
//
// The browser dashboard (package ui) is mounted under /ui beside the
// API: sign in there with an API token (POST /v1/bootstrap makes the
// first user and their token).
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/mastra-admin/mastra-admin-go/examples/internal/dashboard"
)

func main() {
	if err := dashboard.Command(os.Args[1:], mount); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

// mount puts the API and the dashboard into the application's router.
func mount(api, dash http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle(dashboard.Prefix+"/", dash)
	mux.Handle("/", api)
	return mux
}
