package admin_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func TestNewRequiresStorage(t *testing.T) {
	_, err := admin.New()
	var ve *admin.ValidationError
	if !errors.As(err, &ve) || ve.Field != "storage" {
		t.Fatalf("New() = %v, want a ValidationError naming storage", err)
	}
}

func TestBootstrapOnlyOnce(t *testing.T) {
	e := newEnv(t)
	if !e.root.PlatformAdmin {
		t.Fatal("bootstrapped user is not a platform admin")
	}
	_, err := e.a.Bootstrap(context.Background(), admin.NewUser{Email: "x@example.com", Name: "X"})
	if !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("second Bootstrap = %v, want ErrConflict", err)
	}
}

func TestUnauthenticatedCallsAreRefused(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "A"}); !errors.Is(err, admin.ErrUnauthenticated) {
		t.Fatalf("CreateTeam without principal = %v", err)
	}
	if _, err := e.a.ListTeams(ctx, admin.Page{}); !errors.Is(err, admin.ErrUnauthenticated) {
		t.Fatalf("ListTeams without principal = %v", err)
	}
	gone := as("usr_doesnotexist")
	if _, err := e.a.ListTeams(gone, admin.Page{}); !errors.Is(err, admin.ErrUnauthenticated) {
		t.Fatalf("ListTeams as a deleted user = %v", err)
	}
}

func TestSlugsAreDerivedAndUnique(t *testing.T) {
	e := newEnv(t, admin.WithLicense(signedLicense(t, admin.Limits{}, time.Time{})))
	ctx := as(e.root.ID)
	var slugs []string
	for range 3 {
		team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "Search Ranking!"}))
		slugs = append(slugs, team.Slug)
	}
	if got, want := strings.Join(slugs, " "), "search-ranking search-ranking-2 search-ranking-3"; got != want {
		t.Fatalf("slugs = %q, want %q", got, want)
	}
	_, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "Other", Slug: "search-ranking"})
	if !errors.Is(err, admin.ErrAlreadyExists) {
		t.Fatalf("explicit taken slug = %v, want ErrAlreadyExists", err)
	}
}

func TestSlugify(t *testing.T) {
	for in, want := range map[string]string{
		"Job Matching Agent":    "job-matching-agent",
		"  --Héllo__Wörld--":    "hello-world",
		"ÄÖÜ 123":               "aou-123",
		"日本語":                   "fallback",
		"":                      "fallback",
		strings.Repeat("a", 80): strings.Repeat("a", 30),
	} {
		if got := admin.Slugify(in, "fallback"); got != want {
			t.Errorf("Slugify(%q) = %q, want %q", in, got, want)
		}
		if err := admin.ValidateSlug("slug", admin.Slugify(in, "fallback")); err != nil {
			t.Errorf("Slugify(%q) is not a valid slug: %v", in, err)
		}
	}
}

func TestValidateSlug(t *testing.T) {
	good := []string{"a", "abc", "a-b", "pr-456", "x1", strings.Repeat("a", 63)}
	bad := []string{"", "-a", "a-", "A", "a_b", "a.b", "a--b", "ä", strings.Repeat("a", 64), "a b", "../x"}
	for _, s := range good {
		if err := admin.ValidateSlug("slug", s); err != nil {
			t.Errorf("ValidateSlug(%q) = %v, want nil", s, err)
		}
	}
	for _, s := range bad {
		err := admin.ValidateSlug("slug", s)
		var ve *admin.ValidationError
		if !errors.As(err, &ve) || ve.Field != "slug" || !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("ValidateSlug(%q) = %v, want a ValidationError on slug", s, err)
		}
	}
}

