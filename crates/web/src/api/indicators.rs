//! JSON API for indicators: current status and explanation, values and their history, and
//! value submission by API clients (submitted for the office's approval like any entry).

use super::{ApiJson, CreatedDto, ErrorDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::{BodyLimit, Routes};
use crate::view::{require_plan, target_lang};
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::role::Role;
use qcity_domain::supervision::{Entrant, may_enter_value};
use qcity_domain::target;
use qcity_store::StoreError;
use qcity_store::evidence::EvidencePolicy;
use qcity_store::indicators::{self, EntryRules, NewValue};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Every operation keeps its records per district, as the pages do.
pub fn routes(r: Routes) -> Routes {
    r.per_district(true)
        .get("/api/v1/indicators", list)
        .get("/api/v1/indicators/{code}", one)
        .get("/api/v1/indicators/{code}/values", values)
        .post("/api/v1/indicators/{code}/values", submit)
        .put("/api/v1/indicators/{code}/disclosure", disclosure)
        .get("/api/v1/indicator-values/pending", pending)
        .post("/api/v1/indicator-values/{id}/decision", decide)
        .get("/api/v1/benchmarks", benchmarks)
        .post("/api/v1/benchmarks", add_benchmark)
        .upload(
            "/api/v1/indicator-values/{id}/files",
            BodyLimit::Evidence,
            upload_files,
        )
        .get("/api/v1/indicator-values/{id}/files/{sha}", download_file)
}

/// One value of a benchmark series (全国平均水平 …).
#[derive(Serialize, Deserialize, ToSchema)]
pub struct BenchmarkDto {
    /// The series, as the plan's targets name it, e.g. "全国平均水平".
    name: String,
    year: i64,
    value: f64,
    /// Where the figure comes from (required).
    #[schema(min_length = 1)]
    source: String,
}

/// Benchmark values in force, by series and year (every signed-in role).
#[utoipa::path(get, path = "/api/v1/benchmarks", tag = "indicators",
    responses((status = 200, body = Vec<BenchmarkDto>)))]
pub async fn benchmarks(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<BenchmarkDto>>, AppError> {
    ctx.user()?;
    Ok(Json(
        indicators::benchmark_values(&state.store, &ctx.actor())
            .await?
            .into_iter()
            .map(|b| BenchmarkDto {
                name: b.name,
                year: b.year,
                value: b.value,
                source: b.source,
            })
            .collect(),
    ))
}

/// Records a benchmark value with its source (office); it counts at once.
#[utoipa::path(post, path = "/api/v1/benchmarks", tag = "indicators", request_body = BenchmarkDto,
    responses((status = 201, body = CreatedDto)))]
pub async fn add_benchmark(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(b) = ApiJson::<BenchmarkDto>::from_request(req, &state).await?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let id = indicators::add_benchmark(
        &state.store,
        &ctx.actor(),
        &plan,
        b.name.trim(),
        b.year,
        b.value,
        b.source.trim(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

#[derive(Serialize, ToSchema)]
pub struct IndicatorDto {
    code: String,
    area: String,
    name: String,
    text: String,
    /// The target expression (docs/target-language.md).
    target: String,
    target_explained: String,
    /// met, not_met, on_track, off_track, no_data
    status: String,
    explanation: String,
    /// higher, lower or judged
    direction: String,
    /// Measures values are entered for ("" for a single measure).
    measures: Vec<String>,
    responsible_units: Vec<String>,
    public: bool,
}

async fn dtos(state: &AppState, ctx: &Ctx) -> Result<Vec<IndicatorDto>, AppError> {
    let (_, plan) = require_plan(state, ctx).await?;
    let actor = ctx.actor();
    let obs = indicators::observations_of(&state.store, &actor, &plan, ctx.today).await?;
    let standings = indicators::evaluate(&plan, &obs, ctx.today);
    let public = indicators::disclosed_of(&state.store, &actor).await?;
    let lang = target_lang(&ctx.page());
    Ok(plan
        .indicators
        .iter()
        .zip(standings)
        .map(|(ind, st)| {
            let parsed = ind.target.parsed().ok();
            IndicatorDto {
                code: ind.code.clone(),
                area: ind.area.clone(),
                name: ind.name.clone(),
                text: ind.text.clone(),
                target: parsed
                    .as_ref()
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| ind.target.to_string()),
                target_explained: parsed
                    .as_ref()
                    .map(|t| target::explain(t, lang))
                    .unwrap_or_default(),
                status: serde_json::to_value(st.evaluation.status)
                    .ok()
                    .and_then(|v| v.as_str().map(String::from))
                    .unwrap_or_default(),
                explanation: st.evaluation.explanation(lang).to_string(),
                direction: st.direction.to_string(),
                measures: parsed
                    .as_ref()
                    .map(|t| {
                        indicators::measures(t)
                            .into_iter()
                            .map(|m| m.label)
                            .collect()
                    })
                    .unwrap_or_default(),
                responsible_units: indicators::responsible_units(&plan, ind),
                public: public.contains(&ind.code),
            }
        })
        .collect())
}

/// Every indicator with its current status and explanation (in the caller's language).
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", responses((status = 200, body = Vec<IndicatorDto>),
    (status = 409, body = ErrorDto, description = "no plan loaded")))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<IndicatorDto>>, AppError> {
    ctx.user()?;
    Ok(Json(dtos(&state, &ctx).await?))
}

