package httpapi_test

import (
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

func TestAuthentication(t *testing.T) {
	var skew atomic.Int64 // how far the Admin's clock is ahead
	clock := admin.WithClock(func() time.Time { return time.Now().Add(time.Duration(skew.Load())) })
	s := newServer(t, &apitest.Config{AdminOptions: []admin.Option{clock}}, nil)
	f := newFixture(t, s)

	var short, revoked apitest.NewToken
	f.root.Do("POST", "/v1/tokens", map[string]string{"name": "short", "ttl": "1m"}).Must(t, 201, &short)
	f.root.Do("POST", "/v1/tokens", map[string]string{"name": "revoked"}).Must(t, 201, &revoked)
	f.root.Do("DELETE", "/v1/tokens/"+revoked.Token.ID, nil).Must(t, 204, nil)
	// A user who is then deleted.
	var gone admin.User
	f.root.Do("POST", "/v1/users", map[string]string{"email": "gone@example.com", "name": "Gone"}).Must(t, 201, &gone)
	_, goneSecret, err := s.Admin.CreateToken(apitest.As(gone.ID), admin.NewToken{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	f.root.Do("DELETE", "/v1/users/"+gone.ID, nil).Must(t, 204, nil)
	skew.Store(int64(2 * time.Minute))

	cases := []struct {
		name, header string
		invalidToken bool // WWW-Authenticate carries error="invalid_token"
		msg          string
	}{
		{"no credentials", "", false, "authentication required"},
		{"other scheme", "Basic cm9vdDpyb290", false, "authentication required"},
		{"not an API token", "Bearer hello", false, "authentication required"},
		{"unknown token", "Bearer mat_" + strings.Repeat("a", 52), true, "invalid, expired or revoked"},
		{"overlong token", "Bearer mat_" + strings.Repeat("a", 500), true, "invalid, expired or revoked"},
		{"expired token", "Bearer " + short.Secret, true, "invalid, expired or revoked"},
		{"revoked token", "Bearer " + revoked.Secret, true, "invalid, expired or revoked"},
		{"token of a deleted user", "Bearer " + goneSecret, true, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl := *s.anon
			cl.T = t
			r := cl.DoWith("PATCH", "/v1/teams/"+f.team.ID, map[string]string{"name": "Hijacked"}, http.Header{"Authorization": {c.header}})
			if r.Status != http.StatusUnauthorized {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			if e := r.Err(t); e.Code != "unauthenticated" || !strings.Contains(e.Message, c.msg) {
				t.Fatalf("error %+v", e)
			}
			wa := r.Header.Get("WWW-Authenticate")
			if !strings.HasPrefix(wa, `Bearer realm="mastra-admin"`) || strings.Contains(wa, "invalid_token") != c.invalidToken {
				t.Fatalf("WWW-Authenticate = %q", wa)
			}
		})
	}
	var team admin.Team
	f.root.Do("GET", "/v1/teams/"+f.team.ID, nil).Must(t, 200, &team)
	if team.Name != "Team" {
		t.Fatalf("the team was renamed to %q", team.Name)
	}
}

// TestTeamScopedToken: a token limited to one team cannot reach another
// team's objects, nor create teams.
func TestTeamScopedToken(t *testing.T) {
	s := newServer(t, nil, nil)
	f := newFixture(t, s)
	var otherTeam admin.Team
	f.root.Do("POST", "/v1/teams", map[string]string{"name": "Other"}).Must(t, 201, &otherTeam)
	var scoped apitest.NewToken
	f.root.Do("POST", "/v1/tokens", map[string]string{"name": "scoped", "teamId": otherTeam.ID}).Must(t, 201, &scoped)
	c := f.root.As(scoped.Secret)
	c.Do("GET", "/v1/teams/"+otherTeam.ID, nil).Must(t, 200, nil)
	for _, req := range []struct{ method, path string }{
		{"GET", "/v1/teams/" + f.team.ID},
		{"PATCH", "/v1/projects/" + f.project.ID},
		{"PUT", "/v1/projects/" + f.project.ID + "/env"},
		{"POST", "/v1/deployments/" + f.prod.ID + "/deploy"},
		{"POST", "/v1/teams"},
		{"GET", "/v1/users"},
	} {
		var body any
		switch req.method {
		case "PATCH", "POST":
			body = map[string]string{"name": "Hijacked"}
		case "PUT":
			body = map[string]any{"vars": map[string]string{"KEEP": "overwritten"}}
		}
		if req.path == "/v1/deployments/"+f.prod.ID+"/deploy" {
			body = nil
		}
		r := c.Do(req.method, req.path, body)
		if r.Status != http.StatusForbidden || r.Err(t).Code != "forbidden" {
			t.Errorf("%s %s with a token of another team: %d %s", req.method, req.path, r.Status, r.Body)
		}
	}
	var p admin.Project
	f.root.Do("GET", "/v1/projects/"+f.project.ID, nil).Must(t, 200, &p)
	var builds list[admin.Build]
	f.root.Do("GET", "/v1/deployments/"+f.prod.ID+"/builds", nil).Must(t, 200, &builds)
	if p.Name != "Project" || p.Version != f.project.Version || len(builds.Items) != 0 {
		t.Fatalf("the project changed: %+v, %d builds", p, len(builds.Items))
	}
}

// TestAuthenticatorChain: authenticators are asked in order; a failure
// that is not "no credentials" is the answer; other errors are 500.
func TestAuthenticatorChain(t *testing.T) {
	boom := errors.New("directory unreachable")
	var calls []string
	named := func(name string, p admin.Principal, err error) httpapi.Authenticator {
		return httpapi.AuthenticatorFunc(func(r *http.Request) (admin.Principal, error) {
			calls = append(calls, name)
			return p, err
		})
	}
	env := apitest.New(t, nil)
	u, err := env.Admin.Bootstrap(t.Context(), admin.NewUser{Email: "a@example.com", Name: "A"})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		chain  []httpapi.Authenticator
		status int
		calls  string
	}{
		{"first applies", []httpapi.Authenticator{named("a", admin.Principal{UserID: u.ID}, nil), named("b", admin.Principal{}, boom)}, 200, "a"},
		{"second applies", []httpapi.Authenticator{named("a", admin.Principal{}, httpapi.ErrNoCredentials), named("b", admin.Principal{UserID: u.ID}, nil)}, 200, "a,b"},
		{"none applies", []httpapi.Authenticator{named("a", admin.Principal{}, httpapi.ErrNoCredentials)}, 401, "a"},
		{"backend failure", []httpapi.Authenticator{named("a", admin.Principal{}, boom)}, 500, "a"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			calls = nil
			h, err := httpapi.New(env.Admin, &httpapi.Options{Authenticators: c.chain})
			if err != nil {
				t.Fatal(err)
			}
			rec := serve(h, "GET", "/v1/me", "")
			if rec.Code != c.status || strings.Join(calls, ",") != c.calls {
				t.Fatalf("status %d calls %v: %s", rec.Code, calls, rec.Body)
			}
			if c.status == 500 && strings.Contains(rec.Body.String(), "directory unreachable") {
				t.Fatalf("the internal error leaked: %s", rec.Body)
			}
		})
	}
}

func TestBearerToken(t *testing.T) {
	cases := []struct {
		name   string
		header http.Header
		query  string
		want   string
	}{
		{"header", http.Header{"Authorization": {"Bearer abc"}}, "", "abc"},
		{"lower-case scheme", http.Header{"Authorization": {"bearer abc"}}, "", "abc"},
		{"basic", http.Header{"Authorization": {"Basic abc"}}, "", ""},
		{"query without upgrade", nil, "access_token=abc", ""},
		{"query on an upgrade", http.Header{"Upgrade": {"websocket"}}, "access_token=abc", "abc"},
		{"subprotocol", http.Header{"Upgrade": {"websocket"}, "Sec-Websocket-Protocol": {"mastra-admin.v1, bearer.mat_x"}}, "", "mat_x"},
		{"header wins", http.Header{"Upgrade": {"websocket"}, "Authorization": {"Bearer h"}}, "access_token=q", "h"},
	}
	for _, c := range cases {
		r, _ := http.NewRequest("GET", "/v1/builds/b/logs/ws?"+c.query, nil)
		for k, v := range c.header {
			r.Header[http.CanonicalHeaderKey(k)] = v
		}
		if got := httpapi.BearerToken(r); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
