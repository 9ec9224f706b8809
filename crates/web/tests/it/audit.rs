//! The audit trail: every change is recorded in its transaction, and tampering is detected.

use crate::harness::{ADMIN_PASSWORD, TestApp};
use qcity_store::audit::{self, Verdict};
use qcity_store::{Actor, backup};

#[tokio::test]
async fn changes_are_recorded_with_who_what_and_before_after() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    c.post(app.url("/units/NW/contact"))
        .form(&[("contact_name", "赵六"), ("contact_phone", "123")])
        .send()
        .await
        .unwrap();
    let page: serde_json::Value = c
        .get(app.url("/api/v1/audit?action=unit."))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let rec = page["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["action"] == "unit.contact_update")
        .expect("recorded");
    assert_eq!(rec["actor"], "admin");
    assert_eq!(rec["role"], "office");
    assert_eq!(rec["target_id"], "NW");
    assert_eq!(rec["before"]["contact_name"], "");
    assert_eq!(rec["after"]["contact_name"], "赵六");
    assert_eq!(rec["ip"], "127.0.0.1");
    assert_eq!(rec["request_id"].as_str().unwrap().len(), 16);
    // The office page filters by actor and shows the same record.
    let html = c
        .get(app.url("/admin/audit?actor=admin&action=unit."))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("unit.contact_update") && !html.contains("user.create"),
        "{html}"
    );
    // A unit user may not read the trail.
    let nw = app
        .user("nw.staff", qcity_domain::role::Role::Unit, Some("NW"))
        .await;
    assert_eq!(
        nw.get(app.url("/admin/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
    assert_eq!(
        nw.get(app.url("/api/v1/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        403
    );
}

#[tokio::test]
async fn verify_catches_an_edited_a_deleted_and_a_truncated_record() {
    let app = TestApp::spawn().await;
    app.login("admin", ADMIN_PASSWORD).await;
    let n = match audit::verify(&app.store).await.unwrap() {
        Verdict::Intact { records, .. } => records,
        broken => panic!("fresh trail should be intact: {broken:?}"),
    };
    assert!(n >= 6, "setup and sign-in are recorded ({n})");
    // Edit one record's content by hand.
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3")
        .execute(&app.store.pool)
        .await
        .unwrap();
    assert!(matches!(
        audit::verify(&app.store).await.unwrap(),
        Verdict::Broken { seq: 3, .. }
    ));
    sqlx::query("UPDATE audit_log SET actor = 'system:test' WHERE seq = 3")
        .execute(&app.store.pool)
        .await
        .unwrap();
    assert!(matches!(
        audit::verify(&app.store).await.unwrap(),
        Verdict::Intact { .. }
    ));
    // Delete one in the middle.
    sqlx::query("DELETE FROM audit_log WHERE seq = 2")
        .execute(&app.store.pool)
        .await
        .unwrap();
    assert!(matches!(
        audit::verify(&app.store).await.unwrap(),
        Verdict::Broken { seq: 2, .. }
    ));
}

#[tokio::test]
async fn deleting_the_newest_records_is_detected() {
    let app = TestApp::spawn().await;
    let last = match audit::verify(&app.store).await.unwrap() {
        Verdict::Intact { records, .. } => records,
        other => panic!("{other:?}"),
    };
    sqlx::query("DELETE FROM audit_log WHERE seq = $1")
        .bind(last)
        .execute(&app.store.pool)
        .await
        .unwrap();
    assert!(matches!(
        audit::verify(&app.store).await.unwrap(),
        Verdict::Broken { .. }
    ));
}

#[tokio::test]
async fn a_backup_restores_into_a_new_database_with_its_chain_intact() {
    let app = TestApp::spawn().await;
    let c = app.login("admin", ADMIN_PASSWORD).await;
    c.post(app.url("/units/NW/contact"))
        .form(&[("contact_name", "赵六")])
        .send()
        .await
        .unwrap();
    let mut buf = Vec::new();
    let summary = backup::backup(&app.store, &mut buf).await.unwrap();
    assert!(summary.rows > 10);
    let dir = tempfile::tempdir().unwrap();
    let url = crate::harness::fresh_database(dir.path()).await;
    let target = qcity_web::modules::connect(&url).await.unwrap();
    target.migrate().await.unwrap();
    let restored = backup::restore(&target, std::io::Cursor::new(&buf))
        .await
        .unwrap();
    assert_eq!(restored.rows, summary.rows);
    let unit = qcity_store::units::get(&target, &Actor::system("t"), "NW")
        .await
        .unwrap();
    assert_eq!(unit.contact_name, "赵六");
    let (a, b) = (
        audit::verify(&app.store).await.unwrap(),
        audit::verify(&target).await.unwrap(),
    );
    assert_eq!(a, b, "the same chain, the same head");
    // The restored database keeps working: new ids do not collide, new records chain on.
    qcity_store::units::create(
        &target,
        &Actor::system("t"),
        "NEW",
        "新单位",
        "member",
        Some("HUIJI"),
    )
    .await
    .unwrap();
    assert!(matches!(
        audit::verify(&target).await.unwrap(),
        Verdict::Intact { .. }
    ));
    // Restoring twice is refused: the target is no longer empty.
    let err = backup::restore(&target, std::io::Cursor::new(&buf))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
    // A damaged file is refused with its line.
    let empty = tempfile::tempdir().unwrap();
    let url = crate::harness::fresh_database(empty.path()).await;
    let fresh = qcity_web::modules::connect(&url).await.unwrap();
    fresh.migrate().await.unwrap();
    let mut bad = buf.clone();
    bad.extend_from_slice(b"{broken\n");
    let err = backup::restore(&fresh, std::io::Cursor::new(&bad))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("backup line"), "{err}");
    assert_eq!(
        qcity_store::users::count(&fresh).await.unwrap(),
        0,
        "nothing half-restored"
    );
}
