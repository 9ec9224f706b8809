//! Evidence files: checked by content (not by name), capped in size, stored once by SHA-256.
//! Obligation reports and indicator values link to them; downloads go through those links.

use crate::{Result, StoreError, Tx};

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

/// The MIME type of an allowed evidence file, from its bytes: PDF, images, Office documents.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    let kind = infer::get(bytes)?;
    let mime = kind.mime_type();
    const ALLOWED: &[&str] = &[
        "application/pdf",
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/x-ole-storage",
    ];
    ALLOWED.contains(&mime).then_some(mime)
}

/// A file that passed the checks, ready to store.
pub struct Checked<'a> {
    pub sha256: String,
    pub mime: &'static str,
    pub filename: String,
    pub bytes: &'a [u8],
}

/// Checks every file before anything is stored, so a refused file leaves nothing behind.
pub fn check<'a>(files: &'a [Upload], policy: &EvidencePolicy) -> Result<Vec<Checked<'a>>> {
    files
        .iter()
        .map(|f| {
            if f.bytes.len() > policy.max_bytes {
                return Err(StoreError::invalid("files", "error-file-too-large"));
            }
            let mime =
                sniff(&f.bytes).ok_or_else(|| StoreError::invalid("files", "error-file-type"))?;
            let sha256 = crate::audit::hex(&<sha2::Sha256 as sha2::Digest>::digest(&f.bytes));
            // A name for display and download only: no path parts, no control characters.
            let filename = f
                .filename
                .chars()
                .filter(|c| !c.is_control() && !matches!(c, '/' | '\\'))
                .take(200)
                .collect();
            Ok(Checked {
                sha256,
                mime,
                filename,
                bytes: &f.bytes,
            })
        })
        .collect()
}

/// Stores the files' content once each, inside the caller's transaction. The same file from
/// two requests at once is not an error.
pub async fn store(tx: &mut Tx, files: &[Checked<'_>]) -> Result<()> {
    let now = crate::now_text();
    for f in files {
        sqlx::query("INSERT INTO evidence_files (sha256, size, mime, data, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (sha256) DO NOTHING")
            .bind(&f.sha256)
            .bind(f.bytes.len() as i64)
            .bind(f.mime)
            .bind(f.bytes.to_vec())
            .bind(&now)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}
