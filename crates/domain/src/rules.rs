//! Rule sets the office keeps as versioned TOML (the assessment scheme, the acceptance score
//! sheet, the credit rules, and each later registry's): one way to read them with line-numbered
//! diagnostics in both languages, to check and to write them, their columns in the tabular
//! (Excel) form, and the number formats their messages use.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::plan::Diagnostic;

/// A rule set kept as TOML text.
pub trait Rules: Sized + Serialize + DeserializeOwned {
    /// What it is called in messages, with its article: "the assessment scheme".
    const NAME_EN: &'static str;
    /// The same in Chinese: "考核方案".
    const NAME_ZH: &'static str;

    /// The rules QCity ships.
    fn shipped() -> Self;

    /// Every problem that makes the rules unusable, none when they are sound.
    fn validate(&self) -> Result<(), Vec<Diagnostic>>;

    /// The diagnostic for text that does not read (syntax, shape); a rule set whose reader
    /// writes its own bilingual messages refines it.
    fn read_error(src: &str, e: &toml::de::Error) -> Diagnostic {
        toml_error(
            src,
            e,
            &format!("{} cannot be read", Self::NAME_EN),
            &format!("{}无法读取", Self::NAME_ZH),
        )
    }
}

/// Reads rules: TOML syntax and shape (unknown or missing fields, wrong types). The one error
/// carries its line. Does not validate.
pub fn read<R: Rules>(src: &str) -> Result<R, Diagnostic> {
    toml::from_str::<R>(src).map_err(|e| R::read_error(src, &e))
}

/// Reads and validates rules; every problem found is returned.
pub fn load<R: Rules>(src: &str) -> Result<R, Vec<Diagnostic>> {
    let rules = read::<R>(src).map_err(|d| vec![d])?;
    rules.validate()?;
    Ok(rules)
}

/// The rules as TOML, for export and editing; [`load`] reads them back.
pub fn write<R: Rules>(rules: &R) -> String {
    // Rule sets are strings, numbers, lists and tables: serialising cannot fail.
    toml::to_string(rules).unwrap_or_default()
}

/// One column of the tabular form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The field of the row it fills.
    pub key: &'static str,
    /// The Chinese header.
    pub zh: &'static str,
    /// The English header.
    pub en: &'static str,
    /// Whether the column must be present.
    pub required: bool,
}

/// A column (for `const` tables).
pub const fn col(key: &'static str, zh: &'static str, en: &'static str, required: bool) -> Column {
    Column {
        key,
        zh,
        en,
        required,
    }
}

/// Points for display: rounded to 0.1, without a trailing ".0" ("22.5", "25").
/// Only text is rounded; sums always use the exact values.
pub fn num(x: f64) -> String {
    let r = (x * 10.0).round() / 10.0;
    // Avoid "-0" for tiny negative values.
    let r = if r == 0.0 { 0.0 } else { r };
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A number as entered, for messages about a wrong sum: not rounded to 0.1,
/// so a weight of 30.04 is not shown as 30.
pub fn num_exact(x: f64) -> String {
    let r = (x * 1e6).round() / 1e6;
    let r = if r == 0.0 { 0.0 } else { r };
    format!("{r}")
}

/// A TOML syntax or shape error as a diagnostic with its line.
pub fn toml_error(src: &str, e: &toml::de::Error, what_en: &str, what_zh: &str) -> Diagnostic {
    let message = e.message().trim().to_string();
    let mut d = Diagnostic::error(
        String::new(),
        format!("{what_en}: {message}"),
        format!("{what_zh}：{}", toml_message_zh(&message)),
    );
    d.line = e.span().map(|span| {
        let end = span.start.min(src.len());
        src.as_bytes()[..end]
            .iter()
            .filter(|b| **b == b'\n')
            .count()
            + 1
    });
    d
}

/// Chinese wording for the TOML reader's common messages; others are quoted.
pub(crate) fn toml_message_zh(en: &str) -> String {
    let quoted = |prefix: &str| {
        en.strip_prefix(prefix)
            .and_then(|rest| rest.split('`').nth(1))
            .map(str::to_string)
    };
    if let Some(field) = quoted("missing field") {
        format!("缺少字段 {field}")
    } else if let Some(field) = quoted("unknown field") {
        format!("未知字段 {field}（字段名是否拼错？）")
    } else if let Some(variant) = quoted("unknown variant") {
        format!("取值 {variant} 不在允许的范围内（{en}）")
    } else if en.starts_with("invalid type") {
        format!("值的类型不对（{en}）")
    } else {
        format!("TOML 格式有误（{en}）")
    }
}
