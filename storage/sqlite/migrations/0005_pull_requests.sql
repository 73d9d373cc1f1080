-- 0005: the newest state of each pull request (an event older than it is
-- ignored: events arrive out of order); of each preview, its base
-- repository and the state last reported to its pull request (reported
-- once, and after a restart when it changed meanwhile).
CREATE TABLE pull_requests (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    number     INTEGER NOT NULL,
    open       INTEGER NOT NULL,
    head_sha   TEXT NOT NULL,
    event_at   INTEGER NOT NULL,
    PRIMARY KEY (project_id, number)
) STRICT;

ALTER TABLE previews ADD COLUMN repo TEXT NOT NULL DEFAULT '';
ALTER TABLE previews ADD COLUMN reported TEXT NOT NULL DEFAULT '';
