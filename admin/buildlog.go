package admin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"
	"time"
)

const logTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// Backslashes and line breaks are escaped so that one LogLine is one line.
var (
	escapeLog   = strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`)
	unescapeLog = strings.NewReplacer(`\\`, `\`, `\n`, "\n", `\r`, "\r")
)

// BuildLogPath is the FileStorage key of a build's flushed log.
func BuildLogPath(buildID string) string { return "builds/" + buildID + "/build.log" }

// FormatLogLine renders a line as stored in build.log:
//
//	2026-11-25T17:36:19.123Z [install] stderr: npm warn deprecated …
//
// The stream part is left out when empty, the phase shows as "-" when empty.
// Backslashes and line breaks inside Phase, Stream and Text are escaped (ParseLogLine reads
// them back) so that one LogLine is one file line.
func FormatLogLine(l LogLine) string {
	phase := escapeLog.Replace(l.Phase)
	if phase == "" {
		phase = "-"
	}
	var b strings.Builder
	b.WriteString(l.Time.UTC().Format(logTimeLayout))
	b.WriteString(" [")
	b.WriteString(phase)
	b.WriteString("] ")
	if l.Stream != "" {
		b.WriteString(escapeLog.Replace(l.Stream))
		b.WriteString(": ")
	}
	b.WriteString(escapeLog.Replace(l.Text))
	return b.String()
}

// WriteBuildLog streams lines to fs at BuildLogPath(buildID), one
// FormatLogLine per line, and returns the path. BuildLogCache adapters use
// it, with AllLines, for Flush.
func WriteBuildLog(ctx context.Context, fs FileStorage, buildID string, lines iter.Seq2[LogLine, error]) (string, error) {
	if err := CheckBuildID(buildID); err != nil {
		return "", err
	}
	path := BuildLogPath(buildID)
	pr, pw := io.Pipe()
	go func() {
		w := bufio.NewWriter(pw)
		for l, err := range lines {
			if err == nil {
				_, err = w.WriteString(FormatLogLine(l) + "\n")
			}
			if err != nil {
				pw.CloseWithError(err)
				return
			}
		}
		pw.CloseWithError(w.Flush())
	}()
	err := fs.Write(ctx, path, pr)
	pr.CloseWithError(errors.New("build log write ended")) // unblocks the writer if Write returned early
	if err != nil {
		return "", fmt.Errorf("write build log %s: %w", path, err)
	}
	return path, nil
}

// AllLines yields a build's retained lines (after a marker when lines were
// dropped), reading them from c page lines at a time, so that no caller
// holds a whole log.
func AllLines(ctx context.Context, c BuildLogCache, buildID string, page int) iter.Seq2[LogLine, error] {
	return func(yield func(LogLine, error) bool) {
		from := int64(0)
		for {
			got, err := c.Lines(ctx, buildID, from, page)
			if err != nil {
				yield(LogLine{}, err)
				return
			}
			for _, l := range got {
				if !yield(l, nil) {
					return
				}
			}
			if len(got) < page {
				return
			}
			from = got[len(got)-1].Seq + 1
		}
	}
}

// DroppedMarker returns the marker line standing for n dropped lines that
// ended at Seq last, stamped at (the time of the first line kept).
func DroppedMarker(last, n int64, cap int, at time.Time) LogLine {
	return LogLine{
		Seq:     last,
		Time:    at,
		Phase:   "admin",
		Text:    fmt.Sprintf("[%d earlier lines dropped: the log cache keeps at most %d lines per build]", n, cap),
		Dropped: n,
	}
}
