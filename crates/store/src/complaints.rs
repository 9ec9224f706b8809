//! Quality complaints (issue 18, `docs/complaints.md`): tickets received from the hotlines, the
//! web and Open311, classified and routed through the district's catalogue, and moved through
//! the one transition function of the domain (`ticket::apply`). Every event is a dated history
//! row, an audit record, a notice to the unit concerned and a recount of the dashboard cell,
//! all in one transaction. Every read and write is filtered by the actor's district.

pub mod counts;
pub mod demo;
pub mod import;
pub mod open311;
pub mod registers;
pub mod rollup;

use crate::audit::{self, Change};
use crate::schema::{JobSpec, Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, Tx, code_column, now_text, units_under_sql};
use chrono::{Datelike, NaiveDate};
use qcity_domain::complaints::calendar::Calendar;
use qcity_domain::complaints::catalogue::{Catalogue, Limits};
use qcity_domain::complaints::classify::{Classifier, Proposal};
use qcity_domain::complaints::merge::{Candidate, check_merge};
use qcity_domain::complaints::personal::{mask_email, mask_name, mask_phone, mask_text};
use qcity_domain::complaints::ticket::{
    self, Basis, Channel, ClockFacts, Dated, Event, EventKind, Finding, Outcome, Satisfaction,
    Stage, Status, Ticket, Warning, WarningLadder,
};
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;
use serde_json::json;
use sqlx::Row;

pub const SCHEMA: Schema = Schema {
    slug: "complaints",
    migrations: &[
        Migration {
            version: 2026120670,
            name: "complaints: tickets, history, photos, calendar, catalogue, supervisors, disputes, counts",
            sql: include_str!("../migrations/2026120670_complaints_tables.sql"),
        },
        Migration {
            version: 2026120678,
            name: "complaints: supervisors' areas and filing codes",
            sql: include_str!("../migrations/2026120678_complaint_supervisor_codes.sql"),
        },
        Migration {
            version: 2026120679,
            name: "complaints: the imported tickets' numbers in the other hotline system",
            sql: include_str!("../migrations/2026120679_complaints_external_no.sql"),
        },
        Migration {
            version: 2026120680,
            name: "complaints: the dashboard's lines by unit, category and channel",
            sql: include_str!("../migrations/2026120680_complaint_count_lines.sql"),
        },
    ],
    tables: &[
        Table::by_id("complaint_tickets"),
        Table::by_id("complaint_events"),
        Table::by_id("complaint_photos"),
        Table::by_key("complaint_calendars"),
        Table::by_key("complaint_catalogues"),
        Table::by_key("complaint_population"),
        Table::by_id("complaint_supervisors"),
        Table::by_id("complaint_disputes"),
        Table::by_key("complaint_credit_events"),
        Table::by_key("complaint_ticket_counts"),
        Table::by_key("complaint_counts"),
        Table::by_key("complaint_count_lines"),
        Table::by_key("complaint_counts_state"),
    ],
    jobs: &[
        WARNINGS_JOB,
        JobSpec {
            name: "complaint-figures",
            run: |store, ctx| {
                Box::pin(async move {
                    // Recounted once per business date (overdue stages become due); events keep
                    // the counts current meanwhile.
                    if counts::as_of(store).await? == Some(ctx.today) {
                        return Ok(String::new());
                    }
                    let cells = counts::rebuild(store, ctx.today).await?;
                    Ok(format!(
                        "complaint figures recounted: {cells} cell(s) / 投诉统计已重算 {cells} 格"
                    ))
                })
            },
        },
    ],
    measures: &[],
    demo: Some(|store, ctx| Box::pin(demo::run(store, ctx.today))),
};

/// The daily warnings (the ladder, as supervision's): one notice per ticket, stage and level.
const WARNINGS_JOB: JobSpec = JobSpec {
    name: "complaint-warnings",
    run: |store, ctx| {
        Box::pin(async move {
            let n = send_warnings(store, ctx.today).await?;
            Ok(if n == 0 {
                String::new()
            } else {
                format!("{n} complaint warning(s) sent / 已发送投诉工单预警 {n} 条")
            })
        })
    },
};

/// The longest complaint text kept (Open311's limit too).
pub const MAX_TEXT: usize = 4000;

/// Who acts on a ticket, as the domain sees it.
#[derive(Debug, Clone)]
enum Who {
    Office,
    Unit(i64, String),
    /// The citizen who filed it, known by the ticket's number and verification code.
    Citizen,
}

impl Who {
    fn domain(&self) -> ticket::Actor<'_> {
        match self {
            Who::Office => ticket::Actor::Office,
            Who::Unit(_, code) => ticket::Actor::Unit(code),
            Who::Citizen => ticket::Actor::Citizen,
        }
    }
}

/// The office acts as the office; a unit account as its unit; anyone else may not act.
async fn who(tx: &mut Tx, actor: &Actor) -> Result<Who> {
    match (actor.role, actor.unit_id) {
        (Some(Role::Office), _) => Ok(Who::Office),
        (Some(Role::Unit), Some(unit)) => {
            let code: String = sqlx::query("SELECT code FROM org_units WHERE id = $1")
                .bind(unit)
                .fetch_optional(&mut **tx)
                .await?
                .ok_or(StoreError::Forbidden)?
                .try_get("code")?;
            Ok(Who::Unit(unit, code))
        }
        _ => Err(StoreError::Forbidden),
    }
}

/// The district the actor works on, as an id (`None` before any plan is loaded).
pub(crate) async fn owner_id(tx: &mut Tx, actor: &Actor) -> Result<i64> {
    let owner: Option<i64> = sqlx::query(&format!("SELECT {} AS o", actor.owner_sql()))
        .fetch_one(&mut **tx)
        .await?
        .try_get("o")?;
    owner.ok_or_else(|| StoreError::Conflict("no plan loaded yet".into()))
}

/// One of the district's units by code. The default catalogue names the home district's
/// codes; another district's units carry its prefix (`JSZJFJ` for `ZJFJ`), so a code that is
/// not the district's own is looked up as a suffix.
async fn district_unit(tx: &mut Tx, owner: i64, code: &str) -> Result<Option<(i64, String)>> {
    let code = code.trim();
    if code.is_empty() {
        return Ok(None);
    }
    let row = sqlx::query(&format!(
        "SELECT id, code FROM org_units WHERE id IN {} AND (code = $1 OR code LIKE $2) \
         ORDER BY CASE WHEN code = $1 THEN 0 ELSE 1 END, LENGTH(code) LIMIT 1",
        units_under_sql(&owner.to_string())
    ))
    .bind(code)
    .bind(format!("%{code}"))
    .fetch_optional(&mut **tx)
    .await?;
    Ok(match row {
        Some(r) => Some((r.try_get("id")?, r.try_get("code")?)),
        None => None,
    })
}

fn sha256_hex(text: &str) -> String {
    audit::hex(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()))
}

