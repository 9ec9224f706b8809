//! Bringing the obligations in line with a plan version, and saying beforehand what that will
//! do. One computation ([`steps`]) serves both, so the preview the office confirms is what the
//! import then writes.

use super::{Obligation, SELECT, from_row, tallies};
use crate::{Result, Store, Tx, now_text};
use chrono::NaiveDate;
use qcity_domain::plan::Plan;
use qcity_domain::supervision::{Duty, ObligationStatus, Tally, Wanted, category_of, wanted};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};

/// What a plan version did (or will do) to the obligations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SyncSummary {
    pub added: usize,
    pub retired: usize,
    pub revived: usize,
    pub rescheduled: usize,
}

/// One change to the stored obligations.
enum Step {
    /// A new obligation (its unit may be new too: `unit_id` is `None` until the import adds it).
    Add { w: Wanted, unit_id: Option<i64> },
    /// A live or retired obligation the plan still asks for, with the plan's due date changed
    /// or brought back to life. `due` keeps an extension the office granted.
    Update {
        id: i64,
        duty: Duty,
        due: String,
        plan_due: String,
        times: i64,
    },
    /// An obligation the plan no longer asks for: retired, never deleted.
    Retire { id: i64 },
}

/// The steps from the stored obligations to what `plan` asks, and their counts. Existing
/// obligations keep their progress (matched by content code, unit and period); a due date the
/// plan moves follows unless the office granted an extension.
fn steps(
    existing: &[Obligation],
    plan: &Plan,
    unit_ids: &HashMap<String, i64>,
) -> (Vec<Step>, SyncSummary) {
    let by_key: HashMap<(&str, &str, &str), &Obligation> = existing
        .iter()
        .map(|o| {
            (
                (
                    o.content_code.as_str(),
                    o.unit_code.as_str(),
                    o.period_key.as_str(),
                ),
                o,
            )
        })
        .collect();
    let mut out = Vec::new();
    let mut summary = SyncSummary::default();
    let mut kept: HashSet<i64> = HashSet::new();
    for w in wanted(plan) {
        let plan_due = w.due.to_string();
        match by_key.get(&(w.content.as_str(), w.unit.as_str(), w.period.as_str())) {
            None => {
                // A unit the plan names but neither stores nor lists is skipped, as before.
                let unit_id = unit_ids.get(&w.unit).copied();
                if unit_id.is_none() && plan.unit(&w.unit).is_none() {
                    continue;
                }
                summary.added += 1;
                out.push(Step::Add { w, unit_id });
            }
            Some(o) => {
                kept.insert(o.id);
                let moved = o.original_due != plan_due;
                if o.retired || moved {
                    if o.retired {
                        summary.revived += 1;
                    }
                    if moved {
                        summary.rescheduled += 1;
                    }
                    let extended = o.due_date != o.original_due;
                    out.push(Step::Update {
                        id: o.id,
                        duty: w.duty,
                        due: if extended {
                            o.due_date.clone()
                        } else {
                            plan_due.clone()
                        },
                        plan_due,
                        times: i64::from(w.times),
                    });
                }
            }
        }
    }
    for o in existing {
        if !o.retired && !kept.contains(&o.id) {
            summary.retired += 1;
            out.push(Step::Retire { id: o.id });
        }
    }
    (out, summary)
}

async fn unit_ids(tx: &mut Tx) -> Result<HashMap<String, i64>> {
    sqlx::query("SELECT id, code FROM org_units")
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>("code")?, r.try_get::<i64, _>("id")?)))
        .collect()
}

/// The org unit id of the plan's owner (its district, or a city for its own plan), when
/// stored: a district taking its first plan has none yet.
pub(crate) async fn owner_id(tx: &mut Tx, plan: &Plan) -> Result<Option<i64>> {
    let Some(owner) = plan.owner() else {
        return Ok(None);
    };
    sqlx::query("SELECT id FROM org_units WHERE code = $1")
        .bind(&owner.code)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get("id"))
        .transpose()
        .map_err(Into::into)
}

