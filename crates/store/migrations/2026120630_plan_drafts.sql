-- Plans read from a file and waiting for the office to confirm the import after its preview.
CREATE TABLE plan_drafts (
    id {ID},
    base_version BIGINT NOT NULL,
    source_format TEXT NOT NULL,
    source_name TEXT NOT NULL,
    plan_toml TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
