// Package storage is the family of admin.Storage adapters: where the
// platform keeps users, teams, projects, deployments, builds (the build
// queue), running-server records, API tokens and the audit log. It holds no
// code; each adapter is a package of its own:
//
//   - storage/sqlite: one embedded SQLite file, pure Go, no server to run.
//     The quickstart's default; one admin server at a time.
//   - storage/postgres: PostgreSQL through pgx/v5, for production and for
//     several admin servers sharing one state and one build queue.
//   - storage/storagetest: the conformance suite every adapter passes, and
//     the benchmarks that compare them.
//
// # Writing an adapter
//
// The contract is admin.Storage; its doc comment lists the rules every
// method follows. A new adapter:
//
//  1. lives in its own package and exports New(client, *Options) (*Store,
//     error) taking a ready-made client (nil Options meaning defaults), or
//     Open(path, *Options) when it owns its resources;
//  2. asserts var _ admin.Storage = (*Store)(nil);
//  3. stores objects exactly as given (the Admin sets ids, times, versions),
//     enforces the unique keys and the optimistic Version check in the
//     backend itself (never read-then-write without a lock or a condition),
//     and returns copies;
//  4. keeps times in UTC at microsecond precision and reads nil maps and
//     slices back empty;
//  5. makes ClaimBuild, UpdateMember, RemoveMember, DeleteUser, DeleteTeam
//     and CreateTeamWithOwner atomic against concurrent callers, in one
//     process and across processes;
//  6. wraps errors with %w, naming the operation, and maps backend errors
//     to admin.ErrNotFound, ErrAlreadyExists and ErrConflict;
//  7. runs storagetest.Run from a three-line test under -race, and
//     storagetest.RunBenchmarks to report its costs as ratios.
package storage
