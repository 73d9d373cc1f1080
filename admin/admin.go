package admin

import (
	"cmp"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Admin is the control plane: it owns the business rules (validation, RBAC,
// license gates, slugs, state transitions, encryption, audit) and drives the
// providers, which only store and do I/O.
type Admin struct {
	config
	license *License
	keyring *Keyring
	mu      sync.Mutex
	closed  bool
	started bool
	orch    orchestrator
	ingest  ingestState
}

// Option configures an Admin.
type Option func(*config) error

type config struct {
	store      Storage
	files      FileStorage
	logs       BuildLogCache
	sources    map[SourceType]Source
	runner     Runner
	router     Router
	telem      ObservabilityStore
	logger     *slog.Logger
	now        func() time.Time
	licenseKey string
	licensePub ed25519.PublicKey
	keyActive  string
	keys       map[string][]byte

	buildRoot      string
	workers        int
	buildTimeout   time.Duration
	instanceID     string
	pollInterval   time.Duration
	healthInterval time.Duration
	logRetention   time.Duration
	keepFailed     time.Duration
	buildLease     time.Duration
	restart        RestartPolicy
	keepArtifacts  int

	decode       TelemetryDecodeFunc
	obsRetention time.Duration

	hooks webhookConfig // webhook secrets and preview policy (webhook_flow.go)
}

// WithStorage sets the Storage (required).
func WithStorage(s Storage) Option {
	return func(c *config) error { c.store = s; return nil }
}

// WithFileStorage sets where build logs and observability files are kept.
func WithFileStorage(f FileStorage) Option {
	return func(c *config) error { c.files = f; return nil }
}

// WithBuildLogCache sets the cache that holds live build logs.
func WithBuildLogCache(l BuildLogCache) Option {
	return func(c *config) error { c.logs = l; return nil }
}

// WithSource adds a Source of projects; use it once per source type. When
// any Source is configured, projects may only use the configured types.
// A Source that implements io.Closer is closed with the Admin.
func WithSource(s Source) Option {
	return func(c *config) error {
		if s == nil {
			return invalid("source", "must not be nil")
		}
		if _, dup := c.sources[s.Type()]; dup {
			return invalid("source", "a Source of type %s is already configured", s.Type())
		}
		if c.sources == nil {
			c.sources = map[SourceType]Source{}
		}
		c.sources[s.Type()] = s
		return nil
	}
}

// WithRunner sets what builds projects and runs their servers.
func WithRunner(r Runner) Option {
	return func(c *config) error { c.runner = r; return nil }
}

// WithRouter sets the reverse proxy that exposes deployments.
func WithRouter(r Router) Option {
	return func(c *config) error { c.router = r; return nil }
}

// WithObservabilityStore sets where spans and logs of deployed servers go.
func WithObservabilityStore(o ObservabilityStore) Option {
	return func(c *config) error { c.telem = o; return nil }
}

// WithLogger sets the logger; by default the Admin logs nothing.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		if l == nil {
			return invalid("logger", "must not be nil")
		}
		c.logger = l
		return nil
	}
}

// WithClock sets the time source (tests).
func WithClock(now func() time.Time) Option {
	return func(c *config) error {
		if now == nil {
			return invalid("clock", "must not be nil")
		}
		c.now = now
		return nil
	}
}

// WithLicense sets the license key and the Ed25519 public key it must be
// signed with. Without a license the Admin runs in development mode with the
// small limits of DevelopmentLicense.
func WithLicense(key string, publicKey ed25519.PublicKey) Option {
	return func(c *config) error {
		if len(publicKey) != ed25519.PublicKeySize {
			return invalid("license public key", "must be %d bytes, got %d", ed25519.PublicKeySize, len(publicKey))
		}
		c.licenseKey, c.licensePub = key, publicKey
		return nil
	}
}

// WithEncryptionKeys sets the AES-256 keys (32 bytes each) that seal env-var
// values, by key id. New values are sealed with the active key; values sealed
// with any listed key still open, so keys rotate by adding a new active key
// and calling ResealEnvVars. Without keys, setting an env var fails.
func WithEncryptionKeys(active string, keys map[string][]byte) Option {
	return func(c *config) error {
		c.keyActive, c.keys = active, keys
		return nil
	}
}

