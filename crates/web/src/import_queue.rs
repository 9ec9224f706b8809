//! The import queue's web side: registry files are handed over by a page or the API
//! ([`submit`]), imported by a few workers in the background ([`start`]), and watched on their
//! own page while they run. A request never holds the server for the length of a file.
//!
//! The jobs live in the database (`qcity_store::import_queue`), so a job survives a restart;
//! the file lies in this server's upload directory, so this server (its *node*) runs it. Rows
//! read so far are counted in memory; on PostgreSQL a heartbeat also writes them to the job
//! every few seconds, for pages served by another server (on SQLite the import's transaction
//! holds the only write lock, and one server serves every page).

use crate::AppState;
use crate::error::AppError;
use crate::upload::SpooledFile;
use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;
use qcity_store::import_queue::{self, Claimed, Outcome};
use qcity_store::{Actor, Backend, StoreError};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How often a PostgreSQL worker writes the rows read so far.
const HEARTBEAT: Duration = Duration::from_secs(3);
/// How often an idle worker looks at the queue without being woken (a missed wake-up, a job
/// queued by a command).
const POLL: Duration = Duration::from_secs(5);

/// The queue's state in this process: its node, the workers' wake-up call, the end of each
/// job, and the rows read by the jobs running here.
pub struct ImportQueue {
    node: String,
    wake: tokio::sync::Notify,
    finished: tokio::sync::Notify,
    running: Mutex<HashMap<i64, Arc<AtomicU64>>>,
}

impl ImportQueue {
    /// The queue of the server whose uploads go to `upload_dir`: the node is the host's name
    /// and that directory.
    pub fn new(upload_dir: &std::path::Path) -> ImportQueue {
        let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_string())
            .unwrap_or_default();
        let dir = upload_dir
            .canonicalize()
            .unwrap_or_else(|_| upload_dir.to_path_buf());
        ImportQueue {
            node: format!("{host}:{}", dir.display()),
            wake: Default::default(),
            finished: Default::default(),
            running: Default::default(),
        }
    }

    /// Rows read so far by job `id`, if it runs in this process.
    pub fn rows(&self, id: i64) -> Option<u64> {
        self.running
            .lock()
            .ok()
            .and_then(|m| m.get(&id).map(|n| n.load(Ordering::Relaxed)))
    }

    fn track(&self, id: i64) -> Arc<AtomicU64> {
        let counter = Arc::new(AtomicU64::new(0));
        if let Ok(mut m) = self.running.lock() {
            m.insert(id, counter.clone());
        }
        counter
    }

    fn untrack(&self, id: i64) {
        if let Ok(mut m) = self.running.lock() {
            m.remove(&id);
        }
    }
}

/// Queues an uploaded file for import into registry `kind` by `actor`; the file now belongs to
/// the queue. Returns the job's id.
pub async fn submit(
    state: &AppState,
    actor: &Actor,
    kind: &str,
    file: SpooledFile,
    today: NaiveDate,
) -> Result<i64, AppError> {
    let source = file.name.clone();
    let len = file.len;
    let path = file.keep()?;
    let text = path.to_string_lossy().into_owned();
    let node = &state.import_queue.node;
    let new = import_queue::NewJob {
        kind,
        source: &source,
        file_path: &text,
        size_bytes: len,
        today,
    };
    match import_queue::enqueue(&state.store, node, actor, new).await {
        Ok(id) => {
            state.import_queue.wake.notify_one();
            Ok(id)
        }
        Err(e) => {
            remove(&text);
            Err(e.into())
        }
    }
}

/// Waits up to `limit` for job `id` to finish (so a small file's page shows its result at
/// once); true when it has.
pub async fn wait_finished(state: &AppState, actor: &Actor, id: i64, limit: Duration) -> bool {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        // Registered before the check, so a job that ends in between still wakes this wait.
        let finished = state.import_queue.finished.notified();
        match import_queue::get(&state.store, actor, id).await {
            Ok(job) if !job.state.is_open() => return true,
            Ok(_) => {}
            Err(_) => return false,
        }
        if tokio::time::timeout_at(deadline, finished).await.is_err() {
            return false;
        }
    }
}

