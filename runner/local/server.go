//go:build linux

package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/bundler"
)

const (
	// healthCheckTimeout bounds one GET /health.
	healthCheckTimeout = 2 * time.Second
	// killWait bounds how long Stop waits for processes to die after
	// SIGKILL.
	killWait = 5 * time.Second
	// startAttempts is how many ports Start tries when a server loses the
	// race for its port to another program (EADDRINUSE).
	startAttempts = 3
)

// proc is a server process the runner started or reattached.
type proc struct {
	server  admin.RunningServer
	owned   bool          // a child of this process, reaped by cmd.Wait
	done    chan struct{} // closed once the process exited
	unwatch func()        // ends the watcher of an adopted process

	// Guarded by Runner.mu.
	announced bool // Start returned it, or Reattach adopted it
	stopping  bool // Stop (or a failed Start) is ending it: not a crash
	exited    bool
	exitCode  int
	signal    string
}

// Start starts `node {Entry}` in the artifact directory on a free port and
// returns once GET /health answers 200. The server runs in its own process
// group with its output appended to server.log beside the artifact
// directory (in the build directory); it does not depend on this process
// and keeps running when the admin exits. log receives the runner's notes
// (phases "start" and "health") and, when the server fails to become
// healthy, the last lines of its output.
func (r *Runner) Start(ctx context.Context, spec admin.StartSpec, logFn admin.LogFunc) (*admin.RunningServer, error) {
	if err := r.checkOpen("start"); err != nil {
		return nil, err
	}
	dir, err := projectDir("Artifact.Dir", spec.Artifact.Dir)
	if err != nil {
		return nil, fmt.Errorf("local: start: %w", err)
	}
	entry := spec.Artifact.Entry
	if !filepath.IsLocal(entry) {
		return nil, fmt.Errorf("local: start: %w", &admin.ValidationError{Field: "Artifact.Entry",
			Reason: fmt.Sprintf("%q must be a relative path inside the artifact directory", entry)})
	}
	if !isFile(filepath.Join(dir, entry)) {
		return nil, fmt.Errorf("local: start: %w", &admin.ValidationError{Field: "Artifact.Entry",
			Reason: fmt.Sprintf("%s does not exist in %s", entry, dir)})
	}
	if err := checkEnv("Env", spec.Env); err != nil {
		return nil, fmt.Errorf("local: start: %w", err)
	}
	log := &syncLog{fn: logFn}
	var m manifest
	if _, err := readJSON(filepath.Join(dir, "package.json"), &m); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("local: start: %w", &admin.ValidationError{Field: "Artifact.Dir", Reason: err.Error()})
	}
	need, err := projectNode(dir, &m)
	if err != nil {
		return nil, fmt.Errorf("local: start: %w", &admin.ValidationError{Field: "Artifact.Dir", Reason: err.Error()})
	}
	node, err := r.selectNode(ctx, need, log, "start")
	if err != nil {
		return nil, err
	}
	var lastErr error
	for range startAttempts {
		port, err := r.reservePort()
		if err != nil {
			return nil, err
		}
		s, retry, err := r.startOn(ctx, spec, dir, node, port, log)
		if err == nil {
			return s, nil
		}
		if !retry {
			return nil, err
		}
		lastErr = err
		log.line("start", "", fmt.Sprintf("port %d was taken by another program meanwhile; trying another", port))
	}
	return nil, lastErr
}

// observabilityEnv points an instrumented server at the build directory
// (the parent of the artifact directory, where server.log goes too) and
// gives it the ids of the build it runs as, which win over those built in:
// the output may come from the output cache, built for another build.
func observabilityEnv(artifactDir string, spec admin.StartSpec) map[string]string {
	var projectID, deploymentID, buildID string
	if d := spec.Deployment; d != nil {
		projectID, deploymentID = d.ProjectID, d.ID
	}
	if b := spec.Build; b != nil {
		buildID = b.ID
	}
	return bundler.ServerEnv(filepath.Dir(artifactDir), projectID, deploymentID, buildID)
}

