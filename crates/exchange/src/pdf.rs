//! A small typesetter for A4 PDF documents in Chinese: centred or indented paragraphs, bordered
//! tables whose header row repeats on each page, pictures, and "第 N 页 共 M 页" at the foot.
//!
//! Text is drawn with one OpenType font (a CJK font such as Noto Sans CJK SC), embedded as a
//! subset holding only the glyphs used, as a CID font with a ToUnicode map so that the text can
//! be searched and copied. There is no shaping: each character is its font's glyph, which is
//! what Chinese text needs; Latin text loses only kerning. Bold is drawn by stroking the glyph
//! outlines as well as filling them, so that one font file is enough.
//!
//! Lines break between any two CJK characters and at spaces, keep Latin words and numbers whole,
//! never start with closing punctuation (。，、；：？！）」…) nor end with opening brackets.
//!
//! Units: points (1/72 in); positions are measured from the page's top edge while laying out
//! and turned into PDF coordinates (from the bottom edge) when drawn.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::Write;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode, UnicodeCmap};
use pdf_writer::{Content, Filter, Name, Pdf, Rect, Ref, Str, TextStr};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::string::StringId;
use skrifa::{FontRef, GlyphId, MetadataProvider, Tag};
use subsetter::GlyphRemapper;

use crate::ExchangeError;

const MM: f32 = 72.0 / 25.4;
/// A4 portrait.
const PAGE_W: f32 = 210.0 * MM;
const PAGE_H: f32 = 297.0 * MM;
// The margins of GB/T 9704, as the Word documents have them.
const TOP: f32 = 37.0 * MM;
const BOTTOM: f32 = 35.0 * MM;
const LEFT: f32 = 28.0 * MM;
const RIGHT: f32 = 26.0 * MM;
/// The width of the text block (156 mm).
pub(crate) const TEXT_W: f32 = PAGE_W - LEFT - RIGHT;
/// The page number's baseline, from the top edge: about 7 mm under the text block.
const FOOTER_BASELINE: f32 = PAGE_H - BOTTOM + 12.0 * MM;
const FOOTER_SIZE: f32 = 12.0;

/// Table cells: 五号 text, padding around it, border width.
const CELL_SIZE: f32 = 10.5;
const CELL_LEADING: f32 = 15.0;
// 2.5 pt a side: a two-character header fits the 序号 column of a bulletin (26 pt).
const CELL_PAD_X: f32 = 2.5;
const CELL_PAD_Y: f32 = 3.0;
const BORDER: f32 = 0.5;
/// The header row's shading (E7E6E6, as in the Word tables).
const HEADER_FILL: [f32; 3] = [0.906, 0.902, 0.902];

/// The font resource name in every page's content.
const FONT_NAME: Name<'static> = Name(b"F1");

/// An OpenType font (or one face of a collection) that PDF text is drawn with.
#[derive(Debug, Clone)]
pub struct FontData {
    bytes: Vec<u8>,
    index: u32,
}

impl FontData {
    /// The face `index` of the font file `bytes` (0 unless the file is a collection, .ttc).
    /// Refused when it is not an OpenType font or has no Chinese characters.
    pub fn new(bytes: Vec<u8>, index: u32) -> Result<Self, ExchangeError> {
        let font = FontRef::from_index(&bytes, index)
            .map_err(|e| ExchangeError::Pdf(format!("not an OpenType font: {e}")))?;
        if font.charmap().map('质').is_none() {
            return Err(ExchangeError::Pdf(
                "the font has no Chinese characters".into(),
            ));
        }
        Ok(Self { bytes, index })
    }
}

/// Text alignment within the text block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// How a paragraph is drawn.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    pub size: f32,
    /// Distance between baselines.
    pub leading: f32,
    pub bold: bool,
    pub rgb: [f32; 3],
    pub align: Align,
    /// The first line's indent.
    pub indent: f32,
    pub before: f32,
    pub after: f32,
    /// Kept on the page with this much of what follows (headings, captions).
    pub keep: f32,
}

impl Style {
    pub(crate) fn new(size: f32, leading: f32) -> Self {
        Self {
            size,
            leading,
            bold: false,
            rgb: [0.0; 3],
            align: Align::Left,
            indent: 0.0,
            before: 0.0,
            after: 0.0,
            keep: 0.0,
        }
    }
}

