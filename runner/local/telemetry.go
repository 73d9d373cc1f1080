package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// The observability files of a server started from an artifact are those
// bundler.ServerEnv points it at: {build dir}/observability/{spans,logs}/
// *.jsonl, the build directory being the artifact directory's parent (see
// observabilityEnv). A file is closed when no process holds it open: the
// writer keeps its current file open until it rotates it or exits, and
// never reopens a file it let go of, so a file seen on disk and then found
// open by no process will never grow again.

// TelemetryFiles lists the observability files of the servers started from
// artifact, sorted by name; none when the build directory has none.
func (r *Runner) TelemetryFiles(ctx context.Context, artifact admin.Artifact) ([]admin.TelemetryFile, error) {
	root, err := telemetryRoot(artifact)
	if err != nil {
		return nil, err
	}
	var files []admin.TelemetryFile
	for _, kind := range []string{admin.TelemetrySpans, admin.TelemetryLogs} {
		entries, err := os.ReadDir(filepath.Join(root, kind))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("local: telemetry files: %w", err)
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".jsonl") {
				continue
			}
			info, err := e.Info()
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed meanwhile
			}
			if err != nil {
				return nil, fmt.Errorf("local: telemetry files: %w", err)
			}
			files = append(files, admin.TelemetryFile{Name: kind + "/" + e.Name(), Kind: kind, Size: info.Size(),
				ModTime: info.ModTime().UTC()})
		}
	}
	if len(files) == 0 {
		return nil, ctx.Err()
	}
	// Only after listing: a file created later is not in the list, and one
	// listed that no process holds now is closed for good.
	// /proc shows paths with links resolved.
	real, err := filepath.EvalSymlinks(root)
	if err != nil {
		return nil, fmt.Errorf("local: telemetry files: %w", err)
	}
	open, err := openUnder(real)
	if err != nil {
		return nil, fmt.Errorf("local: telemetry files: %w", err)
	}
	for i := range files {
		files[i].Closed = !open[filepath.Join(real, filepath.FromSlash(files[i].Name))]
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// OpenTelemetryFile opens the named file of artifact at offset.
func (r *Runner) OpenTelemetryFile(ctx context.Context, artifact admin.Artifact, name string, offset int64) (io.ReadCloser, error) {
	path, err := telemetryPath(artifact, name)
	if err != nil {
		return nil, err
	}
	if offset < 0 {
		return nil, fmt.Errorf("local: open telemetry file %q: negative offset %d: %w", name, offset, admin.ErrInvalidArgument)
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("local: open telemetry file %q: %w", name, admin.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("local: open telemetry file %q: %w", name, err)
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("local: open telemetry file %q: %w", name, err)
	}
	return f, ctx.Err()
}

// RemoveTelemetryFile deletes the named file of artifact.
func (r *Runner) RemoveTelemetryFile(ctx context.Context, artifact admin.Artifact, name string) error {
	path, err := telemetryPath(artifact, name)
	if err != nil {
		return err
	}
	err = os.Remove(path)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("local: remove telemetry file %q: %w", name, admin.ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("local: remove telemetry file %q: %w", name, err)
	}
	return ctx.Err()
}

// telemetryRoot is the observability directory of servers started from
// artifact.
func telemetryRoot(artifact admin.Artifact) (string, error) {
	if artifact.Dir == "" || !filepath.IsAbs(artifact.Dir) {
		return "", fmt.Errorf("local: artifact directory %q is not absolute: %w", artifact.Dir, admin.ErrInvalidArgument)
	}
	return filepath.Join(filepath.Dir(filepath.Clean(artifact.Dir)), "observability"), nil
}

// telemetryPath checks a TelemetryFile name ("{kind}/{file}.jsonl") and
// returns its path.
func telemetryPath(artifact admin.Artifact, name string) (string, error) {
	root, err := telemetryRoot(artifact)
	if err != nil {
		return "", err
	}
	kind, file, ok := strings.Cut(name, "/")
	if !ok || kind != admin.TelemetrySpans && kind != admin.TelemetryLogs || file == "" || file == "." ||
		file == ".." || strings.ContainsAny(file, `/\`) || !strings.HasSuffix(file, ".jsonl") {
		return "", fmt.Errorf("local: telemetry file name %q is not {spans|logs}/{file}.jsonl: %w", name, admin.ErrInvalidArgument)
	}
	return filepath.Join(root, kind, file), nil
}

// openUnder returns the paths under root that some process holds open, as
// /proc/{pid}/fd shows them. Processes this one may not look into (other
// users') are skipped: servers run as this user.
func openUnder(root string) (map[string]bool, error) {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil, err
	}
	prefix := root + string(filepath.Separator)
	open := map[string]bool{}
	for _, p := range procs {
		if p.Name()[0] < '0' || p.Name()[0] > '9' {
			continue
		}
		fdDir := "/proc/" + p.Name() + "/fd"
		fds, err := os.ReadDir(fdDir)
		if err != nil {
			continue // gone, or not ours
		}
		for _, fd := range fds {
			target, err := os.Readlink(fdDir + "/" + fd.Name())
			if err == nil && strings.HasPrefix(target, prefix) {
				open[target] = true
			}
		}
	}
	return open, nil
}

var _ admin.TelemetrySource = (*Runner)(nil)
