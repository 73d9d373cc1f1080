//go:build linux

package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// recordFile is where, relative to BuildSpec.Dir, a build names the process
// group of the command it is running.
const recordFile = ".runner/build.pgid"

// maxRecord caps the size of a record read back.
const maxRecord = 64 << 10

// buildRecord names the process group of a running install or build
// command. Handle (boot id and start time of the group's leader, as
// RunningServer.Handle) tells the process apart from a later one that
// reused its pid.
type buildRecord struct {
	PGID    int    `json:"pgid"`
	Handle  string `json:"handle"`
	Command string `json:"command"`
}

// recorder returns a command.Cmd Started hook that records, in path, that
// the command cmdline started as pid (the leader of its own process group)
// runs, and removes the record when it ended. onErr hears of a record that
// could not be written.
func (r *Runner) recorder(path, cmdline string, onErr func(error)) func(pid int) func() {
	return func(pid int) func() {
		if err := r.writeRecord(path, pid, cmdline); err != nil {
			onErr(err)
		}
		return func() { removeRecord(path) }
	}
}

// writeRecord records that the command started as pid (the leader of its
// own process group) runs, replacing path atomically.
func (r *Runner) writeRecord(path string, pid int, cmdline string) error {
	st, err := readStat(pid)
	if err != nil {
		return err
	}
	b, err := json.Marshal(buildRecord{PGID: pid, Handle: handleOf(r.boot, st), Command: cmdline})
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".pgid-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// removeRecord removes a record and its folder when that is empty.
func removeRecord(path string) {
	_ = os.Remove(path)
	_ = os.Remove(filepath.Dir(path))
}

var _ admin.BuildReaper = (*Runner)(nil)

// ReapBuild ends what is left of a build interrupted by the death of the
// process that ran it (an admin killed during a build): the install or build
// command recorded under dir (BuildSpec.Dir) and its process group get
// SIGTERM, then SIGKILL after StopGrace. It acts only on a process that is
// still the one recorded (same start time) and that works inside dir, so a
// reused pid, or a record forged by project code, never ends anything
// else. It removes the record and returns nil when nothing was recorded or
// nothing recorded still runs; calling it again does nothing.
func (r *Runner) ReapBuild(ctx context.Context, dir string) error {
	if err := r.checkOpen("reap build"); err != nil {
		return err
	}
	if dir == "" || !filepath.IsAbs(dir) {
		return fmt.Errorf("local: reap build: %w", &admin.ValidationError{Field: "dir",
			Reason: fmt.Sprintf("%q must be an absolute path", dir)})
	}
	dir = filepath.Clean(dir)
	path := filepath.Join(dir, recordFile)
	rec, err := readRecord(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		r.log.Warn("ignoring an unreadable build record", "path", path, "err", err)
		removeRecord(path)
		return nil
	}
	if err := r.reapGroup(ctx, dir, rec); err != nil {
		return fmt.Errorf("local: reap build in %s: %w", dir, err)
	}
	removeRecord(path)
	return nil
}

// readRecord reads and checks a build record.
func readRecord(path string) (buildRecord, error) {
	var rec buildRecord
	f, err := os.Open(path)
	if err != nil {
		return rec, err
	}
	defer f.Close()
	b := make([]byte, maxRecord+1)
	n, _ := f.Read(b)
	if n > maxRecord {
		return rec, fmt.Errorf("larger than %d bytes", maxRecord)
	}
	if err := json.Unmarshal(b[:n], &rec); err != nil {
		return rec, err
	}
	if rec.PGID <= 1 || rec.Handle == "" {
		return rec, fmt.Errorf("pgid %d, handle %q: want a process group id above 1 and a handle", rec.PGID, rec.Handle)
	}
	return rec, nil
}

// reapGroup ends the recorded process group when it is still the build's.
func (r *Runner) reapGroup(ctx context.Context, dir string, rec buildRecord) error {
	if rec.PGID == os.Getpid() || rec.PGID == syscall.Getpgrp() {
		r.log.Warn("build record names this process; ignoring it", "pgid", rec.PGID)
		return nil
	}
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		root = dir
	}
	leader, err := readStat(rec.PGID)
	switch {
	case err != nil && !errors.Is(err, errNoProcess):
		return err
	case err == nil && handleOf(r.boot, leader) != rec.Handle:
		return nil // the pid belongs to another process now: ours is gone
	case err == nil && leader.alive():
		if leader.pgid != rec.PGID || !within(root, rec.PGID) {
			r.log.Warn("build record names a process that is not a build's; leaving it alone", "pid", rec.PGID)
			return nil
		}
	default:
		// The leader exited; members of its group may still run (a process
		// group id is not reused while the group has members). Only a group
		// whose every member works inside dir is the build's.
		all, err := listProcs()
		if err != nil {
			return err
		}
		members := 0
		for _, q := range all {
			if q.pgid != rec.PGID || !q.alive() {
				continue
			}
			if !within(root, q.pid) {
				r.log.Warn("process group of a build record has members outside the build; leaving it alone", "pgid", rec.PGID, "pid", q.pid)
				return nil
			}
			members++
		}
		if members == 0 {
			return nil
		}
	}
	r.log.Info("ending the processes of an interrupted build", "pgid", rec.PGID, "command", rec.Command)
	return r.kill(ctx, rec.PGID, rec.Handle)
}

// within reports whether the working directory of process pid is root or
// inside it.
func within(root string, pid int) bool {
	cwd, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return false
	}
	cwd = strings.TrimSuffix(cwd, " (deleted)")
	rel, err := filepath.Rel(root, cwd)
	return err == nil && filepath.IsLocal(rel)
}
