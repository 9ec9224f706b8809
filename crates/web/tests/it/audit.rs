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
    // The same chain, with the restore recorded on top of the source's head.
    let (
        Verdict::Intact {
            records: a, head, ..
        },
        Verdict::Intact { records: b, .. },
    ) = (
        audit::verify(&app.store).await.unwrap(),
        audit::verify(&target).await.unwrap(),
    )
    else {
        panic!("both chains should be intact");
    };
    assert_eq!(b, a + 1);
    let filter = audit::Filter {
        limit: 1,
        ..Default::default()
    };
    let (newest, _) = audit::list(&target, &Actor::system("t"), &filter)
        .await
        .unwrap();
    assert_eq!(newest[0].action, audit::RESTORE_ACTION);
    assert_eq!(newest[0].prev_hash, head);
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

// ── The keyed chain and its anchor (issue 14, defect 4) ─────────────────────────────────────
//
// Each attack below is made by someone who can write the database but not read the audit key
// or the anchor file beside it: they recompute every hash they can (the plain SHA-256 of older
// versions is public) and keep the head consistent. On an unkeyed chain, what `audit verify`
// accepted before, each attack passes; on a keyed and anchored chain each is caught.

use qcity_store::Store;
use qcity_store::audit::{Alg, AuditRecord, Change, HashChoice, Seal};

const KEY: &str = "0123456789abcdef0123456789abcdef-test-key";

/// A fresh database with `n` audit records, sealed by `seal`.
async fn chain(dir: &std::path::Path, seal: Seal, n: usize) -> Store {
    let url = crate::harness::fresh_database(dir).await;
    let store = qcity_web::modules::connect(&url)
        .await
        .unwrap()
        .with_audit_seal(seal);
    store.migrate().await.unwrap();
    append(&store, n).await;
    store
}

async fn append(store: &Store, n: usize) {
    for i in 0..n {
        audit::record_alone(
            store,
            &Actor::system("test"),
            Change {
                action: "test.step",
                target_type: "step",
                target_id: &i.to_string(),
                before: serde_json::Value::Null,
                after: serde_json::json!({ "step": i }),
            },
        )
        .await
        .unwrap();
    }
    audit::checkpoint(store).await.unwrap();
}

fn keyed(dir: &std::path::Path, hash: HashChoice) -> Seal {
    Seal::with_key(KEY, hash, Some(dir.join("audit.anchor")))
}

async fn records(store: &Store) -> Vec<AuditRecord> {
    let filter = audit::Filter {
        limit: 500,
        ..Default::default()
    };
    let (mut recs, _) = audit::list(store, &Actor::system("t"), &filter)
        .await
        .unwrap();
    recs.reverse();
    recs
}

/// What the attacker does after changing rows: every hash from `from` on recomputed with the
/// plain SHA-256 of older versions (the algorithm column set to match), and the head moved to
/// the last record.
async fn rehash_from(store: &Store, from: i64) {
    let recs = records(store).await;
    let mut prev = recs
        .iter()
        .find(|r| r.seq == from - 1)
        .map(|r| r.hash.clone())
        .unwrap_or_else(|| audit::GENESIS.to_string());
    for mut r in recs.into_iter().filter(|r| r.seq >= from) {
        r.prev_hash = prev;
        r.hash = r.hash_with(&Seal::unkeyed(), Alg::Sha256).unwrap();
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2, alg = $3 WHERE seq = $4")
            .bind(&r.prev_hash)
            .bind(&r.hash)
            .bind(Alg::Sha256.code())
            .bind(r.seq)
            .execute(&store.pool)
            .await
            .unwrap();
        prev = r.hash;
    }
    rewind_head(store).await;
}

/// Points the head at the newest record left.
async fn rewind_head(store: &Store) {
    let last = records(store).await.pop().unwrap();
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(last.seq)
        .bind(&last.hash)
        .execute(&store.pool)
        .await
        .unwrap();
}

async fn edit_and_rehash(store: &Store) {
    sqlx::query("UPDATE audit_log SET after_json = '{\"step\":99}' WHERE seq = 3")
        .execute(&store.pool)
        .await
        .unwrap();
    rehash_from(store, 3).await;
}

async fn delete_and_renumber(store: &Store) {
    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(&store.pool)
        .await
        .unwrap();
    let last = records(store).await.pop().unwrap().seq;
    // One row at a time, in order, so no two rows ever share a number.
    for seq in 4..=last {
        sqlx::query("UPDATE audit_log SET seq = $1 WHERE seq = $2")
            .bind(seq - 1)
            .bind(seq)
            .execute(&store.pool)
            .await
            .unwrap();
    }
    rehash_from(store, 3).await;
}

async fn truncate_and_rewind(store: &Store) {
    sqlx::query("DELETE FROM audit_log WHERE seq > 4")
        .execute(&store.pool)
        .await
        .unwrap();
    rewind_head(store).await;
}

fn broken(v: &Verdict) -> (i64, String) {
    match v {
        Verdict::Broken { seq, reason } => (*seq, reason.clone()),
        intact => panic!("the attack went unnoticed: {intact:?}"),
    }
}

