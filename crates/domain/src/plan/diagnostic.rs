//! Diagnostics: what is wrong with a plan, where, in English and Chinese.

use std::fmt;

use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::target::Lang;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The plan cannot be used as it is.
    Error,
    /// Worth a look; the plan is still usable.
    Warning,
}

/// One finding about a plan file or workbook.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// 1-based line in the plan file, when known.
    pub line: Option<usize>,
    /// Where: a TOML path such as `categories[1].items[0].contents[2].lead_units[0]`,
    /// or for a workbook a cell reference such as `任务分解表!F12`.
    pub path: String,
    /// The message in English.
    pub message_en: String,
    /// The message in Chinese.
    pub message_zh: String,
}

impl Diagnostic {
    /// An error at `path`.
    pub fn error(path: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self::new(Severity::Error, path, en, zh)
    }

    /// A warning at `path`.
    pub fn warning(path: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> Self {
        Self::new(Severity::Warning, path, en, zh)
    }

    fn new(
        severity: Severity,
        path: impl Into<String>,
        en: impl Into<String>,
        zh: impl Into<String>,
    ) -> Self {
        Diagnostic {
            severity,
            line: None,
            path: path.into(),
            message_en: en.into(),
            message_zh: zh.into(),
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// The message in the given language.
    pub fn message(&self, lang: Lang) -> &str {
        match lang {
            Lang::ZhCn => &self.message_zh,
            Lang::En => &self.message_en,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{severity}")?;
        if let Some(line) = self.line {
            write!(f, " at line {line}")?;
        }
        if !self.path.is_empty() {
            write!(f, " ({})", self.path)?;
        }
        write!(f, ": {}", self.message_en)
    }
}

/// Whether any of the diagnostics is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(src: &str, offset: usize) -> usize {
    let end = offset.min(src.len());
    src.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Maps TOML paths to lines of one source text, using the parser's spans so
/// any TOML layout (inline tables, dotted keys) is located correctly.
pub(crate) struct SourceMap<'s> {
    src: &'s str,
    root: Option<Spanned<DeTable<'s>>>,
}

impl<'s> SourceMap<'s> {
    pub(crate) fn new(src: &'s str) -> Self {
        SourceMap {
            src,
            root: DeTable::parse(src).ok(),
        }
    }

    /// Line of the deepest element along `path` that the source has.
    pub(crate) fn line(&self, path: &str) -> Option<usize> {
        let root = self.root.as_ref()?;
        let mut span = root.span();
        let mut node: Option<&DeValue> = None;
        let mut table: Option<&DeTable> = Some(root.get_ref());
        for seg in parse_path(path) {
            let next = match (seg, table, node) {
                (Seg::Key(k), Some(t), _) => t.get(k),
                (Seg::Index(i), _, Some(DeValue::Array(a))) => a.get(i),
                _ => None,
            };
            let Some(next) = next else { break };
            span = next.span();
            node = Some(next.get_ref());
            table = match next.get_ref() {
                DeValue::Table(t) => Some(t),
                _ => None,
            };
        }
        Some(line_of(self.src, span.start))
    }

    /// The TOML path of the innermost element at `offset`.
    ///
    /// The parser gives an array-of-tables element only its header's span,
    /// so at each level the element that starts last at or before `offset`
    /// is taken: the one whose body the offset lies in.
    pub(crate) fn path_at(&self, offset: usize) -> String {
        let Some(root) = self.root.as_ref() else {
            return String::new();
        };
        let mut path = String::new();
        let mut current: &DeTable = root.get_ref();
        while let Some((name, value)) = last_before(current, offset) {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&name);
            match value {
                DeValue::Table(t) => current = t,
                _ => break,
            }
        }
        path
    }
}

/// Among a table's entries (each array element counted on its own), the
/// one starting last at or before `offset`, with its path segment.
fn last_before<'t, 'i>(table: &'t DeTable<'i>, offset: usize) -> Option<(String, &'t DeValue<'i>)> {
    let mut best: Option<(usize, String, &DeValue)> = None;
    let mut consider = |start: usize, name: String, value: &'t DeValue<'i>| {
        if start <= offset && best.as_ref().is_none_or(|b| start >= b.0) {
            best = Some((start, name, value));
        }
    };
    for (key, value) in table.iter() {
        let key_name = key.get_ref().to_string();
        match value.get_ref() {
            DeValue::Array(items) if items.iter().any(|v| v.get_ref().is_table()) => {
                for (i, item) in items.iter().enumerate() {
                    consider(
                        item.span().start,
                        format!("{key_name}[{i}]"),
                        item.get_ref(),
                    );
                }
            }
            v => consider(key.span().start.min(value.span().start), key_name, v),
        }
    }
    best.map(|(_, name, value)| (name, value))
}

enum Seg<'p> {
    Key(&'p str),
    Index(usize),
}

/// Splits `a[1].b[0].c` into keys and indexes.
fn parse_path(path: &str) -> Vec<Seg<'_>> {
    let mut segs = Vec::new();
    for part in path.split('.') {
        let (key, rest) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            segs.push(Seg::Key(key));
        }
        for index in rest.split('[') {
            if let Ok(i) = index.trim_end_matches(']').parse() {
                segs.push(Seg::Index(i));
            }
        }
    }
    segs
}
