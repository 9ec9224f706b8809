//! Several app servers on one database (issue 16), from the store's side: scheduled jobs are
//! claimed per slot so however many processes tick, each job runs once; evidence bytes kept in
//! a directory or an S3-compatible bucket read back, and rows kept in the database before the
//! setting changed still read; `/healthz` names its process. The two-process story with the
//! built binary is `crates/app/tests/it/multiproc.rs`.

use crate::harness::TestApp;
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::credit;
use qcity_store::enterprises::{self, EnterpriseInput};
use qcity_store::evidence::Upload;
use qcity_store::evidence_store::EvidenceStore;
use qcity_store::job_runs::{self, Ran};
use qcity_store::obligations::{self, Filter, ReportInput};
use qcity_store::schema::{JobCtx, JobSpec};
use qcity_store::{Actor, Store, StoreError};
use qcity_web::Config;
use sqlx::Row;
use std::sync::atomic::{AtomicUsize, Ordering};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2014, 12, 15).unwrap()
}

static COUNTED: AtomicUsize = AtomicUsize::new(0);

/// A job that counts its runs and takes a moment, so the claims overlap.
static COUNTING: JobSpec = JobSpec {
    name: "test-counting",
    run: |_, _| {
        Box::pin(async {
            COUNTED.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            Ok("counted".into())
        })
    },
};

static FAILED_ONCE: AtomicUsize = AtomicUsize::new(0);

/// A job whose first run fails.
static FLAKY: JobSpec = JobSpec {
    name: "test-flaky",
    run: |_, _| {
        Box::pin(async {
            if FAILED_ONCE.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(StoreError::Conflict("first run fails".into()))
            } else {
                Ok("ran".into())
            }
        })
    },
};

#[tokio::test]
async fn a_job_asked_by_many_processes_at_once_runs_once_per_slot() {
    let app = TestApp::with_plan().await;
    let ladder = Default::default();
    let slot = job_runs::hourly_slot(today(), chrono::Utc::now());
    // Six "processes" (tasks on the pool's connections) ask for the same slot at once.
    let mut asks = Vec::new();
    for n in 0..6 {
        let store = app.store.clone();
        let slot = slot.clone();
        asks.push(tokio::spawn(async move {
            let ladder = Default::default();
            let ctx = JobCtx {
                today: today(),
                ladder: &ladder,
            };
            job_runs::run(&store, &COUNTING, &ctx, &slot, &format!("node-{n}"))
                .await
                .unwrap()
        }));
    }
    let mut here = Vec::new();
    let mut elsewhere = Vec::new();
    for ask in asks {
        match ask.await.unwrap() {
            Ran::Here(summary) => here.push(summary),
            Ran::Elsewhere(holder) => elsewhere.push(holder),
        }
    }
    assert_eq!(COUNTED.load(Ordering::SeqCst), 1, "the job ran once");
    assert_eq!(here, ["counted"]);
    assert_eq!(elsewhere.len(), 5);
    let claims = job_runs::of_slot(&app.store, &slot).await.unwrap();
    assert_eq!(claims.len(), 1);
    let claim = &claims[0];
    assert!(
        elsewhere.iter().all(|h| *h == claim.node),
        "the others name the winner {}: {elsewhere:?}",
        claim.node
    );
    assert_eq!(claim.outcome.as_deref(), Some("counted"));
    assert!(claim.finished_at.is_some());

    // The next hour is another slot: it runs again.
    let ctx = JobCtx {
        today: today(),
        ladder: &ladder,
    };
    let next = job_runs::hourly_slot(today(), chrono::Utc::now() + chrono::Duration::hours(1));
    let ran = job_runs::run(&app.store, &COUNTING, &ctx, &next, "node-0")
        .await
        .unwrap();
    assert_eq!(ran, Ran::Here("counted".into()));
    assert_eq!(COUNTED.load(Ordering::SeqCst), 2);

    // A failed run gives its claim back: the next tick in the same hour tries again.
    assert!(
        job_runs::run(&app.store, &FLAKY, &ctx, &slot, "node-0")
            .await
            .is_err()
    );
    let again = job_runs::run(&app.store, &FLAKY, &ctx, &slot, "node-1")
        .await
        .unwrap();
    assert_eq!(again, Ran::Here("ran".into()));
}

