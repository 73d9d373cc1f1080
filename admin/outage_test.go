package admin_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"iter"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awss3 "github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	goredis "github.com/redis/go-redis/v9"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/s3"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	logredis "github.com/mastra-admin/mastra-admin-go/logcache/redis"
	routerlocal "github.com/mastra-admin/mastra-admin-go/router/local"
	runnerlocal "github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
	sourcelocal "github.com/mastra-admin/mastra-admin-go/source/local"
	"github.com/mastra-admin/mastra-admin-go/storage/postgres"
)

// The outage tests run an in-process Admin on PostgreSQL, Redis and an S3
// file store (gofakes3 over real HTTP), with the local runner building
// runnertest's fake project, and take one of the three away mid-deploy.
//
// The PostgreSQL and Redis servers of this machine are shared with other
// test packages running at the same time, so they are never restarted:
// each is reached through a testenv.FaultProxy instead, whose Cut is what
// a restart looks like from the admin's side (every open connection reset,
// new ones refused until Restore). The file store fails through its HTTP
// handler, which answers 503 while the test says so, or through a
// FaultProxy in front of it.

// outageEnv is a started Admin whose services a test can take away.
type outageEnv struct {
	a       *admin.Admin
	ctx     context.Context
	prod    *admin.Deployment
	pg, rd  *testenv.FaultProxy
	s3Down  *atomic.Bool        // the file store answers 503 while set
	s3Proxy *testenv.FaultProxy // between the admin and the file store
	s3      *awss3.Client
	bucket  string
	clock   *offsetClock
	events  *logEvents
	logs    *logredis.Cache
	schema  string
	started time.Time
	router  *routerlocal.Router
}

// get asks the router for /health at host, as a client would.
func (e *outageEnv) get(host string) int {
	rec := httptest.NewRecorder()
	e.router.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://"+host+"/health", nil))
	return rec.Code
}

// logEvents counts the admin's log messages, so that a test can wait for
// the maintenance worker to have tried something.
type logEvents struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *logEvents) Enabled(context.Context, slog.Level) bool { return true }
func (l *logEvents) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.n[r.Message]++
	l.mu.Unlock()
	return nil
}
func (l *logEvents) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logEvents) WithGroup(string) slog.Handler      { return l }

func (l *logEvents) count(msg string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[msg]
}

var _ slog.Handler = (*logEvents)(nil)

