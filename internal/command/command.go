// Package command runs the external commands of a build (npm, the mastra
// CLI, the bundler's node build script) for runner/local and bundler, so
// that both treat them alike: each command runs in a process group of its
// own; its output reaches a callback line by line as it is written, with
// terminal escape sequences removed; cancelling the context kills the
// whole group, and so does the command's end, so nothing a step started
// outlives it; a failure gives an *Error naming the command with the first
// and last lines it wrote.
package command

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"
)

const (
	// HeadLines and TailLines are how many of a failed command's first and
	// last output lines its Error carries.
	HeadLines = 10
	TailLines = 20
	// MaxLine caps one output line; longer output is split.
	MaxLine = 64 << 10
	// MaxCapture caps the standard output a Capture command returns.
	MaxCapture = 64 << 20
	// drainAfterExit bounds how long output is still read after a command
	// exited, in case something outside its process group holds the pipes.
	drainAfterExit = 2 * time.Second
)

// Error reports a failed command. Its message names the step, the command
// and its directory, the exit status, and the first and last lines the
// command wrote to stderr (stdout when stderr was empty): tools print the
// cause first (npm's "npm error code …") or last (a stack trace).
type Error struct {
	Phase   string   // the step: install, build, …
	Command string   // the command line as run
	Dir     string   // its working directory
	Err     error    // *exec.ExitError, or the context's error when cancelled
	Output  []string // the first and last output lines
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.Phase != "" {
		b.WriteString(e.Phase + ": ")
	}
	fmt.Fprintf(&b, "%s (in %s): %v", e.Command, e.Dir, e.Err)
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
// cancelled command, context.DeadlineExceeded for one that timed out.
func (e *Error) Unwrap() error { return e.Err }

// Cmd is one command to run.
type Cmd struct {
	// Phase names the step in the Error (install, build, …).
	Phase string
	// Path is the executable, Args its arguments.
	Path string
	Args []string
	// Dir is the working directory, Env the whole environment
	// ("KEY=value").
	Dir string
	Env []string
	// Line receives each output line, without its line ending, with stream
	// "stdout" or "stderr". Run never calls it concurrently. Nil discards.
	Line func(stream, text string)
	// Capture returns standard output (up to MaxCapture bytes) from Run
	// instead of sending it to Line.
	Capture bool
	// Started, when set, is called once the process runs, with its pid,
	// which is also its process group's id; the function it returns, when
	// not nil, is called after the command and its group ended.
	Started func(pid int) (ended func())
}

// String is the command line.
func (c Cmd) String() string {
	return strings.Join(append([]string{c.Path}, c.Args...), " ")
}

// Run runs c and waits for it and its process group. It returns the
// captured standard output when c.Capture is set. A command that fails to
// start or exits non-zero gives an *Error.
func Run(ctx context.Context, c Cmd) ([]byte, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	setProcessGroup(cmd)

	var mu sync.Mutex
	emit := func(stream, text string) {
		if c.Line == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		c.Line(stream, text)
	}
	fail := func(err error, out []string) *Error {
		return &Error{Phase: c.Phase, Command: c.String(), Dir: c.Dir, Err: err, Output: out}
	}

	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, fail(err, nil)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, fail(err, nil)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close() // the child holds its own copies
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, fail(err, nil)
	}
	if c.Started != nil {
		if ended := c.Started(cmd.Process.Pid); ended != nil {
			defer ended()
		}
	}

	var stdout, stderr excerpt
	var captured capture
	var readers sync.WaitGroup
	readers.Go(func() {
		if c.Capture {
			_, _ = io.Copy(&captured, outR)
			return
		}
		readLines(outR, func(s string) { emit("stdout", s); stdout.add(s) })
	})
	readers.Go(func() {
		readLines(errR, func(s string) { emit("stderr", s); stderr.add(s) })
	})
	waitErr := cmd.Wait()
	// Leftovers of the group (a watcher a tool forgot) must not outlive the
	// step.
	killGroup(cmd.Process.Pid)
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
		return captured.Bytes(), nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		waitErr = fmt.Errorf("%w (%v)", ctxErr, waitErr)
	}
	last := stderr.lines()
	if len(last) == 0 {
		last = stdout.lines()
	}
	return captured.Bytes(), fail(waitErr, last)
}

// ansi matches terminal escape sequences (colours, cursor moves): the mastra
// CLI colours its output even when it is not a terminal, and NO_COLOR does
// not stop it. Log lines are plain text.
var ansi = regexp.MustCompile(`\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(\x07|\x1b\\)`)

// readLines calls fn for each line read from r, without the line ending;
// lines longer than MaxLine are split, and escape sequences removed.
func readLines(r io.Reader, fn func(string)) {
	br := bufio.NewReaderSize(r, MaxLine)
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

// capture keeps the first MaxCapture bytes written to it.
type capture struct{ bytes.Buffer }

func (b *capture) Write(p []byte) (int, error) {
	if room := MaxCapture - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// excerpt keeps the first HeadLines and the last TailLines lines added to
// it.
type excerpt struct {
	head  []string
	tail  []string
	total int
}

func (e *excerpt) add(s string) {
	e.total++
	if len(e.head) < HeadLines {
		e.head = append(e.head, s)
		return
	}
	if len(e.tail) == TailLines {
		e.tail = append(e.tail[:0], e.tail[1:]...)
	}
	e.tail = append(e.tail, s)
}

// lines returns the kept lines, with a marker where lines were left out.
func (e *excerpt) lines() []string {
	out := append([]string(nil), e.head...)
	if skipped := e.total - len(e.head) - len(e.tail); skipped > 0 {
		out = append(out, fmt.Sprintf("[… %d lines …]", skipped))
	}
	return append(out, e.tail...)
}
