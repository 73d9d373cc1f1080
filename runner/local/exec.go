//go:build linux

package local

import (
	"context"
	"fmt"
	"sync"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/command"
)

// tailLines is how many of server.log's last lines a failed start reports.
const tailLines = command.TailLines

// CommandError reports a failed install or build command: the step, the
// command line and directory, the exit status (or the context's error when
// the build was cancelled or timed out, which errors.Is finds) and the
// first and last lines the command wrote to stderr (stdout when stderr was
// empty). The bundler's commands fail with the same type.
type CommandError = command.Error

// cmd is one process run during a build.
type cmd struct {
	phase string
	path  string // executable
	args  []string
	dir   string
	env   []string
	// record, when set, is the file that names the command's process
	// group while it runs, for ReapBuild.
	record string
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

// run runs c in its own process group (see package command), sending every
// output line to log as it is written. While it runs, c.record (when set)
// names its process group, so that ReapBuild can end it should this process
// die first.
func (r *Runner) run(ctx context.Context, c cmd, log *syncLog) error {
	cc := command.Cmd{Phase: c.phase, Path: c.path, Args: c.args, Dir: c.dir, Env: c.env,
		Line: func(stream, text string) { log.line(c.phase, stream, text) }}
	log.line(c.phase, "", "$ "+cc.String())
	if c.record != "" {
		cc.Started = r.recorder(c.record, cc.String(), func(err error) {
			// Not fatal: only an admin that dies during this command needs it.
			log.line(c.phase, "", "could not record the process group for a later cleanup: "+err.Error())
		})
	}
	if _, err := command.Run(ctx, cc); err != nil {
		return fmt.Errorf("local: %w", err)
	}
	return nil
}
