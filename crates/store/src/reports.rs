//! Quality analysis reports (质量分析报告): generated for a half-year or a year from the
//! indicators and registers, narrative edited by the office, then issued (frozen, archived).
//!
//! A report is one row per period (`2014-H1`, `2014-H2`, `2014`). While a draft its figures are
//! computed when shown; issuing freezes them as JSON with a number within the issue year, and the
//! row is immutable afterwards except for its publication on the public portal.

use crate::audit::{self, Change};
use crate::indicators::{self, measures};
use crate::obligations;
use crate::sampling;
use crate::schema::{Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, now_text};
use chrono::{Datelike, NaiveDate};
use qcity_domain::plan::Plan;
use qcity_domain::role::{Role, Scope};
use qcity_domain::target::{self, Lang};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// This module's tables.
pub const SCHEMA: Schema = Schema {
    slug: "reports",
    migrations: &[
        Migration {
            version: 8,
            name: "quality analysis reports",
            sql: include_str!("../migrations/0008_reports_quality_reports.sql"),
        },
        Migration {
            version: 2026120674,
            name: "quality reports: written per district",
            sql: include_str!("../migrations/2026120674_reports_owner.sql"),
        },
    ],
    tables: &[Table::by_id("quality_reports")],
    jobs: &[],
    measures: &[],
    demo: None,
};

/// The areas a report covers, in order (codes of the plan's indicator areas).
pub const AREAS: &[&str] = &["product", "engineering", "service", "environment"];

/// Narrative sections the office writes: a summary, one per area, problems and next steps.
pub const SECTIONS: &[&str] = &[
    "summary",
    "product",
    "engineering",
    "service",
    "environment",
    "next_steps",
];

/// Longest narrative section accepted, in characters.
pub const MAX_SECTION_CHARS: usize = 20_000;

/// A period: `2014` (the year), `2014-H1` (January–June) or `2014-H2` (July–December).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i32,
    /// 0: the whole year; 1 or 2: the half.
    pub half: u8,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        let s = s.trim();
        let (y, half) = match s.split_once('-') {
            None => (s, 0),
            Some((y, "H1" | "h1")) => (y, 1),
            Some((y, "H2" | "h2")) => (y, 2),
            Some(_) => return None,
        };
        if y.len() != 4 {
            return None;
        }
        let year: i32 = y.parse().ok()?;
        (2000..=2100)
            .contains(&year)
            .then_some(Period { year, half })
    }

    pub fn code(&self) -> String {
        match self.half {
            0 => self.year.to_string(),
            h => format!("{}-H{h}", self.year),
        }
    }

    pub fn label_zh(&self) -> String {
        match self.half {
            0 => format!("{}年", self.year),
            1 => format!("{}年上半年", self.year),
            _ => format!("{}年下半年", self.year),
        }
    }

    pub fn label_en(&self) -> String {
        match self.half {
            0 => format!("year {}", self.year),
            1 => format!("first half of {}", self.year),
            _ => format!("second half of {}", self.year),
        }
    }

    pub fn start(&self) -> NaiveDate {
        let month = if self.half == 2 { 7 } else { 1 };
        NaiveDate::from_ymd_opt(self.year, month, 1).unwrap_or_default()
    }

    pub fn end(&self) -> NaiveDate {
        let (m, d) = if self.half == 1 { (6, 30) } else { (12, 31) };
        NaiveDate::from_ymd_opt(self.year, m, d).unwrap_or_default()
    }
}

