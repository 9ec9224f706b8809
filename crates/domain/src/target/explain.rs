//! Targets in plain words, in Chinese and English.

use super::print::number;
use super::{Lang, Op, Part, RankBound, TOLERANCE, Target, TrendDirection, Unit};

/// The target in plain words, e.g. "不低于96%" / "at least 96%",
/// "较2010年削减14.8%" / "reduce by 14.8% from 2010".
///
/// In `all`/`any` targets the Chinese text uses a part's display name when
/// it has one ("区域环境噪声不高于56 dB(A)，且道路交通噪声不高于68 dB(A)"), and
/// so does the English text (the plan's names are Chinese; the label, an internal key, shows
/// only for a part without a name).
pub fn explain(target: &Target, lang: Lang) -> String {
    match lang {
        Lang::ZhCn => explain_zh(target),
        Lang::En => explain_en(target),
    }
}

fn explain_zh(target: &Target) -> String {
    match target {
        Target::Compare { op, value, unit } => {
            let word = match (op, *unit == Some(Unit::Count)) {
                (Op::Ge, true) => "不少于",
                (Op::Gt, true) => "多于",
                (Op::Le, true) => "不多于",
                (Op::Lt, true) => "少于",
                (Op::Ge, false) => "不低于",
                (Op::Gt, false) => "超过",
                (Op::Le, false) => "不高于",
                (Op::Lt, false) => "低于",
                (Op::Eq, _) => "等于",
            };
            format!("{word}{}", with_unit(&number(*value), *unit, Lang::ZhCn))
        }
        Target::Eliminate => "消除（降至0）".to_string(),
        Target::Reduce {
            percent,
            baseline_year,
        } => format!("较{baseline_year}年削减{}%", number(*percent)),
        Target::Path { anchors, unit } => {
            let points: Vec<String> = anchors
                .iter()
                .map(|a| {
                    let v = with_unit(&number(a.value), *unit, Lang::ZhCn);
                    format!("{}年{v}", a.year)
                })
                .collect();
            format!("{}（逐年线性插值）", points.join(" → "))
        }
        Target::Trend { direction, years } => {
            let verb = match direction {
                TrendDirection::Up => "提高",
                TrendDirection::Down => "下降",
            };
            if *years == 1 {
                format!("较上年{verb}")
            } else {
                format!("连续{years}年逐年{verb}")
            }
        }
        Target::Rank { bound, peers } => match bound {
            RankBound::AtMost(n) => format!("在{peers}中位居前{n}名"),
            RankBound::Leading => format!("在{peers}中居前列"),
        },
        Target::Benchmark { op, name } => {
            let word = match op {
                Op::Ge => "不低于",
                Op::Gt => "高于",
                Op::Le => "不高于",
                Op::Lt => "低于",
                Op::Eq => "等于",
            };
            format!("{word}{name}")
        }
        Target::Qualitative { description } => format!("定性目标：{description}"),
        Target::All(parts) => join_parts_zh(parts, "，且"),
        Target::Any(parts) => join_parts_zh(parts, "，或"),
    }
}

fn join_parts_zh(parts: &[Part], sep: &str) -> String {
    parts
        .iter()
        .map(|p| {
            let inner = explain_zh(&p.target);
            let inner = match p.target {
                Target::All(_) | Target::Any(_) => format!("（{inner}）"),
                _ => inner,
            };
            match &p.name {
                // A name reads as the subject of a comparison ("道路交通噪声不高于…");
                // forms that are not a predicate get a colon.
                Some(name) if reads_as_predicate(&p.target) => format!("{name}{inner}"),
                Some(name) => format!("{name}：{inner}"),
                None => format!("{}：{inner}", p.label),
            }
        })
        .collect::<Vec<_>>()
        .join(sep)
}

fn reads_as_predicate(target: &Target) -> bool {
    !matches!(
        target,
        Target::Path { .. } | Target::Qualitative { .. } | Target::All(_) | Target::Any(_)
    )
}

