//! Four eyes (issue 15): the office's rules per kind of decision; an indicator value is
//! approved by someone other than the one who entered it (unless the office turns the rule off);
//! a failed sampling result reaches the public portal after review and its objection period.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::indicators::{self, NewValue};

fn admin_actor() -> Actor {
    Actor {
        user_id: None,
        username: "admin".into(),
        role: Some(Role::Office),
        unit_id: None,
        owner_id: None,
        ip: "test".into(),
        request_id: "test".into(),
    }
}

async fn enter_value(app: &TestApp, year: i64) -> (i64, String) {
    let (_, plan) = qcity_store::plan::current(&app.store)
        .await
        .unwrap()
        .unwrap();
    let ind = plan
        .indicators
        .iter()
        .find(|i| {
            i.formula.is_none()
                && matches!(
                    i.target.parsed(),
                    Ok(qcity_domain::target::Target::Compare { .. })
                )
        })
        .unwrap();
    let v = NewValue {
        indicator: ind.code.clone(),
        measure: String::new(),
        year,
        value: Some(90.0),
        judged: None,
        comment: "办公室录入".into(),
        source: "manual".into(),
    };
    let id = indicators::submit(&app.store, &admin_actor(), &plan, v, &Default::default())
        .await
        .unwrap();
    (id, ind.code.clone())
}

