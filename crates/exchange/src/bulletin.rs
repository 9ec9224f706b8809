//! A bulletin (通报) as a Word document, laid out like the ones offices circulate: a red header
//! with the issuer, the issue number and the date; the title; an opening summary; four numbered
//! sections, three of them tables; and the issuer and date closing the text.
//!
//! Fonts are named as on a Chinese Windows, which Word and WPS have: 仿宋 for the text, 黑体 for
//! headings, 宋体 for the red header and the title. The font table marks them as Chinese (GB2312)
//! fonts, so a system without one substitutes another Chinese font rather than a Latin one.
//!
//! Units: lengths in twips (1/20 pt), font sizes in half-points, as Word stores them.

use std::io::Cursor;

use chrono::{Datelike, NaiveDate};
use docx_rs::{
    AlignmentType, BorderType, Docx, DocxError, LineSpacing, Paragraph, ParagraphBorder,
    ParagraphBorderPosition, ParagraphBorders, Run, Shading, SpecialIndentType, Tab, TabValueType,
    Table, TableCell, TableRow, XMLDocx,
};
use qcity_domain::bulletin::{Bulletin, Rates};

use crate::ExchangeError;
use crate::official::*;
use crate::report::{DocSection, DocTable, FontData, ReportDoc, report_to_pdf};

/// The red header's largest size, 一号 (26 pt); a long issuer is set smaller to stay on one line.
const SIZE_RED_HEADER_MAX: usize = 52;

const RED: &str = "FF0000";

// What docx-rs has no API for is added to the XML it renders, by plain string insertion.

/// docx-rs cannot mark a row as a header row repeated on each page (`w:tblHeader`). Header rows
/// are the only rows made `cantSplit`, so the written XML gets `w:tblHeader` next to it. Text
/// from the bulletin is escaped in the XML, so it can never contain this tag.
const HEADER_ROW_MARK: &str = "<w:cantSplit />";
const HEADER_ROW_MARKED: &str = "<w:cantSplit /><w:tblHeader />";

/// Font-table entries for the Chinese fonts (docx-rs writes only Times New Roman, Symbol and
/// Arial there). Word substitutes a missing font by its panose and charset (86 = GB2312), and
/// the alternative name is the one English-language systems know it by.
const CJK_FONT_TABLE: &str = concat!(
    r#"<w:font w:name="仿宋"><w:altName w:val="FangSong" /><w:panose1 w:val="02010609060101010101" />"#,
    r#"<w:charset w:val="86" /><w:family w:val="modern" /><w:pitch w:val="fixed" /></w:font>"#,
    r#"<w:font w:name="黑体"><w:altName w:val="SimHei" /><w:panose1 w:val="02010609060101010101" />"#,
    r#"<w:charset w:val="86" /><w:family w:val="modern" /><w:pitch w:val="fixed" /></w:font>"#,
    r#"<w:font w:name="宋体"><w:altName w:val="SimSun" /><w:panose1 w:val="02010600030101010101" />"#,
    r#"<w:charset w:val="86" /><w:family w:val="auto" /><w:pitch w:val="variable" /></w:font>"#,
);

/// A table column: its header, width (twips) and how its cells are aligned.
struct Column {
    title: &'static str,
    width: usize,
    align: AlignmentType,
}

const fn column(title: &'static str, width: usize, align: AlignmentType) -> Column {
    Column {
        title,
        width,
        align,
    }
}

// Widths add up to the text block; headers of four characters fit on one line.
const UNIT_COLUMNS: [Column; 11] = [
    column("序号", 520, AlignmentType::Center),
    column("单位", 1764, AlignmentType::Left),
    column("应完成", 760, AlignmentType::Right),
    column("已销号", 760, AlignmentType::Right),
    column("按时完成", 1000, AlignmentType::Right),
    column("逾期", 600, AlignmentType::Right),
    column("完成率", 820, AlignmentType::Right),
    column("按时率", 820, AlignmentType::Right),
    column("催办", 600, AlignmentType::Right),
    column("督办", 600, AlignmentType::Right),
    column("通报", 600, AlignmentType::Right),
];

const CATEGORY_COLUMNS: [Column; 6] = [
    column("类别", 3444, AlignmentType::Left),
    column("应完成", 1000, AlignmentType::Right),
    column("已销号", 1000, AlignmentType::Right),
    column("逾期", 1000, AlignmentType::Right),
    column("完成率", 1200, AlignmentType::Right),
    column("按时率", 1200, AlignmentType::Right),
];

