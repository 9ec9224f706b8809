//! Deadlines of target contents and their expansion into obligations.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// When a content falls due: a date, a range, or a recurring duty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Deadline {
    /// One due date.
    Date {
        /// The due date.
        date: NaiveDate,
    },
    /// A duty that runs over a period; due at its end.
    Range {
        /// First day.
        from: NaiveDate,
        /// Last day (the due date).
        to: NaiveDate,
    },
    /// A periodic duty: one obligation per period from `first`.
    Recurring {
        /// The period.
        every: Every,
        /// Month (1–12) it falls due, when the source names one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        month: Option<u32>,
        /// How many times per period ("at least n times in the year").
        times: u32,
        /// The first due date.
        first: NaiveDate,
    },
}

/// The period of a recurring duty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Every {
    /// Once a year (每年).
    Year,
}

/// One obligation created by a deadline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    /// `"once"` for a date or range, the year (`"2015"`) for a yearly duty.
    pub key: String,
    /// When the period opens: a range's first day, a yearly duty's 1 January;
    /// `None` for a plain date.
    pub start: Option<NaiveDate>,
    /// When it falls due.
    pub due: NaiveDate,
    /// How many times the duty must be done in the period (at least).
    pub times: u32,
}

impl Deadline {
    /// The obligations this deadline creates up to `until` (in practice
    /// `plan.recurring_until`).
    ///
    /// A date or a range gives one period whatever `until` is. A yearly duty
    /// gives one period per calendar year from `first`'s year to `until`'s
    /// year inclusive; the first is due on `first`, later ones on the same
    /// month and day (clamped to the month's end, so 29 February becomes
    /// 28 February). A duty of n times a year where n divides 12 (twice a
    /// year: halves `2015-H1`/`2015-H2`; quarterly: `2015-Q1`…) gives one
    /// period per part of the year instead: the part holding `first` keeps
    /// its day, the other parts fall due on their last day, and parts of the
    /// first year before `first` are skipped. The first period is always
    /// given, even when `first` lies after `until`: the duty is stated, so it
    /// is owed at least once.
    pub fn periods(&self, until: NaiveDate) -> Vec<Period> {
        match self {
            Deadline::Date { date } => vec![Period {
                key: "once".into(),
                start: None,
                due: *date,
                times: 1,
            }],
            Deadline::Range { from, to } => vec![Period {
                key: "once".into(),
                start: Some(*from),
                due: *to,
                times: 1,
            }],
            Deadline::Recurring {
                every: Every::Year,
                times,
                first,
                ..
            } => yearly_periods(*first, *times, until),
        }
    }

    /// The first due date (a range's end, a recurring duty's `first`).
    pub fn first_due(&self) -> NaiveDate {
        match self {
            Deadline::Date { date } => *date,
            Deadline::Range { to, .. } => *to,
            Deadline::Recurring { first, .. } => *first,
        }
    }

    /// Every date the deadline names, for range checks.
    pub fn dates(&self) -> Vec<NaiveDate> {
        match self {
            Deadline::Date { date } => vec![*date],
            Deadline::Range { from, to } => vec![*from, *to],
            Deadline::Recurring { first, .. } => vec![*first],
        }
    }
}

fn yearly_periods(first: NaiveDate, times: u32, until: NaiveDate) -> Vec<Period> {
    // "n times a year" with n dividing 12 (twice a year, quarterly, monthly) is one obligation
    // per part of the year, so each report is followed up on its own; otherwise one per year.
    let parts = if times > 1 && 12 % times == 0 {
        times
    } else {
        1
    };
    let per_year_times = if parts > 1 { 1 } else { times };
    let months_per_part = 12 / parts;
    let part_of = |month: u32| (month - 1) / months_per_part;
    let first_part = part_of(first.month());
    let last_year = until.year().max(first.year());
    let mut out = Vec::new();
    for year in first.year()..=last_year {
        for part in 0..parts {
            if year == first.year() && part < first_part {
                continue;
            }
            // The part the source dates keeps the source's day; the others fall due at their end.
            let due = if part == first_part {
                if year == first.year() {
                    Some(first)
                } else {
                    same_day_in_year(first, year)
                }
            } else {
                last_day_of_month(year, (part + 1) * months_per_part)
            };
            let Some(due) = due else { continue };
            let key = if parts == 1 {
                year.to_string()
            } else if parts == 2 {
                format!("{year}-H{}", part + 1)
            } else if parts == 4 {
                format!("{year}-Q{}", part + 1)
            } else {
                format!("{year}-P{}", part + 1)
            };
            out.push(Period {
                key,
                start: NaiveDate::from_ymd_opt(year, part * months_per_part + 1, 1),
                due,
                times: per_year_times,
            });
        }
    }
    out
}

