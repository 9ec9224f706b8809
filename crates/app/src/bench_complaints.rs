//! `qcity bench complaints`: a CSV of generated complaint tickets (five years of a district's
//! hotlines, most closed with a finding and a rating) imported into a fresh database through the
//! office's import (`qcity_web::imports::complaints_file`: read, checked, routed, numbered,
//! with histories and kept counts), then the dashboard and one unit's queue read over them;
//! each against the database itself in the same run: the lowest-level insert of the same rows
//! the driver allows (prepared statements in one transaction, no checks, no indexes; and `COPY`
//! on PostgreSQL), a plain aggregate over the tickets, and a plain select of the unit's open
//! tickets. On SQLite files, or on fresh databases of a PostgreSQL server (`--postgres`).

use crate::bench::time_runs;
use crate::bench_sampling::Place;
use anyhow::{Result, ensure};
use chrono::{Datelike, Duration, NaiveDate};
use qcity_domain::complaints::catalogue::Catalogue;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::complaints::demo::TEXTS;
use qcity_store::complaints::{self, Queue, counts};
use qcity_store::demo::registers::{Lcg, demo_uscc};
use std::fmt::Write as _;
use std::time::Instant;

/// The benchmark's business date: the last of five years of tickets.
const TODAY: (i32, u32, u32) = (2026, 11, 30);
const YEARS: i64 = 5;
/// Tickets received in the last days are still open; older ones the units have closed, but
/// for a few (left open, overdue).
const RECENT_DAYS: i64 = 20;

/// (CSV spelling, stored code, weight in 1000).
const CHANNELS: &[(&str, &str, usize)] = &[
    ("12345", "12345", 450),
    ("12315热线", "12315", 350),
    ("12365", "12365", 80),
    ("来信", "letter", 70),
    ("来访", "visit", 50),
];
const FINDINGS: &[(&str, &str)] = &[
    ("属实", "substantiated"),
    ("部分属实", "partly"),
    ("不属实", "unfounded"),
    ("无法核实", "undetermined"),
];
const RATINGS: &[(&str, &str)] = &[
    ("满意", "satisfied"),
    ("基本满意", "basic"),
    ("不满意", "dissatisfied"),
    ("", "unreachable"),
];

/// One generated ticket as the other hotline system exports it.
struct Gen {
    channel: usize,
    received: NaiveDate,
    category: usize,
    text: &'static str,
    /// The category is written (else the classifier proposes it, or the ticket waits in the
    /// triage queue).
    written: bool,
    enterprise: u64,
    closed: Option<(NaiveDate, usize, usize)>,
}

fn pick_channel(rng: &mut Lcg) -> usize {
    let mut k = rng.below(1000);
    for (i, (_, _, w)) in CHANNELS.iter().enumerate() {
        if k < *w {
            return i;
        }
        k -= w;
    }
    0
}

fn generate(n: usize, today: NaiveDate) -> Vec<Gen> {
    let mut rng = Lcg::new(18);
    let days = YEARS * 365;
    let mut rows: Vec<Gen> = (0..n)
        .map(|_| {
            let received = today - Duration::days(rng.below(days as usize) as i64);
            let category = rng.below(TEXTS.len());
            let texts = TEXTS[category].1;
            let age = (today - received).num_days();
            let closed = (age > RECENT_DAYS && !rng.chance(10)).then(|| {
                let on = received + Duration::days(2 + rng.below(20) as i64);
                (
                    on.min(today),
                    rng.below(FINDINGS.len()),
                    rng.below(RATINGS.len()),
                )
            });
            Gen {
                channel: pick_channel(&mut rng),
                received,
                category,
                text: texts[rng.below(texts.len())],
                // The other system names the category of what it closed; an open one may
                // be left to the classifier.
                written: closed.is_some() || !rng.chance(200),
                enterprise: rng.below(5000) as u64,
                closed,
            }
        })
        .collect();
    // Exports list tickets in the order received.
    rows.sort_by_key(|g| g.received);
    rows
}

