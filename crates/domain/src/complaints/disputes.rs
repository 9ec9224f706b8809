//! Quality disputes taken to arbitration inspection or appraisal (质量仲裁检验, 质量鉴定): the
//! case flow, its deadlines on the working-day calendar, and the compensation as money. The
//! limits are data the office sets; the defaults are QCity's assumption, not a cited rule.

use super::calendar::Calendar;
use super::ticket::Outcome;
use crate::registry::{CodeList, code_list};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

code_list! {
    /// What a party asks for.
    CaseKind {
        /// 质量仲裁检验: an inspection whose result settles the dispute.
        Arbitration = "arbitration", ["质量仲裁检验", "质量仲裁", "仲裁"], "Arbitration inspection";
        /// 质量鉴定: an appraisal of the product's quality by an expert body.
        Appraisal = "appraisal", ["质量鉴定", "鉴定"], "Quality appraisal";
    }
}

code_list! {
    /// Where a case stands.
    CaseStatus {
        Filed = "filed", ["已申请"], "Filed";
        Accepted = "accepted", ["已受理"], "Accepted";
        /// The inspection or appraisal body is at work.
        Examining = "examining", ["检验鉴定中"], "Under examination";
        /// The conclusion is issued.
        Concluded = "concluded", ["已出具结论"], "Concluded";
        Closed = "closed", ["已结案"], "Closed";
        Declined = "declined", ["不予受理"], "Declined";
        Withdrawn = "withdrawn", ["已撤回"], "Withdrawn";
    }
}

impl CaseStatus {
    pub fn is_finished(self) -> bool {
        matches!(
            self,
            CaseStatus::Closed | CaseStatus::Declined | CaseStatus::Withdrawn
        )
    }
}

/// What happens to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseEvent {
    Accept,
    Decline {
        reason: String,
    },
    /// The body that examines (检验机构/鉴定组织单位).
    Examine {
        body: String,
    },
    /// The conclusion, and the compensation agreed or ordered, in fen (分).
    Conclude {
        conclusion: String,
        compensation_fen: Option<i64>,
    },
    Close,
    /// A party withdraws before the conclusion.
    Withdraw,
}

/// Why a case event does not apply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    #[error("not allowed when the case is {0:?}")]
    NotAllowed(CaseStatus),
    #[error("a reason is required")]
    ReasonMissing,
    #[error("the examining body is required")]
    BodyMissing,
    #[error("the conclusion is required")]
    ConclusionMissing,
    #[error("the compensation cannot be negative")]
    NegativeCompensation,
}

impl CaseError {
    pub fn key(&self) -> &'static str {
        match self {
            Self::NotAllowed(_) => "error-dispute-not-allowed",
            Self::ReasonMissing => "error-dispute-reason-missing",
            Self::BodyMissing => "error-dispute-body-missing",
            Self::ConclusionMissing => "error-dispute-conclusion-missing",
            Self::NegativeCompensation => "error-dispute-negative-compensation",
        }
    }
}

fn required(text: &str, err: CaseError) -> Result<(), CaseError> {
    if text.trim().is_empty() {
        Err(err)
    } else {
        Ok(())
    }
}

/// The state table of a case: filed → accepted → examining → concluded → closed; declined
/// from filed; withdrawn before the conclusion.
pub fn apply_case(status: CaseStatus, event: &CaseEvent) -> Result<CaseStatus, CaseError> {
    use CaseStatus as S;
    match (event, status) {
        (CaseEvent::Accept, S::Filed) => Ok(S::Accepted),
        (CaseEvent::Decline { reason }, S::Filed) => {
            required(reason, CaseError::ReasonMissing)?;
            Ok(S::Declined)
        }
        (CaseEvent::Examine { body }, S::Accepted) => {
            required(body, CaseError::BodyMissing)?;
            Ok(S::Examining)
        }
        (
            CaseEvent::Conclude {
                conclusion,
                compensation_fen,
            },
            S::Examining,
        ) => {
            required(conclusion, CaseError::ConclusionMissing)?;
            if compensation_fen.is_some_and(|c| c < 0) {
                return Err(CaseError::NegativeCompensation);
            }
            Ok(S::Concluded)
        }
        (CaseEvent::Close, S::Concluded) => Ok(S::Closed),
        (CaseEvent::Withdraw, S::Filed | S::Accepted | S::Examining) => Ok(S::Withdrawn),
        (_, s) => Err(CaseError::NotAllowed(s)),
    }
}

/// Working days to decide on acceptance (from filing) and to conclude (from acceptance).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseLimits {
    pub accept: u32,
    pub conclude: u32,
}

impl Default for CaseLimits {
    /// An assumption for the office to confirm: 5 working days to decide, 30 to conclude.
    fn default() -> Self {
        CaseLimits {
            accept: 5,
            conclude: 30,
        }
    }
}

/// Where a deadline stands: `start` + `days` working days, done on `done` or not yet.
pub fn deadline_outcome(
    cal: &Calendar,
    start: Option<NaiveDate>,
    days: u32,
    done: Option<NaiveDate>,
    today: NaiveDate,
) -> Outcome {
    let Some(start) = start else {
        return Outcome::NotStarted;
    };
    let deadline = cal.add_working_days(start, days);
    match done {
        Some(on) if on <= deadline => Outcome::OnTime { deadline, on },
        Some(on) => Outcome::Late { deadline, on },
        None if today > deadline => Outcome::Overdue { deadline },
        None => Outcome::Pending { deadline },
    }
}

