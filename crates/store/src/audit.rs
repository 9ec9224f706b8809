//! The audit trail: one record per change, written in the change's own transaction,
//! chained so that an edited, inserted or deleted record is detected.
//!
//! `hash = MAC(len ‖ alg ‖ len ‖ prev_hash ‖ len ‖ seq ‖ len ‖ at ‖ … ‖ len ‖ request_id)` with the
//! audit key, which is kept outside the database ([`Seal`]: `QCITY_AUDIT_KEY` or the data
//! directory's `audit.key`), so someone who can write the database but not read that key cannot
//! rehash an edited record. The MAC is HMAC-SHA-256, or HMAC-SM3 (GB/T 32905) when the
//! deployment requires national algorithms; each record stores its algorithm (`alg`), and the
//! plain SHA-256 of older versions (no `alg` in the hash) is accepted only before the first keyed
//! record. `seq` is assigned under the write lock as last seq + 1 (not a database sequence, whose
//! rolled-back values would leave innocent gaps), and `audit_head` repeats the newest seq and
//! hash; the anchor file ([`anchor`]) keeps copies of that head outside the database, so
//! deleting the newest records and rewinding the head is caught as well. Nothing in the product
//! updates or deletes these rows.

mod anchor;
mod seal;

pub use anchor::{INTERVAL as CHECKPOINT_INTERVAL, Mark};
pub use seal::{ANCHOR_FILE, Alg, HashChoice, KEY_FILE, KeySource, Seal, SealError};

use crate::{Actor, Backend, Result, Store, StoreError, Tx, now_text};
use serde::Serialize;
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
    /// How `hash` was computed ([`Alg::code`]).
    pub alg: String,
}

