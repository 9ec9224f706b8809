//! Unit performance assessment (绩效考核): the scoring scheme in force, evaluators' ratings in
//! an evaluation window, and each unit's score counted from the data.

/// The tables of this module (migration 6).
pub(crate) const MIGRATION: &str = "";
