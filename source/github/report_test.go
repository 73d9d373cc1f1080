package github_test

import (
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/source/git"
	"github.com/mastra-admin/mastra-admin-go/source/github"
)

// fakeIssues records what the Reporter does through the REST endpoints it
// uses (no real GitHub is reachable here).
type fakeIssues struct {
	mu          sync.Mutex
	comments    []map[string]any // id, body, user
	statuses    []map[string]any
	deployments []map[string]any // id, ref, environment, states, urls
	checkRuns   []map[string]any // id, head_sha, name, status, conclusion, details_url
	// auth is the Authorization expected ("Bearer ghp_bot" when empty);
	// app, when set, mints the installation tokens of an App.
	auth string
	app  *fakeAPI
}

func (f *fakeIssues) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
	if f.app != nil && strings.HasPrefix(p, "/app/") {
		http.StripPrefix("/api/v3", http.HandlerFunc(f.app.serve)).ServeHTTP(w, r)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if want := cmp.Or(f.auth, "Bearer ghp_bot"); r.Header.Get("Authorization") != want {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	send := func(status int, v any) { w.WriteHeader(status); json.NewEncoder(w).Encode(v) }
	switch {
	case r.Method == "GET" && p == "/user":
		send(200, map[string]any{"login": "mastra-bot"})
	case r.Method == "GET" && p == "/repos/octo/agents/issues/5/comments":
		send(200, f.comments)
	case r.Method == "POST" && p == "/repos/octo/agents/issues/5/comments":
		c := map[string]any{"id": len(f.comments) + 100, "body": in["body"], "user": map[string]any{"login": "mastra-bot"}}
		f.comments = append(f.comments, c)
		send(201, c)
	case r.Method == "PATCH" && strings.HasPrefix(p, "/repos/octo/agents/issues/comments/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(p, "/repos/octo/agents/issues/comments/"))
		for _, c := range f.comments {
			if c["id"] == id {
				c["body"] = in["body"]
				send(200, c)
				return
			}
		}
		send(404, map[string]any{"message": "Not Found"})
	case r.Method == "POST" && strings.HasPrefix(p, "/repos/octo/agents/statuses/"):
		in["sha"] = strings.TrimPrefix(p, "/repos/octo/agents/statuses/")
		f.statuses = append(f.statuses, in)
		send(201, in)
	case r.Method == "POST" && p == "/repos/octo/agents/deployments":
		d := map[string]any{"id": len(f.deployments) + 1, "ref": in["ref"], "sha": in["ref"], "environment": in["environment"],
			"production_environment": in["production_environment"], "transient_environment": in["transient_environment"],
			"states": []string{}, "urls": []string{}}
		f.deployments = append(f.deployments, d)
		send(201, d)
	case r.Method == "GET" && p == "/repos/octo/agents/deployments":
		var out []map[string]any
		q := r.URL.Query()
		for _, d := range slices.Backward(f.deployments) { // newest first, as GitHub lists them
			if d["environment"] == q.Get("environment") && (q.Get("sha") == "" || d["sha"] == q.Get("sha")) {
				out = append(out, d)
			}
		}
		send(200, out)
	case r.Method == "POST" && strings.HasPrefix(p, "/repos/octo/agents/deployments/") && strings.HasSuffix(p, "/statuses"):
		id, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, "/repos/octo/agents/deployments/"), "/statuses"))
		for _, d := range f.deployments {
			if d["id"] == id {
				d["states"] = append(d["states"].([]string), fmt.Sprint(in["state"]))
				d["urls"] = append(d["urls"].([]string), fmt.Sprint(cmp.Or(in["environment_url"], any(""))))
				send(201, map[string]any{"id": 1, "state": in["state"]})
				return
			}
		}
		send(404, map[string]any{"message": "Not Found"})
	case r.Method == "GET" && strings.HasPrefix(p, "/repos/octo/agents/commits/") && strings.HasSuffix(p, "/check-runs"):
		sha := strings.TrimSuffix(strings.TrimPrefix(p, "/repos/octo/agents/commits/"), "/check-runs")
		var out []map[string]any
		for _, c := range slices.Backward(f.checkRuns) { // newest first
			if c["head_sha"] == sha && c["name"] == r.URL.Query().Get("check_name") {
				out = append(out, c)
			}
		}
		send(200, map[string]any{"total_count": len(out), "check_runs": out})
	case r.Method == "POST" && p == "/repos/octo/agents/check-runs":
		in["id"] = len(f.checkRuns) + 1
		f.checkRuns = append(f.checkRuns, in)
		send(201, in)
	case r.Method == "PATCH" && strings.HasPrefix(p, "/repos/octo/agents/check-runs/"):
		id, _ := strconv.Atoi(strings.TrimPrefix(p, "/repos/octo/agents/check-runs/"))
		for _, c := range f.checkRuns {
			if c["id"] == id {
				maps.Copy(c, in)
				send(200, c)
				return
			}
		}
		send(404, map[string]any{"message": "Not Found"})
	default:
		send(404, map[string]any{"message": "Not Found: " + r.Method + " " + p})
	}
}

