package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/admin/httpapi"
)

// queuedBuild makes a team, a project and a queued build (the workers do
// not run) through the API and returns the build.
func queuedBuild(t *testing.T, f *fixture) admin.Build {
	t.Helper()
	var b admin.Build
	f.root.Do("POST", "/v1/deployments/"+f.prod.ID+"/deploy", nil).Must(t, 202, &b)
	return b
}

func appendLines(t *testing.T, s *server, buildID string, from, to int) {
	t.Helper()
	lines := make([]admin.LogLine, 0, to-from)
	for i := from; i < to; i++ {
		lines = append(lines, admin.LogLine{Phase: "build", Stream: "stdout", Text: fmt.Sprintf("line %d", i)})
	}
	if err := s.Stack.Logs.Append(context.Background(), buildID, lines...); err != nil {
		t.Fatal(err)
	}
}

func wsURL(s *server, path string) string {
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + path
}

// dial opens the build-log WebSocket, authenticating as browsers do, with
// the token as a second subprotocol.
func dial(t *testing.T, s *server, path, token string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, wsURL(s, path), &websocket.DialOptions{
		Subprotocols: []string{httpapi.Subprotocol, "bearer." + token}})
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	if c.Subprotocol() != httpapi.Subprotocol {
		t.Fatalf("subprotocol %q", c.Subprotocol())
	}
	t.Cleanup(func() { c.CloseNow() })
	c.SetReadLimit(1 << 20)
	return c
}

func read(t *testing.T, c *websocket.Conn) (httpapi.StreamMessage, error) {
	t.Helper()
	return readWithin(t, c, 10*time.Second)
}

// readWithin is read waiting up to limit for the message.
func readWithin(t *testing.T, c *websocket.Conn, limit time.Duration) (httpapi.StreamMessage, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	_, data, err := c.Read(ctx)
	if err != nil {
		return httpapi.StreamMessage{}, err
	}
	var m httpapi.StreamMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("message %s: %v", data, err)
	}
	return m, nil
}

func mustRead(t *testing.T, c *websocket.Conn, typ string) httpapi.StreamMessage {
	t.Helper()
	m, err := read(t, c)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if m.Type != typ {
		t.Fatalf("message of type %q (%+v), want %q", m.Type, m, typ)
	}
	return m
}

// TestWebSocketResume: a client that reconnects with from=lastSeq+1 gets
// every line once; a status message and the final message follow the
// build's end; the close is normal.
func TestWebSocketResume(t *testing.T) {
	s := newServer(t, nil, nil)
	f := newFixture(t, s)
	b := queuedBuild(t, f)
	appendLines(t, s, b.ID, 0, 10)

	var got []int64
	c := dial(t, s, "/v1/builds/"+b.ID+"/logs/ws", f.root.Token)
	if m := mustRead(t, c, httpapi.MessageStatus); m.Build.Status != admin.BuildQueued || m.Deployment == nil ||
		m.Deployment.ID != f.prod.ID || m.Deployment.Status != admin.DeploymentPending {
		t.Fatalf("first status: build %+v, deployment %+v", m.Build, m.Deployment)
	}
	for range 5 {
		got = append(got, mustRead(t, c, httpapi.MessageLog).Seq)
	}
	c.Close(websocket.StatusNormalClosure, "")
	appendLines(t, s, b.ID, 10, 20)

	// Resume, authenticating with the query parameter this time.
	ctx := context.Background()
	c2, _, err := websocket.Dial(ctx, wsURL(s, fmt.Sprintf("/v1/builds/%s/logs/ws?from=%d&access_token=%s", b.ID, got[len(got)-1]+1, f.root.Token)), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.CloseNow()
	mustRead(t, c2, httpapi.MessageStatus)
	for len(got) < 20 {
		m := mustRead(t, c2, httpapi.MessageLog)
		if m.Text != fmt.Sprintf("line %d", m.Seq) || m.Phase != "build" || m.Stream != "stdout" || m.Time.IsZero() {
			t.Fatalf("line %+v", m.LogLine)
		}
		got = append(got, m.Seq)
	}
	for i, seq := range got {
		if seq != int64(i) {
			t.Fatalf("seqs %v: gap or duplicate at %d", got, i)
		}
	}
	// The build ends (cancelled before it started): status, end, close.
	f.root.Do("POST", "/v1/builds/"+b.ID+"/cancel", nil).Must(t, 204, nil)
	m := mustRead(t, c2, httpapi.MessageStatus)
	if m.Build.Status != admin.BuildCancelled {
		t.Fatalf("status %+v", m.Build)
	}
	if m := mustRead(t, c2, httpapi.MessageEnd); m.Build.Status != admin.BuildCancelled {
		t.Fatalf("end %+v", m.Build)
	}
	if _, err := read(t, c2); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Fatalf("after end: %v", err)
	}
	// A stream of an ended build ends at once.
	c3 := dial(t, s, "/v1/builds/"+b.ID+"/logs/ws?from=20", f.root.Token)
	mustRead(t, c3, httpapi.MessageStatus)
	mustRead(t, c3, httpapi.MessageEnd)
}

