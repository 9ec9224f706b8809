//! Indicator values: keyed by (indicator, measure, year); entered by the responsible unit or
//! the office, approved by the office (which locks them); a correction is a new version with a
//! reason. Evaluation against the plan's targets reads the newest approved version.
//!
//! Values are kept per district: every row carries its owner (the district whose plan it
//! measures), every read and write here is held to the actor's owner (`Actor::owner_sql`), and
//! another district's value is "not found". The city reads its districts' approved values
//! side by side through [`by_district`].

use crate::audit::{self, Change};
use crate::schema::{Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, now_text};
use qcity_domain::indicator::rollup::{self, Rule};
pub use qcity_domain::indicator::{
    Measure, Standing, benchmarks, content_targets, evaluate, evaluate_contents, measured,
    measures, standing,
};
use qcity_domain::org::{Node, Ratio};
use qcity_domain::plan::{Indicator, Plan};
use qcity_domain::role::Scope;
pub use qcity_domain::supervision::responsible_units;
use qcity_domain::supervision::{Entrant, may_enter_value};
use qcity_domain::target::{self, Observations};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

/// Benchmark series (e.g. 全国平均水平) are stored as values of this pseudo-indicator prefix.
pub const BENCHMARK_PREFIX: &str = "benchmark:";

#[derive(Debug, Clone, Serialize)]
pub struct ValueRecord {
    pub id: i64,
    pub indicator: String,
    pub measure: String,
    pub year: i64,
    pub value: Option<f64>,
    pub judged: Option<bool>,
    pub comment: String,
    pub source: String,
    /// submitted, approved, rejected, superseded
    pub status: String,
    /// The version within the owner's values of this key (1, 2, …).
    pub version: i64,
    /// For a rate entered with its counts: the numerator and the denominator.
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
    pub unit_code: Option<String>,
    pub entered_by: String,
    pub entered_at: String,
    pub decided_by: Option<String>,
    /// Evidence files: (sha256, file name).
    pub files: Vec<(String, String)>,
}

/// Stored version numbers run across districts (the table's unique key predates districts);
/// the version shown is the count of the owner's own versions of the key up to this one.
const SELECT: &str = "SELECT v.id, v.indicator, v.measure, v.year, v.value, v.judged, v.comment, v.source, v.status, \
     (SELECT COUNT(*) FROM indicator_values w WHERE w.owner_id = v.owner_id AND w.indicator = v.indicator \
      AND w.measure = v.measure AND w.year = v.year AND w.version <= v.version) AS version, \
     v.numerator, v.denominator, \
     u.code AS unit_code, v.entered_by, v.entered_at, v.decided_by FROM indicator_values v LEFT JOIN org_units u ON u.id = v.unit_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<ValueRecord> {
    Ok(ValueRecord {
        id: r.try_get("id")?,
        indicator: r.try_get("indicator")?,
        measure: r.try_get("measure")?,
        year: r.try_get("year")?,
        value: r.try_get("value")?,
        judged: r.try_get::<Option<i64>, _>("judged")?.map(|j| j != 0),
        comment: r.try_get("comment")?,
        source: r.try_get("source")?,
        status: r.try_get("status")?,
        version: r.try_get("version")?,
        numerator: r.try_get("numerator")?,
        denominator: r.try_get("denominator")?,
        unit_code: r.try_get("unit_code")?,
        entered_by: r.try_get("entered_by")?,
        entered_at: r.try_get("entered_at")?,
        decided_by: r.try_get("decided_by")?,
        files: Vec::new(),
    })
}

/// A value as entered (by hand, imported, or pushed by an API client).
#[derive(Debug, Clone)]
pub struct NewValue {
    pub indicator: String,
    pub measure: String,
    pub year: i64,
    pub value: Option<f64>,
    pub judged: Option<bool>,
    pub comment: String,
    /// manual, import, api
    pub source: String,
}

/// Entry rules the office can tune.
#[derive(Debug, Clone)]
pub struct EntryRules {
    /// A change of more than this share against the previous year needs a comment (0.5 = 50 %).
    pub jump_share: f64,
}

impl Default for EntryRules {
    fn default() -> Self {
        EntryRules { jump_share: 0.5 }
    }
}

