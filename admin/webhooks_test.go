package admin_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
	"github.com/mastra-admin/mastra-admin-go/source/git"
	"github.com/mastra-admin/mastra-admin-go/source/git/gittest"
)

// The webhook tests run against a real git server (gittest: git's own
// git-http-backend), the real git source, SQLite, and, where they build,
// the real local runner and router with runnertest's fake Mastra project.
// Payloads are shaped like GitHub's documented samples and signed here.

const (
	hookSecret = "It's a Secret to Everybody"
	gitToken   = "ghs_webhook-test-token"
)

type hookEnv struct {
	*stack
	a       *admin.Admin
	ctx     context.Context
	repo    *gittest.Repo
	team    *admin.Team
	project *admin.Project
	prod    *admin.Deployment
	first   string // the first commit on main
	n       int
	// options gives the options of an Admin on a stack, as a's.
	options func(s *stack, extra ...admin.Option) []admin.Option
}

func newHookEnv(t *testing.T, start bool, extra ...admin.Option) *hookEnv {
	t.Helper()
	return newHookEnvWith(t, start, runnertest.WriteFakeProject, nil, extra...)
}

// newHookEnvWith is newHookEnv with the project write writes on main
// (runnertest's fake project for newHookEnv) and, when real is not nil,
// the stack's runner replaced by what it returns.
func newHookEnvWith(t *testing.T, start bool, write func(dir string) error, real func(s *stack) *runnerlocal.Runner, extra ...admin.Option) *hookEnv {
	t.Helper()
	srv := gittest.NewServer(t, gitToken)
	repo := srv.NewRepo(t, "agents")
	if err := write(repo.WorkDir()); err != nil {
		t.Fatal(err)
	}
	first := repo.CommitAll(t, "main", "first")
	s, err := openStack(t.TempDir(), 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if real != nil {
		s.runner.Close()
		s.runner = real(s)
	}
	src, err := git.New(&git.Options{CacheDir: t.TempDir(), AllowHTTP: true,
		Credentials: func(context.Context, string) (git.Credentials, error) {
			return git.Credentials{Username: gittest.Username, Password: gitToken}, nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	options := func(s *stack, more ...admin.Option) []admin.Option {
		opts := append([]admin.Option{admin.WithStorage(s.store), admin.WithFileStorage(s.files), admin.WithBuildLogCache(s.logs),
			admin.WithSource(src), admin.WithRunner(s.runner), admin.WithRouter(s.router),
			admin.WithBuildDir(filepath.Join(s.dir, "builds")), admin.WithInstanceID("test"),
			admin.WithIntervals(50*time.Millisecond, 200*time.Millisecond), admin.WithClock(time.Now),
			admin.WithEncryptionKeys("k1", map[string][]byte{"k1": testKey}),
			admin.WithWebhookSecret(admin.WebhookGitHub, []byte(hookSecret)),
			admin.WithWebhookSecret(admin.WebhookGitea, []byte(hookSecret))}, extra...)
		return append(opts, more...)
	}
	a, err := admin.New(options(s)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAllServers(t, s.dir) })
	t.Cleanup(func() { a.Close() })
	bg := context.Background()
	if start {
		if err := a.Start(bg); err != nil {
			t.Fatal(err)
		}
	}
	root := must[*admin.User](t)(a.Bootstrap(bg, admin.NewUser{Email: "root@example.com", Name: "Root"}))
	ctx := as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	p := must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Agents", SourceType: admin.SourceGit,
		SourceConfig: map[string]string{git.ConfigURL: repo.URL}, DefaultBranch: "main"}))
	deps := must[admin.List[*admin.Deployment]](t)(a.ListDeployments(ctx, p.ID, admin.Page{}))
	return &hookEnv{stack: s, a: a, ctx: ctx, repo: repo, team: team, project: p, prod: deps.Items[0], first: first, options: options}
}

