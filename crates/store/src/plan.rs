//! Plan versions: every import of a plan is kept whole (as canonical TOML) with the diff
//! against the version before it. Progress elsewhere refers to the plan by stable codes, so it
//! stays attached across versions.

use crate::audit::{self, Change};
use crate::schema::{Migration, Schema, Table};
use crate::units::{self, PlanUnit};
use crate::{Actor, Result, Store, StoreError, now_text};
use qcity_domain::plan::{Plan, PlanDiff, diff};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;

#[derive(Debug, Clone, Serialize)]
pub struct VersionInfo {
    pub version: i64,
    pub plan_code: String,
    pub source_format: String,
    pub source_name: String,
    pub created_by: String,
    pub created_at: String,
    /// The business date it took effect (`None` for versions stored before it was recorded).
    pub effective_on: Option<String>,
    pub diff: PlanDiff,
}

/// The newest version of the installation's plan: its number and its parsed plan.
pub async fn current(store: &Store) -> Result<Option<(i64, Plan)>> {
    let row =
        sqlx::query("SELECT version, plan_toml FROM plan_versions ORDER BY version DESC LIMIT 1")
            .fetch_optional(&store.pool)
            .await?;
    let Some(row) = row else { return Ok(None) };
    let version: i64 = row.try_get("version")?;
    let toml: String = row.try_get("plan_toml")?;
    let plan = Plan::from_toml(&toml).map_err(|d| {
        StoreError::Conflict(format!(
            "stored plan version {version} does not load: {d:?}"
        ))
    })?;
    Ok(Some((version, plan)))
}

/// The newest version number, or 0 (cheap: used to refresh caches).
pub async fn current_version(store: &Store) -> Result<i64> {
    let row = sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM plan_versions")
        .fetch_one(&store.pool)
        .await?;
    Ok(row.try_get("v")?)
}

pub async fn versions(store: &Store) -> Result<Vec<VersionInfo>> {
    let rows = sqlx::query(
        "SELECT version, plan_code, source_format, source_name, created_by, created_at, effective_on, diff_json \
         FROM plan_versions ORDER BY version DESC",
    )
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let diff_json: String = r.try_get("diff_json")?;
            Ok(VersionInfo {
                version: r.try_get("version")?,
                plan_code: r.try_get("plan_code")?,
                source_format: r.try_get("source_format")?,
                source_name: r.try_get("source_name")?,
                created_by: r.try_get("created_by")?,
                created_at: r.try_get("created_at")?,
                effective_on: r.try_get("effective_on")?,
                diff: serde_json::from_str(&diff_json).unwrap_or_default(),
            })
        })
        .collect()
}

/// What an import did.
#[derive(Debug, Clone)]
pub struct Imported {
    /// The version now current.
    pub version: i64,
    /// False when the plan equals the current version (nothing was written).
    pub created: bool,
    pub diff: PlanDiff,
}

/// Stores `plan` as a new version when it differs from the current one, and brings the unit
/// table in line with the plan's units. Office only. The caller has validated the plan.
pub async fn import(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    source_format: &str,
    source_name: &str,
    today: chrono::NaiveDate,
) -> Result<Imported> {
    actor.require_admin()?;
    let previous = current(store).await?;
    let (last_version, d) = match &previous {
        Some((v, old)) => (*v, diff(old, plan)),
        None => (0, diff_from_nothing(plan)),
    };
    if previous.is_some() && d.is_empty() {
        return Ok(Imported {
            version: last_version,
            created: false,
            diff: d,
        });
    }
    let version = last_version + 1;
    let mut tx = store.begin().await?;
    let rows = ordered_units(plan);
    let plan_units: Vec<PlanUnit> = rows
        .iter()
        .map(|u| PlanUnit {
            code: &u.code,
            name: &u.name,
            kind: u.kind.as_str(),
            parent: u.parent.as_deref(),
            notes: &u.notes_text,
        })
        .collect();
    units::upsert_from_plan(&mut tx, &plan_units).await?;
    crate::enterprises::sync_register_keepers(&mut tx, plan).await?;
    let obligations = crate::obligations::sync_from_plan(&mut tx, plan).await?;
    let diff_json = serde_json::to_string(&d).map_err(|e| StoreError::Conflict(e.to_string()))?;
    sqlx::query(
        "INSERT INTO plan_versions (plan_code, version, source_format, source_name, plan_toml, diff_json, created_by, created_at, effective_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&plan.plan.code)
    .bind(version)
    .bind(source_format)
    .bind(source_name)
    .bind(plan.to_toml())
    .bind(&diff_json)
    .bind(&actor.username)
    .bind(now_text())
    .bind(today.to_string())
    .execute(&mut *tx)
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "plan.import",
            target_type: "plan",
            target_id: &format!("{} v{version}", plan.plan.code),
            before: json!({"version": last_version}),
            after: json!({
                "version": version, "source": source_name, "format": source_format,
                "added": d.added.len(), "removed": d.removed.len(), "changed": d.changed.len(),
                "obligations": obligations,
            }),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(Imported {
        version,
        created: true,
        diff: d,
    })
}

/// The first version's "diff": everything added.
fn diff_from_nothing(plan: &Plan) -> PlanDiff {
    let empty = Plan {
        units: vec![],
        phases: vec![],
        indicator_areas: vec![],
        indicators: vec![],
        task_groups: vec![],
        tasks: vec![],
        measures: vec![],
        categories: vec![],
        ..plan.clone()
    };
    diff(&empty, plan)
}

struct UnitRow {
    code: String,
    name: String,
    kind: qcity_domain::plan::UnitKind,
    parent: Option<String>,
    notes_text: String,
}

/// Units with every parent before its children, so inserts can resolve parents.
fn ordered_units(plan: &Plan) -> Vec<UnitRow> {
    let mut out: Vec<UnitRow> = Vec::new();
    let mut placed = std::collections::HashSet::new();
    // Plans are shallow (city → district → units): a few passes place everyone.
    for _ in 0..8 {
        for u in &plan.units {
            if placed.contains(&u.code) {
                continue;
            }
            let parent_ready = u
                .parent
                .as_ref()
                .is_none_or(|p| placed.contains(p) || plan.unit(p).is_none());
            if parent_ready {
                placed.insert(u.code.clone());
                out.push(UnitRow {
                    code: u.code.clone(),
                    name: u.name.clone(),
                    kind: u.kind,
                    parent: u.parent.clone(),
                    notes_text: u.notes.join("；"),
                });
            }
        }
    }
    out
}

/// The plan versions.
pub const SCHEMA: Schema = Schema {
    slug: "plan",
    migrations: &[
        Migration {
            version: 2,
            name: "plan versions",
            sql: include_str!("../migrations/0002_plan_versions.sql"),
        },
        Migration {
            version: 2026120610,
            name: "plan versions: the business date each took effect",
            sql: include_str!("../migrations/2026120610_plan_effective_on.sql"),
        },
    ],
    tables: &[Table::by_id("plan_versions")],
    jobs: &[],
    measures: &[],
    demo: None,
};
