//! The enterprise and sampling registries through the public API: workbooks
//! as clerks make them (a title row, columns in their own order, date cells,
//! bad rows among good ones), CSV in GBK, files missing a required column,
//! the templates read back, a large CSV streamed, and the enterprise
//! template filled in and re-saved by LibreOffice when it is installed.

use crate::libreoffice;

use chrono::NaiveDate;
use qcity_domain::plan::Diagnostic;
use qcity_domain::registry::{
    EnterpriseInput, EnterpriseRow, FailedItem, Level, LicenceInput, LicenceKind, ProductKind,
    SamplingInput, Size, Stage, Verdict,
};
use qcity_exchange::{
    MAX_ROW_DIAGNOSTICS, SHEET_ENTERPRISES, SHEET_SAMPLING, enterprise_template_xlsx,
    read_enterprises, read_sampling, sampling_template_xlsx,
};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// A cell of a workbook written for a test.
#[derive(Clone, Copy)]
enum V<'a> {
    S(&'a str),
    N(f64),
    D(u16, u8, u8),
    Blank,
}

/// A workbook whose first sheet `sheet` holds `rows` (dates as date cells).
fn workbook(sheet: &str, rows: &[Vec<V<'_>>]) -> Vec<u8> {
    build_workbook(sheet, rows).unwrap_or_else(|e| panic!("{e}"))
}

fn build_workbook(sheet: &str, rows: &[Vec<V<'_>>]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    ws.set_name(sheet)?;
    for (r, row) in (0u32..).zip(rows) {
        for (c, v) in (0u16..).zip(row) {
            match *v {
                V::S(s) => {
                    ws.write_string(r, c, s)?;
                }
                V::N(n) => {
                    ws.write_number(r, c, n)?;
                }
                V::D(y, m, d) => {
                    ws.write_date_with_format(r, c, ExcelDateTime::from_ymd(y, m, d)?, &date)?;
                }
                V::Blank => {}
            }
        }
    }
    // A second sheet that must not be read.
    let other = wb.add_worksheet();
    other.set_name("备注")?;
    other.write_string(0, 0, "企业名称")?;
    other.write_string(0, 1, "统一社会信用代码")?;
    other.write_string(1, 0, "不应导入")?;
    wb.save_to_buffer()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("{y}-{m}-{d}"))
}

/// The errors' lines, in order.
fn error_lines(diagnostics: &[Diagnostic]) -> Vec<usize> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| d.line.unwrap_or_default())
        .collect()
}

/// The day the enterprise files are read on (bounds the file-opening date).
fn today() -> NaiveDate {
    date(2026, 1, 1)
}

/// The good rows with their lines, and the row diagnostics.
type Read<R> = (Vec<(usize, R)>, Vec<Diagnostic>);

fn read_all_enterprises(bytes: &[u8]) -> Result<Read<EnterpriseRow>, Diagnostic> {
    let mut rows = Vec::new();
    let diagnostics = read_enterprises(bytes, today(), |line, r| rows.push((line, r)))?;
    Ok((rows, diagnostics))
}

fn messages(diagnostics: &[Diagnostic], line: usize) -> (String, String) {
    let of = |f: fn(&Diagnostic) -> &str| {
        diagnostics
            .iter()
            .filter(|d| d.line == Some(line))
            .map(f)
            .collect::<Vec<_>>()
            .join("\n")
    };
    (of(|d| &d.message_en), of(|d| &d.message_zh))
}

const USCC_A: &str = "91410100MA3X5ABC1D";
const USCC_B: &str = "91410105MA44XYZ00Q";

