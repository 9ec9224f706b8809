//! Each role's landing page.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::pages::{PageCtx, render};
use askama::Template;
use axum::extract::State;
use axum::response::Response;
use chrono::FixedOffset;
use qcity_store::units::{self, Unit};
use sqlx::Row;

/// Shows a stored UTC time in China Standard Time, to the minute.
pub fn local_time(utc: &str) -> String {
    match qcity_store::parse_time(utc) {
        Some(t) => {
            let cst = FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset");
            t.with_timezone(&cst).format("%Y-%m-%d %H:%M").to_string()
        }
        None => utc.to_string(),
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    ctx: PageCtx,
    stats: Vec<(String, i64)>,
    my_unit: Option<Unit>,
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
    Ok(render(&HomePage {
        ctx: ctx.page(),
        stats,
        my_unit,
    }))
}
