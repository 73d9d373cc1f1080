//go:build linux

package bundler_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/bundler"
)

// BenchmarkRealBuild compares, on the 1.x fixture with its dependencies
// installed, plain `mastra build` (the baseline) with the faithful and
// fast builds. One iteration runs all three in turn, so that they share
// the machine's load, and the ratios to the baseline are reported; run
// with
//
//	go test -run '^$' -bench RealBuild -benchtime 3x ./bundler/
func BenchmarkRealBuild(b *testing.B) {
	node := node22(b)
	buildDir := b.TempDir()
	src := prepareFixture(b, "v1", node, buildDir)
	var plain, faithful, fast time.Duration
	for b.Loop() {
		t0 := time.Now()
		cmd := exec.Command(filepath.Join(src, "node_modules", ".bin", "mastra"), "build")
		cmd.Dir = src
		cmd.Env = env(b, node)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("mastra build: %v\n%s", err, out)
		}
		t1 := time.Now()
		if _, err := bundler.Build(context.Background(), buildOpts(src, buildDir, node, bundler.Faithful, nil)); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		if _, err := bundler.Build(context.Background(), buildOpts(src, buildDir, node, bundler.Fast, nil)); err != nil {
			b.Fatal(err)
		}
		plain, faithful, fast = plain+t1.Sub(t0), faithful+t2.Sub(t1), fast+time.Since(t2)
	}
	n := float64(b.N)
	b.ReportMetric(plain.Seconds()/n, "mastra-build-s/op")
	b.ReportMetric(faithful.Seconds()/n, "faithful-s/op")
	b.ReportMetric(fast.Seconds()/n, "fast-s/op")
	b.ReportMetric(float64(faithful)/float64(plain), "faithful/mastra-build")
	b.ReportMetric(float64(fast)/float64(plain), "fast/mastra-build")
}
