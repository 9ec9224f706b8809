use super::*;
use crate::registry::CodeList;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const ZJ: Actor<'static> = Actor::Unit("ZJFJ");
const GS: Actor<'static> = Actor::Unit("GSFJ");
const OFFICE: Actor<'static> = Actor::Office;

fn unit(u: &str) -> String {
    u.to_string()
}

/// Applies events in turn, panicking with the step on a refusal.
fn walk(steps: &[(Event, Actor<'_>)]) -> Ticket {
    let mut t = Ticket::new();
    for (i, (e, who)) in steps.iter().enumerate() {
        t = apply(&t, e, *who).unwrap_or_else(|err| panic!("step {i} {e:?}: {err}"));
    }
    t
}

fn at(status: Status, unit_code: Option<&str>) -> Ticket {
    Ticket {
        status,
        unit: unit_code.map(str::to_string),
        ..Ticket::new()
    }
}

#[test]
fn the_whole_flow_walks_to_closed_and_reopens() {
    let steps = [
        (Event::Accept, OFFICE),
        (Event::Dispatch { unit: unit("ZJFJ") }, OFFICE),
        (Event::Sign, ZJ),
        (Event::Handle, ZJ),
        (
            Event::Reply {
                finding: Finding::Partly,
            },
            ZJ,
        ),
        (
            Event::Visit {
                satisfaction: Satisfaction::Dissatisfied,
            },
            OFFICE,
        ),
        (Event::Close, OFFICE),
    ];
    let expected = [
        Status::Accepted,
        Status::Dispatched,
        Status::Signed,
        Status::Handling,
        Status::Replied,
        Status::Visited,
        Status::Closed,
    ];
    let mut t = Ticket::new();
    for ((e, who), want) in steps.iter().zip(expected) {
        t = apply(&t, e, *who).unwrap();
        assert_eq!(t.status, want, "{e:?}");
    }
    assert_eq!(t.satisfaction, Some(Satisfaction::Dissatisfied));
    assert_eq!(t.finding, Some(Finding::Partly));
    assert!(is_credit_event(&t));
    assert_eq!(t.status.open311(), "closed");
    let t = apply(
        &t,
        &Event::Reopen {
            reason: "复查仍有问题".into(),
        },
        OFFICE,
    )
    .unwrap();
    assert_eq!(
        (t.status, t.reopened, t.satisfaction),
        (Status::Handling, 1, None)
    );
    assert_eq!(t.unit.as_deref(), Some("ZJFJ"));
    assert_eq!(t.status.open311(), "open");
    assert!(!is_credit_event(&t), "reopened: not closed any more");
    assert!(!Finding::Unfounded.is_credit_event() && !Finding::Undetermined.is_credit_event());
}

#[test]
fn refused_transitions_are_typed() {
    use TransitionError as E;
    let reason = |s: &str| s.to_string();
    let cases: Vec<(Ticket, Event, Actor<'_>, TransitionError)> = vec![
        (
            at(Status::New, None),
            Event::Sign,
            ZJ,
            E::NotAllowed {
                event: EventKind::Sign,
                status: Status::New,
            },
        ),
        (at(Status::New, None), Event::Accept, ZJ, E::OfficeOnly),
        (
            at(Status::New, None),
            Event::Accept,
            Actor::Citizen,
            E::OfficeOnly,
        ),
        (
            at(Status::Accepted, None),
            Event::Dispatch { unit: unit(" ") },
            OFFICE,
            E::UnitMissing,
        ),
        (
            at(Status::New, None),
            Event::Decline { reason: reason("") },
            OFFICE,
            E::ReasonMissing,
        ),
        (
            at(Status::Dispatched, Some("ZJFJ")),
            Event::Sign,
            GS,
            E::NotHandlingUnit,
        ),
        (
            at(Status::Dispatched, Some("ZJFJ")),
            Event::Sign,
            OFFICE,
            E::NotHandlingUnit,
        ),
        (
            at(Status::Dispatched, Some("ZJFJ")),
            Event::Reply {
                finding: Finding::Unfounded,
            },
            ZJ,
            E::NotAllowed {
                event: EventKind::Reply,
                status: Status::Dispatched,
            },
        ),
        (
            at(Status::Signed, Some("ZJFJ")),
            Event::SendBack {
                reason: reason(" "),
            },
            ZJ,
            E::ReasonMissing,
        ),
        (
            at(Status::Handling, Some("ZJFJ")),
            Event::SendBack {
                reason: reason("非本单位职责"),
            },
            ZJ,
            E::NotAllowed {
                event: EventKind::SendBack,
                status: Status::Handling,
            },
        ),
        (
            at(Status::Signed, Some("ZJFJ")),
            Event::Redispatch { unit: unit("ZJFJ") },
            OFFICE,
            E::SameUnit,
        ),
        (
            at(Status::Disputed, None),
            Event::Redispatch { unit: unit("GSFJ") },
            OFFICE,
            E::NotAllowed {
                event: EventKind::Redispatch,
                status: Status::Disputed,
            },
        ),
        (
            at(Status::Closed, Some("ZJFJ")),
            Event::Merge { into: 7 },
            OFFICE,
            E::NotAllowed {
                event: EventKind::Merge,
                status: Status::Closed,
            },
        ),
        (
            at(Status::Replied, Some("ZJFJ")),
            Event::Close,
            OFFICE,
            E::NotAllowed {
                event: EventKind::Close,
                status: Status::Replied,
            },
        ),
        (
            at(Status::Merged, None),
            Event::AddInfo,
            Actor::Citizen,
            E::NotAllowed {
                event: EventKind::AddInfo,
                status: Status::Merged,
            },
        ),
        (
            at(Status::Handling, Some("ZJFJ")),
            Event::AddInfo,
            ZJ,
            E::NotTheCitizen,
        ),
        (
            at(Status::Handling, Some("ZJFJ")),
            Event::RequestExtension { days: 0 },
            ZJ,
            E::ExtensionDays,
        ),
        (
            at(Status::Handling, Some("ZJFJ")),
            Event::RequestExtension { days: 31 },
            ZJ,
            E::ExtensionDays,
        ),
        (
            at(Status::Handling, Some("ZJFJ")),
            Event::ApproveExtension,
            OFFICE,
            E::NoExtensionPending,
        ),
        (
            at(Status::Closed, None),
            Event::Reopen {
                reason: reason("不满意"),
            },
            OFFICE,
            E::UnitMissing,
        ),
    ];
    for (t, e, who, want) in cases {
        let got = apply(&t, &e, who).unwrap_err();
        assert_eq!(got, want, "{:?} {e:?} by {who:?}", t.status);
        assert!(got.key().starts_with("error-complaint-"));
    }
}

#[test]
fn two_send_backs_open_a_dispute_the_office_decides() {
    let t = walk(&[
        (Event::Accept, OFFICE),
        (Event::Dispatch { unit: unit("ZJFJ") }, OFFICE),
        (
            Event::SendBack {
                reason: "属工商职责".into(),
            },
            ZJ,
        ),
    ]);
    assert_eq!(
        (t.status, t.bounces, t.unit.clone()),
        (Status::SentBack, 1, None)
    );
    // The unit that sent it back no longer has it.
    assert_eq!(
        apply(&t, &Event::Sign, ZJ).unwrap_err(),
        TransitionError::NotAllowed {
            event: EventKind::Sign,
            status: Status::SentBack
        }
    );
    let t = apply(&t, &Event::Redispatch { unit: unit("GSFJ") }, OFFICE).unwrap();
    let t = apply(&t, &Event::Sign, GS).unwrap();
    let t = apply(
        &t,
        &Event::SendBack {
            reason: "属质监职责".into(),
        },
        GS,
    )
    .unwrap();
    assert_eq!((t.status, t.bounces), (Status::Disputed, 2));
    assert_eq!(
        allowed(&t, OFFICE),
        [
            EventKind::DecideDispute,
            EventKind::Escalate,
            EventKind::Merge,
            EventKind::AddInfo
        ]
    );
    let t = apply(&t, &Event::DecideDispute { unit: unit("ZJFJ") }, OFFICE).unwrap();
    assert!(t.dispute_decided);
    assert_eq!(t.status, Status::Dispatched);
    let t = apply(&t, &Event::Sign, ZJ).unwrap();
    assert_eq!(
        apply(
            &t,
            &Event::SendBack {
                reason: "再退".into()
            },
            ZJ
        )
        .unwrap_err(),
        TransitionError::DisputeDecided
    );
}

#[test]
fn escalation_happens_once_and_ends_the_bouncing() {
    let t = at(Status::SentBack, None);
    let t = apply(&t, &Event::Escalate { unit: unit("QQB") }, OFFICE).unwrap();
    assert_eq!(t.status, Status::Dispatched);
    assert!(t.escalated && t.dispute_decided);
    assert_eq!(
        apply(
            &t,
            &Event::Escalate {
                unit: unit("ZFDCS")
            },
            OFFICE
        )
        .unwrap_err(),
        TransitionError::AlreadyEscalated
    );
    let qqb = Actor::Unit("QQB");
    assert_eq!(
        apply(&t, &Event::SendBack { reason: "x".into() }, qqb).unwrap_err(),
        TransitionError::DisputeDecided
    );
}

#[test]
fn extensions_wait_for_the_office() {
    let t = at(Status::Handling, Some("ZJFJ"));
    let t = apply(&t, &Event::RequestExtension { days: 5 }, ZJ).unwrap();
    assert_eq!(t.pending_extension, Some(5));
    assert_eq!(
        apply(&t, &Event::RequestExtension { days: 2 }, ZJ).unwrap_err(),
        TransitionError::ExtensionPending
    );
    assert_eq!(
        apply(&t, &Event::ApproveExtension, ZJ).unwrap_err(),
        TransitionError::OfficeOnly
    );
    let granted = apply(&t, &Event::ApproveExtension, OFFICE).unwrap();
    assert_eq!(
        (granted.pending_extension, granted.extension_days),
        (None, 5)
    );
    let refused = apply(&t, &Event::RefuseExtension, OFFICE).unwrap();
    assert_eq!(
        (refused.pending_extension, refused.extension_days),
        (None, 0)
    );
    assert_eq!(granted.status, Status::Handling);
}

#[test]
fn merge_and_decline_finish_a_ticket() {
    let t = at(Status::Signed, Some("ZJFJ"));
    let m = apply(&t, &Event::Merge { into: 42 }, OFFICE).unwrap();
    assert_eq!((m.status, m.merged_into), (Status::Merged, Some(42)));
    assert!(m.status.is_finished());
    assert!(allowed(&m, OFFICE).is_empty());
    let n = apply(
        &Ticket::new(),
        &Event::Decline {
            reason: "不属于质量投诉".into(),
        },
        OFFICE,
    )
    .unwrap();
    assert_eq!(n.status, Status::Declined);
    assert_eq!(n.status.open311(), "closed");
}

#[test]
fn allowed_events_follow_the_table() {
    let t = at(Status::Signed, Some("ZJFJ"));
    assert_eq!(
        allowed(&t, ZJ),
        [
            EventKind::Handle,
            EventKind::Reply,
            EventKind::SendBack,
            EventKind::RequestExtension
        ]
    );
    assert!(allowed(&t, GS).is_empty());
    assert_eq!(allowed(&t, Actor::Citizen), [EventKind::AddInfo]);
}

#[test]
fn codes_round_trip() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()), Some(*s));
    }
    for k in EventKind::ALL {
        assert_eq!(EventKind::parse(k.code()), Some(*k));
    }
    assert_eq!(Channel::parse("12315"), Some(Channel::Hotline12315));
    assert_eq!(Channel::parse("12345热线"), Some(Channel::Hotline12345));
    assert_eq!(Channel::parse("Open311"), Some(Channel::Open311));
    assert_eq!(Channel::ALL.len(), 8);
    assert!(Satisfaction::Basic.is_satisfied() && !Satisfaction::Unreachable.is_rated());
}

