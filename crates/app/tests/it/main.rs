//! The command-line contract, run as a user would run the binary.

mod audit;
mod chaos;
mod delivery;
mod multiproc;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn qcity(data: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    qcity_env(data, args, stdin, &[])
}

/// The same with environment settings.
fn qcity_env(data: &Path, args: &[&str], stdin: Option<&str>, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_qcity"));
    cmd.arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("QCITY_DATABASE_URL")
        .env_remove("QCITY_TODAY")
        .env_remove("QCITY_AUDIT_KEY")
        .env_remove("QCITY_AUDIT_HASH")
        .envs(env.iter().copied());
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run qcity");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write stdin");
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().expect("wait")
}

fn out(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn user_add_checks_the_password_and_the_role() {
    let dir = tempfile::tempdir().unwrap();
    let weak = qcity(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "boss",
            "--role",
            "leader",
            "--password-stdin",
        ],
        Some("abc\n"),
    );
    assert!(!weak.status.success());
    assert!(out(&weak).contains("密码不符合要求"), "{}", out(&weak));
    let bad_role = qcity(
        dir.path(),
        &["user", "add", "--username", "boss", "--role", "king"],
        None,
    );
    assert!(!bad_role.status.success());
    assert!(
        out(&bad_role).contains("unknown role"),
        "{}",
        out(&bad_role)
    );
    let ok = qcity(
        dir.path(),
        &[
            "user",
            "add",
            "--username",
            "boss",
            "--role",
            "leader",
            "--password-stdin",
        ],
        Some("Leader-Pass-1\n"),
    );
    assert!(ok.status.success(), "{}", out(&ok));
    let one_time = qcity(
        dir.path(),
        &["user", "add", "--username", "eval1", "--role", "evaluator"],
        None,
    );
    assert!(
        out(&one_time).contains("one-time password"),
        "{}",
        out(&one_time)
    );
    let list = qcity(dir.path(), &["user", "list"], None);
    let text = out(&list);
    assert!(
        text.contains("boss\tleader")
            && text.contains("eval1\tevaluator")
            && text.contains("must change password"),
        "{text}"
    );
    let unit_without_unit = qcity(
        dir.path(),
        &["user", "add", "--username", "staff", "--role", "unit"],
        None,
    );
    assert!(!unit_without_unit.status.success());
    assert!(
        out(&unit_without_unit).contains("--unit"),
        "{}",
        out(&unit_without_unit)
    );
}

#[test]
fn audit_verify_names_the_first_altered_record() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["aud1", "aud2", "aud3"] {
        let o = qcity(
            dir.path(),
            &["user", "add", "--username", name, "--role", "leader"],
            None,
        );
        assert!(o.status.success(), "{}", out(&o));
    }
    let ok = qcity(dir.path(), &["audit", "verify"], None);
    assert!(ok.status.success(), "{}", out(&ok));
    assert!(out(&ok).contains("intact: 3 records"), "{}", out(&ok));
    // Hand-edit record 2 as someone with file access would.
    let url = format!("sqlite://{}", dir.path().join("qcity.db").display());
    let rt = tokio_runtime();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("UPDATE audit_log SET after_json = '{}' WHERE seq = 2")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    });
    let bad = qcity(dir.path(), &["audit", "verify"], None);
    assert!(!bad.status.success());
    assert!(out(&bad).contains("BROKEN at record 2"), "{}", out(&bad));
}

