//! JSON API for the registers: enterprises (search, entry, edits, licences, code overrides),
//! each enterprise's quality credit file (grade with its reasons, events, blacklist listings),
//! the blacklist, and sampling records with their follow-up and pass rates. The same store
//! functions and scope rules as the pages: the office and the units keeping a register write
//! it, everyone signed in reads.

use super::{ApiJson, ErrorDto, FileDto, RulesTomlDto};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::module::{BodyLimit, Routes};
use axum::Json;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use qcity_domain::credit::{EventKind, ListingAction, ListingState};
use qcity_domain::identifiers;
use qcity_domain::registry::{
    CodeList, Level, LicenceKind, ProductKind, Size, Stage, Verdict, parse_failed_items,
};
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::enterprises::{EnterpriseInput, LicenceInput, Whose};
use qcity_store::sampling::{FollowupInput, SamplingInput};
use qcity_store::{credit, enterprises, evidence, sampling};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn enterprise_routes(r: Routes) -> Routes {
    // As the pages: per district but for the installation's code overrides and credit rules.
    r.per_district(true)
        .get("/api/v1/enterprises", list)
        .post("/api/v1/enterprises", create)
        .get("/api/v1/enterprises/{code}", one)
        .put("/api/v1/enterprises/{code}", update)
        .post("/api/v1/enterprises/{code}/licences", add_licence)
        .get("/api/v1/enterprises/{code}/credit", credit_file)
        .upload(
            "/api/v1/enterprises/{code}/credit-events",
            BodyLimit::Evidence,
            add_event,
        )
        .get(
            "/api/v1/enterprises/{code}/credit-events/{event}/evidence",
            event_evidence,
        )
        .post("/api/v1/enterprises/{code}/listings", propose)
        .post("/api/v1/credit-events/{id}/withdraw", withdraw)
        .post("/api/v1/listings/{id}/actions", act)
        .get("/api/v1/blacklist", blacklist)
        .per_district(false)
        .post("/api/v1/enterprise-code-overrides", record_override)
        .get("/api/v1/credit/rules", get_rules)
        .put("/api/v1/credit/rules", put_rules)
}

pub fn sampling_routes(r: Routes) -> Routes {
    r.per_district(true)
        .get("/api/v1/sampling", list_sampling)
        .post("/api/v1/sampling", create_sampling)
        .get("/api/v1/sampling/pass-rates", pass_rates)
        .get("/api/v1/sampling/{id}", one_sampling)
        .post("/api/v1/sampling/{id}/followup", followup)
        .post(
            "/api/v1/sampling/disclosures",
            crate::api::approvals::disclose,
        )
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
    /// Contact person and telephone.
    contact: String,
    /// When the quality credit file was opened (建档), YYYY-MM-DD.
    file_opened: Option<String>,
    /// Send it back with an update to detect concurrent changes.
    row_version: i64,
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
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Name fragment or code prefix.
    #[serde(default)]
    q: String,
    /// 1-based page of 50.
    #[serde(default)]
    #[param(minimum = 1)]
    page: Option<i64>,
}

const PAGE: i64 = 50;

/// The offset of a 1-based page (pages below 1 are the first; no overflow).
fn offset(page: Option<i64>) -> i64 {
    page.unwrap_or(1)
        .max(1)
        .saturating_sub(1)
        .saturating_mul(PAGE)
}

async fn dto(
    state: &AppState,
    e: enterprises::Enterprise,
    grade: String,
) -> Result<EnterpriseDto, AppError> {
    let listing = credit::current_listing(&state.store, Whose::District(e.owner_id), e.id)
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
        contact: e.contact,
        file_opened: e.file_opened.map(|d| d.to_string()),
        row_version: e.row_version,
        grade,
        listing,
    })
}

/// Enterprises matching a name fragment or code prefix, 50 per page, by name.
#[utoipa::path(get, path = "/api/v1/enterprises", tag = "registers", params(ListQuery),
    responses((status = 200, body = Vec<EnterpriseDto>)))]
pub async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<EnterpriseDto>>, AppError> {
    ctx.user()?;
    let actor = ctx.actor();
    let (rows, _) = enterprises::search(
        &state.store,
        Whose::Actor(&actor),
        &q.q,
        PAGE,
        offset(q.page),
    )
    .await?;
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
    let actor = ctx.actor();
    let e = enterprises::by_code(&state.store, Whose::Actor(&actor), &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let grading = credit::grading(&state.store, Whose::Actor(&actor), e.id, ctx.today).await?;
    let lang = if ctx.lang == crate::i18n::Lang::En {
        qcity_domain::target::Lang::En
    } else {
        qcity_domain::target::Lang::ZhCn
    };
    let licences = enterprises::licences(&state.store, Whose::Actor(&actor), e.id)
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
#[into_params(parameter_in = Query)]
pub struct RatesQuery {
    /// category, level, kind, stage, or empty for yearly totals.
    #[serde(default)]
    by: String,
}

/// Pass rates per year (and group): qualified ÷ sampled batches × 100 by the sampling year.
#[utoipa::path(get, path = "/api/v1/sampling/pass-rates", tag = "registers", params(RatesQuery),
    responses((status = 200, body = Vec<PassRateDto>)))]