/// One indicator's line in a report.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndicatorLine {
    pub code: String,
    pub name: String,
    pub unit: String,
    /// The target expression as it stood (parsed again to draw the target line).
    pub target_expr: String,
    pub target_zh: String,
    pub target_en: String,
    /// The newest value up to the report's year with its unit, in Chinese ("2014: 80.75分"),
    /// "" when none.
    pub value: String,
    /// The same in English ("2014: 80.75 points"); empty in reports issued before it was kept.
    #[serde(default)]
    pub value_en: String,
    /// met, not_met, on_track, off_track, no_data
    pub status: String,
    pub explanation_zh: String,
    pub explanation_en: String,
    /// The trend's projection to the plan's deadline, "" when there are no numbers.
    pub projection_zh: String,
    pub projection_en: String,
    /// Numbers per measure, for the charts.
    pub series: Vec<MeasureSeries>,
}

/// One measure's yearly numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MeasureSeries {
    /// The measure's label ("" for a single measure).
    pub label: String,
    pub name: String,
    pub points: Vec<(i32, f64)>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AreaFigures {
    pub code: String,
    pub name: String,
    pub indicators: Vec<IndicatorLine>,
}

/// Sampling pass rate of a group in the report's year.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PassLine {
    pub group: String,
    pub batches: i64,
    pub passed: i64,
    /// Percent with one decimal, "" when no batches.
    pub rate: String,
}

/// The plan's progress as of the report's date.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    pub total: usize,
    /// 应完成 (`Tally::expected`; the stored name of issued reports is kept).
    pub due: usize,
    /// 已销号 (`Tally::closed`).
    pub accepted: usize,
    pub overdue: usize,
    /// One decimal, or "—" when nothing was expected yet.
    pub completion_rate: String,
}

/// Everything a report shows besides its narrative; frozen as JSON when issued.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figures {
    pub period: String,
    /// The issuing office ("惠济区质量强区战略工作领导小组办公室").
    pub issuer: String,
    pub year: i32,
    pub as_of: String,
    pub deadline: i32,
    pub areas: Vec<AreaFigures>,
    pub sampling_total: Option<PassLine>,
    pub sampling_by_category: Vec<PassLine>,
    pub sampling_by_level: Vec<PassLine>,
    pub progress: Progress,
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn pass_line(group: String, batches: i64, passed: i64) -> PassLine {
    PassLine {
        group,
        batches,
        passed,
        rate: if batches > 0 {
            format!("{:.1}", passed as f64 * 100.0 / batches as f64)
        } else {
            String::new()
        },
    }
}

