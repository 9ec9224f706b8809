//! One import pipeline for every registry: rows are checked against the record's own rules
//! (the domain's pure function), written in batches inside one transaction, and refused rows
//! reported with their line and reason; one audit record says what the import did. A registry
//! plugs in by implementing [`ImportRecord`] for its domain record: what to load at the start,
//! how to write a batch (and what the database refuses: codes, duplicates), what to do at the
//! end. Importing the same rows again changes nothing; that is each registry's business (a key
//! and a fingerprint), since what "the same" means differs (an enterprise row may repeat its
//! code for another licence).

use crate::audit::{self, Change};
use crate::{Actor, Result, Store, Tx};
use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::Refusal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::future::Future;

/// How many row problems an import keeps to show.
pub const MAX_PROBLEMS: usize = 1000;

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// The registry's own count of what else changed ([`ImportRecord::SIDE_COUNT`] names it):
    /// enterprises registered on the way (sampling), licences added or changed (enterprises).
    pub side: usize,
    /// Rows left out, each with its line and reason, by line (at most [`MAX_PROBLEMS`] kept).
    #[serde(skip)]
    pub problems: Vec<Diagnostic>,
    /// Every row left out, also those not kept.
    pub problems_total: usize,
    /// What the reader noted without leaving rows out.
    #[serde(skip)]
    pub warnings: Vec<Diagnostic>,
}

impl ImportReport {
    /// Notes a row left out.
    pub fn refuse(&mut self, d: Diagnostic) {
        self.problems_total += 1;
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(d);
        }
    }

    /// Notes a row left out for `refusal`.
    pub fn refuse_line(&mut self, line: usize, refusal: &Refusal) {
        self.refuse(line_refusal(line, refusal));
    }
}

/// A refused row as a diagnostic: `第3行：…` / `row 3: …`.
pub fn line_refusal(line: usize, refusal: &Refusal) -> Diagnostic {
    let mut d = Diagnostic::error(
        format!("line {line}"),
        format!("row {line}: {}", refusal.en),
        format!("第{line}行：{}", refusal.zh),
    );
    d.line = Some(line);
    d
}

/// What a registry's writer works with: the transaction the whole import runs in, and the
/// report it adds its counts and refusals to.
pub struct Context<'a> {
    pub store: &'a Store,
    pub actor: Actor,
    pub tx: Tx,
    pub report: ImportReport,
    /// The business date the import runs as of.
    pub today: NaiveDate,
}

/// A registry's record as the import pipeline takes it.
pub trait ImportRecord: Sized + Send + Sync + 'static {
    /// The registry an actor must keep to import ([`crate::enterprises::may_write`]).
    const REGISTRY: &'static str;
    /// Rows per batch handed to [`ImportRecord::write`].
    const BATCH: usize;
    /// The audit action and target type of an import.
    const AUDIT: (&'static str, &'static str);
    /// The name of [`ImportReport::side`] in the audit record.
    const SIDE_COUNT: &'static str;
    /// What the registry keeps from batch to batch (known codes, keys seen …).
    type Writer: Send;

    /// The record's own rules (pure): the reason it is refused.
    fn check(&self, today: NaiveDate) -> std::result::Result<(), Refusal>;

    /// Loads what the writer needs, inside the import's transaction.
    fn begin(cx: &mut Context<'_>) -> impl Future<Output = Result<Self::Writer>> + Send;

    /// Writes checked rows, in file order; refuses what the database refuses.
    fn write(
        writer: &mut Self::Writer,
        cx: &mut Context<'_>,
        rows: Vec<(usize, Self)>,
    ) -> impl Future<Output = Result<()>> + Send;

    /// Finishes after the last batch (counts kept beside the records …).
    fn finish(
        writer: Self::Writer,
        cx: &mut Context<'_>,
    ) -> impl Future<Output = Result<()>> + Send;
}

/// A running import: rows are pushed as the file is read and written in batches inside one
/// transaction; [`Import::finish`] commits. Dropped unfinished, it writes nothing.
pub struct Import<'a, R: ImportRecord> {
    pub(crate) cx: Context<'a>,
    pub(crate) writer: R::Writer,
    source: String,
    today: NaiveDate,
    pending: Vec<(usize, R)>,
}

impl<'a, R: ImportRecord> Import<'a, R> {
    /// Starts an import from `source` (a file name); the actor must keep the registry.
    pub async fn begin(
        store: &'a Store,
        actor: &Actor,
        source: &str,
        today: NaiveDate,
    ) -> Result<Import<'a, R>> {
        crate::enterprises::require_writer(store, actor, R::REGISTRY).await?;
        let mut tx = store.begin().await?;
        crate::bulk::begin_load(store.backend, &mut tx).await?;
        let mut cx = Context {
            store,
            actor: actor.clone(),
            tx,
            report: ImportReport::default(),
            today,
        };
        let writer = R::begin(&mut cx).await?;
        Ok(Import {
            cx,
            writer,
            source: source.to_string(),
            today,
            pending: Vec::new(),
        })
    }

    /// Reports a row the reader refused; a reader's warning is kept apart (shown, not a row
    /// left out).
    pub fn refuse(&mut self, d: Diagnostic) {
        if d.is_error() {
            self.cx.report.refuse(d);
        } else {
            self.cx.report.warnings.push(d);
        }
    }

    /// Adds one row: checked now, written with its batch.
    pub async fn push(&mut self, line: usize, record: R) -> Result<()> {
        if let Err(refusal) = record.check(self.today) {
            self.cx.report.refuse_line(line, &refusal);
            return Ok(());
        }
        self.pending.push((line, record));
        if self.pending.len() >= R::BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        let rows = std::mem::take(&mut self.pending);
        if rows.is_empty() {
            return Ok(());
        }
        R::write(&mut self.writer, &mut self.cx, rows).await
    }

    /// Writes what is pending, lets the registry finish, records the audit and commits.
    pub async fn finish(mut self) -> Result<ImportReport> {
        self.flush().await?;
        let Import {
            mut cx,
            writer,
            source,
            ..
        } = self;
        R::finish(writer, &mut cx).await?;
        let r = &cx.report;
        if r.created + r.updated + r.side > 0 {
            let mut after = json!({ "created": r.created, "updated": r.updated,
                "refused_rows": r.problems_total });
            after[R::SIDE_COUNT] = json!(r.side);
            let (action, target_type) = R::AUDIT;
            audit::record(
                cx.store,
                &mut cx.tx,
                &cx.actor,
                Change {
                    action,
                    target_type,
                    target_id: &source,
                    before: json!(null),
                    after,
                },
            )
            .await?;
        }
        crate::bulk::end_load(cx.store.backend, &mut cx.tx).await?;
        cx.tx.commit().await?;
        let mut report = cx.report;
        report
            .problems
            .sort_by_key(|d| d.line.unwrap_or(usize::MAX));
        Ok(report)
    }
}

/// Imports rows given in memory (the demo, a form, tests): the same pipeline as a file.
pub async fn run<R: ImportRecord>(
    store: &Store,
    actor: &Actor,
    source: &str,
    today: NaiveDate,
    rows: impl IntoIterator<Item = (usize, R)>,
) -> Result<ImportReport> {
    let mut import = Import::<R>::begin(store, actor, source, today).await?;
    for (line, record) in rows {
        import.push(line, record).await?;
    }
    import.finish().await
}
