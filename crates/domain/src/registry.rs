//! The vocabulary of the enterprise and sampling registries: closed code lists
//! with their Chinese and English labels. Each list is parsed from a stored
//! code, a Chinese label (as a clerk types it in a workbook) or an English one.
//!
//! Each registry's record as it is entered or imported lives here too, with
//! the rules a record obeys on its own ([`sampling`], [`enterprise`]): the
//! form, the workbook reader and the store all check a record with the same
//! pure function; the store adds only what needs the database (codes the
//! office accepted, duplicates).

pub mod enterprise;
pub mod sampling;

pub use enterprise::{
    EnterpriseField, EnterpriseInput, EnterpriseProblem, EnterpriseRow, LicenceInput,
};
pub use sampling::{SamplingField, SamplingInput, SamplingProblem};

use crate::formula::{Formula, Measure, Param};
use crate::target::Lang;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// Why a row was refused, in words a clerk can read, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub zh: String,
    pub en: String,
}

impl Refusal {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Refusal {
        Refusal {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The reason in a language.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// A date as a Chinese clerk writes it: 2015年3月31日.
pub fn format_date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// A rule a record breaks, pointing at the field to correct and naming the
/// fields it reads (a rule over fields that could not be read is not judged).
pub trait Problem {
    /// The record's fields.
    type Field: Copy + Eq + 'static;
    /// The field to correct, first, then any other field the rule reads.
    fn fields(&self) -> Vec<Self::Field>;
    /// The reason, in Chinese and English.
    fn refusal(&self) -> Refusal;
}

/// The first problem as a refusal, or `Ok`.
pub fn first_refusal<P: Problem>(problems: Vec<P>) -> Result<(), Refusal> {
    match problems.into_iter().next() {
        Some(p) => Err(p.refusal()),
        None => Ok(()),
    }
}

/// Characters in a text, for length limits (a clerk counts characters, not bytes).
pub(crate) fn too_long(text: &str, max: usize) -> bool {
    text.trim().chars().count() > max
}

/// A closed list of codes with zh/en labels.
pub trait CodeList: Sized + Copy + 'static {
    /// Every member, in display order.
    const ALL: &'static [Self];
    /// The stored code.
    fn code(self) -> &'static str;
    /// Chinese label, then other Chinese spellings a workbook may hold.
    fn zh(self) -> &'static [&'static str];
    /// English label.
    fn en(self) -> &'static str;

    /// The label in a language.
    fn label(self, lang: Lang) -> &'static str {
        match lang {
            Lang::ZhCn => self.zh().first().copied().unwrap_or(""),
            Lang::En => self.en(),
        }
    }

    /// Parse a code or a label (Chinese or English, case- and space-insensitive).
    fn parse(text: &str) -> Option<Self> {
        let t: String = text.split_whitespace().collect::<String>().to_lowercase();
        if t.is_empty() {
            return None;
        }
        Self::ALL.iter().copied().find(|m| {
            m.code() == t
                || m.en().replace(' ', "").to_lowercase() == t
                || m.zh().iter().any(|z| z.to_lowercase() == t)
        })
    }

    /// The Chinese labels joined for a hint ("国家级、省级、…").
    fn zh_choices() -> String {
        Self::ALL
            .iter()
            .map(|m| m.label(Lang::ZhCn))
            .collect::<Vec<_>>()
            .join("、")
    }
}

macro_rules! code_list {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $code:literal, [$($zh:literal),+], $en:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vdoc])* $variant,)+ }

        impl CodeList for $name {
            const ALL: &'static [Self] = &[$(Self::$variant),+];
            fn code(self) -> &'static str { match self { $(Self::$variant => $code,)+ } }
            fn zh(self) -> &'static [&'static str] { match self { $(Self::$variant => &[$($zh),+],)+ } }
            fn en(self) -> &'static str { match self { $(Self::$variant => $en,)+ } }
        }
    };
}
pub(crate) use code_list;

code_list! {
    /// Enterprise size (GB/T statistical classes).
    Size {
        Large = "large", ["大型", "大型企业"], "Large";
        Medium = "medium", ["中型", "中型企业"], "Medium";
        Small = "small", ["小型", "小型企业"], "Small";
        Micro = "micro", ["微型", "微型企业"], "Micro";
    }
}

