package postgres_test

import (
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/storagetest"
)

// TestConformance runs the Storage conformance suite, each subtest on a
// fresh schema.
func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) admin.Storage { return newStore(t) })
}

// BenchmarkStore runs the Storage benchmarks, each on a fresh schema.
func BenchmarkStore(b *testing.B) {
	storagetest.RunBenchmarks(b, func(b *testing.B) admin.Storage { return newStore(b) })
}
