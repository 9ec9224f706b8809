//! The import queue: registry files waiting to be imported, being imported, and imported.
//!
//! A page or the API stores the uploaded file and [`enqueue`]s it; a worker [`claim`]s the
//! oldest waiting job (one statement, so two workers never take the same job), imports it
//! under the rights of the account that queued it, and [`finish`]es it with what it did.
//!
//! The file lies in the upload directory of the server that received it, its *node*; only
//! workers of that node claim the job (servers on one PostgreSQL do not share their disks). A
//! server that dies mid-import leaves its job `running`, and the import's own transaction was
//! rolled back: [`requeue_stopped`] puts the node's running jobs back in the queue when it
//! starts again, at most [`MAX_ATTEMPTS`] times — a file that stops the server each time is
//! then failed, not retried forever.

use crate::import::ImportReport;
use crate::schema::{Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, now_text};
use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;
use qcity_domain::role::Role;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// The queue's table.
pub const SCHEMA: Schema = Schema {
    slug: "imports",
    migrations: &[Migration {
        version: 2026120622,
        name: "import queue: registry files waiting, running and done",
        sql: include_str!("../migrations/2026120622_imports_queue.sql"),
    }],
    // The files are not in backups, so neither are their jobs (the audit trail keeps what
    // each import did).
    tables: &[Table::transient("import_jobs")],
    jobs: &[],
    measures: &[],
    demo: None,
};

/// How many times a job is started before a stop counts as the file's fault.
pub const MAX_ATTEMPTS: i64 = 3;

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    Done,
    Failed,
}

impl JobState {
    pub fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    fn parse(code: &str) -> Result<JobState> {
        [
            JobState::Queued,
            JobState::Running,
            JobState::Done,
            JobState::Failed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
        .ok_or_else(|| {
            StoreError::Db(sqlx::Error::ColumnDecode {
                index: "state".into(),
                source: format!("`{code}` is not a job state").into(),
            })
        })
    }

    /// True while the job may still change.
    pub fn is_open(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

/// What a finished job did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outcome {
    /// The file was read: its counts, the rows left out (with line and reason) and the notes.
    Imported {
        report: ImportReport,
        problems: Vec<Diagnostic>,
        warnings: Vec<Diagnostic>,
    },
    /// The file as a whole was refused (not a table, a column missing …): nothing was written.
    Refused { problem: Diagnostic },
    /// The import stopped (the server failed, or stopped too often on this file): nothing was
    /// written.
    Stopped { problem: Diagnostic },
}

/// A queued import as its page shows it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    /// The registry (`sampling`, `enterprises` …).
    pub kind: String,
    /// The file's name as uploaded.
    pub source: String,
    pub size_bytes: i64,
    pub state: JobState,
    /// Rows read so far (updated while running where the database allows, see the web queue).
    pub rows_done: i64,
    pub username: String,
    pub user_id: Option<i64>,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub outcome: Option<Outcome>,
}

/// A job a worker has claimed: what it needs to run it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub kind: String,
    pub source: String,
    pub file_path: String,
    pub today: NaiveDate,
    /// The account that queued it, as it was then (its rights are checked again by the import).
    pub actor: Actor,
}

/// A file to queue.
pub struct NewJob<'a> {
    /// The registry to import into.
    pub kind: &'a str,
    /// The file's name as uploaded.
    pub source: &'a str,
    /// Where it lies on the node (owned by the queue from now on).
    pub file_path: &'a str,
    pub size_bytes: u64,
    /// The business date the import runs as of.
    pub today: NaiveDate,
}

/// Queues a file on `node` for import by `actor`, who must keep the registry.
pub async fn enqueue(store: &Store, node: &str, actor: &Actor, new: NewJob<'_>) -> Result<i64> {
    let NewJob {
        kind,
        source,
        file_path,
        size_bytes,
        today,
    } = new;
    crate::enterprises::require_writer(store, actor, kind).await?;
    let row = sqlx::query(
        "INSERT INTO import_jobs (kind, source, file_path, size_bytes, business_date, user_id, \
           username, role, unit_id, ip, request_id, state, created_at, node) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'queued', $12, $13) RETURNING id",
    )
    .bind(kind)
    .bind(source)
    .bind(file_path)
    .bind(i64::try_from(size_bytes).unwrap_or(i64::MAX))
    .bind(today.to_string())
    .bind(actor.user_id)
    .bind(&actor.username)
    .bind(actor.role.map(|r| r.as_str().to_string()))
    .bind(actor.unit_id)
    .bind(&actor.ip)
    .bind(&actor.request_id)
    .bind(now_text())
    .bind(node)
    .fetch_one(&store.pool)
    .await?;
    Ok(row.try_get("id")?)
}

