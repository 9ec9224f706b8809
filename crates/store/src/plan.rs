//! Plan versions: every import of a plan is kept whole (as canonical TOML) with the diff
//! against the version before it. Progress elsewhere refers to the plan by stable codes, so it
//! stays attached across versions.

use crate::audit::{self, Change};
use crate::obligations::SyncPreview;
use crate::schema::{Migration, Schema, Table};
use crate::units::{self, PlanUnit};
use crate::{Actor, Result, Store, StoreError, now_text};
use qcity_domain::plan::{DistrictSpec, Plan, PlanDiff, diff};
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

/// The installation's home plan owner: the owner of the first version imported (the district
/// an installation starts with). Other districts' plans are found by their owner.
const HOME: &str = "(SELECT owner_id FROM plan_versions ORDER BY id LIMIT 1)";

/// The newest version of the installation's (home district's) plan: its number and its plan.
pub async fn current(store: &Store) -> Result<Option<(i64, Plan)>> {
    newest(
        store,
        &format!("SELECT version, plan_toml FROM plan_versions WHERE owner_id = {HOME} ORDER BY version DESC LIMIT 1"),
        None,
    )
    .await
}

/// The newest version of the plan of the org unit with this code (a district, or a city).
pub async fn current_of(store: &Store, owner_code: &str) -> Result<Option<(i64, Plan)>> {
    newest(
        store,
        "SELECT v.version, v.plan_toml FROM plan_versions v JOIN org_units u ON u.id = v.owner_id \
         WHERE u.code = $1 ORDER BY v.version DESC LIMIT 1",
        Some(owner_code),
    )
    .await
}

/// The newest version of the plan of the org unit with this id.
pub async fn current_of_id(store: &Store, owner_id: i64) -> Result<Option<(i64, Plan)>> {
    let id = owner_id.to_string();
    newest(
        store,
        &format!(
            "SELECT version, plan_toml FROM plan_versions WHERE owner_id = {id} ORDER BY version DESC LIMIT 1"
        ),
        None,
    )
    .await
}

/// The newest version number of this owner's plan, or 0 (cheap: used to refresh caches).
pub async fn current_version_of_id(store: &Store, owner_id: i64) -> Result<i64> {
    let row =
        sqlx::query("SELECT COALESCE(MAX(version), 0) AS v FROM plan_versions WHERE owner_id = $1")
            .bind(owner_id)
            .fetch_one(&store.pool)
            .await?;
    Ok(row.try_get("v")?)
}

/// A district's (or city's) office imports its own plan only: the file's owner (its district,
/// or the city for a city's own plan) must be the office's. The operator and the command line,
/// with no district, import any.
async fn require_own_plan(store: &Store, actor: &Actor, plan: &Plan) -> Result<()> {
    let Some(own) = actor.owner_id else {
        return Ok(());
    };
    let code = plan.owner().map(|u| u.code.as_str()).unwrap_or_default();
    let owner: Option<i64> = sqlx::query_scalar("SELECT id FROM org_units WHERE code = $1")
        .bind(code)
        .fetch_optional(&store.pool)
        .await?;
    if owner == Some(own) {
        Ok(())
    } else {
        Err(StoreError::invalid("file", "error-plan-other-district"))
    }
}

/// The newest version of the plan `plan` is a version of (the same owner).
async fn current_for(store: &Store, plan: &Plan) -> Result<Option<(i64, Plan)>> {
    match plan.owner() {
        Some(owner) => current_of(store, &owner.code).await,
        None => current(store).await,
    }
}

async fn newest(store: &Store, sql: &str, code: Option<&str>) -> Result<Option<(i64, Plan)>> {
    let mut q = sqlx::query(sql);
    if let Some(code) = code {
        q = q.bind(code);
    }
    let Some(row) = q.fetch_optional(&store.pool).await? else {
        return Ok(None);
    };
    let version: i64 = row.try_get("version")?;
    let toml: String = row.try_get("plan_toml")?;
    let plan = Plan::from_toml(&toml).map_err(|d| {
        StoreError::Conflict(format!(
            "stored plan version {version} does not load: {d:?}"
        ))
    })?;
    Ok(Some((version, plan)))
}

/// The installation's home district (the owner of the first plan version), if any.
pub async fn home_owner(store: &Store) -> Result<Option<i64>> {
    Ok(sqlx::query(&format!("SELECT {HOME} AS owner_id"))
        .fetch_one(&store.pool)
        .await?
        .try_get("owner_id")?)
}

/// The newest version number of the home plan, or 0 (cheap: used to refresh caches).
pub async fn current_version(store: &Store) -> Result<i64> {
    let row = sqlx::query(&format!(
        "SELECT COALESCE(MAX(version), 0) AS v FROM plan_versions WHERE owner_id = {HOME}"
    ))
    .fetch_one(&store.pool)
    .await?;
    Ok(row.try_get("v")?)
}

