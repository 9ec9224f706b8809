//! The QCity target language: one expression per indicator target.
//!
//! A target is stored as text (see `docs/target-language.md`), parsed into a
//! [`Target`], printed back in canonical form, explained in plain words and
//! evaluated against yearly observations.
//!
//! ```
//! use qcity_domain::target::{parse, explain, Lang};
//! let t = parse("reduce 14.8 % vs 2010").unwrap();
//! assert_eq!(t.to_string(), "reduce 14.8 % vs 2010");
//! assert_eq!(explain(&t, Lang::ZhCn), "较2010年削减14.8%");
//! ```

mod eval;
mod explain;
mod parse;
mod print;

#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod seed_tests;

use serde::{Deserialize, Serialize};

pub use eval::{Evaluation, Judgement, Observations, Status, StatusCounts, evaluate, project};
pub use explain::explain;
pub use parse::{ParseError, ParseErrorKind, parse};

/// Absolute tolerance used by every numeric comparison, so that computed
/// rates like 95.99999999999999 count as 96.
pub const TOLERANCE: f64 = 1e-9;

/// Display language for explanations and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Lang {
    /// Simplified Chinese (the default UI language).
    #[serde(rename = "zh-CN")]
    ZhCn,
    /// English.
    #[serde(rename = "en")]
    En,
}

impl Lang {
    /// BCP 47 tag: "zh-CN" or "en".
    pub fn code(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// One indicator target, as parsed from the target language.
///
/// A target as the plan writes it, parsed once when the plan is read (a plan version is read
/// once and kept), so that nothing downstream parses it again. Two are equal when their texts
/// are; it reads and writes as the text.
#[derive(Debug, Clone)]
pub struct TargetText {
    text: String,
    parsed: Result<Target, ParseError>,
}

impl TargetText {
    pub fn new(text: impl Into<String>) -> TargetText {
        let text = text.into();
        let parsed = parse(&text);
        TargetText { text, parsed }
    }

    /// The text as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed target, or why the text does not parse (plan validation reports it).
    pub fn parsed(&self) -> Result<&Target, &ParseError> {
        self.parsed.as_ref()
    }
}

impl PartialEq for TargetText {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl std::ops::Deref for TargetText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

impl std::fmt::Display for TargetText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<&str> for TargetText {
    fn from(text: &str) -> TargetText {
        TargetText::new(text)
    }
}

impl From<String> for TargetText {
    fn from(text: String) -> TargetText {
        TargetText::new(text)
    }
}

impl Serialize for TargetText {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for TargetText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TargetText, D::Error> {
        String::deserialize(d).map(TargetText::new)
    }
}

/// Serialises as its canonical text form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Target {
    /// `>= 96 %`: the latest value compared with a threshold.
    Compare {
        /// The comparison.
        op: Op,
        /// The threshold.
        value: f64,
        /// Unit of the threshold and of the measured values.
        unit: Option<Unit>,
    },
    /// `eliminate`: the measured count must reach 0.
    Eliminate,
    /// `reduce 14.8 % vs 2010`: cut the value by a percentage of a baseline year.
    Reduce {
        /// Required reduction in percent (0 < percent <= 100).
        percent: f64,
        /// Year whose value is the baseline.
        baseline_year: i32,
    },
    /// `path 2013: 108 -> 2016: 95 ug/m3`: yearly targets interpolated
    /// linearly between anchors (at least two, years strictly increasing).
    Path {
        /// The anchors, in year order.
        anchors: Vec<Anchor>,
        /// Unit of the anchor values.
        unit: Option<Unit>,
    },
    /// `trend up 3 years`: strict year-on-year change for n consecutive years.
    Trend {
        /// Which way the value must move.
        direction: TrendDirection,
        /// Number of consecutive year-on-year steps required (n >= 1).
        years: u32,
    },
    /// `rank <= 10 among "全国同等城市"` or `rank leading among "…"`.
    Rank {
        /// The required position.
        bound: RankBound,
        /// The peer group, as written.
        peers: String,
    },
    /// `< benchmark "全国平均水平"`: compared with a named benchmark series.
    Benchmark {
        /// The comparison (measured value `op` benchmark value).
        op: Op,
        /// Name of the benchmark series.
        name: String,
    },
    /// `qualitative "…"`: judged by reviewers on evidence.
    Qualitative {
        /// What the reviewers judge.
        description: String,
    },
    /// `all(a: …; b: …)`: every part must hold; still one indicator.
    All(Vec<Part>),
    /// `any(a: …; b: …)`: at least one part must hold.
    Any(Vec<Part>),
}

/// One labelled part of an `all(...)` or `any(...)` target.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// ASCII identifier `[a-z][a-z0-9_]*` naming the measure values are entered for.
    pub label: String,
    /// Optional display name (`regional "区域环境噪声": …`), used by explanations.
    pub name: Option<String>,
    /// The part's own target.
    pub target: Target,
}

/// One anchor of a path target: the target value for a year.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// The year.
    pub year: i32,
    /// The target value in that year.
    pub value: f64,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `>=`
    Ge,
    /// `>`
    Gt,
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `=`
    Eq,
}

