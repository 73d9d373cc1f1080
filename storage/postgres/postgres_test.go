package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/internal/testenv"
	"github.com/mastra-admin/mastra-admin-go/storage/postgres"
)

// newStore returns a migrated store on a fresh schema, dropped with the
// test.
func newStore(t testing.TB) *postgres.Store {
	t.Helper()
	s, err := postgres.New(context.Background(), testenv.Postgres(t), nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// samePool opens a second pool on the schema of pool, as a second admin
// server on the same database would.
func samePool(t testing.TB, pool *pgxpool.Pool, appName string) *pgxpool.Pool {
	t.Helper()
	cfg := pool.Config()
	if appName != "" {
		cfg.ConnConfig.RuntimeParams["application_name"] = appName
	}
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open a second pool: %v", err)
	}
	t.Cleanup(p.Close)
	return p
}

// appliedMigrations returns the recorded migration versions in order.
func appliedMigrations(t testing.TB, pool *pgxpool.Pool) []int64 {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT version FROM "+postgres.MigrationsTable+" ORDER BY version")
	if err != nil {
		t.Fatalf("read %s: %v", postgres.MigrationsTable, err)
	}
	vs, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		t.Fatalf("read %s: %v", postgres.MigrationsTable, err)
	}
	return vs
}

func wantAllMigrations(t testing.TB, pool *pgxpool.Pool) {
	t.Helper()
	got := appliedMigrations(t, pool)
	if len(got) == 0 || got[len(got)-1] != postgres.SchemaVersion() {
		t.Fatalf("applied migrations %v, want up to version %d", got, postgres.SchemaVersion())
	}
	for i := 1; i < len(got); i++ {
		if got[i] == got[i-1] {
			t.Fatalf("migration %d recorded twice: %v", got[i], got)
		}
	}
}

func TestMigrateConcurrently(t *testing.T) {
	ctx := t.Context()
	pools := []*pgxpool.Pool{testenv.Postgres(t)}
	for range 3 {
		pools = append(pools, samePool(t, pools[0], ""))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(pools))
	start := make(chan struct{})
	for i, p := range pools {
		wg.Go(func() {
			<-start
			errs[i] = postgres.Migrate(ctx, p)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate #%d: %v", i, err)
		}
	}
	wantAllMigrations(t, pools[0])

	// Migrating an up-to-date schema changes nothing.
	before := appliedMigrations(t, pools[0])
	if err := postgres.Migrate(ctx, pools[1]); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	if after := appliedMigrations(t, pools[0]); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a second Migrate changed the recorded migrations from %v to %v", before, after)
	}
	if _, err := postgres.New(ctx, pools[2], &postgres.Options{SkipMigrate: true}); err != nil {
		t.Errorf("New(SkipMigrate) on the migrated schema: %v", err)
	}
}

