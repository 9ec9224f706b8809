//! The complaint pages (issue 18): the public form and status page, the units' and office's
//! queues and ticket page through every step while the business date crosses the Spring
//! Festival break, send-back and re-dispatch, merging, masked contacts, and the figures.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_web::Config;
use reqwest::multipart::{Form, Part};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x00IEND\xaeB`\x82";

/// Settings with a fixed business date (shared by the complaint tests).
pub(crate) fn on(d: &str) -> Config {
    Config {
        today: Some(NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()),
        ..Config::default()
    }
}

/// The text of the element with this id (`id="x" …>text<`).
pub(crate) fn by_id(html: &str, id: &str) -> String {
    let start = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let rest = &html[start..];
    let open = rest.find('>').unwrap() + 1;
    let close = rest[open..].find('<').unwrap();
    rest[open..open + close].trim().to_string()
}

fn complaint_form(text: &str) -> Form {
    Form::new()
        .text("text", text.to_string())
        .text("contact_name", "张三")
        .text("contact_phone", "13812345678")
        .text("address", "惠济区长兴路 8 号")
}

fn photo(bytes: &'static [u8], name: &str) -> Part {
    Part::bytes(bytes).file_name(name.to_string())
}

async fn tickets(app: &TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM complaint_tickets")
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

async fn ticket_id(app: &TestApp, number: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT id FROM complaint_tickets WHERE number = $1")
        .bind(number)
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

/// Files a complaint through the public form: (number, code).
async fn file(app: &TestApp, form: Form) -> (String, String) {
    let res = app
        .client()
        .post(app.url("/complaint"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = body(res).await;
    (by_id(&html, "ticket-number"), by_id(&html, "ticket-code"))
}

#[tokio::test]
async fn a_citizen_files_and_a_unit_handles_it_across_the_spring_festival() {
    // 2026-02-14 is a Saturday worked in exchange for the Spring Festival break (15–23).
    let app = TestApp::with_plan_and(on("2026-02-14")).await;
    let public = app.client();
    let page = body(public.get(app.url("/complaint")).send().await.unwrap()).await;
    assert!(
        page.contains("name=\"website\""),
        "the honeypot is on the form"
    );
    assert!(page.contains("accept=\"image/*\""));

    let form = complaint_form("小区电梯经常困人，物业不管，电梯维保公司也不来修")
        .part("photos", photo(PNG, "电梯.png"));
    let (number, code) = file(&app, form).await;
    assert_eq!(number, "2026-000001");
    assert_eq!(code.len(), 8);
    let id = ticket_id(&app, &number).await;

    // The citizen follows it: no personal data, the expected date on working days.
    let status_url = app.url(&format!("/complaint/status?number={number}&code={code}"));
    let status = body(public.get(&status_url).send().await.unwrap()).await;
    assert_eq!(by_id(&status, "status-now"), "");
    assert!(status.contains("<strong>已派单</strong>"), "{status}");
    assert!(!status.contains("张三") && !status.contains("13812345678"));
    // Close within 10 working days of 02-14: 24, 25, 26, 27, 28 (Sat, worked), 3-2 … 3-6.
    assert_eq!(by_id(&status, "expected"), "2026-03-06");
    let wrong = public
        .get(app.url(&format!("/complaint/status?number={number}&code=WRONG123")))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 404);
    assert!(body(wrong).await.contains("没有找到该工单"));

    // Routed to 质监 by the classifier and the catalogue; 农委 does not see it.
    let zj = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let queue = body(zj.get(app.url("/complaints")).send().await.unwrap()).await;
    assert!(queue.contains(&number), "{queue}");
    let theirs = body(nw.get(app.url("/complaints")).send().await.unwrap()).await;
    assert!(!theirs.contains(&number));
    let refused = nw
        .get(app.url(&format!("/complaints/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);

    // The unit reads the contact masked, then unmasked on purpose, and that view is audited.
    let detail = body(
        zj.get(app.url(&format!("/complaints/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(detail.contains("138****5678"), "{detail}");
    assert!(!detail.contains("13812345678"));
    assert!(
        detail.contains("/complaints/photos/"),
        "the photo is listed"
    );
    assert!(detail.contains("data-kind=\"sign\""));
    let plain = zj
        .post(app.url(&format!("/complaints/{id}/contact")))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), 200);
    assert!(body(plain).await.contains("13812345678"));
    let views: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'complaint.contact_view'",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(views, 1);

    // After the break: signing on Tuesday 02-24 is on time (one working day after 02-14).
    let later = app.sibling(on("2026-02-24")).await;
    let act = |c: &reqwest::Client, fields: Vec<(&'static str, &'static str)>| {
        let req = c
            .post(later.url(&format!("/complaints/{id}/act")))
            .form(&fields);
        async move { req.send().await.unwrap() }
    };
    assert_eq!(act(&zj, vec![("kind", "sign")]).await.status(), 303);
    let detail = body(
        zj.get(later.url(&format!("/complaints/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(detail.contains("按时完成 · 2026-02-24"), "{detail}");
    assert_eq!(act(&zj, vec![("kind", "handle")]).await.status(), 303);
    // A reply without a finding is refused with the reason, and nothing moves.
    let bad = act(&zj, vec![("kind", "reply")]).await;
    assert_eq!(bad.status(), 422);
    assert!(body(bad).await.contains("请选择核查结果"));
    assert_eq!(
        act(&zj, vec![("kind", "reply"), ("finding", "substantiated")])
            .await
            .status(),
        303
    );
    let office = app.login("admin", ADMIN_PASSWORD).await;
    assert_eq!(
        act(
            &office,
            vec![("kind", "visit"), ("satisfaction", "satisfied")]
        )
        .await
        .status(),
        303
    );
    assert_eq!(act(&office, vec![("kind", "close")]).await.status(), 303);
    let detail = body(
        office
            .get(later.url(&format!("/complaints/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(detail.contains("<strong>已办结</strong>"));
    for step in ["签收", "办理", "答复", "回访", "办结", "属实", "满意"] {
        assert!(detail.contains(step), "history shows {step}");
    }
    // The citizen sees it closed, with the finding, and can no longer add to it.
    let status = body(public.get(&status_url).send().await.unwrap()).await;
    assert!(status.contains("<strong>已办结</strong>"));
    assert!(status.contains("属实"));
    assert!(!status.contains("id=\"add-info\""));
}

#[tokio::test]
async fn a_send_back_a_redispatch_and_a_merge_show_in_the_history_and_the_figures() {
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let zj = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;

    // A hotline operator records a call; the code for the caller is shown once.
    let text = "商场买的电饭煲质量有问题，插上电就跳闸，商家不给退";
    let entry = [
        ("channel", "12345"),
        ("text", text),
        ("category", "product"),
        ("enterprise_name", "惠济某商场"),
        ("contact_phone", "13900001111"),
    ];
    let res = office
        .post(app.url("/complaints"))
        .form(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let first = body(office.get(app.url(&to)).send().await.unwrap()).await;
    assert!(first.contains("id=\"new-code\""), "{first}");
    let id1 = ticket_id(&app, "2026-000001").await;

    // 质监 sends it back; it waits for the office, which re-dispatches it to 农委.
    let res = zj
        .post(app.url(&format!("/complaints/{id1}/act")))
        .form(&[
            ("kind", "send_back"),
            ("reason", "属商场退货纠纷，不属本单位职责"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let waiting = body(
        office
            .get(app.url("/complaints?queue=sent_back"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(waiting.contains("2026-000001"));
    let res = office
        .post(app.url(&format!("/complaints/{id1}/act")))
        .form(&[("kind", "redispatch"), ("unit", "NW")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let theirs = body(nw.get(app.url("/complaints")).send().await.unwrap()).await;
    assert!(theirs.contains("2026-000001"));
    let mine_open = body(zj.get(app.url("/complaints")).send().await.unwrap()).await;
    assert!(
        !mine_open.contains("2026-000001"),
        "no longer in 质监's open queue"
    );
    // Units see only what is routed to them: once re-dispatched, it is 农委's alone.
    let gone = zj
        .get(app.url(&format!("/complaints/{id1}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    // The same complaint again: the office is offered the first one and merges.
    let res = office
        .post(app.url("/complaints"))
        .form(&entry)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let id2 = ticket_id(&app, "2026-000002").await;
    let second = body(
        office
            .get(app.url(&format!("/complaints/{id2}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(second.contains("id=\"merge-suggestions\""), "{second}");
    assert!(second.contains("同一企业、同一类别"));
    let res = office
        .post(app.url(&format!("/complaints/{id2}/act")))
        .form(&[("kind", "merge"), ("into", &id1.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let second = body(
        office
            .get(app.url(&format!("/complaints/{id2}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(second.contains("<strong>已并单</strong>"));
    assert!(second.contains(&format!("/complaints/{id1}")));
    let first = body(
        office
            .get(app.url(&format!("/complaints/{id1}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(first.contains("退单") && first.contains("属商场退货纠纷"));
    assert!(first.contains("改派"));

    // A step the ticket does not allow is refused with the reason.
    let res = nw
        .post(app.url(&format!("/complaints/{id1}/act")))
        .form(&[("kind", "close")])
        .send()
        .await
        .unwrap();
    assert!(
        res.status() == 409 || res.status() == 422,
        "{}",
        res.status()
    );

    // The figures: two received, one a repeat (50 %), the same in the workbook.
    let figures = body(
        office
            .get(app.url("/complaints/figures?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        figures.contains("<th scope=\"row\">受理量</th><td>2</td>"),
        "{figures}"
    );
    assert!(figures.contains("<th scope=\"row\">重复投诉率</th><td>50.0%</td>"));
    let xlsx = office
        .get(app.url("/complaints/figures.xlsx?year=2026"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), 200);
    let bytes = xlsx.bytes().await.unwrap();
    let rows = qcity_exchange::assessment::first_sheet_text(&bytes).expect("a workbook");
    let row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "受理量"))
        .expect("the summary names 受理量");
    assert_eq!(row[1], "2");

    // The rate feeds 8.6.1 and 8.6.2: refused without a population, then 2 ÷ 200,000 × 10,000
    // = 0.10 per 10,000, submitted for review with the counts in its comment.
    let report = || {
        let req = office
            .post(app.url("/complaints/figures/indicator"))
            .form(&[("year", "2026")]);
        async move { req.send().await.unwrap() }
    };
    let res = report().await;
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("请先填写本年度常住人口"));
    let res = office
        .post(app.url("/complaints/figures/population"))
        .form(&[("year", "2026"), ("residents", "200,000")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let figures = body(
        office
            .get(app.url("/complaints/figures?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        figures.contains("<th scope=\"row\">每万人投诉量（件）</th><td>0.10</td>"),
        "{figures}"
    );
    let res = report().await;
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    let done = body(office.get(app.url(&to)).send().await.unwrap()).await;
    assert!(done.contains("id=\"ind-reported\""));
    let values: Vec<(String, f64, String)> = sqlx::query_as(
        "SELECT indicator, value, status FROM indicator_values WHERE measure = 'complaints' AND year = 2026 ORDER BY indicator",
    )
    .fetch_all(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(values.len(), 2, "{values:?}");
    assert_eq!(values[0].0, "8.6.1");
    assert_eq!(values[1].0, "8.6.2");
    assert!(
        values
            .iter()
            .all(|v| (v.1 - 0.10).abs() < 1e-9 && v.2 == "submitted")
    );
}

#[tokio::test]
async fn bad_input_on_the_public_form_is_refused_and_nothing_is_saved() {
    let app = TestApp::with_plan_and(Config {
        public_posts_per_minute: 12,
        ..on("2026-03-02")
    })
    .await;
    let c = app.client();
    let post = |form: Form| {
        let req = c.post(app.url("/complaint")).multipart(form);
        async move { req.send().await.unwrap() }
    };
    // Not an image: refused with the reason, what was typed comes back.
    let res =
        post(complaint_form("电梯困人").part("photos", photo(b"MZ\x90\x00not an image", "x.png")))
            .await;
    assert_eq!(res.status(), 422);
    let html = body(res).await;
    assert!(html.contains("只能上传图片"), "{html}");
    assert!(html.contains("电梯困人"), "the text typed is kept");
    // The honeypot, no text, a latitude off the globe, a latitude that is no number.
    assert_eq!(
        post(complaint_form("电梯困人").text("website", "http://spam.example"))
            .await
            .status(),
        422
    );
    let res = post(complaint_form("   ")).await;
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("请填写投诉内容"));
    for lat in ["91", "北纬34度"] {
        let res = post(
            complaint_form("电梯困人")
                .text("lat", lat)
                .text("lon", "113.6"),
        )
        .await;
        assert_eq!(res.status(), 422, "latitude {lat}");
        assert!(body(res).await.contains("经纬度"));
    }
    assert_eq!(tickets(&app).await, 0, "nothing was half-saved");

    // One that is fine, then an addition: refused with a wrong code, kept with the right one,
    // and the unit handling it is told.
    let (number, code) = file(&app, complaint_form("小区电梯经常困人，维保公司不来修")).await;
    let add = |code: String, text: &'static str| {
        let req = c.post(app.url("/complaint/status")).form(&[
            ("number", number.clone()),
            ("code", code),
            ("text", text.into()),
        ]);
        async move { req.send().await.unwrap() }
    };
    let res = add("WRONG123".into(), "昨天又困人了").await;
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("没有找到该工单"));
    let res = add(code.clone(), "昨天又困人了，困了半小时").await;
    assert_eq!(res.status(), 303);
    let status = body(
        c.get(app.url(&format!(
            "/complaint/status?number={number}&code={code}&added=1"
        )))
        .send()
        .await
        .unwrap(),
    )
    .await;
    assert!(status.contains("id=\"added\""));
    assert!(status.contains("补充信息"));
    let told: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE kind = 'complaint' AND title LIKE '%补充%'",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);

    // Past the per-address limit, the form answers 429.
    let mut last = 0;
    for _ in 0..10 {
        last = post(complaint_form("电梯困人")).await.status().as_u16();
    }
    assert_eq!(last, 429);
}

#[tokio::test]
async fn an_unsigned_ticket_climbs_the_warning_ladder_once_per_step_in_working_days() {
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let res = office
        .post(app.url("/complaints"))
        .form(&[
            ("channel", "12345"),
            ("text", "小区电梯困人"),
            ("category", "special_equipment"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    let levels = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT level FROM notices WHERE kind = 'complaint' AND dedupe_key LIKE 'complaint-warning:%' ORDER BY id",
        )
        .fetch_all(&app.store.pool)
        .await
        .unwrap()
    };
    let send = |d: &str| qcity_store::complaints::send_warnings(&app.store, day(d));
    // Dispatched Monday 03-02, to be signed by Tuesday: a reminder, once however often run.
    assert_eq!(send("2026-03-02").await.unwrap(), 1);
    assert_eq!(send("2026-03-02").await.unwrap(), 0);
    // One working day late: 催办 (blue); three: 督办 (yellow); five: 通报 (red). The weekend
    // of 03-07/08 does not count.
    assert_eq!(send("2026-03-04").await.unwrap(), 1);
    assert_eq!(send("2026-03-06").await.unwrap(), 1);
    assert_eq!(
        send("2026-03-09").await.unwrap(),
        0,
        "four working days: still yellow"
    );
    assert_eq!(send("2026-03-10").await.unwrap(), 1);
    assert_eq!(levels().await, ["info", "blue", "yellow", "red"]);
    // The unit reads them among its notices; supervision's escalation counts leave them out.
    let zj = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let notices = body(zj.get(app.url("/notices")).send().await.unwrap()).await;
    assert!(
        notices.contains("【通报】投诉工单 2026-000001 签收严重逾期"),
        "{notices}"
    );
    let counts = qcity_store::notices::counts_by_unit(
        &app.store,
        &qcity_store::Actor::system("t"),
        day("2026-03-01"),
        day("2026-03-31"),
    )
    .await
    .unwrap();
    assert!(!counts.contains_key("ZJFJ"), "{counts:?}");
}

/// The cells of the table row whose first cell is `name`.
fn row_of(page: &str, name: &str) -> Vec<String> {
    let start = page
        .find(&format!("<th scope=\"row\">{name}</th>"))
        .unwrap_or_else(|| panic!("no row {name} in {page}"));
    let row = &page[start..];
    let row = &row[..row.find("</tr>").unwrap()];
    row.split("<td>")
        .skip(1)
        .map(|c| c.split('<').next().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test]
async fn the_city_compares_its_districts_complaints_from_summed_counts() {
    use qcity_store::complaints::{self, NewTicket, registers};
    let app = TestApp::with_plan_and(on("2026-03-02")).await;
    let today = NaiveDate::from_ymd_opt(2026, 3, 2).unwrap();
    let home = qcity_store::Actor::system("t");
    qcity_store::plan::add_district(&app.store, &home, &crate::districts::jinshui(), today)
        .await
        .unwrap();
    let js = crate::districts::office_of(crate::districts::unit_id(&app, "JINSHUI").await);
    let call = |text: &str| NewTicket {
        channel: Some(qcity_domain::complaints::ticket::Channel::Hotline12345),
        text: text.into(),
        ..Default::default()
    };
    for (who, text) in [
        (&home, "小区电梯经常困人"),
        (&home, "超市卖的面包过期了"),
        (&js, "加油站加油机计量不准"),
    ] {
        complaints::intake(&app.store, who, &call(text), today)
            .await
            .unwrap();
    }
    registers::set_population(&app.store, &home, 2026, 200_000)
        .await
        .unwrap();
    registers::set_population(&app.store, &js, 2026, 150_000)
        .await
        .unwrap();

    crate::harness::create_user(
        &app.store,
        "city.office",
        Role::Office,
        Some("ZZ"),
        crate::harness::PASSWORD,
    )
    .await;
    let city = app.login("city.office", crate::harness::PASSWORD).await;
    let page = body(
        city.get(app.url("/complaints/districts?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let (huiji, jinshui, total) = (
        row_of(&page, "惠济区人民政府"),
        row_of(&page, "金水区人民政府"),
        row_of(&page, "合计"),
    );
    assert_eq!(
        (huiji[0].as_str(), jinshui[0].as_str(), total[0].as_str()),
        ("2", "1", "3")
    );
    // 1 ÷ 150,000 × 10,000 = 0.07; the city's 3 ÷ 350,000 × 10,000 = 0.09, not the mean 0.08.
    assert_eq!(huiji.last().unwrap(), "0.10");
    assert_eq!(jinshui.last().unwrap(), "0.07");
    assert_eq!(total.last().unwrap(), "0.09");
    assert_eq!(total[total.len() - 2], "350000");
    let xlsx = city
        .get(app.url("/complaints/districts.xlsx?year=2026"))
        .send()
        .await
        .unwrap();
    let rows = qcity_exchange::assessment::first_sheet_text(&xlsx.bytes().await.unwrap()).unwrap();
    let sheet_total = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "合计"))
        .unwrap();
    assert_eq!(sheet_total[1], "3");
    assert_eq!(sheet_total.last().unwrap(), "0.09");

    // Jinshui's office compares only itself; a unit is refused.
    crate::harness::create_user(
        &app.store,
        "js.office",
        Role::Office,
        Some("JINSHUI"),
        crate::harness::PASSWORD,
    )
    .await;
    let own = app.login("js.office", crate::harness::PASSWORD).await;
    let page = body(
        own.get(app.url("/complaints/districts?year=2026"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("金水区") && !page.contains("惠济区"));
    let unit = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let res = unit
        .get(app.url("/complaints/districts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
