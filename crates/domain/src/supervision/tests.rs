use super::*;
use crate::plan::default_plan;
use std::collections::HashSet;

use Action as A;
use ObligationStatus as S;

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_else(|e| panic!("{s}: {e}"))
}

#[test]
fn statuses_read_back_their_stored_text() {
    let texts: Vec<&str> = S::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        texts,
        [
            "not_started",
            "in_progress",
            "submitted",
            "accepted",
            "returned"
        ]
    );
    for s in S::ALL {
        assert_eq!(s.as_str().parse::<S>(), Ok(s));
        assert_eq!(s.to_string(), s.as_str());
        // serde spells it as the database does.
        assert_eq!(
            serde_json::to_string(&s).ok(),
            Some(format!("\"{}\"", s.as_str()))
        );
    }
    for bad in ["", "Accepted", " accepted", "accepted ", "done", "pending"] {
        assert_eq!(bad.parse::<S>(), Err(UnknownStatus(bad.to_string())));
    }
}

#[test]
fn duties_read_back_their_stored_text() {
    assert_eq!(Duty::ALL.map(Duty::as_str), ["lead", "undertaking"]);
    for d in Duty::ALL {
        assert_eq!(d.as_str().parse::<Duty>(), Ok(d));
    }
    assert!("boss".parse::<Duty>().is_err());
    assert!("Lead".parse::<Duty>().is_err());
    assert!(Duty::Lead.is_lead() && !Duty::Undertaking.is_lead());
}

#[test]
fn predicates() {
    let handed_in: Vec<S> = S::ALL.into_iter().filter(|s| s.is_handed_in()).collect();
    assert_eq!(handed_in, [S::Submitted, S::Accepted]);
    let closed: Vec<S> = S::ALL.into_iter().filter(|s| s.is_closed()).collect();
    assert_eq!(closed, [S::Accepted]);
    for s in S::ALL {
        assert_eq!(s.is_open(), !s.is_handed_in());
    }
}

