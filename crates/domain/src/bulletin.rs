//! A bulletin (通报): the figures for a period, computed from obligations, and the stated rule
//! that names the units commended and criticised. Pure data: the store computes it, the web
//! shows it, the exchange crate writes it as .docx.

use serde::{Deserialize, Serialize};

/// An issued or draft bulletin, everything needed to render it without the database.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bulletin {
    /// e.g. "郑州市创建全国质量强市示范城市惠济区工作通报"
    pub title: String,
    /// The issuing office, e.g. "惠济区质量强区战略工作领导小组办公室".
    pub issuer: String,
    /// The period covered, e.g. "2014-09" (monthly) or "2014-09-01..2014-09-30".
    pub period: String,
    /// The period in words, e.g. "2014年9月".
    pub period_label: String,
    /// Figures are as of this date (the period's last day, or the business date if earlier).
    pub as_of: String,
    /// Sequence number within the year once issued (e.g. 第3期), 0 for a draft.
    pub number: u32,
    /// The rule for commendation and criticism, in words (zh-CN).
    pub rule: String,
    /// Totals over all units.
    pub total: Rates,
    pub units: Vec<UnitLine>,
    pub categories: Vec<CategoryLine>,
    pub overdue: Vec<OverdueLine>,
    pub commended: Vec<String>,
    /// (unit name, why) — e.g. ("区城建局", "逾期 3 项，其中 1 项已通报").
    pub criticised: Vec<(String, String)>,
}

/// Counts and rates over obligations due by `as_of`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Rates {
    /// Obligations due by the as-of date.
    pub due: u32,
    /// Accepted (销号).
    pub accepted: u32,
    /// Handed in (submitted or accepted) by their due date.
    pub on_time: u32,
    /// Past due and not handed in.
    pub overdue: u32,
    /// accepted / due × 100, one decimal (100 when nothing is due).
    pub completion_rate: f64,
    /// on_time / due × 100, one decimal (100 when nothing is due).
    pub on_time_rate: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitLine {
    pub unit_code: String,
    pub unit_name: String,
    pub rates: Rates,
    /// Red 通报 notices the unit received in the period.
    pub red_notices: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoryLine {
    pub code: String,
    pub title: String,
    pub rates: Rates,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OverdueLine {
    pub unit_name: String,
    pub content_code: String,
    pub content_text: String,
    pub due_date: String,
    pub days_overdue: i64,
}
