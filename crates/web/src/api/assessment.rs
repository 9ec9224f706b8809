//! JSON API for unit performance assessment (绩效考核): every member unit's score and rank for
//! a year, with the lines that make up each score. Read-only; scoped as the pages are: the
//! office, leaders and evaluators see every unit, unit staff only their own unit's line (the
//! store filters it, as on `/assessment/{unit}`).

use super::{ApiJson, CreatedDto, ErrorDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::module::Routes;
use crate::view::require_plan;
use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::assessment::{Component, ScoreLine};
use qcity_domain::role::Role;
use qcity_domain::target::Lang as TargetLang;
use qcity_store::assessment as store;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/assessment/scores", scores)
        .get("/api/v1/assessment/windows", list_windows)
        .post("/api/v1/assessment/windows", open_window)
        .post("/api/v1/assessment/windows/{id}/close", close_window)
        .get("/api/v1/assessment/windows/{id}/sheet", get_sheet)
        .put("/api/v1/assessment/windows/{id}/sheet", put_sheet)
        .post("/api/v1/assessment/windows/{id}/ratings", rate)
        .get("/api/v1/assessment/scheme", get_scheme)
        .put("/api/v1/assessment/scheme", put_scheme)
}

/// An evaluation window (评议窗口).
#[derive(Serialize, ToSchema)]
pub struct WindowDto {
    id: i64,
    title: String,
    period: i64,
    opens_on: String,
    closes_on: String,
    /// Set once the office closed it.
    closed_on: Option<String>,
    /// Open on the business date.
    open: bool,
}

/// Evaluation windows (office, leaders, evaluators).
#[utoipa::path(get, path = "/api/v1/assessment/windows", tag = "assessment",
    responses((status = 200, body = Vec<WindowDto>)))]
pub async fn list_windows(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<WindowDto>>, AppError> {
    ctx.require_role(&[Role::Office, Role::Leader, Role::Evaluator])?;
    Ok(Json(
        store::windows(&state.store, &ctx.actor())
            .await?
            .into_iter()
            .map(|w| WindowDto {
                open: w.is_open(ctx.today),
                id: w.id,
                title: w.title,
                period: w.period,
                opens_on: w.opens_on,
                closes_on: w.closes_on,
                closed_on: w.closed_on,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewWindowDto {
    #[schema(min_length = 1, max_length = 200)]
    title: String,
    period: i64,
    /// YYYY-MM-DD
    #[schema(format = Date)]
    opens_on: String,
    /// YYYY-MM-DD
    #[schema(format = Date)]
    closes_on: String,
}

/// Opens an evaluation window (office).
#[utoipa::path(post, path = "/api/v1/assessment/windows", tag = "assessment", request_body = NewWindowDto,
    responses((status = 201, body = CreatedDto)))]
pub async fn open_window(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(w) = ApiJson::<NewWindowDto>::from_request(req, &state).await?;
    let id = store::open_window(
        &state.store,
        &ctx.actor(),
        store::NewWindow {
            title: w.title,
            period: w.period,
            opens_on: super::date_field("opens_on", &w.opens_on)?,
            closes_on: super::date_field("closes_on", &w.closes_on)?,
        },
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

/// Closes an evaluation window (office).
#[utoipa::path(post, path = "/api/v1/assessment/windows/{id}/close", tag = "assessment", params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto)))]
pub async fn close_window(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    store::close_window(&state.store, &ctx.actor(), id, ctx.today).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One line of an evaluator's rating sheet.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SheetLineDto {
    unit: String,
    /// 0–100; absent or null for a unit not yet rated (a draft only).
    #[serde(default)]
    score: Option<f64>,
    #[serde(default)]
    comment: String,
}

/// An evaluator's rating sheet in a window.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct SheetDto {
    lines: Vec<SheetLineDto>,
    /// Submitted (final, counted) rather than a draft.
    #[serde(default)]
    submit: bool,
}

/// The caller's rating sheet (evaluators): their ratings and whether they are submitted.
#[utoipa::path(get, path = "/api/v1/assessment/windows/{id}/sheet", tag = "assessment", params(("id" = i64, Path)),
    responses((status = 200, body = SheetDto), (status = 404, body = ErrorDto)))]
pub async fn get_sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<SheetDto>, AppError> {
    ctx.require_role(&[Role::Evaluator])?;
    let actor = ctx.actor();
    if !store::windows(&state.store, &actor)
        .await?
        .iter()
        .any(|w| w.id == id)
    {
        return Err(AppError::NotFound);
    }
    let lines = store::ratings(&state.store, &actor, id)
        .await?
        .into_iter()
        .map(|r| SheetLineDto {
            unit: r.unit_code,
            score: Some(r.score),
            comment: r.comment,
        })
        .collect();
    Ok(Json(SheetDto {
        lines,
        submit: store::submitted(&state.store, &actor, id).await?,
    }))
}

/// Saves the caller's rating sheet as a draft, or submits it (complete, once), as the page does.
#[utoipa::path(put, path = "/api/v1/assessment/windows/{id}/sheet", tag = "assessment", params(("id" = i64, Path)), request_body = SheetDto,
    responses((status = 204), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "the window is not open, or the sheet was already submitted")))]
