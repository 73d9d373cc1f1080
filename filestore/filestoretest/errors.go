package filestoretest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// invalidKeys are keys admin.CheckFilePath rejects.
var invalidKeys = []string{
	"",
	"..",
	".",
	"../x",
	"a/../../x",
	"x/..",
	"/abs",
	"/",
	"a//b",
	"a/",
	"a/./b",
	"./a",
	"a\\b",
	"..\\x",
	"a\x00b",
	"\xff\xfe",
	strings.Repeat("a", 1025),
}

// invalidPrefixes are listing prefixes admin.CheckFilePrefix rejects.
var invalidPrefixes = []string{
	"/",
	"../",
	"..",
	"/abs",
	"a//",
	"a//b",
	"./",
	"a/./",
	"a\\",
	"\x00",
	"\xff",
	strings.Repeat("a", 1025) + "/",
}

func testInvalidKeys(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	mustWrite(t, s, "a/b", "keep")
	mustWrite(t, s, "x", "keep x")
	before := assertList(t, s, "", []admin.FileInfo{{Path: "a/b", Size: 4}, {Path: "x", Size: 6}})

	for _, key := range invalidKeys {
		name := strings.ToValidUTF8(key, "?")
		if len(name) > 40 {
			name = name[:40] + "..."
		}
		t.Run(name, func(t *testing.T) {
			untouched := &failingReader{t: t}
			assertInvalid(t, "Write", s.Write(ctx, key, untouched))
			_, err := s.Read(ctx, key)
			assertInvalid(t, "Read", err)
			ok, err := s.Exists(ctx, key)
			assertInvalid(t, "Exists", err)
			if ok {
				t.Errorf("Exists(%q) = true", key)
			}
			assertInvalid(t, "Delete", s.Delete(ctx, key))
			assertInvalid(t, "Move to", s.Move(ctx, "x", key))
			assertInvalid(t, "Move from", s.Move(ctx, key, "x"))
			assertInvalid(t, "Move from to", s.Move(ctx, key, key))
		})
	}
	assertList(t, s, "", before)
	assertContent(t, s, "x", "keep x", "after rejected calls")
}

func testInvalidPrefixes(t *testing.T, s admin.FileStorage) {
	mustWrite(t, s, "a/b", "keep")
	for _, prefix := range invalidPrefixes {
		got, err := s.List(t.Context(), prefix)
		assertInvalid(t, "List("+strings.ToValidUTF8(prefix[:min(len(prefix), 40)], "?")+")", err)
		if len(got) != 0 {
			t.Errorf("List(%q) returned files with its error: %v", prefix, got)
		}
	}
	// Valid forms of a prefix.
	for _, prefix := range []string{"", "a", "a/", "a/b", "a/b/"} {
		if _, err := s.List(t.Context(), prefix); err != nil {
			t.Errorf("List(%q): %v", prefix, err)
		}
	}
}

// errBoom is what a failing reader returns.
var errBoom = errors.New("filestoretest: reader failed")

func testReaderError(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	mustWrite(t, s, "f", "old content")
	// The last reader fails after more than a part or chunk (S3: 5 MiB, GCS:
	// 16 MiB by default) was read, so a store that uploads in parts has
	// started an upload it must abandon.
	for _, after := range []int64{0, 100, 17 << 20} {
		r := io.MultiReader(io.LimitReader(newGenerator(after), after), errReader{errBoom})
		err := s.Write(ctx, "f", r)
		if !errors.Is(err, errBoom) {
			t.Errorf("Write with a reader failing after %d bytes = %v, want the reader's error", after, err)
		}
		err = s.Write(ctx, "new/file", io.MultiReader(io.LimitReader(newGenerator(after), after), errReader{errBoom}))
		if !errors.Is(err, errBoom) {
			t.Errorf("Write of a new file with a failing reader = %v, want the reader's error", err)
		}
	}
	assertContent(t, s, "f", "old content", "after failed Writes")
	mustExist(t, s, "new/file", false)
	assertList(t, s, "", []admin.FileInfo{{Path: "f", Size: 11}})
}