#[tokio::test]
async fn edit_and_rehash_is_caught_on_a_keyed_chain() {
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = chain(plain_dir.path(), Seal::unkeyed(), 6).await;
    edit_and_rehash(&plain).await;
    assert!(
        matches!(audit::verify(&plain).await.unwrap(), Verdict::Intact { .. }),
        "an unkeyed chain cannot tell"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = chain(dir.path(), keyed(dir.path(), HashChoice::Sha256), 6).await;
    assert!(matches!(
        audit::verify(&store).await.unwrap(),
        Verdict::Intact {
            records: 6,
            anchored: Some(6),
            ..
        }
    ));
    edit_and_rehash(&store).await;
    let (seq, reason) = broken(&audit::verify(&store).await.unwrap());
    assert_eq!(seq, 3, "{reason}");
    assert!(reason.contains("rewritten"), "{reason}");
    // Rehashing with HMAC under a guessed key is caught too.
    sqlx::query("UPDATE audit_log SET alg = 'hmac-sha256' WHERE seq >= 3")
        .execute(&store.pool)
        .await
        .unwrap();
    let guess = Seal::with_key(&"g".repeat(40), HashChoice::Sha256, None);
    let mut recs = records(&store).await;
    let mut prev = recs[1].hash.clone();
    for r in recs.iter_mut().filter(|r| r.seq >= 3) {
        r.prev_hash = prev;
        r.hash = r.hash_with(&guess, Alg::HmacSha256).unwrap();
        sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
            .bind(&r.prev_hash)
            .bind(&r.hash)
            .bind(r.seq)
            .execute(&store.pool)
            .await
            .unwrap();
        prev = r.hash.clone();
    }
    rewind_head(&store).await;
    let (seq, reason) = broken(&audit::verify(&store).await.unwrap());
    assert_eq!(seq, 3, "{reason}");
    assert!(reason.contains("hmac-sha256"), "{reason}");
}

#[tokio::test]
async fn delete_and_renumber_is_caught_on_a_keyed_chain() {
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = chain(plain_dir.path(), Seal::unkeyed(), 6).await;
    delete_and_renumber(&plain).await;
    assert!(
        matches!(
            audit::verify(&plain).await.unwrap(),
            Verdict::Intact { records: 5, .. }
        ),
        "an unkeyed chain cannot tell"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = chain(dir.path(), keyed(dir.path(), HashChoice::Sha256), 6).await;
    delete_and_renumber(&store).await;
    let (seq, reason) = broken(&audit::verify(&store).await.unwrap());
    assert_eq!(seq, 3, "{reason}");
}

#[tokio::test]
async fn truncate_and_rewind_is_caught_by_the_anchor() {
    let plain_dir = tempfile::tempdir().unwrap();
    let plain = chain(plain_dir.path(), Seal::unkeyed(), 6).await;
    truncate_and_rewind(&plain).await;
    assert!(
        matches!(
            audit::verify(&plain).await.unwrap(),
            Verdict::Intact { records: 4, .. }
        ),
        "without an anchor nothing can tell"
    );
    let dir = tempfile::tempdir().unwrap();
    let store = chain(dir.path(), keyed(dir.path(), HashChoice::Sha256), 6).await;
    truncate_and_rewind(&store).await;
    let (seq, reason) = broken(&audit::verify(&store).await.unwrap());
    assert_eq!(seq, 5, "{reason}");
    assert!(
        reason.contains("recorded 6 records") && reason.contains("holds 4"),
        "{reason}"
    );
    // A checkpoint does not bless the shorter chain.
    assert!(!audit::checkpoint(&store).await.unwrap());
    assert!(matches!(
        audit::verify(&store).await.unwrap(),
        Verdict::Broken { seq: 5, .. }
    ));
    // Nor does a chain that grows back to the anchored length with other records.
    append(&store, 2).await;
    let (seq, reason) = broken(&audit::verify(&store).await.unwrap());
    assert_eq!(seq, 6, "{reason}");
    assert!(reason.contains("anchor"), "{reason}");
    // Deleting the anchor file is noticed as well.
    std::fs::remove_file(dir.path().join("audit.anchor")).unwrap();
    let (_, reason) = broken(&audit::verify(&store).await.unwrap());
    assert!(reason.contains("is missing"), "{reason}");
}

#[tokio::test]
async fn an_older_plain_chain_keeps_verifying_and_continues_keyed() {
    let dir = tempfile::tempdir().unwrap();
    let old = chain(dir.path(), Seal::unkeyed(), 3).await;
    // The upgrade: the same database, now with a key and an anchor.
    let store = old.with_audit_seal(keyed(dir.path(), HashChoice::Sha256));
    audit::checkpoint(&store).await.unwrap();
    append(&store, 3).await;
    let algs: Vec<String> = records(&store).await.into_iter().map(|r| r.alg).collect();
    assert_eq!(
        algs,
        [
            "sha256",
            "sha256",
            "sha256",
            "hmac-sha256",
            "hmac-sha256",
            "hmac-sha256"
        ]
    );
    assert!(matches!(
        audit::verify(&store).await.unwrap(),
        Verdict::Intact { records: 6, .. }
    ));
    // Rewriting a keyed record as an old plain one (a downgrade) is refused.
    sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE seq = 5")
        .execute(&store.pool)
        .await
        .unwrap();
    rehash_from(&store, 5).await;
    let (seq, reason) = broken(&audit::verify(&store).await.unwrap());
    assert_eq!(seq, 5, "{reason}");
    assert!(reason.contains("unkeyed"), "{reason}");
}

#[tokio::test]
async fn sm3_seals_the_chain_for_national_algorithms() {
    let dir = tempfile::tempdir().unwrap();
    let store = chain(dir.path(), keyed(dir.path(), HashChoice::Sm3), 4).await;
    assert!(
        records(&store)
            .await
            .iter()
            .all(|r| r.alg == Alg::HmacSm3.code())
    );
    assert!(matches!(
        audit::verify(&store).await.unwrap(),
        Verdict::Intact { records: 4, .. }
    ));
    // Another key does not verify it.
    let other = store.clone().with_audit_seal(Seal::with_key(
        &"x".repeat(40),
        HashChoice::Sm3,
        Some(dir.path().join("audit.anchor")),
    ));
    assert!(matches!(
        audit::verify(&other).await.unwrap(),
        Verdict::Broken { seq: 1, .. }
    ));
    edit_and_rehash(&store).await;
    assert!(matches!(
        audit::verify(&store).await.unwrap(),
        Verdict::Broken { seq: 3, .. }
    ));
}

#[tokio::test]
async fn restore_refuses_a_broken_backup_unless_accepted_and_records_it() {
    let src_dir = tempfile::tempdir().unwrap();
    let src = chain(src_dir.path(), keyed(src_dir.path(), HashChoice::Sha256), 5).await;
    let mut good = Vec::new();
    backup::backup(&src, &mut good).await.unwrap();
    // An intact backup restores, and the restore is recorded on top of the chain.
    let dir = tempfile::tempdir().unwrap();
    let target = chain(dir.path(), keyed(dir.path(), HashChoice::Sha256), 0).await;
    let out = backup::restore_with(&target, std::io::Cursor::new(&good), false)
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            backup::Outcome::Restored {
                audit: Verdict::Intact { records: 5, .. },
                ..
            }
        ),
        "{out:?}"
    );
    assert!(matches!(
        audit::verify(&target).await.unwrap(),
        Verdict::Intact {
            records: 6,
            anchored: Some(6),
            accepted_from: None,
            ..
        }
    ));
    assert_eq!(
        records(&target).await.last().unwrap().action,
        audit::RESTORE_ACTION
    );

    // A backup whose record 3 was edited (and rehashed as well as an attacker can).
    edit_and_rehash(&src).await;
    let mut bad = Vec::new();
    backup::backup(&src, &mut bad).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let target = chain(dir.path(), keyed(dir.path(), HashChoice::Sha256), 0).await;
    let out = backup::restore_with(&target, std::io::Cursor::new(&bad), false)
        .await
        .unwrap();
    assert!(
        matches!(out, backup::Outcome::Refused { seq: 3, .. }),
        "{out:?}"
    );
    assert_eq!(records(&target).await.len(), 0, "nothing restored");
    assert_eq!(qcity_store::users::count(&target).await.unwrap(), 0);
    let err = backup::restore(&target, std::io::Cursor::new(&bad))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("broken at record 3"), "{err}");
    // Accepted explicitly: restored, and the trail says so in a record only the key can seal.
    let out = backup::restore_with(&target, std::io::Cursor::new(&bad), true)
        .await
        .unwrap();
    assert!(
        matches!(
            out,
            backup::Outcome::Restored {
                audit: Verdict::Broken { seq: 3, .. },
                ..
            }
        ),
        "{out:?}"
    );
    let last = records(&target).await.pop().unwrap();
    assert_eq!(last.action, audit::RESTORE_ACTION);
    assert_eq!(last.seq, 6);
    let after: serde_json::Value = serde_json::from_str(&last.after_json).unwrap();
    assert_eq!(after["accepted_broken"], true);
    assert_eq!(after["broken_seq"], 3);
    assert_eq!(
        audit::verify(&target).await.unwrap(),
        Verdict::Intact {
            records: 6,
            head: last.hash.clone(),
            anchored: Some(6),
            accepted_from: Some(6),
        }
    );
    // The chain after the accepted restore is held to the same rules.
    append(&target, 2).await;
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 7")
        .execute(&target.pool)
        .await
        .unwrap();
    assert!(matches!(
        audit::verify(&target).await.unwrap(),
        Verdict::Broken { seq: 7, .. }
    ));
    // A backup sealed with another installation's key is refused as well.
    let dir = tempfile::tempdir().unwrap();
    let stranger = chain(
        dir.path(),
        Seal::with_key(
            &"s".repeat(40),
            HashChoice::Sha256,
            Some(dir.path().join("audit.anchor")),
        ),
        0,
    )
    .await;
    assert!(matches!(
        backup::restore_with(&stranger, std::io::Cursor::new(&good), false)
            .await
            .unwrap(),
        backup::Outcome::Refused { seq: 1, .. }
    ));
}