/// A verification code for the citizen: 8 characters without look-alikes.
fn verification_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut buf = [0u8; 8];
    // The OS random source failing is not something a request can recover from.
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    buf.iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// A complaint as received.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub channel: Option<Channel>,
    pub text: String,
    /// The operator's category (a code of the catalogue); `None`: the classifier proposes.
    pub category: Option<String>,
    pub enterprise_name: String,
    /// The enterprise's unified social credit code, when the citizen knows it.
    pub enterprise_code: String,
    pub address: String,
    /// The area (街道/乡镇) the catalogue may route by.
    pub area: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub anonymous: bool,
    /// The social quality supervisor filing an observation (channel `supervisor`).
    pub supervisor_id: Option<i64>,
}

/// What intake hands back: the verification code is shown once and stored only as a hash.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    pub id: i64,
    pub number: String,
    pub code: String,
    pub status: Status,
    pub category: Option<String>,
    pub confidence: Option<f64>,
    /// The unit it was dispatched to; `None`: it waits in the office's triage queue.
    pub unit: Option<String>,
}

/// The default limits of a ticket whose category is not known yet (QCity's choice, the
/// ordinary 12345 limits); a classified ticket takes its category's.
const UNKNOWN_LIMITS: Limits = Limits {
    sign: 1,
    reply: 5,
    close: 15,
};

/// Receives a complaint. The public (no role) may file through the web form or Open311 only;
/// the office through any channel; any other account through Open311 only (an integrator's
/// API key is an account's token: it names who relayed the complaint, and gives no more
/// rights than the public has). The classifier (or the operator's category) and the
/// district's catalogue dispatch it at once; below the classifier's threshold, or with no
/// route, it waits accepted in the office's triage queue.
pub async fn intake(
    store: &Store,
    actor: &Actor,
    new: &NewTicket,
    today: NaiveDate,
) -> Result<Received> {
    let channel = match (actor.role, new.channel) {
        (None, None) => Channel::Web,
        (None, Some(c @ (Channel::Web | Channel::Open311))) => c,
        (None, Some(_)) => return Err(StoreError::Forbidden),
        (Some(_), Some(Channel::Open311)) => Channel::Open311,
        (Some(Role::Office), Some(c)) => c,
        (Some(Role::Office), None) => return Err(StoreError::invalid("channel", "error-required")),
        _ => return Err(StoreError::Forbidden),
    };
    let text = new.text.trim();
    if text.is_empty() {
        return Err(StoreError::invalid("text", "error-complaint-text-missing"));
    }
    if text.chars().count() > MAX_TEXT {
        return Err(StoreError::invalid("text", "error-complaint-text-long"));
    }
    if new.lat.is_some_and(|v| !(-90.0..=90.0).contains(&v))
        || new.lon.is_some_and(|v| !(-180.0..=180.0).contains(&v))
    {
        return Err(StoreError::invalid("lat", "error-complaint-location"));
    }
    let mut tx = store.begin().await?;
    let owner = owner_id(&mut tx, actor).await?;
    if channel == Channel::Supervisor {
        registers::check_supervisor(&mut tx, owner, new.supervisor_id, today).await?;
    }
    let catalogue = registers::catalogue_in(&mut tx, owner).await?;
    let (category, confidence) = match new.category.as_deref().map(str::trim) {
        Some(code) if !code.is_empty() => {
            if catalogue.category(code).is_none() {
                return Err(StoreError::invalid(
                    "category",
                    "error-catalogue-unknown-category",
                ));
            }
            (Some(code.to_string()), None)
        }
        _ => match Classifier::default_classifier().propose(text) {
            Proposal::Category { code, confidence } => (Some(code), Some(confidence)),
            Proposal::Triage { best } => (None, best.map(|b| b.1)),
        },
    };
    let limits = category
        .as_deref()
        .and_then(|c| catalogue.category(c))
        .map(|c| c.limits)
        .unwrap_or(UNKNOWN_LIMITS);
    let code = verification_code();
    let (id, number) = insert_ticket(
        store.backend,
        &mut tx,
        owner,
        channel,
        new,
        text,
        (&category, confidence, &limits),
        &sha256_hex(&code),
        today,
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.intake",
            target_type: "complaint",
            target_id: &number,
            before: json!(null),
            after: json!({"id": id, "channel": channel.code(), "category": category, "confidence": confidence}),
        },
    )
    .await?;
    // The system accepts and dispatches on the district's behalf.
    let system = Actor {
        owner_id: Some(owner),
        ..Actor::system("intake")
    };
    step(store, &mut tx, &system, id, &Event::Accept, today).await?;
    let routed = match category.as_deref() {
        Some(c) => route(&mut tx, &catalogue, owner, c, &new.area).await?,
        None => None,
    };
    if let Some((_, unit)) = &routed {
        let dispatch = Event::Dispatch { unit: unit.clone() };
        step(store, &mut tx, &system, id, &dispatch, today).await?;
    }
    tx.commit().await?;
    Ok(Received {
        id,
        number,
        code,
        status: if routed.is_some() {
            Status::Dispatched
        } else {
            Status::Accepted
        },
        category,
        confidence,
        unit: routed.map(|r| r.1),
    })
}

/// The unit the catalogue names for a category (and area), if it is one of the district's.
async fn route(
    tx: &mut Tx,
    catalogue: &Catalogue,
    owner: i64,
    category: &str,
    area: &str,
) -> Result<Option<(i64, String)>> {
    let area = Some(area.trim()).filter(|a| !a.is_empty());
    match catalogue.route(category, area) {
        Ok(unit) => district_unit(tx, owner, unit).await,
        Err(_) => Ok(None),
    }
}

/// Inserts the ticket with the next number of the district's year (`2026-000123`).
#[allow(clippy::too_many_arguments)]
async fn insert_ticket(
    backend: crate::Backend,
    tx: &mut Tx,
    owner: i64,
    channel: Channel,
    new: &NewTicket,
    text: &str,
    (category, confidence, limits): (&Option<String>, Option<f64>, &Limits),
    code_hash: &str,
    today: NaiveDate,
) -> Result<(i64, String)> {
    let year = i64::from(today.year());
    if backend == crate::Backend::Postgres {
        // Numbers are counted per district and year: one intake at a time per district.
        sqlx::query("SELECT pg_advisory_xact_lock(51030, $1)")
            .bind(i32::try_from(owner).unwrap_or(0))
            .execute(&mut **tx)
            .await?;
    }
    let seq: i64 = sqlx::query(
        "SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM complaint_tickets WHERE owner_id = $1 AND year = $2",
    )
    .bind(owner)
    .bind(year)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    let number = format!("{year}-{seq:06}");
    let now = now_text();
    // The floats (confidence, coordinates) are bound only when given: a NULL float bound
    // through the Any driver can leave PostgreSQL's cached statement expecting another type
    // for the next float (an Open311 post has no confidence, a web form's has one).
    let floats = [confidence, new.lat, new.lon];
    let mut n = 22;
    let float_values: Vec<String> = floats
        .iter()
        .map(|f| match f {
            Some(_) => {
                n += 1;
                format!("${n}")
            }
            None => "NULL".to_string(),
        })
        .collect();
    let insert = format!(
        "INSERT INTO complaint_tickets (owner_id, number, year, seq, code_hash, channel, received_on, category, \
         sign_days, reply_days, close_days, description, enterprise_name, enterprise_code, address, area, \
         contact_name, contact_phone, contact_email, anonymous, supervisor_id, status, created_at, updated_at, \
         confidence, lat, lon) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, 'new', $22, $22, {}) RETURNING id",
        float_values.join(", ")
    );
    let mut q = sqlx::query(&insert)
        .bind(owner)
        .bind(&number)
        .bind(year)
        .bind(seq)
        .bind(code_hash)
        .bind(channel.code())
        .bind(today.to_string())
        .bind(category.clone())
        .bind(i64::from(limits.sign))
        .bind(i64::from(limits.reply))
        .bind(i64::from(limits.close))
        .bind(text)
        .bind(new.enterprise_name.trim())
        .bind(new.enterprise_code.trim().to_uppercase())
        .bind(new.address.trim())
        .bind(new.area.trim())
        .bind(if new.anonymous {
            ""
        } else {
            new.contact_name.trim()
        })
        .bind(if new.anonymous {
            ""
        } else {
            new.contact_phone.trim()
        })
        .bind(if new.anonymous {
            ""
        } else {
            new.contact_email.trim()
        })
        .bind(i64::from(new.anonymous))
        .bind(new.supervisor_id)
        .bind(&now);
    for f in floats.into_iter().flatten() {
        q = q.bind(f);
    }
    let id: i64 = q.fetch_one(&mut **tx).await?.try_get("id")?;
    Ok((id, number))
}

