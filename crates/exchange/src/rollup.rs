//! Roll-up tables (a figure per district, with the total of the level above) as a workbook,
//! one sheet per table, for the clerk who compares districts in Excel, or as a Word document,
//! one table per section, for the one who files them.

use crate::ExchangeError;
use crate::official::*;
use crate::sheet::{Cell, Look, Sheet};
use docx_rs::{AlignmentType, Docx, DocxError, LineSpacing, Paragraph, TableRow};
use std::io::Cursor;

/// One value of a roll-up table.
#[derive(Debug, Clone, PartialEq)]
pub enum RollupCell {
    Text(String),
    Count(usize),
    /// A rate in per cent; `None` when nothing was counted (written as "—").
    Percent(Option<f64>),
}

/// One sheet: a title line, a header row and the rows.
#[derive(Debug, Clone, PartialEq)]
pub struct RollupTable {
    pub sheet_name: String,
    pub title: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<RollupCell>>,
}

/// The tables as an XLSX workbook: rates as Excel percentages (so they sort and sum as
/// numbers), counts as numbers, an autofilter on each header.
pub fn rollup_to_xlsx(tables: &[RollupTable]) -> Result<Vec<u8>, ExchangeError> {
    let sheets: Vec<Sheet> = tables.iter().map(sheet).collect();
    Ok(crate::write::write_workbook(&sheets)?)
}

/// The tables as a Word document (A4, the official-document fonts): the title, then each
/// table under its own title, rates written as "42.8%" and "—" where nothing was counted.
pub fn rollup_to_docx(title: &str, tables: &[RollupTable]) -> Result<Vec<u8>, ExchangeError> {
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(page_margin())
        .default_fonts(fonts(FANGSONG))
        .default_size(SIZE_4)
        .footer(page_number_footer())
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().after(240))
                .add_run(text(title, SONGTI, SIZE_2).bold()),
        );
    for t in tables {
        doc = doc
            .add_paragraph(heading(&t.title))
            .add_table(docx_table(t));
    }
    let mut out = Cursor::new(Vec::new());
    doc.build().pack(&mut out).map_err(DocxError::from)?;
    Ok(out.into_inner())
}

/// The text of a cell as the document writes it.
pub fn cell_text(c: &RollupCell) -> String {
    match c {
        RollupCell::Text(s) => s.clone(),
        RollupCell::Count(n) => n.to_string(),
        RollupCell::Percent(Some(p)) => format!("{p:.1}%"),
        RollupCell::Percent(None) => "—".into(),
    }
}

fn docx_table(t: &RollupTable) -> docx_rs::Table {
    let columns = t.header.len().max(1);
    // The first column (the district) twice as wide as the figures.
    let unit = TEXT_WIDTH / (columns + 1);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            if i == 0 {
                TEXT_WIDTH - unit * (columns - 1)
            } else {
                unit
            }
        })
        .collect();
    let align = |i: usize| {
        if i == 0 {
            AlignmentType::Left
        } else {
            AlignmentType::Right
        }
    };
    let header = t
        .header
        .iter()
        .enumerate()
        .map(|(i, h)| cell(h, widths[i], AlignmentType::Center, HEITI))
        .collect();
    let mut rows = vec![TableRow::new(header).cant_split()];
    for r in &t.rows {
        rows.push(TableRow::new(
            r.iter()
                .enumerate()
                .take(columns)
                .map(|(i, c)| cell(&cell_text(c), widths[i], align(i), FANGSONG))
                .collect(),
        ));
    }
    bordered_table(rows, widths)
}

fn sheet(t: &RollupTable) -> Sheet {
    let columns = t.header.len();
    let mut rows: Vec<Vec<Cell>> = vec![t.header.iter().map(Cell::text).collect()];
    let mut percent_cols: Vec<usize> = Vec::new();
    for r in &t.rows {
        rows.push(
            r.iter()
                .enumerate()
                .map(|(i, c)| match c {
                    RollupCell::Text(s) => Cell::text(s.clone()),
                    RollupCell::Count(n) => Cell::Number(*n as f64),
                    RollupCell::Percent(p) => {
                        if !percent_cols.contains(&i) {
                            percent_cols.push(i);
                        }
                        match p {
                            Some(p) => Cell::Number(p / 100.0),
                            None => Cell::text("—"),
                        }
                    }
                })
                .collect(),
        );
    }
    let mut s = Sheet {
        name: t.sheet_name.clone(),
        rows,
        merges: Vec::new(),
        widths: (0..columns)
            .map(|i| if i == 0 { 24.0 } else { 12.0 })
            .collect(),
        look: Look {
            autofilter: true,
            number_formats: percent_cols
                .into_iter()
                .map(|c| (c, "0.0%".to_string()))
                .collect(),
            ..Look::default()
        },
    };
    s.prepend_titles(std::slice::from_ref(&t.title), columns);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two districts: one with figures, one with nothing counted (and a name to escape).
    fn table() -> RollupTable {
        RollupTable {
            sheet_name: "各区进度".into(),
            title: "各区进度对比（2014-12-15）".into(),
            header: vec!["区".into(), "应完成".into(), "完成率".into()],
            rows: vec![
                vec![
                    RollupCell::Text("惠济区".into()),
                    RollupCell::Count(40),
                    RollupCell::Percent(Some(42.5)),
                ],
                vec![
                    RollupCell::Text("金水区 & <新>".into()),
                    RollupCell::Count(0),
                    RollupCell::Percent(None),
                ],
            ],
        }
    }

    #[test]
    fn a_rollup_reads_back_with_its_figures() {
        let bytes = rollup_to_xlsx(&[table()]).unwrap();
        let text = crate::assessment::first_sheet_text(&bytes).expect("a readable workbook");
        let flat: Vec<String> = text.into_iter().flatten().collect();
        for want in [
            "各区进度对比（2014-12-15）",
            "惠济区",
            "40",
            "金水区 & <新>",
            "—",
        ] {
            assert!(flat.iter().any(|c| c == want), "{want} in {flat:?}");
        }
        // Stored as the fraction, shown by its 0.0% format as 42.5%.
        assert!(flat.iter().any(|c| c == "0.425"), "{flat:?}");
    }

    #[test]
    fn a_rollup_as_a_document_holds_the_same_figures() {
        use std::io::Read;
        let bytes = rollup_to_docx("区县对比", &[table()]).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("a docx is a zip");
        let mut xml = String::new();
        zip.by_name("word/document.xml")
            .expect("the document")
            .read_to_string(&mut xml)
            .expect("utf-8");
        for want in [
            "区县对比",
            "各区进度对比（2014-12-15）",
            "惠济区",
            ">40<",
            "42.5%",
            "金水区 &amp; &lt;新&gt;",
            "—",
        ] {
            assert!(xml.contains(want), "{want}");
        }
    }
}
