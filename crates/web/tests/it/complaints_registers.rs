//! The complaint registers' pages (issue 18): the dispatch catalogue, the holiday calendar, the
//! social quality supervisors and the quality disputes. Each is read, edited by the office,
//! refused with the domain's reason and the text as typed, read only by units, and kept per
//! district; a catalogue change re-routes new tickets, a calendar change moves deadlines, and
//! a supervisor's report counts.

use crate::complaints_pages::{by_id, on};
use crate::districts::jinshui;
use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::complaints::catalogue::DEFAULT_ROUTES;
use qcity_domain::role::Role;
use qcity_store::{Actor, plan};

/// The first text inside the element with this id, past any opening tags
/// (`<div id="x"><p>text</p>` → `text`).
fn inner(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let mut rest = &html[start..];
    rest = &rest[rest.find('>').unwrap() + 1..];
    while let Some(tag) = rest.strip_prefix('<') {
        rest = &tag[tag.find('>').unwrap() + 1..];
    }
    rest[..rest.find('<').unwrap_or(rest.len())]
        .trim()
        .to_string()
}

/// The text of the cell with this class in the row with this id.
fn cell(html: &str, row: &str, class: &str) -> String {
    crate::districts::cell(html, row, class)
}

async fn unit_id(app: &TestApp, code: &str) -> i64 {
    crate::districts::unit_id(app, code).await
}

