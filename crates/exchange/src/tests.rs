//! Workbook round trips and edits, done on the sheet grid the way a clerk
//! (or LibreOffice) would change it, then written to XLSX and read back.

use chrono::NaiveDate;
use qcity_domain::plan::{Change, Deadline, Plan, Severity, default_plan, diff};

use crate::layout::{SHEET_DECOMPOSITION, SHEET_INDICATORS, SHEET_UNITS};
use crate::read::read_workbook;
use crate::sheet::{Cell, Sheet};
use crate::write::write_workbook;
use crate::{plan_from_xlsx, plan_to_xlsx};

#[path = "../tests/it/libreoffice.rs"]
mod libreoffice;

fn exported_sheets(plan: &Plan) -> Vec<Sheet> {
    let bytes = plan_to_xlsx(plan).unwrap_or_else(|e| panic!("{e}"));
    read_workbook(&bytes).unwrap_or_else(|e| panic!("{e}"))
}

fn import(
    sheets: &[Sheet],
    base: &Plan,
) -> Result<(Plan, Vec<qcity_domain::plan::Diagnostic>), Vec<qcity_domain::plan::Diagnostic>> {
    let bytes = write_workbook(sheets).unwrap_or_else(|e| panic!("{e}"));
    plan_from_xlsx(&bytes, base)
}

fn import_ok(sheets: &[Sheet], base: &Plan) -> Plan {
    match import(sheets, base) {
        Ok((plan, _)) => plan,
        Err(diagnostics) => panic!("{diagnostics:#?}"),
    }
}

fn sheet_mut<'a>(sheets: &'a mut [Sheet], name: &str) -> &'a mut Sheet {
    sheets
        .iter_mut()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no sheet {name}"))
}

/// The row of a content in the decomposition sheet (0-based).
fn row_of(sheet: &Sheet, code: &str) -> usize {
    let prefix = format!("{code} ");
    sheet
        .rows
        .iter()
        .position(|r| r.get(3).is_some_and(|c| c.as_text().starts_with(&prefix)))
        .unwrap_or_else(|| panic!("no row for {code}"))
}

fn set(sheet: &mut Sheet, row: usize, col: usize, cell: Cell) {
    if sheet.rows[row].len() <= col {
        sheet.rows[row].resize(col + 1, Cell::Empty);
    }
    sheet.rows[row][col] = cell;
}

/// Inserts a row the way a spreadsheet does: merges that span the row grow.
fn insert_row(sheet: &mut Sheet, at: usize, row: Vec<Cell>) {
    sheet.rows.insert(at, row);
    let at = at as u32;
    for m in &mut sheet.merges {
        if m.first_row >= at {
            m.first_row += 1;
            m.last_row += 1;
        } else if m.last_row >= at {
            m.last_row += 1;
        }
    }
}

