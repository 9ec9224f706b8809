//! The registers of a city of districts: Jinshui's office imports its own enterprises and
//! sampling records into its own register; Huiji's lists and pass rates do not move; Jinshui
//! can neither read nor change a Huiji enterprise, listing, credit event or sampling record by
//! page, API or export; the city's roll-up takes its pass rate from summed counts, each row
//! equal to that district's own sampling page; the public lookup finds both districts'
//! enterprises and names the district.

use crate::districts::{cell, unit_id};
use crate::harness::{ADMIN_PASSWORD, TestApp, body, import_outcome};
use chrono::NaiveDate;
use qcity_domain::credit::EventKind;
use qcity_domain::plan::DistrictSpec;
use qcity_domain::role::Role;
use qcity_store::credit::{self, NewEvent};
use qcity_store::demo::registers::division_uscc;
use qcity_store::{Actor, plan};

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2014, 12, 15).unwrap()
}

/// A Huiji (410108) or Jinshui (410105) enterprise code.
fn huiji(n: u64) -> String {
    division_uscc("410108", n)
}
fn jinshui(n: u64) -> String {
    division_uscc("410105", n)
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

/// Imports a CSV file through the page and the import queue; gives the outcome page.
async fn import(app: &TestApp, c: &reqwest::Client, path: &str, csv: String) -> String {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes()).file_name("导入.csv"),
    );
    let res = c.post(app.url(path)).multipart(form).send().await.unwrap();
    let (status, page) = import_outcome(c, res).await;
    assert_eq!(status, 200, "{page}");
    page
}

const SAMPLING_HEADER: &str = "报告编号,抽查级别,受检企业统一社会信用代码,受检企业名称,产品名称,产品类别,产品属性,是否CCC目录内产品,抽样日期,检验结论,不合格项目（依据标准）,检验机构\n";

/// One sampling row of 2014.
fn sample(report: &str, code: &str, category: &str, passed: bool) -> String {
    let (verdict, items) = if passed {
        ("合格", "")
    } else {
        ("不合格", "标识（GB 5296.1-2012）")
    };
    format!(
        "{report},区级,{code},,{category}样品,{category},工业产品,否,2014-06-01,{verdict},{items},郑州市产品质量监督检验院\n"
    )
}

/// The 2014 total pass rate a district's own sampling page shows (the total row of its first
/// rate table).
fn own_page_rate(page: &str) -> String {
    let table = page
        .split("id=\"pass-rates\"")
        .nth(1)
        .expect("the pass rates");
    let total = table
        .split("<th scope=\"row\">合计</th>")
        .nth(1)
        .expect("the total row");
    total
        .split("<strong>")
        .nth(1)
        .and_then(|s| s.split('<').next())
        .expect("a rate")
        .to_string()
}

/// Huiji's register as it stands: enterprises, their fields, listings, events, sampling.
async fn huiji_state(app: &TestApp, huiji_id: i64) -> Vec<i64> {
    let owner = format!("owner_id = {huiji_id}");
    let mut out = Vec::new();
    for sql in [
        format!("SELECT COUNT(*) FROM enterprises WHERE {owner}"),
        format!(
            "SELECT CAST(COALESCE(SUM(row_version), 0) AS BIGINT) FROM enterprises WHERE {owner}"
        ),
        format!("SELECT COUNT(*) FROM licences WHERE {owner}"),
        format!("SELECT COUNT(*) FROM credit_events WHERE {owner} AND withdrawn_at IS NULL"),
        format!(
            "SELECT CAST(COALESCE(SUM(row_version), 0) AS BIGINT) FROM blacklist WHERE {owner}"
        ),
        format!("SELECT COUNT(*) FROM blacklist WHERE {owner}"),
        format!("SELECT COUNT(*) FROM sampling WHERE {owner}"),
        format!("SELECT CAST(COALESCE(SUM(passed), 0) AS BIGINT) FROM sampling WHERE {owner}"),
        "SELECT COUNT(*) FROM sampling_followups".to_string(),
        "SELECT COUNT(*) FROM sampling_disclosures".to_string(),
        "SELECT COUNT(*) FROM code_overrides".to_string(),
    ] {
        out.push(scalar(app, &sql).await);
    }
    out
}

