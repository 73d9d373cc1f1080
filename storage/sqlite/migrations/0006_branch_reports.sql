-- 0006: of each deployment a push deployed, the repository its builds are
-- reported to and the state last reported (reported once, and after a
-- restart when it changed meanwhile).
CREATE TABLE branch_reports (
    deployment_id TEXT PRIMARY KEY REFERENCES deployments (id) ON DELETE CASCADE,
    project_id    TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    repo          TEXT NOT NULL,
    reported      TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    version       INTEGER NOT NULL
) STRICT;
CREATE INDEX branch_reports_project ON branch_reports (project_id, deployment_id);
