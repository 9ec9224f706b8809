//! Evidence files: checked by content and by name, capped in size, stored once by SHA-256
//! under a safe name whose extension follows the content.
//! Obligation reports and indicator values link to them; downloads go through those links.

use crate::evidence_store::IN_DATABASE;
use crate::{Result, Store, StoreError, Tx};
use sqlx::Row;

/// An evidence file as uploaded.
pub struct Upload {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// Evidence rules: the size cap (types are fixed: PDF, images, Office documents).
#[derive(Debug, Clone)]
pub struct EvidencePolicy {
    pub max_bytes: usize,
}

impl Default for EvidencePolicy {
    fn default() -> Self {
        EvidencePolicy {
            max_bytes: 20 * 1024 * 1024,
        }
    }
}

/// An evidence type accepted: its MIME type, the extension a stored name gets, and the other
/// extensions people give it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kind {
    pub mime: &'static str,
    pub ext: &'static str,
    also: &'static [&'static str],
    /// A zip container (OOXML, ODF): its entries are looked into.
    zip: bool,
}

const fn kind(mime: &'static str, ext: &'static str, also: &'static [&'static str]) -> Kind {
    Kind {
        mime,
        ext,
        also,
        zip: false,
    }
}

const fn zipped(mime: &'static str, ext: &'static str) -> Kind {
    Kind {
        mime,
        ext,
        also: &[],
        zip: true,
    }
}

const PDF: Kind = kind("application/pdf", "pdf", &[]);
const DOC: Kind = kind("application/msword", "doc", &["dot"]);
const XLS: Kind = kind("application/vnd.ms-excel", "xls", &["xlt"]);
const PPT: Kind = kind("application/vnd.ms-powerpoint", "ppt", &["pps"]);

/// PDF, images, Office documents (the legacy ones only as Word, Excel or PowerPoint compound
/// files: an MSI installer is a compound file too).
const KINDS: &[Kind] = &[
    PDF,
    kind("image/jpeg", "jpg", &["jpeg", "jpe"]),
    kind("image/png", "png", &[]),
    kind("image/gif", "gif", &[]),
    kind("image/webp", "webp", &[]),
    kind("image/bmp", "bmp", &[]),
    kind("image/tiff", "tif", &["tiff"]),
    DOC,
    XLS,
    PPT,
    zipped(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    zipped(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "xlsx",
    ),
    zipped(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "pptx",
    ),
    zipped("application/vnd.oasis.opendocument.text", "odt"),
    zipped("application/vnd.oasis.opendocument.spreadsheet", "ods"),
];

/// Names refused whatever the content: programs, installers, libraries, scripts, shortcuts,
/// disk images, macro-enabled Office files.
const EXECUTABLE_EXTENSIONS: &[&str] = &[
    "exe",
    "dll",
    "com",
    "scr",
    "pif",
    "cpl",
    "sys",
    "drv",
    "ocx",
    "msi",
    "msp",
    "mst",
    "msix",
    "msixbundle",
    "appx",
    "appxbundle",
    "msc",
    "bat",
    "cmd",
    "ps1",
    "psm1",
    "psd1",
    "ps1xml",
    "vb",
    "vbs",
    "vbe",
    "js",
    "jse",
    "mjs",
    "wsf",
    "wsh",
    "wsc",
    "sct",
    "hta",
    "jar",
    "lnk",
    "url",
    "scf",
    "inf",
    "reg",
    "chm",
    "gadget",
    "application",
    "xll",
    "xla",
    "xlam",
    "ppam",
    "docm",
    "dotm",
    "xlsm",
    "xltm",
    "xlsb",
    "pptm",
    "potm",
    "ppsm",
    "sh",
    "bash",
    "zsh",
    "csh",
    "ksh",
    "fish",
    "command",
    "py",
    "pyw",
    "pl",
    "rb",
    "php",
    "lua",
    "elf",
    "bin",
    "run",
    "so",
    "dylib",
    "app",
    "dmg",
    "pkg",
    "deb",
    "rpm",
    "apk",
    "iso",
    "img",
    "vhd",
    "vhdx",
];

/// The MIME type of an allowed evidence file, from its bytes: PDF, images, Office documents.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    detect(bytes).ok().map(|k| k.mime)
}

