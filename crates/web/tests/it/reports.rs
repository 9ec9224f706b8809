//! Quality analysis reports: a 2014 draft over approved indicator values and sampling records,
//! the narrative edited (a stale edit refused), issued (figures frozen, editing refused),
//! exported to Word (opened by LibreOffice), published on the portal; unit staff refused.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use crate::indicators::libreoffice;
use chrono::NaiveDate;
use qcity_domain::registry::{FailedItem, Level, ProductKind, Stage, Verdict};
use qcity_domain::role::Role;
use qcity_store::Actor;
use qcity_store::import::Import;
use qcity_store::indicators::{self, NewValue};
use qcity_store::reports::{self, Period};
use qcity_store::sampling::SamplingInput;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn value(ind: &str, year: i64, v: f64) -> NewValue {
    NewValue {
        indicator: ind.into(),
        measure: String::new(),
        year,
        value: Some(v),
        judged: None,
        comment: "统计数据".into(),
        source: "manual".into(),
    }
}

fn record(no: usize, level: Level, category: &str, passed: bool) -> SamplingInput {
    SamplingInput {
        report_no: format!("R2014-{no:03}"),
        plan: "2014年监督抽查".into(),
        level,
        stage: Stage::Production,
        enterprise_code: "914403001922038216".into(),
        enterprise_name: "华为技术有限公司".into(),
        product: "产品".into(),
        category: category.into(),
        kind: ProductKind::Industrial,
        ccc: false,
        batch: "2014-01".into(),
        sampled_on: d("2014-05-10"),
        reported_on: Some(d("2014-06-01")),
        verdict: if passed { Verdict::Pass } else { Verdict::Fail },
        failed_items: if passed {
            vec![]
        } else {
            vec![FailedItem {
                item: "导体电阻".into(),
                standard: "GB/T 3956-2008".into(),
            }]
        },
        agency: "郑州市质检院".into(),
    }
}

async fn approve(app: &TestApp, v: NewValue) {
    let plan = qcity_domain::plan::default_plan();
    let office = Actor::system("office");
    let id = indicators::submit(&app.store, &office, &plan, v, &Default::default())
        .await
        .unwrap();
    indicators::decide(&app.store, &office, id, true, "")
        .await
        .unwrap();
}

