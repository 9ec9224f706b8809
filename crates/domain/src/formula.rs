//! Computed indicators. A registry module declares its [`Measure`]s (a name, the parameters it
//! takes, a numerator and a denominator per year); an indicator in the plan names one with its
//! parameters (a [`Formula`]). A year with registry data takes its value from the formula; a
//! year without any (before the registry was kept) falls back to values reported by hand.
//!
//! The plan file writes a formula as an inline table whose `query` names the measure:
//! `formula = { query = "sampling_pass_rate", level = "national" }`.

use crate::plan::Diagnostic;
use crate::registry::CodeList;
use crate::target::Lang;
use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// The values a parameter takes.
#[derive(Debug, Clone, Copy)]
pub enum ParamValues {
    /// One code of a closed list (the stored codes).
    Codes(fn() -> Vec<&'static str>),
    /// `true` or `false`.
    Flag,
}

/// A parameter a measure takes; every parameter is optional (absent = no restriction).
#[derive(Debug, Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    pub values: ParamValues,
}

impl Param {
    /// A parameter taking one code of the list `T`.
    pub const fn code<T: CodeList>(name: &'static str) -> Param {
        Param {
            name,
            values: ParamValues::Codes(codes::<T>),
        }
    }

    pub const fn flag(name: &'static str) -> Param {
        Param {
            name,
            values: ParamValues::Flag,
        }
    }
}

fn codes<T: CodeList>() -> Vec<&'static str> {
    T::ALL.iter().map(|m| m.code()).collect()
}

/// A figure a registry computes for computed indicators: a numerator and a denominator per
/// year, as a percentage. Declared by the registry's module; computed by its store part.
#[derive(Debug)]
pub struct Measure {
    /// The name a plan's formula gives as its `query`.
    pub name: &'static str,
    /// The registry it counts over (its module's slug).
    pub registry: &'static str,
    pub params: &'static [Param],
    /// The formula in words, for a page or a report.
    pub explain: fn(&Formula, Lang) -> String,
}

/// A parameter's value as the plan file writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Flag(bool),
    Text(String),
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Flag(b) => write!(f, "{b}"),
            Value::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

/// What an indicator computes: a registry measure and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Formula {
    pub measure: String,
    pub params: BTreeMap<String, Value>,
}

impl Formula {
    pub fn new(measure: &str) -> Formula {
        Formula {
            measure: measure.to_string(),
            params: BTreeMap::new(),
        }
    }

    /// The same with one more parameter.
    pub fn with(mut self, name: &str, value: Value) -> Formula {
        self.params.insert(name.to_string(), value);
        self
    }

    /// A code parameter read into its list (absent or not a code: `None`).
    pub fn code<T: CodeList>(&self, name: &str) -> Option<T> {
        match self.params.get(name) {
            Some(Value::Text(t)) => T::ALL.iter().copied().find(|m| m.code() == t),
            _ => None,
        }
    }

    /// A flag parameter (absent: `None`).
    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.params.get(name) {
            Some(Value::Flag(b)) => Some(*b),
            _ => None,
        }
    }

    /// The formula as a one-line TOML inline table, as the plan file writes it: the measure
    /// first, then the parameters by name, so that writing what was read gives one text.
    pub fn to_inline_toml(&self) -> String {
        let mut parts = vec![format!("query = \"{}\"", self.measure)];
        for (name, value) in &self.params {
            parts.push(format!("{name} = {value}"));
        }
        format!("{{ {} }}", parts.join(", "))
    }

    /// Reads a formula written as the plan file writes it (`{ query = "…", level = "…" }`).
    pub fn from_inline_toml(text: &str) -> Result<Formula, String> {
        #[derive(Deserialize)]
        struct Holder {
            formula: Formula,
        }
        toml::from_str::<Holder>(&format!("formula = {}", text.trim()))
            .map(|h| h.formula)
            .map_err(|e| e.message().trim().to_string())
    }

    /// The formula in words, from its measure (or its TOML when the measure is unknown).
    pub fn explain(&self, catalogue: &[&Measure], lang: Lang) -> String {
        match find(catalogue, &self.measure) {
            Some(m) => (m.explain)(self, lang),
            None => self.to_inline_toml(),
        }
    }

    /// Problems with the formula against the measures the installed registries declare:
    /// an unknown measure, an unknown parameter, a value the parameter does not take. Each is
    /// (field, English, Chinese); the field is `query` or the parameter's name.
    pub fn problems(&self, catalogue: &[&Measure]) -> Vec<(String, String, String)> {
        let Some(m) = find(catalogue, &self.measure) else {
            let known: Vec<&str> = catalogue.iter().map(|m| m.name).collect();
            return vec![(
                "query".into(),
                format!(
                    "'{}' is not a measure of any registry (one of: {})",
                    self.measure,
                    known.join(", ")
                ),
                format!(
                    "“{}”不是任何登记簿提供的统计口径（应为 {} 之一）",
                    self.measure,
                    known.join("、")
                ),
            )];
        };
        let mut out = Vec::new();
        for (name, value) in &self.params {
            let Some(p) = m.params.iter().find(|p| p.name == name) else {
                let known: Vec<&str> = m.params.iter().map(|p| p.name).collect();
                out.push((
                    name.clone(),
                    format!(
                        "measure {} takes no parameter '{name}' (it takes: {})",
                        m.name,
                        known.join(", ")
                    ),
                    format!(
                        "统计口径 {} 没有参数“{name}”（可用参数：{}）",
                        m.name,
                        known.join("、")
                    ),
                ));
                continue;
            };
            let ok = match (p.values, value) {
                (ParamValues::Flag, Value::Flag(_)) => true,
                (ParamValues::Codes(codes), Value::Text(t)) => codes().contains(&t.as_str()),
                _ => false,
            };
            if !ok {
                let allowed = match p.values {
                    ParamValues::Flag => "true, false".to_string(),
                    ParamValues::Codes(codes) => codes().join(", "),
                };
                out.push((
                    name.clone(),
                    format!("{name} = {value} is not allowed (one of: {allowed})"),
                    format!("参数 {name} 的取值 {value} 无效（应为 {allowed} 之一）"),
                ));
            }
        }
        out
    }
}

