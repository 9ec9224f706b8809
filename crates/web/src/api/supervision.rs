//! JSON API for 督查督办: obligations, reports (with evidence as base64), review, notices,
//! bulletins. The same store functions and scope rules as the pages.

use super::{ApiJson, CreatedDto, ErrorDto, FileDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::{BodyLimit, Routes};
use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qcity_domain::role::Role;
use qcity_store::obligations::{self, EvidencePolicy, Filter, Obligation, ReportInput};
use qcity_store::{bulletins, notices};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub fn routes(r: Routes) -> Routes {
    r.get("/api/v1/supervision/progress", progress)
        .get("/api/v1/obligations", list_obligations)
        .get("/api/v1/obligations/{id}", get_obligation)
        .get("/api/v1/obligations/{id}/reports", list_reports)
        .upload(
            "/api/v1/obligations/{id}/reports",
            BodyLimit::Evidence,
            add_report,
        )
        .post("/api/v1/reports/{id}/review", review_report)
        .post("/api/v1/reviews", review_batch)
        .post("/api/v1/obligations/{id}/acknowledgement", acknowledge)
        .post("/api/v1/obligations/{id}/withdrawal", withdraw)
        .get("/api/v1/obligations/{id}/timeline", timeline)
        .post("/api/v1/supervision/urges", urge)
        .post("/api/v1/obligations/{id}/extensions", request_extension)
        .post("/api/v1/extensions/{id}/decision", decide_extension)
        .get("/api/v1/notices", list_notices)
        .post("/api/v1/notices", issue_duban)
        .post("/api/v1/notices/{id}/read", read_notice)
        .post("/api/v1/notices/{id}/response", respond_notice)
        .get("/api/v1/bulletins", list_bulletins)
        .get("/api/v1/bulletins/{id}", get_bulletin)
        .post("/api/v1/bulletins", issue_bulletin)
        .post("/api/v1/bulletins/{id}/correction", correct_bulletin)
        .post("/api/v1/bulletins/{id}/revocation", revoke_bulletin)
}

#[derive(Serialize, ToSchema)]
pub struct ObligationDto {
    id: i64,
    content_code: String,
    unit: String,
    unit_name: String,
    /// lead or undertaking
    duty: String,
    /// "once", a year ("2015") or a half ("2015-H1")
    period: String,
    due_date: String,
    original_due: String,
    /// not_started, in_progress, submitted, accepted, returned
    status: String,
    percent: i64,
    /// Derived from the business date.
    overdue: bool,
    days_overdue: i64,
    submitted_on: Option<String>,
    accepted_on: Option<String>,
    /// Send it back with a review to detect concurrent changes.
    row_version: i64,
    /// The business date the unit acknowledged it (签收), null while not acknowledged.
    acknowledged_on: Option<String>,
    acknowledged_by: Option<String>,
}

fn dto(o: Obligation, today: chrono::NaiveDate) -> ObligationDto {
    ObligationDto {
        id: o.id,
        overdue: o.overdue(today),
        days_overdue: o.days_overdue(today),
        content_code: o.content_code,
        unit: o.unit_code,
        unit_name: o.unit_name,
        duty: o.duty.as_str().to_string(),
        period: o.period_key,
        due_date: o.due_date,
        original_due: o.original_due,
        status: o.status.as_str().to_string(),
        percent: o.percent,
        submitted_on: o.submitted_on,
        accepted_on: o.accepted_on,
        row_version: o.row_version,
        acknowledged_on: o.acknowledged_on,
        acknowledged_by: o.acknowledged_by,
    }
}

#[derive(Deserialize, Default)]
pub struct ObligationQuery {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    status: String,
    /// Content code prefix, e.g. "2." for category 2.
    #[serde(default)]
    content: String,
    #[serde(default)]
    overdue: bool,
}

/// Obligations the caller may see (unit staff: their unit's only).
#[utoipa::path(get, path = "/api/v1/obligations", tag = "obligations",
    params(("unit" = Option<String>, Query), ("status" = Option<String>, Query), ("content" = Option<String>, Query), ("overdue" = Option<bool>, Query)),
    responses((status = 200, body = Vec<ObligationDto>), (status = 401, body = ErrorDto)))]
