//! A quality analysis report (质量分析报告) as a Word document: the issuer, the number and the date
//! on top, the title and period, then numbered sections, each with its narrative paragraphs, its
//! tables (indicators, sampling pass rates, the plan's progress) and its charts.
//!
//! The caller (the web crate) lays the report out as a [`ReportDoc`]: headings, paragraphs and
//! tables as text, charts as the SVG the platform shows, so this module knows nothing of the
//! store. Each chart is rasterized to PNG with resvg at twice its SVG size (sharp in print),
//! with the system's fonts so that Chinese labels render (Noto Sans CJK SC by default, where
//! installed), and embedded the width of the text block. A chart that cannot be drawn leaves
//! its caption and the caller's note in its place; it never fails the document.
//!
//! Page, fonts, sizes and tables come from [`crate::official`], as the bulletin's (GB/T 9704).
//! Units: lengths in twips (1/20 pt), font sizes in half-points, as Word stores them; picture
//! sizes in EMU (1 twip = 635 EMU).

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use docx_rs::{
    AlignmentType, Docx, DocxError, LineSpacing, Paragraph, Pic, Run, Shading, Table, TableCell,
    TableRow,
};
use resvg::{tiny_skia, usvg};

use crate::ExchangeError;
use crate::official::*;
pub use crate::pdf::FontData;
use crate::pdf::{Align, Style, Typesetter};

const KAITI: &str = "楷体";

/// EMU per twip (914400 EMU per inch, 1440 twips per inch).
const EMU_PER_TWIP: u64 = 635;
/// Charts are drawn at twice their SVG size: about 210 dpi across the text block.
const CHART_SCALE: f32 = 2.0;
/// The largest bitmap side drawn, whatever size an SVG claims.
const CHART_MAX_PX: f32 = 4000.0;
/// The font for text whose SVG names none installed: CJK-capable, in fonts-noto-cjk.
const CHART_FONT: &str = "Noto Sans CJK SC";

/// A table: an optional caption, its column headers with relative widths, and rows of text.
#[derive(Debug, Clone, Default)]
pub struct DocTable {
    pub caption: String,
    /// (header, relative width)
    pub columns: Vec<(String, usize)>,
    pub rows: Vec<Vec<String>>,
}

/// A chart: the SVG the platform shows, and its caption (printed under the picture).
#[derive(Debug, Clone, Default)]
pub struct DocChart {
    pub caption: String,
    /// A complete `<svg>` document; sized by its width/height or, without them, its viewBox.
    pub svg: String,
}

/// A numbered section: its heading, paragraphs, tables and charts.
#[derive(Debug, Clone, Default)]
pub struct DocSection {
    pub heading: String,
    pub paragraphs: Vec<String>,
    pub tables: Vec<DocTable>,
    /// Charts, each as a picture the width of the text with its caption.
    pub charts: Vec<DocChart>,
    /// Where the charts go: after this many tables; `None` after all of them.
    pub charts_after: Option<usize>,
    /// Small notes after the tables and charts (explanations, projections).
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
    /// Printed under the caption of a chart that cannot be drawn (e.g. "该图表未能生成，请在平台上查看。").
    pub chart_fallback: String,
}