pub async fn put_sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Evaluator])?;
    let ApiJson(sheet) = ApiJson::<SheetDto>::from_request(req, &state).await?;
    let entries: Vec<store::RatingEntry> = sheet
        .lines
        .into_iter()
        .map(|l| store::RatingEntry {
            unit_code: l.unit,
            score: l.score,
            comment: l.comment,
        })
        .collect();
    store::rate_all(
        &state.store,
        &ctx.actor(),
        id,
        &entries,
        sheet.submit,
        ctx.today,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One rating of a unit in a window.
#[derive(Deserialize, ToSchema)]
pub struct RatingDto {
    /// The member unit's code.
    #[schema(min_length = 1)]
    unit: String,
    /// 0–100.
    score: f64,
    #[serde(default)]
    comment: String,
}

/// Rates one unit in an open window (evaluators), as the scores page's rating form does: the
/// rating counts at once and replaces the caller's earlier rating of that unit.
#[utoipa::path(post, path = "/api/v1/assessment/windows/{id}/ratings", tag = "assessment", params(("id" = i64, Path)), request_body = RatingDto,
    responses((status = 204), (status = 404, body = ErrorDto, description = "no such window or unit"),
              (status = 409, body = ErrorDto, description = "the window is not open, or the sheet was already submitted"),
              (status = 422, body = ErrorDto, description = "the score is not between 0 and 100")))]
pub async fn rate(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Evaluator])?;
    let ApiJson(r) = ApiJson::<RatingDto>::from_request(req, &state).await?;
    if !r.score.is_finite() {
        return Err(AppError::Validation(vec![(
            "score".into(),
            "assessment-error-score".into(),
        )]));
    }
    store::rate(
        &state.store,
        &ctx.actor(),
        id,
        r.unit.trim(),
        r.score,
        &r.comment,
        ctx.today,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The assessment scheme that scores a year.
#[derive(Serialize, ToSchema)]
pub struct SchemeTextDto {
    name: String,
    /// The year asked for.
    period: i32,
    /// The first year this saved scheme scores; null for the shipped default.
    applies_from: Option<i64>,
    saved_by: Option<String>,
    saved_at: Option<String>,
    /// The whole scheme as TOML: edit it and send it back to replace it.
    toml: String,
}

async fn scheme_dto(state: &AppState, ctx: &Ctx, period: i32) -> Result<SchemeTextDto, AppError> {
    let (scheme, version) = store::scheme_for(&state.store, &ctx.actor(), period).await?;
    Ok(SchemeTextDto {
        name: scheme.name.clone(),
        period,
        applies_from: version.as_ref().map(|v| v.applies_from),
        saved_by: version.as_ref().map(|v| v.created_by.clone()),
        saved_at: version.map(|v| v.created_at),
        toml: scheme.to_toml(),
    })
}

/// The scheme that scores a year (every signed-in role: everyone sees how scores are made).
#[utoipa::path(get, path = "/api/v1/assessment/scheme", tag = "assessment", params(ScoresQuery),
    responses((status = 200, body = SchemeTextDto),
              (status = 422, body = ErrorDto, description = "period is not a year between 2000 and 2100")))]
