package storagetest

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// trickyStrings are values an encoding can mangle: quotes, backslashes,
// control characters, HTML, non-ASCII, JSON and SQL look-alikes.
var trickyStrings = []string{
	"",
	`"quoted" and \back\slashed`,
	"line\nbreak\ttab\r",
	"<script>&amp;</script>",
	"ünïcödé ✓ 日本語 🚀",
	`{"json":["looking"]}`,
	"'; DROP TABLE projects; --",
	"null",
}

// trickyMap uses the tricky strings as keys and values.
func trickyMap() map[string]string {
	m := map[string]string{}
	for i, s := range trickyStrings {
		m[s] = trickyStrings[(i+1)%len(trickyStrings)]
		m[fmt.Sprintf("k%d", i)] = s
	}
	return m
}

// trickyEnvVars are env vars with binary sealed values of several sizes.
func trickyEnvVars(f *fixture) []admin.EnvVar {
	big := bytes.Repeat([]byte{0, 0xff, 0x7f, '"', '\\'}, admin.MaxEnvVarValueLength/5+10)
	return []admin.EnvVar{
		{Name: "Z_LAST_NAME_FIRST", KeyID: "key-2024", Sealed: []byte{0}, UpdatedAt: f.now()},
		{Name: "A", KeyID: "", Sealed: nil, UpdatedAt: f.now().In(zones[0])},
		{Name: "BIG", KeyID: "key-2025", Sealed: big, UpdatedAt: extremes[0]},
		{Name: "EMPTY", KeyID: "k", Sealed: []byte{}, UpdatedAt: extremes[2]},
		{Name: "A", KeyID: "duplicate-names-kept-in-order", Sealed: []byte("x"), UpdatedAt: f.now()},
	}
}

