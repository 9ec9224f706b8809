//! Uploads (issue 14): evidence checked by name and content, stored under a safe name whose
//! extension follows the content, downloaded as an attachment; uploads streamed to disk and
//! capped while they stream, the typed form kept; imports as large as the command line takes,
//! read in the import pool while the server keeps answering.

use crate::harness::{ADMIN_PASSWORD, TestApp, body, create_user};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::obligations::{self, Filter};
use std::io::Write;
use std::time::{Duration, Instant};

const PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// A compound file whose root entry has class `clsid` (as stored: little-endian fields).
fn compound_file(clsid: [u8; 16]) -> Vec<u8> {
    let mut f = vec![0u8; 1024];
    f[..8].copy_from_slice(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]);
    f[0x18] = 0x3E;
    f[0x1A] = 3;
    f[0x1C..0x1E].copy_from_slice(&[0xFE, 0xFF]);
    f[0x1E] = 9; // 512-byte sectors
    f[0x20] = 6;
    // The directory starts at sector 0, right after the header.
    f[0x30..0x34].copy_from_slice(&0u32.to_le_bytes());
    let root = 512;
    for (i, c) in "Root Entry".encode_utf16().enumerate() {
        f[root + 2 * i..root + 2 * i + 2].copy_from_slice(&c.to_le_bytes());
    }
    f[root + 0x40] = 22;
    f[root + 0x42] = 5;
    f[root + 0x50..root + 0x60].copy_from_slice(&clsid);
    f
}

/// An MSI installer's class, 000C1084-0000-0000-C000-000000000046.
const MSI: [u8; 16] = [
    0x84, 0x10, 0x0C, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
];
/// A Word 97–2003 document's class, 00020906-0000-0000-C000-000000000046.
const WORD: [u8; 16] = [
    0x06, 0x09, 0x02, 0x00, 0, 0, 0, 0, 0xC0, 0, 0, 0, 0, 0, 0, 0x46,
];

/// A .docx-shaped zip with the given extra entries.
fn docx(extra: &[(&str, &[u8])]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default();
    let mut entries: Vec<(&str, &[u8])> = vec![
        ("word/document.xml", b"<w:document/>"),
        ("[Content_Types].xml", b"<Types/>"),
    ];
    entries.extend_from_slice(extra);
    for (name, data) in entries {
        w.start_file(name, opts).unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap().into_inner()
}

/// A real workbook, as Excel writes one.
fn xlsx() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_string(0, 0, "台账").unwrap();
    book.save_to_buffer().unwrap()
}

struct Reporting {
    app: TestApp,
    unit: reqwest::Client,
    ob: i64,
}

/// A unit with an open obligation (1.1.1 of 区农委) to report on.
async fn reporting(config: qcity_web::Config) -> Reporting {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: NaiveDate::from_ymd_opt(2014, 12, 20),
        ..config
    })
    .await;
    create_user(
        &app.store,
        "nw.staff",
        Role::Unit,
        Some("NW"),
        crate::harness::PASSWORD,
    )
    .await;
    let unit = app.login("nw.staff", crate::harness::PASSWORD).await;
    let f = Filter {
        unit: Some("NW".into()),
        content_prefix: Some("1.1.1".into()),
        ..Default::default()
    };
    let ob = obligations::list(
        &app.store,
        &Actor::system("t"),
        &f,
        NaiveDate::from_ymd_opt(2014, 12, 20).unwrap(),
    )
    .await
    .unwrap()
    .into_iter()
    .find(|o| o.content_code == "1.1.1")
    .unwrap()
    .id;
    Reporting { app, unit, ob }
}

