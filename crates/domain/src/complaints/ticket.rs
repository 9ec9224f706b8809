//! A complaint ticket (工单) through the 12345 flow, and its clock.
//!
//! new → accepted → dispatched → signed (签收) → handling → replied (答复) → visited (回访, with
//! a satisfaction rating) → closed (办结); the office may reopen a visited or closed ticket
//! (重办). A unit may send a ticket back (退单) with a reason before it replies; the office then
//! re-dispatches it (改派). The second send-back opens a dispatch dispute (派单异议) that the
//! office decides; after that, or after escalation (提级办理), the unit can no longer send it
//! back. A ticket may be merged into another (并单), declined (不予受理), extended on request.
//!
//! [`apply`] is the state table. The clock ([`ClockFacts`], [`stage_outcome`]) counts working
//! days on the official calendar, on two bases ([`Basis`]): the unit's own clock from its
//! dispatch (for its queue, warnings and the figures), and the ticket's clock from the first
//! dispatch (for the citizen), which stops while the ticket is sent back or in dispute.

use super::calendar::Calendar;
use super::catalogue::Limits;
use crate::registry::{CodeList, code_list};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

code_list! {
    /// Where a ticket came from.
    Channel {
        Hotline12315 = "12315", ["12315热线", "12315"], "12315 hotline";
        Hotline12365 = "12365", ["12365热线", "12365"], "12365 hotline";
        Hotline12345 = "12345", ["12345热线", "12345"], "12345 hotline";
        Web = "web", ["网站", "网上投诉", "网络"], "Web form";
        Letter = "letter", ["来信", "信件"], "Letter";
        Visit = "visit", ["来访", "现场"], "Visit in person";
        /// A social quality supervisor's observation (质量监督员).
        Supervisor = "supervisor", ["质量监督员", "监督员"], "Quality supervisor";
        Open311 = "open311", ["Open311"], "Open311";
    }
}

code_list! {
    /// Where a ticket stands.
    Status {
        /// Received, not yet accepted (待受理).
        New = "new", ["待受理"], "New";
        /// Accepted, waiting to be dispatched; the office's triage queue (待派单).
        Accepted = "accepted", ["已受理"], "Accepted";
        /// Dispatched, waiting for the unit to sign (待签收).
        Dispatched = "dispatched", ["已派单"], "Dispatched";
        Signed = "signed", ["已签收"], "Signed";
        Handling = "handling", ["办理中"], "Being handled";
        /// The unit has replied; waiting for the follow-up visit (待回访).
        Replied = "replied", ["已答复"], "Replied";
        /// Visited, waiting for the office to close it.
        Visited = "visited", ["已回访"], "Visited";
        Closed = "closed", ["已办结"], "Closed";
        /// Sent back by the unit (退单): the office re-dispatches it. The clock stops.
        SentBack = "sent_back", ["已退单"], "Sent back";
        /// The second send-back: the office decides who handles it (派单异议). The clock stops.
        Disputed = "disputed", ["派单异议"], "Dispatch disputed";
        /// Not accepted (不予受理).
        Declined = "declined", ["不予受理"], "Declined";
        /// Merged into another ticket (并单).
        Merged = "merged", ["已并单"], "Merged";
    }
}

impl Status {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        self.code()
    }

    /// Finished: closed, declined or merged. Nothing more happens to it but a reopen.
    pub fn is_finished(self) -> bool {
        matches!(self, Status::Closed | Status::Declined | Status::Merged)
    }

    /// With a unit: dispatched, signed or being handled.
    pub fn is_with_unit(self) -> bool {
        matches!(self, Status::Dispatched | Status::Signed | Status::Handling)
    }

    /// The Open311 GeoReport v2 status: only `open` and `closed` exist there.
    pub fn open311(self) -> &'static str {
        if self.is_finished() { "closed" } else { "open" }
    }
}

code_list! {
    /// The rating the citizen gives at the follow-up visit.
    Satisfaction {
        Satisfied = "satisfied", ["满意"], "Satisfied";
        Basic = "basic", ["基本满意"], "Fairly satisfied";
        Dissatisfied = "dissatisfied", ["不满意"], "Dissatisfied";
        /// The visit did not reach the citizen: not counted in the satisfaction rate.
        Unreachable = "unreachable", ["未联系上", "无法联系"], "Not reached";
    }
}

