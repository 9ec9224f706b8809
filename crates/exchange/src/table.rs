//! One table read from a file a clerk hands over: an XLSX workbook (the
//! template, or any workbook re-saved by Excel, WPS or LibreOffice) or CSV
//! text (UTF-8 with or without BOM, UTF-16 with BOM, GB18030/GBK as Excel in
//! China saves it; `,` `;` or tab separated). Every importer (indicator
//! values, enterprises, sampling records) reads through [`read_table`], so
//! they find headers, number rows and refuse odd files the same way.
//!
//! Rows are streamed: a CSV file of a million rows is never held as a list of
//! rows, and an XLSX sheet is read cell by cell from its XML (no dense grid,
//! which a sparse hostile sheet could make enormous). Each row reaches the
//! caller as its cells' text, as the spreadsheet shows them: numbers without
//! a trailing `.0`, a percent-formatted cell as `96.5%`, a date cell as
//! `2015-03-31` (read back by [`parse_date`]).
//!
//! The header row is the first of the first rows holding at least two known
//! column names, so title lines above it are fine; columns are found by their
//! names in any order, unknown columns are ignored, and a missing required
//! column is a file-level error naming it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::Cursor;
use std::ops::ControlFlow;

use calamine::{DataRef, Reader, Xlsx};
use chrono::{Datelike, NaiveDate};
use encoding_rs::{Encoding, GB18030, UTF_8};
use qcity_domain::plan::{Diagnostic, Severity};
use qcity_domain::registry::CodeList;
use qcity_domain::target::Lang;

use crate::sheet::column_letter;

use crate::limits::{MAX_COLS, MAX_CSV_RECORD_BYTES, MAX_TABLE_ROWS};

/// How many row diagnostics an importer keeps; the rest are counted in a
/// final one. A file with a systematic mistake (a wrong date format in every
/// row of a million) gives a readable list, not a million messages.
pub const MAX_ROW_DIAGNOSTICS: usize = 1000;

/// A column an importer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Column {
    /// The template's header, also the name in messages.
    pub zh: &'static str,
    /// The English name, in messages (also accepted as a header).
    pub en: &'static str,
    /// Other accepted headers; compared as [`header_key`] makes them.
    pub aliases: &'static [&'static str],
    /// A table without this column is refused.
    pub required: bool,
}

impl Column {
    /// Whether a header cell (as [`header_key`] made it) names this column.
    fn matches(&self, key: &str) -> bool {
        !key.is_empty()
            && (header_key(self.zh) == key
                || header_key(self.en) == key
                || self.aliases.iter().any(|a| header_key(a) == key))
    }
}

/// What a reader looks for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TableSpec<'a> {
    /// The sheet to read when a workbook has it (the template's); otherwise
    /// the first sheet with a header row.
    pub sheet: &'a str,
    pub columns: &'a [Column],
    /// The header row is looked for in this many non-blank rows at the top.
    pub header_rows: usize,
    /// More data rows than this is a file-level error (for readers that
    /// keep every row); `None` streams any number.
    pub max_rows: Option<usize>,
}

/// The header row found: where each column is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Header {
    /// The sheet's name, for cell references; `None` for CSV.
    pub sheet: Option<String>,
    /// 1-based row number of the header row.
    pub line: usize,
    columns: Vec<Column>,
    /// For each column of the spec, its 0-based position in the row.
    positions: Vec<Option<usize>>,
}

impl Header {
    /// The position of the spec's column `col` in a row, when present.
    pub(crate) fn position(&self, col: usize) -> Option<usize> {
        self.positions.get(col).copied().flatten()
    }

    /// Whether the table has the spec's column `col`.
    pub(crate) fn has(&self, col: usize) -> bool {
        self.position(col).is_some()
    }

    /// `企业名录!C5`, `C5` in a CSV file; the whole row (`企业名录!5:5`)
    /// for a column the table does not have.
    pub(crate) fn cell_ref(&self, line: usize, col: usize) -> String {
        let cell = match self.position(col) {
            Some(p) => format!("{}{line}", column_letter(p)),
            None => format!("{line}:{line}"),
        };
        match &self.sheet {
            Some(sheet) => format!("{sheet}!{cell}"),
            None => cell,
        }
    }

    /// A diagnostic about row `line`, column `col`: the message says which
    /// row and column (by its Chinese and English name), the path is the cell.
    pub(crate) fn diag(
        &self,
        severity: Severity,
        line: usize,
        col: usize,
        en: impl AsRef<str>,
        zh: impl AsRef<str>,
    ) -> Diagnostic {
        let (name_zh, name_en) = self.columns.get(col).map_or(("", ""), |c| (c.zh, c.en));
        let en = format!("row {line}, column {name_en} ({name_zh}): {}", en.as_ref());
        let zh = format!("第{line}行“{name_zh}”列：{}", zh.as_ref());
        let path = self.cell_ref(line, col);
        let mut d = match severity {
            Severity::Error => Diagnostic::error(path, en, zh),
            Severity::Warning => Diagnostic::warning(path, en, zh),
        };
        d.line = Some(line);
        d
    }
}

/// One data row below the header.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Row<'r> {
    /// 1-based row number as the spreadsheet shows it (for CSV: as Excel
    /// shows the file, counting blank lines and not the line breaks inside
    /// a quoted cell).
    pub line: usize,
    /// The cells' text, untrimmed; a row may be shorter than the header.
    pub cells: &'r [String],
    pub header: &'r Header,
}

impl Row<'_> {
    /// The text of the spec's column `col`: `""` when the table has no such
    /// column or the row stops before it.
    pub(crate) fn get(&self, col: impl Into<usize>) -> &str {
        self.header
            .position(col.into())
            .and_then(|p| self.cells.get(p))
            .map_or("", String::as_str)
    }

    /// An error about this row's column `col`.
    pub(crate) fn error(
        &self,
        col: impl Into<usize>,
        en: impl AsRef<str>,
        zh: impl AsRef<str>,
    ) -> Diagnostic {
        self.header
            .diag(Severity::Error, self.line, col.into(), en, zh)
    }

    /// A warning about this row's column `col`.
    pub(crate) fn warning(
        &self,
        col: impl Into<usize>,
        en: impl AsRef<str>,
        zh: impl AsRef<str>,
    ) -> Diagnostic {
        self.header
            .diag(Severity::Warning, self.line, col.into(), en, zh)
    }
}

