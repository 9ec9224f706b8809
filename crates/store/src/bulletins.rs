//! Bulletins (通报): figures for a period computed from obligations, a stated rule for
//! commendation and criticism, and the archive of issued bulletins (frozen as issued).

use crate::audit::{self, Change};
use crate::obligations::{self, Obligation, ObligationStatus, category_of};
use crate::{Actor, Result, Store, StoreError, now_text};
use chrono::{Datelike, NaiveDate};
use qcity_domain::bulletin::{Bulletin, CategoryLine, OverdueLine, Rates, UnitLine};
use qcity_domain::plan::Plan;
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// The stated rule, applied exactly as written below.
pub const RULE: &str = "表扬：截至统计日应完成事项不少于3项、且全部按时完成并销号的单位。通报批评：截至统计日有事项逾期超过15天的单位，或应完成事项不少于3项而按时完成率低于60%的单位。";
const MIN_FOR_RULE: u32 = 3;
const LATE_DAYS: i64 = 15;
const LOW_ON_TIME: f64 = 60.0;

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref()
        .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

/// State of one obligation as of a date, from its dates (so a past month's figures do not
/// change when work is done later).
struct AsOf {
    due: bool,
    accepted: bool,
    on_time: bool,
    overdue_days: i64,
}

fn as_of(o: &Obligation, at: NaiveDate) -> Option<AsOf> {
    let due = o.due()?;
    let submitted =
        date(&o.submitted_on).filter(|d| *d <= at && o.status != ObligationStatus::Returned);
    let accepted = date(&o.accepted_on).is_some_and(|d| d <= at);
    let handed_in = submitted.is_some() || accepted;
    Some(AsOf {
        due: due <= at,
        accepted,
        on_time: submitted.is_some_and(|s| s <= due),
        overdue_days: if !handed_in && at > due {
            (at - due).num_days()
        } else {
            0
        },
    })
}

fn rates(items: &[&AsOf]) -> Rates {
    let due: Vec<&&AsOf> = items.iter().filter(|a| a.due).collect();
    let n = due.len() as u32;
    let accepted = due.iter().filter(|a| a.accepted).count() as u32;
    let on_time = due.iter().filter(|a| a.on_time).count() as u32;
    let overdue = due.iter().filter(|a| a.overdue_days > 0).count() as u32;
    let pct = |k: u32| {
        if n == 0 {
            100.0
        } else {
            (f64::from(k) * 1000.0 / f64::from(n)).round() / 10.0
        }
    };
    Rates {
        due: n,
        accepted,
        on_time,
        overdue,
        completion_rate: pct(accepted),
        on_time_rate: pct(on_time),
    }
}

/// Computes a bulletin for `[start, end]` with figures as of min(end, today).
pub fn compute(
    plan: &Plan,
    obs: &[Obligation],
    red_notices: &BTreeMap<String, u32>,
    start: NaiveDate,
    end: NaiveDate,
    today: NaiveDate,
) -> Bulletin {
    let at = end.min(today);
    let states: Vec<(&Obligation, AsOf)> = obs
        .iter()
        .filter_map(|o| as_of(o, at).map(|a| (o, a)))
        .collect();
    let mut by_unit: BTreeMap<(String, String), Vec<&AsOf>> = BTreeMap::new();
    let mut by_cat: BTreeMap<String, Vec<&AsOf>> = BTreeMap::new();
    for (o, a) in &states {
        by_unit
            .entry((o.unit_code.clone(), o.unit_name.clone()))
            .or_default()
            .push(a);
        by_cat
            .entry(category_of(&o.content_code).to_string())
            .or_default()
            .push(a);
    }
    let all: Vec<&AsOf> = states.iter().map(|(_, a)| a).collect();
    let mut units: Vec<UnitLine> = by_unit
        .iter()
        .map(|((code, name), items)| UnitLine {
            unit_code: code.clone(),
            unit_name: name.clone(),
            rates: rates(items),
            red_notices: red_notices.get(code).copied().unwrap_or(0),
        })
        .collect();
    // Best first, as a bulletin ranks units; ties by name so the order is reproducible.
    units.sort_by(|a, b| {
        b.rates
            .completion_rate
            .total_cmp(&a.rates.completion_rate)
            .then(b.rates.on_time_rate.total_cmp(&a.rates.on_time_rate))
            .then(a.unit_name.cmp(&b.unit_name))
    });
    let categories = plan
        .categories
        .iter()
        .filter_map(|c| {
            by_cat.get(&c.code).map(|items| CategoryLine {
                code: c.code.clone(),
                title: c.title.clone(),
                rates: rates(items),
            })
        })
        .collect();
    let mut overdue: Vec<OverdueLine> = states
        .iter()
        .filter(|(_, a)| a.overdue_days > 0)
        .map(|(o, a)| OverdueLine {
            unit_name: o.unit_name.clone(),
            content_code: o.content_code.clone(),
            content_text: plan
                .content(&o.content_code)
                .map(|c| c.text.clone())
                .unwrap_or_default(),
            due_date: o.due_date.clone(),
            days_overdue: a.overdue_days,
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
            let low = u.rates.due >= MIN_FOR_RULE && u.rates.on_time_rate < LOW_ON_TIME;
            let mut why = Vec::new();
            if late > 0 {
                why.push(format!("{late} 项逾期超过{LATE_DAYS}天"));
            }
            if low {
                why.push(format!("按时完成率 {:.1}%", u.rates.on_time_rate));
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
        total: rates(&all),
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

/// Red notices per unit code issued in the period.
async fn red_notices(
    store: &Store,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<BTreeMap<String, u32>> {
    let rows = sqlx::query(
        "SELECT u.code, COUNT(*) AS n FROM notices n JOIN org_units u ON u.id = n.unit_id \
         WHERE n.level = 'red' AND n.issued_on >= $1 AND n.issued_on <= $2 GROUP BY u.code",
    )
    .bind(start.to_string())
    .bind(end.to_string())
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("code")?,
                r.try_get::<i64, _>("n")? as u32,
            ))
        })
        .collect()
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
    let reds = red_notices(store, start, end).await?;
    Ok(compute(plan, &obs, &reds, start, end, today))
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
