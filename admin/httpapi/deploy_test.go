package httpapi_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi/apitest"
)

// follow reads a build's WebSocket to its end and returns the log lines,
// the statuses seen and the end message. Every status and end message
// must carry the build's deployment.
func follow(t *testing.T, s *server, token, buildID string) ([]admin.LogLine, []admin.BuildStatus, httpapi.StreamMessage) {
	t.Helper()
	c := dial(t, s, "/v1/builds/"+buildID+"/logs/ws", token)
	var lines []admin.LogLine
	var statuses []admin.BuildStatus
	for {
		// A real build's npm may print nothing for a long while on a
		// loaded machine (10 s was seen at load 15).
		m, err := readWithin(t, c, 3*time.Minute)
		if err != nil {
			t.Fatalf("stream ended without an end message: %v", err)
		}
		switch m.Type {
		case httpapi.MessageLog:
			lines = append(lines, *m.LogLine)
		case httpapi.MessageStatus:
			if m.Deployment == nil || m.Deployment.ID != m.Build.DeploymentID {
				t.Fatalf("status message without the build's deployment: %+v", m)
			}
			statuses = append(statuses, m.Build.Status)
		case httpapi.MessageEnd:
			if m.Deployment == nil || m.Deployment.ID != m.Build.DeploymentID {
				t.Fatalf("end message without the build's deployment: %+v", m)
			}
			if _, err := read(t, c); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
				t.Fatalf("after end: %v", err)
			}
			return lines, statuses, m
		default:
			t.Fatalf("unexpected message %+v", m)
		}
	}
}

// TestDeploy deploys the fake Mastra project through the API with the
// real local runner and router, follows the build over the WebSocket,
// reads its stored log, reaches the server through the router, rolls back
// and stops.
func TestDeploy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs npm and a server")
	}
	s := newServer(t, &apitest.Config{Start: true}, nil)
	root, _ := s.anon.Bootstrap("root@example.com")
	var team admin.Team
	root.Do("POST", "/v1/teams", map[string]string{"name": "Deployers"}).Must(t, 201, &team)
	var p admin.Project
	root.Do("POST", "/v1/teams/"+team.ID+"/projects", map[string]any{"name": "Demo Agent", "sourceType": "local",
		"sourceConfig": map[string]string{"path": apitest.ProjectPath}, "envVars": map[string]string{"GREETING": "hello"}}).Must(t, 201, &p)
	var deps list[admin.Deployment]
	root.Do("GET", "/v1/projects/"+p.ID+"/deployments", nil).Must(t, 200, &deps)
	prod := deps.Items[0]
	t.Cleanup(func() { root.Do("POST", "/v1/deployments/"+prod.ID+"/stop", nil) })

	var b admin.Build
	root.Do("POST", "/v1/deployments/"+prod.ID+"/deploy", nil).Must(t, 202, &b)
	lines, statuses, endMsg := follow(t, s, root.Token, b.ID)
	end := endMsg.Build
	if end.Status != admin.BuildSucceeded {
		for _, l := range lines {
			t.Log(admin.FormatLogLine(l))
		}
		t.Fatalf("build %s: %s", end.Status, end.Error)
	}
	if d := endMsg.Deployment; d.Status != admin.DeploymentRunning || d.CurrentBuildID != b.ID || d.PublicURL == "" {
		t.Errorf("the end message's deployment: %+v", d)
	}
	if statuses[0] != admin.BuildQueued && statuses[0] != admin.BuildBuilding {
		t.Errorf("first status %s", statuses[0])
	}
	phases := map[string]bool{}
	for i, l := range lines {
		if l.Seq != int64(i) {
			t.Fatalf("line %d has seq %d", i, l.Seq)
		}
		phases[l.Phase] = true
	}
	for _, ph := range []string{"copy", "install", "build", "start"} {
		if !phases[ph] {
			t.Errorf("no %s line in the log; phases %v", ph, phases)
		}
	}

	// The stored log, as text and as JSON lines, matches what streamed.
	text := root.Do("GET", "/v1/builds/"+b.ID+"/logs", nil).Must(t, 200, nil)
	if n := strings.Count(string(text.Body), "\n"); n != len(lines) || !strings.HasPrefix(text.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("text log: %d lines (%s), streamed %d", n, text.Header.Get("Content-Type"), len(lines))
	}
	nd := root.DoWith("GET", "/v1/builds/"+b.ID+"/logs?from=2", nil, http.Header{"Accept": {"application/x-ndjson"}}).Must(t, 200, nil)
	sc := bufio.NewScanner(strings.NewReader(string(nd.Body)))
	seq := int64(2)
	for sc.Scan() {
		var l admin.LogLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil || l.Seq != seq || l.Text != lines[seq].Text {
			t.Fatalf("ndjson line %d: %s (%v)", seq, sc.Text(), err)
		}
		seq++
	}
	if seq != int64(len(lines)) {
		t.Fatalf("ndjson from 2 gave up to %d of %d", seq, len(lines))
	}

	// The server runs and the router reaches it.
	var servers list[admin.RunningServer]
	root.Do("GET", "/v1/deployments/"+prod.ID+"/servers", nil).Must(t, 200, &servers)
	if len(servers.Items) != 1 || servers.Items[0].Status != admin.ServerRunning {
		t.Fatalf("servers %+v", servers.Items)
	}
	proxy := httptest.NewServer(s.Stack.Router)
	defer proxy.Close()
	req, _ := http.NewRequest("GET", proxy.URL+"/health", nil)
	req.Host = p.Slug + ".localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("GET /health through the router: %d", resp.StatusCode)
	}

	// Roll back to the same artifact, then stop.
	var rb admin.Build
	root.Do("POST", "/v1/deployments/"+prod.ID+"/rollback", map[string]string{"buildId": b.ID}).Must(t, 202, &rb)
	if _, _, end := follow(t, s, root.Token, rb.ID); end.Build.Status != admin.BuildSucceeded || end.Build.SourceBuildID != b.ID {
		t.Fatalf("rollback %+v", end.Build)
	}
	// Promote production's build to a staging deployment: no build, the
	// promoted build's artifact copied.
	var staging admin.Deployment
	root.Do("POST", "/v1/projects/"+p.ID+"/deployments", map[string]string{"type": "staging", "branch": "main"}).Must(t, 201, &staging)
	var pb admin.Build
	root.Do("POST", "/v1/deployments/"+staging.ID+"/promote", map[string]string{"buildId": b.ID}).Must(t, 202, &pb)
	if _, _, end := follow(t, s, root.Token, pb.ID); end.Build.Status != admin.BuildSucceeded ||
		end.Build.Trigger != admin.TriggerPromote || end.Build.SourceBuildID != b.ID {
		t.Fatalf("promotion %+v", end.Build)
	}
	root.Do("POST", "/v1/deployments/"+staging.ID+"/stop", nil).Must(t, 204, nil)
	root.Do("POST", "/v1/deployments/"+prod.ID+"/stop", nil).Must(t, 204, nil)
	var d admin.Deployment
	root.Do("GET", "/v1/deployments/"+prod.ID, nil).Must(t, 200, &d)
	if d.Status != admin.DeploymentStopped {
		t.Fatalf("deployment after stop: %s", d.Status)
	}
}