fn explain_en(target: &Target) -> String {
    match target {
        Target::Compare { op, value, unit } => {
            let word = match op {
                Op::Ge => "at least",
                Op::Gt => "more than",
                Op::Le => "at most",
                Op::Lt => "less than",
                Op::Eq => "exactly",
            };
            format!("{word} {}", with_unit(&number(*value), *unit, Lang::En))
        }
        Target::Eliminate => "eliminate (bring to 0)".to_string(),
        Target::Reduce {
            percent,
            baseline_year,
        } => format!("reduce by {}% from {baseline_year}", number(*percent)),
        Target::Path { anchors, unit } => {
            let points: Vec<String> = anchors
                .iter()
                .map(|a| {
                    let v = with_unit(&number(a.value), *unit, Lang::En);
                    format!("{}: {v}", a.year)
                })
                .collect();
            format!("{} (linear yearly interpolation)", points.join(" → "))
        }
        Target::Trend { direction, years } => {
            let verb = match direction {
                TrendDirection::Up => "rising",
                TrendDirection::Down => "falling",
            };
            if *years == 1 {
                format!("{verb} on the year before")
            } else {
                format!("{verb} every year for {years} consecutive years")
            }
        }
        Target::Rank { bound, peers } => match bound {
            RankBound::AtMost(n) => format!("ranked in the top {n} among {peers}"),
            RankBound::Leading => format!("among the leaders of {peers}"),
        },
        Target::Benchmark { op, name } => {
            let word = match op {
                Op::Ge => "at least",
                Op::Gt => "above",
                Op::Le => "at most",
                Op::Lt => "below",
                Op::Eq => "equal to",
            };
            format!("{word} {name}")
        }
        Target::Qualitative { description } => format!("qualitative: {description}"),
        Target::All(parts) => join_parts_en(parts, ", and "),
        Target::Any(parts) => join_parts_en(parts, ", or "),
    }
}

/// A part as users read it: its display name, else its label.
fn part_name(p: &Part) -> &str {
    p.name.as_deref().unwrap_or(&p.label)
}

fn join_parts_en(parts: &[Part], sep: &str) -> String {
    parts
        .iter()
        .map(|p| match p.target {
            Target::All(_) | Target::Any(_) => {
                format!("{}: ({})", part_name(p), explain_en(&p.target))
            }
            _ => format!("{}: {}", part_name(p), explain_en(&p.target)),
        })
        .collect::<Vec<_>>()
        .join(sep)
}

/// A number with its unit as people write it: "96%", "56 dB(A)",
/// "108 µg/m³", "1个" / "1", "第3名" / "rank 3".
pub(crate) fn with_unit(num: &str, unit: Option<Unit>, lang: Lang) -> String {
    let zh = lang == Lang::ZhCn;
    match unit {
        None => num.to_string(),
        Some(Unit::Percent) => format!("{num}%"),
        Some(Unit::PerMille) => format!("{num}‰"),
        Some(Unit::DbA) => format!("{num} dB(A)"),
        Some(Unit::UgM3) => format!("{num} µg/m³"),
        Some(Unit::MgL) => format!("{num} mg/L"),
        Some(Unit::Count) if zh => format!("{num}个"),
        Some(Unit::Count) => num.to_string(),
        Some(Unit::Score) if zh => format!("{num}分"),
        Some(Unit::Score) => format!("{num} points"),
        Some(Unit::Days) if zh => format!("{num}天"),
        Some(Unit::Days) => format!("{num} days"),
        Some(Unit::Tonnes) if zh => format!("{num}吨"),
        Some(Unit::Tonnes) => format!("{num} t"),
        Some(Unit::Rank) if zh => format!("第{num}名"),
        Some(Unit::Rank) => format!("rank {num}"),
    }
}

/// A computed number (path target, projection, achieved reduction) for
/// display: one decimal (two significant digits below 1), or more when
/// rounding would hide which side of `against` the number is on.
///
/// "99.3" for 99.333… against 101; "14.79" for 14.79 against 14.8.
pub(crate) fn computed(x: f64, against: f64) -> String {
    shown(x, against, 1)
}

/// An observed value for display: as entered (up to two decimals), while a value computed
/// from a register (95.154185…%) is rounded the same way as [`computed`], never across
/// `against`. "95.15" for 95.1541… against 96; "91" for 91.
pub(crate) fn observed(x: f64, against: f64) -> String {
    shown(x, against, 2)
}

fn shown(x: f64, against: f64, min_decimals: i32) -> String {
    if !x.is_finite() || x.abs() >= 1e15 {
        return number(x);
    }
    let first = if x == 0.0 {
        min_decimals
    } else {
        // Two significant digits for |x| < 1, otherwise `min_decimals`.
        (1 - x.abs().log10().floor() as i32).max(min_decimals)
    };
    let side = compare(x, against);
    for decimals in first..=12 {
        let rounded = round_to(x, decimals);
        if compare(rounded, against) == side {
            // `+ 0.0` turns -0 into 0 so "-0" is never shown.
            return number(rounded + 0.0);
        }
    }
    number(x)
}

fn round_to(x: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (x * scale).round() / scale
}

