package admin

import (
	"context"
	"errors"
	"fmt"
)

// Permission is one thing a role may do in a team.
type Permission string

// Team permissions.
const (
	PermTeamRead         Permission = "team:read"
	PermTeamUpdate       Permission = "team:update"
	PermTeamDelete       Permission = "team:delete"
	PermMembersManage    Permission = "members:manage"
	PermProjectRead      Permission = "project:read"
	PermProjectCreate    Permission = "project:create"
	PermProjectUpdate    Permission = "project:update"
	PermProjectDelete    Permission = "project:delete"
	PermEnvWrite         Permission = "env:write"
	PermDeploymentManage Permission = "deployment:manage"
	PermDeploy           Permission = "deployment:deploy"
	PermAuditRead        Permission = "audit:read"
)

// permissions is the permission matrix: the one table that says which role
// may do what in a team. Platform admins and the system principal may do
// everything in every team.
var permissions = map[Role][]Permission{
	RoleOwner: {PermTeamRead, PermTeamUpdate, PermTeamDelete, PermMembersManage,
		PermProjectRead, PermProjectCreate, PermProjectUpdate, PermProjectDelete, PermEnvWrite,
		PermDeploymentManage, PermDeploy, PermAuditRead},
	RoleAdmin: {PermTeamRead, PermTeamUpdate, PermMembersManage,
		PermProjectRead, PermProjectCreate, PermProjectUpdate, PermProjectDelete, PermEnvWrite,
		PermDeploymentManage, PermDeploy, PermAuditRead},
	RoleDeveloper: {PermTeamRead, PermProjectRead, PermProjectCreate, PermProjectUpdate, PermEnvWrite,
		PermDeploymentManage, PermDeploy},
	RoleViewer: {PermTeamRead, PermProjectRead},
}

// RoleAllows reports whether role grants perm in the permission matrix.
func RoleAllows(role Role, perm Permission) bool {
	return allowed(permissions, role, perm)
}

// authorize resolves the acting principal and checks that it holds perm in
// team teamID. It returns the actor and, for members, their role.
func (a *Admin) authorize(ctx context.Context, teamID string, perm Permission) (actor, Role, error) {
	ac, err := a.whoami(ctx)
	if err != nil {
		return ac, "", err
	}
	if ac.TeamID != "" && ac.TeamID != teamID {
		return ac, "", fmt.Errorf("the token is limited to team %s: %w", ac.TeamID, ErrForbidden)
	}
	if ac.adminOf(teamID) {
		return ac, RoleOwner, nil
	}
	m, err := a.store.GetMember(ctx, teamID, ac.UserID)
	if errors.Is(err, ErrNotFound) {
		return ac, "", fmt.Errorf("user %s is not a member of team %s: %w", ac.UserID, teamID, ErrForbidden)
	}
	if err != nil {
		return ac, "", err
	}
	if !RoleAllows(m.Role, perm) {
		return ac, m.Role, fmt.Errorf("role %s may not %s: %w", m.Role, perm, ErrForbidden)
	}
	return ac, m.Role, nil
}

// requirePlatformAdmin checks that the principal holds platform-wide rights:
// the system, or a platform admin not limited to one team.
func (a *Admin) requirePlatformAdmin(ctx context.Context) (actor, error) {
	ac, err := a.whoami(ctx)
	if err != nil {
		return ac, err
	}
	if !ac.platformAdmin() {
		return ac, fmt.Errorf("only platform admins may do this: %w", ErrForbidden)
	}
	return ac, nil
}
