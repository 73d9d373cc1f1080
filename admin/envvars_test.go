package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
	"github.com/mastra-admin/mastra-admin-go/storage/sqlite"
)

const secretValue = "sk-live-Zq8ZyF1h7UM0"

func TestEnvVarsAreWriteOnlyAndSealed(t *testing.T) {
	e := newEnv(t)
	ctx := as(e.root.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(e.a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal,
		EnvVars: map[string]string{"OPENAI_API_KEY": secretValue}}))
	infos := must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(ctx, proj.ID, map[string]string{"B": "two", "A": "one"}))
	var names []string
	for _, v := range infos {
		names = append(names, v.Name+"@"+v.KeyID)
	}
	if got := strings.Join(names, ","); got != "OPENAI_API_KEY@k1,A@k1,B@k1" {
		t.Fatalf("env vars %s", got)
	}
	// Replace one value; list never shows values.
	must[[]admin.EnvVarInfo](t)(e.a.SetEnvVars(ctx, proj.ID, map[string]string{"A": "uno"}))
	listed := must[[]admin.EnvVarInfo](t)(e.a.ListEnvVars(ctx, proj.ID))
	out, _ := json.Marshal(listed)
	got, _ := json.Marshal(must[*admin.Project](t)(e.a.GetProject(ctx, proj.ID)))
	if bytes.Contains(out, []byte(secretValue)) || bytes.Contains(got, []byte(secretValue)) || bytes.Contains(got, []byte("sealed")) {
		t.Fatalf("a value or sealed bytes leaked: %s %s", out, got)
	}
	// At rest the value is sealed, bound to the project.
	raw := must[*admin.Project](t)(e.store.GetProject(context.Background(), proj.ID))
	k := must[*admin.Keyring](t)(admin.NewKeyring("k1", map[string][]byte{"k1": testKey}))
	for _, v := range raw.EnvVars {
		if bytes.Contains(v.Sealed, []byte(secretValue)) {
			t.Fatal("plaintext stored")
		}
		plain, err := k.Open(proj.ID, v)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"OPENAI_API_KEY": secretValue, "A": "uno", "B": "two"}[v.Name]; plain != want {
			t.Fatalf("%s opened to %q, want %q", v.Name, plain, want)
		}
		if _, err := k.Open("prj_other", v); err == nil {
			t.Fatal("a sealed value opened under another project's scope")
		}
	}
	if err := e.a.DeleteEnvVar(ctx, proj.ID, "A"); err != nil {
		t.Fatal(err)
	}
	if err := e.a.DeleteEnvVar(ctx, proj.ID, "A"); !errors.Is(err, admin.ErrNotFound) {
		t.Fatalf("deleting a missing var = %v, want ErrNotFound", err)
	}
	// The audit log names the variables, never their values.
	events := must[admin.List[*admin.AuditEvent]](t)(e.a.ListAudit(ctx, admin.AuditFilter{TeamID: team.ID}, admin.Page{}))
	all, _ := json.Marshal(events)
	if bytes.Contains(all, []byte(secretValue)) || !bytes.Contains(all, []byte("OPENAI_API_KEY")) {
		t.Fatalf("audit log: %s", all)
	}
}

func TestEnvVarsNeedAKey(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "a.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := admin.New(admin.WithStorage(store))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	root := must[*admin.User](t)(a.Bootstrap(context.Background(), admin.NewUser{Email: "r@example.com", Name: "R"}))
	ctx := as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))
	if _, err := a.SetEnvVars(ctx, proj.ID, map[string]string{"K": "v"}); !errors.Is(err, admin.ErrNotSupported) {
		t.Fatalf("SetEnvVars without keys = %v, want ErrNotSupported", err)
	}
}

