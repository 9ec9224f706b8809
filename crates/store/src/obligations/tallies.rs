//! The supervision figures kept current, counted by [`tally_sums_sql`] as of one business date
//! (`tally_state.as_of`): one row per owner, unit and category (`obligation_tallies`, the
//! overviews' cells), and one per owner, unit, duty and the year its obligations entered 应完成
//! ([`entered_year_sql`], 0 while they have not; `obligation_period_tallies`, a unit's figures
//! of the year so far for the assessment). Every change to an obligation recounts its cell and
//! its unit's period rows in the same transaction; when the business
//! date moves, the daily job recounts everything ([`rebuild`], also `qcity rebuild`). The
//! overviews read these rows when they ask for that date and count the obligations otherwise,
//! so a figure never depends on which path answered.

use super::{entered_year_sql, tally_sums_sql};
use crate::{Backend, Result, Store, Tx};
use chrono::NaiveDate;
use sqlx::Row;

/// The counted columns, in the order [`tally_sums_sql`] selects them.
pub(super) const COUNTS: &str =
    "total, expected, closed, submitted, returned, on_time, late, overdue";

/// The counted columns summed over kept cells (`CAST(SUM(total) AS BIGINT) AS total, …`), for
/// figures of several cells at once.
pub(super) fn sums() -> String {
    COUNTS
        .split(", ")
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Advisory lock keys (PostgreSQL): rebuilds take the first exclusively and cell recounts
/// share it; cell recounts of one owner take the second with the owner, so a recount always
/// follows the other's committed change (a recount never writes a figure counted without it).
const REBUILD_LOCK: i64 = 51018;
const OWNER_LOCK: i32 = 51019;

/// The business date the kept rows count as of; `None` before the first rebuild.
pub async fn as_of(store: &Store) -> Result<Option<NaiveDate>> {
    let row = sqlx::query("SELECT as_of FROM tally_state WHERE id = 1")
        .fetch_optional(&store.pool)
        .await?;
    Ok(row
        .map(|r| r.try_get::<String, _>("as_of"))
        .transpose()?
        .and_then(|d| d.parse().ok()))
}

/// Recounts every cell as of `date` from the obligations and makes `date` the kept date.
/// Returns the number of cells.
pub async fn rebuild(store: &Store, date: NaiveDate) -> Result<u64> {
    let mut tx = store.begin().await?;
    if store.backend == Backend::Postgres {
        sqlx::query(&format!("SELECT pg_advisory_xact_lock({REBUILD_LOCK})"))
            .execute(&mut *tx)
            .await?;
    }
    let filter = "o.owner_id IS NOT NULL";
    let mut counted = Vec::new();
    for (table, insert) in [
        ("obligation_tallies", insert_sql(filter)),
        ("obligation_period_tallies", period_insert_sql(filter)),
    ] {
        sqlx::query(&format!("DELETE FROM {table}"))
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(&insert)
            .bind(date.to_string())
            .execute(&mut *tx)
            .await?
            .rows_affected();
        counted.push(rows);
    }
    // The overviews' cells are what the caller reports.
    let cells = counted.first().copied().unwrap_or(0);
    sqlx::query("DELETE FROM tally_state")
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO tally_state (id, as_of) VALUES (1, $1)")
        .bind(date.to_string())
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(cells)
}

/// `INSERT … SELECT` of the recounted cells of the obligations matching `filter` (`$1`: the
/// date; the filter's own parameters from `$2`).
fn insert_sql(filter: &str) -> String {
    format!(
        "INSERT INTO obligation_tallies (owner_id, unit_id, category, {COUNTS}) {}",
        tally_sums_sql(
            "o.owner_id, o.unit_id, o.category",
            filter,
            "o.owner_id, o.unit_id, o.category",
        )
    )
}

/// The key of a unit's period row, selected from the obligations (`o`) as of `$1`.
fn period_key_sql() -> String {
    format!(
        "o.owner_id AS owner_id, o.unit_id AS unit_id, o.duty AS duty, {} AS entered_year",
        entered_year_sql()
    )
}

/// `INSERT … SELECT` of the recounted period rows of the obligations matching `filter` (`$1`:
/// the date; the filter's own parameters from `$2`).
fn period_insert_sql(filter: &str) -> String {
    format!(
        "INSERT INTO obligation_period_tallies (owner_id, unit_id, duty, entered_year, {COUNTS}) {}",
        // Grouped by the key's position: its year is an expression of the date.
        tally_sums_sql(&period_key_sql(), filter, "1, 2, 3, 4")
    )
}

/// The kept date inside a change's transaction, after taking the locks a recount needs.
async fn locked_as_of(backend: Backend, tx: &mut Tx, owners: &[i64]) -> Result<Option<String>> {
    if backend == Backend::Postgres {
        sqlx::query(&format!(
            "SELECT pg_advisory_xact_lock_shared({REBUILD_LOCK})"
        ))
        .execute(&mut **tx)
        .await?;
        let mut owners = owners.to_vec();
        owners.sort_unstable();
        owners.dedup();
        for owner in owners {
            sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
                .bind(OWNER_LOCK)
                .bind(i32::try_from(owner).unwrap_or(i32::MAX))
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(sqlx::query("SELECT as_of FROM tally_state WHERE id = 1")
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get::<String, _>("as_of"))
        .transpose()?)
}

/// Recounts the cells of these obligations, inside the transaction that changed them.
pub(crate) async fn refresh(backend: Backend, tx: &mut Tx, ids: &[i64]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let cells: Vec<(i64, i64, String)> = sqlx::query(&format!(
        "SELECT DISTINCT owner_id, unit_id, category FROM obligations \
         WHERE id IN ({list}) AND owner_id IS NOT NULL"
    ))
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok((
            r.try_get("owner_id")?,
            r.try_get("unit_id")?,
            r.try_get("category")?,
        ))
    })
    .collect::<Result<_>>()?;
    let owners: Vec<i64> = cells.iter().map(|c| c.0).collect();
    let Some(as_of) = locked_as_of(backend, tx, &owners).await? else {
        return Ok(());
    };
    for (owner, unit, category) in &cells {
        sqlx::query(
            "DELETE FROM obligation_tallies WHERE owner_id = $1 AND unit_id = $2 AND category = $3",
        )
        .bind(owner)
        .bind(unit)
        .bind(category)
        .execute(&mut **tx)
        .await?;
        sqlx::query(&insert_sql(
            "o.owner_id = $2 AND o.unit_id = $3 AND o.category = $4",
        ))
        .bind(&as_of)
        .bind(owner)
        .bind(unit)
        .bind(category)
        .execute(&mut **tx)
        .await?;
    }
    let mut units: Vec<(i64, i64)> = cells.iter().map(|c| (c.0, c.1)).collect();
    units.sort_unstable();
    units.dedup();
    for (owner, unit) in units {
        sqlx::query("DELETE FROM obligation_period_tallies WHERE owner_id = $1 AND unit_id = $2")
            .bind(owner)
            .bind(unit)
            .execute(&mut **tx)
            .await?;
        sqlx::query(&period_insert_sql("o.owner_id = $2 AND o.unit_id = $3"))
            .bind(&as_of)
            .bind(owner)
            .bind(unit)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Recounts every cell of one owner (after a plan version changed many of its obligations).
pub(crate) async fn refresh_owner(backend: Backend, tx: &mut Tx, owner: i64) -> Result<()> {
    let Some(as_of) = locked_as_of(backend, tx, &[owner]).await? else {
        return Ok(());
    };
    let filter = "o.owner_id = $2";
    for (table, insert) in [
        ("obligation_tallies", insert_sql(filter)),
        ("obligation_period_tallies", period_insert_sql(filter)),
    ] {
        sqlx::query(&format!("DELETE FROM {table} WHERE owner_id = $1"))
            .bind(owner)
            .execute(&mut **tx)
            .await?;
        sqlx::query(&insert)
            .bind(&as_of)
            .bind(owner)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Kept rows that differ from a recount as of the kept date, named by their table and key
/// (`cell owner/unit/category`, `period owner/unit/duty/year`). Empty when the kept figures
/// are exact (or none are kept); the rebuild test and `qcity rebuild` report it.
pub async fn drift(store: &Store) -> Result<Vec<String>> {
    let Some(date) = as_of(store).await? else {
        return Ok(Vec::new());
    };
    let cell_key = "owner_id, unit_id, category";
    let period_key = "owner_id, unit_id, duty, entered_year";
    let mut out = differing(
        "cell",
        rows(
            store,
            &format!("SELECT {cell_key}, {COUNTS} FROM obligation_tallies"),
            cell_key,
            None,
        )
        .await?,
        rows(
            store,
            &tally_sums_sql(
                "o.owner_id AS owner_id, o.unit_id AS unit_id, o.category AS category",
                "o.owner_id IS NOT NULL",
                "o.owner_id, o.unit_id, o.category",
            ),
            cell_key,
            Some(date),
        )
        .await?,
    );
    out.extend(differing(
        "period",
        rows(
            store,
            &format!("SELECT {period_key}, {COUNTS} FROM obligation_period_tallies"),
            period_key,
            None,
        )
        .await?,
        rows(
            store,
            &tally_sums_sql(&period_key_sql(), "o.owner_id IS NOT NULL", "1, 2, 3, 4"),
            period_key,
            Some(date),
        )
        .await?,
    ));
    Ok(out)
}

/// Kept rows by their key (its columns joined with `/`), with their counts.
type Rows = std::collections::BTreeMap<String, [usize; 8]>;

/// The keys whose counts differ between kept and counted rows (or that only one of them has).
fn differing(table: &str, kept: Rows, counted: Rows) -> Vec<String> {
    let mut keys: Vec<&String> = kept.keys().chain(counted.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter(|k| kept.get(*k) != counted.get(*k))
        .map(|k| format!("{table} {k}"))
        .collect()
}

async fn rows(store: &Store, sql: &str, key: &str, date: Option<NaiveDate>) -> Result<Rows> {
    let mut q = sqlx::query(sql);
    if let Some(d) = date {
        q = q.bind(d.to_string());
    }
    q.fetch_all(&store.pool)
        .await?
        .iter()
        .map(|r| {
            let t = super::tally_from_row(r)?;
            // Each key column is an integer or a text.
            let key = key
                .split(", ")
                .map(|c| {
                    r.try_get::<i64, _>(c)
                        .map(|v| v.to_string())
                        .or_else(|_| r.try_get::<String, _>(c))
                })
                .collect::<std::result::Result<Vec<_>, _>>()?
                .join("/");
            Ok((
                key,
                [
                    t.total,
                    t.expected,
                    t.closed,
                    t.submitted,
                    t.returned,
                    t.on_time,
                    t.late,
                    t.overdue,
                ],
            ))
        })
        .collect()
}
