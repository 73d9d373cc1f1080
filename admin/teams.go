package admin

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// NewTeam is the input of CreateTeam.
type NewTeam struct {
	Name string `json:"name"`
	// Slug is optional; by default it is derived from Name and made unique.
	Slug string `json:"slug,omitempty"`
}

// TeamUpdate changes a team; nil fields stay as they are. Slugs never change:
// they are part of URLs and host names.
type TeamUpdate struct {
	Name *string `json:"name,omitempty"`
}

// createWithSlug stores an object under the requested slug or, when none was
// requested, under the slug derived from its name, adding "-2", "-3" … until
// one is free. An explicit slug that is taken is an ErrAlreadyExists naming
// the field.
func createWithSlug(requested, name, fallback string, create func(slug string) error) error {
	if requested != "" {
		if err := ValidateSlug("slug", requested); err != nil {
			return err
		}
		if err := create(requested); errors.Is(err, ErrAlreadyExists) {
			return fmt.Errorf("slug %q is taken: %w", requested, err)
		} else {
			return err
		}
	}
	base := Slugify(name, fallback)
	for i := 1; i <= 50; i++ {
		slug := base
		if i > 1 {
			slug = base + "-" + strconv.Itoa(i)
		}
		err := create(slug)
		if !errors.Is(err, ErrAlreadyExists) {
			return err
		}
	}
	return fmt.Errorf("no free slug derived from %q: %w", name, ErrAlreadyExists)
}

// CreateTeam creates a team with the acting user as its owner.
func (a *Admin) CreateTeam(ctx context.Context, in NewTeam) (t *Team, err error) {
	o := a.begin("team.create", "team", "", "")
	defer func() { o.end(ctx, err) }()
	ac, err := a.whoami(ctx)
	if err != nil {
		return nil, err
	}
	if ac.user == nil {
		return nil, invalid("principal", "a team needs a user as its first owner; use CreateTeamFor with the system principal")
	}
	return a.createTeam(ctx, o, ac, in, ac.UserID)
}

// CreateTeamFor creates a team owned by ownerID. Only platform admins may.
func (a *Admin) CreateTeamFor(ctx context.Context, ownerID string, in NewTeam) (t *Team, err error) {
	o := a.begin("team.create", "team", "", "")
	defer func() { o.end(ctx, err) }()
	ac, err := a.requirePlatformAdmin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := a.store.GetUser(ctx, ownerID); err != nil {
		return nil, fmt.Errorf("owner %s: %w", ownerID, err)
	}
	return a.createTeam(ctx, o, ac, in, ownerID)
}

func (a *Admin) createTeam(ctx context.Context, o *op, ac actor, in NewTeam, ownerID string) (*Team, error) {
	if ac.TeamID != "" {
		return nil, fmt.Errorf("a team-scoped token may not create teams: %w", ErrForbidden)
	}
	name, err := validateName("name", in.Name)
	if err != nil {
		return nil, err
	}
	n, err := a.store.CountTeams(ctx)
	if err != nil {
		return nil, err
	}
	if err := a.checkLimit(LimitTeams, n); err != nil {
		return nil, err
	}
	now := a.clock()
	t := &Team{ID: NewID(prefixTeam, now), Name: name, CreatedAt: now, UpdatedAt: now, Version: 1}
	o.ev.TargetID, o.ev.TeamID = t.ID, t.ID
	owner := &TeamMember{TeamID: t.ID, UserID: ownerID, Role: RoleOwner, CreatedAt: now, UpdatedAt: now, Version: 1}
	err = createWithSlug(in.Slug, name, "team", func(slug string) error {
		t.Slug = slug
		return a.store.CreateTeamWithOwner(ctx, t, owner)
	})
	if err != nil {
		return nil, err
	}
	return t, nil
}

// GetTeam returns a team the principal may read.
func (a *Admin) GetTeam(ctx context.Context, id string) (*Team, error) {
	if _, _, err := a.authorize(ctx, id, PermTeamRead); err != nil {
		return nil, err
	}
	return a.store.GetTeam(ctx, id)
}

// ListTeams lists the teams the principal belongs to (platform admins: all).
func (a *Admin) ListTeams(ctx context.Context, page Page) (List[*Team], error) {
	ac, err := a.whoami(ctx)
	if err != nil {
		return List[*Team]{}, err
	}
	if ac.TeamID != "" {
		t, err := a.store.GetTeam(ctx, ac.TeamID)
		if err != nil {
			return List[*Team]{}, err
		}
		return List[*Team]{Items: []*Team{t}}, nil
	}
	userID := ac.UserID
	if ac.platformAdmin() {
		userID = ""
	}
	return paginate(page, func(p Page) ([]*Team, error) { return a.store.ListTeams(ctx, userID, p) },
		func(t *Team) string { return t.ID })
}

