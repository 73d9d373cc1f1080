package httpapi_test

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// FuzzRequestBodies sends arbitrary bodies to every operation that decodes
// one (creations and updates of users, tokens, teams, members, projects, env
// vars and deployments). No body makes the handler panic or fail with a 5xx;
// a refused body gets a 4xx with a JSON error body carrying a code and a
// message, and leaves every team, member, project, env var, deployment,
// user and token as it was (read back through the API over SQLite).
func FuzzRequestBodies(f *testing.F) {
	s := newServer(f, nil, nil)
	fx := newFixture(f, s)
	var u admin.User
	fx.root.Do("POST", "/v1/users", map[string]string{"email": "other@example.com", "name": "Other"}).Must(f, 201, &u)
	fx.root.Do("POST", "/v1/teams/"+fx.team.ID+"/members", map[string]string{"userId": u.ID, "role": "viewer"}).Must(f, 201, nil)
	team, proj, dep := "/v1/teams/"+fx.team.ID, "/v1/projects/"+fx.project.ID, "/v1/deployments/"+fx.prod.ID
	ops := []struct{ method, path string }{
		{"POST", "/v1/bootstrap"},
		{"POST", "/v1/users"},
		{"PATCH", "/v1/users/" + u.ID},
		{"POST", "/v1/tokens"},
		{"POST", "/v1/teams"},
		{"PATCH", team},
		{"POST", team + "/members"},
		{"PATCH", team + "/members/" + u.ID},
		{"POST", team + "/projects"},
		{"PATCH", proj},
		{"PUT", proj + "/env"},
		{"POST", proj + "/deployments"},
		{"PATCH", dep},
		{"PUT", dep + "/env"},
		{"DELETE", team}, // takes no body, or {}
	}
	token := fx.root.Token
	do := func(method, path, body string, ct bool) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if ct {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		s.h.ServeHTTP(rec, req)
		return rec
	}
	// state is everything a refused body must leave alone. Tokens are only
	// counted: a request updates its token's last use.
	state := func(t testing.TB) string {
		var b strings.Builder
		for _, p := range []string{"/v1/teams?limit=100", team, team + "/members?limit=100", team + "/projects?limit=100",
			proj, proj + "/env", proj + "/deployments?limit=100", dep, dep + "/env", "/v1/users?limit=100", "/v1/tokens?limit=100"} {
			rec := do("GET", p, "", false)
			if rec.Code != 200 {
				t.Fatalf("GET %s: %d %s", p, rec.Code, rec.Body)
			}
			body := rec.Body.String()
			if strings.HasPrefix(p, "/v1/tokens") {
				var l struct{ Items []json.RawMessage }
				if err := json.Unmarshal(rec.Body.Bytes(), &l); err != nil {
					t.Fatal(err)
				}
				body = strings.Repeat("token ", len(l.Items))
			}
			b.WriteString(p + " " + body + "\n")
		}
		return b.String()
	}

	f.Add(uint8(0), `{"email":"x@example.com"}`, true)
	f.Add(uint8(1), `{"email":"new@example.com","name":"New"}`, true)
	f.Add(uint8(1), `{"email":"not an address"}`, true)
	f.Add(uint8(2), `{"platformAdmin":"yes"}`, true)
	f.Add(uint8(3), `{"name":"ci","expiresAt":"tomorrow"}`, true)
	f.Add(uint8(4), `{"name":"Team 2","slug":"Bad--Slug"}`, true)
	f.Add(uint8(4), `{"name":"\u0000"}`, true)
	f.Add(uint8(4), `{"name":"x"} {"name":"y"}`, true)
	f.Add(uint8(4), `{"name":"x"}`, false)
	f.Add(uint8(5), `{"name":""}`, true)
	f.Add(uint8(6), `{"userId":"../x","role":"owner"}`, true)
	f.Add(uint8(7), `{"role":"god"}`, true)
	f.Add(uint8(8), `{"name":"P","sourceType":"local","sourceConfig":{"path":"../../etc"}}`, true)
	f.Add(uint8(9), `{"defaultBranch":"-x"}`, true)
	f.Add(uint8(10), `{"vars":{"1BAD":"v"}}`, true)
	f.Add(uint8(10), `{"vars":{"A":"\u0000"}}`, true)
	f.Add(uint8(11), `{"type":"preview","branch":"a..b"}`, true)
	f.Add(uint8(12), `{"branch":""}`, true)
	f.Add(uint8(13), `{"vars":{"A":1}}`, true)
	f.Add(uint8(14), `{"force":true}`, true)
	f.Add(uint8(4), `[`, true)
	f.Add(uint8(4), `{"name":1e400}`, true)

	before := state(f)
	f.Fuzz(func(t *testing.T, op uint8, body string, ct bool) {
		o := ops[int(op)%len(ops)]
		var m map[string]any
		if o.method == "DELETE" && (strings.TrimSpace(body) == "" || json.Unmarshal([]byte(body), &m) == nil && len(m) == 0) {
			return // a real deletion
		}
		rec := do(o.method, o.path, body, ct)
		if rec.Code < 300 {
			before = state(t) // accepted: this is the new state
			return
		}
		if rec.Code < 400 || rec.Code >= 500 {
			t.Fatalf("%s %s %q: status %d, want 2xx or 4xx: %s", o.method, o.path, body, rec.Code, rec.Body)
		}
		var e struct {
			Error struct{ Code, Message string }
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s %q: %d with error body %q (%v), want a code and a message", o.method, o.path, body, rec.Code, rec.Body, err)
		}
		if ctype := rec.Header().Get("Content-Type"); !strings.HasPrefix(ctype, "application/json") {
			t.Fatalf("error Content-Type %q", ctype)
		}
		if after := state(t); after != before {
			t.Fatalf("%s %s %q refused with %d %s but changed the state:\nbefore %s\nafter %s", o.method, o.path, body, rec.Code, rec.Body, before, after)
		}
	})
}