/// Deletes a row that is not the top of a merge: merges over it shrink.
fn delete_row(sheet: &mut Sheet, at: usize) {
    sheet.rows.remove(at);
    let at = at as u32;
    for m in &mut sheet.merges {
        if m.first_row > at {
            m.first_row -= 1;
            m.last_row -= 1;
        } else if m.last_row >= at {
            m.last_row -= 1;
        }
    }
    sheet.merges.retain(|m| m.last_row > m.first_row);
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

fn keys(changes: &[Change]) -> Vec<(String, String, Option<String>)> {
    changes
        .iter()
        .map(|c| (c.kind.clone(), c.code.clone(), c.field.clone()))
        .collect()
}

#[test]
fn export_then_import_gives_the_same_plan() {
    let plan = default_plan();
    let bytes = plan_to_xlsx(&plan).unwrap_or_else(|e| panic!("{e}"));
    let (back, warnings) = plan_from_xlsx(&bytes, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(warnings, []);
    assert!(diff(&plan, &back).is_empty(), "{:#?}", diff(&plan, &back));
    assert_eq!(back, plan);
}

#[test]
fn export_import_export_gives_identical_cells() {
    let plan = default_plan();
    let first = exported_sheets(&plan);
    let back = import_ok(&first, &plan);
    let second = exported_sheets(&back);
    assert_eq!(first, second);
}

#[test]
fn the_decomposition_sheet_looks_like_the_attachment() {
    let sheets = exported_sheets(&default_plan());
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["任务分解表", "指标", "主要任务", "单位"]);
    let table = &sheets[0];
    assert_eq!(table.rows.len(), 92);
    let header: Vec<String> = table.rows[0].iter().map(Cell::as_text).collect();
    assert_eq!(
        header,
        [
            "序号",
            "目标类别",
            "目标项目",
            "目标内容",
            "完成时限",
            "牵头单位",
            "承办单位",
            "备注"
        ]
    );
    let row = &table.rows[1];
    assert_eq!(row[0], Cell::Number(1.0));
    assert_eq!(row[2].as_text(), "1.1 制定并出台城市质量发展规划");
    assert!(row[3].as_text().starts_with("1.1.1 依据国务院"));
    assert_eq!(row[4].as_text(), "2014年 12月31 日");
    assert_eq!(row[5].as_text(), "区强区办");
    assert_eq!(row[6].as_text(), "各成员单位");
    // Category 1 spans rows 2–5 (Excel numbering): columns A and B merged.
    assert!(table.merged_with_above(4, 0) && table.merged_with_above(4, 1));
    // Item 1.2 (rows 3–4) is merged in column C, item 1.1 (one row) is not.
    assert!(table.merged_with_above(3, 2));
    assert!(!table.merged_with_above(2, 2));
    // Calamine gives the merged value only in the top cell.
    assert_eq!(table.cell(3, 1), &Cell::Empty);
    let units = &sheets[3];
    assert_eq!(units.rows.len(), 32);
    assert_eq!(units.rows[1][2].as_text(), "市");
}

/// A clerk's edits to the exported default plan's decomposition sheet:
/// edited text, a date typed in Chinese, a blanked inherited unit cell, an
/// added row and a deleted row. [`assert_clerks_edits`] checks the result.
fn apply_clerks_edits(sheets: &mut [Sheet]) {
    let table = sheet_mut(sheets, SHEET_DECOMPOSITION);

    // 1. Edit a content's text.
    let r = row_of(table, "1.1.1");
    let edited = format!("{}（修订）", table.rows[r][3].as_text());
    set(table, r, 3, Cell::text(edited));
    // 2. Type a date in Chinese.
    let r = row_of(table, "1.3.1");
    set(table, r, 4, Cell::text("2015年3月31日"));
    // 3. Blank an inherited unit cell (1.2.2 takes 1.2.1's lead unit).
    let r = row_of(table, "1.2.2");
    set(table, r, 5, Cell::Empty);
    // 4. Add a row under 2.1.3, inside the merged category and item cells,
    //    leaving deadline and units blank to repeat the row above.
    let r = row_of(table, "2.1.3") + 1;
    let mut row = vec![Cell::Empty; 8];
    row[3] = Cell::text("2.1.4 各成员单位在政务微博长期宣传。");
    insert_row(table, r, row);
    // 5. Delete a row (8.6.2: no links, not the top of a merge).
    let r = row_of(table, "8.6.2");
    delete_row(table, r);
}

/// `back` is `plan` with [`apply_clerks_edits`] read back: `diff` reports
/// exactly those edits, and the new row took what it left blank from the
/// row above.
fn assert_clerks_edits(plan: &Plan, back: &Plan) {
    let d = diff(plan, back);
    let content = |code: &str, field: Option<&str>| {
        (
            "content".to_string(),
            code.to_string(),
            field.map(str::to_string),
        )
    };
    assert_eq!(keys(&d.added), [content("2.1.4", None)], "{d:#?}");
    assert_eq!(keys(&d.removed), [content("8.6.2", None)], "{d:#?}");
    assert_eq!(
        keys(&d.changed),
        [
            content("1.1.1", Some("text")),
            content("1.3.1", Some("deadline_text")),
            content("1.3.1", Some("deadline")),
        ],
        "{d:#?}"
    );
    let c111 = back
        .content("1.1.1")
        .cloned()
        .unwrap_or_else(|| panic!("1.1.1"));
    assert!(c111.text.ends_with("（修订）"), "{}", c111.text);
    let c131 = back
        .content("1.3.1")
        .cloned()
        .unwrap_or_else(|| panic!("1.3.1"));
    assert_eq!(c131.deadline_text, "2015年3月31日");
    assert_eq!(
        c131.deadline,
        Deadline::Date {
            date: date(2015, 3, 31)
        }
    );
    let c214 = back
        .content("2.1.4")
        .cloned()
        .unwrap_or_else(|| panic!("2.1.4"));
    let c213 = back
        .content("2.1.3")
        .cloned()
        .unwrap_or_else(|| panic!("2.1.3"));
    assert_eq!(c214.deadline, c213.deadline);
    assert_eq!(c214.deadline_text, c213.deadline_text);
    assert_eq!(c214.lead_units, c213.lead_units);
    assert_eq!(c214.undertaking_units, ["ALL"]);
    assert_eq!(
        c214.inherited,
        ["deadline", "lead_units", "undertaking_units"]
    );
}

#[test]
fn a_clerks_edits_are_exactly_what_diff_reports() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    apply_clerks_edits(&mut sheets);
    let back = import_ok(&sheets, &plan);
    assert_clerks_edits(&plan, &back);
}

