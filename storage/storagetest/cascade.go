package storagetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// gone fails the test unless get reports ErrNotFound.
func gone[T any](t testing.TB, what string, get func() (T, error)) {
	t.Helper()
	_, err := get()
	wantErr(t, err, admin.ErrNotFound, what)
}

// kept fails the test unless get succeeds.
func kept[T any](t testing.TB, what string, get func() (T, error)) {
	t.Helper()
	if _, err := get(); err != nil {
		t.Errorf("%s: %v (it must still exist)", what, err)
	}
}

// tree is a project with two deployments, each with builds and servers.
type tree struct {
	project     *admin.Project
	deployments []*admin.Deployment
	builds      []*admin.Build
	servers     []*admin.RunningServer
}

func (f *fixture) addTree(teamID string) tree {
	f.t.Helper()
	tr := tree{project: f.addProject(teamID)}
	for range 2 {
		d := f.addDeployment(tr.project.ID)
		tr.deployments = append(tr.deployments, d)
		old := f.addBuild(d, admin.BuildSucceeded)
		cur := f.addBuild(d, admin.BuildDeploying)
		tr.builds = append(tr.builds, old, cur, f.addBuild(d, admin.BuildQueued))
		tr.servers = append(tr.servers, f.addServer(old, admin.ServerStopped), f.addServer(cur, admin.ServerRunning))
	}
	return tr
}

// checkTree checks whether every part of tr from deployment index from on is
// gone (or all kept).
func (f *fixture) checkTree(t *testing.T, tr tree, wantGone bool, what string) {
	t.Helper()
	check := kept[any]
	if wantGone {
		check = gone[any]
	}
	for _, d := range tr.deployments {
		check(t, what+": GetDeployment "+d.ID, func() (any, error) { return f.s.GetDeployment(f.ctx, d.ID) })
	}
	for _, b := range tr.builds {
		check(t, what+": GetBuild "+b.ID, func() (any, error) { return f.s.GetBuild(f.ctx, b.ID) })
	}
	for _, s := range tr.servers {
		check(t, what+": GetServer "+s.ID, func() (any, error) { return f.s.GetServer(f.ctx, s.ID) })
	}
}

