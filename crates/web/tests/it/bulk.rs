//! Bulk imports write exactly what the row-by-row imports wrote: the same records, refused
//! rows (line and reason), credit events, pass-rate counts and enterprises with their licences,
//! for a mixed file crossing the statement and batch sizes. The expected dumps were taken from
//! the row-by-row implementation. Run on both databases.

use crate::harness::TestApp;
use chrono::NaiveDate;
use qcity_store::import::ImportReport;
use qcity_store::{Actor, Store, enterprises, sampling};
use sqlx::Row;
use std::collections::BTreeMap;
use std::fmt::Write as _;

const HUAWEI: &str = "914403001922038216";
const BAIDU: &str = "91110000802100433B";
const XIAOMI: &str = "91110108551385082Q";
const ALTERED: &str = "914403001922038217";
const OVERRIDDEN: &str = "91110000101623741X";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2016, 3, 1).unwrap()
}

const SAMPLING_HEADER: &str = "报告编号,抽查计划（任务）,抽查级别,抽样环节,受检企业统一社会信用代码,受检企业名称,产品名称,产品类别,产品属性,是否CCC目录内产品,规格型号/批号,抽样日期,报告日期,检验结论,不合格项目（依据标准）,检验机构\n";

/// A sampling CSV line: report, level, code, name, category, sampled on, verdict, failed items.
fn line([no, level, code, name, category, sampled, verdict, failed]: [&str; 8]) -> String {
    format!(
        "{no},2015年监督抽查,{level},生产,{code},{name},{category}样品,{category},工业产品,否,批{no},{sampled},,{verdict},{failed},郑州市质检院\n"
    )
}

/// Batches and passes per (year, category).
type Counts = BTreeMap<(i64, String), (i64, i64)>;

/// The generated part: `n` rows over two years, two levels and three categories, every
/// 7th failed; returns the lines and the expected (batches, passed) per (year, category).
fn generated(n: usize) -> (String, Counts) {
    let mut out = String::new();
    let mut expected = BTreeMap::new();
    for i in 0..n {
        let year = 2014 + (i % 2) as i64;
        let category = ["电线电缆", "人造板", "食用植物油"][i % 3];
        let passed = i % 7 != 3;
        let code = if i % 5 == 0 { BAIDU } else { HUAWEI };
        out.push_str(&line([
            &format!("G{i:05}"),
            if i % 4 == 0 { "国家级" } else { "区级" },
            code,
            "",
            category,
            &format!("{year}-{:02}-{:02}", 1 + i % 12, 1 + i % 28),
            if passed { "合格" } else { "不合格" },
            if passed {
                ""
            } else {
                "标识（GB 5296.1-2012）"
            },
        ]));
        let e = expected
            .entry((year, category.to_string()))
            .or_insert((0, 0));
        e.0 += 1;
        e.1 += i64::from(passed);
    }
    (out, expected)
}

/// Registers the two enterprises the generated rows name without a name of their own.
async fn register_two(store: &Store) {
    for (code, name) in [
        (HUAWEI, "华为技术有限公司"),
        (BAIDU, "北京百度网讯科技有限公司"),
    ] {
        enterprises::create(
            store,
            &Actor::system("office"),
            &enterprises::EnterpriseInput {
                code: code.into(),
                name: name.into(),
                ..Default::default()
            },
            today(),
        )
        .await
        .unwrap();
    }
}

async fn import_sampling(store: &Store, csv: String) -> ImportReport {
    qcity_web::imports::sampling_file(
        store,
        &Actor::system("bulk"),
        "s.csv",
        today(),
        csv.into_bytes(),
        &Default::default(),
    )
    .await
    .unwrap()
    .unwrap()
}

fn report_text(r: &ImportReport) -> String {
    let mut out = format!(
        "created {} updated {} unchanged {} side {} refused {}\n",
        r.created, r.updated, r.unchanged, r.side, r.problems_total
    );
    for p in &r.problems {
        let _ = writeln!(out, "{}", p.message_zh);
    }
    out
}

