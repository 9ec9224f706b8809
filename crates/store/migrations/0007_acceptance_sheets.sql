CREATE TABLE acceptance_sheets (
    id {ID},
    sheet_toml TEXT NOT NULL,
    source TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE acceptance_stages (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    sheet_toml TEXT NOT NULL,
    held_on TEXT NOT NULL,
    opened_by TEXT NOT NULL,
    opened_at TEXT NOT NULL
);
CREATE TABLE acceptance_findings (
    id {ID},
    stage_id BIGINT NOT NULL REFERENCES acceptance_stages(id),
    body TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE acceptance_rectifications (
    id {ID},
    stage_id BIGINT NOT NULL REFERENCES acceptance_stages(id),
    body TEXT NOT NULL,
    unit_code TEXT NOT NULL,
    deadline TEXT NOT NULL,
    content_code TEXT NOT NULL DEFAULT '',
    done BIGINT NOT NULL DEFAULT 0,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE acceptance_decisions (
    id {ID},
    stage_id BIGINT NOT NULL REFERENCES acceptance_stages(id),
    criterion TEXT NOT NULL,
    points DOUBLE PRECISION NOT NULL,
    proposed DOUBLE PRECISION NOT NULL,
    veto_failed BIGINT NOT NULL DEFAULT 0,
    overridden BIGINT NOT NULL DEFAULT 0,
    comment TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL,
    decided_at TEXT NOT NULL,
    UNIQUE (stage_id, criterion)
);
