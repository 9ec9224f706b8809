//! Demo assessment and acceptance: an evaluation window open on the demo date with ratings from
//! two evaluators (the demo `evaluator` account is left to rate by hand), the self-check stage
//! opened with some criteria decided, a finding and its rectification, and the first half-year
//! quality analysis report issued and published with the annual one in draft, and November's
//! bulletin issued, so the leaders' view has something in every part.
//! Deterministic, and skipped when an evaluation window exists already.

use crate::Result;
use crate::acceptance::{self, NewRectification, Verdict};
use crate::assessment::{self, NewWindow};
use crate::{Actor, Store, bulletins, reports, units};
use chrono::NaiveDate;
use qcity_domain::role::Role;
use std::collections::BTreeMap;

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn evaluator(name: &str) -> Actor {
    Actor {
        user_id: None,
        username: format!("demo:{name}"),
        role: Some(Role::Evaluator),
        unit_id: None,
        owner_id: None,
        ip: "local".into(),
        request_id: "demo".into(),
    }
}

pub async fn run(store: &Store, today: NaiveDate) -> Result<String> {
    let office = Actor::system("demo-office");
    if !assessment::windows(store, &office).await?.is_empty() {
        return Ok("演示考核已存在 / demo assessment already present".into());
    }
    let rated = ratings(store, &office, today).await?;
    let decided = self_check(store, &office, today).await?;
    let report = quality_reports(store, &office, today).await?;
    let bulletin = bulletin(store, &office).await?;
    Ok(format!(
        "演示考核与验收 / demo assessment: {rated} ratings in the open window; self-check opened, {decided} criteria decided; {report}; {bulletin}"
    ))
}

/// The 2014 window, open on the demo date; two evaluators rate every member unit, the score
/// following the unit's diligence in the demo's progress (`demo::activity` takes units in
/// turn: diligent, mixed, late; 区城建局 late).
async fn ratings(store: &Store, office: &Actor, today: NaiveDate) -> Result<usize> {
    let window = assessment::open_window(
        store,
        office,
        NewWindow {
            title: "2014年度成员单位人大政协评议".into(),
            period: 2014,
            opens_on: date("2014-12-01"),
            closes_on: date("2014-12-31"),
        },
    )
    .await?;
    let members: Vec<units::Unit> = units::list(store, office)
        .await?
        .into_iter()
        .filter(|u| u.kind == "member")
        .collect();
    let raters = [
        (evaluator("人大代表 刘代表"), 0.0),
        (evaluator("政协委员 孙委员"), -3.0),
    ];
    let mut n = 0;
    for (i, unit) in members.iter().enumerate() {
        let kind = if unit.code == "CJJ" { 2 } else { i % 3 };
        let (base, comment) = match kind {
            0 => (92.0, "工作扎实，材料齐全，按时完成各项任务。"),
            1 => (80.0, "总体推进较好，个别任务佐证材料需补充。"),
            _ => (63.0, "任务推进滞后，请加强组织领导，尽快整改。"),
        };
        for (who, shift) in &raters {
            let score = base + shift + (i % 4) as f64;
            assessment::rate(store, who, window, &unit.code, score, comment, today).await?;
            n += 1;
        }
    }
    Ok(n)
}

/// The self-check (自查) opened a month before the demo date with the default sheet; the first
/// criteria of each category confirmed as QCity proposes, one overridden with its reason, and
/// a finding with the rectification it triggered.
async fn self_check(store: &Store, office: &Actor, today: NaiveDate) -> Result<usize> {
    acceptance::open_stage(store, office, "self_check", date("2014-11-20")).await?;
    let Some(stage) = acceptance::stage(store, office, "self_check").await? else {
        return Ok(0);
    };
    let mut n = 0;
    for category in &stage.sheet.categories {
        let Some(item) = category.items.first() else {
            continue;
        };
        for criterion in &item.criteria {
            let verdict = if n == 1 {
                Verdict::Override {
                    points: (criterion.max_points / 2.0).floor(),
                    veto_failed: false,
                    comment: "现场核查发现部分台账未归档，按一半计分。".into(),
                }
            } else {
                Verdict::Confirm {
                    comment: "已核对佐证材料。".into(),
                    shown: None,
                }
            };
            acceptance::decide(store, office, "self_check", &criterion.code, verdict, today)
                .await?;
            n += 1;
        }
    }
    acceptance::add_finding(
        store,
        office,
        "self_check",
        "城建工程质量监督台账不完整，2014年三季度抽查记录缺失。",
    )
    .await?;
    if units::get(store, office, "CJJ").await.is_ok() {
        acceptance::add_rectification(
            store,
            office,
            "self_check",
            &NewRectification {
                body: "补齐2014年三季度工程质量抽查记录并归档。".into(),
                unit_code: "CJJ".into(),
                deadline: "2014-12-31".into(),
                content_code: String::new(),
            },
        )
        .await?;
    }
    Ok(n)
}

/// November's bulletin (通报), issued early in December as the office does each month.
async fn bulletin(store: &Store, office: &Actor) -> Result<String> {
    let Some((_, plan)) = crate::plan::current(store).await? else {
        return Ok("no plan, no bulletin".into());
    };
    let on = date("2014-12-05");
    let draft = bulletins::draft(store, office, &plan, "2014-11", on).await?;
    bulletins::issue(store, office, draft, on).await?;
    Ok("bulletin 2014-11 issued".into())
}

/// The first half-year report issued in July and published; the annual report in draft.
async fn quality_reports(store: &Store, office: &Actor, today: NaiveDate) -> Result<String> {
    let Some((_, plan)) = crate::plan::current(store).await? else {
        return Ok("no plan, no reports".into());
    };
    let issued_on = date("2014-07-20").min(today);
    let id = reports::create(store, office, &plan, "2014-H1").await?;
    let narrative: BTreeMap<String, String> = [
        ("summary", "上半年，全区围绕创建全国质量强市示范城市目标，各成员单位按照实施方案分解任务，产品、工程、服务和环境质量总体稳定向好。"),
        ("product", "监督抽查覆盖重点产品类别，合格率保持在目标值以上；对不合格产品企业全部下达整改通知并跟踪复查。"),
        ("engineering", "在建工程质量监督覆盖率保持100%，未发生较大工程质量事故。"),
        ("service", "服务业顾客满意度测评工作已启动，重点行业服务标准化建设稳步推进。"),
        ("environment", "PM2.5年均浓度较上年下降，但仍高于年度目标路径，需加大大气污染防治力度。"),
        ("next_steps", "下半年重点：一是加快滞后任务推进；二是完善企业质量信用档案；三是做好省级预验收准备。"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let draft = reports::get(store, office, id).await?;
    reports::save_narrative(store, office, id, draft.row_version, &narrative).await?;
    let r = reports::get(store, office, id).await?;
    let period = r
        .period()
        .ok_or_else(|| crate::StoreError::Conflict(format!("report period {}", r.period)))?;
    let figures = reports::compute(store, &plan, period, issued_on).await?;
    reports::issue(store, office, id, r.row_version, &figures, issued_on).await?;
    reports::set_published(store, office, id, true).await?;
    reports::create(store, office, &plan, "2014").await?;
    Ok("report 2014-H1 issued and published, 2014 in draft".into())
}
