//! A city of districts: another district takes the plan over with its own member units and
//! runs it in the same installation. Each district's office sees its own obligations and
//! figures; a plan version of one district leaves the other alone; the city's leaders compare
//! the districts, each row equal to that district's own overview and the total their sum.

use crate::harness::body;
use crate::plan_preview::{demo_app, today};
use qcity_domain::plan::{Deadline, DistrictSpec};
use qcity_domain::role::Role;
use qcity_domain::supervision::Tally;
use qcity_store::obligations::{self, Filter};
use qcity_store::{Actor, StoreError, plan};

/// The seed plan's installation with 金水区 added as a second district (on 2015-02-10).
async fn with_jinshui() -> crate::harness::TestApp {
    let app = crate::harness::TestApp::with_plan().await;
    let day = chrono::NaiveDate::from_ymd_opt(2015, 2, 10).unwrap();
    plan::add_district(&app.store, &Actor::system("t"), &jinshui(), day)
        .await
        .unwrap();
    app
}

pub(crate) fn jinshui() -> DistrictSpec {
    DistrictSpec {
        code: "JINSHUI".into(),
        name: "金水区".into(),
        prefix: "JS".into(),
        plan_code: "jinshui-2014".into(),
    }
}

pub(crate) async fn unit_id(app: &crate::harness::TestApp, code: &str) -> i64 {
    sqlx::query_scalar::<_, i64>("SELECT id FROM org_units WHERE code = $1")
        .bind(code)
        .fetch_one(&app.store.pool)
        .await
        .unwrap()
}

/// The text of a Word document's body (its XML).
fn docx_xml(bytes: &[u8]) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a docx is a zip");
    let mut xml = String::new();
    zip.by_name("word/document.xml")
        .expect("the document")
        .read_to_string(&mut xml)
        .expect("utf-8");
    xml
}

/// The office of a district, as the store sees it.
pub(crate) fn office_of(district: i64) -> Actor {
    Actor {
        role: Some(Role::Office),
        unit_id: Some(district),
        owner_id: Some(district),
        ..Actor::system("t")
    }
}

fn same_figures(a: &Tally, b: &Tally) -> bool {
    (a.total, a.expected, a.closed, a.overdue, a.on_time)
        == (b.total, b.expected, b.closed, b.overdue, b.on_time)
}

/// The text of the cell with this class in the row with this id.
pub(crate) fn cell(page: &str, row_id: &str, class: &str) -> String {
    let row = page
        .split(&format!("id=\"{row_id}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no row {row_id}"));
    let row = row.split("</tr>").next().unwrap_or_default();
    row.split(&format!("class=\"{class}\">"))
        .nth(1)
        .and_then(|s| s.split('<').next())
        .unwrap_or_else(|| panic!("no {class} in {row_id}"))
        .to_string()
}