impl Satisfaction {
    /// Counted as satisfied (满意 or 基本满意).
    pub fn is_satisfied(self) -> bool {
        matches!(self, Satisfaction::Satisfied | Satisfaction::Basic)
    }

    /// A rating was given (the citizen was reached).
    pub fn is_rated(self) -> bool {
        self != Satisfaction::Unreachable
    }
}

code_list! {
    /// What the unit found (核查结果), stated with its reply.
    Finding {
        Substantiated = "substantiated", ["属实", "情况属实"], "Substantiated";
        Partly = "partly", ["部分属实"], "Partly substantiated";
        Unfounded = "unfounded", ["不属实", "情况不属实"], "Unfounded";
        /// 无法核实: the facts could not be established.
        Undetermined = "undetermined", ["无法核实", "无法认定"], "Could not be established";
    }
}

impl Finding {
    /// A closed ticket with this finding against a named enterprise becomes a credit event
    /// (`credit::EventKind::Complaint`, 质量投诉属实).
    pub fn is_credit_event(self) -> bool {
        matches!(self, Finding::Substantiated | Finding::Partly)
    }
}

code_list! {
    /// What happened to a ticket, as its history stores it.
    EventKind {
        Accept = "accept", ["受理"], "Accepted";
        Decline = "decline", ["不予受理"], "Declined";
        Dispatch = "dispatch", ["派单"], "Dispatched";
        Sign = "sign", ["签收"], "Signed";
        Handle = "handle", ["办理"], "Progress";
        Reply = "reply", ["答复"], "Replied";
        Visit = "visit", ["回访"], "Visited";
        Close = "close", ["办结"], "Closed";
        Reopen = "reopen", ["重办"], "Reopened";
        SendBack = "send_back", ["退单"], "Sent back";
        Redispatch = "redispatch", ["改派"], "Re-dispatched";
        DecideDispute = "decide_dispute", ["派单异议裁定"], "Dispute decided";
        Escalate = "escalate", ["提级办理"], "Escalated";
        Merge = "merge", ["并单"], "Merged";
        RequestExtension = "extension_request", ["延期申请"], "Extension requested";
        ApproveExtension = "extension_approve", ["同意延期"], "Extension approved";
        RefuseExtension = "extension_refuse", ["不同意延期"], "Extension refused";
        AddInfo = "add_info", ["补充信息"], "Information added";
    }
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

/// Whether a ticket becomes a credit event in the file of the enterprise it names: closed,
/// with a substantiated (or partly substantiated) finding.
pub fn is_credit_event(t: &Ticket) -> bool {
    t.status == Status::Closed && t.finding.is_some_and(Finding::is_credit_event)
}

/// The longest extension a unit may ask for at once, in working days.
pub const MAX_EXTENSION_DAYS: u32 = 30;

/// An event with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Accept,
    Decline {
        reason: String,
    },
    Dispatch {
        unit: String,
    },
    Sign,
    Handle,
    /// The unit's answer, with what it found.
    Reply {
        finding: Finding,
    },
    Visit {
        satisfaction: Satisfaction,
    },
    Close,
    Reopen {
        reason: String,
    },
    SendBack {
        reason: String,
    },
    Redispatch {
        unit: String,
    },
    DecideDispute {
        unit: String,
    },
    Escalate {
        unit: String,
    },
    Merge {
        into: i64,
    },
    RequestExtension {
        days: u32,
    },
    ApproveExtension,
    RefuseExtension,
    AddInfo,
}

