//! `qcity bench reports`: on the demo data (built fresh in a temporary SQLite file), the annual
//! quality analysis report and every member unit's score, as the office gets them over HTTP
//! (the report as Word, the scores as Excel) and as the store computes them; against a plain
//! read of the rows they draw on (obligations, unit reports, indicator values, sampling records,
//! ratings, notices) in the same run.

use crate::bench::time_runs;
use anyhow::{Context, Result};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::users::{self, NewUser};
use qcity_store::{Actor, Store, assessment, reports};
use std::time::Instant;

const PASSWORD: &str = "Bench-Pass-2014";

/// The tables the report and the scores read, read plainly (every row, every column).
const BASELINE_TABLES: &[&str] = &[
    "obligations",
    "reports",
    "indicator_values",
    "sampling",
    "assessment_ratings",
    "notices",
];

async fn plain_read(store: &Store) -> std::result::Result<usize, sqlx::Error> {
    let mut n = 0;
    for table in BASELINE_TABLES {
        n += sqlx::query(&format!("SELECT * FROM {table}"))
            .fetch_all(&store.pool)
            .await?
            .len();
    }
    Ok(n)
}

pub async fn run(runs: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("qcity-bench-reports-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("qcity.db").display());
    let store = qcity_web::modules::connect(&url).await?;
    store.migrate().await?;
    let started = Instant::now();
    crate::demo::run(&store).await?;
    println!(
        "demo data built in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let result = measure(&store, runs).await;
    store.pool.close().await;
    let _ = std::fs::remove_dir_all(&dir);
    result
}

async fn measure(store: &Store, runs: usize) -> Result<()> {
    let today = NaiveDate::parse_from_str(crate::demo::DEMO_TODAY, "%Y-%m-%d")?;
    let office = Actor::system("bench");
    let (_, plan) = qcity_store::plan::current(store)
        .await?
        .context("the demo loads the plan")?;
    let annual = reports::list(store, &office)
        .await?
        .into_iter()
        .find(|r| r.period == "2014")
        .context("the demo drafts the 2014 report")?;
    let period = annual.period().context("report period")?;
    let rows = plain_read(store).await?;

    let baseline = time_runs(runs, || plain_read(store)).await?;
    let figures = time_runs(runs, || reports::compute(store, &plan, period, today)).await?;
    let scores = time_runs(runs, || {
        assessment::scores(store, &office, &plan, 2014, today)
    })
    .await?;

    // The same as the office gets them: an in-process server on a free port.
    users::create(
        store,
        &office,
        NewUser {
            username: "bench",
            display_name: "bench",
            role: Role::Office,
            unit_code: None,
            password: PASSWORD,
            must_change_password: false,
        },
    )
    .await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base = format!("http://{}", listener.local_addr()?);
    let state = qcity_web::AppState::new(
        store.clone(),
        qcity_web::Config {
            today: Some(today),
            ..Default::default()
        },
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(qcity_web::serve(listener, state, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let cookie = crate::bench::sign_in(&client, &base, "bench", PASSWORD).await?;
    let docx_url = format!("{base}/reports/{}.docx", annual.id);
    let xlsx_url = format!("{base}/assessment/export.xlsx?period=2014");
    let get = |url: String| {
        let (client, cookie) = (client.clone(), cookie.clone());
        async move {
            let res = client
                .get(&url)
                .header("Cookie", cookie)
                .send()
                .await?
                .error_for_status()?;
            res.bytes().await.map(|b| b.len())
        }
    };
    let docx_bytes = get(docx_url.clone()).await?;
    let xlsx_bytes = get(xlsx_url.clone()).await?;
    let docx = time_runs(runs, || get(docx_url.clone())).await?;
    let xlsx = time_runs(runs, || get(xlsx_url.clone())).await?;
    let _ = stop.send(());
    let _ = server.await;

    println!(
        "qcity bench reports: demo data (SQLite), median of {} runs, this machine",
        runs.max(1)
    );
    println!(
        "baseline: plain read of {rows} rows ({}) {baseline:>9.1} ms",
        BASELINE_TABLES.join(", ")
    );
    let line = |name: &str, ms: f64| {
        println!(
            "{name:44} {ms:>9.1} ms  {:>6.2} × baseline",
            ms / baseline.max(f64::MIN_POSITIVE)
        )
    };
    line("annual report figures (store)", figures);
    line("all unit scores 2014 (store)", scores);
    line(
        &format!("GET annual report .docx ({docx_bytes} bytes)"),
        docx,
    );
    line(&format!("GET unit scores .xlsx ({xlsx_bytes} bytes)"), xlsx);
    println!(
        "report and all scores as the office downloads them: {:.0} ms (target < 2000 ms)",
        docx + xlsx
    );
    Ok(())
}
