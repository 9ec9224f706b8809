//! An indicator's standing: the measures its target asks values for, and its evaluation
//! against the target from the observations the store gathered. Pure functions; pages, the
//! API, the assessment, the self-check and the reports all read standings from here.

pub mod rollup;

use crate::plan::{Indicator, Plan};
use crate::target::{self, Evaluation, Observations, Target, TargetText};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

/// One measure of an indicator: its label ("" for a single measure) and whether a reviewer
/// judges it (qualitative, `rank leading`) instead of a number being entered.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measure {
    pub label: String,
    pub name: String,
    pub judged: bool,
    /// Values are percentages (0–100): a comparison in %.
    pub percent: bool,
    /// What kind of number a value is, which decides what can be entered.
    pub kind: ValueKind,
}

/// The kind of number an indicator's value is (`docs/figures.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueKind {
    /// A share in percent: 0 to 100.
    Percentage,
    /// A number of things (titles, bases, water bodies): a whole number, 0 or more.
    Count,
    /// A position in a ranking: a whole number, 1 or more.
    Rank,
    /// A measured amount (a concentration, a noise level, a total, a score): 0 or more.
    Amount,
    /// Anything else (a trend of some series, a judgement): any finite number.
    Other,
}

impl ValueKind {
    /// Of a single target (not a group).
    pub fn of(t: &Target) -> ValueKind {
        match t {
            Target::Compare {
                unit: Some(target::Unit::Percent),
                ..
            } => ValueKind::Percentage,
            Target::Compare {
                unit: Some(target::Unit::Count),
                ..
            }
            | Target::Eliminate => ValueKind::Count,
            Target::Compare {
                unit: Some(target::Unit::Rank),
                ..
            }
            | Target::Rank { .. } => ValueKind::Rank,
            Target::Compare { unit: Some(_), .. } | Target::Path { .. } | Target::Reduce { .. } => {
                ValueKind::Amount
            }
            _ => ValueKind::Other,
        }
    }

    /// Why a value cannot be of this kind: a message key (`error-…`), or none when it can.
    pub fn refuse(self, x: f64) -> Option<&'static str> {
        let whole = x.fract() == 0.0;
        match self {
            _ if !x.is_finite() => Some("error-value-required"),
            ValueKind::Percentage if !(0.0..=100.0).contains(&x) => {
                Some("error-percent-range-value")
            }
            ValueKind::Count if !whole || x < 0.0 => Some("error-value-count"),
            ValueKind::Rank if !whole || x < 1.0 => Some("error-value-rank"),
            ValueKind::Amount if x < 0.0 => Some("error-value-negative"),
            _ => None,
        }
    }
}

fn percent(t: &Target) -> bool {
    matches!(
        t,
        Target::Compare {
            unit: Some(target::Unit::Percent),
            ..
        }
    )
}

fn judged(t: &Target) -> bool {
    matches!(
        t,
        Target::Qualitative { .. }
            | Target::Rank {
                bound: target::RankBound::Leading,
                ..
            }
    )
}

/// The measures a target asks values for: one per innermost part of an `all(...)`/`any(...)`
/// (a nested group's values are entered under its parts' labels, as the evaluator and the
/// workbook reader read them).
pub fn measures(t: &Target) -> Vec<Measure> {
    match t {
        Target::All(parts) | Target::Any(parts) => parts
            .iter()
            .flat_map(|p| match &p.target {
                Target::All(_) | Target::Any(_) => measures(&p.target),
                inner => vec![Measure {
                    label: p.label.clone(),
                    name: p.name.clone().unwrap_or_else(|| p.label.clone()),
                    judged: judged(inner),
                    percent: percent(inner),
                    kind: ValueKind::of(inner),
                }],
            })
            .collect(),
        other => vec![Measure {
            label: String::new(),
            name: String::new(),
            judged: judged(other),
            percent: percent(other),
            kind: ValueKind::of(other),
        }],
    }
}

/// Benchmarks a target compares with.
pub fn benchmarks(t: &Target) -> Vec<String> {
    match t {
        Target::Benchmark { name, .. } => vec![name.clone()],
        Target::All(parts) | Target::Any(parts) => {
            parts.iter().flat_map(|p| benchmarks(&p.target)).collect()
        }
        _ => vec![],
    }
}

/// An indicator's standing: its evaluation against the target.
#[derive(Debug, Clone, Serialize)]
pub struct Standing {
    pub code: String,
    pub evaluation: Evaluation,
    /// higher, lower or judged
    pub direction: &'static str,
}

