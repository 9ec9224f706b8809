//! The desk: the office's and units' work queues, the hotline operators' entry form, and the
//! ticket page with its clock, history, photos and the steps the caller may take now.

use super::{category_label, label, outcome_text, stage_label, warning_badge};
use crate::AppState;
use crate::ctx::Ctx;
use crate::error::AppError;
use crate::i18n::Lang;
use crate::middleware::see_other;
use crate::module::{BodyLimit, Routes};
use crate::view::{PageCtx, conflict, evidence_download, render, unprocessable};
use askama::Template;
use axum::extract::{Path, Query, Request, State};
use axum::response::Response;
use qcity_domain::complaints::catalogue::Catalogue;
use qcity_domain::complaints::merge::Reason;
use qcity_domain::complaints::ticket::{Channel, Event, EventKind, Finding, Outcome, Satisfaction};
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;
use qcity_store::StoreError;
use qcity_store::complaints::{self, Contact, NewTicket, Queue, TicketView};
use serde::Deserialize;

pub fn routes(r: Routes) -> Routes {
    r.get("/complaints", list)
        .get("/complaints/new", new_form)
        .post("/complaints", create)
        .get("/complaints/{id}", show)
        .post("/complaints/{id}/act", act)
        .post("/complaints/{id}/category", set_category)
        .post("/complaints/{id}/contact", contact)
        .upload("/complaints/{id}/photos", BodyLimit::Evidence, add_photo)
        .get("/complaints/photos/{id}", photo)
}

const READERS: &[Role] = &[Role::Office, Role::Unit, Role::Leader];

/// The district's units by code: (code → name), for names on pages and the dispatch choice.
async fn unit_names(state: &AppState, ctx: &Ctx) -> Result<Vec<(String, String)>, AppError> {
    let units = qcity_store::units::list(&state.store, &ctx.actor()).await?;
    Ok(units
        .into_iter()
        .filter(|u| u.kind == "member")
        .map(|u| (u.code, u.name))
        .collect())
}

fn name_of(units: &[(String, String)], code: Option<&str>) -> String {
    match code {
        None => String::new(),
        Some(c) => units
            .iter()
            .find(|(k, _)| k == c)
            .map(|(_, n)| n.clone())
            .unwrap_or_else(|| c.to_string()),
    }
}

// ---------------------------------------------------------------- queues

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    queue: String,
}

struct Row {
    id: i64,
    number: String,
    received_on: String,
    channel: String,
    category: String,
    status: String,
    unit: String,
    /// The next deadline of the unit's clock: stage and outcome.
    next: String,
    overdue: bool,
    warning: (String, String),
}

#[derive(Template)]
#[template(path = "complaints.html")]
struct ListPage {
    ctx: PageCtx,
    /// (queue code, label, current)
    tabs: Vec<(String, String, bool)>,
    rows: Vec<Row>,
}

fn queue_of(code: &str) -> Queue {
    match code {
        "triage" => Queue::Triage,
        "sent_back" => Queue::SentBack,
        "all" => Queue::All,
        _ => Queue::Open,
    }
}

/// The next stage that runs on the unit's clock, as "答复 · 待办 · 2026-03-05".
fn next_stage(lang: Lang, t: &TicketView) -> (String, bool) {
    t.clock
        .iter()
        .find(|(_, o)| matches!(o, Outcome::Pending { .. } | Outcome::Overdue { .. }))
        .map(|(s, o)| {
            (
                format!("{} · {}", stage_label(lang, *s), outcome_text(lang, *o)),
                matches!(o, Outcome::Overdue { .. }),
            )
        })
        .unwrap_or_default()
}