var cascadeTests = []test{
	{"DeleteTeamWithProjectsRefused", func(t *testing.T, f *fixture) {
		tm, owner := f.addTeamWithOwner()
		tr := f.addTree(tm.ID)
		wantErr(t, f.s.DeleteTeam(f.ctx, tm.ID), admin.ErrConflict, "DeleteTeam of a team with a project")
		kept(t, "GetTeam after the refused DeleteTeam", func() (any, error) { return f.s.GetTeam(f.ctx, tm.ID) })
		kept(t, "GetMember after the refused DeleteTeam", func() (any, error) { return f.s.GetMember(f.ctx, tm.ID, owner.ID) })
		kept(t, "GetProject after the refused DeleteTeam", func() (any, error) { return f.s.GetProject(f.ctx, tr.project.ID) })
		f.checkTree(t, tr, false, "after the refused DeleteTeam")

		noErr(t, f.s.DeleteProject(f.ctx, tr.project.ID), "DeleteProject")
		noErr(t, f.s.DeleteTeam(f.ctx, tm.ID), "DeleteTeam once its project is gone")
	}},
	{"DeleteTeamRemovesMemberships", func(t *testing.T, f *fixture) {
		tm, owner := f.addTeamWithOwner()
		other, otherOwner := f.addTeamWithOwner()
		dev := f.addUser()
		f.addMember(tm.ID, dev.ID, admin.RoleDeveloper)
		f.addMember(other.ID, dev.ID, admin.RoleDeveloper)
		noErr(t, f.s.DeleteTeam(f.ctx, tm.ID), "DeleteTeam")
		gone(t, "GetTeam after DeleteTeam", func() (any, error) { return f.s.GetTeam(f.ctx, tm.ID) })
		gone(t, "GetMember (owner) after DeleteTeam", func() (any, error) { return f.s.GetMember(f.ctx, tm.ID, owner.ID) })
		gone(t, "GetMember (developer) after DeleteTeam", func() (any, error) { return f.s.GetMember(f.ctx, tm.ID, dev.ID) })
		members, err := f.s.ListMembers(f.ctx, tm.ID, admin.Page{})
		noErr(t, err, "ListMembers of the deleted team")
		if len(members) != 0 {
			t.Errorf("ListMembers of the deleted team returned %d members", len(members))
		}
		teams, err := f.s.ListTeams(f.ctx, dev.ID, admin.Page{})
		noErr(t, err, "ListTeams(user)")
		wantIDs(t, "ListTeams(user) after DeleteTeam", idsOf(teams, teamID), []string{other.ID})
		kept(t, "GetUser (owner) after DeleteTeam", func() (any, error) { return f.s.GetUser(f.ctx, owner.ID) })
		kept(t, "GetMember in another team after DeleteTeam", func() (any, error) { return f.s.GetMember(f.ctx, other.ID, otherOwner.ID) })
		// The former owner is no team's owner any more: deleting them works.
		noErr(t, f.s.DeleteUser(f.ctx, owner.ID), "DeleteUser of the deleted team's owner")
	}},
	{"DeleteProjectRemovesItsTree", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		tr, other := f.addTree(tm.ID), f.addTree(tm.ID)
		noErr(t, f.s.DeleteProject(f.ctx, tr.project.ID), "DeleteProject")
		gone(t, "GetProject after DeleteProject", func() (any, error) { return f.s.GetProject(f.ctx, tr.project.ID) })
		gone(t, "GetProjectBySlug after DeleteProject", func() (any, error) { return f.s.GetProjectBySlug(f.ctx, tr.project.Slug) })
		f.checkTree(t, tr, true, "after DeleteProject")
		f.checkTree(t, other, false, "another project after DeleteProject")
		builds, err := f.s.ListBuilds(f.ctx, admin.BuildFilter{ProjectID: tr.project.ID}, admin.Page{})
		noErr(t, err, "ListBuilds(project)")
		wantIDs(t, "ListBuilds(deleted project)", idsOf(builds, buildID), nil)
		kept(t, "GetTeam after DeleteProject", func() (any, error) { return f.s.GetTeam(f.ctx, tm.ID) })
		// Its slug is free again.
		p := f.newProject(tm.ID)
		p.Slug = tr.project.Slug
		noErr(t, f.s.CreateProject(f.ctx, p), "CreateProject with the deleted project's slug")
	}},
	{"DeleteDeploymentRemovesBuildsAndServers", func(t *testing.T, f *fixture) {
		tr := f.addTree(f.addTeam().ID)
		doomed := tree{project: tr.project, deployments: tr.deployments[:1], builds: tr.builds[:3], servers: tr.servers[:2]}
		rest := tree{project: tr.project, deployments: tr.deployments[1:], builds: tr.builds[3:], servers: tr.servers[2:]}
		noErr(t, f.s.DeleteDeployment(f.ctx, doomed.deployments[0].ID), "DeleteDeployment")
		f.checkTree(t, doomed, true, "after DeleteDeployment")
		f.checkTree(t, rest, false, "another deployment after DeleteDeployment")
		servers, err := f.s.ListServers(f.ctx, admin.ServerFilter{DeploymentID: doomed.deployments[0].ID}, admin.Page{})
		noErr(t, err, "ListServers(deployment)")
		wantIDs(t, "ListServers(deleted deployment)", idsOf(servers, serverID), nil)
		kept(t, "GetProject after DeleteDeployment", func() (any, error) { return f.s.GetProject(f.ctx, tr.project.ID) })
	}},
	{"DeleteUserRemovesMembershipsAndTokens", func(t *testing.T, f *fixture) {
		a, _ := f.addTeamWithOwner()
		b, bOwner := f.addTeamWithOwner()
		u, other := f.addUser(), f.addUser()
		f.addMember(a.ID, u.ID, admin.RoleDeveloper)
		f.addMember(b.ID, u.ID, admin.RoleOwner) // b keeps bOwner
		f.addMember(b.ID, other.ID, admin.RoleViewer)
		tok1, tok2, otherTok := f.addToken(u.ID), f.addToken(u.ID), f.addToken(other.ID)

		noErr(t, f.s.DeleteUser(f.ctx, u.ID), "DeleteUser")
		gone(t, "GetUserByEmail after DeleteUser", func() (any, error) { return f.s.GetUserByEmail(f.ctx, u.Email) })
		for _, tm := range []*admin.Team{a, b} {
			gone(t, "GetMember after DeleteUser", func() (any, error) { return f.s.GetMember(f.ctx, tm.ID, u.ID) })
		}
		for _, tok := range []*admin.APIToken{tok1, tok2} {
			gone(t, "GetToken after DeleteUser", func() (any, error) { return f.s.GetToken(f.ctx, tok.ID) })
			gone(t, "GetTokenByHash after DeleteUser", func() (any, error) { return f.s.GetTokenByHash(f.ctx, tok.Hash) })
		}
		toks, err := f.s.ListTokens(f.ctx, u.ID, admin.Page{})
		noErr(t, err, "ListTokens(deleted user)")
		wantIDs(t, "ListTokens(deleted user)", idsOf(toks, tokenID), nil)
		kept(t, "GetToken of another user after DeleteUser", func() (any, error) { return f.s.GetToken(f.ctx, otherTok.ID) })
		kept(t, "GetMember of another user after DeleteUser", func() (any, error) { return f.s.GetMember(f.ctx, b.ID, other.ID) })
		kept(t, "GetMember of the remaining owner", func() (any, error) { return f.s.GetMember(f.ctx, b.ID, bOwner.ID) })
		kept(t, "GetTeam after DeleteUser", func() (any, error) { return f.s.GetTeam(f.ctx, a.ID) })
		// Their email is free again.
		v := f.newUser()
		v.Email = u.Email
		noErr(t, f.s.CreateUser(f.ctx, v), "CreateUser with the deleted user's email")
	}},
}

