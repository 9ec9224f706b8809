//! Uploads: a multipart form read as it arrives, each file streamed to a private temporary
//! file in the upload directory (never whole in memory), each capped while it streams; text
//! fields kept (capped too) so a page that refuses the file can show what was typed. Imports
//! then read the file mapped from disk, in the import pool, on a blocking thread.

use crate::AppState;
use crate::error::AppError;
use crate::i18n::Lang;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use tokio::io::AsyncWriteExt;

/// Why an upload form did not arrive whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadProblem {
    /// A file (or the form around it) was larger than allowed; `max` bytes per file.
    TooLarge { max: u64 },
    /// The form could not be read (a broken or cut-off request).
    Unreadable,
}

impl UploadProblem {
    /// The translation key (for field errors the page translates itself).
    pub fn key(self) -> &'static str {
        match self {
            UploadProblem::TooLarge { .. } => "error-upload-too-large",
            UploadProblem::Unreadable => "error-upload",
        }
    }

    /// What to tell the user, in their language, with the limit.
    pub fn message(self, lang: Lang) -> String {
        match self {
            UploadProblem::TooLarge { max } => {
                lang.t_args("error-upload-too-large", &[("size", size_text(max))])
            }
            UploadProblem::Unreadable => lang.t("error-upload"),
        }
    }
}

/// A size for people: "20 MB", "256 MB", "64 KB".
pub fn size_text(bytes: u64) -> String {
    const MB: u64 = 1024 * 1024;
    if bytes >= MB {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A file of the form, on disk until dropped.
pub struct SpooledFile {
    /// The form field it came in.
    pub field: String,
    /// The name the browser gave (unchecked: display and sanitising are the caller's).
    pub name: String,
    /// Its size in bytes.
    pub len: u64,
    path: tempfile::TempPath,
}

impl SpooledFile {
    /// Its content in memory: only for files the route caps small (evidence).
    pub async fn bytes(&self) -> Result<Vec<u8>, AppError> {
        tokio::fs::read(&self.path)
            .await
            .map_err(|e| AppError::Internal(format!("reading an upload back: {e}")))
    }

    /// Keeps the file past this request (the import queue owns it from now on): where it is.
    /// Renamed `queued-…`, so that a restart's clean-up of left-over `upload-…` files spares it.
    pub fn keep(self) -> Result<std::path::PathBuf, AppError> {
        let fail = |e: String| AppError::Internal(format!("keeping an upload: {e}"));
        let name = self
            .path
            .file_name()
            .map(|n| n.to_string_lossy().replacen("upload-", "queued-", 1))
            .ok_or_else(|| fail("no file name".into()))?;
        let kept = self.path.with_file_name(name);
        // Renamed while the temporary path still owns it: a failure leaves nothing behind.
        std::fs::rename(&self.path, &kept).map_err(|e| fail(e.to_string()))?;
        let _ = self.path.keep();
        Ok(kept)
    }

    /// Its content mapped from disk (the pages come from the file, not the heap).
    pub fn map(&self) -> Result<Mapped, AppError> {
        if self.len == 0 {
            return Ok(Mapped::Empty);
        }
        let file = std::fs::File::open(&self.path)
            .map_err(|e| AppError::Internal(format!("opening an upload: {e}")))?;
        // SAFETY: the file is this request's own: created 0600 with a random name in the
        // upload directory, written to its end before it is mapped and never written again;
        // it is removed only when the `SpooledFile` is dropped, and a removed file stays
        // mapped until the map is dropped.
        let map = unsafe { memmap2::Mmap::map(&file) }
            .map_err(|e| AppError::Internal(format!("mapping an upload: {e}")))?;
        Ok(Mapped::File(map))
    }
}

/// A kept upload (see [`SpooledFile::keep`]) mapped from disk, for the import queue.
pub fn map_kept(path: &std::path::Path) -> std::io::Result<Mapped> {
    let file = std::fs::File::open(path)?;
    if file.metadata()?.len() == 0 {
        return Ok(Mapped::Empty);
    }
    // SAFETY: the file is the queue's own (written whole by the upload, 0600, random name in
    // the upload directory) and never written again; it is removed only after the import
    // that maps it has finished and dropped the map.
    let map = unsafe { memmap2::Mmap::map(&file) }?;
    Ok(Mapped::File(map))
}

/// An uploaded file's content as the readers take it.
pub enum Mapped {
    /// No file, or an empty one.
    Empty,
    File(memmap2::Mmap),
}

impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        match self {
            Mapped::Empty => &[],
            Mapped::File(m) => m,
        }
    }
}

/// A multipart form as read: text fields, files on disk, and whether anything was refused.
#[derive(Default)]
pub struct UploadForm {
    texts: Vec<(String, String)>,
    files: Vec<SpooledFile>,
    /// Set when a file was larger than allowed (that file is left out, the other fields are
    /// read) or the form broke off (the fields before it are kept).
    pub problem: Option<UploadProblem>,
}

