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
}