/// Reads the table of `bytes` and hands each non-blank row below the header
/// to `on_row`, in file order. Returns the header and the diagnostics of
/// reading itself (a quoted CSV cell never closed); `Err` when the file
/// cannot be read as a table (not a table format, no header row, a required
/// column missing, more rows than `spec.max_rows`). On `Err` some rows may
/// already have been handed over: the caller should drop them.
pub(crate) fn read_table(
    bytes: &[u8],
    spec: &TableSpec,
    mut on_row: impl FnMut(Row<'_>),
) -> Result<(Header, Vec<Diagnostic>), Diagnostic> {
    if bytes.is_empty() {
        return Err(Diagnostic::error("", "the file is empty", "文件为空"));
    }
    if crate::is_xlsx(bytes) {
        if is_open_document(bytes) {
            return Err(Diagnostic::error(
                "",
                "the file is an OpenDocument spreadsheet (.ods); save it as .xlsx (Excel 2007-365) \
                 or as CSV UTF-8",
                "文件是 OpenDocument 表格（.ods）；请另存为 .xlsx（Excel 2007-365）或“CSV UTF-8”格式",
            ));
        }
        return read_xlsx(bytes, spec, &mut on_row).map(|h| (h, Vec::new()));
    }
    if bytes.starts_with(&OLE_MAGIC) {
        return Err(Diagnostic::error(
            "",
            "the file is an old Excel 97-2003 workbook (.xls); save it as .xlsx or as \
             “CSV UTF-8 (Comma delimited)”",
            "文件是旧版 Excel 97-2003 工作簿（.xls）；请另存为 .xlsx 或“CSV UTF-8（逗号分隔）”格式",
        ));
    }
    let decoded = decode(bytes)?;
    let mut scan = Scan::new(spec, None, &mut on_row);
    let mut undecodable = Vec::new();
    let mut diagnostics = csv_rows(&decoded.text, &mut |line, cells, bad| {
        // A row with bytes that do not decode is refused on its own (the
        // rows above the header are still looked at for the header).
        if scan.header.is_some()
            && let Some(bad) = bad.and_then(|k| decoded.bad.get(k))
        {
            undecodable.push(bad.row_error(line));
            return ControlFlow::Continue(());
        }
        scan.feed(line, cells)
    })?;
    diagnostics.splice(0..0, undecodable);
    diagnostics.sort_by_key(|d| d.line);
    scan.finish().map(|h| (h, diagnostics))
}

/// The start of an OLE compound file: an old `.xls` workbook.
const OLE_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

/// A ZIP archive whose first entry is `mimetype` (stored uncompressed at
/// offset 30), as OpenDocument files start.
fn is_open_document(bytes: &[u8]) -> bool {
    bytes.get(30..38) == Some(b"mimetype".as_slice())
        && bytes
            .get(38..120)
            .is_some_and(|b| b.windows(12).any(|w| w == b"opendocument"))
}

/// Looks for the header row in the rows fed to it, then hands the rows
/// below it over.
struct Scan<'s, F> {
    spec: &'s TableSpec<'s>,
    sheet: Option<String>,
    on_row: F,
    header: Option<Header>,
    /// Non-blank rows seen while looking for the header.
    seen: usize,
    /// Data rows handed over.
    rows: usize,
    error: Option<Diagnostic>,
}

impl<'s, F: FnMut(Row<'_>)> Scan<'s, F> {
    fn new(spec: &'s TableSpec<'s>, sheet: Option<String>, on_row: F) -> Self {
        Scan {
            spec,
            sheet,
            on_row,
            header: None,
            seen: 0,
            rows: 0,
            error: None,
        }
    }

    fn feed(&mut self, line: usize, cells: &[String]) -> ControlFlow<()> {
        if cells.iter().all(|c| is_blank(c)) {
            return ControlFlow::Continue(());
        }
        if let Some(header) = &self.header {
            self.rows += 1;
            let max = self
                .spec
                .max_rows
                .map_or(MAX_TABLE_ROWS, |m| m.min(MAX_TABLE_ROWS));
            if self.rows > max {
                self.error = Some(too_many_rows(max));
                return ControlFlow::Break(());
            }
            (self.on_row)(Row {
                line,
                cells,
                header,
            });
            return ControlFlow::Continue(());
        }
        if let Some(positions) = match_header(self.spec.columns, cells) {
            let header = Header {
                sheet: self.sheet.clone(),
                line,
                columns: self.spec.columns.to_vec(),
                positions,
            };
            let missing: Vec<&Column> = self
                .spec
                .columns
                .iter()
                .enumerate()
                .filter(|(i, c)| c.required && !header.has(*i))
                .map(|(_, c)| c)
                .collect();
            if !missing.is_empty() {
                self.error = Some(missing_columns(&header, &missing));
                return ControlFlow::Break(());
            }
            self.header = Some(header);
            return ControlFlow::Continue(());
        }
        self.seen += 1;
        if self.seen >= self.spec.header_rows {
            return ControlFlow::Break(());
        }
        ControlFlow::Continue(())
    }

    /// The header, or why the table was refused.
    fn finish(self) -> Result<Header, Diagnostic> {
        if let Some(error) = self.error {
            return Err(error);
        }
        self.header
            .ok_or_else(|| no_header(self.spec, self.sheet.as_deref()))
    }
}

/// Blank as a cell: nothing but spaces (also full-width and non-breaking).
pub(crate) fn is_blank(s: &str) -> bool {
    s.chars().all(char::is_whitespace)
}

/// The position of each spec column when `cells` is a header row: at least
/// two cells name known columns. A column named twice is taken at its first
/// cell.
fn match_header(columns: &[Column], cells: &[String]) -> Option<Vec<Option<usize>>> {
    let keys: Vec<String> = cells.iter().map(|c| header_key(c)).collect();
    let known = keys
        .iter()
        .filter(|k| columns.iter().any(|c| c.matches(k)))
        .count();
    (known >= 2).then(|| {
        columns
            .iter()
            .map(|c| keys.iter().position(|k| c.matches(k)))
            .collect()
    })
}

/// A header cell as compared with column names: folded (full-width →
/// ASCII), without white space, bracketed parts (`数值（%）`, `所属街道（镇）`,
/// `【必填】`) and required marks (`*企业名称`), lowercase.
pub(crate) fn header_key(text: &str) -> String {
    let mut out = String::new();
    let mut depth = 0usize;
    for c in fold(text).chars() {
        match c {
            '(' | '[' | '【' | '〔' => depth += 1,
            ')' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
            '*' | '※' | ':' | '：' => {}
            c if c.is_whitespace() => {}
            c if depth == 0 => out.extend(c.to_lowercase()),
            _ => {}
        }
    }
    out
}

fn names_zh<'c>(columns: impl Iterator<Item = &'c Column>) -> Vec<&'static str> {
    columns.map(|c| c.zh).collect()
}

fn no_header(spec: &TableSpec, sheet: Option<&str>) -> Diagnostic {
    let required: Vec<&Column> = spec.columns.iter().filter(|c| c.required).collect();
    let en: Vec<String> = required
        .iter()
        .map(|c| format!("{} ({})", c.zh, c.en))
        .collect();
    let zh = names_zh(required.iter().copied());
    let all = names_zh(spec.columns.iter());
    let n = spec.header_rows;
    let (where_en, where_zh) = match sheet {
        Some(sheet) => (format!("sheet {sheet}"), format!("工作表“{sheet}”")),
        None => ("the file".to_string(), "文件".to_string()),
    };
    Diagnostic::error(
        sheet.unwrap_or_default(),
        format!(
            "{where_en} has no header row naming the columns {} in its first {n} rows; use the \
             template (columns {})",
            en.join(", "),
            all.join(", ")
        ),
        format!(
            "{where_zh}前{n}行中没有包含“{}”列名的表头行；请使用导入模板（列：{}）",
            zh.join("”“"),
            all.join("、")
        ),
    )
}

fn missing_columns(header: &Header, missing: &[&Column]) -> Diagnostic {
    let en: Vec<String> = missing
        .iter()
        .map(|c| format!("{} ({})", c.zh, c.en))
        .collect();
    let zh = names_zh(missing.iter().copied());
    let line = header.line;
    let (where_en, where_zh) = match &header.sheet {
        Some(sheet) => (format!("sheet {sheet}, "), format!("工作表“{sheet}”")),
        None => (String::new(), String::new()),
    };
    let mut d = Diagnostic::error(
        header.sheet.clone().unwrap_or_default(),
        format!(
            "{where_en}header row {line}: the required column {} is missing; name the columns as \
             the template does",
            en.join(", ")
        ),
        format!(
            "{where_zh}第{line}行表头缺少必填列“{}”；列名请与导入模板一致",
            zh.join("”“")
        ),
    );
    d.line = Some(line);
    d
}

