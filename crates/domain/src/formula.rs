//! Computed indicators: the formula an indicator declares in the plan data, counted over
//! QCity's own registries. A year with registry data takes its value from the formula; a
//! year without any (before the registry was kept) falls back to values reported by hand.

use crate::registry::{CodeList, Level, ProductKind, Stage};
use crate::target::Lang;
use serde::{Deserialize, Serialize};

/// A numerator/denominator over a registry, yielding a percentage per year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum Formula {
    /// Qualified batches ÷ sampled batches × 100, over the sampling records whose sampling
    /// date falls in the year, restricted by the filters given.
    SamplingPassRate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<Level>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        stage: Option<Stage>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        kind: Option<ProductKind>,
        /// Only products in the CCC catalogue.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ccc: Option<bool>,
    },
    /// Enterprises whose quality credit file was opened by the end of the year ÷ enterprises
    /// on the register (not closed) × 100 (建档率).
    CreditRecordRate,
}

/// A formula's figures for one year.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ratio {
    pub year: i32,
    pub numerator: i64,
    pub denominator: i64,
}

impl Ratio {
    /// The percentage, or none when nothing was counted.
    pub fn percent(&self) -> Option<f64> {
        (self.denominator > 0).then(|| self.numerator as f64 * 100.0 / self.denominator as f64)
    }
}

impl Formula {
    /// The registry the formula counts over (`sampling`, `enterprises`).
    pub fn registry(&self) -> &'static str {
        match self {
            Formula::SamplingPassRate { .. } => "sampling",
            Formula::CreditRecordRate => "enterprises",
        }
    }

    /// The formula as a one-line TOML inline table, as the plan file writes it.
    pub fn to_inline_toml(&self) -> String {
        match self {
            Formula::SamplingPassRate {
                level,
                stage,
                kind,
                ccc,
            } => {
                let mut parts = vec![r#"query = "sampling_pass_rate""#.to_string()];
                if let Some(l) = level {
                    parts.push(format!(r#"level = "{}""#, l.code()));
                }
                if let Some(s) = stage {
                    parts.push(format!(r#"stage = "{}""#, s.code()));
                }
                if let Some(k) = kind {
                    parts.push(format!(r#"kind = "{}""#, k.code()));
                }
                if let Some(c) = ccc {
                    parts.push(format!("ccc = {c}"));
                }
                format!("{{ {} }}", parts.join(", "))
            }
            Formula::CreditRecordRate => r#"{ query = "credit_record_rate" }"#.to_string(),
        }
    }

    /// The formula in words.
    pub fn explain(&self, lang: Lang) -> String {
        match self {
            Formula::SamplingPassRate {
                level,
                stage,
                kind,
                ccc,
            } => {
                let mut filters: Vec<String> = Vec::new();
                if let Some(l) = level {
                    filters.push(l.label(lang).to_string());
                }
                if let Some(s) = stage {
                    filters.push(match lang {
                        Lang::ZhCn => format!("{}环节", s.label(lang)),
                        Lang::En => format!("{} stage", s.label(lang).to_lowercase()),
                    });
                }
                if let Some(k) = kind {
                    filters.push(k.label(lang).to_string());
                }
                if *ccc == Some(true) {
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
            Formula::CreditRecordRate => match lang {
                Lang::ZhCn => "由企业名录自动计算：年底前已建立质量信用档案的企业数 ÷ 在册企业数 × 100%".to_string(),
                Lang::En => "computed from the enterprise register: enterprises whose quality credit file was opened by the end of the year ÷ enterprises on the register × 100 %".to_string(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Holder {
        formula: Formula,
    }

    fn parse(text: &str) -> Result<Formula, toml::de::Error> {
        toml::from_str::<Holder>(text).map(|h| h.formula)
    }

    #[test]
    fn formulas_read_from_plan_toml() {
        let f = parse(r#"formula = { query = "sampling_pass_rate", level = "national" }"#);
        assert_eq!(
            f.ok(),
            Some(Formula::SamplingPassRate {
                level: Some(Level::National),
                stage: None,
                kind: None,
                ccc: None
            })
        );
        let f = parse(r#"formula = { query = "credit_record_rate" }"#);
        assert_eq!(f.ok(), Some(Formula::CreditRecordRate));
        assert!(
            parse(r#"formula = { query = "sampling_pass_rate", levle = "national" }"#).is_err()
        );
        assert!(
            parse(r#"formula = { query = "sampling_pass_rate", level = "galactic" }"#).is_err()
        );
        assert!(parse(r#"formula = { query = "guess" }"#).is_err());
    }

    #[test]
    fn explanations_name_the_scope() {
        let f = Formula::SamplingPassRate {
            level: None,
            stage: Some(Stage::Production),
            kind: None,
            ccc: Some(true),
        };
        assert!(f.explain(Lang::ZhCn).contains("生产环节、CCC 目录内产品"));
        assert!(
            f.explain(Lang::En)
                .contains("production stage, products in the CCC catalogue")
        );
    }

    #[test]
    fn ratio_percent() {
        let r = Ratio {
            year: 2015,
            numerator: 47,
            denominator: 50,
        };
        assert_eq!(r.percent(), Some(94.0));
        assert_eq!(
            Ratio {
                year: 2015,
                numerator: 0,
                denominator: 0
            }
            .percent(),
            None
        );
    }
}
