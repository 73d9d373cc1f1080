package kubernetes

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/httpstream"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/tools/remotecommand"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// TelemetryContainer is the name of the pods' sidecar (a restartable init
// container running the server's image) that shares the observability
// volume with the server: the runner copies the files through exec into
// it, and it keeps a terminating pod until every file was copied.
const TelemetryContainer = "telemetry"

// syncBudget bounds the bytes one exec copies out of one pod; the rest
// comes with the next call.
const syncBudget = 64 << 20

// holdScript is the sidecar's program (node -e), run in the observability
// directory: it idles, and once told to stop (SIGTERM, which a native
// sidecar receives after the server container exited) it exits when no
// spans/*.jsonl or logs/*.jsonl is left, that is when the runner copied
// and deleted every file; terminationGracePeriodSeconds bounds the wait.
const holdScript = `const fs = require('fs');
const left = () => ['spans', 'logs'].some((k) => {
  try { return fs.readdirSync(k).some((f) => f.endsWith('.jsonl')); } catch { return false; }
});
setInterval(() => {}, 1 << 30);
process.on('SIGTERM', () => {
  const check = () => { if (!left()) process.exit(0); };
  check();
  setInterval(check, 250);
});`

// syncScript is what the runner execs (node -e) in the sidecar, in the
// observability directory. It reads one JSON line from stdin,
// {"have": {name: bytes copied}, "budget": n}, finds the files no process
// holds open (through /proc, before looking at the sizes: a file closed
// then will never grow), and writes to stdout, for each
// {spans,logs}/*.jsonl, a JSON header line {name, size, closed, offset, n}
// followed by the n bytes of the file from offset (the runner's copy
// length); a closed file the copy holds entirely is deleted instead
// ({name, deleted}). A last line {"end": true} says nothing was cut short.
const syncScript = `const fs = require('fs');
const root = fs.realpathSync('.');
const out = (b) => process.stdout.write(b);
const openFiles = () => {
  const open = new Set();
  let pids = [];
  try { pids = fs.readdirSync('/proc').filter((p) => /^[0-9]+$/.test(p)); } catch {}
  for (const p of pids) {
    let fds = [];
    try { fds = fs.readdirSync('/proc/' + p + '/fd'); } catch { continue; }
    for (const fd of fds) {
      try { const t = fs.readlinkSync('/proc/' + p + '/fd/' + fd); if (t.startsWith(root + '/')) open.add(t); } catch {}
    }
  }
  return open;
};
const run = (req) => {
  const have = req.have || {};
  let budget = req.budget;
  const open = openFiles();
  for (const kind of ['spans', 'logs']) {
    let names = [];
    try { names = fs.readdirSync(kind).filter((f) => f.endsWith('.jsonl')).sort(); } catch {}
    for (const f of names) {
      const name = kind + '/' + f;
      const closed = !open.has(root + '/' + name);
      let st;
      try { st = fs.statSync(name); } catch { continue; }
      const offset = have[name] || 0;
      if (closed && offset === st.size && name in have) {
        fs.unlinkSync(name);
        out(JSON.stringify({ name, deleted: true }) + '\n');
        continue;
      }
      const n = Math.max(0, Math.min(st.size - offset, budget));
      const buf = Buffer.alloc(n);
      if (n > 0) {
        const fd = fs.openSync(name, 'r');
        let got = 0;
        while (got < n) { const r = fs.readSync(fd, buf, got, n - got, offset + got); if (r === 0) break; got += r; }
        fs.closeSync(fd);
        budget -= n;
      }
      out(JSON.stringify({ name, size: st.size, closed, offset, n }) + '\n');
      out(buf);
    }
  }
  out(JSON.stringify({ end: true }) + '\n');
};
let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  input += d;
  const i = input.indexOf('\n');
  if (i >= 0) {
    process.stdin.destroy();
    run(JSON.parse(input.slice(0, i)));
  }
});`

// telemetryName is what a file name coming out of a pod must look like.
var telemetryName = regexp.MustCompile(`^(spans|logs)/[A-Za-z0-9][A-Za-z0-9._-]*\.jsonl$`)

// telemetryRoot is the observability directory of the build an artifact
// belongs to (its parent directory's observability/), where runner/local
// keeps a local server's files and where this runner copies its pods'.
func telemetryRoot(artifact admin.Artifact) (string, error) {
	if artifact.Dir == "" || !filepath.IsAbs(artifact.Dir) {
		return "", fmt.Errorf("kubernetes: artifact directory %q is not absolute: %w", artifact.Dir, admin.ErrInvalidArgument)
	}
	return filepath.Join(filepath.Dir(filepath.Clean(artifact.Dir)), "observability"), nil
}

// copies serialises the copies into one build's observability directory
// and remembers, for Stop, where the pods of an image copy to.
type copies struct {
	mu    sync.Mutex
	locks map[string]*sync.Mutex // by observability directory
	roots map[string]string      // observability directory by image reference
}

