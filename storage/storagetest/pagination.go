package storagetest

import (
	"fmt"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// pageItems is how many items each paginated listing holds.
const pageItems = 7

// lister lists one page of a listing as ids.
type lister func(page admin.Page) ([]string, error)

// listIDs adapts a typed list call to a lister.
func listIDs[T any](list func(admin.Page) ([]T, error), id func(T) string) lister {
	return func(p admin.Page) ([]string, error) {
		items, err := list(p)
		return idsOf(items, id), err
	}
}

// checkPaging walks a listing of the ids all in every way a caller can.
func checkPaging(t *testing.T, what string, all []string, list lister) {
	t.Helper()
	asc, desc := sorted(all), reversed(sorted(all))
	get := func(p admin.Page) []string {
		t.Helper()
		ids, err := list(p)
		noErr(t, err, fmt.Sprintf("%s(%+v)", what, p))
		return ids
	}
	wantIDs(t, what+" with no limit", get(admin.Page{}), asc)
	wantIDs(t, what+" with Limit -1", get(admin.Page{Limit: -1}), asc)
	wantIDs(t, what+" Desc", get(admin.Page{Desc: true}), desc)

	for _, limit := range []int{1, 2, 3, len(all), len(all) + 1} {
		for _, dir := range []bool{false, true} {
			var walked []string
			after := ""
			for range len(all) + 2 {
				page := get(admin.Page{Limit: limit, After: after, Desc: dir})
				if len(page) > limit {
					t.Errorf("%s(Limit %d): got %d items", what, limit, len(page))
				}
				walked = append(walked, page...)
				if len(page) < limit || len(page) == 0 {
					break
				}
				after = page[len(page)-1]
			}
			want := asc
			if dir {
				want = desc
			}
			wantIDs(t, fmt.Sprintf("%s walked by pages of %d (Desc %v)", what, limit, dir), walked, want)
		}
	}

	// The cursor is compared, not looked up: a cursor matching no row (one
	// deleted, say) still pages on from its place.
	between := asc[1] + "0"
	wantIDs(t, what+" after a cursor matching no row", get(admin.Page{After: between}), asc[2:])
	wantIDs(t, what+" Desc after a cursor matching no row", get(admin.Page{After: between, Desc: true}), reversed(asc[:2]))
	wantIDs(t, what+" after the last id", get(admin.Page{After: asc[len(asc)-1]}), nil)
	wantIDs(t, what+" Desc after the first id", get(admin.Page{After: asc[0], Desc: true}), nil)
	wantIDs(t, what+" Limit 2 after the third id", get(admin.Page{After: asc[2], Limit: 2}), asc[3:5])
}

var paginationTests = []test{
	{"ListUsers", func(t *testing.T, f *fixture) {
		var ids []string
		for range pageItems {
			ids = append(ids, f.addUser().ID)
		}
		checkPaging(t, "ListUsers", ids, listIDs(func(p admin.Page) ([]*admin.User, error) {
			return f.s.ListUsers(f.ctx, p)
		}, userID))
	}},
	{"ListTeams", func(t *testing.T, f *fixture) {
		u := f.addUser()
		var all, mine []string
		for i := range pageItems * 2 {
			tm := f.addTeam()
			all = append(all, tm.ID)
			if i%2 == 0 {
				f.addMember(tm.ID, u.ID, admin.RoleDeveloper)
				mine = append(mine, tm.ID)
			}
		}
		checkPaging(t, "ListTeams(all)", all, listIDs(func(p admin.Page) ([]*admin.Team, error) {
			return f.s.ListTeams(f.ctx, "", p)
		}, teamID))
		checkPaging(t, "ListTeams(user)", mine, listIDs(func(p admin.Page) ([]*admin.Team, error) {
			return f.s.ListTeams(f.ctx, u.ID, p)
		}, teamID))
	}},
	{"ListMembers", func(t *testing.T, f *fixture) {
		tm, other := f.addTeam(), f.addTeam()
		var ids []string
		for range pageItems {
			u := f.addUser()
			f.addMember(tm.ID, u.ID, admin.RoleViewer)
			f.addMember(other.ID, u.ID, admin.RoleViewer)
			ids = append(ids, u.ID)
		}
		f.addMember(other.ID, f.addUser().ID, admin.RoleOwner)
		checkPaging(t, "ListMembers", ids, listIDs(func(p admin.Page) ([]*admin.TeamMember, error) {
			return f.s.ListMembers(f.ctx, tm.ID, p)
		}, memberUserID))
	}},
	{"ListProjects", func(t *testing.T, f *fixture) {
		tm, other := f.addTeam(), f.addTeam()
		var all, mine []string
		for range pageItems {
			p := f.addProject(tm.ID)
			q := f.addProject(other.ID)
			mine = append(mine, p.ID)
			all = append(all, p.ID, q.ID)
		}
		checkPaging(t, "ListProjects(all)", all, listIDs(func(p admin.Page) ([]*admin.Project, error) {
			return f.s.ListProjects(f.ctx, admin.ProjectFilter{}, p)
		}, projectID))
		checkPaging(t, "ListProjects(team)", mine, listIDs(func(p admin.Page) ([]*admin.Project, error) {
			return f.s.ListProjects(f.ctx, admin.ProjectFilter{TeamID: tm.ID}, p)
		}, projectID))
	}},
	{"ListDeployments", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		p, q := f.addProject(tm.ID), f.addProject(tm.ID)
		var ids, all []string
		for range pageItems {
			ids = append(ids, f.addDeployment(p.ID).ID)
			all = append(all, ids[len(ids)-1], f.addDeployment(q.ID).ID)
		}
		checkPaging(t, "ListDeployments", ids, listIDs(func(pg admin.Page) ([]*admin.Deployment, error) {
			return f.s.ListDeployments(f.ctx, p.ID, pg)
		}, deploymentID))
		// An empty project id lists every project's.
		checkPaging(t, `ListDeployments("")`, all, listIDs(func(pg admin.Page) ([]*admin.Deployment, error) {
			return f.s.ListDeployments(f.ctx, "", pg)
		}, deploymentID))
	}},
	{"ListBuilds", func(t *testing.T, f *fixture) {
		_, p, d := f.addChain()
		e := f.addDeployment(p.ID)
		var ofD, queued []string
		for range pageItems {
			ofD = append(ofD, f.addBuild(d, admin.BuildSucceeded).ID)
			queued = append(queued, f.addBuild(e, admin.BuildQueued).ID)
		}
		checkPaging(t, "ListBuilds(deployment)", ofD, listIDs(func(pg admin.Page) ([]*admin.Build, error) {
			return f.s.ListBuilds(f.ctx, admin.BuildFilter{DeploymentID: d.ID}, pg)
		}, buildID))
		checkPaging(t, "ListBuilds(queued)", queued, listIDs(func(pg admin.Page) ([]*admin.Build, error) {
			return f.s.ListBuilds(f.ctx, admin.BuildFilter{Statuses: []admin.BuildStatus{admin.BuildQueued}}, pg)
		}, buildID))
	}},
	{"ListServers", func(t *testing.T, f *fixture) {
		_, p, d := f.addChain()
		b := f.addBuild(d, admin.BuildSucceeded)
		e := f.addBuild(f.addDeployment(p.ID), admin.BuildSucceeded)
		var ids []string
		for range pageItems {
			ids = append(ids, f.addServer(b, admin.ServerStopped).ID)
			f.addServer(e, admin.ServerStopped)
		}
		checkPaging(t, "ListServers(deployment)", ids, listIDs(func(pg admin.Page) ([]*admin.RunningServer, error) {
			return f.s.ListServers(f.ctx, admin.ServerFilter{DeploymentID: d.ID}, pg)
		}, serverID))
	}},
	{"ListTokens", func(t *testing.T, f *fixture) {
		u, other := f.addUser(), f.addUser()
		var ids, all []string
		for range pageItems {
			ids = append(ids, f.addToken(u.ID).ID)
			all = append(all, ids[len(ids)-1], f.addToken(other.ID).ID)
		}
		checkPaging(t, "ListTokens", ids, listIDs(func(pg admin.Page) ([]*admin.APIToken, error) {
			return f.s.ListTokens(f.ctx, u.ID, pg)
		}, tokenID))
		// An empty user id lists every user's.
		checkPaging(t, `ListTokens("")`, all, listIDs(func(pg admin.Page) ([]*admin.APIToken, error) {
			return f.s.ListTokens(f.ctx, "", pg)
		}, tokenID))
	}},
	{"ListAudit", func(t *testing.T, f *fixture) {
		var all, mine []string
		for i := range pageItems * 2 {
			e := f.newAudit()
			if i%2 == 0 {
				e.ActorID = "usr_me"
				mine = append(mine, e.ID)
			}
			noErr(t, f.s.AppendAudit(f.ctx, e), "AppendAudit")
			all = append(all, e.ID)
		}
		checkPaging(t, "ListAudit(all)", all, listIDs(func(pg admin.Page) ([]*admin.AuditEvent, error) {
			return f.s.ListAudit(f.ctx, admin.AuditFilter{}, pg)
		}, auditID))
		checkPaging(t, "ListAudit(actor)", mine, listIDs(func(pg admin.Page) ([]*admin.AuditEvent, error) {
			return f.s.ListAudit(f.ctx, admin.AuditFilter{ActorID: "usr_me"}, pg)
		}, auditID))
	}},
}
