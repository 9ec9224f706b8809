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
    let obs = obligations::list(
        store,
        &Actor::system("bulletin"),
        &obligations::Filter::default(),
        today,
    )
    .await?;
    let notices = crate::notices::counts_by_unit(store, start, end).await?;
    Ok(compute(plan, &obs, &notices, start, end, today))
}

#[derive(Debug, Clone, Serialize)]
pub struct Issued {
    pub id: i64,
    pub period: String,
    pub title: String,
    pub number: u32,
    pub issued_by: String,
    pub issued_on: String,
}

/// Issues a bulletin: its figures are frozen as computed now and numbered within the year.
pub async fn issue(store: &Store, actor: &Actor, mut b: Bulletin, today: NaiveDate) -> Result<i64> {
    actor.require_admin()?;
    let year = today.year().to_string();
    let mut tx = store.begin().await?;
    if store.backend == crate::Backend::Postgres {
        // Numbering reads then writes: one issuer at a time (the audit trail's lock, re-entrant).
        sqlx::query("SELECT pg_advisory_xact_lock(51017)")
            .execute(&mut *tx)
            .await?;
    }
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM bulletins WHERE status = 'issued' AND issued_on LIKE $1",
    )
    .bind(format!("{year}-%"))
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    b.number = (n + 1) as u32;
    let data = serde_json::to_string(&b).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let id: i64 = sqlx::query(
        "INSERT INTO bulletins (period, title, status, data_json, created_by, issued_by, issued_on, created_at) \
         VALUES ($1, $2, 'issued', $3, $4, $4, $5, $6) RETURNING id",
    )
    .bind(&b.period)
    .bind(&b.title)
    .bind(&data)
    .bind(&actor.username)
    .bind(today.to_string())
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
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

fn may_read(actor: &Actor) -> Result<()> {
    match actor.scope() {
        qcity_domain::role::Scope::Public => Err(StoreError::Forbidden),
        _ => Ok(()),
    }
}

/// Issued bulletins, newest first. Every signed-in role may read them (they are circulated).
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Issued>> {
    may_read(actor)?;
    let rows = sqlx::query("SELECT id, period, title, data_json, issued_by, issued_on FROM bulletins WHERE status = 'issued' ORDER BY id DESC")
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
    let row = sqlx::query("SELECT data_json FROM bulletins WHERE id = $1 AND status = 'issued'")
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let data: String = row.try_get("data_json")?;
    serde_json::from_str(&data)
        .map_err(|e| StoreError::Conflict(format!("stored bulletin {id} is unreadable: {e}")))
}
