//go:build linux

package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// mastra1Node is what Mastra 1.x (@mastra/core and the mastra CLI) declares
// in engines.node.
const mastra1Node = ">=22.13.0"

// maxManifest caps the size of package.json and lockfiles read by the runner.
const maxManifest = 64 << 20

// manifest is the part of package.json the runner reads.
type manifest struct {
	Engines struct {
		Node string `json:"node"`
	} `json:"engines"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
	Scripts         map[string]string `json:"scripts"`
	// PackageManager is Corepack's field, e.g. "pnpm@9.12.0".
	PackageManager string `json:"packageManager"`
}

// npmLock is the part of package-lock.json the runner reads.
type npmLock struct {
	LockfileVersion int `json:"lockfileVersion"`
	Packages        map[string]struct {
		Version   string `json:"version"`
		Integrity string `json:"integrity"`
		Link      bool   `json:"link"`
		InBundle  bool   `json:"inBundle"`
		Engines   any    `json:"engines"` // an object, or an array in old packages
	} `json:"packages"`
}

// readJSON decodes a JSON file of at most maxManifest bytes.
func readJSON(path string, v any) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxManifest+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxManifest {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(path), maxManifest)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return nil, fmt.Errorf("%s is not valid JSON: %w", filepath.Base(path), err)
	}
	return b, nil
}

// nodeNeed is the Node versions a project runs on: every constraint must
// hold.
type nodeNeed struct {
	constraints []*semver.Constraints
	reasons     []string // what each constraint came from, for messages
}

func (n *nodeNeed) add(c *semver.Constraints, reason string) {
	n.constraints = append(n.constraints, c)
	n.reasons = append(n.reasons, reason)
}

func (n nodeNeed) String() string {
	if len(n.reasons) == 0 {
		return "any Node version"
	}
	return strings.Join(n.reasons, " and ")
}

func (n nodeNeed) allows(v *semver.Version) bool {
	for _, c := range n.constraints {
		if !c.Check(v) {
			return false
		}
	}
	return true
}

// projectNode works out which Node versions the project in dir needs:
//
//   - its own engines.node, when set;
//   - engines.node of @mastra/core and of the mastra CLI as recorded in
//     package-lock.json, when there is one;
//   - otherwise Mastra 1.x's >=22.13.0 when the declared @mastra/core range
//     admits a 1.x (or later) version, or cannot be read as a range
//     ("latest", "workspace:*"). 0.x projects run on Node 20.
func projectNode(dir string, m *manifest) (nodeNeed, error) {
	var need nodeNeed
	if e := strings.TrimSpace(m.Engines.Node); e != "" {
		c, err := semver.NewConstraint(e)
		if err != nil {
			return need, fmt.Errorf("package.json engines.node %q is not a version range: %w", e, err)
		}
		need.add(c, fmt.Sprintf("engines.node %q", e))
	}
	var lock npmLock
	_, err := readJSON(filepath.Join(dir, "package-lock.json"), &lock)
	if err == nil && lock.Packages != nil {
		found := false
		for _, pkg := range []string{"@mastra/core", "mastra"} {
			p, ok := lock.Packages["node_modules/"+pkg]
			if !ok {
				continue
			}
			found = true
			e, _ := p.Engines.(map[string]any)
			if s, ok := e["node"].(string); ok {
				if c, err := semver.NewConstraint(s); err == nil {
					need.add(c, fmt.Sprintf("%s %s (engines.node %q)", pkg, p.Version, s))
				}
			}
		}
		if found {
			return need, nil
		}
	}
	declared, ok := m.Dependencies["@mastra/core"]
	if !ok {
		declared, ok = m.DevDependencies["@mastra/core"]
	}
	if ok && admitsMastra1(declared) {
		c, _ := semver.NewConstraint(mastra1Node)
		need.add(c, fmt.Sprintf("@mastra/core %q (Mastra 1.x needs Node %s)", declared, mastra1Node))
	}
	return need, nil
}

// admitsMastra1 reports whether a declared dependency range may install
// @mastra/core 1.x or later.
func admitsMastra1(declared string) bool {
	c, err := semver.NewConstraint(declared)
	if err != nil {
		return true // "latest", a tag, a URL: assume the current line
	}
	for _, v := range []string{"1.0.0", "1.50.0", "1.999.0", "2.0.0", "99.0.0"} {
		if c.Check(semver.MustParse(v)) {
			return true
		}
	}
	return false
}

func parseVersion(s string) (*semver.Version, error) {
	return semver.NewVersion(strings.TrimPrefix(strings.TrimSpace(s), "v"))
}

// nodeVersion is a node binary's version, remembered by path, size and
// modification time.
type nodeVersion struct {
	size, mtime int64
	version     *semver.Version
}

type nodeCache struct {
	mu       sync.Mutex
	versions map[string]nodeVersion
}

// version runs `node --version` once per binary.
func (c *nodeCache) version(ctx context.Context, path string) (*semver.Version, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	v, ok := c.versions[path]
	c.mu.Unlock()
	if ok && v.size == fi.Size() && v.mtime == fi.ModTime().UnixNano() {
		return v.version, nil
	}
	out, err := exec.CommandContext(ctx, path, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", path, err)
	}
	ver, err := parseVersion(string(out))
	if err != nil {
		return nil, fmt.Errorf("%s --version printed %q: %w", path, strings.TrimSpace(string(out)), err)
	}
	c.mu.Lock()
	c.versions[path] = nodeVersion{size: fi.Size(), mtime: fi.ModTime().UnixNano(), version: ver}
	c.mu.Unlock()
	return ver, nil
}

// nodeBin is the node chosen for a project.
type nodeBin struct {
	path    string
	version *semver.Version
}

func (n nodeBin) dir() string { return filepath.Dir(n.path) }

// selectNode chooses the node for a project: Options.NodePath when set;
// else the node on PATH when it satisfies need; else Options.NodeVersion,
// provisioned from the npm registry once into CacheDir/node.
func (r *Runner) selectNode(ctx context.Context, need nodeNeed, log *syncLog, phase string) (nodeBin, error) {
	if p := r.opts.NodePath; p != "" {
		v, err := r.nodes.version(ctx, p)
		if err != nil {
			return nodeBin{}, fmt.Errorf("local: NodePath: %w", err)
		}
		if !need.allows(v) {
			log.line(phase, "", fmt.Sprintf("warning: NodePath %s is v%s, but the project needs %s", p, v, need))
		}
		return nodeBin{p, v}, nil
	}
	var systemErr error
	if p, err := exec.LookPath("node"); err == nil {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		v, err := r.nodes.version(ctx, p)
		if err == nil && need.allows(v) {
			return nodeBin{p, v}, nil
		}
		if err != nil {
			systemErr = err
		} else {
			systemErr = fmt.Errorf("%s is v%s", p, v)
		}
	} else {
		systemErr = errors.New("no node on PATH")
	}
	want, _ := parseVersion(r.opts.NodeVersion)
	if !need.allows(want) {
		return nodeBin{}, fmt.Errorf("local: no Node satisfies %s (%v; the runner provisions v%s): set Options.NodePath or Options.NodeVersion", need, systemErr, want)
	}
	path, err := r.provisionNode(ctx, log, phase)
	if err != nil {
		return nodeBin{}, err
	}
	v, err := r.nodes.version(ctx, path)
	if err != nil {
		return nodeBin{}, fmt.Errorf("local: provisioned node: %w", err)
	}
	return nodeBin{path, v}, nil
}

// nodePackage is the npm package that ships the Node binary for this
// platform.
func nodePackage() (string, error) {
	arch := map[string]string{"amd64": "x64", "arm64": "arm64"}[runtime.GOARCH]
	if arch == "" {
		return "", fmt.Errorf("local: no Node package on npm for %s/%s: set Options.NodePath", runtime.GOOS, runtime.GOARCH)
	}
	return "node-" + runtime.GOOS + "-" + arch, nil
}

// ProvisionNode installs Options.NodeVersion from the npm registry into
// CacheDir/node/{version} unless a working copy is there already, and
// returns the path of its node binary. Builds call it when no other Node
// satisfies a project; a server may call it at start-up to warm the cache.
// log, when set, receives what it does (phase "install").
//
// Several processes may share CacheDir: the install runs once, under a file
// lock, into a temporary folder renamed into place when complete, so no
// process sees a half-installed Node, and one that loses a race uses the
// winner's copy. A copy found broken (its node binary missing, or not
// running as the expected version) is discarded and installed again.
func (r *Runner) ProvisionNode(ctx context.Context, log admin.LogFunc) (string, error) {
	if err := r.checkOpen("provision node"); err != nil {
		return "", err
	}
	return r.provisionNode(ctx, &syncLog{fn: log}, "install")
}

func (r *Runner) provisionNode(ctx context.Context, log *syncLog, phase string) (string, error) {
	pkg, err := nodePackage()
	if err != nil {
		return "", err
	}
	version := r.opts.NodeVersion
	want, _ := parseVersion(version) // checked by New
	root := filepath.Join(r.opts.CacheDir, "node")
	dir := filepath.Join(root, version)
	bin := filepath.Join(dir, "node_modules", pkg, "bin", "node")
	// usable reports why the copy at bin cannot be used, or "" when it can.
	usable := func(bin string) string {
		if !isFile(bin) {
			return "its node binary is missing"
		}
		got, err := r.nodes.version(ctx, bin)
		if err != nil {
			return err.Error()
		}
		if !got.Equal(want) {
			return fmt.Sprintf("its node binary is v%s", got)
		}
		return ""
	}
	if usable(bin) == "" {
		return bin, nil
	}

	r.provMu.Lock()
	defer r.provMu.Unlock()
	unlock, err := lockFile(ctx, filepath.Join(root, ".lock"))
	if err != nil {
		return "", fmt.Errorf("local: provision node: %w", err)
	}
	defer unlock()
	why := usable(bin) // another process may have finished while we waited
	if why == "" {
		return bin, nil
	}
	// Under the lock no other install runs: temporary folders left by
	// one that died go.
	for _, pattern := range []string{".provision-*", ".discard-*"} {
		leftovers, _ := filepath.Glob(filepath.Join(root, pattern))
		for _, l := range leftovers {
			_ = os.RemoveAll(l)
		}
	}
	if _, err := os.Lstat(dir); err == nil {
		log.line(phase, "", fmt.Sprintf("discarding the cached Node v%s in %s: %s", version, dir, why))
		if err := removeAside(dir); err != nil {
			return "", fmt.Errorf("local: provision node: discard %s: %w", dir, err)
		}
	}

	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("local: provision node v%s: npm is not on PATH: install Node.js with npm, or set Options.NodePath", version)
	}
	tmp, err := os.MkdirTemp(root, ".provision-")
	if err != nil {
		return "", fmt.Errorf("local: provision node: %w", err)
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	log.line(phase, "", fmt.Sprintf("provisioning Node v%s from npm into %s", version, dir))
	c := cmd{
		phase: phase,
		path:  npm,
		args: []string{"install", "--prefix", tmp, "--no-save", "--no-package-lock", "--no-audit", "--no-fund",
			"--prefer-offline", "--cache", filepath.Join(r.opts.CacheDir, "npm"), pkg + "@" + version},
		dir: tmp,
		env: r.environ(""),
	}
	if err := r.run(ctx, c, log); err != nil {
		return "", fmt.Errorf("local: provision node v%s: %w", version, err)
	}
	if why := usable(filepath.Join(tmp, "node_modules", pkg, "bin", "node")); why != "" {
		return "", fmt.Errorf("local: provision node: %s@%s installed, but %s", pkg, version, why)
	}
	if err := os.Rename(tmp, dir); err != nil {
		// Only a process that ignores the lock (an older version, a
		// hand-made copy) can have put a folder there meanwhile: use it
		// when it works.
		if usable(bin) == "" {
			return bin, nil
		}
		return "", fmt.Errorf("local: provision node: %w", err)
	}
	return bin, nil
}

// removeAside removes the tree at path after renaming it to a temporary
// name beside it, so that no reader ever sees it half removed.
func removeAside(path string) error {
	aside := filepath.Join(filepath.Dir(path), fmt.Sprintf(".discard-%s-%d", filepath.Base(path), time.Now().UnixNano()))
	if err := os.Rename(path, aside); err != nil {
		return err
	}
	return os.RemoveAll(aside)
}

// lockFile takes an exclusive flock on path, waiting until ctx ends.
func lockFile(ctx context.Context, path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- syscall.Flock(int(f.Fd()), syscall.LOCK_EX) }()
	select {
	case err := <-done:
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		return func() { f.Close() }, nil // closing releases the lock
	case <-ctx.Done():
		// Closing the file makes the pending flock fail or, if it was just
		// granted, releases it.
		go func() { <-done; f.Close() }()
		return nil, ctx.Err()
	}
}

func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

func isDir(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.IsDir()
}
