//! What reading an uploaded file may cost, and the check that keeps it so.
//!
//! An XLSX workbook is a ZIP archive of XML parts, and calamine, which reads
//! them, holds every shared string in memory and buffers each XML event (a
//! tag, a run of text, a comment) whole: a 1.5 MB file inflating to one
//! 1.5 GB shared string once took the server to 6 GB. So before a workbook
//! reaches calamine, [`check_workbook`] walks every entry of the archive once,
//! inflating it through a fixed 64 KiB buffer and counting the bytes as they
//! come (a header declaring less than the entry holds does not help; a
//! declared size over the cap is refused before inflating), and scans the XML
//! parts as quick-xml tokenizes them. A workbook over any limit below is
//! refused with the reason, in Chinese and English, before calamine allocates
//! anything for it.
//!
//! | limit | value | bounds |
//! |---|---|---|
//! | [`MAX_XML_ENTRY_BYTES`] | 1 GiB | one XML part inflated (a worksheet is streamed, so this bounds time) |
//! | [`MAX_OTHER_ENTRY_BYTES`] | 64 MiB | one other entry (an image) inflated |
//! | [`MAX_INFLATED_BYTES`] | 2 GiB | all entries inflated together |
//! | [`MAX_TOKEN_BYTES`] | 1 MiB | one XML event: a tag, a text run, a comment (quick-xml's buffer) |
//! | [`MAX_CELL_BYTES`] | 1 MiB | one cell, shared string, inline string, formula or value element, markup included (a cell holds at most 32,767 characters) |
//! | [`MAX_SHARED_STRINGS`] | 4 M | shared strings (and the count the part declares, which calamine reserves) |
//! | [`MAX_SHARED_STRINGS_BYTES`] | 128 MiB | all shared strings together, markup included |
//! | [`MAX_CELLS`] | 32 M | cells in the workbook (a million rows of 32 columns) |
//! | [`MAX_SHEET_ROWS`] | 1,048,576 | rows in one part (Excel's own limit) |
//! | [`MAX_PART_ELEMENTS`] | 1 M | the elements calamine keeps besides cells: styles, sheets, names, relationships, merged ranges |
//!
//! With these, reading a workbook holds at most the shared strings (128 MiB
//! of text in at most 4 M strings) plus a few MiB of buffers, whatever the
//! file declares. A `<!DOCTYPE>` is refused: no spreadsheet writes one.
//!
//! CSV text is already in memory when it is read; its reader bounds what it
//! builds from it: [`MAX_CSV_RECORD_BYTES`] per record, [`MAX_COLS`] cells
//! kept per row (as for a sheet), and [`MAX_TABLE_ROWS`] data rows per table,
//! CSV or sheet. A million sampling rows (about 200 MB of CSV, the size the
//! command line imports) are within every limit.

use std::io::{Cursor, Read};

use qcity_domain::plan::Diagnostic;

/// One XML part of a workbook, inflated.
pub const MAX_XML_ENTRY_BYTES: u64 = 1 << 30;
/// One entry that is not XML (an image, a printer setting), inflated.
pub const MAX_OTHER_ENTRY_BYTES: u64 = 64 << 20;
/// All entries of a workbook, inflated.
pub const MAX_INFLATED_BYTES: u64 = 2 << 30;
/// One XML event as quick-xml buffers it: a tag with its attributes, a run of
/// text, a comment, a CDATA section, a processing instruction.
pub const MAX_TOKEN_BYTES: u64 = 1 << 20;
/// One `<c>`, `<si>`, `<is>`, `<t>`, `<v>`, `<f>` or `<definedName>`
/// element, from its start tag to its end tag.
pub const MAX_CELL_BYTES: u64 = 1 << 20;
/// Shared strings in a workbook, and the `uniqueCount` it may declare.
pub const MAX_SHARED_STRINGS: u64 = 4_000_000;
/// All shared strings of a workbook together, markup included.
pub const MAX_SHARED_STRINGS_BYTES: u64 = 128 << 20;
/// Cells in a workbook.
pub const MAX_CELLS: u64 = 32_000_000;
/// Rows in one part: Excel's own limit.
pub const MAX_SHEET_ROWS: u64 = 1_048_576;
/// Elements calamine keeps besides cells (styles, number formats, sheets,
/// defined names, relationships, merged ranges).
pub const MAX_PART_ELEMENTS: u64 = 1_000_000;
/// One CSV record (one row, with the line breaks inside its quoted cells).
pub const MAX_CSV_RECORD_BYTES: usize = 1 << 20;
/// Cells kept of one row, CSV or sheet: far beyond any template; the rest of
/// a longer row is ignored.
pub const MAX_COLS: usize = 256;
/// Data rows of one table (CSV or sheet) handed to an importer: the command
/// line imports a million sampling rows.
pub const MAX_TABLE_ROWS: usize = 2_000_000;

