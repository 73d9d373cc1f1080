package kubernetes_test

// Unit tests that need no cluster. They use client-go's fake clientset
// (k8s.io/client-go/kubernetes/fake), which only stores objects: no
// controller, scheduler or garbage collector runs, so nothing here checks a
// rollout; the tests against the real control plane (kube_test.go) do.

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// localOptions configure the build steps of runners that build nothing.
var localOptions = local.Options{BuildMode: local.BuildPlain, CacheDir: filepath.Join(os.TempDir(), "mastra-admin-kube-test-cache")}

// fakeClient is a client-go fake clientset (no control plane behind it).
func fakeClient() *fake.Clientset { return fake.NewClientset() }

const testBase = "registry.example.com/library/node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestNewRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		name     string
		registry string
		base     string
		opts     kubernetes.Options
	}{
		{"base by tag", "r.example.com/m", "node:22", kubernetes.Options{}},
		{"bad registry", "R E G", testBase, kubernetes.Options{}},
		{"bad namespace", "r.example.com/m", testBase, kubernetes.Options{Namespace: "Not_A_Label"}},
		{"our label", "r.example.com/m", testBase, kubernetes.Options{Labels: map[string]string{kubernetes.LabelServer: "x"}}},
		{"bad label value", "r.example.com/m", testBase, kubernetes.Options{Labels: map[string]string{"a": "b c"}}},
		{"root user", "r.example.com/m", testBase, kubernetes.Options{User: "0"}},
		{"named user", "r.example.com/m", testBase, kubernetes.Options{User: "node"}},
		{"httproute without gateway", "r.example.com/m", testBase, kubernetes.Options{Ingress: kubernetes.IngressHTTPRoute, BaseDomain: "example.com"}},
		{"unknown ingress", "r.example.com/m", testBase, kubernetes.Options{Ingress: "nginx"}},
		{"short deadline", "r.example.com/m", testBase, kubernetes.Options{ProgressDeadline: time.Millisecond}},
		{"short drain timeout", "r.example.com/m", testBase, kubernetes.Options{DrainTimeout: time.Millisecond}},
	} {
		r, err := kubernetes.New(fakeClient(), tc.registry, tc.base, &tc.opts)
		if !errors.Is(err, admin.ErrInvalidArgument) {
			if r != nil {
				r.Close()
			}
			t.Errorf("%s: New = %v, want ErrInvalidArgument", tc.name, err)
		}
	}
	if _, err := kubernetes.New(nil, "r.example.com/m", testBase, nil); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("nil client: %v", err)
	}
}

func TestInvalidInputAndClose(t *testing.T) {
	r, err := kubernetes.New(fakeClient(), "r.example.com/m", testBase, &kubernetes.Options{
		Build: &localOptions})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range []*admin.RunningServer{nil, {Handle: ""}, {Handle: "ns/name"}, {Handle: "a//c"}} {
		if err := r.Stop(ctx, s); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Stop(%+v) = %v", s, err)
		}
		if _, err := r.Reattach(ctx, s); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Reattach(%+v) = %v", s, err)
		}
		if _, err := r.Health(ctx, s); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Health(%+v) = %v", s, err)
		}
	}
	dir := t.TempDir()
	for _, a := range []admin.Artifact{{}, {Dir: "rel", Entry: kubernetes.ImageRecord}, {Dir: dir, Entry: ".mastra/output/index.mjs"},
		{Dir: dir, Entry: kubernetes.ImageRecord}} {
		if _, err := r.Start(ctx, admin.StartSpec{Artifact: a}, nil); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("Start(%+v) = %v, want ErrInvalidArgument", a, err)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Start(ctx, admin.StartSpec{}, nil); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Start after Close: %v", err)
	}
	if _, err := r.Build(ctx, admin.BuildSpec{}, nil); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Build after Close: %v", err)
	}
	if _, err := r.Reattach(ctx, &admin.RunningServer{Handle: "ns/name/rev"}); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("Reattach after Close: %v", err)
	}
}

