//! `qcity bench sampling`: a CSV of generated sampling records (ten years, 5,000 enterprises)
//! imported into a fresh embedded database, then pass rates and the indicator dashboard's data
//! computed over them; each against the database itself in the same run: the lowest-level
//! insert of the same rows the driver allows (a prepared statement in one transaction, no
//! checks, no indexes; and `COPY` on PostgreSQL), the database's own write of the same rows
//! into a table of the register's definition (the floor of any import of this register), and a
//! plain aggregate query over them. On SQLite files, or on fresh databases of a PostgreSQL
//! server (`--postgres`).

use crate::bench::time_runs;
use anyhow::Result;
use chrono::{Duration, NaiveDate};
use qcity_store::demo::registers::{Lcg, demo_uscc};
use qcity_store::{Actor, Store};
use std::fmt::Write as _;
use std::time::Instant;

const CATEGORIES: &[(&str, &str, bool)] = &[
    ("电线电缆", "工业产品", true),
    ("家用电器", "工业产品", true),
    ("建筑用钢筋", "工业产品", false),
    ("人造板", "工业产品", false),
    ("食用植物油", "食品", false),
    ("糕点", "食品", false),
    ("蔬菜", "农产品", false),
    ("畜禽肉", "农产品", false),
];
const LEVELS: &[&str] = &["国家级", "省级", "市级", "区级"];
const ENTERPRISES: u64 = 5000;

struct Row {
    report_no: String,
    level: &'static str,
    code: String,
    category: &'static str,
    kind: &'static str,
    ccc: bool,
    sampled_on: NaiveDate,
    passed: bool,
}

fn rows(n: usize) -> Vec<Row> {
    let mut rng = Lcg::new(7);
    let start = NaiveDate::from_ymd_opt(2013, 1, 1).unwrap_or_default();
    (0..n)
        .map(|i| {
            let (category, kind, ccc) = CATEGORIES[rng.below(CATEGORIES.len())];
            Row {
                report_no: format!("B{i:08}"),
                level: LEVELS[rng.below(LEVELS.len())],
                code: demo_uscc(rng.below(ENTERPRISES as usize) as u64),
                category,
                kind,
                ccc,
                sampled_on: start + Duration::days(rng.below(3650) as i64),
                passed: !rng.chance(60),
            }
        })
        .collect()
}

fn csv(rows: &[Row]) -> Vec<u8> {
    let mut out = String::with_capacity(rows.len() * 200);
    out.push_str("报告编号,抽查级别,受检企业统一社会信用代码,受检企业名称,产品名称,产品类别,产品属性,是否CCC目录内产品,抽样日期,检验结论,不合格项目（依据标准）,检验机构\n");
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{}企业,{}样品,{},{},{},{},{},{},郑州市产品质量监督检验院",
            r.report_no,
            r.level,
            r.code,
            &r.code[10..16],
            r.category,
            r.category,
            r.kind,
            if r.ccc { "是" } else { "否" },
            r.sampled_on,
            if r.passed { "合格" } else { "不合格" },
            if r.passed {
                ""
            } else {
                "标识（GB 5296.1-2012）"
            },
        );
    }
    out.into_bytes()
}

/// Where the bench's databases live: SQLite files in a temporary directory, or fresh databases
/// on a PostgreSQL server (created here, dropped at the end).
pub(crate) enum Place {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Place {
    pub(crate) fn url(&self, name: &str) -> String {
        match self {
            Place::Sqlite(dir) => format!("sqlite://{}?mode=rwc", dir.join(name).display()),
            Place::Postgres(server) => format!("{server}/{name}"),
        }
    }

    pub(crate) async fn fresh(&self, name: &str) -> Result<Store> {
        if let Place::Postgres(server) = self {
            let admin = qcity_web::modules::connect(&format!("{server}/postgres")).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name}"))
                .execute(&admin.pool)
                .await?;
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin.pool)
                .await?;
            admin.pool.close().await;
        }
        let store = qcity_web::modules::connect(&self.url(name)).await?;
        store.migrate().await?;
        Ok(store)
    }

    pub(crate) async fn drop_all(&self, names: &[&str]) -> Result<()> {
        match self {
            Place::Sqlite(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Place::Postgres(server) => {
                let admin = qcity_web::modules::connect(&format!("{server}/postgres")).await?;
                for name in names {
                    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&admin.pool)
                        .await?;
                }
                admin.pool.close().await;
            }
        }
        Ok(())
    }
}

