//! The complaint figures: one definition each (`docs/complaints.md`). Every rate is kept as
//! its additive parts ([`Counts`], [`Ratio`]) so that units roll up to districts and districts
//! to the city by summing counts, never by averaging rates (`org::Tree::roll_up`).

use super::calendar::Calendar;
use super::catalogue::Limits;
use super::ticket::{
    Basis, ClockFacts, Dated, EventKind, Outcome, Satisfaction, Stage, stage_outcome,
};
use crate::org::Ratio;
use chrono::NaiveDate;
use serde::Serialize;
use std::ops::AddAssign;

/// What the figures need to know of one ticket as of a date (its stage outcomes come from
/// [`super::ticket::clock`] on that date).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TicketFigures {
    pub sign: Outcome,
    pub reply: Outcome,
    pub close: Outcome,
    /// The rating of the last follow-up visit.
    pub satisfaction: Option<Satisfaction>,
    /// Merged into another ticket (并单): a repeat, handled through the other one.
    pub merged: bool,
    /// Not accepted (不予受理).
    pub declined: bool,
}

impl TicketFigures {
    /// A ticket's figures as of `as_of`, from its dated history (entries after `as_of` are
    /// ignored, so a past month's figures do not change when work is done later), on the
    /// unit's clock ([`Basis::Unit`]): a unit is judged on the time it had. The
    /// satisfaction is the ticket's last rating, counted once a visit is in the history.
    pub fn from_history(
        history: &[Dated],
        satisfaction: Option<Satisfaction>,
        limits: &Limits,
        cal: &Calendar,
        as_of: NaiveDate,
    ) -> TicketFigures {
        let seen: Vec<Dated> = history.iter().copied().filter(|e| e.on <= as_of).collect();
        let has = |k: EventKind| seen.iter().any(|e| e.kind == k);
        let facts = ClockFacts::from_history(&seen);
        let stage = |s: Stage| stage_outcome(&facts, limits, s, Basis::Unit, cal, as_of);
        // A reopen after the visit asks for a new rating.
        let visited_last = seen
            .iter()
            .rev()
            .find(|e| matches!(e.kind, EventKind::Visit | EventKind::Reopen))
            .is_some_and(|e| e.kind == EventKind::Visit);
        TicketFigures {
            sign: stage(Stage::Sign),
            reply: stage(Stage::Reply),
            close: stage(Stage::Close),
            satisfaction: satisfaction.filter(|_| visited_last),
            merged: has(EventKind::Merge),
            declined: has(EventKind::Decline),
        }
    }
}

/// Additive counts of a set of tickets (a unit, a district, a category, a period).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Every ticket received (the volume, whatever became of it).
    pub tickets: u64,
    /// Of those, handled on their own: neither merged nor declined. The clock figures count
    /// these only.
    pub handled: u64,
    pub sign_due: u64,
    pub sign_on_time: u64,
    pub reply_due: u64,
    pub reply_on_time: u64,
    pub close_due: u64,
    pub close_on_time: u64,
    /// Visited and reached (a rating given).
    pub rated: u64,
    /// Of those, 满意 or 基本满意.
    pub satisfied: u64,
    /// Merged into another ticket.
    pub repeats: u64,
}

impl AddAssign for Counts {
    fn add_assign(&mut self, o: Counts) {
        self.tickets += o.tickets;
        self.handled += o.handled;
        self.sign_due += o.sign_due;
        self.sign_on_time += o.sign_on_time;
        self.reply_due += o.reply_due;
        self.reply_on_time += o.reply_on_time;
        self.close_due += o.close_due;
        self.close_on_time += o.close_on_time;
        self.rated += o.rated;
        self.satisfied += o.satisfied;
        self.repeats += o.repeats;
    }
}

fn ratio(numerator: u64, denominator: u64) -> Ratio {
    Ratio {
        numerator: numerator as f64,
        denominator: denominator as f64,
    }
}

