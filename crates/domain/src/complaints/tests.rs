//! One story through every part: a citizen's free text is classified and routed, the wrong
//! unit sends it back across the Spring Festival, another unit handles it with an extension, a
//! repeat is merged, the citizen's number is masked, and the figures count it all.

use super::calendar::Calendar;
use super::catalogue::Catalogue;
use super::classify::Classifier;
use super::figures::{Counts, TicketFigures};
use super::merge::{Candidate, MergeRule, Reason, check_merge, suggestions};
use super::personal::mask_text;
use super::ticket::{
    Actor, Basis, ClockFacts, Dated, Event, EventKind, Finding, Outcome, Satisfaction, Stage,
    Status, Ticket, apply, stage_outcome,
};
use chrono::NaiveDate;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// A ticket and its dated history, as the store would keep them.
struct Kept {
    ticket: Ticket,
    history: Vec<Dated>,
}

impl Kept {
    fn new() -> Kept {
        Kept {
            ticket: Ticket::new(),
            history: Vec::new(),
        }
    }

    fn act(&mut self, on: &str, event: Event, who: Actor<'_>) {
        let asked = self.ticket.pending_extension.unwrap_or(0);
        self.ticket = apply(&self.ticket, &event, who)
            .unwrap_or_else(|e| panic!("{on} {event:?} by {who:?}: {e}"));
        self.history.push(match event {
            Event::ApproveExtension => Dated::extension(d(on), asked),
            _ => Dated::new(d(on), event.kind()),
        });
    }
}

