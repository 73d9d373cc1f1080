-- Ingestion checkpoints: one per observability file, saying how much of it
-- reached the observability store. No references: a checkpoint outlives
-- its build until the archived file's retention ends.
CREATE TABLE ingest_checkpoints (
    id                TEXT PRIMARY KEY,
    project_id        TEXT NOT NULL,
    deployment_id     TEXT NOT NULL,
    build_id          TEXT NOT NULL,
    kind              TEXT NOT NULL,
    fingerprint       TEXT NOT NULL,
    fingerprint_bytes INTEGER NOT NULL,
    offset_bytes      INTEGER NOT NULL,
    lines             INTEGER NOT NULL,
    quarantined       INTEGER NOT NULL,
    last_error        TEXT NOT NULL,
    archived_path     TEXT NOT NULL,
    archived_at       INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    version           INTEGER NOT NULL
) STRICT;
CREATE INDEX ingest_checkpoints_build ON ingest_checkpoints (build_id, id);
CREATE INDEX ingest_checkpoints_archived ON ingest_checkpoints (archived_at);
