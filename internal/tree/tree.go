// Package tree recreates directory trees: a build output restored from a
// cache, an artifact promoted to another deployment.
package tree

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// Link recreates the tree src at dst: directories are created, symbolic
// links copied as links, and regular files hard-linked when share reports
// true for them (nil: all) or copied otherwise; hard links become copies
// when src and dst are on different file systems. check, when set, is
// called with every entry of src before it is recreated, and stops the walk
// with its error.
func Link(src, dst string, share func(rel string) bool, check func(fs.DirEntry, fs.FileInfo) error) error {
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
		if check != nil {
			if err := check(d, fi); err != nil {
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
