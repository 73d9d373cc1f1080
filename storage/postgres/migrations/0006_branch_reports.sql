-- 0006: of each deployment a push deployed, the repository its builds are
-- reported to and the state last reported (reported once, and after a
-- restart when it changed meanwhile).
CREATE TABLE mastra_admin_branch_reports (
    deployment_id text COLLATE "C" PRIMARY KEY REFERENCES mastra_admin_deployments (id) ON DELETE CASCADE,
    project_id    text COLLATE "C" NOT NULL REFERENCES mastra_admin_projects (id) ON DELETE CASCADE,
    repo          text NOT NULL,
    reported      text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    version       bigint NOT NULL
);
CREATE INDEX mastra_admin_branch_reports_project_idx ON mastra_admin_branch_reports (project_id, deployment_id);
