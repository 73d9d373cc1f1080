package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
	"github.com/mastra-admin/mastra-admin-go/source/git"
	"github.com/mastra-admin/mastra-admin-go/source/git/gittest"
)

// These tests send deliveries signed here, shaped like GitHub's samples,
// to the API over HTTP; the repository is served by a real git server
// (gittest). No real GitHub is reachable from here.

const webhookSecret = "s3cret-for-webhooks"

func hmacHex(body []byte) string {
	m := hmac.New(sha256.New, []byte(webhookSecret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

type hookServer struct {
	*server
	root *apitest.Client
	repo *gittest.Repo
}

func newHookServer(t *testing.T) *hookServer {
	t.Helper()
	gs := gittest.NewServer(t, "")
	repo := gs.NewRepo(t, "agents")
	if err := runnertest.WriteFakeProject(repo.WorkDir()); err != nil {
		t.Fatal(err)
	}
	repo.CommitAll(t, "main", "first")
	src, err := git.New(&git.Options{CacheDir: t.TempDir(), AllowHTTP: true})
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(t, &apitest.Config{AdminOptions: []admin.Option{admin.WithSource(src),
		admin.WithWebhookSecret(admin.WebhookGitHub, []byte(webhookSecret)),
		admin.WithWebhookSecret(admin.WebhookGitea, []byte(webhookSecret))}}, nil)
	root, _ := s.anon.Bootstrap("root@example.com")
	return &hookServer{server: s, root: root, repo: repo}
}

func (s *hookServer) send(t *testing.T, path string, body []byte, h map[string]string) *apitest.Response {
	t.Helper()
	hdr := http.Header{}
	for k, v := range h {
		hdr.Set(k, v)
	}
	return s.anon.DoWith("POST", path, body, hdr)
}

func githubHeaders(event, delivery string, body []byte) map[string]string {
	return map[string]string{"X-GitHub-Event": event, "X-GitHub-Delivery": delivery,
		"X-Hub-Signature-256": "sha256=" + hmacHex(body), "User-Agent": "GitHub-Hookshot/044aadd"}
}

func TestWebhookEndpoint(t *testing.T) {
	s := newHookServer(t)
	var team admin.Team
	s.root.Do("POST", "/v1/teams", map[string]string{"name": "T"}).Must(t, http.StatusCreated, &team)
	var p admin.Project
	s.root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Agents", "sourceType": "git",
		"sourceConfig": map[string]string{"url": s.repo.URL}, "defaultBranch": "main"}).Must(t, http.StatusCreated, &p)
	head := s.repo.Commit(t, "patch-1", map[string]string{"x.ts": "1\n"}, "from a fork")
	repo := map[string]any{"full_name": "octo/agents", "clone_url": s.repo.URL, "default_branch": "main"}
	pr, _ := json.Marshal(map[string]any{"action": "opened", "number": 9, "repository": repo,
		"pull_request": map[string]any{"number": 9, "state": "open",
			"head": map[string]any{"ref": "patch-1", "sha": head, "repo": map[string]any{"full_name": "mallory/agents"}}}})

	// Refused: no signature, a wrong one, a tampered body; nothing stored.
	for name, h := range map[string]map[string]string{
		"no signature": {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1"},
		"wrong":        {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1", "X-Hub-Signature-256": "sha256=" + strings.Repeat("0", 64)},
		"sha1":         {"X-GitHub-Event": "pull_request", "X-GitHub-Delivery": "d-1", "X-Hub-Signature": "sha1=" + strings.Repeat("0", 40)},
	} {
		if r := s.send(t, "/v1/webhooks/github", pr, h); r.Status != http.StatusUnauthorized {
			t.Errorf("%s: status %d %s, want 401", name, r.Status, r.Body)
		}
	}
	if r := s.send(t, "/v1/webhooks/github", append([]byte(" "), pr...), githubHeaders("pull_request", "d-1", pr)); r.Status != http.StatusUnauthorized {
		t.Errorf("tampered body: %d", r.Status)
	}
	var deps struct{ Items []*admin.Deployment }
	s.root.Do("GET", "/v1/projects/"+p.ID+"/deployments", nil).Must(t, http.StatusOK, &deps)
	if len(deps.Items) != 1 {
		t.Fatalf("refused deliveries made deployments: %d", len(deps.Items))
	}

	// Accepted: a fork's PR waits for approval.
	var res admin.WebhookResult
	s.send(t, "/v1/webhooks/github", pr, githubHeaders("pull_request", "d-1", pr)).Must(t, http.StatusAccepted, &res)
	if res.Duplicate || len(res.Actions) != 1 || res.Actions[0].Action != "await-approval" {
		t.Fatalf("fork PR: %+v", res)
	}
	dep := res.Actions[0].DeploymentID
	// A redelivery does nothing.
	s.send(t, "/v1/webhooks/github", pr, githubHeaders("pull_request", "d-1", pr)).Must(t, http.StatusAccepted, &res)
	if !res.Duplicate {
		t.Errorf("redelivery: %+v, want duplicate", res)
	}
	var prev admin.Preview
	s.root.Do("GET", "/v1/deployments/"+dep+"/preview", nil).Must(t, http.StatusOK, &prev)
	if !prev.Fork || prev.HeadSHA != head || prev.Number != 9 {
		t.Errorf("preview %+v", prev)
	}
	if r := s.root.Do("POST", "/v1/deployments/"+dep+"/deploy", nil); r.Status != http.StatusConflict {
		t.Errorf("deploying an unapproved fork preview: %d %s", r.Status, r.Body)
	}
	if r := s.root.Do("POST", "/v1/deployments/"+dep+"/approve", map[string]string{"commit": strings.Repeat("a", 40)}); r.Status != http.StatusConflict {
		t.Errorf("approving another commit: %d %s", r.Status, r.Body)
	}
	var b admin.Build
	s.root.Do("POST", "/v1/deployments/"+dep+"/approve", map[string]string{"commit": head}).Must(t, http.StatusAccepted, &b)
	if b.Ref != head || b.Status != admin.BuildQueued {
		t.Errorf("approved build %+v", b)
	}
	if r := s.anon.Do("POST", "/v1/deployments/"+dep+"/approve", map[string]string{"commit": head}); r.Status != http.StatusUnauthorized {
		t.Errorf("anonymous approval: %d", r.Status)
	}

	// Gitea's scheme: a bare hex signature under X-Gitea-Signature.
	closed, _ := json.Marshal(map[string]any{"action": "closed", "number": 9, "repository": repo,
		"pull_request": map[string]any{"number": 9, "state": "closed"}})
	gh := map[string]string{"X-Gitea-Event": "pull_request", "X-Gitea-Delivery": "g-1", "X-Gitea-Signature": hmacHex(closed)}
	s.send(t, "/v1/webhooks/gitea", closed, gh).Must(t, http.StatusAccepted, &res)
	if len(res.Actions) != 1 || res.Actions[0].Action != "teardown" {
		t.Errorf("gitea close: %+v", res)
	}
	// GitHub's header on the Gitea endpoint is no signature.
	if r := s.send(t, "/v1/webhooks/gitea", closed, githubHeaders("pull_request", "g-2", closed)); r.Status != http.StatusUnauthorized {
		t.Errorf("a GitHub signature on the Gitea endpoint: %d", r.Status)
	}

	// Form-encoded bodies, oversized bodies.
	hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	for k, v := range githubHeaders("ping", "d-9", []byte("payload=%7B%7D")) {
		hdr.Set(k, v)
	}
	if r := s.anon.DoWith("POST", "/v1/webhooks/github", "payload=%7B%7D", hdr); r.Status != http.StatusUnsupportedMediaType {
		t.Errorf("form body: %d", r.Status)
	}
	big := make([]byte, admin.MaxWebhookBody+1)
	if r := s.send(t, "/v1/webhooks/github", big, githubHeaders("push", "d-10", big)); r.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", r.Status)
	}
}

// TestPreviewEnvVars: a project's preview env vars have their own routes:
// set (values never returned), listed apart from the project's vars of
// the same name, deleted alone; a bad name is refused, naming the field.
func TestPreviewEnvVars(t *testing.T) {
	s := newHookServer(t)
	var team admin.Team
	s.root.Do("POST", "/v1/teams", map[string]string{"name": "T"}).Must(t, http.StatusCreated, &team)
	var p admin.Project
	s.root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Agents", "sourceType": "git",
		"sourceConfig": map[string]string{"url": s.repo.URL}, "defaultBranch": "main",
		"envVars": map[string]string{"API_URL": "https://api.example.com"}}).Must(t, http.StatusCreated, &p)
	var env struct{ Items []admin.EnvVarInfo }
	r := s.root.Do("PUT", "/v1/projects/"+p.ID+"/preview-env", map[string]any{"vars": map[string]string{
		"API_URL": "https://staging.example.com", "STRIPE_KEY": "sk_test_preview"}}).Must(t, http.StatusOK, &env)
	if len(env.Items) != 2 || env.Items[0].Scope != admin.EnvScopePreview || strings.Contains(string(r.Body), "staging.example") ||
		strings.Contains(string(r.Body), "sk_test_preview") {
		t.Fatalf("PUT preview-env = %s", r.Body)
	}
	env.Items = nil // omitted fields would keep the values decoded before
	s.root.Do("GET", "/v1/projects/"+p.ID+"/env", nil).Must(t, http.StatusOK, &env)
	if len(env.Items) != 1 || env.Items[0].Name != "API_URL" || env.Items[0].Scope != "" {
		t.Errorf("the project's env vars %+v, want its own API_URL only", env.Items)
	}
	s.root.Do("DELETE", "/v1/projects/"+p.ID+"/preview-env/API_URL", nil).Must(t, http.StatusNoContent, nil)
	env.Items = nil
	s.root.Do("GET", "/v1/projects/"+p.ID+"/preview-env", nil).Must(t, http.StatusOK, &env)
	if len(env.Items) != 1 || env.Items[0].Name != "STRIPE_KEY" {
		t.Errorf("preview env vars after the delete %+v, want STRIPE_KEY", env.Items)
	}
	env.Items = nil
	s.root.Do("GET", "/v1/projects/"+p.ID+"/env", nil).Must(t, http.StatusOK, &env)
	if len(env.Items) != 1 || env.Items[0].Name != "API_URL" || env.Items[0].Scope != "" {
		t.Errorf("deleting the preview API_URL touched the project's: %+v", env.Items)
	}
	if r := s.root.Do("PUT", "/v1/projects/"+p.ID+"/preview-env", map[string]any{"vars": map[string]string{"1BAD": "x"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(string(r.Body), "1BAD") {
		t.Errorf("a bad name: %d %s, want 422 naming it", r.Status, r.Body)
	}
	s.root.Do("DELETE", "/v1/projects/"+p.ID+"/preview-env/API_URL", nil).Must(t, http.StatusNotFound, nil)
}
