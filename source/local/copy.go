package local

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// copyChunk is how much file content is copied between two checks of the
// context.
const copyChunk = 8 << 20

// GetProjectPath copies the project named by config into targetDir and
// returns targetDir (absolute). The local source has no versions: ref must
// be "" (anything else is admin.ErrNotSupported).
//
// targetDir is created when missing; an existing one must be an empty
// directory (else admin.ErrConflict), and it must neither lie inside the
// project nor contain it (admin.ErrInvalidArgument). The copy leaves out
// node_modules, .git, .mastra, build outputs and Options.Skip at any depth,
// and sockets, pipes and devices; it keeps permission bits (not setuid,
// setgid or sticky; directories also get owner rwx so the build can write
// to them) and modification times of files and directories. Symbolic links
// that stay inside the project are copied as relative links; one that
// points outside fails the copy with admin.ErrInvalidArgument naming it.
// Exceeding Options.MaxFiles or Options.MaxBytes fails the copy with
// admin.ErrInvalidArgument naming the limit. On every error, including a
// cancelled ctx, what was copied is removed.
func (s *Source) GetProjectPath(ctx context.Context, config map[string]string, ref, targetDir string) (string, error) {
	if ref != "" {
		return "", fmt.Errorf("source/local: ref %q: the local source has no versions, it copies the directory as it is (pass ref \"\"): %w", ref, admin.ErrNotSupported)
	}
	p, err := s.open(ctx, config)
	if err != nil {
		return "", err
	}
	defer p.root.Close()
	t, err := prepareTarget(p, targetDir)
	if err != nil {
		return "", fmt.Errorf("source/local: copy project %q: %w", p.rel, err)
	}
	defer t.root.Close()

	start := time.Now()
	c := &copier{ctx: ctx, s: s, project: p}
	err = c.tree(p.root, t.root, ".")
	if err == nil {
		var info fs.FileInfo
		if info, err = p.root.Stat("."); err == nil {
			err = finishDir(t.root, ".", info)
		}
	}
	if err != nil {
		c.removeCopy(t)
		return "", fmt.Errorf("source/local: copy project %q to %s: %w", p.rel, t.path, err)
	}
	s.log.DebugContext(ctx, "project copied", "path", p.rel, "target", t.path,
		"entries", c.entries, "bytes", c.bytes, "duration", time.Since(start))
	return t.path, nil
}

// target is the directory a copy goes to.
type target struct {
	path     string   // absolute, as the caller named it
	resolved string   // symlinks resolved
	created  bool     // made by this copy
	root     *os.Root // confined to resolved
}

// prepareTarget checks targetDir against the project, creates it when
// missing and opens it.
func prepareTarget(p *project, targetDir string) (*target, error) {
	invalid := func(format string, args ...any) error {
		return &admin.ValidationError{Field: "targetDir", Reason: fmt.Sprintf(format, args...)}
	}
	if targetDir == "" {
		return nil, invalid("is required")
	}
	abs, err := filepath.Abs(targetDir)
	if err != nil {
		return nil, invalid("%q: %v", targetDir, err)
	}
	resolved, err := resolveExisting(abs)
	if err != nil {
		return nil, invalid("%q cannot be resolved: %v", targetDir, err)
	}
	if _, ok := within(p.dir, resolved); ok {
		return nil, invalid("%s lies inside the project (%s): a copy must go elsewhere", abs, p.dir)
	}
	if _, ok := within(resolved, p.dir); ok {
		return nil, invalid("%s contains the project (%s): a copy must go elsewhere", abs, p.dir)
	}
	if err := os.MkdirAll(filepath.Dir(resolved), 0o755); err != nil {
		return nil, fmt.Errorf("create parent of %s: %w", abs, err)
	}
	t := &target{path: abs, resolved: resolved}
	switch err := os.Mkdir(resolved, 0o755); {
	case err == nil:
		t.created = true
	case errors.Is(err, fs.ErrExist):
		if err := checkEmptyDir(resolved); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("create %s: %w", abs, err)
	}
	if t.root, err = os.OpenRoot(resolved); err != nil {
		if t.created {
			os.Remove(resolved)
		}
		return nil, fmt.Errorf("open %s: %w", abs, err)
	}
	return t, nil
}

