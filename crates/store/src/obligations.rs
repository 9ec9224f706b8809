//! Obligations: each target content becomes one obligation per responsible unit and period
//! (督查督办). Units report progress with evidence; the office accepts (销号) or returns them.
//!
//! The rules (statuses, transitions, the plan's expansion into obligations, tallies) are the
//! domain's, in [`qcity_domain::supervision`]; this module loads, persists and queries.
//! Overdue is derived from the business date, never stored. Every transition is kept in
//! `obligation_events` and in the audit trail.

use crate::audit::{self, Change};
pub use crate::evidence::{EvidencePolicy, Upload, sniff};
use crate::{Actor, Result, Store, StoreError, Tx, now_text};
use chrono::{Datelike, NaiveDate};
use qcity_domain::role::Scope;
pub use qcity_domain::supervision::{
    Action, Duty, ObligationFacts, ObligationStatus, Tally, TransitionError, category_of,
};
use qcity_domain::supervision::{acknowledge as may_acknowledge, apply, percent_after};
use serde::Serialize;
use serde_json::json;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Serialize)]
pub struct Obligation {
    pub id: i64,
    pub content_code: String,
    pub unit_id: i64,
    pub unit_code: String,
    pub unit_name: String,
    pub duty: Duty,
    pub period_key: String,
    pub start_date: Option<String>,
    pub due_date: String,
    pub original_due: String,
    pub times: i64,
    pub status: ObligationStatus,
    pub percent: i64,
    pub submitted_on: Option<String>,
    pub accepted_on: Option<String>,
    pub retired: bool,
    pub row_version: i64,
    /// Who acknowledged it (签收), and on which business date; `None` while not acknowledged.
    pub acknowledged_by: Option<String>,
    pub acknowledged_on: Option<String>,
}

impl Obligation {
    pub fn due(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.due_date, "%Y-%m-%d").ok()
    }

    /// What the domain's completion rules look at.
    pub fn facts(&self) -> ObligationFacts {
        ObligationFacts {
            status: self.status,
            due: self.due(),
            submitted_on: self
                .submitted_on
                .as_deref()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
            accepted_on: self
                .accepted_on
                .as_deref()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
        }
    }

    /// Past its due date and not yet handed in (submitted or accepted).
    pub fn overdue(&self, today: NaiveDate) -> bool {
        self.facts().overdue(today)
    }

    /// Days past due (0 when not overdue).
    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        self.facts().days_overdue(today)
    }

    /// Handed in by its due date.
    pub fn on_time(&self) -> bool {
        self.facts().on_time()
    }

    fn view(&self) -> serde_json::Value {
        json!({"status": self.status, "percent": self.percent, "due_date": self.due_date, "row_version": self.row_version})
    }
}

const SELECT: &str = "SELECT o.id, o.content_code, o.unit_id, u.code AS unit_code, u.name AS unit_name, o.duty, \
     o.period_key, o.start_date, o.due_date, o.original_due, o.times, o.status, o.percent, o.submitted_on, \
     o.accepted_on, o.retired, o.row_version, o.acknowledged_by, o.acknowledged_on FROM obligations o \
     JOIN org_units u ON u.id = o.unit_id";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Obligation> {
    Ok(Obligation {
        id: r.try_get("id")?,
        content_code: r.try_get("content_code")?,
        unit_id: r.try_get("unit_id")?,
        unit_code: r.try_get("unit_code")?,
        unit_name: r.try_get("unit_name")?,
        duty: crate::parse_column(r, "duty")?,
        period_key: r.try_get("period_key")?,
        start_date: r.try_get("start_date")?,
        due_date: r.try_get("due_date")?,
        original_due: r.try_get("original_due")?,
        times: r.try_get("times")?,
        status: crate::parse_column(r, "status")?,
        percent: r.try_get("percent")?,
        submitted_on: r.try_get("submitted_on")?,
        accepted_on: r.try_get("accepted_on")?,
        retired: r.try_get::<i64, _>("retired")? != 0,
        row_version: r.try_get("row_version")?,
        acknowledged_by: r.try_get("acknowledged_by")?,
        acknowledged_on: r.try_get("acknowledged_on")?,
    })
}

/// The handed-in statuses as an SQL list (`'submitted', 'accepted'`), from the domain's rule.
fn handed_in_sql() -> String {
    ObligationStatus::ALL
        .iter()
        .filter(|s| s.is_handed_in())
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub mod links;
mod sync;
pub mod tallies;
pub(crate) use sync::owner_id;
pub use sync::{SyncPreview, SyncSummary, UnitEffect, preview_sync, sync_from_plan};

/// Filters for lists. Unit staff always see only their own unit's obligations.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub unit: Option<String>,
    pub status: Option<ObligationStatus>,
    pub content_prefix: Option<String>,
    pub overdue_only: bool,
    /// Due on or before this date.
    pub due_by: Option<NaiveDate>,
    /// Only those not yet handed in (not submitted, not accepted).
    pub open_only: bool,
    /// Only these contents (a text search over the plan, done by the caller); `None` for all.
    pub content_codes: Option<Vec<String>>,
}

/// Live (not retired) obligations the caller may see, by due date then content code.
pub async fn list(
    store: &Store,
    actor: &Actor,
    f: &Filter,
    today: NaiveDate,
) -> Result<Vec<Obligation>> {
    let (wh, args) = where_sql(actor, f, today)?;
    let sql = format!("{SELECT} WHERE {wh} ORDER BY o.due_date, o.content_code, u.code");
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q.fetch_all(&store.pool).await?;
    rows.iter().map(from_row).collect()
}

/// A page of [`list`] in `order` (a column from the caller's fixed list; due date when
/// `None`), and how many there are in all.
pub async fn list_page(
    store: &Store,
    actor: &Actor,
    f: &Filter,
    today: NaiveDate,
    order: Option<crate::Order>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Obligation>, i64)> {
    let (wh, args) = where_sql(actor, f, today)?;
    let count_sql = format!(
        "SELECT COUNT(*) AS n FROM obligations o JOIN org_units u ON u.id = o.unit_id WHERE {wh}"
    );
    let mut q = sqlx::query(&count_sql);
    for a in &args {
        q = q.bind(a);
    }
    let total: i64 = q.fetch_one(&store.pool).await?.try_get("n")?;
    let order = match order {
        Some(o) => format!("{}, o.due_date, o.content_code, u.code, o.id", o.sql()),
        None => "o.due_date, o.content_code, u.code, o.id".to_string(),
    };
    let n = args.len();
    let sql = format!(
        "{SELECT} WHERE {wh} ORDER BY {order} LIMIT ${} OFFSET ${}",
        n + 1,
        n + 2
    );
    let mut q = sqlx::query(&sql);
    for a in &args {
        q = q.bind(a);
    }
    let rows = q.bind(limit).bind(offset).fetch_all(&store.pool).await?;
    Ok((
        rows.iter().map(from_row).collect::<Result<Vec<_>>>()?,
        total,
    ))
}