// The license gate lives in admin.New: a license without the
// kubernetes-runner feature refuses the runner.
func TestLicenseGate(t *testing.T) {
	r, err := kubernetes.New(fakeClient(), "r.example.com/m", testBase, &kubernetes.Options{Build: &localOptions})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Now()
	key := func(tier admin.Tier, features ...string) string {
		k, err := admin.SignLicense(priv, admin.License{ID: "lic_k8s", Customer: "C", Tier: tier, Features: features,
			IssuedAt: now.Add(-time.Hour), ExpiresAt: now.Add(24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	open := func(opts ...admin.Option) error {
		store, err := sqlite.Open(filepath.Join(t.TempDir(), "admin.db"), nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := admin.New(append(opts, admin.WithStorage(store), admin.WithRunner(r))...)
		if err == nil {
			a.Close()
		} else {
			store.Close()
		}
		return err
	}
	for name, opts := range map[string][]admin.Option{
		"development (no license)": nil,
		"enterprise":               {admin.WithLicense(key(admin.TierEnterprise), pub)},
	} {
		err := open(opts...)
		var le *admin.LicenseError
		if !errors.Is(err, admin.ErrLicense) || !errors.As(err, &le) {
			t.Errorf("%s: admin.New with the Kubernetes runner = %v, want ErrLicense", name, err)
		}
	}
	for name, opts := range map[string][]admin.Option{
		"enterprise-plus":                 {admin.WithLicense(key(admin.TierEnterprisePlus), pub)},
		"enterprise with the feature too": {admin.WithLicense(key(admin.TierEnterprise, admin.FeatureKubernetesRunner), pub)},
	} {
		if err := open(opts...); err != nil {
			t.Errorf("%s: admin.New = %v", name, err)
		}
	}
}

// TestTelemetryFilesWithoutExec checks TelemetryFiles without a cluster
// (a fake client): copies of a build that pushed no image are listed
// closed; a pod running the artifact's image cannot be copied from
// without Options.RESTConfig, which is said; a relative artifact
// directory is refused.
func TestTelemetryFilesWithoutExec(t *testing.T) {
	ctx := context.Background()
	const ref = "r.example.com/m/shop@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	client := fake.NewClientset(&corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: kubernetes.DefaultNamespace,
			Labels: map[string]string{kubernetes.LabelManagedBy: kubernetes.ManagedByValue}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: kubernetes.ContainerName, Image: ref}}},
		Status: corev1.PodStatus{InitContainerStatuses: []corev1.ContainerStatus{{Name: kubernetes.TelemetryContainer,
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}}},
	})
	r, err := kubernetes.New(client, "r.example.com/m", testBase, &kubernetes.Options{Build: &localOptions})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	build := t.TempDir()
	art := admin.Artifact{Dir: filepath.Join(build, "src"), Entry: admin.DefaultArtifactEntry}
	if err := os.MkdirAll(filepath.Join(build, "observability", "logs"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(build, "observability", "logs", "a.jsonl"), []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	files, err := r.TelemetryFiles(ctx, art)
	if err != nil || len(files) != 1 || !files[0].Closed || files[0].Name != "logs/a.jsonl" {
		t.Fatalf("TelemetryFiles of a build without an image = %+v, %v; want logs/a.jsonl closed", files, err)
	}
	if err := os.MkdirAll(filepath.Join(art.Dir, ".mastra"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(art.Dir, filepath.FromSlash(kubernetes.ImageRecord)), []byte(`{"ref":"`+ref+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := r.TelemetryFiles(ctx, art); !errors.Is(err, admin.ErrNotSupported) || !strings.Contains(err.Error(), "RESTConfig") {
		t.Errorf("TelemetryFiles with a pod to copy from and no RESTConfig = %v, want ErrNotSupported naming RESTConfig", err)
	}
	if _, err := r.TelemetryFiles(ctx, admin.Artifact{Dir: "rel"}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("TelemetryFiles of a relative directory = %v, want ErrInvalidArgument", err)
	}
}
