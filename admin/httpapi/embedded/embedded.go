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
// # Errors
//
// Open returns the first adapter's error, wrapped and naming the part
// (a projects directory that does not exist is an admin.ErrInvalidArgument).
package embedded

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
	filelocal "github.com/mastra-admin/mastra-admin-go/filestore/local"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
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
}

// Stack is an Admin on the embedded defaults and the router that exposes
// its deployments.
type Stack struct {
	Admin  *admin.Admin
	Router *routerlocal.Router
	// Store and Logs are the Admin's storage and build-log cache.
	Store   *sqlite.Store
	Logs    *memory.Cache
	DataDir string
	temp    bool
}

// Open builds the Stack in dataDir (created when missing; a temporary
// directory when empty) and starts the Admin's workers.
func Open(ctx context.Context, dataDir string, opts *Options) (st *Stack, err error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.ProjectsDir == "" {
		o.ProjectsDir = "."
	}
	if o.ProxyPort == 0 {
		o.ProxyPort = 3100
	}
	st = &Stack{DataDir: dataDir}
	if dataDir == "" {
		if st.DataDir, err = os.MkdirTemp("", "mastra-admin-"); err != nil {
			return nil, fmt.Errorf("embedded: data dir: %w", err)
		}
		st.temp = true
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("embedded: data dir: %w", err)
	}
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
			if st.temp {
				_ = os.RemoveAll(st.DataDir)
			}
		}
	}()
	key, err := encryptionKey(filepath.Join(st.DataDir, "encryption.key"))
	if err != nil {
		return nil, fmt.Errorf("embedded: encryption key: %w", err)
	}
	if st.Store, err = sqlite.Open(filepath.Join(st.DataDir, "admin.db"), &sqlite.Options{Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("embedded: storage: %w", err)
	}
	closers = append(closers, st.Store.Close)
	if o.FileStoragePath == "" {
		o.FileStoragePath = filepath.Join(st.DataDir, "storage")
	}
	files, err := filelocal.New(o.FileStoragePath, &filelocal.Options{Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("embedded: file storage: %w", err)
	}
	closers = append(closers, files.Close)
	if st.Logs, err = memory.New(&memory.Options{Logger: o.Logger}); err != nil {
		return nil, fmt.Errorf("embedded: log cache: %w", err)
	}
	closers = append(closers, st.Logs.Close)
	src, err := sourcelocal.New(o.ProjectsDir, &sourcelocal.Options{Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("embedded: projects dir: %w", err)
	}
	var ro runnerlocal.Options
	if o.Runner != nil {
		ro = *o.Runner
	}
	if ro.Logger == nil {
		ro.Logger = o.Logger
	}
	runner, err := runnerlocal.New(&ro)
	if err != nil {
		return nil, fmt.Errorf("embedded: runner: %w", err)
	}
	closers = append(closers, runner.Close)
	st.Router, err = routerlocal.New(&routerlocal.Options{PublicPort: o.ProxyPort, Logger: o.Logger})
	if err != nil {
		return nil, fmt.Errorf("embedded: router: %w", err)
	}
	closers = append(closers, st.Router.Close)
	aopts := append([]admin.Option{admin.WithStorage(st.Store), admin.WithFileStorage(files),
		admin.WithBuildLogCache(st.Logs), admin.WithSource(src), admin.WithRunner(runner), admin.WithRouter(st.Router),
		admin.WithLogger(o.Logger), admin.WithBuildDir(filepath.Join(st.DataDir, "builds")),
		admin.WithEncryptionKeys("embedded", map[string][]byte{"embedded": key})}, o.AdminOptions...)
	if st.Admin, err = admin.New(aopts...); err != nil {
		return nil, fmt.Errorf("embedded: %w", err)
	}
	closers = []func() error{st.Admin.Close} // the Admin closes every provider
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
