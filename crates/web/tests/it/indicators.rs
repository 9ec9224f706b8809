//! Indicators: entry by the responsible unit, approval, corrections, evaluation against the
//! plan's targets (PM2.5 path, reductions against 2010), the dashboard and the chart.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::indicators::{self, NewValue};

/// (indicator, measure, yearly values)
type Series = (&'static str, &'static str, &'static [(i64, f64)]);

fn value(ind: &str, measure: &str, year: i64, v: f64) -> NewValue {
    NewValue {
        indicator: ind.into(),
        measure: measure.into(),
        year,
        value: Some(v),
        judged: None,
        comment: String::new(),
        source: "manual".into(),
    }
}

#[tokio::test]
async fn values_are_entered_approved_and_evaluated_against_the_targets() {
    let config = qcity_web::Config {
        today: Some(chrono::NaiveDate::from_ymd_opt(2015, 12, 31).unwrap()),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    let plan = qcity_domain::plan::default_plan();
    let office = Actor::system("office");
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    // The office enters and approves a few series directly.
    let series: &[Series] = &[
        (
            "ENV-6",
            "pm25",
            &[(2013, 108.0), (2014, 104.0), (2015, 101.0)],
        ),
        ("ENV-7", "", &[(2010, 1000.0), (2015, 840.0)]),
        ("ENV-8", "", &[(2010, 500.0), (2015, 450.0)]),
    ];
    for (ind, m, pts) in series {
        for (y, v) in pts.iter() {
            let mut nv = value(ind, m, *y, *v);
            nv.comment = "监测站数据".into();
            let id = indicators::submit(&app.store, &office, &plan, nv, &Default::default())
                .await
                .unwrap();
            indicators::decide(&app.store, &office, id, true, "")
                .await
                .unwrap();
        }
    }
    let page = body(
        admin
            .get(app.url("/indicators/ENV-6"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("id=\"ind-status\">偏离") || page.contains("id=\"ind-status\">未达标"),
        "PM2.5 101 in 2015 is behind the path (99.3)"
    );
    assert!(
        page.contains("99.3"),
        "the explanation names the path target for 2015"
    );
    assert!(
        page.contains("<svg") && page.contains("实际值"),
        "chart with actual values"
    );
    let cod = body(
        admin
            .get(app.url("/indicators/ENV-7"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        cod.contains("id=\"ind-status\">达标"),
        "COD cut 16% ≥ 14.8%: {}",
        cod.split("ind-explanation\">")
            .nth(1)
            .unwrap_or("")
            .split('<')
            .next()
            .unwrap_or("")
    );
    let nh3 = body(
        admin
            .get(app.url("/indicators/ENV-8"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !nh3.contains("id=\"ind-status\">达标"),
        "ammonia cut 10% < 17.8%"
    );

    // The responsible unit (区农委 for PRD-1 through 3.1.2) enters; another unit may not.
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let zj = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let res = nw
        .post(app.url("/indicators/PRD-1/values"))
        .form(&[("measure", ""), ("year", "2014"), ("value", "３１．５％")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        zj.post(app.url("/indicators/PRD-1/values"))
            .form(&[("measure", ""), ("year", "2014"), ("value", "40")])
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let res = nw
        .post(app.url("/indicators/PRD-1/values"))
        .form(&[("measure", ""), ("year", "2015"), ("value", "130")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("百分比须在 0 到 100 之间"));
    let pending = indicators::pending(&app.store, &office).await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].value, pending[0].status.as_str()),
        (Some(31.5), "submitted")
    );
    // Not counted until approved; then met (> 30 %).
    let before = body(admin.get(app.url("/indicators")).send().await.unwrap()).await;
    assert!(before.contains("有 1 条指标数据待审核"));
    let res = admin
        .post(app.url(&format!("/indicator-values/{}/decide", pending[0].id)))
        .form(&[("decision", "approve"), ("indicator", "PRD-1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let prd1 = body(
        admin
            .get(app.url("/indicators/PRD-1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(prd1.contains("id=\"ind-status\">达标"), "31.5% > 30%");
    // A correction of an approved value needs a reason; a big jump needs a comment.
    let res = nw
        .post(app.url("/indicators/PRD-1/values"))
        .form(&[("measure", ""), ("year", "2014"), ("value", "32")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("更正须说明原因"));
    let res = nw
        .post(app.url("/indicators/PRD-1/values"))
        .form(&[("measure", ""), ("year", "2015"), ("value", "90")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("变化超过 50%"));
    let res = nw
        .post(app.url("/indicators/PRD-1/values"))
        .form(&[
            ("measure", ""),
            ("year", "2014"),
            ("value", "32"),
            ("comment", "统计口径更正"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let history = indicators::history(&app.store, &office, Some("PRD-1"))
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|v| (v.version, v.status.as_str()))
            .collect::<Vec<_>>(),
        [(2, "submitted"), (1, "approved")]
    );

    // The dashboard shows every one of the 28 indicators and the 9 content targets no
    // indicator carries, each with a status.
    let dash = body(admin.get(app.url("/indicators")).send().await.unwrap()).await;
    assert_eq!(dash.matches("<tr id=\"ind-").count(), 28 + 9);
    assert!(dash.contains("class=\"spark\""));
    // Disclosure is the office's.
    assert_eq!(
        nw.post(app.url("/indicators/PRD-1/disclosure"))
            .form(&[("public", "1")])
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    admin
        .post(app.url("/indicators/PRD-1/disclosure"))
        .form(&[("public", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        indicators::disclosed(&app.store).await.unwrap(),
        vec!["PRD-1".to_string()]
    );
}

#[tokio::test]
async fn the_api_lists_statuses_and_takes_values_from_the_responsible_unit() {
    let config = qcity_web::Config {
        today: Some(chrono::NaiveDate::from_ymd_opt(2015, 6, 30).unwrap()),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    app.user("nw.staff", Role::Unit, Some("NW")).await;
    let nw = qcity_store::users::create_token(&app.store, &Actor::system("t"), "nw.staff", "t")
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let list: serde_json::Value = c
        .get(app.url("/api/v1/indicators"))
        .bearer_auth(&nw)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 28);
    let env3 = list
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "ENV-3")
        .unwrap();
    assert_eq!(env3["measures"], serde_json::json!(["regional", "road"]));
    assert_eq!(env3["status"], "no_data");
    let res = c
        .post(app.url("/api/v1/indicators/PRD-1/values"))
        .bearer_auth(&nw)
        .json(&serde_json::json!({"year": 2014, "value": 33.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = c
        .post(app.url("/api/v1/indicators/ENV-3/values"))
        .bearer_auth(&nw)
        .json(&serde_json::json!({"measure": "road", "year": 2014, "value": 66.0}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "区农委 does not answer for noise");
    let values: serde_json::Value = c
        .get(app.url("/api/v1/indicators/PRD-1/values"))
        .bearer_auth(&nw)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (values[0]["status"].as_str(), values[0]["source"].as_str()),
        (Some("submitted"), Some("api"))
    );
}

#[tokio::test]
async fn a_csv_import_keeps_good_rows_and_names_bad_lines() {
    let app = TestApp::with_plan().await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let template = admin
        .get(app.url("/indicators/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert!(template.bytes().await.unwrap().starts_with(b"PK"));
    let csv = "指标编号,分项,年份,数值,说明\nPRD-2,,2014,96.8,抽检\nPRD-2,,2014x,97,\nNOPE,,2014,1,\nENV-3,road,2014,67.5,\n";
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("values.csv"),
    );
    let res = admin
        .post(app.url("/indicators/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    assert!(page.contains("已导入 2 条数据"), "{page}");
    assert!(
        page.contains("第3行") && page.contains("第4行"),
        "bad lines named: {page}"
    );
    let pending = indicators::pending(&app.store, &Actor::system("t"))
        .await
        .unwrap();
    assert_eq!(
        pending
            .iter()
            .map(|v| (v.indicator.as_str(), v.source.as_str()))
            .collect::<Vec<_>>(),
        [("ENV-3", "import"), ("PRD-2", "import")]
    );
}

#[path = "../../../exchange/tests/it/libreoffice.rs"]
pub(crate) mod libreoffice;

/// A clerk fills the values sheet in a spreadsheet and saves it with LibreOffice; the import
/// reads it, the value waits for approval, and the office's approval shows on the page.
#[tokio::test]
async fn a_workbook_saved_by_libreoffice_imports_and_shows_its_approval_state() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name("指标数据").unwrap();
    for (c, h) in ["指标编号", "分项", "年份", "数值", "说明"]
        .iter()
        .enumerate()
    {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    sheet.write_string(1, 0, "PRD-1").unwrap();
    sheet.write_number(1, 2, 2014).unwrap();
    sheet.write_number(1, 3, 31.5).unwrap();
    sheet.write_string(1, 4, "农委统计").unwrap();
    let written = book.save_to_buffer().unwrap();
    let Some(saved) = libreoffice::resave_xlsx("indicator import via LibreOffice", &written) else {
        return;
    };
    let app = TestApp::with_plan().await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(saved).file_name("指标数据.xlsx"),
    );
    let res = admin
        .post(app.url("/indicators/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let page = body(res).await;
    assert!(page.contains("已导入 1 条数据"), "{page}");
    let pending = indicators::pending(&app.store, &Actor::system("t"))
        .await
        .unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (
            pending[0].indicator.as_str(),
            pending[0].year,
            pending[0].value
        ),
        ("PRD-1", 2014, Some(31.5))
    );
    let before = body(
        admin
            .get(app.url("/indicators/PRD-1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        before.contains("31.5") && before.contains("待审核"),
        "{before}"
    );
    indicators::decide(
        &app.store,
        &Actor::system("office"),
        pending[0].id,
        true,
        "",
    )
    .await
    .unwrap();
    let after = body(
        admin
            .get(app.url("/indicators/PRD-1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(after.contains("已审核（锁定）"), "{after}");
}

/// What a value is decides what it may be: a count is whole and not negative, a total is not
/// negative; each refusal says why in the user's words, and the total shows in tonnes.
#[tokio::test]
async fn impossible_values_are_refused_by_their_kind_and_totals_show_their_unit() {
    let app = TestApp::with_plan().await;
    let office = Actor::system("office");
    let (_, plan) = qcity_store::plan::current(&app.store)
        .await
        .unwrap()
        .unwrap();
    let refused = |ind: &'static str, v: f64| {
        let (store, office, plan) = (app.store.clone(), office.clone(), plan.clone());
        async move {
            match indicators::submit(
                &store,
                &office,
                &plan,
                value(ind, "", 2014, v),
                &Default::default(),
            )
            .await
            {
                Err(qcity_store::StoreError::Invalid { code, .. }) => code,
                other => panic!("{ind} = {v} must be refused, got {other:?}"),
            }
        }
    };
    // SVC-3: ">= 1 count" (titles); ENV-7: a reduction of the COD total (tonnes).
    assert_eq!(refused("SVC-3", 1.5).await, "error-value-count");
    assert_eq!(refused("SVC-3", -1.0).await, "error-value-count");
    assert_eq!(refused("ENV-7", -3.0).await, "error-value-negative");
    for (ind, v) in [("SVC-3", 2.0), ("ENV-7", 911.2)] {
        let id = indicators::submit(
            &app.store,
            &office,
            &plan,
            value(ind, "", 2014, v),
            &Default::default(),
        )
        .await
        .unwrap();
        indicators::decide(&app.store, &office, id, true, "")
            .await
            .unwrap();
    }
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(admin.get(app.url("/indicators")).send().await.unwrap()).await;
    assert!(page.contains("2014: 911.2吨"), "the total in tonnes");
    assert!(
        page.contains("2014: 2个"),
        "the count with its measure word"
    );
    assert!(!page.contains("911.2%"), "a total is no percentage");
    let res = admin
        .post(app.url("/indicators/SVC-3/values"))
        .form(&[("measure", ""), ("year", "2015"), ("value", "1.5")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("数量须为 0 或正整数"));
}

#[tokio::test]
async fn content_targets_take_values_and_compare_with_benchmarks_the_office_enters() {
    let config = qcity_web::Config {
        today: Some(chrono::NaiveDate::from_ymd_opt(2014, 12, 15).unwrap()),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    // The dashboard lists the attachment's measurable contents that no indicator carries.
    let dash = body(admin.get(app.url("/indicators")).send().await.unwrap()).await;
    assert!(dash.contains("可计量的目标内容"));
    assert!(dash.contains("/indicators/6.3.1"), "6.3.1 has its card");
    // 6.3.1 (deaths per 10,000 special-equipment units below the national average) is
    // entered by its lead unit, 区质监分局, and reviewed by the office like an indicator value.
    let zj = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let post = |c: &reqwest::Client| {
        c.post(app.url("/indicators/6.3.1/values"))
            .form(&[("measure", ""), ("year", "2014"), ("value", "0.3")])
            .send()
    };
    assert_eq!(post(&nw).await.unwrap().status(), 403, "not NW's target");
    assert_eq!(post(&zj).await.unwrap().status(), 303);
    let office = Actor::system("office");
    let pending = indicators::pending(&app.store, &office).await.unwrap();
    let mine = pending.iter().find(|v| v.indicator == "6.3.1").unwrap();
    indicators::decide(&app.store, &office, mine.id, true, "")
        .await
        .unwrap();
    // Without the benchmark the target says what is missing.
    let page = body(
        admin
            .get(app.url("/indicators/6.3.1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("id=\"ind-status\">无数据"),
        "no benchmark yet"
    );
    assert!(
        page.contains("基准“全国平均水平”缺少2014年"),
        "says which benchmark"
    );
    let bench = body(
        admin
            .get(app.url("/indicators/benchmarks"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(bench.contains("全国平均水平") && bench.contains("6.3.1"));
    assert!(bench.contains("尚未录入此基准"));
    // A benchmark needs its source; the form comes back as typed.
    let res = admin
        .post(app.url("/indicators/benchmarks"))
        .form(&[
            ("name", "全国平均水平"),
            ("year", "2014"),
            ("value", "0.39"),
            ("source", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let again = body(res).await;
    assert!(again.contains("请填写基准数据的来源") && again.contains("value=\"0.39\""));
    // Units cannot enter benchmarks.
    let res = zj
        .post(app.url("/indicators/benchmarks"))
        .form(&[
            ("name", "全国平均水平"),
            ("year", "2014"),
            ("value", "0.1"),
            ("source", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = admin
        .post(app.url("/indicators/benchmarks"))
        .form(&[
            ("name", "全国平均水平"),
            ("year", "2014"),
            ("value", "0.39"),
            ("source", "国家质检总局2014年特种设备安全状况通报"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let bench = body(
        admin
            .get(app.url("/indicators/benchmarks"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(bench.contains("国家质检总局2014年特种设备安全状况通报") && bench.contains("0.39"));
    // Now 0.3 < 0.39: met, on the page and in the leaders' view's counts.
    let page = body(
        admin
            .get(app.url("/indicators/6.3.1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"ind-status\">达标"), "0.3 below 0.39");
    let plan = qcity_domain::plan::default_plan();
    let obs = indicators::observations(
        &app.store,
        &plan,
        chrono::NaiveDate::from_ymd_opt(2014, 12, 15).unwrap(),
    )
    .await
    .unwrap();
    let s = indicators::evaluate_contents(
        &plan,
        &obs,
        chrono::NaiveDate::from_ymd_opt(2014, 12, 15).unwrap(),
    );
    assert_eq!(
        s.iter()
            .find(|s| s.code == "6.3.1")
            .map(|s| s.evaluation.status),
        Some(qcity_domain::target::Status::Met)
    );
}

#[tokio::test]
async fn the_api_reads_and_records_benchmarks_as_the_page_does() {
    let app = TestApp::with_plan().await;
    let office = qcity_store::users::create_token(&app.store, &Actor::system("t"), "admin", "ci")
        .await
        .unwrap();
    app.user("zj.bench", Role::Unit, Some("ZJFJ")).await;
    let unit = qcity_store::users::create_token(&app.store, &Actor::system("t"), "zj.bench", "ci")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let post = |token: &str, body: serde_json::Value| {
        client
            .post(app.url("/api/v1/benchmarks"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let value = |source: &str, name: &str| serde_json::json!({"name": name, "year": 2014, "value": 0.39, "source": source});
    assert_eq!(
        post(&unit, value("公报", "全国平均水平"))
            .await
            .unwrap()
            .status(),
        403
    );
    let res = post(&office, value("", "全国平均水平")).await.unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        post(&office, value("公报", "全省平均"))
            .await
            .unwrap()
            .status(),
        422,
        "no target uses it"
    );
    assert_eq!(
        post(&office, value("国家质检总局公报", "全国平均水平"))
            .await
            .unwrap()
            .status(),
        201
    );
    let list: serde_json::Value = client
        .get(app.url("/api/v1/benchmarks"))
        .bearer_auth(&unit)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "全国平均水平");
    assert_eq!(list[0]["source"], "国家质检总局公报");
    assert_eq!(list[0]["value"], 0.39);
}
