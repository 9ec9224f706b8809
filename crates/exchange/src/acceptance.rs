//! The acceptance score sheet (验收评分表) as a workbook: one criterion per
//! row under the headers of [`COLUMNS`], written by [`acceptance_sheet_to_xlsx`]
//! and read back by [`read_acceptance_sheet`] into [`SheetRow`]s, which
//! [`Sheet::from_rows`](qcity_domain::acceptance::Sheet::from_rows) checks as
//! a whole.

use qcity_domain::acceptance::{COLUMNS, Sheet, SheetRow};
use qcity_domain::plan::Diagnostic;

use crate::ExchangeError;
use crate::sheet::{Cell, Look, Sheet as Grid};

/// The worksheet's name.
pub const SHEET_ACCEPTANCE: &str = "验收评分表";

/// Column widths in characters, in [`COLUMNS`] order.
const WIDTHS: [f64; 13] = [
    8.0, 22.0, 8.0, 26.0, 9.0, 48.0, 7.0, 22.0, 32.0, 14.0, 16.0, 12.0, 8.0,
];

/// A cell for a number column: a number when it reads as one, so Excel sums it.
fn number_cell(s: &str) -> Cell {
    match s.trim().parse::<f64>() {
        Ok(n) if n.is_finite() => Cell::Number(n),
        _ => Cell::text(s),
    }
}

/// Rows under the header, as a workbook (the header in row 1).
pub fn acceptance_rows_to_xlsx(rows: &[SheetRow]) -> Result<Vec<u8>, ExchangeError> {
    let mut grid = vec![COLUMNS.iter().map(|c| Cell::text(c.zh)).collect()];
    for r in rows {
        grid.push(
            r.cells()
                .iter()
                .enumerate()
                .map(|(i, v)| match COLUMNS.get(i).map(|c| c.key) {
                    Some("max_points" | "declared_total") => number_cell(v),
                    _ => Cell::text(v.clone()),
                })
                .collect(),
        );
    }
    let sheet = Grid {
        name: SHEET_ACCEPTANCE.into(),
        rows: grid,
        merges: Vec::new(),
        widths: WIDTHS.to_vec(),
        look: Look::default(),
    };
    Ok(crate::write::write_workbook(&[sheet])?)
}

/// The sheet as a workbook, one criterion per row ([`Sheet::to_rows`]).
pub fn acceptance_sheet_to_xlsx(sheet: &Sheet) -> Result<Vec<u8>, ExchangeError> {
    acceptance_rows_to_xlsx(&sheet.to_rows())
}

/// Reads the rows of a score-sheet workbook: the sheet 验收评分表, else the
/// first; the header is its first non-empty row, and every later non-empty
/// row is a body row numbered as Excel shows it (1-based). `Err` for a file
/// that is not a workbook, an empty sheet or a missing required column.
pub fn read_acceptance_sheet(bytes: &[u8]) -> Result<Vec<SheetRow>, Vec<Diagnostic>> {
    let sheets = crate::read::read_workbook(bytes).map_err(|d| vec![d])?;
    let Some(sheet) = sheets
        .iter()
        .find(|s| s.name == SHEET_ACCEPTANCE)
        .or_else(|| sheets.first())
    else {
        return Err(vec![empty()]);
    };
    let is_blank = |row: &Vec<Cell>| row.iter().all(Cell::is_empty);
    let Some(header_at) = sheet.rows.iter().position(|r| !is_blank(r)) else {
        return Err(vec![empty()]);
    };
    let text = |row: &Vec<Cell>| -> Vec<String> {
        row.iter()
            .map(|c| crate::text::normalize(&c.as_text()))
            .collect()
    };
    let header = text(&sheet.rows[header_at]);
    let body: Vec<(usize, Vec<String>)> = sheet
        .rows
        .iter()
        .enumerate()
        .skip(header_at + 1)
        .filter(|(_, r)| !is_blank(r))
        .map(|(i, r)| (i + 1, r.iter().map(Cell::as_text).collect()))
        .collect();
    SheetRow::from_table(header_at + 1, &header, &body)
}

