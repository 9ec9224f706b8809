//! Acceptance self-check (创建验收自查): a score sheet held as data, a
//! proposed score per criterion with its reasoning, and a readiness score
//! with what is still missing.
//!
//! The official 《全国质量强市示范城市考核验收评分表》 could not be read: its
//! item points, total, pass mark, veto and bonus items are unknown
//! (`acceptance-and-indicators.md` §1.2). So the sheet is data, not code: a
//! [`Sheet`] (category → item → criterion) read from TOML, with a shipped
//! default ([`DEFAULT_SHEET_TOML`]) over the 11 national categories whose
//! notes say plainly that every point is QCity's assumption. The office may
//! edit it, export it as rows ([`Sheet::to_rows`]) and import the real one
//! from a workbook ([`Sheet::from_rows`]), which refuses the whole table if
//! any row is bad, naming each bad row.
//!
//! QCity proposes points for each criterion from the obligations and
//! indicators linked to it ([`Criterion::propose`]) and shows its reasoning;
//! a reviewer confirms or overrides (the store keeps the comment) and the
//! decisions give a [`Readiness`] and the [`Gap`]s still open, ordered by the
//! points at stake.
//!
//! ```
//! use qcity_domain::acceptance::{CriterionFacts, Sheet};
//! let sheet = Sheet::default_sheet();
//! assert_eq!(sheet.categories.len(), 11);
//! assert_eq!(sheet.base_total(), 1000.0);
//! let (_, _, c) = sheet.criterion("1.2.a").unwrap();
//! let facts = CriterionFacts { obligations_total: 4, obligations_accepted: 3, ..Default::default() };
//! let p = c.propose(&facts);
//! assert_eq!(p.points, 15.0); // 20 × 3/4
//! ```

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::org::Ratio;
use crate::plan::{Diagnostic, Plan};
use crate::rules::{self, Column, Rules, col, num, num_exact, toml_error};
use crate::target::{Lang, Status, TOLERANCE};

/// The default sheet: QCity's assumption, explained in its notes.
pub const DEFAULT_SHEET_TOML: &str = include_str!("../acceptance/default.toml");

static DEFAULT_SHEET: LazyLock<Sheet> = LazyLock::new(|| match Sheet::load(DEFAULT_SHEET_TOML) {
    Ok(sheet) => sheet,
    // The embedded file is fixed at build time; the test
    // `default_sheet_loads_and_validates` proves this arm is never taken.
    Err(diagnostics) => panic!("the embedded default score sheet does not load: {diagnostics:?}"),
});

/// Largest maximum a criterion may carry: far beyond any real sheet, small
/// enough that no sum loses precision.
const LIMIT_POINTS: f64 = 100_000.0;

/// How close a declared total must come to the sum of its criteria.
const SUM_TOLERANCE: f64 = 1e-6;

/// Characters that separate codes in one cell ("1.1.1、1.1.2"); a code may not
/// contain them, so a sheet written as rows reads back the same.
const CODE_SEPARATORS: [char; 5] = [',', '，', '、', ';', '；'];

/// Characters that separate evidence entries in one cell; an entry may not
/// contain them.
const EVIDENCE_SEPARATORS: [char; 3] = [';', '；', '\n'];

/// Marks the start of the Chinese half of a rule error carried through serde,
/// which only passes one message on.
const ZH_MARK: char = '\u{1f}';

/// An acceptance score sheet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sheet {
    /// The sheet's name, shown with every readiness score.
    pub name: String,
    /// Where the points come from, in Chinese; says whether they are assumed.
    pub note_zh: String,
    /// Where the points come from, in English.
    pub note_en: String,
    /// Whether the points are an assumption rather than the official sheet;
    /// pages show a warning while it is true.
    pub assumption: bool,
    /// The score the acceptance requires (及格线), when the source states one. The national
    /// sheet's pass mark is not known here, so the shipped sheet leaves it unset and the office
    /// sets it from the official document; the leaders' headline compares the score with it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass_line: Option<f64>,
    /// The first level: the acceptance categories.
    pub categories: Vec<Category>,
}

/// A first-level category (一级指标).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// `"1"`…; unique in the sheet.
    pub code: String,
    /// The category's name.
    pub name: String,
    /// The declared total of its criteria's maxima, when the source states
    /// one; checked, so a sheet whose points do not add up is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<f64>,
    /// Its items.
    pub items: Vec<Item>,
}

/// A second-level item (二级指标).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    /// `"1.1"`…; unique in the sheet.
    pub code: String,
    /// The item's name.
    pub name: String,
    /// Its criteria.
    pub criteria: Vec<Criterion>,
}

/// A scored criterion (评分标准): what is judged, how many points, how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    /// `"1.1.a"`…; unique in the sheet.
    pub code: String,
    /// What is judged.
    pub text: String,
    /// The most points it gives; 0 for a veto, which gives none.
    pub max_points: f64,
    /// How the points are given.
    pub rule: RuleKind,
    /// Evidence the reviewer needs to see (佐证材料).
    #[serde(default)]
    pub evidence: Vec<String>,
    /// Responsible unit codes (the plan's units).
    #[serde(default)]
    pub units: Vec<String>,
    /// Plan content codes whose obligations it is judged on.
    #[serde(default)]
    pub contents: Vec<String>,
    /// Plan indicator codes whose status it is judged on.
    #[serde(default)]
    pub indicators: Vec<String>,
}

/// One step of a tiered rule: reaching `min_share` gives `fraction` of the points.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tier {
    /// The least achieved share (0–1) that reaches this tier.
    pub min_share: f64,
    /// The fraction (0–1) of the maximum this tier gives.
    pub fraction: f64,
}

/// How a criterion's points are given.
///
/// Stored as text, the same in TOML and in a workbook cell, so the office
/// writes one syntax: `binary`, `tiered: 0.5=0.4; 0.8=0.8; 1=1`,
/// `proportional` (or `proportional: 0.9`), `deduction: 0.5`, `bonus`,
/// `veto`. Chinese names are read too (全有或全无, 分档, 按比例, 扣分, 加分,
/// 一票否决), and shares may be written as percentages (`80%=0.8`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum RuleKind {
    /// All or nothing: full points iff everything linked is done.
    Binary,
    /// The highest tier whose `min_share` the achieved share reaches gives its
    /// fraction of the points; below the lowest tier, 0.
    Tiered(Vec<Tier>),
    /// Points × achieved share ÷ `target`, capped at the maximum: reaching
    /// `target` (0–1, usually 1) gives full points.
    Proportional {
        /// The share that earns full points.
        target: f64,
    },
    /// The maximum minus `per_gap` for each gap, floored at 0.
    Deduction {
        /// Points lost per gap.
        per_gap: f64,
    },
    /// Points × achieved share, added on top: not part of the base total.
    Bonus,
    /// Gives no points; when failed, the whole readiness fails.
    Veto,
}

/// Why a rule's text cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The reason in English.
    pub en: String,
    /// The reason in Chinese.
    pub zh: String,
}

impl RuleError {
    fn new(en: String, zh: String) -> Self {
        RuleError { en, zh }
    }

    /// The reason in a language.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

impl fmt::Display for RuleError {
    /// English, then the Chinese after an invisible mark that
    /// [`Sheet::from_toml`] splits on; serde passes on a single message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{ZH_MARK}{}", self.en, self.zh)
    }
}

impl std::error::Error for RuleError {}

/// The rule names read, per kind: the canonical English first.
const RULE_NAMES: [(&str, &[&str]); 6] = [
    ("binary", &["binary", "全有或全无", "达标得分"]),
    ("tiered", &["tiered", "分档", "分档得分"]),
    ("proportional", &["proportional", "按比例", "按比例得分"]),
    ("deduction", &["deduction", "扣分", "按缺项扣分"]),
    ("bonus", &["bonus", "加分"]),
    ("veto", &["veto", "一票否决"]),
];

