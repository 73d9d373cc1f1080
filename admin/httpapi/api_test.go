package httpapi_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

type list[T any] struct {
	Items []T    `json:"items"`
	Next  string `json:"next"`
}

// TestWalkThrough drives the API the way doc.go's walk-through does, up to
// the deploy (TestDeploy covers the build itself).
func TestWalkThrough(t *testing.T) {
	s := newServer(t, nil, nil)
	root, boot := s.anon.Bootstrap("root@example.com")
	if !boot.User.PlatformAdmin || !strings.HasPrefix(boot.Secret, admin.TokenPrefix) {
		t.Fatalf("bootstrap gave %+v", boot)
	}
	// A second bootstrap is refused.
	if r := s.anon.Do("POST", "/v1/bootstrap", map[string]string{"email": "x@example.com", "name": "X"}); r.Status != http.StatusConflict {
		t.Fatalf("second bootstrap: %d %s", r.Status, r.Body)
	}
	var me admin.User
	root.Do("GET", "/v1/me", nil).Must(t, 200, &me)
	if me.ID != boot.User.ID {
		t.Fatalf("me = %s, want %s", me.ID, boot.User.ID)
	}

	var team admin.Team
	r := root.Do("POST", "/v1/teams", map[string]string{"name": "Platform Team"}).Must(t, 201, &team)
	if team.Slug != "platform-team" || r.Header.Get("Location") != "/v1/teams/"+team.ID {
		t.Fatalf("team %+v, location %q", team, r.Header.Get("Location"))
	}
	var teams list[admin.Team]
	root.Do("GET", "/v1/teams", nil).Must(t, 200, &teams)
	if len(teams.Items) != 1 || teams.Items[0].ID != team.ID {
		t.Fatalf("teams = %+v", teams)
	}

	var found list[admin.ProjectSource]
	root.Do("GET", "/v1/sources/local/projects", nil).Must(t, 200, &found)
	if len(found.Items) != 1 || found.Items[0].Config["path"] != apitest.ProjectPath {
		t.Fatalf("discovered %+v", found)
	}
	var p admin.Project
	root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Job Matching Agent",
		"sourceType": "local", "sourceConfig": found.Items[0].Config, "envVars": map[string]string{"OPENAI_API_KEY": "sk-walkthrough"}}).
		Must(t, 201, &p)
	if p.Slug != "job-matching-agent" {
		t.Fatalf("project %+v", p)
	}
	var env list[admin.EnvVarInfo]
	r = root.Do("PUT", "/v1/projects/"+p.ID+"/env", map[string]any{"vars": map[string]string{"LOG_LEVEL": "debug"}}).Must(t, 200, &env)
	if len(env.Items) != 2 || strings.Contains(string(r.Body), "sk-walkthrough") || strings.Contains(string(r.Body), "debug") {
		t.Fatalf("env = %s", r.Body)
	}
	root.Do("GET", "/v1/projects/"+p.ID+"/env", nil).Must(t, 200, &env)
	if names := []string{env.Items[0].Name, env.Items[1].Name}; names[0] != "LOG_LEVEL" && names[1] != "LOG_LEVEL" {
		t.Fatalf("env names %v", names)
	}
	root.Do("DELETE", "/v1/projects/"+p.ID+"/env/LOG_LEVEL", nil).Must(t, 204, nil)
	root.Do("GET", "/v1/projects/"+p.ID+"/env", nil).Must(t, 200, &env)
	if len(env.Items) != 1 || env.Items[0].Name != "OPENAI_API_KEY" {
		t.Fatalf("env after delete = %+v", env.Items)
	}

	var deps list[admin.Deployment]
	root.Do("GET", "/v1/projects/"+p.ID+"/deployments", nil).Must(t, 200, &deps)
	if len(deps.Items) != 1 || deps.Items[0].Type != admin.DeploymentProduction {
		t.Fatalf("deployments = %+v", deps)
	}
	var staging admin.Deployment
	root.Do("POST", "/v1/projects/"+p.ID+"/deployments", map[string]string{"type": "staging", "branch": "develop"}).Must(t, 201, &staging)
	root.Do("PATCH", "/v1/deployments/"+staging.ID, map[string]string{"branch": "main"}).Must(t, 200, &staging)
	if staging.Branch != "main" || staging.Slug != "staging" {
		t.Fatalf("staging = %+v", staging)
	}
	root.Do("PUT", "/v1/deployments/"+staging.ID+"/env", map[string]any{"vars": map[string]string{"LOG_LEVEL": "warn"}}).Must(t, 200, &env)
	if len(env.Items) != 1 || env.Items[0].Name != "LOG_LEVEL" {
		t.Fatalf("overrides = %+v", env.Items)
	}
	var b admin.Build
	r = root.Do("POST", "/v1/deployments/"+staging.ID+"/deploy", nil).Must(t, 202, &b)
	if b.Status != admin.BuildQueued || r.Header.Get("Location") != "/v1/builds/"+b.ID {
		t.Fatalf("deploy gave %+v (location %q)", b, r.Header.Get("Location"))
	}
	var builds list[admin.Build]
	root.Do("GET", "/v1/deployments/"+staging.ID+"/builds", nil).Must(t, 200, &builds)
	if len(builds.Items) != 1 || builds.Items[0].ID != b.ID {
		t.Fatalf("builds = %+v", builds)
	}
	root.Do("POST", "/v1/builds/"+b.ID+"/cancel", nil).Must(t, 204, nil)
	root.Do("GET", "/v1/builds/"+b.ID, nil).Must(t, 200, &b)
	if b.Status != admin.BuildCancelled {
		t.Fatalf("build after cancel: %s", b.Status)
	}
	root.Do("DELETE", "/v1/deployments/"+staging.ID, nil).Must(t, 204, nil)

	// Members and tokens.
	var dev admin.User
	root.Do("POST", "/v1/users", map[string]string{"email": "dev@example.com", "name": "Dev"}).Must(t, 201, &dev)
	root.Do("POST", "/v1/teams/"+team.ID+"/members", map[string]string{"userId": dev.ID, "role": "viewer"}).Must(t, 201, nil)
	var m admin.TeamMember
	root.Do("PATCH", "/v1/teams/"+team.ID+"/members/"+dev.ID, map[string]string{"role": "developer"}).Must(t, 200, &m)
	if m.Role != admin.RoleDeveloper {
		t.Fatalf("member %+v", m)
	}
	var members list[admin.TeamMember]
	root.Do("GET", "/v1/teams/"+team.ID+"/members?limit=1", nil).Must(t, 200, &members)
	if len(members.Items) != 1 || members.Next == "" {
		t.Fatalf("first page of members: %+v", members)
	}
	var page2 list[admin.TeamMember]
	root.Do("GET", "/v1/teams/"+team.ID+"/members?limit=1&cursor="+members.Next, nil).Must(t, 200, &page2)
	if len(page2.Items) != 1 || page2.Next != "" || page2.Items[0].UserID == members.Items[0].UserID {
		t.Fatalf("second page of members: %+v", page2)
	}
	var tok apitest.NewToken
	root.Do("POST", "/v1/tokens", map[string]string{"name": "ci", "teamId": team.ID, "ttl": "1h"}).Must(t, 201, &tok)
	var toks list[admin.APIToken]
	r = root.Do("GET", "/v1/tokens", nil).Must(t, 200, &toks)
	if len(toks.Items) != 2 || strings.Contains(string(r.Body), tok.Secret) {
		t.Fatalf("tokens = %s", r.Body)
	}
	root.Do("DELETE", "/v1/tokens/"+tok.Token.ID, nil).Must(t, 204, nil)
	if r := root.As(tok.Secret).Do("GET", "/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d", r.Status)
	}

	var audit list[admin.AuditEvent]
	root.Do("GET", "/v1/teams/"+team.ID+"/audit?limit=500", nil).Must(t, 200, &audit)
	if len(audit.Items) == 0 || audit.Items[0].Time.Before(audit.Items[len(audit.Items)-1].Time) {
		t.Fatalf("team audit (newest first): %d events", len(audit.Items))
	}
	var lic admin.License
	root.Do("GET", "/v1/license", nil).Must(t, 200, &lic)
	if lic.Tier != admin.TierEnterprise {
		t.Fatalf("license %+v", lic)
	}
	var resealed map[string]int
	root.Do("POST", "/v1/encryption/reseal", nil).Must(t, 200, &resealed)
	if _, ok := resealed["resealed"]; !ok {
		t.Fatalf("reseal: %v", resealed)
	}
	root.Do("DELETE", "/v1/projects/"+p.ID, nil).Must(t, 204, nil)
	root.Do("DELETE", "/v1/teams/"+team.ID, nil).Must(t, 204, nil)
	root.Do("GET", "/v1/teams/"+team.ID, nil).Must(t, 404, nil)
}

