//! The template written and read back: untouched, filled in with the
//! crate's own reader and writer the way a clerk fills it, re-saved by
//! LibreOffice; and the helpers that read what clerks type.

use std::io::{Cursor, Read};

use qcity_domain::plan::{Plan, default_plan};
use rust_xlsxwriter::{Format, Workbook};

use super::spec::measures;
use super::*;
use crate::read::read_workbook;
use crate::sheet::Sheet;
use crate::write::write_workbook;

// `src/tests.rs` loads the same helper, privately.
#[allow(clippy::duplicate_mod)]
#[path = "../../tests/it/libreoffice.rs"]
mod libreoffice;

fn template(plan: &Plan) -> Vec<u8> {
    indicator_template_xlsx(plan).unwrap_or_else(|e| panic!("{e}"))
}

fn values_sheet(sheets: &mut [Sheet]) -> &mut Sheet {
    sheets
        .iter_mut()
        .find(|s| s.name == SHEET_VALUES)
        .unwrap_or_else(|| panic!("no sheet {SHEET_VALUES}"))
}

/// The 0-based row of the template's example row for (code, label).
fn example_row(sheet: &Sheet, code: &str, label: &str) -> usize {
    (1..sheet.rows.len())
        .find(|&r| sheet.cell(r, 0).as_text() == code && sheet.cell(r, 1).as_text() == label)
        .unwrap_or_else(|| panic!("no template row for {code} {label:?}"))
}

fn set(sheet: &mut Sheet, row: usize, col: usize, cell: Cell) {
    if sheet.rows.len() <= row {
        sheet.rows.resize(row + 1, Vec::new());
    }
    if sheet.rows[row].len() <= col {
        sheet.rows[row].resize(col + 1, Cell::Empty);
    }
    sheet.rows[row][col] = cell;
}

fn value_row(
    line: usize,
    indicator: &str,
    measure: &str,
    year: i32,
    value: f64,
    note: &str,
) -> ValueRow {
    ValueRow {
        line,
        indicator: indicator.to_string(),
        measure: measure.to_string(),
        year,
        value,
        note: note.to_string(),
    }
}

/// The template filled the way a clerk does: some example rows given a
/// year and a value (as numbers and as text), two rows added at the end.
/// Returns the workbook and the rows it must read back as.
fn filled_template(plan: &Plan) -> (Vec<u8>, Vec<ValueRow>) {
    let mut sheets = read_workbook(&template(plan)).unwrap_or_else(|d| panic!("{d}"));
    let sheet = values_sheet(&mut sheets);
    let prd2 = example_row(sheet, "PRD-2", "");
    let road = example_row(sheet, "ENV-3", "road");
    let pm25 = example_row(sheet, "ENV-6", "pm25");
    let env7 = example_row(sheet, "ENV-7", "");
    set(sheet, prd2, 2, Cell::Number(2014.0));
    set(sheet, prd2, 3, Cell::Number(96.5));
    set(sheet, prd2, 5, Cell::text("区质监分局抽检"));
    set(sheet, road, 2, Cell::text("2014"));
    set(sheet, road, 3, Cell::text("67.8"));
    set(sheet, pm25, 2, Cell::Number(2014.0));
    set(sheet, pm25, 3, Cell::Number(102.0));
    set(sheet, pm25, 5, Cell::text("市环境监测站"));
    set(sheet, env7, 2, Cell::Number(2010.0));
    set(sheet, env7, 3, Cell::Number(12345.6));
    let added = sheet.rows.len();
    set(sheet, added, 0, Cell::text("ENV-6"));
    set(sheet, added, 1, Cell::text("pm25"));
    set(sheet, added, 2, Cell::text("2015年"));
    set(sheet, added, 3, Cell::text("９９．５"));
    set(sheet, added + 1, 0, Cell::text("env-3"));
    set(sheet, added + 1, 1, Cell::text("ROAD"));
    set(sheet, added + 1, 2, Cell::Number(2015.0));
    set(sheet, added + 1, 3, Cell::Number(66.0));
    set(sheet, added + 1, 5, Cell::text("  道路监测点 12 个 "));
    let bytes = write_workbook(&sheets).unwrap_or_else(|e| panic!("{e}"));
    let want = vec![
        value_row(prd2 + 1, "PRD-2", "", 2014, 96.5, "区质监分局抽检"),
        value_row(road + 1, "ENV-3", "road", 2014, 67.8, ""),
        value_row(pm25 + 1, "ENV-6", "pm25", 2014, 102.0, "市环境监测站"),
        value_row(env7 + 1, "ENV-7", "", 2010, 12345.6, ""),
        value_row(added + 1, "ENV-6", "pm25", 2015, 99.5, ""),
        value_row(added + 2, "ENV-3", "road", 2015, 66.0, "道路监测点 12 个"),
    ];
    (bytes, want)
}

