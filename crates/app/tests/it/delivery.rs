//! Notice delivery through the outbox, against real peers: Python's `smtpd` DebuggingServer as
//! the SMTP relay and a small axum server as the webhook receiver. The back-off schedule is
//! driven by moving `now` forward, never by sleeping.
//!
//! Runs on SQLite in a temp dir, or on a fresh PostgreSQL database when `QCITY_TEST_PG` names a
//! server (e.g. postgres://postgres@127.0.0.1:5432).

// The binary crate has no library target, so the test compiles the module's own source file.
#[allow(dead_code)]
#[path = "../../src/delivery.rs"]
mod imp;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use base64::Engine;
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use hmac::{Hmac, Mac};
use imp::{
    DeliveryConfig, DeliveryReport, DingtalkConfig, SmsConfig, SmsFormat, SmtpConfig,
    WebhookConfig, WecomConfig, deliver_at,
};
use qcity_domain::role::Role;
use qcity_store::outbox::{self, View};
use qcity_store::units::{self, Contact};
use qcity_store::{Actor, Store, StoreError, notices, time_text};
use sha2::Sha256;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

const SECRET: &str = "s3cret-shared-with-the-receiver";

// ---------------------------------------------------------------------------------------------
// Test data through the public store API
// ---------------------------------------------------------------------------------------------

/// A fresh database URL for one test (the same rule as the web crate's harness).
pub(crate) async fn fresh_database(dir: &std::path::Path) -> String {
    match std::env::var("QCITY_TEST_PG") {
        Ok(server) if !server.is_empty() => {
            let admin =
                qcity_web::modules::connect(&format!("{}/postgres", server.trim_end_matches('/')))
                    .await
                    .expect("QCITY_TEST_PG is set but PostgreSQL is not reachable");
            let name = format!("qcity_test_{}", &qcity_store::auth::random_token()[..16]);
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin.pool)
                .await
                .expect("create test database");
            admin.pool.close().await;
            format!("{}/{name}", server.trim_end_matches('/'))
        }
        _ => format!("sqlite://{}?mode=rwc", dir.join("test.db").display()),
    }
}

async fn setup() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = qcity_web::modules::connect(&fresh_database(dir.path()).await)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    (dir, store)
}

fn office() -> Actor {
    Actor::system("test")
}

fn unit_staff(unit_id: i64) -> Actor {
    Actor {
        user_id: None,
        username: "liaison".into(),
        role: Some(Role::Unit),
        unit_id: Some(unit_id),
        owner_id: None,
        ip: "test".into(),
        request_id: String::new(),
    }
}

/// A member unit, with a liaison e-mail when `email` is not empty; returns its id.
async fn unit(store: &Store, code: &str, name: &str, email: &str) -> i64 {
    let u = units::create(store, &office(), code, name, "member", None)
        .await
        .expect("create unit");
    if !email.is_empty() {
        units::update_contact(
            store,
            &office(),
            code,
            Contact {
                name: "联络员",
                phone: "",
                email,
            },
        )
        .await
        .expect("set the contact e-mail");
    }
    u.id
}

