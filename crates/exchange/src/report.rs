//! A quality analysis report (质量分析报告) as a Word document: the issuer, the number and the date
//! on top, the title and period, then numbered sections, each with its narrative paragraphs and
//! its tables (indicators, sampling pass rates, the plan's progress).
//!
//! The caller (the web crate) lays the report out as a [`ReportDoc`]: headings, paragraphs and
//! tables as text, so this module knows nothing of the store. Charts are not embedded: docx-rs
//! is built without its `image` feature, so the document says where to see them instead.
//!
//! Page, fonts and sizes follow the bulletin (GB/T 9704 margins, 仿宋 text, 黑体 headings).
//! Units: lengths in twips (1/20 pt), font sizes in half-points, as Word stores them.

use std::io::Cursor;

use docx_rs::{
    AlignmentType, Docx, DocxError, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum,
    Paragraph, Run, RunFonts, Shading, SpecialIndentType, Table, TableAlignmentType, TableBorder,
    TableBorderPosition, TableBorders, TableCell, TableCellMargins, TableLayoutType, TableRow,
    VAlignType, WidthType,
};

use crate::ExchangeError;

const PAGE_WIDTH: u32 = 11906;
const PAGE_HEIGHT: u32 = 16838;
const TEXT_WIDTH: usize = 8844;

const FANGSONG: &str = "仿宋";
const HEITI: &str = "黑体";
const SONGTI: &str = "宋体";
const KAITI: &str = "楷体";

const SIZE_2: usize = 44;
const SIZE_3: usize = 32;
const SIZE_4: usize = 28;
const SIZE_5: usize = 21;
const INDENT_2_CHARS: i32 = 640;
const BODY_LINE: i32 = 560;
const HEADER_FILL: &str = "E7E6E6";
const TABLE_BORDER: usize = 4;

/// A table: an optional caption, its column headers with relative widths, and rows of text.
#[derive(Debug, Clone, Default)]
pub struct DocTable {
    pub caption: String,
    /// (header, relative width)
    pub columns: Vec<(String, usize)>,
    pub rows: Vec<Vec<String>>,
}

/// A numbered section: its heading, paragraphs and tables.
#[derive(Debug, Clone, Default)]
pub struct DocSection {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<DocTable>,
    /// Small notes after the tables (explanations, projections, "图表见平台").
    pub notes: Vec<String>,
}

/// A report laid out for Word.
#[derive(Debug, Clone, Default)]
pub struct ReportDoc {
    pub issuer: String,
    /// "质量分析报告〔2014〕1号", or "（草稿）" for a draft.
    pub number: String,
    pub date: String,
    pub title: String,
    pub period: String,
    pub sections: Vec<DocSection>,
}

/// The report as a .docx file.
pub fn report_to_docx(r: &ReportDoc) -> Result<Vec<u8>, ExchangeError> {
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(
            PageMargin::new()
                .top(2098)
                .bottom(1984)
                .left(1588)
                .right(1474)
                .header(851)
                .footer(992),
        )
        .default_fonts(fonts(FANGSONG))
        .default_size(SIZE_4)
        .footer(page_number_footer());
    if !r.issuer.is_empty() {
        doc = doc.add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(text(&r.issuer, SONGTI, SIZE_3).bold().color("FF0000")),
        );
    }
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .line_spacing(LineSpacing::new().before(120).after(120))
            .add_run(text(
                format!("{}　{}", r.number, r.date).trim(),
                FANGSONG,
                SIZE_3,
            )),
    );
    doc = doc.add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .line_spacing(LineSpacing::new().before(360).after(120))
            .add_run(text(&r.title, SONGTI, SIZE_2).bold()),
    );
    if !r.period.is_empty() {
        doc = doc.add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().after(240))
                .add_run(text(&format!("（{}）", r.period), KAITI, SIZE_3)),
        );
    }
    for s in &r.sections {
        doc = doc.add_paragraph(heading(&s.heading));
        for p in &s.paragraphs {
            for line in p.lines().map(str::trim).filter(|l| !l.is_empty()) {
                doc = doc.add_paragraph(body(line));
            }
        }
        for t in &s.tables {
            if !t.caption.is_empty() {
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .line_spacing(LineSpacing::new().before(120).after(60))
                        .keep_next(true)
                        .add_run(text(&t.caption, HEITI, SIZE_5)),
                );
            }
            if t.rows.is_empty() {
                doc = doc.add_paragraph(body("无"));
            } else {
                doc = doc.add_table(table(t));
            }
        }
        for n in &s.notes {
            doc = doc.add_paragraph(
                Paragraph::new()
                    .line_spacing(LineSpacing::new().before(60))
                    .add_run(text(n, FANGSONG, SIZE_5)),
            );
        }
    }
    if !r.issuer.is_empty() {
        doc = doc
            .add_paragraph(Paragraph::new())
            .add_paragraph(closing_line(&r.issuer))
            .add_paragraph(closing_line(&r.date));
    }
    let xml = doc.build();
    let mut out = Cursor::new(Vec::new());
    xml.pack(&mut out).map_err(DocxError::from)?;
    Ok(out.into_inner())
}

