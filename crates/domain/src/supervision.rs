//! Supervision rules (督查督办): the status and duty of an obligation, which action may move
//! which status where, the obligations a plan implies, the tally of completion, and who may
//! enter an indicator's values. Pure: no IO, no clock; the store loads and persists, these
//! functions decide.
//!
//! Status: not_started → in_progress → submitted → accepted | returned (→ in_progress …).
//! A unit may withdraw (撤回) a submitted obligation until the office reviews it; it then
//! stands in progress again. Acknowledging (签收) and urging (催办) leave the status as it is.

use crate::plan::{Indicator, Plan, UnitKind};
use crate::role::Role;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Where an obligation stands. Stored as its [`ObligationStatus::as_str`] text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObligationStatus {
    /// Nothing reported yet.
    NotStarted,
    /// Progress reported, not handed in.
    InProgress,
    /// Handed in for review (销号申请).
    Submitted,
    /// Accepted by the office (销号): closed.
    Accepted,
    /// Sent back by the office; the unit reports again.
    Returned,
}

impl ObligationStatus {
    /// Every status, in the order lists and filters show them.
    pub const ALL: [ObligationStatus; 5] = [
        ObligationStatus::NotStarted,
        ObligationStatus::InProgress,
        ObligationStatus::Submitted,
        ObligationStatus::Accepted,
        ObligationStatus::Returned,
    ];

    /// The stored spelling (`not_started`).
    pub fn as_str(self) -> &'static str {
        match self {
            ObligationStatus::NotStarted => "not_started",
            ObligationStatus::InProgress => "in_progress",
            ObligationStatus::Submitted => "submitted",
            ObligationStatus::Accepted => "accepted",
            ObligationStatus::Returned => "returned",
        }
    }

    /// Handed in (submitted or accepted): no longer overdue, no further reports.
    pub fn is_handed_in(self) -> bool {
        matches!(
            self,
            ObligationStatus::Submitted | ObligationStatus::Accepted
        )
    }

    /// Accepted (销号): closed for good, its due date no longer moves.
    pub fn is_closed(self) -> bool {
        self == ObligationStatus::Accepted
    }

    /// Not yet handed in: the unit still owes work.
    pub fn is_open(self) -> bool {
        !self.is_handed_in()
    }
}

impl fmt::Display for ObligationStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is no obligation status.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown obligation status `{0}` (expected not_started, in_progress, submitted, accepted or returned)"
)]
pub struct UnknownStatus(pub String);

impl FromStr for ObligationStatus {
    type Err = UnknownStatus;
    /// The exact stored spelling; anything else is an error, never a default.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObligationStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// What a unit owes for a content: it leads (牵头) or undertakes (承办).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Duty {
    /// 牵头: consolidates the cooperating units' reports.
    Lead,
    /// 承办: cooperates.
    Undertaking,
}

impl Duty {
    /// Every duty, lead first.
    pub const ALL: [Duty; 2] = [Duty::Lead, Duty::Undertaking];

    /// The stored spelling (`lead`).
    pub fn as_str(self) -> &'static str {
        match self {
            Duty::Lead => "lead",
            Duty::Undertaking => "undertaking",
        }
    }

    pub fn is_lead(self) -> bool {
        self == Duty::Lead
    }
}

impl fmt::Display for Duty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A text that is no duty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown duty `{0}` (expected lead or undertaking)")]
pub struct UnknownDuty(pub String);

impl FromStr for Duty {
    type Err = UnknownDuty;
    /// The exact stored spelling; anything else is an error.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Duty::ALL
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| UnknownDuty(s.to_string()))
    }
}

/// What someone does to an obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// The unit reports progress.
    Progress,
    /// The unit hands it in for review (销号申请).
    Submit,
    /// The office accepts it (销号).
    Accept,
    /// The office returns it.
    Return,
    /// The unit asks for a later due date.
    RequestExtension,
    /// The office grants a requested due date.
    ApproveExtension,
    /// The office refuses a requested due date.
    RefuseExtension,
    /// The unit takes back its hand-in before the office reviews it (撤回).
    Withdraw,
    /// The unit confirms it has received the obligation (签收).
    Acknowledge,
    /// The office urges the unit by hand (催办): a blue notice, counted as the ladder's.
    Urge,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Progress,
        Action::Submit,
        Action::Accept,
        Action::Return,
        Action::RequestExtension,
        Action::ApproveExtension,
        Action::RefuseExtension,
        Action::Withdraw,
        Action::Acknowledge,
        Action::Urge,
    ];

    /// The spelling in the obligation's history and the audit trail (`obligation.<action>`).
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Progress => "progress",
            Action::Submit => "submit",
            Action::Accept => "accept",
            Action::Return => "return",
            Action::RequestExtension => "extension_request",
            Action::ApproveExtension => "extension_approve",
            Action::RefuseExtension => "extension_refuse",
            Action::Withdraw => "withdraw",
            Action::Acknowledge => "acknowledge",
            Action::Urge => "urge",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an action does not apply to an obligation in its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// Already handed in (submitted or accepted): no more reports until the office returns it.
    #[error("already {0}")]
    HandedIn(ObligationStatus),
    /// Only a submitted obligation can be reviewed.
    #[error("not submitted")]
    NotSubmitted,
    /// Accepted: closed, its due date no longer moves.
    #[error("already accepted")]
    Closed,
    /// Reviewed (accepted or returned): a hand-in can no longer be withdrawn.
    #[error("already reviewed")]
    Reviewed,
    /// Acknowledged (签收) once already.
    #[error("already acknowledged")]
    Acknowledged,
}

