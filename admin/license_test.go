package admin_test

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

var (
	testIssued = time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	// A fixed signing key, so signed keys are reproducible (Ed25519 is
	// deterministic) and the golden test pins the format.
	testLicensePriv = ed25519.NewKeyFromSeed([]byte("mastra-admin-license-test-seed!!"))
	testLicensePub  = testLicensePriv.Public().(ed25519.PublicKey)
)

func testLicense() admin.License {
	return admin.License{
		ID:        "lic_test",
		Customer:  "Acme Corp",
		Tier:      admin.TierEnterprise,
		Limits:    admin.Limits{Teams: 10, Projects: 50, RunningServers: 20, Users: 200},
		Features:  []string{admin.FeatureKubernetesRunner},
		IssuedAt:  testIssued,
		ExpiresAt: testIssued.AddDate(1, 0, 0),
	}
}

func mustSign(t testing.TB, l admin.License) string {
	t.Helper()
	key, err := admin.SignLicense(testLicensePriv, l)
	if err != nil {
		t.Fatalf("SignLicense: %v", err)
	}
	return key
}

// signRaw builds a key around any payload bytes, following the documented
// format independently of SignLicense.
func signRaw(priv ed25519.PrivateKey, payload []byte) string {
	sig := ed25519.Sign(priv, append([]byte("mastra-admin-license-v1\n"), payload...))
	enc := base64.RawURLEncoding
	return "mlic1." + enc.EncodeToString(payload) + "." + enc.EncodeToString(sig)
}

// wantLicenseError fails unless err is a *LicenseError wrapping ErrLicense
// whose message contains every one of want.
func wantLicenseError(t *testing.T, err error, want ...string) {
	t.Helper()
	var le *admin.LicenseError
	if !errors.As(err, &le) || !errors.Is(err, admin.ErrLicense) {
		t.Fatalf("err = %v (%T), want a *LicenseError wrapping ErrLicense", err, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err = %q, want it to contain %q", err, w)
		}
	}
}

func TestLicenseRoundTrip(t *testing.T) {
	want := testLicense()
	key := mustSign(t, want)
	if !strings.HasPrefix(key, "mlic1.") || strings.Count(key, ".") != 2 {
		t.Fatalf("key %q does not have the form mlic1.<payload>.<signature>", key)
	}
	// Keys pasted into env files often carry a newline.
	got, err := admin.ParseLicense(" "+key+"\n", testLicensePub)
	if err != nil {
		t.Fatalf("ParseLicense: %v", err)
	}
	if got.ID != want.ID || got.Customer != want.Customer || got.Tier != want.Tier || got.Limits != want.Limits ||
		!slices.Equal(got.Features, want.Features) || !got.IssuedAt.Equal(want.IssuedAt) || !got.ExpiresAt.Equal(want.ExpiresAt) {
		t.Errorf("ParseLicense = %+v, want %+v", *got, want)
	}
	if err := got.Check(testIssued.Add(time.Hour)); err != nil {
		t.Errorf("Check during validity: %v", err)
	}
}

func TestSignLicenseAssignsID(t *testing.T) {
	l := testLicense()
	l.ID = ""
	got, err := admin.ParseLicense(mustSign(t, l), testLicensePub)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.ID, "lic_") {
		t.Errorf("ID = %q, want a new lic_ id", got.ID)
	}
}

// TestLicenseGolden pins the key format: a key issued today must verify in
// every later version.
func TestLicenseGolden(t *testing.T) {
	l := testLicense()
	l.Features = nil
	const golden = "mlic1.eyJpZCI6ImxpY190ZXN0IiwiY3VzdG9tZXIiOiJBY21lIENvcnAiLCJ0aWVyIjoiZW50ZXJwcmlzZSIsImxpbWl0cyI6eyJ0ZWFtcyI6MTAsInByb2plY3RzIjo1MCwicnVubmluZ1NlcnZlcnMiOjIwLCJ1c2VycyI6MjAwfSwiaXNzdWVkQXQiOiIyMDI2LTAxLTAyVDE1OjA0OjA1WiIsImV4cGlyZXNBdCI6IjIwMjctMDEtMDJUMTU6MDQ6MDVaIn0.6SAgIiwQ1qz-NekFmjJnm4cgbaBw0Hh8JtGo4_5K8THbJzjbmrV5mxZim_Yxy2_27W-LZm8TfpVYt2C0nMgkCA"
	if key := mustSign(t, l); key != golden {
		t.Errorf("SignLicense = %q, want the golden %q", key, golden)
	}
	got, err := admin.ParseLicense(golden, testLicensePub)
	if err != nil {
		t.Fatalf("ParseLicense(golden): %v", err)
	}
	if got.Customer != "Acme Corp" || got.Tier != admin.TierEnterprise || got.Limits.Users != 200 {
		t.Errorf("ParseLicense(golden) = %+v", *got)
	}
	if got := admin.FormatLicensePublicKey(testLicensePub); got != "mlpk1.S-5vt1LWYebkoVmLaptXwgzgS_nphU4ewE5dA5RKl7A" {
		t.Errorf("FormatLicensePublicKey = %q", got)
	}
}