pub async fn get_scheme(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ScoresQuery>,
) -> Result<Json<SchemeTextDto>, AppError> {
    ctx.user()?;
    let p = period(&ctx, &q)?;
    Ok(Json(scheme_dto(&state, &ctx, p).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct SchemeInputDto {
    /// The whole scheme as TOML.
    #[schema(min_length = 1)]
    toml: String,
    /// The first year it scores (2000–2100); the business date's year when absent. Earlier
    /// years keep the scheme they had.
    #[serde(default)]
    period: Option<i32>,
}

/// Saves a new assessment scheme for a year and the years after (office), as on the scores
/// page: a scheme that does not load or validate is refused with every problem and nothing
/// is saved.
#[utoipa::path(put, path = "/api/v1/assessment/scheme", tag = "assessment", request_body = SchemeInputDto,
    responses((status = 200, body = SchemeTextDto, description = "the scheme now in force for the year"),
              (status = 422, body = ErrorDto, description = "the scheme was refused (`fields.toml` lists every problem with its line), or period is out of range")))]
pub async fn put_scheme(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Json<SchemeTextDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<SchemeInputDto>::from_request(req, &state).await?;
    let p = f.period.unwrap_or_else(|| store::period_of(ctx.today));
    if let Err(diags) = store::save_scheme(&state.store, &ctx.actor(), &f.toml, p).await? {
        return Err(super::rule_problems(&ctx, "toml", diags));
    }
    Ok(Json(scheme_dto(&state, &ctx, p).await?))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ScoresQuery {
    /// The year (2000–2100); the business date's year when absent.
    #[serde(default)]
    period: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct AssessmentDto {
    /// The year scored.
    period: i32,
    /// The date the facts are counted as of: the year's end, or the business date when earlier.
    as_of: String,
    scheme: SchemeDto,
    /// How many member units are ranked (a unit's rank is among all of them, even when the
    /// caller sees only its own line).
    member_units: usize,
    /// Best first; units without a score last.
    units: Vec<UnitScoreDto>,
}

#[derive(Serialize, ToSchema)]
pub struct SchemeDto {
    name: String,
    /// The first year the saved scheme scores; null when the shipped default scheme is in force.
    applies_from: Option<i64>,
    /// Why these weights, in the caller's language.
    note: String,
    /// Points per part, in scoring order.
    weights: Vec<WeightDto>,
    /// Points deducted per red notice (红色通报).
    red_notice_deduction: f64,
    /// The most red notices may deduct in all; null: no limit.
    red_notice_cap: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct WeightDto {
    /// on_time, timeliness, indicators, returns or ratings
    component: String,
    /// The part's name in the caller's language.
    label: String,
    weight: f64,
}

#[derive(Serialize, ToSchema)]
pub struct UnitScoreDto {
    unit_code: String,
    unit_name: String,
    /// 1-based, ties share a rank; null when the unit has nothing to score in the period.
    rank: Option<usize>,
    /// 0–100, unrounded: exactly the sum of the lines' points; null when not scored.
    total: Option<f64>,
    lines: Vec<ScoreLineDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ScoreLineDto {
    /// on_time, timeliness, indicators, returns or ratings; null for deductions and adjustments.
    component: Option<String>,
    /// The part's name (or "deductions and adjustments") in the caller's language.
    label: String,
    /// Points this line adds (negative for deductions), unrounded.
    points: f64,
    /// The most this line could have given; 0 for deductions and parts without data.
    max: f64,
    /// What was counted and how, in the caller's language.
    text: String,
}

/// The domain's language for texts it writes itself (score lines, labels).
pub(super) fn target_language(lang: Lang) -> TargetLang {
    lang.domain()
}

/// The year asked for; junk is a validation error rather than a silent fallback.
fn period(ctx: &Ctx, q: &ScoresQuery) -> Result<i32, AppError> {
    match q.period.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => Ok(store::period_of(ctx.today)),
        Some(p) => p
            .parse::<i32>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                AppError::Validation(vec![("period".into(), "assessment-error-period".into())])
            }),
    }
}

fn line(ctx: &Ctx, lang: TargetLang, l: &ScoreLine) -> ScoreLineDto {
    ScoreLineDto {
        component: l.component.map(|c| c.key().to_string()),
        label: l
            .component
            .map(|c| c.label(lang).to_string())
            .unwrap_or_else(|| ctx.t("assessment-adjustment")),
        points: l.points,
        max: l.max,
        text: l.text(lang).to_string(),
    }
}

/// Every member unit's score and rank for a year, best first, with each score's lines (unit
/// staff: their own unit's line only). Texts are in the caller's language (Accept-Language).
#[utoipa::path(get, path = "/api/v1/assessment/scores", tag = "assessment", params(ScoresQuery),
    responses((status = 200, body = AssessmentDto), (status = 401, body = ErrorDto),
              (status = 404, body = ErrorDto, description = "the year has no assessment period"),
              (status = 409, body = ErrorDto, description = "no plan loaded"),
              (status = 422, body = ErrorDto, description = "period is not a year between 2000 and 2100")))]
