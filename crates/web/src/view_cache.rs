//! The overviews' figures, kept in memory at the data's watermark.
//!
//! The leaders' view, the supervision overview, the indicator dashboard and the home page read
//! many records to say a few figures. A page's figures are computed once for a district, a
//! reader's role and unit, a language and a business date, and kept with the watermark they
//! were computed at (`audit::watermark`: the audit trail's newest record that may change a
//! figure, the newest notice and the delivery queue's state, all in the database). A later view reads the watermark (one query
//! of indexed rows) and takes the kept figures while it has not moved; any change anywhere moves it, on every app server. So a
//! figure is never older than the last change, and no two screens can disagree about it.
//!
//! The watermark is read before the figures are computed: a change made during the
//! computation moves it past the kept value, which the next view then recomputes.
//!
//! After a change the views read in the last minutes are computed again before anyone asks
//! ([`start_refresher`]): woken by a change made through this server, and every second for
//! changes made elsewhere (another app server, the command line). A reader who comes while
//! one is computed waits for it rather than computing the same figures a second time.

use crate::error::AppError;
use crate::i18n::Lang;
use crate::metrics::{ViewCounts, ViewLabels};
use crate::state::AppState;
use crate::view::PageCtx;
use askama::Template;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::Response;
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::Store;
use qcity_store::audit::Watermark;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most this many kept views; past it the oldest half is dropped.
const MAX_ENTRIES: usize = 500;
/// How often the refresher looks for a change made elsewhere.
const REFRESH_TICK: Duration = Duration::from_secs(1);
/// Views not read for this long are left to be computed by their next reader.
const REFRESH_READ_WITHIN: Duration = Duration::from_secs(10 * 60);
/// At most this many views are computed again after one change (the most recently read).
const REFRESH_AT_MOST: usize = 32;
/// The least pause between two refreshes: a run of changes (an import, a batch) is followed
/// by one refresh, not one per change.
const REFRESH_GAP: Duration = Duration::from_millis(200);

/// Which figures, for whom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ViewKey {
    pub view: &'static str,
    /// The district (or city) whose plan the reader works on; `None`: the home district.
    pub owner: Option<i64>,
    pub role: Option<Role>,
    pub unit: Option<i64>,
    /// Set for a view that shows the reader's own work (the home page's queues); district
    /// figures are the same for every reader of one role and unit.
    pub user: Option<i64>,
    pub lang: Lang,
    pub today: NaiveDate,
    /// The view's own parameter where it has one (the assessment's period); 0 otherwise.
    pub arg: i64,
    /// The page as rendered for its reader rather than its figures.
    pub rendered: bool,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Computes a page's kept figures again for the reader they were last computed for.
type Refresh = Arc<dyn Fn(AppState) -> BoxFuture<Result<(), AppError>> + Send + Sync>;

struct Kept {
    mark: Watermark,
    born: u64,
    /// When a reader last took it.
    read: Instant,
    value: Arc<dyn Any + Send + Sync>,
    /// Set on a page's figures: how the refresher computes them again.
    refresh: Option<Refresh>,
}

/// Who asks for a view: a reader, or the refresher after a change.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Asker {
    Reader,
    Refresher,
}

#[derive(Default)]
pub struct ViewCache {
    entries: Mutex<HashMap<ViewKey, Kept>>,
    /// One lock per view being computed: a second asker waits for the first's figures.
    computing: Mutex<HashMap<ViewKey, Arc<tokio::sync::Mutex<()>>>>,
    /// Counts insertions, to drop the oldest entries first.
    clock: std::sync::atomic::AtomicU64,
    /// Wakes the refresher after a change made through this server.
    changed: tokio::sync::Notify,
    counts: ViewCounts,
    /// Set by `Config::keep_views = false`: every view is computed (the equality tests'
    /// reference).
    pub off: bool,
}

impl ViewCache {
    pub fn new(on: bool, counts: ViewCounts) -> ViewCache {
        ViewCache {
            off: !on,
            counts,
            ..ViewCache::default()
        }
    }