/// One indicator.
#[utoipa::path(get, path = "/api/v1/indicators/{code}", tag = "indicators", params(("code" = String, Path, description = "e.g. ENV-6")),
    responses((status = 200, body = IndicatorDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "no plan loaded")))]
pub async fn one(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<IndicatorDto>, AppError> {
    ctx.user()?;
    dtos(&state, &ctx)
        .await?
        .into_iter()
        .find(|d| d.code == code)
        .map(Json)
        .ok_or(AppError::NotFound)
}

#[derive(Serialize, ToSchema)]
pub struct ValueDto {
    id: i64,
    /// The indicator's code.
    indicator: String,
    measure: String,
    year: i64,
    value: Option<f64>,
    judged: Option<bool>,
    comment: String,
    source: String,
    /// submitted, approved, rejected, superseded
    status: String,
    /// The version within the caller's district's values of this key.
    version: i64,
    /// For a rate entered with its counts: the numerator.
    numerator: Option<f64>,
    /// For a rate entered with its counts: the denominator.
    denominator: Option<f64>,
    /// The unit that entered it, if a unit did.
    unit: Option<String>,
    entered_by: String,
    /// Who approved or returned it.
    decided_by: Option<String>,
    /// Its evidence files (download: `/api/v1/indicator-values/{id}/files/{sha256}`).
    files: Vec<EvidenceFileDto>,
}

/// An evidence file of a value.
#[derive(Serialize, ToSchema)]
pub struct EvidenceFileDto {
    /// SHA-256 of the content, hex: the file's key.
    sha256: String,
    /// The stored name; its extension follows the content's type.
    filename: String,
}

impl From<indicators::ValueRecord> for ValueDto {
    fn from(v: indicators::ValueRecord) -> Self {
        ValueDto {
            id: v.id,
            indicator: v.indicator,
            measure: v.measure,
            year: v.year,
            value: v.value,
            judged: v.judged,
            comment: v.comment,
            source: v.source,
            status: v.status,
            version: v.version,
            numerator: v.numerator,
            denominator: v.denominator,
            unit: v.unit_code,
            entered_by: v.entered_by,
            decided_by: v.decided_by,
            files: v
                .files
                .into_iter()
                .map(|(sha256, filename)| EvidenceFileDto { sha256, filename })
                .collect(),
        }
    }
}

/// Every version of the indicator's values, newest first.
#[utoipa::path(get, path = "/api/v1/indicators/{code}/values", tag = "indicators", params(("code" = String, Path)),
    responses((status = 200, body = Vec<ValueDto>), (status = 401, body = ErrorDto)))]
