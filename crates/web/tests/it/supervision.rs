//! 督查督办 end to end: the seed schedule walked day by day, reports with evidence, review,
//! extensions, and the wall between units.

use crate::harness::{ADMIN_PASSWORD, PASSWORD, TestApp, body, create_user};
use chrono::{Datelike, NaiveDate};
use qcity_domain::role::Role;
use qcity_store::notices::{self, Ladder};
use qcity_store::obligations::{self, EvidencePolicy, Filter, ReportInput};
use qcity_store::{Actor, Store};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

async fn unit_actor(store: &Store, username: &str) -> Actor {
    qcity_store::users::get(store, &Actor::system("t"), username)
        .await
        .unwrap()
        .actor("127.0.0.1", "t")
}

async fn obligation(store: &Store, content: &str, unit: &str) -> obligations::Obligation {
    let f = Filter {
        unit: Some(unit.into()),
        content_prefix: Some(content.into()),
        ..Default::default()
    };
    obligations::list(store, &Actor::system("t"), &f, d(2014, 3, 1))
        .await
        .unwrap()
        .into_iter()
        .find(|o| o.content_code == content)
        .unwrap()
}

fn report(body: &str, submit: bool, token: &str) -> ReportInput {
    ReportInput {
        body: body.into(),
        percent: 50,
        submit,
        form_token: token.into(),
        files: vec![],
    }
}

