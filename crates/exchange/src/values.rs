//! Indicator values in bulk: the template an office downloads
//! ([`indicator_template_xlsx`]) and the reader for what comes back
//! ([`read_indicator_values`]), as the XLSX template (also re-saved by
//! LibreOffice) or as CSV.
//!
//! One row is one value: an indicator, its measure (the label of an
//! `all(...)`/`any(...)` part, empty for a single-measure indicator), a year
//! and a number. Reading is forgiving about what clerks type (full-width
//! digits and punctuation, thousands separators, `96.5%`, `2015年`, cells
//! formatted as percent) and strict about what the value means: every
//! problem is a diagnostic naming the row and the column, and the good rows
//! are returned whatever the bad ones are.

mod spec;
mod template;

#[cfg(test)]
mod tests;

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use qcity_domain::plan::{Diagnostic, Plan};

use crate::ExchangeError;
use crate::sheet::Cell;
#[cfg(test)]
use crate::table::is_percent_format;
use crate::table::{self, Column, Row, TableSpec, compact, fraction_to_percent};
use spec::{MeasureSpec, measures};

/// The sheet of the template that holds the values.
pub const SHEET_VALUES: &str = "指标数据";
/// The template's sheet that lists the indicators and says how to fill it in.
pub const SHEET_VALUES_GUIDE: &str = "说明";

/// First year a value may be given for; a `reduce … vs Y` measure also
/// takes its baseline year Y and the years after it (`reduce 14.8 % vs
/// 2010` needs the 2010 total).
pub const FIRST_YEAR: i32 = 2013;
/// Last year a value may be given for.
pub const LAST_YEAR: i32 = 2100;

/// Most rows read from a file: the reader keeps every row, and no plan has
/// this many values.
const MAX_ROWS: usize = 100_000;
/// The header row is looked for in this many rows at the top.
const HEADER_SEARCH_ROWS: usize = 20;

/// One value read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct ValueRow {
    /// 1-based row number as the spreadsheet shows it.
    pub line: usize,
    /// The indicator's code as the plan writes it (`ENV-6`).
    pub indicator: String,
    /// `""` for a single-measure indicator, else the part's label (`pm25`).
    pub measure: String,
    /// The year the value is for: 2013–2100, or from the baseline year of a
    /// `reduce … vs Y` measure.
    pub year: i32,
    /// The number; a percent as 96.5, not 0.965.
    pub value: f64,
    /// 说明: source, remarks.
    pub note: String,
}

/// The template offices fill in: sheet 指标数据 with one example row per
/// indicator measure that takes a number, and sheet 说明 listing the
/// indicators and how to fill the template.
pub fn indicator_template_xlsx(plan: &Plan) -> Result<Vec<u8>, ExchangeError> {
    Ok(template::write(plan)?)
}

/// Reads indicator values from an XLSX workbook (the template, possibly
/// re-saved by Excel or LibreOffice) or a CSV file (UTF-8 with or without
/// BOM, UTF-16 with BOM, or GB18030/GBK as Excel in China saves it).
///
/// Returns the good rows, in file order, and every diagnostic: errors for
/// rows that were not taken (each with its row number), warnings for rows
/// taken with a remark (a duplicate replaces the earlier row; a percent
/// that looks like a fraction).
pub fn read_indicator_values(bytes: &[u8], plan: &Plan) -> (Vec<ValueRow>, Vec<Diagnostic>) {
    let columns = Col::ALL.map(Col::column);
    let spec = TableSpec {
        sheet: SHEET_VALUES,
        columns: &columns,
        header_rows: HEADER_SEARCH_ROWS,
        max_rows: Some(MAX_ROWS),
    };
    let index = Index::new(plan);
    let mut diagnostics = Vec::new();
    // Kept rows in file order; a duplicate empties the earlier slot.
    let mut kept: Vec<Option<ValueRow>> = Vec::new();
    let mut seen: HashMap<(String, String, i32), usize> = HashMap::new();
    let read = table::read_table(bytes, &spec, |at| {
        let Some(row) = read_row(&at, &index, &mut diagnostics) else {
            return;
        };
        let key = (row.indicator.clone(), row.measure.clone(), row.year);
        if let Some(&earlier) = seen.get(&key)
            && let Some(old) = kept.get_mut(earlier).and_then(Option::take)
        {
            let what = describe(&row.indicator, &row.measure);
            diagnostics.push(at.warning(
                Col::Indicator,
                format!(
                    "{what} {} is also given on row {}; row {} is kept and row {} ignored",
                    row.year, old.line, row.line, old.line
                ),
                format!(
                    "{what} {}年的数值在第{}行已填写；以第{}行为准，忽略第{}行",
                    row.year, old.line, row.line, old.line
                ),
            ));
        }
        seen.insert(key, kept.len());
        kept.push(Some(row));
    });
    let (header, reading) = match read {
        Ok(read) => read,
        Err(d) => return (Vec::new(), vec![d]),
    };
    diagnostics.extend(reading);
    let rows: Vec<ValueRow> = kept.into_iter().flatten().collect();
    if rows.is_empty() && diagnostics.is_empty() {
        diagnostics.push(Diagnostic::warning(
            header.sheet.unwrap_or_default(),
            "the file holds no values: fill in 年份 (year) and 数值 (value) below the header",
            "文件中没有数值：请在表头下方填写“年份”和“数值”",
        ));
    }
    (rows, diagnostics)
}

