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

#[test]
fn a_killed_server_loses_no_acknowledged_write_and_its_audit_chain_verifies() {
    tokio_runtime().block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = crate::delivery::fresh_database(dir.path()).await;
        let data = dir.path().join("data");
        let run = |args: &[&str]| {
            let mut all = vec!["--database-url", url.as_str(), "--today", "2014-12-15"];
            all.extend_from_slice(args);
            qcity_env(&data, &all, None, &[])
        };
        let demo = run(&["demo"]);
        assert!(demo.status.success(), "{}", out(&demo));
        let created = run(&["token", "create", "--username", "zjfj"]);
        assert!(created.status.success(), "{}", out(&created));
        let token = String::from_utf8_lossy(&created.stdout).trim().to_string();

        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let mut server = serve(&data, &url, port);
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
        let mut server = serve(&data, &url, port);
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
