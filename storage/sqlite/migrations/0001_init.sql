-- The first schema. Times are INTEGER microseconds since the Unix epoch,
-- UTC; JSON columns hold arrays or objects, never NULL. Tables are STRICT so
-- a wrong type is an error, not a silent conversion.

CREATE TABLE users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    name           TEXT NOT NULL,
    platform_admin INTEGER NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL
) STRICT;

CREATE TABLE teams (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version    INTEGER NOT NULL
) STRICT;

CREATE TABLE team_members (
    team_id    TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (team_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX team_members_user ON team_members (user_id, team_id);

-- A team with projects cannot be deleted (no ON DELETE action: RESTRICT).
CREATE TABLE projects (
    id             TEXT PRIMARY KEY,
    team_id        TEXT NOT NULL REFERENCES teams (id),
    name           TEXT NOT NULL,
    slug           TEXT NOT NULL UNIQUE,
    source_type    TEXT NOT NULL,
    source_config  TEXT NOT NULL,
    default_branch TEXT NOT NULL,
    env_vars       TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL
) STRICT;
CREATE INDEX projects_team ON projects (team_id, id);

CREATE TABLE deployments (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    type              TEXT NOT NULL,
    branch            TEXT NOT NULL,
    slug              TEXT NOT NULL,
    status            TEXT NOT NULL,
    current_build_id  TEXT NOT NULL,
    public_url        TEXT NOT NULL,
    env_var_overrides TEXT NOT NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL,
    UNIQUE (project_id, slug)
) STRICT;
CREATE INDEX deployments_project ON deployments (project_id, id);

CREATE TABLE builds (
    id              TEXT PRIMARY KEY,
    deployment_id   TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    project_id      TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    trigger         TEXT NOT NULL,
    status          TEXT NOT NULL,
    ref             TEXT NOT NULL,
    source_build_id TEXT NOT NULL,
    log_path        TEXT NOT NULL,
    error           TEXT NOT NULL,
    claimed_by      TEXT NOT NULL,
    queued_at       INTEGER NOT NULL,
    started_at      INTEGER,
    completed_at    INTEGER,
    updated_at      INTEGER NOT NULL,
    version         INTEGER NOT NULL
) STRICT;
CREATE INDEX builds_deployment ON builds (deployment_id, status);
CREATE INDEX builds_project ON builds (project_id, id);
CREATE INDEX builds_status ON builds (status, queued_at, id);

CREATE TABLE servers (
    id             TEXT PRIMARY KEY,
    deployment_id  TEXT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    build_id       TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    host           TEXT NOT NULL,
    port           INTEGER NOT NULL,
    pid            INTEGER NOT NULL,
    handle         TEXT NOT NULL,
    status         TEXT NOT NULL,
    health         TEXT NOT NULL,
    started_at     INTEGER NOT NULL,
    stopped_at     INTEGER,
    last_health_at INTEGER,
    updated_at     INTEGER NOT NULL,
    version        INTEGER NOT NULL
) STRICT;
CREATE INDEX servers_deployment ON servers (deployment_id, id);
CREATE INDEX servers_build ON servers (build_id, id);
CREATE INDEX servers_status ON servers (status, id);

-- team_id has no foreign key on purpose: clearing it when the team goes
-- would widen the token to all of its user's access.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    team_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    created_at   INTEGER NOT NULL,
    version      INTEGER NOT NULL
) STRICT;
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);

-- Append-only; ids of actors and targets may outlive what they name.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    time        INTEGER NOT NULL,
    actor_id    TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    team_id     TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    metadata    TEXT NOT NULL
) STRICT;
CREATE INDEX audit_events_team ON audit_events (team_id, id);
CREATE INDEX audit_events_actor ON audit_events (actor_id, id);
CREATE INDEX audit_events_target ON audit_events (target_id, id);
