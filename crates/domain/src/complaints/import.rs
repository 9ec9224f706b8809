//! A ticket as another hotline system exports it (12345, 12315 …), one row of an import file,
//! with the rules a row keeps on its own. The workbook reader (`qcity_exchange`) and the store's
//! import check a row with the same function ([`TicketRow::problems`]); the store adds what
//! needs the database: the district's catalogue (category, unit) and the numbers already
//! imported.
//!
//! A row may carry the outcome of a ticket the other system already finished: its closing date,
//! the unit's finding (核查结果), the citizen's rating (满意度) and the unit that handled it
//! (承办单位). Such a ticket is imported closed.

use super::ticket::{Channel, Finding, Satisfaction};
use crate::registry::{Problem, Refusal, format_date_zh, too_long};
use chrono::NaiveDate;

/// The longest complaint text kept (the store's and Open311's limit).
pub const TEXT_MAX: usize = super::open311::DESCRIPTION_MAX;
/// The longest external ticket number kept.
pub const EXTERNAL_NO_MAX: usize = 64;
/// The longest other text of a row (names, address, area, unit).
pub const FIELD_MAX: usize = 200;

/// One imported ticket.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TicketRow {
    /// The other system's ticket number (工单编号); empty when the file has none. A number
    /// imported once, for the same channel, is not imported again.
    pub external_no: String,
    pub channel: Channel,
    /// The day the other system received it (受理日期).
    pub received_on: NaiveDate,
    pub text: String,
    /// The category as written: a code or a label of the district's catalogue; empty: the
    /// classifier proposes one.
    pub category: String,
    pub enterprise_name: String,
    pub enterprise_code: String,
    pub address: String,
    /// The area (街道/乡镇) the catalogue may route by.
    pub area: String,
    pub contact_name: String,
    pub contact_phone: String,
    /// The closing date of a ticket already finished (办结日期).
    pub closed_on: Option<NaiveDate>,
    pub finding: Option<Finding>,
    /// The rating at the follow-up visit; a finished ticket without one was not reached.
    pub satisfaction: Option<Satisfaction>,
    /// The unit that handled it (承办单位): a code or a name of the district's units; empty:
    /// the catalogue routes it.
    pub unit: String,
}

impl Default for TicketRow {
    fn default() -> Self {
        TicketRow {
            external_no: String::new(),
            channel: Channel::Hotline12345,
            received_on: NaiveDate::MIN,
            text: String::new(),
            category: String::new(),
            enterprise_name: String::new(),
            enterprise_code: String::new(),
            address: String::new(),
            area: String::new(),
            contact_name: String::new(),
            contact_phone: String::new(),
            closed_on: None,
            finding: None,
            satisfaction: None,
            unit: String::new(),
        }
    }
}

/// The fields of a row, in the order of the import template's columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TicketField {
    ExternalNo,
    Channel,
    ReceivedOn,
    Text,
    Category,
    EnterpriseName,
    EnterpriseCode,
    Address,
    Area,
    ContactName,
    ContactPhone,
    ClosedOn,
    Finding,
    Satisfaction,
    Unit,
}

impl TicketField {
    /// Every field, in the order of the import template's columns.
    pub const ALL: [TicketField; 15] = [
        TicketField::ExternalNo,
        TicketField::Channel,
        TicketField::ReceivedOn,
        TicketField::Text,
        TicketField::Category,
        TicketField::EnterpriseName,
        TicketField::EnterpriseCode,
        TicketField::Address,
        TicketField::Area,
        TicketField::ContactName,
        TicketField::ContactPhone,
        TicketField::ClosedOn,
        TicketField::Finding,
        TicketField::Satisfaction,
        TicketField::Unit,
    ];
}

/// A field's position among the import template's columns.
impl From<TicketField> for usize {
    fn from(field: TicketField) -> usize {
        field as usize
    }
}

