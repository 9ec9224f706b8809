//! Registry files into the store: file bytes → the exchange reader (on a blocking thread,
//! rows streamed in batches) → the store's import pipeline → what it did. The web upload and
//! `qcity import …` call the same function per registry, so a file is read, checked and
//! reported the same way in both; a later registry adds one function here.

use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::{EnterpriseRow, SamplingInput};
use qcity_store::import::{Import, ImportRecord, ImportReport};
use qcity_store::{Actor, Store};
use std::sync::atomic::{AtomicU64, Ordering};

/// What importing a file gave: the report, or the file-level error (not a table, a required
/// column missing …), in which case nothing was written.
pub type FileOutcome = Result<ImportReport, Diagnostic>;

/// A registry whose files go through the import queue: its code (the queue's `kind`, the
/// registry an importer must keep) and how its pages name things.
pub struct RegistryFile {
    pub kind: &'static str,
    /// The message ids of the import's title, of the page to go back to and of the side count
    /// (what else the import changed).
    pub title: &'static str,
    pub back: &'static str,
    pub back_label: &'static str,
    pub side_label: &'static str,
}

/// The registries imported through the queue.
pub const REGISTRY_FILES: &[RegistryFile] = &[
    RegistryFile {
        kind: "sampling",
        title: "smp-import",
        back: "/sampling",
        back_label: "nav-sampling",
        side_label: "smp-import-enterprises",
    },
    RegistryFile {
        kind: "enterprises",
        title: "ent-import",
        back: "/enterprises",
        back_label: "ent-title",
        side_label: "ent-import-licences",
    },
    RegistryFile {
        kind: "complaints",
        title: "cmpi-title",
        back: "/complaints/import",
        back_label: "cmpi-back",
        side_label: "cmpi-triage",
    },
];

/// The registry file of queue kind `kind`.
pub fn registry_file(kind: &str) -> Option<&'static RegistryFile> {
    REGISTRY_FILES.iter().find(|r| r.kind == kind)
}

/// Imports a file of registry `kind` (one of [`REGISTRY_FILES`]), counting rows read into
/// `progress` as it goes.
pub async fn registry_file_import(
    kind: &str,
    store: &Store,
    actor: &Actor,
    source: &str,
    today: NaiveDate,
    bytes: impl AsRef<[u8]> + Send + 'static,
    progress: &AtomicU64,
) -> qcity_store::Result<FileOutcome> {
    match kind {
        "sampling" => sampling_file(store, actor, source, today, bytes, progress).await,
        "enterprises" => enterprises_file(store, actor, source, today, bytes, progress).await,
        "complaints" => complaints_file(store, actor, source, today, bytes, progress).await,
        _ => Err(qcity_store::StoreError::invalid(
            "kind",
            "import-unknown-kind",
        )),
    }
}

/// Imports a sampling file (XLSX or CSV).
pub async fn sampling_file(
    store: &Store,
    actor: &Actor,
    source: &str,
    today: NaiveDate,
    bytes: impl AsRef<[u8]> + Send + 'static,
    progress: &AtomicU64,
) -> qcity_store::Result<FileOutcome> {
    import_file::<SamplingInput>(
        store,
        actor,
        source,
        today,
        bytes,
        progress,
        |bytes, on_row| qcity_exchange::read_sampling(bytes, on_row),
    )
    .await
}

/// Imports an enterprise file (XLSX or CSV).
pub async fn enterprises_file(
    store: &Store,
    actor: &Actor,
    source: &str,
    today: NaiveDate,
    bytes: impl AsRef<[u8]> + Send + 'static,
    progress: &AtomicU64,
) -> qcity_store::Result<FileOutcome> {
    import_file::<EnterpriseRow>(
        store,
        actor,
        source,
        today,
        bytes,
        progress,
        move |bytes, on_row| qcity_exchange::read_enterprises(bytes, today, on_row),
    )
    .await
}

/// Imports complaint tickets another hotline system exported (XLSX or CSV).
pub async fn complaints_file(
    store: &Store,
    actor: &Actor,
    source: &str,
    today: NaiveDate,
    bytes: impl AsRef<[u8]> + Send + 'static,
    progress: &AtomicU64,
) -> qcity_store::Result<FileOutcome> {
    import_file::<qcity_store::complaints::import::TicketRow>(
        store,
        actor,
        source,
        today,
        bytes,
        progress,
        move |bytes, on_row| qcity_exchange::read_complaints(bytes, today, on_row),
    )
    .await
}

/// Streams a file into the store: the file is read on a blocking thread and its rows are
/// written in batches as they arrive, all in one transaction. A file-level error writes nothing.
async fn import_file<R: ImportRecord>(
    store: &Store,
    actor: &Actor,
    source: &str,
    today: NaiveDate,
    bytes: impl AsRef<[u8]> + Send + 'static,
    progress: &AtomicU64,
    // Hands each good row to the callback with its line; returns the row diagnostics or the
    // file-level error.
    read: impl FnOnce(&[u8], &mut dyn FnMut(usize, R)) -> Result<Vec<Diagnostic>, Diagnostic>
    + Send
    + 'static,
) -> qcity_store::Result<FileOutcome> {
    // Rows cross in batches: one hand-off per row would cost more than reading it.
    const BATCH: usize = 2000;
    let mut import = Import::<R>::begin(store, actor, source, today).await?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<(usize, R)>>(8);
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let result = read(bytes.as_ref(), &mut |line, row| {
            batch.push((line, row));
            if batch.len() == BATCH {
                // The receiver only goes away when the import failed; the rest is then moot.
                let _ = tx.blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        });
        if !batch.is_empty() {
            let _ = tx.blocking_send(batch);
        }
        result
    });
    while let Some(batch) = rx.recv().await {
        progress.fetch_add(batch.len() as u64, Ordering::Relaxed);
        for (line, row) in batch {
            import.push(line, row).await?;
        }
    }
    let read = match reader.await {
        Ok(read) => read,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    match read {
        // Dropping the import rolls its transaction back.
        Err(file_error) => Ok(Err(file_error)),
        Ok(row_problems) => {
            for d in row_problems {
                import.refuse(d);
            }
            Ok(Ok(import.finish().await?))
        }
    }
}
