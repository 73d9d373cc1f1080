package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// exec runs the tool and returns its exit status, stdout and stderr.
func exec(args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := run(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errOut := exec(args...)
	if code != 0 {
		t.Fatalf("licensetool %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
	}
	return out
}

func wantFailure(t *testing.T, want string, args ...string) {
	t.Helper()
	code, out, errOut := exec(args...)
	if code != 2 || !strings.Contains(errOut, want) {
		t.Errorf("licensetool %s: exit %d, stderr %q; want exit 2 and %q", strings.Join(args, " "), code, errOut, want)
	}
	if strings.HasPrefix(out, "mlic1.") {
		t.Errorf("licensetool %s printed a license despite failing", strings.Join(args, " "))
	}
}

func TestKeygenSignVerify(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	mustRun(t, "keygen", "-out", dir)
	pubPath, keyPath := filepath.Join(dir, "license.pub"), filepath.Join(dir, "license.key")

	info, err := os.Stat(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("license.key mode = %o, want 600", perm)
	}
	pubText, err := os.ReadFile(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := admin.ParseLicensePublicKey(string(pubText))
	if err != nil {
		t.Fatalf("license.pub does not parse: %v", err)
	}
	keyBefore, _ := os.ReadFile(keyPath)
	wantFailure(t, "already exists", "keygen", "-out", dir)
	if keyAfter, _ := os.ReadFile(keyPath); !bytes.Equal(keyBefore, keyAfter) {
		t.Fatal("a second keygen replaced the signing key")
	}

	out := mustRun(t, "sign", "-key", keyPath, "-customer", "Acme Corp", "-tier", "enterprise", "-days", "30",
		"-teams", "4", "-projects", "20", "-servers", "8", "-users", "50", "-features", "kubernetes-runner, ", "-exclude", "preview-deployments")
	key := strings.TrimSpace(out)
	l, err := admin.ParseLicense(key, pub)
	if err != nil {
		t.Fatalf("signed key does not parse: %v", err)
	}
	if l.Customer != "Acme Corp" || l.Tier != admin.TierEnterprise ||
		l.Limits != (admin.Limits{Teams: 4, Projects: 20, RunningServers: 8, Users: 50}) ||
		len(l.Features) != 1 || l.Allows(admin.FeatureKubernetesRunner) != nil || l.Allows(admin.FeaturePreviewDeployments) == nil {
		t.Errorf("signed license = %+v", *l)
	}
	if d := l.ExpiresAt.Sub(l.IssuedAt); d != 30*24*time.Hour {
		t.Errorf("validity = %v, want 30 days", d)
	}
	if err := l.Check(time.Now()); err != nil {
		t.Errorf("fresh license: %v", err)
	}

	out = mustRun(t, "verify", "-pub", pubPath, key)
	var shown admin.License
	if err := json.Unmarshal([]byte(out), &shown); err != nil || shown.ID != l.ID || shown.Customer != "Acme Corp" {
		t.Errorf("verify printed %q (%v), want the license as JSON", out, err)
	}
	keyFile := filepath.Join(t.TempDir(), "customer.lic")
	if err := os.WriteFile(keyFile, []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "verify", "-pub", pubPath, "@"+keyFile)

	// Tampered: the customer raises their user limit.
	parts := strings.Split(key, ".")
	payload := mustDecode(t, parts[1])
	raised := bytes.Replace(payload, []byte(`"users":50`), []byte(`"users":5000`), 1)
	tampered := parts[0] + "." + encode(raised) + "." + parts[2]
	wantFailure(t, "signature does not verify", "verify", "-pub", pubPath, tampered)

	// Another issuer's key pair.
	other := filepath.Join(t.TempDir(), "other")
	mustRun(t, "keygen", "-out", other)
	wantFailure(t, "signature does not verify", "verify", "-pub", filepath.Join(other, "license.pub"), key)
}

func TestVerifyReportsExpiry(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "keygen", "-out", dir)
	key := strings.TrimSpace(mustRun(t, "sign", "-key", filepath.Join(dir, "license.key"), "-customer", "Old Co",
		"-tier", "base", "-days", "31", "-issued", "2020-01-01"))
	code, out, errOut := exec("verify", "-pub", filepath.Join(dir, "license.pub"), key)
	if code != 2 || !strings.Contains(errOut, "expired on 2020-02-01") || !strings.Contains(out, `"Old Co"`) {
		t.Errorf("verify expired: exit %d, stdout %q, stderr %q; want exit 2, the license, and the expiry", code, out, errOut)
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	mustRun(t, "keygen", "-out", dir)
	key, pub := filepath.Join(dir, "license.key"), filepath.Join(dir, "license.pub")
	sign := func(extra ...string) []string {
		return append([]string{"sign", "-key", key, "-customer", "Acme", "-tier", "base", "-days", "30"}, extra...)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no command", nil, "usage: licensetool"},
		{"unknown command", []string{"issue"}, `unknown command "issue"`},
		{"unknown flag", []string{"sign", "-seats", "3"}, "flag provided but not defined: -seats"},
		{"keygen without -out", []string{"keygen"}, "-out is required"},
		{"sign without -key", []string{"sign", "-customer", "A", "-tier", "base", "-days", "1"}, "-key is required"},
		{"sign without -days", []string{"sign", "-key", key, "-customer", "A", "-tier", "base"}, "-days must be positive"},
		{"sign without customer", []string{"sign", "-key", key, "-tier", "base", "-days", "1"}, "invalid customer"},
		{"unknown tier", append(sign(), "-tier", "gold"), `"gold" is unknown`},
		{"negative limit", sign("-teams", "-1"), "must not be negative"},
		{"unknown feature", sign("-features", "sso,teleport"), `"teleport" is unknown`},
		{"excluded feature not of the tier", sign("-exclude", "teleport"), `"teleport" is not a feature of tier base`},
		{"bad issue date", sign("-issued", "01/02/2026"), "want YYYY-MM-DD"},
		{"extra argument", sign("extra"), "want 0 argument(s)"},
		{"missing key file", []string{"sign", "-key", filepath.Join(dir, "nope"), "-customer", "A", "-tier", "base", "-days", "1"}, "no such file"},
		{"public key as private", []string{"sign", "-key", pub, "-customer", "A", "-tier", "base", "-days", "1"}, "not a license private key"},
		{"verify without license", []string{"verify", "-pub", pub}, "want 1 argument(s)"},
		{"verify without -pub", []string{"verify", "mlic1.x.y"}, "-pub is required"},
		{"verify with private key", []string{"verify", "-pub", key, "mlic1.x.y"}, `must start with "mlpk1."`},
		{"verify garbage", []string{"verify", "-pub", pub, "not-a-license"}, "malformed license key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantFailure(t, tt.want, tt.args...) })
	}
	if code, _, errOut := exec("sign", "-h"); code != 0 || !strings.Contains(errOut, "-customer") {
		t.Errorf("sign -h: exit %d, stderr %q; want 0 and the flags", code, errOut)
	}
}

func mustDecode(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
