package admin_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

// sqliteObs is a durable stand-in for the embedded observability store
// (observability/sqlite is not committed yet), for the kill test: one
// row per key in a SQLite file (spans by project, trace and span id, log
// lines by project and id), each insert one transaction, and a count of
// every row it was given.
type sqliteObs struct{ db *sql.DB }

func openSQLiteObs(t *testing.T, path string) *sqliteObs {
	t.Helper()
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + url.Values{"_pragma": {"busy_timeout(10000)", "journal_mode(WAL)"}}.Encode()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{`CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY)`,
		`CREATE TABLE IF NOT EXISTS given (n INTEGER NOT NULL)`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	return &sqliteObs{db: db}
}

func (s *sqliteObs) insert(ctx context.Context, keys []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO rows (key) VALUES (?)`, k); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO given (n) VALUES (?)`, len(keys)); err != nil {
		return err
	}
	return tx.Commit()
}

func (s *sqliteObs) InsertSpans(ctx context.Context, spans []admin.Span) error {
	keys := make([]string, len(spans))
	for i, sp := range spans {
		keys[i] = "span/" + sp.ProjectID + "/" + sp.TraceID + "/" + sp.SpanID
	}
	return s.insert(ctx, keys)
}

func (s *sqliteObs) InsertLogs(ctx context.Context, logs []admin.LogRecord) error {
	keys := make([]string, len(logs))
	for i, l := range logs {
		keys[i] = "log/" + l.ProjectID + "/" + l.ID
	}
	return s.insert(ctx, keys)
}

func (s *sqliteObs) QuerySpans(context.Context, admin.TelemetryQuery) ([]admin.Span, error) {
	return nil, admin.ErrNotSupported
}

func (s *sqliteObs) QueryLogs(context.Context, admin.TelemetryQuery) ([]admin.LogRecord, error) {
	return nil, admin.ErrNotSupported
}

func (s *sqliteObs) Close() error { return s.db.Close() }

// counts returns the distinct rows held and the rows given in all.
func (s *sqliteObs) counts(t *testing.T) (rows, given int) {
	t.Helper()
	if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM rows), (SELECT coalesce(sum(n), 0) FROM given)`).Scan(&rows, &given); err != nil {
		t.Fatal(err)
	}
	return rows, given
}

// Environment of the kill test's child process.
const (
	killChildDir      = "MASTRA_ADMIN_INGEST_KILL_DIR"
	killChildProjects = "MASTRA_ADMIN_INGEST_KILL_PROJECTS"
)

// TestIngestKill9 kills the admin process with SIGKILL at random moments
// while it ingests (after its first insert, at a random moment up to
// 200 ms later), 12 times, and then lets a last one finish: the store
// holds every line of the files exactly once, and the checkpoints count
// them all. The admin runs in a child process (this test binary run again
// as TestIngestKill9Child) on the same state; the files are four closed
// ones of 12,000 lines written first and one the test appends 500 lines to
// before each child starts, as a running server would.
func TestIngestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a child process many times")
	}
	e := newIngestEnv(t)
	if err := e.a.Close(); err != nil { // the children run the Admin
		t.Fatal(err)
	}
	obsPath := filepath.Join(e.dir, "obs.db")
	total := 0
	for i, kind := range []string{"spans", "spans", "spans", "logs"} {
		f := e.newFile(t, kind, fmt.Sprintf("20261201T10000%d000Z_k%d.jsonl", i, i))
		tag := "k" + strconv.Itoa(i)
		if kind == "spans" {
			f.write(lines(12000, func(j int) string { return spanLine(e.build, tag, j) }))
		} else {
			f.write(lines(12000, func(j int) string { return logLine(e.build, tag, j) }))
		}
		f.close()
		total += 12000
	}
	watch := openSQLiteObs(t, obsPath)
	defer watch.Close()
	live := e.newFile(t, "logs", "20261201T100009000Z_live.jsonl")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	kills := 12
	for k := range kills {
		live.write(lines(500, func(j int) string { return logLine(e.build, "live", k*500+j) }))
		total += 500
		cmd := exec.Command(os.Args[0], "-test.run=^TestIngestKill9Child$", "-test.v")
		cmd.Env = append(os.Environ(), killChildDir+"="+e.dir, killChildProjects+"="+e.projects)
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// A random moment once the child ingests: after its first insert,
		// up to 200 ms later (more inserts, or one in flight).
		_, before := watch.counts(t)
		waitFor(t, 2*time.Minute, "the child to insert", func() (int, bool) {
			_, given := watch.counts(t)
			return given, given > before
		})
		<-time.After(time.Duration(rng.IntN(200)) * time.Millisecond)
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait() // killed: the error says so
	}
	live.close()

	obs := openSQLiteObs(t, obsPath)
	extra := append(e.extra[:len(e.extra):len(e.extra)], admin.WithObservabilityStore(obs))
	s, a := newAdmin(t, e.dir, e.projects, 20*time.Second, extra...)
	t.Cleanup(func() { a.Close() })
	e.stack, e.a = s, a
	e.start(t)
	waitFor(t, 2*time.Minute, "every file archived", func() (int, bool) {
		cps := must[[]*admin.IngestCheckpoint](t)(s.store.ListCheckpoints(context.Background(), admin.CheckpointFilter{BuildID: e.build.ID}, admin.Page{}))
		done := 0
		for _, cp := range cps {
			if cp.ArchivedAt != nil {
				done++
			}
		}
		return done, len(cps) == 5 && done == 5
	})
	cps := must[[]*admin.IngestCheckpoint](t)(s.store.ListCheckpoints(context.Background(), admin.CheckpointFilter{BuildID: e.build.ID}, admin.Page{}))
	var counted int64
	for _, cp := range cps {
		counted += cp.Lines
		if cp.Quarantined != 0 {
			t.Errorf("%s: %d lines quarantined, want none", cp.ID, cp.Quarantined)
		}
	}
	rows, given := obs.counts(t)
	testenv.Figure(t, "%d kills; %d lines in the files, %d rows in the store, %d rows given to it (%d again after a kill), %d counted by checkpoints",
		kills, total, rows, given, given-rows, counted)
	if rows != total || counted != int64(total) {
		t.Errorf("store holds %d rows and checkpoints count %d lines, want %d (the lines in the files)", rows, counted, total)
	}
}

// TestIngestKill9Child is the admin process TestIngestKill9 kills: it runs
// only when that test starts it, and ingests until killed.
func TestIngestKill9Child(t *testing.T) {
	dir := os.Getenv(killChildDir)
	if dir == "" {
		t.Skip("run by TestIngestKill9")
	}
	obs := openSQLiteObs(t, filepath.Join(dir, "obs.db"))
	_, a := newAdmin(t, dir, os.Getenv(killChildProjects), 20*time.Second, admin.WithObservabilityStore(obs),
		admin.WithTelemetryDecoder(decode))
	if err := a.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	<-t.Context().Done() // until killed
}
