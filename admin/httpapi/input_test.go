package httpapi_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
)

// fixture is a team with a project and its production deployment, made
// through the API by a platform admin.
type fixture struct {
	root    *apitest.Client
	team    admin.Team
	project admin.Project
	prod    admin.Deployment
}

func newFixture(t testing.TB, s *server) *fixture {
	t.Helper()
	f := &fixture{}
	f.root, _ = s.anon.Bootstrap("root@example.com")
	f.root.Do("POST", "/v1/teams", map[string]string{"name": "Team"}).Must(t, 201, &f.team)
	f.root.Do("POST", "/v1/teams/"+f.team.ID+"/projects", map[string]any{"name": "Project", "sourceType": "local",
		"sourceConfig": map[string]string{"path": apitest.ProjectPath}, "envVars": map[string]string{"KEEP": "kept"}}).Must(t, 201, &f.project)
	var deps list[admin.Deployment]
	f.root.Do("GET", "/v1/projects/"+f.project.ID+"/deployments", nil).Must(t, 200, &deps)
	f.prod = deps.Items[0]
	return f
}

// snapshot is what bad requests must leave as it was.
func (f *fixture) snapshot(t testing.TB) string {
	t.Helper()
	var b strings.Builder
	for _, path := range []string{"/v1/teams", "/v1/teams/" + f.team.ID, "/v1/teams/" + f.team.ID + "/members",
		"/v1/teams/" + f.team.ID + "/projects", "/v1/projects/" + f.project.ID + "/env",
		"/v1/projects/" + f.project.ID + "/deployments", "/v1/deployments/" + f.prod.ID + "/env",
		"/v1/deployments/" + f.prod.ID + "/builds", "/v1/users", "/v1/tokens"} {
		r := f.root.Do("GET", path, nil).Must(t, 200, nil)
		b.WriteString(path + " " + string(r.Body))
	}
	return b.String()
}

