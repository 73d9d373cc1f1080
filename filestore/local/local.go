package local

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/internal/ctxio"
)

// Options configures a Store. The zero value (or nil) means the defaults.
type Options struct {
	// FileMode is the permission of new files, before the umask. Default
	// 0o600: build logs may hold whatever a build printed.
	FileMode fs.FileMode
	// DirMode is the permission of new folders, before the umask. Default
	// 0o700.
	DirMode fs.FileMode
	// Logger receives debug messages about clean-up that failed (a temp file
	// or an empty folder left behind). Default: discard.
	Logger *slog.Logger
}

// Store is an admin.FileStorage that keeps each file at root/{path}.
// It is safe for concurrent use.
type Store struct {
	root     *os.Root
	fileMode fs.FileMode
	dirMode  fs.FileMode
	log      *slog.Logger
	closed   atomic.Bool
}

var _ admin.FileStorage = (*Store)(nil)

// tempPrefix starts the name of a file being written. It holds a backslash,
// which no valid key has (admin.CheckFilePath), so a temp file never takes a
// stored file's name and List never shows one.
const tempPrefix = ".filestore-tmp\\"

// retries bounds how often Write and Move redo their work when a concurrent
// Delete removed the folder they had just created.
const retries = 5

// New opens the store rooted at the directory root, creating it (and its
// parents) when missing.
func New(root string, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Store{fileMode: opts.FileMode, dirMode: opts.DirMode, log: opts.Logger}
	if s.fileMode == 0 {
		s.fileMode = 0o600
	}
	if s.dirMode == 0 {
		s.dirMode = 0o700
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.log = s.log.With("component", "filestore/local")
	if root == "" {
		return nil, fmt.Errorf("local: new: %w", &admin.ValidationError{Field: "root", Reason: "must not be empty"})
	}
	if err := os.MkdirAll(root, s.dirMode); err != nil {
		return nil, fmt.Errorf("local: new: create root: %w", err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return nil, fmt.Errorf("local: new: open root: %w", err)
	}
	s.root = r
	return s, nil
}

// Root returns the directory the store keeps its files in, as given to New.
func (s *Store) Root() string { return s.root.Name() }

// Write stores r's content at path: it copies r to a temp file in the
// target's folder, syncs it, and renames it over the target, so readers see
// the old file or the new one, never a part.
func (s *Store) Write(ctx context.Context, p string, r io.Reader) error {
	if err := s.begin(ctx, p); err != nil {
		return fmt.Errorf("local: write %q: %w", p, err)
	}
	if err := s.write(ctx, p, r); err != nil {
		return fmt.Errorf("local: write %q: %w", p, err)
	}
	return nil
}

func (s *Store) write(ctx context.Context, p string, r io.Reader) error {
	if err := s.checkTarget(p); err != nil {
		return err
	}
	dir := path.Dir(p)
	tmp, f, err := s.createTemp(dir)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, ctxio.Reader(ctx, r))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmp, p)
		err = mapErr(err)
	}
	if err != nil {
		if rerr := s.root.Remove(tmp); rerr != nil {
			s.log.Debug("removing a temp file failed", "path", tmp, "err", rerr)
		}
		return err
	}
	s.syncDir(dir)
	return nil
}

// createTemp creates a new temp file in dir, creating dir first.
func (s *Store) createTemp(dir string) (string, *os.File, error) {
	var b [12]byte
	for range retries {
		err := s.mkdirAll(dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a Delete removed a folder, then empty, as it was made
		}
		if err != nil {
			return "", nil, err
		}
		_, _ = rand.Read(b[:])
		tmp := path.Join(dir, tempPrefix+hex.EncodeToString(b[:]))
		f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, s.fileMode)
		if errors.Is(err, fs.ErrNotExist) {
			continue // a Delete removed dir, then empty, after mkdirAll
		}
		if err != nil {
			return "", nil, mapErr(err)
		}
		return tmp, f, nil
	}
	return "", nil, fmt.Errorf("folder %q kept disappearing: %w", dir, admin.ErrConflict)
}

// Read opens the file at path.
func (s *Store) Read(ctx context.Context, p string) (io.ReadCloser, error) {
	if err := s.begin(ctx, p); err != nil {
		return nil, fmt.Errorf("local: read %q: %w", p, err)
	}
	if err := s.checkFile(p); err != nil {
		return nil, fmt.Errorf("local: read %q: %w", p, err)
	}
	f, err := s.root.Open(p)
	if err != nil {
		return nil, fmt.Errorf("local: read %q: %w", p, notFound(err))
	}
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("local: read %q: %w", p, admin.ErrNotFound)
	}
	return f, nil
}

