package kubernetes_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
)

// TestNotifyExits: a server whose running container crashes (kwok's crash
// stage, set off by labelling its pod) is reported at once, with the
// container's exit status; a server replaced by a later Start and a server
// stopped are not.
func TestNotifyExits(t *testing.T) {
	simulated(t)
	e := newEnv(t)
	r := e.runner(t, nil)
	exits := make(chan admin.ServerExit, 16)
	r.NotifyExits(func(ex admin.ServerExit) { exits <- ex })
	ctx := context.Background()
	refs := e.images(t, 2)
	dep := &admin.Deployment{ID: "d_crash", ProjectID: "p_1", Slug: "production", Type: admin.DeploymentProduction}
	first, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, refs[0]), Deployment: dep}, nil)
	if err != nil {
		t.Fatal(err)
	}
	// A redeploy replaces the first server: no exit of it.
	second, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, refs[1]), Deployment: dep}, nil)
	if err != nil {
		t.Fatal(err)
	}
	stopped, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, refs[0]), Deployment: &admin.Deployment{ID: "d_stopped"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Stop(ctx, stopped); err != nil {
		t.Fatal(err)
	}

	crashPods(t, e, second)
	select {
	case ex := <-exits:
		if ex.Server.Handle != second.Handle || ex.Server.DeploymentID != "d_crash" || ex.ExitCode != 1 {
			t.Errorf("exit %+v; want the second server's (%s) with status 1 (first %s, stopped %s)",
				ex, second.Handle, first.Handle, stopped.Handle)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no exit reported 2 min after the pod crashed")
	}
	// The Deployment's status follows (the health checks see it too).
	waitHealth(t, r, second, admin.HealthUnhealthy)

	// After an admin restart, the reattached server is watched too: the
	// Deployment deleted behind the runner's back is an exit (-1: no
	// status known).
	third, err := r.Start(ctx, admin.StartSpec{Artifact: artifact(t, refs[0]), Deployment: &admin.Deployment{ID: "d_other"}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	r2 := e.runner(t, nil)
	exits2 := make(chan admin.ServerExit, 16)
	r2.NotifyExits(func(ex admin.ServerExit) { exits2 <- ex })
	if ok, err := r2.Reattach(ctx, third); err != nil || !ok {
		t.Fatalf("Reattach = %v, %v", ok, err)
	}
	if err := e.client.AppsV1().Deployments(e.ns).Delete(ctx, deploymentName(third), metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	select {
	case ex := <-exits2:
		if ex.Server.Handle != third.Handle || ex.ExitCode != -1 {
			t.Errorf("exit %+v; want the reattached server's (%s) with -1", ex, third.Handle)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("no exit reported 2 min after the Deployment was deleted")
	}
	// Exits were reported by the runner that watched: none by the closed
	// one, and nothing for the replaced or the stopped server.
	select {
	case ex := <-exits:
		t.Errorf("unexpected exit reported by the first runner: %+v", ex)
	default:
	}
}

// crashPods labels the pods of srv so that kwok's crash stage crashes their
// container.
func crashPods(t *testing.T, e *env, srv *admin.RunningServer) {
	t.Helper()
	ctx := context.Background()
	pods, err := e.client.CoreV1().Pods(e.ns).List(ctx, metav1.ListOptions{
		LabelSelector: kubernetes.LabelServer + "=" + deploymentName(srv)})
	if err != nil || len(pods.Items) == 0 {
		t.Fatalf("pods of %s: %v, %d", srv.Handle, err, len(pods.Items))
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"labels": map[string]string{testenv.KubeFailLabel: testenv.KubeFailCrash}}})
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil {
			continue
		}
		if _, err := e.client.CoreV1().Pods(e.ns).Patch(ctx, p.Name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}
