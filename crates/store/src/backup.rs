//! Portable backup and restore: JSON lines, the same on SQLite and PostgreSQL, so a backup
//! also moves a district from the embedded database to PostgreSQL.
//!
//! The backup reads every table inside one snapshot transaction, so it is consistent while the
//! server keeps writing. Sessions and the sign-in guard are transient and not kept.

use crate::audit::{self, Verdict};
use crate::schema::{Keep, Table};
use crate::{Backend, Result, Store, StoreError, now_text};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};
use sqlx::{Column, Row, ValueRef};
use std::io::{BufRead, Write};

/// The tables a backup holds, in restore order (parents before children): every table of the
/// installed modules except the transient ones.
fn kept(store: &Store) -> Vec<&'static Table> {
    crate::schema::tables(&store.schema)
        .filter(|t| t.keep != Keep::Never)
        .collect()
}

const FORMAT: &str = "qcity-backup";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub tables: usize,
    pub rows: usize,
}

/// Writes a backup to `out`.
pub async fn backup(store: &Store, out: &mut impl Write) -> Result<Summary> {
    let mut tx = store.pool.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .execute(&mut *tx)
            .await?;
    }
    let version = crate::migrations::current_version_in(&mut tx).await?;
    let header = json!({"format": FORMAT, "version": 1, "schema_version": version, "created_at": now_text()});
    writeln!(out, "{header}").map_err(io_error)?;
    let mut rows_written = 0;
    let tables = kept(store);
    for table in &tables {
        // Tables without an `id` are ordered by their first column.
        let order = if table.keep == Keep::ById { "id" } else { "1" };
        let sql = format!("SELECT * FROM {} ORDER BY {order}", table.name);
        let rows = sqlx::query(&sql).fetch_all(&mut *tx).await?;
        for row in &rows {
            let line = json!({"table": table.name, "row": row_to_json(row)?});
            writeln!(out, "{line}").map_err(io_error)?;
            rows_written += 1;
        }
    }
    tx.rollback().await?;
    out.flush().map_err(io_error)?;
    Ok(Summary {
        tables: tables.len(),
        rows: rows_written,
    })
}

fn io_error(e: std::io::Error) -> StoreError {
    StoreError::Conflict(format!("cannot write the backup: {e}"))
}

fn row_to_json(row: &sqlx::any::AnyRow) -> Result<Value> {
    let mut obj = Map::new();
    for (i, col) in row.columns().iter().enumerate() {
        let raw = row.try_get_raw(i)?;
        let v = if raw.is_null() {
            Value::Null
        } else if let Ok(n) = row.try_get::<i64, _>(i) {
            json!(n)
        } else if let Ok(f) = row.try_get::<f64, _>(i) {
            json!(f)
        } else if let Ok(s) = row.try_get::<String, _>(i) {
            json!(s)
        } else {
            // Binary data (evidence files) travels as base64 in a marked object.
            json!({"base64": BASE64.encode(row.try_get::<Vec<u8>, _>(i)?)})
        };
        obj.insert(col.name().to_string(), v);
    }
    Ok(Value::Object(obj))
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Restored; `audit` is the verdict on the backup's own chain (broken only when accepted).
    Restored { summary: Summary, audit: Verdict },
    /// Nothing restored: the backup's audit chain is broken and accepting it was not asked for.
    Refused { seq: i64, reason: String },
}

/// Restores a backup into an empty database, refusing one whose audit chain is broken.
pub async fn restore(store: &Store, input: impl BufRead) -> Result<Summary> {
    match restore_with(store, input, false).await? {
        Outcome::Restored { summary, .. } => Ok(summary),
        Outcome::Refused { seq, reason } => Err(StoreError::Conflict(format!(
            "the audit trail in the backup is broken at record {seq}: {reason}"
        ))),
    }
}

