//! In Chromium at phone width (390 px): the office searches enterprises with two words, sorts
//! by a column header both ways and pages on, with the search kept; no console errors and
//! nothing scrolls sideways.

use crate::browser::{
    click, connect, console_errors, overflows, sign_in, start_driver, type_into, wait_text,
};
use crate::harness::{ADMIN_PASSWORD, TestApp};
use fantoccini::{Client, Locator};
use qcity_store::Actor;
use qcity_store::demo::registers::demo_uscc;
use qcity_store::enterprises::{self, EnterpriseInput};

/// Waits (up to 10 s) until the address holds `part`.
async fn wait_query(c: &Client, part: &str) {
    for _ in 0..100 {
        if c.current_url()
            .await
            .is_ok_and(|u| u.query().unwrap_or_default().contains(part))
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the address never held {part}");
}

async fn click_css(c: &Client, css: &str) {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .click()
        .await
        .expect("click");
}

#[tokio::test]
async fn the_office_searches_two_words_sorts_and_pages_enterprises_on_a_phone() {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    let today = chrono::Local::now().date_naive();
    for n in 0..61u64 {
        let input = EnterpriseInput {
            code: demo_uscc(500 + n),
            name: format!("郑州惠济第{n:02}食品有限公司"),
            address: format!("惠济区长兴路{n}号"),
            town: "长兴路街道".into(),
            ..Default::default()
        };
        enterprises::create(&app.store, &Actor::system("t"), &input, today)
            .await
            .unwrap();
    }
    let other = EnterpriseInput {
        code: demo_uscc(900),
        name: "郑州惠济机械厂".into(),
        ..Default::default()
    };
    enterprises::create(&app.store, &Actor::system("t"), &other, today)
        .await
        .unwrap();
    let base = format!("http://{}", app.addr);
    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    sign_in(&c, &base, "admin", ADMIN_PASSWORD).await;
    c.goto(&format!("{base}/enterprises")).await.unwrap();
    wait_text(&c, "#ent-total", "共 62 家企业").await;

    type_into(&c, "ent-q", "惠济 食品").await;
    click(&c, "ent-search-submit").await;
    wait_text(&c, "#ent-total", "共 61 家企业").await;
    wait_text(&c, ".pager-status", "第 1 / 2 页，共 61 条").await;

    click_css(&c, "th a[data-sort='code']").await;
    wait_query(&c, "sort=code&dir=asc").await;
    let sorted = c
        .find(Locator::Css(
            "th[aria-sort='ascending'] a[data-sort='code']",
        ))
        .await;
    assert!(sorted.is_ok(), "the code header says it sorts ascending");
    click_css(&c, "th a[data-sort='code']").await;
    wait_query(&c, "sort=code&dir=desc").await;
    let first = c
        .find(Locator::Css("#enterprises tbody tr td code"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(first, demo_uscc(560), "the highest code first");

    click_css(&c, ".pager a[rel='next']").await;
    wait_text(&c, ".pager-status", "第 2 / 2 页，共 61 条").await;
    let url = c.current_url().await.unwrap();
    let query = url.query().unwrap_or_default();
    assert!(
        query.contains("q=") && query.contains("sort=code") && query.contains("page=2"),
        "{query}"
    );
    assert_eq!(
        c.find_all(Locator::Css("#enterprises tbody tr"))
            .await
            .unwrap()
            .len(),
        11
    );
    assert!(!overflows(&c).await, "the list scrolls sideways at 390 px");
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