fn read_ok(bytes: &[u8], plan: &Plan) -> Vec<ValueRow> {
    let (rows, diagnostics) = read_indicator_values(bytes, plan);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    rows
}

#[test]
fn the_template_has_a_row_per_numeric_measure() {
    let plan = default_plan();
    let sheets = read_workbook(&template(&plan)).unwrap_or_else(|d| panic!("{d}"));
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, [SHEET_VALUES, SHEET_VALUES_GUIDE]);
    let sheet = &sheets[0];
    let header: Vec<String> = sheet.rows[0].iter().map(Cell::as_text).collect();
    assert_eq!(header, ["指标编号", "分项", "年份", "数值", "单位", "说明"]);
    let rows: Vec<(String, String, String)> = sheet.rows[1..]
        .iter()
        .map(|r| {
            let text = |c: usize| r.get(c).map(Cell::as_text).unwrap_or_default();
            assert!(text(2).is_empty() && text(3).is_empty() && text(5).is_empty());
            (text(0), text(1), text(4))
        })
        .collect();
    let row = |code: &str, label: &str, unit: &str| {
        (code.to_string(), label.to_string(), unit.to_string())
    };
    // 28 indicators; CUL-4 (qualitative) has no row, ENG-1, SVC-4 and ENV-3
    // have two, ENV-6 only its PM2.5 measure.
    assert_eq!(rows.len(), 30);
    assert_eq!(rows[0], row("PRD-1", "", "%"));
    assert!(rows.contains(&row("ENV-3", "regional", "dB(A)")));
    assert!(rows.contains(&row("ENV-3", "road", "dB(A)")));
    assert!(rows.contains(&row("ENV-6", "pm25", "微克/立方米")));
    assert!(rows.contains(&row("SVC-1", "", "分")));
    // A reduction's values are totals: its % is not their unit.
    assert!(rows.contains(&row("ENV-7", "", "")));
    assert!(!rows.iter().any(|r| r.1 == "pm10" || r.0 == "CUL-4"));

    // 说明: the guide lines, then one row per indicator.
    let guide = &sheets[1];
    let header = (0..guide.rows.len())
        .find(|&r| guide.cell(r, 0).as_text() == "指标编号")
        .unwrap_or_else(|| panic!("no table on {SHEET_VALUES_GUIDE}"));
    let codes: Vec<String> = (header + 1..guide.rows.len())
        .map(|r| guide.cell(r, 0).as_text())
        .collect();
    let plan_codes: Vec<String> = plan.indicators.iter().map(|i| i.code.clone()).collect();
    assert_eq!(codes, plan_codes);
    let env6 = header
        + 1
        + plan_codes
            .iter()
            .position(|c| c == "ENV-6")
            .unwrap_or_default();
    assert!(
        guide
            .cell(env6, 2)
            .as_text()
            .contains("pm10：PM10（评定，在网页中填写）")
    );
    assert!(guide.cell(env6, 2).as_text().contains("pm25：PM2.5浓度"));
    assert!(guide.cell(env6, 4).as_text().contains("2016年95 µg/m³"));
    assert!(guide.cell(env6, 5).as_text().starts_with("all(pm10"));
    assert!(
        (0..header).any(|r| guide.cell(r, 0).as_text().contains("96.5")),
        "the guide says how to write a percent"
    );

    // The dropdown of codes points at the guide's code column; the year is checked.
    let xml = sheet_xml(&template(&plan), "xl/worksheets/sheet1.xml");
    let list = format!(
        "<formula1>'{SHEET_VALUES_GUIDE}'!$A${}:$A${}</formula1>",
        header + 2,
        header + 1 + plan_codes.len()
    );
    assert!(
        xml.contains("type=\"list\"") && xml.contains(&list),
        "{xml}"
    );
    // ENV-7 and ENV-8 reduce against 2010: their baseline year is enterable.
    assert!(
        xml.contains("<formula1>2010</formula1><formula2>2100</formula2>"),
        "{xml}"
    );
}

fn sheet_xml(xlsx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(Cursor::new(xlsx)).unwrap_or_else(|e| panic!("{e}"));
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let mut xml = String::new();
    file.read_to_string(&mut xml)
        .unwrap_or_else(|e| panic!("{e}"));
    xml
}

