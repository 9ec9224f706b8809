//! Bulletins (通报): figures for a period computed from obligations, a stated rule for
//! commendation and criticism, and the archive of issued bulletins (frozen as issued).

use crate::audit::{self, Change};
use crate::obligations::{self, Obligation, Tally, category_of};
use crate::{Actor, Result, Store, StoreError, now_text};
use chrono::{Datelike, NaiveDate};
use qcity_domain::bulletin::{Bulletin, CategoryLine, OverdueLine, Rates, UnitLine};
use qcity_domain::plan::Plan;
use qcity_domain::supervision::NoticeCounts;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// The stated rule, applied exactly as written below.
pub const RULE: &str = "表扬：截至统计日应完成事项不少于3项、且全部按时完成并销号的单位。通报批评：截至统计日有事项逾期超过15天的单位，或应完成事项不少于3项而按时完成率低于60%的单位。";
const MIN_FOR_RULE: u32 = 3;
const LATE_DAYS: i64 = 15;
const LOW_ON_TIME: f64 = 60.0;

/// The rates of some obligations as of `at` (the domain's definitions).
fn rates(items: &[&Obligation], at: NaiveDate) -> Rates {
    let mut t = Tally::default();
    for o in items {
        t.add(&o.facts(), at);
    }
    Rates::from_tally(&t)
}

/// Computes a bulletin for `[start, end]` with figures as of min(end, today).
pub fn compute(
    plan: &Plan,
    obs: &[Obligation],
    notices: &BTreeMap<String, NoticeCounts>,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Bulletin {
    let at = end.min(today);
    let obs: Vec<&Obligation> = obs.iter().filter(|o| o.due().is_some()).collect();
    let mut by_unit: BTreeMap<(String, String), Vec<&Obligation>> = BTreeMap::new();
    let mut by_cat: BTreeMap<String, Vec<&Obligation>> = BTreeMap::new();
    for o in &obs {
        by_unit
            .entry((o.unit_code.clone(), o.unit_name.clone()))
            .or_default()
            .push(o);
        by_cat
            .entry(category_of(&o.content_code).to_string())
            .or_default()
            .push(o);
    }
    let mut units: Vec<UnitLine> = by_unit
        .iter()
        .map(|((code, name), items)| UnitLine {
            unit_code: code.clone(),
            unit_name: name.clone(),
            rates: rates(items, at),
            red_notices: notices.get(code).map_or(0, |n| n.red),
            yellow_notices: notices.get(code).map_or(0, |n| n.yellow),
            blue_notices: notices.get(code).map_or(0, |n| n.blue),
        })
        .collect();
    // Best first, as a bulletin ranks units; a unit with nothing expected has no rate and is
    // not ranked (last); ties by name so the order is reproducible.
    let key = |r: Option<f64>| r.unwrap_or(f64::NEG_INFINITY);
    units.sort_by(|a, b| {
        key(b.rates.completion_rate)
            .total_cmp(&key(a.rates.completion_rate))
            .then(key(b.rates.on_time_rate).total_cmp(&key(a.rates.on_time_rate)))
            .then(a.unit_name.cmp(&b.unit_name))
    });
    let categories = plan
        .categories
        .iter()
        .filter_map(|c| {
            by_cat.get(&c.code).map(|items| CategoryLine {
                code: c.code.clone(),
                title: c.title.clone(),
                rates: rates(items, at),
            })
        })
        .collect();
    let mut overdue: Vec<OverdueLine> = obs
        .iter()
        .map(|o| (o, o.facts().days_overdue(at)))
        .filter(|(_, days)| *days > 0)
        .map(|(o, days)| OverdueLine {
            unit_name: o.unit_name.clone(),
            content_code: o.content_code.clone(),
            content_text: plan
                .content(&o.content_code)
                .map(|c| c.text.clone())
                .unwrap_or_default(),
            due_date: o.due_date.clone(),
            days_overdue: days,
        })
        .collect();
    overdue.sort_by(|a, b| {
        b.days_overdue
            .cmp(&a.days_overdue)
            .then(a.unit_name.cmp(&b.unit_name))
            .then(a.content_code.cmp(&b.content_code))
    });
    let commended = units
        .iter()
        .filter(|u| {
            u.rates.due >= MIN_FOR_RULE
                && u.rates.accepted == u.rates.due
                && u.rates.on_time == u.rates.due
        })
        .map(|u| u.unit_name.clone())
        .collect();
    let criticised = units
        .iter()
        .filter_map(|u| {
            let late = overdue
                .iter()
                .filter(|o| o.unit_name == u.unit_name && o.days_overdue > LATE_DAYS)
                .count();
            let low = u.rates.due >= MIN_FOR_RULE
                && u.rates.on_time_rate.is_some_and(|r| r < LOW_ON_TIME);
            let mut why = Vec::new();
            if late > 0 {
                why.push(format!("{late} 项逾期超过{LATE_DAYS}天"));
            }
            if low {
                why.push(format!("按时完成率 {}", u.rates.on_time_text()));
            }
            (!why.is_empty()).then(|| (u.unit_name.clone(), why.join("，")))
        })
        .collect();
    let monthly = start.day() == 1 && end.month() == start.month() && end.year() == start.year();
    let (period, period_label) = if monthly {
        (
            format!("{}-{:02}", start.year(), start.month()),
            format!("{}年{}月", start.year(), start.month()),
        )
    } else {
        (format!("{start}..{end}"), format!("{start} 至 {end}"))
    };
    Bulletin {
        title: format!("{}工作通报", plan.plan.title.trim_end_matches("工作方案")),
        issuer: "惠济区质量强区战略工作领导小组办公室".replace("惠济区", &district_name(plan)),
        period,
        period_label,
        as_of: at.to_string(),
        number: 0,
        rule: RULE.to_string(),
        total: rates(&obs, at),
        units,
        categories,
        overdue,
        commended,
        criticised,
        correction: None,
    }
}

/// The district's short name from the plan's units ("惠济区人民政府" → "惠济区").
fn district_name(plan: &Plan) -> String {
    plan.units
        .iter()
        .find(|u| u.kind == qcity_domain::plan::UnitKind::District)
        .map(|u| u.name.trim_end_matches("人民政府").to_string())
        .unwrap_or_default()
}

/// First and last day of a month given as "YYYY-MM".
pub fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let start = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    let next = start.checked_add_months(chrono::Months::new(1))?;
    Some((start, next.pred_opt()?))
}

