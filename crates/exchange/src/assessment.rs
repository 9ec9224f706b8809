//! The unit assessment table (成员单位绩效考核得分表) as XLSX and as a Word document: one row
//! per unit with its rank, total and the lines that explain it, best first.
//!
//! And the assessment scheme (考核方案) as a workbook: one setting per row under the headers
//! of [`COLUMNS`], written by [`scheme_to_xlsx`] and read back by [`read_scheme_xlsx`] into
//! [`SchemeRow`]s, which [`Scheme::from_rows`] checks as a whole ([`scheme_from_xlsx`] does
//! both).

use std::io::Cursor;

use docx_rs::{
    AlignmentType, Docx, DocxError, Paragraph, Run, RunFonts, Table, TableCell, TableRow, WidthType,
};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use qcity_domain::assessment::{COLUMNS, Scheme, SchemeRow, is_number_code};
use qcity_domain::plan::Diagnostic;
use qcity_domain::target::Lang;

use crate::ExchangeError;
use crate::sheet::{Cell, Look, Sheet as Grid};

/// The name of the scores sheet.
pub const SHEET_ASSESSMENT: &str = "考核得分";

/// One unit's line in the table.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRow {
    pub rank: usize,
    pub unit_code: String,
    pub unit_name: String,
    pub total: f64,
    /// Each scored part: (label, points, most possible).
    pub parts: Vec<(String, f64, f64)>,
    /// The explanation lines, in the document's language.
    pub lines: Vec<String>,
}

/// The table as an XLSX workbook: a title line, then a header and one row per unit.
pub fn assessment_to_xlsx(
    title: &str,
    headers: &[&str],
    rows: &[AssessmentRow],
) -> Result<Vec<u8>, ExchangeError> {
    let mut workbook = Workbook::new();
    let ws = workbook.add_worksheet();
    ws.set_name(SHEET_ASSESSMENT)?;
    let bold = Format::new().set_bold().set_font_size(14);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_border(FormatBorder::Thin);
    let body = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    let number = body.clone().set_num_format("0.0");
    ws.write_string_with_format(0, 0, title, &bold)?;
    for (c, h) in headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, *h, &header)?;
    }
    for (i, r) in rows.iter().enumerate() {
        let row = 2 + i as u32;
        ws.write_number_with_format(row, 0, r.rank as f64, &body)?;
        ws.write_string_with_format(row, 1, &r.unit_code, &body)?;
        ws.write_string_with_format(row, 2, &r.unit_name, &body)?;
        ws.write_number_with_format(row, 3, round1(r.total), &number)?;
        let mut col = 4u16;
        for (_, points, _) in &r.parts {
            ws.write_number_with_format(row, col, round1(*points), &number)?;
            col += 1;
        }
        ws.write_string_with_format(row, col, r.lines.join("\n"), &body)?;
    }
    ws.set_column_width(0, 6)?;
    ws.set_column_width(1, 10)?;
    ws.set_column_width(2, 24)?;
    ws.set_column_width(3, 8)?;
    let parts = rows.first().map_or(5, |r| r.parts.len()) as u16;
    for c in 0..parts {
        ws.set_column_width(4 + c, 10)?;
    }
    ws.set_column_width(4 + parts, 80)?;
    ws.set_freeze_panes(2, 0)?;
    Ok(workbook.save_to_buffer()?)
}

/// The table as a Word document: the title, the scheme note, and a table of rank, unit, total
/// and the explanation lines.
pub fn assessment_to_docx(
    title: &str,
    note: &str,
    headers: &[&str],
    rows: &[AssessmentRow],
) -> Result<Vec<u8>, ExchangeError> {
    let fonts = RunFonts::new().east_asia("仿宋").ascii("Times New Roman");
    let run = |s: &str| Run::new().add_text(s).fonts(fonts.clone()).size(21);
    let cell = |s: &str| {
        let mut c = TableCell::new();
        for line in s.split('\n') {
            c = c.add_paragraph(Paragraph::new().add_run(run(line)));
        }
        c
    };
    let mut table_rows = vec![TableRow::new(
        headers
            .iter()
            .take(4)
            .chain(headers.last())
            .map(|h| {
                TableCell::new().add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .add_run(run(h).bold()),
                )
            })
            .collect(),
    )];
    for r in rows {
        table_rows.push(TableRow::new(vec![
            cell(&r.rank.to_string()),
            cell(&r.unit_code),
            cell(&r.unit_name),
            cell(&format!("{:.1}", r.total)),
            cell(&r.lines.join("\n")),
        ]));
    }
    let doc = Docx::new()
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(title)
                    .fonts(RunFonts::new().east_asia("宋体"))
                    .size(36)
                    .bold(),
            ),
        )
        .add_paragraph(Paragraph::new().add_run(run(note)))
        .add_table(
            Table::new(table_rows)
                .set_grid(vec![600, 1000, 2200, 900, 4144])
                .width(8844, WidthType::Dxa),
        );
    let mut out = Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(DocxError::from)?;
    Ok(out.into_inner())
}

