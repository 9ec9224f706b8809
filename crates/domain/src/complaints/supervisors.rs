//! Social quality supervisors (社会质量监督员): appointed for a term over an area; while
//! appointed they file observations as tickets of the `supervisor` channel. The register is
//! the store's; these rules say when one may file and what an appointment must satisfy.

use chrono::NaiveDate;

/// One appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    pub appointed: NaiveDate,
    /// The last day of the term.
    pub term_ends: NaiveDate,
    /// Relieved early (解聘), from this day on.
    pub revoked: Option<NaiveDate>,
}

/// Why a supervisor may not file, or an appointment is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SupervisorError {
    #[error("the term has not begun")]
    NotYetAppointed,
    #[error("the term has ended")]
    TermEnded,
    #[error("relieved of the appointment")]
    Revoked,
    #[error("the term ends before it begins")]
    TermBeforeAppointment,
    #[error("a term may last at most {MAX_TERM_YEARS} years")]
    TermTooLong,
}

/// The longest term, in years.
pub const MAX_TERM_YEARS: i32 = 5;

impl SupervisorError {
    pub fn key(&self) -> &'static str {
        match self {
            Self::NotYetAppointed => "error-supervisor-not-yet",
            Self::TermEnded => "error-supervisor-term-ended",
            Self::Revoked => "error-supervisor-revoked",
            Self::TermBeforeAppointment => "error-supervisor-term-order",
            Self::TermTooLong => "error-supervisor-term-long",
        }
    }
}

impl Appointment {
    /// Checks a new or edited appointment.
    pub fn check(&self) -> Result<(), SupervisorError> {
        if self.term_ends < self.appointed {
            return Err(SupervisorError::TermBeforeAppointment);
        }
        let limit = self
            .appointed
            .checked_add_months(chrono::Months::new(12 * MAX_TERM_YEARS as u32));
        if limit.is_none_or(|l| self.term_ends > l) {
            return Err(SupervisorError::TermTooLong);
        }
        Ok(())
    }

    /// Whether the supervisor may file an observation on `on`.
    pub fn may_file(&self, on: NaiveDate) -> Result<(), SupervisorError> {
        if self.revoked.is_some_and(|r| on >= r) {
            Err(SupervisorError::Revoked)
        } else if on < self.appointed {
            Err(SupervisorError::NotYetAppointed)
        } else if on > self.term_ends {
            Err(SupervisorError::TermEnded)
        } else {
            Ok(())
        }
    }

    pub fn is_active(&self, on: NaiveDate) -> bool {
        self.may_file(on).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn filing_within_the_term() {
        let a = Appointment {
            appointed: d("2026-01-01"),
            term_ends: d("2028-12-31"),
            revoked: Some(d("2027-07-01")),
        };
        let cases = [
            ("2025-12-31", Err(SupervisorError::NotYetAppointed)),
            ("2026-01-01", Ok(())),
            ("2027-06-30", Ok(())),
            ("2027-07-01", Err(SupervisorError::Revoked)),
        ];
        for (on, want) in cases {
            assert_eq!(a.may_file(d(on)), want, "{on}");
        }
        let b = Appointment {
            revoked: None,
            ..a.clone()
        };
        assert_eq!(b.may_file(d("2029-01-01")), Err(SupervisorError::TermEnded));
        assert!(b.is_active(d("2028-12-31")));
    }

    #[test]
    fn appointments_are_checked() {
        let a = |from: &str, to: &str| Appointment {
            appointed: d(from),
            term_ends: d(to),
            revoked: None,
        };
        assert_eq!(a("2026-01-01", "2030-12-31").check(), Ok(()));
        assert_eq!(a("2026-01-01", "2031-01-01").check(), Ok(()));
        assert_eq!(
            a("2026-01-01", "2031-01-02").check(),
            Err(SupervisorError::TermTooLong)
        );
        assert_eq!(
            a("2026-01-02", "2026-01-01").check(),
            Err(SupervisorError::TermBeforeAppointment)
        );
        assert_eq!(SupervisorError::Revoked.key(), "error-supervisor-revoked");
    }
}
