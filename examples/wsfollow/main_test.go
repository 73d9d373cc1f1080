package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// TestFollow follows a real build's log over the API's WebSocket to its
// end, and reports a refused upgrade with the server's answer.
func TestFollow(t *testing.T) {
	url := apitest.ServeExample(t, func(api http.Handler) http.Handler { return api })
	root, _ := (&apitest.Client{T: t, URL: url}).Bootstrap("root@example.com")
	var team admin.Team
	root.Do("POST", "/v1/teams", map[string]string{"name": "Follow"}).Must(t, http.StatusCreated, &team)
	var p admin.Project
	root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Follow Agent", "sourceType": "local",
		"sourceConfig": map[string]string{"path": apitest.ProjectPath}}).Must(t, http.StatusCreated, &p)
	var deps struct {
		Items []admin.Deployment `json:"items"`
	}
	root.Do("GET", "/v1/projects/"+p.ID+"/deployments", nil).Must(t, http.StatusOK, &deps)
	prod := deps.Items[0]
	var b admin.Build
	root.Do("POST", "/v1/deployments/"+prod.ID+"/deploy", nil).Must(t, http.StatusAccepted, &b)
	t.Cleanup(func() { root.Do("POST", "/v1/deployments/"+prod.ID+"/stop", nil) })

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ws := url + "/v1/builds/" + b.ID + "/logs/ws"
	var out apitest.Buffer
	if err := follow(ctx, ws, http.Header{"Authorization": {"Bearer " + root.Token}}, &out); err != nil {
		t.Fatalf("follow: %v\n%s", err, out.String())
	}
	msgs := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	var last httpapi.StreamMessage
	if err := json.Unmarshal([]byte(msgs[len(msgs)-1]), &last); err != nil {
		t.Fatalf("last message %q: %v", msgs[len(msgs)-1], err)
	}
	if last.Type != httpapi.MessageEnd || last.Build.Status != admin.BuildSucceeded {
		t.Fatalf("last message %s, want the end of a succeeded build", msgs[len(msgs)-1])
	}
	if !strings.Contains(out.String(), `"type":"log"`) {
		t.Fatalf("no log line printed:\n%s", out.String())
	}

	err := follow(ctx, ws, http.Header{"Authorization": {"Bearer mat_not-a-token"}}, &out)
	if err == nil || !strings.Contains(err.Error(), "401") || !strings.Contains(err.Error(), "unauthenticated") {
		t.Fatalf("follow with a bad token = %v; want the 401 answer", err)
	}
}

// TestHeaderFlag parses -H values and refuses one without a name.
func TestHeaderFlag(t *testing.T) {
	h := headers{}
	for _, v := range []string{"authorization: Bearer x", "x-a:1"} {
		if err := h.Set(v); err != nil {
			t.Fatalf("Set(%q): %v", v, err)
		}
	}
	if got := http.Header(h).Get("Authorization"); got != "Bearer x" {
		t.Errorf("Authorization = %q", got)
	}
	if got := http.Header(h).Get("X-A"); got != "1" {
		t.Errorf("X-A = %q", got)
	}
	for _, v := range []string{"no colon", ": value"} {
		if err := h.Set(v); err == nil {
			t.Errorf("Set(%q) = nil; want an error", v)
		}
	}
}
