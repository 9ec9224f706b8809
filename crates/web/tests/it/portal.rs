//! The public portal's report downloads: a published report as PDF and Word, named in Chinese;
//! an unpublished one (draft, issued but not published, withdrawn) not found whatever the
//! suffix; the signed-in archive's PDF.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
const TITLE: &str = "惠济区2014年质量分析报告";

/// `s` as an RFC 5987 value: UTF-8, every byte but letters, digits and `-._` percent-encoded.
fn rfc5987(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Whether PDFs can be checked here: a CJK font is installed, or must be (QCITY_E2E, CI).
fn pdf_expected() -> bool {
    if qcity_exchange::report::find_cjk_font(None).is_some()
        || std::env::var_os("QCITY_E2E").is_some()
    {
        return true;
    }
    eprintln!("NOTICE: no CJK font installed (fonts-noto-cjk): PDF assertions skipped");
    false
}

/// The header of a response, or "".
fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string()
}

/// A report for `period` created by the office; its id.
async fn draft(app: &TestApp, office: &reqwest::Client, period: &str) -> i64 {
    let res = office
        .post(app.url("/reports/new"))
        .form(&[("period", period)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/reports/")
        .parse()
        .unwrap()
}

async fn post(app: &TestApp, c: &reqwest::Client, path: &str, form: &[(&str, &str)]) {
    let res = c.post(app.url(path)).form(form).send().await.unwrap();
    assert_eq!(res.status(), 303, "{path}");
}

#[tokio::test]
async fn a_published_report_downloads_as_pdf_and_word_from_the_portal() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(NaiveDate::from_ymd_opt(2015, 1, 10).unwrap()),
        ..Default::default()
    })
    .await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let anonymous = app.client();
    let pdf_ok = pdf_expected();

    let id = draft(&app, &admin, "2014").await;
    let narrative = "全区产品质量稳中有升，监督抽查合格率保持较高水平。";
    post(
        &app,
        &admin,
        &format!("/reports/{id}/narrative"),
        &[("row_version", "1"), ("product", narrative)],
    )
    .await;
    let other = draft(&app, &admin, "2014-H1").await;

    // A draft: the signed-in office downloads it as PDF (named a draft); the portal has none.
    let res = admin
        .get(app.url(&format!("/reports/{id}.pdf")))
        .send()
        .await
        .unwrap();
    if pdf_ok {
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "application/pdf");
        let disposition = header(&res, "content-disposition");
        let name = rfc5987(&format!("{TITLE}（草稿）.pdf"));
        assert!(
            disposition.contains(&format!("filename*=UTF-8''{name}")),
            "{disposition}"
        );
        assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
    }
    for suffix in ["", ".pdf", ".docx"] {
        let res = anonymous
            .get(app.url(&format!("/public/reports/{id}{suffix}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "draft {suffix}");
    }

    // Issued and published; the other report issued only.
    post(
        &app,
        &admin,
        &format!("/reports/{id}/issue"),
        &[("row_version", "2")],
    )
    .await;
    post(
        &app,
        &admin,
        &format!("/reports/{id}/publish"),
        &[("published", "1")],
    )
    .await;
    post(
        &app,
        &admin,
        &format!("/reports/{other}/issue"),
        &[("row_version", "1")],
    )
    .await;

    // The public page links both downloads, in Chinese by default and in English.
    let page = body(
        anonymous
            .get(app.url(&format!("/public/reports/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    for s in [
        format!(r#"href="/public/reports/{id}.pdf""#),
        format!(r#"href="/public/reports/{id}.docx""#),
        "下载 PDF".to_string(),
        "下载 Word".to_string(),
    ] {
        assert!(page.contains(&s), "the public page lacks {s}: {page}");
    }
    let english = body(
        anonymous
            .get(app.url(&format!("/public/reports/{id}")))
            .header("accept-language", "en")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(english.contains("Download PDF") && english.contains("Download Word"));

    // Word, for anyone, named after the report.
    let res = anonymous
        .get(app.url(&format!("/public/reports/{id}.docx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), DOCX);
    let disposition = header(&res, "content-disposition");
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let name = rfc5987(&format!("{TITLE}.docx"));
    assert!(
        disposition.contains(&format!("filename*=UTF-8''{name}")),
        "{disposition}"
    );
    let docx = res.bytes().await.unwrap();
    assert!(docx.starts_with(b"PK"));

    // PDF, for anyone: A4, the font embedded, the narrative's characters extractable.
    let res = anonymous
        .get(app.url(&format!("/public/reports/{id}.pdf")))
        .send()
        .await
        .unwrap();
    if pdf_ok {
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "application/pdf");
        let disposition = header(&res, "content-disposition");
        let name = rfc5987(&format!("{TITLE}.pdf"));
        assert!(
            disposition.contains(&format!("filename*=UTF-8''{name}")),
            "{disposition}"
        );
        let pdf = res.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let raw = String::from_utf8_lossy(&pdf);
        let media_box: Vec<f32> = raw
            .split("/MediaBox [")
            .nth(1)
            .and_then(|s| s.split(']').next())
            .unwrap_or_default()
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        assert!(
            media_box.len() == 4
                && (media_box[2] - 595.28).abs() < 0.1
                && (media_box[3] - 841.89).abs() < 0.1,
            "not A4: {media_box:?}"
        );
        assert!(raw.contains("/FontFile3") || raw.contains("/FontFile2"));
        for c in "稳中有升".chars() {
            let hex = format!("<{:04X}>", u32::from(c));
            assert!(
                raw.contains(&hex) || raw.contains(&hex.to_lowercase()),
                "{c}"
            );
        }
    } else {
        assert_eq!(res.status(), 503);
        assert!(body(res).await.contains("中文字体"));
    }

    // The signed-in page links the same downloads; the archive's PDF is the issued one.
    let page = body(
        admin
            .get(app.url(&format!("/reports/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&format!(r#"href="/reports/{id}.pdf""#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"href="/reports/{id}.docx""#)),
        "{page}"
    );
    assert!(page.contains("下载 PDF") && page.contains("下载 Word"));
    let list = body(admin.get(app.url("/reports")).send().await.unwrap()).await;
    assert!(
        list.contains(&format!(r#"href="/reports/{id}.pdf""#)),
        "{list}"
    );
    let res = admin
        .get(app.url(&format!("/reports/{id}.pdf")))
        .send()
        .await
        .unwrap();
    if pdf_ok {
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "application/pdf");
        let disposition = header(&res, "content-disposition");
        assert!(disposition.contains(&rfc5987(&format!("{TITLE}.pdf"))));
    }
    // Not for the anonymous outside the portal.
    let res = anonymous
        .get(app.url(&format!("/reports/{id}.pdf")))
        .send()
        .await
        .unwrap();
    assert_ne!(res.status(), 200);

    // Issued but not published, or withdrawn: not found on the portal, whatever the suffix.
    post(
        &app,
        &admin,
        &format!("/reports/{id}/publish"),
        &[("published", "0")],
    )
    .await;
    for rid in [other, id] {
        for suffix in ["", ".pdf", ".docx"] {
            let res = anonymous
                .get(app.url(&format!("/public/reports/{rid}{suffix}")))
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 404, "{rid}{suffix}");
        }
    }
    let res = anonymous
        .get(app.url("/public/reports/99999.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Bulletins download as PDF too (the draft for the month just ended).
    let res = admin
        .get(app.url("/bulletins/draft.pdf?month=2014-12"))
        .send()
        .await
        .unwrap();
    if pdf_ok {
        assert_eq!(res.status(), 200);
        assert_eq!(header(&res, "content-type"), "application/pdf");
        assert!(res.bytes().await.unwrap().starts_with(b"%PDF-"));
    }
    let page = body(
        admin
            .get(app.url("/bulletins/draft?month=2014-12"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("/bulletins/draft.pdf?month=2014-12"),
        "{page}"
    );
}
