//! An indicator's standing: the measures its target asks values for, and its evaluation
//! against the target from the observations the store gathered. Pure functions; pages, the
//! API, the assessment, the self-check and the reports all read standings from here.

use crate::plan::Plan;
use crate::target::{self, Evaluation, Observations, Target};
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
                }],
            })
            .collect(),
        other => vec![Measure {
            label: String::new(),
            name: String::new(),
            judged: judged(other),
            percent: percent(other),
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
        .map(|ind| {
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
        })
        .collect()
}