/// What the content is, by its first bytes (and a compound file's root class).
fn detect(bytes: &[u8]) -> std::result::Result<Kind, &'static str> {
    if is_executable(bytes) {
        return Err("error-file-executable");
    }
    if bytes.starts_with(OLE_MAGIC) {
        return match ole_kind(bytes) {
            Ole::Office(k) => Ok(k),
            Ole::Installer => Err("error-file-executable"),
            Ole::Unknown => Err("error-file-type"),
        };
    }
    let mime = infer::get(bytes).map(|t| t.mime_type());
    KINDS
        .iter()
        .copied()
        // Compound files were settled above, by their class.
        .find(|k| Some(k.mime) == mime && !k.mime.starts_with("application/vnd.ms-") && *k != DOC)
        .ok_or("error-file-type")
}

/// Programs by their magic numbers: Windows PE (MZ), ELF, Mach-O (thin and fat), scripts with
/// an interpreter line.
fn is_executable(b: &[u8]) -> bool {
    const MAGICS: &[&[u8]] = &[
        b"MZ",
        b"\x7fELF",
        &[0xFE, 0xED, 0xFA, 0xCE],
        &[0xFE, 0xED, 0xFA, 0xCF],
        &[0xCE, 0xFA, 0xED, 0xFE],
        &[0xCF, 0xFA, 0xED, 0xFE],
        &[0xCA, 0xFE, 0xBA, 0xBE],
        b"#!",
    ];
    MAGICS.iter().any(|m| b.starts_with(m))
}

const OLE_MAGIC: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

enum Ole {
    Office(Kind),
    Installer,
    Unknown,
}

/// A compound file (Word, Excel and PowerPoint 97–2003, but also MSI installers) by its root
/// entry's class, or by its main stream's name when the writer left the class empty.
fn ole_kind(b: &[u8]) -> Ole {
    let u16_at = |at: usize| b.get(at..at + 2).map(|x| u16::from_le_bytes([x[0], x[1]]));
    let u32_at = |at: usize| {
        b.get(at..at + 4)
            .map(|x| u32::from_le_bytes([x[0], x[1], x[2], x[3]]))
    };
    let (Some(shift), Some(dir)) = (u16_at(0x1E), u32_at(0x30)) else {
        return Ole::Unknown;
    };
    if shift != 9 && shift != 12 {
        return Ole::Unknown;
    }
    let sector = 1usize << shift;
    let Some(start) = (dir as usize)
        .checked_add(1)
        .and_then(|s| s.checked_mul(sector))
    else {
        return Ole::Unknown;
    };
    let Some(entries) = b.get(start..start + sector) else {
        return Ole::Unknown;
    };
    let clsid = &entries[0x50..0x60];
    let guid = format!(
        "{:08x}-{:04x}-{:04x}-{}",
        u32::from_le_bytes([clsid[0], clsid[1], clsid[2], clsid[3]]),
        u16::from_le_bytes([clsid[4], clsid[5]]),
        u16::from_le_bytes([clsid[6], clsid[7]]),
        clsid[8..]
            .iter()
            .enumerate()
            .map(|(i, x)| if i == 2 {
                format!("-{x:02x}")
            } else {
                format!("{x:02x}")
            })
            .collect::<String>()
    );
    match guid.as_str() {
        "00020906-0000-0000-c000-000000000046" | "00020900-0000-0000-c000-000000000046" => {
            return Ole::Office(DOC);
        }
        "00020810-0000-0000-c000-000000000046" | "00020820-0000-0000-c000-000000000046" => {
            return Ole::Office(XLS);
        }
        "64818d10-4f9b-11cf-86ea-00aa00b929e8" => return Ole::Office(PPT),
        // Installer, patch, transform.
        "000c1084-0000-0000-c000-000000000046"
        | "000c1086-0000-0000-c000-000000000046"
        | "000c1082-0000-0000-c000-000000000046" => return Ole::Installer,
        "00000000-0000-0000-0000-000000000000" => {}
        _ => return Ole::Unknown,
    }
    // No class: the main stream's name in the first directory sector says what it is.
    for entry in entries.chunks_exact(128) {
        let len = usize::from(u16::from_le_bytes([entry[0x40], entry[0x41]])).min(64);
        let name: Vec<u16> = entry[..len]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&c| c != 0)
            .collect();
        match String::from_utf16_lossy(&name).as_str() {
            "WordDocument" => return Ole::Office(DOC),
            "Workbook" | "Book" => return Ole::Office(XLS),
            "PowerPoint Document" => return Ole::Office(PPT),
            _ => {}
        }
    }
    Ole::Unknown
}

