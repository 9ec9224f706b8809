//! 督查督办: obligations per unit, progress reports with evidence, review (销号 / 退回),
//! extensions, the office's overview with its heat map, and notices.

use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::listing::{Listing, SortKey, Sorts};
use crate::middleware::see_other;
use crate::module::{BodyLimit, Module, NavEntry, Routes, signed_in};
use crate::view::{PageCtx, encode_component, render, unprocessable};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::Response;
use chrono::NaiveDate;
use qcity_domain::plan::Plan;
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::notices::{self, Notice};
use qcity_store::obligations::{
    self, EvidencePolicy, Extension, Filter, Obligation, ObligationStatus, Report, ReportInput,
    Tally, links,
};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    // Obligations and their overview are kept per district (by their plan's owner).
    r.per_district(true)
        .get("/obligations", list)
        .get("/obligations/export.xlsx", export_xlsx)
        .get("/obligations/{id}", show)
        .upload("/obligations/{id}/reports", BodyLimit::Evidence, add_report)
        .post("/obligations/{id}/review", review)
        .post("/obligations/{id}/extension", request_extension)
        .post("/extensions/{id}/decide", decide_extension)
        .post("/obligations/{id}/acknowledge", acknowledge)
        .post("/obligations/{id}/withdraw", withdraw)
        .post("/obligations/{id}/serves", set_serves)
        .get("/reports/{id}/files/{sha}", download)
        .get("/reports/{id}/files/{sha}/preview", preview)
        .get("/supervision", overview)
        .post("/supervision/review", batch_review)
        .post("/supervision/urge", urge)
        .get("/notices", notice_list)
        .post("/notices", issue_duban)
        .post("/notices/{id}/read", read_notice)
        .post("/notices/{id}/respond", respond_notice)
}

/// An obligation with what a page shows about it.
#[derive(Clone)]
pub struct Row {
    pub ob: Obligation,
    pub text: String,
    pub overdue_days: i64,
    pub status_label: String,
    pub status_class: &'static str,
    pub duty_label: String,
    pub period_label: String,
}

/// "once" → 一次性, "2015" → 2015年, "2015-H1" → 2015年上半年, "2015-Q2" → 2015年第2季度.
pub fn period_label(key: &str, ctx: &Ctx) -> String {
    if key == "once" {
        return ctx.t("period-once");
    }
    let (year, part) = key.split_once('-').unwrap_or((key, ""));
    let args = |n: &str| vec![("year", year.to_string()), ("n", n.to_string())];
    match part.as_bytes() {
        [] => ctx.lang.t_args("period-year", &args("")),
        [b'H', n] => ctx.lang.t_args(
            if *n == b'1' { "period-h1" } else { "period-h2" },
            &args(""),
        ),
        [b'Q', n] => ctx
            .lang
            .t_args("period-quarter", &args(&(*n as char).to_string())),
        _ => key.to_string(),
    }
}

pub fn status_class(o: &Obligation, today: NaiveDate) -> &'static str {
    if o.overdue(today) {
        return "red";
    }
    match o.status {
        ObligationStatus::Accepted => "green",
        ObligationStatus::Submitted => "blue",
        ObligationStatus::Returned => "yellow",
        _ if o.due().is_some_and(|d| (d - today).num_days() <= 7) => "yellow",
        _ => "grey",
    }
}

pub fn to_row(plan: &Plan, o: Obligation, ctx: &Ctx) -> Row {
    Row {
        text: plan
            .content(&o.content_code)
            .map(|c| c.text.clone())
            .unwrap_or_default(),
        overdue_days: o.days_overdue(ctx.today),
        status_label: ctx.t(&format!("ob-status-{}", o.status)),
        status_class: status_class(&o, ctx.today),
        duty_label: ctx.t(&format!("ob-duty-{}", o.duty)),
        period_label: period_label(&o.period_key, ctx),
        ob: o,
    }
}

#[derive(Deserialize, Default, Clone)]
pub struct ListQuery {
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub cat: String,
    #[serde(default)]
    pub view: String,
    /// Words searched in the plan's content text (all must be found).
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub dir: String,
}

/// The obligations list's sortable columns (by due date by default).
const SORTS: Sorts = Sorts {
    keys: &[
        SortKey {
            key: "content",
            column: "o.content_code",
        },
        SortKey {
            key: "unit",
            column: "u.name",
        },
        SortKey {
            key: "period",
            column: "o.period_key",
        },
        SortKey {
            key: "due",
            column: "o.due_date",
        },
        SortKey {
            key: "status",
            column: "o.status",
        },
    ],
    default_key: "due",
    default_desc: false,
};

impl ListQuery {
    fn listing(&self) -> Listing {
        Listing::new("/obligations", &SORTS, &self.page, &self.sort, &self.dir)
            .keep("view", &self.view)
            .keep("unit", &self.unit)
            .keep("status", &self.status)
            .keep("cat", &self.cat)
            .keep("q", &self.q)
    }
}