impl RuleKind {
    /// Reads the text form (see [`RuleKind`]). Ranges (tiers ascending,
    /// fractions ≤ 1 …) are checked by [`Sheet::validate`], not here.
    pub fn parse(text: &str) -> Result<RuleKind, RuleError> {
        let text = text.trim();
        let (name, params) = match text.find([':', '：']) {
            Some(at) => {
                let colon = text[at..].chars().next().map_or(1, char::len_utf8);
                (text[..at].trim(), Some(text[at + colon..].trim()))
            }
            None => (text, None),
        };
        let params = params.filter(|p| !p.is_empty());
        let kind = RULE_NAMES
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(name)))
            .map(|(kind, _)| *kind);
        let Some(kind) = kind else {
            return Err(RuleError::new(
                format!(
                    "unknown rule kind “{name}”: use binary, tiered, proportional, deduction, bonus or veto"
                ),
                format!(
                    "未知的评分方式“{name}”：应为全有或全无、分档、按比例、扣分、加分或一票否决"
                ),
            ));
        };
        let no_params = |rule: RuleKind| match params {
            Some(p) => Err(RuleError::new(
                format!("the rule “{kind}” takes no parameter, but “{p}” was given"),
                format!("评分方式“{kind}”不带参数，却写了“{p}”"),
            )),
            None => Ok(rule),
        };
        match kind {
            "binary" => no_params(RuleKind::Binary),
            "bonus" => no_params(RuleKind::Bonus),
            "veto" => no_params(RuleKind::Veto),
            "proportional" => match params {
                None => Ok(RuleKind::Proportional { target: 1.0 }),
                Some(p) => Ok(RuleKind::Proportional {
                    target: parse_share(p)?,
                }),
            },
            "deduction" => match params {
                None => Err(RuleError::new(
                    "the rule “deduction” needs the points per gap, e.g. “deduction: 0.5”".into(),
                    "评分方式“扣分”须写明每缺一项扣几分，如“扣分：0.5”".into(),
                )),
                Some(p) => Ok(RuleKind::Deduction {
                    per_gap: parse_number(p).ok_or_else(|| {
                        RuleError::new(
                            format!("“{p}” is not a number of points per gap"),
                            format!("“{p}”不是每项扣分的数值"),
                        )
                    })?,
                }),
            },
            _ => {
                let Some(p) = params else {
                    return Err(RuleError::new(
                        "the rule “tiered” needs its tiers, e.g. “tiered: 0.5=0.4; 0.8=0.8; 1=1”"
                            .into(),
                        "评分方式“分档”须写明各档，如“分档：0.5=0.4；0.8=0.8；1=1”（完成率=得分比例）"
                            .into(),
                    ));
                };
                let mut tiers = Vec::new();
                for part in p.split([';', '；', ',', '，']).map(str::trim) {
                    if part.is_empty() {
                        continue;
                    }
                    let bad = || {
                        RuleError::new(
                            format!(
                                "the tier “{part}” is not of the form share=fraction, e.g. 0.8=0.8"
                            ),
                            format!("档位“{part}”应写成“完成率=得分比例”，如 0.8=0.8"),
                        )
                    };
                    let (share, fraction) = part.split_once(['=', '＝']).ok_or_else(bad)?;
                    tiers.push(Tier {
                        min_share: parse_share(share).map_err(|_| bad())?,
                        fraction: parse_share(fraction).map_err(|_| bad())?,
                    });
                }
                Ok(RuleKind::Tiered(tiers))
            }
        }
    }

    /// The canonical name: `binary`, `tiered`, …
    pub fn name(&self) -> &'static str {
        match self {
            RuleKind::Binary => "binary",
            RuleKind::Tiered(_) => "tiered",
            RuleKind::Proportional { .. } => "proportional",
            RuleKind::Deduction { .. } => "deduction",
            RuleKind::Bonus => "bonus",
            RuleKind::Veto => "veto",
        }
    }

    /// A label for pages: "全有或全无" / "all-or-nothing".
    pub fn label(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (RuleKind::Binary, Lang::ZhCn) => "全有或全无",
            (RuleKind::Tiered(_), Lang::ZhCn) => "分档",
            (RuleKind::Proportional { .. }, Lang::ZhCn) => "按比例",
            (RuleKind::Deduction { .. }, Lang::ZhCn) => "按缺项扣分",
            (RuleKind::Bonus, Lang::ZhCn) => "加分",
            (RuleKind::Veto, Lang::ZhCn) => "一票否决",
            (RuleKind::Binary, Lang::En) => "all-or-nothing",
            (RuleKind::Tiered(_), Lang::En) => "tiered",
            (RuleKind::Proportional { .. }, Lang::En) => "proportional",
            (RuleKind::Deduction { .. }, Lang::En) => "deduction per gap",
            (RuleKind::Bonus, Lang::En) => "bonus",
            (RuleKind::Veto, Lang::En) => "veto",
        }
    }

    /// Whether the points count outside the base total.
    pub fn is_bonus(&self) -> bool {
        matches!(self, RuleKind::Bonus)
    }

    /// Whether the criterion is a veto.
    pub fn is_veto(&self) -> bool {
        matches!(self, RuleKind::Veto)
    }
}

impl fmt::Display for RuleKind {
    /// The canonical text form; [`RuleKind::parse`] reads it back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleKind::Tiered(tiers) => {
                let parts: Vec<String> = tiers
                    .iter()
                    .map(|t| format!("{}={}", t.min_share, t.fraction))
                    .collect();
                write!(f, "tiered: {}", parts.join("; "))
            }
            RuleKind::Proportional { target } if *target != 1.0 => {
                write!(f, "proportional: {target}")
            }
            RuleKind::Deduction { per_gap } => write!(f, "deduction: {per_gap}"),
            other => f.write_str(other.name()),
        }
    }
}

impl FromStr for RuleKind {
    type Err = RuleError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RuleKind::parse(s)
    }
}

impl TryFrom<String> for RuleKind {
    type Error = RuleError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        RuleKind::parse(&s)
    }
}

impl From<RuleKind> for String {
    fn from(rule: RuleKind) -> String {
        rule.to_string()
    }
}

/// A number as a clerk writes it in a cell: "10", "10.5", " 7 ".
fn parse_number(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok()
}

/// A share: "0.8" or "80%".
fn parse_share(s: &str) -> Result<f64, RuleError> {
    let t = s.trim();
    let value = match t.strip_suffix(['%', '％']) {
        Some(p) => parse_number(p).map(|v| v / 100.0),
        None => parse_number(t),
    };
    value.ok_or_else(|| {
        RuleError::new(
            format!("“{t}” is not a share (write 0.8 or 80%)"),
            format!("“{t}”不是比例（应写成 0.8 或 80%）"),
        )
    })
}

impl Rules for Sheet {
    const NAME_EN: &'static str = "the score sheet";
    const NAME_ZH: &'static str = "评分表";

    fn shipped() -> Sheet {
        Sheet::default_sheet()
    }

    fn validate(&self) -> Result<(), Vec<Diagnostic>> {
        Sheet::validate(self)
    }

    /// A rule the sheet's reader refuses carries its own message in both languages.
    fn read_error(src: &str, e: &toml::de::Error) -> Diagnostic {
        let mut d = toml_error(src, e, "the score sheet cannot be read", "评分表无法读取");
        if let Some((en, zh)) = e.message().trim().split_once(ZH_MARK) {
            d.message_en = format!("the score sheet cannot be read: {en}");
            d.message_zh = format!("评分表无法读取：{zh}");
        }
        d
    }
}

impl Sheet {
    /// The shipped default sheet ([`DEFAULT_SHEET_TOML`]).
    pub fn default_sheet() -> Sheet {
        DEFAULT_SHEET.clone()
    }

    /// Reads a sheet: TOML syntax and shape (unknown or missing fields, wrong
    /// types, unreadable rules). The one error carries its line. Does not
    /// validate.
    pub fn from_toml(src: &str) -> Result<Sheet, Diagnostic> {
        rules::read(src)
    }

    /// Reads and validates a sheet; every problem found is returned.
    pub fn load(src: &str) -> Result<Sheet, Vec<Diagnostic>> {
        rules::load(src)
    }

    /// The sheet as TOML, for export; [`Sheet::load`] reads it back.
    pub fn to_toml(&self) -> String {
        rules::write(self)
    }

