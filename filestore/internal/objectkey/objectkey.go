// Package objectkey maps FileStorage paths to the keys of an object store
// (S3, GCS) under an optional prefix, so that the adapters validate, join and
// strip keys the same way.
package objectkey

import (
	"fmt"
	"strings"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Space is the part of a bucket that one store owns: every key that starts
// with its prefix. The zero Space owns the whole bucket.
type Space struct {
	prefix string // "" or a valid path ending in "/"
}

// NewSpace returns the Space under prefix, a path as for admin.CheckFilePath
// with or without a trailing "/"; "" means the whole bucket. The prefix
// always names a folder: "team-a" owns "team-a/..." and never "team-ab/...".
func NewSpace(prefix string) (Space, error) {
	if prefix == "" {
		return Space{}, nil
	}
	if err := admin.CheckFilePrefix(prefix); err != nil {
		return Space{}, fmt.Errorf("prefix %q: %w", prefix, err)
	}
	return Space{prefix: strings.TrimSuffix(prefix, "/") + "/"}, nil
}

// Prefix returns the Space's key prefix: "" or a path ending in "/".
func (s Space) Prefix() string { return s.prefix }

// Key validates path with admin.CheckFilePath and returns its object key.
func (s Space) Key(path string) (string, error) {
	if err := admin.CheckFilePath(path); err != nil {
		return "", err
	}
	return s.prefix + path, nil
}

// ListPrefix validates a listing prefix with admin.CheckFilePrefix and
// returns the object-key prefix to list.
func (s Space) ListPrefix(prefix string) (string, error) {
	if err := admin.CheckFilePrefix(prefix); err != nil {
		return "", err
	}
	return s.prefix + prefix, nil
}

// Path returns the FileStorage path of an object key found by listing, and
// false for a key outside the Space or one that is not a valid path (a
// "folder/" marker made by a console, a key written by another tool), which
// no store method could address.
func (s Space) Path(key string) (string, bool) {
	p, ok := strings.CutPrefix(key, s.prefix)
	if !ok || admin.CheckFilePath(p) != nil {
		return "", false
	}
	return p, true
}
