//! The city's figure of an indicator from its districts' values (`docs/figures.md`, "The
//! city's indicator figures"). Which rule applies follows from what the measure is: a rate
//! adds up its numerators and denominators, a count or a total adds up, a level residents
//! share is weighted by population; anything else is shown per district and not summed, with
//! the reason. Never a mean of the districts' percentages.

use super::Measure;
use crate::org::Ratio;
use crate::plan::Indicator;
use crate::target::{Target, Unit};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a measure's district values make the city's.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "rule")]
pub enum Rule {
    /// A share: the sum of numerators over the sum of denominators, times `scale` (100 for a
    /// percentage, 1000 for per mille).
    Rate { scale: f64 },
    /// A number of things or a total amount (tonnes): the sum.
    Sum,
    /// A level residents share (a concentration, a satisfaction score): the mean weighted by
    /// each district's population.
    PopulationWeighted,
    /// Shown per district only.
    NotSummed(Reason),
}

/// Why a measure is not summed over districts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// A reviewer's judgement (met or not), not a number.
    Judged,
    /// A position in a ranking of peers: a district's rank says nothing of the city's.
    Rank,
    /// A level of a place (decibels, days): neither adds up nor averages by a known weight.
    Level,
    /// The target names no unit, so what the number is cannot be told.
    NoUnit,
}

impl Reason {
    /// The message id of the reason (the web layer's translation key).
    pub fn key(self) -> &'static str {
        match self {
            Reason::Judged => "indr-why-judged",
            Reason::Rank => "indr-why-rank",
            Reason::Level => "indr-why-level",
            Reason::NoUnit => "indr-why-no-unit",
        }
    }
}

/// The rule of one measure of an indicator (one computed from a registry too: its formula
/// counts a numerator and a denominator, so it is a rate).
pub fn rule(ind: &Indicator, measure: &Measure) -> Rule {
    if measure.judged {
        return Rule::NotSummed(Reason::Judged);
    }
    let part = ind
        .target
        .parsed()
        .ok()
        .and_then(|t| part_of(t, &measure.label));
    let unit = match part {
        Some(Target::Compare { unit, .. } | Target::Path { unit, .. }) => *unit,
        Some(Target::Eliminate) => Some(Unit::Count),
        Some(Target::Rank { .. }) => Some(Unit::Rank),
        // A cut, a trend or a comparison with a benchmark is of whatever the indicator counts.
        _ => Unit::from_plan(&ind.unit),
    };
    match unit {
        Some(u) => rule_of_unit(u),
        None => Rule::NotSummed(Reason::NoUnit),
    }
}

fn rule_of_unit(u: Unit) -> Rule {
    match u {
        Unit::Percent => Rule::Rate { scale: 100.0 },
        Unit::PerMille => Rule::Rate { scale: 1000.0 },
        Unit::Count | Unit::Tonnes => Rule::Sum,
        Unit::UgM3 | Unit::MgL | Unit::Score => Rule::PopulationWeighted,
        Unit::Rank => Rule::NotSummed(Reason::Rank),
        Unit::DbA | Unit::Days => Rule::NotSummed(Reason::Level),
    }
}

/// The innermost part of a target with this label (the target itself for "").
fn part_of<'a>(t: &'a Target, label: &str) -> Option<&'a Target> {
    match t {
        Target::All(parts) | Target::Any(parts) => parts.iter().find_map(|p| {
            if p.label == label {
                Some(&p.target)
            } else {
                part_of(&p.target, label)
            }
        }),
        other if label.is_empty() => Some(other),
        _ => None,
    }
}

/// What one district reported for a measure and year: its value and, for a rate, the counts
/// it is made of when the district gave them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reported {
    pub value: f64,
    pub parts: Option<Ratio>,
}

/// The city's figure, or why there is none.
#[derive(Debug, Clone, PartialEq)]
pub enum CityFigure {
    /// The city's value; for a rate, with the summed counts it is made of.
    Value { value: f64, parts: Option<Ratio> },
    /// The rule does not sum this measure.
    NotSummed { reason: Reason },
    /// These districts reported nothing for the year: a sum without them is not the city's.
    Missing { districts: Vec<i64> },
    /// These districts gave a rate without its numerator and denominator.
    NoParts { districts: Vec<i64> },
    /// The figure is weighted by population and no population is known for these districts
    /// (all of them when the installation keeps no population figures).
    NoPopulation { districts: Vec<i64> },
}

