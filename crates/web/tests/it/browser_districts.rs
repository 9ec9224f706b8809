//! In Chromium, on a phone: the city's leader signs in, lands on 区县对比, reads each
//! district's figures (equal to that district's own overview) and the city's total, and finds
//! the Excel export; another district's office finds what it cannot use yet out of its menu.

use crate::browser::{connect, console_errors, overflows, sign_in, start_driver, wait_text};
use crate::plan_preview::{demo_app, today};
use fantoccini::Locator;
use qcity_domain::plan::DistrictSpec;
use qcity_domain::role::Role;
use qcity_store::{Actor, obligations, plan};

#[tokio::test]
async fn the_citys_leader_compares_districts_on_a_phone() {
    let Some((driver, browser)) = start_driver().await else {
        return;
    };
    let app = demo_app().await;
    let home = Actor::system("t");
    plan::add_district(
        &app.store,
        &home,
        &DistrictSpec {
            code: "JINSHUI".into(),
            name: "金水区".into(),
            prefix: "JS".into(),
            plan_code: "jinshui-2014".into(),
        },
        today(),
    )
    .await
    .unwrap();
    let huiji = obligations::tallies_sql(&app.store, &home, today())
        .await
        .unwrap()
        .district();
    for (name, role, unit) in [
        ("zz.leader", Role::Leader, "ZZ"),
        ("js.office", Role::Office, "JINSHUI"),
    ] {
        crate::harness::create_user(&app.store, name, role, Some(unit), crate::harness::PASSWORD)
            .await;
    }
    let base = format!("http://{}", app.addr);

    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    sign_in(&c, &base, "zz.leader", crate::harness::PASSWORD).await;
    // Signed in, the city lands on the comparison.
    for _ in 0..100 {
        if c.current_url()
            .await
            .is_ok_and(|u| u.path() == "/supervision/districts")
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    wait_text(&c, "h1", "各区县督查进度对比").await;
    wait_text(&c, "#district-HUIJI th", "惠济区人民政府").await;
    wait_text(&c, "#district-HUIJI .completion", &huiji.completion_text()).await;
    wait_text(&c, "#district-HUIJI .overdue", &huiji.overdue.to_string()).await;
    wait_text(&c, "#district-JINSHUI th", "金水区人民政府").await;
    wait_text(&c, "#district-JINSHUI .closed", "0").await;
    let href = c
        .find(Locator::Id("districts-export"))
        .await
        .expect("the export link")
        .attr("href")
        .await
        .unwrap();
    assert_eq!(href.as_deref(), Some("/supervision/districts.xlsx"));
    assert!(
        !overflows(&c).await,
        "the comparison scrolls sideways on a phone"
    );
    let errors = console_errors(&c).await;
    c.close().await.unwrap();
    assert!(errors.is_empty(), "console errors: {errors:#?}");

    // Jinshui's office: its menu holds what it can use, nothing that would be refused.
    let profile = tempfile::tempdir().unwrap();
    let c = connect(&driver, &browser, profile.path()).await;
    sign_in(&c, &base, "js.office", crate::harness::PASSWORD).await;
    c.goto(&format!("{base}/supervision")).await.unwrap();
    wait_text(&c, "h1", "督查总览").await;
    let links: Vec<String> = c
        .execute(
            "return [...document.querySelectorAll('header nav a')].map(a => a.getAttribute('href'));",
            vec![],
        )
        .await
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    assert!(links.contains(&"/obligations".to_string()), "{links:?}");
    // The registers and indicators are kept per district: the district keeps its way into them.
    assert!(links.contains(&"/enterprises".to_string()), "{links:?}");
    assert!(links.contains(&"/indicators".to_string()), "{links:?}");
    c.close().await.unwrap();
}
