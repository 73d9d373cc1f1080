package admin_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// TestRoutesFollowStorage runs two admins on one Storage, each with its
// own router (as two admin servers would): a deploy through one is routed
// by the other too, within about a second; a stop turns the other's route
// into a 503; a deleted project's route goes from both.
func TestRoutesFollowStorage(t *testing.T) {
	e := newDeployEnv(t)
	lo, hi := portRange()
	other, err := openProviders(t.TempDir(), 20*time.Second, lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	other.store = e.store
	b, err := other.admin(e.projects, admin.WithInstanceID("other"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	get := func(path string) int {
		rec := httptest.NewRecorder()
		other.router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://app.localhost"+path, nil))
		return rec.Code
	}

	e.deployOK(t)
	began := time.Now()
	waitFor(t, 10*time.Second, "the other admin to route the deployment", func() (bool, bool) { return true, get("/health") == 200 })
	t.Logf("a deploy through one admin was routed by the other after %s", time.Since(began).Round(time.Millisecond))

	if err := e.a.StopDeployment(e.ctx, e.prod.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the other admin's route to lose its target", func() (bool, bool) { return true, get("/health") == 503 })

	if err := e.a.DeleteProject(e.ctx, e.project.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 10*time.Second, "the other admin's route to go", func() (bool, bool) { return true, get("/health") == 404 })
}
