//! JSON API for the acceptance self-check (创建验收自查): the four stages (which are opened, and
//! when they are held) and the current readiness, as the leaders' page reads it. Read-only;
//! every signed-in role may read it, as on `/acceptance`.

use super::ErrorDto;
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::Routes;
use axum::Json;
use axum::extract::State;
use qcity_domain::acceptance::Readiness;
use qcity_store::acceptance as store;
use serde::Serialize;
use utoipa::ToSchema;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/acceptance", overview)
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
    paths(overview),
    components(schemas(AcceptanceDto, StageDto, ReadinessDto, CategoryDto, ErrorDto))
)]
pub struct Doc;
