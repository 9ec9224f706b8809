//! Issue 14, "the API, complete and exact": the actions the pages offered without an API
//! operation (acceptance decisions, rectifications and the score sheet; credit rules; the
//! assessment scheme and single ratings; evidence uploads as multipart and their download;
//! account reset, disable and enable) through `/api/v1`, with the pages' role rules, the
//! write visible to the store and the page, 422s that name the field and lose nothing, and
//! each operation in the OpenAPI document.

use crate::harness::{ADMIN_PASSWORD, PASSWORD, TestApp, create_user};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::{Actor, Store};
use reqwest::{Method, multipart};
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

async fn token(store: &Store, username: &str) -> String {
    qcity_store::users::create_token(store, &Actor::system("t"), username, "api test")
        .await
        .unwrap()
}

/// A request with a bearer token and a JSON body (or none): (status, JSON body or Null).
async fn call(
    app: &TestApp,
    token: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let req = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(token)
        .header("Accept-Language", "zh-CN");
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Office, unit (NW), leader and evaluator tokens.
struct Tokens {
    office: String,
    unit: String,
    leader: String,
    evaluator: String,
}

async fn tokens(app: &TestApp) -> Tokens {
    let store = &app.store;
    create_user(store, "nw.staff", Role::Unit, Some("NW"), PASSWORD).await;
    create_user(store, "leader", Role::Leader, None, PASSWORD).await;
    create_user(store, "rd.daibiao", Role::Evaluator, None, PASSWORD).await;
    Tokens {
        office: token(store, "admin").await,
        unit: token(store, "nw.staff").await,
        leader: token(store, "leader").await,
        evaluator: token(store, "rd.daibiao").await,
    }
}

#[tokio::test]
async fn acceptance_decisions_rectifications_and_the_sheet_through_the_api() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 7, 1)),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    let t = tokens(&app).await;
    let decisions = "/api/v1/acceptance/stages/self_check/decisions";
    let override_body = json!({"criterion": "1.2.a", "action": "override", "points": 5,
        "comment": "规划未经区政府常务会审议"});

    // Not open yet: 409, in the caller's language.
    let (s, e) = call(
        &app,
        &t.office,
        Method::POST,
        decisions,
        Some(override_body.clone()),
    )
    .await;
    assert_eq!(s, 409, "{e}");
    let (s, _) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/acceptance/stages/self_check",
        Some(json!({"held_on": "2015-06-20"})),
    )
    .await;
    assert_eq!(s, 201);

    // Only the office decides: units, leaders and evaluators are refused, nothing recorded.
    for who in [&t.unit, &t.leader, &t.evaluator] {
        let (s, e) = call(
            &app,
            who,
            Method::POST,
            decisions,
            Some(override_body.clone()),
        )
        .await;
        assert_eq!(s, 403, "{e}");
    }
    let stage = qcity_store::acceptance::stage(store, &Actor::system("t"), "self_check")
        .await
        .unwrap()
        .unwrap();
    let recorded = || async {
        qcity_store::acceptance::decisions(store, &Actor::system("t"), stage.id)
            .await
            .unwrap()
    };
    assert!(recorded().await.is_empty());

    // Bad input: 422 naming the field, nothing recorded.
    let bad = [
        (
            json!({"criterion": "1.2.a", "action": "override", "points": 5}),
            "comment",
        ),
        (
            json!({"criterion": "1.2.a", "action": "override", "comment": "x"}),
            "points",
        ),
        (
            json!({"criterion": "1.2.a", "action": "override", "points": 999, "comment": "x"}),
            "points",
        ),
        (json!({"criterion": "1.2.a", "action": "approve"}), "action"),
        (
            json!({"criterion": "1.2.a", "action": "confirm", "shown_points": 19.123}),
            "criterion",
        ),
        (
            json!({"criterion": "1.2.a", "action": "override", "points": "five", "comment": "x"}),
            "points",
        ),
    ];
    for (body, field) in bad {
        let (s, e) = call(&app, &t.office, Method::POST, decisions, Some(body.clone())).await;
        assert_eq!(s, 422, "{body}: {e}");
        assert!(
            e["fields"][field].as_str().is_some_and(|m| !m.is_empty()),
            "{body}: {e}"
        );
    }
    let (s, e) = call(
        &app,
        &t.office,
        Method::POST,
        decisions,
        Some(json!({"criterion": "9.9.z", "action": "confirm"})),
    )
    .await;
    assert_eq!(s, 404, "{e}");
    assert!(recorded().await.is_empty());

    // The override takes effect: in the store, and on the stage's page.
    let (s, dec) = call(
        &app,
        &t.office,
        Method::POST,
        decisions,
        Some(override_body),
    )
    .await;
    assert_eq!(s, 200, "{dec}");
    assert_eq!(dec["overridden"], true);
    assert_eq!(dec["points"].as_f64(), Some(5.0));
    assert_eq!(dec["decided_by"], "admin");
    let now = recorded().await;
    assert_eq!(now.len(), 1);
    assert_eq!(now[0].criterion, "1.2.a");
    assert!((now[0].points - 5.0).abs() < 1e-9);
    let page = app
        .login("admin", ADMIN_PASSWORD)
        .await
        .get(app.url("/acceptance/self_check"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("规划未经区政府常务会审议"));

    // The stage as its page shows it, for every role: the decision, the proposal to confirm.
    let (s, detail) = call(
        &app,
        &t.unit,
        Method::GET,
        "/api/v1/acceptance/stages/self_check",
        None,
    )
    .await;
    assert_eq!(s, 200, "{detail}");
    assert_eq!(detail["opened"], true);
    assert_eq!(detail["held_on"], "2015-06-20");
    let c = detail["criteria"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "1.2.a")
        .unwrap()
        .clone();
    assert_eq!(c["decision"]["comment"], "规划未经区政府常务会审议");
    assert_eq!(c["proposed"], dec["proposed"]);
    assert!(detail["criteria"].as_array().unwrap().len() > 10);
    assert_eq!(
        detail["decided"]["undecided"].as_u64().unwrap() + 1,
        detail["criteria"].as_array().unwrap().len() as u64
    );
    let (s, _) = call(
        &app,
        &t.unit,
        Method::GET,
        "/api/v1/acceptance/stages/nonsense",
        None,
    )
    .await;
    assert_eq!(s, 404);

    // A confirmation replaces it with QCity's proposal, as shown.
    let (s, dec) = call(
        &app,
        &t.office,
        Method::POST,
        decisions,
        Some(json!({"criterion": "1.2.a", "action": "confirm",
            "shown_points": c["proposed"], "shown_veto_failed": c["proposal_vetoed"]})),
    )
    .await;
    assert_eq!(s, 200, "{dec}");
    assert_eq!(dec["overridden"], false);
    assert_eq!(dec["points"], dec["proposed"]);
    assert_eq!(recorded().await.len(), 1);

    // Rectifications: assigned, then marked done by the office only.
    let (s, r) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/acceptance/stages/self_check/rectifications",
        Some(json!({"body": "补齐规划审议记录", "unit": "NW", "deadline": "2015-08-01"})),
    )
    .await;
    assert_eq!(s, 201, "{r}");
    let done = format!(
        "/api/v1/acceptance/stages/self_check/rectifications/{}/done",
        r["id"]
    );
    for who in [&t.unit, &t.leader, &t.evaluator] {
        let (s, _) = call(&app, who, Method::PUT, &done, Some(json!({"done": true}))).await;
        assert_eq!(s, 403);
    }
    let (s, e) = call(
        &app,
        &t.office,
        Method::PUT,
        &done,
        Some(json!({"done": "yes"})),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    let is_done = || async {
        qcity_store::acceptance::rectifications(store, &Actor::system("t"), stage.id)
            .await
            .unwrap()[0]
            .done
    };
    assert!(!is_done().await);
    let (s, _) = call(
        &app,
        &t.office,
        Method::PUT,
        &done,
        Some(json!({"done": true})),
    )
    .await;
    assert_eq!(s, 204);
    assert!(is_done().await);
    let (s, _) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/acceptance/stages/self_check/rectifications/999999/done",
        Some(json!({"done": true})),
    )
    .await;
    assert_eq!(s, 404);

    // The score sheet: everyone reads it, the office replaces it, a broken one is refused
    // with its problems and the sheet in force stays.
    let (s, sheet) = call(
        &app,
        &t.evaluator,
        Method::GET,
        "/api/v1/acceptance/sheet",
        None,
    )
    .await;
    assert_eq!(s, 200, "{sheet}");
    assert_eq!(sheet["source"], Value::Null);
    let toml = sheet["toml"].as_str().unwrap().to_string();
    let name = sheet["name"].as_str().unwrap().to_string();
    for who in [&t.unit, &t.leader, &t.evaluator] {
        let (s, _) = call(
            &app,
            who,
            Method::PUT,
            "/api/v1/acceptance/sheet",
            Some(json!({"toml": toml})),
        )
        .await;
        assert_eq!(s, 403);
    }
    let broken = toml.replacen("max_points = ", "max_points = -", 1);
    assert_ne!(broken, toml);
    for body in [json!({"toml": broken}), json!({"toml": "name = ["})] {
        let (s, e) = call(
            &app,
            &t.office,
            Method::PUT,
            "/api/v1/acceptance/sheet",
            Some(body),
        )
        .await;
        assert_eq!(s, 422, "{e}");
        assert!(
            e["fields"]["toml"].as_str().is_some_and(|m| !m.is_empty()),
            "{e}"
        );
    }
    let (sheet_now, source) =
        qcity_store::acceptance::sheet_in_force(store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert!(source.is_none());
    assert_eq!(sheet_now.name, name);
    let renamed = toml.replacen(
        &format!("name = \"{name}\""),
        "name = \"接口修订评分表\"",
        1,
    );
    assert_ne!(
        renamed, toml,
        "the sheet's TOML names it on a line of its own"
    );
    let (s, saved) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/acceptance/sheet",
        Some(json!({"toml": renamed})),
    )
    .await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["name"], "接口修订评分表");
    assert_eq!(saved["source"], "toml");
    assert_eq!(saved["saved_by"], "admin");
    let (sheet_now, _) =
        qcity_store::acceptance::sheet_in_force(store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    assert_eq!(sheet_now.name, "接口修订评分表");
}