impl Op {
    /// Canonical ASCII spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Ge => ">=",
            Op::Gt => ">",
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Eq => "=",
        }
    }

    /// Whether `value op threshold` holds, within [`TOLERANCE`].
    ///
    /// Strict operators need a margin larger than the tolerance, so float
    /// noise never turns "30" into "more than 30".
    pub fn holds(self, value: f64, threshold: f64) -> bool {
        match self {
            Op::Ge => value >= threshold - TOLERANCE,
            Op::Gt => value > threshold + TOLERANCE,
            Op::Le => value <= threshold + TOLERANCE,
            Op::Lt => value < threshold - TOLERANCE,
            Op::Eq => (value - threshold).abs() <= TOLERANCE,
        }
    }
}

/// Units a target value may carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// `%`
    Percent,
    /// `‰`
    PerMille,
    /// `dB(A)`: A-weighted decibels.
    DbA,
    /// `ug/m3`: micrograms per cubic metre.
    UgM3,
    /// `mg/L`: milligrams per litre.
    MgL,
    /// `count`: a number of things (titles, bases, water bodies).
    Count,
    /// `score`: an index or satisfaction score.
    Score,
    /// `days`
    Days,
    /// `t`: tonnes.
    Tonnes,
    /// `rank`: a position in a ranking (1 = first).
    Rank,
}

impl Unit {
    /// Canonical spelling in the target language.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Percent => "%",
            Unit::PerMille => "‰",
            Unit::DbA => "dB(A)",
            Unit::UgM3 => "ug/m3",
            Unit::MgL => "mg/L",
            Unit::Count => "count",
            Unit::Score => "score",
            Unit::Days => "days",
            Unit::Tonnes => "t",
            Unit::Rank => "rank",
        }
    }

    /// The unit as a reader writes it after a number, in a language: "96%", "104 µg/m³",
    /// "80.8分", "2个".
    pub fn suffix(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Unit::Percent, _) => "%",
            (Unit::PerMille, _) => "‰",
            (Unit::DbA, _) => " dB(A)",
            (Unit::UgM3, _) => " µg/m³",
            (Unit::MgL, _) => " mg/L",
            (Unit::Count, Lang::ZhCn) => "个",
            (Unit::Count, Lang::En) => "",
            (Unit::Score, Lang::ZhCn) => "分",
            (Unit::Score, Lang::En) => " points",
            (Unit::Days, Lang::ZhCn) => "天",
            (Unit::Days, Lang::En) => " days",
            (Unit::Tonnes, Lang::ZhCn) => "吨",
            (Unit::Tonnes, Lang::En) => " t",
            (Unit::Rank, Lang::ZhCn) => "名",
            (Unit::Rank, Lang::En) => "",
        }
    }

    /// The unit of a plan's `unit` field (its canonical spelling), if it is one.
    pub fn from_plan(text: &str) -> Option<Unit> {
        Unit::ALL.into_iter().find(|u| u.as_str() == text.trim())
    }

    /// Every unit, for generators and pickers.
    pub const ALL: [Unit; 10] = [
        Unit::Percent,
        Unit::PerMille,
        Unit::DbA,
        Unit::UgM3,
        Unit::MgL,
        Unit::Count,
        Unit::Score,
        Unit::Days,
        Unit::Tonnes,
        Unit::Rank,
    ];
}

/// A value with the unit of the plan's `unit` field, as readers write it ("104 µg/m³",
/// "80.75分"); a unit QCity does not know is written as given, an empty one adds nothing.
pub fn with_unit(value: &str, unit: &str, lang: Lang) -> String {
    match Unit::from_plan(unit) {
        Some(u) => format!("{value}{}", u.suffix(lang)),
        None if unit.trim().is_empty() => value.to_string(),
        None => format!("{value} {}", unit.trim()),
    }
}

/// Direction of a strict trend.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TrendDirection {
    /// Strictly increasing every year.
    Up,
    /// Strictly decreasing every year.
    Down,
}

/// The required position of a rank target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RankBound {
    /// Rank N or better (1 is best); N >= 1.
    AtMost(u32),
    /// "居前列": among the leaders, judged by reviewers.
    Leading,
}