var projectTests = []test{
	{"GetBySlug", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		p := f.addProject(tm.ID)
		f.addProject(tm.ID)
		got, err := f.s.GetProjectBySlug(f.ctx, p.Slug)
		noErr(t, err, "GetProjectBySlug")
		mustEqual(t, "GetProjectBySlug", got, p)
		_, err = f.s.GetProjectBySlug(f.ctx, "no-such-project")
		wantErr(t, err, admin.ErrNotFound, "GetProjectBySlug of an unknown slug")
	}},
	{"SlugUniqueAcrossTeams", func(t *testing.T, f *fixture) {
		p := f.addProject(f.addTeam().ID)
		dup := f.newProject(f.addTeam().ID)
		dup.Slug = p.Slug
		wantErr(t, f.s.CreateProject(f.ctx, dup), admin.ErrAlreadyExists, "CreateProject with a slug taken in another team")
		_, err := f.s.GetProject(f.ctx, dup.ID)
		wantErr(t, err, admin.ErrNotFound, "GetProject of the refused duplicate")
	}},
	{"UpdateToTakenSlug", func(t *testing.T, f *fixture) {
		a := f.addProject(f.addTeam().ID)
		b := f.addProject(f.addTeam().ID)
		w := clone(b)
		w.Slug = a.Slug
		wantErr(t, f.s.UpdateProject(f.ctx, w), admin.ErrAlreadyExists, "UpdateProject to a taken slug")
		got, err := f.s.GetProject(f.ctx, b.ID)
		noErr(t, err, "GetProject")
		mustEqual(t, "GetProject after the refused update", got, b)
	}},
	{"CountProjects", func(t *testing.T, f *fixture) {
		count := func(teamID string) func(ctx context.Context) (int, error) {
			return func(ctx context.Context) (int, error) { return f.s.CountProjects(ctx, teamID) }
		}
		wantCount(t, count(""), f, 0, "CountProjects of an empty store")
		a, b, empty := f.addTeam(), f.addTeam(), f.addTeam()
		p := f.addProject(a.ID)
		f.addProject(a.ID)
		f.addProject(b.ID)
		wantCount(t, count(""), f, 3, "CountProjects(all)")
		wantCount(t, count(a.ID), f, 2, "CountProjects(team a)")
		wantCount(t, count(b.ID), f, 1, "CountProjects(team b)")
		wantCount(t, count(empty.ID), f, 0, "CountProjects(team with none)")
		wantCount(t, count(newID(prefixTeam)), f, 0, "CountProjects(unknown team)")
		noErr(t, f.s.DeleteProject(f.ctx, p.ID), "DeleteProject")
		wantCount(t, count(a.ID), f, 1, "CountProjects(team a) after DeleteProject")
	}},
	{"NilCollectionsReadBackEmpty", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		for _, tc := range []struct {
			name string
			cfg  map[string]string
			vars []admin.EnvVar
		}{
			{"nil", nil, nil},
			{"empty", map[string]string{}, []admin.EnvVar{}},
		} {
			p := f.newProject(tm.ID)
			p.SourceConfig, p.EnvVars = tc.cfg, tc.vars
			noErr(t, f.s.CreateProject(f.ctx, p), "CreateProject with "+tc.name+" collections")
			got, err := f.s.GetProject(f.ctx, p.ID)
			noErr(t, err, "GetProject")
			mustEqual(t, "GetProject of "+tc.name+" collections", got, p)

			q := f.addProject(tm.ID)
			q.SourceConfig, q.EnvVars = tc.cfg, tc.vars
			noErr(t, f.s.UpdateProject(f.ctx, q), "UpdateProject to "+tc.name+" collections")
			got, err = f.s.GetProject(f.ctx, q.ID)
			noErr(t, err, "GetProject")
			mustEqual(t, "GetProject after an update to "+tc.name+" collections", got, q)
			list, err := f.s.ListProjects(f.ctx, admin.ProjectFilter{TeamID: tm.ID}, admin.Page{})
			noErr(t, err, "ListProjects")
			for _, item := range list {
				if item.SourceConfig == nil || item.EnvVars == nil {
					t.Errorf("ListProjects returned project %s with a nil SourceConfig or EnvVars", item.ID)
				}
			}
		}
	}},
	{"CollectionsRoundTrip", func(t *testing.T, f *fixture) {
		p := f.newProject(f.addTeam().ID)
		p.SourceConfig = trickyMap()
		p.EnvVars = trickyEnvVars(f)
		noErr(t, f.s.CreateProject(f.ctx, p), "CreateProject")
		got, err := f.s.GetProject(f.ctx, p.ID)
		noErr(t, err, "GetProject")
		mustEqual(t, "GetProject of tricky SourceConfig and EnvVars", got, p)
		byslug, err := f.s.GetProjectBySlug(f.ctx, p.Slug)
		noErr(t, err, "GetProjectBySlug")
		mustEqual(t, "GetProjectBySlug of tricky SourceConfig and EnvVars", byslug, p)
		list, err := f.s.ListProjects(f.ctx, admin.ProjectFilter{}, admin.Page{})
		noErr(t, err, "ListProjects")
		if len(list) != 1 {
			t.Fatalf("ListProjects returned %d projects, want 1", len(list))
		}
		mustEqual(t, "ListProjects of tricky SourceConfig and EnvVars", list[0], p)
	}},
	{"TrickyStringsRoundTrip", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		for i, s := range trickyStrings {
			p := f.newProject(tm.ID)
			p.Name = s
			p.DefaultBranch = s
			p.Slug = fmt.Sprintf("tricky-%d", i)
			noErr(t, f.s.CreateProject(f.ctx, p), fmt.Sprintf("CreateProject named %q", s))
			got, err := f.s.GetProject(f.ctx, p.ID)
			noErr(t, err, "GetProject")
			mustEqual(t, fmt.Sprintf("GetProject named %q", s), got, p)
		}
	}},
}