pub async fn pass_rates(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<RatesQuery>,
) -> Result<Json<Vec<PassRateDto>>, AppError> {
    ctx.user()?;
    Ok(Json(
        sampling::pass_rates(&state.store, Whose::Actor(&ctx.actor()), &q.by)
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

// ---------------------------------------------------------------- writing enterprises

/// An enterprise's fields as the entry form and the import take them.
#[derive(Deserialize, ToSchema)]
pub struct EnterpriseInputDto {
    /// Unified social credit code (18 characters) or legacy organization code (9); ignored by
    /// an update (the code is not edited).
    #[serde(default)]
    #[schema(max_length = 40)]
    code: String,
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    industry: String,
    /// large, medium, small, micro, or empty.
    #[serde(default)]
    size: String,
    #[serde(default)]
    town: String,
    #[serde(default)]
    chief_quality_officer: String,
    #[serde(default)]
    contact: String,
    /// YYYY-MM-DD, or empty.
    #[serde(default)]
    file_opened: String,
}

#[derive(Deserialize, ToSchema)]
pub struct EnterpriseUpdateDto {
    #[serde(flatten)]
    fields: EnterpriseInputDto,
    /// The row_version the caller read.
    row_version: i64,
}

/// A date field: empty is none; anything else must be YYYY-MM-DD.
fn opt_date(field: &str, s: &str) -> Result<Option<NaiveDate>, AppError> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| AppError::Validation(vec![(field.into(), "reg-error-date".into())]))
}

impl EnterpriseInputDto {
    fn input(&self) -> Result<EnterpriseInput, AppError> {
        let size = if self.size.trim().is_empty() {
            None
        } else {
            Some(Size::parse(&self.size).ok_or_else(|| {
                AppError::Validation(vec![("size".into(), "ent-error-size".into())])
            })?)
        };
        Ok(EnterpriseInput {
            code: self.code.clone(),
            name: self.name.clone(),
            address: self.address.clone(),
            industry: self.industry.clone(),
            size,
            town: self.town.clone(),
            chief_quality_officer: self.chief_quality_officer.clone(),
            contact: self.contact.clone(),
            file_opened: opt_date("file_opened", &self.file_opened)?,
        })
    }
}

/// A store refusal with the reason a code fails its check spelled out, as the page shows it.
fn refusal(ctx: &Ctx, raw_code: &str, e: StoreError) -> AppError {
    match e {
        StoreError::Invalid { field, code } if code == "error-enterprise-code-invalid" => {
            let reason = match identifiers::check_enterprise_code(raw_code) {
                Err(e) => enterprises::CodeRefusal(e).message(ctx.lang.domain()),
                Ok(_) => code,
            };
            AppError::Validation(vec![(field, reason)])
        }
        e => e.into(),
    }
}

/// The enterprise with this code, through the scoped read the pages use.
async fn by_code(
    state: &AppState,
    ctx: &Ctx,
    code: &str,
) -> Result<enterprises::Enterprise, AppError> {
    let actor = ctx.actor();
    let e = enterprises::by_code(&state.store, Whose::Actor(&actor), code)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(enterprises::get(&state.store, &actor, e.id).await?)
}

async fn graded(state: &AppState, ctx: &Ctx, id: i64) -> Result<EnterpriseDto, AppError> {
    let e = enterprises::get(&state.store, &ctx.actor(), id).await?;
    let grading = credit::grading(&state.store, Whose::District(e.owner_id), id, ctx.today).await?;
    dto(state, e, grading.grade.code().to_string()).await
}

/// Registers an enterprise (the office and the units keeping the enterprise register).
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "registers", request_body = EnterpriseInputDto,
    responses((status = 201, body = EnterpriseDto)))]
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let ApiJson(f) = ApiJson::<EnterpriseInputDto>::from_request(req, &state).await?;
    let input = f.input()?;
    let id = enterprises::create(&state.store, &ctx.actor(), &input, ctx.today)
        .await
        .map_err(|e| refusal(&ctx, &f.code, e))?;
    Ok((StatusCode::CREATED, Json(graded(&state, &ctx, id).await?)).into_response())
}

/// Updates an enterprise's fields (not its code), guarded by its row_version.
#[utoipa::path(put, path = "/api/v1/enterprises/{code}", tag = "registers",
    params(("code" = String, Path, description = "unified social credit code")),
    request_body = EnterpriseUpdateDto,
    responses((status = 200, body = EnterpriseDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "someone changed it first")))]
pub async fn update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    req: Request,
) -> Result<Json<EnterpriseDto>, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let e = by_code(&state, &ctx, &code).await?;
    let ApiJson(f) = ApiJson::<EnterpriseUpdateDto>::from_request(req, &state).await?;
    let input = f.fields.input()?;
    enterprises::update(
        &state.store,
        &ctx.actor(),
        e.id,
        f.row_version,
        &input,
        ctx.today,
    )
    .await?;
    Ok(Json(graded(&state, &ctx, e.id).await?))
}