#[tokio::test]
async fn credit_rules_scheme_and_ratings_through_the_api() {
    let today = d(2015, 3, 10);
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    let store = &app.store;
    let t = tokens(&app).await;

    // Credit rules: everyone signed in reads them; only the office replaces them.
    let (s, rules) = call(&app, &t.unit, Method::GET, "/api/v1/credit/rules", None).await;
    assert_eq!(s, 200, "{rules}");
    assert_eq!(rules["saved_by"], Value::Null);
    let body = rules["toml"].as_str().unwrap().to_string();
    assert_eq!(body, qcity_store::credit::rules_text(store).await.unwrap());
    let edited = format!("# 2015 修订\n{body}");
    for who in [&t.unit, &t.leader, &t.evaluator] {
        let (s, _) = call(
            &app,
            who,
            Method::PUT,
            "/api/v1/credit/rules",
            Some(json!({"toml": edited})),
        )
        .await;
        assert_eq!(s, 403);
    }
    let (s, e) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/credit/rules",
        Some(json!({"toml": "[grades\nA = "})),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["fields"]["toml"].as_str().is_some_and(|m| !m.is_empty()),
        "{e}"
    );
    let (s, e) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/credit/rules",
        Some(json!({"body": edited})),
    )
    .await;
    assert_eq!(s, 422, "a missing field is named: {e}");
    assert_eq!(qcity_store::credit::rules_text(store).await.unwrap(), body);
    let (s, saved) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/credit/rules",
        Some(json!({"toml": edited})),
    )
    .await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["saved_by"], "admin");
    assert_eq!(
        qcity_store::credit::rules_text(store).await.unwrap(),
        edited
    );

    // The assessment scheme: read for a year, replaced by the office for a year onwards.
    let (s, e) = call(
        &app,
        &t.unit,
        Method::GET,
        "/api/v1/assessment/scheme?period=abc",
        None,
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert!(e["fields"]["period"].is_string());
    let (s, scheme) = call(
        &app,
        &t.unit,
        Method::GET,
        "/api/v1/assessment/scheme?period=2015",
        None,
    )
    .await;
    assert_eq!(s, 200, "{scheme}");
    assert_eq!(scheme["applies_from"], Value::Null);
    let toml = scheme["toml"].as_str().unwrap().to_string();
    for who in [&t.unit, &t.leader, &t.evaluator] {
        let (s, _) = call(
            &app,
            who,
            Method::PUT,
            "/api/v1/assessment/scheme",
            Some(json!({"toml": toml, "period": 2015})),
        )
        .await;
        assert_eq!(s, 403);
    }
    let (s, e) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/assessment/scheme",
        Some(json!({"toml": "weights = 1", "period": 2015})),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["fields"]["toml"].as_str().is_some_and(|m| !m.is_empty()),
        "{e}"
    );
    let (s, e) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/assessment/scheme",
        Some(json!({"toml": toml, "period": 1900})),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert!(
        qcity_store::assessment::current_scheme(store, &qcity_store::Actor::system("t"))
            .await
            .unwrap()
            .1
            .is_none()
    );
    let (s, saved) = call(
        &app,
        &t.office,
        Method::PUT,
        "/api/v1/assessment/scheme",
        Some(json!({"toml": toml, "period": 2015})),
    )
    .await;
    assert_eq!(s, 200, "{saved}");
    assert_eq!(saved["applies_from"], 2015);
    let (s, older) = call(
        &app,
        &t.unit,
        Method::GET,
        "/api/v1/assessment/scheme?period=2014",
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(
        older["applies_from"],
        Value::Null,
        "2014 keeps the scheme it had"
    );

    // A single rating: evaluators only, in an open window, 0–100.
    let (s, w) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/assessment/windows",
        Some(json!({"title": "2014 年度评议", "period": 2014, "opens_on": "2015-03-01", "closes_on": "2015-03-31"})),
    )
    .await;
    assert_eq!(s, 201, "{w}");
    let ratings = format!("/api/v1/assessment/windows/{}/ratings", w["id"]);
    let rating = json!({"unit": "NW", "score": 88, "comment": "工作扎实"});
    for who in [&t.office, &t.unit, &t.leader] {
        let (s, _) = call(&app, who, Method::POST, &ratings, Some(rating.clone())).await;
        assert_eq!(s, 403);
    }
    let (s, e) = call(
        &app,
        &t.evaluator,
        Method::POST,
        &ratings,
        Some(json!({"unit": "NW", "score": 150})),
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert!(e["fields"]["score"].is_string());
    let (s, _) = call(
        &app,
        &t.evaluator,
        Method::POST,
        &ratings,
        Some(json!({"unit": "NOPE", "score": 80})),
    )
    .await;
    assert_eq!(s, 404);
    let window_id = w["id"].as_i64().unwrap();
    let evaluator = qcity_store::users::get(store, &Actor::system("t"), "rd.daibiao")
        .await
        .unwrap()
        .actor("127.0.0.1", "t");
    assert!(
        qcity_store::assessment::ratings(store, &evaluator, window_id)
            .await
            .unwrap()
            .is_empty()
    );
    let (s, _) = call(&app, &t.evaluator, Method::POST, &ratings, Some(rating)).await;
    assert_eq!(s, 204);
    let stored = qcity_store::assessment::ratings(store, &evaluator, window_id)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].unit_code, "NW");
    assert!((stored[0].score - 88.0).abs() < 1e-9);
}