/// Every (action, status) pair and what it leads to: the whole state table.
#[test]
fn every_transition() {
    use TransitionError::{Closed, HandedIn, NotSubmitted, Reviewed};
    let table: [(A, S, Result<S, TransitionError>); 50] = [
        (A::Progress, S::NotStarted, Ok(S::InProgress)),
        (A::Progress, S::InProgress, Ok(S::InProgress)),
        (A::Progress, S::Submitted, Err(HandedIn(S::Submitted))),
        (A::Progress, S::Accepted, Err(HandedIn(S::Accepted))),
        (A::Progress, S::Returned, Ok(S::InProgress)),
        (A::Submit, S::NotStarted, Ok(S::Submitted)),
        (A::Submit, S::InProgress, Ok(S::Submitted)),
        (A::Submit, S::Submitted, Err(HandedIn(S::Submitted))),
        (A::Submit, S::Accepted, Err(HandedIn(S::Accepted))),
        (A::Submit, S::Returned, Ok(S::Submitted)),
        (A::Accept, S::NotStarted, Err(NotSubmitted)),
        (A::Accept, S::InProgress, Err(NotSubmitted)),
        (A::Accept, S::Submitted, Ok(S::Accepted)),
        (A::Accept, S::Accepted, Err(NotSubmitted)),
        (A::Accept, S::Returned, Err(NotSubmitted)),
        (A::Return, S::NotStarted, Err(NotSubmitted)),
        (A::Return, S::InProgress, Err(NotSubmitted)),
        (A::Return, S::Submitted, Ok(S::Returned)),
        (A::Return, S::Accepted, Err(NotSubmitted)),
        (A::Return, S::Returned, Err(NotSubmitted)),
        (A::RequestExtension, S::NotStarted, Ok(S::NotStarted)),
        (A::RequestExtension, S::InProgress, Ok(S::InProgress)),
        (A::RequestExtension, S::Submitted, Ok(S::Submitted)),
        (A::RequestExtension, S::Accepted, Err(Closed)),
        (A::RequestExtension, S::Returned, Ok(S::Returned)),
        (A::ApproveExtension, S::NotStarted, Ok(S::NotStarted)),
        (A::ApproveExtension, S::InProgress, Ok(S::InProgress)),
        (A::ApproveExtension, S::Submitted, Ok(S::Submitted)),
        (A::ApproveExtension, S::Accepted, Err(Closed)),
        (A::ApproveExtension, S::Returned, Ok(S::Returned)),
        (A::RefuseExtension, S::NotStarted, Ok(S::NotStarted)),
        (A::RefuseExtension, S::InProgress, Ok(S::InProgress)),
        (A::RefuseExtension, S::Submitted, Ok(S::Submitted)),
        (A::RefuseExtension, S::Accepted, Ok(S::Accepted)),
        (A::RefuseExtension, S::Returned, Ok(S::Returned)),
        (A::Withdraw, S::NotStarted, Err(NotSubmitted)),
        (A::Withdraw, S::InProgress, Err(NotSubmitted)),
        (A::Withdraw, S::Submitted, Ok(S::InProgress)),
        (A::Withdraw, S::Accepted, Err(Reviewed)),
        (A::Withdraw, S::Returned, Err(Reviewed)),
        (A::Acknowledge, S::NotStarted, Ok(S::NotStarted)),
        (A::Acknowledge, S::InProgress, Ok(S::InProgress)),
        (A::Acknowledge, S::Submitted, Ok(S::Submitted)),
        (A::Acknowledge, S::Accepted, Ok(S::Accepted)),
        (A::Acknowledge, S::Returned, Ok(S::Returned)),
        (A::Urge, S::NotStarted, Ok(S::NotStarted)),
        (A::Urge, S::InProgress, Ok(S::InProgress)),
        (A::Urge, S::Submitted, Err(HandedIn(S::Submitted))),
        (A::Urge, S::Accepted, Err(HandedIn(S::Accepted))),
        (A::Urge, S::Returned, Ok(S::Returned)),
    ];
    let mut seen = HashSet::new();
    for (action, from, want) in table {
        assert_eq!(apply(from, action), want, "{action} from {from}");
        seen.insert((action, from));
    }
    assert_eq!(
        seen.len(),
        A::ALL.len() * S::ALL.len(),
        "every pair listed once"
    );
}

#[test]
fn transition_errors_name_their_message() {
    assert_eq!(
        TransitionError::HandedIn(S::Submitted).key(),
        "error-obligation-submitted"
    );
    assert_eq!(
        TransitionError::HandedIn(S::Accepted).key(),
        "error-obligation-accepted"
    );
    assert_eq!(
        TransitionError::NotSubmitted.key(),
        "error-obligation-not-submitted"
    );
    assert_eq!(TransitionError::Closed.key(), "error-obligation-accepted");
}

#[test]
fn actions_are_spelled_as_in_the_history() {
    assert_eq!(
        A::ALL.map(A::as_str),
        [
            "progress",
            "submit",
            "accept",
            "return",
            "extension_request",
            "extension_approve",
            "extension_refuse",
            "withdraw",
            "acknowledge",
            "urge"
        ]
    );
}

#[test]
fn an_obligation_is_acknowledged_once() {
    assert_eq!(acknowledge(false), Ok(()));
    assert_eq!(acknowledge(true), Err(TransitionError::Acknowledged));
    assert_eq!(
        TransitionError::Acknowledged.key(),
        "error-obligation-acknowledged"
    );
    assert_eq!(TransitionError::Reviewed.key(), "error-obligation-reviewed");
}

#[test]
fn percent_after_each_action() {
    assert_eq!(percent_after(A::Progress, 40, 10), 40);
    assert_eq!(percent_after(A::Submit, 40, 10), 100);
    assert_eq!(percent_after(A::Accept, 0, 60), 100);
    assert_eq!(percent_after(A::Return, 0, 60), 60);
    assert_eq!(percent_after(A::RequestExtension, 0, 60), 60);
}

