//! One definition per figure: on a generated campaign (random progress, closures early and
//! late, returns), at several business dates, every place that shows a supervision figure for
//! a unit, a category or the district gives the same number, and no rate passes 100 %.

use crate::harness::{ADMIN_PASSWORD, TestApp};
use chrono::{Datelike, NaiveDate};
use qcity_domain::supervision::Tally;
use qcity_store::obligations::{self, Filter};
use qcity_store::{Actor, bulletins, reports};
use qcity_web::Config;
use sqlx::Row;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A deterministic campaign: each obligation gets a status and dates around its due date.
async fn generate(store: &qcity_store::Store, seed: u64) {
    let rows = sqlx::query("SELECT id, due_date FROM obligations ORDER BY id")
        .fetch_all(&store.pool)
        .await
        .unwrap();
    let mut s = seed;
    let mut next = |n: i64| {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((s >> 33) % n as u64) as i64
    };
    for r in rows {
        let id: i64 = r.get("id");
        let due = NaiveDate::parse_from_str(&r.get::<String, _>("due_date"), "%Y-%m-%d").unwrap();
        let shift = |days: i64| (due + chrono::Duration::days(days)).to_string();
        // Hand-in from 60 days early to 40 days late; acceptance 0–20 days after it.
        let handed = next(100) - 60;
        let review = next(20);
        let (status, submitted, accepted): (&str, Option<String>, Option<String>) = match next(6) {
            0 => ("not_started", None, None),
            1 => ("in_progress", None, None),
            2 => ("submitted", Some(shift(handed)), None),
            3 => ("returned", Some(shift(handed)), None),
            _ => (
                "accepted",
                Some(shift(handed)),
                Some(shift(handed + review)),
            ),
        };
        sqlx::query(
            "UPDATE obligations SET status = $1, submitted_on = $2, accepted_on = $3 WHERE id = $4",
        )
        .bind(status)
        .bind(submitted)
        .bind(accepted)
        .bind(id)
        .execute(&store.pool)
        .await
        .unwrap();
    }
}

fn key(t: &Tally) -> (usize, usize, usize, usize, usize) {
    (t.total, t.expected, t.closed, t.on_time, t.overdue)
}

#[tokio::test]
async fn every_view_counts_the_same_and_no_rate_passes_100() {
    let last = d(2015, 3, 31);
    let app = TestApp::with_plan_and(Config {
        today: Some(last),
        ..Config::default()
    })
    .await;
    generate(&app.store, 2014).await;
    let office = Actor::system("office");
    let (_, plan) = qcity_store::plan::current(&app.store)
        .await
        .unwrap()
        .unwrap();
    let all = obligations::list(&app.store, &office, &Filter::default(), last)
        .await
        .unwrap();
    assert!(all.len() > 300, "{}", all.len());
    let mut early_closures = 0;
    for at in [d(2014, 6, 30), d(2014, 12, 31), last] {
        // The overview's grouped counts (SQL) and the domain's fold over the rows.
        let by_sql = obligations::tallies_sql(&app.store, &office, at)
            .await
            .unwrap();
        let by_rows = obligations::tallies(&all, at);
        assert_eq!(by_sql.by_unit.len(), by_rows.by_unit.len());
        for (unit, t) in &by_rows.by_unit {
            assert_eq!(key(&by_sql.by_unit[unit]), key(t), "{unit} at {at}");
        }
        for (cat, t) in &by_rows.by_category {
            assert_eq!(
                key(&by_sql.by_category[cat]),
                key(t),
                "category {cat} at {at}"
            );
        }
        let mut district = Tally::default();
        for t in by_rows.by_unit.values() {
            district.merge(t);
            assert!(t.closed <= t.expected && t.on_time <= t.expected, "{t:?}");
            assert!(t.completion_rate().is_none_or(|r| r <= 100.0));
        }
        early_closures += all
            .iter()
            .filter(|o| o.facts().closed_by(at) && o.due().is_some_and(|due| due > at))
            .count();
        // The bulletin of the month ending on that date.
        let month = format!("{}", at.format("%Y-%m"));
        let b = bulletins::draft(&app.store, &office, &plan, &month, last)
            .await
            .unwrap();
        assert_eq!(b.as_of, at.to_string());
        assert_eq!(
            (
                b.total.due as usize,
                b.total.accepted as usize,
                b.total.on_time as usize,
                b.total.overdue as usize
            ),
            (
                district.expected,
                district.closed,
                district.on_time,
                district.overdue
            ),
            "bulletin {month}"
        );
        assert_eq!(b.total.completion_text(), district.completion_text());
        for u in &b.units {
            let t = &by_rows.by_unit[&u.unit_code];
            assert_eq!(
                (
                    u.rates.due as usize,
                    u.rates.accepted as usize,
                    u.rates.overdue as usize
                ),
                (t.expected, t.closed, t.overdue),
                "bulletin line of {}",
                u.unit_code
            );
            assert_eq!(u.rates.completion_text(), t.completion_text());
        }
        // The analysis report's progress for the half-year or year ending then.
        let period = if at.month() == 6 {
            format!("{}-H1", at.year())
        } else {
            format!("{}", at.year())
        };
        if at < last {
            let period = reports::Period::parse(&period).unwrap();
            let f = reports::compute(&app.store, &plan, period, last)
                .await
                .unwrap();
            assert_eq!(
                (f.progress.due, f.progress.accepted, f.progress.overdue),
                (district.expected, district.closed, district.overdue),
                "report {period:?}"
            );
            assert_eq!(
                f.progress.completion_rate,
                district
                    .completion_rate()
                    .map(|r| format!("{r:.1}"))
                    .unwrap_or_else(|| "—".into())
            );
        }
        // The overview page on the last date shows the same district figures.
        if at == last {
            let admin = app.login("admin", ADMIN_PASSWORD).await;
            let html = admin
                .get(app.url("/supervision"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let stat = |id: &str| {
                let start = html.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
                html[start..].split('<').next().unwrap().to_string()
            };
            assert_eq!(stat("stat-due"), district.expected.to_string());
            assert_eq!(stat("stat-overdue"), district.overdue.to_string());
            assert!(html.contains(&district.completion_text()), "overview rate");
            assert!(!html.contains("NaN") && !html.contains("inf%"));
            // The API answers the same figures.
            let api: serde_json::Value = admin
                .get(app.url("/api/v1/supervision/progress"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(api["as_of"], at.to_string());
            assert_eq!(api["district"]["expected"], district.expected);
            assert_eq!(api["district"]["closed"], district.closed);
            assert_eq!(api["district"]["overdue"], district.overdue);
            for u in api["units"].as_array().unwrap() {
                let t = &by_rows.by_unit[u["key"].as_str().unwrap()];
                assert_eq!(u["expected"], t.expected);
                assert_eq!(u["closed"], t.closed);
                match t.completion_rate() {
                    Some(r) => assert!((u["completion_rate"].as_f64().unwrap() - r).abs() < 1e-9),
                    None => assert!(u["completion_rate"].is_null()),
                }
            }
        }
    }
    assert!(
        early_closures > 0,
        "the campaign closes work before it is due"
    );
}