/// The font's character map and advances.
struct Face<'a> {
    font: FontRef<'a>,
    charmap: Charmap<'a>,
    glyphs: GlyphMetrics<'a>,
    upem: f32,
}

impl<'a> Face<'a> {
    fn new(data: &'a FontData) -> Result<Self, ExchangeError> {
        let font = FontRef::from_index(&data.bytes, data.index)
            .map_err(|e| ExchangeError::Pdf(format!("not an OpenType font: {e}")))?;
        let glyphs = font.glyph_metrics(Size::unscaled(), LocationRef::default());
        let upem = f32::from(
            font.metrics(Size::unscaled(), LocationRef::default())
                .units_per_em
                .max(1),
        );
        Ok(Self {
            charmap: font.charmap(),
            font,
            glyphs,
            upem,
        })
    }

    /// The glyph of a character (`.notdef` when the font has none) and its advance in ems.
    fn glyph(&self, c: char) -> (u16, f32) {
        let gid = self.charmap.map(c).unwrap_or(GlyphId::NOTDEF).to_u32();
        let gid = u16::try_from(gid).unwrap_or(0);
        let advance = self.glyphs.advance_width(GlyphId::from(gid)).unwrap_or(0.0) / self.upem;
        (gid, advance)
    }

    fn width(&self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.glyph(c).1).sum::<f32>() * size
    }
}

/// A page being drawn: its content and, for tests, the lines of text on it.
struct Page {
    content: Content,
    text: Vec<String>,
    images: Vec<usize>,
}

/// A picture: RGB pixels, deflated.
struct Image {
    width: u32,
    height: u32,
    rgb_deflated: Vec<u8>,
}

/// Lays a document out page by page; [`Typesetter::finish`] writes the PDF.
pub(crate) struct Typesetter<'a> {
    data: &'a FontData,
    face: Face<'a>,
    remapper: GlyphRemapper,
    /// The advance (ems) and character of each glyph of the subset, by its id in the subset.
    used: Vec<(f32, Option<char>)>,
    pages: Vec<Page>,
    /// Where the next line's box starts, from the page's top edge.
    y: f32,
    images: Vec<Image>,
}

impl<'a> Typesetter<'a> {
    pub(crate) fn new(data: &'a FontData) -> Result<Self, ExchangeError> {
        let face = Face::new(data)?;
        let notdef = face.glyph('\u{0}').1;
        let mut t = Self {
            data,
            face,
            remapper: GlyphRemapper::new(),
            // The remapper starts with .notdef as glyph 0.
            used: vec![(notdef, None)],
            pages: Vec::new(),
            y: TOP,
            images: Vec::new(),
        };
        t.new_page();
        Ok(t)
    }

    fn new_page(&mut self) {
        self.pages.push(Page {
            content: Content::new(),
            text: Vec::new(),
            images: Vec::new(),
        });
        self.y = TOP;
    }