impl Event {
    pub fn kind(&self) -> EventKind {
        use EventKind as K;
        match self {
            Event::Accept => K::Accept,
            Event::Decline { .. } => K::Decline,
            Event::Dispatch { .. } => K::Dispatch,
            Event::Sign => K::Sign,
            Event::Handle => K::Handle,
            Event::Reply { .. } => K::Reply,
            Event::Visit { .. } => K::Visit,
            Event::Close => K::Close,
            Event::Reopen { .. } => K::Reopen,
            Event::SendBack { .. } => K::SendBack,
            Event::Redispatch { .. } => K::Redispatch,
            Event::DecideDispute { .. } => K::DecideDispute,
            Event::Escalate { .. } => K::Escalate,
            Event::Merge { .. } => K::Merge,
            Event::RequestExtension { .. } => K::RequestExtension,
            Event::ApproveExtension => K::ApproveExtension,
            Event::RefuseExtension => K::RefuseExtension,
            Event::AddInfo => K::AddInfo,
        }
    }
}

/// Who acts on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor<'a> {
    /// The office (hotline operators, 强区办).
    Office,
    /// Staff of the unit with this code.
    Unit(&'a str),
    /// The citizen who filed it (through the verification code).
    Citizen,
    /// The platform itself (automatic acceptance and routing).
    System,
}

/// What the transition rules need to know of a ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    pub status: Status,
    /// The unit handling it now (the "who has it" marker); `None` while with the office.
    pub unit: Option<String>,
    /// Send-backs so far.
    pub bounces: u32,
    /// The office decided a dispatch dispute or escalated it: no more send-backs.
    pub dispute_decided: bool,
    pub escalated: bool,
    /// Working days asked for and not yet decided.
    pub pending_extension: Option<u32>,
    /// Working days granted in this round, added to the reply and close limits.
    pub extension_days: u32,
    pub satisfaction: Option<Satisfaction>,
    /// What the unit found, from its last reply.
    pub finding: Option<Finding>,
    pub merged_into: Option<i64>,
    pub reopened: u32,
}

impl Default for Ticket {
    fn default() -> Self {
        Ticket::new()
    }
}

impl Ticket {
    /// A ticket just received.
    pub fn new() -> Ticket {
        Ticket {
            status: Status::New,
            unit: None,
            bounces: 0,
            dispute_decided: false,
            escalated: false,
            pending_extension: None,
            extension_days: 0,
            satisfaction: None,
            finding: None,
            merged_into: None,
            reopened: 0,
        }
    }
}

/// Why an event does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("`{event}` does not apply to a ticket that is {status}")]
    NotAllowed { event: EventKind, status: Status },
    #[error("only the office may do this")]
    OfficeOnly,
    #[error("the ticket is not with this unit")]
    NotHandlingUnit,
    #[error("only the citizen or the office may add information")]
    NotTheCitizen,
    #[error("a reason is required")]
    ReasonMissing,
    #[error("a unit is required")]
    UnitMissing,
    #[error("the ticket is already with this unit")]
    SameUnit,
    /// The office decided the dispute (or escalated): the unit handles it.
    #[error("the dispatch was decided by the office; it can no longer be sent back")]
    DisputeDecided,
    #[error("already escalated")]
    AlreadyEscalated,
    #[error("an extension request is already waiting")]
    ExtensionPending,
    #[error("no extension request is waiting")]
    NoExtensionPending,
    #[error("an extension must be 1 to {MAX_EXTENSION_DAYS} working days")]
    ExtensionDays,
}

impl TransitionError {
    /// The translation key a page shows (`error-complaint-not-allowed`, …).
    pub fn key(&self) -> &'static str {
        match self {
            Self::NotAllowed { .. } => "error-complaint-not-allowed",
            Self::OfficeOnly => "error-complaint-office-only",
            Self::NotHandlingUnit => "error-complaint-not-your-ticket",
            Self::NotTheCitizen => "error-complaint-not-the-citizen",
            Self::ReasonMissing => "error-complaint-reason-missing",
            Self::UnitMissing => "error-complaint-unit-missing",
            Self::SameUnit => "error-complaint-same-unit",
            Self::DisputeDecided => "error-complaint-dispute-decided",
            Self::AlreadyEscalated => "error-complaint-already-escalated",
            Self::ExtensionPending => "error-complaint-extension-pending",
            Self::NoExtensionPending => "error-complaint-no-extension",
            Self::ExtensionDays => "error-complaint-extension-days",
        }
    }
}

