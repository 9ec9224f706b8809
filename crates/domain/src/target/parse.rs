//! Parser for the target language: a hand-written recursive descent over
//! the source text, so every error can point at a byte offset.
//!
//! Full-width characters typed in Excel (`≥ ≤ ＞ ＜ ＝ ％ ： ； （ ） →`,
//! full-width digits and spaces, `“…”` quotes) are read as their ASCII
//! counterparts; offsets always refer to the original text.

use std::fmt;

use super::{Anchor, Lang, Op, Part, RankBound, Target, TrendDirection, Unit};

/// Deepest nesting of `all(...)`/`any(...)` accepted; bounds recursion on any input.
const MAX_DEPTH: usize = 8;
/// Largest `trend … n years` accepted.
const MAX_TREND_YEARS: u64 = 100;

/// Parse one target expression.
///
/// Spaces are optional between tokens and may be repeated. Keywords are
/// case-insensitive; labels are not.
pub fn parse(src: &str) -> Result<Target, ParseError> {
    let mut p = Parser {
        src,
        pos: 0,
        labels: Vec::new(),
    };
    p.skip_ws();
    if p.at_end() {
        return Err(p.error(ParseErrorKind::Empty));
    }
    let target = p.expr(0)?;
    p.skip_ws();
    if !p.at_end() {
        return Err(p.error(ParseErrorKind::TrailingInput));
    }
    Ok(target)
}

/// A parse failure: where it happened and what went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// Byte offset into the parsed text.
    pub offset: usize,
    /// What went wrong.
    pub kind: ParseErrorKind,
}

impl ParseError {
    /// The plain message, without the offset, in the given language.
    pub fn message(&self, lang: Lang) -> String {
        self.kind.message(lang)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at byte {}: {}", self.offset, self.message(Lang::En))
    }
}

impl std::error::Error for ParseError {}

/// The kinds of parse failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Nothing but spaces.
    Empty,
    /// No target form starts here.
    ExpectedTarget,
    /// A number was expected.
    ExpectedNumber,
    /// The number does not fit an f64.
    NumberOutOfRange,
    /// A whole number was expected (year, years, rank).
    ExpectedWholeNumber,
    /// A four-digit year was expected.
    InvalidYear,
    /// A double-quoted text was expected.
    ExpectedString,
    /// A quoted text has no closing quote.
    UnterminatedString,
    /// A quoted text is empty.
    EmptyString,
    /// One of the listed tokens was expected.
    Expected(&'static [&'static str]),
    /// A part label was expected inside `all(...)`/`any(...)`.
    ExpectedLabel,
    /// A word after a number is not a known unit.
    UnknownUnit(String),
    /// A part label is not `[a-z][a-z0-9_]*`.
    InvalidLabel(String),
    /// A part label appears twice in one target.
    DuplicateLabel(String),
    /// `all`/`any` nested deeper than 8 levels.
    TooDeep,
    /// Text left after a complete target.
    TrailingInput,
    /// `reduce P %` with P outside (0, 100].
    ReductionOutOfRange,
    /// `trend … n years` with n outside 1..=100.
    TrendYearsOutOfRange,
    /// `rank <= N` with N < 1 or too large.
    RankOutOfRange,
    /// A path with fewer than two anchors.
    PathTooShort,
    /// Path years that do not strictly increase.
    PathYearsNotIncreasing,
    /// A path that rises and falls.
    PathNotMonotone,
    /// A path whose first and last values are equal.
    PathFlat,
    /// Path anchors with different units.
    MixedUnits,
}

