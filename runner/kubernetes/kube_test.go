package kubernetes_test

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testenv.StopKube()
	os.Exit(code)
}

// cluster returns a client of the test cluster and a fresh namespace in
// it, deleted when the test ends.
func cluster(t *testing.T) (k8s.Interface, string) {
	t.Helper()
	c, _, ns := clusterConfig(t)
	return c, ns
}

// clusterConfig is cluster with the client's configuration.
func clusterConfig(t *testing.T) (k8s.Interface, *rest.Config, string) {
	t.Helper()
	kc := testenv.Kube(t)
	cfg, err := clientcmd.BuildConfigFromFlags("", kc.Kubeconfig)
	if err != nil {
		t.Fatalf("kubeconfig %s: %v", kc.Kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	c, err := k8s.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ns := strings.ReplaceAll(testenv.Name(), "_", "-")
	if _, err := c.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	t.Cleanup(func() {
		_ = c.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
	})
	return c, cfg, ns
}

// simulated skips t unless the cluster is kwok's (its stages are needed).
func simulated(t *testing.T) {
	t.Helper()
	if !testenv.Kube(t).Simulated {
		t.Skip("needs the simulated control plane of scripts/services/kube.sh (kwok stages)")
	}
}

// imageRegistry serves an in-process OCI registry with blobs on disk and
// returns its host:port.
func imageRegistry(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(
		registry.WithBlobHandler(registry.NewDiskBlobHandler(t.TempDir())),
		registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// pushBase pushes a small stand-in for a Node base image (two random
// layers and a PATH) and returns it by digest.
func pushBase(t *testing.T, host string) string {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	cfg.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "NODE_VERSION=22.13.0"}
	cfg.Entrypoint = []string{"docker-entrypoint.sh"}
	cfg.Cmd = []string{"node"}
	return pushImage(t, img, cfg, host+"/library/node:22-test")
}

// pushImage pushes img with config cfg as tag and returns it by digest.
func pushImage(t *testing.T, img v1.Image, cfg v1.Config, tag string) string {
	t.Helper()
	img, err := mutate.Config(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.NewTag(tag, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatalf("push %s: %v", tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return ref.Context().Digest(d.String()).String()
}

type env struct {
	client k8s.Interface
	cfg    *rest.Config
	ns     string
	host   string // registry
	base   string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c, cfg, ns := clusterConfig(t)
	host := imageRegistry(t)
	return &env{client: c, cfg: cfg, ns: ns, host: host, base: pushBase(t, host)}
}

func (e *env) runner(t *testing.T, edit func(*kubernetes.Options)) *kubernetes.Runner {
	t.Helper()
	return e.runnerWith(t, e.client, edit)
}

// runnerWith returns a runner talking to the cluster through client.
func (e *env) runnerWith(t *testing.T, client k8s.Interface, edit func(*kubernetes.Options)) *kubernetes.Runner {
	t.Helper()
	o := &kubernetes.Options{Namespace: e.ns, InsecureRegistry: true, RESTConfig: e.cfg, ProgressDeadline: 20 * time.Second,
		StartTimeout: 90 * time.Second, Labels: map[string]string{"team.example.com/owner": "platform"},
		Build: &local.Options{BuildMode: local.BuildPlain, CacheDir: filepath.Join(os.TempDir(), "mastra-admin-kube-test-cache")}}
	if edit != nil {
		edit(o)
	}
	r, err := kubernetes.New(client, e.host+"/mastra", e.base, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// artifact writes an image record for ref (a rollout needs no build: kwok
// runs no container) and returns its artifact.
func artifact(t *testing.T, ref string) admin.Artifact {
	t.Helper()
	return artifactOf(t, kubernetes.Image{Ref: ref, ProjectID: "p_1", ProjectSlug: "shop"})
}

// images pushes n distinct images and returns them by digest.
func (e *env) images(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for i := range n {
		img, err := random.Image(256, 1)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := name.NewTag(e.host+"/mastra/shop:v"+string(rune('0'+i)), name.Insecure)
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		out = append(out, ref.Context().Digest(d.String()).String())
	}
	return out
}

type logRec struct {
	mu    sync.Mutex
	lines []string
}

func (l *logRec) fn(phase, stream, text string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, phase+"|"+stream+"|"+text)
}

func (l *logRec) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

func (l *logRec) has(sub string) bool { return strings.Contains(l.String(), sub) }

func deployment(t *testing.T, e *env, srv *admin.RunningServer) *appsv1.Deployment {
	t.Helper()
	parts := strings.Split(srv.Handle, "/")
	d, err := e.client.AppsV1().Deployments(parts[0]).Get(context.Background(), parts[1], metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment of %s: %v", srv.Handle, err)
	}
	return d
}

func TestBuildPackagesAndPushesImage(t *testing.T) {
	host := imageRegistry(t)
	base := pushBase(t, host)
	// Build talks to no cluster: a fake client stands for one.
	r, err := kubernetes.New(fakeClient(), host+"/mastra", base, &kubernetes.Options{InsecureRegistry: true,
		Build: &local.Options{BuildMode: local.BuildPlain, CacheDir: t.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := runnertest.WriteFakeProject(src); err != nil {
		t.Fatal(err)
	}
	var lr logRec
	spec := admin.BuildSpec{Dir: dir, SourceDir: src,
		Project:    &admin.Project{ID: "p_1", TeamID: "t_1", Slug: "shop"},
		Deployment: &admin.Deployment{ID: "d_1", ProjectID: "p_1", Slug: "production", Type: admin.DeploymentProduction},
		Build:      &admin.Build{ID: "b_1", DeploymentID: "d_1", ProjectID: "p_1"}}
	a, err := r.Build(context.Background(), spec, lr.fn)
	if err != nil {
		t.Fatalf("Build: %v\n%s", err, &lr)
	}
	if a.Entry != kubernetes.ImageRecord {
		t.Fatalf("artifact entry %q, want %q", a.Entry, kubernetes.ImageRecord)
	}
	if !lr.has("image||pushed ") || !lr.has("build|stdout|fake mastra: build successful") {
		t.Errorf("log lacks the build's or the push's lines:\n%s", &lr)
	}
	var rec kubernetes.Image
	b, err := os.ReadFile(filepath.Join(a.Dir, a.Entry))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rec.Ref, host+"/mastra/shop@sha256:") || rec.Base != base || rec.BuildID != "b_1" || rec.TeamID != "t_1" {
		t.Errorf("image record %+v", rec)
	}
	// The layer file written before the push is gone.
	if m, _ := filepath.Glob(filepath.Join(dir, "layer-*")); len(m) > 0 {
		t.Errorf("layer files left behind: %v", m)
	}

	ref, err := name.NewDigest(rec.Ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("pull %s: %v", ref, err)
	}
	baseRef, _ := name.NewDigest(base, name.Insecure)
	baseImg, err := remote.Image(baseRef)
	if err != nil {
		t.Fatal(err)
	}
	layers, _ := img.Layers()
	baseLayers, _ := baseImg.Layers()
	if len(layers) != len(baseLayers)+1 {
		t.Fatalf("image has %d layers, want the base's %d and one more", len(layers), len(baseLayers))
	}
	for i, l := range baseLayers {
		want, _ := l.Digest()
		got, _ := layers[i].Digest()
		if want != got {
			t.Errorf("layer %d is %s, want the base's %s", i, got, want)
		}
	}
	names := tarNames(t, layers[len(layers)-1])
	if !slices.Contains(names, "app/index.mjs") {
		t.Errorf("the build layer has no app/index.mjs: %v", names)
	}
	for _, n := range names {
		if n != "app/" && !strings.HasPrefix(n, "app/") {
			t.Errorf("build layer entry %q outside app/", n)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if !slices.Equal(c.Entrypoint, []string{"node", "/app/index.mjs"}) || c.Cmd != nil || c.WorkingDir != "/app" || c.User != kubernetes.DefaultUser {
		t.Errorf("config: entrypoint %q cmd %q workdir %q user %q", c.Entrypoint, c.Cmd, c.WorkingDir, c.User)
	}
	for _, want := range []string{"PATH=/usr/local/bin:/usr/bin:/bin", "NODE_VERSION=22.13.0", "NODE_ENV=production",
		"MASTRA_ADMIN_OBSERVABILITY_DIR=" + kubernetes.DefaultObservabilityDir} {
		if !slices.Contains(c.Env, want) {
			t.Errorf("config env %q lacks %q", c.Env, want)
		}
	}
	if c.Labels["org.opencontainers.image.base.digest"] != baseRef.DigestStr() || c.Labels["dev.mastra-admin.build"] != "b_1" {
		t.Errorf("config labels %v", c.Labels)
	}
	if _, ok := c.ExposedPorts["4111/tcp"]; !ok {
		t.Errorf("exposed ports %v", c.ExposedPorts)
	}
}

func tarNames(t *testing.T, l v1.Layer) []string {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
}

func TestRolloutToAvailable(t *testing.T) {
	e := newEnv(t)
	r := e.runner(t, func(o *kubernetes.Options) {
		o.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")}}
	})
	ref := e.images(t, 1)[0]
	var lr logRec
	ctx := context.Background()
	dep := &admin.Deployment{ID: "d_Shop1", ProjectID: "p_1", Slug: "production", Type: admin.DeploymentProduction}
	srv, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, ref), Deployment: dep,
		Build: &admin.Build{ID: "b_1"}, Env: map[string]string{"OPENAI_API_KEY": "sk-secret-value"}}, lr.fn)
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, &lr)
	}
	if srv.Host != deploymentName(srv)+"."+e.ns+".svc.cluster.local" || !strings.HasPrefix(deploymentName(srv), "mastra-d-shop1") || srv.Port != 80 ||
		srv.Status != admin.ServerRunning || srv.Health != admin.HealthHealthy || srv.DeploymentID != "d_Shop1" || srv.BuildID != "b_1" {
		t.Errorf("Start returned %+v", srv)
	}
	if !lr.has("rolled out") {
		t.Errorf("log:\n%s", &lr)
	}
	if strings.Contains(lr.String(), "sk-secret-value") {
		t.Errorf("the env var's value reached the log")
	}
	d := deployment(t, e, srv)
	s := d.Spec
	if ru := s.Strategy.RollingUpdate; s.Strategy.Type != appsv1.RollingUpdateDeploymentStrategyType || ru == nil ||
		ru.MaxUnavailable.IntValue() != 0 || ru.MaxSurge.IntValue() != 1 {
		t.Errorf("strategy %+v", s.Strategy)
	}
	if s.ProgressDeadlineSeconds == nil || *s.ProgressDeadlineSeconds != 20 {
		t.Errorf("progressDeadlineSeconds %v, want 20", s.ProgressDeadlineSeconds)
	}
	c := s.Template.Spec.Containers[0]
	if c.Image != ref || c.ReadinessProbe == nil || c.ReadinessProbe.HTTPGet == nil || c.ReadinessProbe.HTTPGet.Path != "/health" {
		t.Errorf("container image %q readiness %+v", c.Image, c.ReadinessProbe)
	}
	if c.Resources.Requests.Cpu().String() != "100m" || c.Resources.Limits.Memory().String() != "512Mi" {
		t.Errorf("resources %+v", c.Resources)
	}
	if sc := c.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser != 1000 {
		t.Errorf("security context %+v", c.SecurityContext)
	}
	// Env vars only through the Secret; nothing secret in the spec.
	spec, _ := json.Marshal(d)
	if strings.Contains(string(spec), "sk-secret-value") || strings.Contains(string(spec), "OPENAI_API_KEY") {
		t.Errorf("the env var is in the Deployment: %s", spec)
	}
	if len(c.EnvFrom) != 1 || c.EnvFrom[0].SecretRef == nil {
		t.Fatalf("envFrom %+v", c.EnvFrom)
	}
	sec, err := e.client.CoreV1().Secrets(e.ns).Get(ctx, c.EnvFrom[0].SecretRef.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(sec.Data["OPENAI_API_KEY"]) != "sk-secret-value" || sec.Immutable == nil || !*sec.Immutable {
		t.Errorf("secret %s: data keys %v, immutable %v", sec.Name, slices.Collect(mapsKeys(sec.Data)), sec.Immutable)
	}
	svc, err := e.client.CoreV1().Services(e.ns).Get(ctx, d.Name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Ownership labels and the field manager on everything.
	for kind, m := range map[string]metav1.ObjectMeta{"deployment": d.ObjectMeta, "service": svc.ObjectMeta, "secret": sec.ObjectMeta} {
		if m.Labels[kubernetes.LabelManagedBy] != kubernetes.ManagedByValue || m.Labels[kubernetes.LabelServer] != d.Name ||
			m.Labels["team.example.com/owner"] != "platform" || m.Labels[kubernetes.LabelDeployment] != "d_Shop1" {
			t.Errorf("%s labels %v", kind, m.Labels)
		}
		if len(m.ManagedFields) == 0 || m.ManagedFields[0].Manager != kubernetes.DefaultFieldManager || m.ManagedFields[0].Operation != metav1.ManagedFieldsOperationApply {
			t.Errorf("%s managed fields %+v", kind, m.ManagedFields)
		}
	}
	pods, err := e.client.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelServer + "=" + d.Name})
	if err != nil || len(pods.Items) != 1 || pods.Items[0].Status.Phase != corev1.PodRunning {
		t.Errorf("pods: %v, %+v", err, pods)
	}
	if h, err := r.Health(ctx, srv); err != nil || h != admin.HealthHealthy {
		t.Errorf("Health = %q, %v", h, err)
	}
	// An admin restart: a new runner adopts it.
	r2 := e.runner(t, nil)
	if ok, err := r2.Reattach(ctx, srv); err != nil || !ok {
		t.Errorf("Reattach by a new runner = %v, %v", ok, err)
	}
	if h, err := r2.Health(ctx, srv); err != nil || h != admin.HealthHealthy {
		t.Errorf("Health by a new runner = %q, %v", h, err)
	}
	if err := r2.Stop(ctx, srv); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Reattach(ctx, srv); err != nil || ok {
		t.Errorf("Reattach after Stop = %v, %v; want false", ok, err)
	}
	if h, err := r.Health(ctx, srv); err != nil || h != admin.HealthUnhealthy {
		t.Errorf("Health after Stop = %q, %v; want unhealthy", h, err)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// watchAvailable records the lowest available replica count of the
// Deployment name once it first reached want, until stop is called.
func watchAvailable(t *testing.T, e *env, name string, want int32) (stop func() int32) {
	t.Helper()
	w, err := e.client.AppsV1().Deployments(e.ns).Watch(context.Background(), metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		t.Fatal(err)
	}
	lowest := want
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if d, ok := ev.Object.(*appsv1.Deployment); ok && ev.Type != watch.Deleted {
				lowest = min(lowest, d.Status.AvailableReplicas)
			}
		}
	}()
	return func() int32 { w.Stop(); <-done; return lowest }
}

func TestRedeployAndRollback(t *testing.T) {
	e := newEnv(t)
	r := e.runner(t, func(o *kubernetes.Options) { o.Replicas = 2 })
	refs := e.images(t, 2)
	ctx := context.Background()
	dep := &admin.Deployment{ID: "d_2", ProjectID: "p_1", Slug: "staging", Type: admin.DeploymentStaging}
	start := func(ref, build string, env map[string]string) *admin.RunningServer {
		t.Helper()
		var lr logRec
		srv, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, ref), Deployment: dep, Build: &admin.Build{ID: build}, Env: env}, lr.fn)
		if err != nil {
			t.Fatalf("Start %s: %v\n%s", build, err, &lr)
		}
		return srv
	}
	first := start(refs[0], "b_1", map[string]string{"A": "1"})
	name := deployment(t, e, first).Name

	stop := watchAvailable(t, e, name, 2)
	second := start(refs[1], "b_2", map[string]string{"A": "2"})
	if lowest := stop(); lowest < 2 {
		t.Errorf("available replicas fell to %d during the redeploy; want never below 2 (maxUnavailable 0)", lowest)
	}
	if second.Host != first.Host || second.Port != first.Port {
		t.Errorf("redeploy moved the Service: %s:%d -> %s:%d", first.Host, first.Port, second.Host, second.Port)
	}
	d := deployment(t, e, second)
	if got := d.Spec.Template.Spec.Containers[0].Image; got != refs[1] {
		t.Errorf("image after the redeploy %s, want %s", got, refs[1])
	}
	// The first server is superseded: not healthy, not adoptable, and its
	// Stop leaves the second alone.
	if h, _ := r.Health(ctx, first); h != admin.HealthUnhealthy {
		t.Errorf("Health of the superseded server = %q", h)
	}
	if ok, _ := r.Reattach(ctx, first); ok {
		t.Error("Reattach of the superseded server = true")
	}
	if err := r.Stop(ctx, first); err != nil {
		t.Fatal(err)
	}
	if h, err := r.Health(ctx, second); err != nil || h != admin.HealthHealthy {
		t.Errorf("Health of the current server after stopping the superseded one = %q, %v", h, err)
	}
	// Only the current revision's env Secret is left.
	secrets, err := e.client.CoreV1().Secrets(e.ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelServer + "=" + name})
	if err != nil || len(secrets.Items) != 1 || string(secrets.Items[0].Data["A"]) != "2" {
		t.Errorf("env secrets after the redeploy: %v %+v", err, secrets)
	}

	// Rollback: the first artifact again deploys the first digest.
	stop = watchAvailable(t, e, name, 2)
	back := start(refs[0], "b_3", map[string]string{"A": "1"})
	if lowest := stop(); lowest < 2 {
		t.Errorf("available replicas fell to %d during the rollback", lowest)
	}
	d = deployment(t, e, back)
	if got := d.Spec.Template.Spec.Containers[0].Image; got != refs[0] {
		t.Errorf("image after the rollback %s, want %s", got, refs[0])
	}
	pods, err := e.client.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelServer + "=" + name})
	if err != nil {
		t.Fatal(err)
	}
	running := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Spec.Containers[0].Image == refs[0] && p.Status.Phase == corev1.PodRunning {
			running++
		}
	}
	if running != 2 {
		t.Errorf("%d running pods of the rolled-back image, want 2", running)
	}
	if err := r.Stop(ctx, back); err != nil {
		t.Fatal(err)
	}
}

