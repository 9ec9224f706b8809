//! The public API end to end: export, import, and a round trip through
//! LibreOffice when it is installed; the status workbook opened there.

use crate::libreoffice;

use qcity_domain::plan::{default_plan, diff};
use qcity_exchange::{
    SHEET_PROGRESS, SHEET_STATUS_DETAIL, StatusRow, plan_from_xlsx, plan_to_xlsx, status_to_xlsx,
};

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

fn status_row(code: &str, unit: &str, duty: &str, status: &str, overdue_days: i64) -> StatusRow {
    StatusRow {
        content_code: code.to_string(),
        unit_name: unit.to_string(),
        duty: duty.to_string(),
        period_key: "once".to_string(),
        due_date: "2014-12-31".to_string(),
        status: status.to_string(),
        percent: if status == "accepted" { 100 } else { 40 },
        overdue_days,
    }
}

#[test]
fn a_status_workbook_opens_in_libreoffice() {
    let plan = default_plan();
    let rows = [
        status_row("2.3.1", "区质监分局", "lead", "accepted", 0),
        status_row("2.3.1", "区工信局", "undertaking", "submitted", 0),
        status_row("2.3.1", "区城建局", "undertaking", "not_started", 12),
        status_row("1.1.1", "区质监分局", "lead", "in_progress", 0),
        status_row("9.9.9", "区某局", "lead", "returned", 0),
    ];
    let bytes = status_to_xlsx(&plan, &rows, "任务分解表（进度）", "2015-01-12")
        .unwrap_or_else(|e| panic!("{e}"));
    let Some(pdf) = libreoffice::convert(
        "a_status_workbook_opens_in_libreoffice",
        &bytes,
        "xlsx",
        "pdf",
    ) else {
        return;
    };
    assert!(pdf.starts_with(b"%PDF"), "LibreOffice wrote no PDF");
    // Re-saved there, the sheets and the words read back as written.
    let Some(resaved) = libreoffice::resave_xlsx("a_status_workbook_opens_in_libreoffice", &bytes)
    else {
        return;
    };
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut xlsx: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(resaved)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(xlsx.sheet_names(), [SHEET_PROGRESS, SHEET_STATUS_DETAIL]);
    let progress = xlsx
        .worksheet_range(SHEET_PROGRESS)
        .unwrap_or_else(|e| panic!("{e}"));
    let row = progress
        .rows()
        .find(|r| matches!(r.get(3), Some(Data::String(s)) if s.starts_with("2.3.1 ")))
        .unwrap_or_else(|| panic!("no row for 2.3.1"));
    assert_eq!(row.get(13), Some(&Data::String("逾期".to_string())));
    let detail = xlsx
        .worksheet_range(SHEET_STATUS_DETAIL)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(detail.rows().count(), rows.len() + 1);
    assert!(detail.rows().any(
        |r| matches!(r.first(), Some(Data::String(s)) if s == "9.9.9")
            && r.get(6) == Some(&Data::String("已退回".to_string()))
    ));
}