fn office(who: Actor<'_>) -> Result<(), TransitionError> {
    match who {
        Actor::Office | Actor::System => Ok(()),
        _ => Err(TransitionError::OfficeOnly),
    }
}

fn handling_unit(t: &Ticket, who: Actor<'_>) -> Result<(), TransitionError> {
    match (who, &t.unit) {
        (Actor::Unit(code), Some(unit)) if code == unit => Ok(()),
        _ => Err(TransitionError::NotHandlingUnit),
    }
}

fn text(s: &str, err: TransitionError) -> Result<String, TransitionError> {
    let s = s.trim();
    if s.is_empty() {
        Err(err)
    } else {
        Ok(s.to_string())
    }
}

/// The state table: the ticket after `event` by `who`, or why it does not apply. The status
/// is checked first, then who may act, then what the event carries.
pub fn apply(t: &Ticket, event: &Event, who: Actor<'_>) -> Result<Ticket, TransitionError> {
    use Status as S;
    let not_allowed = || TransitionError::NotAllowed {
        event: event.kind(),
        status: t.status,
    };
    let mut next = t.clone();
    match (event, t.status) {
        (Event::Accept, S::New) => {
            office(who)?;
            next.status = S::Accepted;
        }
        (Event::Decline { reason }, S::New | S::Accepted) => {
            office(who)?;
            text(reason, TransitionError::ReasonMissing)?;
            next.status = S::Declined;
        }
        (Event::Dispatch { unit }, S::Accepted) => {
            office(who)?;
            next.unit = Some(text(unit, TransitionError::UnitMissing)?);
            next.status = S::Dispatched;
        }
        (Event::Sign, S::Dispatched) => {
            handling_unit(t, who)?;
            next.status = S::Signed;
        }
        (Event::Handle, S::Signed | S::Handling) => {
            handling_unit(t, who)?;
            next.status = S::Handling;
        }
        (Event::Reply { finding }, S::Signed | S::Handling) => {
            handling_unit(t, who)?;
            next.finding = Some(*finding);
            next.status = S::Replied;
            next.pending_extension = None;
        }
        (Event::Visit { satisfaction }, S::Replied) => {
            office(who)?;
            next.satisfaction = Some(*satisfaction);
            next.status = S::Visited;
        }
        (Event::Close, S::Visited) => {
            office(who)?;
            next.status = S::Closed;
        }
        (Event::Reopen { reason }, S::Visited | S::Closed) => {
            office(who)?;
            text(reason, TransitionError::ReasonMissing)?;
            if t.unit.is_none() {
                return Err(TransitionError::UnitMissing);
            }
            next.status = S::Handling;
            next.reopened += 1;
            next.satisfaction = None;
            next.extension_days = 0;
            next.pending_extension = None;
        }
        (Event::SendBack { reason }, S::Dispatched | S::Signed) => {
            handling_unit(t, who)?;
            text(reason, TransitionError::ReasonMissing)?;
            if t.dispute_decided {
                return Err(TransitionError::DisputeDecided);
            }
            next.bounces += 1;
            next.unit = None;
            next.pending_extension = None;
            next.status = if next.bounces >= 2 {
                S::Disputed
            } else {
                S::SentBack
            };
        }
        (Event::Redispatch { unit }, S::SentBack | S::Dispatched | S::Signed | S::Handling) => {
            office(who)?;
            let unit = text(unit, TransitionError::UnitMissing)?;
            if t.unit.as_deref() == Some(unit.as_str()) {
                return Err(TransitionError::SameUnit);
            }
            next.unit = Some(unit);
            next.pending_extension = None;
            next.status = S::Dispatched;
        }
        (Event::DecideDispute { unit }, S::Disputed) => {
            office(who)?;
            next.unit = Some(text(unit, TransitionError::UnitMissing)?);
            next.dispute_decided = true;
            next.status = S::Dispatched;
        }
        (
            Event::Escalate { unit },
            S::Dispatched | S::Signed | S::Handling | S::SentBack | S::Disputed,
        ) => {
            office(who)?;
            if t.escalated {
                return Err(TransitionError::AlreadyEscalated);
            }
            next.unit = Some(text(unit, TransitionError::UnitMissing)?);
            next.escalated = true;
            next.dispute_decided = true;
            next.pending_extension = None;
            next.status = S::Dispatched;
        }
        (
            Event::Merge { into },
            S::New
            | S::Accepted
            | S::Dispatched
            | S::Signed
            | S::Handling
            | S::SentBack
            | S::Disputed,
        ) => {
            office(who)?;
            next.merged_into = Some(*into);
            next.pending_extension = None;
            next.status = S::Merged;
        }
        (Event::RequestExtension { days }, S::Signed | S::Handling) => {
            handling_unit(t, who)?;
            if t.pending_extension.is_some() {
                return Err(TransitionError::ExtensionPending);
            }
            if *days == 0 || *days > MAX_EXTENSION_DAYS {
                return Err(TransitionError::ExtensionDays);
            }
            next.pending_extension = Some(*days);
        }
        (Event::ApproveExtension | Event::RefuseExtension, s) if !s.is_finished() => {
            office(who)?;
            let Some(days) = t.pending_extension else {
                return Err(TransitionError::NoExtensionPending);
            };
            if matches!(event, Event::ApproveExtension) {
                next.extension_days += days;
            }
            next.pending_extension = None;
        }
        (Event::AddInfo, s) if !s.is_finished() => {
            if !matches!(who, Actor::Citizen | Actor::Office) {
                return Err(TransitionError::NotTheCitizen);
            }
        }
        _ => return Err(not_allowed()),
    }
    Ok(next)
}

