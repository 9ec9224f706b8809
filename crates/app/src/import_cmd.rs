//! `qcity import enterprises FILE` and `qcity import sampling FILE`: the web upload's pipeline
//! ([`qcity_web::imports`]): XLSX or CSV; a bad row is reported with its line, the good rows
//! are kept; importing the same file again changes nothing.

use anyhow::{Context, Result};
use qcity_domain::plan::Diagnostic;
use qcity_store::import::ImportReport;
use qcity_store::{Actor, Store};
use qcity_web::imports::{self, FileOutcome};
use std::path::Path;
use std::process::ExitCode;

fn print_problems(report: &ImportReport) {
    for d in report.warnings.iter().chain(&report.problems) {
        println!("  {} / {}", d.message_zh, d.message_en);
    }
    let shown = report.problems.len();
    if report.problems_total > shown {
        println!(
            "  ……另有 {} 行未显示 / … {} more rows not shown",
            report.problems_total - shown,
            report.problems_total - shown
        );
    }
}

fn read(file: &Path) -> Result<Vec<u8>> {
    std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))
}

fn source(file: &Path) -> String {
    file.file_name()
        .map_or_else(|| "file".to_string(), |n| n.to_string_lossy().into_owned())
}

/// The report, or `None` after printing why the file was refused.
fn taken(outcome: FileOutcome) -> Option<ImportReport> {
    outcome
        .map_err(|d: Diagnostic| {
            println!(
                "文件无法导入 / file refused: {} / {}",
                d.message_zh, d.message_en
            );
        })
        .ok()
}

fn exit(report: &ImportReport) -> ExitCode {
    if report.problems_total == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// `qcity import enterprises FILE`: exits non-zero when the file or any row was refused.
pub async fn enterprises_file(
    store: &Store,
    file: &Path,
    today: chrono::NaiveDate,
) -> Result<ExitCode> {
    let actor = Actor::system("import");
    let outcome = imports::enterprises_file(
        store,
        &actor,
        &source(file),
        today,
        read(file)?,
        &Default::default(),
    )
    .await?;
    let Some(report) = taken(outcome) else {
        return Ok(ExitCode::FAILURE);
    };
    println!(
        "企业导入 / enterprises: 新增 created {}，更新 updated {}，未变 unchanged {}，许可证变更 licences changed {}，拒绝 refused {}",
        report.created, report.updated, report.unchanged, report.side, report.problems_total
    );
    print_problems(&report);
    Ok(exit(&report))
}

/// `qcity import sampling FILE`: exits non-zero when the file or any row was refused.
pub async fn sampling_file(
    store: &Store,
    file: &Path,
    today: chrono::NaiveDate,
) -> Result<ExitCode> {
    let actor = Actor::system("import");
    let outcome = imports::sampling_file(
        store,
        &actor,
        &source(file),
        today,
        read(file)?,
        &Default::default(),
    )
    .await?;
    let Some(report) = taken(outcome) else {
        return Ok(ExitCode::FAILURE);
    };
    println!(
        "抽查导入 / sampling: 新增 created {}，更新 updated {}，未变 unchanged {}，新登记企业 enterprises registered {}，拒绝 refused {}",
        report.created, report.updated, report.unchanged, report.side, report.problems_total
    );
    print_problems(&report);
    Ok(exit(&report))
}