/// A ticket row with its domain state.
#[derive(Debug, Clone)]
pub(crate) struct Row0 {
    pub id: i64,
    pub owner_id: i64,
    pub number: String,
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub category: Option<String>,
    pub limits: Limits,
    pub unit_id: Option<i64>,
    pub last_unit_id: Option<i64>,
    pub enterprise_name: String,
    pub enterprise_code: String,
    pub description: String,
    pub row_version: i64,
    pub ticket: Ticket,
}

const SELECT_TICKET: &str = "SELECT t.id, t.owner_id, t.number, t.channel, t.received_on, t.category, \
     t.sign_days, t.reply_days, t.close_days, t.unit_id, t.last_unit_id, t.enterprise_name, t.enterprise_code, \
     t.description, t.row_version, t.status, u.code AS unit_code, t.bounces, t.dispute_decided, t.escalated, \
     t.pending_extension, t.extension_days, t.satisfaction, t.finding, t.merged_into, t.reopened \
     FROM complaint_tickets t LEFT JOIN org_units u ON u.id = t.unit_id";

fn days(r: &sqlx::any::AnyRow, col: &str) -> Result<u32> {
    Ok(u32::try_from(r.try_get::<i64, _>(col)?).unwrap_or(0))
}

fn opt_code<T: CodeList>(r: &sqlx::any::AnyRow, col: &str) -> Result<Option<T>> {
    let v: Option<String> = r.try_get(col)?;
    Ok(match v {
        Some(_) => Some(code_column(r, col)?),
        None => None,
    })
}

fn date(r: &sqlx::any::AnyRow, col: &str) -> Result<NaiveDate> {
    crate::parse_column(r, col)
}

pub(crate) fn row0(r: &sqlx::any::AnyRow) -> Result<Row0> {
    let pending: Option<i64> = r.try_get("pending_extension")?;
    Ok(Row0 {
        id: r.try_get("id")?,
        owner_id: r.try_get("owner_id")?,
        number: r.try_get("number")?,
        channel: code_column(r, "channel")?,
        received_on: date(r, "received_on")?,
        category: r.try_get("category")?,
        limits: Limits {
            sign: days(r, "sign_days")?,
            reply: days(r, "reply_days")?,
            close: days(r, "close_days")?,
        },
        unit_id: r.try_get("unit_id")?,
        last_unit_id: r.try_get("last_unit_id")?,
        enterprise_name: r.try_get("enterprise_name")?,
        enterprise_code: r.try_get("enterprise_code")?,
        description: r.try_get("description")?,
        row_version: r.try_get("row_version")?,
        ticket: Ticket {
            status: code_column(r, "status")?,
            unit: r.try_get("unit_code")?,
            bounces: days(r, "bounces")?,
            dispute_decided: r.try_get::<i64, _>("dispute_decided")? != 0,
            escalated: r.try_get::<i64, _>("escalated")? != 0,
            pending_extension: pending.map(|d| u32::try_from(d).unwrap_or(0)),
            extension_days: days(r, "extension_days")?,
            satisfaction: opt_code::<Satisfaction>(r, "satisfaction")?,
            finding: opt_code::<Finding>(r, "finding")?,
            merged_into: r.try_get("merged_into")?,
            reopened: days(r, "reopened")?,
        },
    })
}

/// The ticket `id` of the actor's district, inside a transaction.
async fn load(tx: &mut Tx, actor: &Actor, id: i64) -> Result<Row0> {
    let r = sqlx::query(&format!(
        "{SELECT_TICKET} WHERE t.id = $1 AND t.owner_id = {}",
        actor.owner_sql()
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    row0(&r)
}

/// The dated history the clock folds.
pub(crate) async fn history(tx: &mut Tx, ticket_id: i64) -> Result<Vec<Dated>> {
    let rows = sqlx::query(
        "SELECT on_date, kind, days FROM complaint_events WHERE ticket_id = $1 ORDER BY on_date, id",
    )
    .bind(ticket_id)
    .fetch_all(&mut **tx)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Dated {
                on: date(r, "on_date")?,
                kind: code_column(r, "kind")?,
                days: days(r, "days")?,
            })
        })
        .collect()
}

fn transition_error(e: &ticket::TransitionError) -> StoreError {
    use ticket::TransitionError as E;
    match e {
        E::NotAllowed { .. } | E::DisputeDecided | E::AlreadyEscalated | E::ExtensionPending => {
            StoreError::Conflict(e.key().to_string())
        }
        E::OfficeOnly | E::NotHandlingUnit | E::NotTheCitizen => {
            StoreError::invalid("actor", e.key())
        }
        E::ReasonMissing => StoreError::invalid("reason", e.key()),
        E::UnitMissing | E::SameUnit => StoreError::invalid("unit", e.key()),
        E::NoExtensionPending | E::ExtensionDays => StoreError::invalid("days", e.key()),
    }
}

/// Applies one event to a ticket of the actor's district: the domain decides
/// (`ticket::apply`), then the ticket row, the history row, the audit record, the notice to
/// the unit concerned, the credit event of a substantiated complaint and the dashboard cell
/// are written in one transaction. `today` is the business date of the event. Errors carry the
/// domain's key: `Invalid { field, code }` for bad input or the wrong actor, `Conflict(key)`
/// for an event the ticket's status does not allow.
pub async fn act(
    store: &Store,
    actor: &Actor,
    id: i64,
    event: &Event,
    today: NaiveDate,
) -> Result<Status> {
    let mut tx = store.begin().await?;
    let status = step(store, &mut tx, actor, id, event, today).await?;
    tx.commit().await?;
    Ok(status)
}