// newOutageEnv starts an Admin on a fresh PostgreSQL schema, Redis prefix
// and S3 bucket, each behind something the test can fail, with one team
// and the fake project App; extra options come last.
func newOutageEnv(t *testing.T, extra ...admin.Option) *outageEnv {
	t.Helper()
	ctx := context.Background()
	e := &outageEnv{s3Down: new(atomic.Bool), clock: &offsetClock{}, events: &logEvents{n: map[string]int{}}, started: time.Now()}

	// PostgreSQL: a schema of the test's own, reached through a proxy.
	direct := testenv.Postgres(t)
	e.schema = direct.Config().ConnConfig.RuntimeParams["search_path"]
	pc, err := pgxpool.ParseConfig(testenv.PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	e.pg = testenv.NewFaultProxy(t, net.JoinHostPort(pc.ConnConfig.Host, strconv.Itoa(int(pc.ConnConfig.Port))))
	host, port, _ := net.SplitHostPort(e.pg.Addr())
	p, _ := strconv.Atoi(port)
	pc.ConnConfig.Host, pc.ConnConfig.Port, pc.ConnConfig.Fallbacks = host, uint16(p), nil
	pc.ConnConfig.ConnectTimeout = 2 * time.Second
	pc.ConnConfig.RuntimeParams["search_path"] = e.schema
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store, err := postgres.New(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Redis: a key prefix of the test's own, reached through a proxy.
	_, prefix := testenv.Redis(t)
	ro, err := goredis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	e.rd = testenv.NewFaultProxy(t, ro.Addr)
	ro.Addr = e.rd.Addr()
	rc := goredis.NewClient(ro)
	t.Cleanup(func() { rc.Close() })
	if e.logs, err = logredis.New(rc, &logredis.Options{Prefix: prefix}); err != nil {
		t.Fatal(err)
	}

	// S3: gofakes3 behind a handler that fails on demand.
	fake := gofakes3.New(s3mem.New()).Server()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if e.s3Down.Load() {
			http.Error(w, "the file store is down (test)", http.StatusServiceUnavailable)
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	e.s3Proxy = testenv.NewFaultProxy(t, srv.Listener.Addr().String())
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	e.bucket = "outage-" + hex.EncodeToString(rnd[:])
	e.s3 = awss3.New(awss3.Options{BaseEndpoint: aws.String("http://" + e.s3Proxy.Addr()), UsePathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test-key", "test-secret", "")})
	if _, err := e.s3.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(e.bucket)}); err != nil {
		t.Fatal(err)
	}
	files, err := s3.New(e.s3, e.bucket, nil)
	if err != nil {
		t.Fatal(err)
	}

	projects := t.TempDir()
	if err := runnertest.WriteFakeProject(filepath.Join(projects, "app")); err != nil {
		t.Fatal(err)
	}
	src, err := sourcelocal.New(projects, nil)
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := portRange()
	runner, err := runnerlocal.New(&runnerlocal.Options{BuildMode: runnerlocal.BuildPlain, CacheDir: testCache(),
		PortMin: lo, PortMax: hi, HealthTimeout: 20 * time.Second, StopGrace: 3 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	router, err := routerlocal.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	e.router = router
	opts := append([]admin.Option{admin.WithStorage(store), admin.WithBuildLogCache(e.logs), admin.WithFileStorage(files),
		admin.WithSource(src), admin.WithRunner(runner), admin.WithRouter(router), admin.WithInstanceID("outage"),
		admin.WithBuildDir(filepath.Join(t.TempDir(), "builds")), admin.WithClock(e.clock.now),
		admin.WithIntervals(50*time.Millisecond, 200*time.Millisecond), admin.WithLogger(slog.New(e.events)),
		admin.WithEncryptionKeys("k1", map[string][]byte{"k1": testKey})}, extra...)
	if e.a, err = admin.New(opts...); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.a.Close() })
	if err := e.a.Start(ctx); err != nil {
		t.Fatal(err)
	}
	root := must[*admin.User](t)(e.a.Bootstrap(ctx, admin.NewUser{Email: "root@example.com", Name: "Root"}))
	e.ctx = as(root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(e.ctx, admin.NewTeam{Name: "T"}))
	found := must[[]admin.ProjectSource](t)(e.a.DiscoverProjects(e.ctx, admin.SourceLocal))
	proj := must[*admin.Project](t)(e.a.CreateProject(e.ctx, team.ID, admin.NewProject{Name: "App", SourceType: admin.SourceLocal, SourceConfig: found[0].Config}))
	e.prod = must[admin.List[*admin.Deployment]](t)(e.a.ListDeployments(e.ctx, proj.ID, admin.Page{})).Items[0]
	t.Cleanup(func() {
		// Services back, so that the server can be stopped and recorded.
		e.pg.Restore()
		e.rd.Restore()
		e.s3Down.Store(false)
		e.s3Proxy.Restore()
		if err := e.a.StopDeployment(e.ctx, e.prod.ID); err != nil {
			t.Errorf("stop the deployment: %v", err)
		}
	})
	return e
}

// waitBuild polls until the build has ended and is settled (CompletedAt).
func (e *outageEnv) waitBuild(t *testing.T, id string) *admin.Build {
	t.Helper()
	return waitFor(t, time.Minute, "build "+id+" to end", func() (*admin.Build, bool) {
		b, err := e.a.GetBuild(e.ctx, id)
		if err != nil {
			return nil, false // PostgreSQL may still be coming back
		}
		return b, b.Status.Terminal() && b.CompletedAt != nil
	})
}

// readAll reads a build's whole log through the Admin.
func (e *outageEnv) readAll(t *testing.T, id string) []admin.LogLine {
	t.Helper()
	var got []admin.LogLine
	for l, err := range must[iter.Seq2[admin.LogLine, error]](t)(e.a.FollowBuildLogs(e.ctx, id, 0)) {
		if err != nil {
			t.Fatalf("read the log of %s: %v", id, err)
		}
		got = append(got, l)
	}
	return got
}

// stored reads a build's flushed log straight from the file store.
func (e *outageEnv) stored(t *testing.T, id string) string {
	t.Helper()
	out, err := e.s3.GetObject(context.Background(), &awss3.GetObjectInput{Bucket: aws.String(e.bucket), Key: aws.String(admin.BuildLogPath(id))})
	if err != nil {
		t.Fatalf("read %s from the file store: %v", admin.BuildLogPath(id), err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// sameLines fails t unless got has the texts of want, one for one, with
// contiguous sequence numbers from 0.
func sameLines(t *testing.T, what string, got, want []admin.LogLine) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d lines, want %d", what, len(got), len(want))
	}
	for i := range got {
		if got[i].Seq != int64(i) || got[i].Text != want[i].Text || got[i].Phase != want[i].Phase {
			t.Fatalf("%s: line %d is %d %q [%s], want %d %q [%s]", what, i, got[i].Seq, got[i].Text, got[i].Phase, i, want[i].Text, want[i].Phase)
		}
	}
}

// TestOutageFileStoreDuringFlush fails the file store (every request
// answered 503, or every connection reset) while a build's log is flushed
// at its end: the build's outcome stands, the log stays in the cache (the
// maintenance worker does not clear it, however old, while it is not
// flushed), and once the file store is back the maintenance worker flushes
// it; then the cache lets go of it and the Admin reads every line back from
// the file store.
func TestOutageFileStoreDuringFlush(t *testing.T) {
	for _, mode := range []struct {
		name     string
		down, up func(e *outageEnv)
	}{
		{"503", func(e *outageEnv) { e.s3Down.Store(true) }, func(e *outageEnv) { e.s3Down.Store(false) }},
		{"reset", func(e *outageEnv) { e.s3Proxy.Cut() }, func(e *outageEnv) { e.s3Proxy.Restore() }},
	} {
		t.Run(mode.name, func(t *testing.T) { fileStoreDuringFlush(t, mode.down, mode.up) })
	}
}

func fileStoreDuringFlush(t *testing.T, down, up func(e *outageEnv)) {
	e := newOutageEnv(t)
	down(e)
	b := e.waitBuild(t, must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID)).ID)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build: %s %s", b.Status, b.Error)
	}
	if b.LogPath != "" {
		t.Fatalf("the log was flushed to %s while the file store failed", b.LogPath)
	}
	held := e.readAll(t, b.ID) // from the cache
	if len(held) < 5 || !strings.Contains(held[len(held)-1].Text, "build succeeded") {
		t.Fatalf("the cache holds %d lines, the last %q", len(held), held[len(held)-1].Text)
	}

	// Long past the log retention: the maintenance worker would clear the
	// log now, were it flushed. Wait for two of its flush attempts.
	e.clock.advance(time.Hour)
	tries := e.events.count("flush build log again")
	waitFor(t, 30*time.Second, "the maintenance worker to retry the flush", func() (bool, bool) {
		return true, e.events.count("flush build log again") >= tries+2
	})
	if got := must[[]admin.LogLine](t)(e.logs.Lines(context.Background(), b.ID, 0, 0)); len(got) != len(held) {
		t.Fatalf("the cache holds %d lines of an unflushed log, had %d", len(got), len(held))
	}

	back := time.Now()
	up(e)
	b = waitFor(t, 30*time.Second, "the log to be flushed", func() (*admin.Build, bool) {
		b := must[*admin.Build](t)(e.a.GetBuild(e.ctx, b.ID))
		return b, b.LogPath != ""
	})
	flushed := time.Since(back)
	waitFor(t, 30*time.Second, "the cache to let go of the flushed log", func() (bool, bool) {
		return true, len(must[[]admin.LogLine](t)(e.logs.Lines(context.Background(), b.ID, 0, 1))) == 0
	})
	if file := e.stored(t, b.ID); strings.Count(file, "\n") != len(held) {
		t.Fatalf("the file store holds %d lines, want %d:\n%s", strings.Count(file, "\n"), len(held), file)
	}
	sameLines(t, "the log read back from the file store", e.readAll(t, b.ID), held)
	testenv.Figure(t, "flushed %v after the file store came back; %d lines checked; %d flush attempts while it was down",
		flushed.Round(time.Millisecond), len(held), e.events.count("flush build log again"))
}

// follower follows a build's log through the Admin as a client would: on
// an error it resumes from the line after the last it got, until the log
// ends or the deadline passes.
type follower struct {
	mu     sync.Mutex
	lines  []admin.LogLine
	errs   []error
	marked chan struct{} // closed at the first line containing mark
	done   chan struct{}
}

func (e *outageEnv) follow(buildID, mark string, limit time.Duration) *follower {
	f := &follower{marked: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		var once sync.Once
		next, deadline := int64(0), time.Now().Add(limit)
		for time.Now().Before(deadline) {
			var failed error
			lines, err := e.a.FollowBuildLogs(e.ctx, buildID, next)
			if err == nil {
				for l, err := range lines {
					if err != nil {
						failed = err
						break
					}
					f.mu.Lock()
					f.lines = append(f.lines, l)
					f.mu.Unlock()
					next = l.Seq + 1
					if strings.Contains(l.Text, mark) {
						once.Do(func() { close(f.marked) })
					}
				}
			} else {
				failed = err
			}
			if failed == nil {
				return // the log ended
			}
			f.mu.Lock()
			f.errs = append(f.errs, failed)
			f.mu.Unlock()
			time.Sleep(20 * time.Millisecond) // a client's pause before it resumes
		}
	}()
	return f
}

// deployUntil deploys the production deployment and follows its build's
// log until a line containing mark, which names step.
func (e *outageEnv) deployUntil(t *testing.T, mark, step string) (*admin.Build, *follower) {
	t.Helper()
	b := must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID))
	f := e.follow(b.ID, mark, 50*time.Second)
	select {
	case <-f.marked:
	case <-f.done:
		t.Fatalf("the log ended before %s", step)
	case <-time.After(time.Minute):
		t.Fatalf("the build did not reach %s", step)
	}
	return b, f
}