code_list! {
    /// Kinds of licence and certificate an enterprise holds.
    LicenceKind {
        /// 工业产品生产许可证
        Production = "production", ["生产许可证", "工业产品生产许可证"], "Production licence";
        /// 强制性产品认证 (CCC)
        Ccc = "ccc", ["CCC认证", "ccc", "3c", "强制性产品认证", "ccc证书"], "CCC certificate";
        /// 食品生产许可证 (SC)
        Food = "food", ["食品生产许可证", "sc"], "Food production licence";
        /// 其他
        Other = "other", ["其他"], "Other";
    }
}

code_list! {
    /// The level of the authority that organised a sampling (抽查级别).
    Level {
        National = "national", ["国家级", "国家", "国抽"], "National";
        Provincial = "provincial", ["省级", "省", "省抽"], "Provincial";
        City = "city", ["市级", "市", "市抽"], "City";
        District = "district", ["区级", "区县级", "区", "县级"], "District";
    }
}

code_list! {
    /// Where the sample was taken (抽样环节).
    Stage {
        Production = "production", ["生产", "生产环节", "生产领域"], "Production";
        Circulation = "circulation", ["流通", "流通环节", "流通领域", "销售"], "Circulation";
    }
}

code_list! {
    /// The product family, which decides the indicator a record counts towards.
    ProductKind {
        Industrial = "industrial", ["工业产品", "工业"], "Industrial product";
        Food = "food", ["食品"], "Food";
        Agricultural = "agricultural", ["农产品", "食用农产品"], "Agricultural product";
    }
}

code_list! {
    /// The verdict of a sampling (检验结论).
    Verdict {
        Pass = "pass", ["合格"], "Pass";
        Fail = "fail", ["不合格"], "Fail";
    }
}

/// Yes/no cells as clerks type them.
pub fn parse_yes_no(text: &str) -> Option<bool> {
    match text.trim().to_lowercase().as_str() {
        "是" | "y" | "yes" | "true" | "1" | "√" | "✓" => Some(true),
        "否" | "n" | "no" | "false" | "0" | "" | "×" => Some(false),
        _ => None,
    }
}

/// One failed test item of a sampling: the item and the standard it breaks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailedItem {
    /// 不合格项目, e.g. "甲醛释放量".
    pub item: String,
    /// The standard (and clause) the result breaks, e.g. "GB 18580-2017"; may be empty.
    pub standard: String,
}

