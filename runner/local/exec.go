//go:build linux

package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

const (
	// headLines and tailLines are how many of a failed command's first and
	// last output lines its error carries.
	headLines = 10
	tailLines = 20
	// maxLine caps one log line; longer output is split.
	maxLine = 64 << 10
	// drainAfterExit bounds how long output is still read after a command
	// exited, in case something outside its process group holds the pipes.
	drainAfterExit = 2 * time.Second
)

// CommandError reports a failed install or build command. Its message
// names the command and directory, the exit status and the first and last
// lines the command wrote to stderr (or stdout when stderr was empty).
type CommandError struct {
	Phase   string   // install or build
	Command string   // the command line as run
	Dir     string   // its working directory
	Err     error    // *exec.ExitError, or the context's error when cancelled
	Output  []string // the first and last output lines
}

func (e *CommandError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "local: %s: %s (in %s): %v", e.Phase, e.Command, e.Dir, e.Err)
	if len(e.Output) > 0 {
		b.WriteString("\noutput:")
		for _, l := range e.Output {
			b.WriteString("\n  ")
			b.WriteString(l)
		}
	}
	return b.String()
}

// Unwrap gives access to the cause, so errors.Is(err, context.Canceled)
// works for a cancelled build.
func (e *CommandError) Unwrap() error { return e.Err }

// command is one process run during a build.
type command struct {
	phase string
	path  string // executable
	args  []string
	dir   string
	env   []string
	// record, when set, is the file that names the command's process
	// group while it runs, for ReapBuild.
	record string
}

func (c command) String() string {
	return strings.Join(append([]string{c.path}, c.args...), " ")
}

// syncLog serializes calls to a LogFunc, which the runner promises never to
// call concurrently.
type syncLog struct {
	mu sync.Mutex
	fn admin.LogFunc
}

func (l *syncLog) line(phase, stream, text string) {
	if l.fn == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.fn(phase, stream, text)
}

// run runs c in its own process group, sending every output line to log as
// it is written. When ctx ends the whole group is killed; when the command
// exits, whatever it left running in its group is killed too. While it
// runs, c.record (when set) names its process group, so that ReapBuild can
// end it should this process die first.
func (r *Runner) run(ctx context.Context, c command, log *syncLog) error {
	log.line(c.phase, "", "$ "+c.String())
	cmd := exec.CommandContext(ctx, c.path, c.args...)
	cmd.Dir = c.dir
	cmd.Env = c.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }

	outR, outW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("local: %s: %w", c.phase, err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return fmt.Errorf("local: %s: %w", c.phase, err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close() // the child holds its own copies
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return &CommandError{Phase: c.phase, Command: c.String(), Dir: c.dir, Err: err}
	}

	if c.record != "" {
		if err := r.writeRecord(c.record, cmd.Process.Pid, c.String()); err != nil {
			// Not fatal: only an admin that dies during this command needs it.
			log.line(c.phase, "", "could not record the process group for a later cleanup: "+err.Error())
		}
		defer removeRecord(c.record)
	}

	var stdout, stderr excerpt
	var readers sync.WaitGroup
	readers.Go(func() {
		readLines(outR, func(s string) { log.line(c.phase, "stdout", s); stdout.add(s) })
	})
	readers.Go(func() {
		readLines(errR, func(s string) { log.line(c.phase, "stderr", s); stderr.add(s) })
	})
	waitErr := cmd.Wait()
	// Leftovers of the group (a watcher a tool forgot) must not outlive the
	// step; ESRCH just means there are none.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	done := make(chan struct{})
	go func() { readers.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(drainAfterExit):
		outR.Close() // unblocks the readers
		errR.Close()
		<-done
	}
	outR.Close()
	errR.Close()

	if waitErr == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		waitErr = fmt.Errorf("%w (%v)", ctxErr, waitErr)
	}
	last := stderr.lines()
	if len(last) == 0 {
		last = stdout.lines()
	}
	return &CommandError{Phase: c.phase, Command: c.String(), Dir: c.dir, Err: waitErr, Output: last}
}

// ansi matches terminal escape sequences (colours, cursor moves): the mastra
// CLI colours its output even when it is not a terminal, and NO_COLOR does
// not stop it. Log lines are plain text.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)`)

// readLines calls fn for each line read from r, without the line ending;
// lines longer than maxLine are split, and escape sequences removed.
func readLines(r io.Reader, fn func(string)) {
	br := bufio.NewReaderSize(r, maxLine)
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 {
			fn(ansi.ReplaceAllString(strings.TrimRight(string(line), "\r\n"), ""))
		}
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return
		}
	}
}

// excerpt keeps the first headLines and the last tailLines lines written to
// it: tools print the cause of a failure first (npm's "npm error code
// EUSAGE" before pages of usage) or last (a stack trace).
type excerpt struct {
	mu    sync.Mutex
	head  []string
	tail  []string
	total int
}

func (e *excerpt) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.total++
	if len(e.head) < headLines {
		e.head = append(e.head, s)
		return
	}
	if len(e.tail) == tailLines {
		e.tail = append(e.tail[:0], e.tail[1:]...)
	}
	e.tail = append(e.tail, s)
}

// lines returns the kept lines, with a marker where lines were left out.
func (e *excerpt) lines() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := append([]string(nil), e.head...)
	if skipped := e.total - len(e.head) - len(e.tail); skipped > 0 {
		out = append(out, fmt.Sprintf("[… %d lines …]", skipped))
	}
	return append(out, e.tail...)
}
