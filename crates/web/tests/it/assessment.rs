//! Unit performance assessment: scores counted from the supervision data and ranked as the
//! scheme says, the drill-down's exact points, evaluators' ratings in a window, the scheme
//! editor, who may do what, and the export.

use crate::harness::{ADMIN_PASSWORD, PASSWORD, TestApp, body, create_user};
use chrono::{Datelike, NaiveDate};
use qcity_domain::role::Role;
use qcity_store::obligations::{
    self, EvidencePolicy, Filter, Obligation, ObligationStatus, ReportInput,
};
use qcity_store::{Actor, Store};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn report(submit: bool, token: &str) -> ReportInput {
    ReportInput {
        body: "已完成".into(),
        percent: 100,
        submit,
        form_token: token.into(),
        files: vec![],
    }
}

/// Points as the pages show them: one decimal, no trailing ".0".
fn pts(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

async fn actor(store: &Store, username: &str) -> Actor {
    qcity_store::users::get(store, &Actor::system("t"), username)
        .await
        .unwrap()
        .actor("127.0.0.1", "t")
}

/// The unit's live obligations due in 2014, by due date.
async fn due_2014(store: &Store, unit: &str) -> Vec<Obligation> {
    let f = Filter {
        unit: Some(unit.into()),
        ..Default::default()
    };
    obligations::list(store, &Actor::system("t"), &f, d(2015, 2, 10))
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.due().unwrap().year() == 2014)
        .collect()
}

/// The lead obligations of a unit due between March and November 2014.
async fn led(store: &Store, unit: &str, at_least: usize) -> Vec<Obligation> {
    let led: Vec<Obligation> = due_2014(store, unit)
        .await
        .into_iter()
        .filter(|o| o.duty.is_lead() && o.due().unwrap() >= d(2014, 3, 1))
        .filter(|o| o.due().unwrap() <= d(2014, 11, 30))
        .collect();
    assert!(
        led.len() >= at_least,
        "{unit} leads {at_least} obligations due in 2014"
    );
    led
}

async fn version(store: &Store, id: i64) -> i64 {
    obligations::get(store, &Actor::system("t"), id)
        .await
        .unwrap()
        .row_version
}

/// The expected total recounted from the obligations with the default weights (30 on time,
/// 15 timeliness, 25 indicators, 10 returns, 20 ratings); a part without data gives its
/// weight to the parts with data in proportion. No indicator has data in these tests.
async fn expected(
    store: &Store,
    unit: &str,
    submitted: u32,
    returned: u32,
    ratings: &[f64],
) -> (f64, Vec<f64>) {
    let all = due_2014(store, unit).await;
    // On time, as on every page: handed in (and not returned since) by the due date.
    let on_time = |o: &&Obligation| {
        matches!(
            o.status,
            ObligationStatus::Accepted | ObligationStatus::Submitted
        ) && o
            .submitted_on
            .as_deref()
            .is_some_and(|s| s <= o.due_date.as_str())
    };
    let led: Vec<&Obligation> = all.iter().filter(|o| o.duty.is_lead()).collect();
    let led_on_time = led.iter().filter(|o| on_time(o)).count();
    let reports_on_time = all.iter().filter(|o| on_time(o)).count();
    let mut parts: Vec<(f64, Option<f64>)> = vec![
        (
            30.0,
            (!led.is_empty()).then(|| led_on_time as f64 / led.len() as f64),
        ),
        (
            15.0,
            (!all.is_empty()).then(|| reports_on_time as f64 / all.len() as f64),
        ),
        (25.0, None),
        (
            10.0,
            (submitted > 0).then(|| 1.0 - f64::from(returned) / f64::from(submitted)),
        ),
        (
            20.0,
            (!ratings.is_empty())
                .then(|| ratings.iter().map(|r| r / 100.0).sum::<f64>() / ratings.len() as f64),
        ),
    ];
    let with_data: f64 = parts.iter().filter(|p| p.1.is_some()).map(|p| p.0).sum();
    let points: Vec<f64> = parts
        .iter_mut()
        .map(|(w, share)| share.map_or(0.0, |s| *w * 100.0 / with_data * s))
        .collect();
    (points.iter().sum(), points)
}

