package admin_test

import (
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// auditFixture is a platform with one of everything a mutating call can
// name. Its Admin is not started, so deploys only queue.
type auditFixture struct {
	*deployEnv
	root     *admin.User
	team     *admin.Team // owned by root, holds the project
	spare    *admin.Team // a team without projects
	member   *admin.User // a developer of team
	extra    *admin.User // a user in no team
	outsider *admin.User // a user in no team, who is refused
	staging  *admin.Deployment
	token    *admin.APIToken // root's
}

func newAuditFixture(t *testing.T) *auditFixture {
	t.Helper()
	e := newQueueEnv(t)
	f := &auditFixture{deployEnv: e}
	f.root = must[*admin.User](t)(e.a.Me(e.ctx))
	f.team = must[*admin.Team](t)(e.a.GetTeam(e.ctx, e.project.TeamID))
	f.spare = must[*admin.Team](t)(e.a.CreateTeam(e.ctx, admin.NewTeam{Name: "Spare"}))
	newUser := func(email string) *admin.User {
		return must[*admin.User](t)(e.a.CreateUser(e.ctx, admin.NewUser{Email: email, Name: email}))
	}
	f.member, f.extra, f.outsider = newUser("member@example.com"), newUser("extra@example.com"), newUser("outsider@example.com")
	must[*admin.TeamMember](t)(e.a.AddMember(e.ctx, f.team.ID, f.member.ID, admin.RoleDeveloper))
	f.staging = must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.project.ID, map[string]string{"K": "v"}))
	must[[]admin.EnvVarInfo](t)(e.a.SetDeploymentEnvVars(e.ctx, f.staging.ID, map[string]string{"K": "v"}))
	f.token, _ = must2[*admin.APIToken, string](t)(e.a.CreateToken(e.ctx, admin.NewToken{Name: "root"}))
	return f
}

// events returns the audit events stored since the ids in seen, and adds
// them to seen.
func (f *auditFixture) events(t *testing.T, seen map[string]bool) []*admin.AuditEvent {
	t.Helper()
	var fresh []*admin.AuditEvent
	for _, ev := range must[[]*admin.AuditEvent](t)(f.store.ListAudit(context.Background(), admin.AuditFilter{}, admin.Page{})) {
		if !seen[ev.ID] {
			seen[ev.ID] = true
			fresh = append(fresh, ev)
		}
	}
	return fresh
}