impl AuditRecord {
    /// The record's hash under `alg`; `None` when `alg` needs a key `seal` lacks.
    pub fn hash_with(&self, seal: &Seal, alg: Alg) -> Option<String> {
        let seq = self.seq.to_string();
        let actor_id = self.actor_id.map(|i| i.to_string()).unwrap_or_default();
        seal.digest(
            alg,
            &[
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
            ],
        )
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
            alg: r.try_get("alg")?,
        })
    }

    /// The record as a backup holds it (one JSON object, the row's columns); `None` when a
    /// column is missing or of the wrong type. A backup from before `alg` existed is plain SHA-256.
    pub(crate) fn from_json(o: &serde_json::Map<String, serde_json::Value>) -> Option<AuditRecord> {
        let text = |k: &str| o.get(k).and_then(|v| v.as_str()).map(str::to_string);
        Some(AuditRecord {
            seq: o.get("seq")?.as_i64()?,
            at: text("at")?,
            actor: text("actor")?,
            actor_id: match o.get("actor_id") {
                None | Some(serde_json::Value::Null) => None,
                Some(v) => Some(v.as_i64()?),
            },
            role: text("role")?,
            unit: text("unit")?,
            action: text("action")?,
            target_type: text("target_type")?,
            target_id: text("target_id")?,
            before_json: text("before_json")?,
            after_json: text("after_json")?,
            ip: text("ip")?,
            request_id: text("request_id")?,
            prev_hash: text("prev_hash")?,
            hash: text("hash")?,
            alg: text("alg").unwrap_or_else(|| Alg::Sha256.code().to_string()),
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
        alg: String::new(),
    };
    let alg = store.audit_seal().alg();
    rec.alg = alg.code().to_string();
    rec.hash = rec
        .hash_with(store.audit_seal(), alg)
        .expect("a seal has the key of the algorithm it writes with");
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, actor_id, role, unit, action, target_type, target_id, \
         before_json, after_json, ip, request_id, prev_hash, hash, alg) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
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
    .bind(&rec.alg)
    .execute(&mut **tx)
    .await?;
    // A sign-in leaves the figures' head where it was (NULL keeps it).
    let figures_seq = may_change_figures(change.action).then_some(rec.seq);
    let updated = sqlx::query(
        "UPDATE audit_head SET seq = $1, hash = $2, figures_seq = COALESCE($3, figures_seq) \
         WHERE id = 1",
    )
    .bind(rec.seq)
    .bind(&rec.hash)
    .bind(figures_seq)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() == 0 {
        sqlx::query("INSERT INTO audit_head (id, seq, hash, figures_seq) VALUES (1, $1, $2, $3)")
            .bind(rec.seq)
            .bind(&rec.hash)
            .bind(figures_seq.unwrap_or(0))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Whether an audited action may change a figure some view shows: every action but signing in
/// or out and a failed or locked-out sign-in. Those move the audit trail's head, not the
/// watermark ([`watermark`]).
pub fn may_change_figures(action: &str) -> bool {
    !matches!(
        action,
        "auth.login" | "auth.logout" | "auth.login_failed" | "auth.lockout"
    )
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
        /// The anchored head the chain was compared with (`None`: no anchor configured, or
        /// nothing anchored yet on a chain of unkeyed records only).
        anchored: Option<i64>,
        /// The `audit.restore` record of a restore that accepted a backup whose chain was
        /// broken: the chain is checked from that record on, the records before it are not.
        accepted_from: Option<i64>,
    },
    /// The first record that does not fit, and why.
    Broken { seq: i64, reason: String },
}

/// The action of the record a restore appends.
pub const RESTORE_ACTION: &str = "audit.restore";

/// Checks records one after another against the chain rules, the seal and the anchor: shared by
/// `verify` (rows from the database) and the restore (rows from a backup).
pub(crate) struct Walker<'a> {
    seal: &'a Seal,
    next: i64,
    prev: String,
    keyed_seen: Option<i64>,
    mark: Option<&'a Mark>,
    accepted_from: Option<i64>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(seal: &'a Seal, mark: Option<&'a Mark>) -> Walker<'a> {
        Walker {
            seal,
            next: 1,
            prev: GENESIS.to_string(),
            keyed_seen: None,
            mark,
            accepted_from: None,
        }
    }

    /// Starts at the record of a restore that accepted a broken chain (its MAC checked).
    fn start_at(&mut self, marker: &AuditRecord) {
        self.next = marker.seq;
        self.prev = marker.prev_hash.clone();
        self.accepted_from = Some(marker.seq);
    }

    pub(crate) fn next_seq(&self) -> i64 {
        self.next
    }

    pub(crate) fn push(&mut self, rec: &AuditRecord) -> std::result::Result<(), Verdict> {
        let broken = |seq: i64, reason: String| Err(Verdict::Broken { seq, reason });
        if self.accepted_from.is_some_and(|from| rec.seq < from) {
            // Before the restore that accepted a broken chain: not checked.
            return Ok(());
        }
        if rec.seq < self.next {
            return broken(
                rec.seq,
                format!("record {} appears twice or out of order", rec.seq),
            );
        }
        if rec.seq != self.next {
            return broken(
                self.next,
                format!(
                    "record {} is missing (next present is {})",
                    self.next, rec.seq
                ),
            );
        }
        let Some(alg) = Alg::parse(&rec.alg) else {
            return broken(rec.seq, format!("its algorithm `{}` is unknown", rec.alg));
        };
        if let (false, Some(first)) = (alg.keyed(), self.keyed_seen) {
            return broken(
                rec.seq,
                format!(
                    "it carries the unkeyed SHA-256 of older versions after keyed record {first}: it was rewritten"
                ),
            );
        }
        if rec.prev_hash != self.prev {
            return broken(
                rec.seq,
                "its prev_hash does not match the hash of the record before it".into(),
            );
        }
        match rec.hash_with(self.seal, alg) {
            None => {
                return broken(
                    rec.seq,
                    format!(
                        "it is sealed with {} but no audit key is configured (QCITY_AUDIT_KEY or {KEY_FILE} in the data directory)",
                        alg.code()
                    ),
                );
            }
            Some(h) if h != rec.hash => {
                let why = if alg.keyed() {
                    format!(
                        "its content does not match its {} (the record was altered, or the audit key is not the one that wrote it)",
                        alg.code()
                    )
                } else {
                    "its content does not match its hash (the record was altered)".into()
                };
                return broken(rec.seq, why);
            }
            Some(_) => {}
        }
        if let Some(m) = self.mark.filter(|m| m.seq == rec.seq)
            && m.hash != rec.hash
        {
            return broken(
                rec.seq,
                format!(
                    "its hash differs from the one the anchor file recorded for it (line {}, {}): the chain was rewritten",
                    m.line, m.at
                ),
            );
        }
        if alg.keyed() && self.keyed_seen.is_none() {
            self.keyed_seen = Some(rec.seq);
        }
        self.prev = rec.hash.clone();
        self.next += 1;
        Ok(())
    }

    /// The verdict once every record up to the head has been pushed. `anchor_missing` names the
    /// anchor file when one is configured but does not exist.
    pub(crate) fn finish(
        self,
        head_seq: i64,
        head_hash: &str,
        anchor_missing: Option<&std::path::Path>,
    ) -> Verdict {
        let records = self.next - 1;
        if head_seq != records || head_hash != self.prev {
            return Verdict::Broken {
                seq: records + 1,
                reason: format!(
                    "the chain ends at record {records} but the head says {head_seq}: newest records were removed or the head was altered"
                ),
            };
        }
        if let Some(m) = self.mark
            && m.seq > records
        {
            return Verdict::Broken {
                seq: records + 1,
                reason: format!(
                    "the anchor file recorded {} records (line {}, {}) but the database holds {records}: the newest records were removed and the head rewound",
                    m.seq, m.line, m.at
                ),
            };
        }
        if let (Some(path), Some(first)) = (anchor_missing, self.keyed_seen) {
            return Verdict::Broken {
                seq: first,
                reason: format!(
                    "the anchor file {} is missing, so the keyed records from {first} on cannot be compared with it (give the data directory that holds it with --data-dir)",
                    path.display()
                ),
            };
        }
        Verdict::Intact {
            records,
            head: self.prev,
            anchored: self.mark.map(|m| m.seq),
            accepted_from: self.accepted_from,
        }
    }
}

