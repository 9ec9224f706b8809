//! Reminders before a due date and the escalation ladder after it (催办 → 督办 → 通报), plus
//! 督办单 the office issues by hand. Generated notices are idempotent: each has a dedupe key,
//! so running the supervisor twice on a day, or on every day, fires each notice exactly once.

use crate::audit::{self, Change};
use crate::obligations::{self, Obligation};
use crate::schema::{JobSpec, Migration, Schema, Table};
use crate::{Actor, Result, Store, StoreError, now_text};
use chrono::NaiveDate;
use qcity_domain::role::Scope;
use qcity_domain::supervision::{Action, NoticeCounts, apply};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::BTreeMap;

pub use qcity_domain::supervision::Ladder;

pub const LEVELS: [(&str, &str); 3] = [("cuiban", "blue"), ("duban", "yellow"), ("tongbao", "red")];

/// 催办/督办/通报 notices per unit code issued from `start` to `end`: the one count the bulletin,
/// the assessment and every page show (`docs/figures.md`). Licence-expiry digests and complaint
/// tickets' warnings are registry alerts, not escalations of the plan's work, whatever their
/// colour: a ticket's lateness counts in the complaint figures.
pub async fn counts_by_unit(
    store: &Store,
    actor: &Actor,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<BTreeMap<String, NoticeCounts>> {
    let rows = sqlx::query(&format!(
        "SELECT u.code, n.level, COUNT(*) AS n FROM notices n JOIN org_units u ON u.id = n.unit_id \
         WHERE n.issued_on >= $1 AND n.issued_on <= $2 AND n.kind NOT IN ('licence', 'complaint') \
         AND n.unit_id IN {} GROUP BY u.code, n.level",
        actor.owned_units_sql()
    ))
    .bind(start.to_string())
    .bind(end.to_string())
    .fetch_all(&store.pool)
    .await?;
    let mut out: BTreeMap<String, NoticeCounts> = BTreeMap::new();
    for r in &rows {
        let n = u32::try_from(r.try_get::<i64, _>("n")?).unwrap_or(u32::MAX);
        out.entry(r.try_get("code")?)
            .or_default()
            .add(&r.try_get::<String, _>("level")?, n);
    }
    Ok(out)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Fired {
    pub reminders: usize,
    pub cuiban: usize,
    pub duban: usize,
    pub tongbao: usize,
}

/// The notice an obligation calls for on `today`, if any: (kind, level, dedupe suffix).
pub fn due_notice(
    ob: &Obligation,
    today: NaiveDate,
    ladder: &Ladder,
) -> Option<(&'static str, &'static str, String)> {
    if ob.status.is_handed_in() || ob.retired {
        return None;
    }
    let due = ob.due()?;
    let left = (due - today).num_days();
    if left >= 0 {
        let threshold = ladder
            .reminder_days
            .iter()
            .copied()
            .filter(|t| left <= *t)
            .min()?;
        return Some((
            "reminder",
            "info",
            format!("rem:{}:{}:{threshold}", ob.id, ob.due_date),
        ));
    }
    let over = -left;
    let level = (0..3)
        .rev()
        .find(|l| over >= ladder.escalation_days[*l].max(1))?;
    let (kind, colour) = LEVELS[level];
    let key = if kind == "cuiban" {
        cuiban_key(ob)
    } else {
        format!("esc:{}:{}:{kind}", ob.id, ob.due_date)
    };
    Some((kind, colour, key))
}

/// Runs the ladder for every open obligation as of `today`. Safe to run any number of times.
pub async fn supervise(store: &Store, today: NaiveDate, ladder: &Ladder) -> Result<Fired> {
    let actor = Actor::system("supervisor");
    // Only open obligations close enough to their due date can call for a notice.
    let horizon = ladder
        .reminder_days
        .iter()
        .copied()
        .max()
        .unwrap_or(0)
        .max(0) as u64;
    let filter = obligations::Filter {
        open_only: true,
        due_by: today.checked_add_days(chrono::Days::new(horizon)),
        ..Default::default()
    };
    let obs = obligations::list(store, &actor, &filter, today).await?;
    // Keys already fired, read once: a daily run then writes only what is new.
    let fired_keys: std::collections::HashSet<String> =
        sqlx::query("SELECT dedupe_key FROM notices WHERE kind <> 'manual'")
            .fetch_all(&store.pool)
            .await?
            .iter()
            .map(|r| r.try_get::<String, _>("dedupe_key"))
            .collect::<std::result::Result<_, _>>()?;
    let mut fired = Fired::default();
    for ob in &obs {
        let Some((kind, level, key)) = due_notice(ob, today, ladder) else {
            continue;
        };
        if fired_keys.contains(&key) {
            continue;
        }
        let title = match kind {
            "reminder" => format!("【提醒】{} 将于 {} 到期", ob.content_code, ob.due_date),
            "cuiban" => format!(
                "【催办】{} 已逾期（应于 {} 完成）",
                ob.content_code, ob.due_date
            ),
            "duban" => format!(
                "【督办】{} 逾期超过 {} 天",
                ob.content_code, ladder.escalation_days[1]
            ),
            _ => format!(
                "【通报】{} 逾期超过 {} 天，予以通报",
                ob.content_code, ladder.escalation_days[2]
            ),
        };
        let inserted = insert(
            store,
            ob.unit_id,
            Some(ob.id),
            kind,
            level,
            &title,
            "",
            today,
            None,
            &key,
        )
        .await?;
        if inserted {
            match kind {
                "reminder" => fired.reminders += 1,
                "cuiban" => fired.cuiban += 1,
                "duban" => fired.duban += 1,
                _ => fired.tongbao += 1,
            }
        }
    }
    Ok(fired)
}

/// Inserts a notice unless its dedupe key exists; true when it was new.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn insert(
    store: &Store,
    unit_id: i64,
    obligation_id: Option<i64>,
    kind: &str,
    level: &str,
    title: &str,
    body: &str,
    issued_on: NaiveDate,
    respond_by: Option<NaiveDate>,
    dedupe_key: &str,
) -> Result<bool> {
    let res = sqlx::query(
        "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, respond_by, dedupe_key, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(unit_id)
    .bind(obligation_id)
    .bind(kind)
    .bind(level)
    .bind(title)
    .bind(body)
    .bind(issued_on.to_string())
    .bind(respond_by.map(|d| d.to_string()))
    .bind(dedupe_key)
    .bind(now_text())
    .execute(&store.pool)
    .await?;
    Ok(res.rows_affected() > 0)
}

#[derive(Debug, Clone, Serialize)]
pub struct Notice {
    pub id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub obligation_id: Option<i64>,
    pub content_code: Option<String>,
    pub kind: String,
    pub level: String,
    pub title: String,
    pub body: String,
    pub issued_on: String,
    pub respond_by: Option<String>,
    pub response: Option<String>,
    pub read: bool,
}

const SELECT: &str = "SELECT n.id, u.code AS unit_code, u.name AS unit_name, n.obligation_id, o.content_code, n.kind, n.level, \
     n.title, n.body, n.issued_on, n.respond_by, n.response, n.read_at FROM notices n JOIN org_units u ON u.id = n.unit_id \
     LEFT JOIN obligations o ON o.id = n.obligation_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Notice> {
    Ok(Notice {
        id: r.try_get("id")?,
        unit_code: r.try_get("unit_code")?,
        unit_name: r.try_get("unit_name")?,
        obligation_id: r.try_get("obligation_id")?,
        content_code: r.try_get("content_code")?,
        kind: r.try_get("kind")?,
        level: r.try_get("level")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        issued_on: r.try_get("issued_on")?,
        respond_by: r.try_get("respond_by")?,
        response: r.try_get("response")?,
        read: r.try_get::<Option<String>, _>("read_at")?.is_some(),
    })
}

/// Notices the caller may see (a unit its own; office and leaders all; evaluators none),
/// newest first.
pub async fn list(store: &Store, actor: &Actor, kind: Option<&str>) -> Result<Vec<Notice>> {
    actor.require_internal()?;
    let mut sql = format!("{SELECT} WHERE 1 = 1");
    match actor.scope() {
        Scope::All | Scope::ReadAll => {
            sql.push_str(&format!(" AND n.unit_id IN {}", actor.owned_units_sql()))
        }
        Scope::Unit(u) => sql.push_str(&format!(" AND n.unit_id = {u}")),
        Scope::Public => return Err(StoreError::Forbidden),
    }
    if kind.is_some() {
        sql.push_str(" AND n.kind = $1");
    }
    sql.push_str(" ORDER BY n.issued_on DESC, n.id DESC");
    let mut q = sqlx::query(&sql);
    if let Some(k) = kind {
        q = q.bind(k);
    }
    q.fetch_all(&store.pool)
        .await?
        .iter()
        .map(from_row)
        .collect()
}

/// Notices a page lists.
pub const PAGE_SIZE: i64 = 50;

/// Kinds that are routine registry alerts (the daily licence-expiry digest): kept on the
/// notices page, never counted as work waiting for the unit.
pub const ROUTINE_KINDS: &[&str] = &["licence"];

/// The order the kinds are shown in: what asks most of a unit first.
const KIND_ORDER: &[&str] = &[
    "manual",
    "tongbao",
    "duban",
    "cuiban",
    "reminder",
    "returned",
    "accepted",
    "extension",
    "licence",
];

/// What the notices page filters on; every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<String>,
    /// `Some(false)`: unread only; `Some(true)`: read only.
    pub read: Option<bool>,
    /// Issued on or after.
    pub from: Option<NaiveDate>,
    /// Issued on or before.
    pub to: Option<NaiveDate>,
    /// Unread notices before read ones (then newest first).
    pub unread_first: bool,
}