// TestEveryMutationIsAudited calls every mutating Admin method twice: first
// as a principal that is refused, then as the platform admin. Each call must
// append exactly one audit event naming the action, the actor, the target
// and the outcome: denied, then success.
func TestEveryMutationIsAudited(t *testing.T) {
	fixtureTeam := func(f *auditFixture, _ string) string { return f.team.ID }
	itself := func(_ *auditFixture, target string) string { return target } // events about a team name it
	cases := []struct {
		name, action, targetType string
		// creates: the target is made by the call, so a refused call names
		// none.
		creates bool
		// anonymous: the refused caller has no principal (any user may make
		// this call); otherwise it is the outsider.
		anonymous bool
		// team returns the team the successful call's event names (nil:
		// none).
		team func(f *auditFixture, target string) string
		// prepare makes what the call needs, before the audit is read; it
		// may return a value for call.
		prepare func(t *testing.T, f *auditFixture) string
		// call makes the call and returns the id of its target.
		call func(ctx context.Context, f *auditFixture, prepared string) (string, error)
	}{
		{name: "CreateTeam", action: "team.create", targetType: "team", creates: true, anonymous: true, team: itself,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				tm, err := f.a.CreateTeam(ctx, admin.NewTeam{Name: "New"})
				return idOf(tm, err, func(tm *admin.Team) string { return tm.ID })
			}},
		{name: "CreateTeamFor", action: "team.create", targetType: "team", creates: true, team: itself,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				tm, err := f.a.CreateTeamFor(ctx, f.extra.ID, admin.NewTeam{Name: "New"})
				return idOf(tm, err, func(tm *admin.Team) string { return tm.ID })
			}},
		{name: "UpdateTeam", action: "team.update", targetType: "team", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				name := "Renamed"
				_, err := f.a.UpdateTeam(ctx, f.team.ID, admin.TeamUpdate{Name: &name})
				return f.team.ID, err
			}},
		{name: "DeleteTeam", action: "team.delete", targetType: "team", team: itself,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.spare.ID, f.a.DeleteTeam(ctx, f.spare.ID)
			}},
		{name: "AddMember", action: "member.add", targetType: "user", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				_, err := f.a.AddMember(ctx, f.team.ID, f.extra.ID, admin.RoleViewer)
				return f.extra.ID, err
			}},
		{name: "SetMemberRole", action: "member.role", targetType: "user", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				_, err := f.a.SetMemberRole(ctx, f.team.ID, f.member.ID, admin.RoleViewer)
				return f.member.ID, err
			}},
		{name: "RemoveMember", action: "member.remove", targetType: "user", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.member.ID, f.a.RemoveMember(ctx, f.team.ID, f.member.ID)
			}},
		{name: "CreateUser", action: "user.create", targetType: "user", creates: true,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				u, err := f.a.CreateUser(ctx, admin.NewUser{Email: "new@example.com", Name: "New"})
				return idOf(u, err, func(u *admin.User) string { return u.ID })
			}},
		{name: "UpdateUser", action: "user.update", targetType: "user",
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				name := "Renamed"
				_, err := f.a.UpdateUser(ctx, f.member.ID, admin.UserUpdate{Name: &name})
				return f.member.ID, err
			}},
		{name: "DeleteUser", action: "user.delete", targetType: "user",
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.extra.ID, f.a.DeleteUser(ctx, f.extra.ID)
			}},
		{name: "CreateToken", action: "token.create", targetType: "token", creates: true, anonymous: true,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				tok, _, err := f.a.CreateToken(ctx, admin.NewToken{Name: "ci"})
				return idOf(tok, err, func(tok *admin.APIToken) string { return tok.ID })
			}},
		{name: "RevokeToken", action: "token.revoke", targetType: "token",
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.token.ID, f.a.RevokeToken(ctx, f.token.ID)
			}},
		{name: "CreateProject", action: "project.create", targetType: "project", creates: true, team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				p, err := f.a.CreateProject(ctx, f.team.ID, admin.NewProject{Name: "Q", SourceType: admin.SourceLocal,
					SourceConfig: f.project.SourceConfig})
				return idOf(p, err, func(p *admin.Project) string { return p.ID })
			}},
		{name: "UpdateProject", action: "project.update", targetType: "project", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				name := "Renamed"
				_, err := f.a.UpdateProject(ctx, f.project.ID, admin.ProjectUpdate{Name: &name})
				return f.project.ID, err
			}},
		{name: "DeleteProject", action: "project.delete", targetType: "project", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.project.ID, f.a.DeleteProject(ctx, f.project.ID)
			}},
		{name: "SetEnvVars", action: "env.set", targetType: "project", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				_, err := f.a.SetEnvVars(ctx, f.project.ID, map[string]string{"K2": "v"})
				return f.project.ID, err
			}},
		{name: "DeleteEnvVar", action: "env.delete", targetType: "project", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.project.ID, f.a.DeleteEnvVar(ctx, f.project.ID, "K")
			}},
		{name: "SetPreviewEnvVars", action: "env.set", targetType: "project", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				_, err := f.a.SetPreviewEnvVars(ctx, f.project.ID, map[string]string{"K": "preview"})
				return f.project.ID, err
			}},
		{name: "DeletePreviewEnvVar", action: "env.delete", targetType: "project", team: fixtureTeam,
			prepare: func(t *testing.T, f *auditFixture) string {
				must[[]admin.EnvVarInfo](t)(f.a.SetPreviewEnvVars(f.ctx, f.project.ID, map[string]string{"K": "preview"}))
				return ""
			},
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.project.ID, f.a.DeletePreviewEnvVar(ctx, f.project.ID, "K")
			}},
		{name: "CreateDeployment", action: "deployment.create", targetType: "deployment", creates: true, team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				d, err := f.a.CreateDeployment(ctx, f.project.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "pr-7"})
				return idOf(d, err, func(d *admin.Deployment) string { return d.ID })
			}},
		{name: "UpdateDeployment", action: "deployment.update", targetType: "deployment", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				branch := "release"
				_, err := f.a.UpdateDeployment(ctx, f.staging.ID, admin.DeploymentUpdate{Branch: &branch})
				return f.staging.ID, err
			}},
		{name: "DeleteDeployment", action: "deployment.delete", targetType: "deployment", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.staging.ID, f.a.DeleteDeployment(ctx, f.staging.ID)
			}},
		{name: "SetDeploymentEnvVars", action: "env.set", targetType: "deployment", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				_, err := f.a.SetDeploymentEnvVars(ctx, f.staging.ID, map[string]string{"K2": "v"})
				return f.staging.ID, err
			}},
		{name: "DeleteDeploymentEnvVar", action: "env.delete", targetType: "deployment", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.staging.ID, f.a.DeleteDeploymentEnvVar(ctx, f.staging.ID, "K")
			}},
		{name: "Deploy", action: "deployment.deploy", targetType: "deployment", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				_, err := f.a.Deploy(ctx, f.prod.ID)
				return f.prod.ID, err
			}},
		{name: "Rollback", action: "deployment.rollback", targetType: "deployment", team: fixtureTeam,
			prepare: func(t *testing.T, f *auditFixture) string {
				return storeSucceededBuild(t, f.store, filepath.Join(f.dir, "builds"), f.prod).ID
			},
			call: func(ctx context.Context, f *auditFixture, buildID string) (string, error) {
				_, err := f.a.Rollback(ctx, f.prod.ID, buildID)
				return f.prod.ID, err
			}},
		{name: "Promote", action: "deployment.promote", targetType: "deployment", team: fixtureTeam,
			prepare: func(t *testing.T, f *auditFixture) string {
				return storeSucceededBuild(t, f.store, filepath.Join(f.dir, "builds"), f.staging).ID
			},
			call: func(ctx context.Context, f *auditFixture, buildID string) (string, error) {
				_, err := f.a.Promote(ctx, f.prod.ID, buildID)
				return f.prod.ID, err
			}},
		{name: "CancelBuild", action: "build.cancel", targetType: "build", team: fixtureTeam,
			prepare: func(t *testing.T, f *auditFixture) string {
				return must[*admin.Build](t)(f.a.Deploy(f.ctx, f.staging.ID)).ID
			},
			call: func(ctx context.Context, f *auditFixture, buildID string) (string, error) {
				return buildID, f.a.CancelBuild(ctx, buildID)
			}},
		{name: "StopDeployment", action: "deployment.stop", targetType: "deployment", team: fixtureTeam,
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				return f.prod.ID, f.a.StopDeployment(ctx, f.prod.ID)
			}},
		{name: "ResealEnvVars", action: "env.reseal", targetType: "platform",
			call: func(ctx context.Context, f *auditFixture, _ string) (string, error) {
				_, err := f.a.ResealEnvVars(ctx)
				return "", err
			}},
	}
	// Every method of Admin is a read, a case above, or one of these, so
	// that a new mutating method cannot go unchecked.
	others := map[string]bool{
		"Bootstrap": true, // TestBootstrapIsAudited
		// Reads and the life cycle.
		"AuthenticateToken": true, "Close": true, "DiscoverProjects": true, "FollowBuildLogs": true,
		"IngestHealth": true, "License": true, "Me": true, "Start": true,
		"FollowLogs": true, "Metrics": true, "SearchLogs": true,
		// Audited where their own tests are: ApprovePreview as
		// preview.approve (TestWebhookForkPullRequestWaitsForApproval); ReceiveWebhook
		// acts as the system, and each deploy or teardown it makes is
		// audited as such.
		"ApprovePreview": true, "ReceiveWebhook": true,
	}
	tested := map[string]bool{}
	for _, c := range cases {
		tested[c.name] = true
	}
	adminType := reflect.TypeFor[*admin.Admin]()
	for i := range adminType.NumMethod() {
		name := adminType.Method(i).Name
		other := strings.HasPrefix(name, "Get") || strings.HasPrefix(name, "List") || others[name]
		if other == tested[name] {
			t.Errorf("Admin.%s: in the audit table = %v, a read or listed apart = %v; it must be one of the two", name, tested[name], other)
		}
	}

	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newAuditFixture(t)
			var prepared string
			if c.prepare != nil {
				prepared = c.prepare(t, f)
			}
			seen := map[string]bool{}
			f.events(t, seen)

			refused, refusedActor := as(f.outsider.ID), f.outsider.ID
			if c.anonymous {
				refused, refusedActor = context.Background(), "anonymous"
			}
			target, err := c.call(refused, f, prepared)
			if err == nil {
				t.Fatalf("%s as %s succeeded, want it refused", c.name, refusedActor)
			}
			if c.creates {
				target = ""
			}
			checkEvent(t, f.events(t, seen), c.action, refusedActor, c.targetType, target, admin.OutcomeDenied, anyTeam)

			target, err = c.call(f.ctx, f, prepared)
			if err != nil {
				t.Fatalf("%s as the platform admin: %v", c.name, err)
			}
			team := ""
			if c.team != nil {
				team = c.team(f, target)
			}
			checkEvent(t, f.events(t, seen), c.action, f.root.ID, c.targetType, target, admin.OutcomeSuccess, team)
		})
	}
}

