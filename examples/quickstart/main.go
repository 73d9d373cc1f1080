// Command quickstart runs MastraAdmin on embedded defaults, deploys the
// Mastra projects it finds, and serves its HTTP API.
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
// Meanwhile it serves the HTTP API (package httpapi) on :3001 under /v1/,
// and the browser dashboard (package ui) at http://localhost:3001/, as the
// platform's first user, admin@localhost.localdomain, whom it creates on
// the first run. Their API token is in .mastra/api-token (0600, made when
// missing or no longer valid, never printed):
//
//	curl -H "authorization: Bearer $(cat .mastra/api-token)" http://localhost:3001/v1/teams
//
// The README walks through the API from there: a team, a project, env
// vars, a deploy with its build log followed over the WebSocket, and the
// deployed server through the proxy.
//
// Deployed servers outlive the admin by design (a restarted admin adopts
// them again); -stop stops them.
//
// Environment: PROJECTS_DIR, MASTRA_ADMIN_DATA (default ./.mastra),
// FILE_STORAGE_PATH (default {data}/storage), API_ADDR (default :3001),
// PROXY_ADDR (default :3100), SERVER_PORTS (the deployed servers' ports,
// default 4100-4199), MASTRA_ADMIN_CACHE (the runner's Node, npm and build
// caches; default ~/.cache/mastra-admin), CLICKHOUSE_URL (spans and logs
// go to this ClickHouse, clickhouse://host:9000/database, instead of the
// embedded store, observability.db in the data directory). Relative paths
// are taken from the working directory. A setting that cannot work (a port in use, a
// directory this user cannot write, no Node.js) stops the first run with
// one line naming it, before anything is created.
// Flags: -once deploys and exits; -stop stops every deployment (of every
// team) and exits; -projects narrows either to the named project slugs
// (-projects none deploys nothing: the admin serves, adopting the servers
// it left running).
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

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	"github.com/mastra-admin/mastra-admin-go/admin/ui"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
)

// mode is what one run does.
type mode struct {
	once bool      // deploy, then exit
	stop bool      // stop every deployment, then exit
	only string    // comma-separated project slugs to deploy or stop
	out  io.Writer // build logs and messages
}

func main() {
	var m mode
	flag.BoolVar(&m.once, "once", false, "deploy, then exit (the servers keep running)")
	flag.BoolVar(&m.stop, "stop", false, "stop every deployment, then exit")
	flag.StringVar(&m.only, "projects", "", "comma-separated project slugs to deploy or stop (default: all)")
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

// tokenFile is the name of the API token's file in the data directory.
const tokenFile = "api-token"

// settings names the environment variables of the quickstart's
// configuration, so that an error names the one to change.
var settings = embedded.SettingNames{Addr: "API_ADDR", ProxyAddr: "PROXY_ADDR", DataDir: "MASTRA_ADMIN_DATA",
	ProjectsDir: "PROJECTS_DIR", FileStoragePath: "FILE_STORAGE_PATH", CacheDir: "MASTRA_ADMIN_CACHE",
	ServerPorts: "SERVER_PORTS", ClickHouseURL: "CLICKHOUSE_URL"}

// portRange parses SERVER_PORTS, "4100-4199".
func portRange(s string) (lo, hi int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if ok {
		if lo, err = strconv.Atoi(strings.TrimSpace(a)); err == nil {
			hi, err = strconv.Atoi(strings.TrimSpace(b))
		}
	}
	if !ok || err != nil || lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("invalid %s: %q is not a port range such as 4100-4199", settings.ServerPorts, s)
	}
	return lo, hi, nil
}

func run(ctx context.Context, m mode) (err error) {
	lo, hi, err := portRange(env("SERVER_PORTS", "4100-4199"))
	if err != nil {
		return err
	}
	cfg := embedded.Config{
		Addr:            env("API_ADDR", ":3001"),
		ProxyAddr:       env("PROXY_ADDR", ":3100"),
		DataDir:         env("MASTRA_ADMIN_DATA", ".mastra"),
		ProjectsDir:     env("PROJECTS_DIR", "examples"),
		FileStoragePath: os.Getenv("FILE_STORAGE_PATH"),
		Runner:          &runnerlocal.Options{CacheDir: os.Getenv("MASTRA_ADMIN_CACHE"), PortMin: lo, PortMax: hi},
		AdminOptions:    []admin.Option{admin.WithInstanceID("quickstart")},
		Logger:          slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Settings:        settings,
		ClickHouseURL:   os.Getenv("CLICKHOUSE_URL"),
	}
	st, err := cfg.Open(ctx)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, st.Close()) }()
	a := st.Admin
	if ctx, err = signIn(ctx, a); err != nil {
		return err
	}
	if m.stop {
		return stopAll(ctx, a, m)
	}
	deps, err := ensureProjects(ctx, a, cfg.ProjectsDir, m.only)
	if err != nil {
		return err
	}
	if len(deps) == 0 {
		fmt.Fprintf(m.out, "==> -projects %q selects no project: nothing to deploy\n", m.only)
	}
	tokenPath := filepath.Join(cfg.DataDir, tokenFile)
	if err := ensureToken(ctx, a, tokenPath); err != nil {
		return fmt.Errorf("API token: %w", err)
	}

	serveCtx, stopServing := context.WithCancel(ctx)
	defer stopServing()
	served, listening := make(chan error, 1), make(chan string, 1)
	dash, err := ui.NewHandler(a, nil)
	if err != nil {
		return err
	}
	defer dash.(*ui.Handler).Close()
	go func() {
		served <- st.Serve(serveCtx, cfg, withDashboard(dash), func(addr string) { listening <- addr })
	}()
	select {
	case addr := <-listening:
		api := "http://" + localURLHost(addr)
		fmt.Fprintf(m.out, "==> API on %s as %s; its token is in %s:\n    curl -H \"authorization: Bearer $(cat %s)\" %s/v1/me\n",
			api, adminEmail, tokenPath, tokenPath, api)
		fmt.Fprintf(m.out, "==> dashboard on %s/ (sign in with the token in %s)\n", api, tokenPath)
	case err := <-served:
		return err
	}

	failed := 0
	for _, d := range deps {
		if err := deploy(ctx, a, d, m.out); err != nil {
			if ctx.Err() != nil {
				break // interrupted: not a failure
			}
			fmt.Fprintf(m.out, "deploy %s: %v\n", d.PublicURL, err)
			failed++
		}
	}
	if failed > 0 {
		err = fmt.Errorf("%d of %d deploys failed", failed, len(deps))
	} else if !m.once && ctx.Err() == nil {
		fmt.Fprintf(m.out, "\nServing the API on %s and the deployments on %s; Ctrl-C to stop the admin (servers keep running; -stop stops them).\n",
			cfg.Addr, cfg.ProxyAddr)
		select {
		case <-ctx.Done():
		case err := <-served:
			return err
		}
	}
	stopServing()
	return errors.Join(err, <-served)
}