// TestBadInputChangesNothing feeds invalid input to every creating entry
// point and checks the error names the field and nothing was stored.
func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "Team"}))
	proj := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
	long := strings.Repeat("x", admin.MaxNameLength+1)
	cases := []struct {
		name, field string
		call        func() error
	}{
		{"empty team name", "name", func() error { _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "  "}); return err }},
		{"long team name", "name", func() error { _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: long}); return err }},
		{"control chars", "name", func() error { _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "a\x00b"}); return err }},
		{"bad team slug", "slug", func() error { _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "T", Slug: "Not_DNS"}); return err }},
		{"slug with --", "slug", func() error { _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "T", Slug: "a--b"}); return err }},
		{"bad email", "email", func() error {
			_, err := e.a.CreateUser(ctx, admin.NewUser{Email: "not-an-email", Name: "N"})
			return err
		}},
		{"email with name", "email", func() error {
			_, err := e.a.CreateUser(ctx, admin.NewUser{Email: "Bob <bob@example.com>", Name: "N"})
			return err
		}},
		{"unknown role", "role", func() error { _, err := e.a.AddMember(ctx, team.ID, e.root.ID, "superuser"); return err }},
		{"unknown source type", "sourceType", func() error {
			_, err := e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P2", SourceType: "ftp"})
			return err
		}},
		{"bad branch", "branch", func() error {
			_, err := e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P2", SourceType: admin.SourceLocal, DefaultBranch: "a..b"})
			return err
		}},
		{"bad env name", "name", func() error {
			_, err := e.a.SetEnvVars(ctx, proj.ID, map[string]string{"1BAD": "v"})
			return err
		}},
		{"env name with dash", "name", func() error {
			_, err := e.a.SetEnvVars(ctx, proj.ID, map[string]string{"A-B": "v"})
			return err
		}},
		{"oversized env value", "value", func() error {
			_, err := e.a.SetEnvVars(ctx, proj.ID, map[string]string{"BIG": strings.Repeat("v", admin.MaxEnvVarValueLength+1)})
			return err
		}},
		{"unknown deployment type", "type", func() error {
			_, err := e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: "canary", Branch: "main"})
			return err
		}},
		{"second production", "type", func() error {
			_, err := e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentProduction, Branch: "main"})
			return err
		}},
		{"reserved slug", "slug", func() error {
			_, err := e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main", Slug: "production"})
			return err
		}},
		{"page limit", "limit", func() error { _, err := e.a.ListTeams(ctx, admin.Page{Limit: 10_000}); return err }},
	}
	before := snapshot(t, e)
	for _, c := range cases {
		err := c.call()
		var ve *admin.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%s: err = %v, want a ValidationError on %q", c.name, err, c.field)
		}
	}
	if after := snapshot(t, e); after != before {
		t.Errorf("bad input changed the store:\nbefore %s\nafter  %s", before, after)
	}
}

// snapshot summarises what is stored (not the audit log, which records the
// refused attempts).
func snapshot(t *testing.T, e *env) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	users := must[[]*admin.User](t)(e.store.ListUsers(ctx, admin.Page{}))
	teams := must[[]*admin.Team](t)(e.store.ListTeams(ctx, "", admin.Page{}))
	projects := must[[]*admin.Project](t)(e.store.ListProjects(ctx, admin.ProjectFilter{}, admin.Page{}))
	for _, u := range users {
		b.WriteString(u.ID + "/" + u.Email + " ")
	}
	for _, tm := range teams {
		b.WriteString(tm.ID + "/" + tm.Slug + " ")
		for _, m := range must[[]*admin.TeamMember](t)(e.store.ListMembers(ctx, tm.ID, admin.Page{})) {
			b.WriteString(m.UserID + ":" + string(m.Role) + " ")
		}
	}
	for _, p := range projects {
		b.WriteString(p.ID + "/" + p.Slug + "/" + p.Name + " ")
		for _, v := range p.EnvVars {
			b.WriteString(v.Name + " ")
		}
		for _, d := range must[[]*admin.Deployment](t)(e.store.ListDeployments(ctx, p.ID, admin.Page{})) {
			b.WriteString(d.Slug + ":" + string(d.Status) + ":" + d.Branch + " ")
			for _, v := range d.EnvVarOverrides {
				b.WriteString(v.Name + " ")
			}
			for _, bl := range must[[]*admin.Build](t)(e.store.ListBuilds(ctx, admin.BuildFilter{DeploymentID: d.ID}, admin.Page{})) {
				b.WriteString(bl.ID + ":" + string(bl.Status) + " ")
			}
		}
	}
	return b.String()
}

