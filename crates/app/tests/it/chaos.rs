//! Crash safety: the server is killed (SIGKILL) while unit staff hand in reports and enter
//! indicator values at once; started again, every write it acknowledged is there and the audit
//! chain verifies. On SQLite, or on a fresh PostgreSQL database when `QCITY_TEST_PG` is set.

use super::{out, qcity_env, tokio_runtime};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn serve(data: &Path, url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_qcity"))
        .arg("--data-dir")
        .arg(data)
        .args(["--database-url", url, "--today", "2014-12-15", "serve"])
        .args(["--listen", &format!("127.0.0.1:{port}")])
        .env_remove("QCITY_AUDIT_KEY")
        .env_remove("QCITY_AUDIT_HASH")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server")
}

async fn wait_healthy(client: &reqwest::Client, base: &str) {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not come up");
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or(serde_json::Value::Null)
}

/// What one writer had acknowledged: (obligation id, report id).
async fn hand_in_reports(
    client: reqwest::Client,
    base: String,
    token: String,
    ids: Vec<i64>,
    writer: usize,
) -> Vec<(i64, i64)> {
    let mut acknowledged = Vec::new();
    for (n, id) in ids.into_iter().enumerate().cycle().take(400) {
        let body = serde_json::json!({
            "body": format!("第{writer}组第{n}次进度：已完成现场检查"),
            "percent": 50,
            "form_token": format!("chaos-{writer}-{n}-xxxxxxxxxxxx"),
        });
        let sent = client
            .post(format!("{base}/api/v1/obligations/{id}/reports"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await;
        let Ok(res) = sent else {
            break; // the server is gone
        };
        if res.status() == 201 {
            let Ok(text) = res.text().await else { break };
            if let Some(report) = json(&text)["id"].as_i64() {
                acknowledged.push((id, report));
            }
        }
    }
    acknowledged
}

/// The demo in a fresh database, with an API token of 区质监分局's account.
struct Demo {
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    url: String,
    token: String,
}

impl Demo {
    async fn new() -> Demo {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::delivery::fresh_database(dir.path()).await;
        let mut demo = Demo {
            data: dir.path().join("data"),
            _dir: dir,
            url,
            token: String::new(),
        };
        let seeded = demo.run(&["demo"]);
        assert!(seeded.status.success(), "{}", out(&seeded));
        let created = demo.run(&["token", "create", "--username", "zjfj"]);
        assert!(created.status.success(), "{}", out(&created));
        demo.token = String::from_utf8_lossy(&created.stdout).trim().to_string();
        demo
    }

    /// Runs a `qcity` command on the demo's database and data directory.
    fn run(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["--database-url", self.url.as_str(), "--today", "2014-12-15"];
        all.extend_from_slice(args);
        qcity_env(&self.data, &all, None, &[])
    }
}

#[test]
fn a_killed_server_loses_no_acknowledged_write_and_its_audit_chain_verifies() {
    tokio_runtime().block_on(async {
        let demo = Demo::new().await;
        let (data, url, token) = (&demo.data, &demo.url, demo.token.clone());
        let run = |args: &[&str]| demo.run(args);

        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut server = serve(data, url, port);
        wait_healthy(&client, &base).await;
        let list = client
            .get(format!("{base}/api/v1/obligations?status=in_progress"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let mut open: Vec<i64> = json(&list)
            .as_array()
            .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
            .unwrap_or_default();
        if open.is_empty() {
            let list = client
                .get(format!("{base}/api/v1/obligations?status=not_started"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            open = json(&list)
                .as_array()
                .map(|a| a.iter().filter_map(|o| o["id"].as_i64()).collect())
                .unwrap_or_default();
        }
        assert!(
            open.len() >= 4,
            "open obligations of 区质监分局: {}",
            open.len()
        );

        // Four writers at once; the server is killed while they write.
        let writers: Vec<_> = (0..4)
            .map(|w| {
                let ids: Vec<i64> = open.iter().copied().skip(w).step_by(4).collect();
                tokio::spawn(hand_in_reports(
                    client.clone(),
                    base.clone(),
                    token.clone(),
                    ids,
                    w,
                ))
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        server.kill().expect("SIGKILL"); // Child::kill is SIGKILL on Unix
        server.wait().expect("reaped");
        let mut acknowledged = Vec::new();
        for w in writers {
            acknowledged.extend(w.await.unwrap());
        }
        assert!(
            !acknowledged.is_empty(),
            "some reports were acknowledged before the kill"
        );

        // Started again: every acknowledged report is there.
        let mut server = serve(data, url, port);
        wait_healthy(&client, &base).await;
        let mut by_obligation: std::collections::BTreeMap<i64, Vec<i64>> = Default::default();
        for (ob, report) in &acknowledged {
            by_obligation.entry(*ob).or_default().push(*report);
        }
        for (ob, reports) in &by_obligation {
            let text = client
                .get(format!("{base}/api/v1/obligations/{ob}/reports"))
                .bearer_auth(&token)
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            let stored: Vec<i64> = json(&text)
                .as_array()
                .map(|a| a.iter().filter_map(|r| r["id"].as_i64()).collect())
                .unwrap_or_default();
            for r in reports {
                assert!(stored.contains(r), "report {r} of obligation {ob} was lost");
            }
        }
        server.kill().expect("stop");
        server.wait().expect("reaped");
        let verify = run(&["audit", "verify"]);
        assert!(verify.status.success(), "{}", out(&verify));
        eprintln!(
            "chaos: {} acknowledged reports kept after SIGKILL",
            acknowledged.len()
        );
    });
}

/// `n` sampling records as a CSV (distinct report numbers, 500 enterprises).
fn sampling_csv(n: usize) -> Vec<u8> {
    use std::fmt::Write as _;
    let mut out = String::from(
        "报告编号,抽查级别,受检企业统一社会信用代码,受检企业名称,产品名称,产品类别,产品属性,是否CCC目录内产品,抽样日期,检验结论,不合格项目（依据标准）,检验机构\n",
    );
    for i in 0..n {
        let code = qcity_store::demo::registers::demo_uscc((i % 500) as u64);
        let passed = i % 17 != 0;
        let _ = writeln!(
            out,
            "K{i:08},区级,{code},{}企业,电线样品,电线电缆,工业产品,是,2014-{:02}-{:02},{},{},郑州市产品质量监督检验院",
            &code[10..16],
            1 + i % 11,
            1 + i % 28,
            if passed { "合格" } else { "不合格" },
            if passed {
                ""
            } else {
                "标识（GB 5296.1-2012）"
            },
        );
    }
    out.into_bytes()
}

async fn job(client: &reqwest::Client, base: &str, token: &str, id: i64) -> serde_json::Value {
    match client
        .get(format!("{base}/api/v1/imports/jobs/{id}"))
        .bearer_auth(token)
        .send()
        .await
    {
        Ok(res) => json(&res.text().await.unwrap_or_default()),
        Err(_) => serde_json::Value::Null,
    }
}

/// An import is killed half-way: its transaction writes nothing, the queue keeps the job and
/// the file, and the server started again imports the whole file once.
#[test]
fn a_server_killed_during_an_import_imports_the_file_once_after_restart() {
    const ROWS: usize = 120_000;
    tokio_runtime().block_on(async {
        let demo = Demo::new().await;
        let (data, url, token) = (&demo.data, &demo.url, demo.token.clone());
        let run = |args: &[&str]| demo.run(args);

        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut server = serve(data, url, port);
        wait_healthy(&client, &base).await;
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(sampling_csv(ROWS)).file_name("抽查结果.csv"),
        );
        let res = client
            .post(format!("{base}/api/v1/imports/sampling"))
            .bearer_auth(&token)
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        let id = json(&res.text().await.unwrap())["id"].as_i64().unwrap();

        // Killed once the import has read part of the file.
        let start = Instant::now();
        loop {
            let j = job(&client, &base, &token, id).await;
            if j["state"] == "running" && j["rows_read"].as_i64().unwrap_or(0) > 0 {
                break;
            }
            assert!(
                j["state"] != "done",
                "the import ended before it could be killed: {j}"
            );
            assert!(start.elapsed() < Duration::from_secs(60), "{j}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server.kill().expect("SIGKILL");
        server.wait().expect("reaped");

        // Started again: the job runs again from the start, and ends with every row, once.
        let mut server = serve(data, url, port);
        wait_healthy(&client, &base).await;
        let start = Instant::now();
        let done = loop {
            let j = job(&client, &base, &token, id).await;
            if j["state"] == "done" || j["state"] == "failed" {
                break j;
            }
            assert!(start.elapsed() < Duration::from_secs(180), "{j}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        assert_eq!(done["state"], "done", "{done}");
        assert_eq!(done["created"].as_u64(), Some(ROWS as u64), "{done}");
        assert_eq!(done["problems_total"].as_u64(), Some(0), "{done}");
        let uploads = std::fs::read_dir(data.join("uploads"))
            .map(|d| d.count())
            .unwrap_or(0);
        assert_eq!(uploads, 0, "the imported file is removed");
        server.kill().expect("stop");
        server.wait().expect("reaped");
        let verify = run(&["audit", "verify"]);
        assert!(verify.status.success(), "{}", out(&verify));
    });
}
