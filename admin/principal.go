package admin

import (
	"context"
	"errors"
	"fmt"
)

// Principal is who acts: a user, optionally limited to one team (a
// team-scoped API token), or the system itself (the Admin's workers and
// trusted embedding code).
type Principal struct {
	UserID string
	// TeamID, when set, limits the principal to that team: it keeps the
	// user's rights there and loses all others, platform-wide ones included.
	TeamID string
	system bool
}

// SystemPrincipal is the principal of the Admin's own workers; it passes
// every permission check. Embedding code may use it for trusted
// provisioning (for example, creating users from an SSO directory).
func SystemPrincipal() Principal { return Principal{system: true} }

// IsSystem reports whether p is the system principal.
func (p Principal) IsSystem() bool { return p.system }

// actorID names the principal in audit events.
func (p Principal) actorID() string {
	if p.system {
		return "system"
	}
	return p.UserID
}

type principalKey struct{}

// WithPrincipal returns a context carrying p. Every Admin method that reads
// or changes team data takes the acting principal from its context.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the principal in ctx, if any.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok && (p.system || p.UserID != "")
}

// actor is the authenticated principal with what the permission checks need.
type actor struct {
	Principal
	user *User // nil for the system principal
}

// adminOf reports whether the actor holds every right in team teamID without
// being a member, or, with teamID "", platform-wide rights (managing users,
// creating teams for others, the platform audit log). This is the one place
// the platform-admin flag becomes rights: the system principal has them
// all; a platform admin has them all through an unscoped principal, and
// through a team-scoped API token only in that token's team.
func (ac actor) adminOf(teamID string) bool {
	switch {
	case ac.system:
		return true
	case !ac.user.PlatformAdmin:
		return false
	case ac.TeamID == "":
		return true
	default:
		return teamID != "" && teamID == ac.TeamID
	}
}

// platformAdmin reports whether the actor holds platform-wide rights (see
// adminOf).
func (ac actor) platformAdmin() bool { return ac.adminOf("") }

// whoami resolves the principal in ctx: the user must still exist.
func (a *Admin) whoami(ctx context.Context) (actor, error) {
	if err := a.checkOpen(); err != nil {
		return actor{}, err
	}
	p, ok := PrincipalFrom(ctx)
	if !ok {
		return actor{}, ErrUnauthenticated
	}
	if p.system {
		return actor{Principal: p}, nil
	}
	u, err := a.store.GetUser(ctx, p.UserID)
	if errors.Is(err, ErrNotFound) {
		return actor{}, fmt.Errorf("user %s no longer exists: %w", p.UserID, ErrUnauthenticated)
	}
	if err != nil {
		return actor{}, err
	}
	return actor{Principal: p, user: u}, nil
}
