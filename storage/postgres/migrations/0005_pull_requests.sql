-- 0005: the newest state of each pull request (an event older than it is
-- ignored: events arrive out of order); of each preview, its base
-- repository and the state last reported to its pull request (reported
-- once, and after a restart when it changed meanwhile).
CREATE TABLE mastra_admin_pull_requests (
    project_id text COLLATE "C" NOT NULL REFERENCES mastra_admin_projects (id) ON DELETE CASCADE,
    number     bigint NOT NULL,
    open       boolean NOT NULL,
    head_sha   text NOT NULL,
    event_at   timestamptz NOT NULL,
    PRIMARY KEY (project_id, number)
);

ALTER TABLE mastra_admin_previews ADD COLUMN repo text NOT NULL DEFAULT '';
ALTER TABLE mastra_admin_previews ADD COLUMN reported text NOT NULL DEFAULT '';