/// A column the reader knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Col {
    Indicator,
    Measure,
    Year,
    Value,
    Unit,
    Note,
}

impl Col {
    /// In template order.
    const ALL: [Col; 6] = [
        Col::Indicator,
        Col::Measure,
        Col::Year,
        Col::Value,
        Col::Unit,
        Col::Note,
    ];

    /// The template's header.
    fn zh(self) -> &'static str {
        match self {
            Col::Indicator => "指标编号",
            Col::Measure => "分项",
            Col::Year => "年份",
            Col::Value => "数值",
            Col::Unit => "单位",
            Col::Note => "说明",
        }
    }

    /// The English header.
    fn en(self) -> &'static str {
        match self {
            Col::Indicator => "indicator",
            Col::Measure => "measure",
            Col::Year => "year",
            Col::Value => "value",
            Col::Unit => "unit",
            Col::Note => "note",
        }
    }

    /// Every header accepted for the column, compacted and lowercased.
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Col::Indicator => &[
                "指标编号",
                "指标代码",
                "编号",
                "indicator",
                "indicatorcode",
                "code",
            ],
            Col::Measure => &["分项", "分项标签", "measure", "part", "label"],
            Col::Year => &["年份", "年度", "year"],
            Col::Value => &["数值", "数据", "指标值", "value"],
            Col::Unit => &["单位", "计量单位", "unit"],
            Col::Note => &[
                "说明",
                "备注",
                "数据来源",
                "note",
                "notes",
                "remark",
                "remarks",
            ],
        }
    }

    /// The column as the table reader looks for it: the indicator, year and
    /// value are required; the unit is informative only and not read.
    fn column(self) -> Column {
        Column {
            zh: self.zh(),
            en: self.en(),
            aliases: self.aliases(),
            required: matches!(self, Col::Indicator | Col::Year | Col::Value),
        }
    }
}

/// A column's index in the table reader's spec ([`Col::ALL`] order).
impl From<Col> for usize {
    fn from(col: Col) -> usize {
        col as usize
    }
}

/// A number as typed: `96.5`, `９６．５`, `1,234.5`, `96.5%`, ` 108 `.
/// Returns the number and the percent or per-mille sign typed after it.
fn parse_number_text(s: &str) -> Option<(f64, Option<char>)> {
    let text = compact(s);
    let (body, sign) = match text.strip_suffix('%') {
        Some(body) => (body, Some('%')),
        None => match text.strip_suffix('‰') {
            Some(body) => (body, Some('‰')),
            None => (text.as_str(), None),
        },
    };
    let body = without_thousands_separators(body)?;
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | 'e' | 'E');
    if !body.chars().any(|c| c.is_ascii_digit()) || !body.chars().all(allowed) {
        return None;
    }
    let value: f64 = body.parse().ok()?;
    value.is_finite().then_some((value, sign))
}

/// `1,234,567.5` → `1234567.5`; `96,5` (a decimal comma, or a typo) → `None`.
fn without_thousands_separators(s: &str) -> Option<String> {
    if !s.contains(',') {
        return Some(s.to_string());
    }
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if frac.contains(',') {
        return None;
    }
    let mut groups = int.split(',');
    let first = groups.next().unwrap_or_default();
    let lead = first.trim_start_matches(['-', '+']);
    if lead.is_empty() || lead.len() > 3 || !lead.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = first.to_string();
    for group in groups {
        if group.len() != 3 || !group.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        out.push_str(group);
    }
    if s.contains('.') {
        out.push('.');
        out.push_str(frac);
    }
    Some(out)
}

