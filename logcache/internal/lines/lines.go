// Package lines holds the rules of the admin.BuildLogCache contract that every
// first-party adapter shares: input checks, line truncation, the dropped-line
// marker and the follow loop. Adapters keep only their storage.
package lines

import (
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Defaults and limits shared by the adapters.
const (
	// DefaultMaxLines is the per-build cap when Options leave it zero.
	DefaultMaxLines = 50_000
	// DefaultMaxLineBytes is the per-line cap when Options leave it zero.
	DefaultMaxLineBytes = 8 << 10
	// FlushPage is how many lines Flush reads from the cache at a time.
	FlushPage = 1000
	// MaxPhaseLength bounds LogLine.Phase.
	MaxPhaseLength = 32
)

// Limits are a cache's caps, checked and defaulted by NewLimits.
type Limits struct {
	MaxLines     int
	MaxLineBytes int
}

// NewLimits checks the caps from an adapter's Options: zero means the
// default, negative is an error naming the field.
func NewLimits(maxLines, maxLineBytes int) (Limits, error) {
	switch {
	case maxLines < 0:
		return Limits{}, &admin.ValidationError{Field: "MaxLines", Reason: fmt.Sprintf("must not be negative, got %d", maxLines)}
	case maxLineBytes < 0:
		return Limits{}, &admin.ValidationError{Field: "MaxLineBytes", Reason: fmt.Sprintf("must not be negative, got %d", maxLineBytes)}
	}
	l := Limits{MaxLines: maxLines, MaxLineBytes: maxLineBytes}
	if l.MaxLines == 0 {
		l.MaxLines = DefaultMaxLines
	}
	if l.MaxLineBytes == 0 {
		l.MaxLineBytes = DefaultMaxLineBytes
	}
	return l, nil
}

// CheckRange checks the from and limit arguments of Lines and Follow.
func CheckRange(from int64, limit int) error {
	if from < 0 {
		return &admin.ValidationError{Field: "from", Reason: fmt.Sprintf("must not be negative, got %d", from)}
	}
	if limit < 0 {
		return &admin.ValidationError{Field: "limit", Reason: fmt.Sprintf("must not be negative, got %d", limit)}
	}
	return nil
}

// Prepare returns checked copies of lines as a cache stores them: Seq and
// Dropped cleared (the cache assigns the one and owns the other), Text cut to
// MaxLineBytes, Time in UTC and set to now when zero. A Phase that is not a
// short word, or a Stream other than "", "stdout" and "stderr", fails the
// whole call, so a bad line never breaks the one-line-per-entry file format
// and nothing is stored.
func (l Limits) Prepare(in []admin.LogLine, now time.Time) ([]admin.LogLine, error) {
	out := make([]admin.LogLine, len(in))
	for i, line := range in {
		if err := checkPhase(line.Phase); err != nil {
			return nil, fmt.Errorf("line %d: %w", i, err)
		}
		switch line.Stream {
		case "", "stdout", "stderr":
		default:
			return nil, fmt.Errorf("line %d: %w", i, &admin.ValidationError{
				Field: "stream", Reason: fmt.Sprintf("%q must be \"stdout\", \"stderr\" or empty", truncate(line.Stream, 64)),
			})
		}
		if line.Time.IsZero() {
			line.Time = now
		}
		line.Time = line.Time.UTC()
		line.Seq, line.Dropped = 0, 0
		line.Text = truncate(line.Text, l.MaxLineBytes)
		out[i] = line
	}
	return out, nil
}

func checkPhase(p string) error {
	if len(p) > MaxPhaseLength {
		return &admin.ValidationError{Field: "phase", Reason: fmt.Sprintf("must be at most %d bytes, got %d", MaxPhaseLength, len(p))}
	}
	for i := 0; i < len(p); i++ {
		if !idByte(p[i]) {
			return &admin.ValidationError{Field: "phase", Reason: fmt.Sprintf("%q may hold only letters, digits, '.', '_' and '-'", p)}
		}
	}
	return nil
}

// truncate cuts s to at most max bytes without splitting a UTF-8 sequence.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	// Step back over continuation bytes to the start of the rune that
	// straddles the cut, at most utf8.UTFMax-1 bytes; invalid bytes are cut
	// where they are.
	for i := 0; i < utf8.UTFMax-1 && cut > 0 && !utf8.RuneStart(s[cut]); i++ {
		cut--
	}
	if !utf8.RuneStart(s[cut]) {
		cut = max
	}
	return s[:cut]
}

// Window turns the retained lines read from Seq from on (contiguous, the
// first at Seq >= from) into what Lines returns: a marker first when lines
// from `from` on were dropped, everything cut to limit (0: no limit). It
// reports whether nothing was cut. The marker carries the first retained
// line's time, so that repeated reads and the flushed file agree.
func (l Limits) Window(from int64, got []admin.LogLine, limit int) ([]admin.LogLine, bool) {
	if len(got) > 0 && got[0].Seq > from {
		m := admin.DroppedMarker(got[0].Seq-1, got[0].Seq-from, l.MaxLines, got[0].Time)
		got = append([]admin.LogLine{m}, got...)
	}
	if limit > 0 && len(got) > limit {
		return got[:limit], false
	}
	return got, true
}

// idByte reports whether c may appear in a phase name.
func idByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}