func TestMigrateWaitsForTheAdvisoryLock(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	appName := "migrate-" + testenv.Name()
	migrating := samePool(t, pool, appName)

	// Hold the lock, as another process in the middle of migrating would.
	holder, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Release()
	if _, err := holder.Exec(ctx, "SELECT pg_advisory_lock($1)", postgres.MigrationLockKey); err != nil {
		t.Fatalf("take the lock: %v", err)
	}
	locked := true
	defer func() {
		if locked {
			_, _ = holder.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", postgres.MigrationLockKey)
		}
	}()

	done := make(chan error, 1)
	go func() { done <- postgres.Migrate(ctx, migrating) }()

	// Wait until Migrate's session waits on the advisory lock.
	deadline := time.Now().Add(30 * time.Second)
	for {
		var waiting bool
		err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_stat_activity
			WHERE application_name = $1 AND wait_event_type = 'Lock' AND wait_event = 'advisory')`, appName).Scan(&waiting)
		if err != nil {
			t.Fatal(err)
		}
		if waiting {
			break
		}
		select {
		case err := <-done:
			t.Fatalf("Migrate returned (%v) while another session held lock %d", err, postgres.MigrationLockKey)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("Migrate never waited on the advisory lock")
		}
		time.Sleep(5 * time.Millisecond) // polling interval, not a wait for an outcome
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", "mastra_admin_users").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("tables were created while another session held the migration lock")
	}

	if _, err := holder.Exec(ctx, "SELECT pg_advisory_unlock($1)", postgres.MigrationLockKey); err != nil {
		t.Fatalf("release the lock: %v", err)
	}
	locked = false
	if err := <-done; err != nil {
		t.Fatalf("Migrate after the lock was released: %v", err)
	}
	wantAllMigrations(t, pool)
}

func TestNewSkipMigrate(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	_, err := postgres.New(ctx, pool, &postgres.Options{SkipMigrate: true})
	if err == nil || !strings.Contains(err.Error(), "Migrate") {
		t.Fatalf("New(SkipMigrate) on an empty schema: err = %v, want an error telling to run Migrate", err)
	}
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", postgres.MigrationsTable).Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Error("New(SkipMigrate) created the migrations table")
	}
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	s, err := postgres.New(ctx, pool, &postgres.Options{SkipMigrate: true})
	if err != nil {
		t.Fatalf("New(SkipMigrate) after Migrate: %v", err)
	}
	u := &admin.User{ID: "usr_1", Email: "a@example.com", Version: 1}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
}

func TestNewNilPool(t *testing.T) {
	_, err := postgres.New(t.Context(), nil, nil)
	if !errors.Is(err, admin.ErrInvalidArgument) {
		t.Fatalf("New(nil pool): err = %v, want ErrInvalidArgument", err)
	}
	if err := postgres.Migrate(t.Context(), nil); err == nil {
		t.Fatal("Migrate(nil pool) returned no error")
	}
}

func TestCloseLeavesThePoolOpen(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	s, err := postgres.New(ctx, pool, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := s.GetUser(ctx, "usr_1"); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("GetUser after Close: err = %v, want ErrClosed", err)
	}
	if err := s.CreateUser(ctx, &admin.User{ID: "usr_1", Email: "a@example.com"}); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("CreateUser after Close: err = %v, want ErrClosed", err)
	}
	if _, err := s.ClaimBuild(ctx, "w", time.Now()); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("ClaimBuild after Close: err = %v, want ErrClosed", err)
	}
	if err := pool.Ping(ctx); err != nil {
		t.Errorf("the pool was closed with the store: %v", err)
	}
}

// chain stores a team, a project and n deployments.
type chain struct {
	team    *admin.Team
	project *admin.Project
	deps    []*admin.Deployment
}

var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newChain(t testing.TB, s *postgres.Store, n int) chain {
	t.Helper()
	ctx := context.Background()
	c := chain{
		team: &admin.Team{ID: admin.NewID("team", clock), Name: "T", Slug: "t-" + testenv.Name()[2:10], CreatedAt: clock, UpdatedAt: clock, Version: 1},
	}
	c.project = &admin.Project{ID: admin.NewID("prj", clock), TeamID: c.team.ID, Name: "P", Slug: "p-" + testenv.Name()[2:10],
		SourceType: admin.SourceLocal, DefaultBranch: "main", CreatedAt: clock, UpdatedAt: clock, Version: 1}
	must(t, s.CreateTeam(ctx, c.team))
	must(t, s.CreateProject(ctx, c.project))
	for i := range n {
		d := &admin.Deployment{ID: admin.NewID("dep", clock), ProjectID: c.project.ID, Type: admin.DeploymentPreview,
			Slug: fmt.Sprintf("d%d", i), Status: admin.DeploymentPending, CreatedAt: clock, UpdatedAt: clock, Version: 1}
		must(t, s.CreateDeployment(ctx, d))
		c.deps = append(c.deps, d)
	}
	return c
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestClaimBuildFromTwoPools runs claimers on two pools, as two admin
// servers sharing one database, over several rounds: each round every
// deployment's oldest queued build must be claimed exactly once, and no
// deployment may ever have two active builds.
func TestClaimBuildFromTwoPools(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	a := newStoreOn(t, pool)
	b := newStoreOn(t, samePool(t, pool, ""))
	const deployments, perDeployment, claimersPerStore = 4, 5, 3
	c := newChain(t, a, deployments)
	// queue[d] lists deployment d's builds in queue order.
	queue := make(map[string][]string)
	at := clock
	for i := range perDeployment {
		for _, d := range c.deps {
			at = at.Add(time.Millisecond)
			bl := &admin.Build{ID: admin.NewID("bld", at), DeploymentID: d.ID, ProjectID: d.ProjectID,
				Trigger: admin.TriggerManual, Status: admin.BuildQueued, Ref: fmt.Sprint(i), QueuedAt: at, UpdatedAt: at, Version: 1}
			must(t, a.CreateBuild(ctx, bl))
			queue[d.ID] = append(queue[d.ID], bl.ID)
		}
	}

	for round := range perDeployment {
		var (
			mu      sync.Mutex
			claimed []*admin.Build
			wg      sync.WaitGroup
			start   = make(chan struct{})
		)
		for _, s := range []*postgres.Store{a, b} {
			for w := range claimersPerStore {
				wg.Go(func() {
					<-start
					for {
						got, err := s.ClaimBuild(ctx, fmt.Sprintf("w%d", w), clock)
						if errors.Is(err, admin.ErrNotFound) {
							return
						}
						if err != nil {
							t.Errorf("ClaimBuild: %v", err)
							return
						}
						mu.Lock()
						claimed = append(claimed, got)
						mu.Unlock()
					}
				})
			}
		}
		close(start)
		wg.Wait()

		// Exactly the head of each deployment's queue was claimed.
		got := map[string]string{}
		for _, bl := range claimed {
			if prev, dup := got[bl.DeploymentID]; dup {
				t.Fatalf("round %d: deployment %s got two active builds: %s and %s", round, bl.DeploymentID, prev, bl.ID)
			}
			got[bl.DeploymentID] = bl.ID
			if bl.Status != admin.BuildBuilding || bl.StartedAt == nil || bl.ClaimedBy == "" {
				t.Errorf("claimed build %+v is not building with StartedAt and ClaimedBy set", bl)
			}
		}
		for _, d := range c.deps {
			if want := queue[d.ID][round]; got[d.ID] != want {
				t.Errorf("round %d: deployment %s: claimed %q, want its oldest queued build %q", round, d.ID, got[d.ID], want)
			}
		}
		// Nothing else is claimable while those builds run.
		if extra, err := a.ClaimBuild(ctx, "late", clock); !errors.Is(err, admin.ErrNotFound) {
			t.Fatalf("round %d: ClaimBuild with every deployment busy = %v, %v; want ErrNotFound", round, extra, err)
		}
		for _, bl := range claimed {
			done := clock
			bl.Status, bl.CompletedAt = admin.BuildSucceeded, &done
			must(t, a.UpdateBuild(ctx, bl))
		}
	}
}

func newStoreOn(t testing.TB, pool *pgxpool.Pool) *postgres.Store {
	t.Helper()
	s, err := postgres.New(context.Background(), pool, nil)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// TestLastOwnerFromTwoPools demotes and removes the two owners of a team at
// once from two pools: exactly one change may succeed.
func TestLastOwnerFromTwoPools(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	stores := []*postgres.Store{newStoreOn(t, pool), newStoreOn(t, samePool(t, pool, ""))}
	s := stores[0]
	for round := range 10 {
		team := &admin.Team{ID: admin.NewID("team", clock), Name: "T", Slug: fmt.Sprintf("t%d", round), CreatedAt: clock, UpdatedAt: clock, Version: 1}
		var owners []*admin.User
		for i := range 2 {
			u := &admin.User{ID: admin.NewID("usr", clock), Email: fmt.Sprintf("%d-%d@example.com", round, i), CreatedAt: clock, UpdatedAt: clock, Version: 1}
			must(t, s.CreateUser(ctx, u))
			owners = append(owners, u)
		}
		must(t, s.CreateTeamWithOwner(ctx, team, &admin.TeamMember{TeamID: team.ID, UserID: owners[0].ID, Role: admin.RoleOwner, CreatedAt: clock, UpdatedAt: clock, Version: 1}))
		must(t, s.AddMember(ctx, &admin.TeamMember{TeamID: team.ID, UserID: owners[1].ID, Role: admin.RoleOwner, CreatedAt: clock, UpdatedAt: clock, Version: 1}))

		// Round by round, alternate the kinds of change that race.
		changes := []func(s *postgres.Store, u *admin.User) error{
			func(s *postgres.Store, u *admin.User) error {
				return s.UpdateMember(ctx, &admin.TeamMember{TeamID: team.ID, UserID: u.ID, Role: admin.RoleAdmin, UpdatedAt: clock, Version: 1})
			},
			func(s *postgres.Store, u *admin.User) error { return s.RemoveMember(ctx, team.ID, u.ID) },
			func(s *postgres.Store, u *admin.User) error { return s.DeleteUser(ctx, u.ID) },
		}
		errs := make([]error, 2)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range 2 {
			wg.Go(func() {
				<-start
				errs[i] = changes[(round+i)%len(changes)](stores[i], owners[i])
			})
		}
		close(start)
		wg.Wait()
		ok := 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, admin.ErrConflict):
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d of the 2 racing changes succeeded (%v), want exactly 1", round, ok, errs)
		}
		var count int
		must(t, pool.QueryRow(ctx, `SELECT count(*) FROM mastra_admin_team_members WHERE team_id = $1 AND role = 'owner'`, team.ID).Scan(&count))
		if count != 1 {
			t.Fatalf("round %d: team has %d owners, want 1", round, count)
		}
	}
}

// TestErrorsKeepThePostgreSQLError checks the sentinel mapping and that the
// driver's error stays reachable.
func TestErrorsKeepThePostgreSQLError(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	c := newChain(t, s, 1)

	dup := *c.team
	dup.ID = admin.NewID("team", clock)
	err := s.CreateTeam(ctx, &dup)
	var pgErr *pgconn.PgError
	if !errors.Is(err, admin.ErrAlreadyExists) || !errors.As(err, &pgErr) || pgErr.Code != "23505" {
		t.Errorf("CreateTeam with a taken slug: err = %v, want ErrAlreadyExists wrapping a 23505 PgError", err)
	}
	if !strings.Contains(fmt.Sprint(err), dup.ID) || !strings.HasPrefix(fmt.Sprint(err), "postgres: create team") {
		t.Errorf("error %q does not name the operation and id", err)
	}

	err = s.DeleteTeam(ctx, c.team.ID)
	if !errors.Is(err, admin.ErrConflict) || !errors.As(err, &pgErr) || pgErr.Code != "23503" {
		t.Errorf("DeleteTeam with projects: err = %v, want ErrConflict wrapping a 23503 PgError", err)
	}
	if _, err := s.GetTeam(ctx, c.team.ID); err != nil {
		t.Errorf("the refused DeleteTeam deleted the team: %v", err)
	}

	orphan := &admin.Project{ID: admin.NewID("prj", clock), TeamID: "team_missing", Slug: "orphan", Version: 1}
	if err := s.CreateProject(ctx, orphan); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("CreateProject in a missing team: err = %v, want ErrConflict", err)
	}
}

// TestBadInputIsRefusedAndChangesNothing sends what PostgreSQL cannot store
// (NUL bytes, invalid UTF-8) through each kind of column.
func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	c := newChain(t, s, 1)
	before, err := s.GetProject(ctx, c.project.ID)
	must(t, err)

	cases := map[string]func(p *admin.Project){
		"NUL in a text column":       func(p *admin.Project) { p.Name = "a\x00b" },
		"invalid UTF-8 in text":      func(p *admin.Project) { p.Name = "a\xffb" },
		"NUL in a JSON map value":    func(p *admin.Project) { p.SourceConfig = map[string]string{"path": "/x\x00"} },
		"NUL in a JSON array member": func(p *admin.Project) { p.EnvVars = []admin.EnvVar{{Name: "A\x00"}} },
	}
	for name, change := range cases {
		t.Run(name, func(t *testing.T) {
			p, err := s.GetProject(ctx, c.project.ID)
			must(t, err)
			change(p)
			if err := s.UpdateProject(ctx, p); !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("UpdateProject: err = %v, want ErrInvalidArgument", err)
			}
			if p.Version != before.Version {
				t.Errorf("a refused update changed Version to %d", p.Version)
			}
			after, err := s.GetProject(ctx, c.project.ID)
			must(t, err)
			if after.Name != before.Name || after.Version != before.Version || len(after.EnvVars) != len(before.EnvVars) ||
				fmt.Sprint(after.SourceConfig) != fmt.Sprint(before.SourceConfig) {
				t.Errorf("a refused update changed the project: %+v, was %+v", after, before)
			}
			e := &admin.AuditEvent{ID: admin.NewID("aud", clock), Time: clock, Metadata: map[string]string{"k": "\x00"}}
			if err := s.AppendAudit(ctx, e); !errors.Is(err, admin.ErrInvalidArgument) {
				t.Errorf("AppendAudit with NUL metadata: err = %v, want ErrInvalidArgument", err)
			}
		})
	}
}

// TestJSONColumnsAreCheckedAndReadDefensively: the CHECK constraints refuse
// JSON of the wrong shape written behind the store's back, and a JSON null
// (as an older writer without the constraints could leave) reads as empty.
func TestJSONColumnsAreCheckedAndReadDefensively(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	s := newStoreOn(t, pool)
	c := newChain(t, s, 1)

	for _, stmt := range []string{
		`UPDATE mastra_admin_projects SET env_vars = '{}' WHERE id = $1`,
		`UPDATE mastra_admin_projects SET source_config = '[]' WHERE id = $1`,
		`UPDATE mastra_admin_projects SET env_vars = 'null' WHERE id = $1`,
	} {
		_, err := pool.Exec(ctx, stmt, c.project.ID)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "23514" {
			t.Errorf("%s: err = %v, want a check violation", stmt, err)
		}
	}

	for _, stmt := range []string{
		`ALTER TABLE mastra_admin_projects DROP CONSTRAINT mastra_admin_projects_env_vars_array`,
		`ALTER TABLE mastra_admin_projects DROP CONSTRAINT mastra_admin_projects_source_config_object`,
		`ALTER TABLE mastra_admin_deployments DROP CONSTRAINT mastra_admin_deployments_env_var_overrides_array`,
		`ALTER TABLE mastra_admin_audit_events DROP CONSTRAINT mastra_admin_audit_events_metadata_object`,
		`UPDATE mastra_admin_projects SET env_vars = 'null', source_config = 'null'`,
		`UPDATE mastra_admin_deployments SET env_var_overrides = 'null'`,
		`INSERT INTO mastra_admin_audit_events VALUES ('aud_1', now(), 'system', 'x', 'y', '', '', 'success', 'null')`,
	} {
		if _, err := pool.Exec(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	p, err := s.GetProject(ctx, c.project.ID)
	must(t, err)
	if p.EnvVars == nil || len(p.EnvVars) != 0 || p.SourceConfig == nil || len(p.SourceConfig) != 0 {
		t.Errorf("project with JSON null columns read as EnvVars=%#v SourceConfig=%#v, want empty and non-nil", p.EnvVars, p.SourceConfig)
	}
	d, err := s.GetDeployment(ctx, c.deps[0].ID)
	must(t, err)
	if d.EnvVarOverrides == nil || len(d.EnvVarOverrides) != 0 {
		t.Errorf("deployment with JSON null overrides read as %#v, want empty and non-nil", d.EnvVarOverrides)
	}
	events, err := s.ListAudit(ctx, admin.AuditFilter{}, admin.Page{})
	must(t, err)
	if len(events) != 1 || events[0].Metadata == nil {
		t.Errorf("audit event with JSON null metadata read as %+v, want one event with empty metadata", events)
	}

	// A value of the wrong shape is an error naming the row, not a panic or
	// a silently empty value.
	if _, err := pool.Exec(ctx, `UPDATE mastra_admin_projects SET env_vars = '{"a": 1}'`); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetProject(ctx, c.project.ID); err == nil || !strings.Contains(err.Error(), c.project.ID) {
		t.Errorf("GetProject of a project whose env_vars is an object: err = %v, want an error naming it", err)
	}
}

// TestDeleteCascades checks the foreign keys' ON DELETE actions end to end:
// a project takes its deployments, builds and servers with it.
func TestDeleteCascades(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	s := newStoreOn(t, pool)
	c := newChain(t, s, 2)
	for i, d := range c.deps {
		bl := &admin.Build{ID: admin.NewID("bld", clock), DeploymentID: d.ID, ProjectID: d.ProjectID, Status: admin.BuildSucceeded, QueuedAt: clock, UpdatedAt: clock, Version: 1}
		must(t, s.CreateBuild(ctx, bl))
		must(t, s.CreateServer(ctx, &admin.RunningServer{ID: fmt.Sprintf("srv_%d", i), DeploymentID: d.ID, BuildID: bl.ID, Status: admin.ServerRunning, StartedAt: clock, UpdatedAt: clock, Version: 1}))
	}
	must(t, s.DeleteDeployment(ctx, c.deps[0].ID))
	counts := func() (builds, servers int) {
		must(t, pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM mastra_admin_builds), (SELECT count(*) FROM mastra_admin_servers)`).Scan(&builds, &servers))
		return
	}
	if b, sv := counts(); b != 1 || sv != 1 {
		t.Errorf("after DeleteDeployment: %d builds, %d servers; want 1 and 1", b, sv)
	}
	must(t, s.DeleteProject(ctx, c.project.ID))
	if b, sv := counts(); b != 0 || sv != 0 {
		t.Errorf("after DeleteProject: %d builds, %d servers; want none", b, sv)
	}
	must(t, s.DeleteTeam(ctx, c.team.ID))
}

