//! Evaluating a target against yearly observations.
//!
//! Every evaluation returns a status and a one-line explanation in both
//! languages, e.g. "2015: 101 µg/m³, path target 99.3 µg/m³ → off track".

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::explain::{computed, explain, observed, with_unit};
use super::print::number;
use super::{
    Anchor, Direction, Lang, Op, Part, RankBound, TOLERANCE, Target, TrendDirection, Unit,
    direction, path_target,
};

/// The outcome of evaluating a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The target is reached.
    Met,
    /// The target is missed and there is no time left (or a reviewer said no).
    NotMet,
    /// Not reached yet, but the trend (or the path) says it will be.
    OnTrack,
    /// Not reached yet, and the trend (or the path) says it will not be.
    OffTrack,
    /// A value the evaluation needs is missing.
    NoData,
}

/// How many targets stand at each status: one count for the indicator dashboard, the leaders'
/// view, the assessment and the reports (`docs/figures.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatusCounts {
    pub met: usize,
    pub on_track: usize,
    pub off_track: usize,
    pub not_met: usize,
    pub no_data: usize,
}

impl StatusCounts {
    pub fn of(statuses: impl IntoIterator<Item = Status>) -> StatusCounts {
        let mut c = StatusCounts::default();
        for s in statuses {
            *c.slot(s) += 1;
        }
        c
    }

    fn slot(&mut self, s: Status) -> &mut usize {
        match s {
            Status::Met => &mut self.met,
            Status::OnTrack => &mut self.on_track,
            Status::OffTrack => &mut self.off_track,
            Status::NotMet => &mut self.not_met,
            Status::NoData => &mut self.no_data,
        }
    }

    /// The count of one status.
    pub fn get(&self, s: Status) -> usize {
        *self.clone().slot(s)
    }

    /// Every target counted.
    pub fn total(&self) -> usize {
        self.met + self.on_track + self.off_track + self.not_met + self.no_data
    }

    /// (status, count), best first, as every page lists them.
    pub fn rows(&self) -> [(Status, usize); 5] {
        Status::ALL.map(|s| (s, self.get(s)))
    }
}

impl Status {
    /// Every status, best first: the order pages list them in.
    pub const ALL: [Status; 5] = [
        Status::Met,
        Status::OnTrack,
        Status::OffTrack,
        Status::NotMet,
        Status::NoData,
    ];

    /// Short label: "达标" / "met".
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Status::Met, Lang::ZhCn) => "达标",
            (Status::NotMet, Lang::ZhCn) => "未达标",
            (Status::OnTrack, Lang::ZhCn) => "进度正常",
            (Status::OffTrack, Lang::ZhCn) => "偏离",
            (Status::NoData, Lang::ZhCn) => "无数据",
            (Status::Met, Lang::En) => "met",
            (Status::NotMet, Lang::En) => "not met",
            (Status::OnTrack, Lang::En) => "on track",
            (Status::OffTrack, Lang::En) => "off track",
            (Status::NoData, Lang::En) => "no data",
        }
    }

    /// The stable key pages and stored reports use: `met`, `not_met`, `on_track`, `off_track`,
    /// `no_data`.
    pub fn key(self) -> &'static str {
        match self {
            Status::Met => "met",
            Status::NotMet => "not_met",
            Status::OnTrack => "on_track",
            Status::OffTrack => "off_track",
            Status::NoData => "no_data",
        }
    }

    /// The status of a key (`None` for text that is no key).
    pub fn from_key(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == key)
    }

    /// Position on the scale used to combine parts:
    /// not_met < off_track < no_data < on_track < met.
    /// `all` takes the lowest part, `any` the highest.
    fn order(self) -> u8 {
        match self {
            Status::NotMet => 0,
            Status::OffTrack => 1,
            Status::NoData => 2,
            Status::OnTrack => 3,
            Status::Met => 4,
        }
    }
}

/// Result of [`evaluate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evaluation {
    /// The status.
    pub status: Status,
    /// One line in Chinese saying why.
    pub explanation_zh: String,
    /// The same line in English.
    pub explanation_en: String,
    /// For `all`/`any`: each part's evaluation by label, in written order.
    pub per_part: Vec<(String, Evaluation)>,
}

impl Evaluation {
    /// The explanation in the given language.
    pub fn explanation(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.explanation_zh,
            Lang::En => &self.explanation_en,
        }
    }
}

/// A reviewer's judgement, for qualitative and `rank leading` targets.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    /// `Some(true)` met, `Some(false)` not met, `None` not judged yet.
    pub met: Option<bool>,
    /// The reviewer's comment, shown in the explanation when not empty.
    pub comment: String,
}

/// Everything an evaluation may look at.
///
/// Measures are keyed by label: `""` for a single-measure target, the part
/// label inside `all(...)`/`any(...)`. For a rank target the value is the
/// rank (1 = first). Values for years after the `as_of` date's year and
/// non-finite values are ignored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Observations {
    /// Yearly values per measure label.
    pub values: BTreeMap<String, BTreeMap<i32, f64>>,
    /// Yearly benchmark series by name, as written in `benchmark "…"`.
    pub benchmarks: BTreeMap<String, BTreeMap<i32, f64>>,
    /// Reviewer judgements per label.
    pub judgements: BTreeMap<String, Judgement>,
    /// The year by which the target must be met. While the latest value is
    /// for an earlier year, an unmet comparison, eliminate, reduce or
    /// benchmark target is projected to this year (on_track / off_track)
    /// instead of being not_met. Paths use their own last anchor instead.
    pub deadline_year: Option<i32>,
}