const FOOD: Limits = Limits {
    sign: 1,
    reply: 3,
    close: 10,
};

fn hist(entries: &[(&str, EventKind)]) -> Vec<Dated> {
    entries
        .iter()
        .map(|(on, kind)| Dated::new(d(on), *kind))
        .collect()
}

#[test]
fn the_clock_runs_over_the_spring_festival() {
    let cal = Calendar::official();
    // Dispatched Thursday 2026-02-12: the make-up Saturday 02-14 counts, 春节 02-15..23 not.
    let h = hist(&[
        ("2026-02-12", EventKind::Accept),
        ("2026-02-12", EventKind::Dispatch),
        ("2026-02-13", EventKind::Sign),
    ]);
    let f = ClockFacts::from_history(&h);
    let c = clock(&f, &FOOD, Basis::Ticket, &cal, d("2026-02-24"));
    assert_eq!(
        c,
        [
            (
                Stage::Sign,
                Outcome::OnTime {
                    deadline: d("2026-02-13"),
                    on: d("2026-02-13")
                }
            ),
            (
                Stage::Reply,
                Outcome::Pending {
                    deadline: d("2026-02-24")
                }
            ),
            (
                Stage::Close,
                Outcome::Pending {
                    deadline: d("2026-03-04")
                }
            ),
        ]
    );
    // The next day the reply is overdue.
    assert_eq!(
        stage_outcome(
            &f,
            &FOOD,
            Stage::Reply,
            Basis::Ticket,
            &cal,
            d("2026-02-25")
        ),
        Outcome::Overdue {
            deadline: d("2026-02-24")
        }
    );
    // An extension of 2 working days moves reply and close, not sign.
    let mut h2 = h.clone();
    h2.push(Dated::extension(d("2026-02-24"), 2));
    let g = ClockFacts::from_history(&h2);
    assert_eq!(
        stage_outcome(
            &g,
            &FOOD,
            Stage::Reply,
            Basis::Ticket,
            &cal,
            d("2026-02-25")
        ),
        Outcome::Pending {
            deadline: d("2026-02-26")
        }
    );
}

