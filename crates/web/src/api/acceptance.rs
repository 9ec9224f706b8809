//! JSON API for the acceptance self-check (创建验收自查): the four stages (which are opened, and
//! when they are held) and the current readiness, as the leaders' page reads it (every
//! signed-in role, as on `/acceptance`); the office opens a stage, dates it, and records its
//! findings and rectifications, as on the stage's page.

use super::{ApiJson, CreatedDto, ErrorDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::acceptance::Readiness;
use qcity_domain::role::Role;
use qcity_store::acceptance as store;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/acceptance", overview)
        .post("/api/v1/acceptance/stages/{stage}", open_stage)
        .put("/api/v1/acceptance/stages/{stage}/date", set_date)
        .post("/api/v1/acceptance/stages/{stage}/findings", add_finding)
        .post(
            "/api/v1/acceptance/stages/{stage}/findings/{id}/removal",
            remove_finding,
        )
        .post(
            "/api/v1/acceptance/stages/{stage}/rectifications",
            add_rectification,
        )
}

#[derive(Deserialize, ToSchema)]
pub struct StageDateDto {
    /// YYYY-MM-DD: the day the stage is held; the business date when absent.
    #[serde(default)]
    #[schema(format = Date)]
    held_on: Option<String>,
}

fn held_on(ctx: &Ctx, f: &StageDateDto) -> Result<chrono::NaiveDate, AppError> {
    match f.held_on.as_deref().map(str::trim) {
        None | Some("") => Ok(ctx.today),
        Some(s) => super::date_field("held_on", s),
    }
}

/// Opens a stage (office): self_check, city_check, province_review or national_acceptance.
#[utoipa::path(post, path = "/api/v1/acceptance/stages/{stage}", tag = "acceptance", params(("stage" = String, Path)), request_body = StageDateDto,
    responses((status = 201, body = CreatedDto), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "already open")))]
pub async fn open_stage(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<StageDateDto>::from_request(req, &state).await?;
    let id = store::open_stage(&state.store, &ctx.actor(), &stage, held_on(&ctx, &f)?).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

/// Sets the day a stage is held (office).
#[utoipa::path(put, path = "/api/v1/acceptance/stages/{stage}/date", tag = "acceptance", params(("stage" = String, Path)), request_body = StageDateDto,
    responses((status = 204), (status = 404, body = ErrorDto)))]
pub async fn set_date(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<StageDateDto>::from_request(req, &state).await?;
    store::set_stage_date(&state.store, &ctx.actor(), &stage, held_on(&ctx, &f)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct FindingDto {
    /// What the check found.
    #[schema(min_length = 1)]
    body: String,
}

/// Records a finding of a stage (office).
#[utoipa::path(post, path = "/api/v1/acceptance/stages/{stage}/findings", tag = "acceptance", params(("stage" = String, Path)), request_body = FindingDto,
    responses((status = 201, body = CreatedDto), (status = 404, body = ErrorDto)))]
pub async fn add_finding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<FindingDto>::from_request(req, &state).await?;
    let id = store::add_finding(&state.store, &ctx.actor(), &stage, &f.body).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

/// Removes a finding recorded by mistake (office).
#[utoipa::path(post, path = "/api/v1/acceptance/stages/{stage}/findings/{id}/removal", tag = "acceptance", params(("stage" = String, Path), ("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn remove_finding(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((stage, id)): Path<(String, i64)>,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    store::remove_finding(&state.store, &ctx.actor(), &stage, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct RectificationDto {
    /// What is to be put right.
    #[schema(min_length = 1)]
    body: String,
    /// The responsible unit's code.
    unit: String,
    /// YYYY-MM-DD.
    #[schema(format = Date)]
    deadline: String,
    /// The target content it concerns, if any.
    #[serde(default)]
    content_code: String,
}

/// Assigns a rectification to a unit with a deadline (office).
#[utoipa::path(post, path = "/api/v1/acceptance/stages/{stage}/rectifications", tag = "acceptance", params(("stage" = String, Path)), request_body = RectificationDto,
    responses((status = 201, body = CreatedDto), (status = 404, body = ErrorDto)))]
