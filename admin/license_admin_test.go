package admin_test

import (
	"context"
	"crypto/ed25519"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// signedLicense signs an enterprise license with the given limits and
// expiry (zero: a year after the test clock) with a fresh key pair.
func signedLicense(t *testing.T, limits admin.Limits, expires time.Time) (string, ed25519.PublicKey) {
	t.Helper()
	pub, priv, err := admin.GenerateLicenseKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if expires.IsZero() {
		expires = issued.AddDate(2, 0, 0)
	}
	key, err := admin.SignLicense(priv, admin.License{ID: "lic_test", Customer: "Test Corp",
		Tier: admin.TierEnterprise, Limits: limits, IssuedAt: issued, ExpiresAt: expires})
	if err != nil {
		t.Fatal(err)
	}
	return key, pub
}

func TestDevelopmentModeLimits(t *testing.T) {
	e := newEnv(t)
	dev := admin.DevelopmentLicense()
	if lic := e.a.License(); lic.Tier != admin.TierDevelopment {
		t.Fatalf("tier without a license = %s", lic.Tier)
	}
	ctx := as(e.root.ID)
	for i := range dev.Limits.Teams {
		if _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}); err != nil {
			t.Fatalf("team %d: %v", i, err)
		}
	}
	_, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "One too many"})
	var le *admin.LicenseError
	if !errors.Is(err, admin.ErrLicense) || !errors.As(err, &le) || !strings.Contains(err.Error(), "teams") {
		t.Fatalf("team over the limit = %v, want a LicenseError about teams", err)
	}
	n, _ := e.store.CountTeams(context.Background())
	if n != dev.Limits.Teams {
		t.Fatalf("%d teams stored, want %d", n, dev.Limits.Teams)
	}
}

func TestProjectLimit(t *testing.T) {
	key, pub := signedLicense(t, admin.Limits{Projects: 2}, time.Time{})
	e := newEnv(t, admin.WithLicense(key, pub))
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	for range 2 {
		must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
	}
	if _, err := e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}); !errors.Is(err, admin.ErrLicense) {
		t.Fatalf("third project = %v, want ErrLicense", err)
	}
}

func TestLicenseRefusedAtNew(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "a.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) }
	good, pub := signedLicense(t, admin.Limits{}, time.Time{})
	expired, pub2 := signedLicense(t, admin.Limits{}, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC))
	otherPub, _, _ := admin.GenerateLicenseKeyPair()
	parts := strings.Split(good, ".")
	tampered := parts[0] + "." + parts[1][:len(parts[1])-2] + "AA." + parts[2]
	for name, c := range map[string]struct {
		key  string
		pub  ed25519.PublicKey
		want string
	}{
		"expired":   {expired, pub2, "expired"},
		"wrong key": {good, otherPub, "signature"},
		"tampered":  {tampered, pub, ""},
		"garbage":   {"not a license", pub, ""},
	} {
		_, err := admin.New(admin.WithStorage(store), admin.WithClock(now), admin.WithLicense(c.key, c.pub))
		if !errors.Is(err, admin.ErrLicense) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: New = %v, want ErrLicense mentioning %q", name, err, c.want)
		}
	}
	a, err := admin.New(admin.WithStorage(store), admin.WithClock(now), admin.WithLicense(good, pub))
	if err != nil {
		t.Fatalf("valid license: %v", err)
	}
	if lic := a.License(); lic.Customer != "Test Corp" || lic.Tier != admin.TierEnterprise {
		t.Fatalf("license in force: %+v", lic)
	}
}

// TestPreviewsNeedTheFeature signs licenses with and without preview
// deployments: without, creating a preview is refused with a LicenseError
// and stores nothing, while staging deployments still work.
func TestPreviewsNeedTheFeature(t *testing.T) {
	pub, priv, err := admin.GenerateLicenseKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, excluded := range [][]string{nil, {admin.FeaturePreviewDeployments}} {
		key, err := admin.SignLicense(priv, admin.License{ID: "lic_base", Customer: "C", Tier: admin.TierBase,
			ExcludedFeatures: excluded, IssuedAt: issued, ExpiresAt: issued.AddDate(2, 0, 0)})
		if err != nil {
			t.Fatal(err)
		}
		e := newEnv(t, admin.WithLicense(key, pub))
		ctx := as(e.root.ID)
		team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
		proj := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
		before := snapshot(t, e)
		_, err = e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "pr-1"})
		if excluded == nil {
			if err != nil {
				t.Fatalf("preview under a base license: %v", err)
			}
			continue
		}
		var le *admin.LicenseError
		if !errors.As(err, &le) || !errors.Is(err, admin.ErrLicense) || !strings.Contains(err.Error(), `"preview-deployments" is excluded`) {
			t.Fatalf("preview under a license that excludes them = %v, want a LicenseError", err)
		}
		if after := snapshot(t, e); after != before {
			t.Fatalf("the refused preview changed the store:\n%s\n%s", before, after)
		}
		must[*admin.Deployment](t)(e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
	}
}

