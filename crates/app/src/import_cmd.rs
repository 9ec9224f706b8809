//! `qcity import enterprises FILE` and `qcity import sampling FILE`: the same rules as the web
//! import (XLSX or CSV; a bad row is reported with its line, the good rows are kept; importing
//! the same file again changes nothing).

use anyhow::{Context, Result};
use qcity_domain::plan::Diagnostic;
use qcity_exchange::{EnterpriseRow, SamplingRow, read_enterprises, read_sampling};
use qcity_store::enterprises::{self, EnterpriseInput, ImportRow, LicenceInput};
use qcity_store::sampling::{self, ImportOutcome, SamplingInput};
use qcity_store::{Actor, Store};
use std::path::Path;
use std::process::ExitCode;

/// The store's input for one enterprise row.
pub fn enterprise_input(r: EnterpriseRow) -> ImportRow {
    ImportRow {
        line: r.line,
        enterprise: EnterpriseInput {
            code: r.code,
            name: r.name,
            address: r.address,
            industry: r.industry,
            size: r.size,
            town: r.town,
            chief_quality_officer: r.chief_quality_officer,
            contact: r.contact,
            file_opened: r.file_opened,
        },
        licence: r.licence.map(|l| LicenceInput {
            kind: l.kind,
            number: l.number,
            product: l.product,
            issued: l.issued,
            expires: l.expires,
        }),
    }
}

/// The store's input for one sampling row.
pub fn sampling_input(r: SamplingRow) -> (usize, SamplingInput) {
    (
        r.line,
        SamplingInput {
            report_no: r.report_no,
            plan: r.plan,
            level: r.level,
            stage: r.stage,
            enterprise_code: r.enterprise_code,
            enterprise_name: r.enterprise_name,
            product: r.product,
            category: r.category,
            kind: r.kind,
            ccc: r.ccc,
            batch: r.batch,
            sampled_on: r.sampled_on,
            reported_on: r.reported_on,
            verdict: r.verdict,
            failed_items: r.failed_items,
            agency: r.agency,
        },
    )
}

/// Streams a sampling file into the store: the file is read on a blocking thread and its rows
/// are written in chunks as they arrive, all in one transaction. A file-level error (not a
/// table, a required column missing) writes nothing.
pub async fn import_sampling(
    store: &Store,
    actor: &Actor,
    bytes: Vec<u8>,
    source: &str,
) -> Result<std::result::Result<ImportOutcome, Diagnostic>> {
    // Rows cross in batches: one hand-off per row would cost more than reading it.
    const BATCH: usize = 2000;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<SamplingRow>>(8);
    let reader = tokio::task::spawn_blocking(move || {
        let mut batch = Vec::with_capacity(BATCH);
        let result = read_sampling(&bytes, |row| {
            batch.push(row);
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
    let mut import = sampling::Import::begin(store, actor, source).await?;
    while let Some(batch) = rx.recv().await {
        for row in batch {
            let (line, input) = sampling_input(row);
            import.push(line, input).await?;
        }
    }
    match reader.await.context("the file reader stopped")? {
        // Dropping the import rolls its transaction back.
        Err(file_error) => Ok(Err(file_error)),
        Ok(row_problems) => {
            for d in row_problems {
                import.refuse(d);
            }
            let mut outcome = import.finish().await?;
            outcome
                .problems
                .sort_by_key(|d| d.line.unwrap_or(usize::MAX));
            Ok(Ok(outcome))
        }
    }
}

fn print_problems(problems: &[Diagnostic], total: usize) {
    for d in problems {
        println!("  {} / {}", d.message_zh, d.message_en);
    }
    if total > problems.len() {
        println!(
            "  ……另有 {} 行未显示 / … {} more rows not shown",
            total - problems.len(),
            total - problems.len()
        );
    }
}

fn read(file: &Path) -> Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

/// `qcity import enterprises FILE`: exits non-zero when the file or any row was refused.
pub async fn enterprises_file(store: &Store, file: &Path) -> Result<ExitCode> {
    let actor = Actor::system("import");
    let bytes = read(file)?;
    let (rows, mut problems) = match read_enterprises(&bytes) {
        Ok(r) => r,
        Err(d) => {
            println!(
                "文件无法导入 / file refused: {} / {}",
                d.message_zh, d.message_en
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    let rows: Vec<ImportRow> = rows.into_iter().map(enterprise_input).collect();
    let source = file
        .file_name()
        .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned());
    let outcome = enterprises::import(store, &actor, &rows, &source).await?;
    problems.extend(outcome.problems.iter().cloned());
    problems.sort_by_key(|d| d.line.unwrap_or(usize::MAX));
    println!(
        "企业导入 / enterprises: 新增 created {}，更新 updated {}，未变 unchanged {}，许可证变更 licences changed {}，拒绝 refused {}",
        outcome.created,
        outcome.updated,
        outcome.unchanged,
        outcome.licences_changed,
        problems.len()
    );
    print_problems(&problems, problems.len());
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `qcity import sampling FILE`: exits non-zero when the file or any row was refused.
pub async fn sampling_file(store: &Store, file: &Path) -> Result<ExitCode> {
    let actor = Actor::system("import");
    let bytes = read(file)?;
    let source = file
        .file_name()
        .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned());
    let outcome = match import_sampling(store, &actor, bytes, &source).await? {
        Ok(o) => o,
        Err(d) => {
            println!(
                "文件无法导入 / file refused: {} / {}",
                d.message_zh, d.message_en
            );
            return Ok(ExitCode::FAILURE);
        }
    };
    println!(
        "抽查导入 / sampling: 新增 created {}，更新 updated {}，未变 unchanged {}，新登记企业 enterprises registered {}，拒绝 refused {}",
        outcome.created,
        outcome.updated,
        outcome.unchanged,
        outcome.enterprises_created,
        outcome.problems_total
    );
    print_problems(&outcome.problems, outcome.problems_total);
    Ok(if outcome.problems_total == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
