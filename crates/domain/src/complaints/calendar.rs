//! The official working-day calendar (工作日历): weekends, the State Council's holidays (放假)
//! and its make-up working days (调休上班), kept as data per year. Deadlines of complaint
//! tickets count working days on it; the day a ticket is received does not count (GB/T 33358
//! practice: "N 个工作日内" starts the day after receipt).
//!
//! A year's calendar is read from a short text, one `date,kind` line per day that differs from
//! the plain week (`2026-02-14,workday`), so the office can load next year's arrangement as
//! soon as it is published. The 2025 and 2026 arrangements are built in ([`Calendar::official`]).

use chrono::{Datelike, NaiveDate, Weekday};
use std::collections::{BTreeMap, BTreeSet};

/// How a listed day differs from the plain week.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DayKind {
    /// 放假: no work, even on a weekday.
    Holiday,
    /// 调休上班: a weekend day worked to make up for a holiday.
    Workday,
}

impl DayKind {
    /// The stored spelling (`holiday`, `workday`).
    pub fn as_str(self) -> &'static str {
        match self {
            DayKind::Holiday => "holiday",
            DayKind::Workday => "workday",
        }
    }

    /// The stored spelling or a Chinese word a clerk writes (休/放假, 班/上班/调休上班).
    pub fn parse(text: &str) -> Option<DayKind> {
        match text.trim().to_lowercase().as_str() {
            "holiday" | "休" | "放假" | "假" | "节假日" => Some(DayKind::Holiday),
            "workday" | "班" | "上班" | "调休上班" | "补班" | "工作日" => {
                Some(DayKind::Workday)
            }
            _ => None,
        }
    }
}

/// Why a calendar text was refused; `line` is 1-based.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// A line has no `,` between the date and the kind.
    #[error("line {line}: expected `date,kind`")]
    MissingKind { line: usize },
    #[error("line {line}: `{text}` is not a date (YYYY-MM-DD)")]
    BadDate { line: usize, text: String },
    #[error("line {line}: `{text}` is neither holiday nor workday")]
    BadKind { line: usize, text: String },
    /// The date belongs to another year than the one being loaded.
    #[error("line {line}: {date} is not in {year}")]
    WrongYear {
        line: usize,
        date: NaiveDate,
        year: i32,
    },
    /// The same day listed twice.
    #[error("line {line}: {date} is listed twice")]
    Duplicate { line: usize, date: NaiveDate },
    /// A make-up working day on a weekday is a typo: weekdays are working days already.
    #[error("line {line}: {date} is a weekday, it cannot be a make-up working day")]
    WorkdayOnWeekday { line: usize, date: NaiveDate },
}

impl CalendarError {
    /// The translation key a page shows for it.
    pub fn key(&self) -> &'static str {
        match self {
            Self::MissingKind { .. } => "error-calendar-missing-kind",
            Self::BadDate { .. } => "error-calendar-bad-date",
            Self::BadKind { .. } => "error-calendar-bad-kind",
            Self::WrongYear { .. } => "error-calendar-wrong-year",
            Self::Duplicate { .. } => "error-calendar-duplicate",
            Self::WorkdayOnWeekday { .. } => "error-calendar-workday-on-weekday",
        }
    }

    /// The 1-based line of the text at fault.
    pub fn line(&self) -> usize {
        match self {
            Self::MissingKind { line }
            | Self::BadDate { line, .. }
            | Self::BadKind { line, .. }
            | Self::WrongYear { line, .. }
            | Self::Duplicate { line, .. }
            | Self::WorkdayOnWeekday { line, .. } => *line,
        }
    }
}

/// The days of one year that differ from the plain week.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearCalendar {
    pub year: i32,
    pub days: BTreeMap<NaiveDate, DayKind>,
}