// owners counts the owners of a team.
func (f *fixture) owners(t testing.TB, teamID string) int {
	t.Helper()
	members, err := f.s.ListMembers(f.ctx, teamID, admin.Page{})
	noErr(t, err, "ListMembers")
	n := 0
	for _, m := range members {
		if m.Role == admin.RoleOwner {
			n++
		}
	}
	return n
}

// both runs a and b at the same moment and returns their errors.
func both(a, b func() error) (errA, errB error) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	wg.Add(2)
	go func() { defer wg.Done(); <-start; errA = a() }()
	go func() { defer wg.Done(); <-start; errB = b() }()
	close(start)
	wg.Wait()
	return errA, errB
}

// raceRounds is how many times a race between two changes is run.
const raceRounds = 8

var ownerTests = []test{
	{"DemoteLastOwnerRefused", func(t *testing.T, f *fixture) {
		tm, owner := f.addTeamWithOwner()
		f.addMember(tm.ID, f.addUser().ID, admin.RoleAdmin)
		m, err := f.s.GetMember(f.ctx, tm.ID, owner.ID)
		noErr(t, err, "GetMember")
		want := clone(m)
		m.Role = admin.RoleAdmin
		wantErr(t, f.s.UpdateMember(f.ctx, m), admin.ErrConflict, "UpdateMember demoting the last owner")
		got, err := f.s.GetMember(f.ctx, tm.ID, owner.ID)
		noErr(t, err, "GetMember")
		mustEqual(t, "GetMember after the refused demotion", got, want)
		// Keeping the role (a no-op for ownership) is fine.
		noErr(t, f.s.UpdateMember(f.ctx, got), "UpdateMember of the last owner keeping the owner role")
	}},
	{"DemoteOneOfTwoOwners", func(t *testing.T, f *fixture) {
		tm, first := f.addTeamWithOwner()
		second := f.addUser()
		m2 := f.addMember(tm.ID, second.ID, admin.RoleOwner)
		m1, err := f.s.GetMember(f.ctx, tm.ID, first.ID)
		noErr(t, err, "GetMember")
		m1.Role = admin.RoleViewer
		noErr(t, f.s.UpdateMember(f.ctx, m1), "UpdateMember demoting one of two owners")
		m2.Role = admin.RoleDeveloper
		wantErr(t, f.s.UpdateMember(f.ctx, m2), admin.ErrConflict, "UpdateMember demoting the remaining owner")
		if n := f.owners(t, tm.ID); n != 1 {
			t.Errorf("the team has %d owners, want 1", n)
		}
	}},
	{"RemoveLastOwnerRefused", func(t *testing.T, f *fixture) {
		tm, owner := f.addTeamWithOwner()
		second := f.addUser()
		f.addMember(tm.ID, second.ID, admin.RoleOwner)
		noErr(t, f.s.RemoveMember(f.ctx, tm.ID, second.ID), "RemoveMember of one of two owners")
		wantErr(t, f.s.RemoveMember(f.ctx, tm.ID, owner.ID), admin.ErrConflict, "RemoveMember of the last owner")
		kept(t, "GetMember of the last owner after the refused removal", func() (any, error) { return f.s.GetMember(f.ctx, tm.ID, owner.ID) })
	}},
	{"DeleteUserWhoIsLastOwnerRefused", func(t *testing.T, f *fixture) {
		shared, _ := f.addTeamWithOwner()
		mine, u := f.addTeamWithOwner()
		f.addMember(shared.ID, u.ID, admin.RoleOwner)
		tok := f.addToken(u.ID)
		wantErr(t, f.s.DeleteUser(f.ctx, u.ID), admin.ErrConflict, "DeleteUser of a team's last owner")
		kept(t, "GetUser after the refused DeleteUser", func() (any, error) { return f.s.GetUser(f.ctx, u.ID) })
		kept(t, "GetMember (sole owner) after the refused DeleteUser", func() (any, error) { return f.s.GetMember(f.ctx, mine.ID, u.ID) })
		kept(t, "GetMember (co-owner) after the refused DeleteUser", func() (any, error) { return f.s.GetMember(f.ctx, shared.ID, u.ID) })
		kept(t, "GetToken after the refused DeleteUser", func() (any, error) { return f.s.GetToken(f.ctx, tok.ID) })
	}},
	{"ConcurrentDemotionsKeepAnOwner", func(t *testing.T, f *fixture) {
		raceOwners(t, f, "demote", "demote")
	}},
	{"ConcurrentRemovalsKeepAnOwner", func(t *testing.T, f *fixture) {
		raceOwners(t, f, "remove", "remove")
	}},
	{"ConcurrentDemotionAndRemovalKeepAnOwner", func(t *testing.T, f *fixture) {
		raceOwners(t, f, "demote", "remove")
	}},
	{"ConcurrentDeleteUserAndDemotionKeepAnOwner", func(t *testing.T, f *fixture) {
		raceOwners(t, f, "delete user", "demote")
	}},
}

