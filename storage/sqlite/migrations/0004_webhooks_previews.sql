-- 0004: the commit a build copied (versioned sources), webhook deliveries
-- (each delivery id once: a redelivery is ignored), and the previews the
-- platform made from pull requests and branches (only those are ever torn
-- down by it).
ALTER TABLE builds ADD COLUMN commit_sha TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN commit_author TEXT NOT NULL DEFAULT '';
ALTER TABLE builds ADD COLUMN commit_message TEXT NOT NULL DEFAULT '';

CREATE TABLE webhook_deliveries (
    id          TEXT PRIMARY KEY,
    provider    TEXT NOT NULL,
    event       TEXT NOT NULL,
    received_at INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received_at);

CREATE TABLE previews (
    deployment_id TEXT PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,
    branch        TEXT NOT NULL,
    head_sha      TEXT NOT NULL,
    head_repo     TEXT NOT NULL,
    fork          INTEGER NOT NULL,
    approved_sha  TEXT NOT NULL,
    closed_at     INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL
) STRICT;
CREATE INDEX previews_project ON previews (project_id, deployment_id);
