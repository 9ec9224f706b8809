//! The audit trail: one record per change, written in the change's own transaction,
//! chained by SHA-256 so that an edited, inserted or deleted record is detected.
//!
//! `hash = SHA-256(len ‖ prev_hash ‖ len ‖ seq ‖ len ‖ at ‖ … ‖ len ‖ request_id)`. `seq` is assigned under
//! the write lock as last seq + 1 (not a database sequence, whose rolled-back values would
//! leave innocent gaps), and `audit_head` repeats the newest seq and hash so that deleting the
//! newest records is caught as well. Nothing in the product updates or deletes these rows.

use crate::{Actor, Backend, Result, Store, Tx, now_text};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

/// Hash of the empty chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What changed: the action name (`user.create`), the target and the state before and after.
pub struct Change<'a> {
    pub action: &'a str,
    pub target_type: &'a str,
    pub target_id: &'a str,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
}

#[derive(Debug, Clone, Serialize)]
pub struct AuditRecord {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub actor_id: Option<i64>,
    pub role: String,
    pub unit: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before_json: String,
    pub after_json: String,
    pub ip: String,
    pub request_id: String,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    fn compute_hash(&self) -> String {
        let mut h = Sha256::new();
        let seq = self.seq.to_string();
        let actor_id = self.actor_id.map(|i| i.to_string()).unwrap_or_default();
        let fields: [&str; 14] = [
            &self.prev_hash,
            &seq,
            &self.at,
            &self.actor,
            &actor_id,
            &self.role,
            &self.unit,
            &self.action,
            &self.target_type,
            &self.target_id,
            &self.before_json,
            &self.after_json,
            &self.ip,
            &self.request_id,
        ];
        // Each field with its length first, so no choice of field contents can make two
        // different records hash the same.
        for f in fields {
            h.update((f.len() as u64).to_le_bytes());
            h.update(f.as_bytes());
        }
        hex(&h.finalize())
    }

    fn from_row(r: &sqlx::any::AnyRow) -> Result<AuditRecord> {
        Ok(AuditRecord {
            seq: r.try_get("seq")?,
            at: r.try_get("at")?,
            actor: r.try_get("actor")?,
            actor_id: r.try_get("actor_id")?,
            role: r.try_get("role")?,
            unit: r.try_get("unit")?,
            action: r.try_get("action")?,
            target_type: r.try_get("target_type")?,
            target_id: r.try_get("target_id")?,
            before_json: r.try_get("before_json")?,
            after_json: r.try_get("after_json")?,
            ip: r.try_get("ip")?,
            request_id: r.try_get("request_id")?,
            prev_hash: r.try_get("prev_hash")?,
            hash: r.try_get("hash")?,
        })
    }
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    out
}

