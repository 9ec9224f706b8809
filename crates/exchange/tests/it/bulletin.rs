//! A bulletin (通报) written as .docx: what the document says, read back
//! from the archive, and a conversion to PDF by LibreOffice when it is
//! installed.

// This file converts to PDF only; the workbook helper is for `it.rs`.
#[allow(dead_code)]
use crate::libreoffice;

use std::io::{Cursor, Read};

use qcity_domain::bulletin::{Bulletin, CategoryLine, OverdueLine, Rates, UnitLine};
use qcity_exchange::bulletin_to_docx;

fn rates(due: u32, accepted: u32, on_time: u32, overdue: u32) -> Rates {
    let pct = |k: u32| (due > 0).then(|| (f64::from(k) * 1000.0 / f64::from(due)).round() / 10.0);
    Rates {
        due,
        accepted,
        on_time,
        overdue,
        completion_rate: pct(accepted),
        on_time_rate: pct(on_time),
    }
}

fn unit(code: &str, name: &str, rates: Rates, red_notices: u32) -> UnitLine {
    UnitLine {
        unit_code: code.to_string(),
        unit_name: name.to_string(),
        rates,
        red_notices,
        yellow_notices: 0,
        blue_notices: 0,
    }
}

fn sample() -> Bulletin {
    Bulletin {
        title: "郑州市创建全国质量强市示范城市惠济区工作通报".to_string(),
        issuer: "惠济区质量强区战略工作领导小组办公室".to_string(),
        period: "2014-09".to_string(),
        period_label: "2014年9月".to_string(),
        as_of: "2014-09-30".to_string(),
        number: 3,
        rule: "表扬：截至统计日应完成事项不少于3项、且全部按时完成并销号的单位。通报批评：截至统计日有事项逾期超过15天的单位，或应完成事项不少于3项而按时完成率低于60%的单位。".to_string(),
        total: rates(20, 15, 14, 3),
        units: vec![
            unit("U01", "区市场监管局", rates(8, 7, 7, 0), 0),
            unit("U02", "区城建局", rates(6, 3, 2, 3), 1),
            unit("U03", "区教体局", rates(6, 5, 5, 0), 0),
        ],
        categories: vec![
            CategoryLine {
                code: "1".to_string(),
                title: "质量发展目标".to_string(),
                rates: rates(12, 9, 8, 2),
            },
            CategoryLine {
                code: "2".to_string(),
                title: "质量安全目标".to_string(),
                rates: rates(8, 6, 6, 1),
            },
        ],
        overdue: vec![OverdueLine {
            unit_name: "区城建局".to_string(),
            content_code: "2.3.1".to_string(),
            content_text: "建设工程质量一次验收合格率达到100%".to_string(),
            due_date: "2014-08-31".to_string(),
            days_overdue: 30,
        }],
        commended: vec!["区市场监管局".to_string(), "区教体局".to_string()],
        criticised: vec![(
            "区城建局".to_string(),
            "1 项逾期超过15天，按时完成率 33.3%".to_string(),
        )],
        correction: None,
    }
}

/// One part of the .docx archive, as text.
fn part(docx: &[u8], name: &str) -> String {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(docx)).unwrap_or_else(|e| panic!("not a zip: {e}"));
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|e| panic!("no {name}: {e}"));
    let mut text = String::new();
    file.read_to_string(&mut text)
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    text
}

fn document_xml(b: &Bulletin) -> String {
    let docx = bulletin_to_docx(b).unwrap_or_else(|e| panic!("{e}"));
    part(&docx, "word/document.xml")
}

/// The document from one heading up to the next.
fn section<'a>(xml: &'a str, from: &str, to: &str) -> &'a str {
    let start = xml
        .find(from)
        .unwrap_or_else(|| panic!("no {from} in the document"));
    let end = xml[start..]
        .find(to)
        .map(|i| start + i)
        .unwrap_or_else(|| panic!("no {to} after {from}"));
    &xml[start..end]
}

