//! Unit performance assessment (成员单位绩效考核): a scoring scheme held as
//! data, and a score per unit and period that explains every point.
//!
//! No official assessment method for the district was found, so the weights
//! are not code: they live in a TOML [`Scheme`] with a shipped default
//! ([`DEFAULT_SCHEME_TOML`]) whose notes say why each weight was chosen and
//! that it is QCity's assumption. The office may edit it or load its own,
//! as TOML or as a workbook of one setting per row ([`Scheme::to_rows`],
//! [`Scheme::from_rows`]), which refuses the whole table if any row is bad,
//! naming each bad row.
//!
//! The store counts plain numbers per unit and period ([`UnitFacts`]); this
//! module turns them into a [`UnitScore`] whose lines ([`ScoreLine`]) each say
//! what was counted and how many points it gave, in Chinese and English. The
//! points of the lines add up to the total, so a clerk can check a score by
//! hand and a unit can see why it got it.
//!
//! A part with nothing to count in the period (no obligation due, no indicator
//! with data, no rating …) is not scored 0: its weight is shared out among the
//! parts that have data in proportion to their weights. Scoring it 0 would
//! punish a unit for the plan giving it no such work; counting it full would
//! reward the same. Redistributing keeps every unit out of the same 100, and
//! the line of each affected part says so.
//!
//! ```
//! use qcity_domain::assessment::{Scheme, UnitFacts};
//! let scheme = Scheme::default_scheme();
//! let facts = UnitFacts {
//!     obligations_due: 20,
//!     obligations_on_time: 18,
//!     reports_due: 10,
//!     reports_on_time: 10,
//!     reports_submitted: 10,
//!     indicators_with_data: 4,
//!     indicators_met: 4,
//!     ratings: vec![(9.0, 10.0)],
//!     red_notices: 1,
//!     ..UnitFacts::default()
//! };
//! let score = scheme.score(&facts);
//! // 30 × 0.9 + 15 + 25 + 10 + 20 × 0.9 − 2 = 93
//! assert!((score.total - 93.0).abs() < 1e-9);
//! assert!(score.parts[0].zh.contains("按时完成 18/20 项"));
//! ```

#[cfg(test)]
mod tests;

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::plan::Diagnostic;
use crate::rules::{self, Column, Rules, num, num_exact};
use crate::supervision::{NoticeCounts, Tally};
use crate::target::{Lang, TOLERANCE};

/// The default scheme: QCity's assumption, explained in its notes.
pub const DEFAULT_SCHEME_TOML: &str = include_str!("../assessment/default.toml");

static DEFAULT_SCHEME: LazyLock<Scheme> =
    LazyLock::new(|| match Scheme::load(DEFAULT_SCHEME_TOML) {
        Ok(scheme) => scheme,
        // The embedded file is fixed at build time; the test
        // `default_scheme_loads_and_validates` proves this arm is never taken.
        Err(diagnostics) => {
            panic!("the embedded default assessment scheme does not load: {diagnostics:?}")
        }
    });

/// The points all weights must add up to: a score is out of 100.
pub const FULL_MARKS: f64 = 100.0;

/// How close the weights' sum must come to [`FULL_MARKS`]: loose enough for
/// decimal weights such as 33.3 + 33.3 + 33.4, tight enough to catch a typo.
const SUM_TOLERANCE: f64 = 1e-6;

/// One part of a unit's score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// 按时完成任务: the share of the unit's obligations due in the period
    /// that were completed (accepted by the office) on or before their due date.
    OnTime,
    /// 报送及时: the share of the reports due from the unit in the period that
    /// were handed in on or before their due date. A report handed in late or
    /// not at all is not timely; the due date itself is still on time.
    Timeliness,
    /// 指标达成: the share of the unit's indicators that are met or on track,
    /// among those with data. Indicators without data are left out here (they
    /// are a reporting problem, not a result), so they neither help nor hurt.
    Indicators,
    /// 报送质量: one minus the share of the unit's reports handed in during the
    /// period that the office returned for rework (退回).
    Returns,
    /// 评议: the evaluators' mean rating as a share of the rating scale; each
    /// rating is divided by its own maximum first, so scales may differ.
    Ratings,
}

impl Component {
    /// Every part, in the order a score lists them.
    pub const ALL: [Component; 5] = [
        Component::OnTime,
        Component::Timeliness,
        Component::Indicators,
        Component::Returns,
        Component::Ratings,
    ];

    /// The key used in the scheme file (`on_time`).
    pub fn key(self) -> &'static str {
        match self {
            Component::OnTime => "on_time",
            Component::Timeliness => "timeliness",
            Component::Indicators => "indicators",
            Component::Returns => "returns",
            Component::Ratings => "ratings",
        }
    }

    /// Short label: "按时完成任务" / "On-time completion".
    pub fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Component::OnTime, Lang::ZhCn) => "按时完成任务",
            (Component::Timeliness, Lang::ZhCn) => "报送及时",
            (Component::Indicators, Lang::ZhCn) => "指标达成",
            (Component::Returns, Lang::ZhCn) => "报送质量",
            (Component::Ratings, Lang::ZhCn) => "评议得分",
            (Component::OnTime, Lang::En) => "On-time completion",
            (Component::Timeliness, Lang::En) => "Reporting timeliness",
            (Component::Indicators, Lang::En) => "Indicator achievement",
            (Component::Returns, Lang::En) => "Report quality",
            (Component::Ratings, Lang::En) => "Evaluators' ratings",
        }
    }

    /// What the part measures, for explaining the scheme on the page.
    pub fn definition(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Component::OnTime, Lang::ZhCn) => {
                "本期到期的本单位任务中，在完成时限当日或之前完成并通过审核的比例"
            }
            (Component::Timeliness, Lang::ZhCn) => {
                "本期应报送的材料中，在报送时限当日或之前报送的比例；逾期报送或未报送的均不算及时"
            }
            (Component::Indicators, Lang::ZhCn) => {
                "本单位负责且有数据的指标中，已达标或进度正常的比例；无数据的指标不计入"
            }
            (Component::Returns, Lang::ZhCn) => "1 减去本期报送材料中被强区办退回修改的比例",
            (Component::Ratings, Lang::ZhCn) => {
                "评议人（人大代表、政协委员）评分的平均得分率（每份评分先除以其满分）"
            }
            (Component::OnTime, Lang::En) => {
                "of the unit's obligations due in the period, the share completed and accepted on or before the due date"
            }
            (Component::Timeliness, Lang::En) => {
                "of the reports due in the period, the share handed in on or before the due date; late or missing reports are not timely"
            }
            (Component::Indicators, Lang::En) => {
                "of the unit's indicators with data, the share met or on track; indicators without data are left out"
            }
            (Component::Returns, Lang::En) => {
                "one minus the share of the reports handed in during the period that the office returned for rework"
            }
            (Component::Ratings, Lang::En) => {
                "the evaluators' mean rating as a share of the scale (each rating divided by its own maximum)"
            }
        }
    }
}