#[test]
fn a_send_back_stops_the_clock_until_the_redispatch() {
    let cal = Calendar::official();
    let mut h = hist(&[
        ("2026-02-12", EventKind::Dispatch),
        ("2026-02-13", EventKind::SendBack),
    ]);
    let f = ClockFacts::from_history(&h);
    assert_eq!(
        stage_outcome(
            &f,
            &FOOD,
            Stage::Reply,
            Basis::Ticket,
            &cal,
            d("2026-03-30")
        ),
        Outcome::Paused
    );
    assert_eq!(
        ticket_warning(
            &f,
            &FOOD,
            Basis::Ticket,
            &cal,
            d("2026-03-30"),
            &WarningLadder::default()
        ),
        None,
        "no warning while nobody has it"
    );
    h.extend(hist(&[
        ("2026-02-25", EventKind::Redispatch),
        ("2026-02-26", EventKind::Sign),
        ("2026-02-27", EventKind::Reply),
    ]));
    let f = ClockFacts::from_history(&h);
    assert_eq!(
        f.paused,
        [Pause {
            from: d("2026-02-13"),
            to: Some(d("2026-02-25"))
        }]
    );
    let c = clock(&f, &FOOD, Basis::Ticket, &cal, d("2026-02-27"));
    // Working days 02-14, 02-24 and 02-25 are paused: reply due 02-27, met; sign counts from
    // the re-dispatch; close 10 working days net of the pause.
    assert_eq!(
        c[0].1,
        Outcome::OnTime {
            deadline: d("2026-02-26"),
            on: d("2026-02-26")
        }
    );
    assert_eq!(
        c[1].1,
        Outcome::OnTime {
            deadline: d("2026-02-27"),
            on: d("2026-02-27")
        }
    );
    assert_eq!(
        c[2].1,
        Outcome::Pending {
            deadline: d("2026-03-09")
        }
    );
    // On the second unit's own clock, reply and close count from its dispatch (02-25):
    // 3 working days end on the worked Saturday 02-28, 10 on 03-10.
    let u = clock(&f, &FOOD, Basis::Unit, &cal, d("2026-02-27"));
    assert_eq!(u[0].1, c[0].1, "the sign clock is the same on both");
    assert_eq!(
        u[1].1,
        Outcome::OnTime {
            deadline: d("2026-02-28"),
            on: d("2026-02-27")
        }
    );
    assert_eq!(
        u[2].1,
        Outcome::Pending {
            deadline: d("2026-03-10")
        }
    );
}