impl UploadForm {
    /// The first text field of that name ("" when absent).
    pub fn text(&self, name: &str) -> String {
        self.texts
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    /// Whether a text field of that name was sent.
    pub fn has(&self, name: &str) -> bool {
        self.texts.iter().any(|(n, _)| n == name)
    }

    /// The first non-empty file of that field.
    pub fn file(&self, field: &str) -> Option<&SpooledFile> {
        self.files.iter().find(|f| f.field == field)
    }

    /// For the API: the form's problem as the API answers it (413 over the limit, 422 naming
    /// `field` when unreadable), else its file `field` (422 with `missing`, a message key, when
    /// none came).
    pub fn api_file(&self, field: &str, missing: &str) -> Result<&SpooledFile, AppError> {
        self.api_problem(field)?;
        self.file(field).ok_or_else(|| missing_file(field, missing))
    }

    /// [`UploadForm::api_file`], taking the file out of the form (to keep it past the request).
    pub fn into_api_file(self, field: &str, missing: &str) -> Result<SpooledFile, AppError> {
        self.api_problem(field)?;
        self.into_file(field)
            .ok_or_else(|| missing_file(field, missing))
    }

    fn api_problem(&self, field: &str) -> Result<(), AppError> {
        match self.problem {
            Some(UploadProblem::TooLarge { .. }) => Err(AppError::PayloadTooLarge),
            Some(UploadProblem::Unreadable) => Err(AppError::Validation(vec![(
                field.into(),
                "error-upload".into(),
            )])),
            None => Ok(()),
        }
    }

    /// The first file of that field, taken out of the form (to keep it past the request).
    pub fn into_file(mut self, field: &str) -> Option<SpooledFile> {
        let i = self.files.iter().position(|f| f.field == field)?;
        Some(self.files.swap_remove(i))
    }

    /// Every non-empty file of that field, read into memory (evidence: each capped small).
    pub async fn evidence(
        &self,
        field: &str,
    ) -> Result<Vec<qcity_store::evidence::Upload>, AppError> {
        let mut out = Vec::new();
        for f in self.files.iter().filter(|f| f.field == field) {
            out.push(qcity_store::evidence::Upload {
                filename: f.name.clone(),
                bytes: f.bytes().await?,
            });
        }
        Ok(out)
    }
}

/// Reads a multipart form, streaming each file to disk and refusing one larger than
/// `max_file` bytes as it streams. Check who may upload before calling: the body is read
/// here. Not a multipart form at all → a field error on `file`.
pub async fn read_form(
    req: Request,
    state: &AppState,
    max_file: u64,
) -> Result<UploadForm, AppError> {
    let mut multipart = Multipart::from_request(req, state)
        .await
        .map_err(|_| AppError::Validation(vec![("file".into(), "error-upload".into())]))?;
    let dir = state.upload_dir();
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| AppError::Internal(format!("upload directory {}: {e}", dir.display())))?;
    // Text fields are small (a comment, a date); together they take at most a form's body.
    let max_text = state.config.max_body_bytes as u64;
    let mut text_total = 0u64;
    let mut form = UploadForm::default();
    let broken = |e: &axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            UploadProblem::TooLarge { max: max_file }
        } else {
            UploadProblem::Unreadable
        }
    };
    'fields: loop {
        let mut field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                form.problem = Some(broken(&e));
                break;
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        let Some(filename) = field.file_name().map(str::to_string) else {
            let mut text = Vec::new();
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        text_total += chunk.len() as u64;
                        if text_total > max_text {
                            form.problem = Some(UploadProblem::TooLarge { max: max_text });
                            break 'fields;
                        }
                        text.extend_from_slice(&chunk);
                    }
                    Ok(None) => break,
                    Err(e) => {
                        form.problem = Some(broken(&e));
                        break 'fields;
                    }
                }
            }
            form.texts
                .push((name, String::from_utf8_lossy(&text).into_owned()));
            continue;
        };
        let (file, path) = tempfile::Builder::new()
            .prefix("upload-")
            .tempfile_in(&dir)
            .map_err(|e| AppError::Internal(format!("temporary upload file: {e}")))?
            .into_parts();
        let mut file = tokio::fs::File::from_std(file);
        let mut len = 0u64;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    len += chunk.len() as u64;
                    if len > max_file {
                        // Dropping the path removes what was written; the rest of this file
                        // is skipped by the next `next_field`, so the fields after it arrive.
                        form.problem
                            .get_or_insert(UploadProblem::TooLarge { max: max_file });
                        continue 'fields;
                    }
                    file.write_all(&chunk)
                        .await
                        .map_err(|e| AppError::Internal(format!("writing an upload: {e}")))?;
                }
                Ok(None) => break,
                Err(e) => {
                    form.problem = Some(broken(&e));
                    break 'fields;
                }
            }
        }
        file.flush()
            .await
            .map_err(|e| AppError::Internal(format!("writing an upload: {e}")))?;
        drop(file);
        if len > 0 {
            form.files.push(SpooledFile {
                field: name,
                name: filename,
                len,
                path,
            });
        }
    }
    Ok(form)
}

/// Runs a reader over an uploaded file on a blocking thread (the runtime's threads keep
/// answering other requests). Call it holding a slot of the import pool.
pub async fn read_blocking<T: Send + 'static>(
    file: Option<&SpooledFile>,
    read: impl FnOnce(&[u8]) -> T + Send + 'static,
) -> Result<T, AppError> {
    let data = match file {
        Some(f) => f.map()?,
        None => Mapped::Empty,
    };
    tokio::task::spawn_blocking(move || read(data.as_ref()))
        .await
        .map_err(|e| AppError::Internal(format!("import reader: {e}")))
}

/// A page said "every import slot is busy, try again in a moment": 503 with `Retry-After`.
pub fn busy(mut res: Response) -> Response {
    *res.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
    res.headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
    res
}

fn missing_file(field: &str, missing: &str) -> AppError {
    AppError::Validation(vec![(field.into(), missing.into())])
}
