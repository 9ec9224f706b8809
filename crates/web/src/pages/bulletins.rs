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
use qcity_store::bulletins::{self, Issued, Standing};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/bulletins", list)
        .post("/bulletins", issue)
        .get("/bulletins/draft", draft)
        .get("/bulletins/draft.docx", draft_docx)
        .get("/bulletins/draft.pdf", draft_pdf)
        .get("/bulletins/{id}", show)
        .get("/bulletins/{id}/docx", docx)
        .get("/bulletins/{id}/pdf", pdf)
        .post("/bulletins/{id}/correct", correct)
        .post("/bulletins/{id}/revoke", revoke)
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
    /// A city's accounts read the bulletins of several districts: each names its issuer.
    several: bool,
    month: String,
}

async fn list(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.user()?;
    let issued = bulletins::list(&state.store, &ctx.actor()).await?;
    let several = issued
        .iter()
        .any(|b| b.issuer_name != issued[0].issuer_name);
    Ok(render(&ListPage {
        several,
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
    let (_, plan) = require_plan(state, ctx).await?;
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
    /// Where an issued bulletin stands (in force, corrected, revoked); `None` for a draft.
    standing: Option<Standing>,
    /// For a draft: the bulletin already issued for its period, (id, number).
    issued: Option<(i64, u32)>,
    /// A correction or revocation refused: the reason typed and why it was refused.
    error: String,
    reason: String,
}

fn bulletin_page(ctx: &Ctx, b: Bulletin, id: Option<i64>) -> BulletinPage {
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
    BulletinPage {
        ctx: ctx.page(),
        b,
        id,
        summary,
        standing: None,
        issued: None,
        error: String::new(),
        reason: String::new(),
    }
}

async fn draft(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let b = compute(&state, &ctx, &q.month).await?;
    let issued = bulletins::issued_for(&state.store, &ctx.actor(), &b.period).await?;
    let mut p = bulletin_page(&ctx, b, None);
    p.issued = issued;
    Ok(render(&p))
}

#[derive(Deserialize, Default)]
struct IssueForm {
    #[serde(default)]
    month: String,
    /// "1" once the office has seen what issuing does and confirmed it.
    #[serde(default)]
    confirm: String,
}

#[derive(Template)]
#[template(path = "bulletin_confirm.html")]
struct ConfirmPage {
    ctx: PageCtx,
    period: String,
    period_label: String,
    as_of: String,
    summary: String,
}

/// Issuing asks first: what will be circulated, frozen as of when, and that it can then only
/// be corrected or revoked. One bulletin per period (a second is refused with a link).
async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(q): axum::Form<IssueForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let b = compute(&state, &ctx, &q.month).await?;
    if let Some((id, _)) = bulletins::issued_for(&state.store, &ctx.actor(), &b.period).await? {
        return Ok(see_other(&format!("/bulletins/{id}")));
    }
    if q.confirm != "1" {
        let summary = bulletin_page(&ctx, b.clone(), None).summary;
        return Ok(render(&ConfirmPage {
            ctx: ctx.page(),
            period: b.period,
            period_label: b.period_label,
            as_of: b.as_of,
            summary,
        }));
    }
    let id = bulletins::issue(&state.store, &ctx.actor(), b, ctx.today).await?;
    Ok(see_other(&format!("/bulletins/{id}")))
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (b, standing) = bulletins::get_any(&state.store, &ctx.actor(), id).await?;
    let mut p = bulletin_page(&ctx, b, Some(id));
    p.standing = Some(standing);
    Ok(render(&p))
}

#[derive(Deserialize, Default)]
struct ChangeForm {
    #[serde(default)]
    reason: String,
    #[serde(default)]
    confirm: String,
}

/// The bulletin page again with the reason as typed and why the change was refused.
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    f: ChangeForm,
    key: &str,
) -> Result<Response, AppError> {
    let (b, standing) = bulletins::get_any(&state.store, &ctx.actor(), id).await?;
    let mut p = bulletin_page(ctx, b, Some(id));
    p.standing = Some(standing);
    p.error = ctx.t(key);
    p.reason = f.reason;
    Ok(crate::view::unprocessable(render(&p)))
}

/// 更正: the period's figures recomputed now, issued under the same number with the reason;
/// the earlier issue stays readable, marked as corrected.
async fn correct(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    if f.confirm != "1" {
        return refused(&state, &ctx, id, f, "error-confirm-required").await;
    }
    let (old, _) = bulletins::get_any(&state.store, &ctx.actor(), id).await?;
    let b = compute(&state, &ctx, &old.period).await?;
    match bulletins::correct(&state.store, &ctx.actor(), id, b, &f.reason, ctx.today).await {
        Ok(new_id) => Ok(see_other(&format!("/bulletins/{new_id}"))),
        Err(qcity_store::StoreError::Invalid { code, .. }) => {
            refused(&state, &ctx, id, f, &code).await
        }
        Err(e) => Err(e.into()),
    }
}

/// 撤销: withdrawn with the reason; it stays readable, marked as revoked.
async fn revoke(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ChangeForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    if f.confirm != "1" {
        return refused(&state, &ctx, id, f, "error-confirm-required").await;
    }
    match bulletins::revoke(&state.store, &ctx.actor(), id, &f.reason).await {
        Ok(()) => Ok(see_other(&format!("/bulletins/{id}"))),
        Err(qcity_store::StoreError::Invalid { code, .. }) => {
            refused(&state, &ctx, id, f, &code).await
        }
        Err(e) => Err(e.into()),
    }
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
    let (b, _) = bulletins::get_any(&state.store, &ctx.actor(), id).await?;
    docx_response(&b, &format!("bulletin-{}-{}", b.period, b.number))
}

/// The bulletin as PDF, with the same sections and tables as the Word file.
async fn pdf_response(b: Bulletin, name: &str) -> Result<Response, AppError> {
    crate::pdf::download(&format!("{name}.pdf"), move |font| {
        qcity_exchange::bulletin_to_pdf(&b, font)
    })
    .await
}

async fn pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (b, _) = bulletins::get_any(&state.store, &ctx.actor(), id).await?;
    let name = format!("bulletin-{}-{}", b.period, b.number);
    pdf_response(b, &name).await
}

async fn draft_pdf(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let b = compute(&state, &ctx, &q.month).await?;
    let name = format!("bulletin-{}-draft", b.period);
    pdf_response(b, &name).await
}

async fn draft_docx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<MonthQuery>,
) -> Result<Response, AppError> {
    let b = compute(&state, &ctx, &q.month).await?;
    docx_response(&b, &format!("bulletin-{}-draft", b.period))
}
