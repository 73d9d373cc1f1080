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
package main

import (
	"fmt"
	"net/http"
	"os"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
)

func main() {
	if err := embedded.RunCommand(os.Args[1:], mount); err != nil {
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

// mount puts the API into the application's router.
func mount(api http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	mux.Handle("/", api)
	return mux
}