// TestOutageRedisWhileFollowing cuts Redis (the log cache) while a client
// follows a build's log through the Admin, and lines are written meanwhile
// (the server becomes healthy, the route switches, the build ends): the
// lines the cache refused wait in the admin and go in order once it is back,
// the log's end mark and flush are retried, and the follower, resuming with
// from after each error, gets every line exactly once, in order, through the
// end; a follow resumed later from the middle gives the same tail.
func TestOutageRedisWhileFollowing(t *testing.T) {
	e := newOutageEnv(t)
	healthy := filepath.Join(t.TempDir(), "healthy")
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(e.ctx, e.prod.ProjectID, map[string]string{runnertest.FakeHealthyWhen: healthy}))
	b, f := e.deployUntil(t, "starting the server", "its start step")

	e.rd.Cut()
	if err := os.WriteFile(healthy, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b = e.waitBuild(t, b.ID) // PostgreSQL is up: the outcome is recorded
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build: %s %s", b.Status, b.Error)
	}
	e.rd.Restore()
	back := time.Now()
	select {
	case <-f.done:
	case <-time.After(3 * time.Minute): // generous: the maintenance worker retries every 200 ms
		f.mu.Lock()
		n, errs := len(f.lines), f.errs
		f.mu.Unlock()
		stacks := make([]byte, 4<<20)
		t.Logf("goroutines:\n%s", stacks[:runtime.Stack(stacks, true)])
		held, err := e.logs.Lines(context.Background(), b.ID, 0, 0)
		t.Fatalf("the follower did not reach the end of the log: it has %d lines and met %v; the cache holds %d (%v), the last %q; events %v",
			n, errs, len(held), err, joinTexts(held[max(len(held)-1, 0):]), e.events.n)
	}
	recovered := time.Since(back)

	f.mu.Lock()
	got, errs := f.lines, f.errs
	f.mu.Unlock()
	all := e.readAll(t, b.ID)
	sameLines(t, "the followed log", got, all)
	last := all[len(all)-1].Text
	if strings.Count(joinTexts(all), "serving at") != 1 || last != "build succeeded" {
		t.Fatalf("the lines written while Redis was cut are not in the log once each:\n%s", joinTexts(all))
	}
	waitFor(t, 30*time.Second, "the log to be flushed", func() (bool, bool) {
		b, err := e.a.GetBuild(e.ctx, b.ID)
		return true, err == nil && b.LogPath != ""
	})
	if file := e.stored(t, b.ID); strings.Count(file, "\n") != len(all) {
		t.Fatalf("the file store holds %d lines, want %d", strings.Count(file, "\n"), len(all))
	}

	// A resume from the middle: the line after the start.
	k := 0
	for k < len(all) && !strings.Contains(all[k].Text, "starting the server") {
		k++
	}
	var tail []admin.LogLine
	for l, err := range must[iter.Seq2[admin.LogLine, error]](t)(e.a.FollowBuildLogs(e.ctx, b.ID, int64(k+1))) {
		if err != nil {
			t.Fatal(err)
		}
		tail = append(tail, l)
	}
	if len(tail) != len(all)-k-1 || len(tail) == 0 || tail[0].Seq != int64(k+1) || tail[len(tail)-1].Text != last {
		t.Fatalf("resumed from %d: %d lines from %d, want %d", k+1, len(tail), tail[0].Seq, len(all)-k-1)
	}
	testenv.Figure(t, "follower at the end %v after Redis came back; %d lines checked (%d after the start line, written around the cut); %d errors resumed from; resumed follow from line %d: %d lines",
		recovered.Round(time.Millisecond), len(all), len(all)-k-1, len(errs), k+1, len(tail))
}