#[tokio::test]
async fn accounts_are_administered_through_the_api_by_the_office_only() {
    let app = TestApp::spawn().await;
    let store = &app.store;
    let t = tokens(&app).await;
    create_user(store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let staff = token(store, "zjfj.staff").await;

    for path in [
        "/api/v1/users/zjfj.staff/password-reset",
        "/api/v1/users/zjfj.staff/disable",
        "/api/v1/users/zjfj.staff/enable",
    ] {
        for who in [&t.unit, &t.leader, &t.evaluator, &staff] {
            let (s, e) = call(&app, who, Method::POST, path, None).await;
            assert_eq!(s, 403, "{path}: {e}");
        }
    }
    let (s, me) = call(&app, &staff, Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, 200, "nothing happened to the account: {me}");

    // Disable: its token ends at once and sign-in fails.
    let (s, u) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/users/zjfj.staff/disable",
        None,
    )
    .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["disabled"], true);
    let (s, _) = call(&app, &staff, Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, 401);
    let res = app
        .client()
        .post(app.url("/login"))
        .form(&[
            ("username", "zjfj.staff"),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 303, "a disabled account cannot sign in");

    // Enable: sign-in works again, the revoked token stays revoked.
    let (s, u) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/users/zjfj.staff/enable",
        None,
    )
    .await;
    assert_eq!(s, 200, "{u}");
    assert_eq!(u["disabled"], false);
    let (s, _) = call(&app, &staff, Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, 401, "enabling does not revive tokens");
    app.login("zjfj.staff", PASSWORD).await;

    // Reset: a one-time password that replaces the old one and must be changed.
    let fresh = token(store, "zjfj.staff").await;
    let (s, r) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/users/zjfj.staff/password-reset",
        None,
    )
    .await;
    assert_eq!(s, 200, "{r}");
    let otp = r["one_time_password"].as_str().unwrap().to_string();
    assert!(otp.len() >= 12, "{r}");
    assert_eq!(r["user"]["must_change_password"], true);
    let (s, _) = call(&app, &fresh, Method::GET, "/api/v1/me", None).await;
    assert_eq!(s, 401, "a reset ends the account's tokens");
    let res = app
        .client()
        .post(app.url("/login"))
        .form(&[
            ("username", "zjfj.staff"),
            ("password", PASSWORD),
            ("next", "/"),
        ])
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 303, "the old password no longer works");
    app.login("zjfj.staff", &otp).await;

    // The office cannot disable itself; unknown accounts are 404.
    let (s, e) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/users/admin/disable",
        None,
    )
    .await;
    assert_eq!(s, 409, "{e}");
    assert!(!e["detail"].as_str().unwrap_or("").is_empty(), "{e}");
    let (s, _) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/users/nobody/disable",
        None,
    )
    .await;
    assert_eq!(s, 404);
    let (s, _) = call(
        &app,
        &t.office,
        Method::POST,
        "/api/v1/users/nobody/password-reset",
        None,
    )
    .await;
    assert_eq!(s, 404);

    // Each change is in the audit trail.
    let (s, audit) = call(
        &app,
        &t.office,
        Method::GET,
        "/api/v1/audit?target=zjfj.staff",
        None,
    )
    .await;
    assert_eq!(s, 200, "{audit}");
    let actions: Vec<&str> = audit["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["action"].as_str())
        .collect();
    for a in ["user.disable", "user.enable", "user.password_reset"] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
}