#[derive(Deserialize, ToSchema)]
pub struct LicenceInputDto {
    /// production, ccc, food or other
    #[serde(default)]
    kind: String,
    number: String,
    #[serde(default)]
    product: String,
    /// YYYY-MM-DD, or empty.
    #[serde(default)]
    issued: String,
    /// YYYY-MM-DD, or empty.
    #[serde(default)]
    expires: String,
}

/// Adds a licence to an enterprise, or updates the one of the same kind and number.
#[utoipa::path(post, path = "/api/v1/enterprises/{code}/licences", tag = "registers",
    params(("code" = String, Path, description = "unified social credit code")),
    request_body = LicenceInputDto,
    responses((status = 200, body = Vec<LicenceDto>), (status = 404, body = ErrorDto)))]
pub async fn add_licence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    req: Request,
) -> Result<Json<Vec<LicenceDto>>, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "enterprises").await?;
    let e = by_code(&state, &ctx, &code).await?;
    let ApiJson(f) = ApiJson::<LicenceInputDto>::from_request(req, &state).await?;
    let l = LicenceInput {
        kind: LicenceKind::parse(&f.kind).unwrap_or(LicenceKind::Other),
        number: f.number,
        product: f.product,
        issued: opt_date("issued", &f.issued)?,
        expires: opt_date("expires", &f.expires)?,
    };
    enterprises::save_licence(&state.store, &ctx.actor(), e.id, &l).await?;
    Ok(Json(licence_dtos(&state, &e).await?))
}

async fn licence_dtos(
    state: &AppState,
    e: &enterprises::Enterprise,
) -> Result<Vec<LicenceDto>, AppError> {
    Ok(
        enterprises::licences(&state.store, Whose::District(e.owner_id), e.id)
            .await?
            .into_iter()
            .map(|l| LicenceDto {
                kind: l.kind.code().to_string(),
                number: l.number,
                product: l.product,
                issued: l.issued.map(|d| d.to_string()),
                expires: l.expires.map(|d| d.to_string()),
            })
            .collect(),
    )
}

#[derive(Deserialize, ToSchema)]
pub struct CodeOverrideDto {
    /// A code that fails its check but is the enterprise's real code.
    code: String,
    /// Why it is accepted (the office's record).
    reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct CodeOverrideRecordedDto {
    /// The code as it will be accepted.
    code: String,
}

/// The office accepts a code that fails its check, with the reason (office only).
#[utoipa::path(post, path = "/api/v1/enterprise-code-overrides", tag = "registers",
    request_body = CodeOverrideDto, responses((status = 201, body = CodeOverrideRecordedDto)))]
pub async fn record_override(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<CodeOverrideDto>::from_request(req, &state).await?;
    let code = enterprises::record_override(&state.store, &ctx.actor(), &f.code, &f.reason)
        .await
        .map_err(|e| match e {
            StoreError::Invalid { field, code } => {
                AppError::Validation(vec![(format!("override_{field}"), code)])
            }
            e => e.into(),
        })?;
    Ok((StatusCode::CREATED, Json(CodeOverrideRecordedDto { code })).into_response())
}

// ---------------------------------------------------------------- the credit file

#[derive(Serialize, ToSchema)]
pub struct ReasonDto {
    /// The step in the caller's language.
    text: String,
    points: i32,
}