func testCancelledContext(t *testing.T, s admin.FileStorage) {
	mustWrite(t, s, "f", "old")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	assertCancelled(t, "Write", s.Write(ctx, "f", strings.NewReader("new")))
	assertCancelled(t, "Write new", s.Write(ctx, "g", strings.NewReader("new")))
	rc, err := s.Read(ctx, "f")
	if err == nil {
		rc.Close()
	}
	assertCancelled(t, "Read", err)
	_, err = s.Exists(ctx, "f")
	assertCancelled(t, "Exists", err)
	_, err = s.List(ctx, "")
	assertCancelled(t, "List", err)
	assertCancelled(t, "Delete", s.Delete(ctx, "f"))
	assertCancelled(t, "Move", s.Move(ctx, "f", "h"))
	assertList(t, s, "", []admin.FileInfo{{Path: "f", Size: 3}})
	assertContent(t, s, "f", "old", "after calls with a cancelled context")
}

func testCancelDuringWrite(t *testing.T, s admin.FileStorage) {
	mustWrite(t, s, "f", "old")
	for _, at := range []int64{1 << 10, 7 << 20} {
		ctx, cancel := context.WithCancel(t.Context())
		// The reader never ends by itself: it cancels ctx after at bytes and
		// fails the test if the store goes on reading far beyond that.
		const limit = 64 << 20
		r := &cancellingReader{gen: newGenerator(1), at: at, limit: limit, cancel: cancel}
		err := s.Write(ctx, "f", r)
		cancel()
		assertCancelled(t, "Write", err)
		if r.n >= limit {
			t.Errorf("Write read %d bytes after its context was cancelled at %d", r.n-at, at)
		}
	}
	assertContent(t, s, "f", "old", "after cancelled Writes")
	assertList(t, s, "", []admin.FileInfo{{Path: "f", Size: 3}})
}

func testClose(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	mustWrite(t, s, "f", "x")
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	closed := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, admin.ErrClosed) {
			t.Errorf("%s on a closed store = %v, want ErrClosed", op, err)
		}
	}
	closed("Write", s.Write(ctx, "g", strings.NewReader("y")))
	_, err := s.Read(ctx, "f")
	closed("Read", err)
	_, err = s.Exists(ctx, "f")
	closed("Exists", err)
	_, err = s.List(ctx, "")
	closed("List", err)
	closed("Delete", s.Delete(ctx, "f"))
	closed("Move", s.Move(ctx, "f", "g"))
}

func assertInvalid(t *testing.T, op string, err error) {
	t.Helper()
	var ve *admin.ValidationError
	if !errors.Is(err, admin.ErrInvalidArgument) || !errors.As(err, &ve) {
		t.Errorf("%s = %v, want a *admin.ValidationError (ErrInvalidArgument)", op, err)
	}
}

func assertCancelled(t *testing.T, op string, err error) {
	t.Helper()
	if !errors.Is(err, context.Canceled) {
		t.Errorf("%s with a cancelled context = %v, want context.Canceled", op, err)
	}
}

// failingReader fails the test when a store reads it.
type failingReader struct{ t *testing.T }

func (r *failingReader) Read([]byte) (int, error) {
	r.t.Errorf("the store read the body of a call it had to reject")
	return 0, io.EOF
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// cancellingReader yields generated bytes without end, cancels its context
// once at bytes were read, and ends with an error at limit.
type cancellingReader struct {
	gen    *generator
	n      int64
	at     int64
	limit  int64
	cancel context.CancelFunc
}

func (r *cancellingReader) Read(p []byte) (int, error) {
	if r.n >= r.limit {
		return 0, errors.New("filestoretest: the store kept reading after its context was cancelled")
	}
	p = p[:min(int64(len(p)), r.limit-r.n)]
	n, _ := r.gen.Read(p)
	r.n += int64(n)
	if r.n >= r.at {
		r.cancel()
	}
	return n, nil
}
