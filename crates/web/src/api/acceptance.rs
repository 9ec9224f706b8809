//! JSON API for the acceptance self-check (创建验收自查): the four stages (which are opened, and
//! when they are held) and the current readiness, as the leaders' page reads it (every
//! signed-in role, as on `/acceptance`); the office opens a stage, dates it, and records its
//! findings and rectifications, as on the stage's page.

use super::{ApiJson, CreatedDto, ErrorDto, RulesTomlDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use axum::Json;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::acceptance::Readiness;
use qcity_domain::acceptance::Sheet;
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::acceptance as store;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/acceptance", overview)
        .get("/api/v1/acceptance/stages/{stage}", stage_detail)
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
        .put(
            "/api/v1/acceptance/stages/{stage}/rectifications/{id}/done",
            rectification_done,
        )
        .post("/api/v1/acceptance/stages/{stage}/decisions", decide)
        .get("/api/v1/acceptance/sheet", get_sheet)
        .put("/api/v1/acceptance/sheet", put_sheet)
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

#[derive(Deserialize, ToSchema)]
pub struct RectificationDoneDto {
    /// Whether the rectification is done.
    done: bool,
}

/// Marks a rectification done or not done (office), as on the stage's page.
#[utoipa::path(put, path = "/api/v1/acceptance/stages/{stage}/rectifications/{id}/done", tag = "acceptance",
    params(("stage" = String, Path), ("id" = i64, Path)), request_body = RectificationDoneDto,
    responses((status = 204), (status = 404, body = ErrorDto, description = "no such stage, or no such rectification in it"),
              (status = 409, body = ErrorDto, description = "the stage is not open yet")))]
pub async fn rectification_done(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((stage, id)): Path<(String, i64)>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<RectificationDoneDto>::from_request(req, &state).await?;
    store::set_rectification_done(&state.store, &ctx.actor(), &stage, id, f.done).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A reviewer's decision on one criterion of a stage's sheet.
#[derive(Deserialize, ToSchema)]
pub struct AcceptanceDecideDto {
    /// The criterion's code on the stage's sheet.
    #[schema(min_length = 1)]
    criterion: String,
    /// `confirm` takes QCity's proposal as it stands; `override` sets other points (or another
    /// veto outcome) and needs a comment saying why.
    #[schema(pattern = "^(confirm|override)$")]
    action: String,
    /// For `override`: the points, 0 to the criterion's maximum (ignored for a veto criterion;
    /// may be left out when `veto_failed` is true).
    #[serde(default)]
    points: Option<f64>,
    /// For `override` of a veto criterion: the veto failed.
    #[serde(default)]
    veto_failed: bool,
    /// Why; required for `override`.
    #[serde(default)]
    #[schema(max_length = 2000)]
    comment: String,
    /// For `confirm`: the proposed points the client showed. When QCity's proposal has moved
    /// since, the confirmation is refused (422) so nobody confirms points they never saw.
    #[serde(default)]
    shown_points: Option<f64>,
    /// For `confirm` with `shown_points`: whether the shown proposal failed a veto.
    #[serde(default)]
    shown_veto_failed: bool,
}

/// A decision as recorded.
#[derive(Serialize, ToSchema)]
pub struct AcceptanceDecisionDto {
    criterion: String,
    points: f64,
    /// What QCity proposed when the decision was taken.
    proposed: f64,
    veto_failed: bool,
    /// Whether the reviewer changed the proposal (then `comment` says why).
    overridden: bool,
    comment: String,
    decided_by: String,
    /// UTC, RFC 3339.
    decided_at: String,
}

/// Decides a criterion of an opened stage (office, acting as reviewer), as on the stage's
/// page: confirm QCity's proposal, or override it with points and a reason. A later decision
/// on the same criterion replaces the earlier one; both are in the audit trail.
#[utoipa::path(post, path = "/api/v1/acceptance/stages/{stage}/decisions", tag = "acceptance",
    params(("stage" = String, Path)), request_body = AcceptanceDecideDto,
    responses((status = 200, body = AcceptanceDecisionDto), (status = 404, body = ErrorDto, description = "no such stage, or its sheet has no such criterion"),
              (status = 409, body = ErrorDto, description = "the stage is not open yet"),
              (status = 422, body = ErrorDto, description = "points missing or out of range, no comment for an override, or the proposal changed since it was shown")))]
