//! Enterprise quality credit: grading rules held as data, and the lifecycle of
//! a listing on the serious quality-dishonesty blacklist (严重质量失信名单).
//!
//! No official scoring scheme for the district was found (see
//! `acceptance-and-indicators.md` §3: AQSIQ 2012 used classes AA/A/B/C, SAMR
//! 2022 uses A/B/C/D), so the numbers are not code: they live in a TOML rule
//! set ([`RuleSet`]) with a shipped default ([`DEFAULT_RULES_TOML`]) whose notes
//! say why each number was chosen. Every grading carries its reasons, so a
//! clerk can check a grade by hand and an enterprise can see why it got it.
//!
//! ```
//! use chrono::NaiveDate;
//! use qcity_domain::credit::{Event, EventKind, Grade, RuleSet};
//! let rules = RuleSet::default_rules();
//! let day = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
//! let events = [Event { kind: EventKind::Penalty, date: day("2015-06-03"), serious: true }];
//! let grading = rules.grade(&events, false, day("2016-01-01"));
//! assert_eq!((grading.grade, grading.score), (Grade::C, 60));
//! ```

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::LazyLock;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::plan::Diagnostic;
use crate::registry::{CodeList, code_list};
use crate::rules::{self, Rules};
use crate::target::Lang;

code_list! {
    /// What happened to an enterprise that bears on its quality credit.
    EventKind {
        /// 监督抽查不合格: a supervisory sampling found the product non-conforming.
        SamplingFailure = "sampling_failure", ["监督抽查不合格", "抽查不合格"], "Failed supervisory sampling";
        /// 行政处罚: an administrative penalty for a quality violation.
        Penalty = "penalty", ["行政处罚", "处罚"], "Administrative penalty";
        /// 质量投诉属实: a quality complaint found to be substantiated.
        Complaint = "complaint", ["质量投诉属实", "投诉属实"], "Substantiated quality complaint";
        /// 产品召回: a product recall, voluntary or ordered.
        Recall = "recall", ["产品召回", "召回"], "Product recall";
        /// 质量奖励: a government quality award.
        Award = "award", ["质量奖励", "质量奖", "获奖"], "Quality award";
        /// 体系认证/认证获证: a management-system or product certification obtained.
        Certification = "certification", ["体系认证", "认证获证", "认证"], "Certification obtained";
        /// 其他: anything else worth recording; scores only if the rules give it points.
        Other = "other", ["其他"], "Other";
    }
}

/// One dated credit event of an enterprise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// When it was decided or published (the date the window is measured from).
    pub date: NaiveDate,
    /// Whether the deciding authority called it serious (情节严重); a serious
    /// event may cost more points and cap the grade.
    pub serious: bool,
}

code_list! {
    /// A credit grade, best first: `Grade::A < Grade::D`, so the worse of two
    /// grades is their `max`.
    ///
    /// Four grades follow SAMR's 2022 A/B/C/D risk classes; the names
    /// (守信, 基本守信, 失信, 严重失信) are QCity's assumption, not an official
    /// wording. A bare letter ("A") parses too, as clerks write it.
    Grade {
        /// A级 守信.
        #[serde(rename = "A")]
        A = "A", ["A级（守信）", "A级", "A", "守信"], "A (trustworthy)";
        /// B级 基本守信.
        #[serde(rename = "B")]
        B = "B", ["B级（基本守信）", "B级", "B", "基本守信"], "B (generally trustworthy)";
        /// C级 失信.
        #[serde(rename = "C")]
        C = "C", ["C级（失信）", "C级", "C", "失信"], "C (untrustworthy)";
        /// D级 严重失信: also the grade of a blacklisted enterprise under the default rules.
        #[serde(rename = "D")]
        D = "D", ["D级（严重失信）", "D级", "D", "严重失信"], "D (seriously untrustworthy)";
    }
}

code_list! {
    /// The condition under which a cap limits the grade whatever the score.
    CapWhen {
        /// The enterprise is on the blacklist (listed or with repair pending).
        Blacklisted = "blacklisted", ["列入严重质量失信名单", "已列入名单"], "Blacklisted";
        /// A serious event that costs points lies within the window.
        SeriousEvent = "serious_event", ["计分期内有严重事件", "严重事件"], "Serious event within the window";
    }
}

/// The points one kind of event carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventRule {
    /// The kind of event; each kind appears at most once in a rule set.
    pub kind: EventKind,
    /// Points added (positive) or deducted (negative) per event.
    pub points: i32,
    /// Points for a serious event of this kind; only for deducting kinds, and
    /// at least as severe as `points`. Absent: a serious event costs `points`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serious_points: Option<i32>,
}

impl EventRule {
    /// The points an event of this kind carries.
    pub fn points_for(&self, serious: bool) -> i32 {
        match (serious, self.serious_points) {
            (true, Some(p)) => p,
            _ => self.points,
        }
    }
}

/// The score at which a grade is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeRule {
    /// The grade.
    pub grade: Grade,
    /// The least score that reaches this grade. Required for every grade but
    /// the last, which takes every remaining score (absent or 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i32>,
}

