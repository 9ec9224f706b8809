//! The registers below the pages: enterprise codes and imports, sampling feeding the computed
//! indicators, credit events from failures, and the blacklist's life. Run on both databases.

use crate::harness::TestApp;
use chrono::NaiveDate;
use qcity_domain::credit::{Grade, ListingAction, ListingState, TransitionErrorKind};
use qcity_domain::registry::{CodeList, FailedItem, Level, ProductKind, Stage, Verdict};
use qcity_domain::role::Role;
use qcity_domain::target::{Lang, Status};
use qcity_store::Store;
use qcity_store::enterprises::{self, EnterpriseInput, EnterpriseRow};
use qcity_store::import::{self, Import, ImportReport};
use qcity_store::indicators::{self, NewValue};
use qcity_store::sampling::{self, SamplingInput};
use qcity_store::{Actor, StoreError, credit};

const HUAWEI: &str = "914403001922038216";
const BAIDU: &str = "91110000802100433B";

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}

fn enterprise(line: usize, code: &str, name: &str, opened: Option<&str>) -> (usize, EnterpriseRow) {
    (
        line,
        EnterpriseRow {
            enterprise: EnterpriseInput {
                code: code.into(),
                name: name.into(),
                town: "新城街道".into(),
                file_opened: opened.map(d),
                ..Default::default()
            },
            licence: None,
        },
    )
}

/// Enterprise rows through the import pipeline, as a file's rows.
async fn import_enterprises(
    store: &Store,
    actor: &Actor,
    rows: &[(usize, EnterpriseRow)],
    source: &str,
) -> qcity_store::Result<ImportReport> {
    import::run(store, actor, source, today(), rows.iter().cloned()).await
}

/// Starts a sampling import.
async fn sampling_import<'a>(store: &'a Store, actor: &Actor) -> Import<'a, SamplingInput> {
    Import::begin(store, actor, "s.csv", today()).await.unwrap()
}

fn record(no: usize, code: &str, level: Level, passed: bool) -> SamplingInput {
    SamplingInput {
        report_no: format!("R2014-{no:03}"),
        plan: "2014年监督抽查".into(),
        level,
        stage: Stage::Production,
        enterprise_code: code.into(),
        enterprise_name: String::new(),
        product: "电线".into(),
        category: "电线电缆".into(),
        kind: ProductKind::Industrial,
        ccc: true,
        batch: "2014-01".into(),
        sampled_on: d("2014-05-10"),
        reported_on: Some(d("2014-06-01")),
        verdict: if passed { Verdict::Pass } else { Verdict::Fail },
        failed_items: if passed {
            vec![]
        } else {
            vec![FailedItem {
                item: "导体电阻".into(),
                standard: "GB/T 3956-2008".into(),
            }]
        },
        agency: "郑州市质检院".into(),
    }
}

async fn unit_actor(app: &TestApp, code: &str) -> Actor {
    let unit = qcity_store::units::get(&app.store, &Actor::system("t"), code)
        .await
        .unwrap();
    Actor {
        user_id: None,
        username: format!("staff-{code}"),
        role: Some(Role::Unit),
        unit_id: Some(unit.id),
        owner_id: None,
        ip: "127.0.0.1".into(),
        request_id: String::new(),
    }
}

#[tokio::test]
async fn enterprise_import_refuses_altered_codes_keeps_good_rows_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let office = Actor::system("office");
    let altered = format!("{}7", &HUAWEI[..17]);
    let rows = vec![
        enterprise(2, HUAWEI, "华为技术有限公司", Some("2014-03-01")),
        enterprise(3, &altered, "改错代码的企业", None),
        enterprise(4, "19220382-1", "旧组织机构代码企业", None),
    ];
    let first = import_enterprises(&app.store, &office, &rows, "t.xlsx")
        .await
        .unwrap();
    assert_eq!((first.created, first.updated), (2, 0));
    assert_eq!(first.problems.len(), 1);
    assert_eq!(first.problems[0].line, Some(3));
    assert!(
        first.problems[0]
            .message_zh
            .contains("校验码（第 18 位）应为“6”"),
        "{}",
        first.problems[0].message_zh
    );
    assert!(
        enterprises::by_code(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            &altered
        )
        .await
        .unwrap()
        .is_none()
    );
    let org = enterprises::by_code(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        "192203821",
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(org.code_kind, "org");

    let again = import_enterprises(&app.store, &office, &rows, "t.xlsx")
        .await
        .unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2));

    // The office records the code as a known mis-issue: accepted, and flagged.
    enterprises::record_override(&app.store, &office, &altered, "登记机关误发，已核实")
        .await
        .unwrap();
    let third = import_enterprises(&app.store, &office, &rows, "t.xlsx")
        .await
        .unwrap();
    assert_eq!((third.created, third.problems.len()), (1, 0));
    let flagged = enterprises::by_code(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        &altered,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        flagged.code_override.as_deref(),
        Some("登记机关误发，已核实")
    );

    // A unit that does not own the enterprise register cannot write to it.
    let nw = unit_actor(&app, "NW").await;
    assert!(matches!(
        import_enterprises(&app.store, &nw, &rows, "t.xlsx").await,
        Err(StoreError::Forbidden)
    ));
}