/// The stored records not generated, their credit events and the pass-rate counts, as text.
async fn sampling_dump(store: &Store) -> String {
    let mut out = String::new();
    for r in sqlx::query(
        "SELECT s.report_no, s.plan, s.level, s.stage, e.code, s.product, s.category, s.kind, s.ccc, s.batch, \
         s.sampled_on, COALESCE(s.reported_on, '-') AS reported_on, s.year, s.passed, s.failed_items, s.agency, s.fingerprint, s.recorded_by \
         FROM sampling s JOIN enterprises e ON e.id = s.enterprise_id WHERE s.report_no NOT LIKE 'G%' ORDER BY s.report_no",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap()
    {
        let mut cols = Vec::new();
        for i in 0..18 {
            cols.push(match r.try_get::<String, _>(i) {
                Ok(s) => s,
                Err(_) => r.try_get::<i64, _>(i).unwrap().to_string(),
            });
        }
        let _ = writeln!(out, "{}", cols.join("|"));
    }
    for r in sqlx::query(
        "SELECT e.code, c.kind, c.occurred_on, c.serious, c.summary, c.source, c.source_ref, c.recorded_by, \
         CASE WHEN c.withdrawn_at IS NULL THEN 'open' ELSE 'withdrawn' END AS state, COALESCE(c.withdrawn_reason, '-') AS reason \
         FROM credit_events c JOIN enterprises e ON e.id = c.enterprise_id WHERE c.source_ref NOT LIKE 'G%' ORDER BY c.source_ref",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap()
    {
        let _ = writeln!(
            out,
            "event {}|{}|{}|{}|{}|{}|{}|{}|{}|{}",
            r.get::<String, _>(0),
            r.get::<String, _>(1),
            r.get::<String, _>(2),
            r.get::<i64, _>(3),
            r.get::<String, _>(4),
            r.get::<String, _>(5),
            r.get::<String, _>(6),
            r.get::<String, _>(7),
            r.get::<String, _>(8),
            r.get::<String, _>(9),
        );
    }
    for rate in sampling::pass_rates(store, qcity_store::enterprises::Whose::Public(None), "")
        .await
        .unwrap()
    {
        let _ = writeln!(out, "rate {} {}/{}", rate.year, rate.passed, rate.batches);
    }
    out
}

/// Batches and passes per (year, category) as kept in `sampling_stats`, after checking they
/// equal a recount from the records.
async fn stats(store: &Store) -> Counts {
    let read = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    (r.get::<i64, _>(0), r.get::<String, _>(1)),
                    (r.get::<i64, _>(2), r.get::<i64, _>(3)),
                )
            })
            .collect::<BTreeMap<_, _>>()
    };
    let kept = read(
        "SELECT year, category, CAST(SUM(batches) AS BIGINT), CAST(SUM(passed) AS BIGINT) FROM sampling_stats GROUP BY year, category",
    )
    .await;
    let recount = read(
        "SELECT year, category, CAST(COUNT(*) AS BIGINT), CAST(SUM(passed) AS BIGINT) FROM sampling GROUP BY year, category",
    )
    .await;
    assert_eq!(kept, recount, "the counts kept beside the records");
    kept
}