impl TransitionError {
    /// The translation key the pages show (`error-obligation-submitted`, …).
    pub fn key(self) -> String {
        match self {
            TransitionError::HandedIn(s) => format!("error-obligation-{s}"),
            TransitionError::NotSubmitted => "error-obligation-not-submitted".to_string(),
            TransitionError::Closed => "error-obligation-accepted".to_string(),
            TransitionError::Reviewed => "error-obligation-reviewed".to_string(),
            TransitionError::Acknowledged => "error-obligation-acknowledged".to_string(),
        }
    }
}

/// The state table: the status an obligation in `status` has after `action`, or why the
/// action does not apply. Extensions keep the status as it is.
pub fn apply(
    status: ObligationStatus,
    action: Action,
) -> Result<ObligationStatus, TransitionError> {
    use Action as A;
    use ObligationStatus as S;
    match (action, status) {
        (A::Progress | A::Submit, S::Submitted | S::Accepted) => {
            Err(TransitionError::HandedIn(status))
        }
        (A::Progress, S::NotStarted | S::InProgress | S::Returned) => Ok(S::InProgress),
        (A::Submit, S::NotStarted | S::InProgress | S::Returned) => Ok(S::Submitted),
        (A::Accept, S::Submitted) => Ok(S::Accepted),
        (A::Return, S::Submitted) => Ok(S::Returned),
        (A::Accept | A::Return, _) => Err(TransitionError::NotSubmitted),
        (A::RequestExtension | A::ApproveExtension, S::Accepted) => Err(TransitionError::Closed),
        (A::RequestExtension | A::ApproveExtension | A::RefuseExtension, s) => Ok(s),
        // Only until the office acts: a reviewed hand-in is the office's decision, not the unit's.
        (A::Withdraw, S::Submitted) => Ok(S::InProgress),
        (A::Withdraw, S::Accepted | S::Returned) => Err(TransitionError::Reviewed),
        (A::Withdraw, S::NotStarted | S::InProgress) => Err(TransitionError::NotSubmitted),
        (A::Acknowledge, s) => Ok(s),
        // Nothing to urge once handed in: the office reviews it instead.
        (A::Urge, s) if s.is_handed_in() => Err(TransitionError::HandedIn(s)),
        (A::Urge, s) => Ok(s),
    }
}

/// Whether a unit may acknowledge (签收) an obligation: once, whatever its status.
pub fn acknowledge(already: bool) -> Result<(), TransitionError> {
    if already {
        Err(TransitionError::Acknowledged)
    } else {
        Ok(())
    }
}

/// The completion percent an obligation has after `action`: 100 when handed in or accepted,
/// the reported figure for progress, unchanged otherwise.
pub fn percent_after(action: Action, reported: i64, current: i64) -> i64 {
    match action {
        Action::Submit | Action::Accept => 100,
        Action::Progress => reported,
        _ => current,
    }
}

/// What one plan version asks of one unit in one period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// Content code, `"2.3.1"`.
    pub content: String,
    /// Unit code.
    pub unit: String,
    pub duty: Duty,
    /// Period key: `"once"`, `"2015"`, `"2015-H1"` …
    pub period: String,
    pub start: Option<NaiveDate>,
    pub due: NaiveDate,
    /// How many times the duty must be done in the period.
    pub times: u32,
}

