package redis

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"log/slog"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/logcache/internal/lines"
)

// Defaults for Options.
const (
	DefaultPrefix = "mastra:logs:"
	DefaultTTL    = 24 * time.Hour
)

// Options configure a Cache. The zero value (or a nil *Options) means the
// defaults. Every admin server sharing one Redis should use the same values.
type Options struct {
	// Prefix starts every key and channel name the cache uses. Default
	// "mastra:logs:".
	Prefix string
	// MaxLines is the per-build cap: beyond it the oldest lines are dropped.
	// Default 50,000.
	MaxLines int
	// MaxLineBytes is the per-line cap on Text: longer texts are cut, on a
	// UTF-8 boundary. Default 8 KiB.
	MaxLineBytes int
	// TTL is how long a finished log stays in Redis when nobody clears it.
	// Default 24 hours; negative keeps it until Clear.
	TTL time.Duration
	// Logger receives debug messages (e.g. a notification reconnect).
	// Default: discard.
	Logger *slog.Logger
}

// Cache is an admin.BuildLogCache in Redis, shared by every process that
// uses the same Redis and Prefix. It is safe for concurrent use.
type Cache struct {
	client  goredis.UniversalClient
	prefix  string
	channel string
	limits  lines.Limits
	ttl     time.Duration
	log     *slog.Logger
	closed  atomic.Bool
	hub     *hub
}

var _ admin.BuildLogCache = (*Cache)(nil)