/// The workbook limits, as one value so tests can shrink them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub xml_entry: u64,
    pub other_entry: u64,
    pub inflated: u64,
    pub token: u64,
    pub cell: u64,
    pub shared_strings: u64,
    pub shared_bytes: u64,
    pub cells: u64,
    pub sheet_rows: u64,
    pub part_elements: u64,
}

impl Limits {
    /// The limits of this module.
    pub(crate) const WORKBOOK: Limits = Limits {
        xml_entry: MAX_XML_ENTRY_BYTES,
        other_entry: MAX_OTHER_ENTRY_BYTES,
        inflated: MAX_INFLATED_BYTES,
        token: MAX_TOKEN_BYTES,
        cell: MAX_CELL_BYTES,
        shared_strings: MAX_SHARED_STRINGS,
        shared_bytes: MAX_SHARED_STRINGS_BYTES,
        cells: MAX_CELLS,
        sheet_rows: MAX_SHEET_ROWS,
        part_elements: MAX_PART_ELEMENTS,
    };
}

/// Elements whose whole extent calamine may gather into one buffer or string.
const SPANS: [&[u8]; 7] = [b"c", b"si", b"is", b"t", b"v", b"f", b"definedName"];
/// Elements calamine keeps one record of, besides cells and shared strings.
const KEPT: [&[u8]; 12] = [
    b"xf",
    b"numFmt",
    b"font",
    b"fill",
    b"border",
    b"dxf",
    b"cellStyle",
    b"sheet",
    b"definedName",
    b"Relationship",
    b"mergeCell",
    b"tablePart",
];
/// Longest element name kept for matching start and end tags.
const MAX_NAME: usize = 256;

fn mib(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{} MiB", n >> 20)
    } else {
        format!("{n} bytes")
    }
}

fn refuse(entry: &str, en: String, zh: String) -> Diagnostic {
    Diagnostic::error(
        entry,
        format!("the workbook is refused: {en}"),
        format!("工作簿未读取：{zh}"),
    )
}

/// Whether an entry is read as XML by calamine (its parts are named so).
fn is_xml_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".xml") || lower.ends_with(".rels")
}

/// Counts over the whole workbook.
#[derive(Debug, Default)]
struct Totals {
    inflated: u64,
    cells: u64,
    shared_strings: u64,
    shared_bytes: u64,
    kept: u64,
}

/// Checks a workbook against the limits of this module before calamine
/// reads it. `Err` says which limit and which part.
pub(crate) fn check_workbook(bytes: &[u8]) -> Result<(), Diagnostic> {
    check_workbook_with(bytes, &Limits::WORKBOOK)
}

