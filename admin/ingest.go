package admin

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/mastra-admin/mastra-admin-go/internal/jsonl"
)

// The ingestion worker. Each round it looks at the builds whose directories
// exist under the build root, lists the observability files of each through
// the Runner (TelemetrySource), and for every file reads from its committed
// offset the complete lines, decodes them (TelemetryDecodeFunc) and inserts
// them into the ObservabilityStore in batches. A batch's lines are
// committed (the checkpoint's Offset moved past them) only after the store
// acknowledged the insert, and the store replaces a span or log line
// inserted again, so that a crash anywhere re-inserts at most two batches
// and loses nothing: rows in the store are the lines in the files,
// exactly.
//
// Batches are inserted while the next is read and decoded: each insert
// runs in its own goroutine, up to ingestInFlight at once, and a batch is
// handed over only once fewer are in flight, the oldest waited for and its
// checkpoints committed first. Offsets are so committed strictly in the
// order of the lines, only after the store acknowledged them (and every
// batch before them), and at most ingestInFlight+1 batches are held in
// memory. A round's first batch is handed over once it holds
// ingestBatchRows lines; the ones after it when full (ingestMaxBatchRows
// lines or ingestMaxBatchBytes), when ingestBatchAge passed since the one
// before was handed over, or at the end of the round: a backlog is so
// caught up with in few large batches, each of which costs the store (a
// part per table and partition, merged later) about what a small one
// does. Lines are decoded a chunk at a time on every core (decodeChunk),
// then added to the batch in their order.
//
// A file smaller than its committed offset was truncated, one whose first
// bytes changed (Fingerprint) was replaced: both are read again from 0. A
// malformed line is quarantined (written, with its offset and reason, to
// FileStorage under observability/quarantine/…) and counted, and reading
// goes on. The unfinished last line of a file still written waits; once
// the file is closed, a last line without "\n" is quarantined. A closed
// file read to its end is archived: copied to FileStorage under
// observability/{spans,logs}/{projectId}/{buildId}/{file}, recorded in its
// checkpoint, then removed from the build directory; archived files are
// deleted after the observability retention. While the store fails, the
// worker retries with backoff and commits nothing; files stay where they
// are and are caught up with once it answers.

// Ingestion parameters.
const (
	// ingestBatchRows and ingestBatchAge bound a batch: a round's first is
	// inserted when it holds this many rows, the ones after it when this
	// old (since the batch before was handed over) or full, at
	// ingestMaxBatchRows rows or ingestMaxBatchBytes of lines, whichever
	// comes first.
	ingestBatchRows     = 5000
	ingestBatchAge      = time.Second
	ingestMaxBatchRows  = 50000
	ingestMaxBatchBytes = 32 << 20
	// ingestInFlight is how many batches are inserted at once. A store
	// spends most of an insert on one core of its own (ClickHouse's
	// squashing, views and part writing are one thread per INSERT), so
	// with one insert at a time a backlog's last batch ran alone, the
	// other core idle, and the reader waited for every insert: two at
	// once took 100,000 backlogged spans into ClickHouse in 1.09-1.22 s
	// instead of 1.30-1.34 s on a quiet machine (scripts/bench-ingest.sh).
	// Batches of half the size, two or three at once, were slower (each
	// INSERT costs the server about 40 ms of CPU whatever its size).
	ingestInFlight = 2
	// fingerprintBytes is how much of a file's start its fingerprint covers.
	fingerprintBytes = 1024
	// quarantinePreview bounds the bytes of a bad line kept in quarantine.
	quarantinePreview = 64 << 10
	// ingestMaxBackoff bounds the wait between rounds that failed.
	ingestMaxBackoff = 30 * time.Second
	// MaxTelemetryLine bounds one observability line (the writer cuts large
	// values, so real lines stay far below it); a longer line is
	// quarantined without being held in memory.
	MaxTelemetryLine = 8 << 20
	// DefaultObservabilityRetention is how long archived observability files
	// are kept in FileStorage.
	DefaultObservabilityRetention = 7 * 24 * time.Hour
)

