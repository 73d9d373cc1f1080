package filestoretest

import (
	"errors"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Run runs the conformance suite against the stores newStore returns. Each
// call of newStore must return a new, empty store; Run closes it when the
// test that asked for it ends.
func Run(t *testing.T, newStore func(t *testing.T) admin.FileStorage) {
	open := func(t *testing.T) admin.FileStorage {
		t.Helper()
		s := newStore(t)
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s admin.FileStorage)
	}{
		{"WriteRead", testWriteRead},
		{"Overwrite", testOverwrite},
		{"EmptyFile", testEmptyFile},
		{"NotFound", testNotFound},
		{"Delete", testDelete},
		{"Move", testMove},
		{"List", testList},
		{"ListPrefix", testListPrefix},
		{"Names", testNames},
		{"InvalidKeys", testInvalidKeys},
		{"InvalidPrefixes", testInvalidPrefixes},
		{"ReaderError", testReaderError},
		{"CancelledContext", testCancelledContext},
		{"CancelDuringWrite", testCancelDuringWrite},
		{"ConcurrentWriters", testConcurrentWriters},
		{"LargeFile", testLargeFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
	// Close is checked on a store Run does not close again.
	t.Run("Close", func(t *testing.T) { testClose(t, newStore(t)) })
}

func testWriteRead(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	mustWrite(t, s, "a.txt", "hello")
	mustWrite(t, s, "deep/er/than/that/b.txt", "world")

	for path, want := range map[string]string{"a.txt": "hello", "deep/er/than/that/b.txt": "world"} {
		assertContent(t, s, path, want, "")
		mustExist(t, s, path, true)
	}
	mustExist(t, s, "b.txt", false)
	mustExist(t, s, "deep/er", false) // a folder is not a file

	// Read streams: the reader can be read in small steps and closed early.
	rc, err := s.Read(ctx, "a.txt")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	var b [2]byte
	if _, err := io.ReadFull(rc, b[:]); err != nil || string(b[:]) != "he" {
		t.Errorf("first 2 bytes = %q, %v; want \"he\"", b[:], err)
	}
	if err := rc.Close(); err != nil {
		t.Errorf("closing a half-read file: %v", err)
	}
}

func testOverwrite(t *testing.T, s admin.FileStorage) {
	mustWrite(t, s, "f", strings.Repeat("long content ", 100))
	mustWrite(t, s, "f", "short")
	assertContent(t, s, "f", "short", "after overwriting with a shorter file")
	assertList(t, s, "", []admin.FileInfo{{Path: "f", Size: 5}})
}

func testEmptyFile(t *testing.T, s admin.FileStorage) {
	mustWrite(t, s, "empty", "")
	mustExist(t, s, "empty", true)
	assertContent(t, s, "empty", "", "")
	assertList(t, s, "", []admin.FileInfo{{Path: "empty", Size: 0}})
	mustMove(t, s, "empty", "still/empty")
	assertContent(t, s, "still/empty", "", "after Move")
}

func testNotFound(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	mustWrite(t, s, "dir/file", "x")
	mustWrite(t, s, "target", "keep")
	for _, path := range []string{"missing", "dir/missing", "missing/deeper", "dir", "dir/file/below"} {
		if _, err := s.Read(ctx, path); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("Read(%q) = %v, want ErrNotFound", path, err)
		}
		if err := s.Delete(ctx, path); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("Delete(%q) = %v, want ErrNotFound", path, err)
		}
		if err := s.Move(ctx, path, "target"); !errors.Is(err, admin.ErrNotFound) {
			t.Errorf("Move(%q, target) = %v, want ErrNotFound", path, err)
		}
		mustExist(t, s, path, false)
	}
	assertContent(t, s, "target", "keep", "after a failed Move onto it")
	assertList(t, s, "", []admin.FileInfo{{Path: "dir/file", Size: 1}, {Path: "target", Size: 4}})
}