/// Whether a zip container (a .docx, .xlsx, .odt …) carries a program, a script or macros:
/// entries with such a name or a program's first bytes. A container that cannot be listed
/// or read (broken, encrypted, too many entries) counts as hiding one.
fn zip_hides_executable(bytes: &[u8]) -> bool {
    use std::io::Read;
    const MAX_ENTRIES: usize = 10_000;
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return true;
    };
    if zip.len() > MAX_ENTRIES {
        return true;
    }
    for i in 0..zip.len() {
        let Ok(mut entry) = zip.by_index(i) else {
            return true;
        };
        let Ok(name) = entry.name().map(|n| n.to_lowercase()) else {
            return true;
        };
        let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
        if executable_name(base)
            || base == "vbaproject.bin"
            || name.starts_with("basic/")
            || name.starts_with("scripts/")
        {
            return true;
        }
        if entry.is_dir() {
            continue;
        }
        // Only the first bytes are inflated.
        let mut head = Vec::with_capacity(8);
        if (&mut entry).take(8).read_to_end(&mut head).is_err() || is_executable(&head) {
            return true;
        }
    }
    false
}

/// Whether a name ends in a program's, a script's or an installer's extension.
fn executable_name(name: &str) -> bool {
    extension(name)
        .is_some_and(|e| EXECUTABLE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// The part after the last dot (`None` without one, or when the dot starts the name).
fn extension(name: &str) -> Option<&str> {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() && !ext.is_empty() => Some(ext),
        _ => None,
    }
}

/// Characters a name never keeps: controls, bidirectional embeddings, overrides and isolates
/// (which make "exe.pdf" of "fdp.exe"), the implicit marks, zero-width characters.
fn hidden(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{200B}'..='\u{200F}'
            | '\u{061C}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{FEFF}')
}

/// A name safe to show and to download under: the last path part, without control,
/// bidirectional or zero-width characters, without characters file systems refuse, no
/// leading or trailing dots and spaces, at most 120 characters.
pub fn sanitize_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !hidden(*c))
        .map(|c| {
            if matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*') {
                '_'
            } else {
                c
            }
        })
        .collect();
    let clean = clean.trim_matches(|c: char| c.is_whitespace() || c == '.');
    // Shortened in the stem, so the extension stays.
    const MAX: usize = 120;
    match extension(clean) {
        Some(ext) if clean.chars().count() > MAX && ext.chars().count() < 16 => {
            let stem = &clean[..clean.len() - ext.len() - 1];
            let keep = MAX - ext.chars().count() - 1;
            format!("{}.{ext}", stem.chars().take(keep).collect::<String>())
        }
        _ => clean.chars().take(MAX).collect(),
    }
}

