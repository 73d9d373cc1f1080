// Package redis is an admin.BuildLogCache in Redis, for several admin servers
// that share their builds: a line appended by one server is read and followed
// through any other, with the same Seq.
//
//	client := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:6379"})
//	cache, err := redis.New(client, &redis.Options{Prefix: "mastra:logs:"})
//
// The cache uses the client and does not close it. Any
// goredis.UniversalClient works; every step touches a single key, so Redis
// Cluster is possible, though only a single server is tested here. Redis 5
// or newer is needed (streams).
//
// # Configuration
//
// Options.Prefix starts every key and channel (default "mastra:logs:");
// MaxLines (default 50,000) and MaxLineBytes (default 8 KiB) are the caps;
// TTL (default 24 h, negative: none) is how long a finished log stays when
// nobody clears it; Logger receives debug messages. Every server sharing a
// Redis should use the same values. A log that is never finished has no TTL:
// it stays until Clear.
//
// # Layout and design
//
// A build's log is one stream, {Prefix}log:{buildID}, whose entry ids are
// "0-{Seq+1}"; Finish adds the entry "1-0" after the last line. Streams were
// chosen over a list because the ids are the Seqs: a read from any Seq is one
// XRANGE, the cap is one XTRIM MAXLEN, the next Seq comes from the last entry
// with no counter key to keep in step, and the finished mark lives in the
// same key, so one TTL covers everything. Append, Finish and Clear are Lua
// scripts: each is atomic across processes and publishes an event ("a", "f"
// or "c" followed by the build id) on {Prefix}events.
//
// Followers are woken by those events, not by XREAD BLOCK: a blocked XREAD
// would hold one pooled connection per follower (a hundred followers exhaust
// go-redis's default pool of ten per CPU) and go-redis does not interrupt a
// blocked read when ctx is cancelled. Instead each Cache holds one
// subscription, opened on the first Follow and confirmed by Redis before any
// follower reads; a waiting follower holds only a Go channel, so ctx
// cancellation ends it at once. A follower takes its wake-up channel before
// each read, so a line appended between its catch-up read and its wait is
// never missed. Pub/sub drops messages while a connection is down; go-redis
// subscribes again after reconnecting, and then every follower reads again.
//
// # Errors
//
// See package logcache: admin.ErrInvalidArgument for bad input (nothing is
// sent to Redis), admin.ErrConflict for Append after Finish (by any
// process), admin.ErrNotFound for Flush of a build Redis holds nothing for,
// admin.ErrClosed after Close or when the client is closed. Other Redis
// errors are wrapped with %w after the operation and build id.
package redis
