//! The plan in the product: the JSON contract, the pages, versions and imports.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use qcity_domain::role::Role;

#[tokio::test]
async fn the_plan_json_holds_the_whole_seed() {
    let app = TestApp::with_plan().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let v: serde_json::Value = c
        .get(app.url("/api/v1/plan"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let len = |k: &str| v[k].as_array().map(|a| a.len()).unwrap_or(0);
    assert_eq!(
        (
            len("categories"),
            len("indicators"),
            len("tasks"),
            len("phases")
        ),
        (11, 28, 40, 4)
    );
    let items: Vec<&serde_json::Value> = v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["items"].as_array().unwrap())
        .collect();
    let contents: Vec<&serde_json::Value> = items
        .iter()
        .flat_map(|i| i["contents"].as_array().unwrap())
        .collect();
    assert_eq!((items.len(), contents.len()), (49, 91));
    for c in &contents {
        assert!(
            c["code"].is_string()
                && c["deadline"].is_object()
                && c["lead_units"].is_array()
                && c["undertaking_units"].is_array()
                && c["notes"].is_array(),
            "{c}"
        );
    }
    let env6 = v["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == "ENV-6")
        .unwrap();
    assert!(
        env6["target"]
            .as_str()
            .unwrap()
            .contains("path 2013: 108 -> 2016: 95"),
        "{env6}"
    );
    assert!(
        env6["target_explained"].as_str().unwrap().contains("108"),
        "{env6}"
    );
    // 1.1.1 is led by 区强区办 and undertaken by every member unit, due 2014-12-31.
    let c111 = contents.iter().find(|c| c["code"] == "1.1.1").unwrap();
    assert_eq!(c111["lead_units"], serde_json::json!(["QQB"]));
    assert_eq!(c111["undertaking_units"], serde_json::json!(["ALL"]));
    assert_eq!(c111["deadline"]["date"], "2014-12-31");
    assert_eq!(v["version"], 1);
}

#[tokio::test]
async fn pages_show_the_decomposition_indicators_tasks_and_a_units_duties() {
    let app = TestApp::with_plan().await;
    let leader = app.user("leader1", Role::Leader, None).await;
    let plan = body(leader.get(app.url("/plan")).send().await.unwrap()).await;
    assert!(
        plan.contains("惠政〔2014〕4号")
            && plan.contains("id=\"c-4.8.1\"")
            && plan.contains("<svg"),
        "plan page"
    );
    assert!(plan.contains("显示 91 / 91 项目标内容"));
    let filtered = body(leader.get(app.url("/plan?unit=NW")).send().await.unwrap()).await;
    assert!(
        filtered.contains("id=\"c-3.1.2\"")
            && filtered.contains("id=\"c-1.1.1\"")
            && !filtered.contains("id=\"c-1.3.1\""),
        "各成员单位 includes 区农委"
    );
    let only_cat = body(leader.get(app.url("/plan?cat=9")).send().await.unwrap()).await;
    assert!(!only_cat.contains("id=\"c-1.1.1\"") && only_cat.contains("id=\"c-9.1.1\""));
    let ind = body(
        leader
            .get(app.url("/plan/indicators"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        ind.contains("ENV-3") && ind.contains("dB(A)") && ind.contains("不低于96%"),
        "indicators page"
    );
    let tasks = body(leader.get(app.url("/plan/tasks")).send().await.unwrap()).await;
    assert!(tasks.contains("全力提升产品质量") && tasks.contains("加强督查考核"));
    // 区农委 leads 3.1.2 (农业标准化) and sees what it supports.
    let nw = body(leader.get(app.url("/units/NW")).send().await.unwrap()).await;
    assert!(
        nw.contains("牵头的目标内容") && nw.contains("3.1.2"),
        "{nw}"
    );
    let svg = leader
        .get(app.url("/plan/timeline.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        svg.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    assert!(body(svg).await.contains("规划筹备阶段"));
}

#[tokio::test]
async fn importing_a_changed_plan_creates_a_version_with_its_diff() {
    let app = TestApp::with_plan().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let mut plan = qcity_domain::plan::default_plan();
    plan.categories[0].items[0].contents[0]
        .text
        .push_str("（修订）");
    let toml = plan.to_toml();
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(toml.into_bytes()).file_name("revised.toml"),
    );
    let res = c
        .post(app.url("/plan/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    // The upload only stages it: the preview says what will change, nothing has yet.
    let preview_url = res.headers()["location"].to_str().unwrap().to_string();
    assert!(preview_url.starts_with("/plan/import/"), "{preview_url}");
    assert_eq!(
        qcity_store::plan::current_version(&app.store)
            .await
            .unwrap(),
        1
    );
    let preview = body(c.get(app.url(&preview_url)).send().await.unwrap()).await;
    assert!(
        preview.contains("目标内容 1.1.1 的内容由") && preview.contains("确认导入为第 2 版"),
        "{preview}"
    );
    let res = c
        .post(app.url(&format!("{preview_url}/apply")))
        .form(&[("base_version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/plan/versions?imported=2");
    // Applied once: the draft is gone, so a second click changes nothing.
    let again = c
        .post(app.url(&format!("{preview_url}/apply")))
        .form(&[("base_version", "2")])
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 404);
    let page = body(
        c.get(app.url("/plan/versions?imported=2"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("已导入为第 2 版") && page.contains("修订"),
        "{page}"
    );
    let versions: serde_json::Value = c
        .get(app.url("/api/v1/plan/versions"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let diff = &versions[0]["diff"];
    assert_eq!(diff["changed"].as_array().unwrap().len(), 1, "{diff}");
    assert_eq!(diff["changed"][0]["code"], "1.1.1");
    assert_eq!(diff["changed"][0]["field"], "text");
    // The same file again makes no new version.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(plan.to_toml().into_bytes()).file_name("revised.toml"),
    );
    let res = c
        .post(app.url("/plan/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/plan/versions?imported=same");
}

#[tokio::test]
async fn a_broken_plan_is_refused_with_its_line_and_nothing_changes() {
    let app = TestApp::with_plan().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let toml = qcity_domain::plan::default_plan().to_toml().replacen(
        "lead_units = [\"QQB\"]",
        "lead_units = [\"NOSUCH\"]",
        1,
    );
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(toml.into_bytes()).file_name("bad.toml"),
    );
    let res = c
        .post(app.url("/plan/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = body(res).await;
    assert!(page.contains("NOSUCH") && page.contains("行"), "{page}");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(vec![0xff, 0xfe, 0x00]).file_name("x.bin"),
    );
    let res = c
        .post(app.url("/plan/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(
        qcity_store::plan::current_version(&app.store)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn the_excel_export_imports_back_unchanged() {
    let app = TestApp::with_plan().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let res = c.get(app.url("/plan/export.xlsx")).send().await.unwrap();
    assert_eq!(
        res.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(b"PK"));
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("plan.xlsx"),
    );
    let res = c
        .post(app.url("/plan/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["location"], "/plan/versions?imported=same");
}

/// The export's 备注 columns are in the reader's language, and either workbook imports back
/// as the same plan (the Chinese notes read back as the notes the plan writes).
#[tokio::test]
async fn the_excel_export_carries_the_notes_in_the_readers_language() {
    let app = TestApp::with_plan().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    let plan = qcity_domain::plan::default_plan();
    let notes_of_2_5_1 = |bytes: &[u8]| {
        let rows = qcity_exchange::assessment::first_sheet_text(bytes).unwrap();
        rows.into_iter()
            .find(|r| r.get(3).is_some_and(|t| t.starts_with("2.5.1 ")))
            .and_then(|r| r.get(7).cloned())
            .unwrap()
    };
    for (lang, note) in [
        ("zh-CN", "按措辞关联主要任务 T30（首席质量官制度）。"),
        ("en", "Task link T30 by wording (首席质量官制度)."),
    ] {
        c.post(app.url("/lang"))
            .form(&[("lang", lang), ("back", "/plan")])
            .send()
            .await
            .unwrap();
        let bytes = c
            .get(app.url("/plan/export.xlsx"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        let cell = notes_of_2_5_1(&bytes);
        assert!(cell.contains(note), "{lang}: {cell}");
        let (back, _) = qcity_exchange::plan_from_xlsx(&bytes, &plan).unwrap();
        assert_eq!(back, plan, "{lang}");
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name("plan.xlsx"),
        );
        let res = c
            .post(app.url("/plan/import"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.headers()["location"],
            "/plan/versions?imported=same",
            "{lang}"
        );
    }
}

/// The transcription notes are the office's working notes: hidden from everyone else, and
/// shown to the office on request, in the page's language (Chinese from the catalogue).
#[tokio::test]
async fn transcription_notes_are_for_the_office_on_request() {
    let app = TestApp::with_plan().await;
    let unit = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let leader = app.user("leader", Role::Leader, None).await;
    let admin = app.login("admin", ADMIN_PASSWORD).await;
    // One note of the plan, a content, an indicator, a task and a unit, in both languages.
    let notes = [
        (
            "/plan",
            "原文印作“惠政〔2014〕4 号”",
            "the seed prints 惠政〔2014〕4 号",
        ),
        (
            "/plan",
            "按措辞关联主要任务 T30（首席质量官制度）。",
            "Task link T30 by wording (首席质量官制度).",
        ),
        (
            "/plan/indicators",
            "目标内容 6.1.1 重述了此指标。",
            "Restated by 6.1.1.",
        ),
        (
            "/plan/tasks",
            "标题系提炼：该任务没有简短的引领标题",
            "Title is derived: the task has no short lead title",
        ),
        (
            "/units/ZJFJ",
            "领导小组设于该局",
            "Houses the leading group",
        ),
    ];
    for who in [&unit, &leader] {
        for (path, zh, en) in notes {
            for asked in ["", "?notes=1"] {
                let page = body(
                    who.get(app.url(&format!("{path}{asked}")))
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                assert!(
                    !page.contains("class=\"notes\"") && !page.contains(zh) && !page.contains(en),
                    "only the office sees notes, not on {path}{asked}"
                );
                assert!(!page.contains("notes-toggle") && !page.contains("显示转录说明"));
            }
        }
    }
    let plain = body(admin.get(app.url("/plan")).send().await.unwrap()).await;
    assert!(!plain.contains("class=\"notes\""));
    assert!(plain.contains("显示转录说明"));
    for (path, zh, en) in notes {
        let plain = body(admin.get(app.url(path)).send().await.unwrap()).await;
        assert!(
            !plain.contains(zh) && !plain.contains(en),
            "{path} without ?notes=1"
        );
        let with = body(
            admin
                .get(app.url(&format!("{path}?notes=1")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(
            with.contains("class=\"notes\"") && with.contains("隐藏转录说明"),
            "{path}"
        );
        assert!(with.contains(zh), "{path} shows the note in Chinese: {zh}");
        assert!(!with.contains(en), "{path} shows no English note: {en}");
    }
    admin
        .post(app.url("/lang"))
        .form(&[("lang", "en"), ("back", "/plan")])
        .send()
        .await
        .unwrap();
    for (path, zh, en) in notes {
        let with = body(
            admin
                .get(app.url(&format!("{path}?notes=1")))
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert!(with.contains("Hide transcription notes"), "{path}");
        assert!(with.contains(en), "{path} shows the note as written: {en}");
        assert!(
            !with.contains(zh),
            "{path} shows no Chinese translation: {zh}"
        );
    }
}
