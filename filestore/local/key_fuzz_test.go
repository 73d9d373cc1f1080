package local_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/filestore/local"
)

// FuzzKeys writes, reads, moves and deletes arbitrary keys in a real store
// in a temp dir whose root holds symbolic links to a folder and a file
// outside it. Keys admin.CheckFilePath refuses fail with ErrInvalidArgument;
// a key that is written lands as a regular file at root/key, reached
// without following a link; nothing outside the root is ever created,
// changed or removed.
func FuzzKeys(f *testing.F) {
	base := f.TempDir()
	root, outside := filepath.Join(base, "root"), filepath.Join(base, "outside")
	secret := filepath.Join(outside, "secret")
	if err := os.MkdirAll(filepath.Join(root, "dir"), 0o700); err != nil {
		f.Fatal(err)
	}
	if err := os.MkdirAll(outside, 0o700); err != nil {
		f.Fatal(err)
	}
	if err := os.WriteFile(secret, []byte("secret"), 0o600); err != nil {
		f.Fatal(err)
	}
	for link, target := range map[string]string{"link": "../outside", "flink": "../outside/secret", "dir/up": "../../outside", "abs": outside} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			f.Fatal(err)
		}
	}
	s, err := local.New(root, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	ctx := context.Background()

	for _, k := range []string{"a.txt", "dir/b", "link/x", "link", "flink", "dir/up/x", "abs/secret", "../outside/x", "dir/../../outside/x",
		"/tmp/x", "a//b", "./a", "a/.", "a\x00b", "a\\..\\b", "link/../x", strings.Repeat("a", 300), strings.Repeat("d/", 40) + "f", strings.Repeat("ab/", 400) + "f",
		".filestore-tmp\\x", "dir", "\xff"} {
		f.Add(k, "moved")
	}
	f.Fuzz(func(t *testing.T, key, to string) {
		const data = "data"
		valid := admin.CheckFilePath(key) == nil
		err := s.Write(ctx, key, strings.NewReader(data))
		if !valid && !errors.Is(err, admin.ErrInvalidArgument) {
			t.Fatalf("Write(%q) of an invalid key: %v, want ErrInvalidArgument", key, err)
		}
		if err == nil {
			checkInside(t, root, key, data)
			rc, err := s.Read(ctx, key)
			if err != nil {
				t.Fatalf("Read(%q) after Write: %v", key, err)
			}
			b, _ := io.ReadAll(rc)
			rc.Close()
			if string(b) != data {
				t.Fatalf("Read(%q) = %q", key, b)
			}
			if merr := s.Move(ctx, key, to); merr == nil {
				checkInside(t, root, to, data)
				key = to
			} else if admin.CheckFilePath(to) != nil && !errors.Is(merr, admin.ErrInvalidArgument) {
				t.Fatalf("Move to invalid key %q: %v, want ErrInvalidArgument", to, merr)
			}
			if err := s.Delete(ctx, key); err != nil {
				t.Fatalf("Delete(%q): %v", key, err)
			}
		} else {
			// Nothing readable was left behind.
			if rc, rerr := s.Read(ctx, key); rerr == nil {
				rc.Close()
				if valid {
					t.Fatalf("Write(%q) failed (%v) but Read finds a file", key, err)
				}
			}
			if !valid {
				if _, err := s.Exists(ctx, key); !errors.Is(err, admin.ErrInvalidArgument) {
					t.Fatalf("Exists(%q) of an invalid key: %v", key, err)
				}
			}
		}
		ents, err := os.ReadDir(outside)
		if err != nil || len(ents) != 1 || ents[0].Name() != "secret" {
			t.Fatalf("the folder outside the root changed: %v %v", ents, err)
		}
		if b, err := os.ReadFile(secret); err != nil || string(b) != "secret" {
			t.Fatalf("the file outside the root changed: %q %v", b, err)
		}
	})
}

// checkInside fails unless key is a regular file under root holding data,
// reached through real folders only (no symbolic link on the way).
func checkInside(t *testing.T, root, key, data string) {
	t.Helper()
	p := root
	for _, seg := range strings.Split(key, "/") {
		p = filepath.Join(p, seg)
		fi, err := os.Lstat(p)
		if err != nil || fi.Mode()&os.ModeSymlink != 0 {
			t.Fatalf("stored key %q: %s is not a real file or folder (%v, %v)", key, p, fi, err)
		}
	}
	if rel, err := filepath.Rel(root, p); err != nil || !filepath.IsLocal(rel) {
		t.Fatalf("stored key %q landed at %s, outside %s", key, p, root)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != data {
		t.Fatalf("stored key %q: %s holds %q (%v)", key, p, b, err)
	}
}
