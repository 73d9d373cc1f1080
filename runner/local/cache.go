//go:build linux

package local

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mastra-admin/mastra-admin-go/internal/tree"
)

// errCorrupt reports a cached tree that is not as it was saved: a file or
// directory modified (a directory's time changes when an entry is added,
// removed or renamed in it), removed or truncated, or a bad manifest.
var errCorrupt = errors.New("cached tree is not as it was saved")

// treeCache keeps file trees by key: the dependency cache (installed
// node_modules) and the build output cache (.mastra/output). Each entry is
// root/{key}/{name}, with the time it was taken in root/{key}/saved.
// Entries are written to a temporary folder renamed into place, so a reader
// never sees half an entry; their files are never modified in place, and a
// restore that finds the entry not as it was saved (see errCorrupt and
// entryManifest) drops it, so the build installs or builds again. See the package documentation for why reuse is safe.
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

// entryManifest is what an entry's "saved" file records of its tree: when the
// entry was saved, and how many files (regular files and symbolic links)
// and bytes of regular files the tree holds, so that a restore notices a
// file removed or truncated since.
type entryManifest struct {
	saved        int64 // UnixNano
	files, bytes int64
}

func (m entryManifest) String() string {
	return fmt.Sprintf("%d %d %d\n", m.saved, m.files, m.bytes)
}

func parseManifest(b []byte) (entryManifest, error) {
	var m entryManifest
	f := strings.Fields(string(b))
	if len(f) != 3 {
		return m, fmt.Errorf("%w: its manifest is not \"saved files bytes\" (saved by an older version?)", errCorrupt)
	}
	for i, p := range []*int64{&m.saved, &m.files, &m.bytes} {
		v, err := strconv.ParseInt(f[i], 10, 64)
		if err != nil || v < 0 {
			return m, fmt.Errorf("%w: its manifest holds %q", errCorrupt, f[i])
		}
		*p = v
	}
	return m, nil
}

// tally counts a tree's files and bytes as a manifest does.
type tally struct{ files, bytes int64 }

func (t *tally) add(d fs.DirEntry, fi fs.FileInfo) {
	switch {
	case d.Type().IsRegular():
		t.files++
		t.bytes += fi.Size()
	case d.Type()&fs.ModeSymlink != 0:
		t.files++
	}
}

// restore recreates the cached tree of key at dst, which is removed first.
// It reports false when there is no entry. An entry that is not whole (a
// file modified, removed or truncated since it was saved, a bad manifest)
// is deleted and an error wrapping errCorrupt returned; any other error
// (another process pruning the entry meanwhile) leaves it. dst is removed
// whenever restore fails.
func (c *treeCache) restore(key, dst string) (bool, error) {
	entry := c.entry(key)
	b, err := os.ReadFile(filepath.Join(entry, "saved"))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := os.RemoveAll(dst); err != nil {
		return false, err
	}
	// A fresh project copy has no .mastra for .mastra/output.
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return false, err
	}
	m, err := parseManifest(b)
	var got tally
	if err == nil {
		err = tree.Link(filepath.Join(entry, c.name), dst, c.share, func(d fs.DirEntry, fi fs.FileInfo) error {
			got.add(d, fi)
			if (d.IsDir() || d.Type().IsRegular()) && fi.ModTime().UnixNano() > m.saved {
				return errCorrupt
			}
			return nil
		})
	}
	if err == nil && (got.files != m.files || got.bytes != m.bytes) {
		err = fmt.Errorf("%w: it holds %d files of %d bytes, but %d files of %d bytes were saved", errCorrupt,
			got.files, got.bytes, m.files, m.bytes)
	}
	if err != nil {
		_ = os.RemoveAll(dst)
		if errors.Is(err, errCorrupt) {
			c.log.Warn("dropping a damaged cache entry", "cache", c.what, "key", key, "err", err)
			_ = removeAside(entry)
		}
		return false, err
	}
	now := time.Now()
	_ = os.Chtimes(entry, now, now) // most recently used: pruned last
	return true, nil
}

// save stores the tree src as the entry of key, then prunes the cache to
// its size. An existing entry is kept: a concurrent save of the same key,
// in this process or another, may win, and its entry is as good.
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
	var t tally
	if err := tree.Link(src, filepath.Join(tmp, c.name), c.share, func(d fs.DirEntry, fi fs.FileInfo) error {
		t.add(d, fi)
		return nil
	}); err != nil {
		return err
	}
	// Taken after linking: copied files are as new as the copy.
	m := entryManifest{saved: time.Now().UnixNano(), files: t.files, bytes: t.bytes}
	if err := os.WriteFile(filepath.Join(tmp, "saved"), []byte(m.String()), 0o644); err != nil {
		return err
	}
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