    fn page(&mut self) -> &mut Page {
        if self.pages.is_empty() {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn at_top(&self) -> bool {
        self.y <= TOP + 0.01
    }

    fn room(&self) -> f32 {
        PAGE_H - BOTTOM - self.y
    }

    /// A new page unless `height` fits on this one (or this one is still empty).
    fn ensure(&mut self, height: f32) {
        if height > self.room() + 0.01 && !self.at_top() {
            self.new_page();
        }
    }

    /// Vertical space, dropped at the top of a page.
    pub(crate) fn space(&mut self, height: f32) {
        if !self.at_top() {
            self.y = (self.y + height).min(PAGE_H - BOTTOM);
        }
    }

    /// A paragraph, wrapped to the text block.
    pub(crate) fn paragraph(&mut self, s: &str, st: Style) {
        self.space(st.before);
        let lines = self.wrap(s, st.size, TEXT_W, st.indent);
        self.ensure(st.leading + st.keep);
        for (i, line) in lines.iter().enumerate() {
            self.ensure(st.leading);
            let w = self.face.width(line, st.size);
            let x = LEFT
                + match st.align {
                    Align::Left if i == 0 => st.indent,
                    Align::Left => 0.0,
                    Align::Center => ((TEXT_W - w) / 2.0).max(0.0),
                    Align::Right => (TEXT_W - w).max(0.0),
                };
            let baseline = self.y + baseline_offset(st.size, st.leading);
            self.show(x, baseline, st.size, st.bold, st.rgb, line);
            self.y += st.leading;
        }
        self.space(st.after);
    }

    /// One line of text on the current page with its baseline at `baseline` (from the top edge).
    fn show(&mut self, x: f32, baseline: f32, size: f32, bold: bool, rgb: [f32; 3], s: &str) {
        if self.pages.is_empty() {
            self.new_page();
        }
        let last = self.pages.len() - 1;
        self.show_on(last, x, baseline, size, bold, rgb, s);
    }

    #[allow(clippy::too_many_arguments)]
    fn show_on(
        &mut self,
        page: usize,
        x: f32,
        baseline: f32,
        size: f32,
        bold: bool,
        rgb: [f32; 3],
        s: &str,
    ) {
        let mut codes = Vec::with_capacity(s.len() * 2);
        for c in s.chars() {
            let (gid, advance) = self.face.glyph(c);
            let new = self.remapper.remap(gid);
            let slot = usize::from(new);
            if slot >= self.used.len() {
                self.used.resize(slot + 1, (0.0, None));
                self.used[slot] = (advance, Some(c));
            }
            codes.extend_from_slice(&new.to_be_bytes());
        }
        let Some(page) = self.pages.get_mut(page) else {
            return;
        };
        let content = &mut page.content;
        content.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
        if bold {
            content.set_stroke_rgb(rgb[0], rgb[1], rgb[2]);
            content.set_line_width(size * 0.03);
        }
        content.begin_text();
        content.set_font(FONT_NAME, size);
        content.set_text_rendering_mode(if bold {
            TextRenderingMode::FillStroke
        } else {
            TextRenderingMode::Fill
        });
        content.set_text_matrix([1.0, 0.0, 0.0, 1.0, x, PAGE_H - baseline]);
        content.show(Str(&codes));
        content.end_text();
        page.text.push(s.to_string());
    }

    /// `s` broken into lines at most `width` wide, the first `indent` narrower.
    fn wrap(&self, s: &str, size: f32, width: f32, indent: f32) -> Vec<String> {
        let space = self.face.width(" ", size);
        let mut lines = Vec::new();
        let mut line = String::new();
        let mut used = 0.0;
        let mut avail = (width - indent).max(size);
        for token in tokens(s) {
            let w = self.face.width(&token.text, size);
            let gap = if token.space && !line.is_empty() {
                space
            } else {
                0.0
            };
            if line.is_empty() || used + gap + w <= avail + 0.01 {
                if gap > 0.0 {
                    line.push(' ');
                }
                line.push_str(&token.text);
                used += gap + w;
            } else {
                lines.push(std::mem::take(&mut line));
                avail = width;
                line = token.text;
                used = w;
            }
            // A word wider than the line (a long code or address) is cut where it must be.
            while used > avail + 0.01 && line.chars().count() > 1 {
                let mut end = 0;
                let mut w = 0.0;
                for (i, c) in line.char_indices() {
                    let cw = self.face.glyph(c).1 * size;
                    if i > 0 && w + cw > avail {
                        break;
                    }
                    w += cw;
                    end = i + c.len_utf8();
                }
                let rest = line.split_off(end);
                lines.push(std::mem::replace(&mut line, rest));
                avail = width;
                used = self.face.width(&line, size);
            }
        }
        if !line.is_empty() || lines.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// A bordered table the width of the text block: columns shared out by their relative
    /// widths, the header row shaded and repeated at the top of each page the table runs onto.
    pub(crate) fn table(&mut self, columns: &[(String, usize)], rows: &[Vec<String>]) {
        let total = columns
            .iter()
            .map(|(_, w)| (*w).max(1))
            .sum::<usize>()
            .max(1) as f32;
        let widths: Vec<f32> = columns
            .iter()
            .map(|(_, w)| (*w).max(1) as f32 * TEXT_W / total)
            .collect();
        let header: Vec<&str> = columns.iter().map(|(t, _)| t.as_str()).collect();
        let header = self.wrap_row(&header, &widths);
        let body: Vec<Vec<Vec<String>>> = rows
            .iter()
            .map(|row| {
                let cells: Vec<&str> = (0..widths.len())
                    .map(|i| row.get(i).map(String::as_str).unwrap_or(""))
                    .collect();
                self.wrap_row(&cells, &widths)
            })
            .collect();
        let first = body.first().map(|r| row_height(r)).unwrap_or(0.0);
        self.ensure(row_height(&header) + first);
        self.draw_row(&header, &widths, true);
        for row in &body {
            if row_height(row) > self.room() + 0.01 {
                self.new_page();
                self.draw_row(&header, &widths, true);
            }
            self.draw_row(row, &widths, false);
        }
    }

    fn wrap_row(&self, cells: &[&str], widths: &[f32]) -> Vec<Vec<String>> {
        cells
            .iter()
            .zip(widths)
            .map(|(s, w)| self.wrap(s, CELL_SIZE, (w - 2.0 * CELL_PAD_X).max(CELL_SIZE), 0.0))
            .collect()
    }

    fn draw_row(&mut self, cells: &[Vec<String>], widths: &[f32], header: bool) {
        let height = row_height(cells);
        let top = self.y;
        let mut x = LEFT;
        for (lines, w) in cells.iter().zip(widths) {
            let content = &mut self.page().content;
            content.save_state();
            if header {
                content.set_fill_rgb(HEADER_FILL[0], HEADER_FILL[1], HEADER_FILL[2]);
                content.rect(x, PAGE_H - top - height, *w, height);
                content.fill_nonzero();
            }
            content.set_line_width(BORDER);
            content.set_stroke_rgb(0.0, 0.0, 0.0);
            content.rect(x, PAGE_H - top - height, *w, height);
            content.stroke();
            content.restore_state();
            for (i, line) in lines.iter().enumerate() {
                let lw = self.face.width(line, CELL_SIZE);
                let lx = if header {
                    x + ((w - lw) / 2.0).max(CELL_PAD_X)
                } else {
                    x + CELL_PAD_X
                };
                let line_top = top + CELL_PAD_Y + i as f32 * CELL_LEADING;
                let baseline = line_top + baseline_offset(CELL_SIZE, CELL_LEADING);
                self.show(lx, baseline, CELL_SIZE, header, [0.0; 3], line);
            }
            x += w;
        }
        self.y = top + height;
    }

    /// A picture centred, the width of the text block (or less, to fit a page), with
    /// `caption_room` kept on its page for the caption under it.
    pub(crate) fn image(&mut self, rgb: &[u8], width: u32, height: u32, caption_room: f32) {
        if width == 0 || height == 0 {
            return;
        }
        let ratio = height as f32 / width as f32;
        let max_h = PAGE_H - TOP - BOTTOM - caption_room;
        let (mut w, mut h) = (TEXT_W, TEXT_W * ratio);
        if h > max_h {
            h = max_h;
            w = h / ratio;
        }
        self.ensure(h + caption_room);
        let index = self.images.len();
        self.images.push(Image {
            width,
            height,
            rgb_deflated: deflate(rgb),
        });
        let (x, y) = (LEFT + (TEXT_W - w) / 2.0, PAGE_H - self.y - h);
        let name = image_name(index);
        let page = self.page();
        page.content.save_state();
        page.content.transform([w, 0.0, 0.0, h, x, y]);
        page.content.x_object(Name(name.as_bytes()));
        page.content.restore_state();
        page.images.push(index);
        self.y += h;
    }

    /// The lines of text drawn on each page, page numbers included once finished.
    #[cfg(test)]
    pub(crate) fn page_texts(&self) -> Vec<Vec<String>> {
        self.pages.iter().map(|p| p.text.clone()).collect()
    }

    /// Adds the page numbers (第 N 页 共 M 页).
    pub(crate) fn number_pages(&mut self) {
        let count = self.pages.len();
        for i in 0..count {
            let s = format!("第 {} 页 共 {} 页", i + 1, count);
            let x = LEFT + (TEXT_W - self.face.width(&s, FOOTER_SIZE)) / 2.0;
            self.show_on(i, x, FOOTER_BASELINE, FOOTER_SIZE, false, [0.0; 3], &s);
        }
    }

    /// The document as PDF bytes, `title` in its properties.
    pub(crate) fn finish(self, title: &str) -> Result<Vec<u8>, ExchangeError> {
        let subset = subsetter::subset(&self.data.bytes, self.data.index, &self.remapper)
            .map_err(|e| ExchangeError::Pdf(format!("cannot subset the font: {e}")))?;
        let sub = FontRef::new(&subset)
            .map_err(|e| ExchangeError::Pdf(format!("the font subset does not read: {e}")))?;
        let cff = sub
            .table_data(Tag::new(b"CFF "))
            .map(|d| d.as_bytes().to_vec());

        let mut next = Ref::new(1);
        let mut alloc = || next.bump();
        let catalog_id = alloc();
        let pages_id = alloc();
        let info_id = alloc();
        let type0_id = alloc();
        let cid_id = alloc();
        let descriptor_id = alloc();
        let cmap_id = alloc();
        let file_id = alloc();
        let page_ids: Vec<(Ref, Ref)> = self.pages.iter().map(|_| (alloc(), alloc())).collect();
        let image_ids: Vec<Ref> = self.images.iter().map(|_| alloc()).collect();

        let mut pdf = Pdf::new();
        pdf.catalog(catalog_id)
            .pages(pages_id)
            .lang(TextStr("zh-CN"));
        pdf.document_info(info_id)
            .title(TextStr(title))
            .producer(TextStr("QCity"));
        pdf.pages(pages_id)
            .kids(page_ids.iter().map(|(page, _)| *page))
            .count(i32::try_from(page_ids.len()).unwrap_or(i32::MAX));
        for (page, (page_id, content_id)) in self.pages.into_iter().zip(&page_ids) {
            {
                let mut p = pdf.page(*page_id);
                p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H));
                p.parent(pages_id);
                p.contents(*content_id);
                let mut resources = p.resources();
                resources.fonts().pair(FONT_NAME, type0_id);
                if !page.images.is_empty() {
                    let mut objects = resources.x_objects();
                    for i in &page.images {
                        if let Some(id) = image_ids.get(*i) {
                            objects.pair(Name(image_name(*i).as_bytes()), *id);
                        }
                    }
                }
            }
            let data = deflate(&page.content.finish());
            pdf.stream(*content_id, &data).filter(Filter::FlateDecode);
        }
        for (image, id) in self.images.iter().zip(&image_ids) {
            let mut x = pdf.image_xobject(*id, &image.rgb_deflated);
            x.filter(Filter::FlateDecode);
            x.width(i32::try_from(image.width).unwrap_or(i32::MAX));
            x.height(i32::try_from(image.height).unwrap_or(i32::MAX));
            x.color_space().device_rgb();
            x.bits_per_component(8);
        }

        // The font: a Type 0 font over a CID font, glyphs addressed by their id in the subset.
        let base = base_font_name(&self.face.font, &self.used);
        let base = Name(base.as_bytes());
        pdf.type0_font(type0_id)
            .base_font(base)
            .encoding_predefined(Name(b"Identity-H"))
            .descendant_font(cid_id)
            .to_unicode(cmap_id);
        {
            let mut cid = pdf.cid_font(cid_id);
            cid.subtype(if cff.is_some() {
                CidFontType::Type0
            } else {
                CidFontType::Type2
            });
            cid.base_font(base);
            cid.system_info(SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"Identity"),
                supplement: 0,
            });
            cid.font_descriptor(descriptor_id);
            cid.default_width(1000.0);
            if cff.is_none() {
                cid.cid_to_gid_map_predefined(Name(b"Identity"));
            }
            cid.widths()
                .consecutive(0, self.used.iter().map(|(advance, _)| advance * 1000.0));
        }
        let metrics = self
            .face
            .font
            .metrics(Size::new(1000.0), LocationRef::default());
        let bbox = metrics
            .bounds
            .map(|b| Rect::new(b.x_min, b.y_min, b.x_max, b.y_max))
            .unwrap_or(Rect::new(0.0, -120.0, 1000.0, 880.0));
        {
            let mut d = pdf.font_descriptor(descriptor_id);
            d.name(base)
                .flags(FontFlags::SYMBOLIC)
                .bbox(bbox)
                .italic_angle(0.0)
                .ascent(metrics.ascent)
                .descent(metrics.descent)
                .cap_height(metrics.cap_height.unwrap_or(metrics.ascent))
                .stem_v(80.0);
            if cff.is_some() {
                d.font_file3(file_id);
            } else {
                d.font_file2(file_id);
            }
        }
        match &cff {
            Some(cff) => {
                let data = deflate(cff);
                pdf.stream(file_id, &data)
                    .filter(Filter::FlateDecode)
                    .pair(Name(b"Subtype"), Name(b"CIDFontType0C"));
            }
            None => {
                let data = deflate(&subset);
                pdf.stream(file_id, &data).filter(Filter::FlateDecode);
            }
        }
        // Left uncompressed: a few kilobytes, and readable when a document is checked by eye.
        let mut cmap = UnicodeCmap::new(
            Name(b"Custom"),
            SystemInfo {
                registry: Str(b"Adobe"),
                ordering: Str(b"UCS"),
                supplement: 0,
            },
        );
        for (gid, (_, c)) in self.used.iter().enumerate() {
            if let (Ok(gid), Some(c)) = (u16::try_from(gid), c) {
                cmap.pair(gid, *c);
            }
        }
        pdf.cmap(cmap_id, &cmap.finish());
        Ok(pdf.finish())
    }
}

