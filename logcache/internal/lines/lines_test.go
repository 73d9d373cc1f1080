package lines

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"aé", 2, "a"},                // é is 2 bytes
		{"日本", 4, "日"},                // 3-byte runes
		{"🙂🙂", 7, "🙂"},                // 4-byte runes
		{"é", 1, ""},                  // nothing whole fits
		{"ab\xff\xfecd", 3, "ab\xff"}, // invalid bytes are cut where they are
		{"\x80\x80\x80\x80\x80", 2, "\x80\x80"},
	}
	for _, tt := range tests {
		if got := truncate(tt.in, tt.max); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func TestPrepare(t *testing.T) {
	l := Limits{MaxLines: 10, MaxLineBytes: 4}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))
	in := []admin.LogLine{
		{Seq: 9, Dropped: 3, Text: "abcdef"},
		{Time: at, Phase: "install", Stream: "stderr", Text: "ok"},
	}
	got, err := l.Prepare(in, now)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Seq != 0 || got[0].Dropped != 0 || got[0].Text != "abcd" || !got[0].Time.Equal(now) {
		t.Errorf("line 0 prepared as %+v", got[0])
	}
	if !got[1].Time.Equal(at) || got[1].Time.Location() != time.UTC || got[1].Phase != "install" || got[1].Stream != "stderr" {
		t.Errorf("line 1 prepared as %+v", got[1])
	}
	if in[0].Text != "abcdef" || in[0].Seq != 9 {
		t.Errorf("Prepare changed its input: %+v", in[0])
	}
	_, err = l.Prepare([]admin.LogLine{{Text: "x"}, {Phase: strings.Repeat("p", MaxPhaseLength+1)}}, now)
	if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), "line 1") || !strings.Contains(err.Error(), "phase") {
		t.Errorf("Prepare with a long phase: %v", err)
	}
}

func TestNewLimits(t *testing.T) {
	got, err := NewLimits(0, 0)
	if err != nil || got != (Limits{DefaultMaxLines, DefaultMaxLineBytes}) {
		t.Errorf("NewLimits(0, 0) = %+v, %v", got, err)
	}
	for _, tt := range []struct{ lines, bytes int }{{-1, 0}, {0, -1}} {
		if _, err := NewLimits(tt.lines, tt.bytes); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("NewLimits(%d, %d): %v", tt.lines, tt.bytes, err)
		}
	}
}