impl Observations {
    /// No observations.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add one yearly value for a measure.
    pub fn with_value(mut self, label: &str, year: i32, value: f64) -> Self {
        self.values
            .entry(label.to_string())
            .or_default()
            .insert(year, value);
        self
    }

    /// Add several yearly values for a measure.
    pub fn with_series(mut self, label: &str, points: &[(i32, f64)]) -> Self {
        self.values
            .entry(label.to_string())
            .or_default()
            .extend(points.iter().copied());
        self
    }

    /// Add one yearly value of a benchmark series.
    pub fn with_benchmark(mut self, name: &str, year: i32, value: f64) -> Self {
        self.benchmarks
            .entry(name.to_string())
            .or_default()
            .insert(year, value);
        self
    }

    /// Set the reviewer judgement for a label.
    pub fn with_judgement(mut self, label: &str, met: Option<bool>, comment: &str) -> Self {
        let judgement = Judgement {
            met,
            comment: comment.to_string(),
        };
        self.judgements.insert(label.to_string(), judgement);
        self
    }

    /// Set the deadline year.
    pub fn with_deadline(mut self, year: i32) -> Self {
        self.deadline_year = Some(year);
        self
    }
}

/// Value of the least-squares line through the series' (year, value) points
/// at `year`. One point gives a flat line; no points give `None`.
pub fn project(series: &BTreeMap<i32, f64>, year: i32) -> Option<f64> {
    if series.is_empty() {
        return None;
    }
    let n = series.len() as f64;
    let mean_x = series.keys().map(|&y| f64::from(y)).sum::<f64>() / n;
    let mean_y = series.values().sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (&x, &y) in series {
        let dx = f64::from(x) - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let value = mean_y + slope * (f64::from(year) - mean_x);
    value.is_finite().then_some(value)
}

/// Evaluate `target` with the values known on `as_of`.
///
/// Rules, per form:
/// - comparison, `rank <= N`: the latest value against the threshold; if
///   unmet before the deadline year, the projected value at the deadline
///   decides on_track / off_track.
/// - `eliminate`: met when the latest value is 0.
/// - `reduce P % vs Y`: (value(Y) − latest) / value(Y) ≥ P %.
/// - `path`: the latest value against the path's target for its year, in
///   the path's direction; met / not_met from the last anchor year on.
/// - `trend up|down n years`: the n year-on-year steps ending at the
///   latest year must all be strict (n + 1 consecutive values). Fewer
///   values, all strict so far: on_track (no_data once the deadline year is
///   reached). Any flat or wrong-way step: not_met.
/// - benchmark: the value against the benchmark in the latest year both have.
/// - qualitative, `rank leading`: the reviewer judgement for the label.
/// - `all`: the lowest part status, `any` the highest, on the scale
///   not_met < off_track < no_data < on_track < met.
pub fn evaluate(target: &Target, observations: &Observations, as_of: NaiveDate) -> Evaluation {
    let ctx = Ctx {
        obs: observations,
        last_year: as_of.year(),
    };
    ctx.eval(target, "")
}

struct Ctx<'a> {
    obs: &'a Observations,
    /// Values after this year cannot be known yet and are ignored.
    last_year: i32,
}

/// Explanation text in both languages.
struct Text {
    zh: String,
    en: String,
}

fn finish(status: Status, text: Text) -> Evaluation {
    Evaluation {
        status,
        explanation_zh: format!("{} → {}", text.zh, status.label(Lang::ZhCn)),
        explanation_en: format!("{} → {}", text.en, status.label(Lang::En)),
        per_part: Vec::new(),
    }
}

fn no_data(zh: String, en: String) -> Evaluation {
    Evaluation {
        status: Status::NoData,
        explanation_zh: format!("无数据：{zh}"),
        explanation_en: format!("no data: {en}"),
        per_part: Vec::new(),
    }
}

/// "regional " before a message about a part's measure, nothing for a single measure.
fn measure(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!("{label} ")
    }
}

/// " for regional" in English messages about a part, nothing for a single measure.
fn for_label(label: &str) -> String {
    if label.is_empty() {
        String::new()
    } else {
        format!(" for {label}")
    }
}

fn no_values(label: &str) -> Evaluation {
    no_data(
        format!("{}尚无填报值", measure(label)),
        format!("no value entered{} yet", for_label(label)),
    )
}

/// Whether a projected value at the deadline satisfies `op threshold`.
/// An exact level (`=`) counts as reached when the trend line gets to or
/// across it.
fn reaches(op: Op, projected: f64, threshold: f64, latest: f64) -> bool {
    if op == Op::Eq {
        let crosses = (projected - threshold).signum() != (latest - threshold).signum();
        return op.holds(projected, threshold) || crosses;
    }
    op.holds(projected, threshold)
}

fn on_track_if(ok: bool) -> Status {
    if ok {
        Status::OnTrack
    } else {
        Status::OffTrack
    }
}

fn met_if(ok: bool) -> Status {
    if ok { Status::Met } else { Status::NotMet }
}