pub async fn list_obligations(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ObligationQuery>,
) -> Result<Json<Vec<ObligationDto>>, AppError> {
    ctx.user()?;
    let f = Filter {
        unit: Some(q.unit),
        // An unknown status filters nothing, as an empty one.
        status: q.status.parse().ok(),
        content_prefix: Some(q.content),
        overdue_only: q.overdue,
        ..Default::default()
    };
    let list = obligations::list(&state.store, &ctx.actor(), &f, ctx.today).await?;
    Ok(Json(list.into_iter().map(|o| dto(o, ctx.today)).collect()))
}

/// One obligation.
#[utoipa::path(get, path = "/api/v1/obligations/{id}", tag = "obligations", params(("id" = i64, Path)),
    responses((status = 200, body = ObligationDto), (status = 404, body = ErrorDto)))]
pub async fn get_obligation(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ObligationDto>, AppError> {
    ctx.user()?;
    Ok(Json(dto(
        obligations::get(&state.store, &ctx.actor(), id).await?,
        ctx.today,
    )))
}

#[derive(Serialize, ToSchema)]
pub struct ReportDto {
    id: i64,
    author: String,
    body: String,
    percent: i64,
    /// True when it handed the obligation in for review.
    submitted: bool,
    created_on: String,
    /// Evidence downloads: `/reports/{id}/files/{sha256}`.
    files: Vec<String>,
}

/// Reports of an obligation, newest first.
#[utoipa::path(get, path = "/api/v1/obligations/{id}/reports", tag = "obligations", params(("id" = i64, Path)),
    responses((status = 200, body = Vec<ReportDto>), (status = 404, body = ErrorDto)))]
pub async fn list_reports(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ReportDto>>, AppError> {
    ctx.user()?;
    let list = obligations::reports(&state.store, &ctx.actor(), id).await?;
    Ok(Json(
        list.into_iter()
            .map(|r| ReportDto {
                files: r
                    .files
                    .iter()
                    .map(|f| format!("/reports/{}/files/{}", r.id, f.sha256))
                    .collect(),
                id: r.id,
                author: r.author,
                body: r.body,
                percent: r.percent,
                submitted: r.r#final,
                created_on: r.created_on,
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewReportDto {
    body: String,
    #[serde(default)]
    percent: i64,
    /// Hand the obligation in for review.
    #[serde(default)]
    submit: bool,
    /// Any unique string of at least 16 characters: repeating a request with the same token
    /// returns the same report instead of making a second one.
    form_token: String,
    #[serde(default)]
    files: Vec<FileDto>,
}

/// Reports progress (own unit only), optionally handing the obligation in for review.
#[utoipa::path(post, path = "/api/v1/obligations/{id}/reports", tag = "obligations", params(("id" = i64, Path)), request_body = NewReportDto,
    responses((status = 201, body = CreatedDto, description = "the report's id"), (status = 403, body = ErrorDto, description = "another unit's obligation"),
              (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "the obligation is closed or in review")))]
pub async fn add_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    // Scope first, body second: another unit is refused whatever it sends.
    let ob = obligations::get(&state.store, &ctx.actor(), id).await?;
    if ctx.actor().scope() != qcity_domain::role::Scope::Unit(ob.unit_id) {
        return Err(AppError::Forbidden);
    }
    let ApiJson(n) = ApiJson::<NewReportDto>::from_request(req, &state).await?;
    let files = n
        .files
        .into_iter()
        .map(|f| f.upload("files"))
        .collect::<Result<Vec<_>, _>>()?;
    let input = ReportInput {
        body: n.body,
        percent: n.percent,
        submit: n.submit,
        form_token: n.form_token,
        files,
    };
    let policy = EvidencePolicy {
        max_bytes: state.config.max_evidence_bytes,
    };
    let report =
        obligations::report(&state.store, &ctx.actor(), id, input, &policy, ctx.today).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id: report })).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewDto {
    /// accept or return
    decision: String,
    #[serde(default)]
    reason: String,
    /// The obligation's row_version the reviewer saw.
    row_version: i64,
}

/// The office accepts (销号) or returns the obligation a report belongs to.
#[utoipa::path(post, path = "/api/v1/reports/{id}/review", tag = "obligations", params(("id" = i64, Path)), request_body = ReviewDto,
    responses((status = 200, body = ObligationDto), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "someone acted first")))]