// TelemetryDecodeFunc decodes one line of an observability file (without
// its "\n") into exactly one span or one log record, or returns an error
// saying why the line is malformed; the line is then quarantined. file is
// the file's TelemetryFile.Name ("{kind}/{name}", its name relative to the
// build's observability directory, unchanged when it is archived) and
// offset the line's byte offset in it, from which a decoder derives a log
// line's deterministic id (observability.LogID). The worker calls it from
// several goroutines at once (a chunk of lines is decoded on every core),
// and it must not keep line, whose bytes are reused once it returned.
type TelemetryDecodeFunc func(line []byte, file string, offset int64) (*Span, *LogRecord, error)

// WithTelemetryDecoder sets how the ingestion worker decodes the lines of
// observability files. The worker runs (from Start) when an
// ObservabilityStore, a decoder and a Runner that is a TelemetrySource are
// configured.
func WithTelemetryDecoder(fn TelemetryDecodeFunc) Option {
	return func(c *config) error {
		if fn == nil {
			return invalid("telemetry decoder", "must not be nil")
		}
		c.decode = fn
		return nil
	}
}

// WithObservabilityRetention sets how long observability files are kept in
// FileStorage once ingested and archived (default
// DefaultObservabilityRetention; 0 deletes them as soon as they are
// archived).
func WithObservabilityRetention(d time.Duration) Option {
	return func(c *config) error {
		if d < 0 {
			return invalid("observability retention", "must not be negative")
		}
		c.obsRetention = d
		return nil
	}
}

// ingestState is the ingestion worker's state in this process.
type ingestState struct {
	stop    context.CancelFunc
	done    chan struct{}
	started bool // startIngest ran, or stopIngest did: it will not start again

	mu     sync.Mutex
	health IngestHealth // Running, LastError, LastErrorAt, LastSuccess; Files, PendingBytes, Lag of the last round
}

// ingestConfigured reports whether the ingestion worker can run.
func (a *Admin) ingestConfigured() (TelemetrySource, bool) {
	src, ok := a.runner.(TelemetrySource)
	return src, ok && a.telem != nil && a.decode != nil && a.files != nil
}

// startIngest starts the ingestion worker, once, when it is configured.
// ctx is the workers' context: its end, or stopIngest, stops the worker.
func (a *Admin) startIngest(ctx context.Context) {
	src, ok := a.ingestConfigured()
	a.ingest.mu.Lock()
	defer a.ingest.mu.Unlock()
	if !ok || a.ingest.started {
		return
	}
	a.ingest.started = true
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	a.ingest.stop, a.ingest.done = cancel, done
	a.ingest.health.Running = true
	go func() {
		defer close(done)
		a.ingestWorker(ctx, src)
	}()
}

// stopIngest stops the ingestion worker and waits for it: a batch being
// inserted is abandoned uncommitted, and read again after a restart.
func (a *Admin) stopIngest() {
	a.ingest.mu.Lock()
	stop, done := a.ingest.stop, a.ingest.done
	a.ingest.started, a.ingest.health.Running = true, false
	a.ingest.mu.Unlock()
	if stop != nil {
		stop()
		<-done
	}
}

// ingestWorker runs rounds until ctx ends: every poll interval, or after a
// failed round with a backoff that doubles up to ingestMaxBackoff.
func (a *Admin) ingestWorker(ctx context.Context, src TelemetrySource) {
	limit := min(ingestMaxBackoff, 32*a.pollInterval)
	wait := a.pollInterval
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		err := a.ingestRound(ctx, src)
		if ctx.Err() != nil {
			return
		}
		now := a.clock()
		a.ingest.mu.Lock()
		if err != nil {
			a.ingest.health.LastError, a.ingest.health.LastErrorAt = err.Error(), &now
		} else {
			a.ingest.health.LastSuccess = &now
		}
		a.ingest.mu.Unlock()
		if err != nil {
			a.logger.WarnContext(ctx, "observability ingestion", "err", err, "retry_in", wait)
			timer.Reset(wait)
			wait = min(2*wait, limit)
			continue
		}
		wait = a.pollInterval
		timer.Reset(a.pollInterval)
	}
}

