package admin_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const sha1 = "0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c"

func TestParseWebhook(t *testing.T) {
	repo := `"repository":{"full_name":"octo/agents","clone_url":"https://github.com/octo/agents.git","html_url":"https://github.com/octo/agents","default_branch":"main"}`
	for _, c := range []struct {
		name, event, body string
		want              admin.WebhookEvent
		err               bool
	}{
		{"push", "push", `{"ref":"refs/heads/feature/x","after":"` + sha1 + `",` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPush, Branch: "feature/x", Commit: sha1}, false},
		{"push deleted", "push", `{"ref":"refs/heads/x","after":"0000000000000000000000000000000000000000","deleted":true,` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventBranchDeleted, Branch: "x"}, false},
		{"push tag", "push", `{"ref":"refs/tags/v1","after":"` + sha1 + `",` + repo + `}`, admin.WebhookEvent{Kind: admin.EventIgnored}, false},
		{"push short sha", "push", `{"ref":"refs/heads/x","after":"0d1a26e",` + repo + `}`, admin.WebhookEvent{}, true},
		{"push bad branch", "push", `{"ref":"refs/heads/../x","after":"` + sha1 + `",` + repo + `}`, admin.WebhookEvent{}, true},
		{"push no repo", "push", `{"ref":"refs/heads/x","after":"` + sha1 + `"}`, admin.WebhookEvent{}, true},
		{"delete branch", "delete", `{"ref":"x","ref_type":"branch",` + repo + `}`, admin.WebhookEvent{Kind: admin.EventBranchDeleted, Branch: "x"}, false},
		{"delete tag", "delete", `{"ref":"v1","ref_type":"tag",` + repo + `}`, admin.WebhookEvent{Kind: admin.EventIgnored}, false},
		{"pr opened", "pull_request", `{"action":"opened","number":4,"pull_request":{"number":4,"state":"open","head":{"ref":"f","sha":"` + sha1 + `","repo":{"full_name":"octo/agents"}}},` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPullRequestUpdated, Number: 4, Branch: "f", Commit: sha1, HeadRepo: "octo/agents"}, false},
		{"pr gitea synchronized", "pull_request", `{"action":"synchronized","number":4,"pull_request":{"number":4,"state":"open","head":{"ref":"f","sha":"` + sha1 + `","repo":{"full_name":"octo/agents"}}},` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPullRequestUpdated, Number: 4, Branch: "f", Commit: sha1, HeadRepo: "octo/agents"}, false},
		{"pr fork", "pull_request", `{"action":"opened","number":4,"pull_request":{"number":4,"state":"open","head":{"ref":"f","sha":"` + sha1 + `","repo":{"full_name":"eve/agents"}}},` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPullRequestUpdated, Number: 4, Branch: "f", Commit: sha1, HeadRepo: "eve/agents", Fork: true}, false},
		{"pr deleted fork", "pull_request", `{"action":"opened","number":4,"pull_request":{"number":4,"state":"open","head":{"ref":"f","sha":"` + sha1 + `","repo":null}},` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPullRequestUpdated, Number: 4, Branch: "f", Commit: sha1, Fork: true}, false},
		{"pr closed", "pull_request", `{"action":"closed","number":4,"pull_request":{"number":4,"state":"closed","merged":true},` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPullRequestClosed, Number: 4}, false},
		{"pr closed at", "pull_request", `{"action":"closed","number":4,"pull_request":{"number":4,"state":"closed","updated_at":"2026-05-04T10:00:01Z","closed_at":"2026-05-04T10:00:02Z"},` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPullRequestClosed, Number: 4, At: time.Date(2026, 5, 4, 10, 0, 2, 0, time.UTC)}, false},
		{"pr updated at", "pull_request", `{"action":"synchronize","number":4,"pull_request":{"number":4,"state":"open","updated_at":"2026-05-04T12:00:01+02:00","head":{"ref":"f","sha":"` + sha1 + `","repo":{"full_name":"octo/agents"}}},` + repo + `}`,
			admin.WebhookEvent{Kind: admin.EventPullRequestUpdated, Number: 4, Branch: "f", Commit: sha1, HeadRepo: "octo/agents", At: time.Date(2026, 5, 4, 10, 0, 1, 0, time.UTC)}, false},
		{"pr bad updated_at", "pull_request", `{"action":"opened","number":4,"pull_request":{"number":4,"state":"open","updated_at":"yesterday","head":{"ref":"f","sha":"` + sha1 + `"}},` + repo + `}`, admin.WebhookEvent{}, true},
		{"pr labeled", "pull_request", `{"action":"labeled","number":4,"pull_request":{"number":4},` + repo + `}`, admin.WebhookEvent{Kind: admin.EventIgnored, Number: 4}, false},
		{"pr no number", "pull_request", `{"action":"opened","pull_request":{"head":{"sha":"` + sha1 + `"}},` + repo + `}`, admin.WebhookEvent{}, true},
		{"pr negative", "pull_request", `{"action":"closed","number":-1,"pull_request":{"number":-1},` + repo + `}`, admin.WebhookEvent{}, true},
		{"not json", "push", `{"ref":`, admin.WebhookEvent{}, true},
		{"ping", "ping", `not even json`, admin.WebhookEvent{Kind: admin.EventIgnored}, false},
		{"no event", "", `{}`, admin.WebhookEvent{}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := admin.ParseWebhook(c.event, []byte(c.body))
			if c.err {
				if !errors.Is(err, admin.ErrInvalidArgument) {
					t.Fatalf("ParseWebhook = %+v, %v; want ErrInvalidArgument", got, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != c.want.Kind || got.Branch != c.want.Branch || got.Commit != c.want.Commit ||
				got.Number != c.want.Number || got.HeadRepo != c.want.HeadRepo || got.Fork != c.want.Fork || !got.At.Equal(c.want.At) {
				t.Errorf("ParseWebhook = %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestRepoKey(t *testing.T) {
	same := []string{"https://github.com/Octo/Agents.git", "https://github.com/octo/agents", "http://GitHub.com:80/octo/agents/",
		"https://user@github.com:443/octo/agents.git"}
	for _, u := range same {
		if admin.RepoKey(u) != "github.com/octo/agents" {
			t.Errorf("RepoKey(%q) = %q", u, admin.RepoKey(u))
		}
	}
	for _, u := range []string{"https://github.com:8443/octo/agents", "https://github.com/octo/agents2", "https://example.com/octo/agents"} {
		if admin.RepoKey(u) == "github.com/octo/agents" {
			t.Errorf("RepoKey(%q) matches another repository", u)
		}
	}
	for _, u := range []string{"", "git@github.com:octo/agents.git", "file:///srv/agents", "ssh://github.com/octo/agents"} {
		if k := admin.RepoKey(u); k != "" {
			t.Errorf("RepoKey(%q) = %q, want none", u, k)
		}
	}
}

func TestVerifyWebhookSignature(t *testing.T) {
	body := []byte(`{"zen":"x"}`)
	mac := hmac.New(sha256.New, []byte("s"))
	mac.Write(body)
	sum := hex.EncodeToString(mac.Sum(nil))
	if err := admin.VerifyWebhookSignature(admin.WebhookGitHub, []byte("s"), body, "sha256="+sum); err != nil {
		t.Errorf("GitHub signature: %v", err)
	}
	if err := admin.VerifyWebhookSignature(admin.WebhookGitea, []byte("s"), body, sum); err != nil {
		t.Errorf("Gitea signature: %v", err)
	}
	if err := admin.VerifyWebhookSignature(admin.WebhookGitHub, []byte("s"), body, "sha256="+strings.ToUpper(sum)); err != nil {
		t.Errorf("upper-case hex: %v", err)
	}
	// ghinstallation's ValidatePayload skips the check when secret and
	// signature are both empty; this never does.
	for _, c := range [][2]string{{"", ""}, {"", "sha256="}, {"s", ""}, {"s", "sha256="}} {
		if err := admin.VerifyWebhookSignature(admin.WebhookGitHub, []byte(c[0]), body, c[1]); !errors.Is(err, admin.ErrUnauthenticated) {
			t.Errorf("secret %q, signature %q: %v", c[0], c[1], err)
		}
	}
}

// FuzzParseWebhook: whatever the body, ParseWebhook never panics, and an
// event it acts on is well formed (a full commit id where one is needed, a
// valid branch, a positive PR number, a named repository).
func FuzzParseWebhook(f *testing.F) {
	repo := `"repository":{"full_name":"octo/agents","clone_url":"https://github.com/octo/agents.git"}`
	f.Add("push", `{"ref":"refs/heads/main","after":"`+sha1+`",`+repo+`}`)
	f.Add("push", `{"ref":"refs/heads/x","deleted":true,`+repo+`}`)
	f.Add("delete", `{"ref":"x","ref_type":"branch",`+repo+`}`)
	f.Add("pull_request", `{"action":"opened","number":4,"pull_request":{"number":4,"state":"open","head":{"ref":"f","sha":"`+sha1+`","repo":{"full_name":"eve/agents"}}},`+repo+`}`)
	f.Add("pull_request", `{"action":"closed","number":4,"pull_request":{"number":4}}`)
	f.Fuzz(func(t *testing.T, event, body string) {
		ev, err := admin.ParseWebhook(event, []byte(body))
		if err != nil {
			if !errors.Is(err, admin.ErrInvalidArgument) {
				t.Fatalf("error %v is not ErrInvalidArgument", err)
			}
			return
		}
		switch ev.Kind {
		case admin.EventIgnored:
			return
		case admin.EventPush, admin.EventPullRequestUpdated:
			if len(ev.Commit) != 40 && len(ev.Commit) != 64 {
				t.Fatalf("%s with commit %q", ev.Kind, ev.Commit)
			}
		}
		if ev.RepoFullName == "" {
			t.Fatalf("%s without a repository", ev.Kind)
		}
		if (ev.Kind == admin.EventPullRequestUpdated || ev.Kind == admin.EventPullRequestClosed) && ev.Number <= 0 {
			t.Fatalf("%s with number %d", ev.Kind, ev.Number)
		}
		if (ev.Kind == admin.EventPush || ev.Kind == admin.EventBranchDeleted) &&
			(ev.Branch == "" || strings.Contains(ev.Branch, "..") || strings.HasPrefix(ev.Branch, "-")) {
			t.Fatalf("%s of branch %q", ev.Kind, ev.Branch)
		}
	})
}