/// Which way a target's measured value should move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// A larger value is better.
    HigherIsBetter,
    /// A smaller value is better.
    LowerIsBetter,
    /// No numeric direction: reviewers judge, or the target is an exact level.
    Judged,
}

/// The direction in which the target's measured value improves.
///
/// `=` targets have no direction except at the natural ends of a scale:
/// `= 100 %` can only be approached from below and `= 0` from above.
/// A path follows its first and last anchors; a group has a direction only
/// when all its parts agree.
pub fn direction(target: &Target) -> Direction {
    match target {
        Target::Compare {
            op: Op::Eq,
            value,
            unit,
        } => level_direction(*value, *unit),
        Target::Compare { op, .. } | Target::Benchmark { op, .. } => op_direction(*op),
        Target::Eliminate | Target::Reduce { .. } => Direction::LowerIsBetter,
        Target::Path { anchors, .. } => path_direction(anchors),
        Target::Trend { direction, .. } => match direction {
            TrendDirection::Up => Direction::HigherIsBetter,
            TrendDirection::Down => Direction::LowerIsBetter,
        },
        Target::Rank { bound, .. } => match bound {
            RankBound::AtMost(_) => Direction::LowerIsBetter,
            RankBound::Leading => Direction::Judged,
        },
        Target::Qualitative { .. } => Direction::Judged,
        Target::All(parts) | Target::Any(parts) => group_direction(parts),
    }
}

fn op_direction(op: Op) -> Direction {
    match op {
        Op::Ge | Op::Gt => Direction::HigherIsBetter,
        Op::Le | Op::Lt => Direction::LowerIsBetter,
        Op::Eq => Direction::Judged,
    }
}

/// An exact level has a direction only at the natural end of its scale.
fn level_direction(value: f64, unit: Option<Unit>) -> Direction {
    if value == 100.0 && unit == Some(Unit::Percent) {
        Direction::HigherIsBetter
    } else if value == 0.0 {
        Direction::LowerIsBetter
    } else {
        Direction::Judged
    }
}

/// A path improves in the direction from its first to its last anchor.
fn path_direction(anchors: &[Anchor]) -> Direction {
    match (anchors.first(), anchors.last()) {
        (Some(first), Some(last)) if last.value < first.value => Direction::LowerIsBetter,
        (Some(first), Some(last)) if last.value > first.value => Direction::HigherIsBetter,
        _ => Direction::Judged,
    }
}

fn group_direction(parts: &[Part]) -> Direction {
    let mut directions = parts.iter().map(|p| direction(&p.target));
    let Some(first) = directions.next() else {
        return Direction::Judged;
    };
    if directions.all(|d| d == first) {
        first
    } else {
        Direction::Judged
    }
}

/// The yearly target of a path for `year`.
///
/// Exact at every anchor, linear between anchors, the last anchor's value
/// after the last anchor, and `None` before the first anchor (the path has
/// not started) or when there are no anchors.
pub fn path_target(anchors: &[Anchor], year: i32) -> Option<f64> {
    let first = anchors.first()?;
    if year < first.year {
        return None;
    }
    for pair in anchors.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if year == a.year {
            return Some(a.value);
        }
        if year == b.year {
            return Some(b.value);
        }
        if a.year < year && year < b.year {
            return Some(interpolate(a, b, year));
        }
    }
    anchors.last().map(|last| last.value)
}

/// Linear interpolation, clamped so float rounding never leaves the segment.
fn interpolate(a: Anchor, b: Anchor, year: i32) -> f64 {
    // f64 arithmetic: year differences cannot overflow.
    let t = (f64::from(year) - f64::from(a.year)) / (f64::from(b.year) - f64::from(a.year));
    let raw = a.value + (b.value - a.value) * t;
    let (lo, hi) = if a.value <= b.value {
        (a.value, b.value)
    } else {
        (b.value, a.value)
    };
    // max/min rather than clamp: clamp panics on NaN bounds.
    raw.max(lo).min(hi)
}

impl std::str::FromStr for Target {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

impl TryFrom<String> for Target {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        parse(&s)
    }
}

