//go:build linux

package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/runner/runnertest"
)

// cacheChildEnv names the cache directory a child process of
// TestCachesFilledByManyProcesses fills.
const cacheChildEnv = "LOCAL_TEST_CACHE_CHILD"

// childResult is what a child process reports on its last line.
type childResult struct {
	Node  string   `json:"node"`
	Error string   `json:"error,omitempty"`
	Log   []string `json:"log"`
}

// TestCachesFilledByManyProcesses starts several processes (not
// goroutines) at the same moment on one empty cache directory. Each
// provisions Node and builds the fake project twice (npm's cache, the
// dependency cache and the build output cache all filled at once). All
// succeed, and each cache holds one entry and no temporary leftovers.
func TestCachesFilledByManyProcesses(t *testing.T) {
	if dir := os.Getenv(cacheChildEnv); dir != "" {
		cacheChild(t, dir)
		return
	}
	if testing.Short() {
		t.Skip("downloads Node from the npm registry in several processes")
	}
	root := t.TempDir()
	cache := filepath.Join(root, "cache")
	start := filepath.Join(root, "start")
	const n = 3
	type child struct {
		cmd *exec.Cmd
		out strings.Builder
	}
	children := make([]*child, n)
	for i := range children {
		c := &child{cmd: exec.Command(os.Args[0], "-test.run=^TestCachesFilledByManyProcesses$", "-test.count=1", "-test.v")}
		c.cmd.Env = append(os.Environ(), cacheChildEnv+"="+cache, "LOCAL_TEST_CACHE_START="+start)
		c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
		if err := c.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		children[i] = c
	}
	// Every child is up and waiting: release them together.
	if err := os.WriteFile(start, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var nodes []string
	installs := 0
	for i, c := range children {
		err := c.cmd.Wait()
		var res childResult
		out := c.out.String()
		if j := strings.LastIndex(out, "RESULT "); j >= 0 {
			line, _, _ := strings.Cut(out[j+len("RESULT "):], "\n")
			_ = json.Unmarshal([]byte(line), &res)
		}
		if err != nil || res.Error != "" || res.Node == "" {
			t.Errorf("process %d: %v %s\n%s", i, err, res.Error, out)
			continue
		}
		nodes = append(nodes, res.Node)
		for _, l := range res.Log {
			if strings.Contains(l, "provisioning Node") {
				installs++
			}
		}
	}
	if installs != 1 {
		t.Errorf("Node provisioned %d times by %d processes, want once", installs, n)
	}
	for _, p := range nodes[1:] {
		if p != nodes[0] {
			t.Errorf("processes use different Node binaries: %q", nodes)
		}
	}
	for _, sub := range []string{"node", "deps", "outputs"} {
		entries, err := os.ReadDir(filepath.Join(cache, sub))
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			if e.IsDir() {
				names = append(names, e.Name())
			}
		}
		if len(names) != 1 || strings.HasPrefix(names[0], ".") {
			t.Errorf("%s/ holds %q, want one entry and no temporary folder", sub, names)
		}
	}
}

// cacheChild is one process of TestCachesFilledByManyProcesses.
func cacheChild(t *testing.T, cache string) {
	start := os.Getenv("LOCAL_TEST_CACHE_START")
	for deadline := time.Now().Add(time.Minute); !isFile(start); {
		if time.Now().After(deadline) {
			t.Fatal("never released")
		}
		time.Sleep(5 * time.Millisecond)
	}
	var res childResult
	defer func() {
		b, _ := json.Marshal(res)
		fmt.Printf("RESULT %s\n", b)
	}()
	fail := func(err error) { res.Error = err.Error() }
	r, err := New(&Options{CacheDir: cache, BuildMode: BuildPlain})
	if err != nil {
		fail(err)
		return
	}
	defer r.Close()
	log := &syncLog{fn: func(phase, _, text string) { res.Log = append(res.Log, "["+phase+"] "+text) }}
	if res.Node, err = r.provisionNode(context.Background(), log, "install"); err != nil {
		fail(err)
		return
	}
	for range 2 {
		dir := t.TempDir()
		src := filepath.Join(dir, "src")
		if err := runnertest.WriteFakeProject(src); err != nil {
			fail(err)
			return
		}
		if _, err := r.Build(context.Background(), admin.BuildSpec{Dir: dir, SourceDir: src}, log.fn); err != nil {
			fail(err)
			return
		}
	}
}