    /// Every criterion with its category and item, in sheet order.
    pub fn criteria(&self) -> impl Iterator<Item = (&Category, &Item, &Criterion)> {
        self.categories.iter().flat_map(|cat| {
            cat.items
                .iter()
                .flat_map(move |item| item.criteria.iter().map(move |c| (cat, item, c)))
        })
    }

    /// The criterion with this code, with its category and item.
    pub fn criterion(&self, code: &str) -> Option<(&Category, &Item, &Criterion)> {
        self.criteria().find(|(_, _, c)| c.code == code)
    }

    /// The base total: the maxima of all criteria but bonus ones.
    pub fn base_total(&self) -> f64 {
        self.criteria()
            .filter(|(_, _, c)| !c.rule.is_bonus())
            .map(|(_, _, c)| c.max_points)
            .sum()
    }

    /// The most bonus points the sheet can give.
    pub fn bonus_total(&self) -> f64 {
        self.criteria()
            .filter(|(_, _, c)| c.rule.is_bonus())
            .map(|(_, _, c)| c.max_points)
            .sum()
    }

    /// Refuses sheets that cannot score sensibly: empty texts or levels,
    /// duplicate or malformed codes, maxima that are negative, not numbers or
    /// (except for a veto) zero, a veto with points, tiers not ascending or
    /// beyond 1, a target share outside (0, 1], a non-positive deduction, and
    /// declared totals that differ from the sum of their criteria.
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
                    format!("{field} is empty: name the sheet and say where its points come from"),
                    format!("{field} 为空：请写明评分表名称，并说明分值的来源"),
                );
            }
        }
        if self.categories.is_empty() {
            err(
                "categories".into(),
                "the sheet has no category".into(),
                "评分表没有任何类别".into(),
            );
        }
        if let Some(line) = self.pass_line {
            let most = self.base_total() + self.bonus_total();
            if !(line.is_finite() && line > 0.0 && line <= most) {
                err(
                    "pass_line".into(),
                    format!(
                        "pass_line {line} must be above 0 and at most the sheet's {most} points"
                    ),
                    format!("及格线 {line} 应大于 0 且不超过评分表的总分 {most} 分"),
                );
            }
        }

        // Code → path of its first use, per level.
        let mut seen: [HashMap<String, String>; 3] = Default::default();
        let mut check_code = |err: &mut dyn FnMut(String, String, String),
                              level: usize,
                              code: &str,
                              path: String| {
            let (en_level, zh_level) = [
                ("category", "类别"),
                ("item", "项目"),
                ("criterion", "评分标准"),
            ][level];
            if !code_ok(code) {
                err(
                    format!("{path}.code"),
                    format!(
                        "the {en_level} code “{code}” is empty or contains spaces or separators (, ; 、)"
                    ),
                    format!("{zh_level}编号“{code}”为空，或含有空格、分隔符（，；、）"),
                );
            } else if let Some(first) = seen[level].get(code) {
                err(
                    format!("{path}.code"),
                    format!("the {en_level} code “{code}” is already used at {first}"),
                    format!("{zh_level}编号“{code}”与 {first} 重复"),
                );
            } else {
                seen[level].insert(code.to_string(), path);
            }
        };

        for (ci, cat) in self.categories.iter().enumerate() {
            let cpath = format!("categories[{ci}]");
            check_code(&mut err, 0, &cat.code, cpath.clone());
            if cat.name.trim().is_empty() {
                err(
                    format!("{cpath}.name"),
                    format!("category “{}” has no name", cat.code),
                    format!("类别“{}”缺少名称", cat.code),
                );
            }
            if cat.items.is_empty() {
                err(
                    format!("{cpath}.items"),
                    format!("category “{}” has no item", cat.code),
                    format!("类别“{}”下没有任何项目", cat.code),
                );
            }
            for (ii, item) in cat.items.iter().enumerate() {
                let ipath = format!("{cpath}.items[{ii}]");
                check_code(&mut err, 1, &item.code, ipath.clone());
                if item.name.trim().is_empty() {
                    err(
                        format!("{ipath}.name"),
                        format!("item “{}” has no name", item.code),
                        format!("项目“{}”缺少名称", item.code),
                    );
                }
                if item.criteria.is_empty() {
                    err(
                        format!("{ipath}.criteria"),
                        format!("item “{}” has no criterion", item.code),
                        format!("项目“{}”下没有任何评分标准", item.code),
                    );
                }
                for (ki, c) in item.criteria.iter().enumerate() {
                    let kpath = format!("{ipath}.criteria[{ki}]");
                    check_code(&mut err, 2, &c.code, kpath.clone());
                    validate_criterion(&mut err, c, &kpath);
                }
            }
            if let Some(total) = cat.total {
                let sum: f64 = cat
                    .items
                    .iter()
                    .flat_map(|i| &i.criteria)
                    .map(|c| c.max_points)
                    .sum();
                if !total.is_finite() || (total - sum).abs() > SUM_TOLERANCE {
                    err(
                        format!("{cpath}.total"),
                        format!(
                            "category “{}” declares {} points, but its criteria add up to {}",
                            cat.code,
                            num_exact(total),
                            num_exact(sum)
                        ),
                        format!(
                            "类别“{}”标明合计 {} 分，但其评分标准分值合计为 {} 分",
                            cat.code,
                            num_exact(total),
                            num_exact(sum)
                        ),
                    );
                }
            }
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }

    /// Checks the sheet's references against a plan: every unit, content and
    /// indicator code a criterion names exists there. Run after loading a
    /// sheet and whenever the plan changes.
    pub fn validate_against(&self, plan: &Plan) -> Result<(), Vec<Diagnostic>> {
        let mut out = Vec::new();
        for (ci, cat) in self.categories.iter().enumerate() {
            for (ii, item) in cat.items.iter().enumerate() {
                for (ki, c) in item.criteria.iter().enumerate() {
                    let kpath = format!("categories[{ci}].items[{ii}].criteria[{ki}]");
                    let lists: [(&str, &[String], &str, &str); 3] = [
                        ("units", &c.units, "unit", "单位"),
                        ("contents", &c.contents, "target content", "目标内容"),
                        ("indicators", &c.indicators, "indicator", "指标"),
                    ];
                    for (field, codes, en_what, zh_what) in lists {
                        for (n, code) in codes.iter().enumerate() {
                            let known = match field {
                                "units" => plan.unit(code).is_some(),
                                "contents" => plan.content(code).is_some(),
                                _ => plan.indicator(code).is_some(),
                            };
                            if !known {
                                out.push(Diagnostic::error(
                                    format!("{kpath}.{field}[{n}]"),
                                    format!(
                                        "criterion “{}” names the {en_what} “{code}”, which the plan “{}” does not have",
                                        c.code, plan.plan.code
                                    ),
                                    format!(
                                        "评分标准“{}”引用的{zh_what}“{code}”在工作方案“{}”中不存在",
                                        c.code, plan.plan.code
                                    ),
                                ));
                            }
                        }
                    }
                }
            }
        }
        if out.is_empty() { Ok(()) } else { Err(out) }
    }
}

/// Whether a code can be written in a cell and read back alone.
fn code_ok(code: &str) -> bool {
    !code.is_empty()
        && !code
            .chars()
            .any(|ch| ch.is_whitespace() || CODE_SEPARATORS.contains(&ch))
}