#[derive(Serialize, ToSchema)]
pub struct CreditEventDto {
    id: i64,
    /// sampling_failure, penalty, complaint, recall, award, certification, …
    kind: String,
    occurred_on: String,
    serious: bool,
    summary: String,
    /// manual, or the registry it follows (sampling).
    source: String,
    source_ref: Option<String>,
    /// The unit that recorded it.
    unit: Option<String>,
    recorded_by: String,
    /// Download of its evidence, if any: `/enterprises/{id}/events/{event}/evidence` (the
    /// page), or `/api/v1/enterprises/{code}/credit-events/{event}/evidence` with a token.
    evidence: Option<String>,
    withdrawn_at: Option<String>,
    withdrawn_reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct ListingStepDto {
    /// propose, approve, reject, request_repair, approve_repair, refuse_repair, expire
    action: String,
    /// The state it led to.
    state: String,
    comment: String,
    actor: String,
    /// UTC, RFC 3339
    at: String,
}

#[derive(Serialize, ToSchema)]
pub struct ListingDto {
    id: i64,
    enterprise_code: String,
    enterprise_name: String,
    /// proposed, listed, repair_requested, rejected, repaired, expired
    state: String,
    reason: String,
    proposed_by: String,
    proposed_on: String,
    listed_on: Option<String>,
    until: Option<String>,
    /// Send it back with an action to detect concurrent changes.
    row_version: i64,
    /// Actions the listing's state allows next.
    actions: Vec<String>,
    /// Every step so far, oldest first (in the credit file; empty on the blacklist).
    history: Vec<ListingStepDto>,
}

fn listing_dto(l: credit::ListingRecord, history: Vec<credit::ListingStep>) -> ListingDto {
    ListingDto {
        actions: l
            .state
            .actions()
            .iter()
            .map(|a| a.code().to_string())
            .collect(),
        id: l.id,
        enterprise_code: l.enterprise_code,
        enterprise_name: l.enterprise_name,
        state: l.state.code().to_string(),
        reason: l.reason,
        proposed_by: l.proposed_by,
        proposed_on: l.proposed_on,
        listed_on: l.listed_on,
        until: l.until,
        row_version: l.row_version,
        history: history
            .into_iter()
            .map(|s| ListingStepDto {
                action: s.action,
                state: s.state.code().to_string(),
                comment: s.comment,
                actor: s.actor,
                at: s.at,
            })
            .collect(),
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreditFileDto {
    enterprise: EnterpriseDto,
    /// The name of the credit rules in force.
    rules: String,
    score: i32,
    /// The start, each event (counted or not, and why), any clamping and caps, in order.
    reasons: Vec<ReasonDto>,
    events: Vec<CreditEventDto>,
    listings: Vec<ListingDto>,
    /// Why the rules propose listing it now, when they do and no listing is open.
    proposal: Option<String>,
}

async fn credit_file_of(state: &AppState, ctx: &Ctx, id: i64) -> Result<CreditFileDto, AppError> {
    let actor = ctx.actor();
    let lang = ctx.lang.domain();
    let e = enterprises::get(&state.store, &actor, id).await?;
    let whose = Whose::Actor(&actor);
    let grading = credit::grading(&state.store, whose, id, ctx.today).await?;
    let (rules, _) = credit::rules(&state.store).await?;
    let events = credit::events(&state.store, whose, id)
        .await?
        .into_iter()
        .map(|c| CreditEventDto {
            evidence: c
                .evidence_sha256
                .as_ref()
                .map(|_| format!("/enterprises/{id}/events/{}/evidence", c.id)),
            id: c.id,
            kind: c.kind.code().to_string(),
            occurred_on: c.occurred_on,
            serious: c.serious,
            summary: c.summary,
            source: c.source,
            source_ref: c.source_ref,
            unit: c.unit,
            recorded_by: c.recorded_by,
            withdrawn_at: c.withdrawn_at,
            withdrawn_reason: c.withdrawn_reason,
        })
        .collect();
    let mut listings = Vec::new();
    let mut open = false;
    for l in credit::enterprise_listings(&state.store, whose, id).await? {
        open |= !l.state.is_final();
        let h = credit::listing_history(&state.store, l.id).await?;
        listings.push(listing_dto(l, h));
    }
    let proposal = if open {
        None
    } else {
        credit::proposal(&state.store, &actor, id, ctx.today)
            .await?
            .map(|r| r.text(lang).to_string())
    };
    Ok(CreditFileDto {
        enterprise: dto(state, e, grading.grade.code().to_string()).await?,
        rules: rules.name,
        score: grading.score,
        reasons: grading
            .reasons
            .iter()
            .map(|r| ReasonDto {
                text: r.text(lang).to_string(),
                points: r.points,
            })
            .collect(),
        events,
        listings,
        proposal,
    })
}

/// An enterprise's quality credit file, as its page shows it: grade and score with every
/// reason, the events (withdrawn ones too), the blacklist listings with their history.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}/credit", tag = "credit",
    params(("code" = String, Path, description = "unified social credit code")),
    responses((status = 200, body = CreditFileDto), (status = 404, body = ErrorDto)))]
pub async fn credit_file(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
) -> Result<Json<CreditFileDto>, AppError> {
    ctx.user()?;
    let e = by_code(&state, &ctx, &code).await?;
    Ok(Json(credit_file_of(&state, &ctx, e.id).await?))
}

/// A credit event's evidence file (roles that read internal records, as on the enterprise's
/// page), always as an attachment in the type it was stored as, with
/// `X-Content-Type-Options: nosniff`.
#[utoipa::path(get, path = "/api/v1/enterprises/{code}/credit-events/{event}/evidence", tag = "credit",
    params(("code" = String, Path, description = "unified social credit code"), ("event" = i64, Path, description = "the event's id")),
    responses((status = 200, description = "the file, as an attachment", content_type = "application/octet-stream", body = [u8]),
              (status = 404, body = ErrorDto, description = "no such enterprise, event or evidence")))]
pub async fn event_evidence(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((code, event)): Path<(String, i64)>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let e = by_code(&state, &ctx, &code).await?;
    let (name, mime, data) =
        credit::event_evidence(&state.store, &ctx.actor(), e.id, event).await?;
    Ok(crate::view::evidence_download(data, &mime, &name))
}

#[derive(Deserialize, ToSchema)]
pub struct NewCreditEventDto {
    /// penalty, complaint, recall, award, certification, … (not sampling_failure, which
    /// follows the sampling register)
    kind: String,
    /// YYYY-MM-DD, not after the business date.
    occurred_on: String,
    #[serde(default)]
    serious: bool,
    #[schema(min_length = 1, max_length = 500)]
    summary: String,
    /// At most one evidence file.
    #[serde(default)]
    evidence: Option<FileDto>,
}