var deploymentTests = []test{
	{"GetBySlug", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		p, q := f.addProject(tm.ID), f.addProject(tm.ID)
		d := f.addDeployment(p.ID)
		f.addDeployment(p.ID)
		got, err := f.s.GetDeploymentBySlug(f.ctx, p.ID, d.Slug)
		noErr(t, err, "GetDeploymentBySlug")
		mustEqual(t, "GetDeploymentBySlug", got, d)
		_, err = f.s.GetDeploymentBySlug(f.ctx, q.ID, d.Slug)
		wantErr(t, err, admin.ErrNotFound, "GetDeploymentBySlug in another project")
		_, err = f.s.GetDeploymentBySlug(f.ctx, p.ID, "no-such-slug")
		wantErr(t, err, admin.ErrNotFound, "GetDeploymentBySlug of an unknown slug")
	}},
	{"SlugUniquePerProject", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		p, q := f.addProject(tm.ID), f.addProject(tm.ID)
		d := f.newDeployment(p.ID)
		d.Slug, d.Type = "production", admin.DeploymentProduction
		noErr(t, f.s.CreateDeployment(f.ctx, d), "CreateDeployment")
		dup := f.newDeployment(p.ID)
		dup.Slug = d.Slug
		wantErr(t, f.s.CreateDeployment(f.ctx, dup), admin.ErrAlreadyExists, "CreateDeployment with a slug taken in the same project")
		_, err := f.s.GetDeployment(f.ctx, dup.ID)
		wantErr(t, err, admin.ErrNotFound, "GetDeployment of the refused duplicate")

		other := f.newDeployment(q.ID)
		other.Slug = d.Slug
		noErr(t, f.s.CreateDeployment(f.ctx, other), "CreateDeployment with the same slug in another project")
		got, err := f.s.GetDeploymentBySlug(f.ctx, q.ID, d.Slug)
		noErr(t, err, "GetDeploymentBySlug in the other project")
		mustEqual(t, "GetDeploymentBySlug in the other project", got, other)
		got, err = f.s.GetDeploymentBySlug(f.ctx, p.ID, d.Slug)
		noErr(t, err, "GetDeploymentBySlug in the first project")
		mustEqual(t, "GetDeploymentBySlug in the first project", got, d)
	}},
	{"UpdateToTakenSlug", func(t *testing.T, f *fixture) {
		p := f.addProject(f.addTeam().ID)
		a, b := f.addDeployment(p.ID), f.addDeployment(p.ID)
		w := clone(b)
		w.Slug = a.Slug
		wantErr(t, f.s.UpdateDeployment(f.ctx, w), admin.ErrAlreadyExists, "UpdateDeployment to a slug taken in the project")
		got, err := f.s.GetDeployment(f.ctx, b.ID)
		noErr(t, err, "GetDeployment")
		mustEqual(t, "GetDeployment after the refused update", got, b)
	}},
	{"NilOverridesReadBackEmpty", func(t *testing.T, f *fixture) {
		p := f.addProject(f.addTeam().ID)
		d := f.newDeployment(p.ID)
		d.EnvVarOverrides = nil
		noErr(t, f.s.CreateDeployment(f.ctx, d), "CreateDeployment")
		got, err := f.s.GetDeployment(f.ctx, d.ID)
		noErr(t, err, "GetDeployment")
		mustEqual(t, "GetDeployment of nil EnvVarOverrides", got, d)
		e := f.addDeployment(p.ID)
		e.EnvVarOverrides = []admin.EnvVar{}
		noErr(t, f.s.UpdateDeployment(f.ctx, e), "UpdateDeployment")
		got, err = f.s.GetDeploymentBySlug(f.ctx, p.ID, e.Slug)
		noErr(t, err, "GetDeploymentBySlug")
		mustEqual(t, "GetDeploymentBySlug after an update to empty EnvVarOverrides", got, e)
		list, err := f.s.ListDeployments(f.ctx, p.ID, admin.Page{})
		noErr(t, err, "ListDeployments")
		for _, item := range list {
			if item.EnvVarOverrides == nil {
				t.Errorf("ListDeployments returned deployment %s with nil EnvVarOverrides", item.ID)
			}
		}
	}},
	{"OverridesRoundTrip", func(t *testing.T, f *fixture) {
		p := f.addProject(f.addTeam().ID)
		d := f.newDeployment(p.ID)
		d.EnvVarOverrides = trickyEnvVars(f)
		noErr(t, f.s.CreateDeployment(f.ctx, d), "CreateDeployment")
		got, err := f.s.GetDeployment(f.ctx, d.ID)
		noErr(t, err, "GetDeployment")
		mustEqual(t, "GetDeployment of tricky EnvVarOverrides", got, d)
		list, err := f.s.ListDeployments(f.ctx, p.ID, admin.Page{})
		noErr(t, err, "ListDeployments")
		if len(list) != 1 {
			t.Fatalf("ListDeployments returned %d deployments, want 1", len(list))
		}
		mustEqual(t, "ListDeployments of tricky EnvVarOverrides", list[0], d)
	}},
	{"ListOfProject", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		p, q := f.addProject(tm.ID), f.addProject(tm.ID)
		var ids []string
		for range 3 {
			ids = append(ids, f.addDeployment(p.ID).ID)
			f.addDeployment(q.ID)
		}
		list, err := f.s.ListDeployments(f.ctx, p.ID, admin.Page{})
		noErr(t, err, "ListDeployments")
		wantIDs(t, "ListDeployments(project)", idsOf(list, deploymentID), sorted(ids))
		list, err = f.s.ListDeployments(f.ctx, f.addProject(tm.ID).ID, admin.Page{})
		noErr(t, err, "ListDeployments(project with none)")
		wantIDs(t, "ListDeployments(project with none)", idsOf(list, deploymentID), nil)
	}},
}