/// Computes a period's figures from the approved indicator values (years up to the report's
/// year: a half-year report uses that year's values so far), the sampling register and the
/// obligations, as of min(end of period, today).
pub async fn compute(
    store: &Store,
    plan: &Plan,
    period: Period,
    today: NaiveDate,
) -> Result<Figures> {
    let as_of = period.end().min(today);
    // The plan's own district: its values, samples and obligations.
    let mut reader = Actor::system("report");
    reader.owner_id = match plan.owner() {
        Some(u) => sqlx::query("SELECT id FROM org_units WHERE code = $1")
            .bind(&u.code)
            .fetch_optional(&store.pool)
            .await?
            .map(|r| r.try_get("id"))
            .transpose()?,
        None => None,
    };
    let mut obs = indicators::observations_of(store, &reader, plan, as_of).await?;
    for o in obs.values_mut() {
        for series in o.values.values_mut() {
            series.retain(|y, _| *y <= period.year);
        }
        for series in o.benchmarks.values_mut() {
            series.retain(|y, _| *y <= period.year);
        }
    }
    let standings = indicators::evaluate(plan, &obs, as_of);
    let deadline = plan.plan.end.year();
    let mut areas = Vec::new();
    for code in AREAS {
        let Some(area) = plan.indicator_areas.iter().find(|a| a.code == *code) else {
            continue;
        };
        let mut lines = Vec::new();
        for ind in plan.indicators.iter().filter(|i| i.area == area.code) {
            let Some(st) = standings.iter().find(|s| s.code == ind.code) else {
                continue;
            };
            let parsed = ind.target.parsed().ok();
            let o = obs.get(&ind.code);
            let mut series = Vec::new();
            if let (Some(t), Some(o)) = (&parsed, o) {
                for m in measures(t).iter().filter(|m| !m.judged) {
                    if let Some(s) = o.values.get(&m.label).filter(|s| !s.is_empty()) {
                        series.push(MeasureSeries {
                            label: m.label.clone(),
                            name: m.name.clone(),
                            points: s.iter().map(|(y, v)| (*y, *v)).collect(),
                        });
                    }
                }
            }
            let latest = series.first().and_then(|s| s.points.last());
            let value_in = |lang: Lang| {
                latest
                    .map(|(y, v)| format!("{y}: {}", target::with_unit(&trim(*v), &ind.unit, lang)))
                    .unwrap_or_default()
            };
            let (value, value_en) = (value_in(Lang::ZhCn), value_in(Lang::En));
            let projected = o
                .and_then(|o| o.values.values().find(|s| s.len() >= 2))
                .and_then(|s| target::project(s, deadline));
            let (projection_zh, projection_en) = match projected {
                Some(p) => (
                    format!(
                        "按现有数据趋势推算，{deadline}年预计为{}。",
                        target::with_unit(&trim(p), &ind.unit, Lang::ZhCn)
                    ),
                    format!(
                        "On the present trend, {deadline} is projected at {}.",
                        target::with_unit(&trim(p), &ind.unit, Lang::En)
                    ),
                ),
                None => (String::new(), String::new()),
            };
            lines.push(IndicatorLine {
                code: ind.code.clone(),
                name: ind.name.clone(),
                unit: ind.unit.clone(),
                target_expr: ind.target.to_string(),
                target_zh: parsed
                    .as_ref()
                    .map(|t| target::explain(t, Lang::ZhCn))
                    .unwrap_or_else(|| ind.target.to_string()),
                target_en: parsed
                    .as_ref()
                    .map(|t| target::explain(t, Lang::En))
                    .unwrap_or_else(|| ind.target.to_string()),
                value,
                value_en,
                status: st.evaluation.status.key().to_string(),
                explanation_zh: st.evaluation.explanation_zh.clone(),
                explanation_en: st.evaluation.explanation_en.clone(),
                projection_zh,
                projection_en,
                series,
            });
        }
        areas.push(AreaFigures {
            code: area.code.clone(),
            name: area.name.clone(),
            indicators: lines,
        });
    }
    // The period's own records: a half-year report counts only that half-year's batches.
    let (from, to) = (period.start(), period.end());
    let lines = |rates: Vec<sampling::PassRate>| -> Vec<PassLine> {
        rates
            .into_iter()
            .map(|r| pass_line(r.group, r.batches, r.passed))
            .collect()
    };
    let sampling_by_category =
        lines(sampling::pass_rates_between(store, &reader, "category", from, to).await?);
    let sampling_total =
        lines(sampling::pass_rates_between(store, &reader, "", from, to).await?).pop();
    let sampling_by_level =
        lines(sampling::pass_rates_between(store, &reader, "level", from, to).await?);
    let obs_list =
        obligations::list(store, &reader, &obligations::Filter::default(), as_of).await?;
    let mut tally = obligations::Tally::default();
    for o in &obs_list {
        tally.add(&o.facts(), as_of);
    }
    Ok(Figures {
        period: period.code(),
        issuer: format!("{}质量强区战略工作领导小组办公室", district_name(plan)),
        year: period.year,
        as_of: as_of.to_string(),
        deadline,
        areas,
        sampling_total,
        sampling_by_category,
        sampling_by_level,
        progress: Progress {
            total: tally.total,
            due: tally.expected,
            accepted: tally.closed,
            overdue: tally.overdue,
            completion_rate: tally
                .completion_rate()
                .map(|r| format!("{r:.1}"))
                .unwrap_or_else(|| "—".into()),
        },
    })
}