func TestParseLicenseRejectsTampering(t *testing.T) {
	key := mustSign(t, testLicense())
	prefix, rest, _ := strings.Cut(key, "mlic1.")
	payloadB64, sigB64, _ := strings.Cut(rest, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(payloadB64)
	sig, _ := base64.RawURLEncoding.DecodeString(sigB64)
	enc := base64.RawURLEncoding.EncodeToString

	raised := strings.Replace(string(payload), `"users":200`, `"users":900`, 1)
	if raised == string(payload) {
		t.Fatal("test setup: payload has no users limit to raise")
	}
	flipped := slices.Clone(sig)
	flipped[10] ^= 1
	otherPriv := ed25519.NewKeyFromSeed([]byte("another-issuer-key-seed-32-bytes"))
	otherKey, err := admin.SignLicense(otherPriv, testLicense())
	if err != nil {
		t.Fatal(err)
	}

	for name, bad := range map[string]string{
		"raised limit":       prefix + "mlic1." + enc([]byte(raised)) + "." + sigB64,
		"flipped signature":  prefix + "mlic1." + payloadB64 + "." + enc(flipped),
		"short signature":    prefix + "mlic1." + payloadB64 + "." + enc(sig[:32]),
		"empty signature":    prefix + "mlic1." + payloadB64 + ".",
		"swapped parts":      "mlic1." + sigB64 + "." + payloadB64,
		"other issuer":       otherKey,
		"no domain prefix":   "mlic1." + payloadB64 + "." + enc(ed25519.Sign(testLicensePriv, payload)),
		"signed wrong order": "mlic1." + payloadB64 + "." + enc(ed25519.Sign(testLicensePriv, append(payload, "mastra-admin-license-v1\n"...))),
	} {
		t.Run(name, func(t *testing.T) {
			l, err := admin.ParseLicense(bad, testLicensePub)
			if l != nil {
				t.Errorf("ParseLicense returned a license %+v", *l)
			}
			wantLicenseError(t, err, "signature does not verify: tampered or signed with another key")
		})
	}
}

func TestParseLicenseWrongPublicKey(t *testing.T) {
	key := mustSign(t, testLicense())
	other, _, err := admin.GenerateLicenseKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.ParseLicense(key, other)
	wantLicenseError(t, err, "signature does not verify")

	_, err = admin.ParseLicense(key, testLicensePub[:31])
	wantLicenseError(t, err, "public key must be 32 bytes, got 31")
	_, err = admin.ParseLicense(key, nil)
	wantLicenseError(t, err, "public key must be 32 bytes, got 0")
}

func TestParseLicenseMalformed(t *testing.T) {
	validJSON := func(edit func(string) string) string {
		key := mustSign(t, testLicense())
		b64 := strings.Split(key, ".")[1]
		payload, _ := base64.RawURLEncoding.DecodeString(b64)
		return signRaw(testLicensePriv, []byte(edit(string(payload))))
	}
	valid := mustSign(t, testLicense())
	tests := []struct {
		name, key, want string
	}{
		{"empty", "", "malformed license key: empty"},
		{"blank", " \n\t", "malformed license key: empty"},
		{"garbage", "hello world", `must start with "mlic1."`},
		{"other version", "mlic2." + strings.TrimPrefix(valid, "mlic1."), `must start with "mlic1."`},
		{"public key instead", admin.FormatLicensePublicKey(testLicensePub), `must start with "mlic1."`},
		{"prefix only", "mlic1.", "2 dot-separated parts, got 1"},
		{"one part", "mlic1.abc", "2 dot-separated parts, got 1"},
		{"three parts", valid + ".x", "2 dot-separated parts, got 3"},
		{"padded base64", "mlic1.e30=." + strings.Split(valid, ".")[2], "payload is not unpadded base64url"},
		{"std alphabet", "mlic1.a+b/." + strings.Split(valid, ".")[2], "payload is not unpadded base64url"},
		{"bad signature base64", strings.Split(valid, ".")[0] + "." + strings.Split(valid, ".")[1] + ".!!!", "signature is not unpadded base64url"},
		{"inner space", valid[:20] + " " + valid[20:], "payload is not unpadded base64url: unexpected ' ' at offset 14"},
		// encoding/base64 would skip these; the key must have one text form.
		{"inner line break", valid[:len(valid)-10] + "\r\n" + valid[len(valid)-10:], "signature is not unpadded base64url: unexpected '\\r'"},
		// The signature's last character carries 4 unused bits: only A, Q, g, w are canonical.
		{"non-zero trailing bits", valid[:len(valid)-1] + string("BC"[strings.Count(valid[len(valid)-1:], "B")]), "signature is not unpadded base64url"},
		{"too long", "mlic1." + strings.Repeat("A", 20000) + ".AA", "longer than any license"},
		{"signed non-JSON", signRaw(testLicensePriv, []byte("not json")), "invalid license payload"},
		{"signed empty payload", signRaw(testLicensePriv, nil), "invalid license payload"},
		{"signed JSON array", signRaw(testLicensePriv, []byte(`[1,2]`)), "invalid license payload"},
		{"signed null", signRaw(testLicensePriv, []byte(`null`)), "invalid license payload"},
		{"unknown field", validJSON(func(s string) string {
			return strings.Replace(s, `{"id"`, `{"admin":true,"id"`, 1)
		}), `unknown field "admin"`},
		{"trailing data", validJSON(func(s string) string { return s + `{}` }), "data after the JSON object"},
		{"unknown tier", validJSON(func(s string) string {
			return strings.Replace(s, `"tier":"enterprise"`, `"tier":"platinum"`, 1)
		}), `tier: "platinum" is unknown`},
		{"negative limit", validJSON(func(s string) string {
			return strings.Replace(s, `"teams":10`, `"teams":-1`, 1)
		}), "limits: must not be negative"},
		{"no customer", validJSON(func(s string) string {
			return strings.Replace(s, `"customer":"Acme Corp"`, `"customer":""`, 1)
		}), "customer: must not be empty"},
		{"no expiry", validJSON(func(s string) string {
			return strings.Replace(s, `"expiresAt":"2027-01-02T15:04:05Z"`, `"expiresAt":"0001-01-01T00:00:00Z"`, 1)
		}), "expiresAt: must be after issuedAt"},
		{"limit wrong type", validJSON(func(s string) string {
			return strings.Replace(s, `"teams":10`, `"teams":"10"`, 1)
		}), "invalid license payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := admin.ParseLicense(tt.key, testLicensePub)
			if l != nil {
				t.Errorf("ParseLicense returned a license %+v", *l)
			}
			wantLicenseError(t, err, tt.want)
		})
	}
}

