//! On a phone (390 px), on the demo: a unit's staffer narrows the notices to 督办 with the
//! kind tabs and reads one; the page keeps the filter, never scrolls sideways, no tag breaks
//! per character, and the console stays clean.

use crate::browser::{click, connect, console_errors, overflows, sign_in, start_driver, wait_text};
use crate::harness::TestApp;
use fantoccini::Locator;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::notices::{self, Filter};
use sqlx::Row;

#[tokio::test]
async fn a_unit_filters_its_notices_to_duban_and_reads_one_on_a_phone() {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let today = chrono::NaiveDate::from_ymd_opt(2014, 12, 15).unwrap();
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    for seed in app.store.demos() {
        seed(&app.store, &qcity_store::schema::DemoCtx { today })
            .await
            .unwrap();
    }
    // A unit with unread 督办 notices in the demo.
    let row = sqlx::query(
        "SELECT u.code, u.id FROM notices n JOIN org_units u ON u.id = n.unit_id \
         WHERE n.kind = 'duban' AND n.read_at IS NULL GROUP BY u.code, u.id ORDER BY COUNT(*) DESC, u.code",
    )
    .fetch_optional(&app.store.pool)
    .await
    .unwrap()
    .expect("the demo has unread 督办 notices");
    let (code, unit_id): (String, i64) = (row.try_get("code").unwrap(), row.try_get("id").unwrap());
    crate::harness::create_user(
        &app.store,
        "duban.phone",
        Role::Unit,
        Some(&code),
        crate::harness::PASSWORD,
    )
    .await;
    let staff = Actor {
        user_id: None,
        username: "t".into(),
        role: Some(Role::Unit),
        unit_id: Some(unit_id),
        owner_id: None,
        ip: "127.0.0.1".into(),
        request_id: String::new(),
    };
    let duban = Filter {
        kind: Some("duban".into()),
        ..Default::default()
    };
    let listed = notices::page(&app.store, &staff, &duban, 1).await.unwrap();
    let first_unread = listed
        .notices
        .iter()
        .find(|n| !n.read)
        .expect("an unread 督办 on the first page")
        .id;
    let base = format!("http://{}", app.addr);

    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    sign_in(&c, &base, "duban.phone", crate::harness::PASSWORD).await;
    c.goto(&format!("{base}/notices")).await.unwrap();
    click(&c, "kind-duban").await;
    wait_text(&c, "#notices-total", &format!("共 {} 条", listed.total)).await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.query(), Some("kind=duban"), "{url}");
    assert!(!overflows(&c).await, "the notices scroll sideways");
    // Tags and tabs stay on one line each (a tag broken per character is taller than a line).
    let tall: i64 = c
        .execute(
            "return [...document.querySelectorAll('.notice-card .tag, .notice-kinds a')]\
             .filter(e => e.getBoundingClientRect().height > 28).length;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert_eq!(tall, 0, "a tag or tab wraps");

    click(&c, &format!("read-{first_unread}")).await;
    // Back on the same filtered view, the notice read.
    for _ in 0..100 {
        let read: Option<String> = sqlx::query("SELECT read_at FROM notices WHERE id = $1")
            .bind(first_unread)
            .fetch_one(&app.store.pool)
            .await
            .unwrap()
            .try_get("read_at")
            .unwrap();
        if read.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // The page comes back with the card no longer marked unread.
    let mut class = String::new();
    for _ in 0..100 {
        if let Ok(card) = c.find(Locator::Id(&format!("notice-{first_unread}"))).await
            && let Ok(Some(k)) = card.attr("class").await
        {
            class = k;
            if !class.contains("unread") {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(!class.contains("unread"), "{class}");
    wait_text(&c, "#notices-total", &format!("共 {} 条", listed.total)).await;
    let url = c.current_url().await.unwrap();
    assert_eq!(url.query(), Some("kind=duban"), "{url}");
    assert!(!overflows(&c).await, "the notices scroll sideways");
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
