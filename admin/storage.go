package admin

import (
	"context"
	"time"
)

// Page selects one page of a listing. Listings are ordered by id, which
// orders by creation time (see NewID); the cursor is the last id of the
// previous page, so pages stay stable while rows are added.
type Page struct {
	// Limit is the most rows to return; 0 or less means no limit.
	Limit int
	// After returns rows whose id sorts after this one (before it with Desc).
	After string
	// Desc lists newest first.
	Desc bool
}

// ProjectFilter narrows ListProjects. Zero fields match everything.
type ProjectFilter struct {
	TeamID string
}

// BuildFilter narrows ListBuilds. Zero fields match everything.
type BuildFilter struct {
	DeploymentID string
	ProjectID    string
	Statuses     []BuildStatus // any of these
	// InFlight keeps only the builds in flight (see BuildStore).
	InFlight bool
	// CompletedAfter, when not zero, keeps only the builds whose CompletedAt
	// is after it.
	CompletedAfter time.Time
}

// ServerFilter narrows ListServers. Zero fields match everything.
type ServerFilter struct {
	DeploymentID string
	BuildID      string
	Statuses     []ServerStatus // any of these
}

// AuditFilter narrows ListAudit. Zero fields match everything.
type AuditFilter struct {
	TeamID   string
	ActorID  string
	TargetID string
	Action   string
}

// Storage persists the platform's state. It is a set of small stores, one per
// kind of object, so that a reader can see each contract at a glance.
//
// Rules every method follows (storagetest checks them all):
//   - Create stores the object as given (the Admin sets ids, timestamps and
//     Version 1) and returns ErrAlreadyExists when its id or a unique key is
//     taken, and ErrConflict when a parent it references (team, user,
//     project, deployment, build) does not exist. Unique keys: User.Email; Team.Slug; Project.Slug (platform-wide:
//     it is a host name); Deployment (ProjectID, Slug); TeamMember (TeamID,
//     UserID); APIToken.Hash.
//   - Get returns ErrNotFound when nothing matches.
//   - Update writes every mutable field of the object if the stored Version
//     equals obj.Version, then stores and sets obj.Version+1; otherwise it
//     returns ErrConflict (or ErrNotFound when the row is gone). Lost updates
//     are therefore impossible. Ids, parents and CreatedAt never change.
//   - Delete returns ErrNotFound when nothing matched.
//   - An empty parent id in a listing (ListDeployments, ListTokens) lists
//     every parent's rows, as empty filter fields do; ListMembers("") lists
//     none.
//   - Timestamps round-trip in UTC at microsecond precision; nil time
//     pointers stay nil. Maps and slices read back are never nil.
//   - Returned objects are the caller's to modify.
//   - Backend errors are wrapped with %w and name the operation.
type Storage interface {
	UserStore
	TeamStore
	ProjectStore
	DeploymentStore
	BuildStore
	ServerStore
	TokenStore
	AuditStore
	IngestStore
	// Close releases what the adapter opened itself (not a pool passed in).
	// It is idempotent; calls after Close return ErrClosed.
	Close() error
}

// UserStore persists users.
type UserStore interface {
	CreateUser(ctx context.Context, u *User) error
	GetUser(ctx context.Context, id string) (*User, error)
	GetUserByEmail(ctx context.Context, email string) (*User, error)
	ListUsers(ctx context.Context, page Page) ([]*User, error)
	UpdateUser(ctx context.Context, u *User) error
	// DeleteUser removes the user with their memberships and API tokens. It
	// returns ErrConflict, deleting nothing, when the user is the last owner
	// of a team.
	DeleteUser(ctx context.Context, id string) error
}

// TeamStore persists teams and their members.
type TeamStore interface {
	CreateTeam(ctx context.Context, t *Team) error
	GetTeam(ctx context.Context, id string) (*Team, error)
	GetTeamBySlug(ctx context.Context, slug string) (*Team, error)
	// ListTeams lists all teams, or with userID set only that user's.
	ListTeams(ctx context.Context, userID string, page Page) ([]*Team, error)
	CountTeams(ctx context.Context) (int, error)
	UpdateTeam(ctx context.Context, t *Team) error
	// DeleteTeam removes the team and its memberships. It returns
	// ErrConflict, deleting nothing, while the team still has projects.
	DeleteTeam(ctx context.Context, id string) error

	// CreateTeamWithOwner creates the team and its first owner atomically.
	// owner.TeamID must be t.ID and owner.Role RoleOwner; otherwise
	// ErrInvalidArgument.
	CreateTeamWithOwner(ctx context.Context, t *Team, owner *TeamMember) error
	AddMember(ctx context.Context, m *TeamMember) error
	GetMember(ctx context.Context, teamID, userID string) (*TeamMember, error)
	// ListMembers lists a team's members ordered by user id (Page.After is
	// a user id).
	ListMembers(ctx context.Context, teamID string, page Page) ([]*TeamMember, error)
	// UpdateMember changes a member's role. Atomically with the change, it
	// returns ErrConflict when the team would be left with no owner.
	UpdateMember(ctx context.Context, m *TeamMember) error
	// RemoveMember deletes a membership; ErrConflict, as UpdateMember, when
	// it would remove the team's last owner.
	RemoveMember(ctx context.Context, teamID, userID string) error
}