/// A report as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: i64,
    pub period: String,
    pub title: String,
    /// draft or issued
    pub status: String,
    pub number: i64,
    pub narrative: BTreeMap<String, String>,
    /// The frozen figures of an issued report.
    pub figures: Option<Figures>,
    pub published: bool,
    pub row_version: i64,
    pub created_by: String,
    pub issued_by: String,
    pub issued_on: String,
}

impl Report {
    pub fn issued(&self) -> bool {
        self.status == "issued"
    }

    pub fn period(&self) -> Option<Period> {
        Period::parse(&self.period)
    }

    pub fn section(&self, key: &str) -> &str {
        self.narrative.get(key).map(String::as_str).unwrap_or("")
    }
}

const SELECT: &str = "SELECT id, period, title, status, number, narrative_json, data_json, published, row_version, created_by, issued_by, issued_on FROM quality_reports";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Report> {
    let id: i64 = r.try_get("id")?;
    let narrative: String = r.try_get("narrative_json")?;
    let data: Option<String> = r.try_get("data_json")?;
    let figures =
        match data {
            Some(d) => Some(serde_json::from_str(&d).map_err(|e| {
                StoreError::Conflict(format!("stored report {id} is unreadable: {e}"))
            })?),
            None => None,
        };
    Ok(Report {
        id,
        period: r.try_get("period")?,
        title: r.try_get("title")?,
        status: r.try_get("status")?,
        number: r.try_get("number")?,
        narrative: serde_json::from_str(&narrative).unwrap_or_default(),
        figures,
        published: r.try_get::<i64, _>("published")? != 0,
        row_version: r.try_get("row_version")?,
        created_by: r.try_get("created_by")?,
        issued_by: r
            .try_get::<Option<String>, _>("issued_by")?
            .unwrap_or_default(),
        issued_on: r
            .try_get::<Option<String>, _>("issued_on")?
            .unwrap_or_default(),
    })
}

/// Drafts are the office's (and the leaders'); issued reports are circulated to every
/// signed-in role.
fn may_see(actor: &Actor, r: &Report) -> bool {
    match actor.scope() {
        Scope::Public => false,
        _ if r.issued() => true,
        // Evaluators read all issued work, but a draft is not yet the office's word.
        _ => matches!(actor.role, Some(Role::Office | Role::Leader)),
    }
}

/// The title of a period's report.
pub fn title_for(plan: &Plan, period: Period) -> String {
    format!("{}{}质量分析报告", district_name(plan), period.label_zh())
}

/// The district's short name from the plan's units ("惠济区人民政府" → "惠济区").
fn district_name(plan: &Plan) -> String {
    plan.units
        .iter()
        .find(|u| u.kind == qcity_domain::plan::UnitKind::District)
        .map(|u| u.name.trim_end_matches("人民政府").to_string())
        .unwrap_or_default()
}