async fn head(exec: impl sqlx::Executor<'_, Database = sqlx::Any>) -> Result<(i64, String)> {
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_optional(exec)
        .await?;
    Ok(match head {
        Some(r) => (r.try_get::<i64, _>("seq")?, r.try_get::<String, _>("hash")?),
        None => (0, GENESIS.to_string()),
    })
}

/// The newest `audit.restore` record up to `head_seq` if it accepted a broken backup and its
/// own MAC holds (so nobody without the key can have written it).
async fn accepted_restore(store: &Store, head_seq: i64) -> Result<Option<AuditRecord>> {
    let row = sqlx::query(
        "SELECT * FROM audit_log WHERE action = $1 AND seq <= $2 ORDER BY seq DESC LIMIT 1",
    )
    .bind(RESTORE_ACTION)
    .bind(head_seq)
    .fetch_optional(&store.pool)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let rec = AuditRecord::from_row(&row)?;
    let accepted = serde_json::from_str::<serde_json::Value>(&rec.after_json)
        .map(|v| v["accepted_broken"] == true)
        .unwrap_or(false);
    let sealed = Alg::parse(&rec.alg)
        .filter(|a| a.keyed())
        .and_then(|a| rec.hash_with(store.audit_seal(), a))
        .is_some_and(|h| h == rec.hash);
    Ok((accepted && sealed).then_some(rec))
}

/// Walks the chain from the first record up to the head as read first, so records the server
/// appends meanwhile are not mistaken for tampering, and compares it with the anchor file (read
/// before the head, so it is never ahead of it). Reads in pages so memory stays flat.
pub async fn verify(store: &Store) -> Result<Verdict> {
    let seal = store.audit_seal();
    let mark = match &seal.anchor {
        Some(a) => match a.read() {
            Ok(m) => m,
            Err(e) => {
                return Ok(Verdict::Broken {
                    seq: 0,
                    reason: format!("the anchor file {} is unreadable: {e}", a.path().display()),
                });
            }
        },
        None => None,
    };
    let anchor_missing = seal
        .anchor
        .as_ref()
        .filter(|a| mark.is_none() && !a.path().exists())
        .map(|a| a.path());
    let (head_seq, head_hash) = head(&store.pool).await?;
    let mut walker = Walker::new(seal, mark.as_ref());
    if let Some(marker) = accepted_restore(store, head_seq).await? {
        walker.start_at(&marker);
    }
    while walker.next_seq() <= head_seq {
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE seq >= $1 AND seq <= $2 ORDER BY seq LIMIT 1000",
        )
        .bind(walker.next_seq())
        .bind(head_seq)
        .fetch_all(&store.pool)
        .await?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            if let Err(broken) = walker.push(&AuditRecord::from_row(row)?) {
                return Ok(broken);
            }
        }
    }
    Ok(walker.finish(head_seq, &head_hash, anchor_missing))
}

