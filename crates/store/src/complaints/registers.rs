//! The district's complaint settings kept as data (the working-day calendar per year, the
//! dispatch catalogue, residents per year) and the two small registers beside the tickets:
//! the social quality supervisors and the quality disputes (arbitration and appraisal).

use crate::audit::{self, Change};
use crate::{Actor, Result, Store, StoreError, Tx, code_column, now_text};
use chrono::NaiveDate;
use qcity_domain::complaints::calendar::{Calendar, YearCalendar};
use qcity_domain::complaints::catalogue::{Catalogue, categories_text, parse_categories};
use qcity_domain::complaints::disputes::{
    CaseEvent, CaseKind, CaseLimits, CaseStatus, apply_case, deadline_outcome,
};
use qcity_domain::complaints::supervisors::Appointment;
use qcity_domain::complaints::ticket::Outcome;
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;
use serde_json::json;
use sqlx::Row;

fn office_only(actor: &Actor) -> Result<()> {
    if actor.role == Some(Role::Office) {
        Ok(())
    } else {
        Err(StoreError::Forbidden)
    }
}

fn calendar_of(rows: &[sqlx::any::AnyRow]) -> Result<Calendar> {
    let mut cal = Calendar::official();
    for r in rows {
        let year = i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or(0);
        let text: String = r.try_get("days")?;
        // Saved text was checked when saved; one that no longer parses keeps the defaults.
        match YearCalendar::parse(year, &text) {
            Ok(y) => cal.set_year(y),
            Err(e) => tracing::warn!(year, error = %e, "saved complaint calendar no longer parses"),
        }
    }
    Ok(cal)
}

const CALENDAR_SQL: &str = "SELECT year, days FROM complaint_calendars WHERE owner_id = $1";

/// The district's working-day calendar: the official arrangements, with the years the office
/// saved replacing them.
pub async fn calendar(store: &Store, owner: i64) -> Result<Calendar> {
    let rows = sqlx::query(CALENDAR_SQL)
        .bind(owner)
        .fetch_all(&store.pool)
        .await?;
    calendar_of(&rows)
}

/// The calendar of the actor's district.
pub async fn district_calendar(store: &Store, actor: &Actor) -> Result<Calendar> {
    let rows = sqlx::query(&format!(
        "SELECT year, days FROM complaint_calendars WHERE owner_id = {}",
        actor.owner_sql()
    ))
    .fetch_all(&store.pool)
    .await?;
    calendar_of(&rows)
}

pub(crate) async fn calendar_in(tx: &mut Tx, owner: i64) -> Result<Calendar> {
    let rows = sqlx::query(CALENDAR_SQL)
        .bind(owner)
        .fetch_all(&mut **tx)
        .await?;
    calendar_of(&rows)
}

/// Saves one year's arrangement for the actor's district (the office). A malformed text is
/// refused with the domain's key (field `days`; the domain error also names the line). The
/// dashboard counts are recounted, since deadlines move with the calendar.
pub async fn save_calendar(store: &Store, actor: &Actor, year: i32, text: &str) -> Result<()> {
    office_only(actor)?;
    let parsed =
        YearCalendar::parse(year, text).map_err(|e| StoreError::invalid("days", e.key()))?;
    let mut tx = store.begin().await?;
    let owner = super::owner_id(&mut tx, actor).await?;
    let canonical = parsed.to_text();
    sqlx::query(
        "INSERT INTO complaint_calendars (owner_id, year, days, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (owner_id, year) DO UPDATE SET days = excluded.days, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(owner)
    .bind(i64::from(year))
    .bind(&canonical)
    .bind(&actor.username)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.calendar",
            target_type: "complaint_calendar",
            target_id: &year.to_string(),
            before: json!(null),
            after: json!({"owner": owner, "days": canonical}),
        },
    )
    .await?;
    super::counts::recount_owner(&mut tx, owner).await?;
    tx.commit().await?;
    Ok(())
}