/// The same edits, saved by the crate's writer and then re-saved by
/// LibreOffice (which rewrites shared strings, styles, merged cells and
/// number formats), read back exactly as from the writer's own file.
#[test]
fn a_clerks_edits_resaved_by_libreoffice_are_exactly_what_diff_reports() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    apply_clerks_edits(&mut sheets);
    let bytes = write_workbook(&sheets).unwrap_or_else(|e| panic!("{e}"));
    let Some(resaved) = libreoffice::resave_xlsx(
        "a_clerks_edits_resaved_by_libreoffice_are_exactly_what_diff_reports",
        &bytes,
    ) else {
        return;
    };
    let (back, warnings) =
        plan_from_xlsx(&resaved, &default_plan()).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_clerks_edits(&plan, &back);
    // Not only the same entries: the same values, warnings and plan as
    // reading the writer's own file.
    let (direct, direct_warnings) =
        plan_from_xlsx(&bytes, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(diff(&plan, &back), diff(&plan, &direct));
    assert_eq!(warnings, direct_warnings);
    assert_eq!(back, direct);
}

#[test]
fn dates_as_date_cells_and_serials_read_like_typed_dates() {
    let plan = default_plan();
    for cell in [
        Cell::Date(date(2015, 3, 31)),
        Cell::Number(42094.0),
        Cell::text("2015-03-31"),
        Cell::text("2015/3/31"),
        Cell::text("\u{3000}2015 年 3 月 31 日 "),
    ] {
        let mut sheets = exported_sheets(&plan);
        let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
        let r = row_of(table, "1.3.1");
        set(table, r, 4, cell.clone());
        let back = import_ok(&sheets, &plan);
        let c = back
            .content("1.3.1")
            .cloned()
            .unwrap_or_else(|| panic!("1.3.1"));
        assert_eq!(
            c.deadline,
            Deadline::Date {
                date: date(2015, 3, 31)
            },
            "{cell:?}"
        );
    }
}

#[test]
fn a_recurring_duty_given_a_new_date_stays_recurring() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    let r = row_of(table, "2.6.1");
    set(table, r, 4, Cell::text("2015年10月31日"));
    let back = import_ok(&sheets, &plan);
    let c = back
        .content("2.6.1")
        .cloned()
        .unwrap_or_else(|| panic!("2.6.1"));
    assert!(matches!(
        c.deadline,
        Deadline::Recurring { month: Some(10), times: 1, first, .. } if first == date(2015, 10, 31)
    ));
}

#[test]
fn full_width_spaces_and_other_separators_change_nothing() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    let r = row_of(table, "8.5.1");
    set(
        table,
        r,
        5,
        Cell::text("\u{3000}区文化旅游局，区发改统计局、"),
    );
    set(
        table,
        r,
        6,
        Cell::text("区文化旅游局 、区发改统计局\n区质监分局"),
    );
    let r = row_of(table, "1.1.1");
    let text = format!("\u{3000}{}  ", table.rows[r][3].as_text());
    set(table, r, 3, Cell::text(text));
    let back = import_ok(&sheets, &plan);
    assert!(diff(&plan, &back).is_empty(), "{:#?}", diff(&plan, &back));
}