/// Creates the draft of a period's report (one report per period). Office only.
pub async fn create(store: &Store, actor: &Actor, plan: &Plan, period: &str) -> Result<i64> {
    actor.require_admin()?;
    let p = Period::parse(period)
        .ok_or_else(|| StoreError::invalid("period", "report-error-period"))?;
    let mut tx = store.begin().await?;
    let exists = sqlx::query(&format!(
        "SELECT id FROM quality_reports WHERE period = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(p.code())
    .fetch_optional(&mut *tx)
    .await?;
    if exists.is_some() {
        return Err(StoreError::Conflict("report-error-exists".into()));
    }
    let now = now_text();
    let title = title_for(plan, p);
    let id: i64 = sqlx::query(&format!(
        "INSERT INTO quality_reports (period, title, status, narrative_json, created_by, created_at, updated_at, owner_id) \
         VALUES ($1, $2, 'draft', '{{}}', $3, $4, $4, {}) RETURNING id",
        actor.owner_sql()
    ))
    .bind(p.code())
    .bind(&title)
    .bind(&actor.username)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await
    // Two clerks creating the same period at once: the second is told it exists.
    .map_err(|e| match crate::is_unique_violation(&e) {
        true => StoreError::Conflict("report-error-exists".into()),
        false => e.into(),
    })?
    .try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "report.create",
            target_type: "quality_report",
            target_id: &id.to_string(),
            before: serde_json::Value::Null,
            after: json!({"period": p.code(), "title": title}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Reports the actor may see: issued ones for everyone signed in, drafts for office and leaders.
/// Newest period first.
pub async fn list(store: &Store, actor: &Actor) -> Result<Vec<Report>> {
    if actor.scope() == Scope::Public {
        return Err(StoreError::Forbidden);
    }
    // A district's own reports; a city's accounts read those of every district under it.
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE owner_id IN {} ORDER BY period DESC, id DESC",
        actor.owned_units_sql()
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut out = Vec::new();
    for r in &rows {
        let rep = from_row(r)?;
        if may_see(actor, &rep) {
            out.push(rep);
        }
    }
    Ok(out)
}

/// A report of the owners `owners` (SQL), by id; any other is not found.
async fn load<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    owners: &str,
    id: i64,
) -> Result<Report> {
    let row = sqlx::query(&format!("{SELECT} WHERE id = $1 AND owner_id IN {owners}"))
        .bind(id)
        .fetch_optional(ex)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Report> {
    let r = load(&store.pool, &actor.owned_units_sql(), id).await?;
    if actor.scope() == Scope::Public {
        return Err(StoreError::Forbidden);
    }
    if !may_see(actor, &r) {
        return Err(StoreError::NotFound);
    }
    Ok(r)
}

/// Saves the narrative sections of a draft. `row_version` is the version the form showed.
pub async fn save_narrative(
    store: &Store,
    actor: &Actor,
    id: i64,
    row_version: i64,
    sections: &BTreeMap<String, String>,
) -> Result<()> {
    actor.require_admin()?;
    for (k, v) in sections {
        if !SECTIONS.contains(&k.as_str()) {
            return Err(StoreError::invalid(k, "report-error-section"));
        }
        if v.chars().count() > MAX_SECTION_CHARS {
            return Err(StoreError::invalid(k, "report-error-too-long"));
        }
    }
    let mut tx = store.begin().await?;
    let before = load(&mut *tx, &own(actor), id).await?;
    if before.issued() {
        return Err(StoreError::Conflict("report-error-issued".into()));
    }
    if before.row_version != row_version {
        return Err(StoreError::Conflict("error-stale-edit".into()));
    }
    let mut narrative = before.narrative.clone();
    for (k, v) in sections {
        narrative.insert(k.clone(), v.trim().replace("\r\n", "\n"));
    }
    let text =
        serde_json::to_string(&narrative).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let n = sqlx::query(
        "UPDATE quality_reports SET narrative_json = $1, row_version = row_version + 1, updated_at = $2 \
         WHERE id = $3 AND row_version = $4 AND status = 'draft'",
    )
    .bind(&text)
    .bind(now_text())
    .bind(id)
    .bind(row_version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(StoreError::Conflict("error-stale-edit".into()));
    }
    let changed: BTreeMap<&String, &String> = narrative
        .iter()
        .filter(|(k, v)| before.narrative.get(*k) != Some(*v))
        .collect();
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "report.narrative",
            target_type: "quality_report",
            target_id: &id.to_string(),
            before: json!({"row_version": row_version}),
            after: json!({"row_version": row_version + 1, "sections": changed}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Issues a draft: the figures are frozen as given and numbered within the issue year.
/// Only once; the report is immutable afterwards (except its publication).
pub async fn issue(
    store: &Store,
    actor: &Actor,
    id: i64,
    row_version: i64,
    figures: &Figures,
    today: NaiveDate,
) -> Result<i64> {
    actor.require_admin()?;
    let mut tx = store.begin().await?;
    if store.backend == crate::Backend::Postgres {
        // Numbering reads then writes: one issuer at a time (the audit trail's lock, re-entrant).
        sqlx::query("SELECT pg_advisory_xact_lock(51017)")
            .execute(&mut *tx)
            .await?;
    }
    let before = load(&mut *tx, &own(actor), id).await?;
    if before.issued() {
        return Err(StoreError::Conflict("report-error-issued".into()));
    }
    if before.row_version != row_version {
        return Err(StoreError::Conflict("error-stale-edit".into()));
    }
    let n: i64 = sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM quality_reports WHERE status = 'issued' AND issued_on LIKE $1 \
         AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(format!("{}-%", today.year()))
    .fetch_one(&mut *tx)
    .await?
    .try_get("n")?;
    let number = n + 1;
    let data = serde_json::to_string(figures).map_err(|e| StoreError::Conflict(e.to_string()))?;
    let updated = sqlx::query(
        "UPDATE quality_reports SET status = 'issued', number = $1, data_json = $2, issued_by = $3, issued_on = $4, \
         row_version = row_version + 1, updated_at = $5 WHERE id = $6 AND row_version = $7 AND status = 'draft'",
    )
    .bind(number)
    .bind(&data)
    .bind(&actor.username)
    .bind(today.to_string())
    .bind(now_text())
    .bind(id)
    .bind(row_version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(StoreError::Conflict("error-stale-edit".into()));
    }
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "report.issue",
            target_type: "quality_report",
            target_id: &id.to_string(),
            before: json!({"status": "draft"}),
            after: json!({"status": "issued", "period": before.period, "number": number, "as_of": figures.as_of}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(number)
}

/// SQL: the caller's own district, the only owner whose reports it changes.
fn own(actor: &Actor) -> String {
    format!("({})", actor.owner_sql())
}

/// Publishes an issued report on the public portal, or withdraws it. Office only.
pub async fn set_published(store: &Store, actor: &Actor, id: i64, published: bool) -> Result<()> {
    actor.require_admin()?;
    let mut tx = store.begin().await?;
    let before = load(&mut *tx, &own(actor), id).await?;
    if !before.issued() {
        return Err(StoreError::Conflict("report-error-not-issued".into()));
    }
    sqlx::query("UPDATE quality_reports SET published = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(published))
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: if published {
                "report.publish"
            } else {
                "report.unpublish"
            },
            target_type: "quality_report",
            target_id: &id.to_string(),
            before: json!({"published": before.published}),
            after: json!({"published": published}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Issued reports published on the portal, newest first. No sign-in needed.
pub async fn public_list(store: &Store) -> Result<Vec<Report>> {
    sqlx::query(&format!(
        "{SELECT} WHERE status = 'issued' AND published = 1 ORDER BY period DESC, id DESC"
    ))
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(from_row)
    .collect()
}

/// A published issued report; anything else is not found.
pub async fn public_get(store: &Store, id: i64) -> Result<Report> {
    let r = load(&store.pool, "(SELECT id FROM org_units)", id).await?;
    if r.issued() && r.published {
        Ok(r)
    } else {
        Err(StoreError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_parse_and_bound() {
        let p = Period::parse("2014-H1").expect("half");
        assert_eq!((p.year, p.half, p.code()), (2014, 1, "2014-H1".to_string()));
        assert_eq!(p.end(), NaiveDate::from_ymd_opt(2014, 6, 30).expect("date"));
        let y = Period::parse(" 2014 ").expect("year");
        assert_eq!(
            (y.start().to_string(), y.end().to_string()),
            ("2014-01-01".into(), "2014-12-31".into())
        );
        assert_eq!(Period::parse("2014-H2").map(|p| p.start().month()), Some(7));
        for bad in ["", "14", "2014-H3", "2014-06", "abcd", "1999"] {
            assert!(Period::parse(bad).is_none(), "{bad}");
        }
    }
}