const OVERDUE_COLUMNS: [Column; 4] = [
    column("单位", 2000, AlignmentType::Left),
    column("目标内容", 4444, AlignmentType::Left),
    column("完成时限", 1400, AlignmentType::Center),
    column("逾期天数", 1000, AlignmentType::Right),
];

/// The bulletin as a .docx file.
pub fn bulletin_to_docx(b: &Bulletin) -> Result<Vec<u8>, ExchangeError> {
    let date = chinese_date(&b.as_of);
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(page_margin())
        .default_fonts(fonts(FANGSONG))
        .default_size(SIZE_4)
        .footer(page_number_footer())
        .add_paragraph(red_header(b))
        .add_paragraph(issue_line(b, &date))
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().before(480).after(120))
                .add_run(text(&b.title, SONGTI, SIZE_2).bold()),
        );
    if !b.period_label.is_empty() {
        doc = doc.add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().after(240))
                .add_run(text(&format!("（{}）", b.period_label), FANGSONG, SIZE_3)),
        );
    }
    if let Some(reason) = &b.correction {
        doc = doc.add_paragraph(body(&format!(
            "更正说明：本期通报更正此前印发的第{}期，原因：{reason}。",
            b.number
        )));
    }
    doc = doc.add_paragraph(body(&opening(b, &date)));

    doc = doc.add_paragraph(heading("一、各单位完成情况"));
    let units: Vec<Vec<String>> = b
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut row = vec![(i + 1).to_string(), u.unit_name.clone()];
            row.extend(rate_cells(&u.rates, true));
            row.extend([u.blue_notices, u.yellow_notices, u.red_notices].map(|n| n.to_string()));
            row
        })
        .collect();
    doc = add_table_or_none(doc, &UNIT_COLUMNS, units);

    doc = doc.add_paragraph(heading("二、各目标类别完成情况"));
    let categories: Vec<Vec<String>> = b
        .categories
        .iter()
        .map(|c| {
            let mut row = vec![c.title.clone()];
            row.extend(rate_cells(&c.rates, false));
            row
        })
        .collect();
    doc = add_table_or_none(doc, &CATEGORY_COLUMNS, categories);

    doc = doc.add_paragraph(heading("三、逾期事项"));
    let overdue: Vec<Vec<String>> = b
        .overdue
        .iter()
        .map(|o| {
            vec![
                o.unit_name.clone(),
                format!("{} {}", o.content_code, o.content_text)
                    .trim()
                    .to_string(),
                o.due_date.clone(),
                o.days_overdue.to_string(),
            ]
        })
        .collect();
    doc = add_table_or_none(doc, &OVERDUE_COLUMNS, overdue);

    doc = doc.add_paragraph(heading("四、表扬与批评"));
    if !b.rule.is_empty() {
        doc = doc.add_paragraph(body(&b.rule));
    }
    let commended = or_none(b.commended.join("、"));
    doc = doc.add_paragraph(labelled("予以表扬：", &commended));
    let criticised: Vec<String> = b
        .criticised
        .iter()
        .map(|(name, why)| {
            if why.is_empty() {
                name.clone()
            } else {
                format!("{name}（{why}）")
            }
        })
        .collect();
    doc = doc.add_paragraph(labelled("予以通报批评：", &or_none(criticised.join("、"))));

    // The issuer and date close the text on the right, a blank line below the last section.
    doc = doc
        .add_paragraph(Paragraph::new().line_spacing(body_lines()))
        .add_paragraph(closing_line(&b.issuer))
        .add_paragraph(closing_line(&date));

    let mut xml = doc.build();
    add_what_docx_rs_cannot(&mut xml);
    let mut out = Cursor::new(Vec::new());
    xml.pack(&mut out).map_err(DocxError::from)?;
    Ok(out.into_inner())
}

/// The bulletin as an A4 PDF file with the same sections and tables as [`bulletin_to_docx`],
/// its text drawn with `font` (a CJK font, embedded as a subset).
pub fn bulletin_to_pdf(b: &Bulletin, font: &FontData) -> Result<Vec<u8>, ExchangeError> {
    report_to_pdf(&bulletin_doc(b), font)
}