impl ParseErrorKind {
    /// The plain message in the given language.
    pub fn message(&self, lang: Lang) -> String {
        let (zh, en): (String, String) = match self {
            Self::Empty => ("目标为空".into(), "the target is empty".into()),
            Self::ExpectedTarget => (
                "此处应为目标表达式，如“>= 96 %”，或 eliminate、reduce、path、trend、rank、\
                 benchmark、qualitative、all(...)、any(...)"
                    .into(),
                "expected a target: a comparison such as '>= 96 %', or eliminate, reduce, \
                 path, trend, rank, benchmark, qualitative, all(...), any(...)"
                    .into(),
            ),
            Self::ExpectedNumber => (
                "此处应为数字，如 96 或 92.5".into(),
                "expected a number such as 96 or 92.5".into(),
            ),
            Self::NumberOutOfRange => ("数字过大".into(), "the number is too large".into()),
            Self::ExpectedWholeNumber => ("此处应为整数".into(), "expected a whole number".into()),
            Self::InvalidYear => (
                "此处应为四位年份，如 2010".into(),
                "expected a four-digit year such as 2010".into(),
            ),
            Self::ExpectedString => (
                "此处应为双引号括起的文字，如 \"全国平均水平\"".into(),
                "expected a double-quoted text such as \"全国平均水平\"".into(),
            ),
            Self::UnterminatedString => {
                ("引号未闭合".into(), "the quoted text is not closed".into())
            }
            Self::EmptyString => ("引号内文字为空".into(), "the quoted text is empty".into()),
            Self::Expected(tokens) => (
                format!("此处应为{}", quoted_list(tokens, "“", "”", "或")),
                format!("expected {}", quoted_list(tokens, "'", "'", " or ")),
            ),
            Self::ExpectedLabel => (
                "此处应为分项标签，如 regional".into(),
                "expected a part label such as regional".into(),
            ),
            Self::UnknownUnit(word) => (
                format!(
                    "未知单位“{word}”，可用单位：%、‰、dB(A)、ug/m3、mg/L、count、score、days、t、rank"
                ),
                format!(
                    "unknown unit '{word}'; use %, ‰, dB(A), ug/m3, mg/L, count, score, days, t or rank"
                ),
            ),
            Self::InvalidLabel(word) => (
                format!("标签“{word}”无效：须以小写英文字母开头，只含小写字母、数字和下划线"),
                format!(
                    "invalid label '{word}': use lower-case ASCII letters, digits and '_', \
                     starting with a letter"
                ),
            ),
            Self::DuplicateLabel(word) => (
                format!("标签“{word}”重复"),
                format!("label '{word}' is used twice"),
            ),
            Self::TooDeep => (
                format!("all(...)/any(...) 嵌套过深（最多{MAX_DEPTH}层）"),
                format!("all(...)/any(...) nested too deeply (at most {MAX_DEPTH} levels)"),
            ),
            Self::TrailingInput => (
                "目标之后有多余内容".into(),
                "unexpected text after the end of the target".into(),
            ),
            Self::ReductionOutOfRange => (
                "削减比例须大于0%且不超过100%".into(),
                "the reduction must be more than 0 % and at most 100 %".into(),
            ),
            Self::TrendYearsOutOfRange => (
                format!("年数须在1到{MAX_TREND_YEARS}之间"),
                format!("the number of years must be between 1 and {MAX_TREND_YEARS}"),
            ),
            Self::RankOutOfRange => (
                "名次须为不小于1的整数".into(),
                "the rank must be a whole number of at least 1".into(),
            ),
            Self::PathTooShort => (
                "路径至少需要两个节点，如“path 2013: 108 -> 2016: 95”".into(),
                "a path needs at least two anchors, as in 'path 2013: 108 -> 2016: 95'".into(),
            ),
            Self::PathYearsNotIncreasing => (
                "路径节点的年份须逐个递增".into(),
                "path years must increase from anchor to anchor".into(),
            ),
            Self::PathNotMonotone => (
                "路径须单向变化（只升或只降）".into(),
                "a path must move one way only (only rising or only falling)".into(),
            ),
            Self::PathFlat => (
                "路径首尾节点的值须不同；保持某一水平请用比较式".into(),
                "a path's first and last values must differ; use a comparison to hold a level"
                    .into(),
            ),
            Self::MixedUnits => (
                "路径节点的单位不一致".into(),
                "the path's anchors use different units".into(),
            ),
        };
        match lang {
            Lang::ZhCn => zh,
            Lang::En => en,
        }
    }
}

