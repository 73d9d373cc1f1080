package admin_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Fixed keys, so the golden test pins the sealed format.
var (
	testKey1 = bytes.Repeat([]byte{0x11}, 32)
	testKey2 = bytes.Repeat([]byte{0x22}, 32)
)

const testSecret = "sk-live-THIS-IS-THE-SECRET-VALUE-0123456789"

func mustKeyring(t *testing.T, active string, keys map[string][]byte) *admin.Keyring {
	t.Helper()
	k, err := admin.NewKeyring(active, keys)
	if err != nil {
		t.Fatalf("NewKeyring: %v", err)
	}
	return k
}

func mustSeal(t *testing.T, k *admin.Keyring, scope, name, value string) admin.EnvVar {
	t.Helper()
	v, err := k.Seal(scope, name, value, testIssued)
	if err != nil {
		t.Fatalf("Seal: %v", err)
	}
	return v
}

// wantOpenError fails unless err wraps sentinel, contains every one of
// want, and does not reveal the secret value.
func wantOpenError(t *testing.T, err, sentinel error, want ...string) {
	t.Helper()
	if !errors.Is(err, sentinel) {
		t.Fatalf("err = %v, want one wrapping %v", err, sentinel)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err = %q, want it to contain %q", err, w)
		}
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("err %q reveals the plain text", err)
	}
}

func TestKeyringRoundTrip(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	for _, value := range []string{testSecret, "", "ünïcødé ✓", "line1\nline2", strings.Repeat("x", admin.MaxEnvVarValueLength)} {
		v := mustSeal(t, k, "prj_1", "API_KEY", value)
		if v.Name != "API_KEY" || v.KeyID != "k1" || !v.UpdatedAt.Equal(testIssued) {
			t.Errorf("Seal = {Name %q, KeyID %q, UpdatedAt %v}", v.Name, v.KeyID, v.UpdatedAt)
		}
		if want := 12 + len(value) + 16; len(v.Sealed) != want {
			t.Errorf("sealed %d bytes of value into %d, want nonce+ciphertext+tag = %d", len(value), len(v.Sealed), want)
		}
		got, err := k.Open("prj_1", v)
		if err != nil || got != value {
			t.Errorf("Open = %.40q, %v; want %.40q", got, err, value)
		}
	}
	if k.ActiveKeyID() != "k1" {
		t.Errorf("ActiveKeyID = %q", k.ActiveKeyID())
	}
}

// TestKeyringGolden pins the sealed format: values stored today must open
// in every later version.
func TestKeyringGolden(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	sealed, _ := hex.DecodeString("ad3be9b56ab3234bdaca2992edfb1a163a8415058644499825a40deb2fac72a49e")
	got, err := k.Open("prj_golden", admin.EnvVar{Name: "GOLDEN", KeyID: "k1", Sealed: sealed})
	if err != nil || got != "hello" {
		t.Errorf("Open(golden) = %q, %v; want \"hello\"", got, err)
	}
}