func TestLastOwnerStays(t *testing.T) {
	e := newEnv(t)
	owner := e.user(t, "owner@example.com")
	adm := e.user(t, "admin@example.com")
	team := must[*admin.Team](t)(e.a.CreateTeam(as(owner.ID), admin.NewTeam{Name: "T"}))
	must[*admin.TeamMember](t)(e.a.AddMember(as(owner.ID), team.ID, adm.ID, admin.RoleAdmin))

	if _, err := e.a.SetMemberRole(as(owner.ID), team.ID, owner.ID, admin.RoleAdmin); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("demoting the last owner = %v, want ErrConflict", err)
	}
	if err := e.a.RemoveMember(as(owner.ID), team.ID, owner.ID); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("the last owner leaving = %v, want ErrConflict", err)
	}
	if err := e.a.RemoveMember(as(adm.ID), team.ID, owner.ID); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("an admin removing an owner = %v, want ErrForbidden", err)
	}
	if _, err := e.a.SetMemberRole(as(adm.ID), team.ID, adm.ID, admin.RoleOwner); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("an admin making itself owner = %v, want ErrForbidden", err)
	}
	if err := e.a.DeleteUser(e.sys, owner.ID); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("deleting the last owner = %v, want ErrConflict", err)
	}
	// With a second owner, the first may step down.
	must[*admin.TeamMember](t)(e.a.SetMemberRole(as(owner.ID), team.ID, adm.ID, admin.RoleOwner))
	if _, err := e.a.SetMemberRole(as(owner.ID), team.ID, owner.ID, admin.RoleViewer); err != nil {
		t.Fatalf("stepping down with another owner: %v", err)
	}
	m := must[*admin.TeamMember](t)(e.store.GetMember(context.Background(), team.ID, owner.ID))
	if m.Role != admin.RoleViewer {
		t.Fatalf("role = %s, want viewer", m.Role)
	}
}

func TestMembersMayLeave(t *testing.T) {
	e := newEnv(t)
	owner := e.user(t, "owner@example.com")
	viewer := e.user(t, "viewer@example.com")
	team := must[*admin.Team](t)(e.a.CreateTeam(as(owner.ID), admin.NewTeam{Name: "T"}))
	must[*admin.TeamMember](t)(e.a.AddMember(as(owner.ID), team.ID, viewer.ID, admin.RoleViewer))
	if err := e.a.RemoveMember(as(viewer.ID), team.ID, viewer.ID); err != nil {
		t.Fatalf("a viewer leaving: %v", err)
	}
	if _, err := e.a.GetTeam(as(viewer.ID), team.ID); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("after leaving, GetTeam = %v, want ErrForbidden", err)
	}
}

func TestDeleteRules(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
	if err := e.a.DeleteTeam(ctx, team.ID); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("DeleteTeam with a project = %v, want ErrConflict", err)
	}
	deps := must[admin.List[*admin.Deployment]](t)(e.a.ListDeployments(ctx, proj.ID, admin.Page{}))
	if len(deps.Items) != 1 || deps.Items[0].Slug != "production" || deps.Items[0].Type != admin.DeploymentProduction {
		t.Fatalf("a new project's deployments = %+v, want one production", deps.Items)
	}
	prod := deps.Items[0]
	if err := e.a.DeleteDeployment(ctx, prod.ID); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("deleting production alone = %v, want ErrConflict", err)
	}
	// A queued build blocks deletion.
	now := e.clock.now()
	b := &admin.Build{ID: admin.NewID("bld", now), DeploymentID: prod.ID, ProjectID: proj.ID,
		Trigger: admin.TriggerManual, Status: admin.BuildQueued, QueuedAt: now, UpdatedAt: now, Version: 1}
	if err := e.store.CreateBuild(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := e.a.DeleteProject(ctx, proj.ID); !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("DeleteProject with a queued build = %v, want ErrConflict", err)
	}
	b.Status, b.Version = admin.BuildCancelled, 1
	if err := e.store.UpdateBuild(context.Background(), b); err != nil {
		t.Fatal(err)
	}
	if err := e.a.DeleteProject(ctx, proj.ID); err != nil {
		t.Fatalf("DeleteProject: %v", err)
	}
	if _, err := e.store.GetDeployment(context.Background(), prod.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("production deployment after project deletion: %v, want ErrNotFound", err)
	}
	if err := e.a.DeleteTeam(ctx, team.ID); err != nil {
		t.Fatalf("DeleteTeam once empty: %v", err)
	}
}

