//go:build unix

package command

import (
	"os/exec"
	"syscall"
)

// setProcessGroup runs cmd in its own process group and makes cancelling
// its context kill the whole group (npm and the mastra CLI start children).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
}

// killGroup kills what is left of the process group pgid; ESRCH just
// means nothing is.
func killGroup(pgid int) { _ = syscall.Kill(-pgid, syscall.SIGKILL) }