/// Every indicator of the plan evaluated against its target as of `as_of`: a pure function of
/// the observations, which the store gathers.
pub fn evaluate(
    plan: &Plan,
    obs: &BTreeMap<String, Observations>,
    as_of: NaiveDate,
) -> Vec<Standing> {
    plan.indicators
        .iter()
        .map(|ind| standing(ind, obs, as_of))
        .collect()
}

/// Every content target the plan measures on its own ([`content_targets`]), evaluated as
/// indicators are.
pub fn evaluate_contents(
    plan: &Plan,
    obs: &BTreeMap<String, Observations>,
    as_of: NaiveDate,
) -> Vec<Standing> {
    content_targets(plan)
        .iter()
        .map(|ind| standing(ind, obs, as_of))
        .collect()
}

/// One indicator (or content target) against its target.
pub fn standing(
    ind: &Indicator,
    obs: &BTreeMap<String, Observations>,
    as_of: NaiveDate,
) -> Standing {
    let empty = Observations::new();
    let o = obs.get(&ind.code).unwrap_or(&empty);
    match ind.target.parsed() {
        Ok(t) => Standing {
            code: ind.code.clone(),
            evaluation: target::evaluate(t, o, as_of),
            direction: match target::direction(t) {
                target::Direction::HigherIsBetter => "higher",
                target::Direction::LowerIsBetter => "lower",
                target::Direction::Judged => "judged",
            },
        },
        Err(e) => Standing {
            code: ind.code.clone(),
            evaluation: Evaluation {
                status: target::Status::NoData,
                explanation_zh: format!("目标无法解析：{}", e.message(target::Lang::ZhCn)),
                explanation_en: format!(
                    "the target does not parse: {}",
                    e.message(target::Lang::En)
                ),
                per_part: vec![],
            },
            direction: "judged",
        },
    }
}

/// The content targets QCity measures on their own: a content of the attachment whose target
/// restates no indicator (one that does is measured by its indicators, so nothing is entered
/// twice). Each stands as an indicator coded by the content's code ("8.6.2"), with the
/// content's lead units answering for it, so values, review, evaluation, the dashboard and the
/// leaders' view treat both alike.
pub fn content_targets(plan: &Plan) -> Vec<Indicator> {
    plan.contents()
        .filter(|(_, _, c)| c.indicators.is_empty())
        .filter_map(|(_, _, c)| {
            let text = c.target.as_deref()?;
            let target = TargetText::new(text);
            let (name, unit) = match target.parsed() {
                Ok(t) => (content_name(&c.text, t), common_unit(t)),
                Err(_) => (content_name(&c.text, &Target::Eliminate), String::new()),
            };
            Some(Indicator {
                code: c.code.clone(),
                area: String::new(),
                seq: 0,
                text: c.text.clone(),
                name,
                target,
                unit,
                contents: vec![c.code.clone()],
                tasks: c.tasks.clone(),
                notes: vec![],
                formula: None,
            })
        })
        .enumerate()
        .map(|(i, mut ind)| {
            ind.seq = u32::try_from(i + 1).unwrap_or(u32::MAX);
            ind
        })
        .collect()
}

/// The indicator or content target with this code.
pub fn measured(plan: &Plan, code: &str) -> Option<Indicator> {
    plan.indicator(code)
        .cloned()
        .or_else(|| content_targets(plan).into_iter().find(|i| i.code == code))
}

/// A content target's short name: its parts' names, or the content's first clause.
fn content_name(text: &str, t: &Target) -> String {
    let parts: Vec<String> = measures(t)
        .into_iter()
        .filter(|m| !m.name.is_empty())
        .map(|m| m.name)
        .collect();
    if !parts.is_empty() {
        return parts.join("、");
    }
    // The clause that states the goal ("…低于全国平均水平", "力争…居…前列"), else the first.
    const GOAL_WORDS: [&str; 9] = [
        "低于",
        "高于",
        "居",
        "达到",
        "力争",
        "率",
        "以上",
        "不少于",
        "%",
    ];
    let clauses: Vec<&str> = text
        .split(['，', '；', '。', ','])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    let clause = clauses
        .iter()
        .find(|c| GOAL_WORDS.iter().any(|w| c.contains(w)))
        .or(clauses.first())
        .copied()
        .unwrap_or(text);
    clause.chars().take(40).collect()
}

/// The unit all of a target's parts share ("" when they differ or one has none).
fn common_unit(t: &Target) -> String {
    let mut units = BTreeMap::new();
    collect_units(t, &mut units);
    match units.len() {
        1 => units.into_keys().next().unwrap_or_default(),
        _ => String::new(),
    }
}