fn too_many_rows(max_rows: usize) -> Diagnostic {
    Diagnostic::error(
        "",
        format!("the file has more than {max_rows} rows"),
        format!("文件超过 {max_rows} 行"),
    )
}

// ---------------------------------------------------------------- XLSX

fn read_xlsx(
    bytes: &[u8],
    spec: &TableSpec,
    on_row: &mut impl FnMut(Row<'_>),
) -> Result<Header, Diagnostic> {
    let mut xlsx = crate::read::open(bytes)?;
    let names = xlsx.sheet_names();
    // The named sheet first, then the others in workbook order: the first
    // with a header row is read (a clerk may have renamed the sheet, or
    // pasted the table into a workbook of their own).
    let mut order: Vec<&String> = names.iter().filter(|n| *n == spec.sheet).collect();
    order.extend(names.iter().filter(|n| *n != spec.sheet));
    for name in &order {
        let mut scan = Scan::new(spec, Some((*name).clone()), &mut *on_row);
        sheet_rows(&mut xlsx, name, &mut |line, cells| scan.feed(line, cells))?;
        if scan.header.is_some() || scan.error.is_some() {
            return scan.finish();
        }
    }
    let Some(first) = order.first() else {
        return Err(Diagnostic::error(
            "",
            "the workbook has no sheet",
            "工作簿中没有工作表",
        ));
    };
    Err(no_header(spec, Some(first.as_str())))
}

/// Streams the rows of one sheet as text, until `feed` breaks.
fn sheet_rows(
    xlsx: &mut Xlsx<Cursor<&[u8]>>,
    name: &str,
    feed: &mut dyn FnMut(usize, &[String]) -> ControlFlow<()>,
) -> Result<(), Diagnostic> {
    let unreadable = |e: calamine::XlsxError| {
        Diagnostic::error(
            format!("{name}!"),
            format!("sheet {name} cannot be read: {e}"),
            format!("工作表“{name}”无法读取：{e}"),
        )
    };
    let mut reader = xlsx.worksheet_cells_reader(name).map_err(unreadable)?;
    // Whether each style shows numbers as percent (index = style id).
    let percent: Vec<bool> = reader
        .styles()
        .iter()
        .map(|s| {
            s.number_format
                .as_ref()
                .is_some_and(|f| is_percent_format(&f.format_code))
        })
        .collect();
    let mut cells: Vec<String> = Vec::new();
    let mut used = 0usize;
    let mut row: Option<u32> = None;
    while let Some((cell, style)) = reader.next_cell_with_style_id().map_err(unreadable)? {
        let (r, c) = cell.get_position();
        if row != Some(r) {
            if let Some(prev) = row
                && feed(line_of(prev), cells.get(..used).unwrap_or_default()).is_break()
            {
                return Ok(());
            }
            for text in cells.iter_mut().take(used) {
                text.clear();
            }
            used = 0;
            row = Some(r);
        }
        let c = c as usize;
        if c >= MAX_COLS {
            continue;
        }
        if cells.len() <= c {
            cells.resize(c + 1, String::new());
        }
        if let Some(text) = cells.get_mut(c) {
            // A cell given twice (a malformed file) keeps its last value.
            text.clear();
            render(
                cell.get_value(),
                percent.get(style).copied().unwrap_or(false),
                text,
            );
            used = used.max(c + 1);
        }
    }
    if let Some(prev) = row {
        let _ = feed(line_of(prev), cells.get(..used).unwrap_or_default());
    }
    Ok(())
}

/// A 0-based sheet row as Excel numbers it.
fn line_of(row: u32) -> usize {
    row as usize + 1
}

/// A cell's value as the spreadsheet shows it, written into `out`.
fn render(data: &DataRef<'_>, percent: bool, out: &mut String) {
    match data {
        DataRef::Empty => {}
        DataRef::String(s) => out.push_str(s),
        DataRef::SharedString(s) => out.push_str(s),
        DataRef::Int(i) if percent => render_number(*i as f64, true, out),
        DataRef::Int(i) => {
            let _ = write!(out, "{i}");
        }
        DataRef::Float(f) => render_number(*f, percent, out),
        DataRef::Bool(b) => out.push_str(if *b { "TRUE" } else { "FALSE" }),
        DataRef::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            match NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)) {
                Some(date) => write_date(date, out),
                None => render_number(dt.as_f64(), false, out),
            }
        }
        DataRef::DateTime(dt) => render_number(dt.as_f64(), false, out),
        DataRef::DateTimeIso(s) => match s.get(..10).and_then(parse_iso) {
            Some(date) => write_date(date, out),
            None => out.push_str(s),
        },
        DataRef::DurationIso(s) => out.push_str(s),
        DataRef::Error(e) => {
            let _ = write!(out, "{e}");
        }
    }
}

/// A number without float noise: `3`, `96.5`; with `percent`, the fraction
/// a percent-formatted cell holds shown as the percent (`0.965` → `96.5%`).
fn render_number(n: f64, percent: bool, out: &mut String) {
    if percent {
        let _ = write!(out, "{}%", fraction_to_percent(n));
    } else {
        out.push_str(&crate::text::format_number(n));
    }
}

fn write_date(date: NaiveDate, out: &mut String) {
    let _ = write!(out, "{}", date.format("%Y-%m-%d"));
}

