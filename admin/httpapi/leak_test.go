package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// TestSecretsNeverLeak runs a full scenario — bootstrap, tokens, env vars
// (valid and refused), a deploy followed over a WebSocket authenticated by
// query parameter, failures — with every part logging JSON at debug level,
// and then looks for each secret in every log line and every response
// body but the one response that hands it out.
func TestSecretsNeverLeak(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm and a server")
	}
	s := newServer(t, &apitest.Config{Start: true}, nil)
	var handedOut []string // the bodies that legitimately carry a secret
	root, boot := s.anon.Bootstrap("root@example.com")
	handedOut = append(handedOut, strings.TrimSpace(lastBody(s)))

	secrets := map[string]string{"bootstrap token": boot.Secret, "license key": s.LicenseKey}
	key, err := os.ReadFile(filepath.Join(s.Stack.DataDir, "encryption.key"))
	if err != nil {
		t.Fatal(err)
	}
	secrets["encryption key"] = strings.TrimSpace(string(key))
	for i := range 3 {
		secrets[fmt.Sprintf("env value %d", i)] = fmt.Sprintf("sk-live-%d-7f3a9c2e51b8d046", i)
	}
	secrets["numeric env value"] = "904172635518273645"

	var team admin.Team
	root.Do("POST", "/v1/teams", map[string]string{"name": "Secretive"}).Must(t, 201, &team)
	var tok apitest.NewToken
	root.Do("POST", "/v1/tokens", map[string]string{"name": "ci", "teamId": team.ID}).Must(t, 201, &tok)
	handedOut = append(handedOut, strings.TrimSpace(lastBody(s)))
	secrets["team token"] = tok.Secret
	ci := root.As(tok.Secret)

	var p admin.Project
	ci.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Vault", "sourceType": "local",
		"sourceConfig": map[string]string{"path": apitest.ProjectPath}, "envVars": map[string]string{"API_KEY": secrets["env value 0"]}}).Must(t, 201, &p)
	ci.Do("PUT", "/v1/projects/"+p.ID+"/env", map[string]any{"vars": map[string]string{"DB_PASSWORD": secrets["env value 1"]}}).Must(t, 200, nil)
	// Refused writes that carry secrets.
	ci.Do("PUT", "/v1/projects/"+p.ID+"/env", `{"vars": {"1BAD": "`+secrets["env value 2"]+`"}}`).Must(t, 422, nil)
	ci.Do("PUT", "/v1/projects/"+p.ID+"/env", `{"vars": {"N": `+secrets["numeric env value"]+`}}`).Must(t, 400, nil)
	ci.Do("PUT", "/v1/projects/"+p.ID+"/env", `{"vars": {"X": "`+secrets["env value 2"]+`"}, "oops": 1}`).Must(t, 400, nil)
	ci.Do("PUT", "/v1/projects/"+p.ID+"/env", `{"vars": {"X": "`+secrets["env value 2"]+`"`).Must(t, 400, nil)
	root.As(secrets["env value 2"]).Do("GET", "/v1/me", nil).Must(t, 401, nil)
	root.As("mat_"+secrets["env value 2"]).Do("GET", "/v1/me", nil).Must(t, 401, nil)
	var deps list[admin.Deployment]
	ci.Do("GET", "/v1/projects/"+p.ID+"/deployments", nil).Must(t, 200, &deps)
	prod := deps.Items[0]
	t.Cleanup(func() { root.Do("POST", "/v1/deployments/"+prod.ID+"/stop", nil) })
	ci.Do("PUT", "/v1/deployments/"+prod.ID+"/env", map[string]any{"vars": map[string]string{"API_KEY": secrets["env value 2"]}}).Must(t, 200, nil)
	for _, path := range []string{"/v1/projects/" + p.ID, "/v1/projects/" + p.ID + "/env", "/v1/deployments/" + prod.ID,
		"/v1/deployments/" + prod.ID + "/env", "/v1/tokens", "/v1/license", "/v1/me", "/v1/audit?limit=500"} {
		root.Do("GET", path, nil).Must(t, 200, nil)
	}

	var b admin.Build
	ci.Do("POST", "/v1/deployments/"+prod.ID+"/deploy", nil).Must(t, 202, &b)
	c, _, err := websocket.Dial(context.Background(), wsURL(s, "/v1/builds/"+b.ID+"/logs/ws?access_token="+tok.Secret), nil)
	if err != nil {
		t.Fatal(err)
	}
	var frames strings.Builder
	for {
		_, data, err := c.Read(context.Background())
		if err != nil {
			break
		}
		frames.Write(data)
	}
	ci.Do("GET", "/v1/builds/"+b.ID+"/logs", nil).Must(t, 200, nil)
	ci.Do("GET", "/v1/builds/"+b.ID, nil).Must(t, 200, &b)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build %s: %s", b.Status, b.Error)
	}
	ci.Do("POST", "/v1/deployments/"+prod.ID+"/stop", nil).Must(t, 204, nil)

	bodies := s.seen.String()
	for _, h := range handedOut {
		bodies = strings.Replace(bodies, h, "", 1)
	}
	logs := s.Logs.String()
	if !strings.Contains(logs, `"route":"GET /v1/builds/{id}/logs/ws"`) {
		t.Fatal("the access log is missing: the test would prove nothing")
	}
	for name, secret := range secrets {
		if strings.Contains(logs, secret) {
			t.Errorf("the %s appears in the logs", name)
		}
		if strings.Contains(bodies, secret) {
			t.Errorf("the %s appears in a response body", name)
		}
		if strings.Contains(frames.String(), secret) {
			t.Errorf("the %s appears in a WebSocket message", name)
		}
	}
}

// lastBody returns the body of the last response the server's clients
// recorded.
func lastBody(s *server) string {
	all := s.seen.String()
	i := strings.LastIndex(all, " -> ")
	if i < 0 {
		return ""
	}
	_, body, _ := strings.Cut(all[i:], "\n")
	return body
}

var _ = http.StatusOK