fn quoted_list(tokens: &[&str], open: &str, close: &str, sep: &str) -> String {
    tokens
        .iter()
        .map(|t| format!("{open}{t}{close}"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// Unit spellings, canonical and tolerated. Matched case-insensitively
/// (ASCII), longest first.
const UNIT_ALIASES: &[(&str, Unit)] = &[
    ("%", Unit::Percent),
    ("％", Unit::Percent),
    ("‰", Unit::PerMille),
    ("dB(A)", Unit::DbA),
    ("dB（A）", Unit::DbA),
    ("dBA", Unit::DbA),
    ("分贝", Unit::DbA),
    ("ug/m3", Unit::UgM3),
    ("ug/m³", Unit::UgM3),
    ("µg/m3", Unit::UgM3),
    ("µg/m³", Unit::UgM3),
    ("μg/m3", Unit::UgM3),
    ("μg/m³", Unit::UgM3),
    ("微克/立方米", Unit::UgM3),
    ("微克／立方米", Unit::UgM3),
    ("mg/L", Unit::MgL),
    ("毫克/升", Unit::MgL),
    ("count", Unit::Count),
    ("个", Unit::Count),
    ("score", Unit::Score),
    ("分", Unit::Score),
    ("days", Unit::Days),
    ("day", Unit::Days),
    ("天", Unit::Days),
    ("t", Unit::Tonnes),
    ("吨", Unit::Tonnes),
    ("rank", Unit::Rank),
    ("名", Unit::Rank),
];

/// Read full-width punctuation and digits as ASCII.
fn normalize(c: char) -> char {
    match c {
        '＞' => '>',
        '＜' => '<',
        '＝' => '=',
        '％' => '%',
        '：' => ':',
        '；' => ';',
        '（' => '(',
        '）' => ')',
        '．' => '.',
        '－' => '-',
        '０'..='９' => char::from_digit(u32::from(c) - u32::from('０'), 10).unwrap_or(c),
        _ => c,
    }
}

struct Parser<'a> {
    src: &'a str,
    pos: usize,
    /// Labels seen so far: a label must name one measure in the whole target.
    labels: Vec<String>,
}

type PResult<T> = Result<T, ParseError>;

impl<'a> Parser<'a> {
    // ---- low-level cursor ----

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn peek_raw(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek(&self) -> Option<char> {
        self.peek_raw().map(normalize)
    }

    /// The normalised character after the next one.
    fn peek_second(&self) -> Option<char> {
        self.rest().chars().nth(1).map(normalize)
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek_raw() {
            self.pos += c.len_utf8();
        }
    }

    fn skip_ws(&mut self) {
        while self.peek_raw().is_some_and(char::is_whitespace) {
            self.bump();
        }
    }

    fn error(&self, kind: ParseErrorKind) -> ParseError {
        self.error_at(self.pos, kind)
    }

    fn error_at(&self, offset: usize, kind: ParseErrorKind) -> ParseError {
        ParseError { offset, kind }
    }

    /// Consume `c` (after spaces) if it is next.
    fn eat(&mut self, c: char) -> bool {
        self.skip_ws();
        if self.peek() == Some(c) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, c: char, token: &'static [&'static str]) -> PResult<()> {
        if self.eat(c) {
            Ok(())
        } else {
            Err(self.error(ParseErrorKind::Expected(token)))
        }
    }

    fn at_arrow(&self) -> bool {
        self.peek_raw() == Some('→')
            || (self.peek() == Some('-') && self.peek_second() == Some('>'))
    }

    /// Consume `->` or `→` (after spaces) if it is next.
    fn eat_arrow(&mut self) -> bool {
        self.skip_ws();
        if !self.at_arrow() {
            return false;
        }
        if self.peek_raw() != Some('→') {
            self.bump(); // the '-' of "->"
        }
        self.bump();
        true
    }

    /// The ASCII word `[A-Za-z][A-Za-z0-9_]*` starting here, if any.
    fn peek_ident(&self) -> Option<&'a str> {
        let rest = self.rest();
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            return None;
        }
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        rest.get(..end)
    }

    /// Consume the keyword `kw` (case-insensitive, whole word) if it is next.
    fn eat_keyword(&mut self, kw: &str) -> bool {
        self.skip_ws();
        match self.peek_ident() {
            Some(word) if word.eq_ignore_ascii_case(kw) => {
                self.pos += word.len();
                true
            }
            _ => false,
        }
    }

    fn expect_keyword(&mut self, kw: &str, token: &'static [&'static str]) -> PResult<()> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.error(ParseErrorKind::Expected(token)))
        }
    }

    /// A short excerpt of the text here, for messages.
    fn word_here(&self) -> String {
        self.rest()
            .chars()
            .take_while(|&c| !c.is_whitespace() && !";:()\"".contains(normalize(c)))
            .take(20)
            .collect()
    }

    // ---- tokens ----

    fn op(&mut self) -> Option<Op> {
        self.skip_ws();
        let op = match self.peek()? {
            '≥' | '≧' | '⩾' => Op::Ge,
            '≤' | '≦' | '⩽' => Op::Le,
            '>' if self.peek_second() == Some('=') => Op::Ge,
            '<' if self.peek_second() == Some('=') => Op::Le,
            '>' => Op::Gt,
            '<' => Op::Lt,
            '=' => Op::Eq,
            _ => return None,
        };
        self.bump();
        if matches!(op, Op::Ge | Op::Le) && self.peek() == Some('=') {
            self.bump();
        }
        Some(op)
    }

    fn digits(&mut self, out: &mut String) {
        while let Some(c) = self.peek().filter(char::is_ascii_digit) {
            out.push(c);
            self.bump();
        }
    }

    /// `-? digit+ ('.' digit+)?`, finite.
    fn number(&mut self) -> PResult<f64> {
        self.skip_ws();
        let start = self.pos;
        let mut text = String::new();
        if self.peek() == Some('-') && self.peek_second().is_some_and(|c| c.is_ascii_digit()) {
            text.push('-');
            self.bump();
        }
        self.digits(&mut text);
        if text.is_empty() {
            return Err(self.error(ParseErrorKind::ExpectedNumber));
        }
        if self.peek() == Some('.') {
            if !self.peek_second().is_some_and(|c| c.is_ascii_digit()) {
                return Err(self.error(ParseErrorKind::ExpectedNumber));
            }
            text.push('.');
            self.bump();
            self.digits(&mut text);
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Ok(v),
            _ => Err(self.error_at(start, ParseErrorKind::NumberOutOfRange)),
        }
    }

    /// `digit+`, saturating; returns the offset where it started.
    fn integer(&mut self) -> PResult<(usize, u64)> {
        self.skip_ws();
        let start = self.pos;
        let mut text = String::new();
        self.digits(&mut text);
        if text.is_empty() {
            return Err(self.error(ParseErrorKind::ExpectedWholeNumber));
        }
        if self.peek() == Some('.') && self.peek_second().is_some_and(|c| c.is_ascii_digit()) {
            return Err(self.error_at(start, ParseErrorKind::ExpectedWholeNumber));
        }
        let value = text.bytes().fold(0u64, |acc, b| {
            acc.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        });
        Ok((start, value))
    }

    fn year(&mut self) -> PResult<(usize, i32)> {
        self.skip_ws();
        let start = self.pos;
        let (_, n) = self
            .integer()
            .map_err(|e| self.error_at(e.offset, ParseErrorKind::InvalidYear))?;
        match i32::try_from(n) {
            Ok(y) if (1000..=9999).contains(&y) => Ok((start, y)),
            _ => Err(self.error_at(start, ParseErrorKind::InvalidYear)),
        }
    }

    /// A non-empty `"…"` or `“…”` text; `\"` and `\\` are escapes, any
    /// other backslash is kept as written.
    fn string(&mut self) -> PResult<String> {
        self.skip_ws();
        let start = self.pos;
        let close = match self.peek_raw() {
            Some('"') => '"',
            Some('“') => '”',
            _ => return Err(self.error(ParseErrorKind::ExpectedString)),
        };
        self.bump();
        let mut out = String::new();
        loop {
            let Some(c) = self.peek_raw() else {
                return Err(self.error_at(start, ParseErrorKind::UnterminatedString));
            };
            self.bump();
            if c == close {
                break;
            }
            if c == '\\' && matches!(self.peek_raw(), Some('"' | '\\')) {
                out.extend(self.peek_raw());
                self.bump();
            } else {
                out.push(c);
            }
        }
        if out.is_empty() {
            return Err(self.error_at(start, ParseErrorKind::EmptyString));
        }
        Ok(out)
    }

    fn at_string(&self) -> bool {
        matches!(self.peek_raw(), Some('"' | '“'))
    }

    /// An optional unit after a number. Anything that is neither a unit nor
    /// punctuation that may follow a number is reported as an unknown unit.
    fn opt_unit(&mut self) -> PResult<Option<Unit>> {
        self.skip_ws();
        match self.peek() {
            None | Some(';' | ')') => return Ok(None),
            Some(_) if self.at_arrow() => return Ok(None),
            Some(_) => {}
        }
        let rest = self.rest();
        let mut best: Option<(usize, Unit)> = None;
        for &(alias, unit) in UNIT_ALIASES {
            let matches = rest
                .get(..alias.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(alias));
            let ends_word = alias.chars().last().is_some_and(char::is_alphanumeric);
            let boundary_ok = !ends_word
                || !rest
                    .get(alias.len()..)
                    .and_then(|tail| tail.chars().next())
                    .is_some_and(|c| c.is_alphanumeric() || c == '_');
            if matches && boundary_ok && best.is_none_or(|(len, _)| alias.len() > len) {
                best = Some((alias.len(), unit));
            }
        }
        match best {
            Some((len, unit)) => {
                self.pos += len;
                Ok(Some(unit))
            }
            None => Err(self.error(ParseErrorKind::UnknownUnit(self.word_here()))),
        }
    }

    // ---- grammar ----

    fn expr(&mut self, depth: usize) -> PResult<Target> {
        self.skip_ws();
        let start = self.pos;
        if let Some(op) = self.op() {
            return self.comparison(op);
        }
        let Some(word) = self.peek_ident() else {
            return Err(self.error(ParseErrorKind::ExpectedTarget));
        };
        let keyword = word.to_ascii_lowercase();
        self.pos += word.len();
        match keyword.as_str() {
            "eliminate" => Ok(Target::Eliminate),
            "reduce" => self.reduce(),
            "path" => self.path(start),
            "trend" => self.trend(),
            "rank" => self.rank(),
            "qualitative" => Ok(Target::Qualitative {
                description: self.string()?,
            }),
            "all" => Ok(Target::All(self.group(depth)?)),
            "any" => Ok(Target::Any(self.group(depth)?)),
            _ => Err(self.error_at(start, ParseErrorKind::ExpectedTarget)),
        }
    }

    /// After an operator: `benchmark "name"` or `number unit?`.
    fn comparison(&mut self, op: Op) -> PResult<Target> {
        if self.eat_keyword("benchmark") {
            return Ok(Target::Benchmark {
                op,
                name: self.string()?,
            });
        }
        let value = self.number()?;
        let unit = self.opt_unit()?;
        Ok(Target::Compare { op, value, unit })
    }

    fn reduce(&mut self) -> PResult<Target> {
        self.skip_ws();
        let start = self.pos;
        let percent = self.number()?;
        if !(percent > 0.0 && percent <= 100.0) {
            return Err(self.error_at(start, ParseErrorKind::ReductionOutOfRange));
        }
        self.expect('%', &["%"])?;
        self.expect_keyword("vs", &["vs"])?;
        let (_, baseline_year) = self.year()?;
        Ok(Target::Reduce {
            percent,
            baseline_year,
        })
    }

    fn path(&mut self, start: usize) -> PResult<Target> {
        let mut anchors: Vec<Anchor> = Vec::new();
        let mut unit: Option<Unit> = None;
        loop {
            let (year_at, year) = self.year()?;
            if anchors.last().is_some_and(|a| a.year >= year) {
                return Err(self.error_at(year_at, ParseErrorKind::PathYearsNotIncreasing));
            }
            self.expect(':', &[":"])?;
            let value = self.number()?;
            self.skip_ws();
            let unit_at = self.pos;
            if let Some(u) = self.opt_unit()? {
                if unit.is_some_and(|prev| prev != u) {
                    return Err(self.error_at(unit_at, ParseErrorKind::MixedUnits));
                }
                unit = Some(u);
            }
            anchors.push(Anchor { year, value });
            if !self.eat_arrow() {
                break;
            }
        }
        check_path_shape(&anchors).map_err(|kind| self.error_at(start, kind))?;
        Ok(Target::Path { anchors, unit })
    }

    fn trend(&mut self) -> PResult<Target> {
        let direction = if self.eat_keyword("up") {
            TrendDirection::Up
        } else if self.eat_keyword("down") {
            TrendDirection::Down
        } else {
            return Err(self.error(ParseErrorKind::Expected(&["up", "down"])));
        };
        let (at, n) = self.integer()?;
        if !(1..=MAX_TREND_YEARS).contains(&n) {
            return Err(self.error_at(at, ParseErrorKind::TrendYearsOutOfRange));
        }
        if !(self.eat_keyword("years") || self.eat_keyword("year")) {
            return Err(self.error(ParseErrorKind::Expected(&["years"])));
        }
        // n <= MAX_TREND_YEARS, so the conversion cannot fail.
        let years = u32::try_from(n).unwrap_or(1);
        Ok(Target::Trend { direction, years })
    }

    fn rank(&mut self) -> PResult<Target> {
        let bound = if self.eat_keyword("leading") {
            RankBound::Leading
        } else if self.op() == Some(Op::Le) {
            let (at, n) = self.integer()?;
            match u32::try_from(n) {
                Ok(n) if n >= 1 => RankBound::AtMost(n),
                _ => return Err(self.error_at(at, ParseErrorKind::RankOutOfRange)),
            }
        } else {
            return Err(self.error(ParseErrorKind::Expected(&["<=", "leading"])));
        };
        self.expect_keyword("among", &["among"])?;
        let peers = self.string()?;
        Ok(Target::Rank { bound, peers })
    }

    /// `( part (; part)* ;? )`; `depth` counts the groups around this one.
    fn group(&mut self, depth: usize) -> PResult<Vec<Part>> {
        if depth >= MAX_DEPTH {
            return Err(self.error(ParseErrorKind::TooDeep));
        }
        self.expect('(', &["("])?;
        let mut parts = Vec::new();
        loop {
            parts.push(self.part(depth + 1)?);
            if self.eat(')') {
                break;
            }
            self.expect(';', &[";", ")"])?;
            // A trailing ';' before ')' is tolerated.
            if self.eat(')') {
                break;
            }
        }
        Ok(parts)
    }

    /// `label "name"? : expr`
    fn part(&mut self, depth: usize) -> PResult<Part> {
        self.skip_ws();
        let at = self.pos;
        let label = match self.peek_ident() {
            Some(word) if is_label(word) => word.to_string(),
            Some(_) | None => {
                let word = self.word_here();
                if word.is_empty() {
                    return Err(self.error(ParseErrorKind::ExpectedLabel));
                }
                return Err(self.error(ParseErrorKind::InvalidLabel(word)));
            }
        };
        if self.labels.contains(&label) {
            return Err(self.error_at(at, ParseErrorKind::DuplicateLabel(label)));
        }
        self.pos += label.len();
        self.labels.push(label.clone());
        self.skip_ws();
        let name = if self.at_string() {
            Some(self.string()?)
        } else {
            None
        };
        self.expect(':', &[":"])?;
        let target = self.expr(depth)?;
        Ok(Part {
            label,
            name,
            target,
        })
    }
}

