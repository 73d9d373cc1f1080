package bundler_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/runner/local"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// The real tests share the runner's cache folder (~/.cache/mastra-admin):
// Node 22 provisioned from npm (as runner/local does), the npm cache, and
// installed node_modules trees of the fixtures, hard-linked into each test's
// copy, so that reruns are warm.

const node22Version = "22.23.3"

func cacheDir(t testing.TB) string {
	t.Helper()
	if d := os.Getenv("MASTRA_ADMIN_TEST_RUNNER_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "mastra-admin")
	}
	home, err := os.UserHomeDir()
	if err != nil {
		t.Fatalf("no cache folder: %v", err)
	}
	return filepath.Join(home, ".cache", "mastra-admin")
}

// toolLock serializes dependency-cache writes between the tests of this
// process.
var toolLock sync.Mutex

// node22 returns a Node 22 binary, provisioned into the shared cache by the
// runner itself (one implementation, safe when several test processes
// provision at once).
func node22(t testing.TB) string {
	t.Helper()
	if _, ok := map[string]bool{"amd64": true, "arm64": true}[runtime.GOARCH]; runtime.GOOS != "linux" || !ok {
		t.Skipf("no Node 22 package for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	r, err := local.New(&local.Options{CacheDir: cacheDir(t), NodeVersion: node22Version})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	bin, err := r.ProvisionNode(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// systemNode returns the node on PATH when its major version is major.
func systemNode(t *testing.T, major int) string {
	t.Helper()
	p, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	out, err := exec.Command(p, "--version").Output()
	if err != nil {
		t.Fatalf("node --version: %v", err)
	}
	v := strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	if m, _, _ := strings.Cut(v, "."); m != strconv.Itoa(major) {
		t.Skipf("node on PATH is v%s, not %d.x", v, major)
	}
	return p
}

// env is the commands' environment: node first in PATH and the shared npm
// cache.
func env(t testing.TB, node string) []string {
	var pass []string
	for _, k := range []string{"NODE_EXTRA_CA_CERTS", "SSL_CERT_FILE", "SSL_CERT_DIR", "HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		if v, ok := os.LookupEnv(k); ok {
			pass = append(pass, k+"="+v)
		}
	}
	return append(pass,
		"PATH="+filepath.Dir(node)+string(os.PathListSeparator)+os.Getenv("PATH"),
		"HOME="+os.Getenv("HOME"),
		"npm_config_cache="+filepath.Join(cacheDir(t), "npm"),
		"npm_config_prefer_offline=true",
		"npm_config_audit=false",
		"npm_config_fund=false",
		"npm_config_update_notifier=false",
		"MASTRA_TELEMETRY_DISABLED=1",
	)
}

// prepareFixture copies testdata/{name} to dir/src and installs its
// dependencies: hard links from the test cache when it holds this lockfile,
// else `npm ci` (then cached). It returns the project copy.
func prepareFixture(t testing.TB, name, node, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "src")
	if err := copyTree(filepath.Join("testdata", name), src); err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile(filepath.Join(src, "package-lock.json"))
	if err != nil {
		t.Fatal(err)
	}
	manifest, _ := os.ReadFile(filepath.Join(src, "package.json"))
	sum := sha256.Sum256(append(append(lock, manifest...), []byte(node)...))
	entry := filepath.Join(cacheDir(t), "bundler-test", hex.EncodeToString(sum[:12]))
	if isDir(filepath.Join(entry, "node_modules")) {
		if err := linkTree(filepath.Join(entry, "node_modules"), filepath.Join(src, "node_modules")); err == nil {
			return src
		}
		_ = os.RemoveAll(filepath.Join(src, "node_modules"))
	}
	began := time.Now()
	cmd := exec.Command(filepath.Join(filepath.Dir(node), "npm"), "ci", "--include=dev", "--no-audit", "--no-fund", "--prefer-offline")
	if !isFile(cmd.Path) {
		cmd.Path, _ = exec.LookPath("npm")
		cmd.Args[0] = cmd.Path
	}
	cmd.Dir = src
	cmd.Env = env(t, node)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("npm ci in %s: %v\n%s", src, err, out)
	}
	t.Logf("%s: npm ci in %s", name, time.Since(began).Round(time.Millisecond))
	toolLock.Lock()
	defer toolLock.Unlock()
	if !isDir(entry) {
		tmp := entry + ".tmp-" + strconv.Itoa(os.Getpid())
		_ = os.RemoveAll(tmp)
		if err := linkTree(filepath.Join(src, "node_modules"), filepath.Join(tmp, "node_modules")); err == nil {
			_ = os.Rename(tmp, entry)
		}
		_ = os.RemoveAll(tmp)
	}
	return src
}

// copyTree copies regular files and folders, leaving out node_modules and
// build output.
func copyTree(from, to string) error {
	return filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == ".mastra" || d.Name() == ".mastra-admin") {
			return filepath.SkipDir
		}
		target := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// linkTree recreates src at dst with hard-linked files, as the runner's
// dependency cache does.
func linkTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			l, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(l, target)
		case d.Type().IsRegular():
			return os.Link(path, target)
		}
		return nil
	})
}

func isFile(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// freePort returns a loopback port nothing listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// server is a built Mastra server started by a test.
type server struct {
	cmd  *exec.Cmd
	port int
	mu   sync.Mutex
	out  bytes.Buffer
	done chan struct{}
}

func (s *server) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.Write(p)
}

func (s *server) output() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.out.String()
}

func (s *server) url(path string) string {
	return "http://127.0.0.1:" + strconv.Itoa(s.port) + path
}

// startServer runs node entry in dir with PORT and MASTRA_HOST set and
// waits until GET /health answers 200.
func startServer(t *testing.T, node, dir, entry string, extraEnv ...string) *server {
	t.Helper()
	s := &server{port: freePort(t), done: make(chan struct{})}
	s.cmd = exec.Command(node, entry)
	s.cmd.Dir = dir
	s.cmd.Env = append(env(t, node), "NODE_ENV=production", "PORT="+strconv.Itoa(s.port), "MASTRA_HOST=127.0.0.1")
	s.cmd.Env = append(s.cmd.Env, extraEnv...)
	s.cmd.Stdout, s.cmd.Stderr = s, s
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = s.cmd.Wait(); close(s.done) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-s.done:
			t.Fatalf("server exited before answering /health:\n%s", s.output())
		default:
		}
		resp, err := http.Get(s.url("/health"))
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 {
				if !json.Valid(body) || !strings.Contains(string(body), `"success":true`) {
					t.Errorf("GET /health = %s; want {\"success\":true}", body)
				}
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not answer /health within 90s:\n%s", s.output())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the server to exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("server still running 30s after SIGTERM:\n%s", s.output())
	}
}

// runWorkflow runs a workflow of the server and returns its result.
func runWorkflow(t *testing.T, s *server, key string, input any) map[string]any {
	t.Helper()
	run, err := runnertest.RunWorkflow(context.Background(), s.url(""), "", key, input)
	var result map[string]any
	if err != nil || run.Status != "success" || json.Unmarshal(run.Result, &result) != nil {
		t.Fatalf("workflow %s: %v, %+v\n%s", key, err, run, s.output())
	}
	return result
}

func errorsAs[T error](err error) (T, bool) {
	var target T
	ok := errors.As(err, &target)
	return target, ok
}