func sign(body []byte) string {
	mac := hmac.New(sha256.New, []byte(hookSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// repository is the "repository" object of GitHub's payloads.
func (e *hookEnv) repository() map[string]any {
	return map[string]any{"id": 1296269, "full_name": "octo/agents", "name": "agents", "private": true,
		"clone_url": e.repo.URL, "html_url": strings.TrimSuffix(e.repo.URL, ".git"), "default_branch": "main"}
}

func (e *hookEnv) pushPayload(branch, after string) []byte {
	b, _ := json.Marshal(map[string]any{"ref": "refs/heads/" + branch, "before": e.first, "after": after,
		"created": false, "deleted": after == strings.Repeat("0", 40), "forced": false,
		"repository": e.repository(), "pusher": map[string]any{"name": "octocat"}, "sender": map[string]any{"login": "octocat"}})
	return b
}

func (e *hookEnv) prPayload(action string, n int, headRef, headSHA, headRepo string) []byte {
	return e.prPayloadAt(action, n, headRef, headSHA, headRepo, time.Time{})
}

// prPayloadAt is prPayload with the pull request's updated_at (and
// closed_at when closed) at at, when not zero.
func (e *hookEnv) prPayloadAt(action string, n int, headRef, headSHA, headRepo string, at time.Time) []byte {
	state := "open"
	if action == "closed" {
		state = "closed"
	}
	pr := map[string]any{"number": n, "state": state, "title": "Add a tool",
		"head": map[string]any{"ref": headRef, "sha": headSHA, "repo": map[string]any{"full_name": headRepo}},
		"base": map[string]any{"ref": "main", "sha": e.first, "repo": map[string]any{"full_name": "octo/agents"}}}
	if !at.IsZero() {
		pr["updated_at"] = at.UTC().Format(time.RFC3339)
		if action == "closed" {
			pr["closed_at"] = pr["updated_at"]
		}
	}
	b, _ := json.Marshal(map[string]any{"action": action, "number": n, "pull_request": pr,
		"repository": e.repository(), "sender": map[string]any{"login": "octocat"}})
	return b
}

// round runs a preview worker's round, as a started Admin's worker does
// after each delivery.
func (e *hookEnv) round() { admin.PreviewRound(context.Background(), e.a) }

// deliver sends a signed delivery with a new id and returns its result.
func (e *hookEnv) deliver(t *testing.T, event string, body []byte) (*admin.WebhookResult, string) {
	t.Helper()
	e.n++
	id := fmt.Sprintf("72d3162e-cc78-11e3-81ab-%012d", e.n)
	res, err := e.a.ReceiveWebhook(context.Background(), admin.WebhookRequest{Provider: admin.WebhookGitHub,
		Event: event, DeliveryID: id, Signature: sign(body), Body: body})
	if err != nil {
		t.Fatalf("deliver %s: %v", event, err)
	}
	return res, id
}

func (e *hookEnv) builds(t *testing.T, deploymentID string) []*admin.Build {
	t.Helper()
	return must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, deploymentID, admin.Page{})).Items
}

func (e *hookEnv) deployment(t *testing.T, slug string) (*admin.Deployment, error) {
	t.Helper()
	return e.store.GetDeploymentBySlug(context.Background(), e.project.ID, slug)
}

func TestWebhookSignatureRefused(t *testing.T) {
	e := newHookEnv(t, false)
	body := e.pushPayload("main", e.first)
	for name, r := range map[string]admin.WebhookRequest{
		"missing":       {Provider: admin.WebhookGitHub, Event: "push", DeliveryID: "d1", Body: body},
		"wrong":         {Provider: admin.WebhookGitHub, Event: "push", DeliveryID: "d1", Body: body, Signature: "sha256=" + strings.Repeat("ab", 32)},
		"sha1 only":     {Provider: admin.WebhookGitHub, Event: "push", DeliveryID: "d1", Body: body, Signature: "sha1=" + strings.Repeat("ab", 20)},
		"other body":    {Provider: admin.WebhookGitHub, Event: "push", DeliveryID: "d1", Body: append(body, ' '), Signature: sign(body)},
		"gitea prefix":  {Provider: admin.WebhookGitea, Event: "push", DeliveryID: "d1", Body: body, Signature: sign(body)},
		"short":         {Provider: admin.WebhookGitHub, Event: "push", DeliveryID: "d1", Body: body, Signature: sign(body)[:20]},
		"no delivery":   {Provider: admin.WebhookGitHub, Event: "push", Body: body, Signature: sign(body)},
		"bad provider":  {Provider: "gitlab", Event: "push", DeliveryID: "d1", Body: body, Signature: sign(body)},
		"odd delivery":  {Provider: admin.WebhookGitHub, Event: "push", DeliveryID: "d 1", Body: body, Signature: sign(body)},
		"missing event": {Provider: admin.WebhookGitHub, DeliveryID: "d1", Body: body, Signature: sign(body)},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := e.a.ReceiveWebhook(context.Background(), r); err == nil {
				t.Fatal("accepted")
			} else if !errors.Is(err, admin.ErrUnauthenticated) && !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("error %v is neither ErrUnauthenticated nor ErrInvalidArgument", err)
			}
		})
	}
	if b := e.builds(t, e.prod.ID); len(b) != 0 {
		t.Fatalf("refused deliveries queued %d builds", len(b))
	}
	// Nothing was recorded: the same delivery id, properly signed, acts.
	res, err := e.a.ReceiveWebhook(context.Background(), admin.WebhookRequest{Provider: admin.WebhookGitHub,
		Event: "push", DeliveryID: "d1", Body: body, Signature: sign(body)})
	if err != nil || res.Duplicate || len(res.Actions) != 1 {
		t.Fatalf("a valid delivery after refused ones: %+v, %v", res, err)
	}

	// An Admin without a secret refuses every delivery (Coolify #4186).
	noSecret, err := admin.New(admin.WithStorage(e.store))
	if err != nil {
		t.Fatal(err)
	}
	defer noSecret.Close()
	_, err = noSecret.ReceiveWebhook(context.Background(), admin.WebhookRequest{Provider: admin.WebhookGitHub,
		Event: "push", DeliveryID: "d2", Body: body, Signature: sign(body)})
	if !errors.Is(err, admin.ErrUnauthenticated) {
		t.Errorf("no secret configured: %v, want ErrUnauthenticated", err)
	}
	if _, err := admin.New(admin.WithStorage(e.store), admin.WithWebhookSecret(admin.WebhookGitHub, nil)); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("an empty secret was accepted: %v", err)
	}
}