async fn duban(
    store: &Store,
    code: &str,
    title: &str,
    respond_by: NaiveDate,
    today: NaiveDate,
) -> i64 {
    notices::issue_duban(
        store,
        &office(),
        code,
        None,
        title,
        "请按期办理。",
        respond_by,
        today,
    )
    .await
    .expect("issue a 督办单")
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("time")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn quiet() -> DeliveryReport {
    DeliveryReport::default()
}

// ---------------------------------------------------------------------------------------------
// A real SMTP server: Python's smtpd DebuggingServer, which prints each message it receives
// ---------------------------------------------------------------------------------------------

struct SmtpSink {
    child: Child,
    port: u16,
    out: Arc<Mutex<String>>,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        let override_python = std::env::var("QCITY_TEST_PYTHON").ok();
        let candidates = override_python
            .iter()
            .map(String::as_str)
            .chain(["python3", "/usr/bin/python3"]);
        let mut python = None;
        for p in candidates {
            let ok = Command::new(p)
                .args(["-W", "ignore", "-c", "import smtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
            if ok {
                python = Some(p.to_string());
                break;
            }
        }
        let python = python.expect(
            "a python3 with the standard `smtpd` module (3.11 or older) is needed as the SMTP \
             server; set QCITY_TEST_PYTHON to one",
        );
        let port = free_port();
        // -u: unbuffered, so each message shows up as soon as it is received.
        let mut child = Command::new(&python)
            .args([
                "-u",
                "-W",
                "ignore",
                "-m",
                "smtpd",
                "-n",
                "-c",
                "DebuggingServer",
            ])
            .arg(format!("127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the SMTP server");
        let stdout = child.stdout.take().expect("smtpd stdout");
        let out = Arc::new(Mutex::new(String::new()));
        let sink = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().expect("sink lock");
                s.push_str(&line);
                s.push('\n');
            }
        });
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(15),
                "the SMTP server did not start on port {port}"
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        SmtpSink { child, port, out }
    }

    fn config(&self) -> SmtpConfig {
        SmtpConfig {
            host: "127.0.0.1".into(),
            port: self.port,
            from: "质量强区办 <office@qcity.example.cn>".into(),
            username: None,
            password: None,
        }
    }

    /// The raw messages received so far.
    fn messages(&self) -> Vec<Vec<u8>> {
        let out = self.out.lock().expect("sink lock").clone();
        let mut messages = Vec::new();
        let mut current: Option<Vec<u8>> = None;
        for line in out.lines() {
            match line {
                "---------- MESSAGE FOLLOWS ----------" => current = Some(Vec::new()),
                "------------ END MESSAGE ------------" => messages.extend(current.take()),
                _ => {
                    if let Some(m) = current.as_mut() {
                        // Each line is printed as a Python bytes literal: b'...'.
                        if let Some(bytes) = py_bytes(line) {
                            m.extend_from_slice(&bytes);
                            m.push(b'\n');
                        }
                    }
                }
            }
        }
        messages
    }

    /// Waits until `n` messages have arrived (the server prints them once DATA is done).
    fn wait_for(&self, n: usize) -> Vec<Mail> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got.iter().map(|m| Mail::parse(m)).collect();
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(10),
                "expected {n} messages, got {}:\n{}",
                got.len(),
                self.out.lock().expect("sink lock")
            );
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // The child this test started, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Decodes a Python bytes literal as `repr()` prints it.
fn py_bytes(s: &str) -> Option<Vec<u8>> {
    let inner = s.strip_prefix('b')?;
    let quote = inner.chars().next().filter(|c| *c == '\'' || *c == '"')?;
    let inner = inner.strip_prefix(quote)?.strip_suffix(quote)?;
    let bytes = inner.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let esc = *bytes.get(i + 1)?;
        i += 2;
        match esc {
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'x' => {
                let hex = std::str::from_utf8(bytes.get(i..i + 2)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            other => out.push(other), // \\ \' \"
        }
    }
    Some(out)
}

/// The parts of a received message the tests look at, decoded.
struct Mail {
    headers: Vec<(String, String)>,
    body: String,
}

impl Mail {
    fn parse(raw: &[u8]) -> Mail {
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with([' ', '\t']) {
                if let Some((_, v)) = headers.last_mut() {
                    v.push_str(line);
                }
            } else if let Some((k, v)) = line.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let mut mail = Mail {
            headers,
            body: String::new(),
        };
        let raw_body = match mail.header("content-transfer-encoding").as_deref() {
            Some("base64") => base64::engine::general_purpose::STANDARD
                .decode(body.split_whitespace().collect::<String>())
                .expect("base64 body"),
            Some("quoted-printable") => quoted_printable(body.as_bytes(), false),
            _ => body.as_bytes().to_vec(),
        };
        mail.body = String::from_utf8(raw_body)
            .expect("UTF-8 body")
            .replace("\r\n", "\n");
        mail
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    }

    /// A header with its RFC 2047 encoded words decoded.
    fn decoded(&self, name: &str) -> String {
        decode_words(&self.header(name).unwrap_or_default())
    }
}

fn quoted_printable(input: &[u8], q_encoding: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'=' if input.get(i + 1) == Some(&b'\n') => i += 2,
            b'=' if input.get(i + 1) == Some(&b'\r') => i += 3,
            b'=' => {
                let hex = std::str::from_utf8(&input[i + 1..i + 3]).expect("QP escape");
                out.push(u8::from_str_radix(hex, 16).expect("QP hex"));
                i += 3;
            }
            b'_' if q_encoding => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Decodes `=?utf-8?b?…?=` / `=?utf-8?q?…?=` words; whitespace between two words is dropped
/// and their bytes joined before UTF-8 decoding, as RFC 2047 says.
fn decode_words(value: &str) -> String {
    let mut out: Vec<u8> = Vec::new();
    let mut rest = value;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let before = &rest[..start];
        if !(after_word && before.trim().is_empty()) {
            out.extend_from_slice(before.as_bytes());
        }
        let word = &rest[start + 2..];
        let mut parts = word.splitn(3, '?');
        let (_charset, enc, tail) = match (parts.next(), parts.next(), parts.next()) {
            (Some(c), Some(e), Some(t)) => (c, e, t),
            _ => break,
        };
        let Some(end) = tail.find("?=") else { break };
        let text = &tail[..end];
        let bytes = if enc.eq_ignore_ascii_case("b") {
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64 word")
        } else {
            quoted_printable(text.as_bytes(), true)
        };
        out.extend_from_slice(&bytes);
        rest = &tail[end + 2..];
        after_word = true;
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).expect("UTF-8 header")
}

// ---------------------------------------------------------------------------------------------
// A real webhook receiver that records what it gets and answers with a settable status
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct Seen {
    signature: String,
    delivery: String,
    content_type: String,
    body: Vec<u8>,
}

#[derive(Clone)]
struct Receiver {
    seen: Arc<Mutex<Vec<Seen>>>,
    status: Arc<AtomicU16>,
    url: String,
}

impl Receiver {
    async fn start(status: u16) -> Receiver {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(status));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let r = Receiver {
            seen,
            status,
            url: format!("http://{addr}/hook"),
        };
        let app = Router::new()
            .route("/hook", post(record))
            .with_state(r.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        r
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("lock").clone()
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::SeqCst);
    }

    fn config(&self) -> WebhookConfig {
        WebhookConfig {
            url: self.url.clone(),
            secret: SECRET.into(),
        }
    }
}

async fn record(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string()
    };
    r.seen.lock().expect("lock").push(Seen {
        signature: h("x-qcity-signature"),
        delivery: h("x-qcity-delivery"),
        content_type: h("content-type"),
        body: body.to_vec(),
    });
    StatusCode::from_u16(r.status.load(Ordering::SeqCst))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

/// What a receiver does: recompute the HMAC over the exact body and compare in constant time.
fn signature_verifies(secret: &str, body: &[u8], header: &str) -> bool {
    let Some(hex_sig) = header.strip_prefix("sha256=") else {
        return false;
    };
    let Ok(sig) = hex::decode(hex_sig) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&sig).is_ok()
}