/// The obligations of one owner's plan: another district's are never touched.
async fn owned_obligations(tx: &mut Tx, owner: Option<i64>) -> Result<Vec<Obligation>> {
    let Some(owner) = owner else {
        return Ok(Vec::new());
    };
    sqlx::query(&format!("{SELECT} WHERE o.owner_id = $1"))
        .bind(owner)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Brings the obligations in line with a plan version, inside the plan import's transaction
/// (after the units are in line with the plan's).
pub async fn sync_from_plan(
    backend: crate::Backend,
    tx: &mut Tx,
    plan: &Plan,
) -> Result<SyncSummary> {
    let ids = unit_ids(tx).await?;
    let owner = owner_id(tx, plan).await?;
    let existing = owned_obligations(tx, owner).await?;
    let (steps, summary) = steps(&existing, plan, &ids);
    let now = now_text();
    for step in steps {
        match step {
            Step::Add { w, unit_id } => {
                let Some(unit_id) = unit_id.or_else(|| ids.get(&w.unit).copied()) else {
                    continue;
                };
                sqlx::query(
                    "INSERT INTO obligations (content_code, category, unit_id, duty, period_key, start_date, due_date, original_due, times, status, created_at, updated_at, owner_id) \
                     VALUES ($1, $9, $2, $3, $4, $5, $6, $6, $7, $10, $8, $8, $11)",
                )
                .bind(&w.content)
                .bind(unit_id)
                .bind(w.duty.as_str())
                .bind(&w.period)
                .bind(w.start.map(|d| d.to_string()))
                .bind(w.due.to_string())
                .bind(i64::from(w.times))
                .bind(&now)
                .bind(category_of(&w.content))
                .bind(ObligationStatus::NotStarted.as_str())
                .bind(owner)
                .execute(&mut **tx)
                .await?;
            }
            Step::Update {
                id,
                duty,
                due,
                plan_due,
                times,
            } => {
                sqlx::query("UPDATE obligations SET retired = 0, duty = $1, due_date = $2, original_due = $3, times = $4, updated_at = $5 WHERE id = $6")
                    .bind(duty.as_str())
                    .bind(&due)
                    .bind(&plan_due)
                    .bind(times)
                    .bind(&now)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
            Step::Retire { id } => {
                sqlx::query("UPDATE obligations SET retired = 1, updated_at = $1 WHERE id = $2")
                    .bind(&now)
                    .bind(id)
                    .execute(&mut **tx)
                    .await?;
            }
        }
    }
    if let Some(owner) = owner {
        super::tallies::refresh_owner(backend, tx, owner).await?;
    }
    Ok(summary)
}

/// What a plan version would do to one unit's obligations.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UnitEffect {
    pub unit_code: String,
    pub unit_name: String,
    pub summary: SyncSummary,
    /// Overdue on the date now and not after the change.
    pub stop_overdue: usize,
    /// Not overdue now and overdue after.
    pub become_overdue: usize,
}

/// What importing a plan would do to the obligations on a business date, told before anything
/// is written: the counts, how many stop or start being overdue, the district's figures before
/// and after (the same tally every page shows), and the units affected.
#[derive(Debug, Clone, Serialize)]
pub struct SyncPreview {
    pub summary: SyncSummary,
    pub stop_overdue: usize,
    pub become_overdue: usize,
    pub before: Tally,
    pub after: Tally,
    /// Units with any change, most changes first.
    pub units: Vec<UnitEffect>,
}

/// Computes the effect of `plan` on the obligations as of `today`, in a transaction that only
/// reads.
pub async fn preview_sync(store: &Store, plan: &Plan, today: NaiveDate) -> Result<SyncPreview> {
    let mut tx = store.begin().await?;
    let ids = unit_ids(&mut tx).await?;
    let owner = owner_id(&mut tx, plan).await?;
    let existing = owned_obligations(&mut tx, owner).await?;
    tx.rollback().await?;
    let (steps, summary) = steps(&existing, plan, &ids);
    let live_before: Vec<Obligation> = existing.iter().filter(|o| !o.retired).cloned().collect();
    let overdue_before: HashSet<i64> = live_before
        .iter()
        .filter(|o| o.overdue(today))
        .map(|o| o.id)
        .collect();
    let mut after: BTreeMap<i64, Obligation> = existing.iter().map(|o| (o.id, o.clone())).collect();
    let mut units: BTreeMap<String, UnitEffect> = BTreeMap::new();
    let name_of = |code: &str, fallback: &str| {
        plan.unit(code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| fallback.to_string())
    };
    let mut next_new = -1;
    for step in &steps {
        let (code, o_after) = match step {
            Step::Add { w, unit_id } => {
                let o = Obligation {
                    id: next_new,
                    content_code: w.content.clone(),
                    unit_id: unit_id.unwrap_or(next_new),
                    unit_code: w.unit.clone(),
                    unit_name: name_of(&w.unit, &w.unit),
                    duty: w.duty,
                    period_key: w.period.clone(),
                    start_date: w.start.map(|d| d.to_string()),
                    due_date: w.due.to_string(),
                    original_due: w.due.to_string(),
                    times: i64::from(w.times),
                    status: ObligationStatus::NotStarted,
                    percent: 0,
                    submitted_on: None,
                    accepted_on: None,
                    retired: false,
                    row_version: 0,
                    acknowledged_by: None,
                    acknowledged_on: None,
                };
                next_new -= 1;
                let e = units.entry(w.unit.clone()).or_default();
                e.summary.added += 1;
                (w.unit.clone(), o)
            }
            Step::Update {
                id,
                due,
                plan_due,
                duty,
                times,
            } => {
                let Some(o) = after.get(id) else { continue };
                let e = units.entry(o.unit_code.clone()).or_default();
                if o.retired {
                    e.summary.revived += 1;
                }
                if o.original_due != *plan_due {
                    e.summary.rescheduled += 1;
                }
                let mut o = o.clone();
                o.retired = false;
                o.due_date = due.clone();
                o.original_due = plan_due.clone();
                o.duty = *duty;
                o.times = *times;
                (o.unit_code.clone(), o)
            }
            Step::Retire { id } => {
                let Some(o) = after.get(id) else { continue };
                let mut o = o.clone();
                units
                    .entry(o.unit_code.clone())
                    .or_default()
                    .summary
                    .retired += 1;
                o.retired = true;
                (o.unit_code.clone(), o)
            }
        };
        let was_overdue = overdue_before.contains(&o_after.id);
        let is_overdue = !o_after.retired && o_after.overdue(today);
        let e = units.entry(code.clone()).or_default();
        e.unit_code = code.clone();
        e.unit_name = name_of(&code, &o_after.unit_name);
        match (was_overdue, is_overdue) {
            (true, false) => e.stop_overdue += 1,
            (false, true) => e.become_overdue += 1,
            _ => {}
        }
        after.insert(o_after.id, o_after);
    }
    let live_after: Vec<Obligation> = after.into_values().filter(|o| !o.retired).collect();
    let mut units: Vec<UnitEffect> = units.into_values().collect();
    let weight = |u: &UnitEffect| {
        u.summary.added + u.summary.retired + u.summary.revived + u.summary.rescheduled
    };
    units.sort_by(|a, b| {
        weight(b)
            .cmp(&weight(a))
            .then(a.unit_code.cmp(&b.unit_code))
    });
    Ok(SyncPreview {
        stop_overdue: units.iter().map(|u| u.stop_overdue).sum(),
        become_overdue: units.iter().map(|u| u.become_overdue).sum(),
        summary,
        before: tallies(&live_before, today).district(),
        after: tallies(&live_after, today).district(),
        units,
    })
}
