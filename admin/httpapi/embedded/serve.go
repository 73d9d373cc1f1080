package embedded

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
)

// Config is what a command-line server reads from its flags or
// environment: where to serve, and the Options of its Stack.
type Config struct {
	// Addr is where the API listens (default ":3001").
	Addr string
	// ProxyAddr is where the router serves the deployments (default
	// ":3100"; empty: not served). Its port is the port of the
	// deployments' public URLs.
	ProxyAddr string
	// DataDir and ProjectsDir are as for Open.
	DataDir, ProjectsDir string
	// FileStoragePath and Runner are as in Options.
	FileStoragePath string
	Runner          *runnerlocal.Options
	// API holds the options of the API Handler: allowed browser origins,
	// authenticators and extra routes (single sign-on, see oidcauth),
	// limits. Its Logger defaults to Logger.
	API httpapi.Options
	// AdminOptions are added to the Admin's (a license, an instance id, …).
	AdminOptions []admin.Option
	// Logger receives the log; default: discard.
	Logger *slog.Logger
	// Settings name, in error messages, how the user sets each field
	// (RunCommand: its flags).
	Settings SettingNames
	// ClickHouseURL is as in Options: where spans and logs go instead of
	// the embedded store.
	ClickHouseURL string
}

// DefaultConfig returns the defaults: API on :3001, router on :3100,
// projects in the current directory, a temporary data directory.
func DefaultConfig() Config {
	return Config{Addr: ":3001", ProxyAddr: ":3100", ProjectsDir: "."}
}

// RunCommand is the whole of a command-line server's main: it reads the
// flags of RegisterFlags from args (os.Args[1:]) onto DefaultConfig, logs
// to stderr, and serves the API, put into the application's router by
// mount, and the router of the deployments (Run) until SIGINT or SIGTERM.
func RunCommand(args []string, mount func(api http.Handler) http.Handler) error {
	c, ok, err := CommandConfig(args)
	if !ok || err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, c, mount, nil)
}

// CommandConfig is how RunCommand reads its command line, for a main that
// serves more than the API (see examples/internal/dashboard): the flags of
// RegisterFlags read from args onto DefaultConfig, error messages naming
// those flags, and a Logger writing text to stderr. ok is false, with a nil
// error, when args asked for -h (the flags' usage is printed).
func CommandConfig(args []string) (c Config, ok bool, err error) {
	c = DefaultConfig()
	c.Settings = SettingNames{Addr: "-addr", ProxyAddr: "-proxy", DataDir: "-data", ProjectsDir: "-projects", ClickHouseURL: "-clickhouse"}
	fs := flag.NewFlagSet(filepath.Base(os.Args[0]), flag.ContinueOnError)
	c.RegisterFlags(fs)
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return c, false, nil
	} else if err != nil {
		return c, false, err
	}
	c.Logger = slog.New(slog.NewTextHandler(os.Stderr, nil))
	return c, true, nil
}

// RegisterFlags binds c's fields to flags -addr, -proxy, -data, -projects,
// -clickhouse and -origin (repeatable).
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Addr, "addr", c.Addr, "address the API listens on")
	fs.StringVar(&c.ProxyAddr, "proxy", c.ProxyAddr, `address of the reverse proxy to the deployments ("" for none)`)
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory (default: a temporary one, removed on exit)")
	fs.StringVar(&c.ProjectsDir, "projects", c.ProjectsDir, "directory of the Mastra projects the local source offers")
	fs.StringVar(&c.ClickHouseURL, "clickhouse", c.ClickHouseURL, "ClickHouse for spans and logs, clickhouse://host:9000/database (default: the embedded store)")
	fs.Func("origin", "a browser origin allowed to call the API (repeatable)", func(s string) error {
		c.API.AllowedOrigins = append(c.API.AllowedOrigins, s)
		return nil
	})
}