    /// The kept figures of `key` while the data's watermark has not moved; else `compute`
    /// runs and its answer is kept.
    pub async fn get<T, F, Fut>(
        &self,
        store: &Store,
        key: ViewKey,
        compute: F,
    ) -> Result<Arc<T>, AppError>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        self.get_for(store, key, None, Asker::Reader, compute).await
    }

    async fn get_for<T, F, Fut>(
        &self,
        store: &Store,
        key: ViewKey,
        refresh: Option<Refresh>,
        asker: Asker,
        compute: F,
    ) -> Result<Arc<T>, AppError>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, AppError>>,
    {
        if self.off {
            return Ok(Arc::new(compute().await?));
        }
        let mark = qcity_store::audit::watermark(store).await?;
        if let Some(kept) = self.lookup::<T>(&key, mark, asker) {
            return Ok(kept);
        }
        // One computation per view at a time; whoever waited finds the figures kept by the
        // one before, at the watermark as it now stands.
        let lock = self.lock_of(&key);
        let _computing = lock.lock().await;
        let mark = qcity_store::audit::watermark(store).await?;
        if let Some(kept) = self.lookup::<T>(&key, mark, asker) {
            return Ok(kept);
        }
        let value = Arc::new(compute().await?);
        self.keep(key, mark, value.clone(), refresh, asker);
        Ok(value)
    }

    /// A page made of kept figures, itself kept as rendered for its reader: a view while the
    /// watermark stands copies no figure and renders nothing. `frame` is the page's frame
    /// (`ctx`), set to the reader's before rendering; `per_user`: the figures themselves are
    /// the reader's own (the home page's queues). `compute` is called again by the refresher
    /// after a change, with the state and the context of the figures' last reader; the page
    /// is rendered by its next reader, in that reader's frame (name, unread notices).
    pub async fn page<P, F, Fut>(
        &self,
        state: &AppState,
        ctx: &crate::ctx::Ctx,
        view: &'static str,
        per_user: bool,
        frame: fn(&mut P) -> &mut PageCtx,
        compute: F,
    ) -> Result<Response, AppError>
    where
        P: Template + Clone + Send + Sync + 'static,
        F: Fn(AppState, crate::ctx::Ctx) -> Fut + Copy + Send + Sync + 'static,
        Fut: Future<Output = Result<P, AppError>> + Send + 'static,
    {
        let page = Page {
            view,
            per_user,
            compute,
        };
        let reader = ctx.clone();
        let refresh: Refresh = Arc::new(move |state: AppState| {
            let ctx = reader.clone();
            Box::pin(async move {
                let views = state.views.clone();
                views
                    .figures(&state, &ctx, &page, None, Asker::Refresher)
                    .await
                    .map(|_| ())
            })
        });
        let html_key = ViewKey {
            rendered: true,
            ..ViewKey::of_user(view, ctx)
        };
        let html: Arc<Rendered> = self
            .get(&state.store, html_key, || async {
                let figures = self
                    .figures(state, ctx, &page, Some(refresh), Asker::Reader)
                    .await?;
                let mut page = (*figures).clone();
                *frame(&mut page) = ctx.page();
                page.render()
                    .map(|html| Rendered::new(Bytes::from(html)))
                    .map_err(|e| AppError::Internal(format!("template: {e}")))
            })
            .await?;
        // Read now, though only as rendered: the refresher keeps its figures current.
        self.touch(&page.key(ctx));
        let res = Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .header(header::VARY, "accept-encoding");
        // Compressed once per kept page, not on every view (the compression layer passes an
        // answer that is encoded already).
        let packed = if ctx.gzip { html.gzipped() } else { None };
        let res = match packed {
            Some(packed) => res
                .header(header::CONTENT_ENCODING, "gzip")
                .body(Body::from(packed)),
            None => res.body(Body::from(html.plain.clone())),
        };
        res.map_err(|e| AppError::Internal(e.to_string()))
    }

    /// The figures of `page.view` for the reader of `ctx`: shared by every reader of one role
    /// and unit, or the reader's own (`per_user`).
    async fn figures<P, F, Fut>(
        &self,
        state: &AppState,
        ctx: &crate::ctx::Ctx,
        page: &Page<F>,
        refresh: Option<Refresh>,
        asker: Asker,
    ) -> Result<Arc<P>, AppError>
    where
        P: Any + Send + Sync,
        F: Fn(AppState, crate::ctx::Ctx) -> Fut,
        Fut: Future<Output = Result<P, AppError>>,
    {
        self.get_for(&state.store, page.key(ctx), refresh, asker, || {
            let how = match asker {
                Asker::Reader => "computed",
                Asker::Refresher => "refreshed",
            };
            self.count(page.view, how);
            (page.compute)(state.clone(), ctx.clone())
        })
        .await
    }

    /// Computes again the figures read in the last minutes whose watermark has moved, the
    /// most recently read first. Returns how many.
    pub async fn refresh(&self, state: &AppState) -> usize {
        let Ok(mark) = qcity_store::audit::watermark(&state.store).await else {
            return 0;
        };
        let stale = {
            let Ok(entries) = self.entries.lock() else {
                return 0;
            };
            let mut stale: Vec<(Instant, Refresh)> = entries
                .values()
                .filter(|k| k.mark != mark && k.read.elapsed() < REFRESH_READ_WITHIN)
                .filter_map(|k| k.refresh.clone().map(|r| (k.read, r)))
                .collect();
            stale.sort_by_key(|(read, _)| std::cmp::Reverse(*read));
            stale.truncate(REFRESH_AT_MOST);
            stale
        };
        let n = stale.len();
        for (_, refresh) in stale {
            // A view that cannot be computed now (its plan gone, the database away) is left
            // to its next reader, who is told why.
            if let Err(e) = refresh(state.clone()).await {
                tracing::debug!(error = %e, "a kept view was not refreshed");
            }
        }
        n
    }

    /// Wakes the refresher: something changed through this server.
    pub fn changed(&self) {
        self.changed.notify_one();
    }

    fn count(&self, view: &'static str, how: &'static str) {
        self.counts.get_or_create(&ViewLabels { view, how }).inc();
    }

    fn touch(&self, key: &ViewKey) {
        if let Ok(mut entries) = self.entries.lock()
            && let Some(kept) = entries.get_mut(key)
        {
            kept.read = Instant::now();
        }
    }

    fn lock_of(&self, key: &ViewKey) -> Arc<tokio::sync::Mutex<()>> {
        let Ok(mut locks) = self.computing.lock() else {
            return Arc::default();
        };
        if locks.len() >= 2 * MAX_ENTRIES {
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry(key.clone()).or_default().clone()
    }

    fn lookup<T: Any + Send + Sync>(
        &self,
        key: &ViewKey,
        mark: Watermark,
        asker: Asker,
    ) -> Option<Arc<T>> {
        let mut entries = self.entries.lock().ok()?;
        let kept = entries.get_mut(key).filter(|k| k.mark == mark)?;
        if asker == Asker::Reader {
            kept.read = Instant::now();
            if key.rendered {
                self.count(key.view, "kept");
            }
        }
        kept.value.clone().downcast::<T>().ok()
    }

    fn keep(
        &self,
        key: ViewKey,
        mark: Watermark,
        value: Arc<dyn Any + Send + Sync>,
        refresh: Option<Refresh>,
        asker: Asker,
    ) {
        let Ok(mut entries) = self.entries.lock() else {
            return;
        };
        let born = self
            .clock
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if entries.len() >= MAX_ENTRIES {
            let mut ages: Vec<u64> = entries.values().map(|k| k.born).collect();
            ages.sort_unstable();
            let cut = ages[ages.len() / 2];
            entries.retain(|_, k| k.born > cut);
        }
        // A slower computation that started at an older mark does not replace a newer one.
        let old = entries.get(&key);
        if old.is_some_and(|old| old.mark.after(&mark)) {
            return;
        }
        // A refresh keeps the last reader's time and the way to compute the page again.
        let read = match (asker, old) {
            (Asker::Refresher, Some(old)) => old.read,
            _ => Instant::now(),
        };
        let refresh = refresh.or_else(|| old.and_then(|old| old.refresh.clone()));
        entries.insert(
            key,
            Kept {
                mark,
                born,
                read,
                value,
                refresh,
            },
        );
    }
}