func testDelete(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	mustWrite(t, s, "logs/a", "a")
	mustWrite(t, s, "logs/b", "b")
	mustWrite(t, s, "logs/sub/c", "c")
	if err := s.Delete(ctx, "logs/sub/c"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	mustExist(t, s, "logs/sub/c", false)
	if _, err := s.Read(ctx, "logs/sub/c"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("Read after Delete = %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "logs/sub/c"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	assertList(t, s, "", []admin.FileInfo{{Path: "logs/a", Size: 1}, {Path: "logs/b", Size: 1}})
	// The folder of a deleted file can be written again.
	mustWrite(t, s, "logs/sub/c", "again")
	assertContent(t, s, "logs/sub/c", "again", "after writing into a deleted folder")
}

func testMove(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	mustWrite(t, s, "from", "payload")
	mustMove(t, s, "from", "to/a/new/folder/file")
	mustExist(t, s, "from", false)
	assertContent(t, s, "to/a/new/folder/file", "payload", "after Move")

	// Move replaces its target.
	mustWrite(t, s, "other", "other payload")
	mustMove(t, s, "other", "to/a/new/folder/file")
	assertContent(t, s, "to/a/new/folder/file", "other payload", "after Move replaced it")

	// Moving a file onto itself keeps it.
	mustMove(t, s, "to/a/new/folder/file", "to/a/new/folder/file")
	assertContent(t, s, "to/a/new/folder/file", "other payload", "after moving a file onto itself")
	assertList(t, s, "", []admin.FileInfo{{Path: "to/a/new/folder/file", Size: 13}})

	if err := s.Move(ctx, "from", "x"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("Move of a moved-away file = %v, want ErrNotFound", err)
	}
}

func testList(t *testing.T, s admin.FileStorage) {
	files := map[string]string{
		"builds/b1/build.log":  "1",
		"builds/b10/build.log": "22",
		"builds/b2/build.log":  "333",
		"a-c":                  "4444", // '-' (0x2d) < '.' (0x2e) < '/' (0x2f)
		"a.txt":                "55555",
		"a/b":                  "666666",
		"z":                    "",
	}
	for p, c := range files {
		mustWrite(t, s, p, c)
	}
	var all []admin.FileInfo
	for p, c := range files {
		all = append(all, admin.FileInfo{Path: p, Size: int64(len(c))})
	}
	slices.SortFunc(all, func(a, b admin.FileInfo) int { return strings.Compare(a.Path, b.Path) })
	if all[0].Path != "a-c" || all[1].Path != "a.txt" || all[2].Path != "a/b" {
		t.Fatalf("suite bug: byte order of %v", all)
	}
	got := assertList(t, s, "", all)
	for _, fi := range got {
		if fi.ModTime.IsZero() {
			t.Errorf("List: %q has a zero ModTime", fi.Path)
		}
	}
}

func testListPrefix(t *testing.T, s admin.FileStorage) {
	for _, p := range []string{"builds/b1/build.log", "builds/b1/meta/x.json", "builds/b10/build.log", "builds/b2/build.log", "buildsx", "other/f"} {
		mustWrite(t, s, p, p)
	}
	info := func(paths ...string) []admin.FileInfo {
		out := []admin.FileInfo{}
		for _, p := range paths {
			out = append(out, admin.FileInfo{Path: p, Size: int64(len(p))})
		}
		return out
	}
	tests := []struct {
		prefix string
		want   []admin.FileInfo
	}{
		{"builds/b1/", info("builds/b1/build.log", "builds/b1/meta/x.json")},
		// A prefix is a plain string prefix, as in S3 and GCS.
		{"builds/b1", info("builds/b1/build.log", "builds/b1/meta/x.json", "builds/b10/build.log")},
		{"builds/", info("builds/b1/build.log", "builds/b1/meta/x.json", "builds/b10/build.log", "builds/b2/build.log")},
		{"builds", info("builds/b1/build.log", "builds/b1/meta/x.json", "builds/b10/build.log", "builds/b2/build.log", "buildsx")},
		{"bui", info("builds/b1/build.log", "builds/b1/meta/x.json", "builds/b10/build.log", "builds/b2/build.log", "buildsx")},
		{"builds/b1/build.log", info("builds/b1/build.log")},
		{"builds/b1/meta/x.json/", info()},
		{"builds/b3", info()},
		{"nothing/", info()},
		{"o", info("other/f")},
	}
	for _, tc := range tests {
		t.Run(tc.prefix, func(t *testing.T) { assertList(t, s, tc.prefix, tc.want) })
	}
}

func testNames(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	names := []string{
		"dir with space/naïve 文件.txt",
		"odd/100% sure+plus&amp=eq?q#hash.txt",
		"odd/semi;colon,comma:at@dollar$!'()*[]{}~^`|\"<>.txt",
		"odd/%2F%2e%2E%00.txt", // escapes must stay literal
		"odd/tab\tnewline\ncr\r.txt",
		"odd/.hidden/.file",
		"odd/.../..b/b..",
		"-leading-dash",
		"trailing space ",
		"emoji/🙂",
	}
	for _, name := range names {
		mustWrite(t, s, name, "content of "+name)
	}
	var want []admin.FileInfo
	for _, name := range names {
		assertContent(t, s, name, "content of "+name, "")
		mustExist(t, s, name, true)
		want = append(want, admin.FileInfo{Path: name, Size: int64(len("content of " + name))})
	}
	slices.SortFunc(want, func(a, b admin.FileInfo) int { return strings.Compare(a.Path, b.Path) })
	assertList(t, s, "", want)
	assertList(t, s, "odd/100% sure+", want[slices.IndexFunc(want, func(fi admin.FileInfo) bool { return strings.HasPrefix(fi.Path, "odd/100%") }):][:1])

	for _, name := range names {
		moved := "moved/" + name
		mustMove(t, s, name, moved)
		assertContent(t, s, moved, "content of "+name, "after Move")
		if err := s.Delete(ctx, moved); err != nil {
			t.Errorf("Delete(%q): %v", moved, err)
		}
	}
	assertList(t, s, "", nil)
}