/// The reason an event carries, for the history.
fn reason_of(event: &Event) -> String {
    match event {
        Event::Decline { reason } | Event::Reopen { reason } | Event::SendBack { reason } => {
            reason.trim().to_string()
        }
        Event::Reply { finding } => finding.code().to_string(),
        Event::Visit { satisfaction } => satisfaction.code().to_string(),
        Event::Merge { into } => into.to_string(),
        Event::RequestExtension { days } => days.to_string(),
        _ => String::new(),
    }
}

async fn step(
    store: &Store,
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
    event: &Event,
    today: NaiveDate,
) -> Result<Status> {
    let who = who(tx, actor).await?;
    step_as(store, tx, actor, &who, id, event, today).await
}

async fn step_as(
    store: &Store,
    tx: &mut Tx,
    actor: &Actor,
    who: &Who,
    id: i64,
    event: &Event,
    today: NaiveDate,
) -> Result<Status> {
    let row = load(tx, actor, id).await?;
    // The history is dated by business date: an event cannot precede the last one.
    let last: Option<String> =
        sqlx::query("SELECT MAX(on_date) AS d FROM complaint_events WHERE ticket_id = $1")
            .bind(id)
            .fetch_one(&mut **tx)
            .await?
            .try_get("d")?;
    if last.is_some_and(|d| today.to_string() < d) {
        return Err(StoreError::invalid("on", "error-complaint-date-order"));
    }
    // A unit code named by the office must be one of the district's units.
    let target = match event {
        Event::Dispatch { unit }
        | Event::Redispatch { unit }
        | Event::DecideDispute { unit }
        | Event::Escalate { unit }
            if !unit.trim().is_empty() =>
        {
            Some(
                district_unit(tx, row.owner_id, unit)
                    .await?
                    .ok_or_else(|| StoreError::invalid("unit", "error-complaint-unit-unknown"))?,
            )
        }
        _ => None,
    };
    let event = match (event, &target) {
        (Event::Dispatch { .. }, Some((_, c))) => Event::Dispatch { unit: c.clone() },
        (Event::Redispatch { .. }, Some((_, c))) => Event::Redispatch { unit: c.clone() },
        (Event::DecideDispute { .. }, Some((_, c))) => Event::DecideDispute { unit: c.clone() },
        (Event::Escalate { .. }, Some((_, c))) => Event::Escalate { unit: c.clone() },
        (e, _) => e.clone(),
    };
    let next =
        ticket::apply(&row.ticket, &event, who.domain()).map_err(|e| transition_error(&e))?;
    if let Event::Merge { into } = &event {
        check_merge_into(tx, &row, *into).await?;
    }
    let unit_id = match &next.unit {
        Some(code) if Some(code) == row.ticket.unit.as_ref() => row.unit_id,
        Some(_) => target.as_ref().map(|t| t.0),
        None => None,
    };
    let last_unit_id = target.as_ref().map(|t| t.0).or(row.last_unit_id);
    let days = match event {
        Event::ApproveExtension => row.ticket.pending_extension.unwrap_or(0),
        _ => 0,
    };
    let actor_unit = match who {
        Who::Unit(id, _) => Some(*id),
        Who::Office | Who::Citizen => None,
    };
    let event_id: i64 = sqlx::query(
        "INSERT INTO complaint_events (ticket_id, owner_id, on_date, kind, days, actor, actor_unit_id, unit_id, reason, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(id)
    .bind(row.owner_id)
    .bind(today.to_string())
    .bind(event.kind().code())
    .bind(i64::from(days))
    .bind(&actor.username)
    .bind(actor_unit)
    .bind(target.as_ref().map(|t| t.0))
    .bind(reason_of(&event))
    .bind(now_text())
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?;
    let hist = history(tx, id).await?;
    let cal = registers::calendar_in(tx, row.owner_id).await?;
    let facts = ClockFacts::from_history(&hist);
    let clock = ticket::clock(&facts, &row.limits, Basis::Unit, &cal, today);
    let due = |s: usize| clock[s].1.deadline().map(|d| d.to_string());
    let updated = sqlx::query(
        "UPDATE complaint_tickets SET status = $1, unit_id = $2, last_unit_id = $3, bounces = $4, dispute_decided = $5, \
         escalated = $6, pending_extension = $7, extension_days = $8, reopened = $9, satisfaction = $10, finding = $11, \
         merged_into = $12, sign_due = $13, reply_due = $14, close_due = $15, row_version = row_version + 1, updated_at = $16 \
         WHERE id = $17 AND row_version = $18",
    )
    .bind(next.status.code())
    .bind(unit_id)
    .bind(last_unit_id)
    .bind(i64::from(next.bounces))
    .bind(i64::from(next.dispute_decided))
    .bind(i64::from(next.escalated))
    .bind(next.pending_extension.map(i64::from))
    .bind(i64::from(next.extension_days))
    .bind(i64::from(next.reopened))
    .bind(next.satisfaction.map(|s| s.code()))
    .bind(next.finding.map(|f| f.code()))
    .bind(next.merged_into)
    .bind(due(0))
    .bind(due(1))
    .bind(due(2))
    .bind(now_text())
    .bind(id)
    .bind(row.row_version)
    .execute(&mut **tx)
    .await?;
    if updated.rows_affected() != 1 {
        return Err(StoreError::Conflict("row_version".into()));
    }
    audit::record(
        store,
        tx,
        actor,
        Change {
            action: &format!("complaint.{}", event.kind().code()),
            target_type: "complaint",
            target_id: &row.number,
            before: json!({"status": row.ticket.status.code(), "unit": row.ticket.unit}),
            after: json!({"status": next.status.code(), "unit": next.unit, "event": event_id, "on": today.to_string(), "reason": reason_of(&event)}),
        },
    )
    .await?;
    notify(tx, &row, &event, unit_id.or(row.unit_id), event_id, today).await?;
    if ticket::is_credit_event(&next) {
        credit_event(store, tx, actor, &row, today).await?;
    }
    counts::recount(tx, id, today).await?;
    Ok(next.status)
}

/// The merge rule: both unfinished, the newer joining the older, in the same district.
async fn check_merge_into(tx: &mut Tx, dup: &Row0, into: i64) -> Result<()> {
    let r = sqlx::query(&format!(
        "{SELECT_TICKET} WHERE t.id = $1 AND t.owner_id = $2"
    ))
    .bind(into)
    .bind(dup.owner_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::invalid("into", "error-merge-target-missing"))?;
    let target = row0(&r)?;
    check_merge(&candidate(dup), &candidate(&target))
        .map_err(|e| StoreError::invalid("into", e.key()))
}

fn candidate(r: &Row0) -> Candidate {
    let enterprise = [&r.enterprise_code, &r.enterprise_name]
        .into_iter()
        .find(|s| !s.is_empty())
        .cloned();
    Candidate {
        id: r.id,
        enterprise,
        category: r.category.clone().unwrap_or_default(),
        received: r.received_on,
        text: r.description.clone(),
        status: r.ticket.status,
    }
}

/// A notice to the unit an event concerns: a dispatch to the new unit, anything the office
/// decides on a ticket the unit handles. The unit's own steps notify nobody. Kind `complaint`,
/// level `info`: supervision's 催办/督办/通报 counts read the levels blue, yellow and red, and
/// a work order is not an escalation.
async fn notify(
    tx: &mut Tx,
    row: &Row0,
    event: &Event,
    unit_id: Option<i64>,
    event_id: i64,
    today: NaiveDate,
) -> Result<()> {
    use EventKind as K;
    let kind = event.kind();
    let (title, level) = match kind {
        K::Dispatch | K::Redispatch | K::DecideDispute | K::Escalate => (
            format!("【投诉工单】{} 已派至你单位，请签收", row.number),
            "info",
        ),
        K::Reopen => (
            format!("【投诉工单】{} 已重办，请重新办理", row.number),
            "info",
        ),
        K::ApproveExtension => (format!("【投诉工单】{} 延期申请已同意", row.number), "info"),
        K::RefuseExtension => (format!("【投诉工单】{} 延期申请未同意", row.number), "info"),
        K::Merge => (
            format!("【投诉工单】{} 已并单，无需再办", row.number),
            "info",
        ),
        K::AddInfo => (
            format!("【投诉工单】{} 投诉人补充了信息，请查看", row.number),
            "info",
        ),
        _ => return Ok(()),
    };
    let Some(unit_id) = unit_id else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, respond_by, dedupe_key, created_at) \
         VALUES ($1, NULL, 'complaint', $2, $3, $4, $5, NULL, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(unit_id)
    .bind(level)
    .bind(&title)
    .bind(mask_text(&row.description))
    .bind(today.to_string())
    .bind(format!("complaint:{}:{event_id}", row.id))
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// A closed, substantiated complaint against a registered enterprise goes into its credit
/// file (`credit_events`, source `complaint`, one per ticket), linked in
/// `complaint_credit_events`. An enterprise not in the register gets nothing.
async fn credit_event(
    store: &Store,
    tx: &mut Tx,
    actor: &Actor,
    row: &Row0,
    today: NaiveDate,
) -> Result<()> {
    let code = row.enterprise_code.trim();
    let name = row.enterprise_name.trim();
    if code.is_empty() && name.is_empty() {
        return Ok(());
    }
    // The ticket's own district's register: its credit file is kept there.
    let Some(enterprise) = sqlx::query(
        "SELECT id FROM enterprises WHERE owner_id = $3 \
         AND ((code = $1 AND $1 <> '') OR (name = $2 AND $2 <> '')) ORDER BY id LIMIT 1",
    )
    .bind(code)
    .bind(name)
    .bind(row.owner_id)
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| r.try_get::<i64, _>("id"))
    .transpose()?
    else {
        return Ok(());
    };
    let source_ref = format!("ticket:{}", row.id);
    let inserted = sqlx::query(
        "INSERT INTO credit_events (enterprise_id, kind, occurred_on, serious, summary, source, source_ref, unit_id, recorded_by, recorded_at, owner_id) \
         VALUES ($1, 'complaint', $2, 0, $3, 'complaint', $4, $5, $6, $7, $8) ON CONFLICT (source, source_ref) DO NOTHING RETURNING id",
    )
    .bind(enterprise)
    .bind(today.to_string())
    .bind(format!("质量投诉属实（工单 {}）", row.number))
    .bind(&source_ref)
    .bind(row.last_unit_id)
    .bind(&actor.username)
    .bind(now_text())
    .bind(row.owner_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(r) = inserted {
        let event_id: i64 = r.try_get("id")?;
        audit::record(
            store,
            tx,
            actor,
            Change {
                action: "credit.event",
                target_type: "enterprise",
                target_id: &enterprise.to_string(),
                before: json!(null),
                after: json!({"event": event_id, "kind": "complaint", "source": "complaint", "ticket": row.number}),
            },
        )
        .await?;
        sqlx::query(
            "INSERT INTO complaint_credit_events (ticket_id, owner_id, enterprise_id, credit_event_id, recorded_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (ticket_id) DO NOTHING",
        )
        .bind(row.id)
        .bind(row.owner_id)
        .bind(enterprise)
        .bind(event_id)
        .bind(now_text())
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

/// Sets or changes a ticket's category (the office: triage, or a correction). The limits
/// follow the category; a ticket waiting in triage is dispatched to the routed unit, and a
/// ticket with a unit is re-routed when the category names another one.
pub async fn set_category(
    store: &Store,
    actor: &Actor,
    id: i64,
    category: &str,
    today: NaiveDate,
) -> Result<Status> {
    if actor.role != Some(Role::Office) {
        return Err(StoreError::Forbidden);
    }
    let mut tx = store.begin().await?;
    let row = load(&mut tx, actor, id).await?;
    let catalogue = registers::catalogue_in(&mut tx, row.owner_id).await?;
    let Some(cat) = catalogue.category(category.trim()) else {
        return Err(StoreError::invalid(
            "category",
            "error-catalogue-unknown-category",
        ));
    };
    if row.ticket.status.is_finished() {
        return Err(StoreError::Conflict("error-complaint-finished".into()));
    }
    sqlx::query(
        "UPDATE complaint_tickets SET category = $1, sign_days = $2, reply_days = $3, close_days = $4 WHERE id = $5",
    )
    .bind(&cat.code)
    .bind(i64::from(cat.limits.sign))
    .bind(i64::from(cat.limits.reply))
    .bind(i64::from(cat.limits.close))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.category",
            target_type: "complaint",
            target_id: &row.number,
            before: json!({"category": row.category}),
            after: json!({"category": cat.code}),
        },
    )
    .await?;
    let area: String = sqlx::query("SELECT area FROM complaint_tickets WHERE id = $1")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?
        .try_get("area")?;
    let routed = route(&mut tx, &catalogue, row.owner_id, &cat.code, &area).await?;
    let mut status = row.ticket.status;
    if let Some((unit_id, unit)) = routed {
        let event = match row.ticket.status {
            Status::Accepted => Some(Event::Dispatch { unit }),
            s if s.is_with_unit() && row.unit_id != Some(unit_id) => {
                Some(Event::Redispatch { unit })
            }
            _ => None,
        };
        if let Some(event) = event {
            status = step(store, &mut tx, actor, id, &event, today).await?;
        }
    }
    counts::recount(&mut tx, id, today).await?;
    tx.commit().await?;
    Ok(status)
}

/// A ticket as lists and the detail page show it: personal data masked.
#[derive(Debug, Clone, PartialEq)]
pub struct TicketView {
    pub id: i64,
    pub number: String,
    pub channel: Channel,
    pub received_on: NaiveDate,
    pub category: Option<String>,
    pub status: Status,
    pub unit_code: Option<String>,
    pub description: String,
    pub enterprise_name: String,
    pub address: String,
    pub contact_name: String,
    pub contact_phone: String,
    pub contact_email: String,
    pub anonymous: bool,
    pub finding: Option<Finding>,
    pub satisfaction: Option<Satisfaction>,
    pub merged_into: Option<i64>,
    pub row_version: i64,
    /// The unit's clock (its queue and warnings).
    pub clock: [(Stage, Outcome); 3],
    /// The citizen's clock (the expected date).
    pub ticket_clock: [(Stage, Outcome); 3],
    pub warning: Option<Warning>,
    /// The events this actor may apply now.
    pub allowed: Vec<EventKind>,
}

/// What the actor may read: the office and leaders their district's tickets; a unit the
/// tickets routed to it (now or last).
fn scope_sql(actor: &Actor) -> Result<String> {
    let owner = format!("t.owner_id = {}", actor.owner_sql());
    match (actor.role, actor.unit_id) {
        (Some(Role::Office | Role::Leader), _) => Ok(owner),
        (Some(Role::Unit), Some(u)) => Ok(format!(
            "{owner} AND (t.unit_id = {u} OR t.last_unit_id = {u})"
        )),
        _ => Err(StoreError::Forbidden),
    }
}

fn view(
    actor: &Actor,
    r: &sqlx::any::AnyRow,
    cal: &Calendar,
    hist: &[Dated],
    today: NaiveDate,
) -> Result<TicketView> {
    let row = row0(r)?;
    let facts = ClockFacts::from_history(hist);
    let ladder = WarningLadder::default();
    let domain_actor = match (actor.role, &row.ticket.unit) {
        (Some(Role::Office), _) => Some(ticket::Actor::Office),
        (Some(Role::Unit), Some(code)) if actor.unit_id == row.unit_id => {
            Some(ticket::Actor::Unit(code))
        }
        _ => None,
    };
    Ok(TicketView {
        id: row.id,
        number: row.number.clone(),
        channel: row.channel,
        received_on: row.received_on,
        category: row.category.clone(),
        status: row.ticket.status,
        unit_code: row.ticket.unit.clone(),
        description: mask_text(&row.description),
        enterprise_name: row.enterprise_name.clone(),
        address: r.try_get("address")?,
        contact_name: mask_name(&r.try_get::<String, _>("contact_name")?),
        contact_phone: mask_phone(&r.try_get::<String, _>("contact_phone")?),
        contact_email: mask_email(&r.try_get::<String, _>("contact_email")?),
        anonymous: r.try_get::<i64, _>("anonymous")? != 0,
        finding: row.ticket.finding,
        satisfaction: row.ticket.satisfaction,
        merged_into: row.ticket.merged_into,
        row_version: row.row_version,
        clock: ticket::clock(&facts, &row.limits, Basis::Unit, cal, today),
        ticket_clock: ticket::clock(&facts, &row.limits, Basis::Ticket, cal, today),
        warning: ticket::ticket_warning(&facts, &row.limits, Basis::Unit, cal, today, &ladder),
        allowed: domain_actor
            .map(|a| ticket::allowed(&row.ticket, a))
            .unwrap_or_default(),
    })
}

async fn history_conn(conn: &mut sqlx::AnyConnection, ticket_id: i64) -> Result<Vec<Dated>> {
    let rows = sqlx::query(
        "SELECT on_date, kind, days FROM complaint_events WHERE ticket_id = $1 ORDER BY on_date, id",
    )
    .bind(ticket_id)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Dated {
                on: date(r, "on_date")?,
                kind: code_column(r, "kind")?,
                days: days(r, "days")?,
            })
        })
        .collect()
}