// Open opens the Stack c describes (see Open), its deployments' public
// URLs on the port of c.ProxyAddr, and starts the Admin's workers. It first
// checks that c.Addr and c.ProxyAddr are free, so that an address taken by
// another program is reported (naming its setting) before anything is
// created.
func (c Config) Open(ctx context.Context) (*Stack, error) {
	names := c.Settings.withDefaults()
	port := 0
	if c.ProxyAddr != "" {
		_, p, err := net.SplitHostPort(c.ProxyAddr)
		if err == nil {
			port, err = strconv.Atoi(p)
		}
		if err != nil {
			return nil, settingError(names.ProxyAddr, "%q is not host:port with a numeric port", c.ProxyAddr)
		}
	}
	for _, a := range []struct{ name, addr string }{{names.Addr, c.Addr}, {names.ProxyAddr, c.ProxyAddr}} {
		if a.addr == "" {
			continue
		}
		l, err := net.Listen("tcp", a.addr)
		if err != nil {
			return nil, listenError(a.name, a.addr, err)
		}
		l.Close()
	}
	return Open(ctx, c.DataDir, &Options{ProjectsDir: c.ProjectsDir, ProxyPort: port, Logger: c.Logger,
		AdminOptions: c.AdminOptions, FileStoragePath: c.FileStoragePath, Runner: c.Runner, Settings: c.Settings,
		ClickHouseURL: c.ClickHouseURL})
}

// listenError says why addr, the value of setting name, cannot be listened
// on, and what to do.
func listenError(name, addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return settingError(name, "%s is in use by another program: stop it, or set %s to a free address", addr, name)
	}
	return settingError(name, "cannot listen on %s (%v): set %s to an address of this machine", addr, unwrapNet(err), name)
}

// unwrapNet returns the cause of a *net.OpError (the address is said once,
// by the caller).
func unwrapNet(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Err
	}
	return err
}

// Run opens the Stack c describes, serves it (see Stack.Serve) until ctx is
// done, and closes it.
func Run(ctx context.Context, c Config, mount func(api http.Handler) http.Handler, ready func(apiAddr string)) (err error) {
	st, err := c.Open(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	return st.Serve(ctx, c, mount, ready)
}

// Serve builds the API Handler of s's Admin, lets mount put it into the
// application's router (net/http, chi, gin, echo …; nil serves the API
// alone), and serves the result on c.Addr, and the deployments on
// c.ProxyAddr, until ctx is done or serving fails. ready, when set, is
// called with the API's address once it listens. Serve uses c's Addr,
// ProxyAddr, API and Logger; it does not close s.
func (s *Stack) Serve(ctx context.Context, c Config, mount func(api http.Handler) http.Handler, ready func(apiAddr string)) (err error) {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	opts := c.API
	if opts.Logger == nil {
		opts.Logger = c.Logger
	}
	api, err := httpapi.New(s.Admin, &opts)
	if err != nil {
		return err
	}
	defer api.Close()
	var h http.Handler = api
	if mount != nil {
		h = mount(api)
	}
	names := c.Settings.withDefaults()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", c.Addr)
	if err != nil {
		return listenError(names.Addr, c.Addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var proxied chan error // nil, never ready, without a proxy
	if c.ProxyAddr != "" {
		pl, err := lc.Listen(ctx, "tcp", c.ProxyAddr)
		if err != nil {
			ln.Close()
			return listenError(names.ProxyAddr, c.ProxyAddr, err)
		}
		proxied = make(chan error, 1)
		go func() { proxied <- s.Router.Serve(ctx, pl) }()
		defer func() {
			cancel()
			if proxied != nil {
				<-proxied // the proxy's port is free when Serve returns
			}
		}()
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	c.Logger.Info("serving the API", "addr", ln.Addr().String(), "proxy", c.ProxyAddr, "data", s.DataDir)
	if ready != nil {
		ready(ln.Addr().String())
	}
	select {
	case err = <-served:
	case err = <-proxied:
		// nil when ctx ended, which this select may see here first.
		proxied = nil
		if err != nil {
			err = fmt.Errorf("proxy: %w", err)
		}
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