/// Records an event in an enterprise's credit file (the office and the units keeping the
/// credit register), with at most one evidence file; the grade follows at once.
#[utoipa::path(post, path = "/api/v1/enterprises/{code}/credit-events", tag = "credit",
    params(("code" = String, Path, description = "unified social credit code")),
    request_body = NewCreditEventDto,
    responses((status = 201, body = CreditFileDto), (status = 404, body = ErrorDto)))]
pub async fn add_event(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    // Who may record is settled before the body is read.
    enterprises::require_writer(&state.store, &ctx.actor(), "credit").await?;
    let e = by_code(&state, &ctx, &code).await?;
    let ApiJson(f) = ApiJson::<NewCreditEventDto>::from_request(req, &state).await?;
    let kind = EventKind::parse(&f.kind)
        .ok_or_else(|| AppError::Validation(vec![("kind".into(), "credit-error-kind".into())]))?;
    let occurred_on = opt_date("occurred_on", &f.occurred_on)?.ok_or_else(|| {
        AppError::Validation(vec![("occurred_on".into(), "reg-error-date".into())])
    })?;
    let files = match f.evidence {
        Some(file) => vec![file.upload("evidence")?],
        None => vec![],
    };
    let policy = evidence::EvidencePolicy {
        max_bytes: state.config.max_evidence_bytes,
    };
    let checked = evidence::check(&files, &policy)?;
    let ev = credit::NewEvent {
        kind,
        occurred_on,
        serious: f.serious,
        summary: f.summary,
    };
    credit::add_event(&state.store, &ctx.actor(), e.id, &ev, &checked, ctx.today).await?;
    Ok((
        StatusCode::CREATED,
        Json(credit_file_of(&state, &ctx, e.id).await?),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct ReasonInputDto {
    #[schema(min_length = 1, max_length = 1000)]
    reason: String,
}

/// Withdraws an event recorded by hand: kept in the file with the reason, no longer counted.
#[utoipa::path(post, path = "/api/v1/credit-events/{id}/withdraw", tag = "credit",
    params(("id" = i64, Path, description = "the event's id")), request_body = ReasonInputDto,
    responses((status = 204, description = "withdrawn"), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "already withdrawn, or it follows another register")))]
pub async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<StatusCode, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "credit").await?;
    let ApiJson(f) = ApiJson::<ReasonInputDto>::from_request(req, &state).await?;
    credit::withdraw_event(&state.store, &ctx.actor(), id, &f.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Proposes listing an enterprise on the blacklist; the office decides.
#[utoipa::path(post, path = "/api/v1/enterprises/{code}/listings", tag = "credit",
    params(("code" = String, Path, description = "unified social credit code")),
    request_body = ReasonInputDto,
    responses((status = 201, body = ListingDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "a listing is already open")))]
pub async fn propose(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(code): Path<String>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "credit").await?;
    let e = by_code(&state, &ctx, &code).await?;
    let ApiJson(f) = ApiJson::<ReasonInputDto>::from_request(req, &state).await?;
    let id = credit::propose(&state.store, &ctx.actor(), e.id, &f.reason, ctx.today).await?;
    let listing = listing_by_id(&state, &e, id).await?;
    Ok((StatusCode::CREATED, Json(listing)).into_response())
}

async fn listing_by_id(
    state: &AppState,
    e: &enterprises::Enterprise,
    id: i64,
) -> Result<ListingDto, AppError> {
    let l = credit::enterprise_listings(&state.store, Whose::District(e.owner_id), e.id)
        .await?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or(AppError::NotFound)?;
    let h = credit::listing_history(&state.store, id).await?;
    Ok(listing_dto(l, h))
}

#[derive(Deserialize, ToSchema)]
pub struct ListingActionDto {
    /// approve, reject, request_repair, approve_repair, refuse_repair or expire
    action: String,
    /// The listing's row_version the caller read.
    row_version: i64,
    /// Required to reject, to request a repair and to refuse one.
    #[serde(default)]
    #[schema(max_length = 1000)]
    comment: String,
}

/// Acts on a blacklist listing: the office decides; units keeping the credit register may
/// request a repair on the enterprise's behalf.
#[utoipa::path(post, path = "/api/v1/listings/{id}/actions", tag = "credit",
    params(("id" = i64, Path, description = "the listing's id")), request_body = ListingActionDto,
    responses((status = 200, body = ListingDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "the state does not allow it, or someone acted first")))]
pub async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Json<ListingDto>, AppError> {
    let user = ctx.user()?;
    let can_credit = enterprises::may_write(&state.store, &ctx.actor(), "credit").await?;
    if user.role != Role::Office && !can_credit {
        return Err(AppError::Forbidden);
    }
    let ApiJson(f) = ApiJson::<ListingActionDto>::from_request(req, &state).await?;
    let action = ListingAction::parse(&f.action).ok_or_else(|| {
        AppError::Validation(vec![("action".into(), "credit-error-action".into())])
    })?;
    credit::act(
        &state.store,
        &ctx.actor(),
        id,
        f.row_version,
        action,
        &f.comment,
        ctx.today,
    )
    .await?
    .map_err(|e| AppError::Conflict(e.message(ctx.lang.domain())))?;
    let l = credit::listings(&state.store, Whose::Actor(&ctx.actor()), &[])
        .await?
        .into_iter()
        .find(|l| l.id == id)
        .ok_or(AppError::NotFound)?;
    let h = credit::listing_history(&state.store, id).await?;
    Ok(Json(listing_dto(l, h)))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BlacklistQuery {
    /// Only listings in this state (proposed, listed, repair_requested, rejected, repaired,
    /// expired); every state when absent.
    #[serde(default)]
    state: Option<String>,
}

/// Every blacklist listing by state, as the blacklist page shows it (the office, leaders and
/// evaluators).
#[utoipa::path(get, path = "/api/v1/blacklist", tag = "credit", params(BlacklistQuery),
    responses((status = 200, body = Vec<ListingDto>)))]