#[tokio::test]
async fn each_district_keeps_its_own_registers_and_the_city_rolls_sampling_up() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(day()),
        ..Default::default()
    })
    .await;
    let home = Actor::system("t");
    plan::add_district(
        &app.store,
        &home,
        &DistrictSpec {
            code: "JINSHUI".into(),
            name: "金水区".into(),
            prefix: "JS".into(),
            plan_code: "jinshui-2014".into(),
        },
        day(),
    )
    .await
    .unwrap();
    let (huiji_id, jinshui_id) = (unit_id(&app, "HUIJI").await, unit_id(&app, "JINSHUI").await);

    // Huiji's office registers two enterprises and samples them: 2 of 3 batches pass.
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let page = import(
        &app,
        &admin,
        "/enterprises/import",
        format!(
            "统一社会信用代码,企业名称,所属街道（镇）\n{},郑州黄河食品有限公司,新城街道\n{},郑州惠丰电缆有限公司,古荥镇\n",
            huiji(1),
            huiji(2)
        ),
    )
    .await;
    assert!(page.contains("<span class=\"n\">2</span>"), "{page}");
    import(
        &app,
        &admin,
        "/sampling/import",
        format!(
            "{SAMPLING_HEADER}{}{}{}",
            sample("HJ-1", &huiji(1), "糕点", true),
            sample("HJ-2", &huiji(1), "糕点", false),
            sample("HJ-3", &huiji(2), "电线电缆", true)
        ),
    )
    .await;
    let hj_ent: i64 = scalar(
        &app,
        &format!("SELECT id FROM enterprises WHERE code = '{}'", huiji(1)),
    )
    .await;
    let hj_failed: i64 = scalar(&app, "SELECT id FROM sampling WHERE report_no = 'HJ-2'").await;
    let hj_passed: i64 = scalar(&app, "SELECT id FROM sampling WHERE report_no = 'HJ-1'").await;
    let hj_event = credit::add_event(
        &app.store,
        &home,
        hj_ent,
        &NewEvent {
            kind: EventKind::Penalty,
            occurred_on: day(),
            serious: false,
            summary: "行政处罚".into(),
        },
        &[],
        day(),
    )
    .await
    .unwrap();
    let hj_listing = credit::propose(&app.store, &home, hj_ent, "多次抽查不合格", day())
        .await
        .unwrap();
    let huiji_page = body(admin.get(app.url("/sampling")).send().await.unwrap()).await;
    let huiji_rate = own_page_rate(&huiji_page);
    assert_eq!(huiji_rate, "66.7%");
    let before = huiji_state(&app, huiji_id).await;

    // Jinshui's office imports its own: a Huiji code is refused, not moved or changed.
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let page = import(
        &app,
        &js,
        "/enterprises/import",
        format!(
            "统一社会信用代码,企业名称,所属街道（镇）\n{},郑州黄河电缆有限公司,经八路街道\n{},郑州金水食品有限公司,文化路街道\n{},冒名公司,经八路街道\n",
            jinshui(1),
            jinshui(2),
            huiji(2)
        ),
    )
    .await;
    assert!(
        page.contains("<span class=\"n\">2</span><span class=\"l\">新增</span>")
            && page.contains("登记在其他区县"),
        "{page}"
    );
    // Three of four batches pass; a row of a Huiji enterprise and one with a Huiji report
    // number are refused.
    let page = import(
        &app,
        &js,
        "/sampling/import",
        format!(
            "{SAMPLING_HEADER}{}{}{}{}{}{}",
            sample("JS-1", &jinshui(1), "电线电缆", true),
            sample("JS-2", &jinshui(1), "电线电缆", true),
            sample("JS-3", &jinshui(2), "糕点", true),
            sample("JS-4", &jinshui(2), "糕点", false),
            sample("JS-5", &huiji(1), "糕点", false),
            sample("HJ-1", &jinshui(1), "糕点", false)
        ),
    )
    .await;
    assert!(page.contains("其他区县"), "{page}");
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM sampling WHERE owner_id = {jinshui_id}")
        )
        .await,
        4
    );
    assert_eq!(
        scalar(
            &app,
            &format!("SELECT COUNT(*) FROM enterprises WHERE owner_id = {jinshui_id}")
        )
        .await,
        2
    );
    // The failed batch's credit event is Jinshui's too.
    assert_eq!(
        scalar(
            &app,
            "SELECT owner_id FROM credit_events WHERE source_ref = 'JS-4'"
        )
        .await,
        jinshui_id
    );
    let js_page = body(js.get(app.url("/sampling")).send().await.unwrap()).await;
    assert_eq!(own_page_rate(&js_page), "75.0%");
    assert!(!js_page.contains("HJ-1") && js_page.contains("JS-1"));
    let js_list = body(js.get(app.url("/enterprises")).send().await.unwrap()).await;
    assert!(js_list.contains("郑州黄河电缆有限公司") && !js_list.contains("郑州黄河食品有限公司"));

    // Huiji's lists and pass rate did not move.
    assert_eq!(huiji_state(&app, huiji_id).await, before);
    let huiji_page = body(admin.get(app.url("/sampling")).send().await.unwrap()).await;
    assert_eq!(own_page_rate(&huiji_page), huiji_rate);
    assert!(!huiji_page.contains("JS-1"));

    // Jinshui reads nothing of Huiji's, by page, API or export.
    for path in [
        format!("/enterprises/{hj_ent}"),
        format!("/sampling/{hj_failed}"),
        format!("/enterprises/{hj_ent}/events/{hj_event}/evidence"),
        format!("/api/v1/enterprises/{}", huiji(1)),
        format!("/api/v1/enterprises/{}/credit", huiji(1)),
        format!("/api/v1/sampling/{hj_passed}"),
    ] {
        let res = js.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    for path in [
        "/credit/blacklist",
        "/api/v1/blacklist",
        "/api/v1/enterprises?q=黄河",
        "/api/v1/sampling",
        "/enterprises/licences",
        "/sampling?q=黄河",
    ] {
        let res = js.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let text = body(res).await;
        assert!(
            !text.contains("郑州黄河食品") && !text.contains("HJ-"),
            "{path}: {text}"
        );
    }

    // Every state-changing route of the registers, as Jinshui's office, against Huiji's
    // records: refused, and nothing of Huiji's changes.
    let prefixes = [
        "/enterprises",
        "/credit",
        "/listings",
        "/sampling",
        "/api/v1/enterprise",
        "/api/v1/credit",
        "/api/v1/listings",
        "/api/v1/blacklist",
        "/api/v1/sampling",
    ];
    let mut walked = 0;
    for r in qcity_web::modules::mutating_routes() {
        if !prefixes.iter().any(|p| r.path.starts_with(p)) {
            continue;
        }
        let id = if r.path.starts_with("/sampling") || r.path.starts_with("/api/v1/sampling") {
            hj_failed
        } else if r.path.contains("credit-events") {
            hj_event
        } else if r.path.contains("listings/") {
            hj_listing
        } else {
            hj_ent
        };
        let path = r
            .path
            .replace("{code}", &huiji(1))
            .replace("{id}", &id.to_string());
        let id_text = id.to_string();
        let req = match r.method.as_str() {
            // A credit event with its evidence, well formed: refused for the enterprise only.
            "POST" if path.ends_with("/events") => js.post(app.url(&path)).multipart(
                reqwest::multipart::Form::new()
                    .text("kind", "penalty")
                    .text("occurred_on", "2014-12-01")
                    .text("summary", "跨区记录"),
            ),
            "PUT" if path.contains("/credit/rules") => js
                .put(app.url(&path))
                .json(&serde_json::json!({"body": "evil"})),
            "PUT" => js.put(app.url(&path)).json(&serde_json::json!({
                "name": "冒名", "address": "x", "industry": "x", "town": "x", "row_version": 0
            })),
            "POST" if path.starts_with("/api/") => {
                js.post(app.url(&path)).json(&serde_json::json!({
                    "ids": [hj_failed], "action": "approve", "row_version": 0, "comment": "跨区",
                    "reason": "跨区", "kind": "ccc", "number": "X-1", "product": "x",
                    "code": huiji(1), "name": "冒名", "status": "closed", "penalty": "罚款"
                }))
            }
            _ => js.post(app.url(&path)).form(&[
                ("id", id_text.as_str()),
                ("name", "冒名"),
                ("row_version", "0"),
                ("action", "approve"),
                ("reason", "跨区"),
                ("comment", "跨区"),
                ("status", "closed"),
                ("penalty", "罚款"),
                ("kind", "ccc"),
                ("number", "X-1"),
                ("product", "x"),
                ("code", &huiji(1)),
            ]),
        };
        let status = req.send().await.unwrap().status().as_u16();
        assert!(
            matches!(status, 403 | 404 | 409 | 422),
            "{} {path}: Jinshui's office got {status}",
            r.method
        );
        walked += 1;
    }
    assert!(walked >= 20, "{walked} routes walked");
    assert_eq!(
        huiji_state(&app, huiji_id).await,
        before,
        "nothing of Huiji's changed"
    );
    assert_eq!(
        qcity_store::sampling::awaiting_disclosure(&app.store)
            .await
            .unwrap(),
        vec![hj_failed],
        "Huiji's failed result still waits for Huiji's review"
    );

    // The city's roll-up: each row is the district's own page, the total the rate of the
    // summed counts, computed here from the stored rows.
    let city = app.user("zz.leader", Role::Leader, Some("ZZ")).await;
    let page = body(
        city.get(app.url("/sampling/districts?year=2014"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cell(&page, "regd-HUIJI", "rate"), huiji_rate);
    assert_eq!(cell(&page, "regd-JINSHUI", "rate"), "75.0%");
    assert_eq!(cell(&page, "regd-JINSHUI", "registered"), "2");
    assert_eq!(cell(&page, "regd-HUIJI", "failed"), "1");
    let sampled = scalar(&app, "SELECT COUNT(*) FROM sampling WHERE year = 2014").await;
    let passed = scalar(
        &app,
        "SELECT CAST(COALESCE(SUM(passed), 0) AS BIGINT) FROM sampling WHERE year = 2014",
    )
    .await;
    let expected = format!("{:.1}%", passed as f64 * 100.0 / sampled as f64);
    assert_eq!(cell(&page, "regd-total", "rate"), expected);
    assert_eq!(cell(&page, "regd-total", "sampled"), sampled.to_string());
    // 5 of 7 is 71.4 %: not the mean of 66.7 % and 75 % (70.8 %).
    assert_eq!(expected, "71.4%");
    let res = city
        .get(app.url("/sampling/districts.xlsx?year=2014"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let rows = qcity_exchange::assessment::first_sheet_text(&res.bytes().await.unwrap())
        .expect("a workbook");
    let total = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "合计"))
        .expect("the total row");
    assert_eq!(total[1], sampled.to_string());
    let rate: f64 = total[4].parse().unwrap();
    assert!(
        (rate - passed as f64 / sampled as f64).abs() < 1e-9,
        "{rate}"
    );
    // A district's office compares only itself; a unit is refused.
    let page = body(js.get(app.url("/sampling/districts")).send().await.unwrap()).await;
    assert!(page.contains("id=\"regd-JINSHUI\"") && !page.contains("id=\"regd-HUIJI\""));
    let unit = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let res = unit
        .get(app.url("/sampling/districts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // The public lookup finds both districts' enterprises and names the district; a district
    // narrows it.
    let public = app.client();
    let page = body(
        public
            .get(app.url("/public/enterprises?q=黄河"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("郑州黄河食品有限公司") && page.contains("郑州黄河电缆有限公司"),
        "{page}"
    );
    assert!(
        page.contains("<dd class=\"ent-district\">金水区人民政府</dd>")
            && page.contains("<dd class=\"ent-district\">惠济区人民政府</dd>"),
        "{page}"
    );
    let page = body(
        public
            .get(app.url("/public/enterprises?q=黄河&district=JINSHUI"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("郑州黄河电缆有限公司") && !page.contains("郑州黄河食品有限公司"));
    let page = body(
        public
            .get(app.url("/public/sampling"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("<td>金水区人民政府</td>") && page.contains("<td>惠济区人民政府</td>"));
}
