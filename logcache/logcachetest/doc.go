// Package logcachetest is the conformance suite for admin.BuildLogCache.
// Every adapter, first-party or not, runs it from a short test; the
// in-memory adapter passes it with no service running.
//
// # Running the suite
//
// Run takes a function that builds a new, empty cache with the caps the
// suite asks for (Options: a per-build line cap and a line-length cap; the
// suite needs small caps to test dropping and truncation):
//
//	func TestConformance(t *testing.T) {
//		logcachetest.Run(t, func(t *testing.T, opts logcachetest.Options) admin.BuildLogCache {
//			c, err := memory.New(&memory.Options{MaxLines: opts.MaxLines, MaxLineBytes: opts.MaxLineBytes})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return c
//		})
//	}
//
// A cache shared between processes also runs RunShared, with two caches on
// one backend through separate connections: lines appended through one must
// be read, followed, finished, flushed and cleared through the other with the
// same Seqs. Each call must give caches that share nothing with earlier ones
// (a key prefix of their own, say); subtests run in parallel. The suite
// closes the caches; Flush goes to a filestore/local store in a temporary
// folder.
//
// # What it checks
//
// Seq assignment across Appends and concurrent appenders (each writer's order
// kept, Seqs unique and contiguous); caller Seq and Dropped ignored; bytes of
// Text kept as given; Lines with from and limit; Follow from the start, the
// middle and beyond the end, live delivery, several followers seeing the same
// lines, the end after Finish, ctx cancellation and break; the per-build cap
// (oldest dropped, the marker's Seq and Dropped, resuming at marker.Seq+1
// without gap or repeat, a slow follower); lines cut at the byte cap on a
// UTF-8 boundary; builds isolated; Append after Finish refused
// (admin.ErrConflict); Flush writing exactly the formatted lines to
// admin.BuildLogPath and never replacing a flushed log once the build is
// cleared (admin.ErrNotFound); Clear ending followers; bad build ids, phases,
// streams and ranges refused with admin.ErrInvalidArgument without storing
// anything; admin.ErrClosed after Close.
//
// # Benchmarks
//
// BenchAppend and BenchFanout measure Append throughput and delivery to many
// followers; run them beside a baseline cache (logcache/memory) in the same
// benchmark and compare ratios.
package logcachetest