pub async fn review_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Json<ObligationDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(r) = ApiJson::<ReviewDto>::from_request(req, &state).await?;
    let accept = match r.decision.as_str() {
        "accept" => true,
        "return" => false,
        _ => {
            return Err(AppError::Validation(vec![(
                "decision".into(),
                "error-decision".into(),
            )]));
        }
    };
    let ob = obligations::obligation_of_report(&state.store, &ctx.actor(), id).await?;
    let ob = obligations::review(
        &state.store,
        &ctx.actor(),
        ob.id,
        accept,
        &r.reason,
        r.row_version,
        ctx.today,
    )
    .await?;
    Ok(Json(dto(ob, ctx.today)))
}

/// One obligation as the reviewer saw it.
#[derive(Deserialize, ToSchema)]
pub struct SeenDto {
    /// The obligation's id.
    id: i64,
    /// Its row_version when the reviewer read it.
    row_version: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct BatchReviewDto {
    /// The submitted obligations to decide, each with the row_version seen.
    #[schema(min_items = 1)]
    obligations: Vec<SeenDto>,
    /// accept or return
    #[schema(pattern = "^(accept|return)$")]
    decision: String,
    /// Required to return; the same reason goes to every unit.
    #[serde(default)]
    reason: String,
}

/// The office accepts or returns several submitted obligations at once, as the overview's
/// batch review does. All or nothing: if one was changed meanwhile or is not waiting for
/// review, none is decided.
#[utoipa::path(post, path = "/api/v1/reviews", tag = "obligations", request_body = BatchReviewDto,
    responses((status = 200, body = Vec<ObligationDto>, description = "the obligations as decided"), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "one was changed meanwhile or is not waiting for review")))]
pub async fn review_batch(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Json<Vec<ObligationDto>>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(r) = ApiJson::<BatchReviewDto>::from_request(req, &state).await?;
    let accept = match r.decision.as_str() {
        "accept" => true,
        "return" => false,
        _ => {
            return Err(AppError::Validation(vec![(
                "decision".into(),
                "error-decision".into(),
            )]));
        }
    };
    let seen: Vec<obligations::Seen> = r
        .obligations
        .iter()
        .map(|o| obligations::Seen {
            id: o.id,
            row_version: o.row_version,
        })
        .collect();
    let done = obligations::review_many(
        &state.store,
        &ctx.actor(),
        &seen,
        accept,
        &r.reason,
        ctx.today,
    )
    .await?;
    Ok(Json(done.into_iter().map(|o| dto(o, ctx.today)).collect()))
}

/// The unit acknowledges (签收) its own obligation, once.
#[utoipa::path(post, path = "/api/v1/obligations/{id}/acknowledgement", tag = "obligations",
    params(("id" = i64, Path, description = "the obligation's id")),
    responses((status = 200, body = ObligationDto), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "already acknowledged")))]
pub async fn acknowledge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ObligationDto>, AppError> {
    ctx.user()?;
    let ob = obligations::acknowledge(&state.store, &ctx.actor(), id, ctx.today).await?;
    Ok(Json(dto(ob, ctx.today)))
}

/// The unit withdraws (撤回) its hand-in before the office reviews it; the obligation is in
/// progress again and can be reported and handed in anew.
#[utoipa::path(post, path = "/api/v1/obligations/{id}/withdrawal", tag = "obligations",
    params(("id" = i64, Path, description = "the obligation's id")),
    responses((status = 200, body = ObligationDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "not handed in, or already reviewed")))]
pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<ObligationDto>, AppError> {
    ctx.user()?;
    let ob = obligations::withdraw(&state.store, &ctx.actor(), id, ctx.today).await?;
    Ok(Json(dto(ob, ctx.today)))
}

