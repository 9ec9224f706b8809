//! JSON API for quality analysis reports (质量分析报告): the archive and one report with its
//! narrative and figures. Read-only; scoped by the store as on `/reports`: issued reports for
//! every signed-in role, drafts only for the office and leaders (to anyone else a draft does
//! not exist). Not to be confused with the obligations' progress reports
//! (`/api/v1/obligations/{id}/reports`, reviewed at `/api/v1/reports/{id}/review`).

use super::{ApiJson, CreatedDto, ErrorDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::module::Routes;
use crate::view::require_plan;
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::role::Role;
use qcity_store::reports::{self, AreaFigures, Figures, IndicatorLine, PassLine, Report};
use serde::Deserialize;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/quality-reports", list)
        .get("/api/v1/quality-reports/{id}", one)
        .post("/api/v1/quality-reports", create)
        .put("/api/v1/quality-reports/{id}/narrative", narrative)
        .post("/api/v1/quality-reports/{id}/issue", issue)
        .put("/api/v1/quality-reports/{id}/publication", publication)
}

#[derive(Deserialize, ToSchema)]
pub struct NewQualityReportDto {
    /// `2014` (the year), `2014-H1` or `2014-H2`.
    period: String,
}

/// Starts a draft analysis report for a period (office).
#[utoipa::path(post, path = "/api/v1/quality-reports", tag = "reports", request_body = NewQualityReportDto,
    responses((status = 201, body = CreatedDto), (status = 409, body = ErrorDto)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<NewQualityReportDto>::from_request(req, &state).await?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let id = reports::create(&state.store, &ctx.actor(), &plan, f.period.trim()).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct NarrativeDto {
    /// The draft's `row_version`, to detect concurrent edits.
    row_version: i64,
    /// Text of each section by its key (the report's sections).
    sections: BTreeMap<String, String>,
}

/// Saves a draft's narrative (office).
#[utoipa::path(put, path = "/api/v1/quality-reports/{id}/narrative", tag = "reports", params(("id" = i64, Path)), request_body = NarrativeDto,
    responses((status = 204), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "issued, or changed since row_version")))]
pub async fn narrative(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<NarrativeDto>::from_request(req, &state).await?;
    reports::save_narrative(&state.store, &ctx.actor(), id, f.row_version, &f.sections).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct IssueReportDto {
    /// The draft's `row_version`.
    row_version: i64,
}

/// Issues a draft (office): its figures are frozen as computed now and it is numbered.
#[utoipa::path(post, path = "/api/v1/quality-reports/{id}/issue", tag = "reports", params(("id" = i64, Path)), request_body = IssueReportDto,
    responses((status = 204), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "already issued, or changed since row_version")))]
pub async fn issue(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<IssueReportDto>::from_request(req, &state).await?;
    let r = reports::get(&state.store, &ctx.actor(), id).await?;
    if r.issued() {
        return Err(AppError::Conflict("report-error-issued".into()));
    }
    let (_, plan) = require_plan(&state, &ctx).await?;
    let period = r.period().ok_or(AppError::NotFound)?;
    let figures = reports::compute(&state.store, &plan, period, ctx.today).await?;
    reports::issue(
        &state.store,
        &ctx.actor(),
        id,
        f.row_version,
        &figures,
        ctx.today,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct PublicationDto {
    /// Shown on the public portal.
    published: bool,
}

/// Publishes an issued report on the public portal, or withdraws it (office).
#[utoipa::path(put, path = "/api/v1/quality-reports/{id}/publication", tag = "reports", params(("id" = i64, Path)), request_body = PublicationDto,
    responses((status = 204), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "a draft cannot be published")))]
