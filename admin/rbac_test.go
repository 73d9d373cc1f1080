package admin_test

import (
	"context"
	"errors"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// TestPermissionMatrix walks every team operation × every kind of principal
// and checks the outcome against the permission table: allowed calls
// succeed, the others fail with ErrForbidden (ErrUnauthenticated for
// anonymous callers) and change nothing.
func TestPermissionMatrix(t *testing.T) {
	type fixture struct {
		e       *env
		team    *admin.Team
		project *admin.Project
		prod    *admin.Deployment
		member  *admin.User // a user to add to the team
	}
	ops := []struct {
		name    string
		perm    admin.Permission
		prepare func(f fixture) error
		call    func(ctx context.Context, f fixture) error
	}{
		{"GetTeam", admin.PermTeamRead, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.GetTeam(ctx, f.team.ID)
			return err
		}},
		{"ListMembers", admin.PermTeamRead, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.ListMembers(ctx, f.team.ID, admin.Page{})
			return err
		}},
		{"UpdateTeam", admin.PermTeamUpdate, nil, func(ctx context.Context, f fixture) error {
			name := "Renamed"
			_, err := f.e.a.UpdateTeam(ctx, f.team.ID, admin.TeamUpdate{Name: &name})
			return err
		}},
		{"DeleteTeam", admin.PermTeamDelete, func(f fixture) error {
			return f.e.store.DeleteProject(context.Background(), f.project.ID) // teams with projects are not deleted
		}, func(ctx context.Context, f fixture) error {
			return f.e.a.DeleteTeam(ctx, f.team.ID)
		}},
		{"AddMember", admin.PermMembersManage, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.AddMember(ctx, f.team.ID, f.member.ID, admin.RoleViewer)
			return err
		}},
		{"GetProject", admin.PermProjectRead, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.GetProject(ctx, f.project.ID)
			return err
		}},
		{"ListProjects", admin.PermProjectRead, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.ListProjects(ctx, f.team.ID, admin.Page{})
			return err
		}},
		{"ListEnvVars", admin.PermProjectRead, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.ListEnvVars(ctx, f.project.ID)
			return err
		}},
		{"CreateProject", admin.PermProjectCreate, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.CreateProject(ctx, f.team.ID, admin.NewProject{Name: "New", SourceType: admin.SourceLocal})
			return err
		}},
		{"UpdateProject", admin.PermProjectUpdate, nil, func(ctx context.Context, f fixture) error {
			name := "Renamed"
			_, err := f.e.a.UpdateProject(ctx, f.project.ID, admin.ProjectUpdate{Name: &name})
			return err
		}},
		{"DeleteProject", admin.PermProjectDelete, nil, func(ctx context.Context, f fixture) error {
			return f.e.a.DeleteProject(ctx, f.project.ID)
		}},
		{"SetEnvVars", admin.PermEnvWrite, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.SetEnvVars(ctx, f.project.ID, map[string]string{"K": "v"})
			return err
		}},
		{"CreateDeployment", admin.PermDeploymentManage, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.CreateDeployment(ctx, f.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"})
			return err
		}},
		{"SetDeploymentEnvVars", admin.PermEnvWrite, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.SetDeploymentEnvVars(ctx, f.prod.ID, map[string]string{"K": "v"})
			return err
		}},
		{"ListAudit", admin.PermAuditRead, nil, func(ctx context.Context, f fixture) error {
			_, err := f.e.a.ListAudit(ctx, admin.AuditFilter{TeamID: f.team.ID}, admin.Page{})
			return err
		}},
	}
	principals := []string{"owner", "admin", "developer", "viewer", "outsider", "anonymous", "platform-admin", "token-other-team"}
	for _, op := range ops {
		for _, who := range principals {
			t.Run(op.name+"/"+who, func(t *testing.T) {
				e := newEnv(t)
				owner := e.user(t, "owner@example.com")
				ctxOwner := as(owner.ID)
				team := must[*admin.Team](t)(e.a.CreateTeam(ctxOwner, admin.NewTeam{Name: "T"}))
				other := must[*admin.Team](t)(e.a.CreateTeam(ctxOwner, admin.NewTeam{Name: "Other"}))
				proj := must[*admin.Project](t)(e.a.CreateProject(ctxOwner, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
				deps := must[[]*admin.Deployment](t)(e.store.ListDeployments(context.Background(), proj.ID, admin.Page{}))
				f := fixture{e: e, team: team, project: proj, prod: deps[0], member: e.user(t, "new@example.com")}

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
					if err := op.prepare(f); err != nil {
						t.Fatal(err)
					}
				}
				before := snapshot(t, e)
				err := op.call(ctx, f)
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
