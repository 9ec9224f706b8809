//! The view layer shared by pages and the API: the page frame every template gets, rendering,
//! downloads, uploads, and the small helpers (the current plan, the domain's language, escaping,
//! local time) that both renderers use. It imports no page and no API module, so pages and the
//! API both stand on it.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::{AppError, ErrorInfo};
use crate::i18n::Lang;
use crate::module::NavEntry;
use askama::Template;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use chrono::FixedOffset;
use qcity_domain::plan::Plan;
use qcity_domain::role::Role;
use qcity_domain::target::Lang as TargetLang;
use std::sync::Arc;

impl Ctx {
    /// The page frame for this request.
    pub fn page(&self) -> PageCtx {
        PageCtx::new(self)
    }
}

/// What every page template needs: language, the signed-in user, the business date.
#[derive(Clone)]
pub struct PageCtx {
    pub lang: Lang,
    pub username: String,
    pub role: Option<Role>,
    /// The translation key of the role as the header names it (a city's office is 强市办, a
    /// district's liaison for its city's tasks is named so).
    role_key: String,
    pub unit_name: String,
    pub today: String,
    pub today_fixed: bool,
    pub path: String,
    pub unread: i64,
    /// Every module's navigation entries (filtered by role when shown).
    nav: Arc<[&'static NavEntry]>,
    /// Show the plan's transcription notes (the office asked for them on a plan page).
    pub show_notes: bool,
}

/// The translation key of an account's role in the header: by its level for an office, and
/// the liaison for a unit account working on a city's (or province's) own plan.
fn role_key(u: &qcity_store::users::User) -> String {
    match (u.role, u.owner_kind.as_deref()) {
        (Role::Office, Some(level @ ("city" | "province"))) => format!("role-office-{level}"),
        (Role::Unit, Some("city" | "province")) => "role-unit-liaison".into(),
        (role, _) => format!("role-{}", role.as_str()),
    }
}

impl PageCtx {
    /// The path of a static file by its content-hashed name (see [`crate::assets`]).
    pub fn asset(&self, name: &str) -> &'static str {
        crate::assets::href(name)
    }

    pub fn new(ctx: &Ctx) -> PageCtx {
        PageCtx {
            lang: ctx.lang,
            username: ctx
                .user
                .as_ref()
                .map(|u| u.username.clone())
                .unwrap_or_default(),
            role: ctx.user.as_ref().map(|u| u.role),
            role_key: ctx.user.as_ref().map(role_key).unwrap_or_default(),
            unit_name: ctx
                .user
                .as_ref()
                .and_then(|u| u.unit_name.clone())
                .unwrap_or_default(),
            today: ctx.today.format("%Y-%m-%d").to_string(),
            today_fixed: ctx.today_fixed,
            path: ctx.path.clone(),
            unread: ctx.unread,
            nav: ctx.nav.clone(),
            show_notes: false,
        }
    }

    /// A page for someone not signed in (login, error pages).
    pub fn anonymous(lang: Lang) -> PageCtx {
        PageCtx {
            lang,
            username: String::new(),
            role: None,
            role_key: String::new(),
            unit_name: String::new(),
            today: String::new(),
            today_fixed: false,
            path: String::new(),
            unread: 0,
            nav: Arc::new([]),
            show_notes: false,
        }
    }

    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn html_lang(&self) -> &'static str {
        self.lang.code()
    }

    pub fn signed_in(&self) -> bool {
        self.role.is_some()
    }

    /// Roles that see the supervision overview (read-only for leaders and evaluators).
    pub fn sees_overview(&self) -> bool {
        matches!(
            self.role,
            Some(Role::Office | Role::Leader | Role::Evaluator)
        )
    }

    /// Whether the caller may open evidence files (evaluators see their names only).
    pub fn reads_internal(&self) -> bool {
        self.role.is_some_and(Role::reads_internal_records)
    }

    pub fn is_unit(&self) -> bool {
        self.role == Some(Role::Unit)
    }

    pub fn is_leader(&self) -> bool {
        self.role == Some(Role::Leader)
    }

    pub fn is_office(&self) -> bool {
        self.role == Some(Role::Office)
    }

    /// The plan pages' notes on the transcription are for the office, on request
    /// (`?notes=1`); everyone else reads the plan without them.
    pub fn with_notes(mut self, asked: &str) -> PageCtx {
        self.show_notes = self.is_office() && asked == "1";
        self
    }

    /// An indicator status's tag (`met`, `off_track`, …) in this page's language.
    pub fn status(&self, key: &str) -> String {
        status_label(self.lang, key)
    }

    /// The main navigation for this user, left to right.
    pub fn nav(&self) -> Vec<&'static NavEntry> {
        self.nav
            .iter()
            .copied()
            .filter(|e| (e.shown_to)(self.role))
            .collect()
    }

    pub fn role_label(&self) -> String {
        if self.role_key.is_empty() {
            return String::new();
        }
        self.t(&self.role_key)
    }

    pub fn today_banner(&self) -> String {
        self.lang
            .t_args("banner-today-fixed", &[("date", self.today.clone())])
    }

    /// `aria-current` for the navigation link of the current area.
    pub fn current(&self, prefix: &str) -> &'static str {
        let here = if prefix == "/" {
            self.path == "/"
        } else {
            self.path.starts_with(prefix)
        };
        if here { "page" } else { "false" }
    }
}

