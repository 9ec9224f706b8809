//! The layers around every route: request ids, metrics, security headers, error rendering,
//! CSRF protection, body limits and panic catching.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::error::{ErrorInfo, ErrorKind};
use crate::i18n::Lang;
use crate::view::encode_component;
use crate::view::render_error_page;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Redirect, Response};
use axum_extra::extract::CookieJar;
use qcity_domain::role::Role;
use std::time::Instant;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::csrf::CsrfLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::set_header::SetResponseHeaderLayer;

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'";

pub fn wrap(app: Router<AppState>, state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    let mut csrf = CsrfLayer::new();
    for origin in &state.config.trusted_origins {
        match csrf.clone().add_trusted_origin(origin) {
            Ok(c) => csrf = c,
            Err(e) => tracing::warn!(%origin, error = %e, "ignoring invalid trusted origin"),
        }
    }
    let layers = ServiceBuilder::new()
        .layer(CompressionLayer::new().compress_when(compressible()))
        .layer(axum::middleware::from_fn(drop_client_request_id))
        .layer(SetRequestIdLayer::new(
            x_request_id.clone(),
            RandomRequestId,
        ))
        .layer(PropagateRequestIdLayer::new(x_request_id))
        .layer(from_fn_with_state(state.clone(), record_metrics))
        .layer(from_fn_with_state(state.clone(), wake_view_refresher))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages and API answers carry a user's data: no browser or proxy keeps a copy. Only
        // the static assets, which set their own, are cached.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .layer(from_fn_with_state(state.clone(), render_errors))
        .layer(axum::middleware::from_fn(open311_without_cookies))
        .layer(csrf)
        .layer(DefaultBodyLimit::disable())
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            ErrorKind::Internal.status().into_response()
        }));
    app.layer(layers).with_state(state)
}

/// Pages, API answers, scripts and CSV compress; images (but SVG), the office files and PDFs,
/// which are compressed already, and tiny answers do not.
fn compressible() -> impl Predicate {
    DefaultPredicate::new()
        .and(NotForContentType::const_new(
            "application/vnd.openxmlformats",
        ))
        .and(NotForContentType::const_new("application/pdf"))
        .and(NotForContentType::const_new("application/zip"))
}

/// Open311 (`/open311/`) authenticates by its `api_key`, never by a session: its requests
/// lose their cookies here, so a cross-site post has no ambient credential to ride on, and
/// with that their `Origin` and `Sec-Fetch-Site`, so the CSRF layer, which guards the
/// cookie-authenticated forms, lets an integrator's web client post.
async fn open311_without_cookies(mut req: Request, next: Next) -> Response {
    if req.uri().path().starts_with("/open311/") {
        let headers = req.headers_mut();
        headers.remove(header::COOKIE);
        headers.remove(header::ORIGIN);
        headers.remove("sec-fetch-site");
    }
    next.run(req).await
}

/// The request id goes into the audit trail, so it is always ours, never the client's.
async fn drop_client_request_id(mut req: Request, next: Next) -> Response {
    req.headers_mut().remove("x-request-id");
    next.run(req).await
}

#[derive(Clone, Copy)]
struct RandomRequestId;

impl MakeRequestId for RandomRequestId {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let token = qcity_store::auth::random_token();
        HeaderValue::from_str(&token[..16]).ok().map(RequestId::new)
    }
}

