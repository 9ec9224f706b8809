//! Assessment (考核) and acceptance (验收) per district: Jinshui's office assesses its own
//! member units and prepares its own acceptance while Huiji's scores, stages and readiness stay
//! as they were; Jinshui reaches none of Huiji's records by page, API or export, on any
//! state-changing route of the two modules; the city's roll-up shows each district's readiness
//! as its own acceptance page does, and totals the underlying counts.

use crate::districts::{cell, jinshui, office_of, unit_id};
use crate::harness::{TestApp, body};
use crate::plan_preview::{demo_app, today};
use qcity_domain::acceptance::Sheet;
use qcity_domain::role::Role;
use qcity_store::{Actor, acceptance, assessment, plan};

/// Everything of a district's assessment and acceptance records, as its office reads them.
async fn records(app: &TestApp, actor: &Actor) -> String {
    let store = &app.store;
    let mut out = String::new();
    for w in assessment::windows(store, actor).await.unwrap() {
        let ratings = assessment::ratings(store, actor, w.id).await.unwrap();
        out += &format!("{w:?}\n{ratings:?}\n");
    }
    let scheme = assessment::current_scheme(store, actor).await.unwrap().1;
    let sheet = acceptance::sheet_in_force(store, actor).await.unwrap().1;
    out += &format!("{:?} {sheet:?}\n", scheme.map(|v| v.id));
    for s in acceptance::stages(store, actor).await.unwrap() {
        let Some(st) = s.opened else { continue };
        let findings = acceptance::findings(store, actor, st.id).await.unwrap();
        let rects = acceptance::rectifications(store, actor, st.id)
            .await
            .unwrap();
        let decided = acceptance::decisions(store, actor, st.id).await.unwrap();
        out += &format!(
            "{} {} {}\n{findings:?}\n{rects:?}\n{decided:?}\n",
            st.code, st.id, st.held_on
        );
    }
    out
}

/// A district's scores and readiness on the business date.
async fn figures(app: &TestApp, actor: &Actor) -> String {
    let (_, p) = match actor.owner_id {
        Some(id) => plan::current_of_id(&app.store, id).await,
        None => plan::current(&app.store).await,
    }
    .unwrap()
    .unwrap();
    let (_, ranked) = assessment::scores(&app.store, actor, &p, 2014, today())
        .await
        .unwrap();
    let readiness = acceptance::readiness(&app.store, actor, today())
        .await
        .unwrap();
    let lines: Vec<String> = ranked
        .iter()
        .map(|r| format!("{} {} {} {:?}", r.unit.code, r.rank, r.score.total, r.facts))
        .collect();
    format!("{lines:?}\n{readiness:?}")
}

/// The text of the element with this id.
fn by_id(page: &str, id: &str) -> String {
    page.split(&format!("id=\"{id}\">"))
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no {id}"))
        .to_string()
}

