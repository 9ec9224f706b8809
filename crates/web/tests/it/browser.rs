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

struct Driver {
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

async fn start_driver() -> Option<(Driver, String)> {
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
    let child = Command::new(driver)
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
    panic!("chromedriver did not start");
}

async fn connect(driver: &Driver, browser: &str, profile: &std::path::Path) -> Client {
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": browser,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--window-size=390,844", format!("--user-data-dir={}", profile.display())],
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

async fn console_errors(c: &Client) -> Vec<String> {
    let log = c.issue_cmd(BrowserLog).await.expect("read the browser log");
    log.as_array()
        .map(|entries| {
            entries
                .iter()
                .filter(|e| e["level"] == "SEVERE" || e["level"] == "WARNING")
                .map(|e| e["message"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

async fn text_of(c: &Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .expect(css)
        .text()
        .await
        .expect("text")
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
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    assert_eq!(text_of(&c, "h1").await, "登录");
    c.find(Locator::Id("username"))
        .await
        .unwrap()
        .send_keys("clerk")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys("First-Pass-1")
        .await
        .unwrap();
    c.find(Locator::Id("login-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    // Forced to change the one-time password first.
    assert_eq!(c.current_url().await.unwrap().path(), "/password");
    assert_eq!(text_of(&c, "h1").await, "修改密码");
    c.find(Locator::Id("current"))
        .await
        .unwrap()
        .send_keys("First-Pass-1")
        .await
        .unwrap();
    c.find(Locator::Id("new_password"))
        .await
        .unwrap()
        .send_keys("weak")
        .await
        .unwrap();
    c.find(Locator::Id("confirm"))
        .await
        .unwrap()
        .send_keys("weak")
        .await
        .unwrap();
    c.find(Locator::Id("password-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        text_of(&c, "#new_password-error").await,
        "密码至少需要 8 位。"
    );
    c.find(Locator::Id("current"))
        .await
        .unwrap()
        .send_keys("First-Pass-1")
        .await
        .unwrap();
    c.find(Locator::Id("new_password"))
        .await
        .unwrap()
        .send_keys("Second-Pass-2")
        .await
        .unwrap();
    c.find(Locator::Id("confirm"))
        .await
        .unwrap()
        .send_keys("Second-Pass-2")
        .await
        .unwrap();
    c.find(Locator::Id("password-submit"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(&c, "#password-done").await, "密码已修改。");

    // Switch to English and back; the whole page follows.
    c.find(Locator::Id("lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(&c, "h1").await, "Change password");
    c.goto(&format!("{base}/")).await.unwrap();
    assert_eq!(text_of(&c, "h1").await, "Overview");
    assert_eq!(text_of(&c, "#logout").await, "Sign out");
    c.find(Locator::Id("lang-switch"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(text_of(&c, "h1").await, "工作概览");

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

    // Sign out, and the old password no longer works.
    c.find(Locator::Id("logout"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(c.current_url().await.unwrap().path().starts_with("/login"));
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}
