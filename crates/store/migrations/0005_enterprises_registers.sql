CREATE TABLE enterprises (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    code_kind TEXT NOT NULL,
    name TEXT NOT NULL,
    address TEXT NOT NULL,
    industry TEXT NOT NULL,
    size TEXT,
    town TEXT NOT NULL,
    chief_quality_officer TEXT NOT NULL,
    contact TEXT NOT NULL,
    file_opened TEXT,
    closed BIGINT NOT NULL DEFAULT 0,
    row_version BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX enterprises_name ON enterprises(name);
CREATE TABLE code_overrides (
    code TEXT PRIMARY KEY,
    reason TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE TABLE licences (
    id {ID},
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    product TEXT NOT NULL,
    issued TEXT,
    expires TEXT,
    UNIQUE (enterprise_id, kind, number)
);
CREATE INDEX licences_expires ON licences(expires);
CREATE TABLE credit_events (
    id {ID},
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    kind TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    serious BIGINT NOT NULL,
    summary TEXT NOT NULL,
    source TEXT NOT NULL,
    source_ref TEXT,
    unit_id BIGINT REFERENCES org_units(id),
    evidence_sha256 TEXT REFERENCES evidence_files(sha256),
    evidence_filename TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    withdrawn_at TEXT,
    withdrawn_reason TEXT,
    UNIQUE (source, source_ref)
);
CREATE INDEX credit_events_enterprise ON credit_events(enterprise_id, occurred_on);
CREATE TABLE credit_rules (
    id {ID},
    body TEXT NOT NULL,
    saved_by TEXT NOT NULL,
    saved_at TEXT NOT NULL
);
CREATE TABLE blacklist (
    id {ID},
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    state TEXT NOT NULL,
    reason TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_on TEXT NOT NULL,
    listed_on TEXT,
    until_on TEXT,
    row_version BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX blacklist_enterprise ON blacklist(enterprise_id);
CREATE TABLE blacklist_history (
    id {ID},
    listing_id BIGINT NOT NULL REFERENCES blacklist(id),
    action TEXT NOT NULL,
    state TEXT NOT NULL,
    comment TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE TABLE sampling (
    id {ID},
    report_no TEXT NOT NULL UNIQUE,
    plan TEXT NOT NULL,
    level TEXT NOT NULL,
    stage TEXT NOT NULL,
    enterprise_id BIGINT NOT NULL REFERENCES enterprises(id),
    product TEXT NOT NULL,
    category TEXT NOT NULL,
    kind TEXT NOT NULL,
    ccc BIGINT NOT NULL,
    batch TEXT NOT NULL,
    sampled_on TEXT NOT NULL,
    reported_on TEXT,
    year BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    failed_items TEXT NOT NULL,
    agency TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    recorded_by TEXT NOT NULL,
    recorded_at TEXT NOT NULL
);
CREATE INDEX sampling_enterprise ON sampling(enterprise_id);
CREATE INDEX sampling_year ON sampling(year, category);
CREATE TABLE sampling_followups (
    sampling_id BIGINT PRIMARY KEY REFERENCES sampling(id),
    status TEXT NOT NULL,
    rectify_by TEXT,
    rectified_on TEXT,
    reinspected_on TEXT,
    reinspection_passed BIGINT,
    penalty TEXT NOT NULL,
    note TEXT NOT NULL,
    row_version BIGINT NOT NULL DEFAULT 0,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE sampling_stats (
    year BIGINT NOT NULL,
    level TEXT NOT NULL,
    stage TEXT NOT NULL,
    kind TEXT NOT NULL,
    ccc BIGINT NOT NULL,
    category TEXT NOT NULL,
    batches BIGINT NOT NULL,
    passed BIGINT NOT NULL,
    PRIMARY KEY (year, level, stage, kind, ccc, category)
);
CREATE TABLE registry_owners (
    registry TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    PRIMARY KEY (registry, unit_code)
);
