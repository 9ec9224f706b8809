//! JSON API for indicators: current status and explanation, values and their history, and
//! value submission by API clients (submitted for the office's approval like any entry).

use super::{ApiJson, ErrorDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use crate::view::{require_plan, target_lang};
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::supervision::{Entrant, may_enter_value};
use qcity_domain::target;
use qcity_store::indicators::{self, EntryRules, NewValue};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/indicators", list)
        .get("/api/v1/indicators/{code}", one)
        .get("/api/v1/indicators/{code}/values", values)
        .post("/api/v1/indicators/{code}/values", submit)
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
    let (_, plan) = require_plan(state).await?;
    let obs = indicators::observations(&state.store, &plan, ctx.today).await?;
    let standings = indicators::evaluate(&plan, &obs, ctx.today);
    let public = indicators::disclosed(&state.store).await?;
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
#[utoipa::path(get, path = "/api/v1/indicators", tag = "indicators", responses((status = 200, body = Vec<IndicatorDto>), (status = 401, body = ErrorDto)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<IndicatorDto>>, AppError> {
    ctx.user()?;
    Ok(Json(dtos(&state, &ctx).await?))
}

/// One indicator.
#[utoipa::path(get, path = "/api/v1/indicators/{code}", tag = "indicators", params(("code" = String, Path, description = "e.g. ENV-6")),
    responses((status = 200, body = IndicatorDto), (status = 404, body = ErrorDto)))]
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
    measure: String,
    year: i64,
    value: Option<f64>,
    judged: Option<bool>,
    comment: String,
    source: String,
    /// submitted, approved, rejected, superseded
    status: String,
    version: i64,
    entered_by: String,
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
    Ok(Json(
        list.into_iter()
            .map(|v| ValueDto {
                id: v.id,
                measure: v.measure,
                year: v.year,
                value: v.value,
                judged: v.judged,
                comment: v.comment,
                source: v.source,
                status: v.status,
                version: v.version,
                entered_by: v.entered_by,
            })
            .collect(),
    ))
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
}

/// Submits a value (the office or the responsible unit); the office approves it.
#[utoipa::path(post, path = "/api/v1/indicators/{code}/values", tag = "indicators", params(("code" = String, Path)), request_body = NewValueDto,
    responses((status = 201, description = "{\"id\": value id}"), (status = 403, body = ErrorDto), (status = 422, body = ErrorDto)))]
pub async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let (_, plan) = require_plan(&state).await?;
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
    let v = NewValue {
        indicator: code,
        measure: n.measure,
        year: n.year,
        value: n.value,
        judged: n.judged,
        comment: n.comment,
        source: "api".into(),
    };
    let id =
        indicators::submit(&state.store, &ctx.actor(), &plan, v, &EntryRules::default()).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({"id": id}))).into_response())
}

/// This module's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(list, one, values, submit),
    components(schemas(IndicatorDto, ValueDto, NewValueDto, ErrorDto))
)]
pub struct Doc;
