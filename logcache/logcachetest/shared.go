package logcachetest

import (
	"fmt"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// RunShared checks what a cache shared between processes promises: newPair
// returns two caches built with opts on one backend, through separate
// connections, as two admin servers would hold them, with nothing in common
// with any other pair. Lines appended through one are read, followed,
// finished, flushed and cleared through the other. The suite closes both.
func RunShared(t *testing.T, newPair func(t *testing.T, opts Options) (a, b admin.BuildLogCache)) {
	t.Helper()
	mk := func(t *testing.T, opts Options) (admin.BuildLogCache, admin.BuildLogCache) {
		t.Helper()
		a, b := newPair(t, opts)
		t.Cleanup(func() {
			for _, c := range []admin.BuildLogCache{a, b} {
				if err := c.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			}
		})
		return a, b
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, mk func(*testing.T, Options) (admin.BuildLogCache, admin.BuildLogCache))
	}{
		{"SeqAcrossCaches", testSharedSeq},
		{"ConcurrentAppenders", testSharedConcurrent},
		{"FollowAcrossCaches", testSharedFollow},
		{"FollowersAgree", testSharedFollowersAgree},
		{"Cap", testSharedCap},
		{"FinishAndClear", testSharedFinishClear},
		{"Flush", testSharedFlush},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.fn(t, mk)
		})
	}
}

type pairMaker = func(*testing.T, Options) (admin.BuildLogCache, admin.BuildLogCache)

func testSharedSeq(t *testing.T, mk pairMaker) {
	a, b := mk(t, defaults)
	mustAppend(t, a, "bld_s", makeLines("s", 0, 3)...)
	mustAppend(t, b, "bld_s", makeLines("s", 3, 2)...)
	mustAppend(t, a, "bld_s", makeLines("s", 5, 1)...)
	fromA := mustLines(t, a, "bld_s", 0, 0)
	fromB := mustLines(t, b, "bld_s", 0, 0)
	checkSeqs(t, "Lines through a", fromA, 0, 6)
	checkSeqs(t, "Lines through b", fromB, 0, 6)
	for i := range fromA {
		if want := fmt.Sprintf("s %d", i); fromA[i].Text != want {
			t.Fatalf("Seq %d holds %q, want %q", i, fromA[i].Text, want)
		}
		checkSame(t, fmt.Sprintf("line %d through b", i), fromB[i], fromA[i])
	}
}

func testSharedConcurrent(t *testing.T, mk pairMaker) {
	a, b := mk(t, defaults)
	checkConcurrentAppends(t, []admin.BuildLogCache{a, b}, b)
}

func testSharedFollow(t *testing.T, mk pairMaker) {
	a, b := mk(t, defaults)
	ctx := testContext(t)
	mustAppend(t, a, "bld_f", makeLines("f", 0, 2)...)
	f := startFollow(ctx, b, "bld_f", 1)
	if l := f.next(t); l.Seq != 1 {
		t.Fatalf("first line through b has Seq %d, want 1", l.Seq)
	}
	mustAppend(t, a, "bld_f", makeLines("f", 2, 3)...)
	for i := int64(2); i < 5; i++ {
		if l := f.next(t); l.Seq != i || l.Text != fmt.Sprintf("f %d", i) {
			t.Fatalf("live line through b: Seq %d %q, want %d", l.Seq, l.Text, i)
		}
	}
	mustFinish(t, a, "bld_f")
	if rest, err := f.rest(t); err != nil || len(rest) != 0 {
		t.Fatalf("b's follower after a's Finish: lines %v, err %v", seqsOf(rest), err)
	}
}

func testSharedFollowersAgree(t *testing.T, mk pairMaker) {
	a, b := mk(t, defaults)
	checkFollowersAgree(t, a, b)
}

func testSharedCap(t *testing.T, mk pairMaker) {
	a, b := mk(t, Options{MaxLines: 4, MaxLineBytes: 1024})
	mustAppend(t, a, "bld_c", makeLines("c", 0, 6)...)
	mustAppend(t, b, "bld_c", makeLines("c", 6, 4)...)
	got := mustLines(t, b, "bld_c", 0, 0)
	if len(got) != 5 {
		t.Fatalf("Lines through b: %v, want a marker and 4 lines", seqsOf(got))
	}
	checkMarker(t, "Lines through b", got[0], 5, 6)
	checkSeqs(t, "Lines through b", got[1:], 6, 4)
}

func testSharedFinishClear(t *testing.T, mk pairMaker) {
	a, b := mk(t, defaults)
	ctx := testContext(t)
	mustAppend(t, a, "bld_fc", makeLines("fc", 0, 2)...)
	mustFinish(t, a, "bld_fc")
	err := b.Append(ctx, "bld_fc", makeLines("late", 2, 1)...)
	checkErrorIs(t, "Append through b after Finish through a", err, admin.ErrConflict)

	mustAppend(t, a, "bld_cl", makeLines("cl", 0, 2)...)
	f := startFollow(ctx, b, "bld_cl", 0)
	f.next(t)
	f.next(t)
	if err := a.Clear(ctx, "bld_cl"); err != nil {
		t.Fatalf("Clear through a: %v", err)
	}
	if rest, err := f.rest(t); err != nil || len(rest) != 0 {
		t.Fatalf("b's follower after a's Clear: lines %v, err %v; want it to end", seqsOf(rest), err)
	}
	if got := mustLines(t, b, "bld_cl", 0, 0); len(got) != 0 {
		t.Fatalf("Lines through b after Clear through a: %v", seqsOf(got))
	}
}

func testSharedFlush(t *testing.T, mk pairMaker) {
	a, b := mk(t, defaults)
	checkFlush(t, a, b)
}
