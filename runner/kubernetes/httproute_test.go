package kubernetes_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
)

// httpRoute is the part of a Gateway API HTTPRoute the tests read.
type httpRoute struct {
	Metadata struct {
		Name       string
		Labels     map[string]string
		Generation int64
	}
	Spec struct {
		ParentRefs []map[string]any
		Hostnames  []string
		Rules      []struct {
			BackendRefs []map[string]any
		}
	}
}

// getRoute reads an HTTPRoute; nil when it does not exist.
func getRoute(t *testing.T, e *env, ns, name string) *httpRoute {
	t.Helper()
	b, err := e.client.Discovery().RESTClient().Get().
		AbsPath("/apis/gateway.networking.k8s.io/v1/namespaces", ns, "httproutes", name).DoRaw(context.Background())
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		t.Fatalf("get httproute %s/%s: %v", ns, name, err)
	}
	var r httpRoute
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

// TestHTTPRoute: with IngressHTTPRoute, Start applies an HTTPRoute (the
// Gateway API CRDs are installed in the test control plane; no Gateway
// controller runs, so nothing routes traffic) attached to the configured
// Gateway, for the deployment's host name, to its Service; a redeploy
// updates it in place; Stop removes it.
func TestHTTPRoute(t *testing.T) {
	e := newEnv(t)
	if _, err := e.client.Discovery().ServerResourcesForGroupVersion("gateway.networking.k8s.io/v1"); err != nil {
		testenv.Unavailable(t, "the Gateway API CRDs", testenv.EnvKubeconfig, "the cluster does not serve gateway.networking.k8s.io/v1: "+err.Error())
	}
	withRoute := func(section string) func(*kubernetes.Options) {
		return func(o *kubernetes.Options) {
			o.Ingress = kubernetes.IngressHTTPRoute
			o.Gateway = kubernetes.GatewayRef{Name: "public", Namespace: "gateways", SectionName: section}
			o.BaseDomain = "apps.example.com"
		}
	}
	r := e.runner(t, withRoute("https"))
	ctx := context.Background()
	refs := e.images(t, 2)
	prod := &admin.Deployment{ID: "d_prod", ProjectID: "p_1", Slug: "production", Type: admin.DeploymentProduction}
	preview := &admin.Deployment{ID: "d_pr7", ProjectID: "p_1", Slug: "pr-7", Type: admin.DeploymentPreview}
	var lr logRec
	srv, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, refs[0]), Deployment: prod}, lr.fn)
	if err != nil {
		t.Fatalf("Start: %v\n%s", err, &lr)
	}
	pr, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, refs[0]), Deployment: preview}, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := deploymentName(srv)
	check := func(rt *httpRoute, name, host, section string) {
		t.Helper()
		if rt == nil {
			t.Fatalf("no httproute %s", name)
		}
		if len(rt.Spec.Hostnames) != 1 || rt.Spec.Hostnames[0] != host {
			t.Errorf("hostnames %v, want [%s]", rt.Spec.Hostnames, host)
		}
		if len(rt.Spec.ParentRefs) != 1 {
			t.Fatalf("parentRefs %v", rt.Spec.ParentRefs)
		}
		p := rt.Spec.ParentRefs[0]
		if p["group"] != "gateway.networking.k8s.io" || p["kind"] != "Gateway" || p["name"] != "public" ||
			p["namespace"] != "gateways" || p["sectionName"] != section {
			t.Errorf("parentRef %v, want Gateway gateways/public section %s", p, section)
		}
		if len(rt.Spec.Rules) != 1 || len(rt.Spec.Rules[0].BackendRefs) != 1 {
			t.Fatalf("rules %+v", rt.Spec.Rules)
		}
		b := rt.Spec.Rules[0].BackendRefs[0]
		if b["kind"] != "Service" || b["name"] != name || b["port"] != float64(80) {
			t.Errorf("backendRef %v, want Service %s port 80", b, name)
		}
		if rt.Metadata.Labels[kubernetes.LabelManagedBy] != kubernetes.ManagedByValue || rt.Metadata.Labels[kubernetes.LabelServer] != name {
			t.Errorf("labels %v", rt.Metadata.Labels)
		}
	}
	before := getRoute(t, e, e.ns, name)
	check(before, name, "shop.apps.example.com", "https")
	check(getRoute(t, e, e.ns, deploymentName(pr)), deploymentName(pr), "pr-7--shop.apps.example.com", "https")
	if !lr.has("applied httproute " + e.ns + "/" + name + " for shop.apps.example.com") {
		t.Errorf("log:\n%s", &lr)
	}

	// A redeploy (a new build, the Gateway's listener changed) updates the
	// same route.
	r2 := e.runner(t, withRoute("http"))
	srv2, err := r2.Start(ctx, admin.StartSpec{Artifact: artifact(t, refs[1]), Deployment: prod}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if deploymentName(srv2) != name {
		t.Fatalf("redeploy went to %s, not %s", deploymentName(srv2), name)
	}
	after := getRoute(t, e, e.ns, name)
	check(after, name, "shop.apps.example.com", "http")
	if after.Metadata.Generation <= before.Metadata.Generation {
		t.Errorf("generation %d after the redeploy, %d before: not updated", after.Metadata.Generation, before.Metadata.Generation)
	}

	if err := r2.Stop(ctx, srv2); err != nil {
		t.Fatal(err)
	}
	if rt := getRoute(t, e, e.ns, name); rt != nil {
		t.Errorf("httproute %s still there after Stop", name)
	}
	if getRoute(t, e, e.ns, deploymentName(pr)) == nil {
		t.Errorf("the other deployment's httproute went with the Stop")
	}
	if err := r.Stop(ctx, pr); err != nil {
		t.Fatal(err)
	}
}

// artifactOf writes an image record and returns its artifact.
func artifactOf(t *testing.T, rec kubernetes.Image) admin.Artifact {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, ".mastra"), 0o755); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(rec)
	if err := os.WriteFile(filepath.Join(dir, kubernetes.ImageRecord), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return admin.Artifact{Dir: dir, Entry: kubernetes.ImageRecord}
}