async fn list(
    State(state): State<AppState>,
    ctx: Ctx,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let user = ctx.require_role(READERS)?;
    let tabs: &[&str] = match user.role {
        Role::Office => &["open", "triage", "sent_back", "all"],
        _ => &["open", "all"],
    };
    let current = if tabs.contains(&q.queue.as_str()) {
        q.queue.as_str()
    } else {
        "open"
    };
    let tickets =
        complaints::queue(&state.store, &ctx.actor(), queue_of(current), ctx.today).await?;
    let catalogue = complaints::registers::catalogue(&state.store, &ctx.actor()).await?;
    let units = unit_names(&state, &ctx).await?;
    let lang = ctx.lang;
    let rows = tickets
        .iter()
        .map(|t| {
            let (next, overdue) = next_stage(lang, t);
            Row {
                id: t.id,
                number: t.number.clone(),
                received_on: t.received_on.to_string(),
                channel: label(lang, t.channel),
                category: category_label(lang, &catalogue, t.category.as_deref()),
                status: label(lang, t.status),
                unit: name_of(&units, t.unit_code.as_deref()),
                next,
                overdue,
                warning: warning_badge(lang, t.warning),
            }
        })
        .collect();
    Ok(render(&ListPage {
        tabs: tabs
            .iter()
            .map(|c| {
                (
                    c.to_string(),
                    ctx.t(&format!("cmp-queue-{c}")),
                    *c == current,
                )
            })
            .collect(),
        ctx: ctx.page(),
        rows,
    }))
}

// ---------------------------------------------------------------- operator entry

#[derive(Deserialize, Default, Clone)]
struct EntryForm {
    #[serde(default)]
    channel: String,
    #[serde(default)]
    text: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    enterprise_name: String,
    #[serde(default)]
    enterprise_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    contact_name: String,
    #[serde(default)]
    contact_phone: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    anonymous: String,
}

#[derive(Template)]
#[template(path = "complaint_new.html")]
struct NewPage {
    ctx: PageCtx,
    f: EntryForm,
    channels: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    error: String,
}

/// The channels an operator records (the web form and Open311 file themselves).
const OPERATOR_CHANNELS: &[Channel] = &[
    Channel::Hotline12345,
    Channel::Hotline12315,
    Channel::Hotline12365,
    Channel::Letter,
    Channel::Visit,
];

fn categories(lang: Lang, catalogue: &Catalogue) -> Vec<(String, String)> {
    catalogue
        .categories
        .iter()
        .map(|c| (c.code.clone(), c.label(lang.domain()).to_string()))
        .collect()
}

async fn new_page(
    state: &AppState,
    ctx: &Ctx,
    f: EntryForm,
    error: String,
) -> Result<NewPage, AppError> {
    let catalogue = complaints::registers::catalogue(&state.store, &ctx.actor()).await?;
    Ok(NewPage {
        ctx: ctx.page(),
        f,
        channels: OPERATOR_CHANNELS
            .iter()
            .map(|c| (c.code().to_string(), label(ctx.lang, *c)))
            .collect(),
        categories: categories(ctx.lang, &catalogue),
        error,
    })
}

async fn new_form(State(state): State<AppState>, ctx: Ctx) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let f = EntryForm {
        channel: Channel::Hotline12345.code().into(),
        ..EntryForm::default()
    };
    Ok(render(&new_page(&state, &ctx, f, String::new()).await?))
}

async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::Form(f): axum::Form<EntryForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    let Some(channel) = Channel::parse(&f.channel).filter(|c| OPERATOR_CHANNELS.contains(c)) else {
        let error = ctx.t("error-complaint-channel");
        return Ok(unprocessable(render(
            &new_page(&state, &ctx, f, error).await?,
        )));
    };
    let new = NewTicket {
        channel: Some(channel),
        text: f.text.clone(),
        category: Some(f.category.clone()).filter(|c| !c.trim().is_empty()),
        enterprise_name: f.enterprise_name.clone(),
        enterprise_code: f.enterprise_code.clone(),
        address: f.address.clone(),
        area: f.area.clone(),
        lat: None,
        lon: None,
        contact_name: f.contact_name.clone(),
        contact_phone: f.contact_phone.clone(),
        contact_email: f.contact_email.clone(),
        anonymous: f.anonymous == "1",
        supervisor_id: None,
    };
    match complaints::intake(&state.store, &ctx.actor(), &new, ctx.today).await {
        Ok(got) => Ok(see_other(&format!(
            "/complaints/{}?code={}",
            got.id, got.code
        ))),
        Err(StoreError::Invalid { code, .. }) => {
            let error = ctx.t(&code);
            Ok(unprocessable(render(
                &new_page(&state, &ctx, f, error).await?,
            )))
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------- the ticket

/// A step the caller may take now, and what its form asks for.
struct Action {
    code: String,
    label: String,
    /// "reason", "unit", "finding", "satisfaction", "into", "days" or "" (a button only).
    needs: &'static str,
}

fn needs(kind: EventKind) -> &'static str {
    use EventKind as K;
    match kind {
        K::Decline | K::Reopen | K::SendBack => "reason",
        K::Dispatch | K::Redispatch | K::DecideDispute | K::Escalate => "unit",
        K::Reply => "finding",
        K::Visit => "satisfaction",
        K::Merge => "into",
        K::RequestExtension => "days",
        _ => "",
    }
}

/// The action's button: the imperative, not the history's past tense.
fn action_label(lang: Lang, kind: EventKind) -> String {
    lang.t(&format!("cmp-do-{}", kind.code().replace('_', "-")))
}

struct HistoryLine {
    on: String,
    what: String,
    who: String,
    unit: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "complaint.html")]