/// The events that apply to a ticket for `who`, for the buttons a page shows (events carrying
/// data are tried with a placeholder).
pub fn allowed(t: &Ticket, who: Actor<'_>) -> Vec<EventKind> {
    let x = || "x".to_string();
    let probes = [
        Event::Accept,
        Event::Decline { reason: x() },
        Event::Dispatch { unit: x() },
        Event::Sign,
        Event::Handle,
        Event::Reply {
            finding: Finding::Substantiated,
        },
        Event::Visit {
            satisfaction: Satisfaction::Satisfied,
        },
        Event::Close,
        Event::Reopen { reason: x() },
        Event::SendBack { reason: x() },
        Event::Redispatch {
            unit: "\u{0}other".to_string(),
        },
        Event::DecideDispute { unit: x() },
        Event::Escalate { unit: x() },
        Event::Merge { into: 0 },
        Event::RequestExtension { days: 1 },
        Event::ApproveExtension,
        Event::RefuseExtension,
        Event::AddInfo,
    ];
    probes
        .iter()
        .filter(|e| apply(t, e, who).is_ok())
        .map(Event::kind)
        .collect()
}

/// One dated entry of a ticket's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dated {
    pub on: NaiveDate,
    pub kind: EventKind,
    /// For an approved extension, the working days granted; 0 otherwise.
    pub days: u32,
}

impl Dated {
    pub fn new(on: NaiveDate, kind: EventKind) -> Dated {
        Dated { on, kind, days: 0 }
    }

    /// An approved extension of `days` working days.
    pub fn extension(on: NaiveDate, days: u32) -> Dated {
        Dated {
            on,
            kind: EventKind::ApproveExtension,
            days,
        }
    }
}

/// A stopped clock: the working days after `from` up to and including `to` do not count;
/// `to = None` while it is still stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub from: NaiveDate,
    pub to: Option<NaiveDate>,
}

impl Pause {
    fn covers(&self, d: NaiveDate) -> bool {
        d > self.from && self.to.is_none_or(|t| d <= t)
    }
}

/// What the clock needs to know of a ticket, folded from its history.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClockFacts {
    /// The latest dispatch to the unit that has it now: the sign clock starts here.
    pub last_dispatch: Option<NaiveDate>,
    /// The first dispatch, or the last reopen: the reply and close clocks start here, so
    /// bouncing a ticket does not restart them.
    pub round_start: Option<NaiveDate>,
    pub signed: Option<NaiveDate>,
    pub replied: Option<NaiveDate>,
    pub closed: Option<NaiveDate>,
    /// Sent back or in dispute, in this round.
    pub paused: Vec<Pause>,
    /// Working days granted in this round.
    pub extension_days: u32,
    /// Of those, granted since the latest dispatch (to the unit that has it now).
    pub unit_extension_days: u32,
}