/// What went wrong with a year cell.
#[derive(Debug, Clone, PartialEq)]
enum YearError {
    Missing,
    Invalid(String),
}

/// `2015`, `2015.0` (a number cell or text), `2015年`, `２０１５年度`; a date
/// cell gives its year. The range is checked by [`check_year`].
fn parse_year(cell: &Cell) -> Result<i64, YearError> {
    let number = match cell {
        Cell::Empty => return Err(YearError::Missing),
        Cell::Number(n) => *n,
        Cell::Date(d) => f64::from(d.year()),
        Cell::Text(s) => {
            let text = compact(s);
            if text.is_empty() {
                return Err(YearError::Missing);
            }
            let digits = text
                .strip_suffix("年度")
                .or_else(|| text.strip_suffix('年'))
                .unwrap_or(&text);
            let plain =
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit() || c == '.');
            match (plain, digits.parse::<f64>()) {
                (true, Ok(n)) => n,
                _ => return Err(YearError::Invalid(s.clone())),
            }
        }
    };
    if !number.is_finite() || number.fract() != 0.0 || number.abs() > 1e9 {
        return Err(YearError::Invalid(cell.as_text()));
    }
    // Whole and within ±1e9: the conversion is exact.
    Ok(number as i64)
}

/// The first year a measure takes: [`FIRST_YEAR`], or a reduction's
/// baseline year when earlier.
fn first_year(m: Option<&MeasureSpec>) -> i32 {
    m.and_then(MeasureSpec::reduce_baseline)
        .map_or(FIRST_YEAR, |baseline| baseline.min(FIRST_YEAR))
}

/// The year when it lies between `first` and [`LAST_YEAR`].
fn check_year(year: i64, first: i32) -> Option<i32> {
    if (i64::from(first)..=i64::from(LAST_YEAR)).contains(&year) {
        i32::try_from(year).ok()
    } else {
        None
    }
}

/// What went wrong with a value cell.
#[derive(Debug, Clone, PartialEq)]
enum ValueError {
    Missing,
    NotANumber(String),
}

/// The number of a value cell and the percent or per-mille sign it carried
/// (typed, or shown by a percent number format: the table reader shows
/// such a cell's 0.965 as `96.5%`).
fn parse_value(text: &str) -> Result<(f64, Option<char>), ValueError> {
    if compact(text).is_empty() {
        return Err(ValueError::Missing);
    }
    parse_number_text(text).ok_or_else(|| ValueError::NotANumber(text.to_string()))
}

/// A measure cell: folded and trimmed; `-`, `/` and `无` mean none.
fn measure_key(s: &str) -> String {
    let text = compact(s);
    if matches!(text.as_str(), "-" | "/" | "无") {
        String::new()
    } else {
        text
    }
}

/// An indicator code cell: folded, without spaces, uppercase.
fn code_key(s: &str) -> String {
    compact(s).to_ascii_uppercase()
}

/// The plan's indicators by code, with their measures.
struct Index<'p> {
    by_code: HashMap<String, (&'p str, Vec<MeasureSpec>)>,
}

impl<'p> Index<'p> {
    fn new(plan: &'p Plan) -> Index<'p> {
        let by_code = plan
            .indicators
            .iter()
            .map(|i| (code_key(&i.code), (i.code.as_str(), measures(i))))
            .collect();
        Index { by_code }
    }
}

/// How a measure cell fails to name one of the indicator's measures.
enum MeasureError {
    /// A multi-measure indicator without a measure.
    Missing,
    /// A measure for a single-measure indicator.
    NotMulti(String),
    /// A measure not among the labels.
    Unknown(String),
}

/// The measure a cell names: its label (any case) or display name; empty
/// for a single-measure indicator.
fn resolve_measure<'m>(
    specs: &'m [MeasureSpec],
    text: &str,
) -> Result<&'m MeasureSpec, MeasureError> {
    let key = measure_key(text);
    if let [single] = specs
        && single.label.is_empty()
    {
        return if key.is_empty() {
            Ok(single)
        } else {
            Err(MeasureError::NotMulti(text.trim().to_string()))
        };
    }
    if key.is_empty() {
        return Err(MeasureError::Missing);
    }
    let lower = key.to_lowercase();
    specs
        .iter()
        .find(|m| {
            m.label == lower || (!m.name.is_empty() && compact(&m.name).to_lowercase() == lower)
        })
        .ok_or_else(|| MeasureError::Unknown(text.trim().to_string()))
}

