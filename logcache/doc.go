// Package logcache is the home of the admin.BuildLogCache adapters: the
// caches that hold the log lines of builds in flight so that any number of
// readers can follow them live, and that write each finished log to
// FileStorage.
//
// # Adapters
//
//   - logcache/memory: in one process, the default. Nothing to run.
//   - logcache/redis: in Redis (go-redis/v9), for several admin servers that
//     share their builds: a line appended by one server is followed through
//     any other.
//   - logcache/logcachetest: the conformance suite every adapter passes.
//
// # The contract in short
//
// Append assigns each line its Seq, 0, 1, 2, … per build, in order. A cache
// keeps at most MaxLines lines per build: past that the oldest are dropped,
// and a reader asking for them gets one marker line instead (Dropped > 0,
// Seq = the last dropped line's Seq, made by admin.DroppedMarker), so that
// resuming at marker.Seq+1 has neither gap nor repeat. Text longer than
// MaxLineBytes is cut, on a UTF-8 boundary. Follow yields what is held, then
// new lines as they come, and ends after the last line of a finished build,
// when its build is cleared, when ctx is done, or after yielding an error.
// Finish marks a log complete (a later Append fails with admin.ErrConflict);
// Flush writes it with admin.WriteBuildLog to admin.BuildLogPath(buildID);
// Clear forgets it.
//
// Input rules shared by the first-party adapters: a build id is 1 to 128
// bytes of letters, digits, '.', '_' and '-' (admin.NewID ids pass), so that
// it can never leave its folder in admin.BuildLogPath or address another
// key; a Phase is at most 32 such bytes; a Stream is "stdout", "stderr" or
// empty. Anything else fails the whole call with admin.ErrInvalidArgument
// and stores nothing. A line's Seq and Dropped are the cache's: what the
// caller sets is ignored. A zero Time is set to the time of the Append.
//
// # Errors
//
// Bad input wraps admin.ErrInvalidArgument (a *admin.ValidationError naming
// the field); Append after Finish wraps admin.ErrConflict; Flush of a build
// the cache holds nothing for wraps admin.ErrNotFound (it never replaces a
// flushed log with an empty one); every call on a closed cache wraps
// admin.ErrClosed. Backend errors are wrapped with %w after the operation and
// build id.
//
// # Writing an adapter
//
// Implement admin.BuildLogCache in a package of its own with
//
//	func New(client, *Options) (*Cache, error)
//	var _ admin.BuildLogCache = (*Cache)(nil)
//
// and run the suite from a three-line test; the suite asks for the caps it
// needs:
//
//	func TestConformance(t *testing.T) {
//		logcachetest.Run(t, func(t *testing.T, opts logcachetest.Options) admin.BuildLogCache {
//			c, err := mycache.New(client, &mycache.Options{MaxLines: opts.MaxLines, MaxLineBytes: opts.MaxLineBytes})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return c
//		})
//	}
//
// A cache that several processes share also runs logcachetest.RunShared with
// two caches on one backend, each with its own connection.
package logcache
