package observability

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/mastra-admin/mastra-admin-go/internal/jsonl"
)

// Defaults of ReadOptions.
const (
	// DefaultMaxLineBytes bounds one line. The writer cuts large span
	// inputs and outputs to previews, so real lines stay far below it.
	DefaultMaxLineBytes = 8 << 20
	// DefaultMaxBadLines is how many LineErrors Stats keeps in detail.
	DefaultMaxBadLines = 100
)

// Record is one valid line: exactly one of Span and Log is set.
type Record struct {
	// Line is the line's 1-based number and Offset the byte offset of its
	// start, both counted from where the reader started.
	Line   int
	Offset int64
	Span   *Span
	Log    *LogRecord
}

// LineError reports a complete line that is not a valid record. Reading
// goes on after it.
type LineError struct {
	Line   int
	Offset int64
	Reason string
}

func (e LineError) Error() string {
	return fmt.Sprintf("line %d (byte %d): %s", e.Line, e.Offset, e.Reason)
}

// Stats summarises one read.
type Stats struct {
	// Lines counts the complete lines read, blank and bad ones included.
	Lines int
	Spans int
	Logs  int
	// BadLines counts the complete lines that were not valid records; Bad
	// holds the first MaxBadLines of them.
	BadLines int
	Bad      []LineError
	// Offset is the number of bytes consumed: the end of the last complete
	// line handled. An ingester that checkpoints it resumes exactly there
	// (seek to the checkpoint plus Offset) without losing or repeating a
	// line. When fn fails, Offset is the start of the line it failed on.
	Offset int64
	// Incomplete is the length of a final line that had no "\n" yet: a
	// line the writer has not finished. It is neither an error nor
	// consumed.
	Incomplete int64
}

// ReadOptions tunes Read; nil means defaults.
type ReadOptions struct {
	// MaxLineBytes bounds a line (newline excluded); a longer line is
	// reported bad and skipped without being held in memory. Default
	// DefaultMaxLineBytes.
	MaxLineBytes int
	// MaxBadLines bounds Stats.Bad. Default DefaultMaxBadLines.
	MaxBadLines int
}

// ReadFile reads JSONL records from r with default options; see Read.
func ReadFile(r io.Reader, fn func(Record) error) (Stats, error) {
	return Read(r, nil, fn)
}