func TestKeyringRotation(t *testing.T) {
	old := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	v1 := mustSeal(t, old, "prj_1", "API_KEY", testSecret)

	both := mustKeyring(t, "k2", map[string][]byte{"k1": testKey1, "k2": testKey2})
	if got, err := both.Open("prj_1", v1); err != nil || got != testSecret {
		t.Fatalf("keyring {k1, k2 active} Open(k1 value) = %q, %v", got, err)
	}
	if !both.NeedsReseal(v1) {
		t.Error("NeedsReseal(value sealed with k1) = false with k2 active")
	}
	if old.NeedsReseal(v1) {
		t.Error("NeedsReseal(value sealed with the active key) = true")
	}

	plain, err := both.Open("prj_1", v1)
	if err != nil {
		t.Fatal(err)
	}
	v2 := mustSeal(t, both, "prj_1", v1.Name, plain)
	if v2.KeyID != "k2" || both.NeedsReseal(v2) {
		t.Errorf("resealed value: KeyID %q, NeedsReseal %v; want k2, false", v2.KeyID, both.NeedsReseal(v2))
	}

	onlyNew := mustKeyring(t, "k2", map[string][]byte{"k2": testKey2})
	if got, err := onlyNew.Open("prj_1", v2); err != nil || got != testSecret {
		t.Errorf("keyring {k2} Open(resealed) = %q, %v", got, err)
	}
	_, err = onlyNew.Open("prj_1", v1)
	wantOpenError(t, err, admin.ErrIntegrity, `"API_KEY"`, `sealed with key "k1", which is not configured (configured: k2)`)

	// A key id reused for different key bytes: the value does not open.
	swapped := mustKeyring(t, "k1", map[string][]byte{"k1": testKey2})
	_, err = swapped.Open("prj_1", v1)
	wantOpenError(t, err, admin.ErrIntegrity, `env var "API_KEY"`, `cannot decrypt with key "k1": wrong key or tampered value`)
}

func TestKeyringBindsScopeAndName(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	v := mustSeal(t, k, "prj_a", "API_KEY", testSecret)

	renamed := v
	renamed.Name = "OTHER_KEY"
	tests := map[string]struct {
		scope string
		v     admin.EnvVar
	}{
		"other scope":   {"prj_b", v},
		"empty scope":   {"", v},
		"renamed":       {"prj_a", renamed},
		"shifted split": {"prj_aA", admin.EnvVar{Name: "PI_KEY", KeyID: v.KeyID, Sealed: v.Sealed}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := k.Open(tt.scope, tt.v)
			if got != "" {
				t.Errorf("Open returned %q", got)
			}
			wantOpenError(t, err, admin.ErrIntegrity, "wrong key or tampered value")
		})
	}
}

func TestKeyringDetectsTampering(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	v := mustSeal(t, k, "prj_1", "API_KEY", testSecret)

	// Every byte: the nonce (0-11), the ciphertext, and the tag (last 16).
	for i := range v.Sealed {
		bad := v
		bad.Sealed = bytes.Clone(v.Sealed)
		bad.Sealed[i] ^= 0x80
		if got, err := k.Open("prj_1", bad); err == nil || got != "" {
			t.Fatalf("flipping byte %d of %d: Open = %q, %v; want an error", i, len(v.Sealed), got, err)
		} else {
			wantOpenError(t, err, admin.ErrIntegrity, "wrong key or tampered value")
		}
	}
	for name, sealed := range map[string][]byte{
		"nil":            nil,
		"nonce only":     v.Sealed[:12],
		"truncated tag":  v.Sealed[:len(v.Sealed)-1],
		"extra byte":     append(bytes.Clone(v.Sealed), 0),
		"without nonce":  v.Sealed[12:],
		"27 bytes":       make([]byte, 27),
		"zeros, 28 long": make([]byte, 28),
	} {
		bad := v
		bad.Sealed = sealed
		got, err := k.Open("prj_1", bad)
		if got != "" {
			t.Errorf("%s: Open returned %q", name, got)
		}
		wantOpenError(t, err, admin.ErrIntegrity, "wrong key or tampered value")
	}
	// The stored value is untouched by the failed attempts.
	if got, err := k.Open("prj_1", v); err != nil || got != testSecret {
		t.Errorf("Open(original) after tampering attempts = %q, %v", got, err)
	}
}

func TestKeyringNoncesAreUnique(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	nonces := map[string]bool{}
	sealed := map[string]bool{}
	for range 2000 {
		v := mustSeal(t, k, "prj_1", "API_KEY", testSecret)
		nonces[string(v.Sealed[:12])] = true
		sealed[string(v.Sealed)] = true
	}
	if len(nonces) != 2000 || len(sealed) != 2000 {
		t.Errorf("2000 seals of one value gave %d distinct nonces and %d distinct outputs, want 2000", len(nonces), len(sealed))
	}
}