// TestBootstrapIsAudited checks the event of the first user's creation, and
// that of a refused second bootstrap.
func TestBootstrapIsAudited(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	var first []*admin.AuditEvent
	for _, ev := range must[[]*admin.AuditEvent](t)(e.store.ListAudit(context.Background(), admin.AuditFilter{}, admin.Page{})) {
		seen[ev.ID] = true
		first = append(first, ev)
	}
	checkEvent(t, first, "user.bootstrap", "system", "user", e.root.ID, admin.OutcomeSuccess, "")
	if _, err := e.a.Bootstrap(context.Background(), admin.NewUser{Email: "again@example.com", Name: "Again"}); err == nil {
		t.Fatal("a second bootstrap succeeded")
	}
	var again []*admin.AuditEvent
	for _, ev := range must[[]*admin.AuditEvent](t)(e.store.ListAudit(context.Background(), admin.AuditFilter{}, admin.Page{})) {
		if !seen[ev.ID] {
			again = append(again, ev)
		}
	}
	checkEvent(t, again, "user.bootstrap", "system", "user", "", admin.OutcomeFailure, "")
}

// anyTeam tells checkEvent not to check the event's team: refused calls
// name it only when they name the team itself.
const anyTeam = "*"

// checkEvent checks that events is exactly one event with these fields.
func checkEvent(t *testing.T, events []*admin.AuditEvent, action, actor, targetType, target string, outcome admin.AuditOutcome, team string) {
	t.Helper()
	if len(events) != 1 {
		t.Fatalf("%s (%s): %d audit events, want 1: %+v", action, outcome, len(events), events)
	}
	ev := events[0]
	if ev.Action != action || ev.ActorID != actor || ev.TargetType != targetType || ev.TargetID != target ||
		ev.Outcome != outcome || team != anyTeam && ev.TeamID != team || ev.Time.IsZero() {
		t.Errorf("audit event %+v,\nwant action %s, actor %s, target %s %q, outcome %s, team %q",
			*ev, action, actor, targetType, target, outcome, team)
	}
	if outcome != admin.OutcomeSuccess && ev.Metadata["reason"] == "" {
		t.Errorf("%s %s event without a reason", action, outcome)
	}
}

// idOf returns the id of what a create call returned, or its error.
func idOf[T any](v *T, err error, id func(*T) string) (string, error) {
	if err != nil {
		return "", err
	}
	return id(v), nil
}
