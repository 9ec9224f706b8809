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
        // An extension or a plan version moves one deadline in eight by a month (the figures
        // read the deadline in force); a plan version retires one in twenty-five.
        let due_now = if next(8) == 0 {
            shift(30)
        } else {
            due.to_string()
        };
        let retired = i64::from(next(25) == 0);
        sqlx::query(
            "UPDATE obligations SET status = $1, submitted_on = $2, accepted_on = $3, due_date = $4, retired = $5 WHERE id = $6",
        )
        .bind(status)
        .bind(submitted)
        .bind(accepted)
        .bind(due_now)
        .bind(retired)
        .bind(id)
        .execute(&store.pool)
        .await
        .unwrap();
    }
}

/// The text of the element with this id.
fn stat(html: &str, id: &str) -> String {
    let start = html.find(&format!("id=\"{id}\">")).unwrap() + id.len() + 6;
    html[start..].split('<').next().unwrap().to_string()
}

fn key(t: &Tally) -> (usize, usize, usize, usize, usize, usize) {
    (t.total, t.expected, t.closed, t.on_time, t.overdue, t.late)
}

/// The period's figures of one unit by the domain's definition: (lead, all duties).
fn period_tallies(
    all: &[obligations::Obligation],
    unit: &str,
    start: NaiveDate,
    at: NaiveDate,
) -> (Tally, Tally) {
    let (mut lead, mut every) = (Tally::default(), Tally::default());
    for o in all.iter().filter(|o| o.unit_code == unit) {
        let f = o.facts();
        if f.expected_in(start, at) {
            if o.duty.is_lead() {
                lead.add(&f, at);
            }
            every.add(&f, at);
        }
    }
    (lead, every)
}

/// Escalation notices per unit code and level issued in `[from, to]`, counted from the rows.
async fn notice_rows(
    store: &qcity_store::Store,
    from: NaiveDate,
    to: NaiveDate,
) -> std::collections::BTreeMap<(String, String), u32> {
    let rows = sqlx::query(
        "SELECT u.code, n.level, n.issued_on FROM notices n JOIN org_units u ON u.id = n.unit_id",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let mut out = std::collections::BTreeMap::new();
    for r in rows {
        let on: String = r.get("issued_on");
        if on.as_str() >= from.to_string().as_str() && on.as_str() <= to.to_string().as_str() {
            *out.entry((r.get("code"), r.get("level"))).or_insert(0) += 1;
        }
    }
    out
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
    assert!(
        all.iter().all(|o| !o.retired),
        "retired work is not counted"
    );
    // The escalation ladder runs twice a month, as the hourly job would on those days.
    let mut day = d(2014, 5, 1);
    while day <= last {
        qcity_store::notices::supervise(&app.store, day, &Default::default())
            .await
            .unwrap();
        day += chrono::Duration::days(15);
    }
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
        let month_notices = notice_rows(&app.store, d(at.year(), at.month(), 1), at).await;
        assert!(
            at < d(2014, 12, 1) || !month_notices.is_empty(),
            "the ladder fired notices in {month}"
        );
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
            let level = |l: &str| {
                month_notices
                    .get(&(u.unit_code.clone(), l.to_string()))
                    .copied()
                    .unwrap_or(0)
            };
            assert_eq!(
                (u.blue_notices, u.yellow_notices, u.red_notices),
                (level("blue"), level("yellow"), level("red")),
                "bulletin notices of {}",
                u.unit_code
            );
        }
        // The assessment of the year counts what entered 应完成 in the year, by the same
        // definitions, and the same notices.
        let year_start = d(at.year(), 1, 1);
        let facts = qcity_store::assessment::facts(
            &app.store,
            &qcity_store::Actor::system("t"),
            &plan,
            at.year(),
            at,
        )
        .await
        .unwrap();
        let year_notices = notice_rows(&app.store, year_start, at).await;
        let mut year_expected = 0;
        for (unit, f) in &facts {
            let (lead, every) = period_tallies(&all, &unit.code, year_start, at);
            year_expected += every.expected;
            assert_eq!(
                (f.obligations_due, f.obligations_on_time),
                (lead.expected as u32, lead.on_time as u32),
                "assessment of {} at {at}",
                unit.code
            );
            assert_eq!(
                (f.reports_due, f.reports_on_time, f.reports_late),
                (
                    every.expected as u32,
                    every.on_time as u32,
                    every.late as u32
                ),
                "assessment reports of {} at {at}",
                unit.code
            );
            let level = |l: &str| {
                year_notices
                    .get(&(unit.code.clone(), l.to_string()))
                    .copied()
                    .unwrap_or(0)
            };
            assert_eq!(
                (f.blue_notices, f.yellow_notices, f.red_notices),
                (level("blue"), level("yellow"), level("red")),
                "assessment notices of {}",
                unit.code
            );
        }
        // The years add up: what was expected before this year plus this year's is what the
        // overview counts as expected on the date.
        let before = all
            .iter()
            .filter(|o| o.facts().expected_by(year_start.pred_opt().unwrap()))
            .count();
        let this_year = all
            .iter()
            .filter(|o| o.facts().expected_in(year_start, at))
            .count();
        assert_eq!(
            before + this_year,
            district.expected,
            "years add up at {at}"
        );
        assert!(year_expected <= this_year);
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
            assert_eq!(stat(&html, "stat-due"), district.expected.to_string());
            assert_eq!(stat(&html, "stat-overdue"), district.overdue.to_string());
            assert!(html.contains(&district.completion_text()), "overview rate");
            assert!(!html.contains("NaN") && !html.contains("inf%"));
            // The leaders' view opens with the same district figures.
            let html = admin
                .get(app.url("/leader"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert_eq!(
                stat(&html, "leader-expected"),
                district.expected.to_string()
            );
            assert_eq!(stat(&html, "leader-closed"), district.closed.to_string());
            assert_eq!(stat(&html, "leader-overdue"), district.overdue.to_string());
            assert_eq!(stat(&html, "leader-completion"), district.completion_text());
            assert_eq!(stat(&html, "leader-on-time"), district.on_time_text());
            // The assessment page of a unit shows the facts counted above.
            let (unit, f) = facts
                .iter()
                .find(|(_, f)| f.obligations_due > 0)
                .expect("a unit with work expected this year");
            let html = admin
                .get(app.url(&format!("/assessment/{}?period={}", unit.code, at.year())))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            assert!(
                html.contains(&format!(
                    "{} / {} / {}",
                    f.blue_notices, f.yellow_notices, f.red_notices
                )),
                "assessment page notices"
            );
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
