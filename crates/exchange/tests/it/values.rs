//! Indicator values through the public API: CSV files as offices save
//! them (UTF-8 with BOM, GBK, full-width input, percent signs), files with
//! good and bad rows, duplicates, and files that are not tables at all.

use qcity_domain::plan::{Diagnostic, Plan, default_plan};
use qcity_exchange::{ValueRow, indicator_template_xlsx, read_indicator_values};

fn row(line: usize, indicator: &str, measure: &str, year: i32, value: f64, note: &str) -> ValueRow {
    ValueRow {
        line,
        indicator: indicator.to_string(),
        measure: measure.to_string(),
        year,
        value,
        note: note.to_string(),
    }
}

fn read(bytes: &[u8]) -> (Vec<ValueRow>, Vec<Diagnostic>) {
    read_indicator_values(bytes, &default_plan())
}

fn read_ok(bytes: &[u8]) -> Vec<ValueRow> {
    let (rows, diagnostics) = read(bytes);
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    rows
}

/// The errors, as (line, cell reference), in file order.
fn errors(diagnostics: &[Diagnostic]) -> Vec<(usize, String)> {
    diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.line.unwrap_or_default(), d.path.clone()))
        .collect()
}

fn bom(text: &str) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

#[test]
fn csv_in_utf8_with_bom() {
    let csv = "指标编号,分项,年份,数值,单位,说明\r\n\
               PRD-2,,2014,96.5,%,区质监分局抽检\r\n\
               ENV-6,pm25,2014,102,微克/立方米,\"市环境监测站，年均值\"\r\n\
               ENV-3,regional,2015,55.2,dB(A),\r\n";
    assert_eq!(
        read_ok(&bom(csv)),
        [
            row(2, "PRD-2", "", 2014, 96.5, "区质监分局抽检"),
            row(3, "ENV-6", "pm25", 2014, 102.0, "市环境监测站，年均值"),
            row(4, "ENV-3", "regional", 2015, 55.2, ""),
        ]
    );
    // The same without the BOM.
    assert_eq!(read_ok(csv.as_bytes()).len(), 3);
}

#[test]
fn csv_with_english_headers_in_any_order_and_extra_columns() {
    let csv = "Year,Value,Indicator name,Indicator,Measure,Note\n\
               2014,67.8,城市道路交通噪声,ENV-3,road,\n\
               2015,1,获得称号,SVC-4,laozihao,中华老字号\n";
    assert_eq!(
        read_ok(csv.as_bytes()),
        [
            row(2, "ENV-3", "road", 2014, 67.8, ""),
            row(3, "SVC-4", "laozihao", 2015, 1.0, "中华老字号"),
        ]
    );
    // Title lines above the header, a semicolon separator, no measure column.
    let csv = "2014年指标数据;;\n填报单位：区质监分局;;\nindicator;year;value\nPRD-1;2014;31.5\n";
    assert_eq!(
        read_ok(csv.as_bytes()),
        [row(4, "PRD-1", "", 2014, 31.5, "")]
    );
}

#[test]
fn csv_with_good_and_bad_rows_names_each_bad_line() {
    let csv = "指标编号,分项,年份,数值,说明\n\
               PRD-2,,2014,96.5,\n\
               ENV-9,,2014,50,\n\
               ENV-3,river,2014,50,\n\
               PRD-3,pm25,2014,91,\n\
               ENV-3,,2014,55,\n\
               PRD-4,,,95,\n\
               PRD-4,,明年,95,\n\
               PRD-4,,2012,95,\n\
               PRD-5,,2014,,有说明\n\
               PRD-6,,2014,约95,\n\
               PRD-7,,2014,101,\n\
               ENV-6,pm10,2014,80,\n\
               CUL-4,,2014,1,\n\
               ,,2014,3,\n\
               ENV-9,,20x4,abc,\n\
               \n\
               ,,,,\n\
               ENV-1,,,,只有说明\n\
               ENV-1,,2014,86,\n";
    let (rows, diagnostics) = read(csv.as_bytes());
    assert_eq!(
        rows,
        [
            row(2, "PRD-2", "", 2014, 96.5, ""),
            row(20, "ENV-1", "", 2014, 86.0, ""),
        ]
    );
    let cell = |line: usize, col: &str| (line, format!("{col}{line}"));
    assert_eq!(
        errors(&diagnostics),
        [
            cell(3, "A"),  // unknown indicator
            cell(4, "B"),  // not a measure of ENV-3
            cell(5, "B"),  // a measure for a single-measure indicator
            cell(6, "B"),  // ENV-3 needs a measure
            cell(7, "C"),  // no year
            cell(8, "C"),  // not a year
            cell(9, "C"),  // before 2013
            cell(10, "D"), // no value
            cell(11, "D"), // not a number
            cell(12, "D"), // a percent above 100
            cell(13, "D"), // PM10 is judged
            cell(14, "D"), // CUL-4 is judged
            cell(15, "A"), // no indicator code
            cell(16, "A"), // every problem of the row, not just the first
            cell(16, "C"),
            cell(16, "D"),
        ]
    );
    assert!(diagnostics.iter().all(|d| d.line.is_some()));
    let message = |line: usize| {
        diagnostics
            .iter()
            .find(|d| d.line == Some(line))
            .map(|d| (d.message_en.clone(), d.message_zh.clone()))
            .unwrap_or_default()
    };
    let (en, zh) = message(3);
    assert!(
        en.contains("row 3, column indicator (指标编号)") && en.contains("ENV-9"),
        "{en}"
    );
    assert!(
        zh.contains("第3行“指标编号”列") && zh.contains("ENV-9"),
        "{zh}"
    );
    let (en, zh) = message(4);
    assert!(
        en.contains("regional（区域环境噪声）、road（道路交通噪声）"),
        "{en}"
    );
    assert!(zh.contains("“river”不是ENV-3的分项"), "{zh}");
    let (en, _) = message(9);
    assert!(en.contains("2012 is outside 2013–2100"), "{en}");
    let (en, zh) = message(12);
    assert!(en.contains("between 0 and 100"), "{en}");
    assert!(zh.contains("0 到 100"), "{zh}");
    let (en, zh) = message(13);
    assert!(en.contains("ENV-6 pm10") && en.contains("web form"), "{en}");
    assert!(zh.contains("请在网页中评定"), "{zh}");
    // A note without year or value is skipped with a warning.
    let warning = diagnostics.iter().find(|d| !d.is_error());
    assert_eq!(warning.map(|d| d.line), Some(Some(19)), "{diagnostics:#?}");
}