/// One page of notices, with the counts the filter bar shows.
#[derive(Debug, Clone, Default)]
pub struct Page {
    pub notices: Vec<Notice>,
    /// Notices matching the whole filter (all pages).
    pub total: i64,
    /// Notices per kind under the filter's other conditions (read, dates), in `KIND_ORDER`:
    /// the kinds present, each with what its tab would list.
    pub kinds: Vec<(String, i64)>,
    /// The sum of `kinds`: what the "all" tab lists.
    pub all: i64,
}

/// The WHERE clause of the actor's notices under a filter (without its kind) and its binds.
fn page_where(actor: &Actor, f: &Filter) -> Result<(String, Vec<String>)> {
    let mut sql = String::from(" WHERE 1 = 1");
    match actor.scope() {
        Scope::All | Scope::ReadAll => {
            sql.push_str(&format!(" AND n.unit_id IN {}", actor.owned_units_sql()))
        }
        Scope::Unit(u) => sql.push_str(&format!(" AND n.unit_id = {u}")),
        Scope::Public => return Err(StoreError::Forbidden),
    }
    let mut binds = Vec::new();
    match f.read {
        Some(true) => sql.push_str(" AND n.read_at IS NOT NULL"),
        Some(false) => sql.push_str(" AND n.read_at IS NULL"),
        None => {}
    }
    if let Some(d) = f.from {
        binds.push(d.to_string());
        sql.push_str(&format!(" AND n.issued_on >= ${}", binds.len()));
    }
    if let Some(d) = f.to {
        binds.push(d.to_string());
        sql.push_str(&format!(" AND n.issued_on <= ${}", binds.len()));
    }
    Ok((sql, binds))
}