/// Parse a failed-items cell: items separated by `；` `;` `、` or line breaks, each optionally
/// followed by its standard in brackets: `甲醛释放量（GB 18580-2017）；标签（GB 5296.1）`.
pub fn parse_failed_items(text: &str) -> Vec<FailedItem> {
    text.split(['；', ';', '、', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|part| {
            let open = part.find(['（', '(']);
            match open {
                Some(i) => {
                    let item = part[..i].trim().to_string();
                    let rest = &part[i..];
                    let standard = rest
                        .trim_start_matches(['（', '('])
                        .trim_end_matches(['）', ')'])
                        .trim()
                        .to_string();
                    FailedItem { item, standard }
                }
                None => FailedItem {
                    item: part.to_string(),
                    standard: String::new(),
                },
            }
        })
        .collect()
}

/// Print failed items the way [`parse_failed_items`] reads them.
pub fn print_failed_items(items: &[FailedItem]) -> String {
    items
        .iter()
        .map(|f| {
            if f.standard.is_empty() {
                f.item.clone()
            } else {
                format!("{}（{}）", f.item, f.standard)
            }
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// The sampling register's measure: qualified batches ÷ sampled batches × 100, over the
/// records whose sampling date falls in the year, restricted by the parameters given.
pub const SAMPLING_PASS_RATE: Measure = Measure {
    name: "sampling_pass_rate",
    registry: "sampling",
    params: &[
        Param::code::<Level>("level"),
        Param::code::<Stage>("stage"),
        Param::code::<ProductKind>("kind"),
        // Only products in the CCC catalogue.
        Param::flag("ccc"),
    ],
    explain: explain_pass_rate,
};

/// The enterprise register's measure (建档率): enterprises whose quality credit file was
/// opened by the end of the year ÷ enterprises on the register (not closed) × 100.
pub const CREDIT_RECORD_RATE: Measure = Measure {
    name: "credit_record_rate",
    registry: "enterprises",
    params: &[],
    explain: |_, lang| {
        match lang {
        Lang::ZhCn => "由企业名录自动计算：年底前已建立质量信用档案的企业数 ÷ 在册企业数 × 100%".to_string(),
        Lang::En => "computed from the enterprise register: enterprises whose quality credit file was opened by the end of the year ÷ enterprises on the register × 100 %".to_string(),
    }
    },
};

fn explain_pass_rate(f: &Formula, lang: Lang) -> String {
    let mut filters: Vec<String> = Vec::new();
    if let Some(l) = f.code::<Level>("level") {
        filters.push(l.label(lang).to_string());
    }
    if let Some(s) = f.code::<Stage>("stage") {
        filters.push(match lang {
            Lang::ZhCn => format!("{}环节", s.label(lang)),
            Lang::En => format!("{} stage", s.label(lang).to_lowercase()),
        });
    }
    if let Some(k) = f.code::<ProductKind>("kind") {
        filters.push(k.label(lang).to_string());
    }
    if f.flag("ccc") == Some(true) {
        filters.push(match lang {
            Lang::ZhCn => "CCC 目录内产品".to_string(),
            Lang::En => "products in the CCC catalogue".to_string(),
        });
    }
    match lang {
        Lang::ZhCn => {
            let scope = if filters.is_empty() {
                "全部".to_string()
            } else {
                filters.join("、")
            };
            format!(
                "由监督抽查登记自动计算：合格批次 ÷ 抽查批次 × 100%（范围：{scope}；按抽样日期所在年度统计）"
            )
        }
        Lang::En => {
            let scope = if filters.is_empty() {
                "all records".to_string()
            } else {
                filters.join(", ")
            };
            format!(
                "computed from the sampling register: qualified batches ÷ sampled batches × 100 % (scope: {scope}; by the year of the sampling date)"
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_parse_in_both_languages() {
        assert_eq!(Level::parse("国家级"), Some(Level::National));
        assert_eq!(Level::parse(" 省抽 "), Some(Level::Provincial));
        assert_eq!(Level::parse("district"), Some(Level::District));
        assert_eq!(LicenceKind::parse("CCC"), Some(LicenceKind::Ccc));
        assert_eq!(
            LicenceKind::parse("Production licence"),
            Some(LicenceKind::Production)
        );
        assert_eq!(Verdict::parse("不合格"), Some(Verdict::Fail));
        assert_eq!(Verdict::parse("合 格"), Some(Verdict::Pass));
        assert_eq!(Size::parse("巨型"), None);
        assert_eq!(Stage::parse(""), None);
        assert_eq!(Level::zh_choices(), "国家级、省级、市级、区级");
    }

    #[test]
    fn every_code_parses_back() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.code()), Some(*l));
            assert_eq!(Level::parse(l.label(Lang::ZhCn)), Some(*l));
            assert_eq!(Level::parse(l.label(Lang::En)), Some(*l));
        }
        for k in ProductKind::ALL {
            assert_eq!(ProductKind::parse(k.label(Lang::ZhCn)), Some(*k));
        }
    }

    #[test]
    fn failed_items_round_trip() {
        let items = parse_failed_items("甲醛释放量（GB 18580-2017）; 标签\n 耐磨性(GB/T 4100)");
        assert_eq!(
            items,
            vec![
                FailedItem {
                    item: "甲醛释放量".into(),
                    standard: "GB 18580-2017".into()
                },
                FailedItem {
                    item: "标签".into(),
                    standard: String::new()
                },
                FailedItem {
                    item: "耐磨性".into(),
                    standard: "GB/T 4100".into()
                },
            ]
        );
        assert_eq!(parse_failed_items(&print_failed_items(&items)), items);
        assert!(parse_failed_items(" ；").is_empty());
    }

    #[test]
    fn yes_no() {
        assert_eq!(parse_yes_no("是"), Some(true));
        assert_eq!(parse_yes_no(""), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }
}
