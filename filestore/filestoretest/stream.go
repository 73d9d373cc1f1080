package filestoretest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Sizes of the large-file test.
const (
	largeSize   = 64<<20 + 12345 // not a multiple of any part or chunk size
	sampleEvery = 8 << 20        // bytes between two heap measurements
	maxHeapGrow = 32 << 20       // what a store may hold while streaming
)

func testConcurrentWriters(t *testing.T, s admin.FileStorage) {
	const (
		writers = 4
		rounds  = 3
		readers = 2
		size    = 512 << 10
	)
	ctx := t.Context()
	// Version v is size bytes of the letter 'A'+v, so a read that mixes two
	// versions has two letters. Version 0 is written first.
	version := func(v int) []byte { return bytes.Repeat([]byte{byte('A' + v)}, size) }
	if err := s.Write(ctx, "race/file", bytes.NewReader(version(0))); err != nil {
		t.Fatalf("Write: %v", err)
	}
	check := func(got []byte) error {
		if len(got) != size {
			return fmt.Errorf("read %d bytes, want %d", len(got), size)
		}
		if i := slices.IndexFunc(got, func(b byte) bool { return b != got[0] }); i >= 0 {
			return fmt.Errorf("read a mix of versions %q and %q (at byte %d)", got[0], got[i], i)
		}
		if got[0] < 'A' || got[0] > 'A'+writers*rounds {
			return fmt.Errorf("read unknown version %q", got[0])
		}
		return nil
	}

	var wg, readersWG sync.WaitGroup
	done := make(chan struct{})
	errs := make(chan error, writers*rounds+readers)
	for w := range writers {
		wg.Go(func() {
			for r := range rounds {
				v := 1 + w*rounds + r
				if err := s.Write(ctx, "race/file", bytes.NewReader(version(v))); err != nil {
					errs <- fmt.Errorf("Write of version %d: %w", v, err)
				}
			}
		})
	}
	for range readers {
		readersWG.Go(func() {
			for {
				got, err := readAll(ctx, s, "race/file")
				if err == nil {
					err = check(got)
				}
				if err != nil {
					errs <- err
					return
				}
				select {
				case <-done:
					return
				default:
				}
			}
		})
	}
	wg.Wait()
	close(done)
	readersWG.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	got, err := readAll(ctx, s, "race/file")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	if err := check(got); err != nil {
		t.Errorf("after the race: %v", err)
	}
	assertList(t, s, "", []admin.FileInfo{{Path: "race/file", Size: size}})
}

// testLargeFile streams a file larger than any buffer a store may keep in and
// out, and checks that the live heap stays small while it flows.
func testLargeFile(t *testing.T, s admin.FileStorage) {
	ctx := t.Context()
	heap := newHeapWatch()

	start := time.Now()
	want := sha256.New()
	src := &sampledReader{r: io.TeeReader(io.LimitReader(newGenerator(42), largeSize), want), sample: heap.sample}
	if err := s.Write(ctx, "big/file.bin", src); err != nil {
		t.Fatalf("Write: %v", err)
	}
	if src.n != largeSize {
		t.Fatalf("Write read %d bytes, want %d", src.n, largeSize)
	}
	t.Logf("Write of %d MiB took %v", largeSize>>20, time.Since(start).Round(time.Millisecond))
	heap.check(t, "Write")

	infos, err := s.List(ctx, "big/")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(infos) != 1 || infos[0].Size != largeSize {
		t.Errorf("List = %+v, want one file of %d bytes", infos, largeSize)
	}

	heap = newHeapWatch()
	start = time.Now()
	rc, err := s.Read(ctx, "big/file.bin")
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	got := sha256.New()
	dst := &sampledWriter{w: got, sample: heap.sample}
	n, err := io.Copy(dst, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatalf("reading back after %d bytes: %v", n, err)
	}
	if n != largeSize {
		t.Fatalf("read back %d bytes, want %d", n, largeSize)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Errorf("read back content differs from what was written (SHA-256 %x, want %x)", got.Sum(nil), want.Sum(nil))
	}
	t.Logf("Read of %d MiB took %v", largeSize>>20, time.Since(start).Round(time.Millisecond))
	heap.check(t, "Read")
}

// heapWatch records the live heap, measured after a forced collection, so
// that garbage awaiting collection does not count: a store that holds the
// file shows it, a store that streams with bounded buffers does not.
type heapWatch struct {
	start, peak uint64
	samples     int
}