/// The versions of the plan the actor works on (its district's or city's), newest first.
pub async fn versions(store: &Store, actor: &Actor) -> Result<Vec<VersionInfo>> {
    let rows = sqlx::query(&format!(
        "SELECT version, plan_code, source_format, source_name, created_by, created_at, effective_on, diff_json \
         FROM plan_versions WHERE owner_id = {} ORDER BY version DESC",
        actor.owner_sql()
    ))
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
    require_own_plan(store, actor, plan).await?;
    let previous = current_for(store, plan).await?;
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
    // The registers are not yet kept per district: only the home district's plan (the first
    // imported, and its later versions) names their keepers.
    let home: Option<i64> = sqlx::query(&format!("SELECT {HOME} AS owner_id"))
        .fetch_one(&mut *tx)
        .await?
        .try_get("owner_id")?;
    let owner = crate::obligations::owner_id(&mut tx, plan).await?;
    if home.is_none() || home == owner {
        crate::enterprises::sync_register_keepers(&mut tx, plan).await?;
    }
    let obligations = crate::obligations::sync_from_plan(store.backend, &mut tx, plan).await?;
    let diff_json = serde_json::to_string(&d).map_err(|e| StoreError::Conflict(e.to_string()))?;
    sqlx::query(
        "INSERT INTO plan_versions (plan_code, version, source_format, source_name, plan_toml, diff_json, created_by, created_at, effective_on, owner_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
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
    .bind(owner)
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
    // The units may have changed names or places: accounts read with them are read again.
    store.sessions().forget_all();
    Ok(Imported {
        version,
        created: true,
        diff: d,
    })
}

/// Runs the installation's plan in another district of its city: the home plan taken over
/// by the district (`Plan::for_district`: its own member units, the same contents and
/// deadlines) and imported as the district's first version. Office only; a district that
/// already runs a plan is refused (its office imports new versions itself).
pub async fn add_district(
    store: &Store,
    actor: &Actor,
    spec: &DistrictSpec,
    today: chrono::NaiveDate,
) -> Result<Imported> {
    actor.require_admin()?;
    let Some((_, template)) = current(store).await? else {
        return Err(StoreError::Conflict("no plan to take over yet".into()));
    };
    let plan = template
        .for_district(spec)
        .map_err(|_| StoreError::invalid("district", "error-district-spec"))?;
    if current_of(store, &spec.code).await?.is_some() {
        return Err(StoreError::invalid("district", "error-district-exists"));
    }
    import(store, actor, &plan, "template", &template.plan.code, today).await
}

/// Makes the city's own plan from the installation's plan (`Plan::for_city`: its districts
/// lead every content) and imports it as the city's first version. The city's office (or
/// the operator, naming the city); a city that already runs a plan is refused (its office
/// imports new versions itself).
pub async fn add_city_plan(
    store: &Store,
    actor: &Actor,
    city_code: &str,
    today: chrono::NaiveDate,
) -> Result<Imported> {
    actor.require_admin()?;
    let city: Option<(i64, String)> =
        sqlx::query_as("SELECT id, kind FROM org_units WHERE code = $1")
            .bind(city_code)
            .fetch_optional(&store.pool)
            .await?;
    let Some((city_id, kind)) = city else {
        return Err(StoreError::NotFound);
    };
    if kind != "city" || actor.owner_id.is_some_and(|own| own != city_id) {
        return Err(StoreError::Forbidden);
    }
    if current_version_of_id(store, city_id).await? > 0 {
        return Err(StoreError::invalid("city", "error-city-plan-exists"));
    }
    let Some((_, template)) = current(store).await? else {
        return Err(StoreError::Conflict("no plan to take over yet".into()));
    };
    let districts: Vec<(String, String)> = sqlx::query_as(
        "SELECT code, name FROM org_units WHERE parent_id = $1 AND kind = 'district' ORDER BY id",
    )
    .bind(city_id)
    .fetch_all(&store.pool)
    .await?;
    let spec = qcity_domain::plan::CitySpec {
        plan_code: format!("{}-city", city_code.to_lowercase()),
        districts,
    };
    let plan = template
        .for_city(&spec)
        .map_err(|_| StoreError::invalid("city", "error-city-plan-spec"))?;
    if plan.owner().map(|u| u.code.as_str()) != Some(city_code) {
        return Err(StoreError::invalid("city", "error-city-plan-spec"));
    }
    import(store, actor, &plan, "template", &template.plan.code, today).await
}

/// A plan read from a file, waiting for the office to confirm its import.
#[derive(Debug, Clone)]
pub struct Draft {
    pub id: i64,
    /// The version the preview was made against.
    pub base_version: i64,
    pub source_format: String,
    pub source_name: String,
    pub created_by: String,
    pub created_at: String,
    pub plan: Plan,
}

/// What reading a plan file for import led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Staged {
    /// The file equals the current version: nothing to confirm.
    Same { version: i64 },
    /// A draft to preview and confirm.
    Draft { id: i64 },
}

/// The conflict [`apply_draft`] answers when the plan changed after the preview.
pub const STALE_PREVIEW: &str = "plan-preview-stale";

/// Drafts older than this are removed when a new one is staged.
const DRAFT_DAYS: i64 = 7;

