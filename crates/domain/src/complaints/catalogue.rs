//! The dispatch catalogue (派单目录): the categories of complaint with their time limits, and
//! which unit answers for a category, optionally by the enterprise's registered area (街道/镇).
//! It is data the office edits (国办函〔2025〕66号: a catalogue built from each unit's duties,
//! kept up to date); [`Catalogue::route`] is the one routing rule.

use crate::target::Lang;
use std::collections::BTreeMap;

/// Time limits of a category, in working days counted from the dispatch (the day of dispatch
/// does not count): sign (签收), reply (答复) and close (办结).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub sign: u32,
    pub reply: u32,
    pub close: u32,
}

impl Limits {
    /// Whether the limits make sense: each positive, sign ≤ reply ≤ close.
    pub fn is_valid(&self) -> bool {
        self.sign > 0 && self.sign <= self.reply && self.reply <= self.close
    }
}

/// One category of complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Stored code, `food`.
    pub code: String,
    pub zh: String,
    pub en: String,
    pub limits: Limits,
}

impl Category {
    pub fn label(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.zh,
            Lang::En => &self.en,
        }
    }
}

/// One line of the catalogue: a category (in an area, or anywhere) goes to a unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub category: String,
    /// The enterprise's registered town/street; `None` = the category's default.
    pub area: Option<String>,
    /// The responsible unit's code.
    pub unit: String,
}

/// Why a catalogue was refused or a ticket could not be routed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogueError {
    #[error("line {line}: expected `category,area,unit`")]
    Columns { line: usize },
    #[error("line {line}: unknown category `{category}`")]
    UnknownCategory { line: usize, category: String },
    #[error("line {line}: the unit is missing")]
    UnitMissing { line: usize },
    #[error("line {line}: `{category}` in `{area}` is listed twice")]
    Duplicate {
        line: usize,
        category: String,
        area: String,
    },
    /// A category has area routes but no default: a ticket from another area would be lost.
    #[error("`{category}` has no default unit")]
    NoDefault { category: String },
    #[error("the limits of `{category}` must be positive with sign ≤ reply ≤ close")]
    BadLimits { category: String },
    #[error("line {line}: expected `code,zh,en,sign,reply,close`")]
    CategoryColumns { line: usize },
    #[error("line {line}: `{text}` is not a number of working days")]
    BadDays { line: usize, text: String },
    #[error("line {line}: category `{code}` is listed twice")]
    DuplicateCategory { line: usize, code: String },
}

impl CatalogueError {
    /// The translation key a page shows for it.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Columns { .. } => "error-catalogue-columns",
            Self::UnknownCategory { .. } => "error-catalogue-unknown-category",
            Self::UnitMissing { .. } => "error-catalogue-unit-missing",
            Self::Duplicate { .. } => "error-catalogue-duplicate",
            Self::NoDefault { .. } => "error-catalogue-no-default",
            Self::BadLimits { .. } => "error-catalogue-limits",
            Self::CategoryColumns { .. } => "error-catalogue-category-columns",
            Self::BadDays { .. } => "error-catalogue-bad-days",
            Self::DuplicateCategory { .. } => "error-catalogue-duplicate-category",
        }
    }
}

/// Why a ticket has no unit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RouteError {
    /// The category is not in the catalogue: the ticket waits in the office's triage queue.
    #[error("no unit answers for category `{0}`")]
    Unrouted(String),
}

/// Categories and routes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Catalogue {
    pub categories: Vec<Category>,
    routes: BTreeMap<(String, Option<String>), String>,
}

fn category(code: &str, zh: &str, en: &str, sign: u32, reply: u32, close: u32) -> Category {
    Category {
        code: code.into(),
        zh: zh.into(),
        en: en.into(),
        limits: Limits { sign, reply, close },
    }
}

/// The default categories: what 12315/12365 quality complaints are about. Food and special
/// equipment are safety matters with shorter limits; 15 working days to close is the common
/// 12345 limit for ordinary matters.
pub fn default_categories() -> Vec<Category> {
    vec![
        category("food", "食品安全", "Food safety", 1, 3, 10),
        category(
            "special_equipment",
            "特种设备",
            "Special equipment",
            1,
            3,
            10,
        ),
        category("product", "产品质量", "Product quality", 1, 5, 15),
        category("metering", "计量", "Metering and weights", 1, 5, 15),
        category("price", "价格收费", "Prices and charges", 1, 5, 15),
        category(
            "counterfeit",
            "假冒伪劣与商标",
            "Counterfeits and trademarks",
            1,
            5,
            15,
        ),
        category("service", "服务质量", "Service quality", 1, 5, 15),
        category("environment", "环境污染", "Environment", 1, 5, 15),
    ]
}