/// A limit on the grade that applies whatever the score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CapRule {
    /// When the cap applies.
    pub when: CapWhen,
    /// The best grade allowed while it applies.
    pub grade: Grade,
}

/// When a listing is proposed, how long it lasts and when it may be repaired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlacklistRules {
    /// How long a listing lasts from its approval, in calendar years.
    pub listing_years: u32,
    /// The earliest credit-repair application, in years after the listing date
    /// (0: at once). Less than `listing_years`, or repair could never happen.
    pub repair_after_years: u32,
    /// This many failed supervisory samplings within `propose_within_years`
    /// propose a listing. Absent: failures alone never propose one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub propose_sampling_failures: Option<u32>,
    /// How far back a proposal looks, in years.
    pub propose_within_years: u32,
    /// Whether a serious administrative penalty within `propose_within_years`
    /// proposes a listing.
    pub propose_on_serious_penalty: bool,
}

/// A grading rule set, read from TOML (see [`DEFAULT_RULES_TOML`] for the
/// shape). Read it with [`RuleSet::load`], which also runs [`RuleSet::validate`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    /// The rule set's name, shown with every grading.
    pub name: String,
    /// Why these numbers, in Chinese: where they come from and what is assumed.
    pub note_zh: String,
    /// Why these numbers, in English.
    pub note_en: String,
    /// The score every enterprise starts from.
    pub start: i32,
    /// The score never exceeds this; at least `start`, so added points can
    /// offset deductions without piling up.
    pub max_score: i32,
    /// Events older than this many calendar years before the grading date no
    /// longer count.
    pub window_years: u32,
    /// Points per kind of event; kinds not listed count 0.
    pub events: Vec<EventRule>,
    /// Grades best first, with the least score that reaches each.
    pub grades: Vec<GradeRule>,
    /// Limits on the grade whatever the score.
    #[serde(default)]
    pub caps: Vec<CapRule>,
    /// The blacklist's proposal triggers and terms.
    pub blacklist: BlacklistRules,
}

/// The default rule set: QCity's assumption, explained in its notes.
pub const DEFAULT_RULES_TOML: &str = include_str!("../credit/default.toml");

static DEFAULT_RULES: LazyLock<RuleSet> =
    LazyLock::new(|| match RuleSet::load(DEFAULT_RULES_TOML) {
        Ok(rules) => rules,
        // The embedded file is fixed at build time; the test
        // `default_rules_load_and_validate` proves this arm is never taken.
        Err(diagnostics) => {
            panic!("the embedded default credit rules do not load: {diagnostics:?}")
        }
    });

/// Largest score bound, year count and point magnitude a rule set may use:
/// far beyond any sensible scheme, small enough that no sum can overflow.
const LIMIT_SCORE: i32 = 10_000;
const LIMIT_YEARS: u32 = 100;

/// One line of an explanation: what was counted and the points it moved.
///
/// In a [`Grading`] the points of all reasons add up to the score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reason {
    /// The line in Chinese.
    pub zh: String,
    /// The line in English.
    pub en: String,
    /// Points this line adds to the score (0 for lines that only explain).
    pub points: i32,
}

impl Reason {
    fn new(zh: String, en: String, points: i32) -> Self {
        Reason { zh, en, points }
    }

    /// The line in a language.
    pub fn text(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// The outcome of grading an enterprise, with every step that led to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grading {
    /// The grade after caps.
    pub grade: Grade,
    /// The score, within `0..=max_score`.
    pub score: i32,
    /// The start, each event (counted or not, and why), any clamping, each
    /// cap that held and the threshold reached, in that order.
    pub reasons: Vec<Reason>,
}

impl Rules for RuleSet {
    const NAME_EN: &'static str = "the credit rules";
    const NAME_ZH: &'static str = "信用分级规则";

    fn shipped() -> RuleSet {
        RuleSet::default_rules()
    }

    fn validate(&self) -> Result<(), Vec<Diagnostic>> {
        RuleSet::validate(self)
    }
}

impl RuleSet {
    /// The shipped default rules ([`DEFAULT_RULES_TOML`]).
    pub fn default_rules() -> RuleSet {
        DEFAULT_RULES.clone()
    }

    /// Reads a rule set: TOML syntax and the shape of every table (unknown or
    /// missing fields, wrong types, unknown event kinds or grades). The one
    /// error carries its line. Does not run [`RuleSet::validate`].
    pub fn from_toml(src: &str) -> Result<RuleSet, Diagnostic> {
        rules::read(src)
    }

    /// Reads and validates a rule set; every problem found is returned.
    pub fn load(src: &str) -> Result<RuleSet, Vec<Diagnostic>> {
        rules::load(src)
    }

