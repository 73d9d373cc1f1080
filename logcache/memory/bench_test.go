package memory_test

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/logcache/logcachetest"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
)

// The Redis package's benchmarks run these beside the Redis cache, for
// ratios from one run.

func BenchmarkAppend(b *testing.B) {
	c, err := memory.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	logcachetest.BenchAppend(b, c, 1)
}

func BenchmarkFanout(b *testing.B) {
	c, err := memory.New(nil)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	logcachetest.BenchFanout(b, c, 100)
}