#[tokio::test]
async fn each_district_assesses_and_prepares_its_own_and_the_city_rolls_them_up() {
    let app = demo_app().await;
    let home = Actor::system("t");
    plan::add_district(&app.store, &home, &jinshui(), today())
        .await
        .unwrap();
    let js = unit_id(&app, "JINSHUI").await;
    let js_office = office_of(js);
    let huiji_records = records(&app, &home).await;
    let huiji_figures = figures(&app, &home).await;
    // The demo gave Huiji a window with ratings, a stage with decisions and a finding.
    let huiji_window = assessment::windows(&app.store, &home).await.unwrap()[0].id;
    let huiji_stage = acceptance::stage(&app.store, &home, "self_check")
        .await
        .unwrap()
        .expect("Huiji's self-check");
    let huiji_finding = acceptance::findings(&app.store, &home, huiji_stage.id)
        .await
        .unwrap()[0]
        .clone();
    let huiji_rect = acceptance::rectifications(&app.store, &home, huiji_stage.id)
        .await
        .unwrap()[0]
        .id;
    // Jinshui starts with nothing of Huiji's.
    assert!(
        assessment::windows(&app.store, &js_office)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        acceptance::stage(&app.store, &js_office, "self_check")
            .await
            .unwrap()
            .is_none()
    );

    // Jinshui's office opens its own window; its evaluator rates a Jinshui unit.
    let js_web = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let res = js_web
        .post(app.url("/assessment/windows"))
        .form(&[
            ("title", "金水区2014年度评议"),
            ("period", "2014"),
            ("opens_on", "2014-12-01"),
            ("closes_on", "2014-12-31"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let js_window = assessment::windows(&app.store, &js_office).await.unwrap()[0].id;
    let js_eval = app.user("js.eval", Role::Evaluator, Some("JINSHUI")).await;
    let rate = |window: i64, unit: &'static str| {
        js_eval
            .post(app.url(&format!("/assessment/windows/{window}/ratings")))
            .form(&[("unit", unit), ("score", "88"), ("comment", "好")])
            .send()
    };
    assert_eq!(rate(js_window, "JSZJFJ").await.unwrap().status(), 303);
    // Not a Huiji unit in Jinshui's window, nor anything in Huiji's window.
    assert_eq!(rate(js_window, "ZJFJ").await.unwrap().status(), 404);
    assert_eq!(rate(huiji_window, "JSZJFJ").await.unwrap().status(), 404);
    for path in [
        format!("/assessment/windows/{huiji_window}/sheet"),
        format!("/api/v1/assessment/windows/{huiji_window}/sheet"),
    ] {
        let res = js_eval.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = js_eval
        .put(app.url(&format!("/api/v1/assessment/windows/{huiji_window}/sheet")))
        .json(&serde_json::json!({"submit": false, "lines": [{"unit": "ZJFJ", "score": 1.0}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (_, js_plan) = plan::current_of_id(&app.store, js).await.unwrap().unwrap();
    let (_, js_scores) = assessment::scores(&app.store, &js_office, &js_plan, 2014, today())
        .await
        .unwrap();
    assert!(js_scores.iter().all(|r| r.unit.code.starts_with("JS")));
    let rated = js_scores
        .iter()
        .find(|r| r.unit.code == "JSZJFJ")
        .expect("Jinshui's unit");
    assert_eq!(
        rated.facts.ratings,
        vec![(88.0, 100.0)],
        "its own evaluator only"
    );

    // Its assessment page and export list its units only.
    let page = body(js_web.get(app.url("/assessment")).send().await.unwrap()).await;
    assert!(page.contains("id=\"u-JSZJFJ\"") && !page.contains("id=\"u-ZJFJ\""));
    let res = js_web
        .get(app.url("/assessment/ZJFJ"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "a Huiji unit's score");
    let res = js_web
        .get(app.url("/assessment/export.xlsx?period=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let cells: Vec<String> =
        qcity_exchange::assessment::first_sheet_text(&res.bytes().await.unwrap())
            .expect("a workbook")
            .into_iter()
            .flatten()
            .collect();
    assert!(cells.iter().any(|c| c.contains("JSZJFJ")), "{cells:?}");
    assert!(!cells.iter().any(|c| c == "ZJFJ"), "{cells:?}");
    let api: serde_json::Value = js_web
        .get(app.url("/api/v1/assessment/windows"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api.as_array().map(Vec::len), Some(1), "{api}");

    // Jinshui's office works on its own acceptance: opens the self-check, records a finding,
    // confirms a criterion.
    let res = js_web
        .post(app.url("/acceptance/self_check/open"))
        .form(&[("held_on", "2014-12-15")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = js_web
        .post(app.url("/acceptance/self_check/findings"))
        .form(&[("body", "金水区自查发现")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let criterion = Sheet::default_sheet()
        .criteria()
        .map(|(_, _, c)| c.code.clone())
        .next()
        .unwrap();
    let res = js_web
        .post(app.url("/acceptance/self_check/decide"))
        .form(&[("criterion", criterion.as_str()), ("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let js_stage = acceptance::stage(&app.store, &js_office, "self_check")
        .await
        .unwrap()
        .expect("Jinshui's self-check");
    assert_ne!(js_stage.id, huiji_stage.id);
    let decided = acceptance::decisions(&app.store, &js_office, js_stage.id)
        .await
        .unwrap();
    assert_eq!(decided.len(), 1);
    let stage_page = body(
        js_web
            .get(app.url("/acceptance/self_check"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(stage_page.contains("金水区自查发现"));
    assert!(!stage_page.contains(&huiji_finding.body), "Huiji's finding");
    // Nothing of Huiji's by the API either.
    let detail: serde_json::Value = js_web
        .get(app.url("/api/v1/acceptance/stages/self_check"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!detail.to_string().contains(&huiji_finding.body));

    // Huiji's records and figures are as they were.
    assert_eq!(records(&app, &home).await, huiji_records);
    assert_eq!(figures(&app, &home).await, huiji_figures);

    // Jinshui's office walks every state-changing route of both modules against Huiji's
    // records: those naming a Huiji record are refused; the others act on Jinshui's own.
    let routes: Vec<_> = qcity_web::modules::mutating_routes()
        .into_iter()
        .filter(|r| {
            [
                "/assessment",
                "/acceptance",
                "/api/v1/assessment",
                "/api/v1/acceptance",
            ]
            .iter()
            .any(|p| r.path.starts_with(p))
        })
        .collect();
    let json = serde_json::json!({
        "held_on": "2014-12-20", "body": "跨区", "unit_code": "ZJFJ", "deadline": "2015-01-31",
        "done": true, "criterion": criterion, "action": "confirm", "comment": "跨区",
        "title": "跨区", "period": 2014, "opens_on": "2014-12-01", "closes_on": "2014-12-31",
        "unit": "ZJFJ", "score": 1.0, "submit": true, "lines": [], "toml": "",
    });
    let mut walked = 0;
    for r in &routes {
        let id = if r.path.contains("/windows/") {
            huiji_window
        } else if r.path.contains("/findings/") {
            huiji_finding.id
        } else {
            huiji_rect
        };
        let path = r
            .path
            .replace("{stage}", "self_check")
            .replace("{id}", &id.to_string());
        let req = match (r.method.as_str(), path.starts_with("/api/")) {
            ("PUT", _) => js_web.put(app.url(&path)).json(&json),
            (_, true) => js_web.post(app.url(&path)).json(&json),
            _ => js_web.post(app.url(&path)).form(&[
                ("held_on", "2014-12-20"),
                ("body", "跨区"),
                ("unit_code", "ZJFJ"),
                ("deadline", "2015-01-31"),
                ("done", "1"),
                ("criterion", criterion.as_str()),
                ("action", "confirm"),
                ("title", "跨区"),
                ("period", "2014"),
                ("opens_on", "2014-12-01"),
                ("closes_on", "2014-12-31"),
                ("unit", "ZJFJ"),
                ("score", "1"),
            ]),
        };
        let status = req.send().await.unwrap().status().as_u16();
        if r.path.contains("{id}") {
            assert!(
                matches!(status, 403 | 404 | 409 | 422),
                "{} {path}: Jinshui's office got {status}",
                r.method
            );
        } else {
            assert!(status < 500, "{} {path}: {status}", r.method);
        }
        walked += 1;
    }
    assert!(walked >= 20, "{walked} routes walked");
    assert_eq!(
        records(&app, &home).await,
        huiji_records,
        "nothing of Huiji's changed"
    );
    assert_eq!(figures(&app, &home).await, huiji_figures);

    // The city's leader compares both; each row is that district's own acceptance page.
    let city = app.user("zz.leader", Role::Leader, Some("ZZ")).await;
    let page = body(
        city.get(app.url("/acceptance/districts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("href=\"/acceptance/districts\""),
        "in the navigation"
    );
    let huiji_web = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    for (code, client) in [("HUIJI", &huiji_web), ("JINSHUI", &js_web)] {
        let own = body(client.get(app.url("/acceptance")).send().await.unwrap()).await;
        assert!(own.contains("href=\"/acceptance/districts\""), "linked");
        let row = format!("acc-district-{code}");
        assert_eq!(
            cell(&page, &row, "score"),
            by_id(&own, "current-score"),
            "{code}"
        );
        assert_eq!(
            cell(&page, &row, "percent"),
            by_id(&own, "current-percent"),
            "{code}"
        );
        assert_eq!(
            cell(&page, &row, "base-total"),
            by_id(&own, "current-base-total")
        );
    }
    // The total adds the underlying counts, computed here from each district's readiness.
    let mut earned = 0.0;
    let mut base = 0.0;
    let mut units = 0;
    let mut scored = 0;
    let mut points = 0.0;
    for actor in [&home, &js_office] {
        let (_, r) = acceptance::readiness(&app.store, actor, today())
            .await
            .unwrap()
            .expect("a stage open");
        earned += if r.vetoed { 0.0 } else { r.base_earned };
        base += r.base_total;
        let (_, p) = match actor.owner_id {
            Some(id) => plan::current_of_id(&app.store, id).await,
            None => plan::current(&app.store).await,
        }
        .unwrap()
        .unwrap();
        let (_, ranked) = assessment::scores(&app.store, actor, &p, 2014, today())
            .await
            .unwrap();
        units += ranked.len();
        for r in ranked.iter().filter(|r| r.score.scored()) {
            scored += 1;
            points += r.score.total;
        }
    }
    assert_eq!(
        cell(&page, "accd-total", "percent"),
        format!("{:.1}%", earned / base * 100.0)
    );
    assert_eq!(
        cell(&page, "accd-total", "base-total"),
        qcity_web::charts::trim_number(base)
    );
    assert_eq!(cell(&page, "asm-total", "units"), units.to_string());
    assert_eq!(cell(&page, "asm-total", "scored"), scored.to_string());
    assert_eq!(
        cell(&page, "asm-total", "mean"),
        format!("{:.1}", points / scored as f64)
    );
    // The same in the workbook.
    let res = city
        .get(app.url("/acceptance/districts.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = qcity_exchange::assessment::first_sheet_text(&res.bytes().await.unwrap())
        .expect("a workbook");
    let huiji_row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "惠济区人民政府"))
        .expect("Huiji's row");
    assert_eq!(huiji_row[2], cell(&page, "acc-district-HUIJI", "score"));
    let total = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "合计"))
        .expect("the total");
    assert_eq!(total[4], qcity_web::charts::trim_number(base));

    // A district's office sees its own row only; units do not compare districts.
    let own = body(
        js_web
            .get(app.url("/acceptance/districts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(own.contains("acc-district-JINSHUI") && !own.contains("acc-district-HUIJI"));
    let staff = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let res = staff
        .get(app.url("/acceptance/districts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// The readiness counts each criterion's obligations in the database (no labels read); it
/// equals the readiness projected from the full proposals, which list every open obligation,
/// at every date of the campaign, for every stage held.
#[tokio::test]
async fn the_counted_readiness_equals_one_from_the_listed_proposals() {
    let app = demo_app().await;
    let office = Actor::system("t");
    let mut compared = 0;
    for code in acceptance::STAGES.iter().copied() {
        let Some(st) = acceptance::stage(&app.store, &office, code).await.unwrap() else {
            continue;
        };
        let decided = acceptance::decisions(&app.store, &office, st.id)
            .await
            .unwrap();
        for as_of in [
            chrono::NaiveDate::from_ymd_opt(2014, 3, 31).unwrap(),
            chrono::NaiveDate::from_ymd_opt(2014, 9, 30).unwrap(),
            today(),
            chrono::NaiveDate::from_ymd_opt(2015, 12, 31).unwrap(),
        ] {
            let proposals = acceptance::proposals(&app.store, &office, &st.sheet, as_of)
                .await
                .unwrap();
            let mut listed = acceptance::projected(&st.sheet, &decided, &proposals);
            let counted = acceptance::stage_readiness(&app.store, &office, code, as_of)
                .await
                .unwrap()
                .unwrap();
            listed.pass_line = counted.pass_line;
            assert_eq!(
                format!("{counted:?}"),
                format!("{listed:?}"),
                "{code} {as_of}"
            );
            compared += 1;
        }
    }
    assert!(
        compared >= 4,
        "the demo holds at least one stage: {compared}"
    );
}
