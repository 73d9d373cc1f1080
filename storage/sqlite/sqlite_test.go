package sqlite_test

import (
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
	"github.com/mastra-admin/mastra-admin-go/storage/storagetest"
)

// openTemp opens a store in a file of the test's own temporary directory.
func openTemp(t testing.TB) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "admin.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestConformance(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) admin.Storage { return openTemp(t) })
}

func BenchmarkStore(b *testing.B) {
	storagetest.RunBenchmarks(b, func(b *testing.B) admin.Storage { return openTemp(b) })
}

func TestOpenRefusesBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, path, field string
		opts              *sqlite.Options
	}{
		{"empty path", "", "path", nil},
		{"in-memory", ":memory:", "path", nil},
		{"URI", "file:" + filepath.Join(dir, "x.db") + "?mode=memory", "path", nil},
		{"negative busy timeout", filepath.Join(dir, "a.db"), "BusyTimeout", &sqlite.Options{BusyTimeout: -time.Second}},
		{"negative readers", filepath.Join(dir, "b.db"), "MaxReaders", &sqlite.Options{MaxReaders: -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := sqlite.Open(tc.path, tc.opts)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%q) succeeded", tc.path)
			}
			var ve *admin.ValidationError
			if !errors.Is(err, admin.ErrInvalidArgument) || !errors.As(err, &ve) || ve.Field != tc.field {
				t.Errorf("Open(%q) = %v, want a ValidationError for field %q", tc.path, err, tc.field)
			}
			if tc.path != "" && tc.field != "path" {
				if _, err := os.Stat(tc.path); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("a refused Open created %s (stat: %v)", tc.path, err)
				}
			}
		})
	}
	t.Run("unopenable file", func(t *testing.T) {
		for _, p := range []string{dir, filepath.Join(dir, "missing", "dir", "x.db")} {
			if s, err := sqlite.Open(p, nil); err == nil {
				s.Close()
				t.Errorf("Open(%q) succeeded", p)
			} else if !strings.Contains(err.Error(), p) {
				t.Errorf("Open(%q) error %q does not name the path", p, err)
			}
		}
	})
}

func TestPathWithSpecialCharacters(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a b?c#d%25e&f=g", "admin.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	u := newUser("special@example.com")
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the database is not at the path given: %v", err)
	}
}

func newUser(email string) *admin.User {
	now := time.Now().UTC().Truncate(time.Microsecond)
	return &admin.User{ID: admin.NewID("usr", now), Email: email, Name: email, CreatedAt: now, UpdatedAt: now, Version: 1}
}

// rawDB opens the file with the plain driver, to look behind the Store.
func rawDB(t *testing.T, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestReopenKeepsDataAndSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.db")
	s, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	u := newUser("keep@example.com")
	if err := s.CreateUser(t.Context(), u); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(path, nil)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	got, err := s.GetUserByEmail(t.Context(), "keep@example.com")
	if err != nil || got.ID != u.ID {
		t.Fatalf("after reopening, GetUserByEmail = %v, %v; want user %s", got, err, u.ID)
	}
	var versions, max int
	if err := rawDB(t, path).QueryRow(`SELECT count(*), max(version) FROM schema_migrations`).Scan(&versions, &max); err != nil {
		t.Fatal(err)
	}
	if versions != sqlite.SchemaVersion() || max != sqlite.SchemaVersion() {
		t.Errorf("schema_migrations holds %d versions up to %d, want %d (each applied once)", versions, max, sqlite.SchemaVersion())
	}
	var mode string
	if err := rawDB(t, path).QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
}

func TestNewerSchemaRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.db")
	s, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	future := sqlite.SchemaVersion() + 1
	if _, err := rawDB(t, path).Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, 'future.sql', 0)`, future); err != nil {
		t.Fatal(err)
	}
	s, err = sqlite.Open(path, nil)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database with a newer schema succeeded")
	}
	if !strings.Contains(err.Error(), "newer") || !strings.Contains(err.Error(), strconv.Itoa(future)) {
		t.Errorf("Open error %q does not say the schema version %d is newer", err, future)
	}
}

func TestClosed(t *testing.T) {
	s := openTemp(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	ctx := t.Context()
	if _, err := s.GetUser(ctx, "usr_x"); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("GetUser after Close = %v, want ErrClosed", err)
	}
	if err := s.CreateUser(ctx, newUser("late@example.com")); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("CreateUser after Close = %v, want ErrClosed", err)
	}
	if _, err := s.ListUsers(ctx, admin.Page{}); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("ListUsers after Close = %v, want ErrClosed", err)
	}
	if _, err := s.ClaimBuild(ctx, "w", time.Now()); !errors.Is(err, admin.ErrClosed) {
		t.Errorf("ClaimBuild after Close = %v, want ErrClosed", err)
	}
}

func TestMissingParentRefused(t *testing.T) {
	s := openTemp(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	p := &admin.Project{ID: admin.NewID("prj", now), TeamID: "team_missing", Name: "Orphan", Slug: "orphan",
		SourceType: admin.SourceLocal, CreatedAt: now, UpdatedAt: now, Version: 1}
	err := s.CreateProject(t.Context(), p)
	if !errors.Is(err, admin.ErrConflict) {
		t.Fatalf("CreateProject of an unknown team = %v, want ErrConflict", err)
	}
	if _, err := s.GetProject(t.Context(), p.ID); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("GetProject of the refused orphan = %v, want ErrNotFound", err)
	}
}

func TestCorruptJSONIsAnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.db")
	s, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	team := &admin.Team{ID: admin.NewID("team", now), Name: "T", Slug: "t", CreatedAt: now, UpdatedAt: now, Version: 1}
	p := &admin.Project{ID: admin.NewID("prj", now), TeamID: team.ID, Name: "P", Slug: "p", SourceType: admin.SourceLocal,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := s.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{`{"not":"an array"}`, `[1, 2]`, `nonsense`} {
		if _, err := rawDB(t, path).Exec(`UPDATE projects SET env_vars = ? WHERE id = ?`, bad, p.ID); err != nil {
			t.Fatal(err)
		}
		_, err := s.GetProject(ctx, p.ID)
		if err == nil || !strings.Contains(err.Error(), "env_vars") || !strings.Contains(err.Error(), p.ID) {
			t.Errorf("GetProject of env_vars %s = %v, want an error naming the column and the project", bad, err)
		}
	}
}

// Two Stores on one file stand for two processes: their writers meet at
// SQLite's file lock, not in one Go pool.
func TestTwoStoresShareOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.db")
	a, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx := t.Context()
	now := time.Now().UTC().Truncate(time.Microsecond)
	team := &admin.Team{ID: admin.NewID("team", now), Name: "T", Slug: "t", CreatedAt: now, UpdatedAt: now, Version: 1}
	p := &admin.Project{ID: admin.NewID("prj", now), TeamID: team.ID, Name: "P", Slug: "p", SourceType: admin.SourceLocal,
		CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := a.CreateTeam(ctx, team); err != nil {
		t.Fatal(err)
	}
	if err := a.CreateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	const builds = 20
	for i := range builds {
		d := &admin.Deployment{ID: admin.NewID("dep", now), ProjectID: p.ID, Type: admin.DeploymentPreview, Branch: "b",
			Slug: "d" + strconv.Itoa(i), Status: admin.DeploymentPending, CreatedAt: now, UpdatedAt: now, Version: 1}
		bl := &admin.Build{ID: admin.NewID("bld", now), DeploymentID: d.ID, ProjectID: p.ID, Trigger: admin.TriggerManual,
			Status: admin.BuildQueued, QueuedAt: now, UpdatedAt: now, Version: 1}
		if err := b.CreateDeployment(ctx, d); err != nil {
			t.Fatal(err)
		}
		if err := a.CreateBuild(ctx, bl); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	claimed := map[string]int{}
	var wg sync.WaitGroup
	for i := range 4 {
		store := []*sqlite.Store{a, b}[i%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				bl, err := store.ClaimBuild(ctx, "w"+strconv.Itoa(i), time.Now())
				if errors.Is(err, admin.ErrNotFound) {
					return
				}
				if err != nil {
					t.Errorf("ClaimBuild: %v", err)
					return
				}
				mu.Lock()
				claimed[bl.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(claimed) != builds {
		t.Errorf("%d of %d builds claimed", len(claimed), builds)
	}
	for id, n := range claimed {
		if n != 1 {
			t.Errorf("build %s claimed %d times", id, n)
		}
	}
}
