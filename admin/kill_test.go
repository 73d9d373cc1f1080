package admin_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// The tests here SIGKILL a real admin process: the test binary itself, run
// again as a child with childEnv set (see TestMain), on the state of a
// deployEnv. Then a new admin on the same state must lose nothing and
// orphan or double-start nothing.

const childEnv = "MASTRA_ADMIN_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		if err := childAdmin(mode); err != nil {
			fmt.Println("CHILD ERROR", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childAdmin runs an admin process on the state in MASTRA_ADMIN_TEST_DIR
// and reports on stdout how far it got, then waits to be killed:
//
//	queue: enqueue a build without starting workers ("QUEUED id")
//	build: start, deploy, wait for the build's process ("BUILDING id")
//	serve: start, deploy, wait for the server ("SERVING id pid")
//	campaign: start, then deploy again and again (see campaignChild)
//	ha-{name}: an admin server on shared services (see haChild)
func childAdmin(mode string) error {
	if name, ok := strings.CutPrefix(mode, "ha-"); ok {
		return haChild(name)
	}
	dir, projects := os.Getenv("MASTRA_ADMIN_TEST_DIR"), os.Getenv("MASTRA_ADMIN_TEST_PROJECTS")
	ctx := admin.WithPrincipal(context.Background(), admin.Principal{UserID: os.Getenv("MASTRA_ADMIN_TEST_USER")})
	s, err := openStack(dir, 20*time.Second)
	if err != nil {
		return err
	}
	a, err := s.admin(projects)
	if err != nil {
		return err
	}
	if mode != "queue" {
		if err := a.Start(context.Background()); err != nil {
			return err
		}
	}
	if mode == "campaign" {
		return campaignChild(ctx, s, a)
	}
	b, err := a.Deploy(ctx, os.Getenv("MASTRA_ADMIN_TEST_DEPLOYMENT"))
	if err != nil {
		return err
	}
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		switch mode {
		case "queue":
			fmt.Println("QUEUED", b.ID)
		case "build":
			lines, err := s.logs.Lines(ctx, b.ID, 0, 0)
			if err != nil {
				return err
			}
			for _, l := range lines {
				if strings.Contains(l.Text, "pid=") {
					fmt.Println("BUILDING", b.ID, l.Text[strings.Index(l.Text, "pid=")+4:])
				}
			}
		case "serve":
			cur, err := a.GetBuild(ctx, b.ID)
			if err != nil {
				return err
			}
			if cur.Status == admin.BuildSucceeded && cur.CompletedAt != nil {
				live, err := s.store.ListServers(ctx, admin.ServerFilter{BuildID: b.ID, Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{})
				if err != nil || len(live) != 1 {
					return fmt.Errorf("servers of build %s: %v %v", b.ID, live, err)
				}
				fmt.Println("SERVING", b.ID, live[0].PID)
			} else if cur.Status.Terminal() && cur.CompletedAt != nil {
				return fmt.Errorf("build %s: %s", cur.Status, cur.Error)
			}
		}
	}
	select {} // until killed
}

// startChild closes e's admin and starts a child admin process in mode on
// e's state, acting as userID; it returns the process and its stdout.
func startChild(t *testing.T, e *deployEnv, userID, mode string) (*exec.Cmd, io.Reader) {
	t.Helper()
	if err := e.a.Close(); err != nil { // the child is the only admin now
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+mode, "MASTRA_ADMIN_TEST_DIR="+e.dir,
		"MASTRA_ADMIN_TEST_PROJECTS="+e.projects, "MASTRA_ADMIN_TEST_USER="+userID,
		"MASTRA_ADMIN_TEST_DEPLOYMENT="+e.prod.ID, "MASTRA_ADMIN_TEST_PROJECT="+e.project.ID)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout
}

// killedAdmin runs a child admin in mode on e's state until it prints its
// report, SIGKILLs it, and returns the report's fields.
func killedAdmin(t *testing.T, e *deployEnv, userID, mode, want string) []string {
	t.Helper()
	cmd, stdout := startChild(t, e, userID, mode)
	defer cmd.Wait()
	defer cmd.Process.Kill()
	reports := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) > 0 && (f[0] == want || f[0] == "CHILD") {
				reports <- f
				return
			}
		}
		close(reports)
	}()
	select {
	case f, ok := <-reports:
		if !ok || f[0] != want {
			t.Fatalf("the child admin did not report %s: %v", want, f)
		}
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		return f
	case <-time.After(3 * time.Minute):
		t.Fatalf("the child admin did not report %s in time", want)
		return nil
	}
}

