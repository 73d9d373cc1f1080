package local_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/source/local"
	"github.com/mastra-admin/mastra-admin-go/source/sourcetest"
)

// BenchmarkGetProjectPath copies a project of 2,000 small files. Each
// iteration also copies the same tree with `cp -a` (when cp is installed),
// the baseline: x-cp-a is GetProjectPath's time over cp's (below 1: faster
// than cp, whose figure includes starting the process).
func BenchmarkGetProjectPath(b *testing.B) {
	const nFiles = 2000
	files := sourcetest.MastraProject("bench", "^1.71.0")
	for i := range nFiles - len(files) {
		files[fmt.Sprintf("src/mastra/gen/d%02d/f%04d.ts", i%40, i)] = sourcetest.File{
			Data: fmt.Sprintf("export const v%d = %q;\n", i, strings.Repeat("x", 400+i%600)),
		}
	}
	var size int64
	for _, f := range files {
		size += int64(len(f.Data))
	}
	root := b.TempDir()
	proj := filepath.Join(root, "bench")
	sourcetest.WriteFiles(b, proj, files)
	src, err := local.New(root, nil)
	if err != nil {
		b.Fatal(err)
	}
	cp, cpErr := exec.LookPath("cp")
	work := b.TempDir()
	cfg := map[string]string{"path": "bench"}

	var ours, base time.Duration
	n := 0
	for b.Loop() {
		n++
		dst := filepath.Join(work, fmt.Sprint("ours-", n))
		start := time.Now()
		if _, err := src.GetProjectPath(b.Context(), cfg, "", dst); err != nil {
			b.Fatal(err)
		}
		ours += time.Since(start)
		cpDst := filepath.Join(work, fmt.Sprint("cp-", n))
		if cpErr == nil {
			start = time.Now()
			if out, err := exec.Command(cp, "-a", proj, cpDst).CombinedOutput(); err != nil {
				b.Fatalf("cp -a: %v: %s", err, out)
			}
			base += time.Since(start)
		}
		b.StopTimer()
		if err := os.RemoveAll(dst); err != nil {
			b.Fatal(err)
		}
		if err := os.RemoveAll(cpDst); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(ours.Nanoseconds())/float64(n), "ns/op")
	b.ReportMetric(float64(nFiles*n)/ours.Seconds(), "files/s")
	b.ReportMetric(float64(size)*float64(n)/ours.Seconds()/1e6, "MB/s")
	if base > 0 {
		b.ReportMetric(float64(nFiles*n)/base.Seconds(), "cp-files/s")
		b.ReportMetric(float64(ours)/float64(base), "x-cp-a")
	}
}