/// Points per part; they add up to [`FULL_MARKS`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Weights {
    /// [`Component::OnTime`].
    pub on_time: f64,
    /// [`Component::Timeliness`].
    pub timeliness: f64,
    /// [`Component::Indicators`].
    pub indicators: f64,
    /// [`Component::Returns`].
    pub returns: f64,
    /// [`Component::Ratings`].
    pub ratings: f64,
}

impl Weights {
    /// The weight of one part.
    pub fn get(&self, component: Component) -> f64 {
        match component {
            Component::OnTime => self.on_time,
            Component::Timeliness => self.timeliness,
            Component::Indicators => self.indicators,
            Component::Returns => self.returns,
            Component::Ratings => self.ratings,
        }
    }

    /// The sum of all weights.
    pub fn total(&self) -> f64 {
        Component::ALL.iter().map(|c| self.get(*c)).sum()
    }
}

/// An assessment scheme, read from TOML (see [`DEFAULT_SCHEME_TOML`] for the
/// shape). Read it with [`Scheme::load`], which also runs [`Scheme::validate`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scheme {
    /// The scheme's name, shown with every score.
    pub name: String,
    /// Why these weights, in Chinese; says whether they are an assumption.
    pub note_zh: String,
    /// Why these weights, in English.
    pub note_en: String,
    /// Points deducted per red notice (红色通报) in the period; 0: none.
    pub red_notice_deduction: f64,
    /// The most red notices may deduct in all; absent: no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub red_notice_cap: Option<f64>,
    /// Points per part.
    pub weights: Weights,
}

/// What the store counts for one unit and one period: plain numbers, so the
/// scoring is pure and a test can state them by hand.
///
/// Counts that contradict each other (more on time than due) are capped when
/// scoring, never trusted beyond their denominator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitFacts {
    /// 应完成 of the obligations the unit leads, counted in the period (due in it, or closed
    /// in it though due later).
    pub obligations_due: u32,
    /// Of those, handed in by their due date (按时, as on every page).
    pub obligations_on_time: u32,
    /// 应完成 of every obligation of the unit (lead or undertaking) in the period: one report
    /// each.
    pub reports_due: u32,
    /// Of those, handed in on or before their due date.
    pub reports_on_time: u32,
    /// Of those, handed in after their due date (the rest were not handed in).
    pub reports_late: u32,
    /// Reports the unit handed in during the period, on time or not.
    pub reports_submitted: u32,
    /// Of those, returned by the office for rework (退回).
    pub reports_returned: u32,
    /// The unit's indicators with data for the period.
    pub indicators_with_data: u32,
    /// Of those, met.
    pub indicators_met: u32,
    /// Of those, not met yet but on track.
    pub indicators_on_track: u32,
    /// Evaluators' ratings as (score, maximum of its scale); a rating whose
    /// maximum is not positive, or that is not a number, is left out.
    pub ratings: Vec<(f64, f64)>,
    /// Red notices (红色通报) the unit received in the period.
    pub red_notices: u32,
    /// Yellow notices (督办) the unit received in the period; shown, not scored.
    #[serde(default)]
    pub yellow_notices: u32,
    /// Blue notices (催办) the unit received in the period; shown, not scored.
    #[serde(default)]
    pub blue_notices: u32,
}

impl UnitFacts {
    /// Sets the supervision counts from the one definition of each figure (`docs/figures.md`):
    /// `lead` tallies the period's obligations the unit leads, `all` every obligation it has
    /// (lead or undertaking), both counting only what entered 应完成 in the period.
    pub fn set_supervision(&mut self, lead: &Tally, all: &Tally, notices: NoticeCounts) {
        let n = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        self.obligations_due = n(lead.expected);
        self.obligations_on_time = n(lead.on_time);
        self.reports_due = n(all.expected);
        self.reports_on_time = n(all.on_time);
        self.reports_late = n(all.late);
        self.red_notices = notices.red;
        self.yellow_notices = notices.yellow;
        self.blue_notices = notices.blue;
    }
}

/// One line of a score's drill-down: what was counted and the points it gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScoreLine {
    /// The part this line scores; `None` for deductions and adjustments.
    pub component: Option<Component>,
    /// The line in Chinese, e.g. "按时完成 18/20 项 → 30 × 0.90 = 27 分".
    pub zh: String,
    /// The line in English.
    pub en: String,
    /// Points this line adds (negative for deductions); unrounded.
    pub points: f64,
    /// The most this line could have given (after redistribution); 0 for
    /// deductions, adjustments and parts without data.
    pub max: f64,
}