fn csv(rows: &[Gen], catalogue: &Catalogue) -> Vec<u8> {
    let mut out = String::with_capacity(rows.len() * 220);
    out.push_str("工单编号,来源渠道,受理日期,投诉内容,类别,被投诉单位,统一社会信用代码,联系人,联系电话,办结日期,核查结果,满意度\n");
    for (i, g) in rows.iter().enumerate() {
        let category = if g.written {
            catalogue
                .category(TEXTS[g.category].0)
                .map_or("", |c| c.zh.as_str())
        } else {
            ""
        };
        let (closed, finding, rating) = match g.closed {
            Some((on, f, r)) => (on.to_string(), FINDINGS[f].0, RATINGS[r].0),
            None => (String::new(), "", ""),
        };
        let _ = writeln!(
            out,
            "H{i:08},{},{},{},{category},郑州某某{}有限公司,{},张先生,138{:08},{closed},{finding},{rating}",
            CHANNELS[g.channel].0,
            g.received,
            g.text,
            g.enterprise,
            demo_uscc(g.enterprise),
            i % 100_000_000,
        );
    }
    out.into_bytes()
}

/// A ticket as stored, prepared before any clock starts (the baselines write these).
struct RawTicket {
    text: [String; 11],
    ints: [i64; 6],
    channel: &'static str,
    category: Option<&'static str>,
    status: &'static str,
    unit: Option<i64>,
    satisfaction: Option<&'static str>,
    finding: Option<&'static str>,
}

/// A history row as stored.
struct RawEvent {
    ticket: i64,
    on: String,
    kind: &'static str,
    unit: Option<i64>,
    reason: &'static str,
}

/// The same tickets and histories the import writes, as plain rows: the number, the text and
/// contacts, the status and outcome, the deadlines, and 2 or 6 history rows each.
fn raw_rows(rows: &[Gen]) -> (Vec<RawTicket>, Vec<RawEvent>) {
    let mut tickets = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len() * 6);
    for (i, g) in rows.iter().enumerate() {
        let id = i as i64 + 1;
        let unit = Some(1 + (g.category % 6) as i64);
        let received = g.received.to_string();
        let due = |d: i64| (g.received + Duration::days(d)).to_string();
        tickets.push(RawTicket {
            text: [
                format!("{}-{:06}", g.received.year(), i + 1),
                received.clone(),
                g.text.to_string(),
                format!("郑州某某{}有限公司", g.enterprise),
                demo_uscc(g.enterprise),
                "张先生".to_string(),
                format!("138{:08}", i % 100_000_000),
                due(1),
                due(7),
                due(21),
                format!("H{i:08}"),
            ],
            ints: [id, 1, i64::from(g.received.year()), i as i64 + 1, 1, 5],
            channel: CHANNELS[g.channel].1,
            category: Some(TEXTS[g.category].0),
            status: if g.closed.is_some() {
                "closed"
            } else {
                "dispatched"
            },
            unit,
            satisfaction: g.closed.map(|(_, _, r)| RATINGS[r].1),
            finding: g.closed.map(|(_, f, _)| FINDINGS[f].1),
        });
        let event = |on: &str, kind, unit, reason| RawEvent {
            ticket: id,
            on: on.to_string(),
            kind,
            unit,
            reason,
        };
        events.push(event(&received, "accept", None, ""));
        events.push(event(&received, "dispatch", unit, ""));
        if let Some((on, f, r)) = g.closed {
            let on = on.to_string();
            events.push(event(&received, "sign", unit, ""));
            events.push(event(&on, "reply", unit, FINDINGS[f].1));
            events.push(event(&on, "visit", None, RATINGS[r].1));
            events.push(event(&on, "close", None, ""));
        }
    }
    (tickets, events)
}

const TICKET_COLUMNS: &str = "id, owner_id, number, year, seq, code_hash, channel, received_on, category, sign_days, \
     reply_days, close_days, description, enterprise_name, enterprise_code, address, area, contact_name, contact_phone, \
     status, unit_id, last_unit_id, satisfaction, finding, sign_due, reply_due, close_due, external_no, created_at, updated_at";
const TICKET_WIDTH: usize = 30;
const EVENT_COLUMNS: &str =
    "ticket_id, owner_id, on_date, kind, days, actor, actor_unit_id, unit_id, reason, created_at";
