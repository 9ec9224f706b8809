//! Versioned schema migrations, one list for both databases.
//!
//! Each migration is plain SQL in the common subset of SQLite and PostgreSQL; `{ID}` stands for
//! the auto-increment primary key, the one piece of DDL the two spell differently. A migration
//! runs in one transaction together with its row in `schema_migrations`.

use crate::{Backend, Result, Store, now_text};
use sqlx::Row;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "accounts, units, sessions, tokens, audit trail",
        sql: r#"
CREATE TABLE org_units (
    id {ID},
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES org_units(id),
    contact_name TEXT NOT NULL DEFAULT '',
    contact_phone TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    notes TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE users (
    id {ID},
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    unit_id BIGINT REFERENCES org_units(id),
    password_hash TEXT NOT NULL,
    must_change_password BIGINT NOT NULL DEFAULT 0,
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    ip TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);
CREATE TABLE login_failures (
    id {ID},
    ip TEXT NOT NULL,
    username TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failures_ip_at ON login_failures(ip, at);
CREATE TABLE api_tokens (
    id {ID},
    user_id BIGINT NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    label TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    last_used_at TEXT,
    revoked BIGINT NOT NULL DEFAULT 0
);
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_id BIGINT,
    role TEXT NOT NULL,
    unit TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    before_json TEXT NOT NULL,
    after_json TEXT NOT NULL,
    ip TEXT NOT NULL,
    request_id TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_action ON audit_log(action);
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
"#,
    },
    Migration {
        version: 2,
        name: "plan versions",
        sql: r#"
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
"#,
    },
    Migration {
        version: 3,
        name: "obligations, reports, evidence, extensions, notices",
        sql: r#"
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
"#,
    },
    Migration {
        version: 4,
        name: "indicator values",
        sql: r#"
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
"#,
    },
    Migration {
        version: 5,
        name: "enterprises, quality credit, supervision sampling",
        sql: r#"
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
INSERT INTO registry_owners (registry, unit_code) VALUES
    ('enterprises', 'ZJFJ'), ('enterprises', 'GSFJ'),
    ('sampling', 'ZJFJ'), ('sampling', 'SYFJ'), ('sampling', 'NW'), ('sampling', 'GSFJ'),
    ('credit', 'ZJFJ'), ('credit', 'GSFJ'), ('credit', 'SYFJ');
"#,
    },
    Migration {
        version: 6,
        name: "unit assessment",
        sql: crate::assessment::MIGRATION,
    },
    Migration {
        version: 7,
        name: "acceptance self-check",
        sql: crate::acceptance::MIGRATION,
    },
    Migration {
        version: 8,
        name: "quality analysis reports",
        sql: crate::reports::MIGRATION,
    },
];

fn render(sql: &str, backend: Backend) -> String {
    let id = match backend {
        Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
        Backend::Postgres => "BIGSERIAL PRIMARY KEY",
    };
    let blob = match backend {
        Backend::Sqlite => "BLOB",
        Backend::Postgres => "BYTEA",
    };
    sql.replace("{ID}", id).replace("{BLOB}", blob)
}

pub(crate) async fn run(store: &Store) -> Result<usize> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
    )
    .execute(&store.pool)
    .await?;
    let mut applied = 0;
    for m in MIGRATIONS {
        let mut tx = store.begin().await?;
        let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
            .bind(m.version)
            .fetch_optional(&mut *tx)
            .await?;
        if done.is_some() {
            tx.rollback().await?;
            continue;
        }
        for statement in render(m.sql, store.backend).split(';') {
            if statement.trim().is_empty() {
                continue;
            }
            sqlx::query(statement).execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        tracing::info!(version = m.version, name = m.name, "migration applied");
        applied += 1;
    }
    Ok(applied)
}

/// The highest applied migration version (0 on an empty database).
pub async fn current_version(store: &Store) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(&store.pool)
        .await?;
    Ok(row.try_get("v")?)
}

/// The same, read inside an open transaction (the backup's snapshot).
pub(crate) async fn current_version_in(tx: &mut crate::Tx) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations")
        .fetch_one(&mut **tx)
        .await?;
    Ok(row.try_get("v")?)
}
