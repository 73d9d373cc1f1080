package kubernetes_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	k8s "k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
)

// TestNamespacePerTeam: with NamespacePerTeam, each team's servers land in
// a namespace of its own, created on first use with the runner's labels;
// Stop cleans a server's objects and leaves the other team's (and the
// other server of its team) alone. The runner runs as a service account
// with exactly the rights of the README's ClusterRole (impersonated), so
// the manifest is checked too, HTTPRoutes included.
func TestNamespacePerTeam(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	client, _ := readmeRBACClient(t, e)
	_, routesErr := e.client.Discovery().ServerResourcesForGroupVersion("gateway.networking.k8s.io/v1")
	r := e.runnerWith(t, client, func(o *kubernetes.Options) {
		o.NamespacePerTeam = true
		if routesErr == nil {
			o.Ingress, o.Gateway, o.BaseDomain = kubernetes.IngressHTTPRoute, kubernetes.GatewayRef{Name: "public"}, "apps.example.com"
		}
	})
	ref := e.images(t, 1)[0]
	start := func(team, project, slug, dep string) *admin.RunningServer {
		t.Helper()
		var lr logRec
		srv, err := r.Start(ctx, admin.StartSpec{Artifact: artifactOf(t, kubernetes.Image{Ref: ref, TeamID: team, ProjectID: project, ProjectSlug: slug}),
			Deployment: &admin.Deployment{ID: dep, ProjectID: project, Slug: "production", Type: admin.DeploymentProduction}}, lr.fn)
		if err != nil {
			t.Fatalf("Start for team %s: %v\n%s", team, err, &lr)
		}
		ns := strings.Split(srv.Handle, "/")[0]
		t.Cleanup(func() { _ = e.client.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })
		return srv
	}
	a := start("tm_A", "p_a", "shop-a", "d_a")
	a2 := start("tm_A", "p_a2", "shop-a2", "d_a2")
	b := start("tm_B", "p_b", "shop-b", "d_b")
	nsOf := func(s *admin.RunningServer) string { return strings.Split(s.Handle, "/")[0] }
	nsA, nsB := nsOf(a), nsOf(b)
	if nsA == nsB || nsOf(a2) != nsA || !strings.HasPrefix(nsA, e.ns+"-") || !strings.HasPrefix(nsB, e.ns+"-") {
		t.Fatalf("namespaces: team A %s and %s, team B %s; want one per team, prefixed %s-", nsA, nsOf(a2), nsB, e.ns)
	}
	for team, ns := range map[string]string{"tm_A": nsA, "tm_B": nsB} {
		n, err := e.client.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n.Labels[kubernetes.LabelManagedBy] != kubernetes.ManagedByValue || n.Labels[kubernetes.LabelTeam] != team {
			t.Errorf("namespace %s labels %v", ns, n.Labels)
		}
	}
	managed := metav1.ListOptions{LabelSelector: kubernetes.LabelManagedBy + "=" + kubernetes.ManagedByValue}
	names := func(ns string) []string {
		t.Helper()
		l, err := e.client.AppsV1().Deployments(ns).List(ctx, managed)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, d := range l.Items {
			out = append(out, d.Name)
		}
		slices.Sort(out)
		return out
	}
	wantA := []string{deploymentName(a), deploymentName(a2)}
	slices.Sort(wantA)
	if got := names(nsA); !slices.Equal(got, wantA) {
		t.Errorf("deployments in team A's namespace %v, want %v", got, wantA)
	}
	if got := names(nsB); !slices.Equal(got, []string{deploymentName(b)}) {
		t.Errorf("deployments in team B's namespace %v, want [%s]", got, deploymentName(b))
	}
	if routesErr == nil && getRoute(t, e, nsA, deploymentName(a)) == nil {
		t.Errorf("no httproute of %s in %s", deploymentName(a), nsA)
	}

	if err := r.Stop(ctx, a); err != nil {
		t.Fatal(err)
	}
	eventuallyEmpty(t, &env{client: e.client, ns: nsA}, metav1.ListOptions{LabelSelector: kubernetes.LabelServer + "=" + deploymentName(a)})
	if routesErr == nil && getRoute(t, e, nsA, deploymentName(a)) != nil {
		t.Errorf("httproute of %s still there after Stop", deploymentName(a))
	}
	for _, s := range []*admin.RunningServer{a2, b} {
		if h, err := r.Health(ctx, s); err != nil || h != admin.HealthHealthy {
			t.Errorf("Health of %s after another server's Stop = %q, %v", s.Handle, h, err)
		}
	}
	if got := names(nsB); !slices.Equal(got, []string{deploymentName(b)}) {
		t.Errorf("team B's deployments after team A's Stop: %v", got)
	}
	for _, s := range []*admin.RunningServer{a2, b} {
		if err := r.Stop(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	eventuallyEmpty(t, &env{client: e.client, ns: nsA}, managed)
	eventuallyEmpty(t, &env{client: e.client, ns: nsB}, managed)
}

// readmeRBACClient installs the README's ClusterRole and
// ClusterRoleBinding for NamespacePerTeam (named after the test's
// namespace, for a service account of its own) and returns a client that
// acts as that service account, and the client's configuration.
func readmeRBACClient(t *testing.T, e *env) (k8s.Interface, *rest.Config) {
	t.Helper()
	ctx := context.Background()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(readme, -1)
	var role *rbacv1.ClusterRole
	var binding *rbacv1.ClusterRoleBinding
	for _, b := range blocks {
		for _, doc := range strings.Split(string(b[1]), "\n---\n") {
			var meta metav1.TypeMeta
			if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
				t.Fatalf("README manifest: %v\n%s", err, doc)
			}
			switch meta.Kind {
			case "ClusterRole":
				role = &rbacv1.ClusterRole{}
				err = yaml.Unmarshal([]byte(doc), role)
			case "ClusterRoleBinding":
				binding = &rbacv1.ClusterRoleBinding{}
				err = yaml.Unmarshal([]byte(doc), binding)
			}
			if err != nil {
				t.Fatalf("README manifest: %v\n%s", err, doc)
			}
		}
	}
	if role == nil || binding == nil || len(binding.Subjects) != 1 || binding.Subjects[0].Kind != rbacv1.ServiceAccountKind {
		t.Fatalf("the README has no ClusterRole and ClusterRoleBinding of one service account (role %v, binding %v)", role, binding)
	}
	name := "mastra-admin-runner-" + e.ns
	role.Name, binding.Name, binding.RoleRef.Name = name, name, name
	sa := &binding.Subjects[0]
	sa.Name, sa.Namespace = "mastra-admin-"+e.ns, e.ns
	if _, err := e.client.RbacV1().ClusterRoles().Create(ctx, role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.client.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	if _, err := e.client.RbacV1().ClusterRoleBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = e.client.RbacV1().ClusterRoleBindings().Delete(context.Background(), name, metav1.DeleteOptions{})
	})
	cfg, err := clientcmd.BuildConfigFromFlags("", testenv.Kube(t).Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	cfg.QPS, cfg.Burst = 100, 200
	cfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + sa.Namespace + ":" + sa.Name,
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + sa.Namespace, "system:authenticated"}}
	c, err := k8s.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The rights take effect once the authorizer's cache has the binding.
	deadline := time.Now().Add(time.Minute)
	for {
		rev, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, &authorizationv1.SelfSubjectAccessReview{
			Spec: authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
				Verb: "create", Resource: "namespaces"}}}, metav1.CreateOptions{})
		if err == nil && rev.Status.Allowed {
			return c, cfg
		}
		if time.Now().After(deadline) {
			t.Fatalf("the README's ClusterRole does not take effect for %s: %v, %+v", cfg.Impersonate.UserName, err, rev)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
