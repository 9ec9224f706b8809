//! A citizen on a phone, not signed in: from the public portal to the published reports, opens
//! one and downloads it as PDF and Word; looks an enterprise up by name and sees where it is.

use crate::browser::{connect, console_errors, overflows, start_driver, wait_text};
use crate::plan_preview::demo_app;
use fantoccini::{Client, Locator};
use sqlx::Row;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

/// Follows the link with this address on the page, as a tap does.
async fn tap(c: &Client, href: &str) {
    c.find(Locator::Css(&format!("main a[href='{href}']")))
        .await
        .unwrap_or_else(|_| panic!("a link to {href}"))
        .click()
        .await
        .expect("tap");
    for _ in 0..100 {
        if c.current_url().await.is_ok_and(|u| u.path() == href) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never reached {href}");
}

async fn href_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .expect(id)
        .attr("href")
        .await
        .expect("href")
        .expect("a link")
}

#[tokio::test]
async fn a_citizen_downloads_a_published_report_and_finds_an_enterprise_on_a_phone() {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let app = demo_app().await;
    // The demo publishes its half-year report.
    let published = qcity_store::reports::public_list(&app.store).await.unwrap();
    let report = published.first().expect("a published report in the demo");
    let id = report.id;
    let base = format!("http://{}", app.addr);
    let anonymous = app.client();

    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    c.goto(&format!("{base}/public")).await.unwrap();
    tap(&c, "/public/reports").await;
    // The list offers the downloads too.
    assert_eq!(
        href_of(&c, &format!("report-{id}-pdf")).await,
        format!("/public/reports/{id}.pdf")
    );
    let title = report.title.clone();
    assert_eq!(
        c.find(Locator::Css(&format!(
            "#report-{id} a[href='/public/reports/{id}']"
        )))
        .await
        .expect("the report listed")
        .text()
        .await
        .unwrap(),
        title
    );
    tap(&c, &format!("/public/reports/{id}")).await;
    wait_text(&c, "h1", &title).await;
    wait_text(&c, "#report-pdf", "下载 PDF").await;
    wait_text(&c, "#report-docx", "下载 Word").await;
    assert!(!overflows(&c).await, "the report scrolls sideways");
    let word = anonymous
        .get(app.url(&href_of(&c, "report-docx").await))
        .send()
        .await
        .unwrap();
    assert_eq!(word.status(), 200);
    assert_eq!(word.headers()["content-type"], DOCX);
    assert!(word.bytes().await.unwrap().starts_with(b"PK"));
    let pdf = anonymous
        .get(app.url(&href_of(&c, "report-pdf").await))
        .send()
        .await
        .unwrap();
    if qcity_exchange::report::find_cjk_font(None).is_some()
        || std::env::var_os("QCITY_E2E").is_some()
    {
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));
    }

    // An enterprise of the demo, looked up by its name: its address and town tell it apart.
    let row = sqlx::query(
        "SELECT id, name, address, town FROM enterprises WHERE closed = 0 ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    let (eid, name, address, town): (i64, String, String, String) = (
        row.try_get("id").unwrap(),
        row.try_get("name").unwrap(),
        row.try_get("address").unwrap(),
        row.try_get("town").unwrap(),
    );
    c.goto(&format!("{base}/public")).await.unwrap();
    tap(&c, "/public/enterprises").await;
    let q = c.find(Locator::Id("pq")).await.expect("the search field");
    q.send_keys(&name).await.unwrap();
    q.send_keys("\u{E007}").await.unwrap(); // Enter
    wait_text(&c, &format!("#pub-ent-{eid} h2"), &name).await;
    wait_text(&c, &format!("#pub-ent-{eid} .ent-address"), &address).await;
    wait_text(&c, &format!("#pub-ent-{eid} .ent-town"), &town).await;
    assert!(!overflows(&c).await, "the lookup scrolls sideways");
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
