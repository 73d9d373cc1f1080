package admin

import (
	"time"
)

// User is a person (or service account) known to the platform.
type User struct {
	ID    string `json:"id"`
	Email string `json:"email"` // unique, lower case
	Name  string `json:"name"`
	// PlatformAdmin users may act on every team and manage users.
	PlatformAdmin bool      `json:"platformAdmin"`
	CreatedAt     time.Time `json:"createdAt"`
	UpdatedAt     time.Time `json:"updatedAt"`
	// Version is the optimistic-concurrency counter: an update must carry the
	// version it read; the store increments it.
	Version int64 `json:"version"`
}

// Team groups users and owns projects.
type Team struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Slug      string    `json:"slug"` // unique on the platform
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// Role is a user's role in one team.
type Role string

// Roles, from most to least privileged.
const (
	RoleOwner     Role = "owner"
	RoleAdmin     Role = "admin"
	RoleDeveloper Role = "developer"
	RoleViewer    Role = "viewer"
)

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOwner, RoleAdmin, RoleDeveloper, RoleViewer:
		return true
	}
	return false
}

// TeamMember is a user's membership of a team.
type TeamMember struct {
	TeamID    string    `json:"teamId"`
	UserID    string    `json:"userId"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// SourceType names where a project's code comes from.
type SourceType string

// Source types.
const (
	SourceLocal  SourceType = "local"
	SourceGit    SourceType = "git"
	SourceGitHub SourceType = "github"
)

// Valid reports whether t is a defined source type.
func (t SourceType) Valid() bool {
	switch t {
	case SourceLocal, SourceGit, SourceGitHub:
		return true
	}
	return false
}

// EnvVar is one environment variable as stored: the value is sealed with
// AES-256-GCM under the key KeyID. It never leaves the Admin in plain text
// except towards the Runner.
type EnvVar struct {
	Name string `json:"name"`
	// Scope is "" for a var of every deployment, EnvScopePreview for a
	// project var that only preview deployments get (over the unscoped
	// var of the same name). Deployment overrides have none.
	Scope string `json:"scope,omitempty"`
	KeyID string `json:"keyId"`
	// Sealed is nonce || ciphertext || tag.
	Sealed    []byte    `json:"sealed"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// EnvVarInfo is what callers may see of an env var: never its value.
type EnvVarInfo struct {
	Name      string    `json:"name"`
	Scope     string    `json:"scope,omitempty"`
	KeyID     string    `json:"keyId"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Project is one Mastra application of a team.
type Project struct {
	ID     string `json:"id"`
	TeamID string `json:"teamId"`
	Name   string `json:"name"`
	// Slug is unique on the platform: it is the host label of the project's
	// production deployment ({slug}.{baseDomain}).
	Slug       string     `json:"slug"`
	SourceType SourceType `json:"sourceType"`
	// SourceConfig is the Source's settings (for local: "path"). Never nil
	// once read from a Storage.
	SourceConfig  map[string]string `json:"sourceConfig"`
	DefaultBranch string            `json:"defaultBranch"`
	// EnvVars are sealed; never nil once read from a Storage.
	EnvVars   []EnvVar  `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Version   int64     `json:"version"`
}

// DeploymentType is production, staging or preview.
type DeploymentType string

// Deployment types.
const (
	DeploymentProduction DeploymentType = "production"
	DeploymentStaging    DeploymentType = "staging"
	DeploymentPreview    DeploymentType = "preview"
)

// Valid reports whether t is a defined deployment type.
func (t DeploymentType) Valid() bool {
	switch t {
	case DeploymentProduction, DeploymentStaging, DeploymentPreview:
		return true
	}
	return false
}

// DeploymentStatus is the state of a deployment's serving side.
type DeploymentStatus string

// Deployment statuses.
const (
	DeploymentPending  DeploymentStatus = "pending"  // never built
	DeploymentBuilding DeploymentStatus = "building" // a build is in flight
	DeploymentRunning  DeploymentStatus = "running"  // a server is serving
	DeploymentStopped  DeploymentStatus = "stopped"
	DeploymentFailed   DeploymentStatus = "failed"
)

// Deployment is one running environment of a project: its production,
// staging, or a branch / pull-request preview.
type Deployment struct {
	ID        string         `json:"id"`
	ProjectID string         `json:"projectId"`
	Type      DeploymentType `json:"type"`
	Branch    string         `json:"branch"`
	// Slug is unique within the project; production's is "production".
	Slug           string           `json:"slug"`
	Status         DeploymentStatus `json:"status"`
	CurrentBuildID string           `json:"currentBuildId,omitempty"`
	PublicURL      string           `json:"publicUrl,omitempty"`
	// EnvVarOverrides are sealed and override the project's env vars of the
	// same name; never nil once read from a Storage.
	EnvVarOverrides []EnvVar  `json:"-"`
	CreatedAt       time.Time `json:"createdAt"`
	UpdatedAt       time.Time `json:"updatedAt"`
	Version         int64     `json:"version"`
}

// BuildTrigger says what started a build.
type BuildTrigger string

// Build triggers.
const (
	TriggerManual   BuildTrigger = "manual"
	TriggerWebhook  BuildTrigger = "webhook"
	TriggerSchedule BuildTrigger = "schedule"
	TriggerRollback BuildTrigger = "rollback"
	// TriggerPromote: another deployment's build promoted (Admin.Promote).
	TriggerPromote BuildTrigger = "promote"
)

// Valid reports whether t is a defined trigger.
func (t BuildTrigger) Valid() bool {
	switch t {
	case TriggerManual, TriggerWebhook, TriggerSchedule, TriggerRollback, TriggerPromote:
		return true
	}
	return false
}

// BuildStatus is a build's place in its life cycle:
// queued → building → deploying → succeeded | failed | cancelled.
type BuildStatus string

// Build statuses.
const (
	BuildQueued    BuildStatus = "queued"
	BuildBuilding  BuildStatus = "building"
	BuildDeploying BuildStatus = "deploying"
	BuildSucceeded BuildStatus = "succeeded"
	BuildFailed    BuildStatus = "failed"
	BuildCancelled BuildStatus = "cancelled"
)

// Build is one attempt to build and deploy a deployment.
type Build struct {
	ID           string       `json:"id"`
	DeploymentID string       `json:"deploymentId"`
	ProjectID    string       `json:"projectId"`
	Trigger      BuildTrigger `json:"trigger"`
	Status       BuildStatus  `json:"status"`
	// Ref is the branch, tag or commit built.
	Ref string `json:"ref,omitempty"`
	// SourceBuildID is set for rollbacks and promotions: the earlier build
	// whose artifact is deployed again (a rollback starts it where it is;
	// a promotion copies it into its own directory). Ref and the commit
	// fields are that build's.
	SourceBuildID string `json:"sourceBuildId,omitempty"`
	// Commit, CommitAuthor and CommitMessage are the commit a versioned
	// Source (an admin.RevisionSource: git, GitHub) copied for the build,
	// verified after checkout; empty for local sources and before the copy.
	Commit        string `json:"commit,omitempty"`
	CommitAuthor  string `json:"commitAuthor,omitempty"`
	CommitMessage string `json:"commitMessage,omitempty"`
	// LogPath is the FileStorage key of the flushed build log.
	LogPath string `json:"logPath,omitempty"`
	// Error says why a build failed or was cancelled.
	Error string `json:"error,omitempty"`
	// ClaimedBy names the worker that claimed the build.
	ClaimedBy   string     `json:"claimedBy,omitempty"`
	QueuedAt    time.Time  `json:"queuedAt"`
	StartedAt   *time.Time `json:"startedAt,omitempty"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
	UpdatedAt   time.Time  `json:"updatedAt"`
	Version     int64      `json:"version"`
}

// ArtifactBuildID is the build whose directory holds b's artifact: the
// source build of a rollback, b itself otherwise (a promotion copies the
// artifact it promotes).
func (b *Build) ArtifactBuildID() string {
	if b.Trigger == TriggerRollback && b.SourceBuildID != "" {
		return b.SourceBuildID
	}
	return b.ID
}

// Active reports whether the build is claimed and in flight.
func (s BuildStatus) Active() bool { return s == BuildBuilding || s == BuildDeploying }

// Terminal reports whether the build has ended.
func (s BuildStatus) Terminal() bool {
	return s == BuildSucceeded || s == BuildFailed || s == BuildCancelled
}

// Valid reports whether s is a defined build status.
func (s BuildStatus) Valid() bool { return s == BuildQueued || s.Active() || s.Terminal() }

// ServerStatus is the state of a running server process.
type ServerStatus string

// Server statuses. A crashed server's record is starting while an admin
// restarts it (the restart's claim: see RestartClaimTimeout), then stopped
// once the new server, with a record of its own, took over.
const (
	ServerStarting ServerStatus = "starting"
	ServerRunning  ServerStatus = "running"
	ServerStopping ServerStatus = "stopping"
	ServerStopped  ServerStatus = "stopped"
	ServerCrashed  ServerStatus = "crashed"
)

// Valid reports whether s is a defined server status.
func (s ServerStatus) Valid() bool {
	switch s {
	case ServerStarting, ServerRunning, ServerStopping, ServerStopped, ServerCrashed:
		return true
	}
	return false
}

// HealthStatus is the last health-check result of a server.
type HealthStatus string

// Health statuses.
const (
	HealthUnknown   HealthStatus = "unknown"
	HealthHealthy   HealthStatus = "healthy"
	HealthUnhealthy HealthStatus = "unhealthy"
)

// RunningServer is a server process started by a Runner for one build of a
// deployment.
type RunningServer struct {
	ID           string `json:"id"`
	DeploymentID string `json:"deploymentId"`
	BuildID      string `json:"buildId"`
	Host         string `json:"host"`
	Port         int    `json:"port"`
	// PID is the process id for process-based runners (0 otherwise).
	PID int `json:"pid,omitempty"`
	// Handle is the runner's own opaque identity of the process (for the
	// local runner: the process start time, to tell a reused PID apart).
	Handle       string       `json:"handle,omitempty"`
	Status       ServerStatus `json:"status"`
	Health       HealthStatus `json:"health"`
	StartedAt    time.Time    `json:"startedAt"`
	StoppedAt    *time.Time   `json:"stoppedAt,omitempty"`
	LastHealthAt *time.Time   `json:"lastHealthAt,omitempty"`
	UpdatedAt    time.Time    `json:"updatedAt"`
	Version      int64        `json:"version"`
}

// APIToken is a bearer token's stored form: only a hash of the secret.
type APIToken struct {
	ID     string `json:"id"`
	UserID string `json:"userId"`
	// TeamID limits the token to one team; empty means all of the user's
	// access.
	TeamID string `json:"teamId,omitempty"`
	Name   string `json:"name"`
	// Hash is the hex SHA-256 of the secret; unique.
	Hash string `json:"-"`
	// Prefix is the first characters of the secret, shown to help users tell
	// tokens apart.
	Prefix     string     `json:"prefix"`
	ExpiresAt  *time.Time `json:"expiresAt,omitempty"`
	RevokedAt  *time.Time `json:"revokedAt,omitempty"`
	LastUsedAt *time.Time `json:"lastUsedAt,omitempty"`
	CreatedAt  time.Time  `json:"createdAt"`
	Version    int64      `json:"version"`
}

// AuditOutcome is the result of an audited action.
type AuditOutcome string

// Audit outcomes.
const (
	OutcomeSuccess AuditOutcome = "success"
	OutcomeDenied  AuditOutcome = "denied"
	OutcomeFailure AuditOutcome = "failure"
)

// AuditEvent records one mutating action: who did what to which object,
// when, and how it ended.
type AuditEvent struct {
	ID         string       `json:"id"`
	Time       time.Time    `json:"time"`
	ActorID    string       `json:"actorId"` // user id, or "system"
	Action     string       `json:"action"`  // e.g. "project.create"
	TargetType string       `json:"targetType"`
	TargetID   string       `json:"targetId,omitempty"`
	TeamID     string       `json:"teamId,omitempty"`
	Outcome    AuditOutcome `json:"outcome"`
	// Metadata holds non-secret details (never env-var values or tokens);
	// never nil once read from a Storage.
	Metadata map[string]string `json:"metadata"`
}