/// Keeps a validated plan as a draft for its preview, unless it equals the current version.
/// Office only.
pub async fn stage(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    source_format: &str,
    source_name: &str,
) -> Result<Staged> {
    actor.require_admin()?;
    require_own_plan(store, actor, plan).await?;
    let previous = current_for(store, plan).await?;
    let base_version = previous.as_ref().map(|(v, _)| *v).unwrap_or(0);
    if let Some((v, old)) = &previous
        && diff(old, plan).is_empty()
    {
        return Ok(Staged::Same { version: *v });
    }
    let now = now_text();
    let cutoff = (chrono::Utc::now() - chrono::Duration::days(DRAFT_DAYS))
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string();
    sqlx::query("DELETE FROM plan_drafts WHERE created_at < $1")
        .bind(&cutoff)
        .execute(&store.pool)
        .await?;
    let id: i64 = sqlx::query(
        "INSERT INTO plan_drafts (base_version, source_format, source_name, plan_toml, created_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(base_version)
    .bind(source_format)
    .bind(source_name)
    .bind(plan.to_toml())
    .bind(&actor.username)
    .bind(&now)
    .fetch_one(&store.pool)
    .await?
    .try_get("id")?;
    Ok(Staged::Draft { id })
}

/// One draft. Office only.
pub async fn draft(store: &Store, actor: &Actor, id: i64) -> Result<Draft> {
    actor.require_admin()?;
    let r = sqlx::query(
        "SELECT id, base_version, source_format, source_name, plan_toml, created_by, created_at FROM plan_drafts WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&store.pool)
    .await?
    .ok_or(StoreError::NotFound)?;
    let toml: String = r.try_get("plan_toml")?;
    let plan = Plan::from_toml(&toml).map_err(|d| {
        StoreError::Conflict(format!("stored plan draft {id} does not load: {d:?}"))
    })?;
    // Another district's draft is not told apart from none.
    require_own_plan(store, actor, &plan)
        .await
        .map_err(|_| StoreError::NotFound)?;
    Ok(Draft {
        id: r.try_get("id")?,
        base_version: r.try_get("base_version")?,
        source_format: r.try_get("source_format")?,
        source_name: r.try_get("source_name")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        plan,
    })
}

/// Drops a draft without importing it. Office only.
pub async fn discard(store: &Store, actor: &Actor, id: i64) -> Result<()> {
    draft(store, actor, id).await?;
    let done = sqlx::query("DELETE FROM plan_drafts WHERE id = $1")
        .bind(id)
        .execute(&store.pool)
        .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    Ok(())
}

/// What importing a plan would do, against the current version, on a business date.
#[derive(Debug, Clone, Serialize)]
pub struct Preview {
    /// The version the preview compares with (0 when there is none yet).
    pub base_version: i64,
    pub diff: PlanDiff,
    pub obligations: SyncPreview,
}

/// Computes the preview of importing `plan`: the differences from the current version and the
/// effect on the obligations. Writes nothing. Office only, its own plan only.
pub async fn preview(
    store: &Store,
    actor: &Actor,
    plan: &Plan,
    today: chrono::NaiveDate,
) -> Result<Preview> {
    actor.require_admin()?;
    require_own_plan(store, actor, plan).await?;
    let previous = current_for(store, plan).await?;
    let (base_version, d) = match &previous {
        Some((v, old)) => (*v, diff(old, plan)),
        None => (0, diff_from_nothing(plan)),
    };
    Ok(Preview {
        base_version,
        diff: d,
        obligations: crate::obligations::preview_sync(store, plan, today).await?,
    })
}

/// Imports a draft the office confirmed after seeing its preview against `confirmed_base`.
/// A version imported since makes the preview stale: refused with a conflict naming
/// [`STALE_PREVIEW`], so the office sees the new preview before anything changes.
pub async fn apply_draft(
    store: &Store,
    actor: &Actor,
    id: i64,
    confirmed_base: i64,
    today: chrono::NaiveDate,
) -> Result<Imported> {
    let d = draft(store, actor, id).await?;
    let base = current_for(store, &d.plan).await?.map_or(0, |(v, _)| v);
    if base != confirmed_base {
        return Err(StoreError::Conflict(STALE_PREVIEW.into()));
    }
    let imported = import(
        store,
        actor,
        &d.plan,
        &d.source_format,
        &d.source_name,
        today,
    )
    .await?;
    discard(store, actor, id).await?;
    Ok(imported)
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
        Migration {
            version: 2026120630,
            name: "plan drafts: an import waits for confirmation after its preview",
            sql: include_str!("../migrations/2026120630_plan_drafts.sql"),
        },
        Migration {
            version: 2026120660,
            name: "plan owners: each district runs its own plan",
            sql: include_str!("../migrations/2026120660_plan_owner.sql"),
        },
        Migration {
            version: 2026120661,
            name: "obligations: one covering index for each district's counts",
            sql: include_str!("../migrations/2026120661_plan_owner_tally_index.sql"),
        },
    ],
    tables: &[
        Table::by_id("plan_versions"),
        Table::transient("plan_drafts"),
    ],
    jobs: &[],
    measures: &[],
    demo: None,
};
