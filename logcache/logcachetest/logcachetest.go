package logcachetest

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Options are the caps the suite asks a cache to be built with. Both are
// always positive.
type Options struct {
	// MaxLines is the per-build line cap.
	MaxLines int
	// MaxLineBytes is the cap on a line's Text.
	MaxLineBytes int
}

// defaults is what most tests use: caps they never reach.
var defaults = Options{MaxLines: 10_000, MaxLineBytes: 4096}

// Run checks every rule of admin.BuildLogCache against caches made by
// newCache. newCache returns a new, empty cache built with opts, with nothing
// in common with any other cache it returned; it may be called from parallel
// subtests. The suite closes each cache it gets.
func Run(t *testing.T, newCache func(t *testing.T, opts Options) admin.BuildLogCache) {
	t.Helper()
	mk := func(t *testing.T, opts Options) admin.BuildLogCache {
		t.Helper()
		c := newCache(t, opts)
		t.Cleanup(func() {
			if err := c.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return c
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache)
	}{
		{"AppendAssignsSeq", testAppendAssignsSeq},
		{"ConcurrentAppenders", testConcurrentAppenders},
		{"LinesRange", testLinesRange},
		{"UnknownBuild", testUnknownBuild},
		{"InvalidBuildID", testInvalidBuildID},
		{"InvalidLines", testInvalidLines},
		{"FollowHeld", testFollowHeld},
		{"FollowWaitsBeyondEnd", testFollowWaitsBeyondEnd},
		{"FollowLive", testFollowLive},
		{"FollowersAgree", testFollowersAgree},
		{"FollowCancel", testFollowCancel},
		{"FollowBreak", testFollowBreak},
		{"Finish", testFinish},
		{"Cap", testCap},
		{"SlowFollower", testSlowFollower},
		{"LongLines", testLongLines},
		{"BuildsIsolated", testBuildsIsolated},
		{"ManyBuilds", testManyBuilds},
		{"Flush", testFlush},
		{"FlushDropped", testFlushDropped},
		{"Clear", testClear},
		{"Close", testClose},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, mk)
		})
	}
}

func testAppendAssignsSeq(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	first := makeLines("first", 0, 3)
	for i := range first {
		first[i].Seq = 42 // ignored
		first[i].Dropped = 7
	}
	mustAppend(t, c, "bld_a", first...)
	mustAppend(t, c, "bld_a") // no lines: nothing happens
	second := makeLines("second", 3, 5)
	second[1].Stream = "stderr"
	second[2].Stream, second[2].Phase = "", ""
	second[3].Text = "bytes as printed: \x00\xff\xfe\r\n\t\u00e9"
	mustAppend(t, c, "bld_a", second...)
	want := append(first, second...)
	got := mustLines(t, c, "bld_a", 0, 0)
	checkSeqs(t, "Lines after three Appends", got, 0, len(want))
	for i := range want {
		checkSame(t, fmt.Sprintf("line %d", i), got[i], want[i])
	}
	// A cancelled context need not be honoured by every backend, but an
	// Append that reports success must have stored its lines.
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if err := c.Append(cancelled, "bld_a", makeLines("late", 8, 1)...); err == nil {
		checkSeqs(t, "Lines after an Append with a cancelled context", mustLines(t, c, "bld_a", 0, 0), 0, 9)
	}
}

func testConcurrentAppenders(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	checkConcurrentAppends(t, []admin.BuildLogCache{c}, c)
}