// UpdateTeam renames a team.
func (a *Admin) UpdateTeam(ctx context.Context, id string, up TeamUpdate) (t *Team, err error) {
	o := a.begin("team.update", "team", id, id)
	defer func() { o.end(ctx, err) }()
	if _, _, err := a.authorize(ctx, id, PermTeamUpdate); err != nil {
		return nil, err
	}
	var name string
	if up.Name != nil {
		if name, err = validateName("name", *up.Name); err != nil {
			return nil, err
		}
	}
	return t, retryConflict(ctx, func() error {
		if t, err = a.store.GetTeam(ctx, id); err != nil {
			return err
		}
		if up.Name != nil {
			t.Name = name
		}
		t.UpdatedAt = a.clock()
		return a.store.UpdateTeam(ctx, t)
	})
}

// DeleteTeam deletes a team and its memberships. It fails with ErrConflict
// while the team has projects: delete those first.
func (a *Admin) DeleteTeam(ctx context.Context, id string) (err error) {
	o := a.begin("team.delete", "team", id, id)
	defer func() { o.end(ctx, err) }()
	if _, _, err := a.authorize(ctx, id, PermTeamDelete); err != nil {
		return err
	}
	if err := a.store.DeleteTeam(ctx, id); err != nil {
		if errors.Is(err, ErrConflict) {
			return fmt.Errorf("team %s still has projects; delete them first: %w", id, err)
		}
		return err
	}
	return nil
}

// AddMember adds a user to a team with a role. Only owners may add owners.
func (a *Admin) AddMember(ctx context.Context, teamID, userID string, role Role) (m *TeamMember, err error) {
	o := a.begin("member.add", "user", userID, teamID)
	o.ev.Metadata["role"] = string(role)
	defer func() { o.end(ctx, err) }()
	_, myRole, err := a.authorize(ctx, teamID, PermMembersManage)
	if err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, invalid("role", "%q is not one of owner, admin, developer, viewer", role)
	}
	if role == RoleOwner && myRole != RoleOwner {
		return nil, fmt.Errorf("only owners may make owners: %w", ErrForbidden)
	}
	if _, err := a.store.GetUser(ctx, userID); err != nil {
		return nil, fmt.Errorf("user %s: %w", userID, err)
	}
	now := a.clock()
	m = &TeamMember{TeamID: teamID, UserID: userID, Role: role, CreatedAt: now, UpdatedAt: now, Version: 1}
	if err := a.store.AddMember(ctx, m); err != nil {
		if errors.Is(err, ErrAlreadyExists) {
			return nil, fmt.Errorf("user %s is already a member of team %s: %w", userID, teamID, err)
		}
		return nil, err
	}
	return m, nil
}

// SetMemberRole changes a member's role. Only owners may promote to or
// demote from owner; the last owner cannot be demoted.
func (a *Admin) SetMemberRole(ctx context.Context, teamID, userID string, role Role) (m *TeamMember, err error) {
	o := a.begin("member.role", "user", userID, teamID)
	o.ev.Metadata["role"] = string(role)
	defer func() { o.end(ctx, err) }()
	_, myRole, err := a.authorize(ctx, teamID, PermMembersManage)
	if err != nil {
		return nil, err
	}
	if !role.Valid() {
		return nil, invalid("role", "%q is not one of owner, admin, developer, viewer", role)
	}
	return m, retryConflict(ctx, func() error {
		if m, err = a.store.GetMember(ctx, teamID, userID); err != nil {
			return err
		}
		if (m.Role == RoleOwner || role == RoleOwner) && myRole != RoleOwner {
			return fmt.Errorf("only owners may promote to or demote from owner: %w", ErrForbidden)
		}
		m.Role = role
		m.UpdatedAt = a.clock()
		if err := a.store.UpdateMember(ctx, m); err != nil {
			return lastOwnerError(err, teamID)
		}
		return nil
	})
}

// RemoveMember removes a user from a team. Members may always leave; owners'
// removal needs an owner; the last owner cannot be removed.
func (a *Admin) RemoveMember(ctx context.Context, teamID, userID string) (err error) {
	o := a.begin("member.remove", "user", userID, teamID)
	defer func() { o.end(ctx, err) }()
	ac, err := a.whoami(ctx)
	if err != nil {
		return err
	}
	myRole := Role("")
	if ac.UserID != userID || ac.TeamID != "" && ac.TeamID != teamID {
		if _, myRole, err = a.authorize(ctx, teamID, PermMembersManage); err != nil {
			return err
		}
	}
	m, err := a.store.GetMember(ctx, teamID, userID)
	if err != nil {
		return err
	}
	if m.Role == RoleOwner && ac.UserID != userID && myRole != RoleOwner {
		return fmt.Errorf("only owners may remove owners: %w", ErrForbidden)
	}
	return lastOwnerError(a.store.RemoveMember(ctx, teamID, userID), teamID)
}

func lastOwnerError(err error, teamID string) error {
	if errors.Is(err, ErrConflict) {
		return fmt.Errorf("team %s must keep at least one owner: %w", teamID, err)
	}
	return err
}

// ListMembers lists a team's members.
func (a *Admin) ListMembers(ctx context.Context, teamID string, page Page) (List[*TeamMember], error) {
	if _, _, err := a.authorize(ctx, teamID, PermTeamRead); err != nil {
		return List[*TeamMember]{}, err
	}
	return paginate(page, func(p Page) ([]*TeamMember, error) { return a.store.ListMembers(ctx, teamID, p) },
		func(m *TeamMember) string { return m.UserID })
}