/// The text of a saved year, or the official one, or empty.
pub async fn calendar_text(store: &Store, actor: &Actor, year: i32) -> Result<String> {
    actor.require_internal()?;
    let row = sqlx::query(&format!(
        "SELECT days FROM complaint_calendars WHERE owner_id = {} AND year = $1",
        actor.owner_sql()
    ))
    .bind(i64::from(year))
    .fetch_optional(&store.pool)
    .await?;
    match row {
        Some(r) => Ok(r.try_get("days")?),
        None => Ok(String::new()),
    }
}

const CATALOGUE_SQL: &str =
    "SELECT categories, routes FROM complaint_catalogues WHERE owner_id = $1";

fn catalogue_of(row: Option<sqlx::any::AnyRow>) -> Result<Catalogue> {
    let Some(r) = row else {
        return Ok(Catalogue::default_catalogue());
    };
    let categories: String = r.try_get("categories")?;
    let routes: String = r.try_get("routes")?;
    let parsed = parse_categories(&categories).and_then(|c| Catalogue::parse(c, &routes));
    Ok(parsed.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "saved complaint catalogue no longer parses");
        Catalogue::default_catalogue()
    }))
}

/// The district's dispatch catalogue; the default one until the office saves its own.
pub async fn catalogue(store: &Store, actor: &Actor) -> Result<Catalogue> {
    let row = sqlx::query(&format!(
        "SELECT categories, routes FROM complaint_catalogues WHERE owner_id = {}",
        actor.owner_sql()
    ))
    .fetch_optional(&store.pool)
    .await?;
    catalogue_of(row)
}

pub(crate) async fn catalogue_in(tx: &mut Tx, owner: i64) -> Result<Catalogue> {
    let row = sqlx::query(CATALOGUE_SQL)
        .bind(owner)
        .fetch_optional(&mut **tx)
        .await?;
    catalogue_of(row)
}

