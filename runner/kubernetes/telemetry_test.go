package kubernetes_test

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mastra-admin/mastra-admin-go/admin"
	filelocal "github.com/mastra-admin/mastra-admin-go/filestore/local"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
	"github.com/mastra-admin/mastra-admin-go/observability"
	obssqlite "github.com/mastra-admin/mastra-admin-go/observability/sqlite"
	routerlocal "github.com/mastra-admin/mastra-admin-go/router/local"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// writerServer is the server of the image TestTelemetryCopyAcrossRestart
// deploys: it answers /health and, on /write?n=N (&rotate=1 to close its
// file and open the next first), appends N log lines "line {k}" (k counting
// from 0) to its file under MASTRA_ADMIN_OBSERVABILITY_DIR/logs, held open
// as the bundle's writer holds its own; on SIGTERM it writes one last
// line, closes the file and exits.
const writerServer = `import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
const dir = path.join(process.env.MASTRA_ADMIN_OBSERVABILITY_DIR, 'logs');
fs.mkdirSync(dir, { recursive: true });
let fd = -1, k = 0, files = 0;
const open = () => {
  if (fd >= 0) fs.closeSync(fd);
  fd = fs.openSync(path.join(dir, '2026120' + files++ + 'T000000000Z_writer.jsonl'), 'a', 0o600);
};
const write = (n) => {
  let s = '';
  for (let i = 0; i < n; i++) {
    s += JSON.stringify({ schemaVersion: 1, kind: 'log', projectId: 'p_1', deploymentId: 'd_1', buildId: 'b_1',
      time: new Date().toISOString(), level: 'info', message: 'line ' + k++ }) + '\n';
  }
  fs.writeSync(fd, s);
};
open();
http.createServer((req, res) => {
  const u = new URL(req.url, 'http://localhost');
  if (u.pathname === '/health') return res.end('ok');
  if (u.pathname === '/write') {
    if (u.searchParams.get('rotate')) open();
    write(Number(u.searchParams.get('n')));
    return res.end(String(k));
  }
  res.statusCode = 404;
  res.end();
}).listen(Number(process.env.PORT), process.env.MASTRA_HOST);
process.on('SIGTERM', () => { write(1); fs.closeSync(fd); process.exit(0); });
`