/// A page re-rendered with its form errors: 422, so scripts and tests see the refusal.
pub fn unprocessable(mut res: Response) -> Response {
    *res.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    res
}

/// A page re-rendered because what it showed changed meanwhile: 409, nothing was done.
pub fn conflict(mut res: Response) -> Response {
    *res.status_mut() = axum::http::StatusCode::CONFLICT;
    res
}

/// A download: always an attachment (never shown inline), the file name without control or
/// bidirectional characters, in ASCII for old clients and in UTF-8 (RFC 6266/5987
/// `filename*=UTF-8''…`) for the rest; `nosniff`, so the declared type is the one used; never
/// cached by shared caches, since downloads are scoped to the caller.
/// A roll-up download in the format its route names: a Word document for `….docx`, else the
/// workbook. `stem` is the file's name without its extension; `title` heads the document.
pub fn rollup_download(
    uri: &axum::http::Uri,
    title: &str,
    tables: &[qcity_exchange::RollupTable],
    stem: &str,
) -> Result<Response, AppError> {
    let docx = uri.path().ends_with(".docx");
    let bytes = if docx {
        qcity_exchange::rollup_to_docx(title, tables)
    } else {
        qcity_exchange::rollup_to_xlsx(tables)
    }
    .map_err(|e| AppError::Internal(e.to_string()))?;
    let (mime, ext) = if docx {
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        )
    } else {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "xlsx",
        )
    };
    Ok(attachment(bytes, mime, &format!("{stem}.{ext}")))
}

pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
    let filename = qcity_store::evidence::sanitize_name(filename);
    let ascii: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    // RFC 5987 attr-char: everything else percent-encoded.
    let mut encoded = String::with_capacity(filename.len() * 3);
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
}

/// An evidence file's download: named after the type it was stored as.
pub fn evidence_download(bytes: Vec<u8>, mime: &str, stored_name: &str) -> Response {
    attachment(
        bytes,
        mime,
        &qcity_store::evidence::download_name(stored_name, mime),
    )
}

/// Renders a template into an HTML response (or an internal error).
pub fn render<T: Template>(t: &T) -> Response {
    match t.render() {
        Ok(body) => Html(body).into_response(),
        Err(e) => crate::AppError::Internal(format!("template: {e}")).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    ctx: PageCtx,
    title: String,
    messages: Vec<String>,
    info: &'a ErrorInfo,
}

pub fn render_error_page(lang: Lang, info: &ErrorInfo) -> Response {
    let mut messages: Vec<String> = info
        .fields
        .iter()
        .map(|(field, key)| format!("{}: {}", field, lang.t(key)))
        .collect();
    if !info.detail.is_empty() {
        messages.push(lang.t(&info.detail));
    }
    render(&ErrorPage {
        ctx: PageCtx::anonymous(lang),
        title: lang.t(info.kind.title_key()),
        messages,
        info,
    })
}

/// Only same-site relative paths are followed after a form, never another host.
pub fn safe_local_path(p: &str) -> String {
    // Browsers drop tabs and newlines from URLs ("/\t/evil" becomes "//evil"): refuse any
    // control character or whitespace outright.
    let clean = p.bytes().all(|b| b > 0x20 && b != 0x7f);
    if clean && p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') {
        p.to_string()
    } else {
        "/".to_string()
    }
}

/// The current plan of the caller's district, or a clear "no plan loaded" error page.
pub async fn require_plan(state: &AppState, ctx: &Ctx) -> Result<(i64, Arc<Plan>), AppError> {
    state
        .plan_of(ctx.actor().owner_id)
        .await?
        .ok_or(AppError::Conflict("plan-none".into()))
}

/// The domain's language (targets, explanations) for the page's.
pub fn target_lang(ctx: &PageCtx) -> TargetLang {
    ctx.lang.domain()
}

/// An indicator status's tag, in the same words its explanation ends with (the domain's
/// label), from its key; an unknown key shows as itself.
pub fn status_label(lang: Lang, key: &str) -> String {
    qcity_domain::target::Status::from_key(key)
        .map(|s| s.label(lang.domain()).to_string())
        .unwrap_or_else(|| key.to_string())
}

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Shows a stored UTC time in China Standard Time, to the minute.
pub fn local_time(utc: &str) -> String {
    match qcity_store::parse_time(utc) {
        Some(t) => {
            let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
            t.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()
        }
        None => utc.to_string(),
    }
}

/// Percent-encodes a URL query component.
pub fn encode_component(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