#[test]
fn merged_cells_carry_a_value_across_an_item_boundary() {
    // Like the seed's 7.1.1/7.2.1: a merged 承办单位 cell spanning two items.
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    let r = row_of(table, "7.2.1");
    assert_eq!(row_of(table, "7.1.1"), r - 1);
    set(table, r, 6, Cell::Empty);
    // Without a merge the blank cell has nothing to inherit from in its item.
    let Err(errors) = import(&sheets, &plan) else {
        panic!("a blank first row of an item was accepted");
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(errors[0].path, format!("{SHEET_DECOMPOSITION}!G{}", r + 1));
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    table.merges.push(crate::sheet::Merge {
        first_row: (r - 1) as u32,
        last_row: r as u32,
        first_col: 6,
        last_col: 6,
    });
    let back = import_ok(&sheets, &plan);
    assert!(diff(&plan, &back).is_empty(), "{:#?}", diff(&plan, &back));
}

#[test]
fn errors_name_sheet_row_and_column() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    let r = row_of(table, "1.3.1");
    set(table, r, 5, Cell::text("区财政局、区不存在局"));
    set(table, r + 1, 4, Cell::text("明年年底"));
    let Err(errors) = import(&sheets, &plan) else {
        panic!("bad cells accepted");
    };
    let errors: Vec<_> = errors
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    let row = r + 1;
    assert_eq!(errors[0].path, format!("任务分解表!F{row}"));
    assert!(
        errors[0]
            .message_en
            .contains(&format!("sheet 任务分解表, row {row}, column F"))
    );
    assert!(
        errors[0]
            .message_en
            .contains("'区不存在局' is not a known unit name")
    );
    assert!(errors[0].message_zh.contains(&format!("第 {row} 行 F 列")));
    assert_eq!(errors[1].path, format!("任务分解表!E{}", row + 1));
    assert!(errors[1].message_zh.contains("无法识别完成时限"));
}

#[test]
fn a_content_row_without_a_code_is_an_error() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    set(table, 1, 3, Cell::text("依据国务院"));
    let Err(errors) = import(&sheets, &plan) else {
        panic!("accepted");
    };
    assert!(
        errors.iter().any(|d| d.path == "任务分解表!D2"),
        "{errors:#?}"
    );
}

#[test]
fn indicator_targets_are_read_and_canonicalised() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let indicators = sheet_mut(&mut sheets, SHEET_INDICATORS);
    set(indicators, 1, 4, Cell::text("≥ 35％"));
    let back = import_ok(&sheets, &plan);
    let d = diff(&plan, &back);
    assert_eq!(d.changed.len(), 1, "{d:#?}");
    assert_eq!(d.changed[0].code, "PRD-1");
    assert_eq!(d.changed[0].new.as_deref(), Some(">= 35 %"));

    let indicators = sheet_mut(&mut sheets, SHEET_INDICATORS);
    set(indicators, 2, 4, Cell::text(">= 96 percent"));
    let Err(errors) = import(&sheets, &plan) else {
        panic!("bad target accepted");
    };
    assert_eq!(errors[0].path, "指标!E3");
    assert!(
        errors[0].message_en.contains("unknown unit 'percent'"),
        "{errors:#?}"
    );
}

#[test]
fn a_new_unit_on_the_units_sheet_can_be_used_at_once() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let units = sheet_mut(&mut sheets, SHEET_UNITS);
    units.rows.push(vec![
        Cell::text("SCJGJ"),
        Cell::text("区市场监管局"),
        Cell::text("成员单位"),
        Cell::text("HUIJI"),
    ]);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    let r = row_of(table, "1.3.1");
    set(table, r, 6, Cell::text("区财政局、区市场监管局"));
    let back = import_ok(&sheets, &plan);
    let d = diff(&plan, &back);
    assert_eq!(
        keys(&d.added),
        [("unit".to_string(), "SCJGJ".to_string(), None)]
    );
    assert_eq!(
        keys(&d.changed),
        [(
            "content".to_string(),
            "1.3.1".to_string(),
            Some("undertaking_units".to_string())
        )]
    );
}

