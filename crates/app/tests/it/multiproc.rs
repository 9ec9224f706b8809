//! Two `qcity serve` processes on one fresh PostgreSQL database (issue 16), started at the
//! same moment: they set the database up once between them; a session made on one is valid on
//! the other; a file uploaded through one downloads through the other (from an S3-compatible
//! bucket when `QCITY_TEST_S3` names one, else from the database); the reminders and
//! escalations of the business date are run by one of them and each notice's webhook is
//! received once; `/healthz` answers on each and names its process. Skipped (saying so)
//! without `QCITY_TEST_PG`: several servers are a PostgreSQL layout.

use super::{out, qcity_env, tokio_runtime};
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use std::path::Path;
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const AUDIT_KEY: &str = "multi-process-test-audit-key-0123456789abcdef";
const PASSWORD: &str = "Office-Pass-2014";
const TODAY: &str = "2014-12-15";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The settings both servers share: the database, the audit key, the evidence store.
struct Shared {
    url: String,
    evidence: String,
    hook: String,
}

impl Shared {
    fn env(&self) -> Vec<(&str, &str)> {
        vec![
            ("QCITY_AUDIT_KEY", AUDIT_KEY),
            ("QCITY_EVIDENCE_STORE", self.evidence.as_str()),
        ]
    }
}

/// One server: its own data directory (upload spool, audit anchor) and port; its log in a file.
struct Server {
    child: Child,
    base: String,
    log: std::path::PathBuf,
}