/// The checks of one criterion (codes apart).
fn validate_criterion(err: &mut dyn FnMut(String, String, String), c: &Criterion, path: &str) {
    let code = &c.code;
    if c.text.trim().is_empty() {
        err(
            format!("{path}.text"),
            format!("criterion “{code}” does not say what is judged"),
            format!("评分标准“{code}”缺少评分内容"),
        );
    }
    let m = c.max_points;
    if !m.is_finite() || !(0.0..=LIMIT_POINTS).contains(&m) {
        err(
            format!("{path}.max_points"),
            format!(
                "criterion “{code}”: the maximum {m} must be a number between 0 and {}",
                num(LIMIT_POINTS)
            ),
            format!(
                "评分标准“{code}”的满分 {m} 应为 0 至 {} 之间的数，不能为负",
                num(LIMIT_POINTS)
            ),
        );
    } else if c.rule.is_veto() && m != 0.0 {
        err(
            format!("{path}.max_points"),
            format!("criterion “{code}” is a veto: it gives no points, so its maximum must be 0"),
            format!("评分标准“{code}”为一票否决项，不计分，满分应为 0"),
        );
    } else if !c.rule.is_veto() && m == 0.0 {
        err(
            format!("{path}.max_points"),
            format!("criterion “{code}” has a maximum of 0; only a veto gives no points"),
            format!("评分标准“{code}”满分为 0；只有一票否决项不计分"),
        );
    }
    let in_unit = |x: f64| x.is_finite() && (0.0..=1.0).contains(&x);
    match &c.rule {
        RuleKind::Tiered(tiers) => {
            if tiers.is_empty() {
                err(
                    format!("{path}.rule"),
                    format!("criterion “{code}”: a tiered rule needs at least one tier"),
                    format!("评分标准“{code}”：分档评分至少要有一档"),
                );
            }
            for (i, t) in tiers.iter().enumerate() {
                if !in_unit(t.min_share) || !in_unit(t.fraction) {
                    err(
                        format!("{path}.rule"),
                        format!(
                            "criterion “{code}”: tier {} ({}={}) must have a share and a fraction between 0 and 1",
                            i + 1,
                            t.min_share,
                            t.fraction
                        ),
                        format!(
                            "评分标准“{code}”：第 {} 档（{}={}）的完成率和得分比例都应在 0 至 1 之间",
                            i + 1,
                            t.min_share,
                            t.fraction
                        ),
                    );
                }
                if let Some(prev) = i.checked_sub(1).and_then(|p| tiers.get(p))
                    && (t.min_share <= prev.min_share || t.fraction < prev.fraction)
                {
                    err(
                        format!("{path}.rule"),
                        format!(
                            "criterion “{code}”: tier {} ({}={}) must ask more and give at least as much as the tier before ({}={})",
                            i + 1,
                            t.min_share,
                            t.fraction,
                            prev.min_share,
                            prev.fraction
                        ),
                        format!(
                            "评分标准“{code}”：各档应按完成率从低到高排列，得分比例不能下降（第 {} 档 {}={}，前一档 {}={}）",
                            i + 1,
                            t.min_share,
                            t.fraction,
                            prev.min_share,
                            prev.fraction
                        ),
                    );
                }
            }
        }
        RuleKind::Proportional { target } if !(in_unit(*target) && *target > 0.0) => err(
            format!("{path}.rule"),
            format!("criterion “{code}”: the target share {target} must be above 0 and at most 1"),
            format!("评分标准“{code}”：满分所需完成率 {target} 应大于 0 且不超过 1"),
        ),
        RuleKind::Deduction { per_gap } if !(per_gap.is_finite() && *per_gap > 0.0) => err(
            format!("{path}.rule"),
            format!("criterion “{code}”: the deduction per gap {per_gap} must be above 0"),
            format!("评分标准“{code}”：每项扣分 {per_gap} 应大于 0"),
        ),
        _ => {}
    }
    for (n, e) in c.evidence.iter().enumerate() {
        if e.trim().is_empty() || e.contains(EVIDENCE_SEPARATORS) {
            err(
                format!("{path}.evidence[{n}]"),
                format!(
                    "criterion “{code}”: evidence entry {} is empty or contains a separator (; or a line break); make it two entries",
                    n + 1
                ),
                format!(
                    "评分标准“{code}”：第 {} 项佐证材料为空或含有分隔符（；或换行），请拆成两项",
                    n + 1
                ),
            );
        }
    }
    for (field, codes) in [
        ("units", &c.units),
        ("contents", &c.contents),
        ("indicators", &c.indicators),
    ] {
        for (n, x) in codes.iter().enumerate() {
            if !code_ok(x) {
                err(
                    format!("{path}.{field}[{n}]"),
                    format!(
                        "criterion “{code}”: “{x}” in {field} is empty or contains spaces or separators"
                    ),
                    format!("评分标准“{code}”：{field} 中的“{x}”为空，或含有空格、分隔符"),
                );
            } else if codes[..n].contains(x) {
                err(
                    format!("{path}.{field}[{n}]"),
                    format!("criterion “{code}”: “{x}” is listed twice in {field}"),
                    format!("评分标准“{code}”：{field} 中“{x}”重复"),
                );
            }
        }
    }
}

// ------------------------------------------------------------------ rows

/// One row of the tabular form of a sheet: one criterion per row, with its
/// category and item repeated, as an office keeps it in a workbook. Every
/// field is the cell's text; [`Sheet::from_rows`] parses and checks them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetRow {
    /// The row's 1-based line in the workbook, named in every message.
    pub line: usize,
    /// 类别编号.
    pub category_code: String,
    /// 类别名称.
    pub category_name: String,
    /// 项目编号.
    pub item_code: String,
    /// 项目名称.
    pub item_name: String,
    /// 标准编号.
    pub criterion_code: String,
    /// 评分内容.
    pub text: String,
    /// 满分: a non-negative number.
    pub max_points: String,
    /// 评分方式: the text form of [`RuleKind`].
    pub rule: String,
    /// 佐证材料, separated by ；, ; or line breaks.
    pub evidence: String,
    /// 责任单位 codes, separated by 、, ， ; or spaces.
    pub units: String,
    /// 关联目标内容 codes.
    pub contents: String,
    /// 关联指标 codes.
    pub indicators: String,
    /// 类别合计: the category's declared total, on any of its rows; every row
    /// that states one must agree.
    pub declared_total: Option<String>,
}

/// The columns of the tabular form, in export order. A header cell matches a
/// column by its key, Chinese or English header.
pub const COLUMNS: [Column; 13] = [
    col("category_code", "类别编号", "Category code", true),
    col("category_name", "类别名称", "Category", true),
    col("item_code", "项目编号", "Item code", true),
    col("item_name", "项目名称", "Item", true),
    col("criterion_code", "标准编号", "Criterion code", true),
    col("text", "评分内容", "Criterion", true),
    col("max_points", "满分", "Maximum points", true),
    col("rule", "评分方式", "Rule", true),
    col("evidence", "佐证材料", "Evidence", true),
    col("units", "责任单位", "Responsible units", true),
    col("contents", "关联目标内容", "Target contents", true),
    col("indicators", "关联指标", "Indicators", true),
    col("declared_total", "类别合计", "Category total", false),
];

impl SheetRow {
    /// Reads rows from a table of cells: the header row (at `header_line`)
    /// names the columns (see [`COLUMNS`]; any order, extra columns ignored),
    /// each body row is its line and cells. A missing required column is
    /// refused, naming it; nothing is returned then.
    pub fn from_table(
        header_line: usize,
        header: &[String],
        body: &[(usize, Vec<String>)],
    ) -> Result<Vec<SheetRow>, Vec<Diagnostic>> {
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
                let mut d = Diagnostic::error(
                    c.key,
                    format!(
                        "row {header_line}: the column “{}” ({}) is missing",
                        c.en, c.zh
                    ),
                    format!("第 {header_line} 行：缺少“{}”列", c.zh),
                );
                d.line = Some(header_line);
                d
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
                        .map(|s| s.trim().to_string())
                        .unwrap_or_default()
                };
                SheetRow {
                    line: *line,
                    category_code: cell(0),
                    category_name: cell(1),
                    item_code: cell(2),
                    item_name: cell(3),
                    criterion_code: cell(4),
                    text: cell(5),
                    max_points: cell(6),
                    rule: cell(7),
                    evidence: cell(8),
                    units: cell(9),
                    contents: cell(10),
                    indicators: cell(11),
                    declared_total: at[12].map(|_| cell(12)).filter(|s| !s.is_empty()),
                }
            })
            .collect();
        Ok(rows)
    }

    /// The cells in [`COLUMNS`] order, for export.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.category_code.clone(),
            self.category_name.clone(),
            self.item_code.clone(),
            self.item_name.clone(),
            self.criterion_code.clone(),
            self.text.clone(),
            self.max_points.clone(),
            self.rule.clone(),
            self.evidence.clone(),
            self.units.clone(),
            self.contents.clone(),
            self.indicators.clone(),
            self.declared_total.clone().unwrap_or_default(),
        ]
    }
}

