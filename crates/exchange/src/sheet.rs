//! A workbook as plain data: sheets of cells plus vertical merges. The
//! layout code builds these, the writer and reader convert them to and
//! from XLSX, and the importer reads plans from them.

use chrono::NaiveDate;

/// One cell's value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Date(NaiveDate),
}

impl Cell {
    pub(crate) fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => crate::text::normalize(s).is_empty(),
            Cell::Number(_) | Cell::Date(_) => false,
        }
    }

    /// The value as text, as a clerk would read it.
    pub(crate) fn as_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => crate::text::format_number(*n),
            Cell::Date(d) => crate::text::format_date_zh(*d),
        }
    }
}

/// A merged range (0-based, inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Merge {
    pub first_row: u32,
    pub last_row: u32,
    pub first_col: u16,
    pub last_col: u16,
}

/// One worksheet: rows of cells (the header row first, unless
/// [`Look::title_rows`] puts title lines above it) and merged ranges.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<Cell>>,
    pub merges: Vec<Merge>,
    /// Column widths in characters, for writing.
    pub widths: Vec<f64>,
    /// Presentation beyond the cells, for writing; the reader leaves it default.
    pub look: Look,
}

/// A cell's background, for a status at a glance (Excel's Good, Bad and
/// Neutral colours).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fill {
    Green,
    Red,
    Yellow,
}

/// How a sheet is presented beyond its cells. The default is the plan
/// export's: the header in row 0, no filter, general number formats, no fills.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Look {
    /// Title lines above the header row, each merged across the table: the
    /// header is row `title_rows`.
    pub title_rows: usize,
    /// An autofilter on the header row over the whole table.
    pub autofilter: bool,
    /// Number formats of body cells by column (0-based column, Excel format code).
    pub number_formats: Vec<(usize, String)>,
    /// Background fills of single cells (0-based row and column).
    pub fills: Vec<(usize, usize, Fill)>,
}

impl Sheet {
    pub(crate) fn cell(&self, row: usize, col: usize) -> &Cell {
        static EMPTY: Cell = Cell::Empty;
        self.rows
            .get(row)
            .and_then(|r| r.get(col))
            .unwrap_or(&EMPTY)
    }

    /// Whether (row, col) lies in a merged range below its top row: its
    /// value is the one of the cell above.
    pub(crate) fn merged_with_above(&self, row: usize, col: usize) -> bool {
        let (Ok(row), Ok(col)) = (u32::try_from(row), u16::try_from(col)) else {
            return false;
        };
        self.merges.iter().any(|m| {
            m.first_row < row && row <= m.last_row && m.first_col <= col && col <= m.last_col
        })
    }

    /// The header row (0-based): below the title lines.
    pub(crate) fn header_row(&self) -> usize {
        self.look.title_rows
    }

    /// Puts title lines above the table, each merged across `columns`
    /// columns; merges and fills move down with the table.
    pub(crate) fn prepend_titles(&mut self, lines: &[String], columns: usize) {
        let n = lines.len();
        let (Ok(shift), Ok(last_col)) = (u32::try_from(n), u16::try_from(columns.max(1) - 1))
        else {
            return;
        };
        for m in &mut self.merges {
            m.first_row = m.first_row.saturating_add(shift);
            m.last_row = m.last_row.saturating_add(shift);
        }
        for fill in &mut self.look.fills {
            fill.0 += n;
        }
        let mut rows: Vec<Vec<Cell>> = lines.iter().map(|l| vec![Cell::text(l.as_str())]).collect();
        rows.append(&mut self.rows);
        self.rows = rows;
        self.look.title_rows += n;
        if last_col > 0 {
            for row in 0..shift {
                self.merges.push(Merge {
                    first_row: row,
                    last_row: row,
                    first_col: 0,
                    last_col,
                });
            }
        }
    }

    /// Merges column `col` over each run of rows `first..=last` longer than one.
    pub(crate) fn merge_runs(&mut self, col: u16, runs: &[(usize, usize)]) {
        for &(first, last) in runs {
            if let (true, Ok(first_row), Ok(last_row)) =
                (last > first, u32::try_from(first), u32::try_from(last))
            {
                self.merges.push(Merge {
                    first_row,
                    last_row,
                    first_col: col,
                    last_col: col,
                });
            }
        }
    }
}

/// Excel's column letters: 0 → A, 25 → Z, 26 → AA.
pub(crate) fn column_letter(col: usize) -> String {
    let mut n = col + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    out.iter().rev().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(7), "H");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
