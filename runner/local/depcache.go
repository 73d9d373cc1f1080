//go:build linux

package local

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// The dependency cache keeps one installed node_modules tree per key under
// CacheDir/deps/{key}/node_modules, with the time the copy was taken in
// {key}/saved. See the package documentation for why reuse is safe.

// installScripts are the root package.json scripts npm ci runs. A project
// with any of them may change files outside node_modules while installing,
// which a restored tree would skip, so such projects are not cached.
var installScripts = []string{"preinstall", "install", "postinstall", "prepare", "preprepare", "postprepare"}

// errCorrupt reports a cached tree that was modified after it was saved.
var errCorrupt = errors.New("cached dependency tree was modified after it was saved")

// depsKey returns the cache key of the project's installed dependencies:
// a hash of package-lock.json, package.json, the Node and npm versions and
// the platform. It returns "" and the reason when the tree must not be
// cached: when the lockfile does not pin every package by content hash
// (links, git or directory dependencies) or the project runs install
// scripts of its own.
func depsKey(dir string, pkgJSON []byte, m *manifest, nodeVersion, npmVersion string) (string, string) {
	for _, s := range installScripts {
		if _, ok := m.Scripts[s]; ok {
			return "", fmt.Sprintf("package.json has a %q script", s)
		}
	}
	lockPath := filepath.Join(dir, "package-lock.json")
	if !isFile(lockPath) {
		lockPath = filepath.Join(dir, "npm-shrinkwrap.json")
	}
	var lock npmLock
	lockBytes, err := readJSON(lockPath, &lock)
	if err != nil {
		return "", fmt.Sprintf("lockfile: %v", err)
	}
	if lock.LockfileVersion < 2 || lock.Packages == nil {
		return "", fmt.Sprintf("lockfileVersion %d has no packages section", lock.LockfileVersion)
	}
	for name, p := range lock.Packages {
		if name == "" || p.InBundle {
			continue
		}
		if p.Link || p.Integrity == "" {
			return "", fmt.Sprintf("%s is not pinned by an integrity hash", name)
		}
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte("mastra-admin deps v1"), lockBytes, pkgJSON,
		[]byte(nodeVersion), []byte(npmVersion), []byte(runtime.GOOS + "/" + runtime.GOARCH)} {
		h.Write([]byte(strconv.Itoa(len(part)) + ":"))
		h.Write(part)
	}
	return hex.EncodeToString(h.Sum(nil))[:32], ""
}

func (r *Runner) depsRoot() string { return filepath.Join(r.opts.CacheDir, "deps") }

// restoreDeps links the cached tree of key into dst (a project's
// node_modules, removed first). It reports false when there is no usable
// entry; a corrupt entry is deleted.
func (r *Runner) restoreDeps(key, dst string) (bool, error) {
	entry := filepath.Join(r.depsRoot(), key)
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
	err = linkTree(filepath.Join(entry, "node_modules"), dst, func(fi fs.FileInfo) error {
		if fi.ModTime().UnixNano() > saved {
			return errCorrupt
		}
		return nil
	})
	if err != nil {
		_ = os.RemoveAll(dst)
		if errors.Is(err, errCorrupt) {
			_ = os.RemoveAll(entry)
		}
		return false, err
	}
	now := time.Now()
	_ = os.Chtimes(entry, now, now) // most recently used: pruned last
	return true, nil
}

// saveDeps stores src (a freshly installed node_modules) as the entry of
// key, then prunes the cache to its size. An existing entry is kept.
func (r *Runner) saveDeps(key, src string) error {
	root := r.depsRoot()
	entry := filepath.Join(root, key)
	if isDir(entry) {
		return nil
	}
	tmp, err := os.MkdirTemp(root, ".save-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp) // a no-op once renamed
	if err := linkTree(src, filepath.Join(tmp, "node_modules"), nil); err != nil {
		return err
	}
	// Taken after linking: copied files (across file systems) are as new
	// as the copy.
	saved := time.Now().UnixNano()
	if err := os.WriteFile(filepath.Join(tmp, "saved"), []byte(strconv.FormatInt(saved, 10)+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, entry); err != nil && !isDir(entry) {
		return err
	}
	r.pruneDeps()
	return nil
}

// pruneDeps removes the least recently used entries beyond DepsCacheSize
// and temporary folders of saves that died an hour or more ago.
func (r *Runner) pruneDeps() {
	root := r.depsRoot()
	entries, err := os.ReadDir(root)
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
				_ = os.RemoveAll(filepath.Join(root, e.Name()))
			}
			continue
		}
		keep = append(keep, used{e.Name(), fi.ModTime()})
	}
	sort.Slice(keep, func(i, j int) bool { return keep[i].at.After(keep[j].at) })
	for _, u := range keep[min(len(keep), r.opts.DepsCacheSize):] {
		r.log.Debug("pruning cached dependency tree", "key", u.name)
		_ = os.RemoveAll(filepath.Join(root, u.name))
	}
}

// linkTree recreates the tree src at dst: directories are created, symbolic
// links copied as links, and regular files hard-linked (copied when src and
// dst are on different file systems). check, when set, vets each regular
// file first.
func linkTree(src, dst string, check func(fs.FileInfo) error) error {
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
			if check != nil {
				if err := check(fi); err != nil {
					return fmt.Errorf("%s: %w", rel, err)
				}
			}
			if !copyFiles {
				err := os.Link(path, target)
				if !errors.Is(err, syscall.EXDEV) {
					return err
				}
				copyFiles = true
			}
			return copyFile(path, target, fi.Mode().Perm())
		default:
			return nil // sockets, devices: not part of an npm tree
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