// fileRead is one file read in a round: its checkpoint as committed, and
// what was read past it into the current batch.
type fileRead struct {
	src TelemetrySource
	art Artifact
	f   TelemetryFile
	cp  *IngestCheckpoint // as committed
	// end is the offset after the last line read; rows and bad count the
	// lines read into the batch being filled.
	end       int64
	rows, bad int64
	inBatch   bool
	// ready is set once the file checked out against its checkpoint: only
	// then is it read and archived.
	ready bool
}

// ingestRound ingests every file of every build directory once, into
// batches that span files, archives what is done and deletes archived
// files past retention. It goes on past a file that fails and returns the
// errors met; a batch the store refuses ends the round, nothing of it
// committed.
func (a *Admin) ingestRound(ctx context.Context, src TelemetrySource) error {
	entries, err := os.ReadDir(a.buildRoot)
	if err != nil {
		return fmt.Errorf("read the build directory: %w", err)
	}
	var errs []error
	var reads []*fileRead
	b := &batch{start: time.Now()}
	// Whatever way the round ends, no insert outlives it.
	defer b.wait()
	for _, e := range entries {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !e.IsDir() || CheckBuildID(e.Name()) != nil {
			continue
		}
		build, err := a.store.GetBuild(ctx, e.Name())
		if errors.Is(err, ErrNotFound) {
			continue // another admin's, sharing the directory
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		art := Artifact{Dir: filepath.Join(a.buildDir(build.ID), "src"), Entry: DefaultArtifactEntry}
		files, err := src.TelemetryFiles(ctx, art)
		if err != nil {
			errs = append(errs, fmt.Errorf("build %s: list files: %w", build.ID, err))
			continue
		}
		for _, f := range files {
			fr, err := a.prepareFile(ctx, src, build, art, f)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s/%s: %w", build.ID, f.Name, err))
			}
			if fr == nil {
				continue
			}
			reads = append(reads, fr)
			if err != nil {
				continue
			}
			if err := a.readFile(ctx, fr, b); err != nil {
				if b.failed != nil {
					return a.endRound(ctx, reads, append(errs, err))
				}
				errs = append(errs, fmt.Errorf("%s: %w", fr.cp.ID, err))
				a.noteFailure(ctx, fr.cp, err)
			}
		}
	}
	if err := a.flush(ctx, b); err != nil {
		return a.endRound(ctx, reads, append(errs, err))
	}
	if err := a.commitInFlight(ctx, b); err != nil {
		return a.endRound(ctx, reads, append(errs, err))
	}
	for _, fr := range reads {
		if !fr.ready || !fr.f.Closed || fr.cp.Offset < fr.f.Size || fr.cp.ArchivedAt != nil {
			continue
		}
		if err := a.archive(ctx, fr.src, fr.art, fr.f, fr.cp); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", fr.cp.ID, err))
			a.noteFailure(ctx, fr.cp, err)
		}
	}
	if err := a.expireArchived(ctx); err != nil {
		errs = append(errs, err)
	}
	return a.endRound(ctx, reads, errs)
}

// endRound records what the round saw in the health report and returns
// its errors.
func (a *Admin) endRound(ctx context.Context, reads []*fileRead, errs []error) error {
	var files int
	var pending int64
	var oldest time.Time
	for _, fr := range reads {
		if fr.cp.ArchivedAt != nil {
			continue
		}
		files++
		p := max(0, fr.f.Size-fr.cp.Offset)
		pending += p
		if p > 0 && (oldest.IsZero() || fr.f.ModTime.Before(oldest)) {
			oldest = fr.f.ModTime
		}
	}
	a.ingest.mu.Lock()
	h := &a.ingest.health
	h.Files, h.PendingBytes, h.Lag = files, pending, 0
	if !oldest.IsZero() {
		h.Lag = max(0, a.clock().Sub(oldest))
	}
	a.ingest.mu.Unlock()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return errors.Join(errs...)
}