/// Takes the node's oldest waiting job, if any, and marks it running. One statement: a job is
/// claimed by one worker only, whatever the number of workers.
pub async fn claim(store: &Store, node: &str) -> Result<Option<Claimed>> {
    let now = now_text();
    let row = sqlx::query(
        "UPDATE import_jobs SET state = 'running', started_at = $1, heartbeat_at = $1, \
           attempts = attempts + 1 \
         WHERE id = (SELECT id FROM import_jobs WHERE node = $2 AND state = 'queued' \
                     ORDER BY id LIMIT 1) \
           AND state = 'queued' \
         RETURNING id, kind, source, file_path, business_date, user_id, username, role, \
           unit_id, ip, request_id",
    )
    .bind(&now)
    .bind(node)
    .fetch_optional(&store.pool)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let role: Option<String> = r.try_get("role")?;
    // The import writes the register of the district its account works on.
    let user_id: Option<i64> = r.try_get("user_id")?;
    let username: String = r.try_get("username")?;
    let owner_id = match user_id {
        Some(_) => crate::users::find_by_name(store, &username)
            .await?
            .and_then(|(u, _)| u.owner_id),
        None => None,
    };
    let date: String = r.try_get("business_date")?;
    let decode = |what: &str, e: String| {
        StoreError::Db(sqlx::Error::ColumnDecode {
            index: what.into(),
            source: e.into(),
        })
    };
    Ok(Some(Claimed {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        source: r.try_get("source")?,
        file_path: r.try_get("file_path")?,
        today: date
            .parse()
            .map_err(|e: chrono::ParseError| decode("business_date", e.to_string()))?,
        actor: Actor {
            user_id,
            username,
            role: match role {
                Some(code) => Some(
                    code.parse::<Role>()
                        .map_err(|e| decode("role", e.to_string()))?,
                ),
                None => None,
            },
            unit_id: r.try_get("unit_id")?,
            owner_id,
            ip: r.try_get("ip")?,
            request_id: r.try_get("request_id")?,
        },
    }))
}

/// Notes that a running job is alive and how far it got.
pub async fn heartbeat(store: &Store, id: i64, rows_done: u64) -> Result<()> {
    sqlx::query(
        "UPDATE import_jobs SET heartbeat_at = $1, rows_done = $2 WHERE id = $3 AND state = 'running'",
    )
    .bind(now_text())
    .bind(i64::try_from(rows_done).unwrap_or(i64::MAX))
    .bind(id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Records what a job did; returns the file path, now free to remove.
pub async fn finish(store: &Store, id: i64, rows_done: u64, outcome: &Outcome) -> Result<()> {
    let state = match outcome {
        Outcome::Imported { .. } => JobState::Done,
        Outcome::Refused { .. } | Outcome::Stopped { .. } => JobState::Failed,
    };
    let json = serde_json::to_string(outcome)
        .map_err(|e| StoreError::Db(sqlx::Error::Encode(Box::new(e))))?;
    sqlx::query(
        "UPDATE import_jobs SET state = $1, outcome = $2, finished_at = $3, rows_done = $4 \
         WHERE id = $5",
    )
    .bind(state.code())
    .bind(json)
    .bind(now_text())
    .bind(i64::try_from(rows_done).unwrap_or(i64::MAX))
    .bind(id)
    .execute(&store.pool)
    .await?;
    Ok(())
}

/// Puts back in the queue the node's running jobs, left by a server that stopped (call it
/// when the node's server starts, before its workers). A job started [`MAX_ATTEMPTS`] times is
/// failed instead. Returns how many were requeued and the files of the failed ones, to remove.
pub async fn requeue_stopped(store: &Store, node: &str) -> Result<(usize, Vec<String>)> {
    let rows = sqlx::query(
        "SELECT id, attempts, file_path FROM import_jobs WHERE node = $1 AND state = 'running' \
         ORDER BY id",
    )
    .bind(node)
    .fetch_all(&store.pool)
    .await?;
    let mut requeued = 0;
    let mut failed = Vec::new();
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let attempts: i64 = r.try_get("attempts")?;
        if attempts >= MAX_ATTEMPTS {
            let problem = Diagnostic::error(
                "file",
                format!(
                    "the import stopped {attempts} times on this file; nothing was written: \
                     check the file or ask the administrator"
                ),
                format!("此文件导入时已中断 {attempts} 次，未写入任何数据：请检查文件或联系管理员"),
            );
            finish(store, id, 0, &Outcome::Stopped { problem }).await?;
            failed.push(r.try_get("file_path")?);
        } else {
            let n = sqlx::query(
                "UPDATE import_jobs SET state = 'queued', rows_done = 0 \
                 WHERE id = $1 AND state = 'running'",
            )
            .bind(id)
            .execute(&store.pool)
            .await?
            .rows_affected();
            requeued += n as usize;
        }
    }
    Ok((requeued, failed))
}

const COLUMNS: &str = "id, kind, source, size_bytes, state, rows_done, username, user_id, \
    created_at, started_at, finished_at, outcome";

fn job(r: &sqlx::any::AnyRow) -> Result<Job> {
    let outcome: Option<String> = r.try_get("outcome")?;
    let outcome = match outcome {
        Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
            StoreError::Db(sqlx::Error::ColumnDecode {
                index: "outcome".into(),
                source: Box::new(e),
            })
        })?),
        None => None,
    };
    let state: String = r.try_get("state")?;
    Ok(Job {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        source: r.try_get("source")?,
        size_bytes: r.try_get("size_bytes")?,
        state: JobState::parse(&state)?,
        rows_done: r.try_get("rows_done")?,
        username: r.try_get("username")?,
        user_id: r.try_get("user_id")?,
        created_at: r.try_get("created_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        outcome,
    })
}