impl Counts {
    /// Counts one ticket.
    pub fn add(&mut self, t: &TicketFigures) {
        self.tickets += 1;
        if t.merged {
            self.repeats += 1;
            return;
        }
        if t.declined {
            return;
        }
        self.handled += 1;
        let stages = [
            (t.sign, &mut self.sign_due, &mut self.sign_on_time),
            (t.reply, &mut self.reply_due, &mut self.reply_on_time),
            (t.close, &mut self.close_due, &mut self.close_on_time),
        ];
        for (outcome, due, on_time) in stages {
            if outcome.is_due() {
                *due += 1;
                if outcome.is_on_time() {
                    *on_time += 1;
                }
            }
        }
        if let Some(s) = t.satisfaction.filter(|s| s.is_rated()) {
            self.rated += 1;
            if s.is_satisfied() {
                self.satisfied += 1;
            }
        }
    }

    /// 按时签收率: signed by the deadline ÷ signs due (done, or past the deadline).
    pub fn sign_rate(&self) -> Ratio {
        ratio(self.sign_on_time, self.sign_due)
    }

    /// 按时答复率.
    pub fn reply_rate(&self) -> Ratio {
        ratio(self.reply_on_time, self.reply_due)
    }

    /// 按时办结率.
    pub fn close_rate(&self) -> Ratio {
        ratio(self.close_on_time, self.close_due)
    }

    /// 满意率: satisfied or fairly satisfied ÷ rated (the unreachable are not counted).
    pub fn satisfaction_rate(&self) -> Ratio {
        ratio(self.satisfied, self.rated)
    }

    /// 重复投诉率: tickets merged into another ÷ tickets received.
    pub fn repeat_rate(&self) -> Ratio {
        ratio(self.repeats, self.tickets)
    }
}

/// Complaints and residents, summed for roll-up: numerator = tickets, denominator =
/// residents. Read it with [`per_10k`].
pub fn per_10k_parts(tickets: u64, population: u64) -> Ratio {
    ratio(tickets, population)
}

/// 每万人投诉量: tickets ÷ residents × 10,000; `None` without a population.
pub fn per_10k(parts: Ratio) -> Option<f64> {
    (parts.denominator > 0.0).then(|| parts.numerator / parts.denominator * 10_000.0)
}

/// Year-on-year change in per cent (`-12.5` = 12.5 % lower); `None` when the previous value is
/// zero or missing.
pub fn year_on_year(current: f64, previous: Option<f64>) -> Option<f64> {
    previous
        .filter(|p| *p != 0.0)
        .map(|p| (current - p) / p * 100.0)
}

/// The 8.6.1/8.6.2 reading of a complaint rate in a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trend {
    /// 连续 n 年递减: each of the last n year-on-year steps ending at the year fell; `None`
    /// when a year's value is missing.
    pub falling: Option<bool>,
    /// 低于全国平均水平: the year's value below the national average; `None` without either.
    pub below_national: Option<bool>,
}

impl Trend {
    /// Met when either holds (8.6.1 and 8.6.2 accept either reading).
    pub fn met(&self) -> bool {
        self.falling == Some(true) || self.below_national == Some(true)
    }
}

/// Reads a yearly series (`(year, rate)`, any order) at `year`: falling for `steps`
/// successive years (as the target language's `trend down n years`: n steps, n + 1 values),
/// and below the national average.
pub fn trend(series: &[(i32, f64)], year: i32, steps: u32, national: Option<f64>) -> Trend {
    let value = |y: i32| series.iter().find(|(sy, _)| *sy == y).map(|(_, v)| *v);
    let falling = (0..steps as i32)
        .map(|k| match (value(year - k), value(year - k - 1)) {
            (Some(now), Some(before)) => Some(now < before),
            _ => None,
        })
        .try_fold(true, |all, step| step.map(|s| all && s));
    let below_national = match (value(year), national) {
        (Some(v), Some(n)) => Some(v < n),
        _ => None,
    };
    Trend {
        falling,
        below_national,
    }
}