// TestWebSocketSlowClient: a client that does not read is disconnected
// with 1008 "too slow" once its buffer is full, and appending never waits
// for it.
func TestWebSocketSlowClient(t *testing.T) {
	s := newServer(t, nil, &httpapi.Options{WebSocketBuffer: 8, WriteTimeout: 4 * time.Second})
	f := newFixture(t, s)
	b := queuedBuild(t, f)
	c := dial(t, s, "/v1/builds/"+b.ID+"/logs/ws", f.root.Token)
	const n = 3000
	big := strings.Repeat("x", 4000)
	start := time.Now()
	for i := range n {
		if err := s.Stack.Logs.Append(context.Background(), b.ID, admin.LogLine{Text: big, Phase: fmt.Sprint(i % 10)}); err != nil {
			t.Fatal(err)
		}
	}
	appendTook := time.Since(start)
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(s.Logs.String(), "websocket client too slow") {
		if time.Now().After(deadline) {
			t.Fatal("the slow client was never disconnected")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The close frame (1008 "too slow") queues behind what the client has
	// not read. It arrives when the client drains its socket before the
	// server's write timeout; a client that cannot (on a machine so loaded
	// that this reader is not scheduled for seconds) sees the connection
	// dropped instead: either way it was cut, and said so in the log.
	received, how := 0, ""
	for {
		m, err := read(t, c)
		if err != nil {
			var ce websocket.CloseError
			switch {
			case errors.As(err, &ce) && ce.Code == websocket.StatusPolicyViolation && ce.Reason == "too slow":
				how = "closed 1008 too slow"
			case errors.As(err, &ce):
				t.Fatalf("closed with %v, want 1008 too slow", err)
			default:
				how = fmt.Sprintf("dropped before the close frame could be written (%v)", err)
			}
			break
		}
		if m.Type == httpapi.MessageLog {
			received++
		}
	}
	if received >= n {
		t.Fatalf("the slow client got all %d lines", received)
	}
	t.Logf("appended %d lines in %v; the slow client got %d before it was cut: %s", n, appendTook, received, how)
}

func TestWebSocketRefusals(t *testing.T) {
	s := newServer(t, nil, &httpapi.Options{AllowedOrigins: []string{"https://console.example.com"}})
	f := newFixture(t, s)
	b := queuedBuild(t, f)
	path := "/v1/builds/" + b.ID + "/logs/ws"
	cases := []struct {
		name   string
		header http.Header
		protos []string
		status int
	}{
		{"no token", nil, nil, 401},
		{"bad token", http.Header{"Authorization": {"Bearer mat_nope"}}, nil, 401},
		{"bad token as subprotocol", nil, []string{httpapi.Subprotocol, "bearer.mat_nope"}, 401},
		{"foreign origin", http.Header{"Authorization": {"Bearer " + f.root.Token}, "Origin": {"https://evil.example.com"}}, nil, 403},
		{"listed origin", http.Header{"Authorization": {"Bearer " + f.root.Token}, "Origin": {"https://console.example.com"}}, nil, 101},
		{"same origin", http.Header{"Authorization": {"Bearer " + f.root.Token}, "Origin": {s.srv.URL}}, nil, 101},
	}
	for _, c := range cases {
		conn, resp, err := websocket.Dial(context.Background(), wsURL(s, path), &websocket.DialOptions{HTTPHeader: c.header, Subprotocols: c.protos})
		if err == nil {
			conn.CloseNow()
		}
		if resp == nil || resp.StatusCode != c.status {
			t.Errorf("%s: %v %v, want %d", c.name, resp, err, c.status)
		}
	}
	if r := f.root.Do("GET", "/v1/builds/bld_nope/logs/ws", nil); r.Status != 404 {
		t.Errorf("unknown build: %d", r.Status)
	}
}

// TestWebSocketShutdown: closing the Handler closes its streams with 1001.
func TestWebSocketShutdown(t *testing.T) {
	s := newServer(t, nil, nil)
	f := newFixture(t, s)
	b := queuedBuild(t, f)
	c := dial(t, s, "/v1/builds/"+b.ID+"/logs/ws", f.root.Token)
	mustRead(t, c, httpapi.MessageStatus)
	done := make(chan error, 1)
	go func() { done <- s.h.Close() }()
	if _, err := read(t, c); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("read after Close: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r := f.root.Do("GET", "/v1/me", nil); r.Status != 503 {
		t.Fatalf("after Close: %d", r.Status)
	}
}

// TestWebSocketEndGrace: a build that ended after it started but whose
// log never ends (its worker died) still gets its final message, after the
// grace period.
func TestWebSocketEndGrace(t *testing.T) {
	s := newServer(t, nil, &httpapi.Options{StatusPollInterval: 20 * time.Millisecond})
	httpapi.SetEndGrace(s.h, 300*time.Millisecond)
	f := newFixture(t, s)
	b := queuedBuild(t, f)
	// A worker that then vanishes claims the build.
	if _, err := s.Stack.Store.ClaimBuild(context.Background(), "ghost", time.Now()); err != nil {
		t.Fatal(err)
	}
	appendLines(t, s, b.ID, 0, 3)
	c := dial(t, s, "/v1/builds/"+b.ID+"/logs/ws", f.root.Token)
	if m := mustRead(t, c, httpapi.MessageStatus); m.Build.Status != admin.BuildBuilding {
		t.Fatalf("status %+v", m.Build)
	}
	for range 3 {
		mustRead(t, c, httpapi.MessageLog)
	}
	f.root.Do("POST", "/v1/builds/"+b.ID+"/cancel", nil).Must(t, 204, nil)
	if m := mustRead(t, c, httpapi.MessageStatus); m.Build.Status != admin.BuildCancelled {
		t.Fatalf("status %+v", m.Build)
	}
	if m := mustRead(t, c, httpapi.MessageEnd); m.Build.Status != admin.BuildCancelled {
		t.Fatalf("end %+v", m.Build)
	}
	// The plain HTTP log ends the same way.
	r := f.root.Do("GET", "/v1/builds/"+b.ID+"/logs?format=ndjson", nil).Must(t, 200, nil)
	if n := strings.Count(string(r.Body), "\n"); n != 3 {
		t.Fatalf("%d lines: %s", n, r.Body)
	}
}
