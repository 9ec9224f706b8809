//! In a real Chromium through chromedriver: sign in, forced password change, language switch,
//! at phone width, failing on any console error (CSP violations included).
//!
//! Runs when chromedriver and chromium are installed; with QCITY_E2E=1 their absence is a failure
//! (CI sets it), otherwise the test says it was skipped.

use crate::harness::TestApp;
use fantoccini::{Client, ClientBuilder, Locator};
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::users::{self, NewUser};
use std::process::{Child, Command, Stdio};

pub(crate) struct Driver {
    child: Child,
    port: u16,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn find(candidates: &[&str]) -> Option<String> {
    candidates
        .iter()
        .find(|p| std::path::Path::new(p).exists())
        .map(|p| p.to_string())
}

pub(crate) async fn start_driver() -> Option<(Driver, String)> {
    let driver = find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let browser = find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let (Some(driver), Some(browser)) = (driver, browser) else {
        assert!(
            std::env::var("QCITY_E2E").is_err(),
            "QCITY_E2E is set but chromium/chromedriver are not installed"
        );
        eprintln!("SKIPPED browser test: install chromium and chromium-driver (Debian) to run it");
        return None;
    };
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
        l.local_addr().ok()?.port()
    };
    let mut child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Some((Driver { child, port }, browser));
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("chromedriver did not start");
}

pub(crate) async fn connect(driver: &Driver, browser: &str, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": browser,
            // A browser in China asks for Chinese; the page must answer in it.
            "prefs": {"intl.accept_languages": "zh-CN,zh"},
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=390,844", "--lang=zh-CN", format!("--user-data-dir={}", profile.display())],
        }),
    );
    caps.insert(
        "goog:loggingPrefs".into(),
        serde_json::json!({"browser": "ALL"}),
    );
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{}", driver.port))
        .await
        .expect("connect to chromedriver")
}

/// Chromedriver's browser log (console messages, CSP violations, failed loads).
#[derive(Debug)]
struct BrowserLog;

impl fantoccini::wd::WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/se/log",
            session_id.unwrap_or_default()
        ))
    }
    fn method_and_body(&self, _url: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(r#"{"type":"browser"}"#.to_string()),
        )
    }
}