fn webhook_only(r: &Receiver) -> DeliveryConfig {
    DeliveryConfig {
        webhook: Some(r.config()),
        ..Default::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Fake group robots (WeCom, DingTalk) and a fake SMS gateway: real HTTP on loopback
// ---------------------------------------------------------------------------------------------

const WECOM_KEY: &str = "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa";
const DING_TOKEN: &str = "98975521a1b23c02cdd1a9a08c69511ddf5fa9d2ae387813d1c5348fb";
const DING_SECRET: &str = "SEC19dd84be8c7f3cf71761974f1ed3ef77c1451906ae8ba18acf56103ee";

/// One request a fake endpoint took: its query decoded into pairs, and its body.
#[derive(Clone, Debug)]
struct Hit {
    query: Vec<(String, String)>,
    content_type: String,
    body: Vec<u8>,
}

impl Hit {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

/// A fake endpoint: answers the scripted (status, body) replies in turn, then `ok`. A robot
/// with `secret` checks DingTalk's signature first and refuses a bad one as DingTalk does
/// (HTTP 200, errcode 310000).
#[derive(Clone)]
struct Fake {
    hits: Arc<Mutex<Vec<Hit>>>,
    script: Arc<Mutex<VecDeque<(u16, String)>>>,
    ok: (u16, String),
    secret: Option<String>,
    url: String,
}

impl Fake {
    async fn start(path: &str, ok: (u16, &str), secret: Option<&str>) -> Fake {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let f = Fake {
            hits: Arc::new(Mutex::new(Vec::new())),
            script: Arc::new(Mutex::new(VecDeque::new())),
            ok: (ok.0, ok.1.to_string()),
            secret: secret.map(String::from),
            url: format!("http://{addr}{path}"),
        };
        let app = Router::new()
            .route(path, post(fake_answer))
            .with_state(f.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        f
    }

    async fn robot(path: &str, secret: Option<&str>) -> Fake {
        Fake::start(path, (200, r#"{"errcode":0,"errmsg":"ok"}"#), secret).await
    }

    fn then(&self, status: u16, body: &str) {
        self.script
            .lock()
            .expect("lock")
            .push_back((status, body.to_string()));
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("lock").clone()
    }
}

async fn fake_answer(
    State(f): State<Fake>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, String) {
    let query: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let hit = Hit {
        query,
        content_type: headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        body: body.to_vec(),
    };
    let signed = f
        .secret
        .as_deref()
        .is_none_or(|secret| dingtalk_signature_verifies(secret, &hit));
    f.hits.lock().expect("lock").push(hit);
    if !signed {
        return (
            StatusCode::OK,
            r#"{"errcode":310000,"errmsg":"sign not match"}"#.into(),
        );
    }
    let (status, answer) = f
        .script
        .lock()
        .expect("lock")
        .pop_front()
        .unwrap_or_else(|| f.ok.clone());
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        answer,
    )
}

/// What DingTalk does with a signed call: recompute Base64(HMAC-SHA256(secret,
/// "{timestamp}\n{secret}")) and compare it with the decoded `sign` parameter.
fn dingtalk_signature_verifies(secret: &str, hit: &Hit) -> bool {
    let (Some(ts), Some(sign)) = (hit.param("timestamp"), hit.param("sign")) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(format!("{ts}\n{secret}").as_bytes());
    let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sign) else {
        return false;
    };
    mac.verify_slice(&sig).is_ok()
}

async fn unit_with_phone(store: &Store, code: &str, name: &str, phone: &str) -> i64 {
    let u = units::create(store, &office(), code, name, "member", None)
        .await
        .expect("create unit");
    units::update_contact(
        store,
        &office(),
        code,
        Contact {
            name: "联络员",
            phone,
            email: "",
        },
    )
    .await
    .expect("set the contact phone");
    u.id
}

/// The outbox items of one channel, oldest first.
async fn items(store: &Store, channel: &str) -> Vec<outbox::OutboxItem> {
    let mut all: Vec<_> = outbox::list(store, &office(), View::Recent, 1000)
        .await
        .expect("list")
        .into_iter()
        .filter(|i| i.channel == channel)
        .collect();
    all.sort_by_key(|i| i.id);
    all
}

// ---------------------------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn daily_digest_reaches_a_real_smtp_server_once_per_unit_and_day() {
    let (_dir, store) = setup().await;
    let sink = SmtpSink::start();
    let today = day("2015-03-02");
    let t0 = at(2015, 3, 2, 1, 0);

    unit(&store, "U01", "区市场监管局", "liaison@u01.example.cn").await;
    duban(
        &store,
        "U01",
        "关于食品安全抽检工作的督办单",
        day("2015-03-10"),
        today,
    )
    .await;
    duban(
        &store,
        "U01",
        "关于质量提升行动台账的督办单",
        day("2015-03-12"),
        today,
    )
    .await;
    // An address but nothing unread: no digest.
    unit(&store, "U02", "区教育局", "liaison@u02.example.cn").await;
    // Unread notices but no address: no digest.
    unit(&store, "U03", "区卫健委", "").await;
    duban(
        &store,
        "U03",
        "无邮箱单位的督办单",
        day("2015-03-10"),
        today,
    )
    .await;
    // An address and a notice, already read in the app: no digest.
    let u04 = unit(&store, "U04", "区住建局", "liaison@u04.example.cn").await;
    let read = duban(&store, "U04", "已读的督办单", day("2015-03-10"), today).await;
    notices::mark_read(&store, &unit_staff(u04), read)
        .await
        .expect("mark read");

    // First the relay is down: the digest is queued and fails with a retry, nothing arrives.
    let down = DeliveryConfig {
        smtp: Some(SmtpConfig {
            port: free_port(),
            ..sink.config()
        }),
        ..Default::default()
    };
    let r = deliver_at(&store, &down, today, t0).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            digests_queued: 1,
            failed: 1,
            ..quiet()
        }
    );
    let items = outbox::list(&store, &office(), View::Failed, 10)
        .await
        .expect("list");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].dedupe_key, "digest:U01:2015-03-02");
    assert_eq!(items[0].recipient, "liaison@u01.example.cn");
    assert!(
        items[0]
            .last_error
            .as_deref()
            .is_some_and(|e| e.starts_with("SMTP")),
        "{:?}",
        items[0].last_error
    );

    // The relay is up a minute later: the same digest goes out, once.
    let cfg = DeliveryConfig {
        smtp: Some(sink.config()),
        ..Default::default()
    };
    let r = deliver_at(&store, &cfg, today, t0 + Duration::minutes(1))
        .await
        .expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            delivered: 1,
            ..quiet()
        }
    );
    let mails = sink.wait_for(1);
    let mail = &mails[0];
    assert_eq!(
        mail.decoded("subject"),
        "【质量强区】区市场监管局 2015-03-02 待办提醒（2 条）"
    );
    assert!(
        mail.header("to")
            .is_some_and(|t| t.contains("liaison@u01.example.cn")),
        "{:?}",
        mail.header("to")
    );
    assert!(
        mail.decoded("from").contains("质量强区办")
            && mail.decoded("from").contains("office@qcity.example.cn")
    );
    assert_eq!(
        mail.header("message-id"),
        Some(format!("<qcity-outbox-{}@qcity.example.cn>", items[0].id))
    );
    let ct = mail
        .header("content-type")
        .unwrap_or_default()
        .to_ascii_lowercase();
    assert!(ct.starts_with("text/plain") && ct.contains("utf-8"), "{ct}");
    let body = &mail.body;
    let first = body
        .find("关于食品安全抽检工作的督办单")
        .expect("first notice listed");
    let second = body
        .find("关于质量提升行动台账的督办单")
        .expect("second notice listed");
    assert!(first < second, "{body}");
    assert!(
        body.contains("下发日期：2015-03-02；请于 2015-03-10 前回复"),
        "{body}"
    );
    assert!(body.contains("请于 2015-03-12 前回复"), "{body}");
    assert!(
        !body.contains("已读的督办单") && !body.contains("无邮箱单位"),
        "{body}"
    );
    assert!(
        body.lines()
            .any(|l| l.starts_with("QCity daily digest for U01 on 2015-03-02: 2 unread notice(s)")),
        "{body}"
    );

    // Later the same day, even with a new notice: nothing more is queued or sent.
    duban(
        &store,
        "U01",
        "当天稍后下发的督办单",
        day("2015-03-20"),
        today,
    )
    .await;
    for minutes in [5, 60, 600] {
        let r = deliver_at(&store, &cfg, today, t0 + Duration::minutes(minutes))
            .await
            .expect("run");
        assert_eq!(r, quiet());
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(sink.messages().len(), 1, "a second digest on the same day");
    let all = outbox::list(&store, &office(), View::Recent, 10)
        .await
        .expect("list");
    assert_eq!(all.len(), 1, "no webhook items without a webhook");
    assert_eq!(all[0].state, "delivered");
    assert_eq!(all[0].attempts, 1);
    assert_eq!(
        all[0].delivered_at.as_deref(),
        Some(time_text(t0 + Duration::minutes(1)).as_str())
    );

    // The next day: a new digest with all three unread notices.
    let tomorrow = day("2015-03-03");
    let r = deliver_at(&store, &cfg, tomorrow, t0 + Duration::days(1))
        .await
        .expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            digests_queued: 1,
            delivered: 1,
            ..quiet()
        }
    );
    let mails = sink.wait_for(2);
    assert_eq!(
        mails[1].decoded("subject"),
        "【质量强区】区市场监管局 2015-03-03 待办提醒（3 条）"
    );
    assert!(mails[1].body.contains("当天稍后下发的督办单"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_is_signed_retried_with_backoff_and_delivered_exactly_once() {
    let (_dir, store) = setup().await;
    let hook = Receiver::start(500).await;
    let cfg = webhook_only(&hook);
    let today = day("2015-03-02");
    let t0 = at(2015, 3, 2, 1, 0);
    // The unit has an address, but without SMTP configured no digest is made.
    unit(&store, "U01", "区市场监管局", "liaison@u01.example.cn").await;
    let id = duban(
        &store,
        "U01",
        "关于\"质量月\"活动的督办单",
        day("2015-03-10"),
        today,
    )
    .await;

    // First try: the receiver answers 500.
    let r = deliver_at(&store, &cfg, today, t0).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            webhooks_queued: 1,
            failed: 1,
            ..quiet()
        }
    );
    let seen = hook.seen();
    assert_eq!(seen.len(), 1);
    let first = seen[0].clone();
    assert!(
        signature_verifies(SECRET, &first.body, &first.signature),
        "{first:?}"
    );
    assert!(!signature_verifies(
        "another secret",
        &first.body,
        &first.signature
    ));
    assert_eq!(first.content_type, "application/json");
    let body = String::from_utf8(first.body.clone()).expect("UTF-8 body");
    assert!(
        body.starts_with(&format!("{{\"event\":\"notice\",\"id\":{id},")),
        "{body}"
    );
    let json: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
    assert_eq!(
        json,
        serde_json::json!({
            "event": "notice", "id": id, "unit": "U01", "kind": "manual", "level": "yellow",
            "title": "关于\"质量月\"活动的督办单", "issued_on": "2015-03-02",
            "obligation_id": null, "content_code": null
        })
    );
    let failed = outbox::list(&store, &office(), View::Failed, 10)
        .await
        .expect("list");
    assert_eq!(failed.len(), 1);
    let item = &failed[0];
    assert_eq!(first.delivery, item.id.to_string());
    assert_eq!(item.dedupe_key, format!("webhook:{id}"));
    assert_eq!((item.attempts, item.state), (1, "retrying"));
    assert!(
        item.last_error
            .as_deref()
            .is_some_and(|e| e.contains("500")),
        "{:?}",
        item.last_error
    );
    assert_eq!(item.next_attempt_at, time_text(t0 + Duration::minutes(1)));
    assert!(
        outbox::list(&store, &office(), View::Recent, 10)
            .await
            .expect("list")
            .iter()
            .all(|i| i.channel == "webhook"),
        "no digest without SMTP"
    );

    // Not due yet: nothing is sent.
    let r = deliver_at(&store, &cfg, today, t0 + Duration::seconds(59))
        .await
        .expect("run");
    assert_eq!(r, quiet());
    assert_eq!(hook.seen().len(), 1);

    // Due after one minute: fails again, next try five minutes later.
    let t1 = t0 + Duration::minutes(1);
    let r = deliver_at(&store, &cfg, today, t1).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            failed: 1,
            ..quiet()
        }
    );
    let seen = hook.seen();
    assert_eq!(seen.len(), 2);
    // A retry posts the same bytes, signature and delivery id.
    assert_eq!(
        (&seen[1].body, &seen[1].signature, &seen[1].delivery),
        (&first.body, &first.signature, &first.delivery)
    );
    let item = outbox::get(&store, &office(), item.id).await.expect("get");
    assert_eq!(item.attempts, 2);
    assert_eq!(item.next_attempt_at, time_text(t1 + Duration::minutes(5)));

    // The receiver recovers; the item waits for its time, then is delivered.
    hook.answer(204);
    let r = deliver_at(&store, &cfg, today, t1 + Duration::minutes(4))
        .await
        .expect("run");
    assert_eq!(r, quiet());
    assert_eq!(hook.seen().len(), 2);
    let t2 = t1 + Duration::minutes(5);
    let r = deliver_at(&store, &cfg, today, t2).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            delivered: 1,
            ..quiet()
        }
    );
    assert_eq!(hook.seen().len(), 3);
    let item = outbox::get(&store, &office(), item.id).await.expect("get");
    assert_eq!(item.state, "delivered");
    assert_eq!(item.delivered_at.as_deref(), Some(time_text(t2).as_str()));
    assert!(
        outbox::list(&store, &office(), View::Failed, 10)
            .await
            .expect("list")
            .is_empty()
    );

    // Never again, however late or often it runs.
    for later in [Duration::minutes(1), Duration::days(2), Duration::days(400)] {
        let r = deliver_at(&store, &cfg, today, t2 + later)
            .await
            .expect("run");
        assert_eq!(r, quiet());
    }
    assert_eq!(hook.seen().len(), 3);
    assert!(
        outbox::pending(&store, t2 + Duration::days(400), 100)
            .await
            .expect("pending")
            .is_empty()
    );

    // A new notice gets its own webhook; the old one is not queued again.
    let id2 = duban(&store, "U01", "第二份督办单", day("2015-03-15"), today).await;
    let r = deliver_at(&store, &cfg, today, t2 + Duration::days(401))
        .await
        .expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            webhooks_queued: 1,
            delivered: 1,
            ..quiet()
        }
    );
    let seen = hook.seen();
    assert_eq!(seen.len(), 4);
    let json: serde_json::Value = serde_json::from_slice(&seen[3].body).expect("JSON");
    assert_eq!(json["id"], id2);
    assert!(signature_verifies(
        SECRET,
        &seen[3].body,
        &seen[3].signature
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_endpoint_backs_off_then_gives_up_after_eight_attempts() {
    let (_dir, store) = setup().await;
    let cfg = DeliveryConfig {
        // Nothing listens there: every try is a connection error.
        webhook: Some(WebhookConfig {
            url: format!("http://127.0.0.1:{}/hook", free_port()),
            secret: SECRET.into(),
        }),
        ..Default::default()
    };
    let today = day("2015-03-02");
    unit(&store, "U01", "区市场监管局", "").await;
    duban(&store, "U01", "督办单", day("2015-03-10"), today).await;

    let waits = [
        Duration::minutes(1),
        Duration::minutes(5),
        Duration::minutes(30),
        Duration::hours(2),
        Duration::hours(12),
        Duration::hours(12),
        Duration::hours(12),
    ];
    let mut now = at(2015, 3, 2, 1, 0);
    for attempt in 1..=8_i64 {
        let r = deliver_at(&store, &cfg, today, now).await.expect("run");
        let expected = if attempt < 8 {
            DeliveryReport {
                failed: 1,
                ..quiet()
            }
        } else {
            DeliveryReport {
                gave_up: 1,
                ..quiet()
            }
        };
        assert_eq!(
            r,
            DeliveryReport {
                webhooks_queued: usize::from(attempt == 1),
                ..expected
            },
            "attempt {attempt}"
        );
        let items = outbox::list(&store, &office(), View::Failed, 10)
            .await
            .expect("list");
        assert_eq!(items.len(), 1);
        let item = &items[0];
        assert_eq!(item.attempts, attempt);
        assert!(
            item.last_error
                .as_deref()
                .is_some_and(|e| e.starts_with("POST http://127.0.0.1:")),
            "{:?}",
            item.last_error
        );
        if attempt < 8 {
            let wait = waits[usize::try_from(attempt - 1).expect("index")];
            assert_eq!(item.state, "retrying");
            assert_eq!(
                item.next_attempt_at,
                time_text(now + wait),
                "attempt {attempt}"
            );
            // A second before its time it is left alone.
            let r = deliver_at(&store, &cfg, today, now + wait - Duration::seconds(1))
                .await
                .expect("run");
            assert_eq!(r, quiet(), "attempt {attempt}");
            now += wait;
        } else {
            assert_eq!(item.state, "failed");
        }
    }
    // Given up: it stays visible with its error and is never tried again.
    let r = deliver_at(&store, &cfg, today, now + Duration::days(365))
        .await
        .expect("run");
    assert_eq!(r, quiet());
    assert!(
        outbox::pending(&store, now + Duration::days(365), 100)
            .await
            .expect("pending")
            .is_empty()
    );
    let recent = outbox::list(&store, &office(), View::Recent, 10)
        .await
        .expect("list");
    assert_eq!((recent.len(), recent[0].state), (1, "failed"));
    assert!(recent[0].delivered_at.is_none() && recent[0].last_error.is_some());

    // The outbox is the office's: a unit account may not read it.
    let u = units::get(&store, &office(), "U01").await.expect("unit");
    assert!(matches!(
        outbox::list(&store, &unit_staff(u.id), View::Recent, 10).await,
        Err(StoreError::Forbidden)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_senders_at_once_post_each_notice_once() {
    let (_dir, store) = setup().await;
    let hook = Receiver::start(200).await;
    let cfg = webhook_only(&hook);
    let today = day("2015-03-02");
    let now = at(2015, 3, 2, 1, 0);
    unit(&store, "U01", "区市场监管局", "").await;
    for i in 0..6 {
        duban(
            &store,
            "U01",
            &format!("督办单 {i}"),
            day("2015-03-10"),
            today,
        )
        .await;
    }
    // Two processes (the server and a CLI run, say) delivering at the same moment.
    let (a, b) = tokio::join!(
        deliver_at(&store, &cfg, today, now),
        deliver_at(&store, &cfg, today, now)
    );
    let (a, b) = (a.expect("run a"), b.expect("run b"));
    assert_eq!(a.webhooks_queued + b.webhooks_queued, 6, "{a:?} {b:?}");
    assert_eq!(a.delivered + b.delivered, 6, "{a:?} {b:?}");
    let seen = hook.seen();
    let mut ids: Vec<&str> = seen.iter().map(|s| s.delivery.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!((seen.len(), ids.len()), (6, 6), "{seen:?}");
}

/// The server's interval between delivery runs.
const MINUTE: std::time::Duration = std::time::Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawned_task_delivers_on_its_first_tick() {
    let (_dir, store) = setup().await;
    let hook = Receiver::start(200).await;
    unit(&store, "U01", "区市场监管局", "").await;
    duban(
        &store,
        "U01",
        "督办单",
        day("2099-01-10"),
        day("2099-01-01"),
    )
    .await;
    let task = imp::spawn(store.clone(), webhook_only(&hook), MINUTE, || {
        day("2099-01-01")
    });
    let started = Instant::now();
    while hook.seen().is_empty() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "nothing delivered"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    task.abort();
    let seen = hook.seen();
    assert_eq!(seen.len(), 1);
    assert!(signature_verifies(
        SECRET,
        &seen[0].body,
        &seen[0].signature
    ));

    // With nothing configured the task ends at once.
    let idle = imp::spawn(store.clone(), DeliveryConfig::default(), MINUTE, || {
        day("2099-01-01")
    });
    tokio::time::timeout(std::time::Duration::from_secs(5), idle)
        .await
        .expect("the idle task ends")
        .expect("no panic");
}

#[test]
fn config_is_checked_and_never_prints_secrets() {
    let cfg = DeliveryConfig {
        smtp: Some(SmtpConfig {
            host: "127.0.0.1".into(),
            port: 25,
            from: "质量强区办 <office@qcity.example.cn>".into(),
            username: Some("relay".into()),
            password: Some("smtp-password".into()),
        }),
        webhook: Some(WebhookConfig {
            url: "http://10.0.0.5/qcity".into(),
            secret: SECRET.into(),
        }),
        ..Default::default()
    };
    cfg.validate().expect("valid");
    let shown = format!("{cfg:?}");
    assert!(
        !shown.contains("smtp-password") && !shown.contains(SECRET),
        "{shown}"
    );

    let mut bad = cfg.clone();
    if let Some(s) = bad.smtp.as_mut() {
        s.from = "not an address".into();
    }
    assert!(bad.validate().is_err());
    let mut bad = cfg.clone();
    if let Some(w) = bad.webhook.as_mut() {
        w.url = "ftp://example.org/hook".into();
    }
    assert!(bad.validate().is_err(), "only http and https");
    let mut good = cfg.clone();
    if let Some(w) = good.webhook.as_mut() {
        w.url = "https://example.org/hook".into();
    }
    good.validate().expect("https is spoken (rustls)");
    let mut bad = cfg;
    if let Some(w) = bad.webhook.as_mut() {
        w.secret.clear();
    }
    assert!(bad.validate().is_err());

    // The signature is the documented HMAC: sha256=hex(HMAC-SHA256(secret, body)).
    let sig = imp::sign("key", b"The quick brown fox jumps over the lazy dog").expect("sign");
    assert_eq!(
        sig,
        "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wecom_robot_gets_markdown_and_a_nonzero_errcode_is_retried() {
    let (_dir, store) = setup().await;
    let robot = Fake::robot("/cgi-bin/webhook/send", None).await;
    let cfg = DeliveryConfig {
        wecom: Some(WecomConfig {
            url: robot.url.clone(),
            key: WECOM_KEY.into(),
        }),
        ..Default::default()
    };
    let today = day("2015-03-02");
    let t0 = at(2015, 3, 2, 1, 0);
    unit(&store, "U01", "区市场监管局", "liaison@u01.example.cn").await;
    // Older than the lookback: switching the robot on does not replay the history.
    duban(
        &store,
        "U01",
        "一个月前的督办单",
        day("2015-03-10"),
        day("2015-01-30"),
    )
    .await;
    let first = duban(
        &store,
        "U01",
        "关于\"质量月\"活动的督办单",
        day("2015-03-10"),
        today,
    )
    .await;

    // errcode 0: delivered.
    let r = deliver_at(&store, &cfg, today, t0).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            wecom_queued: 1,
            delivered: 1,
            ..quiet()
        }
    );
    let hits = robot.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].param("key"), Some(WECOM_KEY));
    assert_eq!(hits[0].content_type, "application/json");
    let json = hits[0].json();
    assert_eq!(json["msgtype"], "markdown");
    let content = json["markdown"]["content"].as_str().expect("content");
    assert!(
        content.starts_with("### 关于\"质量月\"活动的督办单\n")
            && content.contains("**单位**：区市场监管局（U01）")
            && content.contains("**回复期限**：2015-03-10")
            && content.contains("请按期办理。"),
        "{content}"
    );
    let done = items(&store, "wecom").await;
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].dedupe_key, format!("wecom:{first}"));
    assert_eq!(done[0].state, "delivered");
    // The office sees which robot, never its key.
    assert!(
        !done[0].recipient.contains(WECOM_KEY) && done[0].recipient.ends_with("(…5aaa)"),
        "{}",
        done[0].recipient
    );

    // A second notice with a body far over WeCom's limit; WeCom answers HTTP 200 with
    // errcode 93000: a failure, retried after the back-off.
    robot.then(200, r#"{"errcode":93000,"errmsg":"invalid webhook url"}"#);
    let long_body = "请各单位对照任务分解表逐项自查。".repeat(400);
    let second = notices::issue_duban(
        &store,
        &office(),
        "U01",
        None,
        "第二份督办单",
        &long_body,
        day("2015-03-12"),
        today,
    )
    .await
    .expect("issue");
    let t1 = t0 + Duration::minutes(10);
    let r = deliver_at(&store, &cfg, today, t1).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            wecom_queued: 1,
            failed: 1,
            ..quiet()
        }
    );
    let hits = robot.hits();
    assert_eq!(hits.len(), 2);
    let content = hits[1].json()["markdown"]["content"]
        .as_str()
        .expect("content")
        .to_string();
    assert!(
        content.len() <= 4096
            && content.contains('…')
            && content.ends_with("请登录质量强区平台查看办理。"),
        "{} bytes",
        content.len()
    );
    let item = items(&store, "wecom").await.pop().expect("the second item");
    assert_eq!(item.dedupe_key, format!("wecom:{second}"));
    assert_eq!((item.attempts, item.state), (1, "retrying"));
    let error = item.last_error.clone().unwrap_or_default();
    assert!(error.contains("errcode 93000"), "{error}");
    assert!(!error.contains(WECOM_KEY), "{error}");
    assert_eq!(item.next_attempt_at, time_text(t1 + Duration::minutes(1)));

    // Retried when due: the same bytes, now delivered.
    let t2 = t1 + Duration::minutes(1);
    let r = deliver_at(&store, &cfg, today, t2).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            delivered: 1,
            ..quiet()
        }
    );
    let hits = robot.hits();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[2].body, hits[1].body);
    assert_eq!(
        outbox::get(&store, &office(), item.id)
            .await
            .expect("get")
            .state,
        "delivered"
    );

    // Nothing is sent twice, however often it runs.
    for later in [Duration::minutes(1), Duration::days(2)] {
        let r = deliver_at(&store, &cfg, today, t2 + later)
            .await
            .expect("run");
        assert_eq!(r, quiet());
    }
    assert_eq!(robot.hits().len(), 3);
    assert_eq!(
        items(&store, "wecom").await.len(),
        2,
        "the old notice stays out"
    );

    // An endpoint that is down: the error is recorded without the key in it.
    duban(&store, "U01", "第三份督办单", day("2015-03-12"), today).await;
    let down = DeliveryConfig {
        wecom: Some(WecomConfig {
            url: format!("http://127.0.0.1:{}/cgi-bin/webhook/send", free_port()),
            key: WECOM_KEY.into(),
        }),
        ..Default::default()
    };
    let r = deliver_at(&store, &down, today, t2 + Duration::days(3))
        .await
        .expect("run");
    assert_eq!((r.wecom_queued, r.failed), (1, 1), "{r:?}");
    let item = items(&store, "wecom").await.pop().expect("the third item");
    let error = item.last_error.unwrap_or_default();
    assert!(
        error.starts_with("WeCom: ") && !error.contains(WECOM_KEY),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dingtalk_robot_checks_the_signature_and_refuses_a_wrong_secret() {
    let (_dir, store) = setup().await;
    let robot = Fake::robot("/robot/send", Some(DING_SECRET)).await;
    let config = |secret: &str| DeliveryConfig {
        dingtalk: Some(DingtalkConfig {
            url: robot.url.clone(),
            token: DING_TOKEN.into(),
            secret: Some(secret.into()),
        }),
        ..Default::default()
    };
    let today = day("2015-03-02");
    let t0 = at(2015, 3, 2, 1, 0);
    unit(&store, "U01", "区市场监管局", "").await;
    let first = duban(
        &store,
        "U01",
        "关于质量提升行动的督办单",
        day("2015-03-10"),
        today,
    )
    .await;

    let r = deliver_at(&store, &config(DING_SECRET), today, t0)
        .await
        .expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            dingtalk_queued: 1,
            delivered: 1,
            ..quiet()
        }
    );
    let hits = robot.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].param("access_token"), Some(DING_TOKEN));
    assert_eq!(
        hits[0].param("timestamp"),
        Some(t0.timestamp_millis().to_string().as_str())
    );
    assert!(dingtalk_signature_verifies(DING_SECRET, &hits[0]));
    let json = hits[0].json();
    assert_eq!(json["msgtype"], "markdown");
    assert_eq!(json["markdown"]["title"], "关于质量提升行动的督办单");
    let text = json["markdown"]["text"].as_str().expect("text");
    assert!(
        text.starts_with("### 关于质量提升行动的督办单\n\n**单位**：区市场监管局（U01）"),
        "{text}"
    );
    let item = items(&store, "dingtalk").await.pop().expect("item");
    assert_eq!(
        (item.dedupe_key.as_str(), item.state),
        (format!("dingtalk:{first}").as_str(), "delivered")
    );
    assert!(!item.recipient.contains(DING_TOKEN), "{}", item.recipient);

    // A wrong secret: DingTalk answers 310000 with HTTP 200; the item waits for a retry.
    let second = duban(&store, "U01", "第二份督办单", day("2015-03-12"), today).await;
    let t1 = t0 + Duration::minutes(5);
    let r = deliver_at(&store, &config("SECwrong-secret"), today, t1)
        .await
        .expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            dingtalk_queued: 1,
            failed: 1,
            ..quiet()
        }
    );
    let hits = robot.hits();
    assert_eq!(hits.len(), 2);
    assert!(!dingtalk_signature_verifies(DING_SECRET, &hits[1]));
    let item = items(&store, "dingtalk").await.pop().expect("item");
    assert_eq!(item.dedupe_key, format!("dingtalk:{second}"));
    assert_eq!((item.attempts, item.state), (1, "retrying"));
    let error = item.last_error.clone().unwrap_or_default();
    assert!(error.contains("errcode 310000"), "{error}");
    assert!(
        !error.contains(DING_TOKEN) && !error.contains(DING_SECRET),
        "{error}"
    );

    // The secret is corrected: the retry is signed afresh, with its own time, and delivered.
    let t2 = t1 + Duration::minutes(1);
    let r = deliver_at(&store, &config(DING_SECRET), today, t2)
        .await
        .expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            delivered: 1,
            ..quiet()
        }
    );
    let hits = robot.hits();
    assert_eq!(hits.len(), 3);
    assert!(dingtalk_signature_verifies(DING_SECRET, &hits[2]));
    assert_eq!(
        hits[2].param("timestamp"),
        Some(t2.timestamp_millis().to_string().as_str())
    );
    assert_eq!(hits[2].body, hits[1].body);
    for later in [Duration::minutes(1), Duration::days(1)] {
        let r = deliver_at(&store, &config(DING_SECRET), today, t2 + later)
            .await
            .expect("run");
        assert_eq!(r, quiet());
    }
    assert_eq!(robot.hits().len(), 3, "nothing is sent twice");
}

