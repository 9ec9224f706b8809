//! PDF downloads (reports, bulletins): the CJK font they are drawn with, looked for once per
//! process, and the page shown where there is none.

use crate::error::{AppError, ErrorInfo, ErrorKind};
use axum::response::{IntoResponse, Response};
use qcity_exchange::ExchangeError;
use qcity_exchange::report::{FontData, find_cjk_font};
use std::sync::{Arc, OnceLock};

/// The CJK font: the font file named by `QCITY_PDF_FONT`, else the system's (Noto Sans CJK SC
/// from fonts-noto-cjk, or another of [`find_cjk_font`]'s list). Installing one takes a restart.
pub fn font() -> Option<Arc<FontData>> {
    static FONT: OnceLock<Option<Arc<FontData>>> = OnceLock::new();
    FONT.get_or_init(|| {
        let configured = std::env::var_os("QCITY_PDF_FONT").map(std::path::PathBuf::from);
        let mut font = None;
        if let Some(path) = &configured {
            font = find_cjk_font(Some(path));
            if font.is_none() {
                tracing::warn!(
                    path = %path.display(),
                    "QCITY_PDF_FONT is not a font with Chinese characters; trying the system's fonts"
                );
            }
        }
        let font = font.or_else(|| find_cjk_font(None));
        if font.is_none() {
            tracing::warn!("no CJK font installed (fonts-noto-cjk): nothing downloads as PDF");
        }
        font.map(Arc::new)
    })
    .clone()
}

/// A PDF download named `name`, written by `make` off the async workers (laying out and
/// drawing charts is CPU work); without a CJK font, a page that says so (503) rather than a
/// PDF of empty boxes.
pub async fn download<F>(name: &str, make: F) -> Result<Response, AppError>
where
    F: FnOnce(&FontData) -> Result<Vec<u8>, ExchangeError> + Send + 'static,
{
    let bytes = tokio::task::spawn_blocking(move || font().map(|f| make(&f)).transpose())
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(match bytes {
        Some(bytes) => crate::view::attachment(bytes, "application/pdf", name),
        None => no_font(),
    })
}

/// The error page for a PDF asked for where no CJK font is installed.
pub fn no_font() -> Response {
    let mut res = ErrorKind::Unavailable.status().into_response();
    res.extensions_mut().insert(ErrorInfo {
        kind: ErrorKind::Unavailable,
        fields: vec![],
        detail: "portal-pdf-no-font".into(),
    });
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    #[test]
    fn without_a_cjk_font_the_pdf_is_a_page_that_says_so() {
        let res = no_font();
        assert_eq!(res.status(), 503);
        let info = res.extensions().get::<ErrorInfo>();
        assert_eq!(info.map(|i| i.detail.as_str()), Some("portal-pdf-no-font"));
        assert!(Lang::ZhCn.t("portal-pdf-no-font").contains("中文字体"));
        assert_eq!(Lang::En.t("portal-download-pdf"), "Download PDF");
    }
}