/// Starts the workers (as many as the import pool has slots) after putting back in the queue
/// the jobs this node left running when it stopped.
pub fn start(state: AppState) {
    tokio::spawn(async move {
        let node = &state.import_queue.node;
        match import_queue::requeue_stopped(&state.store, node).await {
            Ok((requeued, failed)) => {
                if requeued > 0 || !failed.is_empty() {
                    tracing::warn!(
                        requeued,
                        failed = failed.len(),
                        "imports left running when the server stopped"
                    );
                }
                for path in failed {
                    remove(&path);
                }
            }
            Err(e) => tracing::error!(error = %e, "import queue: recovery failed"),
        }
        for _ in 0..state.imports.size() {
            tokio::spawn(worker(state.clone()));
        }
    });
}

async fn worker(state: AppState) {
    loop {
        match import_queue::claim(&state.store, &state.import_queue.node).await {
            Ok(Some(job)) => {
                // A slot of the import pool: queued imports and the pages' own imports share
                // the same few cores.
                let _slot = state.imports.acquire_queued().await;
                run(&state, job).await;
            }
            Ok(None) => {
                let _ = tokio::time::timeout(POLL, state.import_queue.wake.notified()).await;
            }
            Err(e) => {
                tracing::error!(error = %e, "import queue: claiming a job failed");
                tokio::time::sleep(POLL).await;
            }
        }
    }
}

async fn run(state: &AppState, job: Claimed) {
    let rows = state.import_queue.track(job.id);
    let heartbeat = (state.store.backend == Backend::Postgres).then(|| {
        let (store, rows, id) = (state.store.clone(), rows.clone(), job.id);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(HEARTBEAT).await;
                if let Err(e) =
                    import_queue::heartbeat(&store, id, rows.load(Ordering::Relaxed)).await
                {
                    tracing::warn!(error = %e, job = id, "import heartbeat");
                }
            }
        })
    });
    let outcome = import(state, &job, &rows).await;
    if let Some(h) = heartbeat {
        h.abort();
    }
    // The file goes first: once the job reads as finished, nothing of it is left on disk. Were
    // the outcome then not recorded, the job's next run would say the file is gone.
    remove(&job.file_path);
    if let Err(e) =
        import_queue::finish(&state.store, job.id, rows.load(Ordering::Relaxed), &outcome).await
    {
        tracing::error!(error = %e, job = job.id, "import queue: recording the outcome failed");
    }
    state.import_queue.untrack(job.id);
    state.import_queue.finished.notify_waiters();
}

/// Runs one job: what it did, or why it stopped.
async fn import(state: &AppState, job: &Claimed, rows: &AtomicU64) -> Outcome {
    let data = match crate::upload::map_kept(std::path::Path::new(&job.file_path)) {
        Ok(data) => data,
        Err(e) => {
            tracing::error!(error = %e, job = job.id, "import queue: the file is gone");
            return stopped(
                "the uploaded file is no longer on the server; please upload it again",
                "上传的文件已不在服务器上，请重新上传",
            );
        }
    };
    let result = crate::imports::registry_file_import(
        &job.kind,
        &state.store,
        &job.actor,
        &job.source,
        job.today,
        data,
        rows,
    )
    .await;
    match result {
        Ok(Ok(report)) => Outcome::Imported {
            problems: report.problems.clone(),
            warnings: report.warnings.clone(),
            report,
        },
        Ok(Err(problem)) => Outcome::Refused { problem },
        Err(StoreError::Forbidden) => stopped(
            "the account that uploaded the file may no longer import into this registry",
            "上传文件的账号已无权导入此名录",
        ),
        Err(e) => {
            tracing::error!(error = %e, job = job.id, "import queue: the import failed");
            stopped(
                "the import failed on the server; nothing was written. Please try again later",
                "服务器导入失败，未写入任何数据，请稍后重试",
            )
        }
    }
}

fn stopped(en: &str, zh: &str) -> Outcome {
    Outcome::Stopped {
        problem: Diagnostic::error("file", en, zh),
    }
}

fn remove(path: &str) {
    if let Err(e) = std::fs::remove_file(path)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!(error = %e, path, "import queue: removing a file");
    }
}
