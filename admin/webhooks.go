package admin

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Webhook providers: the signature scheme and payload dialect of a
// delivery.
const (
	// WebhookGitHub: X-Hub-Signature-256 "sha256=<hex HMAC-SHA256>",
	// X-GitHub-Event, X-GitHub-Delivery.
	WebhookGitHub = "github"
	// WebhookGitea (Gitea and Forgejo): X-Gitea-Signature "<hex
	// HMAC-SHA256>", X-Gitea-Event, X-Gitea-Delivery.
	WebhookGitea = "gitea"
)

// MaxWebhookBody is the largest webhook body accepted (GitHub caps its
// payloads at 25 MB; pushes with many commits come close to a few MB).
const MaxWebhookBody = 25 << 20

// DefaultDeliveryRetention is how long delivery ids are kept to recognise
// redeliveries (GitHub lets users redeliver for 3 days).
const DefaultDeliveryRetention = 7 * 24 * time.Hour

// VerifyWebhookSignature checks signature, the value of the provider's
// signature header, against the HMAC-SHA256 of body under secret, in
// constant time. An empty secret or signature never verifies.
func VerifyWebhookSignature(provider string, secret []byte, body []byte, signature string) error {
	if len(secret) == 0 {
		return fmt.Errorf("no webhook secret is configured for %s: %w", provider, ErrUnauthenticated)
	}
	hexSig := signature
	switch provider {
	case WebhookGitHub:
		var ok bool
		if hexSig, ok = strings.CutPrefix(signature, "sha256="); !ok {
			return fmt.Errorf("the X-Hub-Signature-256 header is missing or not sha256=<hex>: %w", ErrUnauthenticated)
		}
	case WebhookGitea:
	default:
		return invalid("provider", "%q is not one of %s, %s", provider, WebhookGitHub, WebhookGitea)
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("the %s signature is missing or not a hex SHA-256 HMAC: %w", provider, ErrUnauthenticated)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write(body)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return fmt.Errorf("the %s signature does not match the body: %w", provider, ErrUnauthenticated)
	}
	return nil
}

// WebhookEventKind is what a parsed delivery asks for.
type WebhookEventKind string

// Webhook event kinds.
const (
	// EventPush: commits pushed to a branch (Commit is the new head).
	EventPush WebhookEventKind = "push"
	// EventBranchDeleted: a branch was deleted.
	EventBranchDeleted WebhookEventKind = "branch-deleted"
	// EventPullRequestUpdated: a pull request opened, reopened or got new
	// commits (Commit is its head).
	EventPullRequestUpdated WebhookEventKind = "pull-request-updated"
	// EventPullRequestClosed: a pull request closed, merged or not.
	EventPullRequestClosed WebhookEventKind = "pull-request-closed"
	// EventIgnored: anything else (ping, tags, labels, …): answered, not
	// acted on.
	EventIgnored WebhookEventKind = "ignored"
)

// WebhookEvent is the part of a delivery the platform acts on.
type WebhookEvent struct {
	Kind WebhookEventKind `json:"kind"`
	// Repository identifies the repository: its clone and web URLs and
	// full name (owner/name).
	RepoURLs     []string `json:"repoUrls"`
	RepoFullName string   `json:"repoFullName"`
	// DefaultBranch is the repository's default branch, when said.
	DefaultBranch string `json:"defaultBranch,omitempty"`
	// Branch is the pushed or deleted branch, or a pull request's head
	// branch.
	Branch string `json:"branch,omitempty"`
	// Commit is the pushed head, or the pull request's head commit.
	Commit string `json:"commit,omitempty"`
	// Number is the pull request's number.
	Number int `json:"number,omitempty"`
	// HeadRepo is the full name of the repository a pull request's head
	// lives in; Fork is true when it is not RepoFullName (or is gone).
	HeadRepo string `json:"headRepo,omitempty"`
	Fork     bool   `json:"fork,omitempty"`
	// At is when the pull request changed (its updated_at, or closed_at
	// when later); zero when the payload does not say. Events of one pull
	// request older than one already acted on are ignored.
	At time.Time `json:"at,omitzero"`
	// Why says why an ignored event is ignored.
	Why string `json:"why,omitempty"`
}

type hookRepo struct {
	FullName      string `json:"full_name"`
	CloneURL      string `json:"clone_url"`
	HTMLURL       string `json:"html_url"`
	DefaultBranch string `json:"default_branch"`
}

type hookPayload struct {
	// push
	Ref     string `json:"ref"`
	After   string `json:"after"`
	Deleted bool   `json:"deleted"`
	// delete (GitHub, Gitea)
	RefType string `json:"ref_type"`
	// pull_request
	Action      string `json:"action"`
	Number      int    `json:"number"`
	PullRequest *struct {
		Number    int    `json:"number"`
		State     string `json:"state"`
		UpdatedAt string `json:"updated_at"`
		ClosedAt  string `json:"closed_at"`
		Head      struct {
			Ref  string    `json:"ref"`
			SHA  string    `json:"sha"`
			Repo *hookRepo `json:"repo"`
		} `json:"head"`
	} `json:"pull_request"`
	Repository *hookRepo `json:"repository"`
}

