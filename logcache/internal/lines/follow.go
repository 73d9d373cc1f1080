package lines

import (
	"context"
	"iter"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Batch is how many lines Follow reads from its Source at a time.
const Batch = 256

// Source is one follower's view of one build's log, opened by Follow and
// closed when it ends.
type Source interface {
	// Changed returns a channel that is closed at the first change of the
	// build's log (append, finish, clear) or of the cache (close) after the
	// call. Follow takes it before each Read, so no change is missed.
	Changed() <-chan struct{}
	// Read returns up to n lines from Seq from on, a marker first when lines
	// from `from` on were dropped (as Limits.Window), and whether the log ends
	// with them: it was finished or cleared and nothing follows.
	Read(ctx context.Context, from int64, n int) ([]admin.LogLine, bool, error)
	// Close releases what the source holds.
	Close()
}

// Follow implements BuildLogCache.Follow over sources made by open: it yields
// the lines already held, then waits for changes and yields the new ones, in
// order and without gaps or duplicates. It ends after the last line of a
// finished or cleared log, when ctx is done (without an error), or after
// yielding an error from open or Read. Nothing is opened until the sequence
// is iterated, and it starts no goroutine.
func Follow(ctx context.Context, from int64, open func(context.Context) (Source, error)) iter.Seq2[admin.LogLine, error] {
	return func(yield func(admin.LogLine, error) bool) {
		if ctx.Err() != nil {
			return
		}
		src, err := open(ctx)
		if err != nil {
			if ctx.Err() == nil {
				yield(admin.LogLine{}, err)
			}
			return
		}
		defer src.Close()
		next := from
		for {
			changed := src.Changed()
			batch, end, err := src.Read(ctx, next, Batch)
			if ctx.Err() != nil {
				return
			}
			if err != nil {
				yield(admin.LogLine{}, err)
				return
			}
			for _, l := range batch {
				if !yield(l, nil) {
					return
				}
				next = l.Seq + 1
			}
			if end {
				return
			}
			if len(batch) == Batch {
				continue // more may be held already
			}
			select {
			case <-ctx.Done():
				return
			case <-changed:
			}
		}
	}
}