#[tokio::test]
async fn the_supervision_ladder_run_by_two_processes_sends_each_reminder_once() {
    let app = TestApp::with_plan().await;
    let count = |store: Store| async move {
        sqlx::query("SELECT COUNT(*) AS n FROM notices WHERE kind <> 'manual'")
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .try_get::<i64, _>("n")
            .unwrap()
    };
    let slot = job_runs::hourly_slot(today(), chrono::Utc::now());
    let a = {
        let (store, slot) = (app.store.clone(), slot.clone());
        tokio::spawn(async move {
            let ladder = Default::default();
            let ctx = JobCtx {
                today: today(),
                ladder: &ladder,
            };
            job_runs::run_all(&store, &ctx, &slot, "node-a")
                .await
                .into_iter()
                .map(|(job, ran)| (job, ran.unwrap()))
                .collect::<Vec<_>>()
        })
    };
    let b = {
        let (store, slot) = (app.store.clone(), slot.clone());
        tokio::spawn(async move {
            let ladder = Default::default();
            let ctx = JobCtx {
                today: today(),
                ladder: &ladder,
            };
            job_runs::run_all(&store, &ctx, &slot, "node-b")
                .await
                .into_iter()
                .map(|(job, ran)| (job, ran.unwrap()))
                .collect::<Vec<_>>()
        })
    };
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let ladder_runs: Vec<&Ran> = a
        .iter()
        .chain(b.iter())
        .filter(|(job, _)| *job == "supervision-ladder")
        .map(|(_, ran)| ran)
        .collect();
    assert_eq!(ladder_runs.len(), 2, "both processes asked");
    let here: Vec<&String> = ladder_runs
        .iter()
        .filter_map(|r| match r {
            Ran::Here(s) => Some(s),
            Ran::Elsewhere(_) => None,
        })
        .collect();
    assert_eq!(here.len(), 1, "one process ran the ladder: {ladder_runs:?}");
    let fired = count(app.store.clone()).await;
    assert!(
        fired > 0,
        "mid-December 2014 calls for reminders and escalations"
    );
    assert!(
        here[0].contains("reminders"),
        "the run says what it sent: {}",
        here[0]
    );
    // Every installed job has one claim for the slot.
    let claims = job_runs::of_slot(&app.store, &slot).await.unwrap();
    let jobs: Vec<&str> = app.store.jobs().map(|j| j.name).collect();
    assert_eq!(claims.len(), jobs.len(), "{claims:?}");

    // The same business date in a later hour: the job runs again and sends nothing new.
    let later = job_runs::hourly_slot(today(), chrono::Utc::now() + chrono::Duration::hours(1));
    let ladder = Default::default();
    let ctx = JobCtx {
        today: today(),
        ladder: &ladder,
    };
    for (_, ran) in job_runs::run_all(&app.store, &ctx, &later, "node-b").await {
        assert!(matches!(ran.unwrap(), Ran::Here(_)));
    }
    assert_eq!(count(app.store.clone()).await, fired);
}

/// An open obligation of 区质监分局 and an actor of its staff.
async fn zjfj_work(store: &Store) -> (i64, Actor) {
    let ob = obligations::list(
        store,
        &Actor::system("t"),
        &Filter {
            unit: Some("ZJFJ".into()),
            open_only: true,
            ..Default::default()
        },
        today(),
    )
    .await
    .unwrap()
    .into_iter()
    .next()
    .expect("区质监分局 has open work");
    let staff = Actor {
        user_id: None,
        username: "zjfj.staff".into(),
        role: Some(Role::Unit),
        unit_id: Some(ob.unit_id),
        owner_id: None,
        ip: "127.0.0.1".into(),
        request_id: String::new(),
    };
    (ob.id, staff)
}

/// Reports progress with one PDF (`tag` makes its bytes unique); the report id and the hash.
async fn report_with_file(store: &Store, ob: i64, staff: &Actor, tag: &str) -> (i64, String) {
    let bytes = [PDF, tag.as_bytes()].concat();
    let input = ReportInput {
        body: format!("进度 {tag}"),
        percent: 40,
        submit: false,
        form_token: format!("multiproc-evidence-{tag}-xxxxxxxx"),
        files: vec![Upload {
            filename: format!("{tag}.pdf"),
            bytes,
        }],
    };
    let report = obligations::report(store, staff, ob, input, &Default::default(), today())
        .await
        .unwrap();
    let files = obligations::reports(store, staff, ob)
        .await
        .unwrap()
        .into_iter()
        .find(|r| r.id == report)
        .expect("the report is listed")
        .files;
    assert_eq!(files.len(), 1);
    (report, files[0].sha256.clone())
}

async fn stored_row(store: &Store, sha256: &str) -> (String, usize) {
    let row = sqlx::query("SELECT stored, data FROM evidence_files WHERE sha256 = $1")
        .bind(sha256)
        .fetch_one(&store.pool)
        .await
        .unwrap();
    (
        row.try_get("stored").unwrap(),
        row.try_get::<Vec<u8>, _>("data").unwrap().len(),
    )
}