// WithBuildDir sets the directory under which each build gets its own
// folder ({dir}/{buildId}); default {os.TempDir()}/mastra/builds. A
// relative dir is taken from the working directory when New is called, so
// that a later change of directory moves nothing and every path handed to
// a Source or Runner is absolute.
func WithBuildDir(dir string) Option {
	return func(c *config) error {
		if dir == "" {
			return invalid("build dir", "must not be empty")
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return invalid("build dir", "%q: %v", dir, err)
		}
		c.buildRoot = abs
		return nil
	}
}

// WithBuildWorkers sets how many builds run at once in this admin process
// (default 2). The limit is per process, not global: several admin servers
// sharing one Storage each run up to their own limit at once, and the
// shared queue keeps at most one build per deployment in flight across
// all of them.
func WithBuildWorkers(n int) Option {
	return func(c *config) error {
		if n < 1 || n > 64 {
			return invalid("build workers", "must be between 1 and 64, got %d", n)
		}
		c.workers = n
		return nil
	}
}

// WithBuildTimeout bounds one build from claim to healthy server (default
// 30 minutes).
func WithBuildTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return invalid("build timeout", "must be at least 1s")
		}
		c.buildTimeout = d
		return nil
	}
}

// WithInstanceID names this admin process among several sharing one
// Storage (default: the host name). It must stay the same across restarts
// of the same process: on Start, builds this instance had claimed are
// recovered.
func WithInstanceID(id string) Option {
	return func(c *config) error {
		if id == "" || len(id) > 128 {
			return invalid("instance id", "must be 1-128 characters")
		}
		c.instanceID = id
		return nil
	}
}

// WithIntervals sets how often idle workers poll the build queue (other
// admin servers may enqueue; default 2s) and how often running servers are
// health-checked (default 10s).
func WithIntervals(queuePoll, health time.Duration) Option {
	return func(c *config) error {
		if queuePoll <= 0 || health <= 0 {
			return invalid("intervals", "must be positive")
		}
		c.pollInterval, c.healthInterval = queuePoll, health
		return nil
	}
}

// WithArtifactRetention sets how many successful builds of each deployment
// keep their build directory for rollbacks (default 3, at least 1). The
// directory of a build a server runs from is always kept; those of failed
// and cancelled builds are kept for WithFailedBuildRetention.
func WithArtifactRetention(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return invalid("artifact retention", "must keep at least 1 build, got %d", n)
		}
		c.keepArtifacts = n
		return nil
	}
}

// WithBuildLease sets how long a build in flight may go without word from
// the admin process running it (default 2 minutes, at least 1 s). That
// process renews the lease every quarter of it; when a lease is older than
// this, whichever admin server's maintenance worker sees it first fails
// the build, naming the silent instance, ends what the build left running
// when it can (BuildReaper), and frees the deployment for its next build.
// A build of an admin that died is otherwise only settled when that same
// instance (WithInstanceID) starts again. The admin servers' clocks must
// agree to well within the lease.
func WithBuildLease(d time.Duration) Option {
	return func(c *config) error {
		if d < time.Second {
			return invalid("build lease", "must be at least 1s")
		}
		c.buildLease = d
		return nil
	}
}

// WithFailedBuildRetention sets how long the directory of a failed or
// cancelled build (its source copy, installed dependencies, partial output
// and server.log) is kept after the build ended, for operators to inspect
// (default 24 hours; 0 removes it as soon as the maintenance worker comes
// by). Each admin process sweeps its own build directory about once a
// minute.
func WithFailedBuildRetention(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("failed build retention", "must not be negative")
		}
		c.keepFailed = d
		return nil
	}
}

// WithRestartPolicy sets how servers that crash are restarted (default
// DefaultRestartPolicy). Zero fields take their default.
func WithRestartPolicy(p RestartPolicy) Option {
	return func(c *config) error {
		d := DefaultRestartPolicy
		p.FirstDelay = cmp.Or(p.FirstDelay, d.FirstDelay)
		p.MaxDelay = cmp.Or(p.MaxDelay, max(d.MaxDelay, p.FirstDelay))
		p.StableAfter = cmp.Or(p.StableAfter, d.StableAfter)
		if p.FirstDelay < 0 || p.MaxDelay < p.FirstDelay || p.StableAfter < 0 {
			return invalid("restart policy", "want 0 < FirstDelay <= MaxDelay and StableAfter > 0, got %+v", p)
		}
		c.restart = p
		return nil
	}
}