/// A rule a row breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketProblem {
    TextMissing,
    TextTooLong,
    ExternalNoTooLong,
    FieldTooLong(TicketField),
    /// Received after the business date.
    ReceivedInFuture {
        received: NaiveDate,
    },
    ClosedBeforeReceived {
        received: NaiveDate,
        closed: NaiveDate,
    },
    ClosedInFuture {
        closed: NaiveDate,
    },
    /// A finding, a rating or … without a closing date: the outcome of what?
    OutcomeWithoutClose(TicketField),
    /// Closed without the unit's finding: a ticket is not closed without a reply.
    CloseWithoutFinding,
}

impl Problem for TicketProblem {
    type Field = TicketField;

    fn fields(&self) -> Vec<TicketField> {
        use TicketField as F;
        match self {
            Self::TextMissing | Self::TextTooLong => vec![F::Text],
            Self::ExternalNoTooLong => vec![F::ExternalNo],
            Self::FieldTooLong(f) => vec![*f],
            Self::ReceivedInFuture { .. } => vec![F::ReceivedOn],
            Self::ClosedBeforeReceived { .. } => vec![F::ClosedOn, F::ReceivedOn],
            Self::ClosedInFuture { .. } => vec![F::ClosedOn],
            Self::OutcomeWithoutClose(f) => vec![*f, F::ClosedOn],
            Self::CloseWithoutFinding => vec![F::Finding, F::ClosedOn],
        }
    }

    fn refusal(&self) -> Refusal {
        match self {
            Self::TextMissing => Refusal::new("缺少投诉内容", "the complaint text is missing"),
            Self::TextTooLong => Refusal::new(
                format!("投诉内容超过 {TEXT_MAX} 个字"),
                format!("the complaint text is longer than {TEXT_MAX} characters"),
            ),
            Self::ExternalNoTooLong => Refusal::new(
                format!("工单编号超过 {EXTERNAL_NO_MAX} 个字"),
                format!("the ticket number is longer than {EXTERNAL_NO_MAX} characters"),
            ),
            Self::FieldTooLong(_) => Refusal::new(
                format!("内容超过 {FIELD_MAX} 个字"),
                format!("the text is longer than {FIELD_MAX} characters"),
            ),
            Self::ReceivedInFuture { received } => Refusal::new(
                format!("受理日期（{}）晚于今天", format_date_zh(*received)),
                format!("the date received, {received}, is after today"),
            ),
            Self::ClosedBeforeReceived { received, closed } => Refusal::new(
                format!(
                    "办结日期（{}）早于受理日期（{}）",
                    format_date_zh(*closed),
                    format_date_zh(*received)
                ),
                format!("the closing date {closed} is before the date received {received}"),
            ),
            Self::ClosedInFuture { closed } => Refusal::new(
                format!("办结日期（{}）晚于今天", format_date_zh(*closed)),
                format!("the closing date {closed} is after today"),
            ),
            Self::OutcomeWithoutClose(_) => Refusal::new(
                "已填写办理结果，但未填写办结日期",
                "the outcome is filled in but the closing date is not",
            ),
            Self::CloseWithoutFinding => Refusal::new(
                "已填写办结日期，但未填写核查结果（属实、部分属实、不属实、无法核实）",
                "the ticket is closed but the finding (substantiated, partly, unfounded, undetermined) is missing",
            ),
        }
    }
}