const EVENT_WIDTH: usize = 10;
const RAW_TABLES: [&str; 2] = [
    "CREATE TABLE raw_tickets (id BIGINT, owner_id BIGINT, number TEXT, year BIGINT, seq BIGINT, code_hash TEXT, \
     channel TEXT, received_on TEXT, category TEXT, sign_days BIGINT, reply_days BIGINT, close_days BIGINT, description TEXT, \
     enterprise_name TEXT, enterprise_code TEXT, address TEXT, area TEXT, contact_name TEXT, contact_phone TEXT, status TEXT, \
     unit_id BIGINT, last_unit_id BIGINT, satisfaction TEXT, finding TEXT, sign_due TEXT, reply_due TEXT, close_due TEXT, \
     external_no TEXT, created_at TEXT, updated_at TEXT)",
    "CREATE TABLE raw_events (ticket_id BIGINT, owner_id BIGINT, on_date TEXT, kind TEXT, days BIGINT, actor TEXT, \
     actor_unit_id BIGINT, unit_id BIGINT, reason TEXT, created_at TEXT)",
];
const NOW: &str = "2026-12-06T00:00:00.000Z";

/// Binds one stored ticket to a statement of the native driver.
macro_rules! bind_ticket {
    ($q:expr, $t:expr) => {
        $q.bind($t.ints[0])
            .bind($t.ints[1])
            .bind(&$t.text[0])
            .bind($t.ints[2])
            .bind($t.ints[3])
            .bind("")
            .bind($t.channel)
            .bind(&$t.text[1])
            .bind($t.category)
            .bind($t.ints[4])
            .bind($t.ints[5])
            .bind(15_i64)
            .bind(&$t.text[2])
            .bind(&$t.text[3])
            .bind(&$t.text[4])
            .bind("")
            .bind("")
            .bind(&$t.text[5])
            .bind(&$t.text[6])
            .bind($t.status)
            .bind($t.unit)
            .bind($t.unit)
            .bind($t.satisfaction)
            .bind($t.finding)
            .bind(&$t.text[7])
            .bind(&$t.text[8])
            .bind(&$t.text[9])
            .bind(&$t.text[10])
            .bind(NOW)
            .bind(NOW)
    };
}

macro_rules! bind_event {
    ($q:expr, $e:expr) => {
        $q.bind($e.ticket)
            .bind(1_i64)
            .bind(&$e.on)
            .bind($e.kind)
            .bind(0_i64)
            .bind("system:bench")
            .bind(None::<i64>)
            .bind($e.unit)
            .bind($e.reason)
            .bind(NOW)
    };
}