fn parse_iso(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Whether an Excel number format code scales by 100 and shows `%`: a `%`
/// outside quotes, brackets and backslash escapes.
pub(crate) fn is_percent_format(code: &str) -> bool {
    let mut chars = code.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => return true,
            '\\' => {
                chars.next();
            }
            '"' => {
                for q in chars.by_ref() {
                    if q == '"' {
                        break;
                    }
                }
            }
            '[' => {
                for q in chars.by_ref() {
                    if q == ']' {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    false
}

/// 0.965 → 96.5, without the float noise of `0.965 * 100.0`
/// (96.49999999999999): rounded to 9 decimals.
pub(crate) fn fraction_to_percent(n: f64) -> f64 {
    let scaled = n * 100.0;
    let rounded = (scaled * 1e9).round() / 1e9;
    if rounded.is_finite() { rounded } else { scaled }
}

// ---------------------------------------------------------------- CSV

fn not_text() -> Diagnostic {
    Diagnostic::error(
        "",
        "the file is neither an XLSX workbook nor CSV text in UTF-8 or GBK; in Excel use \
         Save As → “CSV UTF-8 (Comma delimited) (*.csv)”, or upload the .xlsx file",
        "文件既不是 XLSX 工作簿，也不是 UTF-8 或 GBK 编码的 CSV 文本；请在 Excel 中“另存为”\
         “CSV UTF-8（逗号分隔）(*.csv)”，或直接上传 .xlsx 文件",
    )
}

/// A byte sequence that does not decode, where the text holds
/// [`UNDECODABLE`] in its place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Bad {
    /// The encoding the file was read in.
    encoding: &'static str,
    /// The bytes, as in the file.
    bytes: Vec<u8>,
    /// 0-based offset of the first in the file.
    offset: usize,
}

impl Bad {
    fn hex(&self) -> String {
        let hex: Vec<String> = self.bytes.iter().map(|b| format!("0x{b:02X}")).collect();
        hex.join(" ")
    }

    /// The error refusing the row `line` that holds these bytes.
    fn row_error(&self, line: usize) -> Diagnostic {
        let (encoding, hex) = (self.encoding, self.hex());
        let mut d = Diagnostic::error(
            format!("{line}:{line}"),
            format!(
                "row {line}: the bytes {hex} are not valid {encoding} text (a damaged character); \
                 the row is skipped — correct it and import the row again"
            ),
            format!(
                "第{line}行：字节 {hex} 不是有效的 {encoding} 文本（字符已损坏）；该行未导入，\
                 请改正后重新导入该行"
            ),
        );
        d.line = Some(line);
        d
    }
}

/// Stands in for a byte sequence that does not decode. [`decode`] refuses
/// control characters of the file's own, so the text holds none but these.
const UNDECODABLE: char = '\u{1a}';

/// More byte sequences that do not decode than this, and the encoding is
/// not the one guessed: the file is refused, naming the first.
const MAX_UNDECODABLE: usize = 100;

/// A CSV file's text and the byte sequences in it that did not decode, in
/// file order (the text holds [`UNDECODABLE`] for each).
#[derive(Debug)]
pub(crate) struct Decoded<'b> {
    pub text: Cow<'b, str>,
    pub bad: Vec<Bad>,
}

/// The text of a CSV file. A byte order mark decides the encoding; without
/// one, valid UTF-8 is UTF-8 (borrowed, not copied: a large file is not
/// held twice) and anything else is whichever of UTF-8 and GB18030 (a
/// superset of GBK and GB2312) reads it with fewer damaged characters,
/// UTF-8 when most of its multi-byte characters are sound. A damaged
/// character stands in the text as [`UNDECODABLE`], and its row is refused
/// alone; more than [`MAX_UNDECODABLE`] of them refuse the file, naming the
/// line and byte of the first. Binary data is an error.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded<'_>, Diagnostic> {
    let (encoding, body, start) = if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        (encoding, bytes.get(bom_len..).unwrap_or_default(), bom_len)
    } else {
        if bytes.contains(&0) {
            return Err(not_text());
        }
        if let Ok(text) = std::str::from_utf8(bytes) {
            if has_control_chars(text) {
                return Err(not_text());
            }
            return Ok(Decoded {
                text: Cow::Borrowed(text),
                bad: Vec::new(),
            });
        }
        let (utf8_bad, utf8_sound) = utf8_counts(bytes);
        let gb_bad = undecodable_count(GB18030, bytes);
        let encoding = if utf8_sound >= 4 * utf8_bad || gb_bad >= utf8_bad {
            UTF_8
        } else {
            GB18030
        };
        (encoding, bytes, 0)
    };
    if encoding == UTF_8
        && let Ok(text) = std::str::from_utf8(body)
    {
        if has_control_chars(text) {
            return Err(not_text());
        }
        return Ok(Decoded {
            text: Cow::Borrowed(text),
            bad: Vec::new(),
        });
    }
    let (text, bad) = decode_marking(encoding, body, start);
    if bad.len() > MAX_UNDECODABLE
        && let Some(first) = bad.first()
    {
        return Err(undecided(bytes, first));
    }
    if has_control_chars(&text) {
        return Err(not_text());
    }
    Ok(Decoded {
        text: Cow::Owned(text),
        bad,
    })
}

/// The file error when too many characters are damaged: where the first is.
fn undecided(bytes: &[u8], first: &Bad) -> Diagnostic {
    let before = bytes.get(..first.offset).unwrap_or_default();
    let line = 1 + before.iter().filter(|b| **b == b'\n').count();
    let column = first.offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1)
        + 1;
    let hex = first.hex();
    let mut d = Diagnostic::error(
        format!("{line}:{line}"),
        format!(
            "the file's encoding cannot be decided: line {line}, byte {column} ({hex}) is neither \
             UTF-8 nor GBK text, and so are many more; in Excel use Save As → “CSV UTF-8 (Comma \
             delimited) (*.csv)”, or upload the .xlsx file"
        ),
        format!(
            "无法确定文件的编码：第{line}行第{column}个字节（{hex}）既不是 UTF-8 也不是 GBK 文本，\
             此类字节还有很多；请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）(*.csv)”，或直接上传 .xlsx 文件"
        ),
    );
    d.line = Some(line);
    d
}

/// Byte sequences that are not UTF-8, and sound multi-byte characters.
fn utf8_counts(bytes: &[u8]) -> (usize, usize) {
    let (mut bad, mut sound) = (0, 0);
    let mut rest = bytes;
    loop {
        let (valid, next) = match std::str::from_utf8(rest) {
            Ok(valid) => (valid, None),
            Err(e) => {
                let valid = rest.get(..e.valid_up_to()).unwrap_or_default();
                let skip = e.valid_up_to() + e.error_len().unwrap_or(rest.len() - e.valid_up_to());
                (
                    std::str::from_utf8(valid).unwrap_or_default(),
                    Some(rest.get(skip..).unwrap_or_default()),
                )
            }
        };
        sound += valid.bytes().filter(|b| *b >= 0xC0).count();
        match next {
            Some(next) => {
                bad += 1;
                rest = next;
            }
            None => return (bad, sound),
        }
    }
}

/// Byte sequences that do not decode in `encoding`.
fn undecodable_count(encoding: &'static Encoding, bytes: &[u8]) -> usize {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut out = [0u8; 8192];
    let (mut read, mut bad) = (0, 0);
    loop {
        let input = bytes.get(read..).unwrap_or_default();
        let (result, n, _) = decoder.decode_to_utf8_without_replacement(input, &mut out, true);
        read += n;
        match result {
            encoding_rs::DecoderResult::InputEmpty => return bad,
            encoding_rs::DecoderResult::OutputFull => {}
            encoding_rs::DecoderResult::Malformed(..) => bad += 1,
        }
    }
}

/// `body` decoded, each byte sequence that does not decode replaced by
/// [`UNDECODABLE`] and listed (`start` is where `body` starts in the file).
fn decode_marking(encoding: &'static Encoding, body: &[u8], start: usize) -> (String, Vec<Bad>) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(body.len().saturating_add(body.len() / 2));
    let mut bad = Vec::new();
    let mut read = 0;
    loop {
        let input = body.get(read..).unwrap_or_default();
        let (result, n) = decoder.decode_to_string_without_replacement(input, &mut text, true);
        read += n;
        match result {
            encoding_rs::DecoderResult::InputEmpty => return (text, bad),
            encoding_rs::DecoderResult::OutputFull => text.reserve(input.len().max(64)),
            encoding_rs::DecoderResult::Malformed(len, after) => {
                let end = read.saturating_sub(usize::from(after));
                let from = end.saturating_sub(usize::from(len));
                if bad.len() <= MAX_UNDECODABLE {
                    bad.push(Bad {
                        encoding: encoding.name(),
                        bytes: body.get(from..end).unwrap_or_default().to_vec(),
                        offset: start + from,
                    });
                }
                text.push(UNDECODABLE);
            }
        }
    }
}

/// Control characters other than tab, line breaks and [`UNDECODABLE`]: C0
/// and DEL are single bytes in UTF-8, C1 (U+0080–U+009F) is `C2 80`–`C2 9F`.
fn has_control_chars(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\t' | b'\r' | b'\n' | 0x1a => false,
        0..0x20 | 0x7F => true,
        0xC2 => bytes.get(i + 1).is_some_and(|n| (0x80..0xA0).contains(n)),
        _ => false,
    })
}