/// [`check_workbook`] with the given limits.
pub(crate) fn check_workbook_with(bytes: &[u8], limits: &Limits) -> Result<(), Diagnostic> {
    let unreadable = |e: zip::result::ZipError| {
        Diagnostic::error(
            "",
            format!("the file is not a readable XLSX workbook: {e}"),
            format!("文件不是可读取的 XLSX 工作簿：{e}"),
        )
    };
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(unreadable)?;
    let mut totals = Totals::default();
    let mut buf = vec![0u8; 64 << 10];
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(unreadable)?;
        if entry.is_dir() {
            continue;
        }
        let name = entry.name().map(|n| n.into_owned()).map_err(unreadable)?;
        let xml = is_xml_name(&name);
        let cap = if xml {
            limits.xml_entry
        } else {
            limits.other_entry
        };
        let too_large = || {
            refuse(
                &name,
                format!("the part {name} is larger than {} when unpacked", mib(cap)),
                format!("其中的“{name}”解压后超过 {}", mib(cap)),
            )
        };
        if entry.size() > cap {
            return Err(too_large());
        }
        let mut scan = xml.then(|| XmlScan::new(&name, limits));
        let mut inflated = 0u64;
        loop {
            let n = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(Diagnostic::error(
                        name.as_str(),
                        format!("the part {name} of the workbook cannot be unpacked: {e}"),
                        format!("工作簿中的“{name}”无法解压：{e}"),
                    ));
                }
            };
            inflated += n as u64;
            totals.inflated += n as u64;
            if inflated > cap {
                return Err(too_large());
            }
            if totals.inflated > limits.inflated {
                return Err(refuse(
                    &name,
                    format!(
                        "its parts are larger than {} together when unpacked",
                        mib(limits.inflated)
                    ),
                    format!("各部分解压后合计超过 {}", mib(limits.inflated)),
                ));
            }
            if let Some(scan) = scan.as_mut() {
                scan.feed(buf.get(..n).unwrap_or_default(), &mut totals)?;
            }
        }
        if let Some(scan) = scan.as_mut() {
            scan.finish(&mut totals)?;
        }
    }
    Ok(())
}

/// Where the scanner is in the XML text, as quick-xml tokenizes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Character data, up to the next `<`.
    Text,
    /// Just after `<`.
    Open,
    /// Just after `<!`.
    Bang,
    /// In `<!-…-->`; the count of `-` just seen.
    Comment(u8),
    /// In `<![…]]>`; the count of `]` just seen.
    CData(u8),
    /// In `<?…?>`; whether a `?` was just seen.
    Pi(bool),
    /// In a start or end tag, outside or inside quotes.
    Tag { end: bool, quote: u8 },
}

/// The element gathered whole that the scanner is inside.
#[derive(Debug)]
struct Span {
    name: Vec<u8>,
    depth: u32,
    start: u64,
    shared: bool,
}

/// Scans one XML part: every event, every element gathered whole, and the
/// counts of cells, rows and kept elements.
struct XmlScan<'n> {
    part: &'n str,
    limits: &'n Limits,
    state: State,
    /// Bytes of the part seen.
    pos: u64,
    /// Where the current event started.
    token_start: u64,
    /// Bytes of the current comment after `<!-` (its end cannot overlap its start).
    comment_len: u64,
    /// The current tag's name, while it is read.
    name: Vec<u8>,
    name_done: bool,
    /// The last byte of the current tag before `>` (outside quotes): `/` for
    /// an empty element.
    last: u8,
    /// The text of an `<sst>` tag, whose `uniqueCount` calamine reserves.
    sst: Option<Vec<u8>>,
    span: Option<Span>,
    rows: u64,
}

impl<'n> XmlScan<'n> {
    fn new(part: &'n str, limits: &'n Limits) -> Self {
        XmlScan {
            part,
            limits,
            state: State::Text,
            pos: 0,
            token_start: 0,
            comment_len: 0,
            name: Vec::new(),
            name_done: false,
            last: 0,
            sst: None,
            span: None,
            rows: 0,
        }
    }

    fn err(&self, en: String, zh: String) -> Diagnostic {
        refuse(self.part, en, zh)
    }

    fn feed(&mut self, chunk: &[u8], totals: &mut Totals) -> Result<(), Diagnostic> {
        let mut i = 0;
        while let Some(&b) = chunk.get(i) {
            // Runs of text and quoted values are skipped to their end.
            let skip_to = match self.state {
                State::Text => Some(b'<'),
                State::Tag { quote, .. } if quote != 0 => Some(quote),
                _ => None,
            };
            if let Some(stop) = skip_to
                && b != stop
            {
                let rest = chunk.get(i..).unwrap_or_default();
                let run = rest.iter().position(|&c| c == stop).unwrap_or(rest.len());
                if self.sst.is_some() {
                    rest.iter().take(run).for_each(|&c| self.capture(c));
                }
                i += run;
                self.pos += run as u64;
                continue;
            }
            self.byte(b, totals)?;
            self.pos += 1;
            i += 1;
        }
        self.check_token()?;
        self.check_span()
    }

