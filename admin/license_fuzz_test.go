package admin_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// FuzzLicenseMutation edits a genuine key (replaces, inserts or deletes
// bytes at fuzzed places). ParseLicense never panics; every edit that
// changes the key beyond surrounding white space fails with an error
// wrapping ErrLicense, whether it hits the prefix, the payload, the
// separator or the signature (base64 is decoded strictly, so no two texts
// carry the same bytes).
func FuzzLicenseMutation(f *testing.F) {
	key := mustSign(f, testLicense())
	payloadAt, sigAt := len("mlic1."), strings.LastIndexByte(key, '.')+1
	for _, at := range []int{0, 3, payloadAt, payloadAt + 5, sigAt - 1, sigAt, len(key) - 1} {
		for _, b := range []byte{'A', 'a', '-', '_', '=', '.', ' ', '\n', 0, 0xff} {
			f.Add(uint16(at), b, uint8(0))
		}
	}
	f.Add(uint16(len(key)-1), byte('B'), uint8(1)) // insert at the end
	f.Add(uint16(len(key)-1), byte(0), uint8(2))   // drop the last byte
	f.Fuzz(func(t *testing.T, at uint16, b byte, op uint8) {
		i := int(at) % len(key)
		var mutated string
		switch op % 3 {
		case 0:
			mutated = key[:i] + string([]byte{b}) + key[i+1:]
		case 1:
			mutated = key[:i+1] + string([]byte{b}) + key[i+1:]
		default:
			mutated = key[:i] + key[i+1:]
		}
		l, err := admin.ParseLicense(mutated, testLicensePub)
		if strings.TrimSpace(mutated) == key {
			if err != nil {
				t.Fatalf("the genuine key with white space around it was refused: %v", err)
			}
			return
		}
		if err == nil || l != nil {
			t.Fatalf("mutated key %q (byte %d) verified: %+v", mutated, i, l)
		}
		if !errors.Is(err, admin.ErrLicense) {
			t.Fatalf("err = %v, want one wrapping ErrLicense", err)
		}
	})
}

// FuzzParseLicensePublicKey: public keys from configuration parse to exactly
// 32 bytes that format back to the text given, or fail with a
// ValidationError; never panic.
func FuzzParseLicensePublicKey(f *testing.F) {
	f.Add(admin.FormatLicensePublicKey(testLicensePub))
	for _, s := range []string{"", "mlpk1.", "mlpk1.AAAA", "mlpk1.S-5vt1LWYebkoVmLaptXwgzgS_nphU4ewE5dA5RKl7B", " mlpk1.S-5vt1LWYebkoVmLaptXwgzgS_nphU4ewE5dA5RKl7A\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pub, err := admin.ParseLicensePublicKey(s)
		if err != nil {
			var ve *admin.ValidationError
			if pub != nil || !errors.As(err, &ve) || !errors.Is(err, admin.ErrInvalidArgument) {
				t.Fatalf("ParseLicensePublicKey(%q) = %x, %v; want nil and a ValidationError", s, pub, err)
			}
			return
		}
		if len(pub) != 32 || admin.FormatLicensePublicKey(pub) != strings.TrimSpace(s) {
			t.Fatalf("ParseLicensePublicKey(%q) = %x, formats as %q", s, pub, admin.FormatLicensePublicKey(pub))
		}
	})
}
