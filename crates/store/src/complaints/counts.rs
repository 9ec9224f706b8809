//! The complaint dashboard kept current (`complaint_counts`): the domain's additive `Counts`
//! per owner, unit, category, channel and month of receipt, as of one business date
//! (`complaint_counts_state.as_of`). Each ticket's own contribution is kept beside it
//! (`complaint_ticket_counts`), so an event replaces exactly what the ticket added before, in
//! the event's transaction. An event on a later business date first recounts everything as of
//! that date ([`rebuild`]); [`drift`] recounts from the histories and lists the cells that
//! differ (none, unless something wrote around these functions).
//!
//! Beside the cells, their lines (`complaint_count_lines`): the cells summed by unit, by
//! category and by channel per district and month ([`lines_of`]), kept in the same
//! statements, so the district's dashboard reads a few thousand rows at any size.

use super::history;
use crate::{Actor, Backend, Result, Store, StoreError, Tx};
use chrono::NaiveDate;
use qcity_domain::complaints::catalogue::Limits;
use qcity_domain::complaints::figures::{
    Counts, MIN_TICKETS_TO_RANK, RankedUnit, TicketFigures, per_10k, per_10k_parts, rank_units,
    year_on_year,
};
use qcity_domain::complaints::ticket::Satisfaction;
use qcity_domain::role::Role;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// The PostgreSQL advisory lock serialising recounts and rebuilds (SQLite's BEGIN IMMEDIATE
/// already does).
const COUNTS_LOCK: i64 = 51031;

pub(crate) const COLUMNS: &str = "tickets, handled, sign_due, sign_on_time, reply_due, reply_on_time, \
     close_due, close_on_time, rated, satisfied, repeats";

/// One dashboard cell: owner, unit (0: no unit yet), category ('' : not classified), channel
/// and month of receipt (`2026-02`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cell {
    pub owner_id: i64,
    pub unit_id: i64,
    pub category: String,
    pub channel: String,
    pub month: String,
}

pub(crate) fn values(c: &Counts) -> [i64; 11] {
    [
        c.tickets,
        c.handled,
        c.sign_due,
        c.sign_on_time,
        c.reply_due,
        c.reply_on_time,
        c.close_due,
        c.close_on_time,
        c.rated,
        c.satisfied,
        c.repeats,
    ]
    .map(|v| i64::try_from(v).unwrap_or(i64::MAX))
}

pub(crate) fn counts_of(r: &sqlx::any::AnyRow) -> Result<Counts> {
    let g = |c: &str| -> Result<u64> { Ok(u64::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0)) };
    Ok(Counts {
        tickets: g("tickets")?,
        handled: g("handled")?,
        sign_due: g("sign_due")?,
        sign_on_time: g("sign_on_time")?,
        reply_due: g("reply_due")?,
        reply_on_time: g("reply_on_time")?,
        close_due: g("close_due")?,
        close_on_time: g("close_on_time")?,
        rated: g("rated")?,
        satisfied: g("satisfied")?,
        repeats: g("repeats")?,
    })
}

/// Marks the dimension a line sums over (unit -1).
pub const ALL: &str = "*";

/// The three lines a cell adds to: its unit's, its category's and its channel's.
pub fn lines_of(cell: &Cell) -> [Cell; 3] {
    let line = |unit_id: i64, category: &str, channel: &str| Cell {
        owner_id: cell.owner_id,
        unit_id,
        category: category.to_string(),
        channel: channel.to_string(),
        month: cell.month.clone(),
    };
    [
        line(cell.unit_id, ALL, ALL),
        line(-1, &cell.category, ALL),
        line(-1, ALL, &cell.channel),
    ]
}