var buildTests = []test{
	{"ListFilters", func(t *testing.T, f *fixture) {
		tm := f.addTeam()
		p, q := f.addProject(tm.ID), f.addProject(tm.ID)
		d1, d2, d3 := f.addDeployment(p.ID), f.addDeployment(p.ID), f.addDeployment(q.ID)
		var all []*admin.Build
		statuses := []admin.BuildStatus{admin.BuildQueued, admin.BuildBuilding, admin.BuildSucceeded, admin.BuildFailed, admin.BuildQueued, admin.BuildDeploying, admin.BuildCancelled}
		for i, st := range statuses {
			for _, d := range []*admin.Deployment{d1, d2, d3} {
				if st.Active() && d != []*admin.Deployment{d1, d2, d3}[i%3] {
					continue // at most one active build per deployment
				}
				all = append(all, f.addBuild(d, st))
			}
		}
		// Builds of d1 that ended after a claim: one its worker still
		// settles (in flight), two completed at known times.
		base := f.now()
		claimed := func(st admin.BuildStatus, completed *time.Time) {
			b := f.newBuild(d1)
			b.Status, b.StartedAt, b.CompletedAt, b.ClaimedBy = st, &base, completed, "w"
			noErr(t, f.s.CreateBuild(f.ctx, b), "CreateBuild")
			all = append(all, b)
		}
		early, late := base.Add(time.Hour), base.Add(2*time.Hour)
		claimed(admin.BuildCancelled, nil)
		claimed(admin.BuildFailed, &early)
		claimed(admin.BuildSucceeded, &late)
		cases := []struct {
			name string
			f    admin.BuildFilter
		}{
			{"all", admin.BuildFilter{}},
			{"empty statuses", admin.BuildFilter{Statuses: []admin.BuildStatus{}}},
			{"deployment", admin.BuildFilter{DeploymentID: d1.ID}},
			{"project", admin.BuildFilter{ProjectID: p.ID}},
			{"other project", admin.BuildFilter{ProjectID: q.ID}},
			{"queued", admin.BuildFilter{Statuses: []admin.BuildStatus{admin.BuildQueued}}},
			{"queued and in flight", admin.BuildFilter{Statuses: []admin.BuildStatus{admin.BuildQueued, admin.BuildBuilding, admin.BuildDeploying}}},
			{"terminal of a deployment", admin.BuildFilter{DeploymentID: d2.ID, Statuses: []admin.BuildStatus{admin.BuildSucceeded, admin.BuildFailed, admin.BuildCancelled}}},
			{"project and deployment", admin.BuildFilter{ProjectID: p.ID, DeploymentID: d2.ID}},
			{"project and a deployment of another project", admin.BuildFilter{ProjectID: q.ID, DeploymentID: d2.ID}},
			{"unknown deployment", admin.BuildFilter{DeploymentID: newID(prefixDeployment)}},
			{"status none has", admin.BuildFilter{Statuses: []admin.BuildStatus{"no-such-status"}}},
			{"in flight", admin.BuildFilter{InFlight: true}},
			{"in flight of a deployment", admin.BuildFilter{DeploymentID: d1.ID, InFlight: true}},
			{"in flight and cancelled", admin.BuildFilter{InFlight: true, Statuses: []admin.BuildStatus{admin.BuildCancelled}}},
			{"completed after", admin.BuildFilter{CompletedAfter: base}},
			{"completed after, exclusive", admin.BuildFilter{CompletedAfter: early}},
			{"completed after, in another zone", admin.BuildFilter{CompletedAfter: early.Add(-time.Microsecond).In(zones[1])}},
			{"completed after, failed", admin.BuildFilter{CompletedAfter: base, Statuses: []admin.BuildStatus{admin.BuildFailed}}},
			{"completed after the last", admin.BuildFilter{CompletedAfter: late}},
		}
		for _, tc := range cases {
			var want []string
			for _, b := range all {
				if matchBuild(tc.f, b) {
					want = append(want, b.ID)
				}
			}
			list, err := f.s.ListBuilds(f.ctx, tc.f, admin.Page{})
			noErr(t, err, "ListBuilds("+tc.name+")")
			wantIDs(t, "ListBuilds("+tc.name+")", idsOf(list, buildID), sorted(want))
			for _, got := range list {
				for _, b := range all {
					if b.ID == got.ID {
						mustEqual(t, "a build ListBuilds returned", got, b)
					}
				}
			}
		}
	}},
}

