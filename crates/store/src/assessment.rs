//! Unit performance assessment (绩效考核): the scoring scheme in force, evaluators' ratings in
//! an evaluation window, and each unit's score counted from the data.
//!
//! What is counted for a unit and a period (a calendar year), as of a date (the period's end,
//! or the business date when that is earlier):
//! - the supervision figures of the overview (`Tally`, `docs/figures.md`) over the obligations
//!   that entered 应完成 in the period: of those the unit leads, 应完成 and 按时; of all of the
//!   unit's (lead or undertaking), reports due, on time and late;
//! - final reports (销号申请) the unit handed in during the period, and the office's returns
//!   (退回) of the unit's reports during the period;
//! - 催办, 督办 and 通报 notices (blue, yellow, red) issued to the unit during the period;
//! - the indicators the unit is responsible for, evaluated as of the date;
//! - the evaluators' ratings (out of 100) in every window of the period, open or closed.
//!
//! Each district (or city) assesses its own member units: schemes, windows and ratings carry
//! `owner_id`, every read and write is held to the actor's owner (another district's window
//! is not found), and the facts count the owner's obligations only.

use crate::audit::{self, Change};
use crate::obligations::Action;
use crate::schema::{Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, now_text};
use chrono::{Datelike, NaiveDate};
use qcity_domain::assessment::{Scheme, UnitFacts, UnitScore, rank};
use qcity_domain::plan::{Diagnostic, Plan};
use qcity_domain::role::{Role, Scope};
use qcity_domain::supervision::Tally;
use qcity_domain::target::{Observations, Status};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// This module's tables.
pub const SCHEMA: Schema = Schema {
    slug: "assessment",
    migrations: &[
        Migration {
            version: 6,
            name: "unit assessment",
            sql: include_str!("../migrations/0006_assessment_schemes.sql"),
        },
        Migration {
            version: 2026120621,
            name: "assessment: ratings are drafts until submitted",
            sql: include_str!("../migrations/2026120621_assessment_rating_drafts.sql"),
        },
        Migration {
            version: 2026120666,
            name: "assessment: schemes, windows and ratings per district",
            sql: include_str!("../migrations/2026120666_assessment_owner.sql"),
        },
    ],
    tables: &[
        Table::by_id("assessment_schemes"),
        Table::by_id("assessment_windows"),
        Table::by_id("assessment_ratings"),
    ],
    jobs: &[],
    measures: &[],
    demo: Some(|store, ctx| Box::pin(crate::demo::assessment::run(store, ctx.today))),
};

/// The scale of a rating: 0 to this.
pub const RATING_MAX: f64 = 100.0;

/// A saved scheme version.
#[derive(Debug, Clone, Serialize)]
pub struct SchemeVersion {
    pub id: i64,
    pub name: String,
    /// The first period (year) it scores; earlier periods keep the scheme they had.
    pub applies_from: i64,
    pub created_by: String,
    pub created_at: String,
}

const SCHEME_SELECT: &str =
    "SELECT id, name, scheme_toml, applies_from, created_by, created_at FROM assessment_schemes";

/// The newest scheme the actor's district saved, else the shipped default (`None` as version).
pub async fn current_scheme(
    store: &Store,
    actor: &Actor,
) -> Result<(Scheme, Option<SchemeVersion>)> {
    let row = sqlx::query(&format!(
        "{SCHEME_SELECT} WHERE owner_id = {} ORDER BY id DESC LIMIT 1",
        actor.owner_sql()
    ))
    .fetch_optional(&store.pool)
    .await?;
    scheme_row(row)
}

/// The scheme that scores `period`: the one saved for the latest period not after it (the
/// newest such save), else the shipped default. So editing the scheme for 2015 leaves the
/// 2014 scores, ranks and exports as they were. Each district keeps its own schemes.
pub async fn scheme_for(
    store: &Store,
    actor: &Actor,
    period: i32,
) -> Result<(Scheme, Option<SchemeVersion>)> {
    let row = sqlx::query(&format!(
        "{SCHEME_SELECT} WHERE owner_id = {} AND applies_from <= $1 \
         ORDER BY applies_from DESC, id DESC LIMIT 1",
        actor.owner_sql()
    ))
    .bind(i64::from(period))
    .fetch_optional(&store.pool)
    .await?;
    scheme_row(row)
}