/// A draft for a month (not stored). Office and leaders.
pub async fn draft(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    month: &str,
    today: NaiveDate,
) -> Result<Bulletin> {
    if !matches!(
        actor.scope(),
        qcity_domain::role::Scope::All | qcity_domain::role::Scope::ReadAll
    ) {
        return Err(StoreError::Forbidden);
    }
    let (start, end) =
        month_bounds(month).ok_or_else(|| StoreError::invalid("period", "error-period-format"))?;
    // The caller's district: its obligations and the notices its units received.
    let mut reader = Actor::system("bulletin");
    reader.owner_id = actor.owner_id;
    let obs = obligations::list(store, &reader, &obligations::Filter::default(), today).await?;
    let notices = crate::notices::counts_by_unit(store, actor, start, end).await?;
    Ok(compute(plan, &obs, &notices, start, end, today))
}

#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    pub id: i64,
    /// The district (or city) that issued it.
    pub issuer_name: String,
    pub period: String,
    pub title: String,
    pub number: u32,
    pub issued_by: String,
    pub issued_on: String,
}

/// Where an issued bulletin stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Standing {
    /// In force.
    Issued,
    /// Corrected (更正) by the bulletin `by`, for the reason given.
    Superseded { by: i64, reason: String },
    /// Withdrawn (撤销) for the reason given.
    Revoked { reason: String },
}

/// The caller's district's issued bulletin in force for a period, if any: (id, number).
pub async fn issued_for(store: &Store, actor: &Actor, period: &str) -> Result<Option<(i64, u32)>> {
    let row = sqlx::query(&format!(
        "SELECT id, data_json FROM bulletins WHERE status = 'issued' AND period = $1 \
         AND owner_id = {} ORDER BY id DESC LIMIT 1",
        actor.owner_sql()
    ))
    .bind(period)
    .fetch_optional(&store.pool)
    .await?;
    row.map(|r| {
        Ok((
            r.try_get("id")?,
            number_of(&r.try_get::<String, _>("data_json")?),
        ))
    })
    .transpose()
}

fn number_of(data_json: &str) -> u32 {
    serde_json::from_str::<Bulletin>(data_json)
        .map(|b| b.number)
        .unwrap_or(0)
}