/// The WHERE clause (without the keyword) and its text arguments for a filter. Overdue is
/// written in SQL as [`ObligationFacts::overdue`] reads it: past its due date on `today` and
/// not handed in by then (closed by then, or submitted or accepted with its hand-in by then).
fn where_sql(actor: &Actor, f: &Filter, today: NaiveDate) -> Result<(String, Vec<String>)> {
    let mut clauses = vec!["o.retired = 0".to_string()];
    let mut args: Vec<String> = Vec::new();
    match actor.scope() {
        // The office and readers see the obligations of their own district's plan.
        Scope::All | Scope::ReadAll => clauses.push(format!("o.owner_id = {}", actor.owner_sql())),
        Scope::Unit(u) => clauses.push(format!("o.unit_id = {u}")),
        Scope::Public => return Err(StoreError::Forbidden),
    }
    if let Some(unit) = f.unit.as_deref().filter(|s| !s.is_empty()) {
        args.push(unit.to_string());
        clauses.push(format!("u.code = ${}", args.len()));
    }
    if let Some(status) = f.status {
        args.push(status.as_str().to_string());
        clauses.push(format!("o.status = ${}", args.len()));
    }
    if let Some(prefix) = f.content_prefix.as_deref().filter(|s| !s.is_empty()) {
        args.push(format!("{prefix}%"));
        clauses.push(format!("o.content_code LIKE ${}", args.len()));
    }
    if let Some(codes) = &f.content_codes {
        if codes.is_empty() {
            clauses.push("1 = 0".to_string());
        } else {
            let mut marks = Vec::new();
            for c in codes {
                args.push(c.clone());
                marks.push(format!("${}", args.len()));
            }
            clauses.push(format!("o.content_code IN ({})", marks.join(", ")));
        }
    }
    if let Some(d) = f.due_by {
        args.push(d.to_string());
        clauses.push(format!("o.due_date <= ${}", args.len()));
    }
    if f.open_only {
        clauses.push(format!("o.status NOT IN ({})", handed_in_sql()));
    }
    if f.overdue_only {
        args.push(today.to_string());
        let t = format!("${}", args.len());
        clauses.push(format!(
            "o.due_date <> '' AND o.due_date < {t} AND NOT ( \
             (o.status = '{accepted}' AND (o.accepted_on IS NULL OR o.accepted_on <= {t})) \
             OR (o.status IN ({handed}) AND o.submitted_on IS NOT NULL AND o.submitted_on <= {t}))",
            accepted = ObligationStatus::Accepted.as_str(),
            handed = handed_in_sql(),
        ));
    }
    Ok((clauses.join(" AND "), args))
}

async fn load(store: &Store, id: i64) -> Result<Obligation> {
    let sql = format!("{SELECT} WHERE o.id = $1");
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    from_row(&row)
}

/// Whether `actor` leads the same content in the same period as `ob` (and so sees its reports).
async fn leads_sibling(store: &Store, actor: &Actor, ob: &Obligation) -> Result<bool> {
    let Scope::Unit(u) = actor.scope() else {
        return Ok(false);
    };
    let row = sqlx::query(
        "SELECT id FROM obligations WHERE content_code = $1 AND period_key = $2 AND unit_id = $3 AND duty = $4 AND retired = 0 \
         AND owner_id = (SELECT owner_id FROM obligations WHERE id = $5)",
    )
    .bind(&ob.content_code)
    .bind(&ob.period_key)
    .bind(u)
    .bind(Duty::Lead.as_str())
    .bind(ob.id)
    .fetch_optional(&store.pool)
    .await?;
    Ok(row.is_some())
}

/// One obligation, if the caller may see it: the office, leaders and evaluators, the unit
/// itself, and the lead unit of the same content and period (it consolidates the reports).
/// Others get "not found", so they cannot even learn that it exists.
pub async fn get(store: &Store, actor: &Actor, id: i64) -> Result<Obligation> {
    let ob = load(store, id).await?;
    let in_scope = match actor.scope() {
        // The office and readers of a district: only its own plan's obligations.
        Scope::All | Scope::ReadAll => in_actors_plan(store, actor, id).await?,
        _ => actor.scope().can_read_unit(ob.unit_id) || leads_sibling(store, actor, &ob).await?,
    };
    if in_scope {
        Ok(ob)
    } else {
        Err(StoreError::NotFound)
    }
}

/// Whether the obligation belongs to the plan the actor works on (its district's).
async fn in_actors_plan(store: &Store, actor: &Actor, id: i64) -> Result<bool> {
    let sql = format!(
        "SELECT id FROM obligations WHERE id = $1 AND owner_id = {}",
        actor.owner_sql()
    );
    Ok(sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&store.pool)
        .await?
        .is_some())
}

/// The same content and period's other obligations (the cooperating units), for the lead.
pub async fn siblings(store: &Store, actor: &Actor, ob: &Obligation) -> Result<Vec<Obligation>> {
    let sql = format!(
        "{SELECT} WHERE o.content_code = $1 AND o.period_key = $2 AND o.id <> $3 AND o.retired = 0 \
         AND o.owner_id = (SELECT owner_id FROM obligations WHERE id = $3) ORDER BY o.duty, u.code"
    );
    let rows = sqlx::query(&sql)
        .bind(&ob.content_code)
        .bind(&ob.period_key)
        .bind(ob.id)
        .fetch_all(&store.pool)
        .await?;
    let all = rows.iter().map(from_row).collect::<Result<Vec<_>>>()?;
    let lead_here = ob.duty.is_lead() && actor.scope().can_read_unit(ob.unit_id);
    Ok(all
        .into_iter()
        .filter(|o| lead_here || actor.scope().can_read_unit(o.unit_id))
        .collect())
}

