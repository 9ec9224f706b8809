//! Demo data of the supervision module: mid-campaign progress and the supervisor's notices.

use crate::Result;
use crate::notices;
use crate::obligations::{self, EvidencePolicy, Filter, ReportInput, Upload};
use crate::{Actor, Store, units};
use chrono::NaiveDate;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// A realistic mid-campaign state: a third of the member units on time and accepted, a third
/// partly done with work returned for more evidence, a third (and 区城建局) late on everything,
/// then the supervisor's notices as of the demo date. Skipped when it has run before.
pub async fn run(store: &Store, today: NaiveDate) -> Result<String> {
    let office = Actor::system("demo-office");
    let already = crate::obligations::list(
        store,
        &office,
        &Filter {
            status: Some(crate::obligations::ObligationStatus::Accepted),
            ..Default::default()
        },
        today,
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
            owner_id: None,
            ip: "local".into(),
            request_id: "demo".into(),
        };
        let f = Filter {
            unit: Some(unit.code.clone()),
            due_by: Some(today),
            ..Default::default()
        };
        let obs = obligations::list(store, &office, &f, today).await?;
        let take = if kind == 0 { obs.len() } else { obs.len() / 2 };
        for (j, ob) in obs.iter().enumerate().take(take) {
            // A mixed unit's second item comes back for more evidence.
            let accept = !(kind == 1 && j == 1);
            if hand_in_and_review(store, &actor, &office, ob, accept, &policy, today).await? {
                n += 1;
            }
        }
    }
    // Work of the last days, waiting for the office: a report handed in by each mixed unit, and
    // an extension asked by the late 区城建局.
    let mut waiting = 0;
    let mut extensions = 0;
    for (i, unit) in members.iter().enumerate() {
        let kind = if unit.code == "CJJ" { 2 } else { i % 3 };
        let actor = Actor {
            user_id: None,
            username: format!("demo:{}", unit.code),
            role: Some(qcity_domain::role::Role::Unit),
            unit_id: Some(unit.id),
            owner_id: None,
            ip: "local".into(),
            request_id: "demo".into(),
        };
        let f = Filter {
            unit: Some(unit.code.clone()),
            open_only: true,
            ..Default::default()
        };
        let open = obligations::list(store, &office, &f, today).await?;
        if kind == 1 && waiting < 4 {
            if let Some(ob) = open.iter().find(|o| o.due().is_some_and(|d| d >= today)) {
                let input = ReportInput {
                    body: format!("{}：已完成，请审核。", ob.content_code),
                    percent: 100,
                    submit: true,
                    form_token: format!("demo-wait-{}-{}-000000000", unit.code, ob.id),
                    files: vec![Upload {
                        filename: format!("{}-工作总结.pdf", ob.content_code),
                        bytes: DEMO_PDF.to_vec(),
                    }],
                };
                let on = today - chrono::Days::new(1 + waiting as u64);
                obligations::report(store, &actor, ob.id, input, &policy, on).await?;
                waiting += 1;
            }
        } else if unit.code == "CJJ"
            && let Some(ob) = open.iter().find(|o| o.due().is_some_and(|d| d >= today))
            && let Some(due) = ob.due()
        {
            obligations::request_extension(
                store,
                &actor,
                ob.id,
                due + chrono::Days::new(30),
                "项目审批手续尚在办理，申请延期一个月完成。",
                today,
            )
            .await?;
            extensions += 1;
        }
    }
    // The supervisor as if it had run through the campaign (weekly here, to keep the demo quick).
    let mut fired = notices::Fired::default();
    let (mut day, end) = (date("2014-03-01"), today);
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
        "演示进度 / demo progress: {n} reports reviewed, {waiting} awaiting review, {extensions} extension asked; up to {today}: {} reminders, {} 催办, {} 督办, {} 通报",
        fired.reminders, fired.cuiban, fired.duban, fired.tongbao
    ))
}

/// A minimal valid PDF used as demo evidence.
const DEMO_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

/// Progress for another district of the demo city (or for the city's own plan, whose units
/// are its districts): of its member units, the first
/// `diligent_in_ten` of every ten hand in what is due (three days early) and are accepted, the
/// others hand in nothing, so the city's comparison has districts ahead and behind. Returns
/// how many obligations were closed; nothing when the district has closed work already.
pub async fn district_progress(
    store: &Store,
    district_code: &str,
    diligent_in_ten: usize,
    today: NaiveDate,
) -> Result<usize> {
    let tree = units::tree(store).await?;
    let Some(district) = tree.by_code(district_code).cloned() else {
        return Ok(0);
    };
    let office = Actor {
        role: Some(qcity_domain::role::Role::Office),
        unit_id: Some(district.id),
        owner_id: Some(district.id),
        ..Actor::system("demo-office")
    };
    let done = Filter {
        status: Some(obligations::ObligationStatus::Accepted),
        ..Default::default()
    };
    if !obligations::list(store, &office, &done, today)
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let policy = EvidencePolicy::default();
    // A city's own plan gives its duties to its districts.
    let duty_kind = if district.level == qcity_domain::org::Level::City {
        "district"
    } else {
        "member"
    };
    let members: Vec<units::Unit> = units::list(store, &office)
        .await?
        .into_iter()
        .filter(|u| u.kind == duty_kind && tree.is_within(u.id, district.id))
        .collect();
    let mut n = 0;
    for (i, unit) in members.iter().enumerate() {
        if i % 10 >= diligent_in_ten {
            continue;
        }
        let actor = Actor {
            username: format!("demo:{}", unit.code),
            role: Some(qcity_domain::role::Role::Unit),
            unit_id: Some(unit.id),
            owner_id: Some(district.id),
            ..Actor::system("demo")
        };
        let f = Filter {
            unit: Some(unit.code.clone()),
            due_by: Some(today),
            ..Default::default()
        };
        for ob in obligations::list(store, &office, &f, today).await? {
            if hand_in_and_review(store, &actor, &office, &ob, true, &policy, today).await? {
                n += 1;
            }
        }
    }
    Ok(n)
}

/// A unit hands an obligation in three days before it is due (with a PDF as evidence) and the
/// office accepts it the day after, or returns it for more evidence. False when it has no due
/// date.
async fn hand_in_and_review(
    store: &Store,
    unit_actor: &Actor,
    office: &Actor,
    ob: &obligations::Obligation,
    accept: bool,
    policy: &EvidencePolicy,
    today: NaiveDate,
) -> Result<bool> {
    let Some(due) = ob.due() else {
        return Ok(false);
    };
    let on = (due - chrono::Days::new(3)).min(today);
    let input = ReportInput {
        body: format!("{}：已按要求完成，相关材料见附件。", ob.content_code),
        percent: 100,
        submit: true,
        form_token: format!("demo-{}-{}-0000000000", ob.unit_code, ob.id),
        files: vec![Upload {
            filename: format!("{}-佐证材料.pdf", ob.content_code),
            bytes: DEMO_PDF.to_vec(),
        }],
    };
    obligations::report(store, unit_actor, ob.id, input, policy, on).await?;
    let version = obligations::get(store, office, ob.id).await?.row_version;
    let reason = if accept {
        ""
    } else {
        "佐证材料不完整，请补充会议纪要和照片。"
    };
    obligations::review(
        store,
        office,
        ob.id,
        accept,
        reason,
        version,
        on + chrono::Days::new(1),
    )
    .await?;
    Ok(true)
}