/// The dated histories of many tickets in one read per thousand (a queue or the daily
/// warnings would otherwise ask once per ticket).
async fn histories(
    store: &Store,
    ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<Dated>>> {
    let mut out: std::collections::HashMap<i64, Vec<Dated>> = Default::default();
    for chunk in ids.chunks(1000) {
        let list = chunk
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",");
        let rows = sqlx::query(&format!(
            "SELECT ticket_id, on_date, kind, days FROM complaint_events WHERE ticket_id IN ({list}) \
             ORDER BY ticket_id, on_date, id"
        ))
        .fetch_all(&store.pool)
        .await?;
        for r in &rows {
            out.entry(r.try_get("ticket_id")?).or_default().push(Dated {
                on: date(r, "on_date")?,
                kind: code_column(r, "kind")?,
                days: days(r, "days")?,
            });
        }
    }
    Ok(out)
}

/// The calendar of a ticket's district, read once per district.
async fn calendar_of<'a>(
    store: &Store,
    cals: &'a mut std::collections::HashMap<i64, Calendar>,
    owner: i64,
) -> Result<&'a Calendar> {
    if let std::collections::hash_map::Entry::Vacant(e) = cals.entry(owner) {
        e.insert(registers::calendar(store, owner).await?);
    }
    Ok(&cals[&owner])
}