/// The measure named `name` in `catalogue`.
pub fn find<'a>(catalogue: &[&'a Measure], name: &str) -> Option<&'a Measure> {
    catalogue.iter().copied().find(|m| m.name == name)
}

/// Plan diagnostics for every indicator whose formula names an unknown measure or parameter,
/// at the field `indicators[i].formula.<field>` (the plan's source map turns it into a line).
pub fn check_plan(plan: &crate::plan::Plan, catalogue: &[&Measure]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (i, ind) in plan.indicators.iter().enumerate() {
        let Some(f) = &ind.formula else {
            continue;
        };
        for (field, en, zh) in f.problems(catalogue) {
            out.push(Diagnostic::error(
                format!("indicators[{i}].formula.{field}"),
                format!("indicator {}: {en}", ind.code),
                format!("指标 {}：{zh}", ind.code),
            ));
        }
    }
    out
}

impl Serialize for Formula {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(self.params.len() + 1))?;
        map.serialize_entry("query", &self.measure)?;
        for (k, v) in &self.params {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Formula {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Formula, D::Error> {
        struct FormulaVisitor;
        impl<'de> Visitor<'de> for FormulaVisitor {
            type Value = Formula;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a table with `query` naming a registry measure and its parameters")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Formula, A::Error> {
                let mut measure = None;
                let mut params = BTreeMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "query" {
                        measure = Some(map.next_value::<String>()?);
                    } else {
                        params.insert(key, map.next_value::<Value>()?);
                    }
                }
                let measure = measure.ok_or_else(|| de::Error::missing_field("query"))?;
                Ok(Formula { measure, params })
            }
        }
        d.deserialize_map(FormulaVisitor)
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{CREDIT_RECORD_RATE, Level, SAMPLING_PASS_RATE, Stage};

    const CATALOGUE: &[&Measure] = &[&SAMPLING_PASS_RATE, &CREDIT_RECORD_RATE];

    #[derive(Deserialize)]
    struct Holder {
        formula: Formula,
    }

    fn parse(text: &str) -> Result<Formula, toml::de::Error> {
        toml::from_str::<Holder>(text).map(|h| h.formula)
    }

    #[test]
    fn formulas_read_from_plan_toml_and_write_back_the_same() {
        let text = r#"{ query = "sampling_pass_rate", ccc = true, level = "national" }"#;
        let f = parse(&format!("formula = {text}")).unwrap();
        assert_eq!(f.code::<Level>("level"), Some(Level::National));
        assert_eq!(f.flag("ccc"), Some(true));
        assert_eq!(f.to_inline_toml(), text);
        let f = parse(r#"formula = { query = "credit_record_rate" }"#).unwrap();
        assert_eq!(f, Formula::new("credit_record_rate"));
        assert!(f.problems(CATALOGUE).is_empty());
        assert!(parse(r#"formula = { level = "national" }"#).is_err());
    }

    #[test]
    fn unknown_measures_parameters_and_values_are_named() {
        let problems = |text: &str| {
            parse(&format!("formula = {text}"))
                .unwrap()
                .problems(CATALOGUE)
                .into_iter()
                .map(|(field, en, _)| format!("{field}: {en}"))
                .collect::<Vec<_>>()
        };
        assert!(problems(r#"{ query = "sampling_pass_rate", level = "national" }"#).is_empty());
        let p = problems(r#"{ query = "guess" }"#);
        assert!(p[0].starts_with("query: 'guess' is not a measure"), "{p:?}");
        assert!(p[0].contains("sampling_pass_rate"), "{p:?}");
        let p = problems(r#"{ query = "sampling_pass_rate", levle = "national" }"#);
        assert!(
            p[0].starts_with("levle: measure sampling_pass_rate takes no parameter"),
            "{p:?}"
        );
        let p = problems(r#"{ query = "sampling_pass_rate", level = "galactic" }"#);
        assert!(p[0].contains("\"galactic\" is not allowed"), "{p:?}");
        let p = problems(r#"{ query = "sampling_pass_rate", ccc = "yes" }"#);
        assert_eq!(p.len(), 1, "{p:?}");
    }

    #[test]
    fn explanations_name_the_scope() {
        let f = Formula::new("sampling_pass_rate")
            .with("stage", Value::Text(Stage::Production.code().into()))
            .with("ccc", Value::Flag(true));
        assert!(
            f.explain(CATALOGUE, Lang::ZhCn)
                .contains("生产环节、CCC 目录内产品")
        );
        assert!(
            f.explain(CATALOGUE, Lang::En)
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
