//! Four eyes through the API: the office's approval rules, and the disclosure review of failed
//! sampling results — the same store functions and rules as `/admin/approvals` and
//! `/sampling/disclose`.

use crate::AppState;
use crate::api::{ApiJson, ErrorDto};
use crate::ctx::Ctx;
use crate::error::AppError;
use axum::Json;
use axum::extract::{FromRequest, Request, State};
use qcity_domain::approval::{Kind, Rule};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One kind of decision's rule.
#[derive(Serialize, Deserialize, ToSchema)]
pub struct ApprovalRuleDto {
    /// `indicator_value`, `credit_listing` or `sampling_disclosure`.
    pub kind: String,
    /// The one who entered it may not decide it.
    pub four_eyes: bool,
    /// Days from review to publication (0–90; sampling disclosures only).
    #[serde(default)]
    pub objection_days: u32,
}

/// The approval rules of every kind.
#[utoipa::path(get, path = "/api/v1/approval-rules", tag = "approvals",
    responses((status = 200, body = Vec<ApprovalRuleDto>)))]
pub async fn get_rules(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<ApprovalRuleDto>>, AppError> {
    ctx.user()?;
    ctx.actor().require_admin()?;
    Ok(Json(
        qcity_store::approvals::rules(&state.store)
            .await?
            .into_iter()
            .map(|r| ApprovalRuleDto {
                kind: r.kind.code().into(),
                four_eyes: r.four_eyes,
                objection_days: r.objection_days,
            })
            .collect(),
    ))
}

/// Sets one kind's rule (office only); recorded in the audit trail.
#[utoipa::path(put, path = "/api/v1/approval-rules", tag = "approvals",
    request_body = ApprovalRuleDto,
    responses((status = 200, body = ApprovalRuleDto)))]
pub async fn put_rule(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Json<ApprovalRuleDto>, AppError> {
    ctx.user()?;
    // The role first: others are refused whatever they send.
    ctx.actor().require_admin()?;
    let ApiJson(dto) = ApiJson::<ApprovalRuleDto>::from_request(req, &state).await?;
    let kind = Kind::parse(&dto.kind)
        .ok_or_else(|| AppError::Validation(vec![("kind".into(), "error-json-invalid".into())]))?;
    qcity_store::approvals::set(
        &state.store,
        &ctx.actor(),
        Rule {
            kind,
            four_eyes: dto.four_eyes,
            objection_days: dto.objection_days,
        },
    )
    .await?;
    Ok(Json(dto))
}

/// Failed results to review for disclosure: listed ids, or every one waiting.
#[derive(Deserialize, ToSchema)]
pub struct SamplingDisclosureRequestDto {
    /// Sampling record ids; empty with `all` to take every result waiting for review.
    #[serde(default)]
    pub ids: Vec<i64>,
    #[serde(default)]
    pub all: bool,
}

/// What a disclosure review did.
#[derive(Serialize, ToSchema)]
pub struct SamplingDisclosedDto {
    /// Reviewed: public from the review day plus the objection period.
    pub reviewed: usize,
    /// Left for a colleague: recorded by the caller, under four eyes.
    pub left_for_another: usize,
}

/// Reviews failed sampling results for the public portal (office only).
#[utoipa::path(post, path = "/api/v1/sampling/disclosures", tag = "registers",
    request_body = SamplingDisclosureRequestDto,
    responses((status = 200, body = SamplingDisclosedDto), (status = 404, body = ErrorDto)))]
pub async fn disclose(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Json<SamplingDisclosedDto>, AppError> {
    ctx.user()?;
    // The role first: others are refused whatever they send.
    ctx.actor().require_admin()?;
    let ApiJson(req) = ApiJson::<SamplingDisclosureRequestDto>::from_request(req, &state).await?;
    let ids = if req.all {
        qcity_store::sampling::awaiting_disclosure_of(&state.store, &ctx.actor()).await?
    } else {
        req.ids
    };
    let (reviewed, left_for_another) =
        qcity_store::sampling::disclose(&state.store, &ctx.actor(), &ids, ctx.today).await?;
    Ok(Json(SamplingDisclosedDto {
        reviewed,
        left_for_another,
    }))
}
