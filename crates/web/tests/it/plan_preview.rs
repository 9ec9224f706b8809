//! A plan import shows what it will do before it does it: the changes in words, the effect on
//! the obligations and the district's figures, which the import then delivers exactly.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::plan::{Deadline, Plan, default_plan};
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::obligations::{self, Filter};
use qcity_web::Config;

pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2014, 12, 15).unwrap()
}

pub(crate) async fn demo_app() -> TestApp {
    let app = TestApp::with_plan_and(Config {
        today: Some(today()),
        ..Default::default()
    })
    .await;
    for seed in app.store.demos() {
        seed(&app.store, &qcity_store::schema::DemoCtx { today: today() })
            .await
            .unwrap();
    }
    app
}

fn upload(plan: &Plan) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(plan.to_toml().into_bytes()).file_name("修订方案.toml"),
    )
}

/// The default plan with the deadline of content `code` moved to 2015-06-30.
pub(crate) fn deadline_moved(code: &str) -> Plan {
    let mut plan = default_plan();
    for cat in &mut plan.categories {
        for item in &mut cat.items {
            for c in &mut item.contents {
                if c.code == code {
                    c.deadline = Deadline::Date {
                        date: NaiveDate::from_ymd_opt(2015, 6, 30).unwrap(),
                    };
                }
            }
        }
    }
    plan
}

/// Stages a plan through the page and returns its preview's address.
async fn stage(app: &TestApp, c: &reqwest::Client, plan: &Plan) -> String {
    let res = c
        .post(app.url("/plan/import"))
        .multipart(upload(plan))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_string();
    assert!(at.starts_with("/plan/import/"), "{at}");
    at
}

/// The content with a plain date deadline that has the most overdue obligations on the demo.
pub(crate) async fn most_overdue_content(app: &TestApp) -> (String, Vec<obligations::Obligation>) {
    let overdue = obligations::list(
        &app.store,
        &Actor::system("t"),
        &Filter {
            overdue_only: true,
            ..Default::default()
        },
        today(),
    )
    .await
    .unwrap();
    let plan = default_plan();
    let mut best: Option<(String, Vec<obligations::Obligation>)> = None;
    for (_, _, c) in plan.contents() {
        if !matches!(c.deadline, Deadline::Date { .. }) {
            continue;
        }
        let mine: Vec<_> = overdue
            .iter()
            .filter(|o| o.content_code == c.code)
            .cloned()
            .collect();
        if mine.len() > best.as_ref().map_or(0, |b| b.1.len()) {
            best = Some((c.code.clone(), mine));
        }
    }
    best.expect("the demo has overdue obligations")
}

#[tokio::test]
async fn a_moved_deadline_is_previewed_with_its_effect_and_the_import_delivers_exactly_that() {
    let app = demo_app().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let (code, overdue) = most_overdue_content(&app).await;
    assert!(overdue.len() >= 2, "{code}: {}", overdue.len());
    // Moving the deadline past today clears every overdue record of this content that has no
    // extension (an extension keeps its own date).
    let clears = overdue
        .iter()
        .filter(|o| o.due_date == o.original_due)
        .count();
    let plan = deadline_moved(&code);
    let before = obligations::tallies_sql(&app.store, &Actor::system("t"), today())
        .await
        .unwrap()
        .district();
    let at = stage(&app, &office, &plan).await;
    let page = body(office.get(app.url(&at)).send().await.unwrap()).await;
    // In words, with dates, never the file's notation.
    assert!(
        page.contains(&format!("目标内容 {code} 的完成时限由")) && page.contains("2015-06-30 前"),
        "{page}"
    );
    assert!(!page.contains("kind ="), "developer notation leaked");
    assert!(
        page.contains(&format!("其中 {clears} 项将不再计为逾期")),
        "{clears}: {page}"
    );
    assert!(
        page.contains(&before.completion_text()),
        "before figure shown"
    );
    // Nothing has changed yet.
    let still = obligations::tallies_sql(&app.store, &Actor::system("t"), today())
        .await
        .unwrap()
        .district();
    assert_eq!(still.overdue, before.overdue);
    // The API tells the same, in the same words.
    let token = qcity_store::users::create_token(&app.store, &Actor::system("t"), "admin", "ci")
        .await
        .unwrap();
    let api: serde_json::Value = reqwest::Client::new()
        .post(app.url("/api/v1/plan/versions/preview"))
        .bearer_auth(&token)
        .header("accept-language", "zh-CN")
        .multipart(upload(&plan))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["stop_overdue"], clears, "{api}");
    assert_eq!(api["overdue_before"], before.overdue);
    assert_eq!(api["overdue_after"], before.overdue - clears);
    assert!(
        api["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().contains("2015-06-30 前")),
        "{api}"
    );
    // Confirming delivers what the preview promised.
    let res = office
        .post(app.url(&format!("{at}/apply")))
        .form(&[("base_version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/plan/versions?imported=2");
    let after = obligations::tallies_sql(&app.store, &Actor::system("t"), today())
        .await
        .unwrap()
        .district();
    assert_eq!(after.overdue, before.overdue - clears);
    assert_eq!(api["overdue_after"], after.overdue);
    assert_eq!(
        api["completion_after"].as_f64(),
        after.completion_rate(),
        "preview and import agree on the completion rate"
    );
    // Each affected obligation's timeline records the change; the history page words it.
    let moved = overdue
        .iter()
        .find(|o| o.due_date == o.original_due)
        .unwrap();
    let ob_page = body(
        office
            .get(app.url(&format!("/obligations/{}", moved.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        ob_page.contains("计划第 2 版调整完成期限") && ob_page.contains("2015-06-30"),
        "{ob_page}"
    );
    let versions = body(office.get(app.url("/plan/versions")).send().await.unwrap()).await;
    assert!(
        versions.contains(&format!("目标内容 {code} 的完成时限由")) && !versions.contains("kind ="),
        "history in words"
    );
}

#[tokio::test]
async fn a_preview_made_stale_by_another_import_asks_again_and_others_cannot_see_it() {
    let app = TestApp::with_plan().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let unit = app.user("zj.plan", Role::Unit, Some("ZJFJ")).await;
    let mut first = default_plan();
    first.categories[0].items[0].contents[0]
        .text
        .push_str("（甲）");
    let mut second = default_plan();
    second.categories[0].items[0].contents[0]
        .text
        .push_str("（乙）");
    let a = stage(&app, &office, &first).await;
    let b = stage(&app, &office, &second).await;
    // Units do not see or act on the office's drafts.
    assert_eq!(unit.get(app.url(&b)).send().await.unwrap().status(), 403);
    let res = unit
        .post(app.url(&format!("{b}/apply")))
        .form(&[("base_version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    office
        .post(app.url(&format!("{a}/apply")))
        .form(&[("base_version", "1")])
        .send()
        .await
        .unwrap();
    // The second preview was made against version 1: refused, shown again against version 2.
    let res = office
        .post(app.url(&format!("{b}/apply")))
        .form(&[("base_version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let page = body(res).await;
    assert!(
        page.contains("预览后方案已更新为第 2 版") && page.contains("确认导入为第 3 版"),
        "{page}"
    );
    assert_eq!(
        qcity_store::plan::current_version(&app.store)
            .await
            .unwrap(),
        2
    );
    // Discarding leaves the plan as it is and the draft gone.
    let res = office
        .post(app.url(&format!("{b}/discard")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(office.get(app.url(&b)).send().await.unwrap().status(), 404);
    assert_eq!(
        qcity_store::plan::current_version(&app.store)
            .await
            .unwrap(),
        2
    );
}