    /// Refuses rule sets that cannot grade sensibly: empty texts, a start or
    /// window out of range, duplicate or out-of-range event points, grades not
    /// strictly descending or with unreachable thresholds, caps naming grades
    /// the set lacks, and blacklist terms where repair could never happen.
    pub fn validate(&self) -> Result<(), Vec<Diagnostic>> {
        let mut out = Vec::new();
        let mut err = |path: String, en: String, zh: String| {
            out.push(Diagnostic::error(path, en, zh));
        };

        for (field, text) in [
            ("name", &self.name),
            ("note_zh", &self.note_zh),
            ("note_en", &self.note_en),
        ] {
            if text.trim().is_empty() {
                err(
                    field.into(),
                    format!(
                        "{field} is empty: name the rule set and say why its numbers were chosen"
                    ),
                    format!("{field} 为空：请写明规则名称，并说明各项分值的依据"),
                );
            }
        }

        if !(1..=LIMIT_SCORE).contains(&self.max_score) {
            err(
                "max_score".into(),
                format!(
                    "max_score {} must be between 1 and {LIMIT_SCORE}",
                    self.max_score
                ),
                format!(
                    "max_score（最高分）{} 应在 1 至 {LIMIT_SCORE} 之间",
                    self.max_score
                ),
            );
        }
        if self.start < 1 || self.start > self.max_score {
            err(
                "start".into(),
                format!(
                    "start {} must be between 1 and max_score ({})",
                    self.start, self.max_score
                ),
                format!(
                    "start（起始分）{} 应在 1 至 max_score（{}）之间",
                    self.start, self.max_score
                ),
            );
        }
        if !(1..=LIMIT_YEARS).contains(&self.window_years) {
            err(
                "window_years".into(),
                format!(
                    "window_years {} must be between 1 and {LIMIT_YEARS}: with 0 no event would ever count",
                    self.window_years
                ),
                format!(
                    "window_years（计分期年数）{} 应在 1 至 {LIMIT_YEARS} 之间：为 0 时任何事件都不计分",
                    self.window_years
                ),
            );
        }

        let bound = self.max_score.clamp(1, LIMIT_SCORE);
        for (i, rule) in self.events.iter().enumerate() {
            let (zh_kind, en_kind) = (rule.kind.label(Lang::ZhCn), rule.kind.label(Lang::En));
            if let Some(first) = self.events[..i].iter().position(|r| r.kind == rule.kind) {
                err(
                    format!("events[{i}].kind"),
                    format!("“{en_kind}” is already given points in events[{first}]"),
                    format!("“{zh_kind}”已在 events[{first}] 中设置分值，不能重复"),
                );
            }
            if rule.points.unsigned_abs() > bound.unsigned_abs() {
                err(
                    format!("events[{i}].points"),
                    format!(
                        "{} points for “{en_kind}” exceed the whole scale (max_score {bound})",
                        rule.points
                    ),
                    format!(
                        "“{zh_kind}”的分值 {} 超出了整个分值范围（最高 {bound} 分）",
                        rule.points
                    ),
                );
            }
            if let Some(serious) = rule.serious_points {
                if rule.points >= 0 {
                    err(
                        format!("events[{i}].serious_points"),
                        format!(
                            "“{en_kind}” adds points; serious_points is only for kinds that deduct points"
                        ),
                        format!("“{zh_kind}”是加分事件；serious_points 只用于扣分事件"),
                    );
                } else if serious > rule.points || serious < -bound {
                    err(
                        format!("events[{i}].serious_points"),
                        format!(
                            "serious_points {serious} for “{en_kind}” must be between {} and {} \
                             (a serious event costs at least as much as an ordinary one)",
                            -bound, rule.points
                        ),
                        format!(
                            "“{zh_kind}”的 serious_points {serious} 应在 {} 至 {} 之间\
                             （严重事件的扣分不应少于一般事件）",
                            -bound, rule.points
                        ),
                    );
                }
            }
        }

        if self.grades.len() < 2 {
            err(
                "grades".into(),
                "at least two grades are needed, best first".into(),
                "至少需要两个等级，按由高到低排列".into(),
            );
        }
        let last = self.grades.len().saturating_sub(1);
        for (i, g) in self.grades.iter().enumerate() {
            let (zh_g, en_g) = (g.grade.label(Lang::ZhCn), g.grade.label(Lang::En));
            if let Some(prev) = i.checked_sub(1).and_then(|p| self.grades.get(p))
                && g.grade <= prev.grade
            {
                err(
                    format!("grades[{i}].grade"),
                    format!(
                        "{en_g} comes after {}: grades must be listed best first, each once",
                        prev.grade.label(Lang::En)
                    ),
                    format!(
                        "{zh_g}排在{}之后：等级应由高到低排列，且每级只出现一次",
                        prev.grade.label(Lang::ZhCn)
                    ),
                );
            }
            if i == last {
                if let Some(min) = g.min
                    && min != 0
                {
                    err(
                        format!("grades[{i}].min"),
                        format!(
                            "the last grade ({en_g}) takes every remaining score: leave out min or set it to 0, not {min}"
                        ),
                        format!(
                            "最后一级（{zh_g}）涵盖其余所有得分：min 应省略或为 0，而不是 {min}"
                        ),
                    );
                }
                continue;
            }
            let Some(min) = g.min else {
                err(
                    format!("grades[{i}].min"),
                    format!("{en_g} needs a min: only the last grade may leave it out"),
                    format!("{zh_g}缺少 min（最低分）：只有最后一级可以省略"),
                );
                continue;
            };
            if min < 1 || min > self.max_score {
                err(
                    format!("grades[{i}].min"),
                    format!(
                        "the {en_g} line {min} must be between 1 and max_score ({}), or no score could reach it",
                        self.max_score
                    ),
                    format!(
                        "{zh_g}的分数线 {min} 应在 1 至 max_score（{}）之间，否则没有得分能够达到",
                        self.max_score
                    ),
                );
            }
            if let Some(prev_min) = i
                .checked_sub(1)
                .and_then(|p| self.grades.get(p))
                .and_then(|p| p.min)
                && min >= prev_min
            {
                err(
                    format!("grades[{i}].min"),
                    format!(
                        "the {en_g} line {min} must be below the line above it ({prev_min}): thresholds must descend"
                    ),
                    format!("{zh_g}的分数线 {min} 应低于上一级的 {prev_min}：分数线须由高到低"),
                );
            }
        }

        for (i, cap) in self.caps.iter().enumerate() {
            let (zh_w, en_w) = (cap.when.label(Lang::ZhCn), cap.when.label(Lang::En));
            if let Some(first) = self.caps[..i].iter().position(|c| c.when == cap.when) {
                err(
                    format!("caps[{i}].when"),
                    format!("a cap for “{en_w}” is already set in caps[{first}]"),
                    format!("“{zh_w}”的等级上限已在 caps[{first}] 中设置，不能重复"),
                );
            }
            let (zh_g, en_g) = (cap.grade.label(Lang::ZhCn), cap.grade.label(Lang::En));
            if !self.grades.iter().any(|g| g.grade == cap.grade) {
                err(
                    format!("caps[{i}].grade"),
                    format!("the cap names {en_g}, which is not among the grades"),
                    format!("等级上限为{zh_g}，但该等级不在 grades 中"),
                );
            } else if self.grades.first().is_some_and(|g| g.grade == cap.grade) {
                err(
                    format!("caps[{i}].grade"),
                    format!("a cap at the best grade ({en_g}) limits nothing"),
                    format!("上限设为最高等级（{zh_g}）不起任何限制作用"),
                );
            }
        }

        let b = &self.blacklist;
        if !(1..=LIMIT_YEARS).contains(&b.listing_years) {
            err(
                "blacklist.listing_years".into(),
                format!(
                    "listing_years {} must be between 1 and {LIMIT_YEARS}",
                    b.listing_years
                ),
                format!(
                    "listing_years（列入期年数）{} 应在 1 至 {LIMIT_YEARS} 之间",
                    b.listing_years
                ),
            );
        } else if b.repair_after_years >= b.listing_years {
            err(
                "blacklist.repair_after_years".into(),
                format!(
                    "repair_after_years {} must be less than listing_years {}, or a listing would end before repair could be requested",
                    b.repair_after_years, b.listing_years
                ),
                format!(
                    "repair_after_years（可申请修复年数）{} 应小于 listing_years（列入期）{}，否则列入期满前无法申请信用修复",
                    b.repair_after_years, b.listing_years
                ),
            );
        }
        if let Some(n) = b.propose_sampling_failures
            && !(1..=1000).contains(&n)
        {
            err(
                "blacklist.propose_sampling_failures".into(),
                format!(
                    "propose_sampling_failures {n} must be between 1 and 1000 (0 would propose every enterprise; leave it out to turn the trigger off)"
                ),
                format!(
                    "propose_sampling_failures（建议列入的不合格次数）{n} 应在 1 至 1000 之间（为 0 将建议列入所有企业；不用此条件请省略该项）"
                ),
            );
        }
        if !(1..=LIMIT_YEARS).contains(&b.propose_within_years) {
            err(
                "blacklist.propose_within_years".into(),
                format!(
                    "propose_within_years {} must be between 1 and {LIMIT_YEARS}",
                    b.propose_within_years
                ),
                format!(
                    "propose_within_years（建议列入的统计年数）{} 应在 1 至 {LIMIT_YEARS} 之间",
                    b.propose_within_years
                ),
            );
        }

        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    /// The points rule for a kind of event, if the rules give it any.
    pub fn event_rule(&self, kind: EventKind) -> Option<&EventRule> {
        self.events.iter().find(|r| r.kind == kind)
    }

    /// The first day of the window on `as_of`: events on or after it count
    /// (an event exactly `window_years` old still counts; one day older does not).
    pub fn window_start(&self, as_of: NaiveDate) -> NaiveDate {
        sub_years(as_of, self.window_years)
    }

    /// Grades an enterprise on `as_of` from its events and whether it is on the
    /// blacklist (listed or with repair pending, see [`ListingState::is_public`]).
    ///
    /// Events after `as_of` are ignored silently (they had not happened yet);
    /// events before the window are listed as not counted. The score is
    /// clamped to `0..=max_score`, the grade is the first whose `min` the
    /// score reaches, and each cap whose condition holds limits it. Works on
    /// unvalidated rules too (without panicking), though the result is only
    /// meaningful for rules that pass [`RuleSet::validate`].
    pub fn grade(&self, events: &[Event], blacklisted: bool, as_of: NaiveDate) -> Grading {
        let mut reasons = vec![Reason::new(
            format!("起始分 {}", self.start),
            format!("starting score {}", self.start),
            self.start,
        )];
        let window_start = self.window_start(as_of);
        let mut sorted: Vec<&Event> = events.iter().filter(|e| e.date <= as_of).collect();
        sorted.sort_by_key(|e| e.date);

        let mut raw = i64::from(self.start);
        let mut serious: Vec<&Event> = Vec::new();
        for e in sorted {
            let (zh, en) = event_text(e);
            if e.date < window_start {
                reasons.push(Reason::new(
                    format!(
                        "{zh}：早于计分期起点 {window_start}（近 {} 年），不计分",
                        self.window_years
                    ),
                    format!(
                        "{en}: before {window_start}, outside the {}-year window; not counted",
                        self.window_years
                    ),
                    0,
                ));
                continue;
            }
            match self.event_rule(e.kind) {
                Some(rule) => {
                    let points = rule.points_for(e.serious);
                    raw += i64::from(points);
                    if e.serious && points < 0 {
                        serious.push(e);
                    }
                    let signed = signed(points);
                    // No space after a full-width bracket: "（严重）−20".
                    let sep = if zh.ends_with('）') { "" } else { " " };
                    reasons.push(Reason::new(
                        format!("{zh}{sep}{signed}"),
                        format!("{en} {signed}"),
                        points,
                    ));
                }
                None => reasons.push(Reason::new(
                    format!("{zh}：本规则未给此类事件设分值，不计分"),
                    format!("{en}: these rules give no points for this kind of event; not counted"),
                    0,
                )),
            }
        }

        let ceiling = self.max_score.max(0);
        let score = i32::try_from(raw.clamp(0, i64::from(ceiling))).unwrap_or(ceiling);
        if raw < 0 {
            reasons.push(Reason::new(
                format!("得分 {} 低于 0，按 0 计", signed_plain(raw)),
                format!("score {} is below 0; counted as 0", signed_plain(raw)),
                points_between(raw, score),
            ));
        } else if raw > i64::from(ceiling) {
            reasons.push(Reason::new(
                format!("得分 {raw} 高于上限 {ceiling}，按 {ceiling} 计"),
                format!("score {raw} is above the ceiling of {ceiling}; counted as {ceiling}"),
                points_between(raw, score),
            ));
        }

        let (by_score, threshold) = self.grade_for_score(score);
        let mut grade = by_score;
        for cap in &self.caps {
            let (zh_cond, en_cond) = match cap.when {
                CapWhen::Blacklisted if blacklisted => (
                    "已列入严重质量失信名单".to_string(),
                    "on the serious quality-dishonesty blacklist".to_string(),
                ),
                CapWhen::SeriousEvent if !serious.is_empty() => {
                    let zh_list: Vec<String> = serious.iter().map(|e| event_text(e).0).collect();
                    let en_list: Vec<String> = serious.iter().map(|e| event_text(e).1).collect();
                    (
                        format!("计分期内有严重事件（{}）", zh_list.join("、")),
                        format!("serious event within the window ({})", en_list.join("; ")),
                    )
                }
                _ => continue,
            };
            let (zh_cap, en_cap) = (cap.grade.label(Lang::ZhCn), cap.grade.label(Lang::En));
            let (zh, en) = if cap.grade > grade {
                let (zh_from, en_from) = (grade.label(Lang::ZhCn), grade.label(Lang::En));
                (
                    format!("{zh_cond}：等级最高为{zh_cap}，由{zh_from}降为{zh_cap}"),
                    format!("{en_cond}: grade at most {en_cap}, lowered from {en_from}"),
                )
            } else {
                (
                    format!("{zh_cond}：等级最高为{zh_cap}（按得分已不高于此级）"),
                    format!("{en_cond}: grade at most {en_cap} (already no better by score)"),
                )
            };
            reasons.push(Reason::new(zh, en, 0));
            grade = grade.max(cap.grade);
        }

        let (mut zh, mut en) = match threshold {
            Threshold::Reached(min) => (
                format!(
                    "得分 {score}，达到{}线 {min} 分",
                    by_score.label(Lang::ZhCn)
                ),
                format!(
                    "score {score} reaches the {} line of {min}",
                    by_score.label(Lang::En)
                ),
            ),
            Threshold::Below(above, min) => (
                format!(
                    "得分 {score}，低于{}线 {min} 分，评为{}",
                    above.label(Lang::ZhCn),
                    by_score.label(Lang::ZhCn)
                ),
                format!(
                    "score {score} is below the {} line of {min}: {}",
                    above.label(Lang::En),
                    by_score.label(Lang::En)
                ),
            ),
            Threshold::Only => (
                format!("得分 {score}，评为{}", by_score.label(Lang::ZhCn)),
                format!("score {score}: {}", by_score.label(Lang::En)),
            ),
        };
        if grade != by_score {
            zh.push_str(&format!(
                "；受上述限制，最终评为{}",
                grade.label(Lang::ZhCn)
            ));
            en.push_str(&format!(
                "; with the limits above the grade is {}",
                grade.label(Lang::En)
            ));
        }
        reasons.push(Reason::new(zh, en, 0));

        Grading {
            grade,
            score,
            reasons,
        }
    }

    /// The grade a score reaches before caps, and which line decided it.
    fn grade_for_score(&self, score: i32) -> (Grade, Threshold) {
        for (i, g) in self.grades.iter().enumerate() {
            let is_last = i + 1 == self.grades.len();
            match g.min {
                Some(min) if score >= min && !(is_last && min == 0) => {
                    return (g.grade, Threshold::Reached(min));
                }
                None | Some(_) if is_last => {
                    return match i.checked_sub(1).and_then(|p| self.grades.get(p)) {
                        Some(above) => (
                            g.grade,
                            Threshold::Below(above.grade, above.min.unwrap_or(0)),
                        ),
                        None => (g.grade, Threshold::Only),
                    };
                }
                _ => {}
            }
        }
        // No grades at all (the rules failed validation): the worst grade is
        // the safe answer, and the reason says only the score.
        (Grade::D, Threshold::Only)
    }

    /// Whether the rules propose listing the enterprise on `as_of`, and why:
    /// enough failed supervisory samplings, or a serious administrative
    /// penalty, dated within the last `propose_within_years` (inclusive, as
    /// for the grading window). Events after `as_of` are ignored. Whether the
    /// enterprise is already listed is the caller's concern.
    pub fn blacklist_proposal(&self, events: &[Event], as_of: NaiveDate) -> Option<Reason> {
        let b = &self.blacklist;
        let from = sub_years(as_of, b.propose_within_years);
        let mut within: Vec<&Event> = events
            .iter()
            .filter(|e| from <= e.date && e.date <= as_of)
            .collect();
        within.sort_by_key(|e| e.date);

        let mut zh_parts = Vec::new();
        let mut en_parts = Vec::new();
        if let Some(n) = b.propose_sampling_failures.filter(|n| *n > 0) {
            let fails: Vec<String> = within
                .iter()
                .filter(|e| e.kind == EventKind::SamplingFailure)
                .map(|e| e.date.to_string())
                .collect();
            if fails.len() >= n as usize {
                zh_parts.push(format!(
                    "{from} 至 {as_of} 监督抽查不合格 {} 次（{}），达到 {n} 次的建议列入线",
                    fails.len(),
                    fails.join("、")
                ));
                en_parts.push(format!(
                    "{} failed supervisory samplings from {from} to {as_of} ({}), at or above the proposal line of {n}",
                    fails.len(),
                    fails.join(", ")
                ));
            }
        }
        if b.propose_on_serious_penalty {
            for e in within
                .iter()
                .filter(|e| e.kind == EventKind::Penalty && e.serious)
            {
                zh_parts.push(format!("{} 受到情节严重的行政处罚", e.date));
                en_parts.push(format!("serious administrative penalty on {}", e.date));
            }
        }
        if zh_parts.is_empty() {
            return None;
        }
        Some(Reason::new(
            format!("建议列入严重质量失信名单：{}", zh_parts.join("；")),
            format!(
                "listing on the serious quality-dishonesty blacklist proposed: {}",
                en_parts.join("; ")
            ),
            0,
        ))
    }
}

/// Which grade line decided a score's grade, for the final reason.
enum Threshold {
    /// The score reached this grade's `min`.
    Reached(i32),
    /// The score fell below the grade above (and its `min`) into the last grade.
    Below(Grade, i32),
    /// Only one grade (or none): nothing to compare.
    Only,
}

/// "2015-06-03 监督抽查不合格（严重）" and its English counterpart.
fn event_text(e: &Event) -> (String, String) {
    let (zh_serious, en_serious) = if e.serious {
        ("（严重）", " (serious)")
    } else {
        ("", "")
    };
    (
        format!("{} {}{zh_serious}", e.date, e.kind.label(Lang::ZhCn)),
        format!("{} {}{en_serious}", e.date, e.kind.label(Lang::En)),
    )
}

/// Points with their sign, as printed on a score sheet: "+10", "−20" (U+2212), "0".
fn signed(points: i32) -> String {
    match points.signum() {
        1 => format!("+{points}"),
        -1 => format!("−{}", points.unsigned_abs()),
        _ => "0".into(),
    }
}

/// A raw (unclamped) score, with the typographic minus when negative.
fn signed_plain(raw: i64) -> String {
    if raw < 0 {
        format!("−{}", raw.unsigned_abs())
    } else {
        raw.to_string()
    }
}

/// The adjustment from a raw score to its clamped value, as reason points.
fn points_between(raw: i64, clamped: i32) -> i32 {
    let diff = i64::from(clamped) - raw;
    i32::try_from(diff).unwrap_or(if diff < 0 { i32::MIN } else { i32::MAX })
}

/// `date` plus `years` calendar years (29 February becomes 28 February);
/// saturates at the last representable date.
fn add_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_add_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MAX)
}