struct TicketPage {
    ctx: PageCtx,
    number: String,
    received_on: String,
    channel: String,
    category: String,
    category_code: String,
    status: String,
    unit: String,
    description: String,
    enterprise: String,
    address: String,
    contact_masked: String,
    anonymous: bool,
    finding: String,
    satisfaction: String,
    merged_into: String,
    warning: (String, String),
    /// (stage, the unit's clock, the citizen's clock)
    stages: Vec<(String, String, String)>,
    history: Vec<HistoryLine>,
    photos: Vec<(i64, String)>,
    actions: Vec<Action>,
    units: Vec<(String, String)>,
    findings: Vec<(String, String)>,
    ratings: Vec<(String, String)>,
    /// (id, number, why)
    suggestions: Vec<(i64, String, String)>,
    categories: Vec<(String, String)>,
    id: i64,
    /// Not finished: the category may still change.
    open: bool,
    is_office: bool,
    may_contact: bool,
    may_photo: bool,
    contact: Option<Contact>,
    /// The verification code, shown once to the operator right after entry.
    code: String,
    error: String,
}

fn reason_text(lang: Lang, kind: EventKind, reason: &str) -> String {
    match kind {
        EventKind::Reply => Finding::parse(reason)
            .map(|f| label(lang, f))
            .unwrap_or_else(|| reason.to_string()),
        EventKind::Visit => Satisfaction::parse(reason)
            .map(|s| label(lang, s))
            .unwrap_or_else(|| reason.to_string()),
        EventKind::RequestExtension => lang.t_args("cmp-days", &[("n", reason.to_string())]),
        _ => reason.to_string(),
    }
}

fn actor_text(lang: Lang, who: &str) -> String {
    match who {
        "anonymous" => lang.t("cmp-actor-citizen"),
        w if w.starts_with("system:") => lang.t("cmp-actor-system"),
        w => w.to_string(),
    }
}

