// Command quickstart runs MastraAdmin on embedded defaults and deploys the
// Mastra projects it finds.
//
//	go run ./examples/quickstart
//
// State lives in ./.mastra (a SQLite file, local file storage, the build
// directories and a generated encryption key), so a second run picks up the
// same teams and projects and redeploys them, reusing the dependency cache.
// It discovers Mastra projects under PROJECTS_DIR (default ./examples),
// deploys each one's production deployment, streams the build log to the
// terminal, and serves the deployments through the reverse proxy until
// interrupted:
//
//	curl -X POST http://sample-agent.localhost:3100/api/workflows/textStats/start-async \
//	     -H 'content-type: application/json' -d '{"inputData":{"text":"hello mastra"}}'
//
// Deployed servers outlive the admin by design (a restarted admin adopts
// them again); -stop stops them.
//
// Environment: PROJECTS_DIR, MASTRA_ADMIN_DATA (default ./.mastra),
// FILE_STORAGE_PATH (default {data}/storage), PROXY_ADDR (default :3100),
// MASTRA_ADMIN_CACHE (the runner's Node, npm and build caches; default
// ~/.cache/mastra-admin).
// Flags: -once deploys and exits; -stop stops every deployment and exits;
// -projects narrows the deploys to the named project slugs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	filelocal "github.com/mastra-admin/mastra-admin-go/filestore/local"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
	routerlocal "github.com/mastra-admin/mastra-admin-go/router/local"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	sourcelocal "github.com/mastra-admin/mastra-admin-go/source/local"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// mode is what one run does.
type mode struct {
	once bool      // deploy, then exit
	stop bool      // stop every deployment, then exit
	only string    // comma-separated project slugs to deploy
	out  io.Writer // build logs and messages
}

