package kubernetes

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSyncScript runs the sync script with this machine's node in a
// directory standing for a pod's observability volume (as the sidecar
// would run it through pods/exec) and checks the copies: new bytes are
// appended from the copy's length on, a file this process holds open is
// never deleted, a closed file copied entirely is deleted and no longer
// listed, and a copy cut short mid-line (a runner killed while appending)
// is completed byte for byte.
func TestSyncScript(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH")
	}
	pod, root := t.TempDir(), t.TempDir()
	run := func(stdin io.Reader, stdout, stderr io.Writer) error {
		cmd := exec.Command(node, "-e", syncScript)
		cmd.Dir, cmd.Stdin, cmd.Stdout, cmd.Stderr = pod, stdin, stdout, stderr
		return cmd.Run()
	}
	write := func(f *os.File, s string) {
		if _, err := f.WriteString(s); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"spans", "logs"} {
		if err := os.MkdirAll(filepath.Join(pod, k), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(pod, "spans", "a.jsonl"), []byte("span 1\nspan 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	open, err := os.OpenFile(filepath.Join(pod, "logs", "b.jsonl"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer open.Close()
	write(open, "log 1\nlog")
	sync := func(want ...string) {
		t.Helper()
		names, err := syncCopies(root, run)
		if err != nil {
			t.Fatalf("sync: %v", err)
		}
		if !slices.Equal(names, want) {
			t.Fatalf("files still in the pod: %q, want %q", names, want)
		}
	}
	same := func(name string) {
		t.Helper()
		want, _ := os.ReadFile(filepath.Join(pod, name))
		got, err := os.ReadFile(filepath.Join(root, name))
		if err != nil || string(got) != string(want) {
			t.Fatalf("copy of %s = %q, %v; want %q", name, got, err, want)
		}
	}
	sync("spans/a.jsonl", "logs/b.jsonl")
	same("spans/a.jsonl")
	same("logs/b.jsonl")

	write(open, " 2\nlog 3\n")
	// The closed file, copied entirely, goes; the open one stays.
	sync("logs/b.jsonl")
	if _, err := os.Stat(filepath.Join(pod, "spans", "a.jsonl")); !os.IsNotExist(err) {
		t.Fatalf("a closed file copied entirely is still in the pod: %v", err)
	}
	same("logs/b.jsonl")

	// A runner killed while appending left a copy that ends mid-line.
	if err := os.Truncate(filepath.Join(root, "logs", "b.jsonl"), 8); err != nil {
		t.Fatal(err)
	}
	write(open, "log 4\n")
	open.Close()
	sync("logs/b.jsonl")
	same("logs/b.jsonl")
	sync() // closed and copied: deleted
	if b, _ := os.ReadFile(filepath.Join(root, "logs", "b.jsonl")); string(b) != "log 1\nlog 2\nlog 3\nlog 4\n" {
		t.Fatalf("final copy %q", b)
	}
}

// TestReadSyncRefusesBadNames checks that file names sent by a pod cannot
// leave the observability directory, and that output cut short is an
// error.
func TestReadSyncRefusesBadNames(t *testing.T) {
	root := t.TempDir()
	for _, out := range []string{
		`{"name":"../x.jsonl","offset":0,"n":1}` + "\nx",
		`{"name":"spans/../../x.jsonl","offset":0,"n":1}` + "\nx",
		`{"name":"other/x.jsonl","offset":0,"n":1}` + "\nx",
		`{"name":"spans/.hidden.jsonl","offset":0,"n":1}` + "\nx",
		`{"name":"spans/x.jsonl","offset":0,"n":1}` + "\nx", // no end line
	} {
		if _, err := readSync(bufio.NewReader(strings.NewReader(out)), root); err == nil {
			t.Errorf("readSync(%q) = nil error", out)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(root))
	for _, e := range entries {
		if e.Name() == "x.jsonl" {
			t.Errorf("a file was written outside the copies' directory")
		}
	}
}
