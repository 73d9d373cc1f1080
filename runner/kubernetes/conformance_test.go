package kubernetes_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	k8s "k8s.io/client-go/kubernetes"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/runner/kubernetes"
	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// TestConformance runs runnertest's suite. kwok runs no container, so the
// test plays the kubelet of the pods the runner creates (labelled
// testenv.KubeFailLabel=testenv.KubeProcess, which kwok's stages leave
// alone): processKubelet pulls each pod's image from the registry,
// extracts its last layer, runs its entrypoint with the host's node and
// the pod's env (the Secret's values included), runs the telemetry
// sidecar's command beside it, and writes the pod's status as a kubelet
// would: Running, Ready once GET /health answers 200, CrashLoopBackOff
// with the output's last lines as termination message when the process
// exits. The pod's network is stood in for by a local port: PORT and
// MASTRA_HOST are set to it and 127.0.0.1, and Options.Endpoint maps the
// Service to it. Its observability volume is a local directory: the
// server's MASTRA_ADMIN_OBSERVABILITY_DIR and the sidecar's working
// directory, and the workDir of the kwok Exec that the runner's
// pods/exec, through the real API server and kwok's kubelet API, runs in.
func TestConformance(t *testing.T) {
	simulated(t)
	e := newEnv(t)
	pk := startProcessKubelet(t, e)
	runnertest.Run(t, runnertest.Harness{NewRunner: func(t *testing.T, cfg runnertest.Config) admin.Runner {
		r, err := kubernetes.New(e.client, e.host+"/mastra", e.base, &kubernetes.Options{
			Namespace: e.ns, InsecureRegistry: true, RESTConfig: e.cfg,
			Labels:           map[string]string{testenv.KubeFailLabel: testenv.KubeProcess},
			ProgressDeadline: max(time.Second, cfg.HealthTimeout), StartTimeout: cfg.HealthTimeout,
			Endpoint: pk.endpoint,
			Build:    &local.Options{BuildMode: local.BuildPlain, CacheDir: cfg.CacheDir},
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}})
}

// processKubelet runs the pods of one namespace as local processes.
type processKubelet struct {
	t      *testing.T
	client k8s.Interface
	ns     string
	dir    string

	mu          sync.Mutex
	procs       map[string]*podProc // by pod name
	terminating map[string]bool
}

type podProc struct {
	proc    *testenv.Process
	sidecar *testenv.Process
	port    int
	out     *tailBuffer
	ready   bool
	// obs is the pod's observability volume.
	obs string
}

func startProcessKubelet(t *testing.T, e *env) *processKubelet {
	pk := &processKubelet{t: t, client: e.client, ns: e.ns, dir: t.TempDir(), procs: map[string]*podProc{},
		terminating: map[string]bool{}}
	ctx, cancel := context.WithCancel(context.Background())
	w, err := e.client.CoreV1().Pods(e.ns).Watch(ctx, metav1.ListOptions{LabelSelector: testenv.KubeFailLabel + "=" + testenv.KubeProcess})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ev.Type == watch.Deleted {
				pk.kill(p.Name)
				continue
			}
			if p.DeletionTimestamp != nil {
				pk.mu.Lock()
				first := !pk.terminating[p.Name]
				pk.terminating[p.Name] = true
				pk.mu.Unlock()
				if first {
					wg.Go(func() { pk.terminate(ctx, p.DeepCopy()) })
				}
				continue
			}
			if p.Spec.NodeName != "" && p.Status.Phase == corev1.PodPending {
				pk.mu.Lock()
				_, known := pk.procs[p.Name]
				if !known {
					pk.procs[p.Name] = nil // claimed
				}
				pk.mu.Unlock()
				if !known {
					wg.Go(func() { pk.run(ctx, p.DeepCopy()) })
				}
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		w.Stop()
		pk.mu.Lock()
		names := make([]string, 0, len(pk.procs))
		for n := range pk.procs {
			names = append(names, n)
		}
		pk.mu.Unlock()
		for _, n := range names {
			pk.kill(n)
		}
		wg.Wait()
	})
	return pk
}

func (pk *processKubelet) kill(pod string) {
	pk.mu.Lock()
	p := pk.procs[pod]
	pk.mu.Unlock()
	if p != nil && p.proc != nil {
		p.proc.Stop(syscall.SIGKILL, 0)
		p.sidecar.Stop(syscall.SIGKILL, 0)
	}
}

// terminate stops a deleted pod as the kubelet does: SIGTERM to the server
// (SIGKILL after the grace period), then to the sidecar, which exits once
// the runner copied every observability file out of the volume (or is
// killed when the grace period is over); then it removes the pod.
func (pk *processKubelet) terminate(ctx context.Context, pod *corev1.Pod) {
	grace := 30 * time.Second
	if g := pod.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	deadline := time.Now().Add(grace)
	// The pod may be deleted while run still starts it.
	for {
		pk.mu.Lock()
		p, known := pk.procs[pod.Name]
		pk.mu.Unlock()
		if !known || p != nil || ctx.Err() != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	pk.mu.Lock()
	p := pk.procs[pod.Name]
	pk.mu.Unlock()
	if p != nil && p.proc != nil {
		p.proc.Stop(syscall.SIGTERM, time.Until(deadline))
		p.sidecar.Stop(syscall.SIGTERM, max(0, time.Until(deadline)))
	}
	zero := int64(0)
	if err := pk.client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name,
		metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
		pk.t.Logf("process kubelet: remove pod %s: %v", pod.Name, err)
	}
}

// run starts the pod's container as a process and keeps its status.
func (pk *processKubelet) run(ctx context.Context, pod *corev1.Pod) {
	c := pod.Spec.Containers[0]
	fail := func(reason, msg string) {
		pk.mu.Lock()
		pk.procs[pod.Name] = &podProc{} // nothing runs
		pk.mu.Unlock()
		pk.patchStatus(ctx, pod, map[string]any{"phase": "Pending", "containerStatuses": []any{map[string]any{
			"name": c.Name, "image": c.Image, "ready": false, "restartCount": 0,
			"state": map[string]any{"waiting": map[string]any{"reason": reason, "message": msg}}}}})
	}
	env, err := pk.env(ctx, c)
	if err != nil {
		fail("CreateContainerConfigError", err.Error())
		return
	}
	root, entry, err := pk.pull(ctx, c.Image)
	if err != nil {
		fail("ImagePullBackOff", err.Error())
		return
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail("RunContainerError", err.Error())
		return
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	// The observability volume, and the Exec that runs the runner's
	// commands in it.
	obs, err := os.MkdirTemp(pk.dir, "obs-"+pod.Name+"-")
	if err != nil {
		fail("RunContainerError", err.Error())
		return
	}
	var sidecarSpec corev1.Container
	for _, ic := range pod.Spec.InitContainers {
		if ic.Name == kubernetes.TelemetryContainer {
			sidecarSpec = ic
		}
	}
	if len(sidecarSpec.Command) == 0 {
		fail("CreateContainerConfigError", "no telemetry sidecar with a command")
		return
	}
	if err := pk.createExec(ctx, pod, obs); err != nil {
		fail("RunContainerError", "kwok Exec: "+err.Error())
		return
	}
	scmd := exec.Command(sidecarSpec.Command[0], sidecarSpec.Command[1:]...)
	scmd.Dir, scmd.Env = obs, []string{"PATH=" + os.Getenv("PATH")}
	sidecar, err := testenv.StartProcess(scmd)
	if err != nil {
		fail("RunContainerError", err.Error())
		return
	}
	env = append(env, "PORT="+strconv.Itoa(port), "MASTRA_HOST=127.0.0.1", "PATH="+os.Getenv("PATH"),
		"MASTRA_ADMIN_OBSERVABILITY_DIR="+obs)
	cmd := exec.Command(entry[0], entry[1:]...)
	cmd.Dir = root
	cmd.Env = env
	out := &tailBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	proc, err := testenv.StartProcess(cmd)
	if err != nil {
		sidecar.Stop(syscall.SIGKILL, 0)
		fail("RunContainerError", err.Error())
		return
	}
	p := &podProc{proc: proc, sidecar: sidecar, port: port, out: out, obs: obs}
	pk.mu.Lock()
	pk.procs[pod.Name] = p
	pk.mu.Unlock()
	now := time.Now().UTC().Format(time.RFC3339)
	running := map[string]any{"name": c.Name, "image": c.Image, "ready": false, "restartCount": 0, "started": true,
		"state": map[string]any{"running": map[string]any{"startedAt": now}}}
	sidecarStatus := []any{map[string]any{"name": sidecarSpec.Name, "image": sidecarSpec.Image, "ready": true,
		"restartCount": 0, "started": true, "state": map[string]any{"running": map[string]any{"startedAt": now}}}}
	pk.patchStatus(ctx, pod, map[string]any{"phase": "Running", "podIP": "10.244.0.10", "startTime": now,
		"conditions":            []any{cond("PodScheduled", "True"), cond("Initialized", "True"), cond("Ready", "False"), cond("ContainersReady", "False")},
		"initContainerStatuses": sidecarStatus,
		"containerStatuses":     []any{running}})
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-proc.Done():
			code := 1
			if ee, ok := proc.Err().(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if ctx.Err() != nil {
				return
			}
			pk.patchStatus(ctx, pod, map[string]any{
				"conditions": []any{cond("PodScheduled", "True"), cond("Initialized", "True"), cond("Ready", "False"), cond("ContainersReady", "False")},
				"containerStatuses": []any{map[string]any{"name": c.Name, "image": c.Image, "ready": false, "restartCount": 1,
					"lastState": map[string]any{"terminated": map[string]any{"exitCode": code, "reason": "Error",
						"message": out.String(), "startedAt": now, "finishedAt": time.Now().UTC().Format(time.RFC3339)}},
					"state": map[string]any{"waiting": map[string]any{"reason": "CrashLoopBackOff",
						"message": "back-off 10s restarting failed container"}}}}})
			return
		case <-tick.C:
			if p.ready {
				continue
			}
			resp, err := client.Get("http://127.0.0.1:" + strconv.Itoa(port) + c.ReadinessProbe.HTTPGet.Path)
			if err != nil {
				continue
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				pk.mu.Lock()
				p.ready = true
				pk.mu.Unlock()
				running["ready"] = true
				pk.patchStatus(ctx, pod, map[string]any{
					"conditions":        []any{cond("PodScheduled", "True"), cond("Initialized", "True"), cond("Ready", "True"), cond("ContainersReady", "True")},
					"containerStatuses": []any{running}})
			}
		}
	}
}

// createExec creates the kwok Exec of pod: an exec into its telemetry
// sidecar runs on this machine in the pod's observability directory obs.
func (pk *processKubelet) createExec(ctx context.Context, pod *corev1.Pod, obs string) error {
	b, err := json.Marshal(testenv.KubeExec(pod.Namespace, pod.Name, obs, kubernetes.TelemetryContainer))
	if err != nil {
		return err
	}
	return pk.client.CoreV1().RESTClient().Post().AbsPath("/apis/kwok.x-k8s.io/v1alpha1/namespaces", pod.Namespace, "execs").
		SetHeader("Content-Type", "application/json").Body(b).Do(ctx).Error()
}

// onlyPod returns the pod that ran here, failing t unless there was
// exactly one.
func (pk *processKubelet) onlyPod(t *testing.T) *podProc {
	t.Helper()
	pk.mu.Lock()
	defer pk.mu.Unlock()
	var ran []*podProc
	for _, p := range pk.procs {
		if p != nil && p.proc != nil {
			ran = append(ran, p)
		}
	}
	if len(ran) != 1 {
		t.Fatalf("%d pods ran, want 1", len(ran))
	}
	return ran[0]
}

func cond(typ, status string) map[string]any {
	return map[string]any{"type": typ, "status": status, "lastTransitionTime": time.Now().UTC().Format(time.RFC3339)}
}

func (pk *processKubelet) patchStatus(ctx context.Context, pod *corev1.Pod, status map[string]any) {
	b, _ := json.Marshal(map[string]any{"status": status})
	if _, err := pk.client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.MergePatchType, b, metav1.PatchOptions{}, "status"); err != nil && ctx.Err() == nil {
		pk.t.Logf("process kubelet: patch the status of pod %s: %v", pod.Name, err)
	}
}

