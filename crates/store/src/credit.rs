//! Enterprise quality credit: the credit file (dated events with source and evidence), the
//! grade computed by the rule set in force (stored as data, the shipped default until the
//! office saves its own), and the blacklist with its whole life kept.

use crate::audit::{self, Change};
use crate::enterprises::{Whose, require_reader, require_writer};
use crate::evidence::{self, Checked};
use crate::schema::{JobSpec, MeasureImpl, Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, now_text};
use chrono::NaiveDate;
use qcity_domain::credit::{
    self, Event, EventKind, Grading, Listing, ListingAction, ListingState, RuleSet,
};
use qcity_domain::registry::CodeList;
use qcity_domain::target::Lang;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::HashMap;

/// One event of a credit file.
#[derive(Debug, Clone, Serialize)]
pub struct CreditEvent {
    pub id: i64,
    pub enterprise_id: i64,
    pub kind: EventKind,
    pub occurred_on: String,
    pub serious: bool,
    pub summary: String,
    /// `manual` or the registry it came from (`sampling`).
    pub source: String,
    pub source_ref: Option<String>,
    pub unit: Option<String>,
    pub evidence_sha256: Option<String>,
    pub evidence_filename: Option<String>,
    pub recorded_by: String,
    pub withdrawn_at: Option<String>,
    pub withdrawn_reason: Option<String>,
}

impl CreditEvent {
    fn event(&self) -> Option<Event> {
        let date = NaiveDate::parse_from_str(&self.occurred_on, "%Y-%m-%d").ok()?;
        Some(Event {
            kind: self.kind,
            date,
            serious: self.serious,
        })
    }
}

const SELECT_EVENTS: &str = "SELECT c.id, c.enterprise_id, c.kind, c.occurred_on, c.serious, c.summary, c.source, c.source_ref, \
    u.name AS unit_name, c.evidence_sha256, c.evidence_filename, c.recorded_by, c.withdrawn_at, c.withdrawn_reason \
    FROM credit_events c LEFT JOIN org_units u ON u.id = c.unit_id";

fn event_from_row(r: &sqlx::any::AnyRow) -> Result<CreditEvent> {
    Ok(CreditEvent {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        kind: crate::code_column(r, "kind")?,
        occurred_on: r.try_get("occurred_on")?,
        serious: r.try_get::<i64, _>("serious")? != 0,
        summary: r.try_get("summary")?,
        source: r.try_get("source")?,
        source_ref: r.try_get("source_ref")?,
        unit: r.try_get("unit_name")?,
        evidence_sha256: r.try_get("evidence_sha256")?,
        evidence_filename: r.try_get("evidence_filename")?,
        recorded_by: r.try_get("recorded_by")?,
        withdrawn_at: r.try_get("withdrawn_at")?,
        withdrawn_reason: r.try_get("withdrawn_reason")?,
    })
}

