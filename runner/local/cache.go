//go:build linux

package local

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// errCorrupt reports a cached tree that was modified after it was saved.
var errCorrupt = errors.New("cached tree was modified after it was saved")

// treeCache keeps file trees by key: the dependency cache (installed
// node_modules) and the build output cache (.mastra/output). Each entry is
// root/{key}/{name}, with the time it was taken in root/{key}/saved.
// Entries are written to a temporary folder renamed into place, so a reader
// never sees half an entry; their files are never modified in place, and a
// restore that meets a file or directory modified after the entry was saved
// drops the entry. See the package documentation for why reuse is safe.
type treeCache struct {
	root string // CacheDir/deps or CacheDir/outputs
	name string // the tree's folder inside an entry
	size int    // entries kept; least recently used first out
	// share reports whether the file at rel (slash-separated, relative to
	// the tree) is hard-linked between the cache and the trees saved or
	// restored; the others are copied. nil shares every file.
	share func(rel string) bool
	what  string // for log messages: "dependency tree", "build output"
	log   *slog.Logger
}

func (c *treeCache) entry(key string) string { return filepath.Join(c.root, key) }

// restore recreates the cached tree of key at dst, which is removed first.
// It reports false when there is no usable entry; an entry found modified
// since it was saved is deleted and errCorrupt returned.
func (c *treeCache) restore(key, dst string) (bool, error) {
	entry := c.entry(key)
	b, err := os.ReadFile(filepath.Join(entry, "saved"))
	if err != nil {
		return false, nil
	}
	saved, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return false, nil
	}
	if err := os.RemoveAll(dst); err != nil {
		return false, err
	}
	// A fresh project copy has no .mastra for .mastra/output.
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	err = linkTree(filepath.Join(entry, c.name), dst, c.share, func(fi fs.FileInfo) error {
		if fi.ModTime().UnixNano() > saved {
			return errCorrupt
		}
		return nil
	})
	if err != nil {
		_ = os.RemoveAll(dst)
		if errors.Is(err, errCorrupt) {
			c.log.Warn("dropping a modified cache entry", "cache", c.what, "key", key, "err", err)
			_ = os.RemoveAll(entry)
		}
		return false, err
	}
	now := time.Now()
	_ = os.Chtimes(entry, now, now) // most recently used: pruned last
	return true, nil
}

// save stores the tree src as the entry of key, then prunes the cache to
// its size. An existing entry is kept.
func (c *treeCache) save(key, src string) error {
	entry := c.entry(key)
	if isDir(entry) {
		return nil
	}
	if err := os.MkdirAll(c.root, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(c.root, ".save-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := linkTree(src, filepath.Join(tmp, c.name), c.share, nil); err != nil {
		return err
	}
	// Taken after linking: copied files are as new as the copy.
	saved := time.Now().UnixNano()
	if err := os.WriteFile(filepath.Join(tmp, "saved"), []byte(strconv.FormatInt(saved, 10)+"\n"), 0o644); err != nil {
		return err
	}
	// A concurrent save of the same key may win the rename: its entry is as
	// good as ours.
	if err := os.Rename(tmp, entry); err != nil && !isDir(entry) {
		return err
	}
	c.prune()
	return nil
}

// prune removes the least recently used entries beyond the cache's size
// and temporary folders of saves that died an hour or more ago. Files in
// root (the output cache's secret) are left alone.
func (c *treeCache) prune() {
	entries, err := os.ReadDir(c.root)
	if err != nil {
		return
	}
	type used struct {
		name string
		at   time.Time
	}
	var keep []used
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil || !e.IsDir() {
			continue
		}
		if strings.HasPrefix(e.Name(), ".") {
			if time.Since(fi.ModTime()) > time.Hour {
				_ = os.RemoveAll(filepath.Join(c.root, e.Name()))
			}
			continue
		}
		keep = append(keep, used{e.Name(), fi.ModTime()})
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].at.After(keep[j].at) })
	for _, u := range keep[min(len(keep), max(c.size, 0)):] {
		c.log.Debug("pruning a cache entry", "cache", c.what, "key", u.name)
		_ = os.RemoveAll(filepath.Join(c.root, u.name))
	}
}

// linkTree recreates the tree src at dst: directories are created, symbolic
// links copied as links, and regular files hard-linked when share reports
// true for them (nil: all) or copied otherwise; hard links become copies
// when src and dst are on different file systems. check, when set, vets
// each directory and regular file of src first.
func linkTree(src, dst string, share func(rel string) bool, check func(fs.FileInfo) error) error {
	copyFiles := false
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if check != nil && (d.IsDir() || d.Type().IsRegular()) {
			// A directory's time changes when an entry is added, removed
			// or renamed in it.
			if err := check(fi); err != nil {
				return fmt.Errorf("%s: %w", rel, err)
			}
		}
		switch {
		case d.IsDir():
			return os.Mkdir(target, fi.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			if !copyFiles && (share == nil || share(filepath.ToSlash(rel))) {
				err := os.Link(path, target)
				if !errors.Is(err, syscall.EXDEV) {
					return err
				}
				copyFiles = true
			}
			return copyFile(path, target, fi.Mode().Perm())
		default:
			return nil // sockets, devices: not part of a build
		}
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