    /// The current event is not longer than [`self.limits.token`].
    fn check_token(&self) -> Result<(), Diagnostic> {
        if self.pos - self.token_start > self.limits.token {
            let part = self.part;
            return Err(self.err(
                format!(
                    "the part {part} holds a tag, text or comment longer than {}",
                    mib(self.limits.token)
                ),
                format!(
                    "其中的“{part}”含有超过 {} 的标记、文本或注释",
                    mib(self.limits.token)
                ),
            ));
        }
        Ok(())
    }

    /// The element gathered whole is not longer than [`self.limits.cell`].
    fn check_span(&self) -> Result<(), Diagnostic> {
        let Some(span) = &self.span else {
            return Ok(());
        };
        if self.pos - span.start > self.limits.cell {
            return Err(self.span_too_large(span.shared));
        }
        Ok(())
    }

    fn span_too_large(&self, shared: bool) -> Diagnostic {
        let part = self.part;
        let (en, zh) = if shared {
            ("one shared string", "单个共享字符串")
        } else {
            ("one cell", "单个单元格")
        };
        self.err(
            format!(
                "in the part {part}, {en} is larger than {}",
                mib(self.limits.cell)
            ),
            format!("其中的“{part}”{zh}超过 {}", mib(self.limits.cell)),
        )
    }

    fn byte(&mut self, b: u8, totals: &mut Totals) -> Result<(), Diagnostic> {
        match self.state {
            State::Text => {
                if b == b'<' {
                    self.check_token()?;
                    self.state = State::Open;
                    self.token_start = self.pos;
                }
            }
            State::Open => match b {
                b'!' => self.state = State::Bang,
                b'?' => self.state = State::Pi(false),
                b'/' => self.state = self.tag(true),
                _ => {
                    self.state = self.tag(false);
                    return self.byte(b, totals);
                }
            },
            State::Bang => {
                self.state = match b {
                    b'-' => {
                        self.comment_len = 0;
                        State::Comment(0)
                    }
                    b'[' => State::CData(0),
                    _ => {
                        let part = self.part;
                        return Err(self.err(
                            format!("the part {part} holds a document type declaration"),
                            format!("其中的“{part}”含有文档类型声明（DOCTYPE）"),
                        ));
                    }
                };
            }
            State::Comment(dashes) => {
                self.comment_len += 1;
                self.state = match b {
                    b'-' => State::Comment(dashes.saturating_add(1)),
                    // `<!-` + `-` opens; `-->` closes after it.
                    b'>' if dashes >= 2 && self.comment_len >= 4 => self.close_token()?,
                    _ => State::Comment(0),
                };
            }
            State::CData(brackets) => {
                self.state = match b {
                    b']' => State::CData(brackets.saturating_add(1)),
                    b'>' if brackets >= 2 => self.close_token()?,
                    _ => State::CData(0),
                };
            }
            State::Pi(question) => {
                self.state = match b {
                    b'>' if question => self.close_token()?,
                    b'?' => State::Pi(true),
                    _ => State::Pi(false),
                };
            }
            State::Tag { end, quote } => {
                if quote != 0 {
                    if b == quote {
                        self.state = State::Tag { end, quote: 0 };
                    }
                    self.capture(b);
                } else if b == b'>' {
                    self.end_tag(end, totals)?;
                    self.state = self.close_token()?;
                } else {
                    if b == b'"' || b == b'\'' {
                        self.state = State::Tag { end, quote: b };
                    }
                    self.tag_byte(b, totals)?;
                }
            }
        }
        Ok(())
    }

    /// The event ends with the byte at `pos`; text starts after it.
    fn close_token(&mut self) -> Result<State, Diagnostic> {
        self.pos += 1;
        let checked = self.check_token();
        self.pos -= 1;
        checked?;
        self.token_start = self.pos + 1;
        Ok(State::Text)
    }

    fn tag(&mut self, end: bool) -> State {
        self.name.clear();
        self.name_done = false;
        self.last = 0;
        self.sst = None;
        State::Tag { end, quote: 0 }
    }

    /// A byte of a tag outside quotes (quotes included).
    fn tag_byte(&mut self, b: u8, totals: &mut Totals) -> Result<(), Diagnostic> {
        if !self.name_done {
            if b.is_ascii_whitespace() || b == b'/' {
                self.name_done = true;
                self.named(totals)?;
            } else if self.name.len() < MAX_NAME {
                self.name.push(b);
            } else {
                let part = self.part;
                return Err(self.err(
                    format!("the part {part} holds an element name longer than {MAX_NAME} bytes"),
                    format!("其中的“{part}”含有超过 {MAX_NAME} 字节的元素名"),
                ));
            }
        } else {
            self.capture(b);
        }
        if !b.is_ascii_whitespace() {
            self.last = b;
        }
        Ok(())
    }