pub async fn blacklist(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<BlacklistQuery>,
) -> Result<Json<Vec<ListingDto>>, AppError> {
    ctx.require_role(&[Role::Office, Role::Leader, Role::Evaluator])?;
    let states: Vec<ListingState> = match q.state.as_deref().map(str::trim) {
        None | Some("") => vec![],
        Some(s) => vec![ListingState::parse(s).ok_or_else(|| {
            AppError::Validation(vec![("state".into(), "credit-error-state".into())])
        })?],
    };
    let all = credit::listings(&state.store, Whose::Actor(&ctx.actor()), &states).await?;
    let mut out = Vec::with_capacity(all.len());
    // The page's order: grouped by state in the state list's order.
    for st in ListingState::ALL {
        out.extend(
            all.iter()
                .filter(|l| l.state == *st)
                .cloned()
                .map(|l| listing_dto(l, vec![])),
        );
    }
    Ok(Json(out))
}

// ---------------------------------------------------------------- sampling records

#[derive(Serialize, ToSchema)]
pub struct FailedItemDto {
    item: String,
    standard: String,
}

#[derive(Serialize, ToSchema)]
pub struct FollowupDto {
    /// open, rectifying, reinspected, closed
    status: String,
    rectify_by: Option<String>,
    rectified_on: Option<String>,
    reinspected_on: Option<String>,
    reinspection_passed: Option<bool>,
    penalty: String,
    note: String,
    /// Send it back with the next follow-up to detect concurrent changes.
    row_version: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SamplingDto {
    id: i64,
    report_no: String,
    plan: String,
    /// national, provincial, city, district
    level: String,
    /// production, circulation, e_commerce
    stage: String,
    enterprise_code: String,
    enterprise_name: String,
    product: String,
    category: String,
    /// industrial, food, agricultural, …
    kind: String,
    ccc: bool,
    batch: String,
    sampled_on: String,
    reported_on: Option<String>,
    passed: bool,
    failed_items: Vec<FailedItemDto>,
    agency: String,
    /// The follow-up (后处理) of a failed record, once one was recorded.
    followup: Option<FollowupDto>,
}

impl From<sampling::SamplingRecord> for SamplingDto {
    fn from(r: sampling::SamplingRecord) -> Self {
        SamplingDto {
            id: r.id,
            report_no: r.report_no,
            plan: r.plan,
            level: r.level.code().to_string(),
            stage: r.stage.code().to_string(),
            enterprise_code: r.enterprise_code,
            enterprise_name: r.enterprise_name,
            product: r.product,
            category: r.category,
            kind: r.kind.code().to_string(),
            ccc: r.ccc,
            batch: r.batch,
            sampled_on: r.sampled_on,
            reported_on: r.reported_on,
            passed: r.passed,
            failed_items: r
                .failed_items
                .into_iter()
                .map(|f| FailedItemDto {
                    item: f.item,
                    standard: f.standard,
                })
                .collect(),
            agency: r.agency,
            followup: r.followup.map(|f| FollowupDto {
                status: f.status,
                rectify_by: f.rectify_by,
                rectified_on: f.rectified_on,
                reinspected_on: f.reinspected_on,
                reinspection_passed: f.reinspection_passed,
                penalty: f.penalty,
                note: f.note,
                row_version: f.row_version,
            }),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SamplingQuery {
    /// Enterprise name, code prefix, product or category fragment, or a report number.
    #[serde(default)]
    q: String,
    /// Sampling year.
    #[serde(default)]
    year: Option<i32>,
    /// national, provincial, city or district
    #[serde(default)]
    level: Option<String>,
    /// Product kind code.
    #[serde(default)]
    kind: Option<String>,
    /// Failed records only.
    #[serde(default)]
    failed: bool,
    /// 1-based page of 50.
    #[serde(default)]
    #[param(minimum = 1)]
    page: Option<i64>,
}

/// A code list filter: empty is none; an unknown code is refused.
fn code_filter<T: CodeList>(
    field: &str,
    key: &str,
    v: Option<&str>,
) -> Result<Option<T>, AppError> {
    match v.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => T::parse(s)
            .map(Some)
            .ok_or_else(|| AppError::Validation(vec![(field.into(), key.into())])),
    }
}

/// Sampling records, newest sampling first, 50 per page.
#[utoipa::path(get, path = "/api/v1/sampling", tag = "registers", params(SamplingQuery),
    responses((status = 200, body = Vec<SamplingDto>)))]
pub async fn list_sampling(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<SamplingQuery>,
) -> Result<Json<Vec<SamplingDto>>, AppError> {
    ctx.user()?;
    let f = sampling::Filter {
        text: q.q,
        year: q.year,
        level: code_filter::<Level>("level", "smp-error-level", q.level.as_deref())?,
        kind: code_filter::<ProductKind>("kind", "error-json-invalid", q.kind.as_deref())?,
        failed_only: q.failed,
        ..Default::default()
    };
    let actor = ctx.actor();
    let (rows, _) =
        sampling::list(&state.store, Whose::Actor(&actor), &f, PAGE, offset(q.page)).await?;
    Ok(Json(rows.into_iter().map(SamplingDto::from).collect()))
}

/// One sampling record with its follow-up.
#[utoipa::path(get, path = "/api/v1/sampling/{id}", tag = "registers",
    params(("id" = i64, Path, description = "the record's id")),
    responses((status = 200, body = SamplingDto), (status = 404, body = ErrorDto)))]