#[test]
fn an_untouched_template_holds_no_values() {
    let plan = default_plan();
    let (rows, diagnostics) = read_indicator_values(&template(&plan), &plan);
    assert!(rows.is_empty());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert!(!diagnostics[0].is_error());
    assert!(diagnostics[0].message_zh.contains("没有数值"));
}

#[test]
fn a_filled_template_reads_back_exactly() {
    let plan = default_plan();
    let (bytes, want) = filled_template(&plan);
    assert_eq!(read_ok(&bytes, &plan), want);
}

#[test]
fn a_filled_template_resaved_by_libreoffice_reads_back_equal() {
    let plan = default_plan();
    let (bytes, want) = filled_template(&plan);
    let Some(resaved) = libreoffice::resave_xlsx(
        "a_filled_template_resaved_by_libreoffice_reads_back_equal",
        &bytes,
    ) else {
        return;
    };
    assert_eq!(read_ok(&resaved, &plan), want);
}

/// A workbook whose value cells are formatted as percent, as Excel makes
/// them when a clerk types `96.5%`: the cell holds 0.965.
fn percent_formatted_workbook() -> Vec<u8> {
    build_percent_formatted_workbook().unwrap_or_else(|e| panic!("{e}"))
}

fn build_percent_formatted_workbook() -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut workbook = Workbook::new();
    let percent = Format::new().set_num_format("0.0%");
    let literal_sign = Format::new().set_num_format("0.0\"%\"");
    let ws = workbook.add_worksheet();
    ws.set_name("Sheet1")?;
    for (c, h) in (0u16..).zip(["indicator", "year", "value"]) {
        ws.write_string(0, c, h)?;
    }
    ws.write_string(1, 0, "PRD-2")?;
    ws.write_number(1, 1, 2014)?;
    ws.write_number_with_format(1, 2, 0.965, &percent)?;
    ws.write_string(2, 0, "PRD-3")?;
    ws.write_number(2, 1, 2014)?;
    ws.write_number_with_format(2, 2, 91.5, &literal_sign)?;
    workbook.save_to_buffer()
}

#[test]
fn a_cell_formatted_as_percent_reads_as_the_percent_shown() {
    let plan = default_plan();
    let want = vec![
        value_row(2, "PRD-2", "", 2014, 96.5, ""),
        value_row(3, "PRD-3", "", 2014, 91.5, ""),
    ];
    let bytes = percent_formatted_workbook();
    assert_eq!(read_ok(&bytes, &plan), want);
    let Some(resaved) = libreoffice::resave_xlsx(
        "a_cell_formatted_as_percent_reads_as_the_percent_shown",
        &bytes,
    ) else {
        return;
    };
    assert_eq!(read_ok(&resaved, &plan), want);
}

#[test]
fn numbers_as_typed() {
    let n = |s: &str| parse_number_text(s);
    assert_eq!(n("96.5"), Some((96.5, None)));
    assert_eq!(n(" 96.5 "), Some((96.5, None)));
    assert_eq!(n("９６．５"), Some((96.5, None)));
    assert_eq!(n("96.5%"), Some((96.5, Some('%'))));
    assert_eq!(n("96.5 ％"), Some((96.5, Some('%'))));
    assert_eq!(n("3‰"), Some((3.0, Some('‰'))));
    assert_eq!(n("1,234,567.5"), Some((1_234_567.5, None)));
    assert_eq!(n("１，２３４"), Some((1234.0, None)));
    assert_eq!(n("-2.5"), Some((-2.5, None)));
    assert_eq!(n("－2.5"), Some((-2.5, None)));
    assert_eq!(n("1.2E+3"), Some((1200.0, None)));
    assert_eq!(n("1 234"), Some((1234.0, None)));
    assert_eq!(n("96,5"), None);
    assert_eq!(n("1,23,456"), None);
    assert_eq!(n("12,345,6"), None);
    assert_eq!(n(",123"), None);
    assert_eq!(n("约96"), None);
    assert_eq!(n("96.5.1"), None);
    assert_eq!(n("inf"), None);
    assert_eq!(n("NaN"), None);
    assert_eq!(n("1e400"), None);
    assert_eq!(n("%"), None);
    assert_eq!(n("#DIV/0!"), None);
    assert_eq!(n(""), None);
}