// startOn starts the server on port (reserved by the caller) and waits for
// it to become healthy. retry reports a lost race for the port.
func (r *Runner) startOn(ctx context.Context, spec admin.StartSpec, dir string, node nodeBin, port int, log *syncLog) (_ *admin.RunningServer, retry bool, _ error) {
	host := r.opts.Host
	logPath := filepath.Join(filepath.Dir(dir), "server.log")
	out, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		r.releasePort(port)
		return nil, false, fmt.Errorf("local: start: open server log: %w", err)
	}
	offset, _ := out.Seek(0, io.SeekEnd)
	fmt.Fprintf(out, "=== %s starting %s %s on %s ===\n", time.Now().UTC().Format(time.RFC3339Nano),
		node.path, spec.Artifact.Entry, net.JoinHostPort(host, strconv.Itoa(port)))
	env := r.environ(node.dir(), map[string]string{"NODE_ENV": "production"}, spec.Env, observabilityEnv(dir, spec), map[string]string{
		"PORT":                      strconv.Itoa(port),
		"MASTRA_HOST":               host,
		"MASTRA_TELEMETRY_DISABLED": "1",
	})
	// The server starts as a shell that waits, on a pipe, for the go-ahead
	// this process gives once the server is recorded (below), then execs
	// node in its place (same pid): an admin that dies before that closes
	// the pipe, and the shell exits without starting anything, so no
	// server can run unrecorded. An absolute entry path can never be read
	// as a node option.
	gate, release, err := os.Pipe()
	if err != nil {
		out.Close()
		r.releasePort(port)
		return nil, false, fmt.Errorf("local: start: %w", err)
	}
	defer release.Close()
	cmd := exec.Command("/bin/sh", "-c", `read -r go <&3 && exec "$0" "$@" 3<&-`, node.path, filepath.Join(dir, spec.Artifact.Entry))
	cmd.Dir = dir
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = out, out // stdin is /dev/null
	cmd.ExtraFiles = []*os.File{gate}
	// Its own process group: Stop signals the group, and a signal sent to
	// the admin's group (Ctrl-C) does not reach it. No Pdeathsig: it
	// outlives the admin.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	err = cmd.Start()
	out.Close() // the child holds its own descriptors
	gate.Close()
	if err != nil {
		r.releasePort(port)
		return nil, false, fmt.Errorf("local: start: %s: %w", node.path, err)
	}
	pid := cmd.Process.Pid
	// Read before the reaper can reap it: even a zombie still has its stat.
	st, statErr := readStat(pid)
	now := time.Now().UTC()
	p := &proc{
		owned: true,
		done:  make(chan struct{}),
		server: admin.RunningServer{
			Host: host, Port: port, PID: pid, Handle: handleOf(r.boot, st),
			Status: admin.ServerStarting, Health: admin.HealthUnknown, StartedAt: now, UpdatedAt: now,
		},
	}
	if spec.Deployment != nil {
		p.server.DeploymentID = spec.Deployment.ID
	}
	if spec.Build != nil {
		p.server.BuildID = spec.Build.ID
	}
	r.mu.Lock()
	r.procs[pid] = p
	r.mu.Unlock()
	go r.reap(p, cmd)
	if statErr != nil {
		r.abort(p)
		return nil, false, fmt.Errorf("local: start: read /proc for pid %d: %w", pid, statErr)
	}
	// Should this admin die before the server is recorded, the next one's
	// ReapBuild finds it here.
	record := serverRecord(dir, pid)
	if err := r.writeRecord(record, pid, "server "+spec.Artifact.Entry); err != nil {
		r.abort(p)
		return nil, false, fmt.Errorf("local: start: record the server: %w", err)
	}
	if _, err := release.Write([]byte("go\n")); err != nil {
		r.abort(p)
		removeRecord(record)
		return nil, false, fmt.Errorf("local: start: the server's process ended before it ran node: %w", err)
	}
	release.Close()
	log.line("start", "", fmt.Sprintf("started %s %s as pid %d on %s; output is appended to %s",
		node.path, spec.Artifact.Entry, pid, net.JoinHostPort(host, strconv.Itoa(port)), logPath))

	began := time.Now()
	err = r.waitHealthy(ctx, p)
	if err == nil {
		healthy := time.Now().UTC()
		r.mu.Lock()
		p.announced = true
		p.server.Status, p.server.Health, p.server.LastHealthAt, p.server.UpdatedAt = admin.ServerRunning, admin.HealthHealthy, &healthy, healthy
		s, exited := p.server, p.exited
		r.mu.Unlock()
		if !exited {
			log.line("health", "", fmt.Sprintf("healthy after %s", time.Since(began).Round(time.Millisecond)))
			return &s, false, nil
		}
		err = fmt.Errorf("%w: it exited right after answering its health check", ErrUnhealthy)
	}
	r.abort(p)
	removeRecord(record)
	tail := fileTail(logPath, offset, tailLines)
	for _, l := range tail {
		log.line("start", "", "server.log: "+l)
	}
	retry = strings.Contains(strings.Join(tail, "\n"), "EADDRINUSE")
	msg := fmt.Sprintf("local: start: %s on %s", spec.Artifact.Entry, net.JoinHostPort(host, strconv.Itoa(port)))
	if len(tail) > 0 {
		return nil, retry, fmt.Errorf("%s: %w\nlast lines of %s:\n  %s", msg, err, logPath, strings.Join(tail, "\n  "))
	}
	return nil, retry, fmt.Errorf("%s: %w", msg, err)
}