func TestBadInput(t *testing.T) {
	s := newServer(t, nil, nil)
	f := newFixture(t, s)
	team, proj, prod := "/v1/teams/"+f.team.ID, "/v1/projects/"+f.project.ID, "/v1/deployments/"+f.prod.ID
	build := "/v1/builds/" + queuedBuild(t, f).ID
	big := `{"name":"` + strings.Repeat("x", 2<<20) + `"}`
	cases := []struct {
		name, method, path string
		body               any
		contentType        string
		status             int
		code, field, msg   string
	}{
		{"truncated JSON", "POST", "/v1/teams", `{"name": "x"`, "", 400, "invalid_argument", "", "malformed JSON"},
		{"JSON syntax", "POST", "/v1/teams", `{"name": x}`, "", 400, "invalid_argument", "", "malformed JSON at byte"},
		{"wrong type", "POST", "/v1/teams", `{"name": 5}`, "", 400, "invalid_argument", "name", `"name" must be a string`},
		{"wrong nested type", "PUT", proj + "/env", `{"vars": {"A": 1}}`, "", 400, "invalid_argument", "vars", "must be a string"},
		{"wrong bool type", "PATCH", "/v1/users/" + "x", `{"platformAdmin": "yes"}`, "", 400, "invalid_argument", "platformAdmin", "boolean"},
		{"unknown field", "POST", "/v1/teams", `{"name": "x", "admin": true}`, "", 400, "invalid_argument", "admin", `unknown field "admin"`},
		{"unknown field on delete", "DELETE", team, `{"force": true}`, "", 400, "invalid_argument", "force", "unknown field"},
		{"trailing data", "POST", "/v1/teams", `{"name": "x"} {"name": "y"}`, "", 400, "invalid_argument", "", "after the JSON object"},
		{"array body", "POST", "/v1/teams", `["x"]`, "", 400, "invalid_argument", "", "must be a JSON object"},
		{"null body", "POST", "/v1/teams", `null`, "", 400, "invalid_argument", "", "must be a JSON object"},
		{"empty body", "POST", "/v1/teams", ``, "", 400, "invalid_argument", "", "empty"},
		{"too large", "POST", "/v1/teams", big, "", 413, "too_large", "", "larger than 1048576 bytes"},
		{"not JSON", "POST", "/v1/teams", `name=x`, "application/x-www-form-urlencoded", 415, "unsupported_media_type", "", "Content-Type: application/json"},
		{"empty name", "POST", "/v1/teams", `{"name": "  "}`, "", 422, "invalid_argument", "name", "must not be empty"},
		{"bad slug", "POST", "/v1/teams", `{"name": "x", "slug": "Not A Slug"}`, "", 422, "invalid_argument", "slug", "DNS label"},
		{"bad role", "POST", team + "/members", `{"userId": "usr_x", "role": "god"}`, "", 422, "invalid_argument", "role", "not one of"},
		{"bad ttl", "POST", "/v1/tokens", `{"name": "t", "ttl": "forever"}`, "", 422, "invalid_argument", "ttl", "duration"},
		{"no env vars", "PUT", proj + "/env", `{"vars": {}}`, "", 422, "invalid_argument", "vars", "at least one"},
		{"bad env name", "PUT", proj + "/env", `{"vars": {"1BAD": "v"}}`, "", 422, "invalid_argument", "name", "must match"},
		{"env value too large", "PUT", proj + "/env", `{"vars": {"BIG": "` + strings.Repeat("v", 65<<10) + `"}}`, "", 422, "invalid_argument", "value", "at most"},
		{"bad env name in path", "DELETE", proj + "/env/1BAD", nil, "", 422, "invalid_argument", "name", "must match"},
		{"bad deployment type", "POST", proj + "/deployments", `{"type": "production", "branch": "main"}`, "", 422, "invalid_argument", "type", "exactly one production"},
		{"bad branch", "PATCH", prod, `{"branch": "../etc"}`, "", 422, "invalid_argument", "branch", "not a valid branch"},
		{"bad source path", "PATCH", proj, `{"sourceConfig": {"path": "../../etc"}}`, "", 422, "invalid_argument", "path", ""},
		{"invalid id", "GET", "/v1/teams/bad%21id", nil, "", 400, "invalid_argument", "id", "is not an id"},
		{"long id", "GET", "/v1/teams/" + strings.Repeat("a", 200), nil, "", 400, "invalid_argument", "id", "1 to 128"},
		{"bad user id in body", "POST", team + "/members", `{"userId": "../x", "role": "viewer"}`, "", 400, "invalid_argument", "userId", "is not an id"},
		{"dot-dot", "GET", "/v1/teams/../users", nil, "", 400, "invalid_argument", "path", ". or .."},
		{"encoded dot-dot", "GET", "/v1/teams/%2e%2e/members", nil, "", 400, "invalid_argument", "path", ". or .."},
		{"encoded slash", "GET", "/v1/teams/a%2Fb", nil, "", 400, "invalid_argument", "path", "encoded slash"},
		{"encoded traversal", "GET", "/v1/projects/%2e%2e%2f%2e%2e%2fusers", nil, "", 400, "invalid_argument", "path", "encoded slash"},
		{"backslash", "GET", "/v1/teams/..%5cusers", nil, "", 400, "invalid_argument", "path", "backslash"},
		{"NUL", "GET", "/v1/teams/%00", nil, "", 400, "invalid_argument", "path", "control character"},
		{"double slash", "GET", "//v1/teams", nil, "", 400, "invalid_argument", "path", "empty segments"},
		{"unknown query parameter", "GET", "/v1/teams?limt=5", nil, "", 400, "invalid_argument", "limt", "unknown query parameter"},
		{"query on a create", "POST", "/v1/teams?dryRun=1", `{"name": "x"}`, "", 400, "invalid_argument", "dryRun", "takes none"},
		{"limit zero", "GET", "/v1/teams?limit=0", nil, "", 400, "invalid_argument", "limit", "from 1 to 500"},
		{"limit too big", "GET", "/v1/teams?limit=501", nil, "", 400, "invalid_argument", "limit", "from 1 to 500"},
		{"limit not a number", "GET", "/v1/teams?limit=ten", nil, "", 400, "invalid_argument", "limit", ""},
		{"repeated parameter", "GET", "/v1/teams?limit=1&limit=2", nil, "", 400, "invalid_argument", "limit", "more than once"},
		{"bad order", "GET", "/v1/teams?order=random", nil, "", 400, "invalid_argument", "order", "asc or desc"},
		{"bad cursor", "GET", "/v1/teams?cursor=%27%20OR%201%3D1", nil, "", 400, "invalid_argument", "cursor", "is not an id"},
		{"bad from", "GET", "/v1/builds/b_1/logs?from=-1", nil, "", 400, "invalid_argument", "from", ""},
		{"bad format", "GET", "/v1/builds/b_1/logs?format=xml", nil, "", 400, "invalid_argument", "format", ""},
		{"bad source type", "GET", "/v1/sources/ftp/projects", nil, "", 400, "invalid_argument", "type", "not one of"},
		{"unknown route", "GET", "/v1/nothing", nil, "", 404, "not_found", "", "no operation"},
		{"unknown object", "GET", "/v1/teams/team_nope", nil, "", 404, "not_found", "", ""},
		{"unknown build log", "GET", "/v1/builds/bld_nope/logs", nil, "", 404, "not_found", "", ""},
		{"rollback to nothing", "POST", prod + "/rollback", `{"buildId": "bld_nope"}`, "", 404, "not_found", "", ""},
		{"promote nothing", "POST", prod + "/promote", `{"buildId": "bld_nope"}`, "", 404, "not_found", "", ""},
		{"promote without a build", "POST", prod + "/promote", `{}`, "", 400, "invalid_argument", "buildId", ""},
		{"wrong method", "PUT", "/v1/teams", `{}`, "", 405, "method_not_allowed", "", "allowed: POST, GET"},
		{"websocket route without upgrade", "GET", build + "/logs/ws", nil, "", 426, "invalid_argument", "", "WebSocket"},
	}
	before := f.snapshot(t)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var h http.Header
			if c.contentType != "" {
				h = http.Header{"Content-Type": {c.contentType}}
			}
			cl := *f.root
			cl.T = t
			r := cl.DoWith(c.method, c.path, c.body, h)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %s", r.Status, c.status, clip(r.Body))
			}
			e := r.Err(t)
			if e.Code != c.code || e.Field != c.field || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("error %+v, want code %q field %q message containing %q", e, c.code, c.field, c.msg)
			}
			if len(e.Message) > 300 {
				t.Errorf("message is %d bytes long: the input must not be echoed whole", len(e.Message))
			}
		})
	}
	if after := f.snapshot(t); after != before {
		t.Errorf("bad requests changed stored data:\nbefore %s\nafter  %s", before, after)
	}
	if r := f.root.Do("PUT", "/v1/teams", `{}`); r.Header.Get("Allow") != "POST, GET" {
		t.Errorf("405 Allow = %q", r.Header.Get("Allow"))
	}
}

