CREATE TABLE plan_versions (
    id {ID},
    plan_code TEXT NOT NULL,
    version BIGINT NOT NULL,
    source_format TEXT NOT NULL,
    source_name TEXT NOT NULL,
    plan_toml TEXT NOT NULL,
    diff_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (plan_code, version)
);
