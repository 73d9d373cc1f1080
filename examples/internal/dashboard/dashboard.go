package dashboard

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	"github.com/mastra-admin/mastra-admin-go/admin/ui"
)

// Prefix is where the examples mount the dashboard.
const Prefix = "/ui"

// Command is embedded.RunCommand with the dashboard: it reads the same
// flags (embedded.CommandConfig), opens the Stack, and serves the API and the dashboard, put into
// the application's router by mount, until SIGINT or SIGTERM.
func Command(args []string, mount func(api, dash http.Handler) http.Handler) (err error) {
	c, ok, err := embedded.CommandConfig(args)
	if !ok || err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	st, err := c.Open(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	dash, err := ui.NewHandler(st.Admin, &ui.Options{Prefix: Prefix, Logger: c.Logger})
	if err != nil {
		return err
	}
	defer dash.(*ui.Handler).Close()
	return st.Serve(ctx, c, func(api http.Handler) http.Handler { return mount(api, dash) }, nil)
}