func TestWebhookPushDeploysMappedBranches(t *testing.T) {
	e := newHookEnv(t, false)
	staging := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "develop"}))
	second := e.repo.Commit(t, "main", map[string]string{"README.md": "v2\n"}, "second")

	res, id := e.deliver(t, "push", e.pushPayload("main", second))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" || res.Actions[0].DeploymentID != e.prod.ID {
		t.Fatalf("push to main: %+v, want one deploy of production", res.Actions)
	}
	b := e.builds(t, e.prod.ID)
	if len(b) != 1 || b[0].Ref != second || b[0].Trigger != admin.TriggerWebhook || b[0].Status != admin.BuildQueued {
		t.Fatalf("production builds %+v, want one queued webhook build of %s", b, second)
	}
	// A redelivery (same id) does nothing.
	body := e.pushPayload("main", second)
	again, err := e.a.ReceiveWebhook(context.Background(), admin.WebhookRequest{Provider: admin.WebhookGitHub,
		Event: "push", DeliveryID: id, Body: body, Signature: sign(body)})
	if err != nil || !again.Duplicate {
		t.Fatalf("redelivery: %+v, %v; want Duplicate", again, err)
	}
	if b := e.builds(t, e.prod.ID); len(b) != 1 {
		t.Fatalf("the redelivery queued another build: %d builds", len(b))
	}

	dev := e.repo.Commit(t, "develop", map[string]string{"README.md": "dev\n"}, "on develop")
	res, _ = e.deliver(t, "push", e.pushPayload("develop", dev))
	if len(res.Actions) != 1 || res.Actions[0].DeploymentID != staging.ID {
		t.Fatalf("push to develop: %+v, want a deploy of staging", res.Actions)
	}
	// A branch nothing builds, branch previews off: nothing.
	res, _ = e.deliver(t, "push", e.pushPayload("feature/x", dev))
	if len(res.Actions) != 0 {
		t.Fatalf("push to an unmapped branch: %+v, want nothing", res.Actions)
	}
	// Tags and other events are answered and ignored.
	tag, _ := json.Marshal(map[string]any{"ref": "refs/tags/v1", "after": second, "repository": e.repository()})
	if res, _ := e.deliver(t, "push", tag); res.Event.Kind != admin.EventIgnored {
		t.Errorf("a tag push: %+v", res.Event)
	}
	if res, _ := e.deliver(t, "ping", []byte(`{"zen":"Keep it logically awesome."}`)); res.Event.Kind != admin.EventIgnored {
		t.Errorf("ping: %+v", res.Event)
	}
	// Another repository's push reaches no project.
	other, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "after": second,
		"repository": map[string]any{"full_name": "evil/agents", "clone_url": "https://example.com/evil/agents.git"}})
	if res, _ := e.deliver(t, "push", other); len(res.Actions) != 0 {
		t.Errorf("another repository's push acted: %+v", res.Actions)
	}
}

