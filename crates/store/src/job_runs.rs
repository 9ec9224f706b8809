//! Scheduled work done once across processes.
//!
//! Several app servers may share one database; each ticks its supervisor, but a job runs for a
//! *slot* (the business date and the hour) only in the process that [`claim`]s the slot first:
//! the claim is one `INSERT … ON CONFLICT DO NOTHING` on the primary key `(job, slot)` of
//! `job_runs`, so it works the same on SQLite and PostgreSQL and needs no lock held while the
//! job runs. The jobs are idempotent per business day as well (their notices and outbox items
//! carry dedupe keys), so a claim lost by a process that died mid-run costs at most one
//! hour's delay: the next slot runs the job again. A job that fails gives its claim back, so
//! another tick in the same hour may try again.

use crate::schema::{JobCtx, JobSpec};
use crate::{Result, Store, now_text, time_text};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::Row;
use std::sync::OnceLock;

/// Claims older than this are removed when jobs run: the table says what ran lately.
const KEEP_DAYS: i64 = 35;

/// This process's name in claims, logs and `/healthz`: `QCITY_NODE_NAME` when set, else the
/// host name and the process id (unique among the processes of one machine).
pub fn node_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        if let Ok(name) = std::env::var("QCITY_NODE_NAME") {
            let name: String = name
                .trim()
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .take(64)
                .collect();
            if !name.is_empty() {
                return name;
            }
        }
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .ok()
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "localhost".into());
        format!("{host}-{}", std::process::id())
    })
}

/// The slot of an hourly job: the business date and the hour (UTC) of `now`. Processes with
/// the same business date in the same hour share the slot, so one of them runs the job.
pub fn hourly_slot(today: NaiveDate, now: DateTime<Utc>) -> String {
    format!("{today}@{}", now.format("%Y-%m-%dT%H"))
}

/// Takes `slot` of `job` for `node`; false when another process (or an earlier run of this
/// one) took it first.
pub async fn claim(store: &Store, job: &str, slot: &str, node: &str) -> Result<bool> {
    let res = sqlx::query(
        "INSERT INTO job_runs (job, slot, node, started_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (job, slot) DO NOTHING",
    )
    .bind(job)
    .bind(slot)
    .bind(node)
    .bind(now_text())
    .execute(&store.pool)
    .await?;
    Ok(res.rows_affected() == 1)
}

/// Records what a claimed run did.
pub async fn finish(store: &Store, job: &str, slot: &str, outcome: &str) -> Result<()> {
    // The summary is a line for the log; the table keeps its gist.
    let outcome: String = outcome.chars().take(500).collect();
    sqlx::query("UPDATE job_runs SET finished_at = $1, outcome = $2 WHERE job = $3 AND slot = $4")
        .bind(now_text())
        .bind(outcome)
        .bind(job)
        .bind(slot)
        .execute(&store.pool)
        .await?;
    Ok(())
}

/// Gives back an unfinished claim of `node`, so the slot may be run again.
pub async fn release(store: &Store, job: &str, slot: &str, node: &str) -> Result<()> {
    sqlx::query(
        "DELETE FROM job_runs WHERE job = $1 AND slot = $2 AND node = $3 AND finished_at IS NULL",
    )
    .bind(job)
    .bind(slot)
    .bind(node)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// What became of one job in one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ran {
    /// This process ran it; the job's summary ("3 reminders …", empty when it did nothing).
    Here(String),
    /// Another process (named) holds the slot.
    Elsewhere(String),
}

/// Runs `job` for `slot` if this process (`node`) claims it. A failed run gives its claim back.
pub async fn run(
    store: &Store,
    job: &JobSpec,
    ctx: &JobCtx<'_>,
    slot: &str,
    node: &str,
) -> Result<Ran> {
    if !claim(store, job.name, slot, node).await? {
        let holder = sqlx::query("SELECT node FROM job_runs WHERE job = $1 AND slot = $2")
            .bind(job.name)
            .bind(slot)
            .fetch_optional(&store.pool)
            .await?
            .map(|r| r.try_get::<String, _>("node"))
            .transpose()?
            .unwrap_or_default();
        return Ok(Ran::Elsewhere(holder));
    }
    match (job.run)(store, ctx).await {
        Ok(summary) => {
            finish(store, job.name, slot, &summary).await?;
            Ok(Ran::Here(summary))
        }
        Err(e) => {
            if let Err(again) = release(store, job.name, slot, node).await {
                tracing::warn!(job = job.name, error = %again, "could not give back the job's claim");
            }
            Err(e)
        }
    }
}

/// Runs every installed module's jobs for `slot`, each on its own (one failing does not stop
/// the others), after removing claims older than a month.
pub async fn run_all(
    store: &Store,
    ctx: &JobCtx<'_>,
    slot: &str,
    node: &str,
) -> Vec<(&'static str, Result<Ran>)> {
    let cutoff = time_text(Utc::now() - chrono::Duration::days(KEEP_DAYS));
    if let Err(e) = sqlx::query("DELETE FROM job_runs WHERE started_at < $1")
        .bind(cutoff)
        .execute(&store.pool)
        .await
    {
        tracing::warn!(error = %e, "could not remove old job claims");
    }
    let mut out = Vec::new();
    for job in store.jobs() {
        out.push((job.name, run(store, job, ctx, slot, node).await));
    }
    out
}

/// A claim as stored.
#[derive(Debug, Clone)]
pub struct Claim {
    pub job: String,
    pub slot: String,
    pub node: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub outcome: Option<String>,
}

/// The claims of `slot`, by job name.
pub async fn of_slot(store: &Store, slot: &str) -> Result<Vec<Claim>> {
    sqlx::query(
        "SELECT job, slot, node, started_at, finished_at, outcome FROM job_runs \
         WHERE slot = $1 ORDER BY job",
    )
    .bind(slot)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Claim {
            job: r.try_get("job")?,
            slot: r.try_get("slot")?,
            node: r.try_get("node")?,
            started_at: r.try_get("started_at")?,
            finished_at: r.try_get("finished_at")?,
            outcome: r.try_get("outcome")?,
        })
    })
    .collect()
}