/// Saves the district's catalogue: categories (`code,zh,en,sign,reply,close` lines) and
/// routes (`category,area,unit` lines). Refused with the domain's key when malformed, or with
/// `error-complaint-unit-unknown` when a route names a unit the district does not have.
/// Tickets keep the limits they were classified with.
pub async fn save_catalogue(
    store: &Store,
    actor: &Actor,
    categories: &str,
    routes: &str,
) -> Result<()> {
    office_only(actor)?;
    let cats =
        parse_categories(categories).map_err(|e| StoreError::invalid("categories", e.key()))?;
    // A catalogue without categories would send every ticket to triage: surely a mistake.
    if cats.is_empty() {
        return Err(StoreError::invalid("categories", "error-catalogue-empty"));
    }
    let cat = Catalogue::parse(cats, routes).map_err(|e| StoreError::invalid("routes", e.key()))?;
    let mut tx = store.begin().await?;
    let owner = super::owner_id(&mut tx, actor).await?;
    for r in cat.routes() {
        if super::district_unit(&mut tx, owner, &r.unit)
            .await?
            .is_none()
        {
            return Err(StoreError::invalid(
                "routes",
                "error-complaint-unit-unknown",
            ));
        }
    }
    let cats_text = categories_text(&cat.categories);
    sqlx::query(
        "INSERT INTO complaint_catalogues (owner_id, categories, routes, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (owner_id) DO UPDATE SET categories = excluded.categories, routes = excluded.routes, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(owner)
    .bind(&cats_text)
    .bind(routes.trim())
    .bind(&actor.username)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.catalogue",
            target_type: "complaint_catalogue",
            target_id: &owner.to_string(),
            before: json!(null),
            after: json!({"categories": cats_text, "routes": routes.trim()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets the district's residents for a year (the denominator of 每万人投诉量).
pub async fn set_population(store: &Store, actor: &Actor, year: i32, residents: i64) -> Result<()> {
    office_only(actor)?;
    if residents <= 0 {
        return Err(StoreError::invalid(
            "residents",
            "error-complaint-residents",
        ));
    }
    let mut tx = store.begin().await?;
    let owner = super::owner_id(&mut tx, actor).await?;
    sqlx::query(
        "INSERT INTO complaint_population (owner_id, year, residents, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (owner_id, year) DO UPDATE SET residents = excluded.residents, updated_at = excluded.updated_at",
    )
    .bind(owner)
    .bind(i64::from(year))
    .bind(residents)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.population",
            target_type: "complaint_population",
            target_id: &year.to_string(),
            before: json!(null),
            after: json!({"owner": owner, "residents": residents}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The residents of the actor's district in a year, when set.
pub async fn population(store: &Store, actor: &Actor, year: i32) -> Result<Option<i64>> {
    let row = sqlx::query(&format!(
        "SELECT residents FROM complaint_population WHERE owner_id = {} AND year = $1",
        actor.owner_sql()
    ))
    .bind(i64::from(year))
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.map(|r| r.try_get("residents")).transpose()?)
}

/// A social quality supervisor of the district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Supervisor {
    pub id: i64,
    pub name: String,
    /// The contact number, as given; pages mask it for all but the office.
    pub phone: String,
    /// The area (街道/乡镇) the supervisor watches over.
    pub area: String,
    pub appointment: Appointment,
    /// Whether a filing code was issued (only its hash is kept).
    pub has_code: bool,
    /// Observations filed (tickets of the `supervisor` channel).
    pub reports: i64,
}

/// Appoints a supervisor (the office); the term is checked by the domain. No filing code is
/// issued: see [`appoint`].
pub async fn appoint_supervisor(
    store: &Store,
    actor: &Actor,
    name: &str,
    phone: &str,
    appointment: &Appointment,
) -> Result<i64> {
    let input = NewSupervisor {
        name: name.to_string(),
        phone: phone.to_string(),
        area: String::new(),
        appointment: appointment.clone(),
    };
    insert_supervisor(store, actor, &input, "").await
}

/// A supervisor to appoint.
#[derive(Debug, Clone)]
pub struct NewSupervisor {
    pub name: String,
    pub phone: String,
    pub area: String,
    pub appointment: Appointment,
}

/// Appoints a supervisor and issues the filing code with which the supervisor files
/// observations without an account: (id, code). The code is shown once; only its hash is kept.
pub async fn appoint(store: &Store, actor: &Actor, new: &NewSupervisor) -> Result<(i64, String)> {
    let code = super::verification_code();
    let id = insert_supervisor(store, actor, new, &super::sha256_hex(&code)).await?;
    Ok((id, code))
}

async fn insert_supervisor(
    store: &Store,
    actor: &Actor,
    new: &NewSupervisor,
    code_hash: &str,
) -> Result<i64> {
    office_only(actor)?;
    let name = new.name.trim();
    if name.is_empty() {
        return Err(StoreError::invalid("name", "error-required"));
    }
    let appointment = &new.appointment;
    appointment
        .check()
        .map_err(|e| StoreError::invalid("term_ends", e.key()))?;
    let mut tx = store.begin().await?;
    let owner = super::owner_id(&mut tx, actor).await?;
    let now = now_text();
    let id: i64 = sqlx::query(
        "INSERT INTO complaint_supervisors (owner_id, name, phone, area, code_hash, appointed, term_ends, revoked, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, $8, $8) RETURNING id",
    )
    .bind(owner)
    .bind(name)
    .bind(new.phone.trim())
    .bind(new.area.trim())
    .bind(code_hash)
    .bind(appointment.appointed.to_string())
    .bind(appointment.term_ends.to_string())
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.supervisor_appoint",
            target_type: "complaint_supervisor",
            target_id: &id.to_string(),
            before: json!(null),
            after: json!({"name": name, "area": new.area.trim(), "appointed": appointment.appointed.to_string(), "term_ends": appointment.term_ends.to_string(), "code_issued": !code_hash.is_empty()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Issues a new filing code to one of the district's supervisors (the office), when the old
/// one was lost or never issued: the old code stops working. The new code is shown once.
pub async fn reissue_supervisor_code(store: &Store, actor: &Actor, id: i64) -> Result<String> {
    office_only(actor)?;
    let code = super::verification_code();
    let mut tx = store.begin().await?;
    let done = sqlx::query(&format!(
        "UPDATE complaint_supervisors SET code_hash = $1, updated_at = $2 WHERE id = $3 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(super::sha256_hex(&code))
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.supervisor_code",
            target_type: "complaint_supervisor",
            target_id: &id.to_string(),
            before: json!(null),
            after: json!({"code_issued": true}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(code)
}

/// A supervisor files an observation without an account: the district, the supervisor's
/// number and the filing code identify them. A wrong number or code is `NotFound` (nothing
/// tells which of the two was wrong); a supervisor out of office is refused with the domain's
/// key. The ticket is received on the supervisor channel as if the office had entered it, and
/// the audit trail names the supervisor.
pub async fn intake_as_supervisor(
    store: &Store,
    district: i64,
    id: i64,
    code: &str,
    new: &super::NewTicket,
    today: NaiveDate,
) -> Result<super::Received> {
    let code = code.trim().to_uppercase();
    let row =
        sqlx::query("SELECT code_hash FROM complaint_supervisors WHERE id = $1 AND owner_id = $2")
            .bind(id)
            .bind(district)
            .fetch_optional(&store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
    let hash: String = row.try_get("code_hash")?;
    if code.is_empty() || hash.is_empty() || hash != super::sha256_hex(&code) {
        return Err(StoreError::NotFound);
    }
    let supervisor = Actor {
        role: Some(Role::Office),
        unit_id: Some(district),
        owner_id: Some(district),
        ..Actor::system(&format!("supervisor-{id}"))
    };
    let filed = super::NewTicket {
        channel: Some(super::Channel::Supervisor),
        supervisor_id: Some(id),
        ..new.clone()
    };
    super::intake(store, &supervisor, &filed, today).await
}

/// Relieves a supervisor from `on` (the office).
pub async fn revoke_supervisor(store: &Store, actor: &Actor, id: i64, on: NaiveDate) -> Result<()> {
    office_only(actor)?;
    let mut tx = store.begin().await?;
    let done = sqlx::query(&format!(
        "UPDATE complaint_supervisors SET revoked = $1, updated_at = $2 WHERE id = $3 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(on.to_string())
    .bind(now_text())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if done.rows_affected() != 1 {
        return Err(StoreError::NotFound);
    }
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.supervisor_revoke",
            target_type: "complaint_supervisor",
            target_id: &id.to_string(),
            before: json!(null),
            after: json!({"revoked": on.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

const SUPERVISOR_SQL: &str = "SELECT s.id, s.name, s.phone, s.area, s.code_hash, s.appointed, s.term_ends, s.revoked, \
     (SELECT COUNT(*) FROM complaint_tickets t WHERE t.supervisor_id = s.id AND t.channel = 'supervisor') AS reports \
     FROM complaint_supervisors s";

fn supervisor_of(r: &sqlx::any::AnyRow) -> Result<Supervisor> {
    let revoked: Option<String> = r.try_get("revoked")?;
    let hash: String = r.try_get("code_hash")?;
    Ok(Supervisor {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        area: r.try_get("area")?,
        appointment: Appointment {
            appointed: crate::parse_column(r, "appointed")?,
            term_ends: crate::parse_column(r, "term_ends")?,
            revoked: revoked.and_then(|d| d.parse().ok()),
        },
        has_code: !hash.is_empty(),
        reports: r.try_get("reports")?,
    })
}

/// The district's supervisors with their report counts (observations filed on the
/// supervisor channel).
pub async fn supervisors(store: &Store, actor: &Actor) -> Result<Vec<Supervisor>> {
    actor.require_internal()?;
    let rows = sqlx::query(&format!(
        "{SUPERVISOR_SQL} WHERE s.owner_id = {} ORDER BY s.id",
        actor.owner_sql()
    ))
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(supervisor_of).collect()
}

/// One of the district's supervisors; another district's is `NotFound`.
pub async fn supervisor(store: &Store, actor: &Actor, id: i64) -> Result<Supervisor> {
    actor.require_internal()?;
    let row = sqlx::query(&format!(
        "{SUPERVISOR_SQL} WHERE s.id = $1 AND s.owner_id = {}",
        actor.owner_sql()
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    supervisor_of(&row)
}

/// A supervisor filing an observation must be the district's and in office that day.
pub(crate) async fn check_supervisor(
    tx: &mut Tx,
    owner: i64,
    id: Option<i64>,
    on: NaiveDate,
) -> Result<()> {
    let Some(id) = id else {
        return Err(StoreError::invalid("supervisor", "error-required"));
    };
    let r = sqlx::query(
        "SELECT appointed, term_ends, revoked FROM complaint_supervisors WHERE id = $1 AND owner_id = $2",
    )
    .bind(id)
    .bind(owner)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| StoreError::invalid("supervisor", "error-supervisor-unknown"))?;
    let revoked: Option<String> = r.try_get("revoked")?;
    let a = Appointment {
        appointed: crate::parse_column(&r, "appointed")?,
        term_ends: crate::parse_column(&r, "term_ends")?,
        revoked: revoked.and_then(|d| d.parse().ok()),
    };
    a.may_file(on)
        .map_err(|e| StoreError::invalid("supervisor", e.key()))
}

/// A quality dispute case (质量仲裁检验, 质量鉴定).
#[derive(Debug, Clone, PartialEq)]
pub struct Dispute {
    pub id: i64,
    pub kind: CaseKind,
    pub status: CaseStatus,
    pub applicant: String,
    pub respondent: String,
    pub subject: String,
    pub filed_on: NaiveDate,
    pub accepted_on: Option<NaiveDate>,
    /// The day of the conclusion, or of the decline.
    pub concluded_on: Option<NaiveDate>,
    pub body: String,
    pub conclusion: String,
    /// Why it was declined.
    pub reason: String,
    pub compensation_fen: Option<i64>,
    pub row_version: i64,
    /// The decision on acceptance, counted from filing.
    pub accept_deadline: Outcome,
    /// The conclusion, counted from acceptance.
    pub conclude_deadline: Outcome,
}

/// Files a case (the office, on the party's application).
pub async fn file_dispute(
    store: &Store,
    actor: &Actor,
    kind: CaseKind,
    applicant: &str,
    respondent: &str,
    subject: &str,
    filed_on: NaiveDate,
) -> Result<i64> {
    office_only(actor)?;
    if applicant.trim().is_empty() {
        return Err(StoreError::invalid("applicant", "error-required"));
    }
    if subject.trim().is_empty() {
        return Err(StoreError::invalid("subject", "error-required"));
    }
    let mut tx = store.begin().await?;
    let owner = super::owner_id(&mut tx, actor).await?;
    let now = now_text();
    let id: i64 = sqlx::query(
        "INSERT INTO complaint_disputes (owner_id, kind, status, applicant, respondent, subject, filed_on, created_at, updated_at) \
         VALUES ($1, $2, 'filed', $3, $4, $5, $6, $7, $7) RETURNING id",
    )
    .bind(owner)
    .bind(kind.code())
    .bind(applicant.trim())
    .bind(respondent.trim())
    .bind(subject.trim())
    .bind(filed_on.to_string())
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.dispute_file",
            target_type: "complaint_dispute",
            target_id: &id.to_string(),
            before: json!(null),
            after: json!({"kind": kind.code(), "subject": subject.trim(), "filed_on": filed_on.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Moves a case through `disputes::apply_case` (the office). `row_version` is the version the
/// office saw; a changed case is `Conflict("row_version")`.
pub async fn act_dispute(
    store: &Store,
    actor: &Actor,
    id: i64,
    row_version: i64,
    event: &CaseEvent,
    today: NaiveDate,
) -> Result<CaseStatus> {
    office_only(actor)?;
    let mut tx = store.begin().await?;
    let r = sqlx::query(&format!(
        "SELECT status, row_version FROM complaint_disputes WHERE id = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let status: CaseStatus = code_column(&r, "status")?;
    if r.try_get::<i64, _>("row_version")? != row_version {
        return Err(StoreError::Conflict("row_version".into()));
    }
    let next = apply_case(status, event).map_err(|e| match e {
        qcity_domain::complaints::disputes::CaseError::NotAllowed(_) => {
            StoreError::Conflict(e.key().to_string())
        }
        _ => StoreError::invalid("event", e.key()),
    })?;
    let (text, fen) = match event {
        CaseEvent::Decline { reason } => (reason.trim().to_string(), None),
        CaseEvent::Examine { body } => (body.trim().to_string(), None),
        CaseEvent::Conclude {
            conclusion,
            compensation_fen,
        } => (conclusion.trim().to_string(), *compensation_fen),
        _ => (String::new(), None),
    };
    // Each event writes its own fields; a decline is dated in `concluded_on` (the case ends).
    let set = match event {
        CaseEvent::Accept => ", accepted_on = $3",
        CaseEvent::Decline { .. } => ", concluded_on = $3, reason = $4",
        CaseEvent::Examine { .. } => ", body = $3",
        CaseEvent::Conclude { .. } => ", concluded_on = $3, conclusion = $4, compensation_fen = $5",
        CaseEvent::Close | CaseEvent::Withdraw => "",
    };
    let sql = format!(
        "UPDATE complaint_disputes SET status = $1, row_version = row_version + 1, updated_at = $2{set} WHERE id = {id}"
    );
    let q = sqlx::query(&sql).bind(next.code()).bind(now_text());
    let q = match event {
        CaseEvent::Accept => q.bind(today.to_string()),
        CaseEvent::Close | CaseEvent::Withdraw => q,
        CaseEvent::Decline { .. } => q.bind(today.to_string()).bind(&text),
        CaseEvent::Examine { .. } => q.bind(&text),
        CaseEvent::Conclude { .. } => q.bind(today.to_string()).bind(&text).bind(fen),
    };
    q.execute(&mut *tx).await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "complaint.dispute",
            target_type: "complaint_dispute",
            target_id: &id.to_string(),
            before: json!({"status": status.code()}),
            after: json!({"status": next.code(), "text": text, "compensation_fen": fen, "on": today.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(next)
}

/// The district's cases with their deadlines as of `today`.
pub async fn disputes(store: &Store, actor: &Actor, today: NaiveDate) -> Result<Vec<Dispute>> {
    disputes_of(store, actor, today, None).await
}

/// One of the district's cases; another district's is `NotFound`.
pub async fn dispute(store: &Store, actor: &Actor, id: i64, today: NaiveDate) -> Result<Dispute> {
    disputes_of(store, actor, today, Some(id))
        .await?
        .pop()
        .ok_or(StoreError::NotFound)
}

/// One step of a case as the audit trail recorded it.
#[derive(Debug, Clone, PartialEq)]
pub struct DisputeStep {
    /// The business date of the step (the filing date for the filing).
    pub on: String,
    pub actor: String,
    /// The status the step led to.
    pub status: Option<CaseStatus>,
    /// The reason, examining body or conclusion the step carried.
    pub text: String,
    pub compensation_fen: Option<i64>,
}

/// The steps of one of the district's cases, oldest first, read from the audit trail (every
/// filing and `act_dispute` writes one record there).
pub async fn dispute_steps(store: &Store, actor: &Actor, id: i64) -> Result<Vec<DisputeStep>> {
    actor.require_internal()?;
    let mine = sqlx::query(&format!(
        "SELECT id FROM complaint_disputes WHERE id = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?;
    if mine.is_none() {
        return Err(StoreError::NotFound);
    }
    let rows = sqlx::query(
        "SELECT action, actor, after_json FROM audit_log WHERE target_type = 'complaint_dispute' AND target_id = $1 \
         AND action IN ('complaint.dispute_file', 'complaint.dispute') ORDER BY seq",
    )
    .bind(id.to_string())
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let action: String = r.try_get("action")?;
            let after: String = r.try_get("after_json")?;
            let after: serde_json::Value = serde_json::from_str(&after).unwrap_or_default();
            let text_of = |k: &str| after[k].as_str().unwrap_or_default().to_string();
            Ok(DisputeStep {
                on: if action == "complaint.dispute_file" {
                    text_of("filed_on")
                } else {
                    text_of("on")
                },
                actor: r.try_get("actor")?,
                status: if action == "complaint.dispute_file" {
                    Some(CaseStatus::Filed)
                } else {
                    CaseStatus::parse(&text_of("status"))
                },
                text: text_of("text"),
                compensation_fen: after["compensation_fen"].as_i64(),
            })
        })
        .collect()
}

async fn disputes_of(
    store: &Store,
    actor: &Actor,
    today: NaiveDate,
    only: Option<i64>,
) -> Result<Vec<Dispute>> {
    actor.require_internal()?;
    let mut tx = store.begin().await?;
    let owner = super::owner_id(&mut tx, actor).await?;
    let cal = calendar_in(&mut tx, owner).await?;
    // `only` is an i64 from the caller, never text: safe to write into the SQL.
    let one = only.map(|id| format!(" AND id = {id}")).unwrap_or_default();
    let rows = sqlx::query(&format!(
        "SELECT id, kind, status, applicant, respondent, subject, filed_on, accepted_on, concluded_on, body, conclusion, \
         compensation_fen, reason, row_version FROM complaint_disputes WHERE owner_id = $1{one} ORDER BY filed_on, id"
    ))
    .bind(owner)
    .fetch_all(&mut *tx)
    .await?;
    tx.commit().await?;
    let limits = CaseLimits::default();
    let opt_date = |r: &sqlx::any::AnyRow, c: &str| -> Result<Option<NaiveDate>> {
        let v: Option<String> = r.try_get(c)?;
        Ok(v.and_then(|d| d.parse().ok()))
    };
    rows.iter()
        .map(|r| {
            let status: CaseStatus = code_column(r, "status")?;
            let filed_on: NaiveDate = crate::parse_column(r, "filed_on")?;
            let accepted_on = opt_date(r, "accepted_on")?;
            let concluded_on = opt_date(r, "concluded_on")?;
            // A decline decides on acceptance as much as an acceptance does.
            let decided = accepted_on.or(concluded_on.filter(|_| status == CaseStatus::Declined));
            Ok(Dispute {
                id: r.try_get("id")?,
                kind: code_column(r, "kind")?,
                status,
                applicant: r.try_get("applicant")?,
                respondent: r.try_get("respondent")?,
                subject: r.try_get("subject")?,
                filed_on,
                accepted_on,
                concluded_on,
                body: r.try_get("body")?,
                conclusion: r.try_get("conclusion")?,
                reason: r.try_get("reason")?,
                compensation_fen: r.try_get("compensation_fen")?,
                row_version: r.try_get("row_version")?,
                accept_deadline: deadline_outcome(
                    &cal,
                    Some(filed_on),
                    limits.accept,
                    decided,
                    today,
                ),
                conclude_deadline: if status == CaseStatus::Withdrawn {
                    Outcome::NotStarted
                } else {
                    deadline_outcome(&cal, accepted_on, limits.conclude, concluded_on, today)
                },
            })
        })
        .collect()
}