// TestWebhookOneRepositoryTwoTeams: a repository connected in two teams'
// projects deploys each project once per push (Coolify #5248).
func TestWebhookOneRepositoryTwoTeams(t *testing.T) {
	e := newHookEnv(t, false)
	team2 := must[*admin.Team](t)(e.a.CreateTeam(e.ctx, admin.NewTeam{Name: "T2"}))
	p2 := must[*admin.Project](t)(e.a.CreateProject(e.ctx, team2.ID, admin.NewProject{Name: "Agents Too", SourceType: admin.SourceGit,
		SourceConfig: map[string]string{git.ConfigURL: strings.TrimSuffix(e.repo.URL, ".git")}, DefaultBranch: "main"}))
	prod2 := must[admin.List[*admin.Deployment]](t)(e.a.ListDeployments(e.ctx, p2.ID, admin.Page{})).Items[0]
	res, _ := e.deliver(t, "push", e.pushPayload("main", e.first))
	if len(res.Actions) != 2 {
		t.Fatalf("actions %+v, want one per project", res.Actions)
	}
	for _, d := range []*admin.Deployment{e.prod, prod2} {
		if b := e.builds(t, d.ID); len(b) != 1 {
			t.Errorf("deployment %s has %d builds, want 1", d.ID, len(b))
		}
	}
}

