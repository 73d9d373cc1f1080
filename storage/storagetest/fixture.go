package storagetest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Id prefixes the fixtures use, as the Admin does.
const (
	prefixUser       = "usr"
	prefixTeam       = "team"
	prefixProject    = "prj"
	prefixDeployment = "dep"
	prefixBuild      = "bld"
	prefixServer     = "srv"
	prefixToken      = "tok"
	prefixAudit      = "aud"
)

// epoch is the fixtures' clock start: UTC at microsecond precision, as the
// Admin writes times.
var epoch = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// fixture is one subtest's store plus builders of valid objects. new*
// builders return unsaved objects; add* ones also store them and stop the
// test when that fails.
type fixture struct {
	t     testing.TB
	ctx   context.Context
	s     admin.Storage
	mu    sync.Mutex // guards ticks and seq: goroutines of a test share the fixture
	ticks int
	seq   int
}

// newFixture opens a fresh store and closes it when the test ends.
func newFixture(t testing.TB, s admin.Storage) *fixture {
	t.Helper()
	if s == nil {
		t.Fatal("storagetest: newStore returned a nil Storage")
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return &fixture{t: t, ctx: t.Context(), s: s}
}

// now returns a new time, one millisecond after the previous one.
func (f *fixture) now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ticks++
	return epoch.Add(time.Duration(f.ticks) * time.Millisecond)
}

// ptr returns a pointer to a new time.
func (f *fixture) ptr() *time.Time {
	t := f.now()
	return &t
}

// next returns a number unique within the fixture, for names and keys.
func (f *fixture) next() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	return f.seq
}

func newID(prefix string) string { return admin.NewID(prefix, time.Now()) }

func (f *fixture) newUser() *admin.User {
	n, at := f.next(), f.now()
	return &admin.User{
		ID:        newID(prefixUser),
		Email:     fmt.Sprintf("user%d@example.com", n),
		Name:      fmt.Sprintf("User %d", n),
		CreatedAt: at,
		UpdatedAt: at,
		Version:   1,
	}
}

func (f *fixture) addUser() *admin.User {
	f.t.Helper()
	u := f.newUser()
	noErr(f.t, f.s.CreateUser(f.ctx, u), "CreateUser")
	return u
}

func (f *fixture) newTeam() *admin.Team {
	n, at := f.next(), f.now()
	return &admin.Team{
		ID:        newID(prefixTeam),
		Name:      fmt.Sprintf("Team %d", n),
		Slug:      fmt.Sprintf("team-%d", n),
		CreatedAt: at,
		UpdatedAt: at,
		Version:   1,
	}
}

func (f *fixture) addTeam() *admin.Team {
	f.t.Helper()
	t := f.newTeam()
	noErr(f.t, f.s.CreateTeam(f.ctx, t), "CreateTeam")
	return t
}

func (f *fixture) newMember(teamID, userID string, role admin.Role) *admin.TeamMember {
	at := f.now()
	return &admin.TeamMember{TeamID: teamID, UserID: userID, Role: role, CreatedAt: at, UpdatedAt: at, Version: 1}
}

func (f *fixture) addMember(teamID, userID string, role admin.Role) *admin.TeamMember {
	f.t.Helper()
	m := f.newMember(teamID, userID, role)
	noErr(f.t, f.s.AddMember(f.ctx, m), "AddMember")
	return m
}

// addTeamWithOwner stores a new team and a new user who owns it.
func (f *fixture) addTeamWithOwner() (*admin.Team, *admin.User) {
	f.t.Helper()
	u := f.addUser()
	t := f.newTeam()
	noErr(f.t, f.s.CreateTeamWithOwner(f.ctx, t, f.newMember(t.ID, u.ID, admin.RoleOwner)), "CreateTeamWithOwner")
	return t, u
}

func (f *fixture) newProject(teamID string) *admin.Project {
	n, at := f.next(), f.now()
	return &admin.Project{
		ID:            newID(prefixProject),
		TeamID:        teamID,
		Name:          fmt.Sprintf("Project %d", n),
		Slug:          fmt.Sprintf("project-%d", n),
		SourceType:    admin.SourceLocal,
		SourceConfig:  map[string]string{"path": fmt.Sprintf("/srv/projects/p%d", n)},
		DefaultBranch: "main",
		EnvVars: []admin.EnvVar{
			{Name: "OPENAI_API_KEY", KeyID: "k1", Sealed: []byte{0, 1, 2, 0xfe, 0xff, byte(n)}, UpdatedAt: at},
		},
		CreatedAt: at,
		UpdatedAt: at,
		Version:   1,
	}
}