pub async fn decide(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
    req: Request,
) -> Result<Json<AcceptanceDecisionDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<AcceptanceDecideDto>::from_request(req, &state).await?;
    let verdict = match f.action.as_str() {
        "confirm" => store::Verdict::Confirm {
            comment: f.comment,
            shown: f.shown_points.map(|p| (p, f.shown_veto_failed)),
        },
        "override" => {
            // As the page: a failed veto needs no points (it scores 0), anything else does.
            let points = match (f.points, f.veto_failed) {
                (Some(p), _) => p,
                (None, true) => 0.0,
                (None, false) => {
                    return Err(StoreError::invalid("points", "acc-error-points-number").into());
                }
            };
            store::Verdict::Override {
                points,
                veto_failed: f.veto_failed,
                comment: f.comment,
            }
        }
        _ => {
            return Err(AppError::Validation(vec![(
                "action".into(),
                "acc-error-action".into(),
            )]));
        }
    };
    let d = store::decide(
        &state.store,
        &ctx.actor(),
        &stage,
        f.criterion.trim(),
        verdict,
        ctx.today,
    )
    .await?;
    Ok(Json(decision_dto(d)))
}

fn decision_dto(d: store::DecisionRecord) -> AcceptanceDecisionDto {
    AcceptanceDecisionDto {
        criterion: d.criterion,
        points: d.points,
        proposed: d.proposed,
        veto_failed: d.veto_failed,
        overridden: d.overridden,
        comment: d.comment,
        decided_by: d.decided_by,
        decided_at: d.decided_at,
    }
}

/// A criterion of a stage's sheet with QCity's proposal and the reviewer's decision.
#[derive(Serialize, ToSchema)]
pub struct CriterionDto {
    code: String,
    category: String,
    item: String,
    text: String,
    max_points: f64,
    /// The scoring rule's name in the caller's language.
    rule: String,
    veto: bool,
    /// QCity's proposed points as of the business date (send them back as `shown_points`
    /// with a confirmation).
    proposed: f64,
    /// For a veto: the facts say it failed (send back as `shown_veto_failed`).
    proposal_vetoed: bool,
    /// Nothing linked can decide it: a reviewer must judge.
    needs_review: bool,
    /// How the points were reached, in the caller's language.
    reasoning: String,
    /// Null while undecided.
    decision: Option<AcceptanceDecisionDto>,
}

#[derive(Serialize, ToSchema)]
pub struct FindingRecordDto {
    id: i64,
    body: String,
    created_by: String,
    created_at: String,
}

#[derive(Serialize, ToSchema)]
pub struct RectificationRecordDto {
    id: i64,
    body: String,
    unit: String,
    deadline: String,
    content_code: String,
    done: bool,
}

/// One stage as its page shows it.
#[derive(Serialize, ToSchema)]
pub struct StageDetailDto {
    code: String,
    label: String,
    opened: bool,
    /// YYYY-MM-DD; null while not opened.
    held_on: Option<String>,
    opened_by: Option<String>,
    /// The stage's own copy of the sheet, or the sheet in force while not opened.
    sheet_name: String,
    criteria: Vec<CriterionDto>,
    /// Counting the decisions taken only.
    decided: ReadinessDto,
    /// Decisions so far, QCity's proposals for the rest.
    projected: ReadinessDto,
    findings: Vec<FindingRecordDto>,
    rectifications: Vec<RectificationRecordDto>,
}

/// One stage (every signed-in role, as on `/acceptance/{stage}`): each criterion with QCity's
/// proposal and the decision taken, the readiness decided and projected, findings and
/// rectifications. A stage not opened yet previews the sheet in force.
#[utoipa::path(get, path = "/api/v1/acceptance/stages/{stage}", tag = "acceptance", params(("stage" = String, Path)),
    responses((status = 200, body = StageDetailDto), (status = 404, body = ErrorDto, description = "no such stage")))]
