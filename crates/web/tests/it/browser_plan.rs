//! In Chromium, on the demo: the office uploads a plan that moves one deadline, reads the
//! preview (how many obligations stop being overdue, the completion rate after), discards it,
//! uploads it again and applies it; the version is created and the figures are the preview's.

use crate::browser::{click, connect, console_errors, overflows, sign_in, start_driver, wait_text};
use crate::harness::ADMIN_PASSWORD;
use crate::plan_preview::{deadline_moved, demo_app, most_overdue_content, today};
use fantoccini::{Client, Locator};
use qcity_store::Actor;
use qcity_store::obligations;

/// Picks the file in the import form and sends it; waits for the preview page.
async fn upload(c: &Client, base: &str, file: &std::path::Path) -> String {
    c.goto(&format!("{base}/plan/versions")).await.unwrap();
    c.find(Locator::Id("plan-file"))
        .await
        .expect("the file input")
        .send_keys(&file.display().to_string())
        .await
        .expect("choose the file");
    click(c, "plan-import-submit").await;
    for _ in 0..100 {
        if let Ok(url) = c.current_url().await
            && url.path().starts_with("/plan/import/")
        {
            return url.path().to_string();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the preview never opened");
}

async fn text_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .expect(id)
        .text()
        .await
        .unwrap_or_default()
}

async fn versions(app: &crate::harness::TestApp) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM plan_versions")
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_office_previews_a_moved_deadline_discards_then_applies_it_in_chromium() {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let app = demo_app().await;
    let (code, overdue) = most_overdue_content(&app).await;
    let clears = overdue
        .iter()
        .filter(|o| o.due_date == o.original_due)
        .count();
    assert!(clears >= 1, "{code}");
    let plan = deadline_moved(&code);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("修订方案.toml");
    std::fs::write(&file, plan.to_toml()).unwrap();
    let before = obligations::tallies_sql(&app.store, &Actor::system("t"), today())
        .await
        .unwrap()
        .district();
    let base = format!("http://{}", app.addr);

    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    c.set_window_size(1280, 900).await.unwrap();
    sign_in(&c, &base, "admin", ADMIN_PASSWORD).await;

    // First look, then think better of it: nothing changes.
    upload(&c, &base, &file).await;
    wait_text(
        &c,
        "#effect-stop-overdue",
        &format!("其中 {clears} 项将不再计为逾期"),
    )
    .await;
    assert_eq!(
        text_of(&c, "overdue-after").await,
        (before.overdue - clears).to_string()
    );
    assert!(
        text_of(&c, "preview-details")
            .await
            .contains(&format!("目标内容 {code} 的完成时限由")),
        "the change in words"
    );
    click(&c, "plan-discard").await;
    crate::browser::wait_left(&c, "/plan/import").await;
    for _ in 0..50 {
        if c.current_url()
            .await
            .is_ok_and(|u| u.path() == "/plan/versions")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        versions(&app).await,
        1,
        "a discarded preview imports nothing"
    );
    let still = obligations::tallies_sql(&app.store, &Actor::system("t"), today())
        .await
        .unwrap()
        .district();
    assert_eq!(still.overdue, before.overdue);

    // Again, and this time apply it.
    upload(&c, &base, &file).await;
    let completion_after = text_of(&c, "completion-after").await;
    assert!(
        completion_after.ends_with('%'),
        "a rate in per cent: {completion_after}"
    );
    assert!(!overflows(&c).await, "the preview scrolls sideways");
    click(&c, "plan-apply").await;
    for _ in 0..100 {
        if c.current_url()
            .await
            .is_ok_and(|u| u.query() == Some("imported=2"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        c.current_url().await.unwrap().query(),
        Some("imported=2"),
        "back on the version history with the new version named"
    );
    assert_eq!(versions(&app).await, 2);
    let after = obligations::tallies_sql(&app.store, &Actor::system("t"), today())
        .await
        .unwrap()
        .district();
    assert_eq!(after.overdue, before.overdue - clears);
    assert_eq!(
        completion_after,
        after.completion_text(),
        "the preview's completion rate is the one the import delivers"
    );
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