/// A row-level error: the line in both messages and in `line`.
fn row_error(line: usize, key: &str, en: String, zh: String) -> Diagnostic {
    let mut d = Diagnostic::error(
        key,
        format!("row {line}: {en}"),
        format!("第 {line} 行：{zh}"),
    );
    d.line = Some(line);
    d
}

fn split_codes(s: &str) -> Vec<String> {
    s.split(|c: char| c.is_whitespace() || CODE_SEPARATORS.contains(&c))
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

fn split_evidence(s: &str) -> Vec<String> {
    s.split(EVIDENCE_SEPARATORS)
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

impl Sheet {
    /// Reads a sheet from rows (a workbook's table), all or nothing: every bad
    /// row is named by its line with the reason, and no sheet is returned
    /// unless every row is good.
    ///
    /// Refused: a missing required value, a maximum that is not a number or
    /// is negative, an unknown or malformed rule, a category or item named two
    /// ways, an item under two categories, a repeated criterion code, a
    /// category whose declared total differs from the sum of its criteria (or
    /// whose rows declare different totals), and whatever
    /// [`Sheet::validate`] refuses.
    ///
    /// The header is not part of the table: the sheet gets a name and notes
    /// saying it was imported, and `assumption = true` until the office says
    /// it is the official sheet.
    pub fn from_rows(rows: &[SheetRow]) -> Result<Sheet, Vec<Diagnostic>> {
        let mut errors = Vec::new();
        if rows.is_empty() {
            errors.push(Diagnostic::error(
                "",
                "the table has no rows".to_string(),
                "表格中没有任何评分标准行".to_string(),
            ));
            return Err(errors);
        }

        // Required cells, numbers and rules, row by row.
        let mut parsed: Vec<Option<(f64, RuleKind, Option<f64>)>> = Vec::new();
        for r in rows {
            let before = errors.len();
            let required = [
                ("category_code", &r.category_code),
                ("category_name", &r.category_name),
                ("item_code", &r.item_code),
                ("item_name", &r.item_name),
                ("criterion_code", &r.criterion_code),
                ("text", &r.text),
                ("max_points", &r.max_points),
                ("rule", &r.rule),
            ];
            for (key, value) in required {
                if value.trim().is_empty() {
                    let c = COLUMNS.iter().find(|c| c.key == key);
                    let (zh, en) = c.map_or((key, key), |c| (c.zh, c.en));
                    errors.push(row_error(
                        r.line,
                        key,
                        format!("“{en}” is empty"),
                        format!("“{zh}”为空"),
                    ));
                }
            }
            let max = if r.max_points.trim().is_empty() {
                None
            } else {
                match parse_number(&r.max_points) {
                    Some(m) if m.is_finite() && m >= 0.0 => Some(m),
                    Some(m) if m < 0.0 => {
                        errors.push(row_error(
                            r.line,
                            "max_points",
                            format!("the maximum {} is negative", r.max_points.trim()),
                            format!("满分 {} 为负数", r.max_points.trim()),
                        ));
                        None
                    }
                    _ => {
                        errors.push(row_error(
                            r.line,
                            "max_points",
                            format!("the maximum “{}” is not a number", r.max_points.trim()),
                            format!("满分“{}”不是数字", r.max_points.trim()),
                        ));
                        None
                    }
                }
            };
            let rule = if r.rule.trim().is_empty() {
                None
            } else {
                match RuleKind::parse(&r.rule) {
                    Ok(rule) => Some(rule),
                    Err(e) => {
                        errors.push(row_error(r.line, "rule", e.en, e.zh));
                        None
                    }
                }
            };
            let total = match r.declared_total.as_deref().map(str::trim) {
                None | Some("") => None,
                Some(t) => match parse_number(t) {
                    Some(v) if v.is_finite() && v >= 0.0 => Some(v),
                    _ => {
                        errors.push(row_error(
                            r.line,
                            "declared_total",
                            format!("the category total “{t}” is not a non-negative number"),
                            format!("类别合计“{t}”不是非负数"),
                        ));
                        None
                    }
                },
            };
            parsed.push(match (max, rule) {
                (Some(m), Some(rule)) if errors.len() == before => Some((m, rule, total)),
                _ => None,
            });
        }

        // Consistency across rows, and the tree in order of first appearance.
        let mut sheet = Sheet {
            name: "导入的验收评分表 / Imported acceptance score sheet".into(),
            note_zh: format!(
                "由表格导入（{} 条评分标准）。如非官方评分表，请说明分值的依据。",
                rows.len()
            ),
            note_en: format!(
                "Imported from a table ({} criteria). Unless this is the official sheet, say where the points come from.",
                rows.len()
            ),
            assumption: true,
            pass_line: None,
            categories: Vec::new(),
        };
        // Row line per TOML path prefix, to place validation errors.
        let mut lines: Vec<(String, usize)> = Vec::new();
        let mut cat_at: HashMap<&str, (usize, usize)> = HashMap::new(); // code → (index, first line)
        let mut item_at: HashMap<&str, (usize, usize, usize)> = HashMap::new(); // code → (cat, item, line)
        let mut crit_at: HashMap<&str, usize> = HashMap::new(); // code → line
        let mut totals: HashMap<usize, (f64, usize)> = HashMap::new(); // cat index → (total, line)
        for (r, p) in rows.iter().zip(&parsed) {
            let Some((max, rule, total)) = p else {
                continue;
            };
            let ci = match cat_at.get(r.category_code.as_str()) {
                Some(&(ci, first)) => {
                    let name = &sheet.categories[ci].name;
                    if *name != r.category_name {
                        errors.push(row_error(
                            r.line,
                            "category_name",
                            format!(
                                "category “{}” is named “{}” here but “{name}” on row {first}",
                                r.category_code, r.category_name
                            ),
                            format!(
                                "类别“{}”此处名为“{}”，第 {first} 行为“{name}”",
                                r.category_code, r.category_name
                            ),
                        ));
                        continue;
                    }
                    ci
                }
                None => {
                    let ci = sheet.categories.len();
                    sheet.categories.push(Category {
                        code: r.category_code.clone(),
                        name: r.category_name.clone(),
                        total: None,
                        items: Vec::new(),
                    });
                    cat_at.insert(&r.category_code, (ci, r.line));
                    lines.push((format!("categories[{ci}]"), r.line));
                    ci
                }
            };
            if let Some(t) = total {
                match totals.get(&ci) {
                    Some(&(first, at)) if (first - t).abs() > SUM_TOLERANCE => {
                        errors.push(row_error(
                            r.line,
                            "declared_total",
                            format!(
                                "category “{}” is declared {} points here but {} on row {at}",
                                r.category_code,
                                num_exact(*t),
                                num_exact(first)
                            ),
                            format!(
                                "类别“{}”此处标明合计 {} 分，第 {at} 行为 {} 分",
                                r.category_code,
                                num_exact(*t),
                                num_exact(first)
                            ),
                        ));
                        continue;
                    }
                    Some(_) => {}
                    None => {
                        totals.insert(ci, (*t, r.line));
                        sheet.categories[ci].total = Some(*t);
                        lines.push((format!("categories[{ci}].total"), r.line));
                    }
                }
            }
            let ii = match item_at.get(r.item_code.as_str()) {
                Some(&(ic, ii, first)) => {
                    if ic != ci {
                        let other = &sheet.categories[ic].code;
                        errors.push(row_error(
                            r.line,
                            "item_code",
                            format!(
                                "item “{}” is under category “{}” here but under “{other}” on row {first}",
                                r.item_code, r.category_code
                            ),
                            format!(
                                "项目“{}”此处属于类别“{}”，第 {first} 行属于类别“{other}”",
                                r.item_code, r.category_code
                            ),
                        ));
                        continue;
                    }
                    let name = &sheet.categories[ci].items[ii].name;
                    if *name != r.item_name {
                        errors.push(row_error(
                            r.line,
                            "item_name",
                            format!(
                                "item “{}” is named “{}” here but “{name}” on row {first}",
                                r.item_code, r.item_name
                            ),
                            format!(
                                "项目“{}”此处名为“{}”，第 {first} 行为“{name}”",
                                r.item_code, r.item_name
                            ),
                        ));
                        continue;
                    }
                    ii
                }
                None => {
                    let items = &mut sheet.categories[ci].items;
                    let ii = items.len();
                    items.push(Item {
                        code: r.item_code.clone(),
                        name: r.item_name.clone(),
                        criteria: Vec::new(),
                    });
                    item_at.insert(&r.item_code, (ci, ii, r.line));
                    lines.push((format!("categories[{ci}].items[{ii}]"), r.line));
                    ii
                }
            };
            if let Some(first) = crit_at.get(r.criterion_code.as_str()) {
                errors.push(row_error(
                    r.line,
                    "criterion_code",
                    format!(
                        "the criterion code “{}” is already used on row {first}",
                        r.criterion_code
                    ),
                    format!("标准编号“{}”与第 {first} 行重复", r.criterion_code),
                ));
                continue;
            }
            crit_at.insert(&r.criterion_code, r.line);
            let criteria = &mut sheet.categories[ci].items[ii].criteria;
            lines.push((
                format!("categories[{ci}].items[{ii}].criteria[{}]", criteria.len()),
                r.line,
            ));
            criteria.push(Criterion {
                code: r.criterion_code.clone(),
                text: r.text.clone(),
                max_points: *max,
                rule: rule.clone(),
                evidence: split_evidence(&r.evidence),
                units: split_codes(&r.units),
                contents: split_codes(&r.contents),
                indicators: split_codes(&r.indicators),
            });
        }

        // Row errors leave the tree partial (an item without its skipped
        // criteria, a total short of them): validating it would report
        // problems that are not there, so the rows are fixed first.
        if !errors.is_empty() {
            errors.sort_by_key(|d| d.line);
            return Err(errors);
        }
        if let Err(found) = sheet.validate() {
            // Longest prefix first, so a criterion wins over its item.
            lines.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
            for d in found {
                let line = lines
                    .iter()
                    .find(|(p, _)| {
                        d.path
                            .strip_prefix(p.as_str())
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                    })
                    .map(|(_, l)| *l);
                match line {
                    Some(line) => errors.push(row_error(line, &d.path, d.message_en, d.message_zh)),
                    None => errors.push(d),
                }
            }
        }
        if errors.is_empty() {
            Ok(sheet)
        } else {
            errors.sort_by_key(|d| d.line);
            Err(errors)
        }
    }

    /// The sheet as rows, one per criterion, for export to a workbook; the
    /// category total is repeated on each of its rows when declared.
    /// [`Sheet::from_rows`] reads them back to the same categories.
    pub fn to_rows(&self) -> Vec<SheetRow> {
        self.criteria()
            .enumerate()
            .map(|(i, (cat, item, c))| SheetRow {
                // Line 1 is the header.
                line: i + 2,
                category_code: cat.code.clone(),
                category_name: cat.name.clone(),
                item_code: item.code.clone(),
                item_name: item.name.clone(),
                criterion_code: c.code.clone(),
                text: c.text.clone(),
                max_points: c.max_points.to_string(),
                rule: c.rule.to_string(),
                evidence: c.evidence.join("；"),
                units: c.units.join("、"),
                contents: c.contents.join("、"),
                indicators: c.indicators.join("、"),
                declared_total: cat.total.map(|t| t.to_string()),
            })
            .collect()
    }
}

// ------------------------------------------------------------------ proposals

/// What the store counts for one criterion: the obligations of its linked
/// contents and the status of its linked indicators.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CriterionFacts {
    /// Obligations (dated duties) of the linked contents due by now.
    pub obligations_total: u32,
    /// Of those, accepted by the office.
    pub obligations_accepted: u32,
    /// Labels of the obligations not yet accepted (e.g. "2.4.3 2015"), for
    /// the list of what is missing; when empty while some are open, the
    /// criterion's content codes stand in.
    #[serde(default)]
    pub open_obligations: Vec<String>,
    /// Further shortcomings recorded against the criterion (inspection
    /// findings; for a veto, veto events such as a major accident).
    pub gaps: u32,
    /// Status of each linked indicator; a linked indicator not listed counts
    /// as having no data.
    pub indicator_statuses: Vec<(String, Status)>,
}

/// QCity's proposed points for a criterion, with its reasoning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Proposed points (0 for a veto, and when a reviewer must judge).
    pub points: f64,
    /// Nothing linked can decide it (or it is a veto): a reviewer must judge.
    pub needs_review: bool,
    /// For a veto: the facts say it failed.
    pub vetoed: bool,
    /// How the points were reached, in Chinese.
    pub reasoning_zh: String,
    /// How the points were reached, in English.
    pub reasoning_en: String,
    /// What is still missing: open obligations and indicator codes not met.
    pub missing: Vec<String>,
}