pub async fn values(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<Vec<ValueDto>>, AppError> {
    ctx.user()?;
    let list = indicators::history(&state.store, &ctx.actor(), Some(&code)).await?;
    Ok(Json(list.into_iter().map(ValueDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct NewValueDto {
    #[serde(default)]
    measure: String,
    year: i64,
    #[serde(default)]
    value: Option<f64>,
    /// For qualitative measures: true met, false not met.
    #[serde(default)]
    judged: Option<bool>,
    #[serde(default)]
    comment: String,
    /// For a rate: the numerator it is made of (with `denominator`; without `value` the
    /// value is computed from the two).
    #[serde(default)]
    numerator: Option<f64>,
    #[serde(default)]
    denominator: Option<f64>,
}

/// Submits a value (the office or the responsible unit); the office approves it.
#[utoipa::path(post, path = "/api/v1/indicators/{code}/values", tag = "indicators", params(("code" = String, Path)), request_body = NewValueDto,
    responses((status = 201, body = CreatedDto), (status = 404, body = ErrorDto, description = "no such indicator"),
              (status = 409, body = ErrorDto, description = "no plan loaded")))]
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    let ind = qcity_store::indicators::measured(&plan, &code).ok_or(AppError::NotFound)?;
    let allowed = may_enter_value(
        &plan,
        &ind,
        Entrant::of(user.role, user.unit_code.as_deref()),
    );
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let ApiJson(n) = ApiJson::<NewValueDto>::from_request(req, &state).await?;
    let parts = match (n.numerator, n.denominator) {
        (None, None) => None,
        (Some(numerator), Some(denominator)) => Some(qcity_domain::org::Ratio {
            numerator,
            denominator,
        }),
        (None, Some(_)) => return Err(StoreError::invalid("numerator", "error-parts-both").into()),
        (Some(_), None) => {
            return Err(StoreError::invalid("denominator", "error-parts-both").into());
        }
    };
    let v = NewValue {
        indicator: code,
        measure: n.measure,
        year: n.year,
        value: n.value,
        judged: n.judged,
        comment: n.comment,
        source: "api".into(),
    };
    let rules = EntryRules::default();
    let id =
        indicators::submit_with_parts(&state.store, &ctx.actor(), &plan, v, parts, &rules).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

/// Values waiting for the office's decision (office only), by indicator, year and measure.
#[utoipa::path(get, path = "/api/v1/indicator-values/pending", tag = "indicators",
    responses((status = 200, body = Vec<ValueDto>)))]
pub async fn pending(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ValueDto>>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let list = indicators::pending(&state.store, &ctx.actor()).await?;
    Ok(Json(list.into_iter().map(ValueDto::from).collect()))
}

#[derive(Deserialize, ToSchema)]
pub struct DecisionDto {
    /// `approve`, or `return` to send it back to whoever entered it.
    #[schema(pattern = "^(approve|return)$")]
    decision: String,
    /// Why it is returned (required for `return`).
    #[serde(default)]
    #[schema(max_length = 1000)]
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct DecidedDto {
    id: i64,
    /// approved or rejected
    status: String,
}

/// The office approves a submitted value or returns it with a reason, as on the indicator's
/// page; an approved value supersedes the one approved before it.
#[utoipa::path(post, path = "/api/v1/indicator-values/{id}/decision", tag = "indicators",
    params(("id" = i64, Path, description = "the value's id")), request_body = DecisionDto,
    responses((status = 200, body = DecidedDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "already decided")))]
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Json<DecidedDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(d) = ApiJson::<DecisionDto>::from_request(req, &state).await?;
    let approve = match d.decision.as_str() {
        "approve" => true,
        "return" => false,
        _ => {
            return Err(AppError::Validation(vec![(
                "decision".into(),
                "error-decision".into(),
            )]));
        }
    };
    indicators::decide(&state.store, &ctx.actor(), id, approve, &d.reason).await?;
    Ok(Json(DecidedDto {
        id,
        status: if approve { "approved" } else { "rejected" }.into(),
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct DisclosureDto {
    /// Shown on the public portal.
    public: bool,
}

/// The office shows an indicator on the public portal or hides it.
#[utoipa::path(put, path = "/api/v1/indicators/{code}/disclosure", tag = "indicators",
    params(("code" = String, Path, description = "e.g. ENV-6")), request_body = DisclosureDto,
    responses((status = 200, body = IndicatorDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "no plan loaded")))]
pub async fn disclosure(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    req: Request,
) -> Result<Json<IndicatorDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let (_, plan) = require_plan(&state, &ctx).await?;
    if indicators::measured(&plan, &code).is_none() {
        return Err(AppError::NotFound);
    }
    let ApiJson(d) = ApiJson::<DisclosureDto>::from_request(req, &state).await?;
    indicators::set_disclosed(&state.store, &ctx.actor(), &code, d.public).await?;
    dtos(&state, &ctx)
        .await?
        .into_iter()
        .find(|i| i.code == code)
        .map(Json)
        .ok_or(AppError::NotFound)
}

