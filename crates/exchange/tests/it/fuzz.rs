//! Fuzz tests of the readers of uploaded files: arbitrary bytes, arbitrary
//! ZIP-looking bytes, CSV soup and the shipped templates with their XML
//! garbled and rezipped are read into rows or diagnostics, never a panic.
//! Case counts are bounded so each runs in a few seconds in a debug build;
//! they run with every `cargo test` (and so in CI). A crash found here gets
//! its input added to `REGRESSIONS` below.

use std::io::{Cursor, Read, Write};
use std::sync::LazyLock;

use chrono::NaiveDate;
use proptest::prelude::*;
use qcity_domain::plan::{Plan, default_plan};

static PLAN: LazyLock<Plan> = LazyLock::new(default_plan);

/// Every reader of an uploaded file, on `bytes`.
fn read_all(bytes: &[u8]) {
    let today = NaiveDate::from_ymd_opt(2015, 6, 30).unwrap_or_default();
    let _ = qcity_exchange::read_sampling(bytes, |_, _| {});
    let _ = qcity_exchange::read_enterprises(bytes, today, |_, _| {});
    let _ = qcity_exchange::read_indicator_values(bytes, &PLAN);
    let _ = qcity_exchange::read_acceptance_sheet(bytes);
    let _ = qcity_exchange::read_plan(bytes, &PLAN, &[]);
}

/// Inputs that once broke a reader (none so far from these tests; the
/// workbook bombs are in `bounded.rs`).
const REGRESSIONS: &[&[u8]] = &[
    b"",
    b"PK\x03\x04",
    b"\xEF\xBB\xBF",
    b"\xFF\xFE",
    b"\xFE\xFF\xD8\x00",
    b"\"",
    b"a,\"b\n",
    b"\x1a",
    "，".as_bytes(),
];

#[test]
fn regressions() {
    for bytes in REGRESSIONS {
        read_all(bytes);
    }
}

/// The entries of a ZIP archive: name and content.
type Entries = Vec<(String, Vec<u8>)>;

/// The entries of a ZIP archive.
fn unzip(bytes: &[u8]) -> Entries {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap_or_else(|e| panic!("{e}"));
    (0..zip.len())
        .map(|i| {
            let mut entry = zip.by_index(i).unwrap_or_else(|e| panic!("{e}"));
            let name = entry.name().unwrap_or_else(|e| panic!("{e}")).into_owned();
            let mut body = Vec::new();
            entry
                .read_to_end(&mut body)
                .unwrap_or_else(|e| panic!("{e}"));
            (name, body)
        })
        .collect()
}

/// A ZIP archive of `entries`, stored (fast to write in a debug build).
fn rezip(entries: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, body) in entries {
        zip.start_file(name.as_str(), options)
            .unwrap_or_else(|e| panic!("{e}"));
        zip.write_all(body).unwrap_or_else(|e| panic!("{e}"));
    }
    zip.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
}

static TEMPLATES: LazyLock<Vec<Entries>> = LazyLock::new(|| {
    [
        qcity_exchange::sampling_template_xlsx(),
        qcity_exchange::enterprise_template_xlsx(),
        qcity_exchange::indicator_template_xlsx(&PLAN),
    ]
    .into_iter()
    .map(|t| unzip(&t.unwrap_or_else(|e| panic!("{e}"))))
    .collect()
});

/// What a hostile or damaged workbook part holds.
fn xml_piece() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..16),
        prop::sample::select(vec![
            r#"<row r="0">"#,
            r#"<row r="99999999999">"#,
            r#"<c r="A1" t="s"><v>99999</v></c>"#,
            r#"<c r="XFD1048576" t="n"><v>1e308</v></c>"#,
            r#"<c r="A2" t="inlineStr"><is><t>x</t></is></c>"#,
            r#"<c r="A3" t="d"><v>2015-02-30</v></c>"#,
            r#"<c r="B1" s="9999"><v>42094</v></c>"#,
            r#"<f t="shared" si="999999999" ref="A1:A2">A1</f>"#,
            r#"<dimension ref="A1:XFD1048576"/>"#,
            r#"<mergeCell ref="A1:XFD1048576"/>"#,
            r#"<mergeCell ref="Z9:A1"/>"#,
            r#"<si><t>表头</t></si>"#,
            r#"uniqueCount="7""#,
            "</si>",
            "</c>",
            "</row>",
            "</sheetData>",
            "<sheetData>",
            "&#0;",
            "&amp",
            "<![CDATA[",
            "<!--",
            "-->",
            "<?x",
            "\"",
            "<",
            ">",
            "报告编号",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

/// A template with up to four edits in its XML parts.
fn garbled_template() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<prop::sample::Index>(),
        prop::collection::vec(
            (
                any::<prop::sample::Index>(),
                any::<prop::sample::Index>(),
                0usize..64,
                xml_piece(),
            ),
            1..4,
        ),
    )
        .prop_map(|(which, edits)| {
            let mut entries = TEMPLATES[which.index(TEMPLATES.len())].clone();
            for (entry, at, cut, piece) in edits {
                let i = entry.index(entries.len());
                let body = &mut entries[i].1;
                let start = at.index(body.len().max(1)).min(body.len());
                let end = (start + cut).min(body.len());
                body.splice(start..end, piece);
            }
            rezip(&entries)
        })
}

/// CSV as clerks and hostile clients send it.
fn csv_soup() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        prop::sample::select(vec![
            "报告编号",
            "抽查级别",
            "受检企业统一社会信用代码",
            "产品名称",
            "产品类别",
            "抽样日期",
            "检验结论",
            "统一社会信用代码",
            "企业名称",
            "指标编号",
            "年份",
            "数值",
            ",",
            ";",
            "\t",
            "，",
            "\"",
            "\"\"",
            "\n",
            "\r\n",
            "\r",
            "2015-03-31",
            "42094",
            "合格",
            "91110000600037341L",
        ])
        .prop_map(|s| s.as_bytes().to_vec()),
        prop::collection::vec(any::<u8>(), 0..4),
        prop::sample::select(vec![
            &b"\xEF\xBB\xBF"[..],
            b"\xFF\xFE",
            b"\xFE\xFF",
            b"\xD6\xD0",
            b"\xFF",
            b"\x1a",
        ])
        .prop_map(<[u8]>::to_vec),
    ];
    prop::collection::vec(piece, 0..80).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_are_refused_not_a_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        read_all(&bytes);
    }

    #[test]
    fn arbitrary_zip_looking_bytes_are_refused_not_a_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
    ) {
        let mut zipped = b"PK\x03\x04".to_vec();
        zipped.extend(bytes);
        read_all(&zipped);
    }

    #[test]
    fn csv_soup_is_read_or_refused_not_a_panic(bytes in csv_soup()) {
        read_all(&bytes);
    }
}

proptest! {
    // A template takes tens of milliseconds to read in a debug build.
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn garbled_templates_are_read_or_refused_not_a_panic(bytes in garbled_template()) {
        read_all(&bytes);
    }

    /// Bytes of a real workbook changed at random: damaged ZIP structures.
    #[test]
    fn damaged_workbooks_are_refused_not_a_panic(
        which in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
    ) {
        let mut bytes = rezip(&TEMPLATES[which.index(TEMPLATES.len())]);
        for (at, b) in edits {
            let i = at.index(bytes.len());
            bytes[i] = b;
        }
        read_all(&bytes);
    }
}