/// The stored name for content of `kind`: the sanitised name with the type's extension (the
/// name's own when it is one of the type's, otherwise the type's added or put in its place).
fn name_for(name: &str, kind: &Kind) -> String {
    let clean = sanitize_name(name);
    let (stem, ext) = match extension(&clean) {
        Some(ext) => (&clean[..clean.len() - ext.len() - 1], Some(ext)),
        None => (clean.as_str(), None),
    };
    let stem = if stem.is_empty() { "file" } else { stem };
    match ext {
        Some(e)
            if e.eq_ignore_ascii_case(kind.ext)
                || kind.also.iter().any(|a| e.eq_ignore_ascii_case(a)) =>
        {
            format!("{stem}.{e}")
        }
        _ => format!("{stem}.{}", kind.ext),
    }
}

/// The name a stored file is downloaded under: sanitised, with the extension of the type it
/// was stored as (files stored before the type decided the name are named again on the way
/// out).
pub fn download_name(stored: &str, mime: &str) -> String {
    match KINDS.iter().find(|k| k.mime == mime) {
        Some(kind) => name_for(stored, kind),
        None => {
            let clean = sanitize_name(stored);
            if clean.is_empty() || executable_name(&clean) {
                format!("{}.bin", if clean.is_empty() { "file" } else { &clean })
            } else {
                clean
            }
        }
    }
}

/// A file that passed the checks, ready to store.
pub struct Checked<'a> {
    pub sha256: String,
    pub mime: &'static str,
    /// The safe name, its extension the detected type's.
    pub filename: String,
    pub bytes: &'a [u8],
}

/// Checks every file before anything is stored, so a refused file leaves nothing behind: the
/// size; the name (no program, script or installer extension, after removing hidden
/// characters); the content (an allowed type by its bytes, no program, no installer, no zip
/// container carrying either or macros). The stored name's extension follows the content.
pub fn check<'a>(files: &'a [Upload], policy: &EvidencePolicy) -> Result<Vec<Checked<'a>>> {
    files
        .iter()
        .map(|f| {
            if f.bytes.len() > policy.max_bytes {
                return Err(StoreError::invalid("files", "error-file-too-large"));
            }
            if executable_name(&sanitize_name(&f.filename)) {
                return Err(StoreError::invalid("files", "error-file-executable"));
            }
            let kind = detect(&f.bytes).map_err(|code| StoreError::invalid("files", code))?;
            if kind.zip && zip_hides_executable(&f.bytes) {
                return Err(StoreError::invalid("files", "error-file-executable"));
            }
            let sha256 = crate::audit::hex(&<sha2::Sha256 as sha2::Digest>::digest(&f.bytes));
            Ok(Checked {
                sha256,
                mime: kind.mime,
                filename: name_for(&f.filename, &kind),
                bytes: &f.bytes,
            })
        })
        .collect()
}

