package ui_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/admin/ui"
)

// TestTeamAndUserAdministration renames a team (an empty name first: the
// core's error beside the field, nothing changed), deletes it, and, as a
// platform admin on the users page, makes a user a platform admin, takes
// it back and deletes the user, in Chromium; each change is checked in the
// core.
func TestTeamAndUserAdministration(t *testing.T) {
	e := newEnv(t, "/ui")
	root, token := e.user(t, "root@example.com")
	bob, _ := e.user(t, "bob@example.com")
	sys := apitest.As(root.ID)
	team, err := e.a.CreateTeam(sys, admin.NewTeam{Name: "Crew"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	signIn(t, ctx, e, token)

	visit(t, ctx, e.ui+"/teams/"+team.ID+"/members", "#team-settings")
	run(t, ctx, "clear the name", setValue("#team-rename", " "))
	press(t, ctx, "", "rename-team", "#team-settings .field-error")
	if got, _ := e.a.GetTeam(sys, team.ID); got.Name != "Crew" {
		t.Fatalf("an empty name renamed the team to %q", got.Name)
	}
	run(t, ctx, "name the team", setValue("#team-rename", "Crew Two"))
	press(t, ctx, "", "rename-team", "#team-settings")
	if got, _ := e.a.GetTeam(sys, team.ID); got.Name != "Crew Two" {
		t.Fatalf("the team is named %q after the rename, want Crew Two", got.Name)
	}
	screenshot(t, ctx, "team-settings")
	press(t, ctx, "", "delete-team", "#teams")
	if _, err := e.a.GetTeam(sys, team.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("the deleted team: %v, want not found", err)
	}

	row := `tr[data-user="bob@example.com"]`
	visit(t, ctx, e.ui+"/users", row)
	if n := get(t, ctx, "own row", chromedp.Evaluate[int](`document.querySelectorAll('tr[data-user="root@example.com"] [data-control]').length`)); n != 0 {
		t.Fatalf("the signed-in admin's own row has %d controls, want none", n)
	}
	press(t, ctx, row, "make-platform-admin", row+` [data-control="revoke-platform-admin"]`)
	if u, _ := e.a.GetUser(sys, bob.ID); !u.PlatformAdmin {
		t.Fatal("bob is not a platform admin after make-platform-admin")
	}
	screenshot(t, ctx, "users")
	press(t, ctx, row, "revoke-platform-admin", row+` [data-control="make-platform-admin"]`)
	if u, _ := e.a.GetUser(sys, bob.ID); u.PlatformAdmin {
		t.Fatal("bob is still a platform admin after revoke-platform-admin")
	}
	press(t, ctx, row, "delete-user", "#users")
	if _, err := e.a.GetUser(sys, bob.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("the deleted user: %v, want not found", err)
	}
	if strings.Contains(text(t, ctx, "#users"), "bob@example.com") {
		t.Fatal("the users page still lists the deleted user")
	}
}

// TestReadOnly walks every page of a team, as its platform-admin owner,
// on a dashboard with Options.ReadOnly, in Chromium: no control changes
// anything, and a change posted anyway with the page's CSRF token is
// refused (403) and changes nothing.
func TestReadOnly(t *testing.T) {
	e := newEnvWith(t, "/ui", func(*admin.Admin, string) (*httpapi.Options, *ui.Options) {
		return nil, &ui.Options{ReadOnly: true}
	})
	root, token := e.user(t, "root@example.com")
	sys := apitest.As(root.ID)
	team, p := e.project(t, sys, "Shown", "Displayed", apitest.ProjectPath)
	prod, b := deployProduction(t, e, sys, p.ID)

	ctx := tab(t)
	signIn(t, ctx, e, token)
	allowed := map[string]bool{"logout": true, "theme-toggle": true, "team-switcher": true, "log-pause": true,
		"log-search": true, "log-download": true, "env-link": true, "audit-filter": true, "audit-older": true,
		"refresh-interval": true}
	walkWithoutChanges(t, ctx, e, allowed, []pageWait{
		{"/teams", "#teams"},
		{"/teams/" + team.ID, "#projects"},
		{"/projects/" + p.ID, "#deployments"},
		{"/projects/" + p.ID + "/env", "#env-vars"},
		{"/deployments/" + prod.ID, "#summary"},
		{"/builds/" + b.ID, "#build-status"},
		{"/teams/" + team.ID + "/members", "#members"},
		{"/teams/" + team.ID + "/queue", "#queue"},
		{"/tokens", "#tokens"},
		{"/users", "#users"},
	})
	screenshot(t, ctx, "read-only-users")
	if st := postFromPage(t, ctx, e.prefix+"/teams/"+team.ID+"/rename", "name=Changed"); st != 403 {
		t.Fatalf("a rename posted to a read-only dashboard answered %d, want 403", st)
	}
	if got, _ := e.a.GetTeam(sys, team.ID); got.Name != "Shown" {
		t.Fatalf("the read-only dashboard renamed the team to %q", got.Name)
	}
}

// TestRefreshInterval chooses the refresh interval in the header, in
// Chromium: off takes the polling off the live parts (the build queue
// here), 5 s polls every 5 s, and the choice survives a new page load
// (a cookie); default goes back to Options.RefreshInterval.
func TestRefreshInterval(t *testing.T) {
	ctx, queue := queuePage(t)
	trigger := func() string {
		return get(t, ctx, "the queue's trigger", chromedp.Evaluate[string](`document.querySelector('#queue').getAttribute('hx-trigger') || ''`))
	}
	if got := trigger(); got != "every 250ms" {
		t.Fatalf("the queue polls %q, want every 250ms (Options.RefreshInterval)", got)
	}
	for _, c := range []struct{ choice, want string }{{"off", ""}, {"5s", "every 5000ms"}, {"", "every 250ms"}} {
		drive("refresh-interval")
		run(t, ctx, "mark the page", chromedp.Evaluate[chromedp.Void](`window.__uiOldPage = true`))
		run(t, ctx, "choose "+c.choice, setValue("#refresh-interval", c.choice))
		poll(t, ctx, "the reload after choosing "+c.choice, `!window.__uiOldPage && document.readyState === "complete" && !!document.querySelector('#queue')`)
		if got := trigger(); got != c.want {
			t.Fatalf("with %q chosen the queue polls %q, want %q", c.choice, got, c.want)
		}
		visit(t, ctx, queue, "#queue")
		if got := trigger(); got != c.want {
			t.Fatalf("with %q chosen, on a new load the queue polls %q, want %q", c.choice, got, c.want)
		}
		if c.choice == "off" {
			screenshot(t, ctx, "refresh-off")
		}
	}
}

// queuePage opens, in a new tab signed in as a team's owner, the team's
// build queue (refreshed every 250 ms by newEnv's dashboard), and
// returns the tab and the page's URL.
func queuePage(t *testing.T) (context.Context, string) {
	t.Helper()
	e := newEnv(t, "/ui")
	root, token := e.user(t, "root@example.com")
	team, err := e.a.CreateTeam(apitest.As(root.ID), admin.NewTeam{Name: "Polled"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := tab(t)
	signIn(t, ctx, e, token)
	queue := e.ui + "/teams/" + team.ID + "/queue"
	visit(t, ctx, queue, "#queue")
	return ctx, queue
}

// TestRefreshWaitsForPress holds the mouse button down inside a live part
// (the build queue, refreshed every 250 ms here), in Chromium: while it
// is down, refreshes arrive but the table is not replaced (a press that
// ended on a replacement would be no click: CI once lost a Deploy that
// way); after the release the next refresh replaces it.
func TestRefreshWaitsForPress(t *testing.T) {
	ctx, _ := queuePage(t)
	at := get(t, ctx, "find the queue's heading", chromedp.Evaluate[struct{ X, Y float64 }](`(() => {
	  window.__uiTable = document.querySelector('#queue');
	  window.__uiRefreshes = 0;
	  document.body.addEventListener('htmx:afterRequest', () => window.__uiRefreshes++);
	  const r = document.querySelector('#queue th').getBoundingClientRect();
	  return {X: r.x + r.width / 2, Y: r.y + r.height / 2};
	})()`))
	run(t, ctx, "press inside the queue", chromedp.MouseEvent(chromedp.MousePressed, at.X, at.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	poll(t, ctx, "three refreshes while pressed", `window.__uiRefreshes >= 3`)
	if !get(t, ctx, "is the table the same", chromedp.Evaluate[bool](`document.querySelector('#queue') === window.__uiTable`)) {
		t.Fatal("a refresh replaced the table under the pressed mouse button")
	}
	run(t, ctx, "release", chromedp.MouseEvent(chromedp.MouseReleased, at.X, at.Y, chromedp.ButtonLeft, chromedp.ClickCount(1)))
	poll(t, ctx, "a refresh after the release", `document.querySelector('#queue') !== window.__uiTable`)
}

// TestPreviews lists a project's previews on its page, in Chromium: a
// fork's pull request awaiting approval (approved from the page: the core
// records the head commit) and a branch preview (torn down from the
// page); a hand-made preview deployment has no Preview record and is not
// listed.
func TestPreviews(t *testing.T) {
	e := newEnv(t, "/ui")
	root, token := e.user(t, "root@example.com")
	sys := apitest.As(root.ID)
	_, p := e.project(t, sys, "Reviewers", "Reviewed", apitest.ProjectPath)
	// The Preview records a pull-request webhook would make (see
	// admin.ReceiveWebhook), written to the embedded Storage directly:
	// a local source sends no webhooks.
	preview := func(slug string, pr admin.Preview) *admin.Deployment {
		t.Helper()
		d, err := e.a.CreateDeployment(sys, p.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: pr.Branch, Slug: slug})
		if err != nil {
			t.Fatal(err)
		}
		if pr.Branch == "" {
			return d
		}
		now := time.Now()
		pr.DeploymentID, pr.ProjectID, pr.CreatedAt, pr.UpdatedAt, pr.Version = d.ID, p.ID, now, now, 1
		if err := e.st.Store.CreatePreview(context.Background(), &pr); err != nil {
			t.Fatal(err)
		}
		return d
	}
	const head = "0123456789abcdef0123456789abcdef01234567"
	fork := preview("pr-7", admin.Preview{Number: 7, Branch: "patch-1", HeadSHA: head, HeadRepo: "someone/fork", Fork: true})
	t.Cleanup(func() { _ = e.a.StopDeployment(sys, fork.ID) })
	branch := preview("feature-x", admin.Preview{Branch: "feature-x", HeadSHA: head})
	if _, err := e.a.CreateDeployment(sys, p.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "by-hand", Slug: "by-hand"}); err != nil {
		t.Fatal(err)
	}

	ctx := tab(t)
	signIn(t, ctx, e, token)
	visit(t, ctx, e.ui+"/projects/"+p.ID, "#previews")
	rows := get(t, ctx, "preview rows", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#previews tr[data-preview]')].map(r => r.getAttribute('data-preview'))`))
	if strings.Join(rows, ",") != "feature-x,pr-7" && strings.Join(rows, ",") != "pr-7,feature-x" {
		t.Fatalf("the previews list shows %v, want pr-7 and feature-x (not the hand-made by-hand)", rows)
	}
	waitText(t, ctx, `tr[data-preview="pr-7"]`, "#7")
	waitText(t, ctx, `tr[data-preview="pr-7"]`, "awaiting approval")
	screenshot(t, ctx, "previews")
	press(t, ctx, `tr[data-preview="pr-7"]`, "approve-preview", "#previews")
	if pr, err := e.a.GetPreview(sys, fork.ID); err != nil || pr.ApprovedSHA != head {
		t.Fatalf("after approval the preview is %+v (%v), want ApprovedSHA %s", pr, err, head)
	}
	if n := get(t, ctx, "approve buttons", chromedp.Evaluate[int](`document.querySelectorAll('[data-control="approve-preview"]').length`)); n != 0 {
		t.Fatalf("%d approve buttons after the approval, want none", n)
	}
	press(t, ctx, `tr[data-preview="feature-x"]`, "teardown-preview", "#deployments")
	if _, err := e.a.GetDeployment(sys, branch.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("the torn-down preview: %v, want not found", err)
	}
}