func TestSignLicenseValidates(t *testing.T) {
	tests := []struct {
		name  string
		edit  func(*admin.License)
		field string
	}{
		{"unknown tier", func(l *admin.License) { l.Tier = "gold" }, "tier"},
		{"empty tier", func(l *admin.License) { l.Tier = "" }, "tier"},
		{"no customer", func(l *admin.License) { l.Customer = "  " }, "customer"},
		{"no issue date", func(l *admin.License) { l.IssuedAt = time.Time{} }, "issuedAt"},
		{"no expiry", func(l *admin.License) { l.ExpiresAt = time.Time{} }, "expiresAt"},
		{"expires when issued", func(l *admin.License) { l.ExpiresAt = l.IssuedAt }, "expiresAt"},
		{"expires before issued", func(l *admin.License) { l.ExpiresAt = l.IssuedAt.Add(-time.Hour) }, "expiresAt"},
		{"negative teams", func(l *admin.License) { l.Limits.Teams = -1 }, "limits"},
		{"negative users", func(l *admin.License) { l.Limits.Users = -5 }, "limits"},
		{"unknown feature", func(l *admin.License) { l.Features = []string{"sso", "time-travel"} }, "features"},
		{"empty feature", func(l *admin.License) { l.Features = []string{""} }, "features"},
		{"empty excluded feature", func(l *admin.License) { l.ExcludedFeatures = []string{""} }, "excludedFeatures"},
		{"feature granted and excluded", func(l *admin.License) {
			l.ExcludedFeatures = []string{admin.FeatureKubernetesRunner}
		}, "excludedFeatures"},
		{"excluded feature not in the tier", func(l *admin.License) {
			l.Features, l.ExcludedFeatures = nil, []string{admin.FeatureKubernetesRunner}
		}, "excludedFeatures"},
		{"unknown excluded feature", func(l *admin.License) { l.ExcludedFeatures = []string{"time-travel"} }, "excludedFeatures"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLicense()
			tt.edit(&l)
			key, err := admin.SignLicense(testLicensePriv, l)
			var ve *admin.ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, admin.ErrInvalidArgument) {
				t.Fatalf("SignLicense = %q, %v; want a *ValidationError", key, err)
			}
			if ve.Field != tt.field {
				t.Errorf("field = %q, want %q (err %v)", ve.Field, tt.field, err)
			}
			if key != "" {
				t.Errorf("key = %q, want none", key)
			}
		})
	}
	if _, err := admin.SignLicense(testLicensePriv[:32], testLicense()); !errors.Is(err, admin.ErrInvalidArgument) {
		t.Errorf("SignLicense with a short private key: err = %v, want ErrInvalidArgument", err)
	}
}

