//! 创建验收自查 over HTTP: stages, proposals counted from accepted obligations, decisions,
//! the veto, and the score sheet imported whole or not at all.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::acceptance::Sheet;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::obligations::{self, Filter, ReportInput};
use qcity_web::Config;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2015, 7, 1).unwrap()
}

async fn app() -> TestApp {
    TestApp::with_plan_and(Config {
        today: Some(today()),
        ..Config::default()
    })
    .await
}

/// The number shown in the element with this id.
fn number(html: &str, id: &str) -> f64 {
    let marker = format!("id=\"{id}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no #{id} in page"))
        + marker.len();
    let text: String = html[at..].chars().take_while(|c| *c != '<').collect();
    text.trim()
        .parse()
        .unwrap_or_else(|_| panic!("#{id} is not a number: {text}"))
}

async fn accept(store: &qcity_store::Store, ob: &obligations::Obligation, n: usize) {
    let unit = Actor {
        user_id: None,
        username: format!("staff-{}", ob.unit_code),
        role: Some(Role::Unit),
        unit_id: Some(ob.unit_id),
        owner_id: None,
        ip: "127.0.0.1".into(),
        request_id: String::new(),
    };
    let input = ReportInput {
        body: "已完成".into(),
        percent: 100,
        submit: true,
        form_token: format!("acceptance-token-{n:08}"),
        files: vec![],
    };
    obligations::report(store, &unit, ob.id, input, &Default::default(), today())
        .await
        .unwrap();
    let office = Actor::system("office");
    let now = obligations::get(store, &office, ob.id).await.unwrap();
    obligations::review(store, &office, ob.id, true, "", now.row_version, today())
        .await
        .unwrap();
}