#[test]
fn removing_a_linked_content_drops_its_links_with_a_warning() {
    let plan = default_plan();
    let mut sheets = exported_sheets(&plan);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    // 3.1.2 is linked from PRD-1 and T06; it is not the top of a merge.
    let r = row_of(table, "3.1.2");
    delete_row(table, r);
    let (back, warnings) = import(&sheets, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert!(
        back.indicator("PRD-1")
            .is_some_and(|i| i.contents.is_empty())
    );
    assert!(
        warnings.iter().any(|w| w.message_en.contains("PRD-1")),
        "{warnings:#?}"
    );
}

#[test]
fn garbage_and_foreign_workbooks_are_errors_not_panics() {
    let plan = default_plan();
    for bytes in [&b""[..], b"not a zip", b"PK\x03\x04garbage"] {
        let Err(errors) = plan_from_xlsx(bytes, &plan) else {
            panic!("garbage accepted");
        };
        assert!(errors[0].message_zh.contains("XLSX"));
    }
    let foreign = vec![Sheet {
        name: "Sheet1".into(),
        rows: vec![vec![Cell::text("a"), Cell::Number(1.0)]],
        merges: Vec::new(),
        widths: Vec::new(),
        look: crate::sheet::Look::default(),
    }];
    let Err(errors) = import(&foreign, &plan) else {
        panic!("foreign workbook accepted");
    };
    assert!(
        errors
            .iter()
            .any(|d| d.is_error() && d.message_zh.contains("任务分解表")),
        "{errors:#?}"
    );
}

/// The 备注 columns carry the transcription notes in the workbook's language: Chinese by
/// default (the domain's catalogue), English on request. Either reads back as the notes the
/// plan writes, and an edited Chinese cell keeps the notes it still shows (a Chinese note
/// may hold ；) and adds what the clerk typed.
#[test]
fn notes_are_exported_in_the_workbooks_language_and_read_back_as_written() {
    use crate::layout::SHEET_INDICATORS;
    use crate::plan_to_xlsx_in;
    use qcity_domain::plan::notes_in;
    use qcity_domain::target::Lang;

    let plan = default_plan();
    let content = |p: &Plan| {
        p.contents()
            .find(|(_, _, c)| c.code == "2.2.3")
            .map(|(_, _, c)| c.notes.clone())
            .unwrap_or_default()
    };
    let notes = content(&plan);
    assert_eq!(notes.len(), 4);
    let zh = notes_in(&notes, Lang::ZhCn);
    assert!(
        zh[0].starts_with("周期性：") && zh[0].contains('；'),
        "{}",
        zh[0]
    );

    let mut sheets = exported_sheets(&plan);
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    let r = row_of(table, "2.2.3");
    assert_eq!(table.rows[r][7].as_text(), zh.join("；"));
    let indicators = sheet_mut(&mut sheets, SHEET_INDICATORS);
    assert!(
        indicators.rows[1][7]
            .as_text()
            .contains("指标名称由该行文字提炼")
    );
    let units = sheet_mut(&mut sheets, SHEET_UNITS);
    assert!(units.rows.iter().any(|row| {
        row.get(4)
            .is_some_and(|c| c.as_text() == "仅作为 9.2.1 的承办单位出现。")
    }));

    // The English workbook carries the notes as written and reads back the same.
    let english = plan_to_xlsx_in(&plan, Lang::En).unwrap_or_else(|e| panic!("{e}"));
    let english_sheets = read_workbook(&english).unwrap_or_else(|e| panic!("{e}"));
    let table_en = &english_sheets[0];
    assert_eq!(
        table_en.rows[row_of(table_en, "2.2.3")][7].as_text(),
        notes.join("；")
    );
    let (back, _) = plan_from_xlsx(&english, &plan).unwrap_or_else(|d| panic!("{d:#?}"));
    assert_eq!(back, plan);

    // A clerk drops the second note, keeps the others and types one.
    let table = sheet_mut(&mut sheets, SHEET_DECOMPOSITION);
    let typed = "新增：已与区教体局核对开放天数";
    set(
        table,
        r,
        7,
        Cell::text(format!("{}；{}；{}\n{typed}", zh[0], zh[2], zh[3])),
    );
    let back = import_ok(&sheets, &plan);
    assert_eq!(
        content(&back),
        [
            notes[0].clone(),
            notes[2].clone(),
            notes[3].clone(),
            typed.to_string()
        ]
    );
    // Nothing else changed, and the next export shows the typed note as typed.
    let mut expected = plan.clone();
    for c in expected
        .categories
        .iter_mut()
        .flat_map(|cat| cat.items.iter_mut())
        .flat_map(|item| item.contents.iter_mut())
        .filter(|c| c.code == "2.2.3")
    {
        c.notes = content(&back);
    }
    assert_eq!(back, expected);
    let again = exported_sheets(&back);
    let table = &again[0];
    assert_eq!(
        table.rows[row_of(table, "2.2.3")][7].as_text(),
        format!("{}；{}；{}；{typed}", zh[0], zh[2], zh[3])
    );
}