#[tokio::test]
async fn a_second_district_runs_its_own_plan_and_the_city_compares_both() {
    let app = demo_app().await;
    let home = Actor::system("t");
    let huiji_before = obligations::tallies_sql(&app.store, &home, today())
        .await
        .unwrap()
        .district();
    assert!(
        huiji_before.closed > 0 && huiji_before.overdue > 0,
        "demo progress"
    );

    plan::add_district(&app.store, &home, &jinshui(), today())
        .await
        .unwrap();
    // Taking the plan over twice is refused; nothing changes.
    assert!(matches!(
        plan::add_district(&app.store, &home, &jinshui(), today()).await,
        Err(StoreError::Invalid { ref code, .. }) if code == "error-district-exists"
    ));

    // The registers' keepers stay the home district's (registers are not yet per district).
    let keepers: Vec<String> =
        sqlx::query_scalar("SELECT unit_code FROM registry_owners ORDER BY unit_code")
            .fetch_all(&app.store.pool)
            .await
            .unwrap();
    assert!(keepers.contains(&"ZJFJ".to_string()), "{keepers:?}");
    assert!(keepers.iter().all(|k| !k.starts_with("JS")), "{keepers:?}");

    // The home district's figures are its own, as before.
    let huiji = obligations::tallies_sql(&app.store, &home, today())
        .await
        .unwrap()
        .district();
    assert!(
        same_figures(&huiji, &huiji_before),
        "{huiji:?} {huiji_before:?}"
    );

    // Jinshui runs the same plan with its own units: as many obligations, none done yet.
    let js = unit_id(&app, "JINSHUI").await;
    let js_office = office_of(js);
    let jinshui = obligations::tallies_sql(&app.store, &js_office, today())
        .await
        .unwrap();
    let js_total = jinshui.district();
    assert_eq!(js_total.total, huiji.total);
    assert_eq!(js_total.closed, 0);
    assert!(
        jinshui.by_unit.keys().all(|u| u.starts_with("JS")),
        "{:?}",
        jinshui.by_unit.keys()
    );
    let listed = obligations::list(&app.store, &js_office, &Filter::default(), today())
        .await
        .unwrap();
    assert!(!listed.is_empty());
    assert!(listed.iter().all(|o| o.unit_code.starts_with("JS")));

    // A plan version of Jinshui's (a deadline moved) leaves Huiji's obligations alone.
    let (_, mut js_plan) = plan::current_of(&app.store, "JINSHUI")
        .await
        .unwrap()
        .unwrap();
    let moved = js_plan.categories[0].items[0].contents[0].code.clone();
    js_plan.categories[0].items[0].contents[0].deadline = Deadline::Date {
        date: chrono::NaiveDate::from_ymd_opt(2015, 6, 30).unwrap(),
    };
    let done = plan::import(
        &app.store,
        &js_office,
        &js_plan,
        "toml",
        "金水区修订.toml",
        today(),
    )
    .await
    .unwrap();
    assert_eq!(done.version, 2, "Jinshui numbers its own versions");
    assert_eq!(
        plan::current_version(&app.store).await.unwrap(),
        1,
        "Huiji is still at 1"
    );
    let huiji_after = obligations::tallies_sql(&app.store, &home, today())
        .await
        .unwrap()
        .district();
    assert!(same_figures(&huiji_after, &huiji_before));
    let huiji_moved = obligations::list(
        &app.store,
        &home,
        &Filter {
            content_prefix: Some(moved.clone()),
            ..Default::default()
        },
        today(),
    )
    .await
    .unwrap();
    assert!(
        huiji_moved.iter().all(|o| o.due_date != "2015-06-30"),
        "{moved}"
    );

    // Through the web. Jinshui's office: its own overview, in its units' names.
    let js_web = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let page = body(js_web.get(app.url("/supervision")).send().await.unwrap()).await;
    assert!(page.contains("/obligations?unit=JSZJFJ"), "Jinshui's units");
    assert!(!page.contains("/obligations?unit=ZJFJ\""), "no Huiji unit");
    assert!(!page.contains(">JSZJFJ<"), "a unit shown by its code");
    let page = body(
        js_web
            .get(app.url("/supervision/districts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"district-JINSHUI\"") && !page.contains("id=\"district-HUIJI\""));

    // What is not yet kept per district is closed to Jinshui, not mixed with Huiji's records:
    // refused with the reason, and gone from its navigation; its home is its supervision.
    let res = js_web
        .get(app.url("/admin/approvals"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let refused = body(res).await;
    assert!(refused.contains("本区县不能使用此功能"), "{refused}");
    assert!(
        !refused.contains("惠济"),
        "nothing of Huiji's on the refusal"
    );
    let notices = body(js_web.get(app.url("/notices")).send().await.unwrap()).await;
    assert!(
        !notices.contains("惠济"),
        "Jinshui's notices name none of Huiji's units"
    );
    // Its home page is its own district's.
    let home_page = body(js_web.get(app.url("/")).send().await.unwrap()).await;
    assert!(
        home_page.contains("金水区"),
        "Jinshui's home names its plan"
    );
    assert!(!home_page.contains("惠济区"), "and nothing of Huiji's");
    let js_page = body(js_web.get(app.url("/supervision")).send().await.unwrap()).await;
    let js_users = body(js_web.get(app.url("/admin/users")).send().await.unwrap()).await;
    assert!(
        !js_users.contains("href=\"/admin/approvals\""),
        "no way into what it cannot use"
    );
    assert!(js_page.contains("href=\"/obligations\""));
    // Huiji's own accounts keep everything.
    let huiji_office = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    let res = huiji_office
        .get(app.url("/admin/approvals"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // The city's leader compares both; each row is that district's own overview.
    let city = app.user("zz.leader", Role::Leader, Some("ZZ")).await;
    // Its leaders' view is the comparison: the city runs no plan of its own yet.
    let res = city.get(app.url("/leader")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/supervision/districts");
    let res = city.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/supervision/districts");
    let page = body(
        city.get(app.url("/supervision/districts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("金水区人民政府") && page.contains("惠济区人民政府"),
        "{page}"
    );
    assert_eq!(
        cell(&page, "district-HUIJI", "overdue"),
        huiji.overdue.to_string()
    );
    assert_eq!(
        cell(&page, "district-HUIJI", "completion"),
        huiji.completion_text()
    );
    assert_eq!(
        cell(&page, "district-HUIJI", "closed"),
        huiji.closed.to_string()
    );
    let js_now = obligations::tallies_sql(&app.store, &js_office, today())
        .await
        .unwrap()
        .district();
    assert_eq!(
        cell(&page, "district-JINSHUI", "overdue"),
        js_now.overdue.to_string()
    );
    let mut sum = huiji.clone();
    sum.merge(&js_now);
    assert_eq!(
        cell(&page, "districts-total", "expected"),
        sum.expected.to_string()
    );
    assert_eq!(
        cell(&page, "districts-total", "completion"),
        sum.completion_text()
    );
    // The same figures in the workbook.
    let res = city
        .get(app.url("/supervision/districts.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let xlsx = res.bytes().await.unwrap();
    let rows = qcity_exchange::assessment::first_sheet_text(&xlsx).expect("a workbook");
    let huiji_row = rows
        .iter()
        .find(|r| r.first().is_some_and(|c| c == "惠济区人民政府"))
        .expect("Huiji's row");
    assert_eq!(huiji_row[1], huiji.expected.to_string());
    assert_eq!(huiji_row[5], huiji.overdue.to_string());
    assert!(rows.iter().any(|r| r.first().is_some_and(|c| c == "合计")));
    // And in the Word document of every comparison, for the city; none of Huiji's for Jinshui.
    for path in [
        "/supervision/districts.docx",
        "/indicators/districts.docx?year=2014",
        "/sampling/districts.docx?year=2014",
        "/acceptance/districts.docx",
        "/complaints/districts.docx?year=2014",
    ] {
        let res = city.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        assert!(
            res.headers()["content-type"]
                .to_str()
                .unwrap()
                .contains("wordprocessingml"),
            "{path}"
        );
        let xml = docx_xml(&res.bytes().await.unwrap());
        assert!(
            xml.contains("惠济区") && xml.contains("金水区"),
            "{path}: {xml}"
        );
        let mine = docx_xml(
            &js_web
                .get(app.url(path))
                .send()
                .await
                .unwrap()
                .bytes()
                .await
                .unwrap(),
        );
        assert!(
            mine.contains("金水区") && !mine.contains("惠济区"),
            "{path}: {mine}"
        );
    }
    let xml = docx_xml(
        &city
            .get(app.url("/supervision/districts.docx"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    );
    assert!(xml.contains(&format!(">{}<", huiji.expected)) && xml.contains("合计"));

    // Jinshui's office neither opens nor decides a Huiji obligation waiting for review.
    let (waiting, version): (i64, i64) = sqlx::query_as(
        "SELECT o.id, o.row_version FROM obligations o JOIN org_units u ON u.id = o.unit_id \
         WHERE o.status = 'submitted' AND u.code NOT LIKE 'JS%' ORDER BY o.id LIMIT 1",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    let res = js_web
        .get(app.url(&format!("/obligations/{waiting}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = js_web
        .post(app.url(&format!("/obligations/{waiting}/review")))
        .form(&[
            ("decision", "accept"),
            ("reason", ""),
            ("row_version", &version.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let status: String = sqlx::query_scalar("SELECT status FROM obligations WHERE id = $1")
        .bind(waiting)
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(status, "submitted", "nothing decided across districts");

    // A Huiji unit neither lists nor opens Jinshui's obligations.
    let zj = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let js_ob = listed[0].id;
    let res = zj
        .get(app.url(&format!("/obligations/{js_ob}")))
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 403 | 404),
        "{}",
        res.status()
    );
    // Units and evaluators do not compare districts.
    let res = zj
        .get(app.url("/supervision/districts"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// Another district's office walks every state-changing route against the home district's
/// records: each is refused (not found, forbidden, or not yet kept per district) and nothing
/// of the home district changes.
#[tokio::test]
async fn another_districts_office_is_refused_on_every_state_changing_route() {
    let app = crate::harness::TestApp::with_plan().await;
    let home = Actor::system("t");
    let day = chrono::NaiveDate::from_ymd_opt(2014, 12, 1).unwrap();
    plan::add_district(&app.store, &home, &jinshui(), day)
        .await
        .unwrap();
    // A Huiji obligation handed in and waiting, with an extension asked and a 督办 issued.
    crate::harness::create_user(
        &app.store,
        "zj.staff",
        Role::Unit,
        Some("ZJFJ"),
        crate::harness::PASSWORD,
    )
    .await;
    let staff = qcity_store::users::get(&app.store, &home, "zj.staff")
        .await
        .unwrap()
        .actor("127.0.0.1", "t");
    let f = Filter {
        unit: Some("ZJFJ".into()),
        ..Default::default()
    };
    let obs = obligations::list(&app.store, &home, &f, day).await.unwrap();
    let (ob, other) = (obs[0].clone(), obs[1].clone());
    let input = qcity_store::obligations::ReportInput {
        body: "进展".into(),
        percent: 100,
        submit: true,
        form_token: "huiji-token-00000000".into(),
        files: vec![qcity_store::obligations::Upload {
            filename: "a.pdf".into(),
            bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
        }],
    };
    let report_id = obligations::report(&app.store, &staff, ob.id, input, &Default::default(), day)
        .await
        .unwrap();
    let ext_id = obligations::request_extension(
        &app.store,
        &staff,
        other.id,
        chrono::NaiveDate::from_ymd_opt(2015, 6, 30).unwrap(),
        "理由",
        day,
    )
    .await
    .unwrap();
    let notice_id = qcity_store::notices::issue_duban(
        &app.store,
        &home,
        "ZJFJ",
        Some(ob.id),
        "督办",
        "",
        day,
        day,
    )
    .await
    .unwrap();
    let b = qcity_store::bulletins::draft(
        &app.store,
        &home,
        &plan::current(&app.store).await.unwrap().unwrap().1,
        "2014-11",
        day,
    )
    .await
    .unwrap();
    let bulletin_id = qcity_store::bulletins::issue(&app.store, &home, b, day)
        .await
        .unwrap();
    let before = obligations::tallies_sql(&app.store, &home, day)
        .await
        .unwrap()
        .district();
    let users_before = qcity_store::users::count(&app.store).await.unwrap();
    let intruder = app.user("js.office", Role::Office, Some("JINSHUI")).await;

    let routes = qcity_web::modules::mutating_routes();
    let mut walked = 0;
    for r in &routes {
        if qcity_web::SELF_ROUTES.contains(&r.path) {
            continue;
        }
        let id = if r.path.contains("/extensions/") {
            ext_id
        } else if r.path.contains("/notices/") {
            notice_id
        } else if r.path.contains("/reports/") {
            report_id
        } else if r.path.contains("/bulletins/") {
            bulletin_id
        } else {
            ob.id
        };
        let path = r
            .path
            .replace("{code}", "ZJFJ")
            .replace("{username}", "zj.staff")
            .replace("{id}", &id.to_string());
        let pick = ob.id.to_string();
        let version = ob.row_version.to_string();
        let req = match r.method.as_str() {
            "POST" if path.starts_with("/api/") => intruder.post(app.url(&path)).json(
                &serde_json::json!({"decision": "accept", "ids": [ob.id], "row_version": ob.row_version}),
            ),
            "PUT" => intruder
                .put(app.url(&path))
                .json(&serde_json::json!({"name": "evil", "phone": "110", "email": ""})),
            _ => intruder.post(app.url(&path)).form(&[
                ("decision", "accept"),
                ("approve", "1"),
                ("pick", pick.as_str()),
                ("row_version", version.as_str()),
                ("reason", "跨区"),
                ("contact_name", "evil"),
                ("username", "evil"),
                ("role", "office"),
            ]),
        };
        let status = req.send().await.unwrap().status().as_u16();
        // Issuing a bulletin or a 督办 makes one of the intruder's own district (checked
        // below to leave Huiji's alone); every other route is refused.
        let own_district = matches!(
            r.path,
            "/bulletins"
                | "/notices"
                | "/api/v1/bulletins"
                | "/api/v1/notices"
                | "/reports/new"
                | "/api/v1/quality-reports"
        ) && matches!(status, 200 | 201 | 303);
        assert!(
            own_district || matches!(status, 403 | 404 | 409 | 422),
            "{} {path}: another district's office got {status}",
            r.method
        );
        walked += 1;
    }
    assert!(walked > 40, "{walked} routes walked");

    // Nothing of Huiji's changed.
    let after = obligations::tallies_sql(&app.store, &home, day)
        .await
        .unwrap()
        .district();
    assert!(same_figures(&after, &before));
    let still = obligations::get(&app.store, &home, ob.id).await.unwrap();
    assert_eq!(still.status.as_str(), "submitted");
    let pending: String = sqlx::query_scalar("SELECT status FROM extension_requests WHERE id = $1")
        .bind(ext_id)
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(pending, "pending");
    let cuiban: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM notices WHERE obligation_id = $1 AND kind = 'cuiban'",
    )
    .bind(ob.id)
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(cuiban, 0, "no 催办 across districts");
    let (_, standing) = qcity_store::bulletins::get_any(&app.store, &home, bulletin_id)
        .await
        .unwrap();
    assert_eq!(standing, qcity_store::bulletins::Standing::Issued);
    assert_eq!(
        qcity_store::users::count(&app.store).await.unwrap(),
        users_before + 1,
        "only the intruder's own account was added"
    );
}

/// The id of the bulletin a page redirected to.
fn bulletin_id(res: &reqwest::Response) -> i64 {
    let to = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .unwrap_or_default();
    to.trim_start_matches("/bulletins/").parse().unwrap_or(0)
}

/// Each district issues its own bulletins (numbered per district, one per district and
/// period) and its own 督办; another district neither reads nor changes them; the city's
/// leader reads both districts' bulletins, each named with its district.
#[tokio::test]
async fn each_district_issues_its_own_bulletins_and_notices() {
    let app = crate::harness::TestApp::with_plan().await;
    let home = Actor::system("t");
    let day = chrono::NaiveDate::from_ymd_opt(2015, 2, 10).unwrap();
    plan::add_district(&app.store, &home, &jinshui(), day)
        .await
        .unwrap();
    let hj = app.user("hj.office", Role::Office, Some("HUIJI")).await;
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let issue = |c: &reqwest::Client| {
        c.post(app.url("/bulletins"))
            .form(&[("month", "2015-01"), ("confirm", "1")])
            .send()
    };
    let hj_res = issue(&hj).await.unwrap();
    assert_eq!(hj_res.status(), 303);
    let hj_bulletin = bulletin_id(&hj_res);
    // Huiji's bulletin for January does not stop Jinshui issuing its own, numbered 1 too.
    let js_res = issue(&js).await.unwrap();
    assert_eq!(js_res.status(), 303);
    let js_bulletin = bulletin_id(&js_res);
    assert!(hj_bulletin > 0 && js_bulletin > 0 && hj_bulletin != js_bulletin);
    let (hj_b, js_b) = (
        qcity_store::bulletins::get(&app.store, &home, hj_bulletin)
            .await
            .unwrap(),
        qcity_store::bulletins::get(
            &app.store,
            &office_of(unit_id(&app, "JINSHUI").await),
            js_bulletin,
        )
        .await
        .unwrap(),
    );
    assert_eq!((hj_b.number, js_b.number), (1, 1));
    assert!(js_b.title.contains("金水区"), "{}", js_b.title);
    assert!(
        js_b.units.iter().all(|u| u.unit_code.starts_with("JS")),
        "Jinshui's bulletin ranks Jinshui's units"
    );
    assert!(hj_b.units.iter().all(|u| !u.unit_code.starts_with("JS")));

    // Jinshui lists only its own; Huiji's is not found, and cannot be corrected or revoked.
    let list = body(js.get(app.url("/bulletins")).send().await.unwrap()).await;
    assert!(list.contains(&format!("/bulletins/{js_bulletin}\"")));
    assert!(!list.contains(&format!("/bulletins/{hj_bulletin}\"")));
    for path in [
        format!("/bulletins/{hj_bulletin}"),
        format!("/bulletins/{hj_bulletin}/pdf"),
        format!("/api/v1/bulletins/{hj_bulletin}"),
    ] {
        let res = js.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let res = js
        .post(app.url(&format!("/bulletins/{hj_bulletin}/revoke")))
        .form(&[("reason", "跨区撤销")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let (_, standing) = qcity_store::bulletins::get_any(&app.store, &home, hj_bulletin)
        .await
        .unwrap();
    assert_eq!(standing, qcity_store::bulletins::Standing::Issued);

    // The city's leader reads both, each named with its district.
    let city = app.user("zz.leader", Role::Leader, Some("ZZ")).await;
    let list = body(city.get(app.url("/bulletins")).send().await.unwrap()).await;
    assert!(list.contains(&format!("/bulletins/{js_bulletin}\"")));
    assert!(list.contains(&format!("/bulletins/{hj_bulletin}\"")));
    assert!(list.contains("金水区") && list.contains("惠济区"));
    let res = city
        .get(app.url(&format!("/bulletins/{js_bulletin}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    // A 督办 from Jinshui's office to a Huiji unit is refused: the unit is not its own.
    let res = js
        .post(app.url("/notices"))
        .form(&[
            ("unit", "ZJFJ"),
            ("title", "跨区督办"),
            ("body", ""),
            ("respond_by", "2099-03-01"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(res.status().as_u16(), 404 | 422),
        "{}",
        res.status()
    );
    let manual: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notices WHERE kind = 'manual'")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(manual, 0);
    // To its own unit it goes through, and Huiji's office does not see it.
    let res = js
        .post(app.url("/notices"))
        .form(&[
            ("unit", "JSZJFJ"),
            ("title", "金水督办"),
            ("body", ""),
            ("respond_by", "2099-03-01"),
        ])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection());
    let manual: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notices WHERE kind = 'manual'")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(manual, 1);
    let hj_notices = body(hj.get(app.url("/notices")).send().await.unwrap()).await;
    assert!(!hj_notices.contains("金水督办"));
    let js_notices = body(js.get(app.url("/notices")).send().await.unwrap()).await;
    assert!(js_notices.contains("金水督办"));
}

/// The units page of a district lists its own units only; another district's unit is not
/// found, and its contact cannot be changed; the city's leader lists every district's units.
#[tokio::test]
async fn each_district_lists_its_own_units() {
    let app = with_jinshui().await;
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let page = body(js.get(app.url("/units")).send().await.unwrap()).await;
    assert!(page.contains("/units/JSZJFJ"), "Jinshui's own unit listed");
    assert!(!page.contains("/units/ZJFJ\""), "no Huiji unit listed");
    let res = js.get(app.url("/units/ZJFJ")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = js
        .post(app.url("/units/ZJFJ/contact"))
        .form(&[
            ("contact_name", "跨区"),
            ("contact_phone", ""),
            ("contact_email", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let name: String = sqlx::query_scalar("SELECT contact_name FROM org_units WHERE code = 'ZJFJ'")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_ne!(name, "跨区");
    // Its own unit's page shows what the unit does in Jinshui's plan.
    let own = body(js.get(app.url("/units/JSZJFJ")).send().await.unwrap()).await;
    assert!(own.contains("金水") || own.contains("JSZJFJ"));
    let city = app.user("zz.leader", Role::Leader, Some("ZZ")).await;
    let page = body(city.get(app.url("/units")).send().await.unwrap()).await;
    assert!(page.contains("/units/JSZJFJ") && page.contains("/units/ZJFJ\""));
}

/// A district's office adds member units inside its own district only: never a city or a
/// district, never under another district's unit; a unit without a parent goes under it.
#[tokio::test]
async fn a_district_adds_units_inside_itself_only() {
    let app = with_jinshui().await;
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let post = |unit: serde_json::Value| {
        js.post(app.url("/api/v1/units"))
            .header("accept-language", "zh-CN")
            .json(&unit)
            .send()
    };
    // No city or district, and no parent outside the district: refused, in words, nothing kept.
    for (unit, field) in [
        (
            serde_json::json!({"code": "C10", "name": "某市", "kind": "city"}),
            "kind",
        ),
        (
            serde_json::json!({"code": "X10", "name": "区工信局", "kind": "member", "parent": "HUIJI"}),
            "parent",
        ),
    ] {
        let res = post(unit.clone()).await.unwrap();
        assert_eq!(res.status(), 422, "{unit}");
        let answer = res.text().await.unwrap();
        assert!(answer.contains(field), "{answer}");
        let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM org_units WHERE code = $1")
            .bind(unit["code"].as_str().unwrap())
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
        assert_eq!(kept, 0, "{unit}");
    }
    let refused = post(serde_json::json!({"code": "C11", "name": "某市", "kind": "city"}))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        refused.contains("区县只能在本区县内新增成员单位"),
        "{refused}"
    );
    // A member unit without a parent goes under the district, and its office sees it.
    let res = post(serde_json::json!({"code": "JSXJ", "name": "区新建局", "kind": "member"}))
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let parent: String = sqlx::query_scalar(
        "SELECT p.code FROM org_units u JOIN org_units p ON p.id = u.parent_id WHERE u.code = 'JSXJ'",
    )
    .fetch_one(&app.store.pool)
    .await
    .unwrap();
    assert_eq!(parent, "JINSHUI");
}

/// Each district's office administers its own units' accounts and reads what they did: it
/// lists, creates, resets and disables accounts of its district only (by page and API), and
/// its audit trail holds none of another district's records.
#[tokio::test]
async fn each_district_administers_its_own_accounts() {
    let app = with_jinshui().await;
    let hj = app.user("hj.office", Role::Office, Some("HUIJI")).await;
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let _zj = app.user("zj.staff", Role::Unit, Some("ZJFJ")).await;
    let _jz = app.user("js.zhijian", Role::Unit, Some("JSZJFJ")).await;

    // Each lists its own district's accounts, not the other's nor the installation's admin.
    let page = body(js.get(app.url("/admin/users")).send().await.unwrap()).await;
    assert!(page.contains("js.zhijian") && page.contains("js.office"));
    assert!(!page.contains("zj.staff") && !page.contains("hj.office") && !page.contains(">admin<"));
    let api: serde_json::Value = js
        .get(app.url("/api/v1/users"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let names: Vec<&str> = api
        .as_array()
        .or_else(|| api["users"].as_array())
        .expect("a list")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert!(names.contains(&"js.zhijian"), "{names:?}");
    assert!(
        !names.contains(&"zj.staff") && !names.contains(&"admin"),
        "{names:?}"
    );
    let page = body(hj.get(app.url("/admin/users")).send().await.unwrap()).await;
    assert!(page.contains("zj.staff") && !page.contains("js.zhijian"));

    // Another district's account is not found: no reset, no disabling, by page or API.
    for path in [
        "/admin/users/zj.staff/reset",
        "/admin/users/zj.staff/disable",
        "/api/v1/users/zj.staff/password-reset",
        "/api/v1/users/zj.staff/disable",
    ] {
        let res = js.post(app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 404, "{path}");
    }
    let zj = qcity_store::users::get(&app.store, &Actor::system("t"), "zj.staff")
        .await
        .unwrap();
    assert!(!zj.disabled && !zj.must_change_password, "untouched");
    // Its own unit's account: reset with a one-time password.
    let res = js
        .post(app.url("/admin/users/js.zhijian/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(body(res).await.contains("one-time-password"));

    // It creates accounts of its own units only, and never one without a unit.
    let res = js
        .post(app.url("/admin/users"))
        .form(&[("username", "js.spy"), ("role", "unit"), ("unit", "ZJFJ")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("id=\"unit-error\""));
    let res = js
        .post(app.url("/admin/users"))
        .form(&[("username", "js.boss"), ("role", "leader"), ("unit", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("本区县（市）的账号须选择所属单位"));
    let res = js
        .post(app.url("/admin/users"))
        .form(&[
            ("username", "js.leader"),
            ("display_name", "金水区领导"),
            ("role", "leader"),
            ("unit", "JINSHUI"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let all = qcity_store::users::list(&app.store, &Actor::system("t"))
        .await
        .unwrap();
    assert!(all.iter().any(|u| u.username == "js.leader"));
    assert!(
        !all.iter()
            .any(|u| u.username == "js.spy" || u.username == "js.boss")
    );

    // The audit trail: Jinshui reads its own office's changes, not Huiji's.
    let res = hj
        .post(app.url("/admin/users/zj.staff/reset"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let trail: serde_json::Value = js
        .get(app.url("/api/v1/audit?action=user."))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let targets: Vec<&str> = trail["records"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["target_id"].as_str())
        .collect();
    assert!(
        targets.contains(&"js.zhijian") && targets.contains(&"js.leader"),
        "{targets:?}"
    );
    assert!(!targets.contains(&"zj.staff"), "{targets:?}");
    let page = body(js.get(app.url("/admin/audit")).send().await.unwrap()).await;
    assert!(page.contains("js.leader") && !page.contains("zj.staff"));
    let page = body(
        hj.get(app.url("/admin/audit?action=user."))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("zj.staff") && !page.contains("js.leader"));
}

/// A district's office imports its own plan only: another district's plan file is refused with
/// the reason and changes nothing, and another district's draft is not found.
#[tokio::test]
async fn each_district_imports_its_own_plan_only() {
    let app = with_jinshui().await;
    let hj = app.user("hj.office", Role::Office, Some("HUIJI")).await;
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let file = |plan: &qcity_domain::plan::Plan| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(plan.to_toml().into_bytes()).file_name("方案.toml"),
        )
    };
    let mut huiji = crate::plan_preview::deadline_moved("1.1.1");
    huiji.plan.notes.push("惠济修订".into());
    // Jinshui's office uploads Huiji's plan: refused, nothing staged.
    let res = js
        .post(app.url("/plan/import"))
        .multipart(file(&huiji))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let page = body(res).await;
    assert!(page.contains("其他区县（市）的方案"), "{page}");
    let drafts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM plan_drafts")
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(drafts, 0);
    // Huiji's office stages it; Jinshui can neither see nor confirm nor drop that draft.
    let res = hj
        .post(app.url("/plan/import"))
        .multipart(file(&huiji))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_string();
    assert!(at.starts_with("/plan/import/"), "{at}");
    assert_eq!(js.get(app.url(&at)).send().await.unwrap().status(), 404);
    for step in ["apply", "discard"] {
        let res = js
            .post(app.url(&format!("{at}/{step}")))
            .form(&[("base_version", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "{step}");
    }
    assert_eq!(hj.get(app.url(&at)).send().await.unwrap().status(), 200);
    assert_eq!(plan::current_version(&app.store).await.unwrap(), 1);
    // Its own plan, revised, is staged for its own preview.
    let (_, mut own) = plan::current_of(&app.store, "JINSHUI")
        .await
        .unwrap()
        .unwrap();
    own.plan.notes.push("金水修订".into());
    let res = js
        .post(app.url("/plan/import"))
        .multipart(file(&own))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let mine = res.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(js.get(app.url(&mine)).send().await.unwrap().status(), 200);
    assert_eq!(hj.get(app.url(&mine)).send().await.unwrap().status(), 404);
}

/// The city runs its own plan one level up: its office makes it from the template on the
/// comparison page, every district leads every content, a district's liaison hands its
/// city task in with evidence and the city office accepts it, with the same supervision
/// machinery as in a district. The district's own plan and its office's pages stay apart.
#[tokio::test]
async fn the_city_runs_its_own_plan_with_its_districts_as_units() {
    let app = crate::harness::TestApp::with_plan().await;
    let system = Actor::system("t");
    let day = chrono::NaiveDate::from_ymd_opt(2015, 2, 10).unwrap();
    plan::add_district(&app.store, &system, &jinshui(), day)
        .await
        .unwrap();
    let zz = app.user("zz.office", Role::Office, Some("ZZ")).await;
    let page = body(
        zz.get(app.url("/supervision/districts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("action=\"/supervision/districts/city-plan\""),
        "{page}"
    );
    // A district's office is offered nothing and may not make it.
    let hj_office = app.user("hj.office", Role::Office, Some("HUIJI")).await;
    let res = hj_office
        .post(app.url("/supervision/districts/city-plan"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = zz
        .post(app.url("/supervision/districts/city-plan"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/supervision");
    let (_, city_plan) = plan::current_of(&app.store, "ZZ").await.unwrap().unwrap();
    assert_eq!(
        city_plan.plan.title,
        "郑州市创建全国质量强市示范城市工作方案"
    );
    // Made once: a second post is refused.
    let res = zz
        .post(app.url("/supervision/districts/city-plan"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let city_id = unit_id(&app, "ZZ").await;
    let city_office = office_of(city_id);
    let all = obligations::list(&app.store, &city_office, &Filter::default(), day)
        .await
        .unwrap();
    let huiji_id = unit_id(&app, "HUIJI").await;
    let jinshui_id = unit_id(&app, "JINSHUI").await;
    assert!(!all.is_empty());
    assert!(
        all.iter()
            .all(|o| o.unit_id == huiji_id || o.unit_id == jinshui_id)
    );
    assert_eq!(
        all.iter().filter(|o| o.unit_id == huiji_id).count(),
        all.iter().filter(|o| o.unit_id == jinshui_id).count(),
        "every content goes to both districts"
    );
    let page = body(zz.get(app.url("/supervision")).send().await.unwrap()).await;
    assert!(
        page.contains("惠济区") && page.contains("金水区"),
        "the districts are its units"
    );
    assert!(
        page.contains("强市办"),
        "the header names the city's office"
    );

    // 惠济区's liaison sees its city tasks only, and hands one in with evidence.
    let ll = app.user("hj.ll", Role::Unit, Some("HUIJI")).await;
    let liaison = qcity_store::users::get(&app.store, &system, "hj.ll")
        .await
        .unwrap()
        .actor("127.0.0.1", "t");
    assert_eq!(liaison.owner_id, Some(city_id), "works on the city's plan");
    let mine = obligations::list(&app.store, &liaison, &Filter::default(), day)
        .await
        .unwrap();
    assert!(!mine.is_empty() && mine.iter().all(|o| o.unit_id == huiji_id));
    let theirs = all.iter().find(|o| o.unit_id == jinshui_id).unwrap();
    let res = ll
        .get(app.url(&format!("/obligations/{}", theirs.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "another district's city task");
    let ob = mine[0].clone();
    let page = body(
        ll.get(app.url(&format!("/obligations/{}", ob.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains(&ob.content_code), "its own city task opens");
    assert!(
        page.contains("区县联络员（市级任务）"),
        "and the liaison as such"
    );
    let input = obligations::ReportInput {
        body: "惠济区已完成".into(),
        percent: 100,
        submit: true,
        form_token: "city-plan-token-000000".into(),
        files: vec![obligations::Upload {
            filename: "方案.pdf".into(),
            bytes: b"%PDF-1.4\n%%EOF\n".to_vec(),
        }],
    };
    obligations::report(&app.store, &liaison, ob.id, input, &Default::default(), day)
        .await
        .unwrap();
    let submitted = obligations::get(&app.store, &city_office, ob.id)
        .await
        .unwrap();
    assert_eq!(submitted.status.as_str(), "submitted");
    obligations::review(
        &app.store,
        &city_office,
        ob.id,
        true,
        "",
        submitted.row_version,
        day,
    )
    .await
    .unwrap();
    let tallies = obligations::tallies_sql(&app.store, &city_office, day)
        .await
        .unwrap()
        .district();
    assert_eq!(tallies.closed, 1, "the city's overview counts it");

    // The district's own plan is untouched, and its office does not see the city's tasks.
    let hj = office_of(huiji_id);
    let own = obligations::list(&app.store, &hj, &Filter::default(), day)
        .await
        .unwrap();
    assert!(own.iter().all(|o| o.id != ob.id));
    assert!(own.iter().all(|o| o.status.as_str() != "accepted"));
    let res = hj_office
        .get(app.url(&format!("/obligations/{}", ob.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    // Huiji's office sees the city's tasks for its district on its overview, one accepted.
    let page = body(hj_office.get(app.url("/supervision")).send().await.unwrap()).await;
    let card = page
        .split("id=\"city-tasks\"")
        .nth(1)
        .expect("the city's tasks");
    let huiji_tasks = all.iter().filter(|o| o.unit_id == huiji_id).count();
    assert!(
        card.contains(&format!(
            "市下达本区县的任务：{huiji_tasks} 项，市已销号 1 项"
        )),
        "{card}"
    );
    // 上下联动: Huiji's office links one of its own obligations to the city task it serves;
    // a city task of another district is refused; the city reads the link on its task.
    let own_ob = own[0].id;
    let res = hj_office
        .post(app.url(&format!("/obligations/{own_ob}/serves")))
        .form(&[("serves", theirs.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(body(res).await.contains("请选择市下达给本区县的任务"));
    let page = body(
        hj_office
            .get(app.url(&format!("/obligations/{own_ob}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains(&format!("<option value=\"{}\"", ob.id)),
        "its city tasks offered"
    );
    assert!(!page.contains(&format!("<option value=\"{}\"", theirs.id)));
    let res = hj_office
        .post(app.url(&format!("/obligations/{own_ob}/serves")))
        .form(&[("serves", ob.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(
        hj_office
            .get(app.url(&format!("/obligations/{own_ob}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("id=\"serves\"") && page.contains(&ob.content_code));
    let page = body(
        zz.get(app.url(&format!("/obligations/{}", ob.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    let serving = page
        .split("id=\"serving\"")
        .nth(1)
        .expect("the serving table");
    assert!(
        serving.contains("惠济区") && serving.contains(&own[0].content_code),
        "{serving}"
    );
    // Cleared again, and the trail says who linked and unlinked.
    let res = hj_office
        .post(app.url(&format!("/obligations/{own_ob}/serves")))
        .form(&[("serves", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let page = body(
        zz.get(app.url(&format!("/obligations/{}", ob.id)))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(!page.contains("id=\"serving\""));
    let links: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'obligation.serves'")
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert_eq!(links, 2);

    // The comparison links to the city's own plan now.
    let page = body(
        zz.get(app.url("/supervision/districts"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        page.contains("id=\"city-plan\"")
            && !page.contains("action=\"/supervision/districts/city-plan\"")
    );

    // The city issues its own bulletin and scores its own units: the districts.
    let res = zz
        .post(app.url("/bulletins"))
        .form(&[("month", "2015-02"), ("confirm", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let at = res.headers()["location"].to_str().unwrap().to_string();
    assert!(at.starts_with("/bulletins/"), "{at}");
    let page = body(zz.get(app.url(&at)).send().await.unwrap()).await;
    assert!(page.contains("惠济区") && page.contains("金水区"), "{page}");
    let res = hj_office.get(app.url(&at)).send().await.unwrap();
    assert_eq!(res.status(), 404, "the city's bulletin is not a district's");
    let page = body(zz.get(app.url("/assessment")).send().await.unwrap()).await;
    assert!(page.contains("惠济区") && page.contains("金水区"), "{page}");
}

/// Each district writes its own quality report, one per period, from its own figures; another
/// district neither reads nor changes it. A district's leaders' view shows its own district.
#[tokio::test]
async fn each_district_writes_its_own_reports_and_leads_its_own_view() {
    let app = demo_app().await;
    plan::add_district(&app.store, &Actor::system("t"), &jinshui(), today())
        .await
        .unwrap();
    let hj = app.login("admin", crate::harness::ADMIN_PASSWORD).await;
    let js = app.user("js.office", Role::Office, Some("JINSHUI")).await;
    let create = |c: &reqwest::Client| {
        c.post(app.url("/reports/new"))
            .form(&[("period", "2014")])
            .send()
    };
    let res = create(&js).await.unwrap();
    assert_eq!(res.status(), 303, "Jinshui writes its 2014 report");
    let js_report = res.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/reports/")
        .parse::<i64>()
        .unwrap();
    let res = create(&hj).await.unwrap();
    assert!(
        matches!(res.status().as_u16(), 303 | 409),
        "Huiji's own 2014 report is its own business: {}",
        res.status()
    );
    let stored: (String, i64) =
        sqlx::query_as("SELECT title, owner_id FROM quality_reports WHERE id = $1")
            .bind(js_report)
            .fetch_one(&app.store.pool)
            .await
            .unwrap();
    assert!(stored.0.contains("金水区"), "{}", stored.0);
    assert_eq!(stored.1, unit_id(&app, "JINSHUI").await);
    // Jinshui's draft shows Jinshui's figures: none of Huiji's samples or closed obligations.
    let page = body(
        js.get(app.url(&format!("/reports/{js_report}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !page.contains("惠济"),
        "nothing of Huiji's in Jinshui's report"
    );
    // Huiji's office neither opens nor changes it.
    let res = hj
        .get(app.url(&format!("/reports/{js_report}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let res = hj
        .post(app.url(&format!("/reports/{js_report}/issue")))
        .form(&[("row_version", "1")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let status: String = sqlx::query_scalar("SELECT status FROM quality_reports WHERE id = $1")
        .bind(js_report)
        .fetch_one(&app.store.pool)
        .await
        .unwrap();
    assert_eq!(status, "draft");

    // Jinshui's leaders' view: its own completion (nothing closed yet) and its own units.
    let js_leader = app.user("js.leader", Role::Leader, Some("JINSHUI")).await;
    let res = js_leader.get(app.url("/leader")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let view = body(res).await;
    assert!(
        !view.contains("惠济"),
        "nothing of Huiji's in Jinshui's leaders' view"
    );
    let js_tally = obligations::tallies_sql(
        &app.store,
        &office_of(unit_id(&app, "JINSHUI").await),
        today(),
    )
    .await
    .unwrap()
    .district();
    assert_eq!(js_tally.closed, 0);
    assert!(
        view.contains(&js_tally.completion_text()),
        "the view shows Jinshui's completion {}",
        js_tally.completion_text()
    );
}