/// A page as rendered for its reader, and the same compressed the first time a client that
/// takes gzip asks for it.
struct Rendered {
    plain: Bytes,
    gzip: std::sync::OnceLock<Option<Bytes>>,
}

impl Rendered {
    fn new(plain: Bytes) -> Rendered {
        Rendered {
            plain,
            gzip: std::sync::OnceLock::new(),
        }
    }

    fn gzipped(&self) -> Option<Bytes> {
        self.gzip
            .get_or_init(|| {
                use std::io::Write as _;
                let mut packed = flate2::write::GzEncoder::new(
                    Vec::with_capacity(self.plain.len() / 4),
                    flate2::Compression::default(),
                );
                packed.write_all(&self.plain).ok()?;
                packed.finish().ok().map(Bytes::from)
            })
            .clone()
    }
}

/// A kept page: its view, whose figures and how they are computed.
#[derive(Clone, Copy)]
struct Page<F> {
    view: &'static str,
    per_user: bool,
    compute: F,
}

impl<F> Page<F> {
    /// The key of the page's figures for the reader of `ctx`.
    fn key(&self, ctx: &crate::ctx::Ctx) -> ViewKey {
        if self.per_user {
            ViewKey::of_user(self.view, ctx)
        } else {
            ViewKey::of(self.view, ctx)
        }
    }
}

/// Keeps the recently read views current: after a change made through this server (at once)
/// or elsewhere (seen within a second), computes them again before the next reader asks. Ends
/// with the server.
pub fn start_refresher(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if state.views.off {
            return;
        }
        loop {
            tokio::select! {
                () = state.views.changed.notified() => {}
                () = tokio::time::sleep(REFRESH_TICK) => {}
            }
            let started = Instant::now();
            state.views.refresh(&state).await;
            tokio::time::sleep(started.elapsed().max(REFRESH_GAP)).await;
        }
    })
}

impl ViewKey {
    /// The key of `view` as the signed-in reader of `ctx` sees it.
    pub fn of(view: &'static str, ctx: &crate::ctx::Ctx) -> ViewKey {
        let actor = ctx.actor();
        ViewKey {
            view,
            owner: actor.owner_id,
            role: actor.role,
            unit: actor.unit_id,
            user: None,
            lang: ctx.lang,
            today: ctx.today,
            arg: 0,
            rendered: false,
        }
    }

    /// The key of `view` for the signed-in reader alone.
    pub fn of_user(view: &'static str, ctx: &crate::ctx::Ctx) -> ViewKey {
        ViewKey {
            user: ctx.actor().user_id,
            ..ViewKey::of(view, ctx)
        }
    }
}
