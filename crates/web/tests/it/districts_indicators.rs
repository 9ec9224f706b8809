//! Indicators per district: a second district's office enters, imports and approves its own
//! values and nothing of the home district's (by page, API or export); every state-changing
//! indicators route, walked by that office against the home district's records, changes
//! nothing of them; the city's leader compares the districts, a rate's city figure being the
//! sum of the numerators over the sum of the denominators, never the mean of the rates.

use crate::districts::{cell, jinshui, office_of, unit_id};
use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use qcity_domain::org::Ratio;
use qcity_domain::plan::{Plan, default_plan};
use qcity_domain::role::Role;
use qcity_store::indicators::{self, NewValue};
use qcity_store::{Actor, plan};

fn day() -> chrono::NaiveDate {
    chrono::NaiveDate::from_ymd_opt(2014, 12, 1).unwrap()
}

fn new_value(indicator: &str, measure: &str, value: Option<f64>, comment: &str) -> NewValue {
    NewValue {
        indicator: indicator.into(),
        measure: measure.into(),
        year: 2014,
        value,
        judged: None,
        comment: comment.into(),
        source: "manual".into(),
    }
}

/// Enters a value for `actor`'s district (with a rate's counts when given) and approves it.
async fn approved(
    app: &TestApp,
    actor: &Actor,
    plan: &Plan,
    v: NewValue,
    parts: Option<(f64, f64)>,
) -> i64 {
    let parts = parts.map(|(numerator, denominator)| Ratio {
        numerator,
        denominator,
    });
    let id = indicators::submit_with_parts(&app.store, actor, plan, v, parts, &Default::default())
        .await
        .unwrap();
    indicators::decide(&app.store, actor, id, true, "")
        .await
        .unwrap();
    id
}

/// A city of two districts: Huiji (home) and Jinshui, which took the plan over.
async fn city() -> (TestApp, i64, i64) {
    let app = TestApp::with_plan().await;
    plan::add_district(&app.store, &Actor::system("t"), &jinshui(), day())
        .await
        .unwrap();
    let huiji = unit_id(&app, "HUIJI").await;
    let js = unit_id(&app, "JINSHUI").await;
    (app, huiji, js)
}

