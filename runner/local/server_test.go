//go:build linux

package local_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// fakeArtifact builds the fake project once per test.
func fakeArtifact(t *testing.T) admin.Artifact {
	t.Helper()
	r := newRunner(t, runnertest.Config{CacheDir: t.TempDir()}, nil)
	defer r.Close()
	a, log, err := fakeBuild(t, r, nil)
	if err != nil {
		t.Fatalf("build: %v\n%s", err, log)
	}
	return *a
}

func testConfig(t *testing.T) runnertest.Config {
	return runnertest.Config{CacheDir: t.TempDir(), Host: "127.0.0.1", PortMin: 4100, PortMax: 4199,
		HealthTimeout: 30 * time.Second, StopGrace: 5 * time.Second}
}

func exitPOST(t *testing.T, s *admin.RunningServer, code int) {
	t.Helper()
	resp, err := http.Post("http://"+s.Host+":"+strconv.Itoa(s.Port)+"/exit?code="+strconv.Itoa(code), "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestOnExitReportsCrashes(t *testing.T) {
	a := fakeArtifact(t)
	events := make(chan local.ExitEvent, 10)
	cfg := testConfig(t)
	onExit := func(o *local.Options) {
		o.OnExit = func(e local.ExitEvent) { events <- e }
		o.WatchInterval = 20 * time.Millisecond
	}
	r := newRunner(t, cfg, onExit)
	defer r.Close()
	start := func() *admin.RunningServer {
		t.Helper()
		s, err := r.Start(context.Background(), admin.StartSpec{Artifact: a, Build: &admin.Build{ID: "bld_1"}, Deployment: &admin.Deployment{ID: "dep_1"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Stop(context.Background(), s) })
		return s
	}
	wait := func(what string) local.ExitEvent {
		t.Helper()
		select {
		case e := <-events:
			return e
		case <-time.After(30 * time.Second):
			t.Fatalf("no exit event for %s", what)
			return local.ExitEvent{}
		}
	}

	// A child of this process: its exit status is known.
	s := start()
	if s.DeploymentID != "dep_1" || s.BuildID != "bld_1" {
		t.Errorf("RunningServer ids: %+v", s)
	}
	exitPOST(t, s, 7)
	e := wait("a crashed child")
	if e.ExitCode != 7 || e.Server.PID != s.PID || e.Server.Port != s.Port || e.Server.DeploymentID != "dep_1" {
		t.Errorf("event %+v; want exit code 7 for pid %d port %d", e, s.PID, s.Port)
	}

	// Stopping is not a crash.
	s = start()
	if err := r.Stop(context.Background(), s); err != nil {
		t.Fatal(err)
	}

	// A reattached server is watched through /proc: exit status unknown.
	other := newRunner(t, cfg, nil)
	s2, err := other.Start(context.Background(), admin.StartSpec{Artifact: a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = other.Stop(context.Background(), s2) })
	if ok, err := r.Reattach(context.Background(), s2); !ok || err != nil {
		t.Fatalf("Reattach = %v, %v", ok, err)
	}
	exitPOST(t, s2, 0)
	if e := wait("a reattached server"); e.ExitCode != -1 || e.Server.PID != s2.PID {
		t.Errorf("event %+v; want exit code -1 for pid %d", e, s2.PID)
	}
	select {
	case e := <-events:
		t.Errorf("unexpected event %+v (the stopped server?)", e)
	default:
	}
	other.Close()
}

func TestNotifyExitsBesideOnExit(t *testing.T) {
	a := fakeArtifact(t)
	onExit := make(chan local.ExitEvent, 10)
	r := newRunner(t, testConfig(t), func(o *local.Options) {
		o.OnExit = func(e local.ExitEvent) { onExit <- e }
	})
	defer r.Close()
	var n admin.ExitNotifier = r // found by the admin through a type assertion
	notified := make(chan admin.ServerExit, 10)
	n.NotifyExits(func(e admin.ServerExit) { notified <- e })
	start := func() *admin.RunningServer {
		t.Helper()
		s, err := r.Start(context.Background(), admin.StartSpec{Artifact: a, Deployment: &admin.Deployment{ID: "dep_1"}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Stop(context.Background(), s) })
		return s
	}
	// Stopping is not a crash: nothing is reported for the first server.
	if err := r.Stop(context.Background(), start()); err != nil {
		t.Fatal(err)
	}
	s := start()
	exitPOST(t, s, 5)
	select {
	case e := <-notified:
		if e.ExitCode != 5 || e.Signal != "" || e.Server.PID != s.PID || e.Server.Handle != s.Handle || e.Server.DeploymentID != "dep_1" {
			t.Errorf("notified %+v; want exit code 5 for pid %d of dep_1", e, s.PID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("NotifyExits heard of no crash")
	}
	select {
	case e := <-onExit:
		if e.Server.PID != s.PID {
			t.Errorf("OnExit heard of pid %d, want %d", e.Server.PID, s.PID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("OnExit heard of no crash beside NotifyExits")
	}
	if len(notified) != 0 || len(onExit) != 0 {
		t.Errorf("more exits reported than the one crash: %d, %d", len(notified), len(onExit))
	}
}

func TestServerEnvironment(t *testing.T) {
	a := fakeArtifact(t)
	t.Setenv("MASTRA_ADMIN_TEST_SECRET", "admin-only")
	t.Setenv("LANG", "C.UTF-8")
	r := newRunner(t, testConfig(t), func(o *local.Options) {
		o.Env = map[string]string{"FROM_OPTIONS": "options", "OVERRIDDEN": "options"}
	})
	defer r.Close()
	s, err := r.Start(context.Background(), admin.StartSpec{Artifact: a,
		Env: map[string]string{"OVERRIDDEN": "spec", "NODE_ENV": "staging"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Stop(context.Background(), s)
	echo, err := runnertest.GetEcho(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"FROM_OPTIONS": "options", "OVERRIDDEN": "spec", "NODE_ENV": "staging", "LANG": "C.UTF-8",
		"MASTRA_ADMIN_TEST_SECRET": "", // the admin's environment stays out
	} {
		if got := echo.Env[name]; got != want {
			t.Errorf("server env %s = %q, want %q", name, got, want)
		}
	}
	if echo.Cwd != a.Dir {
		t.Errorf("server cwd %s, want the artifact dir %s", echo.Cwd, a.Dir)
	}
	// Output goes to server.log in the build directory, not to the admin.
	eventually(t, "server.log has the listening line", func() bool {
		b, _ := os.ReadFile(filepath.Join(filepath.Dir(a.Dir), "server.log"))
		return strings.Contains(string(b), "fake server: listening on 127.0.0.1:"+strconv.Itoa(s.Port))
	})
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for wait := 10 * time.Millisecond; !cond(); wait = min(2*wait, 250*time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(wait)
	}
}

// TestServerOutlivesAdminProcess starts a server from a separate process (a
// stand-in admin) that then exits; this process adopts and stops it.
func TestServerOutlivesAdminProcess(t *testing.T) {
	if os.Getenv("LOCAL_TEST_HELPER_START") != "" {
		helperStart(t)
		return
	}
	a := fakeArtifact(t)
	cfg := testConfig(t)
	spec, _ := json.Marshal(a)
	cmd := exec.Command(os.Args[0], "-test.run=^TestServerOutlivesAdminProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), "LOCAL_TEST_HELPER_START="+string(spec), "LOCAL_TEST_HELPER_CACHE="+cfg.CacheDir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var srv *admin.RunningServer
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if j, ok := strings.CutPrefix(sc.Text(), "SERVER "); ok {
			srv = new(admin.RunningServer)
			if err := json.Unmarshal([]byte(j), srv); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper admin: %v", err)
	}
	if srv == nil {
		t.Fatal("the helper admin printed no server")
	}
	r := newRunner(t, cfg, nil)
	defer r.Close()
	if h, err := r.Health(context.Background(), srv); h != admin.HealthHealthy {
		t.Fatalf("server health after its admin exited: %q, %v", h, err)
	}
	if ok, err := r.Reattach(context.Background(), srv); !ok || err != nil {
		t.Fatalf("Reattach = %v, %v", ok, err)
	}
	if err := r.Stop(context.Background(), srv); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(srv.PID)); err == nil {
		if b, _ := os.ReadFile("/proc/" + strconv.Itoa(srv.PID) + "/stat"); !strings.Contains(string(b), ") Z") {
			t.Errorf("server pid %d alive after Stop", srv.PID)
		}
	}
}

// helperStart is the stand-in admin: it starts a server, prints it and
// exits without stopping it.
func helperStart(t *testing.T) {
	var a admin.Artifact
	if err := json.Unmarshal([]byte(os.Getenv("LOCAL_TEST_HELPER_START")), &a); err != nil {
		t.Fatal(err)
	}
	cfg := runnertest.Config{CacheDir: os.Getenv("LOCAL_TEST_HELPER_CACHE"), Host: "127.0.0.1", PortMin: 4100, PortMax: 4199,
		HealthTimeout: 30 * time.Second}
	r := newRunner(t, cfg, nil)
	s, err := r.Start(context.Background(), admin.StartSpec{Artifact: a}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(s)
	os.Stdout.WriteString("SERVER " + string(b) + "\n")
}