/// `date` minus `years` calendar years; saturates at the first representable date.
fn sub_years(date: NaiveDate, years: u32) -> NaiveDate {
    date.checked_sub_months(Months::new(years.saturating_mul(12)))
        .unwrap_or(NaiveDate::MIN)
}

code_list! {
    /// Where a blacklist listing stands.
    ListingState {
        /// 拟列入: proposed, awaiting the office's decision.
        Proposed = "proposed", ["拟列入"], "Proposed";
        /// 已列入并公示: listed and published.
        Listed = "listed", ["已列入并公示", "已列入", "公示中"], "Listed and published";
        /// 申请信用修复: repair requested; still published while it is considered.
        RepairRequested = "repair_requested", ["申请信用修复", "信用修复申请中"], "Credit repair requested";
        /// 已移出: removed early after credit repair.
        Removed = "removed", ["已移出", "修复移出"], "Removed after credit repair";
        /// 未列入: the proposal was rejected.
        Rejected = "rejected", ["未列入"], "Not listed";
        /// 期满移出: the listing ran its term.
        Expired = "expired", ["期满移出", "期满"], "Removed at the end of its term";
    }
}

code_list! {
    /// What may be done to a listing. Who may do it (office or unit) is the
    /// store's concern, not modelled here.
    ListingAction {
        /// 批准列入: the office approves a proposal; the listing starts.
        Approve = "approve", ["批准列入"], "Approve listing";
        /// 不予列入: the office rejects a proposal.
        Reject = "reject", ["不予列入"], "Reject proposal";
        /// 申请信用修复: the enterprise applies for credit repair.
        RequestRepair = "request_repair", ["申请信用修复", "申请修复"], "Request credit repair";
        /// 准予信用修复: repair granted; the enterprise is removed early.
        ApproveRepair = "approve_repair", ["准予信用修复", "准予修复"], "Approve credit repair";
        /// 不予信用修复: repair refused; the listing continues unchanged.
        RefuseRepair = "refuse_repair", ["不予信用修复", "不予修复"], "Refuse credit repair";
        /// 期满移出: the term has run; the listing ends.
        Expire = "expire", ["期满移出"], "Expire listing";
    }
}