func TestFailingRolloutCrashLoop(t *testing.T) {
	simulated(t)
	e := newEnv(t)
	ctx := context.Background()
	ref := e.images(t, 1)[0]
	dep := &admin.Deployment{ID: "d_3", ProjectID: "p_1", Slug: "production", Type: admin.DeploymentProduction}
	crashing := e.runner(t, func(o *kubernetes.Options) { o.Labels[testenv.KubeFailLabel] = testenv.KubeFailCrashLoop })

	// The first start fails: nothing is left.
	var lr logRec
	srv, err := crashing.Start(ctx, admin.StartSpec{Artifact: artifact(t, ref), Deployment: dep}, lr.fn)
	var re *kubernetes.RolloutError
	if !errors.As(err, &re) || re.Reason != "CrashLoopBackOff" {
		t.Fatalf("Start of a crash-looping server = %+v, %v; want a RolloutError CrashLoopBackOff\n%s", srv, err, &lr)
	}
	for _, want := range []string{"waiting: CrashLoopBackOff", "exited with status 1 (Error)", "simulated crash"} {
		if !lr.has(want) {
			t.Errorf("log lacks %q:\n%s", want, &lr)
		}
	}
	if !strings.Contains(err.Error(), "simulated crash") {
		t.Errorf("error lacks the container's last words: %v", err)
	}
	sel := metav1.ListOptions{LabelSelector: kubernetes.LabelManagedBy + "=" + kubernetes.ManagedByValue}
	eventuallyEmpty(t, e, sel)

	// After a good start, a failing one gives the Deployment back.
	good := e.runner(t, nil)
	ok, err := good.Start(ctx, admin.StartSpec{Artifact: artifact(t, ref), Deployment: dep}, nil)
	if err != nil {
		t.Fatal(err)
	}
	before := deployment(t, e, ok)
	lr = logRec{}
	if _, err := crashing.Start(ctx, admin.StartSpec{Artifact: artifact(t, ref), Deployment: dep}, lr.fn); !errors.As(err, &re) {
		t.Fatalf("second crash-looping Start: %v\n%s", err, &lr)
	}
	if !lr.has("rolling deployment") {
		t.Errorf("log does not say it rolled back:\n%s", &lr)
	}
	after := deployment(t, e, ok)
	if after.Annotations[kubernetes.AnnotationRevision] != before.Annotations[kubernetes.AnnotationRevision] ||
		after.Spec.Template.Labels[testenv.KubeFailLabel] != "" {
		t.Errorf("deployment not restored: revision %s -> %s, template labels %v", before.Annotations[kubernetes.AnnotationRevision],
			after.Annotations[kubernetes.AnnotationRevision], after.Spec.Template.Labels)
	}
	waitHealthy(t, good, ok)
	if err := good.Stop(ctx, ok); err != nil {
		t.Fatal(err)
	}
}