pub async fn one_sampling(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Json<SamplingDto>, AppError> {
    ctx.user()?;
    Ok(Json(
        sampling::record(&state.store, &ctx.actor(), id)
            .await?
            .into(),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct NewSamplingDto {
    /// 报告编号, unique.
    #[schema(min_length = 1, max_length = 100)]
    report_no: String,
    #[serde(default)]
    plan: String,
    /// national, provincial, city or district
    level: String,
    /// production, circulation or e_commerce (production when empty)
    #[serde(default)]
    stage: String,
    /// A registered enterprise's code.
    enterprise_code: String,
    product: String,
    #[serde(default)]
    category: String,
    /// Product kind code (industrial when empty).
    #[serde(default)]
    kind: String,
    #[serde(default)]
    ccc: bool,
    #[serde(default)]
    batch: String,
    /// YYYY-MM-DD
    sampled_on: String,
    /// YYYY-MM-DD, or empty.
    #[serde(default)]
    reported_on: String,
    /// pass or fail (合格 / 不合格 are read too)
    verdict: String,
    /// Failed items separated by `；`, each optionally followed by its standard in brackets:
    /// `甲醛释放量（GB 18580-2017）；标签（GB 5296.1）`. Required for a failed record.
    #[serde(default)]
    failed_items: String,
    #[serde(default)]
    agency: String,
}

/// Records one sampling result (the office and the units keeping the sampling register); a
/// failed one adds an event to the enterprise's credit file.
#[utoipa::path(post, path = "/api/v1/sampling", tag = "registers", request_body = NewSamplingDto,
    responses((status = 201, body = SamplingDto)))]
pub async fn create_sampling(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "sampling").await?;
    let ApiJson(f) = ApiJson::<NewSamplingDto>::from_request(req, &state).await?;
    let invalid = |field: &str, key: &str| AppError::Validation(vec![(field.into(), key.into())]);
    let level = Level::parse(&f.level).ok_or_else(|| invalid("level", "smp-error-level"))?;
    let verdict =
        Verdict::parse(&f.verdict).ok_or_else(|| invalid("verdict", "smp-error-verdict"))?;
    let sampled_on = opt_date("sampled_on", &f.sampled_on)?
        .ok_or_else(|| invalid("sampled_on", "smp-error-sampled-on"))?;
    let actor = ctx.actor();
    let name = enterprises::by_code(&state.store, Whose::Actor(&actor), &f.enterprise_code)
        .await?
        .map(|e| e.name)
        .unwrap_or_default();
    let input = SamplingInput {
        report_no: f.report_no,
        plan: f.plan,
        level,
        stage: Stage::parse(&f.stage).unwrap_or(Stage::Production),
        enterprise_code: f.enterprise_code,
        enterprise_name: name,
        product: f.product,
        category: f.category,
        kind: ProductKind::parse(&f.kind).unwrap_or(ProductKind::Industrial),
        ccc: f.ccc,
        batch: f.batch,
        sampled_on,
        reported_on: opt_date("reported_on", &f.reported_on)?,
        verdict,
        failed_items: parse_failed_items(&f.failed_items),
        agency: f.agency,
    };
    if let Err(refusal) = input.check() {
        return Err(invalid("record", refusal.message(ctx.lang.domain())));
    }
    let id = sampling::create(&state.store, &ctx.actor(), &input, ctx.today).await?;
    Ok((
        StatusCode::CREATED,
        Json(SamplingDto::from(
            sampling::record(&state.store, &ctx.actor(), id).await?,
        )),
    )
        .into_response())
}

#[derive(Deserialize, ToSchema)]
pub struct FollowupInputDto {
    /// open, rectifying, reinspected or closed; closing needs a passed re-inspection or a
    /// penalty.
    status: String,
    /// YYYY-MM-DD, or empty.
    #[serde(default)]
    rectify_by: String,
    /// YYYY-MM-DD, or empty.
    #[serde(default)]
    rectified_on: String,
    /// YYYY-MM-DD, or empty.
    #[serde(default)]
    reinspected_on: String,
    /// The re-inspection's result, once there is one.
    #[serde(default)]
    reinspection_passed: Option<bool>,
    #[serde(default)]
    #[schema(max_length = 500)]
    penalty: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    note: String,
    /// The follow-up's row_version the caller read; -1 when there was none.
    row_version: i64,
}

/// Records the follow-up (后处理) of a failed record (the office and the units keeping the
/// sampling register).
#[utoipa::path(post, path = "/api/v1/sampling/{id}/followup", tag = "registers",
    params(("id" = i64, Path, description = "the record's id")), request_body = FollowupInputDto,
    responses((status = 200, body = SamplingDto), (status = 404, body = ErrorDto),
              (status = 409, body = ErrorDto, description = "someone changed it first")))]