async fn ticket_page(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    error: String,
) -> Result<TicketPage, AppError> {
    let actor = ctx.actor();
    let t = complaints::get(&state.store, &actor, id, ctx.today).await?;
    let catalogue = complaints::registers::catalogue(&state.store, &actor).await?;
    let units = unit_names(state, ctx).await?;
    let lang = ctx.lang;
    let history = complaints::events(&state.store, &actor, id)
        .await?
        .into_iter()
        .map(|h| HistoryLine {
            on: h.on.to_string(),
            what: label(lang, h.kind),
            who: actor_text(lang, &h.actor),
            unit: name_of(&units, h.unit_code.as_deref()),
            reason: reason_text(lang, h.kind, &h.reason),
        })
        .collect();
    let photos = complaints::photos(&state.store, &actor, id)
        .await?
        .into_iter()
        .map(|(pid, name, _)| (pid, name))
        .collect();
    let suggestions = complaints::merge_suggestions(&state.store, &actor, id)
        .await?
        .into_iter()
        .map(|(sid, number, reasons, similarity)| {
            let why = reasons
                .iter()
                .map(|r| match r {
                    Reason::SameEnterprise => lang.t("cmp-merge-same-enterprise"),
                    Reason::SimilarText => lang.t_args(
                        "cmp-merge-similar",
                        &[("pct", format!("{:.0}", similarity * 100.0))],
                    ),
                })
                .collect::<Vec<_>>()
                .join("；");
            (sid, number, why)
        })
        .collect();
    let role = ctx.user.as_ref().map(|u| u.role);
    // A unit may act on a ticket only while it handles it.
    let handling = role == Some(Role::Unit) && !t.allowed.is_empty();
    let contact_masked = [&t.contact_name, &t.contact_phone, &t.contact_email]
        .into_iter()
        .filter(|s| !s.is_empty())
        .cloned()
        .collect::<Vec<_>>()
        .join(" · ");
    Ok(TicketPage {
        ctx: ctx.page(),
        number: t.number.clone(),
        received_on: t.received_on.to_string(),
        channel: label(lang, t.channel),
        category: category_label(lang, &catalogue, t.category.as_deref()),
        category_code: t.category.clone().unwrap_or_default(),
        status: label(lang, t.status),
        unit: name_of(&units, t.unit_code.as_deref()),
        description: t.description.clone(),
        enterprise: t.enterprise_name.clone(),
        address: t.address.clone(),
        contact_masked,
        anonymous: t.anonymous,
        finding: t.finding.map(|f| label(lang, f)).unwrap_or_default(),
        satisfaction: t.satisfaction.map(|s| label(lang, s)).unwrap_or_default(),
        merged_into: t.merged_into.map(|m| m.to_string()).unwrap_or_default(),
        warning: warning_badge(lang, t.warning),
        stages: t
            .clock
            .iter()
            .zip(t.ticket_clock.iter())
            .map(|((s, unit), (_, citizen))| {
                (
                    stage_label(lang, *s),
                    outcome_text(lang, *unit),
                    outcome_text(lang, *citizen),
                )
            })
            .collect(),
        history,
        photos,
        actions: t
            .allowed
            .iter()
            .filter(|k| **k != EventKind::AddInfo)
            .map(|k| Action {
                code: k.code().to_string(),
                label: action_label(lang, *k),
                needs: needs(*k),
            })
            .collect(),
        units,
        findings: Finding::ALL
            .iter()
            .map(|f| (f.code().to_string(), label(lang, *f)))
            .collect(),
        ratings: Satisfaction::ALL
            .iter()
            .map(|s| (s.code().to_string(), label(lang, *s)))
            .collect(),
        suggestions,
        categories: categories(lang, &catalogue),
        id,
        open: !t.status.is_finished(),
        is_office: role == Some(Role::Office),
        may_contact: !t.anonymous && (role == Some(Role::Office) || handling),
        may_photo: role == Some(Role::Office) || handling,
        contact: None,
        code: String::new(),
        error,
    })
}

#[derive(Deserialize, Default)]
struct ShowQuery {
    /// The verification code, passed once from the operator's entry to show to the caller.
    #[serde(default)]
    code: String,
}

async fn show(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Query(q): Query<ShowQuery>,
) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let mut page = ticket_page(&state, &ctx, id, String::new()).await?;
    if page.is_office {
        page.code = q
            .code
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(16)
            .collect();
    }
    Ok(render(&page))
}

#[derive(Deserialize, Default)]
struct ActForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    finding: String,
    #[serde(default)]
    satisfaction: String,
    /// The ticket to merge into: its id (from the suggestions) or its number (typed).
    #[serde(default)]
    into: String,
    #[serde(default)]
    into_number: String,
    #[serde(default)]
    days: String,
}

/// The event the form asks for; `Err` is the message key of what is missing or malformed.
async fn event_of(state: &AppState, ctx: &Ctx, f: &ActForm) -> Result<Event, String> {
    use EventKind as K;
    let kind = EventKind::parse(&f.kind).ok_or("error-complaint-not-allowed")?;
    let reason = f.reason.trim().to_string();
    let unit = f.unit.trim().to_string();
    Ok(match kind {
        K::Accept => Event::Accept,
        K::Decline => Event::Decline { reason },
        K::Dispatch => Event::Dispatch { unit },
        K::Sign => Event::Sign,
        K::Handle => Event::Handle,
        K::Reply => Event::Reply {
            finding: Finding::parse(&f.finding).ok_or("error-complaint-finding")?,
        },
        K::Visit => Event::Visit {
            satisfaction: Satisfaction::parse(&f.satisfaction)
                .ok_or("error-complaint-satisfaction")?,
        },
        K::Close => Event::Close,
        K::Reopen => Event::Reopen { reason },
        K::SendBack => Event::SendBack { reason },
        K::Redispatch => Event::Redispatch { unit },
        K::DecideDispute => Event::DecideDispute { unit },
        K::Escalate => Event::Escalate { unit },
        K::Merge => {
            let into = Some(f.into.trim())
                .filter(|s| !s.is_empty())
                .unwrap_or(f.into_number.trim());
            let id = match into.parse::<i64>() {
                Ok(id) => id,
                Err(_) if into.is_empty() => return Err("error-merge-target-missing".into()),
                Err(_) => complaints::id_by_number(&state.store, &ctx.actor(), into)
                    .await
                    .map_err(|_| "error-merge-target-missing".to_string())?,
            };
            Event::Merge { into: id }
        }
        K::RequestExtension => Event::RequestExtension {
            days: f
                .days
                .trim()
                .parse()
                .map_err(|_| "error-complaint-extension-days")?,
        },
        K::ApproveExtension => Event::ApproveExtension,
        K::RefuseExtension => Event::RefuseExtension,
        K::AddInfo => Event::AddInfo,
    })
}