/// The columns of a stored sampling record, as the baselines write them.
const RAW_COLUMNS: &str = "report_no, plan, level, stage, enterprise_id, product, category, kind, ccc, batch, sampled_on, reported_on, year, passed, failed_items, agency, fingerprint, recorded_by, recorded_at";
const RAW_TABLE: &str = "CREATE TABLE raw_sampling (report_no TEXT, plan TEXT, level TEXT, stage TEXT, enterprise_id BIGINT, product TEXT, category TEXT, kind TEXT, ccc BIGINT, batch TEXT, sampled_on TEXT, reported_on TEXT, year BIGINT, passed BIGINT, failed_items TEXT, agency TEXT, fingerprint TEXT, recorded_by TEXT, recorded_at TEXT)";

/// A record as stored, prepared before any clock starts.
struct Stored {
    text: [String; 7],
    level: &'static str,
    kind: &'static str,
    enterprise_id: i64,
    ccc: i64,
    year: i64,
    passed: i64,
}

fn stored(rows: &[Row]) -> Vec<Stored> {
    rows.iter()
        .enumerate()
        .map(|(i, r)| Stored {
            // report_no, product, category, sampled_on, failed_items, agency, fingerprint
            text: [
                r.report_no.clone(),
                format!("{}样品", r.category),
                r.category.to_string(),
                r.sampled_on.to_string(),
                if r.passed {
                    String::new()
                } else {
                    "标识（GB 5296.1-2012）".to_string()
                },
                "郑州市产品质量监督检验院".to_string(),
                format!("{i:064x}"),
            ],
            level: r.level,
            kind: r.kind,
            enterprise_id: (i % ENTERPRISES as usize) as i64 + 1,
            ccc: i64::from(r.ccc),
            year: i64::from(chrono::Datelike::year(&r.sampled_on)),
            passed: i64::from(r.passed),
        })
        .collect()
}

/// Binds one stored record to a statement of the native driver `$db`.
macro_rules! bind_stored {
    ($q:expr, $r:expr) => {
        $q.bind(&$r.text[0])
            .bind("")
            .bind($r.level)
            .bind("production")
            .bind($r.enterprise_id)
            .bind(&$r.text[1])
            .bind(&$r.text[2])
            .bind($r.kind)
            .bind($r.ccc)
            .bind("")
            .bind(&$r.text[3])
            .bind(None::<String>)
            .bind($r.year)
            .bind($r.passed)
            .bind(&$r.text[4])
            .bind(&$r.text[5])
            .bind(&$r.text[6])
            .bind("system:bench")
            .bind("2026-12-06T00:00:00.000Z")
    };
}