/// The city's figure of a measure from the districts' reports, one entry per district (in
/// the order shown; `None`: nothing reported). `population` is each district's population
/// when the installation has such figures.
pub fn city_figure(
    rule: Rule,
    reports: &[(i64, Option<Reported>)],
    population: Option<&BTreeMap<i64, f64>>,
) -> CityFigure {
    if let Rule::NotSummed(reason) = rule {
        return CityFigure::NotSummed { reason };
    }
    let missing: Vec<i64> = reports
        .iter()
        .filter(|(_, r)| r.is_none())
        .map(|(d, _)| *d)
        .collect();
    if !missing.is_empty() || reports.is_empty() {
        return CityFigure::Missing { districts: missing };
    }
    let got: Vec<(i64, Reported)> = reports
        .iter()
        .filter_map(|(d, r)| r.map(|r| (*d, r)))
        .collect();
    match rule {
        Rule::Rate { scale } => {
            let without: Vec<i64> = got
                .iter()
                .filter(|(_, r)| r.parts.is_none())
                .map(|(d, _)| *d)
                .collect();
            if !without.is_empty() {
                return CityFigure::NoParts { districts: without };
            }
            let mut sum = Ratio::default();
            for (_, r) in &got {
                sum += r.parts.unwrap_or_default();
            }
            match sum.percent() {
                Some(p) => CityFigure::Value {
                    value: p / 100.0 * scale,
                    parts: Some(sum),
                },
                // Every denominator is 0: nothing was counted anywhere.
                None => CityFigure::NoParts { districts: vec![] },
            }
        }
        Rule::Sum => CityFigure::Value {
            value: got.iter().map(|(_, r)| r.value).sum(),
            parts: None,
        },
        Rule::PopulationWeighted => {
            let people = |d: i64| population.and_then(|p| p.get(&d)).copied();
            let unknown: Vec<i64> = got
                .iter()
                .filter(|(d, _)| people(*d).is_none_or(|p| p <= 0.0))
                .map(|(d, _)| *d)
                .collect();
            if !unknown.is_empty() {
                return CityFigure::NoPopulation { districts: unknown };
            }
            let mut weighted = Ratio::default();
            for (d, r) in &got {
                let p = people(*d).unwrap_or_default();
                weighted += Ratio {
                    numerator: r.value * p,
                    denominator: p,
                };
            }
            CityFigure::Value {
                value: weighted.numerator / weighted.denominator,
                parts: None,
            }
        }
        Rule::NotSummed(reason) => CityFigure::NotSummed { reason },
    }
}