func TestLicenseCheck(t *testing.T) {
	l := testLicense()
	l.ExpiresAt = time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	l.IssuedAt = l.ExpiresAt.AddDate(-1, 0, 0)

	if err := l.Check(l.ExpiresAt.Add(-time.Nanosecond)); err != nil {
		t.Errorf("Check just before expiry: %v", err)
	}
	wantLicenseError(t, l.Check(l.ExpiresAt), "expired on 2026-01-02", `"Acme Corp"`)
	wantLicenseError(t, l.Check(l.ExpiresAt.AddDate(0, 3, 0)), "expired on 2026-01-02")

	// Small clock differences between issuer and customer are tolerated.
	if err := l.Check(l.IssuedAt.Add(-4 * time.Minute)); err != nil {
		t.Errorf("Check 4 minutes before issue: %v", err)
	}
	wantLicenseError(t, l.Check(l.IssuedAt.Add(-6*time.Minute)), "not valid before 2025-01-02T00:00:00Z", "clock")

	dev := admin.DevelopmentLicense()
	if err := dev.Check(time.Date(2999, 1, 1, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Errorf("development license must never expire: %v", err)
	}
	var none *admin.License
	wantLicenseError(t, none.Check(testIssued), "no license")
}

func TestLicenseAllows(t *testing.T) {
	features := []string{admin.FeaturePreviewDeployments, admin.FeatureSSO, admin.FeatureAuditExport, admin.FeatureKubernetesRunner}
	tests := []struct {
		tier  admin.Tier
		allow []string
	}{
		{admin.TierDevelopment, []string{admin.FeaturePreviewDeployments}},
		{admin.TierBase, []string{admin.FeaturePreviewDeployments}},
		{admin.TierEnterprise, []string{admin.FeaturePreviewDeployments, admin.FeatureSSO, admin.FeatureAuditExport}},
		{admin.TierEnterprisePlus, features},
		{"unknown-tier", nil},
	}
	needs := map[string]admin.Tier{
		admin.FeaturePreviewDeployments: admin.TierDevelopment,
		admin.FeatureSSO:                admin.TierEnterprise,
		admin.FeatureAuditExport:        admin.TierEnterprise,
		admin.FeatureKubernetesRunner:   admin.TierEnterprisePlus,
	}
	for _, tt := range tests {
		l := &admin.License{Tier: tt.tier}
		for _, f := range features {
			err := l.Allows(f)
			if slices.Contains(tt.allow, f) {
				if err != nil {
					t.Errorf("tier %s: Allows(%q) = %v, want nil", tt.tier, f, err)
				}
				continue
			}
			t.Run(string(tt.tier)+"/"+f, func(t *testing.T) {
				wantLicenseError(t, err, `feature "`+f+`" needs tier `+string(needs[f])+" or higher", "this license: tier "+string(tt.tier))
			})
		}
		wantLicenseError(t, l.Allows("time-travel"), `feature "time-travel" is not included`)
	}

	// Extra features granted on top of the tier.
	l := &admin.License{Tier: admin.TierBase, Features: []string{admin.FeatureSSO, "future-feature"}}
	for _, f := range []string{admin.FeatureSSO, admin.FeaturePreviewDeployments, "future-feature"} {
		if err := l.Allows(f); err != nil {
			t.Errorf("base + extras: Allows(%q) = %v, want nil", f, err)
		}
	}
	wantLicenseError(t, l.Allows(admin.FeatureAuditExport), "needs tier enterprise")

	// Features of the tier the license excludes.
	l = &admin.License{ID: "lic_x", Customer: "C", Tier: admin.TierEnterprise, ExcludedFeatures: []string{admin.FeaturePreviewDeployments}}
	wantLicenseError(t, l.Allows(admin.FeaturePreviewDeployments), `feature "preview-deployments" is excluded by this license`, `"lic_x"`)
	if err := l.Allows(admin.FeatureSSO); err != nil {
		t.Errorf("enterprise without previews: Allows(sso) = %v, want nil", err)
	}

	var none *admin.License
	wantLicenseError(t, none.Allows(admin.FeatureSSO), "needs a license")
}

func TestTierOrder(t *testing.T) {
	order := []admin.Tier{admin.TierDevelopment, admin.TierBase, admin.TierEnterprise, admin.TierEnterprisePlus}
	for i, a := range order {
		if !a.Valid() {
			t.Errorf("%s.Valid() = false", a)
		}
		for j, b := range order {
			if got := a.AtLeast(b); got != (i >= j) {
				t.Errorf("%s.AtLeast(%s) = %v, want %v", a, b, got, i >= j)
			}
		}
		if a.AtLeast("gold") || admin.Tier("gold").AtLeast(a) {
			t.Errorf("AtLeast between %s and an unknown tier must be false", a)
		}
	}
	for _, bad := range []admin.Tier{"", "gold", "Enterprise", "enterprise "} {
		if bad.Valid() {
			t.Errorf("Tier(%q).Valid() = true", bad)
		}
	}
	// Features returns a copy.
	f := admin.TierEnterprisePlus.Features()
	f[0] = "changed"
	if admin.TierEnterprisePlus.Features()[0] == "changed" {
		t.Error("Tier.Features exposes the shared table")
	}
}

func TestCheckLimit(t *testing.T) {
	l := &admin.License{Tier: admin.TierBase, Limits: admin.Limits{Teams: 5, Projects: 2, RunningServers: 1, Users: 0}}
	for _, tt := range []struct {
		kind    string
		current int
		want    string // "" for allowed
	}{
		{admin.LimitTeams, 0, ""},
		{admin.LimitTeams, 4, ""},
		{admin.LimitTeams, 5, "license: allows at most 5 teams (tier base); 5 in use"},
		{admin.LimitTeams, 7, "license: allows at most 5 teams (tier base); 7 in use"},
		{admin.LimitProjects, 1, ""},
		{admin.LimitProjects, 2, "license: allows at most 2 projects (tier base); 2 in use"},
		{admin.LimitRunningServers, 0, ""},
		{admin.LimitRunningServers, 1, "license: allows at most 1 running servers (tier base); 1 in use"},
		{admin.LimitUsers, 1_000_000, ""}, // 0: unlimited
	} {
		err := l.CheckLimit(tt.kind, tt.current)
		if tt.want == "" {
			if err != nil {
				t.Errorf("CheckLimit(%q, %d) = %v, want nil", tt.kind, tt.current, err)
			}
			continue
		}
		if err == nil || err.Error() != tt.want || !errors.Is(err, admin.ErrLicense) {
			t.Errorf("CheckLimit(%q, %d) = %v, want %q wrapping ErrLicense", tt.kind, tt.current, err, tt.want)
		}
	}
	err := l.CheckLimit("servers", 0)
	if !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), `"servers" is unknown`) {
		t.Errorf("CheckLimit of an unknown kind = %v, want ErrInvalidArgument naming it", err)
	}
}