fn tokio_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn backup_and_restore_move_everything_to_a_new_data_directory() {
    let src = tempfile::tempdir().unwrap();
    let dst = tempfile::tempdir().unwrap();
    qcity(
        src.path(),
        &["user", "add", "--username", "keeper", "--role", "office"],
        None,
    );
    let token = qcity(
        src.path(),
        &["token", "create", "--username", "keeper"],
        None,
    );
    assert!(token.status.success());
    assert!(
        String::from_utf8_lossy(&token.stdout)
            .trim()
            .starts_with("qct_")
    );
    let file = src.path().join("backup.jsonl");
    let b = qcity(src.path(), &["backup", file.to_str().unwrap()], None);
    assert!(b.status.success(), "{}", out(&b));
    // The audit key travels beside the backup, not in it.
    std::fs::copy(src.path().join("audit.key"), dst.path().join("audit.key")).unwrap();
    let r = qcity(dst.path(), &["restore", file.to_str().unwrap()], None);
    assert!(r.status.success(), "{}", out(&r));
    let list = qcity(dst.path(), &["user", "list"], None);
    assert!(out(&list).contains("keeper\toffice"));
    let v = qcity(dst.path(), &["audit", "verify"], None);
    assert!(
        v.status.success() && out(&v).contains("intact: 3 records"),
        "{}",
        out(&v)
    );
    // Restoring again over data is refused and changes nothing.
    let again = qcity(dst.path(), &["restore", file.to_str().unwrap()], None);
    assert!(!again.status.success());
    assert!(out(&again).contains("not empty"), "{}", out(&again));
    let missing = qcity(dst.path(), &["restore", "/no/such/file"], None);
    assert!(!missing.status.success() && out(&missing).contains("cannot open"));
}

#[test]
fn a_bad_date_for_today_is_refused_with_an_example() {
    let dir = tempfile::tempdir().unwrap();
    let o = qcity(dir.path(), &["--today", "2015-13-40", "migrate"], None);
    assert!(!o.status.success());
    assert!(out(&o).contains("is not a date like"), "{}", out(&o));
}

const SEED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../domain/plan/huiji-2014.toml"
);

#[test]
fn plan_validate_accepts_the_seed_and_names_line_and_field_of_errors() {
    let dir = tempfile::tempdir().unwrap();
    let ok = qcity(dir.path(), &["plan", "validate", SEED], None);
    assert!(ok.status.success(), "{}", out(&ok));
    assert!(
        out(&ok).contains(
            "31 units, 4 phases, 28 indicators, 40 tasks, 11 categories, 49 items, 91 contents"
        ),
        "{}",
        out(&ok)
    );
    let seed = std::fs::read_to_string(SEED).unwrap();
    let bad = seed
        .replacen(
            "undertaking_units = [\"ALL\"]",
            "undertaking_units = [\"NOPE\"]",
            1,
        )
        .replacen("target = \"> 30 %\"", "target = \">> thirty\"", 1);
    let file = dir.path().join("bad.toml");
    std::fs::write(&file, &bad).unwrap();
    let res = qcity(
        dir.path(),
        &["plan", "validate", file.to_str().unwrap()],
        None,
    );
    assert!(!res.status.success());
    let text = out(&res);
    let nope_line = bad.lines().position(|l| l.contains("\"NOPE\"")).unwrap() + 1;
    assert!(
        text.contains(&format!("bad.toml:{nope_line}:")) && text.contains("NOPE"),
        "{text}"
    );
    assert!(
        text.contains("target") && text.contains("方案无效"),
        "{text}"
    );
    let garbage = dir.path().join("garbage.toml");
    std::fs::write(&garbage, "this is [not toml").unwrap();
    let res = qcity(
        dir.path(),
        &["plan", "validate", garbage.to_str().unwrap()],
        None,
    );
    assert!(
        !res.status.success() && out(&res).contains("garbage.toml:1"),
        "{}",
        out(&res)
    );
}

