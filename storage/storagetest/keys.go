package storagetest

import (
	"context"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Unique keys, lookups by key and counts, per kind.

var userTests = []test{
	{"GetByEmail", func(t *testing.T, f *fixture) {
		u := f.addUser()
		f.addUser()
		got, err := f.s.GetUserByEmail(f.ctx, u.Email)
		noErr(t, err, "GetUserByEmail")
		mustEqual(t, "GetUserByEmail", got, u)
		_, err = f.s.GetUserByEmail(f.ctx, "nobody@example.com")
		wantErr(t, err, admin.ErrNotFound, "GetUserByEmail of an unknown address")
	}},
	{"DuplicateEmail", func(t *testing.T, f *fixture) {
		u := f.addUser()
		dup := f.newUser()
		dup.Email = u.Email
		wantErr(t, f.s.CreateUser(f.ctx, dup), admin.ErrAlreadyExists, "CreateUser with a taken email")
		_, err := f.s.GetUser(f.ctx, dup.ID)
		wantErr(t, err, admin.ErrNotFound, "GetUser of the refused duplicate")
	}},
	{"UpdateToTakenEmail", func(t *testing.T, f *fixture) {
		u, v := f.addUser(), f.addUser()
		w := clone(v)
		w.Email = u.Email
		wantErr(t, f.s.UpdateUser(f.ctx, w), admin.ErrAlreadyExists, "UpdateUser to a taken email")
		got, err := f.s.GetUser(f.ctx, v.ID)
		noErr(t, err, "GetUser")
		mustEqual(t, "GetUser after the refused update", got, v)
	}},
	{"UpdateEmailMovesLookup", func(t *testing.T, f *fixture) {
		u := f.addUser()
		old := u.Email
		u.Email = "moved@example.com"
		noErr(t, f.s.UpdateUser(f.ctx, u), "UpdateUser")
		got, err := f.s.GetUserByEmail(f.ctx, "moved@example.com")
		noErr(t, err, "GetUserByEmail of the new address")
		mustEqual(t, "GetUserByEmail", got, u)
		_, err = f.s.GetUserByEmail(f.ctx, old)
		wantErr(t, err, admin.ErrNotFound, "GetUserByEmail of the old address")
		// The old address is free again.
		v := f.newUser()
		v.Email = old
		noErr(t, f.s.CreateUser(f.ctx, v), "CreateUser with the freed address")
	}},
}

var teamTests = []test{
	{"GetBySlug", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		f.addTeam()
		got, err := f.s.GetTeamBySlug(f.ctx, tm.Slug)
		noErr(t, err, "GetTeamBySlug")
		mustEqual(t, "GetTeamBySlug", got, tm)
		_, err = f.s.GetTeamBySlug(f.ctx, "no-such-team")
		wantErr(t, err, admin.ErrNotFound, "GetTeamBySlug of an unknown slug")
	}},
	{"DuplicateSlug", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		dup := f.newTeam()
		dup.Slug = tm.Slug
		wantErr(t, f.s.CreateTeam(f.ctx, dup), admin.ErrAlreadyExists, "CreateTeam with a taken slug")
		_, err := f.s.GetTeam(f.ctx, dup.ID)
		wantErr(t, err, admin.ErrNotFound, "GetTeam of the refused duplicate")
	}},
	{"UpdateToTakenSlug", func(t *testing.T, f *fixture) {
		a, b := f.addTeam(), f.addTeam()
		w := clone(b)
		w.Slug = a.Slug
		wantErr(t, f.s.UpdateTeam(f.ctx, w), admin.ErrAlreadyExists, "UpdateTeam to a taken slug")
		got, err := f.s.GetTeam(f.ctx, b.ID)
		noErr(t, err, "GetTeam")
		mustEqual(t, "GetTeam after the refused update", got, b)
	}},
	{"CountTeams", func(t *testing.T, f *fixture) {
		wantCount(t, f.s.CountTeams, f, 0, "CountTeams of an empty store")
		a := f.addTeam()
		f.addTeam()
		f.addTeamWithOwner()
		wantCount(t, f.s.CountTeams, f, 3, "CountTeams")
		noErr(t, f.s.DeleteTeam(f.ctx, a.ID), "DeleteTeam")
		wantCount(t, f.s.CountTeams, f, 2, "CountTeams after DeleteTeam")
	}},
	{"ListTeamsOfUser", func(t *testing.T, f *fixture) {
		u, other, loner := f.addUser(), f.addUser(), f.addUser()
		t1, t2, t3 := f.addTeam(), f.addTeam(), f.addTeam()
		f.addMember(t1.ID, u.ID, admin.RoleViewer)
		f.addMember(t3.ID, u.ID, admin.RoleOwner)
		f.addMember(t2.ID, other.ID, admin.RoleOwner)
		f.addMember(t3.ID, other.ID, admin.RoleAdmin)

		list, err := f.s.ListTeams(f.ctx, u.ID, admin.Page{})
		noErr(t, err, "ListTeams(user)")
		wantIDs(t, "ListTeams(user)", idsOf(list, teamID), sorted([]string{t1.ID, t3.ID}))
		for _, got := range list {
			want := t1
			if got.ID == t3.ID {
				want = t3
			}
			mustEqual(t, "a team ListTeams(user) returned", got, want)
		}
		list, err = f.s.ListTeams(f.ctx, loner.ID, admin.Page{})
		noErr(t, err, "ListTeams(user with no team)")
		wantIDs(t, "ListTeams(user with no team)", idsOf(list, teamID), nil)
		list, err = f.s.ListTeams(f.ctx, newID(prefixUser), admin.Page{})
		noErr(t, err, "ListTeams(unknown user)")
		wantIDs(t, "ListTeams(unknown user)", idsOf(list, teamID), nil)
		list, err = f.s.ListTeams(f.ctx, "", admin.Page{})
		noErr(t, err, "ListTeams(all)")
		wantIDs(t, "ListTeams(all)", idsOf(list, teamID), sorted([]string{t1.ID, t2.ID, t3.ID}))
	}},
	{"CreateTeamWithOwner", func(t *testing.T, f *fixture) {
		u := f.addUser()
		tm := f.newTeam()
		m := f.newMember(tm.ID, u.ID, admin.RoleOwner)
		noErr(t, f.s.CreateTeamWithOwner(f.ctx, tm, m), "CreateTeamWithOwner")
		got, err := f.s.GetTeam(f.ctx, tm.ID)
		noErr(t, err, "GetTeam")
		mustEqual(t, "GetTeam", got, tm)
		gotM, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		noErr(t, err, "GetMember of the owner")
		mustEqual(t, "GetMember of the owner", gotM, m)
	}},
	{"CreateTeamWithOwnerIsAtomic", func(t *testing.T, f *fixture) {
		taken, _ := f.addTeamWithOwner()
		u := f.addUser()
		for _, tc := range []struct {
			name   string
			change func(*admin.Team)
		}{
			{"taken slug", func(tm *admin.Team) { tm.Slug = taken.Slug }},
			{"taken id", func(tm *admin.Team) { tm.ID = taken.ID }},
		} {
			tm := f.newTeam()
			tc.change(tm)
			err := f.s.CreateTeamWithOwner(f.ctx, tm, f.newMember(tm.ID, u.ID, admin.RoleOwner))
			wantErr(t, err, admin.ErrAlreadyExists, "CreateTeamWithOwner with a "+tc.name)
			teams, err := f.s.ListTeams(f.ctx, u.ID, admin.Page{})
			noErr(t, err, "ListTeams(user)")
			wantIDs(t, "the user's teams after the refused CreateTeamWithOwner ("+tc.name+")", idsOf(teams, teamID), nil)
		}
		wantCount(t, f.s.CountTeams, f, 1, "CountTeams after refused CreateTeamWithOwner calls")
		members, err := f.s.ListMembers(f.ctx, taken.ID, admin.Page{})
		noErr(t, err, "ListMembers")
		if len(members) != 1 {
			t.Errorf("the existing team has %d members after refused CreateTeamWithOwner calls, want 1", len(members))
		}

		// An owner the store refuses (an unknown user): either both are
		// created or neither is.
		tm := f.newTeam()
		err = f.s.CreateTeamWithOwner(f.ctx, tm, f.newMember(tm.ID, newID(prefixUser), admin.RoleOwner))
		_, getErr := f.s.GetTeam(f.ctx, tm.ID)
		if err != nil && getErr == nil {
			t.Errorf("CreateTeamWithOwner failed (%v) but left the team behind", err)
		}
	}},
}