// pushWriter pushes an image whose only layer holds writerServer as
// /app/index.mjs, run with node, and returns it by digest.
func pushWriter(t *testing.T, e *env) string {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range []*tar.Header{
		{Name: "app/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "app/index.mjs", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(writerServer))},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tw.Write([]byte(writerServer)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, layer)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	cfg.Entrypoint, cfg.WorkingDir = []string{"node", "/app/index.mjs"}, "/app"
	return pushImage(t, img, cfg, e.host+"/mastra/writer:v1")
}

// writeLines asks the writer server srv to write n lines, in its next
// file when rotate is set.
func writeLines(t *testing.T, srv *admin.RunningServer, n int, rotate bool) {
	t.Helper()
	url := fmt.Sprintf("http://%s:%d/write?n=%d", srv.Host, srv.Port, n)
	if rotate {
		url += "&rotate=1"
	}
	resp, err := http.Post(url, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST %s: %s", url, resp.Status)
	}
}

// TestTelemetryCopyAcrossRestart deploys a server that writes log lines
// into its pod's observability volume (the process kubelet's local
// directory) and checks that they reach the build's observability
// directory exactly once, through the runner's pods/exec into the
// telemetry sidecar (the real API server, kwok's kubelet API, a local
// command in the pod's directory), the runner acting with exactly the
// README ClusterRole's rights: a first runner copies part of a file
// still open; more lines are written and the file rotated; the runner
// is replaced by a new one (an admin restart), its copy cut short
// mid-line as if killed while appending; the new runner completes the
// copies, reports a file closed only once it was copied entirely and
// deleted from the pod, and its Stop copies the lines the server wrote as
// it stopped, letting the sidecar, which held the terminating pod until
// then, exit by itself. The copies then hold every line once, in order.
func TestTelemetryCopyAcrossRestart(t *testing.T) {
	simulated(t)
	e := newEnv(t)
	pk := startProcessKubelet(t, e)
	art := artifactOf(t, kubernetes.Image{Ref: pushWriter(t, e), ProjectID: "p_1", ProjectSlug: "writer"})
	root := filepath.Join(filepath.Dir(art.Dir), "observability")
	client, cfg := readmeRBACClient(t, e)
	opts := func(o *kubernetes.Options) {
		o.Labels = map[string]string{testenv.KubeFailLabel: testenv.KubeProcess}
		o.Endpoint = pk.endpoint
		o.RESTConfig = cfg
	}
	ctx := context.Background()
	first := e.runnerWith(t, client, opts)
	srv, err := first.Start(ctx, admin.StartSpec{Artifact: art}, nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(n int, rotate bool) { t.Helper(); writeLines(t, srv, n, rotate) }
	list := func(r *kubernetes.Runner) map[string]admin.TelemetryFile {
		t.Helper()
		files, err := r.TelemetryFiles(ctx, art)
		if err != nil {
			t.Fatalf("TelemetryFiles: %v", err)
		}
		m := map[string]admin.TelemetryFile{}
		for _, f := range files {
			m[f.Name] = f
		}
		return m
	}
	const file0, file1 = "logs/20261200T000000000Z_writer.jsonl", "logs/20261201T000000000Z_writer.jsonl"

	write(100, false)
	// kwok picks the pod's Exec up through a watch: until then, an exec
	// fails and nothing is copied.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		f, ok := list(first)[file0]
		if ok && !f.Closed && f.Size > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 100 lines, the copy of %s is %+v (found %v); want it open and not empty", file0, f, ok)
		}
	}
	write(100, true) // 100 more lines, in the next file
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	// The first runner was killed while appending to its copy.
	copy0 := filepath.Join(root, filepath.FromSlash(file0))
	st, err := os.Stat(copy0)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(copy0, st.Size()-10); err != nil {
		t.Fatal(err)
	}

	second := e.runnerWith(t, client, opts)
	files := list(second)
	if f := files[file0]; f.Closed {
		t.Errorf("%s reported closed while the pod still holds it: %+v", file0, f)
	}
	if f, ok := files[file1]; !ok || f.Closed {
		t.Errorf("the copy of the open %s is %+v (found %v)", file1, f, ok)
	}
	// Copied entirely on the previous call, closed in the pod: deleted
	// there, so closed here.
	if f := list(second)[file0]; !f.Closed {
		t.Errorf("%s not closed once copied entirely: %+v", file0, f)
	}
	if err := second.Stop(ctx, srv); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	files = list(second)
	for _, f := range files {
		if !f.Closed {
			t.Errorf("after Stop, %s is not closed", f.Name)
		}
	}
	if len(files) != 2 {
		t.Errorf("copies after Stop: %v; want %s and %s", files, file0, file1)
	}
	var got []string
	for _, n := range []string{file0, file1} {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(n)))
		if err != nil {
			t.Fatal(err)
		}
		stats, err := observability.ReadFile(f, func(r observability.Record) error {
			got = append(got, r.Log.Message)
			return nil
		})
		f.Close()
		if err != nil || stats.BadLines > 0 || stats.Incomplete > 0 {
			t.Errorf("%s: %v, %d bad lines %v, %d unfinished bytes", n, err, stats.BadLines, stats.Bad, stats.Incomplete)
		}
	}
	if len(got) != 201 {
		t.Errorf("%d lines copied, want 201 (100 + 100 + the one written at SIGTERM)", len(got))
	}
	for i, m := range got {
		if m != "line "+strconv.Itoa(i) {
			t.Fatalf("line %d of the copies is %q, want %q: lines lost or copied twice", i, m, "line "+strconv.Itoa(i))
		}
	}
	// The sidecar exited by itself once the volume was empty: the
	// terminating pod was held until then, not for the grace period.
	p := pk.onlyPod(t)
	if err := p.sidecar.Err(); err != nil {
		t.Errorf("the telemetry sidecar did not exit by itself: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(p.obs, "*", "*.jsonl"))
	if len(left) > 0 {
		t.Errorf("files left in the pod's volume: %v", left)
	}
}

// TestTelemetryReachesStoreOnce runs the admin's ingestion (the SQLite
// Storage and observability store) over the runner as TelemetrySource: the
// lines a pod writes reach the observability store exactly once although
// the admin and its runner are replaced while the pod holds lines not yet
// copied (of a file still open and of one not copied at all), and the
// lines written as the server stops (Stop, through the second runner)
// arrive too; every copy is then archived and removed.
func TestTelemetryReachesStoreOnce(t *testing.T) {
	simulated(t)
	e := newEnv(t)
	pk := startProcessKubelet(t, e)
	ctx := context.Background()
	state := t.TempDir()
	// Each Admin closes its providers: these are opened again for the
	// second one, on the same files.
	store, err := sqlite.Open(filepath.Join(state, "admin.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	obs, err := obssqlite.Open(filepath.Join(state, "observability.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	// The ids the writer puts in its lines.
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, err := range []error{
		store.CreateTeam(ctx, &admin.Team{ID: "t_1", Name: "T", Slug: "t", CreatedAt: now, UpdatedAt: now, Version: 1}),
		store.CreateProject(ctx, &admin.Project{ID: "p_1", TeamID: "t_1", Name: "Writer", Slug: "writer",
			SourceType: admin.SourceLocal, SourceConfig: map[string]string{"path": "writer"}, CreatedAt: now, UpdatedAt: now, Version: 1}),
		store.CreateDeployment(ctx, &admin.Deployment{ID: "d_1", ProjectID: "p_1", Type: admin.DeploymentProduction,
			Slug: "production", Status: admin.DeploymentStopped, CreatedAt: now, UpdatedAt: now, Version: 1}),
		store.CreateBuild(ctx, &admin.Build{ID: "b_1", DeploymentID: "d_1", ProjectID: "p_1", Trigger: admin.TriggerManual,
			Status: admin.BuildSucceeded, QueuedAt: now, StartedAt: &now, CompletedAt: &now, UpdatedAt: now, Version: 1}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	builds := filepath.Join(state, "builds")
	art := admin.Artifact{Dir: filepath.Join(builds, "b_1", "src"), Entry: kubernetes.ImageRecord}
	if err := os.MkdirAll(filepath.Join(art.Dir, ".mastra"), 0o755); err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(kubernetes.Image{Ref: pushWriter(t, e), ProjectID: "p_1", ProjectSlug: "writer", BuildID: "b_1"})
	if err := os.WriteFile(filepath.Join(art.Dir, filepath.FromSlash(kubernetes.ImageRecord)), rec, 0o644); err != nil {
		t.Fatal(err)
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	key, err := admin.SignLicense(priv, admin.License{ID: "lic_k8s", Customer: "C", Tier: admin.TierEnterprisePlus,
		IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	runner := func() *kubernetes.Runner {
		return e.runner(t, func(o *kubernetes.Options) {
			o.Labels = map[string]string{testenv.KubeFailLabel: testenv.KubeProcess}
			o.Endpoint = pk.endpoint
		})
	}
	startAdmin := func(r *kubernetes.Runner) *admin.Admin {
		if store == nil {
			if store, err = sqlite.Open(filepath.Join(state, "admin.db"), nil); err != nil {
				t.Fatal(err)
			}
			if obs, err = obssqlite.Open(filepath.Join(state, "observability.db"), nil); err != nil {
				t.Fatal(err)
			}
		}
		files, err := filelocal.New(filepath.Join(state, "files"), nil)
		if err != nil {
			t.Fatal(err)
		}
		logs, err := memory.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		router, err := routerlocal.New(nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := admin.New(admin.WithStorage(store), admin.WithRunner(r), admin.WithLicense(key, pub),
			admin.WithRouter(router), admin.WithBuildLogCache(logs), admin.WithFileStorage(files),
			admin.WithBuildDir(builds), admin.WithObservabilityStore(obs),
			admin.WithTelemetryDecoder(observability.Decoder(nil)), admin.WithIntervals(100*time.Millisecond, time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { a.Close() })
		if err := a.Start(ctx); err != nil {
			t.Fatal(err)
		}
		return a
	}
	stored := func() []string {
		t.Helper()
		var msgs []string
		q := admin.LogQuery{ProjectID: "p_1", Limit: 100}
		for {
			page, err := obs.SearchLogs(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, l := range page.Logs {
				msgs = append(msgs, l.Message)
			}
			if page.NextCursor == "" {
				return msgs
			}
			q.Cursor = page.NextCursor
		}
	}
	waitStored := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); len(stored()) < n; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d lines in the observability store, want %d", len(stored()), n)
			}
		}
	}

	first := runner()
	a := startAdmin(first)
	srv, err := first.Start(ctx, admin.StartSpec{Artifact: art}, nil)
	if err != nil {
		t.Fatal(err)
	}
	write := func(n int, rotate bool) { t.Helper(); writeLines(t, srv, n, rotate) }
	write(100, false)
	waitStored(100)
	write(50, false)
	write(50, true)
	// The admin restarts (closing its runner and providers).
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	store, obs = nil, nil

	second := runner()
	startAdmin(second)
	if err := second.Stop(ctx, srv); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	waitStored(201)
	// Archived: the copies leave the build directory.
	for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
		left, _ := filepath.Glob(filepath.Join(builds, "b_1", "observability", "*", "*.jsonl"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("copies not archived: %v", left)
		}
	}
	msgs := stored()
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m]++
	}
	for i := range 201 {
		if m := "line " + strconv.Itoa(i); seen[m] != 1 {
			t.Errorf("%q is in the observability store %d times, want once", m, seen[m])
		}
	}
	if len(msgs) != 201 {
		t.Errorf("%d lines in the observability store, want 201", len(msgs))
	}
}
