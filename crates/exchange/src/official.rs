//! The layout of Chinese official documents (公文, GB/T 9704) shared by the Word files QCity
//! writes (bulletins, quality analysis reports): an A4 page and its margins, the fonts and sizes,
//! body paragraphs, headings, the page number and bordered tables.
//!
//! Units: lengths in twips (1/20 pt), font sizes in half-points, as Word stores them.

use docx_rs::{
    AlignmentType, Footer, LineSpacing, LineSpacingType, PageMargin, PageNum, Paragraph, Run,
    RunFonts, SpecialIndentType, Table, TableAlignmentType, TableBorder, TableBorderPosition,
    TableBorders, TableCell, TableCellMargins, TableLayoutType, TableRow, VAlignType, WidthType,
};

// A4 portrait with the margins of GB/T 9704 (the layout standard for official documents):
// top 37 mm, bottom 35 mm, left 28 mm, right 26 mm, which leaves a 156 mm wide text block.
pub(crate) const PAGE_WIDTH: u32 = 11906;
pub(crate) const PAGE_HEIGHT: u32 = 16838;
pub(crate) const MARGIN_TOP: i32 = 2098;
pub(crate) const MARGIN_BOTTOM: i32 = 1984;
pub(crate) const MARGIN_LEFT: i32 = 1588;
pub(crate) const MARGIN_RIGHT: i32 = 1474;
pub(crate) const TEXT_WIDTH: usize = 8844;

pub(crate) const FANGSONG: &str = "仿宋";
pub(crate) const HEITI: &str = "黑体";
pub(crate) const SONGTI: &str = "宋体";

/// 二号 (22 pt): the title.
pub(crate) const SIZE_2: usize = 44;
/// 三号 (16 pt): body text and headings.
pub(crate) const SIZE_3: usize = 32;
/// 四号 (14 pt): the page number.
pub(crate) const SIZE_4: usize = 28;
/// 五号 (10.5 pt): tables.
pub(crate) const SIZE_5: usize = 21;

/// Two characters of 三号 text: the first-line indent of paragraphs and headings.
pub(crate) const INDENT_2_CHARS: i32 = 640;
/// Body lines are exactly 28 pt apart, as in printed official documents.
pub(crate) const BODY_LINE: i32 = 560;

/// The shading of a table's header row.
pub(crate) const HEADER_FILL: &str = "E7E6E6";
/// Table borders, in eighths of a point (0.5 pt).
const TABLE_BORDER: usize = 4;

/// The page margins, with the header and footer distances.
pub(crate) fn page_margin() -> PageMargin {
    PageMargin::new()
        .top(MARGIN_TOP)
        .bottom(MARGIN_BOTTOM)
        .left(MARGIN_LEFT)
        .right(MARGIN_RIGHT)
        .header(851)
        .footer(992)
}

/// The same font for every script: digits and Latin letters then match the Chinese around them,
/// and the eastAsia hint keeps full-width punctuation in the Chinese font.
pub(crate) fn fonts(name: &str) -> RunFonts {
    RunFonts::new()
        .ascii(name)
        .hi_ansi(name)
        .east_asia(name)
        .cs(name)
        .hint("eastAsia")
}

pub(crate) fn text(s: &str, font: &str, size: usize) -> Run {
    Run::new().add_text(s).fonts(fonts(font)).size(size)
}

pub(crate) fn body_lines() -> LineSpacing {
    LineSpacing::new()
        .line_rule(LineSpacingType::Exact)
        .line(BODY_LINE)
}

/// Body text: 仿宋 三号, justified, the first line indented two characters.
pub(crate) fn body(s: &str) -> Paragraph {
    Paragraph::new()
        .align(AlignmentType::Both)
        .line_spacing(body_lines())
        .indent(
            None,
            Some(SpecialIndentType::FirstLine(INDENT_2_CHARS)),
            None,
            None,
        )
        .add_run(text(s, FANGSONG, SIZE_3))
}

/// A section heading (一、…): 黑体 三号, kept with what follows.
pub(crate) fn heading(s: &str) -> Paragraph {
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

/// "— 1 —" centred at the foot of each page.
pub(crate) fn page_number_footer() -> Footer {
    Footer::new().add_paragraph(
        Paragraph::new()
            .align(AlignmentType::Center)
            .add_run(text("— ", SONGTI, SIZE_4))
            .add_page_num(PageNum::new())
            .add_run(text(" —", SONGTI, SIZE_4)),
    )
}

pub(crate) fn cell(s: &str, width: usize, align: AlignmentType, font: &str) -> TableCell {
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

/// A bordered table the width of the text block, fixed column widths (twips).
pub(crate) fn bordered_table(rows: Vec<TableRow>, widths: Vec<usize>) -> Table {
    let border = |position| TableBorder::new(position).size(TABLE_BORDER);
    Table::new(rows)
        .set_grid(widths)
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