// prepareFile reads or creates f's checkpoint and checks the file against
// it: a file truncated below its offset, or whose first bytes changed, is
// read again from 0. It returns nil for a file archived before (removing
// it, when the removal failed then).
func (a *Admin) prepareFile(ctx context.Context, src TelemetrySource, b *Build, art Artifact, f TelemetryFile) (*fileRead, error) {
	id := b.ID + "/" + f.Name
	cp, err := a.store.GetCheckpoint(ctx, id)
	if errors.Is(err, ErrNotFound) {
		now := a.clock()
		cp = &IngestCheckpoint{ID: id, ProjectID: b.ProjectID, DeploymentID: b.DeploymentID, BuildID: b.ID,
			Kind: f.Kind, Fingerprint: fingerprint(nil), CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := a.store.CreateCheckpoint(ctx, cp); err != nil && !errors.Is(err, ErrAlreadyExists) {
			return nil, err
		}
		if cp, err = a.store.GetCheckpoint(ctx, id); err != nil {
			return nil, err
		}
	} else if err != nil {
		return nil, err
	}
	fr := &fileRead{src: src, art: art, f: f, cp: cp, end: cp.Offset}
	head, err := readHead(ctx, src, art, f.Name)
	if err != nil {
		return fr, err
	}
	if cp.ArchivedAt != nil {
		if f.Size == cp.Offset && fingerprint(head) == cp.Fingerprint {
			return nil, a.removeSource(ctx, src, art, f) // archived, then the removal failed
		}
		return nil, fmt.Errorf("the file differs from the one archived at %s: left in place", cp.ArchivedPath)
	}
	next := *cp
	switch {
	case f.Size < cp.Offset:
		a.logger.WarnContext(ctx, "observability file truncated: ingesting it again from the start",
			"file", id, "size", f.Size, "committed", cp.Offset)
		restart(&next)
	case int64(len(head)) < cp.FingerprintBytes || fingerprint(head[:cp.FingerprintBytes]) != cp.Fingerprint:
		a.logger.WarnContext(ctx, "observability file replaced (its first bytes changed): ingesting it again from the start",
			"file", id)
		restart(&next)
	}
	if int64(len(head)) > next.FingerprintBytes {
		next.Fingerprint, next.FingerprintBytes = fingerprint(head), int64(len(head))
	}
	if next != *cp {
		// Saved before reading: a restart from 0 must hold even when the
		// file's new content begins as the old did.
		next.UpdatedAt = a.clock()
		if err := a.store.UpdateCheckpoint(ctx, &next); err != nil {
			return fr, err
		}
		*cp = next
		fr.end = cp.Offset
	}
	fr.ready = true
	return fr, nil
}

// restart makes cp read its file again from the start.
func restart(cp *IngestCheckpoint) {
	cp.Offset, cp.Lines, cp.Quarantined, cp.Fingerprint, cp.FingerprintBytes = 0, 0, 0, fingerprint(nil), 0
}

// fingerprint is the hex SHA-256 of b.
func fingerprint(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// readHead reads the first fingerprintBytes of a file (fewer when it is
// shorter).
func readHead(ctx context.Context, src TelemetrySource, art Artifact, name string) ([]byte, error) {
	rc, err := src.OpenTelemetryFile(ctx, art, name, 0)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	head := make([]byte, fingerprintBytes)
	n, err := io.ReadFull(rc, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return head[:n], nil
}

// badLine is a line set aside: the checkpoint (ID) and project of its
// file, its offset there, why, and its first bytes. It holds no pointer to
// the checkpoint, which the reading goroutine updates while the batch is
// inserted.
type badLine struct {
	file, project string
	offset        int64
	reason        string
	text          []byte
}

// fileMark is how far a batch moves one file's checkpoint: to end, with
// rows lines inserted and bad quarantined.
type fileMark struct {
	fr             *fileRead
	end, rows, bad int64
}

// rows is one batch's content.
type rows struct {
	spans []Span
	logs  []LogRecord
	bad   []badLine
	files []fileMark
}

// inFlight is a batch handed over to be inserted: done receives the
// insert's result, once.
type inFlight struct {
	rows
	done chan error
}

// batch is the batch being read into, and the ones being inserted.
type batch struct {
	rows
	// reading lists the files with lines in the batch being read into.
	reading []*fileRead
	n       int   // lines in it
	bytes   int64 // their bytes
	start   time.Time
	// inFlight lists the batches being inserted, oldest first, at most
	// ingestInFlight; spare holds the content of batches committed since,
	// whose slices are reused.
	inFlight []*inFlight
	spare    []rows
	// failed is set when a flush failed: the round ends.
	failed error
	// catchingUp is set once a batch of the round was handed over.
	catchingUp bool
}

// due reports whether the batch is to be handed over: it is full, or
// ingestBatchAge passed since the batch before it was, or it is the
// round's first and holds ingestBatchRows lines. The batches after the
// first fill while an insert runs, up to full or ingestBatchAge: each
// insert costs the store a part per table and partition (and their merges
// later) whatever its size, so a backlog goes in few large batches.
func (b *batch) due() bool {
	if b.n >= ingestMaxBatchRows || b.bytes >= ingestMaxBatchBytes || b.n > 0 && time.Since(b.start) >= ingestBatchAge {
		return true
	}
	return !b.catchingUp && b.n >= ingestBatchRows
}

// add records that fr's lines up to end, n more bytes, are in the batch.
func (b *batch) add(fr *fileRead, end int64) {
	if !fr.inBatch {
		fr.inBatch = true
		b.reading = append(b.reading, fr)
	}
	b.bytes += end - fr.end
	fr.end = end
}

// wait waits for every insert in flight.
func (b *batch) wait() {
	for _, fl := range b.inFlight {
		<-fl.done
	}
}

// readFile reads fr's file from its committed offset to its last complete
// line into b, flushing b whenever it is due. A flush that fails sets
// b.failed.
//
// Lines are read ahead in chunks (up to decodeChunkLines lines or
// decodeChunkBytes), each chunk decoded on every core at once
// (decodeChunk), then added to the batch one line after the other, in
// their order, as if decoded one by one: offsets, quarantine and batches
// are the same.
func (a *Admin) readFile(ctx context.Context, fr *fileRead, b *batch) error {
	f := fr.f
	if fr.end == f.Size && !f.Closed {
		return nil // nothing new
	}
	rc, err := fr.src.OpenTelemetryFile(ctx, fr.art, f.Name, fr.end)
	if err != nil {
		return err
	}
	defer rc.Close()
	const maxLine = MaxTelemetryLine
	lr := jsonl.NewLineReader(rc, maxLine, quarantinePreview)
	off := fr.end
	bad := func(offset int64, reason string, text []byte) {
		b.bad = append(b.bad, badLine{file: fr.cp.ID, project: fr.cp.ProjectID, offset: offset, reason: reason, text: text})
		b.n++
		fr.bad++
	}
	var c chunk
	for {
		// Read a chunk: rerr ends it, and the file's reading after it.
		c.text, c.lines = c.text[:0], c.lines[:0]
		var rerr error
		var last []byte // the unfinished last line's first bytes, at EOF
		var lastN int64
		for len(c.lines) < decodeChunkLines && len(c.text) < decodeChunkBytes {
			text, n, tooLong, err := lr.Next()
			if err != nil {
				rerr = err
				if err == io.EOF && n > 0 && f.Closed {
					last, lastN = preview(text), n
				}
				break
			}
			c.lines = append(c.lines, chunkLine{off: off, n: n, from: len(c.text), to: len(c.text) + len(text), tooLong: tooLong})
			c.text = append(c.text, text...)
			off += n
		}
		a.decodeChunk(&c, f.Name)
		for i := range c.lines {
			l := &c.lines[i]
			text := c.text[l.from:l.to]
			switch {
			case l.tooLong:
				bad(l.off, fmt.Sprintf("line is %d bytes, longer than the limit of %d", l.n, maxLine), preview(text))
			case l.blank:
			case l.err != nil:
				bad(l.off, l.err.Error(), preview(text))
			case l.span != nil && l.log == nil:
				b.spans = appendRow(b.spans, *l.span)
				b.n++
				fr.rows++
			case l.log != nil && l.span == nil:
				b.logs = appendRow(b.logs, *l.log)
				b.n++
				fr.rows++
			default:
				bad(l.off, "the decoder returned no record, or two", nil)
			}
			l.span, l.log = nil, nil
			b.add(fr, l.off+l.n)
			if b.due() {
				if err := a.flush(ctx, b); err != nil {
					return err
				}
			}
		}
		switch {
		case rerr == io.EOF:
			if last != nil { // the writer will never end this line
				bad(off, fmt.Sprintf("the file was closed with an unfinished last line (%d bytes without a newline)", lastN), last)
				b.add(fr, off+lastN)
			}
			return nil
		case rerr != nil:
			return fmt.Errorf("read at byte %d: %w", off, rerr)
		}
	}
}

// Bounds of the chunks readFile decodes together: enough lines for every
// core to decode a few hundred (the goroutines cost little beside them),
// few enough that a chunk stays small beside a batch.
const (
	decodeChunkLines = 1024
	decodeChunkBytes = 1 << 20
	// decodeMinLines is the fewest lines worth a goroutine of their own.
	decodeMinLines = 64
)

// chunk is lines read ahead, their bytes one after the other in text.
type chunk struct {
	text  []byte
	lines []chunkLine
}

// chunkLine is one line of a chunk: its offset in the file and the bytes
// it took there (n), its text (text[from:to]), and what decoding made of
// it.
type chunkLine struct {
	off, n   int64
	from, to int
	tooLong  bool
	blank    bool
	span     *Span
	log      *LogRecord
	err      error
}

// decodeChunk decodes the lines of c that are neither too long nor blank,
// dividing them among up to GOMAXPROCS goroutines.
func (a *Admin) decodeChunk(c *chunk, file string) {
	decode := func(lines []chunkLine) {
		for i := range lines {
			l := &lines[i]
			text := c.text[l.from:l.to]
			if l.tooLong {
				continue
			}
			if l.blank = len(bytes.TrimSpace(text)) == 0; l.blank {
				continue
			}
			l.span, l.log, l.err = a.decode(text, file, l.off)
		}
	}
	parts := min(runtime.GOMAXPROCS(0), len(c.lines)/decodeMinLines)
	if parts <= 1 {
		decode(c.lines)
		return
	}
	var wg sync.WaitGroup
	per := (len(c.lines) + parts - 1) / parts
	for from := per; from < len(c.lines); from += per {
		lines := c.lines[from:min(from+per, len(c.lines))]
		wg.Go(func() { decode(lines) })
	}
	decode(c.lines[:per])
	wg.Wait()
}

// appendRow appends r to rows. Past ingestBatchRows, where a backlog is
// being caught up with, it makes room for a full batch at once instead of
// doubling again and again (each time copying rows of a few hundred
// bytes); the room is reused by the batches after.
func appendRow[T any](rows []T, r T) []T {
	if len(rows) == cap(rows) && len(rows) >= ingestBatchRows {
		rows = slices.Grow(rows, ingestMaxBatchRows-len(rows))
	}
	return append(rows, r)
}

// preview returns at most quarantinePreview bytes of b, copied.
func preview(b []byte) []byte {
	return bytes.Clone(b[:min(len(b), quarantinePreview)])
}

// flush hands the batch read so far over to be inserted (writing its bad
// lines to quarantine, then inserting its rows), once fewer than
// ingestInFlight inserts are in flight (waiting for the oldest and
// committing it, commitOldest); reading then goes on into an empty batch.
// On failure b.failed is set and returned, and nothing more of the round
// is committed.
func (a *Admin) flush(ctx context.Context, b *batch) error {
	if len(b.reading) == 0 {
		return nil
	}
	if len(b.inFlight) == ingestInFlight {
		if err := a.commitOldest(ctx, b); err != nil {
			return err
		}
	}
	for _, fr := range b.reading {
		b.files = append(b.files, fileMark{fr: fr, end: fr.end, rows: fr.rows, bad: fr.bad})
		fr.rows, fr.bad, fr.inBatch = 0, 0, false
	}
	fl := &inFlight{rows: b.rows, done: make(chan error, 1)}
	go func() { fl.done <- a.insertBatch(ctx, &fl.rows) }()
	b.inFlight, b.catchingUp = append(b.inFlight, fl), true
	// A batch committed before holds the next one in its slices.
	var next rows
	if k := len(b.spare); k > 0 {
		next, b.spare = b.spare[k-1], b.spare[:k-1]
	}
	b.rows = rows{spans: next.spans[:0], logs: next.logs[:0], bad: next.bad[:0], files: next.files[:0]}
	clear(next.spans[:cap(next.spans)]) // drop references to the old rows' text
	clear(next.logs[:cap(next.logs)])
	clear(next.bad[:cap(next.bad)])
	b.reading, b.n, b.bytes, b.start = b.reading[:0], 0, 0, time.Now()
	return nil
}

// commitInFlight waits for every insert in flight and commits them,
// oldest first (commitOldest).
func (a *Admin) commitInFlight(ctx context.Context, b *batch) error {
	for len(b.inFlight) > 0 {
		if err := a.commitOldest(ctx, b); err != nil {
			return err
		}
	}
	return nil
}

// commitOldest waits for the oldest insert in flight, then moves the
// checkpoints of its files past its lines, in the order they were read:
// the inserts before it were committed, so offsets move strictly in the
// order of the lines. Nothing is committed when the quarantine or the
// insert failed; every step may be repeated (quarantine keys and store
// rows replace themselves), so a failure among the checkpoint updates
// only makes their files' lines be read and inserted again. On failure
// b.failed is set and returned.
func (a *Admin) commitOldest(ctx context.Context, b *batch) error {
	fl := b.inFlight[0]
	err := <-fl.done
	b.inFlight = b.inFlight[1:]
	if err != nil {
		for _, m := range fl.files {
			a.noteFailure(ctx, m.fr.cp, err)
		}
		b.failed = err
		return err
	}
	now := a.clock()
	for _, m := range fl.files {
		next := *m.fr.cp
		next.Offset, next.Lines, next.Quarantined = m.end, next.Lines+m.rows, next.Quarantined+m.bad
		next.LastError, next.UpdatedAt = "", now
		if err := a.store.UpdateCheckpoint(ctx, &next); err != nil {
			b.failed = fmt.Errorf("%s: commit offset %d: %w", m.fr.cp.ID, m.end, err)
			return b.failed
		}
		*m.fr.cp = next
	}
	b.spare = append(b.spare, fl.rows)
	return nil
}

// insertBatch quarantines the batch's bad lines and inserts its rows.
func (a *Admin) insertBatch(ctx context.Context, b *rows) error {
	for _, bad := range b.bad {
		if err := a.quarantine(ctx, bad); err != nil {
			return err
		}
	}
	if len(b.spans) > 0 {
		if err := a.telem.InsertSpans(ctx, b.spans); err != nil {
			return fmt.Errorf("insert %d spans: %w", len(b.spans), err)
		}
	}
	if len(b.logs) > 0 {
		if err := a.telem.InsertLogs(ctx, b.logs); err != nil {
			return fmt.Errorf("insert %d log lines: %w", len(b.logs), err)
		}
	}
	return nil
}

// quarantineRecord is what quarantine stores for one bad line.
type quarantineRecord struct {
	File   string `json:"file"`
	Offset int64  `json:"offset"`
	Reason string `json:"reason"`
	// Line is the line's first bytes (up to 64 KiB), as text.
	Line string `json:"line"`
}

// quarantinePath is where a bad line of a file goes: one key per line, so
// that quarantining it again replaces it.
func quarantinePath(project, file string, offset int64) string {
	return path.Join("observability", "quarantine", project, file, fmt.Sprintf("%020d.json", offset))
}

// quarantine writes one bad line to FileStorage.
func (a *Admin) quarantine(ctx context.Context, bad badLine) error {
	body, err := json.Marshal(quarantineRecord{File: bad.file, Offset: bad.offset, Reason: bad.reason, Line: string(bad.text)})
	if err != nil {
		return err
	}
	p := quarantinePath(bad.project, bad.file, bad.offset)
	if err := a.files.Write(ctx, p, bytes.NewReader(append(body, '\n'))); err != nil {
		return fmt.Errorf("quarantine line at byte %d: %w", bad.offset, err)
	}
	a.logger.WarnContext(ctx, "observability line quarantined", "file", bad.file, "offset", bad.offset, "reason", bad.reason, "path", p)
	return nil
}

// archivePath is where a fully ingested file is kept.
func archivePath(cp *IngestCheckpoint) string {
	return path.Join("observability", cp.Kind, cp.ProjectID, cp.BuildID, path.Base(cp.ID))
}

// archive copies a closed, fully ingested file to FileStorage, records it
// in the checkpoint, and removes it from the build directory.
func (a *Admin) archive(ctx context.Context, src TelemetrySource, art Artifact, f TelemetryFile, cp *IngestCheckpoint) error {
	rc, err := src.OpenTelemetryFile(ctx, art, f.Name, 0)
	if err != nil {
		return err
	}
	p := archivePath(cp)
	err = a.files.Write(ctx, p, rc)
	rc.Close()
	if err != nil {
		return fmt.Errorf("archive to %s: %w", p, err)
	}
	next := *cp
	now := a.clock()
	next.ArchivedPath, next.ArchivedAt, next.UpdatedAt, next.LastError = p, &now, now, ""
	if err := a.store.UpdateCheckpoint(ctx, &next); err != nil {
		return fmt.Errorf("record the archive: %w", err)
	}
	*cp = next
	return a.removeSource(ctx, src, art, f)
}

// removeSource removes an archived file from the build directory.
func (a *Admin) removeSource(ctx context.Context, src TelemetrySource, art Artifact, f TelemetryFile) error {
	if err := src.RemoveTelemetryFile(ctx, art, f.Name); err != nil && !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("remove the archived file: %w", err)
	}
	return nil
}

// noteFailure records err as the file's LastError in cp and Storage, best
// effort: the offset is not touched.
func (a *Admin) noteFailure(ctx context.Context, cp *IngestCheckpoint, err error) {
	if ctx.Err() != nil {
		return
	}
	next := *cp
	next.LastError, next.UpdatedAt = err.Error(), a.clock()
	if uerr := a.store.UpdateCheckpoint(ctx, &next); uerr != nil {
		a.logger.WarnContext(ctx, "record an ingestion error", "file", cp.ID, "err", uerr)
		return
	}
	*cp = next
}

// expireArchived deletes the archived files older than the retention, then
// their checkpoints.
func (a *Admin) expireArchived(ctx context.Context) error {
	old, err := a.store.ListCheckpoints(ctx, CheckpointFilter{ArchivedBefore: a.clock().Add(-a.obsRetention).Add(time.Microsecond)}, Page{})
	if err != nil {
		return fmt.Errorf("list archived files: %w", err)
	}
	for _, cp := range old {
		if err := a.files.Delete(ctx, cp.ArchivedPath); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("delete archived %s: %w", cp.ArchivedPath, err)
		}
		if err := a.store.DeleteCheckpoint(ctx, cp.ID); err != nil && !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("delete checkpoint %s: %w", cp.ID, err)
		}
	}
	return nil
}