#[test]
fn a_complaint_from_intake_to_the_figures() {
    let cal = Calendar::official();
    let catalogue = Catalogue::default_catalogue();
    let classifier = Classifier::default_classifier();
    let text = "农贸市场的电子秤缺斤短两，买二斤肉只有一斤七两，电话13812345678";

    // Intake: the classifier proposes metering, the catalogue routes it to 质监.
    let category = classifier.propose(text).category().map(str::to_string);
    assert_eq!(category.as_deref(), Some("metering"));
    let limits = catalogue.category("metering").unwrap().limits;
    let first_unit = catalogue.route("metering", None).unwrap();
    assert_eq!(first_unit, "ZJFJ");
    assert_eq!(
        mask_text(text),
        "农贸市场的电子秤缺斤短两，买二斤肉只有一斤七两，电话138****5678"
    );

    let mut a = Kept::new();
    a.act("2026-02-11", Event::Accept, Actor::System);
    a.act(
        "2026-02-11",
        Event::Dispatch {
            unit: first_unit.into(),
        },
        Actor::System,
    );
    // 质监 sends it back the next day: the stall is the market's matter (工商).
    a.act(
        "2026-02-12",
        Event::SendBack {
            reason: "属市场主体经营行为，请改派工商".into(),
        },
        Actor::Unit("ZJFJ"),
    );
    assert_eq!(a.ticket.status, Status::SentBack);
    // A repeat arrives while nobody has it.
    let dup_text = "农贸市场电子秤缺斤短两，买二斤肉少了三两";
    let mut b = Kept::new();
    b.act("2026-02-12", Event::Accept, Actor::System);
    let open_a = Candidate {
        id: 1,
        enterprise: None,
        category: "metering".into(),
        received: d("2026-02-11"),
        text: text.into(),
        status: a.ticket.status,
    };
    let new_b = Candidate {
        id: 2,
        enterprise: None,
        category: "metering".into(),
        received: d("2026-02-12"),
        text: dup_text.into(),
        status: b.ticket.status,
    };
    let s = suggestions(&new_b, std::slice::from_ref(&open_a), &MergeRule::default());
    assert_eq!(s.len(), 1, "{s:?}");
    assert_eq!(
        (s[0].id, s[0].reasons.clone()),
        (1, vec![Reason::SimilarText])
    );
    check_merge(&new_b, &open_a).unwrap();
    b.act("2026-02-12", Event::Merge { into: 1 }, Actor::Office);

    // After the holiday the office re-dispatches; 工商 signs, asks for 2 more days, replies.
    a.act(
        "2026-02-24",
        Event::Redispatch {
            unit: "GSFJ".into(),
        },
        Actor::Office,
    );
    let gs = Actor::Unit("GSFJ");
    a.act("2026-02-25", Event::Sign, gs);
    a.act("2026-02-26", Event::Handle, gs);
    a.act("2026-02-26", Event::RequestExtension { days: 2 }, gs);
    a.act("2026-02-27", Event::ApproveExtension, Actor::Office);
    a.act(
        "2026-03-02",
        Event::Reply {
            finding: Finding::Substantiated,
        },
        gs,
    );
    a.act(
        "2026-03-03",
        Event::Visit {
            satisfaction: Satisfaction::Satisfied,
        },
        Actor::Office,
    );
    a.act("2026-03-03", Event::Close, Actor::Office);
    assert_eq!(a.ticket.status, Status::Closed);
    assert_eq!(a.ticket.extension_days, 2);
    assert!(super::ticket::is_credit_event(&a.ticket));

    // The clock: the days sent back (02-13, the worked Saturday 02-14, 02-24) do not count,
    // the Spring Festival is no working day; reply due 02-28 + 2 days' extension = 03-03.
    let facts = ClockFacts::from_history(&a.history);
    let reply = stage_outcome(
        &facts,
        &limits,
        Stage::Reply,
        Basis::Ticket,
        &cal,
        d("2026-03-31"),
    );
    assert_eq!(
        reply,
        Outcome::OnTime {
            deadline: d("2026-03-03"),
            on: d("2026-03-02")
        }
    );
    // Had the clock run while it was sent back, the reply would have been late.
    let no_pause = ClockFacts {
        paused: Vec::new(),
        ..facts.clone()
    };
    assert!(matches!(
        stage_outcome(
            &no_pause,
            &limits,
            Stage::Reply,
            Basis::Ticket,
            &cal,
            d("2026-03-31")
        ),
        Outcome::Late { .. }
    ));

    // On 工商's own clock the reply counts from its dispatch on 02-24: 5 + 2 working days
    // end on 03-04.
    assert_eq!(
        stage_outcome(
            &facts,
            &limits,
            Stage::Reply,
            Basis::Unit,
            &cal,
            d("2026-03-31")
        ),
        Outcome::OnTime {
            deadline: d("2026-03-04"),
            on: d("2026-03-02")
        }
    );

    // The figures at the end of March, and as of a date before the reply.
    let figures = |k: &Kept, as_of: &str| {
        TicketFigures::from_history(&k.history, k.ticket.satisfaction, &limits, &cal, d(as_of))
    };
    let mut march = Counts::default();
    march.add(&figures(&a, "2026-03-31"));
    march.add(&figures(&b, "2026-03-31"));
    assert_eq!(
        march,
        Counts {
            tickets: 2,
            handled: 1,
            sign_due: 1,
            sign_on_time: 1,
            reply_due: 1,
            reply_on_time: 1,
            close_due: 1,
            close_on_time: 1,
            rated: 1,
            satisfied: 1,
            repeats: 1,
        }
    );
    let early = figures(&a, "2026-02-26");
    // As of 02-26 the extension granted on 02-27 does not count yet: 工商's 5 working days
    // from 02-24 end on 03-02.
    assert_eq!(
        early.reply,
        Outcome::Pending {
            deadline: d("2026-03-02")
        }
    );
    assert_eq!(early.satisfaction, None);
    assert_eq!(
        a.history
            .iter()
            .filter(|e| e.kind == EventKind::SendBack)
            .count(),
        1
    );
}

/// Every translation key the complaint rules return is listed in `docs/complaints.md`, where
/// the web layer takes its messages from.
#[test]
fn every_error_key_is_documented() {
    let doc = include_str!("../../../../docs/complaints.md");
    let sources = [
        include_str!("calendar.rs"),
        include_str!("catalogue.rs"),
        include_str!("classify.rs"),
        include_str!("ticket.rs"),
        include_str!("merge.rs"),
        include_str!("personal.rs"),
        include_str!("disputes.rs"),
        include_str!("supervisors.rs"),
    ];
    let mut keys = 0;
    for src in sources {
        for part in src.split('"').skip(1).step_by(2) {
            let is_key = part.starts_with("error-")
                && !part.ends_with('-')
                && part.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            if is_key {
                keys += 1;
                assert!(
                    doc.contains(&format!("`{part}`")),
                    "{part} is not in the doc"
                );
            }
        }
    }
    assert!(keys >= 40, "{keys} keys found");
}
