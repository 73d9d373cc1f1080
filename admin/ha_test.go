package admin_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"iter"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
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

// haConfig is where the admin processes of TestSeveralAdminServers find
// their shared services, passed to each in MASTRA_ADMIN_TEST_HA.
type haConfig struct {
	Postgres, Schema, Redis, Prefix, S3, Bucket, Projects string
}

func (c haConfig) String() string {
	return strings.Join([]string{c.Postgres, c.Schema, c.Redis, c.Prefix, c.S3, c.Bucket, c.Projects}, "\n")
}

func parseHAConfig(s string) haConfig {
	f := strings.Split(s, "\n")
	return haConfig{f[0], f[1], f[2], f[3], f[4], f[5], f[6]}
}

// haAdmin opens an Admin on the shared PostgreSQL, Redis and S3 of cfg,
// with its own build directory, runner and router.
func haAdmin(ctx context.Context, cfg haConfig, name, dir string, lo, hi int) (*admin.Admin, *routerlocal.Router, error) {
	pc, err := pgxpool.ParseConfig(cfg.Postgres)
	if err != nil {
		return nil, nil, err
	}
	pc.ConnConfig.RuntimeParams["search_path"] = cfg.Schema
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, nil, err
	}
	store, err := postgres.New(ctx, pool, nil)
	if err != nil {
		return nil, nil, err
	}
	ro, err := goredis.ParseURL(cfg.Redis)
	if err != nil {
		return nil, nil, err
	}
	logs, err := logredis.New(goredis.NewClient(ro), &logredis.Options{Prefix: cfg.Prefix})
	if err != nil {
		return nil, nil, err
	}
	files, err := s3.New(awss3.New(awss3.Options{BaseEndpoint: aws.String(cfg.S3), UsePathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test-key", "test-secret", "")}), cfg.Bucket, nil)
	if err != nil {
		return nil, nil, err
	}
	src, err := sourcelocal.New(cfg.Projects, nil)
	if err != nil {
		return nil, nil, err
	}
	runner, err := runnerlocal.New(&runnerlocal.Options{BuildMode: runnerlocal.BuildPlain, CacheDir: testCache(),
		PortMin: lo, PortMax: hi, StopGrace: 3 * time.Second})
	if err != nil {
		return nil, nil, err
	}
	router, err := routerlocal.New(nil)
	if err != nil {
		return nil, nil, err
	}
	a, err := admin.New(admin.WithStorage(store), admin.WithBuildLogCache(logs), admin.WithFileStorage(files),
		admin.WithSource(src), admin.WithRunner(runner), admin.WithRouter(router), admin.WithInstanceID(name),
		admin.WithBuildDir(filepath.Join(dir, "builds")), admin.WithIntervals(50*time.Millisecond, 200*time.Millisecond),
		admin.WithBuildLease(5*time.Second), admin.WithEncryptionKeys("k1", map[string][]byte{"k1": testKey}))
	return a, router, err
}

// haChild is one admin process of TestSeveralAdminServers: it serves its
// router, prints "READY {router address}", then deploys the deployment ids
// it reads on stdin, printing "BUILD {id}" for each, until killed.
func haChild(name string) error {
	cfg := parseHAConfig(os.Getenv("MASTRA_ADMIN_TEST_HA"))
	ctx := context.Background()
	var lo, hi int
	fmt.Sscanf(os.Getenv("MASTRA_ADMIN_TEST_HA_PORTS"), "%d-%d", &lo, &hi)
	a, router, err := haAdmin(ctx, cfg, name, os.Getenv("MASTRA_ADMIN_TEST_DIR"), lo, hi)
	if err != nil {
		return err
	}
	if err := a.Start(ctx); err != nil {
		return err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go router.Serve(ctx, l)
	fmt.Println("READY", l.Addr().String())
	user := admin.WithPrincipal(ctx, admin.Principal{UserID: os.Getenv("MASTRA_ADMIN_TEST_USER")})
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		b, err := a.Deploy(user, strings.TrimSpace(sc.Text()))
		if err != nil {
			return err
		}
		fmt.Println("BUILD", b.ID)
	}
	select {} // until killed
}

// haProcess is a running admin process of the test.
type haProcess struct {
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	router string
	builds chan string
}

func (p *haProcess) deploy(t *testing.T, deploymentID string) string {
	t.Helper()
	if _, err := fmt.Fprintln(p.stdin, deploymentID); err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-p.builds:
		return id
	case <-time.After(time.Minute):
		t.Fatal("no build id from the admin process")
		return ""
	}
}

// get asks the process's router for path at host.
func (p *haProcess) get(host, path string) int {
	req, _ := http.NewRequest(http.MethodGet, "http://"+p.router+path, nil)
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestSeveralAdminServers runs three admin processes on one PostgreSQL,
// one Redis and one S3 file store: deploys go through each; no build runs
// twice; every admin's router serves every deployment; a build log is
// followed through another admin than the one building; and when an admin
// dies mid-build (SIGKILL), another fails its build by its lease, naming
// it; servers stopped through an admin that did not start them stay
// stopped.
func TestSeveralAdminServers(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three admin processes")
	}
	ctx := context.Background()
	pool := testenv.Postgres(t)
	_, prefix := testenv.Redis(t)
	s3srv := httptest.NewServer(gofakes3.New(s3mem.New()).Server())
	defer s3srv.Close()
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	bucket := "ha-" + hex.EncodeToString(rnd[:])
	s3c := awss3.New(awss3.Options{BaseEndpoint: aws.String(s3srv.URL), UsePathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("test-key", "test-secret", "")})
	if _, err := s3c.CreateBucket(ctx, &awss3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	projects := t.TempDir()
	for _, name := range []string{"app", "slow"} {
		if err := runnertest.WriteFakeProject(filepath.Join(projects, name)); err != nil {
			t.Fatal(err)
		}
	}
	cfg := haConfig{Postgres: testenv.PostgresURL(t), Schema: pool.Config().ConnConfig.RuntimeParams["search_path"],
		Redis: testenv.RedisURL(t), Prefix: prefix, S3: s3srv.URL, Bucket: bucket, Projects: projects}

	// This test process is an admin too (not started): it sets up, and
	// reads what the others did.
	home, _, err := haAdmin(ctx, cfg, "observer", t.TempDir(), 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { home.Close() }) // after the clean-ups below, which use it
	root := must[*admin.User](t)(home.Bootstrap(ctx, admin.NewUser{Email: "root@example.com", Name: "Root"}))
	uctx := as(root.ID)
	team := must[*admin.Team](t)(home.CreateTeam(uctx, admin.NewTeam{Name: "T"}))
	found := must[[]admin.ProjectSource](t)(home.DiscoverProjects(uctx, admin.SourceLocal))
	var app, slow *admin.Project
	for _, f := range found {
		name := map[string]string{"app": "App", "slow": "Slow"}[f.Config["path"]]
		p := must[*admin.Project](t)(home.CreateProject(uctx, team.ID, admin.NewProject{Name: name, SourceType: admin.SourceLocal, SourceConfig: f.Config}))
		if f.Config["path"] == "slow" {
			slow = p
		} else {
			app = p
		}
	}
	must[[]admin.EnvVarInfo](t)(home.SetEnvVars(uctx, slow.ID, map[string]string{"FAKE_MASTRA_HANG": "1"}))
	appProd := must[admin.List[*admin.Deployment]](t)(home.ListDeployments(uctx, app.ID, admin.Page{})).Items[0]
	slowProd := must[admin.List[*admin.Deployment]](t)(home.ListDeployments(uctx, slow.ID, admin.Page{})).Items[0]
	staging := must[*admin.Deployment](t)(home.CreateDeployment(uctx, app.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))

	procs := map[string]*haProcess{}
	var dirs []string
	for i, name := range []string{"a", "b", "c"} {
		dir := t.TempDir()
		dirs = append(dirs, dir)
		lo := 4900 + i*10
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"=ha-"+name, "MASTRA_ADMIN_TEST_HA="+cfg.String(),
			fmt.Sprintf("MASTRA_ADMIN_TEST_HA_PORTS=%d-%d", lo, lo+9), "MASTRA_ADMIN_TEST_DIR="+dir,
			"MASTRA_ADMIN_TEST_USER="+root.ID)
		cmd.Stderr = os.Stderr
		stdin, _ := cmd.StdinPipe()
		stdout, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		p := &haProcess{cmd: cmd, stdin: stdin, builds: make(chan string, 8)}
		ready := make(chan string, 1)
		go func() {
			sc := bufio.NewScanner(stdout)
			for sc.Scan() {
				f := strings.Fields(sc.Text())
				switch {
				case len(f) == 2 && f[0] == "READY":
					ready <- f[1]
				case len(f) == 2 && f[0] == "BUILD":
					p.builds <- f[1]
				}
			}
		}()
		select {
		case p.router = <-ready:
		case <-time.After(time.Minute):
			t.Fatalf("admin %s did not start", name)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		procs[name] = p
	}
	t.Cleanup(func() {
		for _, id := range []string{appProd.ID, staging.ID, slowProd.ID} { // when the test stopped early
			if err := home.StopDeployment(uctx, id); err != nil {
				t.Errorf("stop %s: %v", id, err)
			}
		}
		// The killed admin's hung build process: what its own restart
		// would end.
		r, err := runnerlocal.New(&runnerlocal.Options{BuildMode: runnerlocal.BuildPlain, CacheDir: testCache()})
		if err != nil {
			t.Error(err)
			return
		}
		defer r.Close()
		for _, dir := range dirs {
			builds, _ := os.ReadDir(filepath.Join(dir, "builds"))
			for _, b := range builds {
				if err := r.ReapBuild(context.Background(), filepath.Join(dir, "builds", b.Name())); err != nil {
					t.Error(err)
				}
			}
		}
	})

	wait := func(id string) *admin.Build {
		t.Helper()
		deadline := time.Now().Add(4 * time.Minute) // generous: builds of the fake project take seconds
		for {
			b := must[*admin.Build](t)(home.GetBuild(uctx, id))
			if b.Status.Terminal() && b.CompletedAt != nil {
				return b
			}
			if time.Now().After(deadline) {
				lines, _ := home.ListBuilds(uctx, b.DeploymentID, admin.Page{})
				t.Fatalf("build %s did not end in 4 min: %+v\nbuilds of its deployment: %+v", id, b, lines)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Deploys through two admins.
	first := procs["a"].deploy(t, appProd.ID)
	second := procs["b"].deploy(t, staging.ID)
	for _, id := range []string{first, second} {
		if b := wait(id); b.Status != admin.BuildSucceeded {
			t.Fatalf("build %s: %s %s", id, b.Status, b.Error)
		}
		// Run once: one worker, one copy of the source.
		if log := logOf(t, home, uctx, id); strings.Count(log, "copying the project source") != 1 {
			t.Errorf("build %s ran %d times:\n%s", id, strings.Count(log, "copying the project source"), log)
		}
	}
	// Every admin's router serves both deployments.
	hosts := []string{"app.localhost", staging.Slug + "--app.localhost"}
	for name, p := range procs {
		for _, host := range hosts {
			waitFor(t, 10*time.Second, "admin "+name+" to route "+host, func() (bool, bool) { return true, p.get(host, "/health") == 200 })
		}
	}

	// An admin dies while it builds: another fails the build by its lease.
	// Whichever admin's worker claimed the build is the one killed.
	hung := procs["c"].deploy(t, slowProd.ID)
	followed := ""
	lines := must[iter.Seq2[admin.LogLine, error]](t)(home.FollowBuildLogs(uctx, hung, 0))
	for l, err := range lines { // read through this admin, written by the building one
		if err != nil {
			t.Fatal(err)
		}
		followed += l.Text + "\n"
		if strings.Contains(l.Text, "pid=") {
			break
		}
	}
	builder, _, _ := strings.Cut(must[*admin.Build](t)(home.GetBuild(uctx, hung)).ClaimedBy, "/")
	if procs[builder] == nil {
		t.Fatalf("build %s is claimed by %q, none of the admin processes", hung, builder)
	}
	killed := time.Now()
	if err := procs[builder].cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(followed, "copying the project source") {
		t.Errorf("the log followed through another admin misses the building admin's lines:\n%s", followed)
	}
	dead := wait(hung)
	if dead.Status != admin.BuildFailed || !strings.Contains(dead.Error, `admin instance "`+builder+`"`) {
		t.Fatalf("the dead admin %s's build: %s %q", builder, dead.Status, dead.Error)
	}
	testenv.Figure(t, "the build admin %s ran when it was killed was failed by the survivors %v after the kill (its lease expired)",
		builder, time.Since(killed).Round(time.Millisecond))
	// The survivors still serve every route, and deploy.
	var survivors []string
	for _, name := range []string{"a", "b", "c"} {
		if name != builder {
			survivors = append(survivors, name)
		}
	}
	third := procs[survivors[0]].deploy(t, appProd.ID)
	if b := wait(third); b.Status != admin.BuildSucceeded {
		t.Fatalf("a deploy after the kill: %s %s", b.Status, b.Error)
	}
	for _, name := range survivors {
		for _, host := range hosts {
			waitFor(t, 10*time.Second, "admin "+name+" to route "+host, func() (bool, bool) { return true, procs[name].get(host, "/health") == 200 })
		}
	}

	// Stopped through an admin that started none of them, the servers stay
	// stopped: the admins that did take their exits for stops, not crashes
	// to restart.
	for _, id := range []string{appProd.ID, staging.ID} {
		if err := home.StopDeployment(uctx, id); err != nil {
			t.Fatal(err)
		}
	}
	servers := func() int {
		n := 0
		for _, dir := range dirs {
			for _, pid := range statePIDs(t, dir) {
				if cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); strings.Contains(string(cmdline), "index.mjs") {
					n++
				}
			}
		}
		return n
	}
	// None for a second: a restart would come within a health interval.
	for quiet, deadline := time.Now(), time.Now().Add(30*time.Second); time.Since(quiet) < time.Second; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d servers still run 30 s after their deployments were stopped", servers())
		}
		if servers() > 0 {
			quiet = time.Now()
		}
	}
}

// logOf reads a build's whole log through a.
func logOf(t *testing.T, a *admin.Admin, ctx context.Context, id string) string {
	t.Helper()
	var b strings.Builder
	for l, err := range must[iter.Seq2[admin.LogLine, error]](t)(a.FollowBuildLogs(ctx, id, 0)) {
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(l.Text + "\n")
	}
	return b.String()
}
