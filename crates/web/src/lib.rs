//! QCity web layer: pages, JSON API, sign-in, security middleware, metrics.
//!
//! `router(state)` is the one place routes are composed; `serve` runs it on a listener, which
//! is how the binary and the in-process tests start the same server.

pub mod api;
pub mod assets;
pub mod charts;
pub mod ctx;
pub mod error;
pub mod i18n;
pub mod import_queue;
pub mod imports;
pub mod limiter;
pub mod listing;
pub mod metrics;
pub mod middleware;
pub mod module;
pub mod modules;
pub mod open311;
pub mod ops;
pub mod pages;
pub mod pdf;
pub mod state;
pub mod upload;
pub mod view;
pub mod view_cache;

use axum::Router;
use qcity_store::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

pub use error::AppError;
pub use state::{AppState, Config, CurrentPlan};

impl AppState {
    /// The state of an app made of [`modules::MODULES`].
    pub fn new(store: Store, config: Config) -> AppState {
        let limiter = limiter::PublicLimiter::new(config.public_posts_per_minute);
        let imports = state::ImportSlots::new(config.import_workers, config.import_wait);
        let upload_dir = config.upload_dir.clone().unwrap_or_else(std::env::temp_dir);
        let metrics = metrics::Metrics::new();
        let views = Arc::new(view_cache::ViewCache::new(
            config.keep_views,
            metrics.views.clone(),
        ));
        AppState {
            store,
            config: Arc::new(config),
            metrics: Arc::new(metrics),
            limiter: Arc::new(limiter),
            plan_cache: Arc::default(),
            assembly: Arc::new(modules::assembly()),
            imports: Arc::new(imports),
            import_queue: Arc::new(import_queue::ImportQueue::new(&upload_dir)),
            home_owner: Arc::default(),
            views,
        }
    }
}

/// All routes of all modules with all middleware.
pub fn router(state: AppState) -> Router {
    let (routes, _) = modules::routes(state.config.clone());
    let routes = routes.route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        middleware::district_guard,
    ));
    let app = routes.fallback(error::not_found);
    middleware::wrap(app, state)
}

/// Serves until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The dummy hash unknown usernames are checked against, made before the first sign-in.
    tokio::task::spawn_blocking(qcity_store::signin::warm_up);
    import_queue::start(state.clone());
    let refresher = view_cache::start_refresher(state.clone());
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    refresher.abort();
    served
}

/// Routes that act only on the caller's own session or account, never on a unit's records.
pub const SELF_ROUTES: &[&str] = &["/login", "/logout", "/password", "/lang"];

/// Routes open to everyone, signed in or not, that create only a record of the caller's own
/// (the public's complaint form, its additions by number and verification code, and a social
/// quality supervisor's filing by number and filing code).
pub const PUBLIC_ROUTES: &[&str] = &["/complaint", "/complaint/status", "/complaint/supervisor"];
