//! 通报: monthly bulletins computed from the obligations, issued (frozen and numbered) by the
//! office, archived for leaders, printable on A4 and downloadable as .docx.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::middleware::see_other;
use crate::module::Routes;
use crate::view::require_plan;
use crate::view::{PageCtx, render};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use chrono::Datelike;
use qcity_domain::bulletin::Bulletin;
use qcity_domain::role::Role;
use qcity_store::bulletins::{self, Issued};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/bulletins", list)
        .post("/bulletins", issue)
        .get("/bulletins/draft", draft)
        .get("/bulletins/draft.docx", draft_docx)
        .get("/bulletins/{id}", show)
        .get("/bulletins/{id}/docx", docx)
}

/// The month before the business date's month ("2014-12" on 2015-01-10): bulletins report
/// on the month just ended.
fn last_month(today: chrono::NaiveDate) -> String {
    let first = today.with_day(1).unwrap_or(today);
    let prev = first.pred_opt().unwrap_or(first);
    format!("{}-{:02}", prev.year(), prev.month())
}

#[derive(Template)]
#[template(path = "bulletins.html")]
struct ListPage {
    ctx: PageCtx,
    issued: Vec<Issued>,
    month: String,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let issued = bulletins::list(&state.store, &ctx.actor()).await?;
    Ok(render(&ListPage {
        month: last_month(ctx.today),
        ctx: ctx.page(),
        issued,
    }))
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    #[serde(default)]
    month: String,
}

async fn compute(state: &AppState, ctx: &Ctx, month: &str) -> Result<Bulletin, AppError> {
    ctx.require_role(&[Role::Office, Role::Leader])?;
    let (_, plan) = require_plan(state).await?;
    let month = if month.trim().is_empty() {
        last_month(ctx.today)
    } else {
        month.trim().to_string()
    };
    Ok(bulletins::draft(&state.store, &ctx.actor(), &plan, &month, ctx.today).await?)
}

#[derive(Template)]
#[template(path = "bulletin.html")]
struct BulletinPage {
    ctx: PageCtx,
    b: Bulletin,
    /// Set for an issued bulletin; None for a draft.
    id: Option<i64>,
    summary: String,
}

fn page(ctx: &Ctx, b: Bulletin, id: Option<i64>) -> Response {
    let t = &b.total;
    let summary = ctx.lang.t_args(
        "bulletin-summary",
        &[
            ("as_of", b.as_of.clone()),
            ("due", t.due.to_string()),
            ("accepted", t.accepted.to_string()),
            ("completion", t.completion_text()),
            ("on_time", t.on_time_text()),
            ("overdue", t.overdue.to_string()),
        ],
    );
    render(&BulletinPage {
        ctx: ctx.page(),
        b,
        id,
        summary,
    })
}

async fn draft(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let b = compute(&state, &ctx, &q.month).await?;
    Ok(page(&ctx, b, None))
}

async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(q): axum::Form<MonthQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let b = compute(&state, &ctx, &q.month).await?;
    let id = bulletins::issue(&state.store, &ctx.actor(), b, ctx.today).await?;
    Ok(see_other(&format!("/bulletins/{id}")))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let b = bulletins::get(&state.store, &ctx.actor(), id).await?;
    Ok(page(&ctx, b, Some(id)))
}

fn docx_response(b: &Bulletin, name: &str) -> Result<Response, AppError> {
    let bytes =
        qcity_exchange::bulletin_to_docx(b).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::view::attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        &format!("{name}.docx"),
    ))
}

async fn docx(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let b = bulletins::get(&state.store, &ctx.actor(), id).await?;
    docx_response(&b, &format!("bulletin-{}-{}", b.period, b.number))
}

async fn draft_docx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let b = compute(&state, &ctx, &q.month).await?;
    docx_response(&b, &format!("bulletin-{}-draft", b.period))
}