fn image_name(index: usize) -> String {
    format!("Im{index}")
}

/// Where the baseline sits under the top of a line box: the em box centred in it, with the
/// ascent of CJK fonts (0.88 em).
fn baseline_offset(size: f32, leading: f32) -> f32 {
    (leading - size) / 2.0 + size * 0.88
}

fn row_height(cells: &[Vec<String>]) -> f32 {
    let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    lines as f32 * CELL_LEADING + 2.0 * CELL_PAD_Y
}

/// The subset's PostScript name: a tag of six capitals (from the glyphs in it), "+", the font's.
fn base_font_name(font: &FontRef, used: &[(f32, Option<char>)]) -> String {
    let name: String = font
        .localized_strings(StringId::POSTSCRIPT_NAME)
        .english_or_first()
        .map(|s| {
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect()
        })
        .unwrap_or_default();
    let name = if name.is_empty() {
        "CJK".to_string()
    } else {
        name
    };
    let mut hasher = DefaultHasher::new();
    for (_, c) in used {
        c.hash(&mut hasher);
    }
    let mut h = Hasher::finish(&hasher);
    let mut tag = String::with_capacity(6);
    for _ in 0..6 {
        tag.push(char::from(b'A' + (h % 26) as u8));
        h /= 26;
    }
    format!("{tag}+{name}")
}

