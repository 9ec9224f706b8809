//! `qcity bench city`: a province of districts on PostgreSQL. Builds `districts` districts
//! (in cities of 15) × `units` member units × `per_unit` obligations next to the seed district
//! (惠济区, in 郑州市, which the province holds too), recounts the kept figures, starts
//! `qcity serve` on that database and times, as the leaders would open them, the province's
//! and the city's district comparison and a district's leaders' view, each against a plain
//! read of the rows it summarises, measured in the same run; and the server's memory.

use crate::bench::{Load, SETTLE, after_change, drive, rss_mb, sign_in, time_runs, wait_healthy};
use anyhow::{Context, Result, bail};
use futures_util::TryStreamExt;
use qcity_domain::role::Role;
use qcity_store::obligations::{ObligationStatus, tallies};
use qcity_store::{Actor, Store, users};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Districts per city in the generated province.
const PER_CITY: usize = 15;
const PASSWORD: &str = "Bench-Pass-2014";

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub struct Size {
    pub districts: usize,
    pub units: usize,
    pub per_unit: usize,
    /// Sampling records over the province (ten years), spread evenly over the districts.
    pub samples: usize,
}

pub async fn run(server: &str, size: Size, runs: usize, seconds: u64) -> Result<()> {
    let name = format!("qcity_bench_city_{}", std::process::id());
    let admin = qcity_web::modules::connect(&format!("{server}/postgres")).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin.pool)
        .await
        .context("cannot create the bench database")?;
    let url = format!("{server}/{name}");
    let outcome = measure(&url, &size, runs, seconds).await;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&admin.pool)
        .await?;
    outcome
}