func (c *copies) lock(root string) func() {
	c.mu.Lock()
	if c.locks == nil {
		c.locks = map[string]*sync.Mutex{}
	}
	l := c.locks[root]
	if l == nil {
		l = &sync.Mutex{}
		c.locks[root] = l
	}
	c.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (c *copies) remember(image, root string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.roots == nil {
		c.roots = map[string]string{}
	}
	c.roots[image] = root
}

func (c *copies) root(image string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.roots[image]
}

// TelemetryFiles copies what is new in the observability files of the
// pods running artifact's image (through pods/exec into their telemetry
// sidecar, appending to the copies under the build's observability
// directory from their current length on), then lists the copies, sorted
// by name. A copy is Closed once its pod's file was closed, copied
// entirely and deleted from the pod, or its pod is gone; while a pod of
// the image could not be reached, no copy is reported closed.
func (r *Runner) TelemetryFiles(ctx context.Context, artifact admin.Artifact) ([]admin.TelemetryFile, error) {
	root, err := telemetryRoot(artifact)
	if err != nil {
		return nil, err
	}
	unlock := r.copies.lock(root)
	defer unlock()
	inPods, complete := map[string]bool{}, true
	switch rec, err := readImageRecord(artifact.Dir); {
	case errors.Is(err, fs.ErrNotExist):
		// No image was pushed from this build: no pod ran it.
	case err != nil:
		return nil, err
	default:
		r.copies.remember(rec.Ref, root)
		pods, err := r.client.CoreV1().Pods(r.namespace(rec.TeamID)).List(ctx, metav1.ListOptions{
			LabelSelector: LabelManagedBy + "=" + ManagedByValue})
		if err != nil {
			return nil, fmt.Errorf("kubernetes: telemetry files: list pods: %w", mapErr(err))
		}
		for i := range pods.Items {
			p := &pods.Items[i]
			if serverImage(p) != rec.Ref || !sidecarRunning(p) {
				continue
			}
			names, err := r.syncPod(ctx, p, root)
			if errors.Is(err, admin.ErrNotSupported) {
				return nil, err // not configured for it: no call will do better
			}
			if err != nil {
				complete = false
				r.log.Warn("copy the observability files of a pod", "namespace", p.Namespace, "pod", p.Name, "err", err)
			}
			for _, n := range names {
				inPods[n] = true
			}
		}
	}
	files, err := r.builder.TelemetryFiles(ctx, artifact)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	for i := range files {
		files[i].Closed = complete && !inPods[files[i].Name]
	}
	return files, nil
}

// OpenTelemetryFile opens the copy of the named file of artifact at offset.
func (r *Runner) OpenTelemetryFile(ctx context.Context, artifact admin.Artifact, name string, offset int64) (io.ReadCloser, error) {
	f, err := r.builder.OpenTelemetryFile(ctx, artifact, name, offset)
	if err != nil {
		return nil, fmt.Errorf("kubernetes: %w", err)
	}
	return f, nil
}

// RemoveTelemetryFile deletes the copy of the named file of artifact (the
// admin does once it archived a closed file, whose pod's file was deleted
// already).
func (r *Runner) RemoveTelemetryFile(ctx context.Context, artifact admin.Artifact, name string) error {
	if err := r.builder.RemoveTelemetryFile(ctx, artifact, name); err != nil {
		return fmt.Errorf("kubernetes: %w", err)
	}
	return nil
}

// serverImage is the image of a pod's server container.
func serverImage(p *corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if c.Name == ContainerName {
			return c.Image
		}
	}
	return ""
}

// sidecarRunning reports whether a pod's telemetry sidecar runs: before,
// the server has not started (it starts after its sidecars); after, the
// pod is gone or going.
func sidecarRunning(p *corev1.Pod) bool {
	for _, s := range p.Status.InitContainerStatuses {
		if s.Name == TelemetryContainer {
			return s.State.Running != nil
		}
	}
	return false
}

// syncHeader is one header line of syncScript's output.
type syncHeader struct {
	Name    string `json:"name"`
	Size    int64  `json:"size"`
	Closed  bool   `json:"closed"`
	Offset  int64  `json:"offset"`
	N       int64  `json:"n"`
	Deleted bool   `json:"deleted"`
	End     bool   `json:"end"`
}

// syncPod copies into root what pod p's observability files hold past
// the copies' lengths, and deletes from the pod the closed files copied
// entirely. It returns the names of the files still in the pod. Bytes
// are only ever appended to a copy whose length is the offset they were
// read from, so a copy is always a prefix of the pod's file, whatever
// stopped an earlier copy halfway.
func (r *Runner) syncPod(ctx context.Context, p *corev1.Pod, root string) ([]string, error) {
	if r.opts.RESTConfig == nil {
		return nil, fmt.Errorf("kubernetes: copy the observability files of pod %s/%s: Options.RESTConfig is not set, so the runner cannot exec into pods: %w",
			p.Namespace, p.Name, admin.ErrNotSupported)
	}
	names, err := syncCopies(root, func(stdin io.Reader, stdout, stderr io.Writer) error {
		return r.exec(ctx, p, []string{"node", "-e", syncScript}, stdin, stdout, stderr)
	})
	if err != nil {
		return nil, fmt.Errorf("kubernetes: copy the observability files of pod %s/%s: %w", p.Namespace, p.Name, err)
	}
	return names, nil
}