/// `[a-z][a-z0-9_]*`
fn is_label(word: &str) -> bool {
    word.starts_with(|c: char| c.is_ascii_lowercase())
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// A path needs two anchors and must move one way between distinct ends.
fn check_path_shape(anchors: &[Anchor]) -> Result<(), ParseErrorKind> {
    if anchors.len() < 2 {
        return Err(ParseErrorKind::PathTooShort);
    }
    let rises = anchors.windows(2).any(|w| w[1].value > w[0].value);
    let falls = anchors.windows(2).any(|w| w[1].value < w[0].value);
    match (rises, falls) {
        (true, true) => Err(ParseErrorKind::PathNotMonotone),
        (false, false) => Err(ParseErrorKind::PathFlat),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> Target {
        match parse(s) {
            Ok(t) => t,
            Err(e) => panic!("{s:?} should parse: {e}"),
        }
    }

    fn err(s: &str) -> ParseError {
        match parse(s) {
            Ok(t) => panic!("{s:?} should not parse, got {t:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn comparisons_with_and_without_units() {
        assert_eq!(
            ok(">= 96 %"),
            Target::Compare {
                op: Op::Ge,
                value: 96.0,
                unit: Some(Unit::Percent)
            }
        );
        assert_eq!(
            ok("< 0.39"),
            Target::Compare {
                op: Op::Lt,
                value: 0.39,
                unit: None
            }
        );
        assert_eq!(
            ok("<=56dB(A)"),
            Target::Compare {
                op: Op::Le,
                value: 56.0,
                unit: Some(Unit::DbA)
            }
        );
        assert_eq!(
            ok("= -5 t"),
            Target::Compare {
                op: Op::Eq,
                value: -5.0,
                unit: Some(Unit::Tonnes)
            }
        );
    }

    #[test]
    fn full_width_forms_read_as_ascii() {
        assert_eq!(ok("≥ ９６ ％"), ok(">= 96 %"));
        assert_eq!(ok("＞＝96％"), ok(">= 96 %"));
        assert_eq!(ok("≤56dB（A）"), ok("<= 56 dB(A)"));
        assert_eq!(ok("＜ 0．39"), ok("< 0.39"));
        assert_eq!(ok("＝100％"), ok("= 100 %"));
        assert_eq!(
            ok("path 2013：108 → 2016：95 微克/立方米"),
            ok("path 2013: 108 -> 2016: 95 ug/m3")
        );
        assert_eq!(
            ok("all（a：≥1个；b：≥1个）"),
            ok("all(a: >= 1 count; b: >= 1 count)")
        );
        assert_eq!(ok("\u{3000}>= 1 count\u{3000}"), ok(">= 1 count"));
        assert_eq!(
            ok("< benchmark “全国平均水平”"),
            ok("< benchmark \"全国平均水平\"")
        );
    }

    #[test]
    fn unit_aliases_and_case() {
        assert_eq!(ok(">= 80 SCORE"), ok(">= 80 score"));
        assert_eq!(ok("<= 35 µg/m³"), ok("<= 35 ug/m3"));
        assert_eq!(ok("<= 35 μg/m3"), ok("<= 35 ug/m3"));
        assert_eq!(ok("<= 2 mg/l"), ok("<= 2 mg/L"));
        assert_eq!(ok("<= 56 dBA"), ok("<= 56 dB(A)"));
        assert_eq!(ok(">= 30 day"), ok(">= 30 days"));
        assert_eq!(ok("<= 3 ‰"), ok("<= 3 ‰"));
        assert_eq!(ok("<= 3 名"), ok("<= 3 rank"));
    }

    #[test]
    fn keywords_are_case_insensitive_and_spaces_optional() {
        assert_eq!(ok("REDUCE 14.8% VS 2010"), ok("reduce 14.8 % vs 2010"));
        assert_eq!(ok("  trend   Up 3 Years "), ok("trend up 3 years"));
        assert_eq!(ok("trend up 1 year"), ok("trend up 1 years"));
        assert_eq!(
            ok("rank<=10 among\"全国同等城市\""),
            ok("rank <= 10 among \"全国同等城市\"")
        );
        assert_eq!(
            ok("path 2013:108->2016:95"),
            ok("path 2013: 108 -> 2016: 95")
        );
        assert_eq!(ok("all(a:>=1;b:>=2;)"), ok("all(a: >= 1; b: >= 2)"));
    }

    #[test]
    fn path_units_may_follow_every_anchor() {
        assert_eq!(
            ok("path 2013: 108 ug/m3 -> 2016: 95 ug/m3"),
            ok("path 2013: 108 -> 2016: 95 ug/m3")
        );
        assert_eq!(
            err("path 2013: 108 % -> 2016: 95 ug/m3").kind,
            ParseErrorKind::MixedUnits
        );
    }

    #[test]
    fn strings_escape_quotes_and_keep_inner_chinese_quotes() {
        assert_eq!(
            ok(r#"qualitative "获得“品牌示范区”称号""#),
            Target::Qualitative {
                description: "获得“品牌示范区”称号".into()
            }
        );
        assert_eq!(
            ok(r#"qualitative "say \"hi\" \\ \n""#),
            Target::Qualitative {
                description: r#"say "hi" \ \n"#.into()
            }
        );
    }

    #[test]
    fn part_names_are_optional() {
        let t = ok(r#"all(regional "区域环境噪声": <= 56 dB(A); road: <= 68 dB(A))"#);
        let Target::All(parts) = t else {
            panic!("expected all");
        };
        assert_eq!(parts[0].name.as_deref(), Some("区域环境噪声"));
        assert_eq!(parts[1].name, None);
        assert_eq!(parts[1].label, "road");
    }

    #[test]
    fn error_offsets_point_at_the_problem() {
        let e = err(">= 96 percent");
        assert_eq!(e.offset, 6);
        assert_eq!(e.kind, ParseErrorKind::UnknownUnit("percent".into()));
        assert_eq!(err("").kind, ParseErrorKind::Empty);
        assert_eq!(err("   ").offset, 3);
        assert_eq!(err("foo").kind, ParseErrorKind::ExpectedTarget);
        assert_eq!(err(">=").kind, ParseErrorKind::ExpectedNumber);
        assert_eq!(err(">= 96.").kind, ParseErrorKind::ExpectedNumber);
        assert_eq!(
            err("reduce 14.8 vs 2010").kind,
            ParseErrorKind::Expected(&["%"])
        );
        assert_eq!(
            err("reduce 0 % vs 2010").kind,
            ParseErrorKind::ReductionOutOfRange
        );
        assert_eq!(err("reduce 120 % vs 2010").offset, 7);
        assert_eq!(
            err("reduce 14.8 % vs 201").kind,
            ParseErrorKind::InvalidYear
        );
        assert_eq!(err("trend sideways 3 years").offset, 6);
        assert_eq!(
            err("trend up 0 years").kind,
            ParseErrorKind::TrendYearsOutOfRange
        );
        assert_eq!(
            err("trend up 2.5 years").kind,
            ParseErrorKind::ExpectedWholeNumber
        );
        assert_eq!(
            err("rank <= 0 among \"x\"").kind,
            ParseErrorKind::RankOutOfRange
        );
        assert_eq!(
            err("rank < 10 among \"x\"").kind,
            ParseErrorKind::Expected(&["<=", "leading"])
        );
        assert_eq!(
            err("rank leading \"x\"").kind,
            ParseErrorKind::Expected(&["among"])
        );
        assert_eq!(err("qualitative").kind, ParseErrorKind::ExpectedString);
        assert_eq!(
            err("qualitative \"open").kind,
            ParseErrorKind::UnterminatedString
        );
        assert_eq!(err("qualitative \"\"").kind, ParseErrorKind::EmptyString);
        assert_eq!(err("eliminate now").kind, ParseErrorKind::TrailingInput);
        assert_eq!(err("eliminate now").offset, 10);
    }

    /// The examples in docs/target-language.md.
    #[test]
    fn documented_error_examples() {
        for (input, offset, en, zh) in [
            (
                ">= 96 percent",
                6,
                "unknown unit 'percent'",
                "未知单位“percent”",
            ),
            ("reduce 14.8 vs 2010", 12, "expected '%'", "此处应为“%”"),
            (
                "trend sideways 3 years",
                6,
                "expected 'up' or 'down'",
                "此处应为“up”或“down”",
            ),
            (
                "all(Regional: >= 1)",
                4,
                "invalid label 'Regional'",
                "标签“Regional”无效",
            ),
            (
                "path 2016: 95 -> 2013: 108",
                17,
                "path years must increase from anchor to anchor",
                "路径节点的年份须逐个递增",
            ),
        ] {
            let e = err(input);
            assert_eq!(e.offset, offset, "{input}");
            assert!(e.message(Lang::En).starts_with(en), "{input}: {e}");
            assert!(e.message(Lang::ZhCn).starts_with(zh), "{input}: {e}");
        }
    }

    #[test]
    fn path_shape_errors() {
        assert_eq!(err("path 2013: 108").kind, ParseErrorKind::PathTooShort);
        assert_eq!(
            err("path 2016: 95 -> 2013: 108").kind,
            ParseErrorKind::PathYearsNotIncreasing
        );
        assert_eq!(err("path 2016: 95 -> 2013: 108").offset, 17);
        assert_eq!(
            err("path 2013: 1 -> 2014: 3 -> 2015: 2").kind,
            ParseErrorKind::PathNotMonotone
        );
        assert_eq!(
            err("path 2013: 1 -> 2016: 1").kind,
            ParseErrorKind::PathFlat
        );
        assert!(parse("path 2013: 108 -> 2014: 108 -> 2016: 95").is_ok());
    }

    #[test]
    fn group_errors() {
        assert_eq!(
            err("all(Regional: >= 1)").kind,
            ParseErrorKind::InvalidLabel("Regional".into())
        );
        assert_eq!(
            err("all(区域: >= 1)").kind,
            ParseErrorKind::InvalidLabel("区域".into())
        );
        let dup = err("all(a: >= 1; b: any(a: >= 2))");
        assert_eq!(dup.kind, ParseErrorKind::DuplicateLabel("a".into()));
        assert_eq!(dup.offset, 20);
        assert_eq!(err("all()").kind, ParseErrorKind::ExpectedLabel);
        assert_eq!(err("all(a >= 1)").kind, ParseErrorKind::Expected(&[":"]));
        assert_eq!(
            err("all(a: >= 1 b: >= 2)").kind,
            ParseErrorKind::UnknownUnit("b".into())
        );
        assert_eq!(
            err("all(a: eliminate b: >= 2)").kind,
            ParseErrorKind::Expected(&[";", ")"])
        );
        assert_eq!(err("all a: >= 1").kind, ParseErrorKind::Expected(&["("]));
        let nested = |levels: usize| {
            let open: String = (0..levels).map(|i| format!("all(l{i}: ")).collect();
            open + "eliminate" + &")".repeat(levels)
        };
        assert!(parse(&nested(MAX_DEPTH)).is_ok());
        assert_eq!(err(&nested(MAX_DEPTH + 1)).kind, ParseErrorKind::TooDeep);
        assert_eq!(err(&nested(200)).kind, ParseErrorKind::TooDeep);
    }

    #[test]
    fn huge_numbers_are_rejected_not_infinite() {
        let big = format!(">= {}", "9".repeat(400));
        assert_eq!(err(&big).kind, ParseErrorKind::NumberOutOfRange);
        assert_eq!(err(&big).offset, 3);
    }

    #[test]
    fn messages_exist_in_both_languages() {
        let e = err(">= 96 percent");
        assert!(e.message(Lang::En).contains("unknown unit 'percent'"));
        assert!(e.message(Lang::ZhCn).contains("未知单位“percent”"));
        assert_eq!(e.to_string(), format!("at byte 6: {}", e.message(Lang::En)));
        let e = err("trend sideways 3 years");
        assert_eq!(e.message(Lang::En), "expected 'up' or 'down'");
        assert_eq!(e.message(Lang::ZhCn), "此处应为“up”或“down”");
    }
}