pub async fn scores(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ScoresQuery>,
) -> Result<Json<AssessmentDto>, AppError> {
    ctx.user()?;
    let p = period(&ctx, &q)?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let (_, _, as_of) = store::period_bounds(p, ctx.today).ok_or(AppError::NotFound)?;
    // Evaluators rate blind: no totals or ranks while a window of the period is open.
    if store::blind(&state.store, &ctx.actor(), p, ctx.today).await? {
        return Err(AppError::Forbidden);
    }
    let (scheme, ranked) = store::scores(&state.store, &ctx.actor(), &plan, p, as_of).await?;
    let (_, version) = store::scheme_for(&state.store, &ctx.actor(), p).await?;
    let member_units = store::member_units(&state.store, &ctx.actor()).await?.len();
    let lang = target_language(ctx.lang);
    let units = ranked
        .iter()
        .map(|r| {
            let scored = r.score.scored();
            UnitScoreDto {
                unit_code: r.unit.code.clone(),
                unit_name: r.unit.name.clone(),
                rank: scored.then_some(r.rank),
                total: scored.then_some(r.score.total),
                lines: r.score.parts.iter().map(|l| line(&ctx, lang, l)).collect(),
            }
        })
        .collect();
    Ok(Json(AssessmentDto {
        period: p,
        as_of: as_of.to_string(),
        scheme: SchemeDto {
            name: scheme.name.clone(),
            applies_from: version.map(|v| v.applies_from),
            note: match lang {
                TargetLang::ZhCn => scheme.note_zh.clone(),
                TargetLang::En => scheme.note_en.clone(),
            },
            weights: Component::ALL
                .iter()
                .map(|c| WeightDto {
                    component: c.key().to_string(),
                    label: c.label(lang).to_string(),
                    weight: scheme.weights.get(*c),
                })
                .collect(),
            red_notice_deduction: scheme.red_notice_deduction,
            red_notice_cap: scheme.red_notice_cap,
        },
        member_units,
        units,
    }))
}

/// This module's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        scores,
        list_windows,
        open_window,
        close_window,
        get_sheet,
        put_sheet,
        rate,
        get_scheme,
        put_scheme
    ),
    components(schemas(
        RatingDto,
        SchemeTextDto,
        SchemeInputDto,
        WindowDto,
        NewWindowDto,
        SheetDto,
        SheetLineDto,
        CreatedDto,
        AssessmentDto,
        SchemeDto,
        WeightDto,
        UnitScoreDto,
        ScoreLineDto,
        ErrorDto
    ))
)]
pub struct Doc;