impl ClockFacts {
    /// Folds a history in date order.
    pub fn from_history(history: &[Dated]) -> ClockFacts {
        use EventKind as K;
        let mut f = ClockFacts::default();
        for e in history {
            match e.kind {
                K::Dispatch | K::Redispatch | K::DecideDispute | K::Escalate => {
                    if f.round_start.is_none() {
                        f.round_start = Some(e.on);
                    }
                    f.last_dispatch = Some(e.on);
                    f.signed = None;
                    f.unit_extension_days = 0;
                    f.end_pause(e.on);
                }
                K::Sign => {
                    f.signed.get_or_insert(e.on);
                }
                K::Reply => f.replied = Some(e.on),
                K::Close => f.closed = Some(e.on),
                K::ApproveExtension => {
                    f.extension_days += e.days;
                    f.unit_extension_days += e.days;
                }
                K::Reopen => {
                    f.round_start = Some(e.on);
                    f.replied = None;
                    f.closed = None;
                    f.paused.clear();
                    f.extension_days = 0;
                    f.unit_extension_days = 0;
                }
                // A second send-back while already stopped keeps the first stop.
                K::SendBack if !f.is_paused() => f.paused.push(Pause {
                    from: e.on,
                    to: None,
                }),
                _ => {}
            }
        }
        f
    }

    fn end_pause(&mut self, on: NaiveDate) {
        for p in self.paused.iter_mut().filter(|p| p.to.is_none()) {
            p.to = Some(on);
        }
    }

    fn is_paused(&self) -> bool {
        self.paused.iter().any(|p| p.to.is_none())
    }
}

/// The three deadlines of a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    Sign,
    Reply,
    Close,
}

impl Stage {
    pub const ALL: [Stage; 3] = [Stage::Sign, Stage::Reply, Stage::Close];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Sign => "sign",
            Stage::Reply => "reply",
            Stage::Close => "close",
        }
    }
}

/// Where a stage stands on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Not dispatched yet: no clock.
    NotStarted,
    /// Sent back or in dispute: the clock is stopped.
    Paused,
    /// Not done, deadline not passed.
    Pending {
        deadline: NaiveDate,
    },
    /// Not done, deadline passed.
    Overdue {
        deadline: NaiveDate,
    },
    OnTime {
        deadline: NaiveDate,
        on: NaiveDate,
    },
    Late {
        deadline: NaiveDate,
        on: NaiveDate,
    },
}

impl Outcome {
    /// Counted in the on-time rate's denominator on the date: done, or due and not done.
    pub fn is_due(self) -> bool {
        matches!(
            self,
            Outcome::Overdue { .. } | Outcome::OnTime { .. } | Outcome::Late { .. }
        )
    }

    pub fn is_on_time(self) -> bool {
        matches!(self, Outcome::OnTime { .. })
    }

    pub fn deadline(self) -> Option<NaiveDate> {
        match self {
            Outcome::Pending { deadline }
            | Outcome::Overdue { deadline }
            | Outcome::OnTime { deadline, .. }
            | Outcome::Late { deadline, .. } => Some(deadline),
            Outcome::NotStarted | Outcome::Paused => None,
        }
    }
}

/// Whose clock a deadline is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basis {
    /// The unit's own clock: reply and close count from the dispatch to the unit that has the
    /// ticket now (or from the last reopen, if later), with the extensions granted to it. A
    /// unit is judged on the time it had: its queue, its warnings and the figures use this.
    Unit,
    /// The ticket's clock: reply and close count from the first dispatch (or the last reopen)
    /// with every extension of the round, not counting the days it was sent back or in
    /// dispute. The citizen's expected date (Open311 `expected_datetime`) uses this.
    Ticket,
}

