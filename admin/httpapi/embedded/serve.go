package embedded

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
)

// Config is what the example servers read from their command line.
type Config struct {
	// Addr is where the API listens (default ":3001").
	Addr string
	// ProxyAddr is where the router serves the deployments (default
	// ":3100"; empty: not served).
	ProxyAddr string
	// DataDir and ProjectsDir are as for Open.
	DataDir, ProjectsDir string
	// Runner configures the local runner; nil means its defaults (see
	// Options.Runner).
	Runner *runnerlocal.Options
	// AllowedOrigins are the browser origins allowed to call the API.
	AllowedOrigins []string
	// Logger receives the log; default: discard.
	Logger *slog.Logger
}

// DefaultConfig returns the defaults: API on :3001, router on :3100,
// projects in the current directory, a temporary data directory.
func DefaultConfig() Config {
	return Config{Addr: ":3001", ProxyAddr: ":3100", ProjectsDir: "."}
}

// RegisterFlags binds c's fields to flags -addr, -proxy, -data, -projects
// and -origin (repeatable).
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address the API listens on")
	fs.StringVar(&c.ProxyAddr, "proxy", c.ProxyAddr, `address of the reverse proxy to the deployments ("" for none)`)
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory (default: a temporary one, removed on exit)")
	fs.StringVar(&c.ProjectsDir, "projects", c.ProjectsDir, "directory of the Mastra projects the local source offers")
	fs.Func("origin", "a browser origin allowed to call the API (repeatable)", func(s string) error {
		c.AllowedOrigins = append(c.AllowedOrigins, s)
		return nil
	})
}

// Run opens the Stack, builds the API Handler, lets mount put it into the
// application's router (net/http, chi, gin, echo …), and serves the result
// on c.Addr, and the deployments on c.ProxyAddr, until ctx is done. ready,
// when set, is called with the API's address once it listens.
func Run(ctx context.Context, c Config, mount func(api http.Handler) http.Handler, ready func(apiAddr string)) (err error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	port := 0
	if c.ProxyAddr != "" {
		_, p, err := net.SplitHostPort(c.ProxyAddr)
		if err != nil {
			return fmt.Errorf("proxy address: %w", err)
		}
		if port, err = strconv.Atoi(p); err != nil {
			return fmt.Errorf("proxy address: %w", err)
		}
	}
	st, err := Open(ctx, c.DataDir, &Options{ProjectsDir: c.ProjectsDir, ProxyPort: port, Logger: c.Logger, Runner: c.Runner})
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	api, err := httpapi.New(st.Admin, &httpapi.Options{AllowedOrigins: c.AllowedOrigins, Logger: c.Logger})
	if err != nil {
		return err
	}
	defer api.Close()
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	proxied := make(chan error, 1)
	if c.ProxyAddr != "" {
		go func() { proxied <- st.Router.ListenAndServe(ctx, c.ProxyAddr) }()
	}
	srv := &http.Server{Handler: mount(api), ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	c.Logger.Info("serving the API", "addr", ln.Addr().String(), "proxy", c.ProxyAddr, "data", st.DataDir)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err = <-served:
	case err = <-proxied:
		err = fmt.Errorf("proxy: %w", err)
	case <-ctx.Done():
	}
	shutdown, done := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer done()
	api.Close() // ends WebSocket streams, which Shutdown does not track
	if serr := srv.Shutdown(shutdown); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