/// `regional（区域环境噪声）、road（道路交通噪声）`.
fn labels_list(specs: &[MeasureSpec]) -> String {
    specs
        .iter()
        .map(|m| {
            if m.name.is_empty() || m.name == m.label {
                m.label.clone()
            } else {
                format!("{}（{}）", m.label, m.name)
            }
        })
        .collect::<Vec<_>>()
        .join("、")
}

/// `ENV-6 pm25`, or `ENV-1` for a single measure.
fn describe(code: &str, measure: &str) -> String {
    if measure.is_empty() {
        code.to_string()
    } else {
        format!("{code} {measure}")
    }
}

/// One row: `None` when it is skipped (empty, or a template row left
/// unfilled) or has errors, which are pushed to `diagnostics`. Every
/// column is checked, so a row's problems are all reported at once.
fn read_row(at: &Row, index: &Index, diagnostics: &mut Vec<Diagnostic>) -> Option<ValueRow> {
    let year_text = at.get(Col::Year);
    let value_text = at.get(Col::Value);
    let note = crate::text::normalize(at.get(Col::Note));
    if table::is_blank(year_text) && table::is_blank(value_text) {
        // Blank, or a template example row (code, measure, unit) left as it was.
        if !note.is_empty() {
            diagnostics.push(at.warning(
                Col::Note,
                "the row has a note but neither a year nor a value; it is skipped",
                "该行只有说明，没有年份和数值，已忽略",
            ));
        }
        return None;
    }
    let measure = read_measure(
        at,
        index,
        at.get(Col::Indicator),
        at.get(Col::Measure),
        diagnostics,
    );
    if let Some((plan_code, m)) = measure
        && m.is_judged()
    {
        let what = describe(plan_code, &m.label);
        diagnostics.push(at.error(
            Col::Value,
            format!(
                "{what} is judged by reviewers, not entered as a number: record the judgement \
                 in the web form, not in this file"
            ),
            format!("{what}由评审评定，不填写数值：请在网页中评定，不要在本表中填写"),
        ));
        return None;
    }
    let year = read_year(
        at,
        &year_cell(year_text),
        measure.map(|(_, m)| m),
        diagnostics,
    );
    let value = read_value(at, value_text, measure, diagnostics);
    let ((plan_code, m), year, value) = (measure?, year?, value?);
    Some(ValueRow {
        line: at.line,
        indicator: plan_code.to_string(),
        measure: m.label.clone(),
        year,
        value,
        note,
    })
}

/// A year cell: a date (a date cell shows as `2015-06-30`) gives its year.
fn year_cell(text: &str) -> Cell {
    match NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") {
        Ok(date) => Cell::Date(date),
        Err(_) => Cell::text(text),
    }
}

/// The indicator (the plan's spelling of its code) and the measure a row
/// names; `None` with an error pushed when either is wrong.
fn read_measure<'i>(
    at: &Row,
    index: &'i Index,
    code_text: &str,
    measure_text: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(&'i str, &'i MeasureSpec)> {
    let code = code_key(code_text);
    if code.is_empty() {
        diagnostics.push(at.error(
            Col::Indicator,
            "the indicator code is missing",
            "缺少指标编号",
        ));
        return None;
    }
    let Some((plan_code, specs)) = index.by_code.get(&code) else {
        diagnostics.push(at.error(
            Col::Indicator,
            format!(
                "unknown indicator code '{}'; the codes are listed on sheet {SHEET_VALUES_GUIDE} \
                 of the template",
                code_text.trim()
            ),
            format!(
                "指标编号“{}”不存在；可用编号见导入模板的“{SHEET_VALUES_GUIDE}”表",
                code_text.trim()
            ),
        ));
        return None;
    };
    let error = match resolve_measure(specs, measure_text) {
        Ok(m) => return Some((plan_code, m)),
        Err(MeasureError::Missing) => at.error(
            Col::Measure,
            format!(
                "{plan_code} has several measures; name one of {}",
                labels_list(specs)
            ),
            format!(
                "{plan_code}有多个分项，请填写其中之一：{}",
                labels_list(specs)
            ),
        ),
        Err(MeasureError::NotMulti(given)) => at.error(
            Col::Measure,
            format!("{plan_code} has a single measure; leave the measure empty (not '{given}')"),
            format!("{plan_code}只有一个分项，“分项”请留空（不要填写“{given}”）"),
        ),
        Err(MeasureError::Unknown(given)) => at.error(
            Col::Measure,
            format!(
                "'{given}' is not a measure of {plan_code}; its measures are {}",
                labels_list(specs)
            ),
            format!(
                "“{given}”不是{plan_code}的分项；可填分项：{}",
                labels_list(specs)
            ),
        ),
    };
    diagnostics.push(error);
    None
}