/// Writes the files' bytes to the configured object store (`Store::evidence_store`; nothing to
/// do when they go in the database). Call it before the transaction that [`store`]s them, so
/// no database lock waits on the network; an object written for a transaction that then rolls
/// back is the same object the next try writes.
pub async fn upload(store: &Store, files: &[Checked<'_>]) -> Result<()> {
    for f in files {
        store.evidence_store().put(&f.sha256, f.bytes).await?;
    }
    Ok(())
}

/// Records the files once each inside the caller's transaction, their bytes in the row or (for
/// an object store) already [`upload`]ed. The same file from two requests at once is not an
/// error.
pub async fn store(store: &Store, tx: &mut Tx, files: &[Checked<'_>]) -> Result<()> {
    let now = crate::now_text();
    let place = store.evidence_store();
    for f in files {
        let data = if place.stored() == IN_DATABASE {
            f.bytes.to_vec()
        } else {
            Vec::new()
        };
        sqlx::query("INSERT INTO evidence_files (sha256, size, mime, data, created_at, stored) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (sha256) DO NOTHING")
            .bind(&f.sha256)
            .bind(f.bytes.len() as i64)
            .bind(f.mime)
            .bind(data)
            .bind(&now)
            .bind(place.stored())
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The bytes of an evidence file from a row selected with `e.sha256, e.stored, e.data` (the
/// downloads through reports, values and credit events).
pub async fn content(store: &Store, row: &sqlx::any::AnyRow) -> Result<Vec<u8>> {
    let sha256: String = row.try_get("sha256")?;
    let stored: String = row.try_get("stored")?;
    let data: Vec<u8> = row.try_get("data")?;
    store.evidence_store().read(&sha256, &stored, data).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(name: &str, bytes: &[u8]) -> Upload {
        Upload {
            filename: name.into(),
            bytes: bytes.to_vec(),
        }
    }

    fn verdict(name: &str, bytes: &[u8]) -> std::result::Result<String, String> {
        let files = [upload(name, bytes)];
        match check(&files, &EvidencePolicy::default()) {
            Ok(c) => Ok(c[0].filename.clone()),
            Err(StoreError::Invalid { code, .. }) => Err(code),
            Err(e) => Err(e.to_string()),
        }
    }

    const PDF: &[u8] = b"%PDF-1.4\n%%EOF\n";

    #[test]
    fn names_lose_hidden_characters_and_take_the_contents_extension() {
        let cases = [
            ("report.pdf", "report.pdf"),
            ("REPORT.PDF", "REPORT.PDF"),
            ("report.txt", "report.pdf"),
            ("报告", "报告.pdf"),
            ("报告\u{202E}fdp.txt", "报告fdp.pdf"),
            ("a\u{2066}b\u{2069}\u{200E}\u{200F}c.pdf", "abc.pdf"),
            ("C:\\Users\\x\\扫描.pdf", "扫描.pdf"),
            ("../../etc/passwd", "passwd.pdf"),
            ("a\tb\nc\u{0}.pdf", "abc.pdf"),
            ("..pdf", "pdf.pdf"),
            ("\u{202E}", "file.pdf"),
            ("  .hidden.pdf. ", "hidden.pdf"),
            ("what?<x>.pdf", "what__x_.pdf"),
        ];
        for (name, want) in cases {
            assert_eq!(verdict(name, PDF).as_deref(), Ok(want), "{name:?}");
        }
        let long = format!("{}.pdf", "长".repeat(500));
        let kept = verdict(&long, PDF).unwrap();
        assert!(kept.ends_with(".pdf") && kept.chars().count() == 120);
    }

    #[test]
    fn programs_scripts_and_installers_are_refused_by_name_and_by_content() {
        for name in [
            "run.bat",
            "x.EXE",
            "a.pdf.exe",
            "s.ps1",
            "m.msi",
            "v.vbs",
            "p.scr",
        ] {
            assert_eq!(
                verdict(name, PDF),
                Err("error-file-executable".to_string()),
                "{name}"
            );
        }
        for bytes in [
            &b"MZ\x90\x00"[..],
            b"\x7fELF\x02",
            b"#!/bin/sh\n",
            &[0xCA, 0xFE, 0xBA, 0xBE],
        ] {
            assert_eq!(
                verdict("a.pdf", bytes),
                Err("error-file-executable".to_string())
            );
        }
        assert_eq!(
            verdict("a.pdf", b"@echo off\r\n"),
            Err("error-file-type".to_string())
        );
        // A compound file that is neither Word, Excel nor PowerPoint.
        let mut ole = vec![0u8; 1024];
        ole[..8].copy_from_slice(OLE_MAGIC);
        ole[0x1E] = 9;
        assert_eq!(verdict("a.doc", &ole), Err("error-file-type".to_string()));
    }

    #[test]
    fn downloads_are_named_after_the_stored_type() {
        assert_eq!(download_name("run.bat", "application/pdf"), "run.pdf");
        assert_eq!(download_name("x\u{202E}gpj.exe", "image/jpeg"), "xgpj.jpg");
        assert_eq!(
            download_name("setup.exe", "application/x-ole-storage"),
            "setup.exe.bin"
        );
        assert_eq!(download_name("", "application/x-ole-storage"), "file.bin");
    }
}