/// The multipart form of an evidence upload (described here; read by `upload::read_form`).
#[derive(ToSchema)]
#[allow(dead_code)] // never built: it only describes the form in the OpenAPI document
pub struct EvidenceUploadDto {
    /// One or more files (repeat the field), each up to 20 MB: PDF, images, office documents,
    /// text. The type is judged by the content, not the name; programs, scripts, installers
    /// and macro documents are refused, also when named like a PDF.
    #[schema(value_type = Vec<String>, format = Binary)]
    files: Vec<Vec<u8>>,
}

/// Attaches evidence files to a value while it awaits the office's decision (the office, or
/// the unit that entered it), as the indicator's page does: each file streamed to disk as it
/// arrives and refused past the evidence limit, then checked by content before anything is
/// stored; a refused file leaves nothing behind.
#[utoipa::path(post, path = "/api/v1/indicator-values/{id}/files", tag = "indicators",
    params(("id" = i64, Path, description = "the value's id")),
    request_body(content = EvidenceUploadDto, content_type = "multipart/form-data"),
    responses((status = 201, body = Vec<EvidenceFileDto>, description = "the value's files now"),
              (status = 403, body = ErrorDto, description = "another unit's value"),
              (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "the value was already decided"),
              (status = 413, body = ErrorDto, description = "the upload is larger than the evidence limit"),
              (status = 422, body = ErrorDto, description = "no file, not a multipart form, a file too large, or a refused type (`fields.files` says which)")))]
pub async fn upload_files(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    // Who may attach is settled before the body is read.
    let indicator = indicators::may_attach(&state.store, &ctx.actor(), id).await?;
    let max = state.config.max_evidence_bytes as u64;
    let form = crate::upload::read_form(req, &state, max).await?;
    if let Some(problem) = form.problem {
        return Err(AppError::Validation(vec![(
            "files".into(),
            problem.message(ctx.lang),
        )]));
    }
    let files = form.evidence("files").await?;
    if files.is_empty() {
        return Err(StoreError::invalid("files", "error-upload-no-file").into());
    }
    let policy = EvidencePolicy {
        max_bytes: state.config.max_evidence_bytes,
    };
    indicators::attach_evidence(&state.store, &ctx.actor(), id, &files, &policy).await?;
    let listed = indicators::history(&state.store, &ctx.actor(), Some(&indicator))
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .map(|v| ValueDto::from(v).files)
        .unwrap_or_default();
    Ok((StatusCode::CREATED, Json(listed)).into_response())
}

/// One evidence file of a value (every role that reads internal records), always as an
/// attachment in the type it was stored as, with `X-Content-Type-Options: nosniff`.
#[utoipa::path(get, path = "/api/v1/indicator-values/{id}/files/{sha}", tag = "indicators",
    params(("id" = i64, Path, description = "the value's id"), ("sha" = String, Path, description = "the file's SHA-256")),
    responses((status = 200, description = "the file, as an attachment", content_type = "application/octet-stream", body = [u8]),
              (status = 404, body = ErrorDto)))]
pub async fn download_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, sha)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (filename, mime, data) = indicators::evidence(&state.store, &ctx.actor(), id, &sha).await?;
    Ok(crate::view::evidence_download(data, &mime, &filename))
}

/// This module's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list,
        one,
        values,
        submit,
        disclosure,
        pending,
        decide,
        benchmarks,
        add_benchmark,
        upload_files,
        download_file
    ),
    components(schemas(
        EvidenceFileDto,
        EvidenceUploadDto,
        BenchmarkDto,
        IndicatorDto,
        ValueDto,
        NewValueDto,
        CreatedDto,
        DecisionDto,
        DecidedDto,
        DisclosureDto,
        ErrorDto
    ))
)]
pub struct Doc;