#[derive(Serialize, ToSchema)]
pub struct TimelineDto {
    /// The business date.
    on_date: String,
    /// A history step (submit, return, withdraw, acknowledge …), `notice.<kind>` or
    /// `notice_read.<kind>`.
    event: String,
    /// The event in the caller's language.
    label: String,
    /// Who acted, when a person did.
    actor: Option<String>,
    from_status: Option<String>,
    to_status: Option<String>,
    /// A notice's colour: blue, yellow or red.
    level: Option<String>,
    /// A reason, or a notice's title.
    detail: String,
}

/// Everything that happened to an obligation, in order: reports, withdrawals, reviews,
/// acknowledgement, extension requests and decisions, notices and when they were read.
#[utoipa::path(get, path = "/api/v1/obligations/{id}/timeline", tag = "obligations",
    params(("id" = i64, Path, description = "the obligation's id")),
    responses((status = 200, body = Vec<TimelineDto>), (status = 404, body = ErrorDto)))]
pub async fn timeline(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<Vec<TimelineDto>>, AppError> {
    ctx.user()?;
    let list = obligations::timeline(&state.store, &ctx.actor(), id).await?;
    Ok(Json(
        list.into_iter()
            .map(|e| {
                let label = match &e.what {
                    obligations::Happening::NoticeRead { kind } => ctx.lang.t_args(
                        "tl-notice-read",
                        &[("kind", ctx.t(&format!("notice-kind-{kind}")))],
                    ),
                    obligations::Happening::PlanDeadline { version } => ctx
                        .lang
                        .t_args("tl-plan-deadline", &[("version", version.to_string())]),
                    what => ctx.t(&what.label_key()),
                };
                TimelineDto {
                    on_date: e.on_date,
                    event: e.what.code(),
                    level: e.what.level().map(str::to_string),
                    label,
                    actor: e.actor,
                    from_status: e.from_status.map(|s| s.as_str().to_string()),
                    to_status: e.to_status.map(|s| s.as_str().to_string()),
                    detail: e.detail,
                }
            })
            .collect(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct UrgeDto {
    /// The obligations whose units are urged.
    #[schema(min_items = 1)]
    obligation_ids: Vec<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct UrgedDto {
    /// 催办 notices issued (blue, counted in the notice figures).
    issued: usize,
    /// Handed in meanwhile, or already urged for the current due date.
    skipped: usize,
}

/// The office urges (催办) the units of the given obligations, as the overview does: one
/// blue notice per obligation and due date, shared with the escalation ladder's first step.
#[utoipa::path(post, path = "/api/v1/supervision/urges", tag = "supervision", request_body = UrgeDto,
    responses((status = 200, body = UrgedDto), (status = 404, body = ErrorDto, description = "no such obligation")))]
pub async fn urge(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Json<UrgedDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(u) = ApiJson::<UrgeDto>::from_request(req, &state).await?;
    let done = notices::urge(&state.store, &ctx.actor(), &u.obligation_ids, ctx.today).await?;
    Ok(Json(UrgedDto {
        issued: done.issued,
        skipped: done.skipped,
    }))
}

#[derive(Serialize, ToSchema)]
pub struct NoticeDto {
    id: i64,
    unit: String,
    /// reminder, cuiban (blue), duban (yellow), tongbao (red), manual (督办单); returned,
    /// accepted, extension (decisions on the unit's obligations, level info)
    kind: String,
    level: String,
    title: String,
    body: String,
    issued_on: String,
    respond_by: Option<String>,
    response: Option<String>,
    obligation_id: Option<i64>,
    read: bool,
}

/// The supervision figures of a group of obligations, by their one definition
/// (`docs/figures.md`).
#[derive(Serialize, ToSchema)]
pub struct FiguresDto {
    /// The unit's code, the category's number, or "" for the district.
    key: String,
    total: usize,
    /// 应完成: due by the date, or closed by then though due later.
    expected: usize,
    /// 已销号
    closed: usize,
    /// Handed in, waiting for review.
    submitted: usize,
    on_time: usize,
    overdue: usize,
    returned: usize,
    /// Percent, or null when nothing is expected (shown as "—", not ranked).
    completion_rate: Option<f64>,
    on_time_rate: Option<f64>,
}

impl FiguresDto {
    fn new(key: &str, t: &obligations::Tally) -> FiguresDto {
        FiguresDto {
            key: key.to_string(),
            total: t.total,
            expected: t.expected,
            closed: t.closed,
            submitted: t.submitted,
            on_time: t.on_time,
            overdue: t.overdue,
            returned: t.returned,
            completion_rate: t.completion_rate(),
            on_time_rate: t.on_time_rate(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ProgressDto {
    /// The business date the figures are counted on.
    as_of: String,
    district: FiguresDto,
    units: Vec<FiguresDto>,
    categories: Vec<FiguresDto>,
}

/// Progress on the business date: the district, each unit and each category, as 督查总览
/// shows it. Office, leaders and evaluators.
#[utoipa::path(get, path = "/api/v1/supervision/progress", tag = "supervision",
    responses((status = 200, body = ProgressDto), (status = 401, body = ErrorDto), (status = 403, body = ErrorDto)))]
pub async fn progress(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<ProgressDto>, AppError> {
    ctx.require_role(&[Role::Office, Role::Leader, Role::Evaluator])?;
    let t = obligations::tallies_sql(&state.store, &ctx.actor(), ctx.today).await?;
    let district = t.district();
    Ok(Json(ProgressDto {
        as_of: ctx.today.to_string(),
        district: FiguresDto::new("", &district),
        units: t
            .by_unit
            .iter()
            .map(|(k, v)| FiguresDto::new(k, v))
            .collect(),
        categories: t
            .by_category
            .iter()
            .map(|(k, v)| FiguresDto::new(k, v))
            .collect(),
    }))
}

/// Notices: a unit's own; everything for the office and leaders.
#[utoipa::path(get, path = "/api/v1/notices", tag = "notices", responses((status = 200, body = Vec<NoticeDto>), (status = 401, body = ErrorDto)))]
pub async fn list_notices(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<NoticeDto>>, AppError> {
    ctx.user()?;
    let list = notices::list(&state.store, &ctx.actor(), None).await?;
    Ok(Json(
        list.into_iter()
            .map(|n| NoticeDto {
                id: n.id,
                unit: n.unit_code,
                kind: n.kind,
                level: n.level,
                title: n.title,
                body: n.body,
                issued_on: n.issued_on,
                respond_by: n.respond_by,
                response: n.response,
                obligation_id: n.obligation_id,
                read: n.read,
            })
            .collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct IssuedDto {
    id: i64,
    period: String,
    title: String,
    number: u32,
    issued_on: String,
}

/// Issued bulletins, newest first.
#[utoipa::path(get, path = "/api/v1/bulletins", tag = "bulletins", responses((status = 200, body = Vec<IssuedDto>)))]
pub async fn list_bulletins(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<Vec<IssuedDto>>, AppError> {
    ctx.user()?;
    let list = bulletins::list(&state.store, &ctx.actor()).await?;
    Ok(Json(
        list.into_iter()
            .map(|b| IssuedDto {
                id: b.id,
                period: b.period,
                title: b.title,
                number: b.number,
                issued_on: b.issued_on,
            })
            .collect(),
    ))
}

/// One issued bulletin with all its figures.
#[utoipa::path(get, path = "/api/v1/bulletins/{id}", tag = "bulletins", params(("id" = i64, Path)),
    responses((status = 200, description = "the bulletin: totals, units, categories, overdue items, commended, criticised", content_type = "application/json"), (status = 404, body = ErrorDto)))]
pub async fn get_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    Ok(Json(bulletins::get(&state.store, &ctx.actor(), id).await?).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ExtensionRequestDto {
    /// The due date asked for, YYYY-MM-DD.
    new_due: String,
    reason: String,
}

/// The responsible unit asks the office for a later due date (own unit only), as on the
/// obligation's page.
#[utoipa::path(post, path = "/api/v1/obligations/{id}/extensions", tag = "obligations",
    params(("id" = i64, Path, description = "the obligation's id")), request_body = ExtensionRequestDto,
    responses((status = 201, body = CreatedDto, description = "the request's id"), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "a request is already pending, or the obligation is closed")))]
pub async fn request_extension(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    let ob = obligations::get(&state.store, &ctx.actor(), id).await?;
    if ctx.actor().scope() != qcity_domain::role::Scope::Unit(ob.unit_id) {
        return Err(AppError::Forbidden);
    }
    let ApiJson(f) = ApiJson::<ExtensionRequestDto>::from_request(req, &state).await?;
    let new_due = super::date_field("new_due", &f.new_due)?;
    let request = obligations::request_extension(
        &state.store,
        &ctx.actor(),
        id,
        new_due,
        &f.reason,
        ctx.today,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id: request })).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ExtensionDecisionDto {
    /// approve or reject
    #[schema(pattern = "^(approve|reject)$")]
    decision: String,
    /// Required to reject.
    #[serde(default)]
    reason: String,
}

/// The office approves (the due date moves) or rejects an extension request.
#[utoipa::path(post, path = "/api/v1/extensions/{id}/decision", tag = "obligations",
    params(("id" = i64, Path, description = "the request's id")), request_body = ExtensionDecisionDto,
    responses((status = 204, description = "decided"), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "already decided")))]
pub async fn decide_extension(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<ExtensionDecisionDto>::from_request(req, &state).await?;
    let approve = match f.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::Validation(vec![(
                "decision".into(),
                "error-decision".into(),
            )]));
        }
    };
    obligations::decide_extension(
        &state.store,
        &ctx.actor(),
        id,
        approve,
        &f.reason,
        ctx.today,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Marks one of the caller's notices read.
#[utoipa::path(post, path = "/api/v1/notices/{id}/read", tag = "notices",
    params(("id" = i64, Path, description = "the notice's id")),
    responses((status = 204, description = "read"), (status = 404, body = ErrorDto)))]
pub async fn read_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<StatusCode, AppError> {
    ctx.user()?;
    notices::mark_read_on(&state.store, &ctx.actor(), id, ctx.today).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct NoticeResponseDto {
    #[schema(min_length = 1)]
    response: String,
}

/// Answers a 督办 notice addressed to the caller's unit.
#[utoipa::path(post, path = "/api/v1/notices/{id}/response", tag = "notices",
    params(("id" = i64, Path, description = "the notice's id")), request_body = NoticeResponseDto,
    responses((status = 204, description = "answered"), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "the notice takes no answer")))]
