// Package memory is the in-process admin.BuildLogCache, the default when an
// admin server runs alone.
//
//	cache, err := memory.New(nil) // 50,000 lines per build, 8 KiB per line
//
// # Configuration
//
// Options.MaxLines caps the lines kept per build (default 50,000): past it the
// oldest are dropped and readers get a marker line for them. Options.MaxLineBytes
// caps a line's Text (default 8 KiB). Options.Logger receives debug messages
// (default: discard). Memory per build is bounded by about MaxLines ×
// (MaxLineBytes + 100 bytes).
//
// # How it works
//
// Each build's lines live in a ring buffer that grows up to MaxLines and then
// overwrites its oldest line. Followers do not poll and start no goroutine:
// each build has a channel that is closed and replaced on every change, and a
// follower waits on it between reads. Append never waits for a follower; a
// follower that falls more than MaxLines behind gets a marker for what it
// missed. Clear frees the build's memory and ends its followers; a finished
// log stays until it is cleared or the cache is closed.
//
// # Errors
//
// See package logcache: admin.ErrInvalidArgument for bad input (nothing is
// stored), admin.ErrConflict for Append after Finish, admin.ErrNotFound for
// Flush of a build the cache holds nothing for, admin.ErrClosed after Close.
package memory
