//! JSON API for the registers: enterprises with their grade and blacklist state, and sampling
//! pass rates with their counts. Read-only; writing goes through the pages and the imports.

use super::ErrorDto;
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use axum::Json;
use axum::extract::{Path, Query, State};
use qcity_domain::registry::CodeList;
use qcity_store::{credit, enterprises, sampling};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn enterprise_routes(r: Routes) -> Routes {
    r.get("/api/v1/enterprises", list)
        .get("/api/v1/enterprises/{code}", one)
}

pub fn sampling_routes(r: Routes) -> Routes {
    r.get("/api/v1/sampling/pass-rates", pass_rates)
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseDto {
    id: i64,
    /// Unified social credit code (or legacy organization code), normalised.
    code: String,
    /// `uscc` or `org`.
    code_kind: String,
    /// The office's reason for accepting a code that fails its check, if any.
    code_override: Option<String>,
    name: String,
    address: String,
    industry: String,
    /// large, medium, small, micro
    size: Option<String>,
    town: String,
    chief_quality_officer: String,
    /// When the quality credit file was opened (建档), YYYY-MM-DD.
    file_opened: Option<String>,
    /// A, B, C or D as of the business date.
    grade: String,
    /// The current blacklist listing's state (proposed, listed, repair_requested), if any.
    listing: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct EnterpriseDetailDto {
    #[serde(flatten)]
    enterprise: EnterpriseDto,
    score: i32,
    /// Every step of the grade, in the caller's language.
    reasons: Vec<String>,
    licences: Vec<LicenceDto>,
    sampled_batches: i64,
    failed_batches: i64,
}

#[derive(Serialize, ToSchema)]
pub struct LicenceDto {
    /// production, ccc, food, other
    kind: String,
    number: String,
    product: String,
    issued: Option<String>,
    expires: Option<String>,
}

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// Name fragment or code prefix.
    #[serde(default)]
    q: String,
    /// 1-based page of 50.
    #[serde(default)]
    page: Option<i64>,
}

const PAGE: i64 = 50;

async fn dto(
    state: &AppState,
    e: enterprises::Enterprise,
    grade: String,
) -> Result<EnterpriseDto, AppError> {
    let listing = credit::current_listing(&state.store, e.id)
        .await?
        .map(|l| l.state.code().to_string());
    Ok(EnterpriseDto {
        id: e.id,
        code: e.code,
        code_kind: e.code_kind,
        code_override: e.code_override,
        name: e.name,
        address: e.address,
        industry: e.industry,
        size: e.size.map(|s| s.code().to_string()),
        town: e.town,
        chief_quality_officer: e.chief_quality_officer,
        file_opened: e.file_opened.map(|d| d.to_string()),
        grade,
        listing,
    })
}

/// Enterprises matching a name fragment or code prefix, 50 per page, by name.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "registers", params(ListQuery),
    responses((status = 200, body = Vec<EnterpriseDto>), (status = 401, body = ErrorDto)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<EnterpriseDto>>, AppError> {
    ctx.user()?;
    let page = q.page.unwrap_or(1).max(1);
    let (rows, _) = enterprises::search(&state.store, &q.q, PAGE, (page - 1) * PAGE).await?;
    let ids: Vec<i64> = rows.iter().map(|e| e.id).collect();
    let grades = credit::grades(&state.store, &ids, ctx.today).await?;
    let mut out = Vec::with_capacity(rows.len());
    for e in rows {
        let grade = grades
            .get(&e.id)
            .map(|g| g.code().to_string())
            .unwrap_or_default();
        out.push(dto(&state, e, grade).await?);
    }
    Ok(Json(out))
}

/// One enterprise by code: grade with its reasons, licences, sampling counts.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}", tag = "registers",
    params(("code" = String, Path, description = "unified social credit code, e.g. 914403001922038216")),
    responses((status = 200, body = EnterpriseDetailDto), (status = 404, body = ErrorDto)))]
pub async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<EnterpriseDetailDto>, AppError> {
    ctx.user()?;
    let e = enterprises::by_code(&state.store, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let grading = credit::grading(&state.store, e.id, ctx.today).await?;
    let lang = if ctx.lang == crate::i18n::Lang::En {
        qcity_domain::target::Lang::En
    } else {
        qcity_domain::target::Lang::ZhCn
    };
    let licences = enterprises::licences(&state.store, e.id)
        .await?
        .into_iter()
        .map(|l| LicenceDto {
            kind: l.kind.code().to_string(),
            number: l.number,
            product: l.product,
            issued: l.issued.map(|d| d.to_string()),
            expires: l.expires.map(|d| d.to_string()),
        })
        .collect();
    let (sampled_batches, failed_batches) = sampling::enterprise_counts(&state.store, e.id).await?;
    let enterprise = dto(&state, e, grading.grade.code().to_string()).await?;
    Ok(Json(EnterpriseDetailDto {
        enterprise,
        score: grading.score,
        reasons: grading
            .reasons
            .iter()
            .map(|r| r.text(lang).to_string())
            .collect(),
        licences,
        sampled_batches,
        failed_batches,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct PassRateDto {
    year: i32,
    /// The group's code (category name, level or kind code); "" for the year's total.
    group: String,
    batches: i64,
    passed: i64,
    /// passed ÷ batches × 100, when anything was sampled.
    rate: Option<f64>,
}

#[derive(Deserialize, IntoParams)]
pub struct RatesQuery {
    /// category, level, kind, stage, or empty for yearly totals.
    #[serde(default)]
    by: String,
}

/// Pass rates per year (and group): qualified ÷ sampled batches × 100 by the sampling year.
#[utoipa::path(get, path = "/api/v1/sampling/pass-rates", tag = "registers", params(RatesQuery),
    responses((status = 200, body = Vec<PassRateDto>), (status = 401, body = ErrorDto)))]
pub async fn pass_rates(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RatesQuery>,
) -> Result<Json<Vec<PassRateDto>>, AppError> {
    ctx.user()?;
    Ok(Json(
        sampling::pass_rates(&state.store, &q.by)
            .await?
            .into_iter()
            .map(|r| PassRateDto {
                rate: r.percent(),
                year: r.year,
                group: r.group,
                batches: r.batches,
                passed: r.passed,
            })
            .collect(),
    ))
}

/// The enterprise register's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, one),
    components(schemas(EnterpriseDto, EnterpriseDetailDto, LicenceDto, ErrorDto))
)]
pub struct EnterprisesDoc;

/// The sampling register's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(paths(pass_rates), components(schemas(PassRateDto, ErrorDto)))]
pub struct SamplingDoc;