impl From<Target> for String {
    fn from(t: Target) -> String {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pm25() -> Vec<Anchor> {
        vec![
            Anchor {
                year: 2013,
                value: 108.0,
            },
            Anchor {
                year: 2016,
                value: 95.0,
            },
        ]
    }

    #[test]
    fn path_target_is_exact_at_anchors_and_linear_between() {
        let a = pm25();
        assert_eq!(path_target(&a, 2013), Some(108.0));
        assert_eq!(path_target(&a, 2016), Some(95.0));
        let y2015 = path_target(&a, 2015).unwrap_or(f64::NAN);
        assert!((y2015 - (108.0 - 13.0 * 2.0 / 3.0)).abs() < 1e-12);
        assert_eq!(path_target(&a, 2020), Some(95.0));
        assert_eq!(path_target(&a, 2012), None);
        assert_eq!(path_target(&[], 2015), None);
    }

    #[test]
    fn path_target_with_three_anchors_uses_the_right_segment() {
        let mut a = pm25();
        a.push(Anchor {
            year: 2020,
            value: 75.0,
        });
        assert_eq!(path_target(&a, 2018), Some(85.0));
        assert_eq!(path_target(&a, 2016), Some(95.0));
    }

    #[test]
    fn directions() {
        let d = |s: &str| parse(s).map(|t| direction(&t));
        assert_eq!(d(">= 96 %"), Ok(Direction::HigherIsBetter));
        assert_eq!(d("< 0.39"), Ok(Direction::LowerIsBetter));
        assert_eq!(d("= 100 %"), Ok(Direction::HigherIsBetter));
        assert_eq!(d("= 0 count"), Ok(Direction::LowerIsBetter));
        assert_eq!(d("= 5 days"), Ok(Direction::Judged));
        assert_eq!(d("eliminate"), Ok(Direction::LowerIsBetter));
        assert_eq!(d("reduce 14.8 % vs 2010"), Ok(Direction::LowerIsBetter));
        assert_eq!(
            d("path 2013: 108 -> 2016: 95 ug/m3"),
            Ok(Direction::LowerIsBetter)
        );
        assert_eq!(
            d("path 2013: 10 -> 2016: 95 %"),
            Ok(Direction::HigherIsBetter)
        );
        assert_eq!(d("trend up 3 years"), Ok(Direction::HigherIsBetter));
        assert_eq!(d("trend down 3 years"), Ok(Direction::LowerIsBetter));
        assert_eq!(d("rank <= 10 among \"x\""), Ok(Direction::LowerIsBetter));
        assert_eq!(d("rank leading among \"x\""), Ok(Direction::Judged));
        assert_eq!(d("> benchmark \"x\""), Ok(Direction::HigherIsBetter));
        assert_eq!(d("qualitative \"x\""), Ok(Direction::Judged));
        assert_eq!(d("= benchmark \"x\""), Ok(Direction::Judged));
        assert_eq!(
            d("all(a: <= 56 dB(A); b: <= 68 dB(A))"),
            Ok(Direction::LowerIsBetter)
        );
        assert_eq!(
            d("any(a: trend up 3 years; b: trend down 3 years)"),
            Ok(Direction::Judged)
        );
    }

    #[test]
    fn op_holds_respects_strictness_at_the_threshold() {
        assert!(Op::Ge.holds(96.0, 96.0));
        assert!(Op::Ge.holds(95.99999999999999, 96.0));
        assert!(!Op::Gt.holds(30.0, 30.0));
        assert!(!Op::Gt.holds(30.000000000000004, 30.0));
        assert!(Op::Gt.holds(30.1, 30.0));
        assert!(Op::Le.holds(56.0, 56.0));
        assert!(!Op::Lt.holds(0.39, 0.39));
        assert!(Op::Eq.holds(100.0, 100.0));
        assert!(!Op::Eq.holds(99.9, 100.0));
    }

    #[test]
    fn target_serialises_as_canonical_text() {
        let t = parse("all( a : ≥96％ ; b:<=1 count )").unwrap();
        let s = String::from(t.clone());
        assert_eq!(s, "all(a: >= 96 %; b: <= 1 count)");
        assert_eq!(Target::try_from(s), Ok(t));
    }

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Row {
        target: Target,
        lang: Lang,
    }

    #[test]
    fn serde_uses_the_text_form() {
        let row = Row {
            target: parse("path 2013：108 → 2016：95 ug/m3").unwrap(),
            lang: Lang::ZhCn,
        };
        let text = toml::to_string(&row).unwrap();
        assert_eq!(
            text,
            "target = \"path 2013: 108 -> 2016: 95 ug/m3\"\nlang = \"zh-CN\"\n"
        );
        assert_eq!(toml::from_str::<Row>(&text).ok(), Some(row));
        let bad = toml::from_str::<Row>("target = \">= 96 percent\"\nlang = \"en\"\n");
        let message = bad.map_err(|e| e.to_string()).err().unwrap_or_default();
        assert!(message.contains("unknown unit 'percent'"), "{message}");
    }
}