pub(crate) async fn console_errors(c: &Client) -> Vec<String> {
    let log = c.issue_cmd(BrowserLog).await.expect("read the browser log");
    log.as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
                // A form re-rendered with its errors answers 422 by design; Chromium logs the status.
                .filter(|e| {
                    !e["message"]
                        .as_str()
                        .unwrap_or_default()
                        .contains("status of 422")
                })
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits (up to 10 s) until the element shows `expected`: clicks navigate asynchronously.
pub(crate) async fn wait_text(c: &Client, css: &str, expected: &str) {
    let mut last = String::new();
    for _ in 0..100 {
        // The text content, not the rendered text: on a phone the header's tools are folded
        // away behind the menu button, and WebDriver renders a hidden element as "".
        if let Ok(el) = c.find(Locator::Css(css)).await
            && let Ok(Some(t)) = el.prop("textContent").await
        {
            let t = t.trim().to_string();
            if t == expected {
                return;
            }
            last = t;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("`{css}` shows {last:?}, expected {expected:?}");
}

pub(crate) async fn wait_path(c: &Client, prefix: &str) {
    for _ in 0..100 {
        if c.current_url()
            .await
            .is_ok_and(|u| u.path().starts_with(prefix))
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("never reached {prefix}");
}

pub(crate) async fn type_into(c: &Client, id: &str, text: &str) {
    let el = c.find(Locator::Id(id)).await.expect(id);
    el.clear().await.expect("clear");
    el.send_keys(text).await.expect("type");
}

/// Clicks an element; one in the header folded behind the menu button on a phone is reached
/// as a user does, by opening the menu first.
pub(crate) async fn click(c: &Client, id: &str) {
    let el = c.find(Locator::Id(id)).await.expect(id);
    if el.is_displayed().await.unwrap_or(false) {
        el.click().await.expect("click");
        return;
    }
    c.find(Locator::Css("header.top .menu-toggle"))
        .await
        .expect("a menu button when the header is folded")
        .click()
        .await
        .expect("open the menu");
    c.find(Locator::Id(id))
        .await
        .expect(id)
        .click()
        .await
        .expect("click");
}

#[tokio::test]
async fn sign_in_change_password_and_switch_language_in_chromium() {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let app = TestApp::spawn().await;
    users::create(
        &app.store,
        &Actor::system("test"),
        NewUser {
            username: "clerk",
            display_name: "王秘书",
            role: Role::Office,
            unit_code: None,
            password: "First-Pass-1",
            must_change_password: true,
        },
    )
    .await
    .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    let base = format!("http://{}", app.addr);

    c.goto(&format!("{base}/")).await.unwrap();
    wait_path(&c, "/login").await;
    wait_text(&c, "h1", "登录").await;
    type_into(&c, "username", "clerk").await;
    type_into(&c, "password", "First-Pass-1").await;
    click(&c, "login-submit").await;

    // Forced to change the one-time password first; a weak one is refused beside its field.
    wait_path(&c, "/password").await;
    wait_text(&c, "h1", "修改密码").await;
    type_into(&c, "current", "First-Pass-1").await;
    type_into(&c, "new_password", "weak").await;
    type_into(&c, "confirm", "weak").await;
    click(&c, "password-submit").await;
    wait_text(&c, "#new_password-error", "密码至少需要 8 位。").await;
    type_into(&c, "current", "First-Pass-1").await;
    type_into(&c, "new_password", "Second-Pass-2").await;
    type_into(&c, "confirm", "Second-Pass-2").await;
    click(&c, "password-submit").await;
    wait_text(&c, "#password-done", "密码已修改。").await;

    // Switch to English and back; the whole page follows.
    click(&c, "lang-switch").await;
    wait_text(&c, "h1", "Change password").await;
    c.goto(&format!("{base}/")).await.unwrap();
    wait_text(&c, "h1", "Overview").await;
    wait_text(&c, "#logout", "Sign out").await;
    click(&c, "lang-switch").await;
    wait_text(&c, "h1", "工作概览").await;

    // At phone width nothing overflows sideways.
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::Value::Bool(false),
        "the page scrolls sideways at phone width"
    );
    if let Ok(dir) = std::env::var("QCITY_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join("home-phone.png"), png).unwrap();
    }

    click(&c, "logout").await;
    wait_path(&c, "/login").await;
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// Waits (up to 10 s) until the page has left `path`.
pub(crate) async fn wait_left(c: &Client, path: &str) {
    for _ in 0..100 {
        if c.current_url().await.is_ok_and(|u| u.path() != path) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("still on {path}");
}

pub(crate) async fn sign_in(c: &Client, base: &str, username: &str, password: &str) {
    c.goto(&format!("{base}/login")).await.unwrap();
    type_into(c, "username", username).await;
    type_into(c, "password", password).await;
    click(c, "login-submit").await;
    wait_left(c, "/login").await;
}

/// The textarea's current value (what the user sees in it).
pub(crate) async fn value_of(c: &Client, id: &str) -> String {
    c.find(Locator::Id(id))
        .await
        .expect(id)
        .prop("value")
        .await
        .expect("value")
        .unwrap_or_default()
}

#[tokio::test]
async fn a_unit_acknowledges_reports_withdraws_and_resubmits_and_the_office_batch_reviews_on_a_phone()
 {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: chrono::NaiveDate::from_ymd_opt(2014, 12, 20),
        ..Default::default()
    })
    .await;
    crate::harness::create_user(
        &app.store,
        "nw.staff",
        Role::Unit,
        Some("NW"),
        crate::harness::PASSWORD,
    )
    .await;
    let filter = qcity_store::obligations::Filter {
        unit: Some("NW".into()),
        content_prefix: Some("1.1.1".into()),
        ..Default::default()
    };
    let today = chrono::NaiveDate::from_ymd_opt(2014, 12, 20).unwrap();
    let ob = qcity_store::obligations::list(&app.store, &Actor::system("t"), &filter, today)
        .await
        .unwrap()
        .remove(0);
    let files = tempfile::tempdir().unwrap();
    let pdf = files.path().join("落实方案.pdf");
    std::fs::write(
        &pdf,
        b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    )
    .unwrap();
    let txt = files.path().join("notes.txt");
    std::fs::write(&txt, b"plain text").unwrap();
    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    let base = format!("http://{}", app.addr);
    let page = format!("{base}/obligations/{}", ob.id);

    // The unit's staffer acknowledges the task.
    sign_in(&c, &base, "nw.staff", crate::harness::PASSWORD).await;
    c.goto(&page).await.unwrap();
    wait_text(&c, "#ack-state .tag", "未签收").await;
    click(&c, "acknowledge").await;
    wait_text(&c, "#ack-state .tag", "已签收").await;

    // Reports with evidence; a file of the wrong type is named before anything is sent.
    type_into(&c, "body", "已制定本单位落实方案").await;
    type_into(&c, "percent", "60").await;
    let input = c.find(Locator::Id("files")).await.unwrap();
    input.send_keys(&txt.display().to_string()).await.unwrap();
    let refused = c.find(Locator::Id("files-error")).await.unwrap();
    let mut message = String::new();
    for _ in 0..50 {
        message = refused.text().await.unwrap_or_default();
        if !message.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(message.contains("不支持该文件类型"), "{message:?}");
    click(&c, "report-submit").await;
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        c.current_url().await.unwrap().path(),
        format!("/obligations/{}", ob.id)
    );
    assert_eq!(
        value_of(&c, "body").await,
        "已制定本单位落实方案",
        "nothing typed is lost"
    );
    input.clear().await.unwrap();
    input.send_keys(&pdf.display().to_string()).await.unwrap();
    click(&c, "report-submit").await;
    wait_text(&c, "#ob-status", "已报送待审").await;

    // Withdraws before review, edits the report and hands it in again.
    click(&c, "withdraw").await;
    wait_text(&c, "#ob-status", "进行中").await;
    assert_eq!(value_of(&c, "body").await, "已制定本单位落实方案");
    type_into(&c, "body", "已制定本单位落实方案，并报分管领导审定").await;
    click(&c, "report-submit").await;
    wait_text(&c, "#ob-status", "已报送待审").await;
    let overflow = c
        .execute(
            "return document.documentElement.scrollWidth > window.innerWidth + 1;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        overflow,
        serde_json::Value::Bool(false),
        "the obligation page scrolls sideways at phone width"
    );
    click(&c, "logout").await;
    wait_path(&c, "/login").await;

    // The office ticks it on the overview and accepts the selection.
    sign_in(&c, &base, "admin", crate::harness::ADMIN_PASSWORD).await;
    c.goto(&format!("{base}/supervision")).await.unwrap();
    click(&c, &format!("pick-review-{}", ob.id)).await;
    click(&c, "batch-accept").await;
    wait_text(&c, "#done", "已审核 1 项。").await;
    c.goto(&page).await.unwrap();
    wait_text(&c, "#ob-status", "已销号").await;
    let timeline = c
        .find(Locator::Id("timeline"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for step in ["签收", "申请销号", "撤回销号申请", "审核通过"] {
        assert!(timeline.contains(step), "{step} in {timeline}");
    }
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// True when the page scrolls sideways.
pub(crate) async fn overflows(c: &Client) -> bool {
    c.execute(
        "return document.documentElement.scrollWidth > window.innerWidth + 1;",
        vec![],
    )
    .await
    .unwrap()
        == serde_json::Value::Bool(true)
}

/// On a phone, on the demo: the leader's home opens with the headline the leaders' view has,
/// the header folds into one line and its menu reaches 领导视图; an evaluator's home lists the
/// open window and its link opens the rating sheet.
#[tokio::test]
async fn a_leader_reads_the_headline_and_an_evaluator_reaches_the_sheet_on_a_phone() {
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
    for (name, role) in [
        ("leader.phone", Role::Leader),
        ("eval.phone", Role::Evaluator),
    ] {
        crate::harness::create_user(&app.store, name, role, None, crate::harness::PASSWORD).await;
    }
    let district = qcity_store::obligations::tallies_sql(&app.store, &Actor::system("t"), today)
        .await
        .unwrap()
        .district();
    let base = format!("http://{}", app.addr);

    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    sign_in(&c, &base, "leader.phone", crate::harness::PASSWORD).await;
    wait_text(&c, "#headline-completion", &district.completion_text()).await;
    let header: f64 = c
        .execute(
            "return document.querySelector('header.top').getBoundingClientRect().height;",
            vec![],
        )
        .await
        .unwrap()
        .as_f64()
        .unwrap();
    assert!(header < 120.0, "the header takes {header} px of 844");
    assert!(!overflows(&c).await, "the home page scrolls sideways");
    c.find(Locator::Css("header.top .menu-toggle"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("#site-nav a[href='/leader']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_path(&c, "/leader").await;
    wait_text(&c, "#headline-completion", &district.completion_text()).await;
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    sign_in(&c, &base, "eval.phone", crate::harness::PASSWORD).await;
    c.find(Locator::Css("#queue-windows li a"))
        .await
        .expect("the open window on the evaluator's home")
        .click()
        .await
        .unwrap();
    wait_path(&c, "/assessment/windows/").await;
    let url = c.current_url().await.unwrap();
    assert!(url.path().ends_with("/sheet"), "{url}");
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