/// The field separator: whichever of `,` `;` and tab occurs most in the
/// first lines (Excel's "Unicode text" uses tabs, some locales `;`; the
/// lines of the table outweigh a title line above it); a full-width `，`
/// when the lines have none of them (a file typed by hand with a Chinese
/// input method); `,` otherwise.
fn delimiter(text: &str) -> char {
    let count = |d: char| {
        text.lines()
            .take(SNIFF_LINES)
            .map(|l| l.chars().filter(|c| *c == d).count())
            .sum::<usize>()
    };
    let mut best = ',';
    for d in [';', '\t'] {
        if count(d) > count(best) {
            best = d;
        }
    }
    if count(best) == 0 && count('，') > 0 {
        return '，';
    }
    best
}

/// Lines looked at to choose the separator.
const SNIFF_LINES: usize = 10;

/// Stands in for `，` as the separator: the csv crate splits on one byte.
/// [`decode`] refuses control characters, so the text holds none of its own.
const FULL_WIDTH_COMMA_STAND_IN: char = '\u{1f}';

/// Takes a CSV row: its line, its cells, the index of its first damaged
/// character.
type CsvFeed<'f> = dyn FnMut(usize, &[String], Option<usize>) -> ControlFlow<()> + 'f;

/// A record being read: its bytes and field ends, in buffers grown up to
/// the limits as the record needs them (never more than one record long).
struct Record {
    out: Vec<u8>,
    ends: Vec<usize>,
    out_len: usize,
    ends_len: usize,
}

impl Record {
    fn fields(&self) -> impl Iterator<Item = &[u8]> {
        let ends = self.ends.get(..self.ends_len).unwrap_or_default();
        ends.iter().enumerate().map(|(i, &end)| {
            let start = if i == 0 {
                0
            } else {
                ends.get(i - 1).copied().unwrap_or(0)
            };
            self.out.get(start..end).unwrap_or_default()
        })
    }
}

/// Streams the records of CSV text (RFC 4180 quoting) with their row
/// numbers as Excel shows the file, and for each the index (into
/// [`Decoded::bad`]) of its first damaged character, if it has one. Returns
/// the diagnostics of reading: a quoted field never closed swallows the rest
/// of the file into the last record, which is reported instead of handed
/// over; a record longer than [`MAX_CSV_RECORD_BYTES`] ends the reading
/// there, reported. At most [`MAX_COLS`] cells of a row are kept.
fn csv_rows(text: &str, feed: &mut CsvFeed<'_>) -> Result<Vec<Diagnostic>, Diagnostic> {
    let delim = delimiter(text);
    let full_width = delim == '，';
    let data: Cow<str> = if full_width {
        Cow::Owned(text.replace('，', &FULL_WIDTH_COMMA_STAND_IN.to_string()))
    } else {
        Cow::Borrowed(text)
    };
    let delim_byte = if full_width {
        FULL_WIDTH_COMMA_STAND_IN as u8
    } else {
        delim as u8
    };
    let bytes = data.as_bytes();
    let mut reader = csv_core::ReaderBuilder::new().delimiter(delim_byte).build();
    let mut record = Record {
        out: vec![0; 1024],
        ends: vec![0; 32],
        out_len: 0,
        ends_len: 0,
    };
    // Damaged characters seen so far: the next one is `bad[seen]`.
    let mut seen = 0usize;
    let mut cells: Vec<String> = Vec::new();
    // One record is held back until the next is read: only the last can
    // hold an unclosed quote.
    let mut held: Vec<String> = Vec::new();
    let mut held_at: Option<(usize, usize, Option<usize>)> = None;
    let mut line = 0usize;
    // Where the record being read starts reading: after the previous
    // record's line break.
    let mut from = 0usize;
    let mut pos = 0usize;
    loop {
        let input = bytes.get(pos..).unwrap_or_default();
        let (result, nin, nout, nend) = reader.read_record(
            input,
            record.out.get_mut(record.out_len..).unwrap_or_default(),
            record.ends.get_mut(record.ends_len..).unwrap_or_default(),
        );
        pos += nin;
        record.out_len += nout;
        record.ends_len += nend;
        match result {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::OutputFull => {
                if record.out.len() >= MAX_CSV_RECORD_BYTES {
                    let (blank_lines, _) = blank_lines_at(bytes, from);
                    let at = line + 1 + blank_lines;
                    if let Some((held_line, _, bad)) = held_at {
                        let _ = feed(held_line, &held, bad);
                    }
                    return Ok(vec![record_too_long(at)]);
                }
                let grown = (record.out.len() * 2).min(MAX_CSV_RECORD_BYTES);
                record.out.resize(grown, 0);
            }
            csv_core::ReadRecordResult::OutputEndsFull => {
                // Every field takes a byte of the record at least.
                let grown = (record.ends.len() * 2).min(MAX_CSV_RECORD_BYTES + 1);
                record.ends.resize(grown.max(record.ends.len() + 1), 0);
            }
            csv_core::ReadRecordResult::Record => {
                let (blank_lines, start) = blank_lines_at(bytes, from);
                line += 1 + blank_lines;
                if let Some((held_line, _, bad)) = held_at
                    && feed(held_line, &held, bad).is_break()
                {
                    return Ok(Vec::new());
                }
                cells.clear();
                let mut damaged = 0usize;
                for field in record.fields() {
                    let field = String::from_utf8_lossy(field);
                    damaged += field.matches(UNDECODABLE).count();
                    if cells.len() < MAX_COLS {
                        cells.push(if full_width && field.contains(FULL_WIDTH_COMMA_STAND_IN) {
                            field.replace(FULL_WIDTH_COMMA_STAND_IN, "，")
                        } else {
                            field.into_owned()
                        });
                    }
                }
                let bad = (damaged > 0).then_some(seen);
                seen += damaged;
                std::mem::swap(&mut held, &mut cells);
                held_at = Some((line, start, bad));
                record.out_len = 0;
                record.ends_len = 0;
                from = pos;
            }
            csv_core::ReadRecordResult::End => break,
        }
    }
    let Some((held_line, start, bad)) = held_at else {
        return Ok(Vec::new());
    };
    let tail = bytes.get(start..).unwrap_or_default();
    let odd_quotes = tail.iter().filter(|b| **b == b'"').count() % 2 == 1;
    if odd_quotes && held.iter().any(|f| f.contains(['\n', '\r'])) {
        let mut d = Diagnostic::error(
            format!("{held_line}:{held_line}"),
            format!(
                "row {held_line}: a quoted field (\") is never closed, so the rest of the file \
                 was read as one cell; the row is skipped"
            ),
            format!(
                "第{held_line}行：引号（\"）没有闭合，文件其余部分被读成一个单元格；该行未导入"
            ),
        );
        d.line = Some(held_line);
        return Ok(vec![d]);
    }
    let _ = feed(held_line, &held, bad);
    Ok(Vec::new())
}

fn record_too_long(line: usize) -> Diagnostic {
    let max = MAX_CSV_RECORD_BYTES >> 20;
    let mut d = Diagnostic::error(
        format!("{line}:{line}"),
        format!(
            "row {line} is longer than {max} MiB (a quoted field never closed?); it and the rows \
             below it are skipped"
        ),
        format!("第{line}行超过 {max} MiB（可能是引号没有闭合）；该行及以下各行未导入"),
    );
    d.line = Some(line);
    d
}

/// The blank lines at `from` (the csv crate skips them; Excel shows them
/// as rows) and where the next record starts. A `\n` right after a `\r`
/// ends the previous record's CRLF, not a blank line.
fn blank_lines_at(bytes: &[u8], from: usize) -> (usize, usize) {
    let mut i = from;
    if i > 0 && bytes.get(i - 1) == Some(&b'\r') && bytes.get(i) == Some(&b'\n') {
        i += 1;
    }
    let mut lines = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' => {
                lines += 1;
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => lines += 1,
            _ => break,
        }
        i += 1;
    }
    (lines, i)
}