// TestClaimBuildPassesOverLockedRows: a build or a deployment row that
// another transaction holds locked (another claimer's) is skipped at once,
// never waited for.
func TestClaimBuildPassesOverLockedRows(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	s := newStoreOn(t, pool)
	c := newChain(t, s, 3)
	var builds []*admin.Build
	for i, d := range c.deps {
		at := clock.Add(time.Duration(i) * time.Second)
		b := &admin.Build{ID: admin.NewID("bld", at), DeploymentID: d.ID, ProjectID: d.ProjectID, Status: admin.BuildQueued, QueuedAt: at, UpdatedAt: at, Version: 1}
		must(t, s.CreateBuild(ctx, b))
		builds = append(builds, b)
	}
	// lockIn holds a row lock in a transaction of its own until the test
	// releases it.
	lockIn := func(sql, id string) (release func()) {
		tx, err := pool.Begin(ctx)
		must(t, err)
		if _, err := tx.Exec(ctx, sql, id); err != nil {
			_ = tx.Rollback(ctx)
			t.Fatal(err)
		}
		return func() { must(t, tx.Rollback(ctx)) }
	}
	// A claim that waited on a lock would hang until this deadline.
	claim := func() (*admin.Build, error) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		return s.ClaimBuild(cctx, "w", clock)
	}

	release := lockIn(`SELECT 1 FROM mastra_admin_builds WHERE id = $1 FOR UPDATE`, builds[0].ID)
	got, err := claim()
	must(t, err)
	if got.ID != builds[1].ID {
		t.Errorf("with the oldest build locked, ClaimBuild took %s, want the next one %s", got.ID, builds[1].ID)
	}
	release()

	release = lockIn(`SELECT 1 FROM mastra_admin_deployments WHERE id = $1 FOR NO KEY UPDATE`, c.deps[0].ID)
	got, err = claim()
	must(t, err)
	if got.ID != builds[2].ID {
		t.Errorf("with the oldest build's deployment locked, ClaimBuild took %s, want %s", got.ID, builds[2].ID)
	}
	if got, err := claim(); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("with the only claimable deployment locked, ClaimBuild = %v, %v; want ErrNotFound", got, err)
	}
	release()

	got, err = claim()
	must(t, err)
	if got.ID != builds[0].ID {
		t.Errorf("after the locks were released, ClaimBuild took %s, want %s", got.ID, builds[0].ID)
	}
}