/// The year of a row, within the range its measure takes (the default
/// range when the measure is unknown); `None` with an error pushed otherwise.
fn read_year(
    at: &Row,
    cell: &Cell,
    measure: Option<&MeasureSpec>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<i32> {
    let first = first_year(measure);
    let error = match parse_year(cell) {
        Ok(year) => match check_year(year, first) {
            Some(year) => return Some(year),
            None => at.error(
                Col::Year,
                format!("the year {year} is outside {first}–{LAST_YEAR}"),
                format!("年份 {year} 不在 {first}—{LAST_YEAR} 之间"),
            ),
        },
        Err(YearError::Missing) => at.error(Col::Year, "the year is missing", "缺少年份"),
        Err(YearError::Invalid(text)) => at.error(
            Col::Year,
            format!("'{}' is not a year; write it like 2015", text.trim()),
            format!("“{}”不是年份，请填写四位年份，如 2015", text.trim()),
        ),
    };
    diagnostics.push(error);
    None
}

/// The number of a row, checked against its measure when that is known;
/// `None` with an error pushed when it is not taken.
fn read_value(
    at: &Row,
    text: &str,
    measure: Option<(&str, &MeasureSpec)>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let error = match parse_value(text) {
        Ok((value, sign)) => {
            return match measure {
                Some((plan_code, m)) => check_value(at, plan_code, m, value, sign, diagnostics),
                None => Some(value),
            };
        }
        Err(ValueError::Missing) => at.error(Col::Value, "the value is missing", "缺少数值"),
        Err(ValueError::NotANumber(text)) => at.error(
            Col::Value,
            format!(
                "'{}' is not a number; write digits only, like 96.5 (a % sign is allowed for a \
                 percent)",
                text.trim()
            ),
            format!(
                "“{}”不是数字；请只填写数字，如 96.5（百分比可带 % 号）",
                text.trim()
            ),
        ),
    };
    diagnostics.push(error);
    None
}

/// Checks a number against its measure: the sign typed after it, a
/// percent's range. `None` (and an error pushed) when it is not taken.
fn check_value(
    at: &Row,
    plan_code: &str,
    m: &MeasureSpec,
    value: f64,
    sign: Option<char>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<f64> {
    let what = describe(plan_code, &m.label);
    if let Some(sign) = sign {
        if let Some(baseline) = m.reduce_baseline() {
            diagnostics.push(at.error(
                Col::Value,
                format!(
                    "{what} takes the yearly total (with the {baseline} baseline), from which the \
                     reduction is computed; enter the total, not a percent"
                ),
                format!(
                    "{what}填写各年实际总量（含{baseline}年基准值），削减比例由系统计算；\
                     请填写总量，不要填写百分比"
                ),
            ));
            return None;
        }
        let unit_sign = match sign {
            '%' => "%",
            _ => "‰",
        };
        if !m.unit.is_empty() && m.unit != unit_sign {
            let unit_zh = spec::unit_zh(&m.unit);
            diagnostics.push(at.error(
                Col::Value,
                format!(
                    "the value carries a {unit_sign} sign but {what} is measured in {}",
                    m.unit
                ),
                format!("数值带有“{unit_sign}”号，但{what}的单位是{unit_zh}"),
            ));
            return None;
        }
    }
    if m.unit == "%" {
        if !(0.0..=100.0).contains(&value) {
            diagnostics.push(at.error(
                Col::Value,
                format!("{value} is not a percentage: {what} must be between 0 and 100"),
                format!("{value} 不是有效的百分数：{what}应在 0 到 100 之间"),
            ));
            return None;
        }
        if sign.is_none() && value > 0.0 && value <= 1.0 {
            let scaled = fraction_to_percent(value);
            diagnostics.push(at.warning(
                Col::Value,
                format!(
                    "{value} is taken as {value}%; if {scaled}% was meant, enter {scaled} \
                     (percentages are entered as 96.5, not 0.965)"
                ),
                format!(
                    "{value} 按 {value}% 读取；如指 {scaled}%，请填写 {scaled}（百分数填 96.5，不填 0.965）"
                ),
            ));
        }
    }
    Some(value)
}
