package admin_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	obsqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
)

// TestPermissionMatrix walks every team operation × every kind of principal
// and checks the outcome against the permission table: allowed calls
// succeed, the others fail with ErrForbidden (ErrUnauthenticated for
// anonymous callers) and change nothing.
func TestPermissionMatrix(t *testing.T) {
	type fixture struct {
		e         *env
		team      *admin.Team
		project   *admin.Project
		source    map[string]string // the project's source config
		prod      *admin.Deployment
		staging   *admin.Deployment // with an env var override K
		member    *admin.User       // a user to add to the team
		colleague *admin.User       // a viewer of the team
		buildDir  string
		build     string // set by prepare
		obs       *obsqlite.Store
	}
	// observed stores a span and a log line of the project.
	observedAt := time.Date(2026, 11, 25, 11, 0, 0, 0, time.UTC)
	observed := func(t *testing.T, f *fixture) {
		ctx := context.Background()
		err := f.obs.InsertSpans(ctx, []admin.Span{{TraceID: "t1", SpanID: "s1", Name: "run", Type: "workflow_run", IsRoot: true,
			ProjectID: f.project.ID, DeploymentID: f.prod.ID, BuildID: "b1", StartTime: observedAt, EndTime: observedAt.Add(time.Second)}})
		if err == nil {
			err = f.obs.InsertLogs(ctx, []admin.LogRecord{{ID: "l1", Time: observedAt, Level: "info", Message: "hello",
				ProjectID: f.project.ID, DeploymentID: f.prod.ID, BuildID: "b1"}})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ops := []struct {
		name    string
		perm    admin.Permission
		prepare func(t *testing.T, f *fixture)
		call    func(ctx context.Context, f *fixture) error
	}{
		{"GetTeam", admin.PermTeamRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.GetTeam(ctx, f.team.ID)
			return err
		}},
		{"ListMembers", admin.PermTeamRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.ListMembers(ctx, f.team.ID, admin.Page{})
			return err
		}},
		{"UpdateTeam", admin.PermTeamUpdate, nil, func(ctx context.Context, f *fixture) error {
			name := "Renamed"
			_, err := f.e.a.UpdateTeam(ctx, f.team.ID, admin.TeamUpdate{Name: &name})
			return err
		}},
		{"DeleteTeam", admin.PermTeamDelete, func(t *testing.T, f *fixture) {
			// Teams with projects are not deleted.
			if err := f.e.store.DeleteProject(context.Background(), f.project.ID); err != nil {
				t.Fatal(err)
			}
		}, func(ctx context.Context, f *fixture) error {
			return f.e.a.DeleteTeam(ctx, f.team.ID)
		}},
		{"AddMember", admin.PermMembersManage, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.AddMember(ctx, f.team.ID, f.member.ID, admin.RoleViewer)
			return err
		}},
		{"SetMemberRole", admin.PermMembersManage, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.SetMemberRole(ctx, f.team.ID, f.colleague.ID, admin.RoleDeveloper)
			return err
		}},
		{"RemoveMember", admin.PermMembersManage, nil, func(ctx context.Context, f *fixture) error {
			return f.e.a.RemoveMember(ctx, f.team.ID, f.colleague.ID)
		}},
		{"GetProject", admin.PermProjectRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.GetProject(ctx, f.project.ID)
			return err
		}},
		{"ListProjects", admin.PermProjectRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.ListProjects(ctx, f.team.ID, admin.Page{})
			return err
		}},
		{"ListEnvVars", admin.PermProjectRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.ListEnvVars(ctx, f.project.ID)
			return err
		}},
		{"CreateProject", admin.PermProjectCreate, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.CreateProject(ctx, f.team.ID, admin.NewProject{Name: "New", SourceType: admin.SourceLocal, SourceConfig: f.source})
			return err
		}},
		{"UpdateProject", admin.PermProjectUpdate, nil, func(ctx context.Context, f *fixture) error {
			name := "Renamed"
			_, err := f.e.a.UpdateProject(ctx, f.project.ID, admin.ProjectUpdate{Name: &name})
			return err
		}},
		{"DeleteProject", admin.PermProjectDelete, nil, func(ctx context.Context, f *fixture) error {
			return f.e.a.DeleteProject(ctx, f.project.ID)
		}},
		{"SetEnvVars", admin.PermEnvWrite, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.SetEnvVars(ctx, f.project.ID, map[string]string{"K2": "v"})
			return err
		}},
		{"DeleteEnvVar", admin.PermEnvWrite, nil, func(ctx context.Context, f *fixture) error {
			return f.e.a.DeleteEnvVar(ctx, f.project.ID, "K")
		}},
		{"CreateDeployment", admin.PermDeploymentManage, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.CreateDeployment(ctx, f.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"})
			return err
		}},
		{"UpdateDeployment", admin.PermDeploymentManage, nil, func(ctx context.Context, f *fixture) error {
			branch := "release"
			_, err := f.e.a.UpdateDeployment(ctx, f.staging.ID, admin.DeploymentUpdate{Branch: &branch})
			return err
		}},
		{"DeleteDeployment", admin.PermDeploymentManage, nil, func(ctx context.Context, f *fixture) error {
			return f.e.a.DeleteDeployment(ctx, f.staging.ID)
		}},
		{"SetDeploymentEnvVars", admin.PermEnvWrite, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.SetDeploymentEnvVars(ctx, f.prod.ID, map[string]string{"K": "v"})
			return err
		}},
		{"DeleteDeploymentEnvVar", admin.PermEnvWrite, nil, func(ctx context.Context, f *fixture) error {
			return f.e.a.DeleteDeploymentEnvVar(ctx, f.staging.ID, "K")
		}},
		{"Deploy", admin.PermDeploy, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.Deploy(ctx, f.prod.ID)
			return err
		}},
		{"Rollback", admin.PermDeploy, func(t *testing.T, f *fixture) {
			f.build = storeSucceededBuild(t, f.e.store, f.buildDir, f.prod).ID
		}, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.Rollback(ctx, f.prod.ID, f.build)
			return err
		}},
		{"CancelBuild", admin.PermDeploy, func(t *testing.T, f *fixture) {
			f.build = must[*admin.Build](t)(f.e.a.Deploy(f.e.sys, f.staging.ID)).ID
		}, func(ctx context.Context, f *fixture) error {
			return f.e.a.CancelBuild(ctx, f.build)
		}},
		{"StopDeployment", admin.PermDeploy, nil, func(ctx context.Context, f *fixture) error {
			return f.e.a.StopDeployment(ctx, f.prod.ID)
		}},
		{"ListAudit", admin.PermAuditRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.ListAudit(ctx, admin.AuditFilter{TeamID: f.team.ID}, admin.Page{})
			return err
		}},
		{"ListTraces", admin.PermProjectRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.ListTraces(ctx, admin.TraceQuery{ProjectID: f.project.ID})
			return err
		}},
		{"GetTrace", admin.PermProjectRead, observed, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.GetTrace(ctx, admin.TraceGet{ProjectID: f.project.ID, TraceID: "t1", From: observedAt, To: observedAt.Add(time.Hour)})
			return err
		}},
		{"SearchLogs", admin.PermProjectRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.SearchLogs(ctx, admin.LogQuery{ProjectID: f.project.ID})
			return err
		}},
		{"Metrics", admin.PermProjectRead, nil, func(ctx context.Context, f *fixture) error {
			_, err := f.e.a.Metrics(ctx, admin.MetricsQuery{ProjectID: f.project.ID})
			return err
		}},
		{"FollowLogs", admin.PermProjectRead, observed, func(ctx context.Context, f *fixture) error {
			for l, err := range f.e.a.FollowLogs(ctx, admin.LogQuery{ProjectID: f.project.ID, From: observedAt}) {
				if err == nil && l.ID != "l1" {
					return errors.New("FollowLogs sent " + l.ID + ", want l1")
				}
				return err
			}
			return errors.New("FollowLogs ended without a line")
		}},
	}
	principals := []string{"owner", "admin", "developer", "viewer", "outsider", "anonymous", "platform-admin", "token-other-team"}
	for _, op := range ops {
		for _, who := range principals {
			t.Run(op.name+"/"+who, func(t *testing.T) {
				obs, err := obsqlite.Open(filepath.Join(t.TempDir(), "obs.db"), nil)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { obs.Close() })
				e, source, buildDir := newProvidedEnv(t, admin.WithObservabilityStore(obs))
				owner := e.user(t, "owner@example.com")
				ctxOwner := as(owner.ID)
				team := must[*admin.Team](t)(e.a.CreateTeam(ctxOwner, admin.NewTeam{Name: "T"}))
				other := must[*admin.Team](t)(e.a.CreateTeam(ctxOwner, admin.NewTeam{Name: "Other"}))
				proj := must[*admin.Project](t)(e.a.CreateProject(ctxOwner, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal,
					SourceConfig: source, EnvVars: map[string]string{"K": "v"}}))
				deps := must[[]*admin.Deployment](t)(e.store.ListDeployments(context.Background(), proj.ID, admin.Page{}))
				staging := must[*admin.Deployment](t)(e.a.CreateDeployment(ctxOwner, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
				must[[]admin.EnvVarInfo](t)(e.a.SetDeploymentEnvVars(ctxOwner, staging.ID, map[string]string{"K": "v"}))
				colleague := e.user(t, "colleague@example.com")
				must[*admin.TeamMember](t)(e.a.AddMember(ctxOwner, team.ID, colleague.ID, admin.RoleViewer))
				f := &fixture{e: e, team: team, project: proj, source: source, prod: deps[0], staging: staging,
					member: e.user(t, "new@example.com"), colleague: colleague, buildDir: buildDir, obs: obs}

				var ctx context.Context
				allowed := false
				switch who {
				case "owner":
					ctx, allowed = ctxOwner, admin.RoleAllows(admin.RoleOwner, op.perm)
				case "admin", "developer", "viewer":
					u := e.user(t, who+"@example.com")
					must[*admin.TeamMember](t)(e.a.AddMember(ctxOwner, team.ID, u.ID, admin.Role(who)))
					ctx, allowed = as(u.ID), admin.RoleAllows(admin.Role(who), op.perm)
				case "outsider":
					ctx = as(e.user(t, "outsider@example.com").ID)
				case "anonymous":
					ctx = context.Background()
				case "platform-admin":
					ctx, allowed = as(e.root.ID), true
				case "token-other-team":
					// The owner, through a token limited to another team.
					ctx = admin.WithPrincipal(context.Background(), admin.Principal{UserID: owner.ID, TeamID: other.ID})
				}
				if op.prepare != nil {
					op.prepare(t, f)
				}
				before := snapshot(t, e)
				err = op.call(ctx, f)
				switch {
				case allowed && err != nil:
					t.Fatalf("%s as %s: %v, want success", op.name, who, err)
				case !allowed && who == "anonymous" && !errors.Is(err, admin.ErrUnauthenticated):
					t.Fatalf("%s as %s: %v, want ErrUnauthenticated", op.name, who, err)
				case !allowed && who != "anonymous" && !errors.Is(err, admin.ErrForbidden):
					t.Fatalf("%s as %s: %v, want ErrForbidden", op.name, who, err)
				case !allowed && snapshot(t, e) != before:
					t.Fatalf("%s as %s was refused but changed the store", op.name, who)
				}
			})
		}
	}
}

