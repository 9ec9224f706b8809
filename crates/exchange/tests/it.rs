//! The public API end to end: export, import, and a round trip through
//! LibreOffice when it is installed.

#[path = "support/libreoffice.rs"]
mod libreoffice;

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

#[test]
fn a_workbook_resaved_by_libreoffice_reads_back_unchanged() {
    let plan = default_plan();
    let bytes = plan_to_xlsx(&plan).unwrap_or_else(|e| panic!("{e}"));
    let Some(resaved) = libreoffice::resave_xlsx(
        "a_workbook_resaved_by_libreoffice_reads_back_unchanged",
        &bytes,
    ) else {
        return;
    };
    let (back, _) = plan_from_xlsx(&resaved, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(diff(&plan, &back).is_empty(), "{:#?}", diff(&plan, &back));
    assert_eq!(back, plan);
}