// New returns an Admin. Storage is required; the other providers are needed
// only by the features that use them (a call that needs a missing one
// returns ErrNotSupported). A configured license that does not verify, or a
// LicensedRunner whose feature the license does not allow, makes New fail
// with ErrLicense.
func New(opts ...Option) (*Admin, error) {
	c := config{now: time.Now, logger: slog.New(slog.DiscardHandler),
		buildRoot: filepath.Join(os.TempDir(), "mastra", "builds"), workers: 2, buildTimeout: 30 * time.Minute,
		pollInterval: 2 * time.Second, healthInterval: 10 * time.Second, logRetention: 10 * time.Minute,
		keepFailed: 24 * time.Hour, buildLease: 2 * time.Minute, restart: DefaultRestartPolicy, keepArtifacts: 3,
		obsRetention: DefaultObservabilityRetention}
	if host, err := os.Hostname(); err == nil {
		c.instanceID = host
	} else {
		c.instanceID = "admin"
	}
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
	}
	if c.store == nil {
		return nil, fmt.Errorf("admin: %w", invalid("storage", "is required (admin.WithStorage)"))
	}
	a := &Admin{config: c, license: DevelopmentLicense()}
	a.hooks.state = &reconcileState{wake: make(chan struct{}, 1)}
	if c.licenseKey != "" {
		lic, err := ParseLicense(c.licenseKey, c.licensePub)
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		if err := lic.Check(a.clock()); err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		a.license = lic
	}
	if lr, ok := c.runner.(LicensedRunner); ok {
		if err := a.license.Allows(lr.LicenseFeature()); err != nil {
			return nil, fmt.Errorf("admin: runner: %w", err)
		}
	}
	if c.keys != nil {
		k, err := NewKeyring(c.keyActive, c.keys)
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		a.keyring = k
	}
	a.keys = nil // the keyring holds its own copy
	return a, nil
}

// clock returns the current time in UTC at microsecond precision, the
// precision every Storage keeps.
func (a *Admin) clock() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

// License returns the license configured (or DevelopmentLicense), even
// after it has expired.
func (a *Admin) License() License { return *a.license }

// licenseInForce reports whether the license is in force at the Admin's
// clock: nil, or a *LicenseError saying since when it is not. Every license
// gate (checkLimit, checkFeature, CreateDeployment, checkServerLimit) goes
// through it on every call, so a license that expires while the Admin runs
// stops what the package documentation says it stops.
func (a *Admin) licenseInForce() error {
	if err := a.license.Check(a.clock()); err != nil {
		return fmt.Errorf("%w; until then nothing new may be created or deployed (reading, stopping and deleting still work)", err)
	}
	return nil
}

// checkLimit is the license gate on creating one more object of kind while
// current exist.
func (a *Admin) checkLimit(kind string, current int) error {
	if err := a.licenseInForce(); err != nil {
		return err
	}
	return a.license.CheckLimit(kind, current)
}

// checkFeature is the license gate on a feature.
func (a *Admin) checkFeature(feature string) error {
	if err := a.licenseInForce(); err != nil {
		return err
	}
	return a.license.Allows(feature)
}

// Close stops the workers and closes every provider. It is safe to call more
// than once.
func (a *Admin) Close() error {
	a.mu.Lock()
	if a.closed {
		a.mu.Unlock()
		return nil
	}
	a.closed = true
	a.mu.Unlock()
	a.stopIngest()
	a.stopWorkers()
	var errs []error
	closers := []io.Closer{a.router, a.runner, a.logs, a.files, a.telem}
	for _, s := range a.sources {
		if c, ok := s.(io.Closer); ok {
			closers = append(closers, c)
		}
	}
	for _, c := range append(closers, a.store) {
		if c != nil {
			errs = append(errs, c.Close())
		}
	}
	return errors.Join(errs...)
}

func (a *Admin) checkOpen() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	return nil
}