impl Proposal {
    /// The reasoning in a language.
    pub fn reasoning(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.reasoning_zh,
            Lang::En => &self.reasoning_en,
        }
    }

    /// The decision that confirms this proposal as it stands.
    pub fn confirm(&self, criterion: &str) -> Decision {
        Decision {
            criterion: criterion.to_string(),
            points: self.points,
            veto_failed: self.vetoed,
        }
    }
}

impl Criterion {
    /// Proposes points from the linked obligations and indicators.
    ///
    /// The achieved share counts each linked obligation and each linked
    /// indicator once: (accepted + met) ÷ (obligations + indicators). Only
    /// "met" counts for an indicator: acceptance judges what is reached, so
    /// "on track" is still missing. Per rule:
    /// - binary: full points iff every obligation is accepted, every
    ///   indicator met and no gap recorded;
    /// - tiered: the fraction of the highest tier the share reaches;
    /// - proportional: max × min(1, share ÷ target);
    /// - deduction: max − per_gap × (open obligations + indicators not met +
    ///   recorded gaps), floored at 0;
    /// - bonus: max × share, outside the base total;
    /// - veto: no points; failed when a gap (veto event) is recorded or a
    ///   linked indicator is not met, and always left to a reviewer to confirm.
    ///
    /// With nothing linked (and, for a deduction, no gap recorded) the facts
    /// cannot decide: 0 points are proposed and the reasoning says a reviewer
    /// must judge.
    pub fn propose(&self, facts: &CriterionFacts) -> Proposal {
        let mut statuses = facts.indicator_statuses.clone();
        for code in &self.indicators {
            if !statuses.iter().any(|(c, _)| c == code) {
                statuses.push((code.clone(), Status::NoData));
            }
        }
        let n_obl = facts.obligations_total;
        let accepted = facts.obligations_accepted.min(n_obl);
        let open = n_obl - accepted;
        let n_ind = u32::try_from(statuses.len()).unwrap_or(u32::MAX);
        let met = u32::try_from(statuses.iter().filter(|(_, s)| *s == Status::Met).count())
            .unwrap_or(u32::MAX);
        let not_met: Vec<&(String, Status)> =
            statuses.iter().filter(|(_, s)| *s != Status::Met).collect();

        let mut missing = Vec::new();
        if open > 0 {
            if facts.open_obligations.is_empty() {
                missing.extend(self.contents.iter().cloned());
            } else {
                missing.extend(facts.open_obligations.iter().cloned());
            }
        }
        missing.extend(not_met.iter().map(|(c, _)| c.clone()));

        // What was counted, in words.
        let mut zh_parts = Vec::new();
        let mut en_parts = Vec::new();
        if n_obl > 0 {
            zh_parts.push(format!("已验收任务 {accepted}/{n_obl} 项"));
            en_parts.push(format!("{accepted} of {n_obl} obligations accepted"));
        }
        if n_ind > 0 {
            let (mut zh, mut en) = (
                format!("达标指标 {met}/{n_ind} 项"),
                format!("{met} of {n_ind} indicators met"),
            );
            if !not_met.is_empty() {
                let zh_list: Vec<String> = not_met
                    .iter()
                    .map(|(c, s)| format!("{c} {}", s.label(Lang::ZhCn)))
                    .collect();
                let en_list: Vec<String> = not_met
                    .iter()
                    .map(|(c, s)| format!("{c} {}", s.label(Lang::En)))
                    .collect();
                zh.push_str(&format!("（{}）", zh_list.join("、")));
                en.push_str(&format!(" ({})", en_list.join(", ")));
            }
            zh_parts.push(zh);
            en_parts.push(en);
        }
        if facts.gaps > 0 {
            zh_parts.push(format!("记录不足 {} 处", facts.gaps));
            en_parts.push(format!("{} shortcomings recorded", facts.gaps));
        }
        let (counted_zh, counted_en) = (zh_parts.join("，"), en_parts.join("; "));
        let max = self.max_points;
        let elements = n_obl.saturating_add(n_ind);
        let share = if elements > 0 {
            f64::from(accepted.saturating_add(met)) / f64::from(elements)
        } else {
            0.0
        };
        let done = accepted.saturating_add(met);
        let share_zh = format!("完成 {done}/{elements}（{share:.2}）");
        let share_en = format!("{done} of {elements} done ({share:.2})");

        let proposal = |points: f64, zh: String, en: String| Proposal {
            points,
            needs_review: false,
            vetoed: false,
            reasoning_zh: zh,
            reasoning_en: en,
            missing: missing.clone(),
        };

        if self.rule.is_veto() {
            let failed_ind: Vec<&str> = statuses
                .iter()
                .filter(|(_, s)| *s == Status::NotMet)
                .map(|(c, _)| c.as_str())
                .collect();
            let failed = facts.gaps > 0 || !failed_ind.is_empty();
            let (zh, en) = if failed {
                (
                    format!("{counted_zh}：一票否决项未通过，创建验收整体不合格；请审核人核实确认"),
                    format!(
                        "{counted_en}: the veto fails, and with it the whole acceptance; a reviewer must confirm"
                    ),
                )
            } else {
                (
                    "未记录否决事项，建议通过；一票否决项须由审核人核实确认".to_string(),
                    "no veto event recorded; proposed as passed, but a reviewer must confirm a veto"
                        .to_string(),
                )
            };
            let mut p = proposal(0.0, zh, en);
            p.needs_review = true;
            p.vetoed = failed;
            return p;
        }

        let decidable =
            elements > 0 || (facts.gaps > 0 && matches!(self.rule, RuleKind::Deduction { .. }));
        if !decidable {
            let mut p = proposal(
                0.0,
                format!(
                    "本标准未关联任务或指标，无法据数据评分，需审核人评判（暂按 0 分，满分 {} 分）",
                    num(max)
                ),
                format!(
                    "nothing linked to judge this criterion by: a reviewer must judge it (0 proposed for now, out of {})",
                    num(max)
                ),
            );
            p.needs_review = true;
            return p;
        }

        match &self.rule {
            RuleKind::Binary => {
                let full = done == elements && facts.gaps == 0;
                let points = if full { max } else { 0.0 };
                let (zh_end, en_end) = if full {
                    (
                        format!("全部完成 → {} 分", num(max)),
                        format!("everything done → {} points", num(max)),
                    )
                } else {
                    (
                        "未全部完成 → 0 分".to_string(),
                        "not everything done → 0 points".to_string(),
                    )
                };
                proposal(
                    points,
                    format!("{counted_zh}；全有或全无：{zh_end}"),
                    format!("{counted_en}; all-or-nothing: {en_end}"),
                )
            }
            RuleKind::Tiered(tiers) => {
                let reached = tiers
                    .iter()
                    .rev()
                    .find(|t| share + TOLERANCE >= t.min_share);
                match reached {
                    Some(t) => {
                        let points = max * t.fraction;
                        proposal(
                            points,
                            format!(
                                "{counted_zh}，{share_zh}；分档：达到 {} 档得 {} → {} × {} = {} 分",
                                t.min_share,
                                t.fraction,
                                num(max),
                                t.fraction,
                                num(points)
                            ),
                            format!(
                                "{counted_en}, {share_en}; tiered: reaches the {} tier, {} of the points → {} × {} = {} points",
                                t.min_share,
                                t.fraction,
                                num(max),
                                t.fraction,
                                num(points)
                            ),
                        )
                    }
                    None => {
                        let lowest = tiers.first().map_or(1.0, |t| t.min_share);
                        proposal(
                            0.0,
                            format!("{counted_zh}，{share_zh}；分档：未达到最低档 {lowest} → 0 分"),
                            format!(
                                "{counted_en}, {share_en}; tiered: below the lowest tier {lowest} → 0 points"
                            ),
                        )
                    }
                }
            }
            RuleKind::Proportional { target } => {
                let factor = if *target > 0.0 {
                    (share / target).min(1.0)
                } else {
                    0.0
                };
                let points = max * factor;
                let (zh_target, en_target) = if *target < 1.0 {
                    (
                        format!("（完成率达到 {target} 即得满分）"),
                        format!(" (full points from {target})"),
                    )
                } else {
                    (String::new(), String::new())
                };
                proposal(
                    points,
                    format!(
                        "{counted_zh}，{share_zh}；按比例{zh_target}：{} × {factor:.2} = {} 分",
                        num(max),
                        num(points)
                    ),
                    format!(
                        "{counted_en}, {share_en}; proportional{en_target}: {} × {factor:.2} = {} points",
                        num(max),
                        num(points)
                    ),
                )
            }
            RuleKind::Deduction { per_gap } => {
                let gaps = open.saturating_add(n_ind - met).saturating_add(facts.gaps);
                let lost = f64::from(gaps) * per_gap;
                let points = (max - lost).max(0.0);
                let (zh_floor, en_floor) = if lost > max {
                    ("，最低 0 分", ", floored at 0")
                } else {
                    ("", "")
                };
                proposal(
                    points,
                    format!(
                        "{counted_zh}；按缺项扣分：缺 {gaps} 项 × {} 分 = 扣 {} 分，{} − {} = {} 分{zh_floor}",
                        num(*per_gap),
                        num(lost),
                        num(max),
                        num(lost),
                        num(points)
                    ),
                    format!(
                        "{counted_en}; deduction per gap: {gaps} gaps × {} = −{}, {} − {} = {} points{en_floor}",
                        num(*per_gap),
                        num(lost),
                        num(max),
                        num(lost),
                        num(points)
                    ),
                )
            }
            RuleKind::Bonus => {
                let points = max * share;
                proposal(
                    points,
                    format!(
                        "{counted_zh}，{share_zh}；加分项：{} × {share:.2} = {} 分（不计入基本分）",
                        num(max),
                        num(points)
                    ),
                    format!(
                        "{counted_en}, {share_en}; bonus: {} × {share:.2} = {} points (outside the base total)",
                        num(max),
                        num(points)
                    ),
                )
            }
            // Vetoes returned above; kept for exhaustiveness, with the same
            // cautious answer.
            RuleKind::Veto => {
                let mut p = proposal(
                    0.0,
                    "一票否决项须由审核人核实确认".to_string(),
                    "a reviewer must confirm a veto".to_string(),
                );
                p.needs_review = true;
                p
            }
        }
    }
}