/// May `actor` write to this obligation (report, ask for an extension)? Only its own unit.
fn require_own_unit(actor: &Actor, ob: &Obligation) -> Result<()> {
    match actor.scope() {
        Scope::Unit(u) if u == ob.unit_id => Ok(()),
        _ => Err(StoreError::Forbidden),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub id: i64,
    pub obligation_id: i64,
    pub author: String,
    pub body: String,
    pub percent: i64,
    pub r#final: bool,
    pub created_on: String,
    pub created_at: String,
    pub files: Vec<EvidenceRef>,
    /// The business date the unit withdrew this hand-in (撤回); it is then no longer final.
    pub withdrawn_on: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct EvidenceRef {
    pub sha256: String,
    pub filename: String,
    pub mime: String,
    pub size: i64,
}

pub struct ReportInput {
    pub body: String,
    pub percent: i64,
    /// Hand in for review (销号申请) rather than a progress update.
    pub submit: bool,
    /// A token rendered into the form: the same form posted twice makes one report.
    pub form_token: String,
    pub files: Vec<Upload>,
}

/// Records a progress report (and, with `submit`, hands the obligation in for review).
/// All files are checked before anything is stored; the report, its files and the status
/// change are one transaction. Returns the report id (the existing one for a repeated form).
pub async fn report(
    store: &Store,
    actor: &Actor,
    id: i64,
    input: ReportInput,
    policy: &EvidencePolicy,
    today: NaiveDate,
) -> Result<i64> {
    let ob = get(store, actor, id).await?;
    require_own_unit(actor, &ob)?;
    if let Some(id) = existing_report(&store.pool, &input.form_token, ob.id).await? {
        return Ok(id);
    }
    let body = input.body.trim();
    if body.is_empty() {
        return Err(StoreError::invalid("body", "error-report-empty"));
    }
    if body.chars().count() > 5000 {
        return Err(StoreError::invalid("body", "error-too-long"));
    }
    if !(0..=100).contains(&input.percent) {
        return Err(StoreError::invalid("percent", "error-percent-range"));
    }
    if input.form_token.len() < 16 {
        return Err(StoreError::invalid("form_token", "error-form-stale"));
    }
    let action = if input.submit {
        Action::Submit
    } else {
        Action::Progress
    };
    let to_status = apply(ob.status, action).map_err(conflict)?;
    let percent = percent_after(action, input.percent, ob.percent);
    let files = crate::evidence::check(&input.files, policy)?;
    crate::evidence::upload(store, &files).await?;
    let mut tx = store.begin().await?;
    // The same form posted twice at once: the second finds the first's report here (the write
    // transaction serialises them) rather than failing on the unique token.
    if let Some(id) = existing_report(&mut *tx, &input.form_token, ob.id).await? {
        return Ok(id);
    }
    let now = now_text();
    let inserted = sqlx::query(
        "INSERT INTO reports (obligation_id, author, body, percent, final, form_token, created_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (form_token) DO NOTHING RETURNING id",
    )
    .bind(ob.id)
    .bind(&actor.username)
    .bind(body)
    .bind(percent)
    .bind(input.submit as i64)
    .bind(&input.form_token)
    .bind(today.to_string())
    .bind(&now)
    .fetch_optional(&mut *tx)
    .await?;
    // On PostgreSQL a duplicate posted at the same moment waits here for the first and inserts
    // nothing: answer with the first one's report.
    let Some(row) = inserted else {
        tx.rollback().await?;
        return existing_report(&store.pool, &input.form_token, ob.id)
            .await?
            .ok_or_else(|| StoreError::Conflict("error-obligation-changed".into()));
    };
    let report_id: i64 = row.try_get("id")?;
    crate::evidence::store(store, &mut tx, &files).await?;
    for f in &files {
        sqlx::query("INSERT INTO report_evidence (report_id, sha256, filename) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
            .bind(report_id)
            .bind(&f.sha256)
            .bind(&f.filename)
            .execute(&mut *tx)
            .await?;
    }
    let changed = sqlx::query(
        "UPDATE obligations SET status = $1, percent = $2, submitted_on = $3, row_version = row_version + 1, updated_at = $4 \
         WHERE id = $5 AND row_version = $6",
    )
    .bind(to_status.as_str())
    .bind(percent)
    .bind(input.submit.then(|| today.to_string()).or(ob.submitted_on.clone()))
    .bind(&now)
    .bind(ob.id)
    .bind(ob.row_version)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(StoreError::Conflict("error-obligation-changed".into()));
    }
    event(
        &mut tx,
        ob.id,
        today,
        actor,
        action,
        ob.status,
        to_status,
        "",
        Some(report_id),
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: &format!("obligation.{action}"),
            target_type: "obligation",
            target_id: &ob.id.to_string(),
            before: ob.view(),
            after: json!({"status": to_status, "percent": percent, "report": report_id, "files": files.iter().map(|f| &f.sha256).collect::<Vec<_>>()}),
        },
    )
    .await?;
    tallies::refresh(store.backend, &mut tx, &[ob.id]).await?;
    tx.commit().await?;
    Ok(report_id)
}

/// A transition the domain refuses, as the conflict the pages show.
fn conflict(e: TransitionError) -> StoreError {
    StoreError::Conflict(e.key())
}

/// The report a form token already made for this obligation. A token used for another
/// obligation is stale (a copied form), not a duplicate.
async fn existing_report<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    exec: E,
    token: &str,
    obligation_id: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id, obligation_id FROM reports WHERE form_token = $1")
        .bind(token)
        .fetch_optional(exec)
        .await?;
    match row {
        None => Ok(None),
        Some(r) if r.try_get::<i64, _>("obligation_id")? == obligation_id => {
            Ok(Some(r.try_get("id")?))
        }
        Some(_) => Err(StoreError::invalid("form_token", "error-form-stale")),
    }
}