/// Everything of a district the indicators module keeps, as text rows.
async fn snapshot(app: &TestApp, owner: i64) -> Vec<String> {
    let mut rows: Vec<String> = sqlx::query_as::<
        _,
        (
            i64,
            String,
            String,
            Option<f64>,
            Option<f64>,
            Option<f64>,
            String,
            i64,
        ),
    >(
        "SELECT id, indicator, status, value, numerator, denominator, comment, version \
         FROM indicator_values WHERE owner_id = $1 ORDER BY id",
    )
    .bind(owner)
    .fetch_all(&app.store.pool)
    .await
    .unwrap()
    .into_iter()
    .map(|r| format!("{r:?}"))
    .collect();
    rows.extend(
        sqlx::query_as::<_, (String, i64)>(
            "SELECT indicator, public FROM indicator_disclosure WHERE owner_id = $1 ORDER BY indicator",
        )
        .bind(owner)
        .fetch_all(&app.store.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{r:?}")),
    );
    rows.extend(
        sqlx::query_as::<_, (i64, String)>(
            "SELECT x.value_id, x.filename FROM indicator_value_evidence x \
             JOIN indicator_values v ON v.id = x.value_id WHERE v.owner_id = $1 ORDER BY x.value_id",
        )
        .bind(owner)
        .fetch_all(&app.store.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|r| format!("{r:?}")),
    );
    rows
}

/// The dashboard row of an indicator.
fn dashboard_row(page: &str, code: &str) -> String {
    page.split(&format!("id=\"ind-{code}\""))
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_else(|| panic!("no row {code}"))
        .to_string()
}

#[tokio::test]
async fn a_districts_office_keeps_its_own_values_and_never_touches_another_districts() {
    let (app, huiji, js) = city().await;
    let plan = default_plan();
    let home = Actor::system("t");
    // Huiji: an approved rate with its counts, a value waiting with evidence, one disclosed.
    let huiji_ok = approved(
        &app,
        &home,
        &plan,
        new_value("PRD-2", "", None, "惠济抽检"),
        Some((97.0, 100.0)),
    )
    .await;
    let huiji_waiting = indicators::submit(
        &app.store,
        &home,
        &plan,
        new_value("PRD-3", "", Some(91.0), "惠济录入"),
        &Default::default(),
    )
    .await
    .unwrap();
    indicators::attach_evidence(
        &app.store,
        &home,
        huiji_waiting,
        &[qcity_store::evidence::Upload {
            filename: "惠济.pdf".into(),
            bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
        }],
        &Default::default(),
    )
    .await
    .unwrap();
    let sha: String =
        sqlx::query_scalar("SELECT sha256 FROM indicator_value_evidence WHERE value_id = $1")
            .bind(huiji_waiting)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    indicators::set_disclosed(&app.store, &home, "PRD-2", true)
        .await
        .unwrap();
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let huiji_dashboard = body(admin.get(app.url("/indicators")).send().await.unwrap()).await;
    let huiji_before = snapshot(&app, huiji).await;
    assert!(dashboard_row(&huiji_dashboard, "PRD-2").contains("97%"));

    // Jinshui's office enters a rate by its counts; a second office account approves it.
    let js_web = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let js_second = app.user("js.office2", Role::Office, Some("JINSHUI")).await;
    let res = js_web
        .post(app.url("/indicators/PRD-2/values"))
        .form(&[
            ("measure", ""),
            ("year", "2014"),
            ("value", ""),
            ("numerator", "45"),
            ("denominator", "50"),
            ("comment", "金水抽检"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // Counts that do not make the value typed are refused, in the user's language.
    let res = js_web
        .post(app.url("/indicators/PRD-2/values"))
        .form(&[
            ("measure", ""),
            ("year", "2015"),
            ("value", "80"),
            ("numerator", "45"),
            ("denominator", "50"),
            ("comment", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("填写的比率与分子 ÷ 分母不一致"));
    let js_office = office_of(js);
    let mine = indicators::pending(&app.store, &js_office).await.unwrap();
    assert_eq!(mine.len(), 1, "{mine:?}");
    let js_value = &mine[0];
    assert_eq!(
        (js_value.value, js_value.numerator, js_value.denominator),
        (Some(90.0), Some(45.0), Some(50.0))
    );
    assert_eq!(js_value.version, 1, "Jinshui numbers its own versions");
    let res = js_second
        .post(app.url(&format!("/indicator-values/{}/decide", js_value.id)))
        .form(&[("decision", "approve"), ("indicator", "PRD-2")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // … and imports another.
    let csv = "指标编号,分项,年份,数值,说明\nPRD-3,,2014,92.5,金水导入\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("values.csv"),
    );
    let res = js_web
        .post(app.url("/indicators/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("已导入 1 条数据"));
    let js_pending = indicators::pending(&app.store, &js_office).await.unwrap();
    assert_eq!(
        js_pending
            .iter()
            .map(|v| (v.indicator.as_str(), v.value))
            .collect::<Vec<_>>(),
        [("PRD-3", Some(92.5))]
    );

    // Jinshui's dashboard shows its own figure; Huiji's dashboard and values are as before.
    let js_dashboard = body(js_web.get(app.url("/indicators")).send().await.unwrap()).await;
    let js_row = dashboard_row(&js_dashboard, "PRD-2");
    assert!(
        js_row.contains("90%") && !js_row.contains("97%"),
        "{js_row}"
    );
    assert!(!js_row.contains("ind-public-short") && !js_row.contains("tag blue"));
    let huiji_now = body(admin.get(app.url("/indicators")).send().await.unwrap()).await;
    assert_eq!(
        dashboard_row(&huiji_now, "PRD-2"),
        dashboard_row(&huiji_dashboard, "PRD-2")
    );
    assert_eq!(
        dashboard_row(&huiji_now, "PRD-3"),
        dashboard_row(&huiji_dashboard, "PRD-3")
    );
    assert_eq!(snapshot(&app, huiji).await, huiji_before);

    // Jinshui reads nothing of Huiji's: page, API, evidence, export.
    let page = body(
        js_web
            .get(app.url("/indicators/PRD-3"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("金水导入") && !page.contains("惠济录入"),
        "{page}"
    );
    let values: serde_json::Value = js_web
        .get(app.url("/api/v1/indicators/PRD-2/values"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<i64> = values
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["id"].as_i64())
        .collect();
    assert!(!ids.is_empty() && !ids.contains(&huiji_ok), "{values}");
    let pending: serde_json::Value = js_web
        .get(app.url("/api/v1/indicator-values/pending"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        pending
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["id"].as_i64() != Some(huiji_waiting)),
        "{pending}"
    );
    for path in [
        format!("/indicator-values/{huiji_waiting}/files/{sha}"),
        format!("/api/v1/indicator-values/{huiji_waiting}/files/{sha}"),
    ] {
        let res = js_web.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let xlsx = js_web
        .get(app.url("/indicators/districts.xlsx?year=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let rows = qcity_exchange::assessment::first_sheet_text(&xlsx.bytes().await.unwrap()).unwrap();
    let text = format!("{rows:?}");
    assert!(
        text.contains("金水区") && !text.contains("惠济区"),
        "{text}"
    );
    assert!(
        !text.contains("0.97"),
        "Huiji's rate is not in Jinshui's export"
    );

    // … and changes nothing of Huiji's: decide, attach, disclose.
    let res = js_second
        .post(app.url(&format!("/indicator-values/{huiji_waiting}/decide")))
        .form(&[("decision", "approve"), ("indicator", "PRD-3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = js_second
        .post(app.url(&format!(
            "/api/v1/indicator-values/{huiji_waiting}/decision"
        )))
        .json(&serde_json::json!({"decision": "approve"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let form = reqwest::multipart::Form::new().part(
        "files",
        reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec()).file_name("x.pdf"),
    );
    let res = js_web
        .post(app.url(&format!("/api/v1/indicator-values/{huiji_waiting}/files")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = js_web
        .put(app.url("/api/v1/indicators/PRD-2/disclosure"))
        .json(&serde_json::json!({"public": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "Jinshui decides its own portal");
    assert_eq!(
        indicators::disclosed(&app.store).await.unwrap(),
        ["PRD-2"],
        "Huiji's portal is Huiji's"
    );
    assert_eq!(snapshot(&app, huiji).await, huiji_before);
}

/// Jinshui's office walks every state-changing indicators route against Huiji's records:
/// each answer about a Huiji value is a refusal, and nothing of Huiji's changes.
#[tokio::test]
async fn another_districts_office_changes_nothing_on_any_indicators_route() {
    let (app, huiji, _) = city().await;
    let plan = default_plan();
    let home = Actor::system("t");
    approved(
        &app,
        &home,
        &plan,
        new_value("PRD-2", "", None, "惠济抽检"),
        Some((97.0, 100.0)),
    )
    .await;
    let waiting = indicators::submit(
        &app.store,
        &home,
        &plan,
        new_value("PRD-3", "", Some(91.0), "惠济录入"),
        &Default::default(),
    )
    .await
    .unwrap();
    indicators::add_benchmark(
        &app.store,
        &home,
        &plan,
        "全国平均水平",
        2014,
        0.4,
        "统计公报",
    )
    .await
    .unwrap();
    indicators::set_disclosed(&app.store, &home, "PRD-3", true)
        .await
        .unwrap();
    let before = snapshot(&app, huiji).await;
    let portal_before = indicators::disclosed(&app.store).await.unwrap();
    let intruder = app.user("js.office", Role::Office, Some("JINSHUI")).await;

    let prefixes = [
        "/indicators",
        "/indicator-values",
        "/api/v1/indicators",
        "/api/v1/indicator-values",
        "/api/v1/benchmarks",
    ];
    let mut walked = 0;
    for r in qcity_web::modules::mutating_routes()
        .iter()
        .filter(|r| prefixes.iter().any(|p| r.path.starts_with(p)))
    {
        let path = r
            .path
            .replace("{code}", "PRD-3")
            .replace("{id}", &waiting.to_string());
        let req = match (r.method.as_str(), path.starts_with("/api/")) {
            ("PUT", _) => intruder
                .put(app.url(&path))
                .json(&serde_json::json!({"public": false})),
            (_, true) if path.ends_with("/files") => intruder.post(app.url(&path)).multipart(
                reqwest::multipart::Form::new().part(
                    "files",
                    reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                        .file_name("x.pdf"),
                ),
            ),
            (_, true) => intruder.post(app.url(&path)).json(&serde_json::json!({
                "decision": "approve", "year": 2014, "value": 10.0, "measure": "",
                "comment": "跨区", "name": "全国平均水平", "source": "跨区"
            })),
            _ if path.ends_with("/files") || path.ends_with("/import") => {
                intruder.post(app.url(&path)).multipart(
                    reqwest::multipart::Form::new()
                        .text("indicator", "PRD-3")
                        .part(
                            "files",
                            reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                                .file_name("x.pdf"),
                        ),
                )
            }
            _ => intruder.post(app.url(&path)).form(&[
                ("decision", "approve"),
                ("indicator", "PRD-3"),
                ("public", "0"),
                ("year", "2014"),
                ("value", "10"),
                ("name", "全国平均水平"),
                ("source", "跨区"),
                ("comment", "跨区"),
            ]),
        };
        let status = req.send().await.unwrap().status().as_u16();
        if r.path.contains("{id}") {
            assert!(
                matches!(status, 403 | 404 | 409 | 422),
                "{} {path}: another district's office got {status}",
                r.method
            );
        }
        walked += 1;
    }
    assert!(walked >= 10, "{walked} routes walked");
    assert_eq!(snapshot(&app, huiji).await, before, "nothing of Huiji's");
    assert_eq!(
        indicators::disclosed(&app.store).await.unwrap(),
        portal_before
    );
    let status: String = sqlx::query_scalar("SELECT status FROM indicator_values WHERE id = $1")
        .bind(waiting)
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(status, "submitted");
}

#[tokio::test]
async fn the_citys_figures_add_up_counts_and_never_average_rates() {
    let (app, _, js) = city().await;
    let plan = default_plan();
    let (home, js_office) = (Actor::system("t"), office_of(js));
    // A rate: Huiji 9 of 10 (90 %), Jinshui 10 of 100 (10 %).
    approved(
        &app,
        &home,
        &plan,
        new_value("PRD-2", "", None, "惠济"),
        Some((9.0, 10.0)),
    )
    .await;
    approved(
        &app,
        &js_office,
        &plan,
        new_value("PRD-2", "", None, "金水"),
        Some((10.0, 100.0)),
    )
    .await;
    // A count; a rate one district gave without its counts; a concentration.
    for (actor, n) in [(&home, 2.0), (&js_office, 3.0)] {
        approved(
            &app,
            actor,
            &plan,
            new_value("SVC-3", "", Some(n), ""),
            None,
        )
        .await;
    }
    approved(
        &app,
        &home,
        &plan,
        new_value("PRD-3", "", Some(91.0), ""),
        None,
    )
    .await;
    approved(
        &app,
        &js_office,
        &plan,
        new_value("PRD-3", "", None, ""),
        Some((46.0, 50.0)),
    )
    .await;
    for (actor, x) in [(&home, 104.0), (&js_office, 98.0)] {
        approved(
            &app,
            actor,
            &plan,
            new_value("ENV-6", "pm25", Some(x), ""),
            None,
        )
        .await;
    }

    // The city's rate, from the stored values: summed counts, not the mean of the rates.
    let parts: Vec<(f64, f64, f64)> = sqlx::query_as(
        "SELECT numerator, denominator, value FROM indicator_values \
         WHERE indicator = 'PRD-2' AND year = 2014 AND status = 'approved'",
    )
    .fetch_all(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(parts.len(), 2);
    let (n, d) = parts
        .iter()
        .fold((0.0, 0.0), |(n, d), p| (n + p.0, d + p.1));
    let city_rate = n / d * 100.0;
    let mean = parts.iter().map(|p| p.2).sum::<f64>() / 2.0;
    assert!((city_rate - mean).abs() > 10.0, "{city_rate} {mean}");

    let leader = app.user("zz.leader", Role::Leader, Some("ZZ")).await;
    let dashboard = body(leader.get(app.url("/indicators")).send().await.unwrap()).await;
    assert!(dashboard.contains("id=\"ind-districts\""));
    assert!(
        dashboard.contains("href=\"/indicators/districts\""),
        "in the navigation"
    );
    let page = body(
        leader
            .get(app.url("/indicators/districts?year=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let city = cell(&page, "indr-PRD-2", "city");
    let shown = format!("{city_rate:.2}");
    assert!(
        city.starts_with(&format!("{}%", shown.trim_end_matches('0'))),
        "{city} vs {city_rate}"
    );
    assert!(city.contains("19/110"), "{city}");
    assert!(!city.starts_with("50"), "not the mean of the rates");
    assert_eq!(cell(&page, "indr-SVC-3", "city"), "5个");
    assert_eq!(cell(&page, "indr-PRD-3", "city"), "不汇总");
    assert!(cell(&page, "indr-PRD-3", "how").contains("惠济区"));
    assert_eq!(cell(&page, "indr-ENV-6-pm25", "city"), "不汇总");
    assert!(
        page.contains("id=\"indr-no-population\""),
        "says there is no population"
    );
    assert_eq!(cell(&page, "indr-ENV-3-road", "city"), "不汇总", "decibels");

    // The workbook has the same figures: rates as numbers, districts in the page's order.
    let res = leader
        .get(app.url("/indicators/districts.xlsx?year=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = qcity_exchange::assessment::first_sheet_text(&res.bytes().await.unwrap()).unwrap();
    let header = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "指标"))
        .expect("a header");
    let city_col = header.iter().position(|c| c == "全市").unwrap();
    let js_col = header.iter().position(|c| c.contains("金水")).unwrap();
    let row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c.starts_with("PRD-2 ")))
        .expect("PRD-2's row");
    let in_book: f64 = row[city_col].parse().unwrap();
    assert!((in_book - city_rate / 100.0).abs() < 1e-9, "{in_book}");
    let js_rate: f64 = row[js_col].parse().unwrap();
    assert!((js_rate - 0.1).abs() < 1e-9, "{js_rate}");

    // Units compare no districts; a district's office compares its own only.
    let staff = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let res = staff
        .get(app.url("/indicators/districts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let staff_dashboard = body(staff.get(app.url("/indicators")).send().await.unwrap()).await;
    assert!(!staff_dashboard.contains("id=\"ind-districts\""));
    let js_web = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let own = body(
        js_web
            .get(app.url("/indicators/districts?year=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(cell(&own, "indr-PRD-2", "city").starts_with("10%"), "{own}");
}