/// Why an amount of money was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("`{0}` is not an amount in yuan (e.g. 1280.50)")]
    NotAnAmount(String),
    #[error("more than two decimals")]
    TooPrecise,
}

/// An amount in yuan as a clerk types it (`1,280.5`, `¥300`, `300元`) → fen.
pub fn parse_yuan(text: &str) -> Result<i64, MoneyError> {
    let t: String = text
        .trim()
        .trim_start_matches(['¥', '￥'])
        .trim_end_matches('元')
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' '))
        .collect();
    let not = || MoneyError::NotAnAmount(text.trim().to_string());
    let (whole, frac) = t.split_once('.').unwrap_or((&t, ""));
    if whole.is_empty() || !whole.chars().all(|c| c.is_ascii_digit()) {
        return Err(not());
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return Err(not());
    }
    if frac.len() > 2 {
        return Err(MoneyError::TooPrecise);
    }
    let yuan: i64 = whole.parse().map_err(|_| not())?;
    let fen: i64 = format!("{frac:0<2}").parse().map_err(|_| not())?;
    yuan.checked_mul(100)
        .and_then(|y| y.checked_add(fen))
        .ok_or_else(not)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn case_table() {
        use CaseStatus as S;
        let conclude = |fen| CaseEvent::Conclude {
            conclusion: "不符合 GB 4706.1".into(),
            compensation_fen: fen,
        };
        let cases = [
            (S::Filed, CaseEvent::Accept, Ok(S::Accepted)),
            (
                S::Filed,
                CaseEvent::Decline { reason: " ".into() },
                Err(CaseError::ReasonMissing),
            ),
            (
                S::Filed,
                CaseEvent::Decline {
                    reason: "已诉讼".into(),
                },
                Ok(S::Declined),
            ),
            (
                S::Accepted,
                CaseEvent::Examine { body: "".into() },
                Err(CaseError::BodyMissing),
            ),
            (
                S::Accepted,
                CaseEvent::Examine {
                    body: "省质检院".into(),
                },
                Ok(S::Examining),
            ),
            (S::Examining, conclude(Some(128_050)), Ok(S::Concluded)),
            (
                S::Examining,
                conclude(Some(-1)),
                Err(CaseError::NegativeCompensation),
            ),
            (
                S::Examining,
                CaseEvent::Conclude {
                    conclusion: String::new(),
                    compensation_fen: None,
                },
                Err(CaseError::ConclusionMissing),
            ),
            (S::Concluded, CaseEvent::Close, Ok(S::Closed)),
            (S::Examining, CaseEvent::Withdraw, Ok(S::Withdrawn)),
            (
                S::Concluded,
                CaseEvent::Withdraw,
                Err(CaseError::NotAllowed(S::Concluded)),
            ),
            (
                S::Filed,
                CaseEvent::Close,
                Err(CaseError::NotAllowed(S::Filed)),
            ),
            (
                S::Closed,
                CaseEvent::Accept,
                Err(CaseError::NotAllowed(S::Closed)),
            ),
        ];
        for (status, event, want) in cases {
            assert_eq!(apply_case(status, &event), want, "{status:?} {event:?}");
        }
        assert!(S::Withdrawn.is_finished() && !S::Concluded.is_finished());
        assert_eq!(CaseKind::parse("质量鉴定"), Some(CaseKind::Appraisal));
        assert_eq!(CaseError::BodyMissing.key(), "error-dispute-body-missing");
    }

    #[test]
    fn case_deadlines_count_working_days() {
        let cal = Calendar::official();
        let limits = CaseLimits::default();
        // Filed the day before National Day 2026: 5 working days end on 10-13.
        let accept = deadline_outcome(
            &cal,
            Some(d("2026-09-30")),
            limits.accept,
            None,
            d("2026-10-12"),
        );
        assert_eq!(
            accept,
            Outcome::Pending {
                deadline: d("2026-10-13")
            }
        );
        let late = deadline_outcome(
            &cal,
            Some(d("2026-09-30")),
            limits.accept,
            Some(d("2026-10-14")),
            d("2026-10-20"),
        );
        assert!(matches!(late, Outcome::Late { .. }));
        assert_eq!(
            deadline_outcome(&cal, None, 5, None, d("2026-10-20")),
            Outcome::NotStarted
        );
    }

    #[test]
    fn money_table() {
        let cases = [
            ("1280.5", Ok(128_050)),
            ("¥1,280.50", Ok(128_050)),
            ("300元", Ok(30_000)),
            ("0.07", Ok(7)),
            ("12.345", Err(MoneyError::TooPrecise)),
            ("-5", Err(MoneyError::NotAnAmount("-5".into()))),
            ("一百", Err(MoneyError::NotAnAmount("一百".into()))),
            ("", Err(MoneyError::NotAnAmount(String::new()))),
            (
                "99999999999999999999",
                Err(MoneyError::NotAnAmount("99999999999999999999".into())),
            ),
        ];
        for (text, want) in cases {
            assert_eq!(parse_yuan(text), want, "{text}");
        }
    }
}