/// The text cells of a workbook's first sheet (numbers as written), for checking an export.
pub fn first_sheet_text(bytes: &[u8]) -> Option<Vec<Vec<String>>> {
    use calamine::Reader;
    let mut xlsx = crate::read::open(bytes).ok()?;
    let name = xlsx.sheet_names().first()?.clone();
    let range = xlsx.worksheet_range(&name).ok()?;
    Some(
        range
            .rows()
            .map(|r| r.iter().map(|c| c.to_string()).collect())
            .collect(),
    )
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

// ------------------------------------------------------------------ scheme

/// The scheme worksheet's name in a Chinese workbook.
pub const SHEET_SCHEME: &str = "考核方案";

/// The scheme worksheet's name in an English workbook.
pub const SHEET_SCHEME_EN: &str = "Assessment scheme";

/// Column widths in characters, in [`COLUMNS`] order.
const SCHEME_WIDTHS: [f64; 4] = [22.0, 20.0, 60.0, 50.0];

/// Rows under the header, as a workbook (the header in row 1): weights and
/// deductions as number cells, so Excel can sum them.
pub fn scheme_rows_to_xlsx(rows: &[SchemeRow], lang: Lang) -> Result<Vec<u8>, ExchangeError> {
    let header = COLUMNS
        .iter()
        .map(|c| {
            Cell::text(match lang {
                Lang::ZhCn => c.zh,
                Lang::En => c.en,
            })
        })
        .collect();
    let mut grid = vec![header];
    for r in rows {
        let value = if is_number_code(&r.code) {
            match r.value.trim().parse::<f64>() {
                Ok(n) if n.is_finite() => Cell::Number(n),
                _ => Cell::text(r.value.clone()),
            }
        } else {
            Cell::text(r.value.clone())
        };
        grid.push(vec![
            Cell::text(r.code.clone()),
            Cell::text(r.label.clone()),
            value,
            Cell::text(r.explanation.clone()),
        ]);
    }
    let sheet = Grid {
        name: match lang {
            Lang::ZhCn => SHEET_SCHEME,
            Lang::En => SHEET_SCHEME_EN,
        }
        .into(),
        rows: grid,
        merges: Vec::new(),
        widths: SCHEME_WIDTHS.to_vec(),
        look: Look::default(),
    };
    Ok(crate::write::write_workbook(&[sheet])?)
}

/// The scheme as a Chinese workbook, one setting per row ([`Scheme::to_rows`]).
pub fn scheme_to_xlsx(scheme: &Scheme) -> Result<Vec<u8>, ExchangeError> {
    scheme_to_xlsx_in(scheme, Lang::ZhCn)
}

/// The scheme as a workbook with headers, labels and explanations in a
/// language; either reads back with [`read_scheme_xlsx`].
pub fn scheme_to_xlsx_in(scheme: &Scheme, lang: Lang) -> Result<Vec<u8>, ExchangeError> {
    scheme_rows_to_xlsx(&scheme.to_rows_in(lang), lang)
}

/// Reads the rows of a scheme workbook: the sheet 考核方案 (or its English
/// name), else the first; the header is its first non-empty row, and every
/// later non-empty row is a body row numbered as Excel shows it (1-based).
/// `Err` for a file that is not a workbook, an empty sheet or a missing
/// required column (named).
pub fn read_scheme_xlsx(bytes: &[u8]) -> Result<Vec<SchemeRow>, Vec<Diagnostic>> {
    let sheets = crate::read::read_workbook(bytes).map_err(|d| vec![d])?;
    let Some(sheet) = sheets
        .iter()
        .find(|s| s.name == SHEET_SCHEME || s.name == SHEET_SCHEME_EN)
        .or_else(|| sheets.first())
    else {
        return Err(vec![no_scheme()]);
    };
    let is_blank = |row: &Vec<Cell>| row.iter().all(Cell::is_empty);
    let Some(header_at) = sheet.rows.iter().position(|r| !is_blank(r)) else {
        return Err(vec![no_scheme()]);
    };
    let header: Vec<String> = sheet.rows[header_at]
        .iter()
        .map(|c| crate::text::normalize(&c.as_text()))
        .collect();
    let body: Vec<(usize, Vec<String>)> = sheet
        .rows
        .iter()
        .enumerate()
        .skip(header_at + 1)
        .filter(|(_, r)| !is_blank(r))
        .map(|(i, r)| (i + 1, r.iter().map(Cell::as_text).collect()))
        .collect();
    SchemeRow::from_table(header_at + 1, &header, &body)
}

/// Reads a scheme from a workbook, all or nothing: [`read_scheme_xlsx`] then
/// [`Scheme::from_rows`]. Diagnostics are sorted by line.
pub fn scheme_from_xlsx(bytes: &[u8]) -> Result<Scheme, Vec<Diagnostic>> {
    Scheme::from_rows(&read_scheme_xlsx(bytes)?)
}

fn no_scheme() -> Diagnostic {
    Diagnostic::error(
        "",
        "the workbook has no assessment-scheme table",
        "工作簿中没有考核方案表",
    )
}

// `src/tests.rs` loads the same helper, privately.
#[cfg(test)]
#[allow(clippy::duplicate_mod)]
#[path = "../tests/it/libreoffice.rs"]
mod libreoffice;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_scheme_round_trips_through_a_workbook() {
        let scheme = Scheme::default_scheme();
        let bytes = scheme_to_xlsx(&scheme).unwrap();
        let rows = read_scheme_xlsx(&bytes).unwrap();
        assert_eq!(rows, scheme.to_rows(), "every cell reads back as written");
        assert_eq!(Scheme::from_rows(&rows).unwrap(), scheme);
        assert_eq!(scheme_from_xlsx(&bytes).unwrap(), scheme);
        // The English workbook reads back to the same scheme.
        let en = scheme_to_xlsx_in(&scheme, Lang::En).unwrap();
        assert_eq!(scheme_from_xlsx(&en).unwrap(), scheme);
        // Weights are number cells, so a clerk can sum them in Excel.
        let cells = first_sheet_text(&bytes).unwrap();
        assert_eq!(cells[0], ["代码", "项目", "分值或内容", "说明"]);
        assert_eq!(cells[4][..3], ["on_time", "按时完成任务", "30"]);
    }

    #[test]
    fn a_bad_row_is_named_by_its_line() {
        let mut rows = Scheme::default_scheme().to_rows();
        rows[6].value = "-10".into();
        let bytes = scheme_rows_to_xlsx(&rows, Lang::ZhCn).unwrap();
        let errors = scheme_from_xlsx(&bytes).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].line, Some(8));
        assert!(errors[0].message_zh.starts_with("第 8 行："), "{errors:?}");
        assert!(errors[0].message_zh.contains("不能为负数"));
    }

    #[test]
    fn weights_adding_up_to_105_are_refused_with_the_sum() {
        let mut rows = Scheme::default_scheme().to_rows();
        rows[7].value = "25".into();
        let bytes = scheme_rows_to_xlsx(&rows, Lang::ZhCn).unwrap();
        let errors = scheme_from_xlsx(&bytes).unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].message_zh.starts_with("第 5 行：各项权重")
                && errors[0].message_zh.contains("合计 105"),
            "{errors:?}"
        );
    }

    #[test]
    fn a_workbook_without_the_value_column_is_refused_naming_it() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let ws = book.add_worksheet();
        for (c, h) in ["代码", "项目", "说明"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_string(1, 0, "on_time").unwrap();
        let bytes = book.save_to_buffer().unwrap();
        let errors = read_scheme_xlsx(&bytes).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].message_zh, "第 1 行：缺少“分值或内容”列");
    }

    use super::libreoffice;

    #[test]
    fn a_scheme_resaved_by_libreoffice_reads_back_equal() {
        let scheme = Scheme::default_scheme();
        let bytes = scheme_to_xlsx(&scheme).unwrap();
        let Some(resaved) =
            libreoffice::resave_xlsx("a_scheme_resaved_by_libreoffice_reads_back_equal", &bytes)
        else {
            return;
        };
        assert_eq!(read_scheme_xlsx(&resaved).unwrap(), scheme.to_rows());
        assert_eq!(scheme_from_xlsx(&resaved).unwrap(), scheme);
    }

    #[test]
    fn a_file_that_is_not_a_workbook_or_is_empty_is_refused() {
        let errors = read_scheme_xlsx(b"not a workbook").unwrap_err();
        assert!(errors[0].message_zh.contains("不是可读取的 XLSX 工作簿"));
        let mut book = rust_xlsxwriter::Workbook::new();
        book.add_worksheet();
        let empty = book.save_to_buffer().unwrap();
        let errors = read_scheme_xlsx(&empty).unwrap_err();
        assert_eq!(errors[0].message_zh, "工作簿中没有考核方案表");
    }
}