// ---------------------------------------------------------------- cells

/// Full-width ASCII (U+FF01–U+FF5E) → ASCII; other spaces → space; dashes
/// and minus signs → `-`; `。` → `.`. For codes, years, numbers and headers.
pub(crate) fn fold(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{3000}' | '\u{a0}' | '\u{2009}' | '\u{202f}' => ' ',
            '—' | '–' | '−' | '‐' => '-',
            '。' => '.',
            c => c,
        })
        .collect()
}

/// [`fold`], then without any white space.
pub(crate) fn compact(s: &str) -> String {
    fold(s).chars().filter(|c| !c.is_whitespace()).collect()
}

/// A text cell: trimmed, full-width and non-breaking spaces made plain.
pub(crate) fn text(s: &str) -> String {
    crate::text::normalize(s)
}

/// A code cell (统一社会信用代码, 组织机构代码): full-width ASCII → ASCII,
/// white space removed, upper case; hyphens kept (the store checks the code).
pub(crate) fn code(s: &str) -> String {
    compact(s).to_uppercase()
}

/// A date as clerks type it or a spreadsheet shows it: `2015-03-31`,
/// `2015/3/31`, `2015.3.31`, `2015年3月31日`, `20150331`, full-width digits,
/// a time of day after it (`2015/3/31 0:00`), or an Excel serial number
/// (`42094`, a date cell that lost its date format). A month alone or words
/// around the date are not a date: a record's date must be exact.
pub(crate) fn parse_date(s: &str) -> Option<NaiveDate> {
    let folded = fold(s);
    let mut t = folded.trim();
    // A time of day: cut at the space or `T` before the first colon.
    if let Some(colon) = t.find(':') {
        let head = t.get(..colon)?;
        let cut = head.trim_end().rfind([' ', 'T'])?;
        t = head.get(..cut)?.trim_end();
    }
    let t: String = t.chars().filter(|c| !c.is_whitespace()).collect();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) && t.len() == 8 {
        let (y, m, d) = (t.get(..4)?, t.get(4..6)?, t.get(6..)?);
        return NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    }
    let (int, frac) = t.split_once('.').unwrap_or((&t, "0"));
    if int.len() == 5
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        return crate::text::excel_serial_date(t.parse().ok()?);
    }
    let body = t
        .strip_suffix('日')
        .or_else(|| t.strip_suffix('号'))
        .unwrap_or(&t);
    let mut parts = body.split(['-', '/', '.', '年', '月']);
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |p: &str, min: usize, max: usize| {
        (min..=max).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(y, 4, 4) || !digits(m, 1, 2) || !digits(d, 1, 2) {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

/// Why a date cell was not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DateError {
    /// Not a date in any accepted spelling.
    Invalid(String),
    /// A date outside the years the column takes.
    OutOfRange(NaiveDate),
}

impl DateError {
    /// The English and Chinese message, for a column taking `years`.
    pub(crate) fn messages(&self, years: (i32, i32)) -> (String, String) {
        let (first, last) = years;
        match self {
            DateError::Invalid(text) => (
                format!("'{text}' is not a date; write it like 2015-03-31 or 2015年3月31日"),
                format!("“{text}”不是日期，请按 2015-03-31 或 2015年3月31日 的格式填写"),
            ),
            DateError::OutOfRange(date) => (
                format!("the date {date} is outside the years {first}–{last}"),
                format!(
                    "日期 {} 不在 {first}—{last} 年之间",
                    crate::text::format_date_zh(*date)
                ),
            ),
        }
    }
}

/// An optional date cell: `Ok(None)` when blank; the date when it lies in
/// the years `first..=last`.
pub(crate) fn read_date(s: &str, years: (i32, i32)) -> Result<Option<NaiveDate>, DateError> {
    if is_blank(s) {
        return Ok(None);
    }
    let date = parse_date(s).ok_or_else(|| DateError::Invalid(s.trim().to_string()))?;
    if (years.0..=years.1).contains(&date.year()) {
        Ok(Some(date))
    } else {
        Err(DateError::OutOfRange(date))
    }
}

/// Row diagnostics as an importer collects them: the first
/// [`MAX_ROW_DIAGNOSTICS`], then one saying how many more were left out.
#[derive(Debug, Default)]
pub(crate) struct Diagnostics {
    kept: Vec<Diagnostic>,
    left_out: usize,
    left_out_errors: bool,
}

impl Diagnostics {
    pub(crate) fn push(&mut self, d: Diagnostic) {
        if self.kept.len() < MAX_ROW_DIAGNOSTICS {
            self.kept.push(d);
        } else {
            self.left_out += 1;
            self.left_out_errors |= d.is_error();
        }
    }

    /// How many were pushed, kept or not: a row compares it before and
    /// after reading its cells to know whether it had problems.
    pub(crate) fn count(&self) -> usize {
        self.kept.len() + self.left_out
    }

    pub(crate) fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        for d in ds {
            self.push(d);
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        let n = self.left_out;
        if n > 0 {
            let en = format!(
                "{n} more problems are not listed; correct the rows above and import the file again"
            );
            let zh = format!("另有 {n} 处问题未列出；请先改正以上各行，再重新导入");
            self.kept.push(if self.left_out_errors {
                Diagnostic::error("", en, zh)
            } else {
                Diagnostic::warning("", en, zh)
            });
        }
        self.kept
    }
}

/// How the cells of a closed-list column parse, by their text: a large file
/// repeats a handful of spellings, and parsing one compares it with every
/// label of the list (lowercased each time).
#[derive(Debug)]
pub(crate) struct Memo<T> {
    seen: Vec<(String, Option<T>)>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Memo { seen: Vec::new() }
    }
}

impl<T: Copy> Memo<T> {
    /// Spellings remembered per column: a column of free text gains nothing.
    const MAX: usize = 32;

    /// `parse(text)`, remembered.
    pub(crate) fn get(&mut self, text: &str, parse: impl Fn(&str) -> Option<T>) -> Option<T> {
        if let Some((_, parsed)) = self.seen.iter().find(|(t, _)| t == text) {
            return *parsed;
        }
        let parsed = parse(text);
        if self.seen.len() < Self::MAX {
            self.seen.push((text.to_string(), parsed));
        }
        parsed
    }
}

// ---------------------------------------------------------------- templates

/// What a template column holds, for its number format: a text column keeps
/// an 18-digit code from turning into a number (and losing digits), a date
/// column shows typed dates as dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CellKind {
    General,
    Text,
    Date,
}

/// A column of a registry template.
#[derive(Debug, Clone)]
pub(crate) struct TemplateColumn<'a> {
    pub column: &'a Column,
    pub width: f64,
    pub kind: CellKind,
    /// The values a dropdown offers (and the guide lists); empty for free text.
    pub choices: Vec<String>,
    /// How to fill the column, on the guide sheet.
    pub hint: &'a str,
}

/// The Chinese labels of a code list, for a dropdown and the guide.
pub(crate) fn zh_labels<T: CodeList>() -> Vec<String> {
    T::ALL
        .iter()
        .map(|m| m.label(Lang::ZhCn).to_string())
        .collect()
}

/// The guide sheet of every template.
pub(crate) const SHEET_GUIDE: &str = "说明";