#[test]
fn full_width_input() {
    let csv = "指标编号, 分项 ,年份,数值（％）\n\
               ＰＲＤ－２,　,２０１４年,９６．５\n\
               ｅｎｖ－６,ＰＭ２５,２０１５,１０１\n\
               ENV-3,道路交通噪声,2015 年度, ６７．１ \n\
               ENV-7,,2010,\"１２，３４５．６\"\n";
    assert_eq!(
        read_ok(csv.as_bytes()),
        [
            row(2, "PRD-2", "", 2014, 96.5, ""),
            row(3, "ENV-6", "pm25", 2015, 101.0, ""),
            row(4, "ENV-3", "road", 2015, 67.1, ""),
            row(5, "ENV-7", "", 2010, 12345.6, ""),
        ]
    );
}

#[test]
fn a_file_typed_with_full_width_commas() {
    // Typed by hand with a Chinese input method: `，` separates the fields.
    let csv = "指标编号，分项，年份，数值，说明\nPRD-2，，2014，96.5，抽检\n";
    assert_eq!(
        read_ok(csv.as_bytes()),
        [row(2, "PRD-2", "", 2014, 96.5, "抽检")]
    );
    // A header without the needed columns is refused with a clear error.
    let (rows, diagnostics) = read("编号,名称\nPRD-2,农产品\n".as_bytes());
    assert!(rows.is_empty());
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    assert!(diagnostics[0].is_error());
    assert!(
        diagnostics[0]
            .message_zh
            .contains("没有包含“指标编号”“年份”“数值”列名的表头行"),
        "{diagnostics:#?}"
    );
}

#[test]
fn percent_signs_and_fractions() {
    let csv = "indicator,measure,year,value\n\
               PRD-2,,2014,96.5%\n\
               PRD-3,,2014,90 %\n\
               PRD-4,,2014,９４．５％\n\
               PRD-5,,2014,100%\n\
               PRD-6,,2014,0.95\n\
               ENV-3,road,2014,67%\n\
               ENV-7,,2014,14.8%\n\
               PRD-7,,2014,120%\n";
    let (rows, diagnostics) = read(csv.as_bytes());
    assert_eq!(
        rows,
        [
            row(2, "PRD-2", "", 2014, 96.5, ""),
            row(3, "PRD-3", "", 2014, 90.0, ""),
            row(4, "PRD-4", "", 2014, 94.5, ""),
            row(5, "PRD-5", "", 2014, 100.0, ""),
            // Kept, with a warning: 0.95 may be a fraction meant as 95%.
            row(6, "PRD-6", "", 2014, 0.95, ""),
        ]
    );
    let warnings: Vec<&Diagnostic> = diagnostics.iter().filter(|d| !d.is_error()).collect();
    assert_eq!(warnings.len(), 1, "{diagnostics:#?}");
    assert_eq!(warnings[0].line, Some(6));
    assert!(warnings[0].message_en.contains("enter 95"), "{warnings:#?}");
    assert_eq!(
        errors(&diagnostics),
        [
            (7, "D7".to_string()), // a % sign on decibels
            (8, "D8".to_string()), // ENV-7 takes totals, not the reduction
            (9, "D9".to_string()), // above 100%
        ]
    );
    assert!(
        diagnostics[1].message_zh.contains("dB(A)"),
        "{diagnostics:#?}"
    );
    assert!(
        diagnostics[2].message_zh.contains("2010年基准值"),
        "{diagnostics:#?}"
    );
}