/// A page (from 1) of the notices the caller may see under a filter, with counts per kind.
pub async fn page(store: &Store, actor: &Actor, f: &Filter, page: i64) -> Result<Page> {
    actor.require_internal()?;
    let (mut cond, mut binds) = page_where(actor, f)?;
    let mut kinds: Vec<(String, i64)> = Vec::new();
    let sql = format!("SELECT n.kind, COUNT(*) AS n FROM notices n{cond} GROUP BY n.kind");
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    for r in q.fetch_all(&store.pool).await? {
        kinds.push((r.try_get("kind")?, r.try_get("n")?));
    }
    let rank = |k: &str| {
        KIND_ORDER
            .iter()
            .position(|o| *o == k)
            .unwrap_or(KIND_ORDER.len())
    };
    kinds.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then(a.0.cmp(&b.0)));
    let all = kinds.iter().map(|(_, n)| n).sum();
    if let Some(k) = &f.kind {
        binds.push(k.clone());
        cond.push_str(&format!(" AND n.kind = ${}", binds.len()));
    }
    let total = match &f.kind {
        Some(k) => kinds
            .iter()
            .find(|(kind, _)| kind == k)
            .map_or(0, |(_, n)| *n),
        None => all,
    };
    let order = if f.unread_first {
        " ORDER BY CASE WHEN n.read_at IS NULL THEN 0 ELSE 1 END, n.issued_on DESC, n.id DESC"
    } else {
        " ORDER BY n.issued_on DESC, n.id DESC"
    };
    let offset = (page.max(1) - 1).saturating_mul(PAGE_SIZE);
    let sql = format!("{SELECT}{cond}{order} LIMIT {PAGE_SIZE} OFFSET {offset}");
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b);
    }
    let notices = q
        .fetch_all(&store.pool)
        .await?
        .iter()
        .map(from_row)
        .collect::<Result<Vec<_>>>()?;
    Ok(Page {
        notices,
        total,
        kinds,
        all,
    })
}