#[tokio::test]
async fn the_self_check_proposes_from_data_and_reviewers_decide() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let res = office
        .post(app.url("/acceptance/self_check/open"))
        .form(&[("held_on", "2015-06-20")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = body(
        office
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(html.contains("id=\"acc-assumption\""), "assumption banner");
    assert!(html.contains("2015-06-20"));

    // 1.2.a: proportional, 20 points, on the obligations of 1.2.1 and 1.2.2.
    let sheet = Sheet::default_sheet();
    let (_, _, c) = sheet.criterion("1.2.a").unwrap();
    assert_eq!(c.rule.name(), "proportional");
    let max = c.max_points;
    let due: Vec<_> = obligations::list(
        &app.store,
        &Actor::system("t"),
        &Filter {
            due_by: Some(today()),
            ..Default::default()
        },
        today(),
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|o| c.contents.contains(&o.content_code))
    .collect();
    let total = due.len();
    assert!(
        total >= 2,
        "the seed has obligations for 1.2.x due by mid-2015"
    );
    let accepted = total / 2;
    for (n, ob) in due.iter().take(accepted).enumerate() {
        accept(&app.store, ob, n).await;
    }
    let html = body(
        office
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let proposed = number(&html, "proposed-1.2.a");
    let expected = max * accepted as f64 / total as f64;
    assert!(
        (proposed - expected).abs() < 0.01,
        "proposed {proposed}, expected {max} × {accepted}/{total} = {expected}"
    );
    assert_eq!(number(&html, "readiness-score"), 0.0, "nothing decided yet");

    // Confirming a proposal other than the one QCity now makes (the data moved since the page
    // was shown) is refused, and nothing is decided.
    let res = office
        .post(app.url("/acceptance/self_check/decide"))
        .form(&[
            ("criterion", "1.2.a"),
            ("action", "confirm"),
            ("shown_points", "0"),
            ("shown_veto", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("建议分已随最新数据变化"));
    // Confirm: the proposal the page shows becomes the decided points.
    let shown = html
        .split("name=\"criterion\" value=\"1.2.a\">")
        .nth(1)
        .and_then(|rest| rest.split("name=\"shown_points\" value=\"").nth(1))
        .and_then(|rest| rest.split('"').next())
        .expect("the confirm form carries the shown proposal")
        .to_string();
    let res = office
        .post(app.url("/acceptance/self_check/decide"))
        .form(&[
            ("criterion", "1.2.a"),
            ("action", "confirm"),
            ("shown_points", shown.as_str()),
            ("shown_veto", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = body(
        office
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let confirmed = number(&html, "readiness-score");
    assert!((confirmed - expected).abs() < 0.01, "{confirmed}");

    // An override needs a reason.
    let res = office
        .post(app.url("/acceptance/self_check/decide"))
        .form(&[
            ("criterion", "1.2.a"),
            ("action", "override"),
            ("points", "5"),
            ("comment", " "),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("改判须填写理由"));
    let res = office
        .post(app.url("/acceptance/self_check/decide"))
        .form(&[
            ("criterion", "1.2.a"),
            ("action", "override"),
            ("points", "25"),
            ("comment", "超出满分"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "points above the maximum are refused");
    let html = body(
        office
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!((number(&html, "readiness-score") - confirmed).abs() < 1e-9);

    // With a reason, the readiness moves by exactly the difference.
    let res = office
        .post(app.url("/acceptance/self_check/decide"))
        .form(&[
            ("criterion", "1.2.a"),
            ("action", "override"),
            ("points", "5"),
            ("comment", "规划未经区政府常务会审议"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = body(
        office
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let overridden = number(&html, "readiness-score");
    assert!(
        ((overridden - confirmed) - (5.0 - expected)).abs() < 0.01,
        "{confirmed} → {overridden}"
    );
    assert!(html.contains("规划未经区政府常务会审议"));
    assert!(!html.contains("id=\"readiness-vetoed\""));

    // A failed veto fails the whole readiness.
    let res = office
        .post(app.url("/acceptance/self_check/decide"))
        .form(&[
            ("criterion", "6.0.a"),
            ("action", "override"),
            ("veto", "failed"),
            ("comment", "2015年发生重大食品安全事故"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = body(
        office
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(html.contains("id=\"readiness-vetoed\""));
    assert_eq!(number(&html, "readiness-score"), 0.0);
    let (stage, r) = qcity_store::acceptance::current_readiness(&app.store, today())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stage, "self_check");
    assert!(r.vetoed && r.score == 0.0);
    assert_eq!(r.vetoed_by, vec!["6.0.a".to_string()]);
    assert_eq!(r.undecided.len(), sheet.criteria().count() - 2);
    let c12 = r.by_category.iter().find(|c| c.code == "1").unwrap();
    assert!(c12.earned >= 5.0, "decided points count: {}", c12.earned);
    let html = body(office.get(app.url("/acceptance")).send().await.unwrap()).await;
    assert_eq!(number(&html, "score-self_check"), 0.0, "vetoed");
    assert_eq!(number(&html, "current-score"), 0.0);

    // Findings and rectifications.
    let res = office
        .post(app.url("/acceptance/self_check/findings"))
        .form(&[("body", "部分单位佐证材料不全")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = office
        .post(app.url("/acceptance/self_check/rectifications"))
        .form(&[
            ("body", "补齐佐证材料"),
            ("unit_code", "ZJFJ"),
            ("deadline", "2015-08-31"),
            ("content_code", "9.9.9"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "an unknown content code is refused");
    let res = office
        .post(app.url("/acceptance/self_check/rectifications"))
        .form(&[
            ("body", "补齐佐证材料"),
            ("unit_code", "ZJFJ"),
            ("deadline", "2015-08-31"),
            ("content_code", "1.2.1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    // Every change is in the audit trail.
    let audited: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'acceptance.%'")
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(
        audited, 6,
        "open, confirm, override, veto, finding, rectification"
    );

    // Units read everything and change nothing.
    let unit = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let html = body(
        unit.get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(html.contains("部分单位佐证材料不全") && html.contains("补齐佐证材料"));
    assert!(!html.contains("/acceptance/self_check/decide"));
    // What is missing by unit: the office sees every unit, unit staff only their own.
    let summaries = |page: &str| -> Vec<String> {
        page.split("<summary><strong>")
            .skip(1)
            .filter_map(|s| s.split("</strong>").next().map(str::to_string))
            .collect()
    };
    let office_page = body(
        office
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let all = summaries(&office_page);
    assert!(
        all.len() > 1 && all.iter().any(|u| u.contains("区质监分局")),
        "{all:?}"
    );
    assert_eq!(
        summaries(&html),
        all.into_iter()
            .filter(|u| u.contains("区质监分局"))
            .collect::<Vec<_>>()
    );
    let mut walked = 0;
    let routes = qcity_web::modules::mutating_routes();
    let mutating: Vec<(&str, &str)> = routes.iter().map(|r| (r.method.as_str(), r.path)).collect();
    for (method, route) in &mutating {
        if !route.starts_with("/acceptance") {
            continue;
        }
        assert_eq!(*method, "POST");
        let path = route.replace("{stage}", "self_check").replace("{id}", "1");
        let req = if path.ends_with("/import") {
            unit.post(app.url(&path))
                .multipart(reqwest::multipart::Form::new().part(
                    "file",
                    reqwest::multipart::Part::bytes(b"x".to_vec()).file_name("s.xlsx"),
                ))
        } else {
            unit.post(app.url(&path)).form(&[
                ("criterion", "1.2.a"),
                ("action", "override"),
                ("points", "0"),
                ("comment", "x"),
                ("body", "x"),
                ("held_on", "2015-01-01"),
                ("toml", "x"),
            ])
        };
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), 403, "POST {path}");
        walked += 1;
    }
    assert_eq!(walked, 9);
    let after: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'acceptance.%'")
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(after, audited, "the unit changed nothing");
}

#[tokio::test]
async fn the_score_sheet_is_imported_whole_or_not_at_all() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let default = Sheet::default_sheet();
    let upload = |bytes: Vec<u8>| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("评分表.xlsx"),
        )
    };

    // Row 5 (the fourth criterion) has a negative maximum; category 3 declares a wrong total.
    let mut rows = default.to_rows();
    rows[3].max_points = "-5".into();
    let mut cat3_lines = Vec::new();
    for (i, r) in rows.iter_mut().enumerate() {
        if r.category_code == "3" {
            r.declared_total = Some("999".into());
            cat3_lines.push(i + 2);
        }
    }
    assert_ne!(rows[3].category_code, "3");
    let bytes = qcity_exchange::acceptance_rows_to_xlsx(&rows).unwrap();
    let res = office
        .post(app.url("/acceptance/sheet/import"))
        .multipart(upload(bytes))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = body(res).await;
    assert!(html.contains("id=\"sheet-refused\""));
    assert!(html.contains("第 5 行"), "{html}");
    assert!(html.contains("满分 -5 为负数"), "{html}");
    assert!(
        cat3_lines
            .iter()
            .any(|l| html.contains(&format!("第 {l} 行"))),
        "the category total is refused by line: {html}"
    );
    let (in_force, source) =
        qcity_store::acceptance::sheet_in_force(&app.store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert!(source.is_none(), "nothing was imported");
    assert_eq!(in_force, default);

    // The exported sheet imports back unchanged.
    let res = office
        .get(app.url("/acceptance/sheet.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let exported = res.bytes().await.unwrap().to_vec();
    let res = office
        .post(app.url("/acceptance/sheet/import"))
        .multipart(upload(exported))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("id=\"sheet-saved\""));
    let (in_force, source) =
        qcity_store::acceptance::sheet_in_force(&app.store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert_eq!(source.map(|s| s.source).as_deref(), Some("xlsx"));
    assert_eq!(in_force.categories, default.categories);

    // A TOML edit that does not load is refused with its line; the sheet stays.
    let res = office
        .post(app.url("/acceptance/sheet"))
        .form(&[("toml", "name = \"x\"\nassumption = maybe\n")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let (still, _) =
        qcity_store::acceptance::sheet_in_force(&app.store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert_eq!(still.categories, default.categories);

    // The pages read in English too.
    let res = office
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("back", "/acceptance")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let html = body(office.get(app.url("/acceptance")).send().await.unwrap()).await;
    assert!(html.contains("Acceptance self-check") && html.contains("Open this stage"));
    let html = body(
        office
            .get(app.url("/acceptance/provincial"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(html.contains("Provincial pre-acceptance") && html.contains("id=\"acc-preview\""));
}

#[tokio::test]
async fn the_api_opens_a_stage_and_records_findings_and_rectifications_as_the_page_does() {
    let app = TestApp::with_plan_and(Config {
        today: Some(NaiveDate::from_ymd_opt(2015, 3, 10).unwrap()),
        ..Default::default()
    })
    .await;
    let token = |name: &'static str| {
        let store = app.store.clone();
        async move {
            qcity_store::users::create_token(&store, &Actor::system("t"), name, "ci")
                .await
                .unwrap()
        }
    };
    app.user("zj.acc", Role::Unit, Some("ZJFJ")).await;
    let (office, unit) = (token("admin").await, token("zj.acc").await);
    let client = reqwest::Client::new();
    let send = |m: reqwest::Method, t: &str, path: &str, body: serde_json::Value| {
        client
            .request(m, app.url(path))
            .bearer_auth(t)
            .json(&body)
            .send()
    };
    use reqwest::Method;
    let day = serde_json::json!({"held_on": "2015-03-12"});
    let stage = "/api/v1/acceptance/stages/self_check";
    assert_eq!(
        send(Method::POST, &unit, stage, day.clone())
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        send(
            Method::POST,
            &office,
            "/api/v1/acceptance/stages/moon",
            day.clone()
        )
        .await
        .unwrap()
        .status(),
        404
    );
    assert_eq!(
        send(Method::POST, &office, stage, day.clone())
            .await
            .unwrap()
            .status(),
        201
    );
    assert_eq!(
        send(Method::POST, &office, stage, day)
            .await
            .unwrap()
            .status(),
        409,
        "opened once"
    );
    let bad = serde_json::json!({"held_on": "12/03/2015"});
    assert_eq!(
        send(Method::PUT, &office, &format!("{stage}/date"), bad)
            .await
            .unwrap()
            .status(),
        422
    );
    let res = send(
        Method::POST,
        &office,
        &format!("{stage}/findings"),
        serde_json::json!({"body": "质量档案不全"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let finding = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let rect =
        serde_json::json!({"body": "补齐质量档案", "unit": "ZJFJ", "deadline": "2015-04-30"});
    assert_eq!(
        send(
            Method::POST,
            &office,
            &format!("{stage}/rectifications"),
            rect
        )
        .await
        .unwrap()
        .status(),
        201
    );
    let removal = format!("{stage}/findings/{finding}/removal");
    assert_eq!(
        send(Method::POST, &office, &removal, serde_json::json!({}))
            .await
            .unwrap()
            .status(),
        204
    );
    let st = qcity_store::acceptance::stage(&app.store, &Actor::system("t"), "self_check")
        .await
        .unwrap()
        .unwrap();
    let findings = qcity_store::acceptance::findings(&app.store, &Actor::system("t"), st.id)
        .await
        .unwrap();
    assert!(
        findings.iter().all(|f| f.id != finding),
        "the finding was removed"
    );
    let rects = qcity_store::acceptance::rectifications(&app.store, &Actor::system("t"), st.id)
        .await
        .unwrap();
    assert_eq!(rects.len(), 1);
}