func TestRoleMatrixShape(t *testing.T) {
	// Each role holds everything the next lower one holds.
	order := []admin.Role{admin.RoleOwner, admin.RoleAdmin, admin.RoleDeveloper, admin.RoleViewer}
	perms := []admin.Permission{admin.PermTeamRead, admin.PermTeamUpdate, admin.PermTeamDelete, admin.PermMembersManage,
		admin.PermProjectRead, admin.PermProjectCreate, admin.PermProjectUpdate, admin.PermProjectDelete, admin.PermEnvWrite,
		admin.PermDeploymentManage, admin.PermDeploy, admin.PermAuditRead}
	for i := 1; i < len(order); i++ {
		for _, p := range perms {
			if admin.RoleAllows(order[i], p) && !admin.RoleAllows(order[i-1], p) {
				t.Errorf("%s may %s but %s may not", order[i], p, order[i-1])
			}
		}
	}
	for _, p := range perms {
		if !admin.RoleAllows(admin.RoleOwner, p) {
			t.Errorf("owner may not %s", p)
		}
	}
	if admin.RoleAllows(admin.RoleViewer, admin.PermEnvWrite) || admin.RoleAllows("nobody", admin.PermTeamRead) {
		t.Error("viewer or an unknown role may write")
	}
}

// TestTeamTokenOfPlatformAdmin checks that a platform admin's token scoped to
// one team acts as an owner of that team and nowhere else: no other team,
// and nothing platform-wide.
func TestTeamTokenOfPlatformAdmin(t *testing.T) {
	e := newEnv(t)
	rootCtx := as(e.root.ID)
	alice := e.user(t, "alice@example.com")
	// A team the platform admin is not a member of, and another one.
	team := must[*admin.Team](t)(e.a.CreateTeam(as(alice.ID), admin.NewTeam{Name: "Payments"}))
	other := must[*admin.Team](t)(e.a.CreateTeam(as(alice.ID), admin.NewTeam{Name: "Search"}))
	aliceTok, _ := must2[*admin.APIToken, string](t)(e.a.CreateToken(as(alice.ID), admin.NewToken{Name: "alice"}))
	_, secret := must2[*admin.APIToken, string](t)(e.a.CreateToken(rootCtx, admin.NewToken{Name: "ci", TeamID: team.ID}))
	p := must[admin.Principal](t)(e.a.AuthenticateToken(context.Background(), secret))
	ctx := admin.WithPrincipal(context.Background(), p)

	// In its team the token has every right.
	must[*admin.Team](t)(e.a.GetTeam(ctx, team.ID))
	name := "Payments EU"
	must[*admin.Team](t)(e.a.UpdateTeam(ctx, team.ID, admin.TeamUpdate{Name: &name}))
	must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
	must[*admin.TeamMember](t)(e.a.AddMember(ctx, team.ID, e.user(t, "bob@example.com").ID, admin.RoleOwner))
	must[admin.List[*admin.AuditEvent]](t)(e.a.ListAudit(ctx, admin.AuditFilter{TeamID: team.ID}, admin.Page{}))
	// Its own user stays readable.
	must[*admin.User](t)(e.a.GetUser(ctx, e.root.ID))

	before := snapshot(t, e)
	yes := true
	for name, call := range map[string]func() error{
		"GetTeam(other)": func() error { _, err := e.a.GetTeam(ctx, other.ID); return err },
		"CreateProject(other)": func() error {
			_, err := e.a.CreateProject(ctx, other.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal})
			return err
		},
		"ListUsers": func() error { _, err := e.a.ListUsers(ctx, admin.Page{}); return err },
		"GetUser":   func() error { _, err := e.a.GetUser(ctx, alice.ID); return err },
		"CreateUser": func() error {
			_, err := e.a.CreateUser(ctx, admin.NewUser{Email: "c@example.com", Name: "C"})
			return err
		},
		"UpdateUser": func() error {
			_, err := e.a.UpdateUser(ctx, alice.ID, admin.UserUpdate{PlatformAdmin: &yes})
			return err
		},
		"DeleteUser":    func() error { return e.a.DeleteUser(ctx, alice.ID) },
		"CreateTeam":    func() error { _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "X"}); return err },
		"CreateTeamFor": func() error { _, err := e.a.CreateTeamFor(ctx, alice.ID, admin.NewTeam{Name: "X"}); return err },
		"RevokeToken":   func() error { return e.a.RevokeToken(ctx, aliceTok.ID) },
		"ListAudit":     func() error { _, err := e.a.ListAudit(ctx, admin.AuditFilter{}, admin.Page{}); return err },
		"ResealEnvVars": func() error { _, err := e.a.ResealEnvVars(ctx); return err },
	} {
		if err := call(); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s through a team token of a platform admin = %v, want ErrForbidden", name, err)
		}
	}
	if snapshot(t, e) != before {
		t.Error("refused calls changed the store")
	}
	if tok := must[*admin.APIToken](t)(e.store.GetToken(context.Background(), aliceTok.ID)); tok.RevokedAt != nil {
		t.Error("another user's token was revoked")
	}
	if l := must[admin.List[*admin.Team]](t)(e.a.ListTeams(ctx, admin.Page{})); len(l.Items) != 1 || l.Items[0].ID != team.ID {
		t.Errorf("ListTeams through the team token = %d teams, want its team only", len(l.Items))
	}
	// The same user without the scope still has every right.
	if _, err := e.a.ListUsers(rootCtx, admin.Page{}); err != nil {
		t.Fatalf("ListUsers as the platform admin: %v", err)
	}
}

// must2 is must for calls with two results.
func must2[A, B any](t *testing.T) func(A, B, error) (A, B) {
	return func(a A, b B, err error) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}
