//! Importing complaint tickets other hotline systems exported (issue 18): through the upload
//! page and the import queue, a good file, a file with refused rows (nothing saved), the same
//! file again (nothing duplicated, numbers continuing the district's sequence), and imported
//! closed tickets in the year's figures, with the kept counts never drifting.

use crate::harness::{ADMIN_PASSWORD, TestApp, body, import_outcome};
use chrono::NaiveDate;
use qcity_domain::complaints::ticket::{Channel, Finding, Satisfaction, Status};
use qcity_domain::registry::CodeList;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::complaints::{self, NewTicket, counts};
use qcity_web::Config;
use reqwest::multipart::{Form, Part};

const TODAY: &str = "2026-03-02";

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn app() -> TestApp {
    TestApp::with_plan_and(Config {
        today: Some(day(TODAY)),
        ..Config::default()
    })
    .await
}

const HEADER: &str = "工单编号,来源渠道,受理日期,投诉内容,类别,被投诉单位,统一社会信用代码,地址,所属区域,联系人,联系电话,办结日期,核查结果,满意度,承办单位\n";

/// Four tickets of 2026: an elevator (routed to ZJFJ by its category), a letter left to the
/// classifier, a vague one for the triage queue, and one the other system already closed.
fn good_file() -> String {
    format!(
        "{HEADER}\
         A-001,12345,2026-02-24,小区电梯经常困人物业不管,特种设备,某物业公司,,长兴路1号,,张三,13812345678,,,,\n\
         A-002,来信,2026-02-25,超市出售过期变质的牛奶，喝了拉肚子,,某超市,,,,李四,13900000000,,,,\n\
         A-003,12315,2026-02-26,投诉商家,,,,,,王五,,,,,\n\
         A-004,12345,2026-02-10,出租车计价器跳表太快,计量,,,,,赵六,13700000000,2026-02-13,属实,满意,ZJFJ\n"
    )
}