/// POST a multipart upload of `files` to a value: (status, JSON body).
async fn upload(app: &TestApp, token: &str, value: i64, files: &[(&str, Vec<u8>)]) -> (u16, Value) {
    let mut form = multipart::Form::new();
    for (name, bytes) in files {
        form = form.part(
            "files",
            multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    let res = reqwest::Client::new()
        .post(app.url(&format!("/api/v1/indicator-values/{value}/files")))
        .bearer_auth(token)
        .header("Accept-Language", "zh-CN")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn evidence_is_uploaded_as_multipart_checked_and_downloaded_safely() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 1, 20)),
        max_evidence_bytes: 64 * 1024,
        ..Default::default()
    })
    .await;
    let store = &app.store;
    let t = tokens(&app).await;
    create_user(store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let other_unit = token(store, "zjfj.staff").await;

    // 区农委 enters PRD-1 for 2014; the value awaits the office's decision.
    let (s, v) = call(
        &app,
        &t.unit,
        Method::POST,
        "/api/v1/indicators/PRD-1/values",
        Some(json!({"year": 2014, "value": 31.5})),
    )
    .await;
    assert_eq!(s, 201, "{v}");
    let id = v["id"].as_i64().unwrap();
    let files_of = || async {
        qcity_store::indicators::history(store, &Actor::system("t"), Some("PRD-1"))
            .await
            .unwrap()
            .into_iter()
            .find(|v| v.id == id)
            .unwrap()
            .files
    };

    // Another unit, leaders and evaluators may not attach, whatever they send.
    for who in [&other_unit, &t.leader, &t.evaluator] {
        let (s, e) = upload(&app, who, id, &[("监测报告.pdf", PDF.to_vec())]).await;
        assert_eq!(s, 403, "{e}");
    }
    // A program named like a PDF, a file over the limit, and no file at all: 422, nothing kept.
    let (s, e) = upload(
        &app,
        &t.unit,
        id,
        &[(
            "监测报告.pdf",
            b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec(),
        )],
    )
    .await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["fields"]["files"]
            .as_str()
            .unwrap()
            .contains("不接受程序"),
        "{e}"
    );
    let mut big = PDF.to_vec();
    big.resize(100 * 1024, b' ');
    let (s, e) = upload(&app, &t.unit, id, &[("大文件.pdf", big)]).await;
    assert_eq!(s, 422, "{e}");
    assert!(
        e["fields"]["files"].as_str().unwrap().contains("64 KB"),
        "{e}"
    );
    let (s, e) = upload(&app, &t.unit, id, &[]).await;
    assert_eq!(s, 422, "{e}");
    assert!(e["fields"]["files"].is_string(), "{e}");
    let (s, e) = call(
        &app,
        &t.unit,
        Method::POST,
        &format!("/api/v1/indicator-values/{id}/files"),
        Some(json!({"files": []})),
    )
    .await;
    assert_eq!(s, 422, "a JSON body is not a form: {e}");
    assert!(files_of().await.is_empty());
    let (s, _) = upload(&app, &t.unit, 999_999, &[("a.pdf", PDF.to_vec())]).await;
    assert_eq!(s, 404);

    // A real PDF is stored and listed, with the value and on the API's values.
    let (s, listed) = upload(&app, &t.unit, id, &[("监测报告.pdf", PDF.to_vec())]).await;
    assert_eq!(s, 201, "{listed}");
    let sha = listed[0]["sha256"].as_str().unwrap().to_string();
    assert_eq!(files_of().await.len(), 1);
    let (s, values) = call(
        &app,
        &t.evaluator,
        Method::GET,
        "/api/v1/indicators/PRD-1/values",
        None,
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(values[0]["files"][0]["sha256"], sha.as_str());

    // The download is an attachment in its stored type, never sniffed.
    let res = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/indicator-values/{id}/files/{sha}")))
        .bearer_auth(&t.leader)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    assert_eq!(h["content-type"], "application/pdf");
    assert_eq!(h["x-content-type-options"], "nosniff");
    let cd = h["content-disposition"].to_str().unwrap();
    assert!(cd.starts_with("attachment;"), "{cd}");
    assert!(cd.contains("filename*=UTF-8''"), "{cd}");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);
    let (s, _) = call(
        &app,
        &t.leader,
        Method::GET,
        &format!("/api/v1/indicator-values/{id}/files/{}", "0".repeat(64)),
        None,
    )
    .await;
    assert_eq!(s, 404);

    // Once decided, nothing more can be attached.
    let (s, _) = call(
        &app,
        &t.office,
        Method::POST,
        &format!("/api/v1/indicator-values/{id}/decision"),
        Some(json!({"decision": "approve"})),
    )
    .await;
    assert_eq!(s, 200);
    let (s, e) = upload(&app, &t.unit, id, &[("补充.pdf", PDF.to_vec())]).await;
    assert_eq!(s, 409, "{e}");
}