async fn measure(url: &str, size: &Size, runs: usize, seconds: u64) -> Result<()> {
    let store = qcity_web::modules::connect(url).await?;
    if store.backend != qcity_store::Backend::Postgres {
        bail!("qcity bench city runs on PostgreSQL (--postgres postgres://…)");
    }
    store.migrate().await?;
    let today = chrono::NaiveDate::from_ymd_opt(2015, 6, 30).context("date")?;
    crate::first_start::ensure_plan(&store, today).await?;
    let started = Instant::now();
    build_province(&store, size).await?;
    let (samples, values) = build_registers(&store, size.samples).await?;
    let built = started.elapsed().as_secs_f64();
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM obligations")
        .fetch_one(&store.pool)
        .await?;
    let started = Instant::now();
    let cells = tallies::rebuild(&store, today).await?;
    let recount = started.elapsed().as_secs_f64();
    accounts(&store).await?;
    // The hourly jobs' first run (reminders and escalations over every obligation), done here
    // as a server's supervisor would on its first start, so that the views are timed in the
    // steady state; the server started below finds this hour claimed.
    let started = Instant::now();
    let ladder = Default::default();
    let ctx = qcity_store::schema::JobCtx {
        today,
        ladder: &ladder,
    };
    let slot = qcity_store::job_runs::hourly_slot(today, chrono::Utc::now());
    for (name, ran) in
        qcity_store::job_runs::run_all(&store, &ctx, &slot, qcity_store::job_runs::node_name())
            .await
    {
        ran.with_context(|| format!("job {name}"))?;
    }
    let jobs = started.elapsed().as_secs_f64();
    let notices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notices")
        .fetch_one(&store.pool)
        .await?;
    let zz: i64 = sqlx::query_scalar("SELECT id FROM org_units WHERE code = 'ZZ'")
        .fetch_one(&store.pool)
        .await?;
    let huiji: i64 = sqlx::query_scalar("SELECT id FROM org_units WHERE code = 'HUIJI'")
        .fetch_one(&store.pool)
        .await?;
    println!(
        "qcity bench city: {} districts × {} units × {} = {total} obligations (with the seed district's), {samples} sampling records and {values} indicator values over ten years, PostgreSQL; built in {built:.0} s; the daily recount of {cells} figure cells took {recount:.1} s",
        size.districts + 1,
        size.units,
        size.per_unit
    );
    println!("the hourly jobs' first run over the province sent {notices} notices in {jobs:.0} s");

    // Plain reads of the rows each view summarises (streamed, counted).
    let plain = |filter: String| {
        let store = store.clone();
        async move {
            sqlx::query(&format!(
                "SELECT owner_id, unit_id, category, status, due_date, submitted_on, accepted_on \
                 FROM obligations WHERE retired = 0 {filter}"
            ))
            .fetch(&store.pool)
            .try_fold(0usize, |n, _| async move { Ok(n + 1) })
            .await
        }
    };
    let in_city =
        format!("AND owner_id IN (SELECT id FROM org_units WHERE parent_id = {zz} OR id = {zz})");
    let plain_province = time_runs(runs, || plain(String::new())).await?;
    let plain_city = time_runs(runs, || plain(in_city.clone())).await?;
    let plain_district = time_runs(runs, || plain(format!("AND owner_id = {huiji}"))).await?;
    // The registers' comparisons summarise a year's rows of every district.
    let stream = |sql: &'static str| {
        let store = store.clone();
        async move {
            sqlx::query(sql)
                .fetch(&store.pool)
                .try_fold(0usize, |n, _| async move { Ok(n + 1) })
                .await
        }
    };
    let plain_samples = time_runs(runs, || {
        stream("SELECT owner_id, level, stage, kind, ccc, category, passed FROM sampling WHERE year = 2015")
    })
    .await?;
    let plain_values = time_runs(runs, || {
        stream("SELECT owner_id, indicator, value, numerator, denominator FROM indicator_values WHERE year = 2015 AND status = 'approved'")
    })
    .await?;

    // The views, through a server on this database.
    let dir = std::env::temp_dir().join(format!("qcity-bench-city-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let exe = std::env::current_exe().context("cannot find the qcity binary")?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(&exe)
        .args([
            "--data-dir",
            &dir.to_string_lossy(),
            "--database-url",
            url,
            "--today",
            &today.to_string(),
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
        ])
        .env("QCITY_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let server = Server(child);
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .default_headers(crate::bench::browser_headers())
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    wait_healthy(&client, &base).await?;
    let idle_rss = rss_mb(server.0.id());
    let views = [
        (
            "province: 区县对比",
            "bench.province",
            "/supervision/districts",
        ),
        ("city: 区县对比", "bench.city", "/supervision/districts"),
        ("district: 领导视图", "bench.leader", "/leader"),
        ("district: 督查总览", "bench.leader", "/supervision"),
        (
            "province: 抽查区县对比",
            "bench.province",
            "/sampling/districts?year=2015",
        ),
        (
            "province: 指标区县对比",
            "bench.province",
            "/indicators/districts?year=2015",
        ),
    ];
    let unit_code: String = sqlx::query_scalar(
        "SELECT code FROM org_units WHERE parent_id = $1 AND kind = 'member' ORDER BY id LIMIT 1",
    )
    .bind(huiji)
    .fetch_one(&store.pool)
    .await?;
    let mut timed = Vec::new();
    for (label, user, path) in views {
        let cookie = sign_in(&client, &base, user, PASSWORD).await?;
        let one = time_runs(runs, || {
            let (client, cookie) = (client.clone(), cookie.clone());
            let url = format!("{base}{path}");
            async move {
                let res = client.get(url).header("cookie", cookie).send().await?;
                res.error_for_status()?.bytes().await
            }
        })
        .await?;
        // The same view just after a change (the kept views compute their figures again),
        // and a moment after one (the server's refresher has computed them again).
        let mut after = [0.0; 2];
        for (time, settle) in after.iter_mut().zip([Duration::ZERO, SETTLE]) {
            let url = format!("{base}{path}");
            *time = after_change(&store, &client, &url, &cookie, &unit_code, runs, settle).await?;
        }
        let [changed, settled] = after;
        let load: Load = drive(
            &client,
            &format!("{base}{path}"),
            &cookie,
            8,
            Duration::from_secs(seconds.max(1)),
        )
        .await;
        timed.push((label, one, changed, settled, load));
    }
    let loaded_rss = rss_mb(server.0.id());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);

    println!("median of {runs} runs; plain reads stream the rows a view summarises:");
    println!("  plain read, province ({total} rows)     {plain_province:>9.1} ms");
    println!("  plain read, 郑州市's districts          {plain_city:>9.1} ms");
    println!("  plain read, 惠济区                      {plain_district:>9.1} ms");
    println!("  plain read, the province's 2015 sampling {plain_samples:>9.1} ms");
    println!("  plain read, the province's 2015 values   {plain_values:>9.1} ms");
    let baseline = [
        plain_province,
        plain_city,
        plain_district,
        plain_district,
        plain_samples,
        plain_values,
    ];
    for ((label, one, after_change, settled, load), base) in timed.iter().zip(baseline) {
        println!(
            "  {label:<22} one request {one:>7.1} ms, just after a change {after_change:>7.1} ms  ratio {:.3} × its plain read (target < 100 ms), {:.1} s after one {settled:>6.1} ms (refreshed); 8 clients: {:.0} req/s, median {:.1} ms, errors {}",
            after_change / base,
            SETTLE.as_secs_f64(),
            load.requests as f64 / load.seconds,
            load.median_ms,
            load.errors
        );
    }
    println!("  server memory (RSS): {idle_rss:.0} MB at start, {loaded_rss:.0} MB after the load");
    Ok(())
}

/// The province (`BP`) above the seed's city (郑州市), more cities, and their districts with
/// member units and obligations, generated by the database itself.
async fn build_province(store: &Store, size: &Size) -> Result<()> {
    let stamp = "2014-01-01T00:00:00Z";
    let mut tx = store.begin().await?;
    let province: i64 = sqlx::query_scalar(
        "INSERT INTO org_units (code, name, kind, created_at, updated_at) \
         VALUES ('BP', '河南省', 'province', $1, $1) RETURNING id",
    )
    .bind(stamp)
    .fetch_one(&mut *tx)
    .await?;
    sqlx::query("UPDATE org_units SET parent_id = $1 WHERE code = 'ZZ'")
        .bind(province)
        .execute(&mut *tx)
        .await?;
    let cities = size.districts.div_ceil(PER_CITY);
    for c in 0..cities {
        // 郑州市 holds the seed district and the first city's generated ones.
        let city: i64 = if c == 0 {
            sqlx::query_scalar("SELECT id FROM org_units WHERE code = 'ZZ'")
                .fetch_one(&mut *tx)
                .await?
        } else {
            sqlx::query_scalar(
                "INSERT INTO org_units (code, name, kind, parent_id, created_at, updated_at) \
                 VALUES ($1, $2, 'city', $3, $4, $4) RETURNING id",
            )
            .bind(format!("BC{c:02}"))
            .bind(format!("第{c}市"))
            .bind(province)
            .bind(stamp)
            .fetch_one(&mut *tx)
            .await?
        };
        let first = c * PER_CITY;
        let last = ((c + 1) * PER_CITY).min(size.districts);
        sqlx::query(
            "INSERT INTO org_units (code, name, kind, parent_id, created_at, updated_at) \
             SELECT 'BD' || lpad(d::text, 3, '0'), '第' || d || '区', 'district', $1, $2, $2 \
             FROM generate_series($3::int, $4::int) d",
        )
        .bind(city)
        .bind(stamp)
        .bind(first as i32)
        .bind(last as i32 - 1)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "INSERT INTO org_units (code, name, kind, parent_id, created_at, updated_at) \
         SELECT d.code || 'U' || lpad(u::text, 2, '0'), d.name || '单位' || u, 'member', d.id, $1, $1 \
         FROM org_units d CROSS JOIN generate_series(1, $2::int) u WHERE d.code LIKE 'BD%'",
    )
    .bind(stamp)
    .bind(size.units as i32)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    // The seed district's member units get as many obligations as a generated district's.
    let statuses = ObligationStatus::ALL
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ");
    let handed: Vec<String> = ObligationStatus::ALL
        .iter()
        .filter(|s| s.is_handed_in())
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    let accepted = ObligationStatus::Accepted.as_str();
    // One statement per district keeps each transaction (and its WAL) modest.
    let districts: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM org_units WHERE kind = 'district'")
            .fetch_all(&store.pool)
            .await?;
    for d in districts {
        sqlx::query(&format!(
            "INSERT INTO obligations (content_code, category, unit_id, duty, period_key, due_date, original_due, \
             times, status, submitted_on, accepted_on, created_at, updated_at, owner_id) \
             SELECT c.cat || '.' || (k % 5 + 1) || '.' || (k / 55 + 101), c.cat, u.id, 'undertaking', 'once', \
                    c.due, c.due, 1, c.status, \
                    CASE WHEN c.status IN ({handed}) THEN '2015-' || c.month || '-20' END, \
                    CASE WHEN c.status = '{accepted}' THEN '2015-' || c.month || '-25' END, \
                    'x', 'x', u.parent_id \
             FROM (SELECT id, parent_id FROM org_units WHERE parent_id = $1 AND kind = 'member' \
                   ORDER BY id LIMIT $2) u \
             CROSS JOIN generate_series(0, $3::int - 1) k \
             CROSS JOIN LATERAL (SELECT ((k % 11) + 1)::text AS cat, \
                    lpad(((k % 12) + 1)::text, 2, '0') AS month, \
                    '2015-' || lpad(((k % 12) + 1)::text, 2, '0') || '-28' AS due, \
                    (ARRAY[{statuses}])[(k + u.id) % {n} + 1] AS status) c",
            handed = handed.join(", "),
            n = ObligationStatus::ALL.len(),
        ))
        .bind(d)
        .bind(size.units as i64)
        .bind(size.per_unit as i32)
        .execute(&store.pool)
        .await?;
    }
    sqlx::query("ANALYZE").execute(&store.pool).await?;
    Ok(())
}

/// Every district's registers, generated by the database itself: 100 enterprises and
/// `samples` / districts sampling records over 2006–2015 each (one in fifty failed), with the
/// kept pass-rate counts recounted from them as the importer keeps them; and one approved
/// value a year for each of the plan's indicators, rates with their counts. Returns the
/// numbers of records and values.
async fn build_registers(store: &Store, samples: usize) -> Result<(i64, i64)> {
    let districts: Vec<i64> =
        sqlx::query_scalar("SELECT id FROM org_units WHERE kind = 'district' ORDER BY id")
            .fetch_all(&store.pool)
            .await?;
    let per_district = samples / districts.len().max(1);
    let (_, plan) = qcity_store::plan::current(store)
        .await?
        .context("the seed plan")?;
    let indicators: Vec<String> = plan.indicators.iter().map(|i| i.code.clone()).collect();
    // Loaded without the sampling indexes and the enterprise reference, which are built and
    // checked once afterwards as the migrations define them (maintaining them row by row would
    // make the load, not the views, the bench).
    for sql in [
        "ALTER TABLE sampling DROP CONSTRAINT sampling_enterprise_id_fkey",
        "ALTER TABLE sampling DROP CONSTRAINT sampling_report_no_key",
        "DROP INDEX sampling_enterprise",
        "DROP INDEX sampling_owner_year",
        "DROP INDEX sampling_owner_sampled",
    ] {
        sqlx::query(sql).execute(&store.pool).await?;
    }
    for d in &districts {
        sqlx::query(
            "INSERT INTO enterprises (code, code_kind, name, address, industry, town, chief_quality_officer, \
             contact, created_at, updated_at, owner_id) \
             SELECT 'BE' || $1 || '-' || e, 'uscc', '企业' || $1 || '-' || e, '', '制造业', '', '', '', 'x', 'x', $1 \
             FROM generate_series(0, 99) e",
        )
        .bind(d)
        .execute(&store.pool)
        .await?;
        sqlx::query(
            "INSERT INTO sampling (report_no, plan, level, stage, enterprise_id, product, category, kind, ccc, \
             batch, sampled_on, reported_on, year, passed, failed_items, agency, fingerprint, recorded_by, \
             recorded_at, owner_id) \
             SELECT 'BS' || $1 || '-' || k, '', (ARRAY['national', 'provincial', 'city', 'district'])[k % 4 + 1], \
                    (ARRAY['production', 'circulation'])[k % 2 + 1], f.first + k % 100, c.cat || '样品', c.cat, \
                    c.kind, c.ccc, '', (2006 + k % 10) || '-' || lpad((k % 12 + 1)::text, 2, '0') || '-15', NULL, \
                    2006 + k % 10, CASE WHEN (k * 7 + $1) % 50 = 0 THEN 0 ELSE 1 END, '', '检验院', md5(k::text), \
                    'system:bench', 'x', $1 \
             FROM generate_series(0, $2::int - 1) k \
             CROSS JOIN (SELECT MIN(id) AS first FROM enterprises WHERE owner_id = $1) f \
             CROSS JOIN LATERAL (SELECT (ARRAY['电线电缆', '家用电器', '建筑用钢筋', '人造板', '食用植物油', '糕点', '蔬菜', '畜禽肉'])[k % 8 + 1] AS cat, \
                    (ARRAY['industrial', 'industrial', 'industrial', 'industrial', 'food', 'food', 'agricultural', 'agricultural'])[k % 8 + 1] AS kind, \
                    CASE WHEN k % 8 < 2 THEN 1 ELSE 0 END AS ccc) c",
        )
        .bind(d)
        .bind(per_district as i32)
        .execute(&store.pool)
        .await?;
    }
    for sql in [
        "ALTER TABLE sampling ADD CONSTRAINT sampling_report_no_key UNIQUE (report_no)",
        "ALTER TABLE sampling ADD CONSTRAINT sampling_enterprise_id_fkey \
         FOREIGN KEY (enterprise_id) REFERENCES enterprises(id)",
        "CREATE INDEX sampling_enterprise ON sampling(enterprise_id)",
        "CREATE INDEX sampling_owner_year ON sampling(owner_id, year, category)",
        "CREATE INDEX sampling_owner_sampled ON sampling(owner_id, sampled_on)",
    ] {
        sqlx::query(sql).execute(&store.pool).await?;
    }
    sqlx::query("DELETE FROM sampling_stats")
        .execute(&store.pool)
        .await?;
    sqlx::query(
        "INSERT INTO sampling_stats (owner_id, year, level, stage, kind, ccc, category, batches, passed) \
         SELECT owner_id, year, level, stage, kind, ccc, category, COUNT(*), CAST(SUM(passed) AS BIGINT) \
         FROM sampling GROUP BY owner_id, year, level, stage, kind, ccc, category",
    )
    .execute(&store.pool)
    .await?;
    // Version numbers are unique per indicator and year across districts: the district's id.
    let codes = indicators
        .iter()
        .map(|c| format!("('{}')", c.replace('\'', "''")))
        .collect::<Vec<_>>()
        .join(", ");
    sqlx::query(&format!(
        "INSERT INTO indicator_values (indicator, measure, year, value, judged, comment, source, status, \
         version, unit_id, entered_by, entered_at, owner_id, numerator, denominator) \
         SELECT i.code, '', y, 90 + (d.id + y) % 10, NULL, '', 'bench', 'approved', d.id, NULL, 'system:bench', 'x', \
                d.id, 90 + (d.id + y) % 10, 100 \
         FROM org_units d CROSS JOIN (VALUES {codes}) AS i(code) CROSS JOIN generate_series(2006, 2015) y \
         WHERE d.kind = 'district'"
    ))
    .execute(&store.pool)
    .await?;
    sqlx::query("ANALYZE").execute(&store.pool).await?;
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&store.pool)
            .await
    };
    Ok((
        count("SELECT COUNT(*) FROM sampling").await?,
        count("SELECT COUNT(*) FROM indicator_values").await?,
    ))
}

/// A leader of the province, of 郑州市 and of 惠济区.
async fn accounts(store: &Store) -> Result<()> {
    let system = Actor::system("bench");
    for (username, unit) in [
        ("bench.province", "BP"),
        ("bench.city", "ZZ"),
        ("bench.leader", "HUIJI"),
    ] {
        users::create(
            store,
            &system,
            users::NewUser {
                username,
                display_name: username,
                role: Role::Leader,
                unit_code: Some(unit),
                password: PASSWORD,
                must_change_password: false,
            },
        )
        .await?;
    }
    Ok(())
}
