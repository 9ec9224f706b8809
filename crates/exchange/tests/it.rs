//! The public API end to end: export, import, and a round trip through
//! LibreOffice when it is installed.

use std::path::PathBuf;
use std::process::Command;

use qcity_domain::plan::{default_plan, diff};
use qcity_exchange::{plan_from_xlsx, plan_to_xlsx};

#[test]
fn the_default_plan_survives_a_round_trip() {
    let plan = default_plan();
    let bytes = plan_to_xlsx(&plan).unwrap_or_else(|e| panic!("{e}"));
    // An XLSX file is a zip archive.
    assert!(bytes.starts_with(b"PK"));
    let (back, warnings) = plan_from_xlsx(&bytes, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(warnings.is_empty(), "{warnings:#?}");
    assert_eq!(back, plan);
    let again = plan_to_xlsx(&back).unwrap_or_else(|e| panic!("{e}"));
    let (twice, _) = plan_from_xlsx(&again, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(twice, plan);
}

/// A fresh directory under the system temp dir.
fn scratch_dir() -> std::io::Result<PathBuf> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let dir = std::env::temp_dir().join(format!("qcity-exchange-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

fn office_binary() -> Option<&'static str> {
    ["soffice", "libreoffice"].into_iter().find(|bin| {
        Command::new(bin)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

#[test]
fn a_workbook_resaved_by_libreoffice_reads_back_unchanged() {
    let Some(bin) = office_binary() else {
        println!(
            "SKIPPED: LibreOffice (soffice/libreoffice) is not installed; the LibreOffice round trip was not run"
        );
        return;
    };
    let plan = default_plan();
    let dir = scratch_dir().unwrap_or_else(|e| panic!("{e}"));
    let input = dir.join("plan.xlsx");
    let out_dir = dir.join("out");
    std::fs::write(
        &input,
        plan_to_xlsx(&plan).unwrap_or_else(|e| panic!("{e}")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let status = Command::new(bin)
        .arg(format!(
            "-env:UserInstallation=file://{}",
            dir.join("profile").display()
        ))
        .args(["--headless", "--convert-to", "xlsx", "--outdir"])
        .arg(&out_dir)
        .arg(&input)
        .status()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "soffice failed: {status}");
    let resaved = std::fs::read(out_dir.join("plan.xlsx")).unwrap_or_else(|e| panic!("{e}"));
    let (back, _) = plan_from_xlsx(&resaved, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(diff(&plan, &back).is_empty(), "{:#?}", diff(&plan, &back));
    assert_eq!(back, plan);
    let _ = std::fs::remove_dir_all(&dir);
}
