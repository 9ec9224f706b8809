//! A feature module as the web layer sees it: its routes (pages and API), its OpenAPI
//! operations, its navigation entries and its database part. The app is assembled from
//! [`crate::modules::MODULES`]: the router, the list of state-changing routes, the OpenAPI
//! document, the navigation and the store's migrations, backup tables and jobs all come from
//! that one list, so none of them is a second list that can drift.

use crate::AppState;
use crate::Config;
use axum::Router;
use axum::extract::Request;
use axum::handler::Handler;
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::MethodRouter;
use qcity_domain::role::Role;
use qcity_store::Schema;
use std::sync::Arc;

/// One feature module of the web layer.
pub struct Module {
    /// URL, message-id and audit prefix (`supervision`, `enterprises`, …); the same as its
    /// database part's.
    pub slug: &'static str,
    /// Its migrations, tables and scheduled jobs.
    pub schema: &'static Schema,
    /// Adds its pages and API routes.
    pub routes: fn(Routes) -> Routes,
    /// Its API operations (paths and schemas) for the OpenAPI document.
    pub openapi: fn() -> utoipa::openapi::OpenApi,
    /// Its entries in the main navigation.
    pub nav: &'static [NavEntry],
}

/// A link in the main navigation.
pub struct NavEntry {
    /// The Fluent message id of its label.
    pub label: &'static str,
    /// Where it goes (a GET page of its own module).
    pub path: &'static str,
    /// Position from the left; entries of all modules are sorted by it.
    pub order: u16,
    /// Who sees it: `None` is someone not signed in.
    pub shown_to: fn(Option<Role>) -> bool,
}

/// Shown to everyone signed in.
pub fn signed_in(role: Option<Role>) -> bool {
    role.is_some()
}

/// Shown to the office and leaders (the roles that compare districts).
pub fn office_and_leaders(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Office | Role::Leader))
}

/// Shown to the roles that read internal records (not evaluators).
pub fn internal_readers(role: Option<Role>) -> bool {
    role.is_some_and(Role::reads_internal_records)
}

/// Shown to the office only.
pub fn office_only(role: Option<Role>) -> bool {
    role == Some(Role::Office)
}

/// How large a request body a route takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyLimit {
    /// Forms and JSON: `Config::max_body_bytes`.
    Form,
    /// Evidence uploads: several files of up to `Config::max_evidence_bytes` each.
    Evidence,
    /// A spreadsheet or plan file to import: one file of up to `Config::max_import_bytes`
    /// (and the form around it).
    Import,
}

impl BodyLimit {
    pub fn bytes(self, config: &Config) -> usize {
        match self {
            BodyLimit::Form => config.max_body_bytes,
            BodyLimit::Evidence => config
                .max_evidence_bytes
                .saturating_mul(5)
                .saturating_add(1024 * 1024),
            BodyLimit::Import => config.max_import_bytes.saturating_add(1024 * 1024),
        }
    }
}

/// A route as the module list records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteInfo {
    pub method: Method,
    pub path: &'static str,
    pub limit: BodyLimit,
    /// Whether the route keeps its records per district (see [`Routes::per_district`]).
    pub per_district: bool,
}

impl RouteInfo {
    /// True for a method that changes state (every one but GET and HEAD).
    pub fn mutates(&self) -> bool {
        !matches!(self.method, Method::GET | Method::HEAD)
    }
}

/// Collects a module's routes: each one is added to the axum router with its body limit and
/// recorded, so that which routes change state is a property of how they were declared.
pub struct Routes {
    router: Router<AppState>,
    config: Arc<Config>,
    infos: Vec<RouteInfo>,
    per_district: bool,
}

impl Routes {
    pub fn new(config: Arc<Config>) -> Routes {
        Routes {
            router: Router::new(),
            config,
            infos: Vec::new(),
            per_district: false,
        }
    }

    /// Whether the routes added from here on keep their records per district: each reads and
    /// writes only the caller's district (`Actor::owner_id`), so accounts of every district of
    /// the installation may use them. A route added while this is off (the default, and what
    /// each module starts with) is refused to accounts of districts other than the home one,
    /// so a module that still reads the whole installation never shows one district's records
    /// to another.
    pub fn per_district(mut self, on: bool) -> Routes {
        self.per_district = on;
        self
    }

    pub fn get<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(
            Method::GET,
            path,
            BodyLimit::Form,
            axum::routing::get(handler),
        )
    }

    pub fn post<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(
            Method::POST,
            path,
            BodyLimit::Form,
            axum::routing::post(handler),
        )
    }

    pub fn put<H, T>(self, path: &'static str, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(
            Method::PUT,
            path,
            BodyLimit::Form,
            axum::routing::put(handler),
        )
    }

    /// A POST that takes files: the body limit is the route's, not the default.
    pub fn upload<H, T>(self, path: &'static str, limit: BodyLimit, handler: H) -> Routes
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add(Method::POST, path, limit, axum::routing::post(handler))
    }

    fn add(
        mut self,
        method: Method,
        path: &'static str,
        limit: BodyLimit,
        route: MethodRouter<AppState>,
    ) -> Routes {
        // Only what takes a body gets a limit: pages read no body, so GETs carry no layer.
        let route = if method == Method::GET {
            route
        } else {
            let bytes = limit.bytes(&self.config);
            route.layer(axum::middleware::from_fn(
                move |req: Request, next: Next| limit_body(bytes, req, next),
            ))
        };
        self.router = self.router.route(path, route);
        self.infos.push(RouteInfo {
            method,
            path,
            limit,
            per_district: self.per_district,
        });
        self
    }

    pub fn infos(&self) -> &[RouteInfo] {
        &self.infos
    }

    pub fn into_parts(self) -> (Router<AppState>, Vec<RouteInfo>) {
        (self.router, self.infos)
    }
}

/// Caps a request body at `limit` bytes: too large → 413, before the handler when the length
/// is declared, while reading otherwise.
async fn limit_body(limit: usize, req: Request, next: Next) -> Response {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
        return crate::AppError::PayloadTooLarge.into_response();
    }
    let (parts, body) = req.into_parts();
    let limited = axum::body::Body::new(http_body_util::Limited::new(body, limit));
    next.run(Request::from_parts(parts, limited)).await
}

/// What the module list assembles once at start-up for the requests to read.
pub struct Assembly {
    /// Every module's navigation entries, left to right (shared by every request).
    pub nav: Arc<[&'static NavEntry]>,
    /// The entries leading to pages kept per district: the navigation of accounts of a
    /// district other than the home one.
    pub district_nav: Arc<[&'static NavEntry]>,
    /// The routes kept per district (method, path pattern); the others are refused to those
    /// accounts.
    pub per_district: std::collections::HashMap<&'static str, Vec<Method>>,
    /// The OpenAPI document of every module's operations.
    pub openapi: utoipa::openapi::OpenApi,
}