#[test]
fn dingtalk_signature_matches_a_known_vector() {
    // Computed independently with the Python sample of DingTalk's doc (加签,
    // open.dingtalk.com/document/robots/customize-robot-security-settings):
    //   hmac.new(secret, f"{ts}\n{secret}", sha256) → base64 → urllib.parse.quote_plus
    let secret = "SEC0123456789abcdef";
    let ts = 1_700_000_000_002_i64;
    let expected = "VGvd0brDJp/nMZtR+XnA3yBIlhowT+TwkRPua0q1/jg=";
    assert_eq!(imp::dingtalk_sign(secret, ts).expect("sign"), expected);

    // The same steps by hand: the string to sign is the timestamp, a newline, the secret.
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(b"1700000000002\nSEC0123456789abcdef");
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()),
        expected
    );

    // In the URL, `+`, `/` and `=` of the Base64 are percent-encoded.
    let url = imp::dingtalk_url(
        &DingtalkConfig {
            url: "http://127.0.0.1:9/robot/send".into(),
            token: "tok".into(),
            secret: Some(secret.into()),
        },
        ts,
    )
    .expect("url");
    assert_eq!(
        url.query(),
        Some(
            "access_token=tok&timestamp=1700000000002\
             &sign=VGvd0brDJp%2FnMZtR%2BXnA3yBIlhowT%2BTwkRPua0q1%2Fjg%3D"
        )
    );
    // Without a secret the robot relies on its keyword or IP list: no signature.
    let plain = imp::dingtalk_url(
        &DingtalkConfig {
            url: "http://127.0.0.1:9/robot/send".into(),
            token: "tok".into(),
            secret: None,
        },
        ts,
    )
    .expect("url");
    assert_eq!(plain.query(), Some("access_token=tok"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sms_gateway_gets_the_templated_title_for_the_liaison_mobile() {
    let (_dir, store) = setup().await;
    let gateway = Fake::start("/sms/send", (200, "OK"), None).await;
    let cfg = DeliveryConfig {
        sms: Some(SmsConfig {
            url: format!("{}?apikey=gateway-secret", gateway.url),
            template: r#"{"to":"{phone}","text":"{text}","ref":"{id}"}"#.into(),
            format: SmsFormat::Json,
        }),
        ..Default::default()
    };
    let today = day("2015-03-02");
    let t0 = at(2015, 3, 2, 1, 0);
    unit_with_phone(&store, "U01", "区市场监管局", "+86 138-0000-1111").await;
    // A landline and no phone at all: no SMS.
    unit_with_phone(&store, "U02", "区教育局", "0371-63211234").await;
    unit(&store, "U03", "区卫健委", "").await;
    let first = duban(
        &store,
        "U01",
        "关于\"质量月\"活动的{phone}督办单",
        day("2015-03-10"),
        today,
    )
    .await;
    duban(&store, "U02", "座机单位的督办单", day("2015-03-10"), today).await;
    duban(
        &store,
        "U03",
        "无电话单位的督办单",
        day("2015-03-10"),
        today,
    )
    .await;

    let r = deliver_at(&store, &cfg, today, t0).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            sms_queued: 1,
            delivered: 1,
            ..quiet()
        }
    );
    let hits = gateway.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].param("apikey"), Some("gateway-secret"));
    assert_eq!(hits[0].content_type, "application/json; charset=utf-8");
    let item = items(&store, "sms").await.pop().expect("item");
    assert_eq!(
        (
            item.dedupe_key.as_str(),
            item.recipient.as_str(),
            item.state
        ),
        (format!("sms:{first}").as_str(), "13800001111", "delivered")
    );
    // Quotes are escaped for JSON; a placeholder inside the text stays text.
    assert_eq!(
        hits[0].json(),
        serde_json::json!({
            "to": "13800001111",
            "text": "关于\"质量月\"活动的{phone}督办单",
            "ref": item.id.to_string(),
        })
    );

    // A long title is cut to two segments; the gateway fails once (HTTP 503), then takes it.
    gateway.then(503, "busy");
    let long_title = "关于开展质量强区创建工作专项督查的通知".repeat(10);
    let second = duban(&store, "U01", &long_title, day("2015-03-12"), today).await;
    let t1 = t0 + Duration::minutes(3);
    let r = deliver_at(&store, &cfg, today, t1).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            sms_queued: 1,
            failed: 1,
            ..quiet()
        }
    );
    let item = items(&store, "sms").await.pop().expect("item");
    assert_eq!(item.dedupe_key, format!("sms:{second}"));
    assert_eq!((item.attempts, item.state), (1, "retrying"));
    let error = item.last_error.clone().unwrap_or_default();
    assert!(error.contains("503") && error.contains("busy"), "{error}");
    assert!(!error.contains("gateway-secret"), "{error}");
    let text = gateway.hits()[1].json()["text"]
        .as_str()
        .expect("text")
        .to_string();
    assert_eq!(text.chars().count(), 140, "{text}");
    assert!(text.ends_with('…'));

    let t2 = t1 + Duration::minutes(1);
    let r = deliver_at(&store, &cfg, today, t2).await.expect("run");
    assert_eq!(
        r,
        DeliveryReport {
            delivered: 1,
            ..quiet()
        }
    );
    let hits = gateway.hits();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[2].body, hits[1].body, "a retry sends the same message");
    for later in [Duration::minutes(1), Duration::days(1)] {
        let r = deliver_at(&store, &cfg, today, t2 + later)
            .await
            .expect("run");
        assert_eq!(r, quiet());
    }
    assert_eq!(gateway.hits().len(), 3, "nothing is sent twice");
    assert_eq!(items(&store, "sms").await.len(), 2);
}