const VIEW_COLUMNS: &str =
    ", t.address, t.contact_name, t.contact_phone, t.contact_email, t.anonymous";

/// One ticket the actor may read, masked.
pub async fn get(store: &Store, actor: &Actor, id: i64, today: NaiveDate) -> Result<TicketView> {
    let scope = scope_sql(actor)?;
    let sql = SELECT_TICKET.replacen(" FROM ", &format!("{VIEW_COLUMNS} FROM "), 1);
    let r = sqlx::query(&format!("{sql} WHERE t.id = $1 AND {scope}"))
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let owner: i64 = r.try_get("owner_id")?;
    let cal = registers::calendar(store, owner).await?;
    let hist = histories(store, &[id])
        .await?
        .remove(&id)
        .unwrap_or_default();
    view(actor, &r, &cal, &hist, today)
}

/// Which tickets a queue lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    /// Unfinished tickets the actor may read (a unit: those it handles now).
    Open,
    /// Accepted and waiting for a unit: the office's triage queue.
    Triage,
    /// Sent back or disputed: waiting for the office.
    SentBack,
    /// Every ticket the actor may read.
    All,
}

/// A queue, oldest first, with each ticket's clock and warning as of `today`.
pub async fn queue(
    store: &Store,
    actor: &Actor,
    which: Queue,
    today: NaiveDate,
) -> Result<Vec<TicketView>> {
    let mut scope = scope_sql(actor)?;
    // A unit's working queues list what it has now; `All` also what it had.
    if let (Some(Role::Unit), Some(u), false) = (actor.role, actor.unit_id, which == Queue::All) {
        scope = format!("t.owner_id = {} AND t.unit_id = {u}", actor.owner_sql());
    }
    let filter = match which {
        Queue::Open => " AND t.status NOT IN ('closed', 'declined', 'merged')",
        Queue::Triage => " AND t.status = 'accepted'",
        Queue::SentBack => " AND t.status IN ('sent_back', 'disputed')",
        Queue::All => "",
    };
    let sql = SELECT_TICKET.replacen(" FROM ", &format!("{VIEW_COLUMNS} FROM "), 1);
    let rows = sqlx::query(&format!(
        "{sql} WHERE {scope}{filter} ORDER BY t.received_on, t.id"
    ))
    .fetch_all(&store.pool)
    .await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<std::result::Result<_, _>>()?;
    let hists = histories(store, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut cals: std::collections::HashMap<i64, Calendar> = Default::default();
    for (r, id) in rows.iter().zip(&ids) {
        let cal = calendar_of(store, &mut cals, r.try_get("owner_id")?).await?;
        let hist = hists.get(id).map(Vec::as_slice).unwrap_or_default();
        out.push(view(actor, r, cal, hist, today)?);
    }
    Ok(out)
}

/// The contact details unmasked, for the office and the unit handling the ticket only; every
/// view is audited (`complaint.contact_view`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: String,
    pub phone: String,
    pub email: String,
}