/// The `value` of the first `name="row_version"` input on a page.
fn row_version(page: &str) -> String {
    page.split(r#"name="row_version" value=""#)
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

/// The table row of an indicator on the report page.
fn indicator_row(page: &str, code: &str) -> String {
    page.split(&format!(r#"<tr id="ri-{code}">"#))
        .nth(1)
        .and_then(|s| s.split("</tr>").next())
        .unwrap_or_default()
        .to_string()
}

/// The base64 data of the PNG pictures in a flat ODF document.
fn png_pictures(fodt: &str) -> Vec<&str> {
    fodt.split("<draw:image")
        .skip(1)
        .filter_map(|s| s.split("<office:binary-data>").nth(1))
        .filter_map(|s| s.split("</office:binary-data>").next())
        .map(str::trim)
        // "\x89PNG\r\n\x1a\n" in base64.
        .filter(|data| data.starts_with("iVBORw0KGgo"))
        .collect()
}

/// The text of each table cell in a flat ODF document, markup removed.
fn table_cells(fodt: &str) -> Vec<String> {
    fodt.split("<table:table-cell")
        .skip(1)
        .filter_map(|s| s.split("</table:table-cell>").next())
        .map(|cell| {
            let mut text = String::new();
            // The split left the start tag's attributes: text begins after its `>`.
            let mut in_tag = true;
            for ch in cell.chars() {
                match ch {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    _ if !in_tag => text.push(ch),
                    _ => {}
                }
            }
            text.trim().to_string()
        })
        .collect()
}

#[tokio::test]
async fn a_report_is_drafted_edited_issued_frozen_exported_and_published() {
    let config = qcity_web::Config {
        today: Some(d("2015-01-10")),
        ..Default::default()
    };
    let app = TestApp::with_plan_and(config).await;
    approve(&app, value("PRD-1", 2013, 28.0)).await;
    approve(&app, value("PRD-1", 2014, 31.0)).await;
    // Sampling in 2014: 9 of 10 batches pass; two categories, two levels.
    let office = Actor::system("office");
    let mut import = Import::<SamplingInput>::begin(&app.store, &office, "s.csv", d("2015-01-10"))
        .await
        .unwrap();
    for i in 1..=10 {
        let (level, category) = if i <= 6 {
            (Level::National, "电线电缆")
        } else {
            (Level::District, "建筑材料")
        };
        import
            .push(i + 1, record(i, level, category, i != 10))
            .await
            .unwrap();
    }
    import.finish().await.unwrap();

    let admin = app.login("admin", ADMIN_PASSWORD).await;
    let unit = app.user("nw.staff", Role::Unit, Some("NW")).await;
    let anonymous = app.client();

    // A bad period is refused with the rule; the 2014 draft is created.
    let res = admin
        .post(app.url("/reports/new"))
        .form(&[("period", "2014-Q3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let res = admin
        .post(app.url("/reports/new"))
        .form(&[("period", "2014")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = location.trim_start_matches("/reports/").parse().unwrap();
    // One report per period.
    let res = admin
        .post(app.url("/reports/new"))
        .form(&[("period", "2014")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    let page = body(admin.get(app.url(&location)).send().await.unwrap()).await;
    for s in [
        "惠济区2014年质量分析报告",
        "二、产品质量",
        "五、环境质量",
        "六、存在问题和下一步工作",
        "<svg",
        "电线电缆",
        "建筑材料",
        "90.0%",
        "按现有数据趋势推算",
        "report-progress",
        "<td>国家级</td>",
    ] {
        assert!(page.contains(s), "draft page lacks {s}: {page}");
    }
    let draft_row = indicator_row(&page, "PRD-1");
    assert!(draft_row.contains("2014: 31%"), "{draft_row}");

    // The narrative: saved once; the same form again is stale.
    let v = row_version(&page);
    assert_eq!(v, "1");
    let narrative = "全区产品质量稳中有升，监督抽查合格率保持较高水平。";
    let res = admin
        .post(app.url(&format!("/reports/{id}/narrative")))
        .form(&[("row_version", v.as_str()), ("product", narrative)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = admin
        .post(app.url(&format!("/reports/{id}/narrative")))
        .form(&[("row_version", v.as_str()), ("summary", "过期的表单")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = admin
        .post(app.url(&format!("/reports/{id}/narrative")))
        .form(&[("row_version", "2"), ("next_steps", "加强标准化工作。")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(admin.get(app.url(&location)).send().await.unwrap()).await;
    assert!(page.contains(narrative) && page.contains("加强标准化工作。"));
    assert!(!page.contains("过期的表单"));

    // A draft is the office's: units neither list nor open it, the portal never shows it.
    let list = body(unit.get(app.url("/reports")).send().await.unwrap()).await;
    assert!(!list.contains(&format!("/reports/{id}\"")), "{list}");
    let res = unit.get(app.url(&location)).send().await.unwrap();
    assert_eq!(res.status(), 404);
    // Nor do evaluators, who read everything issued.
    let evaluator = app.user("npc.rep", Role::Evaluator, None).await;
    let list = body(evaluator.get(app.url("/reports")).send().await.unwrap()).await;
    assert!(!list.contains(&format!("/reports/{id}\"")), "{list}");
    let res = evaluator
        .get(app.url(&format!("/reports/{id}.docx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = anonymous
        .get(app.url(&format!("/public/reports/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Publishing a draft is refused.
    let res = admin
        .post(app.url(&format!("/reports/{id}/publish")))
        .form(&[("published", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let public = body(
        anonymous
            .get(app.url("/public/reports"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!public.contains("质量分析报告〔"), "{public}");

    // Unit staff are refused every change.
    for (path, form) in [
        ("/reports/new".to_string(), vec![("period", "2015")]),
        (
            format!("/reports/{id}/narrative"),
            vec![("row_version", "3"), ("summary", "x")],
        ),
        (format!("/reports/{id}/issue"), vec![("row_version", "3")]),
        (format!("/reports/{id}/publish"), vec![("published", "1")]),
    ] {
        let res = unit.post(app.url(&path)).form(&form).send().await.unwrap();
        assert_eq!(res.status(), 403, "{path}");
    }

    // Issue: numbered within the issue year, frozen.
    let res = admin
        .post(app.url(&format!("/reports/{id}/issue")))
        .form(&[("row_version", "3")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let issued = body(admin.get(app.url(&location)).send().await.unwrap()).await;
    assert!(issued.contains("质量分析报告〔2015〕1号"), "{issued}");
    assert!(!issued.contains("name=\"row_version\""));
    let issued_row = indicator_row(&issued, "PRD-1");
    assert_eq!(issued_row, draft_row);
    let page_charts = issued.matches(r#"<figure class="chart"><svg"#).count();
    assert!(page_charts >= 1, "{issued}");
    // Each chart is captioned with its indicator, as in the Word document.
    assert_eq!(issued.matches("<figcaption>").count(), page_charts);
    assert!(issued.contains("<figcaption>PRD-1 "), "{issued}");

    // A corrected value changes what a report computes now, not the issued report.
    approve(&app, value("PRD-1", 2014, 45.0)).await;
    let plan = qcity_domain::plan::default_plan();
    let live = reports::compute(
        &app.store,
        &plan,
        Period::parse("2014").unwrap(),
        d("2015-01-10"),
    )
    .await
    .unwrap();
    let live_value = live
        .areas
        .iter()
        .flat_map(|a| &a.indicators)
        .find(|i| i.code == "PRD-1")
        .map(|i| i.value.clone());
    assert_eq!(live_value.as_deref(), Some("2014: 45%"));
    // Sampling counts its own period: every batch was sampled in May, so the first half-year
    // has them all and the second none.
    let half = |p: &'static str| {
        let store = app.store.clone();
        let plan = plan.clone();
        async move {
            reports::compute(&store, &plan, Period::parse(p).unwrap(), d("2015-01-10"))
                .await
                .unwrap()
        }
    };
    let (h1, h2) = (half("2014-H1").await, half("2014-H2").await);
    let year_total = live.sampling_total.as_ref().map(|l| l.batches);
    assert!(year_total.is_some_and(|b| b > 0));
    assert_eq!(h1.sampling_total.as_ref().map(|l| l.batches), year_total);
    assert!(h2.sampling_total.is_none() && h2.sampling_by_category.is_empty());
    let after = body(admin.get(app.url(&location)).send().await.unwrap()).await;
    assert_eq!(indicator_row(&after, "PRD-1"), issued_row);
    assert!(!after.contains("45%"));

    // Issued reports are immutable.
    let res = admin
        .post(app.url(&format!("/reports/{id}/narrative")))
        .form(&[("row_version", "4"), ("summary", "改写")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let res = admin
        .post(app.url(&format!("/reports/{id}/issue")))
        .form(&[("row_version", "4")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);

    // Units read the issued report in the archive.
    let list = body(unit.get(app.url("/reports")).send().await.unwrap()).await;
    assert!(list.contains(&format!("/reports/{id}\"")), "{list}");
    assert_eq!(
        unit.get(app.url(&location)).send().await.unwrap().status(),
        200
    );

    // Word: LibreOffice opens it, and its text holds the narrative and an indicator row; the
    // charts the page shows are pictures in it, and its tables are still tables.
    let res = admin
        .get(app.url(&format!("/reports/{id}.docx")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let docx = res.bytes().await.unwrap().to_vec();
    assert!(docx.starts_with(b"PK"));
    if let Some(pdf) = libreoffice::convert("report .docx to PDF", &docx, "docx", "pdf") {
        assert!(pdf.starts_with(b"%PDF"));
        let text = libreoffice::convert("report .docx to text", &docx, "docx", "txt")
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .unwrap_or_default();
        for s in [
            narrative,
            "PRD-1 农业标准化市场普及率",
            "2014: 31%",
            "质量分析报告〔2015〕1号",
            "电线电缆",
        ] {
            assert!(text.contains(s), "the document lacks {s}:\n{text}");
        }
        // Every chart is drawn, so none is referred to the platform.
        assert!(
            !text.contains("未能生成"),
            "a chart fell back to its note: {text}"
        );
        // As LibreOffice holds it (flat ODF: one XML file, pictures inline as base64).
        let odf = libreoffice::convert("report .docx to flat ODF", &docx, "docx", "fodt")
            .map(|t| String::from_utf8_lossy(&t).into_owned())
            .unwrap_or_default();
        let pictures = png_pictures(&odf);
        assert!(
            pictures.len() >= page_charts,
            "{} pictures for {page_charts} charts",
            pictures.len()
        );
        assert!(pictures.iter().all(|p| p.len() > 4_000), "tiny pictures");
        // Whole rows, cell by cell: an indicator with its figure, a sampling line.
        let cells = table_cells(&odf);
        let row_of = |first: &str, n: usize| {
            cells
                .iter()
                .position(|c| c == first)
                .map(|i| cells[i..(i + n).min(cells.len())].to_vec())
                .unwrap_or_default()
        };
        assert_eq!(
            row_of("PRD-1 农业标准化市场普及率", 2),
            ["PRD-1 农业标准化市场普及率", "2014: 31%"],
            "{cells:?}"
        );
        assert_eq!(
            row_of("建筑材料", 4),
            ["建筑材料", "4", "3", "75.0%"],
            "{cells:?}"
        );
    }
    // Published: on the portal for everyone; withdrawn: gone again.
    let res = admin
        .post(app.url(&format!("/reports/{id}/publish")))
        .form(&[("published", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let public = body(
        anonymous
            .get(app.url("/public/reports"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        public.contains(&format!("/public/reports/{id}\"")),
        "{public}"
    );
    let portal = body(anonymous.get(app.url("/public")).send().await.unwrap()).await;
    assert!(portal.contains("/public/reports"));
    let shown = body(
        anonymous
            .get(app.url(&format!("/public/reports/{id}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(shown.contains(narrative) && !shown.contains("/reports/new"));
    let res = admin
        .post(app.url(&format!("/reports/{id}/publish")))
        .form(&[("published", "0")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let public = body(
        anonymous
            .get(app.url("/public/reports"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!public.contains(&format!("/public/reports/{id}\"")));

    // Every change is in the audit trail.
    let filter = qcity_store::audit::Filter {
        limit: 500,
        ..Default::default()
    };
    let (entries, _) = qcity_store::audit::list(&app.store, &Actor::system("t"), &filter)
        .await
        .unwrap();
    let actions = entries
        .iter()
        .filter(|e| e.action.starts_with("report."))
        .count();
    assert!(actions >= 6, "{actions} report actions audited");
}

#[tokio::test]
async fn the_api_drafts_issues_and_publishes_an_analysis_report_as_the_pages_do() {
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(NaiveDate::from_ymd_opt(2015, 1, 20).unwrap()),
        ..Default::default()
    })
    .await;
    let token = |name: &'static str| {
        let store = app.store.clone();
        async move {
            qcity_store::users::create_token(&store, &Actor::system("t"), name, "ci")
                .await
                .unwrap()
        }
    };
    app.user("lead.api", Role::Leader, None).await;
    let (office, leader) = (token("admin").await, token("lead.api").await);
    let client = reqwest::Client::new();
    let send = |m: reqwest::Method, t: &str, path: &str, body: serde_json::Value| {
        client
            .request(m, app.url(path))
            .bearer_auth(t)
            .json(&body)
            .send()
    };
    use reqwest::Method;
    let period = serde_json::json!({"period": "2014"});
    assert_eq!(
        send(
            Method::POST,
            &leader,
            "/api/v1/quality-reports",
            period.clone()
        )
        .await
        .unwrap()
        .status(),
        403
    );
    let res = send(Method::POST, &office, "/api/v1/quality-reports", period)
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let r = reports::get(&app.store, &Actor::system("t"), id)
        .await
        .unwrap();
    let text = serde_json::json!({"row_version": r.row_version, "sections": {"summary": "全年工作稳步推进。"}});
    let path = format!("/api/v1/quality-reports/{id}/narrative");
    assert_eq!(
        send(Method::PUT, &office, &path, text.clone())
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        send(Method::PUT, &office, &path, text)
            .await
            .unwrap()
            .status(),
        409,
        "stale row_version"
    );
    let bad = serde_json::json!({"row_version": r.row_version + 1, "sections": {"nonsense": "x"}});
    assert_eq!(
        send(Method::PUT, &office, &path, bad)
            .await
            .unwrap()
            .status(),
        422
    );
    // Not published before it is issued; issued once; then published.
    let publish = format!("/api/v1/quality-reports/{id}/publication");
    let on = serde_json::json!({"published": true});
    assert_eq!(
        send(Method::PUT, &office, &publish, on.clone())
            .await
            .unwrap()
            .status(),
        409
    );
    let r = reports::get(&app.store, &Actor::system("t"), id)
        .await
        .unwrap();
    let issue = format!("/api/v1/quality-reports/{id}/issue");
    let v = serde_json::json!({"row_version": r.row_version});
    assert_eq!(
        send(Method::POST, &office, &issue, v.clone())
            .await
            .unwrap()
            .status(),
        204
    );
    assert_eq!(
        send(Method::POST, &office, &issue, v)
            .await
            .unwrap()
            .status(),
        409
    );
    assert_eq!(
        send(Method::PUT, &office, &publish, on)
            .await
            .unwrap()
            .status(),
        204
    );
    let r = reports::get(&app.store, &Actor::system("t"), id)
        .await
        .unwrap();
    assert!(r.issued() && r.published && r.narrative["summary"] == "全年工作稳步推进。");
}