#[test]
fn an_enterprise_workbook_with_a_title_row_shuffled_columns_and_a_bad_row() {
    use V::{Blank, D, N, S};
    let rows = vec![
        vec![S("惠济区企业名录（2015年）")],
        vec![Blank],
        // Columns in a clerk's own order, with marks, brackets, English and
        // an extra column the reader does not know.
        vec![
            S("*企业名称"),
            S("序号"),
            S(" 统一社会信用代码 "),
            S("企业规模"),
            S("所属街道（镇）"),
            S("联系电话"),
            S("建档日期"),
            S("许可证类型"),
            S("许可证编号"),
            S("发证日期"),
            S("有效期至"),
            S("许可产品"),
            S("Address"),
        ],
        vec![
            S("郑州惠济电缆有限公司"),
            N(1.0),
            S("９１４１０１００ma3x5abc1d "),
            S("中型"),
            S("花园口镇"),
            N(13_803_710_001.0),
            D(2015, 3, 31),
            S("生产许可证"),
            S("XK06-001-00123"),
            D(2013, 5, 6),
            D(2018, 5, 5),
            S("电线电缆"),
            S("郑州市惠济区天河路 8 号"),
        ],
        // The same enterprise's second licence.
        vec![
            S("郑州惠济电缆有限公司"),
            N(2.0),
            S(USCC_A),
            S("中型"),
            S("花园口镇"),
            Blank,
            Blank,
            S("CCC"),
            S("2014010105000001"),
            S("2014年1月2日"),
            S("2019/1/1"),
            S("电线组件"),
        ],
        vec![Blank, Blank, Blank],
        // Bad: an unknown size, and a licence that expires before it is issued.
        vec![
            S("惠济食品厂"),
            N(3.0),
            S(USCC_B),
            S("巨型"),
            Blank,
            Blank,
            Blank,
            S("食品生产许可证"),
            S("SC10141010500012"),
            D(2016, 1, 1),
            D(2015, 1, 1),
        ],
        // Bad: no name; a licence number without its kind.
        vec![
            Blank,
            N(4.0),
            S("12345678-9"),
            Blank,
            Blank,
            Blank,
            S("明年"),
            Blank,
            S("XK-9"),
        ],
        // Good, with no licence.
        vec![S("惠济区老鸦陈包子铺"), N(5.0), S("12345678-9"), S("微型")],
    ];
    let bytes = workbook(SHEET_ENTERPRISES, &rows);
    let (got, diagnostics) = read_all_enterprises(&bytes).unwrap_or_else(|d| panic!("{d}"));
    let cable = EnterpriseRow {
        enterprise: EnterpriseInput {
            code: USCC_A.to_string(),
            name: "郑州惠济电缆有限公司".to_string(),
            address: "郑州市惠济区天河路 8 号".to_string(),
            industry: String::new(),
            size: Some(Size::Medium),
            town: "花园口镇".to_string(),
            chief_quality_officer: String::new(),
            contact: "13803710001".to_string(),
            file_opened: Some(date(2015, 3, 31)),
        },
        licence: Some(LicenceInput {
            kind: LicenceKind::Production,
            number: "XK06-001-00123".to_string(),
            product: "电线电缆".to_string(),
            issued: Some(date(2013, 5, 6)),
            expires: Some(date(2018, 5, 5)),
        }),
    };
    let second_licence = EnterpriseRow {
        enterprise: EnterpriseInput {
            address: String::new(),
            contact: String::new(),
            file_opened: None,
            ..cable.enterprise.clone()
        },
        licence: Some(LicenceInput {
            kind: LicenceKind::Ccc,
            number: "2014010105000001".to_string(),
            product: "电线组件".to_string(),
            issued: Some(date(2014, 1, 2)),
            expires: Some(date(2019, 1, 1)),
        }),
    };
    let shop = EnterpriseRow {
        enterprise: EnterpriseInput {
            code: "12345678-9".to_string(),
            name: "惠济区老鸦陈包子铺".to_string(),
            size: Some(Size::Micro),
            ..Default::default()
        },
        licence: None,
    };
    assert_eq!(got, [(4, cable), (5, second_licence), (9, shop)]);
    // Each bad row is named by its line, with every problem it has.
    assert_eq!(error_lines(&diagnostics), [7, 7, 8, 8, 8]);
    let (en, zh) = messages(&diagnostics, 7);
    assert!(
        zh.contains("第7行“企业规模”列") && zh.contains("大型、中型、小型、微型"),
        "{zh}"
    );
    assert!(
        en.contains("row 7, column size (企业规模)") && en.contains("巨型"),
        "{en}"
    );
    assert!(
        zh.contains("有效期至（2015年1月1日）早于发证日期（2016年1月1日）"),
        "{zh}"
    );
    assert!(
        diagnostics
            .iter()
            .any(|d| d.path == format!("{SHEET_ENTERPRISES}!K7"))
    );
    let (en, zh) = messages(&diagnostics, 8);
    assert!(
        zh.contains("缺少企业名称") && en.contains("name is missing"),
        "{zh}\n{en}"
    );
    assert!(zh.contains("“明年”不是日期"), "{zh}");
    assert!(
        zh.contains("缺少许可证类型") && zh.contains("生产许可证、CCC认证"),
        "{zh}"
    );
}