async fn latest(
    store: &Store,
    actor: &Actor,
    indicator: &str,
    measure: &str,
    year: i64,
    status: &str,
) -> Result<Option<ValueRecord>> {
    let sql = format!(
        "{SELECT} WHERE v.owner_id = {} AND v.indicator = $1 AND v.measure = $2 AND v.year = $3 AND v.status = $4 ORDER BY v.version DESC LIMIT 1",
        actor.owner_sql()
    );
    let row = sqlx::query(&sql)
        .bind(indicator)
        .bind(measure)
        .bind(year)
        .bind(status)
        .fetch_optional(&store.pool)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Checks and stores a value as `submitted` (a new version of its key) for the actor's
/// district. The office may enter anything; unit staff only the indicators their unit answers
/// for.
pub async fn submit(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    v: NewValue,
    rules: &EntryRules,
) -> Result<i64> {
    submit_with_parts(store, actor, plan, v, None, rules).await
}

/// [`submit`], for a rate with the counts it is made of (its numerator and denominator).
/// Without a value the value is computed from them; with one, the two must agree to the
/// rounding of the value as written.
pub async fn submit_with_parts(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    mut v: NewValue,
    parts: Option<Ratio>,
    rules: &EntryRules,
) -> Result<i64> {
    let scope = actor.scope();
    let mut unit_id = None;
    if let Some(name) = v.indicator.strip_prefix(BENCHMARK_PREFIX) {
        actor.require_admin()?;
        if !benchmark_names(plan).iter().any(|n| n == name) {
            return Err(StoreError::invalid("name", "error-benchmark-unknown"));
        }
        if v.comment.trim().is_empty() {
            return Err(StoreError::invalid("comment", "error-benchmark-source"));
        }
        if v.value.is_none_or(|x| !x.is_finite()) {
            return Err(StoreError::invalid("value", "error-value-required"));
        }
    } else {
        let ind = qcity_domain::indicator::measured(plan, &v.indicator)
            .ok_or_else(|| StoreError::invalid("indicator", "error-indicator-unknown"))?;
        match scope {
            Scope::All => {}
            Scope::Unit(u) => {
                let code: String = sqlx::query("SELECT code FROM org_units WHERE id = $1")
                    .bind(u)
                    .fetch_one(&store.pool)
                    .await?
                    .try_get("code")?;
                if !may_enter_value(plan, &ind, Entrant::Unit(&code)) {
                    return Err(StoreError::Forbidden);
                }
                unit_id = Some(u);
            }
            _ => return Err(StoreError::Forbidden),
        }
        let t = ind
            .target
            .parsed()
            .map_err(|_| StoreError::invalid("indicator", "error-indicator-target"))?;
        let m = measures(t)
            .into_iter()
            .find(|m| m.label == v.measure)
            .ok_or_else(|| StoreError::invalid("measure", "error-measure-unknown"))?;
        if let Some(p) = parts {
            v.value = Some(rate_value(&ind, &m, p, v.value)?);
        }
        if m.judged && v.judged.is_none() {
            return Err(StoreError::invalid("judged", "error-judgement-required"));
        }
        if !m.judged && v.value.is_none() {
            return Err(StoreError::invalid("value", "error-value-required"));
        }
        // What the value is decides what it may be: a percentage 0–100 (a reduction in % is a
        // total, not a percentage), a count a whole number, a rank 1 or more, an amount ≥ 0.
        if let Some(key) = v.value.and_then(|x| m.kind.refuse(x)) {
            return Err(StoreError::invalid("value", key));
        }
    }
    if !(2000..=2100).contains(&v.year) {
        return Err(StoreError::invalid("year", "error-year-range"));
    }
    let comment = v.comment.trim();
    // A big jump against last year is often a typo: say why, or fix it.
    if let (Some(x), Some(prev)) = (
        v.value,
        latest(
            store,
            actor,
            &v.indicator,
            &v.measure,
            v.year - 1,
            "approved",
        )
        .await?
        .and_then(|p| p.value),
    ) && prev.abs() > f64::EPSILON
        && ((x - prev) / prev).abs() > rules.jump_share
        && comment.is_empty()
    {
        return Err(StoreError::invalid("comment", "error-jump-needs-comment"));
    }
    if latest(store, actor, &v.indicator, &v.measure, v.year, "approved")
        .await?
        .is_some()
        && comment.is_empty()
    {
        return Err(StoreError::invalid("comment", "error-correction-reason"));
    }
    let owner = actor.owner_sql();
    let mut tx = store.begin().await?;
    // The stored number runs over every district (the unique key); the one shown and
    // audited counts the owner's own versions.
    let row = sqlx::query(&format!(
        "SELECT COALESCE(MAX(version), 0) AS v, \
         COALESCE(SUM(CASE WHEN owner_id = {owner} THEN 1 ELSE 0 END), 0) AS mine \
         FROM indicator_values WHERE indicator = $1 AND measure = $2 AND year = $3"
    ))
    .bind(&v.indicator)
    .bind(&v.measure)
    .bind(v.year)
    .fetch_one(&mut *tx)
    .await?;
    let version: i64 = row.try_get("v")?;
    let shown: i64 = row.try_get("mine")?;
    let shown = shown + 1;
    // A rate's counts are bound only when given: a NULL bound through the Any driver can
    // leave PostgreSQL's cached statement expecting another type for the next float.
    let counts = if parts.is_some() {
        "$12, $13"
    } else {
        "NULL, NULL"
    };
    let insert = format!(
        "INSERT INTO indicator_values (indicator, measure, year, value, judged, comment, source, status, version, unit_id, entered_by, entered_at, numerator, denominator, owner_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'submitted', $8, $9, $10, $11, {counts}, {owner}) RETURNING id"
    );
    let mut q = sqlx::query(&insert)
        .bind(&v.indicator)
        .bind(&v.measure)
        .bind(v.year)
        .bind(v.value)
        .bind(v.judged.map(i64::from))
        .bind(comment)
        .bind(&v.source)
        .bind(version + 1)
        .bind(unit_id)
        .bind(&actor.username)
        .bind(now_text());
    if let Some(p) = parts {
        q = q.bind(p.numerator).bind(p.denominator);
    }
    let id: i64 = q.fetch_one(&mut *tx).await?.try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "indicator.value_submit",
            target_type: "indicator",
            target_id: &v.indicator,
            before: serde_json::Value::Null,
            after: json!({"measure": v.measure, "year": v.year, "value": v.value, "judged": v.judged, "comment": comment, "source": v.source, "version": shown,
                "numerator": parts.map(|p| p.numerator), "denominator": parts.map(|p| p.denominator)}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// The office approves a submitted value (it then counts and is locked; an older approved
/// version of the same key is superseded) or rejects it with a reason.
pub async fn decide(
    store: &Store,
    actor: &Actor,
    id: i64,
    approve: bool,
    reason: &str,
) -> Result<()> {
    decide_as(store, actor, id, approve, reason, true).await
}

/// [`decide`], with the four-eyes check or without it (a benchmark: a published national
/// figure the office enters, nobody's report to review).
async fn decide_as(
    store: &Store,
    actor: &Actor,
    id: i64,
    approve: bool,
    reason: &str,
    four_eyes: bool,
) -> Result<()> {
    actor.require_admin()?;
    let owner = actor.owner_sql();
    let sql = format!("{SELECT} WHERE v.id = $1 AND v.owner_id = {owner}");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let rec = from_row(&row)?;
    if rec.status != "submitted" {
        return Err(StoreError::Conflict("error-value-decided".into()));
    }
    // Returning a value is the same person's to do (a typo); approving it is a second's.
    if approve && four_eyes {
        crate::approvals::require_second_person(
            store,
            qcity_domain::approval::Kind::IndicatorValue,
            &rec.entered_by,
            actor,
        )
        .await?;
    }
    if !approve && reason.trim().is_empty() {
        return Err(StoreError::invalid("reason", "error-reason-required"));
    }
    let mut tx = store.begin().await?;
    if approve {
        sqlx::query(&format!("UPDATE indicator_values SET status = 'superseded' WHERE owner_id = {owner} AND indicator = $1 AND measure = $2 AND year = $3 AND status = 'approved'"))
            .bind(&rec.indicator)
            .bind(&rec.measure)
            .bind(rec.year)
            .execute(&mut *tx)
            .await?;
    }
    let changed = sqlx::query(&format!("UPDATE indicator_values SET status = $1, decided_by = $2, decided_at = $3 WHERE id = $4 AND owner_id = {owner} AND status = 'submitted'"))
        .bind(if approve { "approved" } else { "rejected" })
        .bind(&actor.username)
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(StoreError::Conflict("error-value-decided".into()));
    }
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: if approve { "indicator.value_approve" } else { "indicator.value_reject" },
            target_type: "indicator",
            target_id: &rec.indicator,
            before: json!({"id": id, "status": "submitted", "value": rec.value}),
            after: json!({"id": id, "status": if approve { "approved" } else { "rejected" }, "reason": reason.trim()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every version of an indicator's values (or of all, when `indicator` is None) of the actor's
/// district, newest first. Indicator values are not secret within the government: every
/// signed-in role reads its district's.
pub async fn history(
    store: &Store,
    actor: &Actor,
    indicator: Option<&str>,
) -> Result<Vec<ValueRecord>> {
    if actor.scope() == Scope::Public {
        return Err(StoreError::Forbidden);
    }
    let owner = actor.owner_sql();
    let rows = match indicator {
        Some(code) => {
            let sql = format!(
                "{SELECT} WHERE v.owner_id = {owner} AND v.indicator = $1 ORDER BY v.year DESC, v.measure, v.version DESC"
            );
            sqlx::query(&sql).bind(code).fetch_all(&store.pool).await?
        }
        None => {
            let sql = format!(
                "{SELECT} WHERE v.owner_id = {owner} ORDER BY v.indicator, v.year DESC, v.measure, v.version DESC"
            );
            sqlx::query(&sql).fetch_all(&store.pool).await?
        }
    };
    let mut out = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    let files = sqlx::query(&format!(
        "SELECT x.value_id, x.sha256, x.filename FROM indicator_value_evidence x \
         JOIN indicator_values v ON v.id = x.value_id WHERE v.owner_id = {owner} ORDER BY x.filename"
    ))
    .fetch_all(&store.pool)
    .await?;
    for f in &files {
        let id: i64 = f.try_get("value_id")?;
        if let Some(v) = out.iter_mut().find(|v| v.id == id) {
            v.files.push((f.try_get("sha256")?, f.try_get("filename")?));
        }
    }
    Ok(out)
}

/// Adds evidence to a value while it awaits review: by whoever may enter it (the office, or
/// the unit that entered it). Approved values are locked.
pub async fn attach_evidence(
    store: &Store,
    actor: &Actor,
    value_id: i64,
    files: &[crate::evidence::Upload],
    policy: &crate::evidence::EvidencePolicy,
) -> Result<()> {
    let indicator = may_attach(store, actor, value_id).await?;
    let checked = crate::evidence::check(files, policy)?;
    crate::evidence::upload(store, &checked).await?;
    let mut tx = store.begin().await?;
    crate::evidence::store(store, &mut tx, &checked).await?;
    for f in &checked {
        sqlx::query("INSERT INTO indicator_value_evidence (value_id, sha256, filename) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(value_id)
            .bind(&f.sha256)
            .bind(&f.filename)
            .execute(&mut *tx)
            .await?;
    }
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "indicator.value_evidence",
            target_type: "indicator",
            target_id: &indicator,
            before: serde_json::Value::Null,
            after: json!({"value": value_id, "files": checked.iter().map(|f| &f.sha256).collect::<Vec<_>>()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Whether `actor` may add evidence to this value now (the office, or the unit that entered
/// it, while it awaits review); its indicator code when so.
pub async fn may_attach(store: &Store, actor: &Actor, value_id: i64) -> Result<String> {
    let row = sqlx::query(&format!(
        "SELECT indicator, status, unit_id FROM indicator_values WHERE id = $1 AND owner_id = {}",
        actor.owner_sql()
    ))
    .bind(value_id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let unit_id: Option<i64> = row.try_get("unit_id")?;
    let allowed = match actor.scope() {
        Scope::All => true,
        Scope::Unit(u) => unit_id == Some(u),
        _ => false,
    };
    if !allowed {
        return Err(StoreError::Forbidden);
    }
    if row.try_get::<String, _>("status")? != "submitted" {
        return Err(StoreError::Conflict("error-value-decided".into()));
    }
    Ok(row.try_get("indicator")?)
}

/// An evidence file of a value (values are readable by every signed-in role, their files by
/// those who read internal records).
pub async fn evidence(
    store: &Store,
    actor: &Actor,
    value_id: i64,
    sha256: &str,
) -> Result<(String, String, Vec<u8>)> {
    actor.require_internal()?;
    let row = sqlx::query(&format!(
        "SELECT x.filename, e.mime, e.sha256, e.stored, e.data FROM indicator_value_evidence x \
         JOIN evidence_files e ON e.sha256 = x.sha256 JOIN indicator_values v ON v.id = x.value_id \
         WHERE x.value_id = $1 AND x.sha256 = $2 AND v.owner_id = {}",
        actor.owner_sql()
    ))
    .bind(value_id)
    .bind(sha256)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok((
        row.try_get("filename")?,
        row.try_get("mime")?,
        crate::evidence::content(store, &row).await?,
    ))
}

/// Values of the actor's district waiting for the office's decision.
pub async fn pending(store: &Store, actor: &Actor) -> Result<Vec<ValueRecord>> {
    actor.require_admin()?;
    let sql = format!(
        "{SELECT} WHERE v.owner_id = {} AND v.status = 'submitted' ORDER BY v.indicator, v.year, v.measure",
        actor.owner_sql()
    );
    sqlx::query(&sql)
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Everything known of every indicator of the home district as of `today` (the callers that
/// do not yet pass whose: reports, assessment, acceptance, the leaders' headline, benches).
pub async fn observations(
    store: &Store,
    plan: &Plan,
    today: chrono::NaiveDate,
) -> Result<BTreeMap<String, Observations>> {
    observations_of(store, &Actor::system("observations"), plan, today).await
}

/// Everything known of every indicator of the actor's district as of `today`: approved
/// values, judgements, benchmarks and, for the home district, the figures computed from
/// registries (which are not yet kept per district, so they are the home district's).
pub async fn observations_of(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    today: chrono::NaiveDate,
) -> Result<BTreeMap<String, Observations>> {
    let owner = actor.owner_sql();
    let rows = sqlx::query(&format!("SELECT indicator, measure, year, value, judged, comment, version FROM indicator_values WHERE owner_id = {owner} AND status = 'approved' ORDER BY version"))
        .fetch_all(&store.pool)
        .await?;
    let home: i64 = sqlx::query(&format!(
        "SELECT CASE WHEN {owner} = {} THEN 1 ELSE 0 END AS home",
        crate::HOME_OWNER_SQL
    ))
    .fetch_one(&store.pool)
    .await?
    .try_get("home")?;
    let deadline = chrono::Datelike::year(&plan.plan.end);
    let mut benches: BTreeMap<String, BTreeMap<i32, f64>> = BTreeMap::new();
    let mut out: BTreeMap<String, Observations> = BTreeMap::new();
    // Judgements: the newest year's judgement per measure counts.
    let mut judged_year: BTreeMap<(String, String), i64> = BTreeMap::new();
    for r in &rows {
        let ind: String = r.try_get("indicator")?;
        let measure: String = r.try_get("measure")?;
        let year: i64 = r.try_get("year")?;
        let value: Option<f64> = r.try_get("value")?;
        let judged: Option<i64> = r.try_get("judged")?;
        let comment: String = r.try_get("comment")?;
        if let Some(name) = ind.strip_prefix(BENCHMARK_PREFIX) {
            if let Some(v) = value {
                benches
                    .entry(name.to_string())
                    .or_default()
                    .insert(year as i32, v);
            }
            continue;
        }
        let obs = out
            .entry(ind.clone())
            .or_insert_with(|| Observations::new().with_deadline(deadline));
        if let Some(v) = value {
            obs.values
                .entry(measure.clone())
                .or_default()
                .insert(year as i32, v);
        }
        if let Some(j) = judged {
            let key = (ind.clone(), measure.clone());
            if judged_year.get(&key).is_none_or(|y| *y <= year) {
                judged_year.insert(key, year);
                obs.judgements.insert(
                    measure.clone(),
                    target::Judgement {
                        met: Some(j != 0),
                        comment: comment.clone(),
                    },
                );
            }
        }
    }
    // Computed indicators: a year the registry covers takes its value from the formula.
    let computed = if home == 1 {
        computed(store, plan, today).await?
    } else {
        BTreeMap::new()
    };
    for (code, ratios) in computed {
        let obs = out
            .entry(code)
            .or_insert_with(|| Observations::new().with_deadline(deadline));
        for r in ratios {
            if let Some(p) = r.percent() {
                obs.values
                    .entry(String::new())
                    .or_default()
                    .insert(r.year, p);
            }
        }
    }
    let contents = qcity_domain::indicator::content_targets(plan);
    for code in plan.indicators.iter().chain(&contents).map(|i| &i.code) {
        let obs = out
            .entry(code.clone())
            .or_insert_with(|| Observations::new().with_deadline(deadline));
        obs.benchmarks = benches.clone();
    }
    Ok(out)
}

/// The benchmark series the plan's targets compare with ("全国平均水平"), by name.
pub fn benchmark_names(plan: &Plan) -> Vec<String> {
    let contents = qcity_domain::indicator::content_targets(plan);
    let mut names: Vec<String> = plan
        .indicators
        .iter()
        .chain(&contents)
        .filter_map(|i| i.target.parsed().ok())
        .flat_map(benchmarks)
        .collect();
    names.sort();
    names.dedup();
    names
}

/// One value of a benchmark series with its source.
#[derive(Debug, Clone, Serialize)]
pub struct BenchmarkValue {
    pub name: String,
    pub year: i64,
    pub value: f64,
    /// Where the figure comes from (publication, table, date).
    pub source: String,
    pub entered_by: String,
    pub entered_at: String,
}

/// Every benchmark value in force in the actor's district, by name and year.
pub async fn benchmark_values(store: &Store, actor: &Actor) -> Result<Vec<BenchmarkValue>> {
    let sql = format!(
        "{SELECT} WHERE v.owner_id = {} AND v.indicator LIKE $1 AND v.status = 'approved' ORDER BY v.indicator, v.year",
        actor.owner_sql()
    );
    sqlx::query(&sql)
        .bind(format!("{BENCHMARK_PREFIX}%"))
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            let v = from_row(r)?;
            Ok(BenchmarkValue {
                name: v
                    .indicator
                    .strip_prefix(BENCHMARK_PREFIX)
                    .unwrap_or(&v.indicator)
                    .to_string(),
                year: v.year,
                value: v.value.unwrap_or(f64::NAN),
                source: v.comment,
                entered_by: v.entered_by,
                entered_at: v.entered_at,
            })
        })
        .collect()
}

/// The office records a benchmark value with its source; it counts at once (a published
/// national figure, not a unit's report awaiting review). A new value for a year replaces the
/// old one, which stays in the history.
pub async fn add_benchmark(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    name: &str,
    year: i64,
    value: f64,
    source: &str,
) -> Result<i64> {
    let rules = EntryRules::default();
    let v = NewValue {
        indicator: format!("{BENCHMARK_PREFIX}{name}"),
        measure: String::new(),
        year,
        value: Some(value),
        judged: None,
        comment: source.to_string(),
        source: "manual".into(),
    };
    let id = submit(store, actor, plan, v, &rules).await?;
    decide_as(store, actor, id, true, "", false).await?;
    Ok(id)
}

/// The yearly figures of every indicator the plan computes from a registry measure, up to the
/// business date's year. A formula naming a measure no installed module offers computes nothing
/// (plan validation refuses such a plan before it is loaded).
pub async fn computed(
    store: &Store,
    plan: &Plan,
    today: chrono::NaiveDate,
) -> Result<BTreeMap<String, Vec<qcity_domain::formula::Ratio>>> {
    let until = chrono::Datelike::year(&today);
    let mut out = BTreeMap::new();
    for ind in &plan.indicators {
        let Some(formula) = &ind.formula else {
            continue;
        };
        let Some(implementation) = store.measure(&formula.measure) else {
            tracing::warn!(indicator = %ind.code, measure = %formula.measure, "no installed module offers this measure");
            continue;
        };
        out.insert(
            ind.code.clone(),
            (implementation.ratios)(store, formula, until).await?,
        );
    }
    Ok(out)
}

/// Which indicators the home district's office publishes on the public portal.
pub async fn disclosed(store: &Store) -> Result<Vec<String>> {
    disclosed_of(store, &Actor::system("portal")).await
}

/// Which indicators the office of the actor's district publishes.
pub async fn disclosed_of(store: &Store, actor: &Actor) -> Result<Vec<String>> {
    sqlx::query(&format!(
        "SELECT indicator FROM indicator_disclosure WHERE owner_id = {} AND public = 1 ORDER BY indicator",
        actor.owner_sql()
    ))
    .fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| Ok(r.try_get("indicator")?))
        .collect()
}

pub async fn set_disclosed(
    store: &Store,
    actor: &Actor,
    indicator: &str,
    public: bool,
) -> Result<()> {
    actor.require_admin()?;
    let owner = actor.owner_sql();
    let mut tx = store.begin().await?;
    sqlx::query(&format!(
        "DELETE FROM indicator_disclosure WHERE owner_id = {owner} AND indicator = $1"
    ))
    .bind(indicator)
    .execute(&mut *tx)
    .await?;
    sqlx::query(&format!("INSERT INTO indicator_disclosure (owner_id, indicator, public, updated_by, updated_at) VALUES ({owner}, $1, $2, $3, $4)"))
        .bind(indicator)
        .bind(public as i64)
        .bind(&actor.username)
        .bind(now_text())
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "indicator.disclosure",
            target_type: "indicator",
            target_id: indicator,
            before: serde_json::Value::Null,
            after: json!({"public": public}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Reporting completeness per responsible unit of the actor's district: values expected
/// (indicator × measure × year for the years given) against those received (any version, any
/// status but rejected).
pub async fn completeness(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    years: &[i64],
) -> Result<Vec<(String, usize, usize)>> {
    let received: std::collections::HashSet<(String, String, i64)> = sqlx::query(&format!(
        "SELECT DISTINCT indicator, measure, year FROM indicator_values WHERE owner_id = {} AND status <> 'rejected'",
        actor.owner_sql()
    ))
    .fetch_all(&store.pool)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("indicator")?,
            r.try_get("measure")?,
            r.try_get("year")?,
        ))
    })
    .collect::<Result<_>>()?;
    let mut per_unit: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for ind in &plan.indicators {
        let Ok(t) = ind.target.parsed() else {
            continue;
        };
        let units = responsible_units(plan, ind);
        // Indicators no content carries are the office's to report.
        let office = plan
            .units
            .iter()
            .find(|u| u.kind.as_str() == "office")
            .map(|u| u.code.clone())
            .unwrap_or_default();
        let owners = if units.is_empty() {
            vec![office]
        } else {
            units
        };
        for m in measures(t) {
            for y in years {
                let got = received.contains(&(ind.code.clone(), m.label.clone(), *y));
                for u in &owners {
                    let e = per_unit.entry(u.clone()).or_default();
                    e.0 += 1;
                    if got {
                        e.1 += 1;
                    }
                }
            }
        }
    }
    Ok(per_unit
        .into_iter()
        .map(|(u, (exp, got))| (u, exp, got))
        .collect())
}

/// The value a rate's counts make, checked against the value typed with them (if any): only a
/// rate takes counts, the denominator is more than 0, the numerator 0 or more (and, for a
/// share in per cent, not more than the denominator), and a typed value agrees with them to
/// its last written decimal.
fn rate_value(ind: &Indicator, m: &Measure, parts: Ratio, typed: Option<f64>) -> Result<f64> {
    let Rule::Rate { scale } = rollup::rule(ind, m) else {
        return Err(StoreError::invalid("numerator", "error-parts-not-rate"));
    };
    let finite = parts.numerator.is_finite() && parts.denominator.is_finite();
    if !finite || parts.denominator <= 0.0 || parts.numerator < 0.0 {
        return Err(StoreError::invalid("denominator", "error-parts-range"));
    }
    if scale == 100.0 && parts.numerator > parts.denominator {
        return Err(StoreError::invalid("numerator", "error-parts-share"));
    }
    let computed = rollup::rate_of(parts, scale)
        .ok_or_else(|| StoreError::invalid("denominator", "error-parts-range"))?;
    match typed {
        Some(x) if (x - computed).abs() > 0.05 + 1e-9 => {
            Err(StoreError::invalid("value", "error-parts-mismatch"))
        }
        Some(x) => Ok(x),
        None => Ok(computed),
    }
}

/// One district's approved value of a measure and year, as the city compares them.
#[derive(Debug, Clone, Serialize)]
pub struct DistrictValue {
    pub owner_id: i64,
    pub indicator: String,
    pub measure: String,
    pub year: i64,
    pub value: Option<f64>,
    pub judged: Option<bool>,
    pub numerator: Option<f64>,
    pub denominator: Option<f64>,
}

/// The districts the actor may compare (`units::readable_districts`), the years any of them
/// has approved values for, the year shown (`asked` when it is one of them, else the latest)
/// and each district's approved values of that year (the one in force per indicator and
/// measure; benchmarks left out). The home district's computed indicators take, for each year
/// their registry covers, the registry's counts, as its own dashboard does (registries are not
/// yet kept per district, so other districts have only the values they entered). Only the
/// shown year's values are read: a province holds ten years of every district's values.
pub async fn by_district(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    today: chrono::NaiveDate,
    asked: Option<i64>,
) -> Result<ByDistrict> {
    let (_, districts) = crate::units::readable_districts(store, actor).await?;
    if districts.is_empty() {
        return Ok(ByDistrict::default());
    }
    // Ids from the org tree, never text a user typed.
    let ids: Vec<String> = districts.iter().map(|d| d.id.to_string()).collect();
    let owners = ids.join(", ");
    let mut years: Vec<i64> = sqlx::query_scalar(&format!(
        "SELECT DISTINCT year FROM indicator_values WHERE status = 'approved' \
         AND indicator NOT LIKE $1 AND owner_id IN ({owners})"
    ))
    .bind(format!("{BENCHMARK_PREFIX}%"))
    .fetch_all(&store.pool)
    .await?;
    let home = crate::plan::home_owner(store)
        .await?
        .filter(|h| districts.iter().any(|d| d.id == *h));
    let registry = match home {
        Some(_) => computed(store, plan, today).await?,
        None => Default::default(),
    };
    for ratios in registry.values() {
        years.extend(
            ratios
                .iter()
                .filter(|r| r.denominator > 0)
                .map(|r| i64::from(r.year)),
        );
    }
    years.sort_unstable();
    years.dedup();
    let year = asked
        .filter(|y| years.contains(y))
        .or(years.last().copied());
    let Some(shown) = year else {
        return Ok(ByDistrict {
            districts,
            ..ByDistrict::default()
        });
    };
    let rows = sqlx::query(&format!(
        "SELECT owner_id, indicator, measure, year, value, judged, numerator, denominator \
         FROM indicator_values WHERE status = 'approved' AND indicator NOT LIKE $1 \
         AND year = $2 AND owner_id IN ({owners}) ORDER BY indicator, measure, year, owner_id"
    ))
    .bind(format!("{BENCHMARK_PREFIX}%"))
    .bind(shown)
    .fetch_all(&store.pool)
    .await?;
    let mut values = rows
        .iter()
        .map(|r| {
            Ok(DistrictValue {
                owner_id: r.try_get("owner_id")?,
                indicator: r.try_get("indicator")?,
                measure: r.try_get("measure")?,
                year: r.try_get("year")?,
                value: r.try_get("value")?,
                judged: r.try_get::<Option<i64>, _>("judged")?.map(|j| j != 0),
                numerator: r.try_get("numerator")?,
                denominator: r.try_get("denominator")?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    if let Some(home) = home {
        // The registry's figures replace the home district's entered values of the same
        // indicator: collected first, then one pass over the values.
        let from_registry: Vec<DistrictValue> = registry
            .iter()
            .flat_map(|(code, ratios)| {
                ratios
                    .iter()
                    .filter(|r| r.denominator > 0 && i64::from(r.year) == shown)
                    .map(move |r| DistrictValue {
                        owner_id: home,
                        indicator: code.clone(),
                        measure: String::new(),
                        year: shown,
                        value: r.percent(),
                        judged: None,
                        numerator: Some(r.numerator as f64),
                        denominator: Some(r.denominator as f64),
                    })
            })
            .collect();
        values.retain(|v| {
            v.owner_id != home || !from_registry.iter().any(|c| c.indicator == v.indicator)
        });
        values.extend(from_registry);
    }
    Ok(ByDistrict {
        districts,
        years,
        year,
        values,
    })
}

/// What [`by_district`] answers.
#[derive(Debug, Default)]
pub struct ByDistrict {
    pub districts: Vec<Node>,
    /// Every year with an approved value, oldest first.
    pub years: Vec<i64>,
    /// The year shown; `None` when nothing was approved anywhere.
    pub year: Option<i64>,
    /// The shown year's values of every district.
    pub values: Vec<DistrictValue>,
}

/// Indicator values, their evidence and what is disclosed to the public.
pub const SCHEMA: Schema = Schema {
    slug: "indicators",
    migrations: &[
        Migration {
            version: 4,
            name: "indicator values",
            sql: include_str!("../migrations/0004_indicators_values.sql"),
        },
        Migration {
            version: 2026120662,
            name: "indicator values per district",
            sql: include_str!("../migrations/2026120662_indicators_owner.sql"),
        },
        Migration {
            version: 2026120663,
            name: "indicator rates with their counts",
            sql: include_str!("../migrations/2026120663_indicators_rate_parts.sql"),
        },
    ],
    tables: &[
        Table::by_id("indicator_values"),
        Table::by_key("indicator_value_evidence"),
        Table::by_key("indicator_disclosure"),
    ],
    jobs: &[],
    measures: &[],
    demo: Some(|store, _| Box::pin(crate::demo::indicators::run(store))),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_groups_ask_for_their_innermost_parts() {
        let t = target::parse("all(a: >= 10; g: any(b: >= 5 %; c: <= 3))").unwrap();
        let labels: Vec<(String, bool)> = measures(&t)
            .into_iter()
            .map(|m| (m.label, m.percent))
            .collect();
        assert_eq!(
            labels,
            [
                ("a".to_string(), false),
                ("b".to_string(), true),
                ("c".to_string(), false)
            ]
        );
    }
}
