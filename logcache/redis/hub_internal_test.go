package redis

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
)

// These tests reach paths the conformance suite cannot time: a follower that
// must be registered before the event, and events that never arrive.

const deadline = 20 * time.Second

func newTestCache(t *testing.T, client *goredis.Client, prefix string) *Cache {
	t.Helper()
	c, err := New(client, &Options{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// follow runs Follow in a goroutine; the channel yields its lines and is
// closed when it ends.
func follow(ctx context.Context, c *Cache, buildID string) (<-chan admin.LogLine, *error) {
	out := make(chan admin.LogLine, 100)
	var ferr error
	go func() {
		defer close(out)
		for l, err := range c.Follow(ctx, buildID, 0) {
			if err != nil {
				ferr = err
				return
			}
			out <- l
		}
	}()
	return out, &ferr
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			t.Fatalf("%s: not within %v", what, deadline)
		}
		time.Sleep(5 * time.Millisecond) // polling a condition, with a deadline
	}
}

func (h *hub) watching(buildID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.waiters[buildID] != nil
}

func expectLine(t *testing.T, lines <-chan admin.LogLine, seq int64) {
	t.Helper()
	select {
	case l, ok := <-lines:
		if !ok || l.Seq != seq {
			t.Fatalf("follower gave Seq %d (open %v), want %d", l.Seq, ok, seq)
		}
	case <-time.After(deadline):
		t.Fatalf("no line %d within %v", seq, deadline)
	}
}

func expectEnd(t *testing.T, lines <-chan admin.LogLine, ferr *error) {
	t.Helper()
	select {
	case l, ok := <-lines:
		if ok {
			t.Fatalf("follower gave Seq %d, want its end", l.Seq)
		}
		if *ferr != nil {
			t.Fatalf("follower ended with %v", *ferr)
		}
	case <-time.After(deadline):
		t.Fatalf("follower did not end within %v", deadline)
	}
}

// A follower of a build that never had a line ends on Clear: only the clear
// event can tell it.
func TestFollowerOfEmptyBuildEndsOnClear(t *testing.T) {
	client, prefix := testenv.Redis(t)
	c := newTestCache(t, client, prefix)
	ctx := t.Context()
	lines, ferr := follow(ctx, c, "bld_e")
	waitFor(t, "follower registered", func() bool { return c.hub.watching("bld_e") })
	if err := c.Clear(ctx, "bld_e"); err != nil {
		t.Fatal(err)
	}
	expectEnd(t, lines, ferr)
	waitFor(t, "follower unregistered", func() bool { return !c.hub.watching("bld_e") })
}

// When the clear event is lost, a follower that saw the log ends at its next
// read, finding the key gone.
func TestFollowerEndsWhenLogVanishes(t *testing.T) {
	client, prefix := testenv.Redis(t)
	c := newTestCache(t, client, prefix)
	ctx := t.Context()
	if err := c.Append(ctx, "bld_v", admin.LogLine{Text: "x"}); err != nil {
		t.Fatal(err)
	}
	lines, ferr := follow(ctx, c, "bld_v")
	expectLine(t, lines, 0)
	if err := client.Del(ctx, c.key("bld_v")).Err(); err != nil { // no event
		t.Fatal(err)
	}
	c.hub.wakeAll() // what a resubscription does
	expectEnd(t, lines, ferr)
}

// Followers keep receiving after the subscription's connection is killed.
func TestFollowAfterPubSubReconnect(t *testing.T) {
	base, prefix := testenv.Redis(t)
	opts := *base.Options()
	opts.ClientName = strings.TrimSuffix(prefix, ":") + "_sub"
	client := goredis.NewClient(&opts)
	t.Cleanup(func() { client.Close() })
	c := newTestCache(t, client, prefix)
	ctx := t.Context()
	if err := c.Append(ctx, "bld_r", admin.LogLine{Text: "0"}); err != nil {
		t.Fatal(err)
	}
	lines, ferr := follow(ctx, c, "bld_r")
	expectLine(t, lines, 0)

	list, err := base.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	killed := 0
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+opts.ClientName+" ") && strings.Contains(line, " sub=1 ") {
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "id="), " ")
			if err := base.Do(ctx, "CLIENT", "KILL", "ID", id).Err(); err != nil {
				t.Fatal(err)
			}
			killed++
		}
	}
	if killed != 1 {
		t.Fatalf("killed %d subscriber connections named %s, want 1", killed, opts.ClientName)
	}
	if err := c.Append(ctx, "bld_r", admin.LogLine{Text: "1"}); err != nil {
		t.Fatal(err)
	}
	expectLine(t, lines, 1)
	if err := c.Finish(ctx, "bld_r"); err != nil {
		t.Fatal(err)
	}
	expectEnd(t, lines, ferr)
}

// Close stops the subscription's goroutine.
func TestCloseStopsHub(t *testing.T) {
	client, prefix := testenv.Redis(t)
	c := newTestCache(t, client, prefix)
	ctx := t.Context()
	lines, ferr := follow(ctx, c, "bld_c")
	waitFor(t, "follower registered", func() bool { return c.hub.watching("bld_c") })
	c.Close()
	select {
	case <-c.hub.stopped:
	case <-time.After(deadline):
		t.Fatal("hub still running after Close")
	}
	select {
	case _, ok := <-lines:
		if ok {
			t.Fatal("follower gave a line after Close")
		}
	case <-time.After(deadline):
		t.Fatal("follower did not end after Close")
	}
	if !errors.Is(*ferr, admin.ErrClosed) {
		t.Fatalf("follower ended with %v after Close, want ErrClosed", *ferr)
	}
}