#[test]
fn plan_export_and_import_round_trip_and_report_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let json = qcity(dir.path(), &["plan", "export", "--format", "json"], None);
    assert!(json.status.success());
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let contents: usize = v["categories"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|c| c["items"].as_array().unwrap())
        .map(|i| i["contents"].as_array().unwrap().len())
        .sum();
    assert_eq!(contents, 91);
    // Nothing loaded yet: export shows the default; the first import loads it as version 1.
    let xlsx = dir.path().join("plan.xlsx");
    let e = qcity(
        dir.path(),
        &[
            "plan",
            "export",
            "--format",
            "xlsx",
            "-o",
            xlsx.to_str().unwrap(),
        ],
        None,
    );
    assert!(e.status.success(), "{}", out(&e));
    let first = qcity(
        dir.path(),
        &["plan", "import", xlsx.to_str().unwrap()],
        None,
    );
    assert!(
        out(&first).contains("imported as version 1"),
        "{}",
        out(&first)
    );
    let again = qcity(
        dir.path(),
        &["plan", "import", xlsx.to_str().unwrap()],
        None,
    );
    assert!(
        out(&again).contains("identical to version 1"),
        "{}",
        out(&again)
    );
    let toml = qcity(dir.path(), &["plan", "export", "--format", "toml"], None);
    let edited = String::from_utf8(toml.stdout).unwrap().replacen(
        "deadline_text = \"2014年 12月31 日\"",
        "deadline_text = \"2014年 12月30 日\"",
        1,
    );
    let file = dir.path().join("edited.toml");
    std::fs::write(&file, edited).unwrap();
    let second = qcity(
        dir.path(),
        &["plan", "import", file.to_str().unwrap()],
        None,
    );
    let text = out(&second);
    assert!(
        text.contains("imported as version 2")
            && text.contains("~ content 1.1.1 deadline_text")
            && text.contains("0 added, 0 removed, 1 changed"),
        "{text}"
    );
    let missing = qcity(dir.path(), &["plan", "export", "--format", "pdf"], None);
    assert!(!missing.status.success() && out(&missing).contains("unknown format"));
}

#[test]
fn demo_creates_one_account_per_role_with_the_seed_plan() {
    let dir = tempfile::tempdir().unwrap();
    let o = qcity(dir.path(), &["demo"], None);
    assert!(o.status.success(), "{}", out(&o));
    let text = out(&o);
    for role in ["office", "unit", "leader", "evaluator"] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().nth(1) == Some(role)),
            "no {role} account: {text}"
        );
    }
    assert!(text.contains("loaded the default plan"));
    let list = out(&qcity(dir.path(), &["user", "list"], None));
    assert!(list.contains("zjfj\tunit\tZJFJ"), "{list}");
    // A small city: two more districts with their offices, and the city's leader.
    assert!(list.contains("jinshui\toffice\tJINSHUI"), "{list}");
    assert!(list.contains("city\tleader\tZZ"), "{list}");
    assert!(
        text.contains("金水区:") && text.contains("项已销号"),
        "{text}"
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(demo_assessment_traces_to_data(dir.path()));
}

