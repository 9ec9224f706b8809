//! The read-only JSON API for unit assessment, acceptance readiness and quality analysis
//! reports: the same numbers as the store and the pages, the same scope (a unit sees its own
//! line, a draft is hidden from evaluators and units), 401 when signed out, and all of it in
//! the OpenAPI document.

use crate::harness::{ADMIN_PASSWORD, PASSWORD, TestApp, body, create_user};
use chrono::{Datelike, NaiveDate};
use qcity_domain::role::Role;
use qcity_store::obligations::{self, EvidencePolicy, Filter, ReportInput};
use qcity_store::{Actor, Store};
use serde_json::Value;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
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

async fn token(store: &Store, username: &str) -> String {
    qcity_store::users::create_token(store, &Actor::system("t"), username, "api test")
        .await
        .unwrap()
}

/// GET a path with a bearer token: (status, JSON body).
async fn get_bearer(app: &TestApp, token: &str, path: &str) -> (u16, Value) {
    let res = reqwest::Client::new()
        .get(app.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

/// GET a path with a (session) client: (status, JSON body).
async fn get_json(app: &TestApp, c: &reqwest::Client, path: &str) -> (u16, Value) {
    let res = c.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

#[tokio::test]
async fn the_scores_api_agrees_with_the_store_and_the_page_and_is_scoped() {
    let today = d(2015, 2, 10);
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    create_user(store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    create_user(store, "rd.daibiao", Role::Evaluator, None, PASSWORD).await;

    // 区质监分局 hands in one of its 2014 lead obligations on its due date; it is accepted.
    let ob = obligations::list(
        store,
        &Actor::system("t"),
        &Filter {
            unit: Some("ZJFJ".into()),
            ..Default::default()
        },
        today,
    )
    .await
    .unwrap()
    .into_iter()
    .filter(|o| o.duty.is_lead())
    .find(|o| o.due().is_some_and(|due| due.year() == 2014))
    .expect("区质监分局 leads work due in 2014");
    let due = ob.due().unwrap();
    let zjfj = actor(store, "zjfj.staff").await;
    let input = ReportInput {
        body: "已完成".into(),
        percent: 100,
        submit: true,
        form_token: "api-assessment-token-1".into(),
        files: vec![],
    };
    obligations::report(store, &zjfj, ob.id, input, &EvidencePolicy::default(), due)
        .await
        .unwrap();
    let office = Actor::system("office");
    let v = obligations::get(store, &office, ob.id)
        .await
        .unwrap()
        .row_version;
    obligations::review(store, &office, ob.id, true, "", v, due)
        .await
        .unwrap();

    // Signed out: 401 as JSON.
    let res = app
        .client()
        .get(app.url("/api/v1/assessment/scores?period=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "unauthorized");

    // The office (session cookie) gets every member unit, exactly as the store ranks them.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let (status, all) = get_json(&app, &admin, "/api/v1/assessment/scores?period=2014").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(all["period"], 2014);
    assert_eq!(all["as_of"], "2014-12-31");
    let plan = qcity_domain::plan::default_plan();
    let admin_actor = actor(store, "admin").await;
    let (scheme, ranked) =
        qcity_store::assessment::scores(store, &admin_actor, &plan, 2014, d(2014, 12, 31))
            .await
            .unwrap();
    assert_eq!(all["scheme"]["name"], scheme.name.as_str());
    assert_eq!(all["scheme"]["applies_from"], Value::Null, "default scheme");
    assert_eq!(all["scheme"]["weights"][0]["component"], "on_time");
    assert!(close(
        &all["scheme"]["weights"][0]["weight"],
        scheme.weights.on_time
    ));
    let members = qcity_store::assessment::member_units(store, &qcity_store::Actor::system("t"))
        .await
        .unwrap();
    assert_eq!(all["member_units"], members.len());
    let units = all["units"].as_array().unwrap();
    assert_eq!(units.len(), ranked.len());
    assert_eq!(
        units.len(),
        members.len(),
        "the office sees every member unit"
    );
    for (u, r) in units.iter().zip(&ranked) {
        assert_eq!(u["unit_code"], r.unit.code.as_str());
        assert_eq!(u["unit_name"], r.unit.name.as_str());
        if r.score.scored() {
            assert_eq!(u["rank"], r.rank, "{u}");
            assert!(close(&u["total"], r.score.total), "{u}");
        } else {
            assert_eq!(u["rank"], Value::Null, "{u}");
            assert_eq!(u["total"], Value::Null, "{u}");
        }
        let lines = u["lines"].as_array().unwrap();
        assert_eq!(lines.len(), r.score.parts.len());
        for (l, p) in lines.iter().zip(&r.score.parts) {
            assert_eq!(l["component"].as_str(), p.component.map(|c| c.key()), "{l}");
            assert!(
                close(&l["points"], p.points) && close(&l["max"], p.max),
                "{l}"
            );
            assert_eq!(l["text"], p.zh.as_str(), "Chinese by default");
        }
    }
    let z = units.iter().find(|u| u["unit_code"] == "ZJFJ").unwrap();
    let z_total = z["total"].as_f64().expect("区质监分局 is scored");
    assert!(z_total > 0.0, "{z}");
    assert_eq!(z["lines"][0]["component"], "on_time");
    assert!(
        z["lines"][0]["points"].as_f64().unwrap() > 0.0,
        "the accepted obligation earns on-time points: {z}"
    );

    // The same total as the unit's drill-down page.
    let drill = body(
        admin
            .get(app.url("/assessment/ZJFJ?period=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        drill.contains(&format!("<span id=\"unit-total\">{}</span>", pts(z_total))),
        "{z_total}: {drill}"
    );

    // A unit's staff (API token) get their own line only, with its rank among all units.
    let unit_token = token(store, "zjfj.staff").await;
    let (status, own) =
        get_bearer(&app, &unit_token, "/api/v1/assessment/scores?period=2014").await;
    assert_eq!(status, 200, "{own}");
    let own_units = own["units"].as_array().unwrap();
    assert_eq!(own_units.len(), 1, "{own}");
    assert_eq!(own_units[0]["unit_code"], "ZJFJ");
    assert_eq!(own_units[0]["rank"], z["rank"]);
    assert_eq!(own_units[0]["total"], z["total"]);
    assert_eq!(own["member_units"], members.len());

    // Evaluators read every unit, as on the page; English on request.
    let eval_token = token(store, "rd.daibiao").await;
    let res = reqwest::Client::new()
        .get(app.url("/api/v1/assessment/scores?period=2014"))
        .bearer_auth(&eval_token)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let en: Value = res.json().await.unwrap();
    assert_eq!(en["units"].as_array().unwrap().len(), members.len());
    let z_en = en["units"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["unit_code"] == "ZJFJ")
        .unwrap();
    let z_ranked = ranked.iter().find(|r| r.unit.code == "ZJFJ").unwrap();
    assert_eq!(
        z_en["lines"][0]["text"],
        z_ranked.score.parts[0].en.as_str()
    );
    assert_eq!(z_en["lines"][0]["label"], "On-time completion");

    // A year with nothing to count yet: no unit has a score, nor a rank.
    let (_, later) = get_json(&app, &admin, "/api/v1/assessment/scores?period=2016").await;
    let later_units = later["units"].as_array().unwrap();
    assert_eq!(later_units.len(), members.len());
    assert!(
        later_units
            .iter()
            .all(|u| u["rank"].is_null() && u["total"].is_null()),
        "{later}"
    );
    // No period: the business date's year. Junk: a validation error naming the field.
    let (_, current) = get_json(&app, &admin, "/api/v1/assessment/scores").await;
    assert_eq!(current["period"], 2015);
    let (status, junk) = get_json(&app, &admin, "/api/v1/assessment/scores?period=20x4").await;
    assert_eq!(status, 422, "{junk}");
    assert!(junk["fields"]["period"].is_string(), "{junk}");

    // A scheme saved for 2015 scores 2015 on, and says from when; 2014 keeps the default.
    let mut s2015 = qcity_domain::assessment::Scheme::default_scheme();
    s2015.name = "2015年度考核方案".into();
    qcity_store::assessment::save_scheme(store, &admin_actor, &s2015.to_toml(), 2015)
        .await
        .unwrap()
        .unwrap();
    let (_, current) = get_json(&app, &admin, "/api/v1/assessment/scores?period=2015").await;
    assert_eq!(current["scheme"]["name"], "2015年度考核方案");
    assert_eq!(current["scheme"]["applies_from"], 2015);
    let (_, again) = get_json(&app, &admin, "/api/v1/assessment/scores?period=2014").await;
    assert_eq!(again["scheme"]["name"], scheme.name.as_str());
    assert_eq!(again["scheme"]["applies_from"], Value::Null);
}

#[tokio::test]
async fn the_acceptance_api_reports_the_current_readiness() {
    let today = d(2015, 7, 1);
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    create_user(store, "nw.staff", Role::Unit, Some("NW"), PASSWORD).await;
    let unit_token = token(store, "nw.staff").await;

    let res = app
        .client()
        .get(app.url("/api/v1/acceptance"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);

    // Nothing opened yet: four stages, none open, no readiness.
    let (status, before) = get_bearer(&app, &unit_token, "/api/v1/acceptance").await;
    assert_eq!(status, 200, "{before}");
    let codes: Vec<&str> = before["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, qcity_store::acceptance::STAGES);
    assert!(
        before["stages"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["opened"] == false && s["held_on"].is_null())
    );
    assert_eq!(before["current"], Value::Null);

    // The office opens the self-check and overrides one criterion.
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let res = office
        .post(app.url("/acceptance/self_check/open"))
        .form(&[("held_on", "2015-06-20")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
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

    let (status, now) = get_bearer(&app, &unit_token, "/api/v1/acceptance").await;
    assert_eq!(status, 200, "{now}");
    let stages = now["stages"].as_array().unwrap();
    assert_eq!(stages[0]["opened"], true);
    assert_eq!(stages[0]["held_on"], "2015-06-20");
    assert_eq!(stages[0]["label"], "自查");
    assert!(stages[1..].iter().all(|s| s["opened"] == false));

    let (stage, r) = qcity_store::acceptance::current_readiness(store, today)
        .await
        .unwrap()
        .expect("the self-check is open");
    let cur = &now["current"];
    assert_eq!(cur["stage"], stage.as_str());
    assert_eq!(stage, "self_check");
    assert!(close(&cur["score"], r.score), "{cur}");
    assert!(close(&cur["base_total"], r.base_total));
    assert!(close(&cur["base_earned"], r.base_earned));
    assert!(close(&cur["bonus"], r.bonus));
    assert!(close(&cur["bonus_max"], r.bonus_max));
    assert!(close(&cur["percent"], r.percent()));
    assert_eq!(cur["vetoed"], r.vetoed);
    assert_eq!(cur["vetoed_by"], serde_json::json!(r.vetoed_by));
    assert_eq!(cur["undecided"], r.undecided.len());
    assert!(
        !r.undecided.iter().any(|c| c == "1.2.a"),
        "the overridden criterion is decided"
    );
    assert!(!r.undecided.is_empty());
    assert_eq!(cur["undecided_criteria"], serde_json::json!(r.undecided));
    let cats = cur["by_category"].as_array().unwrap();
    assert_eq!(cats.len(), r.by_category.len());
    for (c, want) in cats.iter().zip(&r.by_category) {
        assert_eq!(c["code"], want.code.as_str());
        assert_eq!(c["name"], want.name.as_str());
        assert!(close(&c["earned"], want.earned), "{c}");
        assert!(close(&c["max"], want.max), "{c}");
        assert_eq!(c["undecided"], want.undecided, "{c}");
    }
}

async fn approve(app: &TestApp, indicator: &str, year: i64, value: f64) {
    let plan = qcity_domain::plan::default_plan();
    let office = Actor::system("office");
    let v = qcity_store::indicators::NewValue {
        indicator: indicator.into(),
        measure: String::new(),
        year,
        value: Some(value),
        judged: None,
        comment: "统计数据".into(),
        source: "manual".into(),
    };
    let id = qcity_store::indicators::submit(&app.store, &office, &plan, v, &Default::default())
        .await
        .unwrap();
    qcity_store::indicators::decide(&app.store, &office, id, true, "")
        .await
        .unwrap();
}

/// The JSON figures' progress and the PRD-1 line, against the store's figures.
fn assert_figures(json: &Value, f: &qcity_store::reports::Figures) {
    assert_eq!(json["period"], f.period.as_str());
    assert_eq!(json["as_of"], f.as_of.as_str());
    assert_eq!(json["year"], f.year);
    assert_eq!(json["progress"]["total"], f.progress.total);
    assert_eq!(json["progress"]["due"], f.progress.due);
    assert_eq!(json["progress"]["accepted"], f.progress.accepted);
    assert_eq!(json["progress"]["overdue"], f.progress.overdue);
    let areas = json["areas"].as_array().unwrap();
    assert_eq!(areas.len(), f.areas.len());
    let product = f.areas.iter().find(|a| a.code == "product").unwrap();
    let want = product
        .indicators
        .iter()
        .find(|i| i.code == "PRD-1")
        .unwrap();
    let got = areas
        .iter()
        .find(|a| a["code"] == "product")
        .and_then(|a| {
            a["indicators"]
                .as_array()
                .unwrap()
                .iter()
                .find(|i| i["code"] == "PRD-1")
        })
        .unwrap();
    assert_eq!(got["value"], want.value.as_str());
    assert_eq!(got["status"], want.status.as_str());
    assert_eq!(got["explanation"], want.explanation_zh.as_str());
    let points = &got["series"][0]["points"];
    assert_eq!(
        points.as_array().unwrap().len(),
        want.series[0].points.len()
    );
    for (p, (year, value)) in points
        .as_array()
        .unwrap()
        .iter()
        .zip(&want.series[0].points)
    {
        assert_eq!(p["year"], *year);
        assert!(close(&p["value"], *value));
    }
}

#[tokio::test]
async fn the_reports_api_hides_drafts_from_evaluators_and_serves_frozen_figures() {
    let today = d(2015, 1, 10);
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    approve(&app, "PRD-1", 2013, 28.0).await;
    approve(&app, "PRD-1", 2014, 31.0).await;
    create_user(store, "rd.daibiao", Role::Evaluator, None, PASSWORD).await;
    create_user(store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    create_user(store, "quzhang", Role::Leader, None, PASSWORD).await;
    let evaluator = token(store, "rd.daibiao").await;
    let unit = token(store, "zjfj.staff").await;
    let leader = token(store, "quzhang").await;

    // The office drafts the 2014 report and writes its summary.
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let res = office
        .post(app.url("/reports/new"))
        .form(&[("period", "2014")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = location.trim_start_matches("/reports/").parse().unwrap();
    let res = office
        .post(app.url(&format!("/reports/{id}/narrative")))
        .form(&[("row_version", "1"), ("summary", "全区质量总体平稳。")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let path = format!("/api/v1/quality-reports/{id}");

    // Signed out: nothing.
    for p in ["/api/v1/quality-reports", path.as_str()] {
        let res = app.client().get(app.url(p)).send().await.unwrap();
        assert_eq!(res.status(), 401, "{p}");
    }
    // The draft does not exist for an evaluator or a unit.
    for t in [&evaluator, &unit] {
        let (status, list) = get_bearer(&app, t, "/api/v1/quality-reports").await;
        assert_eq!(status, 200);
        assert_eq!(list, serde_json::json!([]), "no draft in the list");
        let (status, err) = get_bearer(&app, t, &path).await;
        assert_eq!(status, 404, "{err}");
        assert_eq!(err["error"], "not_found");
    }
    // The leaders see it; the office sees it with live figures.
    let (_, list) = get_bearer(&app, &leader, "/api/v1/quality-reports").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    let (status, list) = get_json(&app, &office, "/api/v1/quality-reports").await;
    assert_eq!(status, 200);
    let plan = qcity_domain::plan::default_plan();
    let period = qcity_store::reports::Period::parse("2014").unwrap();
    let entry = &list[0];
    assert_eq!(entry["id"], id);
    assert_eq!(entry["period"], "2014");
    assert_eq!(entry["period_label"], "2014年");
    assert_eq!(
        entry["title"],
        qcity_store::reports::title_for(&plan, period).as_str()
    );
    assert_eq!(entry["status"], "draft");
    assert_eq!(entry["number"], Value::Null);
    assert_eq!(entry["issued_on"], Value::Null);
    assert_eq!(entry["published"], false);

    let (status, draft) = get_json(&app, &office, &path).await;
    assert_eq!(status, 200, "{draft}");
    assert_eq!(draft["figures_frozen"], false);
    assert_eq!(draft["issued_by"], Value::Null);
    let keys: Vec<&str> = draft["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, qcity_store::reports::SECTIONS);
    assert_eq!(draft["sections"][0]["text"], "全区质量总体平稳。");
    assert_eq!(draft["sections"][1]["text"], "");
    let live = qcity_store::reports::compute(store, &plan, period, today)
        .await
        .unwrap();
    assert_figures(&draft["figures"], &live);
    assert_eq!(live.as_of, "2014-12-31");

    // Issued: every signed-in role reads it, numbered, with the figures frozen at issue.
    let res = office
        .post(app.url(&format!("/reports/{id}/issue")))
        .form(&[("row_version", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let stored = qcity_store::reports::get(store, &actor(store, "admin").await, id)
        .await
        .unwrap();
    let frozen = stored.figures.expect("issued reports keep their figures");
    for t in [&evaluator, &unit] {
        let (_, list) = get_bearer(&app, t, "/api/v1/quality-reports").await;
        assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
        assert_eq!(list[0]["status"], "issued");
        assert_eq!(list[0]["number"], stored.number);
        assert_eq!(list[0]["number"], 1);
        assert_eq!(list[0]["issued_on"], "2015-01-10");
        let (status, one) = get_bearer(&app, t, &path).await;
        assert_eq!(status, 200, "{one}");
        assert_eq!(one["figures_frozen"], true);
        assert_eq!(one["issued_by"], "admin");
        assert_eq!(one["sections"][0]["text"], "全区质量总体平稳。");
        assert_figures(&one["figures"], &frozen);
    }
    let prd1 = &frozen.areas[0].indicators[0];
    assert_eq!(prd1.code, "PRD-1");
    assert!(prd1.value.contains("31"), "{}", prd1.value);

    // Ids that are not reports: not found.
    for p in [
        "/api/v1/quality-reports/999999",
        "/api/v1/quality-reports/abc",
    ] {
        let (status, _) = get_bearer(&app, &evaluator, p).await;
        assert_eq!(status, 404, "{p}");
    }
}

#[tokio::test]
async fn the_new_endpoints_are_in_the_openapi_document() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let (status, spec) = get_json(&app, &c, "/api/v1/openapi.json").await;
    assert_eq!(status, 200);
    for path in [
        "/api/v1/assessment/scores",
        "/api/v1/acceptance",
        "/api/v1/quality-reports",
        "/api/v1/quality-reports/{id}",
    ] {
        assert!(
            spec["paths"][path]["get"].is_object(),
            "GET {path} missing from the spec"
        );
    }
    let scores = &spec["paths"]["/api/v1/assessment/scores"]["get"];
    assert_eq!(scores["parameters"][0]["name"], "period");
    assert_eq!(scores["parameters"][0]["in"], "query");
    assert_eq!(
        scores["responses"]["200"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/AssessmentDto"
    );
    for schema in [
        "AssessmentDto",
        "UnitScoreDto",
        "ScoreLineDto",
        "AcceptanceDto",
        "ReadinessDto",
        "QualityReportDto",
        "QualityReportDetailDto",
        "ReportFiguresDto",
    ] {
        assert!(
            spec["components"]["schemas"][schema].is_object(),
            "{schema} missing from the spec"
        );
    }
    let unit_score = &spec["components"]["schemas"]["UnitScoreDto"]["properties"];
    for field in ["unit_code", "unit_name", "rank", "total", "lines"] {
        assert!(unit_score[field].is_object(), "UnitScoreDto.{field}");
    }
    let docs = body(c.get(app.url("/api/docs")).send().await.unwrap()).await;
    assert!(docs.contains("/api/v1/assessment/scores") && docs.contains("ReadinessDto"));
}
