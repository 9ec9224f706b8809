//! The acceptance self-check (自查, 预验收): score sheets, proposals counted from obligations
//! and indicators, reviewers' decisions, and the four acceptance stages.

/// The tables of this module (migration 7).
pub(crate) const MIGRATION: &str = "";