// holdsTelemetry reports whether a build directory still holds
// observability files the ingestion worker has not archived: the
// maintenance sweep keeps such a directory. Without ingestion configured
// nothing would ever archive them, so nothing is held.
func (a *Admin) holdsTelemetry(buildID string) bool {
	if _, ok := a.ingestConfigured(); !ok {
		return false
	}
	for _, kind := range []string{TelemetrySpans, TelemetryLogs} {
		m, _ := filepath.Glob(filepath.Join(a.buildDir(buildID), "observability", kind, "*.jsonl"))
		if len(m) > 0 {
			return true
		}
	}
	return false
}

// IngestHealth reports on the ingestion of deployed servers' spans and
// logs: the last round's files, pending bytes and lag in this process, the
// counts of every checkpoint, and the worker's last error and success.
// Platform admins only.
func (a *Admin) IngestHealth(ctx context.Context) (IngestHealth, error) {
	if err := a.checkOpen(); err != nil {
		return IngestHealth{}, err
	}
	if _, err := a.requirePlatformAdmin(ctx); err != nil {
		return IngestHealth{}, err
	}
	a.ingest.mu.Lock()
	h := a.ingest.health
	a.ingest.mu.Unlock()
	page := Page{Limit: 1000}
	for {
		cps, err := a.store.ListCheckpoints(ctx, CheckpointFilter{}, page)
		if err != nil {
			return IngestHealth{}, err
		}
		for _, cp := range cps {
			h.Lines += cp.Lines
			h.Quarantined += cp.Quarantined
		}
		if len(cps) < page.Limit {
			return h, nil
		}
		page.After = cps[len(cps)-1].ID
	}
}