/// The number the next new bulletin of the caller's district in `year` gets: one more than
/// any it issued that year, whatever became of it (a revoked number is not used again; a
/// correction keeps its number). Each district numbers its own bulletins.
async fn next_number(tx: &mut crate::Tx, actor: &Actor, year: i32) -> Result<u32> {
    let rows = sqlx::query(&format!(
        "SELECT data_json FROM bulletins WHERE issued_on LIKE $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(format!("{year}-%"))
    .fetch_all(&mut **tx)
    .await?;
    let mut max = 0;
    for r in &rows {
        max = max.max(number_of(&r.try_get::<String, _>("data_json")?));
    }
    Ok(max + 1)
}

/// One issuer at a time: numbering and the one-per-period rule read then write.
async fn lock_bulletins(store: &Store, tx: &mut crate::Tx) -> Result<()> {
    if store.backend == crate::Backend::Postgres {
        sqlx::query("SELECT pg_advisory_xact_lock(51017)")
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn insert_issued(
    tx: &mut crate::Tx,
    actor: &Actor,
    b: &Bulletin,
    today: NaiveDate,
) -> Result<i64> {
    let data = serde_json::to_string(b).map_err(|e| StoreError::Conflict(e.to_string()))?;
    Ok(sqlx::query(&format!(
        "INSERT INTO bulletins (period, title, status, data_json, created_by, issued_by, issued_on, created_at, owner_id) \
         VALUES ($1, $2, 'issued', $3, $4, $4, $5, $6, {}) RETURNING id",
        actor.owner_sql()
    ))
    .bind(&b.period)
    .bind(&b.title)
    .bind(&data)
    .bind(&actor.username)
    .bind(today.to_string())
    .bind(now_text())
    .fetch_one(&mut **tx)
    .await?
    .try_get("id")?)
}

/// Issues a bulletin: its figures are frozen as computed now and numbered within the year.
/// One bulletin per period: a period already issued is corrected or revoked, never doubled.
pub async fn issue(store: &Store, actor: &Actor, mut b: Bulletin, today: NaiveDate) -> Result<i64> {
    actor.require_admin()?;
    let mut tx = store.begin().await?;
    lock_bulletins(store, &mut tx).await?;
    let taken = sqlx::query(&format!(
        "SELECT id FROM bulletins WHERE status = 'issued' AND period = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(&b.period)
    .fetch_optional(&mut *tx)
    .await?;
    if taken.is_some() {
        return Err(StoreError::Conflict("error-bulletin-period-issued".into()));
    }
    b.number = next_number(&mut tx, actor, today.year()).await?;
    b.correction = None;
    let id = insert_issued(&mut tx, actor, &b, today).await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "bulletin.issue",
            target_type: "bulletin",
            target_id: &id.to_string(),
            before: serde_json::Value::Null,
            after: json!({"period": b.period, "number": b.number, "due": b.total.due, "accepted": b.total.accepted, "overdue": b.total.overdue}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller's district's bulletin in force with this id, for a correction or revocation:
/// its period and number. Another district's bulletin is not found.
async fn in_force(tx: &mut crate::Tx, actor: &Actor, id: i64) -> Result<(String, u32)> {
    let row = sqlx::query(&format!(
        "SELECT period, data_json, status FROM bulletins WHERE id = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    if row.try_get::<String, _>("status")? != "issued" {
        return Err(StoreError::Conflict("error-bulletin-not-in-force".into()));
    }
    Ok((
        row.try_get("period")?,
        number_of(&row.try_get::<String, _>("data_json")?),
    ))
}

fn reason_required(reason: &str) -> Result<String> {
    match reason.trim() {
        "" => Err(StoreError::invalid("reason", "error-reason-required")),
        r => Ok(r.to_string()),
    }
}

/// Corrects (更正) an issued bulletin: `b`, recomputed for the same period, is issued under
/// the same number with the reason, and the earlier issue is kept as superseded by it.
pub async fn correct(
    store: &Store,
    actor: &Actor,
    id: i64,
    mut b: Bulletin,
    reason: &str,
    today: NaiveDate,
) -> Result<i64> {
    actor.require_admin()?;
    let reason = reason_required(reason)?;
    let mut tx = store.begin().await?;
    lock_bulletins(store, &mut tx).await?;
    let (period, number) = in_force(&mut tx, actor, id).await?;
    if period != b.period {
        return Err(StoreError::invalid("period", "error-period-format"));
    }
    b.number = number;
    b.correction = Some(reason.clone());
    let new_id = insert_issued(&mut tx, actor, &b, today).await?;
    sqlx::query(
        "UPDATE bulletins SET status = 'superseded', reason = $1, replaced_by = $2 WHERE id = $3",
    )
    .bind(&reason)
    .bind(new_id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "bulletin.correct",
            target_type: "bulletin",
            target_id: &id.to_string(),
            before: json!({"status": "issued"}),
            after: json!({"status": "superseded", "replaced_by": new_id, "reason": reason, "number": number}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(new_id)
}

/// Revokes (撤销) an issued bulletin with the office's reason. It stays readable, marked as
/// revoked; its period may be issued again (under a new number).
pub async fn revoke(store: &Store, actor: &Actor, id: i64, reason: &str) -> Result<()> {
    actor.require_admin()?;
    let reason = reason_required(reason)?;
    let mut tx = store.begin().await?;
    lock_bulletins(store, &mut tx).await?;
    in_force(&mut tx, actor, id).await?;
    sqlx::query("UPDATE bulletins SET status = 'revoked', reason = $1 WHERE id = $2")
        .bind(&reason)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "bulletin.revoke",
            target_type: "bulletin",
            target_id: &id.to_string(),
            before: json!({"status": "issued"}),
            after: json!({"status": "revoked", "reason": reason}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Any bulletin ever issued, with where it stands (the page shows a corrected or revoked one
/// with a notice; lists and the API show only those in force).
pub async fn get_any(store: &Store, actor: &Actor, id: i64) -> Result<(Bulletin, Standing)> {
    may_read(actor)?;
    let row = sqlx::query(&format!(
        "SELECT data_json, status, reason, replaced_by FROM bulletins WHERE id = $1 AND status <> 'draft' \
         AND owner_id IN {}",
        readable_owners(actor)
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let data: String = row.try_get("data_json")?;
    let b = serde_json::from_str(&data)
        .map_err(|e| StoreError::Conflict(format!("stored bulletin {id} is unreadable: {e}")))?;
    let reason = row
        .try_get::<Option<String>, _>("reason")?
        .unwrap_or_default();
    let standing = match row.try_get::<String, _>("status")?.as_str() {
        "superseded" => Standing::Superseded {
            by: row.try_get::<Option<i64>, _>("replaced_by")?.unwrap_or(0),
            reason,
        },
        "revoked" => Standing::Revoked { reason },
        _ => Standing::Issued,
    };
    Ok((b, standing))
}

/// SQL: the owners whose bulletins the caller reads: its own district's, and for a city's
/// (or province's) accounts those of every district under it, as they are circulated.
fn readable_owners(actor: &Actor) -> String {
    actor.owned_units_sql()
}

fn may_read(actor: &Actor) -> Result<()> {
    match actor.scope() {
        qcity_domain::role::Scope::Public => Err(StoreError::Forbidden),
        _ => Ok(()),
    }
}

/// Issued bulletins, newest first. Every signed-in role may read them (they are circulated).
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Issued>> {
    may_read(actor)?;
    let rows = sqlx::query(&format!(
        "SELECT b.id, b.period, b.title, b.data_json, b.issued_by, b.issued_on, u.name AS issuer_name \
         FROM bulletins b JOIN org_units u ON u.id = b.owner_id \
         WHERE b.status = 'issued' AND b.owner_id IN {} ORDER BY b.id DESC",
        readable_owners(actor)
    ))
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let data: String = r.try_get("data_json")?;
            let number = serde_json::from_str::<Bulletin>(&data)
                .map(|b| b.number)
                .unwrap_or(0);
            Ok(Issued {
                id: r.try_get("id")?,
                issuer_name: r.try_get("issuer_name")?,
                period: r.try_get("period")?,
                title: r.try_get("title")?,
                number,
                issued_by: r
                    .try_get::<Option<String>, _>("issued_by")?
                    .unwrap_or_default(),
                issued_on: r
                    .try_get::<Option<String>, _>("issued_on")?
                    .unwrap_or_default(),
            })
        })
        .collect()
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Bulletin> {
    may_read(actor)?;
    let row = sqlx::query(&format!(
        "SELECT data_json FROM bulletins WHERE id = $1 AND status = 'issued' AND owner_id IN {}",
        readable_owners(actor)
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let data: String = row.try_get("data_json")?;
    serde_json::from_str(&data)
        .map_err(|e| StoreError::Conflict(format!("stored bulletin {id} is unreadable: {e}")))
}