pub async fn publication(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<PublicationDto>::from_request(req, &state).await?;
    reports::set_published(&state.store, &ctx.actor(), id, f.published).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct QualityReportDto {
    id: i64,
    /// `2014` (the year), `2014-H1` or `2014-H2`.
    period: String,
    /// The period in words, in the caller's language.
    period_label: String,
    title: String,
    /// draft or issued
    status: String,
    /// The number within the issue year (〔2015〕1号 → 1); null for a draft.
    number: Option<i64>,
    /// YYYY-MM-DD; null for a draft.
    issued_on: Option<String>,
    /// Published on the public portal.
    published: bool,
}

#[derive(Serialize, ToSchema)]
pub struct QualityReportDetailDto {
    #[serde(flatten)]
    report: QualityReportDto,
    /// Who issued it; null for a draft.
    issued_by: Option<String>,
    /// True when the figures are the ones frozen at issue; false for a draft, whose figures
    /// are computed as of the business date on each request.
    figures_frozen: bool,
    /// The narrative sections in order: summary, product, engineering, service, environment,
    /// next_steps ("" where nothing is written yet).
    sections: Vec<SectionDto>,
    figures: ReportFiguresDto,
}

#[derive(Serialize, ToSchema)]
pub struct SectionDto {
    key: String,
    /// The section's heading in the caller's language.
    heading: String,
    text: String,
}

#[derive(Serialize, ToSchema)]
pub struct ReportFiguresDto {
    period: String,
    /// The issuing office.
    issuer: String,
    year: i32,
    /// The date the figures are counted as of.
    as_of: String,
    /// The plan's final year, which projections aim at.
    deadline: i32,
    areas: Vec<AreaDto>,
    /// Sampling in the report's year; null when nothing was sampled.
    sampling_total: Option<PassLineDto>,
    sampling_by_category: Vec<PassLineDto>,
    /// Grouped by sampling level code (national, provincial, city, district).
    sampling_by_level: Vec<PassLineDto>,
    progress: ReportProgressDto,
}

#[derive(Serialize, ToSchema)]
pub struct AreaDto {
    /// product, engineering, service or environment
    code: String,
    name: String,
    indicators: Vec<ReportIndicatorDto>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportIndicatorDto {
    code: String,
    name: String,
    unit: String,
    /// The target expression as it stood.
    target_expr: String,
    /// The target in words, in the caller's language.
    target: String,
    /// The newest value up to the report's year ("2014: 96.5"); "" when none.
    value: String,
    /// met, not_met, on_track, off_track, no_data
    status: String,
    explanation: String,
    /// The trend's projection to the deadline; "" without numbers.
    projection: String,
    series: Vec<SeriesDto>,
}

#[derive(Serialize, ToSchema)]
pub struct SeriesDto {
    /// The measure's label ("" for a single measure).
    label: String,
    name: String,
    points: Vec<PointDto>,
}

#[derive(Serialize, ToSchema)]
pub struct PointDto {
    year: i32,
    value: f64,
}

#[derive(Serialize, ToSchema)]
pub struct PassLineDto {
    group: String,
    batches: i64,
    passed: i64,
    /// Percent with one decimal; null when no batches.
    rate: Option<f64>,
}

#[derive(Serialize, ToSchema)]
pub struct ReportProgressDto {
    /// Obligations in the plan.
    total: usize,
    /// Due by the report's date.
    due: usize,
    accepted: usize,
    overdue: usize,
    /// Percent with one decimal.
    completion_rate: Option<f64>,
}

fn pick(lang: Lang, zh: &str, en: &str) -> String {
    match lang {
        Lang::ZhCn => zh.to_string(),
        Lang::En => en.to_string(),
    }
}

fn summary(lang: Lang, r: &Report) -> QualityReportDto {
    let issued = r.issued();
    QualityReportDto {
        id: r.id,
        period_label: r
            .period()
            .map(|p| match lang {
                Lang::ZhCn => p.label_zh(),
                Lang::En => p.label_en(),
            })
            .unwrap_or_else(|| r.period.clone()),
        period: r.period.clone(),
        title: r.title.clone(),
        status: r.status.clone(),
        number: issued.then_some(r.number),
        issued_on: issued.then(|| r.issued_on.clone()),
        published: r.published,
    }
}

fn pass_line(l: &PassLine) -> PassLineDto {
    PassLineDto {
        group: l.group.clone(),
        batches: l.batches,
        passed: l.passed,
        rate: l.rate.parse().ok(),
    }
}

fn indicator(lang: Lang, i: &IndicatorLine) -> ReportIndicatorDto {
    ReportIndicatorDto {
        code: i.code.clone(),
        name: i.name.clone(),
        unit: i.unit.clone(),
        target_expr: i.target_expr.clone(),
        target: pick(lang, &i.target_zh, &i.target_en),
        value: i.value.clone(),
        status: i.status.clone(),
        explanation: pick(lang, &i.explanation_zh, &i.explanation_en),
        projection: pick(lang, &i.projection_zh, &i.projection_en),
        series: i
            .series
            .iter()
            .map(|s| SeriesDto {
                label: s.label.clone(),
                name: s.name.clone(),
                points: s
                    .points
                    .iter()
                    .map(|(year, value)| PointDto {
                        year: *year,
                        value: *value,
                    })
                    .collect(),
            })
            .collect(),
    }
}

fn area(lang: Lang, a: &AreaFigures) -> AreaDto {
    AreaDto {
        code: a.code.clone(),
        name: a.name.clone(),
        indicators: a.indicators.iter().map(|i| indicator(lang, i)).collect(),
    }
}

fn figures_dto(lang: Lang, f: &Figures) -> ReportFiguresDto {
    ReportFiguresDto {
        period: f.period.clone(),
        issuer: f.issuer.clone(),
        year: f.year,
        as_of: f.as_of.clone(),
        deadline: f.deadline,
        areas: f.areas.iter().map(|a| area(lang, a)).collect(),
        sampling_total: f.sampling_total.as_ref().map(pass_line),
        sampling_by_category: f.sampling_by_category.iter().map(pass_line).collect(),
        sampling_by_level: f.sampling_by_level.iter().map(pass_line).collect(),
        progress: ReportProgressDto {
            total: f.progress.total,
            due: f.progress.due,
            accepted: f.progress.accepted,
            overdue: f.progress.overdue,
            completion_rate: f.progress.completion_rate.parse().ok(),
        },
    }
}

/// The quality analysis reports the caller may see, newest period first (drafts only for the
/// office and leaders).
#[utoipa::path(get, path = "/api/v1/quality-reports", tag = "reports",
    responses((status = 200, body = Vec<QualityReportDto>), (status = 401, body = ErrorDto)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<QualityReportDto>>, AppError> {
    ctx.user()?;
    let list = reports::list(&state.store, &ctx.actor()).await?;
    Ok(Json(list.iter().map(|r| summary(ctx.lang, r)).collect()))
}

/// One quality analysis report with its narrative sections and figures (frozen when issued,
/// computed as of the business date while a draft). A draft is not found except for the office
/// and leaders.
#[utoipa::path(get, path = "/api/v1/quality-reports/{id}", tag = "reports",
    params(("id" = i64, Path, description = "the report's id")),
    responses((status = 200, body = QualityReportDetailDto), (status = 401, body = ErrorDto),
              (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "no plan loaded (a draft is computed from it)")))]
pub async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(raw): Path<String>,
) -> Result<Json<QualityReportDetailDto>, AppError> {
    ctx.user()?;
    let id: i64 = raw.trim().parse().map_err(|_| AppError::NotFound)?;
    let r = reports::get(&state.store, &ctx.actor(), id).await?;
    let computed;
    let (figures, frozen) = match &r.figures {
        Some(f) => (f, true),
        None => {
            let (_, plan) = require_plan(&state, &ctx).await?;
            let period = r.period().ok_or(AppError::NotFound)?;
            computed = reports::compute(&state.store, &plan, period, ctx.today).await?;
            (&computed, false)
        }
    };
    let lang = ctx.lang;
    let sections = reports::SECTIONS
        .iter()
        .map(|key| SectionDto {
            key: (*key).to_string(),
            heading: lang.t(&format!("report-sec-{key}")),
            text: r.section(key).to_string(),
        })
        .collect();
    Ok(Json(QualityReportDetailDto {
        issued_by: r.issued().then(|| r.issued_by.clone()),
        figures_frozen: frozen,
        sections,
        figures: figures_dto(lang, figures),
        report: summary(lang, &r),
    }))
}

/// This module's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, one, create, narrative, issue, publication),
    components(schemas(
        NewQualityReportDto,
        NarrativeDto,
        IssueReportDto,
        PublicationDto,
        CreatedDto,
        QualityReportDto,
        QualityReportDetailDto,
        SectionDto,
        ReportFiguresDto,
        AreaDto,
        ReportIndicatorDto,
        SeriesDto,
        PointDto,
        PassLineDto,
        ReportProgressDto,
        ErrorDto
    ))
)]
pub struct Doc;