#[test]
fn a_unit_is_judged_on_the_time_it_had() {
    let cal = Calendar::weekdays_only();
    // The office takes the ticket from the first unit after 3 days (改派 without 退单) and
    // gives it to another, which had asked nothing; the first unit's extension is not its.
    let mut h = hist(&[
        ("2026-03-02", EventKind::Dispatch),
        ("2026-03-03", EventKind::Sign),
    ]);
    h.push(Dated::extension(d("2026-03-04"), 2));
    h.extend(hist(&[("2026-03-05", EventKind::Redispatch)]));
    let f = ClockFacts::from_history(&h);
    assert_eq!((f.extension_days, f.unit_extension_days), (2, 0));
    let today = d("2026-03-10");
    assert_eq!(
        stage_outcome(&f, &FOOD, Stage::Reply, Basis::Unit, &cal, today),
        Outcome::Pending {
            deadline: d("2026-03-10")
        }
    );
    // The ticket's clock runs from 03-02: 3 days + 2 days' extension end on 03-09.
    assert_eq!(
        stage_outcome(&f, &FOOD, Stage::Reply, Basis::Ticket, &cal, today),
        Outcome::Overdue {
            deadline: d("2026-03-09")
        }
    );
    assert_eq!(
        stage_outcome(&f, &FOOD, Stage::Sign, Basis::Unit, &cal, today),
        Outcome::Overdue {
            deadline: d("2026-03-06")
        },
        "the new unit must sign again"
    );
}