#[tokio::test]
async fn sampling_feeds_the_product_indicators_and_the_credit_file() {
    let app = TestApp::with_plan().await;
    let office = Actor::system("office");
    let plan = qcity_domain::plan::default_plan();
    import_enterprises(
        &app.store,
        &office,
        &[
            enterprise(2, HUAWEI, "华为技术有限公司", Some("2014-03-01")),
            enterprise(3, BAIDU, "北京百度网讯科技有限公司", None),
        ],
        "e.csv",
    )
    .await
    .unwrap();
    // A hand-reported value for 2013 (before the register) and one for 2014 that the
    // register overrides.
    for (year, v) in [(2013, 88.0), (2014, 50.0)] {
        let id = indicators::submit(
            &app.store,
            &office,
            &plan,
            NewValue {
                indicator: "PRD-3".into(),
                measure: String::new(),
                year,
                value: Some(v),
                judged: None,
                comment: "上报".into(),
                source: "manual".into(),
            },
            &Default::default(),
        )
        .await
        .unwrap();
        indicators::decide(&app.store, &office, id, true, "")
            .await
            .unwrap();
    }
    // 2014 national sampling: 18 of 20 batches pass (90 %, target >= 90 %); a district
    // sampling of an unregistered enterprise registers it.
    let mut rows: Vec<SamplingInput> = (1..=20)
        .map(|i| {
            record(
                i,
                if i % 2 == 0 { HUAWEI } else { BAIDU },
                Level::National,
                i > 2,
            )
        })
        .collect();
    let mut newcomer = record(21, "91110108551385082Q", Level::District, true);
    newcomer.enterprise_name = "北京小米科技有限责任公司".into();
    rows.push(newcomer);
    let mut bad = record(22, HUAWEI, Level::District, false);
    bad.failed_items.clear();
    rows.push(bad);

    let run = |rows: Vec<SamplingInput>| {
        let store = app.store.clone();
        let office = office.clone();
        async move {
            let mut import = sampling_import(&store, &office).await;
            for (i, r) in rows.into_iter().enumerate() {
                import.push(i + 2, r).await.unwrap();
            }
            import.finish().await.unwrap()
        }
    };
    let first = run(rows.clone()).await;
    assert_eq!((first.created, first.side), (21, 1));
    assert_eq!(first.problems_total, 1);
    assert!(
        first.problems[0].message_zh.contains("第23行"),
        "{:?}",
        first.problems
    );
    assert!(first.problems[0].message_zh.contains("不合格项目"));

    let eval = |app_store: qcity_store::Store| {
        let plan = plan.clone();
        async move {
            let obs = indicators::observations(&app_store, &plan, d("2014-12-31"))
                .await
                .unwrap();
            let standings = indicators::evaluate(&plan, &obs, d("2014-12-31"));
            let prd3 = standings.into_iter().find(|s| s.code == "PRD-3").unwrap();
            (
                obs["PRD-3"].values[""].clone(),
                prd3,
                obs["CUL-2"].values.get("").cloned(),
            )
        }
    };
    let (values, prd3, cul2) = eval(app.store.clone()).await;
    assert_eq!(
        values.get(&2013),
        Some(&88.0),
        "hand value kept where the register is silent"
    );
    assert_eq!(
        values.get(&2014),
        Some(&90.0),
        "the register wins over the hand value"
    );
    assert_eq!(
        prd3.evaluation.status,
        Status::Met,
        "{}",
        prd3.evaluation.explanation_zh
    );
    assert!(
        prd3.evaluation.explanation_zh.contains("90"),
        "{}",
        prd3.evaluation.explanation_zh
    );
    // 建档率: one of three registered enterprises has its file (the newcomer has none).
    let cul2 = cul2.unwrap();
    assert!((cul2[&2014] - 100.0 / 3.0).abs() < 1e-9, "{cul2:?}");

    // Each failure is an event in the enterprise's credit file.
    let huawei = enterprises::by_code(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        HUAWEI,
    )
    .await
    .unwrap()
    .unwrap();
    let baidu = enterprises::by_code(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        BAIDU,
    )
    .await
    .unwrap()
    .unwrap();
    let events = credit::events(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        baidu.id,
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1);
    assert!(
        events[0].summary.contains("国家级监督抽查不合格"),
        "{}",
        events[0].summary
    );
    assert_eq!(
        credit::events(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            huawei.id
        )
        .await
        .unwrap()
        .len(),
        1
    );

    // The same file again changes nothing.
    let again = run(rows.clone()).await;
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 21));

    // A corrected verdict (re-test passed) updates the record, the rate and the credit file.
    rows[0] = record(1, BAIDU, Level::National, true);
    let corrected = run(rows.clone()).await;
    assert_eq!((corrected.created, corrected.updated), (0, 1));
    let (values, _, _) = eval(app.store.clone()).await;
    assert_eq!(values.get(&2014), Some(&95.0));
    let events = credit::events(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        baidu.id,
    )
    .await
    .unwrap();
    assert!(events[0].withdrawn_at.is_some());
    let rates = sampling::pass_rates(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        "level",
    )
    .await
    .unwrap();
    let national = rates.iter().find(|r| r.group == "national").unwrap();
    assert_eq!((national.batches, national.passed), (20, 19));
}

