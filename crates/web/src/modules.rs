//! The module list: the one place a feature module is named. The router, the state-changing
//! routes, the OpenAPI document, the navigation, and the store's migrations, backup tables and
//! scheduled jobs are all built from [`MODULES`]. `docs/architecture.md` says how to add one.

use crate::module::{Assembly, Module, NavEntry, RouteInfo, Routes, office_only, signed_in};
use crate::{AppState, Config, api, ops, pages};
use axum::Router;
use qcity_store::Schema;
use std::sync::Arc;

/// Every module of the app, core first.
pub static MODULES: &[&Module] = &[
    &CORE,
    &pages::import_jobs::MODULE,
    &pages::plan::MODULE,
    &pages::obligations::MODULE,
    &pages::indicators::MODULE,
    &pages::enterprises::MODULE,
    &pages::sampling::MODULE,
    &pages::assessment::MODULE,
    &pages::acceptance::MODULE,
    &pages::reports::MODULE,
    &pages::complaints::MODULE,
];

/// Accounts, units, sign-in, the audit trail, the API frame, health and metrics.
pub static CORE: Module = Module {
    slug: "core",
    schema: &qcity_store::schema::CORE,
    routes: |r| {
        // The home page, the language switch, sign-in and health serve every district.
        let r = pages::core_routes(r.per_district(true));
        let r = pages::auth::routes(r);
        let r = ops::routes(r);
        let r = pages::admin::routes(r);
        let r = pages::units::routes(r.per_district(true));
        api::core_routes(r)
    },
    openapi: <api::ApiDoc as utoipa::OpenApi>::openapi,
    nav: &[
        NavEntry {
            label: "nav-home",
            path: "/",
            order: 10,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-units",
            path: "/units",
            order: 140,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-users",
            path: "/admin/users",
            order: 150,
            shown_to: office_only,
        },
        NavEntry {
            label: "nav-audit",
            path: "/admin/audit",
            order: 160,
            shown_to: office_only,
        },
        NavEntry {
            label: "nav-api",
            path: "/api/docs",
            order: 170,
            shown_to: signed_in,
        },
    ],
};

/// The database parts of every module, for [`qcity_store::Store::connect`].
pub fn schema() -> Vec<&'static Schema> {
    MODULES.iter().map(|m| m.schema).collect()
}

/// Connects to the database for this app (its modules' migrations, tables and jobs).
pub async fn connect(url: &str) -> qcity_store::Result<qcity_store::Store> {
    qcity_store::Store::connect(url, &schema()).await
}

/// Every route of every module.
pub fn routes(config: Arc<Config>) -> (Router<AppState>, Vec<RouteInfo>) {
    MODULES
        .iter()
        // Each module starts with its routes refused to other districts until it says otherwise.
        .fold(Routes::new(config), |r, m| {
            (m.routes)(r.per_district(false))
        })
        .into_parts()
}

/// Every state-changing route (method, path), in declaration order.
pub fn mutating_routes() -> Vec<RouteInfo> {
    routes(Arc::new(Config::default()))
        .1
        .into_iter()
        .filter(RouteInfo::mutates)
        .collect()
}

/// The OpenAPI document: the core's title and security, every module's operations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = (CORE.openapi)();
    for m in MODULES.iter().skip(1) {
        doc.merge((m.openapi)());
    }
    api::complete_document(&mut doc);
    doc
}

/// Every navigation entry, left to right.
pub fn nav() -> Vec<&'static NavEntry> {
    let mut entries: Vec<&NavEntry> = MODULES.iter().flat_map(|m| m.nav.iter()).collect();
    entries.sort_by_key(|e| e.order);
    entries
}

/// What requests read of the module list: the navigation and the OpenAPI document.
pub fn assembly() -> Assembly {
    // By path, so that a request looks its route up without building a key.
    let mut per_district: std::collections::HashMap<&'static str, Vec<axum::http::Method>> =
        std::collections::HashMap::new();
    for r in routes(Arc::new(Config::default())).1 {
        if r.per_district {
            per_district.entry(r.path).or_default().push(r.method);
        }
    }
    let district_nav: Vec<&'static NavEntry> = nav()
        .into_iter()
        .filter(|e| {
            per_district
                .get(e.path)
                .is_some_and(|ms| ms.contains(&axum::http::Method::GET))
        })
        .collect();
    Assembly {
        nav: nav().into(),
        district_nav: district_nav.into(),
        per_district,
        openapi: openapi(),
    }
}