#[test]
fn a_reopen_starts_a_new_round() {
    let cal = Calendar::weekdays_only();
    let h = hist(&[
        ("2026-03-02", EventKind::Dispatch),
        ("2026-03-03", EventKind::Sign),
        ("2026-03-04", EventKind::Reply),
        ("2026-03-05", EventKind::Visit),
        ("2026-03-05", EventKind::Close),
        ("2026-03-09", EventKind::Reopen),
    ]);
    let f = ClockFacts::from_history(&h);
    assert_eq!(f.round_start, Some(d("2026-03-09")));
    assert_eq!((f.replied, f.closed), (None, None));
    assert_eq!(
        stage_outcome(
            &f,
            &FOOD,
            Stage::Reply,
            Basis::Ticket,
            &cal,
            d("2026-03-09")
        ),
        Outcome::Pending {
            deadline: d("2026-03-12")
        }
    );
    assert!(
        stage_outcome(&f, &FOOD, Stage::Sign, Basis::Ticket, &cal, d("2026-03-09")).is_on_time()
    );
    assert_eq!(
        stage_outcome(&f, &FOOD, Stage::Reply, Basis::Unit, &cal, d("2026-03-09")),
        Outcome::Pending {
            deadline: d("2026-03-12")
        },
        "after a reopen the unit's clock starts at the reopen too"
    );
    assert_eq!(
        stage_outcome(
            &ClockFacts::default(),
            &FOOD,
            Stage::Sign,
            Basis::Unit,
            &cal,
            d("2026-03-09")
        ),
        Outcome::NotStarted
    );
}

#[test]
fn the_warning_ladder_counts_working_days() {
    let cal = Calendar::official();
    let ladder = WarningLadder::default();
    let due = d("2026-02-13"); // Friday before 春节
    let cases = [
        (Outcome::Pending { deadline: due }, "2026-02-11", None),
        (
            Outcome::Pending { deadline: due },
            "2026-02-12",
            Some(Warning::Reminder),
        ),
        (
            Outcome::Pending { deadline: due },
            "2026-02-13",
            Some(Warning::Reminder),
        ),
        (
            Outcome::Overdue { deadline: due },
            "2026-02-14",
            Some(Warning::Blue),
        ), // worked Saturday
        (
            Outcome::Overdue { deadline: due },
            "2026-02-23",
            Some(Warning::Blue),
        ), // holiday
        (
            Outcome::Overdue { deadline: due },
            "2026-02-25",
            Some(Warning::Yellow),
        ),
        (
            Outcome::Overdue { deadline: due },
            "2026-02-27",
            Some(Warning::Red),
        ),
        (
            Outcome::OnTime {
                deadline: due,
                on: due,
            },
            "2026-03-30",
            None,
        ),
        (Outcome::Paused, "2026-03-30", None),
    ];
    for (o, today, want) in cases {
        assert_eq!(warning(o, &cal, d(today), &ladder), want, "{o:?} {today}");
    }
    assert_eq!(Warning::Red.level(), "red");
    let mut counts = crate::supervision::NoticeCounts::default();
    counts.add(Warning::Yellow.level(), 1);
    assert_eq!(counts.yellow, 1);
}
