//! The acceptance self-check (自查, 预验收): score sheets, proposals counted from obligations
//! and indicators, reviewers' decisions, and the four acceptance stages.
//!
//! The sheet in force is the newest row of `acceptance_sheets`, or the shipped default
//! ([`Sheet::default_sheet`]) while there is none. Opening a stage copies the sheet in force
//! into the stage, so later edits of the sheet never change a stage already held. Every change
//! here is written to the audit trail in its own transaction. Everyone signed in (office,
//! leaders, evaluators, units) may read; only the office changes anything.
//!
//! Each district (or city) prepares its own acceptance: sheets and stages carry `owner_id`,
//! every read and write is held to the actor's owner (another district's stage is not found),
//! and proposals count the owner's obligations against the owner's plan.

use crate::audit::{self, Change};
use crate::obligations::ObligationStatus;
use crate::parse_column;
use crate::schema::{Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, Tx, now_text};
use chrono::NaiveDate;
use qcity_domain::acceptance::{self, CriterionFacts, Decision, Proposal, Readiness, Sheet};
use qcity_domain::plan::{Diagnostic, Plan};
use qcity_domain::role::Scope;
use qcity_domain::target::Observations;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// This module's tables.
pub const SCHEMA: Schema = Schema {
    slug: "acceptance",
    migrations: &[
        Migration {
            version: 7,
            name: "acceptance self-check",
            sql: include_str!("../migrations/0007_acceptance_sheets.sql"),
        },
        Migration {
            version: 2026120667,
            name: "acceptance: sheets and stages per district",
            sql: include_str!("../migrations/2026120667_acceptance_owner.sql"),
        },
    ],
    tables: &[
        Table::by_id("acceptance_sheets"),
        Table::by_id("acceptance_stages"),
        Table::by_id("acceptance_findings"),
        Table::by_id("acceptance_rectifications"),
        Table::by_id("acceptance_decisions"),
    ],
    jobs: &[],
    measures: &[],
    demo: None,
};

/// The four acceptance stages, in the order they are held.
pub const STAGES: &[&str] = &["self_check", "provincial", "third_party", "national"];

/// Longest finding, rectification or comment text accepted.
const MAX_TEXT: usize = 2000;

fn require_reader(actor: &Actor) -> Result<()> {
    if actor.scope() == Scope::Public {
        Err(StoreError::Forbidden)
    } else {
        Ok(())
    }
}

fn check_stage(code: &str) -> Result<()> {
    if STAGES.contains(&code) {
        Ok(())
    } else {
        Err(StoreError::NotFound)
    }
}

/// The current plan of the actor's district (or city).
async fn plan_of(store: &Store, actor: &Actor) -> Result<Option<Plan>> {
    let current = match actor.owner_id {
        Some(id) => crate::plan::current_of_id(store, id).await?,
        None => crate::plan::current(store).await?,
    };
    Ok(current.map(|(_, p)| p))
}

/// SQL: the ids of the stages of the actor's district, for reads of their findings,
/// rectifications and decisions.
fn owned_stages_sql(actor: &Actor) -> String {
    format!(
        "(SELECT id FROM acceptance_stages WHERE owner_id = {})",
        actor.owner_sql()
    )
}

fn clean_text(field: &str, text: &str, required_key: &str) -> Result<String> {
    let t = text.trim();
    if t.is_empty() {
        return Err(StoreError::invalid(field, required_key));
    }
    if t.chars().count() > MAX_TEXT {
        return Err(StoreError::invalid(field, "acc-error-too-long"));
    }
    Ok(t.to_string())
}

// ------------------------------------------------------------------ sheet

/// Where the sheet in force came from.
#[derive(Debug, Clone, Serialize)]
pub struct SheetSource {
    /// `toml` (edited) or `xlsx` (imported).
    pub source: String,
    pub created_by: String,
    pub created_at: String,
}

/// The sheet in force in the actor's district: the newest sheet it saved, else the shipped
/// default (source `None`).
pub async fn sheet_in_force(store: &Store, actor: &Actor) -> Result<(Sheet, Option<SheetSource>)> {
    let row = sqlx::query(&format!(
        "SELECT sheet_toml, source, created_by, created_at FROM acceptance_sheets \
         WHERE owner_id = {} ORDER BY id DESC LIMIT 1",
        actor.owner_sql()
    ))
    .fetch_optional(&store.pool)
    .await?;
    let Some(r) = row else {
        return Ok((Sheet::default_sheet(), None));
    };
    let toml: String = r.try_get("sheet_toml")?;
    // Stored sheets were validated when saved; one that no longer loads (a newer domain
    // rule) falls back to the default rather than breaking every page.
    let sheet = crate::stored_rules::<Sheet>(&toml).unwrap_or_else(Sheet::default_sheet);
    Ok((
        sheet,
        Some(SheetSource {
            source: r.try_get("source")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
        }),
    ))
}