func TestKeyRotation(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.db")
	k2 := bytes.Repeat([]byte{7}, 32)
	open := func(active string, keys map[string][]byte) *admin.Admin {
		store, err := sqlite.Open(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := admin.New(admin.WithStorage(store), admin.WithEncryptionKeys(active, keys))
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := open("k1", map[string][]byte{"k1": testKey})
	root := must[*admin.User](t)(a.Bootstrap(context.Background(), admin.NewUser{Email: "r@example.com", Name: "R"}))
	ctx := as(root.ID)
	team := must[*admin.Team](t)(a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	proj := must[*admin.Project](t)(a.CreateProject(ctx, team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal,
		EnvVars: map[string]string{"K": secretValue}}))
	prod := must[admin.List[*admin.Deployment]](t)(a.ListDeployments(ctx, proj.ID, admin.Page{})).Items[0]
	must[[]admin.EnvVarInfo](t)(a.SetDeploymentEnvVars(ctx, prod.ID, map[string]string{"K": "override"}))
	a.Close()

	a = open("k2", map[string][]byte{"k1": testKey, "k2": k2})
	n, err := a.ResealEnvVars(ctx)
	if err != nil || n != 2 {
		t.Fatalf("ResealEnvVars = %d, %v; want 2 values", n, err)
	}
	if n, _ := a.ResealEnvVars(ctx); n != 0 {
		t.Fatalf("second ResealEnvVars resealed %d values, want 0", n)
	}
	a.Close()

	// With only the new key, everything still opens.
	store, err := sqlite.Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	only2 := must[*admin.Keyring](t)(admin.NewKeyring("k2", map[string][]byte{"k2": k2}))
	p := must[*admin.Project](t)(store.GetProject(context.Background(), proj.ID))
	d := must[*admin.Deployment](t)(store.GetDeployment(context.Background(), prod.ID))
	if v, err := only2.Open(p.ID, p.EnvVars[0]); err != nil || v != secretValue {
		t.Fatalf("project var after rotation: %q, %v", v, err)
	}
	if v, err := only2.Open(d.ID, d.EnvVarOverrides[0]); err != nil || v != "override" {
		t.Fatalf("override after rotation: %q, %v", v, err)
	}
}

func TestTokens(t *testing.T) {
	e := newEnv(t)
	owner := e.user(t, "owner@example.com")
	ctx := as(owner.ID)
	team := must[*admin.Team](t)(e.a.CreateTeam(ctx, admin.NewTeam{Name: "T"}))
	other := must[*admin.Team](t)(e.a.CreateTeam(as(e.root.ID), admin.NewTeam{Name: "Not mine"}))

	tok, secret, err := e.a.CreateToken(ctx, admin.NewToken{Name: "ci", TeamID: team.ID, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(secret, admin.TokenPrefix) || !strings.HasPrefix(secret, tok.Prefix) {
		t.Fatalf("secret %q prefix %q", secret, tok.Prefix)
	}
	stored := must[*admin.APIToken](t)(e.store.GetToken(context.Background(), tok.ID))
	if stored.Hash == "" || strings.Contains(stored.Hash, secret[len(admin.TokenPrefix):]) {
		t.Fatal("the token secret is stored, or no hash is")
	}
	p, err := e.a.AuthenticateToken(context.Background(), secret)
	if err != nil || p.UserID != owner.ID || p.TeamID != team.ID {
		t.Fatalf("AuthenticateToken = %+v, %v", p, err)
	}
	tctx := admin.WithPrincipal(context.Background(), p)
	if _, err := e.a.GetTeam(tctx, team.ID); err != nil {
		t.Fatalf("scoped token on its team: %v", err)
	}
	if _, err := e.a.GetTeam(tctx, other.ID); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("scoped token on another team = %v, want ErrForbidden", err)
	}
	if _, err := e.a.CreateTeam(tctx, admin.NewTeam{Name: "X"}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("scoped token creating a team = %v, want ErrForbidden", err)
	}
	if _, _, err := e.a.CreateToken(ctx, admin.NewToken{Name: "x", TeamID: other.ID}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("token for a team the user is not in = %v, want ErrForbidden", err)
	}
	for _, bad := range []string{"", "mat_", "mat_nope", secret + "x", "Bearer " + secret, strings.Repeat("m", 1000)} {
		if _, err := e.a.AuthenticateToken(context.Background(), bad); !errors.Is(err, admin.ErrUnauthenticated) {
			t.Errorf("AuthenticateToken(%q) = %v, want ErrUnauthenticated", bad, err)
		}
	}
	// Expiry.
	e.clock.add(2 * time.Hour)
	if _, err := e.a.AuthenticateToken(context.Background(), secret); !errors.Is(err, admin.ErrUnauthenticated) {
		t.Fatalf("expired token = %v", err)
	}
	// Revocation, by another user: refused; by the owner: works, twice.
	tok2, secret2, _ := e.a.CreateToken(ctx, admin.NewToken{Name: "cli"})
	if err := e.a.RevokeToken(as(e.user(t, "x@example.com").ID), tok2.ID); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("revoking another user's token = %v", err)
	}
	if _, err := e.a.AuthenticateToken(context.Background(), secret2); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.a.RevokeToken(ctx, tok2.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.a.AuthenticateToken(context.Background(), secret2); !errors.Is(err, admin.ErrUnauthenticated) {
		t.Fatalf("revoked token = %v", err)
	}
	l := must[admin.List[*admin.APIToken]](t)(e.a.ListTokens(ctx, admin.Page{}))
	out, _ := json.Marshal(l)
	if len(l.Items) != 2 || bytes.Contains(out, []byte(stored.Hash)) || bytes.Contains(out, []byte(secret2)) {
		t.Fatalf("ListTokens: %s", out)
	}
	// The system principal is no user: it has no tokens (an empty user id
	// would list every user's from the store).
	if sys := must[admin.List[*admin.APIToken]](t)(e.a.ListTokens(e.sys, admin.Page{})); len(sys.Items) != 0 {
		t.Fatalf("ListTokens as the system principal: %d tokens, want none", len(sys.Items))
	}
}

func TestAuditRecordsOutcomes(t *testing.T) {
	e := newEnv(t)
	owner := e.user(t, "owner@example.com")
	viewer := e.user(t, "viewer@example.com")
	team := must[*admin.Team](t)(e.a.CreateTeam(as(owner.ID), admin.NewTeam{Name: "T"}))
	must[*admin.TeamMember](t)(e.a.AddMember(as(owner.ID), team.ID, viewer.ID, admin.RoleViewer))
	_, _ = e.a.CreateProject(as(viewer.ID), team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal})
	_, _ = e.a.CreateProject(as(owner.ID), team.ID, admin.NewProject{Name: "", SourceType: admin.SourceLocal})
	p := must[*admin.Project](t)(e.a.CreateProject(as(owner.ID), team.ID, admin.NewProject{Name: "P", SourceType: admin.SourceLocal}))

	l := must[admin.List[*admin.AuditEvent]](t)(e.a.ListAudit(as(owner.ID), admin.AuditFilter{TeamID: team.ID, Action: "project.create"}, admin.Page{}))
	var got []string
	for _, ev := range l.Items {
		got = append(got, ev.ActorID+" "+string(ev.Outcome)+" "+ev.TargetID)
	}
	want := []string{viewer.ID + " denied ", owner.ID + " failure ", owner.ID + " success " + p.ID}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("audit events:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if l.Items[0].Metadata["reason"] == "" || l.Items[0].Time.IsZero() {
		t.Fatalf("denied event without reason or time: %+v", l.Items[0])
	}
	if _, err := e.a.ListAudit(as(viewer.ID), admin.AuditFilter{TeamID: team.ID}, admin.Page{}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("a viewer reading the audit log = %v", err)
	}
	if _, err := e.a.ListAudit(as(owner.ID), admin.AuditFilter{}, admin.Page{}); !errors.Is(err, admin.ErrForbidden) {
		t.Fatalf("a team owner reading the platform audit log = %v", err)
	}
}
