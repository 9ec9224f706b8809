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
    /// Largest file accepted by an import route (spreadsheets, plan files), in bytes: as large
    /// as the command line takes (256 MB by default), streamed to disk, never held in memory.
    pub max_import_bytes: usize,
    /// Where uploads are streamed to while a request reads them (the data directory's
    /// `uploads`; the system's temporary directory when not set). Each file is removed when
    /// its request ends.
    pub upload_dir: Option<std::path::PathBuf>,
    /// Imports read at once (the import pool); `0` sizes it from the machine: one per core
    /// but one, at least one, so the server keeps a core for everyone else.
    pub import_workers: usize,
    /// How long an import waits for a free slot in the pool before the user is told to try
    /// again in a moment.
    pub import_wait: std::time::Duration,
    /// When reminders and escalations fire.
    pub ladder: qcity_store::notices::Ladder,
    /// The bearer token `/metrics` requires (`QCITY_METRICS_TOKEN`); `None` turns `/metrics` off.
    pub metrics_token: Option<String>,
    /// Keep the overviews' figures at the data's watermark ([`crate::view_cache`]); off, every
    /// view computes them (the reference the equality tests compare against).
    pub keep_views: bool,
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
            max_import_bytes: 256 * 1024 * 1024,
            upload_dir: None,
            import_workers: 0,
            import_wait: std::time::Duration::from_secs(30),
            ladder: qcity_store::notices::Ladder::default(),
            metrics_token: None,
            keep_views: true,
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
    pub plan_cache: Arc<tokio::sync::RwLock<std::collections::HashMap<Option<i64>, CurrentPlan>>>,
    /// What the module list assembled: the navigation and the OpenAPI document.
    pub assembly: Arc<crate::module::Assembly>,
    /// The import pool: how many imports are read at once.
    pub imports: Arc<ImportSlots>,
    /// The import queue's wake-up calls and the progress of the jobs running here.
    pub import_queue: Arc<crate::import_queue::ImportQueue>,
    /// The installation's home district (the owner of its first plan version), once known.
    pub home_owner: Arc<tokio::sync::OnceCell<i64>>,
    /// The overviews' figures kept at the data's watermark.
    pub views: Arc<crate::view_cache::ViewCache>,
}

/// The import pool: a fixed number of slots, so that heavy imports cannot take every core
/// (or all memory) and the server keeps answering while they run. An import waits for a slot
/// for at most `Config::import_wait`, then is refused with "try again in a moment".
pub struct ImportSlots {
    slots: Arc<tokio::sync::Semaphore>,
    size: usize,
    wait: std::time::Duration,
}

/// No import slot became free in time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

impl ImportSlots {
    /// `size` slots (0: one per core but one, at least one).
    pub fn new(size: usize, wait: std::time::Duration) -> ImportSlots {
        let size = if size == 0 {
            std::thread::available_parallelism()
                .map(|n| n.get().saturating_sub(1))
                .unwrap_or(1)
                .max(1)
        } else {
            size
        };
        ImportSlots {
            slots: Arc::new(tokio::sync::Semaphore::new(size)),
            size,
            wait,
        }
    }

    /// How many imports run at once.
    pub fn size(&self) -> usize {
        self.size
    }

    /// A slot for a queued import: waits as long as it takes (the user watches the queue).
    /// `None` only if the pool were closed, which it never is.
    pub async fn acquire_queued(&self) -> Option<tokio::sync::OwnedSemaphorePermit> {
        self.slots.clone().acquire_owned().await.ok()
    }

    /// A slot, held until the returned permit is dropped; waits at most the configured time.
    pub async fn acquire(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Busy> {
        match tokio::time::timeout(self.wait, self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(permit),
            // The semaphore is never closed; a timeout is the only way to be refused.
            _ => Err(Busy),
        }
    }
}

impl AppState {
    /// The current plan of the installation's home district (None before any plan is
    /// loaded). Re-parsed only when a new version lands.
    pub async fn plan(&self) -> Result<Option<CurrentPlan>, AppError> {
        self.plan_of(None).await
    }

    /// The current plan of a district (or city) by its org unit id; `None`: the home
    /// district's. An owner that runs no plan of its own (a city office before the city's
    /// plan is loaded) reads the home plan's texts.
    pub async fn plan_of(&self, owner: Option<i64>) -> Result<Option<CurrentPlan>, AppError> {
        let mut owner = owner;
        let mut version = match owner {
            Some(id) => qcity_store::plan::current_version_of_id(&self.store, id).await?,
            None => qcity_store::plan::current_version(&self.store).await?,
        };
        if version == 0 && owner.is_some() {
            owner = None;
            version = qcity_store::plan::current_version(&self.store).await?;
        }
        if version == 0 {
            return Ok(None);
        }
        if let Some((v, plan)) = self.plan_cache.read().await.get(&owner)
            && *v == version
        {
            return Ok(Some((*v, plan.clone())));
        }
        let current = match owner {
            Some(id) => qcity_store::plan::current_of_id(&self.store, id).await?,
            None => qcity_store::plan::current(&self.store).await?,
        };
        let Some((v, plan)) = current else {
            return Ok(None);
        };
        let plan = Arc::new(plan);
        self.plan_cache
            .write()
            .await
            .insert(owner, (v, plan.clone()));
        Ok(Some((v, plan)))
    }

    /// The installation's home district: the owner of the first plan version imported
    /// (`None` before any). It never changes once there, so it is read once.
    pub async fn home_owner(&self) -> Result<Option<i64>, AppError> {
        if let Some(id) = self.home_owner.get() {
            return Ok(Some(*id));
        }
        let id = qcity_store::plan::home_owner(&self.store).await?;
        if let Some(id) = id {
            let _ = self.home_owner.set(id);
        }
        Ok(id)
    }

    /// Where uploads are streamed to.
    pub fn upload_dir(&self) -> std::path::PathBuf {
        self.config
            .upload_dir
            .clone()
            .unwrap_or_else(std::env::temp_dir)
    }

    /// The business date: the configured one, or today in China Standard Time.
    pub fn today(&self) -> NaiveDate {
        self.config.today.unwrap_or_else(|| {
            let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
            Utc::now().with_timezone(&cst).date_naive()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn an_import_waits_for_a_free_slot_and_is_told_when_none_frees_up() {
        let pool = ImportSlots::new(1, Duration::ZERO);
        assert_eq!(pool.size(), 1);
        let held = pool.acquire().await.expect("a free slot");
        assert_eq!(pool.acquire().await.err(), Some(Busy));
        drop(held);
        assert!(pool.acquire().await.is_ok());
        // Sized from the machine: at least one.
        assert!(ImportSlots::new(0, Duration::ZERO).size() >= 1);
    }
}