/// `(…), (…)` placeholders for `rows` rows of the raw table's 19 columns.
fn raw_values(pg: bool, rows: usize) -> String {
    (0..rows)
        .map(|i| {
            let ps: Vec<String> = (1..=19)
                .map(|c| {
                    if pg {
                        format!("${}", i * 19 + c)
                    } else {
                        "?".into()
                    }
                })
                .collect();
            format!("({})", ps.join(", "))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Rows per statement of the multi-row baseline (1,900 parameters).
const RAW_ROWS: usize = 100;

/// The baselines on SQLite: the driver itself (no `Any` layer), one transaction, a prepared
/// statement reused for every row, then for every 100 rows; no checks, no indexes. Seconds.
async fn raw_sqlite(url: &str, rows: &[Stored]) -> Result<(f64, f64)> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
        .await?;
    let mut times = [0.0; 2];
    for (k, per) in [1, RAW_ROWS].into_iter().enumerate() {
        conn.execute("DROP TABLE IF EXISTS raw_sampling").await?;
        conn.execute(RAW_TABLE).await?;
        let t = Instant::now();
        let mut tx = conn.begin().await?;
        let sql = format!(
            "INSERT INTO raw_sampling ({RAW_COLUMNS}) VALUES {}",
            raw_values(false, per)
        );
        let tail_sql = format!(
            "INSERT INTO raw_sampling ({RAW_COLUMNS}) VALUES {}",
            raw_values(false, rows.len() % per)
        );
        for chunk in rows.chunks(per) {
            let mut q = sqlx::query(if chunk.len() == per { &sql } else { &tail_sql });
            for r in chunk {
                q = bind_stored!(q, r);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        times[k] = t.elapsed().as_secs_f64();
    }
    conn.close().await?;
    Ok((times[0], times[1]))
}

/// The baselines on PostgreSQL: the same two prepared inserts through the driver itself, and
/// `COPY … FROM STDIN` (text format). Seconds.
async fn raw_postgres(url: &str, rows: &[Stored]) -> Result<(f64, f64, f64)> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let mut times = [0.0; 3];
    for (k, per) in [1, RAW_ROWS].into_iter().enumerate() {
        conn.execute("DROP TABLE IF EXISTS raw_sampling").await?;
        conn.execute(RAW_TABLE).await?;
        let t = Instant::now();
        let mut tx = conn.begin().await?;
        let sql = format!(
            "INSERT INTO raw_sampling ({RAW_COLUMNS}) VALUES {}",
            raw_values(true, per)
        );
        let tail_sql = format!(
            "INSERT INTO raw_sampling ({RAW_COLUMNS}) VALUES {}",
            raw_values(true, rows.len() % per)
        );
        for chunk in rows.chunks(per) {
            let mut q = sqlx::query(if chunk.len() == per { &sql } else { &tail_sql });
            for r in chunk {
                q = bind_stored!(q, r);
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        times[k] = t.elapsed().as_secs_f64();
    }
    conn.execute("DROP TABLE IF EXISTS raw_sampling").await?;
    conn.execute(RAW_TABLE).await?;
    let t = Instant::now();
    let mut tx = conn.begin().await?;
    let mut copy = tx
        .copy_in_raw(&format!("COPY raw_sampling ({RAW_COLUMNS}) FROM STDIN"))
        .await?;
    let mut buf = String::with_capacity(1 << 20);
    for r in rows {
        // Generated text holds no tab, newline or backslash: nothing to escape.
        let _ = writeln!(
            buf,
            "{}\t\t{}\tproduction\t{}\t{}\t{}\t{}\t{}\t\t{}\t\\N\t{}\t{}\t{}\t{}\t{}\tsystem:bench\t2026-12-06T00:00:00.000Z",
            r.text[0],
            r.level,
            r.enterprise_id,
            r.text[1],
            r.text[2],
            r.kind,
            r.ccc,
            r.text[3],
            r.year,
            r.passed,
            r.text[4],
            r.text[5],
            r.text[6]
        );
        if buf.len() > (1 << 20) {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    tx.commit().await?;
    times[2] = t.elapsed().as_secs_f64();
    conn.close().await?;
    Ok((times[0], times[1], times[2]))
}

/// Writes the register's rows again into `floor_sampling`, a table of the same definition,
/// inside the database, in one transaction: what the database itself takes for the import's
/// writes, without any client. On SQLite the secondary indexes are built after the rows, as a
/// load into an empty register does ([`qcity_store::bulk::SetAside`]); on PostgreSQL they are
/// kept, as the import keeps them, and a second run builds them (and the foreign key) after the
/// rows. Seconds: (as the import writes, with everything made after the rows on PostgreSQL).
async fn register_floor(store: &Store) -> Result<(f64, Option<f64>)> {
    const COPY: &str = "INSERT INTO floor_sampling SELECT * FROM sampling";
    if store.backend == qcity_store::Backend::Sqlite {
        let master = |kind: &str| {
            format!(
                "SELECT sql FROM sqlite_master WHERE type = '{kind}' AND tbl_name = 'sampling' AND sql IS NOT NULL ORDER BY name"
            )
        };
        let rename = |sql: String| {
            sql.replacen("CREATE TABLE sampling", "CREATE TABLE floor_sampling", 1)
                .replacen("INDEX sampling_", "INDEX floor_sampling_", 1)
                .replacen(" ON sampling(", " ON floor_sampling(", 1)
        };
        let table: Vec<String> = sqlx::query_scalar(&master("table"))
            .fetch_all(&store.pool)
            .await?;
        let indexes: Vec<String> = sqlx::query_scalar(&master("index"))
            .fetch_all(&store.pool)
            .await?;
        let mut tx = store.pool.begin().await?;
        for sql in table {
            sqlx::query(&rename(sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let t = Instant::now();
        let mut tx = store.begin().await?;
        // The import's own settings for a load.
        qcity_store::bulk::begin_load(store.backend, &mut tx).await?;
        sqlx::query(COPY).execute(&mut *tx).await?;
        for sql in indexes {
            sqlx::query(&rename(sql)).execute(&mut *tx).await?;
        }
        qcity_store::bulk::end_load(store.backend, &mut tx).await?;
        tx.commit().await?;
        return Ok((t.elapsed().as_secs_f64(), None));
    }
    // PostgreSQL: the register's indexes as the database states them, unique ones first.
    let mut indexes: Vec<(String, bool)> = Vec::new();
    for sql in sqlx::query_scalar::<_, String>(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = 'sampling' ORDER BY indexname",
    )
    .fetch_all(&store.pool)
    .await?
    {
        let unique = sql.starts_with("CREATE UNIQUE");
        let sql = sql
            .replacen("INDEX sampling", "INDEX floor_sampling", 1)
            .replacen(".sampling USING", ".floor_sampling USING", 1);
        indexes.push((sql, unique));
    }
    let foreign_key =
        "ALTER TABLE floor_sampling ADD FOREIGN KEY (enterprise_id) REFERENCES enterprises(id)";
    let mut times = [0.0; 2];
    for (k, after) in [false, true].into_iter().enumerate() {
        sqlx::query("DROP TABLE IF EXISTS floor_sampling")
            .execute(&store.pool)
            .await?;
        sqlx::query("CREATE TABLE floor_sampling (LIKE sampling INCLUDING DEFAULTS)")
            .execute(&store.pool)
            .await?;
        // What is made before the rows: everything as the import finds it, or (after) only
        // the unique indexes a row is checked against.
        let (before, later): (Vec<_>, Vec<_>) =
            indexes.iter().partition(|(_, unique)| !after || *unique);
        for (sql, _) in &before {
            sqlx::query(sql).execute(&store.pool).await?;
        }
        if !after {
            sqlx::query(foreign_key).execute(&store.pool).await?;
        }
        let t = Instant::now();
        let mut tx = store.pool.begin().await?;
        sqlx::query(COPY).execute(&mut *tx).await?;
        for (sql, _) in &later {
            sqlx::query(sql).execute(&mut *tx).await?;
        }
        if after {
            sqlx::query(foreign_key).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        times[k] = t.elapsed().as_secs_f64();
    }
    Ok((times[0], Some(times[1])))
}

/// Runs the benchmark on SQLite files in a temporary directory, or on fresh databases of the
/// PostgreSQL server `postgres` (e.g. `postgres://postgres@127.0.0.1:5432`).
pub async fn run(n: usize, runs: usize, postgres: Option<&str>) -> Result<()> {
    let id = std::process::id();
    let place = match postgres {
        Some(server) => Place::Postgres(server.trim_end_matches('/').to_string()),
        None => {
            let dir = std::env::temp_dir().join(format!("qcity-bench-sampling-{id}"));
            std::fs::create_dir_all(&dir)?;
            Place::Sqlite(dir)
        }
    };
    let (raw_name, import_name) = match place {
        Place::Sqlite(_) => ("raw.db".to_string(), "qcity.db".to_string()),
        Place::Postgres(_) => (format!("qcity_bench_raw_{id}"), format!("qcity_bench_{id}")),
    };
    let data = rows(n);
    let file = csv(&data);
    let prepared = stored(&data);
    println!(
        "sampling benchmark: {n} records over 10 years, {ENTERPRISES} enterprises, CSV {:.0} MB, {}",
        file.len() as f64 / 1e6,
        if postgres.is_some() {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );

    let raw = place.fresh(&raw_name).await?;
    let (one_s, many_s, copy_s) = match place {
        Place::Sqlite(_) => {
            let (one, many) = raw_sqlite(&place.url(&raw_name), &prepared).await?;
            (one, many, None)
        }
        Place::Postgres(_) => {
            let (one, many, copy) = raw_postgres(&place.url(&raw_name), &prepared).await?;
            (one, many, Some(copy))
        }
    };
    drop(prepared);
    // The baseline is the faster of the two prepared inserts.
    let raw_s = one_s.min(many_s);
    let per_s = |s: f64| n as f64 / s / 1000.0;
    println!(
        "  raw prepared insert, 1 row a statement        {one_s:>8.2} s  ({:.0} k rows/s; the driver, one transaction, no checks)",
        per_s(one_s)
    );
    println!(
        "  raw prepared insert, {RAW_ROWS} rows a statement    {many_s:>8.2} s  ({:.0} k rows/s)",
        per_s(many_s)
    );
    if let Some(copy_s) = copy_s {
        println!(
            "  raw COPY FROM STDIN                           {copy_s:>8.2} s  ({:.0} k rows/s)",
            per_s(copy_s)
        );
    }

    // Reading and checking the file alone (no database), to show where the import's time goes.
    let t = Instant::now();
    let mut read_rows = 0usize;
    let _ = qcity_exchange::read_sampling(&file, |_, _| read_rows += 1);
    let read_s = t.elapsed().as_secs_f64();
    anyhow::ensure!(read_rows == n, "the reader gave {read_rows} of {n} rows");
    println!("  reading and checking the CSV alone            {read_s:>8.2} s");

    let store = place.fresh(&import_name).await?;
    crate::first_start::ensure_plan(
        &store,
        chrono::NaiveDate::from_ymd_opt(2014, 12, 15).unwrap_or_default(),
    )
    .await?;
    let actor = Actor::system("bench");
    let t = Instant::now();
    let today = chrono::Local::now().date_naive();
    let outcome = qcity_web::imports::sampling_file(
        &store,
        &actor,
        "bench.csv",
        today,
        file,
        &Default::default(),
    )
    .await?;
    let import_s = t.elapsed().as_secs_f64();
    let outcome = outcome.map_err(|d| anyhow::anyhow!("{}", d.message_en))?;
    anyhow::ensure!(
        outcome.created == n && outcome.problems_total == 0,
        "import created {} of {n} rows with {} problems",
        outcome.created,
        outcome.problems_total
    );
    println!(
        "  import from CSV (checked, credit events, counts) {import_s:>5.2} s  ({:.0} k rows/s) = {:.2} × the raw prepared insert's rate ({raw_s:.2} s) (target ≥ 0.2 ×; < {} s)",
        per_s(import_s),
        raw_s / import_s,
        if postgres.is_some() { 6 } else { 3 }
    );

    // The database's own part of the import: the same rows written again into a table of the
    // register's definition, by the database alone (no client, no driver, no checks).
    let (floor_s, aside_s) = register_floor(&store).await?;
    println!(
        "  the database's own write of the same rows     {floor_s:>8.2} s  (INSERT … SELECT into a table of the register's definition, as the import writes it; the import takes {:.1} × this)",
        import_s / floor_s
    );
    if let Some(aside_s) = aside_s {
        println!(
            "    … with its secondary indexes and foreign key made after the rows {aside_s:>5.2} s  (would lock every reader out of the register while an import runs)"
        );
    }

    let plain = time_runs(runs, || async {
        sqlx::query("SELECT year, category, COUNT(*) AS n, CAST(SUM(passed) AS BIGINT) AS p FROM raw_sampling GROUP BY year, category")
            .fetch_all(&raw.pool)
            .await
    })
    .await?;
    let rates = time_runs(runs, || {
        qcity_store::sampling::pass_rates(
            &store,
            qcity_store::enterprises::Whose::Actor(&actor),
            "category",
        )
    })
    .await?;
    let Some((_, plan)) = qcity_store::plan::current(&store).await? else {
        anyhow::bail!("no plan");
    };
    let today = NaiveDate::from_ymd_opt(2022, 12, 31).unwrap_or_default();
    let dashboard = time_runs(runs, || async {
        let obs = qcity_store::indicators::observations(&store, &plan, today).await?;
        Ok::<_, qcity_store::StoreError>(qcity_store::indicators::evaluate(&plan, &obs, today))
    })
    .await?;

    // The register's first page as its list shows it (newest 50 and the total), and the same
    // with the failures waiting for disclosure review, against a plain count of its records.
    let whose = qcity_store::enterprises::Whose::Actor(&actor);
    let plain_count = time_runs(runs, || async {
        sqlx::query("SELECT COUNT(*) FROM raw_sampling")
            .fetch_one(&raw.pool)
            .await
    })
    .await?;
    let waiting_filter = qcity_store::sampling::Filter {
        awaiting_disclosure: true,
        ..Default::default()
    };
    let all = qcity_store::sampling::Filter::default();
    for f in [&all, &waiting_filter] {
        let (rows, total) = qcity_store::sampling::list(&store, whose, f, 50, 0).await?;
        anyhow::ensure!(rows.len() == 50 && total > 50, "the register's first page");
    }
    let register = time_runs(runs, || {
        qcity_store::sampling::list(&store, whose, &all, 50, 0)
    })
    .await?;
    let waiting = time_runs(runs, || {
        qcity_store::sampling::list(&store, whose, &waiting_filter, 50, 0)
    })
    .await?;

    println!(
        "  pass rates by category and year       {rates:>8.2} ms  ratio {:.3} × plain aggregate ({plain:.1} ms) (target < 50 ms)",
        rates / plain
    );
    println!(
        "  the register's first page and total   {register:>8.2} ms  ratio {:.3} × a plain count of the rows ({plain_count:.1} ms)",
        register / plain_count
    );
    println!(
        "    … of the failures awaiting review   {waiting:>8.2} ms  ratio {:.3} × a plain count of the rows",
        waiting / plain_count
    );
    println!(
        "  indicator dashboard data (all 28)     {dashboard:>8.2} ms  ratio {:.3} × plain aggregate (target < 100 ms)",
        dashboard / plain
    );
    store.pool.close().await;
    raw.pool.close().await;
    place.drop_all(&[&raw_name, &import_name]).await?;
    Ok(())
}
