-- 0002: builds by completion: the builds in flight (completed_at IS NULL)
-- and those completed after a time, which the admin's workers look up on
-- every round, without a scan of the whole build history.

CREATE INDEX mastra_admin_builds_completed_idx ON mastra_admin_builds (completed_at);