/// On the demo data: the leaders' readiness score is the sum of decisions and proposals, each
/// with its reason; an evaluator's rating moves a unit's score exactly as the scheme weighs it;
/// the first half-year report is issued and public.
async fn demo_assessment_traces_to_data(data: &Path) {
    use qcity_domain::assessment::Component;
    use qcity_domain::role::Role;
    use qcity_domain::target::Lang;
    use qcity_store::{Actor, acceptance, assessment, reports};
    let today = chrono::NaiveDate::from_ymd_opt(2014, 12, 15).unwrap();
    let url = format!("sqlite://{}", data.join("qcity.db").display());
    let store = qcity_web::modules::connect(&url).await.unwrap();
    let office = Actor::system("test");

    let (stage_code, readiness) = acceptance::current_readiness(&store, today)
        .await
        .unwrap()
        .expect("the demo opens the self-check");
    assert_eq!(stage_code, "self_check");
    let stage = acceptance::stage(&store, &office, "self_check")
        .await
        .unwrap()
        .unwrap();
    let decided = acceptance::decisions(&store, &office, stage.id)
        .await
        .unwrap();
    let proposals = acceptance::proposals(
        &store,
        &qcity_store::Actor::system("t"),
        &stage.sheet,
        today,
    )
    .await
    .unwrap();
    assert!(
        decided.len() >= 5
            && decided
                .iter()
                .any(|d| d.overridden && !d.comment.is_empty())
    );
    let mut base = 0.0;
    for (_, _, c) in stage.sheet.criteria() {
        let points = match decided.iter().find(|d| d.criterion == c.code) {
            Some(d) => d.points,
            None => {
                let (_, p) = proposals.iter().find(|(code, _)| code == &c.code).unwrap();
                assert!(
                    !p.reasoning(Lang::ZhCn).is_empty(),
                    "{} has no reason",
                    c.code
                );
                p.points
            }
        };
        if !c.rule.is_bonus() && !c.rule.is_veto() {
            base += points;
        }
    }
    assert!(
        (base - readiness.base_earned).abs() < 1e-6,
        "{base} vs {readiness:?}"
    );
    assert!(readiness.score > 0.0 && readiness.score < readiness.base_total);

    let (_, plan) = qcity_store::plan::current(&store).await.unwrap().unwrap();
    let windows = assessment::windows(&store, &office).await.unwrap();
    let window = windows
        .iter()
        .find(|w| w.is_open(today))
        .expect("an open window");
    let before = assessment::scores(&store, &office, &plan, 2014, today)
        .await
        .unwrap()
        .1;
    let lowest = before.last().unwrap();
    let line = |r: &assessment::Ranked| {
        r.score
            .parts
            .iter()
            .find(|l| l.component == Some(Component::Ratings))
            .cloned()
            .unwrap()
    };
    let old_line = line(lowest);
    let share = |ratings: &[(f64, f64)]| {
        ratings.iter().map(|(s, m)| s / m).sum::<f64>() / ratings.len() as f64
    };
    let old_share = share(&lowest.facts.ratings);
    let evaluator = Actor {
        role: Some(Role::Evaluator),
        username: "evaluator".into(),
        ..Actor::system("x")
    };
    assessment::rate(
        &store,
        &evaluator,
        window.id,
        &lowest.unit.code,
        100.0,
        "进步明显",
        today,
    )
    .await
    .unwrap();
    let after = assessment::scores(&store, &office, &plan, 2014, today)
        .await
        .unwrap()
        .1;
    let now = after
        .iter()
        .find(|r| r.unit.code == lowest.unit.code)
        .unwrap();
    let mut ratings = lowest.facts.ratings.clone();
    ratings.push((100.0, 100.0));
    let expected = old_line.max * (share(&ratings) - old_share);
    assert!(expected > 0.0);
    assert!(
        (now.score.total - lowest.score.total - expected).abs() < 1e-6,
        "{} → {}, expected +{expected}",
        lowest.score.total,
        now.score.total
    );

    let public = reports::public_list(&store).await.unwrap();
    assert_eq!(public.len(), 1);
    assert!(public[0].issued() && public[0].period == "2014-H1" && public[0].figures.is_some());
    let issued = qcity_store::bulletins::list(&store, &office).await.unwrap();
    assert_eq!(issued.len(), 1, "November's bulletin for the leaders' view");
}

#[test]
fn check_uscc_prints_one_line_per_code_and_fails_on_an_invalid_one() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    // Huawei Technologies (valid), the same with a changed check character, and lower case.
    let mixed = qcity(
        &data,
        &[
            "check",
            "uscc",
            "914403001922038216",
            "914403001922038217",
            "91330100799655058b",
        ],
        None,
    );
    assert!(!mixed.status.success(), "{}", out(&mixed));
    let stdout = String::from_utf8_lossy(&mixed.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines,
        [
            "914403001922038216\t有效 valid",
            "914403001922038217\t无效 invalid: 校验码（第 18 位）应为“6”，实际为“7” / the check character (position 18) should be '6', not '7'",
            "91330100799655058b\t有效 valid",
        ],
        "{}",
        out(&mixed)
    );
    let valid = qcity(&data, &["check", "uscc", "91110000101623741K"], None);
    assert!(valid.status.success(), "{}", out(&valid));
    assert_eq!(
        String::from_utf8_lossy(&valid.stdout),
        "91110000101623741K\t有效 valid\n"
    );
    let short = qcity(&data, &["check", "uscc", "9111000071092609P"], None);
    assert!(!short.status.success());
    assert!(
        out(&short).contains(
            "无效 invalid: 长度应为 18 位，实际为 17 位 / must be 18 characters long, not 17"
        ),
        "{}",
        out(&short)
    );
    // No database is needed, so none is created.
    assert!(!data.exists(), "check uscc must not open the database");
}

