//! An indicator's measures, as read from its target: what values are
//! entered for, in which unit, and whether a number makes sense at all.

use qcity_domain::plan::{Indicator, Plan};
use qcity_domain::target::{Part, RankBound, Target, Unit, parse};

/// One measure of an indicator: a row of values is entered for it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct MeasureSpec {
    /// The part's label (`pm25`); `""` for a single-measure indicator.
    pub label: String,
    /// The part's display name (`PM2.5浓度`), else its label; `""` for a
    /// single-measure indicator.
    pub name: String,
    /// The measure's own target; `None` when the indicator's target does
    /// not parse (the plan's validation reports it).
    pub target: Option<Target>,
    /// The unit of entered values in the target language's spelling
    /// (`%`, `ug/m3`), or `""` when unknown.
    pub unit: String,
}

impl MeasureSpec {
    /// Judged by reviewers in the web form, never given a number here: a
    /// qualitative target, or `rank leading` (居前列, which has no
    /// threshold), as the store's indicator values treat them.
    pub fn is_judged(&self) -> bool {
        matches!(
            self.target,
            Some(
                Target::Qualitative { .. }
                    | Target::Rank {
                        bound: RankBound::Leading,
                        ..
                    }
            )
        )
    }

    /// The baseline year of a `reduce … vs Y` target: its values are
    /// totals, not percentages.
    pub fn reduce_baseline(&self) -> Option<i32> {
        match self.target {
            Some(Target::Reduce { baseline_year, .. }) => Some(baseline_year),
            _ => None,
        }
    }
}

/// The first year any measure of the plan takes values for (see
/// [`FIRST_YEAR`](super::FIRST_YEAR)).
pub(crate) fn first_year_of_plan(plan: &Plan) -> i32 {
    plan.indicators
        .iter()
        .flat_map(measures)
        .filter_map(|m| m.reduce_baseline())
        .fold(super::FIRST_YEAR, i32::min)
}

/// The measures of an indicator: one per innermost part of an
/// `all(...)`/`any(...)` target, else one without a label.
pub(super) fn measures(indicator: &Indicator) -> Vec<MeasureSpec> {
    match parse(&indicator.target) {
        Ok(Target::All(parts) | Target::Any(parts)) => {
            let mut out = Vec::new();
            push_parts(&parts, &indicator.unit, &mut out);
            out
        }
        Ok(target) => vec![MeasureSpec {
            label: String::new(),
            name: String::new(),
            unit: measure_unit(&target, &indicator.unit),
            target: Some(target),
        }],
        Err(_) => vec![MeasureSpec {
            label: String::new(),
            name: String::new(),
            unit: indicator.unit.clone(),
            target: None,
        }],
    }
}

/// Nested groups: values are entered under the innermost part's label.
fn push_parts(parts: &[Part], indicator_unit: &str, out: &mut Vec<MeasureSpec>) {
    for part in parts {
        match &part.target {
            Target::All(inner) | Target::Any(inner) => push_parts(inner, indicator_unit, out),
            target => out.push(MeasureSpec {
                label: part.label.clone(),
                name: part.name.clone().unwrap_or_else(|| part.label.clone()),
                unit: measure_unit(target, indicator_unit),
                target: Some(target.clone()),
            }),
        }
    }
}

/// The unit of a measure's values: the one its target names; a rank's is
/// `rank`; a reduction's values are totals in a unit the target does not
/// say (its `%` is the reduction), a qualitative target has none; otherwise
/// the indicator's unit.
fn measure_unit(target: &Target, indicator_unit: &str) -> String {
    match target {
        Target::Compare {
            unit: Some(unit), ..
        }
        | Target::Path {
            unit: Some(unit), ..
        } => unit.as_str().to_string(),
        Target::Rank { .. } => Unit::Rank.as_str().to_string(),
        Target::Reduce { .. } | Target::Qualitative { .. } => String::new(),
        _ => indicator_unit.to_string(),
    }
}

/// A unit as clerks write it: `ug/m3` → `微克/立方米`, `count` → `个`.
pub(super) fn unit_zh(unit: &str) -> &str {
    match unit {
        "ug/m3" => "微克/立方米",
        "mg/L" => "毫克/升",
        "count" => "个",
        "score" => "分",
        "days" => "天",
        "t" => "吨",
        "rank" => "名",
        other => other,
    }
}

/// How to fill a measure in, in Chinese.
pub(super) fn hint_zh(m: &MeasureSpec) -> String {
    let base = match &m.target {
        Some(Target::Qualitative { .. }) => {
            return "定性目标：不在本表填写，请在网页中评定".to_string();
        }
        Some(Target::Rank {
            bound: RankBound::Leading,
            ..
        }) => {
            return "“居前列”目标由评审评定：不在本表填写，请在网页中评定".to_string();
        }
        Some(Target::Reduce { baseline_year, .. }) => format!(
            "填写各年实际总量（须含{baseline_year}年基准值），系统计算较基准年的削减比例；不要填写百分比"
        ),
        Some(Target::Rank { .. }) => "填写名次（1 表示第一名）".to_string(),
        Some(Target::Eliminate) => "填写尚存的个数（目标为 0）".to_string(),
        _ if m.unit == "%" => "填写百分数，如 96.5 表示 96.5%".to_string(),
        _ if m.unit == "‰" => "填写千分数，如 3 表示 3‰".to_string(),
        _ if !m.unit.is_empty() => format!("填写数值，单位：{}", unit_zh(&m.unit)),
        _ => "填写数值".to_string(),
    };
    match &m.target {
        Some(Target::Trend { years, .. }) => {
            format!("{base}；须连续{}个年份逐年填写", years.saturating_add(1))
        }
        _ => base,
    }
}
