//! `qcity demo`: a database a newcomer can explore at once — the seed plan, one account per
//! role with its password printed once, and each demo unit's liaison filled in.

use anyhow::Result;
use chrono::NaiveDate;
use qcity_domain::role::Role;
use qcity_store::auth::random_password;
use qcity_store::notices;
use qcity_store::obligations::{self, EvidencePolicy, Filter, ReportInput, Upload};
use qcity_store::units::{self, Contact};
use qcity_store::users::{self, NewUser};
use qcity_store::{Actor, Store};
use std::process::ExitCode;

/// (username, display name, role, unit code)
const ACCOUNTS: &[(&str, &str, Role, Option<&str>)] = &[
    ("office", "强区办 王主任", Role::Office, Some("QQB")),
    ("zjfj", "区质监分局 李科长", Role::Unit, Some("ZJFJ")),
    ("nongwei", "区农委 张科长", Role::Unit, Some("NW")),
    ("cjj", "区城建局 赵科长", Role::Unit, Some("CJJ")),
    ("leader", "区长", Role::Leader, None),
    ("evaluator", "人大代表 陈代表", Role::Evaluator, None),
];

pub async fn run(store: &Store) -> Result<ExitCode> {
    crate::first_start::ensure_plan(store).await?;
    let actor = Actor::system("demo");
    println!("演示数据 / demo accounts (passwords are shown once):");
    for (username, name, role, unit) in ACCOUNTS {
        // A unit code the plan does not have is left out rather than failing the whole demo.
        let unit = match unit {
            Some(code) if units::get(store, &actor, code).await.is_ok() => Some(code),
            _ => None,
        };
        let password = random_password();
        match users::create(
            store,
            &actor,
            NewUser {
                username,
                display_name: name,
                role: *role,
                unit_code: unit.copied(),
                password: &password,
                must_change_password: false,
            },
        )
        .await
        {
            Ok(_) => println!("  {username:10} {:9} {password}  {name}", role.as_str()),
            Err(qcity_store::StoreError::Invalid { code, .. })
                if code == "error-username-taken" =>
            {
                println!("  {username:10} already exists (kept its password)")
            }
            Err(e) => return Err(e.into()),
        }
        if let Some(code) = unit.copied()
            && *role == Role::Unit
        {
            units::update_contact(
                store,
                &actor,
                code,
                Contact {
                    name,
                    phone: "0371-6000000",
                    email: "",
                },
            )
            .await?;
        }
    }
    let summary = activity(store).await?;
    println!("{summary}");
    println!("{}", indicator_values(store).await?);
    println!(
        "{}",
        crate::demo_registry::run(store, date(DEMO_TODAY)).await?
    );
    println!(
        "{}",
        crate::demo_assessment::run(store, date(DEMO_TODAY)).await?
    );
    println!("启动 / start: qcity --today {DEMO_TODAY} serve, then open http://127.0.0.1:8080/");
    Ok(ExitCode::SUCCESS)
}

/// The business date the demo's state is built for (mid-campaign, 推进落实阶段).
pub const DEMO_TODAY: &str = "2014-12-15";

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// A realistic mid-campaign state: a third of the member units on time and accepted, a third
/// partly done with work returned for more evidence, a third (and 区城建局) late on everything,
/// then the supervisor's notices as of the demo date. Skipped when it has run before.
async fn activity(store: &Store) -> Result<String> {
    let office = Actor::system("demo-office");
    let already = qcity_store::obligations::list(
        store,
        &office,
        &Filter {
            status: Some(qcity_store::obligations::ObligationStatus::Accepted),
            ..Default::default()
        },
        date(DEMO_TODAY),
    )
    .await?;
    if !already.is_empty() {
        return Ok("演示进度已存在 / demo progress already present".into());
    }
    let policy = EvidencePolicy::default();
    let mut n = 0;
    // Three kinds of unit, in turn: diligent (everything on time), mixed (some on time, one
    // returned, the rest open), and late (nothing handed in). 区城建局 is made late on purpose.
    let members: Vec<units::Unit> = units::list(store, &office)
        .await?
        .into_iter()
        .filter(|u| u.kind == "member")
        .collect();
    for (i, unit) in members.iter().enumerate() {
        let kind = if unit.code == "CJJ" { 2 } else { i % 3 };
        if kind == 2 {
            continue;
        }
        let actor = Actor {
            user_id: None,
            username: format!("demo:{}", unit.code),
            role: Some(qcity_domain::role::Role::Unit),
            unit_id: Some(unit.id),
            ip: "local".into(),
            request_id: "demo".into(),
        };
        let f = Filter {
            unit: Some(unit.code.clone()),
            due_by: Some(date(DEMO_TODAY)),
            ..Default::default()
        };
        let obs = obligations::list(store, &office, &f, date(DEMO_TODAY)).await?;
        let take = if kind == 0 { obs.len() } else { obs.len() / 2 };
        for (j, ob) in obs.iter().enumerate().take(take) {
            let Some(due) = ob.due() else { continue };
            let on = (due - chrono::Days::new(3)).min(date(DEMO_TODAY));
            let input = ReportInput {
                body: format!("{}：已按要求完成，相关材料见附件。", ob.content_code),
                percent: 100,
                submit: true,
                form_token: format!("demo-{}-{}-0000000000", unit.code, ob.id),
                files: vec![Upload {
                    filename: format!("{}-佐证材料.pdf", ob.content_code),
                    bytes: DEMO_PDF.to_vec(),
                }],
            };
            obligations::report(store, &actor, ob.id, input, &policy, on).await?;
            let version = obligations::get(store, &office, ob.id).await?.row_version;
            // A mixed unit's second item comes back for more evidence.
            let accept = !(kind == 1 && j == 1);
            let reason = if accept {
                ""
            } else {
                "佐证材料不完整，请补充会议纪要和照片。"
            };
            obligations::review(
                store,
                &office,
                ob.id,
                accept,
                reason,
                version,
                on + chrono::Days::new(1),
            )
            .await?;
            n += 1;
        }
    }
    // The supervisor as if it had run through the campaign (weekly here, to keep the demo quick).
    let mut fired = notices::Fired::default();
    let (mut day, end) = (date("2014-03-01"), date(DEMO_TODAY));
    loop {
        let f = notices::supervise(store, day, &Default::default()).await?;
        fired.reminders += f.reminders;
        fired.cuiban += f.cuiban;
        fired.duban += f.duban;
        fired.tongbao += f.tongbao;
        if day >= end {
            break;
        }
        day = (day + chrono::Days::new(7)).min(end);
    }
    Ok(format!(
        "演示进度 / demo progress: {n} reports reviewed; up to {DEMO_TODAY}: {} reminders, {} 催办, {} 督办, {} 通报",
        fired.reminders, fired.cuiban, fired.duban, fired.tongbao
    ))
}

