//go:build linux

package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// procStat is what the runner reads from /proc/{pid}/stat.
type procStat struct {
	pid, ppid, pgid int
	state           byte   // R, S, D, Z, T, …
	start           uint64 // start time in clock ticks after boot (field 22)
}

// alive reports whether the process still runs: a zombie has exited and
// only waits to be reaped.
func (s procStat) alive() bool { return s.state != 'Z' && s.state != 'X' }

// errNoProcess is returned by readStat when no process has the pid.
var errNoProcess = errors.New("no such process")

// readStat reads /proc/{pid}/stat. It returns errNoProcess when the process
// does not exist.
func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, os.ErrProcessDone) {
			return procStat{}, errNoProcess
		}
		// ESRCH shows up when the process vanishes while being read.
		if strings.Contains(err.Error(), "no such process") {
			return procStat{}, errNoProcess
		}
		return procStat{}, err
	}
	return parseStat(pid, string(b))
}

// parseStat parses the text of /proc/{pid}/stat. The command name (field 2)
// is in parentheses and may itself contain spaces and parentheses, so the
// fields are counted from the last ')'.
func parseStat(pid int, s string) (procStat, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: no command name", pid)
	}
	// After ") ": field 3 (state) is f[0], so field n is f[n-3].
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %d fields after the command name, want at least 20", pid, len(f))
	}
	ppid, err1 := strconv.Atoi(f[1])
	pgid, err2 := strconv.Atoi(f[2])
	start, err3 := strconv.ParseUint(f[19], 10, 64)
	if err := errors.Join(err1, err2, err3); err != nil || len(f[0]) != 1 {
		return procStat{}, fmt.Errorf("parse /proc/%d/stat: %w", pid, errors.Join(err, errors.New("malformed fields")))
	}
	return procStat{pid: pid, ppid: ppid, pgid: pgid, state: f[0][0], start: start}, nil
}

// listProcs reads the stat of every process on the machine. Processes that
// exit while being listed are left out.
func listProcs() ([]procStat, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	out := make([]procStat, 0, len(entries))
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !e.IsDir() {
			continue
		}
		st, err := readStat(pid)
		if err != nil {
			continue // gone, or unreadable: not ours to manage
		}
		out = append(out, st)
	}
	return out, nil
}

// bootID identifies the current boot of the machine, so that a handle
// recorded before a reboot never matches a process after it.
func bootID() string {
	b, err := os.ReadFile(filepath.Join("/proc/sys/kernel/random/boot_id"))
	if err != nil {
		return "unknown-boot"
	}
	return strings.TrimSpace(string(b))
}

// handleOf is the RunningServer.Handle of a process: the boot id and the
// process start time. A pid reused by another process, or after a reboot,
// has a different handle.
func handleOf(boot string, st procStat) string {
	return boot + ":" + strconv.FormatUint(st.start, 10)
}