/// The obligations a plan implies: per content, its lead units and then its undertaking units
/// (各成员单位 expands to every member unit; a unit listed in both is held as lead), per period.
pub fn wanted(plan: &Plan) -> Vec<Wanted> {
    let members: Vec<&str> = plan
        .units
        .iter()
        .filter(|u| u.kind == UnitKind::Member)
        .map(|u| u.code.as_str())
        .collect();
    let expand = |codes: &[String]| -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in codes {
            let group = plan.unit(c).is_some_and(|u| u.kind == UnitKind::Group);
            let list: Vec<String> = if group {
                members.iter().map(|m| m.to_string()).collect()
            } else {
                vec![c.clone()]
            };
            for u in list {
                if !out.contains(&u) {
                    out.push(u);
                }
            }
        }
        out
    };
    let mut out = Vec::new();
    for (_, _, c) in plan.contents() {
        let leads = expand(&c.lead_units);
        let mut duties: Vec<(String, Duty)> =
            leads.iter().map(|u| (u.clone(), Duty::Lead)).collect();
        for u in expand(&c.undertaking_units) {
            if !leads.contains(&u) {
                duties.push((u, Duty::Undertaking));
            }
        }
        for p in c.deadline.periods(plan.plan.recurring_until) {
            for (unit, duty) in &duties {
                out.push(Wanted {
                    content: c.code.clone(),
                    unit: unit.clone(),
                    duty: *duty,
                    period: p.key.clone(),
                    start: p.start,
                    due: p.due,
                    times: p.times,
                });
            }
        }
    }
    out
}

/// Category code of a content code ("4.8.1" → "4").
pub fn category_of(content_code: &str) -> &str {
    content_code.split('.').next().unwrap_or(content_code)
}

/// What the completion rules need to know of one obligation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ObligationFacts {
    pub status: ObligationStatus,
    /// `None` when the stored date does not read as a date.
    pub due: Option<NaiveDate>,
    /// When it was (last) handed in; `None` when never or unreadable.
    pub submitted_on: Option<NaiveDate>,
    /// When the office accepted it (销号); `None` while not accepted.
    pub accepted_on: Option<NaiveDate>,
}

impl ObligationFacts {
    /// Closed (销号) on or before `at`.
    pub fn closed_by(&self, at: NaiveDate) -> bool {
        self.status == ObligationStatus::Accepted && self.accepted_on.is_none_or(|d| d <= at)
    }

    /// Handed in on or before `at`, and not returned since: closed by then, or now submitted or
    /// accepted with its last hand-in by then.
    pub fn handed_in_by(&self, at: NaiveDate) -> bool {
        self.closed_by(at)
            || (self.status.is_handed_in() && self.submitted_on.is_some_and(|d| d <= at))
    }

    /// Counted in what should be done by `at` (应完成): due by then, or closed by then even
    /// though due later (work closed early counts in the denominator as in the numerator).
    pub fn expected_by(&self, at: NaiveDate) -> bool {
        self.due.is_some_and(|d| d <= at) || self.closed_by(at)
    }

    /// Past its due date on `at` and not handed in by then.
    pub fn overdue(&self, at: NaiveDate) -> bool {
        self.due.is_some_and(|d| at > d) && !self.handed_in_by(at)
    }

    /// Days past due on `at` (0 when not overdue).
    pub fn days_overdue(&self, at: NaiveDate) -> i64 {
        match self.due {
            Some(d) if self.overdue(at) => (at - d).num_days(),
            _ => 0,
        }
    }

    /// The day it entered 应完成 as of `at`: its due date, or the day it was closed when that
    /// came first; `None` while it is not expected.
    pub fn expected_since(&self, at: NaiveDate) -> Option<NaiveDate> {
        if !self.expected_by(at) {
            return None;
        }
        let closed = self.accepted_on.filter(|_| self.closed_by(at));
        match (self.due, closed) {
            (Some(d), Some(c)) => Some(d.min(c)),
            (d, c) => d.or(c),
        }
    }

    /// Counted in the figures of the period from `start` to `at`: it entered 应完成 in it. The
    /// periods of a year add up to the year, and each obligation counts in one period only.
    pub fn expected_in(&self, start: NaiveDate, at: NaiveDate) -> bool {
        self.expected_since(at).is_some_and(|d| d >= start)
    }

    /// Handed in by its due date.
    pub fn on_time(&self) -> bool {
        match (self.submitted_on, self.due) {
            (Some(s), Some(d)) => s <= d,
            _ => false,
        }
    }
}

/// The supervision figures of a set of obligations as of a date: one definition for every
/// page, export, bulletin, report and API answer (`docs/figures.md`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Every obligation counted (whatever its date).
    pub total: usize,
    /// 应完成: due by the date, or closed by then though due later.
    pub expected: usize,
    /// 已销号: of those, accepted by the office by the date.
    pub closed: usize,
    /// Handed in and waiting for review on the date.
    pub submitted: usize,
    /// 按时: of those expected, handed in by the date and on or before their due date.
    pub on_time: usize,
    /// 逾期: past due on the date and not handed in.
    pub overdue: usize,
    /// 逾期报送: of those expected, handed in by the date but after their due date.
    pub late: usize,
    /// Returned for more work and not handed in again.
    pub returned: usize,
}