impl YearCalendar {
    /// Reads `date,kind` lines (`#` starts a comment; blank lines and a `date,kind` header
    /// are skipped; a tab or `，` separates as well as `,`).
    pub fn parse(year: i32, text: &str) -> Result<YearCalendar, CalendarError> {
        let mut days = BTreeMap::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            let Some((date_text, kind_text)) = content.split_once([',', '，', '\t']) else {
                return Err(CalendarError::MissingKind { line });
            };
            let (date_text, kind_text) = (date_text.trim(), kind_text.trim());
            if days.is_empty() && date_text.eq_ignore_ascii_case("date") {
                continue;
            }
            let date = NaiveDate::parse_from_str(date_text, "%Y-%m-%d").map_err(|_| {
                CalendarError::BadDate {
                    line,
                    text: date_text.to_string(),
                }
            })?;
            let kind = DayKind::parse(kind_text).ok_or_else(|| CalendarError::BadKind {
                line,
                text: kind_text.to_string(),
            })?;
            if date.year() != year {
                return Err(CalendarError::WrongYear { line, date, year });
            }
            if kind == DayKind::Workday && !is_weekend(date) {
                return Err(CalendarError::WorkdayOnWeekday { line, date });
            }
            if days.insert(date, kind).is_some() {
                return Err(CalendarError::Duplicate { line, date });
            }
        }
        Ok(YearCalendar { year, days })
    }

    /// The text [`YearCalendar::parse`] reads back.
    pub fn to_text(&self) -> String {
        let mut out = String::from("date,kind\n");
        for (d, k) in &self.days {
            out.push_str(&format!("{d},{}\n", k.as_str()));
        }
        out
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// The State Council's arrangement for 2025 (国办发明电〔2024〕12号, 2024-11-12), read from
/// the notice as published by Xinhua (gmw.cn, 2024-11-12).
pub const OFFICIAL_2025: &str = "\
# 元旦 1月1日放假1天，不调休
2025-01-01,holiday
# 春节 1月28日至2月4日放假调休共8天，1月26日（周日）、2月8日（周六）上班
2025-01-26,workday
2025-01-28,holiday
2025-01-29,holiday
2025-01-30,holiday
2025-01-31,holiday
2025-02-01,holiday
2025-02-02,holiday
2025-02-03,holiday
2025-02-04,holiday
2025-02-08,workday
# 清明节 4月4日至6日
2025-04-04,holiday
2025-04-05,holiday
2025-04-06,holiday
# 劳动节 5月1日至5日，4月27日（周日）上班
2025-04-27,workday
2025-05-01,holiday
2025-05-02,holiday
2025-05-03,holiday
2025-05-04,holiday
2025-05-05,holiday
# 端午节 5月31日至6月2日
2025-05-31,holiday
2025-06-01,holiday
2025-06-02,holiday
# 国庆节、中秋节 10月1日至8日，9月28日（周日）、10月11日（周六）上班
2025-09-28,workday
2025-10-01,holiday
2025-10-02,holiday
2025-10-03,holiday
2025-10-04,holiday
2025-10-05,holiday
2025-10-06,holiday
2025-10-07,holiday
2025-10-08,holiday
2025-10-11,workday
";

/// The State Council's arrangement for 2026 (国务院办公厅关于2026年部分节假日安排的通知,
/// 2025-11-04), read from the notice as published by Xinhua (gmw.cn, 2025-11-04).
pub const OFFICIAL_2026: &str = "\
# 元旦 1月1日至3日，1月4日（周日）上班
2026-01-01,holiday
2026-01-02,holiday
2026-01-03,holiday
2026-01-04,workday
# 春节 2月15日至23日共9天，2月14日（周六）、2月28日（周六）上班
2026-02-14,workday
2026-02-15,holiday
2026-02-16,holiday
2026-02-17,holiday
2026-02-18,holiday
2026-02-19,holiday
2026-02-20,holiday
2026-02-21,holiday
2026-02-22,holiday
2026-02-23,holiday
2026-02-28,workday
# 清明节 4月4日至6日
2026-04-04,holiday
2026-04-05,holiday
2026-04-06,holiday
# 劳动节 5月1日至5日，5月9日（周六）上班
2026-05-01,holiday
2026-05-02,holiday
2026-05-03,holiday
2026-05-04,holiday
2026-05-05,holiday
2026-05-09,workday
# 端午节 6月19日至21日
2026-06-19,holiday
2026-06-20,holiday
2026-06-21,holiday
# 中秋节 9月25日至27日
2026-09-25,holiday
2026-09-26,holiday
2026-09-27,holiday
# 国庆节 10月1日至7日，9月20日（周日）、10月10日（周六）上班
2026-09-20,workday
2026-10-01,holiday
2026-10-02,holiday
2026-10-03,holiday
2026-10-04,holiday
2026-10-05,holiday
2026-10-06,holiday
2026-10-07,holiday
2026-10-10,workday
";

/// Working days over several years. A year without data counts as the plain week (Monday to
/// Friday); [`Calendar::covers`] tells whether a year's arrangement was loaded, so a page can
/// warn before a deadline falls in a year nobody loaded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    days: BTreeMap<NaiveDate, DayKind>,
    years: BTreeSet<i32>,
}

