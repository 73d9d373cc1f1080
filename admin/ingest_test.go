package admin_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/observability"
)

// These tests run the ingestion worker on real parts: the SQLite Storage,
// the local FileStorage, and the local runner as TelemetrySource, reading
// real JSONL files that the test writes into a build directory the way a
// deployed server does (a file the test holds open is one a server still
// writes; the runner finds that through /proc). The observability store is
// standInStore, a stand-in for the embedded store (observability/sqlite is
// not committed yet) that keeps one row per key as the contract requires
// of every store: a span by (project, trace id, span id), a log line by
// (project, id), the id observability.LogID derives from the file and the
// line's offset. It counts every row it was given, so that the tests can
// tell what reached it twice.

// standInStore is an in-test ObservabilityStore that deduplicates by key
// and can be made to fail or to hold its inserts.
type standInStore struct {
	mu        sync.Mutex
	spans     map[string]admin.Span
	logs      map[string]admin.LogRecord
	given     int // rows passed to successful inserts, repeats included
	calls     int // insert calls, failed ones included
	failing   bool
	holdAfter int           // when positive, calls after this many wait for their ctx to end
	held      chan struct{} // closed when a call is first held
}

func newStandInStore() *standInStore {
	return &standInStore{spans: map[string]admin.Span{}, logs: map[string]admin.LogRecord{}, held: make(chan struct{})}
}

var errStoreDown = errors.New("stand-in store: down")

// enter applies the failure and the hold to one insert call.
func (s *standInStore) enter(ctx context.Context) error {
	s.mu.Lock()
	s.calls++
	failing, hold := s.failing, s.holdAfter > 0 && s.calls > s.holdAfter
	if hold {
		select {
		case <-s.held:
		default:
			close(s.held)
		}
	}
	s.mu.Unlock()
	if failing {
		return errStoreDown
	}
	if hold {
		<-ctx.Done()
		return ctx.Err()
	}
	return nil
}