func TestNewLogsAppliedMigrations(t *testing.T) {
	ctx := t.Context()
	pool := testenv.Postgres(t)
	var buf strings.Builder
	logger := slog.New(slog.NewTextHandler(&buf, nil))
	if _, err := postgres.New(ctx, pool, &postgres.Options{Logger: logger}); err != nil {
		t.Fatal(err)
	}
	first := buf.String()
	buf.Reset()
	if !strings.Contains(first, "applied migration") || !strings.Contains(first, "0001_init") {
		t.Errorf("New on a fresh schema logged %q, want the applied migrations", first)
	}
	if _, err := postgres.New(ctx, pool, &postgres.Options{Logger: logger}); err != nil {
		t.Fatal(err)
	}
	if again := buf.String(); again != "" {
		t.Errorf("New on a migrated schema logged %q, want nothing", again)
	}
}

// TestCreateTeamWithOwnerRefusesAMismatchedOwner: the owner must belong to
// the new team and be an owner; a refused call stores nothing.
func TestCreateTeamWithOwnerRefusesAMismatchedOwner(t *testing.T) {
	ctx := t.Context()
	s := newStore(t)
	u := &admin.User{ID: admin.NewID("usr", clock), Email: "o@example.com", CreatedAt: clock, UpdatedAt: clock, Version: 1}
	must(t, s.CreateUser(ctx, u))
	for name, m := range map[string]*admin.TeamMember{
		"another team": {TeamID: "team_other", UserID: u.ID, Role: admin.RoleOwner, Version: 1},
		"not an owner": {UserID: u.ID, Role: admin.RoleViewer, Version: 1},
	} {
		team := &admin.Team{ID: admin.NewID("team", clock), Name: "T", Slug: "t", CreatedAt: clock, UpdatedAt: clock, Version: 1}
		if m.TeamID == "" {
			m.TeamID = team.ID
		}
		if err := s.CreateTeamWithOwner(ctx, team, m); !errors.Is(err, admin.ErrInvalidArgument) {
			t.Errorf("%s: CreateTeamWithOwner: err = %v, want ErrInvalidArgument", name, err)
		}
		if n, err := s.CountTeams(ctx); err != nil || n != 0 {
			t.Errorf("%s: CountTeams = %d, %v after a refused CreateTeamWithOwner, want 0", name, n, err)
		}
	}
}
