//! Server-rendered pages (askama templates), one module per area.

pub mod acceptance;
pub mod admin;
pub mod assessment;
pub mod auth;
pub mod bulletins;
pub mod enterprises;
pub mod home;
pub mod indicators;
pub mod obligations;
pub mod plan;
pub mod plan_versions;
pub mod reports;
pub mod sampling;
pub mod units;

use crate::AppState;
use crate::ctx::{Ctx, LANG_COOKIE};
use crate::error::ErrorInfo;
use crate::i18n::Lang;
use crate::middleware::see_other;
use askama::Template;
use axum::Form;
use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use qcity_domain::role::Role;
use serde::Deserialize;

/// What every page template needs: language, the signed-in user, the business date.
pub struct PageCtx {
    pub lang: Lang,
    pub username: String,
    pub role: Option<Role>,
    pub unit_name: String,
    pub today: String,
    pub today_fixed: bool,
    pub path: String,
    pub unread: i64,
}

impl PageCtx {
    pub fn new(ctx: &Ctx) -> PageCtx {
        PageCtx {
            lang: ctx.lang,
            username: ctx
                .user
                .as_ref()
                .map(|u| u.username.clone())
                .unwrap_or_default(),
            role: ctx.user.as_ref().map(|u| u.role),
            unit_name: ctx
                .user
                .as_ref()
                .and_then(|u| u.unit_name.clone())
                .unwrap_or_default(),
            today: ctx.today.format("%Y-%m-%d").to_string(),
            today_fixed: ctx.today_fixed,
            path: ctx.path.clone(),
            unread: ctx.unread,
        }
    }

    /// A page for someone not signed in (login, error pages).
    pub fn anonymous(lang: Lang) -> PageCtx {
        PageCtx {
            lang,
            username: String::new(),
            role: None,
            unit_name: String::new(),
            today: String::new(),
            today_fixed: false,
            path: String::new(),
            unread: 0,
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

    pub fn is_unit(&self) -> bool {
        self.role == Some(Role::Unit)
    }

    pub fn is_leader(&self) -> bool {
        self.role == Some(Role::Leader)
    }

    pub fn is_office(&self) -> bool {
        self.role == Some(Role::Office)
    }

    pub fn role_label(&self) -> String {
        self.role
            .map(|r| self.t(&format!("role-{}", r.as_str())))
            .unwrap_or_default()
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

/// A download: the file name in ASCII for old clients and in UTF-8 (RFC 5987) for the rest;
/// never cached by shared caches, since downloads are scoped to the caller.
pub fn attachment(bytes: Vec<u8>, content_type: &str, filename: &str) -> Response {
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
    let encoded = crate::middleware::encode_component(filename);
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
            ),
            (header::CACHE_CONTROL, "private, no-store".to_string()),
        ],
        bytes,
    )
        .into_response()
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

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/lang", post(switch_lang))
        .route("/static/app.css", get(stylesheet))
        .route("/static/app.js", get(script))
        .route("/static/favicon.svg", get(favicon))
        .route("/favicon.ico", get(favicon))
        .merge(auth::router())
        .merge(admin::router())
        .merge(units::router())
        .merge(plan::router())
        .merge(plan_versions::router())
        .merge(obligations::router())
        .merge(bulletins::router())
        .merge(indicators::router())
        .merge(enterprises::router())
        .merge(sampling::router())
        .merge(assessment::router())
        .merge(acceptance::router())
        .merge(reports::router())
}

#[derive(Deserialize)]
struct LangForm {
    #[serde(default)]
    lang: String,
    #[serde(default)]
    back: String,
}

/// Sets the language cookie and returns to the page the switch was pressed on.
async fn switch_lang(ctx: Ctx, jar: CookieJar, Form(f): Form<LangForm>) -> Response {
    let lang = Lang::from_code(&f.lang).unwrap_or(ctx.lang);
    let cookie = Cookie::build((LANG_COOKIE, lang.code()))
        .path("/")
        .same_site(SameSite::Lax)
        .permanent()
        .build();
    (jar.add(cookie), see_other(&safe_local_path(&f.back))).into_response()
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

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

async fn favicon() -> Response {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        include_str!("../../static/favicon.svg"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
        .into_response()
}

/// Reads the multipart field `file` of an upload form: its file name and bytes (empty when
/// absent). Check who may upload before calling: the body is read here.
pub async fn read_upload(
    req: axum::extract::Request,
    state: &AppState,
) -> Result<(String, Vec<u8>), crate::error::AppError> {
    use axum::extract::FromRequest;
    let mut form = axum::extract::Multipart::from_request(req, state)
        .await
        .map_err(|_| {
            crate::error::AppError::Validation(vec![("file".into(), "error-upload".into())])
        })?;
    let mut out = (String::new(), Vec::new());
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|_| crate::error::AppError::PayloadTooLarge)?
    {
        if field.name() == Some("file") {
            out.0 = field.file_name().unwrap_or("upload").to_string();
            out.1 = field
                .bytes()
                .await
                .map_err(|_| crate::error::AppError::PayloadTooLarge)?
                .to_vec();
        }
    }
    Ok(out)
}
