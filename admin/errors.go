package admin

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package and by a conforming
// adapter wraps at most one of them, so callers branch with errors.Is.
// Adapters wrap backend errors with %w after naming the operation, for example
// fmt.Errorf("postgres: get build %q: %w", id, admin.ErrNotFound).
var (
	// ErrNotFound: the addressed object does not exist (or is not visible to
	// the caller; see ErrForbidden).
	ErrNotFound = errors.New("not found")
	// ErrAlreadyExists: an object with the same identity or unique key
	// (slug, email, membership) is already stored.
	ErrAlreadyExists = errors.New("already exists")
	// ErrConflict: the change is inconsistent with the stored state: a stale
	// version (optimistic concurrency), an object that still has children, an
	// invalid state transition, or the removal of a team's last owner.
	ErrConflict = errors.New("conflict")
	// ErrForbidden: the acting principal lacks the permission (RBAC).
	ErrForbidden = errors.New("forbidden")
	// ErrUnauthenticated: no principal is attached to the context.
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrInvalidArgument: the input is malformed. Usually a *ValidationError
	// naming the field.
	ErrInvalidArgument = errors.New("invalid argument")
	// ErrLicense: the license is missing, invalid, expired, or does not allow
	// the action (tier, feature or limit).
	ErrLicense = errors.New("license")
	// ErrNotSupported: the provider does not implement the operation.
	ErrNotSupported = errors.New("not supported")
	// ErrIntegrity: stored data failed authentication or cannot be
	// decrypted (tampering, or a missing or wrong key): a server-side fault,
	// not bad input.
	ErrIntegrity = errors.New("integrity")
	// ErrClosed: the Admin or adapter was closed.
	ErrClosed = errors.New("closed")
)

// ValidationError reports which input field was wrong and why. It wraps
// ErrInvalidArgument.
type ValidationError struct {
	Field  string // the field's name as the API spells it, e.g. "slug"
	Reason string // what is wrong, e.g. "must be a DNS label"
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid %s: %s", e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidArgument) true.
func (e *ValidationError) Unwrap() error { return ErrInvalidArgument }

func invalid(field, format string, args ...any) error {
	return &ValidationError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// LicenseError explains why the license refused an action. It wraps ErrLicense.
type LicenseError struct {
	Reason string
}

func (e *LicenseError) Error() string { return "license: " + e.Reason }

// Unwrap makes errors.Is(err, ErrLicense) true.
func (e *LicenseError) Unwrap() error { return ErrLicense }
