//! The static files (stylesheet, scripts, icon), built into the binary and served under a name
//! that carries a hash of their content (`/static/app.1a2b3c4d5e6f.css`). A browser may keep
//! such a file for a year without asking again: a changed file has another name, which the
//! pages name as soon as the new build runs. The plain names still answer (with a short cache)
//! for pages a browser kept from before.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::sync::LazyLock;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const FILES: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_str!("../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../static/app.js"),
    },
    Asset {
        name: "evidence.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_str!("../static/evidence.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: include_str!("../static/favicon.svg"),
    },
];

/// Each file's hashed name, in the order of `FILES`.
static HASHED: LazyLock<Vec<String>> = LazyLock::new(|| FILES.iter().map(hashed_name).collect());

/// Hashed paths, in the order of `FILES`.
static HREFS: LazyLock<Vec<String>> = LazyLock::new(|| {
    HASHED
        .iter()
        .map(|name| format!("/static/{name}"))
        .collect()
});

/// `app.css` → `app.<first 12 hex digits of its SHA-256>.css`.
fn hashed_name(a: &Asset) -> String {
    let digest = Sha256::digest(a.body.as_bytes());
    let hex: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    match a.name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}.{hex}.{ext}"),
        None => format!("{}.{hex}", a.name),
    }
}

/// The path pages name a static file by (its hashed name); `/static/<name>` for an unknown one.
pub fn href(name: &str) -> &'static str {
    FILES
        .iter()
        .position(|a| a.name == name)
        .map(|i| HREFS[i].as_str())
        .unwrap_or("/static/missing")
}

/// `GET /static/{file}`: by hashed name for a year, by plain name for an hour.
pub async fn serve(Path(file): Path<String>) -> Response {
    if let Some(i) = HASHED.iter().position(|h| *h == file) {
        return answer(&FILES[i], "public, max-age=31536000, immutable");
    }
    match FILES.iter().find(|a| a.name == file) {
        Some(a) => answer(a, "public, max-age=3600"),
        None => crate::error::AppError::NotFound.into_response(),
    }
}

/// `GET /favicon.ico`: browsers ask for it by this name whatever the page says.
pub async fn favicon() -> Response {
    serve(Path("favicon.svg".to_string())).await
}

fn answer(a: &Asset, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, a.content_type),
            (header::CACHE_CONTROL, cache),
        ],
        a.body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_file_has_a_content_hashed_name_that_serves_it() {
        for (a, name) in FILES.iter().zip(HASHED.iter()) {
            let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
            assert!(
                name.starts_with(&format!("{stem}.")) && name.ends_with(ext),
                "{name}"
            );
            assert_eq!(name.len(), a.name.len() + 13, "{name}");
            assert_eq!(href(a.name), format!("/static/{name}"));
        }
        // Different contents, different names.
        let mut names = HASHED.clone();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), FILES.len());
        assert_eq!(href("nothing.css"), "/static/missing");
    }
}