/// Where one stage stands on `today`. The sign clock always starts at the latest dispatch.
pub fn stage_outcome(
    f: &ClockFacts,
    limits: &Limits,
    stage: Stage,
    basis: Basis,
    cal: &Calendar,
    today: NaiveDate,
) -> Outcome {
    let (round, extension) = match basis {
        Basis::Ticket => (f.round_start, f.extension_days),
        Basis::Unit => (f.last_dispatch.max(f.round_start), f.unit_extension_days),
    };
    let (start, days, done) = match stage {
        Stage::Sign => (f.last_dispatch, limits.sign, f.signed),
        Stage::Reply => (round, limits.reply + extension, f.replied),
        Stage::Close => (round, limits.close + extension, f.closed),
    };
    let Some(start) = start else {
        return Outcome::NotStarted;
    };
    if done.is_none() && f.is_paused() {
        return Outcome::Paused;
    }
    // Once done, a pause still open (impossible in the flow) ends on the day it was done.
    let paused = |d: NaiveDate| {
        f.paused.iter().any(|p| {
            Pause {
                from: p.from,
                to: p.to.or(done),
            }
            .covers(d)
        })
    };
    // Pauses end at a dispatch, so they concern only the ticket's clock.
    let deadline = cal.add_working_days_except(start, days, paused);
    match done {
        Some(on) if on <= deadline => Outcome::OnTime { deadline, on },
        Some(on) => Outcome::Late { deadline, on },
        None if today > deadline => Outcome::Overdue { deadline },
        None => Outcome::Pending { deadline },
    }
}

/// The three stages on `today`.
pub fn clock(
    f: &ClockFacts,
    limits: &Limits,
    basis: Basis,
    cal: &Calendar,
    today: NaiveDate,
) -> [(Stage, Outcome); 3] {
    Stage::ALL.map(|s| (s, stage_outcome(f, limits, s, basis, cal, today)))
}

/// A warning on a ticket's deadline, mildest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Warning {
    /// Due within the reminder window (提醒).
    Reminder,
    /// 蓝色预警: overdue (催办).
    Blue,
    /// 黄色预警: overdue longer (督办).
    Yellow,
    /// 红色预警: overdue longest (通报).
    Red,
}

impl Warning {
    /// The stored level, as supervision's notices store theirs (`info`, `blue`, …), so
    /// `supervision::NoticeCounts::add` counts them.
    pub fn level(self) -> &'static str {
        match self {
            Warning::Reminder => "info",
            Warning::Blue => "blue",
            Warning::Yellow => "yellow",
            Warning::Red => "red",
        }
    }
}

/// When warnings fire, in working days (supervision's ladder counts calendar days after a
/// due date months away; a ticket's limits are days, so its ladder counts working days).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningLadder {
    /// A reminder when this many working days or fewer are left.
    pub remind_within: u32,
    /// Working days overdue for blue, yellow and red (at least 1 each).
    pub escalation: [u32; 3],
}

impl Default for WarningLadder {
    fn default() -> Self {
        WarningLadder {
            remind_within: 1,
            escalation: [1, 3, 5],
        }
    }
}

/// The warning one stage calls for on `today`.
pub fn warning(
    outcome: Outcome,
    cal: &Calendar,
    today: NaiveDate,
    ladder: &WarningLadder,
) -> Option<Warning> {
    match outcome {
        Outcome::Pending { deadline } => {
            let left = cal.working_days_between(today, deadline);
            (left <= i64::from(ladder.remind_within)).then_some(Warning::Reminder)
        }
        Outcome::Overdue { deadline } => {
            let late = cal.working_days_between(deadline, today);
            let levels = [Warning::Blue, Warning::Yellow, Warning::Red];
            (0..3)
                .rev()
                .find(|l| late >= i64::from(ladder.escalation[*l].max(1)))
                .map(|l| levels[l])
        }
        _ => None,
    }
}

/// The worst warning over a ticket's stages.
pub fn ticket_warning(
    f: &ClockFacts,
    limits: &Limits,
    basis: Basis,
    cal: &Calendar,
    today: NaiveDate,
    ladder: &WarningLadder,
) -> Option<Warning> {
    clock(f, limits, basis, cal, today)
        .into_iter()
        .filter_map(|(_, o)| warning(o, cal, today, ladder))
        .max()
}

#[cfg(test)]
mod tests;