#[allow(clippy::too_many_arguments)]
async fn event(
    tx: &mut Tx,
    obligation_id: i64,
    on: NaiveDate,
    actor: &Actor,
    action: Action,
    from: ObligationStatus,
    to: ObligationStatus,
    reason: &str,
    report_id: Option<i64>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO obligation_events (obligation_id, at, on_date, actor, action, from_status, to_status, reason, report_id) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(obligation_id)
    .bind(now_text())
    .bind(on.to_string())
    .bind(&actor.username)
    .bind(action.as_str())
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(reason)
    .bind(report_id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The office accepts (销号) or returns a submitted obligation. `row_version` is the version the
/// reviewer saw: if someone acted in between, this is a conflict, not a lost update.
pub async fn review(
    store: &Store,
    actor: &Actor,
    id: i64,
    accept: bool,
    reason: &str,
    row_version: i64,
    today: NaiveDate,
) -> Result<Obligation> {
    actor.require_admin()?;
    let ob = get(store, actor, id).await?;
    let reason = reason.trim();
    if !accept && reason.is_empty() {
        return Err(StoreError::invalid("reason", "error-reason-required"));
    }
    if ob.row_version != row_version {
        return Err(StoreError::Conflict("error-obligation-changed".into()));
    }
    let action = if accept {
        Action::Accept
    } else {
        Action::Return
    };
    let to = apply(ob.status, action).map_err(conflict)?;
    let mut tx = store.begin().await?;
    let changed = sqlx::query(
        "UPDATE obligations SET status = $1, accepted_on = $2, percent = $3, row_version = row_version + 1, updated_at = $4 \
         WHERE id = $5 AND row_version = $6",
    )
    .bind(to.as_str())
    .bind(accept.then(|| today.to_string()))
    .bind(percent_after(action, ob.percent, ob.percent))
    .bind(now_text())
    .bind(ob.id)
    .bind(row_version)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(StoreError::Conflict("error-obligation-changed".into()));
    }
    event(
        &mut tx, ob.id, today, actor, action, ob.status, to, reason, None,
    )
    .await?;
    // The unit hears of the decision in the app and, through the outbox, by mail or webhook.
    let (kind, title) = if accept {
        (
            "accepted",
            format!("【销号】{} 已审核通过", ob.content_code),
        )
    } else {
        (
            "returned",
            format!(
                "【退回】{} 报送材料被退回：{}",
                ob.content_code,
                short(reason, 60)
            ),
        )
    };
    notify(
        &mut tx,
        &ob,
        kind,
        &title,
        reason,
        today,
        &format!("decision:{}:{}", ob.id, row_version + 1),
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: &format!("obligation.{action}"),
            target_type: "obligation",
            target_id: &ob.id.to_string(),
            before: ob.view(),
            after: json!({"status": to, "reason": reason}),
        },
    )
    .await?;
    tallies::refresh(store.backend, &mut tx, &[ob.id]).await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The first `max` characters of a text, with "…" when cut (notice titles stay one line).
fn short(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if text.chars().count() > max {
        out.push('…');
    }
    out
}

/// A decision notice to the obligation's unit (level `info`: not a 催办/督办/通报, so it is
/// not counted in `NoticeCounts`), written in the decision's transaction. The notices table is
/// what the digest and webhook outbox read, so this is also its delivery.
async fn notify(
    tx: &mut Tx,
    ob: &Obligation,
    kind: &str,
    title: &str,
    body: &str,
    today: NaiveDate,
    dedupe_key: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO notices (unit_id, obligation_id, kind, level, title, body, issued_on, dedupe_key, created_at) \
         VALUES ($1, $2, $3, 'info', $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(ob.unit_id)
    .bind(ob.id)
    .bind(kind)
    .bind(title)
    .bind(body)
    .bind(today.to_string())
    .bind(dedupe_key)
    .bind(now_text())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// One obligation and the row version the reviewer saw, for a batch review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Seen {
    pub id: i64,
    pub row_version: i64,
}

/// The office accepts or returns several submitted obligations with one decision (and one
/// reason). Every one is checked before any is changed: if one was changed in between or is
/// no longer waiting for review, nothing is decided and the caller is told.
pub async fn review_many(
    store: &Store,
    actor: &Actor,
    selected: &[Seen],
    accept: bool,
    reason: &str,
    today: NaiveDate,
) -> Result<Vec<Obligation>> {
    actor.require_admin()?;
    if selected.is_empty() {
        return Err(StoreError::invalid("ids", "error-select-some"));
    }
    if !accept && reason.trim().is_empty() {
        return Err(StoreError::invalid("reason", "error-reason-required"));
    }
    let action = if accept {
        Action::Accept
    } else {
        Action::Return
    };
    let mut seen = std::collections::HashSet::new();
    for s in selected {
        if !seen.insert(s.id) {
            continue;
        }
        let ob = get(store, actor, s.id).await?;
        if ob.row_version != s.row_version {
            return Err(StoreError::Conflict("error-obligation-changed".into()));
        }
        apply(ob.status, action).map_err(conflict)?;
    }
    let mut out = Vec::new();
    let mut done = std::collections::HashSet::new();
    for s in selected {
        if done.insert(s.id) {
            out.push(review(store, actor, s.id, accept, reason, s.row_version, today).await?);
        }
    }
    Ok(out)
}

/// The unit acknowledges (签收) its own obligation: who and on which business date, once.
pub async fn acknowledge(
    store: &Store,
    actor: &Actor,
    id: i64,
    today: NaiveDate,
) -> Result<Obligation> {
    let ob = get(store, actor, id).await?;
    require_own_unit(actor, &ob)?;
    may_acknowledge(ob.acknowledged_on.is_some()).map_err(conflict)?;
    let to = apply(ob.status, Action::Acknowledge).map_err(conflict)?;
    let mut tx = store.begin().await?;
    // Two taps at once: the second finds it acknowledged and is told so.
    let changed = sqlx::query(
        "UPDATE obligations SET acknowledged_by = $1, acknowledged_on = $2, updated_at = $3 \
         WHERE id = $4 AND acknowledged_on IS NULL",
    )
    .bind(&actor.username)
    .bind(today.to_string())
    .bind(now_text())
    .bind(ob.id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(conflict(TransitionError::Acknowledged));
    }
    event(
        &mut tx,
        ob.id,
        today,
        actor,
        Action::Acknowledge,
        ob.status,
        to,
        "",
        None,
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: &format!("obligation.{}", Action::Acknowledge),
            target_type: "obligation",
            target_id: &ob.id.to_string(),
            before: json!({"acknowledged_on": null}),
            after: json!({"acknowledged_on": today.to_string(), "acknowledged_by": actor.username}),
        },
    )
    .await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// The unit withdraws (撤回) its hand-in before the office reviews it: the obligation is in
/// progress again with the percent of its last progress report, and the handed-in report is
/// kept, marked withdrawn and no longer final, so the unit can edit it and hand in again.
pub async fn withdraw(
    store: &Store,
    actor: &Actor,
    id: i64,
    today: NaiveDate,
) -> Result<Obligation> {
    let ob = get(store, actor, id).await?;
    require_own_unit(actor, &ob)?;
    let to = apply(ob.status, Action::Withdraw).map_err(conflict)?;
    let mut tx = store.begin().await?;
    let last = sqlx::query(
        "SELECT id FROM reports WHERE obligation_id = $1 AND final = 1 AND withdrawn_on IS NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(ob.id)
    .fetch_optional(&mut *tx)
    .await?;
    let report_id: Option<i64> = last.map(|r| r.try_get("id")).transpose()?;
    let percent: i64 = sqlx::query(
        "SELECT percent FROM reports WHERE obligation_id = $1 AND final = 0 AND withdrawn_on IS NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(ob.id)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| r.try_get("percent"))
    .transpose()?
    .unwrap_or(0);
    // The office may be reviewing it at this moment: whoever writes first wins.
    let changed = sqlx::query(
        "UPDATE obligations SET status = $1, percent = $2, row_version = row_version + 1, updated_at = $3 \
         WHERE id = $4 AND row_version = $5 AND status = $6",
    )
    .bind(to.as_str())
    .bind(percent)
    .bind(now_text())
    .bind(ob.id)
    .bind(ob.row_version)
    .bind(ObligationStatus::Submitted.as_str())
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(StoreError::Conflict("error-obligation-changed".into()));
    }
    if let Some(rid) = report_id {
        sqlx::query("UPDATE reports SET withdrawn_on = $1, final = 0 WHERE id = $2")
            .bind(today.to_string())
            .bind(rid)
            .execute(&mut *tx)
            .await?;
    }
    event(
        &mut tx,
        ob.id,
        today,
        actor,
        Action::Withdraw,
        ob.status,
        to,
        "",
        report_id,
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: &format!("obligation.{}", Action::Withdraw),
            target_type: "obligation",
            target_id: &ob.id.to_string(),
            before: ob.view(),
            after: json!({"status": to, "percent": percent, "report": report_id}),
        },
    )
    .await?;
    tallies::refresh(store.backend, &mut tx, &[ob.id]).await?;
    tx.commit().await?;
    get(store, actor, id).await
}

/// Live obligations not yet acknowledged (签收) per unit code: those open on `today` (started,
/// or without a start date) and not closed. The office's and readers' view.
pub async fn unacknowledged_by_unit(
    store: &Store,
    actor: &Actor,
    today: NaiveDate,
) -> Result<BTreeMap<String, usize>> {
    if !matches!(actor.scope(), Scope::All | Scope::ReadAll) {
        return Err(StoreError::Forbidden);
    }
    let rows = sqlx::query(&format!(
        "SELECT u.code AS code, COUNT(*) AS n FROM obligations o JOIN org_units u ON u.id = o.unit_id \
         WHERE o.retired = 0 AND o.owner_id = {} AND o.acknowledged_on IS NULL AND o.status <> $1 \
           AND (o.start_date IS NULL OR o.start_date <= $2) GROUP BY u.code",
        actor.owner_sql()
    ))
    .bind(ObligationStatus::Accepted.as_str())
    .bind(today.to_string())
    .fetch_all(&store.pool)
    .await?;
    rows.iter()
        .map(|r| {
            let n: i64 = r.try_get("n")?;
            Ok((r.try_get("code")?, usize::try_from(n).unwrap_or(0)))
        })
        .collect()
}

/// What happened to an obligation, one line of its timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Happening {
    /// A step of the obligation's history (report, review, withdrawal, 签收, extension …).
    Step(Action),
    /// A notice to the unit: `kind` is reminder, cuiban, duban, tongbao, manual (督办单),
    /// returned, accepted or extension; `level` info, blue, yellow or red.
    Notice { kind: String, level: String },
    /// The unit read a notice of this kind.
    NoticeRead { kind: String },
    /// A plan version moved the content's deadline (`detail`: the old and new dates).
    PlanDeadline { version: i64 },
}

impl Happening {
    /// The translation key of its label (`tl-submit`, `tl-notice-cuiban`, `tl-notice-read`).
    pub fn label_key(&self) -> String {
        match self {
            Happening::Step(a) => format!("tl-{a}"),
            Happening::Notice { kind, .. } => format!("tl-notice-{kind}"),
            Happening::NoticeRead { .. } => "tl-notice-read".to_string(),
            Happening::PlanDeadline { .. } => "tl-plan-deadline".to_string(),
        }
    }

    /// Its stable code for API clients (`submit`, `notice.cuiban`, `notice_read.returned`).
    pub fn code(&self) -> String {
        match self {
            Happening::Step(a) => a.as_str().to_string(),
            Happening::Notice { kind, .. } => format!("notice.{kind}"),
            Happening::NoticeRead { kind } => format!("notice_read.{kind}"),
            Happening::PlanDeadline { .. } => "plan_deadline".to_string(),
        }
    }

    /// A notice's colour (blue 催办, yellow 督办, red 通报), if it has one.
    pub fn level(&self) -> Option<&str> {
        match self {
            Happening::Notice { level, .. } if level != "info" => Some(level),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TimelineEntry {
    /// The business date.
    pub on_date: String,
    /// When it was recorded (orders entries of one day).
    pub at: String,
    pub what: Happening,
    /// Who acted (a user name); `None` for what the system or a notice did.
    pub actor: Option<String>,
    pub from_status: Option<ObligationStatus>,
    pub to_status: Option<ObligationStatus>,
    /// A reason, a requested date, a notice's title: whatever the step carries.
    pub detail: String,
}

/// Every event of an obligation in order: its history, the notices its unit received about
/// it, and when the unit read them. Decision notices (returned, accepted, extension) are the
/// history's steps told to the unit, so only their reading is a line of its own.
pub async fn timeline(store: &Store, actor: &Actor, id: i64) -> Result<Vec<TimelineEntry>> {
    let ob = get(store, actor, id).await?;
    let mut out: Vec<TimelineEntry> = Vec::new();
    for e in history(store, actor, ob.id).await? {
        let Some(action) = Action::ALL.into_iter().find(|a| a.as_str() == e.action) else {
            continue;
        };
        out.push(TimelineEntry {
            from_status: e.from_status.parse().ok(),
            to_status: e.to_status.parse().ok(),
            on_date: e.on_date,
            at: e.at,
            what: Happening::Step(action),
            actor: Some(e.actor),
            detail: e.reason,
        });
    }
    let notices = sqlx::query(
        "SELECT kind, level, title, issued_on, created_at, read_at, read_on FROM notices WHERE obligation_id = $1 ORDER BY id",
    )
    .bind(ob.id)
    .fetch_all(&store.pool)
    .await?;
    for n in &notices {
        let kind: String = n.try_get("kind")?;
        let title: String = n.try_get("title")?;
        if !matches!(kind.as_str(), "returned" | "accepted" | "extension") {
            out.push(TimelineEntry {
                on_date: n.try_get("issued_on")?,
                at: n.try_get("created_at")?,
                what: Happening::Notice {
                    kind: kind.clone(),
                    level: n.try_get("level")?,
                },
                actor: None,
                from_status: None,
                to_status: None,
                detail: title.clone(),
            });
        }
        if let Some(read_at) = n.try_get::<Option<String>, _>("read_at")? {
            // Read before the business date was kept: the date part of the real time.
            let on_date = n
                .try_get::<Option<String>, _>("read_on")?
                .unwrap_or_else(|| read_at.chars().take(10).collect());
            out.push(TimelineEntry {
                on_date,
                at: read_at,
                what: Happening::NoticeRead { kind },
                actor: None,
                from_status: None,
                to_status: None,
                detail: title,
            });
        }
    }
    // Deadline changes come from the plan versions' recorded differences, each on the day the
    // version took effect.
    // Only the versions of the plan this obligation belongs to.
    let versions = sqlx::query(
        "SELECT version, created_at, effective_on, diff_json FROM plan_versions \
         WHERE owner_id = (SELECT owner_id FROM obligations WHERE id = $1) ORDER BY version",
    )
    .bind(ob.id)
    .fetch_all(&store.pool)
    .await?;
    for v in &versions {
        let Ok(diff) = serde_json::from_str::<qcity_domain::plan::PlanDiff>(
            &v.try_get::<String, _>("diff_json")?,
        ) else {
            continue;
        };
        let at: String = v.try_get("created_at")?;
        for c in diff.changed.iter().filter(|c| {
            c.kind == "content"
                && c.code == ob.content_code
                && c.field.as_deref() == Some("deadline")
        }) {
            let dates = |t: &Option<String>| dates_in(t.as_deref().unwrap_or_default()).join("、");
            out.push(TimelineEntry {
                on_date: v
                    .try_get::<Option<String>, _>("effective_on")?
                    .unwrap_or_else(|| at.chars().take(10).collect()),
                at: at.clone(),
                what: Happening::PlanDeadline {
                    version: v.try_get("version")?,
                },
                actor: None,
                from_status: None,
                to_status: None,
                detail: format!("{} → {}", dates(&c.old), dates(&c.new)),
            });
        }
    }
    out.sort_by(|a, b| (&a.on_date, &a.at).cmp(&(&b.on_date, &b.at)));
    Ok(out)
}

/// The `YYYY-MM-DD` dates written in a text (a deadline in the plan's notation), in order.
fn dates_in(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i + 10 <= chars.len() {
        let w: String = chars[i..i + 10].iter().collect();
        if NaiveDate::parse_from_str(&w, "%Y-%m-%d").is_ok() {
            out.push(w);
            i += 10;
        } else {
            i += 1;
        }
    }
    out
}

/// Reports of an obligation, newest first, with their files.
pub async fn reports(store: &Store, actor: &Actor, id: i64) -> Result<Vec<Report>> {
    let ob = get(store, actor, id).await?;
    let rows = sqlx::query("SELECT id, obligation_id, author, body, percent, final, created_on, created_at, withdrawn_on FROM reports WHERE obligation_id = $1 ORDER BY id DESC")
        .bind(ob.id)
        .fetch_all(&store.pool)
        .await?;
    reports_from_rows(store, &rows).await
}

/// The latest final report (the hand-in under review) of each of these obligations, which
/// the caller has read (so may see): two queries for any number, for lists of hand-ins.
pub async fn final_reports(store: &Store, obligations: &[i64]) -> Result<HashMap<i64, Report>> {
    let mut out = HashMap::new();
    for part in obligations.chunks(500) {
        let ids = part
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(", ");
        let rows = sqlx::query(&format!(
            "SELECT id, obligation_id, author, body, percent, final, created_on, created_at, withdrawn_on FROM reports \
             WHERE id IN (SELECT MAX(id) FROM reports WHERE final = 1 AND obligation_id IN ({ids}) GROUP BY obligation_id)"
        ))
        .fetch_all(&store.pool)
        .await?;
        for r in reports_from_rows(store, &rows).await? {
            out.insert(r.obligation_id, r);
        }
    }
    Ok(out)
}

/// Reports as read by `SELECT id, obligation_id, author, … FROM reports`, with their files
/// (one query for all), in the rows' order.
async fn reports_from_rows(store: &Store, rows: &[sqlx::any::AnyRow]) -> Result<Vec<Report>> {
    let mut files: HashMap<i64, Vec<EvidenceRef>> = HashMap::new();
    if !rows.is_empty() {
        let ids = rows
            .iter()
            .map(|r| r.try_get::<i64, _>("id").map(|id| id.to_string()))
            .collect::<std::result::Result<Vec<_>, _>>()?
            .join(", ");
        for f in sqlx::query(&format!(
            "SELECT re.report_id, e.sha256, re.filename, e.mime, e.size FROM report_evidence re JOIN evidence_files e ON e.sha256 = re.sha256 \
             WHERE re.report_id IN ({ids}) ORDER BY re.filename"
        ))
        .fetch_all(&store.pool)
        .await?
        {
            files
                .entry(f.try_get("report_id")?)
                .or_default()
                .push(EvidenceRef {
                    sha256: f.try_get("sha256")?,
                    filename: f.try_get("filename")?,
                    mime: f.try_get("mime")?,
                    size: f.try_get("size")?,
                });
        }
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let report_id: i64 = r.try_get("id")?;
        out.push(Report {
            id: report_id,
            obligation_id: r.try_get("obligation_id")?,
            author: r.try_get("author")?,
            body: r.try_get("body")?,
            percent: r.try_get("percent")?,
            r#final: r.try_get::<i64, _>("final")? != 0,
            created_on: r.try_get("created_on")?,
            created_at: r.try_get("created_at")?,
            files: files.remove(&report_id).unwrap_or_default(),
            withdrawn_on: r.try_get("withdrawn_on")?,
        });
    }
    Ok(out)
}

/// The obligation a report belongs to (for review by report id).
pub async fn obligation_of_report(
    store: &Store,
    actor: &Actor,
    report_id: i64,
) -> Result<Obligation> {
    let row = sqlx::query("SELECT obligation_id FROM reports WHERE id = $1")
        .bind(report_id)
        .fetch_optional(&store.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
    get(store, actor, row.try_get("obligation_id")?).await
}

/// An evidence file, only through a report the caller may see.
pub async fn evidence(
    store: &Store,
    actor: &Actor,
    report_id: i64,
    sha256: &str,
) -> Result<(String, String, Vec<u8>)> {
    actor.require_internal()?;
    obligation_of_report(store, actor, report_id).await?;
    let row = sqlx::query(
        "SELECT re.filename, e.mime, e.sha256, e.stored, e.data FROM report_evidence re JOIN evidence_files e ON e.sha256 = re.sha256 WHERE re.report_id = $1 AND re.sha256 = $2",
    )
    .bind(report_id)
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

#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub at: String,
    pub on_date: String,
    pub actor: String,
    pub action: String,
    pub from_status: String,
    pub to_status: String,
    pub reason: String,
}

pub async fn history(store: &Store, actor: &Actor, id: i64) -> Result<Vec<Event>> {
    let ob = get(store, actor, id).await?;
    let rows = sqlx::query("SELECT at, on_date, actor, action, from_status, to_status, reason FROM obligation_events WHERE obligation_id = $1 ORDER BY id")
        .bind(ob.id)
        .fetch_all(&store.pool)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Event {
                at: r.try_get("at")?,
                on_date: r.try_get("on_date")?,
                actor: r.try_get("actor")?,
                action: r.try_get("action")?,
                from_status: r.try_get("from_status")?,
                to_status: r.try_get("to_status")?,
                reason: r.try_get("reason")?,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct Extension {
    pub id: i64,
    pub obligation_id: i64,
    pub requested_by: String,
    pub new_due: String,
    pub reason: String,
    pub status: String,
    pub decided_by: Option<String>,
    pub decision_reason: Option<String>,
}

/// A unit asks to move its own obligation's due date; the office decides.
pub async fn request_extension(
    store: &Store,
    actor: &Actor,
    id: i64,
    new_due: NaiveDate,
    reason: &str,
    today: NaiveDate,
) -> Result<i64> {
    let ob = get(store, actor, id).await?;
    require_own_unit(actor, &ob)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(StoreError::invalid("reason", "error-reason-required"));
    }
    if ob.due().is_none_or(|d| new_due <= d) || new_due < today {
        return Err(StoreError::invalid("new_due", "error-extension-date"));
    }
    apply(ob.status, Action::RequestExtension).map_err(conflict)?;
    let pending = sqlx::query(
        "SELECT id FROM extension_requests WHERE obligation_id = $1 AND status = 'pending'",
    )
    .bind(ob.id)
    .fetch_optional(&store.pool)
    .await?;
    if pending.is_some() {
        return Err(StoreError::Conflict("error-extension-pending".into()));
    }
    let mut tx = store.begin().await?;
    // One pending request per obligation (a unique index): a second one at the same moment
    // finds no row inserted and is told a request is pending.
    let inserted = sqlx::query(
        "INSERT INTO extension_requests (obligation_id, requested_by, new_due, reason, status, created_at) VALUES ($1, $2, $3, $4, 'pending', $5) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(ob.id)
    .bind(&actor.username)
    .bind(new_due.to_string())
    .bind(reason)
    .bind(now_text())
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = inserted else {
        return Err(StoreError::Conflict("error-extension-pending".into()));
    };
    let req_id: i64 = row.try_get("id")?;
    event(
        &mut tx,
        ob.id,
        today,
        actor,
        Action::RequestExtension,
        ob.status,
        ob.status,
        reason,
        None,
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: &format!("obligation.{}", Action::RequestExtension),
            target_type: "obligation",
            target_id: &ob.id.to_string(),
            before: json!({"due_date": ob.due_date}),
            after: json!({"requested_due": new_due.to_string(), "reason": reason}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(req_id)
}

pub async fn extensions(
    store: &Store,
    actor: &Actor,
    obligation_id: Option<i64>,
    pending_only: bool,
) -> Result<Vec<Extension>> {
    if let Some(id) = obligation_id {
        get(store, actor, id).await?;
    } else {
        actor.require_admin()?;
    }
    let mut sql = "SELECT id, obligation_id, requested_by, new_due, reason, status, decided_by, decision_reason FROM extension_requests WHERE 1 = 1".to_string();
    if obligation_id.is_some() {
        sql.push_str(" AND obligation_id = $1");
    }
    if pending_only {
        sql.push_str(" AND status = 'pending'");
    }
    sql.push_str(" ORDER BY id DESC");
    let mut q = sqlx::query(&sql);
    if let Some(id) = obligation_id {
        q = q.bind(id);
    }
    q.fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            Ok(Extension {
                id: r.try_get("id")?,
                obligation_id: r.try_get("obligation_id")?,
                requested_by: r.try_get("requested_by")?,
                new_due: r.try_get("new_due")?,
                reason: r.try_get("reason")?,
                status: r.try_get("status")?,
                decided_by: r.try_get("decided_by")?,
                decision_reason: r.try_get("decision_reason")?,
            })
        })
        .collect()
}

/// The office approves (the due date moves) or refuses (with a reason) an extension request.
pub async fn decide_extension(
    store: &Store,
    actor: &Actor,
    request_id: i64,
    approve: bool,
    reason: &str,
    today: NaiveDate,
) -> Result<()> {
    actor.require_admin()?;
    let reason = reason.trim();
    if !approve && reason.is_empty() {
        return Err(StoreError::invalid("reason", "error-reason-required"));
    }
    let row =
        sqlx::query("SELECT obligation_id, new_due, status FROM extension_requests WHERE id = $1")
            .bind(request_id)
            .fetch_optional(&store.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
    if row.try_get::<String, _>("status")? != "pending" {
        return Err(StoreError::Conflict("error-extension-decided".into()));
    }
    let ob = get(store, actor, row.try_get("obligation_id")?).await?;
    let new_due: String = row.try_get("new_due")?;
    let action = if approve {
        Action::ApproveExtension
    } else {
        Action::RefuseExtension
    };
    // A closed obligation's date never moves.
    apply(ob.status, action).map_err(|_| StoreError::Conflict("error-extension-stale".into()))?;
    let mut tx = store.begin().await?;
    let decided = sqlx::query(
        "UPDATE extension_requests SET status = $1, decided_by = $2, decision_reason = $3, decided_at = $4 WHERE id = $5 AND status = 'pending'",
    )
    .bind(if approve { "approved" } else { "refused" })
    .bind(&actor.username)
    .bind(reason)
    .bind(now_text())
    .bind(request_id)
    .execute(&mut *tx)
    .await?;
    if decided.rows_affected() == 0 {
        return Err(StoreError::Conflict("error-extension-decided".into()));
    }
    if approve {
        // Never move a closed obligation (accepted in the meantime), nor move a date backwards.
        let moved = sqlx::query(
            "UPDATE obligations SET due_date = $1, row_version = row_version + 1, updated_at = $2 \
             WHERE id = $3 AND status <> $4 AND due_date < $1",
        )
        .bind(&new_due)
        .bind(now_text())
        .bind(ob.id)
        .bind(ObligationStatus::Accepted.as_str())
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::Conflict("error-extension-stale".into()));
        }
    }
    event(
        &mut tx, ob.id, today, actor, action, ob.status, ob.status, reason, None,
    )
    .await?;
    let title = if approve {
        format!(
            "【延期】{} 延期申请已同意，新的完成期限 {new_due}",
            ob.content_code
        )
    } else {
        format!(
            "【延期】{} 延期申请未同意：{}",
            ob.content_code,
            short(reason, 60)
        )
    };
    notify(
        &mut tx,
        &ob,
        "extension",
        &title,
        reason,
        today,
        &format!("extension:{request_id}"),
    )
    .await?;
    audit::record(
        store,
        &mut tx,
        actor,
        Change {
            action: &format!("obligation.{action}"),
            target_type: "obligation",
            target_id: &ob.id.to_string(),
            before: json!({"due_date": ob.due_date}),
            after: json!({"due_date": if approve { new_due.clone() } else { ob.due_date.clone() }, "reason": reason}),
        },
    )
    .await?;
    tallies::refresh(store.backend, &mut tx, &[ob.id]).await?;
    tx.commit().await?;
    Ok(())
}

/// Tallies counted by the database (one grouped query), for overviews over many obligations.
/// `on_time` counts handed-in obligations submitted by their due date.
pub async fn tallies_sql(store: &Store, actor: &Actor, today: NaiveDate) -> Result<Tallies> {
    if !matches!(actor.scope(), Scope::All | Scope::ReadAll) {
        return Err(StoreError::Forbidden);
    }
    // The kept figures when they count as of this date; a count of the obligations otherwise.
    let sql = if tallies::as_of(store).await? == Some(today) {
        format!(
            "SELECT unit_id, category, {} FROM obligation_tallies o WHERE owner_id = {} AND $1 = $1",
            tallies::COUNTS,
            actor.owner_sql()
        )
    } else {
        tally_sums_sql(
            "o.unit_id AS unit_id, o.category AS category",
            &format!("o.owner_id = {}", actor.owner_sql()),
            "o.unit_id, o.category",
        )
    };
    // Unit codes joined to the counted rows (one per cell), not to every obligation counted.
    let rows = sqlx::query(&format!(
        "SELECT COALESCE(u.code, CAST(t.unit_id AS TEXT)) AS unit_code, t.* FROM ({sql}) t \
         LEFT JOIN org_units u ON u.id = t.unit_id"
    ))
    .bind(today.to_string())
    .fetch_all(&store.pool)
    .await?;
    let mut out = Tallies {
        by_unit: BTreeMap::new(),
        by_category: BTreeMap::new(),
        cells: BTreeMap::new(),
    };
    for r in &rows {
        let tally = tally_from_row(r)?;
        let unit: String = r.try_get("unit_code")?;
        let cat: String = r.try_get("category")?;
        out.by_unit.entry(unit.clone()).or_default().merge(&tally);
        out.by_category
            .entry(cat.clone())
            .or_default()
            .merge(&tally);
        out.cells.insert((unit, cat), tally);
    }
    Ok(out)
}

/// The figures of the actor's whole plan as of `at` ([`Tallies::district`]), counted in one
/// row: for a comparison with another date (the home page's 较上月).
pub async fn district_tally(store: &Store, actor: &Actor, at: NaiveDate) -> Result<Tally> {
    if !matches!(actor.scope(), Scope::All | Scope::ReadAll) {
        return Err(StoreError::Forbidden);
    }
    let owner = actor.owner_sql();
    let sql = if tallies::as_of(store).await? == Some(at) {
        let sums = tallies::sums();
        format!(
            "SELECT {sums} FROM obligation_tallies WHERE owner_id = {owner} AND $1 = $1 HAVING COUNT(*) > 0"
        )
    } else {
        tally_sums_sql(
            "o.owner_id AS owner_id",
            &format!("o.owner_id = {owner}"),
            "o.owner_id",
        )
    };
    match sqlx::query(&sql)
        .bind(at.to_string())
        .fetch_optional(&store.pool)
        .await?
    {
        Some(r) => tally_from_row(&r),
        None => Ok(Tally::default()),
    }
}

/// The supervision figures of the plans of `owners` (districts, or cities for their own
/// plans), by owner and category: the same SQL as each district's own overview, grouped one
/// level up, so a district's row in a city view equals its own overview. The caller checks
/// that the actor may read each owner (`units::readable_districts`).
pub async fn tallies_by_owner(
    store: &Store,
    owners: &[i64],
    today: NaiveDate,
) -> Result<BTreeMap<(i64, String), Tally>> {
    if owners.is_empty() {
        return Ok(BTreeMap::new());
    }
    let list = owners
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let sql = if tallies::as_of(store).await? == Some(today) {
        let sums = tallies::sums();
        format!(
            "SELECT owner_id, category, {sums} FROM obligation_tallies \
             WHERE owner_id IN ({list}) AND $1 = $1 GROUP BY owner_id, category"
        )
    } else {
        tally_sums_sql(
            "o.owner_id AS owner_id, o.category AS category",
            &format!("o.owner_id IN ({list})"),
            "o.owner_id, o.category",
        )
    };
    let rows = sqlx::query(&sql)
        .bind(today.to_string())
        .fetch_all(&store.pool)
        .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        out.insert(
            (r.try_get("owner_id")?, r.try_get("category")?),
            tally_from_row(r)?,
        );
    }
    Ok(out)
}

/// [`ObligationFacts::closed_by`] `$1`, as SQL.
pub(crate) fn closed_sql() -> String {
    format!(
        "(o.status = '{accepted}' AND (o.accepted_on IS NULL OR o.accepted_on <= $1))",
        accepted = ObligationStatus::Accepted
    )
}

/// [`ObligationFacts::expected_by`] `$1`, as SQL: due by the date, or closed by it.
pub(crate) fn expected_sql() -> String {
    format!("(o.due_date <= $1 OR {})", closed_sql())
}

/// The day an obligation entered 应完成 as of `$1` ([`ObligationFacts::expected_in`], as SQL):
/// its due date, or the day it was closed when that came first.
fn entered_sql() -> String {
    format!(
        "(CASE WHEN {} AND o.accepted_on IS NOT NULL \
         AND (o.due_date IS NULL OR o.accepted_on < o.due_date) THEN o.accepted_on ELSE o.due_date END)",
        closed_sql()
    )
}

/// The year an obligation entered 应完成 as of `$1`, 0 while it has not: the kept figures'
/// key for a period's ([`tallies`]).
fn entered_year_sql() -> String {
    format!(
        "(CASE WHEN {} THEN CAST(SUBSTR({}, 1, 4) AS BIGINT) ELSE 0 END)",
        expected_sql(),
        entered_sql()
    )
}

/// The supervision figures of the period from `start` to `at` of the plan of `owner` (an
/// owner's SQL, [`Actor::owner_sql`]), by unit and duty: over the obligations that entered
/// 应完成 in the period ([`entered_sql`]), each counted as of `at` ([`Tally::add`]). A few
/// rows for any number of obligations, for the assessment: the kept figures' rows of the
/// period's years when they count as of `at` and the period starts a year, a count of the
/// obligations otherwise (the same figures; the rebuild test holds them equal).
pub(crate) async fn period_tallies(
    store: &Store,
    owner: &str,
    start: NaiveDate,
    at: NaiveDate,
) -> Result<BTreeMap<(i64, Duty), Tally>> {
    let starts_a_year = start.month() == 1 && start.day() == 1;
    let rows = if starts_a_year && tallies::as_of(store).await? == Some(at) {
        let sql = format!(
            "SELECT unit_id, duty, {} FROM obligation_period_tallies \
             WHERE owner_id = {owner} AND entered_year >= $2 AND $1 = $1 GROUP BY unit_id, duty",
            tallies::sums()
        );
        sqlx::query(&sql)
            .bind(at.to_string())
            .bind(i64::from(start.year()))
            .fetch_all(&store.pool)
            .await?
    } else {
        let filter = format!(
            "o.owner_id = {owner} AND {} AND {} >= $2",
            expected_sql(),
            entered_sql()
        );
        let sql = tally_sums_sql(
            "o.unit_id AS unit_id, o.duty AS duty",
            &filter,
            "o.unit_id, o.duty",
        );
        sqlx::query(&sql)
            .bind(at.to_string())
            .bind(start.to_string())
            .fetch_all(&store.pool)
            .await?
    };
    let mut out = BTreeMap::new();
    for r in &rows {
        out.insert(
            (r.try_get("unit_id")?, crate::parse_column(r, "duty")?),
            tally_from_row(r)?,
        );
    }
    Ok(out)
}

/// The domain's definitions (`Tally::add`) written as SQL for the overviews' speed; a test
/// holds the two equal on generated campaigns. `$1` is the business date. `closed`: accepted
/// by the date; `handed`: closed, or submitted/accepted with its last hand-in by the date.
fn tally_sums_sql(select: &str, filter: &str, group: &str) -> String {
    let closed = closed_sql();
    let handed = format!(
        "({closed} OR (o.status IN ({handed_in}) AND o.submitted_on IS NOT NULL AND o.submitted_on <= $1))",
        handed_in = handed_in_sql(),
    );
    let expected = expected_sql();
    format!(
        "SELECT {select}, COUNT(*) AS total, \
         SUM(CASE WHEN {expected} THEN 1 ELSE 0 END) AS expected, \
         SUM(CASE WHEN {closed} THEN 1 ELSE 0 END) AS closed, \
         SUM(CASE WHEN NOT {closed} AND {handed} THEN 1 ELSE 0 END) AS submitted, \
         SUM(CASE WHEN NOT {handed} AND o.status = '{returned}' THEN 1 ELSE 0 END) AS returned, \
         SUM(CASE WHEN {expected} AND {handed} AND o.submitted_on <= o.due_date THEN 1 ELSE 0 END) AS on_time, \
         SUM(CASE WHEN {expected} AND {handed} AND (o.submitted_on IS NULL OR o.submitted_on > o.due_date) THEN 1 ELSE 0 END) AS late, \
         SUM(CASE WHEN NOT {handed} AND o.due_date < $1 THEN 1 ELSE 0 END) AS overdue \
         FROM obligations o WHERE o.retired = 0 AND {filter} GROUP BY {group}",
        returned = ObligationStatus::Returned,
    )
}

/// One row of [`tally_sums_sql`] as a tally.
fn tally_from_row(r: &sqlx::any::AnyRow) -> Result<Tally> {
    let n = |col: &str| crate::sum_column(r, col);
    Ok(Tally {
        total: n("total")?,
        expected: n("expected")?,
        closed: n("closed")?,
        submitted: n("submitted")?,
        on_time: n("on_time")?,
        overdue: n("overdue")?,
        late: n("late")?,
        returned: n("returned")?,
    })
}

/// Tallies by unit, by category, and by (unit, category) cell.
pub struct Tallies {
    pub by_unit: BTreeMap<String, Tally>,
    pub by_category: BTreeMap<String, Tally>,
    pub cells: BTreeMap<(String, String), Tally>,
}

impl Tallies {
    /// The district's figures: the sum of its units'.
    pub fn district(&self) -> Tally {
        let mut t = Tally::default();
        for u in self.by_unit.values() {
            t.merge(u);
        }
        t
    }
}

/// Tallies over the given obligations.
pub fn tallies(obs: &[Obligation], today: NaiveDate) -> Tallies {
    let mut by_unit: BTreeMap<String, Tally> = BTreeMap::new();
    let mut by_cat: BTreeMap<String, Tally> = BTreeMap::new();
    let mut cell: BTreeMap<(String, String), Tally> = BTreeMap::new();
    for o in obs {
        let facts = o.facts();
        by_unit
            .entry(o.unit_code.clone())
            .or_default()
            .add(&facts, today);
        by_cat
            .entry(category_of(&o.content_code).to_string())
            .or_default()
            .add(&facts, today);
        cell.entry((
            o.unit_code.clone(),
            category_of(&o.content_code).to_string(),
        ))
        .or_default()
        .add(&facts, today);
    }
    Tallies {
        by_unit,
        by_category: by_cat,
        cells: cell,
    }
}
