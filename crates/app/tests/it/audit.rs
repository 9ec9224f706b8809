//! The audit chain from the command line: the key file, the anchor each command writes, the
//! hash setting, and a restore that refuses a broken backup unless told to accept it.

use super::{out, qcity, qcity_env, tokio_runtime};
use std::path::Path;

async fn sqlite(data: &Path) -> sqlx::SqlitePool {
    let url = format!("sqlite://{}", data.join("qcity.db").display());
    sqlx::SqlitePool::connect(&url).await.unwrap()
}

fn add_users(data: &Path, names: &[&str], env: &[(&str, &str)]) {
    for name in names {
        let o = qcity_env(
            data,
            &["user", "add", "--username", name, "--role", "leader"],
            None,
            env,
        );
        assert!(o.status.success(), "{}", out(&o));
    }
}

#[test]
fn the_key_is_private_each_command_anchors_the_head_and_a_rewind_fails_verify() {
    let dir = tempfile::tempdir().unwrap();
    add_users(dir.path(), &["aud1", "aud2", "aud3"], &[]);
    let key = std::fs::read_to_string(dir.path().join("audit.key")).unwrap();
    assert_eq!(key.trim().len(), 64, "32 random bytes in hex");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("audit.key"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let anchor = std::fs::read_to_string(dir.path().join("audit.anchor")).unwrap();
    let lines: Vec<&str> = anchor.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(lines.len(), 3, "{anchor}");
    assert!(lines[2].starts_with("checkpoint 3 "), "{anchor}");
    let ok = qcity(dir.path(), &["audit", "verify"], None);
    assert!(ok.status.success(), "{}", out(&ok));
    assert!(
        out(&ok).contains("intact: 3 records") && out(&ok).contains("agrees with the anchor"),
        "{}",
        out(&ok)
    );
    // Verifying writes nothing to the anchor.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("audit.anchor")).unwrap(),
        anchor
    );
    // Truncate and rewind: drop the newest record and point the head at the one before.
    tokio_runtime().block_on(async {
        let pool = sqlite(dir.path()).await;
        sqlx::query("DELETE FROM audit_log WHERE seq = 3")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query(
            "UPDATE audit_head SET seq = 2, hash = (SELECT hash FROM audit_log WHERE seq = 2)",
        )
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;
    });
    let bad = qcity(dir.path(), &["audit", "verify"], None);
    assert!(!bad.status.success());
    assert!(
        out(&bad).contains("BROKEN at record 3") && out(&bad).contains("anchor file recorded 3"),
        "{}",
        out(&bad)
    );
}

#[test]
fn the_environment_key_wins_and_sm3_is_a_setting() {
    let dir = tempfile::tempdir().unwrap();
    let key = "an-operator-supplied-audit-key-of-40-chars";
    let env = [("QCITY_AUDIT_KEY", key), ("QCITY_AUDIT_HASH", "sm3")];
    add_users(dir.path(), &["sm1", "sm2"], &env);
    let algs: Vec<String> = tokio_runtime().block_on(async {
        let pool = sqlite(dir.path()).await;
        let algs = sqlx::query_scalar("SELECT alg FROM audit_log ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        algs
    });
    assert_eq!(algs, ["hmac-sm3", "hmac-sm3"]);
    assert!(
        !dir.path().join("audit.key").exists(),
        "no key file when the environment gives the key"
    );
    let ok = qcity_env(dir.path(), &["audit", "verify"], None, &env[..1]);
    assert!(
        ok.status.success() && out(&ok).contains("intact: 2 records"),
        "{}",
        out(&ok)
    );
    // Without the key (a new key file is made) the records do not verify.
    let other = qcity(dir.path(), &["audit", "verify"], None);
    assert!(!other.status.success());
    assert!(
        out(&other).contains("BROKEN at record 1") && out(&other).contains("hmac-sm3"),
        "{}",
        out(&other)
    );
    let short = qcity_env(
        dir.path(),
        &["audit", "verify"],
        None,
        &[("QCITY_AUDIT_KEY", "short")],
    );
    assert!(!short.status.success());
    assert!(out(&short).contains("at least 32"), "{}", out(&short));
    let bad_hash = qcity(
        dir.path(),
        &["--audit-hash", "md5", "audit", "verify"],
        None,
    );
    assert!(!bad_hash.status.success());
    assert!(
        out(&bad_hash).contains("sha256 or sm3"),
        "{}",
        out(&bad_hash)
    );
}

#[test]
fn restore_refuses_a_broken_backup_and_takes_it_with_the_flag() {
    let src = tempfile::tempdir().unwrap();
    add_users(src.path(), &["keeper1", "keeper2"], &[]);
    let file = src.path().join("backup.jsonl");
    let b = qcity(src.path(), &["backup", file.to_str().unwrap()], None);
    assert!(b.status.success(), "{}", out(&b));
    // Someone edits the first audit record in the backup file.
    let text = std::fs::read_to_string(&file).unwrap();
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            if v["table"] == "audit_log" && v["row"]["seq"] == 1 {
                v["row"]["actor"] = "someone-else".into();
            }
            v.to_string()
        })
        .collect();
    std::fs::write(&file, edited.join("\n") + "\n").unwrap();

    let dst = tempfile::tempdir().unwrap();
    std::fs::copy(src.path().join("audit.key"), dst.path().join("audit.key")).unwrap();
    let refused = qcity(dst.path(), &["restore", file.to_str().unwrap()], None);
    assert!(!refused.status.success());
    let text = out(&refused);
    assert!(
        text.contains("BROKEN at record 1")
            && text.contains("nothing was restored")
            && text.contains("--accept-broken-audit"),
        "{text}"
    );
    let list = qcity(dst.path(), &["user", "list"], None);
    assert!(!out(&list).contains("keeper1"), "{}", out(&list));

    let taken = qcity(
        dst.path(),
        &["restore", "--accept-broken-audit", file.to_str().unwrap()],
        None,
    );
    assert!(taken.status.success(), "{}", out(&taken));
    assert!(
        out(&taken).contains("broken at record 1"),
        "{}",
        out(&taken)
    );
    let list = qcity(dst.path(), &["user", "list"], None);
    assert!(out(&list).contains("keeper1"), "{}", out(&list));
    let v = qcity(dst.path(), &["audit", "verify"], None);
    assert!(v.status.success(), "{}", out(&v));
    assert!(
        out(&v).contains("intact: 3 records") && out(&v).contains("record 3 is the restore"),
        "{}",
        out(&v)
    );
    let accepted: String = tokio_runtime().block_on(async {
        let pool = sqlite(dst.path()).await;
        let after =
            sqlx::query_scalar("SELECT after_json FROM audit_log WHERE action = 'audit.restore'")
                .fetch_one(&pool)
                .await
                .unwrap();
        pool.close().await;
        after
    });
    assert!(accepted.contains("\"accepted_broken\":true"), "{accepted}");
    let anchor = std::fs::read_to_string(dst.path().join("audit.anchor")).unwrap();
    assert!(anchor.contains("\nrestore 3 "), "{anchor}");

    // Without the source's key even an intact backup is refused, with the hint.
    let elsewhere = tempfile::tempdir().unwrap();
    let clean = src.path().join("clean.jsonl");
    qcity(src.path(), &["backup", clean.to_str().unwrap()], None);
    let r = qcity(
        elsewhere.path(),
        &["restore", clean.to_str().unwrap()],
        None,
    );
    assert!(!r.status.success());
    assert!(out(&r).contains("audit.key"), "{}", out(&r));
}