/// The value a rate's counts make, in the measure's unit, or `None` when nothing was counted.
pub fn rate_of(parts: Ratio, scale: f64) -> Option<f64> {
    parts.percent().map(|p| p / 100.0 * scale)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::indicator::measures;
    use crate::target::TargetText;

    fn indicator(target: &str, unit: &str) -> Indicator {
        Indicator {
            code: "X-1".into(),
            area: String::new(),
            seq: 1,
            text: String::new(),
            name: String::new(),
            target: TargetText::new(target),
            unit: unit.into(),
            contents: vec![],
            tasks: vec![],
            notes: vec![],
            formula: None,
        }
    }

    fn rules_of(target: &str, unit: &str) -> Vec<Rule> {
        let ind = indicator(target, unit);
        let t = ind.target.parsed().expect("parses").clone();
        measures(&t).iter().map(|m| rule(&ind, m)).collect()
    }

    #[test]
    fn the_rule_follows_what_the_measure_is() {
        let table: [(&str, &str, Vec<Rule>); 12] = [
            (">= 96 %", "%", vec![Rule::Rate { scale: 100.0 }]),
            ("<= 3 ‰", "‰", vec![Rule::Rate { scale: 1000.0 }]),
            (">= 1 count", "count", vec![Rule::Sum]),
            ("eliminate", "count", vec![Rule::Sum]),
            ("reduce 14.8 % vs 2010", "t", vec![Rule::Sum]),
            (">= 80 score", "score", vec![Rule::PopulationWeighted]),
            (
                "path 2013: 108 -> 2016: 95 ug/m3",
                "ug/m3",
                vec![Rule::PopulationWeighted],
            ),
            ("<= 56 dB(A)", "dB(A)", vec![Rule::NotSummed(Reason::Level)]),
            (
                "rank <= 10 among \"全国同等城市\"",
                "rank",
                vec![Rule::NotSummed(Reason::Rank)],
            ),
            (
                "qualitative \"完成\"",
                "",
                vec![Rule::NotSummed(Reason::Judged)],
            ),
            (
                "< benchmark \"全国平均水平\"",
                "‰",
                vec![Rule::Rate { scale: 1000.0 }],
            ),
            (
                "all(a \"甲\": = 100 %; b \"乙\": <= 56 dB(A))",
                "%",
                vec![Rule::Rate { scale: 100.0 }, Rule::NotSummed(Reason::Level)],
            ),
        ];
        for (target, unit, want) in table {
            assert_eq!(rules_of(target, unit), want, "{target}");
        }
        assert_eq!(
            rules_of("trend up 3 years", ""),
            [Rule::NotSummed(Reason::NoUnit)]
        );
        let mut computed = indicator(">= 90 %", "%");
        computed.formula = Some(crate::formula::Formula::new("sampling_pass_rate"));
        let m = &measures(computed.target.parsed().expect("parses"))[0];
        assert_eq!(rule(&computed, m), Rule::Rate { scale: 100.0 });
    }

    fn rate(n: f64, d: f64) -> Option<Reported> {
        Some(Reported {
            value: n / d * 100.0,
            parts: Some(Ratio {
                numerator: n,
                denominator: d,
            }),
        })
    }

    fn plain(value: f64) -> Option<Reported> {
        Some(Reported { value, parts: None })
    }

    /// A rule, the districts' reports, their populations, and the city's figure.
    type Case<'a> = (
        Rule,
        Vec<(i64, Option<Reported>)>,
        Option<&'a BTreeMap<i64, f64>>,
        CityFigure,
    );

    #[test]
    fn each_rule_makes_the_city_figure_or_says_why_not() {
        let pct = Rule::Rate { scale: 100.0 };
        let pop = BTreeMap::from([(1, 100_000.0), (2, 300_000.0)]);
        let table: Vec<Case> = vec![
            // 9 of 10 (90 %) and 10 of 100 (10 %): 19 of 110, not the mean 50 %.
            (
                pct,
                vec![(1, rate(9.0, 10.0)), (2, rate(10.0, 100.0))],
                None,
                CityFigure::Value {
                    value: 19.0 / 110.0 * 100.0,
                    parts: Some(Ratio {
                        numerator: 19.0,
                        denominator: 110.0,
                    }),
                },
            ),
            (
                Rule::Rate { scale: 1000.0 },
                vec![(1, rate(1.0, 1000.0)), (2, rate(3.0, 1000.0))],
                None,
                CityFigure::Value {
                    value: 2.0,
                    parts: Some(Ratio {
                        numerator: 4.0,
                        denominator: 2000.0,
                    }),
                },
            ),
            (
                pct,
                vec![(1, rate(9.0, 10.0)), (2, plain(50.0))],
                None,
                CityFigure::NoParts { districts: vec![2] },
            ),
            (
                pct,
                vec![(1, rate(0.0, 0.0)), (2, rate(0.0, 0.0))],
                None,
                CityFigure::NoParts { districts: vec![] },
            ),
            (
                pct,
                vec![(1, rate(9.0, 10.0)), (2, None)],
                None,
                CityFigure::Missing { districts: vec![2] },
            ),
            (
                Rule::Sum,
                vec![(1, plain(2.0)), (2, plain(3.0))],
                None,
                CityFigure::Value {
                    value: 5.0,
                    parts: None,
                },
            ),
            (
                Rule::Sum,
                vec![],
                None,
                CityFigure::Missing { districts: vec![] },
            ),
            // 100 µg/m³ for 100,000 people and 60 for 300,000: 70, not the mean 80.
            (
                Rule::PopulationWeighted,
                vec![(1, plain(100.0)), (2, plain(60.0))],
                Some(&pop),
                CityFigure::Value {
                    value: 70.0,
                    parts: None,
                },
            ),
            (
                Rule::PopulationWeighted,
                vec![(1, plain(100.0)), (2, plain(60.0))],
                None,
                CityFigure::NoPopulation {
                    districts: vec![1, 2],
                },
            ),
            (
                Rule::PopulationWeighted,
                vec![(1, plain(100.0)), (3, plain(60.0))],
                Some(&pop),
                CityFigure::NoPopulation { districts: vec![3] },
            ),
            (
                Rule::NotSummed(Reason::Rank),
                vec![(1, plain(3.0)), (2, plain(5.0))],
                None,
                CityFigure::NotSummed {
                    reason: Reason::Rank,
                },
            ),
        ];
        for (rule, reports, population, want) in table {
            assert_eq!(
                city_figure(rule, &reports, population),
                want,
                "{rule:?} {reports:?}"
            );
        }
        assert_eq!(
            rate_of(
                Ratio {
                    numerator: 1.0,
                    denominator: 4.0
                },
                100.0
            ),
            Some(25.0)
        );
        assert_eq!(rate_of(Ratio::default(), 100.0), None);
    }
}