/// Unread notices of the caller's unit that ask something of it (the badge in the
/// navigation): routine registry alerts are left out, as on the home page's queue.
pub async fn unread(store: &Store, actor: &Actor) -> Result<i64> {
    let Scope::Unit(u) = actor.scope() else {
        return Ok(0);
    };
    let routine = ROUTINE_KINDS
        .iter()
        .map(|k| format!("'{k}'"))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(sqlx::query(&format!(
        "SELECT COUNT(*) AS n FROM notices WHERE unit_id = $1 AND read_at IS NULL \
         AND kind NOT IN ({routine})"
    ))
    .bind(u)
    .fetch_one(&store.pool)
    .await?
    .try_get("n")?)
}

async fn own(store: &Store, actor: &Actor, id: i64) -> Result<Notice> {
    let sql = format!("{SELECT} WHERE n.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    let n = from_row(&row)?;
    let unit_id: i64 = sqlx::query("SELECT unit_id FROM notices WHERE id = $1")
        .bind(id)
        .fetch_one(&store.pool)
        .await?
        .try_get("unit_id")?;
    match actor.scope() {
        Scope::Unit(u) if u == unit_id => Ok(n),
        Scope::All | Scope::ReadAll => Err(StoreError::Forbidden),
        _ => Err(StoreError::NotFound),
    }
}

/// Marks a notice read (its unit only). Recorded: when a unit took note of a 催办 can matter.
pub async fn mark_read(store: &Store, actor: &Actor, id: i64) -> Result<()> {
    mark_read_as_of(store, actor, id, None).await
}

/// Marks a notice read on a business date, which the obligation's timeline shows.
pub async fn mark_read_on(store: &Store, actor: &Actor, id: i64, today: NaiveDate) -> Result<()> {
    mark_read_as_of(store, actor, id, Some(today)).await
}

async fn mark_read_as_of(
    store: &Store,
    actor: &Actor,
    id: i64,
    today: Option<NaiveDate>,
) -> Result<()> {
    own(store, actor, id).await?;
    let mut tx = store.begin().await?;
    let changed = sqlx::query(
        "UPDATE notices SET read_at = $1, read_on = $2 WHERE id = $3 AND read_at IS NULL",
    )
    .bind(now_text())
    .bind(today.map(|d| d.to_string()))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() > 0 {
        audit::record(
            store,
            &mut tx,
            actor,
            Change {
                action: "notice.read",
                target_type: "notice",
                target_id: &id.to_string(),
                before: json!({"read": false}),
                after: json!({"read": true}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The office issues a 督办单 to a unit by hand, with a response deadline.
#[allow(clippy::too_many_arguments)]
pub async fn issue_duban(
    store: &Store,
    actor: &Actor,
    unit_code: &str,
    obligation_id: Option<i64>,
    title: &str,
    body: &str,
    respond_by: NaiveDate,
    today: NaiveDate,
) -> Result<i64> {
    actor.require_admin()?;
    let title = title.trim();
    if title.is_empty() {
        return Err(StoreError::invalid("title", "error-required"));
    }
    if respond_by < today {
        return Err(StoreError::invalid("respond_by", "error-date-past"));
    }
    // Only a unit of the caller's district: another district's unit is unknown here (the
    // operator and the command line, with no district, reach every unit).
    let owned = actor.owns_unit_sql("id");
    let unit_id: i64 = sqlx::query(&format!(
        "SELECT id FROM org_units WHERE code = $1 AND {owned}"
    ))
    .bind(unit_code)
    .fetch_optional(&store.pool)
    .await?
    .ok_or_else(|| StoreError::invalid("unit", "error-unit-unknown"))?
    .try_get("id")?;
    if let Some(id) = obligation_id {
        let ob = obligations::get(store, actor, id).await?;
        if ob.unit_id != unit_id {
            return Err(StoreError::invalid(
                "obligation",
                "error-obligation-other-unit",
            ));
        }
    }
    let key = format!("manual:{}", crate::auth::random_token());
    let mut tx = store.begin().await?;
    let id: i64 = sqlx::query(
        "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, respond_by, dedupe_key, created_at) \
         VALUES ($1, $2, 'manual', 'yellow', $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(unit_id)
    .bind(obligation_id)
    .bind(title)
    .bind(body.trim())
    .bind(today.to_string())
    .bind(respond_by.to_string())
    .bind(&key)
    .bind(now_text())
    .fetch_one(&mut *tx)
    .await?
    .try_get("id")?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "notice.duban_issue",
            target_type: "unit",
            target_id: unit_code,
            before: serde_json::Value::Null,
            after: json!({"notice": id, "title": title, "respond_by": respond_by.to_string(), "obligation": obligation_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// What a 催办 by hand did: notices issued, and obligations skipped because they were handed
/// in meanwhile or already urged for their current due date.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Urged {
    pub issued: usize,
    pub skipped: usize,
}

/// The dedupe key of an obligation's blue step for its current due date: the ladder's and the
/// office's 催办 share it, so a unit is urged (and counted in `NoticeCounts`) once per deadline
/// whoever presses first.
pub fn cuiban_key(ob: &Obligation) -> String {
    format!("esc:{}:{}:cuiban", ob.id, ob.due_date)
}

/// The office urges (催办) the units of the given obligations by hand, from the overview: one
/// blue notice each, the same notice the ladder's first step sends. An obligation handed in
/// or already urged for its due date is skipped, not urged twice; one the caller may not see
/// is "not found" and nothing is issued.
pub async fn urge(
    store: &Store,
    actor: &Actor,
    obligation_ids: &[i64],
    today: NaiveDate,
) -> Result<Urged> {
    actor.require_admin()?;
    if obligation_ids.is_empty() {
        return Err(StoreError::invalid("ids", "error-select-some"));
    }
    let mut obs: Vec<Obligation> = Vec::new();
    for id in obligation_ids {
        if obs.iter().any(|o| o.id == *id) {
            continue;
        }
        obs.push(obligations::get(store, actor, *id).await?);
    }
    let mut urged = Urged::default();
    for ob in &obs {
        if ob.retired || apply(ob.status, Action::Urge).is_err() {
            urged.skipped += 1;
            continue;
        }
        let title = format!(
            "【催办】{} 请抓紧办理（应于 {} 完成）",
            ob.content_code, ob.due_date
        );
        let key = cuiban_key(ob);
        let mut tx = store.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, dedupe_key, created_at) \
             VALUES ($1, $2, 'cuiban', 'blue', $3, '', $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        )
        .bind(ob.unit_id)
        .bind(ob.id)
        .bind(&title)
        .bind(today.to_string())
        .bind(&key)
        .bind(now_text())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = inserted else {
            urged.skipped += 1;
            continue;
        };
        let notice: i64 = row.try_get("id")?;
        audit::record(
            store,
            &mut tx,
            actor,
            Change {
                action: "notice.cuiban",
                target_type: "obligation",
                target_id: &ob.id.to_string(),
                before: serde_json::Value::Null,
                after: json!({"notice": notice, "unit": ob.unit_code, "due_date": ob.due_date}),
            },
        )
        .await?;
        tx.commit().await?;
        urged.issued += 1;
    }
    Ok(urged)
}

/// The unit answers a 督办单.
pub async fn respond(store: &Store, actor: &Actor, id: i64, response: &str) -> Result<()> {
    let n = own(store, actor, id).await?;
    let response = response.trim();
    if response.is_empty() {
        return Err(StoreError::invalid("response", "error-required"));
    }
    if n.kind != "manual" {
        return Err(StoreError::Conflict("error-notice-no-response".into()));
    }
    let mut tx = store.begin().await?;
    sqlx::query("UPDATE notices SET response = $1, responded_at = $2, read_at = COALESCE(read_at, $2) WHERE id = $3")
        .bind(response)
        .bind(now_text())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: "notice.duban_respond",
            target_type: "notice",
            target_id: &id.to_string(),
            before: json!({"response": n.response}),
            after: json!({"response": response}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Supervision: obligations, progress reports and their evidence, extensions, notices (which
/// every module sends through), the outbox that delivers them, and bulletins.
pub const SCHEMA: Schema = Schema {
    slug: "supervision",
    migrations: &[
        Migration {
            version: 3,
            name: "obligations, reports, evidence, extensions, notices",
            sql: include_str!("../migrations/0003_supervision_obligations.sql"),
        },
        Migration {
            version: 2026120620,
            name: "bulletins: corrections and revocations",
            sql: include_str!("../migrations/2026120620_supervision_bulletin_corrections.sql"),
        },
        Migration {
            version: 2026120623,
            name: "acknowledgement, withdrawal, notice read dates",
            sql: include_str!("../migrations/2026120623_supervision_steps.sql"),
        },
        Migration {
            version: 2026120641,
            name: "evidence files: where the bytes are kept",
            sql: include_str!("../migrations/2026120641_supervision_evidence_stored.sql"),
        },
        Migration {
            version: 2026120668,
            name: "bulletins: issued per district",
            sql: include_str!("../migrations/2026120668_supervision_bulletin_owner.sql"),
        },
        Migration {
            version: 2026120669,
            name: "supervision figures kept current",
            sql: include_str!("../migrations/2026120669_supervision_tallies.sql"),
        },
        Migration {
            version: 2026120681,
            name: "obligations: the city task a district's obligation serves",
            sql: include_str!("../migrations/2026120681_obligations_serve_city_tasks.sql"),
        },
        Migration {
            version: 2026120683,
            name: "supervision figures of a unit kept by duty and year",
            sql: include_str!("../migrations/2026120683_supervision_tallies_by_period.sql"),
        },
    ],
    tables: &[
        Table::by_id("obligations"),
        Table::by_id("reports"),
        Table::by_key("evidence_files"),
        Table::by_key("report_evidence"),
        Table::by_id("obligation_events"),
        Table::by_id("extension_requests"),
        Table::by_id("notices"),
        Table::by_id("outbox"),
        Table::by_id("bulletins"),
        // Derived from the obligations: recounted, never restored.
        Table::transient("obligation_tallies"),
        Table::transient("obligation_period_tallies"),
        Table::transient("tally_state"),
    ],
    jobs: &[
        JobSpec {
            name: "supervision-figures",
            run: |store, ctx| {
                Box::pin(async move {
                    // Recounted once per business date; changes keep them current meanwhile.
                    if obligations::tallies::as_of(store).await? == Some(ctx.today) {
                        return Ok(String::new());
                    }
                    let cells = obligations::tallies::rebuild(store, ctx.today).await?;
                    Ok(format!(
                        "{cells} figure cells recounted as of {}",
                        ctx.today
                    ))
                })
            },
        },
        JobSpec {
            name: "supervision-ladder",
            run: |store, ctx| {
                Box::pin(async move {
                    let f = supervise(store, ctx.today, ctx.ladder).await?;
                    Ok(format!(
                        "{} reminders, {} 催办 (blue), {} 督办 (yellow), {} 通报 (red)",
                        f.reminders, f.cuiban, f.duban, f.tongbao
                    ))
                })
            },
        },
    ],
    measures: &[],
    demo: Some(|store, ctx| Box::pin(crate::demo::supervision::run(store, ctx.today))),
};