// New returns a cache on client, which it uses but does not close. It fails
// with admin.ErrInvalidArgument when client is nil or an option is negative.
// It does no I/O: the first call that needs Redis reaches it.
func New(client goredis.UniversalClient, opts *Options) (*Cache, error) {
	if client == nil {
		return nil, fmt.Errorf("redis: new: %w", &admin.ValidationError{Field: "client", Reason: "must not be nil"})
	}
	if opts == nil {
		opts = &Options{}
	}
	limits, err := lines.NewLimits(opts.MaxLines, opts.MaxLineBytes)
	if err != nil {
		return nil, fmt.Errorf("redis: new: %w", err)
	}
	c := &Cache{client: client, prefix: opts.Prefix, limits: limits, ttl: opts.TTL, log: opts.Logger}
	if c.prefix == "" {
		c.prefix = DefaultPrefix
	}
	if c.ttl == 0 {
		c.ttl = DefaultTTL
	}
	if c.log == nil {
		c.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	c.log = c.log.With("component", "logcache/redis")
	c.channel = c.prefix + "events"
	c.hub = newHub(client, c.channel, c.log)
	return c, nil
}

// key is the stream holding the build's log.
func (c *Cache) key(buildID string) string { return c.prefix + "log:" + buildID }

// Events published on the channel: one byte of kind, then the build id.
const (
	eventAppend = 'a'
	eventFinish = 'f'
	eventClear  = 'c'
)

// The log is a stream whose entry ids are "0-{Seq+1}"; Finish adds the entry
// "1-0", after every line. The scripts make each step atomic and publish it.
var (
	// KEYS[1] stream; ARGV[1] MaxLines, ARGV[2] channel, ARGV[3] event, then
	// four values per line: time, phase, stream, text. Returns the Seq of the
	// first line.
	appendScript = goredis.NewScript(`
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local seq = 0
if #last > 0 then
  local id = last[1][1]
  local dash = string.find(id, '-', 1, true)
  if string.sub(id, 1, dash - 1) ~= '0' then
    return redis.error_reply('FINISHED the build log is finished')
  end
  seq = tonumber(string.sub(id, dash + 1))
end
local first = seq
for i = 4, #ARGV, 4 do
  seq = seq + 1
  redis.call('XADD', KEYS[1], string.format('0-%d', seq), 't', ARGV[i], 'p', ARGV[i + 1], 's', ARGV[i + 2], 'x', ARGV[i + 3])
end
redis.call('XTRIM', KEYS[1], 'MAXLEN', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return first
`)
	// KEYS[1] stream; ARGV[1] TTL in ms (0: none), ARGV[2] channel, ARGV[3]
	// event.
	finishScript = goredis.NewScript(`
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
if #last == 0 or string.sub(last[1][1], 1, 2) == '0-' then
  redis.call('XADD', KEYS[1], '1-0', 'end', '1')
end
if tonumber(ARGV[1]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
`)
	// KEYS[1] stream; ARGV[1] channel, ARGV[2] event.
	clearScript = goredis.NewScript(`
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`)
)

func (c *Cache) errClosed(op string) error {
	return fmt.Errorf("redis: %s: %w", op, admin.ErrClosed)
}

// backend wraps an error from Redis, mapping a closed client to
// admin.ErrClosed.
func backend(op string, err error) error {
	if errors.Is(err, goredis.ErrClosed) {
		return fmt.Errorf("redis: %s: %w: %w", op, admin.ErrClosed, err)
	}
	return fmt.Errorf("redis: %s: %w", op, err)
}

// Append adds lines to the build's log in one atomic step; see
// admin.BuildLogCache. It fails with admin.ErrInvalidArgument for a bad build
// id, phase or stream (storing nothing) and with admin.ErrConflict once the
// build was finished, by any process.
func (c *Cache) Append(ctx context.Context, buildID string, in ...admin.LogLine) error {
	if err := admin.CheckBuildID(buildID); err != nil {
		return fmt.Errorf("redis: append: %w", err)
	}
	prepared, err := c.limits.Prepare(in, time.Now())
	if err != nil {
		return fmt.Errorf("redis: append to %s: %w", buildID, err)
	}
	if c.closed.Load() {
		return c.errClosed("append")
	}
	if len(prepared) == 0 {
		return nil
	}
	args := make([]any, 0, 3+4*len(prepared))
	args = append(args, c.limits.MaxLines, c.channel, string(rune(eventAppend))+buildID)
	for _, l := range prepared {
		t, err := l.Time.MarshalBinary()
		if err != nil {
			return fmt.Errorf("redis: append to %s: time %v: %w", buildID, l.Time, &admin.ValidationError{Field: "time", Reason: err.Error()})
		}
		args = append(args, t, l.Phase, l.Stream, l.Text)
	}
	err = appendScript.Run(ctx, c.client, []string{c.key(buildID)}, args...).Err()
	if err != nil && strings.HasPrefix(err.Error(), "FINISHED") {
		return fmt.Errorf("redis: append to %s: log is finished: %w", buildID, admin.ErrConflict)
	}
	if err != nil {
		return backend("append to "+buildID, err)
	}
	return nil
}

// read returns up to count (0: all) lines of the build's log from Seq from
// on, whether the log's end mark came with them, and whether anything (a line
// or the end mark) was there at all.
func (c *Cache) read(ctx context.Context, buildID string, from int64, count int) (got []admin.LogLine, finished, exists bool, err error) {
	start := "0-" + strconv.FormatUint(uint64(from)+1, 10)
	var msgs []goredis.XMessage
	if count > 0 {
		msgs, err = c.client.XRangeN(ctx, c.key(buildID), start, "+", int64(count)).Result()
	} else {
		msgs, err = c.client.XRange(ctx, c.key(buildID), start, "+").Result()
	}
	if err != nil {
		return nil, false, false, err
	}
	got = make([]admin.LogLine, 0, len(msgs))
	for _, m := range msgs {
		l, end, err := decode(m)
		if err != nil {
			return nil, false, false, fmt.Errorf("entry %s of %s: %w", m.ID, c.key(buildID), err)
		}
		if end {
			return got, true, true, nil
		}
		got = append(got, l)
	}
	return got, false, len(msgs) > 0, nil
}

// decode turns a stream entry into a line, or reports the end mark.
func decode(m goredis.XMessage) (l admin.LogLine, end bool, err error) {
	ms, seq, ok := strings.Cut(m.ID, "-")
	if !ok {
		return l, false, errors.New("malformed id")
	}
	if ms != "0" {
		return l, true, nil
	}
	n, err := strconv.ParseInt(seq, 10, 64)
	if err != nil || n < 1 {
		return l, false, errors.New("malformed id")
	}
	str := func(k string) string { s, _ := m.Values[k].(string); return s }
	l.Seq = n - 1
	if err := l.Time.UnmarshalBinary([]byte(str("t"))); err != nil {
		return l, false, fmt.Errorf("time: %w", err)
	}
	l.Phase, l.Stream, l.Text = str("p"), str("s"), str("x")
	return l, false, nil
}

// Lines returns retained lines; see admin.BuildLogCache. An unknown build has
// no lines.
func (c *Cache) Lines(ctx context.Context, buildID string, from int64, limit int) ([]admin.LogLine, error) {
	if err := admin.CheckBuildID(buildID); err != nil {
		return nil, fmt.Errorf("redis: lines: %w", err)
	}
	if err := lines.CheckRange(from, limit); err != nil {
		return nil, fmt.Errorf("redis: lines of %s: %w", buildID, err)
	}
	if c.closed.Load() {
		return nil, c.errClosed("lines")
	}
	got, _, _, err := c.read(ctx, buildID, from, limit)
	if err != nil {
		return nil, backend("lines of "+buildID, err)
	}
	out, _ := c.limits.Window(from, got, limit)
	return out, nil
}

// Follow yields the build's lines as they come, from whichever process
// appends them; see admin.BuildLogCache. It also ends when the build is
// cleared, and yields admin.ErrClosed when the cache is closed. Waiting
// followers hold no Redis connection: one subscription per Cache wakes them.
func (c *Cache) Follow(ctx context.Context, buildID string, from int64) iter.Seq2[admin.LogLine, error] {
	return lines.Follow(ctx, from, func(ctx context.Context) (lines.Source, error) {
		if err := admin.CheckBuildID(buildID); err != nil {
			return nil, fmt.Errorf("redis: follow: %w", err)
		}
		if err := lines.CheckRange(from, 0); err != nil {
			return nil, fmt.Errorf("redis: follow %s: %w", buildID, err)
		}
		if c.closed.Load() {
			return nil, c.errClosed("follow")
		}
		w, gen, err := c.hub.join(ctx, buildID)
		if err != nil {
			return nil, backend("follow "+buildID, err)
		}
		return &source{c: c, id: buildID, w: w, gen: gen}, nil
	})
}

// source is one follower's handle on a build.
type source struct {
	c    *Cache
	id   string
	w    *waiter
	gen  uint64 // w's clear count when the follower joined
	seen bool   // the log existed at some read
}

func (s *source) Changed() <-chan struct{} { return s.c.hub.changed(s.w) }

func (s *source) Read(ctx context.Context, from int64, n int) ([]admin.LogLine, bool, error) {
	c := s.c
	if c.closed.Load() {
		return nil, false, c.errClosed("follow")
	}
	if c.hub.clears(s.w) != s.gen {
		return nil, true, nil // cleared since the follower joined
	}
	got, finished, exists, err := c.read(ctx, s.id, from, n+1)
	if err != nil {
		return nil, false, backend("follow "+s.id, err)
	}
	s.seen = s.seen || exists
	if !exists && s.seen {
		// Nothing new: was the log cleared while no notice reached us?
		n, err := c.client.Exists(ctx, c.key(s.id)).Result()
		if err != nil {
			return nil, false, backend("follow "+s.id, err)
		}
		if n == 0 {
			return nil, true, nil
		}
	}
	if len(got) > n {
		got, finished = got[:n], false
	}
	out, complete := c.limits.Window(from, got, n)
	return out, finished && complete, nil
}

func (s *source) Close() { s.c.hub.leave(s.id, s.w) }

// Finish marks the build's log complete for every process and starts its TTL;
// see admin.BuildLogCache. Finishing twice is not an error.
func (c *Cache) Finish(ctx context.Context, buildID string) error {
	if err := admin.CheckBuildID(buildID); err != nil {
		return fmt.Errorf("redis: finish: %w", err)
	}
	if c.closed.Load() {
		return c.errClosed("finish")
	}
	ttl := max(c.ttl.Milliseconds(), 0)
	if c.ttl > 0 && ttl == 0 {
		ttl = 1
	}
	err := finishScript.Run(ctx, c.client, []string{c.key(buildID)}, ttl, c.channel, string(rune(eventFinish))+buildID).Err()
	if err != nil {
		return backend("finish "+buildID, err)
	}
	return nil
}

// Flush writes the retained lines, after a marker when lines were dropped, to
// fs; see admin.BuildLogCache. It fails with admin.ErrNotFound when Redis
// holds nothing for the build, so that a cleared build never overwrites its
// flushed log with an empty one.
func (c *Cache) Flush(ctx context.Context, buildID string, fs admin.FileStorage) (string, error) {
	if err := admin.CheckBuildID(buildID); err != nil {
		return "", fmt.Errorf("redis: flush: %w", err)
	}
	if fs == nil {
		return "", fmt.Errorf("redis: flush %s: %w", buildID, &admin.ValidationError{Field: "fs", Reason: "must not be nil"})
	}
	if c.closed.Load() {
		return "", c.errClosed("flush")
	}
	_, _, exists, err := c.read(ctx, buildID, 0, 1)
	if err != nil {
		return "", backend("flush "+buildID, err)
	}
	if !exists {
		return "", fmt.Errorf("redis: flush %s: no log held: %w", buildID, admin.ErrNotFound)
	}
	path, err := admin.WriteBuildLog(ctx, fs, buildID, admin.AllLines(ctx, c, buildID, lines.FlushPage))
	if err != nil {
		return "", fmt.Errorf("redis: flush %s: %w", buildID, err)
	}
	return path, nil
}

// Clear deletes the build's log and ends its followers in every process; see
// admin.BuildLogCache. Clearing an unknown build is not an error.
func (c *Cache) Clear(ctx context.Context, buildID string) error {
	if err := admin.CheckBuildID(buildID); err != nil {
		return fmt.Errorf("redis: clear: %w", err)
	}
	if c.closed.Load() {
		return c.errClosed("clear")
	}
	err := clearScript.Run(ctx, c.client, []string{c.key(buildID)}, c.channel, string(rune(eventClear))+buildID).Err()
	if err != nil {
		return backend("clear "+buildID, err)
	}
	return nil
}

// Close ends the cache's subscription; its followers yield admin.ErrClosed
// and every later call fails with it. The logs stay in Redis and the client
// stays open. Closing twice is not an error.
func (c *Cache) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.hub.close()
	return nil
}