// waitHealthy polls GET /health with backoff until it answers 200, the
// process exits, HealthTimeout passes or ctx ends.
func (r *Runner) waitHealthy(ctx context.Context, p *proc) error {
	deadline := time.NewTimer(r.opts.HealthTimeout)
	defer deadline.Stop()
	backoff := 25 * time.Millisecond
	for {
		if ok, _ := r.check(ctx, p.server.Host, p.server.Port); ok {
			return nil
		}
		select {
		case <-p.done:
			r.mu.Lock()
			code, sig := p.exitCode, p.signal
			r.mu.Unlock()
			return fmt.Errorf("%w: the process exited (code %d%s) before answering GET /health", ErrUnhealthy, code, sigNote(sig))
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("%w: GET /health did not answer 200 within %s (does the project set server.port or server.host? the runner sets PORT and MASTRA_HOST)",
				ErrUnhealthy, r.opts.HealthTimeout)
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 500*time.Millisecond)
	}
}

func sigNote(sig string) string {
	if sig == "" {
		return ""
	}
	return ", signal " + sig
}

// abort ends a server whose start failed: it is stopped without an OnExit
// notification.
func (r *Runner) abort(p *proc) {
	r.mu.Lock()
	p.stopping = true
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), r.opts.StopGrace+killWait)
	defer cancel()
	if err := r.kill(ctx, p.server.PID, p.server.Handle); err != nil {
		r.log.Warn("could not stop a server whose start failed", "pid", p.server.PID, "err", err)
	}
	r.forget(p)
}

// reap waits for a child server to exit, so that it never stays a zombie.
func (r *Runner) reap(p *proc, cmd *exec.Cmd) {
	err := cmd.Wait()
	code, sig := 0, ""
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			sig = ws.Signal().String()
		}
	} else if err != nil {
		code = -1
	}
	r.exitedWith(p, code, sig)
}

var _ admin.ExitNotifier = (*Runner)(nil)

// NotifyExits registers fn to hear, beside Options.OnExit, of every crash
// OnExit hears of: a server this runner started or reattached that exited
// without Stop. fn runs on a runner goroutine and is not called after Close
// returned. It makes the Runner an admin.ExitNotifier, through which the
// admin applies its restart policy at once.
func (r *Runner) NotifyExits(fn func(admin.ServerExit)) { r.state.NotifyExits(fn) }

// exitedWith records that p exited, releases its port and, for a crash of
// an announced server, calls OnExit and the NotifyExits callbacks.
func (r *Runner) exitedWith(p *proc, code int, sig string) {
	r.mu.Lock()
	if p.exited {
		r.mu.Unlock()
		return
	}
	p.exited, p.exitCode, p.signal = true, code, sig
	close(p.done)
	if r.procs[p.server.PID] == p {
		delete(r.procs, p.server.PID)
		delete(r.ports, p.server.Port)
	}
	notify := p.announced && !p.stopping
	r.mu.Unlock()
	if notify {
		r.state.Exited(admin.ServerExit{Server: p.server, ExitCode: code, Signal: sig}, func() {
			r.log.Info("server exited", "pid", p.server.PID, "port", p.server.Port, "code", code, "signal", sig)
			if r.opts.OnExit != nil {
				r.opts.OnExit(ExitEvent{Server: p.server, ExitCode: code, Signal: sig, Time: time.Now().UTC()})
			}
		})
	}
}

// forget drops p from the runner's records and releases its port.
func (r *Runner) forget(p *proc) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.procs[p.server.PID] == p {
		delete(r.procs, p.server.PID)
		delete(r.ports, p.server.Port)
	}
}

// reservePort hands out the lowest port of the range that no other server
// of this runner holds and that nothing on the machine listens on.
func (r *Runner) reservePort() (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.state.Check("start"); err != nil {
		return 0, err
	}
	for port := r.opts.PortMin; port <= r.opts.PortMax; port++ {
		if r.ports[port] {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort(r.opts.Host, strconv.Itoa(port)))
		if err != nil {
			continue // in use by something else
		}
		l.Close()
		r.ports[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("local: %w: every port of %d-%d on %s is in use: free one, or widen Options.PortMin-PortMax", ErrNoFreePort, r.opts.PortMin, r.opts.PortMax, r.opts.Host)
}

func (r *Runner) releasePort(port int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.ports, port)
}

// check makes one GET /health.
func (r *Runner) check(ctx context.Context, host string, port int) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, healthCheckTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, strconv.Itoa(port))+"/health", nil)
	if err != nil {
		return false, err
	}
	resp, err := r.health.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("GET /health: %s", resp.Status)
	}
	return true, nil
}