// Exists reports whether a regular file is stored at path.
func (s *Store) Exists(ctx context.Context, p string) (bool, error) {
	if err := s.begin(ctx, p); err != nil {
		return false, fmt.Errorf("local: exists %q: %w", p, err)
	}
	switch err := s.checkFile(p); {
	case errors.Is(err, admin.ErrNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("local: exists %q: %w", p, err)
	}
	return true, nil
}

// List walks the folders that can hold files starting with prefix. It skips
// symbolic links, temp files and names that are not valid keys.
func (s *Store) List(ctx context.Context, prefix string) ([]admin.FileInfo, error) {
	if err := admin.CheckFilePrefix(prefix); err != nil {
		return nil, fmt.Errorf("local: list %q: %w", prefix, err)
	}
	if err := s.live(ctx); err != nil {
		return nil, fmt.Errorf("local: list %q: %w", prefix, err)
	}
	start := "."
	if i := strings.LastIndexByte(prefix, '/'); i >= 0 {
		start = prefix[:i]
	}
	if start != "." {
		fi, err := s.root.Lstat(start)
		switch {
		case errors.Is(err, fs.ErrNotExist), errors.Is(err, syscall.ENOTDIR):
			return []admin.FileInfo{}, nil
		case err != nil:
			return nil, fmt.Errorf("local: list %q: %w", prefix, mapErr(err))
		case fi.Mode()&fs.ModeSymlink != 0:
			return nil, fmt.Errorf("local: list %q: %w", prefix, symlinkError(start))
		case !fi.IsDir():
			return []admin.FileInfo{}, nil
		}
	}
	files := []admin.FileInfo{}
	err := fs.WalkDir(s.root.FS(), start, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed while we walked
			}
			return mapErr(err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if p == start || strings.HasPrefix(p+"/", prefix) || strings.HasPrefix(prefix, p+"/") {
				return nil
			}
			return fs.SkipDir // holds nothing that starts with prefix
		}
		if !d.Type().IsRegular() || !strings.HasPrefix(p, prefix) || admin.CheckFilePath(p) != nil {
			return nil
		}
		fi, err := d.Info()
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		files = append(files, admin.FileInfo{Path: p, Size: fi.Size(), ModTime: fi.ModTime()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("local: list %q: %w", prefix, err)
	}
	slices.SortFunc(files, func(a, b admin.FileInfo) int { return strings.Compare(a.Path, b.Path) })
	return files, nil
}

// Delete removes the file at path, then the folders above it that became
// empty.
func (s *Store) Delete(ctx context.Context, p string) error {
	if err := s.begin(ctx, p); err != nil {
		return fmt.Errorf("local: delete %q: %w", p, err)
	}
	if err := s.checkFile(p); err != nil {
		return fmt.Errorf("local: delete %q: %w", p, err)
	}
	if err := s.root.Remove(p); err != nil {
		return fmt.Errorf("local: delete %q: %w", p, notFound(err))
	}
	s.prune(path.Dir(p))
	return nil
}

// Move renames from to to with one rename, replacing to, creating the
// folders to needs and removing the folders above from that became empty.
func (s *Store) Move(ctx context.Context, from, to string) error {
	if err := admin.CheckFilePath(to); err != nil {
		return fmt.Errorf("local: move %q to %q: %w", from, to, err)
	}
	if err := s.begin(ctx, from); err != nil {
		return fmt.Errorf("local: move %q to %q: %w", from, to, err)
	}
	if err := s.move(from, to); err != nil {
		return fmt.Errorf("local: move %q to %q: %w", from, to, err)
	}
	return nil
}

func (s *Store) move(from, to string) error {
	for range retries {
		if err := s.checkFile(from); err != nil {
			return err
		}
		if from == to {
			return nil
		}
		if err := s.checkTarget(to); err != nil {
			return err
		}
		err := s.mkdirAll(path.Dir(to))
		if err == nil {
			err = s.root.Rename(from, to)
		}
		if errors.Is(err, fs.ErrNotExist) {
			continue // from was removed, or a Delete removed to's new folder
		}
		if err != nil {
			return mapErr(err)
		}
		s.syncDir(path.Dir(to))
		s.prune(path.Dir(from))
		return nil
	}
	return fmt.Errorf("folder %q kept disappearing: %w", path.Dir(to), admin.ErrConflict)
}

// Close releases the root directory. Methods called after Close return
// admin.ErrClosed.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.root.Close()
}

// begin checks what every method checks first: the key, then whether the
// store and ctx are still usable.
func (s *Store) begin(ctx context.Context, p string) error {
	if err := admin.CheckFilePath(p); err != nil {
		return err
	}
	return s.live(ctx)
}

func (s *Store) live(ctx context.Context) error {
	if s.closed.Load() {
		return admin.ErrClosed
	}
	return ctx.Err()
}

// checkFile returns nil when p is a regular file, ErrNotFound when nothing
// or a folder is there, and ErrInvalidArgument for a symbolic link or a path
// that leaves the root.
func (s *Store) checkFile(p string) error {
	fi, err := s.root.Lstat(p)
	switch {
	case err != nil:
		return notFound(err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return symlinkError(p)
	case !fi.Mode().IsRegular():
		return admin.ErrNotFound
	}
	return nil
}

// checkTarget returns nil when a file can be written at p: nothing or a
// regular file is there.
func (s *Store) checkTarget(p string) error {
	fi, err := s.root.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return mapErr(err)
	case fi.Mode()&fs.ModeSymlink != 0:
		return symlinkError(p)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("a folder is stored at %q: %w", p, admin.ErrConflict)
	}
	return nil
}

// mkdirAll creates dir and its parents. An error wrapping fs.ErrNotExist
// means a concurrent Delete removed a folder on the way: try again.
func (s *Store) mkdirAll(dir string) error {
	if dir == "." {
		return nil
	}
	err := s.root.MkdirAll(dir, s.dirMode)
	if errors.Is(err, syscall.EEXIST) {
		// Either a file is in the way, or a Delete removed dir between
		// MkdirAll's attempt to create it and its check of what was there.
		fi, lerr := s.root.Lstat(dir)
		switch {
		case lerr == nil && fi.IsDir():
			return nil
		case errors.Is(lerr, fs.ErrNotExist):
			return lerr
		}
	}
	return mapErr(err)
}

// syncDir makes a rename into dir durable. Failing that is logged, not
// returned: the file is complete and visible.
func (s *Store) syncDir(dir string) {
	d, err := s.root.Open(dir)
	if err == nil {
		err = errors.Join(d.Sync(), d.Close())
	}
	if err != nil {
		s.log.Debug("syncing a folder failed", "dir", dir, "err", err)
	}
}

// prune removes dir and its parents while they are empty folders (never
// symbolic links, never the root).
func (s *Store) prune(dir string) {
	for ; dir != "."; dir = path.Dir(dir) {
		fi, err := s.root.Lstat(dir)
		if err != nil || !fi.IsDir() {
			return
		}
		if err := s.root.Remove(dir); err != nil {
			return // not empty, or a concurrent Write filled it
		}
	}
}

// mapErr maps a file-system error to the admin sentinels where one applies.
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case escapes(err):
		return fmt.Errorf("%w: %w", &admin.ValidationError{Field: "path", Reason: "leaves the store's root through a symbolic link"}, err)
	case errors.Is(err, os.ErrClosed):
		return fmt.Errorf("%w: %w", admin.ErrClosed, err)
	case errors.Is(err, syscall.ENOTDIR), errors.Is(err, syscall.EEXIST), errors.Is(err, syscall.EISDIR), errors.Is(err, syscall.ENOTEMPTY):
		return fmt.Errorf("a file and a folder share a name: %w: %w", admin.ErrConflict, err)
	}
	return err
}

// notFound is mapErr for a path that must exist: ENOENT, and ENOTDIR (a
// file where the path needs a folder), become ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return fmt.Errorf("%w: %w", admin.ErrNotFound, err)
	}
	return mapErr(err)
}

func symlinkError(p string) error {
	return &admin.ValidationError{Field: "path", Reason: fmt.Sprintf("%q is a symbolic link, which the store does not follow", p)}
}

// escapes reports whether err is os.Root refusing a path that leaves the
// root. package os does not export that error, so it is recognised by its
// text; TestSymlinkEscape fails if a Go release changes the text. Whatever
// the text, os.Root still refuses the path: only the error's class is at
// stake.
func escapes(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if e.Error() == "path escapes from parent" {
			return true
		}
	}
	return false
}
