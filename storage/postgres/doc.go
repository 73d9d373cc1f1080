// Package postgres is an admin.Storage on PostgreSQL, built on pgx/v5.
//
// It is the store for production and for several admin servers sharing one
// database: the build queue is shared through row locks (FOR UPDATE SKIP
// LOCKED), and every rule of the Storage contract holds across processes,
// not only across goroutines.
//
// # Configuration
//
// The caller builds the *pgxpool.Pool (connection string, pool size, TLS)
// and passes it to New, which keeps it but never closes it:
//
//	pool, err := pgxpool.New(ctx, os.Getenv("DATABASE_URL"))
//	...
//	defer pool.Close()
//	store, err := postgres.New(ctx, pool, &postgres.Options{Logger: logger})
//	...
//	a, err := admin.New(admin.WithStorage(store))
//
// Options (nil means defaults):
//
//   - Logger: where the few log lines go (applied migrations); discarded by
//     default.
//   - SkipMigrate: do not migrate in New; check instead that every migration
//     has been applied and fail otherwise. Use it when migrations run as a
//     separate deployment step (Migrate), or when the application's database
//     role may not change the schema.
//
// Tables are created unqualified, so they land in the first schema of the
// connections' search_path. To keep them apart from other applications in
// one database, give the pool a schema of its own, for example
// cfg.ConnConfig.RuntimeParams["search_path"] = "mastra_admin" (the schema
// must exist). Every table name starts with mastra_admin_ in any case.
//
// # Migrations
//
// The schema is a sequence of numbered SQL files embedded in the binary
// (migrations/0001_init.sql, ...). The applied versions are recorded in the
// table mastra_admin_schema_migrations (MigrationsTable). New applies the
// missing ones unless Options.SkipMigrate is set; Migrate does the same on
// its own.
//
// Migrate runs in one transaction that first takes the transaction-scoped
// advisory lock MigrationLockKey (0x6d61737472610001: "mastra" then 0x0001)
// with pg_advisory_xact_lock. Admin servers that start at the same time
// therefore migrate one after the other: the first applies the migrations,
// the others wait, then find nothing left to do. The lock is released by the
// commit or the rollback, even when the process dies, and a migration that
// fails leaves the schema unchanged. Advisory locks are database-wide, so
// Migrate calls for different schemas of one database also wait for each
// other, briefly. Migrations must be transactional (no CREATE INDEX
// CONCURRENTLY).
//
// # Schema notes
//
//   - Ids, slugs, emails and hashes use the "C" collation: listings ordered
//     by id are in byte order whatever the database's locale, as the Page
//     cursor requires.
//   - Times are timestamptz (microsecond precision) and are returned in UTC.
//   - SourceConfig, EnvVars, EnvVarOverrides and AuditEvent.Metadata are
//     JSONB with CHECK constraints (jsonb_typeof = 'object' or 'array'); a
//     JSON null read from a row written by something else reads as empty,
//     never nil. Sealed env-var values are base64 inside the JSON.
//   - Foreign keys carry the contract's cascades: memberships and tokens go
//     with their user; memberships with their team; deployments with their
//     project; builds and server records with their deployment. Projects
//     RESTRICT the deletion of their team. The audit log references nothing
//     and outlives what it describes.
//   - Updates are optimistic: UPDATE ... WHERE id = $1 AND version = $2.
//   - UpdateMember, RemoveMember and DeleteUser lock the team rows concerned
//     (DeleteUser also the user row) before counting owners, so the
//     last-owner rule holds against concurrent changes.
//   - ClaimBuild locks a candidate build and its deployment row with SKIP
//     LOCKED, then claims the build in a statement that rechecks that the
//     deployment has no build in flight; see ClaimBuild.
//
// # Errors
//
// Every error names the operation ("postgres: get build \"bld_…\": not
// found") and wraps an admin sentinel where one applies, so errors.Is works:
//
//   - no row: admin.ErrNotFound;
//   - unique_violation (23505), a taken id or unique key:
//     admin.ErrAlreadyExists;
//   - foreign_key_violation (23503), a missing parent or a team that still
//     has projects: admin.ErrConflict; so are stale versions and the removal
//     of a team's last owner;
//   - check_violation (23514), not_null_violation (23502) and data
//     exceptions (class 22: NUL bytes, invalid UTF-8, out-of-range values):
//     admin.ErrInvalidArgument;
//   - a closed Store: admin.ErrClosed.
//
// The driver's *pgconn.PgError stays reachable with errors.As. Errors of
// GetTokenByHash do not repeat the hash.
//
// # Tests
//
// The package runs storagetest.Run, each subtest on a fresh schema, plus
// its own tests of migrations, the advisory lock, and claims and owner
// changes from two pools. Set MASTRA_ADMIN_TEST_POSTGRES_URL, for example
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable; without it the
// tests use a testcontainers PostgreSQL when a Docker engine answers, and
// are skipped otherwise.
package postgres