func waitHealthy(t *testing.T, r *kubernetes.Runner, srv *admin.RunningServer) {
	t.Helper()
	waitHealth(t, r, srv, admin.HealthHealthy)
}

// waitHealth waits until Health reports want for srv.
func waitHealth(t *testing.T, r *kubernetes.Runner, srv *admin.RunningServer, want admin.HealthStatus) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		h, err := r.Health(context.Background(), srv)
		if err == nil && h == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s not %s: %q, %v", srv.Handle, want, h, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// eventuallyEmpty waits until no Deployment, Service, Secret or pod of
// the namespace matches sel.
func eventuallyEmpty(t *testing.T, e *env, sel metav1.ListOptions) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var left []string
		if l, err := e.client.AppsV1().Deployments(e.ns).List(ctx, sel); err == nil {
			for _, x := range l.Items {
				left = append(left, "deployment/"+x.Name)
			}
		}
		if l, err := e.client.CoreV1().Services(e.ns).List(ctx, sel); err == nil {
			for _, x := range l.Items {
				left = append(left, "service/"+x.Name)
			}
		}
		if l, err := e.client.CoreV1().Secrets(e.ns).List(ctx, sel); err == nil {
			for _, x := range l.Items {
				left = append(left, "secret/"+x.Name)
			}
		}
		if l, err := e.client.CoreV1().Pods(e.ns).List(ctx, sel); err == nil {
			for _, x := range l.Items {
				left = append(left, "pod/"+x.Name)
			}
		}
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("left after the failed start or stop: %v", left)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestFailingRolloutUnschedulable(t *testing.T) {
	e := newEnv(t)
	r := e.runner(t, func(o *kubernetes.Options) {
		o.ProgressDeadline = 3 * time.Second
		o.Resources = corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("5000")}}
	})
	var lr logRec
	_, err := r.Start(context.Background(), admin.StartSpec{Artifact: artifact(t, e.images(t, 1)[0])}, lr.fn)
	var re *kubernetes.RolloutError
	if !errors.As(err, &re) || re.Reason != "ProgressDeadlineExceeded" {
		t.Fatalf("Start of an unschedulable server: %v; want a RolloutError ProgressDeadlineExceeded\n%s", err, &lr)
	}
	if !lr.has("not scheduled: Unschedulable") || !lr.has("Insufficient cpu") {
		t.Errorf("log lacks the scheduler's reason:\n%s", &lr)
	}
	eventuallyEmpty(t, e, metav1.ListOptions{LabelSelector: kubernetes.LabelManagedBy + "=" + kubernetes.ManagedByValue})
}