#[tokio::test]
async fn the_one_who_entered_a_value_does_not_approve_it_unless_the_office_says_so() {
    let app = TestApp::with_plan().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let (id, code) = enter_value(&app, 2014).await;
    let decide = |c: reqwest::Client, id: i64| {
        let url = app.url(&format!("/indicator-values/{id}/decide"));
        let code = code.clone();
        async move {
            c.post(url)
                .form(&[("decision", "approve"), ("indicator", code.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    let res = decide(office.clone(), id).await;
    assert_eq!(res.status(), 409);
    assert!(body(res).await.contains("录入人不能审核自己录入的内容"));
    let head = app.user("office.head", Role::Office, None).await;
    assert_eq!(decide(head, id).await.status(), 303);

    // The office turns four eyes off for values: the same person may approve.
    let page = body(
        office
            .get(app.url("/admin/approvals"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("指标数据审核") && page.contains("checked"),
        "{page}"
    );
    let res = office
        .post(app.url("/admin/approvals"))
        .form(&[
            ("four_eyes_credit_listing", "1"),
            ("four_eyes_sampling_disclosure", "1"),
            ("objection_days_sampling_disclosure", "5"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (id, _) = enter_value(&app, 2015).await;
    assert_eq!(decide(office.clone(), id).await.status(), 303);
    let rules = qcity_store::approvals::rules(&app.store).await.unwrap();
    assert!(!rules[0].four_eyes && rules[1].four_eyes && rules[2].objection_days == 5);
    // A period beyond 90 days is refused with the reason, and nothing changes.
    let res = office
        .post(app.url("/admin/approvals"))
        .form(&[("objection_days_sampling_disclosure", "120")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("0 至 90 天"));
    assert_eq!(
        qcity_store::approvals::rules(&app.store).await.unwrap()[2].objection_days,
        5
    );
    // Only the office sets the rules.
    let unit = app.user("unit.staff", Role::Unit, Some("ZJFJ")).await;
    let res = unit
        .post(app.url("/admin/approvals"))
        .form(&[("four_eyes_indicator_value", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_failed_result_is_public_after_review_and_its_objection_period() {
    let today = NaiveDate::from_ymd_opt(2015, 5, 10).unwrap();
    let app = TestApp::spawn_with(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    qcity_store::approvals::set(
        &app.store,
        &Actor::system("t"),
        qcity_domain::approval::Rule {
            kind: qcity_domain::approval::Kind::SamplingDisclosure,
            four_eyes: true,
            objection_days: 7,
        },
    )
    .await
    .unwrap();
    let csv = "报告编号,抽查级别,受检企业统一社会信用代码,受检企业名称,产品名称,产品类别,产品属性,是否CCC目录内产品,抽样日期,检验结论,不合格项目（依据标准）,检验机构\n\
               P1,区级,914403001922038216,华为技术有限公司,电线,电线电缆,工业产品,是,2015-04-01,不合格,标识（GB 5296.1-2012）,郑州市产品质量监督检验院\n\
               P2,区级,914403001922038216,华为技术有限公司,插座,家用电器,工业产品,是,2015-04-01,合格,,郑州市产品质量监督检验院\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("抽查.csv"),
    );
    let res = office
        .post(app.url("/sampling/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let (status, page) = crate::harness::import_outcome(&office, res).await;
    assert_eq!(status, 200, "{page}");
    let public = |q: &'static str| {
        let c = app.client();
        let url = app.url(&format!("/public/sampling?q={q}"));
        async move { body(c.get(url).send().await.unwrap()).await }
    };
    assert!(
        public("插座").await.contains("共 1 批次"),
        "a passed result is public"
    );
    assert!(
        public("电线").await.contains("共 0 批次"),
        "a failed one waits"
    );
    let waiting = qcity_store::sampling::awaiting_disclosure(&app.store)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1);
    // The importer may not review it; a colleague does, and it waits out the objection period.
    let res = office
        .post(app.url("/sampling/disclose"))
        .form(&[("id", waiting[0].to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let head = app.user("office.head", Role::Office, None).await;
    let res = head
        .post(app.url("/sampling/disclose"))
        .form(&[("id", waiting[0].to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let record = body(
        head.get(app.url(&format!("/sampling/{}", waiting[0])))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(record.contains("公示异议期至 2015-05-17"), "{record}");
    assert!(
        public("电线").await.contains("共 0 批次"),
        "still in its objection period"
    );
    // On the day the period ends it is public.
    let on = |d: u32| qcity_store::sampling::Filter {
        public_on: NaiveDate::from_ymd_opt(2015, 5, d),
        failed_only: true,
        ..Default::default()
    };
    let (rows, _) = qcity_store::sampling::list(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        &on(16),
        10,
        0,
    )
    .await
    .unwrap();
    assert!(rows.is_empty());
    let (rows, _) = qcity_store::sampling::list(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        &on(17),
        10,
        0,
    )
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    let r = qcity_store::sampling::get(&app.store, waiting[0])
        .await
        .unwrap();
    assert_eq!(r.disclosure.unwrap().public_from, "2015-05-17");
    // The office's queue no longer lists it.
    assert!(
        qcity_store::sampling::awaiting_disclosure(&app.store)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_api_sets_the_rules_discloses_results_and_imports_a_plan_as_the_pages_do() {
    let app = TestApp::with_plan().await;
    let system = Actor::system("t");
    let office = qcity_store::users::create_token(&app.store, &system, "admin", "ci")
        .await
        .unwrap();
    crate::harness::create_user(
        &app.store,
        "unit.api",
        Role::Unit,
        Some("ZJFJ"),
        "pw-Unit-api-1",
    )
    .await;
    let unit = qcity_store::users::create_token(&app.store, &system, "unit.api", "ci")
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let rule =
        serde_json::json!({"kind": "sampling_disclosure", "four_eyes": false, "objection_days": 3});
    let res = c
        .put(app.url("/api/v1/approval-rules"))
        .bearer_auth(&office)
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rules: serde_json::Value = c
        .get(app.url("/api/v1/approval-rules"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rules[2]["objection_days"], 3);
    assert_eq!(rules[2]["four_eyes"], false);
    for (body, status) in [
        (
            serde_json::json!({"kind": "nonsense", "four_eyes": true}),
            422,
        ),
        (
            serde_json::json!({"kind": "indicator_value", "four_eyes": true, "objection_days": 5}),
            422,
        ),
    ] {
        let res = c
            .put(app.url("/api/v1/approval-rules"))
            .bearer_auth(&office)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), status, "{body}");
    }
    let res = c
        .put(app.url("/api/v1/approval-rules"))
        .bearer_auth(&unit)
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .post(app.url("/api/v1/sampling/disclosures"))
        .bearer_auth(&unit)
        .json(&serde_json::json!({"all": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res: serde_json::Value = c
        .post(app.url("/api/v1/sampling/disclosures"))
        .bearer_auth(&office)
        .json(&serde_json::json!({"all": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["reviewed"], 0, "nothing waits");

    // The plan: the current one again changes nothing; a broken file is refused with its place.
    let (_, plan) = qcity_store::plan::current(&app.store)
        .await
        .unwrap()
        .unwrap();
    let send = |bytes: Vec<u8>, token: String| {
        let url = app.url("/api/v1/plan/versions");
        let c = c.clone();
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name("plan.toml"),
            );
            c.post(url)
                .bearer_auth(token)
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let res = send(plan.to_toml().into_bytes(), office.clone()).await;
    assert_eq!(res.status(), 200);
    let same: serde_json::Value = res.json().await.unwrap();
    assert_eq!(same["created"], false);
    let res = send(b"[plan]\ntitle = \"broken".to_vec(), office.clone()).await;
    assert_eq!(res.status(), 422);
    let err: serde_json::Value = res.json().await.unwrap();
    assert!(err.to_string().contains("file"), "{err}");
    assert_eq!(
        send(plan.to_toml().into_bytes(), unit.clone())
            .await
            .status(),
        403
    );
}
