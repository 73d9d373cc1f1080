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
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
)

func main() {
	cfg := embedded.DefaultConfig()
	cfg.RegisterFlags(flag.CommandLine)
	flag.Parse()
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := embedded.Run(ctx, cfg, mount, nil); err != nil {
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
