//go:build linux

package local

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func TestParseStat(t *testing.T) {
	// Fields after the command name: state ppid pgrp session tty_nr tpgid
	// flags minflt cminflt majflt cmajflt utime stime cutime cstime priority
	// nice num_threads itrealvalue starttime …
	rest := " S 10 20 20 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 0 987654 3133440 415"
	for _, tc := range []struct {
		name, text string
		want       procStat
		wantErr    bool
	}{
		{"plain", "42 (node)" + rest, procStat{pid: 42, ppid: 10, pgid: 20, state: 'S', start: 987654}, false},
		{"name with spaces and parens", "42 (a) (b c)" + rest, procStat{pid: 42, ppid: 10, pgid: 20, state: 'S', start: 987654}, false},
		{"zombie", "42 (node) Z 10 20 20 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", procStat{pid: 42, ppid: 10, pgid: 20, state: 'Z', start: 5}, false},
		{"no name", "42 node S 1 2", procStat{}, true},
		{"truncated", "42 (node) S 10 20", procStat{}, true},
		{"garbage numbers", "42 (node) S x 20 20 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0", procStat{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseStat(42, tc.text)
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("parseStat = %+v, %v; want %+v, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
	self, err := readStat(os.Getpid())
	if err != nil || self.pid != os.Getpid() || self.ppid != os.Getppid() || !self.alive() || self.start == 0 {
		t.Errorf("readStat(self) = %+v, %v", self, err)
	}
	if _, err := readStat(1 << 30); !errors.Is(err, errNoProcess) {
		t.Errorf("readStat(no such pid): got %v, want errNoProcess", err)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestProjectNode(t *testing.T) {
	lock := func(core string, engines any) map[string]any {
		return map[string]any{"lockfileVersion": 3, "packages": map[string]any{
			"":                          map[string]any{},
			"node_modules/@mastra/core": map[string]any{"version": core, "engines": engines, "integrity": "sha512-x"},
		}}
	}
	for _, tc := range []struct {
		name    string
		pkg     map[string]any
		lock    map[string]any
		allow   []string // versions that must be allowed
		deny    []string // versions that must be refused
		wantErr string
	}{
		{name: "not a Mastra project", pkg: map[string]any{}, allow: []string{"18.0.0", "20.20.2"}},
		{name: "engines only", pkg: map[string]any{"engines": map[string]any{"node": ">=20 <23"}},
			allow: []string{"20.0.0", "22.9.0"}, deny: []string{"18.19.0", "24.0.0"}},
		{name: "engines with ||", pkg: map[string]any{"engines": map[string]any{"node": "^20.19 || >=22.12"}},
			allow: []string{"20.19.1", "22.12.0"}, deny: []string{"21.0.0", "20.1.0"}},
		{name: "declared core 1.x", pkg: map[string]any{"dependencies": map[string]any{"@mastra/core": "^1.71.0"}},
			allow: []string{"22.13.0", "24.1.0"}, deny: []string{"20.20.2", "22.12.0"}},
		{name: "declared core 0.x", pkg: map[string]any{"dependencies": map[string]any{"@mastra/core": "^0.24.0"}},
			allow: []string{"20.20.2"}},
		{name: "declared core open range", pkg: map[string]any{"dependencies": map[string]any{"@mastra/core": ">=0.20"}},
			deny: []string{"20.20.2"}},
		{name: "declared core tag", pkg: map[string]any{"devDependencies": map[string]any{"@mastra/core": "latest"}},
			deny: []string{"20.20.2"}, allow: []string{"22.13.0"}},
		{name: "lockfile engines win over the declared range",
			pkg:  map[string]any{"dependencies": map[string]any{"@mastra/core": "*"}},
			lock: lock("0.24.9", map[string]any{"node": ">=20"}), allow: []string{"20.0.0"}},
		{name: "lockfile 1.x", pkg: map[string]any{"dependencies": map[string]any{"@mastra/core": "^1.0.0"}},
			lock: lock("1.71.0", map[string]any{"node": ">=22.13.0"}), deny: []string{"22.12.0"}, allow: []string{"22.13.0"}},
		{name: "lockfile engines as an array (old packages) are ignored", pkg: map[string]any{},
			lock: lock("1.0.0", []any{"node >= 0.8"}), allow: []string{"10.0.0"}},
		{name: "bad engines", pkg: map[string]any{"engines": map[string]any{"node": "lts/iron"}}, wantErr: `engines.node "lts/iron"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeJSON(t, filepath.Join(dir, "package.json"), tc.pkg)
			if tc.lock != nil {
				writeJSON(t, filepath.Join(dir, "package-lock.json"), tc.lock)
			}
			var m manifest
			if _, err := readJSON(filepath.Join(dir, "package.json"), &m); err != nil {
				t.Fatal(err)
			}
			need, err := projectNode(dir, &m)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error mentioning %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range tc.allow {
				if !need.allows(mustVersion(t, v)) {
					t.Errorf("%s refuses v%s", need, v)
				}
			}
			for _, v := range tc.deny {
				if need.allows(mustVersion(t, v)) {
					t.Errorf("%s allows v%s", need, v)
				}
			}
		})
	}
}

func mustVersion(t *testing.T, s string) *semver.Version {
	t.Helper()
	v, err := parseVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestDepsKey(t *testing.T) {
	base := func() (map[string]any, map[string]any) {
		return map[string]any{"name": "p", "dependencies": map[string]any{"a": "^1.0.0"}},
			map[string]any{"lockfileVersion": 3, "packages": map[string]any{
				"":                 map[string]any{"name": "p"},
				"node_modules/a":   map[string]any{"version": "1.0.0", "integrity": "sha512-a"},
				"node_modules/a/b": map[string]any{"version": "1.0.0", "inBundle": true},
			}}
	}
	key := func(t *testing.T, pkg, lock map[string]any, node string) (string, string) {
		t.Helper()
		dir := t.TempDir()
		writeJSON(t, filepath.Join(dir, "package.json"), pkg)
		writeJSON(t, filepath.Join(dir, "package-lock.json"), lock)
		var m manifest
		b, err := readJSON(filepath.Join(dir, "package.json"), &m)
		if err != nil {
			t.Fatal(err)
		}
		return depsKey(dir, b, &m, node, "11.0.0")
	}
	pkg, lock := base()
	k1, why := key(t, pkg, lock, "22.23.3")
	if k1 == "" {
		t.Fatalf("a fully pinned lockfile is not cacheable: %s", why)
	}
	if k2, _ := key(t, pkg, lock, "22.23.3"); k2 != k1 {
		t.Errorf("same inputs gave keys %s and %s", k1, k2)
	}
	if k2, _ := key(t, pkg, lock, "22.23.4"); k2 == k1 || k2 == "" {
		t.Errorf("another Node version gave key %q, want a new key", k2)
	}
	pkg2, lock2 := base()
	lock2["packages"].(map[string]any)["node_modules/a"].(map[string]any)["integrity"] = "sha512-other"
	if k2, _ := key(t, pkg2, lock2, "22.23.3"); k2 == k1 || k2 == "" {
		t.Errorf("another lockfile gave key %q, want a new key", k2)
	}

	for _, tc := range []struct {
		name string
		edit func(pkg, lock map[string]any)
		why  string
	}{
		{"postinstall script", func(pkg, _ map[string]any) { pkg["scripts"] = map[string]any{"postinstall": "node gen.js"} }, `"postinstall" script`},
		{"prepare script", func(pkg, _ map[string]any) { pkg["scripts"] = map[string]any{"prepare": "husky"} }, `"prepare" script`},
		{"linked workspace", func(_, lock map[string]any) {
			lock["packages"].(map[string]any)["node_modules/w"] = map[string]any{"resolved": "packages/w", "link": true}
		}, "node_modules/w is not pinned"},
		{"git dependency", func(_, lock map[string]any) {
			lock["packages"].(map[string]any)["node_modules/g"] = map[string]any{"resolved": "git+ssh://git@example.com/g.git#abc"}
		}, "node_modules/g is not pinned"},
		{"lockfile v1", func(_, lock map[string]any) { lock["lockfileVersion"] = 1; delete(lock, "packages") }, "lockfileVersion 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkg, lock := base()
			tc.edit(pkg, lock)
			k, why := key(t, pkg, lock, "22.23.3")
			if k != "" || !strings.Contains(why, tc.why) {
				t.Errorf("key %q, reason %q; want no key and a reason mentioning %s", k, why, tc.why)
			}
		})
	}
}

func TestDepsCacheRestoreAndCorruption(t *testing.T) {
	r, err := New(&Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	src := filepath.Join(t.TempDir(), "node_modules")
	for path, body := range map[string]string{"a/index.js": "a", "a/package.json": "{}", ".bin/.keep": ""} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, path), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("../a/index.js", filepath.Join(src, ".bin", "a")); err != nil {
		t.Fatal(err)
	}
	const key = "0123456789abcdef0123456789abcdef"
	if err := r.deps.save(key, src); err != nil {
		t.Fatal(err)
	}

	dst := filepath.Join(t.TempDir(), "node_modules")
	if err := os.MkdirAll(filepath.Join(dst, "stale"), 0o755); err != nil { // replaced, not merged
		t.Fatal(err)
	}
	ok, err := r.deps.restore(key, dst)
	if !ok || err != nil {
		t.Fatalf("restore = %v, %v", ok, err)
	}
	if _, err := os.Stat(filepath.Join(dst, "stale")); !os.IsNotExist(err) {
		t.Errorf("restore kept a stale folder: %v", err)
	}
	cached := filepath.Join(r.deps.root, key, "node_modules", "a", "index.js")
	fc, _ := os.Stat(cached)
	fr, err := os.Stat(filepath.Join(dst, "a", "index.js"))
	if err != nil || !os.SameFile(fc, fr) {
		t.Errorf("restored file is not a hard link of the cached one: %v", err)
	}
	if link, err := os.Readlink(filepath.Join(dst, ".bin", "a")); err != nil || link != "../a/index.js" {
		t.Errorf("restored symlink = %q, %v", link, err)
	}

	// A build that writes into a restored file in place changes the cached
	// copy too: the next restore notices and drops the entry.
	future := time.Now().Add(time.Minute)
	if err := os.WriteFile(filepath.Join(dst, "a", "index.js"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(cached, future, future); err != nil {
		t.Fatal(err)
	}
	dst2 := filepath.Join(t.TempDir(), "node_modules")
	ok, err = r.deps.restore(key, dst2)
	if ok || !errors.Is(err, errCorrupt) {
		t.Fatalf("restore of a modified entry = %v, %v; want errCorrupt", ok, err)
	}
	if _, err := os.Stat(filepath.Join(r.deps.root, key)); !os.IsNotExist(err) {
		t.Errorf("corrupt entry kept: %v", err)
	}
	if _, err := os.Stat(dst2); !os.IsNotExist(err) {
		t.Errorf("half-restored tree left behind: %v", err)
	}
}

// TestDamagedCacheEntries: an entry that lost a file, holds a truncated
// file (its time put back, as a disk error would leave it), or has a
// manifest of an older version is found out on restore, dropped, and
// leaves nothing half-restored.
func TestDamagedCacheEntries(t *testing.T) {
	r, err := New(&Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	src := filepath.Join(t.TempDir(), "node_modules")
	for path, body := range map[string]string{"a/index.js": "module.exports = 1", "b/index.js": "module.exports = 2"} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(src, path)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, path), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	past := time.Now().Add(-time.Hour)
	for _, tc := range []struct {
		name, want string
		damage     func(entry string) error
	}{
		{"missing file", "1 files of 18 bytes, but 2 files of 36 bytes were saved", func(entry string) error {
			return os.Remove(filepath.Join(entry, "node_modules", "b", "index.js"))
		}},
		{"truncated file", "2 files of 21 bytes, but 2 files of 36 bytes were saved", func(entry string) error {
			f := filepath.Join(entry, "node_modules", "b", "index.js")
			if err := os.Truncate(f, 3); err != nil {
				return err
			}
			return os.Chtimes(f, past, past)
		}},
		{"manifest of an older version", "older version", func(entry string) error {
			return os.WriteFile(filepath.Join(entry, "saved"), []byte("1700000000000000000\n"), 0o644)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			key := strings.ReplaceAll(tc.name, " ", "-")
			if err := r.deps.save(key, src); err != nil {
				t.Fatal(err)
			}
			entry := filepath.Join(r.deps.root, key)
			// The entry's folders keep their times, as the damage would.
			dir := filepath.Join(entry, "node_modules", "b")
			if err := tc.damage(entry); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(dir, past, past); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(t.TempDir(), "node_modules")
			ok, err := r.deps.restore(key, dst)
			if ok || !errors.Is(err, errCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("restore = %v, %v; want errCorrupt saying %q", ok, err, tc.want)
			}
			if _, err := os.Stat(entry); !os.IsNotExist(err) {
				t.Errorf("damaged entry kept: %v", err)
			}
			if _, err := os.Stat(dst); !os.IsNotExist(err) {
				t.Errorf("half-restored tree left behind: %v", err)
			}
			// Saved again, it restores whole.
			if err := r.deps.save(key, src); err != nil {
				t.Fatal(err)
			}
			if ok, err := r.deps.restore(key, dst); !ok || err != nil {
				t.Errorf("restore after saving again = %v, %v", ok, err)
			}
		})
	}
}

// TestDamagedOutputSecret: a truncated secret of the build output cache is
// replaced, not an error that stops the runner.
func TestDamagedOutputSecret(t *testing.T) {
	cache := t.TempDir()
	r, err := New(&Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	path := filepath.Join(cache, "outputs", secretFile)
	if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err = New(&Options{CacheDir: cache})
	if err != nil {
		t.Fatalf("New with a damaged secret: %v", err)
	}
	defer r.Close()
	if b, err := os.ReadFile(path); err != nil || len(b) != 32 || !slices.Equal(b, r.secret) {
		t.Errorf("secret after New: %d bytes (%v), want the runner's 32", len(b), err)
	}
}

// TestProvisionNodeRepairsBrokenCopy: a cached Node whose binary is missing
// or truncated is discarded, with a line in the build log, and installed
// again.
func TestProvisionNodeRepairsBrokenCopy(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads Node from the npm registry")
	}
	r, err := New(&Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var lines []string
	log := func(_, _, text string) { lines = append(lines, text) }
	bin, err := r.ProvisionNode(context.Background(), log)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, want string
		damage     func() error
	}{
		{"missing binary", "its node binary is missing", func() error { return os.Remove(bin) }},
		{"truncated binary", "--version", func() error { return os.Truncate(bin, 4096) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.damage(); err != nil {
				t.Fatal(err)
			}
			lines = nil
			got, err := r.ProvisionNode(context.Background(), log)
			if err != nil || got != bin {
				t.Fatalf("ProvisionNode = %q, %v; want %q", got, err, bin)
			}
			joined := strings.Join(lines, "\n")
			if !strings.Contains(joined, "discarding the cached Node") || !strings.Contains(joined, tc.want) ||
				!strings.Contains(joined, "provisioning Node") {
				t.Errorf("log does not say the copy was discarded (%s) and installed again:\n%s", tc.want, joined)
			}
			if v, err := r.nodes.version(context.Background(), bin); err != nil || v.String() != DefaultNodeVersion {
				t.Errorf("repaired node is v%v (%v)", v, err)
			}
		})
	}
}

func TestDepsCachePrunes(t *testing.T) {
	r, err := New(&Options{CacheDir: t.TempDir(), DepsCacheSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	src := filepath.Join(t.TempDir(), "node_modules")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-time.Hour)
	for i, key := range []string{"k1", "k2", "k3"} {
		if err := r.deps.save(key, src); err != nil {
			t.Fatal(err)
		}
		// Distinct use times, oldest first.
		at := old.Add(time.Duration(i) * time.Minute)
		if err := os.Chtimes(filepath.Join(r.deps.root, key), at, at); err != nil {
			t.Fatal(err)
		}
	}
	r.deps.prune()
	entries, _ := os.ReadDir(r.deps.root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{"k2", "k3"}) {
		t.Errorf("after pruning to 2: %v, want [k2 k3]", names)
	}
}

// TestProvisionNodeOnce provisions Node from the npm registry into a fresh
// cache from several goroutines at once: one install, one result.
func TestProvisionNodeOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads Node from the npm registry")
	}
	cache := t.TempDir()
	// Reuse the downloaded tarballs of the default cache when there are some.
	if shared, err := New(nil); err == nil {
		if err := os.Symlink(filepath.Join(shared.CacheDir(), "npm"), filepath.Join(cache, "npm")); err != nil {
			t.Fatal(err)
		}
		shared.Close()
	}
	r, err := New(&Options{CacheDir: cache})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	const n = 3
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		paths []string
		lines []string
	)
	for range n {
		wg.Go(func() {
			log := &syncLog{fn: func(_, _, text string) { mu.Lock(); lines = append(lines, text); mu.Unlock() }}
			p, err := r.provisionNode(context.Background(), log, "install")
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			paths = append(paths, p)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(paths) != n || slices.Compact(slices.Clone(paths))[0] != paths[n-1] {
		t.Fatalf("paths %q: want %d equal paths", paths, n)
	}
	installs := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "provisioning Node") {
			installs++
		}
	}
	if installs != 1 {
		t.Errorf("%d installs for %d concurrent callers; want 1", installs, n)
	}
	v, err := r.nodes.version(context.Background(), paths[0])
	if err != nil || v.String() != DefaultNodeVersion {
		t.Errorf("provisioned node is v%v (%v), want v%s", v, err, DefaultNodeVersion)
	}
	leftovers, _ := filepath.Glob(filepath.Join(cache, "node", ".provision-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary folders left: %v", leftovers)
	}
}

// TestOutputKey: every part of a build's inputs changes the key, but
// PATH, and no two keys collide by shifting bytes between parts.
func TestOutputKey(t *testing.T) {
	secret := []byte("0123456789abcdef0123456789abcdef")
	env := []string{"A=1", "PATH=/usr/bin"}
	base := outputKey(secret, "v", "deps", "tree", env)
	same := outputKey(secret, "v", "deps", "tree", []string{"A=1", "PATH=/usr/local/go/bin:/usr/bin"})
	if base != same {
		t.Errorf("PATH changed the key")
	}
	for name, k := range map[string]string{
		"version":  outputKey(secret, "w", "deps", "tree", env),
		"deps":     outputKey(secret, "v", "deps2", "tree", env),
		"tree":     outputKey(secret, "v", "deps", "tree2", env),
		"env":      outputKey(secret, "v", "deps", "tree", []string{"A=2", "PATH=/usr/bin"}),
		"shifted":  outputKey(secret, "vd", "eps", "tree", env),
		"secret":   outputKey([]byte("another secret of thirty-two b.."), "v", "deps", "tree", env),
		"env name": outputKey(secret, "v", "deps", "tree", []string{"B=1", "PATH=/usr/bin"}),
	} {
		if k == base {
			t.Errorf("a different %s gives the same key", name)
		}
	}
}

// TestReapBuildServerRecords: a server record left by an admin process that
// died is reaped; one whose admin still runs, or whose server this runner
// has taken over, is not.
func TestReapBuildServerRecords(t *testing.T) {
	r, err := New(&Options{CacheDir: t.TempDir(), StopGrace: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.Mkdir(src, 0o755); err != nil {
		t.Fatal(err)
	}
	server := func() int {
		cmd := exec.Command("sleep", "600")
		cmd.Dir = src
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		go cmd.Wait()
		t.Cleanup(func() { _ = cmd.Process.Kill() })
		return cmd.Process.Pid
	}
	gone := func(pid int) bool {
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if st, err := readStat(pid); err != nil || !st.alive() {
				return true
			}
		}
		return false
	}
	ctx := context.Background()

	// Written by this process, which lives: left alone.
	mine := server()
	if err := r.writeRecord(serverRecord(src, mine), mine, "server index.mjs"); err != nil {
		t.Fatal(err)
	}
	if err := r.ReapBuild(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if st, err := readStat(mine); err != nil || !st.alive() || !isFile(serverRecord(src, mine)) {
		t.Fatal("reaped a server whose admin process still runs")
	}

	// Written by an admin process that is gone: ended, record removed.
	orphan := server()
	st, err := readStat(orphan)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := json.Marshal(buildRecord{PGID: orphan, Handle: handleOf(r.boot, st), Command: "server index.mjs",
		Owner: orphan + 1_000_000, OwnerHandle: "another-boot:1"})
	if err := os.WriteFile(serverRecord(src, orphan), rec, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := r.ReapBuild(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if !gone(orphan) {
		t.Fatal("a server left by a dead admin was not ended")
	}
	if isFile(serverRecord(src, orphan)) {
		t.Error("the reaped server's record is still there")
	}

	// Taken over by this runner (an admin recorded it, and reattached it
	// after a restart): left running, its record removed.
	adopted := server()
	st, err = readStat(adopted)
	if err != nil {
		t.Fatal(err)
	}
	rec, _ = json.Marshal(buildRecord{PGID: adopted, Handle: handleOf(r.boot, st), Command: "server index.mjs",
		Owner: adopted + 1_000_000, OwnerHandle: "another-boot:1"})
	if err := os.WriteFile(serverRecord(src, adopted), rec, 0o600); err != nil {
		t.Fatal(err)
	}
	if ok, err := r.Reattach(ctx, &admin.RunningServer{PID: adopted, Handle: handleOf(r.boot, st), Host: "127.0.0.1", Port: 1}); !ok || err != nil {
		t.Fatalf("Reattach = %v, %v", ok, err)
	}
	if err := r.ReapBuild(ctx, dir); err != nil {
		t.Fatal(err)
	}
	if st, err := readStat(adopted); err != nil || !st.alive() {
		t.Fatal("reaped a server this runner had taken over")
	}
	if isFile(serverRecord(src, adopted)) {
		t.Error("the record of a server taken over is still there")
	}
}
