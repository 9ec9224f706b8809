//! The complaint figures of several districts side by side (a city's or province's 区县对比):
//! each district's kept counts for a year and its residents. The counts add up, so the level
//! above is the sum of its districts' counts, with every rate taken from the sums.

use super::counts::{COLUMNS, counts_of};
use crate::{Result, Store};
use qcity_domain::complaints::figures::Counts;
use sqlx::Row;

/// One district's year: its counts and, when entered, its residents.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DistrictYear {
    pub owner_id: i64,
    pub counts: Counts,
    pub residents: Option<i64>,
}

/// The year's counts and residents of each district in `owners` (in that order; a district
/// without tickets has zero counts). The caller checks which districts the actor may read
/// (`units::readable_districts`).
pub async fn by_district(store: &Store, owners: &[i64], year: i32) -> Result<Vec<DistrictYear>> {
    let mut out: Vec<DistrictYear> = owners
        .iter()
        .map(|id| DistrictYear {
            owner_id: *id,
            ..Default::default()
        })
        .collect();
    if owners.is_empty() {
        return Ok(out);
    }
    let list = owners
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let sums = COLUMNS
        .split(", ")
        .map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}"))
        .collect::<Vec<_>>()
        .join(", ");
    // The channel lines (unit -1, category '*') hold each ticket once.
    let rows = sqlx::query(&format!(
        "SELECT owner_id, {sums} FROM complaint_count_lines WHERE owner_id IN ({list}) \
         AND unit_id = -1 AND category = '*' AND month >= $1 AND month <= $2 GROUP BY owner_id"
    ))
    .bind(format!("{year}-01"))
    .bind(format!("{year}-12"))
    .fetch_all(&store.pool)
    .await?;
    for r in &rows {
        let owner: i64 = r.try_get("owner_id")?;
        if let Some(d) = out.iter_mut().find(|d| d.owner_id == owner) {
            d.counts = counts_of(r)?;
        }
    }
    let rows = sqlx::query(&format!(
        "SELECT owner_id, residents FROM complaint_population WHERE owner_id IN ({list}) AND year = $1"
    ))
    .bind(i64::from(year))
    .fetch_all(&store.pool)
    .await?;
    for r in &rows {
        let owner: i64 = r.try_get("owner_id")?;
        if let Some(d) = out.iter_mut().find(|d| d.owner_id == owner) {
            d.residents = Some(r.try_get("residents")?);
        }
    }
    Ok(out)
}
