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

// serverRecords matches, relative to the folder of an artifact's directory
// (its build's directory), the records of the servers started from it:
// server-{pid}.pgid, written when the process starts. A record outlives
// the start, so that a server whose admin died before recording it (while
// it started, or just after) is found and ended by the next admin's
// ReapBuild; one whose server was handed over is removed then.
const serverRecords = ".runner/server-*.pgid"

func serverRecord(artifactDir string, pid int) string {
	return filepath.Join(filepath.Dir(artifactDir), ".runner", fmt.Sprintf("server-%d.pgid", pid))
}

// maxRecord caps the size of a record read back.
const maxRecord = 64 << 10

// buildRecord names the process group of a running install or build
// command, or of a server being started. Handle (boot id and start time of
// the group's leader, as RunningServer.Handle) tells the process apart
// from a later one that reused its pid; Owner and OwnerHandle name the
// admin process that started it, which is left to finish what it started
// while it lives (records without them, from earlier versions, have no
// owner).
type buildRecord struct {
	PGID        int    `json:"pgid"`
	Handle      string `json:"handle"`
	Command     string `json:"command"`
	Owner       int    `json:"owner,omitempty"`
	OwnerHandle string `json:"ownerHandle,omitempty"`
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
	b, err := json.Marshal(buildRecord{PGID: pid, Handle: handleOf(r.boot, st), Command: cmdline,
		Owner: os.Getpid(), OwnerHandle: r.self})
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

// ReapBuild ends what an admin process that died left running from dir
// (BuildSpec.Dir, a build's directory): the install or build command it
// recorded there, and the servers it started from the artifact in dir but
// never handed over (it died while they started, or before it recorded
// them). Each gets SIGTERM on its process group, then SIGKILL after
// StopGrace. A record whose admin process still runs is left alone (it may
// be another admin sharing the build directory), as is a server this runner
// started or reattached (it was handed over: its record goes). It acts
// only on a process that is still the one recorded (same start time) and
// that works inside dir, so a reused pid, or a record forged by project
// code, never ends anything else. It removes what it handled and returns
// nil when nothing recorded still runs; calling it again does nothing, and
// calling it on any build's directory is safe.
func (r *Runner) ReapBuild(ctx context.Context, dir string) error {
	if err := r.checkOpen("reap build"); err != nil {
		return err
	}
	if dir == "" || !filepath.IsAbs(dir) {
		return fmt.Errorf("local: reap build: %w", &admin.ValidationError{Field: "dir",
			Reason: fmt.Sprintf("%q must be an absolute path", dir)})
	}
	dir = filepath.Clean(dir)
	servers, err := filepath.Glob(filepath.Join(dir, serverRecords))
	if err != nil {
		return fmt.Errorf("local: reap build in %s: %w", dir, err)
	}
	var errs []error
	for _, path := range append([]string{filepath.Join(dir, recordFile)}, servers...) {
		rec, err := readRecord(path)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			r.log.Warn("ignoring an unreadable build record", "path", path, "err", err)
			removeRecord(path)
			continue
		case r.ownerAlive(rec):
			continue
		case r.known(rec):
			removeRecord(path) // a server handed over to an admin
			continue
		}
		if err := r.reapGroup(ctx, dir, rec); err != nil {
			errs = append(errs, err)
			continue
		}
		removeRecord(path)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("local: reap build in %s: %w", dir, err)
	}
	return nil
}

// ownerAlive reports whether the admin process that wrote rec still runs.
func (r *Runner) ownerAlive(rec buildRecord) bool {
	if rec.Owner <= 0 || rec.OwnerHandle == "" {
		return false
	}
	st, err := readStat(rec.Owner)
	return err == nil && st.alive() && handleOf(r.boot, st) == rec.OwnerHandle
}

// known reports whether rec names a server this runner started or
// reattached.
func (r *Runner) known(rec buildRecord) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.procs[rec.PGID]
	return p != nil && p.server.Handle == rec.Handle
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
