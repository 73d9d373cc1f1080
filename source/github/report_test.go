package github_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

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
	deployments []map[string]any // id, ref, environment, states
}

func (f *fakeIssues) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer ghp_bot" {
		http.Error(w, `{"message":"Bad credentials"}`, http.StatusUnauthorized)
		return
	}
	var in map[string]any
	_ = json.NewDecoder(r.Body).Decode(&in)
	p := strings.TrimPrefix(r.URL.Path, "/api/v3")
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
		d := map[string]any{"id": len(f.deployments) + 1, "ref": in["ref"], "environment": in["environment"], "states": []string{}}
		f.deployments = append(f.deployments, d)
		send(201, d)
	case r.Method == "GET" && p == "/repos/octo/agents/deployments":
		var out []map[string]any
		for _, d := range f.deployments {
			if d["environment"] == r.URL.Query().Get("environment") {
				out = append(out, d)
			}
		}
		send(200, out)
	case r.Method == "POST" && strings.HasPrefix(p, "/repos/octo/agents/deployments/") && strings.HasSuffix(p, "/statuses"):
		id, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(p, "/repos/octo/agents/deployments/"), "/statuses"))
		for _, d := range f.deployments {
			if d["id"] == id {
				d["states"] = append(d["states"].([]string), fmt.Sprint(in["state"]))
				send(201, map[string]any{"id": 1, "state": in["state"]})
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
	srv := httptest.NewServer(fake)
	defer srv.Close()
	src, err := github.New(&github.Options{Token: "ghp_bot", BaseURL: srv.URL + "/api/v3/", Git: git.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := src.NewReporter(nil)
	if err != nil {
		t.Fatal(err)
	}
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

func newAppSource(t *testing.T) *github.Source {
	api := newFakeAPI(t, "")
	src, err := github.New(&github.Options{App: &github.App{AppID: 1, InstallationID: 42, PrivateKey: api.keyPEM()},
		BaseURL: api.URL + "/api/v3/", Git: git.Options{CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	return src
}
