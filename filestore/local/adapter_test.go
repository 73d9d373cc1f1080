package local_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/filestoretest"
	"github.com/mastra-admin/mastra-admin-go/filestore/local"
)

func TestConformance(t *testing.T) {
	filestoretest.Run(t, func(t *testing.T) admin.FileStorage { return newStore(t, t.TempDir()) })
}

func newStore(t *testing.T, root string) *local.Store {
	t.Helper()
	s, err := local.New(root, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// snapshot describes every entry under dir: its kind, size, mode, and a hash
// of its content or link target.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		var sum [32]byte
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			sum = sha256.Sum256([]byte(target))
		case fi.Mode().IsRegular():
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = sha256.Sum256(b)
		}
		rel, _ := filepath.Rel(dir, p)
		out[rel] = fmt.Sprintf("%v %d %x", fi.Mode(), fi.Size(), sum)
		return nil
	})
	if err != nil {
		t.Fatalf("snapshot %s: %v", dir, err)
	}
	return out
}

func sameSnapshot(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestSymlinkEscape places symbolic links inside the root that lead out of
// it and checks that no method goes through them.
func TestSymlinkEscape(t *testing.T) {
	outside := t.TempDir()
	mustWriteFile(t, filepath.Join(outside, "secret"), "secret")
	mustWriteFile(t, filepath.Join(outside, "sub", "deeper"), "deeper")

	root := t.TempDir()
	mustWriteFile(t, filepath.Join(root, "mine"), "mine")
	links := map[string]string{
		"evildir":       outside,                                                     // absolute, to a folder
		"evilfile":      filepath.Join(outside, "secret"),                            // absolute, to a file
		"nested/up":     "../..",                                                     // relative, to root's parent
		"nested/upfile": filepath.Join("..", "..", filepath.Base(outside), "secret"), // relative, to a file
		"slash":         "/",
	}
	if filepath.Dir(root) != filepath.Dir(outside) {
		t.Fatalf("test setup: %s and %s need the same parent", root, outside)
	}
	for name, target := range links {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, name)); err != nil {
			t.Fatal(err)
		}
	}
	s := newStore(t, root)
	ctx := t.Context()
	outsideBefore := snapshot(t, outside)
	rootBefore := snapshot(t, root)

	keys := []string{
		"evildir/secret", "evildir/sub/deeper", "evildir/new", "evilfile",
		"nested/up/" + filepath.Base(outside) + "/secret", "nested/upfile",
		"slash/etc/passwd", "slash" + outside + "/secret",
	}
	for _, key := range keys {
		t.Run(key, func(t *testing.T) {
			invalid := func(op string, err error) {
				t.Helper()
				if !errors.Is(err, admin.ErrInvalidArgument) {
					t.Errorf("%s(%q) = %v, want ErrInvalidArgument", op, key, err)
				}
			}
			invalid("Write", s.Write(ctx, key, strings.NewReader("planted")))
			rc, err := s.Read(ctx, key)
			if err == nil {
				b, _ := io.ReadAll(rc)
				rc.Close()
				t.Errorf("Read(%q) read %q from outside the root", key, b)
			}
			invalid("Read", err)
			ok, err := s.Exists(ctx, key)
			invalid("Exists", err)
			if ok {
				t.Errorf("Exists(%q) = true", key)
			}
			invalid("Delete", s.Delete(ctx, key))
			invalid("Move from", s.Move(ctx, key, "stolen"))
			invalid("Move to", s.Move(ctx, "mine", key))
			_, err = s.List(ctx, key+"/")
			invalid("List", err)
		})
	}
	files, err := s.List(ctx, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(files) != 1 || files[0].Path != "mine" {
		t.Errorf("List = %+v, want only \"mine\"", files)
	}
	if !sameSnapshot(outsideBefore, snapshot(t, outside)) {
		t.Errorf("the folder outside the root changed")
	}
	if !sameSnapshot(rootBefore, snapshot(t, root)) {
		t.Errorf("the root changed: %v, was %v", snapshot(t, root), rootBefore)
	}
}

// TestSymlinkInsideRoot: links to folders inside the root are followed; a key
// naming a link is refused even when the link stays inside.
func TestSymlinkInsideRoot(t *testing.T) {
	root := t.TempDir()
	mustWriteFile(t, filepath.Join(root, "real", "f"), "f")
	if err := os.Symlink("real", filepath.Join(root, "alias")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real/f", filepath.Join(root, "filelink")); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, root)
	ctx := t.Context()

	rc, err := s.Read(ctx, "alias/f")
	if err != nil {
		t.Fatalf("Read through a link to a folder inside the root: %v", err)
	}
	rc.Close()
	if _, err := s.Read(ctx, "filelink"); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("Read of a link to a file = %v, want ErrInvalidArgument", err)
	}
	if err := s.Write(ctx, "filelink", strings.NewReader("x")); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("Write over a link = %v, want ErrInvalidArgument", err)
	}
	if err := s.Delete(ctx, "filelink"); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("Delete of a link = %v, want ErrInvalidArgument", err)
	}
	if _, err := os.Lstat(filepath.Join(root, "filelink")); err != nil {
		t.Errorf("the link was removed: %v", err)
	}
	// Deleting the last file under a linked folder must not remove the link.
	if err := s.Delete(ctx, "alias/f"); err != nil {
		t.Fatalf("Delete through a folder link: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(root, "alias")); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("pruning empty folders removed the link alias: %v", err)
	}
}

