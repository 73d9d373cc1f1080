package admin_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// gatedReporter records reports like recordingReporter; a report of the
// state in hold waits until release is closed, and fail makes the next
// report fail.
type gatedReporter struct {
	recordingReporter
	hold    string
	entered chan struct{}
	release chan struct{}
	mu      sync.Mutex
	fail    bool
}

func (g *gatedReporter) ReportPreview(ctx context.Context, ev admin.PreviewEvent) error {
	if ev.State == g.hold {
		close(g.entered)
		<-g.release
	}
	g.mu.Lock()
	fail := g.fail
	g.fail = false
	g.mu.Unlock()
	if fail {
		return errors.New("GitHub answered 502 (test)")
	}
	return g.recordingReporter.ReportPreview(ctx, ev)
}

// TestPreviewReportClaims: two admin processes' preview workers on one
// Storage report each state of a pull request once, in order. While one
// admin's report is in flight (claimed in Storage), the other reports
// nothing of that preview, not even a newer state, and does not tear it
// down; then the closed state is reported before the teardown; a claim
// left by an admin that died is taken over after ReportClaimTimeout, and a
// failed report is given back and made again.
func TestPreviewReportClaims(t *testing.T) {
	repA := &gatedReporter{hold: admin.PreviewBuilding, entered: make(chan struct{}), release: make(chan struct{})}
	e := newHookEnv(t, false, admin.WithPreviewReporter(repA))
	s, err := openStack(e.dir, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	clock := &offsetClock{}
	repB := &gatedReporter{}
	b, err := admin.New(e.options(s, admin.WithPreviewReporter(repB), admin.WithInstanceID("b"), admin.WithClock(clock.now))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	roundB := func() { admin.PreviewRound(context.Background(), b) }

	head := e.repo.Commit(t, "feature/claim", map[string]string{"c.ts": "1\n"}, "claim")
	res, _ := e.deliver(t, "pull_request", e.prPayload("opened", 80, "feature/claim", head, "octo/agents"))
	build := res.Actions[0].BuildID
	aDone := make(chan struct{})
	go func() { defer close(aDone); e.round() }()
	<-repA.entered // A's report of "building" is in flight

	roundB()
	if err := e.a.CancelBuild(e.ctx, build); err != nil { // a newer state: cancelled
		t.Fatal(err)
	}
	roundB()
	res, _ = e.deliver(t, "pull_request", e.prPayload("closed", 80, "feature/claim", head, "octo/agents"))
	if res.Actions[0].Action != "teardown" {
		t.Fatalf("closed: %+v", res.Actions)
	}
	roundB()
	if got := repB.states(80); len(got) != 0 {
		t.Fatalf("admin b reported %v while a's report was in flight", got)
	}
	if _, err := e.deployment(t, "pr-80"); err != nil {
		t.Fatalf("the preview was torn down while a report of it was in flight: %v", err)
	}

	close(repA.release)
	<-aDone
	if _, err := e.deployment(t, "pr-80"); err != nil {
		t.Fatalf("a tore the preview down before its closed state was reported: %v", err)
	}
	roundB()
	if got := strings.Join(repA.states(80), " "); got != "building:"+build {
		t.Errorf("admin a reported %s, want building:%s", got, build)
	}
	if got := strings.Join(repB.states(80), " "); got != "closed:" {
		t.Errorf("admin b reported %q, want only closed", got)
	}
	if _, err := e.deployment(t, "pr-80"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("the closed preview was not torn down once reported: %v", err)
	}

	// A claim left by an admin that died: A's report of a new preview never
	// returns; B takes it over once the claim is older than the timeout.
	repA.hold, repA.entered, repA.release = admin.PreviewBuilding, make(chan struct{}), make(chan struct{})
	head = e.repo.Commit(t, "feature/dead", map[string]string{"d.ts": "1\n"}, "dead")
	res, _ = e.deliver(t, "pull_request", e.prPayload("opened", 81, "feature/dead", head, "octo/agents"))
	go e.round()
	<-repA.entered
	t.Cleanup(func() { close(repA.release) })
	roundB()
	if got := repB.states(81); len(got) != 0 {
		t.Fatalf("admin b reported %v under a fresh claim", got)
	}
	clock.advance(admin.ReportClaimTimeout + time.Second)
	repB.mu.Lock()
	repB.fail = true // b's first report fails: the claim is given back
	repB.mu.Unlock()
	roundB()
	if got := repB.states(81); len(got) != 0 {
		t.Fatalf("a failed report was recorded: %v", got)
	}
	roundB()
	if got := strings.Join(repB.states(81), " "); got != "building:"+res.Actions[0].BuildID {
		t.Errorf("admin b reported %q for a claim past its timeout, want building", got)
	}
}