    fn capture(&mut self, b: u8) {
        if let Some(sst) = self.sst.as_mut() {
            sst.push(b);
        }
    }

    fn local(&self) -> &[u8] {
        match self.name.iter().position(|&c| c == b':') {
            Some(i) => self.name.get(i + 1..).unwrap_or_default(),
            None => &self.name,
        }
    }

    /// The name of a start tag is known: count it.
    fn named(&mut self, totals: &mut Totals) -> Result<(), Diagnostic> {
        if matches!(self.state, State::Tag { end: true, .. }) {
            return Ok(());
        }
        let part = self.part;
        let Limits {
            cells: max_cells,
            sheet_rows: max_sheet_rows,
            part_elements: max_part_elements,
            ..
        } = *self.limits;
        let (local, kept) = {
            let local = self.local();
            let kind = [&b"c"[..], b"row", b"si", b"sst"]
                .iter()
                .position(|n| *n == local);
            (kind, KEPT.contains(&local))
        };
        match local {
            Some(0) => {
                totals.cells += 1;
                if totals.cells > self.limits.cells {
                    return Err(self.err(
                        format!("it has more than {max_cells} cells"),
                        format!("单元格超过 {max_cells} 个"),
                    ));
                }
            }
            Some(1) => {
                self.rows += 1;
                if self.rows > self.limits.sheet_rows {
                    return Err(self.err(
                        format!("the part {part} has more than {max_sheet_rows} rows"),
                        format!("其中的“{part}”超过 {max_sheet_rows} 行"),
                    ));
                }
            }
            Some(2) => {
                totals.shared_strings += 1;
                if totals.shared_strings > self.limits.shared_strings {
                    return Err(self.too_many_strings());
                }
            }
            Some(_) => self.sst = Some(Vec::new()),
            None => {}
        }
        if kept {
            totals.kept += 1;
            if totals.kept > self.limits.part_elements {
                return Err(self.err(
                    format!(
                        "it has more than {max_part_elements} styles, names, relationships and \
                         merged ranges"
                    ),
                    format!("样式、名称、关系和合并区域合计超过 {max_part_elements} 个"),
                ));
            }
        }
        Ok(())
    }

    fn too_many_strings(&self) -> Diagnostic {
        let max_shared_strings = self.limits.shared_strings;
        self.err(
            format!("it has more than {max_shared_strings} shared strings"),
            format!("共享字符串超过 {max_shared_strings} 个"),
        )
    }