// restarted starts a new admin on e's state, as after a crash, and returns
// how long recovery took.
func restarted(t *testing.T, e *deployEnv, extra ...admin.Option) time.Duration {
	t.Helper()
	start := time.Now()
	s, a := newAdmin(t, e.dir, e.projects, 20*time.Second, extra...)
	t.Cleanup(func() { a.Close() })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.stack, e.a = s, a
	return time.Since(start)
}

func rootOf(t *testing.T, e *deployEnv) string {
	t.Helper()
	return must[*admin.User](t)(e.a.Me(e.ctx)).ID
}

func TestKilledWhileQueued(t *testing.T) {
	e := newDeployEnv(t)
	f := killedAdmin(t, e, rootOf(t, e), "queue", "QUEUED")
	restarted(t, e)
	b := e.waitBuild(t, f[1])
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("the queued build after a crash: %s %s", b.Status, b.Error)
	}
	if code, _ := e.get("app.localhost", "/health"); code != 200 {
		t.Fatalf("not serving: %d", code)
	}
}

// killedWhileBuilding runs an admin process that is SIGKILLed while its
// build hangs, and returns its report and the pid of the build's process.
func killedWhileBuilding(t *testing.T, e *deployEnv) ([]string, int) {
	t.Helper()
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{"FAKE_MASTRA_HANG": "1"}))
	f := killedAdmin(t, e, rootOf(t, e), "build", "BUILDING")
	pid, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatalf("report %v", f)
	}
	return f, pid
}

func TestKilledWhileBuilding(t *testing.T) {
	e := newDeployEnv(t)
	f, pid := killedWhileBuilding(t, e)
	restarted(t, e)
	b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, f[1]))
	if b.Status != admin.BuildFailed || !strings.Contains(b.Error, "restarted") || b.CompletedAt == nil {
		t.Fatalf("the interrupted build: %s %q", b.Status, b.Error)
	}
	waitFor(t, 20*time.Second, "the interrupted build's process to be reaped", func() (bool, bool) { return true, !alive(pid) })
	if _, err := os.Stat(filepath.Join(e.dir, "builds", b.ID, "src", "package.json")); err != nil {
		t.Fatalf("the interrupted build's directory is not kept for inspection: %v", err)
	}
	if live := e.liveServers(t); len(live) != 0 {
		t.Fatalf("servers after an interrupted first build: %+v", live)
	}
}

func TestKilledWhileServing(t *testing.T) {
	e := newDeployEnv(t)
	f := killedAdmin(t, e, rootOf(t, e), "serve", "SERVING")
	pid, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatalf("report %v", f)
	}
	took := restarted(t, e)
	// The same process is adopted, not a second one started.
	live := e.liveServers(t)
	if len(live) != 1 || live[0].BuildID != f[1] || live[0].PID != pid || !alive(pid) {
		t.Fatalf("servers after the admin was killed: %+v, want the one with pid %d", live, pid)
	}
	if all := must[[]*admin.RunningServer](t)(e.store.ListServers(context.Background(), admin.ServerFilter{}, admin.Page{})); len(all) != 1 {
		t.Fatalf("%d server records after recovery, want the one", len(all))
	}
	// The runner appends a header to server.log for every start.
	serverLog, err := os.ReadFile(filepath.Join(e.dir, "builds", f[1], "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	if starts := strings.Count(string(serverLog), "=== "); starts != 1 {
		t.Fatalf("the build's server was started %d times:\n%s", starts, serverLog)
	}
	if code, body := e.get("app.localhost", "/health"); code != 200 {
		t.Fatalf("not serving after recovery: %d %s", code, body)
	}
	builds := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, e.prod.ID, admin.Page{}))
	if len(builds.Items) != 1 {
		t.Fatalf("%d builds after recovery, want the one", len(builds.Items))
	}
	t.Logf("recovered a running server (re-attached, route restored) in %v", took.Round(time.Millisecond))
}

