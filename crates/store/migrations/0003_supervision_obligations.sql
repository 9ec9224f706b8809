CREATE TABLE obligations (
    id {ID},
    content_code TEXT NOT NULL,
    category TEXT NOT NULL,
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    duty TEXT NOT NULL,
    period_key TEXT NOT NULL,
    start_date TEXT,
    due_date TEXT NOT NULL,
    original_due TEXT NOT NULL,
    times BIGINT NOT NULL DEFAULT 1,
    status TEXT NOT NULL,
    percent BIGINT NOT NULL DEFAULT 0,
    submitted_at TEXT,
    submitted_on TEXT,
    accepted_on TEXT,
    retired BIGINT NOT NULL DEFAULT 0,
    row_version BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (content_code, unit_id, period_key)
);
CREATE INDEX obligations_unit ON obligations(unit_id, status);
CREATE INDEX obligations_due ON obligations(due_date);
CREATE INDEX obligations_tally ON obligations(retired, unit_id, category, status, due_date, submitted_on);
CREATE TABLE reports (
    id {ID},
    obligation_id BIGINT NOT NULL REFERENCES obligations(id),
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    percent BIGINT NOT NULL,
    final BIGINT NOT NULL DEFAULT 0,
    form_token TEXT NOT NULL UNIQUE,
    created_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX reports_obligation ON reports(obligation_id);
CREATE TABLE evidence_files (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    mime TEXT NOT NULL,
    data {BLOB} NOT NULL,
    created_at TEXT NOT NULL
);
CREATE TABLE report_evidence (
    report_id BIGINT NOT NULL REFERENCES reports(id),
    sha256 TEXT NOT NULL REFERENCES evidence_files(sha256),
    filename TEXT NOT NULL,
    PRIMARY KEY (report_id, sha256)
);
CREATE TABLE obligation_events (
    id {ID},
    obligation_id BIGINT NOT NULL REFERENCES obligations(id),
    at TEXT NOT NULL,
    on_date TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    report_id BIGINT
);
CREATE INDEX obligation_events_ob ON obligation_events(obligation_id);
CREATE TABLE extension_requests (
    id {ID},
    obligation_id BIGINT NOT NULL REFERENCES obligations(id),
    requested_by TEXT NOT NULL,
    new_due TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decision_reason TEXT,
    created_at TEXT NOT NULL,
    decided_at TEXT
);
CREATE UNIQUE INDEX extension_requests_one_pending ON extension_requests(obligation_id) WHERE status = 'pending';
CREATE TABLE notices (
    id {ID},
    unit_id BIGINT NOT NULL REFERENCES org_units(id),
    obligation_id BIGINT REFERENCES obligations(id),
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    issued_on TEXT NOT NULL,
    respond_by TEXT,
    response TEXT,
    responded_at TEXT,
    dedupe_key TEXT NOT NULL UNIQUE,
    read_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX notices_unit ON notices(unit_id, read_at);
CREATE TABLE outbox (
    id {ID},
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    delivered_at TEXT,
    last_error TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX outbox_pending ON outbox(delivered_at, next_attempt_at);
CREATE TABLE bulletins (
    id {ID},
    period TEXT NOT NULL,
    title TEXT NOT NULL,
    status TEXT NOT NULL,
    data_json TEXT NOT NULL,
    created_by TEXT NOT NULL,
    issued_by TEXT,
    issued_on TEXT,
    created_at TEXT NOT NULL
);