impl Reporting {
    async fn send(&self, name: &str, bytes: Vec<u8>, lang: &str) -> reqwest::Response {
        let form = reqwest::multipart::Form::new()
            .text("form_token", qcity_store::auth::random_token())
            .text("body", "已完成现场核查，附核查记录")
            .text("percent", "70")
            .text("submit", "0")
            .part(
                "files",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        self.unit
            .post(self.app.url(&format!("/obligations/{}/reports", self.ob)))
            .header("accept-language", lang)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    async fn reports(&self) -> Vec<obligations::Report> {
        obligations::reports(&self.app.store, &Actor::system("t"), self.ob)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn evidence_is_refused_by_name_and_by_content() {
    let r = reporting(qcity_web::Config::default()).await;
    let executable = "不接受程序、安装包、脚本或含宏的文件";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        // A batch file that starts like a PDF: refused by its name.
        ("run.bat", PDF.to_vec()),
        // … whatever hides the name's end: the right-to-left override makes it read "exe.pdf".
        ("invoice\u{202E}fdp.exe", PDF.to_vec()),
        ("setup.pdf.exe", PDF.to_vec()),
        ("deploy.ps1", PDF.to_vec()),
        // Programs and installers by their content, whatever the name.
        ("说明.pdf", compound_file(MSI)),
        ("说明.pdf", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec()),
        ("说明.pdf", b"\x7fELF\x02\x01\x01\x00".to_vec()),
        ("说明.pdf", [0xCF, 0xFA, 0xED, 0xFE, 7, 0, 0, 1].to_vec()),
        ("说明.pdf", b"#!/bin/sh\nrm -rf /\n".to_vec()),
        // A document that carries a program, a script or macros.
        (
            "方案.docx",
            docx(&[("word/media/setup.exe", b"MZ\x90\x00")]),
        ),
        ("方案.docx", docx(&[("word/media/run.bat", b"@echo off")])),
        (
            "方案.docx",
            docx(&[("word/media/x.js", b"WScript.Echo(1)")]),
        ),
        (
            "方案.docx",
            docx(&[("word/media/image1.png", b"MZ\x90\x00\x03")]),
        ),
        ("方案.docx", docx(&[("word/vbaProject.bin", b"\x00")])),
    ];
    for (name, bytes) in cases {
        let res = r.send(name, bytes, "zh-CN").await;
        assert_eq!(res.status(), 422, "{name}");
        let page = body(res).await;
        assert!(page.contains(executable), "{name}: {page}");
        // The typed report comes back with the reason.
        assert!(page.contains("已完成现场核查，附核查记录"), "{name}");
        assert!(page.contains("value=\"70\""), "{name}");
    }
    // Text is not a document.
    let res = r
        .send("notes.pdf", b"@echo off\r\n".to_vec(), "zh-CN")
        .await;
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("文件类型不被接受"));
    // In English too.
    let res = r.send("run.bat", PDF.to_vec(), "en").await;
    assert_eq!(res.status(), 422);
    assert!(
        body(res)
            .await
            .contains("Programs, installers, scripts and files with macros are not accepted")
    );
    assert!(r.reports().await.is_empty(), "nothing refused is stored");
}

#[tokio::test]
async fn evidence_names_follow_the_content_and_downloads_are_safe_attachments() {
    let r = reporting(qcity_web::Config::default()).await;
    let accepted = [
        // Override characters are dropped; the extension follows the PDF content.
        (
            "核查\u{202E}txt.记录\u{2066}.txt",
            PDF.to_vec(),
            "核查txt.记录.pdf",
        ),
        ("扫描件", PDF.to_vec(), "扫描件.pdf"),
        ("台账.xlsx", xlsx(), "台账.xlsx"),
        ("方案.docx", docx(&[]), "方案.docx"),
        ("旧文档.dat", compound_file(WORD), "旧文档.doc"),
        // Evidence takes the 20 MB policy (the old cap was 2 MB).
        (
            "现场照片.pdf",
            {
                let mut big = PDF.to_vec();
                big.resize(3 * 1024 * 1024, b' ');
                big
            },
            "现场照片.pdf",
        ),
    ];
    for (name, bytes, _) in &accepted {
        let res = r.send(name, bytes.clone(), "zh-CN").await;
        assert_eq!(res.status(), 303, "{name}: {}", body(res).await);
    }
    let reports = r.reports().await;
    let files: Vec<_> = reports.iter().flat_map(|rep| rep.files.iter()).collect();
    let admin = r.app.login("admin", ADMIN_PASSWORD).await;
    for (_, bytes, stored) in &accepted {
        let (rep, f) = reports
            .iter()
            .find_map(|rep| {
                rep.files
                    .iter()
                    .find(|f| f.filename == *stored)
                    .map(|f| (rep, f))
            })
            .unwrap_or_else(|| panic!("{stored} not among {files:?}"));
        let res = admin
            .get(
                r.app
                    .url(&format!("/reports/{}/files/{}", rep.id, f.sha256)),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff");
        let disposition = h["content-disposition"].to_str().unwrap().to_string();
        assert!(disposition.starts_with("attachment; "), "{disposition}");
        let encoded: String = stored
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b == b'.' {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        assert!(
            disposition.ends_with(&format!("filename*=UTF-8''{encoded}")),
            "{disposition}"
        );
        assert!(!disposition.contains('\u{202E}'));
        assert_eq!(res.bytes().await.unwrap().as_ref(), bytes.as_slice());
    }
}

#[tokio::test]
async fn an_evidence_file_over_the_limit_is_refused_while_streaming_and_the_form_is_kept() {
    let uploads = tempfile::tempdir().unwrap();
    let r = reporting(qcity_web::Config {
        max_evidence_bytes: 64 * 1024,
        upload_dir: Some(uploads.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let mut big = PDF.to_vec();
    big.resize(200 * 1024, b' ');
    let res = r.send("核查记录.pdf", big.clone(), "zh-CN").await;
    assert_eq!(res.status(), 422);
    let page = body(res).await;
    assert!(page.contains("文件超过 64 KB 的上限，未保存"), "{page}");
    assert!(page.contains("已完成现场核查，附核查记录"));
    assert!(page.contains("value=\"70\""));
    let res = r.send("核查记录.pdf", big, "en").await;
    assert!(
        body(res)
            .await
            .contains("The file is larger than the 64 KB limit and was not saved.")
    );
    assert!(r.reports().await.is_empty());
    // Within the limit it goes through; nothing stays in the upload directory either way.
    let res = r.send("核查记录.pdf", PDF.to_vec(), "zh-CN").await;
    assert_eq!(res.status(), 303);
    assert_eq!(std::fs::read_dir(uploads.path()).unwrap().count(), 0);
}

/// `n` enterprises as a CSV: about 80 bytes a row.
fn enterprises_csv(n: u64) -> Vec<u8> {
    let mut out = String::from("统一社会信用代码,企业名称,所属街道（镇）\n");
    for i in 0..n {
        let code = qcity_store::demo::registers::demo_uscc(i);
        out.push_str(&format!("{code},测试企业{i}有限公司,新城街道\n"));
    }
    out.into_bytes()
}

async fn import(c: &reqwest::Client, app: &TestApp, csv: Vec<u8>, lang: &str) -> (u16, String) {
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(csv).file_name("企业名录.csv"),
    );
    let res = c
        .post(app.url("/enterprises/import"))
        .header("accept-language", lang)
        .multipart(form)
        .send()
        .await
        .unwrap();
    crate::harness::import_outcome(c, res).await
}

#[tokio::test]
async fn an_import_over_the_limit_is_refused_while_streaming() {
    let uploads = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(qcity_web::Config {
        max_import_bytes: 64 * 1024,
        upload_dir: Some(uploads.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let (status, page) = import(&office, &app, enterprises_csv(2000), "zh-CN").await;
    assert_eq!(status, 422);
    assert!(page.contains("文件超过 64 KB 的上限，未保存"), "{page}");
    let (_, page) = import(&office, &app, enterprises_csv(2000), "en").await;
    assert!(page.contains("larger than the 64 KB limit"), "{page}");
    assert_eq!(
        qcity_store::enterprises::search(
            &app.store,
            qcity_store::enterprises::Whose::Public(None),
            "",
            1,
            0
        )
        .await
        .unwrap()
        .1,
        0
    );
    assert_eq!(std::fs::read_dir(uploads.path()).unwrap().count(), 0);
}

/// A large import (60,000 rows, about 4 MB: more than twice the old 2 MB web cap) runs while
/// `/healthz` is asked every 50 ms. The import is read on a blocking thread in the import
/// pool and written in batches, so the runtime's threads stay free: the health answers stay
/// fast. The bound is generous (p95 under 500 ms, against about a millisecond when idle) so
/// that a busy two-core machine running other tests does not make it fail; before, the web
/// refused the file (413) and a reader on the runtime's threads held them for seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_stays_fast_while_a_large_import_runs() {
    const ROWS: u64 = 60_000;
    let uploads = tempfile::tempdir().unwrap();
    let app = TestApp::spawn_with(qcity_web::Config {
        upload_dir: Some(uploads.path().to_path_buf()),
        ..Default::default()
    })
    .await;
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let csv = enterprises_csv(ROWS);
    assert!(csv.len() > 3 * 1024 * 1024);
    let running = {
        let (office, url) = (office.clone(), app.url("/enterprises/import"));
        tokio::spawn(async move {
            let form = reqwest::multipart::Form::new().part(
                "file",
                reqwest::multipart::Part::bytes(csv).file_name("企业名录.csv"),
            );
            let res = office.post(url).multipart(form).send().await.unwrap();
            crate::harness::import_outcome(&office, res).await
        })
    };
    let probe = app.client();
    let mut times = Vec::new();
    while !running.is_finished() {
        let start = Instant::now();
        let res = probe.get(app.url("/healthz")).send().await.unwrap();
        assert_eq!(res.status(), 200);
        times.push(start.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let (status, page) = running.await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(&format!(
            "<span class=\"n\">{ROWS}</span><span class=\"l\">新增</span>"
        )),
        "{page}"
    );
    times.sort();
    let p95 = times[times.len() * 95 / 100];
    eprintln!(
        "healthz during a {ROWS}-row import: {} answers, median {:?}, p95 {p95:?}, max {:?}",
        times.len(),
        times[times.len() / 2],
        times[times.len() - 1]
    );
    assert!(times.len() >= 10, "the import ended too soon to measure");
    assert!(p95 < Duration::from_millis(500), "p95 {p95:?}");
    assert_eq!(std::fs::read_dir(uploads.path()).unwrap().count(), 0);
}