const zeroSHA = "0000000000000000000000000000000000000000"

// ParseWebhook reads a delivery's body for event (the X-GitHub-Event or
// X-Gitea-Event header). Events it does not act on give Kind
// EventIgnored; a body that is not the JSON of a known event, or lacks
// what the event needs (repository, ref, a full commit id, a valid branch
// name), gives an *ValidationError. It never panics, whatever the input
// (FuzzParseWebhook).
func ParseWebhook(event string, body []byte) (*WebhookEvent, error) {
	switch event {
	case "push", "delete", "pull_request":
	case "":
		return nil, invalid("event", "the event header is missing")
	default:
		return &WebhookEvent{Kind: EventIgnored, Why: fmt.Sprintf("event %q is not acted on", event)}, nil
	}
	var p hookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, invalid("body", "not a %s event: %v", event, err)
	}
	if p.Repository == nil || p.Repository.FullName == "" {
		return nil, invalid("repository", "the %s event names no repository", event)
	}
	ev := &WebhookEvent{RepoFullName: p.Repository.FullName, DefaultBranch: p.Repository.DefaultBranch}
	for _, u := range []string{p.Repository.CloneURL, p.Repository.HTMLURL} {
		if u != "" {
			ev.RepoURLs = append(ev.RepoURLs, u)
		}
	}
	switch event {
	case "push":
		branch, ok := strings.CutPrefix(p.Ref, "refs/heads/")
		if !ok {
			ev.Kind, ev.Why = EventIgnored, fmt.Sprintf("push to %q, not a branch", p.Ref)
			return ev, nil
		}
		if err := validateBranch(branch); err != nil {
			return nil, err
		}
		ev.Branch = branch
		if p.Deleted || p.After == zeroSHA {
			ev.Kind = EventBranchDeleted
			return ev, nil
		}
		if !isCommitID(p.After) {
			return nil, invalid("after", "%q is not a full commit id", p.After)
		}
		ev.Kind, ev.Commit = EventPush, p.After
	case "delete":
		if p.RefType != "branch" {
			ev.Kind, ev.Why = EventIgnored, fmt.Sprintf("deleted a %q, not a branch", p.RefType)
			return ev, nil
		}
		branch := strings.TrimPrefix(p.Ref, "refs/heads/")
		if err := validateBranch(branch); err != nil {
			return nil, err
		}
		ev.Kind, ev.Branch = EventBranchDeleted, branch
	case "pull_request":
		pr := p.PullRequest
		if pr == nil {
			return nil, invalid("pull_request", "the pull_request event has no pull request")
		}
		ev.Number = cmpOr(pr.Number, p.Number)
		if ev.Number <= 0 {
			return nil, invalid("number", "the pull request has no positive number")
		}
		for _, f := range []struct{ name, v string }{{"updated_at", pr.UpdatedAt}, {"closed_at", pr.ClosedAt}} {
			if f.v == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, f.v)
			if err != nil {
				return nil, invalid(f.name, "%q is not an RFC 3339 time", f.v)
			}
			if t.After(ev.At) {
				ev.At = t.UTC()
			}
		}
		switch p.Action {
		case "opened", "reopened", "synchronize", "synchronized", "ready_for_review":
			ev.Kind = EventPullRequestUpdated
		case "closed":
			ev.Kind = EventPullRequestClosed
			return ev, nil
		default:
			ev.Kind, ev.Why = EventIgnored, fmt.Sprintf("pull request action %q is not acted on", p.Action)
			return ev, nil
		}
		if pr.State == "closed" {
			ev.Kind, ev.Why = EventIgnored, "the pull request is already closed"
			return ev, nil
		}
		if !isCommitID(pr.Head.SHA) {
			return nil, invalid("head.sha", "%q is not a full commit id", pr.Head.SHA)
		}
		ev.Commit, ev.Branch = pr.Head.SHA, pr.Head.Ref
		if pr.Head.Repo != nil {
			ev.HeadRepo = pr.Head.Repo.FullName
		}
		// A head repository that is another one, or that was deleted, is a
		// fork: it is never trusted with secrets.
		ev.Fork = ev.HeadRepo == "" || !strings.EqualFold(ev.HeadRepo, ev.RepoFullName)
	}
	return ev, nil
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

// isCommitID reports whether s is a full lower-case hex SHA-1 or SHA-256.
func isCommitID(s string) bool {
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return s != zeroSHA
}

// RepoKey normalises a repository URL to compare the URL a project's
// source config names with those of a webhook: lower-case host and path,
// no scheme, user, port of the default scheme, trailing "/" or ".git".
// It returns "" for what is not an http(s) URL.
func RepoKey(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if p := u.Port(); p != "" && p != "443" && p != "80" {
		host += ":" + p
	}
	p := strings.ToLower(strings.TrimSuffix(strings.TrimSuffix(u.Path, "/"), ".git"))
	return host + p
}