impl Calendar {
    /// The plain week, no holidays.
    pub fn weekdays_only() -> Calendar {
        Calendar::default()
    }

    /// The built-in official arrangements (2025, 2026).
    pub fn official() -> Calendar {
        let mut cal = Calendar::default();
        for (year, text) in [(2025, OFFICIAL_2025), (2026, OFFICIAL_2026)] {
            // Built-in data, checked by the tests below.
            let parsed = YearCalendar::parse(year, text).expect("built-in calendar parses");
            cal.set_year(parsed);
        }
        cal
    }

    /// Loads (or replaces) one year's arrangement.
    pub fn set_year(&mut self, year: YearCalendar) {
        self.days.retain(|d, _| d.year() != year.year);
        self.days.extend(year.days);
        self.years.insert(year.year);
    }

    /// Whether the year's official arrangement was loaded.
    pub fn covers(&self, year: i32) -> bool {
        self.years.contains(&year)
    }

    /// The years loaded, in order.
    pub fn years(&self) -> Vec<i32> {
        self.years.iter().copied().collect()
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.days.get(&d) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !is_weekend(d),
        }
    }

    /// The `n`-th working day after `start` (the day of receipt does not count); `start` itself
    /// for `n = 0`. Saturates at the last representable date.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        self.add_working_days_except(start, n, |_| false)
    }

    /// As [`Calendar::add_working_days`], skipping the working days `paused` says are paused
    /// (a stopped clock).
    pub fn add_working_days_except(
        &self,
        start: NaiveDate,
        n: u32,
        paused: impl Fn(NaiveDate) -> bool,
    ) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            let Some(next) = day.succ_opt() else {
                return day;
            };
            day = next;
            if self.is_working_day(day) && !paused(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days after `from` up to and including `to` (so that
    /// `working_days_between(s, add_working_days(s, n)) == n`); negative when `to` is earlier.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        self.working_days_between_except(from, to, |_| false)
    }

    /// As [`Calendar::working_days_between`], not counting paused days.
    pub fn working_days_between_except(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        paused: impl Fn(NaiveDate) -> bool,
    ) -> i64 {
        if to < from {
            return -self.working_days_between_except(to, from, paused);
        }
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d) && !paused(*d))
            .count() as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn official_years_parse_and_count_their_working_days() {
        let cal = Calendar::official();
        assert_eq!(cal.years(), [2025, 2026]);
        // 261 weekdays each year; 2025: 18 weekday holidays, 5 make-up days; 2026: 19 and 6.
        for (year, expected) in [(2025, 248), (2026, 248)] {
            let last_of_prev = d(&format!("{}-12-31", year - 1));
            let last = d(&format!("{year}-12-31"));
            assert_eq!(
                cal.working_days_between(last_of_prev, last),
                expected,
                "{year}"
            );
        }
    }

    #[test]
    fn working_days_table() {
        let cal = Calendar::official();
        let cases = [
            ("2026-01-01", false), // 元旦
            ("2026-01-04", true),  // Sunday worked
            ("2026-02-14", true),  // Saturday worked before 春节
            ("2026-02-16", false), // Monday of 春节
            ("2026-02-23", false), // 正月初七
            ("2026-02-24", true),
            ("2026-03-07", false), // plain Saturday
            ("2025-10-08", false), // 国庆中秋 2025
            ("2025-10-11", true),
            ("2027-01-01", true), // 2027 not loaded: a plain Friday
        ];
        for (day, working) in cases {
            assert_eq!(cal.is_working_day(d(day)), working, "{day}");
        }
        assert!(!cal.covers(2027));
    }

    #[test]
    fn deadlines_skip_the_day_of_receipt_weekends_and_holidays() {
        let cal = Calendar::official();
        let cases = [
            // received, n, due
            ("2026-02-12", 1, "2026-02-13"), // Thursday → Friday
            ("2026-02-12", 2, "2026-02-14"), // the make-up Saturday counts
            ("2026-02-12", 3, "2026-02-24"), // then the whole 春节 break
            ("2026-02-13", 5, "2026-02-27"),
            ("2026-09-30", 1, "2026-10-08"), // over 国庆
            ("2026-09-30", 2, "2026-10-09"),
            ("2026-09-30", 3, "2026-10-10"), // Saturday 10-10 worked
            ("2026-03-06", 0, "2026-03-06"),
            ("2026-03-06", 1, "2026-03-09"),
            ("2026-03-07", 1, "2026-03-09"), // received on a Saturday
        ];
        for (received, n, due) in cases {
            let got = cal.add_working_days(d(received), n);
            assert_eq!(got, d(due), "{received} + {n}");
            assert_eq!(cal.working_days_between(d(received), got), n as i64);
        }
        assert_eq!(
            cal.add_working_days(d("2025-12-31"), 1),
            d("2026-01-04"),
            "the worked Sunday 01-04 is the first working day of 2026"
        );
        assert_eq!(
            cal.working_days_between(d("2026-02-24"), d("2026-02-12")),
            -3
        );
    }

    #[test]
    fn a_pause_skips_days() {
        let cal = Calendar::weekdays_only();
        let paused = |x: NaiveDate| x >= d("2026-03-10") && x <= d("2026-03-11");
        // Mon 03-09 + 3 working days = Thu 03-12; with Tue and Wed paused: Mon 03-16.
        assert_eq!(cal.add_working_days(d("2026-03-09"), 3), d("2026-03-12"));
        assert_eq!(
            cal.add_working_days_except(d("2026-03-09"), 3, paused),
            d("2026-03-16")
        );
        assert_eq!(
            cal.working_days_between_except(d("2026-03-09"), d("2026-03-16"), paused),
            3
        );
    }

    #[test]
    fn parse_round_trips_and_accepts_chinese_words() {
        let y = YearCalendar::parse(2026, OFFICIAL_2026).unwrap();
        assert_eq!(YearCalendar::parse(2026, &y.to_text()).unwrap(), y);
        let y = YearCalendar::parse(
            2027,
            "# 2027\ndate,kind\n2027-01-01，休\n\n2027-02-06\t上班 # 调休\n",
        )
        .unwrap();
        assert_eq!(y.days.len(), 2);
        assert_eq!(y.days[&d("2027-02-06")], DayKind::Workday);
        let mut cal = Calendar::weekdays_only();
        cal.set_year(y);
        assert!(cal.covers(2027) && !cal.is_working_day(d("2027-01-01")));
    }

    #[test]
    fn parse_errors_name_the_line() {
        let cases: [(&str, CalendarError); 6] = [
            ("2026-01-01", CalendarError::MissingKind { line: 1 }),
            (
                "date,kind\n2026-13-01,holiday",
                CalendarError::BadDate {
                    line: 2,
                    text: "2026-13-01".into(),
                },
            ),
            (
                "2026-01-01,rest",
                CalendarError::BadKind {
                    line: 1,
                    text: "rest".into(),
                },
            ),
            (
                "2025-01-01,holiday",
                CalendarError::WrongYear {
                    line: 1,
                    date: d("2025-01-01"),
                    year: 2026,
                },
            ),
            (
                "2026-01-01,holiday\n2026-01-01,休",
                CalendarError::Duplicate {
                    line: 2,
                    date: d("2026-01-01"),
                },
            ),
            (
                "2026-01-05,workday",
                CalendarError::WorkdayOnWeekday {
                    line: 1,
                    date: d("2026-01-05"),
                },
            ),
        ];
        for (text, err) in cases {
            let got = YearCalendar::parse(2026, text).unwrap_err();
            assert_eq!(got, err, "{text}");
            assert!(got.key().starts_with("error-calendar-"));
            assert_eq!(got.line(), err.line());
        }
    }
}
