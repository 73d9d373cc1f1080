//go:build linux

package bundler_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/bundler"
)

// BenchmarkRealBuild compares, on the 1.x fixture with its dependencies
// installed, plain `mastra build` (the baseline) with the faithful and
// fast builds. One iteration is one whole build; run with
//
//	go test -run '^$' -bench RealBuild -benchtime 3x ./bundler/
func BenchmarkRealBuild(b *testing.B) {
	node := node22(b)
	buildDir := b.TempDir()
	src := prepareFixture(b, "v1", node, buildDir)
	b.Run("mastra-build", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(filepath.Join(src, "node_modules", ".bin", "mastra"), "build")
			cmd.Dir = src
			cmd.Env = env(b, node)
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("mastra build: %v\n%s", err, out)
			}
		}
	})
	for _, mode := range []bundler.Mode{bundler.Faithful, bundler.Fast} {
		b.Run(mode.String(), func(b *testing.B) {
			for b.Loop() {
				if _, err := bundler.Build(context.Background(), buildOpts(src, buildDir, node, mode, nil)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