// Read reads JSONL records (spans and logs may be mixed) from r until EOF,
// calling fn for every valid record in order. Lines that are not valid
// records (bad JSON, a wrong schemaVersion or kind, missing ids, a line
// over MaxLineBytes) are counted and described in Stats.Bad and skipped;
// blank lines are skipped silently. A final line without "\n" is left
// unread (Stats.Incomplete). Read returns an error only when r fails
// (wrapped) or fn does (returned as is); Stats is valid in every case.
func Read(r io.Reader, opts *ReadOptions, fn func(Record) error) (Stats, error) {
	maxLine, maxBad := DefaultMaxLineBytes, DefaultMaxBadLines
	if opts != nil {
		if opts.MaxLineBytes > 0 {
			maxLine = opts.MaxLineBytes
		}
		if opts.MaxBadLines > 0 {
			maxBad = opts.MaxBadLines
		}
	}
	var st Stats
	bad := func(line int, off int64, reason string) {
		st.BadLines++
		if len(st.Bad) < maxBad {
			st.Bad = append(st.Bad, LineError{Line: line, Offset: off, Reason: reason})
		}
	}
	lr := jsonl.NewLineReader(r, maxLine, 0)
	for {
		text, n, tooLong, err := lr.Next()
		if err == io.EOF {
			st.Incomplete = n
			return st, nil
		}
		if err != nil {
			return st, fmt.Errorf("observability: read line %d: %w", st.Lines+1, err)
		}
		st.Lines++
		line, start := st.Lines, st.Offset
		st.Offset += n
		if tooLong {
			bad(line, start, fmt.Sprintf("line is longer than %d bytes", maxLine))
			continue
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		rec, perr := parseLine(text)
		if perr != nil {
			bad(line, start, perr.Error())
			continue
		}
		rec.Line, rec.Offset = line, start
		if rec.Span != nil {
			st.Spans++
		} else {
			st.Logs++
		}
		if err := fn(rec); err != nil {
			// Not consumed: a resumed read starts with this line again.
			st.Offset = start
			if rec.Span != nil {
				st.Spans--
			} else {
				st.Logs--
			}
			return st, err
		}
	}
}

// ParseLine parses and validates one JSONL line (without its newline).
func ParseLine(line []byte) (Record, error) {
	return parseLine(bytes.TrimRight(line, "\r\n"))
}

// anyLine is a span's and a log line's fields in one struct, so that a
// valid line is decoded in one pass: the fields of LogRecord that Span
// lacks are its own, the others are the embedded Span's.
// SchemaVersion, here, tells a missing version from a wrong one.
type anyLine struct {
	Span
	SchemaVersion *int            `json:"schemaVersion"`
	Time          time.Time       `json:"time"`
	Level         string          `json:"level"`
	Message       string          `json:"message"`
	Data          json.RawMessage `json:"data,omitempty"`
	Logger        string          `json:"logger,omitempty"`
}

// parseLine decodes text once, as every field a span or a log line may
// have, with scanLine, or with encoding/json (parseLineJSON) when
// scanLine cannot tell that it decodes the line as encoding/json would.
func parseLine(text []byte) (Record, error) { return parseLineAlias(text, false) }

// parseLineAlias is parseLine; with alias set, the JSON values of a record
// (attributes, input, data, …) may be slices of text rather than copies,
// for a caller that copies what it keeps of them before text changes.
func parseLineAlias(text []byte, alias bool) (Record, error) {
	var a anyLine
	if !scanLine(text, &a, alias) {
		return parseLineJSON(text)
	}
	return fromAnyLine(text, &a)
}

// parseLineJSON is parseLine with encoding/json only. A line that does not
// decode so (bad JSON, or a member of another type than its kind's, or of
// the other kind's) is decoded again the slow way, by parseLineSlow, whose
// verdict and message are the reference.
func parseLineJSON(text []byte) (Record, error) {
	var a anyLine
	if json.Unmarshal(text, &a) != nil {
		return parseLineSlow(text)
	}
	return fromAnyLine(text, &a)
}

// fromAnyLine makes the record of text, decoded into a, or has
// parseLineSlow say why text is not one.
func fromAnyLine(text []byte, a *anyLine) (Record, error) {
	if a.SchemaVersion == nil || *a.SchemaVersion != SchemaVersion {
		return parseLineSlow(text)
	}
	switch a.Kind {
	case KindSpan:
		s := a.Span
		s.SchemaVersion = SchemaVersion
		if err := s.Validate(); err != nil {
			return Record{}, fmt.Errorf("bad span: %v", err)
		}
		return Record{Span: &s}, nil
	case KindLog:
		l := &LogRecord{SchemaVersion: SchemaVersion, Kind: a.Kind, ProjectID: a.ProjectID, DeploymentID: a.DeploymentID,
			BuildID: a.BuildID, Time: a.Time, Level: a.Level, Message: a.Message, Data: a.Data, TraceID: a.TraceID,
			SpanID: a.SpanID, Logger: a.Logger, CoreVersion: a.CoreVersion}
		if err := l.Validate(); err != nil {
			return Record{}, fmt.Errorf("bad log: %v", err)
		}
		return Record{Log: l}, nil
	}
	return parseLineSlow(text)
}

// parseLineSlow reads the line's version and kind first, then decodes it
// as a record of that kind.
func parseLineSlow(text []byte) (Record, error) {
	var head struct {
		SchemaVersion *int   `json:"schemaVersion"`
		Kind          string `json:"kind"`
	}
	if err := json.Unmarshal(text, &head); err != nil {
		return Record{}, fmt.Errorf("not a JSON object: %v", err)
	}
	if head.SchemaVersion == nil {
		return Record{}, errors.New("schemaVersion is missing")
	}
	if *head.SchemaVersion != SchemaVersion {
		return Record{}, fmt.Errorf("unsupported schemaVersion %d (this reader knows %d)", *head.SchemaVersion, SchemaVersion)
	}
	switch head.Kind {
	case KindSpan:
		s := new(Span)
		if err := json.Unmarshal(text, s); err != nil {
			return Record{}, fmt.Errorf("bad span: %v", err)
		}
		if err := s.Validate(); err != nil {
			return Record{}, fmt.Errorf("bad span: %v", err)
		}
		return Record{Span: s}, nil
	case KindLog:
		l := new(LogRecord)
		if err := json.Unmarshal(text, l); err != nil {
			return Record{}, fmt.Errorf("bad log: %v", err)
		}
		if err := l.Validate(); err != nil {
			return Record{}, fmt.Errorf("bad log: %v", err)
		}
		return Record{Log: l}, nil
	case "":
		return Record{}, errors.New("kind is missing")
	default:
		return Record{}, fmt.Errorf("unknown kind %q", head.Kind)
	}
}