/// SQL condition: the job was queued by an account of the actor's district (the district
/// above its unit, as `users` reads it; the home district for an account without one and for
/// the command line), so an office sees the imports of its own district's registers only.
fn same_district_sql(actor: &Actor) -> String {
    let districts = "('district', 'city', 'province')";
    format!(
        "COALESCE((SELECT CASE WHEN o.kind IN {districts} THEN o.id WHEN p1.kind IN {districts} THEN p1.id \
         WHEN p2.kind IN {districts} THEN p2.id END FROM users u LEFT JOIN org_units o ON o.id = u.unit_id \
         LEFT JOIN org_units p1 ON p1.id = o.parent_id LEFT JOIN org_units p2 ON p2.id = p1.parent_id \
         WHERE u.username = import_jobs.username), {}) = {}",
        crate::enterprises::home_owner_sql(),
        crate::enterprises::owner_sql(actor)
    )
}

/// One job of the actor's district, for the account that queued it or the office; others are
/// told it does not exist.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Job> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM import_jobs WHERE id = $1 AND {}",
        same_district_sql(actor)
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let job = job(&row)?;
    if actor.scope().is_admin() || (actor.user_id.is_some() && job.user_id == actor.user_id) {
        Ok(job)
    } else {
        Err(StoreError::NotFound)
    }
}

/// The caller's latest jobs of registry `kind` (the office sees everybody's of its district),
/// newest first.
pub async fn recent(store: &Store, actor: &Actor, kind: &str, limit: i64) -> Result<Vec<Job>> {
    let rows = if actor.scope().is_admin() {
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM import_jobs WHERE kind = $1 AND {} ORDER BY id DESC LIMIT $2",
            same_district_sql(actor)
        ))
        .bind(kind)
        .bind(limit)
        .fetch_all(&store.pool)
        .await?
    } else {
        let Some(user_id) = actor.user_id else {
            return Ok(Vec::new());
        };
        sqlx::query(&format!(
            "SELECT {COLUMNS} FROM import_jobs WHERE kind = $1 AND user_id = $2 \
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(kind)
        .bind(user_id)
        .bind(limit)
        .fetch_all(&store.pool)
        .await?
    };
    rows.iter().map(job).collect()
}

/// How many jobs wait before job `id` (0 when it is next or not waiting).
pub async fn ahead_of(store: &Store, id: i64) -> Result<i64> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM import_jobs WHERE state IN ('queued', 'running') AND id < $1",
    )
    .bind(id)
    .fetch_one(&store.pool)
    .await?;
    Ok(row.try_get("n")?)
}
