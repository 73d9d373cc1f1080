package admin_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// TestCrashRestartedOnce: two admins on one machine share the state (one
// store, one build directory: e.g. an admin and its replacement starting
// while the old one still runs). The deployed server is killed; both see
// it crashed (one by its exit, the other by its health checks), and
// exactly one of them restarts it: one restart audited, one running
// server, one new process.
func TestCrashRestartedOnce(t *testing.T) {
	e := setUpDeployEnv(t, 20*time.Second, true)
	b := e.deployOK(t)
	_, second := newAdmin(t, e.dir, e.projects, 20*time.Second, admin.WithInstanceID("second"))
	t.Cleanup(func() { second.Close() })
	if err := second.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	running := func() []*admin.RunningServer {
		return must[[]*admin.RunningServer](t)(e.store.ListServers(context.Background(),
			admin.ServerFilter{DeploymentID: e.prod.ID, Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
	}
	before := running()
	if len(before) != 1 || before[0].BuildID != b.ID {
		t.Fatalf("running servers: %+v", before)
	}
	if err := syscall.Kill(before[0].PID, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	restarted := waitFor(t, time.Minute, "the crashed server to be restarted", func() (*admin.RunningServer, bool) {
		for _, s := range running() {
			if s.ID != before[0].ID {
				return s, true
			}
		}
		return nil, false
	})
	// Long enough for the slower admin to find the crash by its health
	// checks (3 failures, 200 ms apart) and to act on it.
	quiet := time.Now().Add(3 * time.Second)
	for time.Now().Before(quiet) {
		if rs := running(); len(rs) != 1 || rs[0].ID != restarted.ID {
			ids := make([]string, len(rs))
			for i, r := range rs {
				ids[i] = r.ID
			}
			t.Fatalf("after one crash, running servers %v; want only %s", ids, restarted.ID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	restarts := 0
	for _, ev := range must[[]*admin.AuditEvent](t)(e.store.ListAudit(context.Background(), admin.AuditFilter{Action: "server.restart"}, admin.Page{})) {
		restarts++
		t.Logf("%s of %s: %v", ev.Action, ev.TargetID, ev.Metadata)
	}
	live := 0
	for _, pid := range statePIDs(t, e.dir) {
		if syscall.Kill(pid, 0) == nil {
			live++
		}
	}
	if restarts != 1 || live != 1 {
		t.Fatalf("one crash gave %d restarts and %d live server processes; want 1 and 1", restarts, live)
	}
}

// TestLateCrashFindingYields: an admin that found a server dead on a
// record it read earlier (three failed health checks take 600 ms) while
// another admin had already claimed the restart leaves that claim alone:
// the record stays the claimer's, nothing is audited, no server started.
// (TestCrashRestartedOnce met this race by chance; here it is forced.)
func TestLateCrashFindingYields(t *testing.T) {
	e := setUpDeployEnv(t, 20*time.Second, true)
	e.deployOK(t)
	list := func(st admin.ServerStatus) []*admin.RunningServer {
		return must[[]*admin.RunningServer](t)(e.store.ListServers(context.Background(),
			admin.ServerFilter{DeploymentID: e.prod.ID, Statuses: []admin.ServerStatus{st}}, admin.Page{}))
	}
	seen := list(admin.ServerRunning)[0]
	claimed := *seen
	claimed.Status = admin.ServerStarting // another admin's restart claim
	if err := e.store.UpdateServer(context.Background(), &claimed); err != nil {
		t.Fatal(err)
	}
	admin.Crashed(context.Background(), e.a, seen, "3 failed health checks in a row")
	got := must[*admin.RunningServer](t)(e.store.GetServer(context.Background(), seen.ID))
	if got.Status != admin.ServerStarting {
		t.Errorf("the claimed record is %s after a late crash finding; want it left starting", got.Status)
	}
	if n := len(list(admin.ServerRunning)) + len(list(admin.ServerStarting)); n != 1 {
		t.Errorf("%d servers running or starting; want only the claimed one", n)
	}
	for _, action := range []string{"server.crash", "server.restart"} {
		if evs := must[[]*admin.AuditEvent](t)(e.store.ListAudit(context.Background(), admin.AuditFilter{Action: action}, admin.Page{})); len(evs) != 0 {
			t.Errorf("%d %s events after a late crash finding; want none", len(evs), action)
		}
	}
}

// TestAbandonedRestartClaim: a restart claimed by an admin that died (the
// record left starting) is taken up by a live admin's health checks after
// RestartClaimTimeout, not before: the server is stopped and started again,
// once.
func TestAbandonedRestartClaim(t *testing.T) {
	oc := &offsetClock{}
	e := setUpDeployEnv(t, 20*time.Second, true, admin.WithClock(oc.now))
	e.deployOK(t)
	list := func(st admin.ServerStatus) []*admin.RunningServer {
		return must[[]*admin.RunningServer](t)(e.store.ListServers(context.Background(),
			admin.ServerFilter{DeploymentID: e.prod.ID, Statuses: []admin.ServerStatus{st}}, admin.Page{}))
	}
	claimed := list(admin.ServerRunning)[0]
	claimed.Status, claimed.UpdatedAt = admin.ServerStarting, oc.now()
	if err := e.store.UpdateServer(context.Background(), claimed); err != nil {
		t.Fatal(err)
	}
	// Several health rounds (200 ms apart): a claim in time is left alone.
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if rs := list(admin.ServerStarting); len(rs) != 1 || len(list(admin.ServerRunning)) != 0 {
			t.Fatalf("a fresh claim was not left alone: starting %d, running %d", len(rs), len(list(admin.ServerRunning)))
		}
	}
	oc.advance(admin.RestartClaimTimeout + time.Minute)
	restarted := waitFor(t, time.Minute, "the abandoned restart to be taken up", func() (*admin.RunningServer, bool) {
		rs := list(admin.ServerRunning)
		if len(rs) == 1 {
			return rs[0], true
		}
		return nil, false
	})
	if restarted.ID == claimed.ID || syscall.Kill(claimed.PID, 0) == nil {
		t.Fatalf("restarted %s (pid %d); the claimed server %s (pid %d) must be stopped and replaced", restarted.ID, restarted.PID,
			claimed.ID, claimed.PID)
	}
	if got := must[*admin.RunningServer](t)(e.store.GetServer(context.Background(), claimed.ID)); got.Status != admin.ServerStopped {
		t.Errorf("the abandoned claim's record is %s, want stopped", got.Status)
	}
}