#[tokio::test]
async fn the_document_describes_every_new_operation() {
    let app = TestApp::spawn().await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ops: &[(&str, &str, &[&str])] = &[
        (
            "post",
            "/api/v1/acceptance/stages/{stage}/decisions",
            &["200", "401", "403", "404", "409", "422", "413"],
        ),
        (
            "put",
            "/api/v1/acceptance/stages/{stage}/rectifications/{id}/done",
            &["204", "401", "403", "404", "409", "422"],
        ),
        ("get", "/api/v1/acceptance/sheet", &["200", "401", "403"]),
        (
            "get",
            "/api/v1/acceptance/stages/{stage}",
            &["200", "401", "403", "404", "422"],
        ),
        (
            "get",
            "/api/v1/enterprises/{code}/credit-events/{event}/evidence",
            &["200", "401", "403", "404", "422"],
        ),
        (
            "put",
            "/api/v1/acceptance/sheet",
            &["200", "401", "403", "422", "413"],
        ),
        ("get", "/api/v1/credit/rules", &["200", "401", "403"]),
        (
            "put",
            "/api/v1/credit/rules",
            &["200", "401", "403", "422", "413"],
        ),
        (
            "get",
            "/api/v1/assessment/scheme",
            &["200", "401", "403", "422"],
        ),
        (
            "put",
            "/api/v1/assessment/scheme",
            &["200", "401", "403", "422"],
        ),
        (
            "post",
            "/api/v1/assessment/windows/{id}/ratings",
            &["204", "401", "403", "404", "409", "422"],
        ),
        (
            "post",
            "/api/v1/indicator-values/{id}/files",
            &["201", "401", "403", "404", "409", "413", "422"],
        ),
        (
            "get",
            "/api/v1/indicator-values/{id}/files/{sha}",
            &["200", "401", "403", "404", "422"],
        ),
        (
            "post",
            "/api/v1/users/{username}/password-reset",
            &["200", "401", "403", "404", "422"],
        ),
        (
            "post",
            "/api/v1/users/{username}/disable",
            &["200", "401", "403", "404", "409"],
        ),
        (
            "post",
            "/api/v1/users/{username}/enable",
            &["200", "401", "403", "404"],
        ),
    ];
    for (method, path, codes) in ops {
        let op = &doc["paths"][path][method];
        assert!(op.is_object(), "{method} {path} is not in the document");
        for code in *codes {
            assert!(
                op["responses"][code].is_object(),
                "{method} {path}: {code} undocumented"
            );
        }
    }
    let period = doc["paths"]["/api/v1/assessment/scheme"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "period")
        .cloned()
        .unwrap();
    assert_eq!(period["in"], "query");
    let form = &doc["paths"]["/api/v1/indicator-values/{id}/files"]["post"]["requestBody"]["content"]
        ["multipart/form-data"]["schema"];
    assert!(
        form.is_object(),
        "the upload is described as a multipart form"
    );
    let download = &doc["paths"]["/api/v1/indicator-values/{id}/files/{sha}"]["get"]["responses"]["200"]
        ["content"];
    assert!(
        download["application/octet-stream"].is_object(),
        "{download}"
    );
}