// checkConcurrentAppends appends from several goroutines spread over caches,
// then checks through reader that every line is there once, with contiguous
// Seqs, each writer's lines in its order.
func checkConcurrentAppends(t *testing.T, caches []admin.BuildLogCache, reader admin.BuildLogCache) {
	const writers, appends = 4, 20
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, writers*appends)
	total := 0
	for w := range writers {
		c := caches[w%len(caches)]
		sent := 0
		for j := range appends {
			sent += j%3 + 1
		}
		total += sent
		wg.Go(func() {
			n := 0
			for j := range appends {
				batch := makeLines(fmt.Sprintf("w%d", w), n, j%3+1)
				n += len(batch)
				if err := c.Append(ctx, "bld_c", batch...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("concurrent Append: %v", err)
	}
	got := mustLines(t, reader, "bld_c", 0, 0)
	checkSeqs(t, "Lines after concurrent Appends", got, 0, total)
	nextOf := make(map[int]int)
	for _, l := range got {
		var w, i int
		if _, err := fmt.Sscanf(l.Text, "w%d %d", &w, &i); err != nil {
			t.Fatalf("unexpected text %q", l.Text)
		}
		if i != nextOf[w] {
			t.Fatalf("writer %d: line %d came at Seq %d where line %d was due: a writer's order was not kept", w, i, l.Seq, nextOf[w])
		}
		nextOf[w]++
	}
}

func testLinesRange(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	mustAppend(t, c, "bld_r", makeLines("l", 0, 10)...)
	tests := []struct {
		from      int64
		limit     int
		wantFirst int64
		wantN     int
	}{
		{0, 0, 0, 10},
		{0, 1, 0, 1},
		{3, 0, 3, 7},
		{3, 4, 3, 4},
		{9, 5, 9, 1},
		{0, 100, 0, 10},
		{10, 0, 10, 0},
		{100, 3, 100, 0},
	}
	for _, tt := range tests {
		got := mustLines(t, c, "bld_r", tt.from, tt.limit)
		checkSeqs(t, fmt.Sprintf("Lines(from %d, limit %d)", tt.from, tt.limit), got, tt.wantFirst, tt.wantN)
		for _, l := range got {
			if want := fmt.Sprintf("l %d", l.Seq); l.Text != want {
				t.Fatalf("line %d has text %q, want %q", l.Seq, l.Text, want)
			}
		}
	}
	ctx := testContext(t)
	_, err := c.Lines(ctx, "bld_r", -1, 0)
	checkErrorIs(t, "Lines with from -1", err, admin.ErrInvalidArgument)
	_, err = c.Lines(ctx, "bld_r", 0, -1)
	checkErrorIs(t, "Lines with limit -1", err, admin.ErrInvalidArgument)
	got, err := collect(t, ctx, c, "bld_r", -1)
	if len(got) != 0 {
		t.Fatalf("Follow from -1 yielded %v", seqsOf(got))
	}
	checkErrorIs(t, "Follow from -1", err, admin.ErrInvalidArgument)
}

func testUnknownBuild(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	if got := mustLines(t, c, "bld_unknown", 0, 0); len(got) != 0 {
		t.Fatalf("Lines of an unknown build: %v", seqsOf(got))
	}
	fs := newFileStorage(t)
	_, err := c.Flush(ctx, "bld_unknown", fs)
	checkErrorIs(t, "Flush of an unknown build", err, admin.ErrNotFound)
	if ok, err := fs.Exists(ctx, admin.BuildLogPath("bld_unknown")); err != nil || ok {
		t.Fatalf("Flush of an unknown build wrote a file (exists %v, err %v)", ok, err)
	}
	if err := c.Clear(ctx, "bld_unknown"); err != nil {
		t.Fatalf("Clear of an unknown build: %v", err)
	}
}

func testInvalidBuildID(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	fs := newFileStorage(t)
	ids := []string{"", ".", "..", "a/b", "../etc", "a\\b", "a\nb", "a\x00b", strings.Repeat("x", 4096)}
	for _, id := range ids {
		what := func(op string) string { return fmt.Sprintf("%s(%.20q)", op, id) }
		checkErrorIs(t, what("Append"), c.Append(ctx, id, makeLines("x", 0, 1)...), admin.ErrInvalidArgument)
		_, err := c.Lines(ctx, id, 0, 0)
		checkErrorIs(t, what("Lines"), err, admin.ErrInvalidArgument)
		checkErrorIs(t, what("Finish"), c.Finish(ctx, id), admin.ErrInvalidArgument)
		_, err = c.Flush(ctx, id, fs)
		checkErrorIs(t, what("Flush"), err, admin.ErrInvalidArgument)
		checkErrorIs(t, what("Clear"), c.Clear(ctx, id), admin.ErrInvalidArgument)
		got, err := collect(t, ctx, c, id, 0)
		if len(got) != 0 {
			t.Fatalf("%s yielded %v", what("Follow"), seqsOf(got))
		}
		checkErrorIs(t, what("Follow"), err, admin.ErrInvalidArgument)
	}
	if files, err := fs.List(ctx, ""); err != nil || len(files) != 0 {
		t.Fatalf("Flush with bad ids wrote %v (err %v)", files, err)
	}
}

func testInvalidLines(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	tests := []struct {
		name string
		bad  func(*admin.LogLine)
	}{
		{"stream stdin", func(l *admin.LogLine) { l.Stream = "stdin" }},
		{"stream with a newline", func(l *admin.LogLine) { l.Stream = "stdout\nstdout" }},
		{"phase with a newline", func(l *admin.LogLine) { l.Phase = "b\nforged" }},
		{"huge phase", func(l *admin.LogLine) { l.Phase = strings.Repeat("p", 10_000) }},
	}
	for _, tt := range tests {
		batch := makeLines("ok", 0, 3)
		tt.bad(&batch[1])
		err := c.Append(ctx, "bld_i", batch...)
		checkErrorIs(t, "Append with a "+tt.name, err, admin.ErrInvalidArgument)
		if got := mustLines(t, c, "bld_i", 0, 0); len(got) != 0 {
			t.Fatalf("Append with a %s stored %v", tt.name, seqsOf(got))
		}
	}
	mustAppend(t, c, "bld_i", makeLines("ok", 0, 1)...)
	checkSeqs(t, "Lines after rejected Appends and a good one", mustLines(t, c, "bld_i", 0, 0), 0, 1)
}

func testFollowHeld(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	want := makeLines("held", 0, 10)
	mustAppend(t, c, "bld_f", want...)
	mustFinish(t, c, "bld_f")
	for _, tt := range []struct {
		from  int64
		wantN int
	}{{0, 10}, {4, 6}, {9, 1}, {10, 0}, {50, 0}} {
		got, err := collect(t, ctx, c, "bld_f", tt.from)
		if err != nil {
			t.Fatalf("Follow from %d: %v", tt.from, err)
		}
		checkSeqs(t, fmt.Sprintf("Follow from %d of a finished log", tt.from), got, tt.from, tt.wantN)
		for _, l := range got {
			checkSame(t, fmt.Sprintf("Follow line %d", l.Seq), l, want[l.Seq])
		}
	}
}

func testFollowWaitsBeyondEnd(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	mustAppend(t, c, "bld_w", makeLines("w", 0, 3)...)
	f := startFollow(ctx, c, "bld_w", 5)
	mustAppend(t, c, "bld_w", makeLines("w", 3, 2)...)
	mustAppend(t, c, "bld_w", makeLines("w", 5, 2)...)
	mustFinish(t, c, "bld_w")
	got, err := f.rest(t)
	if err != nil {
		t.Fatalf("Follow from beyond the end: %v", err)
	}
	checkSeqs(t, "Follow from 5 of a log that had 3 lines", got, 5, 2)
}

func testFollowLive(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	f := startFollow(ctx, c, "bld_l", 0)
	want := makeLines("live", 0, 4)
	mustAppend(t, c, "bld_l", want[0])
	if l := f.next(t); l.Seq != 0 {
		t.Fatalf("first live line has Seq %d", l.Seq)
	}
	// The follower is now live: these lines arrive after it caught up.
	mustAppend(t, c, "bld_l", want[1:3]...)
	for i := 1; i < 3; i++ {
		l := f.next(t)
		if l.Seq != int64(i) {
			t.Fatalf("live line has Seq %d, want %d", l.Seq, i)
		}
		checkSame(t, "live line", l, want[i])
	}
	mustAppend(t, c, "bld_l", want[3])
	mustFinish(t, c, "bld_l")
	rest, err := f.rest(t)
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	checkSeqs(t, "Follow after Finish", rest, 3, 1)
	got, err := collect(t, ctx, c, "bld_l", 0)
	if err != nil {
		t.Fatalf("Follow of the finished log: %v", err)
	}
	checkSeqs(t, "Follow from 0 after Finish", got, 0, 4)
}

func testFollowersAgree(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	checkFollowersAgree(t, c, c)
}

// checkFollowersAgree starts followers on reader, appends concurrently
// through writer, and checks that every follower saw the whole log.
func checkFollowersAgree(t *testing.T, writer, reader admin.BuildLogCache) {
	const followers, writers, perWriter = 5, 3, 40
	ctx := testContext(t)
	fs := make([]*follower, followers)
	for i := range fs {
		fs[i] = startFollow(ctx, reader, "bld_a", 0)
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for i := 0; i < perWriter; i += 4 {
				if err := writer.Append(ctx, "bld_a", makeLines(fmt.Sprintf("w%d", w), i, 4)...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	mustFinish(t, writer, "bld_a")
	want := mustLines(t, reader, "bld_a", 0, 0)
	checkSeqs(t, "Lines", want, 0, writers*perWriter)
	for i, f := range fs {
		got, err := f.rest(t)
		if err != nil {
			t.Fatalf("follower %d: %v", i, err)
		}
		checkSeqs(t, fmt.Sprintf("follower %d", i), got, 0, len(want))
		for j := range got {
			if got[j].Text != want[j].Text {
				t.Fatalf("follower %d saw %q at Seq %d where Lines has %q", i, got[j].Text, j, want[j].Text)
			}
		}
	}
}

func testFollowCancel(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	mustAppend(t, c, "bld_x", makeLines("x", 0, 2)...)
	ctx, cancel := context.WithCancel(testContext(t))
	f := startFollow(ctx, c, "bld_x", 0)
	f.next(t)
	f.next(t)
	cancel() // the follower is waiting for a third line
	rest, err := f.rest(t)
	if err != nil || len(rest) != 0 {
		t.Fatalf("Follow after cancel: lines %v, err %v; want it to end quietly", seqsOf(rest), err)
	}
	// Already cancelled: ends at once without an error.
	got, err := collect(t, ctx, c, "bld_x", 0)
	if err != nil {
		t.Fatalf("Follow with a cancelled context: %v", err)
	}
	if len(got) > 2 {
		t.Fatalf("Follow with a cancelled context yielded %v", seqsOf(got))
	}
	// A follower waiting on a build with no lines at all ends too.
	ctx2, cancel2 := context.WithCancel(testContext(t))
	f2 := startFollow(ctx2, c, "bld_empty", 0)
	cancel2()
	if rest, err := f2.rest(t); err != nil || len(rest) != 0 {
		t.Fatalf("Follow of an empty build after cancel: lines %v, err %v", seqsOf(rest), err)
	}
}

func testFollowBreak(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	mustAppend(t, c, "bld_b", makeLines("b", 0, 10)...)
	var seen []admin.LogLine
	for l, err := range c.Follow(ctx, "bld_b", 0) {
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		seen = append(seen, l)
		if len(seen) == 3 {
			break
		}
	}
	checkSeqs(t, "Follow until break", seen, 0, 3)
	mustAppend(t, c, "bld_b", makeLines("b", 10, 2)...)
	mustFinish(t, c, "bld_b")
	got, err := collect(t, ctx, c, "bld_b", 0)
	if err != nil {
		t.Fatalf("Follow after a break: %v", err)
	}
	checkSeqs(t, "Follow after a break", got, 0, 12)
}

func testFinish(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	mustAppend(t, c, "bld_d", makeLines("d", 0, 2)...)
	mustFinish(t, c, "bld_d")
	mustFinish(t, c, "bld_d") // twice is fine
	err := c.Append(ctx, "bld_d", makeLines("late", 2, 1)...)
	checkErrorIs(t, "Append after Finish", err, admin.ErrConflict)
	checkSeqs(t, "Lines after a refused Append", mustLines(t, c, "bld_d", 0, 0), 0, 2)

	// A build that ends before writing anything.
	mustFinish(t, c, "bld_silent")
	got, err := collect(t, ctx, c, "bld_silent", 0)
	if err != nil || len(got) != 0 {
		t.Fatalf("Follow of a finished empty log: lines %v, err %v", seqsOf(got), err)
	}
	fs := newFileStorage(t)
	path, err := c.Flush(ctx, "bld_silent", fs)
	if err != nil {
		t.Fatalf("Flush of a finished empty log: %v", err)
	}
	if data := readFile(t, fs, path); data != "" {
		t.Fatalf("Flush of a finished empty log wrote %q", data)
	}
}

func testCap(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, Options{MaxLines: 5, MaxLineBytes: 1024})
	ctx := testContext(t)
	for i := 0; i < 12; i += 4 {
		mustAppend(t, c, "bld_cap", makeLines("cap", i, 4)...)
	}
	// Seqs 0..6 were dropped; 7..11 are kept.
	all := mustLines(t, c, "bld_cap", 0, 0)
	if len(all) != 6 {
		t.Fatalf("Lines(0, 0) of a capped log: %v, want a marker and 5 lines", seqsOf(all))
	}
	checkMarker(t, "Lines(0, 0)[0]", all[0], 6, 7)
	checkSeqs(t, "Lines(0, 0)[1:]", all[1:], 7, 5)
	for _, l := range all[1:] {
		if want := fmt.Sprintf("cap %d", l.Seq); l.Text != want {
			t.Fatalf("kept line %d has text %q, want %q", l.Seq, l.Text, want)
		}
	}
	tests := []struct {
		from                int64
		limit               int
		markerLast, dropped int64 // zero dropped: no marker
		firstSeq            int64
		n                   int
	}{
		{from: 3, markerLast: 6, dropped: 4, firstSeq: 7, n: 5},
		{from: 6, markerLast: 6, dropped: 1, firstSeq: 7, n: 5},
		{from: 0, limit: 1, markerLast: 6, dropped: 7, n: 0},
		{from: 0, limit: 3, markerLast: 6, dropped: 7, firstSeq: 7, n: 2},
		{from: 7, firstSeq: 7, n: 5},
		{from: 9, limit: 2, firstSeq: 9, n: 2},
	}
	for _, tt := range tests {
		what := fmt.Sprintf("Lines(%d, %d) of a capped log", tt.from, tt.limit)
		got := mustLines(t, c, "bld_cap", tt.from, tt.limit)
		if tt.dropped > 0 {
			if len(got) == 0 {
				t.Fatalf("%s: no marker", what)
			}
			checkMarker(t, what, got[0], tt.markerLast, tt.dropped)
			got = got[1:]
		}
		checkSeqs(t, what, got, tt.firstSeq, tt.n)
	}
	// Resuming after the marker gives the kept lines, no gap, no repeat.
	marker := mustLines(t, c, "bld_cap", 0, 1)[0]
	checkSeqs(t, "Lines from the marker's Seq+1", mustLines(t, c, "bld_cap", marker.Seq+1, 0), 7, 5)

	mustFinish(t, c, "bld_cap")
	got, err := collect(t, ctx, c, "bld_cap", 2)
	if err != nil {
		t.Fatalf("Follow of a capped log: %v", err)
	}
	if len(got) != 6 {
		t.Fatalf("Follow from 2 of a capped log: %v", seqsOf(got))
	}
	checkMarker(t, "Follow from 2: first line", got[0], 6, 5)
	checkSeqs(t, "Follow from 2: kept lines", got[1:], 7, 5)
}

func testSlowFollower(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, Options{MaxLines: 5, MaxLineBytes: 1024})
	ctx := testContext(t)
	mustAppend(t, c, "bld_s", makeLines("s", 0, 1)...)
	var got []admin.LogLine
	for l, err := range c.Follow(ctx, "bld_s", 0) {
		if err != nil {
			t.Fatalf("Follow: %v", err)
		}
		got = append(got, l)
		if len(got) == 1 {
			// The follower is held up while the log runs past its cap.
			for i := 1; i < 21; i += 5 {
				mustAppend(t, c, "bld_s", makeLines("s", i, 5)...)
			}
			mustFinish(t, c, "bld_s")
		}
	}
	if markers := checkCoverage(t, "slow follower", got, 21); markers == 0 {
		t.Fatalf("slow follower saw no marker for the lines dropped while it waited: %v", seqsOf(got))
	}
}

func testLongLines(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	const max = 16
	c := mk(t, Options{MaxLines: 100, MaxLineBytes: max})
	texts := []string{
		"",
		"short",
		strings.Repeat("x", max),
		strings.Repeat("y", max+1),
		strings.Repeat("z", 1<<20),
		strings.Repeat("é", 20),   // 2-byte runes straddle the cap
		strings.Repeat("日本語", 10), // 3-byte runes
		"123456789012345🙂",        // a 4-byte rune across the cap
	}
	batch := make([]admin.LogLine, len(texts))
	for i, s := range texts {
		batch[i] = admin.LogLine{Time: base, Phase: "build", Stream: "stdout", Text: s}
	}
	mustAppend(t, c, "bld_long", batch...)
	got := mustLines(t, c, "bld_long", 0, 0)
	checkSeqs(t, "Lines of long lines", got, 0, len(texts))
	for i, l := range got {
		orig := texts[i]
		if len(orig) <= max {
			if l.Text != orig {
				t.Fatalf("line %d: short text %q came back as %q", i, orig, l.Text)
			}
			continue
		}
		if len(l.Text) > max || len(l.Text) <= max-utf8.UTFMax || !strings.HasPrefix(orig, l.Text) || !utf8.ValidString(l.Text) {
			t.Fatalf("line %d: %d-byte text came back as %q (%d bytes); want a valid UTF-8 prefix of at most %d bytes, cut at the last whole character", i, len(orig), l.Text, len(l.Text), max)
		}
	}
}

func testBuildsIsolated(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	for i := range 3 {
		mustAppend(t, c, "bld_one", makeLines("one", i*2, 2)...)
		mustAppend(t, c, "bld_two", makeLines("two", i, 1)...)
	}
	one := mustLines(t, c, "bld_one", 0, 0)
	checkSeqs(t, "Lines(bld_one)", one, 0, 6)
	two := mustLines(t, c, "bld_two", 0, 0)
	checkSeqs(t, "Lines(bld_two)", two, 0, 3)
	for _, l := range two {
		if !strings.HasPrefix(l.Text, "two ") {
			t.Fatalf("bld_two holds %q", l.Text)
		}
	}
	f := startFollow(ctx, c, "bld_two", 3)
	mustFinish(t, c, "bld_one")
	if err := c.Clear(ctx, "bld_one"); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	mustAppend(t, c, "bld_two", makeLines("two", 3, 1)...)
	if l := f.next(t); l.Seq != 3 || l.Text != "two 3" {
		t.Fatalf("bld_two's follower got Seq %d %q after bld_one was finished and cleared", l.Seq, l.Text)
	}
	checkSeqs(t, "Lines(bld_two) after Clear(bld_one)", mustLines(t, c, "bld_two", 0, 0), 0, 4)
	mustFinish(t, c, "bld_two")
	if rest, err := f.rest(t); err != nil || len(rest) != 0 {
		t.Fatalf("bld_two's follower after Finish: %v, %v", seqsOf(rest), err)
	}
}

func testManyBuilds(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	const builds = 30
	c := mk(t, defaults)
	ctx := testContext(t)
	var wg sync.WaitGroup
	errs := make(chan error, builds)
	for b := range builds {
		wg.Go(func() {
			id := fmt.Sprintf("bld_%d", b)
			for i := 0; i < 6; i += 3 {
				if err := c.Append(ctx, id, makeLines(id, i, 3)...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Append: %v", err)
	}
	for b := range builds {
		id := fmt.Sprintf("bld_%d", b)
		got := mustLines(t, c, id, 0, 0)
		checkSeqs(t, "Lines("+id+")", got, 0, 6)
		for _, l := range got {
			if want := fmt.Sprintf("%s %d", id, l.Seq); l.Text != want {
				t.Fatalf("%s line %d: %q, want %q", id, l.Seq, l.Text, want)
			}
		}
	}
}

func testFlush(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	checkFlush(t, c, c)
}

// checkFlush appends through writer and flushes through flusher.
func checkFlush(t *testing.T, writer, flusher admin.BuildLogCache) {
	ctx := testContext(t)
	lines := makeLines("flush", 0, 4)
	lines[1].Stream = "stderr"
	lines[2].Text = "two\nlines\r"
	lines[3].Phase, lines[3].Stream = "", ""
	mustAppend(t, writer, "bld_fl", lines...)
	mustFinish(t, writer, "bld_fl")
	fs := newFileStorage(t)
	path, err := flusher.Flush(ctx, "bld_fl", fs)
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if want := admin.BuildLogPath("bld_fl"); path != want {
		t.Fatalf("Flush returned %q, want %q", path, want)
	}
	var want strings.Builder
	for _, l := range mustLines(t, flusher, "bld_fl", 0, 0) {
		want.WriteString(admin.FormatLogLine(l) + "\n")
	}
	if got := readFile(t, fs, path); got != want.String() {
		t.Fatalf("flushed file:\n%s\nwant:\n%s", got, want.String())
	}
	if n := strings.Count(want.String(), "\n"); n != 4 {
		t.Fatalf("flushed file has %d lines, want 4", n)
	}

	_, err = flusher.Flush(ctx, "bld_fl", nil)
	checkErrorIs(t, "Flush to a nil FileStorage", err, admin.ErrInvalidArgument)

	// Once cleared, a second Flush must not replace the log with nothing.
	if err := writer.Clear(ctx, "bld_fl"); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	_, err = flusher.Flush(ctx, "bld_fl", fs)
	checkErrorIs(t, "Flush after Clear", err, admin.ErrNotFound)
	if got := readFile(t, fs, path); got != want.String() {
		t.Fatalf("Flush after Clear changed the flushed log to %q", got)
	}
}

func testFlushDropped(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, Options{MaxLines: 3, MaxLineBytes: 1024})
	ctx := testContext(t)
	mustAppend(t, c, "bld_fd", makeLines("fd", 0, 8)...)
	fs := newFileStorage(t)
	path, err := c.Flush(ctx, "bld_fd", fs)
	if err != nil {
		t.Fatalf("Flush: %v", err)
	}
	got := strings.Split(readFile(t, fs, path), "\n")
	held := mustLines(t, c, "bld_fd", 0, 0)
	if len(held) != 4 || len(got) != 5 || got[4] != "" {
		t.Fatalf("flushed %q for held lines %v: want the marker and 3 lines", got, seqsOf(held))
	}
	// The marker's time may be when it was made; the rest of it is fixed.
	_, gotMarker, _ := strings.Cut(got[0], " ")
	_, wantMarker, _ := strings.Cut(admin.FormatLogLine(held[0]), " ")
	if gotMarker != wantMarker {
		t.Fatalf("flushed marker %q, want %q after the time", got[0], wantMarker)
	}
	for i, l := range held[1:] {
		if want := admin.FormatLogLine(l); got[i+1] != want {
			t.Fatalf("flushed line %d: %q, want %q", i+1, got[i+1], want)
		}
	}
}

func testClear(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	mustAppend(t, c, "bld_cl", makeLines("old", 0, 3)...)
	f := startFollow(ctx, c, "bld_cl", 0)
	for range 3 {
		f.next(t)
	}
	if err := c.Clear(ctx, "bld_cl"); err != nil {
		t.Fatalf("Clear: %v", err)
	}
	if rest, err := f.rest(t); err != nil || len(rest) != 0 {
		t.Fatalf("follower after Clear: lines %v, err %v; want it to end", seqsOf(rest), err)
	}
	if got := mustLines(t, c, "bld_cl", 0, 0); len(got) != 0 {
		t.Fatalf("Lines after Clear: %v", seqsOf(got))
	}
	if err := c.Clear(ctx, "bld_cl"); err != nil {
		t.Fatalf("second Clear: %v", err)
	}
	mustAppend(t, c, "bld_cl", makeLines("new", 0, 1)...)
	got := mustLines(t, c, "bld_cl", 0, 0)
	if len(got) != 1 || got[0].Text != "new 0" {
		t.Fatalf("Lines after Clear and Append: %v", got)
	}
}

func testClose(t *testing.T, mk func(*testing.T, Options) admin.BuildLogCache) {
	c := mk(t, defaults)
	ctx := testContext(t)
	mustAppend(t, c, "bld_z", makeLines("z", 0, 1)...)
	f := startFollow(ctx, c, "bld_z", 0)
	f.next(t)
	if err := c.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rest, err := f.rest(t)
	if len(rest) != 0 {
		t.Fatalf("follower after Close yielded %v", seqsOf(rest))
	}
	checkErrorIs(t, "follower after Close", err, admin.ErrClosed)
	checkErrorIs(t, "Append after Close", c.Append(ctx, "bld_z", makeLines("z", 1, 1)...), admin.ErrClosed)
	_, err = c.Lines(ctx, "bld_z", 0, 0)
	checkErrorIs(t, "Lines after Close", err, admin.ErrClosed)
	checkErrorIs(t, "Finish after Close", c.Finish(ctx, "bld_z"), admin.ErrClosed)
	_, err = c.Flush(ctx, "bld_z", newFileStorage(t))
	checkErrorIs(t, "Flush after Close", err, admin.ErrClosed)
	checkErrorIs(t, "Clear after Close", c.Clear(ctx, "bld_z"), admin.ErrClosed)
	_, err = collect(t, ctx, c, "bld_z", 0)
	checkErrorIs(t, "Follow after Close", err, admin.ErrClosed)
	if err := c.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func readFile(t *testing.T, fs admin.FileStorage, path string) string {
	t.Helper()
	r, err := fs.Read(testContext(t), path)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	defer r.Close()
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return string(data)
}
