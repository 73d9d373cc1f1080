// Package ctxio stops streams when their context is done.
package ctxio

import (
	"context"
	"io"
)

// Reader returns a reader that reads from r until ctx is done, then returns
// ctx's error (context.Canceled or context.DeadlineExceeded). It checks ctx
// before each Read, so a copy loop ends within one buffer of cancellation
// even when r never ends.
func Reader(ctx context.Context, r io.Reader) io.Reader {
	return &reader{ctx: ctx, r: r}
}

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (r *reader) Read(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		return 0, err
	}
	return r.r.Read(p)
}
