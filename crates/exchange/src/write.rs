//! Sheets → XLSX bytes, formatted for clerks: wrapped text, borders, a
//! frozen header, A4 landscape printing with the header row repeated.

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::sheet::{Cell, Sheet};

/// Paper size code for A4 in the XLSX page setup.
const PAPER_A4: u8 = 9;

pub(crate) fn write_workbook(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let mut workbook = Workbook::new();
    for sheet in sheets {
        let ws = workbook.add_worksheet();
        write_sheet(ws, sheet)?;
    }
    workbook.save_to_buffer()
}

struct Formats {
    header: Format,
    body: Format,
    merged: Format,
    date: Format,
}

fn formats() -> Formats {
    let body = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);
    Formats {
        header: Format::new()
            .set_bold()
            .set_text_wrap()
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter)
            .set_background_color(Color::RGB(0xD9E1F2))
            .set_border(FormatBorder::Thin),
        merged: body.clone().set_align(FormatAlign::VerticalCenter),
        date: body.clone().set_num_format("yyyy\"年\"m\"月\"d\"日\""),
        body,
    }
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    let f = formats();
    ws.set_name(&sheet.name)?;
    for (col, width) in sheet.widths.iter().enumerate() {
        ws.set_column_width(col_num(col)?, *width)?;
    }
    // Merges first: a merge writes its top cell, which is then overwritten
    // with the typed value; cells under a merge are not written.
    for m in &sheet.merges {
        ws.merge_range(
            m.first_row,
            m.first_col,
            m.last_row,
            m.last_col,
            "",
            &f.merged,
        )?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r_num = u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError)?;
        for (c, cell) in row.iter().enumerate() {
            if sheet.merged_with_above(r, c) {
                continue;
            }
            let format = if r == 0 {
                &f.header
            } else if sheet
                .merges
                .iter()
                .any(|m| m.first_row == r_num && usize::from(m.first_col) == c)
            {
                &f.merged
            } else {
                &f.body
            };
            write_cell(ws, r_num, col_num(c)?, cell, format, &f.date)?;
        }
    }
    ws.set_freeze_panes(1, 0)?;
    ws.set_paper_size(PAPER_A4);
    ws.set_landscape();
    ws.set_repeat_rows(0, 0)?;
    // One page wide, as many pages tall as needed.
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn col_num(col: usize) -> Result<u16, XlsxError> {
    u16::try_from(col).map_err(|_| XlsxError::RowColumnLimitError)
}

fn write_cell(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    cell: &Cell,
    format: &Format,
    date_format: &Format,
) -> Result<(), XlsxError> {
    match cell {
        Cell::Empty => ws.write_blank(row, col, format)?,
        Cell::Text(s) => ws.write_string_with_format(row, col, s, format)?,
        Cell::Number(n) => ws.write_number_with_format(row, col, *n, format)?,
        Cell::Date(d) => {
            let dt = excel_date(*d)?;
            ws.write_datetime_with_format(row, col, &dt, date_format)?
        }
    };
    Ok(())
}

fn excel_date(d: chrono::NaiveDate) -> Result<ExcelDateTime, XlsxError> {
    use chrono::Datelike;
    let year = u16::try_from(d.year()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    let month =
        u8::try_from(d.month()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    let day = u8::try_from(d.day()).map_err(|_| XlsxError::DateTimeRangeError(d.to_string()))?;
    ExcelDateTime::from_ymd(year, month, day)
}
