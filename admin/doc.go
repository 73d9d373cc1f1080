// Package admin is the core of MastraAdmin: an embeddable control plane that
// runs and operates many Mastra servers for the teams of an organisation.
//
// An *Admin owns every business rule — validation, RBAC, license gates,
// slugs, state transitions, env-var encryption and the audit log — and drives
// pluggable providers that only store and do I/O:
//
//	Storage             teams, users, projects, deployments, builds, audit  (storage/sqlite, storage/postgres)
//	FileStorage         build logs and observability files                   (filestore/local, filestore/s3, filestore/gcs)
//	BuildLogCache       live build logs, followed by many readers            (logcache/memory, logcache/redis)
//	Source              where project code comes from                        (source/local)
//	Runner              builds projects and runs their servers               (runner/local)
//	Router              exposes deployments by host name and path            (router/local)
//	ObservabilityStore  spans and logs of deployed servers                   (observability/clickhouse)
//
// # Configuration
//
// New takes functional options; only a Storage is required:
//
//	store, _ := sqlite.Open("admin.db", nil)
//	a, err := admin.New(
//		admin.WithStorage(store),
//		admin.WithEncryptionKeys("k1", map[string][]byte{"k1": key}),
//		admin.WithLogger(logger),
//	)
//	defer a.Close()
//
// A call that needs a provider that was not configured returns
// ErrNotSupported. Without WithLicense the Admin runs in development mode
// (DevelopmentLicense: a few teams, projects and servers, no expiry).
//
// # License
//
// The license's limits and features are checked on each call that needs
// them, and so is its expiry, against the Admin's clock. Once the license
// has expired, the platform stops growing and deploying: creating teams,
// users, projects and deployments, Deploy and Rollback fail with a
// *LicenseError saying when it expired. Everything else goes on working, so
// that operators are never locked out of their data: reading, updating,
// env vars, members and tokens, cancelling builds, stopping and deleting;
// servers already running keep running, and crashed ones are still
// restarted. New itself refuses a license that has already expired (as
// one that is tampered with or signed with another key) with a
// *LicenseError: renew it, or start without WithLicense (development mode)
// to reach the data.
//
// Without WithEncryptionKeys env vars cannot be set.
//
// # Principals and RBAC
//
// Every method that reads or changes team data acts for the principal in its
// context (WithPrincipal): a user, possibly limited to one team by a
// team-scoped API token, or SystemPrincipal for trusted code. Users have one
// role per team — owner, admin, developer, viewer — and RoleAllows answers
// from a single permission table. Platform admins may act in every team and
// platform-wide (users, the platform audit log). A team-scoped token carries
// only its user's rights in its team: a platform admin's scoped token acts as
// an owner there and has no platform-wide rights.
// Only owners make or unmake owners; a team always keeps one owner.
// The first user of an empty platform is made with Bootstrap.
//
// # Errors
//
// Errors wrap one sentinel — ErrNotFound, ErrAlreadyExists, ErrConflict,
// ErrForbidden, ErrUnauthenticated, ErrInvalidArgument, ErrLicense,
// ErrNotSupported, ErrClosed — so callers branch with errors.Is. Bad input
// gives a *ValidationError naming the field; license refusals a
// *LicenseError with the reason. Nothing stored changes when a call fails.
//
// # Secrets
//
// Env-var values are sealed with AES-256-GCM under a key id before they reach
// Storage, bound to their project or deployment and name. The Admin returns
// only names and metadata (EnvVarInfo); values are opened only for the
// Runner. Keys rotate: configure the new key as active, keep the old one,
// call ResealEnvVars, then drop the old key. API tokens are shown once and
// stored as SHA-256 hashes.
//
// # Audit
//
// Every mutating method appends an AuditEvent — actor, action, target,
// team, time and outcome (success, denied, failure) — including refused
// attempts. Metadata never holds secrets.
//
// # Writing an adapter
//
// Each provider interface has a conformance suite in its family folder —
// storagetest, filestoretest, logcachetest, sourcetest, runnertest,
// routertest — that a new adapter runs from a three-line test:
//
//	func TestConformance(t *testing.T) {
//		storagetest.Run(t, func(t *testing.T) admin.Storage { return newMyStore(t) })
//	}
//
// Adapters accept ready-made clients, wrap backend errors with %w after
// mapping them to the sentinels above, keep no business rules, and declare
// `var _ admin.Storage = (*Store)(nil)`.
package admin