var memberTests = []test{
	{"AddGet", func(t *testing.T, f *fixture) {
		tm, u := f.addTeam(), f.addUser()
		m := f.addMember(tm.ID, u.ID, admin.RoleDeveloper)
		got, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		noErr(t, err, "GetMember")
		mustEqual(t, "GetMember", got, m)
	}},
	{"DuplicateMembership", func(t *testing.T, f *fixture) {
		tm, u := f.addTeam(), f.addUser()
		m := f.addMember(tm.ID, u.ID, admin.RoleViewer)
		dup := f.newMember(tm.ID, u.ID, admin.RoleOwner)
		wantErr(t, f.s.AddMember(f.ctx, dup), admin.ErrAlreadyExists, "AddMember of an existing member")
		got, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		noErr(t, err, "GetMember")
		mustEqual(t, "GetMember after the refused duplicate", got, m)
		// The same user in another team is a different membership.
		f.addMember(f.addTeam().ID, u.ID, admin.RoleViewer)
	}},
	{"GetMissing", func(t *testing.T, f *fixture) {
		tm, u := f.addTeam(), f.addUser()
		f.addMember(tm.ID, u.ID, admin.RoleViewer)
		_, err := f.s.GetMember(f.ctx, tm.ID, f.addUser().ID)
		wantErr(t, err, admin.ErrNotFound, "GetMember of a user not in the team")
		_, err = f.s.GetMember(f.ctx, f.addTeam().ID, u.ID)
		wantErr(t, err, admin.ErrNotFound, "GetMember in another team")
	}},
	{"UpdateRole", func(t *testing.T, f *fixture) {
		tm, _ := f.addTeamWithOwner()
		u := f.addUser()
		m := f.addMember(tm.ID, u.ID, admin.RoleViewer)
		want := clone(m)
		want.Role = admin.RoleAdmin
		want.UpdatedAt = later
		u2 := clone(want)
		u2.CreatedAt = u2.CreatedAt.Add(time.Hour) // must not be written
		noErr(t, f.s.UpdateMember(f.ctx, u2), "UpdateMember")
		if u2.Version != m.Version+1 {
			t.Errorf("after UpdateMember, Version = %d, want %d", u2.Version, m.Version+1)
		}
		want.Version = m.Version + 1
		got, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		noErr(t, err, "GetMember")
		mustEqual(t, "GetMember after UpdateMember", got, want)
	}},
	{"UpdateStaleVersion", func(t *testing.T, f *fixture) {
		tm, _ := f.addTeamWithOwner()
		u := f.addUser()
		m := f.addMember(tm.ID, u.ID, admin.RoleViewer)
		fresh := clone(m)
		fresh.Role = admin.RoleDeveloper
		noErr(t, f.s.UpdateMember(f.ctx, fresh), "UpdateMember")
		stale := clone(m)
		stale.Role = admin.RoleAdmin
		wantErr(t, f.s.UpdateMember(f.ctx, stale), admin.ErrConflict, "UpdateMember with a stale version")
		got, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		noErr(t, err, "GetMember")
		mustEqual(t, "GetMember after a refused stale update", got, fresh)
	}},
	{"UpdateMissing", func(t *testing.T, f *fixture) {
		tm, _ := f.addTeamWithOwner()
		m := f.newMember(tm.ID, f.addUser().ID, admin.RoleAdmin)
		wantErr(t, f.s.UpdateMember(f.ctx, m), admin.ErrNotFound, "UpdateMember of a user not in the team")
		_, err := f.s.GetMember(f.ctx, m.TeamID, m.UserID)
		wantErr(t, err, admin.ErrNotFound, "GetMember after UpdateMember of a missing membership")
	}},
	{"Remove", func(t *testing.T, f *fixture) {
		tm, owner := f.addTeamWithOwner()
		u := f.addUser()
		f.addMember(tm.ID, u.ID, admin.RoleDeveloper)
		noErr(t, f.s.RemoveMember(f.ctx, tm.ID, u.ID), "RemoveMember")
		_, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		wantErr(t, err, admin.ErrNotFound, "GetMember after RemoveMember")
		wantErr(t, f.s.RemoveMember(f.ctx, tm.ID, u.ID), admin.ErrNotFound, "RemoveMember a second time")
		if _, err := f.s.GetMember(f.ctx, tm.ID, owner.ID); err != nil {
			t.Errorf("GetMember of the owner after removing another member: %v", err)
		}
		if _, err := f.s.GetUser(f.ctx, u.ID); err != nil {
			t.Errorf("GetUser after RemoveMember: %v (the user must stay)", err)
		}
	}},
	{"TimesInOtherZones", func(t *testing.T, f *fixture) {
		tm, u := f.addTeam(), f.addUser()
		m := f.newMember(tm.ID, u.ID, admin.RoleViewer)
		m.CreatedAt = m.CreatedAt.In(zones[0])
		m.UpdatedAt = extremes[0].In(zones[1])
		noErr(t, f.s.AddMember(f.ctx, m), "AddMember")
		got, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		noErr(t, err, "GetMember")
		mustEqual(t, "GetMember", got, m)
	}},
	{"ReturnedObjectsAreCopies", func(t *testing.T, f *fixture) {
		tm, u := f.addTeam(), f.addUser()
		m := f.addMember(tm.ID, u.ID, admin.RoleViewer)
		want := clone(m)
		m.Role = admin.RoleOwner
		got, err := f.s.GetMember(f.ctx, tm.ID, u.ID)
		noErr(t, err, "GetMember")
		mustEqual(t, "GetMember after changing the object passed to AddMember", got, want)
		got.Role = admin.RoleOwner
		list, err := f.s.ListMembers(f.ctx, tm.ID, admin.Page{})
		noErr(t, err, "ListMembers")
		if len(list) != 1 {
			t.Fatalf("ListMembers returned %d members, want 1", len(list))
		}
		mustEqual(t, "ListMembers after changing an object Get returned", list[0], want)
	}},
}