/// A registry template: sheet `sheet` with the header row alone (required
/// columns marked `*` and in red; dropdowns for closed lists; text and date
/// formats by column) and sheet 说明 with `guide_lines` and, per column,
/// whether it is required, how to fill it and the values it takes.
pub(crate) fn write_template(
    sheet: &str,
    guide_lines: &[&str],
    columns: &[TemplateColumn],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{
        Color, DataValidation, Format, FormatAlign, FormatBorder, Workbook, XlsxError,
    };
    /// Excel's last row (0-based): dropdowns cover the whole column.
    const LAST_ROW: u32 = 1_048_575;
    let col_num = |c: usize| u16::try_from(c).map_err(|_| XlsxError::RowColumnLimitError);
    let row_num = |r: usize| u32::try_from(r).map_err(|_| XlsxError::RowColumnLimitError);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_background_color(Color::RGB(0xD9E1F2))
        .set_border(FormatBorder::Thin);
    let required = header.clone().set_font_color(Color::RGB(0xC00000));
    let text = Format::new().set_num_format("@");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let wrapped = Format::new()
        .set_text_wrap()
        .set_align(FormatAlign::Top)
        .set_border(FormatBorder::Thin);

    let mut workbook = Workbook::new();
    let data = workbook.add_worksheet();
    data.set_name(sheet)?;
    for (i, t) in columns.iter().enumerate() {
        let c = col_num(i)?;
        data.set_column_width(c, t.width)?;
        match t.kind {
            CellKind::General => {}
            CellKind::Text => {
                data.set_column_format(c, &text)?;
            }
            CellKind::Date => {
                data.set_column_format(c, &date)?;
            }
        }
        if t.column.required {
            data.write_string_with_format(0, c, format!("*{}", t.column.zh), &required)?;
        } else {
            data.write_string_with_format(0, c, t.column.zh, &header)?;
        }
        if !t.choices.is_empty() {
            let list = DataValidation::new()
                .allow_list_strings(&t.choices)?
                .set_error_title(t.column.zh)?
                .set_error_message(format!("请从下拉列表中选择：{}", t.choices.join("、")))?;
            data.add_data_validation(1, c, LAST_ROW, c, &list)?;
        }
    }
    data.set_freeze_panes(1, 0)?;

    let guide = workbook.add_worksheet();
    guide.set_name(SHEET_GUIDE)?;
    for (r, line) in guide_lines.iter().enumerate() {
        if r == 0 {
            guide.write_string_with_format(
                0,
                0,
                *line,
                &Format::new().set_bold().set_font_size(14),
            )?;
        } else {
            guide.write_string(row_num(r)?, 0, *line)?;
        }
    }
    let top = row_num(guide_lines.len() + 1)?;
    for (c, (name, width)) in [
        ("列名", 20.0),
        ("必填", 6.0),
        ("填写说明", 50.0),
        ("可填写的值", 40.0),
    ]
    .into_iter()
    .enumerate()
    {
        let c = col_num(c)?;
        guide.set_column_width(c, width)?;
        guide.write_string_with_format(top, c, name, &header)?;
    }
    for (i, t) in columns.iter().enumerate() {
        let r = top + 1 + row_num(i)?;
        let cells = [
            t.column.zh.to_string(),
            if t.column.required { "是" } else { "" }.to_string(),
            t.hint.to_string(),
            t.choices.join("、"),
        ];
        for (c, cell) in cells.iter().enumerate() {
            guide.write_string_with_format(r, col_num(c)?, cell, &wrapped)?;
        }
    }
    workbook.save_to_buffer()
}

