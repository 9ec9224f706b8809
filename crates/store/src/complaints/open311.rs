//! The public reads Open311 GeoReport v2 serves: requests without personal data, filtered as
//! the standard says.
//!
//! Anyone may read them, so what they carry is chosen for the public: the number, the status,
//! the category, the unit handling it, the dates, the place (address and coordinates). Never
//! the contact details, and not the complaint's text either: a hotline caller's or a web
//! form's words were not written for publication and may name people, which no mask catches.

use super::registers;
use crate::{Actor, Result, Store, code_column};
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeDelta, Timelike};
use qcity_domain::complaints::catalogue::Limits;
use qcity_domain::complaints::open311::ListQuery;
use qcity_domain::complaints::ticket::{self, Basis, ClockFacts, Dated, Outcome, Stage, Status};
use qcity_domain::registry::CodeList;
use sqlx::Row;
use std::collections::HashMap;

/// Most requests one `GET requests` returns (newest first); narrow the dates for more.
pub const LIST_MAX: usize = 1000;
/// Most ticket numbers one `service_request_id` list may name.
pub const IDS_MAX: usize = 100;

/// A request as Open311 shows it to anyone.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicRequest {
    /// The ticket number, `2026-000001`.
    pub number: String,
    pub status: Status,
    /// The category's code (the service code); `None` while it waits for triage.
    pub category: Option<String>,
    /// The name of the unit handling it, or that last handled it.
    pub unit_name: Option<String>,
    /// Received (business date, time of day of the intake), in China Standard Time.
    pub requested: DateTime<FixedOffset>,
    /// The last event (the close, when closed), in China Standard Time.
    pub updated: DateTime<FixedOffset>,
    /// The citizen's expected close date (`Basis::Ticket`), while the close is to come.
    pub expected: Option<NaiveDate>,
    pub address: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

fn cst() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| FixedOffset::east_opt(0).expect("UTC"))
}

/// A business date with the time of day of a stored UTC stamp, in China Standard Time. The
/// date is the business date (the one the clock and the filters use, which tests and
/// training set); the stamp only says when in the day it happened.
fn at(date: NaiveDate, stamp: &str) -> DateTime<FixedOffset> {
    let time = crate::parse_time(stamp)
        .map(|t| t.with_timezone(&cst()).time())
        .unwrap_or(NaiveTime::MIN);
    // Whole seconds: the standard's examples, and what a reader compares.
    let time = time.with_nanosecond(0).unwrap_or(time);
    DateTime::from_naive_utc_and_offset(date.and_time(time) - TimeDelta::hours(8), cst())
}

/// Adds a bind value and gives its placeholder.
fn bind(binds: &mut Vec<String>, value: &str) -> String {
    binds.push(value.to_string());
    format!("${}", binds.len())
}

