// Package sqlite is the embedded admin.Storage: the platform's state in one
// SQLite database file, with no server to run and no cgo (it uses the pure-Go
// modernc.org/sqlite driver). It is the quickstart's default; use
// storage/postgres when several admin servers share one state.
//
//	store, err := sqlite.Open("/var/lib/mastra-admin/admin.db", nil)
//	if err != nil {
//		return err
//	}
//	defer store.Close()
//	a, err := admin.New(admin.WithStorage(store))
//
// # Configuration
//
// Open takes the path of the database file, created when missing, and
// *Options, where nil means defaults:
//
//   - Logger: where the adapter logs (schema migrations); default discard.
//   - BusyTimeout: how long a statement waits for a lock another process
//     holds on the file; default 5s.
//   - MaxReaders: how many connections read at once; default 4.
//
// The path must name a file: ":memory:" and "file:" URIs are refused,
// because every connection of the Store must see the same database. Tests
// use a file in t.TempDir().
//
// # How it works
//
// The file is in WAL mode (readers never wait for the writer), with foreign
// keys on and synchronous=NORMAL (a crash may lose the last transactions
// but never corrupts the file). Writes go through a single connection, one
// transaction at a time (BEGIN IMMEDIATE), so writers in one process never
// fight over SQLite's lock and never see SQLITE_BUSY; reads use a pool of
// read-only connections. Another process opening the same file waits up to
// BusyTimeout for the lock. ClaimBuild is one UPDATE ... RETURNING statement
// inside that single writer, so claimers never take the same build.
//
// Times are stored as INTEGER microseconds since the Unix epoch, UTC;
// SourceConfig, EnvVars, EnvVarOverrides and Metadata as JSON text (an empty
// array or object for nil). Sealed env-var values stay sealed: the store
// never sees plain text.
//
// # Schema migrations
//
// The schema is embedded (migrations/NNNN_name.sql) and versioned in the
// schema_migrations table. Open applies the migrations a file lacks, all in
// one transaction, and refuses a file whose schema is newer than the
// program's (SchemaVersion) instead of guessing.
//
// # Errors
//
// Errors name the operation ("sqlite: get project \"prj_…\": not found") and
// wrap the admin sentinels: ErrNotFound for a missing object,
// ErrAlreadyExists for a taken id or unique key (the SQLite error is wrapped
// too, naming the column), ErrConflict for a stale Version, a team that
// still has projects, a change that would leave a team without an owner, or
// a foreign key that does not match; ErrClosed after Close; a
// *admin.ValidationError (ErrInvalidArgument) for a bad path or option.
package sqlite