#[test]
fn a_missing_required_column_is_a_file_level_error_naming_it() {
    let csv = "企业名称,地址,企业规模\n某公司,某地,小型\n";
    let d = read_all_enterprises(csv.as_bytes()).expect_err("no code column");
    assert!(d.is_error());
    assert!(
        d.message_zh.contains("缺少必填列“统一社会信用代码”"),
        "{d:#?}"
    );
    assert!(d.message_en.contains("统一社会信用代码 (USCC)"), "{d:#?}");
    assert_eq!(d.line, Some(1));

    let csv = "报告编号,抽查级别,产品名称,产品类别,检验结论\nR1,省级,电线,电线电缆,合格\n";
    let d = read_sampling(csv.as_bytes(), |_, _| {}).expect_err("three columns missing");
    assert!(
        d.message_zh
            .contains("缺少必填列“受检企业统一社会信用代码”“抽样日期”"),
        "{d:#?}"
    );
    assert!(d.message_en.contains("抽样日期 (sampled on)"), "{d:#?}");

    // Without any header row: what the table should look like.
    let d = read_all_enterprises("a,b\n1,2\n".as_bytes()).expect_err("no header");
    assert!(
        d.message_zh
            .contains("没有包含“统一社会信用代码”“企业名称”列名的表头行"),
        "{d:#?}"
    );
    // Not a table at all.
    assert!(read_sampling(b"", |_, _| {}).is_err());
    assert!(read_sampling(b"PK\x03\x04 not a zip", |_, _| {}).is_err());
    assert!(read_all_enterprises(&[0x00, 0x9F, 0x92, 0x96, 0x01]).is_err());
}

/// A sampling CSV: the header, then `rows`.
const SAMPLING_HEADER: &str = "报告编号,抽查计划（任务）,抽查级别,抽样环节,受检企业统一社会信用代码,\
    受检企业名称,产品名称,产品类别,产品属性,是否CCC目录内产品,规格型号/批号,抽样日期,报告日期,\
    检验结论,不合格项目（依据标准）,检验机构";

fn read_all_sampling(bytes: &[u8]) -> (Vec<(usize, SamplingInput)>, Vec<Diagnostic>) {
    let mut rows = Vec::new();
    let diagnostics =
        read_sampling(bytes, |line, r| rows.push((line, r))).unwrap_or_else(|d| panic!("{d}"));
    (rows, diagnostics)
}

