package jsonl

import (
	"errors"
	"io"
	"strings"
	"testing"
)

func TestLineReader(t *testing.T) {
	type want struct {
		line    string
		n       int64
		tooLong bool
		err     error
	}
	long := strings.Repeat("x", 70000) // longer than the reader's buffer
	for _, c := range []struct {
		name      string
		in        string
		max, keep int
		want      []want
	}{
		{"lines", "a\nbb\r\n\n", 10, 4, []want{{"a", 2, false, nil}, {"bb", 4, false, nil}, {"", 1, false, nil}, {"", 0, false, io.EOF}}},
		{"exactly max, with \\r\\n", "abcd\r\nabcde\n", 4, 2, []want{{"abcd", 6, false, nil}, {"ab", 6, true, nil}, {"", 0, false, io.EOF}}},
		{"unfinished last line", "a\nbcd", 10, 4, []want{{"a", 2, false, nil}, {"bcd", 3, false, io.EOF}}},
		{"long lines past the buffer", long + "\nok\n" + long, 100, 3, []want{{"xxx", 70001, true, nil}, {"ok", 3, false, nil}, {"xxx", 70000, true, io.EOF}}},
		{"a long line within max", long + "\n", 70000, 5, []want{{long, 70001, false, nil}, {"", 0, false, io.EOF}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := NewLineReader(strings.NewReader(c.in), c.max, c.keep)
			for i, w := range c.want {
				line, n, tooLong, err := r.Next()
				if string(line) != w.line || n != w.n || tooLong != w.tooLong || !errors.Is(err, w.err) && (err != nil || w.err != nil) {
					t.Fatalf("line %d: %.20q (%d bytes), %d, %v, %v; want %.20q, %d, %v, %v", i, line, len(line), n, tooLong, err,
						w.line, w.n, w.tooLong, w.err)
				}
			}
		})
	}
}
