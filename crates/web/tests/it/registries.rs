//! The enterprise, credit and sampling pages: entry with code checks and overrides, registry
//! ownership, grades moved by events, the blacklist from proposal to the public portal,
//! sampling feeding the credit file and the public results, follow-up conflicts, imports.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::{credit, enterprises};
use qcity_web::Config;

const HUAWEI: &str = "914403001922038216";
const HUAWEI_ALTERED: &str = "914403001922038217";
const QUANJUDE: &str = "91110000101623741K";

/// A server whose business date is 2015-06-01.
async fn app() -> TestApp {
    TestApp::spawn_with(Config {
        today: NaiveDate::from_ymd_opt(2015, 6, 1),
        ..Config::default()
    })
    .await
}

fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

async fn create(c: &reqwest::Client, app: &TestApp, code: &str, name: &str) -> i64 {
    let res = c
        .post(app.url("/enterprises"))
        .form(&[("code", code), ("name", name), ("town", "新城街道")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", body(res).await);
    location(&res)
        .trim_start_matches("/enterprises/")
        .parse()
        .unwrap()
}

#[tokio::test]
async fn enterprises_are_entered_with_checked_codes_and_overrides_are_flagged() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let id = create(&office, &app, HUAWEI, "华为技术有限公司").await;
    let list = body(
        office
            .get(app.url("/enterprises?q=华为"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(list.contains(&format!("href=\"/enterprises/{id}\">华为技术有限公司")));
    assert!(list.contains(HUAWEI));

    // An altered check character is refused with the reason, the form kept, nothing saved.
    let res = office
        .post(app.url("/enterprises"))
        .form(&[("code", HUAWEI_ALTERED), ("name", "某某误发公司")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = body(res).await;
    assert!(
        html.contains("校验码（第 18 位）应为“6”，实际为“7”"),
        "{html}"
    );
    assert!(html.contains("value=\"某某误发公司\""));
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "",
            10,
            0
        )
        .await
        .unwrap()
        .1,
        1
    );

    // After the office records an exception the code is accepted and flagged.
    let res = office
        .post(app.url("/enterprises/code-overrides"))
        .form(&[("code", HUAWEI_ALTERED), ("reason", "发证机关误发，已核实")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let odd = create(&office, &app, HUAWEI_ALTERED, "某某误发公司").await;
    let list = body(office.get(app.url("/enterprises")).send().await.unwrap()).await;
    let row = list
        .split(&format!("id=\"ent-{odd}\""))
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(
        row.contains("code-flag") && row.contains("发证机关误发，已核实"),
        "{row}"
    );
    assert!(
        !list
            .split(&format!("id=\"ent-{id}\""))
            .nth(1)
            .unwrap()
            .split("</tr>")
            .next()
            .unwrap()
            .contains("code-flag")
    );

    // A unit that does not own the register may not write it; one that does may.
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let res = nw
        .post(app.url("/enterprises"))
        .form(&[
            ("code", QUANJUDE),
            ("name", "中国全聚德（集团）股份有限公司"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(
        !body(nw.get(app.url("/enterprises")).send().await.unwrap())
            .await
            .contains("id=\"new-enterprise\"")
    );
    let zj = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    create(&zj, &app, QUANJUDE, "中国全聚德（集团）股份有限公司").await;
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "",
            10,
            0
        )
        .await
        .unwrap()
        .1,
        3
    );

    // A stale edit is a conflict, not a lost update.
    let res = office
        .post(app.url(&format!("/enterprises/{id}/edit")))
        .form(&[
            ("name", "华为技术有限公司"),
            ("town", "老城街道"),
            ("row_version", "0"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = office
        .post(app.url(&format!("/enterprises/{id}/edit")))
        .form(&[("name", "华为"), ("row_version", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(body(res).await.contains("已被他人修改"));
}

#[tokio::test]
async fn a_credit_event_lowers_the_grade_and_a_listing_reaches_the_public_portal() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let id = create(&office, &app, HUAWEI, "华为技术有限公司").await;
    let page = body(
        office
            .get(app.url(&format!("/enterprises/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"grade\">A级（守信）"), "{page}");

    let form = reqwest::multipart::Form::new()
        .text("kind", "penalty")
        .text("occurred_on", "2015-03-01")
        .text("serious", "1")
        .text("summary", "生产不合格产品，情节严重")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.4\n%%EOF\n".to_vec())
                .file_name("处罚决定书.pdf"),
        );
    let res = office
        .post(app.url(&format!("/enterprises/{id}/events")))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(
        office
            .get(app.url(&format!("/enterprises/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"grade\">C级（失信）"), "{page}");
    assert!(page.contains("生产不合格产品，情节严重"));
    let list = body(office.get(app.url("/enterprises")).send().await.unwrap()).await;
    assert!(list.contains("C级（失信）"));
    // The evidence is served through the event it belongs to.
    let ev = credit::events(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        id,
    )
    .await
    .unwrap()
    .remove(0);
    let res = office
        .get(app.url(&format!("/enterprises/{id}/events/{}/evidence", ev.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    // The rules propose listing after a serious penalty; the office proposes and approves.
    assert!(page.contains("按规则建议列入黑名单："), "{page}");
    let res = office
        .post(app.url(&format!("/enterprises/{id}/listings")))
        .form(&[("reason", "情节严重的行政处罚")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let l = credit::current_listing(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        id,
    )
    .await
    .unwrap()
    .unwrap();
    let back = format!("/enterprises/{id}");
    // Four eyes: the one who proposed does not approve; a colleague does.
    let approve = [
        ("action", "approve"),
        ("row_version", &l.row_version.to_string()),
        ("comment", "批准"),
        ("back", &back),
    ];
    let res = office
        .post(app.url(&format!("/listings/{}/act", l.id)))
        .form(&approve)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(body(res).await.contains("双人复核"));
    let head = app.user("office.head", Role::Office, None).await;
    let res = head
        .post(app.url(&format!("/listings/{}/act", l.id)))
        .form(&[
            ("action", "approve"),
            ("row_version", &l.row_version.to_string()),
            ("comment", "批准"),
            ("back", &back),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), back);
    let page = body(office.get(app.url(&back)).send().await.unwrap()).await;
    assert!(page.contains("id=\"grade\">D级（严重失信）"));
    assert!(page.contains("已列入并公示"));

    let public = app.client();
    let bl = body(
        public
            .get(app.url("/public/blacklist"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        bl.contains("华为技术有限公司")
            && bl.contains("情节严重的行政处罚")
            && bl.contains("2015-06-01")
            && bl.contains("2018-06-01"),
        "{bl}"
    );
    let look = body(
        public
            .get(app.url(&format!("/public/enterprises?q={HUAWEI}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        look.contains("华为技术有限公司") && look.contains("已列入并公示") && look.contains("D级"),
        "{look}"
    );

    // Credit repair before its date is refused with the earliest date (handlers act on the
    // business date, here 2015-06-01, so repair paths beyond it are covered by the store tests).
    let l = credit::current_listing(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        id,
    )
    .await
    .unwrap()
    .unwrap();
    let res = office
        .post(app.url(&format!("/listings/{}/act", l.id)))
        .form(&[
            ("action", "request_repair"),
            ("row_version", &l.row_version.to_string()),
            ("comment", "已整改"),
            ("back", &back),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert!(body(res).await.contains("最早可于 2016-06-01 申请"));

    // A rejected proposal never reaches the portal.
    let other = create(&office, &app, QUANJUDE, "中国全聚德（集团）股份有限公司").await;
    office
        .post(app.url(&format!("/enterprises/{other}/listings")))
        .form(&[("reason", "投诉")])
        .send()
        .await
        .unwrap();
    let l = credit::current_listing(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        other,
    )
    .await
    .unwrap()
    .unwrap();
    let res = office
        .post(app.url(&format!("/listings/{}/act", l.id)))
        .form(&[
            ("action", "reject"),
            ("row_version", &l.row_version.to_string()),
            ("comment", "证据不足"),
            ("back", "/credit/blacklist"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let bl = body(
        public
            .get(app.url("/public/blacklist"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!bl.contains("全聚德"));
    let board = body(
        office
            .get(app.url("/credit/blacklist"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(board.contains("证据不足") || board.contains("全聚德"));
    // Rules: explained, and a broken edit saves nothing.
    let rules = body(office.get(app.url("/credit/rules")).send().await.unwrap()).await;
    assert!(rules.contains("QCity 的假设") && rules.contains("起始分 100 分"));
    let res = office
        .post(app.url("/credit/rules"))
        .form(&[("body", "start = \"many\"")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(credit::rules(&app.store).await.unwrap().1.is_none());
}

#[tokio::test]
async fn a_failed_sampling_feeds_the_credit_file_and_the_public_results() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let id = create(&office, &app, HUAWEI, "华为技术有限公司").await;
    let res = office
        .post(app.url("/sampling"))
        .form(&[
            ("report_no", "HJ2015-001"),
            ("plan", "2015年区级监督抽查"),
            ("level", "district"),
            ("stage", "production"),
            ("enterprise_code", HUAWEI),
            ("product", "人造板"),
            ("category", "建材"),
            ("kind", "industrial"),
            ("sampled_on", "2015-04-02"),
            ("verdict", "fail"),
            ("failed_items", "甲醛释放量（GB 18580-2017）"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", body(res).await);
    let rec = location(&res);
    let page = body(office.get(app.url(&rec)).send().await.unwrap()).await;
    assert!(page.contains("甲醛释放量") && page.contains("GB 18580-2017"));
    let ent = body(
        office
            .get(app.url(&format!("/enterprises/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(ent.contains("区级监督抽查不合格：人造板"), "{ent}");
    assert!(
        ent.contains("<small>(-10)</small>"),
        "one failure costs 10 points: {ent}"
    );
    let list = body(
        office
            .get(app.url("/sampling?failed=1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        list.contains("HJ2015-001")
            && list.contains("0.0%")
            && list.contains("合格率 = 合格批次 ÷ 抽查批次 × 100%")
    );
    // Not public before a second person reviews it for disclosure.
    let public = app.client();
    let pubs = body(
        public
            .get(app.url("/public/sampling?q=人造板"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!pubs.contains("华为技术有限公司"), "{pubs}");
    let res = office
        .post(app.url("/sampling/disclose"))
        .form(&[("all", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/sampling?disclosed=0&left=1");
    let page = body(
        office
            .get(app.url("/sampling?disclosed=0&left=1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("1 条为您本人录入，需由另一位工作人员审核"),
        "{page}"
    );
    let head = app.user("office.head", Role::Office, None).await;
    let res = head
        .post(app.url("/sampling/disclose"))
        .form(&[("all", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&res), "/sampling?disclosed=1&left=0");
    let pubs = body(
        public
            .get(app.url("/public/sampling?q=人造板"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        pubs.contains("华为技术有限公司") && pubs.contains("不合格") && pubs.contains("待处理"),
        "{pubs}"
    );

    // Follow-up: saved once from the version shown; the same stale version again is a conflict.
    let form = [
        ("status", "rectifying"),
        ("rectify_by", "2015-07-01"),
        ("note", "责令整改"),
        ("row_version", "-1"),
    ];
    let res = office
        .post(app.url(&format!("{rec}/followup")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = office
        .post(app.url(&format!("{rec}/followup")))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let page = body(office.get(app.url(&rec)).send().await.unwrap()).await;
    assert!(page.contains("责令整改") && page.contains("value=\"2015-07-01\""));
}

#[tokio::test]
async fn an_enterprise_import_reports_bad_lines_keeps_the_rest_and_is_idempotent() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let csv = format!(
        "统一社会信用代码,企业名称,所属街道（镇）\n{HUAWEI},华为技术有限公司,新城街道\n{HUAWEI_ALTERED},坏代码公司,新城街道\n{QUANJUDE},中国全聚德（集团）股份有限公司,老城街道\n"
    );
    let send = || async {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec()).file_name("企业.csv"),
        );
        let res = office
            .post(app.url("/enterprises/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let (status, page) = crate::harness::import_outcome(&office, res).await;
        assert_eq!(status, 200, "{page}");
        page
    };
    let first = send().await;
    assert!(first.contains("第3行"), "{first}");
    assert!(
        first.contains("<span class=\"n\">2</span><span class=\"l\">新增</span>"),
        "{first}"
    );
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "",
            10,
            0
        )
        .await
        .unwrap()
        .1,
        2
    );
    let again = send().await;
    assert!(again.contains("<span class=\"n\">0</span><span class=\"l\">新增</span>"));
    assert!(again.contains("<span class=\"n\">0</span><span class=\"l\">更新</span>"));
    assert!(again.contains("<span class=\"n\">2</span><span class=\"l\">无变化</span>"));
    assert_eq!(
        enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "",
            10,
            0
        )
        .await
        .unwrap()
        .1,
        2
    );
}

/// A damaged character refuses its row alone, named by its line; when no row
/// is imported the heading does not say the others were.
#[tokio::test]
async fn an_import_with_a_bad_byte_names_its_line_and_never_claims_rows_it_did_not_import() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let send = |csv: Vec<u8>| {
        let office = office.clone();
        let url = app.url("/enterprises/import");
        async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(csv).file_name("企业.csv"),
            );
            let res = office.post(url).multipart(form).send().await.unwrap();
            crate::harness::import_outcome(&office, res).await
        }
    };
    let mut csv = format!(
        "统一社会信用代码,企业名称,所属街道（镇）\n{HUAWEI},华为技术有限公司,新城街道\n{QUANJUDE},坏"
    )
    .into_bytes();
    csv.push(0xFF);
    csv.extend("公司,老城街道\n".as_bytes());
    let (status, page) = send(csv).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("第3行：字节 0xFF 不是有效的 UTF-8 文本"),
        "{page}"
    );
    assert!(page.contains("以下行未导入（其余行已导入）"), "{page}");
    assert!(
        page.contains("<span class=\"n\">1</span><span class=\"l\">新增</span>"),
        "{page}"
    );

    // Every row refused, or the file refused: nothing was imported, and the heading says so.
    let mut all_bad = "统一社会信用代码,企业名称,所属街道（镇）\n"
        .as_bytes()
        .to_vec();
    all_bad.extend(format!("{QUANJUDE},坏").bytes());
    all_bad.push(0xFF);
    all_bad.extend("公司,老城街道\n".as_bytes());
    for csv in [all_bad, "企业名称\n华为\n".as_bytes().to_vec()] {
        let (status, page) = send(csv).await;
        assert_eq!(status, 422, "{page}");
        assert!(page.contains("未导入任何数据："), "{page}");
        assert!(!page.contains("其余行已导入"), "{page}");
    }
}
