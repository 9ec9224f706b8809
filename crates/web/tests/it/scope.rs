//! Unit staff read and write only their own unit's records: walk every state-changing route
//! as a user of another unit and expect refusal, then check that nothing changed.

use crate::harness::{PASSWORD, TestApp, body};
use chrono::Datelike;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::units;
use qcity_web::{PUBLIC_ROUTES, SELF_ROUTES};

#[tokio::test]
async fn another_units_staff_is_refused_on_every_state_changing_route() {
    let app = TestApp::with_plan().await;
    // The victim unit ZJFJ and its staff; the intruder works for NW.
    let _victim = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let victim = qcity_store::users::get(&app.store, &Actor::system("t"), "zjfj.staff")
        .await
        .unwrap()
        .actor("127.0.0.1", "t");
    let today = chrono::NaiveDate::from_ymd_opt(2014, 12, 1).unwrap();
    let filter = qcity_store::obligations::Filter {
        unit: Some("ZJFJ".into()),
        content_prefix: Some("1.1.1".into()),
        ..Default::default()
    };
    let ob = qcity_store::obligations::list(&app.store, &Actor::system("t"), &filter, today)
        .await
        .unwrap()
        .remove(0);
    let input = qcity_store::obligations::ReportInput {
        body: "进展".into(),
        percent: 30,
        submit: false,
        form_token: "victim-token-0000000".into(),
        files: vec![qcity_store::obligations::Upload {
            filename: "a.pdf".into(),
            bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
        }],
    };
    let report_id = qcity_store::obligations::report(
        &app.store,
        &victim,
        ob.id,
        input,
        &Default::default(),
        today,
    )
    .await
    .unwrap();
    let ext_id = qcity_store::obligations::request_extension(
        &app.store,
        &victim,
        ob.id,
        today.with_year(2015).unwrap(),
        "理由",
        today,
    )
    .await
    .unwrap();
    let notice_id = qcity_store::notices::issue_duban(
        &app.store,
        &Actor::system("t"),
        "ZJFJ",
        Some(ob.id),
        "督办",
        "",
        today,
        today,
    )
    .await
    .unwrap();
    units::update_contact(
        &app.store,
        &Actor::system("test"),
        "ZJFJ",
        units::Contact {
            name: "李四",
            phone: "0371-1234",
            email: "",
        },
    )
    .await
    .unwrap();
    let plan = qcity_domain::plan::default_plan();
    let value = qcity_store::indicators::NewValue {
        indicator: "PRD-1".into(),
        measure: String::new(),
        year: 2014,
        value: Some(31.0),
        judged: None,
        comment: String::new(),
        source: "manual".into(),
    };
    let value_id = qcity_store::indicators::submit(
        &app.store,
        &Actor::system("t"),
        &plan,
        value,
        &Default::default(),
    )
    .await
    .unwrap();
    // A complaint routed to the victim unit: the intruder may neither act on it nor read it.
    let ticket = qcity_store::complaints::NewTicket {
        channel: Some(qcity_domain::complaints::ticket::Channel::Hotline12345),
        text: "小区电梯经常困人，维保公司不来修".into(),
        contact_phone: "13812345678".into(),
        ..Default::default()
    };
    let received = qcity_store::complaints::intake(&app.store, &Actor::system("t"), &ticket, today)
        .await
        .unwrap();
    assert_eq!(received.unit.as_deref(), Some("ZJFJ"));
    let ticket_id = received.id;
    let intruder = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let users_before = qcity_store::users::count(&app.store).await.unwrap();

    let mut walked = 0;
    let routes = qcity_web::modules::mutating_routes();
    let mutating: Vec<(&str, &str)> = routes.iter().map(|r| (r.method.as_str(), r.path)).collect();
    for (method, route) in &mutating {
        if SELF_ROUTES.contains(route) || PUBLIC_ROUTES.contains(route) {
            continue;
        }
        let id = if route.starts_with("/complaints/") {
            ticket_id
        } else if route.contains("/indicator-values/") {
            value_id
        } else if route.contains("/extensions/") {
            ext_id
        } else if route.contains("/notices/") {
            notice_id
        } else if route.contains("/reports/") {
            report_id
        } else {
            ob.id
        };
        let path = route
            .replace(
                "{code}",
                if route.contains("/indicators/") {
                    "ENV-6"
                } else {
                    "ZJFJ"
                },
            )
            .replace("{username}", "zjfj.staff")
            .replace("{id}", &id.to_string());
        if path == "/indicators/import" {
            // Units may import their own indicators; a row for another's is refused by line.
            let csv = "指标编号,分项,年份,数值\nENV-6,pm25,2014,99\n";
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("v.csv"),
            );
            let res = intruder
                .post(app.url(&path))
                .multipart(form)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 422);
            assert!(res.text().await.unwrap().contains("不由本单位报送"));
            walked += 1;
            continue;
        }
        if path.starts_with("/sampling") || path.starts_with("/api/v1/sampling") {
            // NW co-owns the shared sampling registry (registry_owners), so it is not an
            // outsider here: the walk's junk form is refused as invalid and nothing is saved.
            let req = intruder.post(app.url(&path));
            let req = if path.starts_with("/api/") {
                req.json(
                    &serde_json::json!({"status": "evil", "report_no": "evil", "row_version": 0}),
                )
            } else {
                req.form(&[("contact_name", "evil"), ("status", "evil")])
            };
            let res = req.send().await.unwrap();
            assert!(
                matches!(res.status().as_u16(), 403 | 404 | 422),
                "{method} {path}: got {}",
                res.status()
            );
            walked += 1;
            continue;
        }
        let req = match *method {
            "POST" if path.ends_with("/reports") => intruder.post(app.url(&path)).multipart(
                reqwest::multipart::Form::new().text("form_token", "intruder-token-00000").text("body", "x").text("percent", "100").text("submit", "1"),
            ),
            "POST" if path.starts_with("/api/") => intruder.post(app.url(&path)).json(&serde_json::json!({
                "code": "EVIL", "name": "x", "kind": "member", "username": "evil", "role": "office",
            })),
            "PUT" => intruder.put(app.url(&path)).json(&serde_json::json!({"name": "evil", "phone": "110", "email": ""})),
            _ => intruder.post(app.url(&path)).form(&[
                ("contact_name", "evil"),
                ("contact_phone", "110"),
                ("username", "evil"),
                ("role", "office"),
            ]),
        };
        let res = req.send().await.unwrap();
        // 403, or 404 where even the existence of another unit's record is not disclosed.
        assert!(
            matches!(res.status().as_u16(), 403 | 404),
            "{method} {path} must be refused for another unit's staff, got {}",
            res.status()
        );
        walked += 1;
    }
    assert_eq!(
        walked,
        mutating.len() - SELF_ROUTES.len() - PUBLIC_ROUTES.len()
    );

    // Nothing changed.
    let events: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM complaint_events WHERE ticket_id = $1")
            .bind(ticket_id)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(events, 2, "only the intake's accept and dispatch");
    let zjfj = units::get(&app.store, &Actor::system("test"), "ZJFJ")
        .await
        .unwrap();
    assert_eq!(
        (zjfj.contact_name.as_str(), zjfj.contact_phone.as_str()),
        ("李四", "0371-1234")
    );
    assert_eq!(
        qcity_store::users::count(&app.store).await.unwrap(),
        users_before
    );
    assert!(
        units::get(&app.store, &Actor::system("test"), "EVIL")
            .await
            .is_err()
    );
    let (_, sampled) = qcity_store::sampling::list(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        &Default::default(),
        1,
        0,
    )
    .await
    .unwrap();
    assert_eq!(sampled, 0, "the walk recorded no sampling");
    let (_, registered) = qcity_store::enterprises::search(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        "",
        1,
        0,
    )
    .await
    .unwrap();
    assert_eq!(registered, 0, "the walk registered no enterprise");
    app.login("zjfj.staff", PASSWORD).await;
}