impl ScoreLine {
    /// The line in a language.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// A unit's score for a period, with every step that led to it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitScore {
    /// The score, within `0..=100`; exactly the sum of the lines' points.
    pub total: f64,
    /// One line per part (in [`Component::ALL`] order), then the red-notice
    /// deduction and any clamping.
    pub parts: Vec<ScoreLine>,
}

/// A part's measured share, with what was counted.
struct Measured {
    share: f64,
    zh: String,
    en: String,
}

impl Rules for Scheme {
    const NAME_EN: &'static str = "the assessment scheme";
    const NAME_ZH: &'static str = "考核方案";

    fn shipped() -> Scheme {
        Scheme::default_scheme()
    }

    fn validate(&self) -> Result<(), Vec<Diagnostic>> {
        Scheme::validate(self)
    }
}

impl Scheme {
    /// The shipped default scheme ([`DEFAULT_SCHEME_TOML`]).
    pub fn default_scheme() -> Scheme {
        DEFAULT_SCHEME.clone()
    }

    /// Reads a scheme: TOML syntax and shape (unknown or missing fields,
    /// wrong types). The one error carries its line. Does not validate.
    pub fn from_toml(src: &str) -> Result<Scheme, Diagnostic> {
        rules::read(src)
    }

    /// Reads and validates a scheme; every problem found is returned.
    pub fn load(src: &str) -> Result<Scheme, Vec<Diagnostic>> {
        rules::load(src)
    }

    /// The scheme as TOML, for export and editing; [`Scheme::load`] reads it back.
    pub fn to_toml(&self) -> String {
        rules::write(self)
    }

