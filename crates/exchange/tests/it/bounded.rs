//! Hostile workbooks are refused with the reason, quickly and without
//! allocating what they claim. The files are built here (nothing large is
//! checked in); allocation is measured by a counting allocator per thread, so
//! tests running beside each other do not disturb the figure.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::time::{Duration, Instant};

use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::SamplingInput;

struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
    static PEAK: Cell<isize> = const { Cell::new(0) };
}

fn grew(by: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().wrapping_add(by);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: every call is passed to the system allocator unchanged; the
// counters are thread-local cells without destructors.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size() as isize);
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size() as isize);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        grew(-(layout.size() as isize));
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            grew(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f` and returns what it gave, the most it had allocated at once on
/// this thread beyond what was live before, and how long it took.
fn measured<T>(f: impl FnOnce() -> T) -> (T, usize, Duration) {
    let before = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(before));
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    let peak = PEAK.with(Cell::get) - before;
    (out, usize::try_from(peak).unwrap_or(0), took)
}

const MIB: usize = 1 << 20;

/// What an entry of a hand-made archive holds.
enum Body {
    /// Stored as it is.
    Plain(String),
    /// `head`, then `unit` repeated `times`, then `tail`, deflated by
    /// [`deflate_repeat`]: a bomb costs its compressed size to build.
    Repeat {
        head: String,
        unit: Vec<u8>,
        times: usize,
        tail: String,
    },
}

/// Bits written least significant first, as deflate packs them.
#[derive(Default)]
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }

    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, len: u32) {
        let reversed = code.reverse_bits() >> (32 - len);
        self.put(reversed, len);
    }

    /// A literal byte in the fixed Huffman code.
    fn literal(&mut self, b: u8) {
        if b < 144 {
            self.code(0x30 + u32::from(b), 8);
        } else {
            self.code(0x190 + u32::from(b) - 144, 9);
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// One fixed-Huffman deflate block of `head`, `unit` × `times` and `tail`,
/// the repeats as copies of 258 bytes from `unit.len()` back.
fn deflate_repeat(head: &[u8], unit: &[u8], times: usize, tail: &[u8]) -> Vec<u8> {
    const DIST: [(u32, u32); 30] = [
        (1, 0),
        (2, 0),
        (3, 0),
        (4, 0),
        (5, 1),
        (7, 1),
        (9, 2),
        (13, 2),
        (17, 3),
        (25, 3),
        (33, 4),
        (49, 4),
        (65, 5),
        (97, 5),
        (129, 6),
        (193, 6),
        (257, 7),
        (385, 7),
        (513, 8),
        (769, 8),
        (1025, 9),
        (1537, 9),
        (2049, 10),
        (3073, 10),
        (4097, 11),
        (6145, 11),
        (8193, 12),
        (12289, 12),
        (16385, 13),
        (24577, 13),
    ];
    let mut bits = Bits::default();
    bits.put(1, 1); // the last block
    bits.put(1, 2); // fixed Huffman codes
    head.iter().chain(unit).for_each(|&b| bits.literal(b));
    let distance = u32::try_from(unit.len()).unwrap_or(u32::MAX);
    let (code, (base, extra)) = DIST
        .iter()
        .copied()
        .enumerate()
        .rfind(|(_, (base, _))| *base <= distance)
        .unwrap_or((0, (1, 0)));
    let mut left = unit.len() * times.saturating_sub(1);
    while left >= 258 {
        bits.code(0xC5, 8); // length 258: code 285
        bits.code(code as u32, 5);
        bits.put(distance - base, extra);
        left -= 258;
    }
    // The rest as literals, continuing the repeat.
    for i in 0..left {
        bits.literal(unit[(unit.len() * times - left + i) % unit.len()]);
    }
    tail.iter().for_each(|&b| bits.literal(b));
    bits.code(0, 7); // end of block
    bits.finish()
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A ZIP archive of `entries`, written by hand (the declared sizes are the
/// true ones; the CRC of a repeated entry is left 0, which only matters once
/// the entry has been read to its end).
fn archive(entries: Vec<(&str, Body)>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, body) in &entries {
        let (method, crc, size, data): (u16, u32, u64, Vec<u8>) = match body {
            Body::Plain(text) => (
                0,
                crc32(text.as_bytes()),
                text.len() as u64,
                text.clone().into_bytes(),
            ),
            Body::Repeat {
                head,
                unit,
                times,
                tail,
            } => (
                8,
                0,
                (head.len() + unit.len() * times + tail.len()) as u64,
                deflate_repeat(head.as_bytes(), unit, *times, tail.as_bytes()),
            ),
        };
        let size = u32::try_from(size).unwrap_or(u32::MAX);
        let csize = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
        let name = name.as_bytes();
        let common = |v: &mut Vec<u8>| {
            v.extend(20u16.to_le_bytes()); // version needed
            v.extend(0u16.to_le_bytes()); // flags
            v.extend(method.to_le_bytes());
            v.extend(0u16.to_le_bytes()); // time
            v.extend(33u16.to_le_bytes()); // 1980-01-01
            v.extend(crc.to_le_bytes());
            v.extend(csize.to_le_bytes());
            v.extend(size.to_le_bytes());
            v.extend((name.len() as u16).to_le_bytes());
            v.extend(0u16.to_le_bytes()); // extra
        };
        out.extend(b"PK\x03\x04");
        common(&mut out);
        out.extend(name);
        out.extend(&data);
        central.extend(b"PK\x01\x02");
        central.extend(20u16.to_le_bytes()); // made by
        common(&mut central);
        central.extend([0u8; 6]); // comment length, disk, internal attributes
        central.extend(0u32.to_le_bytes()); // external attributes
        central.extend(offset.to_le_bytes());
        central.extend(name);
    }
    let cd_offset = u32::try_from(out.len()).unwrap_or(u32::MAX);
    let cd_size = u32::try_from(central.len()).unwrap_or(u32::MAX);
    out.extend(&central);
    out.extend(b"PK\x05\x06");
    out.extend([0u8; 4]);
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend((entries.len() as u16).to_le_bytes());
    out.extend(cd_size.to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

/// A workbook with one sheet `sheet_data` and the shared strings `strings`.
fn workbook_of(sheet_data: Body, strings: Body) -> Vec<u8> {
    let plain = |s: &str| Body::Plain(s.to_string());
    archive(vec![
        (
            "[Content_Types].xml",
            plain(
                r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#,
            ),
        ),
        (
            "_rels/.rels",
            plain(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
            ),
        ),
        (
            "xl/workbook.xml",
            plain(
                r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="抽查结果" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            plain(
                r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
            ),
        ),
        ("xl/worksheets/sheet1.xml", sheet_data),
        ("xl/sharedStrings.xml", strings),
    ])
}

const SHEET: &str = r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>"#;

/// A workbook whose shared strings are `head`, `unit` × `times`, `tail`.
fn strings_bomb(head: &str, unit: &str, times: usize, tail: &str) -> Vec<u8> {
    workbook_of(
        Body::Plain(SHEET.to_string()),
        Body::Repeat {
            head: head.to_string(),
            unit: unit.as_bytes().to_vec(),
            times,
            tail: tail.to_string(),
        },
    )
}

const SST: &str = r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="1">"#;

/// Reads the file as a sampling import does; the file-level error it gives.
fn refused(bytes: &[u8]) -> Diagnostic {
    let mut rows = 0usize;
    match qcity_exchange::read_sampling(bytes, &mut |_line, _row: SamplingInput| rows += 1) {
        Ok(diags) => panic!("the file was read ({rows} rows): {diags:#?}"),
        Err(d) => d,
    }
}

/// The bytes of `zip` with every 32-bit size of the entry `name` declared as
/// `size` (local header and central directory): a lying header.
fn lie_about_size(mut zip: Vec<u8>, name: &str, size: u32) -> Vec<u8> {
    let name = name.as_bytes();
    let mut patched = 0;
    let mut i = 0;
    while i + 46 < zip.len() {
        let sig = &zip[i..i + 4];
        let (name_at, usize_at) = match sig {
            b"PK\x03\x04" => (i + 30, i + 22),
            b"PK\x01\x02" => (i + 46, i + 24),
            _ => {
                i += 1;
                continue;
            }
        };
        if zip.get(name_at..name_at + name.len()) == Some(name) {
            zip[usize_at..usize_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
        i += 1;
    }
    assert!(patched >= 2, "sizes of {name:?} not found");
    zip
}

/// The issue's bomb: one shared string of 1.5 GB in a 9 MB file (deflate
/// does 258 bytes in 13 bits; Excel's own files compress less). Before the
/// limits calamine held it whole, doubling it as it grew: 3 GB and more. Now
/// reading stops after the first MiB of the string, also when the headers
/// declare 100 bytes.
#[test]
fn one_huge_shared_string_is_refused_quickly_and_small() {
    let mib: usize = std::env::var("QCITY_BOMB_MIB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1536);
    let bomb = strings_bomb(&format!("{SST}<si><t>"), "a", mib * MIB, "</t></si></sst>");
    eprintln!("bomb: {} KiB, {mib} MiB unpacked", bomb.len() / 1024);
    let small = lie_about_size(bomb.clone(), "xl/sharedStrings.xml", 100);
    let under_cap = lie_about_size(bomb.clone(), "xl/sharedStrings.xml", 512 << 20);
    for (what, bytes, reason) in [
        (
            "as declared",
            bomb,
            "“xl/sharedStrings.xml”解压后超过 1024 MiB",
        ),
        (
            "declared 100 bytes",
            small,
            "“xl/sharedStrings.xml”无法解压",
        ),
        (
            "declared 512 MiB",
            under_cap,
            "“xl/sharedStrings.xml”含有超过 1 MiB 的标记、文本或注释",
        ),
    ] {
        let (d, peak, took) = measured(|| refused(&bytes));
        eprintln!(
            "{what}: peak {} KiB, {took:?}: {}",
            peak / 1024,
            d.message_zh
        );
        assert!(peak < 8 * MIB, "{what}: peak {} MiB", peak / MIB);
        assert!(took < Duration::from_secs(5), "{what}: {took:?}");
        assert!(d.is_error());
        assert!(d.message_zh.contains(reason), "{what}: {}", d.message_zh);
        assert!(
            d.message_en.contains("sharedStrings.xml"),
            "{}",
            d.message_en
        );
    }
}

/// `uniqueCount` is what calamine reserves room for: a tiny file declaring
/// a billion strings asked for 24 GB.
#[test]
fn a_declared_count_of_a_billion_strings_is_refused() {
    let head = SST.replace(r#"uniqueCount="1""#, r#"uniqueCount="1000000000""#);
    let bytes = strings_bomb(&head, "<si><t>x</t></si>", 1, "</sst>");
    let (d, peak, _) = measured(|| refused(&bytes));
    assert!(peak < 8 * MIB, "peak {} MiB", peak / MIB);
    assert!(
        d.message_zh.contains("共享字符串超过 4000000 个"),
        "{}",
        d.message_zh
    );
}

/// A string split into many runs, or hidden behind comments, is one string.
#[test]
fn a_string_in_small_pieces_is_still_one_string() {
    let bytes = strings_bomb(
        &format!("{SST}<si>"),
        "<r><t>aaaaaa</t></r><!-- x -->",
        300_000,
        "</si></sst>",
    );
    let (d, peak, _) = measured(|| refused(&bytes));
    assert!(peak < 8 * MIB, "peak {} MiB", peak / MIB);
    assert!(
        d.message_zh.contains("单个共享字符串超过 1 MiB"),
        "{}",
        d.message_zh
    );
}

/// A cell whose inline string or formula is enormous: calamine would gather
/// it whole into one buffer.
#[test]
fn an_enormous_cell_is_refused() {
    for (head, tail) in [
        (r#"<c r="A1" t="inlineStr"><is><t>"#, "</t></is></c>"),
        (r#"<c r="A1"><f>"#, "</f><v>1</v></c>"),
    ] {
        let bytes = workbook_of(
            Body::Repeat {
                head: format!(
                    r#"<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">{head}"#
                ),
                unit: b"x<!---->".to_vec(),
                times: 64 * MIB,
                tail: format!("{tail}</row></sheetData></worksheet>"),
            },
            Body::Plain(format!("{SST}<si><t>x</t></si></sst>")),
        );
        let (d, peak, _) = measured(|| refused(&bytes));
        assert!(peak < 8 * MIB, "peak {} MiB", peak / MIB);
        assert!(
            d.message_zh.contains("单个单元格超过 1 MiB"),
            "{}",
            d.message_zh
        );
    }
}

/// An ordinary table still reads: 5,000 rows, every cell its own shared
/// string. (The limits themselves are tested in `limits.rs` with small
/// values; the shared-string total and the cell count take too long to pass
/// in a debug build.)
#[test]
fn a_large_ordinary_workbook_reads() {
    let bytes = plain_workbook(5_000);
    let mut rows = 0usize;
    let read = qcity_exchange::read_sampling(&bytes, &mut |_line, _row: SamplingInput| rows += 1);
    let diags = read.unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(rows, 5_000, "{diags:#?}");
}

/// A sampling workbook of `n` data rows, every cell its own shared string,
/// written as Excel does.
fn plain_workbook(n: usize) -> Vec<u8> {
    let header = [
        "报告编号",
        "抽查级别",
        "受检企业统一社会信用代码",
        "产品名称",
        "产品类别",
        "抽样日期",
        "检验结论",
    ];
    let mut strings: Vec<String> = header.iter().map(|h| (*h).to_string()).collect();
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    let col = |c: usize| char::from(b'A' + c as u8);
    sheet.push_str("<row r=\"1\">");
    for c in 0..header.len() {
        sheet.push_str(&format!("<c r=\"{}1\" t=\"s\"><v>{c}</v></c>", col(c)));
    }
    sheet.push_str("</row>");
    for r in 0..n {
        let line = r + 2;
        sheet.push_str(&format!("<row r=\"{line}\">"));
        let values = [
            format!("BG{r:08}"),
            "国家".to_string(),
            "91110000600037341L".to_string(),
            format!("产品{r}"),
            "工业产品".to_string(),
            "2015-03-31".to_string(),
            "合格".to_string(),
        ];
        for (c, v) in values.into_iter().enumerate() {
            sheet.push_str(&format!(
                "<c r=\"{}{line}\" t=\"s\"><v>{}</v></c>",
                col(c),
                strings.len()
            ));
            strings.push(v);
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let mut sst = SST.replace(
        r#"count="1" uniqueCount="1""#,
        &format!(r#"count="{0}" uniqueCount="{0}""#, strings.len()),
    );
    for s in &strings {
        sst.push_str(&format!("<si><t>{s}</t></si>"));
    }
    sst.push_str("</sst>");
    workbook_of(Body::Plain(sheet), Body::Plain(sst))
}