#[tokio::test]
async fn a_mixed_sampling_file_writes_the_same_rows_refusals_events_and_counts() {
    let app = TestApp::spawn().await;
    let store = &app.store;
    let office = Actor::system("office");
    register_two(store).await;
    enterprises::record_override(store, &office, OVERRIDDEN, "发证机关错发")
        .await
        .unwrap();

    // A first file: what the second one finds already stored.
    let mut first = String::from(SAMPLING_HEADER);
    first.push_str(&line([
        "R-001",
        "国家级",
        HUAWEI,
        "",
        "电线电缆",
        "2014-05-10",
        "不合格",
        "导体电阻（GB/T 3956-2008）",
    ]));
    first.push_str(&line([
        "R-002",
        "省级",
        BAIDU,
        "",
        "人造板",
        "2014-06-10",
        "合格",
        "",
    ]));
    first.push_str(&line([
        "R-003",
        "市级",
        HUAWEI,
        "",
        "电线电缆",
        "2014-07-10",
        "合格",
        "",
    ]));
    first.push_str(&line([
        "R-004",
        "区级",
        BAIDU,
        "",
        "食用植物油",
        "2014-08-10",
        "合格",
        "",
    ]));
    let r = import_sampling(store, first).await;
    assert_eq!(
        report_text(&r),
        "created 4 updated 0 unchanged 0 side 0 refused 0\n"
    );

    // The mixed file.
    let (gen_lines, mut expected) = generated(1234);
    let mut mixed = String::from(SAMPLING_HEADER);
    // Unchanged, corrected to pass, corrected to fail, moved to another year.
    mixed.push_str(&line([
        "R-004",
        "区级",
        BAIDU,
        "",
        "食用植物油",
        "2014-08-10",
        "合格",
        "",
    ]));
    mixed.push_str(&line([
        "R-001",
        "国家级",
        HUAWEI,
        "",
        "电线电缆",
        "2014-05-10",
        "合格",
        "",
    ]));
    mixed.push_str(&line([
        "R-002",
        "省级",
        BAIDU,
        "",
        "人造板",
        "2014-06-10",
        "不合格",
        "甲醛释放量（GB 18580-2017）",
    ]));
    mixed.push_str(&line([
        "R-003",
        "市级",
        HUAWEI,
        "",
        "电线电缆",
        "2015-01-10",
        "合格",
        "",
    ]));
    // New: a failure, a new enterprise with its name, an overridden code with a name.
    mixed.push_str(&line([
        "N-001",
        "国家级",
        BAIDU,
        "",
        "人造板",
        "2015-02-10",
        "不合格",
        "含水率（GB/T 17657-2013）",
    ]));
    mixed.push_str(&line([
        "N-002",
        "区级",
        XIAOMI,
        "北京小米科技有限责任公司",
        "家用电器",
        "2015-03-10",
        "合格",
        "",
    ]));
    mixed.push_str(&line([
        "N-003",
        "区级",
        OVERRIDDEN,
        "错码企业",
        "家用电器",
        "2015-03-11",
        "不合格",
        "标识（GB 5296.1-2012）",
    ]));
    // Refused: unknown without a name, an altered code, a failure without items, a bad date.
    mixed.push_str(&line([
        "X-001",
        "区级",
        "91110000600037341L",
        "",
        "家用电器",
        "2015-03-12",
        "合格",
        "",
    ]));
    mixed.push_str(&line([
        "X-002",
        "区级",
        ALTERED,
        "改码公司",
        "家用电器",
        "2015-03-13",
        "合格",
        "",
    ]));
    mixed.push_str(&line([
        "X-003",
        "区级",
        HUAWEI,
        "",
        "家用电器",
        "2015-03-14",
        "不合格",
        "",
    ]));
    mixed.push_str(&line([
        "X-004",
        "区级",
        HUAWEI,
        "",
        "家用电器",
        "2015-13-45",
        "合格",
        "",
    ]));
    mixed.push_str(&gen_lines);
    // Repeats: the same content (unchanged), other content (refused).
    mixed.push_str(&line([
        "N-001",
        "国家级",
        BAIDU,
        "",
        "人造板",
        "2015-02-10",
        "不合格",
        "含水率（GB/T 17657-2013）",
    ]));
    mixed.push_str(&line([
        "N-002",
        "区级",
        XIAOMI,
        "北京小米科技有限责任公司",
        "家用电器",
        "2015-03-10",
        "不合格",
        "标识（GB 5296.1-2012）",
    ]));
    let r = import_sampling(store, mixed.clone()).await;
    assert_eq!(report_text(&r), EXPECTED_REPORT);
    assert_eq!(sampling_dump(store).await, EXPECTED_DUMP);

    // The generated rows: every one stored with its enterprise and verdict, an event per
    // failure, the counts per year and category as computed here.
    let stored = sqlx::query(
        "SELECT s.report_no, e.code, s.passed FROM sampling s JOIN enterprises e ON e.id = s.enterprise_id WHERE s.report_no LIKE 'G%' ORDER BY s.report_no",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap();
    assert_eq!(stored.len(), 1234);
    for (i, r) in stored.iter().enumerate() {
        assert_eq!(r.get::<String, _>(0), format!("G{i:05}"));
        assert_eq!(
            r.get::<String, _>(1),
            if i % 5 == 0 { BAIDU } else { HUAWEI }
        );
        assert_eq!(r.get::<i64, _>(2), i64::from(i % 7 != 3));
    }
    let events: i64 = sqlx::query(
        "SELECT COUNT(*) FROM credit_events WHERE source = 'sampling' AND source_ref LIKE 'G%' AND withdrawn_at IS NULL",
    )
    .fetch_one(&store.pool)
    .await
    .unwrap()
    .get(0);
    assert_eq!(events, (0..1234).filter(|i| i % 7 == 3).count() as i64);
    for (key, n) in [
        ((2014, "电线电缆"), (1, 1)),
        ((2014, "人造板"), (1, 0)),
        ((2014, "食用植物油"), (1, 1)),
        ((2015, "电线电缆"), (1, 1)),
        ((2015, "人造板"), (1, 0)),
        ((2015, "家用电器"), (2, 1)),
    ] {
        let e = expected.entry((key.0, key.1.to_string())).or_insert((0, 0));
        e.0 += n.0;
        e.1 += n.1;
    }
    expected.retain(|_, v| v.0 > 0);
    assert_eq!(stats(store).await, expected);

    // The same file again: nothing changes, the same rows are refused.
    let again = import_sampling(store, mixed).await;
    assert_eq!(
        (
            again.created,
            again.updated,
            again.side,
            again.problems_total
        ),
        (0, 0, 0, r.problems_total)
    );
    assert_eq!(again.unchanged, r.created + r.updated + r.unchanged);
    assert_eq!(sampling_dump(store).await, EXPECTED_DUMP);
}

const EXPECTED_REPORT: &str = r#"created 1237 updated 3 unchanged 2 side 2 refused 5
第9行：企业“91110000600037341L”尚未登记，且未填写企业名称
第10行：统一社会信用代码（或组织机构代码）无效：校验码（第 18 位）应为“6”，实际为“7”
第11行“不合格项目（依据标准）”列：检验结论为不合格，请填写不合格项目，如：甲醛释放量（GB 18580-2017）
第12行“抽样日期”列：“2015-13-45”不是日期，请按 2015-03-31 或 2015年3月31日 的格式填写
第1248行：报告编号“N-002”与第7行重复且内容不同
"#;
const EXPECTED_DUMP: &str = r#"N-001|2015年监督抽查|national|production|91110000802100433B|人造板样品|人造板|industrial|0|批N-001|2015-02-10|-|2015|0|含水率（GB/T 17657-2013）|郑州市质检院|8df1cf67449a6217fef14348b90cf5a4f3a806ba4390df90efe7b60c84009eaa|system:bulk
N-002|2015年监督抽查|district|production|91110108551385082Q|家用电器样品|家用电器|industrial|0|批N-002|2015-03-10|-|2015|1||郑州市质检院|ee497971f855ab687d9d1978f696b6b4db66461d36c465495887540ddcac617a|system:bulk
N-003|2015年监督抽查|district|production|91110000101623741X|家用电器样品|家用电器|industrial|0|批N-003|2015-03-11|-|2015|0|标识（GB 5296.1-2012）|郑州市质检院|a90b86e17ca238c06c82cba02a6ae5e3baacddd845b0a5a5ca66ab0a70ebd234|system:bulk
R-001|2015年监督抽查|national|production|914403001922038216|电线电缆样品|电线电缆|industrial|0|批R-001|2014-05-10|-|2014|1||郑州市质检院|d823dec53dabdc223becc3dc51df13a93491860a1f9e2c58e170b744779a1575|system:bulk
R-002|2015年监督抽查|provincial|production|91110000802100433B|人造板样品|人造板|industrial|0|批R-002|2014-06-10|-|2014|0|甲醛释放量（GB 18580-2017）|郑州市质检院|2a30e1717a5309c84d63fe0457b01575f5d27b06c7eb15f15ebdfe21544d9ffa|system:bulk
R-003|2015年监督抽查|city|production|914403001922038216|电线电缆样品|电线电缆|industrial|0|批R-003|2015-01-10|-|2015|1||郑州市质检院|99e11c3cd7cc3dcf4f4e607e0515c75d31b888590e0704dfc445bdfc877ccc0c|system:bulk
R-004|2015年监督抽查|district|production|91110000802100433B|食用植物油样品|食用植物油|industrial|0|批R-004|2014-08-10|-|2014|1||郑州市质检院|f2e0557eeb4fbed52972c0b2cbb50cc55644e478c3821a31837400676b79eedc|system:bulk
event 91110000802100433B|sampling_failure|2015-02-10|0|国家级监督抽查不合格：人造板样品（含水率（GB/T 17657-2013））|sampling|N-001|system:bulk|open|-
event 91110000101623741X|sampling_failure|2015-03-11|0|区级监督抽查不合格：家用电器样品（标识（GB 5296.1-2012））|sampling|N-003|system:bulk|open|-
event 914403001922038216|sampling_failure|2014-05-10|0|国家级监督抽查不合格：电线电缆样品（导体电阻（GB/T 3956-2008））|sampling|R-001|system:bulk|withdrawn|抽查结论更正为合格 / the sampling verdict was corrected to pass
event 91110000802100433B|sampling_failure|2014-06-10|0|省级监督抽查不合格：人造板样品（甲醛释放量（GB 18580-2017））|sampling|R-002|system:bulk|open|-
rate 2014 531/620
rate 2015 531/621
"#;

/// Enterprises and their licences, as text.
async fn enterprise_dump(store: &Store) -> String {
    let mut out = String::new();
    for r in sqlx::query(
        "SELECT code, code_kind, name, address, industry, COALESCE(size, '-'), town, chief_quality_officer, contact, \
         COALESCE(file_opened, '-'), row_version, search_text FROM enterprises ORDER BY code",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap()
    {
        let mut cols = Vec::new();
        for i in 0..12 {
            cols.push(match r.try_get::<String, _>(i) {
                Ok(s) => s,
                Err(_) => r.try_get::<i64, _>(i).unwrap().to_string(),
            });
        }
        let _ = writeln!(out, "{}", cols.join("|"));
    }
    for r in sqlx::query(
        "SELECT e.code, l.kind, l.number, l.product, COALESCE(l.issued, '-'), COALESCE(l.expires, '-') \
         FROM licences l JOIN enterprises e ON e.id = l.enterprise_id ORDER BY e.code, l.kind, l.number",
    )
    .fetch_all(&store.pool)
    .await
    .unwrap()
    {
        let cols: Vec<String> = (0..6).map(|i| r.get::<String, _>(i)).collect();
        let _ = writeln!(out, "licence {}", cols.join("|"));
    }
    out
}

const ENTERPRISE_HEADER: &str = "统一社会信用代码,企业名称,地址,行业,所属街道（镇）,联系电话,建档日期,许可证类型,许可证编号,许可产品,发证日期,有效期至\n";

async fn import_enterprise_file(store: &Store, csv: String) -> ImportReport {
    qcity_web::imports::enterprises_file(
        store,
        &Actor::system("bulk"),
        "e.csv",
        today(),
        csv.into_bytes(),
        &Default::default(),
    )
    .await
    .unwrap()
    .unwrap()
}

#[tokio::test]
async fn a_mixed_enterprise_file_writes_the_same_enterprises_licences_and_refusals() {
    let app = TestApp::spawn().await;
    let store = &app.store;
    let office = Actor::system("office");
    enterprises::record_override(store, &office, OVERRIDDEN, "发证机关错发")
        .await
        .unwrap();
    let first = format!(
        "{ENTERPRISE_HEADER}{HUAWEI},华为技术有限公司,深圳市龙岗区,通信设备,新城街道,0755-1,2014-03-01,生产许可证,XK06-001,电线电缆,2013-01-01,2018-01-01\n\
         {BAIDU},北京百度网讯科技有限公司,,,老城街道,,,,,,,\n"
    );
    let r = import_enterprise_file(store, first).await;
    assert_eq!(
        report_text(&r),
        "created 2 updated 0 unchanged 0 side 1 refused 0\n"
    );

    let mut mixed = String::from(ENTERPRISE_HEADER);
    // Unchanged; the same code again for a second licence; a changed licence.
    mixed.push_str(&format!(
        "{HUAWEI},华为技术有限公司,,,,,,生产许可证,XK06-001,电线电缆,2013-01-01,2018-01-01\n"
    ));
    mixed.push_str(&format!(
        "{HUAWEI},华为技术有限公司,,,,,,CCC认证,2014010101000001,家用电器,2014-01-01,2019-01-01\n"
    ));
    mixed.push_str(&format!(
        "{HUAWEI},华为技术有限公司,,,,,,生产许可证,XK06-001,电线电缆,2013-01-01,2020-01-01\n"
    ));
    // Updated where a field is given; blank fields keep theirs.
    mixed.push_str(&format!(
        "{BAIDU},北京百度网讯科技有限公司,北京市海淀区上地十街10号,互联网,,010-2,2015-01-01,,,,,\n"
    ));
    // New, then the same new code again with a licence and an address.
    mixed.push_str(&format!(
        "{XIAOMI},北京小米科技有限责任公司,,,新城街道,,,,,,,\n"
    ));
    mixed.push_str(&format!("{XIAOMI},北京小米科技有限责任公司,北京市海淀区,,,,,食品生产许可证,SC101,饮料,2015-01-01,2020-01-01\n"));
    // Refused: an altered code; a new code without a name; an overridden code is taken.
    mixed.push_str(&format!("{ALTERED},改码公司,,,,,,,,,,\n"));
    mixed.push_str(&format!("{OVERRIDDEN},错码企业,,,,,,,,,,\n"));
    for i in 0..700u64 {
        let code = qcity_store::demo::registers::demo_uscc(i);
        mixed.push_str(&format!(
            "{code},企业{i},地址{i},,新城街道,,,生产许可证,GX{i:04},产品{i},2015-01-01,2020-01-01\n"
        ));
        if i % 3 == 0 {
            mixed.push_str(&format!(
                "{code},企业{i},,,,,,CCC认证,GC{i:04},产品{i},2015-01-01,2021-01-01\n"
            ));
        }
    }
    let r = import_enterprise_file(store, mixed.clone()).await;
    assert_eq!(report_text(&r), EXPECTED_ENTERPRISE_REPORT);
    let dump = enterprise_dump(store).await;
    let head: String = dump
        .lines()
        .filter(|l| !l.contains("|企业") && !l.contains("|GX") && !l.contains("|GC"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(head, EXPECTED_ENTERPRISE_DUMP);
    let (enterprises_n, licences_n) = (
        dump.lines().filter(|l| l.contains("|企业")).count(),
        dump.lines()
            .filter(|l| l.contains("|GX") || l.contains("|GC"))
            .count(),
    );
    assert_eq!((enterprises_n, licences_n), (700, 700 + 234));

    // Again: nothing new; the licence the file gives twice (expiring 2018, then 2020) is
    // rewritten twice and ends as it was.
    let again = import_enterprise_file(store, mixed).await;
    assert_eq!(
        (
            again.created,
            again.updated,
            again.side,
            again.problems_total
        ),
        (0, 0, 2, r.problems_total)
    );
    assert_eq!(enterprise_dump(store).await, dump);
}

const EXPECTED_ENTERPRISE_REPORT: &str = r#"created 702 updated 1 unchanged 1 side 937 refused 1
第8行：统一社会信用代码（或组织机构代码）无效：校验码（第 18 位）应为“6”，实际为“7”
"#;
const EXPECTED_ENTERPRISE_DUMP: &str = r#"91110000101623741X|uscc|错码企业|||-||||-|0|错 码 企 业 错码 码企 企业 91110000101623741x
91110000802100433B|uscc|北京百度网讯科技有限公司|北京市海淀区上地十街10号|互联网|-|老城街道||010-2|2015-01-01|1|北 京 百 度 网 讯 科 技 有 限 公 司 北京 京百 百度 度网 网讯 讯科 科技 技有 有限 限公 公司 市 海 淀 区 上 地 十 街 京市 市海 海淀 淀区 区上 上地 地十 十街 10 号 91110000802100433b
91110108551385082Q|uscc|北京小米科技有限责任公司|北京市海淀区||-|新城街道|||-|1|北 京 小 米 科 技 有 限 责 任 公 司 北京 京小 小米 米科 科技 技有 有限 限责 责任 任公 公司 市 海 淀 区 京市 市海 海淀 淀区 91110108551385082q
914403001922038216|uscc|华为技术有限公司|深圳市龙岗区|通信设备|-|新城街道||0755-1|2014-03-01|0|华 为 技 术 有 限 公 司 华为 为技 技术 术有 有限 限公 公司 深 圳 市 龙 岗 区 深圳 圳市 市龙 龙岗 岗区 914403001922038216
licence 91110108551385082Q|food|SC101|饮料|2015-01-01|2020-01-01
licence 914403001922038216|ccc|2014010101000001|家用电器|2014-01-01|2019-01-01
licence 914403001922038216|production|XK06-001|电线电缆|2013-01-01|2020-01-01
"#;

static PROBE: qcity_store::bulk::Table = qcity_store::bulk::Table {
    name: "bulk_probe",
    columns: &[
        ("a", qcity_store::bulk::Kind::Text),
        ("b", qcity_store::bulk::Kind::Int),
        ("c", qcity_store::bulk::Kind::Text),
    ],
    on_conflict: "ON CONFLICT (a) DO NOTHING",
};

/// Enough rows for several full statements and a shorter last one on both databases, with
/// text that needs quoting in an array literal, NULLs and a conflict skipped.
#[tokio::test]
async fn bulk_rows_arrive_in_order_with_their_text_intact() {
    use qcity_store::bulk::{Rows, Value};
    let app = TestApp::spawn().await;
    let store = &app.store;
    sqlx::query(
        "CREATE TABLE bulk_probe (id {ID}, a TEXT NOT NULL UNIQUE, b BIGINT, c TEXT)"
            .replace(
                "{ID}",
                match store.backend {
                    qcity_store::Backend::Sqlite => "INTEGER PRIMARY KEY AUTOINCREMENT",
                    qcity_store::Backend::Postgres => "BIGSERIAL PRIMARY KEY",
                },
            )
            .as_str(),
    )
    .execute(&store.pool)
    .await
    .unwrap();
    let awkward = [
        "引号\"与\\反斜杠",
        "a,b{c}d",
        "NULL",
        "",
        " 前后空格 ",
        "换行\n与\t制表",
    ];
    let n = 12_345usize;
    let mut rows = Rows::new(&PROBE);
    let mut expected = Vec::new();
    for i in 0..n {
        let a = format!("{i:06}{}", awkward[i % awkward.len()]);
        let c = (i % 3 != 0).then(|| format!("c{i}"));
        rows.push([
            Value::from(a.as_str()),
            Value::Int(i as i64 - 5),
            Value::from(c.clone()),
        ])
        .unwrap();
        expected.push((a, i as i64 - 5, c));
    }
    // A row whose key is taken is skipped, as the conflict clause says.
    rows.push([
        Value::from(expected[7].0.as_str()),
        Value::Int(0),
        Value::Null,
    ])
    .unwrap();
    let mut tx = store.begin().await.unwrap();
    rows.write(store.backend, &mut tx).await.unwrap();
    tx.commit().await.unwrap();
    assert!(rows.is_empty());
    let stored: Vec<(String, i64, Option<String>)> =
        sqlx::query("SELECT a, b, c FROM bulk_probe ORDER BY id")
            .fetch_all(&store.pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect();
    assert_eq!(stored.len(), n);
    assert_eq!(stored, expected);
}

/// The definitions of a table's indexes, by name, as the database keeps them.
async fn indexes_of(store: &Store, table: &str) -> BTreeMap<String, String> {
    let sql = match store.backend {
        qcity_store::Backend::Sqlite => {
            "SELECT name, COALESCE(sql, '') AS def FROM sqlite_master WHERE type = 'index' AND tbl_name = $1"
        }
        qcity_store::Backend::Postgres => {
            "SELECT CAST(indexname AS TEXT) AS name, indexdef AS def FROM pg_indexes WHERE tablename = $1"
        }
    };
    sqlx::query(sql)
        .bind(table)
        .fetch_all(&store.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get("name"), r.get("def")))
        .collect()
}

/// A load into an empty register sets its indexes aside and builds them again: afterwards they
/// are exactly as before and serve the register's queries; a file refused as a whole (after
/// the import began) leaves them as they were too.
#[tokio::test]
async fn a_load_into_an_empty_register_keeps_its_indexes() {
    let app = TestApp::spawn().await;
    let store = &app.store;
    let before = indexes_of(store, "sampling").await;
    assert!(
        before.len() >= 4,
        "the register has its unique and secondary indexes: {before:?}"
    );

    let refused = qcity_web::imports::sampling_file(
        store,
        &Actor::system("bulk"),
        "bad.csv",
        today(),
        b"not,a,sampling,file\n1,2,3,4\n".to_vec(),
        &Default::default(),
    )
    .await
    .unwrap();
    assert!(refused.is_err(), "a file without the columns is refused");
    assert_eq!(indexes_of(store, "sampling").await, before);

    register_two(store).await;
    let (lines, expected) = generated(700);
    let mut csv = String::from(SAMPLING_HEADER);
    csv.push_str(&lines);
    let report = import_sampling(store, csv).await;
    assert_eq!((report.created, report.problems_total), (700, 0));
    assert_eq!(indexes_of(store, "sampling").await, before);
    assert_eq!(stats(store).await, expected);
    if store.backend == qcity_store::Backend::Sqlite {
        let plan: Vec<String> = sqlx::query(
            "EXPLAIN QUERY PLAN SELECT COUNT(*) FROM sampling WHERE owner_id = 1 AND year = 2015",
        )
        .fetch_all(&store.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect();
        assert!(
            plan.iter().any(|d| d.contains("sampling_owner_year")),
            "the rebuilt index serves the register: {plan:?}"
        );
    }
}