// env resolves the container's env and envFrom (Secrets) as the kubelet
// does: explicit env wins.
func (pk *processKubelet) env(ctx context.Context, c corev1.Container) ([]string, error) {
	vars := map[string]string{}
	for _, from := range c.EnvFrom {
		if from.SecretRef == nil {
			continue
		}
		s, err := pk.client.CoreV1().Secrets(pk.ns).Get(ctx, from.SecretRef.Name, metav1.GetOptions{})
		if err != nil {
			return nil, fmt.Errorf("secret %q: %w", from.SecretRef.Name, err)
		}
		for k, v := range s.Data {
			vars[k] = string(v)
		}
	}
	for _, v := range c.Env {
		vars[v.Name] = v.Value
	}
	var env []string
	for k, v := range vars {
		if k != "PORT" && k != "MASTRA_HOST" {
			env = append(env, k+"="+v)
		}
	}
	return env, nil
}

// pull extracts the image's last layer (the build output) and returns the
// working directory and the command line of its config.
func (pk *processKubelet) pull(ctx context.Context, image string) (string, []string, error) {
	ref, err := name.NewDigest(image, name.Insecure)
	if err != nil {
		return "", nil, err
	}
	img, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		return "", nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", nil, err
	}
	layers, err := img.Layers()
	if err != nil {
		return "", nil, err
	}
	rootfs, err := os.MkdirTemp(pk.dir, "rootfs-")
	if err != nil {
		return "", nil, err
	}
	rc, err := layers[len(layers)-1].Uncompressed()
	if err != nil {
		return "", nil, err
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", nil, err
		}
		p := filepath.Join(rootfs, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(p, rootfs+string(filepath.Separator)) {
			return "", nil, fmt.Errorf("layer entry %q escapes the root", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			var f *os.File
			if f, err = os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, os.FileMode(h.Mode)); err == nil {
				_, err = io.Copy(f, tr)
				f.Close()
			}
		case tar.TypeSymlink:
			err = os.Symlink(h.Linkname, p)
		}
		if err != nil {
			return "", nil, err
		}
	}
	cmd := append(append([]string{}, cf.Config.Entrypoint...), cf.Config.Cmd...)
	// Paths of the image are under the extracted root.
	for i, a := range cmd[1:] {
		if strings.HasPrefix(a, "/") {
			cmd[i+1] = filepath.Join(rootfs, a)
		}
	}
	return filepath.Join(rootfs, cf.Config.WorkingDir), cmd, nil
}

// endpoint maps a Service to the port of its ready pod's process.
func (pk *processKubelet) endpoint(ctx context.Context, namespace, service string, _ int32) (string, int, error) {
	pods, err := pk.client.CoreV1().Pods(namespace).List(ctx, metav1.ListOptions{LabelSelector: kubernetes.LabelServer + "=" + service})
	if err != nil {
		return "", 0, err
	}
	pk.mu.Lock()
	defer pk.mu.Unlock()
	for _, p := range pods.Items {
		if proc := pk.procs[p.Name]; proc != nil && proc.ready && p.DeletionTimestamp == nil {
			return "127.0.0.1", proc.port, nil
		}
	}
	return "", 0, fmt.Errorf("no ready pod of service %s/%s runs here", namespace, service)
}

// tailBuffer keeps the last 2 KiB written to it, as the kubelet's
// FallbackToLogsOnError does.
type tailBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 2048 {
		t.b = t.b[len(t.b)-2048:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(bytes.TrimSpace(t.b))
}