/// The request's language without touching the database (for error pages).
pub fn lang_of(headers: &axum::http::HeaderMap) -> Lang {
    CookieJar::from_headers(headers)
        .get(crate::ctx::LANG_COOKIE)
        .and_then(|c| Lang::from_code(c.value()))
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

async fn render_errors(State(_state): State<AppState>, req: Request, next: Next) -> Response {
    let lang = lang_of(req.headers());
    let path = req.uri().path().to_string();
    let query = req
        .uri()
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let is_get = req.method() == axum::http::Method::GET;
    let is_api = path.starts_with("/api/");
    let res = next.run(req).await;
    if path == "/healthz" || path == "/metrics" {
        return res;
    }
    let info = match res.extensions().get::<ErrorInfo>() {
        Some(info) => info.clone(),
        None => {
            // Responses from layers and extractors we do not own (CSRF, body limit, routing,
            // malformed JSON/form) come without our marker and without a body type we chose.
            let untyped = !res.headers().contains_key(header::CONTENT_TYPE)
                || res
                    .headers()
                    .get(header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
            match ErrorKind::from_status(res.status()) {
                Some(kind)
                    if untyped
                        && (res.status().is_client_error() || res.status().is_server_error()) =>
                {
                    ErrorInfo {
                        kind,
                        fields: vec![],
                        detail: String::new(),
                    }
                }
                _ => return res,
            }
        }
    };
    if is_api {
        let fields: serde_json::Map<String, serde_json::Value> = info
            .fields
            .iter()
            .map(|(f, key)| (f.clone(), serde_json::Value::String(lang.t(key))))
            .collect();
        let body = serde_json::json!({
            "error": info.kind.code(),
            "message": lang.t(info.kind.title_key()),
            "fields": fields,
            "detail": if info.detail.is_empty() { String::new() } else { lang.t(&info.detail) },
        });
        return (info.kind.status(), axum::Json(body)).into_response();
    }
    match info.kind {
        ErrorKind::Unauthorized => {
            let next = if is_get {
                format!("{path}{query}")
            } else {
                "/".into()
            };
            Redirect::to(&format!("/login?next={}", encode_component(&next))).into_response()
        }
        ErrorKind::MustChangePassword => Redirect::to("/password").into_response(),
        kind => {
            let mut res = render_error_page(lang, &info);
            *res.status_mut() = kind.status();
            res
        }
    }
}

async fn record_metrics(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let res = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        res.status(),
        started.elapsed().as_secs_f64(),
    );
    res
}

/// A request that may have changed something (a form, an API call) and did not fail wakes
/// the kept views' refresher (`view_cache::start_refresher`): the overviews are computed again
/// before their next reader asks. It finds nothing to do if nothing changed.
async fn wake_view_refresher(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let reads = matches!(
        *req.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    let res = next.run(req).await;
    if !reads && !res.status().is_client_error() && !res.status().is_server_error() {
        state.views.changed();
    }
    res
}

/// A redirect after a successful form post (303, so the browser follows with GET).
pub fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_string())]).into_response()
}

/// Keeps accounts of a district other than the home one to the routes kept per district
/// (`Routes::per_district`): any other answers that the district does not use it yet, so a
/// module that still reads the whole installation never shows them another district's
/// records. A city's or province's accounts start from the comparison of their districts.
pub async fn district_guard(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    let Some(path) = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
    else {
        return next.run(req).await;
    };
    let kept = state
        .assembly
        .per_district
        .get(path.as_str())
        .is_some_and(|methods| methods.contains(req.method()));
    if kept && path != "/" {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let ctx = match <Ctx as axum::extract::FromRequestParts<AppState>>::from_request_parts(
        &mut parts, &state,
    )
    .await
    {
        Ok(ctx) => ctx,
        Err(e) => return e.into_response(),
    };
    if ctx.other_district {
        // A district's accounts have their own home page; a city's or province's, with no
        // plan of their own yet, start from the comparison of their districts.
        let own_plan = match ctx.actor().owner_id {
            Some(id) => matches!(
                qcity_store::plan::current_version_of_id(&state.store, id).await,
                Ok(v) if v > 0
            ),
            None => true,
        };
        if path == "/" && !own_plan {
            let to = match ctx.user.as_ref().map(|u| u.role) {
                Some(Role::Unit) => "/obligations",
                _ => "/supervision/districts",
            };
            return see_other(to);
        }
        if !kept {
            return AppError::Conflict("district-not-yet".into()).into_response();
        }
    }
    next.run(Request::from_parts(parts, body)).await
}