#[test]
fn thousands_separators_and_spaces() {
    let csv = "indicator,year,value\n\
               ENV-7,2010,\"12,345.6\"\n\
               ENV-8,2010, 1 234 \n\
               ENV-7,2014,\"12,34\"\n";
    let (rows, diagnostics) = read(csv.as_bytes());
    assert_eq!(
        rows,
        [
            row(2, "ENV-7", "", 2010, 12345.6, ""),
            row(3, "ENV-8", "", 2010, 1234.0, ""),
        ]
    );
    assert_eq!(errors(&diagnostics), [(4, "C4".to_string())]);
}

#[test]
fn duplicates_keep_the_last_row_and_warn_with_both_lines() {
    let csv = "indicator,measure,year,value\n\
               ENV-6,pm25,2014,103\n\
               PRD-2,,2014,96\n\
               env-6,PM25,2014.0,102\n\
               ENV-6,pm25,2015,99\n";
    let (rows, diagnostics) = read(csv.as_bytes());
    assert_eq!(
        rows,
        [
            row(3, "PRD-2", "", 2014, 96.0, ""),
            row(4, "ENV-6", "pm25", 2014, 102.0, ""),
            row(5, "ENV-6", "pm25", 2015, 99.0, ""),
        ]
    );
    assert_eq!(diagnostics.len(), 1, "{diagnostics:#?}");
    let d = &diagnostics[0];
    assert!(!d.is_error());
    assert_eq!(d.line, Some(4));
    assert!(
        d.message_en.contains("row 2") && d.message_en.contains("row 4"),
        "{d:#?}"
    );
    assert!(
        d.message_zh.contains("第2行") && d.message_zh.contains("第4行"),
        "{d:#?}"
    );
}

#[test]
fn csv_in_gbk_is_decoded() {
    let csv = "指标编号,分项,年份,数值,说明\r\nENV-3,道路交通噪声,2014年,67.8,区环保局监测\r\n";
    let (gbk, _, unmappable) = encoding_rs::GBK.encode(csv);
    assert!(!unmappable);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the test needs non-UTF-8 bytes"
    );
    assert_eq!(
        read_ok(&gbk),
        [row(2, "ENV-3", "road", 2014, 67.8, "区环保局监测")]
    );
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let plan = default_plan();
    let mut seed: u32 = 0x2014_0304;
    let mut random = |n: usize| -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 24) as u8
            })
            .collect()
    };
    let mut files: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"\0\0\0\0".to_vec(),
        b"PK\x03\x04 not really a zip".to_vec(),
        vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0, 0, 0],
        b"\xEF\xBB\xBF\xFF\xFE\xFD".to_vec(),
        b"\xFF\xFEa\0".to_vec(),
        b"\"unclosed,quote\nPRD-1,2014,3\n".to_vec(),
        "just some words, no header\n1,2,3\n".as_bytes().to_vec(),
    ];
    for n in [1, 7, 64, 1000, 20_000] {
        files.push(random(n));
    }
    // A real workbook cut short.
    let template = indicator_template_xlsx(&plan).unwrap_or_else(|e| panic!("{e}"));
    files.push(template[..template.len() / 2].to_vec());
    for bytes in &files {
        let (rows, diagnostics) = read_indicator_values(bytes, &plan);
        assert!(rows.is_empty(), "{bytes:?}");
        assert!(
            diagnostics.iter().any(Diagnostic::is_error),
            "{:?}: {diagnostics:#?}",
            &bytes[..bytes.len().min(16)]
        );
    }
    // Binary and undecodable text point to “CSV UTF-8”.
    let (_, diagnostics) = read_indicator_values(&random(500), &plan);
    assert!(
        diagnostics[0].message_zh.contains("CSV UTF-8"),
        "{diagnostics:#?}"
    );
    let (_, diagnostics) = read_indicator_values(&files[3], &plan);
    assert!(
        diagnostics[0].message_zh.contains(".xls"),
        "{diagnostics:#?}"
    );
}

#[test]
fn an_empty_plan_knows_no_indicator() {
    let mut plan: Plan = default_plan();
    plan.indicators.clear();
    let (rows, diagnostics) =
        read_indicator_values(b"indicator,year,value\nPRD-1,2014,31\n", &plan);
    assert!(rows.is_empty());
    assert_eq!(errors(&diagnostics), [(2, "A2".to_string())]);
    // And its template still opens: a header and the guide, no dropdown.
    let template = indicator_template_xlsx(&plan).unwrap_or_else(|e| panic!("{e}"));
    let (rows, diagnostics) = read_indicator_values(&template, &plan);
    assert!(rows.is_empty() && !diagnostics.iter().any(Diagnostic::is_error));
}