#[tokio::test]
async fn unit_staff_edit_their_own_unit_and_read_no_other_units_contacts() {
    let app = TestApp::spawn().await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    units::update_contact(
        &app.store,
        &Actor::system("test"),
        "ZJFJ",
        units::Contact {
            name: "李四",
            phone: "0371-1234",
            email: "",
        },
    )
    .await
    .unwrap();
    let res = nw
        .post(app.url("/units/NW/contact"))
        .form(&[
            ("contact_name", "王五"),
            ("contact_phone", "0371-5555"),
            ("contact_email", "ww@example.cn"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let own = body(nw.get(app.url("/units/NW")).send().await.unwrap()).await;
    assert!(
        own.contains("王五") && own.contains("<form"),
        "own unit is editable"
    );
    let other = body(nw.get(app.url("/units/ZJFJ")).send().await.unwrap()).await;
    assert!(
        !other.contains("李四") && !other.contains("0371-1234"),
        "other unit's contact details are hidden"
    );
    assert!(
        !other.contains("action=\"/units/ZJFJ/contact\""),
        "no edit form for another unit"
    );
    let list: serde_json::Value = nw
        .get(app.url("/api/v1/units"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let zjfj = list
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["code"] == "ZJFJ")
        .unwrap();
    assert_eq!(zjfj["contact"]["phone"], "");
    // Bad input is refused beside its field and loses nothing.
    let res = nw
        .post(app.url("/units/NW/contact"))
        .form(&[
            ("contact_name", "王五"),
            ("contact_phone", "abc"),
            ("contact_email", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = body(res).await;
    assert!(
        html.contains("id=\"contact_phone-error\">电话号码只能包含数字"),
        "{html}"
    );
    let nw_unit = units::get(&app.store, &Actor::system("test"), "NW")
        .await
        .unwrap();
    assert_eq!(nw_unit.contact_phone, "0371-5555");
    // Leaders read everything and write nothing.
    let leader = app.user("leader1", Role::Leader, None).await;
    let res = leader
        .put(app.url("/api/v1/units/NW/contact"))
        .json(&serde_json::json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = leader.get(app.url("/units/ZJFJ")).send().await.unwrap();
    assert!(body(res).await.contains("李四"));
}

/// Evaluators (人大代表 / 政协委员) rate units: they see the overview, the figures and the
/// assessment, not the accounts, the notices sent to units or the files units upload.
#[tokio::test]
async fn an_evaluator_sees_what_rating_needs_and_no_accounts_notices_or_evidence() {
    let app = TestApp::with_plan().await;
    let office = Actor::system("t");
    let _staff = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let staff = qcity_store::users::get(&app.store, &office, "zjfj.staff")
        .await
        .unwrap()
        .actor("127.0.0.1", "t");
    let today = chrono::NaiveDate::from_ymd_opt(2014, 12, 1).unwrap();
    let filter = qcity_store::obligations::Filter {
        unit: Some("ZJFJ".into()),
        content_prefix: Some("1.1.1".into()),
        ..Default::default()
    };
    let ob = qcity_store::obligations::list(&app.store, &office, &filter, today)
        .await
        .unwrap()
        .remove(0);
    let input = qcity_store::obligations::ReportInput {
        body: "进展".into(),
        percent: 30,
        submit: false,
        form_token: "staff-token-00000000".into(),
        files: vec![qcity_store::obligations::Upload {
            filename: "a.pdf".into(),
            bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
        }],
    };
    let report_id = qcity_store::obligations::report(
        &app.store,
        &staff,
        ob.id,
        input,
        &Default::default(),
        today,
    )
    .await
    .unwrap();
    let sha = qcity_store::obligations::reports(&app.store, &office, ob.id)
        .await
        .unwrap()[0]
        .files[0]
        .sha256
        .clone();
    qcity_store::notices::issue_duban(
        &app.store,
        &office,
        "ZJFJ",
        Some(ob.id),
        "督办",
        "",
        today,
        today,
    )
    .await
    .unwrap();
    let file = format!("/reports/{report_id}/files/{sha}");

    let leader = app.user("leader1", Role::Leader, None).await;
    let evaluator = app.user("rater", Role::Evaluator, None).await;
    // The leader, read-only, still reads all of it: the control.
    for path in ["/notices", "/api/v1/users", "/api/v1/notices", &file] {
        let res = leader.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "leader {path}");
    }
    for path in ["/notices", "/api/v1/users", "/api/v1/notices", &file] {
        let res = evaluator.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 403, "evaluator {path}");
        let text = body(res).await;
        assert!(
            !text.contains("zjfj.staff") && !text.contains("督办"),
            "{path}: {text}"
        );
    }
    // What rating needs stays open, and the navigation offers no notices.
    for path in ["/supervision", "/assessment", "/api/v1/me"] {
        let res = evaluator.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "evaluator {path}");
    }
    let home = body(evaluator.get(app.url("/")).send().await.unwrap()).await;
    assert!(!home.contains("href=\"/notices\""), "{home}");
    // The report's file is named but not offered for download.
    let page = format!("/obligations/{}", ob.id);
    let html = body(evaluator.get(app.url(&page)).send().await.unwrap()).await;
    assert!(html.contains("a.pdf") && !html.contains(&file), "{html}");
    let html = body(leader.get(app.url(&page)).send().await.unwrap()).await;
    assert!(html.contains(&file), "{html}");
    // The store refuses the same whatever the route.
    let rater = qcity_store::users::get(&app.store, &office, "rater")
        .await
        .unwrap()
        .actor("127.0.0.1", "t");
    assert!(
        qcity_store::users::get(&app.store, &rater, "rater")
            .await
            .is_ok()
    );
    assert!(matches!(
        qcity_store::users::get(&app.store, &rater, "zjfj.staff").await,
        Err(qcity_store::StoreError::NotFound)
    ));
    assert!(matches!(
        qcity_store::indicators::evidence(&app.store, &rater, 1, &sha).await,
        Err(qcity_store::StoreError::Forbidden)
    ));
}