#[tokio::test]
async fn a_blacklisting_lives_from_proposal_to_repair() {
    let app = TestApp::spawn().await;
    let office = Actor::system("office");
    let id = enterprises::create(
        &app.store,
        &office,
        &EnterpriseInput {
            code: HUAWEI.into(),
            name: "示例电缆有限公司".into(),
            ..Default::default()
        },
        d("2014-03-01"),
    )
    .await
    .unwrap();
    // 区农委 owns sampling but not the credit register.
    let nw = unit_actor(&app, "NW").await;
    assert!(matches!(
        credit::propose(&app.store, &nw, id, "理由", d("2014-03-20")).await,
        Err(StoreError::Forbidden)
    ));
    let zjfj = unit_actor(&app, "ZJFJ").await;
    let listing = credit::propose(
        &app.store,
        &zjfj,
        id,
        "生产销售不合格产品，情节严重",
        d("2014-03-20"),
    )
    .await
    .unwrap();
    assert!(
        credit::published(&app.store, qcity_store::enterprises::Whose::Public(None))
            .await
            .unwrap()
            .is_empty()
    );
    // Only the office decides.
    assert!(matches!(
        credit::act(
            &app.store,
            &zjfj,
            listing,
            0,
            ListingAction::Approve,
            "",
            d("2014-04-01")
        )
        .await,
        Err(StoreError::Forbidden)
    ));
    let state = credit::act(
        &app.store,
        &office,
        listing,
        0,
        ListingAction::Approve,
        "批准",
        d("2014-04-01"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(state, ListingState::Listed);
    let published = credit::published(&app.store, qcity_store::enterprises::Whose::Public(None))
        .await
        .unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].until.as_deref(), Some("2017-04-01"));
    assert_eq!(
        credit::grading(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            id,
            d("2014-05-01")
        )
        .await
        .unwrap()
        .grade,
        Grade::D
    );

    // Repair is refused before a year has passed, and the reason names the earliest date.
    let early = credit::act(
        &app.store,
        &zjfj,
        listing,
        1,
        ListingAction::RequestRepair,
        "已整改",
        d("2014-10-01"),
    )
    .await
    .unwrap()
    .unwrap_err();
    assert!(matches!(early.kind, TransitionErrorKind::TooEarly { .. }));
    assert!(
        early.message(Lang::ZhCn).contains("2015-04-01"),
        "{}",
        early.message(Lang::ZhCn)
    );
    // A stale version is a conflict, not a silent overwrite.
    assert!(matches!(
        credit::act(
            &app.store,
            &zjfj,
            listing,
            0,
            ListingAction::RequestRepair,
            "已整改",
            d("2015-05-01")
        )
        .await,
        Err(StoreError::Conflict(_))
    ));
    credit::act(
        &app.store,
        &zjfj,
        listing,
        1,
        ListingAction::RequestRepair,
        "已整改并通过复查",
        d("2015-05-01"),
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(
        credit::published(&app.store, qcity_store::enterprises::Whose::Public(None))
            .await
            .unwrap()
            .len(),
        1,
        "still published while considered"
    );
    credit::act(
        &app.store,
        &office,
        listing,
        2,
        ListingAction::ApproveRepair,
        "准予修复",
        d("2015-05-10"),
    )
    .await
    .unwrap()
    .unwrap();
    assert!(
        credit::published(&app.store, qcity_store::enterprises::Whose::Public(None))
            .await
            .unwrap()
            .is_empty()
    );
    let history = credit::listing_history(&app.store, listing).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|s| s.action.as_str()).collect();
    assert_eq!(
        actions,
        ["propose", "approve", "request_repair", "approve_repair"]
    );
    assert_ne!(
        credit::grading(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            id,
            d("2015-06-01")
        )
        .await
        .unwrap()
        .grade,
        Grade::D
    );
}