pub async fn add_rectification(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<RectificationDto>::from_request(req, &state).await?;
    let id = store::add_rectification(
        &state.store,
        &ctx.actor(),
        &stage,
        &store::NewRectification {
            body: f.body,
            unit_code: f.unit,
            deadline: f.deadline,
            content_code: f.content_code,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct AcceptanceDto {
    /// The score sheet in force (new stages copy it when opened).
    sheet_name: String,
    /// The four stages in order, opened or not.
    stages: Vec<StageDto>,
    /// The readiness of the latest opened stage; null while no stage is open.
    current: Option<ReadinessDto>,
}

#[derive(Serialize, ToSchema)]
pub struct StageDto {
    /// self_check, provincial, third_party or national
    code: String,
    /// The stage's name in the caller's language.
    label: String,
    opened: bool,
    /// The date the stage is (or was) held, YYYY-MM-DD; null while not opened.
    held_on: Option<String>,
    /// The name of the stage's own copy of the score sheet; null while not opened.
    sheet_name: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ReadinessDto {
    /// The stage's code.
    stage: String,
    /// Base plus bonus points: decisions where taken, QCity's proposals for the rest; 0 when a
    /// veto failed.
    score: f64,
    base_total: f64,
    base_earned: f64,
    bonus: f64,
    bonus_max: f64,
    /// base_earned ÷ base_total × 100 (0 when vetoed).
    percent: f64,
    /// Whether a veto criterion failed.
    vetoed: bool,
    /// The failed veto criteria's codes.
    vetoed_by: Vec<String>,
    /// How many criteria no reviewer has decided yet (their points are only proposed).
    undecided: usize,
    /// Their codes.
    undecided_criteria: Vec<String>,
    /// Per category, in sheet order.
    by_category: Vec<CategoryDto>,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryDto {
    code: String,
    name: String,
    /// Base points earned.
    earned: f64,
    /// Base points possible.
    max: f64,
    bonus: f64,
    bonus_max: f64,
    /// Criteria not decided yet.
    undecided: usize,
}

fn readiness(stage: String, r: Readiness) -> ReadinessDto {
    ReadinessDto {
        stage,
        score: r.score,
        base_total: r.base_total,
        base_earned: r.base_earned,
        bonus: r.bonus,
        bonus_max: r.bonus_max,
        percent: r.percent(),
        vetoed: r.vetoed,
        vetoed_by: r.vetoed_by,
        undecided: r.undecided.len(),
        undecided_criteria: r.undecided,
        by_category: r
            .by_category
            .into_iter()
            .map(|c| CategoryDto {
                code: c.code,
                name: c.name,
                earned: c.earned,
                max: c.max,
                bonus: c.bonus,
                bonus_max: c.bonus_max,
                undecided: c.undecided,
            })
            .collect(),
    }
}

/// The acceptance stages and the current readiness (the latest opened stage, counted as of the
/// business date).
#[utoipa::path(get, path = "/api/v1/acceptance", tag = "acceptance",
    responses((status = 200, body = AcceptanceDto), (status = 401, body = ErrorDto)))]
pub async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<AcceptanceDto>, AppError> {
    ctx.user()?;
    let stages = store::stages(&state.store, &ctx.actor())
        .await?
        .into_iter()
        .map(|s| StageDto {
            label: ctx.t(&format!("acc-stage-{}", s.code)),
            opened: s.opened.is_some(),
            held_on: s.opened.as_ref().map(|o| o.held_on.clone()),
            sheet_name: s.opened.map(|o| o.sheet.name),
            code: s.code,
        })
        .collect();
    let current = store::current_readiness(&state.store, ctx.today)
        .await?
        .map(|(stage, r)| readiness(stage, r));
    let (sheet, _) = store::sheet_in_force(&state.store).await?;
    Ok(Json(AcceptanceDto {
        sheet_name: sheet.name,
        stages,
        current,
    }))
}

/// This module's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        overview,
        open_stage,
        set_date,
        add_finding,
        remove_finding,
        add_rectification
    ),
    components(schemas(
        AcceptanceDto,
        StageDto,
        ReadinessDto,
        CategoryDto,
        StageDateDto,
        FindingDto,
        RectificationDto,
        CreatedDto,
        ErrorDto
    ))
)]
pub struct Doc;