#[test]
fn wanted_on_the_default_plan() {
    let plan = default_plan();
    let all = wanted(&plan);
    let members: Vec<&str> = plan
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Member)
        .map(|u| u.code.as_str())
        .collect();

    // One obligation per content, unit and period.
    let keys: HashSet<(&str, &str, &str)> = all
        .iter()
        .map(|w| (w.content.as_str(), w.unit.as_str(), w.period.as_str()))
        .collect();
    assert_eq!(keys.len(), all.len());
    // Every content asks something of someone; groups never stand as units themselves.
    for (_, _, c) in plan.contents() {
        assert!(all.iter().any(|w| w.content == c.code), "{}", c.code);
    }
    assert!(all.iter().all(|w| w.unit != "ALL"));

    // 2.3.1: ZJFJ leads (and is not held again as undertaking), five others undertake, once.
    let of = |code: &str| -> Vec<(&str, Duty, &str)> {
        all.iter()
            .filter(|w| w.content == code)
            .map(|w| (w.unit.as_str(), w.duty, w.period.as_str()))
            .collect()
    };
    assert_eq!(
        of("2.3.1"),
        [
            ("ZJFJ", Duty::Lead, "once"),
            ("GXJ", Duty::Undertaking, "once"),
            ("CJJ", Duty::Undertaking, "once"),
            ("SWJ", Duty::Undertaking, "once"),
            ("JYJ", Duty::Undertaking, "once"),
            ("NW", Duty::Undertaking, "once"),
        ]
    );
    let w231 = all.iter().find(|w| w.content == "2.3.1");
    assert_eq!(
        w231.map(|w| (w.start, w.due, w.times)),
        Some((None, day("2014-12-31"), 1))
    );

    // 1.1.1: the office leads, 各成员单位 expands to every member unit.
    let w111 = of("1.1.1");
    assert_eq!(w111[0], ("QQB", Duty::Lead, "once"));
    let undertaking: Vec<&str> = w111[1..].iter().map(|(u, _, _)| *u).collect();
    assert_eq!(undertaking, members);
    assert!(w111[1..].iter().all(|(_, d, _)| *d == Duty::Undertaking));

    // 1.2.2: yearly up to recurring_until, each year the same units.
    let w122 = of("1.2.2");
    let periods: Vec<&str> = w122
        .iter()
        .filter(|(u, _, _)| *u == "QQB")
        .map(|(_, _, p)| *p)
        .collect();
    assert_eq!(periods, ["2014", "2015", "2016"]);
    assert_eq!(w122.len(), 3 * (1 + members.len()));
    let due_2015: Vec<NaiveDate> = all
        .iter()
        .filter(|w| w.content == "1.2.2" && w.period == "2015")
        .map(|w| w.due)
        .collect();
    assert!(due_2015.iter().all(|d| *d == day("2015-12-31")));

    // Totals: the periods of each content times its units, leads first.
    let expected: usize = plan
        .contents()
        .map(|(_, _, c)| {
            let units: HashSet<&str> = all
                .iter()
                .filter(|w| w.content == c.code)
                .map(|w| w.unit.as_str())
                .collect();
            c.deadline.periods(plan.plan.recurring_until).len() * units.len()
        })
        .sum();
    assert_eq!(all.len(), expected);
}

#[test]
fn categories_of_content_codes() {
    assert_eq!(category_of("4.8.1"), "4");
    assert_eq!(category_of("11.2.3"), "11");
    assert_eq!(category_of("7"), "7");
    assert_eq!(category_of(""), "");
}

fn facts(status: S, due: &str, submitted_on: Option<&str>) -> ObligationFacts {
    ObligationFacts {
        status,
        due: Some(day(due)),
        submitted_on: submitted_on.map(day),
        // Accepted when it was handed in, in these examples.
        accepted_on: (status == S::Accepted)
            .then(|| submitted_on.map(day))
            .flatten(),
    }
}