/// zlib-compressed, as PDF's FlateDecode reads it.
fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::new(6));
    // Writing into a Vec cannot fail.
    if e.write_all(data).is_err() {
        return Vec::new();
    }
    e.finish().unwrap_or_default()
}

/// A piece of text that a line never breaks inside, and whether a space came before it.
#[derive(Debug, PartialEq, Eq)]
struct Token {
    text: String,
    space: bool,
}

/// Characters a line must not start with: closing punctuation.
fn no_line_start(c: char) -> bool {
    "。，、；：？！）」』》〉】〕”’….,;:?!)]}%".contains(c)
}

/// Characters a line must not end with: opening brackets.
fn no_line_end(c: char) -> bool {
    "（「『《〈【〔“‘([{".contains(c)
}

/// Ideographs, kana, hangul, CJK and full-width punctuation: a line may break on either side.
fn is_cjk(c: char) -> bool {
    matches!(u32::from(c),
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
        | 0xFF00..=0xFFEF | 0x2014 | 0x2018..=0x201D | 0x2026 | 0x20000..=0x3FFFF)
}

/// `s` cut where lines may break: around CJK characters and at spaces, closing punctuation
/// held to what precedes it and opening brackets to what follows.
fn tokens(s: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut space = false;
    // The last token is a Latin word or number still going.
    let mut word = false;
    // The last token ended with an opening bracket.
    let mut glue = false;
    for c in s.chars() {
        // The ideographic space is a character of its own (e.g. between a number and a date).
        if c != '\u{3000}' && (c.is_whitespace() || c.is_control()) {
            space = true;
            word = false;
            continue;
        }
        let latin = !is_cjk(c);
        let join = !out.is_empty() && (no_line_start(c) || glue || (word && latin && !space));
        match out.last_mut() {
            Some(last) if join => last.text.push(c),
            _ => out.push(Token {
                text: c.to_string(),
                space,
            }),
        }
        space = false;
        glue = no_line_end(c);
        word = latin;
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// The system's CJK font; `None` (with a notice) only where none is installed and
    /// QCITY_E2E is unset: CI installs fonts-noto-cjk and must run these tests.
    pub(crate) fn cjk_font() -> Option<FontData> {
        let font = crate::report::find_cjk_font(None);
        if font.is_none() {
            assert!(
                std::env::var_os("QCITY_E2E").is_none(),
                "no CJK font installed (fonts-noto-cjk), and QCITY_E2E is set"
            );
            eprintln!("NOTICE: no CJK font installed (fonts-noto-cjk): PDF test skipped");
        }
        font
    }

    /// Occurrences of `needle` in `haystack`.
    pub(crate) fn count(haystack: &[u8], needle: &[u8]) -> usize {
        haystack
            .windows(needle.len())
            .filter(|w| *w == needle)
            .count()
    }

    #[test]
    fn a_page_holds_22_body_lines_and_the_pages_are_numbered() {
        let Some(font) = cjk_font() else { return };
        let mut t = Typesetter::new(&font).expect("typesetter");
        let body = Style {
            indent: 32.0,
            ..Style::new(16.0, 28.0)
        };
        // 25 ideographs and the two-character indent fill one 156 mm line of 16 pt text.
        let line = "质".repeat(25);
        for _ in 0..100 {
            t.paragraph(&line, body);
        }
        t.number_pages();
        let pages = t.page_texts();
        assert_eq!(pages.len(), 5);
        assert_eq!(pages[0].len(), 22 + 1);
        assert_eq!(pages[4].len(), 100 - 4 * 22 + 1);
        for (i, page) in pages.iter().enumerate() {
            assert_eq!(page.last(), Some(&format!("第 {} 页 共 5 页", i + 1)));
        }
        let pdf = t.finish("测试").expect("pdf");
        assert!(pdf.starts_with(b"%PDF-"));
        let page_objects = count(&pdf, b"/Type /Page") - count(&pdf, b"/Type /Pages");
        assert_eq!(page_objects, 5);
        assert!(String::from_utf8_lossy(&pdf).contains("/Count 5"));
    }

    #[test]
    fn a_long_table_repeats_its_header_row_on_each_page() {
        let Some(font) = cjk_font() else { return };
        let mut t = Typesetter::new(&font).expect("typesetter");
        let columns = vec![("指标".to_string(), 3), ("数值".to_string(), 1)];
        let rows: Vec<Vec<String>> = (1..=100)
            .map(|i| vec![format!("第{i}行"), format!("{i}.5")])
            .collect();
        t.table(&columns, &rows);
        let pages = t.page_texts();
        // Rows are 21 pt high: 30 to a page, the header and 29 rows.
        assert_eq!(pages.len(), 4);
        for page in &pages {
            assert_eq!(page[..2], ["指标", "数值"]);
        }
        assert_eq!(pages[0][2..4], ["第1行", "1.5"]);
        assert_eq!(pages[1][2..4], ["第30行", "30.5"]);
        assert_eq!(pages[3].last().map(String::as_str), Some("100.5"));
    }

    #[test]
    fn a_long_paragraph_wraps_without_starting_a_line_with_closing_punctuation() {
        let Some(font) = cjk_font() else { return };
        let t = Typesetter::new(&font).expect("typesetter");
        // 27 ideographs fill a line: the comma that would start the next takes the last
        // ideograph with it.
        let s = format!("{}，下一行 Latin words stay whole", "质".repeat(27));
        let lines = t.wrap(&s, 16.0, TEXT_W, 0.0);
        assert_eq!(lines[0], "质".repeat(26));
        assert!(lines[1].starts_with("质，下一行"), "{lines:?}");
        let narrow = t.wrap(&s, 16.0, 100.0, 0.0);
        assert!(narrow.iter().all(|l| !l.starts_with('，')));
        for w in ["Latin", "words", "stay", "whole"] {
            assert!(narrow.iter().any(|l| l.contains(w)), "{w} cut: {narrow:?}");
        }
        // A word wider than the line is cut rather than overflowing.
        let long = "x".repeat(200);
        let lines = t.wrap(&long, 16.0, TEXT_W, 0.0);
        assert!(lines.len() > 1 && lines.concat() == long);
        assert!(lines.iter().all(|l| t.face.width(l, 16.0) <= TEXT_W + 0.01));
    }

    fn texts(s: &str) -> Vec<String> {
        tokens(s).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn lines_break_between_cjk_characters_but_keep_words_and_punctuation() {
        assert_eq!(texts("质量，强区。"), ["质", "量，", "强", "区。"]);
        assert_eq!(
            texts("PRD-1 合格率96.5%（2014年）"),
            ["PRD-1", "合", "格", "率", "96.5%", "（2014", "年）"]
        );
        assert_eq!(texts("a  b"), ["a", "b"]);
        assert!(tokens("x y")[1].space && !tokens("x y")[0].space);
        assert!(texts("").is_empty());
    }
}