#[test]
fn years_as_typed() {
    let y = |c: Cell| parse_year(&c);
    assert_eq!(y(Cell::Number(2015.0)), Ok(2015));
    assert_eq!(y(Cell::text("2015")), Ok(2015));
    assert_eq!(y(Cell::text("2015.0")), Ok(2015));
    assert_eq!(y(Cell::text("2015年")), Ok(2015));
    assert_eq!(y(Cell::text(" ２０１５ 年度")), Ok(2015));
    assert_eq!(
        y(Cell::Date(
            chrono::NaiveDate::from_ymd_opt(2015, 6, 30).unwrap_or_default()
        )),
        Ok(2015)
    );
    assert_eq!(y(Cell::Empty), Err(YearError::Missing));
    assert_eq!(y(Cell::text(" ")), Err(YearError::Missing));
    assert_eq!(
        y(Cell::Number(2015.5)),
        Err(YearError::Invalid("2015.5".into()))
    );
    assert_eq!(
        y(Cell::text("明年")),
        Err(YearError::Invalid("明年".into()))
    );
    assert_eq!(
        y(Cell::text("2015-2016")),
        Err(YearError::Invalid("2015-2016".into()))
    );
    assert_eq!(y(Cell::text("15")), Ok(15));
    assert!(y(Cell::Number(f64::NAN)).is_err());
    assert!(y(Cell::Number(1e300)).is_err());
    assert_eq!(check_year(2013, FIRST_YEAR), Some(2013));
    assert_eq!(check_year(2100, FIRST_YEAR), Some(2100));
    assert_eq!(check_year(2012, FIRST_YEAR), None);
    assert_eq!(check_year(2101, FIRST_YEAR), None);
    assert_eq!(check_year(15, FIRST_YEAR), None);
    // A reduction against 2010 takes its baseline year.
    assert_eq!(check_year(2010, 2010), Some(2010));
    assert_eq!(check_year(2009, 2010), None);
}

#[test]
fn percent_number_formats() {
    assert!(is_percent_format("0%"));
    assert!(is_percent_format("0.0%"));
    assert!(is_percent_format("[Red]0.00%"));
    assert!(!is_percent_format("General"));
    assert!(!is_percent_format("0.0\"%\""));
    assert!(!is_percent_format("0.0\\%"));
    assert!(!is_percent_format("[$%-409]0"));
    assert_eq!(fraction_to_percent(0.965), 96.5);
    assert_eq!(fraction_to_percent(0.07), 7.0);
    assert_eq!(fraction_to_percent(1.0), 100.0);
}

#[test]
fn measures_follow_the_targets() {
    let plan = default_plan();
    let of = |code: &str| {
        let indicator = plan.indicators.iter().find(|i| i.code == code);
        measures(indicator.unwrap_or_else(|| panic!("no {code}")))
    };
    let env3 = of("ENV-3");
    let labels: Vec<&str> = env3.iter().map(|m| m.label.as_str()).collect();
    assert_eq!(labels, ["regional", "road"]);
    assert_eq!(env3[0].name, "区域环境噪声");
    assert_eq!(env3[0].unit, "dB(A)");
    let env6 = of("ENV-6");
    assert!(env6[0].is_judged() && !env6[1].is_judged());
    assert_eq!(env6[1].unit, "ug/m3");
    let env7 = of("ENV-7");
    assert_eq!(env7.len(), 1);
    assert_eq!((env7[0].label.as_str(), env7[0].unit.as_str()), ("", ""));
    assert_eq!(env7[0].reduce_baseline(), Some(2010));
    assert!(of("CUL-4")[0].is_judged());
    assert_eq!(of("SVC-1")[0].unit, "score");

    // Nested groups: values go under the innermost labels.
    let mut nested = plan.indicators[0].clone();
    nested.target =
        "all(a: any(x: >= 1 count; y: rank <= 3 among \"同类\"); b: trend up 2 years)".into();
    nested.unit = "count".into();
    let specs = measures(&nested);
    let labels: Vec<(&str, &str)> = specs
        .iter()
        .map(|m| (m.label.as_str(), m.unit.as_str()))
        .collect();
    assert_eq!(labels, [("x", "count"), ("y", "rank"), ("b", "count")]);
    // `rank leading` has no threshold: judged, like a qualitative target.
    nested.target = "all(share: >= 30 %; certified: rank leading among \"全国同级城市\")".into();
    let specs = measures(&nested);
    assert!(!specs[0].is_judged() && specs[1].is_judged());
    assert_eq!(specs[0].unit, "%");
    // A target that does not parse: one measure in the indicator's unit.
    nested.target = "at least 3".into();
    let specs = measures(&nested);
    assert_eq!(specs.len(), 1);
    assert_eq!(
        (specs[0].label.as_str(), specs[0].unit.as_str()),
        ("", "count")
    );
}