impl TicketRow {
    /// Every rule the row breaks as of the business date `today`, the field to correct first.
    pub fn problems(&self, today: NaiveDate) -> Vec<TicketProblem> {
        use TicketField as F;
        let mut out = Vec::new();
        if self.text.trim().is_empty() {
            out.push(TicketProblem::TextMissing);
        } else if too_long(&self.text, TEXT_MAX) {
            out.push(TicketProblem::TextTooLong);
        }
        if too_long(&self.external_no, EXTERNAL_NO_MAX) {
            out.push(TicketProblem::ExternalNoTooLong);
        }
        for (field, text) in [
            (F::Category, &self.category),
            (F::EnterpriseName, &self.enterprise_name),
            (F::EnterpriseCode, &self.enterprise_code),
            (F::Address, &self.address),
            (F::Area, &self.area),
            (F::ContactName, &self.contact_name),
            (F::ContactPhone, &self.contact_phone),
            (F::Unit, &self.unit),
        ] {
            if too_long(text, FIELD_MAX) {
                out.push(TicketProblem::FieldTooLong(field));
            }
        }
        if self.received_on > today {
            out.push(TicketProblem::ReceivedInFuture {
                received: self.received_on,
            });
        }
        match self.closed_on {
            Some(closed) => {
                if closed < self.received_on {
                    out.push(TicketProblem::ClosedBeforeReceived {
                        received: self.received_on,
                        closed,
                    });
                }
                if closed > today {
                    out.push(TicketProblem::ClosedInFuture { closed });
                }
                if self.finding.is_none() {
                    out.push(TicketProblem::CloseWithoutFinding);
                }
            }
            None => {
                if self.finding.is_some() {
                    out.push(TicketProblem::OutcomeWithoutClose(F::Finding));
                }
                if self.satisfaction.is_some() {
                    out.push(TicketProblem::OutcomeWithoutClose(F::Satisfaction));
                }
            }
        }
        out
    }

    /// Whether the other system had finished the ticket.
    pub fn is_closed(&self) -> bool {
        self.closed_on.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn row() -> TicketRow {
        TicketRow {
            received_on: day("2026-03-02"),
            text: "电梯经常困人".into(),
            ..TicketRow::default()
        }
    }

    #[test]
    fn an_open_ticket_needs_only_its_text_and_date() {
        assert!(row().problems(day("2026-03-02")).is_empty());
        let empty = TicketRow {
            text: "  ".into(),
            ..row()
        };
        assert_eq!(
            empty.problems(day("2026-03-02")),
            vec![TicketProblem::TextMissing]
        );
        assert_eq!(
            row().problems(day("2026-03-01")),
            vec![TicketProblem::ReceivedInFuture {
                received: day("2026-03-02")
            }]
        );
    }

    #[test]
    fn a_closed_ticket_states_its_finding_and_closes_after_receipt() {
        let today = day("2026-04-01");
        let closed = TicketRow {
            closed_on: Some(day("2026-03-10")),
            finding: Some(Finding::Substantiated),
            ..row()
        };
        assert!(closed.problems(today).is_empty());
        assert!(closed.is_closed());
        let no_finding = TicketRow {
            finding: None,
            ..closed.clone()
        };
        assert_eq!(
            no_finding.problems(today),
            vec![TicketProblem::CloseWithoutFinding]
        );
        let early = TicketRow {
            closed_on: Some(day("2026-03-01")),
            ..closed.clone()
        };
        let problems = early.problems(today);
        assert!(matches!(
            problems[..],
            [TicketProblem::ClosedBeforeReceived { .. }]
        ));
        assert_eq!(
            problems[0].fields(),
            vec![TicketField::ClosedOn, TicketField::ReceivedOn]
        );
        assert!(problems[0].refusal().zh.contains("2026年3月1日"));
    }

    #[test]
    fn an_outcome_without_a_closing_date_is_refused() {
        let r = TicketRow {
            satisfaction: Some(Satisfaction::Satisfied),
            ..row()
        };
        assert_eq!(
            r.problems(day("2026-03-02")),
            vec![TicketProblem::OutcomeWithoutClose(
                TicketField::Satisfaction
            )]
        );
    }

    #[test]
    fn fields_index_the_template_columns_in_order() {
        let order: Vec<usize> = TicketField::ALL.iter().map(|f| usize::from(*f)).collect();
        assert_eq!(order, (0..TicketField::ALL.len()).collect::<Vec<_>>());
    }
}
