-- 0003: ingestion checkpoints: one per observability file, saying how much
-- of it reached the observability store. No references: a checkpoint
-- outlives its build until the archived file's retention ends.

CREATE TABLE mastra_admin_ingest_checkpoints (
    id                text COLLATE "C" PRIMARY KEY,
    project_id        text COLLATE "C" NOT NULL,
    deployment_id     text COLLATE "C" NOT NULL,
    build_id          text COLLATE "C" NOT NULL,
    kind              text NOT NULL,
    fingerprint       text NOT NULL,
    fingerprint_bytes bigint NOT NULL,
    offset_bytes      bigint NOT NULL,
    lines             bigint NOT NULL,
    quarantined       bigint NOT NULL,
    last_error        text NOT NULL,
    archived_path     text NOT NULL,
    archived_at       timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    version           bigint NOT NULL
);
CREATE INDEX mastra_admin_ingest_checkpoints_build_idx ON mastra_admin_ingest_checkpoints (build_id, id);
CREATE INDEX mastra_admin_ingest_checkpoints_archived_idx ON mastra_admin_ingest_checkpoints (archived_at);
