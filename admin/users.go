package admin

import (
	"context"
	"errors"
	"fmt"
)

// NewUser is the input of CreateUser and Bootstrap.
type NewUser struct {
	Email         string `json:"email"`
	Name          string `json:"name"`
	PlatformAdmin bool   `json:"platformAdmin"`
}

// UserUpdate changes a user; nil fields stay as they are.
type UserUpdate struct {
	Name          *string `json:"name,omitempty"`
	PlatformAdmin *bool   `json:"platformAdmin,omitempty"`
}

func (a *Admin) newUser(in NewUser) (*User, error) {
	email, err := validateEmail(in.Email)
	if err != nil {
		return nil, err
	}
	name, err := validateName("name", in.Name)
	if err != nil {
		return nil, err
	}
	now := a.clock()
	return &User{ID: NewID(prefixUser, now), Email: email, Name: name, PlatformAdmin: in.PlatformAdmin,
		CreatedAt: now, UpdatedAt: now, Version: 1}, nil
}

// Bootstrap creates the first user of an empty platform as a platform admin.
// It needs no principal and returns ErrConflict once any user exists.
func (a *Admin) Bootstrap(ctx context.Context, in NewUser) (u *User, err error) {
	o := a.begin("user.bootstrap", "user", "", "")
	defer func() { o.end(WithPrincipal(ctx, SystemPrincipal()), err) }()
	if err := a.checkOpen(); err != nil {
		return nil, err
	}
	existing, err := a.store.ListUsers(ctx, Page{Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(existing) > 0 {
		return nil, fmt.Errorf("bootstrap: the platform already has users: %w", ErrConflict)
	}
	in.PlatformAdmin = true
	if u, err = a.newUser(in); err != nil {
		return nil, err
	}
	o.ev.TargetID = u.ID
	if err := a.store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	return u, nil
}

// CreateUser adds a user. Only platform admins may.
func (a *Admin) CreateUser(ctx context.Context, in NewUser) (u *User, err error) {
	o := a.begin("user.create", "user", "", "")
	defer func() { o.end(ctx, err) }()
	if _, err := a.requirePlatformAdmin(ctx); err != nil {
		return nil, err
	}
	if u, err = a.newUser(in); err != nil {
		return nil, err
	}
	o.ev.TargetID = u.ID
	if n, err := a.countUsers(ctx); err != nil {
		return nil, err
	} else if err := a.checkLimit(LimitUsers, n); err != nil {
		return nil, err
	}
	if err := a.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, ErrAlreadyExists) {
			return nil, fmt.Errorf("a user with e-mail %s exists: %w", u.Email, err)
		}
		return nil, err
	}
	return u, nil
}

// countUsers counts users by walking pages of ids; user counts are small.
func (a *Admin) countUsers(ctx context.Context) (int, error) {
	n, after := 0, ""
	for {
		us, err := a.store.ListUsers(ctx, Page{Limit: MaxPageLimit, After: after})
		if err != nil {
			return 0, err
		}
		n += len(us)
		if len(us) < MaxPageLimit {
			return n, nil
		}
		after = us[len(us)-1].ID
	}
}

// Me returns the acting user.
func (a *Admin) Me(ctx context.Context) (*User, error) {
	ac, err := a.whoami(ctx)
	if err != nil {
		return nil, err
	}
	if ac.user == nil {
		return nil, fmt.Errorf("the system principal is not a user: %w", ErrNotFound)
	}
	return ac.user, nil
}

// GetUser returns a user: the acting user themself, or any user for platform
// admins.
func (a *Admin) GetUser(ctx context.Context, id string) (*User, error) {
	ac, err := a.whoami(ctx)
	if err != nil {
		return nil, err
	}
	if !ac.platformAdmin() && ac.UserID != id {
		return nil, fmt.Errorf("only platform admins may read other users: %w", ErrForbidden)
	}
	return a.store.GetUser(ctx, id)
}

// ListUsers lists users. Only platform admins may.
func (a *Admin) ListUsers(ctx context.Context, page Page) (List[*User], error) {
	if _, err := a.requirePlatformAdmin(ctx); err != nil {
		return List[*User]{}, err
	}
	return paginate(page, func(p Page) ([]*User, error) { return a.store.ListUsers(ctx, p) },
		func(u *User) string { return u.ID })
}

// UpdateUser changes a user's name (the user themself or a platform admin)
// or platform-admin flag (platform admins only; nobody may drop their own).
func (a *Admin) UpdateUser(ctx context.Context, id string, up UserUpdate) (u *User, err error) {
	o := a.begin("user.update", "user", id, "")
	defer func() { o.end(ctx, err) }()
	ac, err := a.whoami(ctx)
	if err != nil {
		return nil, err
	}
	if !ac.platformAdmin() && (ac.UserID != id || up.PlatformAdmin != nil) {
		return nil, fmt.Errorf("only platform admins may change other users or the platform-admin flag: %w", ErrForbidden)
	}
	if up.PlatformAdmin != nil && !*up.PlatformAdmin && ac.UserID == id {
		return nil, invalid("platformAdmin", "you may not remove your own platform-admin flag")
	}
	var name string
	if up.Name != nil {
		if name, err = validateName("name", *up.Name); err != nil {
			return nil, err
		}
	}
	return u, retryConflict(ctx, func() error {
		if u, err = a.store.GetUser(ctx, id); err != nil {
			return err
		}
		if up.Name != nil {
			u.Name = name
		}
		if up.PlatformAdmin != nil {
			u.PlatformAdmin = *up.PlatformAdmin
			o.ev.Metadata["platformAdmin"] = fmt.Sprint(*up.PlatformAdmin)
		}
		u.UpdatedAt = a.clock()
		return a.store.UpdateUser(ctx, u)
	})
}

// DeleteUser removes a user with their memberships and tokens. Only
// platform admins may, and not while the user is a team's last owner.
func (a *Admin) DeleteUser(ctx context.Context, id string) (err error) {
	o := a.begin("user.delete", "user", id, "")
	defer func() { o.end(ctx, err) }()
	ac, err := a.requirePlatformAdmin(ctx)
	if err != nil {
		return err
	}
	if ac.UserID == id {
		return invalid("id", "you may not delete yourself")
	}
	if err := a.store.DeleteUser(ctx, id); err != nil {
		if errors.Is(err, ErrConflict) {
			return fmt.Errorf("user %s is the last owner of a team; make someone else owner first: %w", id, err)
		}
		return err
	}
	return nil
}

// retryConflict runs a read-modify-write again while it meets ErrConflict
// (a stale version: someone else updated the row in between), a bounded
// number of times. A conflict that is not about versions fails again the
// same way and is returned after the last try.
func retryConflict(ctx context.Context, rmw func() error) error {
	var err error
	for range 5 {
		if err = rmw(); !errors.Is(err, ErrConflict) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return err
}