impl Server {
    fn start(data: &Path, shared: &Shared, name: &str) -> Server {
        std::fs::create_dir_all(data).expect("data dir");
        let port = free_port();
        let log = data.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("log file");
        let child = Command::new(env!("CARGO_BIN_EXE_qcity"))
            .arg("--data-dir")
            .arg(data)
            .args(["--database-url", &shared.url, "--today", TODAY, "serve"])
            .args(["--listen", &format!("127.0.0.1:{port}")])
            .args(["--webhook-url", &shared.hook, "--webhook-secret", "s3cret"])
            .args(["--delivery-interval-secs", "1"])
            .env_remove("QCITY_AUDIT_HASH")
            .env_remove("QCITY_NODE_NAME")
            .env_remove("QCITY_LOG")
            .envs(shared.env())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("start the server");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Waits for `/healthz`; its answer's process name.
    async fn healthy(&mut self, client: &reqwest::Client) -> String {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(120) {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("the server stopped ({status}):\n{}", self.log());
            }
            if let Ok(r) = client.get(format!("{}/healthz", self.base)).send().await
                && r.status().is_success()
            {
                let node = r
                    .headers()
                    .get("x-qcity-node")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_string();
                let body = r.text().await.unwrap_or_default();
                assert_eq!(body, format!("ok\nnode: {node}\n"));
                return node;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        panic!("the server did not come up:\n{}", self.log());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Notice ids of the webhooks received, in order of arrival.
#[derive(Clone, Default)]
struct Hooks(Arc<Mutex<Vec<i64>>>);

async fn hook(State(h): State<Hooks>, body: Bytes) -> StatusCode {
    let id = serde_json::from_slice::<serde_json::Value>(&body)
        .ok()
        .and_then(|v| v["id"].as_i64())
        .unwrap_or(-1);
    h.0.lock().expect("lock").push(id);
    StatusCode::OK
}

async fn receiver() -> (Hooks, String) {
    let hooks = Hooks::default();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
    let app = Router::new()
        .route("/hook", post(hook))
        .with_state(hooks.clone());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (hooks, url)
}

/// The bucket of `QCITY_TEST_S3`, made here; `database` without it.
async fn evidence_setting() -> String {
    let Ok(endpoint) = std::env::var("QCITY_TEST_S3") else {
        eprintln!(
            "note: QCITY_TEST_S3 is not set, so evidence is kept in the database; set it (moto_server) to test the S3 store"
        );
        return "database".into();
    };
    assert!(
        std::env::var("AWS_ACCESS_KEY_ID").is_ok(),
        "QCITY_TEST_S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any value for moto)"
    );
    let endpoint = endpoint.trim_end_matches('/');
    let bucket = format!(
        "qcity-two-{}",
        &qcity_store::auth::random_token()[..8].to_lowercase()
    );
    let res = reqwest::Client::new()
        .put(format!("{endpoint}/{bucket}"))
        .send()
        .await
        .expect("QCITY_TEST_S3 is set but the S3 server is not reachable");
    assert!(
        res.status().is_success(),
        "creating the bucket: {}",
        res.status()
    );
    format!("s3://{bucket}?endpoint={endpoint}&region=us-east-1")
}

fn count(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or(-1)
}

#[test]
fn two_servers_on_one_postgresql_share_sessions_files_and_send_each_reminder_once() {
    if std::env::var("QCITY_TEST_PG").map_or(true, |v| v.is_empty()) {
        eprintln!(
            "skipped: two app servers share a PostgreSQL database; set QCITY_TEST_PG=postgres://postgres@127.0.0.1:5432"
        );
        return;
    }
    tokio_runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::delivery::fresh_database(dir.path()).await;
        let (hooks, hook_url) = receiver().await;
        let shared = Shared {
            url,
            evidence: evidence_setting().await,
            hook: hook_url,
        };
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();

        // Both start at once on the empty database: one migrates, loads the plan and makes
        // the first account while the other waits, then finds them.
        let mut a = Server::start(&dir.path().join("a"), &shared, "a");
        let mut b = Server::start(&dir.path().join("b"), &shared, "b");
        let node_a = a.healthy(&client).await;
        let node_b = b.healthy(&client).await;
        assert_ne!(node_a, node_b, "each answer names its own process");
        assert!(node_a.ends_with(&format!("-{}", a.child.id())), "{node_a}");
        assert!(node_b.ends_with(&format!("-{}", b.child.id())), "{node_b}");
        let firsts = [a.log(), b.log()]
            .iter()
            .filter(|l| l.contains("first start: created the office account"))
            .count();
        assert_eq!(firsts, 1, "one server made the first account");

        // An office account (a command on the same database), signed in on server A.
        let run = |args: &[&str]| {
            let mut all = vec!["--database-url", shared.url.as_str(), "--today", TODAY];
            all.extend_from_slice(args);
            qcity_env(&dir.path().join("cli"), &all, Some(&format!("{PASSWORD}\n")), &shared.env())
        };
        let added = run(&[
            "user",
            "add",
            "--username",
            "office2",
            "--role",
            "office",
            "--password-stdin",
        ]);
        assert!(added.status.success(), "{}", out(&added));
        let login = client
            .post(format!("{}/login", a.base))
            .form(&[("username", "office2"), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .unwrap();
        assert_eq!(login.status(), 303);
        let cookie = login
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("qcity_sid="))
            .and_then(|c| c.split(';').next())
            .expect("a session cookie")
            .to_string();

        // The session is valid on B; signed out, B sends the visitor to sign in.
        let home = client
            .get(format!("{}/api/v1/indicators", b.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(home.status(), 200, "A's session on B");
        let anonymous = client
            .get(format!("{}/api/v1/indicators", b.base))
            .send()
            .await
            .unwrap();
        assert_eq!(anonymous.status(), 401);

        // A value entered on A, its evidence uploaded through B, downloaded through A.
        let entered = client
            .post(format!("{}/api/v1/indicators/PRD-1/values", a.base))
            .header("cookie", &cookie)
            .header("content-type", "application/json")
            .body(serde_json::json!({"year": 2014, "value": 96.5}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(entered.status(), 201);
        let value: serde_json::Value =
            serde_json::from_str(&entered.text().await.unwrap()).unwrap();
        let id = count(&value["id"]);
        let file = [PDF, b"two servers".as_slice()].concat();
        let form = reqwest::multipart::Form::new().part(
            "files",
            reqwest::multipart::Part::bytes(file.clone()).file_name("监测报告.pdf"),
        );
        let uploaded = client
            .post(format!("{}/api/v1/indicator-values/{id}/files", b.base))
            .header("cookie", &cookie)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(uploaded.status(), 201);
        let files: serde_json::Value =
            serde_json::from_str(&uploaded.text().await.unwrap()).unwrap();
        let sha = files[0]["sha256"].as_str().expect("the file's hash").to_string();
        let download = client
            .get(format!("{}/api/v1/indicator-values/{id}/files/{sha}", a.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(download.status(), 200);
        assert_eq!(download.bytes().await.unwrap().as_ref(), file.as_slice());

        let store = qcity_web::modules::connect(&shared.url).await.unwrap();
        let row = sqlx::query("SELECT stored, LENGTH(data) AS n FROM evidence_files WHERE sha256 = $1")
            .bind(&sha)
            .fetch_one(&store.pool)
            .await
            .unwrap();
        use sqlx::Row;
        let stored: String = row.try_get("stored").unwrap();
        let in_row: i32 = row.try_get("n").unwrap();
        if shared.evidence.starts_with("s3://") {
            assert_eq!((stored.as_str(), in_row), ("objects", 0), "the bytes are in the bucket");
        } else {
            assert_eq!((stored.as_str(), in_row as usize), ("db", file.len()));
        }

        // The supervisors of both ran at start for the same business date: each job was run
        // by one of them, the other saw the claim.
        // (The run may still be going on a busy machine: wait for its outcome.)
        let start = Instant::now();
        let claims = loop {
            let claims = sqlx::query(
                "SELECT job, slot, node, outcome FROM job_runs WHERE job = 'supervision-ladder'",
            )
            .fetch_all(&store.pool)
            .await
            .unwrap();
            let finished = claims
                .iter()
                .all(|c| c.try_get::<Option<String>, _>("outcome").is_ok_and(|o| o.is_some()));
            if (!claims.is_empty() && finished) || start.elapsed() > Duration::from_secs(120) {
                break claims;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(claims.len(), 1, "one claim for the hour");
        let holder: String = claims[0].try_get("node").unwrap();
        assert!(holder == node_a || holder == node_b, "{holder}");
        let outcome: String = claims[0].try_get("outcome").unwrap_or_default();
        assert!(outcome.contains("reminders"), "{outcome}");
        // Each server logs what it did with the job (the runner just after recording it).
        let lines = |logs: &[String], what: &str| {
            logs.iter()
                .flat_map(|l| l.lines())
                .filter(|l| l.contains(what) && l.contains("supervision-ladder"))
                .count()
        };
        let start = Instant::now();
        let logs = loop {
            let logs = [a.log(), b.log()];
            let both = lines(&logs, "job ran") > 0 && lines(&logs, "claimed by another") > 0;
            if both || start.elapsed() > Duration::from_secs(10) {
                break logs;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        let ran = lines(&logs, "job ran");
        let deferred = lines(&logs, "claimed by another process");
        assert_eq!((ran, deferred), (1, 1), "{}\n{}", logs[0], logs[1]);

        // `qcity supervise` for the same date in the same hour finds the claim too (unless the
        // hour turned meanwhile: then it is another slot).
        let slot: String = claims[0].try_get("slot").unwrap();
        let again = run(&["supervise"]);
        assert!(again.status.success(), "{}", out(&again));
        let now_slot = qcity_store::job_runs::hourly_slot(
            TODAY.parse().unwrap(),
            chrono::Utc::now(),
        );
        if now_slot == slot {
            assert!(
                out(&again).contains(&format!("already run in this hour by {holder}")),
                "{}",
                out(&again)
            );
        }

        // Each notice's webhook arrives once, though both servers deliver every second.
        let notices: i64 = sqlx::query("SELECT COUNT(*) AS n FROM notices")
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .try_get("n")
            .unwrap();
        assert!(notices > 0, "mid-December 2014 calls for reminders");
        let arrived = || hooks.0.lock().map(|v| v.len() as i64).unwrap_or(0);
        let start = Instant::now();
        while arrived() < notices && start.elapsed() < Duration::from_secs(90) {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        // A few more delivery rounds on both servers: nothing is sent again.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let mut got = hooks.0.lock().unwrap().clone();
        let received = got.len();
        got.sort_unstable();
        got.dedup();
        assert_eq!(got.len(), received, "no notice's webhook was sent twice");
        assert_eq!(received as i64, notices, "every notice's webhook arrived");
        let delivered: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM outbox WHERE channel = 'webhook' AND delivered_at IS NOT NULL",
        )
        .fetch_one(&store.pool)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
        assert_eq!(delivered, notices);

        // Signed out on A: A refuses the session at once; B, which trusted it a moment ago,
        // refuses it too within its session check interval (5 s by default).
        let seen_on_b = client
            .get(format!("{}/api/v1/indicators", b.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(seen_on_b.status(), 200);
        let out_on_a = client
            .post(format!("{}/logout", a.base))
            .header("cookie", &cookie)
            .header("origin", &a.base)
            .send()
            .await
            .unwrap();
        assert_eq!(out_on_a.status(), 303);
        let signed_out = Instant::now();
        let on_a = client
            .get(format!("{}/api/v1/indicators", a.base))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(on_a.status(), 401, "A forgets the session it ended");
        let refused_by_b = loop {
            let on_b = client
                .get(format!("{}/api/v1/indicators", b.base))
                .header("cookie", &cookie)
                .send()
                .await
                .unwrap();
            if on_b.status() == 401 || signed_out.elapsed() > Duration::from_secs(30) {
                break signed_out.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        assert!(
            refused_by_b < Duration::from_secs(7),
            "B still took the ended session after {refused_by_b:?}"
        );
        store.pool.close().await;
    });
}
