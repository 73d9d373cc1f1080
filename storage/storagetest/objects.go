package storagetest

import (
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// later is the time mutate functions write: distinct from every fixture time.
var later = epoch.Add(36 * time.Hour)

func laterPtr(d time.Duration) *time.Time {
	t := later.Add(d)
	return &t
}

// suffix returns the part of an id after its prefix, to derive unique keys.
func suffix(id string) string {
	if i := strings.IndexByte(id, '_'); i >= 0 {
		return id[i+1:]
	}
	return id
}

var userKind = kind[admin.User]{
	name:   "User",
	prefix: prefixUser,
	make:   func(f *fixture) *admin.User { return f.newUser() },
	create: func(f *fixture, v *admin.User) error { return f.s.CreateUser(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.User, error) { return f.s.GetUser(f.ctx, id) },
	update: func(f *fixture, v *admin.User) error { return f.s.UpdateUser(f.ctx, v) },
	remove: func(f *fixture, id string) error { return f.s.DeleteUser(f.ctx, id) },
	list: func(f *fixture, _ *admin.User) ([]*admin.User, error) {
		return f.s.ListUsers(f.ctx, admin.Page{})
	},
	id:      func(v *admin.User) *string { return &v.ID },
	version: func(v *admin.User) *int64 { return &v.Version },
	mutate: func(v *admin.User) {
		v.Email = "renamed." + suffix(v.ID) + "@example.org"
		v.Name = "Renamed " + v.Name
		v.PlatformAdmin = !v.PlatformAdmin
		v.UpdatedAt = later
	},
	tamper: func(v *admin.User) { v.CreatedAt = v.CreatedAt.Add(time.Hour) },
	scribble: func(v *admin.User) {
		v.Name += " (changed)"
		v.PlatformAdmin = !v.PlatformAdmin
	},
}

var teamKind = kind[admin.Team]{
	name:   "Team",
	prefix: prefixTeam,
	make:   func(f *fixture) *admin.Team { return f.newTeam() },
	create: func(f *fixture, v *admin.Team) error { return f.s.CreateTeam(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.Team, error) { return f.s.GetTeam(f.ctx, id) },
	update: func(f *fixture, v *admin.Team) error { return f.s.UpdateTeam(f.ctx, v) },
	remove: func(f *fixture, id string) error { return f.s.DeleteTeam(f.ctx, id) },
	list: func(f *fixture, _ *admin.Team) ([]*admin.Team, error) {
		return f.s.ListTeams(f.ctx, "", admin.Page{})
	},
	id:      func(v *admin.Team) *string { return &v.ID },
	version: func(v *admin.Team) *int64 { return &v.Version },
	mutate: func(v *admin.Team) {
		v.Name = "Renamed " + v.Name
		v.Slug = "t-" + suffix(v.ID)
		v.UpdatedAt = later
	},
	tamper:   func(v *admin.Team) { v.CreatedAt = v.CreatedAt.Add(time.Hour) },
	scribble: func(v *admin.Team) { v.Name += " (changed)"; v.Slug += "-changed" },
}

var projectKind = kind[admin.Project]{
	name:   "Project",
	prefix: prefixProject,
	make:   func(f *fixture) *admin.Project { return f.newProject(f.addTeam().ID) },
	create: func(f *fixture, v *admin.Project) error { return f.s.CreateProject(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.Project, error) { return f.s.GetProject(f.ctx, id) },
	update: func(f *fixture, v *admin.Project) error { return f.s.UpdateProject(f.ctx, v) },
	remove: func(f *fixture, id string) error { return f.s.DeleteProject(f.ctx, id) },
	list: func(f *fixture, v *admin.Project) ([]*admin.Project, error) {
		return f.s.ListProjects(f.ctx, admin.ProjectFilter{TeamID: v.TeamID}, admin.Page{})
	},
	id:      func(v *admin.Project) *string { return &v.ID },
	version: func(v *admin.Project) *int64 { return &v.Version },
	mutate: func(v *admin.Project) {
		v.Name = "Renamed " + v.Name
		v.Slug = "p-" + suffix(v.ID)
		v.SourceType = admin.SourceGit
		v.SourceConfig = map[string]string{"url": "https://git.example.com/team/app.git", "ref": "refs/heads/develop"}
		v.DefaultBranch = "develop"
		v.EnvVars = []admin.EnvVar{
			{Name: "A", KeyID: "k2", Sealed: []byte("sealed-a"), UpdatedAt: later},
			{Name: "B", KeyID: "k2", Sealed: []byte{0}, UpdatedAt: later.Add(time.Microsecond)},
		}
		v.UpdatedAt = later
	},
	tamper: func(v *admin.Project) {
		v.TeamID = newID(prefixTeam)
		v.CreatedAt = v.CreatedAt.Add(time.Hour)
	},
	scribble: func(v *admin.Project) {
		v.Name += " (changed)"
		for k := range v.SourceConfig {
			v.SourceConfig[k] += "-changed"
		}
		v.SourceConfig["added"] = "x"
		for i := range v.EnvVars {
			v.EnvVars[i].Name += "_CHANGED"
			if len(v.EnvVars[i].Sealed) > 0 {
				v.EnvVars[i].Sealed[0] ^= 0xff
			}
		}
	},
}

var deploymentKind = kind[admin.Deployment]{
	name:   "Deployment",
	prefix: prefixDeployment,
	make: func(f *fixture) *admin.Deployment {
		return f.newDeployment(f.addProject(f.addTeam().ID).ID)
	},
	create: func(f *fixture, v *admin.Deployment) error { return f.s.CreateDeployment(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.Deployment, error) { return f.s.GetDeployment(f.ctx, id) },
	update: func(f *fixture, v *admin.Deployment) error { return f.s.UpdateDeployment(f.ctx, v) },
	remove: func(f *fixture, id string) error { return f.s.DeleteDeployment(f.ctx, id) },
	list: func(f *fixture, v *admin.Deployment) ([]*admin.Deployment, error) {
		return f.s.ListDeployments(f.ctx, v.ProjectID, admin.Page{})
	},
	id:      func(v *admin.Deployment) *string { return &v.ID },
	version: func(v *admin.Deployment) *int64 { return &v.Version },
	mutate: func(v *admin.Deployment) {
		v.Type = admin.DeploymentStaging
		v.Branch = "release/2.0"
		v.Slug = "d-" + suffix(v.ID)
		v.Status = admin.DeploymentRunning
		v.CurrentBuildID = newID(prefixBuild)
		v.PublicURL = "http://staging--app.localhost:3100"
		v.EnvVarOverrides = []admin.EnvVar{{Name: "MODE", KeyID: "k3", Sealed: []byte("s"), UpdatedAt: later}}
		v.UpdatedAt = later
	},
	tamper: func(v *admin.Deployment) {
		v.ProjectID = newID(prefixProject)
		v.CreatedAt = v.CreatedAt.Add(time.Hour)
	},
	scribble: func(v *admin.Deployment) {
		v.Branch += "-changed"
		for i := range v.EnvVarOverrides {
			v.EnvVarOverrides[i].KeyID += "-changed"
			if len(v.EnvVarOverrides[i].Sealed) > 0 {
				v.EnvVarOverrides[i].Sealed[0] ^= 0xff
			}
		}
	},
}

var buildKind = kind[admin.Build]{
	name:   "Build",
	prefix: prefixBuild,
	make: func(f *fixture) *admin.Build {
		_, _, d := f.addChain()
		return f.newBuild(d)
	},
	create: func(f *fixture, v *admin.Build) error { return f.s.CreateBuild(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.Build, error) { return f.s.GetBuild(f.ctx, id) },
	update: func(f *fixture, v *admin.Build) error { return f.s.UpdateBuild(f.ctx, v) },
	list: func(f *fixture, v *admin.Build) ([]*admin.Build, error) {
		return f.s.ListBuilds(f.ctx, admin.BuildFilter{DeploymentID: v.DeploymentID}, admin.Page{})
	},
	id:      func(v *admin.Build) *string { return &v.ID },
	version: func(v *admin.Build) *int64 { return &v.Version },
	mutate: func(v *admin.Build) {
		v.Status = admin.BuildFailed
		v.Ref = "0123456789abcdef0123456789abcdef01234567"
		v.SourceBuildID = newID(prefixBuild)
		v.LogPath = "builds/" + v.ID + "/build.log"
		v.Error = "npm install: exit status 1\n\"quoted\" and ünïcode"
		v.ClaimedBy = "worker-7"
		v.StartedAt = laterPtr(0)
		v.CompletedAt = laterPtr(time.Minute)
		v.UpdatedAt = later.Add(time.Minute)
	},
	tamper: func(v *admin.Build) {
		v.DeploymentID = newID(prefixDeployment)
		v.ProjectID = newID(prefixProject)
	},
	scribble: func(v *admin.Build) {
		v.Error += " (changed)"
		if v.StartedAt != nil {
			*v.StartedAt = v.StartedAt.Add(time.Hour)
		}
		if v.CompletedAt != nil {
			*v.CompletedAt = v.CompletedAt.Add(time.Hour)
		}
	},
}

var serverKind = kind[admin.RunningServer]{
	name:   "Server",
	prefix: prefixServer,
	make: func(f *fixture) *admin.RunningServer {
		_, _, d := f.addChain()
		return f.newServer(f.addBuild(d, admin.BuildDeploying))
	},
	create: func(f *fixture, v *admin.RunningServer) error { return f.s.CreateServer(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.RunningServer, error) { return f.s.GetServer(f.ctx, id) },
	update: func(f *fixture, v *admin.RunningServer) error { return f.s.UpdateServer(f.ctx, v) },
	list: func(f *fixture, v *admin.RunningServer) ([]*admin.RunningServer, error) {
		return f.s.ListServers(f.ctx, admin.ServerFilter{DeploymentID: v.DeploymentID}, admin.Page{})
	},
	id:      func(v *admin.RunningServer) *string { return &v.ID },
	version: func(v *admin.RunningServer) *int64 { return &v.Version },
	mutate: func(v *admin.RunningServer) {
		v.Host = "10.0.0.7"
		v.Port = 65535
		v.PID = 1<<31 - 1
		v.Handle = "1712345678.123456"
		v.Status = admin.ServerStopped
		v.Health = admin.HealthUnhealthy
		v.StoppedAt = laterPtr(time.Hour)
		v.LastHealthAt = laterPtr(time.Minute)
		v.UpdatedAt = later.Add(time.Hour)
	},
	tamper: func(v *admin.RunningServer) {
		v.DeploymentID = newID(prefixDeployment)
		v.BuildID = newID(prefixBuild)
	},
	scribble: func(v *admin.RunningServer) {
		v.Port++
		v.Handle += "-changed"
		if v.LastHealthAt != nil {
			*v.LastHealthAt = v.LastHealthAt.Add(time.Hour)
		}
	},
}

var tokenKind = kind[admin.APIToken]{
	name:   "Token",
	prefix: prefixToken,
	make:   func(f *fixture) *admin.APIToken { return f.newToken(f.addUser().ID) },
	create: func(f *fixture, v *admin.APIToken) error { return f.s.CreateToken(f.ctx, v) },
	get:    func(f *fixture, id string) (*admin.APIToken, error) { return f.s.GetToken(f.ctx, id) },
	update: func(f *fixture, v *admin.APIToken) error { return f.s.UpdateToken(f.ctx, v) },
	remove: func(f *fixture, id string) error { return f.s.DeleteToken(f.ctx, id) },
	list: func(f *fixture, v *admin.APIToken) ([]*admin.APIToken, error) {
		return f.s.ListTokens(f.ctx, v.UserID, admin.Page{})
	},
	id:      func(v *admin.APIToken) *string { return &v.ID },
	version: func(v *admin.APIToken) *int64 { return &v.Version },
	mutate: func(v *admin.APIToken) {
		v.Name = "Renamed " + v.Name
		v.ExpiresAt = laterPtr(90 * 24 * time.Hour)
		v.RevokedAt = laterPtr(time.Hour)
		v.LastUsedAt = laterPtr(time.Minute)
	},
	tamper: func(v *admin.APIToken) {
		v.UserID = newID(prefixUser)
		v.CreatedAt = v.CreatedAt.Add(time.Hour)
	},
	scribble: func(v *admin.APIToken) {
		v.Name += " (changed)"
		if v.ExpiresAt != nil {
			*v.ExpiresAt = v.ExpiresAt.Add(time.Hour)
		}
	},
}
