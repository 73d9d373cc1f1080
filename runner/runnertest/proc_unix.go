//go:build unix

package runnertest

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// processAlive reports whether pid is a running process: a zombie (exited,
// not yet reaped) counts as gone.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); err == nil {
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i >= 0 && len(s) > i+2 {
			return s[i+2] != 'Z' && s[i+2] != 'X'
		}
		return true
	} else if _, statErr := os.Stat("/proc/self"); statErr == nil {
		return false // /proc works and has no such pid
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}

// kill sends SIGKILL to pid: the suite's last resort against leftovers.
func kill(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