impl ListingState {
    /// Whether the listing is published: while listed and while a repair
    /// request is considered (publication stops only when repair is granted).
    pub fn is_public(self) -> bool {
        matches!(self, Self::Listed | Self::RepairRequested)
    }

    /// Whether no action can change this state any more.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Removed | Self::Rejected | Self::Expired)
    }

    /// The actions that may be legal from this state (dates may still refuse
    /// them), for offering choices in a form.
    pub fn actions(self) -> &'static [ListingAction] {
        use ListingAction as A;
        match self {
            Self::Proposed => &[A::Approve, A::Reject],
            Self::Listed => &[A::RequestRepair, A::Expire],
            Self::RepairRequested => &[A::ApproveRepair, A::RefuseRepair, A::Expire],
            Self::Removed | Self::Rejected | Self::Expired => &[],
        }
    }
}

/// One enterprise's blacklist listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    /// Where it stands.
    pub state: ListingState,
    /// The day the listing was approved; `None` until then.
    pub listed_on: Option<NaiveDate>,
    /// The day publication ends: the end of the term, or the day repair was
    /// granted when the enterprise was removed early; `None` until listed.
    pub until: Option<NaiveDate>,
}

impl Listing {
    /// A fresh proposal.
    pub fn proposed() -> Self {
        Listing {
            state: ListingState::Proposed,
            listed_on: None,
            until: None,
        }
    }