func joinTexts(lines []admin.LogLine) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}

// TestOutagePostgresMidDeploy cuts PostgreSQL (every connection reset, new
// ones refused) when a deploy reaches its install step and keeps it cut
// until the runner has built the artifact, so the admin's next Storage
// write meets the outage; then restores it. What is right, and documented
// in admin/outage.go: the build workers ride out a Storage outage shorter
// than half the build lease, so the build goes on where it was and
// succeeds, without a restart of the admin; it ran once; its log is whole
// in the file store; and the next deploy works.
func TestOutagePostgresMidDeploy(t *testing.T) {
	e := newOutageEnv(t, admin.WithBuildLease(20*time.Second))
	b, f := e.deployUntil(t, "using Node v", "its install step")
	e.pg.Cut()
	cut := time.Now()
	// The runner installs and builds without Storage; the admin's next
	// Storage call after it (the build moving to deploying) meets the
	// outage.
	waitFor(t, time.Minute, "the admin to meet the outage", func() (bool, bool) {
		return true, e.events.count("storage failed; retrying while it comes back") > 0
	})
	e.pg.Restore()
	down, back := time.Since(cut), time.Now()
	b = e.waitBuild(t, b.ID)
	settled := time.Since(back)
	if b.Status != admin.BuildSucceeded {
		t.Fatalf("build after the outage: %s %s", b.Status, b.Error)
	}
	if b.LogPath == "" {
		t.Fatal("the log was not flushed")
	}
	<-f.done
	all := e.readAll(t, b.ID)
	text := joinTexts(all)
	if n := strings.Count(text, "copying the project source"); n != 1 {
		t.Fatalf("the build ran %d times:\n%s", n, text)
	}
	if file := e.stored(t, b.ID); strings.Count(file, "\n") != len(all) || !strings.Contains(file, "build succeeded") {
		t.Fatalf("the file store holds %d lines, want %d:\n%s", strings.Count(file, "\n"), len(all), file)
	}
	builds := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(e.ctx, e.prod.ID, admin.Page{}))
	if len(builds.Items) != 1 {
		t.Fatalf("%d builds after one deploy", len(builds.Items))
	}
	if code := waitFor(t, 10*time.Second, "the route", func() (int, bool) { c := e.get("app.localhost"); return c, c == 200 }); code != 200 {
		t.Fatal(code)
	}

	next := e.waitBuild(t, must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID)).ID)
	if next.Status != admin.BuildSucceeded {
		t.Fatalf("the next deploy: %s %s", next.Status, next.Error)
	}
	testenv.Figure(t, "PostgreSQL cut for %v (from the install step to the admin's next write); build settled %v after it came back (%d lines, ran once); the next deploy succeeded",
		down.Round(time.Millisecond), settled.Round(time.Millisecond), len(all))
}

