//! The import queue (issue 14, "a queue with progress the user can watch"): a registry file is
//! handed over and answered at once; its page shows where it is and then what it did, to the
//! account that sent it and the office only; the API does the same; jobs are claimed once, and
//! a job a stopped server left running is put back, then failed after three starts.

use crate::harness::{ADMIN_PASSWORD, TestApp, body, import_outcome};
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::import_queue::{self, JobState, NewJob, Outcome};
use serde_json::Value;
use std::time::{Duration, Instant};

fn enterprises_csv(rows: std::ops::Range<u64>, bad_line: bool) -> Vec<u8> {
    let mut out = String::from("统一社会信用代码,企业名称,所属街道（镇）\n");
    for i in rows {
        let code = qcity_store::demo::registers::demo_uscc(i);
        out.push_str(&format!("{code},队列企业{i}有限公司,新城街道\n"));
    }
    if bad_line {
        out.push_str("91440300192203821X,坏代码公司,新城街道\n");
    }
    out.into_bytes()
}

fn form(csv: Vec<u8>) -> reqwest::multipart::Form {
    reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv).file_name("企业名录.csv"),
    )
}

#[tokio::test]
async fn a_queued_import_shows_its_outcome_to_its_sender_and_the_office_only() {
    let app = TestApp::spawn().await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let res = office
        .post(app.url("/enterprises/import"))
        .multipart(form(enterprises_csv(0..30, true)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let job_url =
        reqwest::Url::parse(&app.url(res.headers()["location"].to_str().unwrap())).unwrap();
    assert!(job_url.path().starts_with("/imports/"), "{job_url}");
    let (status, page) = import_outcome(&office, res).await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<span class=\"n\">30</span><span class=\"l\">新增</span>"),
        "{page}"
    );
    assert!(page.contains("第32行"), "the bad line is named: {page}");
    assert!(page.contains("企业名录.csv"), "{page}");
    // The registry page lists it among the recent imports.
    let list = body(office.get(app.url("/enterprises")).send().await.unwrap()).await;
    assert!(list.contains(job_url.path()), "{list}");
    assert!(list.contains("已完成，导入 30 行"), "{list}");

    // Another account, even one keeping the registry, does not see it; a unit that does not
    // keep the registry cannot send one.
    let unit = app.user("unit.staff", Role::Unit, Some("ZJFJ")).await;
    let res = unit.get(job_url.clone()).send().await.unwrap();
    assert_eq!(res.status(), 404);
    qcity_store::units::create(
        &app.store,
        &Actor::system("t"),
        "HBJ",
        "区环保局",
        "member",
        Some("HUIJI"),
    )
    .await
    .unwrap();
    let other = app.user("hbj.staff", Role::Unit, Some("HBJ")).await;
    let res = other
        .post(app.url("/enterprises/import"))
        .multipart(form(enterprises_csv(100..101, false)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // No file: the form says so, nothing is queued.
    let res = office
        .post(app.url("/enterprises/import"))
        .multipart(reqwest::multipart::Form::new().text("x", "y"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("请选择要导入的文件"));
    let jobs = import_queue::recent(&app.store, &Actor::system("t"), "enterprises", 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
}

#[tokio::test]
async fn the_api_queues_a_file_and_answers_its_job_until_done() {
    let app = TestApp::spawn().await;
    let token = qcity_store::users::create_token(&app.store, &Actor::system("t"), "admin", "ci")
        .await
        .unwrap();
    let c = reqwest::Client::new();
    let res = c
        .post(app.url("/api/v1/imports/enterprises"))
        .bearer_auth(&token)
        .multipart(form(enterprises_csv(0..500, true)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let job: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
    assert_eq!(location, format!("/api/v1/imports/jobs/{}", job["id"]));
    assert!(["queued", "running", "done"].contains(&job["state"].as_str().unwrap()));
    let start = Instant::now();
    let done = loop {
        let res = c
            .get(app.url(&location))
            .bearer_auth(&token)
            .header("accept-language", "en")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let j: Value = serde_json::from_str(&res.text().await.unwrap()).unwrap();
        if j["state"] == "done" || j["state"] == "failed" {
            break j;
        }
        assert!(start.elapsed() < Duration::from_secs(60), "{j}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["created"], 500);
    assert_eq!(
        done["rows_read"], 501,
        "every row is read, the refused one too"
    );
    assert_eq!(done["problems_total"], 1);
    assert_eq!(done["problems"][0]["line"], 502);
    assert!(
        done["problems"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("row 502"),
        "{done}"
    );
    // Unknown registries and other people's jobs are not found; a file is required.
    let res = c
        .post(app.url("/api/v1/imports/nonsense"))
        .bearer_auth(&token)
        .multipart(form(enterprises_csv(0..1, false)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = c
        .post(app.url("/api/v1/imports/sampling"))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().text("x", "y"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    crate::harness::create_user(&app.store, "eval", Role::Evaluator, None, "pw-Evaluator-1").await;
    let eval = qcity_store::users::create_token(&app.store, &Actor::system("t"), "eval", "ci")
        .await
        .unwrap();
    let res = c
        .get(app.url(&location))
        .bearer_auth(&eval)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = c
        .post(app.url("/api/v1/imports/enterprises"))
        .bearer_auth(&eval)
        .multipart(form(enterprises_csv(0..1, false)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

async fn queue(store: &qcity_store::Store, node: &str, n: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    for i in 0..n {
        let path = format!("/nonexistent/{node}-{i}");
        let new = NewJob {
            kind: "enterprises",
            source: "a.csv",
            file_path: &path,
            size_bytes: 10,
            today: chrono::NaiveDate::from_ymd_opt(2014, 12, 1).unwrap(),
        };
        ids.push(
            import_queue::enqueue(store, node, &Actor::system("t"), new)
                .await
                .unwrap(),
        );
    }
    ids
}

#[tokio::test]
async fn jobs_are_claimed_once_per_node_and_a_stopped_job_is_retried_then_failed() {
    // A store with no server: nothing else claims the jobs.
    let dir = tempfile::tempdir().unwrap();
    let url = crate::harness::fresh_database(dir.path()).await;
    let store = qcity_web::modules::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let mine = queue(&store, "n1", 3).await;
    let theirs = queue(&store, "n2", 1).await;

    let claims = (0..8).map(|_| {
        let store = store.clone();
        tokio::spawn(async move { import_queue::claim(&store, "n1").await.unwrap() })
    });
    let mut claimed: Vec<i64> = Vec::new();
    for c in claims {
        if let Some(job) = c.await.unwrap() {
            claimed.push(job.id);
        }
    }
    claimed.sort();
    assert_eq!(claimed, mine, "each job of the node claimed once");
    let office = Actor::system("t");
    let other = import_queue::get(&store, &office, theirs[0]).await.unwrap();
    assert_eq!(
        other.state,
        JobState::Queued,
        "another node's job is left alone"
    );

    // The server stops: its running jobs go back to the queue, twice more, then fail.
    for start in 2..=import_queue::MAX_ATTEMPTS {
        let (requeued, failed) = import_queue::requeue_stopped(&store, "n1").await.unwrap();
        assert_eq!((requeued, failed.len()), (3, 0), "start {start}");
        for _ in 0..3 {
            assert!(import_queue::claim(&store, "n1").await.unwrap().is_some());
        }
    }
    let (requeued, failed) = import_queue::requeue_stopped(&store, "n1").await.unwrap();
    assert_eq!(requeued, 0);
    assert_eq!(
        failed.len(),
        3,
        "the files of the failed jobs are handed back"
    );
    let job = import_queue::get(&store, &office, mine[0]).await.unwrap();
    assert_eq!(job.state, JobState::Failed);
    match job.outcome {
        Some(Outcome::Stopped { problem }) => {
            assert!(problem.message_zh.contains("已中断 3 次"), "{problem:?}")
        }
        other => panic!("{other:?}"),
    }
    let other = import_queue::get(&store, &office, theirs[0]).await.unwrap();
    assert_eq!(other.state, JobState::Queued);
}
