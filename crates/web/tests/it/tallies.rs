//! The supervision figures kept current (`obligations::tallies`): after any sequence of
//! changes (hand-ins, reviews, withdrawals, extensions, a plan version, a second district),
//! the kept cells equal a recount from the obligations, and the overviews answer the same
//! whether they read the kept cells or count.

use qcity_domain::role::Role;
use qcity_store::obligations::{self, Filter, ReportInput, tallies};
use qcity_store::{Actor, plan};

/// A small deterministic generator: the sequence is the same on every run and database.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

fn unit_actor(unit_id: i64) -> Actor {
    Actor {
        role: Some(Role::Unit),
        unit_id: Some(unit_id),
        owner_id: None,
        ..Actor::system("t")
    }
}

fn hand_in(token: String) -> ReportInput {
    ReportInput {
        body: "进展".into(),
        percent: 100,
        submit: true,
        form_token: token,
        files: vec![obligations::Upload {
            filename: "a.pdf".into(),
            bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
        }],
    }
}

async fn assert_exact(
    app: &crate::harness::TestApp,
    office: &Actor,
    day: chrono::NaiveDate,
    step: &str,
) {
    let drift = tallies::drift(&app.store).await.unwrap();
    assert!(
        drift.is_empty(),
        "after {step}: kept cells differ: {drift:?}"
    );
    // The overview read from the kept cells equals one counted with the kept date moved away.
    let owners: Vec<i64> =
        sqlx::query_scalar("SELECT DISTINCT owner_id FROM obligations WHERE owner_id IS NOT NULL")
            .fetch_all(&app.store.pool)
            .await
            .unwrap();
    let kept = obligations::tallies_sql(&app.store, office, day)
        .await
        .unwrap();
    let kept_by_owner = obligations::tallies_by_owner(&app.store, &owners, day)
        .await
        .unwrap();
    let (counted, counted_by_owner) = {
        let rows = sqlx::query("UPDATE tally_state SET as_of = '1999-01-01'")
            .execute(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(rows.rows_affected(), 1);
        let t = obligations::tallies_sql(&app.store, office, day)
            .await
            .unwrap();
        let by_owner = obligations::tallies_by_owner(&app.store, &owners, day)
            .await
            .unwrap();
        sqlx::query("UPDATE tally_state SET as_of = $1")
            .bind(day.to_string())
            .execute(&app.store.pool)
            .await
            .unwrap();
        (t, by_owner)
    };
    let figures = |t: &qcity_domain::supervision::Tally| {
        (
            t.total,
            t.expected,
            t.closed,
            t.submitted,
            t.on_time,
            t.late,
            t.overdue,
            t.returned,
        )
    };
    assert_eq!(kept_by_owner.len(), counted_by_owner.len(), "after {step}");
    for (key, t) in &kept_by_owner {
        assert_eq!(
            figures(t),
            figures(&counted_by_owner[key]),
            "after {step}: {key:?}"
        );
    }
    assert_eq!(kept.cells.len(), counted.cells.len(), "after {step}");
    for (cell, t) in &kept.cells {
        let c = &counted.cells[cell];
        assert_eq!(
            (
                t.total,
                t.expected,
                t.closed,
                t.submitted,
                t.on_time,
                t.late,
                t.overdue,
                t.returned
            ),
            (
                c.total,
                c.expected,
                c.closed,
                c.submitted,
                c.on_time,
                c.late,
                c.overdue,
                c.returned
            ),
            "after {step}: {cell:?}"
        );
    }
}

#[tokio::test]
async fn kept_figures_equal_a_recount_after_random_changes() {
    let app = crate::harness::TestApp::with_plan().await;
    let office = Actor::system("t");
    let day = chrono::NaiveDate::from_ymd_opt(2015, 3, 10).unwrap();
    let cells = tallies::rebuild(&app.store, day).await.unwrap();
    assert!(cells > 10, "{cells} cells");
    assert_eq!(tallies::as_of(&app.store).await.unwrap(), Some(day));
    assert_exact(&app, &office, day, "the rebuild").await;

    let mut rng = Lcg(20261206);
    let mut changes = 0;
    for step in 0..60 {
        let obs = obligations::list(&app.store, &office, &Filter::default(), day)
            .await
            .unwrap();
        let ob = &obs[rng.next(obs.len())];
        let staff = unit_actor(ob.unit_id);
        let done = match rng.next(5) {
            0 | 1 => obligations::report(
                &app.store,
                &staff,
                ob.id,
                hand_in(format!("tally-{step:04}-000000000000")),
                &Default::default(),
                day,
            )
            .await
            .is_ok(),
            2 => obligations::review(
                &app.store,
                &office,
                ob.id,
                rng.next(3) > 0,
                "请补充材料",
                ob.row_version,
                day,
            )
            .await
            .is_ok(),
            3 => obligations::withdraw(&app.store, &staff, ob.id, day)
                .await
                .is_ok(),
            _ => {
                let due = chrono::NaiveDate::from_ymd_opt(2015, 12, 31).unwrap();
                match obligations::request_extension(&app.store, &staff, ob.id, due, "理由", day)
                    .await
                {
                    Ok(req) => obligations::decide_extension(
                        &app.store,
                        &office,
                        req,
                        rng.next(2) == 0,
                        "不同意",
                        day,
                    )
                    .await
                    .is_ok(),
                    Err(_) => false,
                }
            }
        };
        changes += usize::from(done);
        assert_exact(&app, &office, day, &format!("step {step}")).await;
    }
    assert!(changes > 20, "only {changes} changes went through");

    // A second district's plan (a bulk insert of its obligations) and a plan version.
    let js = qcity_domain::plan::DistrictSpec {
        code: "JINSHUI".into(),
        name: "金水区".into(),
        prefix: "JS".into(),
        plan_code: "jinshui-2014".into(),
    };
    plan::add_district(&app.store, &office, &js, day)
        .await
        .unwrap();
    assert_exact(&app, &office, day, "a second district").await;
    let (_, mut p) = plan::current(&app.store).await.unwrap().unwrap();
    p.categories[0].items[0].contents[0].deadline = qcity_domain::plan::Deadline::Date {
        date: chrono::NaiveDate::from_ymd_opt(2016, 6, 30).unwrap(),
    };
    plan::import(&app.store, &office, &p, "toml", "moved.toml", day)
        .await
        .unwrap();
    assert_exact(&app, &office, day, "a plan version").await;

    // A new business date: the daily job recounts, and the figures follow the date.
    let next = day.succ_opt().unwrap();
    let ladder = qcity_domain::supervision::Ladder::default();
    let ctx = qcity_store::schema::JobCtx {
        today: next,
        ladder: &ladder,
    };
    let job = qcity_store::notices::SCHEMA
        .jobs
        .iter()
        .find(|j| j.name == "supervision-figures")
        .unwrap();
    let said = (job.run)(&app.store, &ctx).await.unwrap();
    assert!(said.contains("recounted"), "{said}");
    assert_eq!(tallies::as_of(&app.store).await.unwrap(), Some(next));
    assert_eq!(
        (job.run)(&app.store, &ctx).await.unwrap(),
        "",
        "once per date"
    );
    assert_exact(&app, &office, next, "the next day").await;
}