func TestFileAndFolderConflict(t *testing.T) {
	s := newStore(t, t.TempDir())
	ctx := t.Context()
	mustStore(t, s, "a", "file a")
	mustStore(t, s, "d/e", "file d/e")
	for _, tc := range []struct{ op, key string }{
		{"Write", "a/b"},   // a file where a folder is needed
		{"Write", "d"},     // a folder where the file would go
		{"Move to", "d"},   // the same for Move
		{"Move to", "a/b"}, //
	} {
		var err error
		if tc.op == "Write" {
			err = s.Write(ctx, tc.key, strings.NewReader("x"))
		} else {
			mustStore(t, s, "src", "src")
			err = s.Move(ctx, "src", tc.key)
		}
		if !errors.Is(err, admin.ErrConflict) {
			t.Errorf("%s(%q) = %v, want ErrConflict", tc.op, tc.key, err)
		}
	}
	for key, want := range map[string]string{"a": "file a", "d/e": "file d/e", "src": "src"} {
		rc, err := s.Read(ctx, key)
		if err != nil {
			t.Fatalf("Read(%q): %v", key, err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		if string(b) != want {
			t.Errorf("%q = %q, want %q", key, b, want)
		}
	}
}

func TestNoTempFilesLeft(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	ctx := t.Context()
	boom := errors.New("boom")
	if err := s.Write(ctx, "dir/f", io.MultiReader(strings.NewReader("partial"), errReader{boom})); !errors.Is(err, boom) {
		t.Fatalf("Write = %v, want %v", err, boom)
	}
	mustStore(t, s, "dir/g", "g")
	entries, err := os.ReadDir(filepath.Join(root, "dir"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name() != "g" {
		t.Errorf("dir holds %v, want only g", entries)
	}

	// A temp file left by a crash is not listed.
	mustWriteFile(t, filepath.Join(root, "dir", ".filestore-tmp\\0123"), "crash")
	files, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Path != "dir/g" {
		t.Errorf("List = %+v, want only dir/g", files)
	}
}

func TestDeletePrunesEmptyFolders(t *testing.T) {
	root := t.TempDir()
	s := newStore(t, root)
	ctx := t.Context()
	mustStore(t, s, "builds/b1/logs/build.log", "x")
	mustStore(t, s, "builds/b2/build.log", "y")
	if err := s.Delete(ctx, "builds/b1/logs/build.log"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "builds", "b1")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("builds/b1 should be gone: %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "builds", "b2", "build.log")); err != nil {
		t.Errorf("builds/b2/build.log: %v", err)
	}
	if err := s.Move(ctx, "builds/b2/build.log", "archive/b2.log"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "builds")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("builds should be gone after the Move: %v", err)
	}
	if _, err := os.Stat(root); err != nil {
		t.Errorf("the root itself must stay: %v", err)
	}
}

// TestWriteWhileDeletePrunes races Writes into a folder with Deletes that
// remove the folder when they empty it: every Write must still succeed.
func TestWriteWhileDeletePrunes(t *testing.T) {
	s := newStore(t, t.TempDir())
	ctx := t.Context()
	var wg sync.WaitGroup
	for _, name := range []string{"a", "b"} {
		wg.Go(func() {
			key := "shared/folder/" + name
			for i := range 200 {
				if err := s.Write(ctx, key, strings.NewReader(name)); err != nil {
					t.Errorf("Write %d: %v", i, err)
					return
				}
				if err := s.Move(ctx, key, key+".moved"); err != nil {
					t.Errorf("Move %d: %v", i, err)
					return
				}
				if err := s.Delete(ctx, key+".moved"); err != nil {
					t.Errorf("Delete %d: %v", i, err)
					return
				}
			}
		})
	}
	wg.Wait()
	files, err := s.List(ctx, "")
	if err != nil || len(files) != 0 {
		t.Errorf("List = %v, %v; want nothing", files, err)
	}
}

func TestNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "x", "y")
	s := newStore(t, dir)
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		t.Fatalf("New did not create the root: %v", err)
	}
	if s.Root() != dir {
		t.Errorf("Root() = %q, want %q", s.Root(), dir)
	}
	mustStore(t, s, "secret/log", "x")
	for _, p := range []string{"secret", "secret/log"} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s has mode %v: others can read it", p, fi.Mode())
		}
	}

	if _, err := local.New("", nil); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("New(\"\") = %v, want ErrInvalidArgument", err)
	}
	file := filepath.Join(t.TempDir(), "file")
	mustWriteFile(t, file, "x")
	if _, err := local.New(file, nil); err == nil {
		t.Errorf("New over a file succeeded")
	}
}

func mustStore(t *testing.T, s *local.Store, key, content string) {
	t.Helper()
	if err := s.Write(t.Context(), key, strings.NewReader(content)); err != nil {
		t.Fatalf("Write(%q): %v", key, err)
	}
}

func mustWriteFile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
