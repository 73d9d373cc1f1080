// Package embedded assembles an Admin on the embedded defaults — SQLite,
// local file storage, the in-memory build-log cache, the local source,
// runner and router — in one data directory, for the examples that serve
// the HTTP API behind net/http, chi, gin and echo, and for their tests.
//
// # Configuration
//
//	st, err := embedded.Open(ctx, "./.mastra-api", &embedded.Options{ProjectsDir: "./projects"})
//	...
//	defer st.Close()
//	go st.Router.ListenAndServe(ctx, ":3100") // the deployed servers
//	h, err := httpapi.New(st.Admin, nil)     // the API
//
// The data directory holds admin.db, storage/ (build logs; see
// Options.FileStoragePath), builds/ and encryption.key (made on the first
// run, 0600). An empty data directory means a new temporary one, removed by
// Close. The local runner keeps its Node, npm, dependency and build-output
// caches in its own cache folder (Options.Runner.CacheDir), shared by every
// data directory.
//
// Command-line servers start from a Config instead: Run opens the Stack and
// serves the API and the router until its context ends; Config.Open and
// Stack.Serve do the same in two steps, for servers (the quickstart) that
// work with the Admin while it serves.
//
// # Paths
//
// Every path (the data directory, ProjectsDir, FileStoragePath,
// Runner.CacheDir, the build directory) is made absolute once, when Open
// reads it, so a relative path means the same for the whole life of the
// Stack.
//
// # Errors
//
// What a first run most often lacks (an address or the servers' port range
// taken, a directory this user cannot write, no projects directory, no
// Node.js) is an admin.ErrInvalidArgument whose *admin.ValidationError
// names the setting to change, as SettingNames call it, in one line; Open
// and Config.Open check it before creating anything, and remove the
// directories they created when they fail. Other failures are the first
// adapter's error, wrapped and naming the part.
package embedded

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/mastra-admin/mastra-admin-go/admin"
	filelocal "github.com/mastra-admin/mastra-admin-go/filestore/local"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
	"github.com/mastra-admin/mastra-admin-go/observability"
	chstore "github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
	obsqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
	routerlocal "github.com/mastra-admin/mastra-admin-go/router/local"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	sourcelocal "github.com/mastra-admin/mastra-admin-go/source/local"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// Options configure Open. The zero value (or nil) means the defaults.
type Options struct {
	// ProjectsDir is where the local source finds Mastra projects.
	// Default: the current directory.
	ProjectsDir string
	// ProxyPort is the port of the deployments' public URLs (where the
	// caller serves Stack.Router). Default 3100.
	ProxyPort int
	// Logger is given to every part. Default: discard.
	Logger *slog.Logger
	// AdminOptions are added to the Admin's (a license, intervals, …).
	AdminOptions []admin.Option
	// NoStart leaves the Admin's workers stopped: builds stay queued.
	NoStart bool
	// FileStoragePath is the directory of the file storage (build logs).
	// Default: storage/ in the data directory.
	FileStoragePath string
	// Runner configures the local runner: its cache of Node versions, npm
	// packages, dependency trees and build outputs (default
	// $XDG_CACHE_HOME/mastra-admin, else ~/.cache/mastra-admin, shared by
	// every data directory), ports, build mode, …; nil means its
	// defaults. Its Logger defaults to Logger.
	Runner *runnerlocal.Options
	// Settings name, in error messages, how the user sets each path and
	// address.
	Settings SettingNames
	// ClickHouseURL, when set, sends the deployed servers' spans and logs
	// to ClickHouse (clickhouse://user:password@host:9000/database, the
	// native protocol; the database is created when missing) instead of
	// the embedded store, observability.db in the data directory.
	ClickHouseURL string
	// Prices turn model tokens into costs at ingestion; nil means
	// observability.DefaultPrices.
	Prices observability.Prices
}