fn fonts(name: &str) -> RunFonts {
    RunFonts::new()
        .ascii(name)
        .hi_ansi(name)
        .east_asia(name)
        .cs(name)
        .hint("eastAsia")
}

fn text(s: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(s).fonts(fonts(font)).size(size)
}

fn body(s: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Both)
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Exact)
                .line(BODY_LINE),
        )
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(INDENT_2_CHARS)),
            None,
            None,
        )
        .add_run(text(s, FANGSONG, SIZE_3))
}

fn heading(s: &str) -> Paragraph {
    Paragraph::new()
        .line_spacing(
            LineSpacing::new()
                .line_rule(LineSpacingType::Exact)
                .line(BODY_LINE)
                .before(240),
        )
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(INDENT_2_CHARS)),
            None,
            None,
        )
        .keep_next(true)
        .add_run(text(s, HEITI, SIZE_3))
}

fn closing_line(s: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Right)
        .indent(None, None, Some(INDENT_2_CHARS), None)
        .add_run(text(s, FANGSONG, SIZE_3))
}

fn page_number_footer() -> Footer {
    Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(text("— ", SONGTI, SIZE_4))
            .add_page_num(PageNum::new())
            .add_run(text(" —", SONGTI, SIZE_4)),
    )
}

/// A bordered table the width of the text block; widths are shared out by the relative widths.
fn table(t: &DocTable) -> Table {
    let total: usize = t
        .columns
        .iter()
        .map(|(_, w)| (*w).max(1))
        .sum::<usize>()
        .max(1);
    let widths: Vec<usize> = t
        .columns
        .iter()
        .map(|(_, w)| (*w).max(1) * TEXT_WIDTH / total)
        .collect();
    let header: Vec<TableCell> = t
        .columns
        .iter()
        .zip(&widths)
        .map(|((title, _), w)| {
            cell(title, *w, AlignmentType::Center, HEITI).shading(Shading::new().fill(HEADER_FILL))
        })
        .collect();
    let mut rows = vec![TableRow::new(header).cant_split()];
    for row in &t.rows {
        let cells = widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                cell(
                    row.get(i).map(String::as_str).unwrap_or(""),
                    *w,
                    AlignmentType::Left,
                    FANGSONG,
                )
            })
            .collect();
        rows.push(TableRow::new(cells));
    }
    let border = |position| TableBorder::new(position).size(TABLE_BORDER);
    Table::new(rows)
        .set_grid(widths.clone())
        .width(TEXT_WIDTH, WidthType::Dxa)
        .layout(TableLayoutType::Fixed)
        .align(TableAlignmentType::Center)
        .margins(TableCellMargins::new().margin(30, 60, 30, 60))
        .set_borders(
            TableBorders::new()
                .set(border(TableBorderPosition::Top))
                .set(border(TableBorderPosition::Bottom))
                .set(border(TableBorderPosition::Left))
                .set(border(TableBorderPosition::Right))
                .set(border(TableBorderPosition::InsideH))
                .set(border(TableBorderPosition::InsideV)),
        )
}

fn cell(s: &str, width: usize, align: AlignmentType, font: &str) -> TableCell {
    TableCell::new()
        .width(width, WidthType::Dxa)
        .vertical_align(VAlignType::Center)
        .add_paragraph(
            Paragraph::new()
                .align(align)
                .line_spacing(
                    LineSpacing::new()
                        .line_rule(LineSpacingType::Auto)
                        .line(240),
                )
                .add_run(text(s, font, SIZE_5)),
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    #[test]
    fn a_report_renders_its_narrative_and_tables() {
        let r = ReportDoc {
            issuer: "惠济区质量强区战略工作领导小组办公室".into(),
            number: "质量分析报告〔2014〕1号".into(),
            date: "2014年12月31日".into(),
            title: "惠济区2014年质量分析报告".into(),
            period: "2014年".into(),
            sections: vec![DocSection {
                heading: "一、产品质量".into(),
                paragraphs: vec!["产品质量总体稳定。\n第二段 & <x>".into()],
                tables: vec![
                    DocTable {
                        caption: "指标".into(),
                        columns: vec![("指标".into(), 3), ("数值".into(), 1)],
                        rows: vec![vec!["PRD-1 产品抽检合格率".into(), "96.5".into()]],
                    },
                    DocTable::default(),
                ],
                notes: vec!["图表见平台".into()],
            }],
        };
        let bytes = report_to_docx(&r).expect("docx");
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let mut xml = String::new();
        zip.by_name("word/document.xml")
            .expect("document")
            .read_to_string(&mut xml)
            .expect("utf-8");
        for s in [
            "产品质量总体稳定",
            "第二段 &amp; &lt;x&gt;",
            "PRD-1 产品抽检合格率",
            "图表见平台",
            "〔2014〕1号",
        ] {
            assert!(xml.contains(s), "{s}");
        }
    }
}
