package kubernetes

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// NotifyExits registers fn, called once for each server this runner
// started or reattached (after the registration) that fails without Stop:
// one of its pods' containers restarts (its restart count grows), waits
// in CrashLoopBackOff or another state only a new deployment fixes
// (ImagePullBackOff, CreateContainerConfigError, …) or terminates, or its
// Deployment has no available replica or is deleted by someone else. The
// runner watches the server's pods through the API server, so the admin
// learns of a crash at once instead of at its next health checks. fn runs
// on a goroutine of the runner's, never after Close returned.
// ServerExit.ExitCode is the container's exit status, -1 when none is
// known (an unavailable or deleted Deployment); Signal names the
// container's termination reason when Kubernetes killed it (OOMKilled).
// A server whose Deployment a later Start rolled to another revision is
// no longer watched: that is a replacement, not an exit.
func (r *Runner) NotifyExits(fn func(admin.ServerExit)) { r.state.NotifyExits(fn) }

// watch starts watching server srv of t for exits, unless nobody listens
// or it is watched already.
func (r *Runner) watch(t target, srv admin.RunningServer) {
	if !r.state.Notifying() {
		return
	}
	r.wmu.Lock()
	defer r.wmu.Unlock()
	// Under wmu: Close marks the state closed before unwatchAll takes wmu,
	// so a watcher is either refused here or ended there.
	if _, ok := r.watches[srv.Handle]; ok || r.state.Closed() {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.watches[srv.Handle] = cancel
	r.watchers.Add(1)
	go func() {
		defer r.watchers.Done()
		defer r.unwatch(srv.Handle)
		r.watchExits(ctx, t, srv)
	}()
}

// unwatch stops watching the server of handle.
func (r *Runner) unwatch(handle string) {
	r.wmu.Lock()
	defer r.wmu.Unlock()
	if cancel, ok := r.watches[handle]; ok {
		cancel()
		delete(r.watches, handle)
	}
}

// unwatchAll stops every watcher and waits for them.
func (r *Runner) unwatchAll() {
	r.wmu.Lock()
	for h, cancel := range r.watches {
		cancel()
		delete(r.watches, h)
	}
	r.wmu.Unlock()
	r.watchers.Wait()
}

// watchExits watches the pods of t's revision until the server exits (it
// then notifies), is replaced or ctx ends. Each pod event re-reads the
// server's pods and Deployment; a watch that ends is opened again from a
// fresh listing.
func (r *Runner) watchExits(ctx context.Context, t target, srv admin.RunningServer) {
	sel := t.selector() + "," + LabelRevision + "=" + t.rev
	base := map[string]int32{} // restart counts when first seen, by pod UID/container
	first := true
	for wait := time.Second; ctx.Err() == nil; {
		pods, err := r.client.CoreV1().Pods(t.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
		var w watch.Interface
		if err == nil {
			if r.checkExit(ctx, t, srv, pods.Items, base, first) {
				return
			}
			first = false
			w, err = r.client.CoreV1().Pods(t.ns).Watch(ctx, metav1.ListOptions{LabelSelector: sel,
				ResourceVersion: pods.ResourceVersion})
		}
		if err != nil {
			if ctx.Err() == nil {
				r.log.Warn("watch the pods of a server", "namespace", t.ns, "server", t.name, "err", err, "retry_in", wait)
			}
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
			wait = min(2*wait, 30*time.Second)
			continue
		}
		wait = time.Second
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				break // a new listing and watch
			}
			pods, err := r.client.CoreV1().Pods(t.ns).List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err == nil && r.checkExit(ctx, t, srv, pods.Items, base, false) {
				w.Stop()
				return
			}
		}
		w.Stop()
	}
}

// checkExit looks at the server's pods and Deployment and, when the server
// failed, notifies the exit; it reports whether watching is over (the
// server exited or was replaced). initial says pods are seen for the first
// time since the watch began: their restart counts are the baseline, while
// a pod created later starts from 0.
func (r *Runner) checkExit(ctx context.Context, t target, srv admin.RunningServer, pods []corev1.Pod, base map[string]int32, initial bool) bool {
	for _, p := range pods {
		if p.DeletionTimestamp != nil {
			continue
		}
		for _, cs := range p.Status.ContainerStatuses {
			key := string(p.UID) + "/" + cs.Name
			was, seen := base[key]
			if !seen {
				if initial {
					was = cs.RestartCount
				}
				base[key] = was
			}
			term := cs.State.Terminated
			if term == nil {
				term = cs.LastTerminationState.Terminated
			}
			why := ""
			switch {
			case cs.State.Terminated != nil:
				why = "terminated"
			case cs.RestartCount > was:
				why = fmt.Sprintf("restarted (%d restarts)", cs.RestartCount)
			case cs.State.Waiting != nil && fatalWaiting[cs.State.Waiting.Reason]:
				why = "waiting: " + cs.State.Waiting.Reason
			}
			if why != "" {
				ex := admin.ServerExit{Server: srv, ExitCode: -1}
				if term != nil {
					ex.ExitCode = int(term.ExitCode)
					if term.Reason == "OOMKilled" {
						ex.Signal = term.Reason
					}
				}
				r.exited(t, ex, fmt.Sprintf("pod %s: container %s %s", p.Name, cs.Name, why))
				return true
			}
		}
	}
	d, err := r.client.AppsV1().Deployments(t.ns).Get(ctx, t.name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		r.exited(t, admin.ServerExit{Server: srv, ExitCode: -1}, "its deployment was deleted")
		return true
	case err != nil:
		return false // the next event or listing tries again
	case d.Annotations[AnnotationRevision] != t.rev:
		return true // replaced by a later Start
	case d.Status.ObservedGeneration >= d.Generation && d.Status.AvailableReplicas == 0:
		r.exited(t, admin.ServerExit{Server: srv, ExitCode: -1}, "its deployment has no available replica")
		return true
	}
	return false
}

// exited notifies the exit of a server, unless the runner is closed.
func (r *Runner) exited(t target, ex admin.ServerExit, why string) {
	r.state.Exited(ex, func() {
		r.log.Info("server failed", "namespace", t.ns, "server", t.name, "revision", t.rev, "why", why, "code", ex.ExitCode)
	})
}
