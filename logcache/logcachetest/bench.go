package logcachetest

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// BenchAppend measures Append: b.N lines of about 80 bytes to one build, in
// calls of batch lines (1 is how a build's output arrives, line by line). It
// reports lines/s.
func BenchAppend(b *testing.B, c admin.BuildLogCache, batch int) {
	ctx := context.Background()
	lines := make([]admin.LogLine, batch)
	for i := range lines {
		lines[i] = admin.LogLine{Time: base, Phase: "install", Stream: "stdout",
			Text: fmt.Sprintf("npm warn deprecated some-package@1.2.%d: this line is about eighty bytes", i)}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		if err := c.Append(ctx, "bld_bench", lines[:min(batch, b.N-i)]...); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
}

// BenchFanout measures delivery to followers: followers follow one build
// while b.N lines are appended in calls of 16, then the build is finished;
// the time runs until every follower has ended. It reports lines delivered
// per second, summed over the followers. A follower that falls behind the
// cache's cap counts the lines a marker stands for as delivered.
func BenchFanout(b *testing.B, c admin.BuildLogCache, followers int) {
	const batch = 16
	ctx := context.Background()
	id := fmt.Sprintf("bld_fan_%d", b.N)
	var ready, done sync.WaitGroup
	counts := make([]int64, followers)
	errs := make([]error, followers)
	for f := range followers {
		ready.Add(1)
		done.Go(func() {
			first := true
			for l, err := range c.Follow(ctx, id, 0) {
				if err != nil {
					errs[f] = err
					break
				}
				if first {
					ready.Done()
					first = false
				}
				counts[f] = l.Seq + 1
			}
			if first {
				ready.Done()
			}
		})
	}
	lines := make([]admin.LogLine, batch)
	for i := range lines {
		lines[i] = admin.LogLine{Time: base, Phase: "build", Stream: "stdout", Text: fmt.Sprintf("vite v5.4.%d building for production... transforming modules", i)}
	}
	// The first line makes every follower live before the clock starts.
	if err := c.Append(ctx, id, lines[0]); err != nil {
		b.Fatal(err)
	}
	ready.Wait()
	b.ResetTimer()
	for i := 0; i < b.N; i += batch {
		if err := c.Append(ctx, id, lines[:min(batch, b.N-i)]...); err != nil {
			b.Fatal(err)
		}
	}
	if err := c.Finish(ctx, id); err != nil {
		b.Fatal(err)
	}
	done.Wait()
	b.StopTimer()
	for f := range followers {
		if errs[f] != nil || counts[f] != int64(b.N)+1 {
			b.Fatalf("follower %d ended at Seq %d of %d (err %v)", f, counts[f], b.N+1, errs[f])
		}
	}
	b.ReportMetric(float64(b.N)*float64(followers)/b.Elapsed().Seconds(), "deliveries/s")
	if err := c.Clear(ctx, id); err != nil {
		b.Fatal(err)
	}
}