/// The report as a .docx file.
pub fn report_to_docx(r: &ReportDoc) -> Result<Vec<u8>, ExchangeError> {
    let mut doc = Docx::new()
        .page_size(PAGE_WIDTH, PAGE_HEIGHT)
        .page_margin(page_margin())
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
        let charts_at = s.charts_after.unwrap_or(s.tables.len()).min(s.tables.len());
        for (i, t) in s.tables.iter().enumerate() {
            if i == charts_at {
                doc = add_charts(doc, &s.charts, &r.chart_fallback);
            }
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
        if charts_at == s.tables.len() {
            doc = add_charts(doc, &s.charts, &r.chart_fallback);
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

/// Each chart as a centred picture the width of the text, its caption under it; a chart that
/// cannot be drawn as its caption and `fallback`.
fn add_charts(mut doc: Docx, charts: &[DocChart], fallback: &str) -> Docx {
    for c in charts {
        let caption = || {
            Paragraph::new()
                .align(AlignmentType::Center)
                .line_spacing(LineSpacing::new().before(60).after(120))
                .add_run(text(&c.caption, HEITI, SIZE_5))
        };
        match svg_to_png(&c.svg) {
            Some(png) => {
                let width = TEXT_WIDTH as u64 * EMU_PER_TWIP;
                let height = width * u64::from(png.height) / u64::from(png.width.max(1));
                let (width, height) = (emu(width), emu(height));
                let pic =
                    Pic::new_with_dimensions(png.bytes, png.width, png.height).size(width, height);
                doc = doc.add_paragraph(
                    Paragraph::new()
                        .align(AlignmentType::Center)
                        .line_spacing(LineSpacing::new().before(120))
                        .keep_next(true)
                        .add_run(Run::new().add_image(pic)),
                );
                if !c.caption.is_empty() {
                    doc = doc.add_paragraph(caption());
                }
            }
            None => {
                doc = doc.add_paragraph(caption().keep_next(!fallback.is_empty()));
                if !fallback.is_empty() {
                    doc = doc.add_paragraph(
                        Paragraph::new()
                            .align(AlignmentType::Center)
                            .line_spacing(LineSpacing::new().after(120))
                            .add_run(text(fallback, FANGSONG, SIZE_5)),
                    );
                }
            }
        }
    }
    doc
}

fn emu(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// A chart drawn as PNG, with its size in pixels.
struct Png {
    bytes: Vec<u8>,
    width: u32,
    height: u32,
}

/// The SVG drawn at [`CHART_SCALE`] on white, as PNG; `None` when it cannot be parsed or drawn
/// (also should the renderer panic).
fn svg_to_png(svg: &str) -> Option<Png> {
    let pixmap = std::panic::catch_unwind(|| render_svg(svg))
        .ok()
        .flatten()?;
    let bytes = pixmap.encode_png().ok()?;
    Some(Png {
        bytes,
        width: pixmap.width(),
        height: pixmap.height(),
    })
}

/// The SVG drawn as for Word, as RGB pixels (the white ground makes every pixel opaque, so the
/// premultiplied RGBA values are the colours), with the width and height.
fn svg_to_rgb(svg: &str) -> Option<(Vec<u8>, u32, u32)> {
    let pixmap = std::panic::catch_unwind(|| render_svg(svg))
        .ok()
        .flatten()?;
    let rgb = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    Some((rgb, pixmap.width(), pixmap.height()))
}

fn render_svg(svg: &str) -> Option<tiny_skia::Pixmap> {
    let options = usvg::Options {
        font_family: CHART_FONT.to_string(),
        languages: vec!["zh-CN".to_string(), "en".to_string()],
        // The charts are self-contained: no file or data URL is ever loaded.
        image_href_resolver: usvg::ImageHrefResolver {
            resolve_data: Box::new(|_, _, _| None),
            resolve_string: Box::new(|_, _| None),
        },
        fontdb: font_database(),
        ..usvg::Options::default()
    };
    let tree = usvg::Tree::from_str(svg, &options).ok()?;
    let size = tree.size();
    let scale = CHART_SCALE
        .min(CHART_MAX_PX / size.width())
        .min(CHART_MAX_PX / size.height());
    let (width, height) = (
        (size.width() * scale).ceil(),
        (size.height() * scale).ceil(),
    );
    // usvg sizes are positive and finite; a zero side (or an overflow) is refused here.
    let mut pixmap = tiny_skia::Pixmap::new(width as u32, height as u32)?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Some(pixmap)
}

/// Families tried in turn for PDF text: simplified-Chinese faces first.
const PDF_FONTS: &[&str] = &[
    "Noto Sans CJK SC",
    "Noto Serif CJK SC",
    "Source Han Sans SC",
    "Source Han Serif SC",
    "Noto Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
];

/// A CJK font for [`report_to_pdf`]: the font file at `path` when given (its simplified-Chinese
/// face if it is a collection), otherwise the first of the system's fonts in [`PDF_FONTS`], at
/// regular weight. `None` when there is none, or the file holds no font with Chinese characters.
pub fn find_cjk_font(path: Option<&std::path::Path>) -> Option<FontData> {
    match path {
        Some(path) => {
            let mut db = usvg::fontdb::Database::new();
            db.load_font_file(path).ok()?;
            pick_cjk_font(&db).or_else(|| {
                db.faces().find_map(|f| {
                    db.with_face_data(f.id, |data, index| FontData::new(data.to_vec(), index).ok())
                        .flatten()
                })
            })
        }
        None => pick_cjk_font(&font_database()),
    }
}

fn pick_cjk_font(db: &usvg::fontdb::Database) -> Option<FontData> {
    use usvg::fontdb::{Family, Query, Stretch, Weight};
    PDF_FONTS.iter().find_map(|family| {
        let id = db.query(&Query {
            families: &[Family::Name(family)],
            weight: Weight::NORMAL,
            stretch: Stretch::Normal,
            style: usvg::fontdb::Style::Normal,
        })?;
        db.with_face_data(id, |data, index| FontData::new(data.to_vec(), index).ok())
            .flatten()
    })
}

/// The report as an A4 PDF file with the same content as [`report_to_docx`], its text drawn
/// with `font` (a CJK font, embedded as a subset of the glyphs used).
pub fn report_to_pdf(r: &ReportDoc, font: &FontData) -> Result<Vec<u8>, ExchangeError> {
    lay_out(r, font)?.finish(&r.title)
}

/// The report laid out on numbered pages.
fn lay_out<'a>(r: &ReportDoc, font: &'a FontData) -> Result<Typesetter<'a>, ExchangeError> {
    let mut t = Typesetter::new(font)?;
    let centred = |size, leading| Style {
        align: Align::Center,
        ..Style::new(size, leading)
    };
    // 三号 body text on exact 28 pt lines, indented two characters, as in the Word file.
    let body = Style {
        indent: 32.0,
        ..Style::new(16.0, 28.0)
    };
    let heading = Style {
        bold: true,
        before: 12.0,
        keep: 56.0,
        ..body
    };
    let caption = Style {
        bold: true,
        before: 6.0,
        after: 3.0,
        keep: 40.0,
        ..centred(10.5, 16.0)
    };
    let note = Style {
        before: 3.0,
        ..Style::new(10.5, 16.0)
    };
    if !r.issuer.is_empty() {
        let issuer = Style {
            bold: true,
            rgb: [1.0, 0.0, 0.0],
            after: 6.0,
            ..centred(16.0, 24.0)
        };
        t.paragraph(&r.issuer, issuer);
    }
    let number = format!("{}　{}", r.number, r.date);
    t.paragraph(number.trim(), centred(16.0, 24.0));
    let title = Style {
        bold: true,
        before: 18.0,
        after: 6.0,
        ..centred(22.0, 32.0)
    };
    t.paragraph(&r.title, title);
    if !r.period.is_empty() {
        let period = Style {
            after: 12.0,
            ..centred(16.0, 24.0)
        };
        t.paragraph(&format!("（{}）", r.period), period);
    }
    for s in &r.sections {
        if !s.heading.is_empty() {
            t.paragraph(&s.heading, heading);
        }
        for p in &s.paragraphs {
            for line in p.lines().map(str::trim).filter(|l| !l.is_empty()) {
                t.paragraph(line, body);
            }
        }
        let charts_at = s.charts_after.unwrap_or(s.tables.len()).min(s.tables.len());
        for (i, table) in s.tables.iter().enumerate() {
            if i == charts_at {
                pdf_charts(&mut t, &s.charts, &r.chart_fallback);
            }
            if !table.caption.is_empty() {
                t.paragraph(&table.caption, caption);
            }
            if table.rows.is_empty() {
                t.paragraph("无", body);
            } else {
                t.table(&table.columns, &table.rows);
                t.space(6.0);
            }
        }
        if charts_at == s.tables.len() {
            pdf_charts(&mut t, &s.charts, &r.chart_fallback);
        }
        for n in &s.notes {
            t.paragraph(n, note);
        }
    }
    if !r.issuer.is_empty() {
        let closing = Style {
            align: Align::Right,
            ..Style::new(16.0, 28.0)
        };
        t.space(28.0);
        t.paragraph(&r.issuer, closing);
        t.paragraph(&r.date, closing);
    }
    t.number_pages();
    Ok(t)
}

/// Each chart as a picture the width of the text with its caption under it; a chart that
/// cannot be drawn as its caption and `fallback`.
fn pdf_charts(t: &mut Typesetter, charts: &[DocChart], fallback: &str) {
    let caption = Style {
        bold: true,
        before: 3.0,
        after: 6.0,
        align: Align::Center,
        ..Style::new(10.5, 16.0)
    };
    for c in charts {
        match svg_to_rgb(&c.svg) {
            Some((rgb, width, height)) => {
                t.space(6.0);
                let room = if c.caption.is_empty() { 0.0 } else { 25.0 };
                t.image(&rgb, width, height, room);
                if !c.caption.is_empty() {
                    t.paragraph(&c.caption, caption);
                }
            }
            None => {
                if !c.caption.is_empty() {
                    t.paragraph(
                        &c.caption,
                        Style {
                            keep: 16.0,
                            ..caption
                        },
                    );
                }
                if !fallback.is_empty() {
                    t.paragraph(
                        fallback,
                        Style {
                            bold: false,
                            ..caption
                        },
                    );
                }
            }
        }
    }
}

/// The system's fonts, loaded once per process; `sans-serif` is the CJK font where installed.
fn font_database() -> Arc<usvg::fontdb::Database> {
    static FONTS: OnceLock<Arc<usvg::fontdb::Database>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            let mut db = usvg::fontdb::Database::new();
            db.load_system_fonts();
            let has_cjk = db
                .faces()
                .any(|f| f.families.iter().any(|(name, _)| name == CHART_FONT));
            if has_cjk {
                db.set_sans_serif_family(CHART_FONT);
            }
            Arc::new(db)
        })
        .clone()
}