func TestExpiredBuildLeaseFailsTheBuild(t *testing.T) {
	e := newDeployEnv(t)
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{"FAKE_MASTRA_HANG": "1"}))
	staging := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
	// Admin instance "test" claims the production build and dies.
	f := killedAdmin(t, e, rootOf(t, e), "build", "BUILDING")
	pid, err := strconv.Atoi(f[2])
	if err != nil {
		t.Fatalf("report %v", f)
	}
	// Another admin server on the same Storage, which never hears from
	// "test" again.
	var clk offsetClock
	const lease = time.Minute
	restarted(t, e, admin.WithInstanceID("other"), admin.WithClock(clk.now), admin.WithBuildLease(lease))
	if b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, f[1])); b.Status != admin.BuildBuilding {
		t.Fatalf("another instance's build is %s after a restart, want building (not this instance's to recover)", b.Status)
	}
	mine := must[*admin.Build](t)(e.a.Deploy(e.ctx, staging.ID))
	waitFor(t, time.Minute, "this admin's build to hang", func() (bool, bool) { return true, strings.Contains(e.heldText(t, mine.ID), "pid=") })
	// Half a lease at a time: this admin renews the lease of its build,
	// while the dead instance's expires.
	for range 3 {
		clk.advance(lease / 2)
		at := clk.now().Truncate(time.Microsecond)
		waitFor(t, 10*time.Second, "the lease to be renewed", func() (bool, bool) {
			return true, !must[*admin.Build](t)(e.a.GetBuild(e.ctx, mine.ID)).UpdatedAt.Before(at)
		})
	}
	if b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, mine.ID)); b.Status != admin.BuildBuilding || !strings.HasPrefix(b.ClaimedBy, "other/") {
		t.Fatalf("the live admin's build after 1.5 leases: %s, claimed by %s (%s)", b.Status, b.ClaimedBy, b.Error)
	}
	dead := e.waitBuild(t, f[1])
	if dead.Status != admin.BuildFailed || !strings.Contains(dead.Error, `admin instance "test"`) || !strings.Contains(dead.Error, "lease") {
		t.Fatalf("the dead instance's build: %s %q", dead.Status, dead.Error)
	}
	if log := e.logText(t, dead.ID); !strings.Contains(log, dead.Error) {
		t.Fatalf("the build log does not say why the build failed:\n%s", log)
	}
	waitFor(t, 20*time.Second, "the dead instance's build process to be reaped", func() (bool, bool) { return true, !alive(pid) })
	// The deployment is free for its next build.
	next := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	waitFor(t, time.Minute, "the next build to be claimed", func() (bool, bool) {
		return true, must[*admin.Build](t)(e.a.GetBuild(e.ctx, next.ID)).Status == admin.BuildBuilding
	})
	for _, id := range []string{next.ID, mine.ID} {
		if err := e.a.CancelBuild(e.ctx, id); err != nil {
			t.Fatal(err)
		}
		e.waitBuild(t, id)
	}
}

func TestAdminBackAfterItsLeaseExpiredReapsItsBuild(t *testing.T) {
	e := newDeployEnv(t)
	f, pid := killedWhileBuilding(t, e)
	// Another admin server, as on another machine: the build's folder is
	// not in its build directory, so it cannot end the build's process.
	var clk offsetClock
	restarted(t, e, admin.WithInstanceID("other"), admin.WithBuildDir(t.TempDir()), admin.WithClock(clk.now), admin.WithBuildLease(time.Minute))
	clk.advance(2 * time.Minute)
	if b := e.waitBuild(t, f[1]); b.Status != admin.BuildFailed {
		t.Fatalf("the dead instance's build: %s %q", b.Status, b.Error)
	}
	if !alive(pid) {
		t.Fatal("the build's process was ended by an admin whose build directory does not hold it")
	}
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	// Instance "test" comes back: it ends what its expired build left.
	restarted(t, e)
	waitFor(t, 20*time.Second, "the expired build's process to be reaped", func() (bool, bool) { return true, !alive(pid) })
}
