//! XLSX bytes → sheets, with merged ranges, via calamine.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;

use crate::sheet::{Cell, Look, Merge, Sheet};

/// Most rows read from one sheet: far beyond any plan, and a bound on what
/// a hostile file can make us allocate (calamine reports the used range).
const MAX_ROWS: u32 = 100_000;
/// Most columns read from one sheet.
const MAX_COLS: u32 = 64;

/// Opens a workbook for calamine once it is within the limits of
/// [`crate::limits`].
pub(crate) fn open(bytes: &[u8]) -> Result<Xlsx<Cursor<&[u8]>>, Diagnostic> {
    crate::limits::check_workbook(bytes)?;
    open_workbook_from_rs(Cursor::new(bytes)).map_err(|e| {
        Diagnostic::error(
            "",
            format!("the file is not a readable XLSX workbook: {e}"),
            format!("文件不是可读取的 XLSX 工作簿：{e}"),
        )
    })
}

pub(crate) fn read_workbook(bytes: &[u8]) -> Result<Vec<Sheet>, Diagnostic> {
    let mut xlsx = open(bytes)?;
    let mut sheets = Vec::new();
    for name in xlsx.sheet_names() {
        let unreadable = |e: calamine::XlsxError| {
            Diagnostic::error(
                format!("{name}!"),
                format!("sheet {name} cannot be read: {e}"),
                format!("工作表“{name}”无法读取：{e}"),
            )
        };
        // Cells are streamed, not gathered into calamine's dense range: a
        // sheet with one cell at A1 and one at XFD1048576 would be 17 billion.
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        match xlsx.worksheet_cells_reader(&name) {
            Ok(mut reader) => {
                while let Some(c) = reader.next_cell().map_err(unreadable)? {
                    let (row, col) = c.get_position();
                    if row >= MAX_ROWS || col >= MAX_COLS {
                        continue;
                    }
                    let data = Data::from(c.get_value().clone());
                    if matches!(data, Data::Empty) {
                        continue;
                    }
                    let (row, col) = (row as usize, col as usize);
                    if rows.len() <= row {
                        rows.resize(row + 1, Vec::new());
                    }
                    if let Some(cells) = rows.get_mut(row) {
                        if cells.len() <= col {
                            cells.resize(col + 1, Cell::Empty);
                        }
                        if let Some(slot) = cells.get_mut(col) {
                            *slot = cell(&data);
                        }
                    }
                }
            }
            // A chart sheet has no cells.
            Err(calamine::XlsxError::NotAWorksheet(_)) => {}
            Err(e) => return Err(unreadable(e)),
        }
        // A sheet whose merges cannot be read is read without them.
        let merges = xlsx
            .merge_cells_by_sheet_name(&name)
            .unwrap_or_default()
            .into_iter()
            .map(|d| Merge {
                first_row: d.start.0,
                last_row: d.end.0,
                first_col: u16::try_from(d.start.1).unwrap_or(u16::MAX),
                last_col: u16::try_from(d.end.1).unwrap_or(u16::MAX),
            })
            .collect();
        sheets.push(Sheet {
            name,
            rows,
            merges,
            widths: Vec::new(),
            look: Look::default(),
        });
    }
    Ok(sheets)
}

fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Empty,
        Data::String(s) => Cell::text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::text(if *b { "TRUE" } else { "FALSE" }),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d))
                .map_or(Cell::Number(dt.as_f64()), Cell::Date)
        }
        Data::DateTime(dt) => Cell::Number(dt.as_f64()),
        Data::DateTimeIso(s) => iso_date(s).map_or_else(|| Cell::text(s.clone()), Cell::Date),
        Data::DurationIso(s) => Cell::text(s.clone()),
        Data::Error(e) => Cell::text(format!("#{e}")),
    }
}

/// `2015-03-31` or `2015-03-31T00:00:00`.
fn iso_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()
}