/// Several years of approved indicator values, most on course and some not (PM2.5 behind its
/// path, ammonia short of its cut, one product pass rate below target), so the dashboard has
/// every colour. Skipped when values exist.
async fn indicator_values(store: &Store) -> Result<String> {
    use qcity_domain::target::{Op, Target};
    use qcity_store::indicators::{self, NewValue};
    let office = Actor::system("demo-office");
    if !indicators::history(store, &office, None).await?.is_empty() {
        return Ok("演示指标数据已存在 / demo indicator values already present".into());
    }
    let Some((_, plan)) = qcity_store::plan::current(store).await? else {
        return Ok(String::new());
    };
    let mut n = 0;
    for (i, ind) in plan.indicators.iter().enumerate() {
        let Ok(t) = ind.target.parsed() else {
            continue;
        };
        let parts: Vec<(String, Target)> = match t {
            Target::All(ps) | Target::Any(ps) => ps
                .iter()
                .map(|p| (p.label.clone(), p.target.clone()))
                .collect(),
            other => vec![(String::new(), other.clone())],
        };
        // Every fifth indicator falls short, to show what off track looks like.
        let short = i % 5 == 2;
        for (label, part) in parts {
            let points: Vec<(i64, Option<f64>, Option<bool>)> = match &part {
                Target::Compare { op, value, .. } => {
                    let up = matches!(op, Op::Ge | Op::Gt | Op::Eq);
                    let gap = if *value >= 50.0 {
                        1.5
                    } else {
                        (value * 0.1).max(1.0)
                    };
                    let v = |k: f64| {
                        let off = if short {
                            -gap * k
                        } else {
                            gap * (2.0 - k) * 0.5
                        };
                        let x = if up { value + off } else { value - off };
                        Some(if ind.unit == "%" || *value <= 100.0 {
                            x.clamp(0.0, 100.0)
                        } else {
                            x
                        })
                    };
                    vec![(2013, v(1.5), None), (2014, v(1.0), None)]
                }
                Target::Path { .. } => vec![(2013, Some(108.0), None), (2014, Some(104.0), None)],
                Target::Reduce {
                    percent,
                    baseline_year,
                } => {
                    let achieved = if short || label == "ammonia_nitrogen" || ind.code == "ENV-8" {
                        percent * 0.6
                    } else {
                        percent + 1.0
                    };
                    vec![
                        (i64::from(*baseline_year), Some(1000.0), None),
                        (2014, Some(1000.0 * (1.0 - achieved / 100.0)), None),
                    ]
                }
                Target::Eliminate => vec![
                    (2013, Some(2.0), None),
                    (2014, Some(if short { 1.0 } else { 0.0 }), None),
                ],
                Target::Qualitative { .. } | Target::Rank { .. } => {
                    vec![(2014, None, Some(!short))]
                }
                _ => vec![],
            };
            for (year, value, judged) in points {
                let v = NewValue {
                    indicator: ind.code.clone(),
                    measure: label.clone(),
                    year,
                    value,
                    judged,
                    comment: "演示数据".into(),
                    source: "manual".into(),
                };
                if let Ok(id) =
                    indicators::submit(store, &office, &plan, v, &Default::default()).await
                {
                    indicators::decide(store, &office, id, true, "").await?;
                    n += 1;
                }
            }
        }
    }
    for code in ["PRD-2", "ENV-6", "ENV-1"] {
        indicators::set_disclosed(store, &office, code, true).await?;
    }
    Ok(format!(
        "演示指标数据 / demo indicator values: {n} approved"
    ))
}

/// A minimal valid PDF used as demo evidence.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