// TestExpiredLicenseStopsGrowth moves the Admin's clock past the license's
// expiry: every call that creates something or deploys is refused with a
// LicenseError saying when the license expired, and nothing is stored;
// reading, updating, stopping and deleting go on working.
func TestExpiredLicenseStopsGrowth(t *testing.T) {
	expires := time.Date(2026, 12, 25, 0, 0, 0, 0, time.UTC) // a month after the test clock
	e := newEnv(t, admin.WithLicense(signedLicense(t, admin.Limits{}, expires)))
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
	prod := must[admin.List[*admin.Deployment]](t)(e.a.ListDeployments(ctx, proj.ID, admin.Page{})).Items[0]
	staging := must[*admin.Deployment](t)(e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "main"}))
	member := e.user(t, "m@example.com")
	e.clock.add(expires.Sub(e.clock.now()))

	before := snapshot(t, e)
	for name, call := range map[string]func() error{
		"CreateTeam": func() error { _, err := e.a.CreateTeam(ctx, admin.NewTeam{Name: "U"}); return err },
		"CreateTeamFor": func() error {
			_, err := e.a.CreateTeamFor(ctx, e.root.ID, admin.NewTeam{Name: "U"})
			return err
		},
		"CreateUser": func() error {
			_, err := e.a.CreateUser(ctx, admin.NewUser{Email: "n@example.com", Name: "N"})
			return err
		},
		"CreateProject": func() error {
			_, err := e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "Q", SourceType: admin.SourceLocal})
			return err
		},
		"CreateDeployment(staging)": func() error {
			_, err := e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentStaging, Branch: "dev", Slug: "qa"})
			return err
		},
		"CreateDeployment(preview)": func() error {
			_, err := e.a.CreateDeployment(ctx, proj.ID, admin.NewDeployment{Type: admin.DeploymentPreview, Branch: "pr-1"})
			return err
		},
		"Deploy": func() error { _, err := e.a.Deploy(ctx, prod.ID); return err },
	} {
		err := call()
		var le *admin.LicenseError
		if !errors.As(err, &le) || !errors.Is(err, admin.ErrLicense) || !strings.Contains(err.Error(), "expired on 2026-12-25") {
			t.Errorf("%s after expiry = %v, want a LicenseError saying it expired on 2026-12-25", name, err)
		}
	}
	if after := snapshot(t, e); after != before {
		t.Fatalf("refused calls changed the store:\n%s\n%s", before, after)
	}
	if l := must[admin.List[*admin.Build]](t)(e.a.ListBuilds(ctx, prod.ID, admin.Page{})); len(l.Items) != 0 {
		t.Fatalf("a deploy was queued after expiry")
	}

	// What still works: reads, updates, access management, deletes.
	must[*admin.Team](t)(e.a.GetTeam(ctx, team.ID))
	must[admin.List[*admin.Project]](t)(e.a.ListProjects(ctx, team.ID, admin.Page{}))
	name := "Renamed"
	must[*admin.Team](t)(e.a.UpdateTeam(ctx, team.ID, admin.TeamUpdate{Name: &name}))
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(ctx, proj.ID, map[string]string{"K": "v"}))
	must[*admin.TeamMember](t)(e.a.AddMember(ctx, team.ID, member.ID, admin.RoleViewer))
	must2[*admin.APIToken, string](t)(e.a.CreateToken(ctx, admin.NewToken{Name: "ops"}))
	if err := e.a.DeleteDeployment(ctx, staging.ID); err != nil {
		t.Fatalf("DeleteDeployment after expiry: %v", err)
	}
	if err := e.a.DeleteProject(ctx, proj.ID); err != nil {
		t.Fatalf("DeleteProject after expiry: %v", err)
	}
	if err := e.a.DeleteTeam(ctx, team.ID); err != nil {
		t.Fatalf("DeleteTeam after expiry: %v", err)
	}
}