// withDashboard serves the API under /v1/ and the dashboard (package ui)
// at the root beside it.
func withDashboard(dash http.Handler) func(api http.Handler) http.Handler {
	return func(api http.Handler) http.Handler {
		mux := http.NewServeMux()
		mux.Handle("/v1/", api)
		mux.Handle("/", dash)
		return mux
	}
}

// localURLHost turns a listening address into the host of a URL that
// reaches it from this machine: localhost for an unspecified address.
func localURLHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}

// adminEmail is the platform's first user, made by the first run.
const adminEmail = "admin@localhost.localdomain"

// signIn returns ctx acting as the platform's first user, made on the first
// run.
func signIn(ctx context.Context, a *admin.Admin) (context.Context, error) {
	u, err := a.Bootstrap(ctx, admin.NewUser{Email: adminEmail, Name: "Quickstart Admin"})
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

// ensureToken makes sure the file at path holds a valid API token of the
// acting user: it keeps the one there, or, when the file is missing or its
// token no longer authenticates (expired, revoked), makes a new one,
// writes it (0600, atomically) and revokes the user's older quickstart
// tokens. The secret goes to the file only.
func ensureToken(ctx context.Context, a *admin.Admin, path string) error {
	if b, err := os.ReadFile(path); err == nil {
		if _, err := a.AuthenticateToken(ctx, strings.TrimSpace(string(b))); err == nil {
			return nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	tok, secret, err := a.CreateToken(ctx, admin.NewToken{Name: tokenFile})
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), tokenFile+".*") // made 0600
	if err != nil {
		return err
	}
	_, werr := f.WriteString(secret + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		return errors.Join(err, os.Remove(f.Name()))
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return errors.Join(err, os.Remove(f.Name()))
	}
	old, err := a.ListTokens(ctx, admin.Page{Limit: admin.MaxPageLimit})
	if err != nil {
		return err
	}
	for _, t := range old.Items {
		if t.Name == tokenFile && t.ID != tok.ID && t.RevokedAt == nil {
			if err := a.RevokeToken(ctx, t.ID); err != nil {
				return err
			}
		}
	}
	return nil
}

// selected reports whether the project slug is among only's
// comma-separated slugs, or only is empty.
func selected(only, slug string) bool {
	return only == "" || slices.Contains(strings.Split(only, ","), slug)
}

// ensureProjects makes the Quickstart team and one project per discovered
// Mastra project in it on the first run, and returns the production
// deployments of the selected ones. Finding no project in dir is an error.
func ensureProjects(ctx context.Context, a *admin.Admin, dir, only string) ([]*admin.Deployment, error) {
	teams, err := a.ListTeams(ctx, admin.Page{Limit: admin.MaxPageLimit})
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(teams.Items, func(t *admin.Team) bool { return t.Slug == "quickstart" })
	var team *admin.Team
	if i >= 0 {
		team = teams.Items[i]
	} else if team, err = a.CreateTeam(ctx, admin.NewTeam{Name: "Quickstart"}); err != nil {
		return nil, err
	}
	found, err := a.DiscoverProjects(ctx, admin.SourceLocal)
	if err != nil {
		return nil, err
	}
	if len(found) == 0 {
		return nil, fmt.Errorf("no Mastra project found under %s (set PROJECTS_DIR)", dir)
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
		if !selected(only, p.Slug) {
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

// stopAll stops every deployment that may have a server, in every team
// (those made through the API too), of the projects m.only selects.
func stopAll(ctx context.Context, a *admin.Admin, m mode) error {
	teams, err := a.ListTeams(ctx, admin.Page{Limit: admin.MaxPageLimit})
	if err != nil {
		return err
	}
	for _, t := range teams.Items {
		projects, err := a.ListProjects(ctx, t.ID, admin.Page{Limit: admin.MaxPageLimit})
		if err != nil {
			return err
		}
		for _, p := range projects.Items {
			if !selected(m.only, p.Slug) {
				continue
			}
			deps, err := a.ListDeployments(ctx, p.ID, admin.Page{Limit: admin.MaxPageLimit})
			if err != nil {
				return err
			}
			for _, d := range deps.Items {
				if d.Status == admin.DeploymentPending || d.Status == admin.DeploymentStopped {
					continue
				}
				if err := a.StopDeployment(ctx, d.ID); err != nil {
					return fmt.Errorf("stop %s: %w", d.PublicURL, err)
				}
				fmt.Fprintf(m.out, "==> stopped %s\n", d.PublicURL)
			}
		}
	}
	return nil
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