// SettingNames tell, for error messages, how a user sets each part of the
// configuration: environment variables in the quickstart, flags in
// RunCommand's servers. An empty name stands for the Go field's own
// (Config.Addr, Options.ProjectsDir, …).
type SettingNames struct {
	Addr, ProxyAddr, DataDir, ProjectsDir, FileStoragePath, CacheDir, ServerPorts, ClickHouseURL string
}

// withDefaults fills the empty names with the Go fields'.
func (n SettingNames) withDefaults() SettingNames {
	for _, f := range []struct {
		name *string
		def  string
	}{
		{&n.Addr, "Config.Addr"}, {&n.ProxyAddr, "Config.ProxyAddr"}, {&n.DataDir, "the data directory"},
		{&n.ProjectsDir, "Options.ProjectsDir"}, {&n.FileStoragePath, "Options.FileStoragePath"},
		{&n.CacheDir, "Options.Runner.CacheDir"}, {&n.ServerPorts, "Options.Runner.PortMin-PortMax"},
		{&n.ClickHouseURL, "Options.ClickHouseURL"},
	} {
		if *f.name == "" {
			*f.name = f.def
		}
	}
	return n
}

// settingError is the one-line error for a setting the user must change.
func settingError(name, format string, args ...any) error {
	return fmt.Errorf("embedded: %w", &admin.ValidationError{Field: name, Reason: fmt.Sprintf(format, args...)})
}

// absPath makes a configured path absolute, once, where the configuration
// is read: later comparisons (a build's source inside its build
// directory) never mix relative and absolute paths, and a change of
// working directory moves nothing.
func absPath(name, path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", settingError(name, "%q cannot be made absolute: %v", path, err)
	}
	return abs, nil
}

// createdDirs remembers the directories Open created, to remove them when
// it fails: a failed first run leaves nothing half-made behind.
type createdDirs []string

// mkdir creates dir and its missing parents, checks that this user can
// write there, and remembers the topmost directory it created.
func (c *createdDirs) mkdir(name, dir string) error {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Lstat(d); err == nil {
			break
		}
		top = d
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return settingError(name, "cannot create %s (%v): set %s to a directory this user can write", dir, unwrapPath(err), name)
	}
	if top != "" {
		*c = append(*c, top)
	}
	f, err := os.CreateTemp(dir, ".write-check-")
	if err != nil {
		return settingError(name, "cannot write in %s (%v): set %s to a directory this user can write", dir, unwrapPath(err), name)
	}
	f.Close()
	return os.Remove(f.Name())
}

// remove removes what mkdir created, newest first.
func (c createdDirs) remove() {
	for i := len(c) - 1; i >= 0; i-- {
		_ = os.RemoveAll(c[i])
	}
}

// unwrapPath returns the cause of a *fs.PathError (the path is said once,
// by the caller).
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Stack is an Admin on the embedded defaults and the router that exposes
// its deployments.
type Stack struct {
	Admin  *admin.Admin
	Router *routerlocal.Router
	// Store and Logs are the Admin's storage and build-log cache.
	Store *sqlite.Store
	Logs  *memory.Cache
	// Observability is where spans and logs are ingested and queried:
	// the embedded store or ClickHouse (Options.ClickHouseURL).
	Observability interface {
		admin.ObservabilityStore
		admin.ObservabilityQuerier
	}
	DataDir string
	temp    bool
	chConn  driver.Conn // ClickHouse's connection, closed after the Admin
}