/// An enterprise's credit file in the registers `whose` covers, newest first (withdrawn
/// events included, marked).
pub async fn events(
    store: &Store,
    whose: Whose<'_>,
    enterprise_id: i64,
) -> Result<Vec<CreditEvent>> {
    let rows = sqlx::query(&format!(
        "{SELECT_EVENTS} WHERE c.enterprise_id = $1 AND {} ORDER BY c.occurred_on DESC, c.id DESC",
        whose.sql("c.owner_id")
    ))
    .bind(enterprise_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(event_from_row).collect()
}

/// The evidence file of an event in an enterprise's credit file: (file name, mime, bytes).
/// Only through the event, so a file is reachable only where its record is visible.
pub async fn event_evidence(
    store: &Store,
    actor: &Actor,
    enterprise_id: i64,
    event_id: i64,
) -> Result<(String, String, Vec<u8>)> {
    require_reader(actor)?;
    actor.require_internal()?;
    let row = sqlx::query(&format!(
        "SELECT c.evidence_filename, e.mime, e.sha256, e.stored, e.data FROM credit_events c JOIN evidence_files e ON e.sha256 = c.evidence_sha256 \
         WHERE c.id = $1 AND c.enterprise_id = $2 AND {}",
        Whose::Actor(actor).sql("c.owner_id")
    ))
    .bind(event_id)
    .bind(enterprise_id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((
        row.try_get::<Option<String>, _>("evidence_filename")?
            .unwrap_or_default(),
        row.try_get("mime")?,
        crate::evidence::content(store, &row).await?,
    ))
}

/// A new event recorded by hand.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub kind: EventKind,
    pub occurred_on: NaiveDate,
    pub serious: bool,
    pub summary: String,
}

/// Adds an event to a credit file, with at most one evidence file.
pub async fn add_event(
    store: &Store,
    actor: &Actor,
    enterprise_id: i64,
    e: &NewEvent,
    files: &[Checked<'_>],
    today: NaiveDate,
) -> Result<i64> {
    require_writer(store, actor, "credit").await?;
    let summary = e.summary.trim();
    if summary.is_empty() || summary.chars().count() > 500 {
        return Err(StoreError::invalid("summary", "error-credit-summary"));
    }
    if e.occurred_on > today {
        return Err(StoreError::invalid("occurred_on", "error-date-in-future"));
    }
    // Another district's enterprise is not found, before any file is kept.
    let enterprise = crate::enterprises::get(store, actor, enterprise_id).await?;
    let code = enterprise.code;
    evidence::upload(store, files).await?;
    let mut tx = store.begin().await?;
    evidence::store(store, &mut tx, files).await?;
    let file = files.first();
    let id: i64 = sqlx::query(
        "INSERT INTO credit_events (enterprise_id, kind, occurred_on, serious, summary, source, unit_id, evidence_sha256, evidence_filename, recorded_by, recorded_at, owner_id) \
         VALUES ($1, $2, $3, $4, $5, 'manual', $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(enterprise_id)
    .bind(e.kind.code())
    .bind(e.occurred_on.to_string())
    .bind(i64::from(e.serious))
    .bind(summary)
    .bind(actor.unit_id)
    .bind(file.map(|f| f.sha256.clone()))
    .bind(file.map(|f| f.filename.to_string()))
    .bind(&actor.username)
    .bind(now_text())
    .bind(enterprise.owner_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "credit.event",
            target_type: "enterprise",
            target_id: &code,
            before: json!(null),
            after: json!({ "event": id, "kind": e.kind.code(), "occurred_on": e.occurred_on.to_string(),
                "serious": e.serious, "summary": summary, "evidence": file.map(|f| f.sha256.clone()) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Withdraws a manual event (kept in the file, no longer counted). Events from another
/// registry follow their record and cannot be withdrawn here.
pub async fn withdraw_event(
    store: &Store,
    actor: &Actor,
    event_id: i64,
    reason: &str,
) -> Result<()> {
    require_writer(store, actor, "credit").await?;
    if reason.trim().is_empty() {
        return Err(StoreError::invalid("reason", "error-withdraw-reason"));
    }
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "{SELECT_EVENTS} WHERE c.id = $1 AND {}",
        Whose::Actor(actor).sql("c.owner_id")
    ))
    .bind(event_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let ev = event_from_row(&row)?;
    if ev.source != "manual" {
        return Err(StoreError::Conflict(
            "error-credit-event-from-registry".into(),
        ));
    }
    if ev.withdrawn_at.is_some() {
        return Err(StoreError::Conflict("error-credit-event-withdrawn".into()));
    }
    sqlx::query("UPDATE credit_events SET withdrawn_at = $1, withdrawn_reason = $2 WHERE id = $3")
        .bind(now_text())
        .bind(reason.trim())
        .bind(event_id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "credit.event_withdraw",
            target_type: "credit_event",
            target_id: &event_id.to_string(),
            before: json!({ "summary": ev.summary }),
            after: json!({ "withdrawn_reason": reason.trim() }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The rule set in force and when/who saved it (`None`: the shipped default).
pub async fn rules(store: &Store) -> Result<(RuleSet, Option<(String, String)>)> {
    let row =
        sqlx::query("SELECT body, saved_by, saved_at FROM credit_rules ORDER BY id DESC LIMIT 1")
            .fetch_optional(&store.pool)
            .await?;
    if let Some(r) = row {
        let body: String = r.try_get("body")?;
        if let Some(rules) = crate::stored_rules::<RuleSet>(&body) {
            return Ok((
                rules,
                Some((r.try_get("saved_by")?, r.try_get("saved_at")?)),
            ));
        }
    }
    Ok((RuleSet::default_rules(), None))
}

/// The TOML text of the rule set in force.
pub async fn rules_text(store: &Store) -> Result<String> {
    let row = sqlx::query("SELECT body FROM credit_rules ORDER BY id DESC LIMIT 1")
        .fetch_optional(&store.pool)
        .await?;
    Ok(match row {
        Some(r) => r.try_get("body")?,
        None => credit::DEFAULT_RULES_TOML.to_string(),
    })
}

/// Saves a new rule set after checking it; the problems are returned in both languages.
pub async fn save_rules(
    store: &Store,
    actor: &Actor,
    body: &str,
) -> Result<std::result::Result<(), Vec<qcity_domain::plan::Diagnostic>>> {
    actor.require_admin()?;
    if let Err(problems) = RuleSet::load(body) {
        return Ok(Err(problems));
    }
    let mut tx = store.begin().await?;
    sqlx::query("INSERT INTO credit_rules (body, saved_by, saved_at) VALUES ($1, $2, $3)")
        .bind(body)
        .bind(&actor.username)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "credit.rules",
            target_type: "credit_rules",
            target_id: "rules",
            before: json!(null),
            after: json!({ "body": body }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// An enterprise's grade as of a day, with its reasons, from the registers `whose` covers.
pub async fn grading(
    store: &Store,
    whose: Whose<'_>,
    enterprise_id: i64,
    as_of: NaiveDate,
) -> Result<Grading> {
    let (rules, _) = rules(store).await?;
    let evs: Vec<Event> = events(store, whose, enterprise_id)
        .await?
        .iter()
        .filter(|e| e.withdrawn_at.is_none())
        .filter_map(CreditEvent::event)
        .collect();
    let listed = current_listing(store, whose, enterprise_id)
        .await?
        .is_some_and(|l| l.state.is_public());
    Ok(rules.grade(&evs, listed, as_of))
}

/// Grades for many enterprises at once (a list page), by id.
pub async fn grades(
    store: &Store,
    ids: &[i64],
    as_of: NaiveDate,
) -> Result<HashMap<i64, credit::Grade>> {
    let mut out = HashMap::new();
    if ids.is_empty() {
        return Ok(out);
    }
    let (rules, _) = rules(store).await?;
    let list = ids
        .iter()
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let rows = sqlx::query(&format!(
        "SELECT enterprise_id, kind, occurred_on, serious FROM credit_events WHERE withdrawn_at IS NULL AND enterprise_id IN ({list})"
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut by: HashMap<i64, Vec<Event>> = HashMap::new();
    for r in rows {
        let kind: EventKind = crate::code_column(&r, "kind")?;
        let date: String = r.try_get("occurred_on")?;
        if let Ok(date) = NaiveDate::parse_from_str(&date, "%Y-%m-%d") {
            by.entry(r.try_get("enterprise_id")?)
                .or_default()
                .push(Event {
                    kind,
                    date,
                    serious: r.try_get::<i64, _>("serious")? != 0,
                });
        }
    }
    let listed_rows = sqlx::query(&format!(
        "SELECT DISTINCT enterprise_id FROM blacklist WHERE state IN ('listed', 'repair_requested') AND enterprise_id IN ({list})"
    ))
    .fetch_all(&store.pool)
    .await?;
    let listed: Vec<i64> = listed_rows
        .iter()
        .map(|r| r.try_get("enterprise_id"))
        .collect::<std::result::Result<_, _>>()?;
    for id in ids {
        let evs = by.remove(id).unwrap_or_default();
        out.insert(*id, rules.grade(&evs, listed.contains(id), as_of).grade);
    }
    Ok(out)
}

/// A blacklist listing with its enterprise.
#[derive(Debug, Clone, Serialize)]
pub struct ListingRecord {
    pub id: i64,
    pub enterprise_id: i64,
    pub enterprise_code: String,
    pub enterprise_name: String,
    pub state: ListingState,
    pub reason: String,
    pub proposed_by: String,
    pub proposed_on: String,
    pub listed_on: Option<String>,
    pub until: Option<String>,
    pub row_version: i64,
    /// The district whose register holds it, and its name.
    pub owner_id: i64,
    pub district: String,
}

impl ListingRecord {
    fn listing(&self) -> Listing {
        let d = |s: &Option<String>| {
            s.as_deref()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        };
        Listing {
            state: self.state,
            listed_on: d(&self.listed_on),
            until: d(&self.until),
        }
    }
}

const SELECT_LISTINGS: &str = "SELECT b.id, b.enterprise_id, e.code, e.name, b.state, b.reason, b.proposed_by, b.proposed_on, b.listed_on, b.until_on, b.row_version, \
    b.owner_id, COALESCE(dst.name, '') AS district_name \
    FROM blacklist b JOIN enterprises e ON e.id = b.enterprise_id LEFT JOIN org_units dst ON dst.id = b.owner_id";

fn listing_from_row(r: &sqlx::any::AnyRow) -> Result<ListingRecord> {
    Ok(ListingRecord {
        id: r.try_get("id")?,
        enterprise_id: r.try_get("enterprise_id")?,
        enterprise_code: r.try_get("code")?,
        enterprise_name: r.try_get("name")?,
        state: crate::code_column(r, "state")?,
        reason: r.try_get("reason")?,
        proposed_by: r.try_get("proposed_by")?,
        proposed_on: r.try_get("proposed_on")?,
        listed_on: r.try_get("listed_on")?,
        until: r.try_get("until_on")?,
        row_version: r.try_get("row_version")?,
        owner_id: r.try_get("owner_id")?,
        district: r.try_get("district_name")?,
    })
}

/// The listing still in play for an enterprise (not final) in the registers `whose` covers.
pub async fn current_listing(
    store: &Store,
    whose: Whose<'_>,
    enterprise_id: i64,
) -> Result<Option<ListingRecord>> {
    let row = sqlx::query(&format!(
        "{SELECT_LISTINGS} WHERE b.enterprise_id = $1 AND {} AND b.state IN ('proposed', 'listed', 'repair_requested') ORDER BY b.id DESC LIMIT 1",
        whose.sql("b.owner_id")
    ))
    .bind(enterprise_id)
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(listing_from_row).transpose()
}

/// Every listing of an enterprise in the registers `whose` covers, newest first.
pub async fn enterprise_listings(
    store: &Store,
    whose: Whose<'_>,
    enterprise_id: i64,
) -> Result<Vec<ListingRecord>> {
    let rows = sqlx::query(&format!(
        "{SELECT_LISTINGS} WHERE b.enterprise_id = $1 AND {} ORDER BY b.id DESC",
        whose.sql("b.owner_id")
    ))
    .bind(enterprise_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter().map(listing_from_row).collect()
}

/// Listings of the registers `whose` covers in the given states (all when empty), newest first.
pub async fn listings(
    store: &Store,
    whose: Whose<'_>,
    states: &[ListingState],
) -> Result<Vec<ListingRecord>> {
    let rows = sqlx::query(&format!(
        "{SELECT_LISTINGS} WHERE {} ORDER BY b.id DESC",
        whose.sql("b.owner_id")
    ))
    .fetch_all(&store.pool)
    .await?;
    Ok(rows
        .iter()
        .map(listing_from_row)
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .filter(|l| states.is_empty() || states.contains(&l.state))
        .collect())
}

/// The states of a published listing (what the public portal shows).
pub const PUBLISHED: &[ListingState] = &[ListingState::Listed, ListingState::RepairRequested];

/// The published blacklist of the registers `whose` covers (what the public portal shows).
pub async fn published(store: &Store, whose: Whose<'_>) -> Result<Vec<ListingRecord>> {
    listings(store, whose, PUBLISHED).await
}

/// One step in a listing's life.
#[derive(Debug, Clone, Serialize)]
pub struct ListingStep {
    pub action: String,
    pub state: ListingState,
    pub comment: String,
    pub actor: String,
    pub at: String,
}

/// A listing's whole life, oldest first.
pub async fn listing_history(store: &Store, listing_id: i64) -> Result<Vec<ListingStep>> {
    let rows = sqlx::query(
        "SELECT action, state, comment, actor, at FROM blacklist_history WHERE listing_id = $1 ORDER BY id",
    )
    .bind(listing_id)
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ListingStep {
                action: r.try_get("action")?,
                state: crate::code_column(r, "state")?,
                comment: r.try_get("comment")?,
                actor: r.try_get("actor")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Proposes listing an enterprise (by hand, or because the rules propose it).
pub async fn propose(
    store: &Store,
    actor: &Actor,
    enterprise_id: i64,
    reason: &str,
    on: NaiveDate,
) -> Result<i64> {
    require_writer(store, actor, "credit").await?;
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(StoreError::invalid("reason", "error-blacklist-reason"));
    }
    let mut tx = store.begin().await?;
    let enterprise = crate::enterprises::get_in(&mut tx, actor, enterprise_id).await?;
    let code = enterprise.code;
    let open = sqlx::query(
        "SELECT id FROM blacklist WHERE enterprise_id = $1 AND state IN ('proposed', 'listed', 'repair_requested')",
    )
    .bind(enterprise_id)
    .fetch_optional(&mut *tx)
    .await?;
    if open.is_some() {
        return Err(StoreError::Conflict("error-blacklist-open".into()));
    }
    let id: i64 = sqlx::query(
        "INSERT INTO blacklist (enterprise_id, state, reason, proposed_by, proposed_on, owner_id) VALUES ($1, 'proposed', $2, $3, $4, $5) RETURNING id",
    )
    .bind(enterprise_id)
    .bind(reason)
    .bind(&actor.username)
    .bind(on.to_string())
    .bind(enterprise.owner_id)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    step(
        &mut tx,
        id,
        "propose",
        ListingState::Proposed,
        reason,
        actor,
        on,
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "blacklist.propose",
            target_type: "enterprise",
            target_id: &code,
            before: json!(null),
            after: json!({ "listing": id, "reason": reason }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// One step of a listing's life, dated on the business date it took effect (the audit trail
/// keeps the real time).
async fn step(
    tx: &mut crate::Tx,
    listing_id: i64,
    action: &str,
    state: ListingState,
    comment: &str,
    actor: &Actor,
    on: NaiveDate,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO blacklist_history (listing_id, action, state, comment, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(listing_id)
    .bind(action)
    .bind(state.code())
    .bind(comment)
    .bind(&actor.username)
    .bind(on.to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Applies an action to a listing. The office decides (approve, reject, repair decisions,
/// expiry); a credit-registry unit may file a repair request on the enterprise's behalf.
pub async fn act(
    store: &Store,
    actor: &Actor,
    listing_id: i64,
    row_version: i64,
    action: ListingAction,
    comment: &str,
    on: NaiveDate,
) -> Result<std::result::Result<ListingState, credit::TransitionError>> {
    match action {
        ListingAction::RequestRepair => require_writer(store, actor, "credit").await?,
        _ => actor.require_admin()?,
    }
    let comment = comment.trim();
    if comment.chars().count() > 1000 {
        return Err(StoreError::invalid("comment", "error-text-too-long"));
    }
    if comment.is_empty()
        && matches!(
            action,
            ListingAction::Reject | ListingAction::RequestRepair | ListingAction::RefuseRepair
        )
    {
        return Err(StoreError::invalid("comment", "error-blacklist-comment"));
    }
    let (rules, _) = rules(store).await?;
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "{SELECT_LISTINGS} WHERE b.id = $1 AND {}",
        Whose::Actor(actor).sql("b.owner_id")
    ))
    .bind(listing_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let rec = listing_from_row(&row)?;
    if rec.row_version != row_version {
        return Err(StoreError::Conflict("error-stale-edit".into()));
    }
    if action == ListingAction::Approve {
        crate::approvals::require_second_person(
            store,
            qcity_domain::approval::Kind::CreditListing,
            &rec.proposed_by,
            actor,
        )
        .await?;
    }
    let next = match credit::apply(&rules, &rec.listing(), action, on) {
        Ok(n) => n,
        Err(e) => return Ok(Err(e)),
    };
    sqlx::query(
        "UPDATE blacklist SET state = $1, listed_on = $2, until_on = $3, row_version = row_version + 1 WHERE id = $4",
    )
    .bind(next.state.code())
    .bind(next.listed_on.map(|d| d.to_string()))
    .bind(next.until.map(|d| d.to_string()))
    .bind(listing_id)
    .execute(&mut *tx)
    .await?;
    step(
        &mut tx,
        listing_id,
        action.code(),
        next.state,
        comment,
        actor,
        on,
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "blacklist.act",
            target_type: "enterprise",
            target_id: &rec.enterprise_code,
            before: json!({ "listing": listing_id, "state": rec.state.code() }),
            after: json!({ "listing": listing_id, "action": action.code(), "state": next.state.code(), "comment": comment,
                "listed_on": next.listed_on.map(|d| d.to_string()), "until": next.until.map(|d| d.to_string()) }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(next.state))
}

/// Ends listings whose term has run (called by the hourly supervisor and `qcity supervise`).
pub async fn expire_due(store: &Store, today: NaiveDate) -> Result<usize> {
    let due = sqlx::query(&format!(
        "{SELECT_LISTINGS} WHERE b.state IN ('listed', 'repair_requested') AND b.until_on <= $1"
    ))
    .bind(today.to_string())
    .fetch_all(&store.pool)
    .await?;
    let mut n = 0;
    for r in &due {
        let rec = listing_from_row(r)?;
        // Every district's listings end at term, each acted on in its own district's register.
        let actor = Actor {
            owner_id: Some(rec.owner_id),
            ..Actor::system("supervisor")
        };
        if let Ok(Ok(_)) = act(
            store,
            &actor,
            rec.id,
            rec.row_version,
            ListingAction::Expire,
            "期满移出 / term ended",
            today,
        )
        .await
        {
            n += 1;
        }
    }
    Ok(n)
}

/// Whether the rules propose listing this enterprise now, and why.
pub async fn proposal(
    store: &Store,
    actor: &Actor,
    enterprise_id: i64,
    as_of: NaiveDate,
) -> Result<Option<credit::Reason>> {
    require_reader(actor)?;
    let (rules, _) = rules(store).await?;
    let evs: Vec<Event> = events(store, Whose::Actor(actor), enterprise_id)
        .await?
        .iter()
        .filter(|e| e.withdrawn_at.is_none())
        .filter_map(CreditEvent::event)
        .collect();
    Ok(rules.blacklist_proposal(&evs, as_of))
}

/// A message for a transition error in a language.
pub fn transition_message(e: &credit::TransitionError, lang: Lang) -> String {
    e.message(lang)
}

/// Enterprises, licences, quality credit and the blacklist. Its migration (version 5, written
/// before modules had their own) also created the sampling module's tables.
pub const SCHEMA: Schema = Schema {
    slug: "enterprises",
    migrations: &[
        Migration {
            version: 5,
            name: "enterprises, quality credit, supervision sampling",
            sql: include_str!("../migrations/0005_enterprises_registers.sql"),
        },
        Migration {
            version: 2026120631,
            name: "enterprises: search tokens",
            sql: include_str!("../migrations/2026120631_enterprise_search.sql"),
        },
        Migration {
            version: 2026120634,
            name: "licence expiry steps reported in the daily digest",
            sql: include_str!("../migrations/2026120634_enterprises_licence_alert_steps.sql"),
        },
        Migration {
            version: 2026120664,
            name: "enterprises, credit, licences and sampling kept per district",
            sql: include_str!("../migrations/2026120664_enterprises_districts.sql"),
        },
        Migration {
            version: 2026120682,
            name: "enterprises: the record rate counted from an index",
            sql: include_str!("../migrations/2026120682_enterprises_record_rate.sql"),
        },
        Migration {
            version: 2026120686,
            name: "enterprises: the towns and industries a register's filters offer",
            sql: include_str!("../migrations/2026120686_enterprises_choices.sql"),
        },
    ],
    tables: &[
        Table::by_id("enterprises"),
        Table::by_key("code_overrides"),
        Table::by_id("licences"),
        Table::by_key("licence_alert_steps"),
        Table::by_id("credit_events"),
        Table::by_id("credit_rules"),
        Table::by_id("blacklist"),
        Table::by_id("blacklist_history"),
        Table::by_key("registry_owners"),
    ],
    jobs: &[
        JobSpec {
            name: "licence-expiry-alerts",
            run: |store, ctx| {
                Box::pin(async move {
                    let n = crate::enterprises::licence_alerts(store, ctx.today).await?;
                    Ok(if n == 0 {
                        String::new()
                    } else {
                        format!("{n} licence expiry digest(s) / 许可证到期提醒 {n} 条")
                    })
                })
            },
        },
        JobSpec {
            name: "blacklist-term-end",
            run: |store, ctx| {
                Box::pin(async move {
                    let n = expire_due(store, ctx.today).await?;
                    Ok(if n == 0 {
                        String::new()
                    } else {
                        format!("{n} blacklist listing(s) ended at term / 黑名单期满移出 {n} 家")
                    })
                })
            },
        },
    ],
    measures: &[MeasureImpl {
        measure: &qcity_domain::registry::CREDIT_RECORD_RATE,
        ratios: |store, _, until| Box::pin(crate::enterprises::record_rates(store, 2000, until)),
    }],
    demo: Some(|store, ctx| Box::pin(crate::demo::registers::run(store, ctx.today))),
};