/// Appends one record inside `tx`. Call it in the same transaction as the change it records.
pub async fn record(store: &Store, tx: &mut Tx, actor: &Actor, change: Change<'_>) -> Result<()> {
    if store.backend == Backend::Postgres {
        // Serialises appenders across connections and processes; SQLite's BEGIN IMMEDIATE already does.
        sqlx::query("SELECT pg_advisory_xact_lock(51017)")
            .execute(&mut **tx)
            .await?;
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    let (last_seq, prev_hash) = match head {
        Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
        None => (0, GENESIS.to_string()),
    };
    let unit = match actor.unit_id {
        Some(id) => sqlx::query("SELECT code FROM org_units WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .map(|r| r.try_get::<String, _>("code"))
            .transpose()?
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut rec = AuditRecord {
        seq: last_seq + 1,
        at: now_text(),
        actor: actor.username.clone(),
        actor_id: actor.user_id,
        role: actor
            .role
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
        unit,
        action: change.action.to_string(),
        target_type: change.target_type.to_string(),
        target_id: change.target_id.to_string(),
        before_json: change.before.to_string(),
        after_json: change.after.to_string(),
        ip: actor.ip.clone(),
        request_id: actor.request_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    rec.hash = rec.compute_hash();
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, actor_id, role, unit, action, target_type, target_id, \
         before_json, after_json, ip, request_id, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
    )
    .bind(rec.seq)
    .bind(&rec.at)
    .bind(&rec.actor)
    .bind(rec.actor_id)
    .bind(&rec.role)
    .bind(&rec.unit)
    .bind(&rec.action)
    .bind(&rec.target_type)
    .bind(&rec.target_id)
    .bind(&rec.before_json)
    .bind(&rec.after_json)
    .bind(&rec.ip)
    .bind(&rec.request_id)
    .bind(&rec.prev_hash)
    .bind(&rec.hash)
    .execute(&mut **tx)
    .await?;
    let updated = sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(rec.seq)
        .bind(&rec.hash)
        .execute(&mut **tx)
        .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("INSERT INTO audit_head (id, seq, hash) VALUES (1, $1, $2)")
            .bind(rec.seq)
            .bind(&rec.hash)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Records a change in its own transaction (for events that change nothing else, such as a login).
pub async fn record_alone(store: &Store, actor: &Actor, change: Change<'_>) -> Result<()> {
    let mut tx = store.begin().await?;
    record(store, &mut tx, actor, change).await?;
    tx.commit().await?;
    Ok(())
}

/// The outcome of checking the whole chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Intact {
        records: i64,
        head: String,
    },
    /// The first record that does not fit, and why.
    Broken {
        seq: i64,
        reason: String,
    },
}

/// Walks the chain from the first record up to the head as read first, so records the server
/// appends meanwhile are not mistaken for tampering. Reads in pages so memory stays flat.
pub async fn verify(store: &Store) -> Result<Verdict> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(&store.pool)
        .await?;
    let (head_seq, head_hash) = match head {
        Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
        None => (0, GENESIS.to_string()),
    };
    let mut expected_seq = 1;
    let mut prev_hash = GENESIS.to_string();
    while expected_seq <= head_seq {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT 1000",
        )
        .bind(expected_seq)
        .bind(head_seq)
        .fetch_all(&store.pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let rec = AuditRecord::from_row(row)?;
            if rec.seq != expected_seq {
                return Ok(Verdict::Broken {
                    seq: expected_seq,
                    reason: format!(
                        "record {expected_seq} is missing (next present is {})",
                        rec.seq
                    ),
                });
            }
            if rec.prev_hash != prev_hash {
                return Ok(Verdict::Broken {
                    seq: rec.seq,
                    reason: "its prev_hash does not match the hash of the record before it".into(),
                });
            }
            if rec.compute_hash() != rec.hash {
                return Ok(Verdict::Broken {
                    seq: rec.seq,
                    reason: "its content does not match its hash (the record was altered)".into(),
                });
            }
            prev_hash = rec.hash;
            expected_seq += 1;
        }
    }
    let records = expected_seq - 1;
    if head_seq != records || head_hash != prev_hash {
        return Ok(Verdict::Broken {
            seq: records + 1,
            reason: format!(
                "the chain ends at record {records} but the head says {head_seq}: newest records were removed or the head was altered"
            ),
        });
    }
    Ok(Verdict::Intact {
        records,
        head: prev_hash,
    })
}

/// Filters for the office's audit page and API.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// Inclusive date bounds, `YYYY-MM-DD`, compared against the UTC timestamp.
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: i64,
    pub offset: i64,
}

/// Lists records, newest first. Office only.
pub async fn list(store: &Store, actor: &Actor, f: &Filter) -> Result<(Vec<AuditRecord>, i64)> {
    actor.require_admin()?;
    let mut clauses = Vec::new();
    let mut args: Vec<String> = Vec::new();
    let mut push = |clause: &str, value: String| {
        // `?` marks where this clause's one value goes.
        args.push(value);
        clauses.push(clause.replace('?', &format!("${}", args.len())));
    };
    if let Some(a) = f.actor.as_deref().filter(|s| !s.is_empty()) {
        push("actor = ?", a.to_string());
    }
    if let Some(a) = f.action.as_deref().filter(|s| !s.is_empty()) {
        push("action LIKE ?", format!("{a}%"));
    }
    if let Some(t) = f.target.as_deref().filter(|s| !s.is_empty()) {
        // Every `?` in a clause becomes the same placeholder, so both sides take this value.
        push("(target_type = ? OR target_id = ?)", t.to_string());
    }
    if let Some(d) = f.from.as_deref().filter(|s| !s.is_empty()) {
        push("at >= ?", d.to_string());
    }
    if let Some(d) = f.to.as_deref().filter(|s| !s.is_empty()) {
        // Dates compare as text: "2026-11-26T…" < "2026-11-26~" for the whole day.
        push("at < ?", format!("{d}~"));
    }
    let wh = if clauses.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", clauses.join(" AND "))
    };
    let count_sql = format!("SELECT COUNT(*) AS n FROM audit_log{wh}");
    let mut q = sqlx::query(&count_sql);
    for a in &args {
        q = q.bind(a);
    }
    let total: i64 = q.fetch_one(&store.pool).await?.try_get("n")?;
    let list_sql = format!(
        "SELECT * FROM audit_log{wh} ORDER BY seq DESC LIMIT {} OFFSET {}",
        f.limit.clamp(1, 500),
        f.offset.max(0)
    );
    let mut q = sqlx::query(&list_sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&store.pool).await?;
    let recs = rows
        .iter()
        .map(AuditRecord::from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok((recs, total))
}
