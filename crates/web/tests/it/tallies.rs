//! The supervision figures kept current (`obligations::tallies`): after any sequence of
//! changes (hand-ins, reviews, withdrawals, extensions, a plan version, a second district),
//! the kept cells equal a recount from the obligations, and the overviews answer the same
//! whether they read the kept cells or count; the kept views (`view_cache`) show what a fresh
//! computation shows after any sequence of changes.

use qcity_domain::role::Role;
use qcity_store::obligations::{self, Filter, ReportInput, tallies};
use qcity_store::{Actor, assessment, plan};

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

/// One change to a random obligation through the store, as its unit or the office would make
/// it: a hand-in (twice as likely), a review, a withdrawal, or an extension asked and decided.
/// Whether it went through (many are refused by the obligation's state, as they should be).
async fn change_an_obligation(
    app: &crate::harness::TestApp,
    office: &Actor,
    rng: &mut Lcg,
    tag: &str,
    day: chrono::NaiveDate,
) -> bool {
    let obs = obligations::list(&app.store, office, &Filter::default(), day)
        .await
        .unwrap();
    let ob = &obs[rng.next(obs.len())];
    let staff = unit_actor(ob.unit_id);
    match rng.next(5) {
        0 | 1 => obligations::report(
            &app.store,
            &staff,
            ob.id,
            hand_in(format!("{tag}-000000000000")),
            &Default::default(),
            day,
        )
        .await
        .is_ok(),
        2 => obligations::review(
            &app.store,
            office,
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
            match obligations::request_extension(&app.store, &staff, ob.id, due, "理由", day).await
            {
                Ok(req) => obligations::decide_extension(
                    &app.store,
                    office,
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
    }
}

async fn assert_exact(
    app: &crate::harness::TestApp,
    office: &Actor,
    day: chrono::NaiveDate,
    step: &str,
) -> bool {
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
    let kept_district = obligations::district_tally(&app.store, office, day)
        .await
        .unwrap();
    // The units' figures of the year so far (the assessment's): kept rows of the year.
    let (_, p) = plan::current(&app.store).await.unwrap().unwrap();
    let year = chrono::Datelike::year(&day);
    let kept_facts = assessment::facts(&app.store, office, &p, year, day)
        .await
        .unwrap();
    let (counted, counted_by_owner, counted_district, counted_facts) = {
        let rows = sqlx::query("UPDATE tally_state SET as_of = '1999-01-01'")
            .execute(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(rows.rows_affected(), 1);
        let t = obligations::tallies_sql(&app.store, office, day)
            .await
            .unwrap();
        let district = obligations::district_tally(&app.store, office, day)
            .await
            .unwrap();
        let by_owner = obligations::tallies_by_owner(&app.store, &owners, day)
            .await
            .unwrap();
        let facts = assessment::facts(&app.store, office, &p, year, day)
            .await
            .unwrap();
        sqlx::query("UPDATE tally_state SET as_of = $1")
            .bind(day.to_string())
            .execute(&app.store.pool)
            .await
            .unwrap();
        (t, by_owner, district, facts)
    };
    let by_unit = |facts: &[(assessment::UnitRef, qcity_domain::assessment::UnitFacts)]| {
        facts
            .iter()
            .map(|(u, f)| (u.id, f.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        by_unit(&kept_facts),
        by_unit(&counted_facts),
        "after {step}: the units' figures of {year}"
    );
    // The whole plan's figures in one row equal the sum of its cells, kept or counted.
    assert_eq!(kept_district, kept.district(), "after {step}");
    assert_eq!(counted_district, counted.district(), "after {step}");
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
    // Whether the units' figures compared held anything.
    kept_facts.iter().any(|(_, f)| f.reports_due > 0)
}

#[tokio::test]
async fn kept_figures_equal_a_recount_after_random_changes() {
    let app = crate::harness::TestApp::with_plan().await;
    let office = Actor::system("t");
    // Mid-2015: part of the plan entered 应完成 this year, part of it before, part not yet.
    let day = chrono::NaiveDate::from_ymd_opt(2015, 7, 10).unwrap();
    let cells = tallies::rebuild(&app.store, day).await.unwrap();
    assert!(cells > 10, "{cells} cells");
    assert_eq!(tallies::as_of(&app.store).await.unwrap(), Some(day));
    assert_exact(&app, &office, day, "the rebuild").await;

    let mut rng = Lcg(20261206);
    let mut changes = 0;
    let mut with_figures = 0;
    for step in 0..60 {
        let done =
            change_an_obligation(&app, &office, &mut rng, &format!("tally-{step:04}"), day).await;
        changes += usize::from(done);
        with_figures +=
            usize::from(assert_exact(&app, &office, day, &format!("step {step}")).await);
    }
    assert!(changes > 20, "only {changes} changes went through");
    // Work closed early entered this year's figures: the units' figures compared were not empty.
    assert!(
        with_figures > 10,
        "only {with_figures} steps had figures this year"
    );

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

/// The part of a page its figures are in (the frame around it names the reader).
fn main_of(page: &str) -> &str {
    let start = page.find("<main").unwrap_or(0);
    let end = page.find("</main>").unwrap_or(page.len());
    &page[start..end]
}

/// The overviews (and the assessment's scores) as two servers on one database show them: one keeping each view's figures at
/// the data's watermark (as `qcity serve` does), one computing them on every request.
async fn assert_same_views(
    app: &crate::harness::TestApp,
    fresh: &crate::harness::Sibling,
    readers: &[&reqwest::Client],
    step: &str,
) {
    for c in readers {
        for path in ["/", "/leader", "/supervision", "/indicators", "/assessment"] {
            let kept = c.get(app.url(path)).send().await.unwrap();
            assert_eq!(kept.status(), 200, "{path} after {step}");
            let kept = kept.text().await.unwrap();
            let computed = c.get(fresh.url(path)).send().await.unwrap();
            let computed = computed.text().await.unwrap();
            assert_eq!(
                main_of(&kept),
                main_of(&computed),
                "{path} after {step}: the kept view differs from a fresh one"
            );
        }
    }
}

/// Two servers on one database as of `day`: one keeping the views (as `qcity serve` does),
/// one computing them on every request.
async fn keeping_and_computing(
    day: chrono::NaiveDate,
) -> (crate::harness::TestApp, crate::harness::Sibling) {
    let config = || qcity_web::Config {
        today: Some(day),
        ..Default::default()
    };
    let app = crate::harness::TestApp::with_plan_and(config()).await;
    let fresh = app
        .sibling(qcity_web::Config {
            keep_views: false,
            ..config()
        })
        .await;
    (app, fresh)
}

/// The first obligation of the district not started as of `day`.
async fn not_started(
    app: &crate::harness::TestApp,
    office: &Actor,
    day: chrono::NaiveDate,
) -> obligations::Obligation {
    obligations::list(&app.store, office, &Filter::default(), day)
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.status == qcity_domain::supervision::ObligationStatus::NotStarted)
        .expect("an obligation not started")
}

#[tokio::test]
async fn kept_views_equal_fresh_ones_after_random_changes() {
    let day = chrono::NaiveDate::from_ymd_opt(2015, 3, 10).unwrap();
    let (app, fresh) = keeping_and_computing(day).await;
    let office_c = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    let leader_c = app.user("quzhang", Role::Leader, None).await;
    let readers = [&office_c, &leader_c];
    let office = Actor::system("t");
    assert_same_views(&app, &fresh, &readers, "the start").await;

    // The kept views are what is served: a change made behind the store's back (no audit
    // record, no notice) is not seen until the watermark moves.
    let ob = not_started(&app, &office, day).await;
    let kept_before = office_c.get(app.url("/supervision")).send().await.unwrap();
    let kept_before = kept_before.text().await.unwrap();
    sqlx::query("UPDATE obligations SET unit_id = unit_id, status = 'accepted', accepted_on = '2015-03-01' WHERE id = $1")
        .bind(ob.id)
        .execute(&app.store.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE tally_state SET as_of = '1999-01-01'")
        .execute(&app.store.pool)
        .await
        .unwrap();
    let kept_after = office_c.get(app.url("/supervision")).send().await.unwrap();
    let kept_after = kept_after.text().await.unwrap();
    assert_eq!(
        main_of(&kept_before),
        main_of(&kept_after),
        "served from the kept view"
    );
    let computed = office_c
        .get(fresh.url("/supervision"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        main_of(&kept_after),
        main_of(&computed.text().await.unwrap()),
        "the fresh view counts the changed row"
    );
    sqlx::query("UPDATE obligations SET status = $1, accepted_on = NULL WHERE id = $2")
        .bind(ob.status.as_str())
        .bind(ob.id)
        .execute(&app.store.pool)
        .await
        .unwrap();
    tallies::rebuild(&app.store, day).await.unwrap();

    let mut rng = Lcg(20261207);
    let plan = qcity_domain::plan::default_plan();
    let mut changes = 0;
    for step in 0..24 {
        let done = match rng.next(4) {
            0 | 1 => {
                change_an_obligation(&app, &office, &mut rng, &format!("views-{step:04}"), day)
                    .await
            }
            2 => {
                // An indicator value entered and approved.
                let ind = &plan.indicators[rng.next(plan.indicators.len())];
                let v = qcity_store::indicators::NewValue {
                    indicator: ind.code.clone(),
                    measure: String::new(),
                    year: 2014,
                    value: Some(50.0 + rng.next(50) as f64),
                    judged: None,
                    comment: "统计数据".into(),
                    source: "manual".into(),
                };
                match qcity_store::indicators::submit(
                    &app.store,
                    &office,
                    &plan,
                    v,
                    &Default::default(),
                )
                .await
                {
                    Ok(id) => qcity_store::indicators::decide(&app.store, &office, id, true, "")
                        .await
                        .is_ok(),
                    Err(_) => false,
                }
            }
            _ => {
                // The ladder sends its reminders and escalations (notices, not audited).
                let ladder = qcity_store::notices::Ladder::default();
                let later = day + chrono::Duration::days(rng.next(40) as i64);
                qcity_store::notices::supervise(&app.store, later, &ladder)
                    .await
                    .is_ok_and(|f| f.reminders + f.cuiban + f.duban + f.tongbao > 0)
            }
        };
        changes += usize::from(done);
        // Now and then the refresher computes the views again before they are read.
        if rng.next(2) == 0 {
            app.state.views.refresh(&app.state).await;
        }
        assert_same_views(&app, &fresh, &readers, &format!("step {step}")).await;
    }
    assert!(changes > 8, "only {changes} changes went through");

    // Deliveries are not audited, yet the office's home lists the failed ones: a delivery
    // queued, failed, failed again and then made each show at once.
    let now = chrono::Utc::now();
    let item = qcity_store::outbox::NewItem {
        channel: "webhook",
        recipient: "https://hooks.example.org/qcity",
        subject: "督办通知",
        body: "{}",
        dedupe_key: "views-delivery-1",
    };
    assert!(
        qcity_store::outbox::enqueue(&app.store, &item, now)
            .await
            .unwrap()
    );
    assert_same_views(&app, &fresh, &[&office_c], "a delivery queued").await;
    let id: i64 = sqlx::query_scalar("SELECT id FROM outbox WHERE dedupe_key = 'views-delivery-1'")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    for attempt in 1..=2 {
        qcity_store::outbox::mark_failed(&app.store, id, "connection refused", now)
            .await
            .unwrap();
        assert_same_views(&app, &fresh, &[&office_c], &format!("failure {attempt}")).await;
    }
    let home = office_c.get(app.url("/")).send().await.unwrap();
    assert!(
        main_of(&home.text().await.unwrap()).contains("督办通知"),
        "the failed delivery is on the office's home"
    );
    qcity_store::outbox::mark_delivered(&app.store, id, now)
        .await
        .unwrap();
    assert_same_views(&app, &fresh, &[&office_c], "the delivery made").await;
}

/// How often the kept views of `view` were had `how` (kept, computed, refreshed) on `app`.
fn view_count(app: &crate::harness::TestApp, view: &'static str, how: &'static str) -> u64 {
    app.state
        .metrics
        .views
        .get_or_create(&qcity_web::metrics::ViewLabels { view, how })
        .get()
}

#[tokio::test]
async fn views_read_lately_are_computed_again_after_a_change_before_anyone_asks() {
    let day = chrono::NaiveDate::from_ymd_opt(2015, 3, 10).unwrap();
    let (app, fresh) = keeping_and_computing(day).await;
    let leader_c = app.user("quzhang", Role::Leader, None).await;
    let office = Actor::system("t");
    let views = [
        ("/", "home"),
        ("/leader", "leader"),
        ("/supervision", "supervision"),
        ("/indicators", "indicators"),
    ];
    // Whatever the refresher does on its own, a view either computes its page or takes it.
    let had = |view| {
        view_count(&app, view, "computed")
            + view_count(&app, view, "kept")
            + view_count(&app, view, "refreshed")
    };
    assert_same_views(&app, &fresh, &[&leader_c], "the start").await;
    for (_, view) in views {
        assert!(view_count(&app, view, "computed") >= 1, "{view} computed");
    }

    let mut rng = Lcg(7);
    let mut refreshed_once = false;
    for step in 0..6 {
        // A change made through the store, not this server: only the refresher's tick (or
        // the call below) sees it.
        if !change_an_obligation(&app, &office, &mut rng, &format!("refresh-{step}"), day).await {
            continue;
        }
        let before: Vec<u64> = views.iter().map(|(_, v)| had(v)).collect();
        let computed: Vec<u64> = views
            .iter()
            .map(|(_, v)| view_count(&app, v, "computed"))
            .collect();
        let n = app.state.views.refresh(&app.state).await;
        // The background refresher may have been first; then this call finds fewer stale.
        refreshed_once |= n > 0;
        assert!(n <= views.len(), "refreshed {n} pages at step {step}");
        assert_same_views(&app, &fresh, &[&leader_c], &format!("refresh {step}")).await;
        for (i, (path, view)) in views.iter().enumerate() {
            assert_eq!(
                view_count(&app, view, "computed"),
                computed[i],
                "{path} was computed for its reader after the refresh (step {step})"
            );
            assert!(had(view) > before[i], "{path} was had after step {step}");
        }
    }
    assert!(refreshed_once, "no refresh found the pages stale");

    // A sign-in is audited but changes no figure: the kept views stand.
    let head = || async {
        sqlx::query_scalar::<_, i64>("SELECT seq FROM audit_head WHERE id = 1")
            .fetch_one(&app.store.pool)
            .await
            .unwrap()
    };
    let (mark, seq) = (
        qcity_store::audit::watermark(&app.store).await.unwrap(),
        head().await,
    );
    let _again = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    assert!(head().await > seq, "the sign-in is in the audit trail");
    assert_eq!(
        qcity_store::audit::watermark(&app.store).await.unwrap(),
        mark,
        "a sign-in moves no kept view"
    );
    assert_eq!(
        app.state.views.refresh(&app.state).await,
        0,
        "nothing to refresh"
    );

    // The frame is the reader's own at each view, though its figures were refreshed: a
    // notice sent to a unit shows in its badge on the page taken after the refresh.
    let ob = not_started(&app, &office, day).await;
    let unit_c = app
        .user("refresh.ll", Role::Unit, Some(&ob.unit_code))
        .await;
    let badge = |page: &str| {
        page.split_once("id=\"unread\">")
            .and_then(|(_, rest)| rest.split_once('<'))
            .map(|(n, _)| n.to_string())
    };
    let home = unit_c.get(app.url("/")).send().await.unwrap();
    let before = badge(&home.text().await.unwrap());
    let urged = qcity_store::notices::urge(&app.store, &office, &[ob.id], day)
        .await
        .unwrap();
    assert_eq!(urged.issued, 1, "the unit was urged");
    app.state.views.refresh(&app.state).await;
    let kept = unit_c.get(app.url("/")).send().await.unwrap();
    let kept = kept.text().await.unwrap();
    let computed = unit_c.get(fresh.url("/")).send().await.unwrap();
    let computed = computed.text().await.unwrap();
    assert_ne!(badge(&kept), before, "the unread badge moved");
    assert_eq!(
        badge(&kept),
        badge(&computed),
        "the badge after the refresh"
    );
    assert_eq!(
        main_of(&kept),
        main_of(&computed),
        "the unit's home after the refresh"
    );

    // On its own: a change made elsewhere is seen within the refresher's tick and the pages
    // are computed again before the leader reads them.
    let refreshed = view_count(&app, "leader", "refreshed");
    let mut changed = false;
    for step in 10..20 {
        changed |=
            change_an_obligation(&app, &office, &mut rng, &format!("tick-{step}"), day).await;
        if changed {
            break;
        }
    }
    assert!(changed, "a change went through");
    let mut waited = 0;
    while view_count(&app, "leader", "refreshed") == refreshed {
        assert!(
            waited < 100,
            "the refresher did not compute the leader's view in 10 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 1;
    }
    let computed = view_count(&app, "leader", "computed");
    assert_same_views(&app, &fresh, &[&leader_c], "the tick").await;
    assert_eq!(
        view_count(&app, "leader", "computed"),
        computed,
        "the leader's view was served as refreshed"
    );
}