var tokenTests = []test{
	{"GetByHash", func(t *testing.T, f *fixture) {
		u := f.addUser()
		tok := f.addToken(u.ID)
		f.addToken(u.ID)
		got, err := f.s.GetTokenByHash(f.ctx, tok.Hash)
		noErr(t, err, "GetTokenByHash")
		mustEqual(t, "GetTokenByHash", got, tok)
		_, err = f.s.GetTokenByHash(f.ctx, "ffff")
		wantErr(t, err, admin.ErrNotFound, "GetTokenByHash of an unknown hash")
	}},
	{"DuplicateHash", func(t *testing.T, f *fixture) {
		u := f.addUser()
		tok := f.addToken(u.ID)
		dup := f.newToken(f.addUser().ID)
		dup.Hash = tok.Hash
		wantErr(t, f.s.CreateToken(f.ctx, dup), admin.ErrAlreadyExists, "CreateToken with a taken hash")
		_, err := f.s.GetToken(f.ctx, dup.ID)
		wantErr(t, err, admin.ErrNotFound, "GetToken of the refused duplicate")
	}},
	{"ScopedToTeam", func(t *testing.T, f *fixture) {
		u := f.addUser()
		tok := f.newToken(u.ID)
		tok.TeamID = f.addTeam().ID
		noErr(t, f.s.CreateToken(f.ctx, tok), "CreateToken")
		got, err := f.s.GetToken(f.ctx, tok.ID)
		noErr(t, err, "GetToken")
		mustEqual(t, "GetToken of a team-scoped token", got, tok)
	}},
	{"ListTokensOfUser", func(t *testing.T, f *fixture) {
		u, other := f.addUser(), f.addUser()
		var ids []string
		for range 3 {
			ids = append(ids, f.addToken(u.ID).ID)
			f.addToken(other.ID)
		}
		list, err := f.s.ListTokens(f.ctx, u.ID, admin.Page{})
		noErr(t, err, "ListTokens")
		wantIDs(t, "ListTokens(user)", idsOf(list, tokenID), sorted(ids))
		list, err = f.s.ListTokens(f.ctx, f.addUser().ID, admin.Page{})
		noErr(t, err, "ListTokens(user with no tokens)")
		wantIDs(t, "ListTokens(user with no tokens)", idsOf(list, tokenID), nil)
	}},
}

// Id accessors for idsOf.
func userID(v *admin.User) string             { return v.ID }
func teamID(v *admin.Team) string             { return v.ID }
func memberUserID(v *admin.TeamMember) string { return v.UserID }
func projectID(v *admin.Project) string       { return v.ID }
func deploymentID(v *admin.Deployment) string { return v.ID }
func buildID(v *admin.Build) string           { return v.ID }
func serverID(v *admin.RunningServer) string  { return v.ID }
func tokenID(v *admin.APIToken) string        { return v.ID }
func auditID(v *admin.AuditEvent) string      { return v.ID }

// wantIDs fails the test unless got lists exactly want, in order.
func wantIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: got %d ids %v, want %d %v", what, len(got), got, len(want), want)
		return
	}
	for i := range got {
		if got[i] != want[i] {
			t.Errorf("%s: got ids %v, want %v", what, got, want)
			return
		}
	}
}

// wantCount fails the test unless count returns n.
func wantCount(t testing.TB, count func(ctx context.Context) (int, error), f *fixture, n int, what string) {
	t.Helper()
	got, err := count(f.ctx)
	noErr(t, err, what)
	if got != n {
		t.Errorf("%s = %d, want %d", what, got, n)
	}
}