/// Reads a score sheet from a workbook, all or nothing: [`read_acceptance_sheet`]
/// then [`Sheet::from_rows`]. When rows are refused, `from_rows` stops before
/// checking category totals (its tree is partial); this adds the total check
/// for every category whose own rows are all readable, so one upload names
/// every bad row at once. Diagnostics are sorted by line.
pub fn acceptance_sheet_from_xlsx(bytes: &[u8]) -> Result<Sheet, Vec<Diagnostic>> {
    let rows = read_acceptance_sheet(bytes)?;
    let mut errors = match Sheet::from_rows(&rows) {
        Ok(sheet) => return Ok(sheet),
        Err(errors) => errors,
    };
    if !errors.iter().any(|d| d.path.contains("total")) {
        errors.extend(total_mismatches(&rows));
        errors.sort_by_key(|d| d.line);
    }
    Err(errors)
}

/// Categories whose rows all carry readable maxima and whose declared total
/// differs from their sum: one error on the first row declaring it.
fn total_mismatches(rows: &[SheetRow]) -> Vec<Diagnostic> {
    let mut order: Vec<&str> = Vec::new();
    for r in rows {
        if !order.contains(&r.category_code.as_str()) {
            order.push(&r.category_code);
        }
    }
    let mut out = Vec::new();
    for cat in order {
        let mine: Vec<&SheetRow> = rows.iter().filter(|r| r.category_code == cat).collect();
        let maxima: Option<Vec<f64>> = mine
            .iter()
            .map(|r| {
                r.max_points
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|m| m.is_finite() && *m >= 0.0)
            })
            .collect();
        let Some(maxima) = maxima else { continue };
        let sum: f64 = maxima.iter().sum();
        let declared = mine.iter().find_map(|r| {
            let t = r.declared_total.as_deref()?.trim().parse::<f64>().ok()?;
            Some((r.line, t))
        });
        if let Some((line, total)) = declared
            && (total - sum).abs() > 1e-6
        {
            let sum = crate::text::format_number(sum);
            let total = crate::text::format_number(total);
            let mut d = Diagnostic::error(
                "declared_total",
                format!(
                    "row {line}: category “{cat}” declares a total of {total} points, but its criteria add up to {sum}"
                ),
                format!(
                    "第 {line} 行：类别“{cat}”标明合计 {total} 分，但其评分标准分值合计为 {sum} 分"
                ),
            );
            d.line = Some(line);
            out.push(d);
        }
    }
    out
}

fn empty() -> Diagnostic {
    Diagnostic::error(
        "",
        "the workbook has no score-sheet table",
        "工作簿中没有评分表",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_sheet_round_trips_through_a_workbook() {
        let sheet = Sheet::default_sheet();
        let bytes = acceptance_sheet_to_xlsx(&sheet).unwrap();
        let rows = read_acceptance_sheet(&bytes).unwrap();
        assert_eq!(rows.len(), sheet.criteria().count());
        assert_eq!(rows[0].line, 2);
        let back = Sheet::from_rows(&rows).unwrap();
        assert_eq!(back.categories, sheet.categories);
    }

    #[test]
    fn a_bad_row_is_named_by_its_line() {
        let mut rows = Sheet::default_sheet().to_rows();
        rows[3].max_points = "-5".into();
        let bytes = acceptance_rows_to_xlsx(&rows).unwrap();
        let read = read_acceptance_sheet(&bytes).unwrap();
        let errors = Sheet::from_rows(&read).unwrap_err();
        assert!(
            errors.iter().any(|d| d.message_zh.contains("第 5 行")),
            "{errors:?}"
        );
    }

    #[test]
    fn every_bad_row_is_named_at_once() {
        let mut rows = Sheet::default_sheet().to_rows();
        rows[3].max_points = "-5".into();
        let mut lines = Vec::new();
        for r in rows.iter_mut().filter(|r| r.category_code == "3") {
            r.declared_total = Some("999".into());
            lines.push(r.line);
        }
        let bytes = acceptance_rows_to_xlsx(&rows).unwrap();
        let errors = acceptance_sheet_from_xlsx(&bytes).unwrap_err();
        assert!(
            errors.iter().any(|d| d.message_zh.contains("第 5 行")),
            "{errors:?}"
        );
        assert!(
            errors
                .iter()
                .any(|d| d.path == "declared_total" && d.line.is_some_and(|l| l >= 2)),
            "{errors:?}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_workbook_is_refused() {
        assert!(read_acceptance_sheet(b"not a workbook").is_err());
    }
}
