package admin_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestReattachFifty runs 50 servers (the fake project, one deployment
// each), closes the admin, and starts a new one on the same state: Start
// re-attaches every server (same PID) and restores every route before it
// returns. It logs how long Start took (the goal is 2 s or less; no
// threshold here: the machine is shared).
func TestReattachFifty(t *testing.T) {
	if testing.Short() {
		t.Skip("runs 50 node processes")
	}
	const n = 50
	projects := t.TempDir()
	for i := range n {
		if err := runnertest.WriteFakeProject(filepath.Join(projects, fmt.Sprintf("app-%02d", i))); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	const lo, hi = 4800, 4800 + n + 9 // outside the other tests' ranges
	lic := admin.WithLicense(signedLicense(t, admin.Limits{}, time.Time{}))
	open := func() (*stack, *admin.Admin) {
		s, err := openStackPorts(dir, 20*time.Second, lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.admin(projects, lic)
		if err != nil {
			t.Fatal(err)
		}
		return s, a
	}
	t.Cleanup(func() { stopAllServers(t, dir) })
	s, a := open()
	first := a // closed before stopAllServers runs, so that a failed test leaves no build starting servers
	t.Cleanup(func() { first.Close() })
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	root := must[*admin.User](t)(a.Bootstrap(context.Background(), admin.NewUser{Email: "root@example.com", Name: "Root"}))
	ctx := as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	found := must[[]admin.ProjectSource](t)(a.DiscoverProjects(ctx, admin.SourceLocal))
	if len(found) != n {
		t.Fatalf("discovered %d projects, want %d", len(found), n)
	}
	began := time.Now()
	var builds []*admin.Build
	for i, f := range found {
		p := must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: fmt.Sprintf("App %02d", i),
			SourceType: admin.SourceLocal, SourceConfig: f.Config}))
		deps := must[admin.List[*admin.Deployment]](t)(a.ListDeployments(ctx, p.ID, admin.Page{}))
		builds = append(builds, must[*admin.Build](t)(a.Deploy(ctx, deps.Items[0].ID)))
	}
	for _, b := range builds {
		for deadline := time.Now().Add(5 * time.Minute); !b.Status.Terminal() || b.CompletedAt == nil; time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("build %s still %s", b.ID, b.Status)
			}
			b = must[*admin.Build](t)(a.GetBuild(ctx, b.ID))
		}
		if b.Status != admin.BuildSucceeded {
			t.Fatalf("build %s %s: %s", b.ID, b.Status, b.Error)
		}
	}
	t.Logf("%d deploys of the fake project in %s", n, time.Since(began).Round(time.Millisecond))
	before := must[[]*admin.RunningServer](t)(s.store.ListServers(context.Background(),
		admin.ServerFilter{Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
	if len(before) != n {
		t.Fatalf("%d running servers, want %d", len(before), n)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}

	s, a = open()
	defer a.Close()
	began = time.Now()
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	took := time.Since(began)
	after := must[[]*admin.RunningServer](t)(s.store.ListServers(context.Background(),
		admin.ServerFilter{Statuses: []admin.ServerStatus{admin.ServerRunning}}, admin.Page{}))
	pids := map[string]int{}
	for _, srv := range before {
		pids[srv.ID] = srv.PID
	}
	for _, srv := range after {
		if pids[srv.ID] != srv.PID {
			t.Errorf("server %s: pid %d after the restart, %d before", srv.ID, srv.PID, pids[srv.ID])
		}
	}
	if len(after) != n {
		t.Errorf("%d servers running after the restart, want %d", len(after), n)
	}
	// Every route is back and reaches its server through the proxy.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.router.Serve(context.Background(), l)
	routes := must[[]admin.Route](t)(s.router.Routes(context.Background()))
	served := 0
	for _, r := range routes {
		if r.Target == "" {
			continue
		}
		resp, err := http.Get("http://" + l.Addr().String() + "/" + r.ProjectSlug + "/" + r.DeploymentSlug + "/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			served++
		}
	}
	if served != n {
		t.Errorf("%d of %d routes answer /health through the proxy after the restart", served, n)
	}
	testenv.Figure(t, "restart with %d running servers: Start re-attached them all and restored their routes in %s (goal ≤ 2 s)",
		n, took.Round(time.Millisecond))
}