func (f *fixture) addProject(teamID string) *admin.Project {
	f.t.Helper()
	p := f.newProject(teamID)
	noErr(f.t, f.s.CreateProject(f.ctx, p), "CreateProject")
	return p
}

func (f *fixture) newDeployment(projectID string) *admin.Deployment {
	n, at := f.next(), f.now()
	return &admin.Deployment{
		ID:        newID(prefixDeployment),
		ProjectID: projectID,
		Type:      admin.DeploymentPreview,
		Branch:    fmt.Sprintf("feature/%d", n),
		Slug:      fmt.Sprintf("pr-%d", n),
		Status:    admin.DeploymentPending,
		PublicURL: fmt.Sprintf("http://pr-%d--app.localhost:3100", n),
		EnvVarOverrides: []admin.EnvVar{
			{Name: "LOG_LEVEL", KeyID: "k1", Sealed: []byte{byte(n), 9, 8, 7}, UpdatedAt: at},
		},
		CreatedAt: at,
		UpdatedAt: at,
		Version:   1,
	}
}

func (f *fixture) addDeployment(projectID string) *admin.Deployment {
	f.t.Helper()
	d := f.newDeployment(projectID)
	noErr(f.t, f.s.CreateDeployment(f.ctx, d), "CreateDeployment")
	return d
}

// addChain stores a team, a project of it and a deployment of the project.
func (f *fixture) addChain() (*admin.Team, *admin.Project, *admin.Deployment) {
	f.t.Helper()
	t := f.addTeam()
	p := f.addProject(t.ID)
	return t, p, f.addDeployment(p.ID)
}

func (f *fixture) newBuild(d *admin.Deployment) *admin.Build {
	at := f.now()
	return &admin.Build{
		ID:           newID(prefixBuild),
		DeploymentID: d.ID,
		ProjectID:    d.ProjectID,
		Trigger:      admin.TriggerManual,
		Status:       admin.BuildQueued,
		Ref:          d.Branch,
		QueuedAt:     at,
		UpdatedAt:    at,
		Version:      1,
	}
}

func (f *fixture) addBuild(d *admin.Deployment, status admin.BuildStatus) *admin.Build {
	f.t.Helper()
	b := f.newBuild(d)
	b.Status = status
	noErr(f.t, f.s.CreateBuild(f.ctx, b), "CreateBuild")
	return b
}

func (f *fixture) newServer(b *admin.Build) *admin.RunningServer {
	n, at := f.next(), f.now()
	return &admin.RunningServer{
		ID:           newID(prefixServer),
		DeploymentID: b.DeploymentID,
		BuildID:      b.ID,
		Host:         "127.0.0.1",
		Port:         4100 + n%100,
		PID:          10000 + n,
		Handle:       fmt.Sprintf("start-%d", n),
		Status:       admin.ServerStarting,
		Health:       admin.HealthUnknown,
		StartedAt:    at,
		UpdatedAt:    at,
		Version:      1,
	}
}

func (f *fixture) addServer(b *admin.Build, status admin.ServerStatus) *admin.RunningServer {
	f.t.Helper()
	s := f.newServer(b)
	s.Status = status
	noErr(f.t, f.s.CreateServer(f.ctx, s), "CreateServer")
	return s
}

func (f *fixture) newToken(userID string) *admin.APIToken {
	n := f.next()
	return &admin.APIToken{
		ID:        newID(prefixToken),
		UserID:    userID,
		Name:      fmt.Sprintf("token %d", n),
		Hash:      fmt.Sprintf("%064x", n),
		Prefix:    fmt.Sprintf("mat_%04d", n),
		CreatedAt: f.now(),
		Version:   1,
	}
}

func (f *fixture) addToken(userID string) *admin.APIToken {
	f.t.Helper()
	tok := f.newToken(userID)
	noErr(f.t, f.s.CreateToken(f.ctx, tok), "CreateToken")
	return tok
}

func (f *fixture) newAudit() *admin.AuditEvent {
	n := f.next()
	return &admin.AuditEvent{
		ID:         newID(prefixAudit),
		Time:       f.now(),
		ActorID:    "system",
		Action:     "project.create",
		TargetType: "project",
		TargetID:   fmt.Sprintf("prj_%d", n),
		Outcome:    admin.OutcomeSuccess,
		Metadata:   map[string]string{"n": fmt.Sprint(n)},
	}
}

// sorted returns ids in ascending order (a copy).
func sorted(ids []string) []string {
	out := append([]string(nil), ids...)
	sort.Strings(out)
	return out
}

// reversed returns ids in the opposite order (a copy).
func reversed(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[len(ids)-1-i] = id
	}
	return out
}

// idsOf maps objects to their ids.
func idsOf[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}
