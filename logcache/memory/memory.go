package memory

import (
	"context"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/logcache/internal/lines"
)

// Options configure a Cache. The zero value (or a nil *Options) means the
// defaults.
type Options struct {
	// MaxLines is the per-build cap: beyond it the oldest lines are dropped.
	// Default 50,000.
	MaxLines int
	// MaxLineBytes is the per-line cap on Text: longer texts are cut, on a
	// UTF-8 boundary. Default 8 KiB.
	MaxLineBytes int
	// Logger receives debug messages (e.g. a build reaching its cap). Default:
	// discard.
	Logger *slog.Logger
}

// Cache is an in-process admin.BuildLogCache. It is safe for concurrent use.
type Cache struct {
	limits lines.Limits
	log    *slog.Logger
	closed atomic.Bool

	mu     sync.RWMutex // guards builds; taken before any build.mu
	builds map[string]*build
}

var _ admin.BuildLogCache = (*Cache)(nil)

// New returns an empty cache. It fails with admin.ErrInvalidArgument when an
// option is negative.
func New(opts *Options) (*Cache, error) {
	if opts == nil {
		opts = &Options{}
	}
	limits, err := lines.NewLimits(opts.MaxLines, opts.MaxLineBytes)
	if err != nil {
		return nil, fmt.Errorf("memory: new: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Cache{
		limits: limits,
		log:    log.With("component", "logcache/memory"),
		builds: make(map[string]*build),
	}, nil
}

// build is one build's log: a ring buffer of at most MaxLines lines that
// grows as needed.
type build struct {
	mu        sync.RWMutex
	buf       []admin.LogLine // ring: buf[head] is the oldest line once full
	head      int
	next      int64 // Seq of the next line
	finished  bool
	gone      bool // removed from the cache (Clear, Close, or an idle follower's placeholder)
	capped    bool // logged that lines are being dropped
	followers int
	changed   chan struct{} // closed and replaced on every change
}

func newBuild() *build { return &build{changed: make(chan struct{})} }

// wake tells the followers that something changed. Callers hold b.mu.
func (b *build) wake() {
	close(b.changed)
	b.changed = make(chan struct{})
}

// first is the Seq of the oldest retained line.
func (b *build) first() int64 { return b.next - int64(len(b.buf)) }

func (b *build) add(l admin.LogLine, max int) (dropped bool) {
	l.Seq = b.next
	b.next++
	if len(b.buf) < max {
		if len(b.buf) == cap(b.buf) {
			grown := make([]admin.LogLine, len(b.buf), min(max, 2*cap(b.buf)+16))
			copy(grown, b.buf)
			b.buf = grown
		}
		b.buf = append(b.buf, l)
		return false
	}
	b.buf[b.head] = l
	b.head = (b.head + 1) % len(b.buf)
	return true
}

// read returns up to n (0: all) retained lines from Seq from on.
func (b *build) read(from int64, n int) []admin.LogLine {
	from = max(from, b.first())
	count := b.next - from
	if count <= 0 {
		return nil
	}
	if n > 0 && count > int64(n) {
		count = int64(n)
	}
	out := make([]admin.LogLine, count)
	start := b.head + int(from-b.first())
	for i := range out {
		out[i] = b.buf[(start+i)%len(b.buf)]
	}
	return out
}

func (c *Cache) errClosed(op string) error {
	return fmt.Errorf("memory: %s: %w", op, admin.ErrClosed)
}

// lookup returns the build's log, or nil.
func (c *Cache) lookup(id string) *build {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.builds[id]
}

// acquire returns the build's log, creating it, locked; it reports false
// once the cache is closed.
func (c *Cache) acquire(id string) (*build, bool) {
	for {
		b := c.lookup(id)
		if b == nil {
			c.mu.Lock()
			if c.closed.Load() {
				c.mu.Unlock()
				return nil, false
			}
			b = c.builds[id]
			if b == nil {
				b = newBuild()
				c.builds[id] = b
			}
			c.mu.Unlock()
		}
		b.mu.Lock()
		if !b.gone {
			return b, true
		}
		b.mu.Unlock() // cleared meanwhile: look again
		if c.closed.Load() {
			return nil, false
		}
	}
}

// Append adds lines to the build's log; see admin.BuildLogCache. It fails
// with admin.ErrInvalidArgument for a bad build id, phase or stream (storing
// nothing) and with admin.ErrConflict once the build was finished.
func (c *Cache) Append(_ context.Context, buildID string, in ...admin.LogLine) error {
	if err := admin.CheckBuildID(buildID); err != nil {
		return fmt.Errorf("memory: append: %w", err)
	}
	prepared, err := c.limits.Prepare(in, time.Now())
	if err != nil {
		return fmt.Errorf("memory: append to %s: %w", buildID, err)
	}
	if c.closed.Load() {
		return c.errClosed("append")
	}
	if len(prepared) == 0 {
		return nil
	}
	b, ok := c.acquire(buildID)
	if !ok {
		return c.errClosed("append")
	}
	defer b.mu.Unlock()
	if b.finished {
		return fmt.Errorf("memory: append to %s: log is finished: %w", buildID, admin.ErrConflict)
	}
	dropped := false
	for _, l := range prepared {
		dropped = b.add(l, c.limits.MaxLines) || dropped
	}
	if dropped && !b.capped {
		b.capped = true
		c.log.Debug("build log reached its cap; dropping the oldest lines", "build_id", buildID, "max_lines", c.limits.MaxLines)
	}
	b.wake()
	return nil
}

// Lines returns retained lines; see admin.BuildLogCache. An unknown build has
// no lines.
func (c *Cache) Lines(_ context.Context, buildID string, from int64, limit int) ([]admin.LogLine, error) {
	if err := admin.CheckBuildID(buildID); err != nil {
		return nil, fmt.Errorf("memory: lines: %w", err)
	}
	if err := lines.CheckRange(from, limit); err != nil {
		return nil, fmt.Errorf("memory: lines of %s: %w", buildID, err)
	}
	if c.closed.Load() {
		return nil, c.errClosed("lines")
	}
	b := c.lookup(buildID)
	if b == nil {
		return []admin.LogLine{}, nil
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	out, _ := c.limits.Window(from, b.read(from, limit), limit)
	if out == nil || b.gone {
		out = []admin.LogLine{}
	}
	return out, nil
}

// Follow yields the build's lines as they come; see admin.BuildLogCache. It
// also ends when the build is cleared, and yields admin.ErrClosed when the
// cache is closed. It starts no goroutine: a slow follower never holds up
// Append, it only finds a dropped-lines marker when it falls behind the cap.
func (c *Cache) Follow(ctx context.Context, buildID string, from int64) iter.Seq2[admin.LogLine, error] {
	return lines.Follow(ctx, from, func(context.Context) (lines.Source, error) {
		if err := admin.CheckBuildID(buildID); err != nil {
			return nil, fmt.Errorf("memory: follow: %w", err)
		}
		if err := lines.CheckRange(from, 0); err != nil {
			return nil, fmt.Errorf("memory: follow %s: %w", buildID, err)
		}
		b, ok := c.acquire(buildID)
		if !ok {
			return nil, c.errClosed("follow")
		}
		b.followers++
		b.mu.Unlock()
		return &source{c: c, id: buildID, b: b}, nil
	})
}

// source is one follower's handle on a build.
type source struct {
	c  *Cache
	id string
	b  *build
}

func (s *source) Changed() <-chan struct{} {
	s.b.mu.RLock()
	defer s.b.mu.RUnlock()
	return s.b.changed
}

func (s *source) Read(_ context.Context, from int64, n int) ([]admin.LogLine, bool, error) {
	if s.c.closed.Load() {
		return nil, false, s.c.errClosed("follow")
	}
	b := s.b
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.gone {
		return nil, true, nil // cleared
	}
	out, complete := s.c.limits.Window(from, b.read(from, n), n)
	last := from - 1
	if len(out) > 0 {
		last = out[len(out)-1].Seq
	}
	return out, b.finished && complete && last+1 >= b.next, nil
}

// Close drops the follower; a log that only followers created goes away with
// the last of them.
func (s *source) Close() {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	b := s.b
	b.mu.Lock()
	defer b.mu.Unlock()
	b.followers--
	if b.followers == 0 && b.next == 0 && !b.finished && !b.gone {
		b.gone = true
		delete(s.c.builds, s.id)
	}
}

// Finish marks the build's log complete; see admin.BuildLogCache. Finishing
// twice is not an error.
func (c *Cache) Finish(_ context.Context, buildID string) error {
	if err := admin.CheckBuildID(buildID); err != nil {
		return fmt.Errorf("memory: finish: %w", err)
	}
	b, ok := c.acquire(buildID)
	if !ok {
		return c.errClosed("finish")
	}
	defer b.mu.Unlock()
	if !b.finished {
		b.finished = true
		b.wake()
	}
	return nil
}

// Flush writes the retained lines, after a marker when lines were dropped, to
// fs; see admin.BuildLogCache. It fails with admin.ErrNotFound when the cache
// holds nothing for the build, so that a cleared build never overwrites its
// flushed log with an empty one.
func (c *Cache) Flush(ctx context.Context, buildID string, fs admin.FileStorage) (string, error) {
	if err := admin.CheckBuildID(buildID); err != nil {
		return "", fmt.Errorf("memory: flush: %w", err)
	}
	if fs == nil {
		return "", fmt.Errorf("memory: flush %s: %w", buildID, &admin.ValidationError{Field: "fs", Reason: "must not be nil"})
	}
	if c.closed.Load() {
		return "", c.errClosed("flush")
	}
	held := false
	if b := c.lookup(buildID); b != nil {
		b.mu.RLock()
		held = !b.gone && (b.next > 0 || b.finished) // not a follower's placeholder
		b.mu.RUnlock()
	}
	if !held {
		return "", fmt.Errorf("memory: flush %s: no log held: %w", buildID, admin.ErrNotFound)
	}
	path, err := admin.WriteBuildLog(ctx, fs, buildID, admin.AllLines(ctx, c, buildID, lines.FlushPage))
	if err != nil {
		return "", fmt.Errorf("memory: flush %s: %w", buildID, err)
	}
	return path, nil
}

// Clear forgets the build's log and ends its followers; see
// admin.BuildLogCache. Clearing an unknown build is not an error.
func (c *Cache) Clear(_ context.Context, buildID string) error {
	if err := admin.CheckBuildID(buildID); err != nil {
		return fmt.Errorf("memory: clear: %w", err)
	}
	if c.closed.Load() {
		return c.errClosed("clear")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if b := c.builds[buildID]; b != nil {
		delete(c.builds, buildID)
		b.mu.Lock()
		b.gone = true
		b.buf = nil
		b.wake()
		b.mu.Unlock()
	}
	return nil
}

// Close forgets every log; followers yield admin.ErrClosed and every later
// call fails with it. Closing twice is not an error.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Swap(true) {
		return nil
	}
	for _, b := range c.builds {
		b.mu.Lock()
		b.gone = true
		b.buf = nil
		b.wake()
		b.mu.Unlock()
	}
	c.builds = nil
	return nil
}
