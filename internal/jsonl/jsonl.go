// Package jsonl reads the lines of newline-delimited files with a bound on
// their length, for the readers of the observability files deployed
// servers write (package observability's Read and the Admin's ingestion
// worker), so that both split lines, count bytes and refuse long lines by
// the same rules.
package jsonl

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// LineReader reads lines ending in "\n" (or "\r\n") of at most Max bytes.
type LineReader struct {
	br        *bufio.Reader
	max, keep int
	buf       []byte
}

// NewLineReader reads r's lines. A line longer than max bytes (its line
// end excluded) is reported too long, with only its first keep bytes.
func NewLineReader(r io.Reader, max, keep int) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 64<<10), max: max, keep: min(keep, max)}
}

// Next returns the next line without its line end, n the bytes it took in
// the input (line end included), and whether it is longer than the
// maximum (line is then its first keep bytes). At the end of the input err
// is io.EOF, and a positive n counts the bytes of an unfinished last line
// (no "\n" yet), whose first bytes are line (at most max+2, or keep when
// longer). line is valid until the next call.
func (r *LineReader) Next() (line []byte, n int64, tooLong bool, err error) {
	r.buf = r.buf[:0]
	limit := r.max + 2 // room for "\r\n"
	for {
		var chunk []byte
		chunk, err = r.br.ReadSlice('\n')
		n += int64(len(chunk))
		if !tooLong {
			if len(r.buf)+len(chunk) > limit {
				tooLong = true
				r.buf = append(r.buf, chunk[:min(len(chunk), max(0, r.keep-len(r.buf)))]...)
				r.buf = r.buf[:min(len(r.buf), r.keep)]
			} else {
				r.buf = append(r.buf, chunk...)
			}
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			break
		}
	}
	if err != nil {
		return r.buf, n, tooLong, err
	}
	if tooLong {
		return r.buf, n, true, nil
	}
	line = bytes.TrimRight(r.buf, "\r\n")
	if len(line) > r.max {
		return line[:r.keep], n, true, nil
	}
	return line, n, false, nil
}