#[test]
fn token_revoke_reports_how_many_were_revoked() {
    let dir = tempfile::tempdir().unwrap();
    qcity(
        dir.path(),
        &["user", "add", "--username", "robot", "--role", "leader"],
        None,
    );
    for _ in 0..2 {
        assert!(
            qcity(
                dir.path(),
                &["token", "create", "--username", "robot"],
                None
            )
            .status
            .success()
        );
    }
    let o = qcity(
        dir.path(),
        &["token", "revoke", "--username", "robot"],
        None,
    );
    assert!(
        o.status.success() && out(&o).contains("revoked 2 tokens of robot"),
        "{}",
        out(&o)
    );
    let again = qcity(
        dir.path(),
        &["token", "revoke", "--username", "robot"],
        None,
    );
    assert!(out(&again).contains("revoked 0 tokens"), "{}", out(&again));
    let nobody = qcity(
        dir.path(),
        &["token", "revoke", "--username", "nobody"],
        None,
    );
    assert!(!nobody.status.success() && out(&nobody).contains("no such account"));
}

#[test]
fn import_commands_name_bad_rows_keep_good_ones_and_change_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let enterprises = dir.path().join("企业.csv");
    std::fs::write(
        &enterprises,
        "统一社会信用代码,企业名称,企业规模,建档日期\n\
         914403001922038216,华为技术有限公司,大型,2014-03-01\n\
         914403001922038217,改错的企业,中型,\n\
         19220382-1,旧代码企业,小型,\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let first = qcity(
        &data,
        &["import", "enterprises", enterprises.to_str().unwrap()],
        None,
    );
    assert!(
        !first.status.success(),
        "a refused row makes the exit non-zero"
    );
    let text = out(&first);
    assert!(text.contains("新增 created 2"), "{text}");
    assert!(
        text.contains("第3行：统一社会信用代码（或组织机构代码）无效：校验码（第 18 位）应为“6”"),
        "{text}"
    );
    let second = qcity(
        &data,
        &["import", "enterprises", enterprises.to_str().unwrap()],
        None,
    );
    assert!(
        out(&second).contains("新增 created 0，更新 updated 0，未变 unchanged 2"),
        "{}",
        out(&second)
    );

    let sampling = dir.path().join("抽查.csv");
    std::fs::write(
        &sampling,
        "报告编号,抽查级别,受检企业统一社会信用代码,受检企业名称,产品名称,产品类别,抽样日期,检验结论,不合格项目（依据标准）\n\
         R1,国家级,914403001922038216,,电线,电线电缆,2014-05-01,合格,\n\
         R2,国家级,91110000802100433B,北京百度网讯科技有限公司,电线,电线电缆,2014-05-02,不合格,导体电阻（GB/T 3956-2008）\n",
    )
    .unwrap();
    let s1 = qcity(
        &data,
        &["import", "sampling", sampling.to_str().unwrap()],
        None,
    );
    assert!(s1.status.success(), "{}", out(&s1));
    assert!(
        out(&s1).contains("新增 created 2")
            && out(&s1).contains("新登记企业 enterprises registered 1"),
        "{}",
        out(&s1)
    );
    let s2 = qcity(
        &data,
        &["import", "sampling", sampling.to_str().unwrap()],
        None,
    );
    assert!(
        out(&s2).contains("新增 created 0，更新 updated 0，未变 unchanged 2"),
        "{}",
        out(&s2)
    );
    let missing = dir.path().join("bad.csv");
    std::fs::write(&missing, "报告编号,产品名称\nR9,电线\n").unwrap();
    let s3 = qcity(
        &data,
        &["import", "sampling", missing.to_str().unwrap()],
        None,
    );
    assert!(!s3.status.success());
    assert!(out(&s3).contains("文件无法导入"), "{}", out(&s3));
}