fn collect_units(t: &Target, out: &mut BTreeMap<String, ()>) {
    match t {
        Target::All(parts) | Target::Any(parts) => {
            for p in parts {
                collect_units(&p.target, out);
            }
        }
        Target::Compare { unit: Some(u), .. } | Target::Path { unit: Some(u), .. } => {
            out.insert(u.as_str().to_string(), ());
        }
        Target::Rank { .. } => {
            out.insert(target::Unit::Rank.as_str().to_string(), ());
        }
        Target::Eliminate => {
            out.insert(target::Unit::Count.as_str().to_string(), ());
        }
        // A part without a unit: the parts share none.
        _ => {
            out.insert(String::new(), ());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(src: &str) -> ValueKind {
        measures(&target::parse(src).unwrap())[0].kind
    }

    #[test]
    fn each_kind_refuses_what_it_cannot_be() {
        assert_eq!(kind(">= 96 %"), ValueKind::Percentage);
        assert_eq!(kind(">= 1 count"), ValueKind::Count);
        assert_eq!(kind("eliminate"), ValueKind::Count);
        assert_eq!(kind("rank <= 10 among \"全国同等城市\""), ValueKind::Rank);
        assert_eq!(kind("reduce 14.8 % vs 2010"), ValueKind::Amount);
        assert_eq!(kind("<= 56 dB(A)"), ValueKind::Amount);
        let table = [
            (
                ValueKind::Percentage,
                101.0,
                Some("error-percent-range-value"),
            ),
            (ValueKind::Percentage, 96.5, None),
            (ValueKind::Count, 1.5, Some("error-value-count")),
            (ValueKind::Count, -1.0, Some("error-value-count")),
            (ValueKind::Count, 0.0, None),
            (ValueKind::Rank, 0.0, Some("error-value-rank")),
            (ValueKind::Rank, 3.5, Some("error-value-rank")),
            (ValueKind::Rank, 3.0, None),
            (ValueKind::Amount, -0.1, Some("error-value-negative")),
            (ValueKind::Amount, 911.2, None),
            (ValueKind::Other, -5.0, None),
            (ValueKind::Other, f64::NAN, Some("error-value-required")),
        ];
        for (k, x, want) in table {
            assert_eq!(k.refuse(x), want, "{k:?} {x}");
        }
    }

    #[test]
    fn content_targets_are_the_contents_no_indicator_measures_and_they_evaluate() {
        let plan = crate::plan::default_plan();
        let targets = content_targets(&plan);
        let codes: Vec<&str> = targets.iter().map(|t| t.code.as_str()).collect();
        assert_eq!(
            codes,
            [
                "1.3.1", "4.8.1", "5.2.1", "6.3.1", "7.3.1", "8.1.1", "8.3.1", "8.6.1", "8.6.2"
            ]
        );
        let unit = |code: &str| measured(&plan, code).map(|i| i.unit).unwrap_or_default();
        assert_eq!(unit("1.3.1"), "‰");
        assert_eq!(unit("4.8.1"), "count");
        assert_eq!(unit("8.3.1"), "rank");
        assert_eq!(unit("8.6.2"), "", "a rank and a rate share no unit");
        assert_eq!(
            measured(&plan, "PRD-1").map(|i| i.code),
            Some("PRD-1".into())
        );
        assert!(measured(&plan, "2.4.3").is_none(), "measured by CUL-2");
        let name = |code: &str| measured(&plan, code).map(|i| i.name).unwrap_or_default();
        assert_eq!(name("6.3.1"), "特种设备万台设备事故死亡率低于全国平均水平");
        for t in &targets {
            assert!(
                !t.name.is_empty() && t.target.parsed().is_ok(),
                "{}",
                t.code
            );
            assert!(!crate::supervision::responsible_units(&plan, t).is_empty());
        }

        // 6.3.1 compares with the national average: missing, it says so; entered, it decides.
        let day = NaiveDate::from_ymd_opt(2014, 12, 15).unwrap();
        let status = |obs: Observations| {
            let all = BTreeMap::from([("6.3.1".to_string(), obs)]);
            let s = evaluate_contents(&plan, &all, day);
            s.into_iter()
                .find(|s| s.code == "6.3.1")
                .unwrap()
                .evaluation
        };
        let mut obs = Observations::new();
        obs.values
            .entry(String::new())
            .or_default()
            .insert(2014, 0.3);
        let missing = status(obs.clone());
        assert_eq!(missing.status, target::Status::NoData);
        assert!(
            missing.explanation_zh.contains("全国平均水平"),
            "{}",
            missing.explanation_zh
        );
        let lower = status(obs.clone().with_benchmark("全国平均水平", 2014, 0.39));
        assert_eq!(
            lower.status,
            target::Status::Met,
            "{}",
            lower.explanation_zh
        );
        let higher = status(obs.with_benchmark("全国平均水平", 2014, 0.2));
        assert_ne!(higher.status, target::Status::Met);
    }
}