// Open builds the Stack in dataDir (created when missing; a temporary
// directory when empty) and starts the Admin's workers. Every path is made
// absolute first. Open checks what a first run most often lacks before it
// creates anything: Node.js and npm, a free port in the servers' range,
// the projects directory, and directories this user can write; each
// failure is one line naming the setting to change (see SettingNames), and
// leaves no directory it created behind.
func Open(ctx context.Context, dataDir string, opts *Options) (_ *Stack, err error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	names := o.Settings.withDefaults()
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ProjectsDir == "" {
		o.ProjectsDir = "."
	}
	if o.ProxyPort == 0 {
		o.ProxyPort = 3100
	}
	var ro runnerlocal.Options
	if o.Runner != nil {
		ro = *o.Runner
	}
	if ro.Logger == nil {
		ro.Logger = o.Logger
	}
	for _, p := range []struct {
		name string
		path *string
	}{{names.DataDir, &dataDir}, {names.ProjectsDir, &o.ProjectsDir}, {names.FileStoragePath, &o.FileStoragePath},
		{names.CacheDir, &ro.CacheDir}} {
		if *p.path == "" {
			continue
		}
		if *p.path, err = absPath(p.name, *p.path); err != nil {
			return nil, err
		}
	}

	var created createdDirs
	var closers []func() error
	st := &Stack{DataDir: dataDir}
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
			if st.temp {
				_ = os.RemoveAll(st.DataDir)
			}
			created.remove()
		}
	}()

	if ro.CacheDir == "" {
		if ro.CacheDir, err = runnerlocal.DefaultCacheDir(); err != nil {
			return nil, settingError(names.CacheDir, "not set, and %v", err)
		}
	}
	if err := created.mkdir(names.CacheDir, ro.CacheDir); err != nil {
		return nil, err
	}
	runner, err := runnerlocal.New(&ro)
	if err != nil {
		return nil, fmt.Errorf("embedded: runner: %w", err)
	}
	closers = append(closers, runner.Close)
	if err := runner.CheckPorts(); err != nil {
		return nil, settingError(names.ServerPorts, "%v: set %s to a range of free ports", err, names.ServerPorts)
	}
	src, err := sourcelocal.New(o.ProjectsDir, &sourcelocal.Options{Logger: o.Logger})
	if err != nil {
		return nil, settingError(names.ProjectsDir, "%v: set %s to the directory that holds your Mastra projects", err, names.ProjectsDir)
	}

	if dataDir == "" {
		if st.DataDir, err = os.MkdirTemp("", "mastra-admin-"); err != nil {
			return nil, fmt.Errorf("embedded: data dir: %w", err)
		}
		st.temp = true
	} else if err := created.mkdir(names.DataDir, dataDir); err != nil {
		return nil, err
	}
	if o.FileStoragePath == "" {
		o.FileStoragePath = filepath.Join(st.DataDir, "storage")
	}
	if err := created.mkdir(names.FileStoragePath, o.FileStoragePath); err != nil {
		return nil, err
	}
	key, err := encryptionKey(filepath.Join(st.DataDir, "encryption.key"))
	if err != nil {
		return nil, fmt.Errorf("embedded: encryption key: %w", err)
	}
	if st.Store, err = sqlite.Open(filepath.Join(st.DataDir, "admin.db"), &sqlite.Options{Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("embedded: storage: %w", err)
	}
	closers = append(closers, st.Store.Close)
	files, err := filelocal.New(o.FileStoragePath, &filelocal.Options{Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("embedded: file storage: %w", err)
	}
	closers = append(closers, files.Close)
	if st.Logs, err = memory.New(&memory.Options{Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("embedded: log cache: %w", err)
	}
	closers = append(closers, st.Logs.Close)
	if o.ClickHouseURL != "" {
		if st.chConn, err = dialClickHouse(ctx, names.ClickHouseURL, o.ClickHouseURL); err != nil {
			return nil, err
		}
		closers = append(closers, st.chConn.Close)
		if st.Observability, err = chstore.New(ctx, st.chConn, &chstore.Options{Logger: o.Logger}); err != nil {
			return nil, fmt.Errorf("embedded: observability: %w", err)
		}
	} else if st.Observability, err = obsqlite.Open(filepath.Join(st.DataDir, "observability.db"), nil); err != nil {
		return nil, fmt.Errorf("embedded: observability: %w", err)
	}
	closers = append(closers, st.Observability.Close)
	if o.Prices == nil {
		o.Prices = observability.DefaultPrices()
	}
	st.Router, err = routerlocal.New(&routerlocal.Options{PublicPort: o.ProxyPort, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("embedded: router: %w", err)
	}
	closers = append(closers, st.Router.Close)
	aopts := append([]admin.Option{admin.WithStorage(st.Store), admin.WithFileStorage(files),
		admin.WithBuildLogCache(st.Logs), admin.WithSource(src), admin.WithRunner(runner), admin.WithRouter(st.Router),
		admin.WithLogger(o.Logger), admin.WithBuildDir(filepath.Join(st.DataDir, "builds")),
		admin.WithObservabilityStore(st.Observability), admin.WithTelemetryDecoder(observability.Decoder(o.Prices)),
		admin.WithEncryptionKeys("embedded", map[string][]byte{"embedded": key})}, o.AdminOptions...)
	if st.Admin, err = admin.New(aopts...); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	closers = []func() error{st.Admin.Close} // the Admin closes every provider
	if st.chConn != nil {
		closers = append(closers, st.chConn.Close)
	}
	if !o.NoStart {
		if err := st.Admin.Start(ctx); err != nil {
			return nil, fmt.Errorf("embedded: %w", err)
		}
	}
	return st, nil
}

// Close stops the Admin and closes every part; a temporary data directory
// is removed.
func (s *Stack) Close() error {
	err := s.Admin.Close()
	if s.chConn != nil {
		err = errors.Join(err, s.chConn.Close())
	}
	if s.temp {
		err = errors.Join(err, os.RemoveAll(s.DataDir))
	}
	return err
}

// encryptionKey reads the env-var key at path, making it on the first run.
func encryptionKey(path string) ([]byte, error) {
	if b, err := os.ReadFile(path); err == nil {
		return admin.ParseEncryptionKey(strings.TrimSpace(string(b)))
	} else if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key := admin.GenerateEncryptionKey()
	return key, os.WriteFile(path, []byte(fmt.Sprintf("%x\n", key)), 0o600)
}

// clickHouseWait bounds how long Open waits for ClickHouse to answer.
const clickHouseWait = 10 * time.Second

// dialClickHouse connects to the ClickHouse server of url, the value of
// setting name, creating its database when missing. Errors name the
// setting and the server, never the password.
func dialClickHouse(ctx context.Context, name, url string) (driver.Conn, error) {
	opt, err := clickhouse.ParseDSN(url)
	if err != nil {
		return nil, settingError(name, "%s: set %s to clickhouse://user:password@host:9000/database",
			redactPassword(err.Error(), url), name)
	}
	where := strings.Join(opt.Addr, ",")
	// A first run waits for an answer no longer than this (the driver's
	// handshake waits for its dial timeout, unless the URL sets one).
	ctx, cancel := context.WithTimeout(ctx, clickHouseWait)
	defer cancel()
	if !strings.Contains(url, "dial_timeout=") {
		opt.DialTimeout = clickHouseWait
	}
	unreachable := func(err error) error {
		return settingError(name, "ClickHouse at %s: %s: start it, or set %s to a server that answers on the native protocol",
			where, redactPassword(err.Error(), url), name)
	}
	if db := opt.Auth.Database; db != "" && db != "default" {
		bare := *opt
		bare.Auth.Database = ""
		c, err := clickhouse.Open(&bare)
		if err == nil {
			err = c.Exec(ctx, "CREATE DATABASE IF NOT EXISTS `"+strings.ReplaceAll(db, "`", "")+"`")
			c.Close()
		}
		if err != nil {
			return nil, unreachable(err)
		}
	}
	conn, err := clickhouse.Open(opt)
	if err == nil {
		if err = conn.Ping(ctx); err != nil {
			conn.Close()
		}
	}
	if err != nil {
		return nil, unreachable(err)
	}
	return conn, nil
}

// redactPassword removes the password of rawURL from msg.
func redactPassword(msg, rawURL string) string {
	if u, err := neturl.Parse(rawURL); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok && pw != "" {
			msg = strings.ReplaceAll(msg, pw, "***")
		}
	}
	return msg
}