fn scheme_row(row: Option<sqlx::any::AnyRow>) -> Result<(Scheme, Option<SchemeVersion>)> {
    let Some(r) = row else {
        return Ok((Scheme::default_scheme(), None));
    };
    let toml: String = r.try_get("scheme_toml")?;
    // Only validated schemes are saved; a row that no longer loads (a later, stricter rule)
    // falls back to the default rather than breaking every page, and says so in the log.
    let scheme = crate::stored_rules::<Scheme>(&toml).unwrap_or_else(Scheme::default_scheme);
    Ok((
        scheme,
        Some(SchemeVersion {
            id: r.try_get("id")?,
            name: r.try_get("name")?,
            applies_from: r.try_get("applies_from")?,
            created_by: r.try_get("created_by")?,
            created_at: r.try_get("created_at")?,
        }),
    ))
}

/// The office saves a new scheme from TOML for `applies_from` and later periods. A scheme
/// that does not load or validate is refused with its diagnostics (outer `Ok(Err(..))`) and
/// nothing is saved.
pub async fn save_scheme(
    store: &Store,
    actor: &Actor,
    src: &str,
    applies_from: i32,
) -> Result<std::result::Result<i64, Vec<Diagnostic>>> {
    actor.require_admin()?;
    if !(2000..=2100).contains(&applies_from) {
        return Err(StoreError::invalid("period", "assessment-error-period"));
    }
    let scheme = match Scheme::load(src) {
        Ok(s) => s,
        Err(d) => return Ok(Err(d)),
    };
    let (before, _) = scheme_for(store, actor, applies_from).await?;
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "INSERT INTO assessment_schemes (name, scheme_toml, applies_from, created_by, created_at, owner_id) \
         VALUES ($1, $2, $3, $4, $5, {}) RETURNING id",
        actor.owner_sql()
    ))
    .bind(&scheme.name)
    .bind(src)
    .bind(i64::from(applies_from))
    .bind(&actor.username)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "assessment.scheme.save",
            target_type: "assessment_scheme",
            target_id: &id.to_string(),
            before: json!({"name": before.name, "weights": before.weights, "red_notice_deduction": before.red_notice_deduction, "red_notice_cap": before.red_notice_cap}),
            after: json!({"applies_from": applies_from, "name": scheme.name, "weights": scheme.weights, "red_notice_deduction": scheme.red_notice_deduction, "red_notice_cap": scheme.red_notice_cap}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// An evaluation window (评议期).
#[derive(Debug, Clone, Serialize)]
pub struct Window {
    pub id: i64,
    pub title: String,
    pub period: i64,
    pub opens_on: String,
    pub closes_on: String,
    pub closed_on: Option<String>,
    pub created_by: String,
}

impl Window {
    /// Open on `today`: within its dates and not closed by the office.
    pub fn is_open(&self, today: NaiveDate) -> bool {
        let day = today.to_string();
        self.closed_on.is_none() && self.opens_on <= day && day <= self.closes_on
    }
}

fn window_from_row(r: &sqlx::any::AnyRow) -> Result<Window> {
    Ok(Window {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        period: r.try_get("period")?,
        opens_on: r.try_get("opens_on")?,
        closes_on: r.try_get("closes_on")?,
        closed_on: r.try_get("closed_on")?,
        created_by: r.try_get("created_by")?,
    })
}

const WINDOW_SELECT: &str =
    "SELECT id, title, period, opens_on, closes_on, closed_on, created_by FROM assessment_windows";

/// Every window of the actor's district, newest first. Every signed-in role may read them.
pub async fn windows(store: &Store, actor: &Actor) -> Result<Vec<Window>> {
    if actor.scope() == Scope::Public {
        return Err(StoreError::Forbidden);
    }
    sqlx::query(&format!(
        "{WINDOW_SELECT} WHERE owner_id = {} ORDER BY id DESC",
        actor.owner_sql()
    ))
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(window_from_row)
    .collect()
}

/// A window of the actor's district; another district's is not found.
async fn window(store: &Store, actor: &Actor, id: i64) -> Result<Window> {
    let row = sqlx::query(&format!(
        "{WINDOW_SELECT} WHERE id = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    window_from_row(&row)
}

/// A window as the office enters it.
pub struct NewWindow {
    pub title: String,
    pub period: i64,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
}

/// The office opens an evaluation window.
pub async fn open_window(store: &Store, actor: &Actor, w: NewWindow) -> Result<i64> {
    actor.require_admin()?;
    let title = w.title.trim();
    if title.is_empty() {
        return Err(StoreError::invalid("title", "assessment-error-title"));
    }
    if title.chars().count() > 200 {
        return Err(StoreError::invalid("title", "error-too-long"));
    }
    if !(2000..=2100).contains(&w.period) {
        return Err(StoreError::invalid("period", "assessment-error-period"));
    }
    if w.closes_on < w.opens_on {
        return Err(StoreError::invalid("closes_on", "assessment-error-dates"));
    }
    let mut tx = store.begin().await?;
    let row = sqlx::query(&format!(
        "INSERT INTO assessment_windows (title, period, opens_on, closes_on, created_by, created_at, owner_id) \
         VALUES ($1, $2, $3, $4, $5, $6, {}) RETURNING id",
        actor.owner_sql()
    ))
    .bind(title)
    .bind(w.period)
    .bind(w.opens_on.to_string())
    .bind(w.closes_on.to_string())
    .bind(&actor.username)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "assessment.window.open",
            target_type: "assessment_window",
            target_id: &id.to_string(),
            before: json!(null),
            after: json!({"title": title, "period": w.period, "opens_on": w.opens_on.to_string(), "closes_on": w.closes_on.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The office closes a window early (or confirms its end); ratings are then final.
pub async fn close_window(store: &Store, actor: &Actor, id: i64, today: NaiveDate) -> Result<()> {
    actor.require_admin()?;
    let w = window(store, actor, id).await?;
    if w.closed_on.is_some() {
        return Err(StoreError::Conflict("assessment-error-closed".into()));
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE assessment_windows SET closed_on = $1 WHERE id = $2 AND closed_on IS NULL")
        .bind(today.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "assessment.window.close",
            target_type: "assessment_window",
            target_id: &id.to_string(),
            before: json!({"closed_on": null}),
            after: json!({"closed_on": today.to_string()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One evaluator's rating of one unit in one window.
#[derive(Debug, Clone, Serialize)]
pub struct Rating {
    pub window_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub evaluator: String,
    pub score: f64,
    pub comment: String,
    pub updated_at: String,
    /// When the evaluator submitted it; `None` while it is a draft.
    pub submitted_at: Option<String>,
}

/// Ratings of a window of the actor's district: an evaluator sees their own, the office and
/// leaders all.
pub async fn ratings(store: &Store, actor: &Actor, window_id: i64) -> Result<Vec<Rating>> {
    let own_only = match (actor.role, actor.scope()) {
        (Some(Role::Evaluator), _) => true,
        (_, Scope::All | Scope::ReadAll) => false,
        _ => return Err(StoreError::Forbidden),
    };
    window(store, actor, window_id).await?;
    let mut sql =
        "SELECT r.window_id, u.code, u.name, r.evaluator, r.score, r.comment, r.updated_at, r.submitted_at \
         FROM assessment_ratings r JOIN org_units u ON u.id = r.unit_id WHERE r.window_id = $1"
            .to_string();
    if own_only {
        sql.push_str(" AND r.evaluator = $2");
    }
    sql.push_str(" ORDER BY u.code, r.evaluator");
    let mut q = sqlx::query(&sql).bind(window_id);
    if own_only {
        q = q.bind(&actor.username);
    }
    q.fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Rating {
                window_id: r.try_get("window_id")?,
                unit_code: r.try_get("code")?,
                unit_name: r.try_get("name")?,
                evaluator: r.try_get("evaluator")?,
                score: r.try_get("score")?,
                comment: r.try_get("comment")?,
                updated_at: r.try_get("updated_at")?,
                submitted_at: r.try_get("submitted_at")?,
            })
        })
        .collect()
}

/// An evaluator rates a member unit in an open window (0–100 with a comment), or changes their
/// own rating while the window is open. Refused outside the window.
pub async fn rate(
    store: &Store,
    actor: &Actor,
    window_id: i64,
    unit_code: &str,
    score: f64,
    comment: &str,
    today: NaiveDate,
) -> Result<()> {
    if actor.role != Some(Role::Evaluator) {
        return Err(StoreError::Forbidden);
    }
    let w = window(store, actor, window_id).await?;
    if !w.is_open(today) {
        return Err(StoreError::Conflict(
            "assessment-error-window-not-open".into(),
        ));
    }
    if !score.is_finite() || !(0.0..=RATING_MAX).contains(&score) {
        return Err(StoreError::invalid("score", "assessment-error-score"));
    }
    let comment = comment.trim();
    if comment.chars().count() > 2000 {
        return Err(StoreError::invalid("comment", "error-too-long"));
    }
    let unit = sqlx::query(&format!(
        "SELECT id FROM org_units WHERE code = $1 AND kind = 'member' AND id IN {}",
        actor.owned_units_sql()
    ))
    .bind(unit_code)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let unit_id: i64 = unit.try_get("id")?;
    let mut tx = store.begin().await?;
    let before = sqlx::query(
        "SELECT score, comment FROM assessment_ratings WHERE window_id = $1 AND unit_id = $2 AND evaluator = $3",
    )
    .bind(window_id)
    .bind(unit_id)
    .bind(&actor.username)
    .fetch_optional(&mut *tx)
    .await?;
    let now = now_text();
    let before_json = match &before {
        Some(r) => {
            let s: f64 = r.try_get("score")?;
            let c: String = r.try_get("comment")?;
            sqlx::query(
                "UPDATE assessment_ratings SET score = $1, comment = $2, updated_at = $3, submitted_at = $3 \
                 WHERE window_id = $4 AND unit_id = $5 AND evaluator = $6",
            )
            .bind(score)
            .bind(comment)
            .bind(&now)
            .bind(window_id)
            .bind(unit_id)
            .bind(&actor.username)
            .execute(&mut *tx)
            .await?;
            json!({"score": s, "comment": c})
        }
        None => {
            sqlx::query(&format!(
                "INSERT INTO assessment_ratings (window_id, unit_id, evaluator, score, comment, created_at, updated_at, submitted_at, owner_id) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7, {})",
                actor.owner_sql()
            ))
            .bind(window_id)
            .bind(unit_id)
            .bind(&actor.username)
            .bind(score)
            .bind(comment)
            .bind(&now)
            .bind(&now)
            .execute(&mut *tx)
            .await
            // The same evaluator's first rating sent twice at once: the second loses cleanly.
            .map_err(|e| match crate::is_unique_violation(&e) {
                true => StoreError::Conflict("error-stale-edit".into()),
                false => e.into(),
            })?;
            json!(null)
        }
    };
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "assessment.rate",
            target_type: "assessment_rating",
            target_id: &format!("{window_id}/{unit_code}"),
            before: before_json,
            after: json!({"score": score, "comment": comment}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One unit's line of an evaluator's rating sheet.
#[derive(Debug, Clone)]
pub struct RatingEntry {
    pub unit_code: String,
    /// `None` when left blank (allowed in a draft, not in a submission).
    pub score: Option<f64>,
    pub comment: String,
}

/// Whether the evaluator has submitted their ratings in the window (they are then final).
pub async fn submitted(store: &Store, actor: &Actor, window_id: i64) -> Result<bool> {
    Ok(sqlx::query(&format!(
        "SELECT 1 FROM assessment_ratings WHERE window_id = $1 AND evaluator = $2 \
         AND submitted_at IS NOT NULL AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(window_id)
    .bind(&actor.username)
    .fetch_optional(&store.pool)
    .await?
    .is_some())
}

/// An evaluator's rating sheet for a window: every unit on one page, saved as a draft (blanks
/// allowed, nothing counts yet) or submitted once, complete, when every rating then counts and
/// is final. Every line is checked before anything is written; the first fault is named by
/// its unit (`field` = "score-CODE").
pub async fn rate_all(
    store: &Store,
    actor: &Actor,
    window_id: i64,
    entries: &[RatingEntry],
    submit: bool,
    today: NaiveDate,
) -> Result<usize> {
    if actor.role != Some(Role::Evaluator) {
        return Err(StoreError::Forbidden);
    }
    let w = window(store, actor, window_id).await?;
    if !w.is_open(today) {
        return Err(StoreError::Conflict(
            "assessment-error-window-not-open".into(),
        ));
    }
    if submitted(store, actor, window_id).await? {
        return Err(StoreError::Conflict("assessment-error-submitted".into()));
    }
    let units = member_units(store, actor).await?;
    for u in &units {
        let entry = entries.iter().find(|e| e.unit_code == u.code);
        let field = format!("score-{}", u.code);
        match entry.and_then(|e| e.score) {
            None if submit => {
                return Err(StoreError::invalid(
                    &field,
                    "assessment-error-score-missing",
                ));
            }
            Some(s) if !s.is_finite() || !(0.0..=RATING_MAX).contains(&s) => {
                return Err(StoreError::invalid(&field, "assessment-error-score"));
            }
            _ => {}
        }
        if entry.is_some_and(|e| e.comment.trim().chars().count() > 2000) {
            return Err(StoreError::invalid(
                &format!("comment-{}", u.code),
                "error-too-long",
            ));
        }
    }
    let now = now_text();
    let submitted_at = submit.then(|| now.clone());
    let mut tx = store.begin().await?;
    let mut saved = 0;
    for u in &units {
        let Some(e) = entries.iter().find(|e| e.unit_code == u.code) else {
            continue;
        };
        sqlx::query("DELETE FROM assessment_ratings WHERE window_id = $1 AND unit_id = $2 AND evaluator = $3")
            .bind(window_id)
            .bind(u.id)
            .bind(&actor.username)
            .execute(&mut *tx)
            .await?;
        let Some(score) = e.score else {
            continue;
        };
        sqlx::query(&format!(
            "INSERT INTO assessment_ratings (window_id, unit_id, evaluator, score, comment, created_at, updated_at, submitted_at, owner_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7, {})",
            actor.owner_sql()
        ))
        .bind(window_id)
        .bind(u.id)
        .bind(&actor.username)
        .bind(score)
        .bind(e.comment.trim())
        .bind(&now)
        .bind(&submitted_at)
        .execute(&mut *tx)
        .await?;
        saved += 1;
    }
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: if submit {
                "assessment.rate_submit"
            } else {
                "assessment.rate_draft"
            },
            target_type: "assessment_window",
            target_id: &window_id.to_string(),
            before: serde_json::Value::Null,
            after: json!({"ratings": saved, "submitted": submit}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Evaluators rate blind: while a window of the period is open they see no unit's total or
/// rank, so the data cannot steer their judgement.
pub async fn blind(store: &Store, actor: &Actor, period: i32, today: NaiveDate) -> Result<bool> {
    if actor.role != Some(Role::Evaluator) {
        return Ok(false);
    }
    Ok(windows(store, actor)
        .await?
        .iter()
        .any(|w| w.period == i64::from(period) && w.is_open(today)))
}

/// First and last day of a period (a year), and the date facts are counted as of.
pub fn period_bounds(period: i32, today: NaiveDate) -> Option<(NaiveDate, NaiveDate, NaiveDate)> {
    let start = NaiveDate::from_ymd_opt(period, 1, 1)?;
    let end = NaiveDate::from_ymd_opt(period, 12, 31)?;
    Some((start, end, end.min(today)))
}

/// A member unit.
#[derive(Debug, Clone, Serialize)]
pub struct UnitRef {
    pub id: i64,
    pub code: String,
    pub name: String,
}

/// The units the actor's plan assesses, by code: a district's member units, or the districts
/// of a city running its own plan.
pub async fn member_units(store: &Store, actor: &Actor) -> Result<Vec<UnitRef>> {
    // A district's plan is undertaken by its member units; a city's own plan by its
    // districts (上下联动), whose member units are theirs, not the city's.
    let owner = actor.owner_sql();
    sqlx::query(&format!(
        "SELECT u.id, u.code, u.name FROM org_units u WHERE u.id IN {} \
         AND ((u.kind = 'member' AND NOT EXISTS \
               (SELECT 1 FROM org_units o WHERE o.id = {owner} AND o.kind IN ('city', 'province'))) \
              OR (u.kind = 'district' AND u.parent_id = {owner})) \
         ORDER BY u.code",
        actor.owned_units_sql()
    ))
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok(UnitRef {
            id: r.try_get("id")?,
            code: r.try_get("code")?,
            name: r.try_get("name")?,
        })
    })
    .collect()
}

/// Counts per unit id of a query with one `unit_id` and one `n` column and two date binds.
async fn counts(
    store: &Store,
    sql: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<BTreeMap<i64, u32>> {
    sqlx::query(sql)
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("unit_id")?,
                u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX),
            ))
        })
        .collect()
}

/// Each evaluator's rating of each unit in a period, by (unit, evaluator). When the office
/// opened several windows for it, an evaluator's latest rating counts, so nobody weighs twice.
async fn latest_ratings(
    store: &Store,
    owner: &str,
    period: i32,
) -> Result<BTreeMap<(i64, String), f64>> {
    let rows = sqlx::query(&format!(
        "SELECT r.unit_id, r.evaluator, r.score FROM assessment_ratings r JOIN assessment_windows w ON w.id = r.window_id \
         WHERE w.owner_id = {owner} AND w.period = $1 AND r.submitted_at IS NOT NULL ORDER BY r.updated_at, r.id"
    ))
    .bind(i64::from(period))
    .fetch_all(&store.pool)
    .await?;
    let mut latest = BTreeMap::new();
    for r in &rows {
        latest.insert(
            (r.try_get("unit_id")?, r.try_get("evaluator")?),
            r.try_get("score")?,
        );
    }
    Ok(latest)
}

/// The facts of every member unit of the actor's district for a period, as of `as_of` (see
/// the module doc), counted over that district's obligations and ratings.
pub async fn facts(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    period: i32,
    as_of: NaiveDate,
) -> Result<Vec<(UnitRef, UnitFacts)>> {
    facts_given(store, actor, plan, period, as_of, None).await
}

/// [`facts`], with the indicators' observations as of `as_of` already read by the caller
/// (used when the period ends on `as_of`, the period's usual case).
async fn facts_given(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    period: i32,
    as_of: NaiveDate,
    given: Option<&BTreeMap<String, Observations>>,
) -> Result<Vec<(UnitRef, UnitFacts)>> {
    let start = NaiveDate::from_ymd_opt(period, 1, 1).ok_or(StoreError::NotFound)?;
    let end = NaiveDate::from_ymd_opt(period, 12, 31)
        .ok_or(StoreError::NotFound)?
        .min(as_of);
    let owner = actor.owner_sql();
    let submitted_sql = format!(
        "SELECT o.unit_id AS unit_id, COUNT(*) AS n FROM reports r JOIN obligations o ON o.id = r.obligation_id \
         WHERE o.owner_id = {owner} AND r.final = 1 AND r.created_on >= $1 AND r.created_on <= $2 GROUP BY o.unit_id"
    );
    let returned_sql = format!(
        "SELECT o.unit_id AS unit_id, COUNT(*) AS n FROM obligation_events e JOIN obligations o ON o.id = e.obligation_id \
         WHERE o.owner_id = {owner} AND e.action = '{}' AND e.on_date >= $1 AND e.on_date <= $2 GROUP BY o.unit_id",
        Action::Return
    );
    // The indicators' observations as of the period's end, unless the caller read them.
    let observations = async {
        match given {
            Some(_) if end == as_of => Ok(None),
            _ => crate::indicators::observations_of(store, actor, plan, end)
                .await
                .map(Some),
        }
    };
    let system = Actor::system("assessment");
    // The reads do not depend on each other: they run at once, each on a connection.
    let (units, periods, notices, submitted, returned, ratings, read) = tokio::try_join!(
        member_units(store, actor),
        crate::obligations::period_tallies(store, &owner, start, end),
        crate::notices::counts_by_unit(store, &system, start, end),
        counts(store, &submitted_sql, start, end),
        counts(store, &returned_sql, start, end),
        latest_ratings(store, &owner, period),
        observations,
    )?;
    let mut out: BTreeMap<i64, UnitFacts> =
        units.iter().map(|u| (u.id, UnitFacts::default())).collect();

    // Supervision figures by the one definition (`Tally`), over what entered 应完成 in the
    // period: what the overview shows, restricted to the period.
    let mut lead: BTreeMap<i64, Tally> = BTreeMap::new();
    let mut all: BTreeMap<i64, Tally> = BTreeMap::new();
    for ((unit_id, duty), t) in periods {
        if duty.is_lead() {
            lead.entry(unit_id).or_default().merge(&t);
        }
        all.entry(unit_id).or_default().merge(&t);
    }
    for u in &units {
        if let Some(f) = out.get_mut(&u.id) {
            f.set_supervision(
                &lead.get(&u.id).cloned().unwrap_or_default(),
                &all.get(&u.id).cloned().unwrap_or_default(),
                notices.get(&u.code).copied().unwrap_or_default(),
            );
        }
    }
    for (id, f) in out.iter_mut() {
        f.reports_submitted = submitted.get(id).copied().unwrap_or(0);
        f.reports_returned = returned.get(id).copied().unwrap_or(0);
    }

    // Indicators, evaluated as of the date, credited to every responsible unit.
    // Read above unless the caller gave them (and one of the two is always there).
    let obs = read.as_ref().or(given).ok_or(StoreError::NotFound)?;
    let standings = crate::indicators::evaluate(plan, obs, end);
    let by_code: BTreeMap<&str, i64> = units.iter().map(|u| (u.code.as_str(), u.id)).collect();
    for (ind, standing) in plan.indicators.iter().zip(&standings) {
        let status = standing.evaluation.status;
        if status == Status::NoData {
            continue;
        }
        for code in crate::indicators::responsible_units(plan, ind) {
            if let Some(f) = by_code.get(code.as_str()).and_then(|id| out.get_mut(id)) {
                f.indicators_with_data += 1;
                match status {
                    Status::Met => f.indicators_met += 1,
                    Status::OnTrack => f.indicators_on_track += 1,
                    _ => {}
                }
            }
        }
    }

    for ((unit_id, _), score) in ratings {
        if let Some(f) = out.get_mut(&unit_id) {
            f.ratings.push((score, RATING_MAX));
        }
    }

    Ok(units
        .into_iter()
        .map(|u| {
            let f = out.remove(&u.id).unwrap_or_default();
            (u, f)
        })
        .collect())
}

/// One unit's place in the period's table.
#[derive(Debug, Clone, Serialize)]
pub struct Ranked {
    pub unit: UnitRef,
    pub facts: UnitFacts,
    pub score: UnitScore,
    pub rank: usize,
}

/// Every member unit's score and rank for a period, best first (ties by unit code). Unit staff
/// get only their own unit's line (with its rank among all).
pub async fn scores(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    period: i32,
    as_of: NaiveDate,
) -> Result<(Scheme, Vec<Ranked>)> {
    scores_given(store, actor, plan, period, as_of, None).await
}

/// [`scores`], with the indicators' observations as of `as_of` already read by the caller (a
/// page that shows them too): the same figures, read once.
pub async fn scores_given(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    period: i32,
    as_of: NaiveDate,
    given: Option<&BTreeMap<String, Observations>>,
) -> Result<(Scheme, Vec<Ranked>)> {
    let scope = actor.scope();
    if scope == Scope::Public {
        return Err(StoreError::Forbidden);
    }
    let ((scheme, _), facts) = tokio::try_join!(
        scheme_for(store, actor, period),
        facts_given(store, actor, plan, period, as_of, given)
    )?;
    let scored: Vec<(UnitRef, UnitFacts, UnitScore)> = facts
        .into_iter()
        .map(|(u, f)| {
            let s = scheme.score(&f);
            (u, f, s)
        })
        .collect();
    // Units without a score rank after every scored one (NaN ranks last).
    let totals: Vec<f64> = scored
        .iter()
        .map(|(_, _, s)| if s.scored() { s.total } else { f64::NAN })
        .collect();
    let ranks = rank(&totals);
    let mut out: Vec<Ranked> = scored
        .into_iter()
        .zip(ranks)
        .map(|((unit, facts, score), rank)| Ranked {
            unit,
            facts,
            score,
            rank,
        })
        .filter(|r| scope.can_read_unit(r.unit.id))
        .collect();
    out.sort_by(|a, b| a.rank.cmp(&b.rank).then(a.unit.code.cmp(&b.unit.code)));
    Ok((scheme, out))
}

/// The year of a date, as a period.
pub fn period_of(day: NaiveDate) -> i32 {
    day.year()
}
