package logcachetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// wait bounds every wait in the suite: reaching it is a failure, not a
// measurement.
const wait = 20 * time.Second

var base = time.Date(2026, 11, 25, 17, 36, 19, 123_000_000, time.UTC)

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*wait)
	t.Cleanup(cancel)
	return ctx
}

// makeLines returns n lines whose Text is "{prefix} {i}", for i from start.
func makeLines(prefix string, start, n int) []admin.LogLine {
	out := make([]admin.LogLine, n)
	for i := range out {
		out[i] = admin.LogLine{
			Time:   base.Add(time.Duration(start+i) * time.Millisecond),
			Phase:  "build",
			Stream: "stdout",
			Text:   fmt.Sprintf("%s %d", prefix, start+i),
		}
	}
	return out
}

func mustAppend(t *testing.T, c admin.BuildLogCache, buildID string, lines ...admin.LogLine) {
	t.Helper()
	if err := c.Append(testContext(t), buildID, lines...); err != nil {
		t.Fatalf("Append(%q, %d lines): %v", buildID, len(lines), err)
	}
}

func mustFinish(t *testing.T, c admin.BuildLogCache, buildID string) {
	t.Helper()
	if err := c.Finish(testContext(t), buildID); err != nil {
		t.Fatalf("Finish(%q): %v", buildID, err)
	}
}

func mustLines(t *testing.T, c admin.BuildLogCache, buildID string, from int64, limit int) []admin.LogLine {
	t.Helper()
	got, err := c.Lines(testContext(t), buildID, from, limit)
	if err != nil {
		t.Fatalf("Lines(%q, %d, %d): %v", buildID, from, limit, err)
	}
	return got
}

// checkSeqs fails unless got holds plain lines (no marker) with Seqs from,
// from+1, … and, when texts is not nil, those texts.
func checkSeqs(t *testing.T, what string, got []admin.LogLine, from int64, n int) {
	t.Helper()
	if len(got) != n {
		t.Fatalf("%s: got %d lines, want %d: %v", what, len(got), n, seqsOf(got))
	}
	for i, l := range got {
		if l.Seq != from+int64(i) || l.Dropped != 0 {
			t.Fatalf("%s: line %d has Seq %d Dropped %d, want Seq %d Dropped 0 (all: %v)", what, i, l.Seq, l.Dropped, from+int64(i), seqsOf(got))
		}
	}
}

// checkSame fails unless got and want carry the same content, Seq aside.
func checkSame(t *testing.T, what string, got, want admin.LogLine) {
	t.Helper()
	if !got.Time.Equal(want.Time) || got.Phase != want.Phase || got.Stream != want.Stream || got.Text != want.Text {
		t.Fatalf("%s: got {%v %q %q %q}, want {%v %q %q %q}", what,
			got.Time, got.Phase, got.Stream, got.Text, want.Time, want.Phase, want.Stream, want.Text)
	}
}

// checkMarker fails unless l is a marker for the lines up to Seq last,
// standing for n of them.
func checkMarker(t *testing.T, what string, l admin.LogLine, last, n int64) {
	t.Helper()
	if l.Dropped != n || l.Seq != last || l.Text == "" {
		t.Fatalf("%s: got {Seq %d Dropped %d Text %q}, want a marker with Seq %d Dropped %d and a text", what, l.Seq, l.Dropped, l.Text, last, n)
	}
}

func seqsOf(lines []admin.LogLine) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if l.Dropped > 0 {
			out[i] = fmt.Sprintf("marker(%d,%d)", l.Seq, l.Dropped)
		} else {
			out[i] = fmt.Sprint(l.Seq)
		}
	}
	return out
}

// checkCoverage fails unless lines, read from Seq 0 until the end of a log of
// n lines, account for every Seq exactly once and in order, markers standing
// for the lines they replace.
func checkCoverage(t *testing.T, what string, lines []admin.LogLine, n int64) (markers int) {
	t.Helper()
	var next int64
	for _, l := range lines {
		first := l.Seq
		if l.Dropped > 0 {
			first = l.Seq - l.Dropped + 1
			markers++
		}
		if first != next {
			t.Fatalf("%s: expected Seq %d next, got %v (all: %v)", what, next, seqsOf([]admin.LogLine{l}), seqsOf(lines))
		}
		next = l.Seq + 1
	}
	if next != n {
		t.Fatalf("%s: lines end before Seq %d, want %d (all: %v)", what, next, n, seqsOf(lines))
	}
	return markers
}

func checkErrorIs(t *testing.T, what string, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: got error %v, want one matching %v", what, err, want)
	}
}

// follower runs Follow in a goroutine and hands its lines over a channel.
type follower struct {
	lines chan admin.LogLine
	done  chan struct{}
	err   error // set before done is closed
}

func startFollow(ctx context.Context, c admin.BuildLogCache, buildID string, from int64) *follower {
	f := &follower{lines: make(chan admin.LogLine, 100_000), done: make(chan struct{})}
	go func() {
		defer close(f.done)
		defer close(f.lines)
		for l, err := range c.Follow(ctx, buildID, from) {
			if err != nil {
				f.err = err
				return
			}
			f.lines <- l
		}
	}()
	return f
}

// next returns the follower's next line, failing when it ends or takes too
// long.
func (f *follower) next(t *testing.T) admin.LogLine {
	t.Helper()
	select {
	case l, ok := <-f.lines:
		if !ok {
			<-f.done
			t.Fatalf("follower ended early (err %v)", f.err)
		}
		return l
	case <-time.After(wait):
		t.Fatalf("no line from the follower within %v", wait)
	}
	return admin.LogLine{}
}

// rest returns the lines the follower yields until it ends, and its error.
func (f *follower) rest(t *testing.T) ([]admin.LogLine, error) {
	t.Helper()
	var out []admin.LogLine
	timeout := time.After(wait)
	for {
		select {
		case l, ok := <-f.lines:
			if !ok {
				<-f.done
				return out, f.err
			}
			out = append(out, l)
		case <-timeout:
			t.Fatalf("follower did not end within %v (got %v)", wait, seqsOf(out))
		}
	}
}

// collect runs Follow to its end and returns what it yielded.
func collect(t *testing.T, ctx context.Context, c admin.BuildLogCache, buildID string, from int64) ([]admin.LogLine, error) {
	t.Helper()
	f := startFollow(ctx, c, buildID, from)
	return f.rest(t)
}