    /// Refuses schemes that cannot score sensibly: empty texts, weights that
    /// are negative, not numbers or do not add up to 100, and deductions out
    /// of range.
    pub fn validate(&self) -> Result<(), Vec<Diagnostic>> {
        let mut out = Vec::new();
        for (field, text) in [
            ("name", &self.name),
            ("note_zh", &self.note_zh),
            ("note_en", &self.note_en),
        ] {
            if text.trim().is_empty() {
                out.push(Diagnostic::error(
                    field,
                    format!(
                        "{field} is empty: name the scheme and say why its weights were chosen"
                    ),
                    format!("{field} 为空：请写明方案名称，并说明各项权重的依据"),
                ));
            }
        }

        let mut weights_ok = true;
        for c in Component::ALL {
            let w = self.weights.get(c);
            if !w.is_finite() || !(0.0..=FULL_MARKS).contains(&w) {
                weights_ok = false;
                out.push(Diagnostic::error(
                    format!("weights.{}", c.key()),
                    format!(
                        "the weight of “{}” is {w}; it must be a number between 0 and {}",
                        c.label(Lang::En),
                        num(FULL_MARKS)
                    ),
                    format!(
                        "“{}”的权重为 {w}，应为 0 至 {} 之间的数",
                        c.label(Lang::ZhCn),
                        num(FULL_MARKS)
                    ),
                ));
            }
        }
        let sum = self.weights.total();
        if weights_ok && (sum - FULL_MARKS).abs() > SUM_TOLERANCE {
            let parts: Vec<String> = Component::ALL
                .iter()
                .map(|c| num_exact(self.weights.get(*c)))
                .collect();
            out.push(Diagnostic::error(
                "weights",
                format!(
                    "the weights add up to {} ({}), not {}",
                    num_exact(sum),
                    parts.join(" + "),
                    num(FULL_MARKS)
                ),
                format!(
                    "各项权重合计 {}（{}），应为 {} 分",
                    num_exact(sum),
                    parts.join(" + "),
                    num(FULL_MARKS)
                ),
            ));
        }

        let d = self.red_notice_deduction;
        if !d.is_finite() || !(0.0..=FULL_MARKS).contains(&d) {
            out.push(Diagnostic::error(
                "red_notice_deduction",
                format!(
                    "red_notice_deduction is {d}; it must be between 0 and {}",
                    num(FULL_MARKS)
                ),
                format!(
                    "red_notice_deduction（每次红色通报扣分）为 {d}，应在 0 至 {} 之间",
                    num(FULL_MARKS)
                ),
            ));
        }
        if let Some(cap) = self.red_notice_cap
            && (!cap.is_finite() || cap <= 0.0 || cap > FULL_MARKS)
        {
            out.push(Diagnostic::error(
                "red_notice_cap",
                format!(
                    "red_notice_cap is {cap}; it must be more than 0 and at most {} (leave it out for no limit)",
                    num(FULL_MARKS)
                ),
                format!(
                    "red_notice_cap（红色通报扣分上限）为 {cap}，应大于 0 且不超过 {}（不设上限请删去此项）",
                    num(FULL_MARKS)
                ),
            ));
        }

        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    /// Scores one unit for one period.
    ///
    /// Each part with data gives `weight × share` points; the weights of parts
    /// without data are shared out among the parts with data in proportion to
    /// their weights (the line says so). Red notices then deduct points, up to
    /// the cap; a total below 0 is counted as 0. Works on unvalidated schemes
    /// too (without panicking), though the result is only meaningful for
    /// schemes that pass [`Scheme::validate`].
    pub fn score(&self, facts: &UnitFacts) -> UnitScore {
        let weight = |c: Component| {
            let w = self.weights.get(c);
            if w.is_finite() && w > 0.0 { w } else { 0.0 }
        };
        let measured: Vec<(Component, Option<Measured>)> = Component::ALL
            .iter()
            .map(|c| (*c, measure(*c, facts)))
            .collect();
        let full: f64 = Component::ALL.iter().map(|c| weight(*c)).sum();
        let with_data: f64 = measured
            .iter()
            .filter(|(_, m)| m.is_some())
            .map(|(c, _)| weight(*c))
            .sum();
        let redistributed = with_data > 0.0 && full - with_data > SUM_TOLERANCE;

        let mut parts = Vec::new();
        for (c, m) in &measured {
            let (zh_label, en_label) = (c.label(Lang::ZhCn), c.label(Lang::En));
            let w = weight(*c);
            match m {
                _ if w == 0.0 => parts.push(ScoreLine {
                    component: Some(*c),
                    zh: format!("{zh_label}：本方案权重为 0，不计分"),
                    en: format!("{en_label}: weighted 0 in this scheme; not scored"),
                    points: 0.0,
                    max: 0.0,
                }),
                Some(m) => {
                    let effective = w * full / with_data;
                    let points = effective * m.share;
                    let (mut zh, mut en) = (
                        format!(
                            "{zh_label}：{} → {} × {:.2} = {} 分",
                            m.zh,
                            num(effective),
                            m.share,
                            num(points)
                        ),
                        format!(
                            "{en_label}: {} → {} × {:.2} = {} points",
                            m.en,
                            num(effective),
                            m.share,
                            num(points)
                        ),
                    );
                    if redistributed {
                        zh.push_str(&format!(
                            "（权重 {} 分；无数据项目的 {} 分按比例分入后为 {} 分）",
                            num(w),
                            num(full - with_data),
                            num(effective)
                        ));
                        en.push_str(&format!(
                            " (weight {}; with its share of the {} points of parts without data, {})",
                            num(w),
                            num(full - with_data),
                            num(effective)
                        ));
                    }
                    parts.push(ScoreLine {
                        component: Some(*c),
                        zh,
                        en,
                        points,
                        max: effective,
                    });
                }
                None => {
                    let (zh_why, en_why) = no_data(*c);
                    let (zh, en) = if with_data > 0.0 {
                        (
                            format!(
                                "{zh_label}：{zh_why}，不计分；其权重 {} 分按比例分给有数据的项目",
                                num(w)
                            ),
                            format!(
                                "{en_label}: {en_why}; not scored, its weight of {} is shared out among the parts with data",
                                num(w)
                            ),
                        )
                    } else {
                        (
                            format!("{zh_label}：{zh_why}，不计分（本期各项均无数据，无法评分）"),
                            format!(
                                "{en_label}: {en_why}; not scored (no part has data this period, so there is no score)"
                            ),
                        )
                    };
                    parts.push(ScoreLine {
                        component: Some(*c),
                        zh,
                        en,
                        points: 0.0,
                        max: 0.0,
                    });
                }
            }
        }

        let per = self.red_notice_deduction;
        if facts.red_notices > 0 {
            let n = facts.red_notices;
            if per.is_finite() && per > 0.0 {
                let raw = f64::from(n) * per;
                let cap = self.red_notice_cap.filter(|c| c.is_finite() && *c > 0.0);
                let deducted = cap.map_or(raw, |c| raw.min(c));
                let (mut zh, mut en) = (
                    format!("红色通报 {n} 次 × {} 分 = −{} 分", num(per), num(raw)),
                    format!("red notices: {n} × {} = −{} points", num(per), num(raw)),
                );
                if let Some(c) = cap.filter(|c| raw > *c) {
                    zh.push_str(&format!("，以 {} 分为限，扣 {} 分", num(c), num(deducted)));
                    en.push_str(&format!(
                        ", limited to {}: −{} points",
                        num(c),
                        num(deducted)
                    ));
                }
                parts.push(ScoreLine {
                    component: None,
                    zh,
                    en,
                    points: -deducted,
                    max: 0.0,
                });
            } else {
                parts.push(ScoreLine {
                    component: None,
                    zh: format!("红色通报 {n} 次：本方案不因通报扣分"),
                    en: format!("red notices: {n}; this scheme deducts nothing for them"),
                    points: 0.0,
                    max: 0.0,
                });
            }
        }

        let sum: f64 = parts.iter().map(|p| p.points).sum();
        if sum < 0.0 {
            parts.push(ScoreLine {
                component: None,
                zh: format!("得分 −{} 低于 0，按 0 计", num(-sum)),
                en: format!("the score −{} is below 0; counted as 0", num(-sum)),
                points: -sum,
                max: 0.0,
            });
        }
        let total = parts.iter().map(|p| p.points).sum::<f64>().max(0.0);
        UnitScore { total, parts }
    }
}

/// A part's share and what was counted, or `None` when there is nothing to count.
fn measure(c: Component, f: &UnitFacts) -> Option<Measured> {
    let ratio = |num: u32, den: u32| f64::from(num.min(den)) / f64::from(den);
    match c {
        Component::OnTime => (f.obligations_due > 0).then(|| {
            let done = f.obligations_on_time.min(f.obligations_due);
            Measured {
                share: ratio(done, f.obligations_due),
                zh: format!("按时完成 {done}/{} 项", f.obligations_due),
                en: format!(
                    "{done} of {} obligations completed on time",
                    f.obligations_due
                ),
            }
        }),
        Component::Timeliness => (f.reports_due > 0).then(|| {
            let on = f.reports_on_time.min(f.reports_due);
            let late = f.reports_late.min(f.reports_due - on);
            let missing = f.reports_due - on - late;
            Measured {
                share: ratio(on, f.reports_due),
                zh: format!(
                    "按期报送 {on}/{} 份（逾期 {late} 份，未报 {missing} 份）",
                    f.reports_due
                ),
                en: format!(
                    "{on} of {} reports handed in on time ({late} late, {missing} missing)",
                    f.reports_due
                ),
            }
        }),
        Component::Indicators => (f.indicators_with_data > 0).then(|| {
            let n = f.indicators_with_data;
            let met = f.indicators_met.min(n);
            let on_track = f.indicators_on_track.min(n - met);
            Measured {
                share: ratio(met + on_track, n),
                zh: format!("有数据的指标 {n} 项，达标 {met} 项、进度正常 {on_track} 项"),
                en: format!("{n} indicators with data: {met} met, {on_track} on track"),
            }
        }),
        Component::Returns => (f.reports_submitted > 0).then(|| {
            let returned = f.reports_returned.min(f.reports_submitted);
            Measured {
                share: 1.0 - ratio(returned, f.reports_submitted),
                zh: format!("报送 {} 份，被退回 {returned} 份", f.reports_submitted),
                en: format!(
                    "{} reports handed in, {returned} returned",
                    f.reports_submitted
                ),
            }
        }),
        Component::Ratings => {
            let valid: Vec<(f64, f64)> = f
                .ratings
                .iter()
                .copied()
                .filter(|(s, m)| s.is_finite() && m.is_finite() && *m > 0.0)
                .collect();
            if valid.is_empty() {
                return None;
            }
            let share = valid
                .iter()
                .map(|(s, m)| (s / m).clamp(0.0, 1.0))
                .sum::<f64>()
                / valid.len() as f64;
            let list: Vec<String> = valid
                .iter()
                .map(|(s, m)| format!("{}/{}", num(*s), num(*m)))
                .collect();
            let ignored = f.ratings.len() - valid.len();
            let (mut zh, mut en) = (
                format!(
                    "评议 {} 份（{}），平均得分率 {share:.2}",
                    valid.len(),
                    list.join("、")
                ),
                format!(
                    "{} rating{} ({}), mean {share:.2} of the scale",
                    valid.len(),
                    if valid.len() == 1 { "" } else { "s" },
                    list.join(", ")
                ),
            );
            if ignored > 0 {
                zh.push_str(&format!(
                    "；另有 {ignored} 份评分无效（满分不大于 0），未计"
                ));
                en.push_str(&format!(
                    "; {ignored} invalid rating(s) (maximum not above 0) left out"
                ));
            }
            Some(Measured { share, zh, en })
        }
    }
}

/// Why a part has nothing to count.
fn no_data(c: Component) -> (&'static str, &'static str) {
    match c {
        Component::OnTime => ("本期无到期任务", "no obligation due this period"),
        Component::Timeliness => ("本期无应报送材料", "no report due this period"),
        Component::Indicators => ("无有数据的指标", "no indicator with data"),
        Component::Returns => ("本期未报送材料", "no report handed in this period"),
        Component::Ratings => ("本期无评议", "no rating this period"),
    }
}

impl UnitScore {
    /// Whether any part had data: a unit with nothing to count in the period (early in a
    /// year, say) has no score, which is not the same as a score of 0.
    pub fn scored(&self) -> bool {
        self.parts
            .iter()
            .any(|l| l.component.is_some() && l.max > 0.0)
    }
}

/// A district's assessment for a period in a few sums that add up the org tree: its member
/// units, those with a score, and the sum of their scores. The mean score of a city is the sum
/// of its districts' scores over the number of units scored, never a mean of their means.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Summary {
    /// Member units assessed (the units of the table).
    pub units: usize,
    /// Of those, units with a score (some part had data: [`UnitScore::scored`]).
    pub scored: usize,
    /// The sum of the scored units' totals.
    pub points: f64,
}

