//! Reading what clerks type: full-width characters, stray spaces, list
//! separators, codes at the start of a cell, and dates in several spellings.

use chrono::{Datelike, NaiveDate};

/// Trims, and turns full-width and non-breaking spaces into plain spaces.
pub(crate) fn normalize(s: &str) -> String {
    s.replace(['\u{3000}', '\u{a0}'], " ").trim().to_string()
}

/// Full-width digits and punctuation that occur in codes and dates → ASCII.
fn ascii_folded(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => {
                char::from_u32(u32::from(c) - u32::from('０') + u32::from('0')).unwrap_or(c)
            }
            '．' | '。' => '.',
            '－' | '—' | '–' => '-',
            '／' => '/',
            c => c,
        })
        .collect()
}

/// A number as a clerk would write it: `3`, not `3.0`.
pub(crate) fn format_number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{n:.0}")
    } else {
        n.to_string()
    }
}

/// `2015年3月31日`.
pub(crate) fn format_date_zh(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// Splits a list cell: 、，,；; slashes, line breaks and spaces all separate;
/// empty entries (a trailing 、) are dropped.
pub(crate) fn split_list(s: &str) -> Vec<String> {
    s.split(|c: char| "、，,；;/／\n\r\t ".contains(c) || c == '\u{3000}' || c == '\u{a0}')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Splits a notes cell on 「；」 and line breaks (not on ASCII `;`, which
/// English notes use inside a sentence).
pub(crate) fn split_notes(s: &str) -> Vec<String> {
    s.split(['；', '\n'])
        .map(normalize)
        .filter(|t| !t.is_empty())
        .collect()
}

/// Splits `"1.1.1 依据…"` into the code and the rest. The code is digits
/// separated by dots (full-width accepted); the rest loses its leading
/// spaces. `None` when the cell does not start with a code.
pub(crate) fn split_code(s: &str) -> Option<(String, String)> {
    let s = normalize(s);
    let folded = ascii_folded(&s);
    let code_len = folded
        .char_indices()
        .find(|(_, c)| !(c.is_ascii_digit() || *c == '.'))
        .map_or(folded.len(), |(i, _)| i);
    let code = folded[..code_len].trim_end_matches('.');
    let valid = !code.is_empty() && code.split('.').all(|p| !p.is_empty());
    if !valid {
        return None;
    }
    // Folding keeps one char per char, so the rest starts after as many chars.
    let chars = folded[..code_len].chars().count();
    let rest: String = s.chars().skip(chars).collect();
    Some((code.to_string(), normalize(&rest)))
}

/// A plain code cell (`"1"`, `"T01"`, `"PRD-1"`): trimmed, full-width folded.
pub(crate) fn code(s: &str) -> String {
    ascii_folded(&normalize(s))
}

/// A deadline read from words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParsedDeadline {
    Date(NaiveDate),
    Range(NaiveDate, NaiveDate),
}

/// Reads `2015年3月31日`, `2015-03-31`, `2015/3/31`, `2015.3.31`, a month
/// (`2015年6月` → its last day) or a range `2014年5月至2015年6月` (first
/// day of the first month to the last day of the last). Spaces anywhere are
/// ignored and words after the date (`…前`, `，要保证…`) are allowed.
pub(crate) fn parse_deadline(s: &str) -> Option<ParsedDeadline> {
    let compact: String = ascii_folded(s)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect();
    for sep in ["至", "到", "~", "～"] {
        if let Some((left, right)) = compact.split_once(sep) {
            let (from, rest) = date_prefix(left)?;
            if !rest.is_empty() {
                return None;
            }
            let (to, _) = date_prefix(right)?;
            return Some(ParsedDeadline::Range(from.first_day()?, to.last_day()?));
        }
    }
    let (date, _) = date_prefix(&compact)?;
    Some(ParsedDeadline::Date(date.last_day()?))
}

/// A date, or a month when the day is missing.
#[derive(Debug, Clone, Copy)]
struct Ymd {
    year: i32,
    month: u32,
    day: Option<u32>,
}

impl Ymd {
    fn first_day(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month, self.day.unwrap_or(1))
    }

    fn last_day(self) -> Option<NaiveDate> {
        match self.day {
            Some(day) => NaiveDate::from_ymd_opt(self.year, self.month, day),
            None => {
                let (y, m) = if self.month == 12 {
                    (self.year + 1, 1)
                } else {
                    (self.year, self.month + 1)
                };
                NaiveDate::from_ymd_opt(y, m, 1)?.pred_opt()
            }
        }
    }
}

/// Reads a date at the start of `s` (no spaces); returns it and the rest.
fn date_prefix(s: &str) -> Option<(Ymd, &str)> {
    let (year, rest) = digits(s, 4, 4)?;
    let (sep, rest) = first_char(rest)?;
    if !matches!(sep, '年' | '-' | '/' | '.') {
        return None;
    }
    let (month, rest) = digits(rest, 1, 2)?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let (day, rest) = if sep == '年' {
        let rest = rest.strip_prefix('月')?;
        match digits(rest, 1, 2) {
            Some((day, after)) => match first_char(after) {
                Some(('日' | '号', after)) => (Some(day), after),
                _ => return None,
            },
            None => (None, rest),
        }
    } else {
        match first_char(rest) {
            Some((c, after)) if c == sep => {
                let (day, after) = digits(after, 1, 2)?;
                (Some(day), after)
            }
            _ => (None, rest),
        }
    };
    let ymd = Ymd {
        year: i32::try_from(year).ok()?,
        month,
        day,
    };
    // Reject impossible days such as 2月30日 here rather than later.
    ymd.first_day()?;
    Some((ymd, rest))
}

fn first_char(s: &str) -> Option<(char, &str)> {
    let c = s.chars().next()?;
    Some((c, &s[c.len_utf8()..]))
}

/// Between `min` and `max` ASCII digits at the start of `s`.
fn digits(s: &str, min: usize, max: usize) -> Option<(u32, &str)> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len < min || len > max {
        return None;
    }
    Some((s[..len].parse().ok()?, &s[len..]))
}

