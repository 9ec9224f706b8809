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
    /// 28 February). The first period is always given, even when `first`
    /// lies after `until`: the duty is stated, so it is owed at least once.
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
    let last_year = until.year().max(first.year());
    (first.year()..=last_year)
        .filter_map(|year| {
            let due = if year == first.year() {
                first
            } else {
                same_day_in_year(first, year)?
            };
            Some(Period {
                key: year.to_string(),
                start: NaiveDate::from_ymd_opt(year, 1, 1),
                due,
                times,
            })
        })
        .collect()
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
    fn times_is_recorded_once_per_year() {
        let deadline = Deadline::Recurring {
            every: Every::Year,
            month: Some(4),
            times: 2,
            first: d(2015, 4, 30),
        };
        let periods = deadline.periods(d(2016, 12, 31));
        assert_eq!(periods.len(), 2);
        assert!(periods.iter().all(|p| p.times == 2));
        assert_eq!(periods[1].due, d(2016, 4, 30));
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
