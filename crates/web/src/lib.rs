//! QCity web layer: pages, JSON API, sign-in, security middleware, metrics.
//!
//! `router(state)` is the one place routes are composed; `serve` runs it on a listener, which
//! is how the binary and the in-process tests start the same server.

pub mod api;
pub mod charts;
pub mod ctx;
pub mod error;
pub mod i18n;
pub mod middleware;
pub mod ops;
pub mod pages;

use axum::Router;
use chrono::{FixedOffset, NaiveDate, Utc};
use qcity_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use error::AppError;

/// Settings the operator can change (from the command line).
#[derive(Debug, Clone)]
pub struct Config {
    /// A session unused for this long ends (等保: idle timeout).
    pub idle_timeout: chrono::Duration,
    /// A session ends this long after sign-in whatever its use.
    pub session_max_age: chrono::Duration,
    /// The business date the whole product uses instead of today's (demos, training, tests).
    pub today: Option<NaiveDate>,
    /// Mark cookies `Secure` (behind HTTPS).
    pub secure_cookies: bool,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Sign-in attempts and other public posts allowed per source address per minute.
    pub public_posts_per_minute: u32,
    /// Origins allowed to post besides the server's own (a reverse proxy's public address).
    pub trusted_origins: Vec<String>,
    /// Reverse proxies whose `X-Forwarded-For` is believed: behind one, every request comes from
    /// its address, which would make per-address lockout and rate limits global.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Largest evidence file accepted, in bytes (20 MB by default).
    pub max_evidence_bytes: usize,
    /// When reminders and escalations fire.
    pub ladder: qcity_store::notices::Ladder,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            idle_timeout: chrono::Duration::minutes(30),
            session_max_age: chrono::Duration::hours(12),
            today: None,
            secure_cookies: false,
            max_body_bytes: 2 * 1024 * 1024,
            public_posts_per_minute: 30,
            trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            max_evidence_bytes: 20 * 1024 * 1024,
            ladder: qcity_store::notices::Ladder::default(),
        }
    }
}

/// A plan version number and the parsed plan.
pub type CurrentPlan = (i64, Arc<qcity_domain::plan::Plan>);

/// Shared by every request.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub config: Arc<Config>,
    pub metrics: Arc<ops::Metrics>,
    pub limiter: Arc<middleware::PublicLimiter>,
    /// The current plan version, parsed once per version.
    pub plan_cache: Arc<tokio::sync::RwLock<Option<CurrentPlan>>>,
}

impl AppState {
    pub fn new(store: Store, config: Config) -> AppState {
        let limiter = middleware::PublicLimiter::new(config.public_posts_per_minute);
        AppState {
            store,
            config: Arc::new(config),
            metrics: Arc::new(ops::Metrics::new()),
            limiter: Arc::new(limiter),
            plan_cache: Arc::default(),
        }
    }

    /// The current plan (None before any plan is loaded). Re-parsed only when a new version lands.
    pub async fn plan(&self) -> Result<Option<CurrentPlan>, AppError> {
        let version = qcity_store::plan::current_version(&self.store).await?;
        if version == 0 {
            return Ok(None);
        }
        if let Some((v, plan)) = self.plan_cache.read().await.as_ref()
            && *v == version
        {
            return Ok(Some((*v, plan.clone())));
        }
        let Some((v, plan)) = qcity_store::plan::current(&self.store).await? else {
            return Ok(None);
        };
        let plan = Arc::new(plan);
        *self.plan_cache.write().await = Some((v, plan.clone()));
        Ok(Some((v, plan)))
    }

    /// The business date: the configured one, or today in China Standard Time.
    pub fn today(&self) -> NaiveDate {
        self.config.today.unwrap_or_else(|| {
            let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
            Utc::now().with_timezone(&cst).date_naive()
        })
    }
}

