package admin

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
)

// EncryptionKeySize is the size of an env-var encryption key: AES-256.
const EncryptionKeySize = 32

var keyIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// sealDomain starts the additional data of every sealed env var, so a value
// sealed for anything else under the same key never opens as an env var.
const sealDomain = "mastra-admin-envvar-v1"

// Keyring seals and opens env-var values with AES-256-GCM. It holds any
// number of keys by id: Seal uses the active one, Open whichever sealed the
// value, so keys rotate by adding a new active key, resealing the stored
// values (NeedsReseal tells which), and then dropping the old key.
//
// Each value gets a random 96-bit nonce; NIST's bound for random nonces is
// 2^32 values per key, far beyond what env vars need. A Keyring is safe for
// concurrent use. A nil *Keyring refuses to seal and open.
type Keyring struct {
	active string
	aeads  map[string]cipher.AEAD
}

// NewKeyring returns a keyring of keys (id → 32-byte key) that seals with
// the key active. Ids are 1-64 characters of A-Z, a-z, 0-9, '.', '_' and
// '-'. The key bytes are copied. Errors wrap ErrInvalidArgument and never
// contain key material.
func NewKeyring(active string, keys map[string][]byte) (*Keyring, error) {
	if len(keys) == 0 {
		return nil, invalid("encryption keys", "at least one key is required")
	}
	k := &Keyring{active: active, aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, id := range slices.Sorted(maps.Keys(keys)) {
		key := keys[id]
		if !keyIDRE.MatchString(id) {
			return nil, invalid("encryption keys", "key id %q must be 1-64 characters of A-Z, a-z, 0-9, '.', '_' and '-'", id)
		}
		if len(key) != EncryptionKeySize {
			return nil, invalid("encryption keys", "key %q is %d bytes; AES-256 needs exactly %d", id, len(key), EncryptionKeySize)
		}
		block, err := aes.NewCipher(slices.Clone(key))
		if err != nil {
			return nil, fmt.Errorf("encryption key %q: %w", id, err)
		}
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("encryption key %q: %w", id, err)
		}
		k.aeads[id] = aead
	}
	if _, ok := k.aeads[active]; !ok {
		return nil, invalid("active encryption key", "%q is not among the keys (%s)", active, k.ids())
	}
	return k, nil
}

// ActiveKeyID returns the id of the key Seal uses ("" for a nil Keyring).
func (k *Keyring) ActiveKeyID() string {
	if k == nil {
		return ""
	}
	return k.active
}

// NeedsReseal reports whether v was sealed with a key other than the active
// one, so it should be opened and sealed again before that key is retired.
func (k *Keyring) NeedsReseal(v EnvVar) bool {
	return k != nil && v.KeyID != k.active
}

// Seal encrypts value with the active key for the env var name in scope
// (the id of the project or deployment that owns it) and returns it ready to
// store. Scope and name are authenticated with the value, so a sealed value
// copied to another scope or name does not open. Seal does not validate
// name or value: the Admin does before calling it.
func (k *Keyring) Seal(scope, name, value string, now time.Time) (EnvVar, error) {
	if k == nil {
		return EnvVar{}, fmt.Errorf("seal env var %q: %w", name, errNoKeys)
	}
	sealed := k.aeads[k.active].Seal(nil, nil, []byte(value), envVarAD(scope, name))
	return EnvVar{Name: name, KeyID: k.active, Sealed: sealed, UpdatedAt: now}, nil
}

// Open decrypts v, which must have been sealed for scope. It fails, with an
// error wrapping ErrIntegrity and naming the env var, when v's key is
// not in the keyring or when v does not authenticate (another key under the
// same id, another scope or name, or tampered bytes). Errors never contain
// the value.
func (k *Keyring) Open(scope string, v EnvVar) (string, error) {
	if k == nil {
		return "", fmt.Errorf("open env var %q: %w", v.Name, errNoKeys)
	}
	aead, ok := k.aeads[v.KeyID]
	if !ok {
		return "", fmt.Errorf("open env var %q: the value was sealed with key %q, which is not configured (configured: %s): %w",
			v.Name, v.KeyID, k.ids(), ErrIntegrity)
	}
	plain, err := aead.Open(nil, nil, v.Sealed, envVarAD(scope, v.Name))
	if err != nil {
		return "", fmt.Errorf("open env var %q: cannot decrypt with key %q: wrong key or tampered value: %w",
			v.Name, v.KeyID, ErrIntegrity)
	}
	return string(plain), nil
}

// envVarAD is the GCM additional data of an env var: the domain, then scope
// and name, each preceded by its length so no two (scope, name) pairs
// encode alike.
func envVarAD(scope, name string) []byte {
	b := make([]byte, 0, len(sealDomain)+len(scope)+len(name)+2*binary.MaxVarintLen64)
	b = append(b, sealDomain...)
	b = binary.AppendUvarint(b, uint64(len(scope)))
	b = append(b, scope...)
	b = binary.AppendUvarint(b, uint64(len(name)))
	return append(b, name...)
}

func (k *Keyring) ids() string {
	return strings.Join(slices.Sorted(maps.Keys(k.aeads)), ", ")
}

// ParseEncryptionKey decodes a 32-byte encryption key from its text form:
// 64 hex digits, or base64 in the standard or URL alphabet, padded or not
// (as printed by `openssl rand -base64 32`). Surrounding white space is
// ignored. Errors wrap ErrInvalidArgument and never contain the text.
func ParseEncryptionKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*EncryptionKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) == EncryptionKeySize {
				return b, nil
			}
			return nil, invalid("encryption key", "decodes (base64) to %d bytes; AES-256 needs exactly %d", len(b), EncryptionKeySize)
		}
	}
	return nil, invalid("encryption key", "must be %d bytes as base64 or %d hex digits (got %d characters that are neither)",
		EncryptionKeySize, 2*EncryptionKeySize, len(s))
}

// GenerateEncryptionKey returns a new random 32-byte encryption key.
func GenerateEncryptionKey() []byte {
	b := make([]byte, EncryptionKeySize)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+).
	return b
}