/// -1, 0 or 1 as `a` is below, at (within tolerance) or above `b`.
fn compare(a: f64, b: f64) -> i8 {
    if (a - b).abs() <= TOLERANCE {
        0
    } else if a < b {
        -1
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn both(s: &str) -> (String, String) {
        match parse(s) {
            Ok(t) => (explain(&t, Lang::ZhCn), explain(&t, Lang::En)),
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    #[test]
    fn comparisons() {
        assert_eq!(both(">= 96 %"), ("不低于96%".into(), "at least 96%".into()));
        assert_eq!(both("> 30 %"), ("超过30%".into(), "more than 30%".into()));
        assert_eq!(both("= 100 %"), ("等于100%".into(), "exactly 100%".into()));
        assert_eq!(
            both(">= 1 count"),
            ("不少于1个".into(), "at least 1".into())
        );
        assert_eq!(both("< 0.39"), ("低于0.39".into(), "less than 0.39".into()));
        assert_eq!(
            both(">= 80 score"),
            ("不低于80分".into(), "at least 80 points".into())
        );
        assert_eq!(
            both("<= 3 rank"),
            ("不高于第3名".into(), "at most rank 3".into())
        );
    }

    #[test]
    fn other_forms() {
        assert_eq!(
            both("reduce 14.8 % vs 2010"),
            (
                "较2010年削减14.8%".into(),
                "reduce by 14.8% from 2010".into()
            )
        );
        assert_eq!(
            both("path 2013: 108 -> 2016: 95 ug/m3"),
            (
                "2013年108 µg/m³ → 2016年95 µg/m³（逐年线性插值）".into(),
                "2013: 108 µg/m³ → 2016: 95 µg/m³ (linear yearly interpolation)".into()
            )
        );
        assert_eq!(
            both("trend up 3 years"),
            (
                "连续3年逐年提高".into(),
                "rising every year for 3 consecutive years".into()
            )
        );
        assert_eq!(both("trend down 1 year").0, "较上年下降");
        assert_eq!(
            both("rank <= 10 among \"全国同等城市\""),
            (
                "在全国同等城市中位居前10名".into(),
                "ranked in the top 10 among 全国同等城市".into()
            )
        );
        assert_eq!(
            both("rank leading among \"全国同级城市\"").0,
            "在全国同级城市中居前列"
        );
        assert_eq!(
            both("< benchmark \"全国平均水平\""),
            ("低于全国平均水平".into(), "below 全国平均水平".into())
        );
        assert_eq!(
            both("qualitative \"有创新\""),
            ("定性目标：有创新".into(), "qualitative: 有创新".into())
        );
        assert_eq!(both("eliminate").0, "消除（降至0）");
    }

    #[test]
    fn groups_use_names_in_both_languages() {
        assert_eq!(
            both(
                "all(regional \"区域环境噪声\": <= 56 dB(A); \
                 road \"道路交通噪声\": <= 68 dB(A))"
            ),
            (
                "区域环境噪声不高于56 dB(A)，且道路交通噪声不高于68 dB(A)".into(),
                "区域环境噪声: at most 56 dB(A), and 道路交通噪声: at most 68 dB(A)".into()
            )
        );
        assert_eq!(
            both("any(a: >= 1 count; b: all(c: eliminate; d \"D\": qualitative \"x\"))"),
            (
                "a：不少于1个，或b：（c：消除（降至0），且D：定性目标：x）".into(),
                "a: at least 1, or b: (c: eliminate (bring to 0), and D: qualitative: x)".into()
            )
        );
    }

    #[test]
    fn observed_values_keep_two_decimals_and_their_side() {
        assert_eq!(observed(95.15418502202643, 96.0), "95.15");
        assert_eq!(observed(91.0, 92.5), "91");
        assert_eq!(observed(73.5, 75.0), "73.5");
        assert_eq!(observed(95.9999, 96.0), "95.9999");
    }

    #[test]
    fn computed_numbers_show_enough_decimals_to_keep_the_comparison() {
        assert_eq!(computed(108.0 - 13.0 * 2.0 / 3.0, 101.0), "99.3");
        assert_eq!(computed(14.79, 14.8), "14.79");
        assert_eq!(computed(14.8 + 1e-12, 14.8), "14.8");
        assert_eq!(computed(0.0391, 0.039), "0.0391");
        assert_eq!(computed(0.05, 0.39), "0.05");
        assert_eq!(computed(-0.01, 5.0), "-0.01");
        assert_eq!(computed(-0.0001, 5.0), "-0.0001");
        assert_eq!(computed(0.0, 1.0), "0");
        assert_eq!(computed(95.0, 95.0), "95");
        assert_eq!(computed(f64::NAN, 1.0), "NaN");
    }
}