pub async fn respond_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    // Scope first, body second: only the notice's own unit answers it, whatever it sends.
    if ctx.user()?.role != Role::Unit {
        return Err(AppError::Forbidden);
    }
    let mine = notices::list(&state.store, &ctx.actor(), None).await?;
    if !mine.iter().any(|n| n.id == id) {
        return Err(AppError::NotFound);
    }
    let ApiJson(f) = ApiJson::<NoticeResponseDto>::from_request(req, &state).await?;
    notices::respond(&state.store, &ctx.actor(), id, &f.response).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, ToSchema)]
pub struct DubanDto {
    /// The unit's code.
    unit: String,
    /// The obligation it concerns, if any.
    #[serde(default)]
    obligation_id: Option<i64>,
    #[schema(min_length = 1)]
    title: String,
    #[serde(default)]
    body: String,
    /// YYYY-MM-DD, not before the business date.
    #[schema(format = Date)]
    respond_by: String,
}

/// Issues a 督办单 to a unit by hand (office), with a response deadline.
#[utoipa::path(post, path = "/api/v1/notices", tag = "notices", request_body = DubanDto,
    responses((status = 201, body = CreatedDto), (status = 404, body = ErrorDto, description = "no such obligation")))]
pub async fn issue_duban(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<DubanDto>::from_request(req, &state).await?;
    let by = super::date_field("respond_by", &f.respond_by)?;
    let id = notices::issue_duban(
        &state.store,
        &ctx.actor(),
        f.unit.trim(),
        f.obligation_id,
        &f.title,
        &f.body,
        by,
        ctx.today,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct IssueBulletinDto {
    /// The month reported on, "YYYY-MM".
    #[schema(pattern = "^[0-9]{4}-[0-9]{2}$")]
    month: String,
}

#[derive(Deserialize, ToSchema)]
pub struct BulletinChangeDto {
    /// Why the issued bulletin is corrected or revoked (required).
    #[schema(min_length = 1)]
    reason: String,
}

/// The figures of a month as a bulletin, computed now (the page's draft).
async fn month_bulletin(
    state: &AppState,
    ctx: &Ctx,
    month: &str,
) -> Result<qcity_domain::bulletin::Bulletin, AppError> {
    let (_, plan) = crate::view::require_plan(state, ctx).await?;
    Ok(bulletins::draft(&state.store, &ctx.actor(), &plan, month.trim(), ctx.today).await?)
}

/// Issues the month's bulletin (office): frozen and numbered; one per month.
#[utoipa::path(post, path = "/api/v1/bulletins", tag = "bulletins", request_body = IssueBulletinDto,
    responses((status = 201, body = CreatedDto), (status = 409, body = ErrorDto, description = "the month's bulletin is already issued")))]