func newHeapWatch() *heapWatch {
	h := &heapWatch{}
	h.start = liveHeap()
	h.peak = h.start
	return h
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

func (h *heapWatch) sample() {
	h.samples++
	h.peak = max(h.peak, liveHeap())
}

func (h *heapWatch) check(t *testing.T, op string) {
	t.Helper()
	grew := int64(h.peak) - int64(h.start)
	t.Logf("%s of %d MiB: live heap grew by at most %.1f MiB (%d samples)", op, largeSize>>20, float64(grew)/(1<<20), h.samples)
	if h.samples < largeSize/sampleEvery/2 {
		t.Errorf("%s: only %d heap samples were taken", op, h.samples)
	}
	if grew > maxHeapGrow {
		t.Errorf("%s held the file in memory: the live heap grew by %d MiB while streaming %d MiB (at most %d MiB allowed)",
			op, grew>>20, largeSize>>20, maxHeapGrow>>20)
	}
}

// sampledReader calls sample each time another sampleEvery bytes were read.
type sampledReader struct {
	r      io.Reader
	n      int64
	sample func()
}

func (r *sampledReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if (r.n+int64(n))/sampleEvery > r.n/sampleEvery {
		r.sample()
	}
	r.n += int64(n)
	return n, err
}

// sampledWriter calls sample each time another sampleEvery bytes were written.
type sampledWriter struct {
	w      io.Writer
	n      int64
	sample func()
}

func (w *sampledWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	if (w.n+int64(n))/sampleEvery > w.n/sampleEvery {
		w.sample()
	}
	w.n += int64(n)
	return n, err
}

// generator yields an endless stream of pseudo-random bytes. It is only an
// io.Reader (no Seek, Len or WriteTo), so a store cannot learn the size or
// take a shortcut.
type generator struct{ rng *rand.ChaCha8 }

func newGenerator(seed int64) *generator {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	return &generator{rng: rand.NewChaCha8(s)}
}

func (g *generator) Read(p []byte) (int, error) { return g.rng.Read(p) }

func mustWrite(t *testing.T, s admin.FileStorage, path, content string) {
	t.Helper()
	// A reader with no Len or Seek, as a stream from a network would be.
	if err := s.Write(t.Context(), path, io.MultiReader(bytes.NewReader([]byte(content)))); err != nil {
		t.Fatalf("Write(%q): %v", path, err)
	}
}

// assertContent checks that path holds want; when noting what was
// happening helps, when says it.
func assertContent(t *testing.T, s admin.FileStorage, path, want, when string) {
	t.Helper()
	b, err := readAll(t.Context(), s, path)
	if err != nil {
		t.Fatalf("Read(%q): %v", path, err)
	}
	if string(b) != want {
		if when != "" {
			when += ": "
		}
		t.Errorf("%sRead(%q) = %s, want %s", when, path, short(string(b)), short(want))
	}
}

// short quotes s, cut to 64 bytes, so that a wrong large file does not
// flood the test log.
func short(s string) string {
	if len(s) <= 64 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q... (%d bytes)", s[:64], len(s))
}

func readAll(ctx context.Context, s admin.FileStorage, path string) ([]byte, error) {
	rc, err := s.Read(ctx, path)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(rc)
	return b, errors.Join(err, rc.Close())
}

func mustExist(t *testing.T, s admin.FileStorage, path string, want bool) {
	t.Helper()
	got, err := s.Exists(t.Context(), path)
	if err != nil {
		t.Fatalf("Exists(%q): %v", path, err)
	}
	if got != want {
		t.Errorf("Exists(%q) = %v, want %v", path, got, want)
	}
}

func mustMove(t *testing.T, s admin.FileStorage, from, to string) {
	t.Helper()
	if err := s.Move(t.Context(), from, to); err != nil {
		t.Fatalf("Move(%q, %q): %v", from, to, err)
	}
}

// assertList checks List(prefix) against want (paths and sizes, in order)
// and returns what List returned.
func assertList(t *testing.T, s admin.FileStorage, prefix string, want []admin.FileInfo) []admin.FileInfo {
	t.Helper()
	got, err := s.List(t.Context(), prefix)
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	same := len(got) == len(want)
	for i := 0; same && i < len(got); i++ {
		same = got[i].Path == want[i].Path && got[i].Size == want[i].Size
	}
	if !same {
		t.Errorf("List(%q) =\n%s\nwant\n%s", prefix, formatInfos(got), formatInfos(want))
	}
	return got
}

func formatInfos(infos []admin.FileInfo) string {
	var b bytes.Buffer
	for _, fi := range infos {
		fmt.Fprintf(&b, "  %q (%d bytes)\n", fi.Path, fi.Size)
	}
	if len(infos) == 0 {
		b.WriteString("  (nothing)\n")
	}
	return b.String()
}