// TestListsAreArrays checks that every listing answers "items": [] when
// empty, never null.
func TestListsAreArrays(t *testing.T) {
	s := newServer(t, nil, nil)
	root, _ := s.anon.Bootstrap("root@example.com")
	var team admin.Team
	root.Do("POST", "/v1/teams", map[string]string{"name": "Empty"}).Must(t, 201, &team)
	var p admin.Project
	root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "P", "sourceType": "local",
		"sourceConfig": map[string]string{"path": apitest.ProjectPath}}).Must(t, 201, &p)
	var deps list[admin.Deployment]
	root.Do("GET", "/v1/projects/"+p.ID+"/deployments", nil).Must(t, 200, &deps)
	prod := deps.Items[0].ID
	for _, path := range []string{"/v1/teams/" + team.ID + "/projects?cursor=" + p.ID, "/v1/projects/" + p.ID + "/env",
		"/v1/deployments/" + prod + "/env", "/v1/deployments/" + prod + "/builds", "/v1/deployments/" + prod + "/servers",
		"/v1/audit?action=nothing.happened", "/v1/tokens?cursor=zzzz"} {
		r := root.Do("GET", path, nil).Must(t, 200, nil)
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &raw); err != nil {
			t.Fatal(err)
		}
		if string(raw["items"]) != "[]" {
			t.Errorf("GET %s: items = %s, want []", path, raw["items"])
		}
	}
}