impl Ctx<'_> {
    fn known(&self, series: Option<&BTreeMap<i32, f64>>) -> BTreeMap<i32, f64> {
        series
            .into_iter()
            .flatten()
            .filter(|(year, value)| **year <= self.last_year && value.is_finite())
            .map(|(&year, &value)| (year, value))
            .collect()
    }

    fn series(&self, label: &str) -> BTreeMap<i32, f64> {
        self.known(self.obs.values.get(label))
    }

    fn benchmark(&self, name: &str) -> BTreeMap<i32, f64> {
        self.known(self.obs.benchmarks.get(name))
    }

    /// The deadline year if `year` is before it: there is still time.
    fn time_left_after(&self, year: i32) -> Option<i32> {
        self.obs.deadline_year.filter(|&deadline| year < deadline)
    }

    fn eval(&self, target: &Target, label: &str) -> Evaluation {
        match target {
            Target::Compare { op, value, unit } => {
                self.threshold(target, label, *op, *value, *unit)
            }
            Target::Eliminate => self.threshold(target, label, Op::Eq, 0.0, Some(Unit::Count)),
            Target::Rank {
                bound: RankBound::AtMost(n),
                ..
            } => self.threshold(target, label, Op::Le, f64::from(*n), Some(Unit::Rank)),
            Target::Rank {
                bound: RankBound::Leading,
                ..
            }
            | Target::Qualitative { .. } => self.judged(label),
            Target::Reduce {
                percent,
                baseline_year,
            } => self.reduce(label, *percent, *baseline_year),
            Target::Path { anchors, unit } => self.path(target, label, anchors, *unit),
            Target::Trend { direction, years } => self.trend(label, *direction, *years),
            Target::Benchmark { op, name } => self.benchmark_cmp(target, label, *op, name),
            Target::All(parts) => self.group(parts, true),
            Target::Any(parts) => self.group(parts, false),
        }
    }

    /// Latest value against a fixed threshold, projected before the deadline.
    fn threshold(
        &self,
        target: &Target,
        label: &str,
        op: Op,
        threshold: f64,
        unit: Option<Unit>,
    ) -> Evaluation {
        let series = self.series(label);
        let Some((&year, &latest)) = series.last_key_value() else {
            return no_values(label);
        };
        let mut text = Text {
            zh: format!(
                "{year}年：{}，目标{}",
                with_unit(&observed(latest, threshold), unit, Lang::ZhCn),
                explain(target, Lang::ZhCn)
            ),
            en: format!(
                "{year}: {}, target {}",
                with_unit(&observed(latest, threshold), unit, Lang::En),
                explain(target, Lang::En)
            ),
        };
        if op.holds(latest, threshold) {
            return finish(Status::Met, text);
        }
        let Some(deadline) = self.time_left_after(year) else {
            return finish(Status::NotMet, text);
        };
        let Some(projected) = project(&series, deadline) else {
            return finish(Status::NotMet, text);
        };
        let shown = computed(projected, threshold);
        text.zh += &format!(
            "；按趋势预计{deadline}年为{}",
            with_unit(&shown, unit, Lang::ZhCn)
        );
        text.en += &format!(
            "; trend projects {} for {deadline}",
            with_unit(&shown, unit, Lang::En)
        );
        let ok = reaches(op, projected, threshold, latest);
        finish(on_track_if(ok), text)
    }

    fn reduce(&self, label: &str, percent: f64, baseline_year: i32) -> Evaluation {
        let series = self.series(label);
        let m = measure(label);
        let Some(&base) = series.get(&baseline_year) else {
            return no_data(
                format!("{m}缺少{baseline_year}年基准值"),
                format!("no {m}value for the baseline year {baseline_year}"),
            );
        };
        if base <= 0.0 {
            return no_data(
                format!("{m}{baseline_year}年基准值须大于0，现为{}", number(base)),
                format!(
                    "the {m}baseline value for {baseline_year} must be above 0, it is {}",
                    number(base)
                ),
            );
        }
        let Some((&year, &latest)) = series.last_key_value().filter(|(y, _)| **y > baseline_year)
        else {
            return no_data(
                format!("{m}尚无{baseline_year}年以后的数据"),
                format!("no {m}value after {baseline_year}"),
            );
        };
        let achieved = (base - latest) / base;
        let mut text = Text {
            zh: format!(
                "{baseline_year}年基准值{}，{year}年{}，{}（目标削减{}%）",
                number(base),
                number(latest),
                reduction_zh(achieved * 100.0, percent),
                number(percent)
            ),
            en: format!(
                "baseline {baseline_year}: {}, {year}: {}, {} (target {}%)",
                number(base),
                number(latest),
                reduction_en(achieved * 100.0, percent),
                number(percent)
            ),
        };
        let target = percent / 100.0;
        if achieved >= target - TOLERANCE {
            return finish(Status::Met, text);
        }
        let projected = self
            .time_left_after(year)
            .and_then(|deadline| Some((deadline, project(&series, deadline)?)));
        let Some((deadline, projected)) = projected else {
            return finish(Status::NotMet, text);
        };
        let projected_cut = (base - projected) / base;
        text.zh += &format!(
            "；按趋势预计{deadline}年{}",
            reduction_zh(projected_cut * 100.0, percent)
        );
        text.en += &format!(
            "; trend projects {} by {deadline}",
            reduction_en(projected_cut * 100.0, percent)
        );
        finish(on_track_if(projected_cut >= target - TOLERANCE), text)
    }

    fn path(
        &self,
        target: &Target,
        label: &str,
        anchors: &[Anchor],
        unit: Option<Unit>,
    ) -> Evaluation {
        let (Some(first), Some(last)) = (anchors.first(), anchors.last()) else {
            return no_data("路径没有节点".into(), "the path has no anchors".into());
        };
        let series = self.series(label);
        let latest = series
            .last_key_value()
            .filter(|(year, _)| **year >= first.year);
        let Some((&year, &value)) = latest else {
            let m = measure(label);
            return no_data(
                format!("{m}尚无{}年以来的数据", first.year),
                format!("no {m}value since {}", first.year),
            );
        };
        let Some(goal) = path_target(anchors, year) else {
            return no_values(label);
        };
        let on_or_better = match direction(target) {
            Direction::LowerIsBetter => value <= goal + TOLERANCE,
            Direction::HigherIsBetter => value >= goal - TOLERANCE,
            Direction::Judged => (value - goal).abs() <= TOLERANCE,
        };
        let status = if year >= last.year {
            met_if(on_or_better)
        } else {
            on_track_if(on_or_better)
        };
        let shown = computed(goal, value);
        let text = Text {
            zh: format!(
                "{year}年：{}，路径目标{}",
                with_unit(&observed(value, goal), unit, Lang::ZhCn),
                with_unit(&shown, unit, Lang::ZhCn)
            ),
            en: format!(
                "{year}: {}, path target {}",
                with_unit(&observed(value, goal), unit, Lang::En),
                with_unit(&shown, unit, Lang::En)
            ),
        };
        finish(status, text)
    }

    fn trend(&self, label: &str, dir: TrendDirection, years: u32) -> Evaluation {
        let series = self.series(label);
        let Some((&latest_year, _)) = series.last_key_value() else {
            return no_values(label);
        };
        // The run of consecutive years ending at the latest one, oldest
        // first, at most n + 1 values (n steps).
        let mut run: Vec<(i32, f64)> = Vec::new();
        let mut year = latest_year;
        while let Some(&value) = series.get(&year) {
            run.push((year, value));
            match year.checked_sub(1) {
                Some(previous) if run.len() <= years as usize => year = previous,
                _ => break,
            }
        }
        run.reverse();
        let (verb_zh, verb_en) = match dir {
            TrendDirection::Up => ("提高", "rising"),
            TrendDirection::Down => ("下降", "falling"),
        };
        for step in run.windows(2) {
            let ((y0, a), (y1, b)) = (step[0], step[1]);
            let strict = match dir {
                TrendDirection::Up => b > a + TOLERANCE,
                TrendDirection::Down => b < a - TOLERANCE,
            };
            if !strict {
                let text = Text {
                    zh: format!("{y0}年{} → {y1}年{}，未{verb_zh}", number(a), number(b)),
                    en: format!("{y0}: {} → {y1}: {}, not {verb_en}", number(a), number(b)),
                };
                return finish(Status::NotMet, text);
            }
        }
        let steps = run.len().saturating_sub(1);
        let m = measure(label);
        let first_needed = latest_year.saturating_sub(i32::try_from(years).unwrap_or(i32::MAX));
        let first_year = run.first().map_or(latest_year, |r| r.0);
        let gap_year = first_year.saturating_sub(1);
        if steps == 0 {
            return no_data(
                format!("{m}{gap_year}年无数据，至少需要连续两年的数据"),
                format!("no {m}value for {gap_year}; at least two consecutive years are needed"),
            );
        }
        let values: Vec<String> = run.iter().map(|(_, v)| number(*v)).collect();
        let text = Text {
            zh: format!(
                "{}–{latest_year}年：{}，已连续{steps}年逐年{verb_zh}（目标{years}年）",
                first_year,
                values.join(" → ")
            ),
            en: format!(
                "{}–{latest_year}: {}, {verb_en} {steps} years in a row (target {years})",
                first_year,
                values.join(" → ")
            ),
        };
        if steps >= years as usize {
            return finish(Status::Met, text);
        }
        if self.time_left_after(latest_year).is_none() && self.obs.deadline_year.is_some() {
            return no_data(
                format!("{m}需要{first_needed}–{latest_year}年的连续数据，{gap_year}年无数据"),
                format!(
                    "{m}values for {first_needed}–{latest_year} are needed, {gap_year} is missing"
                ),
            );
        }
        finish(Status::OnTrack, text)
    }

    /// Latest value against the benchmark, in the latest year both have.
    fn benchmark_cmp(&self, target: &Target, label: &str, op: Op, name: &str) -> Evaluation {
        let series = self.series(label);
        let bench = self.benchmark(name);
        let Some((&latest_year, _)) = series.last_key_value() else {
            return no_values(label);
        };
        let common = series
            .iter()
            .rev()
            .find_map(|(year, value)| Some((*year, *value, *bench.get(year)?)));
        let Some((year, value, bench_value)) = common else {
            return no_data(
                format!("基准“{name}”缺少{latest_year}年及以前与填报值对应的数据"),
                format!(
                    "benchmark \"{name}\" has no value for {latest_year} or an earlier year with a value"
                ),
            );
        };
        let mut text = Text {
            zh: format!(
                "{year}年：{}，{name}{}，目标{}",
                observed(value, bench_value),
                observed(bench_value, value),
                explain(target, Lang::ZhCn)
            ),
            en: format!(
                "{year}: {}, {name} {}, target {}",
                observed(value, bench_value),
                observed(bench_value, value),
                explain(target, Lang::En)
            ),
        };
        if op.holds(value, bench_value) {
            return finish(Status::Met, text);
        }
        let projected = self.time_left_after(year).and_then(|deadline| {
            Some((
                deadline,
                project(&series, deadline)?,
                project(&bench, deadline)?,
            ))
        });
        let Some((deadline, mine, theirs)) = projected else {
            return finish(Status::NotMet, text);
        };
        text.zh += &format!(
            "；按趋势预计{deadline}年为{}（{name}{}）",
            computed(mine, theirs),
            computed(theirs, mine)
        );
        text.en += &format!(
            "; trend projects {} for {deadline} ({name} {})",
            computed(mine, theirs),
            computed(theirs, mine)
        );
        finish(on_track_if(reaches(op, mine, theirs, value)), text)
    }

    /// Qualitative and `rank leading` targets: what the reviewers said.
    fn judged(&self, label: &str) -> Evaluation {
        let judgement = self.obs.judgements.get(label);
        let Some((met, comment)) = judgement.and_then(|j| Some((j.met?, j.comment.as_str())))
        else {
            return no_data(
                format!("{}尚无评审判定", measure(label)),
                format!("no reviewer judgement{} yet", for_label(label)),
            );
        };
        let text = if comment.is_empty() {
            Text {
                zh: "评审判定".into(),
                en: "reviewer judgement".into(),
            }
        } else {
            Text {
                zh: format!("评审判定（{comment}）"),
                en: format!("reviewer judgement ({comment})"),
            }
        };
        finish(met_if(met), text)
    }

    fn group(&self, parts: &[Part], all: bool) -> Evaluation {
        let per_part: Vec<(String, Evaluation)> = parts
            .iter()
            .map(|p| (p.label.clone(), self.eval(&p.target, &p.label)))
            .collect();
        let statuses = per_part.iter().map(|(_, e)| e.status);
        let status = if all {
            statuses.min_by_key(|s| s.order())
        } else {
            statuses.max_by_key(|s| s.order())
        };
        let Some(status) = status else {
            return no_data("没有分项".into(), "there are no parts".into());
        };
        let summary = |lang: Lang| -> String {
            parts
                .iter()
                .zip(&per_part)
                .map(|(p, (_, e))| {
                    // Readers know a part by its name in either language (as `explain`
                    // writes it); the label is the data's key.
                    let name = p.name.as_deref().unwrap_or(p.label.as_str());
                    let sep = if lang == Lang::ZhCn { "：" } else { ": " };
                    format!("{name}{sep}{}", e.status.label(lang))
                })
                .collect::<Vec<_>>()
                .join(if lang == Lang::ZhCn { "；" } else { "; " })
        };
        let text = Text {
            zh: format!(
                "{}（{}）",
                if all { "全部满足" } else { "满足其一" },
                summary(Lang::ZhCn)
            ),
            en: format!(
                "{} ({})",
                if all { "all of" } else { "any of" },
                summary(Lang::En)
            ),
        };
        let mut evaluation = finish(status, text);
        evaluation.per_part = per_part;
        evaluation
    }
}