/// Reads categories from `code,zh,en,sign,reply,close` lines (header, blank lines and `#`
/// comments skipped), the form in which the office edits them.
pub fn parse_categories(text: &str) -> Result<Vec<Category>, CatalogueError> {
    let mut out: Vec<Category> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let cols: Vec<&str> = content.split([',', '，', '\t']).map(str::trim).collect();
        let [code, zh, en, sign, reply, close] = cols[..] else {
            return Err(CatalogueError::CategoryColumns { line });
        };
        if out.is_empty() && code.eq_ignore_ascii_case("code") {
            continue;
        }
        if code.is_empty() || zh.is_empty() || en.is_empty() {
            return Err(CatalogueError::CategoryColumns { line });
        }
        let days = |t: &str| {
            t.parse::<u32>().map_err(|_| CatalogueError::BadDays {
                line,
                text: t.to_string(),
            })
        };
        let limits = Limits {
            sign: days(sign)?,
            reply: days(reply)?,
            close: days(close)?,
        };
        if !limits.is_valid() {
            return Err(CatalogueError::BadLimits {
                category: code.to_string(),
            });
        }
        if out.iter().any(|c| c.code == code) {
            return Err(CatalogueError::DuplicateCategory {
                line,
                code: code.to_string(),
            });
        }
        out.push(Category {
            code: code.to_string(),
            zh: zh.to_string(),
            en: en.to_string(),
            limits,
        });
    }
    Ok(out)
}

/// The categories as [`parse_categories`] reads them back.
pub fn categories_text(categories: &[Category]) -> String {
    let mut out = String::from("code,zh,en,sign,reply,close\n");
    for c in categories {
        out.push_str(&format!(
            "{},{},{},{},{},{}\n",
            c.code, c.zh, c.en, c.limits.sign, c.limits.reply, c.limits.close
        ));
    }
    out
}

/// The default catalogue of the demo district (惠济区 unit codes): `category,area,unit` lines.
pub const DEFAULT_ROUTES: &str = "\
category,area,unit
food,,SYFJ
special_equipment,,ZJFJ
product,,ZJFJ
metering,,ZJFJ
price,,FGTJJ
counterfeit,,GSFJ
service,,GSFJ
environment,,HBJ
";

impl Catalogue {
    /// The built-in categories and routes.
    pub fn default_catalogue() -> Catalogue {
        // Built-in data, checked by the tests below.
        Catalogue::parse(default_categories(), DEFAULT_ROUTES).expect("default catalogue parses")
    }

    /// Reads `category,area,unit` lines (header, blank lines and `#` comments skipped; an
    /// empty area is the category's default) against the given categories.
    pub fn parse(categories: Vec<Category>, text: &str) -> Result<Catalogue, CatalogueError> {
        for c in &categories {
            if !c.limits.is_valid() {
                return Err(CatalogueError::BadLimits {
                    category: c.code.clone(),
                });
            }
        }
        let mut routes = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let cols: Vec<&str> = content.split([',', '，', '\t']).map(str::trim).collect();
            let [cat, area, unit] = cols[..] else {
                return Err(CatalogueError::Columns { line });
            };
            if routes.is_empty() && cat.eq_ignore_ascii_case("category") {
                continue;
            }
            if !categories.iter().any(|c| c.code == cat) {
                return Err(CatalogueError::UnknownCategory {
                    line,
                    category: cat.to_string(),
                });
            }
            if unit.is_empty() {
                return Err(CatalogueError::UnitMissing { line });
            }
            let area = (!area.is_empty()).then(|| area.to_string());
            let key = (cat.to_string(), area.clone());
            if routes.insert(key, unit.to_string()).is_some() {
                return Err(CatalogueError::Duplicate {
                    line,
                    category: cat.to_string(),
                    area: area.unwrap_or_default(),
                });
            }
        }
        for (cat, _) in routes.keys() {
            if !routes.contains_key(&(cat.clone(), None)) {
                return Err(CatalogueError::NoDefault {
                    category: cat.clone(),
                });
            }
        }
        Ok(Catalogue { categories, routes })
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    /// The unit answering for `category` from an enterprise in `area`: the area's own line,
    /// else the category's default.
    pub fn route(&self, category: &str, area: Option<&str>) -> Result<&str, RouteError> {
        let area = area.map(str::trim).filter(|a| !a.is_empty());
        let by_area = area.and_then(|a| {
            self.routes
                .get(&(category.to_string(), Some(a.to_string())))
        });
        by_area
            .or_else(|| self.routes.get(&(category.to_string(), None)))
            .map(String::as_str)
            .ok_or_else(|| RouteError::Unrouted(category.to_string()))
    }

