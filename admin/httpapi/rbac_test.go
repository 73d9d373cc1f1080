package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// kind is a kind of principal the RBAC test calls every route as.
type kind string

const (
	platformAdmin kind = "platform-admin"
	owner         kind = "owner"
	teamAdmin     kind = "admin"
	developer     kind = "developer"
	viewer        kind = "viewer"
	outsider      kind = "outsider" // a user of another team
	anonymous     kind = "anonymous"
)

var kinds = []kind{platformAdmin, owner, teamAdmin, developer, viewer, outsider, anonymous}

// principals are the users (one per kind but anonymous) and their tokens,
// shared by every world: a world makes its own team and adds them.
type principals struct {
	users  map[kind]*admin.User
	tokens map[kind]string
}

func newPrincipals(t *testing.T, a *admin.Admin, rootToken string) *principals {
	t.Helper()
	sys := apitest.System()
	ps := &principals{users: map[kind]*admin.User{}, tokens: map[kind]string{platformAdmin: rootToken}}
	for _, k := range []kind{owner, teamAdmin, developer, viewer, outsider} {
		u, err := a.CreateUser(sys, admin.NewUser{Email: string(k) + "@example.com", Name: string(k)})
		if err != nil {
			t.Fatal(err)
		}
		_, secret, err := a.CreateToken(apitest.As(u.ID), admin.NewToken{Name: "rbac"})
		if err != nil {
			t.Fatal(err)
		}
		ps.users[k], ps.tokens[k] = u, secret
	}
	// The outsider belongs to a team of their own.
	if _, err := a.CreateTeamFor(sys, ps.users[outsider].ID, admin.NewTeam{Name: "Outside"}); err != nil {
		t.Fatal(err)
	}
	return ps
}

// world is a team with the principals in their roles, a project with a
// staging deployment and env vars, and a user (the bystander, a viewer)
// with a token to act on.
type world struct {
	t         *testing.T
	a         *admin.Admin
	team      *admin.Team
	project   *admin.Project
	staging   *admin.Deployment
	bystander *admin.User
	byToken   *admin.APIToken
	candidate *admin.User // a user in no team, to add
	buildID   string
	n         int64 // unique in the test: names of new objects carry it
}

var worldSeq atomic.Int64

