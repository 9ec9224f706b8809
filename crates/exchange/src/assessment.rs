//! The unit assessment table (成员单位绩效考核得分表) as XLSX and as a Word document: one row
//! per unit with its rank, total and the lines that explain it, best first.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, Docx, DocxError, Paragraph, Run, RunFonts, Table, TableCell, TableRow, WidthType,
};
use rust_xlsxwriter::{Format, FormatAlign, FormatBorder, Workbook};

use crate::ExchangeError;

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
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let mut xlsx: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes)).ok()?;
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