/// Copies the committed head to the anchor file if it moved since the last line; `Ok(true)`
/// when a line was written. Does nothing without an anchor (an unkeyed store).
pub async fn checkpoint(store: &Store) -> Result<bool> {
    let Some(anchor) = &store.audit_seal().anchor else {
        return Ok(false);
    };
    let (seq, hash) = head(&store.pool).await?;
    anchor
        .checkpoint(seq, &hash)
        .map_err(|e| anchor_error(anchor.path(), e))
}

/// After a restore: a `restore` line with the restored head starts the anchor over.
pub(crate) async fn anchor_restored(store: &Store) -> Result<()> {
    let Some(anchor) = &store.audit_seal().anchor else {
        return Ok(());
    };
    let (seq, hash) = head(&store.pool).await?;
    anchor
        .append(anchor::Kind::Restore, seq, &hash)
        .map_err(|e| anchor_error(anchor.path(), e))
}

fn anchor_error(path: &std::path::Path, e: std::io::Error) -> StoreError {
    StoreError::Conflict(format!(
        "cannot write the audit anchor {}: {e}",
        path.display()
    ))
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
    /// A column from the caller's fixed list; newest first when `None`.
    pub order: Option<crate::Order>,
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
    // A district's (or city's) office reads what its own accounts did.
    if actor.owner_id.is_some() {
        clauses.push(format!(
            "actor_id IN (SELECT u.id FROM users u WHERE {})",
            actor.owns_unit_sql("u.unit_id")
        ));
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
        "SELECT * FROM audit_log{wh} ORDER BY {} LIMIT {} OFFSET {}",
        f.order
            .map_or("seq DESC".to_string(), |o| format!("{}, seq DESC", o.sql())),
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

/// How far the data has come: the audit trail's newest record that may change a figure
/// ([`may_change_figures`]: not a sign-in), the newest notice, and the delivery queue's
/// state. Every change a figure draws on is audited in its own transaction, except the
/// notices the supervision and complaint ladders send (counted by their ids) and deliveries
/// made or failed (the outbox's newest id, and how many items wait with how many attempts: an
/// item is only added with a new id, a delivery lowers the count, a failure raises the
/// attempts). A figure computed at one mark is still exact while the mark stands, on every
/// process, since the mark is in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watermark {
    pub audit_seq: i64,
    pub notice: i64,
    pub outbox: (i64, i64, i64),
}

impl Watermark {
    /// Whether this mark is certainly later than `other` (both read from one database).
    pub fn after(&self, other: &Watermark) -> bool {
        self != other
            && self.audit_seq >= other.audit_seq
            && self.notice >= other.notice
            && self.outbox.0 >= other.outbox.0
    }
}

pub async fn watermark(store: &Store) -> Result<Watermark> {
    let row = sqlx::query(
        "SELECT (SELECT figures_seq FROM audit_head WHERE id = 1) AS seq, (SELECT MAX(id) FROM notices) AS notice, \
         (SELECT MAX(id) FROM outbox) AS outbox, \
         (SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL) AS waiting, \
         (SELECT CAST(SUM(attempts) AS BIGINT) FROM outbox WHERE delivered_at IS NULL) AS attempts",
    )
    .fetch_one(&store.pool)
    .await?;
    let n =
        |column: &str| -> Result<i64> { Ok(row.try_get::<Option<i64>, _>(column)?.unwrap_or(0)) };
    Ok(Watermark {
        audit_seq: n("seq")?,
        notice: n("notice")?,
        outbox: (n("outbox")?, n("waiting")?, n("attempts")?),
    })
}
