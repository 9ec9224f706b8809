//! Roles, the scope they grant, and password rules.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a signed-in account is allowed to do, by role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 强区办: full administration.
    Office,
    /// Staff of one member unit: reads and writes only that unit's records.
    Unit,
    /// Read-only view of everything.
    Leader,
    /// 人大代表 / 政协委员: rates units during an evaluation window.
    Evaluator,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Office, Role::Unit, Role::Leader, Role::Evaluator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Office => "office",
            Role::Unit => "unit",
            Role::Leader => "leader",
            Role::Evaluator => "evaluator",
        }
    }

    /// Whether the role reads the district's internal records: the accounts, the notices sent
    /// to units and the evidence files units and inspectors upload. Evaluators (人大代表 /
    /// 政协委员) come from outside to rate the units: they see the plan, the figures, the issued
    /// reports and the assessment their rating rests on, not these.
    pub fn reads_internal_records(self) -> bool {
        !matches!(self, Role::Evaluator)
    }

    /// Unit staff must belong to a unit; other roles may but need not.
    pub fn requires_unit(self) -> bool {
        matches!(self, Role::Unit)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}` (expected office, unit, leader or evaluator)")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s.trim())
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// The records a caller may touch. Every store read and write takes one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Everything, read and write.
    All,
    /// Everything, read only.
    ReadAll,
    /// Only the records of this unit (by unit id).
    Unit(i64),
    /// Nothing but public records.
    Public,
}

impl Scope {
    pub fn for_role(role: Role, unit_id: Option<i64>) -> Scope {
        match (role, unit_id) {
            (Role::Office, _) => Scope::All,
            (Role::Leader, _) => Scope::ReadAll,
            (Role::Unit, Some(u)) => Scope::Unit(u),
            // A unit account without a unit sees nothing: fail closed.
            (Role::Unit, None) => Scope::Public,
            (Role::Evaluator, _) => Scope::ReadAll,
        }
    }

    pub fn can_read_unit(self, unit_id: i64) -> bool {
        match self {
            Scope::All | Scope::ReadAll => true,
            Scope::Unit(u) => u == unit_id,
            Scope::Public => false,
        }
    }

    pub fn can_write_unit(self, unit_id: i64) -> bool {
        match self {
            Scope::All => true,
            Scope::Unit(u) => u == unit_id,
            Scope::ReadAll | Scope::Public => false,
        }
    }

    pub fn is_admin(self) -> bool {
        self == Scope::All
    }
}

/// Why a password was refused. The web layer turns these into localized messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PasswordProblem {
    TooShort,
    TooFewClasses,
    TooLong,
}

/// ≥ 8 characters from at least 3 of: lower case, upper case, digits, other (等保 2.0).
pub fn check_password(password: &str) -> Result<(), PasswordProblem> {
    let len = password.chars().count();
    if len < 8 {
        return Err(PasswordProblem::TooShort);
    }
    // Argon2 cost grows with input; a cap keeps a login from becoming a DoS lever.
    if len > 256 {
        return Err(PasswordProblem::TooLong);
    }
    let classes = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_alphanumeric()),
    ];
    if classes.iter().filter(|b| **b).count() < 3 {
        return Err(PasswordProblem::TooFewClasses);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_and_reject_unknown() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>(), Ok(r));
        }
        assert!("admin".parse::<Role>().is_err());
    }

    #[test]
    fn unit_scope_only_touches_its_own_unit() {
        let s = Scope::for_role(Role::Unit, Some(7));
        assert!(s.can_read_unit(7) && s.can_write_unit(7));
        assert!(!s.can_read_unit(8) && !s.can_write_unit(8));
        assert_eq!(Scope::for_role(Role::Unit, None), Scope::Public);
        assert!(!Scope::for_role(Role::Leader, None).can_write_unit(1));
        assert!(Scope::for_role(Role::Leader, None).can_read_unit(1));
    }

    #[test]
    fn only_evaluators_are_kept_from_internal_records() {
        for r in Role::ALL {
            assert_eq!(r.reads_internal_records(), r != Role::Evaluator, "{r}");
        }
    }

    #[test]
    fn password_rules() {
        assert_eq!(check_password("Ab1"), Err(PasswordProblem::TooShort));
        assert_eq!(
            check_password("abcdefgh1"),
            Err(PasswordProblem::TooFewClasses)
        );
        assert_eq!(check_password("abcdefG1"), Ok(()));
        assert_eq!(check_password("质量强市abc1!"), Ok(()));
        assert_eq!(
            check_password(&"aB1!".repeat(70)),
            Err(PasswordProblem::TooLong)
        );
    }
}