fn closing_line(s: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Right)
        .indent(None, None, Some(INDENT_2_CHARS), None)
        .add_run(text(s, FANGSONG, SIZE_3))
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
    bordered_table(rows, widths)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
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
                ..Default::default()
            }],
            ..Default::default()
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

    /// A chart as the platform draws it: viewBox only, a white frame, a line, CJK text.
    const CHART: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 640 280" font-family="PingFang SC, Noto Sans CJK SC, sans-serif" font-size="12"><rect x="40" y="40" width="560" height="200" fill="#fff" stroke="#d0d7de"/><polyline fill="none" stroke="#0969da" stroke-width="2.5" points="40,200 320,120 600,60"/><text x="320" y="256" text-anchor="middle" fill="#57606a">2014</text><text x="470" y="18" fill="#1f2328">实际值 &amp; 目标</text></svg>"##;

    fn unzip(bytes: &[u8]) -> BTreeMap<String, Vec<u8>> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
        let mut out = BTreeMap::new();
        for i in 0..zip.len() {
            let mut f = zip.by_index(i).expect("entry");
            let mut buf = Vec::new();
            f.read_to_end(&mut buf).expect("read entry");
            out.insert(f.name().expect("entry name").to_string(), buf);
        }
        out
    }

    fn report(charts: Vec<DocChart>) -> ReportDoc {
        ReportDoc {
            title: "惠济区2014年质量分析报告".into(),
            sections: vec![DocSection {
                heading: "二、产品质量".into(),
                tables: vec![
                    DocTable {
                        caption: "主要指标".into(),
                        columns: vec![("指标".into(), 1)],
                        rows: vec![vec!["PRD-1".into()]],
                    },
                    DocTable {
                        caption: "按产品类别".into(),
                        columns: vec![("类别".into(), 1)],
                        rows: vec![vec!["电线电缆".into()]],
                    },
                ],
                charts,
                charts_after: Some(1),
                ..Default::default()
            }],
            chart_fallback: "各指标趋势图表见平台。".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_chart_is_embedded_as_a_png_the_width_of_the_text() {
        let chart = DocChart {
            caption: "PRD-1 农业标准化市场普及率".into(),
            svg: CHART.into(),
        };
        let files = unzip(&report_to_docx(&report(vec![chart])).expect("docx"));
        let media: Vec<&Vec<u8>> = files
            .iter()
            .filter(|(name, _)| name.starts_with("word/media/") && name.ends_with(".png"))
            .map(|(_, bytes)| bytes)
            .collect();
        assert_eq!(media.len(), 1, "{:?}", files.keys().collect::<Vec<_>>());
        let png = media[0];
        assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));
        assert!(png.len() > 2_000, "{} bytes", png.len());
        // Drawn at twice the SVG's size, on white, with the blue line in it.
        let pixmap = tiny_skia::Pixmap::decode_png(png).expect("decodes");
        assert_eq!((pixmap.width(), pixmap.height()), (1280, 560));
        assert_eq!(pixmap.pixel(2, 2).map(|p| p.red()), Some(255));
        let blue = pixmap
            .pixels()
            .iter()
            .filter(|p| (p.red(), p.green(), p.blue()) == (0x09, 0x69, 0xda))
            .count();
        assert!(blue > 1_000, "{blue} blue pixels");

        let xml = String::from_utf8(files["word/document.xml"].clone()).expect("utf-8");
        assert!(
            xml.contains("<pic:pic") && xml.contains("<w:drawing>"),
            "{xml}"
        );
        // 8844 twips × 635 = 5615940 EMU wide, 280/640 of that high.
        assert!(
            xml.contains(r#"<wp:extent cx="5615940" cy="2456973""#),
            "{xml}"
        );
        let embed = xml
            .split(r#"r:embed=""#)
            .nth(1)
            .and_then(|s| s.split('"').next())
            .expect("a picture reference");
        let rels = String::from_utf8(files["word/_rels/document.xml.rels"].clone()).expect("rels");
        assert!(rels.contains(&format!(r#"Id="{embed}""#)), "{rels}");
        // In place: after the indicator table, before the sampling table; captioned.
        let (picture, sampling) = (
            xml.find("<pic:pic").unwrap_or(usize::MAX),
            xml.find("按产品类别").unwrap_or(0),
        );
        assert!(xml.find("主要指标").unwrap_or(usize::MAX) < picture && picture < sampling);
        assert!(xml.contains("PRD-1 农业标准化市场普及率"));
        assert!(!xml.contains("各指标趋势图表见平台"));
    }

    #[test]
    fn a_report_is_a_pdf_with_its_text_a_font_subset_and_its_charts() {
        let Some(font) = crate::pdf::tests::cjk_font() else {
            return;
        };
        let chart = DocChart {
            caption: "PRD-1 农业标准化市场普及率".into(),
            svg: CHART.into(),
        };
        let mut r = report(vec![chart]);
        r.issuer = "惠济区质量强区战略工作领导小组办公室".into();
        r.number = "质量分析报告〔2015〕1号".into();
        r.date = "2015年1月10日".into();
        r.sections[0].paragraphs = vec!["产品质量总体稳定，监督抽查合格率96.5%。".into()];
        let pages = lay_out(&r, &font).expect("layout").page_texts();
        let text = pages.concat();
        for s in [
            "惠济区质量强区战略工作领导小组办公室",
            "质量分析报告〔2015〕1号　2015年1月10日",
            "惠济区2014年质量分析报告",
            "二、产品质量",
            "产品质量总体稳定，监督抽查合格率96.5%。",
            "主要指标",
            "PRD-1",
            "电线电缆",
            "PRD-1 农业标准化市场普及率",
        ] {
            assert!(text.iter().any(|l| l == s), "{s} not in {text:?}");
        }
        let n = pages.len();
        assert_eq!(text.last(), Some(&format!("第 {n} 页 共 {n} 页")));

        let pdf = report_to_pdf(&r, &font).expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let raw = String::from_utf8_lossy(&pdf);
        // The font is embedded as a subset: a tagged name, and kilobytes, not the 19 MB file.
        assert!(
            raw.contains("/FontFile3") || raw.contains("/FontFile2"),
            "no font file"
        );
        let base = raw
            .split("/BaseFont /")
            .nth(1)
            .map(|s| s.chars().take(7).collect::<String>())
            .unwrap_or_default();
        assert!(
            base.len() == 7
                && base.ends_with('+')
                && base.chars().take(6).all(|c| c.is_ascii_uppercase()),
            "{base}"
        );
        assert!(pdf.len() < 600_000, "{} bytes", pdf.len());
        // The text can be extracted: the ToUnicode map holds the title's characters.
        for c in "惠济区质量分析报告".chars() {
            let hex = format!("<{:04X}>", u32::from(c));
            assert!(
                raw.contains(&hex) || raw.contains(&hex.to_lowercase()),
                "{c}"
            );
        }
        assert_eq!(crate::pdf::tests::count(&pdf, b"/Subtype /Image"), 1);
    }

    #[test]
    fn a_chart_that_cannot_be_drawn_leaves_its_caption_and_a_note() {
        let charts = [
            "<svg",
            "not svg at all",
            "",
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="0" height="0"/>"#,
        ]
        .iter()
        .map(|svg| DocChart {
            caption: "ENV-3 PM2.5年均浓度".into(),
            svg: svg.to_string(),
        })
        .collect();
        let files = unzip(&report_to_docx(&report(charts)).expect("docx"));
        assert!(!files.keys().any(|name| name.starts_with("word/media/")));
        let xml = String::from_utf8(files["word/document.xml"].clone()).expect("utf-8");
        assert!(!xml.contains("<pic:pic"));
        assert_eq!(xml.matches("ENV-3 PM2.5年均浓度").count(), 4);
        assert_eq!(xml.matches("各指标趋势图表见平台。").count(), 4);
        assert!(xml.contains("电线电缆"));
    }
}
