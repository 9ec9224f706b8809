//! Each role's landing page.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::view::{PageCtx, render};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use qcity_store::units::{self, Unit};
use sqlx::Row;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    stats: Vec<(String, i64)>,
    my_unit: Option<Unit>,
    plan_title: String,
    phase: String,
    due_soon: Vec<crate::pages::plan::ContentRow>,
}

async fn count(state: &AppState, sql: &str) -> Result<i64, AppError> {
    let row = sqlx::query(sql)
        .fetch_one(&state.store.pool)
        .await
        .map_err(qcity_store::StoreError::from)?;
    Ok(row
        .try_get::<i64, _>("n")
        .map_err(qcity_store::StoreError::from)?)
}

pub async fn home(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let actor = ctx.actor();
    let my_unit = match &user.unit_code {
        Some(code) => Some(units::get(&state.store, &actor, code).await?),
        None => None,
    };
    let mut stats = vec![(
        ctx.t("stat-units"),
        count(
            &state,
            "SELECT COUNT(*) AS n FROM org_units WHERE kind = 'member'",
        )
        .await?,
    )];
    if ctx.page().is_office() {
        stats.push((
            ctx.t("stat-accounts"),
            count(&state, "SELECT COUNT(*) AS n FROM users").await?,
        ));
        stats.push((
            ctx.t("stat-audit"),
            count(&state, "SELECT COUNT(*) AS n FROM audit_log").await?,
        ));
    }
    let mut plan_title = String::new();
    let mut phase = String::new();
    let mut due_soon = Vec::new();
    if let Some((_, plan)) = state.plan().await? {
        plan_title = plan.plan.title.clone();
        phase = plan
            .phases
            .iter()
            .find(|p| p.start <= ctx.today && ctx.today <= p.end)
            .map(|p| format!("{} ({} – {})", p.name, p.start, p.end))
            .unwrap_or_else(|| ctx.t("home-no-phase"));
        stats.insert(0, (ctx.t("stat-contents"), plan.contents().count() as i64));
        stats.insert(1, (ctx.t("stat-indicators"), plan.indicators.len() as i64));
        // The next deadlines after the business date: for a unit its own, else everyone's.
        let lang = crate::view::target_lang(&ctx.page());
        let mine: Option<Vec<String>> = user
            .unit_code
            .as_ref()
            .filter(|_| user.role == qcity_domain::role::Role::Unit)
            .map(|code| {
                plan.contents_led_by(code)
                    .iter()
                    .chain(plan.contents_supported_by(code).iter())
                    .map(|c| c.code.clone())
                    .collect()
            });
        let mut upcoming: Vec<_> = plan
            .contents()
            .filter(|(_, _, c)| mine.as_ref().is_none_or(|m| m.contains(&c.code)))
            .filter_map(|(cat, item, c)| {
                c.deadline
                    .periods(plan.plan.recurring_until)
                    .into_iter()
                    .map(|p| p.due)
                    .find(|d| *d >= ctx.today)
                    .map(|d| (d, cat, item, c))
            })
            .collect();
        upcoming.sort_by_key(|(d, _, _, c)| (*d, c.code.clone()));
        due_soon = upcoming
            .into_iter()
            .take(8)
            .map(|(_, cat, item, c)| {
                crate::pages::plan::content_row(&plan, &cat.title, &item.title, c, lang)
            })
            .collect();
    }
    Ok(render(&HomePage {
        ctx: ctx.page(),
        stats,
        my_unit,
        plan_title,
        phase,
        due_soon,
    }))
}