impl Tally {
    /// Counts one obligation as of `at`.
    pub fn add(&mut self, o: &ObligationFacts, at: NaiveDate) {
        self.total += 1;
        let expected = o.expected_by(at);
        if expected {
            self.expected += 1;
        }
        if o.closed_by(at) {
            self.closed += 1;
        } else if o.handed_in_by(at) {
            self.submitted += 1;
        } else if o.status == ObligationStatus::Returned {
            self.returned += 1;
        }
        if expected && o.handed_in_by(at) {
            if o.on_time() {
                self.on_time += 1;
            } else {
                self.late += 1;
            }
        }
        if o.overdue(at) {
            self.overdue += 1;
        }
    }

    pub fn merge(&mut self, o: &Tally) {
        self.total += o.total;
        self.expected += o.expected;
        self.closed += o.closed;
        self.submitted += o.submitted;
        self.on_time += o.on_time;
        self.overdue += o.overdue;
        self.late += o.late;
        self.returned += o.returned;
    }

    /// 完成率: closed ÷ expected × 100; `None` ("—", not ranked) when nothing is expected yet.
    /// Never above 100: every closed obligation is expected.
    pub fn completion_rate(&self) -> Option<f64> {
        rate(self.closed, self.expected)
    }

    /// 按时完成率: handed in on time ÷ expected × 100; `None` when nothing is expected yet.
    pub fn on_time_rate(&self) -> Option<f64> {
        rate(self.on_time, self.expected)
    }

    /// The completion rate as every page shows it ("47.6%" or "—").
    pub fn completion_text(&self) -> String {
        rate_text(self.completion_rate())
    }

    /// The on-time rate as every page shows it.
    pub fn on_time_text(&self) -> String {
        rate_text(self.on_time_rate())
    }
}

/// The 催办 (blue), 督办 (yellow) and 通报 (red) notices a unit received in a period: one count
/// for the bulletin, the assessment and every page (`docs/figures.md`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct NoticeCounts {
    pub blue: u32,
    pub yellow: u32,
    pub red: u32,
}

impl NoticeCounts {
    /// Counts `n` notices of a stored level (`blue`, `yellow`, `red`; reminders and other
    /// levels are not escalations and are not counted).
    pub fn add(&mut self, level: &str, n: u32) {
        match level {
            "blue" => self.blue += n,
            "yellow" => self.yellow += n,
            "red" => self.red += n,
            _ => {}
        }
    }
}

/// A share in percent, `None` for an empty denominator.
pub fn rate(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| part.min(whole) as f64 * 100.0 / whole as f64)
}

/// A rate as shown everywhere: one decimal, or "—" when there is none.
pub fn rate_text(rate: Option<f64>) -> String {
    match rate {
        Some(r) => format!("{:.1}%", (r * 10.0).round() / 10.0),
        None => "—".to_string(),
    }
}

/// Units answerable for an indicator: the member units that lead the contents carrying it.
pub fn responsible_units(plan: &Plan, ind: &Indicator) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for code in &ind.contents {
        if let Some(c) = plan.content(code) {
            for u in &c.lead_units {
                if !out.contains(u) && plan.unit(u).is_some_and(|x| x.kind == UnitKind::Member) {
                    out.push(u.clone());
                }
            }
        }
    }
    out
}

/// Who is entering an indicator value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entrant<'a> {
    /// The office (强区办).
    Office,
    /// Staff of the unit with this code.
    Unit(&'a str),
    /// Anyone else (leaders, evaluators, a unit account without a unit).
    Other,
}

impl<'a> Entrant<'a> {
    /// The entrant a signed-in role (and its unit's code) stands for.
    pub fn of(role: Role, unit_code: Option<&'a str>) -> Entrant<'a> {
        match (role, unit_code) {
            (Role::Office, _) => Entrant::Office,
            (Role::Unit, Some(code)) => Entrant::Unit(code),
            _ => Entrant::Other,
        }
    }
}

/// Whether `who` may enter values for `ind`: the office anything, a unit the indicators it
/// answers for ([`responsible_units`]), nobody else.
pub fn may_enter_value(plan: &Plan, ind: &Indicator, who: Entrant<'_>) -> bool {
    match who {
        Entrant::Office => true,
        Entrant::Unit(code) => responsible_units(plan, ind).iter().any(|u| u == code),
        Entrant::Other => false,
    }
}

#[cfg(test)]
mod tests;

/// When reminders and escalations fire.
#[derive(Debug, Clone)]
pub struct Ladder {
    /// Days before the due date a reminder goes out (most urgent one applicable fires).
    pub reminder_days: Vec<i64>,
    /// Days after the due date for blue 催办, yellow 督办, red 通报 (0 = the first overdue day).
    pub escalation_days: [i64; 3],
}

impl Default for Ladder {
    fn default() -> Self {
        Ladder {
            reminder_days: vec![7, 3, 1],
            escalation_days: [0, 7, 15],
        }
    }
}