fn last_day_of_month(year: i32, month: u32) -> Option<NaiveDate> {
    (28..=31)
        .rev()
        .find_map(|day| NaiveDate::from_ymd_opt(year, month, day))
}

/// `date`'s month and day in `year`, clamped to the end of the month.
fn same_day_in_year(date: NaiveDate, year: i32) -> Option<NaiveDate> {
    (1..=date.day())
        .rev()
        .find_map(|day| NaiveDate::from_ymd_opt(year, date.month(), day))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn a_yearly_duty_gives_one_period_per_year() {
        let deadline = Deadline::Recurring {
            every: Every::Year,
            month: None,
            times: 1,
            first: d(2014, 12, 31),
        };
        let periods = deadline.periods(d(2016, 12, 31));
        let keys: Vec<&str> = periods.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["2014", "2015", "2016"]);
        let dues: Vec<NaiveDate> = periods.iter().map(|p| p.due).collect();
        assert_eq!(dues, [d(2014, 12, 31), d(2015, 12, 31), d(2016, 12, 31)]);
        assert_eq!(periods[1].start, Some(d(2015, 1, 1)));
    }

    #[test]
    fn twice_a_year_gives_one_period_per_half() {
        // 4.8.1: reports at least twice a year, first due 2015-04-30.
        let dl = Deadline::Recurring {
            every: Every::Year,
            month: None,
            times: 2,
            first: d(2015, 4, 30),
        };
        let periods = dl.periods(d(2016, 12, 31));
        let got: Vec<(String, NaiveDate)> =
            periods.iter().map(|p| (p.key.clone(), p.due)).collect();
        assert_eq!(
            got,
            vec![
                ("2015-H1".to_string(), d(2015, 4, 30)),
                ("2015-H2".to_string(), d(2015, 12, 31)),
                ("2016-H1".to_string(), d(2016, 4, 30)),
                ("2016-H2".to_string(), d(2016, 12, 31)),
            ]
        );
        assert!(periods.iter().all(|p| p.times == 1));
        assert_eq!(periods[1].start, Some(d(2015, 7, 1)));
    }

    #[test]
    fn three_times_a_year_stays_one_period_per_year() {
        let dl = Deadline::Recurring {
            every: Every::Year,
            month: None,
            times: 5,
            first: d(2014, 12, 31),
        };
        let periods = dl.periods(d(2015, 12, 31));
        assert_eq!(periods.len(), 2);
        assert!(periods.iter().all(|p| p.times == 5));
    }

    #[test]
    fn leap_day_is_clamped_to_the_month_end() {
        let deadline = Deadline::Recurring {
            every: Every::Year,
            month: None,
            times: 1,
            first: d(2016, 2, 29),
        };
        let dues: Vec<NaiveDate> = deadline
            .periods(d(2017, 12, 31))
            .iter()
            .map(|p| p.due)
            .collect();
        assert_eq!(dues, [d(2016, 2, 29), d(2017, 2, 28)]);
    }

    #[test]
    fn a_duty_first_due_after_until_is_still_owed_once() {
        let deadline = Deadline::Recurring {
            every: Every::Year,
            month: None,
            times: 1,
            first: d(2018, 6, 30),
        };
        assert_eq!(deadline.periods(d(2016, 12, 31)).len(), 1);
    }

    #[test]
    fn a_range_and_a_date_give_one_period() {
        let range = Deadline::Range {
            from: d(2014, 5, 1),
            to: d(2015, 6, 30),
        };
        let periods = range.periods(d(2016, 12, 31));
        assert_eq!(
            periods,
            [Period {
                key: "once".into(),
                start: Some(d(2014, 5, 1)),
                due: d(2015, 6, 30),
                times: 1
            }]
        );
        let date = Deadline::Date {
            date: d(2014, 12, 31),
        };
        assert_eq!(date.periods(d(2016, 12, 31))[0].due, d(2014, 12, 31));
        assert_eq!(date.periods(d(2016, 12, 31)).len(), 1);
    }
}