pub async fn stage_detail(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(stage): Path<String>,
) -> Result<Json<StageDetailDto>, AppError> {
    ctx.user()?;
    let actor = ctx.actor();
    let lang = ctx.lang.domain();
    let opened = store::stage(&state.store, &actor, &stage).await?;
    let sheet = match &opened {
        Some(s) => s.sheet.clone(),
        None => store::sheet_in_force(&state.store, &actor).await?.0,
    };
    let (decided, findings, rectifications) = match &opened {
        Some(s) => (
            store::decisions(&state.store, &actor, s.id).await?,
            store::findings(&state.store, &actor, s.id).await?,
            store::rectifications(&state.store, &actor, s.id).await?,
        ),
        None => (Vec::new(), Vec::new(), Vec::new()),
    };
    let proposals = store::proposals(&state.store, &actor, &sheet, ctx.today).await?;
    let decisions: Vec<_> = decided
        .iter()
        .map(store::DecisionRecord::decision)
        .collect();
    let decided_readiness = qcity_domain::acceptance::readiness(&sheet, &decisions);
    let projected = store::projected(&sheet, &decided, &proposals);
    let mut criteria = Vec::new();
    for cat in &sheet.categories {
        for item in &cat.items {
            for c in &item.criteria {
                let p = proposals
                    .iter()
                    .find(|(code, _)| *code == c.code)
                    .map(|(_, p)| p.clone())
                    .unwrap_or_else(|| c.propose(&Default::default()));
                criteria.push(CriterionDto {
                    code: c.code.clone(),
                    category: cat.code.clone(),
                    item: item.code.clone(),
                    text: c.text.clone(),
                    max_points: c.max_points,
                    rule: c.rule.label(lang).to_string(),
                    veto: c.rule.is_veto(),
                    proposed: p.points,
                    proposal_vetoed: p.vetoed,
                    needs_review: p.needs_review,
                    reasoning: p.reasoning(lang).to_string(),
                    decision: decided
                        .iter()
                        .find(|d| d.criterion == c.code)
                        .cloned()
                        .map(decision_dto),
                });
            }
        }
    }
    Ok(Json(StageDetailDto {
        label: ctx.t(&format!("acc-stage-{stage}")),
        opened: opened.is_some(),
        held_on: opened.as_ref().map(|s| s.held_on.clone()),
        opened_by: opened.as_ref().map(|s| s.opened_by.clone()),
        sheet_name: sheet.name.clone(),
        criteria,
        decided: readiness(stage.clone(), decided_readiness),
        projected: readiness(stage.clone(), projected),
        findings: findings
            .into_iter()
            .map(|f| FindingRecordDto {
                id: f.id,
                body: f.body,
                created_by: f.created_by,
                created_at: f.created_at,
            })
            .collect(),
        rectifications: rectifications
            .into_iter()
            .map(|r| RectificationRecordDto {
                id: r.id,
                body: r.body,
                unit: r.unit_code,
                deadline: r.deadline,
                content_code: r.content_code,
                done: r.done,
            })
            .collect(),
        code: stage,
    }))
}

/// The acceptance score sheet in force.
#[derive(Serialize, ToSchema)]
pub struct AcceptanceSheetDto {
    name: String,
    /// `toml` (edited) or `xlsx` (imported); null for the shipped default.
    source: Option<String>,
    saved_by: Option<String>,
    saved_at: Option<String>,
    base_total: f64,
    bonus_total: f64,
    /// The whole sheet as TOML: edit it and send it back to replace the sheet.
    toml: String,
}

async fn sheet_dto(state: &AppState, ctx: &Ctx) -> Result<AcceptanceSheetDto, AppError> {
    let (sheet, source) = store::sheet_in_force(&state.store, &ctx.actor()).await?;
    Ok(AcceptanceSheetDto {
        name: sheet.name.clone(),
        source: source.as_ref().map(|s| s.source.clone()),
        saved_by: source.as_ref().map(|s| s.created_by.clone()),
        saved_at: source.map(|s| s.created_at),
        base_total: sheet.base_total(),
        bonus_total: sheet.bonus_total(),
        toml: sheet.to_toml(),
    })
}

/// The score sheet in force (every signed-in role, as on `/acceptance/sheet`).
#[utoipa::path(get, path = "/api/v1/acceptance/sheet", tag = "acceptance",
    responses((status = 200, body = AcceptanceSheetDto)))]
pub async fn get_sheet(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<AcceptanceSheetDto>, AppError> {
    ctx.user()?;
    Ok(Json(sheet_dto(&state, &ctx).await?))
}

/// Replaces the score sheet in force from TOML (office), all or nothing: a sheet that does not
/// load or validate, or names units, contents or indicators the plan lacks, is refused with
/// every problem and the sheet in force stays. Stages already opened keep their own copy.
#[utoipa::path(put, path = "/api/v1/acceptance/sheet", tag = "acceptance", request_body = RulesTomlDto,
    responses((status = 200, body = AcceptanceSheetDto, description = "the new sheet in force"),
              (status = 422, body = ErrorDto, description = "the sheet was refused; `fields.toml` lists every problem with its line")))]
pub async fn put_sheet(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Json<AcceptanceSheetDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<RulesTomlDto>::from_request(req, &state).await?;
    let refused = match Sheet::load(f.toml()) {
        Ok(sheet) => store::save_sheet(&state.store, &ctx.actor(), &sheet, "toml")
            .await?
            .err(),
        Err(diags) => Some(diags),
    };
    if let Some(diags) = refused {
        return Err(super::rule_problems(&ctx, "toml", diags));
    }
    Ok(Json(sheet_dto(&state, &ctx).await?))
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
    let current = store::readiness(&state.store, &ctx.actor(), ctx.today)
        .await?
        .map(|(stage, r)| readiness(stage, r));
    let (sheet, _) = store::sheet_in_force(&state.store, &ctx.actor()).await?;
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
        stage_detail,
        open_stage,
        set_date,
        add_finding,
        remove_finding,
        add_rectification,
        rectification_done,
        decide,
        get_sheet,
        put_sheet
    ),
    components(schemas(
        StageDetailDto,
        CriterionDto,
        FindingRecordDto,
        RectificationRecordDto,
        RectificationDoneDto,
        AcceptanceDecideDto,
        AcceptanceDecisionDto,
        AcceptanceSheetDto,
        RulesTomlDto,
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