/// The textarea's content as the page shows it (HTML-escaped).
fn textarea(html: &str, name: &str) -> String {
    let start = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("no textarea {name}"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find("</textarea>").unwrap();
    rest[open..open + close].to_string()
}

/// Files a ticket through the office's entry: its id.
async fn enter(app: &TestApp, office: &reqwest::Client, category: &str, text: &str) -> i64 {
    let res = office
        .post(app.url("/complaints"))
        .form(&[
            ("channel", "12345"),
            ("text", text),
            ("category", category),
            ("contact_name", "张三"),
            ("contact_phone", "13812345678"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "{}", body(res).await);
    location_id(&res, "/complaints/")
}

fn location_id(res: &reqwest::Response, prefix: &str) -> i64 {
    let to = res.headers()["location"].to_str().unwrap();
    to.trim_start_matches(prefix)
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("no id in {to}"))
}

async fn ticket_unit(app: &TestApp, id: i64) -> Option<i64> {
    sqlx::query_scalar::<_, Option<i64>>("SELECT unit_id FROM complaint_tickets WHERE id = $1")
        .bind(id)
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_office_edits_the_catalogue_and_new_tickets_follow_it() {
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(
        office
            .get(app.url("/complaints/catalogue"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cell(&page, "category-food", "sign"), "1");
    assert_eq!(cell(&page, "category-food", "close"), "10");
    assert!(page.contains("id=\"catalogue-form\""));
    let categories = textarea(&page, "categories");
    assert!(
        categories.contains("food,食品安全,Food safety,1,3,10"),
        "{categories}"
    );
    assert!(textarea(&page, "routes").contains("food,,SYFJ"));

    // Before: food goes to 食药.
    let before = enter(&app, &office, "food", "饭店后厨卫生差").await;
    assert_eq!(
        ticket_unit(&app, before).await,
        Some(unit_id(&app, "SYFJ").await)
    );

    // Refused with the domain's reason and the line; what was typed stays.
    let typed = format!("{DEFAULT_ROUTES}nosuch,,NW\n");
    let res = office
        .post(app.url("/complaints/catalogue"))
        .form(&[
            ("categories", categories.as_str()),
            ("routes", typed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    assert!(
        refused.contains(&format!(
            "第 {} 行：派单目录中没有这个类别。",
            DEFAULT_ROUTES.lines().count() + 1
        )),
        "{}",
        inner(&refused, "form-error")
    );
    assert!(textarea(&refused, "routes").contains("nosuch,,NW"));
    // A unit the district does not have.
    let typed = DEFAULT_ROUTES.replace("food,,SYFJ", "food,,NOSUCHUNIT");
    let res = office
        .post(app.url("/complaints/catalogue"))
        .form(&[
            ("categories", categories.as_str()),
            ("routes", typed.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    assert!(refused.contains("本区没有这个承办单位"), "{refused}");
    assert!(textarea(&refused, "routes").contains("NOSUCHUNIT"));
    // A catalogue without categories.
    let res = office
        .post(app.url("/complaints/catalogue"))
        .form(&[("categories", ""), ("routes", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        inner(&body(res).await, "form-error"),
        "派单目录至少要有一个投诉类别。"
    );
    // Bad limits in the categories: sign after reply.
    let bad = categories.replace(
        "food,食品安全,Food safety,1,3,10",
        "food,食品安全,Food safety,5,3,10",
    );
    let res = office
        .post(app.url("/complaints/catalogue"))
        .form(&[("categories", bad.as_str()), ("routes", DEFAULT_ROUTES)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    assert!(
        inner(&refused, "form-error").ends_with("签收 ≤ 答复 ≤ 办结。"),
        "{}",
        inner(&refused, "form-error")
    );
    assert!(textarea(&refused, "categories").contains("Food safety,5,3,10"));

    // Saved: food now goes to 农委, with a longer close limit.
    let routes = DEFAULT_ROUTES.replace("food,,SYFJ", "food,,NW");
    let cats = categories.replace(
        "food,食品安全,Food safety,1,3,10",
        "food,食品安全,Food safety,1,3,12",
    );
    let res = office
        .post(app.url("/complaints/catalogue"))
        .form(&[("categories", cats.as_str()), ("routes", routes.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/complaints/catalogue?saved=1");
    let page = body(
        office
            .get(app.url("/complaints/catalogue?saved=1"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"saved\""));
    assert_eq!(cell(&page, "category-food", "close"), "12");
    let after = enter(&app, &office, "food", "饭店餐具不洁").await;
    assert_eq!(
        ticket_unit(&app, after).await,
        Some(unit_id(&app, "NW").await)
    );
    let ticket = body(
        office
            .get(app.url(&format!("/complaints/{after}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(by_id(&ticket, "ticket-unit"), "区农委");
    // The earlier ticket keeps its unit.
    assert_eq!(
        ticket_unit(&app, before).await,
        Some(unit_id(&app, "SYFJ").await)
    );

    // A unit reads it and cannot change it; an evaluator does not read it.
    let unit = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let res = unit
        .get(app.url("/complaints/catalogue"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let read = body(res).await;
    assert!(read.contains("id=\"routes\"") && !read.contains("id=\"catalogue-form\""));
    let res = unit
        .post(app.url("/complaints/catalogue"))
        .form(&[("categories", cats.as_str()), ("routes", DEFAULT_ROUTES)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let evaluator = app.user("npc", Role::Evaluator, None).await;
    let res = evaluator
        .get(app.url("/complaints/catalogue"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let after_unit = enter(&app, &office, "food", "饭店地面油污").await;
    assert_eq!(
        ticket_unit(&app, after_unit).await,
        Some(unit_id(&app, "NW").await),
        "the unit's attempt changed nothing"
    );
}

#[tokio::test]
async fn the_office_edits_the_calendar_and_deadlines_move() {
    // Monday 2026-03-02: a food ticket must be signed by the next working day.
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let id = enter(&app, &office, "food", "饭店后厨卫生差").await;
    let ticket = |c: reqwest::Client| {
        let url = app.url(&format!("/complaints/{id}"));
        async move { body(c.get(url).send().await.unwrap()).await }
    };
    let page = ticket(office.clone()).await;
    assert!(page.contains("期限 · 2026-03-03"), "{page}");

    let page = body(
        office
            .get(app.url("/complaints/calendar?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains("id=\"not-loaded\""));
    let official = textarea(&page, "days");
    assert!(official.contains("2026-02-15,holiday"), "{official}");
    // The next holidays from 03-02: 清明 first.
    assert!(inner(&page, "upcoming").starts_with("2026-04-04"), "{page}");
    // Another year is not loaded: warned.
    let page = body(
        office
            .get(app.url("/complaints/calendar?year=2027"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"not-loaded\""));

    // Refused with the line; the text stays as typed.
    let typed = format!("{official}\n2026-03-32,holiday\n");
    let res = office
        .post(app.url("/complaints/calendar"))
        .form(&[("year", "2026"), ("days", typed.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    let line = typed.lines().count();
    assert!(
        refused.contains(&format!("第 {line} 行：日历中有无效日期")),
        "{}",
        inner(&refused, "form-error")
    );
    assert!(textarea(&refused, "days").contains("2026-03-32,holiday"));

    // A unit reads it but cannot change it.
    let unit = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let read = body(
        unit.get(app.url("/complaints/calendar"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(read.contains("id=\"calendar-text\"") && !read.contains("id=\"calendar-form\""));
    let moved = format!("{official}\n2026-03-03,holiday\n");
    let res = unit
        .post(app.url("/complaints/calendar"))
        .form(&[("year", "2026"), ("days", moved.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(ticket(office.clone()).await.contains("期限 · 2026-03-03"));

    // The office makes 03-03 a holiday: the deadline moves to 03-04.
    let res = office
        .post(app.url("/complaints/calendar"))
        .form(&[("year", "2026"), ("days", moved.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/complaints/calendar?year=2026&saved=1"
    );
    let page = ticket(office.clone()).await;
    assert!(page.contains("期限 · 2026-03-04"), "{page}");
    assert!(!page.contains("期限 · 2026-03-03"));
    let page = body(
        office
            .get(app.url("/complaints/calendar?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(by_id(&page, "source"), "本年度使用强区办保存的安排。");
    assert!(inner(&page, "upcoming").starts_with("2026-03-03"));

    // Another district's office keeps its own calendar: Huiji's holiday is not Jinshui's.
    plan::add_district(
        &app.store,
        &Actor::system("t"),
        &jinshui(),
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
    )
    .await
    .unwrap();
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let theirs = body(
        js.get(app.url("/complaints/calendar?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!textarea(&theirs, "days").contains("2026-03-03,holiday"));
    let res = js
        .post(app.url("/complaints/calendar"))
        .form(&[("year", "2026"), ("days", "2026-03-04,holiday")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let ours = body(
        office
            .get(app.url("/complaints/calendar?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(textarea(&ours, "days").contains("2026-03-03,holiday"));
    assert!(!textarea(&ours, "days").contains("2026-03-04,holiday"));
    assert!(ticket(office).await.contains("期限 · 2026-03-04"));
}

/// The public filing form of supervisors, posted.
async fn supervisor_files(app: &TestApp, number: &str, code: &str, text: &str) -> (u16, String) {
    let res = app
        .client()
        .post(app.url("/complaint/supervisor"))
        .form(&[
            // Once there are several districts the supervisor names theirs.
            ("district", "HUIJI"),
            ("supervisor", number),
            ("code", code),
            ("text", text),
            ("category", "metering"),
            ("enterprise_name", "惠济农贸市场"),
        ])
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, body(res).await)
}

#[tokio::test]
async fn supervisors_are_appointed_file_reports_and_are_relieved() {
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(
        office
            .get(app.url("/complaints/supervisors"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"supervisors-empty\"") && page.contains("id=\"appoint-form\""));

    // A term over five years is refused with the reason; what was typed stays.
    let appoint = |ends: &'static str| {
        office
            .post(app.url("/complaints/supervisors"))
            .form(&[
                ("name", "李四"),
                ("phone", "13900001234"),
                ("area", "长兴路街道"),
                ("appointed", "2026-01-01"),
                ("term_ends", ends),
            ])
            .send()
    };
    let res = appoint("2032-01-01").await.unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    assert!(refused.contains("聘期最长 5 年"), "{refused}");
    assert!(refused.contains("value=\"李四\"") && refused.contains("value=\"长兴路街道\""));

    // Appointed: the filing code is shown once.
    let res = appoint("2028-12-31").await.unwrap();
    assert_eq!(res.status(), 200);
    let page = body(res).await;
    let number = by_id(&page, "supervisor-number");
    let code = by_id(&page, "supervisor-code");
    assert_eq!(code.len(), 8);
    assert_eq!(
        cell(&page, &format!("supervisor-{number}"), "phone"),
        "13900001234"
    );
    let page = body(
        office
            .get(app.url("/complaints/supervisors"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains(&code), "the code is not shown again");
    let row = format!("supervisor-{number}");
    assert_eq!(cell(&page, &row, "reports"), "0");
    assert_eq!(cell(&page, &row, "standing"), "在聘");

    // The supervisor files: a wrong code is refused without saying which part was wrong.
    let (status, refused) =
        supervisor_files(&app, &number, "WRONG234", "菜市场电子秤缺斤少两").await;
    assert_eq!(status, 403);
    assert!(refused.contains("监督员编号或报送码不正确"));
    assert!(refused.contains("菜市场电子秤缺斤少两"), "the text stays");
    assert!(!refused.contains("WRONG234"), "the code is not echoed");
    let (status, receipt) =
        supervisor_files(&app, &number, &code.to_lowercase(), "菜市场电子秤缺斤少两").await;
    assert_eq!(status, 200, "{receipt}");
    let ticket_number = by_id(&receipt, "ticket-number");
    let channel: (String, Option<i64>) =
        sqlx::query_as("SELECT channel, supervisor_id FROM complaint_tickets WHERE number = $1")
            .bind(&ticket_number)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(channel.0, "supervisor");
    assert_eq!(channel.1.map(|i| i.to_string()), Some(number.clone()));

    // The office records a report brought by phone.
    let form = body(
        office
            .get(app.url(&format!("/complaints/supervisors/{number}/report")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(form.contains("代 李四 登记线索"), "{form}");
    let res = office
        .post(app.url(&format!("/complaints/supervisors/{number}/report")))
        .form(&[("text", "超市过期食品仍在销售"), ("area", "长兴路街道")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(
        office
            .get(app.url("/complaints/supervisors"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cell(&page, &row, "reports"), "2");

    // A unit reads the register with the contact masked, and cannot appoint or relieve.
    let unit = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let read = body(
        unit.get(app.url("/complaints/supervisors"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cell(&read, &row, "phone"), "139****1234");
    assert!(!read.contains("id=\"appoint-form\""));
    let res = unit
        .post(app.url(&format!("/complaints/supervisors/{number}/revoke")))
        .form(&[("on", "2026-03-02"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Another district's office neither sees nor relieves Huiji's supervisor.
    plan::add_district(
        &app.store,
        &Actor::system("t"),
        &jinshui(),
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
    )
    .await
    .unwrap();
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let theirs = body(
        js.get(app.url("/complaints/supervisors"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!theirs.contains("李四"));
    for path in ["revoke", "code"] {
        let res = js
            .post(app.url(&format!("/complaints/supervisors/{number}/{path}")))
            .form(&[("on", "2026-03-02"), ("confirm", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = js
        .get(app.url(&format!("/complaints/supervisors/{number}/report")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Relieving asks first; nothing changes until confirmed.
    let res = office
        .post(app.url(&format!("/complaints/supervisors/{number}/revoke")))
        .form(&[("on", "2026-03-02")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let ask = body(res).await;
    assert!(
        ask.contains("id=\"register-confirm\"") && ask.contains("不能撤销"),
        "{ask}"
    );
    let (status, _) = supervisor_files(&app, &number, &code, "市场秤不准").await;
    assert_eq!(status, 200, "still in office until confirmed");
    let res = office
        .post(app.url(&format!("/complaints/supervisors/{number}/revoke")))
        .form(&[("on", "2026-03-02"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(
        office
            .get(app.url("/complaints/supervisors"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cell(&page, &row, "standing"), "2026-03-02 起解聘");
    assert_eq!(cell(&page, &row, "reports"), "3");
    let (status, refused) = supervisor_files(&app, &number, &code, "市场秤又不准").await;
    assert_eq!(status, 422);
    assert!(refused.contains("该质量监督员已被解聘"), "{refused}");
    assert!(refused.contains("市场秤又不准"));
}

#[tokio::test]
async fn disputes_are_filed_and_move_through_their_steps() {
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let form = body(
        office
            .get(app.url("/complaints/disputes/new"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(form.contains("value=\"2026-03-02\""));

    // Refused: no applicant; the subject stays as typed.
    let res = office
        .post(app.url("/complaints/disputes"))
        .form(&[
            ("kind", "arbitration"),
            ("subject", "空调制冷效果不达标"),
            ("applicant", " "),
            ("respondent", "某家电商场"),
            ("filed_on", "2026-03-02"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    assert!(refused.contains("此项为必填"));
    assert!(refused.contains("空调制冷效果不达标"));

    let res = office
        .post(app.url("/complaints/disputes"))
        .form(&[
            ("kind", "arbitration"),
            ("subject", "空调制冷效果不达标"),
            ("applicant", "王五"),
            ("respondent", "某家电商场"),
            ("filed_on", "2026-03-02"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let id = location_id(&res, "/complaints/disputes/");
    let url = app.url(&format!("/complaints/disputes/{id}"));
    let act_url = app.url(&format!("/complaints/disputes/{id}/act"));
    let page = body(office.get(&url).send().await.unwrap()).await;
    // Five working days from Monday 03-02: Monday 03-09.
    assert_eq!(by_id(&page, "accept-deadline"), "待办，期限 · 2026-03-09");
    assert!(page.contains("data-kind=\"accept\"") && page.contains("data-kind=\"decline\""));
    assert!(!page.contains("data-kind=\"conclude\""));

    let act = |fields: Vec<(&'static str, String)>| office.post(&act_url).form(&fields).send();
    let res = act(vec![("kind", "accept".into()), ("row_version", "0".into())])
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The examining body is required: refused with the domain's reason.
    let res = act(vec![
        ("kind", "examine".into()),
        ("row_version", "1".into()),
        ("text", " ".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("请填写检验或鉴定机构"));
    let res = act(vec![
        ("kind", "examine".into()),
        ("row_version", "1".into()),
        ("text", "郑州市质量技术监督检验测试中心".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303);
    // A malformed amount is refused and kept.
    let res = act(vec![
        ("kind", "conclude".into()),
        ("row_version", "2".into()),
        ("text", "制冷量低于标称值".into()),
        ("compensation", "一千元".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let refused = body(res).await;
    assert!(refused.contains("赔偿金额应为元"));
    assert!(refused.contains("value=\"一千元\"") && refused.contains("制冷量低于标称值"));
    // The conclusion asks first.
    let conclude = vec![
        ("kind", "conclude".into()),
        ("row_version", "2".into()),
        ("text", "制冷量低于标称值".into()),
        ("compensation", "1,280.50".into()),
    ];
    let res = act(conclude.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    let ask = body(res).await;
    assert!(
        ask.contains("id=\"register-confirm\"") && ask.contains("¥1,280.50"),
        "{ask}"
    );
    let page = body(office.get(&url).send().await.unwrap()).await;
    assert_eq!(
        inner(&page, "dispute-status"),
        "检验鉴定中",
        "nothing concluded before the confirmation"
    );
    let mut confirmed = conclude.clone();
    confirmed.push(("confirm", "1".into()));
    let res = act(confirmed).await.unwrap();
    assert_eq!(res.status(), 303);
    let page = body(office.get(&url).send().await.unwrap()).await;
    assert_eq!(inner(&page, "dispute-status"), "已出具结论");
    assert_eq!(by_id(&page, "dispute-compensation"), "¥1,280.50");
    assert!(by_id(&page, "conclude-deadline").starts_with("按时完成 · 2026-03-02"));
    let steps = page.split("id=\"steps\"").nth(1).unwrap();
    assert_eq!(
        steps.matches("<tr>").count(),
        5,
        "filed, accepted, examining, concluded (+ header)"
    );
    // A step on what the office saw before is refused: the case changed.
    let res = act(vec![
        ("kind", "close".into()),
        ("row_version", "0".into()),
        ("confirm", "1".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 409);
    assert!(body(res).await.contains("案件刚被他人处理过"));

    // A unit reads the list with the applicant masked, and cannot act.
    let unit = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let list = body(
        unit.get(app.url("/complaints/disputes"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(cell(&list, &format!("dispute-{id}"), "applicant"), "王*");
    assert_eq!(
        cell(&list, &format!("dispute-{id}"), "status"),
        "已出具结论"
    );
    let res = unit
        .post(&act_url)
        .form(&[("kind", "close"), ("row_version", "3"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);

    // Another district's office neither reads nor moves the case.
    plan::add_district(
        &app.store,
        &Actor::system("t"),
        &jinshui(),
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap(),
    )
    .await
    .unwrap();
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let theirs = body(
        js.get(app.url("/complaints/disputes"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(theirs.contains("id=\"disputes-empty\""));
    assert_eq!(js.get(&url).send().await.unwrap().status(), 404);
    let res = js
        .post(&act_url)
        .form(&[("kind", "close"), ("row_version", "3"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = act(vec![
        ("kind", "close".into()),
        ("row_version", "3".into()),
        ("confirm", "1".into()),
    ])
    .await
    .unwrap();
    assert_eq!(res.status(), 303, "still at version 3: nothing moved it");
    let page = body(office.get(&url).send().await.unwrap()).await;
    assert_eq!(inner(&page, "dispute-status"), "已结案");
    assert!(
        !page.contains("id=\"actions\""),
        "a closed case offers no steps"
    );
}

#[tokio::test]
async fn the_complaints_pages_link_to_the_registers() {
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(office.get(app.url("/complaints")).send().await.unwrap()).await;
    for path in [
        "/complaints/catalogue",
        "/complaints/calendar",
        "/complaints/supervisors",
        "/complaints/disputes",
    ] {
        assert!(page.contains(&format!("href=\"{path}\"")), "{path}");
        let res = office.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    // The supervisors' filing page is public.
    let res = app
        .client()
        .get(app.url("/complaint/supervisor"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("name=\"code\""));
}