/// The contents whose code starts with `query` or whose text holds all its words: the plan's
/// text is not in the database, so the search runs here and the list filters by code.
fn contents_matching(plan: &Plan, query: &str) -> Option<Vec<String>> {
    let query = query.trim();
    if query.is_empty() {
        return None;
    }
    Some(
        plan.contents()
            .map(|(_, _, c)| c)
            .filter(|c| {
                c.code.starts_with(query)
                    || qcity_domain::search::matches(&[c.text.as_str()], query)
            })
            .map(|c| c.code.clone())
            .collect(),
    )
}

#[derive(Template)]
#[template(path = "obligations.html")]
struct ListPage {
    ctx: PageCtx,
    rows: Vec<Row>,
    list: Listing,
    q: ListQuery,
    units: Vec<(String, String)>,
    statuses: Vec<(String, String)>,
    is_unit: bool,
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let (_, plan) = crate::view::require_plan(&state, &ctx).await?;
    let mut f = Filter {
        unit: Some(q.unit.clone()),
        // An unknown status filters nothing, as an empty one.
        status: q.status.parse().ok(),
        content_prefix: (!q.cat.is_empty()).then(|| format!("{}.", q.cat)),
        ..Default::default()
    };
    match q.view.as_str() {
        "overdue" => f.overdue_only = true,
        "soon" => {
            f.due_by = ctx.today.checked_add_days(chrono::Days::new(30));
            f.open_only = true;
        }
        "returned" => f.status = Some(ObligationStatus::Returned),
        "submitted" => f.status = Some(ObligationStatus::Submitted),
        _ => {}
    }
    f.content_codes = contents_matching(&plan, &q.q);
    let listing = q.listing();
    let (obs, total) = obligations::list_page(
        &state.store,
        &ctx.actor(),
        &f,
        ctx.today,
        listing.order(),
        listing.limit(),
        listing.offset(),
    )
    .await?;
    let rows = obs.into_iter().map(|o| to_row(&plan, o, &ctx)).collect();
    let units = plan
        .units
        .iter()
        .filter(|u| matches!(u.kind.as_str(), "member" | "office" | "external"))
        .map(|u| (u.code.clone(), u.name.clone()))
        .collect();
    let statuses = ObligationStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_string(), ctx.t(&format!("ob-status-{s}"))))
        .collect();
    Ok(render(&ListPage {
        ctx: ctx.page(),
        rows,
        list: listing.with_total(total),
        q,
        units,
        statuses,
        is_unit: user.role == Role::Unit,
    }))
}

/// The decomposition table with each row's current status (overall, or one unit's), as XLSX.
/// Unit staff get their own unit's.
async fn export_xlsx(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    let (_, plan) = crate::view::require_plan(&state, &ctx).await?;
    let f = Filter {
        unit: Some(q.unit.clone()),
        ..Default::default()
    };
    let obs = obligations::list(&state.store, &ctx.actor(), &f, ctx.today).await?;
    // Every obligation, due or not yet: each row says where it stands on the business date.
    let rows: Vec<qcity_exchange::StatusRow> = obs
        .iter()
        .map(|o| qcity_exchange::StatusRow {
            content_code: o.content_code.clone(),
            unit_name: o.unit_name.clone(),
            duty: o.duty.as_str().to_string(),
            period_key: o.period_key.clone(),
            due_date: o.due_date.clone(),
            status: o.status.as_str().to_string(),
            percent: o.percent,
            overdue_days: o.days_overdue(ctx.today),
        })
        .collect();
    let scope_name = match (&user.unit_name, user.role) {
        (Some(name), Role::Unit) => name.clone(),
        _ if !q.unit.is_empty() => plan
            .unit(&q.unit)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| q.unit.clone()),
        _ => ctx.t("all"),
    };
    let title = format!("{}（{}）", plan.plan.title, scope_name);
    let as_of = ctx.today.to_string();
    let bytes = qcity_exchange::status_to_xlsx(&plan, &rows, &title, &as_of)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::view::attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("status-{as_of}.xlsx"),
    ))
}

#[derive(Template)]
#[template(path = "obligation.html")]
struct DetailPage {
    ctx: PageCtx,
    this: Row,
    item_title: String,
    category_title: String,
    lead: String,
    undertaking: String,
    reports: Vec<Report>,
    timeline: Vec<TimelineLine>,
    siblings: Vec<(Row, Vec<Report>)>,
    extensions: Vec<Extension>,
    can_report: bool,
    can_review: bool,
    /// The unit's own, not yet acknowledged (签收).
    can_acknowledge: bool,
    /// The unit's own, handed in and not yet reviewed (撤回).
    can_withdraw: bool,
    /// Evidence types the browser checks before sending (the server checks again).
    evidence_types: &'static str,
    max_bytes: usize,
    /// Why the office returned it, while it stays returned.
    return_reason: String,
    form_token: String,
    errors: Vec<(String, String)>,
    max_mb: usize,
    /// What was typed into the report form, shown again when the report was refused.
    typed: TypedReport,
    /// 上下联动: the city task this obligation serves ("1.1.1 · 2015-06-30 · 进行中").
    serves: Option<(i64, String)>,
    /// The city tasks given to the district, for its office to choose from.
    city_tasks: Vec<(i64, String)>,
    /// On a city task: the district obligations serving it (district, unit, content, due,
    /// status).
    serving: Vec<[String; 5]>,
}