impl Summary {
    /// The summary of a table of scores (one per member unit).
    pub fn of<'a>(scores: impl IntoIterator<Item = &'a UnitScore>) -> Summary {
        let mut out = Summary::default();
        for s in scores {
            out.units += 1;
            if s.scored() {
                out.scored += 1;
                out.points += s.total;
            }
        }
        out
    }

    /// The mean score of the units scored; `None` when none is.
    pub fn mean(&self) -> Option<f64> {
        (self.scored > 0).then(|| self.points / self.scored as f64)
    }
}

impl std::ops::AddAssign for Summary {
    fn add_assign(&mut self, o: Summary) {
        self.units += o.units;
        self.scored += o.scored;
        self.points += o.points;
    }
}

/// Ranks totals, highest first: 1-based, ties share a rank and the next
/// rank skips ("1, 2, 2, 4"), as league tables do. Totals within
/// [`TOLERANCE`] of each other tie; a total that is not a number ranks last.
pub fn rank(totals: &[f64]) -> Vec<usize> {
    let beats = |a: f64, b: f64| match (a.is_nan(), b.is_nan()) {
        (true, _) => false,
        (false, true) => true,
        (false, false) => a > b + TOLERANCE,
    };
    totals
        .iter()
        .map(|t| 1 + totals.iter().filter(|o| beats(**o, *t)).count())
        .collect()
}

// ------------------------------------------------------------------ rows

/// One row of the tabular form of a scheme: one setting per row, as an
/// office keeps it in a workbook (see [`COLUMNS`]). Every field is the
/// cell's text; [`Scheme::from_rows`] parses and checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemeRow {
    /// The row's 1-based line in the workbook, named in every message.
    pub line: usize,
    /// 代码: which setting, e.g. `name`, `on_time`, `red_notice_cap`
    /// (a weight may also be written `weights.on_time`).
    pub code: String,
    /// 项目: the setting's name for people; ignored on import.
    pub label: String,
    /// 分值或内容: the weight or deduction (a number), or the text.
    pub value: String,
    /// 说明: what the setting means; ignored on import.
    pub explanation: String,
}

