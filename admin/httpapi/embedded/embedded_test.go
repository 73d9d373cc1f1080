package embedded_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	chstore "github.com/mastra-admin/mastra-admin-go/observability/clickhouse"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// freeAddr returns a loopback address no one listens on (just now).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestConfigOpen: the Stack is assembled where the Config says, and a bad
// proxy address is refused naming it.
func TestConfigOpen(t *testing.T) {
	dir := t.TempDir()
	c := embedded.Config{ProxyAddr: "127.0.0.1:3100", DataDir: filepath.Join(dir, "data"), ProjectsDir: dir,
		FileStoragePath: filepath.Join(dir, "files"), Runner: &runnerlocal.Options{CacheDir: filepath.Join(dir, "cache")},
		AdminOptions: []admin.Option{admin.WithInstanceID("embedded-test")}}
	st, err := c.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{c.FileStoragePath, c.Runner.CacheDir, filepath.Join(c.DataDir, "admin.db"), filepath.Join(c.DataDir, "encryption.key")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("after Open: %v", err)
		}
	}

	c.ProxyAddr = "no-port"
	_, err = c.Open(context.Background())
	if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "Config.ProxyAddr") {
		t.Fatalf("Open with proxy address %q = %v; want an invalid argument naming it", c.ProxyAddr, err)
	}
}

// TestServe serves the API and the proxy until the context ends, and
// frees both ports when it returns.
func TestServe(t *testing.T) {
	c := embedded.Config{Addr: freeAddr(t), ProxyAddr: freeAddr(t), ProjectsDir: t.TempDir()}
	st, err := c.Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	ctx, cancel := context.WithCancel(context.Background())
	done, ready := make(chan error, 1), make(chan string, 1)
	go func() { done <- st.Serve(ctx, c, nil, func(addr string) { ready <- addr }) }()
	select {
	case <-ready:
	case err := <-done:
		t.Fatalf("Serve: %v", err)
	}
	// The API answers; the proxy answers too (404: no deployment yet).
	for url, want := range map[string]int{"http://" + c.Addr + "/v1/openapi.json": http.StatusOK, "http://" + c.ProxyAddr + "/": http.StatusNotFound} {
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("GET %s: %d, want %d", url, resp.StatusCode, want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Serve after its context ended: %v", err)
	}
	for _, addr := range []string{c.Addr, c.ProxyAddr} {
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Errorf("%s still taken after Serve returned: %v", addr, err)
			continue
		}
		l.Close()
	}
}

// TestServeProxyAddressTaken: Run fails before it is ready, naming the
// setting, when the proxy cannot listen.
func TestServeProxyAddressTaken(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	c := embedded.Config{Addr: "127.0.0.1:0", ProxyAddr: taken.Addr().String(), ProjectsDir: t.TempDir()}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = embedded.Run(ctx, c, nil, func(string) { t.Error("ready with the proxy address taken") })
	if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "Config.ProxyAddr") {
		t.Fatalf("Run with the proxy address taken = %v; want an error naming Config.ProxyAddr", err)
	}
}