#[test]
fn the_document_carries_the_title_units_rates_overdue_items_and_criticism() {
    let b = sample();
    let xml = document_xml(&b);
    for expected in [
        b.title.as_str(),
        b.issuer.as_str(),
        "第3期",
        "2014年9月30日",
        "（2014年9月）",
        // The opening summary.
        "全区应完成目标任务20项，已销号15项，完成率75.0%；按时完成14项，按时率70.0%；逾期未完成3项。",
        "区市场监管局",
        "区城建局",
        "区教体局",
        "87.5%",
        "33.3%",
        "质量发展目标",
        "2.3.1 建设工程质量一次验收合格率达到100%",
        "2014-08-31",
        "区市场监管局、区教体局。",
        "区城建局（1 项逾期超过15天，按时完成率 33.3%）。",
        "仿宋",
        "黑体",
    ] {
        assert!(xml.contains(expected), "document.xml lacks {expected:?}");
    }
    let overdue = section(&xml, "三、逾期事项", "四、表扬与批评");
    assert!(overdue.contains("<w:tbl>"), "the overdue items are a table");
    assert!(overdue.contains(">30<"), "30 days overdue");
    // A4 portrait.
    assert!(
        xml.contains(r#"w:w="11906" w:h="16838""#),
        "not A4 portrait"
    );
}

#[test]
fn an_empty_overdue_list_prints_none() {
    let mut b = sample();
    b.overdue.clear();
    b.commended.clear();
    let xml = document_xml(&b);
    let overdue = section(&xml, "三、逾期事项", "四、表扬与批评");
    assert!(
        !overdue.contains("<w:tbl>"),
        "no table without overdue items"
    );
    assert!(overdue.contains(">无<"), "三、逾期事项 should say 无");
    let praise = section(&xml, "予以表扬：", "予以通报批评：");
    assert!(praise.contains(">无。<"), "予以表扬 should say 无");
}

#[test]
fn a_draft_says_so_instead_of_an_issue_number() {
    let mut b = sample();
    b.number = 0;
    let xml = document_xml(&b);
    assert!(xml.contains("（草稿）"));
    assert!(!xml.contains("第0期"));
}

#[test]
fn header_rows_repeat_on_each_page_and_chinese_fonts_and_language_are_declared() {
    let docx = bulletin_to_docx(&sample()).unwrap_or_else(|e| panic!("{e}"));
    let xml = part(&docx, "word/document.xml");
    // One header row in each of the three tables, and only there.
    assert_eq!(xml.matches("<w:tbl>").count(), 3);
    assert_eq!(xml.matches("<w:tblHeader />").count(), 3);
    let fonts = part(&docx, "word/fontTable.xml");
    for name in ["仿宋", "黑体", "宋体"] {
        let entry = format!(r#"<w:font w:name="{name}">"#);
        let at = fonts
            .find(&entry)
            .unwrap_or_else(|| panic!("{name} is not in the font table"));
        assert!(
            fonts[at..].contains(r#"<w:charset w:val="86" />"#),
            "{name} is not declared GB2312"
        );
    }
    let styles = part(&docx, "word/styles.xml");
    assert!(
        styles.contains(r#"<w:lang w:val="zh-CN" w:eastAsia="zh-CN" />"#),
        "the text is not marked Chinese"
    );
}

#[test]
fn text_that_looks_like_markup_stays_text() {
    let mut b = sample();
    b.units[0].unit_name = "A&B <w:cantSplit /> 局".to_string();
    let xml = document_xml(&b);
    assert!(xml.contains("A&amp;B &lt;w:cantSplit /&gt; 局"));
    // Still one repeated header row per table, none from the unit's name.
    assert_eq!(xml.matches("<w:tblHeader />").count(), 3);
}

#[test]
fn libreoffice_lays_the_document_out_as_a_pdf() {
    let test = "libreoffice_lays_the_document_out_as_a_pdf";
    let docx = bulletin_to_docx(&sample()).unwrap_or_else(|e| panic!("{e}"));
    let Some(pdf) = libreoffice::convert(test, &docx, "docx", "pdf") else {
        return;
    };
    assert!(pdf.starts_with(b"%PDF"), "not a PDF");
    assert!(pdf.len() > 5 * 1024, "a PDF of {} bytes", pdf.len());
}

#[test]
fn a_bulletin_is_a_pdf_with_its_tables_text() {
    let Some(font) = qcity_exchange::report::find_cjk_font(None) else {
        assert!(
            std::env::var_os("QCITY_E2E").is_none(),
            "no CJK font installed (fonts-noto-cjk), and QCITY_E2E is set"
        );
        eprintln!("NOTICE: no CJK font installed (fonts-noto-cjk): bulletin PDF test skipped");
        return;
    };
    let pdf = qcity_exchange::bulletin_to_pdf(&sample(), &font).unwrap_or_else(|e| panic!("{e}"));
    assert!(pdf.starts_with(b"%PDF-"));
    let raw = String::from_utf8_lossy(&pdf);
    assert!(raw.contains("/FontFile3") || raw.contains("/FontFile2"));
    // The title, a unit and the overdue content's characters are in the text map.
    for c in "通报区城建局验收合格率逾期".chars() {
        let hex = format!("<{:04X}>", u32::from(c));
        assert!(
            raw.contains(&hex) || raw.contains(&hex.to_lowercase()),
            "{c}"
        );
    }
}