#[test]
fn overdue_days_and_on_time() {
    let today = day("2015-01-10");
    let open = facts(S::InProgress, "2014-12-31", None);
    assert!(open.overdue(today));
    assert_eq!(open.days_overdue(today), 10);
    assert!(!open.overdue(day("2014-12-31")), "due today is not overdue");
    assert_eq!(open.days_overdue(day("2014-12-31")), 0);
    let returned = facts(S::Returned, "2014-12-31", Some("2014-12-20"));
    assert!(returned.overdue(today));
    for s in [S::Submitted, S::Accepted] {
        let handed = facts(s, "2014-12-31", Some("2015-01-05"));
        assert!(!handed.overdue(today));
        assert_eq!(handed.days_overdue(today), 0);
        assert!(!handed.on_time());
    }
    assert!(facts(S::Accepted, "2014-12-31", Some("2014-12-31")).on_time());
    let undated = ObligationFacts {
        status: S::NotStarted,
        due: None,
        submitted_on: None,
        accepted_on: None,
    };
    assert!(!undated.overdue(today) && !undated.on_time());
}

#[test]
fn each_obligation_counts_in_the_period_it_became_expected() {
    let at = day("2015-03-31");
    let y2014 = day("2014-01-01");
    let y2015 = day("2015-01-01");
    // Due in 2014: counted in 2014 whatever happens later.
    let late = facts(S::Accepted, "2014-12-31", Some("2015-01-05"));
    assert!(late.expected_in(y2014, at) && !late.expected_in(y2015, at));
    // Closed in 2014 though due in 2015: counted in 2014, where it was closed, not twice.
    let early = facts(S::Accepted, "2015-06-30", Some("2014-11-20"));
    assert_eq!(early.expected_since(at), Some(day("2014-11-20")));
    assert!(early.expected_in(y2014, at) && !early.expected_in(y2015, at));
    // Not yet due and not closed: in no period yet.
    let open = facts(S::InProgress, "2015-06-30", None);
    assert_eq!(open.expected_since(at), None);
    // Handed in after its due date: late, not on time.
    let mut t = Tally::default();
    t.add(&late, at);
    assert_eq!((t.on_time, t.late), (0, 1));
}

#[test]
fn tally_rates() {
    let today = day("2015-01-10");
    let empty = Tally::default();
    assert_eq!(
        empty.completion_rate(),
        None,
        "nothing expected: no rate, not 100"
    );
    assert_eq!(empty.on_time_rate(), None);
    assert_eq!(rate_text(empty.completion_rate()), "—");

    let mut t = Tally::default();
    for o in [
        facts(S::Accepted, "2014-12-31", Some("2014-12-20")),
        facts(S::Submitted, "2014-12-31", Some("2015-01-02")),
        facts(S::Returned, "2014-12-31", Some("2014-12-25")),
        facts(S::InProgress, "2014-12-31", None),
        facts(S::NotStarted, "2015-06-30", None),
    ] {
        t.add(&o, today);
    }
    assert_eq!(
        t,
        Tally {
            total: 5,
            expected: 4,
            closed: 1,
            submitted: 1,
            on_time: 1,
            overdue: 2,
            late: 1,
            returned: 1,
        }
    );
    assert_eq!(t.completion_rate(), Some(25.0));
    assert_eq!(t.on_time_rate(), Some(25.0));
    assert_eq!(rate_text(t.completion_rate()), "25.0%");

    let mut sum = Tally::default();
    sum.merge(&t);
    sum.merge(&t);
    assert_eq!((sum.total, sum.expected, sum.overdue), (10, 8, 4));
    assert_eq!(sum.completion_rate(), Some(25.0));

    // Closed before its due date: counted in both what was expected and what was closed, so
    // the rate never passes 100.
    let mut early = Tally::default();
    early.add(&facts(S::Accepted, "2015-06-30", Some("2015-01-02")), today);
    early.add(&facts(S::Accepted, "2014-12-31", Some("2014-12-30")), today);
    assert_eq!((early.expected, early.closed), (2, 2));
    assert_eq!(early.completion_rate(), Some(100.0));
}

