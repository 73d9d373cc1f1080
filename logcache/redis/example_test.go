package redis_test

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/logcache/redis"
)

// Two admin servers share build logs through one Redis: lines one appends,
// the other follows live. (No Output: it needs a Redis server.)
func Example() {
	ctx := context.Background()
	builder, err := redis.New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"}), &redis.Options{Prefix: "example:logs:"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer builder.Close()
	viewer, err := redis.New(goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"}), &redis.Options{Prefix: "example:logs:"})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer viewer.Close()

	go func() {
		for i := range 3 {
			builder.Append(ctx, "bld_1", admin.LogLine{Time: time.Now(), Phase: "build", Stream: "stdout", Text: fmt.Sprintf("step %d", i)})
		}
		builder.Finish(ctx, "bld_1")
	}()
	for line, err := range viewer.Follow(ctx, "bld_1", 0) {
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(line.Seq, line.Text)
	}
	viewer.Clear(ctx, "bld_1")
}
