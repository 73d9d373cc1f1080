// Package objectkey maps FileStorage paths to the keys of an object store
// (S3, GCS) under an optional prefix, and keeps the store's closed state, so
// that the adapters validate, join and strip keys and refuse calls after
// Close the same way.
package objectkey

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/mastra-admin/mastra-admin-go/admin"
)

// Space is the part of a bucket that one store owns: every key that starts
// with its prefix. The zero Space owns the whole bucket. A Space also
// records whether its store was closed (Close, Begin, Live); it is used
// through a pointer.
type Space struct {
	prefix string // "" or a valid path ending in "/"
	closed atomic.Bool
}

// NewSpace returns the Space under prefix, a path as for admin.CheckFilePath
// with or without a trailing "/"; "" means the whole bucket. The prefix
// always names a folder: "team-a" owns "team-a/..." and never "team-ab/...".
func NewSpace(prefix string) (*Space, error) {
	if prefix == "" {
		return &Space{}, nil
	}
	if err := admin.CheckFilePrefix(prefix); err != nil {
		return nil, fmt.Errorf("prefix %q: %w", prefix, err)
	}
	return &Space{prefix: strings.TrimSuffix(prefix, "/") + "/"}, nil
}

// Close marks the store closed: Begin and Live return admin.ErrClosed
// from then on.
func (s *Space) Close() { s.closed.Store(true) }

// Live returns admin.ErrClosed once the store is closed, else ctx's error.
func (s *Space) Live(ctx context.Context) error {
	if s.closed.Load() {
		return admin.ErrClosed
	}
	return ctx.Err()
}

// Begin starts a call on path: its object key, or the reason the call
// cannot go on (an invalid path, a closed store, an ended context).
func (s *Space) Begin(ctx context.Context, path string) (string, error) {
	key, err := s.Key(path)
	if err != nil {
		return "", err
	}
	return key, s.Live(ctx)
}

// Prefix returns the Space's key prefix: "" or a path ending in "/".
func (s *Space) Prefix() string { return s.prefix }

// Key validates path with admin.CheckFilePath and returns its object key.
func (s *Space) Key(path string) (string, error) {
	if err := admin.CheckFilePath(path); err != nil {
		return "", err
	}
	return s.prefix + path, nil
}

// ListPrefix validates a listing prefix with admin.CheckFilePrefix and
// returns the object-key prefix to list.
func (s *Space) ListPrefix(prefix string) (string, error) {
	if err := admin.CheckFilePrefix(prefix); err != nil {
		return "", err
	}
	return s.prefix + prefix, nil
}

// Path returns the FileStorage path of an object key found by listing, and
// false for a key outside the Space or one that is not a valid path (a
// "folder/" marker made by a console, a key written by another tool), which
// no store method could address.
func (s *Space) Path(key string) (string, bool) {
	p, ok := strings.CutPrefix(key, s.prefix)
	if !ok || admin.CheckFilePath(p) != nil {
		return "", false
	}
	return p, true
}
