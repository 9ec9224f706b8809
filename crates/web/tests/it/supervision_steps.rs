//! 督查督办 daily steps: 签收, 撤回, batch review, 催办 from the overview, the obligation's
//! timeline, decision notices through the outbox, refused uploads and inline previews.

use crate::harness::{ADMIN_PASSWORD, PASSWORD, TestApp, body, create_user};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::notices::{self, Ladder};
use qcity_store::obligations::{self, EvidencePolicy, Filter, ObligationStatus, ReportInput};
use qcity_store::{Actor, Store, outbox, units};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
/// A PNG signature and an IHDR chunk: enough for the type to be detected.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x00IEND\xaeB`\x82";
const GIF: &[u8] = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";

async fn actor(store: &Store, username: &str) -> Actor {
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

async fn hand_in(store: &Store, who: &Actor, id: i64, text: &str, token: &str, on: NaiveDate) {
    let input = ReportInput {
        body: text.into(),
        percent: 100,
        submit: true,
        form_token: token.into(),
        files: vec![],
    };
    obligations::report(store, who, id, input, &EvidencePolicy::default(), on)
        .await
        .unwrap();
}

async fn status(store: &Store, id: i64) -> ObligationStatus {
    obligations::get(store, &Actor::system("t"), id)
        .await
        .unwrap()
        .status
}

async fn token(app: &TestApp, username: &str) -> String {
    qcity_store::users::create_token(&app.store, &Actor::system("t"), username, "t")
        .await
        .unwrap()
}

async fn app_on(day: NaiveDate) -> TestApp {
    TestApp::with_plan_and(qcity_web::Config {
        today: Some(day),
        ..Default::default()
    })
    .await
}

/// 区农委's obligations open and not acknowledged, as the overview counts them.
async fn unacknowledged(store: &Store, today: NaiveDate) -> usize {
    obligations::unacknowledged_by_unit(store, &Actor::system("office"), today)
        .await
        .unwrap()
        .get("NW")
        .copied()
        .unwrap_or(0)
}

/// The report form's one-time token from an obligation page.
fn form_token(page: &str) -> String {
    page.split("name=\"form_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_unit_acknowledges_and_withdraws_its_own_only_and_not_after_review() {
    let today = d(2014, 12, 20);
    let app = app_on(today).await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let zjfj = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let ob = obligation(&app.store, "1.1.1", "NW").await;
    let path = |what: &str| app.url(&format!("/obligations/{}/{what}", ob.id));
    let office = Actor::system("office");
    let before = unacknowledged(&app.store, today).await;
    assert!(before > 0);
    let overview = body(admin.get(app.url("/supervision")).send().await.unwrap()).await;
    assert!(overview.contains(&format!("data-unit=\"NW\">{before}<")));

    // Another unit cannot acknowledge or withdraw it; the office does not acknowledge for it.
    assert_eq!(
        zjfj.post(path("acknowledge"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        admin
            .post(path("acknowledge"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    let zj_token = token(&app, "zjfj.staff").await;
    let api = reqwest::Client::new();
    let res = api
        .post(app.url(&format!("/api/v1/obligations/{}/acknowledgement", ob.id)))
        .bearer_auth(&zj_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(unacknowledged(&app.store, today).await, before);

    // The unit acknowledges once: who and when show on the page and in the overview.
    let page = body(nw.get(path("").trim_end_matches('/')).send().await.unwrap()).await;
    assert!(page.contains("id=\"acknowledge\"") && page.contains("未签收"));
    assert_eq!(
        nw.post(path("acknowledge")).send().await.unwrap().status(),
        303
    );
    let now = obligations::get(&app.store, &office, ob.id).await.unwrap();
    assert_eq!(
        (
            now.acknowledged_by.as_deref(),
            now.acknowledged_on.as_deref()
        ),
        (Some("nw.staff"), Some("2014-12-20"))
    );
    assert_eq!(unacknowledged(&app.store, today).await, before - 1);
    let again = nw.post(path("acknowledge")).send().await.unwrap();
    assert_eq!(again.status(), 409);
    let page = body(
        admin
            .get(path("").trim_end_matches('/'))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("已签收") && page.contains("nw.staff"));

    // Handed in, the unit withdraws it before review: in progress, the report kept as withdrawn
    // and offered again in the form.
    let nw_actor = actor(&app.store, "nw.staff").await;
    hand_in(
        &app.store,
        &nw_actor,
        ob.id,
        "已制定落实方案",
        "tok-sub-1-xxxxxxxxx",
        today,
    )
    .await;
    assert_eq!(
        zjfj.post(path("withdraw")).send().await.unwrap().status(),
        404
    );
    assert_eq!(status(&app.store, ob.id).await, ObligationStatus::Submitted);
    assert_eq!(
        nw.post(path("withdraw")).send().await.unwrap().status(),
        303
    );
    assert_eq!(
        status(&app.store, ob.id).await,
        ObligationStatus::InProgress
    );
    let reports = obligations::reports(&app.store, &office, ob.id)
        .await
        .unwrap();
    assert_eq!(reports[0].withdrawn_on.as_deref(), Some("2014-12-20"));
    assert!(
        !reports[0].r#final,
        "a withdrawn hand-in is no longer final"
    );
    let page = body(nw.get(path("").trim_end_matches('/')).send().await.unwrap()).await;
    assert!(
        page.contains(">已制定落实方案</textarea>"),
        "the form holds the report again"
    );
    // Withdrawing twice is refused: nothing is handed in.
    assert_eq!(
        nw.post(path("withdraw")).send().await.unwrap().status(),
        409
    );

    // Handed in again and accepted: the unit can no longer withdraw, by page or API.
    hand_in(
        &app.store,
        &nw_actor,
        ob.id,
        "已制定落实方案（修改）",
        "tok-sub-2-xxxxxxxxx",
        today,
    )
    .await;
    let v = obligations::get(&app.store, &office, ob.id)
        .await
        .unwrap()
        .row_version;
    obligations::review(&app.store, &office, ob.id, true, "", v, today)
        .await
        .unwrap();
    let res = nw.post(path("withdraw")).send().await.unwrap();
    assert_eq!(res.status(), 409);
    assert!(body(res).await.contains("督查办已审核，不能再撤回"));
    let nw_token = token(&app, "nw.staff").await;
    let res = api
        .post(app.url(&format!("/api/v1/obligations/{}/withdrawal", ob.id)))
        .bearer_auth(&nw_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(status(&app.store, ob.id).await, ObligationStatus::Accepted);
}

#[tokio::test]
async fn batch_review_changes_exactly_the_selected_and_returned_units_hear_why() {
    let today = d(2014, 12, 20);
    let app = app_on(today).await;
    create_user(&app.store, "nw.staff", Role::Unit, Some("NW"), PASSWORD).await;
    create_user(&app.store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let (nw, zj) = (
        actor(&app.store, "nw.staff").await,
        actor(&app.store, "zjfj.staff").await,
    );
    let a = obligation(&app.store, "1.1.1", "NW").await;
    let b = obligation(&app.store, "1.1.1", "ZJFJ").await;
    let c = obligation(&app.store, "2.3.1", "ZJFJ").await;
    hand_in(
        &app.store,
        &nw,
        a.id,
        "农委方案",
        "tok-a-xxxxxxxxxxxxx",
        today,
    )
    .await;
    hand_in(
        &app.store,
        &zj,
        b.id,
        "质监方案",
        "tok-b-xxxxxxxxxxxxx",
        today,
    )
    .await;
    hand_in(
        &app.store,
        &zj,
        c.id,
        "交流会",
        "tok-c-xxxxxxxxxxxxx",
        today,
    )
    .await;
    units::update_contact(
        &app.store,
        &Actor::system("t"),
        "NW",
        units::Contact {
            name: "张三",
            phone: "0371-1",
            email: "nw@example.cn",
        },
    )
    .await
    .unwrap();
    let office = Actor::system("office");
    let version = |id: i64| {
        let store = app.store.clone();
        let office = office.clone();
        async move {
            obligations::get(&store, &office, id)
                .await
                .unwrap()
                .row_version
        }
    };
    let page = body(admin.get(app.url("/supervision")).send().await.unwrap()).await;
    for o in [&a, &b, &c] {
        assert!(page.contains(&format!("id=\"pick-review-{}\"", o.id)));
    }
    let pick = |id: i64, v: i64| ("pick".to_string(), format!("{id}:{v}"));
    // Returning needs a reason: nothing changes without one.
    let res = admin
        .post(app.url("/supervision/review"))
        .form(&vec![
            pick(a.id, version(a.id).await),
            ("decision".into(), "return".into()),
            ("reason".into(), String::new()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(status(&app.store, a.id).await, ObligationStatus::Submitted);
    // A stale selection decides nothing, not even the fresh one beside it.
    let res = admin
        .post(app.url("/supervision/review"))
        .form(&vec![
            pick(a.id, version(a.id).await),
            pick(b.id, version(b.id).await - 1),
            ("decision".into(), "accept".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    assert_eq!(status(&app.store, a.id).await, ObligationStatus::Submitted);
    // Two selected and returned with one reason; the third stays waiting.
    let res = admin
        .post(app.url("/supervision/review"))
        .form(&vec![
            pick(a.id, version(a.id).await),
            pick(b.id, version(b.id).await),
            ("decision".into(), "return".into()),
            ("reason".into(), "缺少佐证材料".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(status(&app.store, a.id).await, ObligationStatus::Returned);
    assert_eq!(status(&app.store, b.id).await, ObligationStatus::Returned);
    assert_eq!(status(&app.store, c.id).await, ObligationStatus::Submitted);

    // Each returned unit gets a notice with the reason, in the app and through the outbox.
    let mine = notices::list(&app.store, &nw, None).await.unwrap();
    let returned: Vec<_> = mine.iter().filter(|n| n.kind == "returned").collect();
    assert_eq!(returned.len(), 1, "{mine:?}");
    assert_eq!(returned[0].obligation_id, Some(a.id));
    assert!(returned[0].title.contains("缺少佐证材料") && returned[0].body == "缺少佐证材料");
    assert_eq!(
        notices::counts_by_unit(&app.store, &qcity_store::Actor::system("t"), today, today)
            .await
            .unwrap()
            .get("NW")
            .copied()
            .unwrap_or_default(),
        Default::default(),
        "a decision notice is no 催办/督办/通报"
    );
    let now = chrono::Utc::now();
    assert!(
        outbox::enqueue_digests(&app.store, today, now)
            .await
            .unwrap()
            >= 1
    );
    assert!(
        outbox::enqueue_webhooks(&app.store, "https://hook.example.cn/q", now)
            .await
            .unwrap()
            >= 2
    );
    let items = outbox::list(&app.store, &office, outbox::View::Recent, 50)
        .await
        .unwrap();
    let digest = items
        .iter()
        .find(|i| i.recipient == "nw@example.cn")
        .expect("a digest for 区农委");
    assert!(digest.body.contains("缺少佐证材料"), "{}", digest.body);
    assert!(
        items
            .iter()
            .any(|i| i.dedupe_key == outbox::webhook_key(returned[0].id))
    );

    // The API accepts the remaining one; its unit hears it was accepted.
    let office_token = token(&app, "admin").await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/reviews"))
        .bearer_auth(&office_token)
        .json(&serde_json::json!({"obligations": [{"id": c.id, "row_version": version(c.id).await}], "decision": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let done: serde_json::Value = res.json().await.unwrap();
    assert_eq!(done[0]["status"], "accepted");
    assert!(
        notices::list(&app.store, &zj, None)
            .await
            .unwrap()
            .iter()
            .any(|n| n.kind == "accepted" && n.obligation_id == Some(c.id))
    );
    // A unit cannot batch-review.
    let zj_token = token(&app, "zjfj.staff").await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/reviews"))
        .bearer_auth(&zj_token)
        .json(&serde_json::json!({"obligations": [{"id": a.id, "row_version": 0}], "decision": "accept"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn urging_from_the_overview_is_counted_once_in_the_notice_figures() {
    // 1.1.1 was due 2014-12-31: overdue on 2015-01-05.
    let today = d(2015, 1, 5);
    let app = app_on(today).await;
    create_user(&app.store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let a = obligation(&app.store, "1.1.1", "NW").await;
    let b = obligation(&app.store, "1.1.1", "ZJFJ").await;
    let page = body(admin.get(app.url("/supervision")).send().await.unwrap()).await;
    assert!(page.contains("id=\"urge-selected\"") && page.contains("id=\"urge-"));

    // One click, then a double click, then the batch with both selected.
    for _ in 0..2 {
        let res = admin
            .post(app.url("/supervision/urge"))
            .form(&[("pick", a.id.to_string())])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
    }
    let res = admin
        .post(app.url("/supervision/urge"))
        .form(&[("pick", a.id.to_string()), ("pick", b.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("urged=1&skipped=1"), "{to}");
    let page = body(admin.get(app.url(&to)).send().await.unwrap()).await;
    assert!(page.contains("已发出催办 1 项，跳过 1 项"));
    // Three presses, one 催办 per unit in the month's figures.
    let counts = notices::counts_by_unit(
        &app.store,
        &qcity_store::Actor::system("t"),
        d(2015, 1, 1),
        d(2015, 1, 31),
    )
    .await
    .unwrap();
    assert_eq!((counts["NW"].blue, counts["ZJFJ"].blue), (1, 1));
    // The ladder's own blue step on the same deadline is the same notice, not a second one.
    notices::supervise(&app.store, today, &Ladder::default())
        .await
        .unwrap();
    let office = Actor::system("office");
    let urged = || {
        let store = app.store.clone();
        async move {
            notices::list(&store, &Actor::system("office"), Some("cuiban"))
                .await
                .unwrap()
                .into_iter()
                .filter(|n| n.obligation_id == Some(a.id))
                .collect::<Vec<_>>()
        }
    };
    let nw_notices = urged().await;
    assert_eq!(nw_notices.len(), 1);
    assert_eq!(nw_notices[0].level, "blue");
    let blue_after_ladder = notices::counts_by_unit(
        &app.store,
        &qcity_store::Actor::system("t"),
        d(2015, 1, 1),
        d(2015, 1, 31),
    )
    .await
    .unwrap()["NW"]
        .blue;

    // Handed in: nothing to urge. A unit may not urge; the API answers as the page.
    let zj = actor(&app.store, "zjfj.staff").await;
    hand_in(
        &app.store,
        &zj,
        b.id,
        "已完成",
        "tok-urge-xxxxxxxxxx",
        today,
    )
    .await;
    let office_token = token(&app, "admin").await;
    let res: serde_json::Value = reqwest::Client::new()
        .post(app.url("/api/v1/supervision/urges"))
        .bearer_auth(&office_token)
        .json(&serde_json::json!({"obligation_ids": [b.id]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (res["issued"].as_u64(), res["skipped"].as_u64()),
        (Some(0), Some(1))
    );
    let zj_token = token(&app, "zjfj.staff").await;
    let res = reqwest::Client::new()
        .post(app.url("/api/v1/supervision/urges"))
        .bearer_auth(&zj_token)
        .json(&serde_json::json!({"obligation_ids": [a.id]}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let counts = notices::counts_by_unit(
        &app.store,
        &qcity_store::Actor::system("t"),
        d(2015, 1, 1),
        d(2015, 1, 31),
    )
    .await
    .unwrap();
    assert_eq!(
        counts["NW"].blue, blue_after_ladder,
        "a refused 催办 counts nothing"
    );
    assert_eq!(urged().await.len(), 1);
    let _ = office;
}

/// Lets the clock move on between two steps: the timeline orders by the time of day in
/// milliseconds, and a test's steps can share one (no user's do).
async fn tick() {
    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
}

#[tokio::test]
async fn the_timeline_lists_every_event_in_order_in_chinese() {
    let today = d(2015, 1, 5);
    let app = app_on(today).await;
    let web = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let nw = actor(&app.store, "nw.staff").await;
    let office = Actor::system("office");
    let ob = obligation(&app.store, "1.1.1", "NW").await;
    obligations::acknowledge(&app.store, &nw, ob.id, today)
        .await
        .unwrap();
    tick().await;
    let progress = ReportInput {
        body: "正在起草".into(),
        percent: 40,
        submit: false,
        form_token: "tok-tl-0-xxxxxxxxxx".into(),
        files: vec![],
    };
    obligations::report(
        &app.store,
        &nw,
        ob.id,
        progress,
        &EvidencePolicy::default(),
        today,
    )
    .await
    .unwrap();
    tick().await;
    hand_in(
        &app.store,
        &nw,
        ob.id,
        "方案已定",
        "tok-tl-1-xxxxxxxxxx",
        today,
    )
    .await;
    tick().await;
    obligations::withdraw(&app.store, &nw, ob.id, today)
        .await
        .unwrap();
    tick().await;
    hand_in(
        &app.store,
        &nw,
        ob.id,
        "方案已定（补充）",
        "tok-tl-2-xxxxxxxxxx",
        today,
    )
    .await;
    tick().await;
    let v = obligations::get(&app.store, &office, ob.id)
        .await
        .unwrap()
        .row_version;
    obligations::review(&app.store, &office, ob.id, false, "缺少会议纪要", v, today)
        .await
        .unwrap();
    tick().await;
    // The unit reads the return notice on the page; the office urges; an extension is asked
    // and granted.
    let returned = notices::list(&app.store, &nw, Some("returned"))
        .await
        .unwrap();
    let res = web
        .post(app.url(&format!("/notices/{}/read", returned[0].id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    tick().await;
    notices::urge(&app.store, &office, &[ob.id], today)
        .await
        .unwrap();
    tick().await;
    let req =
        obligations::request_extension(&app.store, &nw, ob.id, d(2015, 3, 31), "等待会议", today)
            .await
            .unwrap();
    tick().await;
    obligations::decide_extension(&app.store, &office, req, true, "", today)
        .await
        .unwrap();
    tick().await;
    // A new plan version moves the content's deadline (the granted extension stays).
    let mut plan = qcity_domain::plan::default_plan();
    for cat in &mut plan.categories {
        for item in &mut cat.items {
            for c in item.contents.iter_mut().filter(|c| c.code == "1.1.1") {
                c.deadline = qcity_domain::plan::Deadline::Date {
                    date: d(2015, 2, 28),
                };
            }
        }
    }
    qcity_store::plan::import(&app.store, &office, &plan, "toml", "v2.toml", today)
        .await
        .unwrap();

    let page = body(
        admin
            .get(app.url(&format!("/obligations/{}", ob.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let timeline = page
        .split("id=\"timeline\"")
        .nth(1)
        .and_then(|s| s.split("</ol>").next())
        .expect("the timeline");
    let labels = [
        "签收",
        "报送进展",
        "申请销号",
        "撤回销号申请",
        "申请销号",
        "退回",
        "单位已阅退回通知",
        "催办（蓝色）",
        "申请延期",
        "同意延期",
        "计划第 2 版调整完成期限",
    ];
    let mut at = 0;
    for label in labels {
        let tag = format!(">{label}</span>");
        let found = timeline[at..]
            .find(&tag)
            .unwrap_or_else(|| panic!("{label} after byte {at} in {timeline}"));
        at += found + tag.len();
    }
    assert!(timeline.contains("缺少会议纪要"), "the reason is shown");
    assert!(timeline.contains("2014-12-31 → 2015-02-28"), "{timeline}");
    assert!(timeline.contains("2015-01-05"));
    for code in [
        "extension_request",
        "submit",
        "cuiban",
        "returned",
        "in_progress",
    ] {
        assert!(!timeline.contains(code), "internal code {code} on the page");
    }
    // The API gives the same order, with codes for machines and labels in the caller's language.
    let office_token = token(&app, "admin").await;
    let list: serde_json::Value = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/obligations/{}/timeline", ob.id)))
        .bearer_auth(&office_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let events: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "acknowledge",
            "progress",
            "submit",
            "withdraw",
            "submit",
            "return",
            "notice_read.returned",
            "notice.cuiban",
            "extension_request",
            "extension_approve",
            "plan_deadline"
        ]
    );
    // Another unit sees no timeline of it.
    let zj_token = {
        create_user(&app.store, "zjfj.staff", Role::Unit, Some("ZJFJ"), PASSWORD).await;
        token(&app, "zjfj.staff").await
    };
    let res = reqwest::Client::new()
        .get(app.url(&format!("/api/v1/obligations/{}/timeline", ob.id)))
        .bearer_auth(&zj_token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // The extension's decision reached the unit too.
    assert!(
        notices::list(&app.store, &nw, Some("extension"))
            .await
            .unwrap()
            .iter()
            .any(|n| n.title.contains("2015-03-31"))
    );
}

#[tokio::test]
async fn a_refused_report_keeps_what_was_typed_and_previews_are_sandboxed() {
    let today = d(2014, 12, 20);
    let app = app_on(today).await;
    let nw = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let ob = obligation(&app.store, "1.1.1", "NW").await;
    let url = app.url(&format!("/obligations/{}", ob.id));
    let page = body(nw.get(&url).send().await.unwrap()).await;
    // The browser's own check is served as a file of ours (the CSP allows no inline script).
    let script = qcity_web::assets::href("evidence.js");
    assert!(script.starts_with("/static/evidence.") && script.len() > "/static/evidence.js".len());
    assert!(page.contains(&format!("<script src=\"{script}\" defer></script>")));
    assert!(
        page.contains("data-max-bytes=\"") && page.contains("data-msg-type=\"不支持该文件类型")
    );
    let js = nw.get(app.url(script)).send().await.unwrap();
    assert_eq!(js.status(), 200);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(body(js).await.contains("setCustomValidity"));

    let send = |text: &'static str, file: (&'static [u8], &'static str), tok: String| {
        let form = reqwest::multipart::Form::new()
            .text("form_token", tok)
            .text("body", text)
            .text("percent", "45")
            .text("submit", "0")
            .part(
                "files",
                reqwest::multipart::Part::bytes(file.0).file_name(file.1),
            );
        nw.post(app.url(&format!("/obligations/{}/reports", ob.id)))
            .multipart(form)
            .send()
    };
    // A file of a refused type: the typed text and percentage come back with the message.
    let res = send(
        "已召开专题会议三次",
        (b"just some text\n", "notes.txt"),
        form_token(&page),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), 422);
    let again = body(res).await;
    assert!(
        again.contains(">已召开专题会议三次</textarea>"),
        "typed text kept"
    );
    assert!(again.contains("value=\"45\""), "typed percent kept");
    // A missing text keeps the percentage.
    let res = send("", (PDF, "a.pdf"), form_token(&again)).await.unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("value=\"45\""));
    assert!(
        obligations::reports(&app.store, &Actor::system("t"), ob.id)
            .await
            .unwrap()
            .is_empty()
    );

    // PDF and PNG open inline in a sandbox; a GIF downloads.
    for (i, (bytes, name)) in [(PDF, "方案.pdf"), (PNG, "照片.png"), (GIF, "动图.gif")]
        .into_iter()
        .enumerate()
    {
        let res = send("附件", (bytes, name), format!("tok-preview-{i}-xxxxxxxx"))
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "{name}");
    }
    let reports = obligations::reports(&app.store, &Actor::system("t"), ob.id)
        .await
        .unwrap();
    let file = |mime: &str| {
        reports
            .iter()
            .flat_map(|r| r.files.iter().map(move |f| (r.id, f)))
            .find(|(_, f)| f.mime == mime)
            .map(|(r, f)| format!("/reports/{r}/files/{}/preview", f.sha256))
            .unwrap_or_else(|| panic!("no {mime}"))
    };
    let page = body(admin.get(&url).send().await.unwrap()).await;
    assert!(page.contains(&file("application/pdf")) && !page.contains(&file("image/gif")));
    for (mime, bytes) in [("application/pdf", PDF), ("image/png", PNG)] {
        let res = admin.get(app.url(&file(mime))).send().await.unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["content-type"], mime);
        assert!(
            h["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("inline")
        );
        assert_eq!(h["content-security-policy"], "sandbox");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(res.bytes().await.unwrap().as_ref(), bytes);
    }
    let res = admin.get(app.url(&file("image/gif"))).send().await.unwrap();
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    // Another unit cannot preview it.
    let zjfj = app.user("zjfj.staff", Role::Unit, Some("ZJFJ")).await;
    assert_eq!(
        zjfj.get(app.url(&file("application/pdf")))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}