/// Saves a new sheet in force (office only), all or nothing: the sheet must validate and
/// every unit, content and indicator it names must exist in the district's current plan. `Ok(Err(..))`
/// carries every diagnostic of a refused sheet; nothing is stored then.
pub async fn save_sheet(
    store: &Store,
    actor: &Actor,
    sheet: &Sheet,
    source: &str,
) -> Result<Result<(), Vec<Diagnostic>>> {
    actor.require_admin()?;
    let mut diags = Vec::new();
    if let Err(d) = sheet.validate() {
        diags.extend(d);
    }
    if let Some(plan) = plan_of(store, actor).await?
        && let Err(d) = sheet.validate_against(&plan)
    {
        diags.extend(d);
    }
    if !diags.is_empty() {
        return Ok(Err(diags));
    }
    let (before, _) = sheet_in_force(store, actor).await?;
    let toml = sheet.to_toml();
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(&format!(
        "INSERT INTO acceptance_sheets (sheet_toml, source, created_by, created_at, owner_id) \
         VALUES ($1, $2, $3, $4, {}) RETURNING id",
        actor.owner_sql()
    ))
    .bind(&toml)
    .bind(source)
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
            action: "acceptance.sheet.save",
            target_type: "acceptance_sheet",
            target_id: &id.to_string(),
            before: json!({"name": before.name, "criteria": before.criteria().count(), "base_total": before.base_total()}),
            after: json!({"name": sheet.name, "source": source, "criteria": sheet.criteria().count(), "base_total": sheet.base_total(), "toml": toml}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(()))
}

// ------------------------------------------------------------------ stages

/// A stage that has been opened, with its own copy of the sheet.
#[derive(Debug, Clone)]
pub struct Stage {
    pub id: i64,
    pub code: String,
    pub sheet: Sheet,
    /// The date the stage is (or was) held.
    pub held_on: String,
    pub opened_by: String,
    pub opened_at: String,
}

/// One line of the stage list: every stage, opened or not.
#[derive(Debug, Clone)]
pub struct StageSummary {
    pub code: String,
    pub opened: Option<Stage>,
}

fn stage_from_row(r: &sqlx::any::AnyRow) -> Result<Stage> {
    let toml: String = r.try_get("sheet_toml")?;
    Ok(Stage {
        id: r.try_get("id")?,
        code: r.try_get("code")?,
        sheet: crate::stored_rules::<Sheet>(&toml).unwrap_or_else(Sheet::default_sheet),
        held_on: r.try_get("held_on")?,
        opened_by: r.try_get("opened_by")?,
        opened_at: r.try_get("opened_at")?,
    })
}

