//! `qcity bench`: measures the server as a client would, against a baseline in the same run.
//!
//! `bench http` builds the demo data in a fresh SQLite database, starts `qcity serve` on it as a
//! child process and reads its idle memory, then drives a bare axum route (one handler, no
//! middleware, in a process of its own: `qcity bench bare`), the server's `/healthz` and
//! signed-in pages with N concurrent clients for a fixed time each, and reports throughput and
//! latency with each page's ratio to both baselines.

use anyhow::{Context, Result, bail};
use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Load {
    pub requests: usize,
    pub errors: usize,
    pub seconds: f64,
    pub median_ms: f64,
    pub p95_ms: f64,
}

impl Load {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.seconds
    }
}

/// The overviews: timed one request at a time (kept, just after a change, refreshed) and
/// under load.
const OVERVIEWS: [&str; 4] = ["/", "/leader", "/supervision", "/indicators"];
/// The office's everyday signed-in pages beside them (registers, lists, notices), under load
/// only: the goal is for any signed-in page, not only the kept ones.
const EVERYDAY: &[&str] = &[
    "/obligations",
    "/plan/tasks",
    "/sampling",
    "/enterprises",
    "/complaints",
    "/notices",
    "/assessment",
    "/units",
];

pub async fn http(clients: usize, seconds: u64) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("qcity-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe().context("cannot find the qcity binary")?;
    let data = dir.to_string_lossy().to_string();
    let demo = Command::new(&exe)
        .args(["--data-dir", &data, "demo"])
        .env("QCITY_LOG", "warn")
        .stdout(Stdio::null())
        .status()?;
    if !demo.success() {
        bail!("could not build the demo data");
    }
    let mut add = Command::new(&exe)
        .args([
            "--data-dir",
            &data,
            "user",
            "add",
            "--username",
            "bench",
            "--role",
            "office",
            "--unit",
            "QQB",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()?;
    add.stdin
        .take()
        .context("stdin")?
        .write_all(b"Bench-Pass-2014\n")?;
    if !add.wait()?.success() {
        bail!("could not create the bench account");
    }
    let free_port = || -> Result<u16> {
        Ok(std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port())
    };
    let port = free_port()?;
    let child = Command::new(&exe)
        .args([
            "--data-dir",
            &data,
            "--today",
            crate::demo::DEMO_TODAY,
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("QCITY_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let server = Server(child);
    let bare_port = free_port()?;
    let bare = Server(
        Command::new(&exe)
            .args([
                "bench",
                "bare",
                "--listen",
                &format!("127.0.0.1:{bare_port}"),
            ])
            .stdout(Stdio::null())
            .spawn()?,
    );
    let base = format!("http://127.0.0.1:{port}");
    let bare_url = format!("http://127.0.0.1:{bare_port}/");
    let client = reqwest::Client::builder()
        .default_headers(crate::bench::browser_headers())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    wait_healthy(&client, &base).await?;
    wait_answering(&client, &bare_url).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_mb(server.0.id());

    let cookie = sign_in(&client, &base, "bench", "Bench-Pass-2014").await?;

    // One request at a time: a kept view, and the same just after a change.
    let store = qcity_web::modules::connect(&format!(
        "sqlite://{}?mode=rw",
        dir.join("qcity.db").display()
    ))
    .await?;
    let unit_code: String =
        sqlx::query_scalar("SELECT code FROM org_units WHERE kind = 'member' ORDER BY id LIMIT 1")
            .fetch_one(&store.pool)
            .await?;
    let mut single = Vec::new();
    for path in OVERVIEWS {
        let url = format!("{base}{path}");
        let changed = after_change(
            &store,
            &client,
            &url,
            &cookie,
            &unit_code,
            9,
            Duration::ZERO,
        )
        .await?;
        let settled = after_change(&store, &client, &url, &cookie, &unit_code, 5, SETTLE).await?;
        let kept = time_runs(9, || {
            let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
            async move {
                let res = client.get(url).header("cookie", cookie).send().await?;
                res.error_for_status()?.bytes().await
            }
        })
        .await?;
        single.push((path, kept, changed, settled));
    }
    store.pool.close().await;

    let duration = Duration::from_secs(seconds.max(1));
    let bare_load = drive(&client, &bare_url, "", clients, duration).await;
    let healthz = drive(&client, &format!("{base}/healthz"), "", clients, duration).await;
    let mut pages = Vec::new();
    for path in OVERVIEWS.iter().chain(EVERYDAY) {
        let load = drive(
            &client,
            &format!("{base}{path}"),
            &cookie,
            clients,
            duration,
        )
        .await;
        pages.push((path, load));
    }
    let rss_after = rss_mb(server.0.id());
    drop(server);
    drop(bare);
    let _ = std::fs::remove_dir_all(&dir);

    println!(
        "qcity bench http: {clients} concurrent clients, {seconds} s per route, SQLite, the demo data, this machine"
    );
    println!(
        "idle memory (RSS): {idle_rss:.1} MB (target < 80 MB); after load: {rss_after:.1} MB (target < 150 MB)"
    );
    let line = |name: &str, l: &Load| {
        println!(
            "{name:32} {:>8.0} req/s  median {:>6.2} ms  p95 {:>6.2} ms  errors {}",
            l.rps(),
            l.median_ms,
            l.p95_ms,
            l.errors
        )
    };
    line("bare axum route (baseline)", &bare_load);
    line("GET /healthz (baseline)", &healthz);
    for (path, l) in &pages {
        line(&format!("GET {path} signed in"), l);
    }
    println!("one request at a time, median of 9 (target < 5 ms):");
    for (path, kept, changed, settled) in &single {
        println!(
            "  GET {path:12} {kept:>6.2} ms kept; {changed:>6.2} ms just after a change (figures computed again); {settled:>6.2} ms {:.1} s after one (refreshed)",
            SETTLE.as_secs_f64()
        );
    }
    let ratio = |a: &Load, b: &Load| a.rps() / b.rps().max(f64::MIN_POSITIVE);
    println!("/healthz / bare route: {:.2}", ratio(&healthz, &bare_load));
    for (path, l) in &pages {
        println!(
            "{path:12} / bare route {:.2} (target ≥ 0.15)   / healthz {:.2} (target ≥ 0.3)",
            ratio(l, &bare_load),
            ratio(l, &healthz)
        );
    }
    Ok(())
}

/// What a browser sends with every request and a server may act on: the benches ask for
/// gzip as Chromium does (the bodies are timed as they travel, not unpacked).
pub fn browser_headers() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::ACCEPT_ENCODING,
        reqwest::header::HeaderValue::from_static("gzip, deflate, br, zstd"),
    );
    headers
}

/// How long after a change `after_change` waits when it measures the refreshed views: more
/// than the server's refresher takes to see a change made elsewhere (a second) and compute
/// the views again.
pub const SETTLE: Duration = Duration::from_millis(1500);

/// The median time of one request to `url` made `settle` after a change (the contact details
/// of the unit `unit_code`, through the store, audited, in this process: the server sees it
/// by its watermark). Just after it (`settle` zero) the view computes its figures again
/// rather than taking the kept ones; a moment later the server's refresher has done it.
pub async fn after_change(
    store: &qcity_store::Store,
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    unit_code: &str,
    runs: usize,
    settle: Duration,
) -> Result<f64> {
    let mut times = Vec::new();
    for run in 0..runs.max(1) {
        let phone = format!("0371-6{run:07}");
        let contact = qcity_store::units::Contact {
            name: "联络员",
            phone: &phone,
            email: "",
        };
        qcity_store::units::update_contact(
            store,
            &qcity_store::Actor::system("bench"),
            unit_code,
            contact,
        )
        .await?;
        tokio::time::sleep(settle).await;
        let t = Instant::now();
        let res = client.get(url).header("cookie", cookie).send().await?;
        res.error_for_status()?.bytes().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[times.len() / 2])
}

/// The bare axum route `bench http` compares pages with: one handler answering a fixed text,
/// no middleware, no database, in a process of its own like the product's server.
pub async fn bare(listen: &str) -> Result<()> {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(listen).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

/// Waits until `url` answers.
async fn wait_answering(client: &reqwest::Client, url: &str) -> Result<()> {
    for _ in 0..100 {
        if client.get(url).send().await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("{url} did not answer")
}

pub(crate) async fn wait_healthy(client: &reqwest::Client, base: &str) -> Result<()> {
    for _ in 0..100 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("the server did not start")
}

/// N tasks request `url` in a loop until `duration` passes; latencies in milliseconds.
pub(crate) async fn drive(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
    clients: usize,
    duration: Duration,
) -> Load {
    let started = Instant::now();
    let url = Arc::new(url.to_string());
    let cookie = Arc::new(cookie.to_string());
    let mut tasks = Vec::new();
    for _ in 0..clients.max(1) {
        let (client, url, cookie) = (client.clone(), url.clone(), cookie.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while started.elapsed() < duration {
                let t = Instant::now();
                let mut req = client.get(url.as_str());
                if !cookie.is_empty() {
                    req = req.header("cookie", cookie.as_str());
                }
                match req.send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((lat, e)) = t.await {
            all.extend(lat);
            errors += e;
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    all.sort_by(|a, b| a.total_cmp(b));
    let pick = |q: f64| {
        all.get(((all.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Load {
        requests: all.len(),
        errors,
        seconds,
        median_ms: pick(0.5),
        p95_ms: pick(0.95),
    }
}

/// Resident memory of a process, from /proc (Linux).
pub(crate) fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// `qcity bench obligations`: a city of `districts` × `units` × `per_unit` obligations on a
/// fresh SQLite file. Times the office overview (grouped counts over every obligation) and one
/// unit's list against a plain read of the same rows, in the same run.
pub async fn obligations(
    districts: usize,
    units: usize,
    per_unit: usize,
    runs: usize,
) -> Result<()> {
    use qcity_store::{Actor, obligations as ob};
    let dir = std::env::temp_dir().join(format!("qcity-bench-ob-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let store = qcity_web::modules::connect(&url).await?;
    store.migrate().await?;
    let started = Instant::now();
    let statuses = ob::ObligationStatus::ALL;
    let undertaking = ob::Duty::Undertaking;
    let mut tx = store.begin().await?;
    let stamp = "2014-01-01T00:00:00Z";
    let city: i64 = sqlx::Row::try_get(
        &sqlx::query("INSERT INTO org_units (code, name, kind, created_at, updated_at) VALUES ('ZZ', '郑州市', 'city', $1, $1) RETURNING id")
            .bind(stamp)
            .fetch_one(&mut *tx)
            .await?,
        "id",
    )?;
    // (unit id, its district's id): each district runs its own plan (the obligations' owner).
    let mut unit_ids: Vec<(i64, i64)> = Vec::new();
    let mut district_ids = Vec::new();
    for d in 0..districts {
        let district: i64 = sqlx::Row::try_get(
            &sqlx::query("INSERT INTO org_units (code, name, kind, parent_id, created_at, updated_at) VALUES ($1, $2, 'district', $3, $4, $4) RETURNING id")
                .bind(format!("D{d:02}"))
                .bind(format!("第{d}区"))
                .bind(city)
                .bind(stamp)
                .fetch_one(&mut *tx)
                .await?,
            "id",
        )?;
        district_ids.push(district);
        for u in 0..units {
            let code = format!("D{d:02}U{u:02}");
            let row = sqlx::query(
                "INSERT INTO org_units (code, name, kind, parent_id, created_at, updated_at) VALUES ($1, $2, 'member', $3, $4, $4) RETURNING id",
            )
            .bind(&code)
            .bind(format!("单位{code}"))
            .bind(district)
            .bind(stamp)
            .fetch_one(&mut *tx)
            .await?;
            unit_ids.push((sqlx::Row::try_get::<i64, _>(&row, "id")?, district));
        }
    }
    const CHUNK: usize = 200;
    for &(unit_id, owner) in &unit_ids {
        for chunk_start in (0..per_unit).step_by(CHUNK) {
            let n = CHUNK.min(per_unit - chunk_start);
            let mut sql = String::from(
                "INSERT INTO obligations (content_code, category, unit_id, duty, period_key, due_date, original_due, times, status, submitted_on, created_at, updated_at, owner_id) VALUES ",
            );
            for i in 0..n {
                let k = chunk_start + i;
                let (cat, item, content) = (k % 11 + 1, k % 5 + 1, k / 55 + 1);
                let month = k % 12 + 1;
                let due = format!("2014-{month:02}-28");
                let status = statuses[k % statuses.len()];
                let submitted = if status.is_handed_in() {
                    format!("'2014-{month:02}-20'")
                } else {
                    "NULL".into()
                };
                if i > 0 {
                    sql.push(',');
                }
                sql.push_str(&format!(
                    "('{cat}.{item}.{content}', '{cat}', {unit_id}, '{undertaking}', 'once', '{due}', '{due}', 1, '{status}', {submitted}, 'x', 'x', {owner})"
                ));
            }
            sqlx::query(&sql).execute(&mut *tx).await?;
        }
    }
    tx.commit().await?;
    let total = districts * units * per_unit;
    println!(
        "qcity bench obligations: {districts} districts × {units} units × {per_unit} = {total} obligations, SQLite (built in {:.1} s)",
        started.elapsed().as_secs_f64()
    );
    // The first district's office, and the city's roll-up over every district.
    let office = Actor {
        owner_id: district_ids.first().copied(),
        ..Actor::system("bench")
    };
    let today = chrono::NaiveDate::from_ymd_opt(2014, 9, 15).unwrap_or_default();
    let one_unit = "D00U00".to_string();

    let plain_all = time_runs(runs, || async {
        sqlx::query("SELECT id, unit_id, category, status, due_date, submitted_on FROM obligations")
            .fetch_all(&store.pool)
            .await
            .map(|r| r.len())
    })
    .await?;
    let overview = time_runs(runs, || async {
        ob::tallies_sql(&store, &office, today)
            .await
            .map(|t| t.cells.len())
    })
    .await?;
    let plain_district = time_runs(runs, || async {
        sqlx::query("SELECT id, unit_id, category, status, due_date, submitted_on FROM obligations WHERE owner_id = $1")
            .bind(district_ids.first().copied().unwrap_or_default())
            .fetch_all(&store.pool)
            .await
            .map(|r| r.len())
    })
    .await?;
    let city_rollup = time_runs(runs, || async {
        ob::tallies_by_owner(&store, &district_ids, today)
            .await
            .map(|t| t.len())
    })
    .await?;
    let plain_unit = time_runs(runs, || async {
        sqlx::query(
            "SELECT o.* FROM obligations o JOIN org_units u ON u.id = o.unit_id WHERE u.code = $1",
        )
        .bind(&one_unit)
        .fetch_all(&store.pool)
        .await
        .map(|r| r.len())
    })
    .await?;
    let unit_list = time_runs(runs, || async {
        let f = ob::Filter {
            unit: Some(one_unit.clone()),
            ..Default::default()
        };
        ob::list(&store, &office, &f, today).await.map(|l| l.len())
    })
    .await?;
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
    println!("median of {runs} runs:");
    println!(
        "  plain read of all {total} rows        {:>8.1} ms",
        plain_all
    );
    println!(
        "  city roll-up by district (grouped)     {:>8.1} ms  ratio {:.2} × the plain read (target < 100 ms)",
        city_rollup,
        city_rollup / plain_all
    );
    println!(
        "  plain read of one district's {} rows {:>8.1} ms",
        units * per_unit,
        plain_district
    );
    println!(
        "  a district's overview (grouped counts) {:>8.1} ms  ratio {:.2} × the plain read (target < 100 ms)",
        overview,
        overview / plain_district
    );
    println!(
        "  plain read of one unit's {per_unit} rows    {:>8.1} ms",
        plain_unit
    );
    println!(
        "  one unit's obligation list             {:>8.1} ms  ratio {:.2} × the plain read (target < 100 ms)",
        unit_list,
        unit_list / plain_unit
    );
    Ok(())
}

/// Median wall time in milliseconds of `runs` calls.
pub async fn time_runs<F, Fut, T, E>(runs: usize, mut f: F) -> Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = std::result::Result<T, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(times[times.len() / 2])
}

/// Signs in and returns the session cookie (`qcity_sid=…`) to send with later requests.
pub async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    username: &str,
    password: &str,
) -> Result<String> {
    let res = client
        .post(format!("{base}/login"))
        .form(&[("username", username), ("password", password)])
        .send()
        .await?;
    Ok(res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("qcity_sid="))
        .and_then(|v| v.split(';').next())
        .context("sign-in failed")?
        .to_string())
}
