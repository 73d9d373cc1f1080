package apitest

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/embedded"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// Smoke walks a served API end to end, as the README's walk-through does:
// bootstrap, /v1/me, a team, a project from the local source (it must offer
// ProjectPath, as an Env's ProjectsDir does), a deploy
// followed over the WebSocket to its end (the upgrade must pass through
// whatever router serves the API), the stored log, and a stop. baseURL is
// where /v1 is served.
func Smoke(t *testing.T, baseURL string) {
	t.Helper()
	anon := &Client{T: t, URL: baseURL}
	root, boot := anon.Bootstrap("root@example.com")
	var me admin.User
	root.Do("GET", "/v1/me", nil).Must(t, http.StatusOK, &me)
	if me.ID != boot.User.ID {
		t.Fatalf("GET /v1/me = %s, want %s", me.ID, boot.User.ID)
	}
	if r := anon.Do("GET", "/v1/me", nil); r.Status != http.StatusUnauthorized {
		t.Fatalf("anonymous GET /v1/me: %d", r.Status)
	}
	var team admin.Team
	root.Do("POST", "/v1/teams", map[string]string{"name": "Smoke"}).Must(t, http.StatusCreated, &team)
	var p admin.Project
	root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Smoke Agent", "sourceType": "local",
		"sourceConfig": map[string]string{"path": ProjectPath}}).Must(t, http.StatusCreated, &p)
	var deps struct {
		Items []admin.Deployment `json:"items"`
	}
	root.Do("GET", "/v1/projects/"+p.ID+"/deployments", nil).Must(t, http.StatusOK, &deps)
	prod := deps.Items[0]
	t.Cleanup(func() { root.Do("POST", "/v1/deployments/"+prod.ID+"/stop", nil) })

	var b admin.Build
	root.Do("POST", "/v1/deployments/"+prod.ID+"/deploy", nil).Must(t, http.StatusAccepted, &b)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ws := "ws" + strings.TrimPrefix(baseURL, "http") + "/v1/builds/" + b.ID + "/logs/ws"
	c, _, err := websocket.Dial(ctx, ws, &websocket.DialOptions{Subprotocols: []string{httpapi.Subprotocol, "bearer." + root.Token}})
	if err != nil {
		t.Fatalf("WebSocket through the router: %v", err)
	}
	defer c.CloseNow()
	c.SetReadLimit(1 << 20)
	lines := 0
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			t.Fatalf("the stream ended without an end message after %d lines: %v", lines, err)
		}
		var m httpapi.StreamMessage
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type == httpapi.MessageLog {
			if m.Seq != int64(lines) {
				t.Fatalf("line %d has seq %d", lines, m.Seq)
			}
			lines++
		}
		if m.Type == httpapi.MessageEnd {
			if m.Build.Status != admin.BuildSucceeded {
				t.Fatalf("build %s: %s", m.Build.Status, m.Build.Error)
			}
			break
		}
	}
	if _, _, err := c.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after the end message: %v", err)
	}
	if lines == 0 {
		t.Fatal("no log line streamed")
	}
	r := root.Do("GET", "/v1/builds/"+b.ID+"/logs", nil).Must(t, http.StatusOK, nil)
	if n := strings.Count(string(r.Body), "\n"); n != lines {
		t.Fatalf("stored log has %d lines, streamed %d", n, lines)
	}
	root.Do("POST", "/v1/deployments/"+prod.ID+"/stop", nil).Must(t, http.StatusNoContent, nil)
}

// CheckExample is the test of an example server: it serves the API through
// the example's mount (ServeExample), walks it (Smoke: REST calls, a
// deploy, the build-log WebSocket upgraded through the application's
// router), and checks that the application's own GET /healthz still
// answers beside it.
func CheckExample(t *testing.T, mount func(api http.Handler) http.Handler) {
	t.Helper()
	url := ServeExample(t, mount)
	Smoke(t, url)
	resp, err := http.Get(url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the application's own route: %d", resp.StatusCode)
	}
}

// ServeExample serves the API as the example servers do (embedded.Run,
// with mount putting it into their router) on a free loopback port, with
// ProjectsDir offering the fake project at ProjectPath and no proxy, and
// returns its base URL. The server stops when the test ends; Run must then
// return no error.
func ServeExample(t *testing.T, mount func(api http.Handler) http.Handler) string {
	t.Helper()
	projects := t.TempDir()
	if err := runnertest.WriteFakeProject(filepath.Join(projects, ProjectPath)); err != nil {
		t.Fatal(err)
	}
	cfg := embedded.Config{Addr: "127.0.0.1:0", ProjectsDir: projects, DataDir: filepath.Join(t.TempDir(), "data"),
		Runner: &runnerlocal.Options{BuildMode: runnerlocal.BuildPlain}} // the fake project stands in for Mastra
	ctx, cancel := context.WithCancel(context.Background())
	addr, done := make(chan string, 1), make(chan error, 1)
	go func() { done <- embedded.Run(ctx, cfg, mount, func(a string) { addr <- a }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("the server stopped with %v", err)
		}
	})
	select {
	case a := <-addr:
		return "http://" + a
	case err := <-done:
		t.Fatalf("the server did not start: %v", err)
	case <-time.After(time.Minute):
		t.Fatal("the server did not start within a minute")
	}
	return ""
}