// syncCopies runs syncScript through run (which execs it in a pod's
// sidecar), telling it the lengths of the copies under root, and appends
// what it sends to them; it returns the names of the files still in the
// pod.
func syncCopies(root string, run func(stdin io.Reader, stdout, stderr io.Writer) error) ([]string, error) {
	have := map[string]int64{}
	for _, kind := range []string{admin.TelemetrySpans, admin.TelemetryLogs} {
		entries, err := os.ReadDir(filepath.Join(root, kind))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		for _, e := range entries {
			if info, err := e.Info(); err == nil && info.Mode().IsRegular() {
				have[kind+"/"+e.Name()] = info.Size()
			}
		}
	}
	req, err := json.Marshal(map[string]any{"have": have, "budget": syncBudget})
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	var stderr bytes.Buffer
	go func() {
		err := run(bytes.NewReader(append(req, '\n')), pw, &stderr)
		pw.CloseWithError(err)
		done <- err
	}()
	names, perr := readSync(bufio.NewReader(pr), root)
	pr.CloseWithError(errors.New("stopped reading"))
	xerr := <-done
	if perr == nil && xerr != nil {
		perr = xerr
	}
	if perr != nil {
		if s := bytes.TrimSpace(stderr.Bytes()); len(s) > 0 {
			perr = fmt.Errorf("%w (stderr: %.500s)", perr, s)
		}
		return nil, perr
	}
	return names, nil
}

// readSync reads syncScript's output, appending each file's bytes to its
// copy under root; it returns the names of the files still in the pod.
func readSync(br *bufio.Reader, root string) ([]string, error) {
	var names []string
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return names, fmt.Errorf("the output ended before its end line: %w", err)
		}
		var h syncHeader
		if err := json.Unmarshal(line, &h); err != nil {
			return names, fmt.Errorf("bad header line %.100q: %w", line, err)
		}
		if h.End {
			return names, nil
		}
		if !telemetryName.MatchString(h.Name) || h.N < 0 || h.Offset < 0 {
			return names, fmt.Errorf("bad header line %.100q", line)
		}
		if h.Deleted {
			continue
		}
		names = append(names, h.Name)
		if err := appendCopy(filepath.Join(root, filepath.FromSlash(h.Name)), h.Offset, io.LimitReader(br, h.N)); err != nil {
			return names, fmt.Errorf("%s: %w", h.Name, err)
		}
	}
}

// appendCopy appends what src holds to the copy at path when the copy is
// offset bytes long, and synchronises it; it drains src otherwise.
func appendCopy(path string, offset int64, src io.Reader) (err error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	info, err := f.Stat()
	if err != nil {
		return err
	}
	if info.Size() != offset {
		// The copy changed since the request (removed once archived):
		// these bytes are not what follows it.
		_, err := io.Copy(io.Discard, src)
		return err
	}
	n, err := io.Copy(f, src)
	if n > 0 {
		if serr := f.Sync(); err == nil {
			err = serr
		}
	}
	return err
}

// exec runs command in pod p's telemetry sidecar through the API server
// (pods/exec; WebSocket, else SPDY).
func (r *Runner) exec(ctx context.Context, p *corev1.Pod, command []string, stdin io.Reader, stdout, stderr io.Writer) error {
	req := r.client.CoreV1().RESTClient().Post().Resource("pods").Namespace(p.Namespace).Name(p.Name).SubResource("exec").
		VersionedParams(&corev1.PodExecOptions{Container: TelemetryContainer, Command: command,
			Stdin: true, Stdout: true, Stderr: true}, scheme.ParameterCodec)
	spdy, err := remotecommand.NewSPDYExecutor(r.opts.RESTConfig, "POST", req.URL())
	if err != nil {
		return err
	}
	ws, err := remotecommand.NewWebSocketExecutor(r.opts.RESTConfig, "GET", req.URL().String())
	if err != nil {
		return err
	}
	ex, err := remotecommand.NewFallbackExecutor(ws, spdy, func(err error) bool {
		return httpstream.IsUpgradeFailure(err) || httpstream.IsHTTPSProxyError(err)
	})
	if err != nil {
		return err
	}
	return ex.StreamWithContext(ctx, remotecommand.StreamOptions{Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

// drain copies the observability files of terminating pods whose image's
// build directory is known (from Start or TelemetryFiles): each copy lets
// the sidecar of a stopped server let its pod go sooner.
func (r *Runner) drain(ctx context.Context, pods []corev1.Pod) {
	for i := range pods {
		p := &pods[i]
		root := r.copies.root(serverImage(p))
		if p.DeletionTimestamp == nil || root == "" || !sidecarRunning(p) {
			continue
		}
		unlock := r.copies.lock(root)
		_, err := r.syncPod(ctx, p, root)
		unlock()
		if err != nil && ctx.Err() == nil {
			r.log.Warn("copy the observability files of a stopping pod", "namespace", p.Namespace, "pod", p.Name, "err", err)
		}
	}
}