/// The report form's text as the unit typed it (none on a fresh page).
#[derive(Default)]
struct TypedReport {
    body: String,
    percent: Option<String>,
}

impl DetailPage {
    fn previewable(&self, mime: &str) -> bool {
        previewable(mime)
    }

    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

async fn detail(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    detail_typed(state, ctx, id, errors, TypedReport::default()).await
}

async fn detail_typed(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    errors: Vec<(String, String)>,
    typed: TypedReport,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (_, plan) = crate::view::require_plan(state, ctx).await?;
    let actor = ctx.actor();
    let ob = obligations::get(&state.store, &actor, id).await?;
    let (category_title, item_title, lead, undertaking) = plan
        .contents()
        .find(|(_, _, c)| c.code == ob.content_code)
        .map(|(cat, item, c)| {
            (
                cat.title.clone(),
                item.title.clone(),
                crate::pages::plan::unit_names(&plan, &c.lead_units),
                crate::pages::plan::unit_names(&plan, &c.undertaking_units),
            )
        })
        .unwrap_or_default();
    let mut typed = typed;
    let reports = obligations::reports(&state.store, &actor, id).await?;
    let history = obligations::history(&state.store, &actor, id).await?;
    let timeline = obligations::timeline(&state.store, &actor, id)
        .await?
        .into_iter()
        .map(|e| TimelineLine::of(e, ctx))
        .collect();
    let extensions = obligations::extensions(&state.store, &actor, Some(id), false).await?;
    let mut siblings = Vec::new();
    for s in obligations::siblings(&state.store, &actor, &ob).await? {
        let r = obligations::reports(&state.store, &actor, s.id)
            .await
            .unwrap_or_default();
        siblings.push((to_row(&plan, s, ctx), r));
    }
    let scope = actor.scope();
    let can_report = matches!(scope, qcity_domain::role::Scope::Unit(u) if u == ob.unit_id)
        && ob.status.is_open();
    let can_review = scope.is_admin() && ob.status == ObligationStatus::Submitted;
    let own = matches!(scope, qcity_domain::role::Scope::Unit(u) if u == ob.unit_id);
    let can_acknowledge = own && ob.acknowledged_on.is_none();
    let can_withdraw = own && ob.status == ObligationStatus::Submitted;
    // After a withdrawal the form opens with the withdrawn report, to edit and hand in again.
    if can_report
        && typed.body.is_empty()
        && typed.percent.is_none()
        && let Some(r) = reports.first().filter(|r| r.withdrawn_on.is_some())
    {
        typed.body = r.body.clone();
    }
    let (serves, city_tasks, serving) = links_of(state, ctx, &ob).await?;
    let return_reason = if ob.status == ObligationStatus::Returned {
        history
            .iter()
            .rev()
            .find(|e| e.action == obligations::Action::Return.as_str())
            .map(|e| e.reason.clone())
            .unwrap_or_default()
    } else {
        String::new()
    };
    let page = DetailPage {
        return_reason,
        this: to_row(&plan, ob, ctx),
        ctx: ctx.page(),
        item_title,
        category_title,
        lead,
        undertaking,
        reports,
        timeline,
        siblings,
        extensions,
        can_report,
        can_review,
        can_acknowledge,
        can_withdraw,
        evidence_types: EVIDENCE_TYPES,
        max_bytes: state.config.max_evidence_bytes,
        form_token: qcity_store::auth::random_token(),
        errors,
        max_mb: state.config.max_evidence_bytes / (1024 * 1024),
        typed,
        serves,
        city_tasks,
        serving,
    };
    Ok(render(&page))
}

/// The obligation's place in 上下联动: the city task it serves, the city tasks its district's
/// office may choose from, and (on a city task) the district obligations serving it.
#[allow(clippy::type_complexity)]
async fn links_of(
    state: &AppState,
    ctx: &Ctx,
    ob: &Obligation,
) -> Result<(Option<(i64, String)>, Vec<(i64, String)>, Vec<[String; 5]>), AppError> {
    let actor = ctx.actor();
    let status = |s: &str| ctx.t(&format!("ob-status-{s}"));
    let label = |t: &links::CityTask| {
        format!(
            "{} · {} · {}",
            t.content_code,
            t.due_date,
            status(&t.status)
        )
    };
    let serves = links::served(&state.store, ob)
        .await?
        .map(|t| (t.id, label(&t)));
    let city_tasks = if actor.scope().is_admin() {
        links::city_tasks(&state.store, &actor)
            .await?
            .iter()
            .map(|t| (t.id, label(t)))
            .collect()
    } else {
        Vec::new()
    };
    let serving = links::serving(&state.store, ob)
        .await?
        .into_iter()
        .map(|s| {
            [
                s.district,
                s.unit_name,
                s.content_code,
                s.due_date,
                status(&s.status),
            ]
        })
        .collect();
    Ok((serves, city_tasks, serving))
}

#[derive(Deserialize)]
struct ServesForm {
    #[serde(default)]
    serves: String,
}

/// The district's office names (or clears) the city task an obligation serves.
async fn set_serves(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ServesForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let task = match f.serves.trim() {
        "" => None,
        t => match t.parse::<i64>() {
            Ok(t) => Some(t),
            Err(_) => {
                let e = StoreError::invalid("serves", "error-serves-unknown");
                return with_errors(&state, &ctx, id, e).await;
            }
        },
    };
    match links::set(&state.store, &ctx.actor(), id, task).await {
        Ok(()) => Ok(see_other(&format!("/obligations/{id}"))),
        Err(e) => with_errors(&state, &ctx, id, e).await,
    }
}

/// The file name endings the report form accepts (the browser's first check).
const EVIDENCE_TYPES: &str = ".pdf,.jpg,.jpeg,.png,.gif,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.odt,.ods";

/// One line of an obligation's timeline, in the page's language.
pub struct TimelineLine {
    pub date: String,
    pub label: String,
    /// The status change ("未开始 → 进行中"), empty when none.
    pub change: String,
    pub actor: String,
    pub detail: String,
    /// The tag colour: a notice's level, or grey.
    pub class: String,
}

impl TimelineLine {
    fn of(e: obligations::TimelineEntry, ctx: &Ctx) -> TimelineLine {
        let change = match (e.from_status, e.to_status) {
            (Some(a), Some(b)) if a != b => format!(
                "{} → {}",
                ctx.t(&format!("ob-status-{a}")),
                ctx.t(&format!("ob-status-{b}"))
            ),
            _ => String::new(),
        };
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
        TimelineLine {
            date: e.on_date,
            class: e.what.level().unwrap_or("grey").to_string(),
            label,
            change,
            actor: e.actor.unwrap_or_default(),
            detail: e.detail,
        }
    }
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    detail(&state, &ctx, id, vec![]).await
}

/// Field errors from the store shown beside the form, in the page language.
async fn with_errors(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    e: StoreError,
) -> Result<Response, AppError> {
    match e {
        StoreError::Invalid { field, code } => Ok(unprocessable(
            detail(state, ctx, id, vec![(field, ctx.t(&code))]).await?,
        )),
        other => Err(other.into()),
    }
}

async fn add_report(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    let user = ctx.user()?;
    if user.role != Role::Unit {
        return Err(AppError::Forbidden);
    }
    // Refuse another unit's obligation before reading a possibly large upload.
    let ob = obligations::get(&state.store, &ctx.actor(), id).await?;
    if ctx.actor().scope() != qcity_domain::role::Scope::Unit(ob.unit_id) {
        return Err(AppError::Forbidden);
    }
    let max = state.config.max_evidence_bytes as u64;
    let form = crate::upload::read_form(req, &state, max).await?;
    let typed = TypedReport {
        body: form.text("body"),
        percent: form.has("percent").then(|| form.text("percent")),
    };
    // A file too large (or a form cut off) is refused before anything is saved; what was
    // typed comes back with the message.
    if let Some(problem) = form.problem {
        return Ok(unprocessable(
            detail_typed(
                &state,
                &ctx,
                id,
                vec![("files".into(), problem.message(ctx.lang))],
                typed,
            )
            .await?,
        ));
    }
    let mut input = ReportInput {
        body: form.text("body"),
        percent: 0,
        submit: form.text("submit") == "1",
        form_token: form.text("form_token"),
        files: form.evidence("files").await?,
    };
    let percent_text = form.text("percent");
    input.percent = if input.submit {
        100
    } else {
        percent_text.trim().parse().unwrap_or(-1)
    };
    let policy = EvidencePolicy {
        max_bytes: state.config.max_evidence_bytes,
    };
    match obligations::report(&state.store, &ctx.actor(), id, input, &policy, ctx.today).await {
        Ok(_) => Ok(see_other(&format!("/obligations/{id}"))),
        Err(StoreError::Invalid { field, code }) => Ok(unprocessable(
            detail_typed(&state, &ctx, id, vec![(field, ctx.t(&code))], typed).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
struct ReviewForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    row_version: i64,
}

async fn review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ReviewForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let accept = match f.decision.as_str() {
        "accept" => true,
        "return" => false,
        _ => {
            return with_errors(
                &state,
                &ctx,
                id,
                StoreError::invalid("decision", "error-decision"),
            )
            .await;
        }
    };
    match obligations::review(
        &state.store,
        &ctx.actor(),
        id,
        accept,
        &f.reason,
        f.row_version,
        ctx.today,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/obligations/{id}"))),
        Err(e) => with_errors(&state, &ctx, id, e).await,
    }
}

#[derive(Deserialize)]
struct ExtensionForm {
    #[serde(default)]
    new_due: String,
    #[serde(default)]
    reason: String,
}

async fn request_extension(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ExtensionForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let ob = obligations::get(&state.store, &ctx.actor(), id).await?;
    if ctx.actor().scope() != qcity_domain::role::Scope::Unit(ob.unit_id) {
        return Err(AppError::Forbidden);
    }
    let Ok(new_due) = NaiveDate::parse_from_str(f.new_due.trim(), "%Y-%m-%d") else {
        return with_errors(
            &state,
            &ctx,
            id,
            StoreError::invalid("new_due", "error-date-format"),
        )
        .await;
    };
    match obligations::request_extension(
        &state.store,
        &ctx.actor(),
        id,
        new_due,
        &f.reason,
        ctx.today,
    )
    .await
    {
        Ok(_) => Ok(see_other(&format!("/obligations/{id}"))),
        Err(e) => with_errors(&state, &ctx, id, e).await,
    }
}

#[derive(Deserialize)]
struct DecideForm {
    #[serde(default)]
    decision: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    obligation: i64,
}

async fn decide_extension(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<DecideForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let approve = f.decision == "approve";
    match obligations::decide_extension(
        &state.store,
        &ctx.actor(),
        id,
        approve,
        &f.reason,
        ctx.today,
    )
    .await
    {
        Ok(()) => Ok(see_other(&format!("/obligations/{}", f.obligation))),
        Err(e) => with_errors(&state, &ctx, f.obligation, e).await,
    }
}

async fn download(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, sha)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (filename, mime, data) =
        obligations::evidence(&state.store, &ctx.actor(), id, &sha).await?;
    Ok(crate::view::evidence_download(data, &mime, &filename))
}

/// The unit acknowledges (签收) its obligation.
async fn acknowledge(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    match obligations::acknowledge(&state.store, &ctx.actor(), id, ctx.today).await {
        Ok(_) => Ok(see_other(&format!("/obligations/{id}"))),
        Err(e) => with_errors(&state, &ctx, id, e).await,
    }
}

/// The unit withdraws (撤回) its hand-in before review; the form then holds the report again.
async fn withdraw(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.user()?;
    match obligations::withdraw(&state.store, &ctx.actor(), id, ctx.today).await {
        Ok(_) => Ok(see_other(&format!("/obligations/{id}#report-form"))),
        Err(e) => with_errors(&state, &ctx, id, e).await,
    }
}

/// PDF and PNG/JPEG evidence shown in the browser: the type is the one detected from the
/// content (not the stored or declared one), in a sandbox (no script, no same origin), never
/// sniffed. Anything else downloads as an attachment.
async fn preview(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, sha)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    ctx.user()?;
    let (filename, mime, data) =
        obligations::evidence(&state.store, &ctx.actor(), id, &sha).await?;
    let detected = obligations::sniff(&data);
    let Some(kind) = detected.filter(|m| INLINE_TYPES.contains(m)) else {
        return Ok(crate::view::evidence_download(data, &mime, &filename));
    };
    let mut res = crate::view::evidence_download(data, kind, &filename);
    let headers = res.headers_mut();
    let disposition = headers
        .get(header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .map(|v| v.replacen("attachment", "inline", 1));
    if let Some(v) = disposition.and_then(|v| HeaderValue::from_str(&v).ok()) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("sandbox"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}

/// Types a browser shows by itself without running anything of the file's.
const INLINE_TYPES: [&str; 3] = ["application/pdf", "image/png", "image/jpeg"];

/// Whether a stored evidence type may be previewed (the preview checks the content again).
pub fn previewable(mime: &str) -> bool {
    INLINE_TYPES.contains(&mime)
}

/// A form's fields as pairs: a repeated field (`pick=1&pick=2`) keeps all its values.
type Pairs = Vec<(String, String)>;

fn form_values(form: &Pairs, name: &str) -> Vec<String> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

fn form_value(form: &Pairs, name: &str) -> String {
    form_values(form, name)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// The office accepts or returns the selected reports (`pick=<obligation>:<row version>`)
/// with one decision and one reason.
async fn batch_review(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(body): axum::Form<Pairs>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let picked: Vec<obligations::Seen> = form_values(&body, "pick")
        .iter()
        .filter_map(|v| {
            let (id, version) = v.split_once(':')?;
            Some(obligations::Seen {
                id: id.trim().parse().ok()?,
                row_version: version.trim().parse().ok()?,
            })
        })
        .collect();
    let accept = match form_value(&body, "decision").as_str() {
        "accept" => true,
        "return" => false,
        _ => {
            return overview_with(
                &state,
                &ctx,
                vec![("decision".into(), ctx.t("error-decision"))],
            )
            .await
            .map(unprocessable);
        }
    };
    let reason = form_value(&body, "reason");
    match obligations::review_many(
        &state.store,
        &ctx.actor(),
        &picked,
        accept,
        &reason,
        ctx.today,
    )
    .await
    {
        Ok(done) => Ok(see_other(&format!(
            "/supervision?reviewed={}#review",
            done.len()
        ))),
        Err(StoreError::Invalid { field, code }) => {
            overview_with(&state, &ctx, vec![(field, ctx.t(&code))])
                .await
                .map(unprocessable)
        }
        Err(e) => Err(e.into()),
    }
}

/// The office urges (催办) the units of one or several overdue obligations from the overview.
async fn urge(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(body): axum::Form<Pairs>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let ids: Vec<i64> = form_values(&body, "pick")
        .iter()
        .filter_map(|v| v.trim().parse().ok())
        .collect();
    match notices::urge(&state.store, &ctx.actor(), &ids, ctx.today).await {
        Ok(u) => Ok(see_other(&format!(
            "/supervision?urged={}&skipped={}#overdue",
            u.issued, u.skipped
        ))),
        Err(StoreError::Invalid { field, code }) => {
            overview_with(&state, &ctx, vec![(field, ctx.t(&code))])
                .await
                .map(unprocessable)
        }
        Err(e) => Err(e.into()),
    }
}

/// One cell of the unit × category heat map.
#[derive(Clone)]
pub struct Cell {
    pub text: String,
    pub class: &'static str,
    pub title: String,
}

#[derive(Template, Clone)]
#[template(path = "supervision.html")]
struct OverviewPage {
    ctx: PageCtx,
    total: Tally,
    units: Vec<(String, String, Tally)>,
    categories: Vec<(String, String, Tally)>,
    heat_cols: Vec<String>,
    heat: Vec<(String, String, Vec<Cell>)>,
    overdue: Vec<Row>,
    /// Waiting for review, each with its latest (handed-in) report.
    submitted: Vec<(Row, Option<Report>)>,
    extensions: Vec<Extension>,
    timeline_svg: String,
    /// Obligations open and not yet acknowledged (签收), per unit code.
    unacknowledged: std::collections::BTreeMap<String, usize>,
    /// What the last batch action did, from the redirect's query.
    done: Vec<String>,
    errors: Vec<(String, String)>,
    /// 上下联动: the city's tasks given to this district (content, due date, status), and how
    /// many of them the city accepted.
    city_tasks: Vec<(String, String, String)>,
    city_tasks_accepted: usize,
}

impl OverviewPage {
    fn unack(&self, code: &str) -> usize {
        self.unacknowledged.get(code).copied().unwrap_or(0)
    }

    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
}

/// What a batch action reports back after its redirect.
#[derive(Deserialize, Default)]
struct DoneQuery {
    reviewed: Option<usize>,
    urged: Option<usize>,
    skipped: Option<usize>,
}

fn heat_class(t: &Tally) -> &'static str {
    match t.completion_rate() {
        None => "grey",
        Some(_) if t.overdue > 0 => "red",
        Some(r) if r >= 99.9 => "green",
        Some(_) => "yellow",
    }
}

async fn overview(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<DoneQuery>,
) -> Result<Response, AppError> {
    let mut done = Vec::new();
    if let Some(n) = q.reviewed {
        done.push(ctx.lang.t_args("sup-reviewed-n", &[("n", n.to_string())]));
    }
    if let Some(n) = q.urged {
        done.push(ctx.lang.t_args(
            "sup-urged-n",
            &[
                ("n", n.to_string()),
                ("skipped", q.skipped.unwrap_or(0).to_string()),
            ],
        ));
    }
    overview_page(&state, &ctx, done, vec![]).await
}

async fn overview_with(
    state: &AppState,
    ctx: &Ctx,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    overview_page(state, ctx, vec![], errors).await
}

async fn overview_page(
    state: &AppState,
    ctx: &Ctx,
    done: Vec<String>,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office, Role::Leader, Role::Evaluator])?;
    if done.is_empty() && errors.is_empty() {
        return state
            .views
            .page(
                state,
                ctx,
                "supervision",
                false,
                |p: &mut OverviewPage| &mut p.ctx,
                |state, ctx| async move { overview_figures(&state, &ctx).await },
            )
            .await;
    }
    // After a batch action: the kept figures with what the action did above them.
    let kept = state
        .views
        .get(
            &state.store,
            crate::view_cache::ViewKey::of("supervision", ctx),
            || overview_figures(state, ctx),
        )
        .await?;
    let mut page = (*kept).clone();
    page.ctx = ctx.page();
    page.done = done;
    page.errors = errors;
    Ok(render(&page))
}

/// The supervision overview's figures and lists (kept at the data's watermark by the caller).
async fn overview_figures(state: &AppState, ctx: &Ctx) -> Result<OverviewPage, AppError> {
    let (_, plan) = crate::view::require_plan(state, ctx).await?;
    // Counted by the database: the overview stays fast with many obligations.
    let tallies = obligations::tallies_sql(&state.store, &ctx.actor(), ctx.today).await?;
    let total = tallies.district();
    let obligations::Tallies {
        by_unit,
        by_category: by_cat,
        cells,
    } = tallies;
    let name_of = |code: &str| {
        plan.unit(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_string())
    };
    let units: Vec<(String, String, Tally)> = by_unit
        .iter()
        .map(|(c, t)| (c.clone(), name_of(c), t.clone()))
        .collect();
    let categories: Vec<(String, String, Tally)> = plan
        .categories
        .iter()
        .filter_map(|c| {
            by_cat
                .get(&c.code)
                .map(|t| (c.code.clone(), c.title.clone(), t.clone()))
        })
        .collect();
    let heat_cols: Vec<String> = categories.iter().map(|(c, _, _)| c.clone()).collect();
    let heat = units
        .iter()
        .map(|(code, name, _)| {
            let row = heat_cols
                .iter()
                .map(|cat| match cells.get(&(code.clone(), cat.clone())) {
                    Some(t) => Cell {
                        text: format!("{}/{}", t.closed, t.expected),
                        class: heat_class(t),
                        title: ctx.lang.t_args(
                            "heat-cell",
                            &[
                                ("accepted", t.closed.to_string()),
                                ("due", t.expected.to_string()),
                                ("overdue", t.overdue.to_string()),
                                ("total", t.total.to_string()),
                            ],
                        ),
                    },
                    None => Cell {
                        text: String::new(),
                        class: "none",
                        title: String::new(),
                    },
                })
                .collect();
            (code.clone(), name.clone(), row)
        })
        .collect();
    // Oldest due first is most overdue first; the page shows the worst 200 (the counts above
    // say how many there are), read as a page rather than all of them.
    let late = Filter {
        open_only: true,
        due_by: ctx.today.pred_opt(),
        ..Default::default()
    };
    let overdue: Vec<Row> =
        obligations::list_page(&state.store, &ctx.actor(), &late, ctx.today, None, 200, 0)
            .await?
            .0
            .into_iter()
            .map(|o| to_row(&plan, o, ctx))
            .collect();
    let waiting = Filter {
        status: Some(ObligationStatus::Submitted),
        ..Default::default()
    };
    let (waiting, _) = obligations::list_page(
        &state.store,
        &ctx.actor(),
        &waiting,
        ctx.today,
        None,
        200,
        0,
    )
    .await?;
    let ids: Vec<i64> = waiting.iter().map(|o| o.id).collect();
    let mut latest = obligations::final_reports(&state.store, &ids).await?;
    let submitted = waiting
        .into_iter()
        .map(|o| {
            let report = latest.remove(&o.id);
            (to_row(&plan, o, ctx), report)
        })
        .collect();
    let unacknowledged =
        obligations::unacknowledged_by_unit(&state.store, &ctx.actor(), ctx.today).await?;
    let extensions = if ctx.page().is_office() {
        obligations::extensions(&state.store, &ctx.actor(), None, true).await?
    } else {
        vec![]
    };
    let timeline_svg =
        crate::pages::plan::timeline(&plan, &ctx.today, &ctx.t("plan-timeline-legend"));
    let mut city_tasks_accepted = 0;
    let actor = ctx.actor();
    let city_tasks = if actor.scope().is_admin() {
        links::city_tasks(&state.store, &actor)
            .await?
            .into_iter()
            .map(|t| {
                if t.status == ObligationStatus::Accepted.as_str() {
                    city_tasks_accepted += 1;
                }
                let status = ctx.t(&format!("ob-status-{}", t.status));
                (t.content_code, t.due_date, status)
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(OverviewPage {
        ctx: ctx.page(),
        city_tasks,
        city_tasks_accepted,
        total,
        units,
        categories,
        heat_cols,
        heat,
        overdue,
        submitted,
        extensions,
        timeline_svg,
        unacknowledged,
        done: Vec::new(),
        errors: Vec::new(),
    })
}

/// The notices page's filters as they travel in the URL (kept as typed, so the form shows
/// them back).
#[derive(Deserialize, Default, Clone)]
struct NoticeQuery {
    #[serde(default)]
    kind: String,
    /// "unread", "read" or "" (both).
    #[serde(default)]
    read: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    /// "unread": unread notices first.
    #[serde(default)]
    order: String,
    #[serde(default)]
    page: String,
}

impl NoticeQuery {
    fn date(s: &str) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
    }

    fn filter(&self) -> notices::Filter {
        notices::Filter {
            kind: Some(self.kind.trim().to_string()).filter(|k| !k.is_empty()),
            read: match self.read.as_str() {
                "unread" => Some(false),
                "read" => Some(true),
                _ => None,
            },
            from: Self::date(&self.from),
            to: Self::date(&self.to),
            unread_first: self.order == "unread",
        }
    }

    /// The page asked for, from 1; anything unreadable is the first.
    fn page(&self) -> i64 {
        self.page.trim().parse::<i64>().unwrap_or(1).max(1)
    }

    /// The query string (with its `?`, empty when there is nothing) for a kind and a page,
    /// keeping the other filters.
    fn query(&self, kind: &str, page: i64) -> String {
        let mut parts = Vec::new();
        for (name, value) in [
            ("kind", kind),
            ("read", self.read.as_str()),
            ("from", self.from.trim()),
            ("to", self.to.trim()),
            ("order", self.order.as_str()),
        ] {
            if !value.is_empty() {
                parts.push(format!("{name}={}", encode_component(value)));
            }
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }
}

#[derive(Template)]
#[template(path = "notices.html")]
struct NoticesPage {
    ctx: PageCtx,
    notices: Vec<Notice>,
    /// The filters as asked.
    q: NoticeQuery,
    /// Kinds present under the other filters: (code, label, count).
    kinds: Vec<(String, String, i64)>,
    all: i64,
    total: i64,
    page: i64,
    pages: i64,
    /// True when the caller may open the licence follow-up list (the digest links to it).
    follows_licences: bool,
    /// For the office: recent deliveries by e-mail and webhook, and those that failed.
    outbox: Vec<qcity_store::outbox::OutboxItem>,
    units: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl NoticesPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }

    /// The page's link for a kind tab ("" = all), from its first page.
    fn kind_link(&self, kind: &str) -> String {
        format!("/notices{}", self.q.query(kind, 1))
    }

    fn page_link(&self, page: i64) -> String {
        format!("/notices{}", self.q.query(&self.q.kind, page))
    }

    /// This very view, for the forms that come back to it.
    fn back(&self) -> String {
        self.q.query(&self.q.kind, self.page)
    }
}

async fn notices_view(
    state: &AppState,
    ctx: &Ctx,
    q: NoticeQuery,
    errors: Vec<(String, String)>,
) -> Result<Response, AppError> {
    let mut errors = errors;
    for (field, value) in [("from", &q.from), ("to", &q.to)] {
        if !value.trim().is_empty() && NoticeQuery::date(value).is_none() {
            errors.push((field.to_string(), ctx.t("error-date-format")));
        }
    }
    let page = q.page();
    let found = notices::page(&state.store, &ctx.actor(), &q.filter(), page).await?;
    let pages = ((found.total + notices::PAGE_SIZE - 1) / notices::PAGE_SIZE).max(1);
    let kinds = found
        .kinds
        .iter()
        .map(|(k, n)| (k.clone(), ctx.t(&format!("notice-kind-{k}")), *n))
        .collect();
    let follows_licences =
        qcity_store::enterprises::may_write(&state.store, &ctx.actor(), "enterprises").await?;
    let units = match state.plan_of(ctx.actor().owner_id).await? {
        Some((_, plan)) => plan
            .units
            .iter()
            .filter(|u| matches!(u.kind.as_str(), "member" | "external"))
            .map(|u| (u.code.clone(), u.name.clone()))
            .collect(),
        None => vec![],
    };
    // For the office: failed deliveries first (they need attention), then the latest ones.
    let outbox = if ctx.actor().scope().is_admin() {
        use qcity_store::outbox::{View, list};
        let mut items = list(&state.store, &ctx.actor(), View::Failed, 50).await?;
        for item in list(&state.store, &ctx.actor(), View::Recent, 20).await? {
            if !items.iter().any(|i| i.id == item.id) {
                items.push(item);
            }
        }
        items
    } else {
        vec![]
    };
    Ok(render(&NoticesPage {
        ctx: ctx.page(),
        notices: found.notices,
        q,
        kinds,
        all: found.all,
        total: found.total,
        page,
        pages,
        follows_licences,
        outbox,
        units,
        errors,
    }))
}

async fn notice_list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    notices_view(&state, &ctx, q, vec![]).await
}

/// Where a notice's form returns: the notices page with the filters it was sent from.
fn back_to(q: &NoticeQuery) -> String {
    format!("/notices{}", q.query(&q.kind, q.page()))
}

#[derive(Deserialize)]
struct DubanForm {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    respond_by: String,
}

async fn issue_duban(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<DubanForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let result = match NaiveDate::parse_from_str(f.respond_by.trim(), "%Y-%m-%d") {
        Ok(by) => {
            notices::issue_duban(
                &state.store,
                &ctx.actor(),
                &f.unit,
                None,
                &f.title,
                &f.body,
                by,
                ctx.today,
            )
            .await
        }
        Err(_) => Err(StoreError::invalid("respond_by", "error-date-format")),
    };
    match result {
        Ok(_) => Ok(see_other("/notices")),
        Err(StoreError::Invalid { field, code }) => Ok(unprocessable(
            notices_view(
                &state,
                &ctx,
                NoticeQuery::default(),
                vec![(field, ctx.t(&code))],
            )
            .await?,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Marks a notice read and returns to the view it was read from (its filters come in the
/// form's address).
async fn read_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, AppError> {
    ctx.user()?;
    notices::mark_read_on(&state.store, &ctx.actor(), id, ctx.today).await?;
    Ok(see_other(&back_to(&q)))
}

#[derive(Deserialize)]
struct RespondForm {
    #[serde(default)]
    response: String,
}

async fn respond_notice(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
    axum::Form(f): axum::Form<RespondForm>,
) -> Result<Response, AppError> {
    ctx.user()?;
    match notices::respond(&state.store, &ctx.actor(), id, &f.response).await {
        Ok(()) => Ok(see_other(&back_to(&q))),
        Err(StoreError::Invalid { field, code }) => Ok(unprocessable(
            notices_view(
                &state,
                &ctx,
                NoticeQuery::default(),
                vec![(field, ctx.t(&code))],
            )
            .await?,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Supervision (督查督办): obligations, reports and review, extensions, notices, bulletins.
pub static MODULE: Module = Module {
    slug: "supervision",
    schema: &qcity_store::notices::SCHEMA,
    routes: |r| {
        let r = routes(r);
        let r = super::bulletins::routes(r);
        let r = super::districts::routes(r);
        crate::api::supervision::routes(r)
    },
    openapi: <crate::api::supervision::Doc as utoipa::OpenApi>::openapi,
    nav: &[
        NavEntry {
            label: "nav-obligations",
            path: "/obligations",
            order: 60,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-supervision",
            path: "/supervision",
            order: 70,
            shown_to: sees_overview,
        },
        NavEntry {
            label: "nav-districts",
            path: "/supervision/districts",
            order: 75,
            shown_to: crate::module::office_and_leaders,
        },
        NavEntry {
            label: "nav-bulletins",
            path: "/bulletins",
            order: 100,
            shown_to: signed_in,
        },
        NavEntry {
            label: "nav-notices",
            path: "/notices",
            order: 130,
            shown_to: crate::module::internal_readers,
        },
    ],
};

/// Roles that see the supervision overview (read-only for leaders and evaluators).
fn sees_overview(role: Option<Role>) -> bool {
    matches!(role, Some(Role::Office | Role::Leader | Role::Evaluator))
}