/// Restores a backup into an empty database (migrated, no accounts, no audit records).
///
/// The backup's audit chain is checked with this store's seal (the key must be the one that
/// wrote it: copy `audit.key` or set `QCITY_AUDIT_KEY` when moving to another machine). A broken
/// chain is refused unless `accept_broken_audit`; either way the restore appends an
/// `audit.restore` record saying what it restored and how the chain stood, and starts the anchor
/// file over at the restored head.
pub async fn restore_with(
    store: &Store,
    input: impl BufRead,
    accept_broken_audit: bool,
) -> Result<Outcome> {
    for table in ["users", "audit_log", "org_units"] {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM {table}"))
            .fetch_one(&store.pool)
            .await?
            .try_get("n")?;
        if n > 0 {
            return Err(StoreError::Conflict(format!(
                "the target database is not empty ({table} has {n} rows); restore only into a new data directory or database"
            )));
        }
    }
    let mut lines = input.lines();
    let header: Value = match lines.next() {
        Some(Ok(l)) => serde_json::from_str(&l).map_err(|e| bad(1, &e.to_string()))?,
        _ => return Err(bad(1, "the file is empty")),
    };
    if header["format"] != FORMAT {
        return Err(bad(1, "this is not a QCity backup"));
    }
    let migrations = crate::schema::migrations(&store.schema);
    let latest = migrations.last().map(|m| m.version).unwrap_or(0);
    if header["schema_version"].as_i64().unwrap_or(i64::MAX) > latest {
        return Err(bad(1, "the backup comes from a newer QCity; upgrade first"));
    }
    let mut tx = store.begin().await?;
    // The fresh database's own migration rows are replaced by the backup's.
    sqlx::query("DELETE FROM schema_migrations")
        .execute(&mut *tx)
        .await?;
    // So are the default registry owners a migration inserted.
    sqlx::query("DELETE FROM registry_owners")
        .execute(&mut *tx)
        .await?;
    let tables = kept(store);
    let mut rows = 0;
    let mut seen_tables = std::collections::BTreeSet::new();
    let mut walker = audit::Walker::new(store.audit_seal(), None);
    let mut broken: Option<Verdict> = None;
    let mut audit_head = (0, audit::GENESIS.to_string());
    for (i, line) in lines.enumerate() {
        let line_no = i + 2;
        let line = line.map_err(|e| bad(line_no, &e.to_string()))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line).map_err(|e| bad(line_no, &e.to_string()))?;
        let table = v["table"].as_str().unwrap_or_default();
        if !tables.iter().any(|t| t.name == table) {
            return Err(bad(line_no, &format!("unknown table `{table}`")));
        }
        let Some(obj) = v["row"].as_object() else {
            return Err(bad(line_no, "missing row"));
        };
        if broken.is_none() && table == "audit_log" {
            broken = match audit::AuditRecord::from_json(obj) {
                Some(rec) => walker.push(&rec).err(),
                None => Some(Verdict::Broken {
                    seq: walker.next_seq(),
                    reason: format!("the record on backup line {line_no} lacks a field"),
                }),
            };
        }
        if table == "audit_head" {
            audit_head = (
                obj.get("seq").and_then(Value::as_i64).unwrap_or(-1),
                obj.get("hash")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
            );
        }
        insert_row(&mut tx, table, obj)
            .await
            .map_err(|e| bad(line_no, &e.to_string()))?;
        seen_tables.insert(table.to_string());
        rows += 1;
    }
    // Keep the migrations a newer binary would still apply.
    for m in migrations {
        sqlx::query(
            "INSERT INTO schema_migrations (version, name, applied_at) SELECT $1, $2, $3 \
             WHERE NOT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)",
        )
        .bind(m.version)
        .bind(m.name)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    }
    if store.backend == Backend::Postgres {
        for table in tables.iter().filter(|t| t.keep == Keep::ById) {
            let table = table.name;
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            );
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
    }
    let verdict = broken.unwrap_or_else(|| walker.finish(audit_head.0, &audit_head.1, None));
    let after = match &verdict {
        Verdict::Broken { seq, reason } if !accept_broken_audit => {
            tx.rollback().await?;
            return Ok(Outcome::Refused {
                seq: *seq,
                reason: reason.clone(),
            });
        }
        Verdict::Broken { seq, reason } => {
            // The new record chains on from the newest record present, whatever the head said.
            sqlx::query("DELETE FROM audit_head")
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO audit_head (id, seq, hash, figures_seq) \
                 SELECT 1, seq, hash, seq FROM audit_log ORDER BY seq DESC LIMIT 1",
            )
            .execute(&mut *tx)
            .await?;
            json!({"backup_audit": "broken", "broken_seq": seq, "reason": reason, "accepted_broken": true})
        }
        Verdict::Intact { records, head, .. } => {
            json!({"backup_audit": "intact", "records": records, "head": head})
        }
    };
    audit::record(
        store,
        &mut tx,
        &crate::Actor::system("restore"),
        audit::Change {
            action: audit::RESTORE_ACTION,
            target_type: "backup",
            target_id: header["created_at"].as_str().unwrap_or_default(),
            before: Value::Null,
            after,
        },
    )
    .await?;
    tx.commit().await?;
    audit::anchor_restored(store).await?;
    // A backup made before the enterprises kept search tokens restores them blank.
    if store.schema.iter().any(|m| m.slug == "enterprises") {
        crate::enterprises::backfill_search(store).await?;
    }
    Ok(Outcome::Restored {
        summary: Summary {
            tables: seen_tables.len(),
            rows,
        },
        audit: verdict,
    })
}

fn bad(line: usize, why: &str) -> StoreError {
    StoreError::Conflict(format!("backup line {line}: {why}"))
}

async fn insert_row(tx: &mut crate::Tx, table: &str, obj: &Map<String, Value>) -> Result<()> {
    let mut cols = Vec::new();
    let mut vals = Vec::new();
    let mut binds: Vec<&Value> = Vec::new();
    for (k, v) in obj {
        if !k
            .chars()
            .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit())
        {
            return Err(StoreError::Conflict(format!("bad column name `{k}`")));
        }
        cols.push(k.as_str());
        if v.is_null() {
            // A literal NULL fits any column type; a bound null would carry a text type on PostgreSQL.
            vals.push("NULL".to_string());
        } else {
            binds.push(v);
            vals.push(format!("${}", binds.len()));
        }
    }
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        cols.join(", "),
        vals.join(", ")
    );
    let mut q = sqlx::query(&sql);
    for v in binds {
        q = match v {
            Value::Number(n) if n.is_i64() => q.bind(n.as_i64()),
            Value::Number(n) => q.bind(n.as_f64()),
            Value::String(s) => q.bind(s.clone()),
            Value::Object(o) if o.contains_key("base64") => {
                let data = BASE64
                    .decode(o["base64"].as_str().unwrap_or_default())
                    .map_err(|e| StoreError::Conflict(format!("bad base64: {e}")))?;
                q.bind(data)
            }
            other => q.bind(other.to_string()),
        };
    }
    q.execute(&mut **tx).await?;
    Ok(())
}