func matchBuild(f admin.BuildFilter, b *admin.Build) bool {
	if f.DeploymentID != "" && b.DeploymentID != f.DeploymentID || f.ProjectID != "" && b.ProjectID != f.ProjectID {
		return false
	}
	if f.InFlight && !inFlight(b) {
		return false
	}
	if !f.CompletedAfter.IsZero() && (b.CompletedAt == nil || !b.CompletedAt.After(f.CompletedAfter)) {
		return false
	}
	if len(f.Statuses) == 0 {
		return true
	}
	for _, s := range f.Statuses {
		if b.Status == s {
			return true
		}
	}
	return false
}

// inFlight is admin.BuildStore's definition of a build in flight.
func inFlight(b *admin.Build) bool {
	return b.CompletedAt == nil && (b.Status.Active() || b.Status.Terminal() && b.StartedAt != nil)
}

var serverTests = []test{
	{"ListFilters", func(t *testing.T, f *fixture) {
		_, p, d1 := f.addChain()
		d2 := f.addDeployment(p.ID)
		b1 := f.addBuild(d1, admin.BuildSucceeded)
		b2 := f.addBuild(d1, admin.BuildDeploying)
		b3 := f.addBuild(d2, admin.BuildSucceeded)
		var all []*admin.RunningServer
		for i, st := range []admin.ServerStatus{admin.ServerStopped, admin.ServerRunning, admin.ServerStarting, admin.ServerCrashed, admin.ServerRunning, admin.ServerStopping} {
			all = append(all, f.addServer([]*admin.Build{b1, b2, b3}[i%3], st))
		}
		cases := []struct {
			name string
			f    admin.ServerFilter
		}{
			{"all", admin.ServerFilter{}},
			{"deployment", admin.ServerFilter{DeploymentID: d1.ID}},
			{"build", admin.ServerFilter{BuildID: b2.ID}},
			{"running", admin.ServerFilter{Statuses: []admin.ServerStatus{admin.ServerRunning}}},
			{"live of a deployment", admin.ServerFilter{DeploymentID: d1.ID, Statuses: []admin.ServerStatus{admin.ServerStarting, admin.ServerRunning, admin.ServerStopping}}},
			{"build of another deployment", admin.ServerFilter{DeploymentID: d2.ID, BuildID: b1.ID}},
			{"unknown build", admin.ServerFilter{BuildID: newID(prefixBuild)}},
		}
		for _, tc := range cases {
			var want []string
			for _, s := range all {
				if matchServer(tc.f, s) {
					want = append(want, s.ID)
				}
			}
			list, err := f.s.ListServers(f.ctx, tc.f, admin.Page{})
			noErr(t, err, "ListServers("+tc.name+")")
			wantIDs(t, "ListServers("+tc.name+")", idsOf(list, serverID), sorted(want))
		}
	}},
}