func TestKeyringSealedHidesValue(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1})
	for _, value := range []string{testSecret, strings.Repeat("A", 4096)} {
		v := mustSeal(t, k, "prj_1", "API_KEY", value)
		for _, enc := range [][]byte{v.Sealed, []byte(base64.StdEncoding.EncodeToString(v.Sealed)), []byte(hex.EncodeToString(v.Sealed))} {
			if bytes.Contains(enc, []byte(value[:16])) {
				t.Errorf("sealed form contains the plain text")
			}
		}
	}
}

func TestNewKeyringRejectsBadKeys(t *testing.T) {
	tests := []struct {
		name   string
		active string
		keys   map[string][]byte
		want   string
	}{
		{"nil map", "k1", nil, "at least one key"},
		{"empty map", "k1", map[string][]byte{}, "at least one key"},
		{"short key", "k1", map[string][]byte{"k1": testKey1[:16]}, `key "k1" is 16 bytes; AES-256 needs exactly 32`},
		{"long key", "k1", map[string][]byte{"k1": append(bytes.Clone(testKey1), 1)}, `key "k1" is 33 bytes`},
		{"empty key", "k1", map[string][]byte{"k1": testKey1, "old": nil}, `key "old" is 0 bytes`},
		{"empty id", "", map[string][]byte{"": testKey1}, `key id "" must be`},
		{"id with slash", "a/b", map[string][]byte{"a/b": testKey1}, `key id "a/b" must be`},
		{"id with space", "k 1", map[string][]byte{"k 1": testKey1}, `key id "k 1" must be`},
		{"id too long", "k1", map[string][]byte{"k1": testKey1, strings.Repeat("k", 65): testKey2}, "must be 1-64 characters"},
		{"active missing", "k3", map[string][]byte{"k1": testKey1, "k2": testKey2}, `"k3" is not among the keys (k1, k2)`},
		{"active empty", "", map[string][]byte{"k1": testKey1}, `"" is not among the keys (k1)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k, err := admin.NewKeyring(tt.active, tt.keys)
			if k != nil || !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewKeyring = %v, %v; want ErrInvalidArgument containing %q", k, err, tt.want)
			}
			for _, key := range tt.keys {
				if len(key) > 0 && (strings.Contains(err.Error(), hex.EncodeToString(key)) || strings.Contains(err.Error(), string(key))) {
					t.Errorf("err %q contains key material", err)
				}
			}
		})
	}
	// The longest valid id and every allowed character.
	if _, err := admin.NewKeyring("Az09._-", map[string][]byte{"Az09._-": testKey1, strings.Repeat("k", 64): testKey2}); err != nil {
		t.Errorf("NewKeyring with valid ids: %v", err)
	}
}

func TestNewKeyringCopiesKeys(t *testing.T) {
	key := bytes.Clone(testKey1)
	k := mustKeyring(t, "k1", map[string][]byte{"k1": key})
	v := mustSeal(t, k, "prj_1", "API_KEY", testSecret)
	clear(key) // the caller wipes its copy
	if got, err := k.Open("prj_1", v); err != nil || got != testSecret {
		t.Errorf("Open after the caller changed its key bytes = %q, %v", got, err)
	}
}

func TestNilKeyring(t *testing.T) {
	var k *admin.Keyring
	v, err := k.Seal("prj_1", "API_KEY", testSecret, testIssued)
	wantOpenError(t, err, admin.ErrNotSupported, "none configured")
	if v.Sealed != nil {
		t.Errorf("nil keyring sealed %x", v.Sealed)
	}
	_, err = k.Open("prj_1", admin.EnvVar{Name: "API_KEY", KeyID: "k1"})
	wantOpenError(t, err, admin.ErrNotSupported, "none configured")
	if k.ActiveKeyID() != "" || k.NeedsReseal(admin.EnvVar{KeyID: "k1"}) {
		t.Error("nil keyring must have no active key and need no reseal")
	}
}

func TestKeyringConcurrentUse(t *testing.T) {
	k := mustKeyring(t, "k1", map[string][]byte{"k1": testKey1, "k2": testKey2})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for range 200 {
				v, err := k.Seal("prj_1", "API_KEY", testSecret, testIssued)
				if err == nil {
					var got string
					got, err = k.Open("prj_1", v)
					if err == nil && got != testSecret {
						err = errors.New("round trip changed the value")
					}
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestParseEncryptionKey(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i*7 + 250) // covers the bytes that differ between base64 alphabets
	}
	for name, text := range map[string]string{
		"hex":                   hex.EncodeToString(key),
		"upper-case hex":        strings.ToUpper(hex.EncodeToString(key)),
		"base64":                base64.StdEncoding.EncodeToString(key),
		"base64 without pad":    base64.RawStdEncoding.EncodeToString(key),
		"base64url":             base64.URLEncoding.EncodeToString(key),
		"base64url without pad": base64.RawURLEncoding.EncodeToString(key),
		"trailing newline":      base64.StdEncoding.EncodeToString(key) + "\n",
	} {
		got, err := admin.ParseEncryptionKey(text)
		if err != nil || !bytes.Equal(got, key) {
			t.Errorf("%s: ParseEncryptionKey(%q) = %x, %v; want %x", name, text, got, err, key)
		}
	}

	bad := []struct{ name, text, want string }{
		{"empty", "", "decodes (base64) to 0 bytes"},
		{"16 bytes base64", base64.StdEncoding.EncodeToString(key[:16]), "decodes (base64) to 16 bytes"},
		{"48 bytes base64", base64.StdEncoding.EncodeToString(append(bytes.Clone(key), key[:16]...)), "decodes (base64) to 48 bytes"},
		{"62 hex digits", hex.EncodeToString(key[:31]), "decodes (base64) to 46 bytes"},
		{"64 chars, not hex", strings.Repeat("zz", 32), "decodes (base64) to 48 bytes"},
		{"passphrase", "correct horse battery staple", "neither"},
		{"mixed alphabets", strings.Replace(base64.StdEncoding.EncodeToString(key), "/", "_", 1)[:43] + "-", "neither"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			got, err := admin.ParseEncryptionKey(tt.text)
			if got != nil || !errors.Is(err, admin.ErrInvalidArgument) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseEncryptionKey = %x, %v; want ErrInvalidArgument containing %q", got, err, tt.want)
			}
			if tt.text != "" && strings.Contains(err.Error(), tt.text) {
				t.Errorf("err %q repeats the key text", err)
			}
		})
	}
}

func TestGenerateEncryptionKey(t *testing.T) {
	a, b := admin.GenerateEncryptionKey(), admin.GenerateEncryptionKey()
	if len(a) != 32 || len(b) != 32 || bytes.Equal(a, b) {
		t.Fatalf("GenerateEncryptionKey gave %d and %d bytes, equal: %v", len(a), len(b), bytes.Equal(a, b))
	}
	if _, err := admin.NewKeyring("k", map[string][]byte{"k": a}); err != nil {
		t.Errorf("a generated key is refused: %v", err)
	}
}

func ExampleKeyring() {
	// In production the key comes from configuration, e.g.
	// admin.ParseEncryptionKey(os.Getenv("MASTRA_ADMIN_ENCRYPTION_KEY")).
	keys := map[string][]byte{"2026-01": admin.GenerateEncryptionKey()}
	k, err := admin.NewKeyring("2026-01", keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	v, _ := k.Seal("prj_1", "OPENAI_API_KEY", "sk-example", time.Now())
	plain, _ := k.Open("prj_1", v)
	fmt.Println(v.KeyID, plain)

	_, err = k.Open("prj_2", v) // copied to another project
	fmt.Println(err)
	// Output:
	// 2026-01 sk-example
	// open env var "OPENAI_API_KEY": cannot decrypt with key "2026-01": wrong key or tampered value: integrity
}
