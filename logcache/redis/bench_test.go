package redis_test

import (
	"fmt"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/logcache/logcachetest"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
	"github.com/mastra-admin/mastra-admin-go/logcache/redis"
)

// caches gives each benchmark the in-process cache as the baseline and the
// Redis cache, so that their ratio comes from one run.
var caches = []struct {
	name string
	new  func(b *testing.B) admin.BuildLogCache
}{
	{"memory", func(b *testing.B) admin.BuildLogCache {
		c, err := memory.New(nil)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}},
	{"redis", func(b *testing.B) admin.BuildLogCache {
		client, prefix := testenv.Redis(b)
		c, err := redis.New(client, &redis.Options{Prefix: prefix})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		return c
	}},
}

func BenchmarkAppend(b *testing.B) {
	for _, batch := range []int{1, 64} {
		for _, c := range caches {
			b.Run(fmt.Sprintf("batch=%d/%s", batch, c.name), func(b *testing.B) {
				logcachetest.BenchAppend(b, c.new(b), batch)
			})
		}
	}
}

func BenchmarkFanout(b *testing.B) {
	for _, c := range caches {
		b.Run("followers=100/"+c.name, func(b *testing.B) {
			logcachetest.BenchFanout(b, c.new(b), 100)
		})
	}
}