func TestWebhookPullRequestLifecycle(t *testing.T) {
	e := newHookEnv(t, false)
	head1 := e.repo.Commit(t, "feature/tool", map[string]string{"tool.ts": "1\n"}, "tool v1")

	res, _ := e.deliver(t, "pull_request", e.prPayload("opened", 12, "feature/tool", head1, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
		t.Fatalf("opened: %+v", res.Actions)
	}
	d, err := e.deployment(t, "pr-12")
	if err != nil {
		t.Fatal(err)
	}
	if d.Type != admin.DeploymentPreview || d.Branch != "refs/pull/12/head" || !strings.Contains(d.PublicURL, "pr-12--"+e.project.Slug) {
		t.Errorf("preview deployment %+v", d)
	}
	b := e.builds(t, d.ID)
	// The build is of the PR's head commit, never the base (Coolify #5398).
	if len(b) != 1 || b[0].Ref != head1 {
		t.Fatalf("builds %+v, want one of head %s", b, head1)
	}
	pr := must[*admin.Preview](t)(e.a.GetPreview(e.ctx, d.ID))
	if pr.Number != 12 || pr.HeadSHA != head1 || pr.Fork {
		t.Errorf("preview record %+v", pr)
	}
	// A manual redeploy builds the PR's head ref, not the base branch.
	manual := must[*admin.Build](t)(e.a.Deploy(e.ctx, d.ID))
	if manual.Ref != "refs/pull/12/head" {
		t.Errorf("a manual redeploy of the preview builds %q", manual.Ref)
	}

	head2 := e.repo.Commit(t, "feature/tool", map[string]string{"tool.ts": "2\n"}, "tool v2")
	res, _ = e.deliver(t, "pull_request", e.prPayload("synchronize", 12, "feature/tool", head2, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
		t.Fatalf("synchronize: %+v", res.Actions)
	}
	b = e.builds(t, d.ID)
	var queued []string
	for _, x := range b {
		if x.Status == admin.BuildQueued {
			queued = append(queued, x.Ref)
		} else if x.Status != admin.BuildCancelled {
			t.Errorf("build %s of an older commit is %s, want cancelled", x.ID, x.Status)
		}
	}
	if len(queued) != 1 || queued[0] != head2 {
		t.Errorf("queued builds of %v, want only the newest head %s", queued, head2)
	}

	res, _ = e.deliver(t, "pull_request", e.prPayload("closed", 12, "feature/tool", head2, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "teardown" {
		t.Fatalf("closed: %+v", res.Actions)
	}
	// Queued, not done in the webhook's request: the preview worker does it.
	if pr, err := e.a.GetPreview(e.ctx, d.ID); err != nil || pr.ClosedAt == nil {
		t.Fatalf("after the close, before the worker's round: %+v %v, want a preview marked closed", pr, err)
	}
	e.round()
	if _, err := e.deployment(t, "pr-12"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("the preview outlived its closed pull request (Coolify #2358): %v", err)
	}
	// Reopened: a fresh preview.
	res, _ = e.deliver(t, "pull_request", e.prPayload("reopened", 12, "feature/tool", head2, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
		t.Fatalf("reopened: %+v", res.Actions)
	}

	// A deployment made by hand is never torn down by a webhook.
	hand := must[*admin.Deployment](t)(e.a.CreateDeployment(e.ctx, e.project.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "feature/tool", Slug: "pr-13"}))
	res, _ = e.deliver(t, "pull_request", e.prPayload("closed", 13, "feature/tool", head2, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "skipped" {
		t.Errorf("closing a PR whose slug a hand-made deployment has: %+v", res.Actions)
	}
	if _, err := e.store.GetDeployment(context.Background(), hand.ID); err != nil {
		t.Errorf("a hand-made deployment was deleted: %v", err)
	}
}

// TestWebhookOpenAndCloseAtOnce: a PR opened and merged within seconds
// leaves no ghost (Coolify #2610), even when the close arrives before the
// open.
func TestWebhookOpenAndCloseAtOnce(t *testing.T) {
	e := newHookEnv(t, false)
	head := e.repo.Commit(t, "quick", map[string]string{"q.ts": "1\n"}, "quick")
	e.deliver(t, "pull_request", e.prPayload("opened", 3, "quick", head, "octo/agents"))
	e.deliver(t, "pull_request", e.prPayload("closed", 3, "quick", head, "octo/agents"))
	e.round()
	if _, err := e.deployment(t, "pr-3"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("ghost preview after open+close: %v", err)
	}
	// The open delivery of a PR that is closed by the time it is sent.
	late := e.prPayload("opened", 4, "quick", head, "octo/agents")
	var m map[string]any
	_ = json.Unmarshal(late, &m)
	m["pull_request"].(map[string]any)["state"] = "closed"
	late, _ = json.Marshal(m)
	if res, _ := e.deliver(t, "pull_request", late); res.Event.Kind != admin.EventIgnored {
		t.Errorf("an open event of a closed PR: %+v", res)
	}
	if _, err := e.deployment(t, "pr-4"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("a closed PR got a preview: %v", err)
	}
}

func TestWebhookForkPullRequestWaitsForApproval(t *testing.T) {
	e := newHookEnv(t, false)
	head := e.repo.Commit(t, "fork-work", map[string]string{"x.ts": "1\n"}, "from a fork")
	res, _ := e.deliver(t, "pull_request", e.prPayload("opened", 7, "patch-1", head, "mallory/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "await-approval" {
		t.Fatalf("fork PR opened: %+v, want await-approval", res.Actions)
	}
	d, err := e.deployment(t, "pr-7")
	if err != nil {
		t.Fatal(err)
	}
	if b := e.builds(t, d.ID); len(b) != 0 {
		t.Fatalf("a fork PR was built before approval: %+v", b)
	}
	// Nobody can deploy it by hand before approval (Coolify #6546).
	if _, err := e.a.Deploy(e.ctx, d.ID); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("manual deploy of an unapproved fork preview: %v, want ErrConflict", err)
	}
	// A viewer cannot approve; approving another commit than the head fails.
	viewer := must[*admin.User](t)(e.a.CreateUser(e.ctx, admin.NewUser{Email: "viewer@example.com", Name: "V"}))
	must[*admin.TeamMember](t)(e.a.AddMember(e.ctx, e.team.ID, viewer.ID, admin.RoleViewer))
	if _, err := e.a.ApprovePreview(as(viewer.ID), d.ID, head); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("a viewer's approval: %v, want ErrForbidden", err)
	}
	if _, err := e.a.ApprovePreview(e.ctx, d.ID, e.first); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("approving a commit that is not the head: %v, want ErrConflict", err)
	}
	b := must[*admin.Build](t)(e.a.ApprovePreview(e.ctx, d.ID, head))
	if b.Ref != head {
		t.Errorf("approved build of %q, want %s", b.Ref, head)
	}
	// Each approval is audited, refused ones too.
	outcomes := map[admin.AuditOutcome]int{}
	for _, ev := range must[[]*admin.AuditEvent](t)(e.store.ListAudit(context.Background(),
		admin.AuditFilter{Action: "preview.approve", TargetID: d.ID}, admin.Page{})) {
		outcomes[ev.Outcome]++
		if ev.Metadata["commit"] == "" || ev.Outcome == admin.OutcomeSuccess && ev.TeamID != e.team.ID {
			t.Errorf("preview.approve event %+v: want the commit (and the team, once allowed)", ev)
		}
	}
	if outcomes[admin.OutcomeSuccess] != 1 || outcomes[admin.OutcomeSuccess]+outcomes[admin.OutcomeDenied]+outcomes[admin.OutcomeFailure] != 3 {
		t.Errorf("preview.approve events by outcome: %v, want 3 with 1 success", outcomes)
	}
	// A new commit waits again.
	head2 := e.repo.Commit(t, "fork-work", map[string]string{"x.ts": "2\n"}, "more from the fork")
	res, _ = e.deliver(t, "pull_request", e.prPayload("synchronize", 7, "patch-1", head2, "mallory/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "await-approval" {
		t.Fatalf("fork PR synchronized: %+v, want await-approval", res.Actions)
	}
	if _, err := e.a.Deploy(e.ctx, d.ID); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("manual deploy after an unapproved push: %v, want ErrConflict", err)
	}
	// Renaming the fork to the base's name does not make it trusted.
	res, _ = e.deliver(t, "pull_request", e.prPayload("synchronize", 7, "patch-1", head2, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "await-approval" {
		t.Errorf("a fork whose head repo now has the base's name: %+v", res.Actions)
	}
}

func TestWebhookPreviewCapAndBranchPreviews(t *testing.T) {
	e := newHookEnv(t, false, admin.WithPreviews(admin.PreviewOptions{PullRequests: true, Branches: true, MaxPerProject: 2}))
	head := e.repo.Commit(t, "feature/a", map[string]string{"a.ts": "1\n"}, "a")
	res, _ := e.deliver(t, "push", e.pushPayload("feature/a", head))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
		t.Fatalf("push to a new branch with branch previews: %+v", res.Actions)
	}
	d, err := e.deployment(t, "feature-a")
	if err != nil {
		t.Fatal(err)
	}
	e.deliver(t, "pull_request", e.prPayload("opened", 1, "feature/a", head, "octo/agents"))
	res, _ = e.deliver(t, "pull_request", e.prPayload("opened", 2, "feature/a", head, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "skipped" || !strings.Contains(res.Actions[0].Reason, "cap") {
		t.Fatalf("a preview over the cap: %+v", res.Actions)
	}
	// The branch goes: its preview goes.
	res, _ = e.deliver(t, "push", e.pushPayload("feature/a", strings.Repeat("0", 40)))
	if len(res.Actions) != 1 || res.Actions[0].Action != "teardown" {
		t.Fatalf("branch deleted: %+v", res.Actions)
	}
	e.round()
	if _, err := e.store.GetDeployment(context.Background(), d.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("the branch preview outlived its branch: %v", err)
	}
	// With room again, PR 2 gets its preview.
	res, _ = e.deliver(t, "pull_request", e.prPayload("synchronize", 2, "feature/a", head, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
		t.Errorf("PR 2 once under the cap: %+v", res.Actions)
	}
}

// TestWebhookGitHubSourceProjects: projects of the GitHub source are
// reached by the repository's full name, from GitHub deliveries only.
func TestWebhookGitHubSourceProjects(t *testing.T) {
	e := newEnv(t, admin.WithWebhookSecret(admin.WebhookGitHub, []byte(hookSecret)),
		admin.WithWebhookSecret(admin.WebhookGitea, []byte(hookSecret)))
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	p := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Agents", SourceType: admin.SourceGitHub,
		SourceConfig: map[string]string{"repo": "Octo/Agents"}, DefaultBranch: "main"}))
	body, _ := json.Marshal(map[string]any{"ref": "refs/heads/main", "after": strings.Repeat("c", 40),
		"repository": map[string]any{"full_name": "octo/agents", "clone_url": "https://github.com/octo/agents.git"}})
	for _, c := range []struct {
		provider, sig string
		want          int
	}{{admin.WebhookGitHub, sign(body), 1}, {admin.WebhookGitea, strings.TrimPrefix(sign(body), "sha256="), 0}} {
		res, err := e.a.ReceiveWebhook(context.Background(), admin.WebhookRequest{Provider: c.provider, Event: "push",
			DeliveryID: "d-" + c.provider, Signature: c.sig, Body: body})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Actions) != c.want || (c.want == 1 && res.Actions[0].ProjectID != p.ID) {
			t.Errorf("%s delivery: actions %+v, want %d for project %s", c.provider, res.Actions, c.want, p.ID)
		}
	}
}

// recordingReporter records what the Admin reports; source/github's
// Reporter, which turns these into GitHub comments, statuses and
// deployments, is tested against a fake GitHub API in its own package.
type recordingReporter struct {
	mu     sync.Mutex
	events []admin.PreviewEvent
	branch []admin.BranchBuildEvent
}

func (r *recordingReporter) ReportBranchBuild(_ context.Context, ev admin.BranchBuildEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.branch = append(r.branch, ev)
	return nil
}

func (r *recordingReporter) ReportPreview(_ context.Context, ev admin.PreviewEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

// TestWebhookReportsPreviews: the preview worker reports each state of a
// pull-request preview once (building, awaiting approval, closed), to the
// base repository, before the teardown; pushes are not reported as
// previews (TestBranchBuildsReported: as builds of their branch).
func TestWebhookReportsPreviews(t *testing.T) {
	rep := &recordingReporter{}
	e := newHookEnv(t, false, admin.WithPreviewReporter(rep))
	head := e.repo.Commit(t, "feature/r", map[string]string{"r.ts": "1\n"}, "r")
	res, _ := e.deliver(t, "pull_request", e.prPayload("opened", 21, "feature/r", head, "octo/agents"))
	e.round()
	e.deliver(t, "pull_request", e.prPayload("opened", 22, "feature/r", head, "mallory/agents"))
	e.round()
	e.round() // nothing changed: nothing reported again
	e.deliver(t, "pull_request", e.prPayload("closed", 21, "feature/r", head, "octo/agents"))
	e.round()
	e.deliver(t, "push", e.pushPayload("main", head)) // not a preview: not reported as one
	e.round()
	want := []struct {
		n     int
		state string
	}{{21, admin.PreviewBuilding}, {22, admin.PreviewAwaitingApproval}, {21, admin.PreviewClosed}}
	if len(rep.events) != len(want) {
		t.Fatalf("reported %d events, want %d: %+v", len(rep.events), len(want), rep.events)
	}
	for i, w := range want {
		ev := rep.events[i]
		if ev.Preview.Number != w.n || ev.State != w.state || ev.Repo != "octo/agents" || ev.Preview.HeadSHA != head ||
			!strings.Contains(ev.URL, fmt.Sprintf("pr-%d--", w.n)) {
			t.Errorf("event %d: %+v, want PR %d %s", i, ev, w.n, w.state)
		}
	}
	if rep.events[0].BuildID != res.Actions[0].BuildID || rep.events[0].Build == nil || rep.events[0].Build.Ref != head {
		t.Errorf("building event names build %q (%+v), want %q of %s", rep.events[0].BuildID, rep.events[0].Build, res.Actions[0].BuildID, head)
	}
	if _, err := e.store.GetDeployment(context.Background(), rep.events[2].Deployment.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("the closed preview was reported but not torn down: %v", err)
	}
}

// TestWebhookOutOfOrderEvents: GitHub does not deliver a pull request's
// events in order. A close delivered before the open it followed (Coolify
// #2610), or in the same second, leaves no preview; an older synchronize
// delivered after a newer one does not build the older head.
func TestWebhookOutOfOrderEvents(t *testing.T) {
	e := newHookEnv(t, false)
	head1 := e.repo.Commit(t, "race", map[string]string{"r.ts": "1\n"}, "race 1")
	head2 := e.repo.Commit(t, "race", map[string]string{"r.ts": "2\n"}, "race 2")
	t0 := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)

	res, _ := e.deliver(t, "pull_request", e.prPayloadAt("closed", 40, "race", head1, "octo/agents", t0.Add(2*time.Second)))
	if len(res.Actions) != 0 {
		t.Errorf("a close without a preview: %+v", res.Actions)
	}
	res, _ = e.deliver(t, "pull_request", e.prPayloadAt("opened", 40, "race", head1, "octo/agents", t0))
	if len(res.Actions) != 1 || res.Actions[0].Action != "skipped" || !strings.Contains(res.Actions[0].Reason, "newer") {
		t.Errorf("the open delivered after its close: %+v, want skipped", res.Actions)
	}
	if _, err := e.deployment(t, "pr-40"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("ghost preview from an open delivered after its close: %v", err)
	}

	// Opened and closed in the same second, the close first.
	e.deliver(t, "pull_request", e.prPayloadAt("closed", 41, "race", head1, "octo/agents", t0))
	res, _ = e.deliver(t, "pull_request", e.prPayloadAt("opened", 41, "race", head1, "octo/agents", t0))
	if len(res.Actions) != 1 || res.Actions[0].Action != "skipped" {
		t.Errorf("an open of the same second as the close delivered before it: %+v, want skipped", res.Actions)
	}

	// Synchronizes out of order: the newest head is built, the older
	// event skipped.
	e.deliver(t, "pull_request", e.prPayloadAt("opened", 42, "race", head1, "octo/agents", t0))
	res, _ = e.deliver(t, "pull_request", e.prPayloadAt("synchronize", 42, "race", head2, "octo/agents", t0.Add(2*time.Second)))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
		t.Fatalf("the newer synchronize: %+v", res.Actions)
	}
	d := res.Actions[0].DeploymentID
	res, _ = e.deliver(t, "pull_request", e.prPayloadAt("synchronize", 42, "race", head1, "octo/agents", t0.Add(time.Second)))
	if len(res.Actions) != 1 || res.Actions[0].Action != "skipped" {
		t.Errorf("an older synchronize delivered late: %+v, want skipped", res.Actions)
	}
	pr := must[*admin.Preview](t)(e.a.GetPreview(e.ctx, d))
	if pr.HeadSHA != head2 {
		t.Errorf("the preview's head is %s, want the newest %s", pr.HeadSHA, head2)
	}
	for _, b := range e.builds(t, d) {
		if b.Status != admin.BuildCancelled && b.Ref != head2 {
			t.Errorf("build %s of %s is %s: only the newest head may build", b.ID, b.Ref, b.Status)
		}
	}
	// A reopen after the close brings the preview back.
	e.deliver(t, "pull_request", e.prPayloadAt("reopened", 40, "race", head2, "octo/agents", t0.Add(3*time.Second)))
	if _, err := e.deployment(t, "pr-40"); err != nil {
		t.Errorf("a reopen newer than the close: %v", err)
	}
}

// TestWebhookStackedPullRequests: a pull request stacked on another's
// branch keeps its preview when the one below merges and its branch is
// deleted (each preview follows its own pull request's events), is rebuilt
// from its new head after GitHub retargets it, and goes when it closes:
// none is left behind (Coolify #11609).
func TestWebhookStackedPullRequests(t *testing.T) {
	e := newHookEnv(t, false)
	base := e.repo.Commit(t, "feature/base", map[string]string{"base.ts": "1\n"}, "base")
	top := e.repo.Commit(t, "feature/top", map[string]string{"base.ts": "1\n", "top.ts": "1\n"}, "top")
	for n, head := range map[int][2]string{90: {"feature/base", base}, 91: {"feature/top", top}} {
		res, _ := e.deliver(t, "pull_request", e.prPayload("opened", n, head[0], head[1], "octo/agents"))
		if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" {
			t.Fatalf("PR %d opened: %+v", n, res.Actions)
		}
	}
	stacked := must[*admin.Deployment](t)(e.deployment(t, "pr-91"))

	// The lower one merges and its branch goes.
	e.deliver(t, "pull_request", e.prPayload("closed", 90, "feature/base", base, "octo/agents"))
	e.repo.DeleteRef(t, "refs/heads/feature/base")
	e.deliver(t, "push", e.pushPayload("feature/base", strings.Repeat("0", 40)))
	e.round()
	if _, err := e.deployment(t, "pr-90"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("the merged pull request's preview is still there: %v", err)
	}
	if d, err := e.deployment(t, "pr-91"); err != nil || d.ID != stacked.ID {
		t.Fatalf("the stacked pull request's preview went with the branch below it: %+v %v", d, err)
	}

	// Retargeted onto main, with a new head: rebuilt from that head.
	rebased := e.repo.Commit(t, "feature/top", map[string]string{"top.ts": "2\n"}, "top, rebased")
	res, _ := e.deliver(t, "pull_request", e.prPayload("synchronize", 91, "feature/top", rebased, "octo/agents"))
	if len(res.Actions) != 1 || res.Actions[0].Action != "deploy" || res.Actions[0].DeploymentID != stacked.ID {
		t.Fatalf("synchronize after the retarget: %+v", res.Actions)
	}
	if b := e.builds(t, stacked.ID); b[len(b)-1].Ref != rebased || b[len(b)-1].Status != admin.BuildQueued {
		t.Errorf("the newest build of the stacked preview is %s of %s, want one queued of its new head %s", b[len(b)-1].Status, b[len(b)-1].Ref, rebased)
	}

	e.deliver(t, "pull_request", e.prPayload("closed", 91, "feature/top", rebased, "octo/agents"))
	e.round()
	deps := must[admin.List[*admin.Deployment]](t)(e.a.ListDeployments(e.ctx, e.project.ID, admin.Page{}))
	if len(deps.Items) != 1 || deps.Items[0].ID != e.prod.ID {
		var left []string
		for _, d := range deps.Items {
			left = append(left, d.Slug)
		}
		t.Errorf("deployments left after both pull requests closed: %v, want production only", left)
	}
}
