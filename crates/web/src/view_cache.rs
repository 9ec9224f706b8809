//! The overviews' figures, kept in memory at the data's watermark.
//!
//! The leaders' view, the supervision overview, the indicator dashboard and the home page read
//! many records to say a few figures. A page's figures are computed once for a district, a
//! reader's role and unit, a language and a business date, and kept with the watermark they
//! were computed at (`audit::watermark`: the audit trail's head, the newest notice and the
//! delivery queue's state, all in the database). A later view reads the watermark (one query
//! of indexed rows) and takes the kept figures while it has not moved; any change anywhere moves it, on every app server. So a
//! figure is never older than the last change, and no two screens can disagree about it.
//!
//! The watermark is read before the figures are computed: a change made during the
//! computation moves it past the kept value, which the next view then recomputes.

use crate::error::AppError;
use crate::i18n::Lang;
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
use std::sync::{Arc, Mutex};

/// At most this many kept views; past it the oldest half is dropped.
const MAX_ENTRIES: usize = 500;

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
    /// The page as rendered for its reader rather than its figures.
    pub rendered: bool,
}

struct Kept {
    mark: Watermark,
    born: u64,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
pub struct ViewCache {
    entries: Mutex<HashMap<ViewKey, Kept>>,
    /// Counts insertions, to drop the oldest entries first.
    clock: std::sync::atomic::AtomicU64,
    /// Set by `Config::keep_views = false`: every view is computed (the equality tests'
    /// reference).
    pub off: bool,
}

impl ViewCache {
    pub fn new(on: bool) -> ViewCache {
        ViewCache {
            off: !on,
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
        if self.off {
            return Ok(Arc::new(compute().await?));
        }
        let mark = qcity_store::audit::watermark(store).await?;
        if let Some(value) = self.lookup(&key, mark)
            && let Ok(kept) = value.downcast::<T>()
        {
            return Ok(kept);
        }
        let value = Arc::new(compute().await?);
        self.keep(key, mark, value.clone());
        Ok(value)
    }

    /// A page made of kept figures, itself kept as rendered for its reader: a view while the
    /// watermark stands copies no figure and renders nothing. `frame` is the page's frame
    /// (`ctx`), set to the reader's before rendering; `per_user`: the figures themselves are
    /// the reader's own (the home page's queues).
    pub async fn page<P, F, Fut>(
        &self,
        store: &Store,
        ctx: &crate::ctx::Ctx,
        view: &'static str,
        per_user: bool,
        frame: fn(&mut P) -> &mut PageCtx,
        compute: F,
    ) -> Result<Response, AppError>
    where
        P: Template + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<P, AppError>>,
    {
        let html_key = ViewKey {
            rendered: true,
            ..ViewKey::of_user(view, ctx)
        };
        let html: Arc<Bytes> = self
            .get(store, html_key, || async {
                // Figures of the reader's own are kept only as the rendered page; district
                // figures are shared by every reader of one role and unit.
                let mut page = if per_user {
                    compute().await?
                } else {
                    (*self.get(store, ViewKey::of(view, ctx), compute).await?).clone()
                };
                *frame(&mut page) = ctx.page();
                page.render()
                    .map(Bytes::from)
                    .map_err(|e| AppError::Internal(format!("template: {e}")))
            })
            .await?;
        Response::builder()
            .header(header::CONTENT_TYPE, "text/html; charset=utf-8")
            .body(Body::from((*html).clone()))
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    fn lookup(&self, key: &ViewKey, mark: Watermark) -> Option<Arc<dyn Any + Send + Sync>> {
        let entries = self.entries.lock().ok()?;
        entries
            .get(key)
            .filter(|k| k.mark == mark)
            .map(|k| k.value.clone())
    }

    fn keep(&self, key: ViewKey, mark: Watermark, value: Arc<dyn Any + Send + Sync>) {
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
        if let Some(old) = entries.get(&key)
            && old.mark.after(&mark)
        {
            return;
        }
        entries.insert(key, Kept { mark, born, value });
    }
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