async fn upload(app: &TestApp, c: &reqwest::Client, name: &str, bytes: Vec<u8>) -> (u16, String) {
    let form = Form::new().part("file", Part::bytes(bytes).file_name(name.to_string()));
    let res = c
        .post(app.url("/complaints/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    import_outcome(c, res).await
}

/// The number in the job page's count whose label is `label`.
fn count(page: &str, label: &str) -> usize {
    let end = page
        .find(&format!("<span class=\"l\">{label}</span>"))
        .unwrap_or_else(|| panic!("no count {label} in {page}"));
    let head = &page[..end];
    let start = head.rfind("<span class=\"n\">").unwrap() + "<span class=\"n\">".len();
    head[start..].trim_end_matches("</span>").parse().unwrap()
}

async fn scalar(app: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

async fn no_drift(app: &TestApp, step: &str) {
    let drift = counts::drift(&app.store).await.unwrap();
    assert!(drift.is_empty(), "after {step}: {drift:?}");
}

/// (number, status, unit code, category) of the ticket imported as `external`.
async fn imported(
    app: &TestApp,
    external: &str,
) -> (String, String, Option<String>, Option<String>) {
    let r: (String, String, Option<String>, Option<String>) = sqlx::query_as(
        "SELECT t.number, t.status, u.code, t.category FROM complaint_tickets t \
         LEFT JOIN org_units u ON u.id = t.unit_id WHERE t.external_no = $1",
    )
    .bind(external)
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    r
}

#[tokio::test]
async fn a_good_file_imports_open_and_closed_tickets_with_their_histories() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    // The page offers the template, which reads as a workbook.
    let page = body(
        office
            .get(app.url("/complaints/import"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"cmpi-template\""), "{page}");
    let template = office
        .get(app.url("/complaints/import/template.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(template.status(), 200);
    assert!(template.bytes().await.unwrap().starts_with(b"PK"));
    // The queue's link from the complaints page.
    let list = body(office.get(app.url("/complaints")).send().await.unwrap()).await;
    assert!(list.contains("href=\"/complaints/import\""), "{list}");

    let (status, page) = upload(&app, &office, "12345导出.csv", good_file().into_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(count(&page, "新增"), 4, "{page}");
    assert_eq!(count(&page, "件待分派"), 1, "{page}");
    assert!(!page.contains("id=\"import-problems\""), "{page}");

    let (number, status, unit, category) = imported(&app, "A-001").await;
    assert_eq!(number, "2026-000001");
    assert_eq!(status, Status::Dispatched.code());
    assert_eq!(unit.as_deref(), Some("ZJFJ"));
    assert_eq!(category.as_deref(), Some("special_equipment"));
    let (_, status, unit, category) = imported(&app, "A-002").await;
    assert_eq!(status, Status::Dispatched.code());
    assert_eq!(category.as_deref(), Some("food"));
    assert_eq!(unit.as_deref(), Some("SYFJ"));
    let (_, status, unit, _) = imported(&app, "A-003").await;
    assert_eq!((status.as_str(), unit), (Status::Accepted.code(), None));
    let (_, status, unit, _) = imported(&app, "A-004").await;
    assert_eq!(status, Status::Closed.code());
    assert_eq!(unit.as_deref(), Some("ZJFJ"));

    // The closed ticket's history is the 12345 flow, dated as the file says.
    let id = scalar(
        &app,
        "SELECT id FROM complaint_tickets WHERE external_no = 'A-004'",
    )
    .await;
    let hist = complaints::events(&app.store, &Actor::system("t"), id)
        .await
        .unwrap();
    let kinds: Vec<(String, &str)> = hist
        .iter()
        .map(|h| (h.on.to_string(), h.kind.code()))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("2026-02-10".to_string(), "accept"),
            ("2026-02-10".to_string(), "dispatch"),
            ("2026-02-10".to_string(), "sign"),
            ("2026-02-13".to_string(), "reply"),
            ("2026-02-13".to_string(), "visit"),
            ("2026-02-13".to_string(), "close"),
        ]
    );
    let t = complaints::get(&app.store, &Actor::system("t"), id, day(TODAY))
        .await
        .unwrap();
    assert_eq!(t.channel, Channel::Hotline12345);
    assert_eq!(t.finding, Some(Finding::Substantiated));
    assert_eq!(t.satisfaction, Some(Satisfaction::Satisfied));
    // The unit handling the open ones is told once, not once per ticket.
    let notices = scalar(
        &app,
        "SELECT COUNT(*) FROM notices n JOIN org_units u ON u.id = n.unit_id \
         WHERE u.code = 'ZJFJ' AND n.kind = 'complaint'",
    )
    .await;
    assert_eq!(notices, 1);
    // The unit's queue lists the ticket imported to it, to sign.
    let zjfj = app.user("zjfj-staff", Role::Unit, Some("ZJFJ")).await;
    let queue = body(zjfj.get(app.url("/complaints")).send().await.unwrap()).await;
    assert!(queue.contains("data-number=\"2026-000001\""), "{queue}");
    // Units do not import.
    let res = zjfj
        .get(app.url("/complaints/import"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    no_drift(&app, "the import").await;
}

#[tokio::test]
async fn a_file_with_refused_rows_saves_no_ticket() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let file = format!(
        "{}\
         B-002,传真,2026-02-25,渠道不对,,,,,,,,,,,\n\
         B-003,12345,2026-02-26,承办单位不是本区的,特种设备,,,,,,,,,,不存在的局\n\
         B-004,12345,2026-02-26,类别不对,不存在的类别,,,,,,,,,,\n\
         B-005,12345,2026-02-20,办结早于受理,特种设备,,,,,,,2026-02-19,属实,,ZJFJ\n",
        good_file()
    );
    let (status, page) = upload(&app, &office, "bad.csv", file.into_bytes()).await;
    assert_eq!(status, 422, "{page}");
    assert!(page.contains("id=\"import-problems\""), "{page}");
    for line in ["第6行", "第7行", "第8行", "第9行"] {
        assert!(page.contains(line), "{line}: {page}");
    }
    assert!(page.contains("不存在的局"), "{page}");
    assert!(page.contains("整份文件未保存"), "{page}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM complaint_tickets").await,
        0
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM complaint_events").await,
        0
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM complaint_ticket_counts").await,
        0
    );
    // The good rows alone go in afterwards, numbered from the start.
    let (status, page) = upload(&app, &office, "good.csv", good_file().into_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(imported(&app, "A-001").await.0, "2026-000001");
    no_drift(&app, "the good file").await;
}

#[tokio::test]
async fn the_same_file_again_adds_nothing_and_numbers_continue_the_sequence() {
    let app = app().await;
    // A ticket taken on the phone first: the import continues its district's numbers.
    let received = complaints::intake(
        &app.store,
        &Actor::system("operator"),
        &NewTicket {
            channel: Some(Channel::Hotline12345),
            text: "电梯困人".into(),
            ..Default::default()
        },
        day(TODAY),
    )
    .await
    .unwrap();
    assert_eq!(received.number, "2026-000001");
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let (status, _) = upload(&app, &office, "a.csv", good_file().into_bytes()).await;
    assert_eq!(status, 200);
    assert_eq!(imported(&app, "A-001").await.0, "2026-000002");
    assert_eq!(imported(&app, "A-004").await.0, "2026-000005");
    let (status, page) = upload(&app, &office, "a.csv", good_file().into_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(count(&page, "新增"), 0, "{page}");
    assert_eq!(count(&page, "无变化"), 4, "{page}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM complaint_tickets").await,
        5
    );
    // A number of another channel is another ticket.
    let other = format!("{HEADER}A-001,12315,2026-02-27,电梯又困人了,特种设备,,,,,,,,,,\n");
    let (status, page) = upload(&app, &office, "b.csv", other.into_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(count(&page, "新增"), 1, "{page}");
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM complaint_tickets").await,
        6
    );
    no_drift(&app, "the imports").await;
}

#[tokio::test]
async fn imported_closed_tickets_count_in_the_years_figures() {
    let app = app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    // The enterprise of the substantiated complaint is registered: it gets a credit event.
    let uscc = qcity_store::demo::registers::demo_uscc(801);
    let input = qcity_store::enterprises::EnterpriseInput {
        code: uscc.clone(),
        name: "郑州惠济电梯维保有限公司".into(),
        ..Default::default()
    };
    let enterprise =
        qcity_store::enterprises::create(&app.store, &Actor::system("t"), &input, day(TODAY))
            .await
            .unwrap();
    // Four tickets of 2025 the other system closed: three within the close limit, one late;
    // three rated (two satisfied), one not reached.
    let file = format!(
        "{HEADER}\
         C-1,12345,2025-03-03,电梯困人,特种设备,,{uscc},,,,,2025-03-10,属实,满意,ZJFJ\n\
         C-2,12315,2025-04-01,电饭煲质量差,产品质量,,,,,,,2025-06-30,不属实,不满意,ZJFJ\n\
         C-3,12345,2025-05-06,加油机计量不准,计量,,,,,,,2025-05-08,部分属实,基本满意,NW\n\
         C-4,来访,2025-09-01,眼镜店验光不准,计量,,,,,,,2025-09-05,无法核实,,NW\n"
    );
    let (status, page) = upload(&app, &office, "2025.csv", file.into_bytes()).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(count(&page, "新增"), 4, "{page}");
    let figures = body(
        office
            .get(app.url("/complaints/figures?year=2025"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    for row in [
        "<th scope=\"row\">受理量</th><td>4</td>",
        "<th scope=\"row\">按时办结率</th><td>75.0%</td>",
        "<th scope=\"row\">满意率</th><td>66.7%</td>",
    ] {
        assert!(figures.contains(row), "{row}: {figures}");
    }
    // One credit event, for the substantiated complaint, dated on its closing.
    let events: Vec<(i64, String, String)> = sqlx::query_as(
        "SELECT enterprise_id, occurred_on, source_ref FROM credit_events WHERE source = 'complaint'",
    )
    .fetch_all(&app.store.pool)
    .await
    .unwrap();
    let c1 = scalar(
        &app,
        "SELECT id FROM complaint_tickets WHERE external_no = 'C-1'",
    )
    .await;
    assert_eq!(
        events,
        vec![(enterprise, "2025-03-10".to_string(), format!("ticket:{c1}"))]
    );
    assert_eq!(
        scalar(&app, "SELECT COUNT(*) FROM complaint_credit_events").await,
        1
    );
    let y = counts::year_figures(&app.store, &Actor::system("t"), 2025)
        .await
        .unwrap();
    assert_eq!(
        (y.counts.tickets, y.counts.close_due, y.counts.rated),
        (4, 4, 3)
    );
    no_drift(&app, "the import of 2025").await;
    // A later event on an imported ticket keeps the counts right: it is an ordinary ticket.
    let open = format!("{HEADER}D-1,12345,2026-02-24,电梯困人,特种设备,,,,,,,,,,\n");
    upload(&app, &office, "open.csv", open.into_bytes()).await;
    let id = scalar(
        &app,
        "SELECT id FROM complaint_tickets WHERE external_no = 'D-1'",
    )
    .await;
    let unit = Actor {
        role: Some(Role::Unit),
        unit_id: Some(scalar(&app, "SELECT id FROM org_units WHERE code = 'ZJFJ'").await),
        ..Actor::system("zjfj")
    };
    complaints::act(
        &app.store,
        &unit,
        id,
        &qcity_domain::complaints::ticket::Event::Sign,
        day(TODAY),
    )
    .await
    .unwrap();
    no_drift(&app, "signing an imported ticket").await;
}