func TestStopRemovesOnlyItsObjects(t *testing.T) {
	e := newEnv(t)
	r := e.runner(t, nil)
	ctx := context.Background()
	ref := e.images(t, 1)[0]
	a, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, ref), Deployment: &admin.Deployment{ID: "d_a"}, Env: map[string]string{"X": "1"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, ref), Deployment: &admin.Deployment{ID: "d_b"}, Env: map[string]string{"X": "2"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Objects that are not the runner's, one with the same server label.
	other := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "other", Labels: map[string]string{kubernetes.LabelServer: deployment(t, e, a).Name}}}
	if _, err := e.client.CoreV1().Secrets(e.ns).Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.CoreV1().ConfigMaps(e.ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	nameA := deployment(t, e, a).Name
	if err := r.Stop(ctx, a); err != nil {
		t.Fatal(err)
	}
	eventuallyEmpty(t, e, metav1.ListOptions{LabelSelector: kubernetes.LabelServer + "=" + nameA + "," + kubernetes.LabelManagedBy})
	if h, err := r.Health(ctx, b); err != nil || h != admin.HealthHealthy {
		t.Errorf("the other server after Stop: %q, %v", h, err)
	}
	for _, get := range []func() error{
		func() error {
			_, err := e.client.CoreV1().Secrets(e.ns).Get(ctx, "other", metav1.GetOptions{})
			return err
		},
		func() error {
			_, err := e.client.CoreV1().ConfigMaps(e.ns).Get(ctx, "cm", metav1.GetOptions{})
			return err
		},
	} {
		if err := get(); err != nil {
			t.Errorf("an object that is not the runner's was touched: %v", err)
		}
	}
	// Idempotent.
	if err := r.Stop(ctx, a); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := r.Stop(ctx, b); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.AppsV1().Deployments(e.ns).Get(ctx, deploymentName(b), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("deployment of b after Stop: %v", err)
	}
}

func deploymentName(s *admin.RunningServer) string { return strings.Split(s.Handle, "/")[1] }