#[test]
fn sampling_csv_in_gbk_with_a_chinese_header() {
    let csv = format!(
        "{SAMPLING_HEADER}\r\n\
         GB2015-0012,2015年国家监督抽查,国抽,流通环节,{USCC_A},郑州惠济电缆有限公司,\
         聚氯乙烯绝缘电缆,电线电缆,工业产品,是,BV 2.5mm2,2015年3月31日,2015-04-20,不合格,\
         \"导体电阻（GB/T 3956-2008）；绝缘厚度（GB/T 5023.3）\",国家电线电缆质检中心\r\n\
         HJ-2015-007,,区级,,{USCC_B},惠济食品厂,小麦粉,小麦粉,食品,否,,2015.6.1,,合格,,\r\n"
    );
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(&csv);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the test needs GBK bytes"
    );
    let (rows, diagnostics) = read_all_sampling(&gbk);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    assert_eq!(
        rows,
        [
            (
                2,
                SamplingInput {
                    report_no: "GB2015-0012".into(),
                    plan: "2015年国家监督抽查".into(),
                    level: Level::National,
                    stage: Stage::Circulation,
                    enterprise_code: USCC_A.into(),
                    enterprise_name: "郑州惠济电缆有限公司".into(),
                    product: "聚氯乙烯绝缘电缆".into(),
                    category: "电线电缆".into(),
                    kind: ProductKind::Industrial,
                    ccc: true,
                    batch: "BV 2.5mm2".into(),
                    sampled_on: date(2015, 3, 31),
                    reported_on: Some(date(2015, 4, 20)),
                    verdict: Verdict::Fail,
                    failed_items: vec![
                        FailedItem {
                            item: "导体电阻".into(),
                            standard: "GB/T 3956-2008".into()
                        },
                        FailedItem {
                            item: "绝缘厚度".into(),
                            standard: "GB/T 5023.3".into()
                        },
                    ],
                    agency: "国家电线电缆质检中心".into(),
                }
            ),
            (
                3,
                SamplingInput {
                    report_no: "HJ-2015-007".into(),
                    plan: String::new(),
                    level: Level::District,
                    stage: Stage::Production,
                    enterprise_code: USCC_B.into(),
                    enterprise_name: "惠济食品厂".into(),
                    product: "小麦粉".into(),
                    category: "小麦粉".into(),
                    kind: ProductKind::Food,
                    ccc: false,
                    batch: String::new(),
                    sampled_on: date(2015, 6, 1),
                    reported_on: None,
                    verdict: Verdict::Pass,
                    failed_items: Vec::new(),
                    agency: String::new(),
                }
            ),
        ]
    );
}

#[test]
fn sampling_rows_that_break_the_rules_are_named_and_the_rest_kept() {
    let csv = "\u{feff}报告编号,抽查级别,受检企业统一社会信用代码,产品名称,产品类别,抽样日期,报告日期,检验结论,不合格项目\n\
               R1,省级,C1,电线,电线电缆,2015-03-01,2015-03-20,合格,\n\
               R2,省级,C1,电线,电线电缆,2015-03-01,,不合格,\n\
               R3,省级,C1,电线,电线电缆,2015-03-01,,合格,导体电阻\n\
               R4,省级,C1,电线,电线电缆,2015-03-01,2015-02-28,合格,\n\
               R5,省级,C1,电线,电线电缆,1999-12-31,,合格,\n\
               R6,乡级,C1,电线,电线电缆,2015-03-01,,优秀,\n\
               ,,,,,,,,\n\
               ,省级,,,,,,,\n\
               R9,市抽,c1,电线,电线电缆,42064,,不合格,标志（GB 5023.1）\n";
    let (rows, diagnostics) = read_all_sampling(csv.as_bytes());
    let kept: Vec<(usize, &str, Level)> = rows
        .iter()
        .map(|(line, r)| (*line, r.report_no.as_str(), r.level))
        .collect();
    assert_eq!(
        kept,
        [(2, "R1", Level::Provincial), (10, "R9", Level::City)]
    );
    // The absent columns take their defaults; an Excel serial is a date.
    let r9 = &rows[1].1;
    assert_eq!(
        (r9.stage, r9.kind, r9.ccc, r9.sampled_on),
        (
            Stage::Production,
            ProductKind::Industrial,
            false,
            date(2015, 3, 1)
        )
    );
    assert_eq!(r9.enterprise_code, "C1");
    assert_eq!(
        error_lines(&diagnostics),
        [3, 4, 5, 6, 7, 7, 9, 9, 9, 9, 9, 9]
    );
    let zh = |line| messages(&diagnostics, line).1;
    let en = |line| messages(&diagnostics, line).0;
    assert!(
        zh(3).contains("检验结论为不合格，请填写不合格项目"),
        "{}",
        zh(3)
    );
    assert!(en(4).contains("合格 (pass) but failed items"), "{}", en(4));
    assert!(
        zh(5).contains("报告日期（2015年2月28日）早于抽样日期（2015年3月1日）"),
        "{}",
        zh(5)
    );
    assert!(en(6).contains("outside the years 2000–2100"), "{}", en(6));
    assert!(
        zh(7).contains("“乡级”无法识别，请填写：国家级、省级、市级、区级"),
        "{}",
        zh(7)
    );
    assert!(
        zh(7).contains("“优秀”无法识别，请填写：合格、不合格"),
        "{}",
        zh(7)
    );
    assert!(
        zh(9).contains("缺少报告编号") && zh(9).contains("缺少抽样日期"),
        "{}",
        zh(9)
    );
}