// deployFake makes a project of the fake Mastra project at path (relative
// to the projects directory) and deploys it, failing t unless the build
// succeeds; it returns a function that stops the deployment.
func deployFake(t *testing.T, st *embedded.Stack, path string) (stop func()) {
	t.Helper()
	ctx := context.Background()
	u, err := st.Admin.Bootstrap(ctx, admin.NewUser{Email: "paths@example.com", Name: "Paths"})
	if err != nil {
		t.Fatal(err)
	}
	ctx = admin.WithPrincipal(ctx, admin.Principal{UserID: u.ID})
	team, err := st.Admin.CreateTeam(ctx, admin.NewTeam{Name: "Paths"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Admin.CreateProject(ctx, team.ID, admin.NewProject{Name: "Fake", SourceType: admin.SourceLocal,
		SourceConfig: map[string]string{"path": path}})
	if err != nil {
		t.Fatal(err)
	}
	deps, err := st.Admin.ListDeployments(ctx, p.ID, admin.Page{})
	if err != nil || len(deps.Items) == 0 {
		t.Fatalf("deployments: %v, %v", deps.Items, err)
	}
	b, err := st.Admin.Deploy(ctx, deps.Items[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(3 * time.Minute); !b.Status.Terminal(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("build %s still %s", b.ID, b.Status)
		}
		if b, err = st.Admin.GetBuild(ctx, b.ID); err != nil {
			t.Fatal(err)
		}
	}
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build %s: %s", b.Status, b.Error)
	}
	return func() {
		if err := st.Admin.StopDeployment(ctx, deps.Items[0].ID); err != nil {
			t.Errorf("stop: %v", err)
		}
	}
}

// TestPaths deploys the fake project with the data and projects
// directories given relative or absolute, and with the projects directory
// reached through a symbolic link: every combination builds and serves.
func TestPaths(t *testing.T) {
	cache := t.TempDir() // shared: the fake project's dependencies are installed once
	for _, tc := range []struct {
		name           string
		data, projects string // relative to the working directory unless absolute
	}{
		{"relative data, absolute projects", "state/.mastra", "ABS/projects"},
		{"absolute data, relative projects", "ABS/state/.mastra", "projects"},
		{"both relative", ".mastra", "./projects/../projects"},
		{"projects through a symlink", ".mastra", "linked"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			if err := runnertest.WriteFakeProject(filepath.Join(wd, "projects", "agent")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("projects", filepath.Join(wd, "linked")); err != nil {
				t.Fatal(err)
			}
			abs := func(p string) string {
				if rest, ok := strings.CutPrefix(p, "ABS/"); ok {
					return filepath.Join(wd, rest)
				}
				return p
			}
			st, err := embedded.Open(context.Background(), abs(tc.data), &embedded.Options{ProjectsDir: abs(tc.projects),
				Runner: &runnerlocal.Options{BuildMode: runnerlocal.BuildPlain, CacheDir: cache}})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if !filepath.IsAbs(st.DataDir) {
				t.Errorf("DataDir %q is not absolute", st.DataDir)
			}
			stop := deployFake(t, st, "agent")
			defer stop()
			// A later change of directory moves nothing.
			t.Chdir(t.TempDir())
			if _, err := os.Stat(filepath.Join(st.DataDir, "admin.db")); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestFirstRunErrors: what a first run most often lacks gives one line
// naming the setting to change, and leaves no directory behind.
func TestFirstRunErrors(t *testing.T) {
	names := embedded.SettingNames{Addr: "API_ADDR", ProxyAddr: "PROXY_ADDR", DataDir: "MASTRA_ADMIN_DATA",
		ProjectsDir: "PROJECTS_DIR", CacheDir: "MASTRA_ADMIN_CACHE", ServerPorts: "SERVER_PORTS", ClickHouseURL: "CLICKHOUSE_URL"}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	_, takenPort, _ := net.SplitHostPort(taken.Addr().String())
	port, _ := strconv.Atoi(takenPort)
	readOnly := unwritableDir(t)
	closed := freeAddr(t)
	noNode := t.TempDir() // a PATH without node and npm

	for _, tc := range []struct {
		name    string
		edit    func(c *embedded.Config)
		path    string // PATH for the run, when set
		setting string
		says    string
	}{
		{name: "API address taken", edit: func(c *embedded.Config) { c.Addr = taken.Addr().String() },
			setting: "API_ADDR", says: "is in use by another program"},
		{name: "proxy address taken", edit: func(c *embedded.Config) { c.ProxyAddr = taken.Addr().String() },
			setting: "PROXY_ADDR", says: "is in use by another program"},
		{name: "server ports taken", edit: func(c *embedded.Config) { c.Runner.PortMin, c.Runner.PortMax = port, port },
			setting: "SERVER_PORTS", says: "is in use"},
		{name: "data dir not writable", edit: func(c *embedded.Config) { c.DataDir = filepath.Join(readOnly, "data") },
			setting: "MASTRA_ADMIN_DATA", says: "cannot create"},
		{name: "cache dir not writable", edit: func(c *embedded.Config) { c.Runner.CacheDir = filepath.Join(readOnly, "cache") },
			setting: "MASTRA_ADMIN_CACHE", says: "cannot create"},
		{name: "projects dir missing", edit: func(c *embedded.Config) { c.ProjectsDir = "no-such-dir" },
			setting: "PROJECTS_DIR", says: "no-such-dir"},
		{name: "no Node.js", path: noNode, setting: "NodePath", says: "neither node nor npm is on PATH"},
		{name: "ClickHouse not answering", edit: func(c *embedded.Config) { c.ClickHouseURL = "clickhouse://127.0.0.1:" + takenPort + "/obs" },
			setting: "CLICKHOUSE_URL", says: "ClickHouse at 127.0.0.1:" + takenPort},
		{name: "ClickHouse not listening", edit: func(c *embedded.Config) { c.ClickHouseURL = "clickhouse://" + closed + "/obs" },
			setting: "CLICKHOUSE_URL", says: "ClickHouse at " + closed},
		{name: "ClickHouse URL malformed", edit: func(c *embedded.Config) {
			c.ClickHouseURL = "clickhouse://admin:s3cret-pw@127.0.0.1:9000/obs?dial_timeout=soon"
		}, setting: "CLICKHOUSE_URL", says: "set CLICKHOUSE_URL to clickhouse://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wd := t.TempDir()
			t.Chdir(wd)
			if err := os.Mkdir("projects", 0o755); err != nil {
				t.Fatal(err)
			}
			if tc.path != "" {
				t.Setenv("PATH", tc.path)
			}
			c := embedded.Config{Addr: "127.0.0.1:0", ProxyAddr: "127.0.0.1:0", DataDir: ".mastra", ProjectsDir: "projects",
				Runner: &runnerlocal.Options{CacheDir: "cache"}, Settings: names}
			if tc.edit != nil {
				tc.edit(&c)
			}
			st, err := c.Open(context.Background())
			if err == nil {
				st.Close()
				t.Fatal("Open succeeded")
			}
			msg := err.Error()
			if strings.Contains(msg, "s3cret-pw") {
				t.Errorf("error %q shows the password", msg)
			}
			if strings.Contains(msg, "\n") || !strings.Contains(msg, tc.setting) || !strings.Contains(msg, tc.says) {
				t.Errorf("error %q: want one line naming %s and saying %q", msg, tc.setting, tc.says)
			}
			for _, left := range []string{".mastra", "cache"} {
				if _, err := os.Stat(filepath.Join(wd, left)); !os.IsNotExist(err) {
					t.Errorf("%s left behind after a failed first run (%v)", left, err)
				}
			}
		})
	}
}

// unwritableDir returns a directory this process cannot create anything
// in: read-only for a user, immutable (chattr +i) for root, who ignores
// permissions.
func unwritableDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "read-only")
	if err := os.Mkdir(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		return dir
	}
	if out, err := exec.Command("chattr", "+i", dir).CombinedOutput(); err != nil {
		t.Fatalf("chattr +i (e2fsprogs) makes a directory root cannot write: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("chattr", "-i", dir).Run() })
	return dir
}

// TestClickHouseURL: with ClickHouseURL the Stack ingests into and queries
// ClickHouse (its database made when missing) instead of the embedded
// store.
func TestClickHouseURL(t *testing.T) {
	conn := testenv.ClickHouse(t) // a database of the test's own, dropped at its end
	var db string
	if err := conn.QueryRow(context.Background(), "SELECT currentDatabase()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(testenv.ClickHouseURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + db
	dir := t.TempDir()
	st, err := embedded.Open(context.Background(), filepath.Join(dir, "data"), &embedded.Options{ProjectsDir: dir, NoStart: true,
		ClickHouseURL: u.String(), Runner: &runnerlocal.Options{CacheDir: filepath.Join(dir, "cache")}})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, ok := st.Observability.(*chstore.Store); !ok {
		t.Fatalf("observability store %T, want ClickHouse's", st.Observability)
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "observability.db")); !os.IsNotExist(err) {
		t.Errorf("the embedded store was made too (%v)", err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	if err := st.Observability.InsertLogs(context.Background(), []admin.LogRecord{{ID: "l1", Time: now, Level: "info",
		Message: "to ClickHouse", ProjectID: "p", DeploymentID: "d", BuildID: "b"}}); err != nil {
		t.Fatal(err)
	}
	var n uint64
	if err := conn.QueryRow(context.Background(), "SELECT count() FROM mastra_logs WHERE id = 'l1'").Scan(&n); err != nil || n != 1 {
		t.Fatalf("the line in ClickHouse: %d rows, %v", n, err)
	}
}