/// Placeholders for a list of bind values.
fn bind_list(binds: &mut Vec<String>, values: &[String]) -> String {
    values
        .iter()
        .map(|v| bind(binds, v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The district a `jurisdiction_id` names: the code of an org unit that runs a plan here.
pub async fn jurisdiction(store: &Store, code: &str) -> Result<Option<i64>> {
    let row = sqlx::query(
        "SELECT id FROM org_units WHERE code = $1 AND id IN (SELECT owner_id FROM plan_versions)",
    )
    .bind(code.trim())
    .fetch_optional(&store.pool)
    .await?;
    Ok(match row {
        Some(r) => Some(r.try_get("id")?),
        None => None,
    })
}

/// The requests of the actor's district (anyone's: these are public) that pass the filters,
/// newest first, at most [`LIST_MAX`]. A `service_request_id` list overrides every other
/// filter, as the standard says; numbers of other districts are simply not found.
pub async fn requests(
    store: &Store,
    actor: &Actor,
    query: &ListQuery,
    today: NaiveDate,
) -> Result<Vec<PublicRequest>> {
    let mut sql = format!(
        "SELECT t.id, t.owner_id, t.number, t.status, t.category, t.received_on, t.created_at, \
         t.sign_days, t.reply_days, t.close_days, t.address, t.lat, t.lon, u.name AS unit_name \
         FROM complaint_tickets t LEFT JOIN org_units u ON u.id = COALESCE(t.unit_id, t.last_unit_id) \
         WHERE t.owner_id = {}",
        actor.owner_sql()
    );
    let mut binds: Vec<String> = Vec::new();
    if !query.ids.is_empty() {
        let ids = &query.ids[..query.ids.len().min(IDS_MAX)];
        let list = bind_list(&mut binds, ids);
        sql.push_str(&format!(" AND t.number IN ({list})"));
    } else {
        // Business dates are stored as YYYY-MM-DD text: text order is date order.
        let start = bind(&mut binds, &query.start.to_string());
        let end = bind(&mut binds, &query.end.to_string());
        sql.push_str(&format!(
            " AND t.received_on >= {start} AND t.received_on <= {end}"
        ));
        if !query.service_codes.is_empty() {
            let list = bind_list(&mut binds, &query.service_codes);
            sql.push_str(&format!(" AND t.category IN ({list})"));
        }
        if query.open.is_some() {
            // The codes come from the code list, never from the request.
            let codes: Vec<String> = Status::ALL
                .iter()
                .filter(|s| query.status_matches(**s))
                .map(|s| format!("'{}'", s.code()))
                .collect();
            sql.push_str(&format!(" AND t.status IN ({})", codes.join(", ")));
        }
    }
    sql.push_str(&format!(
        " ORDER BY t.received_on DESC, t.id DESC LIMIT {LIST_MAX}"
    ));
    let mut q = sqlx::query(&sql);
    for b in &binds {
        q = q.bind(b.clone());
    }
    let rows = q.fetch_all(&store.pool).await?;
    let Some(first) = rows.first() else {
        return Ok(Vec::new());
    };
    let owner: i64 = first.try_get("owner_id")?;
    let cal = registers::calendar(store, owner).await?;
    let ids: Vec<i64> = rows
        .iter()
        .map(|r| r.try_get::<i64, _>("id"))
        .collect::<std::result::Result<_, _>>()?;
    let histories = histories(store, &ids).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let received: NaiveDate = crate::parse_column(r, "received_on")?;
        let created: String = r.try_get("created_at")?;
        let requested = at(received, &created);
        let (hist, last) = histories.get(&id).cloned().unwrap_or_default();
        let updated = last.map(|(on, stamp)| at(on, &stamp)).unwrap_or(requested);
        let limits = Limits {
            sign: days(r, "sign_days")?,
            reply: days(r, "reply_days")?,
            close: days(r, "close_days")?,
        };
        let status: Status = code_column(r, "status")?;
        let facts = ClockFacts::from_history(&hist);
        let close =
            ticket::stage_outcome(&facts, &limits, Stage::Close, Basis::Ticket, &cal, today);
        // A declined or merged ticket never closes, and its clock says "overdue": nothing is
        // expected of a finished ticket.
        let expected = match close {
            _ if status.is_finished() => None,
            Outcome::Pending { deadline } | Outcome::Overdue { deadline } => Some(deadline),
            _ => None,
        };
        out.push(PublicRequest {
            number: r.try_get("number")?,
            status,
            category: r.try_get("category")?,
            unit_name: r.try_get("unit_name")?,
            requested,
            updated,
            expected,
            address: r.try_get("address")?,
            lat: r.try_get("lat")?,
            lon: r.try_get("lon")?,
        });
    }
    Ok(out)
}

fn days(r: &sqlx::any::AnyRow, col: &str) -> Result<u32> {
    Ok(u32::try_from(r.try_get::<i64, _>(col)?).unwrap_or(0))
}

/// A ticket's dated history and its last event (business date, stored stamp).
type History = (Vec<Dated>, Option<(NaiveDate, String)>);

/// The histories of the listed tickets, in one query.
async fn histories(store: &Store, ids: &[i64]) -> Result<HashMap<i64, History>> {
    let list = ids
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    let rows = sqlx::query(&format!(
        "SELECT ticket_id, on_date, kind, days, created_at FROM complaint_events \
         WHERE ticket_id IN ({list}) ORDER BY ticket_id, on_date, id"
    ))
    .fetch_all(&store.pool)
    .await?;
    let mut out: HashMap<i64, History> = HashMap::new();
    for r in &rows {
        let on: NaiveDate = crate::parse_column(r, "on_date")?;
        let entry = out.entry(r.try_get("ticket_id")?).or_default();
        entry.0.push(Dated {
            on,
            kind: code_column(r, "kind")?,
            days: days(r, "days")?,
        });
        entry.1 = Some((on, r.try_get("created_at")?));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_business_date_takes_the_stamps_time_of_day_in_china() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
        // 02:30 UTC is 10:30 in Beijing.
        let t = at(d, "2025-11-20T02:30:15.250Z");
        assert_eq!(t.to_rfc3339(), "2026-03-02T10:30:15+08:00");
        assert_eq!(at(d, "garbage").to_rfc3339(), "2026-03-02T00:00:00+08:00");
    }
}