#[test]
fn figures_as_of_an_earlier_date_follow_the_dates_not_todays_status() {
    // Accepted on 2015-01-05, handed in 2014-12-28, due 2014-12-31.
    let o = facts(S::Accepted, "2014-12-31", Some("2014-12-28"));
    let o = ObligationFacts {
        accepted_on: Some(day("2015-01-05")),
        ..o
    };
    let at = |s: &str| {
        let mut t = Tally::default();
        t.add(&o, day(s));
        t
    };
    // Before it was due and before anything happened: not expected yet.
    assert_eq!(at("2014-12-01").expected, 0);
    // Handed in, due, not yet closed: expected, waiting for review, on time, not overdue.
    let t = at("2015-01-02");
    assert_eq!(
        (t.expected, t.closed, t.submitted, t.on_time, t.overdue),
        (1, 0, 1, 1, 0)
    );
    // Closed.
    let t = at("2015-01-06");
    assert_eq!((t.expected, t.closed, t.submitted), (1, 1, 0));
}

#[test]
fn no_rate_ever_passes_100_on_random_obligations() {
    let statuses = [
        S::NotStarted,
        S::InProgress,
        S::Submitted,
        S::Returned,
        S::Accepted,
    ];
    let base = day("2014-03-01");
    let mut seed: u64 = 7;
    let mut next = |n: u64| {
        seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (seed >> 33) % n
    };
    for _ in 0..200 {
        let mut t = Tally::default();
        let at = base + chrono::Days::new(next(500));
        for _ in 0..20 {
            let status = statuses[next(5) as usize];
            let due = base + chrono::Days::new(next(600));
            let submitted = (status != S::NotStarted && status != S::InProgress || next(2) == 0)
                .then(|| base + chrono::Days::new(next(600)));
            let accepted = (status == S::Accepted).then(|| base + chrono::Days::new(next(600)));
            t.add(
                &ObligationFacts {
                    status,
                    due: Some(due),
                    submitted_on: submitted,
                    accepted_on: accepted,
                },
                at,
            );
        }
        assert!(t.closed <= t.expected && t.on_time <= t.expected, "{t:?}");
        assert!(
            t.completion_rate()
                .is_none_or(|r| (0.0..=100.0).contains(&r))
        );
        assert!(t.on_time_rate().is_none_or(|r| (0.0..=100.0).contains(&r)));
    }
}

#[test]
fn who_may_enter_indicator_values() {
    let plan = default_plan();
    let prd1 = plan.indicator("PRD-1").unwrap_or_else(|| panic!("PRD-1"));
    assert_eq!(responsible_units(&plan, prd1), ["NW"]);
    assert!(may_enter_value(&plan, prd1, Entrant::Office));
    assert!(may_enter_value(&plan, prd1, Entrant::Unit("NW")));
    assert!(
        !may_enter_value(&plan, prd1, Entrant::Unit("ZJFJ")),
        "undertakes only"
    );
    assert!(!may_enter_value(&plan, prd1, Entrant::Other));

    // An indicator no content carries is the office's alone.
    let prd3 = plan.indicator("PRD-3").unwrap_or_else(|| panic!("PRD-3"));
    assert!(responsible_units(&plan, prd3).is_empty());
    assert!(may_enter_value(&plan, prd3, Entrant::Office));
    assert!(!may_enter_value(&plan, prd3, Entrant::Unit("NW")));

    assert_eq!(Entrant::of(Role::Office, Some("NW")), Entrant::Office);
    assert_eq!(Entrant::of(Role::Unit, Some("NW")), Entrant::Unit("NW"));
    assert_eq!(Entrant::of(Role::Unit, None), Entrant::Other);
    assert_eq!(Entrant::of(Role::Leader, Some("NW")), Entrant::Other);
    assert_eq!(Entrant::of(Role::Evaluator, None), Entrant::Other);
}
