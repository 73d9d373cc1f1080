package admin

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// BuildLogPath is the FileStorage key of a build's flushed log.
func BuildLogPath(buildID string) string { return "builds/" + buildID + "/build.log" }

// FormatLogLine renders a line as stored in build.log:
//
//	2026-11-25T17:36:19.123Z [install] stderr: npm warn deprecated …
//
// The stream part is left out when empty, the phase shows as "-" when empty.
// Newlines inside Text are escaped so that one LogLine is one file line.
func FormatLogLine(l LogLine) string {
	phase := l.Phase
	if phase == "" {
		phase = "-"
	}
	var b strings.Builder
	b.WriteString(l.Time.UTC().Format("2006-01-02T15:04:05.000Z07:00"))
	b.WriteString(" [")
	b.WriteString(phase)
	b.WriteString("] ")
	if l.Stream != "" {
		b.WriteString(l.Stream)
		b.WriteString(": ")
	}
	b.WriteString(strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(l.Text))
	return b.String()
}

// WriteBuildLog streams lines to fs at BuildLogPath(buildID), one
// FormatLogLine per line, and returns the path. BuildLogCache adapters use it
// for Flush.
func WriteBuildLog(ctx context.Context, fs FileStorage, buildID string, lines []LogLine) (string, error) {
	path := BuildLogPath(buildID)
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		for _, l := range lines {
			if _, err := w.WriteString(FormatLogLine(l) + "\n"); err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	err := fs.Write(ctx, path, pr)
	pr.Close() // unblocks the writer if Write returned early
	if err != nil {
		return "", fmt.Errorf("write build log %s: %w", path, err)
	}
	return path, nil
}

// DroppedMarker returns the marker line standing for n dropped lines that
// ended at Seq last.
func DroppedMarker(last, n int64, cap int) LogLine {
	return LogLine{
		Seq:     last,
		Time:    time.Now().UTC(),
		Phase:   "admin",
		Text:    fmt.Sprintf("[%d earlier lines dropped: the log cache keeps at most %d lines per build]", n, cap),
		Dropped: n,
	}
}
