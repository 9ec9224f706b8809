//! `qcity bench sampling`: a CSV of generated sampling records (ten years, 5,000 enterprises)
//! imported into a fresh embedded database, then pass rates and the indicator dashboard's data
//! computed over them; each against raw SQLite in the same run: a bulk insert of the same rows
//! into a plain table, and a plain aggregate query over it.

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

async fn fresh(dir: &std::path::Path, name: &str) -> Result<Store> {
    let url = format!("sqlite://{}?mode=rwc", dir.join(name).display());
    let store = qcity_web::modules::connect(&url).await?;
    store.migrate().await?;
    Ok(store)
}

/// The baseline: the same rows into a plain table with no checks, one transaction,
/// multi-row inserts.
async fn raw_insert(store: &Store, rows: &[Row]) -> Result<()> {
    sqlx::query(
        "CREATE TABLE raw_sampling (report_no TEXT, level TEXT, code TEXT, category TEXT, kind TEXT, ccc BIGINT, sampled_on TEXT, year BIGINT, passed BIGINT)",
    )
    .execute(&store.pool)
    .await?;
    let mut tx = store.begin().await?;
    // Anonymous parameters and 100 rows per statement, as the import writes them.
    for chunk in rows.chunks(100) {
        let mut sql = String::from(
            "INSERT INTO raw_sampling (report_no, level, code, category, kind, ccc, sampled_on, year, passed) VALUES ",
        );
        let groups: Vec<String> = (0..chunk.len())
            .map(|i| {
                let ps: Vec<String> = (1..=9)
                    .map(|c| qcity_store::param(store.backend, i * 9 + c))
                    .collect();
                format!("({})", ps.join(", "))
            })
            .collect();
        sql.push_str(&groups.join(", "));
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.report_no.clone())
                .bind(r.level)
                .bind(r.code.clone())
                .bind(r.category)
                .bind(r.kind)
                .bind(i64::from(r.ccc))
                .bind(r.sampled_on.to_string())
                .bind(i64::from(chrono::Datelike::year(&r.sampled_on)))
                .bind(i64::from(r.passed));
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn run(n: usize, runs: usize) -> Result<()> {
    let dir = std::env::temp_dir().join(format!("qcity-bench-sampling-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let data = rows(n);
    let file = csv(&data);
    println!(
        "sampling benchmark: {n} records over 10 years, {ENTERPRISES} enterprises, CSV {:.0} MB, SQLite",
        file.len() as f64 / 1e6
    );

    let raw = fresh(&dir, "raw.db").await?;
    let t = Instant::now();
    raw_insert(&raw, &data).await?;
    let raw_s = t.elapsed().as_secs_f64();

    let store = fresh(&dir, "qcity.db").await?;
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

    let plain = time_runs(runs, || async {
        sqlx::query("SELECT year, category, COUNT(*) AS n, SUM(passed) AS p FROM raw_sampling GROUP BY year, category")
            .fetch_all(&raw.pool)
            .await
    })
    .await?;
    let rates = time_runs(runs, || {
        qcity_store::sampling::pass_rates(&store, "category")
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

    println!(
        "  import from CSV (checked, credit events, counts) {import_s:>8.1} s   ratio {:.2} × raw bulk insert ({raw_s:.1} s) (target < 20 s)",
        import_s / raw_s
    );
    println!(
        "  pass rates by category and year       {rates:>8.2} ms  ratio {:.3} × plain aggregate ({plain:.1} ms) (target < 50 ms)",
        rates / plain
    );
    println!(
        "  indicator dashboard data (all 28)     {dashboard:>8.2} ms  ratio {:.3} × plain aggregate (target < 100 ms)",
        dashboard / plain
    );
    drop(store);
    drop(raw);
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