/// The date of an Excel serial number (1900 date system; the time of day,
/// if any, is dropped). Serials before 1 March 1900 are off by Excel's
/// famous leap-year bug, which no plan deadline reaches.
pub(crate) fn excel_serial_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let days = serial.trunc() as i64;
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(chrono::Duration::try_days(days)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn dates_in_every_spelling() {
        let date = |s: &str| parse_deadline(s);
        let want = Some(ParsedDeadline::Date(d(2015, 3, 31)));
        assert_eq!(date("2015年3月31日"), want);
        assert_eq!(date("2015 年 3 月31 日"), want);
        assert_eq!(date("２０１５年３月３１日"), want);
        assert_eq!(date("2015-03-31"), want);
        assert_eq!(date("2015/3/31"), want);
        assert_eq!(date("2015.3.31"), want);
        assert_eq!(date("\u{3000}2015年3月31日前"), want);
        assert_eq!(date("2015年3月"), want);
        assert_eq!(
            date("2015年2月"),
            Some(ParsedDeadline::Date(d(2015, 2, 28)))
        );
        assert_eq!(
            date("2015年12月"),
            Some(ParsedDeadline::Date(d(2015, 12, 31)))
        );
        assert_eq!(date("2015年2月30日"), None);
        assert_eq!(date("2015年13月1日"), None);
        assert_eq!(date("年底"), None);
        assert_eq!(date(""), None);
        assert_eq!(date("每年9月"), None);
    }

    #[test]
    fn ranges() {
        assert_eq!(
            parse_deadline("2014 年 5月至 2015 年 6月，要保证在创建工作期间浓厚的宣传氛围"),
            Some(ParsedDeadline::Range(d(2014, 5, 1), d(2015, 6, 30)))
        );
        assert_eq!(
            parse_deadline("2014-05-01~2015-06-30"),
            Some(ParsedDeadline::Range(d(2014, 5, 1), d(2015, 6, 30)))
        );
        assert_eq!(parse_deadline("不久至2015年6月"), None);
    }

    #[test]
    fn excel_serials() {
        assert_eq!(excel_serial_date(42094.0), Some(d(2015, 3, 31)));
        assert_eq!(excel_serial_date(42094.75), Some(d(2015, 3, 31)));
        assert_eq!(excel_serial_date(0.0), None);
        assert_eq!(excel_serial_date(f64::NAN), None);
        assert_eq!(excel_serial_date(1e300), None);
    }

    #[test]
    fn lists_and_codes() {
        assert_eq!(
            split_list(" 区文化旅游局、 区发改统计局，区农委、"),
            ["区文化旅游局", "区发改统计局", "区农委"]
        );
        assert_eq!(split_list("区农委\n区商务局"), ["区农委", "区商务局"]);
        assert!(split_list(" 、 ").is_empty());
        assert_eq!(
            split_code("1.1.1 依据国务院"),
            Some(("1.1.1".into(), "依据国务院".into()))
        );
        assert_eq!(
            split_code("\u{3000}１．２ 为实施"),
            Some(("1.2".into(), "为实施".into()))
        );
        assert_eq!(
            split_code("2.1.4宣传"),
            Some(("2.1.4".into(), "宣传".into()))
        );
        assert_eq!(split_code("10"), Some(("10".into(), String::new())));
        assert_eq!(split_code("依据"), None);
        assert_eq!(split_code("1..2 x"), None);
        assert_eq!(split_notes("a；b\n；c"), ["a", "b", "c"]);
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(2.5), "2.5");
    }
}
