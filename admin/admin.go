package admin

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Admin is the control plane: it owns the business rules (validation, RBAC,
// license gates, slugs, state transitions, encryption, audit) and drives the
// providers, which only store and do I/O.
type Admin struct {
	store   Storage
	files   FileStorage
	logs    BuildLogCache
	source  Source
	runner  Runner
	router  Router
	telem   ObservabilityStore
	logger  *slog.Logger
	now     func() time.Time
	license *License
	keyring *Keyring
	licErr  error // why the configured license was refused, if it was
	mu      sync.Mutex
	closed  bool
	started bool
}

// Option configures an Admin.
type Option func(*config) error

type config struct {
	store      Storage
	files      FileStorage
	logs       BuildLogCache
	source     Source
	runner     Runner
	router     Router
	telem      ObservabilityStore
	logger     *slog.Logger
	now        func() time.Time
	licenseKey string
	licensePub ed25519.PublicKey
	keyActive  string
	keys       map[string][]byte
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

// WithSource sets where projects come from.
func WithSource(s Source) Option {
	return func(c *config) error { c.source = s; return nil }
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

// New returns an Admin. Storage is required; the other providers are needed
// only by the features that use them (a call that needs a missing one
// returns ErrNotSupported). A configured license that does not verify makes
// New fail with ErrLicense.
func New(opts ...Option) (*Admin, error) {
	c := config{now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, opt := range opts {
		if err := opt(&c); err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
	}
	if c.store == nil {
		return nil, fmt.Errorf("admin: %w", invalid("storage", "is required (admin.WithStorage)"))
	}
	a := &Admin{
		store: c.store, files: c.files, logs: c.logs, source: c.source, runner: c.runner,
		router: c.router, telem: c.telem, logger: c.logger, now: c.now,
		license: DevelopmentLicense(),
	}
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
	if c.keys != nil {
		k, err := NewKeyring(c.keyActive, c.keys)
		if err != nil {
			return nil, fmt.Errorf("admin: %w", err)
		}
		a.keyring = k
	}
	return a, nil
}

// clock returns the current time in UTC at microsecond precision, the
// precision every Storage keeps.
func (a *Admin) clock() time.Time { return a.now().UTC().Truncate(time.Microsecond) }

// License returns the license in force.
func (a *Admin) License() License { return *a.license }

// Start recovers state and starts the background workers. It returns once
// recovery is done; the workers run until Close.
func (a *Admin) Start(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		return ErrClosed
	}
	if a.started {
		return fmt.Errorf("admin: already started: %w", ErrConflict)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	a.started = true
	return nil
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
	var errs []error
	for _, c := range []io.Closer{a.router, a.runner, a.logs, a.files, a.telem, a.store} {
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
