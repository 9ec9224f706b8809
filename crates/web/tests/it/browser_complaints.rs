//! A citizen on a phone files a quality complaint with a photo, without an account, keeps the
//! number and code, and follows it; the unit it was routed to signs it on its phone, and the
//! citizen sees the change.

use crate::browser::{
    click, connect, console_errors, overflows, sign_in, start_driver, type_into, wait_path,
    wait_text,
};
use crate::harness::{PASSWORD, TestApp};
use fantoccini::Locator;
use qcity_domain::role::Role;

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde\x00\x00\x00\x00IEND\xaeB`\x82";

#[tokio::test]
async fn a_citizen_files_a_complaint_from_a_phone_and_a_unit_signs_it() {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let app = TestApp::with_plan().await;
    crate::harness::create_user(&app.store, "zj.phone", Role::Unit, Some("ZJFJ"), PASSWORD).await;
    let base = format!("http://{}", app.addr);
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("电梯.png");
    std::fs::write(&photo, PNG).unwrap();

    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    c.goto(&format!("{base}/complaint")).await.unwrap();
    wait_text(&c, "h1", "质量投诉").await;
    assert!(!overflows(&c).await, "the form scrolls sideways on a phone");
    // Anonymous is the default; the citizen chooses to leave a phone number.
    let anonymous = c.find(Locator::Id("c-anon")).await.unwrap();
    assert_eq!(
        anonymous.prop("checked").await.unwrap().as_deref(),
        Some("true")
    );
    anonymous.click().await.unwrap();
    type_into(
        &c,
        "c-text",
        "小区电梯经常困人，物业不管，电梯维保公司也不来修",
    )
    .await;
    type_into(&c, "c-addr", "惠济区长兴路 8 号").await;
    type_into(&c, "c-phone", "13812345678").await;
    c.find(Locator::Id("c-photos"))
        .await
        .unwrap()
        .send_keys(&photo.display().to_string())
        .await
        .unwrap();
    click(&c, "c-submit").await;
    wait_text(&c, "h1", "投诉已受理").await;
    let number = c
        .find(Locator::Id("ticket-number"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let code = c
        .find(Locator::Id("ticket-code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(number.ends_with("-000001"), "{number}");
    assert_eq!(code.len(), 8);
    wait_text(&c, "#receipt-photos", "已收到照片 1 张。").await;
    click(&c, "status-link").await;
    wait_path(&c, "/complaint/status").await;
    wait_text(&c, "#status-now", "已派单").await;
    assert!(
        !overflows(&c).await,
        "the status page scrolls sideways on a phone"
    );

    // The unit signs it on its phone; the photo and the masked phone number are there.
    let staff = tempfile::tempdir().unwrap();
    let u = connect(&driver, &browser, staff.path()).await;
    sign_in(&u, &base, "zj.phone", PASSWORD).await;
    u.goto(&format!("{base}/complaints")).await.unwrap();
    u.find(Locator::LinkText(&number))
        .await
        .expect("the ticket in the queue")
        .click()
        .await
        .unwrap();
    wait_path(&u, "/complaints/").await;
    wait_text(&u, "#ticket-status strong", "已派单").await;
    let contact = u
        .find(Locator::Id("ticket-contact"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(contact.contains("138****5678"), "{contact}");
    assert!(
        u.find(Locator::Css("#photos a")).await.is_ok(),
        "the photo is listed"
    );
    u.find(Locator::Css("form[data-kind='sign'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_text(&u, "#ticket-status strong", "已签收").await;
    assert!(
        !overflows(&u).await,
        "the ticket page scrolls sideways on a phone"
    );

    c.refresh().await.unwrap();
    wait_text(&c, "#status-now", "已签收").await;
    for client in [&c, &u] {
        let errors = console_errors(client).await;
        assert!(errors.is_empty(), "console: {errors:?}");
    }
    u.close().await.unwrap();
    c.close().await.unwrap();
}