#[test]
fn a_sampling_workbook_with_date_cells_and_a_title_row() {
    use V::{Blank, D, S};
    let rows = vec![
        vec![S("2015年第一季度监督抽查结果汇总")],
        vec![
            S("检验结论"),
            S("抽样日期"),
            S("产品类别"),
            S("产品名称"),
            S("受检企业统一社会信用代码"),
            S("抽查级别"),
            S("报告编号"),
            S("报告日期"),
            S("不合格项目（依据标准）"),
        ],
        vec![
            S("合格"),
            D(2015, 2, 10),
            S("家具"),
            S("办公椅"),
            S(USCC_B),
            S("市级"),
            S("SJ-001"),
            D(2015, 3, 1),
        ],
        vec![Blank],
        vec![
            S("不合格"),
            D(2015, 2, 11),
            S("家具"),
            S("书柜"),
            S(USCC_B),
            S("市级"),
            S("SJ-002"),
            D(2015, 2, 1),
            S("甲醛释放量（GB 18580-2017）"),
        ],
    ];
    let bytes = workbook(SHEET_SAMPLING, &rows);
    let (got, diagnostics) = read_all_sampling(&bytes);
    assert_eq!(got.len(), 1, "{got:#?}");
    assert_eq!(got[0].0, 3);
    assert_eq!(got[0].1.sampled_on, date(2015, 2, 10));
    assert_eq!(got[0].1.reported_on, Some(date(2015, 3, 1)));
    assert_eq!(error_lines(&diagnostics), [5]);
    assert_eq!(diagnostics[0].path, format!("{SHEET_SAMPLING}!H5"));
}

#[test]
fn the_templates_read_back_with_no_rows_and_no_errors() {
    let template = enterprise_template_xlsx().unwrap_or_else(|e| panic!("{e}"));
    let (rows, diagnostics) = read_all_enterprises(&template).unwrap_or_else(|d| panic!("{d}"));
    assert!(
        rows.is_empty() && diagnostics.is_empty(),
        "{diagnostics:#?}"
    );
    let template = sampling_template_xlsx().unwrap_or_else(|e| panic!("{e}"));
    let (rows, diagnostics) = read_all_sampling(&template);
    assert!(
        rows.is_empty() && diagnostics.is_empty(),
        "{diagnostics:#?}"
    );

    // The data sheet first, its required columns marked; the guide second.
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    let mut xlsx: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(template)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(xlsx.sheet_names(), [SHEET_SAMPLING, "说明"]);
    let data = xlsx
        .worksheet_range(SHEET_SAMPLING)
        .unwrap_or_else(|e| panic!("{e}"));
    let header: Vec<String> = data
        .rows()
        .next()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    assert_eq!(header.first().map(String::as_str), Some("*报告编号"));
    assert!(header.contains(&"抽样环节".to_string()), "{header:?}");
    assert_eq!(data.rows().count(), 1, "no example rows");
    let guide = xlsx
        .worksheet_range("说明")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(guide.rows().any(|r| {
        matches!(r.first(), Some(Data::String(s)) if s == "抽查级别")
            && matches!(r.get(3), Some(Data::String(s)) if s == "国家级、省级、市级、区级")
    }));
}

