package memory_test

import (
	"context"
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/logcache/memory"
)

func Example() {
	ctx := context.Background()
	cache, err := memory.New(&memory.Options{MaxLines: 3})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cache.Close()

	at := time.Date(2026, 11, 25, 17, 36, 19, 0, time.UTC)
	for i := range 5 {
		cache.Append(ctx, "bld_1", admin.LogLine{Time: at, Phase: "install", Stream: "stdout", Text: fmt.Sprintf("step %d", i)})
	}
	cache.Finish(ctx, "bld_1")

	// A follower joining late gets a marker for the dropped lines, then the
	// rest, and stops at the end of the finished log.
	for line, err := range cache.Follow(ctx, "bld_1", 0) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(line.Seq, line.Dropped, line.Text)
	}
	// Output:
	// 1 2 [2 earlier lines dropped: the log cache keeps at most 3 lines per build]
	// 2 0 step 2
	// 3 0 step 3
	// 4 0 step 4
}