/// Recomputes the lines of the given districts (all when `None`) from their kept cells.
pub(crate) async fn relines(tx: &mut Tx, owner: Option<i64>) -> Result<()> {
    let (filter, delete) = match owner {
        Some(o) => (
            format!("WHERE owner_id = {o}"),
            format!("DELETE FROM complaint_count_lines WHERE owner_id = {o}"),
        ),
        None => (String::new(), "DELETE FROM complaint_count_lines".into()),
    };
    sqlx::query(&delete).execute(&mut **tx).await?;
    let sums = COLUMNS
        .split(", ")
        .map(|c| format!("SUM({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    for (unit, category, channel, group) in [
        ("unit_id", "'*'", "'*'", "unit_id"),
        ("-1", "category", "'*'", "category"),
        ("-1", "'*'", "channel", "channel"),
    ] {
        sqlx::query(&format!(
            "INSERT INTO complaint_count_lines (owner_id, unit_id, category, channel, month, {COLUMNS}) \
             SELECT owner_id, {unit}, {category}, {channel}, month, {sums} FROM complaint_counts {filter} \
             GROUP BY owner_id, {group}, month"
        ))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn cell_of(r: &sqlx::any::AnyRow) -> Result<Cell> {
    Ok(Cell {
        owner_id: r.try_get("owner_id")?,
        unit_id: r.try_get("unit_id")?,
        category: r.try_get("category")?,
        channel: r.try_get("channel")?,
        month: r.try_get("month")?,
    })
}

/// The business date the kept counts are as of; `None` before the first count.
pub async fn as_of(store: &Store) -> Result<Option<NaiveDate>> {
    let row = sqlx::query("SELECT as_of FROM complaint_counts_state WHERE id = 1")
        .fetch_optional(&store.pool)
        .await?;
    Ok(row
        .map(|r| r.try_get::<String, _>("as_of"))
        .transpose()?
        .and_then(|d| d.parse().ok()))
}

pub(crate) async fn as_of_in(tx: &mut Tx) -> Result<Option<NaiveDate>> {
    let row = sqlx::query("SELECT as_of FROM complaint_counts_state WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?;
    Ok(row
        .map(|r| r.try_get::<String, _>("as_of"))
        .transpose()?
        .and_then(|d| d.parse().ok()))
}

pub(crate) async fn lock(tx: &mut Tx) -> Result<()> {
    // Only PostgreSQL has advisory locks.
    if tx_backend(tx).await == Backend::Postgres {
        sqlx::query(&format!("SELECT pg_advisory_xact_lock({COUNTS_LOCK})"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Which database a transaction runs on (the recount is called deep inside other writes).
async fn tx_backend(tx: &mut Tx) -> Backend {
    match (**tx).backend_name() {
        "PostgreSQL" => Backend::Postgres,
        _ => Backend::Sqlite,
    }
}

/// A ticket's cell and contribution as of `as_of`, from its history.
async fn contribution(
    tx: &mut Tx,
    ticket_id: i64,
    as_of: NaiveDate,
    cals: &mut HashMap<i64, qcity_domain::complaints::calendar::Calendar>,
) -> Result<(Cell, Counts)> {
    let r = sqlx::query(
        "SELECT owner_id, last_unit_id, category, channel, received_on, sign_days, reply_days, close_days, satisfaction \
         FROM complaint_tickets WHERE id = $1",
    )
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(StoreError::NotFound)?;
    let owner: i64 = r.try_get("owner_id")?;
    let received: String = r.try_get("received_on")?;
    let cell = Cell {
        owner_id: owner,
        unit_id: r.try_get::<Option<i64>, _>("last_unit_id")?.unwrap_or(0),
        category: r
            .try_get::<Option<String>, _>("category")?
            .unwrap_or_default(),
        channel: r.try_get("channel")?,
        month: received.chars().take(7).collect(),
    };
    let day = |c: &str| -> Result<u32> { Ok(u32::try_from(r.try_get::<i64, _>(c)?).unwrap_or(0)) };
    let limits = Limits {
        sign: day("sign_days")?,
        reply: day("reply_days")?,
        close: day("close_days")?,
    };
    let satisfaction: Option<String> = r.try_get("satisfaction")?;
    let satisfaction = satisfaction.and_then(|s| {
        use qcity_domain::registry::CodeList;
        Satisfaction::ALL.iter().copied().find(|m| m.code() == s)
    });
    if let std::collections::hash_map::Entry::Vacant(e) = cals.entry(owner) {
        e.insert(super::registers::calendar_in(tx, owner).await?);
    }
    let hist = history(tx, ticket_id).await?;
    let figures = TicketFigures::from_history(&hist, satisfaction, &limits, &cals[&owner], as_of);
    let mut counts = Counts::default();
    counts.add(&figures);
    Ok((cell, counts))
}

/// Adds (`sign` 1) or removes (`sign` -1) counts in a kept cell and its lines.
async fn add_to_cell(tx: &mut Tx, cell: &Cell, counts: &Counts, sign: i64) -> Result<()> {
    add_to_row(tx, "complaint_counts", cell, counts, sign).await?;
    for line in lines_of(cell) {
        add_to_row(tx, "complaint_count_lines", &line, counts, sign).await?;
    }
    Ok(())
}

/// Adds counts to one row of `table`, removing the row when it counts no ticket any more.
async fn add_to_row(
    tx: &mut Tx,
    table: &str,
    cell: &Cell,
    counts: &Counts,
    sign: i64,
) -> Result<()> {
    let v = values(counts).map(|x| x * sign);
    let updates = COLUMNS
        .split(", ")
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "INSERT INTO {table} (owner_id, unit_id, category, channel, month, {COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) \
         ON CONFLICT (owner_id, unit_id, category, channel, month) DO UPDATE SET {updates}"
    );
    let mut q = sqlx::query(&sql)
        .bind(cell.owner_id)
        .bind(cell.unit_id)
        .bind(cell.category.clone())
        .bind(cell.channel.clone())
        .bind(cell.month.clone());
    for x in v {
        q = q.bind(x);
    }
    q.execute(&mut **tx).await?;
    sqlx::query(&format!(
        "DELETE FROM {table} WHERE owner_id = $1 AND unit_id = $2 AND category = $3 \
         AND channel = $4 AND month = $5 AND tickets = 0"
    ))
    .bind(cell.owner_id)
    .bind(cell.unit_id)
    .bind(cell.category.clone())
    .bind(cell.channel.clone())
    .bind(cell.month.clone())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_ticket_row(tx: &mut Tx, ticket_id: i64, cell: &Cell, c: &Counts) -> Result<()> {
    let sql = format!(
        "INSERT INTO complaint_ticket_counts (ticket_id, owner_id, unit_id, category, channel, month, {COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    let mut q = sqlx::query(&sql)
        .bind(ticket_id)
        .bind(cell.owner_id)
        .bind(cell.unit_id)
        .bind(cell.category.clone())
        .bind(cell.channel.clone())
        .bind(cell.month.clone());
    for x in values(c) {
        q = q.bind(x);
    }
    q.execute(&mut **tx).await?;
    Ok(())
}

/// Replaces one ticket's contribution as of the kept date.
async fn replace(
    tx: &mut Tx,
    ticket_id: i64,
    as_of: NaiveDate,
    cals: &mut HashMap<i64, qcity_domain::complaints::calendar::Calendar>,
) -> Result<()> {
    let old = sqlx::query(&format!(
        "SELECT owner_id, unit_id, category, channel, month, {COLUMNS} FROM complaint_ticket_counts WHERE ticket_id = $1"
    ))
    .bind(ticket_id)
    .fetch_optional(&mut **tx)
    .await?;
    if let Some(r) = old {
        add_to_cell(tx, &cell_of(&r)?, &counts_of(&r)?, -1).await?;
        sqlx::query("DELETE FROM complaint_ticket_counts WHERE ticket_id = $1")
            .bind(ticket_id)
            .execute(&mut **tx)
            .await?;
    }
    let (cell, counts) = contribution(tx, ticket_id, as_of, cals).await?;
    insert_ticket_row(tx, ticket_id, &cell, &counts).await?;
    add_to_cell(tx, &cell, &counts, 1).await
}

/// Recounts a ticket after an event, inside the event's transaction. An event on a business
/// date after the kept one recounts everything as of the new date first.
pub(crate) async fn recount(tx: &mut Tx, ticket_id: i64, today: NaiveDate) -> Result<()> {
    lock(tx).await?;
    match as_of_in(tx).await? {
        Some(kept) if kept >= today => replace(tx, ticket_id, kept, &mut HashMap::new()).await,
        _ => rebuild_in(tx, today).await.map(|_| ()),
    }
}

/// Recounts every ticket of a district as of the kept date (after its calendar changed).
pub(crate) async fn recount_owner(tx: &mut Tx, owner: i64) -> Result<()> {
    lock(tx).await?;
    let Some(kept) = as_of_in(tx).await? else {
        return Ok(());
    };
    let ids: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM complaint_tickets WHERE owner_id = $1 ORDER BY id")
            .bind(owner)
            .fetch_all(&mut **tx)
            .await?;
    let mut cals = HashMap::new();
    for id in ids {
        replace(tx, id, kept, &mut cals).await?;
    }
    Ok(())
}

async fn rebuild_in(tx: &mut Tx, date: NaiveDate) -> Result<u64> {
    sqlx::query("DELETE FROM complaint_counts")
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM complaint_ticket_counts")
        .execute(&mut **tx)
        .await?;
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM complaint_tickets ORDER BY id")
        .fetch_all(&mut **tx)
        .await?;
    let mut cals = HashMap::new();
    for id in ids {
        let (cell, counts) = contribution(tx, id, date, &mut cals).await?;
        insert_ticket_row(tx, id, &cell, &counts).await?;
    }
    let sums = COLUMNS
        .split(", ")
        .map(|c| format!("SUM({c})"))
        .collect::<Vec<_>>()
        .join(", ");
    let cells = sqlx::query(&format!(
        "INSERT INTO complaint_counts (owner_id, unit_id, category, channel, month, {COLUMNS}) \
         SELECT owner_id, unit_id, category, channel, month, {sums} FROM complaint_ticket_counts \
         GROUP BY owner_id, unit_id, category, channel, month"
    ))
    .execute(&mut **tx)
    .await?
    .rows_affected();
    relines(tx, None).await?;
    sqlx::query("DELETE FROM complaint_counts_state")
        .execute(&mut **tx)
        .await?;
    sqlx::query("INSERT INTO complaint_counts_state (id, as_of) VALUES (1, $1)")
        .bind(date.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(cells)
}

/// Recounts every cell as of `date` from the tickets' histories and makes `date` the kept
/// date (the daily job, `qcity rebuild`). Returns the number of cells.
pub async fn rebuild(store: &Store, date: NaiveDate) -> Result<u64> {
    let mut tx = store.begin().await?;
    lock(&mut tx).await?;
    let cells = rebuild_in(&mut tx, date).await?;
    tx.commit().await?;
    Ok(cells)
}

/// A kept cell that differs from a recount: (cell, recounted, kept).
pub type Drift = (Cell, Counts, Counts);

/// Recounts every ticket from its history as of the kept date and lists the cells and lines
/// whose kept counts differ. Empty when the kept counts are right (and before the first count).
pub async fn drift(store: &Store) -> Result<Vec<Drift>> {
    let mut tx = store.begin().await?;
    let Some(kept) = as_of_in(&mut tx).await? else {
        return Ok(Vec::new());
    };
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM complaint_tickets ORDER BY id")
        .fetch_all(&mut *tx)
        .await?;
    let mut cals = HashMap::new();
    let mut recount: BTreeMap<Cell, Counts> = BTreeMap::new();
    for id in ids {
        let (cell, counts) = contribution(&mut tx, id, kept, &mut cals).await?;
        *recount.entry(cell).or_default() += counts;
    }
    let lines: Vec<(Cell, Counts)> = recount
        .iter()
        .flat_map(|(cell, c)| lines_of(cell).map(|line| (line, *c)))
        .collect();
    for (line, c) in lines {
        *recount.entry(line).or_default() += c;
    }
    let mut stored: BTreeMap<Cell, Counts> = BTreeMap::new();
    for table in ["complaint_counts", "complaint_count_lines"] {
        let rows = sqlx::query(&format!(
            "SELECT owner_id, unit_id, category, channel, month, {COLUMNS} FROM {table}"
        ))
        .fetch_all(&mut *tx)
        .await?;
        for r in &rows {
            stored.insert(cell_of(r)?, counts_of(r)?);
        }
    }
    tx.commit().await?;
    let cells: std::collections::BTreeSet<&Cell> = recount.keys().chain(stored.keys()).collect();
    Ok(cells
        .into_iter()
        .filter_map(|c| {
            let a = recount.get(c).copied().unwrap_or_default();
            let b = stored.get(c).copied().unwrap_or_default();
            (a != b).then(|| (c.clone(), a, b))
        })
        .collect())
}

/// The dashboard of the actor's district over months of receipt (`from`..=`to`, `2026-01`):
/// totals and the breakdowns, from the kept counts. A unit sees its own figures only.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    pub as_of: Option<NaiveDate>,
    pub total: Counts,
    /// By unit code ('' : not dispatched yet).
    pub by_unit: Vec<(String, Counts)>,
    pub by_category: Vec<(String, Counts)>,
    pub by_channel: Vec<(String, Counts)>,
    pub by_month: Vec<(String, Counts)>,
}

fn scope_sql(actor: &Actor) -> Result<String> {
    let owner = format!("c.owner_id = {}", actor.owner_sql());
    match (actor.role, actor.unit_id) {
        (Some(Role::Office | Role::Leader | Role::Evaluator), _) => Ok(owner),
        (Some(Role::Unit), Some(u)) => Ok(format!("{owner} AND c.unit_id = {u}")),
        _ => Err(StoreError::Forbidden),
    }
}

pub async fn dashboard(store: &Store, actor: &Actor, from: &str, to: &str) -> Result<Dashboard> {
    let scope = scope_sql(actor)?;
    // The district reads the lines; a unit its own cells (a few hundred a year).
    let table = match actor.role {
        Some(Role::Unit) => "complaint_counts",
        _ => "complaint_count_lines",
    };
    let rows = sqlx::query(&format!(
        "SELECT c.unit_id, COALESCE(u.code, '') AS unit_code, c.category, c.channel, c.month, {} \
         FROM {table} c LEFT JOIN org_units u ON u.id = c.unit_id \
         WHERE {scope} AND c.month >= $1 AND c.month <= $2",
        COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .bind(from)
    .bind(to)
    .fetch_all(&store.pool)
    .await?;
    let mut d = Dashboard {
        as_of: as_of(store).await?,
        ..Dashboard::default()
    };
    let mut maps: [BTreeMap<String, Counts>; 4] = Default::default();
    for r in &rows {
        let c = counts_of(r)?;
        let unit: i64 = r.try_get("unit_id")?;
        let category: String = r.try_get("category")?;
        let channel: String = r.try_get("channel")?;
        let month: String = r.try_get("month")?;
        // A unit's cell counts in every breakdown; a line only in its own.
        let (by_unit, by_category, by_channel) = if table == "complaint_counts" {
            (true, true, true)
        } else {
            (unit >= 0, category != ALL, channel != ALL)
        };
        if by_unit {
            *maps[0].entry(r.try_get("unit_code")?).or_default() += c;
        }
        if by_category {
            *maps[1].entry(category).or_default() += c;
        }
        if by_channel {
            d.total += c;
            *maps[2].entry(channel).or_default() += c;
            *maps[3].entry(month).or_default() += c;
        }
    }
    let [u, c, ch, m] = maps;
    d.by_unit = u.into_iter().collect();
    d.by_category = c.into_iter().collect();
    d.by_channel = ch.into_iter().collect();
    d.by_month = m.into_iter().collect();
    Ok(d)
}

/// A year's figures for the district: the counts, 每万人投诉量, the change on last year and
/// the unit ranking (units with at least [`MIN_TICKETS_TO_RANK`] tickets handled).
#[derive(Debug, Clone, PartialEq)]
pub struct YearFigures {
    pub year: i32,
    pub counts: Counts,
    pub residents: Option<i64>,
    pub per_10k: Option<f64>,
    pub previous_tickets: u64,
    /// Tickets received, in per cent on last year; `None` when last year had none.
    pub year_on_year: Option<f64>,
    pub ranking: Vec<RankedUnit>,
}

pub async fn year_figures(store: &Store, actor: &Actor, year: i32) -> Result<YearFigures> {
    let this = dashboard(store, actor, &format!("{year}-01"), &format!("{year}-12")).await?;
    let last = dashboard(
        store,
        actor,
        &format!("{}-01", year - 1),
        &format!("{}-12", year - 1),
    )
    .await?;
    let residents = super::registers::population(store, actor, year).await?;
    let parts = per_10k_parts(
        this.total.tickets,
        residents.and_then(|r| u64::try_from(r).ok()).unwrap_or(0),
    );
    let units: Vec<(String, Counts)> = this
        .by_unit
        .iter()
        .filter(|(code, _)| !code.is_empty())
        .cloned()
        .collect();
    Ok(YearFigures {
        year,
        counts: this.total,
        residents,
        per_10k: per_10k(parts),
        previous_tickets: last.total.tickets,
        year_on_year: year_on_year(this.total.tickets as f64, Some(last.total.tickets as f64)),
        ranking: rank_units(&units, MIN_TICKETS_TO_RANK),
    })
}