/// The bulletin laid out as a report: the same header, sections and tables.
fn bulletin_doc(b: &Bulletin) -> ReportDoc {
    let date = chinese_date(&b.as_of);
    let mut opening_lines = Vec::new();
    if let Some(reason) = &b.correction {
        opening_lines.push(format!(
            "更正说明：本期通报更正此前印发的第{}期，原因：{reason}。",
            b.number
        ));
    }
    opening_lines.push(opening(b, &date));
    let table = |columns: &[Column], rows: Vec<Vec<String>>| DocTable {
        caption: String::new(),
        columns: columns
            .iter()
            .map(|c| (c.title.to_string(), c.width))
            .collect(),
        rows,
    };
    let units = b
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            let mut row = vec![(i + 1).to_string(), u.unit_name.clone()];
            row.extend(rate_cells(&u.rates, true));
            row.extend([u.blue_notices, u.yellow_notices, u.red_notices].map(|n| n.to_string()));
            row
        })
        .collect();
    let categories = b
        .categories
        .iter()
        .map(|c| {
            let mut row = vec![c.title.clone()];
            row.extend(rate_cells(&c.rates, false));
            row
        })
        .collect();
    let overdue = b
        .overdue
        .iter()
        .map(|o| {
            vec![
                o.unit_name.clone(),
                format!("{} {}", o.content_code, o.content_text)
                    .trim()
                    .to_string(),
                o.due_date.clone(),
                o.days_overdue.to_string(),
            ]
        })
        .collect();
    let criticised: Vec<String> = b
        .criticised
        .iter()
        .map(|(name, why)| {
            if why.is_empty() {
                name.clone()
            } else {
                format!("{name}（{why}）")
            }
        })
        .collect();
    let mut verdicts = Vec::new();
    if !b.rule.is_empty() {
        verdicts.push(b.rule.clone());
    }
    verdicts.push(format!("予以表扬：{}。", or_none(b.commended.join("、"))));
    verdicts.push(format!(
        "予以通报批评：{}。",
        or_none(criticised.join("、"))
    ));
    let section = |heading: &str, paragraphs: Vec<String>, tables: Vec<DocTable>| DocSection {
        heading: heading.to_string(),
        paragraphs,
        tables,
        ..Default::default()
    };
    ReportDoc {
        issuer: b.issuer.clone(),
        number: if b.number == 0 {
            "（草稿）".to_string()
        } else {
            format!("第{}期", b.number)
        },
        date: date.clone(),
        title: b.title.clone(),
        period: b.period_label.clone(),
        sections: vec![
            section("", opening_lines, vec![]),
            section(
                "一、各单位完成情况",
                vec![],
                vec![table(&UNIT_COLUMNS, units)],
            ),
            section(
                "二、各目标类别完成情况",
                vec![],
                vec![table(&CATEGORY_COLUMNS, categories)],
            ),
            section(
                "三、逾期事项",
                vec![],
                vec![table(&OVERDUE_COLUMNS, overdue)],
            ),
            section("四、表扬与批评", verdicts, vec![]),
        ],
        chart_fallback: String::new(),
    }
}

/// The issuer in large red type, centred: the 红头.
fn red_header(b: &Bulletin) -> Paragraph {
    // As large as fits on one line (with some slack for bold glyphs), at most 一号:
    // a character of n half-points is 10·n twips wide.
    let chars = b.issuer.chars().count().max(1);
    let size = (TEXT_WIDTH * 9 / 10 / chars / 10).clamp(SIZE_3, SIZE_RED_HEADER_MAX);
    Paragraph::new()
        .align(AlignmentType::Center)
        .line_spacing(LineSpacing::new().before(240).after(240))
        .add_run(text(&b.issuer, SONGTI, size).bold().color(RED))
}

/// 第N期 (or 草稿) on the left and the date on the right, over the red rule.
fn issue_line(b: &Bulletin, date: &str) -> Paragraph {
    let number = if b.number == 0 {
        "（草稿）".to_string()
    } else {
        format!("第{}期", b.number)
    };
    let mut p = Paragraph::new()
        .add_tab(Tab::new().val(TabValueType::Right).pos(TEXT_WIDTH))
        .line_spacing(LineSpacing::new().after(120))
        .add_run(text(&number, FANGSONG, SIZE_3))
        .add_run(Run::new().add_tab())
        .add_run(text(date, FANGSONG, SIZE_3));
    let rule = ParagraphBorder::new(ParagraphBorderPosition::Bottom)
        .val(BorderType::Single)
        .size(12)
        .space(6)
        .color(RED);
    p.property = p
        .property
        .set_borders(ParagraphBorders::with_empty().set(rule));
    p
}