// TestOutagePostgresLongerThanRideOut keeps PostgreSQL cut from the
// install step until the build worker has given up riding it out (half the
// build lease) and could not record the build's end either: once
// PostgreSQL is back, the build is failed with a reason saying so (its lease
// expired; its log names the Storage error), its log is whole in the file
// store, and a redeploy succeeds.
func TestOutagePostgresLongerThanRideOut(t *testing.T) {
	e := newOutageEnv(t, admin.WithBuildLease(2*time.Second))
	b, f := e.deployUntil(t, "using Node v", "its install step")
	e.pg.Cut()
	cut := time.Now()
	// The worker's last Storage call: recording the build's end.
	waitFor(t, time.Minute, "the worker to give up on recording the end", func() (bool, bool) {
		return true, e.events.count("record build end") > 0
	})
	e.pg.Restore()
	down, back := time.Since(cut), time.Now()
	b = e.waitBuild(t, b.ID)
	settled := time.Since(back)
	if b.Status != admin.BuildFailed || !strings.Contains(b.Error, "could not record the end of this build") {
		t.Fatalf("build after a long outage: %s %q", b.Status, b.Error)
	}
	<-f.done
	all := e.readAll(t, b.ID)
	text := joinTexts(all)
	if !strings.Contains(text, "build failed: postgres:") || strings.Count(text, "copying the project source") != 1 {
		t.Fatalf("the log does not name the Storage error once:\n%s", text)
	}
	if b.LogPath == "" || strings.Count(e.stored(t, b.ID), "\n") != len(all) {
		t.Fatalf("the flushed log (%q) is not the whole log of %d lines", b.LogPath, len(all))
	}
	next := e.waitBuild(t, must[*admin.Build](t)(e.a.Deploy(e.ctx, e.prod.ID)).ID)
	if next.Status != admin.BuildSucceeded {
		t.Fatalf("the redeploy: %s %s", next.Status, next.Error)
	}
	testenv.Figure(t, "PostgreSQL cut for %v; build failed %v after it came back: %s; the redeploy succeeded",
		down.Round(time.Millisecond), settled.Round(time.Millisecond), b.Error)
}