func TestDevelopmentLicense(t *testing.T) {
	l := admin.DevelopmentLicense()
	want := admin.Limits{Teams: 3, Projects: 5, RunningServers: 3, Users: 10}
	if l.Tier != admin.TierDevelopment || l.Customer != "development" || l.Limits != want || !l.ExpiresAt.IsZero() {
		t.Errorf("DevelopmentLicense = %+v", *l)
	}
	if err := l.Allows(admin.FeaturePreviewDeployments); err != nil {
		t.Errorf("development must allow preview deployments: %v", err)
	}
	for _, f := range []string{admin.FeatureSSO, admin.FeatureAuditExport, admin.FeatureKubernetesRunner} {
		if l.Allows(f) == nil {
			t.Errorf("development must not allow %s", f)
		}
	}
	wantLicenseError(t, l.CheckLimit(admin.LimitTeams, 3), "at most 3 teams (tier development)")
	// Every call returns a fresh value: changing one does not change the next.
	l.Limits.Teams = 1000
	if admin.DevelopmentLicense().Limits.Teams != 3 {
		t.Error("DevelopmentLicense returned shared state")
	}
}

func TestLicensePublicKeyText(t *testing.T) {
	pub, priv, err := admin.GenerateLicenseKeyPair()
	if err != nil {
		t.Fatal(err)
	}
	if len(priv) != ed25519.PrivateKeySize {
		t.Fatalf("private key is %d bytes", len(priv))
	}
	text := admin.FormatLicensePublicKey(pub)
	got, err := admin.ParseLicensePublicKey(text + "\n")
	if err != nil || !got.Equal(pub) {
		t.Fatalf("ParseLicensePublicKey(Format(pub)) = %x, %v; want %x", got, err, pub)
	}
	body := strings.TrimPrefix(text, "mlpk1.")
	for name, bad := range map[string]string{
		"empty":        "",
		"no prefix":    body,
		"wrong prefix": "mlsk1." + body,
		"short":        "mlpk1." + body[:20],
		"long":         "mlpk1." + body + "AAAA",
		"padded":       "mlpk1." + body + "=",
		"not base64":   "mlpk1.*****",
	} {
		if k, err := admin.ParseLicensePublicKey(bad); !errors.Is(err, admin.ErrInvalidArgument) || k != nil {
			t.Errorf("%s: ParseLicensePublicKey(%q) = %x, %v; want ErrInvalidArgument", name, bad, k, err)
		}
	}
}