#[tokio::test]
async fn licences_running_out_alert_the_register_keepers_once_per_step() {
    let app = TestApp::spawn().await;
    let office = Actor::system("office");
    let id = enterprises::create(
        &app.store,
        &office,
        &EnterpriseInput {
            code: HUAWEI.into(),
            name: "示例电缆有限公司".into(),
            ..Default::default()
        },
        d("2014-03-01"),
    )
    .await
    .unwrap();
    enterprises::save_licence(
        &app.store,
        &office,
        id,
        &enterprises::LicenceInput {
            kind: qcity_domain::registry::LicenceKind::Ccc,
            number: "2010010105000001".into(),
            product: "电线电缆".into(),
            issued: Some(d("2010-01-01")),
            expires: Some(d("2014-12-31")),
        },
    )
    .await
    .unwrap();
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2014-10-01"))
            .await
            .unwrap(),
        0
    );
    // 区质监分局 keeps the register (the seed's 区工商分局 is not a unit in this test).
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2014-11-15"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2014-11-20"))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2014-12-05"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2015-01-03"))
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        enterprises::licence_alerts(&app.store, d("2015-03-01"))
            .await
            .unwrap(),
        0
    );
    let zjfj = unit_actor(&app, "ZJFJ").await;
    let notices = qcity_store::notices::list(&app.store, &zjfj, Some("licence"))
        .await
        .unwrap();
    let titles: Vec<&str> = notices.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles.len(), 3, "{titles:?}");
    // One digest a day with something new, each listing the licence at its step.
    assert_eq!(
        titles,
        [
            "许可证到期提醒：1 张许可证（1 张已过期）",
            "许可证到期提醒：1 张许可证（0 张已过期）",
            "许可证到期提醒：1 张许可证（0 张已过期）"
        ]
    );
    assert!(
        notices[0]
            .body
            .contains("示例电缆有限公司（914403001922038216）：CCC认证 2010010105000001，有效期至 2014-12-31，已过期 3 天"),
        "{}",
        notices[0].body
    );
    assert!(
        notices[1].body.contains("还有 26 天"),
        "{}",
        notices[1].body
    );
    let nw = unit_actor(&app, "NW").await;
    assert!(
        qcity_store::notices::list(&app.store, &nw, Some("licence"))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_api_reads_enterprises_grades_and_pass_rates() {
    // Grades count events within three years of the business date.
    let app = TestApp::spawn_with(qcity_web::Config {
        today: Some(d("2014-12-31")),
        ..Default::default()
    })
    .await;
    let office = Actor::system("office");
    import_enterprises(
        &app.store,
        &office,
        &[enterprise(
            2,
            HUAWEI,
            "华为技术有限公司",
            Some("2014-03-01"),
        )],
        "e.csv",
    )
    .await
    .unwrap();
    let mut import = sampling_import(&app.store, &office).await;
    import
        .push(2, record(1, HUAWEI, Level::National, false))
        .await
        .unwrap();
    import
        .push(3, record(2, HUAWEI, Level::National, true))
        .await
        .unwrap();
    import.finish().await.unwrap();
    let admin = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    let list: serde_json::Value = admin
        .get(app.url("/api/v1/enterprises?q=华为"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["code"], HUAWEI);
    assert_eq!(
        list[0]["grade"], "A",
        "one failure: 100 − 10 = 90 → A: {list}"
    );
    let one: serde_json::Value = admin
        .get(app.url(&format!("/api/v1/enterprises/{HUAWEI}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            one["sampled_batches"].as_i64(),
            one["failed_batches"].as_i64()
        ),
        (Some(2), Some(1))
    );
    assert_eq!(one["score"], 90);
    assert!(one["reasons"].as_array().unwrap().len() >= 3, "{one}");
    let rates: serde_json::Value = admin
        .get(app.url("/api/v1/sampling/pass-rates?by=level"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rates[0]["group"], "national");
    assert_eq!(
        (rates[0]["batches"].as_i64(), rates[0]["passed"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(rates[0]["rate"], 50.0);
    // Without a group: one line per year, the total (PostgreSQL refuses a constant GROUP BY).
    let total: serde_json::Value = admin
        .get(app.url("/api/v1/sampling/pass-rates"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(total.as_array().map(Vec::len), Some(1), "{total}");
    assert_eq!(
        (total[0]["group"].as_str(), total[0]["batches"].as_i64()),
        (Some(""), Some(2))
    );
    let spec = admin
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        spec.contains("/api/v1/enterprises/{code}") && spec.contains("/api/v1/sampling/pass-rates")
    );
    // Signed out: no register data.
    let anon = app
        .client()
        .get(app.url("/api/v1/enterprises"))
        .send()
        .await
        .unwrap();
    assert_eq!(anon.status(), 401);
}

/// A stored code the domain's list lacks (a listing's state, an event's kind) is a decoding
/// error, never read as a default member such as "proposed".
#[tokio::test]
async fn a_corrupt_stored_code_is_an_error_not_a_default() {
    let app = TestApp::spawn().await;
    let office = Actor::system("office");
    let id = enterprises::create(
        &app.store,
        &office,
        &EnterpriseInput {
            code: HUAWEI.into(),
            name: "示例电缆有限公司".into(),
            ..Default::default()
        },
        d("2014-03-01"),
    )
    .await
    .unwrap();
    let zjfj = unit_actor(&app, "ZJFJ").await;
    credit::propose(&app.store, &zjfj, id, "生产销售不合格产品", d("2014-03-20"))
        .await
        .unwrap();
    let listing = credit::current_listing(
        &app.store,
        qcity_store::enterprises::Whose::Public(None),
        id,
    )
    .await
    .unwrap()
    .unwrap();
    assert_eq!(listing.state, ListingState::Proposed);
    for state in ["listed", "listd"] {
        sqlx::query("UPDATE blacklist SET state = $1 WHERE id = $2")
            .bind(state)
            .bind(listing.id)
            .execute(&app.store.pool)
            .await
            .unwrap();
        let read = credit::enterprise_listings(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            id,
        )
        .await;
        if state == "listed" {
            assert_eq!(read.unwrap()[0].state, ListingState::Listed);
        } else {
            assert!(
                matches!(&read, Err(StoreError::Db(sqlx::Error::ColumnDecode { index, .. })) if index == "state"),
                "{read:?}"
            );
        }
    }
}

/// Business facts take the business date, not the machine's clock: a listing's steps are dated
/// on the day they took effect, and "in the future" means after the business date.
#[tokio::test]
async fn register_facts_are_dated_on_the_business_date() {
    let app = TestApp::spawn().await;
    let office = Actor::system("office");
    let today = d("2014-12-15");
    let id = enterprises::create(
        &app.store,
        &office,
        &EnterpriseInput {
            code: HUAWEI.into(),
            name: "示例电缆有限公司".into(),
            ..Default::default()
        },
        today,
    )
    .await
    .unwrap();
    let zjfj = unit_actor(&app, "ZJFJ").await;
    let listing = credit::propose(&app.store, &zjfj, id, "生产销售不合格产品", d("2014-03-20"))
        .await
        .unwrap();
    let history = credit::listing_history(&app.store, listing).await.unwrap();
    assert_eq!(history[0].at, "2014-03-20");
    let event = |on: &str| credit::NewEvent {
        kind: qcity_domain::credit::EventKind::Award,
        occurred_on: d(on),
        serious: false,
        summary: "荣获郑州市质量奖".into(),
    };
    let refused = credit::add_event(&app.store, &zjfj, id, &event("2014-12-16"), &[], today).await;
    assert!(
        matches!(&refused, Err(StoreError::Invalid { code, .. }) if code == "error-date-in-future"),
        "{refused:?}"
    );
    credit::add_event(&app.store, &zjfj, id, &event("2014-12-15"), &[], today)
        .await
        .unwrap();
}

/// The register's totals come from the kept counts when a filter is one of theirs (year, level,
/// kind, failures, what the public sees, what waits for review): each must say exactly how many
/// records the listing holds, whatever the filters and disclosures.
#[tokio::test]
async fn the_registers_totals_equal_the_records_listed_for_every_filter() {
    let app = TestApp::spawn().await;
    let office = Actor::system("office");
    import_enterprises(
        &app.store,
        &office,
        &[
            enterprise(2, HUAWEI, "华为技术有限公司", None),
            enterprise(3, BAIDU, "北京百度网讯科技有限公司", None),
        ],
        "e.csv",
    )
    .await
    .unwrap();
    // 60 records over two years, four levels, two kinds; about a third failed.
    let mut rng = 17u64;
    let mut next = |n: u64| {
        rng = rng
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (rng >> 33) % n
    };
    let mut import = sampling_import(&app.store, &office).await;
    for no in 0..60 {
        let mut r = record(
            no,
            if next(2) == 0 { HUAWEI } else { BAIDU },
            Level::ALL[next(4) as usize],
            next(3) != 0,
        );
        r.kind = if next(2) == 0 {
            ProductKind::Industrial
        } else {
            ProductKind::Food
        };
        r.sampled_on = d(if next(2) == 0 {
            "2013-07-01"
        } else {
            "2014-05-10"
        });
        import.push(no + 2, r).await.unwrap();
    }
    import.finish().await.unwrap();
    // A colleague reviews some failures on two days: public from two objection periods on.
    let failed = sampling::awaiting_disclosure_of(&app.store, &office)
        .await
        .unwrap();
    assert!(failed.len() >= 8, "{} failures", failed.len());
    let head = Actor::system("office.head");
    sampling::disclose(&app.store, &head, &failed[..3], d("2015-01-05"))
        .await
        .unwrap();
    sampling::disclose(&app.store, &head, &failed[3..6], d("2015-03-01"))
        .await
        .unwrap();
    let (queue, waiting) = sampling::awaiting_disclosure_queue(&app.store, &office, 2)
        .await
        .unwrap();
    assert_eq!(waiting, failed.len() as i64 - 6);
    assert_eq!(queue, failed[6..8].to_vec(), "the oldest waiting first");

    let mut checked = 0;
    for year in [None, Some(2013), Some(2014)] {
        for level in [None, Some(Level::ALL[0]), Some(Level::ALL[3])] {
            for kind in [None, Some(ProductKind::Food)] {
                for failed_only in [false, true] {
                    for public_on in [None, Some(d("2015-02-01")), Some(d("2015-12-31"))] {
                        for awaiting_disclosure in [false, true] {
                            let f = sampling::Filter {
                                year,
                                level,
                                kind,
                                failed_only,
                                public_on,
                                awaiting_disclosure,
                                ..Default::default()
                            };
                            for whose in [
                                enterprises::Whose::Actor(&office),
                                enterprises::Whose::Public(None),
                            ] {
                                let (rows, total) = sampling::list(&app.store, whose, &f, 1000, 0)
                                    .await
                                    .unwrap();
                                assert_eq!(total, rows.len() as i64, "{f:?}");
                                checked += i64::from(total > 0);
                            }
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 100, "most filters list something: {checked}");
    // The whole register, and what the public sees at the year's end: every passed record and
    // the six reviewed failures.
    let all = sampling::Filter::default();
    let (_, total) = sampling::list(&app.store, enterprises::Whose::Actor(&office), &all, 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 60);
    let public = sampling::Filter {
        public_on: Some(d("2015-12-31")),
        failed_only: true,
        ..Default::default()
    };
    let (_, total) = sampling::list(&app.store, enterprises::Whose::Public(None), &public, 1, 0)
        .await
        .unwrap();
    assert_eq!(total, 6);
}