#[tokio::test]
async fn the_seed_schedule_walked_day_by_day_fires_each_notice_on_its_day() {
    let app = TestApp::with_plan().await;
    let store = &app.store;
    create_user(store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    create_user(store, "nw.staff", Role::Unit, Some("NW"), PASSWORD).await;
    let (zjfj, nw) = (
        unit_actor(store, "zjfj.staff").await,
        unit_actor(store, "nw.staff").await,
    );
    let office = Actor::system("office");
    // 1.1.1: 区强区办 leads, every member unit undertakes, due 2014-12-31.
    let late = obligation(store, "1.1.1", "ZJFJ").await;
    let punctual = obligation(store, "1.1.1", "NW").await;
    assert_eq!(late.due_date, "2014-12-31");
    // 2.3.1: 区质监分局 leads; it is returned once, then accepted.
    let led = obligation(store, "2.3.1", "ZJFJ").await;
    assert_eq!(led.duty, obligations::Duty::Lead);
    let policy = EvidencePolicy::default();

    let ladder = Ladder::default();
    let mut day = d(2014, 3, 1);
    let mut late_notices = Vec::new();
    while day <= d(2015, 6, 30) {
        match (day.month(), day.day(), day.year()) {
            (12, 15, 2014) => {
                obligations::report(
                    store,
                    &zjfj,
                    led.id,
                    report("已组织质量攻关经验交流会", true, "tok-led-1-xxxxxxxx"),
                    &policy,
                    day,
                )
                .await
                .unwrap();
            }
            (12, 16, 2014) => {
                let v = obligations::get(store, &office, led.id)
                    .await
                    .unwrap()
                    .row_version;
                obligations::review(store, &office, led.id, false, "缺少活动照片", v, day)
                    .await
                    .unwrap();
            }
            (12, 18, 2014) => {
                obligations::report(
                    store,
                    &zjfj,
                    led.id,
                    report("补充活动照片", true, "tok-led-2-xxxxxxxx"),
                    &policy,
                    day,
                )
                .await
                .unwrap();
            }
            (12, 19, 2014) => {
                let v = obligations::get(store, &office, led.id)
                    .await
                    .unwrap()
                    .row_version;
                obligations::review(store, &office, led.id, true, "", v, day)
                    .await
                    .unwrap();
            }
            (12, 20, 2014) => {
                obligations::report(
                    store,
                    &nw,
                    punctual.id,
                    report("已参与制定规划", true, "tok-nw-1-xxxxxxxxx"),
                    &policy,
                    day,
                )
                .await
                .unwrap();
            }
            _ => {}
        }
        notices::supervise(store, day, &ladder).await.unwrap();
        let mine: Vec<_> = notices::list(store, &zjfj, None)
            .await
            .unwrap()
            .into_iter()
            .filter(|n| n.obligation_id == Some(late.id) && n.issued_on == day.to_string())
            .collect();
        for n in mine {
            late_notices.push((n.issued_on.clone(), n.kind.clone(), n.level.clone()));
        }
        day = day.succ_opt().unwrap();
    }
    let expected: Vec<(String, String, String)> = [
        ("2014-12-24", "reminder", "info"),
        ("2014-12-28", "reminder", "info"),
        ("2014-12-30", "reminder", "info"),
        ("2015-01-01", "cuiban", "blue"),
        ("2015-01-07", "duban", "yellow"),
        ("2015-01-15", "tongbao", "red"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(late_notices, expected);
    // The unit that handed in on time got nothing about 1.1.1; the lead's history is complete.
    let nw_notices = notices::list(store, &nw, None).await.unwrap();
    // Taking note of a notice is recorded once; the unit cannot mark another's.
    if let Some(n) = notices::list(store, &zjfj, None).await.unwrap().first() {
        assert!(notices::mark_read(store, &nw, n.id).await.is_err());
        notices::mark_read(store, &zjfj, n.id).await.unwrap();
        notices::mark_read(store, &zjfj, n.id).await.unwrap();
        let filter = qcity_store::audit::Filter {
            action: Some("notice.read".into()),
            limit: 5,
            ..Default::default()
        };
        assert_eq!(
            qcity_store::audit::list(store, &office, &filter)
                .await
                .unwrap()
                .0
                .len(),
            1
        );
    }
    assert!(
        nw_notices
            .iter()
            .all(|n| n.obligation_id != Some(punctual.id)),
        "{nw_notices:?}"
    );
    let history: Vec<String> = obligations::history(store, &zjfj, led.id)
        .await
        .unwrap()
        .iter()
        .map(|e| format!("{} {}", e.on_date, e.action))
        .collect();
    assert_eq!(
        history,
        [
            "2014-12-15 submit",
            "2014-12-16 return",
            "2014-12-18 submit",
            "2014-12-19 accept"
        ]
    );
    let led_now = obligations::get(store, &zjfj, led.id).await.unwrap();
    assert_eq!(
        (led_now.status.as_str(), led_now.accepted_on.as_deref()),
        ("accepted", Some("2014-12-19"))
    );
    // Running the supervisor again on any day fires nothing new.
    let again = notices::supervise(store, d(2015, 1, 15), &ladder)
        .await
        .unwrap();
    assert_eq!(again, notices::Fired::default());
    // Each unit sees only its own notices.
    assert!(
        notices::list(store, &zjfj, None)
            .await
            .unwrap()
            .iter()
            .all(|n| n.unit_code == "ZJFJ")
    );
}

#[tokio::test]
async fn a_unit_reports_with_evidence_and_the_office_reviews_over_http() {
    let config = qcity_web::Config {
        today: Some(d(2014, 12, 20)),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let zjfj = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let ob = obligation(&app.store, "1.1.1", "NW").await;

    // The unit sees only its own obligations.
    let list = body(nw.get(app.url("/obligations")).send().await.unwrap()).await;
    assert!(list.contains(&format!("/obligations/{}", ob.id)));
    let theirs = obligation(&app.store, "1.1.1", "ZJFJ").await;
    assert!(!list.contains(&format!("/obligations/{}\"", theirs.id)));
    assert_eq!(
        zjfj.get(app.url(&format!("/obligations/{}", ob.id)))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    let page = body(
        nw.get(app.url(&format!("/obligations/{}", ob.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let token = page
        .split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let form = |token: &str, file: (&'static [u8], &'static str), submit: &'static str| {
        reqwest::multipart::Form::new()
            .text("form_token", token.to_string())
            .text("body", "已制定本单位落实方案")
            .text("percent", "60")
            .text("submit", submit)
            .part(
                "files",
                reqwest::multipart::Part::bytes(file.0).file_name(file.1),
            )
    };
    // A program disguised as a PDF is refused by its content, with nothing stored.
    let res = nw
        .post(app.url(&format!("/obligations/{}/reports", ob.id)))
        .multipart(form(
            "tok-bad-xxxxxxxxxxxx",
            (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "方案.pdf"),
            "0",
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("不接受程序"));
    assert!(
        obligations::reports(&app.store, &Actor::system("t"), ob.id)
            .await
            .unwrap()
            .is_empty()
    );
    // The same form posted twice makes one report.
    for _ in 0..2 {
        let res = nw
            .post(app.url(&format!("/obligations/{}/reports", ob.id)))
            .multipart(form(&token, (PDF, "落实方案.pdf"), "0"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
    }
    let reports = obligations::reports(&app.store, &Actor::system("t"), ob.id)
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].files[0].mime, "application/pdf");
    let file_url = app.url(&format!(
        "/reports/{}/files/{}",
        reports[0].id, reports[0].files[0].sha256
    ));
    // Evidence: the office downloads it; another unit cannot.
    let res = admin.get(&file_url).send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert_eq!(res.bytes().await.unwrap().as_ref(), PDF);
    assert_eq!(zjfj.get(&file_url).send().await.unwrap().status(), 404);
    // Hand in, then two reviewers act at once: one wins, the other is told.
    let res = nw
        .post(app.url(&format!("/obligations/{}/reports", ob.id)))
        .multipart(form("tok-final-xxxxxxxxxx", (PDF, "落实方案.pdf"), "1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let v = obligations::get(&app.store, &Actor::system("t"), ob.id)
        .await
        .unwrap()
        .row_version
        .to_string();
    let second = app.user("office2", Role::Office, None).await;
    let first = admin
        .post(app.url(&format!("/obligations/{}/review", ob.id)))
        .form(&[("decision", "accept"), ("row_version", v.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), 303);
    let late = second
        .post(app.url(&format!("/obligations/{}/review", ob.id)))
        .form(&[
            ("decision", "return"),
            ("reason", "x"),
            ("row_version", v.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 409);
    assert!(body(late).await.contains("刚被他人处理"));
    let now = obligations::get(&app.store, &Actor::system("t"), ob.id)
        .await
        .unwrap();
    assert_eq!(now.status, obligations::ObligationStatus::Accepted);
    // Leaders read but cannot review; a returned needs a reason.
    let leader = app.user("leader1", Role::Leader, None).await;
    assert_eq!(
        leader
            .get(app.url(&format!("/obligations/{}", ob.id)))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        leader
            .post(app.url(&format!("/obligations/{}/review", ob.id)))
            .form(&[("decision", "accept"), ("row_version", "0")])
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let overview = body(admin.get(app.url("/supervision")).send().await.unwrap()).await;
    assert!(
        overview.contains("单位 × 目标类别") && overview.contains("区农委"),
        "overview"
    );
}

#[tokio::test]
async fn an_approved_extension_moves_the_due_date_and_the_ladder() {
    let config = qcity_web::Config {
        today: Some(d(2014, 12, 20)),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    let zjfj = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let ob = obligation(&app.store, "1.1.1", "ZJFJ").await;
    let res = zjfj
        .post(app.url(&format!("/obligations/{}/extension", ob.id)))
        .form(&[("new_due", "2014-12-01"), ("reason", "等待市里文件")])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "a date before the current due date is refused"
    );
    let res = zjfj
        .post(app.url(&format!("/obligations/{}/extension", ob.id)))
        .form(&[("new_due", "2015-01-31"), ("reason", "等待市里文件")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let req = obligations::extensions(&app.store, &Actor::system("t"), Some(ob.id), true)
        .await
        .unwrap();
    let res = admin
        .post(app.url(&format!("/extensions/{}/decide", req[0].id)))
        .form(&[
            ("decision", "refuse"),
            ("obligation", ob.id.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422, "a refusal needs a reason");
    let res = admin
        .post(app.url(&format!("/extensions/{}/decide", req[0].id)))
        .form(&[
            ("decision", "approve"),
            ("reason", "同意"),
            ("obligation", ob.id.to_string().as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let now = obligations::get(&app.store, &Actor::system("t"), ob.id)
        .await
        .unwrap();
    assert_eq!(
        (now.due_date.as_str(), now.original_due.as_str()),
        ("2015-01-31", "2014-12-31")
    );
    assert!(!now.overdue(d(2015, 1, 5)));
    let fired = notices::supervise(&app.store, d(2015, 1, 5), &Ladder::default())
        .await
        .unwrap();
    let mine = notices::list(&app.store, &Actor::system("t"), None)
        .await
        .unwrap();
    // The unit is told of the decision; nothing escalates.
    assert!(
        mine.iter()
            .filter(|n| n.kind != "extension")
            .all(|n| n.obligation_id != Some(ob.id)),
        "no escalation for an extended obligation"
    );
    assert!(
        mine.iter()
            .any(|n| n.kind == "extension" && n.obligation_id == Some(ob.id))
    );
    assert!(fired.cuiban > 0, "others are escalated: {fired:?}");
    // A plan re-import keeps the extension (the plan's date is unchanged).
    let mut plan = qcity_domain::plan::default_plan();
    plan.categories[0].items[0].contents[0].text.push('。');
    qcity_store::plan::import(
        &app.store,
        &Actor::system("t"),
        &plan,
        "toml",
        "x.toml",
        chrono::Local::now().date_naive(),
    )
    .await
    .unwrap();
    assert_eq!(
        obligations::get(&app.store, &Actor::system("t"), ob.id)
            .await
            .unwrap()
            .due_date,
        "2015-01-31"
    );
}

#[tokio::test]
async fn a_bulletins_numbers_match_the_data_and_it_is_archived_for_leaders() {
    let config = qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    let store = &app.store;
    create_user(store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let zjfj = unit_actor(store, "zjfj.staff").await;
    let office = Actor::system("office");
    let policy = EvidencePolicy::default();
    // 区质监分局 hands in 2.3.1 on time (accepted) and 1.1.1 late; everything else stays open.
    let on_time = obligation(store, "2.3.1", "ZJFJ").await;
    obligations::report(
        store,
        &zjfj,
        on_time.id,
        report("已完成", true, "tok-b-1-xxxxxxxxxxx"),
        &policy,
        d(2014, 12, 30),
    )
    .await
    .unwrap();
    let v = obligations::get(store, &office, on_time.id)
        .await
        .unwrap()
        .row_version;
    obligations::review(store, &office, on_time.id, true, "", v, d(2015, 1, 5))
        .await
        .unwrap();
    let late = obligation(store, "1.1.1", "ZJFJ").await;
    obligations::report(
        store,
        &zjfj,
        late.id,
        report("补报", true, "tok-b-2-xxxxxxxxxxx"),
        &policy,
        d(2015, 1, 20),
    )
    .await
    .unwrap();
    for day in [d(2015, 1, 1), d(2015, 1, 7), d(2015, 1, 16)] {
        notices::supervise(store, day, &Ladder::default())
            .await
            .unwrap();
    }

    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(
        admin
            .get(app.url("/bulletins/draft?month=2015-01"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("2015年1月") && page.contains("（草稿）"),
        "draft page"
    );
    // Recount independently from the obligations as of 2015-01-31.
    let all = obligations::list(store, &office, &Filter::default(), d(2015, 2, 10))
        .await
        .unwrap();
    let at = d(2015, 1, 31);
    // What should be done by then (应完成): due by then, or accepted by then though due later.
    let closed_by =
        |o: &obligations::Obligation| o.accepted_on.as_deref().is_some_and(|a| a <= "2015-01-31");
    let due: Vec<_> = all
        .iter()
        .filter(|o| o.due().unwrap() <= at || closed_by(o))
        .collect();
    let accepted = due
        .iter()
        .filter(|o| o.accepted_on.as_deref().is_some_and(|a| a <= "2015-01-31"))
        .count();
    let handed_in = |o: &&&obligations::Obligation| {
        o.submitted_on.as_deref().is_some_and(|s| s <= "2015-01-31")
    };
    let overdue = due
        .iter()
        .filter(|o| !handed_in(o) && o.due().unwrap() < at)
        .count();
    let expected = format!("应完成事项 {} 项，已销号 {} 项", due.len(), accepted);
    assert!(page.contains(&expected), "summary should say {expected}");
    assert!(
        page.contains(&format!("逾期 {overdue} 项")),
        "overdue {overdue}"
    );
    assert_eq!(accepted, 1);
    // ZJFJ: 1.1.1 was handed in late (after 2014-12-31), so not commended; units with
    // nothing handed in and items over 15 days late are criticised.
    let (_, plan) = app_plan(&app).await;
    let b = qcity_store::bulletins::draft(store, &office, &plan, "2015-01", d(2015, 2, 10))
        .await
        .unwrap();
    let zj = b.units.iter().find(|u| u.unit_code == "ZJFJ").unwrap();
    assert_eq!((zj.rates.accepted, zj.rates.on_time), (1, 1), "{zj:?}");
    assert!(b.commended.is_empty(), "{:?}", b.commended);
    assert!(
        b.criticised
            .iter()
            .any(|(n, why)| n == "区农委" && why.contains("逾期超过15天")),
        "{:?}",
        b.criticised
    );
    assert!(b.units.iter().all(|u| u.rates.due >= u.rates.accepted));
    // The database's grouped counts equal counting the rows one by one.
    let by_rows = obligations::tallies(&all, d(2015, 2, 10));
    let by_sql = obligations::tallies_sql(store, &office, d(2015, 2, 10))
        .await
        .unwrap();
    for (unit, t) in &by_rows.by_unit {
        let s = &by_sql.by_unit[unit];
        assert_eq!(
            (
                t.total,
                t.expected,
                t.closed,
                t.submitted,
                t.on_time,
                t.overdue,
                t.returned
            ),
            (
                s.total,
                s.expected,
                s.closed,
                s.submitted,
                s.on_time,
                s.overdue,
                s.returned
            ),
            "{unit}"
        );
    }
    assert_eq!(by_rows.cells.len(), by_sql.cells.len());

    // Issuing asks first and says what it does; nothing is issued until confirmed.
    let ask = admin
        .post(app.url("/bulletins"))
        .form(&[("month", "2015-01")])
        .send()
        .await
        .unwrap();
    assert_eq!(ask.status(), 200);
    let ask = body(ask).await;
    assert!(
        ask.contains("确认印发") && ask.contains("只能更正"),
        "{ask}"
    );
    assert!(
        qcity_store::bulletins::list(store, &office)
            .await
            .unwrap()
            .is_empty()
    );
    // Issue it; a leader reads the archive and downloads the Word file.
    let res = admin
        .post(app.url("/bulletins"))
        .form(&[("month", "2015-01"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    // Issuing the same month again makes no second bulletin: it leads to the one issued.
    let again = admin
        .post(app.url("/bulletins"))
        .form(&[("month", "2015-01"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.headers()["location"].to_str().unwrap(), location);
    let draft = body(
        admin
            .get(app.url("/bulletins/draft?month=2015-01"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        draft.contains("本期通报已印发（第 1 期）") && !draft.contains("id=\"bulletin-issue\"")
    );
    let leader = app.user("leader1", Role::Leader, None).await;
    let list = body(leader.get(app.url("/bulletins")).send().await.unwrap()).await;
    assert!(
        list.contains(&location) && list.contains("第 1 期"),
        "archive"
    );
    let issued = body(leader.get(app.url(&location)).send().await.unwrap()).await;
    assert!(issued.contains(&expected));
    let docx = leader
        .get(app.url(&format!("{location}/docx")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        docx.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert!(docx.bytes().await.unwrap().starts_with(b"PK"));
    // Unit staff read issued bulletins but cannot issue one.
    let unit = app.login("zjfj.staff", PASSWORD).await;
    assert_eq!(
        unit.get(app.url(&location)).send().await.unwrap().status(),
        200
    );
    assert_eq!(
        unit.post(app.url("/bulletins"))
            .form(&[("month", "2015-01")])
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        unit.post(app.url(&format!("{location}/revoke")))
            .form(&[("reason", "x"), ("confirm", "1")])
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    // A correction needs a reason and a confirmation; the typed reason is kept when refused.
    let refused = admin
        .post(app.url(&format!("{location}/correct")))
        .form(&[("reason", "第二季度数据补录")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422);
    assert!(body(refused).await.contains("第二季度数据补录"));
    let res = admin
        .post(app.url(&format!("{location}/correct")))
        .form(&[("reason", "区农委补报材料已核实"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let corrected = res.headers()["location"].to_str().unwrap().to_string();
    assert_ne!(corrected, location);
    let page = body(leader.get(app.url(&corrected)).send().await.unwrap()).await;
    assert!(page.contains("更正说明") && page.contains("区农委补报材料已核实"));
    assert!(page.contains("第 1 期"), "a correction keeps the number");
    let old = body(leader.get(app.url(&location)).send().await.unwrap()).await;
    assert!(old.contains("本期通报已被更正") && old.contains(&corrected));
    let list = body(leader.get(app.url("/bulletins")).send().await.unwrap()).await;
    assert!(list.contains(&corrected) && !list.contains(&format!("href=\"{location}\"")));
    // Revoked: kept and marked; the month may be issued again under a new number.
    let res = admin
        .post(app.url(&format!("{corrected}/revoke")))
        .form(&[("reason", "统计口径调整"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(leader.get(app.url(&corrected)).send().await.unwrap()).await;
    assert!(page.contains("本期通报已撤销") && page.contains("统计口径调整"));
    assert_eq!(
        admin
            .post(app.url(&format!("{corrected}/revoke")))
            .form(&[("reason", "again"), ("confirm", "1")])
            .send()
            .await
            .unwrap()
            .status(),
        409,
        "a revoked bulletin is not revoked twice"
    );
    let res = admin
        .post(app.url("/bulletins"))
        .form(&[("month", "2015-01"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    let reissued = res.headers()["location"].to_str().unwrap().to_string();
    let page = body(leader.get(app.url(&reissued)).send().await.unwrap()).await;
    assert!(
        page.contains("第 2 期"),
        "a revoked number is not used again"
    );
}

async fn app_plan(app: &TestApp) -> (i64, qcity_domain::plan::Plan) {
    qcity_store::plan::current(&app.store)
        .await
        .unwrap()
        .unwrap()
}

#[tokio::test]
async fn the_json_api_covers_reports_review_notices_and_scope() {
    let config = qcity_web::Config {
        today: Some(d(2015, 1, 2)),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    create_user(&app.store, "nw.staff", Role::Unit, Some("NW"), PASSWORD).await;
    create_user(&app.store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let mut tokens = Vec::new();
    for u in ["nw.staff", "zjfj.staff", "admin"] {
        tokens.push(
            qcity_store::users::create_token(&app.store, &Actor::system("t"), u, "t")
                .await
                .unwrap(),
        );
    }
    let (nw, zj, office) = (tokens[0].clone(), tokens[1].clone(), tokens[2].clone());
    let c = reqwest::Client::new();
    let list: serde_json::Value = c
        .get(app.url("/api/v1/obligations?content=1.1.1"))
        .bearer_auth(&nw)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mine = list.as_array().unwrap();
    assert_eq!(mine.len(), 1, "one 1.1.1 obligation for 区农委: {list}");
    assert_eq!(
        (
            mine[0]["unit"].as_str(),
            mine[0]["overdue"].as_bool(),
            mine[0]["days_overdue"].as_i64()
        ),
        (Some("NW"), Some(true), Some(2))
    );
    let id = mine[0]["id"].as_i64().unwrap();
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, PDF);
    let new = serde_json::json!({"body": "已完成", "submit": true, "form_token": "api-token-0000000001", "files": [{"filename": "证明.pdf", "content_base64": b64}]});
    // Another unit is refused before its body is even read.
    assert_eq!(
        c.post(app.url(&format!("/api/v1/obligations/{id}/reports")))
            .bearer_auth(&zj)
            .json(&new)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    let res = c
        .post(app.url(&format!("/api/v1/obligations/{id}/reports")))
        .bearer_auth(&nw)
        .json(&new)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let report_id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let reports: serde_json::Value = c
        .get(app.url(&format!("/api/v1/obligations/{id}/reports")))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reports[0]["files"].as_array().unwrap().len(), 1);
    // A stale row_version is a conflict; the current one is accepted.
    let stale = serde_json::json!({"decision": "accept", "row_version": 0});
    let res = c
        .post(app.url(&format!("/api/v1/reports/{report_id}/review")))
        .bearer_auth(&office)
        .json(&stale)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let ob: serde_json::Value = c
        .get(app.url(&format!("/api/v1/obligations/{id}")))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ok = serde_json::json!({"decision": "accept", "row_version": ob["row_version"]});
    let res: serde_json::Value = c
        .post(app.url(&format!("/api/v1/reports/{report_id}/review")))
        .bearer_auth(&office)
        .json(&ok)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(res["status"], "accepted");
    assert_eq!(
        c.post(app.url(&format!("/api/v1/reports/{report_id}/review")))
            .bearer_auth(&nw)
            .json(&ok)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    // Notices: each unit its own.
    notices::supervise(&app.store, d(2015, 1, 2), &Ladder::default())
        .await
        .unwrap();
    let ns: serde_json::Value = c
        .get(app.url("/api/v1/notices"))
        .bearer_auth(&zj)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        !ns.as_array().unwrap().is_empty()
            && ns.as_array().unwrap().iter().all(|n| n["unit"] == "ZJFJ"),
        "{ns}"
    );
    let spec: serde_json::Value = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/api/v1/obligations",
        "/api/v1/obligations/{id}/reports",
        "/api/v1/reports/{id}/review",
        "/api/v1/notices",
        "/api/v1/bulletins",
    ] {
        assert!(spec["paths"][p].is_object(), "{p} in OpenAPI");
    }
}

#[tokio::test]
async fn the_status_workbook_downloads_for_the_office_and_for_one_unit() {
    let config = qcity_web::Config {
        today: Some(d(2015, 1, 2)),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let res = admin
        .get(app.url("/obligations/export.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let all = res.bytes().await.unwrap();
    assert!(all.starts_with(b"PK"));
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let mine = nw
        .get(app.url("/obligations/export.xlsx?unit=ZJFJ"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    // The unit's own workbook is smaller: only its rows, whatever unit it asks for.
    assert!(
        mine.starts_with(b"PK") && mine.len() < all.len(),
        "{} vs {}",
        mine.len(),
        all.len()
    );
}

#[tokio::test]
async fn a_supervision_order_reaches_the_unit_which_answers_it() {
    let config = qcity_web::Config {
        today: Some(d(2014, 10, 8)),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let res = admin
        .post(app.url("/notices"))
        .form(&[
            ("unit", "NW"),
            ("title", "关于农业标准化工作的督办单"),
            ("body", "请于期限内报告进展。"),
            ("respond_by", "2014-09-01"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        422,
        "a response deadline in the past is refused"
    );
    assert!(body(res).await.contains("日期不能早于今天"));
    let res = admin
        .post(app.url("/notices"))
        .form(&[
            ("unit", "NW"),
            ("title", "关于农业标准化工作的督办单"),
            ("body", "请于期限内报告进展。"),
            ("respond_by", "2014-10-15"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let home = body(nw.get(app.url("/")).send().await.unwrap()).await;
    assert!(home.contains("id=\"unread\">1<"), "unread badge");
    let page = body(nw.get(app.url("/notices")).send().await.unwrap()).await;
    assert!(page.contains("关于农业标准化工作的督办单") && page.contains("2014-10-15"));
    let id = notices::list(&app.store, &Actor::system("t"), Some("manual"))
        .await
        .unwrap()[0]
        .id;
    let res = nw
        .post(app.url(&format!("/notices/{id}/respond")))
        .form(&[("response", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = nw
        .post(app.url(&format!("/notices/{id}/respond")))
        .form(&[("response", "已召开专题会议部署。")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let (recs, _) = qcity_store::audit::list(
        &app.store,
        &Actor::system("t"),
        &qcity_store::audit::Filter {
            action: Some("notice.".into()),
            limit: 10,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    assert!(recs.iter().any(|r| r.action == "notice.duban_respond"));
    let office_view = body(admin.get(app.url("/notices")).send().await.unwrap()).await;
    assert!(office_view.contains("已召开专题会议部署。"));
    let home = body(nw.get(app.url("/")).send().await.unwrap()).await;
    assert!(!home.contains("id=\"unread\""), "answered means read");
}

#[tokio::test]
async fn concurrent_duplicates_make_one_extension_request_and_one_report() {
    let app = TestApp::with_plan().await;
    create_user(&app.store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let zjfj = unit_actor(&app.store, "zjfj.staff").await;
    let ob = obligation(&app.store, "1.1.1", "ZJFJ").await;
    let today = d(2014, 12, 1);
    let mut tasks = Vec::new();
    for i in 0..4 {
        let (store, actor) = (app.store.clone(), zjfj.clone());
        tasks.push(tokio::spawn(async move {
            obligations::request_extension(
                &store,
                &actor,
                ob.id,
                d(2015, 3, 1 + i),
                "等待文件",
                today,
            )
            .await
        }));
    }
    let ok = futures_ok(tasks).await;
    assert_eq!(ok, 1, "one pending request per obligation");
    let mut tasks = Vec::new();
    for _ in 0..4 {
        let (store, actor) = (app.store.clone(), zjfj.clone());
        tasks.push(tokio::spawn(async move {
            obligations::report(
                &store,
                &actor,
                ob.id,
                report("进展", false, "same-token-000000001"),
                &EvidencePolicy::default(),
                today,
            )
            .await
        }));
    }
    let ids: Vec<i64> = {
        let mut v = Vec::new();
        for t in tasks {
            v.push(t.await.unwrap().unwrap());
        }
        v
    };
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    assert_eq!(
        obligations::reports(&app.store, &Actor::system("t"), ob.id)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn futures_ok<T, E>(tasks: Vec<tokio::task::JoinHandle<Result<T, E>>>) -> usize {
    let mut n = 0;
    for t in tasks {
        if matches!(t.await, Ok(Ok(_))) {
            n += 1;
        }
    }
    n
}

/// A stored status or duty the domain does not know is a decoding error, never read as some
/// default status.
#[tokio::test]
async fn a_corrupt_stored_status_is_an_error_not_a_default() {
    let app = TestApp::with_plan().await;
    let ob = obligation(&app.store, "2.3.1", "ZJFJ").await;
    let system = Actor::system("t");
    for (column, text) in [("status", "done"), ("duty", "boss")] {
        sqlx::query(&format!(
            "UPDATE obligations SET {column} = $1 WHERE id = $2"
        ))
        .bind(text)
        .bind(ob.id)
        .execute(&app.store.pool)
        .await
        .unwrap();
        let err = obligations::get(&app.store, &system, ob.id)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, qcity_store::StoreError::Db(sqlx::Error::ColumnDecode { index, .. }) if index == column),
            "{err:?}"
        );
        assert!(
            obligations::list(&app.store, &system, &Filter::default(), d(2014, 3, 1))
                .await
                .is_err()
        );
        sqlx::query(&format!(
            "UPDATE obligations SET {column} = $1 WHERE id = $2"
        ))
        .bind(if column == "status" {
            "not_started"
        } else {
            "lead"
        })
        .bind(ob.id)
        .execute(&app.store.pool)
        .await
        .unwrap();
    }
    assert_eq!(
        obligations::get(&app.store, &system, ob.id)
            .await
            .unwrap()
            .status,
        obligations::ObligationStatus::NotStarted
    );
}

#[tokio::test]
async fn the_api_issues_corrects_and_revokes_bulletins_as_the_pages_do() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(d(2015, 2, 10)),
        ..Default::default()
    })
    .await;
    let office = qcity_store::users::create_token(&app.store, &Actor::system("t"), "admin", "ci")
        .await
        .unwrap();
    app.user("zj.api", Role::Unit, Some("ZJFJ")).await;
    let unit = qcity_store::users::create_token(&app.store, &Actor::system("t"), "zj.api", "ci")
        .await
        .unwrap();
    let client = reqwest::Client::new();
    let post = |token: &str, path: &str, body: serde_json::Value| {
        client
            .post(app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    let month = serde_json::json!({"month": "2015-01"});
    assert_eq!(
        post(&unit, "/api/v1/bulletins", month.clone())
            .await
            .unwrap()
            .status(),
        403
    );
    let res = post(&office, "/api/v1/bulletins", month.clone())
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        post(&office, "/api/v1/bulletins", month)
            .await
            .unwrap()
            .status(),
        409,
        "one bulletin per month"
    );
    let bad = serde_json::json!({"month": "2015-13"});
    assert_eq!(
        post(&office, "/api/v1/bulletins", bad)
            .await
            .unwrap()
            .status(),
        422
    );
    let no_reason = serde_json::json!({"reason": " "});
    assert_eq!(
        post(
            &office,
            &format!("/api/v1/bulletins/{id}/correction"),
            no_reason
        )
        .await
        .unwrap()
        .status(),
        422
    );
    let res = post(
        &office,
        &format!("/api/v1/bulletins/{id}/correction"),
        serde_json::json!({"reason": "补报材料已核实"}),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 201);
    let new_id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let (b, _) = qcity_store::bulletins::get_any(&app.store, &Actor::system("t"), new_id)
        .await
        .unwrap();
    assert_eq!(
        (b.number, b.correction.as_deref()),
        (1, Some("补报材料已核实"))
    );
    let revoke = |i: i64| {
        post(
            &office,
            &format!("/api/v1/bulletins/{i}/revocation"),
            serde_json::json!({"reason": "口径调整"}),
        )
    };
    assert_eq!(
        revoke(id).await.unwrap().status(),
        409,
        "the corrected one is not in force"
    );
    assert_eq!(revoke(new_id).await.unwrap().status(), 204);
    assert_eq!(revoke(9999).await.unwrap().status(), 404);

    // 督办单 by hand: office only, a deadline not in the past, then in the unit's notices.
    let duban = |by: &str| serde_json::json!({"unit": "ZJFJ", "title": "关于加快质量档案建设的督办单", "respond_by": by});
    assert_eq!(
        post(&unit, "/api/v1/notices", duban("2015-02-20"))
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        post(&office, "/api/v1/notices", duban("2015-01-01"))
            .await
            .unwrap()
            .status(),
        422
    );
    assert_eq!(
        post(&office, "/api/v1/notices", duban("2015-02-20"))
            .await
            .unwrap()
            .status(),
        201
    );
    let mine: serde_json::Value = client
        .get(app.url("/api/v1/notices"))
        .bearer_auth(&unit)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(
        mine.as_array()
            .unwrap()
            .iter()
            .any(|n| n["title"] == "关于加快质量档案建设的督办单")
    );
}