/// The columns of the tabular form, in export order. A header cell matches a
/// column by its key, Chinese or English header.
pub const COLUMNS: [Column; 4] = [
    Column {
        key: "code",
        zh: "代码",
        en: "Code",
        required: true,
    },
    Column {
        key: "label",
        zh: "项目",
        en: "Item",
        required: false,
    },
    Column {
        key: "value",
        zh: "分值或内容",
        en: "Value",
        required: true,
    },
    Column {
        key: "explanation",
        zh: "说明",
        en: "Explanation",
        required: false,
    },
];

/// One setting of a scheme, as a row of its tabular form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Setting {
    Name,
    NoteZh,
    NoteEn,
    Weight(Component),
    Deduction,
    Cap,
}

impl Setting {
    /// Every setting, in export order.
    const ALL: [Setting; 10] = [
        Setting::Name,
        Setting::NoteZh,
        Setting::NoteEn,
        Setting::Weight(Component::OnTime),
        Setting::Weight(Component::Timeliness),
        Setting::Weight(Component::Indicators),
        Setting::Weight(Component::Returns),
        Setting::Weight(Component::Ratings),
        Setting::Deduction,
        Setting::Cap,
    ];

    /// The code in the 代码 column.
    fn code(self) -> &'static str {
        match self {
            Setting::Name => "name",
            Setting::NoteZh => "note_zh",
            Setting::NoteEn => "note_en",
            Setting::Weight(c) => c.key(),
            Setting::Deduction => "red_notice_deduction",
            Setting::Cap => "red_notice_cap",
        }
    }

    /// The path [`Scheme::validate`] names it by.
    fn path(self) -> String {
        match self {
            Setting::Weight(c) => format!("weights.{}", c.key()),
            other => other.code().to_string(),
        }
    }

    /// The setting for a code cell: its code or its path, in any case.
    fn find(code: &str) -> Option<Setting> {
        let code = code.trim();
        Setting::ALL
            .into_iter()
            .find(|s| s.code().eq_ignore_ascii_case(code) || s.path().eq_ignore_ascii_case(code))
    }

    /// Whether a scheme needs the row (the cap may be left out: no limit).
    fn required(self) -> bool {
        self != Setting::Cap
    }

    /// The 项目 cell.
    fn label(self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Setting::Weight(c), _) => c.label(lang),
            (Setting::Name, Lang::ZhCn) => "名称",
            (Setting::NoteZh, Lang::ZhCn) => "说明",
            (Setting::NoteEn, Lang::ZhCn) => "说明（英文）",
            (Setting::Deduction, Lang::ZhCn) => "红色通报每次扣分",
            (Setting::Cap, Lang::ZhCn) => "扣分上限",
            (Setting::Name, Lang::En) => "Name",
            (Setting::NoteZh, Lang::En) => "Note (Chinese)",
            (Setting::NoteEn, Lang::En) => "Note (English)",
            (Setting::Deduction, Lang::En) => "Deduction per red notice",
            (Setting::Cap, Lang::En) => "Deduction cap",
        }
    }

    /// The 说明 cell: what the setting means and what may be written.
    fn explanation(self, lang: Lang) -> String {
        match (self, lang) {
            (Setting::Weight(c), Lang::ZhCn) => format!(
                "权重（分），不小于 0；五项权重合计须为 {}。计分口径：{}",
                num(FULL_MARKS),
                c.definition(lang)
            ),
            (Setting::Weight(c), Lang::En) => format!(
                "weight in points, not negative; the five weights must add up to {}. Measures: {}",
                num(FULL_MARKS),
                c.definition(lang)
            ),
            (Setting::Name, Lang::ZhCn) => "方案名称，随每个得分显示".into(),
            (Setting::NoteZh, Lang::ZhCn) => "中文说明：各项权重的依据，是否为假设".into(),
            (Setting::NoteEn, Lang::ZhCn) => "英文说明：内容同上".into(),
            (Setting::Deduction, Lang::ZhCn) => {
                "本期每收到一次红色通报扣的分数，不小于 0；0 表示不扣分".into()
            }
            (Setting::Cap, Lang::ZhCn) => "红色通报扣分合计的上限，大于 0；留空表示不设上限".into(),
            (Setting::Name, Lang::En) => "the scheme's name, shown with every score".into(),
            (Setting::NoteZh, Lang::En) => {
                "why these weights, in Chinese; whether they are an assumption".into()
            }
            (Setting::NoteEn, Lang::En) => "the same, in English".into(),
            (Setting::Deduction, Lang::En) => {
                "points deducted per red notice in the period, not negative; 0: none".into()
            }
            (Setting::Cap, Lang::En) => {
                "the most red notices may deduct in all, above 0; empty: no limit".into()
            }
        }
    }

    /// The 分值或内容 cell of a scheme.
    fn value(self, scheme: &Scheme) -> String {
        match self {
            Setting::Name => scheme.name.clone(),
            Setting::NoteZh => scheme.note_zh.clone(),
            Setting::NoteEn => scheme.note_en.clone(),
            Setting::Weight(c) => scheme.weights.get(c).to_string(),
            Setting::Deduction => scheme.red_notice_deduction.to_string(),
            Setting::Cap => scheme
                .red_notice_cap
                .map(|c| c.to_string())
                .unwrap_or_default(),
        }
    }

    /// Whether the value is a number (else text).
    fn is_number(self) -> bool {
        matches!(self, Setting::Weight(_) | Setting::Deduction | Setting::Cap)
    }
}

/// Whether a row's code names a numeric setting, for writing it as a number cell.
pub fn is_number_code(code: &str) -> bool {
    Setting::find(code).is_some_and(Setting::is_number)
}