func TestPreviewSlugFromBranch(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Job Matching Agent", SourceType: admin.SourceLocal}))
	if proj.Slug != "job-matching-agent" {
		t.Fatalf("project slug %q", proj.Slug)
	}
	for branch, want := range map[string]string{"pr-456": "pr-456", "feature/Login": "feature-login"} {
		d := must[*admin.Deployment](t)(e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: branch}))
		if d.Slug != want || d.Status != admin.DeploymentPending {
			t.Errorf("preview of %s: slug %q status %s, want %q pending", branch, d.Slug, d.Status, want)
		}
	}
	st := must[*admin.Deployment](t)(e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "develop"}))
	st2 := must[*admin.Deployment](t)(e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "develop"}))
	if st.Slug != "staging" || st2.Slug != "staging-2" {
		t.Errorf("staging slugs %q %q", st.Slug, st2.Slug)
	}
}

func TestClosedAdmin(t *testing.T) {
	e := newEnv(t)
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := e.a.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := e.a.ListTeams(as(e.root.ID), admin.Page{}); !errors.Is(err, admin.ErrClosed) {
		t.Fatalf("after Close: %v, want ErrClosed", err)
	}
}

func TestPagination(t *testing.T) {
	e := newEnv(t, admin.WithLicense(signedLicense(t, admin.Limits{}, time.Time{})))
	ctx := as(e.root.ID)
	want := map[string]bool{}
	for range 7 {
		team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
		want[team.ID] = true
		e.clock.add(time.Millisecond)
	}
	seen := map[string]bool{}
	page := admin.Page{Limit: 3}
	for pages := 0; ; pages++ {
		l := must[admin.List[*admin.Team]](t)(e.a.ListTeams(ctx, page))
		for _, tm := range l.Items {
			if seen[tm.ID] {
				t.Fatalf("team %s listed twice", tm.ID)
			}
			seen[tm.ID] = true
		}
		if l.Next == "" {
			if pages != 2 {
				t.Fatalf("got %d pages, want 3", pages+1)
			}
			break
		}
		page.After = l.Next
	}
	if len(seen) != len(want) {
		t.Fatalf("listed %d teams, want %d", len(seen), len(want))
	}
}

func TestIDsSortByTime(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := admin.NewID("x", t0), admin.NewID("x", t0.Add(time.Millisecond))
	if !(a < b) || len(a) != 2+26 || a == admin.NewID("x", t0) {
		t.Fatalf("ids %q %q", a, b)
	}
	// Within one millisecond, ids sort in the order they were made.
	prev := admin.NewID("x", t0)
	for range 1000 {
		next := admin.NewID("x", t0)
		if next <= prev {
			t.Fatalf("id %q made after %q sorts before it", next, prev)
		}
		prev = next
	}
	if !bytes.ContainsAny([]byte(a[2:]), "0123456789") || strings.ToLower(a) != a {
		t.Fatalf("id %q is not lower-case base32", a)
	}
}

func TestCheckBuildID(t *testing.T) {
	for _, id := range []string{admin.NewID("bld", time.Now()), "a", "A.b-c_d", strings.Repeat("x", admin.MaxIDLength)} {
		if err := admin.CheckBuildID(id); err != nil {
			t.Errorf("CheckBuildID(%q) = %v", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "../x", "a:b", "a b", "é", "a\x00", strings.Repeat("x", admin.MaxIDLength+1)} {
		if err := admin.CheckBuildID(id); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("CheckBuildID(%q) = %v, want ErrInvalidArgument", id, err)
		}
	}
}