func (s *standInStore) InsertSpans(ctx context.Context, spans []admin.Span) error {
	if err := s.enter(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sp := range spans {
		s.spans[sp.ProjectID+"/"+sp.TraceID+"/"+sp.SpanID] = sp
	}
	s.given += len(spans)
	return nil
}

func (s *standInStore) InsertLogs(ctx context.Context, logs []admin.LogRecord) error {
	if err := s.enter(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range logs {
		if l.ID == "" {
			return fmt.Errorf("stand-in store: log line %q without an id", l.Message)
		}
		s.logs[l.ProjectID+"/"+l.ID] = l
	}
	s.given += len(logs)
	return nil
}

func (s *standInStore) QuerySpans(context.Context, admin.TelemetryQuery) ([]admin.Span, error) {
	return nil, admin.ErrNotSupported
}

func (s *standInStore) QueryLogs(context.Context, admin.TelemetryQuery) ([]admin.LogRecord, error) {
	return nil, admin.ErrNotSupported
}

// Close keeps the rows: a restarted Admin is given the same store.
func (s *standInStore) Close() error { return nil }

// counts returns the distinct spans and logs held and the rows given.
func (s *standInStore) counts() (spans, logs, given int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.spans), len(s.logs), s.given
}

func (s *standInStore) setFailing(v bool) {
	s.mu.Lock()
	s.failing = v
	s.mu.Unlock()
}

func (s *standInStore) insertCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// decode is the TelemetryDecodeFunc of these tests: package
// observability's, with its default prices.
var decode = observability.Decoder(nil)

// ingestEnv is a deployEnv (not started) with a successful build whose
// directory the test writes observability files into.
type ingestEnv struct {
	*deployEnv
	obs   *standInStore
	build *admin.Build
	clock *offsetClock
	extra []admin.Option
}

func newIngestEnv(t *testing.T, extra ...admin.Option) *ingestEnv {
	t.Helper()
	obs, oc := newStandInStore(), &offsetClock{}
	extra = append([]admin.Option{admin.WithObservabilityStore(obs), admin.WithTelemetryDecoder(decode),
		admin.WithClock(oc.now)}, extra...)
	e := setUpDeployEnv(t, 20*time.Second, false, extra...)
	b := storeSucceededBuild(t, e.store, filepath.Join(e.dir, "builds"), e.prod)
	return &ingestEnv{deployEnv: e, obs: obs, build: b, clock: oc, extra: extra}
}

// start starts the current Admin.
func (e *ingestEnv) start(t *testing.T) {
	t.Helper()
	if err := e.a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// restart closes the Admin, calls between, and opens and starts a new one
// on the same state, with the same observability store.
func (e *ingestEnv) restart(t *testing.T, between func()) {
	t.Helper()
	if err := e.a.Close(); err != nil {
		t.Fatal(err)
	}
	between()
	s, a := newAdmin(t, e.dir, e.projects, 20*time.Second, e.extra...)
	t.Cleanup(func() { a.Close() })
	e.stack, e.a = s, a
	e.start(t)
}

// jsonlFile is an observability file the test writes as a server would:
// held open until close.
type jsonlFile struct {
	t    *testing.T
	f    *os.File
	path string
	name string // TelemetryFile.Name
}

func (e *ingestEnv) newFile(t *testing.T, kind, name string) *jsonlFile {
	t.Helper()
	dir := filepath.Join(e.dir, "builds", e.build.ID, "observability", kind)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return &jsonlFile{t: t, f: f, path: p, name: kind + "/" + name}
}

func (w *jsonlFile) write(s string) {
	w.t.Helper()
	if _, err := w.f.WriteString(s); err != nil {
		w.t.Fatal(err)
	}
}

func (w *jsonlFile) close() {
	w.t.Helper()
	if err := w.f.Close(); err != nil {
		w.t.Fatal(err)
	}
}

var telemetryEpoch = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// spanLine is a valid span line; tag keeps ids unique across files.
func spanLine(b *admin.Build, tag string, i int) string {
	at := telemetryEpoch.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
	return fmt.Sprintf(`{"schemaVersion":1,"kind":"span","projectId":%q,"deploymentId":%q,"buildId":%q,`+
		`"traceId":"trace-%s-%d","spanId":"span-%s-%d","name":"step","type":"workflow_step",`+
		`"startTime":%q,"endTime":%q,"attributes":{"i":%d}}`+"\n",
		b.ProjectID, b.DeploymentID, b.ID, tag, i/10, tag, i, at, at, i)
}

// logLine is a valid log line with a unique message.
func logLine(b *admin.Build, tag string, i int) string {
	at := telemetryEpoch.Add(time.Duration(i) * time.Millisecond).Format(time.RFC3339Nano)
	return fmt.Sprintf(`{"schemaVersion":1,"kind":"log","projectId":%q,"deploymentId":%q,"buildId":%q,`+
		`"time":%q,"level":"info","message":"line %s %d","data":{"i":%d}}`+"\n",
		b.ProjectID, b.DeploymentID, b.ID, at, tag, i, i)
}

func lines(n int, line func(int) string) string {
	var sb strings.Builder
	for i := range n {
		sb.WriteString(line(i))
	}
	return sb.String()
}

// checkpoint reads the checkpoint of a file of the build; nil when none.
func (e *ingestEnv) checkpoint(t *testing.T, name string) *admin.IngestCheckpoint {
	t.Helper()
	store := e.stack.store
	cp, err := store.GetCheckpoint(context.Background(), e.build.ID+"/"+name)
	if errors.Is(err, admin.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return cp
}

// waitCheckpoint waits until the file's checkpoint satisfies ok.
func (e *ingestEnv) waitCheckpoint(t *testing.T, name, what string, ok func(*admin.IngestCheckpoint) bool) *admin.IngestCheckpoint {
	t.Helper()
	return waitFor(t, time.Minute, name+": "+what, func() (*admin.IngestCheckpoint, bool) {
		cp := e.checkpoint(t, name)
		return cp, cp != nil && ok(cp)
	})
}

func archived(cp *admin.IngestCheckpoint) bool { return cp.ArchivedAt != nil }

// readStored reads a file from FileStorage.
func (e *ingestEnv) readStored(t *testing.T, p string) string {
	t.Helper()
	rc, err := e.stack.files.Read(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestIngestFiles: two closed files (12,000 spans, more than two batches,
// and 300 logs) are ingested exactly, archived to FileStorage under
// observability/{kind}/{project}/{build}/{file} with their content, removed
// from the build directory, and reported by IngestHealth (to platform
// admins only).
func TestIngestFiles(t *testing.T) {
	e := newIngestEnv(t)
	spans := e.newFile(t, "spans", "20261201T100000000Z_a.jsonl")
	logs := e.newFile(t, "logs", "20261201T100000000Z_b.jsonl")
	spanText, logText := lines(12000, func(i int) string { return spanLine(e.build, "a", i) }),
		lines(300, func(i int) string { return logLine(e.build, "b", i) })
	spans.write(spanText)
	logs.write(logText)
	spans.close()
	logs.close()
	e.start(t)

	for _, f := range []struct {
		file *jsonlFile
		kind string
		n    int64
		text string
	}{{spans, "spans", 12000, spanText}, {logs, "logs", 300, logText}} {
		cp := e.waitCheckpoint(t, f.file.name, "archived", archived)
		if cp.Lines != f.n || cp.Quarantined != 0 || cp.Offset != int64(len(f.text)) {
			t.Errorf("%s: checkpoint lines %d quarantined %d offset %d, want %d, 0, %d", f.file.name, cp.Lines, cp.Quarantined, cp.Offset, f.n, len(f.text))
		}
		want := "observability/" + f.kind + "/" + e.build.ProjectID + "/" + e.build.ID + "/" + filepath.Base(f.file.path)
		if cp.ArchivedPath != want {
			t.Errorf("archived path %q, want %q", cp.ArchivedPath, want)
		}
		if got := e.readStored(t, cp.ArchivedPath); got != f.text {
			t.Errorf("%s: archived content differs from the file (%d bytes, want %d)", f.file.name, len(got), len(f.text))
		}
		if _, err := os.Stat(f.file.path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still in the build directory after archiving (%v)", f.file.path, err)
		}
	}
	if s, l, given := e.obs.counts(); s != 12000 || l != 300 || given != 12300 {
		t.Errorf("store holds %d spans and %d logs from %d rows given, want 12000, 300 and 12300", s, l, given)
	}

	h := waitFor(t, time.Minute, "health after the round", func() (admin.IngestHealth, bool) {
		h, err := e.a.IngestHealth(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h, h.Files == 0 && h.LastSuccess != nil
	})
	if !h.Running || h.Lines != 12300 || h.Quarantined != 0 || h.PendingBytes != 0 || h.Lag != 0 {
		t.Errorf("health %+v, want running, 12300 lines, nothing quarantined or pending", h)
	}
	viewer := e.user(t, "viewer@example.com")
	if _, err := e.a.IngestHealth(as(viewer.ID)); !errors.Is(err, admin.ErrForbidden) {
		t.Errorf("IngestHealth as a user who is no platform admin: %v, want ErrForbidden", err)
	}
}

func (e *ingestEnv) user(t *testing.T, email string) *admin.User {
	t.Helper()
	return must[*admin.User](t)(e.a.CreateUser(e.ctx, admin.NewUser{Email: email, Name: email}))
}

// TestIngestOpenFileAndPartialLine: a file still written is ingested line
// by line, its unfinished last line waits for its end, and it is archived
// only once closed.
func TestIngestOpenFileAndPartialLine(t *testing.T) {
	e := newIngestEnv(t)
	f := e.newFile(t, "logs", "20261201T100000000Z_c.jsonl")
	first := lines(10, func(i int) string { return logLine(e.build, "c", i) })
	last := logLine(e.build, "c", 10)
	f.write(first + last[:len(last)/2])
	e.start(t)

	cp := e.waitCheckpoint(t, f.name, "10 lines", func(cp *admin.IngestCheckpoint) bool { return cp.Lines == 10 })
	if cp.Offset != int64(len(first)) || cp.ArchivedAt != nil || cp.Quarantined != 0 {
		t.Fatalf("with half a last line: offset %d archived %v quarantined %d, want %d, not archived, 0", cp.Offset, cp.ArchivedAt, cp.Quarantined, len(first))
	}
	// Health is updated at the end of each round.
	waitFor(t, time.Minute, "health to count the open file with bytes pending", func() (admin.IngestHealth, bool) {
		h := must[admin.IngestHealth](t)(e.a.IngestHealth(e.ctx))
		return h, h.Files == 1 && h.PendingBytes == int64(len(last)/2)
	})
	f.write(last[len(last)/2:])
	e.waitCheckpoint(t, f.name, "the completed line", func(cp *admin.IngestCheckpoint) bool { return cp.Lines == 11 })
	f.write(logLine(e.build, "c", 11))
	f.close()
	cp = e.waitCheckpoint(t, f.name, "archived", archived)
	if cp.Lines != 12 || cp.Quarantined != 0 {
		t.Errorf("after close: %d lines, %d quarantined, want 12 and 0", cp.Lines, cp.Quarantined)
	}
	if _, l, _ := e.obs.counts(); l != 12 {
		t.Errorf("store holds %d logs, want 12", l)
	}
}

// TestIngestQuarantine: malformed lines (bad JSON, a wrong type, an
// unknown schemaVersion, a missing id, a line over the 8 MiB limit, and a
// last line the closed file never ended) are written to quarantine with
// their offset and reason and counted; the valid lines around them are
// all ingested.
func TestIngestQuarantine(t *testing.T) {
	e := newIngestEnv(t)
	f := e.newFile(t, "spans", "20261201T100000000Z_d.jsonl")
	var text strings.Builder
	bad := map[int64]string{} // offset → a word of the reason
	valid := 0
	add := func(line, reason string) {
		if reason != "" {
			bad[int64(text.Len())] = reason
		} else {
			valid++
		}
		text.WriteString(line)
	}
	add(spanLine(e.build, "d", 0), "")
	add("{not json\n", "JSON")
	add(spanLine(e.build, "d", 1), "")
	add(strings.Replace(spanLine(e.build, "d", 2), `"name":"step"`, `"name":5`, 1), "bad span")
	add(strings.Replace(spanLine(e.build, "d", 3), `"schemaVersion":1`, `"schemaVersion":2`, 1), "schemaVersion")
	add(strings.Replace(spanLine(e.build, "d", 4), `"spanId":"span-d-4"`, `"spanId":""`, 1), "spanId")
	add(`{"schemaVersion":1,"kind":"span","pad":"`+strings.Repeat("x", admin.MaxTelemetryLine)+`"}`+"\n", "longer than")
	add(spanLine(e.build, "d", 5), "")
	add("\n", "") // blank: skipped, not counted
	valid--
	add(`{"schemaVersion":1,"kind":"span","tr`, "unfinished")
	f.write(text.String())
	f.close()
	e.start(t)

	cp := e.waitCheckpoint(t, f.name, "archived", archived)
	if cp.Lines != int64(valid) || cp.Quarantined != int64(len(bad)) || cp.Offset != int64(text.Len()) {
		t.Errorf("checkpoint: %d lines, %d quarantined, offset %d; want %d, %d, %d", cp.Lines, cp.Quarantined, cp.Offset, valid, len(bad), text.Len())
	}
	if s, _, _ := e.obs.counts(); s != valid {
		t.Errorf("store holds %d spans, want %d", s, valid)
	}
	prefix := "observability/quarantine/" + e.build.ProjectID + "/" + cp.ID + "/"
	stored := must[[]admin.FileInfo](t)(e.stack.files.List(context.Background(), prefix))
	if len(stored) != len(bad) {
		t.Fatalf("%d quarantined lines stored under %s, want %d", len(stored), prefix, len(bad))
	}
	for _, fi := range stored {
		var q struct {
			File   string `json:"file"`
			Offset int64  `json:"offset"`
			Reason string `json:"reason"`
			Line   string `json:"line"`
		}
		if err := json.Unmarshal([]byte(e.readStored(t, fi.Path)), &q); err != nil {
			t.Fatalf("%s: %v", fi.Path, err)
		}
		word, ok := bad[q.Offset]
		if !ok || q.File != cp.ID || !strings.Contains(q.Reason, word) || q.Line == "" {
			t.Errorf("%s: quarantined %+v (line cut), want offset among the bad lines and a reason with %q", fi.Path, struct {
				File   string
				Offset int64
				Reason string
			}{q.File, q.Offset, q.Reason}, word)
		}
	}
	h := must[admin.IngestHealth](t)(e.a.IngestHealth(e.ctx))
	if h.Quarantined != int64(len(bad)) {
		t.Errorf("health counts %d quarantined lines, want %d", h.Quarantined, len(bad))
	}
}

// TestIngestTruncatedAndReplaced: a file truncated below its committed
// offset and a file replaced by another content are read again from the
// start; the store then holds the old lines and the new, each once.
func TestIngestTruncatedAndReplaced(t *testing.T) {
	e := newIngestEnv(t)
	trunc := e.newFile(t, "spans", "20261201T100000000Z_e.jsonl")
	trunc.write(lines(100, func(i int) string { return spanLine(e.build, "e", i) }))
	repl := e.newFile(t, "spans", "20261201T100000000Z_f.jsonl")
	repl.write(lines(100, func(i int) string { return spanLine(e.build, "f", i) }))
	e.start(t)
	e.waitCheckpoint(t, trunc.name, "100 lines", func(cp *admin.IngestCheckpoint) bool { return cp.Lines == 100 })
	e.waitCheckpoint(t, repl.name, "100 lines", func(cp *admin.IngestCheckpoint) bool { return cp.Lines == 100 })

	if err := trunc.f.Truncate(0); err != nil {
		t.Fatal(err)
	}
	trunc.write(lines(30, func(i int) string { return spanLine(e.build, "e2", i) }))
	// Replaced: same name, new content longer than what was committed. The
	// old file is removed while still open, so that it is never seen closed
	// (and archived).
	if err := os.Remove(repl.path); err != nil {
		t.Fatal(err)
	}
	repl = e.newFile(t, "spans", "20261201T100000000Z_f.jsonl")
	repl.write(lines(150, func(i int) string { return spanLine(e.build, "f2", i) }))

	trunc.close()
	repl.close()
	cpT := e.waitCheckpoint(t, trunc.name, "archived", archived)
	cpR := e.waitCheckpoint(t, repl.name, "archived", archived)
	if cpT.Lines != 30 || cpR.Lines != 150 {
		t.Errorf("after truncation %d lines, after replacement %d, want 30 and 150", cpT.Lines, cpR.Lines)
	}
	if s, _, _ := e.obs.counts(); s != 100+30+100+150 {
		t.Errorf("store holds %d spans, want %d (old and new lines, each once)", s, 100+30+100+150)
	}
}

// TestIngestStoreDown: while every insert fails, nothing is committed and
// the file stays; the error shows in IngestHealth; once the store answers,
// everything is ingested, each line stored once.
func TestIngestStoreDown(t *testing.T) {
	e := newIngestEnv(t)
	e.obs.setFailing(true)
	f := e.newFile(t, "logs", "20261201T100000000Z_g.jsonl")
	f.write(lines(7000, func(i int) string { return logLine(e.build, "g", i) }))
	f.close()
	e.start(t)
	waitFor(t, time.Minute, "five failed inserts", func() (int, bool) { n := e.obs.insertCalls(); return n, n >= 5 })
	cp := e.checkpoint(t, f.name)
	if cp == nil || cp.Offset != 0 || cp.Lines != 0 || cp.ArchivedAt != nil || !strings.Contains(cp.LastError, "down") {
		t.Fatalf("while the store is down: checkpoint %+v, want offset 0, nothing archived, the store's error", cp)
	}
	if _, err := os.Stat(f.path); err != nil {
		t.Fatalf("the file must stay while the store is down: %v", err)
	}
	h := must[admin.IngestHealth](t)(e.a.IngestHealth(e.ctx))
	if !strings.Contains(h.LastError, "down") || h.PendingBytes == 0 || h.Files != 1 {
		t.Errorf("health while the store is down: %+v, want its error, 1 file and bytes pending", h)
	}

	e.obs.setFailing(false)
	cp = e.waitCheckpoint(t, f.name, "archived", archived)
	if cp.Lines != 7000 || cp.LastError != "" {
		t.Errorf("after recovery: %d lines, last error %q; want 7000 and none", cp.Lines, cp.LastError)
	}
	// A batch inserted beside one that failed is inserted again after it:
	// rows given twice, stored once.
	if _, l, given := e.obs.counts(); l != 7000 || given < 7000 || given > 7000+5000 {
		t.Errorf("store holds %d logs from %d rows given, want 7000 from 7000 to 12000 (at most one batch given twice)", l, given)
	}
}

// TestIngestRestartMidFile: the Admin is closed while a batch of a file's
// lines is being inserted (the store holds it); the new Admin resumes from
// the committed offset: every line is in the store once, and at most the
// abandoned batch was given twice.
func TestIngestRestartMidFile(t *testing.T) {
	e := newIngestEnv(t)
	f := e.newFile(t, "spans", "20261201T100000000Z_h.jsonl")
	f.write(lines(12000, func(i int) string { return spanLine(e.build, "h", i) }))
	f.close()
	// Let the first insert through, then hold the second until the Admin
	// closes.
	e.obs.mu.Lock()
	e.obs.holdAfter = 1
	e.obs.mu.Unlock()
	e.start(t)
	<-e.obs.held
	// The first batch is committed once its insert returned (the second
	// may be handed over before).
	cp := e.waitCheckpoint(t, f.name, "the first batch committed", func(cp *admin.IngestCheckpoint) bool { return cp.Lines > 0 })
	if cp.Lines >= 12000 {
		t.Fatalf("with the second insert held: checkpoint %+v, want the first batch committed only", cp)
	}
	e.restart(t, func() {
		e.obs.mu.Lock()
		e.obs.holdAfter = 0
		e.obs.mu.Unlock()
	})
	cp = e.waitCheckpoint(t, f.name, "archived", archived)
	if cp.Lines != 12000 {
		t.Errorf("after the restart the checkpoint counts %d lines, want 12000", cp.Lines)
	}
	s, _, given := e.obs.counts()
	if s != 12000 || given > 12000+5000 {
		t.Errorf("store holds %d spans from %d rows given, want 12000 and at most one batch more", s, given)
	}
}

// TestIngestRetentionAndSweep: a failed build's directory is kept while
// it holds observability files not yet archived, and removed by the sweep
// once they are; archived files are deleted from FileStorage, with their
// checkpoints, after the retention.
func TestIngestRetentionAndSweep(t *testing.T) {
	e := newIngestEnv(t, admin.WithObservabilityRetention(time.Hour), admin.WithFailedBuildRetention(0))
	now := time.Now().UTC().Truncate(time.Microsecond)
	failed := &admin.Build{ID: admin.NewID("bld", now), DeploymentID: e.prod.ID, ProjectID: e.project.ID,
		Trigger: admin.TriggerManual, Status: admin.BuildFailed, QueuedAt: now, StartedAt: &now, CompletedAt: &now,
		UpdatedAt: now, Version: 1}
	if err := e.store.CreateBuild(context.Background(), failed); err != nil {
		t.Fatal(err)
	}
	e.build = failed
	f := e.newFile(t, "spans", "20261201T100000000Z_i.jsonl")
	f.write(lines(10, func(i int) string { return spanLine(e.build, "i", i) }))
	e.start(t)
	e.waitCheckpoint(t, f.name, "10 lines", func(cp *admin.IngestCheckpoint) bool { return cp.Lines == 10 })
	dir := filepath.Join(e.dir, "builds", failed.ID)
	// Another failed build, without files: its removal shows that a sweep
	// went through the build directory.
	other := storeSucceededBuild(t, e.store, filepath.Join(e.dir, "builds"), e.prod)
	other.Status = admin.BuildFailed
	if err := e.store.UpdateBuild(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	e.clock.advance(2 * time.Minute) // a build sweep is due
	waitFor(t, time.Minute, "a sweep to remove the other failed build's directory", func() (bool, bool) {
		_, err := os.Stat(filepath.Join(e.dir, "builds", other.ID))
		return true, errors.Is(err, os.ErrNotExist)
	})
	if _, err := os.Stat(dir); err != nil {
		t.Fatalf("the sweep removed a build directory whose file is not archived: %v", err)
	}
	f.close()
	cp := e.waitCheckpoint(t, f.name, "archived", archived)
	e.clock.advance(2 * time.Minute)
	waitFor(t, time.Minute, "the build directory removed once its files are archived", func() (bool, bool) {
		_, err := os.Stat(dir)
		return true, errors.Is(err, os.ErrNotExist)
	})
	if ok := must[bool](t)(e.stack.files.Exists(context.Background(), cp.ArchivedPath)); !ok {
		t.Fatalf("archived file %s missing before the retention ended", cp.ArchivedPath)
	}
	e.clock.advance(2 * time.Hour)
	waitFor(t, time.Minute, "the archived file deleted after the retention", func() (bool, bool) {
		ok := must[bool](t)(e.stack.files.Exists(context.Background(), cp.ArchivedPath))
		return true, !ok && e.checkpoint(t, f.name) == nil
	})
	if s, _, _ := e.obs.counts(); s != 10 {
		t.Errorf("store holds %d spans, want 10", s)
	}
}
