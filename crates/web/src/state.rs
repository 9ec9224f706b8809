//! What every request shares: the store, the operator's settings, the parsed plan, and what
//! the module list assembled. Built by `AppState::new` (in `lib.rs`, which assembles the app).

use crate::error::AppError;
use chrono::{FixedOffset, NaiveDate, Utc};
use qcity_store::Store;
use std::sync::Arc;

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
    /// Largest file accepted by an import route (spreadsheets, plan files), in bytes.
    pub max_import_bytes: usize,
    /// When reminders and escalations fire.
    pub ladder: qcity_store::notices::Ladder,
    /// The bearer token `/metrics` requires (`QCITY_METRICS_TOKEN`); `None` turns `/metrics` off.
    pub metrics_token: Option<String>,
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
            max_import_bytes: 2 * 1024 * 1024,
            ladder: qcity_store::notices::Ladder::default(),
            metrics_token: None,
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
    pub metrics: Arc<crate::metrics::Metrics>,
    pub limiter: Arc<crate::limiter::PublicLimiter>,
    /// The current plan version, parsed once per version.
    pub plan_cache: Arc<tokio::sync::RwLock<Option<CurrentPlan>>>,
    /// What the module list assembled: the navigation and the OpenAPI document.
    pub assembly: Arc<crate::module::Assembly>,
}

impl AppState {
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
