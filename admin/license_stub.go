package admin

import (
	"crypto/ed25519"
	"time"
)

// Temporary: replaced by license.go and secrets.go.
type License struct{}

func DevelopmentLicense() *License                             { return &License{} }
func ParseLicense(string, ed25519.PublicKey) (*License, error) { return nil, nil }
func (l *License) Check(time.Time) error                       { return nil }

type Keyring struct{}

func NewKeyring(string, map[string][]byte) (*Keyring, error) { return nil, nil }
