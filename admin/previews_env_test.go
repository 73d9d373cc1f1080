package admin_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

// TestPreviewEnvVarsSealedAndRotated: a project's preview env vars are
// kept beside its others (a name in both scopes is two vars), sealed
// bound to the preview scope (a sealed preview value copied into the
// unscoped slot does not open), re-sealed by ResealEnvVars with the rest,
// and deleted alone. What builds get is checked end to end by
// TestWebhookEndToEnd.
func TestPreviewEnvVarsSealedAndRotated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	k2 := bytes.Repeat([]byte{9}, 32)
	open := func(active string, keys map[string][]byte) (*admin.Admin, *sqlite.Store) {
		store, err := sqlite.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := admin.New(admin.WithStorage(store), admin.WithEncryptionKeys(active, keys))
		if err != nil {
			t.Fatal(err)
		}
		return a, store
	}
	a, store := open("k1", map[string][]byte{"k1": testKey})
	root := must[*admin.User](t)(a.Bootstrap(context.Background(), admin.NewUser{Email: "r@example.com", Name: "R"}))
	ctx := as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal,
		EnvVars: map[string]string{"API_URL": "https://api.example.com"}}))
	infos := must[[]admin.EnvVarInfo](t)(a.SetPreviewEnvVars(ctx, proj.ID, map[string]string{"API_URL": "https://staging.example.com"}))
	if len(infos) != 1 || infos[0].Scope != admin.EnvScopePreview {
		t.Fatalf("SetPreviewEnvVars = %+v", infos)
	}
	if _, err := a.SetPreviewEnvVars(ctx, proj.ID, map[string]string{"bad-name": "x"}); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("a bad preview var name = %v, want ErrInvalidArgument", err)
	}
	raw := must[*admin.Project](t)(store.GetProject(context.Background(), proj.ID))
	if len(raw.EnvVars) != 2 {
		t.Fatalf("stored env vars %+v, want API_URL in both scopes", raw.EnvVars)
	}
	k1 := must[*admin.Keyring](t)(admin.NewKeyring("k1", map[string][]byte{"k1": testKey}))
	for _, v := range raw.EnvVars {
		if v.Scope == admin.EnvScopePreview {
			if _, err := k1.Open(proj.ID, v); err == nil {
				t.Error("a sealed preview value opens as the project's var of every deployment")
			}
			if plain, err := k1.Open(proj.ID+"#"+admin.EnvScopePreview, v); err != nil || plain != "https://staging.example.com" {
				t.Errorf("the preview value opens to %q, %v", plain, err)
			}
		}
	}
	a.Close()

	a, store = open("k2", map[string][]byte{"k1": testKey, "k2": k2})
	if n, err := a.ResealEnvVars(ctx); err != nil || n != 2 {
		t.Fatalf("ResealEnvVars = %d, %v; want both API_URL values", n, err)
	}
	only2 := must[*admin.Keyring](t)(admin.NewKeyring("k2", map[string][]byte{"k2": k2}))
	raw = must[*admin.Project](t)(store.GetProject(context.Background(), proj.ID))
	want := map[string]string{"": "https://api.example.com", admin.EnvScopePreview: "https://staging.example.com"}
	for _, v := range raw.EnvVars {
		scope := proj.ID
		if v.Scope != "" {
			scope += "#" + v.Scope
		}
		if plain, err := only2.Open(scope, v); err != nil || plain != want[v.Scope] {
			t.Errorf("after rotation the %q API_URL opens to %q, %v", v.Scope, plain, err)
		}
	}
	if err := a.DeletePreviewEnvVar(ctx, proj.ID, "API_URL"); err != nil {
		t.Fatal(err)
	}
	if left := must[[]admin.EnvVarInfo](t)(a.ListEnvVars(ctx, proj.ID)); len(left) != 1 || left[0].Scope != "" {
		t.Errorf("the project's vars after deleting the preview one: %+v", left)
	}
	if left := must[[]admin.EnvVarInfo](t)(a.ListPreviewEnvVars(ctx, proj.ID)); len(left) != 0 {
		t.Errorf("preview vars after the delete: %+v", left)
	}
	if err := a.DeletePreviewEnvVar(ctx, proj.ID, "API_URL"); !errors.Is(err, admin.ErrNotFound) {
		t.Errorf("deleting a missing preview var = %v, want ErrNotFound", err)
	}
	a.Close()
}