/// Test support: every header a spec accepts names one column only, and the
/// spec's columns are in the order its `Col` enum indexes them.
#[cfg(test)]
pub(crate) fn assert_spec(columns: &[Column], order: &[usize]) {
    assert_eq!(order, (0..columns.len()).collect::<Vec<_>>());
    for (i, column) in columns.iter().enumerate() {
        let names = [column.zh, column.en]
            .into_iter()
            .chain(column.aliases.iter().copied());
        for name in names {
            let key = header_key(name);
            assert!(!key.is_empty(), "{name}");
            let matching: Vec<&str> = columns
                .iter()
                .filter(|c| c.matches(&key))
                .map(|c| c.zh)
                .collect();
            assert_eq!(matching, [column.zh], "{name} (column {i})");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<(usize, Vec<String>)> {
        let mut out = Vec::new();
        let diagnostics = csv_rows(text, &mut |line, cells, _| {
            out.push((line, cells.to_vec()));
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|d| panic!("{d}"));
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        out
    }

    fn cells(rows: Vec<(usize, Vec<String>)>) -> Vec<Vec<String>> {
        rows.into_iter().map(|(_, c)| c).collect()
    }

    fn lines(rows: Vec<(usize, Vec<String>)>) -> Vec<usize> {
        rows.into_iter().map(|(l, _)| l).collect()
    }

    #[test]
    fn quoting_and_separators() {
        assert_eq!(
            cells(rows(
                "a,b,c\r\n\"x,1\",\"say \"\"hi\"\"\",\"two\nlines\"\n3,,\n"
            )),
            [
                vec!["a", "b", "c"],
                vec!["x,1", "say \"hi\"", "two\nlines"],
                vec!["3", "", ""],
            ]
        );
        assert_eq!(cells(rows("a;b\n1;2")), [vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(
            cells(rows("a\tb\tc,d\r1\t2\t3,4")),
            [vec!["a", "b", "c,d"], vec!["1", "2", "3,4"]]
        );
        assert_eq!(cells(rows("5 \"in\",x")), [vec!["5 \"in\"", "x"]]);
        // A title line with a comma above a table separated by semicolons.
        assert_eq!(
            cells(rows("2015年抽查结果，共2条, 区质监分局\na;b;c\n1;2;3")),
            [
                vec!["2015年抽查结果，共2条, 区质监分局"],
                vec!["a", "b", "c"],
                vec!["1", "2", "3"]
            ]
        );
        assert_eq!(
            cells(rows("a，b\n1，\"2，3\"")),
            [vec!["a", "b"], vec!["1", "2，3"]]
        );
        assert_eq!(
            cells(rows("a，b,c\n1，2,3")),
            [vec!["a，b", "c"], vec!["1，2", "3"]]
        );
        assert!(rows("").is_empty());
    }

    #[test]
    fn rows_are_numbered_as_excel_shows_them() {
        // Blank lines count; a line break inside quotes does not.
        assert_eq!(lines(rows("a,b\n\n1,2\n\"x\ny\",3\n4,5")), [1, 3, 4, 5]);
        assert_eq!(lines(rows("\r\n\r\na\r\n\r\nb\r\n")), [3, 5]);
        assert_eq!(lines(rows("a\r\rb\rc")), [1, 3, 4]);
        assert_eq!(lines(rows("a\n\"x\r\ny\"\r\n\nb\n")), [1, 2, 4]);
    }

    #[test]
    fn an_open_quote_is_reported_on_its_row() {
        let mut got = Vec::new();
        let diagnostics = csv_rows("a,b\n1,2\n\"x,1\n2,3\n", &mut |line, _, _| {
            got.push(line);
            ControlFlow::Continue(())
        })
        .unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(got, [1, 2]);
        assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
        assert_eq!(diagnostics[0].line, Some(3));
        // An inch mark in the last row is not an open quote.
        assert_eq!(lines(rows("a,b\n1/2\",x\n")), [1, 2]);
    }

    #[test]
    fn encodings() {
        let ok = |b: &[u8]| {
            let decoded = decode(b).unwrap_or_else(|d| panic!("{d}"));
            assert_eq!(decoded.bad, [], "{b:?}");
            decoded.text.into_owned()
        };
        assert_eq!(ok("\u{feff}指标,1".as_bytes()), "指标,1");
        assert_eq!(ok("指标,1".as_bytes()), "指标,1");
        for text in ["指标,1", "\u{feff}指标,1"] {
            let decoded = decode(text.as_bytes()).unwrap_or_else(|d| panic!("{d}"));
            assert!(matches!(decoded.text, Cow::Borrowed(_)), "{text}");
        }
        let (gbk, _, _) = GB18030.encode("指标编号,年份");
        assert_eq!(ok(&gbk), "指标编号,年份");
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend("指标\t1".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(ok(&utf16), "指标\t1");
        assert!(decode(&[0x00, 0x01, 0x02]).is_err());
        // Three damaged characters in a line of five bytes: kept, marked.
        let damaged = decode(&[0x81, 0x20, 0xFF, 0xFE, 0x30]).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(damaged.bad.len(), 3);
        assert_eq!(damaged.text, "\u{1a} \u{1a}\u{1a}0");
        assert!(decode(b"a,\x07b").is_err());
        assert!(decode("a,\u{85}b".as_bytes()).is_err());
        assert!(decode("a,\u{a0}b\u{e9}".as_bytes()).is_ok());
    }

    #[test]
    fn dates_as_typed() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        for s in [
            "2015-03-31",
            "2015/3/31",
            "2015.3.31",
            "2015年3月31日",
            " 2015 年 3 月 31 日 ",
            "２０１５－０３－３１",
            "20150331",
            "42094",
            "42094.75",
            "2015/3/31 0:00",
            "2015-03-31T08:30:00",
            "2015-03-31 08:30",
            "2015年3月31",
        ] {
            assert_eq!(parse_date(s), d(2015, 3, 31), "{s}");
        }
        for s in [
            "",
            "2015年3月",
            "2015-3",
            "2015-02-30",
            "31/3/2015",
            "15-3-31",
            "明天",
            "2015",
            "2015-03-31前",
            "2015-03-31-1",
            "1:00",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
        assert_eq!(read_date(" ", (2000, 2100)), Ok(None));
        assert_eq!(read_date("2015-3-31", (2000, 2100)), Ok(d(2015, 3, 31)));
        assert!(matches!(
            read_date("1999-12-31", (2000, 2100)),
            Err(DateError::OutOfRange(_))
        ));
        assert_eq!(
            read_date("x", (2000, 2100)),
            Err(DateError::Invalid("x".into()))
        );
    }

    #[test]
    fn header_keys() {
        assert_eq!(header_key("*企业名称"), "企业名称");
        assert_eq!(header_key(" 所属街道（镇） "), "所属街道");
        assert_eq!(header_key("数值（％）"), "数值");
        assert_eq!(header_key("【必填】统一社会信用代码＊"), "统一社会信用代码");
        assert_eq!(header_key("是否CCC目录内产品"), "是否ccc目录内产品");
        assert_eq!(header_key("Report No."), "reportno.");
    }

    const COLS: [Column; 2] = [
        Column {
            zh: "名称",
            en: "name",
            aliases: &[],
            required: true,
        },
        Column {
            zh: "数量",
            en: "count",
            aliases: &[],
            required: false,
        },
    ];

    /// The lines handed over and the diagnostics, or the file error.
    fn table(bytes: &[u8]) -> Result<(Vec<usize>, Vec<Diagnostic>), Diagnostic> {
        let spec = TableSpec {
            sheet: "",
            columns: &COLS,
            header_rows: 5,
            max_rows: None,
        };
        let mut lines = Vec::new();
        let (_, diags) = read_table(bytes, &spec, |row| lines.push(row.line))?;
        Ok((lines, diags))
    }

    /// One damaged character refuses its row alone, named by its line; the
    /// others are read (before, the whole file was refused with no line).
    #[test]
    fn a_bad_byte_refuses_its_row_only() {
        let mut utf8 = "名称,数量\n甲,1\n乙".as_bytes().to_vec();
        utf8.push(0xFF);
        utf8.extend(",2\n丙,3\n".as_bytes());
        let (lines, diags) = table(&utf8).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(lines, [2, 4]);
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert_eq!(diags[0].line, Some(3));
        assert!(
            diags[0]
                .message_zh
                .starts_with("第3行：字节 0xFF 不是有效的 UTF-8 文本"),
            "{}",
            diags[0].message_zh
        );
        // With a byte order mark, in a quoted cell spanning two lines.
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend("名称,数量\n\"甲\n乙".as_bytes());
        bom.extend(b"\xE4\xB8\",1\n");
        bom.extend("丙,2".as_bytes());
        let (lines, diags) = table(&bom).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(lines, [3]);
        assert_eq!(diags[0].line, Some(2), "{diags:#?}");
        assert!(
            diags[0].message_zh.contains("0xE4 0xB8"),
            "{}",
            diags[0].message_zh
        );
        // GBK, as Excel in China saves it, with one damaged character.
        let mut gbk = GB18030.encode("名称,数量\n甲,1\n").0.into_owned();
        gbk.extend(b"\xFF,2\n");
        gbk.extend(GB18030.encode("丙,3\n").0.iter());
        let (lines, diags) = table(&gbk).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(lines, [2, 4]);
        assert!(
            diags[0]
                .message_zh
                .starts_with("第3行：字节 0xFF 不是有效的 gb18030 文本"),
            "{}",
            diags[0].message_zh
        );
    }

    /// A file in neither encoding (Latin-1 here) is refused, naming the line
    /// and byte of the first damaged character.
    #[test]
    fn an_undecidable_encoding_names_line_and_byte() {
        let mut latin1 = b"name,count\n".to_vec();
        for i in 0..150 {
            latin1.extend(format!("caf\u{e9}{i},1\n").bytes());
        }
        let latin1: Vec<u8> = String::from_utf8_lossy(&latin1)
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        let d = table(&latin1).err().unwrap_or_else(|| panic!("read"));
        assert_eq!(d.line, Some(2));
        assert!(
            d.message_zh
                .starts_with("无法确定文件的编码：第2行第4个字节（0xE9）"),
            "{}",
            d.message_zh
        );
    }

    /// A record past the limit (an unclosed quote in a large file) ends the
    /// reading there, reported; the rows above are read. A row's cells past
    /// the limit are dropped.
    #[test]
    fn records_and_rows_are_bounded() {
        let mut text = "名称,数量\n甲,1\n\"乙,2\n".to_string();
        text.push_str(&"丙,3\n".repeat(MAX_CSV_RECORD_BYTES / 4));
        let (lines, diags) = table(text.as_bytes()).unwrap_or_else(|d| panic!("{d}"));
        assert_eq!(lines, [2]);
        assert_eq!(diags[0].line, Some(3));
        assert!(
            diags[0].message_zh.contains("超过 1 MiB"),
            "{}",
            diags[0].message_zh
        );
        let wide = format!("a{}\n", ",b".repeat(100_000));
        let got = rows(&wide);
        assert_eq!(got[0].1.len(), MAX_COLS);
    }

    #[test]
    fn codes_and_diagnostics_cap() {
        assert_eq!(code(" ９１４１ 0100-ab "), "91410100-AB");
        let mut ds = Diagnostics::default();
        for i in 0..MAX_ROW_DIAGNOSTICS + 5 {
            ds.push(Diagnostic::error("", format!("{i}"), format!("{i}")));
        }
        let ds = ds.finish();
        assert_eq!(ds.len(), MAX_ROW_DIAGNOSTICS + 1);
        assert!(ds[MAX_ROW_DIAGNOSTICS].message_en.starts_with("5 more"));
    }
}
