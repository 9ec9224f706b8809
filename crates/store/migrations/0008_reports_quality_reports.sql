CREATE TABLE quality_reports (
    id {ID},
    period TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    number BIGINT NOT NULL DEFAULT 0,
    narrative_json TEXT NOT NULL,
    data_json TEXT,
    published BIGINT NOT NULL DEFAULT 0,
    row_version BIGINT NOT NULL DEFAULT 1,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    issued_by TEXT,
    issued_on TEXT
);
CREATE UNIQUE INDEX quality_reports_period ON quality_reports(period);
