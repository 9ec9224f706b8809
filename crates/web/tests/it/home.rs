//! Each role's home page is its work queue (issue 15): on the demo, the unit sees its overdue,
//! returned and answer-awaiting work, the office what waits for its review, the evaluator its
//! open window, the leader the headline — each count the same as the store's, each line a link
//! to the thing itself, no internal code. The headline compares the self-check with the pass
//! line once the score sheet states one.

use crate::harness::{ADMIN_PASSWORD, TestApp, body};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_domain::supervision::ObligationStatus;
use qcity_store::Actor;
use qcity_store::obligations::{self, Filter};
use qcity_store::schema::DemoCtx;

/// The count shown in the heading of queue `id`.
fn queue_count(page: &str, id: &str) -> usize {
    let start = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no queue {id}"));
    let rest = &page[start..];
    let count = rest.find("class=\"count").expect("a count");
    let text = &rest[count..];
    let from = text.find('>').unwrap() + 1;
    let to = text.find("</span>").unwrap();
    text[from..to].trim().parse().unwrap()
}

/// The section of queue `id`.
fn queue<'a>(page: &'a str, id: &str) -> &'a str {
    let start = page.find(&format!("id=\"{id}\"")).unwrap();
    let end = page[start..].find("</section>").unwrap();
    &page[start..start + end]
}

#[tokio::test]
async fn each_roles_home_page_is_its_work_queue() {
    let today = NaiveDate::from_ymd_opt(2014, 12, 15).unwrap();
    let app = TestApp::with_plan_and(qcity_web::Config {
        today: Some(today),
        ..Default::default()
    })
    .await;
    for seed in app.store.demos() {
        seed(&app.store, &DemoCtx { today }).await.unwrap();
    }
    let office_actor = Actor::system("t");
    let count = |f: Filter| {
        let store = app.store.clone();
        let actor = office_actor.clone();
        async move {
            obligations::list(&store, &actor, &f, today)
                .await
                .unwrap()
                .len()
        }
    };

    // The office: reports to review, extension requests, values to approve.
    let office = app.login("admin", ADMIN_PASSWORD).await;
    let page = body(office.get(app.url("/")).send().await.unwrap()).await;
    let submitted = count(Filter {
        status: Some(ObligationStatus::Submitted),
        ..Default::default()
    })
    .await;
    assert!(submitted > 0, "the demo leaves reports to review");
    assert_eq!(queue_count(&page, "queue-review"), submitted);
    assert_eq!(queue_count(&page, "queue-extensions"), 1);
    let pending = qcity_store::indicators::pending(&app.store, &office_actor)
        .await
        .unwrap();
    assert_eq!(queue_count(&page, "queue-values"), pending.len());
    assert!(!pending.is_empty());
    let values = queue(&page, "queue-values");
    assert!(
        !values.contains(&format!(">{}<", pending[0].unit_code.clone().unwrap())),
        "a unit is named, not coded: {values}"
    );
    // Each review line opens that obligation, which waits for review.
    let review = queue(&page, "queue-review");
    let id: i64 = review
        .split("href=\"/obligations/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .and_then(|s| s.parse().ok())
        .expect("a line links its obligation");
    let ob = obligations::get(&app.store, &office_actor, id)
        .await
        .unwrap();
    assert_eq!(ob.status, ObligationStatus::Submitted);

    // A unit: its overdue and returned work, its notices without the licence alerts.
    let unit = app.user("zj.home", Role::Unit, Some("ZJFJ")).await;
    let page = body(unit.get(app.url("/")).send().await.unwrap()).await;
    let mine = |f: Filter| Filter {
        unit: Some("ZJFJ".into()),
        ..f
    };
    let overdue = count(mine(Filter {
        overdue_only: true,
        ..Default::default()
    }))
    .await;
    assert_eq!(queue_count(&page, "queue-overdue"), overdue);
    let returned = count(mine(Filter {
        status: Some(ObligationStatus::Returned),
        ..Default::default()
    }))
    .await;
    assert_eq!(queue_count(&page, "queue-returned"), returned);
    assert!(page.contains("逾期"), "{page}");
    assert!(
        !queue(&page, "queue-notices").contains("许可证到期提醒"),
        "licence alerts are not the unit's work queue"
    );
    assert!(
        !page.contains("id=\"queue-review\""),
        "not the office's queue"
    );

    // An evaluator: the open window, to rate.
    let eval = app.user("eval.home", Role::Evaluator, None).await;
    let page = body(eval.get(app.url("/")).send().await.unwrap()).await;
    assert_eq!(queue_count(&page, "queue-windows"), 1);
    assert!(queue(&page, "queue-windows").contains("/sheet\""), "{page}");
    assert!(page.contains("尚未提交"));

    // A leader: the headline, with the district's figures as the leaders' view has them.
    let leader = app.user("leader.home", Role::Leader, None).await;
    let page = body(leader.get(app.url("/")).send().await.unwrap()).await;
    let district = obligations::tallies_sql(&app.store, &office_actor, today)
        .await
        .unwrap()
        .district();
    assert!(
        page.contains(&format!(
            "id=\"headline-completion\">{}<",
            district.completion_text()
        )),
        "{page}"
    );
    assert!(page.contains("id=\"headline-completion-change\">较上月"));
    assert!(page.contains("未设定及格线"), "{page}");
    let view = body(leader.get(app.url("/leader")).send().await.unwrap()).await;
    assert!(view.contains(&format!(
        "id=\"headline-completion\">{}<",
        district.completion_text()
    )));

    // With a pass line in the sheet, the headline says how far the score is from it.
    let (mut sheet, _) =
        qcity_store::acceptance::sheet_in_force(&app.store, &qcity_store::Actor::system("t"))
            .await
            .unwrap();
    sheet.pass_line = Some(800.0);
    qcity_store::acceptance::save_sheet(&app.store, &office_actor, &sheet, "test")
        .await
        .unwrap()
        .unwrap();
    let page = body(leader.get(app.url("/")).send().await.unwrap()).await;
    assert!(page.contains("距及格线 800 分还差"), "{page}");
    let page = body(
        leader
            .get(app.url("/"))
            .header("Accept-Language", "en")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(page.contains("short of the pass line of 800"), "{page}");
    // A pass line above the sheet's points is refused.
    sheet.pass_line = Some(5000.0);
    let refused = qcity_store::acceptance::save_sheet(&app.store, &office_actor, &sheet, "t")
        .await
        .unwrap();
    assert!(refused.is_err());
}