/// A refused step: the ticket page again with the reason (422 for what was typed, 409 for a
/// step the ticket no longer allows).
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    e: StoreError,
) -> Result<Response, AppError> {
    let (key, is_conflict) = match e {
        StoreError::Invalid { code, .. } => (code, false),
        StoreError::Conflict(key) if key == "row_version" => {
            ("error-complaint-changed".to_string(), true)
        }
        StoreError::Conflict(key) => (key, true),
        other => return Err(other.into()),
    };
    let page = render(&ticket_page(state, ctx, id, ctx.t(&key)).await?);
    Ok(if is_conflict {
        conflict(page)
    } else {
        unprocessable(page)
    })
}

async fn act(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ActForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office, Role::Unit])?;
    let event = match event_of(&state, &ctx, &f).await {
        Ok(e) => e,
        Err(key) => {
            return refused(&state, &ctx, id, StoreError::invalid("kind", &key)).await;
        }
    };
    match complaints::act(&state.store, &ctx.actor(), id, &event, ctx.today).await {
        Ok(_) => Ok(see_other(&format!("/complaints/{id}"))),
        Err(e @ (StoreError::Invalid { .. } | StoreError::Conflict(_))) => {
            refused(&state, &ctx, id, e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
struct CategoryForm {
    #[serde(default)]
    category: String,
}

async fn set_category(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CategoryForm>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office])?;
    match complaints::set_category(&state.store, &ctx.actor(), id, &f.category, ctx.today).await {
        Ok(_) => Ok(see_other(&format!("/complaints/{id}"))),
        Err(e @ (StoreError::Invalid { .. } | StoreError::Conflict(_))) => {
            refused(&state, &ctx, id, e).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The contact unmasked, on purpose (a POST, audited): the office and the handling unit only.
async fn contact(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office, Role::Unit])?;
    let c = complaints::contact(&state.store, &ctx.actor(), id).await?;
    let mut page = ticket_page(&state, &ctx, id, String::new()).await?;
    page.contact = Some(c);
    Ok(render(&page))
}

async fn add_photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    req: Request,
) -> Result<Response, AppError> {
    ctx.require_role(&[Role::Office, Role::Unit])?;
    // Refuse a ticket the caller may not read before reading a possibly large upload.
    complaints::get(&state.store, &ctx.actor(), id, ctx.today).await?;
    let max = state.config.max_evidence_bytes as u64;
    let form = crate::upload::read_form(req, &state, max).await?;
    if let Some(problem) = form.problem {
        let msg = problem.message(ctx.lang);
        return Ok(unprocessable(render(
            &ticket_page(&state, &ctx, id, msg).await?,
        )));
    }
    let files = form.evidence("photo").await?;
    let Some(file) = files.first() else {
        let msg = ctx.t("error-complaint-photo-type");
        return Ok(unprocessable(render(
            &ticket_page(&state, &ctx, id, msg).await?,
        )));
    };
    match complaints::add_photo(&state.store, &ctx.actor(), id, file).await {
        Ok(_) => Ok(see_other(&format!("/complaints/{id}"))),
        Err(e @ StoreError::Invalid { .. }) => refused(&state, &ctx, id, e).await,
        Err(e) => Err(e.into()),
    }
}

async fn photo(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    ctx.require_role(READERS)?;
    let (name, mime, bytes) = complaints::photo(&state.store, &ctx.actor(), id).await?;
    Ok(evidence_download(bytes, &mime, &name))
}
