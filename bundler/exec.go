package bundler

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// maxLine caps one logged output line; longer output is split.
const maxLine = 64 << 10

// tailLines is how many of a failed command's last stderr lines its error
// carries.
const tailLines = 20

// CommandError reports a failed build command: the command line, its
// folder, its exit status and the last lines it wrote to stderr (stdout
// when stderr was empty).
type CommandError struct {
	Command string
	Dir     string
	Err     error // *exec.ExitError, or the context's error when cancelled
	Output  []string
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "bundler: %s (in %s): %v", e.Command, e.Dir, e.Err)
	if len(e.Output) > 0 {
		b.WriteString("\noutput:")
		for _, l := range e.Output {
			b.WriteString("\n  ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// Unwrap gives the cause: errors.Is(err, context.Canceled) holds for a
// cancelled build.
func (e *CommandError) Unwrap() error { return e.Err }

// syncLog serializes calls to Options.Log.
type syncLog struct {
	mu sync.Mutex
	fn func(stream, line string)
}

func (l *syncLog) line(stream, text string) {
	if l.fn == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fn(stream, text)
}

func (l *syncLog) note(text string) { l.line("", text) }

// runner runs the commands of one Build.
type runner struct {
	node string
	env  []string
	log  *syncLog
}

// passEnv names the variables of this process's environment that commands
// get when Options.Env is nil: what npm needs to reach its registry, and
// nothing that could hold the admin's secrets.
var passEnv = []string{
	"PATH", "HOME", "USER", "LANG", "LC_ALL", "TZ", "TMPDIR",
	"HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy",
	"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR",
	"npm_config_registry", "npm_config_userconfig", "npm_config_cache",
}

// commandEnv completes the commands' environment: a minimal one when env
// is nil, MASTRA_TELEMETRY_DISABLED=1, and node's folder first in PATH. It
// resolves node from that PATH when it is empty.
func commandEnv(env []string, node string) ([]string, string, error) {
	if env == nil {
		for _, k := range passEnv {
			if v, ok := os.LookupEnv(k); ok {
				env = append(env, k+"="+v)
			}
		}
	}
	out := make([]string, 0, len(env)+2)
	path := ""
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "PATH":
			path = v
		case "MASTRA_TELEMETRY_DISABLED":
		default:
			out = append(out, kv)
		}
	}
	if node == "" {
		p, err := lookPath("node", path)
		if err != nil {
			return nil, "", &admin.ValidationError{Field: "Node", Reason: "not set, and no node on the PATH of Env"}
		}
		node = p
	} else if fi, err := os.Stat(node); err != nil || fi.IsDir() {
		return nil, "", &admin.ValidationError{Field: "Node", Reason: fmt.Sprintf("%q is not a file", node)}
	}
	if dir := filepath.Dir(node); !strings.HasPrefix(path, dir+string(os.PathListSeparator)) && path != dir {
		if path == "" {
			path = dir
		} else {
			path = dir + string(os.PathListSeparator) + path
		}
	}
	out = append(out, "PATH="+path, "MASTRA_TELEMETRY_DISABLED=1")
	return out, node, nil
}

// lookPath finds an executable in the folders of path.
func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found in PATH", name)
}

// npm finds npm: beside node first (a full Node distribution ships it),
// then on the commands' PATH.
func (r *runner) npm() (string, error) {
	if p := filepath.Join(filepath.Dir(r.node), "npm"); isExecutable(p) {
		return p, nil
	}
	for _, kv := range r.env {
		if v, ok := strings.CutPrefix(kv, "PATH="); ok {
			if p, err := lookPath("npm", v); err == nil {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("bundler: npm is neither beside %s nor on PATH: %w", r.node, admin.ErrNotSupported)
}

func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// run runs a command in dir, sending its output lines to the log, and
// returns its stdout when capture is set (then not logged line by line).
func (r *runner) run(ctx context.Context, dir string, capture bool, path string, args ...string) (string, error) {
	cmdline := strings.Join(append([]string{path}, args...), " ")
	r.log.note("$ " + cmdline)
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = dir
	cmd.Env = r.env
	// Output still held open by something the command left behind must not
	// block the build.
	cmd.WaitDelay = waitDelay
	setProcessGroup(cmd)

	var stdout limitedBuffer
	var tail tailBuffer
	errW := &lineWriter{fn: func(s string) { r.log.line("stderr", s); tail.add(s) }}
	outW := &lineWriter{fn: func(s string) { r.log.line("stdout", s); tail.add(s) }}
	cmd.Stderr = errW
	if capture {
		cmd.Stdout = &stdout
	} else {
		cmd.Stdout = outW
	}
	err := cmd.Run()
	outW.flush()
	errW.flush()
	if err == nil {
		return stdout.String(), nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	return stdout.String(), &CommandError{Command: cmdline, Dir: dir, Err: err, Output: tail.lines()}
}

// waitDelay bounds how long output is read after a command exited.
const waitDelay = 2 * time.Second

// lineWriter calls fn for each line written to it, without its line
// ending; lines longer than maxLine are split. exec writes to it from one
// goroutine.
type lineWriter struct {
	fn  func(string)
	buf []byte
}

func (w *lineWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			w.buf = append(w.buf, p...)
			for len(w.buf) >= maxLine {
				w.fn(string(w.buf[:maxLine]))
				w.buf = append(w.buf[:0], w.buf[maxLine:]...)
			}
			break
		}
		w.buf = append(w.buf, p[:i]...)
		w.fn(strings.TrimRight(string(w.buf), "\r"))
		w.buf = w.buf[:0]
		p = p[i+1:]
	}
	return n, nil
}

// flush sends a last line that had no line ending.
func (w *lineWriter) flush() {
	if len(w.buf) > 0 {
		w.fn(strings.TrimRight(string(w.buf), "\r"))
		w.buf = w.buf[:0]
	}
}

// limitedBuffer keeps the first maxJSON bytes written to it.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := maxJSON - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// tailBuffer keeps the last tailLines lines.
type tailBuffer struct {
	mu  sync.Mutex
	buf []string
}

func (t *tailBuffer) add(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.buf) == tailLines {
		t.buf = append(t.buf[:0], t.buf[1:]...)
	}
	t.buf = append(t.buf, s)
}

func (t *tailBuffer) lines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.buf...)
}