func matchServer(f admin.ServerFilter, s *admin.RunningServer) bool {
	if f.DeploymentID != "" && s.DeploymentID != f.DeploymentID || f.BuildID != "" && s.BuildID != f.BuildID {
		return false
	}
	if len(f.Statuses) == 0 {
		return true
	}
	for _, st := range f.Statuses {
		if s.Status == st {
			return true
		}
	}
	return false
}

var auditTests = []test{
	{"AppendList", func(t *testing.T, f *fixture) {
		e := f.newAudit()
		e.TeamID = newID(prefixTeam)
		e.Outcome = admin.OutcomeDenied
		noErr(t, f.s.AppendAudit(f.ctx, e), "AppendAudit")
		list, err := f.s.ListAudit(f.ctx, admin.AuditFilter{}, admin.Page{})
		noErr(t, err, "ListAudit")
		if len(list) != 1 {
			t.Fatalf("ListAudit returned %d events, want 1", len(list))
		}
		mustEqual(t, "ListAudit", list[0], e)
	}},
	{"DuplicateID", func(t *testing.T, f *fixture) {
		e := f.newAudit()
		noErr(t, f.s.AppendAudit(f.ctx, e), "AppendAudit")
		dup := f.newAudit()
		dup.ID = e.ID
		wantErr(t, f.s.AppendAudit(f.ctx, dup), admin.ErrAlreadyExists, "AppendAudit with a taken id")
		list, err := f.s.ListAudit(f.ctx, admin.AuditFilter{}, admin.Page{})
		noErr(t, err, "ListAudit")
		if len(list) != 1 {
			t.Fatalf("ListAudit returned %d events, want 1", len(list))
		}
		mustEqual(t, "ListAudit after the refused duplicate", list[0], e)
	}},
	{"MetadataReadsBackNonNil", func(t *testing.T, f *fixture) {
		for _, md := range []map[string]string{nil, {}, trickyMap()} {
			e := f.newAudit()
			e.Metadata = md
			noErr(t, f.s.AppendAudit(f.ctx, e), "AppendAudit")
			list, err := f.s.ListAudit(f.ctx, admin.AuditFilter{TargetID: e.TargetID}, admin.Page{})
			noErr(t, err, "ListAudit")
			if len(list) != 1 {
				t.Fatalf("ListAudit returned %d events, want 1", len(list))
			}
			mustEqual(t, fmt.Sprintf("ListAudit of metadata %v", md), list[0], e)
		}
	}},
	{"TimesInOtherZones", func(t *testing.T, f *fixture) {
		var want []*admin.AuditEvent
		for i, at := range append(extremes, f.now().In(zones[0]), f.now().In(zones[1])) {
			e := f.newAudit()
			e.Time = at
			e.ActorID = fmt.Sprintf("usr_%d", i)
			noErr(t, f.s.AppendAudit(f.ctx, e), "AppendAudit")
			want = append(want, e)
		}
		for _, e := range want {
			list, err := f.s.ListAudit(f.ctx, admin.AuditFilter{ActorID: e.ActorID}, admin.Page{})
			noErr(t, err, "ListAudit")
			if len(list) != 1 {
				t.Fatalf("ListAudit(actor) returned %d events, want 1", len(list))
			}
			mustEqual(t, "ListAudit of a time at "+e.Time.Format(time.RFC3339Nano), list[0], e)
		}
	}},
	{"ListFilters", func(t *testing.T, f *fixture) {
		teams := []string{"", newID(prefixTeam), newID(prefixTeam)}
		actors := []string{"system", newID(prefixUser)}
		actions := []string{"project.create", "build.cancel", "member.remove"}
		var all []*admin.AuditEvent
		for i := range 12 {
			e := f.newAudit()
			e.TeamID = teams[i%3]
			e.ActorID = actors[i%2]
			e.Action = actions[i%3]
			e.TargetID = []string{"", "prj_a", "prj_b", "prj_c"}[i%4]
			noErr(t, f.s.AppendAudit(f.ctx, e), "AppendAudit")
			all = append(all, e)
		}
		cases := []struct {
			name string
			f    admin.AuditFilter
		}{
			{"all", admin.AuditFilter{}},
			{"team", admin.AuditFilter{TeamID: teams[1]}},
			{"actor", admin.AuditFilter{ActorID: actors[1]}},
			{"target", admin.AuditFilter{TargetID: "prj_b"}},
			{"action", admin.AuditFilter{Action: "build.cancel"}},
			{"team and actor", admin.AuditFilter{TeamID: teams[2], ActorID: actors[1]}},
			{"every field", admin.AuditFilter{TeamID: teams[1], ActorID: actors[1], Action: actions[1], TargetID: "prj_a"}},
			{"unknown action", admin.AuditFilter{Action: "no.such"}},
		}
		for _, tc := range cases {
			var want []string
			for _, e := range all {
				if matchAudit(tc.f, e) {
					want = append(want, e.ID)
				}
			}
			list, err := f.s.ListAudit(f.ctx, tc.f, admin.Page{})
			noErr(t, err, "ListAudit("+tc.name+")")
			wantIDs(t, "ListAudit("+tc.name+")", idsOf(list, auditID), sorted(want))
		}
	}},
	{"ReturnedEventsAreCopies", func(t *testing.T, f *fixture) {
		e := f.newAudit()
		noErr(t, f.s.AppendAudit(f.ctx, e), "AppendAudit")
		want := clone(e)
		e.Metadata["n"] = "changed"
		e.Metadata["added"] = "x"
		e.Action = "changed"
		list, err := f.s.ListAudit(f.ctx, admin.AuditFilter{}, admin.Page{})
		noErr(t, err, "ListAudit")
		if len(list) != 1 {
			t.Fatalf("ListAudit returned %d events, want 1", len(list))
		}
		mustEqual(t, "ListAudit after changing the event passed to AppendAudit", list[0], want)
		list[0].Metadata["n"] = "changed"
		list[0].Action = "changed"
		list, err = f.s.ListAudit(f.ctx, admin.AuditFilter{}, admin.Page{})
		noErr(t, err, "ListAudit")
		mustEqual(t, "ListAudit after changing an event ListAudit returned", list[0], want)
	}},
}

func matchAudit(f admin.AuditFilter, e *admin.AuditEvent) bool {
	return (f.TeamID == "" || e.TeamID == f.TeamID) &&
		(f.ActorID == "" || e.ActorID == f.ActorID) &&
		(f.TargetID == "" || e.TargetID == f.TargetID) &&
		(f.Action == "" || e.Action == f.Action)
}