func main() {
	var m mode
	flag.BoolVar(&m.once, "once", false, "deploy, then exit (the servers keep running)")
	flag.BoolVar(&m.stop, "stop", false, "stop every deployment, then exit")
	flag.StringVar(&m.only, "projects", "", "comma-separated project slugs to deploy (default: all discovered)")
	flag.Parse()
	m.out = os.Stdout
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, m); err != nil {
		fmt.Fprintln(os.Stderr, "quickstart:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func run(ctx context.Context, m mode) error {
	data := env("MASTRA_ADMIN_DATA", ".mastra")
	projectsDir := env("PROJECTS_DIR", "examples")
	proxyAddr := env("PROXY_ADDR", ":3100")
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := os.MkdirAll(data, 0o700); err != nil {
		return err
	}
	key, err := encryptionKey(filepath.Join(data, "encryption.key"))
	if err != nil {
		return err
	}
	store, err := sqlite.Open(filepath.Join(data, "admin.db"), nil)
	if err != nil {
		return err
	}
	files, err := filelocal.New(env("FILE_STORAGE_PATH", filepath.Join(data, "storage")), nil)
	if err != nil {
		return err
	}
	logs, err := memory.New(nil)
	if err != nil {
		return err
	}
	src, err := sourcelocal.New(projectsDir, &sourcelocal.Options{Logger: logger})
	if err != nil {
		return fmt.Errorf("PROJECTS_DIR: %w", err)
	}
	runner, err := runnerlocal.New(&runnerlocal.Options{CacheDir: os.Getenv("MASTRA_ADMIN_CACHE"), Logger: logger})
	if err != nil {
		return err
	}
	_, portText, err := net.SplitHostPort(proxyAddr)
	if err != nil {
		return fmt.Errorf("PROXY_ADDR: %w", err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("PROXY_ADDR: %w", err)
	}
	router, err := routerlocal.New(&routerlocal.Options{PublicPort: port, Logger: logger})
	if err != nil {
		return err
	}
	a, err := admin.New(admin.WithStorage(store), admin.WithFileStorage(files), admin.WithBuildLogCache(logs),
		admin.WithSource(src), admin.WithRunner(runner), admin.WithRouter(router), admin.WithLogger(logger),
		admin.WithBuildDir(filepath.Join(data, "builds")), admin.WithInstanceID("quickstart"),
		admin.WithEncryptionKeys("quickstart", map[string][]byte{"quickstart": key}))
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Start(ctx); err != nil {
		return err
	}

	ctx, err = signIn(ctx, a)
	if err != nil {
		return err
	}
	deps, err := ensureProjects(ctx, a, m.only)
	if err != nil {
		return err
	}
	if m.stop {
		for _, d := range deps {
			if err := a.StopDeployment(ctx, d.ID); err != nil {
				return fmt.Errorf("stop %s: %w", d.PublicURL, err)
			}
			fmt.Fprintf(m.out, "==> stopped %s\n", d.PublicURL)
		}
		return nil
	}
	if len(deps) == 0 {
		return fmt.Errorf("no Mastra project found under %s (set PROJECTS_DIR)", projectsDir)
	}

	proxy := &http.Server{Addr: proxyAddr, Handler: router, ReadHeaderTimeout: 10 * time.Second}
	proxyErr := make(chan error, 1)
	go func() { proxyErr <- proxy.ListenAndServe() }()
	defer proxy.Close()

	failed := 0
	for _, d := range deps {
		if err := deploy(ctx, a, d, m.out); err != nil {
			fmt.Fprintf(m.out, "deploy %s: %v\n", d.PublicURL, err)
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d deploys failed", failed, len(deps))
	}
	if m.once {
		return nil
	}
	fmt.Fprintf(m.out, "\nServing through the proxy on %s; Ctrl-C to stop the admin (servers keep running; -stop stops them).\n", proxyAddr)
	select {
	case <-ctx.Done():
		return nil
	case err := <-proxyErr:
		return fmt.Errorf("proxy: %w", err)
	}
}

// signIn returns ctx acting as the platform's first user, made on the first
// run.
func signIn(ctx context.Context, a *admin.Admin) (context.Context, error) {
	u, err := a.Bootstrap(ctx, admin.NewUser{Email: "admin@localhost.localdomain", Name: "Quickstart Admin"})
	if errors.Is(err, admin.ErrConflict) {
		users, lerr := a.ListUsers(admin.WithPrincipal(ctx, admin.SystemPrincipal()), admin.Page{Limit: 1})
		if lerr != nil || len(users.Items) == 0 {
			return nil, errors.Join(err, lerr)
		}
		u, err = users.Items[0], nil
	}
	if err != nil {
		return nil, err
	}
	return admin.WithPrincipal(ctx, admin.Principal{UserID: u.ID}), nil
}

// ensureProjects makes a team and one project per discovered Mastra project
// on the first run, and returns their production deployments.
func ensureProjects(ctx context.Context, a *admin.Admin, only string) ([]*admin.Deployment, error) {
	teams, err := a.ListTeams(ctx, admin.Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	var team *admin.Team
	if len(teams.Items) > 0 {
		team = teams.Items[0]
	} else if team, err = a.CreateTeam(ctx, admin.NewTeam{Name: "Quickstart"}); err != nil {
		return nil, err
	}
	found, err := a.DiscoverProjects(ctx, admin.SourceLocal)
	if err != nil {
		return nil, err
	}
	existing, err := a.ListProjects(ctx, team.ID, admin.Page{Limit: admin.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	byPath := map[string]*admin.Project{}
	for _, p := range existing.Items {
		byPath[p.SourceConfig["path"]] = p
	}
	var out []*admin.Deployment
	for _, f := range found {
		p := byPath[f.Config["path"]]
		if p == nil {
			if p, err = a.CreateProject(ctx, team.ID, admin.NewProject{Name: f.Name, SourceType: f.Type, SourceConfig: f.Config}); err != nil {
				return nil, fmt.Errorf("create project %s: %w", f.Name, err)
			}
		}
		if only != "" && !slices.Contains(strings.Split(only, ","), p.Slug) {
			continue
		}
		deps, err := a.ListDeployments(ctx, p.ID, admin.Page{})
		if err != nil {
			return nil, err
		}
		for _, d := range deps.Items {
			if d.Type == admin.DeploymentProduction {
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// deploy queues a build and prints its log until it ends.
func deploy(ctx context.Context, a *admin.Admin, d *admin.Deployment, out io.Writer) error {
	b, err := a.Deploy(ctx, d.ID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "==> deploying %s (build %s)\n", d.PublicURL, b.ID)
	lines, err := a.FollowBuildLogs(ctx, b.ID, 0)
	if err != nil {
		return err
	}
	for l, err := range lines {
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "[%-7s] %s\n", l.Phase, l.Text)
	}
	if b, err = a.GetBuild(ctx, b.ID); err != nil {
		return err
	}
	if b.Status != admin.BuildSucceeded {
		return fmt.Errorf("build %s %s: %s", b.ID, b.Status, b.Error)
	}
	fmt.Fprintf(out, "==> %s is live at %s\n", d.Slug, d.PublicURL)
	return nil
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
