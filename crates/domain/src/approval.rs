//! Four eyes (双人复核): a decision that others rely on — an indicator value counted in the
//! figures, a credit listing published, a failed sampling result disclosed — is taken by a
//! second person, not by the one who entered it. Which kinds need it, and how long a disclosed
//! result waits for objections, is the office's setting, per kind.

use serde::Serialize;

/// A decision that may need a second person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Kind {
    /// Approving an indicator value (entered by a unit or the office).
    IndicatorValue,
    /// Approving a credit listing (proposed by the office).
    CreditListing,
    /// Disclosing a failed sampling result to the public.
    SamplingDisclosure,
}

impl Kind {
    pub const ALL: [Kind; 3] = [
        Kind::IndicatorValue,
        Kind::CreditListing,
        Kind::SamplingDisclosure,
    ];

    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Kind::IndicatorValue => "indicator_value",
            Kind::CreditListing => "credit_listing",
            Kind::SamplingDisclosure => "sampling_disclosure",
        }
    }

    pub fn parse(code: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.code() == code)
    }

    /// Whether the kind has an objection period (a public disclosure).
    pub fn has_objection_period(self) -> bool {
        self == Kind::SamplingDisclosure
    }
}

/// The office's setting for one kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub kind: Kind,
    /// The one who entered it may not decide it.
    pub four_eyes: bool,
    /// Days between the decision and publication, for objections (公示异议期); 0 publishes at
    /// once. Only for kinds with [`Kind::has_objection_period`].
    pub objection_days: u32,
}

impl Rule {
    /// The shipped setting: four eyes for every kind, no objection period.
    pub fn default_for(kind: Kind) -> Rule {
        Rule {
            kind,
            four_eyes: true,
            objection_days: 0,
        }
    }

    /// Whether `decider` may decide what `entered_by` entered. Names are account names; a
    /// system account (imports by command, demo data) entered nothing by hand, so anyone decides.
    pub fn allows(&self, entered_by: &str, decider: &str) -> bool {
        !self.four_eyes || entered_by.starts_with("system:") || entered_by != decider
    }
}

/// The longest objection period the office may set (a quarter).
pub const MAX_OBJECTION_DAYS: u32 = 90;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_one_who_entered_does_not_decide_under_four_eyes() {
        let rule = Rule::default_for(Kind::IndicatorValue);
        assert!(!rule.allows("clerk", "clerk"));
        assert!(rule.allows("clerk", "head"));
        assert!(rule.allows("system:import", "clerk"));
        let off = Rule {
            four_eyes: false,
            ..rule
        };
        assert!(off.allows("clerk", "clerk"));
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.code()), Some(k));
        }
        assert_eq!(Kind::parse("nonsense"), None);
    }
}