/// The actor's district's stage with this code, if opened.
async fn load_stage(store: &Store, actor: &Actor, code: &str) -> Result<Option<Stage>> {
    let row = sqlx::query(&format!(
        "SELECT id, code, sheet_toml, held_on, opened_by, opened_at FROM acceptance_stages \
         WHERE code = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(code)
    .fetch_optional(&store.pool)
    .await?;
    row.as_ref().map(stage_from_row).transpose()
}

/// The last opened stage in [`STAGES`] order (the one the readiness is projected for): the
/// opened stages read in one query, only this one's sheet parsed.
async fn latest_stage(store: &Store, actor: &Actor) -> Result<Option<Stage>> {
    let rows = sqlx::query(&format!(
        "SELECT id, code, sheet_toml, held_on, opened_by, opened_at FROM acceptance_stages \
         WHERE owner_id = {}",
        actor.owner_sql()
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut latest = None;
    for r in &rows {
        let code: String = r.try_get("code")?;
        if let Some(i) = STAGES.iter().position(|s| *s == code)
            && latest.is_none_or(|(j, _)| i > j)
        {
            latest = Some((i, r));
        }
    }
    latest.map(|(_, r)| stage_from_row(r)).transpose()
}

/// The four stages in order, with those opened.
pub async fn stages(store: &Store, actor: &Actor) -> Result<Vec<StageSummary>> {
    require_reader(actor)?;
    let mut out = Vec::new();
    for code in STAGES {
        out.push(StageSummary {
            code: (*code).to_string(),
            opened: load_stage(store, actor, code).await?,
        });
    }
    Ok(out)
}

/// An opened stage; `NotFound` for an unknown code, `Ok(None)` for a stage not opened yet.
pub async fn stage(store: &Store, actor: &Actor, code: &str) -> Result<Option<Stage>> {
    require_reader(actor)?;
    check_stage(code)?;
    load_stage(store, actor, code).await
}

async fn opened(store: &Store, actor: &Actor, code: &str) -> Result<Stage> {
    check_stage(code)?;
    load_stage(store, actor, code)
        .await?
        .ok_or_else(|| StoreError::Conflict("acc-error-stage-not-open".into()))
}

/// Opens a stage (office only) with a copy of the sheet in force, held on `held_on`.
pub async fn open_stage(
    store: &Store,
    actor: &Actor,
    code: &str,
    held_on: NaiveDate,
) -> Result<i64> {
    actor.require_admin()?;
    check_stage(code)?;
    if load_stage(store, actor, code).await?.is_some() {
        return Err(StoreError::Conflict("acc-error-stage-open".into()));
    }
    let (sheet, _) = sheet_in_force(store, actor).await?;
    let toml = sheet.to_toml();
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "INSERT INTO acceptance_stages (code, sheet_toml, held_on, opened_by, opened_at, owner_id) \
         VALUES ($1, $2, $3, $4, $5, {}) RETURNING id",
        actor.owner_sql()
    ))
    .bind(code)
    .bind(&toml)
    .bind(held_on.to_string())
    .bind(&actor.username)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await;
    let id: i64 = match row {
        Ok(r) => r.try_get("id")?,
        Err(e) if crate::is_unique_violation(&e) => {
            return Err(StoreError::Conflict("acc-error-stage-open".into()));
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "acceptance.stage.open",
            target_type: "acceptance_stage",
            target_id: code,
            before: json!(null),
            after: json!({"id": id, "held_on": held_on.to_string(), "sheet": sheet.name, "base_total": sheet.base_total()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes the date a stage is held (office only).
pub async fn set_stage_date(
    store: &Store,
    actor: &Actor,
    code: &str,
    held_on: NaiveDate,
) -> Result<()> {
    actor.require_admin()?;
    let st = opened(store, actor, code).await?;
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE acceptance_stages SET held_on = $1 WHERE id = $2")
        .bind(held_on.to_string())
        .bind(st.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "acceptance.stage.date",
            target_type: "acceptance_stage",
            target_id: code,
            before: json!({"held_on": st.held_on}),
            after: json!({"held_on": held_on.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------ findings, rectifications

/// A finding recorded at a stage.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: i64,
    pub body: String,
    pub created_by: String,
    pub created_at: String,
}

/// A rectification a stage triggered.
#[derive(Debug, Clone, Serialize)]
pub struct Rectification {
    pub id: i64,
    pub body: String,
    pub unit_code: String,
    pub deadline: String,
    /// The plan content whose obligations it concerns; empty when none.
    pub content_code: String,
    pub done: bool,
}

/// What the office enters for a rectification.
#[derive(Debug, Clone, Default)]
pub struct NewRectification {
    pub body: String,
    pub unit_code: String,
    pub deadline: String,
    pub content_code: String,
}

/// The findings of a stage, oldest first.
pub async fn findings(store: &Store, actor: &Actor, stage_id: i64) -> Result<Vec<Finding>> {
    require_reader(actor)?;
    sqlx::query(&format!(
        "SELECT id, body, created_by, created_at FROM acceptance_findings \
         WHERE stage_id = $1 AND stage_id IN {} ORDER BY id",
        owned_stages_sql(actor)
    ))
    .bind(stage_id)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Finding {
            id: r.try_get("id")?,
            body: r.try_get("body")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
        })
    })
    .collect()
}

/// The rectifications of a stage, by deadline.
pub async fn rectifications(
    store: &Store,
    actor: &Actor,
    stage_id: i64,
) -> Result<Vec<Rectification>> {
    require_reader(actor)?;
    sqlx::query(&format!(
        "SELECT id, body, unit_code, deadline, content_code, done FROM acceptance_rectifications \
         WHERE stage_id = $1 AND stage_id IN {} ORDER BY deadline, id",
        owned_stages_sql(actor)
    ))
    .bind(stage_id)
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(Rectification {
            id: r.try_get("id")?,
            body: r.try_get("body")?,
            unit_code: r.try_get("unit_code")?,
            deadline: r.try_get("deadline")?,
            content_code: r.try_get("content_code")?,
            done: r.try_get::<i64, _>("done")? != 0,
        })
    })
    .collect()
}

/// Records a finding at an opened stage (office only).
pub async fn add_finding(store: &Store, actor: &Actor, code: &str, body: &str) -> Result<i64> {
    actor.require_admin()?;
    let st = opened(store, actor, code).await?;
    let body = clean_text("body", body, "acc-error-text-required")?;
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO acceptance_findings (stage_id, body, created_by, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(st.id)
    .bind(&body)
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
            action: "acceptance.finding.add",
            target_type: "acceptance_finding",
            target_id: &id.to_string(),
            before: json!(null),
            after: json!({"stage": code, "body": body}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Removes a finding of a stage (office only).
pub async fn remove_finding(store: &Store, actor: &Actor, code: &str, id: i64) -> Result<()> {
    actor.require_admin()?;
    let st = opened(store, actor, code).await?;
    let row = sqlx::query("SELECT body FROM acceptance_findings WHERE id = $1 AND stage_id = $2")
        .bind(id)
        .bind(st.id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let body: String = row.try_get("body")?;
    let mut tx = store.begin().await?;
    sqlx::query("DELETE FROM acceptance_findings WHERE id = $1 AND stage_id = $2")
        .bind(id)
        .bind(st.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "acceptance.finding.remove",
            target_type: "acceptance_finding",
            target_id: &id.to_string(),
            before: json!({"stage": code, "body": body}),
            after: json!(null),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Records a rectification a stage triggered (office only). The responsible unit must be a
/// plan unit, the deadline a date, and a linked content (optional) a plan content.
pub async fn add_rectification(
    store: &Store,
    actor: &Actor,
    code: &str,
    r: &NewRectification,
) -> Result<i64> {
    actor.require_admin()?;
    let st = opened(store, actor, code).await?;
    let body = clean_text("body", &r.body, "acc-error-text-required")?;
    let plan = plan_of(store, actor).await?;
    let unit = r.unit_code.trim();
    if unit.is_empty() {
        return Err(StoreError::invalid("unit_code", "acc-error-unit-required"));
    }
    if plan.as_ref().is_some_and(|p| p.unit(unit).is_none()) {
        return Err(StoreError::invalid("unit_code", "acc-error-unit-unknown"));
    }
    let deadline = NaiveDate::parse_from_str(r.deadline.trim(), "%Y-%m-%d")
        .map_err(|_| StoreError::invalid("deadline", "acc-error-deadline"))?;
    let content = r.content_code.trim();
    if !content.is_empty() && plan.as_ref().is_some_and(|p| p.content(content).is_none()) {
        return Err(StoreError::invalid(
            "content_code",
            "acc-error-content-unknown",
        ));
    }
    let now = now_text();
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO acceptance_rectifications (stage_id, body, unit_code, deadline, content_code, done, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $7) RETURNING id",
    )
    .bind(st.id)
    .bind(&body)
    .bind(unit)
    .bind(deadline.to_string())
    .bind(content)
    .bind(&actor.username)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "acceptance.rectification.add",
            target_type: "acceptance_rectification",
            target_id: &id.to_string(),
            before: json!(null),
            after: json!({"stage": code, "body": body, "unit": unit, "deadline": deadline.to_string(), "content": content}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Marks a rectification done or not done (office only).
pub async fn set_rectification_done(
    store: &Store,
    actor: &Actor,
    code: &str,
    id: i64,
    done: bool,
) -> Result<()> {
    actor.require_admin()?;
    let st = opened(store, actor, code).await?;
    let row =
        sqlx::query("SELECT done FROM acceptance_rectifications WHERE id = $1 AND stage_id = $2")
            .bind(id)
            .bind(st.id)
            .fetch_optional(&store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
    let before = row.try_get::<i64, _>("done")? != 0;
    let mut tx = store.begin().await?;
    sqlx::query(
        "UPDATE acceptance_rectifications SET done = $1, updated_at = $2 WHERE id = $3 AND stage_id = $4",
    )
    .bind(i64::from(done))
    .bind(now_text())
    .bind(id)
    .bind(st.id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "acceptance.rectification.done",
            target_type: "acceptance_rectification",
            target_id: &id.to_string(),
            before: json!({"done": before}),
            after: json!({"done": done}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------------ facts and proposals

/// The facts of every criterion of `sheet` as of `as_of`, in the actor's district:
/// - obligations: the district's live (not retired) obligations of the criterion's linked contents that
///   are due on or before `as_of`, plus any already accepted by then even if due later;
///   accepted = status `accepted` (销号) with an acceptance date on or before `as_of`;
///   the open ones are labelled "content unit period";
/// - indicators: each linked indicator's status evaluated as of `as_of` from approved values;
/// - gaps: none are recorded by QCity yet (0).
pub async fn facts(
    store: &Store,
    actor: &Actor,
    plan: Option<&Plan>,
    sheet: &Sheet,
    as_of: NaiveDate,
) -> Result<BTreeMap<String, CriterionFacts>> {
    facts_given(store, actor, plan, sheet, as_of, None, true).await
}

/// [`facts`], with the indicators' observations as of `as_of` already read by the caller.
async fn facts_given(
    store: &Store,
    actor: &Actor,
    plan: Option<&Plan>,
    sheet: &Sheet,
    as_of: NaiveDate,
    given: Option<&BTreeMap<String, Observations>>,
    labels: bool,
) -> Result<BTreeMap<String, CriterionFacts>> {
    let obs = obligation_facts(store, actor, as_of, labels).await?;
    let statuses: BTreeMap<String, qcity_domain::target::Status> = match plan {
        Some(plan) => {
            let read;
            let o = match given {
                Some(o) => o,
                None => {
                    read = crate::indicators::observations_of(store, actor, plan, as_of).await?;
                    &read
                }
            };
            crate::indicators::evaluate(plan, o, as_of)
                .into_iter()
                .map(|s| (s.code, s.evaluation.status))
                .collect()
        }
        None => BTreeMap::new(),
    };
    let mut out = BTreeMap::new();
    for (_, _, c) in sheet.criteria() {
        let mut f = CriterionFacts::default();
        for o in obs.iter().filter(|o| c.contents.contains(&o.content)) {
            f.obligations_total += o.counted;
            f.obligations_accepted += o.accepted;
            f.open_obligations.extend(o.open.iter().cloned());
        }
        f.indicator_statuses = c
            .indicators
            .iter()
            .filter_map(|i| statuses.get(i).map(|s| (i.clone(), *s)))
            .collect();
        out.insert(c.code.clone(), f);
    }
    Ok(out)
}

/// A content's obligations counted for acceptance as of a date: due by then or accepted by
/// then (`counted`), of those accepted by then, and the labels ("content unit period") of the
/// counted ones still open, when asked for.
struct ContentObligations {
    content: String,
    counted: u32,
    accepted: u32,
    open: Vec<String>,
}

/// The district's live obligations as [`ContentObligations`]: one per obligation with its
/// label, or (`labels` false, for the readiness, which counts only) one per content, counted
/// by the database.
async fn obligation_facts(
    store: &Store,
    actor: &Actor,
    as_of: NaiveDate,
    labels: bool,
) -> Result<Vec<ContentObligations>> {
    let day = as_of.to_string();
    let owner = actor.owner_sql();
    if !labels {
        let accepted = crate::obligations::closed_sql();
        let expected = crate::obligations::expected_sql();
        let rows = sqlx::query(&format!(
            "SELECT o.content_code, SUM(CASE WHEN {expected} THEN 1 ELSE 0 END) AS counted, \
             SUM(CASE WHEN {accepted} THEN 1 ELSE 0 END) AS accepted \
             FROM obligations o WHERE o.retired = 0 AND o.owner_id = {owner} GROUP BY o.content_code"
        ))
        .bind(&day)
        .fetch_all(&store.pool)
        .await?;
        return rows
            .iter()
            .map(|r| {
                Ok(ContentObligations {
                    content: r.try_get("content_code")?,
                    counted: u32::try_from(crate::sum_column(r, "counted")?).unwrap_or(u32::MAX),
                    accepted: u32::try_from(crate::sum_column(r, "accepted")?).unwrap_or(u32::MAX),
                    open: Vec::new(),
                })
            })
            .collect();
    }
    let rows = sqlx::query(&format!(
        "SELECT o.content_code, u.code AS unit_code, o.period_key, o.status, o.due_date, o.accepted_on \
         FROM obligations o JOIN org_units u ON u.id = o.unit_id WHERE o.retired = 0 AND o.owner_id = {owner} \
         ORDER BY o.content_code, u.code, o.period_key"
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let content: String = r.try_get("content_code")?;
        let unit: String = r.try_get("unit_code")?;
        let period: String = r.try_get("period_key")?;
        let status: ObligationStatus = parse_column(r, "status")?;
        let due: String = r.try_get("due_date")?;
        let accepted_on: Option<String> = r.try_get("accepted_on")?;
        let accepted = status.is_closed() && accepted_on.as_deref().is_none_or(|a| a <= &*day);
        let counted = accepted || due.as_str() <= day.as_str();
        out.push(ContentObligations {
            open: if counted && !accepted {
                vec![format!("{content} {unit} {period}")]
            } else {
                Vec::new()
            },
            content,
            counted: u32::from(counted),
            accepted: u32::from(accepted),
        });
    }
    Ok(out)
}

/// QCity's proposal for every criterion of `sheet` as of `as_of`, in sheet order, from the
/// actor's district's obligations and plan.
pub async fn proposals(
    store: &Store,
    actor: &Actor,
    sheet: &Sheet,
    as_of: NaiveDate,
) -> Result<Vec<(String, Proposal)>> {
    proposals_given(store, actor, sheet, as_of, None, true).await
}

/// [`proposals`], with the actor's plan and its indicators' observations as of `as_of` already
/// at hand (a page that read them): neither is read again.
async fn proposals_given(
    store: &Store,
    actor: &Actor,
    sheet: &Sheet,
    as_of: NaiveDate,
    given: Given<'_>,
    labels: bool,
) -> Result<Vec<(String, Proposal)>> {
    let facts = match given {
        Some((plan, obs)) => {
            facts_given(store, actor, Some(plan), sheet, as_of, Some(obs), labels).await?
        }
        None => {
            let plan = plan_of(store, actor).await?;
            facts_given(store, actor, plan.as_ref(), sheet, as_of, None, labels).await?
        }
    };
    Ok(sheet
        .criteria()
        .map(|(_, _, c)| {
            let f = facts.get(&c.code).cloned().unwrap_or_default();
            (c.code.clone(), c.propose(&f))
        })
        .collect())
}

// ------------------------------------------------------------------ decisions

/// A reviewer's decision as stored.
#[derive(Debug, Clone, Serialize)]
pub struct DecisionRecord {
    pub criterion: String,
    pub points: f64,
    /// What QCity proposed when the decision was taken.
    pub proposed: f64,
    pub veto_failed: bool,
    /// Whether the reviewer changed the proposal (then `comment` says why).
    pub overridden: bool,
    pub comment: String,
    pub decided_by: String,
    pub decided_at: String,
}

impl DecisionRecord {
    /// The decision as the domain counts it.
    pub fn decision(&self) -> Decision {
        Decision {
            criterion: self.criterion.clone(),
            points: self.points,
            veto_failed: self.veto_failed,
        }
    }
}

/// The decisions of a stage of the actor's district.
pub async fn decisions(store: &Store, actor: &Actor, stage_id: i64) -> Result<Vec<DecisionRecord>> {
    require_reader(actor)?;
    load_decisions(store, actor, stage_id).await
}

async fn load_decisions(
    store: &Store,
    actor: &Actor,
    stage_id: i64,
) -> Result<Vec<DecisionRecord>> {
    sqlx::query(&format!(
        "SELECT criterion, points, proposed, veto_failed, overridden, comment, decided_by, decided_at \
         FROM acceptance_decisions WHERE stage_id = $1 AND stage_id IN {} ORDER BY id",
        owned_stages_sql(actor)
    ))
        .bind(stage_id)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(DecisionRecord {
                criterion: r.try_get("criterion")?,
                points: r.try_get("points")?,
                proposed: r.try_get("proposed")?,
                veto_failed: r.try_get::<i64, _>("veto_failed")? != 0,
                overridden: r.try_get::<i64, _>("overridden")? != 0,
                comment: r.try_get("comment")?,
                decided_by: r.try_get("decided_by")?,
                decided_at: r.try_get("decided_at")?,
            })
        })
        .collect()
}

/// What a reviewer decides on a criterion.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Take QCity's proposal as it stands (points, and for a veto whether it failed).
    /// `shown` is the proposal the reviewer saw (points, veto failed); when the facts have
    /// moved since, the confirmation is refused so nobody confirms points they never saw.
    Confirm {
        comment: String,
        shown: Option<(f64, bool)>,
    },
    /// Other points (0..=max; ignored for a veto) or another veto outcome, with the reason.
    Override {
        points: f64,
        veto_failed: bool,
        comment: String,
    },
}

async fn upsert_decision(tx: &mut Tx, stage_id: i64, d: &DecisionRecord) -> Result<()> {
    sqlx::query("DELETE FROM acceptance_decisions WHERE stage_id = $1 AND criterion = $2")
        .bind(stage_id)
        .bind(&d.criterion)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO acceptance_decisions (stage_id, criterion, points, proposed, veto_failed, overridden, comment, decided_by, decided_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(stage_id)
    .bind(&d.criterion)
    .bind(d.points)
    .bind(d.proposed)
    .bind(i64::from(d.veto_failed))
    .bind(i64::from(d.overridden))
    .bind(&d.comment)
    .bind(&d.decided_by)
    .bind(&d.decided_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Records a reviewer's decision on a criterion of an opened stage (office only; the office
/// acts as reviewer). A confirmation takes QCity's proposal as of `as_of`; an override needs a
/// comment and points within 0..=max. A later decision on the same criterion replaces the
/// earlier one; both are in the audit trail.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    code: &str,
    criterion: &str,
    verdict: Verdict,
    as_of: NaiveDate,
) -> Result<DecisionRecord> {
    actor.require_admin()?;
    let st = opened(store, actor, code).await?;
    let Some((_, _, c)) = st.sheet.criterion(criterion) else {
        return Err(StoreError::NotFound);
    };
    let plan = plan_of(store, actor).await?;
    let facts = facts(store, actor, plan.as_ref(), &st.sheet, as_of).await?;
    let proposal = c.propose(&facts.get(&c.code).cloned().unwrap_or_default());
    let (points, veto_failed, overridden, comment) = match verdict {
        Verdict::Confirm { comment, shown } => {
            if let Some((points, vetoed)) = shown
                && ((points - proposal.points).abs() > 1e-9 || vetoed != proposal.vetoed)
            {
                return Err(StoreError::invalid(
                    "criterion",
                    "acc-error-proposal-changed",
                ));
            }
            (proposal.points, proposal.vetoed, false, comment)
        }
        Verdict::Override {
            points,
            veto_failed,
            comment,
        } => {
            if comment.trim().is_empty() {
                return Err(StoreError::invalid("comment", "acc-error-comment-required"));
            }
            let points = if c.rule.is_veto() { 0.0 } else { points };
            if !points.is_finite() || points < 0.0 || points > c.max_points {
                return Err(StoreError::invalid("points", "acc-error-points-range"));
            }
            (points, veto_failed && c.rule.is_veto(), true, comment)
        }
    };
    if comment.chars().count() > MAX_TEXT {
        return Err(StoreError::invalid("comment", "acc-error-too-long"));
    }
    let before = load_decisions(store, actor, st.id)
        .await?
        .into_iter()
        .find(|d| d.criterion == c.code);
    let record = DecisionRecord {
        criterion: c.code.clone(),
        points,
        proposed: proposal.points,
        veto_failed,
        overridden,
        comment: comment.trim().to_string(),
        decided_by: actor.username.clone(),
        decided_at: now_text(),
    };
    let mut tx = store.begin().await?;
    upsert_decision(&mut tx, st.id, &record).await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: if overridden {
                "acceptance.decision.override"
            } else {
                "acceptance.decision.confirm"
            },
            target_type: "acceptance_decision",
            target_id: &format!("{code}/{}", c.code),
            before: serde_json::to_value(&before).unwrap_or_default(),
            after: serde_json::to_value(&record).unwrap_or_default(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(record)
}

// ------------------------------------------------------------------ readiness

/// The home district's readiness ([`readiness`] for the installation's home district), for
/// callers not yet kept per district (the leader's headline).
pub async fn current_readiness(
    store: &Store,
    as_of: NaiveDate,
) -> Result<Option<(String, Readiness)>> {
    readiness(store, &Actor::system("readiness"), as_of).await
}

/// The readiness of the actor's district: its latest opened stage (the furthest along of
/// 自查 → 省级预验收 → 第三方预评估 → 国家验收 that has been opened); `None` while no stage is
/// open. Reads without a caller's scope: the figure is shown to every signed-in role. The
/// acceptance page, its API and the city's roll-up (`/acceptance/districts`) all read it here.
///
/// What it counts: the stage's own sheet; for each criterion a reviewer has decided, the
/// decided points (and veto outcome); for each criterion not yet decided, QCity's proposal as
/// of `as_of` (its proposed points, and a veto counted as failed only when the proposal says
/// the facts failed it). So `score` is the projected score "decisions so far, proposals for
/// the rest", and `undecided` lists the criteria whose points are only proposed. A failed veto
/// (decided or proposed) makes `vetoed` true and the score 0.
pub async fn readiness(
    store: &Store,
    actor: &Actor,
    as_of: NaiveDate,
) -> Result<Option<(String, Readiness)>> {
    readiness_given(store, actor, as_of, None).await
}

/// The actor's plan and its indicators' observations as of the date asked, when the caller
/// already read them.
pub type Given<'a> = Option<(&'a Plan, &'a BTreeMap<String, Observations>)>;

/// [`readiness`], with the plan and observations at hand ([`Given`]).
pub async fn readiness_given(
    store: &Store,
    actor: &Actor,
    as_of: NaiveDate,
    given: Given<'_>,
) -> Result<Option<(String, Readiness)>> {
    let Some(st) = latest_stage(store, actor).await? else {
        return Ok(None);
    };
    // The readiness counts points: the open obligations' labels are not read. The three
    // reads depend only on the stage: they run at once.
    let (decided, proposals, line) = tokio::try_join!(
        load_decisions(store, actor, st.id),
        proposals_given(store, actor, &st.sheet, as_of, given, false),
        pass_line(store, actor, &st.sheet),
    )?;
    let mut r = projected(&st.sheet, &decided, &proposals);
    r.pass_line = line;
    Ok(Some((st.code.clone(), r)))
}

/// The pass line a stage is measured against: its own sheet's, else the sheet in force's. The
/// points stay those the stage opened with; the pass mark is often known only later (from the
/// official document), and applies to the stages already open.
async fn pass_line(store: &Store, actor: &Actor, stage_sheet: &Sheet) -> Result<Option<f64>> {
    if stage_sheet.pass_line.is_some() {
        return Ok(stage_sheet.pass_line);
    }
    Ok(sheet_in_force(store, actor).await?.0.pass_line)
}

/// An opened stage's projected readiness (decisions so far, proposals as of `as_of` for the
/// rest, as [`readiness`] counts); `None` while the stage is not open.
pub async fn stage_readiness(
    store: &Store,
    actor: &Actor,
    code: &str,
    as_of: NaiveDate,
) -> Result<Option<Readiness>> {
    let Some(st) = stage(store, actor, code).await? else {
        return Ok(None);
    };
    let decided = load_decisions(store, actor, st.id).await?;
    let proposals = proposals_given(store, actor, &st.sheet, as_of, None, false).await?;
    let mut r = projected(&st.sheet, &decided, &proposals);
    r.pass_line = pass_line(store, actor, &st.sheet).await?;
    Ok(Some(r))
}

/// The readiness with decisions where taken and proposals elsewhere; `undecided` still lists
/// the criteria no reviewer has decided.
pub fn projected(
    sheet: &Sheet,
    decided: &[DecisionRecord],
    proposals: &[(String, Proposal)],
) -> Readiness {
    let mut all: Vec<Decision> = proposals
        .iter()
        .filter(|(code, _)| !decided.iter().any(|d| &d.criterion == code))
        .map(|(code, p)| p.confirm(code))
        .collect();
    all.extend(decided.iter().map(DecisionRecord::decision));
    let mut r = acceptance::readiness(sheet, &all);
    let only_decided = acceptance::readiness(
        sheet,
        &decided
            .iter()
            .map(DecisionRecord::decision)
            .collect::<Vec<_>>(),
    );
    r.undecided = only_decided.undecided;
    for (cat, d) in r.by_category.iter_mut().zip(&only_decided.by_category) {
        cat.undecided = d.undecided;
    }
    r
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use sqlx::Row;

    /// Runs a migration's statements as `migrations::run` does (in one transaction), on SQLite.
    async fn run(store: &Store, sql: &str) {
        let sql = sql.replace("{ID}", "INTEGER PRIMARY KEY AUTOINCREMENT");
        let mut tx = store.begin().await.unwrap();
        for statement in sql.split(';').filter(|s| !s.trim().is_empty()) {
            sqlx::query(statement).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    async fn ids(store: &Store, sql: &str) -> Vec<i64> {
        sqlx::query(sql)
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<i64, _>(0).unwrap())
            .collect()
    }

    /// Stages stored before districts keep their ids (and their findings and decisions theirs),
    /// belong to the home district, and new rows are numbered after them; a second district
    /// then opens a stage of the same code.
    #[tokio::test]
    async fn the_owner_migration_keeps_every_row_and_its_id() {
        let file = std::env::temp_dir().join(format!("qcity-acc-owner-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&file);
        let store = Store::connect(&format!("sqlite://{}?mode=rwc", file.display()), &[])
            .await
            .unwrap();
        run(
            &store,
            "CREATE TABLE org_units (id INTEGER PRIMARY KEY, code TEXT NOT NULL); \
             CREATE TABLE plan_versions (id INTEGER PRIMARY KEY, owner_id BIGINT); \
             INSERT INTO org_units (id, code) VALUES (7, 'HUIJI'), (8, 'JINSHUI'); \
             INSERT INTO plan_versions (id, owner_id) VALUES (1, 7)",
        )
        .await;
        run(
            &store,
            include_str!("../migrations/0007_acceptance_sheets.sql"),
        )
        .await;
        run(
            &store,
            "INSERT INTO acceptance_stages (id, code, sheet_toml, held_on, opened_by, opened_at) \
             VALUES (3, 'self_check', '', '2014-11-20', 'office', 't'); \
             INSERT INTO acceptance_findings (id, stage_id, body, created_by, created_at) \
             VALUES (5, 3, 'finding', 'office', 't'); \
             INSERT INTO acceptance_decisions (id, stage_id, criterion, points, proposed, decided_by, decided_at) \
             VALUES (9, 3, '1.1.1', 2, 2, 'office', 't')",
        )
        .await;
        run(
            &store,
            include_str!("../migrations/2026120667_acceptance_owner.sql"),
        )
        .await;

        assert_eq!(
            ids(
                &store,
                "SELECT owner_id FROM acceptance_stages WHERE id = 3"
            )
            .await,
            vec![7]
        );
        assert_eq!(
            ids(
                &store,
                "SELECT id FROM acceptance_findings WHERE stage_id = 3"
            )
            .await,
            vec![5]
        );
        assert_eq!(
            ids(
                &store,
                "SELECT id FROM acceptance_decisions WHERE stage_id = 3"
            )
            .await,
            vec![9]
        );
        run(
            &store,
            "INSERT INTO acceptance_stages (owner_id, code, sheet_toml, held_on, opened_by, opened_at) \
             VALUES (8, 'self_check', '', '2014-12-15', 'js', 't'); \
             INSERT INTO acceptance_findings (stage_id, body, created_by, created_at) \
             VALUES (3, 'later', 'office', 't')",
        )
        .await;
        assert_eq!(
            ids(&store, "SELECT id FROM acceptance_stages ORDER BY id").await,
            vec![3, 4]
        );
        assert_eq!(
            ids(&store, "SELECT id FROM acceptance_findings ORDER BY id").await,
            vec![5, 6]
        );
        // The same code twice for one owner is still refused.
        let again = sqlx::query(
            "INSERT INTO acceptance_stages (owner_id, code, sheet_toml, held_on, opened_by, opened_at) \
             VALUES (8, 'self_check', '', '2014-12-15', 'js', 't')",
        )
        .execute(&store.pool)
        .await;
        assert!(again.is_err());
        store.pool.close().await;
        let _ = std::fs::remove_file(&file);
    }
}