impl SchemeRow {
    /// Reads rows from a table of cells: the header row (at `header_line`)
    /// names the columns (see [`COLUMNS`]; any order, extra columns ignored),
    /// each body row is its line and cells. A missing required column is
    /// refused, naming it; nothing is returned then. Cells are kept as
    /// written (texts may end in a line break); [`Scheme::from_rows`] trims
    /// what must be trimmed.
    pub fn from_table(
        header_line: usize,
        header: &[String],
        body: &[(usize, Vec<String>)],
    ) -> Result<Vec<SchemeRow>, Vec<Diagnostic>> {
        let find = |c: &Column| {
            header.iter().position(|h| {
                let h = h.trim();
                h == c.zh || h.eq_ignore_ascii_case(c.en) || h.eq_ignore_ascii_case(c.key)
            })
        };
        let at: Vec<Option<usize>> = COLUMNS.iter().map(find).collect();
        let missing: Vec<Diagnostic> = COLUMNS
            .iter()
            .zip(&at)
            .filter(|(c, i)| c.required && i.is_none())
            .map(|(c, _)| {
                row_error(
                    header_line,
                    c.key,
                    format!("the column “{}” ({}) is missing", c.en, c.zh),
                    format!("缺少“{}”列", c.zh),
                )
            })
            .collect();
        if !missing.is_empty() {
            return Err(missing);
        }
        let rows = body
            .iter()
            .map(|(line, cells)| {
                let cell = |k: usize| {
                    at[k]
                        .and_then(|i| cells.get(i))
                        .cloned()
                        .unwrap_or_default()
                };
                SchemeRow {
                    line: *line,
                    code: cell(0).trim().to_string(),
                    label: cell(1).trim().to_string(),
                    value: cell(2),
                    explanation: cell(3),
                }
            })
            .collect();
        Ok(rows)
    }

    /// The cells in [`COLUMNS`] order, for export.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.code.clone(),
            self.label.clone(),
            self.value.clone(),
            self.explanation.clone(),
        ]
    }
}

/// A row-level error: the line in both messages and in `line`.
fn row_error(line: usize, path: &str, en: String, zh: String) -> Diagnostic {
    let mut d = Diagnostic::error(
        path,
        format!("row {line}: {en}"),
        format!("第 {line} 行：{zh}"),
    );
    d.line = Some(line);
    d
}

/// What a row's value cell gave.
enum Parsed {
    Text(String),
    Number(f64),
    /// The cap left empty: no limit.
    NoLimit,
}

impl Scheme {
    /// The scheme as rows, one per setting (see [`SchemeRow`]), labelled in
    /// Chinese, for export to a workbook; [`Scheme::from_rows`] reads them
    /// back to the same scheme.
    pub fn to_rows(&self) -> Vec<SchemeRow> {
        self.to_rows_in(Lang::ZhCn)
    }

    /// [`Scheme::to_rows`] with the 项目 and 说明 cells in a language (they
    /// are ignored on import, so either language reads back).
    pub fn to_rows_in(&self, lang: Lang) -> Vec<SchemeRow> {
        Setting::ALL
            .iter()
            .enumerate()
            .map(|(i, s)| SchemeRow {
                // Line 1 is the header.
                line: i + 2,
                code: s.code().to_string(),
                label: s.label(lang).to_string(),
                value: s.value(self),
                explanation: s.explanation(lang),
            })
            .collect()
    }