func newWorld(t *testing.T, a *admin.Admin, ps *principals) *world {
	t.Helper()
	n := worldSeq.Add(1)
	sys := apitest.System()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	user := func(name string) *admin.User {
		u, err := a.CreateUser(sys, admin.NewUser{Email: fmt.Sprintf("%s-%d@example.com", name, n), Name: name})
		must(err)
		return u
	}
	w := &world{t: t, a: a, n: n}
	var err error
	w.team, err = a.CreateTeamFor(sys, ps.users[owner].ID, admin.NewTeam{Name: fmt.Sprintf("Team %d", n)})
	must(err)
	for _, k := range []kind{teamAdmin, developer, viewer} {
		_, err := a.AddMember(sys, w.team.ID, ps.users[k].ID, admin.Role(k))
		must(err)
	}
	w.bystander = user("bystander")
	_, err = a.AddMember(sys, w.team.ID, w.bystander.ID, admin.RoleViewer)
	must(err)
	w.byToken, _, err = a.CreateToken(apitest.As(w.bystander.ID), admin.NewToken{Name: "rbac"})
	must(err)
	w.candidate = user("candidate")
	w.project, err = a.CreateProject(sys, w.team.ID, admin.NewProject{Name: fmt.Sprintf("Project %d", n), SourceType: admin.SourceLocal,
		SourceConfig: map[string]string{"path": apitest.ProjectPath}, EnvVars: map[string]string{"KEEP": "v"}})
	must(err)
	w.staging, err = a.CreateDeployment(sys, w.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"})
	must(err)
	_, err = a.SetDeploymentEnvVars(sys, w.staging.ID, map[string]string{"OVR": "v"})
	must(err)
	_, err = a.SetPreviewEnvVars(sys, w.project.ID, map[string]string{"PKEEP": "v"})
	must(err)
	return w
}

// state is what a refused request must leave as it was.
func (w *world) state() string {
	w.t.Helper()
	sys := apitest.System()
	var b strings.Builder
	add := func(v any, err error) {
		if err != nil {
			fmt.Fprintf(&b, "error %v\n", err)
			return
		}
		j, _ := json.Marshal(v)
		b.Write(append(j, '\n'))
	}
	add(w.a.GetTeam(sys, w.team.ID))
	add(w.a.ListMembers(sys, w.team.ID, admin.Page{}))
	add(w.a.ListProjects(sys, w.team.ID, admin.Page{}))
	add(w.a.ListEnvVars(sys, w.project.ID))
	add(w.a.ListPreviewEnvVars(sys, w.project.ID))
	add(w.a.ListDeployments(sys, w.project.ID, admin.Page{}))
	add(w.a.ListDeploymentEnvVars(sys, w.staging.ID))
	add(w.a.ListBuilds(sys, w.staging.ID, admin.Page{}))
	add(w.a.GetUser(sys, w.bystander.ID))
	add(w.a.ListTokens(apitest.As(w.bystander.ID), admin.Page{}))
	add(w.a.ListTeams(sys, admin.Page{Limit: admin.MaxPageLimit}))
	add(w.a.ListUsers(sys, admin.Page{Limit: admin.MaxPageLimit}))
	return b.String()
}

// build returns a build of the staging deployment, queued (the workers do
// not run in this test) or, with ended, cancelled.
func (w *world) build(ended bool) string {
	w.t.Helper()
	sys := apitest.System()
	if w.buildID == "" {
		b, err := w.a.Deploy(sys, w.staging.ID)
		if err != nil {
			w.t.Fatal(err)
		}
		w.buildID = b.ID
	}
	if ended {
		if b, err := w.a.GetBuild(sys, w.buildID); err != nil || !b.Status.Terminal() {
			if err := w.a.CancelBuild(sys, w.buildID); err != nil {
				w.t.Fatal(err)
			}
		}
	}
	return w.buildID
}

// call is one request of the RBAC test and the status it answers when the
// principal is allowed.
type call struct {
	path    string
	body    any
	allowed int
}

// calls says, for every route of the table, how to call it in a world.
// A route missing here fails the test.
var calls = map[string]func(w *world) call{
	"GET /v1/openapi.json": func(w *world) call { return call{"/v1/openapi.json", nil, 200} },
	"GET /v1/openapi.yaml": func(w *world) call { return call{"/v1/openapi.yaml", nil, 200} },
	"POST /v1/bootstrap": func(w *world) call {
		return call{"/v1/bootstrap", map[string]string{"email": "late@example.com", "name": "Late"}, 409}
	},
	"GET /v1/me":      func(w *world) call { return call{"/v1/me", nil, 200} },
	"GET /v1/license": func(w *world) call { return call{"/v1/license", nil, 200} },
	"POST /v1/users": func(w *world) call {
		return call{"/v1/users", map[string]string{"email": "new-" + w.candidate.Email, "name": "New"}, 201}
	},
	"GET /v1/users":      func(w *world) call { return call{"/v1/users", nil, 200} },
	"GET /v1/users/{id}": func(w *world) call { return call{"/v1/users/" + w.bystander.ID, nil, 200} },
	"PATCH /v1/users/{id}": func(w *world) call {
		return call{"/v1/users/" + w.bystander.ID, map[string]string{"name": "Renamed"}, 200}
	},
	"DELETE /v1/users/{id}":  func(w *world) call { return call{"/v1/users/" + w.bystander.ID, nil, 204} },
	"POST /v1/tokens":        func(w *world) call { return call{"/v1/tokens", map[string]string{"name": "new"}, 201} },
	"GET /v1/tokens":         func(w *world) call { return call{"/v1/tokens", nil, 200} },
	"DELETE /v1/tokens/{id}": func(w *world) call { return call{"/v1/tokens/" + w.byToken.ID, nil, 204} },
	"POST /v1/teams": func(w *world) call {
		return call{"/v1/teams", map[string]string{"name": fmt.Sprintf("New Team %d", w.n)}, 201}
	},
	"GET /v1/teams":        func(w *world) call { return call{"/v1/teams", nil, 200} },
	"GET /v1/teams/{id}":   func(w *world) call { return call{"/v1/teams/" + w.team.ID, nil, 200} },
	"PATCH /v1/teams/{id}": func(w *world) call { return call{"/v1/teams/" + w.team.ID, map[string]string{"name": "Renamed"}, 200} },
	// The team still has its project: allowed principals reach the conflict.
	"DELETE /v1/teams/{id}": func(w *world) call { return call{"/v1/teams/" + w.team.ID, nil, 409} },
	"POST /v1/teams/{id}/members": func(w *world) call {
		return call{"/v1/teams/" + w.team.ID + "/members", map[string]string{"userId": w.candidate.ID, "role": "viewer"}, 201}
	},
	"GET /v1/teams/{id}/members": func(w *world) call { return call{"/v1/teams/" + w.team.ID + "/members", nil, 200} },
	"PATCH /v1/teams/{id}/members/{userId}": func(w *world) call {
		return call{"/v1/teams/" + w.team.ID + "/members/" + w.bystander.ID, map[string]string{"role": "developer"}, 200}
	},
	"DELETE /v1/teams/{id}/members/{userId}": func(w *world) call {
		return call{"/v1/teams/" + w.team.ID + "/members/" + w.bystander.ID, nil, 204}
	},
	"GET /v1/teams/{id}/audit": func(w *world) call { return call{"/v1/teams/" + w.team.ID + "/audit", nil, 200} },
	"POST /v1/teams/{id}/projects": func(w *world) call {
		return call{"/v1/teams/" + w.team.ID + "/projects", map[string]any{"name": fmt.Sprintf("New Project %d", w.n), "sourceType": "local",
			"sourceConfig": map[string]string{"path": apitest.ProjectPath}}, 201}
	},
	"GET /v1/teams/{id}/projects":     func(w *world) call { return call{"/v1/teams/" + w.team.ID + "/projects", nil, 200} },
	"GET /v1/sources/{type}/projects": func(w *world) call { return call{"/v1/sources/local/projects", nil, 200} },
	"GET /v1/projects/{id}":           func(w *world) call { return call{"/v1/projects/" + w.project.ID, nil, 200} },
	"PATCH /v1/projects/{id}": func(w *world) call {
		return call{"/v1/projects/" + w.project.ID, map[string]string{"name": "Renamed"}, 200}
	},
	"DELETE /v1/projects/{id}": func(w *world) call { return call{"/v1/projects/" + w.project.ID, nil, 204} },
	"PUT /v1/projects/{id}/env": func(w *world) call {
		return call{"/v1/projects/" + w.project.ID + "/env", map[string]any{"vars": map[string]string{"NEW": "v"}}, 200}
	},
	"GET /v1/projects/{id}/env":           func(w *world) call { return call{"/v1/projects/" + w.project.ID + "/env", nil, 200} },
	"DELETE /v1/projects/{id}/env/{name}": func(w *world) call { return call{"/v1/projects/" + w.project.ID + "/env/KEEP", nil, 204} },
	"PUT /v1/projects/{id}/preview-env": func(w *world) call {
		return call{"/v1/projects/" + w.project.ID + "/preview-env", map[string]any{"vars": map[string]string{"NEW": "v"}}, 200}
	},
	"GET /v1/projects/{id}/preview-env": func(w *world) call { return call{"/v1/projects/" + w.project.ID + "/preview-env", nil, 200} },
	"DELETE /v1/projects/{id}/preview-env/{name}": func(w *world) call {
		return call{"/v1/projects/" + w.project.ID + "/preview-env/PKEEP", nil, 204}
	},
	"POST /v1/projects/{id}/deployments": func(w *world) call {
		return call{"/v1/projects/" + w.project.ID + "/deployments", map[string]string{"type": "preview", "branch": "pr-1"}, 201}
	},
	"GET /v1/projects/{id}/deployments": func(w *world) call { return call{"/v1/projects/" + w.project.ID + "/deployments", nil, 200} },
	"GET /v1/projects/{id}/traces":      func(w *world) call { return call{"/v1/projects/" + w.project.ID + "/traces", nil, 200} },
	// The project has no trace yet: allowed principals reach the store's answer.
	"GET /v1/projects/{id}/traces/{traceId}": func(w *world) call {
		return call{"/v1/projects/" + w.project.ID + "/traces/t1", nil, 404}
	},
	"GET /v1/projects/{id}/logs": func(w *world) call { return call{"/v1/projects/" + w.project.ID + "/logs", nil, 200} },
	"GET /v1/projects/{id}/logs/ws": func(w *world) call {
		return call{"/v1/projects/" + w.project.ID + "/logs/ws", nil, http.StatusSwitchingProtocols}
	},
	"GET /v1/projects/{id}/metrics": func(w *world) call { return call{"/v1/projects/" + w.project.ID + "/metrics", nil, 200} },
	"GET /v1/deployments/{id}":      func(w *world) call { return call{"/v1/deployments/" + w.staging.ID, nil, 200} },
	"PATCH /v1/deployments/{id}": func(w *world) call {
		return call{"/v1/deployments/" + w.staging.ID, map[string]string{"branch": "develop"}, 200}
	},
	"DELETE /v1/deployments/{id}": func(w *world) call { return call{"/v1/deployments/" + w.staging.ID, nil, 204} },
	"PUT /v1/deployments/{id}/env": func(w *world) call {
		return call{"/v1/deployments/" + w.staging.ID + "/env", map[string]any{"vars": map[string]string{"NEW": "v"}}, 200}
	},
	"GET /v1/deployments/{id}/env": func(w *world) call { return call{"/v1/deployments/" + w.staging.ID + "/env", nil, 200} },
	"DELETE /v1/deployments/{id}/env/{name}": func(w *world) call {
		return call{"/v1/deployments/" + w.staging.ID + "/env/OVR", nil, 204}
	},
	"POST /v1/deployments/{id}/deploy": func(w *world) call { return call{"/v1/deployments/" + w.staging.ID + "/deploy", nil, 202} },
	// Rolling back to a build that did not succeed is refused after the
	// permission check.
	"POST /v1/deployments/{id}/rollback": func(w *world) call {
		return call{"/v1/deployments/" + w.staging.ID + "/rollback", map[string]string{"buildId": w.build(false)}, 422}
	},
	// Promoting a deployment's own build is refused after the permission
	// check.
	"POST /v1/deployments/{id}/promote": func(w *world) call {
		return call{"/v1/deployments/" + w.staging.ID + "/promote", map[string]string{"buildId": w.build(false)}, 422}
	},
	"POST /v1/deployments/{id}/stop":   func(w *world) call { return call{"/v1/deployments/" + w.staging.ID + "/stop", nil, 204} },
	"GET /v1/deployments/{id}/builds":  func(w *world) call { return call{"/v1/deployments/" + w.staging.ID + "/builds", nil, 200} },
	"GET /v1/deployments/{id}/servers": func(w *world) call { return call{"/v1/deployments/" + w.staging.ID + "/servers", nil, 200} },
	"GET /v1/builds/{id}":              func(w *world) call { return call{"/v1/builds/" + w.build(false), nil, 200} },
	"POST /v1/builds/{id}/cancel":      func(w *world) call { return call{"/v1/builds/" + w.build(false) + "/cancel", nil, 204} },
	"GET /v1/builds/{id}/logs":         func(w *world) call { return call{"/v1/builds/" + w.build(true) + "/logs", nil, 200} },
	// Dialled as a WebSocket: 101 when allowed.
	"GET /v1/builds/{id}/logs/ws": func(w *world) call {
		return call{"/v1/builds/" + w.build(true) + "/logs/ws", nil, http.StatusSwitchingProtocols}
	},
	// Deliveries are public (the signature authenticates them): one without
	// a JSON body is refused the same for everyone.
	"POST /v1/webhooks/github": func(w *world) call { return call{"/v1/webhooks/github", nil, 415} },
	"POST /v1/webhooks/gitea":  func(w *world) call { return call{"/v1/webhooks/gitea", nil, 415} },
	// Staging is no platform-made preview: allowed principals reach that
	// answer.
	"GET /v1/deployments/{id}/preview": func(w *world) call { return call{"/v1/deployments/" + w.staging.ID + "/preview", nil, 404} },
	"POST /v1/deployments/{id}/approve": func(w *world) call {
		return call{"/v1/deployments/" + w.staging.ID + "/approve", map[string]string{"commit": strings.Repeat("a", 40)}, 422}
	},
	"GET /v1/audit":                func(w *world) call { return call{"/v1/audit", nil, 200} },
	"GET /v1/observability/health": func(w *world) call { return call{"/v1/observability/health", nil, 200} },
	"POST /v1/encryption/reseal":   func(w *world) call { return call{"/v1/encryption/reseal", nil, 200} },
}

// allowedFor says from the route table and admin.RoleAllows whether k may
// call rt in the world's team (the users and tokens the routes name belong
// to the bystander, who is none of the kinds).
func allowedFor(rt httpapi.Route, k kind) bool {
	switch {
	case rt.Access == httpapi.AccessPublic:
		return true
	case k == anonymous:
		return false
	case k == platformAdmin:
		return true
	}
	switch rt.Access {
	case httpapi.AccessUser:
		return true
	case httpapi.AccessTeam:
		role := admin.Role(k)
		return role.Valid() && admin.RoleAllows(role, rt.Permission)
	}
	return false // platform admins only, or the bystander themself
}

// TestRBAC calls every route as every kind of principal and checks that
// the allowed ones get the route's success (or the business answer past
// the permission check) and the others 401 (anonymous) or 403, with
// nothing changed. Refused calls share one world, checked unchanged
// afterwards; each allowed call of a route that changes something gets a
// fresh world.
func TestRBAC(t *testing.T) {
	if testing.Short() {
		t.Skip("builds many fixtures")
	}
	s := newServer(t, nil, nil)
	root, _ := s.anon.Bootstrap("root@example.com")
	ps := newPrincipals(t, s.Admin, root.Token)
	seen := map[string]bool{}
	for _, rt := range s.h.Routes() {
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		mk := calls[key]
		if mk == nil {
			t.Errorf("route %s has no RBAC call: add one to calls", key)
			continue
		}
		t.Run(strings.ReplaceAll(key, "/", "_"), func(t *testing.T) {
			var allowed, denied []kind
			for _, k := range kinds {
				if allowedFor(rt, k) {
					allowed = append(allowed, k)
				} else {
					denied = append(denied, k)
				}
			}
			w := newWorld(t, s.Admin, ps)
			c := mk(w)
			before := w.state()
			if strings.Contains(before, "error ") {
				t.Fatalf("the world's state cannot be read: %s", before)
			}
			for _, k := range denied {
				want := http.StatusForbidden
				if k == anonymous {
					want = http.StatusUnauthorized
				}
				if status, body := send(t, s, rt.Method, c, ps.tokens[k]); status != want {
					t.Errorf("%s as %s: status %d, want %d: %s", key, k, status, want, clip(body))
				}
			}
			if after := w.state(); after != before {
				t.Errorf("%s: refused calls changed the world:\nbefore %s\nafter  %s", key, before, after)
			}
			for i, k := range allowed {
				if i > 0 && rt.Method != "GET" {
					w = newWorld(t, s.Admin, ps)
					c = mk(w)
				}
				if status, body := send(t, s, rt.Method, c, ps.tokens[k]); status != c.allowed {
					t.Errorf("%s as %s: status %d, want %d: %s", key, k, status, c.allowed, clip(body))
				}
			}
		})
	}
	for key := range calls {
		if !seen[key] {
			t.Errorf("calls has %s, which is not a route", key)
		}
	}
}

// send makes one call of the RBAC test; the WebSocket route is dialled.
func send(t *testing.T, s *server, method string, c call, token string) (int, []byte) {
	t.Helper()
	if strings.HasSuffix(c.path, "/logs/ws") {
		h := http.Header{}
		if token != "" {
			h.Set("Authorization", "Bearer "+token)
		}
		conn, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(s.srv.URL, "http")+c.path,
			&websocket.DialOptions{HTTPHeader: h})
		if err == nil {
			defer conn.CloseNow()
			return resp.StatusCode, nil
		}
		if resp == nil {
			t.Fatalf("dial %s: %v", c.path, err)
		}
		return resp.StatusCode, []byte(err.Error())
	}
	cl := *s.anon
	cl.T, cl.Token = t, token
	r := cl.Do(method, c.path, c.body)
	return r.Status, r.Body
}