// raceOwners races two changes that each take away one of a team's two
// owners: at most one may succeed, the other must fail with ErrConflict.
func raceOwners(t *testing.T, f *fixture, opA, opB string) {
	do := func(op string, m *admin.TeamMember) func() error {
		switch op {
		case "demote":
			return func() error {
				c := clone(m)
				c.Role = admin.RoleAdmin
				return f.s.UpdateMember(f.ctx, c)
			}
		case "remove":
			return func() error { return f.s.RemoveMember(f.ctx, m.TeamID, m.UserID) }
		default:
			return func() error { return f.s.DeleteUser(f.ctx, m.UserID) }
		}
	}
	for round := range raceRounds {
		tm := f.addTeam()
		a, b := f.addUser(), f.addUser()
		ma := f.addMember(tm.ID, a.ID, admin.RoleOwner)
		mb := f.addMember(tm.ID, b.ID, admin.RoleOwner)
		f.addMember(tm.ID, f.addUser().ID, admin.RoleViewer)
		errA, errB := both(do(opA, ma), do(opB, mb))
		what := fmt.Sprintf("round %d: %s owner a, %s owner b", round, opA, opB)
		for _, err := range []error{errA, errB} {
			if err != nil && !errors.Is(err, admin.ErrConflict) {
				t.Errorf("%s: got error %v, want nil or ErrConflict", what, err)
			}
		}
		if errA == nil && errB == nil {
			t.Errorf("%s: both succeeded, leaving the team without an owner", what)
		}
		if n := f.owners(t, tm.ID); n < 1 {
			t.Errorf("%s: the team has no owner left", what)
		}
		if t.Failed() {
			return
		}
	}
}