    /// Every route, for the page the office edits.
    pub fn routes(&self) -> Vec<Route> {
        self.routes
            .iter()
            .map(|((category, area), unit)| Route {
                category: category.clone(),
                area: area.clone(),
                unit: unit.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_by_area_then_default() {
        let text = format!("{DEFAULT_ROUTES}food,新城街道,XCJD_SJS\n");
        let cat = Catalogue::parse(default_categories(), &text).unwrap();
        let cases = [
            ("food", None, Ok("SYFJ")),
            ("food", Some("新城街道"), Ok("XCJD_SJS")),
            ("food", Some(" 新城街道 "), Ok("XCJD_SJS")),
            ("food", Some("古荥镇"), Ok("SYFJ")),
            ("food", Some(""), Ok("SYFJ")),
            ("metering", Some("新城街道"), Ok("ZJFJ")),
            (
                "astrology",
                None,
                Err(RouteError::Unrouted("astrology".into())),
            ),
        ];
        for (c, area, want) in cases {
            assert_eq!(cat.route(c, area), want, "{c} {area:?}");
        }
        assert_eq!(cat.routes().len(), 9);
        assert_eq!(cat.category("food").unwrap().limits.reply, 3);
    }

    #[test]
    fn every_default_category_is_routed() {
        let cat = Catalogue::default_catalogue();
        assert!(cat.categories.len() >= 8);
        for c in &cat.categories {
            assert!(cat.route(&c.code, None).is_ok(), "{}", c.code);
            assert!(c.limits.is_valid());
            assert!(!c.label(Lang::ZhCn).is_empty() && !c.label(Lang::En).is_empty());
        }
    }

    #[test]
    fn categories_are_data() {
        let cats = default_categories();
        assert_eq!(parse_categories(&categories_text(&cats)).unwrap(), cats);
        let cases = [
            (
                "food,食品,Food,1,3",
                CatalogueError::CategoryColumns { line: 1 },
            ),
            (
                "food,,Food,1,3,10",
                CatalogueError::CategoryColumns { line: 1 },
            ),
            (
                "code,zh,en,sign,reply,close\nfood,食品,Food,1,三,10",
                CatalogueError::BadDays {
                    line: 2,
                    text: "三".into(),
                },
            ),
            (
                "food,食品,Food,0,3,10",
                CatalogueError::BadLimits {
                    category: "food".into(),
                },
            ),
            (
                "food,食品,Food,1,3,10\nfood,食品安全,Food safety,1,3,10",
                CatalogueError::DuplicateCategory {
                    line: 2,
                    code: "food".into(),
                },
            ),
        ];
        for (text, want) in cases {
            let got = parse_categories(text).unwrap_err();
            assert_eq!(got, want, "{text}");
            assert!(got.key().starts_with("error-catalogue-"));
        }
    }

    #[test]
    fn bad_catalogues_are_refused() {
        let cases = [
            ("food,SYFJ", CatalogueError::Columns { line: 1 }),
            (
                "astrology,,X",
                CatalogueError::UnknownCategory {
                    line: 1,
                    category: "astrology".into(),
                },
            ),
            ("food,,", CatalogueError::UnitMissing { line: 1 }),
            (
                "food,,A\nfood,,B",
                CatalogueError::Duplicate {
                    line: 2,
                    category: "food".into(),
                    area: String::new(),
                },
            ),
            (
                "food,古荥镇,A",
                CatalogueError::NoDefault {
                    category: "food".into(),
                },
            ),
        ];
        for (text, want) in cases {
            let got = Catalogue::parse(default_categories(), text).unwrap_err();
            assert_eq!(got, want, "{text}");
            assert!(got.key().starts_with("error-catalogue-"));
        }
        let mut cats = default_categories();
        cats[0].limits.reply = 20; // reply after close
        assert_eq!(
            Catalogue::parse(cats, DEFAULT_ROUTES).unwrap_err(),
            CatalogueError::BadLimits {
                category: "food".into()
            }
        );
    }
}