// resolveExisting resolves the symbolic links of the longest existing prefix
// of the absolute path p.
func resolveExisting(p string) (string, error) {
	resolved, err := filepath.EvalSymlinks(p)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return resolved, err
	}
	parent := filepath.Dir(p)
	if parent == p {
		return p, nil
	}
	resolvedParent, err := resolveExisting(parent)
	if err != nil {
		return "", err
	}
	return filepath.Join(resolvedParent, filepath.Base(p)), nil
}

// checkEmptyDir returns admin.ErrConflict unless dir is an empty directory.
func checkEmptyDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open target %s: %w", dir, err)
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil || !st.IsDir() {
		return fmt.Errorf("target %s exists and is not a directory: %w", dir, admin.ErrConflict)
	}
	names, err := f.Readdirnames(1)
	if len(names) > 0 {
		return fmt.Errorf("target %s is not empty (it holds %q): %w", dir, names[0], admin.ErrConflict)
	}
	if err != nil && err != io.EOF {
		return fmt.Errorf("read target %s: %w", dir, err)
	}
	return nil
}

// copier copies one project.
type copier struct {
	ctx     context.Context
	s       *Source
	project *project
	entries int
	bytes   int64
	made    []string // top-level entries created in the target
}

// tree copies the contents of src into dst; rel is src's slash path in the
// project.
func (c *copier) tree(src, dst *os.Root, rel string) error {
	entries, err := readDir(src)
	if err != nil {
		return fmt.Errorf("read directory %s: %w", rel, err)
	}
	for _, e := range entries {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		name := e.Name()
		if c.s.skip[name] {
			continue
		}
		relName := path.Join(rel, name)
		typ := e.Type()
		if !typ.IsDir() && !typ.IsRegular() && typ&fs.ModeSymlink == 0 {
			c.s.log.DebugContext(c.ctx, "skipping special file", "path", relName, "type", typ.String())
			continue
		}
		if c.entries++; c.entries > c.s.maxFiles {
			return fmt.Errorf("the project has more than %d files, directories and links (the limit, Options.MaxFiles); "+
				"leave folders out with Options.Skip or raise the limit: %w", c.s.maxFiles, admin.ErrInvalidArgument)
		}
		switch {
		case typ.IsDir():
			err = c.dir(src, dst, rel, name, e)
		case typ.IsRegular():
			err = c.file(src, dst, rel, name)
		default:
			err = c.symlink(src, dst, rel, name)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// created records a new entry of the target's top level, for removeCopy.
func (c *copier) created(rel, name string) {
	if rel == "." {
		c.made = append(c.made, name)
	}
}

func (c *copier) dir(src, dst *os.Root, rel, name string, e fs.DirEntry) error {
	relName := path.Join(rel, name)
	info, err := e.Info()
	if err != nil {
		return fmt.Errorf("stat %s: %w", relName, err)
	}
	if err := dst.Mkdir(name, 0o700); err != nil {
		return fmt.Errorf("create directory %s: %w", relName, err)
	}
	c.created(rel, name)
	srcSub, err := src.OpenRoot(name)
	if err != nil {
		return fmt.Errorf("open directory %s: %w", relName, err)
	}
	defer srcSub.Close()
	dstSub, err := dst.OpenRoot(name)
	if err != nil {
		return fmt.Errorf("open copied directory %s: %w", relName, err)
	}
	defer dstSub.Close()
	if err := c.tree(srcSub, dstSub, relName); err != nil {
		return err
	}
	if err := finishDir(dst, name, info); err != nil {
		return fmt.Errorf("directory %s: %w", relName, err)
	}
	return nil
}

// finishDir gives a copied directory its source's permissions (plus owner
// rwx) and modification time, once its contents are written.
func finishDir(dst *os.Root, name string, info fs.FileInfo) error {
	if err := dst.Chmod(name, info.Mode().Perm()|0o700); err != nil {
		return err
	}
	return dst.Chtimes(name, time.Time{}, info.ModTime())
}

func (c *copier) file(src, dst *os.Root, rel, name string) error {
	relName := path.Join(rel, name)
	in, err := src.Open(name)
	if err != nil {
		return fmt.Errorf("open %s: %w", relName, err)
	}
	defer in.Close()
	info, err := in.Stat()
	if err != nil {
		return fmt.Errorf("stat %s: %w", relName, err)
	}
	if !info.Mode().IsRegular() {
		return fmt.Errorf("%s changed while being copied", relName)
	}
	size := info.Size()
	if size > c.s.maxBytes-c.bytes {
		return fmt.Errorf("the project holds more than %d bytes of files (the limit, Options.MaxBytes), reached at %s; "+
			"leave folders out with Options.Skip or raise the limit: %w", c.s.maxBytes, relName, admin.ErrInvalidArgument)
	}
	c.bytes += size
	out, err := dst.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", relName, err)
	}
	c.created(rel, name)
	err = c.copyData(out, in, size)
	if err == nil {
		err = out.Chmod(info.Mode().Perm())
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = dst.Chtimes(name, time.Time{}, info.ModTime())
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", relName, err)
	}
	return nil
}

// copyData copies size bytes from in to out (copy_file_range where the
// system has it), checking the context between chunks.
func (c *copier) copyData(out, in *os.File, size int64) error {
	for done := int64(0); done < size; {
		if err := c.ctx.Err(); err != nil {
			return err
		}
		n, err := io.CopyN(out, in, min(copyChunk, size-done))
		done += n
		if errors.Is(err, io.EOF) {
			return errors.New("file shrank while being copied")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (c *copier) symlink(src, dst *os.Root, rel, name string) error {
	relName := path.Join(rel, name)
	target, err := src.Readlink(name)
	if err != nil {
		return fmt.Errorf("read link %s: %w", relName, err)
	}
	newTarget, err := c.linkTarget(relName, target)
	if err != nil {
		return err
	}
	if err := dst.Symlink(newTarget, name); err != nil {
		return fmt.Errorf("create link %s: %w", relName, err)
	}
	c.created(rel, name)
	return nil
}

// linkTarget returns the relative target to give the copy of the link at
// relName (slash path in the project) whose target is target, or an error
// when the link leads outside the project, whether by its own text or
// through other links.
func (c *copier) linkTarget(relName, target string) (string, error) {
	var dest string // slash path in the project the link designates
	inside := false
	if filepath.IsAbs(target) {
		dest, inside = within(c.project.dir, filepath.Clean(target))
	} else {
		dest = path.Join(path.Dir(relName), filepath.ToSlash(target))
		inside = dest != ".." && !strings.HasPrefix(dest, "../")
	}
	// What the system resolves, through any other links on the way. A
	// dangling link is judged by its text alone.
	resolved, err := filepath.EvalSymlinks(filepath.Join(c.project.dir, filepath.FromSlash(relName)))
	if err == nil {
		r, ok := within(c.project.dir, resolved)
		if !ok {
			inside = false
		} else if !inside {
			dest, inside = r, true // a path reaching back into the project, e.g. ../app/x
		}
	}
	if !inside {
		return "", fmt.Errorf("symbolic link %s points outside the project (to %q): remove it or point it inside the project: %w",
			relName, target, admin.ErrInvalidArgument)
	}
	out, err := filepath.Rel(filepath.FromSlash(path.Dir(relName)), filepath.FromSlash(dest))
	if err != nil {
		return "", fmt.Errorf("symbolic link %s: %w", relName, err)
	}
	return out, nil
}

// removeCopy removes what the copy created in the target, and the target
// itself when the copy created it.
func (c *copier) removeCopy(t *target) {
	for _, name := range c.made {
		if err := t.root.RemoveAll(name); err != nil {
			c.s.log.WarnContext(c.ctx, "cannot remove partial copy", "path", filepath.Join(t.path, name), "err", err)
		}
	}
	if t.created {
		if err := os.Remove(t.resolved); err != nil {
			c.s.log.WarnContext(c.ctx, "cannot remove partial copy", "path", t.path, "err", err)
		}
	}
}