/// All routes with all middleware.
pub fn router(state: AppState) -> Router {
    let app = Router::new()
        .merge(pages::router())
        .merge(api::router())
        .merge(ops::router())
        .fallback(error::not_found);
    middleware::wrap(app, state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Every state-changing route. The scope test walks each one as a user of another unit;
/// a unit test checks that the router defines no state-changing route missing from this list.
pub const MUTATING_ROUTES: &[(&str, &str)] = &[
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/password"),
    ("POST", "/lang"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{username}/reset"),
    ("POST", "/admin/users/{username}/disable"),
    ("POST", "/admin/users/{username}/enable"),
    ("POST", "/units/{code}/contact"),
    ("POST", "/api/v1/units"),
    ("PUT", "/api/v1/units/{code}/contact"),
    ("POST", "/api/v1/users"),
    ("POST", "/plan/import"),
    ("POST", "/obligations/{id}/reports"),
    ("POST", "/obligations/{id}/review"),
    ("POST", "/obligations/{id}/extension"),
    ("POST", "/extensions/{id}/decide"),
    ("POST", "/notices"),
    ("POST", "/notices/{id}/read"),
    ("POST", "/notices/{id}/respond"),
    ("POST", "/bulletins"),
    ("POST", "/api/v1/obligations/{id}/reports"),
    ("POST", "/api/v1/reports/{id}/review"),
    ("POST", "/indicators/{code}/values"),
    ("POST", "/indicators/{code}/disclosure"),
    ("POST", "/indicator-values/{id}/decide"),
    ("POST", "/api/v1/indicators/{code}/values"),
    ("POST", "/indicators/import"),
    ("POST", "/indicator-values/{id}/files"),
    ("POST", "/enterprises"),
    ("POST", "/enterprises/import"),
    ("POST", "/enterprises/code-overrides"),
    ("POST", "/enterprises/{id}/edit"),
    ("POST", "/enterprises/{id}/licences"),
    ("POST", "/enterprises/{id}/events"),
    ("POST", "/enterprises/{id}/listings"),
    ("POST", "/credit-events/{id}/withdraw"),
    ("POST", "/listings/{id}/act"),
    ("POST", "/credit/rules"),
    ("POST", "/sampling"),
    ("POST", "/sampling/import"),
    ("POST", "/sampling/{id}/followup"),
    // assessment routes (issue 6)
    ("POST", "/assessment/scheme"),
    ("POST", "/assessment/scheme/import"),
    ("POST", "/assessment/windows"),
    ("POST", "/assessment/windows/{id}/close"),
    ("POST", "/assessment/windows/{id}/ratings"),
    // acceptance routes (issue 6)
    ("POST", "/acceptance/sheet"),
    ("POST", "/acceptance/sheet/import"),
    ("POST", "/acceptance/{stage}/open"),
    ("POST", "/acceptance/{stage}/date"),
    ("POST", "/acceptance/{stage}/decide"),
    ("POST", "/acceptance/{stage}/findings"),
    ("POST", "/acceptance/{stage}/findings/{id}/delete"),
    ("POST", "/acceptance/{stage}/rectifications"),
    ("POST", "/acceptance/{stage}/rectifications/{id}/done"),
    // report routes (issue 6)
    ("POST", "/reports/new"),
    ("POST", "/reports/{id}/narrative"),
    ("POST", "/reports/{id}/issue"),
    ("POST", "/reports/{id}/publish"),
];

/// Routes that act only on the caller's own session or account, never on a unit's records.
pub const SELF_ROUTES: &[&str] = &["/login", "/logout", "/password", "/lang"];

/// Sources whose translation keys a test checks against the message files.
#[cfg(test)]
pub(crate) const TRANSLATED_SOURCES: &[&str] = &[
    include_str!("ctx.rs"),
    include_str!("error.rs"),
    include_str!("pages/mod.rs"),
    include_str!("pages/auth.rs"),
    include_str!("pages/admin.rs"),
    include_str!("pages/units.rs"),
    include_str!("pages/home.rs"),
    include_str!("pages/plan.rs"),
    include_str!("pages/plan_versions.rs"),
    include_str!("../templates/plan_versions.html"),
    include_str!("pages/obligations.rs"),
    include_str!("../templates/obligations.html"),
    include_str!("../templates/obligation.html"),
    include_str!("../templates/supervision.html"),
    include_str!("../templates/notices.html"),
    include_str!("pages/bulletins.rs"),
    include_str!("../templates/bulletins.html"),
    include_str!("../templates/bulletin.html"),
    include_str!("pages/indicators.rs"),
    include_str!("../templates/indicators.html"),
    include_str!("../templates/indicator.html"),
    include_str!("../templates/public.html"),
    include_str!("../templates/indicator_import.html"),
    include_str!("../templates/macros.html"),
    include_str!("../templates/plan.html"),
    include_str!("../templates/plan_indicators.html"),
    include_str!("../templates/plan_tasks.html"),
    include_str!("api/mod.rs"),
    include_str!("api/supervision.rs"),
    include_str!("api/assessment.rs"),
    include_str!("api/acceptance.rs"),
    include_str!("api/reports.rs"),
    include_str!("../templates/base.html"),
    include_str!("../templates/login.html"),
    include_str!("../templates/password.html"),
    include_str!("../templates/home.html"),
    include_str!("../templates/users.html"),
    include_str!("../templates/audit.html"),
    include_str!("../templates/units.html"),
    include_str!("../templates/unit.html"),
    include_str!("../templates/error.html"),
    include_str!("../templates/api_docs.html"),
    include_str!("../templates/secret.html"),
    include_str!("pages/enterprises.rs"),
    include_str!("pages/sampling.rs"),
    include_str!("../templates/enterprises.html"),
    include_str!("../templates/enterprise.html"),
    include_str!("../templates/registry_import.html"),
    include_str!("../templates/blacklist.html"),
    include_str!("../templates/credit_rules.html"),
    include_str!("../templates/sampling.html"),
    include_str!("../templates/sampling_record.html"),
    include_str!("../templates/public_enterprises.html"),
    include_str!("../templates/public_blacklist.html"),
    include_str!("../templates/public_sampling.html"),
    include_str!("pages/assessment.rs"),
    include_str!("../templates/assessment.html"),
    include_str!("../templates/assessment_unit.html"),
    include_str!("../templates/leader.html"),
    include_str!("pages/acceptance.rs"),
    include_str!("../templates/acceptance.html"),
    include_str!("../templates/acceptance_stage.html"),
    include_str!("../templates/acceptance_sheet.html"),
    include_str!("pages/reports.rs"),
    include_str!("../templates/reports.html"),
    include_str!("../templates/report.html"),
];

#[cfg(test)]
mod route_list_tests {
    /// Router sources: every `.route(` line with a state-changing method must be listed.
    const ROUTER_SOURCES: &[&str] = &[
        include_str!("pages/mod.rs"),
        include_str!("pages/auth.rs"),
        include_str!("pages/admin.rs"),
        include_str!("pages/units.rs"),
        include_str!("pages/plan.rs"),
        include_str!("pages/plan_versions.rs"),
        include_str!("pages/obligations.rs"),
        include_str!("pages/bulletins.rs"),
        include_str!("pages/indicators.rs"),
        include_str!("pages/enterprises.rs"),
        include_str!("pages/sampling.rs"),
        include_str!("pages/assessment.rs"),
        include_str!("pages/acceptance.rs"),
        include_str!("pages/reports.rs"),
        include_str!("api/mod.rs"),
        include_str!("api/supervision.rs"),
        include_str!("api/indicators.rs"),
        include_str!("api/registers.rs"),
        include_str!("api/assessment.rs"),
        include_str!("api/acceptance.rs"),
        include_str!("api/reports.rs"),
        include_str!("ops.rs"),
    ];

    #[test]
    fn every_state_changing_route_is_listed() {
        let mut found = Vec::new();
        for src in ROUTER_SOURCES {
            // Each `.route(` call up to its closing parenthesis, however rustfmt wrapped it.
            for (start, _) in src.match_indices(".route(") {
                let mut depth = 0;
                let mut end = start;
                for (i, ch) in src[start..].char_indices() {
                    match ch {
                        '(' => depth += 1,
                        ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = start + i;
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let call = &src[start..end];
                let path = call.split('"').nth(1).unwrap_or_default();
                for (method, marker) in [
                    ("POST", "post("),
                    ("PUT", "put("),
                    ("DELETE", "delete("),
                    ("PATCH", "patch("),
                ] {
                    if call.contains(marker) {
                        found.push((method, path.to_string()));
                    }
                }
            }
        }
        assert!(
            found.len() >= 10,
            "the scan found too few routes: {found:?}"
        );
        for (method, path) in &found {
            assert!(
                super::MUTATING_ROUTES
                    .iter()
                    .any(|(m, p)| m == method && p == path),
                "{method} {path} changes state but is not in MUTATING_ROUTES"
            );
        }
        assert_eq!(
            found.len(),
            super::MUTATING_ROUTES.len(),
            "MUTATING_ROUTES lists a route the router lacks"
        );
    }
}