pub async fn contact(store: &Store, actor: &Actor, id: i64) -> Result<Contact> {
    let mut tx = store.begin().await?;
    let row = load(&mut tx, actor, id).await?;
    let may = match actor.role {
        Some(Role::Office) => true,
        Some(Role::Unit) => actor.unit_id.is_some() && actor.unit_id == row.unit_id,
        _ => false,
    };
    if !may {
        return Err(StoreError::Forbidden);
    }
    let r = sqlx::query(
        "SELECT contact_name, contact_phone, contact_email FROM complaint_tickets WHERE id = $1",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let c = Contact {
        name: r.try_get("contact_name")?,
        phone: r.try_get("contact_phone")?,
        email: r.try_get("contact_email")?,
    };
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.contact_view",
            target_type: "complaint",
            target_id: &row.number,
            before: json!(null),
            after: json!({"ticket": id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(c)
}

/// What the public sees of a ticket with its number and verification code: no personal data.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicStatus {
    pub number: String,
    pub received_on: NaiveDate,
    pub category: Option<String>,
    pub status: Status,
    /// The citizen's expected close date (`Basis::Ticket`), while it runs.
    pub expected: Option<NaiveDate>,
    pub finding: Option<Finding>,
    /// The history: date and event, nothing else.
    pub events: Vec<(NaiveDate, EventKind)>,
}

/// The public lookup by number and verification code. A wrong code is "not found", the same
/// answer as a wrong number, so a number alone reveals nothing.
pub async fn public_status(
    store: &Store,
    number: &str,
    code: &str,
    today: NaiveDate,
) -> Result<PublicStatus> {
    let hash = sha256_hex(&code.trim().to_uppercase());
    let r = sqlx::query(&format!(
        "{SELECT_TICKET} WHERE t.number = $1 AND t.code_hash = $2"
    ))
    .bind(number.trim())
    .bind(&hash)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let row = row0(&r)?;
    let mut conn = store.pool.acquire().await?;
    let hist = history_conn(&mut conn, row.id).await?;
    drop(conn);
    let cal = registers::calendar(store, row.owner_id).await?;
    let facts = ClockFacts::from_history(&hist);
    let close = ticket::stage_outcome(
        &facts,
        &row.limits,
        Stage::Close,
        Basis::Ticket,
        &cal,
        today,
    );
    // A finished ticket (closed, declined, merged) has nothing more to expect.
    let expected = match close {
        _ if row.ticket.status.is_finished() => None,
        Outcome::Pending { deadline } | Outcome::Overdue { deadline } => Some(deadline),
        _ => None,
    };
    Ok(PublicStatus {
        number: row.number,
        received_on: row.received_on,
        category: row.category,
        status: row.ticket.status,
        expected,
        finding: row.ticket.finding,
        events: hist.iter().map(|d| (d.on, d.kind)).collect(),
    })
}

/// The longest addition a citizen may make at once.
pub const MAX_ADDITION: usize = 1000;

/// The citizen adds information to an open ticket, known by its number and verification code
/// (a wrong code is "not found", as on the status page). The text is kept in the history, the
/// unit handling it is notified.
pub async fn add_info_public(
    store: &Store,
    actor: &Actor,
    number: &str,
    code: &str,
    text: &str,
    today: NaiveDate,
) -> Result<Status> {
    let text = text.trim();
    if text.is_empty() {
        return Err(StoreError::invalid("text", "error-complaint-text-missing"));
    }
    if text.chars().count() > MAX_ADDITION {
        return Err(StoreError::invalid("text", "error-complaint-addition-long"));
    }
    let hash = sha256_hex(&code.trim().to_uppercase());
    let mut tx = store.begin().await?;
    let r = sqlx::query(
        "SELECT id, owner_id FROM complaint_tickets WHERE number = $1 AND code_hash = $2",
    )
    .bind(number.trim())
    .bind(&hash)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let id: i64 = r.try_get("id")?;
    let citizen = Actor {
        owner_id: Some(r.try_get("owner_id")?),
        ..actor.clone()
    };
    let status = step_as(
        store,
        &mut tx,
        &citizen,
        &Who::Citizen,
        id,
        &Event::AddInfo,
        today,
    )
    .await?;
    sqlx::query(
        "UPDATE complaint_events SET reason = $1 WHERE id = (SELECT MAX(id) FROM complaint_events WHERE ticket_id = $2)",
    )
    .bind(text)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(status)
}

/// Repeat tickets the office might merge this one into (并单): unfinished tickets of the same
/// district received before it, within the rule's window, naming the same enterprise and
/// category or with a similar text. (id, number, reasons, similarity), best first.
pub async fn merge_suggestions(
    store: &Store,
    actor: &Actor,
    id: i64,
) -> Result<
    Vec<(
        i64,
        String,
        Vec<qcity_domain::complaints::merge::Reason>,
        f64,
    )>,
> {
    use qcity_domain::complaints::merge::{MergeRule, suggestions};
    if actor.role != Some(Role::Office) {
        return Ok(Vec::new());
    }
    let mut tx = store.begin().await?;
    let row = load(&mut tx, actor, id).await?;
    let rule = MergeRule::default();
    let from = row.received_on - chrono::Duration::days(rule.window_days);
    let rows = sqlx::query(&format!(
        "{SELECT_TICKET} WHERE t.owner_id = $1 AND t.id <> $2 AND t.received_on >= $3 AND t.received_on <= $4 \
         AND t.status NOT IN ('closed', 'declined', 'merged') ORDER BY t.id LIMIT 500"
    ))
    .bind(row.owner_id)
    .bind(id)
    .bind(from.to_string())
    .bind(row.received_on.to_string())
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let others: Vec<Row0> = rows.iter().map(row0).collect::<Result<_>>()?;
    let candidates: Vec<Candidate> = others.iter().map(candidate).collect();
    let numbers: std::collections::HashMap<i64, String> =
        others.iter().map(|r| (r.id, r.number.clone())).collect();
    Ok(suggestions(&candidate(&row), &candidates, &rule)
        .into_iter()
        .filter(|s| s.id < id)
        .map(|s| {
            let number = numbers.get(&s.id).cloned().unwrap_or_default();
            (s.id, number, s.reasons, s.similarity)
        })
        .collect())
}

/// The id of a ticket of the actor's district by its number (`2026-000123`).
pub async fn id_by_number(store: &Store, actor: &Actor, number: &str) -> Result<i64> {
    let scope = scope_sql(actor)?;
    let r = sqlx::query(&format!(
        "SELECT t.id FROM complaint_tickets t WHERE t.number = $1 AND {scope}"
    ))
    .bind(number.trim())
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(r.try_get("id")?)
}

/// The history of a ticket the actor may read: date, event, who, unit and reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub on: NaiveDate,
    pub kind: EventKind,
    pub days: u32,
    pub actor: String,
    pub unit_code: Option<String>,
    pub reason: String,
}

pub async fn events(store: &Store, actor: &Actor, id: i64) -> Result<Vec<HistoryRow>> {
    let scope = scope_sql(actor)?;
    let rows = sqlx::query(&format!(
        "SELECT e.on_date, e.kind, e.days, e.actor, u.code AS unit_code, e.reason FROM complaint_events e \
         JOIN complaint_tickets t ON t.id = e.ticket_id LEFT JOIN org_units u ON u.id = e.unit_id \
         WHERE e.ticket_id = $1 AND {scope} ORDER BY e.on_date, e.id"
    ))
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(HistoryRow {
                on: date(r, "on_date")?,
                kind: code_column(r, "kind")?,
                days: days(r, "days")?,
                actor: r.try_get("actor")?,
                unit_code: r.try_get("unit_code")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

/// Adds a photo to a ticket: the office (also for the public form, right after intake, with
/// the district's system actor) or the unit handling it. An image by its bytes, stored once in
/// the evidence files; anything else is refused with `error-complaint-photo-type`.
pub async fn add_photo(
    store: &Store,
    actor: &Actor,
    id: i64,
    upload: &crate::evidence::Upload,
) -> Result<i64> {
    if !matches!(actor.role, Some(Role::Office | Role::Unit)) {
        return Err(StoreError::Forbidden);
    }
    let files = std::slice::from_ref(upload);
    let checked = crate::evidence::check(files, &Default::default())
        .map_err(|_| StoreError::invalid("photo", "error-complaint-photo-type"))?;
    let Some(file) = checked.first().filter(|f| f.mime.starts_with("image/")) else {
        return Err(StoreError::invalid("photo", "error-complaint-photo-type"));
    };
    crate::evidence::upload(store, &checked).await?;
    let mut tx = store.begin().await?;
    let row = load(&mut tx, actor, id).await?;
    if actor.role == Some(Role::Unit) && (actor.unit_id.is_none() || actor.unit_id != row.unit_id) {
        return Err(StoreError::Forbidden);
    }
    crate::evidence::store(store, &mut tx, &checked).await?;
    let photo: i64 = sqlx::query(
        "INSERT INTO complaint_photos (ticket_id, owner_id, sha256, filename, mime, added_by, added_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(id)
    .bind(row.owner_id)
    .bind(&file.sha256)
    .bind(&file.filename)
    .bind(file.mime)
    .bind(&actor.username)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.photo",
            target_type: "complaint",
            target_id: &row.number,
            before: json!(null),
            after: json!({"photo": photo, "sha256": file.sha256, "mime": file.mime}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(photo)
}

/// The photos of a ticket the actor may read: (id, filename, mime).
pub async fn photos(store: &Store, actor: &Actor, id: i64) -> Result<Vec<(i64, String, String)>> {
    let scope = scope_sql(actor)?;
    let rows = sqlx::query(&format!(
        "SELECT p.id, p.filename, p.mime FROM complaint_photos p JOIN complaint_tickets t ON t.id = p.ticket_id \
         WHERE p.ticket_id = $1 AND {scope} ORDER BY p.id"
    ))
    .bind(id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("filename")?, r.try_get("mime")?)))
        .collect()
}

/// A photo's bytes for download, when the actor may read its ticket: (filename, mime, bytes).
pub async fn photo(
    store: &Store,
    actor: &Actor,
    photo_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    let scope = scope_sql(actor)?;
    let r = sqlx::query(&format!(
        "SELECT p.filename, p.mime, e.sha256, e.stored, e.data FROM complaint_photos p \
         JOIN complaint_tickets t ON t.id = p.ticket_id JOIN evidence_files e ON e.sha256 = p.sha256 \
         WHERE p.id = $1 AND {scope}"
    ))
    .bind(photo_id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let bytes = crate::evidence::content(store, &r).await?;
    Ok((r.try_get("filename")?, r.try_get("mime")?, bytes))
}

/// Sends the warnings the ladder calls for on `today` to the units handling open tickets:
/// a reminder before a stage's deadline, then 催办 (blue), 督办 (yellow) and 通报 (red) as it
/// stays overdue, in working days. Each (ticket, stage, level) is sent once, however often
/// the job runs and on however many app servers. Returns how many notices were new.
pub async fn send_warnings(store: &Store, today: NaiveDate) -> Result<usize> {
    let rows = sqlx::query(&format!(
        "{SELECT_TICKET} WHERE t.unit_id IS NOT NULL AND t.status IN ('dispatched', 'signed', 'handling') ORDER BY t.id"
    ))
    .fetch_all(&store.pool)
    .await?;
    let ladder = WarningLadder::default();
    let mut cals: std::collections::HashMap<i64, Calendar> = Default::default();
    let tickets: Vec<Row0> = rows.iter().map(row0).collect::<Result<_>>()?;
    let ids: Vec<i64> = tickets.iter().map(|t| t.id).collect();
    let hists = histories(store, &ids).await?;
    let mut sent = 0;
    for row in &tickets {
        let cal = calendar_of(store, &mut cals, row.owner_id).await?;
        let hist = hists.get(&row.id).map(Vec::as_slice).unwrap_or_default();
        let facts = ClockFacts::from_history(hist);
        let worst = ticket::clock(&facts, &row.limits, Basis::Unit, cal, today)
            .into_iter()
            .filter_map(|(stage, o)| {
                ticket::warning(o, cal, today, &ladder).map(|w| (w, stage, o.deadline()))
            })
            .max_by_key(|(w, _, _)| *w);
        let (Some((warning, stage, Some(deadline))), Some(unit)) = (worst, row.unit_id) else {
            continue;
        };
        let stage_zh = match stage {
            Stage::Sign => "签收",
            Stage::Reply => "答复",
            Stage::Close => "办结",
        };
        let title = match warning {
            Warning::Reminder => format!(
                "【投诉工单】{} {stage_zh}期限为 {deadline}，请抓紧办理",
                row.number
            ),
            Warning::Blue => format!(
                "【催办】投诉工单 {} {stage_zh}已逾期（期限 {deadline}）",
                row.number
            ),
            Warning::Yellow => format!(
                "【督办】投诉工单 {} {stage_zh}逾期未办（期限 {deadline}）",
                row.number
            ),
            Warning::Red => format!(
                "【通报】投诉工单 {} {stage_zh}严重逾期（期限 {deadline}）",
                row.number
            ),
        };
        let done = sqlx::query(
            "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, respond_by, dedupe_key, created_at) \
             VALUES ($1, NULL, 'complaint', $2, $3, $4, $5, NULL, $6, $7) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(unit)
        .bind(warning.level())
        .bind(&title)
        .bind(mask_text(&row.description))
        .bind(today.to_string())
        .bind(format!(
            "complaint-warning:{}:{}:{}:{}",
            row.id,
            row.ticket.unit.as_deref().unwrap_or_default(),
            stage.as_str(),
            warning.level()
        ))
        .bind(now_text())
        .execute(&store.pool)
        .await?;
        sent += usize::try_from(done.rows_affected()).unwrap_or(0);
    }
    Ok(sent)
}