fn reduction_zh(achieved_percent: f64, target_percent: f64) -> String {
    if achieved_percent < 0.0 {
        format!("不降反增{}%", computed(-achieved_percent, -target_percent))
    } else {
        format!("削减{}%", computed(achieved_percent, target_percent))
    }
}

fn reduction_en(achieved_percent: f64, target_percent: f64) -> String {
    if achieved_percent < 0.0 {
        format!(
            "increased {}%",
            computed(-achieved_percent, -target_percent)
        )
    } else {
        format!("reduced {}%", computed(achieved_percent, target_percent))
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse;
    use super::*;

    fn date(y: i32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, 12, 31).unwrap_or_default()
    }

    fn eval(s: &str, obs: &Observations, year: i32) -> Evaluation {
        match parse(s) {
            Ok(t) => evaluate(&t, obs, date(year)),
            Err(e) => panic!("{s:?}: {e}"),
        }
    }

    fn status(s: &str, obs: &Observations, year: i32) -> Status {
        eval(s, obs, year).status
    }

    #[test]
    fn project_fits_a_least_squares_line() {
        let mut s = BTreeMap::new();
        assert_eq!(project(&s, 2015), None);
        s.insert(2013, 90.0);
        assert_eq!(project(&s, 2016), Some(90.0));
        s.insert(2014, 92.0);
        s.insert(2015, 94.0);
        let p = project(&s, 2016).unwrap_or(f64::NAN);
        assert!((p - 96.0).abs() < 1e-9, "{p}");
        // Noisy points: slope 1.5 through the mean point (2014, 91.666…).
        s.insert(2015, 93.0);
        let p = project(&s, 2017).unwrap_or(f64::NAN);
        assert!((p - (91.0 + 2.0 / 3.0 + 1.5 * 3.0)).abs() < 1e-9, "{p}");
    }

    #[test]
    fn comparison_met_not_met_and_projection() {
        let obs = Observations::new().with_series("", &[(2013, 93.0), (2014, 93.6)]);
        let e = eval(">= 94 %", &obs, 2014);
        assert_eq!(e.status, Status::NotMet);
        assert_eq!(e.explanation_zh, "2014年：93.6%，目标不低于94% → 未达标");
        assert_eq!(
            e.explanation_en,
            "2014: 93.6%, target at least 94% → not met"
        );

        let with_deadline = obs.clone().with_deadline(2015);
        let e = eval(">= 94 %", &with_deadline, 2014);
        assert_eq!(e.status, Status::OnTrack);
        assert_eq!(
            e.explanation_en,
            "2014: 93.6%, target at least 94%; trend projects 94.2% for 2015 → on track"
        );
        assert_eq!(
            e.explanation_zh,
            "2014年：93.6%，目标不低于94%；按趋势预计2015年为94.2% → 进度正常"
        );
        assert_eq!(status(">= 95 %", &with_deadline, 2014), Status::OffTrack);
        assert_eq!(status(">= 93.6 %", &with_deadline, 2014), Status::Met);
        // Values after the as_of year are not known yet.
        let later = with_deadline.with_value("", 2015, 99.0);
        assert_eq!(status(">= 95 %", &later, 2014), Status::OffTrack);
        assert_eq!(status(">= 95 %", &later, 2015), Status::Met);
    }

    #[test]
    fn exact_level_is_on_track_when_the_trend_reaches_it() {
        let obs = Observations::new()
            .with_series("", &[(2013, 96.0), (2014, 98.0)])
            .with_deadline(2016);
        assert_eq!(status("= 100 %", &obs, 2014), Status::OnTrack);
        let slow = Observations::new()
            .with_series("", &[(2013, 96.0), (2014, 96.5)])
            .with_deadline(2016);
        assert_eq!(status("= 100 %", &slow, 2014), Status::OffTrack);
    }

    #[test]
    fn missing_values_are_no_data() {
        let e = eval(">= 96 %", &Observations::new(), 2015);
        assert_eq!(e.status, Status::NoData);
        assert_eq!(e.explanation_zh, "无数据：尚无填报值");
        assert_eq!(e.explanation_en, "no data: no value entered yet");
        let part = eval(
            "all(a: >= 1; b: qualitative \"x\")",
            &Observations::new(),
            2015,
        );
        assert_eq!(
            part.per_part[0].1.explanation_en,
            "no data: no value entered for a yet"
        );
        assert_eq!(part.per_part[1].1.explanation_zh, "无数据：b 尚无评审判定");
    }

    #[test]
    fn eliminate_needs_zero() {
        let obs = Observations::new().with_series("", &[(2013, 3.0), (2014, 1.0)]);
        assert_eq!(status("eliminate", &obs, 2014), Status::NotMet);
        assert_eq!(
            status("eliminate", &obs.clone().with_deadline(2015), 2014),
            Status::OnTrack
        );
        let done = obs.with_value("", 2015, 0.0);
        let e = eval("eliminate", &done, 2015);
        assert_eq!(e.status, Status::Met);
        assert_eq!(e.explanation_zh, "2015年：0个，目标消除（降至0） → 达标");
    }

    #[test]
    fn reduce_against_the_baseline() {
        let obs = Observations::new().with_series("", &[(2010, 1000.0), (2015, 850.0)]);
        let e = eval("reduce 14.8 % vs 2010", &obs, 2015);
        assert_eq!(e.status, Status::Met);
        assert_eq!(
            e.explanation_zh,
            "2010年基准值1000，2015年850，削减15%（目标削减14.8%） → 达标"
        );
        assert_eq!(
            e.explanation_en,
            "baseline 2010: 1000, 2015: 850, reduced 15% (target 14.8%) → met"
        );
        // Exactly 14.8 % (float noise included) is met.
        let exact = Observations::new().with_series("", &[(2010, 1000.0), (2015, 852.0)]);
        assert_eq!(status("reduce 14.8 % vs 2010", &exact, 2015), Status::Met);
        let short = Observations::new().with_series("", &[(2010, 1000.0), (2015, 852.1)]);
        let e = eval("reduce 14.8 % vs 2010", &short, 2015);
        assert_eq!(e.status, Status::NotMet);
        assert!(
            e.explanation_en.contains("reduced 14.79%"),
            "{}",
            e.explanation_en
        );
        let up = Observations::new().with_series("", &[(2010, 1000.0), (2015, 1100.0)]);
        assert!(
            eval("reduce 14.8 % vs 2010", &up, 2015)
                .explanation_zh
                .contains("不降反增10%")
        );
    }

    #[test]
    fn reduce_projection_and_missing_data() {
        let obs = Observations::new()
            .with_series("", &[(2010, 1000.0), (2012, 940.0), (2013, 900.0)])
            .with_deadline(2015);
        let e = eval("reduce 14.8 % vs 2010", &obs, 2013);
        assert_eq!(e.status, Status::OnTrack, "{}", e.explanation_en);
        assert_eq!(status("reduce 30 % vs 2010", &obs, 2013), Status::OffTrack);
        let no_base = Observations::new().with_value("", 2015, 850.0);
        let e = eval("reduce 14.8 % vs 2010", &no_base, 2015);
        assert_eq!(e.status, Status::NoData);
        assert_eq!(e.explanation_zh, "无数据：缺少2010年基准值");
        let only_base = Observations::new().with_value("", 2010, 850.0);
        assert_eq!(
            status("reduce 14.8 % vs 2010", &only_base, 2015),
            Status::NoData
        );
        let zero_base = Observations::new().with_series("", &[(2010, 0.0), (2015, 0.0)]);
        assert_eq!(
            status("reduce 14.8 % vs 2010", &zero_base, 2015),
            Status::NoData
        );
    }

    #[test]
    fn path_follows_the_interpolated_target() {
        let pm25 = "path 2013: 108 -> 2016: 95 ug/m3";
        let obs =
            Observations::new().with_series("", &[(2013, 108.0), (2014, 103.5), (2015, 101.0)]);
        let e = eval(pm25, &obs, 2015);
        assert_eq!(e.status, Status::OffTrack);
        assert_eq!(
            e.explanation_en,
            "2015: 101 µg/m³, path target 99.3 µg/m³ → off track"
        );
        assert_eq!(
            e.explanation_zh,
            "2015年：101 µg/m³，路径目标99.3 µg/m³ → 偏离"
        );
        assert_eq!(status(pm25, &obs, 2014), Status::OnTrack);
        let done = obs.clone().with_value("", 2016, 95.0);
        assert_eq!(status(pm25, &done, 2016), Status::Met);
        let missed = obs.clone().with_value("", 2016, 95.5);
        assert_eq!(status(pm25, &missed, 2016), Status::NotMet);
        let after = obs.with_value("", 2018, 96.0);
        assert_eq!(status(pm25, &after, 2018), Status::NotMet);
        let early = Observations::new().with_value("", 2012, 80.0);
        let e = eval(pm25, &early, 2015);
        assert_eq!(e.status, Status::NoData);
        assert_eq!(e.explanation_en, "no data: no value since 2013");
    }

    #[test]
    fn rising_path() {
        let t = "path 2014: 60 -> 2016: 80 %";
        let obs = Observations::new().with_value("", 2015, 70.0);
        assert_eq!(status(t, &obs, 2015), Status::OnTrack);
        let obs = Observations::new().with_value("", 2015, 69.9);
        assert_eq!(status(t, &obs, 2015), Status::OffTrack);
    }

    #[test]
    fn trend_counts_steps_not_values() {
        let t = "trend up 3 years";
        let four = Observations::new().with_series(
            "",
            &[
                (2011, 70.0),
                (2012, 80.0),
                (2013, 81.0),
                (2014, 83.0),
                (2015, 85.0),
            ],
        );
        let e = eval(t, &four, 2015);
        assert_eq!(e.status, Status::Met);
        assert_eq!(
            e.explanation_zh,
            "2012–2015年：80 → 81 → 83 → 85，已连续3年逐年提高（目标3年） → 达标"
        );
        // A flat step in the window fails; one before the window does not.
        let flat = four.clone().with_value("", 2013, 80.0);
        let e = eval(t, &flat, 2015);
        assert_eq!(e.status, Status::NotMet);
        assert_eq!(
            e.explanation_en,
            "2012: 80 → 2013: 80, not rising → not met"
        );
        let flat_before = four.with_value("", 2011, 80.0);
        assert_eq!(status(t, &flat_before, 2015), Status::Met);

        let three_values =
            Observations::new().with_series("", &[(2013, 1.0), (2014, 2.0), (2015, 3.0)]);
        assert_eq!(status(t, &three_values, 2015), Status::OnTrack);
        let at_deadline = three_values.clone().with_deadline(2015);
        assert_eq!(status(t, &at_deadline, 2015), Status::NoData);
        let one = Observations::new().with_value("", 2015, 1.0);
        assert_eq!(status(t, &one, 2015), Status::NoData);
        // A gap breaks the run: only 2014–2015 count.
        let gap = Observations::new()
            .with_series("", &[(2011, 1.0), (2012, 2.0), (2014, 3.0), (2015, 4.0)]);
        assert_eq!(status(t, &gap, 2015), Status::OnTrack);
        assert_eq!(status("trend down 1 year", &gap, 2015), Status::NotMet);
    }

    #[test]
    fn rank_and_leading() {
        let t = "rank <= 10 among \"全国同等城市\"";
        let obs = Observations::new().with_value("", 2014, 8.0);
        let e = eval(t, &obs, 2014);
        assert_eq!(e.status, Status::Met);
        assert_eq!(
            e.explanation_zh,
            "2014年：第8名，目标在全国同等城市中位居前10名 → 达标"
        );
        let obs = Observations::new().with_value("", 2014, 11.0);
        assert_eq!(status(t, &obs, 2014), Status::NotMet);

        let leading = "rank leading among \"全国同级城市\"";
        assert_eq!(status(leading, &obs, 2014), Status::NoData);
        let judged = obs.with_judgement("", Some(true), "第三方测评第5名");
        let e = eval(leading, &judged, 2014);
        assert_eq!(e.status, Status::Met);
        assert_eq!(e.explanation_zh, "评审判定（第三方测评第5名） → 达标");
    }

    #[test]
    fn benchmark_uses_the_latest_common_year() {
        let t = "< benchmark \"全国平均水平\"";
        let obs = Observations::new()
            .with_value("", 2014, 0.2)
            .with_value("", 2015, 0.5)
            .with_benchmark("全国平均水平", 2014, 0.39);
        let e = eval(t, &obs, 2015);
        assert_eq!(e.status, Status::Met);
        assert_eq!(
            e.explanation_zh,
            "2014年：0.2，全国平均水平0.39，目标低于全国平均水平 → 达标"
        );
        assert_eq!(
            e.explanation_en,
            "2014: 0.2, 全国平均水平 0.39, target below 全国平均水平 → met"
        );
        let worse = obs.clone().with_benchmark("全国平均水平", 2015, 0.4);
        assert_eq!(status(t, &worse, 2015), Status::NotMet);
        let no_bench = Observations::new().with_value("", 2014, 0.2);
        assert_eq!(status(t, &no_bench, 2015), Status::NoData);
        let equal = Observations::new()
            .with_value("", 2014, 0.39)
            .with_benchmark("全国平均水平", 2014, 0.39);
        assert_eq!(status(t, &equal, 2014), Status::NotMet);
        assert_eq!(
            status("<= benchmark \"全国平均水平\"", &equal, 2014),
            Status::Met
        );
    }

    #[test]
    fn qualitative_follows_the_reviewer() {
        let t = "qualitative \"有创新\"";
        assert_eq!(status(t, &Observations::new(), 2015), Status::NoData);
        let no = Observations::new().with_judgement("", Some(false), "");
        let e = eval(t, &no, 2015);
        assert_eq!(e.status, Status::NotMet);
        assert_eq!(e.explanation_en, "reviewer judgement → not met");
        let pending = Observations::new().with_judgement("", None, "待复核");
        assert_eq!(status(t, &pending, 2015), Status::NoData);
    }

    #[test]
    fn all_takes_the_worst_part_and_any_the_best() {
        let all = "all(a: >= 1 count; b: >= 1 count)";
        let any = "any(a: >= 1 count; b: >= 1 count)";
        let case = |a: Option<f64>, b: Option<f64>| {
            let mut obs = Observations::new();
            if let Some(v) = a {
                obs = obs.with_value("a", 2014, v);
            }
            if let Some(v) = b {
                obs = obs.with_value("b", 2014, v);
            }
            (status(all, &obs, 2014), status(any, &obs, 2014))
        };
        assert_eq!(case(Some(1.0), Some(1.0)), (Status::Met, Status::Met));
        assert_eq!(case(Some(1.0), Some(0.0)), (Status::NotMet, Status::Met));
        assert_eq!(case(Some(0.0), Some(0.0)), (Status::NotMet, Status::NotMet));
        assert_eq!(case(Some(1.0), None), (Status::NoData, Status::Met));
        assert_eq!(case(Some(0.0), None), (Status::NotMet, Status::NoData));
        assert_eq!(case(None, None), (Status::NoData, Status::NoData));
    }

    #[test]
    fn group_on_and_off_track() {
        let all = "all(a: >= 10; b: >= 10)";
        let obs = Observations::new()
            .with_series("a", &[(2013, 8.0), (2014, 9.0)])
            .with_series("b", &[(2013, 8.0), (2014, 8.1)])
            .with_deadline(2015);
        let e = eval(all, &obs, 2014);
        assert_eq!(e.status, Status::OffTrack);
        assert_eq!(e.per_part.len(), 2);
        assert_eq!(e.per_part[0].0, "a");
        assert_eq!(e.per_part[0].1.status, Status::OnTrack);
        assert_eq!(e.per_part[1].1.status, Status::OffTrack);
        assert_eq!(
            e.explanation_en,
            "all of (a: on track; b: off track) → off track"
        );
        assert_eq!(
            status("any(a: >= 10; b: >= 10)", &obs, 2014),
            Status::OnTrack
        );
    }

    #[test]
    fn group_explanation_uses_chinese_names() {
        let t = "all(regional \"区域环境噪声\": <= 56 dB(A); road \"道路交通噪声\": <= 68 dB(A))";
        let obs = Observations::new()
            .with_value("regional", 2014, 55.2)
            .with_value("road", 2014, 68.4);
        let e = eval(t, &obs, 2014);
        assert_eq!(e.status, Status::NotMet);
        assert_eq!(
            e.explanation_zh,
            "全部满足（区域环境噪声：达标；道路交通噪声：未达标） → 未达标"
        );
        assert_eq!(
            e.per_part[1].1.explanation_en,
            "2014: 68.4 dB(A), target at most 68 dB(A) → not met"
        );
        assert_eq!(
            e.explanation_en,
            "all of (区域环境噪声: met; 道路交通噪声: not met) → not met"
        );
    }

    #[test]
    fn non_finite_observations_are_ignored() {
        let obs = Observations::new()
            .with_value("", 2014, 97.0)
            .with_value("", 2015, f64::NAN);
        assert_eq!(status(">= 96 %", &obs, 2015), Status::Met);
    }

    #[test]
    fn status_serialises_snake_case() {
        #[derive(Serialize)]
        struct Row {
            status: Status,
        }
        let text = toml::to_string(&Row {
            status: Status::OffTrack,
        });
        assert_eq!(text.ok().as_deref(), Some("status = \"off_track\"\n"));
    }
}