    /// Reads a scheme from rows (a workbook's table), all or nothing: every
    /// bad row is named by its line with the reason, and no scheme is
    /// returned unless every row is good and the scheme passes
    /// [`Scheme::validate`].
    ///
    /// Refused: an empty, unknown or repeated code; a required setting
    /// without its row (every one but `red_notice_cap`, whose row may also
    /// be left empty for no limit); a weight or deduction that is empty, not
    /// a number or negative; weights that do not add up to 100 (named on the
    /// first weight row, with the sum and the rows it came from); and
    /// whatever [`Scheme::validate`] refuses, on the row of the setting.
    pub fn from_rows(rows: &[SchemeRow]) -> Result<Scheme, Vec<Diagnostic>> {
        if rows.is_empty() {
            return Err(vec![Diagnostic::error(
                "",
                "the table has no rows",
                "表格中没有任何方案行",
            )]);
        }
        let mut errors = Vec::new();
        // Paths already refused, so validation does not repeat them.
        let mut reported: Vec<String> = Vec::new();
        let mut found: Vec<(Setting, usize, Option<Parsed>)> = Vec::new();
        for r in rows {
            let code = r.code.trim();
            if code.is_empty() {
                errors.push(row_error(
                    r.line,
                    "code",
                    "the code is empty".into(),
                    "“代码”为空".into(),
                ));
                continue;
            }
            let Some(setting) = Setting::find(code) else {
                let known: Vec<&str> = Setting::ALL.iter().map(|s| s.code()).collect();
                errors.push(row_error(
                    r.line,
                    "code",
                    format!("unknown code “{code}”: use one of {}", known.join(", ")),
                    format!("未知的代码“{code}”：应为 {} 之一", known.join("、")),
                ));
                continue;
            };
            if let Some((_, first, _)) = found.iter().find(|(s, _, _)| *s == setting) {
                errors.push(row_error(
                    r.line,
                    &setting.path(),
                    format!("the code “{code}” is already used on row {first}"),
                    format!("代码“{code}”与第 {first} 行重复"),
                ));
                continue;
            }
            let cell = match setting {
                Setting::Name => Some(Parsed::Text(r.value.trim().to_string())),
                // Notes are kept as written: line breaks are part of the text.
                Setting::NoteZh | Setting::NoteEn => Some(Parsed::Text(r.value.clone())),
                Setting::Cap if r.value.trim().is_empty() => Some(Parsed::NoLimit),
                _ => match number(setting, r) {
                    Ok(n) => Some(Parsed::Number(n)),
                    Err(d) => {
                        // A negative number is still read, so the other rows
                        // are checked against it; its own range is not
                        // reported twice.
                        reported.push(setting.path());
                        errors.push(d);
                        r.value.trim().parse::<f64>().ok().map(Parsed::Number)
                    }
                },
            };
            found.push((setting, r.line, cell));
        }

        for s in Setting::ALL.iter().filter(|s| s.required()) {
            if !found.iter().any(|(f, _, _)| f == s) {
                reported.push(s.path());
                errors.push(Diagnostic::error(
                    s.path(),
                    format!("the row “{}” ({}) is missing", s.code(), s.label(Lang::En)),
                    format!("缺少代码为“{}”（{}）的行", s.code(), s.label(Lang::ZhCn)),
                ));
            }
        }

        // The weights' sum, named on the first weight row with the rows it
        // came from; only when every weight was read and none was refused.
        let weight_rows: Vec<(Component, usize, f64)> = found
            .iter()
            .filter_map(|(s, line, cell)| match (s, cell) {
                (Setting::Weight(c), Some(Parsed::Number(w))) => Some((*c, *line, *w)),
                _ => None,
            })
            .collect();
        let weights_refused = Component::ALL
            .iter()
            .any(|c| reported.contains(&Setting::Weight(*c).path()));
        reported.push("weights".into());
        if weight_rows.len() == Component::ALL.len() && !weights_refused {
            let sum: f64 = weight_rows.iter().map(|(_, _, w)| w).sum();
            if (sum - FULL_MARKS).abs() > SUM_TOLERANCE {
                let mut lines: Vec<usize> = weight_rows.iter().map(|(_, l, _)| *l).collect();
                lines.sort_unstable();
                let first = lines[0];
                let lines: Vec<String> = lines.iter().map(usize::to_string).collect();
                let parts: Vec<String> = Component::ALL
                    .iter()
                    .filter_map(|c| weight_rows.iter().find(|(wc, _, _)| wc == c))
                    .map(|(_, _, w)| num_exact(*w))
                    .collect();
                errors.push(row_error(
                    first,
                    "weights",
                    format!(
                        "the weights (rows {}) add up to {} ({}), not {}",
                        lines.join(", "),
                        num_exact(sum),
                        parts.join(" + "),
                        num(FULL_MARKS)
                    ),
                    format!(
                        "各项权重（第 {} 行）合计 {}（{}），应为 {} 分",
                        lines.join("、"),
                        num_exact(sum),
                        parts.join(" + "),
                        num(FULL_MARKS)
                    ),
                ));
            }
        }

        // The scheme as read; settings that were refused or missing hold
        // placeholders, which are never returned (there are errors then)
        // and whose paths validation skips.
        let text = |s: Setting| {
            found.iter().find_map(|(f, _, c)| match c {
                Some(Parsed::Text(t)) if *f == s => Some(t.clone()),
                _ => None,
            })
        };
        let number_of = |s: Setting| {
            found.iter().find_map(|(f, _, c)| match c {
                Some(Parsed::Number(n)) if *f == s => Some(*n),
                _ => None,
            })
        };
        let weight = |c: Component| number_of(Setting::Weight(c)).unwrap_or(0.0);
        let scheme = Scheme {
            name: text(Setting::Name).unwrap_or_default(),
            note_zh: text(Setting::NoteZh).unwrap_or_default(),
            note_en: text(Setting::NoteEn).unwrap_or_default(),
            red_notice_deduction: number_of(Setting::Deduction).unwrap_or(0.0),
            red_notice_cap: number_of(Setting::Cap),
            weights: Weights {
                on_time: weight(Component::OnTime),
                timeliness: weight(Component::Timeliness),
                indicators: weight(Component::Indicators),
                returns: weight(Component::Returns),
                ratings: weight(Component::Ratings),
            },
        };
        if let Err(found_by_validate) = scheme.validate() {
            for d in found_by_validate {
                if reported.contains(&d.path) {
                    continue;
                }
                let line = found
                    .iter()
                    .find(|(s, _, _)| s.path() == d.path)
                    .map(|(_, line, _)| *line);
                match line {
                    Some(line) => errors.push(row_error(line, &d.path, d.message_en, d.message_zh)),
                    None => errors.push(d),
                }
            }
        }

        if errors.is_empty() {
            Ok(scheme)
        } else {
            // Row errors by line; errors without a row (a missing row) last.
            errors.sort_by_key(|d| (d.line.is_none(), d.line));
            Err(errors)
        }
    }
}

/// A weight, deduction or cap cell as a number: not empty, a number, not negative.
fn number(setting: Setting, r: &SchemeRow) -> Result<f64, Diagnostic> {
    let (label_zh, label_en) = (setting.label(Lang::ZhCn), setting.label(Lang::En));
    let (what_zh, what_en) = match setting {
        Setting::Weight(_) => ("的权重", "the weight of "),
        _ => ("", ""),
    };
    let value = r.value.trim();
    let path = setting.path();
    if value.is_empty() {
        return Err(row_error(
            r.line,
            &path,
            format!("{what_en}“{label_en}” is empty"),
            format!("“{label_zh}”{what_zh}为空"),
        ));
    }
    match value.parse::<f64>() {
        Ok(n) if n.is_finite() && n >= 0.0 => Ok(n),
        Ok(n) if n < 0.0 => Err(row_error(
            r.line,
            &path,
            format!("{what_en}“{label_en}” is {value}, a negative number"),
            format!("“{label_zh}”{what_zh}为 {value}，不能为负数"),
        )),
        _ => Err(row_error(
            r.line,
            &path,
            format!("{what_en}“{label_en}” is “{value}”, not a number"),
            format!("“{label_zh}”{what_zh}为“{value}”，不是数字"),
        )),
    }
}
