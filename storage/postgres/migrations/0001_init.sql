-- 0001: the initial schema.
--
-- Every table is prefixed with mastra_admin_ so that the store can share a
-- database (or a schema chosen through search_path) with other applications.
-- Ids and other keys that are ordered or compared use the "C" collation so
-- that ORDER BY id is byte order, whatever the database's locale.

CREATE TABLE mastra_admin_users (
    id             text COLLATE "C" PRIMARY KEY,
    email          text COLLATE "C" NOT NULL CONSTRAINT mastra_admin_users_email_key UNIQUE,
    name           text NOT NULL,
    platform_admin boolean NOT NULL,
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL
);

CREATE TABLE mastra_admin_teams (
    id         text COLLATE "C" PRIMARY KEY,
    name       text NOT NULL,
    slug       text COLLATE "C" NOT NULL CONSTRAINT mastra_admin_teams_slug_key UNIQUE,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL
);

-- Memberships go with their team and with their user.
CREATE TABLE mastra_admin_team_members (
    team_id    text COLLATE "C" NOT NULL REFERENCES mastra_admin_teams (id) ON DELETE CASCADE,
    user_id    text COLLATE "C" NOT NULL REFERENCES mastra_admin_users (id) ON DELETE CASCADE,
    role       text NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version    bigint NOT NULL,
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX mastra_admin_team_members_user_idx ON mastra_admin_team_members (user_id, team_id);

-- A team cannot be deleted while it has projects (RESTRICT).
CREATE TABLE mastra_admin_projects (
    id             text COLLATE "C" PRIMARY KEY,
    team_id        text COLLATE "C" NOT NULL REFERENCES mastra_admin_teams (id) ON DELETE RESTRICT,
    name           text NOT NULL,
    slug           text COLLATE "C" NOT NULL CONSTRAINT mastra_admin_projects_slug_key UNIQUE,
    source_type    text NOT NULL,
    source_config  jsonb NOT NULL CONSTRAINT mastra_admin_projects_source_config_object
                       CHECK (jsonb_typeof(source_config) = 'object'),
    default_branch text NOT NULL,
    env_vars       jsonb NOT NULL CONSTRAINT mastra_admin_projects_env_vars_array
                       CHECK (jsonb_typeof(env_vars) = 'array'),
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL
);
CREATE INDEX mastra_admin_projects_team_idx ON mastra_admin_projects (team_id, id);

CREATE TABLE mastra_admin_deployments (
    id                text COLLATE "C" PRIMARY KEY,
    project_id        text COLLATE "C" NOT NULL REFERENCES mastra_admin_projects (id) ON DELETE CASCADE,
    type              text NOT NULL,
    branch            text NOT NULL,
    slug              text COLLATE "C" NOT NULL,
    status            text NOT NULL,
    current_build_id  text COLLATE "C" NOT NULL,
    public_url        text NOT NULL,
    env_var_overrides jsonb NOT NULL CONSTRAINT mastra_admin_deployments_env_var_overrides_array
                          CHECK (jsonb_typeof(env_var_overrides) = 'array'),
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint NOT NULL,
    CONSTRAINT mastra_admin_deployments_project_slug_key UNIQUE (project_id, slug)
);

CREATE TABLE mastra_admin_builds (
    id              text COLLATE "C" PRIMARY KEY,
    deployment_id   text COLLATE "C" NOT NULL REFERENCES mastra_admin_deployments (id) ON DELETE CASCADE,
    project_id      text COLLATE "C" NOT NULL REFERENCES mastra_admin_projects (id) ON DELETE CASCADE,
    trigger         text NOT NULL,
    status          text NOT NULL,
    ref             text NOT NULL,
    source_build_id text COLLATE "C" NOT NULL,
    log_path        text NOT NULL,
    error           text NOT NULL,
    claimed_by      text NOT NULL,
    queued_at       timestamptz NOT NULL,
    started_at      timestamptz,
    completed_at    timestamptz,
    updated_at      timestamptz NOT NULL,
    version         bigint NOT NULL
);
-- The queue: ClaimBuild scans queued builds oldest first.
CREATE INDEX mastra_admin_builds_queue_idx ON mastra_admin_builds (queued_at, id) WHERE status = 'queued';
-- ... and checks that a candidate is the oldest queued build of its deployment.
CREATE INDEX mastra_admin_builds_deployment_queue_idx ON mastra_admin_builds (deployment_id, queued_at, id) WHERE status = 'queued';
CREATE INDEX mastra_admin_builds_deployment_idx ON mastra_admin_builds (deployment_id, status);
CREATE INDEX mastra_admin_builds_project_idx ON mastra_admin_builds (project_id, id);

-- Server records go with their deployment (and so with its project).
CREATE TABLE mastra_admin_servers (
    id             text COLLATE "C" PRIMARY KEY,
    deployment_id  text COLLATE "C" NOT NULL REFERENCES mastra_admin_deployments (id) ON DELETE CASCADE,
    build_id       text COLLATE "C" NOT NULL REFERENCES mastra_admin_builds (id) ON DELETE CASCADE,
    host           text NOT NULL,
    port           bigint NOT NULL,
    pid            bigint NOT NULL,
    handle         text NOT NULL,
    status         text NOT NULL,
    health         text NOT NULL,
    started_at     timestamptz NOT NULL,
    stopped_at     timestamptz,
    last_health_at timestamptz,
    updated_at     timestamptz NOT NULL,
    version        bigint NOT NULL
);
CREATE INDEX mastra_admin_servers_deployment_idx ON mastra_admin_servers (deployment_id, id);
CREATE INDEX mastra_admin_servers_build_idx ON mastra_admin_servers (build_id, id);

-- Tokens go with their user. team_id only narrows a token's reach; it is not
-- a reference, so a token outlives nothing it could still open.
CREATE TABLE mastra_admin_api_tokens (
    id           text COLLATE "C" PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL REFERENCES mastra_admin_users (id) ON DELETE CASCADE,
    team_id      text COLLATE "C" NOT NULL,
    name         text NOT NULL,
    hash         text COLLATE "C" NOT NULL CONSTRAINT mastra_admin_api_tokens_hash_key UNIQUE,
    prefix       text NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz,
    created_at   timestamptz NOT NULL,
    version      bigint NOT NULL
);
CREATE INDEX mastra_admin_api_tokens_user_idx ON mastra_admin_api_tokens (user_id, id);

-- The audit log references nothing: it outlives what it describes.
CREATE TABLE mastra_admin_audit_events (
    id          text COLLATE "C" PRIMARY KEY,
    time        timestamptz NOT NULL,
    actor_id    text COLLATE "C" NOT NULL,
    action      text NOT NULL,
    target_type text NOT NULL,
    target_id   text COLLATE "C" NOT NULL,
    team_id     text COLLATE "C" NOT NULL,
    outcome     text NOT NULL,
    metadata    jsonb NOT NULL CONSTRAINT mastra_admin_audit_events_metadata_object
                    CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE INDEX mastra_admin_audit_events_team_idx ON mastra_admin_audit_events (team_id, id);
CREATE INDEX mastra_admin_audit_events_actor_idx ON mastra_admin_audit_events (actor_id, id);
CREATE INDEX mastra_admin_audit_events_target_idx ON mastra_admin_audit_events (target_id, id);