// Health makes one GET /health to the server. A server that answers 200 is
// healthy; one that answers otherwise or not at all is unhealthy (with a nil
// error: the check itself worked). Errors are for bad input and a done ctx.
func (r *Runner) Health(ctx context.Context, s *admin.RunningServer) (admin.HealthStatus, error) {
	if err := r.checkOpen("health"); err != nil {
		return admin.HealthUnknown, err
	}
	if s == nil || s.Host == "" || s.Port < 1 || s.Port > 65535 {
		return admin.HealthUnknown, fmt.Errorf("local: health: %w", &admin.ValidationError{Field: "server", Reason: "needs a host and a port in 1-65535"})
	}
	ok, err := r.check(ctx, s.Host, s.Port)
	if ctx.Err() != nil {
		return admin.HealthUnknown, fmt.Errorf("local: health: %w", ctx.Err())
	}
	if !ok {
		r.log.Debug("health check failed", "host", s.Host, "port", s.Port, "err", err)
		return admin.HealthUnhealthy, nil
	}
	return admin.HealthHealthy, nil
}

// checkServer validates a RunningServer passed to Stop or Reattach.
func checkServer(op string, s *admin.RunningServer) error {
	switch {
	case s == nil:
		return fmt.Errorf("local: %s: %w", op, &admin.ValidationError{Field: "server", Reason: "must not be nil"})
	case s.PID <= 1:
		return fmt.Errorf("local: %s: %w", op, &admin.ValidationError{Field: "pid", Reason: fmt.Sprintf("%d is not a server process id", s.PID)})
	case s.Handle == "":
		return fmt.Errorf("local: %s: %w", op, &admin.ValidationError{Field: "handle", Reason: "must not be empty: it tells the server apart from a process that reused its pid"})
	}
	return nil
}

// Stop sends SIGTERM to the server's process group (and to any descendant
// that left it), waits up to StopGrace for all of them to exit, then sends
// SIGKILL. Stopping a server that already exited, or whose pid now belongs
// to another process (the handle differs), does nothing and returns nil.
// Servers started by an earlier process are stopped the same way.
func (r *Runner) Stop(ctx context.Context, s *admin.RunningServer) error {
	if err := r.checkOpen("stop"); err != nil {
		return err
	}
	if err := checkServer("stop", s); err != nil {
		return err
	}
	r.mu.Lock()
	p := r.procs[s.PID]
	if p != nil && p.server.Handle != s.Handle {
		p = nil
	}
	if p != nil {
		p.stopping = true
	}
	r.mu.Unlock()
	if err := r.kill(ctx, s.PID, s.Handle); err != nil {
		return err
	}
	if p != nil {
		if p.owned {
			// The reaper records the exit and releases the port.
			select {
			case <-p.done:
			case <-ctx.Done():
				return fmt.Errorf("local: stop: %w", ctx.Err())
			}
		} else {
			p.unwatch()
			r.forget(p)
		}
	}
	return nil
}

// target is a process Stop must end, known by pid and start time.
type target struct {
	pid   int
	start uint64
}

// kill ends the process pid (when its handle still matches), its process
// group and its descendants.
func (r *Runner) kill(ctx context.Context, pid int, handle string) error {
	leader, err := readStat(pid)
	found := err == nil
	switch {
	case errors.Is(err, errNoProcess):
		// The leader is gone; what is left in its group is the server's
		// (a process group id is not reused while the group has members).
	case err != nil:
		return fmt.Errorf("local: stop pid %d: %w", pid, err)
	case handleOf(r.boot, leader) != handle:
		return nil // the pid belongs to another process now: ours is gone
	}
	all, err := listProcs()
	if err != nil {
		return fmt.Errorf("local: stop pid %d: %w", pid, err)
	}
	targets := map[int]target{}
	if found && leader.alive() {
		targets[pid] = target{pid, leader.start}
	}
	children := map[int][]procStat{}
	for _, q := range all {
		children[q.ppid] = append(children[q.ppid], q)
		if q.pgid == pid && q.alive() {
			targets[q.pid] = target{q.pid, q.start}
		}
	}
	if found { // descendants that may have left the group
		queue := []int{pid}
		for len(queue) > 0 {
			for _, c := range children[queue[0]] {
				if c.alive() {
					targets[c.pid] = target{c.pid, c.start}
				}
				queue = append(queue, c.pid)
			}
			queue = queue[1:]
		}
	}
	if len(targets) == 0 {
		return nil
	}
	r.signal(pid, targets, syscall.SIGTERM)
	left := r.waitGone(ctx, targets, r.opts.StopGrace)
	if len(left) == 0 {
		return nil
	}
	r.log.Info("server did not exit after SIGTERM; sending SIGKILL", "pid", pid, "left", len(left), "grace", r.opts.StopGrace)
	r.signal(pid, left, syscall.SIGKILL)
	if left = r.waitGone(ctx, left, killWait); len(left) > 0 {
		if ctx.Err() != nil {
			return fmt.Errorf("local: stop pid %d: %w", pid, ctx.Err())
		}
		return fmt.Errorf("local: stop pid %d: %d processes still alive after SIGKILL", pid, len(left))
	}
	return nil
}