#[test]
fn sms_form_body_is_form_encoded() {
    let cfg = SmsConfig {
        url: "http://127.0.0.1:9/sms".into(),
        template: "mobile={phone}&content={text}&id={id}&x={unknown}".into(),
        format: SmsFormat::Form,
    };
    assert_eq!(
        imp::sms_body(&cfg, "13800001111", "质量 & 安全={text}", 7),
        "mobile=13800001111&content=%E8%B4%A8%E9%87%8F+%26+%E5%AE%89%E5%85%A8%3D%7Btext%7D&id=7&x={unknown}"
    );
}

#[test]
fn connector_settings_are_checked_and_never_printed() {
    let cfg = DeliveryConfig {
        wecom: Some(WecomConfig {
            url: "http://10.0.0.5/cgi-bin/webhook/send".into(),
            key: WECOM_KEY.into(),
        }),
        dingtalk: Some(DingtalkConfig {
            url: "http://10.0.0.5/robot/send".into(),
            token: DING_TOKEN.into(),
            secret: Some(DING_SECRET.into()),
        }),
        sms: Some(SmsConfig {
            url: "http://10.0.0.6/send?apikey=gateway-secret".into(),
            template: r#"{"to":"{phone}","text":"{text}"}"#.into(),
            format: SmsFormat::Json,
        }),
        ..Default::default()
    };
    cfg.validate().expect("valid");
    let shown = format!("{cfg:?}");
    for secret in [WECOM_KEY, DING_TOKEN, DING_SECRET, "gateway-secret"] {
        assert!(!shown.contains(secret), "{shown}");
    }

    // The documented endpoints are https, spoken directly; another scheme is refused by name.
    let mut good = cfg.clone();
    if let Some(w) = good.wecom.as_mut() {
        w.url = imp::WECOM_URL.into();
    }
    good.validate().expect("the official https endpoint");
    let mut bad = cfg.clone();
    if let Some(w) = bad.wecom.as_mut() {
        w.url = "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send".into();
    }
    let e = format!("{:#}", bad.validate().expect_err("ftp"));
    assert!(e.contains("--wecom-url") && !e.contains(WECOM_KEY), "{e}");
    let mut bad = cfg.clone();
    if let Some(d) = bad.dingtalk.as_mut() {
        d.url = format!("http://10.0.0.5/robot/send?access_token={DING_TOKEN}");
    }
    let e = format!(
        "{:#}",
        bad.validate().expect_err("the token has its own setting")
    );
    assert!(
        e.contains("--dingtalk-url") && !e.contains(DING_TOKEN),
        "{e}"
    );
    let mut bad = cfg.clone();
    if let Some(d) = bad.dingtalk.as_mut() {
        d.token = "two words".into();
    }
    assert!(bad.validate().is_err());
    let mut bad = cfg.clone();
    if let Some(s) = bad.sms.as_mut() {
        s.template = r#"{"to":"{phone}"}"#.into();
    }
    assert!(bad.validate().is_err(), "no {{text}}");
    let mut bad = cfg.clone();
    if let Some(s) = bad.sms.as_mut() {
        s.template = r#"{"to":"{phone}","text":{text}}"#.into();
    }
    assert!(bad.validate().is_err(), "the text outside quotes");
    // A gateway that takes the number as a JSON number: a mobile number is one.
    let mut numeric = cfg.clone();
    if let Some(s) = numeric.sms.as_mut() {
        s.template = r#"{"mobile":{phone},"text":"{text}"}"#.into();
    }
    numeric.validate().expect("a numeric phone");
    let mut form = cfg;
    if let Some(s) = form.sms.as_mut() {
        s.template = "to={phone}&text={text}".into();
        s.format = SmsFormat::Form;
    }
    form.validate().expect("a form template");
}

#[test]
fn serve_refuses_a_robot_address_it_cannot_speak_without_printing_its_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    let o = super::qcity_env(
        dir.path(),
        &["serve", "--listen", "127.0.0.1:0"],
        None,
        &[
            ("QCITY_WECOM_KEY", WECOM_KEY),
            (
                "QCITY_WECOM_URL",
                "ftp://qyapi.weixin.qq.com/cgi-bin/webhook/send",
            ),
        ],
    );
    let text = super::out(&o);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains("--wecom-url") && !text.contains(WECOM_KEY),
        "{text}"
    );
}
