package redis_test

import (
	"errors"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/logcache/logcachetest"
	"github.com/mastra-admin/mastra-admin-go/logcache/redis"
)

// newCache returns a cache on client under prefix with the suite's caps.
func newCache(t *testing.T, client goredis.UniversalClient, prefix string, opts logcachetest.Options) *redis.Cache {
	t.Helper()
	c, err := redis.New(client, &redis.Options{Prefix: prefix, MaxLines: opts.MaxLines, MaxLineBytes: opts.MaxLineBytes})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConformance(t *testing.T) {
	logcachetest.Run(t, func(t *testing.T, opts logcachetest.Options) admin.BuildLogCache {
		client, prefix := testenv.Redis(t)
		return newCache(t, client, prefix, opts)
	})
}

func TestConformanceShared(t *testing.T) {
	logcachetest.RunShared(t, func(t *testing.T, opts logcachetest.Options) (admin.BuildLogCache, admin.BuildLogCache) {
		client, prefix := testenv.Redis(t)
		// A second client of its own: another admin server on the same Redis.
		other := goredis.NewClient(client.Options())
		t.Cleanup(func() { other.Close() })
		return newCache(t, client, prefix, opts), newCache(t, other, prefix, opts)
	})
}

func TestNewOptions(t *testing.T) {
	client, _ := testenv.Redis(t)
	for _, tt := range []struct {
		name   string
		client goredis.UniversalClient
		opts   *redis.Options
		ok     bool
	}{
		{"nil options", client, nil, true},
		{"set", client, &redis.Options{Prefix: "x:", MaxLines: 10, MaxLineBytes: 100, TTL: -1}, true},
		{"nil client", nil, nil, false},
		{"negative lines", client, &redis.Options{MaxLines: -1}, false},
		{"negative bytes", client, &redis.Options{MaxLineBytes: -1}, false},
	} {
		c, err := redis.New(tt.client, tt.opts)
		if tt.ok != (err == nil) {
			t.Fatalf("%s: New: %v", tt.name, err)
		}
		if !tt.ok && !errors.Is(err, admin.ErrInvalidArgument) {
			t.Fatalf("%s: New: %v, want ErrInvalidArgument", tt.name, err)
		}
		if c != nil {
			c.Close()
		}
	}
}