// ProjectStore persists projects.
type ProjectStore interface {
	CreateProject(ctx context.Context, p *Project) error
	GetProject(ctx context.Context, id string) (*Project, error)
	GetProjectBySlug(ctx context.Context, slug string) (*Project, error)
	ListProjects(ctx context.Context, f ProjectFilter, page Page) ([]*Project, error)
	// CountProjects counts all projects, or one team's with teamID set.
	CountProjects(ctx context.Context, teamID string) (int, error)
	UpdateProject(ctx context.Context, p *Project) error
	// DeleteProject removes the project with its deployments, their builds
	// and server records (the Admin refuses while any is live).
	DeleteProject(ctx context.Context, id string) error
}

// DeploymentStore persists deployments.
type DeploymentStore interface {
	CreateDeployment(ctx context.Context, d *Deployment) error
	GetDeployment(ctx context.Context, id string) (*Deployment, error)
	GetDeploymentBySlug(ctx context.Context, projectID, slug string) (*Deployment, error)
	ListDeployments(ctx context.Context, projectID string, page Page) ([]*Deployment, error)
	UpdateDeployment(ctx context.Context, d *Deployment) error
	// DeleteDeployment removes the deployment with its builds and server
	// records.
	DeleteDeployment(ctx context.Context, id string) error
}

// BuildStore persists builds and is the durable build queue.
//
// A build is in flight from its claim until its CompletedAt is set:
// CompletedAt is nil and either its status is building or deploying, or it
// ended (succeeded, failed or cancelled) after a claim (StartedAt is set)
// and its worker is still settling it. A queued build, or one that ended
// before a claim, is never in flight.
type BuildStore interface {
	CreateBuild(ctx context.Context, b *Build) error
	GetBuild(ctx context.Context, id string) (*Build, error)
	ListBuilds(ctx context.Context, f BuildFilter, page Page) ([]*Build, error)
	UpdateBuild(ctx context.Context, b *Build) error
	// ClaimBuild atomically takes the oldest queued build (by QueuedAt, then
	// id) whose deployment has no build in flight, sets it to building with
	// StartedAt = UpdatedAt = now and ClaimedBy = workerID, increments its
	// Version, and returns it. Concurrent claimers, in one process or
	// several, never get the same build, and builds of one deployment are
	// claimed in queue order. A claimer may pass over builds another claimer
	// is taking, so ErrNotFound means nothing was claimable by this caller at
	// that moment.
	ClaimBuild(ctx context.Context, workerID string, now time.Time) (*Build, error)
}

// ServerStore persists running-server records.
type ServerStore interface {
	CreateServer(ctx context.Context, s *RunningServer) error
	GetServer(ctx context.Context, id string) (*RunningServer, error)
	ListServers(ctx context.Context, f ServerFilter, page Page) ([]*RunningServer, error)
	UpdateServer(ctx context.Context, s *RunningServer) error
}

// TokenStore persists API tokens (hashes only).
type TokenStore interface {
	CreateToken(ctx context.Context, t *APIToken) error
	GetToken(ctx context.Context, id string) (*APIToken, error)
	GetTokenByHash(ctx context.Context, hash string) (*APIToken, error)
	// ListTokens lists a user's tokens.
	ListTokens(ctx context.Context, userID string, page Page) ([]*APIToken, error)
	UpdateToken(ctx context.Context, t *APIToken) error
	DeleteToken(ctx context.Context, id string) error
}

// AuditStore is the append-only audit log.
type AuditStore interface {
	AppendAudit(ctx context.Context, e *AuditEvent) error
	ListAudit(ctx context.Context, f AuditFilter, page Page) ([]*AuditEvent, error)
}

// CheckpointFilter narrows ListCheckpoints. Zero fields match everything.
type CheckpointFilter struct {
	ProjectID string
	BuildID   string
	// Unarchived keeps only the checkpoints whose file is not archived yet
	// (ArchivedAt is nil).
	Unarchived bool
	// ArchivedBefore, when not zero, keeps only the checkpoints whose file
	// was archived before it.
	ArchivedBefore time.Time
}

// IngestStore persists the ingestion worker's checkpoints: one per
// observability file, saying how much of it reached the observability
// store. Checkpoints reference no other object: they outlive the builds
// whose files they describe, until the archived file's retention ends.
// Create, Get, Update and Delete follow the rules of Storage; listings are
// ordered by ID.
type IngestStore interface {
	CreateCheckpoint(ctx context.Context, c *IngestCheckpoint) error
	GetCheckpoint(ctx context.Context, id string) (*IngestCheckpoint, error)
	ListCheckpoints(ctx context.Context, f CheckpointFilter, page Page) ([]*IngestCheckpoint, error)
	UpdateCheckpoint(ctx context.Context, c *IngestCheckpoint) error
	DeleteCheckpoint(ctx context.Context, id string) error
}
