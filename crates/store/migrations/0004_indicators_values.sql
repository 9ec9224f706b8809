CREATE TABLE indicator_values (
    id {ID},
    indicator TEXT NOT NULL,
    measure TEXT NOT NULL,
    year BIGINT NOT NULL,
    value DOUBLE PRECISION,
    judged BIGINT,
    comment TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    unit_id BIGINT REFERENCES org_units(id),
    entered_by TEXT NOT NULL,
    entered_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT,
    UNIQUE (indicator, measure, year, version)
);
CREATE INDEX indicator_values_status ON indicator_values(status, indicator);
CREATE TABLE indicator_value_evidence (
    value_id BIGINT NOT NULL REFERENCES indicator_values(id),
    sha256 TEXT NOT NULL REFERENCES evidence_files(sha256),
    filename TEXT NOT NULL,
    PRIMARY KEY (value_id, sha256)
);
CREATE TABLE indicator_disclosure (
    indicator TEXT PRIMARY KEY,
    public BIGINT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