    /// Whether the listing is published ([`ListingState::is_public`]).
    pub fn is_public(&self) -> bool {
        self.state.is_public()
    }
}

/// Why an action cannot be applied to a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransitionError {
    /// The listing's state when the action was tried.
    pub state: ListingState,
    /// The action tried.
    pub action: ListingAction,
    /// What stands in the way.
    pub kind: TransitionErrorKind,
}

/// What stands in the way of a listing action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionErrorKind {
    /// The action does not apply in this state.
    NotAllowed,
    /// The action is allowed from this date on (repair: listed_on + repair
    /// years; expiry: the end of the term).
    TooEarly {
        /// The first day the action is allowed.
        earliest: NaiveDate,
    },
    /// Repair requested after the term ended: the listing should be expired.
    TermOver {
        /// The last day of the term.
        until: NaiveDate,
    },
    /// A listed record without its listing or end date; the record needs correcting.
    MissingDate,
}

impl TransitionError {
    fn new(listing: &Listing, action: ListingAction, kind: TransitionErrorKind) -> Self {
        TransitionError {
            state: listing.state,
            action,
            kind,
        }
    }

    /// The message in a language, naming the current state and the action.
    pub fn message(&self, lang: Lang) -> String {
        let state = self.state.label(lang);
        let action = self.action.label(lang);
        let list = |lang: Lang| {
            self.state
                .actions()
                .iter()
                .map(|a| a.label(lang))
                .collect::<Vec<_>>()
        };
        match (lang, self.kind) {
            (Lang::ZhCn, TransitionErrorKind::NotAllowed) => {
                let hint = if self.state.is_final() {
                    "该状态为终态，不能再变更".to_string()
                } else {
                    format!("此状态下可执行：{}", list(lang).join("、"))
                };
                format!("当前状态为“{state}”，不能执行“{action}”（{hint}）")
            }
            (Lang::En, TransitionErrorKind::NotAllowed) => {
                let hint = if self.state.is_final() {
                    "this state is final".to_string()
                } else {
                    format!("possible here: {}", list(lang).join(", "))
                };
                format!("the listing is “{state}”; “{action}” is not possible ({hint})")
            }
            (Lang::ZhCn, TransitionErrorKind::TooEarly { earliest }) => match self.action {
                ListingAction::Expire => format!(
                    "当前状态为“{state}”，不能执行“{action}”：列入期至 {earliest} 届满，届满之日起方可移出"
                ),
                _ => format!(
                    "当前状态为“{state}”，不能执行“{action}”：尚未到可申请之日，最早可于 {earliest} 申请"
                ),
            },
            (Lang::En, TransitionErrorKind::TooEarly { earliest }) => match self.action {
                ListingAction::Expire => format!(
                    "the listing is “{state}”; “{action}” is not possible yet: the term runs until {earliest}"
                ),
                _ => format!(
                    "the listing is “{state}”; “{action}” is not possible yet: the earliest date is {earliest}"
                ),
            },
            (Lang::ZhCn, TransitionErrorKind::TermOver { until }) => format!(
                "当前状态为“{state}”，不能执行“{action}”：列入期已于 {until} 届满，应执行“{}”",
                ListingAction::Expire.label(lang)
            ),
            (Lang::En, TransitionErrorKind::TermOver { until }) => format!(
                "the listing is “{state}”; “{action}” is not possible: the term ended on {until}, use “{}” instead",
                ListingAction::Expire.label(lang)
            ),
            (Lang::ZhCn, TransitionErrorKind::MissingDate) => format!(
                "当前状态为“{state}”，不能执行“{action}”：记录缺少列入日期或期满日期，请先更正记录"
            ),
            (Lang::En, TransitionErrorKind::MissingDate) => format!(
                "the listing is “{state}”; “{action}” is not possible: the record lacks its listing or end date and must be corrected first"
            ),
        }
    }
}