// ------------------------------------------------------------------ readiness

/// A reviewer's decision on a criterion: points confirmed or overridden
/// (the comment is the store's), or for a veto whether it failed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    /// The criterion's code.
    pub criterion: String,
    /// Points awarded; clamped to 0..=max when counted.
    pub points: f64,
    /// For a veto: whether it failed. Ignored for other criteria.
    pub veto_failed: bool,
}

impl Decision {
    /// Points awarded on a criterion.
    pub fn points(criterion: &str, points: f64) -> Decision {
        Decision {
            criterion: criterion.to_string(),
            points,
            veto_failed: false,
        }
    }

    /// A veto passed (`failed = false`) or failed.
    pub fn veto(criterion: &str, failed: bool) -> Decision {
        Decision {
            criterion: criterion.to_string(),
            points: 0.0,
            veto_failed: failed,
        }
    }
}

/// One category's part of a readiness score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryReadiness {
    /// The category's code.
    pub code: String,
    /// The category's name.
    pub name: String,
    /// Base points decided.
    pub earned: f64,
    /// Base points possible.
    pub max: f64,
    /// Bonus points decided.
    pub bonus: f64,
    /// Bonus points possible.
    pub bonus_max: f64,
    /// Criteria not decided yet.
    pub undecided: usize,
}

