package postgres

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// envVarJSON is the stored form of an admin.EnvVar. It has its own JSON
// names so that the API's JSON tags can change without touching stored rows.
type envVarJSON struct {
	Name      string    `json:"name"`
	Scope     string    `json:"scope,omitempty"`
	KeyID     string    `json:"keyId"`
	Sealed    []byte    `json:"sealed"` // base64
	UpdatedAt time.Time `json:"updatedAt"`
}

// encodeEnvVars returns vs as a JSON array ("[]" for nil), with times in UTC
// at microsecond precision like every other timestamp of the store.
func encodeEnvVars(vs []admin.EnvVar) ([]byte, error) {
	out := make([]envVarJSON, len(vs))
	for i, v := range vs {
		out[i] = envVarJSON{Name: v.Name, Scope: v.Scope, KeyID: v.KeyID, Sealed: v.Sealed, UpdatedAt: v.UpdatedAt.UTC().Truncate(time.Microsecond)}
	}
	b, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("encode env vars: %w", err)
	}
	return b, nil
}

// decodeEnvVars reads a stored JSON array; JSON null, which a row written by
// something else than this store could hold, reads as empty. The result is
// never nil.
func decodeEnvVars(b []byte) ([]admin.EnvVar, error) {
	var in []envVarJSON
	if err := json.Unmarshal(orNull(b), &in); err != nil {
		return nil, fmt.Errorf("decode env vars: %w", err)
	}
	out := make([]admin.EnvVar, len(in))
	for i, v := range in {
		out[i] = admin.EnvVar{Name: v.Name, Scope: v.Scope, KeyID: v.KeyID, Sealed: v.Sealed, UpdatedAt: v.UpdatedAt.UTC()}
	}
	return out, nil
}

// encodeMap returns m as a JSON object ("{}" for nil).
func encodeMap(m map[string]string) ([]byte, error) {
	if m == nil {
		return []byte("{}"), nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode map: %w", err)
	}
	return b, nil
}

// decodeMap reads a stored JSON object; null reads as empty. The result is
// never nil.
func decodeMap(b []byte) (map[string]string, error) {
	var m map[string]string
	if err := json.Unmarshal(orNull(b), &m); err != nil {
		return nil, fmt.Errorf("decode map: %w", err)
	}
	if m == nil {
		m = map[string]string{}
	}
	return m, nil
}

// orNull turns SQL NULL (nil bytes) into JSON null.
func orNull(b []byte) []byte {
	if len(b) == 0 {
		return []byte("null")
	}
	return b
}