/// Units are ranked only with at least this many tickets handled in the period
/// (FixMyStreet's "most responsive council" with one report).
pub const MIN_TICKETS_TO_RANK: u64 = 20;

/// A unit's place in the ranking.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RankedUnit {
    pub unit: String,
    pub counts: Counts,
    /// 1 = best; equal figures share a place; `None` below the minimum or with nothing due.
    pub rank: Option<usize>,
}

/// Ranks units by on-time close rate, then satisfaction rate; units with fewer than `min`
/// tickets handled, or nothing due to close, are listed after the ranked ones, unranked.
pub fn rank_units(units: &[(String, Counts)], min: u64) -> Vec<RankedUnit> {
    let key = |c: &Counts| {
        (
            c.close_rate().percent(),
            c.satisfaction_rate().percent().unwrap_or(0.0),
        )
    };
    let rankable = |c: &Counts| c.handled >= min && c.close_rate().percent().is_some();
    let mut list: Vec<&(String, Counts)> = units.iter().collect();
    list.sort_by(|a, b| {
        rankable(&b.1)
            .cmp(&rankable(&a.1))
            .then_with(|| {
                let (ka, kb) = (key(&a.1), key(&b.1));
                kb.0.unwrap_or(-1.0)
                    .total_cmp(&ka.0.unwrap_or(-1.0))
                    .then(kb.1.total_cmp(&ka.1))
            })
            .then_with(|| a.0.cmp(&b.0))
    });
    let mut out: Vec<RankedUnit> = Vec::with_capacity(list.len());
    for (i, (unit, counts)) in list.into_iter().enumerate() {
        let rank = rankable(counts).then(|| match out.last() {
            Some(prev) if prev.rank.is_some() && key(&prev.counts) == key(counts) => prev.rank,
            _ => Some(i + 1),
        });
        out.push(RankedUnit {
            unit: unit.clone(),
            counts: *counts,
            rank: rank.flatten(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn on_time() -> Outcome {
        Outcome::OnTime {
            deadline: d("2026-03-10"),
            on: d("2026-03-09"),
        }
    }

    fn late() -> Outcome {
        Outcome::Late {
            deadline: d("2026-03-10"),
            on: d("2026-03-12"),
        }
    }

    fn ticket(
        sign: Outcome,
        reply: Outcome,
        close: Outcome,
        s: Option<Satisfaction>,
    ) -> TicketFigures {
        TicketFigures {
            sign,
            reply,
            close,
            satisfaction: s,
            merged: false,
            declined: false,
        }
    }

    #[test]
    fn counts_table() {
        let pending = Outcome::Pending {
            deadline: d("2026-03-20"),
        };
        let overdue = Outcome::Overdue {
            deadline: d("2026-03-01"),
        };
        let tickets = [
            ticket(
                on_time(),
                on_time(),
                on_time(),
                Some(Satisfaction::Satisfied),
            ),
            ticket(on_time(), late(), late(), Some(Satisfaction::Basic)),
            ticket(
                late(),
                on_time(),
                on_time(),
                Some(Satisfaction::Dissatisfied),
            ),
            ticket(
                on_time(),
                on_time(),
                on_time(),
                Some(Satisfaction::Unreachable),
            ),
            ticket(on_time(), overdue, overdue, None),
            ticket(on_time(), pending, pending, None),
            ticket(Outcome::Paused, Outcome::Paused, Outcome::Paused, None),
            TicketFigures {
                merged: true,
                ..ticket(on_time(), on_time(), on_time(), None)
            },
            TicketFigures {
                declined: true,
                ..ticket(
                    Outcome::NotStarted,
                    Outcome::NotStarted,
                    Outcome::NotStarted,
                    None,
                )
            },
        ];
        let mut c = Counts::default();
        for t in &tickets {
            c.add(t);
        }
        assert_eq!(
            c,
            Counts {
                tickets: 9,
                handled: 7,
                sign_due: 6,
                sign_on_time: 5,
                reply_due: 5,
                reply_on_time: 3,
                close_due: 5,
                close_on_time: 3,
                rated: 3,
                satisfied: 2,
                repeats: 1,
            }
        );
        assert_eq!(c.close_rate().percent(), Some(60.0));
        assert_eq!(c.repeat_rate().numerator, 1.0);
        assert!((c.satisfaction_rate().percent().unwrap() - 66.666).abs() < 0.01);
        assert_eq!(Counts::default().sign_rate().percent(), None);
    }

    #[test]
    fn rates_roll_up_by_parts() {
        let a = Counts {
            tickets: 10,
            handled: 10,
            close_due: 10,
            close_on_time: 9,
            ..Counts::default()
        };
        let b = Counts {
            tickets: 100,
            handled: 100,
            close_due: 100,
            close_on_time: 50,
            ..Counts::default()
        };
        let mut sum = a;
        sum += b;
        // 59 of 110, not the mean of 90 % and 50 %.
        assert!((sum.close_rate().percent().unwrap() - 53.636).abs() < 0.01);
        let mut r = per_10k_parts(30, 200_000);
        r += per_10k_parts(90, 400_000);
        assert_eq!(per_10k(r), Some(2.0));
        assert_eq!(per_10k(per_10k_parts(5, 0)), None);
    }

    #[test]
    fn trend_table() {
        let falling = [(2011, 9.0), (2012, 8.0), (2013, 7.5), (2014, 7.0)];
        let cases = [
            (&falling[..], 2014, None, Some(true), None),
            (&falling[..], 2013, None, None, None), // 2010 missing
            (
                &[(2012, 8.0), (2013, 7.5), (2014, 7.0)][..],
                2014,
                Some(6.0),
                None,
                Some(false),
            ),
            (
                &[(2011, 9.0), (2012, 8.0), (2013, 8.0), (2014, 7.0)][..],
                2014,
                Some(7.5),
                Some(false),
                Some(true),
            ),
            (&[][..], 2014, Some(7.5), None, None),
        ];
        for (series, year, national, falls, below) in cases {
            let t = trend(series, year, 3, national);
            assert_eq!(
                (t.falling, t.below_national),
                (falls, below),
                "{series:?} {year}"
            );
            assert_eq!(t.met(), falls == Some(true) || below == Some(true));
        }
        assert_eq!(year_on_year(7.0, Some(8.0)), Some(-12.5));
        assert_eq!(year_on_year(7.0, Some(0.0)), None);
        assert_eq!(year_on_year(7.0, None), None);
    }

    fn unit(handled: u64, close_on_time: u64, satisfied: u64) -> Counts {
        Counts {
            tickets: handled,
            handled,
            close_due: handled,
            close_on_time,
            rated: handled,
            satisfied,
            ..Counts::default()
        }
    }

    #[test]
    fn only_units_with_enough_tickets_are_ranked() {
        let units = vec![
            ("ONE".to_string(), unit(1, 1, 1)), // 100 % on one ticket: not ranked
            ("A".to_string(), unit(40, 30, 35)),
            ("B".to_string(), unit(20, 18, 10)),
            ("C".to_string(), unit(40, 36, 15)), // same close rate as B, less satisfied
            ("D".to_string(), unit(20, 18, 10)), // ties with B
            ("NONE".to_string(), Counts::default()),
        ];
        let ranked = rank_units(&units, MIN_TICKETS_TO_RANK);
        let got: Vec<(&str, Option<usize>)> =
            ranked.iter().map(|r| (r.unit.as_str(), r.rank)).collect();
        assert_eq!(
            got,
            [
                ("B", Some(1)),
                ("D", Some(1)),
                ("C", Some(3)),
                ("A", Some(4)),
                ("ONE", None),
                ("NONE", None),
            ]
        );
    }
}
