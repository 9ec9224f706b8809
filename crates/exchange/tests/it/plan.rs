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

const MEASURES: &[&qcity_domain::formula::Measure] = &[
    &qcity_domain::registry::SAMPLING_PASS_RATE,
    &qcity_domain::registry::CREDIT_RECORD_RATE,
];

#[test]
fn formulas_survive_every_format_and_reach_the_json_export() {
    let plan = default_plan();
    assert!(plan.check_formulas(None, MEASURES).is_empty());
    let computed = |p: &qcity_domain::plan::Plan| {
        p.indicators
            .iter()
            .filter_map(|i| {
                i.formula
                    .as_ref()
                    .map(|f| (i.code.clone(), f.to_inline_toml()))
            })
            .collect::<Vec<_>>()
    };
    let expected = computed(&plan);
    assert_eq!(expected.len(), 6, "{expected:?}");
    // A workbook read on top of a plan without formulas still brings them (its own column).
    let mut bare = plan.clone();
    for i in &mut bare.indicators {
        i.formula = None;
    }
    let xlsx = plan_to_xlsx(&plan).unwrap();
    let (from_xlsx, _) = qcity_exchange::read_plan(&xlsx, &bare, MEASURES).unwrap();
    assert_eq!(computed(&from_xlsx), expected);
    // TOML: the canonical text reads back to the same plan and writes the same text.
    let toml = plan.to_toml();
    let (from_toml, _) = qcity_exchange::read_plan(toml.as_bytes(), &bare, MEASURES).unwrap();
    assert_eq!(from_toml, plan);
    assert_eq!(from_toml.to_toml(), toml);
    // JSON: the export carries each formula with its measure and parameters.
    let json = serde_json::to_value(plan.export()).unwrap();
    let prd3 = json["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| {
            i["formula"]["query"] == "sampling_pass_rate" && i["formula"]["level"] == "national"
        })
        .expect("the national pass-rate indicator carries its formula");
    assert!(prd3["code"].as_str().unwrap().starts_with("PRD-"));
    assert_eq!(
        serde_json::to_value(from_xlsx.export()).unwrap(),
        json,
        "export → workbook → export is identical"
    );
}

#[test]
fn an_unknown_measure_or_parameter_is_refused_with_its_line_and_field() {
    let plan = default_plan();
    let toml = plan.to_toml();
    for (from, to, field) in [
        (
            "query = \"credit_record_rate\"",
            "query = \"credit_rate\"",
            "formula.query",
        ),
        (
            "level = \"national\"",
            "levle = \"national\"",
            "formula.levle",
        ),
        ("kind = \"food\"", "kind = \"fud\"", "formula.kind"),
    ] {
        assert!(toml.contains(from), "{from}");
        let text = toml.replacen(from, to, 1);
        let line = text.lines().position(|l| l.contains(to)).unwrap() + 1;
        let errors = qcity_exchange::read_plan(text.as_bytes(), &plan, MEASURES)
            .expect_err("the plan must be refused");
        let e = errors
            .iter()
            .find(|d| d.path.ends_with(field))
            .unwrap_or_else(|| panic!("no error at {field}: {errors:#?}"));
        assert_eq!(e.line, Some(line), "{e:?}");
        assert!(e.message_zh.contains("指标"), "{e:?}");
    }
}