    /// A tag ends (at its `>`).
    fn end_tag(&mut self, end: bool, totals: &mut Totals) -> Result<(), Diagnostic> {
        if !self.name_done {
            self.name_done = true;
            self.named(totals)?;
        }
        if let Some(sst) = self.sst.take()
            && declared_count(&sst) > self.limits.shared_strings
        {
            return Err(self.too_many_strings());
        }
        let empty = !end && self.last == b'/';
        if end {
            let closes = self.span.as_mut().is_some_and(|span| {
                if span.name == self.name {
                    span.depth -= 1;
                }
                span.depth == 0
            });
            if closes && let Some(span) = self.span.take() {
                // The `>` at `pos` is the span's last byte.
                let size = self.pos + 1 - span.start;
                if size > self.limits.cell {
                    return Err(self.span_too_large(span.shared));
                }
                if span.shared {
                    totals.shared_bytes += size;
                    if totals.shared_bytes > self.limits.shared_bytes {
                        return Err(self.err(
                            format!(
                                "its shared strings are larger than {} together",
                                mib(self.limits.shared_bytes)
                            ),
                            format!("共享字符串合计超过 {}", mib(self.limits.shared_bytes)),
                        ));
                    }
                }
            }
        } else if !empty {
            match self.span.as_mut() {
                Some(span) if span.name == self.name => span.depth += 1,
                Some(_) => {}
                None => {
                    let local = self.local();
                    if SPANS.contains(&local) {
                        self.span = Some(Span {
                            shared: local == b"si",
                            name: self.name.clone(),
                            depth: 1,
                            start: self.token_start,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The end of the part: an element gathered whole that never closed
    /// counts to here.
    fn finish(&mut self, totals: &mut Totals) -> Result<(), Diagnostic> {
        self.check_token()?;
        self.check_span()?;
        if let Some(span) = self.span.take()
            && span.shared
        {
            totals.shared_bytes += self.pos - span.start;
            if totals.shared_bytes > self.limits.shared_bytes {
                return Err(self.err(
                    format!(
                        "its shared strings are larger than {} together",
                        mib(self.limits.shared_bytes)
                    ),
                    format!("共享字符串合计超过 {}", mib(self.limits.shared_bytes)),
                ));
            }
        }
        Ok(())
    }
}

/// The largest number given to a `uniqueCount` attribute in the text of a
/// tag (saturating).
fn declared_count(tag: &[u8]) -> u64 {
    const ATTR: &[u8] = b"uniqueCount";
    let mut max = 0u64;
    let mut i = 0;
    while let Some(at) = tag
        .get(i..)
        .and_then(|rest| rest.windows(ATTR.len()).position(|w| w == ATTR))
    {
        let after = tag.get(i + at + ATTR.len()..).unwrap_or_default();
        let value = after
            .iter()
            .skip_while(|c| c.is_ascii_whitespace() || matches!(c, b'=' | b'"' | b'\'' | b'+'))
            .take_while(|c| c.is_ascii_digit())
            .fold(0u64, |n, d| {
                n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            });
        max = max.max(value);
        i += at + ATTR.len();
    }
    max
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    /// A ZIP archive of `entries`, deflated.
    fn zip_of(entries: &[(&str, &str)]) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        for (name, body) in entries {
            zip.start_file(*name, options)
                .unwrap_or_else(|e| panic!("{e}"));
            zip.write_all(body.as_bytes())
                .unwrap_or_else(|e| panic!("{e}"));
        }
        zip.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
    }

    const SMALL: Limits = Limits {
        xml_entry: 4096,
        other_entry: 1024,
        inflated: 8192,
        token: 100,
        cell: 200,
        shared_strings: 5,
        shared_bytes: 300,
        cells: 10,
        sheet_rows: 3,
        part_elements: 4,
    };

    /// The Chinese reason a part is refused for under [`SMALL`], or "".
    fn reason(name: &str, body: &str) -> String {
        match check_workbook_with(&zip_of(&[(name, body)]), &SMALL) {
            Ok(()) => String::new(),
            Err(d) => d.message_zh,
        }
    }

    fn sheet(data: &str) -> String {
        format!("<?xml version=\"1.0\"?><worksheet><sheetData>{data}</sheetData></worksheet>")
    }

    #[test]
    fn each_limit_refuses_with_its_reason() {
        let part = "xl/worksheets/sheet1.xml";
        let cells = |n: usize| sheet(&format!("<row>{}</row>", "<c r=\"A1\"/>".repeat(n)));
        assert_eq!(reason(part, &cells(10)), "");
        assert!(reason(part, &cells(11)).contains("单元格超过 10 个"));
        let rows = |n: usize| sheet(&"<row/>".repeat(n));
        assert_eq!(reason(part, &rows(3)), "");
        assert!(reason(part, &rows(4)).contains("超过 3 行"));
        let text = |n: usize| sheet(&"x".repeat(n));
        assert_eq!(reason(part, &text(90)), "");
        assert!(reason(part, &text(101)).contains("超过 100 bytes 的标记、文本或注释"));
        let tag = format!("<row spans=\"{}\"/>", "1".repeat(100));
        assert!(reason(part, &sheet(&tag)).contains("的标记、文本或注释"));
        let comment = format!("<!--{}-->", "<c/>".repeat(30));
        assert!(reason(part, &sheet(&comment)).contains("的标记、文本或注释"));
        let cell = |n: usize| sheet(&format!("<c><is>{}</is></c>", "<t>aaaa</t>".repeat(n)));
        assert_eq!(reason(part, &cell(10)), "");
        assert!(reason(part, &cell(30)).contains("单个单元格超过 200 bytes"));
        assert!(reason(part, &sheet("<c><f>")).is_empty());
        assert!(
            reason(part, &sheet(&format!("<c><f>{}", "<a/>".repeat(100)))).contains("单个单元格")
        );
        assert!(reason(part, "<!DOCTYPE x []><worksheet/>").contains("DOCTYPE"));
        let styles = |n: usize| {
            format!(
                "<styleSheet><cellXfs>{}</cellXfs></styleSheet>",
                "<xf/>".repeat(n)
            )
        };
        assert_eq!(reason("xl/styles.xml", &styles(4)), "");
        assert!(reason("xl/styles.xml", &styles(5)).contains("合计超过 4 个"));
        assert!(reason("xl/media/image1.png", &"x".repeat(1025)).contains("超过 1024 bytes"));
        assert_eq!(reason("xl/media/image1.png", &"<".repeat(1000)), "");
        assert!(reason(part, &" ".repeat(4097)).contains("超过 4096 bytes"));
    }

    #[test]
    fn shared_strings_are_counted_and_measured() {
        let part = "xl/sharedStrings.xml";
        let sst = |head: &str, n: usize, s: &str| {
            format!(
                "<sst {head}>{}</sst>",
                format!("<si><t>{s}</t></si>").repeat(n)
            )
        };
        assert_eq!(reason(part, &sst("uniqueCount=\"5\"", 5, "a")), "");
        assert!(reason(part, &sst("", 6, "a")).contains("共享字符串超过 5 个"));
        assert!(
            reason(part, &sst("count=\"1\" uniqueCount = '6'", 1, "a"))
                .contains("共享字符串超过 5 个")
        );
        assert!(
            reason(
                part,
                &sst("uniqueCount=\"99999999999999999999999\"", 1, "a")
            )
            .contains("共享字符串超过 5 个")
        );
        // Five strings of 80 bytes each, markup included: over 300 together.
        assert!(
            reason(part, &sst("", 5, &"a".repeat(64))).contains("共享字符串合计超过 300 bytes")
        );
        assert!(reason(part, &format!("<sst><si><t>{}", "a".repeat(99))).is_empty());
        let unclosed = format!("<sst><si>{}", "<t>aaaaaaaaaaaaaaaa</t>".repeat(20));
        assert!(reason(part, &unclosed).contains("单个共享字符串"));
    }

    /// Quoted `>` stays inside the tag, and what a comment or CDATA holds is
    /// not markup, as quick-xml reads them.
    #[test]
    fn tokens_are_split_as_quick_xml_splits_them() {
        let part = "xl/worksheets/sheet1.xml";
        let in_quotes = sheet("<row x=\"><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/><c/>\"/>");
        assert_eq!(reason(part, &in_quotes), "");
        let in_comment = sheet(&format!("<!-- {} -->", "<c/>".repeat(11)));
        assert_eq!(reason(part, &in_comment), "");
        let in_cdata = sheet(&format!("<![CDATA[{}]]>", "<c/>".repeat(11)));
        assert_eq!(reason(part, &in_cdata), "");
        let in_pi = sheet(&format!("<?x {} ?>", "<c/>".repeat(11)));
        assert_eq!(reason(part, &in_pi), "");
        // `<!--->` does not close the comment it opens.
        let not_closed = sheet(&format!("<!--->{}-->", "<c/>".repeat(11)));
        assert_eq!(reason(part, &not_closed), "");
        // An end tag with a quoted `>` holds what follows until the quote closes.
        let end_quote = sheet(&format!("<c></c x=\">{}\">", "<c/>".repeat(11)));
        assert_eq!(reason(part, &end_quote), "");
    }

    /// Every workbook this crate writes passes with the real limits.
    #[test]
    fn written_workbooks_pass() {
        let plan = qcity_domain::plan::default_plan();
        for bytes in [
            crate::plan_to_xlsx(&plan).unwrap_or_else(|e| panic!("{e}")),
            crate::sampling_template_xlsx().unwrap_or_else(|e| panic!("{e}")),
            crate::enterprise_template_xlsx().unwrap_or_else(|e| panic!("{e}")),
            crate::indicator_template_xlsx(&plan).unwrap_or_else(|e| panic!("{e}")),
        ] {
            check_workbook(&bytes).unwrap_or_else(|d| panic!("{d}"));
        }
    }
}
