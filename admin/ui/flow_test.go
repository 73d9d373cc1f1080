package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestFullFlow drives the dashboard in Chromium against a real deploy of
// the fake Mastra project (real npm install, build, server process and
// router): sign in, a team (a bad slug first), a project from the local
// source, env vars, a deploy whose log arrives live while the build waits
// on its health check, the deployment running and its URL through the
// router (the server sees the env var set in the browser), a redeploy, a
// rollback, a staging deployment with an override whose hanging build is
// cancelled from the build queue and whose next build is promoted to
// production, members and roles, API tokens, the
// audit log with filters and pages, a project deleted, the theme, the team
// switcher, a stop, and sign-out. Every page is screenshot, light and
// dark, to the test's artifact directory.
func TestFullFlow(t *testing.T) {
	e := newEnv(t, "/ui")
	e.user(t, "root@example.com") // the platform admin: the owner below is an ordinary user
	owner, token := e.user(t, "owner@example.com")
	ctx := tab(t)
	healthy := filepath.Join(t.TempDir(), "healthy")

	// Sign in: no team yet, so the dashboard offers to create one.
	signIn(t, ctx, e, token)
	waitText(t, ctx, "h1", "Teams")
	screenshot(t, ctx, "teams")

	// A bad slug: the core's message next to the field, the name kept.
	run(t, ctx, "fill the team form", chromedp.SendKeys(chromedp.CSS("#team-name"), "Acme Agents"),
		chromedp.SendKeys(chromedp.CSS("#team-slug"), "Not A Slug!"))
	press(t, ctx, "", "create-team", ".field-error")
	if got := text(t, ctx, ".field-error"); got == "" {
		t.Fatalf("the slug error says %q", got)
	}
	kept := get(t, ctx, "read the kept name", chromedp.Value(chromedp.CSS("#team-name")))
	if kept != "Acme Agents" {
		t.Fatalf("the form lost the name: %q", kept)
	}
	run(t, ctx, "clear the slug", setValue(("#team-slug"), ""))
	press(t, ctx, "", "create-team", `[data-control="new-project"]`)
	waitText(t, ctx, "h1", "Acme Agents")
	teams, err := e.a.ListTeams(apitest.As(owner.ID), admin.Page{})
	if err != nil || len(teams.Items) != 1 {
		t.Fatalf("teams after create: %v %v", teams.Items, err)
	}
	team := teams.Items[0]

	// A project from the local source's picker.
	press(t, ctx, "", "new-project", `input[name="source"]`)
	screenshot(t, ctx, "new-project")
	press(t, ctx, "", "create-project", ".field-error") // nothing chosen: refused
	run(t, ctx, "choose the source", chromedp.Click(chromedp.CSS(`input[name="source"][value="local?path=`+apitest.ProjectPath+`"]`)),
		chromedp.SendKeys(chromedp.CSS("#project-name"), "Demo Agent"))
	press(t, ctx, "", "create-project", `#deployments tr[data-deployment="production"]`)
	ps, err := e.a.ListProjects(apitest.As(owner.ID), team.ID, admin.Page{})
	if err != nil || len(ps.Items) != 1 {
		t.Fatalf("projects: %v %v", ps.Items, err)
	}
	project := ps.Items[0]

	// Env vars: a bad name refused next to the field; values write-only.
	press(t, ctx, "", "env-link", "#env-name")
	run(t, ctx, "a bad name", chromedp.SendKeys(chromedp.CSS("#env-name"), "1-bad name"),
		chromedp.SendKeys(chromedp.CSS("#env-value"), "x"))
	press(t, ctx, "", "set-env", ".field-error")
	for name, value := range map[string]string{"GREETING": "hello from the browser", runnertest.FakeHealthyWhen: healthy} {
		run(t, ctx, "set "+name, setValue(("#env-name"), ""),
			chromedp.SendKeys(chromedp.CSS("#env-name"), name), chromedp.SendKeys(chromedp.CSS("#env-value"), value))
		press(t, ctx, "", "set-env", `tr[data-env="`+name+`"]`)
	}
	run(t, ctx, "set OBSOLETE", setValue("#env-name", ""), chromedp.SendKeys(chromedp.CSS("#env-name"), "OBSOLETE"),
		chromedp.SendKeys(chromedp.CSS("#env-value"), "x"))
	press(t, ctx, "", "set-env", `tr[data-env="OBSOLETE"]`)
	press(t, ctx, `tr[data-env="OBSOLETE"]`, "delete-env", "#env-vars")
	if vars, _ := e.a.ListEnvVars(apitest.As(owner.ID), project.ID); len(vars) != 2 {
		t.Fatalf("env vars after the delete: %v", vars)
	}
	html := get(t, ctx, "read the env page", chromedp.OuterHTML(chromedp.CSS("html")))
	if strings.Contains(html, "hello from the browser") {
		t.Fatal("the env page shows a value")
	}
	screenshot(t, ctx, "env")

	// Deploy: the log arrives while the build waits for the server's
	// health check (FAKE_SERVER_HEALTHY_WHEN), so it is live, not replayed.
	visit(t, ctx, e.ui+"/projects/"+project.ID, `#deployments`)
	screenshot(t, ctx, "project")
	press(t, ctx, `tr[data-deployment="production"]`, "deploy", "#log .ln")
	first := buildOfPage(t, ctx, e)
	waitText(t, ctx, "#log", "starting the server")
	if b, err := e.a.GetBuild(apitest.System(), first); err != nil || b.Status.Terminal() {
		t.Fatalf("the build ended before its log reached the browser: %v %v", b, err)
	}
	waitText(t, ctx, "#log-state", "live")
	pressHere(t, ctx, "", "log-pause", `#log-pause[aria-pressed="true"]`)
	pressHere(t, ctx, "", "log-pause", `#log-pause[aria-pressed="false"]`)
	drive("log-search")
	run(t, ctx, "search the log", chromedp.SendKeys(chromedp.CSS("#log-search"), "server"))
	waitText(t, ctx, "#log-count", "match")
	if err := os.WriteFile(healthy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, "#log-state", "ended: succeeded")
	waitText(t, ctx, "#build-status", "succeeded")
	screenshot(t, ctx, "build")
	downloadLog(t, ctx, first)

	// The deployment runs; its URL goes through the router to the server,
	// which has the env var set in the browser.
	prod := production(t, e, project.ID)
	visit(t, ctx, e.ui+"/deployments/"+prod.ID, "#deployment-status")
	waitText(t, ctx, "#deployment-status", "running")
	screenshot(t, ctx, "deployment")
	url := get(t, ctx, "read the URL", chromedp.AttributeValue(chromedp.CSS("#public-url"), "href")).Value
	if !strings.HasPrefix(url, "http://") || !strings.Contains(url, ".localhost:") {
		t.Fatalf("public URL %q", url)
	}
	visitRaw(t, ctx, url+"/echo")
	waitText(t, ctx, "body", `"GREETING":"hello from the browser"`)

	// Redeploy, then roll back to the first build.
	visit(t, ctx, e.ui+"/deployments/"+prod.ID, "#summary")
	press(t, ctx, "#summary .actions", "deploy", "#log .ln")
	second := buildOfPage(t, ctx, e)
	waitText(t, ctx, "#log-state", "ended: succeeded")
	visit(t, ctx, e.ui+"/deployments/"+prod.ID, `tr[data-build="`+first+`"]`)
	waitText(t, ctx, "#current-build", second)
	press(t, ctx, `tr[data-build="`+first+`"]`, "rollback", "#log-state")
	third := buildOfPage(t, ctx, e)
	waitText(t, ctx, "#log-state", "ended: succeeded")
	if b, err := e.a.GetBuild(apitest.System(), third); err != nil || b.Trigger != admin.TriggerRollback || b.SourceBuildID != first {
		t.Fatalf("the rollback build: %+v %v", b, err)
	}

	// The picture in the README: the project page with production running.
	visit(t, ctx, e.ui+"/projects/"+project.ID, `#deployments tr[data-deployment="production"] .s-running`)
	png := get(t, ctx, "README picture", chromedp.CaptureScreenshot())
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "readme-project.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}

	// A staging deployment whose build hangs (an override): cancelled from
	// the build queue; then the override and the deployment are deleted.
	visit(t, ctx, e.ui+"/projects/"+project.ID, "#deployment-branch")
	run(t, ctx, "a staging deployment", chromedp.SendKeys(chromedp.CSS("#deployment-branch"), "main"))
	press(t, ctx, "", "create-deployment", "#override-name")
	run(t, ctx, "an override", chromedp.SendKeys(chromedp.CSS("#override-name"), runnertest.FakeBuildHang),
		chromedp.SendKeys(chromedp.CSS("#override-value"), "1"))
	press(t, ctx, "", "set-override", `tr[data-env="`+runnertest.FakeBuildHang+`"]`)
	press(t, ctx, "#summary .actions", "deploy", "#log .ln")
	hanging := buildOfPage(t, ctx, e)
	waitText(t, ctx, "#log", "pid=")
	visit(t, ctx, e.ui+"/teams/"+team.ID+"/queue", `tr[data-build="`+hanging+`"]`)
	screenshot(t, ctx, "queue")
	press(t, ctx, `tr[data-build="`+hanging+`"]`, "cancel-build", `#build-status`)
	visit(t, ctx, e.ui+"/builds/"+hanging, "#build-status")
	waitText(t, ctx, "#build-status", "cancelled")
	staging := buildDeployment(t, e, hanging)
	visit(t, ctx, e.ui+"/deployments/"+staging, `tr[data-env="`+runnertest.FakeBuildHang+`"]`)
	press(t, ctx, `tr[data-env="`+runnertest.FakeBuildHang+`"]`, "delete-override", "#overrides")
	waitText(t, ctx, "#overrides", "No override")
	// Without the override staging builds; its build is promoted to
	// production, which deploys it without building.
	press(t, ctx, "#summary .actions", "deploy", "#log .ln")
	tested := buildOfPage(t, ctx, e)
	waitText(t, ctx, "#log-state", "ended: succeeded")
	visit(t, ctx, e.ui+"/deployments/"+staging, `tr[data-build="`+tested+`"]`)
	press(t, ctx, `tr[data-build="`+tested+`"]`, "promote", "#log-state")
	promoted := buildOfPage(t, ctx, e)
	waitText(t, ctx, "#log-state", "ended: succeeded")
	if b, err := e.a.GetBuild(apitest.System(), promoted); err != nil || b.Trigger != admin.TriggerPromote ||
		b.SourceBuildID != tested || b.DeploymentID != prod.ID {
		t.Fatalf("the promotion: %+v %v", b, err)
	}
	visit(t, ctx, e.ui+"/deployments/"+staging, "#summary")
	press(t, ctx, "#summary .actions", "stop", "#deployment-status")
	waitText(t, ctx, "#deployment-status", "stopped")
	press(t, ctx, "#summary", "delete-deployment", "#deployments")
	if _, err := e.a.GetDeployment(apitest.System(), staging); err == nil {
		t.Fatal("the staging deployment is still there")
	}

	// A build cancelled from its own page: queued behind nothing, it is
	// cancelled before or while it runs (both are a cancel).
	visit(t, ctx, e.ui+"/projects/"+project.ID, "#deployment-branch")
	run(t, ctx, "a preview deployment", setValue(("#deployment-type"), "preview"),
		chromedp.SendKeys(chromedp.CSS("#deployment-branch"), "feature/x"))
	press(t, ctx, "", "create-deployment", "#override-name")
	run(t, ctx, "an override", chromedp.SendKeys(chromedp.CSS("#override-name"), runnertest.FakeBuildHang),
		chromedp.SendKeys(chromedp.CSS("#override-value"), "1"))
	press(t, ctx, "", "set-override", `tr[data-env="`+runnertest.FakeBuildHang+`"]`)
	press(t, ctx, "#summary .actions", "deploy", "#log-state")
	preview := buildOfPage(t, ctx, e)
	press(t, ctx, "#build-status", "cancel-build", "#build-status")
	waitText(t, ctx, "#build-status", "cancelled")
	if b, _ := e.a.GetBuild(apitest.System(), preview); b == nil || b.Status != admin.BuildCancelled {
		t.Fatalf("the preview build was not cancelled: %+v", b)
	}

	// Members: add by id, change the role, remove.
	viewer, _ := e.user(t, "viewer@example.com")
	temp, _ := e.user(t, "temp@example.com")
	visit(t, ctx, e.ui+"/teams/"+team.ID+"/members", "#member-user")
	for _, id := range []string{viewer.ID, temp.ID} {
		run(t, ctx, "add "+id, setValue(("#member-user"), id),
			setValue(("#member-role"), "viewer"))
		press(t, ctx, "", "add-member", `tr[data-user="`+id+`"]`)
	}
	run(t, ctx, "a bad user", setValue(("#member-user"), "nobody@example.com"))
	press(t, ctx, "", "add-member", ".field-error") // an ordinary owner cannot look up e-mails
	run(t, ctx, "pick developer", setValue((`tr[data-user="`+temp.ID+`"] select`), "developer"))
	press(t, ctx, `tr[data-user="`+temp.ID+`"]`, "set-role", "#members")
	if m := role(t, e, team.ID, temp.ID); m != admin.RoleDeveloper {
		t.Fatalf("role after change: %s", m)
	}
	screenshot(t, ctx, "members")
	press(t, ctx, `tr[data-user="`+temp.ID+`"]`, "remove-member", "#members")
	if m := role(t, e, team.ID, temp.ID); m != "" {
		t.Fatalf("the removed member still has role %s", m)
	}

	// API tokens: the value shown once, and it works; then revoked.
	visit(t, ctx, e.ui+"/tokens", "#token-name")
	run(t, ctx, "name a token", chromedp.SendKeys(chromedp.CSS("#token-name"), "ci pipeline"))
	press(t, ctx, "", "create-token", "#new-token-value")
	secret := strings.TrimSpace(text(t, ctx, "#new-token-value"))
	if _, err := e.a.AuthenticateToken(context.Background(), secret); err != nil {
		t.Fatalf("the token shown does not authenticate: %v", err)
	}
	screenshot(t, ctx, "tokens")
	press(t, ctx, `tr[data-token="ci pipeline"]`, "revoke-token", `tr[data-token="ci pipeline"] .s-cancelled`)
	if _, err := e.a.AuthenticateToken(context.Background(), secret); err == nil {
		t.Fatal("the revoked token still authenticates")
	}

	// The audit log: pages, and a filter by action.
	visit(t, ctx, e.ui+"/teams/"+team.ID+"/audit?limit=2", "#audit-older")
	press(t, ctx, "", "audit-older", "#audit")
	if n := get(t, ctx, "rows", chromedp.Evaluate[int](`document.querySelectorAll('#audit tbody tr[data-action]').length`)); n != 2 {
		t.Fatalf("the older page has %d events: its link lost limit=2", n)
	}
	run(t, ctx, "filter", chromedp.SendKeys(chromedp.CSS("#audit-action"), "deployment.deploy"))
	press(t, ctx, "", "audit-filter", "#audit")
	actions := get(t, ctx, "read the actions", chromedp.Evaluate[[]string](`[...document.querySelectorAll('#audit tbody tr[data-action]')].map(r => r.dataset.action)`))
	if len(actions) == 0 {
		t.Fatal("the filtered audit log is empty")
	}
	for _, a := range actions {
		if a != "deployment.deploy" {
			t.Fatalf("the filter let %q through", a)
		}
	}
	screenshot(t, ctx, "audit")

	// A second project, deleted.
	visit(t, ctx, e.ui+"/teams/"+team.ID+"/projects/new", `input[name="source"]`)
	run(t, ctx, "a throwaway project", chromedp.Click(chromedp.CSS(`input[name="source"]`)),
		chromedp.SendKeys(chromedp.CSS("#project-name"), "Throwaway"))
	press(t, ctx, "", "create-project", "#deployments")
	press(t, ctx, "", "delete-project", "#projects")
	if ps, _ := e.a.ListProjects(apitest.As(owner.ID), team.ID, admin.Page{}); len(ps.Items) != 1 {
		t.Fatalf("projects after the delete: %d", len(ps.Items))
	}

	// Theme and team switcher.
	screenshot(t, ctx, "team")
	before := get(t, ctx, "the theme", chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	pressHere(t, ctx, "", "theme-toggle", "html[data-theme]")
	after := get(t, ctx, "the theme", chromedp.Evaluate[string](`getComputedStyle(document.body).backgroundColor`))
	if before == after {
		t.Fatalf("the theme toggle did not change the background (%s)", before)
	}
	pressHere(t, ctx, "", "team-switcher", `.switcher a[data-team="`+team.Slug+`"]`)
	run(t, ctx, "switch team", chromedp.Click(chromedp.CSS(`.switcher a[data-team="`+team.Slug+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#projects")))

	// Stop production; sign out.
	visit(t, ctx, e.ui+"/deployments/"+prod.ID, "#summary")
	press(t, ctx, "#summary", "stop", "#summary")
	waitText(t, ctx, "#deployment-status", "stopped")
	press(t, ctx, "", "logout", "#token")
	visit(t, ctx, e.ui+"/teams/"+team.ID, "#token") // signed out: back to the sign-in page
}

// buildOfPage returns the id of the build whose page the tab shows.
func buildOfPage(t *testing.T, ctx context.Context, e *env) string {
	t.Helper()
	loc := get(t, ctx, "location", chromedp.Location())
	id, ok := strings.CutPrefix(loc, e.ui+"/builds/")
	if !ok || id == "" || strings.Contains(id, "/") {
		t.Fatalf("not a build page: %s", loc)
	}
	return id
}

// visitRaw opens a page that is not the dashboard's.
func visitRaw(t *testing.T, ctx context.Context, url string) {
	t.Helper()
	run(t, ctx, "open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// deployProduction deploys a project's production deployment as the
// principal in ctx and stops it when the test ends.
func deployProduction(t *testing.T, e *env, ctx context.Context, projectID string) (*admin.Deployment, *admin.Build) {
	t.Helper()
	prod := production(t, e, projectID)
	b, err := e.a.Deploy(ctx, prod.ID)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.a.StopDeployment(ctx, prod.ID) })
	return prod, b
}

// production returns a project's production deployment.
func production(t *testing.T, e *env, projectID string) *admin.Deployment {
	t.Helper()
	ds, err := e.a.ListDeployments(apitest.System(), projectID, admin.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range ds.Items {
		if d.Type == admin.DeploymentProduction {
			return d
		}
	}
	t.Fatal("no production deployment")
	return nil
}

func buildDeployment(t *testing.T, e *env, buildID string) string {
	t.Helper()
	b, err := e.a.GetBuild(apitest.System(), buildID)
	if err != nil {
		t.Fatal(err)
	}
	return b.DeploymentID
}

// role returns userID's role in the team, "" when not a member.
func role(t *testing.T, e *env, teamID, userID string) admin.Role {
	t.Helper()
	ms, err := e.a.ListMembers(apitest.System(), teamID, admin.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms.Items {
		if m.UserID == userID {
			return m.Role
		}
	}
	return ""
}

// downloadLog clicks the build page's download link and checks the file
// the browser saved.
func downloadLog(t *testing.T, ctx context.Context, buildID string) {
	t.Helper()
	dir := t.TempDir()
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events}); err != nil {
		t.Fatalf("allow downloads: %v", err)
	}
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	progress := chromedp.BrowserEvents(dctx, cdpbrowser.DownloadProgress)
	pressHere(t, ctx, "", "log-download", "")
	guid := ""
	for p, err := range progress {
		if err != nil {
			t.Fatalf("the download did not complete: %v", err)
		}
		if p.State == cdpbrowser.DownloadProgressStateCompleted {
			guid = p.GUID
			break
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, guid))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "[start]") {
		t.Fatalf("the downloaded log of %s lacks the start phase:\n%s", buildID, b)
	}
}