pub async fn issue_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<IssueBulletinDto>::from_request(req, &state).await?;
    let b = month_bulletin(&state, &ctx, &f.month).await?;
    let id = bulletins::issue(&state.store, &ctx.actor(), b, ctx.today).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id })).into_response())
}

/// Corrects (更正) an issued bulletin (office): recomputed now, same number, with the reason.
#[utoipa::path(post, path = "/api/v1/bulletins/{id}/correction", tag = "bulletins", params(("id" = i64, Path)), request_body = BulletinChangeDto,
    responses((status = 201, body = CreatedDto, description = "the correction's id"), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "already corrected or revoked")))]
pub async fn correct_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<BulletinChangeDto>::from_request(req, &state).await?;
    let (old, _) = bulletins::get_any(&state.store, &ctx.actor(), id).await?;
    let b = month_bulletin(&state, &ctx, &old.period).await?;
    let new_id =
        bulletins::correct(&state.store, &ctx.actor(), id, b, &f.reason, ctx.today).await?;
    Ok((StatusCode::CREATED, Json(CreatedDto { id: new_id })).into_response())
}

/// Revokes (撤销) an issued bulletin (office), with the reason.
#[utoipa::path(post, path = "/api/v1/bulletins/{id}/revocation", tag = "bulletins", params(("id" = i64, Path)), request_body = BulletinChangeDto,
    responses((status = 204), (status = 404, body = ErrorDto), (status = 409, body = ErrorDto, description = "already corrected or revoked")))]
pub async fn revoke_bulletin(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<BulletinChangeDto>::from_request(req, &state).await?;
    bulletins::revoke(&state.store, &ctx.actor(), id, &f.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// This module's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        progress,
        list_obligations,
        get_obligation,
        list_reports,
        add_report,
        review_report,
        review_batch,
        acknowledge,
        withdraw,
        timeline,
        urge,
        request_extension,
        decide_extension,
        list_notices,
        issue_duban,
        read_notice,
        respond_notice,
        list_bulletins,
        issue_bulletin,
        correct_bulletin,
        revoke_bulletin,
        get_bulletin
    ),
    components(schemas(
        ProgressDto,
        FiguresDto,
        ObligationDto,
        ReportDto,
        NewReportDto,
        FileDto,
        ReviewDto,
        SeenDto,
        BatchReviewDto,
        TimelineDto,
        UrgeDto,
        UrgedDto,
        ExtensionRequestDto,
        ExtensionDecisionDto,
        IssueBulletinDto,
        DubanDto,
        BulletinChangeDto,
        NoticeDto,
        NoticeResponseDto,
        IssuedDto,
        ErrorDto
    ))
)]
pub struct Doc;