impl fmt::Display for TransitionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for TransitionError {}

/// Applies an action to a listing on a date, returning the new listing.
///
/// Approve starts the term (`until` = `on` + `listing_years`); a repair may be
/// requested from `listed_on` + `repair_after_years` until the term ends;
/// granting it removes the listing at once (`until` = `on`), refusing it
/// returns to the listing with the same term; Expire applies from `until` on.
/// Removed, Rejected and Expired are final.
pub fn apply(
    rules: &RuleSet,
    listing: &Listing,
    action: ListingAction,
    on: NaiveDate,
) -> Result<Listing, TransitionError> {
    use ListingAction as A;
    use ListingState as S;
    let fail = |kind| TransitionError::new(listing, action, kind);
    let dates = || match (listing.listed_on, listing.until) {
        (Some(listed_on), Some(until)) => Ok((listed_on, until)),
        _ => Err(fail(TransitionErrorKind::MissingDate)),
    };
    let to = |state, listed_on, until| Listing {
        state,
        listed_on,
        until,
    };
    match (listing.state, action) {
        (S::Proposed, A::Approve) => Ok(to(
            S::Listed,
            Some(on),
            Some(add_years(on, rules.blacklist.listing_years)),
        )),
        (S::Proposed, A::Reject) => Ok(to(S::Rejected, None, None)),
        (S::Listed, A::RequestRepair) => {
            let (listed_on, until) = dates()?;
            let earliest = add_years(listed_on, rules.blacklist.repair_after_years);
            if on < earliest {
                Err(fail(TransitionErrorKind::TooEarly { earliest }))
            } else if on >= until {
                Err(fail(TransitionErrorKind::TermOver { until }))
            } else {
                Ok(to(S::RepairRequested, Some(listed_on), Some(until)))
            }
        }
        (S::RepairRequested, A::ApproveRepair) => {
            let (listed_on, _) = dates()?;
            Ok(to(S::Removed, Some(listed_on), Some(on)))
        }
        (S::RepairRequested, A::RefuseRepair) => {
            let (listed_on, until) = dates()?;
            Ok(to(S::Listed, Some(listed_on), Some(until)))
        }
        (S::Listed | S::RepairRequested, A::Expire) => {
            let (listed_on, until) = dates()?;
            if on < until {
                Err(fail(TransitionErrorKind::TooEarly { earliest: until }))
            } else {
                Ok(to(S::Expired, Some(listed_on), Some(until)))
            }
        }
        _ => Err(fail(TransitionErrorKind::NotAllowed)),
    }
}