/// `(…), (…)` placeholders for `rows` rows of `width` columns.
fn values(pg: bool, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|i| {
            let ps: Vec<String> = (1..=width)
                .map(|c| {
                    if pg {
                        format!("${}", i * width + c)
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

/// Rows per statement of the multi-row baseline.
const RAW_ROWS: usize = 100;

/// The baseline inserts, through the driver itself (no `Any` layer), one transaction each: a
/// prepared statement per row, then per 100 rows; no checks, no indexes. Seconds.
macro_rules! raw_inserts {
    ($conn:expr, $pg:expr, $tickets:expr, $events:expr) => {{
        use sqlx::{Connection, Executor};
        let mut times = [0.0; 2];
        for (k, per) in [1, RAW_ROWS].into_iter().enumerate() {
            $conn.execute("DROP TABLE IF EXISTS raw_tickets").await?;
            $conn.execute("DROP TABLE IF EXISTS raw_events").await?;
            for t in RAW_TABLES {
                $conn.execute(t).await?;
            }
            let t = Instant::now();
            let mut tx = $conn.begin().await?;
            let full = format!(
                "INSERT INTO raw_tickets ({TICKET_COLUMNS}) VALUES {}",
                values($pg, per, TICKET_WIDTH)
            );
            let tail = format!(
                "INSERT INTO raw_tickets ({TICKET_COLUMNS}) VALUES {}",
                values($pg, $tickets.len() % per, TICKET_WIDTH)
            );
            for chunk in $tickets.chunks(per) {
                let mut q = sqlx::query(if chunk.len() == per { &full } else { &tail });
                for r in chunk {
                    q = bind_ticket!(q, r);
                }
                q.execute(&mut *tx).await?;
            }
            let full = format!(
                "INSERT INTO raw_events ({EVENT_COLUMNS}) VALUES {}",
                values($pg, per, EVENT_WIDTH)
            );
            let tail = format!(
                "INSERT INTO raw_events ({EVENT_COLUMNS}) VALUES {}",
                values($pg, $events.len() % per, EVENT_WIDTH)
            );
            for chunk in $events.chunks(per) {
                let mut q = sqlx::query(if chunk.len() == per { &full } else { &tail });
                for r in chunk {
                    q = bind_event!(q, r);
                }
                q.execute(&mut *tx).await?;
            }
            tx.commit().await?;
            times[k] = t.elapsed().as_secs_f64();
        }
        times
    }};
}

async fn raw_sqlite(url: &str, tickets: &[RawTicket], events: &[RawEvent]) -> Result<[f64; 2]> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    conn.execute("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL")
        .await?;
    let times = raw_inserts!(conn, false, tickets, events);
    conn.close().await?;
    Ok(times)
}

/// `\N` for a missing value in COPY's text format.
fn copy_opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "\\N".to_string(), |v| v.to_string())
}

/// The same two inserts on PostgreSQL, and `COPY … FROM STDIN` (text format). Seconds.
async fn raw_postgres(url: &str, tickets: &[RawTicket], events: &[RawEvent]) -> Result<[f64; 3]> {
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::PgConnection::connect(url).await?;
    let [one, many] = raw_inserts!(conn, true, tickets, events);
    conn.execute("DROP TABLE IF EXISTS raw_tickets").await?;
    conn.execute("DROP TABLE IF EXISTS raw_events").await?;
    for t in RAW_TABLES {
        conn.execute(t).await?;
    }
    let t = Instant::now();
    let mut tx = conn.begin().await?;
    let mut buf = String::with_capacity(1 << 20);
    let mut copy = tx
        .copy_in_raw(&format!("COPY raw_tickets ({TICKET_COLUMNS}) FROM STDIN"))
        .await?;
    for r in tickets {
        // Generated text holds no tab, newline or backslash: nothing to escape.
        let _ = writeln!(
            buf,
            "{}\t{}\t{}\t{}\t{}\t\t{}\t{}\t{}\t{}\t{}\t15\t{}\t{}\t{}\t\t\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{NOW}\t{NOW}",
            r.ints[0],
            r.ints[1],
            r.text[0],
            r.ints[2],
            r.ints[3],
            r.channel,
            r.text[1],
            copy_opt(r.category),
            r.ints[4],
            r.ints[5],
            r.text[2],
            r.text[3],
            r.text[4],
            r.text[5],
            r.text[6],
            r.status,
            copy_opt(r.unit),
            copy_opt(r.unit),
            copy_opt(r.satisfaction),
            copy_opt(r.finding),
            r.text[7],
            r.text[8],
            r.text[9],
            r.text[10],
        );
        if buf.len() > (1 << 20) {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    buf.clear();
    copy.finish().await?;
    let mut copy = tx
        .copy_in_raw(&format!("COPY raw_events ({EVENT_COLUMNS}) FROM STDIN"))
        .await?;
    for e in events {
        let _ = writeln!(
            buf,
            "{}\t1\t{}\t{}\t0\tsystem:bench\t\\N\t{}\t{}\t{NOW}",
            e.ticket,
            e.on,
            e.kind,
            copy_opt(e.unit),
            e.reason
        );
        if buf.len() > (1 << 20) {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    tx.commit().await?;
    let copy_s = t.elapsed().as_secs_f64();
    conn.close().await?;
    Ok([one, many, copy_s])
}

/// Runs the benchmark with `n` tickets on SQLite files in a temporary directory, or on fresh
/// databases of the PostgreSQL server `postgres`.
pub async fn run(n: usize, runs: usize, postgres: Option<&str>) -> Result<()> {
    let id = std::process::id();
    let place = match postgres {
        Some(server) => Place::Postgres(server.trim_end_matches('/').to_string()),
        None => {
            let dir = std::env::temp_dir().join(format!("qcity-bench-complaints-{id}"));
            std::fs::create_dir_all(&dir)?;
            Place::Sqlite(dir)
        }
    };
    let (raw_name, import_name) = match place {
        Place::Sqlite(_) => ("raw.db".to_string(), "qcity.db".to_string()),
        Place::Postgres(_) => (
            format!("qcity_bench_craw_{id}"),
            format!("qcity_bench_c_{id}"),
        ),
    };
    let outcome = measure(&place, &raw_name, &import_name, n, runs, postgres.is_some()).await;
    place.drop_all(&[&raw_name, &import_name]).await?;
    outcome
}

async fn measure(
    place: &Place,
    raw_name: &str,
    import_name: &str,
    n: usize,
    runs: usize,
    pg: bool,
) -> Result<()> {
    let today = NaiveDate::from_ymd_opt(TODAY.0, TODAY.1, TODAY.2).unwrap_or_default();
    let catalogue = Catalogue::default_catalogue();
    let data = generate(n, today);
    let file = csv(&data, &catalogue);
    let (tickets, events) = raw_rows(&data);
    let closed = data.iter().filter(|g| g.closed.is_some()).count();
    println!(
        "complaints benchmark: {n} tickets over {YEARS} years ({closed} closed), {} history rows, CSV {:.0} MB, {}",
        events.len(),
        file.len() as f64 / 1e6,
        if pg { "PostgreSQL" } else { "SQLite" }
    );
    drop(data);

    let raw = place.fresh(raw_name).await?;
    let (one_s, many_s, copy_s) = if pg {
        let [one, many, copy] = raw_postgres(&place.url(raw_name), &tickets, &events).await?;
        (one, many, Some(copy))
    } else {
        let [one, many] = raw_sqlite(&place.url(raw_name), &tickets, &events).await?;
        (one, many, None)
    };
    drop((tickets, events));
    let raw_s = one_s.min(many_s);
    let per_s = |s: f64| n as f64 / s / 1000.0;
    println!(
        "  raw prepared insert of the tickets and histories, 1 row a statement   {one_s:>8.2} s  ({:.1} k tickets/s; the driver, one transaction, no checks, no indexes)",
        per_s(one_s)
    );
    println!(
        "  raw prepared insert, {RAW_ROWS} rows a statement                             {many_s:>8.2} s  ({:.1} k tickets/s)",
        per_s(many_s)
    );
    if let Some(copy_s) = copy_s {
        println!(
            "  raw COPY FROM STDIN                                                   {copy_s:>8.2} s  ({:.1} k tickets/s)",
            per_s(copy_s)
        );
    }

    let t = Instant::now();
    let mut read_rows = 0usize;
    let _ = qcity_exchange::read_complaints(&file, today, |_, _| read_rows += 1);
    let read_s = t.elapsed().as_secs_f64();
    ensure!(read_rows == n, "the reader gave {read_rows} of {n} rows");
    println!(
        "  reading and checking the CSV alone                                    {read_s:>8.2} s"
    );

    let store = place.fresh(import_name).await?;
    crate::first_start::ensure_plan(&store, today).await?;
    // The daily job keeps the counts as of the business date; an import then adds to them.
    counts::rebuild(&store, today).await?;
    let office = Actor::system("bench");
    let t = Instant::now();
    let outcome = qcity_web::imports::complaints_file(
        &store,
        &office,
        "bench.csv",
        today,
        file,
        &Default::default(),
    )
    .await?;
    let import_s = t.elapsed().as_secs_f64();
    let report = outcome.map_err(|d| anyhow::anyhow!("{}", d.message_en))?;
    ensure!(
        report.created == n && report.problems_total == 0,
        "import created {} of {n} tickets with {} problems: {:?}",
        report.created,
        report.problems_total,
        report.problems.first()
    );
    println!(
        "  import from CSV (checked, classified, routed, numbered; histories, counts) {import_s:>6.2} s  ({:.1} k tickets/s) = {:.2} × the raw prepared insert's rate ({raw_s:.2} s)",
        per_s(import_s),
        raw_s / import_s
    );
    let counted: i64 =
        sqlx::query_scalar("SELECT CAST(SUM(tickets) AS BIGINT) FROM complaint_counts")
            .fetch_one(&store.pool)
            .await?;
    ensure!(
        counted == n as i64,
        "the kept counts hold {counted} of {n} tickets"
    );
    if n <= 200_000 {
        let t = Instant::now();
        let drift = counts::drift(&store).await?;
        ensure!(
            drift.is_empty(),
            "the kept counts drift: {:?}",
            drift.first()
        );
        println!(
            "  kept counts recounted from every history: no drift ({:.1} s)",
            t.elapsed().as_secs_f64()
        );
    }

    // (b) The dashboard: five years by unit, category, channel and month, and a year's figures.
    let owner: i64 = sqlx::query_scalar("SELECT MIN(owner_id) FROM complaint_tickets")
        .fetch_one(&store.pool)
        .await?;
    let plain_sql = "SELECT unit_id, category, channel, SUBSTR(received_on, 1, 7) AS month, COUNT(*) AS n, \
         CAST(SUM(CASE WHEN status = 'closed' THEN 1 ELSE 0 END) AS BIGINT) AS closed, \
         CAST(SUM(CASE WHEN satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END) AS BIGINT) AS satisfied \
         FROM complaint_tickets WHERE owner_id = $1 GROUP BY unit_id, category, channel, SUBSTR(received_on, 1, 7)";
    let plain = time_runs(runs, || async {
        sqlx::query(plain_sql)
            .bind(owner)
            .fetch_all(&store.pool)
            .await
    })
    .await?;
    let from = format!("{}-01", today.year() - YEARS as i32);
    let to = format!("{}-12", today.year());
    let dashboard = time_runs(runs, || counts::dashboard(&store, &office, &from, &to)).await?;
    let year = time_runs(runs, || counts::year_figures(&store, &office, today.year())).await?;
    println!(
        "  dashboard, {YEARS} years by unit, category, channel, month {dashboard:>8.2} ms  ratio {:.3} × plain aggregate over the tickets ({plain:.1} ms)",
        dashboard / plain
    );
    println!(
        "  a year's figures (with last year's, ranking)       {year:>8.2} ms  ratio {:.3} × plain aggregate",
        year / plain
    );

    // (c) The queue of the unit with the most open tickets.
    let (unit_id, open): (i64, i64) = sqlx::query_as(
        "SELECT unit_id, COUNT(*) AS n FROM complaint_tickets WHERE unit_id IS NOT NULL \
         AND status NOT IN ('closed', 'declined', 'merged') GROUP BY unit_id ORDER BY n DESC, unit_id LIMIT 1",
    )
    .fetch_one(&store.pool)
    .await?;
    let unit = Actor {
        role: Some(Role::Unit),
        unit_id: Some(unit_id),
        owner_id: Some(owner),
        ..Actor::system("bench-unit")
    };
    let plain_queue = time_runs(runs, || async {
        sqlx::query(
            "SELECT * FROM complaint_tickets WHERE owner_id = $1 AND unit_id = $2 \
             AND status NOT IN ('closed', 'declined', 'merged') ORDER BY received_on, id",
        )
        .bind(owner)
        .bind(unit_id)
        .fetch_all(&store.pool)
        .await
    })
    .await?;
    let listed = complaints::queue(&store, &unit, Queue::Open, today)
        .await?
        .len();
    ensure!(listed as i64 == open, "the queue lists {listed} of {open}");
    let queue = time_runs(runs, || {
        complaints::queue(&store, &unit, Queue::Open, today)
    })
    .await?;
    println!(
        "  a unit's queue ({open} open, clocks and warnings) {queue:>8.2} ms  ratio {:.3} × plain select of its open rows ({plain_queue:.1} ms)",
        queue / plain_queue
    );
    store.pool.close().await;
    raw.pool.close().await;
    Ok(())
}
