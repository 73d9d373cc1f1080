package bundler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/command"
)

// CommandError reports a failed build command: the command line, its
// folder, its exit status (or the context's error when the build was
// cancelled, which errors.Is finds) and the first and last lines it wrote
// to stderr (stdout when stderr was empty). runner/local's CommandError is
// the same type.
type CommandError = command.Error

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
	node    string
	env     []string
	log     *syncLog
	started func(pgid int, cmdline string) (ended func())
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
	c := command.Cmd{Phase: "bundler", Path: path, Args: args, Dir: dir, Env: r.env, Line: r.log.line, Capture: capture}
	r.log.note("$ " + c.String())
	if r.started != nil {
		c.Started = func(pid int) func() { return r.started(pid, c.String()) }
	}
	out, err := command.Run(ctx, c)
	return string(out), err
}