#[test]
fn a_large_sampling_csv_streams_through() {
    const ROWS: usize = 200_000;
    const BAD_EVERY: usize = 150;
    let mut csv = String::with_capacity(ROWS * 160);
    csv.push_str(SAMPLING_HEADER);
    csv.push('\n');
    let mut bad = 0;
    for i in 0..ROWS {
        // Every 150th row has no sampling date.
        let sampled = if i % BAD_EVERY == 7 {
            bad += 1;
            String::new()
        } else {
            format!("2015-{:02}-{:02}", i % 12 + 1, i % 28 + 1)
        };
        let (verdict, items) = if i % 10 == 0 {
            ("不合格", "标志和说明（GB 5296.1）")
        } else {
            ("合格", "")
        };
        csv.push_str(&format!(
            "R{i:07},2015年区级抽查,区级,生产,914101{i:012},企业{i},产品{i},类别{},工业产品,否,\
             批号{i},{sampled},,{verdict},{items},区质检所\n",
            i % 40
        ));
    }
    let mut count = 0usize;
    let mut fails = 0usize;
    let mut last_line = 0usize;
    let diagnostics = read_sampling(csv.as_bytes(), |line, r| {
        count += 1;
        fails += usize::from(r.verdict == Verdict::Fail);
        assert!(line > last_line);
        last_line = line;
    })
    .unwrap_or_else(|d| panic!("{d}"));
    assert_eq!(count, ROWS - bad);
    assert_eq!(fails, ROWS / 10);
    assert_eq!(last_line, ROWS + 1);
    // 1334 bad rows: the first 1000 listed, then one counting the rest.
    assert_eq!(diagnostics.len(), MAX_ROW_DIAGNOSTICS + 1);
    assert_eq!(diagnostics[0].line, Some(9));
    let last = &diagnostics[MAX_ROW_DIAGNOSTICS];
    assert!(last.is_error() && last.line.is_none());
    let left_out = bad - MAX_ROW_DIAGNOSTICS;
    assert!(
        last.message_zh
            .contains(&format!("另有 {left_out} 处问题未列出")),
        "{last:#?}"
    );
}

#[test]
fn the_enterprise_template_filled_and_resaved_by_libreoffice_reads_back() {
    use calamine::{Reader, Xlsx, open_workbook_from_rs};
    let template = enterprise_template_xlsx().unwrap_or_else(|e| panic!("{e}"));
    let mut xlsx: Xlsx<_> =
        open_workbook_from_rs(std::io::Cursor::new(template)).unwrap_or_else(|e| panic!("{e}"));
    let header: Vec<String> = xlsx
        .worksheet_range(SHEET_ENTERPRISES)
        .unwrap_or_else(|e| panic!("{e}"))
        .rows()
        .next()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .unwrap_or_default();
    // The template's header as it is, and a row filled in below it.
    let value = |name: &str| -> V<'static> {
        match name.trim_start_matches('*') {
            "统一社会信用代码" => V::S(USCC_A),
            "企业名称" => V::S("郑州惠济电缆有限公司"),
            "企业规模" => V::S("大型"),
            "建档日期" => V::D(2015, 3, 31),
            "许可证类型" => V::S("生产许可证"),
            "许可证编号" => V::S("XK06-001-00123"),
            "发证日期" => V::D(2013, 5, 6),
            "有效期至" => V::D(2018, 5, 5),
            _ => V::Blank,
        }
    };
    let rows = vec![
        header.iter().map(|h| V::S(h)).collect::<Vec<_>>(),
        header.iter().map(|h| value(h)).collect(),
    ];
    let filled = workbook(SHEET_ENTERPRISES, &rows);
    let want = |bytes: &[u8]| {
        let (rows, diagnostics) = read_all_enterprises(bytes).unwrap_or_else(|d| panic!("{d}"));
        assert!(diagnostics.is_empty(), "{diagnostics:#?}");
        assert_eq!(rows.len(), 1);
        let (line, row) = &rows[0];
        assert_eq!((*line, row.enterprise.code.as_str()), (2, USCC_A));
        assert_eq!(row.enterprise.size, Some(Size::Large));
        assert_eq!(row.enterprise.file_opened, Some(date(2015, 3, 31)));
        let licence = row.licence.as_ref().unwrap_or_else(|| panic!("no licence"));
        assert_eq!(licence.expires, Some(date(2018, 5, 5)));
    };
    want(&filled);
    let Some(resaved) = libreoffice::resave_xlsx(
        "the_enterprise_template_filled_and_resaved_by_libreoffice_reads_back",
        &filled,
    ) else {
        return;
    };
    want(&resaved);
}