/// How ready the district is for acceptance, from the decided criteria.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Readiness {
    /// The sheet's pass line, if it states one.
    pub pass_line: Option<f64>,
    /// Base plus bonus points; 0 when a veto failed (the whole self-check
    /// fails), though the points earned stay in `base_earned` and `bonus`.
    pub score: f64,
    /// The sheet's base total.
    pub base_total: f64,
    /// Base points decided.
    pub base_earned: f64,
    /// Bonus points decided.
    pub bonus: f64,
    /// The most bonus points possible.
    pub bonus_max: f64,
    /// Whether a veto failed.
    pub vetoed: bool,
    /// The failed vetoes' codes.
    pub vetoed_by: Vec<String>,
    /// Codes of criteria without a decision (counted as 0; an undecided veto
    /// is not counted as failed).
    pub undecided: Vec<String>,
    /// Decisions naming criteria the sheet does not have; ignored.
    pub unknown: Vec<String>,
    /// Per category, in sheet order.
    pub by_category: Vec<CategoryReadiness>,
}

impl Readiness {
    /// Base points earned as a percentage of the base total (0 when vetoed).
    pub fn percent(&self) -> f64 {
        self.ratio().percent().unwrap_or(0.0)
    }

    /// The base points counted (none when a veto failed) over the base total: the parts of
    /// [`Readiness::percent`], kept apart so that a city's readiness is the sum of its
    /// districts' points over the sum of their totals (`docs/figures.md`).
    pub fn ratio(&self) -> Ratio {
        Ratio {
            numerator: if self.vetoed { 0.0 } else { self.base_earned },
            denominator: self.base_total.max(0.0),
        }
    }
}

/// The decided points of a criterion, clamped to its range; the last
/// decision on a criterion wins.
fn decided_points<'d>(decided: &'d [Decision], c: &Criterion) -> Option<(&'d Decision, f64)> {
    decided
        .iter()
        .rev()
        .find(|d| d.criterion == c.code)
        .map(|d| {
            let p = if d.points.is_finite() {
                d.points.clamp(0.0, c.max_points.max(0.0))
            } else {
                0.0
            };
            (d, p)
        })
}

/// The readiness score from the reviewers' decisions.
pub fn readiness(sheet: &Sheet, decided: &[Decision]) -> Readiness {
    let mut by_category = Vec::new();
    let mut vetoed_by = Vec::new();
    let mut undecided = Vec::new();
    for cat in &sheet.categories {
        let mut cr = CategoryReadiness {
            code: cat.code.clone(),
            name: cat.name.clone(),
            earned: 0.0,
            max: 0.0,
            bonus: 0.0,
            bonus_max: 0.0,
            undecided: 0,
        };
        for c in cat.items.iter().flat_map(|i| &i.criteria) {
            let d = decided_points(decided, c);
            if d.is_none() {
                cr.undecided += 1;
                undecided.push(c.code.clone());
            }
            let points = d.map_or(0.0, |(_, p)| p);
            match c.rule {
                RuleKind::Veto => {
                    if d.is_some_and(|(d, _)| d.veto_failed) {
                        vetoed_by.push(c.code.clone());
                    }
                }
                RuleKind::Bonus => {
                    cr.bonus += points;
                    cr.bonus_max += c.max_points;
                }
                _ => {
                    cr.earned += points;
                    cr.max += c.max_points;
                }
            }
        }
        by_category.push(cr);
    }
    let unknown: Vec<String> = decided
        .iter()
        .filter(|d| sheet.criterion(&d.criterion).is_none())
        .map(|d| d.criterion.clone())
        .collect();
    let base_earned: f64 = by_category.iter().map(|c| c.earned).sum();
    let bonus: f64 = by_category.iter().map(|c| c.bonus).sum();
    let vetoed = !vetoed_by.is_empty();
    Readiness {
        pass_line: sheet.pass_line,
        score: if vetoed { 0.0 } else { base_earned + bonus },
        base_total: sheet.base_total(),
        base_earned,
        bonus,
        bonus_max: sheet.bonus_total(),
        vetoed,
        vetoed_by,
        undecided,
        unknown,
        by_category,
    }
}

/// A criterion not yet at full points: what is at stake and what is missing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Gap {
    /// The criterion's code.
    pub criterion: String,
    /// Its category's code.
    pub category: String,
    /// What it judges.
    pub text: String,
    /// Points not yet earned: max − decided (or proposed, when undecided).
    /// 0 for a veto, which stakes the whole readiness instead.
    pub at_stake: f64,
    /// A veto that failed or is not yet decided: listed first.
    pub veto: bool,
    /// Bonus points (outside the base total).
    pub bonus: bool,
    /// Whether a reviewer has decided it.
    pub decided: bool,
    /// Responsible unit codes.
    pub units: Vec<String>,
    /// What is missing (from the proposal; else the linked codes).
    pub missing: Vec<String>,
}

/// What is still missing, most points at stake first: open vetoes first, then
/// by points at stake, then in sheet order. `proposals` (criterion code,
/// proposal) fill in the points of undecided criteria and the missing lists.
pub fn gaps(sheet: &Sheet, decided: &[Decision], proposals: &[(String, Proposal)]) -> Vec<Gap> {
    let mut out: Vec<(usize, Gap)> = Vec::new();
    for (order, (cat, _, c)) in sheet.criteria().enumerate() {
        let d = decided_points(decided, c);
        let proposal = proposals
            .iter()
            .rev()
            .find(|(code, _)| *code == c.code)
            .map(|(_, p)| p);
        let linked = || {
            c.contents
                .iter()
                .chain(&c.indicators)
                .cloned()
                .collect::<Vec<_>>()
        };
        let missing = proposal.map_or_else(linked, |p| p.missing.clone());
        let (veto, at_stake) = if c.rule.is_veto() {
            (d.is_none_or(|(d, _)| d.veto_failed), 0.0)
        } else {
            let got = match (d, proposal) {
                (Some((_, p)), _) => p,
                (None, Some(p)) if p.points.is_finite() => p.points.clamp(0.0, c.max_points),
                _ => 0.0,
            };
            (false, c.max_points - got)
        };
        if !veto && at_stake <= TOLERANCE {
            continue;
        }
        out.push((
            order,
            Gap {
                criterion: c.code.clone(),
                category: cat.code.clone(),
                text: c.text.clone(),
                at_stake,
                veto,
                bonus: c.rule.is_bonus(),
                decided: d.is_some(),
                units: c.units.clone(),
                missing,
            },
        ));
    }
    out.sort_by(|(oa, a), (ob, b)| {
        b.veto
            .cmp(&a.veto)
            .then(b.at_stake.total_cmp(&a.at_stake))
            .then(oa.cmp(ob))
    });
    out.into_iter().map(|(_, g)| g).collect()
}

/// One unit's share of the gaps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitGaps {
    /// The unit's code; empty for gaps with no responsible unit (the office's).
    pub unit: String,
    /// Open vetoes among its gaps.
    pub vetoes: usize,
    /// Points at stake over its gaps (a gap shared by several units counts
    /// in full for each: each is answerable for it).
    pub at_stake: f64,
    /// Its gaps, in the order given.
    pub gaps: Vec<Gap>,
}

/// Groups gaps by responsible unit: units with open vetoes first, then by
/// points at stake, then by code.
pub fn gaps_by_unit(gaps: &[Gap]) -> Vec<UnitGaps> {
    let mut out: Vec<UnitGaps> = Vec::new();
    for g in gaps {
        let units: Vec<&str> = if g.units.is_empty() {
            vec![""]
        } else {
            g.units.iter().map(String::as_str).collect()
        };
        for u in units {
            let at = match out.iter().position(|x| x.unit == u) {
                Some(at) => at,
                None => {
                    out.push(UnitGaps {
                        unit: u.to_string(),
                        vetoes: 0,
                        at_stake: 0.0,
                        gaps: Vec::new(),
                    });
                    out.len() - 1
                }
            };
            let entry = &mut out[at];
            entry.vetoes += usize::from(g.veto);
            entry.at_stake += g.at_stake;
            entry.gaps.push(g.clone());
        }
    }
    out.sort_by(|a, b| {
        b.vetoes
            .cmp(&a.vetoes)
            .then(b.at_stake.total_cmp(&a.at_stake))
            .then(a.unit.cmp(&b.unit))
    });
    out
}