// TestResponseHeaders checks the headers every JSON answer carries.
func TestResponseHeaders(t *testing.T) {
	s := newServer(t, nil, nil)
	f := newFixture(t, s)
	r := f.root.Do("GET", "/v1/teams", nil)
	for k, want := range map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store",
		"X-Content-Type-Options": "nosniff"} {
		if got := r.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if len(r.Header.Get("X-Request-Id")) != 16 {
		t.Errorf("X-Request-Id = %q", r.Header.Get("X-Request-Id"))
	}
}

// TestClosedAdmin: calls after the Admin closed are 503.
func TestClosedAdmin(t *testing.T) {
	s := newServer(t, nil, nil)
	f := newFixture(t, s)
	if err := s.Admin.Close(); err != nil {
		t.Fatal(err)
	}
	r := f.root.Do("GET", "/v1/teams", nil)
	if r.Status != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if e := r.Err(t); e.Code != "unavailable" {
		t.Fatalf("error %+v", e)
	}
}

// TestInternalErrorsHideDetails: a failure the client cannot act on (env
// vars sealed under a key the server no longer has right) is a 500 with a
// request id and no detail; the log has the detail under that id.
func TestInternalErrorsHideDetails(t *testing.T) {
	s := newServer(t, nil, nil)
	f := newFixture(t, s)
	// The same data, served with a wrong key under the old key id.
	wrong := admin.WithEncryptionKeys("k2", map[string][]byte{"embedded": admin.GenerateEncryptionKey(), "k2": admin.GenerateEncryptionKey()})
	logs := &apitest.Buffer{}
	st, err := embedded.Open(context.Background(), s.Stack.DataDir, &embedded.Options{ProjectsDir: s.ProjectsDir, NoStart: true,
		AdminOptions: []admin.Option{wrong}, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := httpapi.New(st.Admin, &httpapi.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	r := f.root.As(f.root.Token)
	r.URL = srv.URL
	resp := r.Do("POST", "/v1/encryption/reseal", nil)
	if resp.Status != http.StatusInternalServerError {
		t.Fatalf("status %d: %s", resp.Status, resp.Body)
	}
	e := resp.Err(t)
	if e.Code != "internal" || e.RequestID == "" || strings.Contains(e.Message, "integrity") || strings.Contains(e.Message, "KEEP") {
		t.Fatalf("error %+v", e)
	}
	if !strings.Contains(logs.String(), e.RequestID) || !strings.Contains(logs.String(), "integrity") {
		t.Fatalf("the log lacks the request id %s or the cause:\n%s", e.RequestID, logs.String())
	}
}

func clip(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(bytes.TrimSpace(b))
}