/// 截至……现将有关情况通报如下：the totals in words.
fn opening(b: &Bulletin, date: &str) -> String {
    let t = &b.total;
    format!(
        "截至{date}，全区应完成目标任务{}项，已销号{}项，完成率{}；按时完成{}项，按时率{}；逾期未完成{}项。现将有关情况通报如下：",
        t.due,
        t.accepted,
        t.completion_text(),
        t.on_time,
        t.on_time_text(),
        t.overdue,
    )
}

/// 应完成, 已销号, (按时完成,) 逾期, 完成率, 按时率.
fn rate_cells(r: &Rates, with_on_time: bool) -> Vec<String> {
    let mut cells = vec![r.due.to_string(), r.accepted.to_string()];
    if with_on_time {
        cells.push(r.on_time.to_string());
    }
    cells.push(r.overdue.to_string());
    cells.push(r.completion_text());
    cells.push(r.on_time_text());
    cells
}

fn or_none(s: String) -> String {
    if s.is_empty() { "无".to_string() } else { s }
}

/// "2014-09-30" as 2014年9月30日; any other text as it is.
fn chinese_date(s: &str) -> String {
    match NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d") {
        Ok(d) => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Err(_) => s.to_string(),
    }
}

/// A body paragraph opening with a label in 黑体.
fn labelled(label: &str, s: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Both)
        .line_spacing(body_lines())
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(INDENT_2_CHARS)),
            None,
            None,
        )
        .add_run(text(label, HEITI, SIZE_3))
        .add_run(text(&format!("{s}。"), FANGSONG, SIZE_3))
}

fn closing_line(s: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Right)
        .line_spacing(body_lines())
        .indent(None, None, Some(INDENT_2_CHARS), None)
        .add_run(text(s, FANGSONG, SIZE_3))
}

/// The table, or 无 when there are no rows.
fn add_table_or_none(doc: Docx, columns: &[Column], rows: Vec<Vec<String>>) -> Docx {
    if rows.is_empty() {
        return doc.add_paragraph(body("无"));
    }
    doc.add_table(table(columns, rows))
}

/// A bordered table the width of the text block, its header row repeated on each page.
fn table(columns: &[Column], rows: Vec<Vec<String>>) -> Table {
    let header: Vec<TableCell> = columns
        .iter()
        .map(|c| {
            cell(c.title, c.width, AlignmentType::Center, HEITI)
                .shading(Shading::new().fill(HEADER_FILL))
        })
        .collect();
    // `cant_split` marks the header row; see HEADER_ROW_MARK.
    let mut table_rows = vec![TableRow::new(header).cant_split()];
    for row in rows {
        let cells = columns
            .iter()
            .zip(row.iter())
            .map(|(c, value)| cell(value, c.width, c.align, FANGSONG))
            .collect();
        table_rows.push(TableRow::new(cells));
    }
    bordered_table(table_rows, columns.iter().map(|c| c.width).collect())
}

/// The text's language, last in the default run properties as the schema orders them: Word and
/// LibreOffice pick a Chinese (not a Japanese) font for a missing one by it.
const DEFAULT_LANGUAGE: &str =
    r#"<w:lang w:val="zh-CN" w:eastAsia="zh-CN" /></w:rPr></w:rPrDefault>"#;

/// Repeated header rows, the language and the Chinese font-table entries, inserted into the
/// rendered XML.
fn add_what_docx_rs_cannot(xml: &mut XMLDocx) {
    xml.document = replace(&xml.document, HEADER_ROW_MARK, HEADER_ROW_MARKED);
    xml.styles = replace(&xml.styles, "</w:rPr></w:rPrDefault>", DEFAULT_LANGUAGE);
    xml.font_table = replace(
        &xml.font_table,
        "</w:fonts>",
        &format!("{CJK_FONT_TABLE}</w:fonts>"),
    );
}

/// docx-rs renders UTF-8; should a part ever not be, it is left as rendered.
fn replace(part: &[u8], from: &str, to: &str) -> Vec<u8> {
    match std::str::from_utf8(part) {
        Ok(s) => s.replace(from, to).into_bytes(),
        Err(_) => part.to_vec(),
    }
}
