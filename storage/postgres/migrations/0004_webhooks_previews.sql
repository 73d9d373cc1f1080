-- 0004: the commit a build copied (versioned sources), webhook deliveries
-- (each delivery id once: a redelivery is ignored), and the previews the
-- platform made from pull requests and branches (only those are ever torn
-- down by it).
ALTER TABLE mastra_admin_builds ADD COLUMN commit_sha text NOT NULL DEFAULT '';
ALTER TABLE mastra_admin_builds ADD COLUMN commit_author text NOT NULL DEFAULT '';
ALTER TABLE mastra_admin_builds ADD COLUMN commit_message text NOT NULL DEFAULT '';

CREATE TABLE mastra_admin_webhook_deliveries (
    id          text COLLATE "C" PRIMARY KEY,
    provider    text NOT NULL,
    event       text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX mastra_admin_webhook_deliveries_received_idx ON mastra_admin_webhook_deliveries (received_at);

CREATE TABLE mastra_admin_previews (
    deployment_id text COLLATE "C" PRIMARY KEY REFERENCES mastra_admin_deployments (id) ON DELETE CASCADE,
    project_id    text COLLATE "C" NOT NULL REFERENCES mastra_admin_projects (id) ON DELETE CASCADE,
    number        bigint NOT NULL,
    branch        text NOT NULL,
    head_sha      text NOT NULL,
    head_repo     text NOT NULL,
    fork          boolean NOT NULL,
    approved_sha  text NOT NULL,
    closed_at     timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint NOT NULL
);
CREATE INDEX mastra_admin_previews_project_idx ON mastra_admin_previews (project_id, deployment_id);
