//go:build unix

package command

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// sh runs script with /bin/sh and records what Line got.
func sh(ctx context.Context, t *testing.T, script string, edit func(*Cmd)) ([]string, []byte, error) {
	t.Helper()
	var lines []string
	c := Cmd{Phase: "build", Path: "/bin/sh", Args: []string{"-c", script}, Dir: t.TempDir(),
		Line: func(stream, text string) { lines = append(lines, stream+": "+text) }}
	if edit != nil {
		edit(&c)
	}
	out, err := Run(ctx, c)
	return lines, out, err
}

func TestRunSendsLines(t *testing.T) {
	long := strings.Repeat("x", MaxLine+10)
	lines, _, err := sh(context.Background(), t,
		`printf 'one\r\ntwo\n'; printf '\033[32mgreen\033[0m\n' >&2; printf '`+long+`'; printf 'tail without newline' >&2`, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"stdout: one", "stdout: two", "stderr: green", "stdout: " + long[:MaxLine], "stdout: xxxxxxxxxx", "stderr: tail without newline"} {
		if !slices.Contains(lines, want) {
			t.Errorf("no line %.40q… in %d lines", want, len(lines))
		}
	}
}

func TestRunFailure(t *testing.T) {
	var script strings.Builder
	for i := range 100 {
		script.WriteString("echo line" + strconv.Itoa(i) + " >&2; ")
	}
	script.WriteString("exit 3")
	_, _, err := sh(context.Background(), t, script.String(), nil)
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Run = %v; want an *Error", err)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Errorf("the cause is %v; want exit status 3", e.Err)
	}
	if len(e.Output) != HeadLines+1+TailLines || e.Output[0] != "line0" || e.Output[HeadLines] != "[… 70 lines …]" || e.Output[len(e.Output)-1] != "line99" {
		t.Errorf("Output = %q", e.Output)
	}
	if msg := err.Error(); !strings.HasPrefix(msg, "build: /bin/sh -c ") || !strings.Contains(msg, "exit status 3") || !strings.Contains(msg, "\n  line99") {
		t.Errorf("message %q", msg)
	}

	// stdout stands in when stderr is empty.
	_, _, err = sh(context.Background(), t, "echo only-stdout; exit 1", nil)
	if !errors.As(err, &e) || !slices.Equal(e.Output, []string{"only-stdout"}) {
		t.Errorf("Run = %v", err)
	}
	// A command that cannot start.
	_, err = Run(context.Background(), Cmd{Path: filepath.Join(t.TempDir(), "missing")})
	if !errors.As(err, &e) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Run of a missing executable = %v", err)
	}
}

func TestRunCapture(t *testing.T) {
	lines, out, err := sh(context.Background(), t, `echo '{"a":1}'; echo warn >&2`, func(c *Cmd) { c.Capture = true })
	if err != nil || string(out) != "{\"a\":1}\n" || !slices.Equal(lines, []string{"stderr: warn"}) {
		t.Errorf("Run = %q, %v; lines %q", out, err, lines)
	}
}

// TestRunEndsTheGroup: what a command leaves running in its group is
// killed when it exits, and cancelling the context kills the whole group.
func TestRunEndsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "child")
	var leader int
	ended := false
	_, _, err := sh(context.Background(), t, `sleep 300 >/dev/null 2>&1 & echo $! > `+pidFile, func(c *Cmd) {
		c.Started = func(pid int) func() { leader = pid; return func() { ended = true } }
	})
	if err != nil {
		t.Fatal(err)
	}
	if leader <= 0 || !ended {
		t.Errorf("Started got pid %d, ended called: %v", leader, ended)
	}
	waitGone(t, readPid(t, pidFile))

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := sh(ctx, t, `sleep 300 >/dev/null 2>&1 & echo $! > `+pidFile+`.2; wait`, nil)
		errc <- err
	}()
	child := 0
	for deadline := time.Now().Add(10 * time.Second); child == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if b, err := os.ReadFile(pidFile + ".2"); err == nil && strings.HasSuffix(string(b), "\n") {
			child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
	}
	if child == 0 {
		t.Fatal("the command did not start its child")
	}
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Errorf("Run after cancel = %v; want context.Canceled", err)
	}
	waitGone(t, child)
}

func readPid(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// waitGone waits until pid no longer runs (a zombie counts as gone: its
// parent, the shell, is dead too and init reaps it).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			return
		}
		if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil && strings.Contains(string(b), ") Z ") {
			return
		}
	}
	t.Errorf("process %d still runs", pid)
}