pub async fn followup(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Json<SamplingDto>, AppError> {
    ctx.user()?;
    enterprises::require_writer(&state.store, &ctx.actor(), "sampling").await?;
    let ApiJson(f) = ApiJson::<FollowupInputDto>::from_request(req, &state).await?;
    let input = FollowupInput {
        status: f.status,
        rectify_by: opt_date("rectify_by", &f.rectify_by)?,
        rectified_on: opt_date("rectified_on", &f.rectified_on)?,
        reinspected_on: opt_date("reinspected_on", &f.reinspected_on)?,
        reinspection_passed: f.reinspection_passed,
        penalty: f.penalty,
        note: f.note,
    };
    sampling::save_followup(&state.store, &ctx.actor(), id, f.row_version, &input).await?;
    Ok(Json(
        sampling::record(&state.store, &ctx.actor(), id)
            .await?
            .into(),
    ))
}

/// The credit rules in force (grading, blacklist listing and repair).
#[derive(Serialize, ToSchema)]
pub struct CreditRulesDto {
    /// The rule set as TOML: edit it and send it back to replace the rules.
    toml: String,
    /// Who saved it and when (UTC); null for the shipped default.
    saved_by: Option<String>,
    saved_at: Option<String>,
}

async fn rules_dto(state: &AppState) -> Result<CreditRulesDto, AppError> {
    let (_, saved) = credit::rules(&state.store).await?;
    let (saved_by, saved_at) = saved.unzip();
    Ok(CreditRulesDto {
        toml: credit::rules_text(&state.store).await?,
        saved_by,
        saved_at,
    })
}

/// The credit rules in force (every signed-in role, as on `/credit/rules`).
#[utoipa::path(get, path = "/api/v1/credit/rules", tag = "credit",
    responses((status = 200, body = CreditRulesDto)))]
pub async fn get_rules(
    State(state): State<AppState>,
    ctx: Ctx,
) -> Result<Json<CreditRulesDto>, AppError> {
    ctx.user()?;
    Ok(Json(rules_dto(&state).await?))
}

/// Replaces the credit rules from TOML (office), as on `/credit/rules`: rules that do not load
/// are refused with every problem and the rules in force stay; grades follow the new rules at
/// once.
#[utoipa::path(put, path = "/api/v1/credit/rules", tag = "credit", request_body = RulesTomlDto,
    responses((status = 200, body = CreditRulesDto, description = "the new rules in force"),
              (status = 422, body = ErrorDto, description = "the rules were refused; `fields.toml` lists every problem with its line")))]
pub async fn put_rules(
    State(state): State<AppState>,
    ctx: Ctx,
    req: Request,
) -> Result<Json<CreditRulesDto>, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ApiJson(f) = ApiJson::<RulesTomlDto>::from_request(req, &state).await?;
    if let Err(diags) = credit::save_rules(&state.store, &ctx.actor(), f.toml()).await? {
        return Err(super::rule_problems(&ctx, "toml", diags));
    }
    Ok(Json(rules_dto(&state).await?))
}

/// The enterprise register's and credit file's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list,
        create,
        record_override,
        one,
        update,
        add_licence,
        credit_file,
        event_evidence,
        add_event,
        propose,
        withdraw,
        act,
        blacklist,
        get_rules,
        put_rules
    ),
    components(schemas(
        CreditRulesDto,
        RulesTomlDto,
        EnterpriseDto,
        EnterpriseDetailDto,
        LicenceDto,
        EnterpriseInputDto,
        EnterpriseUpdateDto,
        LicenceInputDto,
        CodeOverrideDto,
        CodeOverrideRecordedDto,
        ReasonDto,
        CreditEventDto,
        ListingStepDto,
        ListingDto,
        CreditFileDto,
        NewCreditEventDto,
        FileDto,
        ReasonInputDto,
        ListingActionDto,
        ErrorDto
    ))
)]
pub struct EnterprisesDoc;

/// The sampling register's API operations.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        list_sampling,
        create_sampling,
        pass_rates,
        one_sampling,
        followup,
        crate::api::approvals::disclose
    ),
    components(schemas(
        crate::api::approvals::SamplingDisclosureRequestDto,
        crate::api::approvals::SamplingDisclosedDto,
        PassRateDto,
        SamplingDto,
        FailedItemDto,
        FollowupDto,
        NewSamplingDto,
        FollowupInputDto,
        ErrorDto
    ))
)]
pub struct SamplingDoc;
