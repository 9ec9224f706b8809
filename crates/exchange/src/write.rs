//! Sheets → XLSX bytes, formatted for clerks: wrapped text, borders, a
//! frozen header, A4 landscape printing with the header row repeated; and
//! what a sheet's [`Look`](crate::sheet::Look) asks for: title lines above
//! the header, an autofilter, number formats by column, cell fills.

use rust_xlsxwriter::{
    Color, ExcelDateTime, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError,
};

use crate::sheet::{Cell, Fill, Sheet};

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
    title: Format,
    subtitle: Format,
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
        title: Format::new()
            .set_bold()
            .set_font_size(16)
            .set_align(FormatAlign::Center)
            .set_align(FormatAlign::VerticalCenter),
        subtitle: Format::new()
            .set_align(FormatAlign::Right)
            .set_align(FormatAlign::VerticalCenter),
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

/// Background and font colours of a fill: Excel's Good, Bad and Neutral styles.
fn fill_colors(fill: Fill) -> (u32, u32) {
    match fill {
        Fill::Green => (0xC6EFCE, 0x006100),
        Fill::Red => (0xFFC7CE, 0x9C0006),
        Fill::Yellow => (0xFFEB9C, 0x9C5700),
    }
}

/// The format of a title line: the first is the title, later ones are smaller.
fn title_format(f: &Formats, row: usize) -> &Format {
    if row == 0 { &f.title } else { &f.subtitle }
}

/// A body cell's format: the merged or plain body format, with the column's
/// number format and the cell's fill, if any.
fn body_format(f: &Formats, sheet: &Sheet, row: usize, col: usize, merged: bool) -> Format {
    let number_format = sheet
        .look
        .number_formats
        .iter()
        .find(|(c, _)| *c == col)
        .map(|(_, code)| code.as_str());
    let fill = sheet
        .look
        .fills
        .iter()
        .find(|(r, c, _)| *r == row && *c == col)
        .map(|(_, _, fill)| *fill);
    let mut format = if merged {
        f.merged.clone()
    } else {
        f.body.clone()
    };
    if let Some(code) = number_format {
        format = format.set_num_format(code);
    }
    if let Some(fill) = fill {
        let (background, font) = fill_colors(fill);
        format = format
            .set_background_color(Color::RGB(background))
            .set_font_color(Color::RGB(font));
    }
    format
}

fn write_sheet(ws: &mut Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    let f = formats();
    let header = sheet.header_row();
    let header_num = row_num(header)?;
    ws.set_name(&sheet.name)?;
    for (col, width) in sheet.widths.iter().enumerate() {
        ws.set_column_width(col_num(col)?, *width)?;
    }
    for row in 0..header {
        ws.set_row_height(row_num(row)?, if row == 0 { 30 } else { 20 })?;
    }
    // Merges first: a merge writes its top cell, which is then overwritten
    // with the typed value; cells under a merge are not written.
    for m in &sheet.merges {
        let first_row = usize::try_from(m.first_row).unwrap_or(usize::MAX);
        let format = if first_row < header {
            title_format(&f, first_row)
        } else {
            &f.merged
        };
        ws.merge_range(m.first_row, m.first_col, m.last_row, m.last_col, "", format)?;
    }
    for (r, row) in sheet.rows.iter().enumerate() {
        let r_num = row_num(r)?;
        for (c, cell) in row.iter().enumerate() {
            if sheet.merged_with_above(r, c) {
                continue;
            }
            let format = if r < header {
                title_format(&f, r).clone()
            } else if r == header {
                f.header.clone()
            } else {
                let merged = sheet
                    .merges
                    .iter()
                    .any(|m| m.first_row == r_num && usize::from(m.first_col) == c);
                body_format(&f, sheet, r, c, merged)
            };
            write_cell(ws, r_num, col_num(c)?, cell, &format, &f.date)?;
        }
    }
    let last_row = row_num(sheet.rows.len().max(header + 1) - 1)?;
    if sheet.look.autofilter {
        let columns = sheet.rows.get(header).map_or(1, Vec::len).max(1);
        ws.autofilter(header_num, 0, last_row, col_num(columns - 1)?)?;
    }
    ws.set_freeze_panes(header_num + 1, 0)?;
    ws.set_paper_size(PAPER_A4);
    ws.set_landscape();
    ws.set_repeat_rows(header_num, header_num)?;
    // One page wide, as many pages tall as needed.
    ws.set_print_fit_to_pages(1, 0);
    Ok(())
}

fn row_num(row: usize) -> Result<u32, XlsxError> {
    u32::try_from(row).map_err(|_| XlsxError::RowColumnLimitError)
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