// FuzzParseLicense checks that no input panics and that only keys the
// issuer signed are accepted: Ed25519 as implemented rejects malleated
// signatures and the base64 decoding is strict, so the signed seeds are the
// only keys that verify.
func FuzzParseLicense(f *testing.F) {
	signed := map[string]bool{}
	for _, edit := range []func(*admin.License){
		func(*admin.License) {},
		func(l *admin.License) { l.Tier = admin.TierBase; l.Features = nil },
	} {
		l := testLicense()
		edit(&l)
		key := mustSign(f, l)
		signed[key] = true
		f.Add(key)
	}
	f.Add("")
	f.Add("mlic1.")
	f.Add("mlic1.e30.")
	f.Add("mlic1.e30.AAAA")
	f.Add(signRaw(testLicensePriv, []byte(`{"tier":"base"}`)))
	for key := range signed {
		f.Add(key[:len(key)-20] + "\r" + key[len(key)-20:]) // found by fuzzing
	}
	f.Fuzz(func(t *testing.T, key string) {
		l, err := admin.ParseLicense(key, testLicensePub)
		if err == nil {
			if !signed[strings.TrimSpace(key)] {
				t.Fatalf("accepted a key the issuer never signed: %q -> %+v", key, l)
			}
			return
		}
		if l != nil {
			t.Fatalf("returned both a license and an error %v", err)
		}
		if !errors.Is(err, admin.ErrLicense) {
			t.Fatalf("err = %v, want ErrLicense", err)
		}
	})
}

func ExampleParseLicense() {
	// The issuer signs once (see internal/licensetool); the platform team
	// configures the key and the issuer's public key.
	pub, priv, _ := admin.GenerateLicenseKeyPair()
	issued := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	key, _ := admin.SignLicense(priv, admin.License{
		ID: "lic_acme", Customer: "Acme Corp", Tier: admin.TierBase, Limits: admin.Limits{Teams: 5},
		IssuedAt: issued, ExpiresAt: issued.AddDate(1, 0, 0),
	})

	l, err := admin.ParseLicense(key, pub)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(l.Customer, l.Tier, l.Check(issued.AddDate(0, 6, 0)))
	fmt.Println(l.Allows(admin.FeatureSSO))
	fmt.Println(l.CheckLimit(admin.LimitTeams, 5))
	fmt.Println(l.Check(issued.AddDate(2, 0, 0)))
	// Output:
	// Acme Corp base <nil>
	// license: feature "sso" needs tier enterprise or higher (this license: tier base)
	// license: allows at most 5 teams (tier base); 5 in use
	// license: expired on 2027-01-01 (license "lic_acme" for "Acme Corp", tier base); renew it, or remove it to run in development mode
}
