package kubernetes_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/client-go/kubernetes/fake"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
)

// New takes a ready client (here client-go's fake clientset; in a real
// admin one made from a kubeconfig or the in-cluster config), the registry
// to push to and the base image by digest.
func ExampleNew() {
	client := fake.NewClientset()
	r, err := kubernetes.New(client, "registry.example.com/mastra",
		"docker.io/library/node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		&kubernetes.Options{
			Namespace:        "mastra",
			NamespacePerTeam: true,
			Labels:           map[string]string{"cost-center": "ai"},
			Build:            &local.Options{CacheDir: filepath.Join(os.TempDir(), "mastra-admin-example-cache")},
		})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	fmt.Println("license feature:", r.LicenseFeature())

	// A base image by tag is refused.
	_, err = kubernetes.New(client, "registry.example.com/mastra", "node:22", nil)
	fmt.Println(errors.Is(err, admin.ErrInvalidArgument))
	// Output:
	// license feature: kubernetes-runner
	// true
}

// NotifyExits is how the admin (admin.New registers itself) hears at once
// that a server's pod crashed; an embedder may register too. The callback
// runs on a goroutine of the runner's and must not block.
func ExampleRunner_NotifyExits() {
	r, err := kubernetes.New(fake.NewClientset(), "registry.example.com/mastra",
		"docker.io/library/node@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
		&kubernetes.Options{Build: &local.Options{CacheDir: filepath.Join(os.TempDir(), "mastra-admin-example-cache")}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	r.NotifyExits(func(ex admin.ServerExit) {
		fmt.Printf("server %s (deployment %s) exited with status %d\n", ex.Server.Handle, ex.Server.DeploymentID, ex.ExitCode)
	})
	var _ admin.ExitNotifier = r
	fmt.Println("watching the pods of every server started or reattached from now on")
	// Output:
	// watching the pods of every server started or reattached from now on
}
