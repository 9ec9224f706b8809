//! Quality analysis reports (质量分析报告): generated for a half-year or a year from the
//! indicators and registers, narrative edited by the office, then issued (frozen, archived).

/// The tables of this module (migration 8).
pub(crate) const MIGRATION: &str = "";