func TestReporter(t *testing.T) {
	fake := &fakeIssues{comments: []map[string]any{
		// Someone pasted the marker: not the bot's comment, never edited.
		{"id": 1, "body": github.CommentMarker + " fake", "user": map[string]any{"login": "mallory"}},
	}}
	rep := tokenReporter(t, fake)
	sha := strings.Repeat("ab", 20)
	ev := admin.PreviewEvent{Repo: "octo/agents", State: admin.PreviewBuilding, URL: "http://pr-5--agents.localhost:3100",
		Deployment: &admin.Deployment{ID: "d1"}, Preview: &admin.Preview{Number: 5, HeadSHA: sha}}
	for _, state := range []string{admin.PreviewBuilding, admin.PreviewBuilding, admin.PreviewClosed} {
		ev.State = state
		if err := rep.ReportPreview(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	var mine []map[string]any
	for _, c := range fake.comments {
		if c["user"].(map[string]any)["login"] == "mastra-bot" {
			mine = append(mine, c)
		}
	}
	if len(mine) != 1 || !strings.Contains(mine[0]["body"].(string), "removed") {
		t.Errorf("bot comments %v, want one sticky comment edited to the last state", mine)
	}
	if fake.comments[0]["body"] != github.CommentMarker+" fake" {
		t.Errorf("another user's comment with the marker was edited: %v", fake.comments[0])
	}
	if len(fake.statuses) != 2 || fake.statuses[0]["state"] != "pending" || fake.statuses[0]["sha"] != sha ||
		fake.statuses[0]["context"] != github.DefaultStatusContext || fake.statuses[0]["target_url"] != ev.URL {
		t.Errorf("statuses %v", fake.statuses)
	}
	if len(fake.deployments) != 2 {
		t.Fatalf("deployments %v, want one per build", fake.deployments)
	}
	for _, d := range fake.deployments {
		states := d["states"].([]string)
		if d["environment"] != "preview/pr-5" || len(states) != 2 || states[0] != "in_progress" || states[1] != "inactive" {
			t.Errorf("deployment %v, want in_progress then inactive", d)
		}
	}
	// An App reporter needs its bot's login.
	if _, err := newAppSource(t).NewReporter(nil); err == nil {
		t.Error("an App reporter without BotLogin was made")
	}
}

// tokenReporter serves fake and returns the Reporter of a source that
// talks to it with a personal token.
func tokenReporter(t *testing.T, fake *fakeIssues) *github.Reporter {
	t.Helper()
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	src, err := github.New(&github.Options{Token: "ghp_bot", BaseURL: srv.URL + "/api/v3/", Git: git.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := src.NewReporter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// appReporter returns the Reporter of an App's source and the fake API it
// talks to.
func appReporter(t *testing.T, opts *github.ReporterOptions) (*github.Reporter, *fakeIssues) {
	t.Helper()
	api := newFakeAPI(t, "")
	fake := &fakeIssues{auth: "token " + installToken, app: api}
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	src, err := github.New(&github.Options{App: &github.App{AppID: 1, InstallationID: 42, PrivateKey: api.keyPEM()},
		BaseURL: srv.URL + "/api/v3/", Git: git.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := src.NewReporter(opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep, fake
}

func newAppSource(t *testing.T) *github.Source {
	api := newFakeAPI(t, "")
	src, err := github.New(&github.Options{App: &github.App{AppID: 1, InstallationID: 42, PrivateKey: api.keyPEM()},
		BaseURL: api.URL + "/api/v3/", Git: git.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// TestReporterBuildEnds: each build's end reaches the pull request: its
// commit status (success with the URL, failure), its GitHub Deployment's
// status (success with the environment URL, failure), the sticky comment;
// no check runs with a personal token (GitHub refuses them).
func TestReporterBuildEnds(t *testing.T) {
	fake := &fakeIssues{}
	rep := tokenReporter(t, fake)
	url := "http://pr-5--agents.localhost:3100"
	sha1, sha2 := strings.Repeat("ab", 20), strings.Repeat("cd", 20)
	b1 := &admin.Build{ID: "b1", Commit: sha1, Status: admin.BuildSucceeded}
	b2 := &admin.Build{ID: "b2", Commit: sha2, Status: admin.BuildFailed, Error: "mastra build: exit status 1\nstack"}
	var comments []string
	for _, step := range []struct {
		state string
		b     *admin.Build
	}{{admin.PreviewBuilding, b1}, {admin.PreviewReady, b1}, {admin.PreviewBuilding, b2}, {admin.PreviewFailed, b2}, {admin.PreviewClosed, nil}} {
		ev := admin.PreviewEvent{Repo: "octo/agents", State: step.state, URL: url, Build: step.b,
			Deployment: &admin.Deployment{ID: "d1"}, Preview: &admin.Preview{Number: 5, HeadSHA: sha2}}
		if err := rep.ReportPreview(t.Context(), ev); err != nil {
			t.Fatalf("report %s: %v", step.state, err)
		}
		fake.mu.Lock()
		comments = append(comments, fake.comments[0]["body"].(string))
		fake.mu.Unlock()
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	if len(fake.comments) != 1 || !strings.Contains(comments[1], "ready at "+url) || !strings.Contains(comments[3], "exit status 1") ||
		strings.Contains(comments[3], "stack") {
		t.Errorf("the sticky comment read %q (%d comments)", comments, len(fake.comments))
	}
	var got []string
	for _, st := range fake.statuses {
		got = append(got, fmt.Sprint(st["state"], "@", st["sha"].(string)[:2], " ", st["target_url"]))
	}
	want := []string{"pending@ab " + url, "success@ab " + url, "pending@cd " + url, "failure@cd " + url}
	if !slices.Equal(got, want) {
		t.Errorf("commit statuses %q, want %q", got, want)
	}
	if len(fake.deployments) != 2 {
		t.Fatalf("deployments %v, want one per build", fake.deployments)
	}
	for i, w := range []struct {
		sha    string
		states []string
		urls   []string
	}{{sha1, []string{"in_progress", "success", "inactive"}, []string{url, url, ""}},
		{sha2, []string{"in_progress", "failure", "inactive"}, []string{url, "", ""}}} {
		d := fake.deployments[i]
		if d["sha"] != w.sha || !slices.Equal(d["states"].([]string), w.states) || !slices.Equal(d["urls"].([]string), w.urls) {
			t.Errorf("deployment %d: %v, want %s %v %v", i, d, w.sha[:2], w.states, w.urls)
		}
	}
	if len(fake.checkRuns) != 0 {
		t.Errorf("check runs with a personal token: %v", fake.checkRuns)
	}
}

// TestReporterAppCheckRun: as an App, each build of the head commit gets a
// check run, in progress while building and completed with the build's
// end.
func TestReporterAppCheckRun(t *testing.T) {
	rep, fake := appReporter(t, &github.ReporterOptions{BotLogin: "mastra-admin[bot]"})
	sha := strings.Repeat("ef", 20)
	url := "http://pr-5--agents.localhost:3100"
	for i, c := range []struct{ state, status, conclusion string }{
		{admin.PreviewBuilding, "in_progress", ""}, {admin.PreviewReady, "completed", "success"},
		{admin.PreviewBuilding, "in_progress", ""}, {admin.PreviewCancelled, "completed", "cancelled"},
	} {
		ev := admin.PreviewEvent{Repo: "octo/agents", State: c.state, URL: url, Build: &admin.Build{ID: "b", Commit: sha},
			Deployment: &admin.Deployment{ID: "d1"}, Preview: &admin.Preview{Number: 5, HeadSHA: sha}}
		if err := rep.ReportPreview(t.Context(), ev); err != nil {
			t.Fatalf("report %s: %v", c.state, err)
		}
		fake.mu.Lock()
		if len(fake.checkRuns) != i/2+1 {
			t.Fatalf("after %s: check runs %v, want one per build", c.state, fake.checkRuns)
		}
		run := fake.checkRuns[i/2]
		if run["head_sha"] != sha || run["name"] != github.DefaultStatusContext || run["status"] != c.status ||
			fmt.Sprint(cmp.Or(run["conclusion"], any(""))) != c.conclusion || run["details_url"] != url {
			t.Errorf("after %s: check run %v, want %s %s", c.state, run, c.status, c.conclusion)
		}
		fake.mu.Unlock()
	}
}

// TestReporterBranchBuilds: the builds of a deployment that follows a
// branch reach the commits they built: a commit status named after the
// deployment (pending, then success with the URL, or failure with the
// first line of the error, cut to GitHub's 140 characters), a GitHub
// Deployment in the production environment (not transient) per build;
// with an App, a check run of the same name. A build without a commit is
// not reported.
func TestReporterBranchBuilds(t *testing.T) {
	fake := &fakeIssues{}
	rep := tokenReporter(t, fake)
	url := "http://agents.localhost:3100"
	prod := &admin.Deployment{ID: "d1", Slug: "production"}
	sha1, sha2 := strings.Repeat("ab", 20), strings.Repeat("cd", 20)
	long := "mastra build: " + strings.Repeat("é", 200) + "\nstack"
	b1 := &admin.Build{ID: "b1", Commit: sha1}
	b2 := &admin.Build{ID: "b2", Commit: sha2, Error: long}
	for _, step := range []struct {
		state string
		b     *admin.Build
	}{{admin.PreviewBuilding, b1}, {admin.PreviewReady, b1}, {admin.PreviewBuilding, b2}, {admin.PreviewFailed, b2},
		{admin.PreviewReady, &admin.Build{ID: "b3"}}} {
		ev := admin.BranchBuildEvent{Repo: "octo/agents", Deployment: prod, State: step.state, URL: url, Build: step.b}
		if err := rep.ReportBranchBuild(t.Context(), ev); err != nil {
			t.Fatalf("report %s of %s: %v", step.state, step.b.ID, err)
		}
	}
	fake.mu.Lock()
	defer fake.mu.Unlock()
	var got []string
	for _, st := range fake.statuses {
		got = append(got, fmt.Sprint(st["context"], " ", st["state"], "@", st["sha"].(string)[:2], " ", st["target_url"]))
		if d := st["description"].(string); len(d) > 140 || !utf8.ValidString(d) || strings.Contains(d, "stack") {
			t.Errorf("status description %q: more than GitHub's 140 bytes, cut inside a character, or past the first line", d)
		}
	}
	c := github.DefaultBranchStatusPrefix + "/production "
	want := []string{c + "pending@ab " + url, c + "success@ab " + url, c + "pending@cd " + url, c + "failure@cd " + url}
	if !slices.Equal(got, want) {
		t.Errorf("commit statuses %q, want %q", got, want)
	}
	if len(fake.deployments) != 2 {
		t.Fatalf("deployments %v, want one per build", fake.deployments)
	}
	for i, w := range []struct {
		sha    string
		states []string
	}{{sha1, []string{"in_progress", "success"}}, {sha2, []string{"in_progress", "failure"}}} {
		d := fake.deployments[i]
		if d["sha"] != w.sha || d["environment"] != "production" || d["production_environment"] != true ||
			d["transient_environment"] != false || !slices.Equal(d["states"].([]string), w.states) {
			t.Errorf("deployment %d: %v, want %s in production (not transient) %v", i, d, w.sha[:2], w.states)
		}
	}

	appRep, appFake := appReporter(t, &github.ReporterOptions{BotLogin: "mastra-admin[bot]", BranchStatusPrefix: "acme"})
	staging := &admin.Deployment{ID: "d2", Slug: "staging"}
	for _, state := range []string{admin.PreviewBuilding, admin.PreviewCancelled} {
		if err := appRep.ReportBranchBuild(t.Context(), admin.BranchBuildEvent{Repo: "octo/agents", Deployment: staging,
			State: state, URL: url, Build: b1}); err != nil {
			t.Fatalf("report %s as an App: %v", state, err)
		}
	}
	appFake.mu.Lock()
	defer appFake.mu.Unlock()
	if len(appFake.checkRuns) != 1 || appFake.checkRuns[0]["name"] != "acme/staging" || appFake.checkRuns[0]["conclusion"] != "cancelled" {
		t.Errorf("check runs %v, want one named acme/staging, cancelled", appFake.checkRuns)
	}
	if d := appFake.deployments; len(d) != 1 || d[0]["production_environment"] != false {
		t.Errorf("staging deployments %v, want one, not production", d)
	}
}