/// Files kept in `objects` read back through it; rows kept in the database before still read;
/// a row kept in objects is not read as empty bytes by a store without them.
async fn evidence_story(app: &TestApp, objects: EvidenceStore, tag: &str) {
    let (ob, staff) = zjfj_work(&app.store).await;
    let (old_report, old_sha) =
        report_with_file(&app.store, ob, &staff, &format!("{tag}-old")).await;
    assert_eq!(stored_row(&app.store, &old_sha).await.0, "db");

    let moved = app.store.clone().with_evidence_store(objects);
    let (new_report, new_sha) = report_with_file(&moved, ob, &staff, &format!("{tag}-new")).await;
    assert_eq!(stored_row(&moved, &new_sha).await, ("objects".into(), 0));
    let (name, mime, bytes) = obligations::evidence(&moved, &staff, new_report, &new_sha)
        .await
        .unwrap();
    assert_eq!(name, format!("{tag}-new.pdf"));
    assert_eq!(mime, "application/pdf");
    assert_eq!(bytes, [PDF, format!("{tag}-new").as_bytes()].concat());
    let (_, _, old_bytes) = obligations::evidence(&moved, &staff, old_report, &old_sha)
        .await
        .unwrap();
    assert_eq!(old_bytes, [PDF, format!("{tag}-old").as_bytes()].concat());
    assert!(matches!(
        obligations::evidence(&app.store, &staff, new_report, &new_sha).await,
        Err(StoreError::Evidence(_))
    ));

    // A credit event's evidence takes the same way.
    let enterprise = enterprises::create(
        &moved,
        &Actor::system("office"),
        &EnterpriseInput {
            code: "914403001922038216".into(),
            name: "示例电缆有限公司".into(),
            ..Default::default()
        },
        today(),
    )
    .await
    .unwrap();
    let sent = vec![Upload {
        filename: "获奖证书.pdf".into(),
        bytes: [PDF, format!("{tag}-credit").as_bytes()].concat(),
    }];
    let checked = qcity_store::evidence::check(&sent, &Default::default()).unwrap();
    let event = credit::NewEvent {
        kind: qcity_domain::credit::EventKind::Award,
        occurred_on: today(),
        serious: false,
        summary: "荣获郑州市质量奖".into(),
    };
    let id = credit::add_event(&moved, &staff, enterprise, &event, &checked, today())
        .await
        .unwrap();
    assert_eq!(
        stored_row(&moved, &checked[0].sha256).await,
        ("objects".into(), 0)
    );
    let (_, _, bytes) = credit::event_evidence(&moved, &staff, enterprise, id)
        .await
        .unwrap();
    assert_eq!(bytes, sent[0].bytes);
}

#[tokio::test]
async fn evidence_in_a_directory_reads_back_beside_older_rows_in_the_database() {
    let app = TestApp::with_plan().await;
    let dir = tempfile::tempdir().unwrap();
    let objects = EvidenceStore::open("dir", dir.path()).unwrap();
    evidence_story(&app, objects, "dir").await;
    let kept: Vec<_> = std::fs::read_dir(dir.path().join("evidence"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(
        kept.len(),
        2,
        "the report's and the credit event's files, each named by its hash"
    );
}

/// The bucket named by `QCITY_TEST_S3` (an S3-compatible server such as `moto_server`), made
/// when missing; `None` (with a note) when the variable is not set.
pub async fn test_bucket(name: &str) -> Option<String> {
    let Ok(endpoint) = std::env::var("QCITY_TEST_S3") else {
        eprintln!("skipped: set QCITY_TEST_S3=http://127.0.0.1:5000 (moto_server) to test S3");
        return None;
    };
    let endpoint = endpoint.trim_end_matches('/').to_string();
    // moto accepts an unsigned request to create a bucket; an existing one answers 409 or 200.
    let res = reqwest::Client::new()
        .put(format!("{endpoint}/{name}"))
        .send()
        .await
        .expect("QCITY_TEST_S3 is set but the S3 server is not reachable");
    assert!(
        res.status().is_success() || res.status() == 409,
        "creating bucket {name}: {}",
        res.status()
    );
    Some(format!("s3://{name}?endpoint={endpoint}&region=us-east-1"))
}

#[tokio::test]
async fn evidence_in_an_s3_bucket_reads_back_beside_older_rows_in_the_database() {
    let bucket = format!("qcity-web-{}", &qcity_store::auth::random_token()[..8]).to_lowercase();
    let Some(setting) = test_bucket(&bucket).await else {
        return;
    };
    // moto takes any key; the variables must be set or the client asks the instance metadata.
    assert!(
        std::env::var("AWS_ACCESS_KEY_ID").is_ok(),
        "QCITY_TEST_S3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (any value for moto)"
    );
    let app = TestApp::with_plan().await;
    let objects = EvidenceStore::open(&setting, std::path::Path::new("/nonexistent")).unwrap();
    evidence_story(&app, objects, "s3").await;
}

#[tokio::test]
async fn healthz_names_the_process_that_answers() {
    let app = TestApp::spawn_with(Config::default()).await;
    let res = app.client().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let node = res
        .headers()
        .get("x-qcity-node")
        .and_then(|v| v.to_str().ok())
        .map(String::from)
        .expect("the answer names its process");
    assert_eq!(node, job_runs::node_name());
    let text = res.text().await.unwrap();
    assert_eq!(text, format!("ok\nnode: {node}\n"));
}