// signal sends sig to the process group pgid and to each target outside it
// that is still the same process.
func (r *Runner) signal(pgid int, targets map[int]target, sig syscall.Signal) {
	_ = syscall.Kill(-pgid, sig)
	for _, t := range targets {
		if st, err := readStat(t.pid); err == nil && st.start == t.start && st.pgid != pgid {
			_ = syscall.Kill(t.pid, sig)
		}
	}
}

// waitGone polls until every target exited, d passed or ctx ended, and
// returns those still alive.
func (r *Runner) waitGone(ctx context.Context, targets map[int]target, d time.Duration) map[int]target {
	deadline := time.Now().Add(d)
	backoff := 10 * time.Millisecond
	for {
		left := map[int]target{}
		for pid, t := range targets {
			if st, err := readStat(pid); err == nil && st.start == t.start && st.alive() {
				left[pid] = t
			}
		}
		if len(left) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			return left
		}
		targets = left
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 200*time.Millisecond)
	}
}

// Reattach adopts a server started by an earlier process (an admin before
// its restart) or by another runner: it reports true when the process with
// s.PID is alive and still the one recorded (its start time matches
// s.Handle). The runner then watches it (OnExit), keeps its port out of
// other starts, and can Stop it. A dead server, or a pid now used by another
// process, gives false.
func (r *Runner) Reattach(ctx context.Context, s *admin.RunningServer) (bool, error) {
	if err := r.checkOpen("reattach"); err != nil {
		return false, err
	}
	if err := checkServer("reattach", s); err != nil {
		return false, err
	}
	st, err := readStat(s.PID)
	if errors.Is(err, errNoProcess) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("local: reattach pid %d: %w", s.PID, err)
	}
	if !st.alive() || handleOf(r.boot, st) != s.Handle {
		return false, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.state.Check("reattach"); err != nil {
		return false, err
	}
	if p := r.procs[s.PID]; p != nil && p.server.Handle == s.Handle {
		return true, nil // already ours
	}
	stop := make(chan struct{})
	var once sync.Once
	p := &proc{server: *s, done: make(chan struct{}), announced: true,
		unwatch: func() { once.Do(func() { close(stop) }) }}
	r.procs[s.PID] = p
	if s.Port > 0 {
		r.ports[s.Port] = true
	}
	r.watchers.Add(1)
	go r.watch(p, stop)
	return true, nil
}

// watch polls an adopted server until it exits, Stop unwatches it, or the
// runner closes.
func (r *Runner) watch(p *proc, stop <-chan struct{}) {
	defer r.watchers.Done()
	t := time.NewTicker(r.opts.WatchInterval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-r.stopAll:
			return
		case <-t.C:
		}
		st, err := readStat(p.server.PID)
		if err == nil && st.alive() && handleOf(r.boot, st) == p.server.Handle {
			continue
		}
		if err != nil && !errors.Is(err, errNoProcess) {
			continue // cannot tell: look again
		}
		r.exitedWith(p, -1, "")
		return
	}
}

// fileTail returns up to n last lines of the file at path from offset on.
func fileTail(path string, offset int64, n int) []string {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	// Read at most the last 64 KiB: enough for n lines of a crash report.
	if fi, err := f.Stat(); err == nil && fi.Size()-offset > 64<<10 {
		offset = fi.Size() - 64<<10
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<10)
	for sc.Scan() {
		if l := sc.Text(); !strings.HasPrefix(l, "=== ") {
			lines = append(lines, l)
		}
	}
	return lines[max(0, len(lines)-n):]
}
