CREATE TABLE assessment_schemes (
    id {ID},
    name TEXT NOT NULL,
    scheme_toml TEXT NOT NULL,
    applies_from BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE assessment_windows (
    id {ID},
    title TEXT NOT NULL,
    period BIGINT NOT NULL,
    opens_on TEXT NOT NULL,
    closes_on TEXT NOT NULL,
    closed_on TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX assessment_windows_period ON assessment_windows(period);
CREATE TABLE assessment_ratings (
    id {ID},
    window_id BIGINT NOT NULL REFERENCES assessment_windows(id),
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    evaluator TEXT NOT NULL,
    score DOUBLE PRECISION NOT NULL,
    comment TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (window_id, unit_id, evaluator)
);