#[tokio::test]
async fn scores_rank_units_as_the_scheme_says_and_ratings_count_only_in_the_window() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    create_user(store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    // The second unit: the first other member unit leading work due in March–November 2014.
    let other = obligations::list(
        store,
        &Actor::system("t"),
        &Filter::default(),
        d(2015, 2, 10),
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|o| o.unit_code != "ZJFJ" && o.duty.is_lead())
    .filter(|o| (d(2014, 3, 1)..=d(2014, 11, 30)).contains(&o.due().unwrap()))
    .map(|o| o.unit_code)
    .min()
    .unwrap();
    let other = other.as_str();
    create_user(store, "nw.staff", Role::Unit, Some(other), PASSWORD).await;
    let zjfj = actor(store, "zjfj.staff").await;
    let nw = actor(store, "nw.staff").await;
    let office = Actor::system("office");
    let policy = EvidencePolicy::default();

    // 区质监分局: one obligation handed in on its due date and accepted; another handed in
    // on time but returned (退回).
    let mut z = led(store, "ZJFJ", 2).await;
    let (z1, z2) = (z.remove(0), z.remove(0));
    let z1_due = z1.due().unwrap();
    obligations::report(
        store,
        &zjfj,
        z1.id,
        report(true, "tok-z1-xxxxxxxxxxxx"),
        &policy,
        z1_due,
    )
    .await
    .unwrap();
    let v = version(store, z1.id).await;
    obligations::review(store, &office, z1.id, true, "", v, z1_due)
        .await
        .unwrap();
    let z2_due = z2.due().unwrap();
    obligations::report(
        store,
        &zjfj,
        z2.id,
        report(true, "tok-z2-xxxxxxxxxxxx"),
        &policy,
        z2_due,
    )
    .await
    .unwrap();
    let v = version(store, z2.id).await;
    obligations::review(store, &office, z2.id, false, "材料不全", v, z2_due)
        .await
        .unwrap();
    // The other unit: one obligation handed in five days late and accepted.
    let n1 = led(store, other, 1).await.remove(0);
    let late = n1.due().unwrap() + chrono::Days::new(5);
    obligations::report(
        store,
        &nw,
        n1.id,
        report(true, "tok-n1-xxxxxxxxxxxx"),
        &policy,
        late,
    )
    .await
    .unwrap();
    let v = version(store, n1.id).await;
    obligations::review(store, &office, n1.id, true, "", v, late)
        .await
        .unwrap();

    let (z_total, z_points) = expected(store, "ZJFJ", 2, 1, &[]).await;
    let (n_total, _) = expected(store, other, 1, 0, &[]).await;
    assert!(z_total > 0.0 && n_total > 0.0 && (z_total - n_total).abs() > 0.05);
    // Every other unit handed in nothing: 0 points. The two rank first and second as their
    // recounted totals say.
    let (first, second) = if z_total > n_total {
        ("ZJFJ", other)
    } else {
        (other, "ZJFJ")
    };

    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(
        admin
            .get(app.url("/assessment?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&format!("<tr id=\"u-{first}\"><td class=\"rank\">1</td>")),
        "{page}"
    );
    assert!(page.contains(&format!("<tr id=\"u-{second}\"><td class=\"rank\">2</td>")));
    assert!(page.find(&format!("u-{first}")).unwrap() < page.find(&format!("u-{second}")).unwrap());
    assert!(page.contains("<td class=\"rank\">3</td><td>"));
    assert!(page.contains(&format!("<td class=\"total\">{}</td>", pts(z_total))));
    assert!(page.contains(&format!("<td class=\"total\">{}</td>", pts(n_total))));
    assert!(
        page.contains("并非官方考核办法"),
        "the weights are said to be an assumption"
    );

    // The drill-down shows each part's exact points and the facts behind them.
    let drill = body(
        admin
            .get(app.url("/assessment/ZJFJ?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(drill.contains(&format!("<span id=\"unit-total\">{}</span>", pts(z_total))));
    for p in [z_points[0], z_points[1], z_points[3]] {
        assert!(
            drill.contains(&format!("<td class=\"points\">{}</td>", pts(p))),
            "{p}: {drill}"
        );
    }
    assert!(drill.contains("报送 2 份，被退回 1 份"), "{drill}");
    assert!(drill.contains("无有数据的指标"));
    assert!(drill.contains("href=\"/obligations?unit=ZJFJ\""));

    // A unit's staff see their own drill-down, not another unit's, and may not act.
    let unit = app.login("zjfj.staff", PASSWORD).await;
    let res = unit
        .get(app.url("/assessment?period=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = unit
        .get(app.url("/assessment/ZJFJ?period=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = unit
        .get(app.url(&format!("/assessment/{other}?period=2014")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // The office opens a window for 2014; an evaluator rates 区质监分局 80.
    let res = admin
        .post(app.url("/assessment/windows"))
        .form(&[
            ("title", "2014年度评议"),
            ("period", "2014"),
            ("opens_on", "2015-02-01"),
            ("closes_on", "2015-02-28"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let windows = qcity_store::assessment::windows(store, &office)
        .await
        .unwrap();
    let open_id = windows[0].id;
    let res = unit
        .post(app.url(&format!("/assessment/windows/{open_id}/ratings")))
        .form(&[("unit", "ZJFJ"), ("score", "100"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "unit staff cannot rate");
    let evaluator = app.user("rd.daibiao", Role::Evaluator, None).await;
    let page = body(
        evaluator
            .get(app.url("/assessment?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains(&format!("href=\"/assessment/windows/{open_id}/sheet\"")));
    // Rating is blind: no totals or ranks while the window is open.
    assert!(page.contains("id=\"blind\"") && !page.contains("class=\"total\""));
    assert!(!page.contains("class=\"rank\""));
    let res = evaluator
        .post(app.url(&format!("/assessment/windows/{open_id}/ratings")))
        .form(&[("unit", "ZJFJ"), ("score", "60"), ("comment", "一般")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Changed while the window is open: the newer rating replaces the older.
    let res = evaluator
        .post(app.url(&format!("/assessment/windows/{open_id}/ratings")))
        .form(&[("unit", "ZJFJ"), ("score", "80"), ("comment", "较好")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (rated_total, rated_points) = expected(store, "ZJFJ", 2, 1, &[80.0]).await;
    // With ratings the four parts with data share 100 among 75 points of weight.
    let by_hand = z_points[0] * 55.0 / 75.0
        + z_points[1] * 55.0 / 75.0
        + z_points[3] * 55.0 / 75.0
        + 20.0 * 100.0 / 75.0 * 0.8;
    assert!((rated_total - by_hand).abs() < 1e-9);
    let drill = body(
        admin
            .get(app.url("/assessment/ZJFJ?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        drill.contains(&format!(
            "<span id=\"unit-total\">{}</span>",
            pts(rated_total)
        )),
        "{drill}"
    );
    assert!(drill.contains(&format!(
        "<td class=\"points\">{}</td>",
        pts(rated_points[4])
    )));
    assert!(drill.contains("评议 1 份（80/100）"));

    // Outside a window a rating is refused with the reason, and nothing changes.
    let res = admin
        .post(app.url("/assessment/windows"))
        .form(&[
            ("title", "补充评议"),
            ("period", "2014"),
            ("opens_on", "2015-03-01"),
            ("closes_on", "2015-03-31"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let later = qcity_store::assessment::windows(store, &office)
        .await
        .unwrap()[0]
        .id;
    let res = evaluator
        .post(app.url(&format!("/assessment/windows/{later}/ratings")))
        .form(&[("unit", other), ("score", "90"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(body(res).await.contains("不在评议期内"));
    let res = admin
        .post(app.url(&format!("/assessment/windows/{open_id}/close")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = evaluator
        .post(app.url(&format!("/assessment/windows/{open_id}/ratings")))
        .form(&[("unit", "ZJFJ"), ("score", "10"), ("comment", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let ratings = qcity_store::assessment::ratings(store, &office, open_id)
        .await
        .unwrap();
    assert_eq!(ratings.len(), 1);
    assert_eq!(ratings[0].score, 80.0);
    // Every change is in the audit trail.
    let audited: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'assessment.%'",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(audited, 5, "two windows opened, two ratings, one close");

    // The export: an XLSX whose first sheet lists the units, best first.
    let res = admin
        .get(app.url("/assessment/export.xlsx?period=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK\x03\x04"));
    let rows = qcity_exchange::assessment::first_sheet_text(&bytes).unwrap();
    let zjfj_name = qcity_store::units::get(store, &office, "ZJFJ")
        .await
        .unwrap()
        .name;
    assert_eq!(rows[2][1], "ZJFJ");
    assert_eq!(rows[2][2], zjfj_name);
    // Total, the five parts and the deductions: the columns add up (each rounded to 0.1).
    assert_eq!(rows[1][9], "扣分与调整");
    for r in &rows[2..] {
        let n = |i: usize| r[i].parse::<f64>().unwrap_or(f64::NAN);
        let sum: f64 = (4..=9).map(n).sum();
        assert!((n(3) - sum).abs() <= 0.3 + 1e-9, "{r:?}");
    }
    assert!(rows.iter().any(|r| r.get(1).is_some_and(|c| c == other)));
    let res = admin
        .get(app.url("/assessment/export.docx?period=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"PK\x03\x04"));

    // The same evaluator rates again in the second window of the period: the latest rating
    // counts, once (two windows do not weigh one evaluator twice).
    let rater = actor(store, "rd.daibiao").await;
    qcity_store::assessment::rate(store, &rater, later, "ZJFJ", 40.0, "", d(2015, 3, 5))
        .await
        .unwrap();
    let (total_40, _) = expected(store, "ZJFJ", 2, 1, &[40.0]).await;
    let drill = body(
        admin
            .get(app.url("/assessment/ZJFJ?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(drill.contains("评议 1 份（40/100）"), "{drill}");
    assert!(drill.contains(&format!("<span id=\"unit-total\">{}</span>", pts(total_40))));
}

#[tokio::test]
async fn the_scheme_editor_is_the_offices_and_refuses_a_bad_scheme() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    })
    .await;
    let unit = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let good = qcity_domain::assessment::DEFAULT_SCHEME_TOML.replace(
        "name = \"QCity 默认成员单位绩效考核方案\"",
        "name = \"惠济区2014年考核方案\"",
    );
    let res = unit
        .post(app.url("/assessment/scheme"))
        .form(&[("scheme", good.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let leader = app.user("leader1", Role::Leader, None).await;
    let res = leader
        .post(app.url("/assessment/scheme"))
        .form(&[("scheme", good.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let bad = qcity_domain::assessment::DEFAULT_SCHEME_TOML.replace("ratings = 20", "ratings = 25");
    let res = admin
        .post(app.url("/assessment/scheme"))
        .form(&[("scheme", bad.as_str()), ("period", "2014")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = body(res).await;
    assert!(page.contains("各项权重合计 105"), "{page}");
    assert!(page.contains("原方案继续有效"));
    let res = admin
        .post(app.url("/assessment/scheme"))
        .form(&[("scheme", "name = ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("考核方案无法读取"));
    let (scheme, version) =
        qcity_store::assessment::current_scheme(&app.store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert!(version.is_none(), "nothing was saved");
    assert_eq!(scheme.weights.ratings, 20.0);

    let res = admin
        .post(app.url("/assessment/scheme"))
        .form(&[("scheme", good.as_str()), ("period", "2014")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(
        admin
            .get(app.url("/assessment?period=2014&saved=1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("惠济区2014年考核方案") && page.contains("id=\"scheme-saved\""));
    // A scheme saved for 2015 scores 2015 on; 2014 keeps the scheme it was scored by.
    let next = qcity_domain::assessment::DEFAULT_SCHEME_TOML.replace(
        "name = \"QCity 默认成员单位绩效考核方案\"",
        "name = \"惠济区2015年考核方案\"",
    );
    let res = admin
        .post(app.url("/assessment/scheme"))
        .form(&[("scheme", next.as_str()), ("period", "2015")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (y2014, v2014) =
        qcity_store::assessment::scheme_for(&app.store, &qcity_store::Actor::system("t"), 2014)
            .await
            .unwrap();
    let (y2015, v2015) =
        qcity_store::assessment::scheme_for(&app.store, &qcity_store::Actor::system("t"), 2015)
            .await
            .unwrap();
    assert_eq!(
        (y2014.name.as_str(), v2014.map(|v| v.applies_from)),
        ("惠济区2014年考核方案", Some(2014))
    );
    assert_eq!(
        (y2015.name.as_str(), v2015.map(|v| v.applies_from)),
        ("惠济区2015年考核方案", Some(2015))
    );
    let (before, _) =
        qcity_store::assessment::scheme_for(&app.store, &qcity_store::Actor::system("t"), 2013)
            .await
            .unwrap();
    assert_eq!(before.name, "QCity 默认成员单位绩效考核方案");
    let page = body(
        admin
            .get(app.url("/assessment?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("惠济区2014年考核方案") && page.contains("自 2014 年度起适用"));

    // The leaders' page: phase, risks, overdue work, weakest units, bulletin.
    let page = body(leader.get(app.url("/leader")).send().await.unwrap()).await;
    assert!(page.contains("id=\"leader-phase\""), "{page}");
    assert!(page.contains("href=\"/acceptance\"") && page.contains("尚未开展验收自评"));
    let overdue = obligations::list(
        &app.store,
        &Actor::system("t"),
        &Filter {
            overdue_only: true,
            ..Default::default()
        },
        d(2015, 2, 10),
    )
    .await
    .unwrap()
    .len();
    assert!(overdue > 0);
    assert!(
        page.contains(&format!("逾期事项（按单位） ({overdue})")),
        "{page}"
    );
    assert!(page.contains("id=\"worst\"") && page.contains("尚未印发质量分析报告"));
    // 2013, before the plan: nothing to count, so no unit has a score or a rank (not 0).
    let early = body(
        admin
            .get(app.url("/assessment?period=2013"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(early.contains("<td class=\"total\">未评分</td>"), "{early}");
    assert!(!early.contains("<td class=\"rank\">1</td>"), "{early}");
    let drill = body(
        admin
            .get(app.url("/assessment/ZJFJ?period=2013"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(drill.contains("id=\"unit-unscored\""), "{drill}");
    let res = unit.get(app.url("/leader")).send().await.unwrap();
    assert_eq!(res.status(), 403);
}

/// A scheme workbook as the import form sends it.
fn scheme_upload(bytes: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().text("period", "2014").part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name("考核方案.xlsx"),
    )
}

/// The default scheme's rows with some values replaced, as a workbook.
fn scheme_workbook(changes: &[(&str, &str)]) -> Vec<u8> {
    let mut rows = qcity_domain::assessment::Scheme::default_scheme().to_rows();
    for (code, value) in changes {
        rows.iter_mut()
            .find(|r| r.code == *code)
            .unwrap_or_else(|| panic!("no row {code}"))
            .value = (*value).to_string();
    }
    qcity_exchange::assessment::scheme_rows_to_xlsx(&rows, qcity_domain::target::Lang::ZhCn)
        .unwrap()
}

#[tokio::test]
async fn the_scheme_is_exported_and_imported_whole_or_not_at_all() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    let default = qcity_domain::assessment::Scheme::default_scheme();
    let edited = scheme_workbook(&[("on_time", "40"), ("ratings", "10")]);

    // Units and leaders may download the scheme but not import one.
    let unit = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let leader = app.user("leader1", Role::Leader, None).await;
    for client in [&unit, &leader] {
        let res = client
            .get(app.url("/assessment/scheme.xlsx"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = client
            .post(app.url("/assessment/scheme/import"))
            .multipart(scheme_upload(edited.clone()))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 403);
    }
    let (_, version) =
        qcity_store::assessment::current_scheme(store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert!(version.is_none(), "nothing was imported");

    // The office's page links the download and the upload form.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(
        admin
            .get(app.url("/assessment?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("href=\"/assessment/scheme.xlsx?period=2014\""),
        "{page}"
    );
    assert!(page.contains("action=\"/assessment/scheme/import\""));
    assert!(page.contains("下载考核方案（Excel）"));

    // The export is the scheme in force, one setting per row.
    let res = admin
        .get(app.url("/assessment/scheme.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let exported = res.bytes().await.unwrap().to_vec();
    let rows = qcity_exchange::assessment::read_scheme_xlsx(&exported).unwrap();
    assert_eq!(rows, default.to_rows());
    let cells = qcity_exchange::assessment::first_sheet_text(&exported).unwrap();
    assert_eq!(cells[0], ["代码", "项目", "分值或内容", "说明"]);

    // A weight moved from ratings to on-time completion, the sum still 100: saved, and the
    // scores use it.
    let res = admin
        .post(app.url("/assessment/scheme/import"))
        .multipart(scheme_upload(edited))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"].to_str().unwrap(),
        "/assessment?period=2014&saved=1"
    );
    let (in_force, version) =
        qcity_store::assessment::current_scheme(store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    let version = version.expect("a new version").id;
    assert_eq!(in_force.weights.on_time, 40.0);
    assert_eq!(in_force.weights.ratings, 10.0);
    assert_eq!(
        (&in_force.name, &in_force.note_zh, in_force.red_notice_cap),
        (&default.name, &default.note_zh, default.red_notice_cap)
    );
    let page = body(
        admin
            .get(app.url("/assessment?period=2014&saved=1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"scheme-saved\""));
    assert!(
        page.contains("<tr><td>按时完成任务</td><td>40</td>"),
        "{page}"
    );
    // 区质监分局 has obligations and reports due but nothing else with data: on-time
    // completion and timeliness share the 45 points of the parts without data.
    let drill = body(
        admin
            .get(app.url("/assessment/ZJFJ?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(drill.contains("权重 40 分；无数据项目的 45 分"), "{drill}");
    let audited: i64 = sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'assessment.scheme.save'",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);

    // Refused workbooks: 422 with the row and the reason; the imported scheme stays in force.
    let mut book = rust_xlsxwriter::Workbook::new();
    let ws = book.add_worksheet();
    for (c, h) in ["代码", "项目", "说明"].iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in default.to_rows().iter().enumerate() {
        ws.write_string(r as u32 + 1, 0, &row.code).unwrap();
        ws.write_string(r as u32 + 1, 1, &row.label).unwrap();
    }
    let no_value_column = book.save_to_buffer().unwrap();
    let refusals: [(&str, Vec<u8>, &str); 5] = [
        (
            "the value column removed",
            no_value_column,
            "第 1 行：缺少“分值或内容”列",
        ),
        (
            "a negative weight",
            scheme_workbook(&[("returns", "-10"), ("on_time", "50")]),
            "第 8 行：“报送质量”的权重为 -10，不能为负数",
        ),
        (
            "weights adding up to 105",
            scheme_workbook(&[("ratings", "25")]),
            "第 5 行：各项权重（第 5、6、7、8、9 行）合计 105（30 + 15 + 25 + 10 + 25），应为 100 分",
        ),
        (
            "a weight that is not a number",
            scheme_workbook(&[("indicators", "二十五")]),
            "第 7 行：“指标达成”的权重为“二十五”，不是数字",
        ),
        (
            "a file that is not a workbook",
            b"name = \"x\"".to_vec(),
            "文件不是可读取的 XLSX 工作簿",
        ),
    ];
    for (what, bytes, reason) in refusals {
        let res = admin
            .post(app.url("/assessment/scheme/import"))
            .multipart(scheme_upload(bytes))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 422, "{what}");
        let page = body(res).await;
        assert!(page.contains("id=\"scheme-errors\""), "{what}: {page}");
        assert!(page.contains("原方案继续有效"), "{what}");
        assert!(page.contains(reason), "{what}: {page}");
        let (still, v) =
            qcity_store::assessment::current_scheme(store, &qcity_store::Actor::system("t"))
                .await
                .unwrap();
        assert_eq!(v.map(|v| v.id), Some(version), "{what}: nothing was saved");
        assert_eq!(still, in_force, "{what}");
    }

    // In English, the reasons are in English.
    let res = admin
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("back", "/assessment")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = admin
        .post(app.url("/assessment/scheme/import"))
        .multipart(scheme_upload(scheme_workbook(&[("returns", "-10")])))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = body(res).await;
    assert!(
        page.contains("row 8: the weight of “Report quality” is -10, a negative number"),
        "{page}"
    );
    assert!(page.contains("Download the scheme (Excel)"));
    // The English export reads back to the scheme in force.
    let res = admin
        .get(app.url("/assessment/scheme.xlsx"))
        .send()
        .await
        .unwrap();
    let en = res.bytes().await.unwrap().to_vec();
    assert_eq!(
        qcity_exchange::assessment::first_sheet_text(&en).unwrap()[0],
        ["Code", "Item", "Value", "Explanation"]
    );
    assert_eq!(
        qcity_exchange::assessment::scheme_from_xlsx(&en).unwrap(),
        in_force
    );
}

/// A clerk edits the exported scheme and saves it with LibreOffice; it imports as edited.
#[tokio::test]
async fn a_scheme_saved_by_libreoffice_imports() {
    let written = scheme_workbook(&[("on_time", "35"), ("timeliness", "10")]);
    let Some(saved) =
        crate::indicators::libreoffice::resave_xlsx("scheme import via LibreOffice", &written)
    else {
        return;
    };
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    })
    .await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let res = admin
        .post(app.url("/assessment/scheme/import"))
        .multipart(scheme_upload(saved))
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert_eq!(status, 303, "{}", body(res).await);
    let (in_force, version) =
        qcity_store::assessment::current_scheme(&app.store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert!(version.is_some());
    let mut expected = qcity_domain::assessment::Scheme::default_scheme();
    expected.weights.on_time = 35.0;
    expected.weights.timeliness = 10.0;
    assert_eq!(in_force, expected);
}

#[tokio::test]
async fn an_evaluator_rates_every_unit_on_one_sheet_drafts_first_then_submits_once() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    let office = Actor::system("office");
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let res = admin
        .post(app.url("/assessment/windows"))
        .form(&[
            ("title", "2014年度评议"),
            ("period", "2014"),
            ("opens_on", "2015-02-01"),
            ("closes_on", "2015-02-28"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let id = qcity_store::assessment::windows(store, &office)
        .await
        .unwrap()[0]
        .id;
    let units = qcity_store::assessment::member_units(store, &qcity_store::Actor::system("t"))
        .await
        .unwrap();
    assert!(units.len() > 3);
    let evaluator = app.user("zx.weiyuan", Role::Evaluator, None).await;
    let sheet_url = app.url(&format!("/assessment/windows/{id}/sheet"));
    let sheet = body(evaluator.get(sheet_url.clone()).send().await.unwrap()).await;
    for u in &units {
        assert!(
            sheet.contains(&format!("name=\"score-{}\"", u.code)),
            "{}",
            u.code
        );
    }
    // A draft with blanks is kept but counts for nothing yet.
    let first = &units[0].code;
    let res = evaluator
        .post(sheet_url.clone())
        .form(&[
            (format!("score-{first}"), "85".to_string()),
            (format!("comment-{first}"), "材料齐全".to_string()),
            ("action".to_string(), "draft".to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let saved = body(
        evaluator
            .get(app.url(res.headers()["location"].to_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(saved.contains("已保存草稿：1 个单位已打分") && saved.contains("value=\"85\""));
    let facts = qcity_store::assessment::facts(
        store,
        &qcity_store::Actor::system("t"),
        &qcity_domain::plan::default_plan(),
        2014,
        d(2014, 12, 31),
    )
    .await
    .unwrap();
    assert!(
        facts.iter().all(|(_, f)| f.ratings.is_empty()),
        "a draft does not count"
    );
    // Submitting an incomplete sheet is refused, the missing unit marked, all typed kept.
    let mut form: Vec<(String, String)> = vec![
        (format!("score-{first}"), "85".into()),
        (format!("comment-{first}"), "材料齐全".into()),
        ("action".into(), "submit".into()),
    ];
    let res = evaluator
        .post(sheet_url.clone())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    assert!(refused.contains("提交前请为这个单位打分") && refused.contains("材料齐全"));
    // A score out of range names its unit.
    form.push((format!("score-{}", units[1].code), "120".into()));
    let refused = body(
        evaluator
            .post(sheet_url.clone())
            .form(&form)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(refused.contains(&format!("id=\"sheet-{}\"", units[1].code)));
    // Complete: submitted once; then every rating counts and the sheet is final.
    form.retain(|(k, _)| !k.starts_with("score-") || k == &format!("score-{first}"));
    for u in &units[1..] {
        form.push((format!("score-{}", u.code), "70".into()));
    }
    let res = evaluator
        .post(sheet_url.clone())
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let done = body(
        evaluator
            .get(app.url(res.headers()["location"].to_str().unwrap()))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(done.contains(&format!("已提交 {} 个单位的评分", units.len())));
    assert!(done.contains("id=\"sheet-final\"") && !done.contains("id=\"sheet-submit\""));
    let facts = qcity_store::assessment::facts(
        store,
        &qcity_store::Actor::system("t"),
        &qcity_domain::plan::default_plan(),
        2014,
        d(2014, 12, 31),
    )
    .await
    .unwrap();
    assert!(facts.iter().all(|(_, f)| f.ratings.len() == 1));
    let res = evaluator.post(sheet_url).form(&form).send().await.unwrap();
    assert_eq!(res.status(), 409, "submitted once");
    // Blind until the window closes: the evaluator sees a unit's facts, not its score.
    let unit_page = body(
        evaluator
            .get(app.url(&format!("/assessment/{first}?period=2014")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(unit_page.contains("id=\"blind\"") && !unit_page.contains("unit-total"));
}

#[tokio::test]
async fn the_api_opens_windows_and_takes_a_rating_sheet_as_the_page_does() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    })
    .await;
    let t = |name: &'static str| {
        let store = app.store.clone();
        async move {
            qcity_store::users::create_token(&store, &Actor::system("t"), name, "ci")
                .await
                .unwrap()
        }
    };
    create_user(&app.store, "rd.api", Role::Evaluator, None, PASSWORD).await;
    let (office, evaluator) = (t("admin").await, t("rd.api").await);
    let client = reqwest::Client::new();
    let send =
        |method: reqwest::Method, token: &str, path: &str, body: Option<serde_json::Value>| {
            let mut r = client.request(method, app.url(path)).bearer_auth(token);
            if let Some(b) = body {
                r = r.json(&b);
            }
            r.send()
        };
    use reqwest::Method;
    let window = serde_json::json!({"title": "2014年度评议", "period": 2014, "opens_on": "2015-02-01", "closes_on": "2015-02-28"});
    assert_eq!(
        send(
            Method::POST,
            &evaluator,
            "/api/v1/assessment/windows",
            Some(window.clone())
        )
        .await
        .unwrap()
        .status(),
        403
    );
    let res = send(
        Method::POST,
        &office,
        "/api/v1/assessment/windows",
        Some(window),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let sheet = format!("/api/v1/assessment/windows/{id}/sheet");
    let units = qcity_store::assessment::member_units(&app.store, &qcity_store::Actor::system("t"))
        .await
        .unwrap();
    // Blind while the window is open.
    assert_eq!(
        send(
            Method::GET,
            &evaluator,
            "/api/v1/assessment/scores?period=2014",
            None
        )
        .await
        .unwrap()
        .status(),
        403
    );
    // A draft, then an incomplete submission refused, then the complete one, once.
    let draft = serde_json::json!({"lines": [{"unit": units[0].code, "score": 88, "comment": "好"}], "submit": false});
    assert_eq!(
        send(Method::PUT, &evaluator, &sheet, Some(draft))
            .await
            .unwrap()
            .status(),
        204
    );
    let got: serde_json::Value = send(Method::GET, &evaluator, &sheet, None)
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (got["lines"][0]["score"].as_f64(), got["submit"].as_bool()),
        (Some(88.0), Some(false))
    );
    let partial =
        serde_json::json!({"lines": [{"unit": units[0].code, "score": 88}], "submit": true});
    assert_eq!(
        send(Method::PUT, &evaluator, &sheet, Some(partial))
            .await
            .unwrap()
            .status(),
        422
    );
    let lines: Vec<serde_json::Value> = units
        .iter()
        .map(|u| serde_json::json!({"unit": u.code, "score": 75}))
        .collect();
    let full = serde_json::json!({"lines": lines, "submit": true});
    assert_eq!(
        send(Method::PUT, &evaluator, &sheet, Some(full.clone()))
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        send(Method::PUT, &evaluator, &sheet, Some(full))
            .await
            .unwrap()
            .status(),
        409
    );
    // Closed by the office: the scores are no longer hidden.
    assert_eq!(
        send(
            Method::POST,
            &office,
            &format!("/api/v1/assessment/windows/{id}/close"),
            None
        )
        .await
        .unwrap()
        .status(),
        204
    );
    assert_eq!(
        send(
            Method::GET,
            &evaluator,
            "/api/v1/assessment/scores?period=2014",
            None
        )
        .await
        .unwrap()
        .status(),
        200
    );
}
